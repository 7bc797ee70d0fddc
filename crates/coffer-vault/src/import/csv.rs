//! A small RFC 4180 reader for the password managers' CSV exports.
//!
//! Written here rather than taken from the `csv` crate so that every cell
//! lives in a zeroizing buffer from the moment it is read (the crate's
//! record buffers are reused and dropped without being cleared). Accepts
//! what the exports write: `,` separators, `"…"` cells with `""` for a
//! quote and line breaks inside, LF or CRLF rows, a UTF-8 BOM.

use zeroize::Zeroizing;

/// One row: its 1-based line (where it starts) and its cells.
pub(crate) struct Row {
    pub(crate) line: usize,
    pub(crate) cells: Vec<Zeroizing<String>>,
}

/// Why a CSV file does not read; the line only, never its text.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct CsvError {
    pub(crate) line: usize,
    pub(crate) reason: &'static str,
}

/// Reads every row (blank lines are skipped).
pub(crate) fn rows(text: &str) -> Result<Vec<Row>, CsvError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut out = Vec::new();
    let mut chars = text.chars().peekable();
    let mut line = 1;
    loop {
        let start = line;
        let mut cells = Vec::new();
        let mut cell = Zeroizing::new(String::new());
        let mut quoted_cell = false;
        let mut at_row_end = false;
        while let Some(c) = chars.next() {
            match c {
                '"' if cell.is_empty() && !quoted_cell => {
                    quoted_cell = true;
                    loop {
                        match chars.next() {
                            None => {
                                return Err(CsvError {
                                    line: start,
                                    reason: "a quoted cell is never closed",
                                })
                            }
                            Some('"') if chars.peek() == Some(&'"') => {
                                chars.next();
                                cell.push('"');
                            }
                            Some('"') => break,
                            Some('\r') if chars.peek() == Some(&'\n') => {}
                            Some(ch) => {
                                if ch == '\n' {
                                    line += 1;
                                }
                                cell.push(ch);
                            }
                        }
                    }
                    match chars.peek() {
                        None | Some(',' | '\n' | '\r') => {}
                        Some(_) => {
                            return Err(CsvError {
                                line: start,
                                reason: "text after the closing quote of a cell",
                            })
                        }
                    }
                }
                ',' => {
                    cells.push(std::mem::replace(&mut cell, Zeroizing::new(String::new())));
                    quoted_cell = false;
                }
                '\r' if chars.peek() == Some(&'\n') => {}
                '\n' => {
                    line += 1;
                    at_row_end = true;
                    break;
                }
                '"' => {
                    return Err(CsvError {
                        line: start,
                        reason: "a quote inside an unquoted cell",
                    })
                }
                _ => cell.push(c),
            }
        }
        let done = !at_row_end;
        if !(cells.is_empty() && cell.is_empty() && !quoted_cell) {
            cells.push(cell);
            out.push(Row { line: start, cells });
        }
        if done {
            return Ok(out);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic on unexpected errors
mod tests {
    use super::*;

    fn cells(text: &str) -> Vec<Vec<String>> {
        rows(text)
            .unwrap()
            .into_iter()
            .map(|r| r.cells.iter().map(|c| c.to_string()).collect())
            .collect()
    }

    #[test]
    fn reads_rfc4180() {
        assert_eq!(
            cells("\u{feff}a,b,c\r\n\"x,y\",\"say \"\"hi\"\"\",\"l1\nl2\"\n\n,,\n"),
            vec![
                vec!["a", "b", "c"],
                vec!["x,y", "say \"hi\"", "l1\nl2"],
                vec!["", "", ""],
            ]
        );
        let r = rows("h\n\"a\nb\"\nc\n").unwrap();
        assert_eq!(r.iter().map(|r| r.line).collect::<Vec<_>>(), vec![1, 2, 4]);
    }

    #[test]
    fn fail_malformed() {
        assert_eq!(rows("a\n\"open\n").err().unwrap().line, 2);
        assert!(rows("\"a\"b\n").is_err());
        assert!(rows("a\"b\n").is_err());
    }
}
