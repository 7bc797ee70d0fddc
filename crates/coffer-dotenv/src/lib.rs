//! Reading and writing `.env` files for Coffer (DESIGN.md §7).
//!
//! * [`render`] turns `(key, value)` pairs into a dotenv file, a POSIX shell
//!   script, a JSON object or a `.env.example`. For dotenv it picks, per value,
//!   a spelling that the target parser reads back byte-for-byte, and refuses
//!   ([`Error::Unrepresentable`]) values that have no such spelling instead of
//!   writing something that silently reads back different.
//! * [`parse`] reads a `.env` file for `coffer import`: all-or-nothing, with the
//!   line number of the first bad entry.
//! * [`parse_dialect`] reads a `.env` file exactly as one third-party parser
//!   does (`coffer import --dialect node|python|ruby|docker|compose`).
//!
//! The [`Dialect::Portable`] spelling is checked by `tests/interop.rs` against
//! the real parsers (npm `dotenv`, `python-dotenv`, Rust `dotenvy`, Ruby
//! `dotenv`); the exact rules and why they are stricter than they look are in
//! `docs/dotenv.md`.
//!
//! No error message or `Debug` output of this crate contains a secret value.
//!
//! ```
//! use coffer_dotenv::{parse, render, Dialect, ExportEntry, Format};
//!
//! let entries = [
//!     ExportEntry { key: "DATABASE_URL", value: "postgres://db:5432/app", notes: None },
//!     ExportEntry { key: "GREETING", value: "hello world", notes: Some("shown on the home page") },
//!     ExportEntry { key: "PEM", value: "-----BEGIN KEY-----\nabc\n-----END KEY-----\n", notes: None },
//! ];
//! let file = render(&entries, Format::Dotenv, Dialect::Portable)?;
//! assert_eq!(
//!     file.as_str(),
//!     "DATABASE_URL=postgres://db:5432/app\n\
//!      GREETING='hello world'\n\
//!      PEM=\"-----BEGIN KEY-----\\nabc\\n-----END KEY-----\\n\"\n"
//! );
//!
//! // What we write, we read back exactly.
//! let parsed = parse(&file)?;
//! assert_eq!(parsed[1].key, "GREETING");
//! assert_eq!(parsed[1].value.as_str(), "hello world");
//! assert_eq!(parsed[2].value.as_str(), entries[2].value);
//!
//! // A value no parser-neutral spelling exists for is refused, naming the key only.
//! let bad = [ExportEntry { key: "TOKEN", value: "it's \"$x\"", notes: None }];
//! let err = render(&bad, Format::Dotenv, Dialect::Portable).unwrap_err();
//! assert!(err.to_string().contains("TOKEN"));
//! assert!(!err.to_string().contains("it's"));
//! # Ok::<(), coffer_dotenv::Error>(())
//! ```

#![forbid(unsafe_code)]

mod dialect_read;
mod error;
mod read;
mod write;

use std::fmt;
use std::str::FromStr;

pub use dialect_read::{parse_dialect, DialectParse, ImportDialect};
pub use error::Error;
pub use read::{parse, parse_all, ParsedEntry};
pub use write::{json_string, render, shell_word, writable_dialects};

/// Output format of [`render`] (`coffer export --format`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Format {
    /// A `.env` file, spelled for a [`Dialect`].
    Dotenv,
    /// A POSIX shell script of `export KEY='…'` lines, for `. file` / `eval`.
    Shell,
    /// One JSON object, keys in the given order.
    Json,
    /// A `.env.example`: keys with empty values, notes as comments, no values.
    Example,
}

impl Format {
    /// All formats, in documentation order.
    pub const ALL: [Format; 4] = [Format::Dotenv, Format::Shell, Format::Json, Format::Example];

    /// The CLI name (`dotenv`, `shell`, `json`, `example`).
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Dotenv => "dotenv",
            Format::Shell => "shell",
            Format::Json => "json",
            Format::Example => "example",
        }
    }
}

