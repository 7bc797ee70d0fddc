//! The one error type of the vault crate. Messages never contain a secret
//! value, a password or an item's plaintext name.

use std::path::PathBuf;

/// What kind of failure, for exit codes and IPC error codes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum ErrorKind {
    /// Wrong passphrase, locked out, no passphrase available.
    Auth,
    /// Something named does not exist.
    NotFound,
    /// Something already exists, or a safety check refused (unignored .env).
    Conflict,
    /// The signer's role or grants do not allow the change.
    Permission,
    /// Tampering or corruption detected.
    Integrity,
    /// Bad input: key name, value, .env line, duration…
    InvalidInput,
    /// The vault database is locked by another process.
    Busy,
    /// The OS keychain is unavailable or refused.
    Keychain,
    /// I/O or an unexpected internal failure.
    Internal,
}

/// Errors from the vault.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The passphrase did not open the identity.
    #[error("wrong passphrase (or the identity file was modified)")]
    WrongPassphrase,
    /// The current passphrase given to change it was wrong. It counts as a
    /// failed unlock attempt (the back-off grows with it).
    #[error("the current passphrase is wrong; this counts as a failed unlock attempt ({failed_attempts} in a row; after 3 the unlock backs off)")]
    WrongCurrentPassphrase {
        /// Failed attempts in a row, this one included.
        failed_attempts: u32,
    },
    /// Too many failed unlocks: wait before trying again.
    #[error("too many failed unlock attempts; try again in {wait_secs} s")]
    LockedOut {
        /// Seconds to wait.
        wait_secs: u64,
    },
    /// No passphrase could be obtained (no terminal and no COFFER_PASSPHRASE).
    #[error("no passphrase available: set COFFER_PASSPHRASE or run in a terminal")]
    NoPassphrase,
    /// No identity on this device yet.
    #[error("no identity in {0}: create one with `coffer identity new --name NAME`")]
    NoIdentity(PathBuf),
    /// An identity already exists.
    #[error("an identity already exists in {0}")]
    IdentityExists(PathBuf),
    /// No vault at the path.
    #[error("no vault at {0}: create one with `coffer init --name TEAM`")]
    NoVault(PathBuf),
    /// A named thing does not exist.
    #[error("{0} not found")]
    NotFound(String),
    /// A named thing already exists.
    #[error("{0} already exists")]
    AlreadyExists(String),
    /// A safety check refused the operation.
    #[error("{0}")]
    Refused(String),
    /// Not allowed for the signer.
    #[error("permission denied: {0}")]
    PermissionDenied(String),
    /// Tampering or corruption.
    #[error("integrity check failed: {0}")]
    Integrity(String),
    /// Bad input.
    #[error("{0}")]
    InvalidInput(String),
    /// An env-file problem (bad key, unrepresentable value, bad line).
    #[error(transparent)]
    Dotenv(#[from] coffer_dotenv::Error),
    /// A `.env` file given to import has bad lines; nothing was imported.
    #[error("{file}: {total} bad line{}, nothing imported: {}{}{}", if *total == 1 { "" } else { "s" }, lines.join("; "), more_lines(*total, lines.len()), hint.as_deref().map(|h| format!("; {h}")).unwrap_or_default())]
    BadLines {
        /// The file, as given.
        file: String,
        /// How many bad lines there are.
        total: usize,
        /// The first of them (at most [`crate::MAX_REPORTED_LINES`]),
        /// each `line N: what is wrong`: line numbers, keys and fixed
        /// reasons, never a line's text.
        lines: Vec<String>,
        /// How many of the bad lines are only an empty value (refused
        /// unless [`crate::ImportOptions::allow_empty`]).
        empty_values: usize,
        /// The way forward when the portable reader refused the file
        /// (which `--dialect` reads it); dialect names only.
        hint: Option<String>,
    },
    /// The database is locked by another process.
    #[error("the vault is busy (locked by another coffer process); try again")]
    Busy,
    /// The OS keychain failed.
    #[error("keychain: {0}")]
    Keychain(String),
    /// A file-system failure.
    #[error("{context}: {source}")]
    Io {
        /// What we were doing.
        context: String,
        /// The cause.
        source: std::io::Error,
    },
    /// An unexpected database failure.
    #[error("database error: {0}")]
    Database(String),
}

impl Error {
    /// The kind, for exit codes and IPC codes.
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::WrongPassphrase
            | Error::WrongCurrentPassphrase { .. }
            | Error::LockedOut { .. }
            | Error::NoPassphrase => ErrorKind::Auth,
            Error::NoIdentity(_) | Error::NoVault(_) | Error::NotFound(_) => ErrorKind::NotFound,
            Error::IdentityExists(_) | Error::AlreadyExists(_) | Error::Refused(_) => {
                ErrorKind::Conflict
            }
            Error::PermissionDenied(_) => ErrorKind::Permission,
            Error::Integrity(_) => ErrorKind::Integrity,
            Error::InvalidInput(_) | Error::Dotenv(_) | Error::BadLines { .. } => {
                ErrorKind::InvalidInput
            }
            Error::Busy => ErrorKind::Busy,
            Error::Keychain(_) => ErrorKind::Keychain,
            Error::Io { .. } | Error::Database(_) => ErrorKind::Internal,
        }
    }

    /// An I/O failure while `context` ("opening the agent socket").
    pub fn io(context: impl Into<String>, source: std::io::Error) -> Self {
        Error::Io {
            context: context.into(),
            source,
        }
    }

    pub(crate) fn integrity(what: impl Into<String>) -> Self {
        Error::Integrity(what.into())
    }
}

/// The " (and N more)" of [`Error::BadLines`]'s message.
fn more_lines(total: usize, shown: usize) -> String {
    if total > shown {
        format!("; and {} more", total - shown)
    } else {
        String::new()
    }
}

impl From<rusqlite::Error> for Error {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::ffi::ErrorCode;
        match &e {
            rusqlite::Error::SqliteFailure(f, _)
                if matches!(f.code, ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) =>
            {
                Error::Busy
            }
            rusqlite::Error::SqliteFailure(f, _)
                if matches!(f.code, ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) =>
            {
                Error::Integrity("the vault file is corrupt or not a Coffer vault".into())
            }
            // Our statements never break a constraint of a state they
            // derived themselves: one that does means the state disagrees
            // with the log (an edit outside Coffer, or an op that does not
            // fit, refused on import).
            rusqlite::Error::SqliteFailure(f, _) if f.code == ErrorCode::ConstraintViolation => {
                Error::Integrity(
                    "the vault's state does not accept this change (a constraint failed): it may have been edited outside coffer".into(),
                )
            }
            // Statements bind values as parameters, so SQLite's message never
            // carries a value; it may name a table or constraint.
            _ => Error::Database(e.to_string()),
        }
    }
}

/// `Result` with the vault's error.
pub type Result<T, E = Error> = std::result::Result<T, E>;
