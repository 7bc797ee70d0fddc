//! A test identity's private key material, read from its `identity.json`
//! with the test's passphrase, for tests only (the memory test needs the
//! bytes of every key; attack tests sign as a member whose passphrase they
//! know). It does not ask `coffer-crypto` for key bytes (its key types do
//! not give them out): it reads the published format itself, with its own
//! Argon2id and XChaCha20-Poly1305, an independent reading of
//! docs/design-decisions.md's identity file.

use std::path::Path;

use argon2::{Algorithm, Argon2, Params, Version};
use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use coffer_crypto::encoding::Encoder;
use coffer_crypto::{Id, PrivateIdentity};
use zeroize::Zeroizing;

/// What went wrong, in a sentence.
pub type Res<T> = Result<T, String>;

/// An identity's keys as raw bytes (wiped on drop).
pub struct OpenedIdentity {
    /// The identity (member) id.
    pub id: Id,
    /// The account key (UAK) from the password slot.
    pub account_key: Zeroizing<[u8; 32]>,
    /// The X25519 private key.
    pub x25519_secret: Zeroizing<[u8; 32]>,
    /// The Ed25519 seed (private key).
    pub ed25519_seed: Zeroizing<[u8; 32]>,
}

impl OpenedIdentity {
    /// The identity as `coffer-crypto` holds it (to sign and unwrap as it).
    pub fn private(&self) -> Res<PrivateIdentity> {
        coffer_crypto::wrap::vectors::private_identity(
            self.id,
            *self.x25519_secret,
            *self.ed25519_seed,
        )
        .map_err(|e| format!("private keys: {e}"))
    }
}

/// `X` opened the way the format says: `nonce(24) ‖ ciphertext ‖ tag`.
fn xopen(key: &[u8; 32], blob: &[u8], aad: &[u8]) -> Res<Zeroizing<Vec<u8>>> {
    if blob.len() < 40 {
        return Err("sealed blob too short".into());
    }
    let (nonce, ct) = blob.split_at(24);
    XChaCha20Poly1305::new(key.into())
        .decrypt(XNonce::from_slice(nonce), Payload { msg: ct, aad })
        .map(Zeroizing::new)
        .map_err(|_| "does not open (wrong passphrase?)".to_string())
}

fn unhex32(s: &str) -> Res<[u8; 32]> {
    let v = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2).unwrap_or("zz"), 16))
        .collect::<Result<Vec<u8>, _>>()
        .map_err(|e| format!("bad hex: {e}"))?;
    v.try_into().map_err(|_| "not 32 bytes".to_string())
}

fn field<'a>(v: &'a serde_json::Value, k: &str) -> Res<&'a serde_json::Value> {
    v.get(k).ok_or_else(|| format!("identity.json has no {k}"))
}

fn text<'a>(v: &'a serde_json::Value, k: &str) -> Res<&'a str> {
    field(v, k)?
        .as_str()
        .ok_or_else(|| format!("{k} is not text"))
}

fn b64(v: &serde_json::Value, k: &str) -> Res<Vec<u8>> {
    B64.decode(text(v, k)?).map_err(|e| format!("{k}: {e}"))
}

fn num(v: &serde_json::Value, k: &str) -> Res<u32> {
    field(v, k)?
        .as_u64()
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| format!("{k} is not a number"))
}

fn key32(b: &[u8], what: &str) -> Res<Zeroizing<[u8; 32]>> {
    let mut k = Zeroizing::new([0u8; 32]);
    if b.len() != 32 {
        return Err(format!("{what} is not 32 bytes"));
    }
    k.copy_from_slice(b);
    Ok(k)
}

/// Opens `home/identity.json` with `passphrase` (ASCII: NFC leaves it as
/// it is). The password slot: `KEK = Argon2id(passphrase, salt, m, t, p)`,
/// `UAK = X⁻¹(KEK, ct, "coffer/v1/slot/password" ‖ id ‖ slot id ‖ salt ‖ m ‖ t ‖ p)`;
/// the private keys: `X⁻¹(UAK, sealed, "coffer/v1/identity" ‖ id ‖ x25519 ‖ ed25519)`
/// = X25519 secret ‖ Ed25519 seed.
pub fn open_identity(home: &Path, passphrase: &str) -> Res<OpenedIdentity> {
    let raw = std::fs::read(home.join("identity.json")).map_err(|e| e.to_string())?;
    let file: serde_json::Value = serde_json::from_slice(&raw).map_err(|e| e.to_string())?;
    let id = Id::from_hex(text(&file, "id")?).map_err(|e| e.to_string())?;
    let x_pub = unhex32(text(&file, "x25519")?)?;
    let ed_pub = unhex32(text(&file, "ed25519")?)?;

    let slot = field(&file, "password_slot")?;
    let slot_id = Id::from_hex(text(slot, "slot_id")?).map_err(|e| e.to_string())?;
    let salt: [u8; 16] = b64(slot, "salt")?
        .try_into()
        .map_err(|_| "salt is not 16 bytes")?;
    let (m, t, p) = (num(slot, "m_kib")?, num(slot, "t")?, num(slot, "p")?);
    let params = Params::new(m, t, p, Some(32)).map_err(|e| e.to_string())?;
    let mut kek = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), &salt, &mut *kek)
        .map_err(|e| e.to_string())?;
    let mut aad = Encoder::new("coffer/v1/slot/password", 1);
    aad.fixed(&id.0)
        .fixed(&slot_id.0)
        .fixed(&salt)
        .u32(m)
        .u32(t)
        .u32(p);
    let account_key = key32(
        &xopen(&kek, &b64(slot, "ct")?, &aad.finish())?,
        "the account key",
    )?;

    let mut aad = Encoder::new("coffer/v1/identity", 1);
    aad.fixed(&id.0).fixed(&x_pub).fixed(&ed_pub);
    let private = xopen(&account_key, &b64(&file, "sealed")?, &aad.finish())?;
    if private.len() != 64 {
        return Err("sealed private keys are not 64 bytes".into());
    }
    Ok(OpenedIdentity {
        id,
        account_key,
        x25519_secret: key32(&private[..32], "the X25519 key")?,
        ed25519_seed: key32(&private[32..], "the Ed25519 seed")?,
    })
}
