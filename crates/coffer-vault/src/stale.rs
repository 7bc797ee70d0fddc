//! Writes that raced a re-key. A teammate who has not yet seen an
//! offboarding seals a new version under the item key the offboarding
//! replaced; whichever order the two ops reach a device in, that version
//! waits beside the current one, flagged as *stale* (`apply`: an `item.set`
//! names the keys it was sealed under, and a re-key sets newer versions
//! aside). The offboarded member holds that key, so the value is exposed.
//!
//! A re-key keeps the keys it replaced as they were wrapped
//! (`env_wraps_past`, `item_keys_past`), so whoever held them can still open
//! such a version. When an owner's or admin's device syncs, it makes each
//! stale version that would have been the next one current *as its writer
//! sealed and signed it* (`item.adopt`): the replaced key it is sealed
//! under joins the item's earlier keys, sealed under the current key, so
//! every current holder reads it, credited to its writer (re-sealing it
//! under the current key signed it in the adopting owner's name: attack
//! review 4, F9). The value is remembered as exposed (the rotation
//! dashboard and the offboarding's exposure report count it): the revoked
//! member could read it, and nothing written after it.

use std::collections::hash_map::Entry;
use std::collections::{BTreeMap, HashMap};

use coffer_crypto::{wrap, EnvKey, Id, ItemKey, ItemKeyContext, WrapContext};
use rusqlite::{params, OptionalExtension};

use crate::error::{Error, Result};
use crate::items::{open_version_under, Decrypted, Waiting};
use crate::ops::OpBody;
use crate::time::now;
use crate::vault::{EnvInfo, Role, Vault};

impl Vault {
    /// How many keys `item_id` has had replaced (`item_keys_past`): the
    /// same on every device, from the re-keys it applied.
    pub(crate) fn past_key_count(&self, item_id: &Id) -> Result<i64> {
        crate::vault::past_key_count(&self.conn, item_id)
    }

    /// The keys `item_id` had before re-keys that this identity can still
    /// open (it held the environment's key of that epoch), newest first,
    /// each with the item's version when it was replaced.
    pub(crate) fn past_item_keys(
        &mut self,
        env: &EnvInfo,
        item_id: Id,
    ) -> Result<Vec<(ItemKey, u64)>> {
        Ok(self.past_item_keys_known(env, item_id)?.0)
    }

