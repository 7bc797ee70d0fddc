//! Rendering: choosing, per value, a spelling the target parser reads back
//! byte-for-byte. The rules and their sources are in `docs/dotenv.md`; every
//! `Err(&str)` below is a fixed reason that never contains the value.

use zeroize::Zeroizing;

use crate::{validate_key, Dialect, Error, ExportEntry, Format};

/// Renders `entries` (in order) as `format`; `dialect` matters for
/// [`Format::Dotenv`] only. Keys are validated for every format, duplicate keys
/// are refused, and the output ends with a newline (empty input gives "").
///
/// The result is zeroized on drop; its buffer is allocated once with an upper
/// bound of the final size so that no partial copy of a value is left behind
/// by reallocation.
pub fn render(
    entries: &[ExportEntry<'_>],
    format: Format,
    dialect: Dialect,
) -> Result<Zeroizing<String>, Error> {
    for (i, e) in entries.iter().enumerate() {
        validate_key(e.key)?;
        if entries[..i].iter().any(|p| p.key == e.key) {
            return Err(Error::DuplicateEntry {
                key: e.key.to_owned(),
            });
        }
    }
    // Plan everything before writing anything, so a refusal costs no copy.
    let plans = match format {
        Format::Dotenv => entries
            .iter()
            .map(|e| {
                plan(dialect, e.key, e.value).map_err(|reason| Error::Unrepresentable {
                    key: e.key.to_owned(),
                    dialect,
                    reason,
                    suggestion: suggestion(dialect, e.key, e.value),
                })
            })
            .collect::<Result<Vec<_>, _>>()?,
        Format::Shell => {
            for e in entries {
                if e.value.contains('\0') {
                    return Err(Error::Unrepresentable {
                        key: e.key.to_owned(),
                        dialect,
                        reason: NUL,
                        suggestion: "use --format json".to_owned(),
                    });
                }
            }
            Vec::new()
        }
        Format::Json | Format::Example => Vec::new(),
    };

    // Upper bound: a value char becomes at most 6 bytes (`\u001f` in JSON,
    // `'\''` in shell is 4); keys and notes are not secret.
    let capacity: usize = entries
        .iter()
        .map(|e| 6 * e.value.len() + 2 * e.key.len() + 4 * e.notes.map_or(0, str::len) + 32)
        .sum::<usize>()
        + 8;
    let mut out = Zeroizing::new(String::with_capacity(capacity));
    match format {
        Format::Dotenv => {
            for (e, p) in entries.iter().zip(plans) {
                out.push_str(e.key);
                out.push('=');
                emit(p, e.value, &mut out);
                out.push('\n');
            }
        }
        Format::Shell => {
            for e in entries {
                out.push_str("export ");
                out.push_str(e.key);
                out.push('=');
                shell_word(e.value, &mut out);
                out.push('\n');
            }
        }
        Format::Json => {
            out.push('{');
            for (i, e) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str("\n  ");
                json_string(e.key, &mut out);
                out.push_str(": ");
                json_string(e.value, &mut out);
            }
            if !entries.is_empty() {
                out.push('\n');
            }
            out.push_str("}\n");
        }
        Format::Example => {
            for e in entries {
                if let Some(notes) = e.notes {
                    for line in notes.split('\n') {
                        let line = line.strip_suffix('\r').unwrap_or(line).replace('\r', " ");
                        let line = line.trim_end();
                        if line.is_empty() {
                            out.push_str("#\n");
                        } else {
                            out.push_str("# ");
                            out.push_str(line);
                            out.push('\n');
                        }
                    }
                }
                out.push_str(e.key);
                out.push_str("=\n");
            }
        }
    }
    debug_assert!(out.len() <= capacity, "capacity bound must hold");
    Ok(out)
}

/// How one value is spelled after `KEY=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Plan {
    /// The value as is, no quotes.
    Bare,
    /// `'…'`; with `escape`, `\` → `\\` and `'` → `\'` (python-dotenv).
    Single { escape: bool },
    /// `` `…` `` literally (npm dotenv only).
    Backtick,
    /// `"…"`: LF → `\n` always; the other escapes as flagged.
    Double(DoubleEscapes),
}

