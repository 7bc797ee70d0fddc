//! Opening Bitwarden's password-protected encrypted JSON export, for
//! `coffer import --from bitwarden` (a foreign format: Coffer never writes it).
//!
//! The file (Bitwarden's `BitwardenPasswordProtectedFileFormat`, written by
//! `BaseVaultExportService.buildPasswordExport` in bitwarden/clients; the
//! key schedule is `derive_kdf_key` / `stretch_kdf_key` in bitwarden's
//! `bitwarden-crypto`, described in the help article "Encrypted Exports"):
//!
//! ```text
//! { "encrypted": true, "passwordProtected": true,
//!   "salt": "<base64 of 16 random bytes>",
//!   "kdfType": 0 | 1, "kdfIterations": N, "kdfMemory": MiB, "kdfParallelism": P,
//!   "encKeyValidation_DO_NOT_EDIT": "<EncString of a random GUID>",
//!   "data": "<EncString of the unencrypted JSON export>" }
//! ```
//!
//! Key: `master = KDF(password, salt)` (32 bytes), where the salt is the
//! **text** of the `salt` field as UTF-8 (Bitwarden passes the base64
//! string itself, not its decoding) and the KDF is
//!
//! - `kdfType` 0: PBKDF2-HMAC-SHA256, `kdfIterations` rounds;
//! - `kdfType` 1: Argon2id v1.3, `t = kdfIterations`, `m = kdfMemory` MiB,
//!   `p = kdfParallelism`, over `SHA-256(salt)` (Bitwarden hashes the salt
//!   to Argon2's fixed length);
//!
//! then stretched: `enc = HKDF-Expand-SHA256(master, "enc", 32)`,
//! `mac = HKDF-Expand-SHA256(master, "mac", 32)` (the master key is the PRK;
//! no extract step).
//!
//! An EncString of type 2 (`AesCbc256_HmacSha256_B64`) is
//! `2.<base64 iv>|<base64 ciphertext>|<base64 mac>`: AES-256-CBC with PKCS#7
//! padding under `enc`, and `mac = HMAC-SHA256(mac key, iv || ciphertext)`.
//! The MAC is checked, in constant time, **before** anything is decrypted.
//! Other EncString types are refused (the export writes only type 2).
//!
//! Every failure to open is [`Error::Decrypt`]: a wrong password and a
//! damaged file look the same (no oracle). The costs read from the file
//! are capped before deriving ([`Error::KdfParams`]), at Bitwarden's own
//! allowed ranges, so a crafted file cannot make us spend hours or
//! gigabytes.

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, KeyIvInit};
use base64::Engine as _;
use hkdf::Hkdf;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::{Error, SecretString};

type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;
type HmacSha256 = Hmac<Sha256>;

/// Most PBKDF2 rounds accepted (Bitwarden allows 600,000 to 2,000,000 for
/// accounts; older accounts may have 100,000 or fewer).
pub const MAX_PBKDF2_ITERATIONS: u32 = 2_000_000;
/// Most Argon2id passes accepted (Bitwarden: 2 to 10).
pub const MAX_ARGON2_ITERATIONS: u32 = 10;
/// Most Argon2id memory accepted, MiB (Bitwarden: 16 to 1024).
pub const MAX_ARGON2_MEMORY_MIB: u32 = 1024;
/// Most Argon2id lanes accepted (Bitwarden: 1 to 16).
pub const MAX_ARGON2_PARALLELISM: u32 = 16;
/// Largest EncString opened (characters): 5,000 entries of a real export
/// are a few MiB; a cap before any work on an untrusted file.
pub const MAX_ENC_STRING_LEN: usize = 256 * 1024 * 1024;

/// The key-derivation function an export names (`kdfType` and its costs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BitwardenKdf {
    /// `kdfType` 0: PBKDF2-HMAC-SHA256.
    Pbkdf2 {
        /// `kdfIterations`.
        iterations: u32,
    },
    /// `kdfType` 1: Argon2id v1.3 over SHA-256 of the salt.
    Argon2id {
        /// `kdfIterations` (passes).
        iterations: u32,
        /// `kdfMemory`, in MiB.
        memory_mib: u32,
        /// `kdfParallelism` (lanes).
        parallelism: u32,
    },
}

