//! Templates for `coffer inject`: any text with `{{ coffer://… }}`
//! placeholders, each with an optional escaping filter
//! (`{{ coffer://… | json }}`). The rules (what each filter emits, what is
//! refused) are in `docs/references.md`.
//!
//! Only `{{` followed (after optional blanks) by `coffer://` opens a
//! placeholder: other `{{ … }}` (Helm, Jinja, Mustache) pass through
//! untouched. A placeholder lies on one line.
//!
//! ```
//! use coffer_vault::template::Template;
//!
//! let t = Template::parse("password: {{ coffer://web/prod/DB_PASSWORD | yaml }}\n", "app.yaml")?;
//! assert_eq!(t.references().len(), 1);
//! # Ok::<(), coffer_vault::Error>(())
//! ```

use coffer_crypto::SecretString;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::ops::ReadAction;
use crate::reference::{Located, Reference, SCHEME};
use crate::vault::Vault;

/// How a value is written where its placeholder was.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Filter {
    /// Verbatim; a value with a line break only on a line of its own.
    Raw,
    /// A complete JSON string literal, quotes included (RFC 8259), as
    /// `coffer export --format json` writes values.
    Json,
    /// A complete YAML double-quoted scalar on one line, quotes included.
    Yaml,
    /// One POSIX shell word: `'…'`, each `'` written `'\''`.
    Shell,
    /// The value as `coffer export` spells it in a portable `.env`.
    Dotenv,
}

impl Filter {
    /// Every filter's name, for messages.
    pub const NAMES: &'static str = "raw, json, yaml, shell, dotenv";

    /// Parses a filter name.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "raw" => Filter::Raw,
            "json" => Filter::Json,
            "yaml" => Filter::Yaml,
            "shell" => Filter::Shell,
            "dotenv" => Filter::Dotenv,
            _ => return None,
        })
    }
}

/// One placeholder.
#[derive(Debug)]
struct Slot {
    /// Byte range of `{{ … }}` in the text.
    start: usize,
    end: usize,
    filter: Filter,
    /// Nothing else (not even blanks) on its line.
    alone: bool,
}

/// A parsed template: the text and its placeholders.
#[derive(Debug)]
pub struct Template<'t> {
    text: &'t str,
    slots: Vec<Slot>,
    refs: Vec<Located>,
}

impl<'t> Template<'t> {
    /// Finds every placeholder of `text`; `name` names the file in errors
    /// ("app.yaml line 3: …"). A malformed placeholder, a bad reference or
    /// an unknown filter is [`Error::InvalidInput`] naming the line.
    pub fn parse(text: &'t str, name: &str) -> Result<Self> {
        let mut slots = Vec::new();
        let mut refs = Vec::new();
        let mut line = 1usize;
        let mut counted = 0usize;
        let mut from = 0usize;
        while let Some(off) = text[from..].find("{{") {
            let start = from + off;
            let after = text[start + 2..].trim_start_matches([' ', '\t']);
            if !after.starts_with(SCHEME) {
                // `{{{ coffer://… }}}`: the placeholder may start one brace later.
                from = start + 1;
                continue;
            }
            line += text.as_bytes()[counted..start]
                .iter()
                .filter(|&&b| b == b'\n')
                .count();
            counted = start;
            let bad = |why: &str| Error::InvalidInput(format!("{name} line {line}: {why}"));
            let line_end = text[start..].find('\n').map_or(text.len(), |i| start + i);
            let close = text[start..line_end]
                .find("}}")
                .map(|i| start + i)
                .ok_or_else(|| {
                    bad("a {{ coffer://… }} placeholder is not closed by }} on its line")
                })?;
            let inner = text[start + 2..close].trim_matches([' ', '\t']);
            let (reference, filter) = match inner.split_once('|') {
                Some((r, f)) => {
                    let f = f.trim_matches([' ', '\t']);
                    let filter = Filter::parse(f).ok_or_else(|| {
                        bad(&format!(
                            "unknown filter {f:?} (filters: {})",
                            Filter::NAMES
                        ))
                    })?;
                    (r.trim_end_matches([' ', '\t']), filter)
                }
                None => (inner, Filter::Raw),
            };
            let reference = Reference::parse(reference).map_err(|e| bad(&e.to_string()))?;
            let end = close + 2;
            let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
            let alone =
                line_start == start && text[end..line_end].trim_end_matches('\r').is_empty();
            refs.push(Located {
                reference,
                place: format!("{name} line {line}"),
            });
            slots.push(Slot {
                start,
                end,
                filter,
                alone,
            });
            from = end;
        }
        Ok(Template { text, slots, refs })
    }

