//! Opening the values of dotenvx's encrypted `.env` files, for
//! `coffer import --from dotenvx` (a foreign format: Coffer never writes it).
//!
//! dotenvx (`@dotenvx/dotenvx`, through its `primitives` package) encrypts
//! each value with eciesjs under the file's secp256k1 public key and writes
//! `encrypted:` followed by the standard base64 of
//!
//! ```text
//! ephemeral public key (65 bytes, uncompressed SEC1) || nonce (16) || tag (16) || AES-256-GCM ciphertext
//! ```
//!
//! with the AES key `HKDF-SHA256(salt = none, ikm = ephemeral_pk || shared_point, info = none, 32)`,
//! `shared_point` being the uncompressed ECDH point (65 bytes). This is
//! eciesjs's default `ECIES_CONFIG` (`isEphemeralKeyCompressed = false`,
//! `isHkdfKeyCompressed = false`, `symmetricAlgorithm = "aes-256-gcm"`,
//! `symmetricNonceLength = 16`), read from the bundled code of
//! `@dotenvx/primitives` 3.3.1 and checked against files the real
//! `dotenvx encrypt` 2.38.2 wrote (`coffer-vault/tests/import/dotenvx/`).
//!
//! The private key is 32 bytes of hex (`DOTENV_PRIVATE_KEY_*`); the file
//! names its public key (`DOTENV_PUBLIC_KEY_*`, compressed SEC1 hex), which
//! [`DotenvxKey::public_key_hex`] lets the caller compare before trying.
//!
//! Every failure to open a value is [`Error::Decrypt`] (no oracle: a wrong
//! key, a tampered or a truncated value look the same).

use aes_gcm::aead::consts::U16;
use aes_gcm::aead::generic_array::GenericArray;
use aes_gcm::aead::{AeadInPlace, KeyInit};
use aes_gcm::aes::Aes256;
use aes_gcm::AesGcm;
use base64::Engine as _;
use hkdf::Hkdf;
use k256::elliptic_curve::sec1::ToEncodedPoint;
use k256::{PublicKey, SecretKey};
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::{Error, SecretString};

/// AES-256-GCM with eciesjs's 16-byte nonce.
type Aes256Gcm16 = AesGcm<Aes256, U16>;

const EPHEMERAL_LEN: usize = 65;
const NONCE_LEN: usize = 16;
const TAG_LEN: usize = 16;

/// Largest encrypted value opened (base64 characters): a cap before any
/// work on an untrusted file (Coffer's own values are at most 64 KiB).
pub const MAX_ENCRYPTED_LEN: usize = 256 * 1024;

/// A dotenvx private key (`DOTENV_PRIVATE_KEY…`). Zeroized on drop (k256's
/// `SecretKey` clears its scalar), redacted `Debug`, no `Display`.
pub struct DotenvxKey(SecretKey);

impl core::fmt::Debug for DotenvxKey {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("DotenvxKey(<redacted>)")
    }
}

