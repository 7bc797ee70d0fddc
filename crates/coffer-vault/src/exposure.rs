//! Remembering what an offboarded member saw (DESIGN.md §5).
//!
//! Revoking keys cannot make someone forget a value: only changing it at
//! the provider does. So an item stays *exposed* while its current value is
//! one the offboarded member could read, however that value came back
//! (`restore`, `set`, `import`, a conflict resolved to it).
//!
//! Offboarding records, in a signed `ExposedValues` op per environment, a
//! keyed hash ([`coffer_crypto::ValueTag`]) of every version of every item
//! the member could read while they had access. The key is derived from the
//! environment key of the epoch the op names, which the offboarding has just
//! replaced (or which the member no longer held), so only members who hold
//! the environment's current key can compute or test a tag; the log keeps no
//! value and no bare hash anyone could test guesses against. Every later
//! new epoch (another offboarding, an ungrant) re-tags the remembered values
//! under the new key in the same batch.
//!
//! The tags are state derived by `mutate` from verified ops (so `audit
//! verify` and sync replay rebuild them like any other table). Whether the
//! current value matches is decided by each reader itself, from that state
//! and the value it decrypted: a writer who sets a seen value and marks it
//! not exposed does not make it so.

use std::collections::{HashMap, HashSet};

use coffer_crypto::{EnvKey, Id, ValueTag, ValueTagContext};
use rusqlite::params;

use crate::error::{Error, Result};
use crate::items::{all_versions, open_version, Decrypted};
use crate::ops::{ExposedValue, OpBody};
use crate::vault::{EnvInfo, Vault};

/// Items a member could read, with when their access ended (`None`: they
/// had it until offboarded): every version made by then was readable.
pub(crate) type Seen = HashMap<Id, Option<i64>>;

/// The remembered tags of one environment's items: item → (tag, since).
type Tags = HashMap<Id, Vec<(ValueTag, i64)>>;

/// [`Tags`], and which of those items are deleted: a value one of them
/// had, set again under another item, is still the value that was seen.
struct Remembered {
    tags: Tags,
    deleted: Vec<Id>,
}

fn tag_ctx(vault: &Vault, env_id: Id, epoch: u64, item_id: Id) -> ValueTagContext {
    ValueTagContext {
        vault_id: vault.vault_id,
        env_id,
        epoch,
        item_id,
    }
}

impl Vault {
    /// The remembered tags of `env`'s items (verified state).
    fn exposed_tags(&self, env: &EnvInfo) -> Result<Tags> {
        Ok(self.remembered(env)?.tags)
    }

