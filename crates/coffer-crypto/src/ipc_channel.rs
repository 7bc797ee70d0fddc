//! A sealed channel between the desktop app's web page and its Rust side.
//!
//! What crosses Tauri's IPC passes through WebKit's UI process, which runs
//! inside the app process, in request and response buffers that are freed
//! without being wiped. So a secret (a passphrase typed in the page, a
//! value the user reveals) crosses only sealed: both ends hold an
//! ephemeral X25519 key pair (the page's from WebCrypto), and each message
//! is AES-256-GCM under a key derived with HKDF-SHA256 from their shared
//! secret, with a context string naming the direction, a fresh random
//! nonce, and the command's name as associated data (a sealed passphrase
//! cannot be replayed into another command). The Rust key pair is dropped
//! (wiped) when the session locks, so what is left in freed buffers after
//! lock is ciphertext under a key nobody holds any more.
//!
//! Wire form of one message: `nonce (12 bytes) ‖ ciphertext ‖ tag (16)`.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use rand_core::OsRng;
use x25519_dalek::{PublicKey, StaticSecret};
use zeroize::Zeroizing;

use crate::hazmat::hkdf;
use crate::secret::random_bytes;
use crate::Error;

/// HKDF info for what the page seals to Rust (secret arguments).
pub const PAGE_TO_RUST: &str = "coffer ipc channel v1: page to rust";
/// HKDF info for what Rust seals to the page (revealed values).
pub const RUST_TO_PAGE: &str = "coffer ipc channel v1: rust to page";
/// AES-GCM nonce length.
const NONCE_LEN: usize = 12;

/// Rust's end of one channel: its ephemeral secret and the page's public
/// key. Dropping it wipes both derived keys.
pub struct IpcChannel {
    to_rust: Zeroizing<[u8; 32]>,
    to_page: Zeroizing<[u8; 32]>,
    public: [u8; 32],
}

impl std::fmt::Debug for IpcChannel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IpcChannel([redacted])")
    }
}

impl IpcChannel {
    /// A channel to the page whose X25519 public key is `page`: a fresh
    /// Rust key pair, the shared secret, and one key per direction (HKDF
    /// salt: Rust's public key then the page's). Refuses a low-order page
    /// key (an all-zero shared secret).
    pub fn open(page: &[u8; 32]) -> Result<Self, Error> {
        let mine = StaticSecret::random_from_rng(OsRng);
        let public = PublicKey::from(&mine).to_bytes();
        let shared = mine.diffie_hellman(&PublicKey::from(*page));
        if !shared.was_contributory() {
            return Err(Error::Malformed(
                "the page's channel key is not a usable X25519 key",
            ));
        }
        let mut salt = [0u8; 64];
        salt[..32].copy_from_slice(&public);
        salt[32..].copy_from_slice(page);
        Ok(Self {
            to_rust: hkdf(shared.as_bytes(), &salt, PAGE_TO_RUST.as_bytes()),
            to_page: hkdf(shared.as_bytes(), &salt, RUST_TO_PAGE.as_bytes()),
            public,
        })
    }

    /// Rust's public key, for the page.
    pub fn public_key(&self) -> [u8; 32] {
        self.public
    }

    /// Opens what the page sealed for `command`, into zeroizing memory.
    /// Any failure (wrong key, other command, tampered) is
    /// [`Error::Decrypt`].
    pub fn open_from_page(
        &self,
        command: &str,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        open(&self.to_rust, command, sealed)
    }

    /// Seals `plaintext` for the page, as the result of `command`.
    pub fn seal_to_page(&self, command: &str, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        seal(&self.to_page, command, plaintext)
    }

    /// Seals as the page does (for tests of the Rust side, which play the
    /// page with [`PageEnd`]).
    fn seal_to_rust(&self, command: &str, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        seal(&self.to_rust, command, plaintext)
    }
}

/// The page's end, in Rust: what the web page does with WebCrypto, for
/// tests (and fuzzing) of the Rust end. Not used by the app.
pub struct PageEnd {
    secret: StaticSecret,
}

impl PageEnd {
    /// A fresh page key pair.
    pub fn new() -> Self {
        Self {
            secret: StaticSecret::random_from_rng(OsRng),
        }
    }

    /// The page's public key.
    pub fn public_key(&self) -> [u8; 32] {
        PublicKey::from(&self.secret).to_bytes()
    }