    /// The references, in order of appearance (one per placeholder).
    pub fn references(&self) -> &[Located] {
        &self.refs
    }

    /// Renders with `values` (one per reference, in order). Refuses, naming
    /// the line and reference, a value its filter cannot place.
    pub fn render(&self, values: &[SecretString]) -> Result<Zeroizing<String>> {
        if values.len() != self.slots.len() {
            return Err(Error::InvalidInput(
                "a template needs one value per placeholder".into(),
            ));
        }
        // Room for the worst escaping (a control character becomes the six
        // bytes of `\u00XX`), so the buffer never reallocates: a move
        // would leave a copy of the values behind in freed memory.
        let extra: usize = values.iter().map(|v| v.len() * 6 + 8).sum();
        let mut out = Zeroizing::new(String::with_capacity(self.text.len() + extra));
        let mut at = 0;
        for ((slot, value), loc) in self.slots.iter().zip(values).zip(&self.refs) {
            out.push_str(&self.text[at..slot.start]);
            // Placing the value in the output is the point of `inject`.
            apply(slot.filter, value.expose_secret(), slot.alone, &mut out).map_err(|why| {
                Error::InvalidInput(format!("{}: {}: {why}", loc.place, loc.reference))
            })?;
            at = slot.end;
        }
        out.push_str(&self.text[at..]);
        Ok(out)
    }
}

/// Writes `value` through `filter` into `out`; on refusal, why (never the value).
pub fn apply(
    filter: Filter,
    value: &str,
    alone: bool,
    out: &mut String,
) -> std::result::Result<(), String> {
    match filter {
        Filter::Raw => {
            if !alone && value.contains(['\n', '\r']) {
                return Err("the value has a line break, which raw cannot place inside a line: use | json, | yaml, | shell or | dotenv, or put the placeholder alone on its line".into());
            }
            out.push_str(value);
        }
        Filter::Json => coffer_dotenv::json_string(value, out),
        Filter::Yaml => yaml_string(value, out),
        Filter::Shell => coffer_dotenv::shell_word(value, out),
        Filter::Dotenv => {
            let entry = [coffer_dotenv::ExportEntry {
                key: "V",
                value,
                notes: None,
            }];
            let text = coffer_dotenv::render(
                &entry,
                coffer_dotenv::Format::Dotenv,
                coffer_dotenv::Dialect::Portable,
            )
            .map(Zeroizing::new)
            .map_err(|e| match e {
                coffer_dotenv::Error::Unrepresentable { reason, .. } => format!(
                    "no portable .env spelling exists for the value ({reason}); use | json or | shell, or coffer run"
                ),
                other => other.to_string(),
            })?;
            let spelled = text
                .strip_prefix("V=")
                .and_then(|t| t.strip_suffix('\n'))
                .ok_or_else(|| "internal: unexpected dotenv rendering".to_string())?;
            out.push_str(spelled);
        }
    }
    Ok(())
}

fn yaml_string(value: &str, out: &mut String) {
    use std::fmt::Write as _;
    out.push('"');
    for c in value.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{85}' => out.push_str("\\N"),
            '\u{2028}' => out.push_str("\\L"),
            '\u{2029}' => out.push_str("\\P"),
            // Outside YAML's printable set (C0, DEL, C1), and the BOM,
            // which a reader may drop.
            c if (c as u32) < 0x20 || (0x7f..=0x9f).contains(&(c as u32)) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            '\u{feff}' => out.push_str("\\uFEFF"),
            c => out.push(c),
        }
    }
    out.push('"');
}