    /// [`Vault::past_item_keys`], and whether they are every key that may
    /// open a version now: every key the item had within the environment's
    /// current epoch opened. A key an environment re-key replaced opens no
    /// version now (the re-key sealed every version again under the new
    /// key; a version it set aside, once adopted, brings its key in the
    /// adoption's row), so a member granted after an offboarding, who never
    /// held the earlier epoch, knows every key that matters as well as a
    /// member who did, and both take the same keys and bounds
    /// (`ItemKeys::open_known`): asking for *every* key the item ever had
    /// sent the newcomer to the writers' sealed lists, where a key only a
    /// writer's list gave opened a version the others refuse (attack review
    /// 11, M3).
    pub(crate) fn past_item_keys_known(
        &mut self,
        env: &EnvInfo,
        item_id: Id,
    ) -> Result<(Vec<(ItemKey, u64)>, bool)> {
        let rows: Vec<(i64, Vec<u8>, i64)> = {
            let mut st = self.conn.prepare_cached(
                "SELECT epoch, ik_ct, version FROM item_keys_past WHERE item_id = ?1 ORDER BY epoch DESC, version DESC",
            )?;
            let rows = st.query_map([&item_id.0[..]], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut eks: HashMap<u64, Option<EnvKey>> = HashMap::new();
        let mut out = Vec::new();
        let mut complete = true;
        for (epoch, ik_ct, version) in rows {
            let epoch = epoch as u64;
            let ctx = ItemKeyContext {
                vault_id: self.vault_id,
                env_id: env.id,
                item_id,
                epoch,
            };
            let opened = if epoch == env.epoch {
                // An item re-keyed within the epoch (an unshare).
                match self.env_key(env) {
                    Ok(ek) => ek.open_item_key(&ik_ct, &ctx).ok(),
                    Err(_) => None,
                }
            } else {
                let ek = match eks.entry(epoch) {
                    Entry::Occupied(o) => o.into_mut(),
                    Entry::Vacant(v) => v.insert(self.past_env_key(env, epoch)?),
                };
                ek.as_ref()
                    .and_then(|ek| ek.open_item_key(&ik_ct, &ctx).ok())
            };
            if epoch == env.epoch && opened.is_none() {
                complete = false;
            }
            out.extend(opened.map(|k| (k, version as u64)));
        }
        Ok((out, complete))
    }

    /// The environment's key of `epoch`, when this identity held it.
    fn past_env_key(&self, env: &EnvInfo, epoch: u64) -> Result<Option<EnvKey>> {
        let me = self.me.id();
        type WrapRow = (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>);
        let row: Option<WrapRow> = self
            .conn
            .query_row(
                "SELECT sender_id, epk, ct, sig FROM env_wraps_past
                 WHERE env_id = ?1 AND member_id = ?2 AND epoch = ?3",
                params![&env.id.0[..], &me.0[..], epoch as i64],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()?;
        let Some((sender, epk, ct, sig)) = row else {
            return Ok(None);
        };
        let sender = Id::from_slice(&sender).map_err(|_| Error::integrity("bad sender id"))?;
        // The wrap was accepted when it was current; its sender may have
        // left since. Their keys are still the ones pinned when they were
        // added, which is what the signature is checked against.
        let keys = Self::member_keys_in(&self.conn, &sender)?;
        if self.pinned.get(&sender) != Some(&keys) {
            return Err(Error::integrity(format!(
                "member {}'s keys differ from those pinned when they were added",
                sender.short()
            )));
        }
        let ctx = WrapContext {
            vault_id: self.vault_id,
            object_id: env.id,
            epoch,
            recipient_id: me,
            sender_id: sender,
        };
        Ok(wrap::unwrap(&self.me.private, &keys, &epk, &ct, &sig, &ctx).ok())
    }

    /// On an owner's or admin's device: re-seals every stale version that
    /// would have been its item's next version (the only one waiting) under
    /// the item's current key, marked exposed (and its value remembered as
    /// exposed), and resolves the flag. "Next" twice over: the version after
    /// the one the item had when the key was replaced (all its honest
    /// writer could have seen), and after the current one (nothing was
    /// written since). Any other stale version waits for a person. Never
    /// fails a sync: an environment or item that does not open is skipped,
    /// with a warning. Returns how many were re-sealed.
    pub(crate) fn reseal_stale(&mut self) -> usize {
        best_effort(
            "stale versions were not re-sealed",
            self.reseal_stale_inner(),
        )
    }

    /// Whether this identity is an active owner or admin (who re-seals and
    /// re-keys on their own when a sync calls for it).
    pub(crate) fn acts_for_the_team(&self) -> Result<bool> {
        Ok(matches!(
            self.member_status(&self.me.id())?,
            Some((Role::Owner | Role::Admin, s)) if s == "active"
        ))
    }

    fn reseal_stale_inner(&mut self) -> Result<usize> {
        if !self.acts_for_the_team()? {
            return Ok(0);
        }
        let waiting: Vec<(Vec<u8>, Vec<u8>)> = {
            let mut st = self.conn.prepare(
                "SELECT DISTINCT i.env_id, i.id FROM item_conflicts c JOIN items i ON i.id = c.item_id
                 WHERE i.deleted_at IS NULL ORDER BY i.env_id, i.id",
            )?;
            let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut by_env: BTreeMap<Vec<u8>, Vec<Id>> = BTreeMap::new();
        for (env, item) in waiting {
            let item = Id::from_slice(&item).map_err(|_| Error::integrity("bad item id"))?;
            by_env.entry(env).or_default().push(item);
        }
        let mut done = 0;
        for (env_id, items) in by_env {
            let Ok(env_id) = Id::from_slice(&env_id) else {
                continue;
            };
            let env = match self.env_by_id(&env_id) {
                Ok(e) if e.readable => e,
                _ => continue,
            };
            let current = match self.load_items(&env) {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!(env = %env.path(), error = %e, "stale versions not re-sealed here");
                    continue;
                }
            };
            for id in items {
                let Some(cur) = current.iter().find(|d| d.id == id) else {
                    continue;
                };
                match self.reseal_one(&env, cur) {
                    Ok(true) => done += 1,
                    Ok(false) => {}
                    Err(e) => tracing::warn!(error = %e, "a stale version was not re-sealed"),
                }
            }
        }
        Ok(done)
    }

    fn reseal_one(&mut self, env: &EnvInfo, cur: &Decrypted) -> Result<bool> {
        let waiting = self.conflict_versions(env, cur)?;
        let [Waiting {
            entry: h,
            fields: Some(fields),
            twin: None,
            replaced_at: Some(replaced_at),
        }] = waiting.as_slice()
        else {
            return Ok(false);
        };
        if !h.stale
            || h.version != cur.version + 1
            || h.version != replaced_at + 1
            || cur.unopened.is_some()
        {
            return Ok(false);
        }
        let now = now();
        // The waiting row, and the replaced key it opens under.
        type WaitingRow = (Vec<u8>, Vec<u8>, crate::ops::RotationMeta, Vec<u8>);
        let (digest, blob, meta, author): WaitingRow = self.conn.query_row(
            "SELECT digest, blob, rotate_every_days, rotated_at, expires_at, exposed_at, author_id
             FROM item_conflicts WHERE item_id = ?1 AND version = ?2",
            params![&cur.id.0[..], h.version as i64],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    crate::items::meta_at(r, 2)?,
                    r.get(6)?,
                ))
            },
        )?;
        let digest: [u8; 32] = digest
            .try_into()
            .map_err(|_| Error::integrity("bad conflict digest"))?;
        let vault_id = self.vault_id;
        let Some(key) = self
            .past_item_keys(env, cur.id)?
            .into_iter()
            .map(|(k, _)| k)
            .find(|k| {
                open_version_under([k], vault_id, env, cur.id, h.version, &blob, &meta, &author)
                    .is_ok()
            })
        else {
            return Ok(false);
        };
        let mut keys: Vec<ItemKey> = Vec::with_capacity(cur.ik.earlier.len() + 1);
        keys.push(key);
        for k in &cur.ik.earlier {
            keys.push(k.duplicate());
        }
        let keys = crate::rekey::within_history(self, env, cur.id, keys, 1)?;
        let earlier = cur
            .ik
            .current
            .seal_earlier_keys(
                &keys,
                &coffer_crypto::EarlierKeysContext {
                    vault_id,
                    env_id: env.id,
                    item_id: cur.id,
                },
            )
            .map_err(|_| Error::Refused("too many earlier keys".into()))?;
        let mut ops = vec![OpBody::AdoptStale {
            env_id: env.id,
            item_id: cur.id,
            version: h.version,
            digest,
            under: cur.ik_gen,
            earlier,
        }];
        // Remembered as exposed, so setting it back later is not a rotation.
        ops.extend(self.build_exposed_value(env, cur.id, &fields.value, now)?);
        self.apply_batch(ops)?;
        Ok(true)
    }
}

