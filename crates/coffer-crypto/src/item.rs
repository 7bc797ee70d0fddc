//! Sealing items and item keys.
//!
//! - Item: the whole item (name, value, notes, …) is one blob:
//!   `X(IK, canonical(item), aad = "coffer/v1/item" ‖ vault_id ‖ env_id ‖ item_id ‖ row_version ‖ meta)`
//!   where `meta` is the canonical encoding of the item's plaintext rotation
//!   fields. One blob per item, never one per field, so fields cannot be swapped.
//!   A blob bound to its writer (`item.set` kind 31, attack review 7, F6)
//!   has `aad = "coffer/v1/item-by" ‖ vault_id ‖ env_id ‖ item_id ‖ row_version ‖ author_id ‖ meta`:
//!   a copy of it in someone else's entry opens under no context.
//! - Item key under the environment key:
//!   `X(EK, IK, aad = "coffer/v1/ik" ‖ vault_id ‖ env_id ‖ item_id ‖ epoch)`.
//! - An item's earlier keys under its current one, after an item re-key that
//!   keeps every version as it was sealed (an unshare):
//!   `X(IK, IK_1 ‖ … ‖ IK_n, aad = "coffer/v1/ik-earlier" ‖ vault_id ‖ env_id ‖ item_id)`.
//!   Whoever holds the current key opens every version; nobody who re-keys
//!   an item can change what one of its versions says.

use crate::hazmat::{xopen, xseal};
use crate::id::Id;
use crate::secret::{EnvKey, ItemKey, SecretBytes};
use crate::Error;

/// The context an item blob is bound to.
#[derive(Clone, Copy, Debug)]
pub struct ItemContext<'a> {
    /// The vault.
    pub vault_id: Id,
    /// The environment.
    pub env_id: Id,
    /// The item.
    pub item_id: Id,
    /// The version of the item this blob is.
    pub row_version: u64,
    /// Canonical bytes of the plaintext metadata stored beside the blob
    /// (rotation fields): editing them breaks the blob.
    pub meta: &'a [u8],
    /// The member who wrote this version, for a blob bound to its writer
    /// (`item.set` kind 31); `None` for a blob of the older kinds, whose
    /// AAD names no writer.
    pub author: Option<Id>,
}

impl ItemContext<'_> {
    fn aad(&self) -> Vec<u8> {
        let mut a = Vec::with_capacity(17 + 72 + self.meta.len());
        a.extend_from_slice(match self.author {
            None => b"coffer/v1/item".as_slice(),
            Some(_) => b"coffer/v1/item-by".as_slice(),
        });
        a.extend_from_slice(&self.vault_id.0);
        a.extend_from_slice(&self.env_id.0);
        a.extend_from_slice(&self.item_id.0);
        a.extend_from_slice(&self.row_version.to_le_bytes());
        if let Some(author) = self.author {
            a.extend_from_slice(&author.0);
        }
        a.extend_from_slice(&(self.meta.len() as u64).to_le_bytes());
        a.extend_from_slice(self.meta);
        a
    }
}

/// The context an item key is bound to.
#[derive(Clone, Copy, Debug)]
pub struct ItemKeyContext {
    /// The vault.
    pub vault_id: Id,
    /// The environment.
    pub env_id: Id,
    /// The item.
    pub item_id: Id,
    /// The environment epoch whose EK seals this IK.
    pub epoch: u64,
}

impl ItemKeyContext {
    fn aad(&self) -> [u8; 12 + 56] {
        let mut a = [0u8; 68];
        a[..12].copy_from_slice(b"coffer/v1/ik");
        a[12..28].copy_from_slice(&self.vault_id.0);
        a[28..44].copy_from_slice(&self.env_id.0);
        a[44..60].copy_from_slice(&self.item_id.0);
        a[60..68].copy_from_slice(&self.epoch.to_le_bytes());
        a
    }
}

/// The context an item's earlier keys are bound to.
#[derive(Clone, Copy, Debug)]
pub struct EarlierKeysContext {
    /// The vault.
    pub vault_id: Id,
    /// The environment.
    pub env_id: Id,
    /// The item.
    pub item_id: Id,
}

impl EarlierKeysContext {
    fn aad(&self) -> [u8; 20 + 48] {
        let mut a = [0u8; 68];
        a[..20].copy_from_slice(b"coffer/v1/ik-earlier");
        a[20..36].copy_from_slice(&self.vault_id.0);
        a[36..52].copy_from_slice(&self.env_id.0);
        a[52..68].copy_from_slice(&self.item_id.0);
        a
    }
}

