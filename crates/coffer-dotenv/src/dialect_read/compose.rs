//! `docker compose`'s `.env` reader, transcribed: compose-go's `dotenv`
//! package (`dotenv/parser.go`, `dotenv/env.go` `GetEnvFromFile`) and the
//! `template` package it interpolates with (`template/template.go`), as of
//! compose-spec/compose-go e70e961 (2026-07-21; the parser and template
//! last changed in January 2026, "avoid eager default interpolation").
//!
//! `tests/dialect_read.rs` runs those very Go files (copied unchanged into
//! `tests/interop/compose/`) on the same inputs and requires the same bytes.
//!
//! What compose does, in order, for each statement:
//!
//! - skip whitespace (line breaks included) and `#` comment lines; a UTF-8
//!   BOM at the start is dropped;
//! - `export ` is dropped; the key runs to the first `=`, `:` or line break
//!   (`KEY: value` is YAML style); blanks inside it are skipped while
//!   looking, then a key holding a space is an error; characters other than
//!   letters, digits, `_ . - [ ]` are an error;
//! - a key ended by a line break (`KEY` alone) is taken from compose's
//!   environment: refused here;
//! - a value in `'…'` is verbatim but for `\'`; in `"…"` the escapes
//!   `\a \b \c? \f \n \r \t \v \" \\ \$ \0ooo` are decoded and then
//!   variables interpolated; both may span lines, and whatever follows the
//!   closing quote on the line is read as the next statement;
//! - an unquoted value runs to the end of the line, is cut at the first
//!   ` #` (a space, then `#`), trimmed at the end, and interpolated;
//! - interpolation: `$$` is `$`; `$NAME`, `${NAME}`, `${NAME:-default}`,
//!   `${NAME-default}`, `${NAME:+alt}`, `${NAME+alt}`, `${NAME:?error}`,
//!   `${NAME?error}`, nested in the default; `${` that is none of these is
//!   an error ("Invalid template").
//!
//! compose looks a name up in its own environment *before* the file
//! (`GetEnvFromFile`'s lookup), so any name the file does not define earlier
//! is refused here ([`Error::Unresolvable`]), even with a default: the
//! result would depend on the importing machine. The file's own names are
//! read as compose reads them when its environment does not set them.

use std::sync::OnceLock;

use regex::Regex;
use zeroize::Zeroizing;

use super::{line_at, unresolvable, Collector};
use crate::Error;

/// compose-go's `isSpace`: blanks that do not end a line.
fn go_blank(c: char) -> bool {
    matches!(
        c,
        '\t' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    )
}

/// Go's `regexp` `\s` (ASCII: `[\t\n\f\r ]`), for `^export\s+`.
fn go_re_space(c: char) -> bool {
    matches!(c, '\t' | '\n' | '\u{c}' | '\r' | ' ')
}

/// compose-go's `template.DefaultPattern`, unchanged but for `\{` and `\}`
/// (RE2 takes a bare `{` as a literal; the regex crate wants it escaped).
/// Both engines are leftmost-first, and `.` stops at `\n` in both.
fn template_pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(
            r"\$(?i:(?P<escaped>\$)|(?P<named>[_a-z][_a-z0-9]*)|\{(?:(?P<braced>[_a-z][_a-z0-9]*(?::?[-+?](.*))?)\}|(?P<invalid>)))",
        )
        .expect("a constant pattern, compiled by every test")
    })
}

/// compose-go's `escapeSeqRegex`, `\d` written as Go's ASCII `[0-9]`.
fn escape_pattern() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r#"\\(?:[abcfnrtv$"\\]|0[0-9]{0,3})"#)
            .expect("a constant pattern, compiled by every test")
    })
}