/// Which characters a [`Plan::Double`] escapes with a backslash.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct DoubleEscapes {
    /// `\` → `\\` and `"` → `\"`.
    backslash_and_quote: bool,
    /// `$` → `\$`.
    dollar: bool,
    /// CR → `\r`.
    cr: bool,
}

const LF_ONLY: DoubleEscapes = DoubleEscapes {
    backslash_and_quote: false,
    dollar: false,
    cr: false,
};

const NUL: &str = "it contains a NUL character, which no environment variable can hold";
const CR: &str = "it contains a carriage return, which this parser turns into a line feed or drops";

/// Characters a portable value may contain unquoted (DESIGN.md §7).
fn is_bare_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "_./:@%+,=-".contains(c)
}

fn plan(dialect: Dialect, key: &str, value: &str) -> Result<Plan, &'static str> {
    if value.contains('\0') {
        return Err(NUL);
    }
    if dialect == Dialect::Docker {
        return plan_docker(key, value);
    }
    match plan_portable(value) {
        Ok(p) => Ok(p),
        Err(portable_reason) => match dialect {
            Dialect::Portable | Dialect::Docker => Err(portable_reason),
            Dialect::Node => plan_node(value),
            Dialect::Python => plan_python(value),
            Dialect::Rust => Ok(Plan::Double(DoubleEscapes {
                backslash_and_quote: true,
                dollar: true,
                cr: false,
            })),
            Dialect::Compose => plan_compose(value),
        },
    }
}

/// DESIGN.md §7, tightened where the real parsers disagreed (docs/dotenv.md).
fn plan_portable(value: &str) -> Result<Plan, &'static str> {
    let has = |c: char| value.contains(c);
    if has('\r') {
        // npm dotenv rewrites every CR to LF before parsing, python-dotenv
        // reads in universal-newline mode, and dotenvy has no `\r` escape.
        return Err(CR);
    }
    if value.chars().all(is_bare_char) {
        return Ok(Plan::Bare);
    }
    let double_ok = !(has('"') || has('\\') || has('$') || has('`'));
    if has('\n') {
        // Ruby dotenv 2.x splits the file into lines before parsing, so a
        // literal line break inside quotes never works there; the `\n` escape
        // inside double quotes is understood by every parser.
        return if double_ok {
            Ok(Plan::Double(LF_ONLY))
        } else {
            Err(
                "it contains a line break together with `\"`, `\\`, `$` or a backtick, \
                 and a line break can only be written portably as `\\n` inside double quotes",
            )
        };
    }
    // DESIGN.md forbids any `\` and any `${` in single quotes; the parsers
    // only disagree on `\\` (python-dotenv unescapes it), a final `\` (it
    // escapes the closing quote for python-dotenv and dotenvy) and `${…}`
    // (python-dotenv expands it even in single quotes).
    let single_ok = !has('\'')
        && !value.contains(r"\\")
        && !value.ends_with('\\')
        && !python_interpolates(value);
    if single_ok {
        return Ok(Plan::Single { escape: false });
    }
    if double_ok {
        return Ok(Plan::Double(LF_ONLY));
    }
    if has('\\') {
        Err(
            "it contains `\\\\` or ends with `\\`, which the parsers read differently, \
             and needs quoting that double quotes cannot give",
        )
    } else {
        Err(
            "it contains `'` or `${…}` (no single quotes possible) and also `\"`, `$` or a \
             backtick (no double quotes possible)",
        )
    }
}