impl FromStr for Format {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Format::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| Error::UnknownFormat { name: s.to_owned() })
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which dotenv parser a [`Format::Dotenv`] file is written for
/// (`coffer export --dialect`). See `docs/dotenv.md` for each rule's source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// Read back identically by every parser Coffer tests against (the default).
    Portable,
    /// npm `dotenv` (`dotenv.parse` / `config`).
    Node,
    /// `python-dotenv` (`dotenv_values` / `load_dotenv`, interpolation on).
    Python,
    /// Rust `dotenvy` 0.15.
    Rust,
    /// docker compose `env_file:` / `.env` (compose-go's dotenv parser).
    Compose,
    /// `docker run --env-file`: `KEY=value` to the end of the line, no quoting.
    Docker,
}

impl Dialect {
    /// All dialects, in documentation order.
    pub const ALL: [Dialect; 6] = [
        Dialect::Portable,
        Dialect::Node,
        Dialect::Python,
        Dialect::Rust,
        Dialect::Compose,
        Dialect::Docker,
    ];

    /// The CLI name (`portable`, `node`, `python`, `rust`, `compose`, `docker`).
    pub fn as_str(self) -> &'static str {
        match self {
            Dialect::Portable => "portable",
            Dialect::Node => "node",
            Dialect::Python => "python",
            Dialect::Rust => "rust",
            Dialect::Compose => "compose",
            Dialect::Docker => "docker",
        }
    }
}

impl FromStr for Dialect {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        Dialect::ALL
            .into_iter()
            .find(|d| d.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| Error::UnknownDialect { name: s.to_owned() })
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One variable to export. Borrowed: the caller owns (and zeroizes) the secret.
#[derive(Clone, Copy)]
pub struct ExportEntry<'a> {
    /// Variable name; must match `^[A-Za-z_][A-Za-z0-9_]*$`.
    pub key: &'a str,
    /// The secret value.
    pub value: &'a str,
    /// Free-text notes, written as comments by [`Format::Example`] only.
    pub notes: Option<&'a str>,
}

impl fmt::Debug for ExportEntry<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ExportEntry")
            .field("key", &self.key)
            .field("value", &"<redacted>")
            .field("notes", &self.notes.map(|_| "<redacted>"))
            .finish()
    }
}

/// Checks that `key` matches `^[A-Za-z_][A-Za-z0-9_]*$`, the one key syntax
/// every dotenv parser, every shell and `docker run` accept.
pub fn validate_key(key: &str) -> Result<(), Error> {
    let invalid = |reason| {
        Err(Error::InvalidKey {
            key: key.to_owned(),
            reason,
        })
    };
    let mut bytes = key.bytes();
    match bytes.next() {
        None => return invalid("a key cannot be empty"),
        Some(b) if b.is_ascii_alphabetic() || b == b'_' => {}
        Some(_) => return invalid("a key must start with a letter or `_`"),
    }
    if bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        Ok(())
    } else {
        invalid("a key may contain only ASCII letters, digits and `_`")
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic on unexpected errors
mod tests {
    use super::*;

    #[test]
    fn keys() {
        for ok in ["A", "_", "_a1", "DATABASE_URL", "a"] {
            assert!(validate_key(ok).is_ok(), "{ok}");
        }
        for bad in ["", "1A", "A-B", "A.B", "A B", "É", "A=", "export A"] {
            assert!(validate_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn names_round_trip() {
        for f in Format::ALL {
            assert_eq!(f.as_str().parse::<Format>(), Ok(f));
        }
        for d in Dialect::ALL {
            assert_eq!(d.as_str().parse::<Dialect>(), Ok(d));
        }
        assert!("yaml".parse::<Format>().is_err());
        assert!("ruby".parse::<Dialect>().is_err());
    }

    #[test]
    fn export_entry_debug_redacts() {
        let e = ExportEntry {
            key: "K",
            value: "canary-secret",
            notes: Some("n"),
        };
        let s = format!("{e:?}");
        assert!(!s.contains("canary-secret"));
        assert!(s.contains("\"K\""));
    }
}
