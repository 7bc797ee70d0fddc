//! Raw primitives, private to this crate. Other crates get the typed,
//! context-binding operations in `item`, `slot` and `wrap` instead.

use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{ChaCha20Poly1305, Nonce, XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use sha2::{Digest, Sha256};
use zeroize::Zeroizing;

use crate::secret::random_bytes;
use crate::Error;

/// XChaCha20-Poly1305 nonce length.
pub(crate) const XNONCE_LEN: usize = 24;
/// Poly1305 tag length.
pub(crate) const TAG_LEN: usize = 16;

/// `X(key, pt, aad)`: XChaCha20-Poly1305 with a fresh random 24-byte nonce,
/// output `nonce ‖ ciphertext ‖ tag`. Random nonces are safe at 192 bits.
pub(crate) fn xseal(key: &[u8; 32], pt: &[u8], aad: &[u8]) -> Result<Vec<u8>, Error> {
    let nonce: [u8; XNONCE_LEN] = random_bytes();
    xseal_with_nonce(key, &nonce, pt, aad)
}

/// `X` with a caller-chosen nonce: only for frozen test vectors.
pub(crate) fn xseal_with_nonce(
    key: &[u8; 32],
    nonce: &[u8; XNONCE_LEN],
    pt: &[u8],
    aad: &[u8],
) -> Result<Vec<u8>, Error> {
    let cipher = XChaCha20Poly1305::new(key.into());
    let ct = cipher
        .encrypt(XNonce::from_slice(nonce), Payload { msg: pt, aad })
        .map_err(|_| Error::Encrypt)?;
    let mut out = Vec::with_capacity(XNONCE_LEN + ct.len());
    out.extend_from_slice(nonce);
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Opens `nonce ‖ ciphertext ‖ tag`. Every failure (short input, wrong key,
/// wrong AAD, flipped bit) is the same [`Error::Decrypt`]: we cannot tell
/// which, and must not tell an attacker.
pub(crate) fn xopen(key: &[u8; 32], blob: &[u8], aad: &[u8]) -> Result<Zeroizing<Vec<u8>>, Error> {
    if blob.len() < XNONCE_LEN + TAG_LEN {
        return Err(Error::Decrypt);
    }
    let (nonce, ct) = blob.split_at(XNONCE_LEN);
    let cipher = XChaCha20Poly1305::new(key.into());
    cipher
        .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad })
        .map(Zeroizing::new)
        .map_err(|_| Error::Decrypt)
}

/// `C(k, nonce = 0^12, pt, aad)`. Only safe because `k` is used once (it is
/// derived from a fresh ephemeral key per wrap).
pub(crate) fn cseal_zero_nonce(k: &[u8; 32], pt: &[u8], aad: &[u8]) -> Result<Vec<u8>, Error> {
    ChaCha20Poly1305::new(k.into())
        .encrypt(Nonce::from_slice(&[0u8; 12]), Payload { msg: pt, aad })
        .map_err(|_| Error::Encrypt)
}

/// Opens a [`cseal_zero_nonce`] ciphertext.
pub(crate) fn copen_zero_nonce(
    k: &[u8; 32],
    ct: &[u8],
    aad: &[u8],
) -> Result<Zeroizing<Vec<u8>>, Error> {
    ChaCha20Poly1305::new(k.into())
        .decrypt(Nonce::from_slice(&[0u8; 12]), Payload { msg: ct, aad })
        .map(Zeroizing::new)
        .map_err(|_| Error::Decrypt)
}

/// `H(ikm, salt, info)`: HKDF-SHA256 (RFC 5869) with a 32-byte output.
pub(crate) fn hkdf(ikm: &[u8], salt: &[u8], info: &[u8]) -> Zeroizing<[u8; 32]> {
    let mut okm = Zeroizing::new([0u8; 32]);
    // 32 bytes is far below HKDF-SHA256's 255*32 limit, so expand cannot fail.
    let _ = Hkdf::<Sha256>::new(Some(salt), ikm).expand(info, &mut *okm);
    okm
}

/// SHA-256 over the concatenation of `parts`.
pub(crate) fn sha256(parts: &[&[u8]]) -> [u8; 32] {
    let mut h = Sha256::new();
    for p in parts {
        h.update(p);
    }
    h.finalize().into()
}