/// The most earlier keys one item keeps (each unshare adds one until the
/// next environment re-key re-seals every version under one key).
pub const MAX_EARLIER_KEYS: usize = 4096;

/// The length of [`ItemKey::seal_earlier_keys`]'s output for `n` keys:
/// anyone can bound a sealed list by the keys an item can have had
/// without opening it (attack review 8, G2).
pub const fn sealed_earlier_keys_len(n: usize) -> usize {
    crate::hazmat::XNONCE_LEN + 32 * n + crate::hazmat::TAG_LEN
}

impl ItemKey {
    /// Seals `earlier` (newest first) under this key.
    pub fn seal_earlier_keys(
        &self,
        earlier: &[ItemKey],
        ctx: &EarlierKeysContext,
    ) -> Result<Vec<u8>, Error> {
        if earlier.len() > MAX_EARLIER_KEYS {
            return Err(Error::Encrypt);
        }
        let mut pt = zeroize::Zeroizing::new(Vec::with_capacity(32 * earlier.len()));
        for k in earlier {
            pt.extend_from_slice(k.bytes());
        }
        xseal(self.bytes(), &pt, &ctx.aad())
    }

    /// Opens the earlier keys sealed under this key, newest first.
    pub fn open_earlier_keys(
        &self,
        ct: &[u8],
        ctx: &EarlierKeysContext,
    ) -> Result<Vec<ItemKey>, Error> {
        let pt = xopen(self.bytes(), ct, &ctx.aad())?;
        if pt.len() % 32 != 0 || pt.len() / 32 > MAX_EARLIER_KEYS {
            return Err(Error::Malformed("earlier item keys"));
        }
        pt.chunks_exact(32).map(ItemKey::from_slice).collect()
    }

    /// Seals an item's canonical plaintext.
    pub fn seal_item(&self, plaintext: &[u8], ctx: &ItemContext<'_>) -> Result<Vec<u8>, Error> {
        xseal(self.bytes(), plaintext, &ctx.aad())
    }

    /// Opens an item blob; any mismatch of key, context or bytes is
    /// [`Error::Decrypt`] — never a default value.
    pub fn open_item(&self, blob: &[u8], ctx: &ItemContext<'_>) -> Result<SecretBytes, Error> {
        xopen(self.bytes(), blob, &ctx.aad()).map(SecretBytes::from)
    }
}

impl EnvKey {
    /// Seals an item key under this environment key.
    pub fn seal_item_key(&self, ik: &ItemKey, ctx: &ItemKeyContext) -> Result<Vec<u8>, Error> {
        xseal(self.bytes(), ik.bytes(), &ctx.aad())
    }

    /// Opens an item key.
    pub fn open_item_key(&self, ct: &[u8], ctx: &ItemKeyContext) -> Result<ItemKey, Error> {
        let pt = xopen(self.bytes(), ct, &ctx.aad())?;
        ItemKey::from_slice(&pt)
    }
}

/// Frozen-vector helpers: the same constructions with a caller-chosen nonce
/// and key, so `tests/vectors` can pin the exact bytes. Never use outside tests.
#[doc(hidden)]
pub mod vectors {
    use super::*;
    use crate::hazmat::xseal_with_nonce;

    /// [`ItemKey::seal_item`] with a fixed key and nonce.
    pub fn seal_item_fixed(
        ik: [u8; 32],
        nonce: [u8; 24],
        pt: &[u8],
        ctx: &ItemContext<'_>,
    ) -> Result<Vec<u8>, Error> {
        xseal_with_nonce(&ik, &nonce, pt, &ctx.aad())
    }

    /// An item key from fixed bytes.
    pub fn item_key(b: [u8; 32]) -> ItemKey {
        ItemKey::from_array(b)
    }

    /// An environment key from fixed bytes.
    pub fn env_key(b: [u8; 32]) -> EnvKey {
        EnvKey::from_array(b)
    }

    /// [`EnvKey::seal_item_key`] with a fixed nonce.
    pub fn seal_item_key_fixed(
        ek: [u8; 32],
        nonce: [u8; 24],
        ik: [u8; 32],
        ctx: &ItemKeyContext,
    ) -> Result<Vec<u8>, Error> {
        xseal_with_nonce(&ek, &nonce, &ik, &ctx.aad())
    }