pub(super) fn compose(input: &str, out: &mut Collector) {
    // `bytes.TrimPrefix(data, utf8BOM)`; the BOM holds no line break, so
    // line numbers are unchanged.
    let text = input.strip_prefix('\u{feff}').unwrap_or(input);
    let mut pos = 0;
    loop {
        // `getStatementStart`: skip whitespace and comment lines.
        let Some(skip) = text[pos..].find(|c: char| !c.is_whitespace()) else {
            return;
        };
        pos += skip;
        if text[pos..].starts_with('#') {
            match text[pos..].find('\n') {
                Some(nl) => {
                    pos += nl;
                    continue;
                }
                None => return,
            }
        }
        let line = line_at(text, pos);
        // `locateKeyName`
        let mut src = &text[pos..];
        if src
            .strip_prefix("export")
            .and_then(|r| r.chars().next())
            .is_some_and(go_re_space)
        {
            src = src["export".len()..].trim_start_matches(go_blank);
        }
        let mut end = None;
        for (i, c) in src.char_indices() {
            if go_blank(c) {
                continue;
            }
            match c {
                '=' | ':' | '\n' => {
                    end = Some((i, c == '\n'));
                    break;
                }
                '_' | '.' | '-' | '[' | ']' => {}
                c if c.is_ascii_alphanumeric() => {}
                // Go's `unicode.IsLetter || unicode.IsNumber` accepts other
                // letters; Coffer stores ASCII names only, so such a key is
                // refused either way (here, before compose's exact rule).
                c if !c.is_ascii() && c.is_alphanumeric() => {
                    out.errors.push(Error::Parse {
                        line,
                        reason: "a variable name with letters outside ASCII (compose reads it; Coffer cannot store it)",
                    });
                    return;
                }
                _ => {
                    out.errors.push(Error::Parse {
                        line,
                        reason: "compose refuses a character in this variable name",
                    });
                    return;
                }
            }
        }
        // No `=`, `:` or line break before the end: compose reads the rest
        // as the value of a variable with an empty name.
        let (key_end, value_start, inherited) = match end {
            Some((i, inherited)) => (i, i + 1, inherited),
            None => (0, 0, false),
        };
        let key = src[..key_end].trim_end_matches(char::is_whitespace);
        if key.contains(' ') {
            out.errors.push(Error::Parse {
                line,
                reason: "compose refuses a variable name holding a space",
            });
            return;
        }
        let rest = src[value_start..].trim_start_matches(go_blank);
        pos = text.len() - rest.len();
        if inherited {
            // `KEY` alone: compose takes it from its environment, if set.
            if key.is_empty() {
                out.ignored.push(line);
            } else {
                out.errors.push(unresolvable(
                    line,
                    key,
                    "has no `=`: compose takes such a variable from the environment",
                ));
            }
            continue;
        }
        let (raw, used) = match extract(rest) {
            Some(r) => r,
            None => {
                out.errors.push(Error::Parse {
                    line,
                    reason: "compose refuses a quoted value that is never closed",
                });
                return;
            }
        };
        pos += used;
        let value = match raw {
            Raw::Single(v) => Ok(v),
            Raw::Double(v) => substitute(&unescape(&v), out),
            Raw::Unquoted(v) => substitute(&v, out),
        };
        match value {
            Ok(value) if value.contains('\0') => out.errors.push(Error::Parse {
                line,
                reason: "a NUL character (from a `\\0000` escape): no environment variable can hold it",
            }),
            Ok(value) => out.set(line, key, value),
            Err(Problem::Template) => out.errors.push(Error::Parse {
                line,
                reason: "compose refuses a `${` that is not a variable (\"Invalid template\")",
            }),
            Err(Problem::Required) => out.errors.push(Error::Parse {
                line,
                reason: "compose refuses `${NAME:?…}` where the file's NAME is empty (\"required variable\")",
            }),
            // compose would go on with its environment's value; the import
            // is refused, and the next lines are still read to report them.
            Err(Problem::Unset) => out.errors.push(unresolvable(
                line,
                key,
                "refers to a variable that the file does not define before it; \
                 compose would take it from the environment",
            )),
        }
    }
}

/// A value as written, before escapes and interpolation.
enum Raw {
    /// `'…'`: taken as is.
    Single(Zeroizing<String>),
    /// `"…"`: escapes, then interpolation.
    Double(Zeroizing<String>),
    /// Unquoted: interpolation.
    Unquoted(Zeroizing<String>),
}

/// Why a value cannot be interpolated.
enum Problem {
    /// An invalid `${…}` (compose: an error).
    Template,
    /// `${NAME:?…}` / `${NAME?…}` failing on the file's own value.
    Required,
    /// A name the file does not define: compose would ask its environment.
    Unset,
}

/// `extractVarValue` without the interpolation: the value at the start
/// of `src` and how many bytes of `src` it used; `None` for a quote that is
/// never closed.
fn extract(src: &str) -> Option<(Raw, usize)> {
    let quote = match src.as_bytes().first() {
        Some(&q @ (b'"' | b'\'')) => q,
        _ => {
            let (line, used) = match src.find('\n') {
                Some(nl) => (&src[..nl], nl + 1),
                None => (src, src.len()),
            };
            let line = line.split_once(" #").map_or(line, |(v, _)| v);
            let line = line.trim_end_matches(char::is_whitespace);
            return Some((Raw::Unquoted(Zeroizing::new(line.to_owned())), used));
        }
    };
    let mut chars: Zeroizing<Vec<u8>> = Zeroizing::new(Vec::new());
    let mut escaped = false;
    for (i, &b) in src.as_bytes().iter().enumerate().skip(1) {
        if b != quote {
            if !escaped && b == b'\\' {
                escaped = true;
                continue;
            }
            if escaped {
                escaped = false;
                chars.push(b'\\');
            }
            chars.push(b);
            continue;
        }
        if escaped {
            escaped = false;
            chars.push(b);
            continue;
        }
        // Only ASCII backslashes were dropped, so the bytes are still UTF-8.
        let text = Zeroizing::new(String::from_utf8(std::mem::take(&mut *chars)).ok()?);
        let raw = if quote == b'"' {
            Raw::Double(text)
        } else {
            Raw::Single(text)
        };
        return Some((raw, i + 1));
    }
    None
}

