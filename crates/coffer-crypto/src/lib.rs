//! Coffer's cryptographic primitives and key newtypes.
//!
//! This crate does no I/O, touches no database and logs nothing. It offers
//! misuse-resistant operations over typed keys; the raw primitives are
//! private (`hazmat`). Constructions follow DESIGN.md §3:
//!
//! - identities: X25519 + Ed25519 key pairs sealed under an account key
//!   ([`AccountKey`]) that sits in password ([`PasswordSlot`], Argon2id) and
//!   keychain ([`KeySlot`]) slots;
//! - items sealed under item keys, item keys under environment keys
//!   (XChaCha20-Poly1305, context bound as associated data);
//! - keys wrapped to members age-style with a sender signature ([`wrap()`]);
//! - one canonical binary encoding for everything signed or authenticated
//!   ([`encoding`]).
//!
//! ```
//! use coffer_crypto::{wrap, EnvKey, Id, PrivateIdentity, WrapContext};
//!
//! let (owner, teammate) = (PrivateIdentity::make(), PrivateIdentity::make());
//! let ek = EnvKey::make();
//! let ctx = WrapContext {
//!     vault_id: Id::make(),
//!     object_id: Id::make(),
//!     epoch: 1,
//!     recipient_id: teammate.id(),
//!     sender_id: owner.id(),
//! };
//! let w = wrap::wrap(&owner, teammate.public(), &ek, &ctx)?;
//! let back: EnvKey = wrap::unwrap(&teammate, owner.public(), &w.epk, &w.ct, &w.sig, &ctx)?;
//! assert_eq!(back, ek);
//! # Ok::<(), coffer_crypto::Error>(())
//! ```
#![forbid(unsafe_code)]

pub mod bitwarden;
pub mod dotenvx;
pub mod encoding;
mod hazmat;
mod id;
mod identity;
pub mod ipc_channel;
pub mod item;
mod kdf;
mod mac;
pub mod overlay;
mod secret;
mod slot;
pub mod wrap;

pub use id::Id;
pub use identity::{
    normalize_fingerprint, PrivateIdentity, PublicIdentity, PublicKeys, SignPurpose,
};
pub use item::{sealed_earlier_keys_len, EarlierKeysContext, ItemContext, ItemKeyContext};
pub use kdf::{calibrate, KdfParams};
pub use mac::{NameIndexKey, ReplicaMacKey, StateHasher, ValueTag, ValueTagContext};
pub use overlay::{OverlayContext, OverlayKey};
pub use secret::{
    fill_random, random_bytes, AccountKey, DeviceKey, EnvKey, ItemKey, SecretBytes, SecretString,
    WrappableKey,
};
pub use slot::{KeySlot, PasswordSlot};
pub use wrap::{ItemKeyGeneration, Wrap, WrapContext};

/// SHA-256 over the concatenation of `parts` (op-log chaining).
pub fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    hazmat::sha256(parts)
}

/// Whether `a` and `b` are equal, in time that does not depend on where
/// they differ (a token or tag checked against one an attacker guesses at).
/// Slices of different lengths are unequal.
pub fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// Errors from this crate.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// Decryption or authentication failed: wrong key or password, tampered,
    /// swapped or truncated ciphertext, bad signature. One variant on purpose:
    /// we cannot tell which, and must not tell an attacker.
    #[error("decryption or authentication failed")]
    Decrypt,
    /// Encryption failed (input beyond the cipher's limit).
    #[error("encryption failed")]
    Encrypt,
    /// KDF parameters outside the allowed bounds (checked before deriving).
    #[error("key-derivation parameters are {0}")]
    KdfParams(&'static str),
    /// A canonical record could not be read.
    #[error("malformed record: {0}")]
    Malformed(&'static str),
    /// A public identity string could not be used.
    #[error("invalid public identity: {0}")]
    InvalidPublicIdentity(&'static str),
}

#[cfg(test)]
mod tests {
    #[test]
    fn ct_eq_is_equality_of_bytes_and_length() {
        assert!(super::ct_eq(b"token", b"token"));
        assert!(super::ct_eq(b"", b""));
        assert!(!super::ct_eq(b"token", b"tokem"));
        assert!(!super::ct_eq(b"token", b"token!"));
        assert!(!super::ct_eq(b"token", b""));
    }
}
