//! No error message, `Debug` output or panic of this crate may contain a value.
//! Each error kind is provoked with a canary value and both renderings of the
//! error are searched for it.

use coffer_dotenv::{parse, render, validate_key, Dialect, Error, ExportEntry, Format};

const CANARY: &str = "CANARYc4n4ry";

fn assert_clean(what: &str, e: &Error) {
    let display = e.to_string();
    let debug = format!("{e:?}");
    for s in [&display, &debug] {
        assert!(
            !s.contains(CANARY),
            "{what}: error text leaks the value: {s}"
        );
        assert!(
            !s.contains("c4n4ry"),
            "{what}: error text leaks part of the value: {s}"
        );
    }
}

fn entry<'a>(key: &'a str, value: &'a str) -> ExportEntry<'a> {
    ExportEntry {
        key,
        value,
        notes: Some(value),
    }
}

#[test]
fn unrepresentable_in_every_dialect() {
    let nasty = [
        format!("{CANARY}'\"$"),
        format!("{CANARY}\\\\"),
        format!("{CANARY}\r\n'\"`\\"),
        format!("{CANARY}\0"),
        format!("${{{CANARY}}}'\""),
    ];
    let mut seen = 0;
    for d in Dialect::ALL {
        for v in &nasty {
            if let Err(e) = render(&[entry("K", v)], Format::Dotenv, d) {
                assert!(matches!(e, Error::Unrepresentable { .. }));
                assert_clean(d.as_str(), &e);
                seen += 1;
            }
        }
    }
    assert!(
        seen >= Dialect::ALL.len(),
        "every dialect refuses something"
    );
    let e = render(
        &[entry("K", &format!("{CANARY}\0"))],
        Format::Shell,
        Dialect::Portable,
    )
    .expect_err("NUL refused in shell");
    assert_clean("shell", &e);
}

#[test]
fn invalid_key_and_duplicate_entry() {
    for f in Format::ALL {
        let e = render(&[entry("BAD-KEY", CANARY)], f, Dialect::Portable).expect_err("bad key");
        assert!(matches!(e, Error::InvalidKey { .. }));
        assert_clean("invalid key", &e);
        let e = render(
            &[entry("A", CANARY), entry("A", CANARY)],
            f,
            Dialect::Portable,
        )
        .expect_err("duplicate");
        assert!(matches!(e, Error::DuplicateEntry { .. }));
        assert_clean("duplicate entry", &e);
    }
    assert_clean("validate_key", &validate_key("").expect_err("empty key"));
}

#[test]
fn parse_errors() {
    let bad = [
        format!("A={CANARY}$x"),
        format!("A=\"{CANARY}$x\""),
        format!("A=\"{CANARY}\\q\""),
        format!("A='{CANARY}"),
        format!("A=\"{CANARY}"),
        format!("A='{CANARY}' trailing"),
        format!("A={CANARY}\\n"),
        format!("A={CANARY}'"),
        format!("A={CANARY}#x"),
        format!("A=`{CANARY}`"),
        format!("A={CANARY}\rB=1"),
        format!("A={CANARY}\0"),
        CANARY.to_string(),
        format!("{CANARY} x"),
        format!("1{CANARY}=x"),
        format!("A-{CANARY}=x"),
        format!("={CANARY}"),
    ];
    for input in &bad {
        let e = parse(input).expect_err("bad input");
        assert!(matches!(e, Error::Parse { line: 1, .. }), "{e:?}");
        assert_clean("parse", &e);
    }
    let e = parse(&format!("A={CANARY}\nA={CANARY}\n")).expect_err("duplicate");
    assert!(matches!(
        e,
        Error::DuplicateKey {
            first_line: 1,
            line: 2,
            ..
        }
    ));
    assert_clean("duplicate key", &e);
}

#[test]
fn parsed_entry_debug_is_redacted() {
    let parsed = parse(&format!("A='{CANARY}'\n")).expect("parses");
    let s = format!("{parsed:?}");
    assert!(!s.contains(CANARY), "{s}");
}

#[test]
fn unknown_names_do_not_matter() {
    // Names are not values, but check both render without panicking.
    assert!(matches!(
        "x".parse::<Format>(),
        Err(Error::UnknownFormat { .. })
    ));
    assert!(matches!(
        "x".parse::<Dialect>(),
        Err(Error::UnknownDialect { .. })
    ));
}
