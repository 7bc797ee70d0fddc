//! Building new keys: a new epoch for an environment (new EK, a new IK for
//! every item — live or deleted — every version re-encrypted, the EK wrapped
//! to each member who keeps access, entry shares re-wrapped), or a new IK for
//! one item. Items being exposed get `exposed_at` on their current version
//! (it is bound into the blob, which is re-encrypted anyway). The result is
//! an op, applied in one transaction with whatever else goes with it.

use std::collections::{HashMap, HashSet};

use coffer_crypto::{wrap, EnvKey, Id, ItemKey, ItemKeyContext, ItemKeyGeneration, WrapContext};
use rusqlite::params;

use crate::error::{Error, Result};
use crate::items::{
    all_versions, earlier_keys_ct, earlier_keys_of_env, meta_at, open_version, seal, Earlier,
    ItemKeys,
};
use crate::ops::RotationMeta;
use crate::ops::{OpBody, RekeyedItem, ShareRecord, VersionRecord, WrapRecord};
use crate::vault::{EnvInfo, Vault};

/// What a re-key keeps, drops and exposes.
pub(crate) struct Plan<'a> {
    /// Member whose shares are dropped (the one losing access), if any.
    pub drop: Option<Id>,
    /// Items to mark exposed.
    pub expose: &'a HashSet<Id>,
    /// The time to record as `exposed_at`.
    pub now: i64,
}

/// The item key of `item_id` as sealed now (its generation).
pub(crate) fn sealed_item_key(vault: &Vault, item_id: &Id) -> Result<Vec<u8>> {
    Ok(vault
        .conn
        .prepare_cached("SELECT ik_ct FROM items WHERE id = ?1")?
        .query_row([&item_id.0[..]], |r| r.get(0))?)
}

/// The values a re-key opened, per item: (version, value) of every
/// version that opened under the item's verified keys. Offboarding tags
/// what the member saw from these (`Vault::build_exposed_values`) instead
/// of opening every item key and version a second time.
pub(crate) type Opened = HashMap<Id, OpenedValues>;

/// One item's opened values: (version, value).
pub(crate) type OpenedValues = Vec<(u64, coffer_crypto::SecretString)>;

/// Reports progress: (items done, items in total).
pub(crate) type Progress<'a> = &'a mut dyn FnMut(usize, usize);

fn item_rows(vault: &Vault, env: &EnvInfo) -> Result<Vec<(Id, Vec<u8>)>> {
    let mut st = vault
        .conn
        .prepare("SELECT id, ik_ct FROM items WHERE env_id = ?1 ORDER BY id")?;
    let rows = st.query_map(params![&env.id.0[..]], |r| {
        Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?))
    })?;
    let mut v = Vec::new();
    for r in rows {
        let (id, ct) = r?;
        v.push((
            Id::from_slice(&id).map_err(|_| Error::integrity("bad item id"))?,
            ct,
        ));
    }
    Ok(v)
}

/// One item's versions as stored: (version, blob, rotation fields,
/// recorded writer).
type Versions = Vec<(u64, Vec<u8>, RotationMeta, Vec<u8>)>;

/// Every version of every item of `env` (live or deleted), in one query:
/// a re-key reads them all, and one statement per item was a tenth of a
/// 10,000-item offboarding.
fn versions_of_env(vault: &Vault, env: &EnvInfo) -> Result<HashMap<Id, Versions>> {
    let mut st = vault.conn.prepare_cached(
        "SELECT v.item_id, v.version, v.blob, v.rotate_every_days, v.rotated_at, v.expires_at, v.exposed_at, v.author_id
         FROM item_versions v JOIN items i ON i.id = v.item_id
         WHERE i.env_id = ?1 ORDER BY v.item_id, v.version",
    )?;
    let rows = st.query_map(params![&env.id.0[..]], |r| {
        Ok((
            r.get::<_, Vec<u8>>(0)?,
            r.get::<_, i64>(1)? as u64,
            r.get::<_, Vec<u8>>(2)?,
            meta_at(r, 3)?,
            r.get::<_, Vec<u8>>(7)?,
        ))
    })?;
    let mut out: HashMap<Id, Versions> = HashMap::new();
    for row in rows {
        let (id, version, blob, meta, author) = row?;
        let id = Id::from_slice(&id).map_err(|_| Error::integrity("bad item id"))?;
        out.entry(id)
            .or_default()
            .push((version, blob, meta, author));
    }
    Ok(out)
}

