//! Parsing `.env` files for `coffer import`.
//!
//! Accepted syntax (docs/dotenv.md, "Import"): a UTF-8 BOM, LF or CRLF line
//! ends, blank lines, `#` comment lines, an optional `export ` prefix,
//! `KEY=value` with optional spaces or tabs around `=`, and values that are
//! unquoted (ends at a ` #` comment; trailing blanks trimmed), `'single'`
//! (literal) or `"double"` (escapes `\n \r \t \" \\ \$`). Quoted values may span
//! lines. Anything whose meaning differs between the common parsers (a `$`
//! outside single quotes, a backslash or quote in an unquoted value, backtick
//! quotes, unknown escapes, a lone CR) is an error rather than a guess.
//! Errors name the line only, never its text.

use std::fmt;

use zeroize::Zeroizing;

use crate::Error;

/// One `KEY=value` read from a file.
pub struct ParsedEntry {
    /// 1-based line on which the entry starts.
    pub line: usize,
    /// The variable name (validated: `^[A-Za-z_][A-Za-z0-9_]*$`).
    pub key: String,
    /// The value, zeroized on drop.
    pub value: Zeroizing<String>,
}

impl fmt::Debug for ParsedEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ParsedEntry")
            .field("line", &self.line)
            .field("key", &self.key)
            .field("value", &"<redacted>")
            .finish()
    }
}

/// Parses a whole `.env` file. All or nothing: the first bad entry is
/// reported as [`Error::Parse`] (or [`Error::DuplicateKey`]) with the line it
/// starts on, and no entries are returned. [`parse_all`] reports every bad
/// entry instead.
pub fn parse(input: &str) -> Result<Vec<ParsedEntry>, Error> {
    parse_all(input).map_err(|mut errors| errors.swap_remove(0))
}