impl Vault {
    /// How many members are revoked (to tell whether a sync took in a
    /// revocation).
    pub(crate) fn revoked_count(&self) -> Result<i64> {
        Ok(self.conn.query_row(
            "SELECT COUNT(*) FROM members WHERE status = 'revoked'",
            [],
            |r| r.get(0),
        )?)
    }

    /// Re-keys every environment whose current epoch's key was wrapped, in
    /// an applied op, to a member who is now revoked: two offboardings
    /// racing (each admin's re-key wraps to the member the other removes;
    /// only one re-key can win the epoch) leave exactly that. Run by an
    /// owner's or admin's sync after it took in a revocation; the re-key
    /// goes out in the same sync. Two devices doing it race like any
    /// re-key: one wins, the other is denied and finds nothing left to do.
    /// Never fails a sync (a warning instead). Returns how many
    /// environments were re-keyed.
    pub(crate) fn rekey_leaked_epochs(&mut self) -> usize {
        best_effort(
            "an environment whose key a revoked member holds was not re-keyed",
            self.rekey_leaked_epochs_inner(),
        )
    }

    fn rekey_leaked_epochs_inner(&mut self) -> Result<usize> {
        if !self.acts_for_the_team()? {
            return Ok(0);
        }
        let revoked: std::collections::HashSet<Id> = {
            let mut st = self
                .conn
                .prepare("SELECT id FROM members WHERE status = 'revoked'")?;
            let rows = st.query_map([], |r| r.get::<_, Vec<u8>>(0))?;
            rows.filter_map(|r| r.ok().and_then(|b| Id::from_slice(&b).ok()))
                .collect()
        };
        if revoked.is_empty() {
            return Ok(0);
        }
        // Every wrap of an environment key to a now revoked member, as
        // (environment, epoch), from the applied ops (verified state).
        let mut leaked: std::collections::HashSet<(Id, u64)> = std::collections::HashSet::new();
        {
            let mut st = self.conn.prepare(&format!(
                "SELECT body FROM ops NOT INDEXED WHERE outcome = 'applied' AND kind IN ({}, {}, {}, {}, {}, {}, {})",
                crate::ops::kind::ADD_ENV,
                crate::ops::kind::REKEY_ENV,
                crate::ops::kind::ADD_MEMBER,
                crate::ops::kind::GRANT,
                crate::ops::kind::GRANT_CUT,
                crate::ops::kind::SET_ROLE,
                crate::ops::kind::SET_ROLE_CUT,
            ))?;
            let mut rows = st.query([])?;
            while let Some(r) = rows.next()? {
                let Ok(body) = OpBody::decode(&r.get::<_, Vec<u8>>(0)?) else {
                    continue;
                };
                let mut note = |env: &Id, w: &crate::ops::WrapRecord| {
                    if revoked.contains(&w.member_id) {
                        leaked.insert((*env, w.epoch));
                    }
                };
                match &body {
                    OpBody::AddEnv { env_id, wraps, .. }
                    | OpBody::RekeyEnv { env_id, wraps, .. } => {
                        wraps.iter().for_each(|w| note(env_id, w))
                    }
                    OpBody::AddMember { grants, .. } => {
                        grants.iter().for_each(|g| note(&g.env_id, &g.wrap))
                    }
                    OpBody::Grant {
                        env_id,
                        wrap: Some(w),
                        ..
                    } => note(env_id, w),
                    OpBody::SetRole { rewraps, .. } => {
                        rewraps.iter().for_each(|(env, w)| note(env, w))
                    }
                    _ => {}
                }
            }
        }
        let mut done = 0;
        for env in self.list_all_envs()? {
            if !env.readable || !leaked.contains(&(env.id, env.epoch)) {
                continue;
            }
            let path = env.path();
            match self.rekey_env_info(env) {
                Ok(_) => done += 1,
                Err(e) => tracing::warn!(env = %path, error = %e, "not re-keyed"),
            }
        }
        Ok(done)
    }
}