/// The active members `item_id` is shared with, except `drop`, whose
/// share may be carried on under the new key ([`Vault::share_carries_on`]:
/// a share its sender may not vouch for, and nobody who may has vouched
/// for, ends here rather than be signed again in this device's name).
fn share_holders(
    vault: &Vault,
    env_id: &Id,
    item_id: &Id,
    drop: Option<Id>,
    vouched: &mut crate::stale::Vouched,
) -> Result<Vec<Id>> {
    let rows: Vec<(Vec<u8>, Vec<u8>)> = {
        let mut st = vault.conn.prepare_cached(
            "SELECT s.member_id, s.sender_id FROM item_shares s JOIN members m ON m.id = s.member_id
                 WHERE s.item_id = ?1 AND m.status = 'active'",
        )?;
        let r = st.query_map([&item_id.0[..]], |r| Ok((r.get(0)?, r.get(1)?)))?;
        r.collect::<rusqlite::Result<_>>()?
    };
    let mut ids = Vec::with_capacity(rows.len());
    for (to, sender) in rows {
        let id = Id::from_slice(&to).map_err(|_| Error::integrity("bad member id"))?;
        let sender = Id::from_slice(&sender).map_err(|_| Error::integrity("bad sender id"))?;
        ids.push((id, sender));
    }
    carried_holders(vault, env_id, item_id, ids, drop, vouched)
}

/// The shares of every item of `env` to active members, (recipient,
/// sender) per item, in one query: [`share_holders`] asked once per item
/// (10,000 statements re-keying 10,000 items).
fn shares_of_env(vault: &Vault, env_id: &Id) -> Result<HashMap<Id, Vec<(Id, Id)>>> {
    let mut st = vault.conn.prepare_cached(
        "SELECT s.item_id, s.member_id, s.sender_id FROM item_shares s
             JOIN members m ON m.id = s.member_id JOIN items i ON i.id = s.item_id
             WHERE i.env_id = ?1 AND m.status = 'active'",
    )?;
    let rows = st.query_map([&env_id.0[..]], |r| {
        Ok((
            r.get::<_, Vec<u8>>(0)?,
            r.get::<_, Vec<u8>>(1)?,
            r.get::<_, Vec<u8>>(2)?,
        ))
    })?;
    let mut out: HashMap<Id, Vec<(Id, Id)>> = HashMap::new();
    for row in rows {
        let (item, to, sender) = row?;
        let item = Id::from_slice(&item).map_err(|_| Error::integrity("bad item id"))?;
        let to = Id::from_slice(&to).map_err(|_| Error::integrity("bad member id"))?;
        let sender = Id::from_slice(&sender).map_err(|_| Error::integrity("bad sender id"))?;
        out.entry(item).or_default().push((to, sender));
    }
    Ok(out)
}

/// Of `rows` (an item's shares: recipient, sender), the recipients whose
/// share carries on under the item's new key, as [`share_holders`] decides.
fn carried_holders(
    vault: &Vault,
    env_id: &Id,
    item_id: &Id,
    rows: Vec<(Id, Id)>,
    drop: Option<Id>,
    vouched: &mut crate::stale::Vouched,
) -> Result<Vec<Id>> {
    let mut v = Vec::new();
    for (id, sender) in rows {
        if Some(id) != drop && vault.share_carries_on((item_id, &id, &sender), env_id, vouched)? {
            v.push(id);
        }
    }
    Ok(v)
}