    /// The page's view of the channel to Rust's public key `rust`.
    pub fn connect(&self, rust: &[u8; 32]) -> Result<IpcChannel, Error> {
        let shared = self.secret.diffie_hellman(&PublicKey::from(*rust));
        if !shared.was_contributory() {
            return Err(Error::Malformed(
                "the channel key is not a usable X25519 key",
            ));
        }
        let mut salt = [0u8; 64];
        salt[..32].copy_from_slice(rust);
        salt[32..].copy_from_slice(&self.public_key());
        // The page's view holds the same two keys; `public` is Rust's.
        Ok(IpcChannel {
            to_rust: hkdf(shared.as_bytes(), &salt, PAGE_TO_RUST.as_bytes()),
            to_page: hkdf(shared.as_bytes(), &salt, RUST_TO_PAGE.as_bytes()),
            public: *rust,
        })
    }

    /// Seals a secret argument of `command` on `channel` (from
    /// [`PageEnd::connect`]).
    pub fn seal(channel: &IpcChannel, command: &str, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
        channel.seal_to_rust(command, plaintext)
    }

    /// Opens a result Rust sealed for `command` on `channel`.
    pub fn open(
        channel: &IpcChannel,
        command: &str,
        sealed: &[u8],
    ) -> Result<Zeroizing<Vec<u8>>, Error> {
        open(&channel.to_page, command, sealed)
    }
}

impl Default for PageEnd {
    fn default() -> Self {
        Self::new()
    }
}

fn seal(key: &[u8; 32], command: &str, plaintext: &[u8]) -> Result<Vec<u8>, Error> {
    let nonce: [u8; NONCE_LEN] = random_bytes();
    let ct = Aes256Gcm::new(key.into())
        .encrypt(
            Nonce::from_slice(&nonce),
            Payload {
                msg: plaintext,
                aad: command.as_bytes(),
            },
        )
        .map_err(|_| Error::Encrypt)?;
    let mut out = Vec::with_capacity(NONCE_LEN + ct.len());
    out.extend_from_slice(&nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

fn open(key: &[u8; 32], command: &str, sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
    if sealed.len() < NONCE_LEN + 16 {
        return Err(Error::Decrypt);
    }
    let (nonce, ct) = sealed.split_at(NONCE_LEN);
    Aes256Gcm::new(key.into())
        .decrypt(
            Nonce::from_slice(nonce),
            Payload {
                msg: ct,
                aad: command.as_bytes(),
            },
        )
        .map(Zeroizing::new)
        .map_err(|_| Error::Decrypt)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_round_trip_each_way_bound_to_the_command_and_the_keys() {
        let page = PageEnd::new();
        let rust = IpcChannel::open(&page.public_key()).expect("open");
        let view = page.connect(&rust.public_key()).expect("connect");
        let sealed = PageEnd::seal(&view, "unlock", b"velvet crane").expect("seal");
        assert_eq!(
            &**rust.open_from_page("unlock", &sealed).expect("open"),
            b"velvet crane"
        );
        // Another command, a flipped bit, a truncation, another channel.
        assert_eq!(
            rust.open_from_page("rate_passphrase", &sealed).err(),
            Some(Error::Decrypt)
        );
        let mut bad = sealed.clone();
        bad[20] ^= 1;
        assert_eq!(
            rust.open_from_page("unlock", &bad).err(),
            Some(Error::Decrypt)
        );
        assert_eq!(
            rust.open_from_page("unlock", &sealed[..27]).err(),
            Some(Error::Decrypt)
        );
        let other = IpcChannel::open(&page.public_key()).expect("open");
        assert_eq!(
            other.open_from_page("unlock", &sealed).err(),
            Some(Error::Decrypt)
        );
        // Directions are separate keys: Rust cannot open its own output.
        let out = rust.seal_to_page("reveal_item", b"s3cret").expect("seal");
        assert_eq!(
            &**PageEnd::open(&view, "reveal_item", &out).expect("open"),
            b"s3cret"
        );
        assert_eq!(
            rust.open_from_page("reveal_item", &out).err(),
            Some(Error::Decrypt)
        );
        // Fresh nonces: the same value seals differently.
        assert_ne!(
            out,
            rust.seal_to_page("reveal_item", b"s3cret").expect("seal")
        );
        assert_eq!(format!("{rust:?}"), "IpcChannel([redacted])");
    }

    #[test]
    fn a_low_order_page_key_is_refused() {
        assert!(IpcChannel::open(&[0u8; 32]).is_err());
    }
}
