//! Reading a `.env` file exactly as one third-party parser reads it
//! (`coffer import --dialect`).
//!
//! [`parse`](crate::parse) reads only what every common parser reads the same
//! way, and refuses the rest. A file written for one tool often contains
//! something the others read differently (a `$`, an inner quote, a `#`) but
//! which that tool reads unambiguously; [`parse_dialect`] reads it the way
//! that tool does. Each reader below is a transcription of the parser named
//! on its [`ImportDialect`] variant, checked against the real parser on the
//! same files by `tests/dialect_read.rs`.
//!
//! Where the parser's result would depend on something outside the file (a
//! variable it does not define, taken from the process environment; a shell
//! command Ruby's dotenv runs), the entry is refused with
//! [`Error::Unresolvable`]: a vault must not store whatever the importing
//! machine's environment happened to hold. Lines the parser skips silently
//! are not an error (the parser skips them too) but are listed in
//! [`DialectParse::ignored_lines`] so that the caller can warn.
//!
//! As everywhere in this crate, errors name lines and keys, never values.

use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use regex::Regex;
use zeroize::Zeroizing;

use crate::{Error, ParsedEntry};

mod compose;
use compose::compose;

/// Which parser [`parse_dialect`] imitates (`coffer import --dialect`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImportDialect {
    /// npm `dotenv` (`dotenv.parse`, the classic `LINE` regex; 16 – 18).
    Node,
    /// `python-dotenv` 1.x (`dotenv_values`, interpolation on).
    Python,
    /// Ruby `dotenv` 2.x (`Dotenv::Parser`, variable and command substitution).
    Ruby,
    /// `docker run --env-file` (docker/cli `opts/file.go`).
    Docker,
    /// `docker compose` (`--env-file`, `env_file:`): compose-go's `dotenv`
    /// package with its `template` interpolation.
    Compose,
}

impl ImportDialect {
    /// All import dialects, in documentation order.
    pub const ALL: [ImportDialect; 5] = [
        ImportDialect::Node,
        ImportDialect::Python,
        ImportDialect::Ruby,
        ImportDialect::Docker,
        ImportDialect::Compose,
    ];

    /// The CLI name (`node`, `python`, `ruby`, `docker`, `compose`).
    pub fn as_str(self) -> &'static str {
        match self {
            ImportDialect::Node => "node",
            ImportDialect::Python => "python",
            ImportDialect::Ruby => "ruby",
            ImportDialect::Docker => "docker",
            ImportDialect::Compose => "compose",
        }
    }
}

impl FromStr for ImportDialect {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        ImportDialect::ALL
            .into_iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| Error::UnknownImportDialect { name: s.to_owned() })
    }
}

impl fmt::Display for ImportDialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What [`parse_dialect`] read.
#[derive(Debug, Default)]
pub struct DialectParse {
    /// One entry per key, in the order keys first appear; when a key is
    /// defined twice the parser's winner (the last definition) is kept, with
    /// the line it starts on.
    pub entries: Vec<ParsedEntry>,
    /// Lines that hold something other than blanks or a comment but that the
    /// parser skips without an error (a line without `=`, a malformed key).
    pub ignored_lines: Vec<usize>,
    /// Keys defined more than once (the parser keeps the last value).
    pub redefined: Vec<String>,
}

/// Reads `input` as `dialect`'s parser does. All or nothing: on `Err` the
/// list holds every problem found (never empty), and no entry is returned.
pub fn parse_dialect(input: &str, dialect: ImportDialect) -> Result<DialectParse, Vec<Error>> {
    if input.contains('\0') {
        // No environment variable can hold a NUL, and the parsers differ on it.
        let line = 1 + input[..input.find('\0').unwrap_or(0)].matches('\n').count();
        return Err(vec![Error::Parse {
            line,
            reason: "NUL character",
        }]);
    }
    let mut out = Collector::default();
    match dialect {
        ImportDialect::Node => node(input, &mut out),
        ImportDialect::Python => python(input, &mut out),
        ImportDialect::Ruby => ruby(input, &mut out),
        ImportDialect::Docker => docker(input, &mut out),
        ImportDialect::Compose => compose(input, &mut out),
    }
    out.finish()
}