/// npm dotenv 18 `parse` (lib/main.js `LINE` regex): no escapes except `\n`
/// and `\r` inside double quotes; CR is normalised to LF before parsing.
fn plan_node(value: &str) -> Result<Plan, &'static str> {
    let has = |c: char| value.contains(c);
    if value.ends_with('\\') {
        // The `LINE` regex reads `\'`, `\"` and `` \` `` as an escaped quote,
        // so the value would run on into the following lines.
        return Err(
            "it ends with a backslash, which npm dotenv reads as escaping the closing quote",
        );
    }
    if !has('\'') && !has('\r') {
        return Ok(Plan::Single { escape: false });
    }
    if !has('`') && !has('\r') {
        return Ok(Plan::Backtick);
    }
    if !has('"') && !value.contains("\\n") && !value.contains("\\r") {
        return Ok(Plan::Double(DoubleEscapes {
            backslash_and_quote: false,
            dollar: false,
            cr: true,
        }));
    }
    Err(
        "it contains all three quote characters (or a carriage return with `\"` or a \
         literal `\\n`/`\\r`), and npm dotenv has no escape for quotes",
    )
}

/// python-dotenv 1.x: `${…}` is expanded in every kind of value, even single
/// quoted, and cannot be escaped; the file is read in universal-newline mode.
fn plan_python(value: &str) -> Result<Plan, &'static str> {
    if python_interpolates(value) {
        return Err(
            "it contains `${…}`, which python-dotenv expands in every kind of \
                    value and has no escape for",
        );
    }
    if !value.contains('\r') {
        Ok(Plan::Single { escape: true })
    } else {
        Ok(Plan::Double(DoubleEscapes {
            backslash_and_quote: true,
            dollar: false,
            cr: true,
        }))
    }
}

/// compose-go `dotenv/parser.go`: single quotes literal; a quote preceded by
/// `\` does not close; double quotes unescape `\X` and expand `$` unless `\$`;
/// quote characters at either end of a quoted value are trimmed.
fn plan_compose(value: &str) -> Result<Plan, &'static str> {
    if value.ends_with('\\') {
        return Err("it ends with a backslash, which compose reads as escaping the closing quote");
    }
    if !value.contains('\'') && !value.contains('\r') {
        return Ok(Plan::Single { escape: false });
    }
    if !value.ends_with('"') {
        return Ok(Plan::Double(DoubleEscapes {
            backslash_and_quote: true,
            dollar: true,
            cr: true,
        }));
    }
    Err(
        "it contains `'` (or a carriage return) and ends with `\"`, which compose trims \
         from a double-quoted value",
    )
}

/// `docker run --env-file` (docker/cli `opts/file.go`): `KEY=` then the rest
/// of the line verbatim, read with a `bufio.Scanner` (64 KiB per line).
fn plan_docker(key: &str, value: &str) -> Result<Plan, &'static str> {
    if value.contains('\n') {
        return Err("it contains a line break, and docker's env-file has no quoting");
    }
    if value.contains('\r') {
        return Err("it contains a carriage return, which docker drops at the end of a line");
    }
    if key.len() + 1 + value.len() >= 64 * 1024 - 1 {
        return Err("the line would exceed docker's 64 KiB line limit");
    }
    Ok(Plan::Bare)
}

/// Whether python-dotenv's `_posix_variable` regex
/// (`\$\{(?P<name>[^\}:]*)(?::-(?P<default>[^\}]*))?\}`, `dotenv/variables.py`)
/// matches anywhere in `value`; python-dotenv expands such a match in every
/// value, quoted or not, with no way to escape it.
fn python_interpolates(value: &str) -> bool {
    value.match_indices("${").any(|(at, _)| {
        let rest = &value[at + 2..];
        let name_end = rest.find(['}', ':']).unwrap_or(rest.len());
        let rest = &rest[name_end..];
        if rest.starts_with('}') {
            return true;
        }
        match rest.strip_prefix(":-") {
            Some(default) => default.contains('}'),
            None => false,
        }
    })
}