impl Vault {
    /// Re-signs, as this owner's or admin's device, every standing share
    /// whose sender may no longer vouch for it (they lost write access or
    /// their role since): a share left so does not open for its recipient
    /// (`check_sender`). A demotion or lowered grant re-signs what its
    /// author saw; this catches a share a racing unshare re-wrapped in the
    /// sender's name meanwhile (attack review 8, G3). Gives no share: the
    /// re-sign applies only where the share still stands, for the item's
    /// current key. Returns how many shares went out re-signed.
    pub(crate) fn resign_orphaned_shares(&mut self) -> usize {
        best_effort(
            "a share whose sender may no longer vouch for it was not re-signed",
            self.resign_orphaned_shares_inner(),
        )
    }

    fn resign_orphaned_shares_inner(&mut self) -> Result<usize> {
        if !self.acts_for_the_team()? {
            return Ok(0);
        }
        let mut done = 0;
        for op in self.orphan_resigns(None, None)? {
            let (env_id, n) = match &op {
                OpBody::ResignShares { env_id, shares } => (*env_id, shares.len()),
                _ => continue,
            };
            match self.apply(op) {
                Ok(_) => done += n,
                Err(e) => tracing::warn!(env = %env_id.short(), error = %e, "shares not re-signed"),
            }
        }
        Ok(done)
    }