/// Collects entries with last-wins semantics, and the problems.
#[derive(Default)]
struct Collector {
    entries: Vec<ParsedEntry>,
    ignored: Vec<usize>,
    redefined: Vec<String>,
    /// Keys python-dotenv read without `=` (see [`Collector::unset`]).
    none_keys: Vec<String>,
    errors: Vec<Error>,
}

impl Collector {
    fn set(&mut self, line: usize, key: &str, value: Zeroizing<String>) {
        self.none_keys.retain(|k| k != key);
        if let Some(e) = self.entries.iter_mut().find(|e| e.key == key) {
            e.value = value;
            e.line = line;
            if !self.redefined.iter().any(|k| k == key) {
                self.redefined.push(key.to_owned());
            }
        } else {
            self.entries.push(ParsedEntry {
                line,
                key: key.to_owned(),
                value,
            });
        }
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|e| e.key == key)
            .map(|e| e.value.as_str())
    }

    fn finish(mut self) -> Result<DialectParse, Vec<Error>> {
        if self.errors.is_empty() {
            self.ignored.sort_unstable();
            self.ignored.dedup();
            Ok(DialectParse {
                entries: self.entries,
                ignored_lines: self.ignored,
                redefined: self.redefined,
            })
        } else {
            self.errors.sort_by_key(|e| e.line().unwrap_or(0));
            Err(self.errors)
        }
    }
}

fn unresolvable(line: usize, key: &str, reason: &'static str) -> Error {
    Error::Unresolvable {
        line,
        key: key.to_owned(),
        reason,
    }
}

/// 1-based line of byte offset `at`.
fn line_at(s: &str, at: usize) -> usize {
    1 + s.as_bytes()[..at].iter().filter(|&&b| b == b'\n').count()
}

/// Lines that have content other than blanks and are not `#` comments, and
/// that no entry covered: what the parser skipped silently.
fn uncovered_lines(text: &str, covered: &[bool], is_blank: impl Fn(char) -> bool) -> Vec<usize> {
    text.split('\n')
        .enumerate()
        .filter(|(i, l)| {
            let t = l.trim_start_matches(&is_blank);
            !t.is_empty() && !t.starts_with('#') && !covered.get(*i).copied().unwrap_or(false)
        })
        .map(|(i, _)| i + 1)
        .collect()
}

// ----- npm dotenv ----------------------------------------------------------

/// JavaScript's `\s` (WhiteSpace and LineTerminator of ECMA-262).
const JS_SPACE: &str = r"[\t\n\x0B\x0C\r \x{A0}\x{1680}\x{2000}-\x{200A}\x{2028}\x{2029}\x{202F}\x{205F}\x{3000}\x{FEFF}]";

fn js_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{a0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200a}'
                | '\u{2028}'
                | '\u{2029}'
                | '\u{202f}'
                | '\u{205f}'
                | '\u{3000}'
                | '\u{feff}'
    )
}

/// npm dotenv's `LINE` (lib/main.js, unchanged from 15.x to 18.x):
///
/// ```text
/// /(?:^|^)\s*(?:export\s+)?([\w.-]+)(?:\s*=\s*?|:\s+?)(\s*'(?:\\'|[^'])*'|\s*"(?:\\"|[^"])*"
///  |\s*`(?:\\`|[^`])*`|[^#\r\n]+)?\s*(?:#.*)?(?:$|$)/mg
/// ```
///
/// transcribed: `\s` as JavaScript's, `\w` ASCII, `.` without line
/// terminators. The regex crate's leftmost-first semantics give the same
/// match and captures as JavaScript's backtracking for a pattern without
/// back-references or look-around. `^`/`$` agree once U+2028/U+2029 (line
/// terminators to JavaScript only) are refused, which [`node`] does.
fn node_line() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let s = JS_SPACE;
        let pattern = format!(
            r#"(?m)^{s}*(?:export{s}+)?([A-Za-z0-9_.\-]+)(?:{s}*={s}*?|:{s}+?)({s}*'(?:\\'|[^'])*'|{s}*"(?:\\"|[^"])*"|{s}*`(?:\\`|[^`])*`|[^#\r\n]+)?{s}*(?:#[^\n\r\x{{2028}}\x{{2029}}]*)?$"#
        );
        // The pattern is a constant; a failure is a bug caught by every test.
        Regex::new(&pattern).expect("a constant pattern, compiled by every test")
    })
}

