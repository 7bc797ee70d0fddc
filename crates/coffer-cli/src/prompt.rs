//! Passphrases and values: from the environment, stdin or a hidden prompt.
//! Never from argv.

use std::io::{IsTerminal, Read};

use coffer_crypto::SecretString;
use coffer_vault::{Error, Result};
use zeroize::Zeroizing;

/// The passphrase: `COFFER_PASSPHRASE`, else a hidden prompt on the terminal.
pub fn passphrase(prompt: &str) -> Result<SecretString> {
    if let Some(v) = std::env::var_os("COFFER_PASSPHRASE") {
        return v
            .into_string()
            .map(SecretString::new)
            .map_err(|_| Error::InvalidInput("COFFER_PASSPHRASE is not UTF-8".into()));
    }
    // Unattended callers (the pre-commit hook) never prompt.
    if std::env::var_os("COFFER_NO_PROMPT").is_some() {
        return Err(Error::NoPassphrase);
    }
    ask_hidden(prompt).ok_or(Error::NoPassphrase)
}

/// A new passphrase: `var` if set, else asked twice on the terminal.
pub fn new_passphrase(var: &str, what: &str) -> Result<SecretString> {
    if let Some(v) = std::env::var_os(var) {
        return v
            .into_string()
            .map(SecretString::new)
            .map_err(|_| Error::InvalidInput(format!("{var} is not UTF-8")));
    }
    let a = ask_hidden(&format!("{what}: ")).ok_or(Error::NoPassphrase)?;
    let b = ask_hidden(&format!("{what} (again): ")).ok_or(Error::NoPassphrase)?;
    if a != b {
        return Err(Error::InvalidInput("the passphrases do not match".into()));
    }
    Ok(a)
}

/// The password of an export being imported (a password-protected
/// Bitwarden export, a KeePass database): `COFFER_IMPORT_PASSWORD`, else
/// stdin when it is not a terminal (one line), else a hidden prompt.
pub fn import_password(file: &str) -> Result<SecretString> {
    if let Some(v) = std::env::var_os("COFFER_IMPORT_PASSWORD") {
        return v
            .into_string()
            .map(SecretString::new)
            .map_err(|_| Error::InvalidInput("COFFER_IMPORT_PASSWORD is not UTF-8".into()));
    }
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        let mut buf = Zeroizing::new(Vec::new());
        stdin
            .lock()
            .take(64 * 1024)
            .read_to_end(&mut buf)
            .map_err(|e| Error::InvalidInput(format!("reading the password from stdin: {e}")))?;
        let end = buf.iter().position(|b| *b == b'\n').unwrap_or(buf.len());
        let line = buf[..end].strip_suffix(b"\r").unwrap_or(&buf[..end]);
        let s = std::str::from_utf8(line)
            .map_err(|_| Error::InvalidInput("the password on stdin is not UTF-8".into()))?;
        if s.is_empty() && buf.is_empty() {
            return Err(Error::InvalidInput(format!(
                "{file} needs its password: set COFFER_IMPORT_PASSWORD, pipe it on stdin, or run on a terminal to be asked"
            )));
        }
        return Ok(SecretString::new(s.to_owned()));
    }
    if std::env::var_os("COFFER_NO_PROMPT").is_some() {
        return Err(Error::NoPassphrase);
    }
    ask_hidden(&format!("Password of {file}: ")).ok_or(Error::NoPassphrase)
}

fn ask_hidden(prompt: &str) -> Option<SecretString> {
    // rpassword reads from the controlling terminal, not stdin, so a piped
    // value and a typed passphrase can be used together.
    rpassword::prompt_password(prompt)
        .ok()
        .map(|s| SecretString::new(Zeroizing::new(s).to_string()))
}

/// A credential value: stdin when piped (or `-`), else a hidden prompt.
pub fn value(key: &str, force_stdin: bool, keep_newline: bool) -> Result<SecretString> {
    let stdin = std::io::stdin();
    if force_stdin || !stdin.is_terminal() {
        let mut buf = Zeroizing::new(Vec::new());
        stdin
            .lock()
            .take(coffer_vault::MAX_VALUE_BYTES as u64 + 2)
            .read_to_end(&mut buf)
            .map_err(|e| Error::InvalidInput(format!("reading the value from stdin: {e}")))?;
        if !keep_newline {
            let n = buf.len();
            if buf.ends_with(b"\r\n") {
                buf.truncate(n - 2);
            } else if buf.ends_with(b"\n") {
                buf.truncate(n - 1);
            }
        }
        let s = String::from_utf8(std::mem::take(&mut *buf)).map_err(|e| {
            let mut bytes = e.into_bytes();
            zeroize::Zeroize::zeroize(&mut bytes);
            Error::InvalidInput(format!("the value of {key} is not valid UTF-8"))
        })?;
        return Ok(SecretString::new(s));
    }
    ask_hidden(&format!("Value for {key}: ")).ok_or(Error::NoPassphrase)
}