impl BitwardenKdf {
    /// Refuses costs outside Bitwarden's ranges (checked before deriving).
    fn check(&self) -> Result<(), Error> {
        match *self {
            BitwardenKdf::Pbkdf2 { iterations } => {
                if iterations == 0 || iterations > MAX_PBKDF2_ITERATIONS {
                    return Err(Error::KdfParams(
                        "outside Bitwarden's range (PBKDF2: 1 to 2,000,000 iterations)",
                    ));
                }
            }
            BitwardenKdf::Argon2id {
                iterations,
                memory_mib,
                parallelism,
            } => {
                if !(1..=MAX_ARGON2_ITERATIONS).contains(&iterations)
                    || !(1..=MAX_ARGON2_MEMORY_MIB).contains(&memory_mib)
                    || !(1..=MAX_ARGON2_PARALLELISM).contains(&parallelism)
                {
                    return Err(Error::KdfParams(
                        "outside Bitwarden's range (Argon2id: 1 to 10 iterations, \
                         1 to 1024 MiB, 1 to 16 lanes)",
                    ));
                }
            }
        }
        Ok(())
    }
}

/// The stretched export key: AES-256 key and HMAC-SHA256 key. Zeroized on
/// drop, redacted `Debug`, no `Clone`, no `Display`.
pub struct BitwardenExportKey {
    enc: Zeroizing<[u8; 32]>,
    mac: Zeroizing<[u8; 32]>,
}

impl core::fmt::Debug for BitwardenExportKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("BitwardenExportKey(<redacted>)")
    }
}

impl BitwardenExportKey {
    /// Derives the key from the export password, the `salt` field (as
    /// written, the base64 text) and the KDF the export names. Costs
    /// outside Bitwarden's ranges are [`Error::KdfParams`], before any work.
    pub fn derive(password: &SecretString, salt: &str, kdf: BitwardenKdf) -> Result<Self, Error> {
        kdf.check()?;
        let mut master = Zeroizing::new([0u8; 32]);
        let pw = password.expose_secret().as_bytes();
        match kdf {
            BitwardenKdf::Pbkdf2 { iterations } => {
                pbkdf2::pbkdf2_hmac::<Sha256>(pw, salt.as_bytes(), iterations, &mut master[..]);
            }
            BitwardenKdf::Argon2id {
                iterations,
                memory_mib,
                parallelism,
            } => {
                use argon2::{Algorithm, Argon2, Params, Version};
                let params = Params::new(memory_mib * 1024, iterations, parallelism, Some(32))
                    .map_err(|_| Error::KdfParams("rejected by argon2"))?;
                let salt_hash = Sha256::digest(salt.as_bytes());
                Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
                    .hash_password_into(pw, &salt_hash, &mut master[..])
                    .map_err(|_| Error::KdfParams("rejected by argon2"))?;
            }
        }
        let hk = Hkdf::<Sha256>::from_prk(&master[..]).map_err(|_| Error::Decrypt)?;
        let mut enc = Zeroizing::new([0u8; 32]);
        let mut mac = Zeroizing::new([0u8; 32]);
        hk.expand(b"enc", &mut enc[..])
            .map_err(|_| Error::Decrypt)?;
        hk.expand(b"mac", &mut mac[..])
            .map_err(|_| Error::Decrypt)?;
        Ok(BitwardenExportKey { enc, mac })
    }