/// `expandEscapes`: the escapes compose decodes in `"…"`, each through Go's
/// `strconv.UnquoteChar`; `\$` becomes `$$` for the interpolation.
fn unescape(s: &str) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(s.len()));
    let mut last = 0;
    for m in escape_pattern().find_iter(s) {
        out.push_str(&s[last..m.start()]);
        last = m.end();
        let esc = m.as_str();
        let decoded = match &esc[1..] {
            "$" => Some("$$".to_owned()),
            "a" => Some("\u{7}".into()),
            "b" => Some("\u{8}".into()),
            "f" => Some("\u{c}".into()),
            "n" => Some("\n".into()),
            "r" => Some("\r".into()),
            "t" => Some("\t".into()),
            "v" => Some("\u{b}".into()),
            "\"" => Some("\"".into()),
            "\\" => Some("\\".into()),
            // `\0ddd` is rewritten to `\ddd`, which UnquoteChar reads only
            // with three octal digits and a value up to 255.
            digits if digits.len() == 4 => {
                let oct = &digits[1..];
                u32::from_str_radix(oct, 8)
                    .ok()
                    .filter(|v| *v <= 255 && oct.bytes().all(|b| (b'0'..=b'7').contains(&b)))
                    .and_then(char::from_u32)
                    .map(String::from)
            }
            // `\c`, `\0`, `\0d`, `\0dd`: UnquoteChar fails, the text stays.
            _ => None,
        };
        out.push_str(decoded.as_deref().unwrap_or(esc));
    }
    out.push_str(&s[last..]);
    out
}

/// `template.Substitute` with compose's lookup, the file's earlier values
/// only: a name the file does not define is [`Problem::Unset`].
fn substitute(template: &str, out: &Collector) -> Result<Zeroizing<String>, Problem> {
    let mut res = Zeroizing::new(String::with_capacity(template.len()));
    let mut last = 0;
    let mut first_err = None;
    for m in template_pattern().find_iter(template) {
        res.push_str(&template[last..m.start()]);
        last = m.end();
        match replacement(m.as_str(), out) {
            Ok(v) => res.push_str(&v),
            // `SubstituteWithOptions` keeps the first error and goes on.
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first_err {
        return Err(e);
    }
    res.push_str(&template[last..]);
    Ok(res)
}

fn look(name: &str, out: &Collector) -> Result<Zeroizing<String>, Problem> {
    out.get(name)
        .map(|v| Zeroizing::new(v.to_owned()))
        .ok_or(Problem::Unset)
}

/// `DefaultReplacementAppliedFunc` for one match of the pattern.
fn replacement(matched: &str, out: &Collector) -> Result<Zeroizing<String>, Problem> {
    // The substitution function is chosen on the whole match, before it is
    // cut at its first closing brace.
    let sep = separator(matched);
    let (sub, rest) = match first_brace_closing(matched) {
        Some(i) => (&matched[..=i], &matched[i + 1..]),
        None => (matched, ""),
    };
    let caps = template_pattern().captures(sub).ok_or(Problem::Template)?;
    let group = |n: &str| caps.name(n).map_or("", |m| m.as_str());
    if !group("escaped").is_empty() {
        return Ok(Zeroizing::new("$".into()));
    }
    let (name, braced) = match group("named") {
        "" => (group("braced"), true),
        n => (n, false),
    };
    if name.is_empty() {
        return Err(Problem::Template);
    }
    if braced {
        if let Some(sep) = sep.filter(|s| name.contains(*s)) {
            let (var, arg) = name.split_once(sep).unwrap_or((name, ""));
            let colon = sep.starts_with(':');
            let value = look(var, out)?;
            let applied = match sep.trim_start_matches(':') {
                // `${VAR:-d}` / `${VAR-d}`: the default when unset (or empty).
                "-" if colon && value.is_empty() => substitute(arg, out)?,
                "-" => value,
                // `${VAR:+a}` / `${VAR+a}`: `a` when set (and not empty).
                "+" if !colon || !value.is_empty() => substitute(arg, out)?,
                "+" => value,
                // `${VAR:?e}` / `${VAR?e}`: an error when unset (or empty).
                _ if colon && value.is_empty() => {
                    substitute(arg, out)?;
                    return Err(Problem::Required);
                }
                _ => value,
            };
            let mut v = applied;
            v.push_str(&substitute(rest, out)?);
            return Ok(v);
        }
    }
    look(name, out)
}

/// `getSubstitutionFunctionForTemplate`: the separator found first in the
/// match (`:?`, `?`, `:-`, `-`, `:+`, `+`), if any.
fn separator(s: &str) -> Option<&'static str> {
    [":?", "?", ":-", "-", ":+", "+"]
        .into_iter()
        .filter_map(|sep| s.find(sep).map(|i| (i, sep)))
        .min_by_key(|(i, _)| *i)
        .map(|(_, sep)| sep)
}

/// `getFirstBraceClosingIndex`, byte for byte (a `{` skips the byte after it).
fn first_brace_closing(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    let mut open = 0i64;
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'}' {
            open -= 1;
            if open == 0 {
                return Some(i);
            }
        }
        if b[i] == b'{' {
            open += 1;
            i += 1;
        }
        i += 1;
    }
    None
}