fn emit(plan: Plan, value: &str, out: &mut String) {
    match plan {
        Plan::Bare => out.push_str(value),
        Plan::Single { escape } => {
            out.push('\'');
            for c in value.chars() {
                if escape && (c == '\\' || c == '\'') {
                    out.push('\\');
                }
                out.push(c);
            }
            out.push('\'');
        }
        Plan::Backtick => {
            out.push('`');
            out.push_str(value);
            out.push('`');
        }
        Plan::Double(esc) => {
            out.push('"');
            for c in value.chars() {
                match c {
                    '\n' => out.push_str("\\n"),
                    '\r' if esc.cr => out.push_str("\\r"),
                    '\\' | '"' if esc.backslash_and_quote => {
                        out.push('\\');
                        out.push(c);
                    }
                    '$' if esc.dollar => out.push_str("\\$"),
                    _ => out.push(c),
                }
            }
            out.push('"');
        }
    }
}

/// The dialects (in [`Dialect::ALL`] order) that can write `value` for `key`
/// as a [`Format::Dotenv`] line, so a refusal can name the ones that work.
/// Only a list of dialects is returned, never anything of the value.
pub fn writable_dialects(key: &str, value: &str) -> Vec<Dialect> {
    Dialect::ALL
        .into_iter()
        .filter(|d| plan(*d, key, value).is_ok())
        .collect()
}

/// What to tell the user when `dialect` refused the value of `key`: the other
/// dialects that can write it, and the formats that always can.
fn suggestion(dialect: Dialect, key: &str, value: &str) -> String {
    let others: Vec<&str> = writable_dialects(key, value)
        .into_iter()
        .filter(|d| *d != dialect && *d != Dialect::Portable)
        .map(Dialect::as_str)
        .collect();
    let formats = if value.contains('\0') {
        "use --format json"
    } else {
        "use --format shell or json, or `coffer run` to pass it without a file"
    };
    if others.is_empty() {
        formats.to_owned()
    } else {
        format!(
            "if only one parser reads the file, use --dialect {}; otherwise {formats}",
            others.join(" / ")
        )
    }
}

/// Writes `s` as one POSIX shell word: `'…'`, each `'` written `'\''`
/// (everything else is literal inside single quotes).
pub fn shell_word(s: &str, out: &mut String) {
    out.push('\'');
    for c in s.chars() {
        if c == '\'' {
            out.push_str("'\\''");
        } else {
            out.push(c);
        }
    }
    out.push('\'');
}

/// Writes `s` as a JSON string literal, quotes included (RFC 8259 §7:
/// `"` and `\` escaped, control characters as `\n \r \t` or `\u00XX`,
/// everything else as is).
pub fn json_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.push_str("\\u00");
                out.push(char::from(HEX[(c as usize) >> 4]));
                out.push(char::from(HEX[(c as usize) & 0xf]));
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic on unexpected errors
mod tests {
    use super::*;

    fn one(value: &str, dialect: Dialect) -> Result<String, Error> {
        let e = [ExportEntry {
            key: "K",
            value,
            notes: None,
        }];
        render(&e, Format::Dotenv, dialect).map(|s| s.as_str().to_owned())
    }

    #[test]
    fn portable_spellings() {
        let p = Dialect::Portable;
        assert_eq!(
            one("abc-1.2/x:y@z%+,=", p).unwrap(),
            "K=abc-1.2/x:y@z%+,=\n"
        );
        assert_eq!(one("", p).unwrap(), "K=\n");
        assert_eq!(one("a b", p).unwrap(), "K='a b'\n");
        assert_eq!(one("$HOME", p).unwrap(), "K='$HOME'\n");
        assert_eq!(one("it's", p).unwrap(), "K=\"it's\"\n");
        assert_eq!(one("a\nb", p).unwrap(), "K=\"a\\nb\"\n");
        assert!(one("${X}'", p).is_err());
        assert_eq!(one("C:\\dir\\x y", p).unwrap(), "K='C:\\dir\\x y'\n");
        assert_eq!(one("${A", p).unwrap(), "K='${A'\n");
        assert!(one("${A}'", p).is_err());
        assert!(one("a\\\\b", p).is_err());
        assert!(one("a b\\", p).is_err());
        assert!(one("a\rb", p).is_err());
        assert!(one("'\"", p).is_err());
        assert!(one("a\n$b", p).is_err());
    }