fn node(input: &str, out: &mut Collector) {
    if let Some(at) = input.find(['\u{2028}', '\u{2029}']) {
        out.errors.push(Error::Parse {
            line: line_at(input, at),
            reason:
                "U+2028 or U+2029 (a line break to JavaScript only): not read with --dialect node",
        });
        return;
    }
    // `lines.replace(/\r\n?/mg, '\n')`
    let text = Zeroizing::new(input.replace("\r\n", "\n").replace('\r', "\n"));
    let lines = text.split('\n').count();
    let mut covered = vec![false; lines];
    for caps in node_line().captures_iter(&text) {
        let (Some(all), Some(key)) = (caps.get(0), caps.get(1)) else {
            continue;
        };
        let first = line_at(&text, all.start()) - 1;
        let last = line_at(&text, all.end()) - 1;
        for c in covered.iter_mut().take(last + 1).skip(first) {
            *c = true;
        }
        let raw = caps.get(2).map_or("", |m| m.as_str());
        let value = raw.trim_matches(js_space);
        let quote = value.chars().next();
        // `value.replace(/^(['"`])([\s\S]*)\1$/mg, '$2')`: the value here
        // starts with the quote, so the first match (at 0) runs to the last
        // quote that ends the value; that is the whole value.
        let mut v = match quote {
            Some(q @ ('\'' | '"' | '`')) if value.len() >= 2 && value.ends_with(q) => {
                Zeroizing::new(value[1..value.len() - 1].to_owned())
            }
            _ => Zeroizing::new(value.to_owned()),
        };
        if quote == Some('"') {
            v = Zeroizing::new(v.replace("\\n", "\n").replace("\\r", "\r"));
        }
        out.set(line_at(&text, key.start()), key.as_str(), v);
    }
    out.ignored = uncovered_lines(&text, &covered, js_space);
}

// ----- python-dotenv -------------------------------------------------------

/// Python's `\s` for `str` patterns (`str.isspace`): Rust's White_Space
/// plus the four ASCII separators U+001C – U+001F.
fn py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// `[^\S\r\n]`: whitespace that does not end a line.
fn py_blank(c: char) -> bool {
    py_space(c) && c != '\r' && c != '\n'
}

/// python-dotenv's `_posix_variable`: `\$\{([^}:]*)(?::-([^}]*))?\}`.
fn posix_variable() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        Regex::new(r"\$\{([^}:]*)(?::-([^}]*))?\}")
            .expect("a constant pattern, compiled by every test")
    })
}

/// A cursor over python-dotenv's input (`dotenv/parser.py`, `Reader`).
struct PyReader<'a> {
    s: &'a str,
    pos: usize,
}

/// A key and its raw value (`None`: the key has no `=`).
type PyBinding = (String, Option<Zeroizing<String>>);

/// `read_regex` failed: python-dotenv's `Error`, which makes it skip the
/// rest of the line.
struct PyMiss;

