//! dotenvx's encrypted `.env` files (`coffer import --from dotenvx FILE
//! PROJECT/ENV`), opened with their private key.
//!
//! A file `dotenvx encrypt` wrote holds `DOTENV_PUBLIC_KEY_<ENV>="02…"`
//! (`DOTENV_PUBLIC_KEY` for a plain `.env`) and values `encrypted:<base64>`;
//! its private key is `DOTENV_PRIVATE_KEY_<ENV>`, in the environment or in
//! `.env.keys`. The file is read with npm dotenv's rules (dotenvx's parser
//! is dotenv's: `--dialect node`); each `encrypted:` value is opened with
//! [`coffer_crypto::dotenvx`] (ECIES over secp256k1, AES-256-GCM), and the
//! plaintext is what dotenvx encrypted: the value as dotenv parsed it.
//!
//! Refused, every line reported and nothing imported:
//! - a value that does not open (a damaged value: the key was checked
//!   against the file's public key first, so a wrong key is one error for
//!   the file, not one per line);
//! - a value holding `$` outside single quotes, encrypted or not: dotenvx
//!   expands `$VAR` / `${VAR}` and runs `$(command)` in it each time it
//!   loads the file (after decrypting), so what the program sees depends on
//!   the machine; single-quoted values are literal to dotenvx too.
//!
//! `DOTENV_PUBLIC_KEY*` lines are not imported (not secrets, and they
//! belong to the file). The key is never read from the command line: the
//! caller looks it up by name (environment, a keys file, stdin).

use std::path::Path;

use coffer_crypto::dotenvx::DotenvxKey;
use coffer_dotenv::{ImportDialect, ParsedEntry};
use zeroize::Zeroizing;

use crate::envfile::{ImportOptions, ImportOutcome, Parsed};
use crate::error::{Error, Result};
use crate::vault::Vault;

/// The prefix dotenvx writes before an encrypted value.
const PREFIX: &str = "encrypted:";
/// The names of the public key (in the file) and the private key.
const PUBLIC: &str = "DOTENV_PUBLIC_KEY";
const PRIVATE: &str = "DOTENV_PRIVATE_KEY";

/// Reads a dotenvx file. `key_for(name)` returns the private key stored
/// under `name` (`DOTENV_PRIVATE_KEY_PRODUCTION`), as dotenvx writes it
/// (hex; several separated by `,` are tried in turn, as dotenvx does).
/// Returns the entries, or, in [`Parsed::problems`], every bad line.
pub(crate) fn read(
    text: &str,
    file: &str,
    key_for: &mut dyn FnMut(&str) -> Option<Zeroizing<String>>,
) -> Result<Parsed> {
    let read = coffer_dotenv::parse_dialect(text, ImportDialect::Node).map_err(|es| {
        let lines: Vec<String> = es.iter().map(ToString::to_string).collect();
        Error::InvalidInput(format!(
            "{file} does not read as a dotenvx file: {}",
            lines.join("; ")
        ))
    })?;
    let encrypted = read
        .entries
        .iter()
        .filter(|e| e.value.starts_with(PREFIX))
        .count();
    let publics: Vec<&ParsedEntry> = read
        .entries
        .iter()
        .filter(|e| e.key.starts_with(PUBLIC))
        .collect();
    let key = match (encrypted, publics.as_slice()) {
        (0, _) => None,
        (_, [public]) => Some(find_key(public, file, key_for)?),
        (_, []) => {
            return Err(Error::InvalidInput(format!(
                "{file} has encrypted values but no {PUBLIC}… line: it does not say which \
                 private key opens it; nothing imported"
            )))
        }
        (_, _) => {
            return Err(Error::InvalidInput(format!(
                "{file} names {} public keys ({PUBLIC}…); dotenvx writes one per file: \
                 nothing imported",
                publics.len()
            )))
        }
    };
    let lines: Vec<&str> = text.split('\n').collect();
    let mut out = Parsed {
        entries: Vec::new(),
        problems: Vec::new(),
        hint: None,
        ignored_lines: read.ignored_lines,
        redefined: read.redefined,
    };
    for entry in read.entries {
        if entry.key.starts_with(PUBLIC) {
            continue;
        }
        let value = match (entry.value.strip_prefix(PREFIX), &key) {
            (Some(b64), Some((k, name))) => match k.open(b64) {
                Ok(v) => Zeroizing::new(v.expose_secret().to_owned()),
                Err(_) => {
                    out.problems.push((
                        entry.line,
                        format!(
                            "line {}: the value of {} does not open with {name} (the value is damaged)",
                            entry.line, entry.key
                        ),
                    ));
                    continue;
                }
            },
            _ => entry.value,
        };
        let single_quoted = lines
            .get(entry.line - 1)
            .is_some_and(|l| value_starts_with_single_quote(l, &entry.key));
        if value.contains('$') && !single_quoted {
            out.problems.push((
                entry.line,
                format!(
                    "line {}: the value of {} holds `$` outside single quotes: dotenvx expands \
                     variables and runs `$(…)` in it when it loads the file, so the value a \
                     program sees is not the one written",
                    entry.line, entry.key
                ),
            ));
            continue;
        }
        out.entries.push(ParsedEntry {
            line: entry.line,
            key: entry.key,
            value,
        });
    }
    Ok(out)
}

