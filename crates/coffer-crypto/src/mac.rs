//! A device's MAC over its private replica (DESIGN.md §8): the replica file
//! is a cache that only this device writes, so the device seals what it
//! derived (its applied head and a digest of its state) under a key only it
//! can make. An edit made outside Coffer (another device writing the file,
//! a hand edit, a planted row) no longer matches.
//!
//! `K = H(ed25519 seed, salt = device_id, info = "coffer/v1/replica-mac")`,
//! `tag = HMAC-SHA256(K, msg)`. The key never leaves memory and is
//! different for every device of the same identity.

use core::fmt;

use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

use crate::{Error, Id, PrivateIdentity};

const INFO: &[u8] = b"coffer/v1/replica-mac";

/// The key of one device's replica MAC. Zeroized on drop; no `Debug` of
/// the bytes.
pub struct ReplicaMacKey(Zeroizing<[u8; 32]>);

impl fmt::Debug for ReplicaMacKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReplicaMacKey([redacted])")
    }
}

impl PrivateIdentity {
    /// Derives this identity's replica MAC key for `device_id`.
    pub fn derive_replica_mac_key(&self, device_id: &Id) -> ReplicaMacKey {
        let seed = Zeroizing::new(self.ed25519_seed());
        ReplicaMacKey(crate::hazmat::hkdf(&*seed, &device_id.0, INFO))
    }
}

impl ReplicaMacKey {
    fn hmac(&self) -> Hmac<Sha256> {
        // HMAC takes a key of any length, so this cannot fail.
        match <Hmac<Sha256> as Mac>::new_from_slice(&*self.0) {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC accepts 32-byte keys"),
        }
    }

    /// The tag of `msg`.
    pub fn mac(&self, msg: &[u8]) -> [u8; 32] {
        let mut m = self.hmac();
        m.update(msg);
        m.finalize().into_bytes().into()
    }

    /// Checks `tag` against `msg` in constant time.
    pub fn verify(&self, msg: &[u8], tag: &[u8]) -> Result<(), Error> {
        if bool::from(self.mac(msg).ct_eq(tag)) {
            Ok(())
        } else {
            Err(Error::Decrypt)
        }
    }
}

/// Where an exposed-value tag belongs: the environment key's epoch and the
/// item. Every field goes into the key or the message, so a tag computed
/// for one item, environment or epoch never matches in another.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ValueTagContext {
    /// The vault.
    pub vault_id: Id,
    /// The environment whose key (of `epoch`) keys the tag.
    pub env_id: Id,
    /// The environment key's epoch.
    pub epoch: u64,
    /// The item whose value is tagged.
    pub item_id: Id,
}

/// A keyed hash of one credential value (DESIGN.md §5, offboarding): what
/// lets a vault remember which values an offboarded member saw without
/// keeping the values, or a bare hash anyone could test guesses against.
///
/// `K = H(EK, salt = vault_id ‖ env_id ‖ epoch, info = "coffer/v1/exposed-value")`,
/// `tag = HMAC-SHA256(K, item_id ‖ value)`. Only holders of the
/// environment's current key can compute or test one. Equality is constant
/// time; `Debug` does not print the bytes.
#[derive(Clone, Copy)]
pub struct ValueTag([u8; 32]);

impl ValueTag {
    /// A tag as stored (32 bytes).
    pub fn from_slice(b: &[u8]) -> Result<Self, Error> {
        Ok(Self(
            b.try_into().map_err(|_| Error::Malformed("value tag"))?,
        ))
    }

    /// The stored form.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0
    }
}

impl PartialEq for ValueTag {
    fn eq(&self, other: &Self) -> bool {
        self.0.ct_eq(&other.0).into()
    }
}

impl Eq for ValueTag {}

impl fmt::Debug for ValueTag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ValueTag([redacted])")
    }
}

const VALUE_TAG_INFO: &[u8] = b"coffer/v1/exposed-value";

