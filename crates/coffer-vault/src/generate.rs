//! Random values for rotation, drawn without bias from the OS CSPRNG.

use coffer_crypto::{fill_random, SecretString};
use zeroize::Zeroizing;

use crate::error::{Error, Result};

/// Character sets for generated values.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Charset {
    /// `A-Za-z0-9` (the default: safe unquoted in every .env dialect).
    Alnum,
    /// `0-9a-f`.
    Hex,
    /// `A-Za-z0-9-_`.
    Base64Url,
    /// Letters, digits and `!#%+,-./:=@^_~` (still portable unquoted or single-quoted).
    Symbols,
    /// `0-9`.
    Digits,
}

impl Charset {
    /// Parses a charset name.
    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "alnum" => Charset::Alnum,
            "hex" => Charset::Hex,
            "base64url" => Charset::Base64Url,
            "symbols" => Charset::Symbols,
            "digits" => Charset::Digits,
            _ => {
                return Err(Error::InvalidInput(format!(
                    "unknown charset '{s}': use alnum, hex, base64url, symbols or digits"
                )))
            }
        })
    }

    fn chars(&self) -> &'static [u8] {
        match self {
            Charset::Alnum => b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            Charset::Hex => b"0123456789abcdef",
            Charset::Base64Url => {
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
            }
            Charset::Symbols => {
                b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#%+,-./:=@^_~"
            }
            Charset::Digits => b"0123456789",
        }
    }
}

/// A random value of `length` characters from `charset`.
pub fn generate(length: usize, charset: Charset) -> Result<SecretString> {
    if !(8..=4096).contains(&length) {
        return Err(Error::InvalidInput(
            "generated values must be 8 to 4096 characters long".into(),
        ));
    }
    let set = charset.chars();
    // Rejection sampling: accept a byte only below the largest multiple of
    // the set size, so every character is equally likely.
    let limit = 256 - (256 % set.len());
    // The raw bytes decide the value: they are drawn into a buffer wiped on
    // drop, and the value is built in one that never grows (ASCII only, so
    // `length` bytes) and is wiped too.
    let mut out = Zeroizing::new(String::with_capacity(length));
    let mut buf = Zeroizing::new([0u8; 64]);
    while out.len() < length {
        fill_random(buf.as_mut_slice());
        for &b in buf.iter() {
            if usize::from(b) < limit && out.len() < length {
                out.push(char::from(set[usize::from(b) % set.len()]));
            }
        }
    }
    Ok(SecretString::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lengths_and_sets() {
        let v = generate(40, Charset::Hex).expect("gen");
        assert_eq!(v.len(), 40);
        assert!(v.expose_secret().chars().all(|c| c.is_ascii_hexdigit()));
        assert!(generate(4, Charset::Alnum).is_err());
        assert_ne!(
            generate(32, Charset::Alnum).expect("a"),
            generate(32, Charset::Alnum).expect("b")
        );
    }
}
