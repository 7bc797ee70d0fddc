//! `parse(render(x, Dotenv, Portable)) == x` for every value that renders,
//! without any external tool (the interop test adds the third-party parsers).

mod common;

use coffer_dotenv::{parse, render, Dialect, Error, ExportEntry, Format};
use common::{corpus, generated, show};

#[test]
fn portable_round_trips_through_our_parser() {
    let mut cases = corpus();
    cases.extend(generated(3000));
    let keys: Vec<String> = (0..cases.len()).map(|i| format!("K{i}")).collect();
    let mut rendered = Vec::new();
    for (i, case) in cases.iter().enumerate() {
        let e = ExportEntry {
            key: &keys[i],
            value: &case.value,
            notes: None,
        };
        match render(&[e], Format::Dotenv, Dialect::Portable) {
            Ok(text) => {
                let parsed = parse(&text).unwrap_or_else(|e| {
                    panic!(
                        "{} ({}): our own output fails to parse: {e}",
                        case.name,
                        show(&case.value)
                    )
                });
                assert_eq!(parsed.len(), 1, "{}", case.name);
                assert_eq!(parsed[0].key, keys[i]);
                assert_eq!(
                    parsed[0].value.as_str(),
                    case.value,
                    "{} did not round-trip",
                    case.name
                );
                rendered.push(e);
            }
            Err(Error::Unrepresentable { key, .. }) => assert_eq!(key, keys[i]),
            Err(e) => panic!("{}: unexpected {e}", case.name),
        }
    }
    // All of them in one file: entries do not disturb each other, order kept,
    // line numbers point at the start of each entry.
    let text = render(&rendered, Format::Dotenv, Dialect::Portable).expect("renders");
    let parsed = parse(&text).expect("parses");
    assert_eq!(parsed.len(), rendered.len());
    for (n, (p, e)) in parsed.iter().zip(&rendered).enumerate() {
        assert_eq!(p.key, e.key);
        assert_eq!(p.value.as_str(), e.value);
        assert_eq!(p.line, n + 1, "portable output is one line per entry");
    }
}

#[test]
fn parse_is_all_or_nothing() {
    let good = "A=1\nB='two'\n";
    assert_eq!(parse(good).expect("good").len(), 2);
    let bad = format!("{good}C=$oops\nD=4\n");
    assert!(matches!(parse(&bad), Err(Error::Parse { line: 3, .. })));
}

#[test]
fn example_never_contains_values() {
    let cases = corpus();
    let keys: Vec<String> = (0..cases.len()).map(|i| format!("K{i}")).collect();
    let entries: Vec<ExportEntry<'_>> = cases
        .iter()
        .enumerate()
        .filter(|(_, c)| c.value.len() >= 4)
        .map(|(i, c)| ExportEntry {
            key: &keys[i],
            value: &c.value,
            notes: Some("rotate quarterly\nowner: platform team"),
        })
        .collect();
    let text = render(&entries, Format::Example, Dialect::Portable).expect("renders");
    for e in &entries {
        assert!(
            !text.contains(e.value),
            "example leaks the value of {}",
            e.key
        );
        assert!(text.contains(&format!("{}=\n", e.key)));
    }
    assert!(text.contains("# rotate quarterly\n# owner: platform team\n"));
    // An example file is itself importable: every key, empty values.
    let parsed = parse(&text).expect("example parses");
    assert_eq!(parsed.len(), entries.len());
    assert!(parsed.iter().all(|p| p.value.is_empty()));
}

#[test]
fn json_is_an_ordered_object() {
    let cases = corpus();
    let keys: Vec<String> = (0..cases.len()).map(|i| format!("K{i}")).collect();
    let entries: Vec<ExportEntry<'_>> = cases
        .iter()
        .enumerate()
        .map(|(i, c)| ExportEntry {
            key: &keys[i],
            value: &c.value,
            notes: None,
        })
        .collect();
    let text = render(&entries, Format::Json, Dialect::Portable).expect("renders");
    assert!(text.ends_with("}\n"));
    let v: serde_json::Value = serde_json::from_str(&text).expect("valid JSON");
    let obj = v.as_object().expect("object");
    assert_eq!(obj.len(), entries.len());
    for e in &entries {
        assert_eq!(obj[e.key].as_str(), Some(e.value), "{}", e.key);
    }
    // Input order is kept in the text (serde_json's map sorts, so check positions).
    let positions: Vec<usize> = entries
        .iter()
        .map(|e| text.find(&format!("\"{}\":", e.key)).expect("key present"))
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]));
}