    /// Raw XChaCha20-Poly1305 (nonce ‖ ct ‖ tag), for the draft vectors.
    pub fn xchacha_seal(
        key: [u8; 32],
        nonce: [u8; 24],
        pt: &[u8],
        aad: &[u8],
    ) -> Result<Vec<u8>, Error> {
        xseal_with_nonce(&key, &nonce, pt, aad)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn item_round_trip_and_swaps() {
        let (v, e, i) = (Id::make(), Id::make(), Id::make());
        let ik = ItemKey::make();
        let meta = [1u8, 2, 3];
        let c = ItemContext {
            vault_id: v,
            env_id: e,
            item_id: i,
            row_version: 1,
            meta: &meta,
            author: None,
        };
        let blob = ik.seal_item(b"secret", &c).expect("seal");
        assert_eq!(
            ik.open_item(&blob, &c).expect("open").expose_secret(),
            b"secret"
        );
        assert!(ik
            .open_item(
                &blob,
                &ItemContext {
                    item_id: Id::make(),
                    ..c
                }
            )
            .is_err());
        assert!(ik
            .open_item(
                &blob,
                &ItemContext {
                    env_id: Id::make(),
                    ..c
                }
            )
            .is_err());
        assert!(ik
            .open_item(
                &blob,
                &ItemContext {
                    row_version: 2,
                    ..c
                }
            )
            .is_err());
        assert!(ik
            .open_item(
                &blob,
                &ItemContext {
                    meta: &[1, 2, 4],
                    ..c
                }
            )
            .is_err());

        let ek = EnvKey::make();
        let kc = ItemKeyContext {
            vault_id: v,
            env_id: e,
            item_id: i,
            epoch: 1,
        };
        let w = ek.seal_item_key(&ik, &kc).expect("seal");
        assert_eq!(ek.open_item_key(&w, &kc).expect("open"), ik);
        assert!(ek
            .open_item_key(&w, &ItemKeyContext { epoch: 0, ..kc })
            .is_err());
    }

    #[test]
    fn a_blob_bound_to_its_writer_opens_only_as_theirs() {
        let (bob, mallory) = (Id::make(), Id::make());
        let ik = ItemKey::make();
        let c = ItemContext {
            vault_id: Id::make(),
            env_id: Id::make(),
            item_id: Id::make(),
            row_version: 3,
            meta: &[],
            author: Some(bob),
        };
        let blob = ik.seal_item(b"bobs", &c).expect("seal");
        assert_eq!(
            ik.open_item(&blob, &c).expect("open").expose_secret(),
            b"bobs"
        );
        for other in [Some(mallory), None] {
            assert!(ik
                .open_item(&blob, &ItemContext { author: other, ..c })
                .is_err());
        }
        // And an unbound blob does not open as anyone's bound one.
        let old = ik
            .seal_item(b"old", &ItemContext { author: None, ..c })
            .expect("seal");
        assert!(ik.open_item(&old, &c).is_err());
    }

    #[test]
    fn earlier_keys_round_trip_and_bind_their_item() {
        let ctx = EarlierKeysContext {
            vault_id: Id::make(),
            env_id: Id::make(),
            item_id: Id::make(),
        };
        let (cur, a, b) = (ItemKey::make(), ItemKey::make(), ItemKey::make());
        let dup = |k: &ItemKey| ItemKey::from_slice(k.bytes()).expect("32 bytes");
        let ct = cur
            .seal_earlier_keys(&[dup(&a), dup(&b)], &ctx)
            .expect("seal");
        assert_eq!(
            cur.open_earlier_keys(&ct, &ctx).expect("open"),
            vec![dup(&a), b]
        );
        assert!(a.open_earlier_keys(&ct, &ctx).is_err(), "another key");
        for other in [
            EarlierKeysContext {
                item_id: Id::make(),
                ..ctx
            },
            EarlierKeysContext {
                env_id: Id::make(),
                ..ctx
            },
            EarlierKeysContext {
                vault_id: Id::make(),
                ..ctx
            },
        ] {
            assert!(cur.open_earlier_keys(&ct, &other).is_err());
        }
        let mut flipped = ct.clone();
        let last = flipped.len() - 1;
        flipped[last] ^= 1;
        assert!(cur.open_earlier_keys(&flipped, &ctx).is_err());
        assert!(cur.open_earlier_keys(&ct[..ct.len() - 1], &ctx).is_err());
    }
}