    /// The re-signs ([`Vault::resign_orphaned_shares`]) of every standing
    /// share whose sender may no longer vouch for it and that may carry on
    /// ([`Vault::share_carries_on`]), one `share.resign` per environment:
    /// in `only_env` if given, leaving out shares to `except` (a member
    /// being offboarded). A re-key (offboarding, ungrant, `env rekey`) sends
    /// them before itself in the same batch, since a re-key now carries on
    /// only shares whose sender may vouch for them where it applies
    /// (attack review 11, M1).
    pub(crate) fn orphan_resigns(
        &mut self,
        only_env: Option<&Id>,
        except: Option<Id>,
    ) -> Result<Vec<OpBody>> {
        type Row = (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>);
        let rows: Vec<Row> = {
            let mut st = self.conn.prepare(
                "SELECT s.item_id, s.member_id, s.sender_id, i.env_id
                 FROM item_shares s JOIN items i ON i.id = s.item_id
                 WHERE i.deleted_at IS NULL ORDER BY i.env_id, s.item_id, s.member_id",
            )?;
            let r = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
            r.collect::<rusqlite::Result<_>>()?
        };
        let mut by_env: BTreeMap<Vec<u8>, Vec<(Id, Id, Id)>> = BTreeMap::new();
        for (item, to, sender, env) in rows {
            let (Ok(item), Ok(to), Ok(sender), Ok(env_id)) = (
                Id::from_slice(&item),
                Id::from_slice(&to),
                Id::from_slice(&sender),
                Id::from_slice(&env),
            ) else {
                continue;
            };
            if only_env.is_some_and(|e| *e != env_id) || except == Some(to) {
                continue;
            }
            if self.check_sender(&sender, &env_id, true).is_err() {
                by_env.entry(env).or_default().push((item, to, sender));
            }
        }
        let mut ops = Vec::new();
        if by_env.is_empty() {
            return Ok(ops);
        }
        let mut vouched = None;
        for (env, orphans) in by_env {
            let env_id = Id::from_slice(&env).map_err(|_| Error::integrity("bad id"))?;
            // Only a share someone who may still vouch for it has vouched
            // for since it was last given: a lowered writer's share, dated
            // before the lowering, and re-wrapped by her own back-dated
            // unshare, came back signed by the owner (attack review 9, K2,
            // K2b). One given concurrently with its giver's lowering, that
            // the lowering's author did not see, is lost the same way, and
            // its recipient asks for it again.
            let mut kept = Vec::with_capacity(orphans.len());
            for (item, to, sender) in orphans {
                if self.share_carries_on((&item, &to, &sender), &env_id, &mut vouched)? {
                    kept.push((item, to));
                }
            }
            if kept.is_empty() {
                continue;
            }
            let env = self.env_by_id(&env_id)?;
            if !env.readable {
                continue;
            }
            let mut shares = Vec::with_capacity(kept.len());
            for (item_id, to) in kept {
                // One item whose key opens under nothing must not stop the
                // others' repair (attack review 9, K3).
                let (_, Some(ik)) = self.item_key_if_it_opens(&item_id)? else {
                    continue;
                };
                let ik_ct = crate::rekey::sealed_item_key(self, &item_id)?;
                let wrap =
                    crate::rekey::share_wrap(self, &ik.current, &ik_ct, item_id, env.epoch, &to)?;
                shares.push((
                    crate::ops::ShareRecord { item_id, wrap },
                    coffer_crypto::ItemKeyGeneration::of_sealed(&ik_ct).0,
                ));
            }
            if !shares.is_empty() {
                ops.push(OpBody::ResignShares {
                    env_id: env.id,
                    shares,
                });
            }
        }
        Ok(ops)
    }
}

/// The shares someone who may vouch for them has vouched for since they
/// were last given ([`Vault::share_carries_on`]), read from the log the
/// first time a share's sender may not vouch for it.
pub(crate) type Vouched = Option<VouchedShares>;

/// What the log says about shares whose sender may no longer vouch for
/// them: each (item, member) pair someone who may vouch now has vouched
/// for since the share was last given, and how.
#[derive(Default)]
pub(crate) struct VouchedShares {
    /// Given by someone who may vouch now, or re-signed (`share.resign`)
    /// by such a member for the generation of a wrap the share had since
    /// it was given: the voucher saw this very share.
    strong: std::collections::HashSet<(Id, Id)>,
    /// Listed by a re-key of such a member: its author may have seen
    /// another share of that item to that member (one an unshare ended
    /// since, then a lowered writer's back-dated give: attack review 11,
    /// M1), so it counts only while the share opens now.
    weak: std::collections::HashSet<(Id, Id)>,
}