impl PyReader<'_> {
    fn rest(&self) -> &str {
        &self.s[self.pos..]
    }
    fn peek(&self) -> Option<char> {
        self.rest().chars().next()
    }
    /// Consumes the longest prefix whose chars satisfy `f`; returns it.
    fn take_while(&mut self, f: impl Fn(char) -> bool) -> &str {
        let start = self.pos;
        let n = self
            .rest()
            .char_indices()
            .find(|(_, c)| !f(*c))
            .map_or(self.rest().len(), |(i, _)| i);
        self.pos += n;
        &self.s[start..self.pos]
    }
    /// `'…'` or `"…"` with `\\.` escapes (DOTALL): the raw inside.
    fn quoted(&mut self, q: char) -> Result<&str, PyMiss> {
        let body = &self.rest()[1..];
        let mut it = body.char_indices();
        while let Some((i, c)) = it.next() {
            if c == '\\' {
                if it.next().is_none() {
                    return Err(PyMiss);
                }
            } else if c == q {
                let start = self.pos + 1;
                self.pos = start + i + 1;
                return Ok(&self.s[start..start + i]);
            }
        }
        Err(PyMiss)
    }

    fn binding(&mut self) -> Result<Option<PyBinding>, PyMiss> {
        // `_export`: `(?:export[^\S\r\n]+)?`
        if let Some(after) = self.rest().strip_prefix("export") {
            let n: usize = after
                .chars()
                .take_while(|c| py_blank(*c))
                .map(char::len_utf8)
                .sum();
            if n > 0 {
                self.pos += 6 + n;
            }
        }
        // parse_key
        let key = match self.peek() {
            Some('#') => None,
            Some('\'') => {
                // `'([^']+)'`
                let body = &self.rest()[1..];
                match body.find('\'') {
                    Some(i) if i > 0 => {
                        let k = body[..i].to_owned();
                        self.pos += i + 2;
                        Some(k)
                    }
                    _ => return Err(PyMiss),
                }
            }
            _ => {
                // `([^=\#\s]+)`
                let k = self.take_while(|c| c != '=' && c != '#' && !py_space(c));
                if k.is_empty() {
                    return Err(PyMiss);
                }
                Some(k.to_owned())
            }
        };
        self.take_while(py_blank);
        let value = if self.peek() == Some('=') {
            self.pos += 1;
            let blanks = self.take_while(py_blank).len();
            if blanks > 0 && self.peek() == Some('#') {
                Some(Zeroizing::new(String::new()))
            } else {
                Some(self.value()?)
            }
        } else {
            None
        };
        // `_comment`: `(?:[^\S\r\n]*#[^\r\n]*)?`
        let save = self.pos;
        self.take_while(py_blank);
        if self.peek() == Some('#') {
            self.take_while(|c| c != '\r' && c != '\n');
        } else {
            self.pos = save;
        }
        // `_end_of_line`: `[^\S\r\n]*(?:\r\n|\n|\r|$)`
        self.take_while(py_blank);
        match self.peek() {
            None => {}
            Some('\n') => self.pos += 1,
            Some(_) => return Err(PyMiss),
        }
        Ok(key.map(|k| (k, value)))
    }

    fn value(&mut self) -> Result<Zeroizing<String>, PyMiss> {
        match self.peek() {
            Some(q @ ('\'' | '"')) => {
                let raw = self.quoted(q)?;
                Ok(py_unescape(raw, q == '"'))
            }
            None | Some('\n') => Ok(Zeroizing::new(String::new())),
            Some(_) => {
                // `([^\r\n]*)`, then `re.sub(r"\s+#.*", "", part).rstrip()`
                let part = self.take_while(|c| c != '\r' && c != '\n');
                let mut cut = part.len();
                let mut run_start = None;
                for (i, c) in part.char_indices() {
                    if py_space(c) {
                        run_start.get_or_insert(i);
                    } else {
                        if c == '#' {
                            if let Some(r) = run_start {
                                cut = r;
                                break;
                            }
                        }
                        run_start = None;
                    }
                }
                Ok(Zeroizing::new(
                    part[..cut].trim_end_matches(py_space).to_owned(),
                ))
            }
        }
    }
}

/// `decode_escapes`: `\\[\\']` in single quotes; `\\[\\'\"abfnrtv]` in
/// double quotes (decoded with Python's `unicode-escape` codec).
fn py_unescape(raw: &str, double: bool) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(raw.len()));
    let mut it = raw.chars().peekable();
    while let Some(c) = it.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        let decoded = match (it.peek().copied(), double) {
            (Some(n @ ('\\' | '\'')), _) => Some(n),
            (Some('"'), true) => Some('"'),
            (Some('a'), true) => Some('\u{7}'),
            (Some('b'), true) => Some('\u{8}'),
            (Some('f'), true) => Some('\u{c}'),
            (Some('n'), true) => Some('\n'),
            (Some('r'), true) => Some('\r'),
            (Some('t'), true) => Some('\t'),
            (Some('v'), true) => Some('\u{b}'),
            _ => None,
        };
        match decoded {
            Some(d) => {
                out.push(d);
                it.next();
            }
            None => out.push('\\'),
        }
    }
    out
}