impl DotenvxKey {
    /// Reads the 64 hex digits dotenvx writes. Anything else (another
    /// length, not hex, zero or not below the curve order) is
    /// [`Error::Malformed`], without the text.
    pub fn from_hex(hex: &str) -> Result<Self, Error> {
        let hex = hex.trim();
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(Error::Malformed(
                "a dotenvx private key is 64 hexadecimal digits",
            ));
        }
        let mut bytes = Zeroizing::new([0u8; 32]);
        for (i, b) in bytes.iter_mut().enumerate() {
            let pair = &hex[2 * i..2 * i + 2];
            *b = u8::from_str_radix(pair, 16)
                .map_err(|_| Error::Malformed("a dotenvx private key is hexadecimal"))?;
        }
        SecretKey::from_slice(&bytes[..])
            .map(DotenvxKey)
            .map_err(|_| Error::Malformed("not a secp256k1 private key"))
    }

    /// The public key, as dotenvx writes it in `DOTENV_PUBLIC_KEY…`
    /// (compressed SEC1, lower-case hex).
    pub fn public_key_hex(&self) -> String {
        let point = self.0.public_key().to_encoded_point(true);
        point
            .as_bytes()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// Opens one value: the text after `encrypted:`. The plaintext must be
    /// UTF-8 (dotenvx encrypts a JavaScript string).
    pub fn open(&self, base64_value: &str) -> Result<SecretString, Error> {
        if base64_value.len() > MAX_ENCRYPTED_LEN {
            return Err(Error::Malformed("an encrypted dotenvx value is too long"));
        }
        let raw = base64::engine::general_purpose::STANDARD
            .decode(base64_value.trim())
            .map_err(|_| Error::Decrypt)?;
        if raw.len() < EPHEMERAL_LEN + NONCE_LEN + TAG_LEN {
            return Err(Error::Decrypt);
        }
        let (epk, rest) = raw.split_at(EPHEMERAL_LEN);
        let (nonce, rest) = rest.split_at(NONCE_LEN);
        let (tag, ct) = rest.split_at(TAG_LEN);
        let ephemeral = PublicKey::from_sec1_bytes(epk).map_err(|_| Error::Decrypt)?;
        // The shared point, uncompressed (eciesjs `isHkdfKeyCompressed = false`).
        let shared = (ephemeral.to_projective() * *self.0.to_nonzero_scalar()).to_affine();
        let shared = Zeroizing::new(shared.to_encoded_point(false).as_bytes().to_vec());
        let mut ikm = Zeroizing::new(Vec::with_capacity(EPHEMERAL_LEN * 2));
        ikm.extend_from_slice(epk);
        ikm.extend_from_slice(&shared);
        let mut key = Zeroizing::new([0u8; 32]);
        Hkdf::<Sha256>::new(None, &ikm)
            .expand(&[], &mut key[..])
            .map_err(|_| Error::Decrypt)?;
        let cipher = Aes256Gcm16::new(GenericArray::from_slice(&key[..]));
        let mut buf = Zeroizing::new(ct.to_vec());
        cipher
            .decrypt_in_place_detached(
                GenericArray::from_slice(nonce),
                &[],
                &mut buf,
                GenericArray::from_slice(tag),
            )
            .map_err(|_| Error::Decrypt)?;
        SecretString::from_decrypted(buf)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic on unexpected errors
mod tests {
    use super::*;

    /// Written by the real `dotenvx encrypt` 2.38.2 (`HELLO=World`); the
    /// fixture files in coffer-vault's tests hold more.
    const KEY: &str = "6796808ae084eedd3b31a33c12236307e3f023bea654b39306ab28b78d7773c9";
    const PUBLIC: &str = "0208f2aff3bf4a8ac431eed384dd70472b441d681bec5093ecd85882ce05c1902b";
    const HELLO: &str = "BEXKhm5cc+5MKcFZETOAcIwoLthBi7+VmtAeUbEvEVk950IWAIj62j5PBUR/DayFVgV9alt2kocEMNVbLJDmM5ibo6ALc1i8HhP4aIEDtYI2zbyUQsUCF17QAiC+cUR5VqQiH6Gk";

    #[test]
    fn opens_what_dotenvx_wrote() {
        let k = DotenvxKey::from_hex(KEY).unwrap();
        assert_eq!(k.public_key_hex(), PUBLIC);
        assert_eq!(k.open(HELLO).unwrap().expose_secret(), "World");
        assert_eq!(format!("{k:?}"), "DotenvxKey(<redacted>)");
    }

    #[test]
    fn fail_wrong_key_or_tampered() {
        let other = DotenvxKey::from_hex(&"11".repeat(32)).unwrap();
        assert_eq!(other.open(HELLO).unwrap_err(), Error::Decrypt);
        let k = DotenvxKey::from_hex(KEY).unwrap();
        let mut raw = base64::engine::general_purpose::STANDARD
            .decode(HELLO)
            .unwrap();
        let last = raw.len() - 1;
        raw[last] ^= 1;
        let tampered = base64::engine::general_purpose::STANDARD.encode(&raw);
        assert_eq!(k.open(&tampered).unwrap_err(), Error::Decrypt);
        assert_eq!(k.open("BAAA").unwrap_err(), Error::Decrypt);
        assert_eq!(k.open("not base64!").unwrap_err(), Error::Decrypt);
        for bad in ["", "zz", &"00".repeat(32), &"ff".repeat(32)] {
            assert!(matches!(
                DotenvxKey::from_hex(bad),
                Err(Error::Malformed(_))
            ));
        }
    }
}