impl Vault {
    /// Whether a standing share of `item` to `to`, signed by `sender`, may
    /// be carried on in this device's name (re-wrapped by a re-key,
    /// re-signed by a role change or the repair): its sender may vouch for
    /// it now, or someone who may has vouched for it since it was last
    /// given. A share a writer gave once lowered to read, back-dated
    /// before the lowering (no feed cut), stands but opens for no one; it
    /// used to come back signed by the next honest re-key's author (an
    /// offboarding, a teammate's unshare) or the demotion's (attack review
    /// 10, L1). Such a share ends at the next re-key instead.
    pub(crate) fn share_carries_on(
        &self,
        (item, to, sender): (&Id, &Id, &Id),
        env: &Id,
        vouched: &mut Vouched,
    ) -> Result<bool> {
        if self.check_sender(sender, env, true).is_ok() {
            return Ok(true);
        }
        if vouched.is_none() {
            *vouched = Some(self.shares_vouched_for()?);
        }
        let Some(v) = vouched.as_ref() else {
            return Ok(false);
        };
        let k = (*item, *to);
        if v.strong.contains(&k) {
            return Ok(true);
        }
        // A re-key's listing vouches only for a share that hands out the
        // item's key now (the listing was applied to it, or it was
        // re-wrapped since): one left standing under an older epoch by a
        // re-key that listed another share may be a lowered writer's give
        // (attack review 11, M1).
        Ok(v.weak.contains(&k) && self.standing_share_opens_now(item, to)?)
    }

    /// Whether the share of `item` to `to` that stands is a wrap, by its
    /// sender, of the item's current key at its environment's current
    /// epoch: what its recipient opens now (a signature check; this device
    /// need not be the recipient).
    fn standing_share_opens_now(&self, item: &Id, to: &Id) -> Result<bool> {
        type Row = (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>, i64);
        let row: Option<Row> = self
            .conn
            .query_row(
                "SELECT s.sender_id, s.epk, s.ct, s.sig, i.ik_ct, e.epoch FROM item_shares s
                 JOIN items i ON i.id = s.item_id JOIN environments e ON e.id = i.env_id
                 WHERE s.item_id = ?1 AND s.member_id = ?2",
                [&item.0[..], &to.0[..]],
                |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )
            .optional()?;
        let Some((sender, epk, ct, sig, ik_ct, epoch)) = row else {
            return Ok(false);
        };
        let (Ok(sender_id), Ok(epk), Ok(sig)) = (
            Id::from_slice(&sender),
            <[u8; 32]>::try_from(epk.as_slice()),
            <[u8; 64]>::try_from(sig.as_slice()),
        ) else {
            return Ok(false);
        };
        let w = crate::ops::WrapRecord {
            member_id: *to,
            sender_id,
            epoch: epoch as u64,
            epk,
            ct,
            sig,
        };
        crate::vault::share_wrap_is_of(
            &self.conn,
            (self.vault_id, *item, epoch as u64),
            &w,
            &coffer_crypto::ItemKeyGeneration::of_sealed(&ik_ct),
        )
    }

