//! The crate's one error type.
//!
//! Hard rule: no message and no `Debug` output of an [`Error`] ever contains a
//! secret value. Variants carry keys (names are not secret), line numbers,
//! dialect names and fixed reason strings only. `tests/no_values_in_errors.rs`
//! checks this with a canary value for every variant.

use crate::Dialect;

/// Everything that can go wrong while rendering or parsing env files.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A key does not match `^[A-Za-z_][A-Za-z0-9_]*$`.
    #[error("invalid key {key:?}: {reason}")]
    InvalidKey {
        /// The offending key (keys are names, not secrets).
        key: String,
        /// Why it was rejected.
        reason: &'static str,
    },

    /// A value has no spelling the chosen dialect reads back byte-for-byte.
    #[error("the value of {key} cannot be written for {dialect}: {reason}; {suggestion}", dialect = dialect.as_str())]
    Unrepresentable {
        /// The key whose value was refused.
        key: String,
        /// The dialect that was asked for.
        dialect: Dialect,
        /// What in the value is the problem (never the value itself).
        reason: &'static str,
        /// What the user can do instead (another `--dialect` or `--format`).
        suggestion: String,
    },

    /// The same key appears twice in the entries given to
    /// [`render`](crate::render). Parsers disagree on which one wins.
    #[error("key {key} is given more than once")]
    DuplicateEntry {
        /// The repeated key.
        key: String,
    },

    /// A line of a `.env` file could not be parsed.
    #[error("line {line}: {reason}")]
    Parse {
        /// 1-based line number where the bad entry starts.
        line: usize,
        /// What is wrong (a fixed description; never the line's text).
        reason: &'static str,
    },

    /// A key is defined twice in a parsed file.
    #[error("line {line}: key {key} was already defined on line {first_line}")]
    DuplicateKey {
        /// The repeated key.
        key: String,
        /// Line of the first definition.
        first_line: usize,
        /// Line of the repeated definition.
        line: usize,
    },

    /// A `--format` name that is not one of `dotenv`, `shell`, `json`, `example`.
    #[error("unknown format {name:?} (expected one of: dotenv, shell, json, example)")]
    UnknownFormat {
        /// The name that was given.
        name: String,
    },

    /// An entry whose value, read as the chosen parser reads it, would
    /// depend on something outside the file (a variable the file does not
    /// define, a shell command). [`parse_dialect`](crate::parse_dialect)
    /// refuses it rather than store what the importing machine had.
    #[error("line {line}: the value of {key} {reason}")]
    Unresolvable {
        /// 1-based line of the entry.
        line: usize,
        /// Its key.
        key: String,
        /// What it refers to (a fixed description; never the value).
        reason: &'static str,
    },

    /// A `coffer import --dialect` name that is not one of the import dialects.
    #[error(
        "unknown import dialect {name:?} (expected one of: node, python, ruby, docker, compose)"
    )]
    UnknownImportDialect {
        /// The name that was given.
        name: String,
    },

    /// A `--dialect` name that is not one of the known dialects.
    #[error(
        "unknown dialect {name:?} (expected one of: portable, node, python, rust, compose, docker)"
    )]
    UnknownDialect {
        /// The name that was given.
        name: String,
    },
}

impl Error {
    /// The 1-based line a parse error is about ([`Error::Parse`],
    /// [`Error::DuplicateKey`]); `None` for the other variants.
    pub fn line(&self) -> Option<usize> {
        match self {
            Error::Parse { line, .. }
            | Error::DuplicateKey { line, .. }
            | Error::Unresolvable { line, .. } => Some(*line),
            _ => None,
        }
    }
}
