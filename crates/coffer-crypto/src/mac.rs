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

/// The key of one identity's blind name index for one environment key
/// (issue 14, docs/design-decisions.md "The blind name index"): what lets
/// `get` find a credential by name without opening every credential of
/// the environment.
///
/// `K = H(EK ‖ ed25519 seed, salt = vault_id ‖ env_id ‖ epoch, info =
/// "coffer/v1/name-index")`. Both the environment key and this identity's
/// secret go in: a teammate who holds the environment key, or whoever
/// writes the vault file, can neither compute a name's tag nor forge an
/// entry; a re-key (new epoch, new key) makes every entry of the old
/// epoch fail. Zeroized on drop; no `Debug` of the bytes.
pub struct NameIndexKey(Zeroizing<[u8; 32]>);

impl fmt::Debug for NameIndexKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NameIndexKey([redacted])")
    }
}

const NAME_INDEX_INFO: &[u8] = b"coffer/v1/name-index";

impl PrivateIdentity {
    /// This identity's name-index key for `ek`, the key of `epoch` of
    /// environment `env_id` in vault `vault_id`.
    pub fn derive_name_index_key(
        &self,
        ek: &crate::EnvKey,
        vault_id: &Id,
        env_id: &Id,
        epoch: u64,
    ) -> NameIndexKey {
        let mut ikm = Zeroizing::new([0u8; 64]);
        ikm[..32].copy_from_slice(ek.bytes());
        ikm[32..].copy_from_slice(&Zeroizing::new(self.ed25519_seed())[..]);
        let mut salt = [0u8; 40];
        salt[..16].copy_from_slice(&vault_id.0);
        salt[16..32].copy_from_slice(&env_id.0);
        salt[32..].copy_from_slice(&epoch.to_le_bytes());
        NameIndexKey(crate::hazmat::hkdf(&*ikm, &salt, NAME_INDEX_INFO))
    }
}

impl NameIndexKey {
    fn hmac(&self, label: &[u8]) -> Hmac<Sha256> {
        // HMAC takes a key of any length, so this cannot fail.
        let mut m = match <Hmac<Sha256> as Mac>::new_from_slice(&*self.0) {
            Ok(m) => m,
            Err(_) => unreachable!("HMAC accepts 32-byte keys"),
        };
        m.update(label);
        m
    }

    /// The tag of credential `item_id` named `name`. The item is in it,
    /// so equal names of two credentials (twins, or a name removed and
    /// created again) have unrelated tags: the file does not even tell
    /// which credentials share a name (attack review 18). Nothing about
    /// the name without the key.
    pub fn tag(&self, item_id: &Id, name: &str) -> [u8; 32] {
        let mut m = self.hmac(b"tag\0");
        m.update(&item_id.0);
        m.update(name.as_bytes());
        m.finalize().into_bytes().into()
    }

    /// Whether `tag` is the tag of `item_id` named `name` (constant time).
    pub fn is_tag_of(&self, tag: &[u8], item_id: &Id, name: &str) -> bool {
        bool::from(self.tag(item_id, name)[..].ct_eq(tag))
    }

    /// The MAC of an index entry: `item_id` has the name whose tag is
    /// `tag` while its stored rows hash to `rows` (what the entry is valid
    /// for; any change to them makes the entry fail).
    pub fn entry_mac(&self, item_id: &Id, rows: &[u8; 32], tag: &[u8; 32]) -> [u8; 32] {
        let mut m = self.hmac(b"entry\0");
        m.update(&item_id.0);
        m.update(rows);
        m.update(tag);
        m.finalize().into_bytes().into()
    }

    /// Checks an entry's MAC in constant time.
    pub fn verify_entry(&self, item_id: &Id, rows: &[u8; 32], tag: &[u8], mac: &[u8]) -> bool {
        let Ok(tag) = <[u8; 32]>::try_from(tag) else {
            return false;
        };
        bool::from(self.entry_mac(item_id, rows, &tag).ct_eq(mac))
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
    fn a_name_index_key_needs_the_environment_key_and_the_identity() {
        let (a, b) = (PrivateIdentity::make(), PrivateIdentity::make());
        let (ek, ek2) = (crate::EnvKey::make(), crate::EnvKey::make());
        let (v, e, item) = (Id::make(), Id::make(), Id::make());
        let k = a.derive_name_index_key(&ek, &v, &e, 1);
        let t = k.tag(&item, "DATABASE_URL");
        assert_eq!(
            t,
            a.derive_name_index_key(&ek, &v, &e, 1)
                .tag(&item, "DATABASE_URL")
        );
        assert_ne!(t, k.tag(&item, "DATABASE_URL2"));
        for other in [
            b.derive_name_index_key(&ek, &v, &e, 1),
            a.derive_name_index_key(&ek2, &v, &e, 1),
            a.derive_name_index_key(&ek, &Id::make(), &e, 1),
            a.derive_name_index_key(&ek, &v, &Id::make(), 1),
            a.derive_name_index_key(&ek, &v, &e, 2),
        ] {
            assert_ne!(other.tag(&item, "DATABASE_URL"), t);
        }
        // Another credential of the same name: an unrelated tag.
        assert_ne!(k.tag(&Id::make(), "DATABASE_URL"), t);
        assert!(k.is_tag_of(&t, &item, "DATABASE_URL"));
        assert!(!k.is_tag_of(&t, &item, "DATABASE_UR"));
        assert!(!k.is_tag_of(&t[..31], &item, "DATABASE_URL"));
        let rows = [7u8; 32];
        let mac = k.entry_mac(&item, &rows, &t);
        assert!(k.verify_entry(&item, &rows, &t, &mac));
        assert!(!k.verify_entry(&Id::make(), &rows, &t, &mac));
        assert!(!k.verify_entry(&item, &[8u8; 32], &t, &mac));
        assert!(!k.verify_entry(&item, &rows, &k.tag(&item, "OTHER"), &mac));
        assert!(!k.verify_entry(&item, &rows, &t[..31], &mac));
        assert!(!k.verify_entry(&item, &rows, &t, &mac[..31]));
        assert!(!b
            .derive_name_index_key(&ek, &v, &e, 1)
            .verify_entry(&item, &rows, &t, &mac));
        assert_eq!(format!("{k:?}"), "NameIndexKey([redacted])");
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