/// Wraps an item key to a member for `epoch`, bound to the key's
/// generation (`ik_ct`: the same key as sealed under the environment key,
/// as the item will have it once the op is applied).
pub(crate) fn share_wrap(
    vault: &Vault,
    ik: &ItemKey,
    ik_ct: &[u8],
    item_id: Id,
    epoch: u64,
    to: &Id,
) -> Result<WrapRecord> {
    let keys = vault.member_keys(to)?;
    let ctx = WrapContext {
        vault_id: vault.vault_id,
        object_id: item_id,
        epoch,
        recipient_id: *to,
        sender_id: vault.me.id(),
    };
    let generation = ItemKeyGeneration::of_sealed(ik_ct);
    let w = wrap::wrap_item_key(&vault.me.private, &keys, ik, &ctx, &generation)
        .map_err(|_| Error::InvalidInput("the recipient's key is unusable".into()))?;
    Ok(WrapRecord {
        member_id: *to,
        sender_id: vault.me.id(),
        epoch,
        epk: w.epk,
        ct: w.ct,
        sig: w.sig,
    })
}

/// Re-encrypts every version of one item under `new_ik`. In a private
/// replica, a version that does not open under `old_ik` (or every version,
/// when the old key itself did not open: `None`) was written so by a
/// teammate's client: it moves over unchanged, still opening under nothing
/// anyone holds, rather than stopping the re-key (an offboarding of that
/// very teammate included).
///
/// It needs no database (`vault_id`; `lenient`: the vault is a private
/// replica), so a re-key runs it on every core ([`crate::par`]).
#[allow(clippy::too_many_arguments)]
fn reencrypt(
    vault_id: Id,
    lenient: bool,
    env: &EnvInfo,
    item_id: Id,
    old_ik: Option<&ItemKeys>,
    new_ik: &ItemKey,
    plan: &Plan<'_>,
    all: Versions,
) -> Result<(Vec<VersionRecord>, OpenedValues)> {
    let current = all.last().map(|(v, _, _, _)| *v);
    let mut versions = Vec::with_capacity(all.len());
    let mut values = Vec::new();
    for (version, blob, mut meta, author) in all {
        let opened = old_ik
            .ok_or_else(|| Error::integrity("no item key"))
            .and_then(|ik| {
                open_version(ik, vault_id, env, item_id, version, &blob, &meta, &author)
            });
        let fields = match opened {
            Ok(f) => f,
            Err(_) if lenient => {
                versions.push(VersionRecord {
                    version,
                    blob,
                    meta,
                });
                continue;
            }
            Err(e) => return Err(e),
        };
        if Some(version) == current && plan.expose.contains(&item_id) && meta.exposed_at.is_none() {
            meta.exposed_at = Some(plan.now);
        }
        // Re-sealed bound to the version's recorded writer, never to the
        // re-keyer (attack review 7, F6): a version that opened is theirs.
        let author = Id::from_slice(&author).map_err(|_| Error::integrity("bad author id"))?;
        let blob = seal(
            new_ik, vault_id, env, item_id, version, &fields, &meta, &author,
        )?;
        values.push((version, fields.value));
        versions.push(VersionRecord {
            version,
            blob,
            meta,
        });
    }
    Ok((versions, values))
}

/// The fewest items a re-key hands one thread: below that, starting the
/// thread costs more than the work it takes over.
const MIN_ITEMS_PER_THREAD: usize = 16;

/// One item as a re-key's workers get it: its id, its key as sealed now,
/// the earlier keys row, every version.
type ItemRow = (Id, Vec<u8>, Option<Earlier>, Versions);

/// One item re-sealed by a worker: its id, its new key and that key
/// sealed under the new environment key, its versions, and the values
/// that opened (`None`: its key did not open).
type Resealed = (
    Id,
    ItemKey,
    Vec<u8>,
    Vec<VersionRecord>,
    Option<OpenedValues>,
);