fn python(input: &str, out: &mut Collector) {
    // `open()` in text mode: universal newlines; then `removeprefix("\ufeff")`.
    let text = Zeroizing::new(input.replace("\r\n", "\n").replace('\r', "\n"));
    let text: &str = text.strip_prefix('\u{feff}').unwrap_or(&text);
    let mut r = PyReader { s: text, pos: 0 };
    // Raw values in file order; `None` is a key without `=`.
    let mut raw: Vec<(usize, String, Option<Zeroizing<String>>)> = Vec::new();
    loop {
        // `_multiline_whitespace`: `\s*`
        r.take_while(py_space);
        if r.pos >= text.len() {
            break;
        }
        let line = line_at(text, r.pos);
        match r.binding() {
            Ok(Some((key, value))) => raw.push((line, key, value)),
            Ok(None) => {}
            Err(PyMiss) => {
                // python-dotenv warns "could not parse statement starting at
                // line N" and skips to the end of the line.
                out.ignored.push(line);
                r.take_while(|c| c != '\n');
                if r.peek() == Some('\n') {
                    r.pos += 1;
                }
            }
        }
    }
    // `resolve_variables(values, override=True)`: `${NAME}` and
    // `${NAME:-default}` in every value (single-quoted too); the file's
    // earlier values win over the process environment.
    for (line, key, value) in raw {
        let Some(value) = value else {
            // `KEY` alone: python-dotenv's value is None (unset). Nothing to
            // import; later `${KEY}` reads it as "".
            out.unset(&key);
            continue;
        };
        let mut resolved = Zeroizing::new(String::with_capacity(value.len()));
        let mut cursor = 0;
        let mut bad = false;
        for caps in posix_variable().captures_iter(&value) {
            let (Some(all), Some(name)) = (caps.get(0), caps.get(1)) else {
                continue;
            };
            resolved.push_str(&value[cursor..all.start()]);
            cursor = all.end();
            if let Some(v) = out.get(name.as_str()) {
                resolved.push_str(v);
            } else if out.is_none_key(name.as_str()) {
                // Defined without a value: resolves to "".
            } else {
                out.errors.push(unresolvable(
                    line,
                    &key,
                    "refers to a variable (`${…}`) that the file does not define before it; \
                     python-dotenv would take it from the environment",
                ));
                bad = true;
                break;
            }
        }
        if bad {
            continue;
        }
        resolved.push_str(&value[cursor..]);
        out.set(line, &key, resolved);
    }
}

impl Collector {
    /// A python-dotenv key read without `=`: its value is `None` (unset),
    /// replacing an earlier value. Not imported; a later `${KEY}` reads "".
    fn unset(&mut self, key: &str) {
        self.entries.retain(|e| e.key != key);
        if !self.none_keys.iter().any(|k| k == key) {
            self.none_keys.push(key.to_owned());
        }
    }
    fn is_none_key(&self, key: &str) -> bool {
        self.none_keys.iter().any(|k| k == key)
    }
}

// ----- Ruby dotenv ---------------------------------------------------------

/// Ruby dotenv 2.x's `Dotenv::Parser::LINE` (`lib/dotenv/parser.rb`):
///
/// ```text
/// \A \s* (?:export\s+)? ([\w\.]+) (?:\s*=\s*|:\s+?)
///   ( '(?:\'|[^'])*' | "(?:\"|[^"])*" | [^#\n]+ )? \s* (?:\#.*)? \z   (/x)
/// ```
///
/// transcribed with Ruby's ASCII `\s` and `\w`. (`\'` in an `/x` regex is a
/// plain `'`, so the quoted alternatives are greedy `'.*'`.)
fn ruby_line() -> &'static Regex {
    static RE: OnceLock<Regex> = OnceLock::new();
    RE.get_or_init(|| {
        let s = r"[ \t\n\x0B\x0C\r]";
        let pattern = format!(
            r#"\A{s}*(?:export{s}+)?([A-Za-z0-9_.]+)(?:{s}*={s}*|:{s}+?)('(?:'|[^'])*'|"(?:"|[^"])*"|[^#\n]+)?{s}*(?:#[^\n]*)?\z"#
        );
        Regex::new(&pattern).expect("a constant pattern, compiled by every test")
    })
}

fn ruby_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r')
}