impl Vault {
    /// Renders `text` (the template file `name`): resolves every reference
    /// in one batch, places each value through its filter, hands the whole
    /// output to `deliver` and, once that succeeded, logs the reads as an
    /// export. Anything that fails (a bad placeholder, a reference that
    /// does not resolve or may not be read, a value its filter cannot
    /// place, the delivery) fails the whole render: nothing is delivered
    /// or logged. Returns the number of placeholders.
    pub fn inject(
        &mut self,
        text: &str,
        name: &str,
        deliver: impl FnOnce(&str) -> Result<()>,
    ) -> Result<usize> {
        let t = Template::parse(text, name)?;
        self.resolve_references(t.references(), ReadAction::Export, |values| {
            let out = t.render(values)?;
            deliver(&out)
        })?;
        Ok(t.slots.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn render(t: &str, values: &[&str]) -> Result<String> {
        let t = Template::parse(t, "t")?;
        let v: Vec<SecretString> = values
            .iter()
            .map(|s| SecretString::new(s.to_string()))
            .collect();
        Ok(t.render(&v)?.to_string())
    }

    #[test]
    fn placeholders_filters_and_untouched_braces() {
        let out = render(
            "a: {{coffer://p/e/K}}\nb: {{ coffer://p/e/K | json }} {{ .Values.x }}\nc: {{  coffer://p/e/K|shell  }}\n",
            &["v1", "x\"y", "it's"],
        )
        .expect("render");
        assert_eq!(out, "a: v1\nb: \"x\\\"y\" {{ .Values.x }}\nc: 'it'\\''s'\n");
    }

    /// Property: parsing and rendering never panic, whatever the text.
    #[test]
    fn parse_and_render_never_panic() {
        const PIECES: &[&str] = &[
            "{{",
            "}}",
            "{",
            "}",
            " ",
            "|",
            "json",
            "raw",
            "yaml",
            "coffer://p/e/K",
            "coffer://",
            "\n",
            "\r",
            "é",
            "?field=url",
            "%",
            "x",
        ];
        let mut next = crate::reference::xorshift(0x2545_F491_4F6C_DD1D);
        for _ in 0..50_000 {
            let mut t = String::new();
            for _ in 0..(next() % 16) {
                t.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
            }
            if let Ok(tpl) = Template::parse(&t, "t") {
                let values: Vec<SecretString> = tpl
                    .references()
                    .iter()
                    .map(|_| SecretString::new("a\nb".into()))
                    .collect();
                let _ = tpl.render(&values);
            }
        }
    }

    #[test]
    fn a_third_brace_stays_text() {
        assert_eq!(
            render("{{{ coffer://p/e/K }}}", &["v"]).expect("render"),
            "{v}"
        );
    }

    #[test]
    fn filters_emit_exactly() {
        let f = |filter, v: &str| {
            let mut s = String::new();
            apply(filter, v, false, &mut s).map(|()| s)
        };
        assert_eq!(
            f(Filter::Json, "a\u{1}\té").as_deref(),
            Ok("\"a\\u0001\\té\"")
        );
        assert_eq!(
            f(Filter::Yaml, "a\u{85}\u{7f}\n").as_deref(),
            Ok("\"a\\N\\x7f\\n\"")
        );
        assert_eq!(f(Filter::Shell, "").as_deref(), Ok("''"));
        assert_eq!(f(Filter::Dotenv, "a b").as_deref(), Ok("'a b'"));
        assert_eq!(f(Filter::Dotenv, "plain").as_deref(), Ok("plain"));
        assert!(f(Filter::Dotenv, "it's \"x\"").is_err());
        assert!(f(Filter::Raw, "a\nb").is_err());
        let mut s = String::new();
        apply(Filter::Raw, "a\nb", true, &mut s).expect("alone");
    }

    #[test]
    fn fail_bad_placeholders_name_the_line() {
        for (t, want) in [
            ("x\n\ny {{ coffer://p/e/K\n}}", "t line 3"),
            ("{{ coffer://p/e/K | base64 }}", "unknown filter"),
            ("\n{{ coffer://p/e }}", "t line 2"),
        ] {
            let e = Template::parse(t, "t").expect_err(t).to_string();
            assert!(e.contains(want), "{e}");
        }
        let e = render("ok\nkey: {{ coffer://p/e/K }} end\n", &["a\nb"]).expect_err("raw");
        assert!(
            e.to_string().starts_with("t line 2: coffer://p/e/K: "),
            "{e}"
        );
        assert!(!e.to_string().contains("a\nb"));
        // Alone on its line, a multi-line raw value is placed.
        assert_eq!(
            render("k: |\n{{ coffer://p/e/K }}\nz\n", &["a\nb"]).expect("alone"),
            "k: |\na\nb\nz\n"
        );
    }
}
