//! The one error type that crosses IPC: `{ code, message }`.
//!
//! `code` is the snake_case name of [`coffer_vault::ErrorKind`], plus
//! `locked` when no vault session is open; the UI branches on the code and
//! shows the message (which never holds a secret: the vault's messages
//! never do, see `coffer_vault::Error`).

use serde::Serialize;
use ts_rs::TS;

/// What went wrong, for the UI to branch on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum IpcErrorCode {
    /// Wrong passphrase, locked out (back-off), no passphrase.
    Auth,
    /// An identity, vault, environment or credential does not exist.
    NotFound,
    /// Already exists, or a safety check refused.
    Conflict,
    /// The role or grants do not allow it.
    Permission,
    /// Tampering or corruption detected.
    Integrity,
    /// Bad input: key name, environment path, value, duration, date.
    InvalidInput,
    /// The vault file is locked by another process.
    Busy,
    /// The OS keychain is unavailable or refused.
    Keychain,
    /// I/O or an unexpected failure.
    Internal,
    /// No vault session is open: unlock first.
    Locked,
    /// A sealed secret came without a usable channel (none opened, or the
    /// session locked since): the page opens a new one and sends again.
    Channel,
}

impl From<coffer_vault::ErrorKind> for IpcErrorCode {
    fn from(k: coffer_vault::ErrorKind) -> Self {
        use coffer_vault::ErrorKind as K;
        match k {
            K::Auth => Self::Auth,
            K::NotFound => Self::NotFound,
            K::Conflict => Self::Conflict,
            K::Permission => Self::Permission,
            K::Integrity => Self::Integrity,
            K::InvalidInput => Self::InvalidInput,
            K::Busy => Self::Busy,
            K::Keychain => Self::Keychain,
            // `ErrorKind` is non-exhaustive: a kind added later is shown
            // as internal until the UI needs to branch on it.
            _ => Self::Internal,
        }
    }
}

/// The error every command returns.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, TS)]
pub struct IpcError {
    /// What kind of failure.
    pub code: IpcErrorCode,
    /// One readable sentence for the user.
    pub message: String,
}

impl IpcError {
    /// An error with a code and message.
    pub fn new(code: IpcErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// No vault session is open.
    pub fn locked() -> Self {
        Self::new(IpcErrorCode::Locked, "the vault is locked: unlock it first")
    }

    /// An unexpected failure in the shell itself.
    pub fn internal(message: impl Into<String>) -> Self {
        Self::new(IpcErrorCode::Internal, message)
    }

    /// Bad input caught by the shell.
    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(IpcErrorCode::InvalidInput, message)
    }
}

impl From<coffer_vault::Error> for IpcError {
    fn from(e: coffer_vault::Error) -> Self {
        Self::new(e.kind().into(), e.to_string())
    }
}

/// Results of the commands.
pub type IpcResult<T> = Result<T, IpcError>;

#[cfg(test)]
mod tests {
    use super::*;
    use coffer_vault::ErrorKind;

    #[test]
    fn json_shape_is_code_and_message() {
        let e = IpcError::from(coffer_vault::Error::NotFound("environment a/b".into()));
        let v = serde_json::to_value(&e).expect("json");
        assert_eq!(
            v,
            serde_json::json!({"code": "not_found", "message": "environment a/b not found"})
        );
        let v = serde_json::to_value(IpcError::locked()).expect("json");
        assert_eq!(v["code"], "locked");
        assert_eq!(v.as_object().expect("object").len(), 2);
    }

    #[test]
    fn codes_are_the_snake_case_error_kinds() {
        for kind in [
            ErrorKind::Auth,
            ErrorKind::NotFound,
            ErrorKind::Conflict,
            ErrorKind::Permission,
            ErrorKind::Integrity,
            ErrorKind::InvalidInput,
            ErrorKind::Busy,
            ErrorKind::Keychain,
            ErrorKind::Internal,
        ] {
            assert_eq!(
                serde_json::to_value(IpcErrorCode::from(kind)).expect("code"),
                serde_json::to_value(kind).expect("kind"),
            );
        }
    }

    #[test]
    fn wrong_passphrase_is_auth_and_says_so() {
        let e = IpcError::from(coffer_vault::Error::WrongPassphrase);
        assert_eq!(e.code, IpcErrorCode::Auth);
        assert!(e.message.contains("wrong passphrase"));
    }
}