/// A new epoch for `env`, wrapped to `keep`. Returns the op, the new
/// environment key (to tag exposed values under it in the same batch) and
/// the values it opened on the way ([`Opened`]).
///
/// The database is read and the op assembled on the calling thread; the
/// cryptography in between (opening each item key, re-sealing every
/// version, sealing the new item keys, wrapping the new environment key)
/// runs on [`Vault::set_crypto_threads`] threads ([`crate::par`]), each
/// item's work exactly as it would run on one thread, in the same order.
pub(crate) fn build_rekey(
    vault: &mut Vault,
    env: &EnvInfo,
    keep: &[Id],
    plan: &Plan<'_>,
    progress: Progress<'_>,
    done: &mut usize,
    total: usize,
) -> Result<(OpBody, EnvKey, Opened)> {
    let vault_id = vault.vault_id;
    let lenient = vault.is_private_replica();
    let threads = vault
        .crypto_threads
        .unwrap_or_else(crate::par::default_threads);
    let new_epoch = env.epoch + 1;
    let mut opened_values = Opened::new();
    let new_ek = EnvKey::make();
    vault.ensure_env_key(env)?;
    let mut versions_of = versions_of_env(vault, env)?;
    let mut earlier_of = earlier_keys_of_env(&vault.conn, &env.id)?;
    let rows: Vec<ItemRow> = item_rows(vault, env)?
        .into_iter()
        .map(|(item_id, ik_ct)| {
            let earlier = earlier_of.remove(&item_id.0[..]);
            let versions = versions_of.remove(&item_id).unwrap_or_default();
            (item_id, ik_ct, earlier, versions)
        })
        .collect();
    // 1. Every item key opened under the environment's key (workers).
    let old_ek = &vault
        .env_keys
        .get(&env.id)
        .ok_or_else(|| Error::Database("environment key cache".into()))?
        .1;
    let opened = crate::par::map(threads, MIN_ITEMS_PER_THREAD, rows, |row| {
        let (item_id, ik_ct, earlier, versions) = row;
        let keys = old_ek
            .open_item_key(
                &ik_ct,
                &ItemKeyContext {
                    vault_id,
                    env_id: env.id,
                    item_id,
                    epoch: env.epoch,
                },
            )
            .ok()
            .map(|k| ItemKeys::open(k, earlier.as_ref(), vault_id, env.id, item_id));
        (item_id, keys, versions)
    });
    // 2. The earlier keys this device remembers from its own re-keys
    //    (database: this thread).
    let mut ready = Vec::with_capacity(opened.len());
    for (item_id, keys, versions) in opened {
        let keys = match keys {
            Some(mut keys) => {
                vault.recover_earlier(env, item_id, &mut keys)?;
                Some(keys)
            }
            // A teammate's client sealed a key nothing opens (a private
            // replica derived it from a verified op): no version of the
            // item can be read, so it moves over as it is.
            None if lenient => None,
            None => {
                return Err(Error::integrity(format!(
                    "an item key in {} does not open",
                    env.path()
                )))
            }
        };
        ready.push((item_id, keys, versions));
    }
    // 3. Every version re-sealed under a new item key, that key sealed
    //    under the new environment key (workers).
    let resealed = crate::par::map(
        threads,
        MIN_ITEMS_PER_THREAD,
        ready,
        |(item_id, old_ik, all)| {
            let new_ik = ItemKey::make();
            let (versions, values) = reencrypt(
                vault_id,
                lenient,
                env,
                item_id,
                old_ik.as_ref(),
                &new_ik,
                plan,
                all,
            )?;
            let ik_ct = new_ek
                .seal_item_key(
                    &new_ik,
                    &ItemKeyContext {
                        vault_id,
                        env_id: env.id,
                        item_id,
                        epoch: new_epoch,
                    },
                )
                .map_err(|_| Error::InvalidInput("item too large".into()))?;
            Ok::<Resealed, Error>((item_id, new_ik, ik_ct, versions, old_ik.map(|_| values)))
        },
    );
    // 4. Shares re-wrapped, the op assembled (database: this thread).
    let mut items = Vec::with_capacity(resealed.len());
    let mut shares = Vec::new();
    let mut vouched = None;
    let mut shares_of = shares_of_env(vault, &env.id)?;
    for r in resealed {
        let (item_id, new_ik, ik_ct, versions, values) = r?;
        if let Some(values) = values {
            opened_values.insert(item_id, values);
        }
        let held = shares_of.remove(&item_id).unwrap_or_default();
        for m in carried_holders(vault, &env.id, &item_id, held, plan.drop, &mut vouched)? {
            shares.push(ShareRecord {
                item_id,
                wrap: share_wrap(vault, &new_ik, &ik_ct, item_id, new_epoch, &m)?,
            });
        }
        items.push(RekeyedItem {
            item_id,
            ik_ct,
            versions,
        });
        *done += 1;
        if *done % 256 == 0 || *done == total {
            progress(*done, total);
        }
    }
    // 5. The new environment key wrapped to everyone who keeps it: their
    //    pinned keys read here, the wraps made by the workers.
    let mut to = Vec::with_capacity(keep.len());
    for m in keep {
        to.push(vault.member_keys(m)?);
    }
    let me = &vault.me;
    let wraps = crate::par::map(threads, 4, to, |keys| {
        crate::vault::wrap_env_key_as(me, vault_id, &new_ek, &env.id, new_epoch, &keys)
    })
    .into_iter()
    .collect::<Result<Vec<_>>>()?;
    Ok((
        OpBody::RekeyEnv {
            env_id: env.id,
            epoch: new_epoch,
            wraps,
            items,
            shares,
        },
        new_ek,
        opened_values,
    ))
}