fn ruby(input: &str, out: &mut Collector) {
    // `File.open(name, "rb:bom|utf-8")`
    let text = input.strip_prefix('\u{feff}').unwrap_or(input);
    // `@string.split(/[\n\r]+/)`, keeping each piece's line number.
    let mut pieces: Vec<(usize, &str)> = Vec::new();
    let mut line = 1;
    let mut start = 0;
    let bytes = text.as_bytes();
    let mut i = 0;
    while i <= bytes.len() {
        if i == bytes.len() || bytes[i] == b'\n' || bytes[i] == b'\r' {
            pieces.push((line, &text[start..i]));
            while i < bytes.len() && (bytes[i] == b'\n' || bytes[i] == b'\r') {
                if bytes[i] == b'\n' {
                    line += 1;
                }
                i += 1;
            }
            start = i;
            if i == bytes.len() {
                break;
            }
        } else {
            i += 1;
        }
    }
    for (line, piece) in pieces {
        if let Some(caps) = ruby_line().captures(piece) {
            let Some(key) = caps.get(1) else { continue };
            let raw = caps.get(2).map_or("", |m| m.as_str());
            match ruby_value(raw, out) {
                Ok(v) => out.set(line, key.as_str(), v),
                Err(reason) => out.errors.push(unresolvable(line, key.as_str(), reason)),
            }
            continue;
        }
        let mut words = piece.split(ruby_space).filter(|w| !w.is_empty());
        match words.next() {
            // `export A B`: Ruby raises FormatError unless every name is set.
            Some("export") if !words.all(|w| out.get(w).is_some()) => {
                out.errors.push(Error::Parse {
                    line,
                    reason: "`export` names a variable the file does not set: Ruby's dotenv \
                             refuses the whole file",
                });
            }
            Some(w) if !w.starts_with('#') => out.ignored.push(line),
            _ => {}
        }
    }
}

/// `Dotenv::Parser#parse_value` for one raw value.
fn ruby_value(raw: &str, out: &Collector) -> Result<Zeroizing<String>, &'static str> {
    // `value.strip.sub(/\A(['"])(.*)\1\z/, '\2')`
    let v = raw.trim_matches(|c: char| ruby_space(c) || c == '\0');
    let quote = match v.chars().next() {
        Some(q @ ('\'' | '"')) if v.len() >= 2 && v.ends_with(q) => Some(q),
        _ => None,
    };
    let mut v = Zeroizing::new(match quote {
        Some(_) => v[1..v.len() - 1].to_owned(),
        None => v.to_owned(),
    });
    if quote == Some('"') {
        // `expand_newlines`, then `unescape_characters`: `\\([^$])` -> `\1`.
        let nl = Zeroizing::new(v.replace("\\n", "\n").replace("\\r", "\r"));
        let mut u = Zeroizing::new(String::with_capacity(nl.len()));
        let mut it = nl.chars().peekable();
        while let Some(c) = it.next() {
            match (c, it.peek()) {
                ('\\', Some(&n)) if n != '$' => {
                    u.push(n);
                    it.next();
                }
                _ => u.push(c),
            }
        }
        v = u;
    }
    if quote == Some('\'') {
        return Ok(v);
    }
    let v = ruby_variables(&v, out)?;
    ruby_commands(&v)
}

fn ruby_name_char(c: char) -> bool {
    // `[A-Z0-9_]` under `/i`: Onigmo's case folding adds U+017F and U+212A.
    c.is_ascii_alphanumeric() || c == '_' || c == '\u{17f}' || c == '\u{212a}'
}

/// `Dotenv::Substitutions::Variable`: `(\\)?(\$)(?!\()\{?([A-Z0-9_]+)?\}?`/i.
fn ruby_variables(v: &str, out: &Collector) -> Result<Zeroizing<String>, &'static str> {
    let mut res = Zeroizing::new(String::with_capacity(v.len()));
    let mut i = 0;
    while i < v.len() {
        let rest = &v[i..];
        let escaped = rest.starts_with("\\$");
        let dollar = if escaped { 1 } else { 0 };
        if !(escaped || rest.starts_with('$')) || rest[dollar + 1..].starts_with('(') {
            let c = rest.chars().next().unwrap_or('\0');
            res.push(c);
            i += c.len_utf8();
            continue;
        }
        let mut j = dollar + 1;
        if rest[j..].starts_with('{') {
            j += 1;
        }
        let name_start = j;
        j += rest[j..]
            .char_indices()
            .find(|(_, c)| !ruby_name_char(*c))
            .map_or(rest.len() - j, |(k, _)| k);
        let name = &rest[name_start..j];
        if rest[j..].starts_with('}') {
            j += 1;
        }
        let matched = &rest[..j];
        if escaped {
            res.push_str(&matched[1..]);
        } else if name.is_empty() {
            res.push_str(matched);
        } else {
            match out.get(name) {
                Some(val) => res.push_str(val),
                None => {
                    return Err("refers to a variable (`$…`) that the file does not define \
                                before it; Ruby's dotenv would take it from the environment")
                }
            }
        }
        i += j;
    }
    Ok(res)
}