/// The private key matching the file's public key, and its name.
fn find_key(
    public: &ParsedEntry,
    file: &str,
    key_for: &mut dyn FnMut(&str) -> Option<Zeroizing<String>>,
) -> Result<(DotenvxKey, String)> {
    let name = format!("{PRIVATE}{}", &public.key[PUBLIC.len()..]);
    let Some(keys) = key_for(&name) else {
        return Err(Error::InvalidInput(format!(
            "no {name} to open {file}: set it in the environment (as dotenvx reads it), keep \
             it in .env.keys beside the file, or pass --keys FILE (--keys - reads stdin); \
             nothing imported"
        )));
    };
    let mut malformed = 0;
    for hex in keys.split(',') {
        match DotenvxKey::from_hex(hex) {
            Ok(k) if k.public_key_hex().eq_ignore_ascii_case(public.value.trim()) => {
                return Ok((k, name));
            }
            Ok(_) => {}
            Err(_) => malformed += 1,
        }
    }
    Err(Error::InvalidInput(if malformed > 0 {
        format!("{name} is not a dotenvx private key (64 hexadecimal digits); nothing imported")
    } else {
        format!(
            "{name} does not open {file}: it is not the private key of its {} (a key of another \
             file or environment?); nothing imported",
            public.key
        )
    }))
}

/// `name`'s value in a `.env.keys` file (read as dotenv reads it, as
/// dotenvx does), for the caller's key lookup.
pub fn keys_file_entry(text: &str, name: &str) -> Option<Zeroizing<String>> {
    coffer_dotenv::parse_dialect(text, ImportDialect::Node)
        .ok()?
        .entries
        .into_iter()
        .find(|e| e.key == name)
        .map(|e| e.value)
}

/// Whether the value of `key` on this line starts with `'` (npm dotenv's
/// `LINE`: `export`, the key, `=` or `:` with blanks around, then the value).
fn value_starts_with_single_quote(line: &str, key: &str) -> bool {
    let l = line.trim_start();
    let l = match l.strip_prefix("export") {
        Some(rest) if rest.starts_with(char::is_whitespace) => rest.trim_start(),
        _ => l,
    };
    let Some(rest) = l.strip_prefix(key) else {
        return false;
    };
    let rest = rest.trim_start();
    let rest = rest
        .strip_prefix('=')
        .or_else(|| rest.strip_prefix(':'))
        .unwrap_or(rest);
    rest.trim_start().starts_with('\'')
}

impl Vault {
    /// Imports a dotenvx file into `env_path`, opening its encrypted values
    /// with the private key `key_for` returns (see [`read`]). All or
    /// nothing, like [`Vault::import_env_file`] (whose `opts` apply, but
    /// `dialect`: the file is read as dotenvx reads it).
    pub fn import_dotenvx(
        &mut self,
        file: &Path,
        env_path: &str,
        opts: ImportOptions,
        key_for: &mut dyn FnMut(&str) -> Option<Zeroizing<String>>,
    ) -> Result<ImportOutcome> {
        let raw = Zeroizing::new(std::fs::read(file).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::NotFound(format!("file {}", file.display())),
            _ => Error::io(format!("reading {}", file.display()), e),
        })?);
        let text = std::str::from_utf8(&raw)
            .map_err(|_| Error::InvalidInput(format!("{} is not UTF-8 text", file.display())))?;
        let label = file.display().to_string();
        let parsed = read(text, &label, key_for)?;
        self.import_parsed(&label, env_path, parsed, opts)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic on unexpected errors
mod tests {
    use super::*;

    #[test]
    fn single_quote_detection() {
        assert!(value_starts_with_single_quote("A='x'", "A"));
        assert!(value_starts_with_single_quote("  export A = 'x'", "A"));
        assert!(value_starts_with_single_quote("A: 'x'", "A"));
        assert!(!value_starts_with_single_quote("A=\"'x'\"", "A"));
        assert!(!value_starts_with_single_quote("A=x'", "A"));
    }
}