/// The item's current key and earlier ones, as this device opens them.
fn current_item_keys(vault: &mut Vault, env: &EnvInfo, item_id: Id) -> Result<ItemKeys> {
    let vault_id = vault.vault_id;
    let ik_ct = sealed_item_key(vault, &item_id)?;
    let kctx = ItemKeyContext {
        vault_id,
        env_id: env.id,
        item_id,
        epoch: env.epoch,
    };
    let ik = vault
        .env_key(env)?
        .open_item_key(&ik_ct, &kctx)
        .map_err(|_| Error::integrity(format!("an item key in {} does not open", env.path())))?;
    let earlier = earlier_keys_ct(&vault.conn, &item_id)?;
    let mut keys = ItemKeys::open(ik, earlier.as_ref(), vault_id, env.id, item_id);
    vault.recover_earlier(env, item_id, &mut keys)?;
    Ok(keys)
}

/// `ik` sealed under `env`'s current key, as `item_id`'s key.
fn seal_under_env(vault: &mut Vault, env: &EnvInfo, item_id: Id, ik: &ItemKey) -> Result<Vec<u8>> {
    let vault_id = vault.vault_id;
    vault
        .env_key(env)?
        .seal_item_key(
            ik,
            &ItemKeyContext {
                vault_id,
                env_id: env.id,
                item_id,
                epoch: env.epoch,
            },
        )
        .map_err(|_| Error::InvalidInput("item too large".into()))
}

/// The item's shares, except `plan.drop`'s, wrapped for the new key.
fn rewrap_shares(
    vault: &Vault,
    env: &EnvInfo,
    item_id: Id,
    new_ik: &ItemKey,
    ik_ct: &[u8],
    plan: &Plan<'_>,
) -> Result<Vec<ShareRecord>> {
    let mut shares = Vec::new();
    for m in share_holders(vault, &env.id, &item_id, plan.drop, &mut None)? {
        shares.push(ShareRecord {
            item_id,
            wrap: share_wrap(vault, new_ik, ik_ct, item_id, env.epoch, &m)?,
        });
    }
    Ok(shares)
}

/// A new item key for one item (same epoch), every version re-sealed
/// under it, shares re-wrapped: an offboarding's (an owner's or admin's
/// op), which marks the current version exposed, and a blob is bound to
/// that mark.
pub(crate) fn build_rekey_item(
    vault: &mut Vault,
    env: &EnvInfo,
    item_id: Id,
    plan: &Plan<'_>,
) -> Result<OpBody> {
    let old = current_item_keys(vault, env, item_id)?;
    let new_ik = ItemKey::make();
    let all = all_versions(vault, &item_id)?;
    let (versions, _) = reencrypt(
        vault.vault_id,
        vault.is_private_replica(),
        env,
        item_id,
        Some(&old),
        &new_ik,
        plan,
        all,
    )?;
    let ik_ct = seal_under_env(vault, env, item_id, &new_ik)?;
    let shares = rewrap_shares(vault, env, item_id, &new_ik, &ik_ct, plan)?;
    Ok(OpBody::RekeyItem {
        env_id: env.id,
        item: RekeyedItem {
            item_id,
            ik_ct,
            versions,
        },
        shares,
    })
}