impl crate::EnvKey {
    /// The exposed-value tag of `value` for the item in `ctx`.
    pub fn value_tag(&self, ctx: &ValueTagContext, value: &[u8]) -> ValueTag {
        let mut salt = [0u8; 40];
        salt[..16].copy_from_slice(&ctx.vault_id.0);
        salt[16..32].copy_from_slice(&ctx.env_id.0);
        salt[32..].copy_from_slice(&ctx.epoch.to_le_bytes());
        let k = crate::hazmat::hkdf(self.bytes(), &salt, VALUE_TAG_INFO);
        // HMAC takes a key of any length, so this cannot fail.
        let mut m = match <Hmac<Sha256> as Mac>::new_from_slice(&*k) {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC accepts 32-byte keys"),
        };
        m.update(&ctx.item_id.0);
        m.update(value);
        ValueTag(m.finalize().into_bytes().into())
    }
}

/// SHA-256 fed piece by piece (a replica's state digest), each piece
/// length-prefixed so that pieces cannot run into each other.
pub struct StateHasher(Sha256);

impl StateHasher {
    /// Starts a digest under `label`.
    pub fn new(label: &str) -> Self {
        let mut h = StateHasher(Sha256::new());
        h.piece(label.as_bytes());
        h
    }

    /// Adds one length-prefixed piece.
    pub fn piece(&mut self, b: &[u8]) -> &mut Self {
        self.0.update((b.len() as u64).to_le_bytes());
        self.0.update(b);
        self
    }

    /// The digest.
    pub fn finish(self) -> [u8; 32] {
        self.0.finalize().into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_key_depends_on_identity_and_device() {
        let a = PrivateIdentity::make();
        let b = PrivateIdentity::make();
        let (d1, d2) = (Id::make(), Id::make());
        let t = a.derive_replica_mac_key(&d1).mac(b"state");
        assert!(a.derive_replica_mac_key(&d1).verify(b"state", &t).is_ok());
        assert!(a.derive_replica_mac_key(&d1).verify(b"stat3", &t).is_err());
        assert!(a.derive_replica_mac_key(&d2).verify(b"state", &t).is_err());
        assert!(b.derive_replica_mac_key(&d1).verify(b"state", &t).is_err());
        assert!(a
            .derive_replica_mac_key(&d1)
            .verify(b"state", &t[..31])
            .is_err());
    }

    #[test]
    fn a_value_tag_depends_on_key_context_and_value() {
        let ek = crate::EnvKey::make();
        let ctx = ValueTagContext {
            vault_id: Id::make(),
            env_id: Id::make(),
            epoch: 2,
            item_id: Id::make(),
        };
        let t = ek.value_tag(&ctx, b"hunter2");
        assert_eq!(t, ek.value_tag(&ctx, b"hunter2"));
        assert_ne!(t, ek.value_tag(&ctx, b"hunter3"));
        assert_ne!(t, crate::EnvKey::make().value_tag(&ctx, b"hunter2"));
        for other in [
            ValueTagContext { epoch: 3, ..ctx },
            ValueTagContext {
                item_id: Id::make(),
                ..ctx
            },
            ValueTagContext {
                env_id: Id::make(),
                ..ctx
            },
            ValueTagContext {
                vault_id: Id::make(),
                ..ctx
            },
        ] {
            assert_ne!(t, ek.value_tag(&other, b"hunter2"));
        }
        assert_eq!(format!("{t:?}"), "ValueTag([redacted])");
        assert!(ValueTag::from_slice(&[0; 31]).is_err());
    }

    #[test]
    fn pieces_do_not_run_into_each_other() {
        let mut x = StateHasher::new("t");
        x.piece(b"ab").piece(b"c");
        let mut y = StateHasher::new("t");
        y.piece(b"a").piece(b"bc");
        assert_ne!(x.finish(), y.finish());
    }
}