/// Length of a balanced `(…)` at the start of `s` in which every pair holds
/// something (`\((?:[^()]|\g<cmd>)+\)`), or `None`.
fn balanced(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    if b.first() != Some(&b'(') {
        return None;
    }
    let mut depth = 0usize;
    let mut empty = Vec::new();
    for (i, &c) in b.iter().enumerate() {
        match c {
            b'(' => {
                if let Some(e) = empty.last_mut() {
                    *e = false;
                }
                depth += 1;
                empty.push(true);
            }
            b')' => {
                if empty.pop() != Some(false) {
                    return None;
                }
                depth -= 1;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {
                if let Some(e) = empty.last_mut() {
                    *e = false;
                }
            }
        }
    }
    None
}

/// `Dotenv::Substitutions::Command`: an unescaped `$(…)` runs a shell
/// command, refused; `\$(…)` loses its backslash.
fn ruby_commands(v: &str) -> Result<Zeroizing<String>, &'static str> {
    let mut res = Zeroizing::new(String::with_capacity(v.len()));
    let mut i = 0;
    while i < v.len() {
        let rest = &v[i..];
        let escaped = rest.starts_with("\\$");
        let dollar = if escaped { 1 } else { 0 };
        if escaped || rest.starts_with('$') {
            if let Some(n) = balanced(&rest[dollar + 1..]) {
                if !escaped {
                    return Err("holds `$(…)`, a shell command Ruby's dotenv runs \
                                to make the value; a command's output is not imported");
                }
                res.push_str(&rest[1..dollar + 1 + n]);
                i += dollar + 1 + n;
                continue;
            }
        }
        let c = rest.chars().next().unwrap_or('\0');
        res.push(c);
        i += c.len_utf8();
    }
    Ok(res)
}

// ----- docker --env-file ---------------------------------------------------