    /// Opens one EncString of type 2 (`2.iv|ct|mac`): the MAC is verified
    /// in constant time first, then the text is decrypted. Returns the
    /// plaintext, which must be UTF-8 (Bitwarden encrypts JavaScript
    /// strings). Every failure is [`Error::Decrypt`].
    pub fn open(&self, enc_string: &str) -> Result<SecretString, Error> {
        if enc_string.len() > MAX_ENC_STRING_LEN {
            return Err(Error::Malformed("a Bitwarden EncString is too long"));
        }
        let body = enc_string.trim().strip_prefix("2.").ok_or(Error::Decrypt)?;
        let mut parts = body.split('|');
        let (Some(iv), Some(ct), Some(tag), None) =
            (parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(Error::Decrypt);
        };
        let b64 = base64::engine::general_purpose::STANDARD;
        let iv = b64.decode(iv).map_err(|_| Error::Decrypt)?;
        let ct = b64.decode(ct).map_err(|_| Error::Decrypt)?;
        let tag = b64.decode(tag).map_err(|_| Error::Decrypt)?;
        if iv.len() != 16 || ct.is_empty() || ct.len() % 16 != 0 {
            return Err(Error::Decrypt);
        }
        // Authenticate before decrypting: `verify_slice` compares in
        // constant time, and nothing of an unauthenticated text is ever
        // decrypted (no padding oracle).
        let mut mac =
            <HmacSha256 as Mac>::new_from_slice(&self.mac[..]).map_err(|_| Error::Decrypt)?;
        mac.update(&iv);
        mac.update(&ct);
        mac.verify_slice(&tag).map_err(|_| Error::Decrypt)?;
        let mut buf = Zeroizing::new(ct);
        let dec = Aes256CbcDec::new_from_slices(&self.enc[..], &iv).map_err(|_| Error::Decrypt)?;
        let n = dec
            .decrypt_padded_mut::<Pkcs7>(&mut buf)
            .map_err(|_| Error::Decrypt)?
            .len();
        buf.truncate(n);
        SecretString::from_decrypted(buf)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic on unexpected errors
mod tests {
    use super::*;

    /// Made by `coffer-vault/tests/import/bitwarden/make-encrypted.py`
    /// (Python `cryptography`, an implementation independent of ours) with
    /// the password `correct horse fixture` and PBKDF2 at 5,000 rounds:
    /// the `encKeyValidation_DO_NOT_EDIT` of
    /// `bitwarden-pbkdf2.written-from-docs.json`.
    const SALT: &str = "9KBIzWCESrvGed5Jn948OA==";
    const VALIDATION: &str = "2.JwPAbS6UdDwk9WguQLWOrw==|3aaRUDtlGOXr6HauqyNEOoxeLAKNkzz81yjCWzbXltd0jDnUjVugsKRfxt90Ze0o|M988XumoCtEzqjvcJ6K0dkvK/tnN8Y7ac/dvokF1ct0=";
    const GUID: &str = "6f1c2a0e-5b7d-4c8e-9a3f-0d2b4e6f8a1c";

    fn key(pw: &str) -> BitwardenExportKey {
        BitwardenExportKey::derive(
            &SecretString::new(pw.into()),
            SALT,
            BitwardenKdf::Pbkdf2 { iterations: 5000 },
        )
        .unwrap()
    }

    #[test]
    fn opens_what_an_independent_implementation_wrote() {
        let k = key("correct horse fixture");
        assert_eq!(k.open(VALIDATION).unwrap().expose_secret(), GUID);
        assert_eq!(format!("{k:?}"), "BitwardenExportKey(<redacted>)");
    }

    #[test]
    fn fail_wrong_password_tampered_or_other_type() {
        assert_eq!(key("wrong").open(VALIDATION).unwrap_err(), Error::Decrypt);
        let k = key("correct horse fixture");
        let v = VALIDATION;
        // Flip one character of the ciphertext part: the MAC fails.
        let (head, rest) = v.split_once('|').unwrap();
        let mut ct: Vec<char> = rest.chars().collect();
        ct[0] = if ct[0] == 'A' { 'B' } else { 'A' };
        let tampered = format!("{head}|{}", ct.into_iter().collect::<String>());
        assert_eq!(k.open(&tampered).unwrap_err(), Error::Decrypt);
        assert_eq!(
            k.open(&v.replacen("2.", "0.", 1)).unwrap_err(),
            Error::Decrypt
        );
        assert_eq!(k.open("2.a|b").unwrap_err(), Error::Decrypt);
    }

    #[test]
    fn fail_costs_outside_bitwardens_range() {
        let pw = SecretString::new("x".into());
        for kdf in [
            BitwardenKdf::Pbkdf2 { iterations: 0 },
            BitwardenKdf::Pbkdf2 {
                iterations: 2_000_001,
            },
            BitwardenKdf::Argon2id {
                iterations: 3,
                memory_mib: 4096,
                parallelism: 4,
            },
            BitwardenKdf::Argon2id {
                iterations: 11,
                memory_mib: 64,
                parallelism: 4,
            },
            BitwardenKdf::Argon2id {
                iterations: 3,
                memory_mib: 64,
                parallelism: 0,
            },
        ] {
            assert!(matches!(
                BitwardenExportKey::derive(&pw, "salt", kdf),
                Err(Error::KdfParams(_))
            ));
        }
    }
}