    /// The (item, member) shares that someone who may vouch for them now
    /// (`check_sender`) has vouched for since the share was last given
    /// (an unshare ends a share: it must be given again), read from the
    /// log in its order, only when a share is orphaned. *Strongly*: the
    /// `share.item` itself, or a `share.resign` naming the generation of a
    /// wrap the share had since it was given (the give, or a re-wrap by
    /// someone who may vouch now), even one the re-sign was left out for
    /// (review 8's G3 race is exactly that: the lowering's author listed
    /// the share); a re-sign made for another give (one its author had not
    /// seen: an honest unshare, then a lowered writer's back-dated give)
    /// vouches for nothing (attack review 11, M2). *Weakly*: a later
    /// applied re-key or a demotion's re-signs listing a wrap of that item
    /// to that member (their author may have seen another give: M1).
    fn shares_vouched_for(&self) -> Result<VouchedShares> {
        use crate::ops::{kind, WrapRecord};
        let mut st = self.conn.prepare(&format!(
            "SELECT body FROM ops NOT INDEXED WHERE outcome = 'applied' AND kind IN ({}, {}, {}, {}, {}, {}, {}, {})
             ORDER BY hlc, device_id, device_seq",
            kind::SHARE,
            kind::UNSHARE,
            kind::REKEY_ENV,
            kind::REKEY_ITEM,
            kind::REKEY_ITEM_KEEPING,
            kind::RESIGN_SHARES,
            kind::SET_ROLE,
            kind::SET_ROLE_CUT,
        ))?;
        let mut rows = st.query([])?;
        // Per share: (strong, weak), and the wraps it has had since it was
        // last given, by its giver or by someone who may vouch now.
        let mut vouched: HashMap<(Id, Id), (bool, bool)> = HashMap::new();
        let mut lineage: HashMap<(Id, Id), Vec<WrapRecord>> = HashMap::new();
        let mut may: HashMap<(Id, Id), bool> = HashMap::new();
        let mut env_of: HashMap<Id, Option<Id>> = HashMap::new();
        while let Some(r) = rows.next()? {
            let Ok(body) = OpBody::decode(&r.get::<_, Vec<u8>>(0)?) else {
                continue;
            };
            // A share an unshare ended is given again, or not at all.
            if let OpBody::UnshareItem {
                item_id, member_id, ..
            }
            | OpBody::RekeyItemKeeping {
                item_id, member_id, ..
            } = &body
            {
                vouched.remove(&(*item_id, *member_id));
                lineage.remove(&(*item_id, *member_id));
            }
            type Listed<'a> = Vec<(&'a crate::ops::ShareRecord, Option<&'a [u8; 32]>)>;
            let (gives, env, listed): (bool, Option<Id>, Listed<'_>) = match &body {
                OpBody::ShareItem { share, env_id } => (true, Some(*env_id), vec![(share, None)]),
                OpBody::RekeyEnv { shares, env_id, .. }
                | OpBody::RekeyItem { shares, env_id, .. }
                | OpBody::RekeyItemKeeping { shares, env_id, .. } => (
                    false,
                    Some(*env_id),
                    shares.iter().map(|s| (s, None)).collect(),
                ),
                OpBody::ResignShares { shares, env_id } => (
                    false,
                    Some(*env_id),
                    shares.iter().map(|(s, under)| (s, Some(under))).collect(),
                ),
                OpBody::SetRole { reshares, .. } => {
                    (false, None, reshares.iter().map(|s| (s, None)).collect())
                }
                _ => continue,
            };
            for (s, under) in listed {
                let env = match env {
                    Some(e) => Some(e),
                    None => *env_of.entry(s.item_id).or_insert_with(|| {
                        self.conn
                            .query_row(
                                "SELECT env_id FROM items WHERE id = ?1",
                                [&s.item_id.0[..]],
                                |r| r.get::<_, Vec<u8>>(0),
                            )
                            .ok()
                            .and_then(|b| Id::from_slice(&b).ok())
                    }),
                };
                let Some(env) = env else { continue };
                let valid = *may
                    .entry((s.wrap.sender_id, env))
                    .or_insert_with(|| self.check_sender(&s.wrap.sender_id, &env, true).is_ok());
                let k = (s.item_id, s.wrap.member_id);
                if gives {
                    vouched.insert(k, (valid, false));
                    lineage.insert(k, vec![s.wrap.clone()]);
                    continue;
                }
                if !valid {
                    continue;
                }
                let Some(under) = under else {
                    vouched.entry(k).or_default().1 = true;
                    lineage.entry(k).or_default().push(s.wrap.clone());
                    continue;
                };
                // A re-sign vouches for the share its author saw: the key
                // generation it names is that of a wrap this share had (a
                // re-sign made for another give, which an unshare its
                // author had not seen ended, vouches for nothing: attack
                // review 11, M2).
                let had = lineage.get(&k).is_some_and(|ws| {
                    ws.iter().any(|w| {
                        crate::vault::share_wrap_is_of(
                            &self.conn,
                            (self.vault_id, s.item_id, w.epoch),
                            w,
                            &coffer_crypto::ItemKeyGeneration(*under),
                        )
                        .unwrap_or(false)
                    })
                });
                if had {
                    vouched.entry(k).or_default().0 = true;
                    lineage.entry(k).or_default().push(s.wrap.clone());
                }
            }
        }
        let mut out = VouchedShares::default();
        for (k, (strong, weak)) in vouched {
            if strong {
                out.strong.insert(k);
            } else if weak {
                out.weak.insert(k);
            }
        }
        Ok(out)
    }
}

/// What a sync does on its own never fails the sync: a warning instead.
fn best_effort(what: &str, r: Result<usize>) -> usize {
    r.unwrap_or_else(|e| {
        tracing::warn!(error = %e, "{what}");
        0
    })
}