/// An unshare: the member's share ends and the item gets a new key (same
/// epoch), in one op, keeping every version as its writer sealed it: the
/// keys they are sealed under travel sealed under the new key. Nothing
/// about a version can change, so nothing needs checking that only a
/// holder of the key could check (attack review 5, G4).
pub(crate) fn build_unshare(
    vault: &mut Vault,
    env: &EnvInfo,
    item_id: Id,
    member_id: Id,
) -> Result<OpBody> {
    let vault_id = vault.vault_id;
    let none = HashSet::new();
    let plan = Plan {
        drop: Some(member_id),
        expose: &none,
        now: 0,
    };
    let replaces = ItemKeyGeneration::of_sealed(&sealed_item_key(vault, &item_id)?).0;
    let old = current_item_keys(vault, env, item_id)?;
    let new_ik = ItemKey::make();
    let ItemKeys {
        current, earlier, ..
    } = old;
    let mut keep = Vec::with_capacity(earlier.len() + 1);
    keep.push(current);
    keep.extend(earlier);
    // The current key joins the replaced ones as this op applies.
    let keep = within_history(vault, env, item_id, keep, 1)?;
    let earlier = new_ik
        .seal_earlier_keys(
            &keep,
            &coffer_crypto::EarlierKeysContext {
                vault_id,
                env_id: env.id,
                item_id,
            },
        )
        .map_err(|_| {
            Error::Refused(
                "this credential was unshared too many times since its environment was last re-keyed: re-key the environment first (`coffer env rekey`)".into(),
            )
        })?;
    let ik_ct = seal_under_env(vault, env, item_id, &new_ik)?;
    let shares = rewrap_shares(vault, env, item_id, &new_ik, &ik_ct, &plan)?;
    Ok(OpBody::RekeyItemKeeping {
        env_id: env.id,
        item_id,
        member_id,
        replaces,
        ik_ct,
        earlier,
        shares,
    })
}

/// `keys` (the first one always kept) cut to the number every device
/// accepts: the keys `item_id` has had replaced, plus `extra`
/// (`earlier_within_history` in vault.rs). Only a teammate's padded list
/// can make it longer; the keys this device remembers from re-keys it
/// applied are kept before the others.
pub(crate) fn within_history(
    vault: &mut Vault,
    env: &EnvInfo,
    item_id: Id,
    mut keys: Vec<ItemKey>,
    extra: usize,
) -> Result<Vec<ItemKey>> {
    let past = vault.past_key_count(&item_id)?;
    let most = past.max(0) as usize + extra;
    if keys.len() <= most || keys.is_empty() {
        return Ok(keys);
    }
    let known: Vec<ItemKey> = if env.readable {
        vault
            .past_item_keys(env, item_id)?
            .into_iter()
            .map(|(k, _)| k)
            .collect()
    } else {
        Vec::new()
    };
    let first = keys.remove(0);
    let (mut kept, others): (Vec<ItemKey>, Vec<ItemKey>) =
        keys.into_iter().partition(|k| known.contains(k));
    kept.insert(0, first);
    kept.extend(others);
    kept.truncate(most);
    Ok(kept)
}

/// The active members holding a wrap of `env`'s key now. A wrap row for a
/// revoked member (there should be none: revocation deletes them) never
/// earns them the next epoch's key; [`Vault::member_keys`] refuses them too.
pub(crate) fn env_holders(vault: &Vault, env: &EnvInfo) -> Result<Vec<Id>> {
    let mut st = vault.conn.prepare(
        "SELECT w.member_id FROM env_wraps w JOIN members m ON m.id = w.member_id
         WHERE w.env_id = ?1 AND m.status = 'active' ORDER BY w.member_id",
    )?;
    let rows = st.query_map([&env.id.0[..]], |r| r.get::<_, Vec<u8>>(0))?;
    let mut v = Vec::new();
    for r in rows {
        v.push(Id::from_slice(&r?).map_err(|_| Error::integrity("bad member id"))?);
    }
    Ok(v)
}

/// Items in `env` (live or deleted).
pub(crate) fn count_items(vault: &Vault, env: &EnvInfo) -> Result<usize> {
    let n: i64 = vault.conn.query_row(
        "SELECT COUNT(*) FROM items WHERE env_id = ?1",
        [&env.id.0[..]],
        |r| r.get(0),
    )?;
    Ok(n as usize)
}