fn docker(input: &str, out: &mut Collector) {
    // `bufio.Scanner` with `ScanLines`: split on LF, one trailing CR dropped.
    for (n, raw) in input.split_terminator('\n').enumerate() {
        let line = n + 1;
        let mut l = raw.strip_suffix('\r').unwrap_or(raw);
        if l.len() >= 64 * 1024 {
            out.errors.push(Error::Parse {
                line,
                reason: "a line of 64 KiB or more: docker's line scanner stops there",
            });
            return;
        }
        if n == 0 {
            l = l.strip_prefix('\u{feff}').unwrap_or(l);
        }
        // `strings.TrimLeftFunc(line, unicode.IsSpace)`
        let l = l.trim_start();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let (var, value) = match l.split_once('=') {
            Some((k, v)) => (k, Some(v)),
            None => (l, None),
        };
        let var = var.trim_start_matches([' ', '\t']);
        if var.is_empty() || var.contains([' ', '\t']) {
            out.errors.push(Error::Parse {
                line,
                reason: "docker refuses a variable name that is empty or holds blanks",
            });
            continue;
        }
        match value {
            Some(v) => out.set(line, var, Zeroizing::new(v.to_owned())),
            None => out.errors.push(unresolvable(
                line,
                var,
                "has no `=`: docker takes such a variable from the environment",
            )),
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic on unexpected errors
mod tests {
    use super::*;

    fn kv(input: &str, d: ImportDialect) -> Vec<(String, String)> {
        parse_dialect(input, d)
            .unwrap()
            .entries
            .into_iter()
            .map(|e| (e.key, e.value.as_str().to_owned()))
            .collect()
    }

    fn p(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn node_reads_quotes_and_dollars_literally() {
        let f = "A=\"it's $x\"\nB='say \"hi\"'\nC=a#b\nD=\"l1\\nl2\"\nE=`x'y\"z`\nA=again\n";
        assert_eq!(
            kv(f, ImportDialect::Node),
            vec![
                p("A", "again"),
                p("B", "say \"hi\""),
                p("C", "a"),
                p("D", "l1\nl2"),
                p("E", "x'y\"z"),
            ]
        );
        let r = parse_dialect("garbage line\nA=1\n# c\n", ImportDialect::Node).unwrap();
        assert_eq!(r.ignored_lines, vec![1]);
    }

    #[test]
    fn python_escapes_and_interpolation() {
        let f = "A='it\\'s'\nB=\"${A}-x\"\nC=v #c\nD='${A:-z}'\nE\nF=${E}!\n";
        assert_eq!(
            kv(f, ImportDialect::Python),
            vec![
                p("A", "it's"),
                p("B", "it's-x"),
                p("C", "v"),
                p("D", "it's"),
                p("F", "!")
            ]
        );
        let e = parse_dialect("A=${HOME_NOT_IN_FILE}\n", ImportDialect::Python).unwrap_err();
        assert!(matches!(e[0], Error::Unresolvable { line: 1, .. }));
    }

    #[test]
    fn ruby_substitutions() {
        let f = "A=x\nB=\"$A-${A}\"\nC='$A'\nD=\\$(echo hi)\nE=\"a\\tb\"\n";
        assert_eq!(
            kv(f, ImportDialect::Ruby),
            vec![
                p("A", "x"),
                p("B", "x-x"),
                p("C", "$A"),
                p("D", "$(echo hi)"),
                p("E", "atb")
            ]
        );
        for bad in ["A=$(id)\n", "A=$NOPE\n", "export NOPE\n"] {
            assert!(parse_dialect(bad, ImportDialect::Ruby).is_err(), "{bad}");
        }
    }

    #[test]
    fn docker_verbatim() {
        let f = "\u{feff}A=\"q\" # x\n  B=$y\r\n#c\n";
        assert_eq!(
            kv(f, ImportDialect::Docker),
            vec![p("A", "\"q\" # x"), p("B", "$y")]
        );
        assert!(parse_dialect("A\n", ImportDialect::Docker).is_err());
        assert!(parse_dialect("A B=1\n", ImportDialect::Docker).is_err());
    }

    #[test]
    fn fail_errors_carry_no_value() {
        for d in ImportDialect::ALL {
            if let Err(es) = parse_dialect("K=$(canary-c4n4ry)${CANARYX}$CANARYY\nK2\0\n", d) {
                for e in es {
                    assert!(!format!("{e} {e:?}").to_lowercase().contains("c4n4ry"));
                }
            }
        }
    }

    /// From compose-go's `dotenv/fixtures` and its documentation
    /// ("Interpolation" in the Compose file reference).
    #[test]
    fn compose_interpolation_quotes_and_comments() {
        let f = "A=1\nB=${A}\nC=$B\nD=${A}_${B}\nE=\"a\\$b $$c\"\nF='$A \\'q\\''\n\
                 export G = v # c\nH=a#b\nI=${A:-x}${NOPE_IS_A:+y}\nJ=\"l1\\nl2\"\nK: yaml\n";
        let f = f.replace("${NOPE_IS_A:+y}", "${A:+y}");
        assert_eq!(
            kv(&f, ImportDialect::Compose),
            vec![
                p("A", "1"),
                p("B", "1"),
                p("C", "1"),
                p("D", "1_1"),
                p("E", "a$b $c"),
                p("F", "$A 'q'"),
                p("G", "v"),
                p("H", "a#b"),
                p("I", "1y"),
                p("J", "l1\nl2"),
                p("K", "yaml"),
            ]
        );
    }

    #[test]
    fn compose_fail_environment_and_invalid() {
        for (f, unresolvable) in [
            ("A=${HOME_NOT_IN_FILE}\n", true),
            ("A=${NOPE:-default}\n", true),
            ("A\n", true),
            ("A=${}\n", false),
            ("A=\"open\n", false),
            ("E=\nA=${E:?must be set}\n", false),
        ] {
            let e = parse_dialect(f, ImportDialect::Compose).unwrap_err();
            assert_eq!(
                matches!(e[0], Error::Unresolvable { .. }),
                unresolvable,
                "{f:?}: {e:?}"
            );
        }
    }
}