/// Parses a whole `.env` file and reports **every** bad entry, in line
/// order (the list is never empty on `Err`); still all or nothing: no
/// entries are returned if any is bad.
///
/// After a bad entry the reader resumes at the next line. A value whose
/// opening quote is never closed runs to the end of the file, so nothing
/// after it is reported; an error inside a quoted value that spans lines
/// may make its later lines read as entries of their own (and be reported
/// too): the first error of a run is the one to fix.
pub fn parse_all(input: &str) -> Result<Vec<ParsedEntry>, Vec<Error>> {
    let input = input.strip_prefix('\u{feff}').unwrap_or(input);
    let mut r = Reader {
        s: input.as_bytes(),
        pos: 0,
        line: 1,
    };
    let mut out: Vec<ParsedEntry> = Vec::new();
    let mut errors: Vec<Error> = Vec::new();
    loop {
        r.skip_blanks();
        match r.peek() {
            None => break,
            Some(b'\n') => {
                r.newline();
                continue;
            }
            Some(b'\r') if r.peek_at(1) == Some(b'\n') => {
                r.pos += 1;
                r.newline();
                continue;
            }
            Some(b'#') => {
                let start = r.line;
                if let Err(e) = r.skip_comment(start).and_then(|()| r.end_of_line(start)) {
                    errors.push(e);
                    r.skip_rest_of_line();
                }
                continue;
            }
            Some(_) => {}
        }
        let line = r.line;
        let entry = match r.entry(line) {
            Ok(entry) => entry,
            Err(e) => {
                errors.push(e);
                r.skip_rest_of_line();
                continue;
            }
        };
        if let Some(first) = out.iter().find(|e| e.key == entry.key) {
            errors.push(Error::DuplicateKey {
                key: entry.key,
                first_line: first.line,
                line,
            });
            continue;
        }
        out.push(entry);
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

struct Reader<'a> {
    s: &'a [u8],
    pos: usize,
    line: usize,
}

fn err(line: usize, reason: &'static str) -> Error {
    Error::Parse { line, reason }
}

const LONE_CR: &str = "carriage return not followed by a line feed";
const NUL: &str = "NUL character";

impl Reader<'_> {
    fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    fn peek_at(&self, n: usize) -> Option<u8> {
        self.s.get(self.pos + n).copied()
    }

    fn newline(&mut self) {
        self.pos += 1;
        self.line += 1;
    }

    /// Skips to the start of the next line (after a bad entry).
    fn skip_rest_of_line(&mut self) {
        while let Some(b) = self.peek() {
            if b == b'\n' {
                self.newline();
                return;
            }
            self.pos += 1;
        }
    }

    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// Skips a `#` comment up to (not including) the line end.
    fn skip_comment(&mut self, line: usize) -> Result<(), Error> {
        while let Some(b) = self.peek() {
            match b {
                b'\n' => break,
                b'\r' if self.peek_at(1) == Some(b'\n') => break,
                b'\r' => return Err(err(line, LONE_CR)),
                0 => return Err(err(line, NUL)),
                _ => self.pos += 1,
            }
        }
        Ok(())
    }

    /// Consumes optional blanks, an optional comment and the line end.
    fn end_of_line(&mut self, line: usize) -> Result<(), Error> {
        self.skip_blanks();
        if self.peek() == Some(b'#') {
            self.skip_comment(line)?;
        }
        match self.peek() {
            None => Ok(()),
            Some(b'\n') => {
                self.newline();
                Ok(())
            }
            Some(b'\r') if self.peek_at(1) == Some(b'\n') => {
                self.pos += 1;
                self.newline();
                Ok(())
            }
            Some(_) => Err(err(line, "unexpected text after the closing quote")),
        }
    }

    fn word(&mut self) -> &[u8] {
        let start = self.pos;
        while matches!(self.peek(), Some(b) if b.is_ascii_alphanumeric() || b == b'_') {
            self.pos += 1;
        }
        &self.s[start..self.pos]
    }

    fn entry(&mut self, line: usize) -> Result<ParsedEntry, Error> {
        let save = self.pos;
        let mut key = self.word().to_vec();
        if key == b"export" && matches!(self.peek(), Some(b' ' | b'\t')) {
            self.skip_blanks();
            if self.peek() == Some(b'=') {
                // `export = value`: a variable named "export".
                self.pos = save;
                self.word();
            } else {
                key = self.word().to_vec();
            }
        }
        if key.is_empty() {
            return Err(err(line, "expected a key (letters, digits and `_`)"));
        }
        if key[0].is_ascii_digit() {
            return Err(err(line, "a key must start with a letter or `_`"));
        }
        self.skip_blanks();
        match self.peek() {
            Some(b'=') => self.pos += 1,
            None | Some(b'\n' | b'\r' | b'#') => {
                return Err(err(line, "expected `=` after the key"));
            }
            Some(_) => {
                return Err(err(
                    line,
                    "a key may contain only ASCII letters, digits and `_`, followed by `=`",
                ))
            }
        }
        // Only ASCII bytes were accepted above.
        let key = String::from_utf8_lossy(&key).into_owned();
        self.skip_blanks();
        let value = match self.peek() {
            Some(b'\'') => {
                let v = self.single_quoted(line)?;
                self.end_of_line(line)?;
                v
            }
            Some(b'"') => {
                let v = self.double_quoted(line)?;
                self.end_of_line(line)?;
                v
            }
            Some(b'`') => return Err(err(line, "backtick quotes are not supported")),
            _ => self.unquoted(line)?,
        };
        Ok(ParsedEntry { line, key, value })
    }

    /// Copies `self.s[start..end]` (a char-boundary range) into a value.
    fn push_str(&self, out: &mut String, start: usize, end: usize) {
        // Indices come from ASCII delimiters, so they are char boundaries of a
        // `str`; `from_utf8` cannot fail, and `unwrap_or` keeps clippy happy.
        out.push_str(std::str::from_utf8(&self.s[start..end]).unwrap_or(""));
    }

    fn single_quoted(&mut self, line: usize) -> Result<Zeroizing<String>, Error> {
        self.pos += 1;
        let mut out = Zeroizing::new(String::with_capacity(self.s.len() - self.pos));
        let mut run = self.pos;
        loop {
            match self.peek() {
                None => return Err(err(line, "unterminated single-quoted value")),
                Some(b'\'') => {
                    self.push_str(&mut out, run, self.pos);
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\r') if self.peek_at(1) == Some(b'\n') => {
                    // CRLF inside a quoted value reads as LF, as in every parser.
                    self.push_str(&mut out, run, self.pos);
                    self.pos += 1;
                    run = self.pos;
                    self.newline();
                }
                Some(b'\r') => return Err(err(line, LONE_CR)),
                Some(0) => return Err(err(line, NUL)),
                Some(b'\n') => self.newline(),
                Some(_) => self.pos += 1,
            }
        }
    }

    fn double_quoted(&mut self, line: usize) -> Result<Zeroizing<String>, Error> {
        self.pos += 1;
        let mut out = Zeroizing::new(String::with_capacity(self.s.len() - self.pos));
        let mut run = self.pos;
        loop {
            match self.peek() {
                None => return Err(err(line, "unterminated double-quoted value")),
                Some(b'"') => {
                    self.push_str(&mut out, run, self.pos);
                    self.pos += 1;
                    return Ok(out);
                }
                Some(b'\\') => {
                    self.push_str(&mut out, run, self.pos);
                    let c = match self.peek_at(1) {
                        Some(b'n') => '\n',
                        Some(b'r') => '\r',
                        Some(b't') => '\t',
                        Some(b'"') => '"',
                        Some(b'\\') => '\\',
                        Some(b'$') => '$',
                        _ => {
                            return Err(err(
                                line,
                                "unknown escape in a double-quoted value (known: \\n \\r \\t \\\" \\\\ \\$)",
                            ))
                        }
                    };
                    out.push(c);
                    self.pos += 2;
                    run = self.pos;
                }
                Some(b'$') => {
                    return Err(err(
                        line,
                        "`$` in a double-quoted value: parsers disagree on variable expansion; \
                         write `\\$` or use single quotes",
                    ))
                }
                Some(b'\r') if self.peek_at(1) == Some(b'\n') => {
                    self.push_str(&mut out, run, self.pos);
                    self.pos += 1;
                    run = self.pos;
                    self.newline();
                }
                Some(b'\r') => return Err(err(line, LONE_CR)),
                Some(0) => return Err(err(line, NUL)),
                Some(b'\n') => self.newline(),
                Some(_) => self.pos += 1,
            }
        }
    }

    fn unquoted(&mut self, line: usize) -> Result<Zeroizing<String>, Error> {
        let start = self.pos;
        let mut end = start;
        let mut prev_blank = true; // right after `=` and blanks
        while let Some(b) = self.peek() {
            match b {
                b'\n' => break,
                b'\r' if self.peek_at(1) == Some(b'\n') => break,
                b'\r' => return Err(err(line, LONE_CR)),
                0 => return Err(err(line, NUL)),
                b'#' => {
                    // `KEY= #c` and `KEY=v #c` are comments everywhere; `KEY=#v`
                    // and `KEY=v#c` are a comment to npm dotenv and part of the
                    // value to python-dotenv and dotenvy.
                    if !(prev_blank && self.after_blank(self.pos)) {
                        return Err(err(
                            line,
                            "`#` inside an unquoted value: parsers disagree whether it starts a \
                             comment; quote the value",
                        ));
                    }
                    self.skip_comment(line)?;
                    break;
                }
                b'\'' | b'"' | b'`' => {
                    return Err(err(
                        line,
                        "quote character inside an unquoted value; quote the whole value",
                    ))
                }
                b'\\' => return Err(err(
                    line,
                    "backslash in an unquoted value: parsers disagree on escapes; quote the value",
                )),
                b'$' => {
                    return Err(err(
                        line,
                        "`$` in an unquoted value: parsers disagree on variable expansion; \
                         use single quotes",
                    ))
                }
                b' ' | b'\t' => {
                    prev_blank = true;
                    self.pos += 1;
                    continue;
                }
                _ => {
                    self.pos += 1;
                    end = self.pos;
                }
            }
            prev_blank = false;
        }
        let mut out = Zeroizing::new(String::with_capacity(end - start));
        self.push_str(&mut out, start, end);
        // Consume the line end (the comment, if any, was skipped above).
        match self.peek() {
            Some(b'\r') => {
                self.pos += 1;
                self.newline();
            }
            Some(b'\n') => self.newline(),
            _ => {}
        }
        Ok(out)
    }

    /// Whether the byte before `at` is a blank (so `KEY= #x` is a comment).
    fn after_blank(&self, at: usize) -> bool {
        at > 0 && matches!(self.s[at - 1], b' ' | b'\t')
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic on unexpected errors
mod tests {
    use super::*;

    fn kv(input: &str) -> Vec<(String, String)> {
        parse(input)
            .unwrap()
            .into_iter()
            .map(|e| (e.key, e.value.as_str().to_owned()))
            .collect()
    }

    fn p(k: &str, v: &str) -> (String, String) {
        (k.to_owned(), v.to_owned())
    }

    #[test]
    fn syntax() {
        let input = "\u{feff}# comment\r\n\r\nA=1\r\n  export B = two words  # note\n\
                     C='lit $x \\n'\nD=\"a\\tb\\n\\\"\\\\\\$\"\nE=\nF= # only comment\n\
                     G='multi\r\nline'\nexport=plain\n";
        assert_eq!(
            kv(input),
            vec![
                p("A", "1"),
                p("B", "two words"),
                p("C", "lit $x \\n"),
                p("D", "a\tb\n\"\\$"),
                p("E", ""),
                p("F", ""),
                p("G", "multi\nline"),
                p("export", "plain"),
            ]
        );
    }

    #[test]
    fn line_numbers() {
        let e = parse("A=1\nB='x\ny\n").unwrap_err();
        assert_eq!(
            e,
            Error::Parse {
                line: 2,
                reason: "unterminated single-quoted value"
            }
        );
        let e = parse("A='x\ny'\n\nB=\"\\q\"\n").unwrap_err();
        assert!(matches!(e, Error::Parse { line: 4, .. }), "{e:?}");
        let e = parse("A=1\n# c\nA=2\n").unwrap_err();
        assert_eq!(
            e,
            Error::DuplicateKey {
                key: "A".into(),
                first_line: 1,
                line: 3
            }
        );
    }

    #[test]
    fn fail_ambiguous_or_malformed() {
        for bad in [
            "A",
            "A B=1",
            "1A=x",
            "A-B=x",
            "A=$x",
            "A=\"$x\"",
            "A=a\\b",
            "A=it's",
            "A=`x`",
            "A='x' y",
            "A=\"x\"y",
            "A=#x",
            "A=x\ry",
            "A='x\ry'",
            "=x",
            "export A",
            "A=\"\\q\"",
            "A=x#y",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should fail");
        }
    }

    #[test]
    fn fail_every_bad_entry_is_reported() {
        let input = "OK=1\nbad line\nB=$x\n# fine\nOK=2\nC='x' y\nD=fine\n1E=2\nF='open\nG=1\n";
        let errors = parse_all(input).unwrap_err();
        let lines: Vec<usize> = errors.iter().filter_map(Error::line).collect();
        // The unterminated quote on line 9 swallows the rest of the file.
        assert_eq!(lines, vec![2, 3, 5, 6, 8, 9]);
        assert!(matches!(
            errors[2],
            Error::DuplicateKey { first_line: 1, .. }
        ));
        // `parse` reports the first of them.
        assert_eq!(parse(input).unwrap_err(), errors[0]);
        // A lone CR in the middle of a line: that line only.
        let errors = parse_all("A=x\ry\nB=1\nC=\\\n").unwrap_err();
        let lines: Vec<usize> = errors.iter().filter_map(Error::line).collect();
        assert_eq!(lines, vec![1, 3]);
    }

    #[test]
    fn debug_redacts() {
        let e = parse("K=canary-value\n").unwrap();
        assert!(!format!("{e:?}").contains("canary-value"));
    }
}