    /// The remembered tags of `env`'s items and which items are deleted
    /// (verified state).
    fn remembered(&self, env: &EnvInfo) -> Result<Remembered> {
        let mut st = self.conn.prepare_cached(
            "SELECT e.item_id, e.tag, e.since, i.deleted_at IS NOT NULL
             FROM exposed_values e JOIN items i ON i.id = e.item_id
             WHERE i.env_id = ?1",
        )?;
        let rows = st.query_map(params![&env.id.0[..]], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, bool>(3)?,
            ))
        })?;
        let mut tags: Tags = HashMap::new();
        let mut deleted = Vec::new();
        for r in rows {
            let (id, tag, since, gone) = r?;
            let id = Id::from_slice(&id).map_err(|_| Error::integrity("bad item id"))?;
            let tag = ValueTag::from_slice(&tag)
                .map_err(|_| Error::integrity("a malformed exposed-value tag"))?;
            if gone && !tags.contains_key(&id) {
                deleted.push(id);
            }
            tags.entry(id).or_default().push((tag, since));
        }
        deleted.sort();
        Ok(Remembered { tags, deleted })
    }

    /// Since when `value`, the current value of `item_id`, is one an
    /// offboarded member saw: as a value of this item, or of a deleted
    /// item of the environment (a credential deleted, then its value set
    /// again under a new item). Tags are bound to their item, so each
    /// deleted item's tag of `value` is computed and compared: one HMAC
    /// per deleted item that has tags.
    fn seen_since(
        &mut self,
        env: &EnvInfo,
        remembered: &Remembered,
        item_id: Id,
        value: &[u8],
    ) -> Result<Option<i64>> {
        let vault_id = self.vault_id;
        let ek = self.env_key(env)?;
        let own = remembered
            .tags
            .get(&item_id)
            .into_iter()
            .map(|t| (item_id, t));
        let gone = remembered
            .deleted
            .iter()
            .filter(|d| **d != item_id)
            .filter_map(|d| remembered.tags.get(d).map(|t| (*d, t)));
        for (id, seen) in own.chain(gone) {
            let ctx = ValueTagContext {
                vault_id,
                env_id: env.id,
                epoch: env.epoch,
                item_id: id,
            };
            let t = ek.value_tag(&ctx, value);
            if let Some((_, since)) = seen.iter().find(|(x, _)| *x == t) {
                return Ok(Some(*since));
            }
        }
        Ok(None)
    }

    /// Marks as exposed every decrypted item whose current value an
    /// offboarded member saw (as its own value, or as a deleted item's),
    /// whatever its stored `exposed_at` says. Needs
    /// the environment key (items read through a share alone keep their
    /// stored status).
    pub(crate) fn derive_exposure(&mut self, env: &EnvInfo, items: &mut [Decrypted]) -> Result<()> {
        if !env.readable {
            return Ok(());
        }
        let remembered = self.remembered(env)?;
        if remembered.tags.is_empty() {
            return Ok(());
        }
        for d in items.iter_mut() {
            if d.meta.exposed_at.is_some() {
                continue;
            }
            if !remembered.tags.contains_key(&d.id) && remembered.deleted.is_empty() {
                continue;
            }
            if d.unopened.is_some() {
                // Its value is unknown here; it shows the older one's state.
                continue;
            }
            let value = d.fields.value.expose_secret().as_bytes();
            if let Some(since) = self.seen_since(env, &remembered, d.id, value)? {
                d.meta.exposed_at = Some(since);
            }
        }
        Ok(())
    }

    /// When `value` was exposed, if an offboarded member saw it as a value
    /// of `item_id` or of a deleted item of `env`: what a new version with
    /// this value must record as `exposed_at` (`None`: a fresh value, the
    /// exposure ends).
    pub(crate) fn exposed_since(
        &mut self,
        env: &EnvInfo,
        item_id: Id,
        value: &coffer_crypto::SecretString,
    ) -> Result<Option<i64>> {
        if !env.readable {
            return Ok(None);
        }
        let remembered = self.remembered(env)?;
        self.seen_since(env, &remembered, item_id, value.expose_secret().as_bytes())
    }

    /// The `ExposedValues` op that keeps every value `env` remembers and
    /// adds `value` of `item_id`, exposed since `since` (a value written
    /// under a key whoever lost access holds). `None` without the
    /// environment's key.
    pub(crate) fn build_exposed_value(
        &mut self,
        env: &EnvInfo,
        item_id: Id,
        value: &coffer_crypto::SecretString,
        since: i64,
    ) -> Result<Option<OpBody>> {
        if !env.readable {
            return Ok(None);
        }
        let mut values: Vec<ExposedValue> = Vec::new();
        for (id, tags) in self.exposed_tags(env)? {
            for (tag, since) in tags {
                values.push(ExposedValue {
                    item_id: id,
                    tag: tag.to_bytes(),
                    since,
                });
            }
        }
        let ctx = tag_ctx(self, env.id, env.epoch, item_id);
        let tag = self
            .env_key(env)?
            .value_tag(&ctx, value.expose_secret().as_bytes())
            .to_bytes();
        if !values.iter().any(|v| v.item_id == item_id && v.tag == tag) {
            values.push(ExposedValue {
                item_id,
                tag,
                since,
            });
        }
        values.sort_by_key(|v| (v.item_id.0, v.tag));
        Ok(Some(OpBody::ExposedValues {
            env_id: env.id,
            epoch: env.epoch,
            values,
        }))
    }

    /// Every version of `item_id` (in `env`, whose key is cached) that
    /// opens, with its value. `None` when the item's key does not open in a
    /// private replica (`lenient`: a teammate's client sealed it so, and
    /// there is nothing to tag); elsewhere that is an integrity error.
    fn open_all_versions(
        &mut self,
        env: &EnvInfo,
        item_id: Id,
        lenient: bool,
    ) -> Result<Option<Vec<(u64, coffer_crypto::SecretString)>>> {
        let vault_id = self.vault_id;
        // The item is in `env` (checked by the caller): its key opens under
        // the environment's key, cached, rather than looking the
        // environment up again for each item (`item_key_by_id`), which
        // made an offboarding of 10,000 items four times slower.
        let ik_ct: Vec<u8> = self
            .conn
            .prepare_cached("SELECT ik_ct FROM items WHERE id = ?1")?
            .query_row([&item_id.0[..]], |r| r.get(0))?;
        let opened = self.env_key(env)?.open_item_key(
            &ik_ct,
            &coffer_crypto::ItemKeyContext {
                vault_id,
                env_id: env.id,
                item_id,
                epoch: env.epoch,
            },
        );
        let ik = match opened {
            Ok(ik) => {
                let earlier = crate::items::earlier_keys_ct(&self.conn, &item_id)?;
                let mut keys =
                    crate::items::ItemKeys::open(ik, earlier.as_ref(), vault_id, env.id, item_id);
                // What the offboarded member saw is tagged whatever an
                // unshare left as earlier keys (attack review 6, H2).
                self.recover_earlier(env, item_id, &mut keys)?;
                keys
            }
            Err(_) if lenient => return Ok(None),
            Err(_) => {
                return Err(Error::integrity(format!(
                    "an item key in {} does not open",
                    env.path()
                )))
            }
        };
        let mut out = Vec::new();
        for (version, blob, meta, author) in all_versions(self, &item_id)? {
            match open_version(&ik, vault_id, env, item_id, version, &blob, &meta, &author) {
                Ok(f) => out.push((version, f.value)),
                Err(_) if lenient => continue,
                Err(e) => return Err(e),
            }
        }
        Ok(Some(out))
    }

    /// The `ExposedValues` op that leaves `env` remembering, under the key
    /// of the epoch it will have after the batch (`next`: the new key and
    /// epoch of a re-key in the same batch; `None`: the current ones), the
    /// values it remembers now plus every version of the items in `seen`
    /// made while the member had access. `None` when there is nothing to
    /// remember and nothing was remembered. `opened`: the values a re-key
    /// of `env` in the same batch opened (under the same verified keys this
    /// would open them with), used instead of opening them again.
    pub(crate) fn build_exposed_values(
        &mut self,
        env: &EnvInfo,
        next: Option<(&EnvKey, u64)>,
        seen: &Seen,
        now: i64,
        opened: Option<&crate::rekey::Opened>,
    ) -> Result<Option<OpBody>> {
        if !env.readable {
            // Without the environment's key nothing can be tagged; only an
            // owner or admin holding it builds these (offboarding, ungrant).
            return Ok(None);
        }
        let current = self.exposed_tags(env)?;
        let mut ids: Vec<Id> = current.keys().copied().collect();
        // The environment's live items in one query: asking per seen item
        // (every item of every environment, once per environment) was
        // quadratic, and 60 % of a 10,000-item offboarding.
        let live: HashSet<Vec<u8>> = {
            let mut st = self
                .conn
                .prepare_cached("SELECT id FROM items WHERE env_id = ?1 AND deleted_at IS NULL")?;
            let rows = st.query_map([&env.id.0[..]], |r| r.get::<_, Vec<u8>>(0))?;
            rows.collect::<std::result::Result<_, _>>()?
        };
        for id in seen.keys() {
            if live.contains(&id.0[..]) && !current.contains_key(id) {
                ids.push(*id);
            }
        }
        if ids.is_empty() {
            return Ok(None);
        }
        ids.sort();
        self.ensure_env_key(env)?;
        let (new_epoch, mut values) = (next.map_or(env.epoch, |(_, e)| e), Vec::new());
        // What a teammate's client sealed so that nothing opens it (only a
        // verified op can have, in a private replica) has no value to tag.
        let lenient = self.is_private_replica();
        for item_id in ids {
            let owned;
            let versions: &[(u64, coffer_crypto::SecretString)] =
                match opened.and_then(|o| o.get(&item_id)) {
                    Some(v) => v,
                    None => match self.open_all_versions(env, item_id, lenient)? {
                        Some(v) => {
                            owned = v;
                            &owned
                        }
                        None => continue,
                    },
                };
            let end = seen.get(&item_id);
            // When each version was written matters only if their access
            // ended (a version written after that they never saw).
            let made: HashMap<u64, i64> = if !matches!(end, Some(Some(_))) {
                HashMap::new()
            } else {
                let mut st = self.conn.prepare_cached(
                    "SELECT version, created_at FROM item_versions WHERE item_id = ?1",
                )?;
                let rows = st.query_map(params![&item_id.0[..]], |r| {
                    Ok((r.get::<_, i64>(0)? as u64, r.get::<_, i64>(1)?))
                })?;
                rows.collect::<std::result::Result<_, _>>()?
            };
            let old = current.get(&item_id);
            // This item's tags are the ones pushed from here on.
            let first = values.len();
            for (version, value) in versions {
                let version = *version;
                let value = value.expose_secret().as_bytes();
                // An item with no remembered tags carries none over: no
                // need to compute the tag under the old key.
                let carried = match old {
                    Some(o) => {
                        let old_ctx = tag_ctx(self, env.id, env.epoch, item_id);
                        let old_tag = self.env_key(env)?.value_tag(&old_ctx, value);
                        o.iter()
                            .find(|(t, _)| *t == old_tag)
                            .map(|(_, since)| *since)
                    }
                    None => None,
                };
                let newly = match end {
                    Some(None) => true,
                    Some(Some(end)) => made.get(&version).is_some_and(|at| at <= end),
                    None => false,
                };
                let since = match (carried, newly) {
                    (Some(s), _) => s,
                    (None, true) => now,
                    (None, false) => continue,
                };
                let ctx = tag_ctx(self, env.id, new_epoch, item_id);
                let tag = match next {
                    Some((ek, _)) => ek.value_tag(&ctx, value),
                    None => self.env_key(env)?.value_tag(&ctx, value),
                };
                let tag = tag.to_bytes();
                if !values[first..].iter().any(|v: &ExposedValue| v.tag == tag) {
                    values.push(ExposedValue {
                        item_id,
                        tag,
                        since,
                    });
                }
            }
        }
        Ok(Some(OpBody::ExposedValues {
            env_id: env.id,
            epoch: new_epoch,
            values,
        }))
    }
}