    #[test]
    fn dialect_spellings() {
        assert_eq!(one("a\\\\b", Dialect::Rust).unwrap(), "K=\"a\\\\\\\\b\"\n");
        assert_eq!(one("'\"$", Dialect::Rust).unwrap(), "K=\"'\\\"\\$\"\n");
        assert_eq!(one("a\\b'", Dialect::Python).unwrap(), "K='a\\\\b\\''\n");
        assert!(one("${A}", Dialect::Python).is_err());
        assert_eq!(one("a\\\\b", Dialect::Node).unwrap(), "K='a\\\\b'\n");
        assert_eq!(one("'\"", Dialect::Node).unwrap(), "K=`'\"`\n");
        assert_eq!(one(" a#b'\"", Dialect::Docker).unwrap(), "K= a#b'\"\n");
        assert!(one("a\nb", Dialect::Docker).is_err());
        assert_eq!(one("x", Dialect::Docker).unwrap(), "K=x\n");
    }

    #[test]
    fn shell_json_example() {
        let e = [
            ExportEntry {
                key: "A",
                value: "it's",
                notes: Some("line 1\r\n\nline 3"),
            },
            ExportEntry {
                key: "B",
                value: "\"\\\n\u{1}é",
                notes: None,
            },
        ];
        let sh = render(&e, Format::Shell, Dialect::Portable).unwrap();
        assert_eq!(
            sh.as_str(),
            "export A='it'\\''s'\nexport B='\"\\\n\u{1}é'\n"
        );
        let js = render(&e, Format::Json, Dialect::Portable).unwrap();
        assert_eq!(
            js.as_str(),
            "{\n  \"A\": \"it's\",\n  \"B\": \"\\\"\\\\\\n\\u0001é\"\n}\n"
        );
        let ex = render(&e, Format::Example, Dialect::Portable).unwrap();
        assert_eq!(ex.as_str(), "# line 1\n#\n# line 3\nA=\nB=\n");
        assert!(!ex.contains("it's"));
        assert_eq!(
            render(&[], Format::Json, Dialect::Portable)
                .unwrap()
                .as_str(),
            "{}\n"
        );
        assert_eq!(
            render(&[], Format::Dotenv, Dialect::Portable)
                .unwrap()
                .as_str(),
            ""
        );
    }

    #[test]
    fn keys_checked_for_every_format() {
        for f in Format::ALL {
            let bad = [ExportEntry {
                key: "A-B",
                value: "v",
                notes: None,
            }];
            assert!(matches!(
                render(&bad, f, Dialect::Portable),
                Err(Error::InvalidKey { .. })
            ));
            let dup = [
                ExportEntry {
                    key: "A",
                    value: "v",
                    notes: None,
                },
                ExportEntry {
                    key: "A",
                    value: "w",
                    notes: None,
                },
            ];
            assert!(matches!(
                render(&dup, f, Dialect::Portable),
                Err(Error::DuplicateEntry { .. })
            ));
        }
    }

    #[test]
    fn writable_dialects_lists_the_ones_that_work() {
        assert_eq!(writable_dialects("K", "plain"), Dialect::ALL.to_vec());
        let d = writable_dialects("K", "it's \"$x\"");
        assert!(!d.contains(&Dialect::Portable), "{d:?}");
        assert!(d.contains(&Dialect::Node), "{d:?}");
        assert!(writable_dialects("K", "a\0b").is_empty());
    }

    #[test]
    fn suggestion_names_working_dialects() {
        match one("a\\\\b", Dialect::Portable) {
            Err(Error::Unrepresentable { suggestion, .. }) => {
                assert!(suggestion.contains("node"), "{suggestion}");
                assert!(suggestion.contains("rust"), "{suggestion}");
            }
            other => panic!("expected refusal, got {other:?}"),
        }
    }
}
