//! Items (credentials): one encrypted blob per version holding everything a
//! user typed (name, value, notes, url, username, tags).

use std::collections::HashMap;

use coffer_crypto::encoding::{Decoder, Encoder};
use coffer_crypto::{Id, ItemContext, ItemKey, ItemKeyContext, SecretString};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::ops::{OpBody, ReadAction, RotationMeta, SealedUnder};
use crate::rotation::{self, Status};
use crate::time::now;
use crate::vault::{EnvInfo, Vault};

/// Largest value accepted (64 KiB: a certificate chain fits).
pub const MAX_VALUE_BYTES: usize = 64 * 1024;
/// Largest notes accepted.
pub const MAX_NOTES_BYTES: usize = 16 * 1024;

const LABEL_ITEM: &str = "coffer/v1/item-body";

/// What a user typed about a credential. Only ever stored encrypted.
/// `Debug` shows which fields are set, never what they hold.
#[derive(Clone, Default)]
pub struct ItemFields {
    /// The key name (an environment variable name).
    pub name: String,
    /// The secret value.
    pub value: SecretString,
    /// Free-form notes (provider, owner, how to rotate).
    pub notes: Option<String>,
    /// Where it is managed.
    pub url: Option<String>,
    /// Account or username at the provider.
    pub username: Option<String>,
    /// Tags.
    pub tags: Vec<String>,
}

impl ItemFields {
    fn encode(&self) -> zeroize::Zeroizing<Vec<u8>> {
        let cap = self.name.len()
            + self.value.len()
            + self.notes.as_ref().map_or(0, String::len)
            + self.url.as_ref().map_or(0, String::len)
            + self.username.as_ref().map_or(0, String::len)
            + self.tags.iter().map(|t| t.len() + 4).sum::<usize>()
            + 64;
        let mut e = Encoder::with_capacity(LABEL_ITEM, 1, cap);
        e.str(&self.name)
            // The value is secret; the encoder's buffer is zeroized.
            .str(self.value.expose_secret())
            .opt_str(self.notes.as_deref())
            .opt_str(self.url.as_deref())
            .opt_str(self.username.as_deref())
            .u32(self.tags.len() as u32);
        for t in &self.tags {
            e.str(t);
        }
        e.finish_secret()
    }

    fn decode(b: &[u8]) -> Result<Self> {
        let bad = |_| Error::integrity("an item's contents are malformed");
        let mut d = Decoder::new(b, LABEL_ITEM, 1).map_err(bad)?;
        let name = d.str().map_err(bad)?.to_string();
        // Every client that writes a name checks it (`validate_key`); a
        // name that is not a variable name was sealed by a modified client,
        // and shown as it is it could carry newlines and terminal escapes
        // into `ls`, `history` and the audit log's sentences (attack
        // review 10, L4). It is malformed content: the version does not
        // open, like any blob a writer's client sealed badly.
        if coffer_dotenv::validate_key(&name).is_err() {
            return Err(Error::integrity("an item's contents are malformed"));
        }
        let value = SecretString::new(d.str().map_err(bad)?.to_string());
        let notes = d.opt_str().map_err(bad)?.map(str::to_string);
        let url = d.opt_str().map_err(bad)?.map(str::to_string);
        let username = d.opt_str().map_err(bad)?.map(str::to_string);
        let n = d.u32().map_err(bad)?;
        let mut tags = Vec::new();
        for _ in 0..n {
            tags.push(d.str().map_err(bad)?.to_string());
        }
        d.finish().map_err(bad)?;
        Ok(Self {
            name,
            value,
            notes,
            url,
            username,
            tags,
        })
    }
}

/// What `set` changes. `None` keeps the current value of a field.
/// `Debug` shows which fields are set (and the rotation figures, which
/// are plaintext columns anyway), never what the typed fields hold.
#[derive(Default)]
pub struct ItemUpdate {
    /// The new value (required for a new item).
    pub value: Option<SecretString>,
    /// Notes.
    pub notes: Option<String>,
    /// URL.
    pub url: Option<String>,
    /// Username.
    pub username: Option<String>,
    /// Rotation period in days.
    pub rotate_every_days: Option<u32>,
    /// Provider expiry (unix seconds).
    pub expires_at: Option<i64>,
    /// Whether Coffer generated `value` (`set`/`rotate --generate`): the
    /// credential is tagged [`GENERATED_TAG`] while its value is one Coffer
    /// generated, and `coffer lint` holds it to its environment's shortest
    /// generated value. A typed value takes the tag off.
    pub generated: bool,
}

/// The tag of a credential whose current value Coffer generated.
pub const GENERATED_TAG: &str = "generated";

/// Puts [`GENERATED_TAG`] on or takes it off `tags`.
fn tag_generated(tags: &mut Vec<String>, generated: bool) {
    tags.retain(|t| t != GENERATED_TAG);
    if generated {
        tags.push(GENERATED_TAG.to_string());
    }
}

/// A field that is set, in a redacted `Debug`: its content is inside the
/// item blob (name, notes, url, username) and must not reach a log.
struct Redacted;

impl std::fmt::Debug for Redacted {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

/// `Some([redacted])` or `None`.
fn redact<T>(field: &Option<T>) -> Option<Redacted> {
    field.as_ref().map(|_| Redacted)
}

impl std::fmt::Debug for ItemFields {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ItemFields")
            .field("name", &Redacted)
            .field("value", &Redacted)
            .field("notes", &redact(&self.notes))
            .field("url", &redact(&self.url))
            .field("username", &redact(&self.username))
            .field("tags", &self.tags.len())
            .finish()
    }
}

impl std::fmt::Debug for ItemUpdate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ItemUpdate")
            .field("value", &redact(&self.value))
            .field("notes", &redact(&self.notes))
            .field("url", &redact(&self.url))
            .field("username", &redact(&self.username))
            .field("rotate_every_days", &self.rotate_every_days)
            .field("expires_at", &self.expires_at)
            .field("generated", &self.generated)
            .finish()
    }
}

/// Environments with at least this many items are opened on two threads.
const PARALLEL_OPEN_FROM: usize = 64;

/// A credential without its value (for listings).
#[derive(Clone, Debug, Serialize)]
pub struct ItemSummary {
    /// Item id.
    #[serde(serialize_with = "crate::vault::ser_id")]
    pub id: Id,
    /// Project.
    pub project: String,
    /// Environment.
    pub env: String,
    /// Key name.
    pub name: String,
    /// Current version.
    pub version: u64,
    /// Notes.
    pub notes: Option<String>,
    /// URL.
    pub url: Option<String>,
    /// Username.
    pub username: Option<String>,
    /// Effective rotation period (item's or environment's).
    pub rotate_every_days: Option<u32>,
    /// When the value last changed.
    pub rotated_at: Option<i64>,
    /// Provider expiry.
    pub expires_at: Option<i64>,
    /// When it was exposed.
    pub exposed_at: Option<i64>,
    /// Rotation status.
    pub status: Status,
    /// The next due date (rotation or expiry).
    pub due_at: Option<i64>,
    /// When the current version was written.
    pub updated_at: i64,
    /// Members it is shared with one by one (in listings).
    pub shared_with: Vec<String>,
    /// Versions written concurrently with the current one wait beside it
    /// until someone resolves the conflict (`resolve_conflict`).
    pub conflict: bool,
    /// The current version does not open (a teammate's client wrote a
    /// value no key opens): the fields shown are the newest older
    /// version's; reading, exporting or running it fails, naming the
    /// writer, until someone sets a new value.
    pub unreadable: bool,
}

/// One decrypted item (internal).
pub(crate) struct Decrypted {
    pub(crate) id: Id,
    pub(crate) version: u64,
    pub(crate) fields: ItemFields,
    pub(crate) meta: RotationMeta,
    /// The item's key (and earlier ones its versions may be sealed under).
    pub(crate) ik: ItemKeys,
    /// Which item key `ik.current` is (a digest of its sealed form): a new
    /// version names it, so a write sealed under a key an offboarding has
    /// since replaced is recognised as such on every device.
    pub(crate) ik_gen: [u8; 32],
    pub(crate) updated_at: i64,
    /// When the item was created (its first version's op time).
    pub(crate) created_at: i64,
    /// Other live items of the same name in the environment: two devices
    /// created it concurrently. The one created first (then the lower
    /// id) stands for the name everywhere; these wait, as a conflict,
    /// until someone keeps one value (the others are deleted).
    pub(crate) twins: Vec<Decrypted>,
    /// The current version does not open (a teammate's client wrote a
    /// blob no key opens; in a private replica nothing else can). `fields`
    /// are then the newest older version's, with an empty value: the
    /// credential lists, and can be mended, deleted or looked back at, but
    /// its value is never read, exported or run ([`Decrypted::readable`]).
    pub(crate) unopened: Option<Unopened>,
}

/// A current version that does not open: which, and who wrote it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Unopened {
    pub(crate) version: u64,
    /// Who made it unreadable: its writer, or whoever re-keyed the item
    /// leaving earlier keys that do not open (`by_rekey`).
    pub(crate) author: Id,
    pub(crate) by_rekey: bool,
}

/// A value waiting beside an item's current one (internal): a concurrent
/// version, or the current version of a twin item.
pub(crate) struct Waiting {
    pub(crate) entry: HistoryEntry,
    pub(crate) fields: Option<ItemFields>,
    /// The twin item it is the value of (`None`: a concurrent version).
    pub(crate) twin: Option<Id>,
    /// For a stale version: the item's version when the key that opens it
    /// was replaced (its honest writer had seen at most that one).
    pub(crate) replaced_at: Option<u64>,
}

/// The item `id` among `items`, twins included.
pub(crate) fn find_decrypted<'a>(items: &'a [Decrypted], id: &Id) -> Option<&'a Decrypted> {
    items
        .iter()
        .flat_map(|d| std::iter::once(d).chain(d.twins.iter()))
        .find(|d| d.id == *id)
}

/// Folds items of the same name into the one that stands for it (created
/// first, then the lower id): the same choice on every device.
fn fold_twins(mut items: Vec<Decrypted>) -> Vec<Decrypted> {
    items.sort_by(|a, b| {
        a.fields
            .name
            .cmp(&b.fields.name)
            .then(a.created_at.cmp(&b.created_at))
            .then(a.id.0.cmp(&b.id.0))
    });
    let mut out: Vec<Decrypted> = Vec::with_capacity(items.len());
    for d in items {
        match out.last_mut() {
            Some(w) if w.fields.name == d.fields.name => w.twins.push(d),
            _ => out.push(d),
        }
    }
    out
}

impl Decrypted {
    fn summary(&self, env: &EnvInfo, now: i64, due_soon: u32) -> ItemSummary {
        ItemSummary {
            id: self.id,
            project: env.project.clone(),
            env: env.name.clone(),
            name: self.fields.name.clone(),
            version: self.version,
            notes: self.fields.notes.clone(),
            url: self.fields.url.clone(),
            username: self.fields.username.clone(),
            rotate_every_days: rotation::effective_period(&self.meta, env.rotate_every_days),
            rotated_at: self.meta.rotated_at,
            expires_at: self.meta.expires_at,
            exposed_at: self.meta.exposed_at,
            status: rotation::status(&self.meta, env.rotate_every_days, now, due_soon),
            due_at: rotation::due_at(&self.meta, env.rotate_every_days),
            updated_at: self.updated_at,
            shared_with: Vec::new(),
            conflict: false,
            unreadable: self.unopened.is_some(),
        }
    }
}

/// One version in an item's history.
#[derive(Debug, Serialize)]
pub struct HistoryEntry {
    /// Version number.
    pub version: u64,
    /// Author's name in the vault.
    pub author: String,
    /// When written.
    pub created_at: i64,
    /// When the value changed.
    pub rotated_at: Option<i64>,
    /// The value, only when asked to reveal.
    #[serde(skip)]
    pub value: Option<SecretString>,
    /// A version written concurrently with the current one, waiting to be
    /// resolved (not part of the numbered history yet).
    pub conflict: bool,
    /// A waiting version sealed under an item key a re-key (an
    /// offboarding) replaced, written by someone who had not seen it yet:
    /// whoever lost access could read it, so keeping it marks the
    /// credential exposed. An owner's or admin's device re-seals it under
    /// the current key when it syncs.
    pub stale: bool,
    /// A version this identity cannot open: a stale version under a key
    /// it never held (an owner or admin can), or a version a teammate's
    /// client wrote that no key opens.
    pub unreadable: bool,
}

/// A rotated value's provider expiry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NewExpiry {
    /// The credential's expiry stays (refused once it has passed).
    Keep,
    /// The new value expires then (unix seconds).
    Set(i64),
    /// The new value does not expire.
    Clear,
}

/// The result of a `set`.
#[derive(Debug, Serialize)]
pub struct SetOutcome {
    /// Item id.
    #[serde(serialize_with = "crate::vault::ser_id")]
    pub id: Id,
    /// The new version.
    pub version: u64,
    /// Whether the item was created.
    pub created: bool,
    /// Whether the value changed (and so `rotated_at` moved).
    pub value_changed: bool,
}

/// Checks a value's size and content.
pub fn check_value(name: &str, value: &SecretString) -> Result<()> {
    if value.len() > MAX_VALUE_BYTES {
        return Err(Error::InvalidInput(format!(
            "the value of {name} is too large ({} bytes; the limit is {MAX_VALUE_BYTES})",
            value.len()
        )));
    }
    if value.expose_secret().contains('\0') {
        return Err(Error::InvalidInput(format!(
            "the value of {name} contains a NUL byte, which no environment variable can hold"
        )));
    }
    Ok(())
}

/// What a load of an environment's items is for.
#[derive(Clone, Copy, Debug)]
enum Want<'a> {
    /// Every item (a listing, an export, a re-key).
    All,
    /// The items named so (and their twins): through the blind name index
    /// where it holds for the whole environment (`names.rs`).
    Named(&'a str),
    /// The same, opening every item, and computing the index's entries
    /// again from what opened.
    NamedFull(&'a str),
}

/// Every live item's current version, with the item key; the second form
/// also has this identity's name-index entry of the item, if any.
const ITEMS_QUERY: &str =
    "SELECT i.id, i.ik_ct, v.version, v.blob, v.rotate_every_days, v.rotated_at,
            v.expires_at, v.exposed_at, v.created_at, i.created_at, v.author_id
     FROM items i JOIN item_versions v ON v.item_id = i.id AND v.version = i.current_version
     WHERE i.env_id = ?1 AND i.deleted_at IS NULL";
const ITEMS_NAMED_QUERY: &str =
    "SELECT i.id, i.ik_ct, v.version, v.blob, v.rotate_every_days, v.rotated_at,
            v.expires_at, v.exposed_at, v.created_at, i.created_at, v.author_id, n.tag, n.mac
     FROM items i JOIN item_versions v ON v.item_id = i.id AND v.version = i.current_version
     LEFT JOIN name_index n ON n.env_id = i.env_id AND n.item_id = i.id
     WHERE i.env_id = ?1 AND i.deleted_at IS NULL";

impl Vault {
    /// Decrypts every live item of an environment (current versions).
    pub(crate) fn load_items(&mut self, env: &EnvInfo) -> Result<Vec<Decrypted>> {
        self.load_items_for(env, Want::All)
    }

    /// The live item of an environment named `name` (its twins inside),
    /// if any: what `load_items` would find under that name, opening only
    /// what the blind name index points at when it can (`names.rs`).
    pub(crate) fn load_named(&mut self, env: &EnvInfo, name: &str) -> Result<Option<Decrypted>> {
        Ok(self
            .load_items_for(env, Want::Named(name))?
            .into_iter()
            .find(|d| d.fields.name == name))
    }

    fn load_items_for(&mut self, env: &EnvInfo, want: Want<'_>) -> Result<Vec<Decrypted>> {
        if !env.readable {
            return self.load_shared_items(env);
        }
        let vault_id = self.vault_id;
        self.ensure_env_key(env)?;
        let mut earlier_of = earlier_keys_of_env(&self.conn, &env.id)?;
        // The index is kept only where no earlier keys are in play: there
        // an item's name depends on its own rows alone.
        let indexed = !matches!(want, Want::All) && earlier_of.is_empty();
        // The bounds this device recorded for the keys of items re-keyed
        // keeping their versions (attack review 8, G1).
        // Whether it opened every one that may open a version now (those of
        // the current epoch): then they are all the keys there are (attack
        // review 9, K4; review 11, M3: not every key the item ever had).
        let mut past_of: HashMap<Vec<u8>, PastKeys> = HashMap::new();
        let with_rows: Vec<Vec<u8>> = earlier_of.keys().cloned().collect();
        for id in with_rows {
            let item_id = Id::from_slice(&id).map_err(|_| Error::integrity("bad item id"))?;
            let (past, complete) = self.past_item_keys_known(env, item_id)?;
            past_of.insert(id, (past, complete));
        }
        let ek = &self
            .env_keys
            .get(&env.id)
            .ok_or_else(|| Error::Database("environment key cache".into()))?
            .1;
        let mut st = self.conn.prepare_cached(if indexed {
            ITEMS_NAMED_QUERY
        } else {
            ITEMS_QUERY
        })?;
        let rows = st.query_map([&env.id.0[..]], |r| {
            let id = r.get::<_, Vec<u8>>(0)?;
            let earlier = earlier_of.remove(&id).map(|e| (e, past_of.remove(&id)));
            let entry = if indexed {
                r.get::<_, Option<Vec<u8>>>(11)?
                    .zip(r.get::<_, Option<Vec<u8>>>(12)?)
            } else {
                None
            };
            Ok((
                (
                    id,
                    (r.get::<_, Vec<u8>>(1)?, earlier),
                    r.get::<_, i64>(2)?,
                    r.get::<_, Vec<u8>>(3)?,
                    meta_at(r, 4)?,
                    (r.get::<_, i64>(8)?, r.get::<_, i64>(9)?),
                    r.get::<_, Vec<u8>>(10)?,
                ),
                entry,
            ))
        })?;
        let (mut rows, entries): (Vec<_>, Vec<_>) = rows
            .collect::<std::result::Result<Vec<_>, _>>()?
            .into_iter()
            .unzip();
        drop(st);
        // The blind name index: with every entry holding for the rows
        // stored now, only the items tagged with the name asked for are
        // opened; otherwise all are, and the entries computed again.
        let mut refresh = None;
        let mut through_index = false;
        if indexed {
            let (Want::Named(name) | Want::NamedFull(name)) = want else {
                unreachable!("indexed only for a named load")
            };
            let ek = &self
                .env_keys
                .get(&env.id)
                .ok_or_else(|| Error::Database("environment key cache".into()))?
                .1;
            let key = self
                .me
                .private
                .derive_name_index_key(ek, &vault_id, &env.id, env.epoch);
            let digests: Vec<[u8; 32]> = rows
                .iter()
                .map(|(_, (ik_ct, _), version, blob, meta, _, author)| {
                    crate::names::rows_digest(ik_ct, *version, blob, meta, author)
                })
                .collect();
            let holds = matches!(want, Want::Named(_))
                && rows.iter().zip(&entries).zip(&digests).all(|((r, e), d)| {
                    match (Id::from_slice(&r.0), e) {
                        (Ok(id), Some((tag, mac))) => key.verify_entry(&id, d, tag, mac),
                        _ => false,
                    }
                });
            if holds {
                // Tags are per credential: one HMAC each to tell which
                // are named so.
                rows = rows
                    .into_iter()
                    .zip(entries)
                    .filter(|(r, e)| match (Id::from_slice(&r.0), e) {
                        (Ok(id), Some((tag, _))) => key.is_tag_of(tag, &id, name),
                        _ => false,
                    })
                    .map(|(r, _)| r)
                    .collect();
                through_index = true;
            } else {
                let by_id: HashMap<Vec<u8>, [u8; 32]> =
                    rows.iter().map(|r| r.0.clone()).zip(digests).collect();
                refresh = Some((key, by_id));
            }
        }
        // In a private replica every row was derived here from an op whose
        // signature this device checked: what does not open was written so
        // by a teammate's client, and costs that credential, not the whole
        // environment (nor an offboarding). A shared file could have been
        // altered by anyone: there it stays an integrity error.
        let lenient = self.is_private_replica();
        type Row = (
            Vec<u8>,
            (
                Vec<u8>,
                Option<(Earlier, Option<(Vec<(ItemKey, u64)>, bool)>)>,
            ),
            i64,
            Vec<u8>,
            RotationMeta,
            (i64, i64),
            Vec<u8>,
        );
        let open = |(
            id,
            (ik_ct, earlier),
            version,
            blob,
            meta,
            (updated_at, created_at),
            author,
        ): &Row|
         -> Result<std::result::Result<Decrypted, (Id, Option<Id>)>> {
            let id = Id::from_slice(id).map_err(|_| Error::integrity("bad item id"))?;
            let version = *version as u64;
            let ik = match ek.open_item_key(
                ik_ct,
                &ItemKeyContext {
                    vault_id,
                    env_id: env.id,
                    item_id: id,
                    epoch: env.epoch,
                },
            ) {
                Ok(ik) => match &earlier {
                    Some((e, Some((past, true)))) => ItemKeys::open_known(
                        ik,
                        Some(e),
                        past.iter().map(|(k, v)| (k.duplicate(), *v)).collect(),
                        vault_id,
                        env.id,
                        id,
                    ),
                    _ => {
                        let mut keys = ItemKeys::open(
                            ik,
                            earlier.as_ref().map(|(e, _)| e),
                            vault_id,
                            env.id,
                            id,
                        );
                        if let Some((_, Some((past, _)))) = &earlier {
                            keys.take_past(
                                past.iter().map(|(k, v)| (k.duplicate(), *v)).collect(),
                                false,
                            );
                        }
                        keys
                    }
                },
                // No version can open: its name cannot be read. Kept
                // aside (`Vault::keyless`) so that an export names it.
                // Blamed on whoever last gave it a key by an unshare (the
                // same op wrote the earlier-keys row; an environment
                // re-key deletes it), when that is known.
                Err(_) if lenient => {
                    let by = earlier.as_ref().and_then(|(e, _)| e.newest_author());
                    return Ok(Err((id, by)));
                }
                Err(_) => {
                    return Err(Error::integrity(format!(
                        "an item key in {} does not open",
                        env.path()
                    )))
                }
            };
            let (fields, unopened) =
                match open_version(&ik, vault_id, env, id, version, blob, meta, author) {
                    Ok(f) => (f, None),
                    Err(e) if !lenient => return Err(e),
                    Err(_) => {
                        let writer = Id::from_slice(author)
                            .map_err(|_| Error::integrity("bad author id"))?;
                        let (author, by_rekey) = match ik.broken_by {
                            Some(by) => (by, true),
                            None => (writer, false),
                        };
                        // Named below, from an older version.
                        (
                            ItemFields::default(),
                            Some(Unopened {
                                version,
                                author,
                                by_rekey,
                            }),
                        )
                    }
                };
            Ok(Ok(Decrypted {
                id,
                version,
                fields,
                meta: *meta,
                ik,
                ik_gen: coffer_crypto::ItemKeyGeneration::of_sealed(ik_ct).0,
                updated_at: *updated_at,
                created_at: *created_at,
                twins: Vec::new(),
                unopened,
            }))
        };
        // Opening is two AEADs per item and independent per item: a large
        // environment is opened on two threads (listing 10,000 credentials
        // is on the path from unlock to the app's list). The first error in
        // row order wins either way.
        let out = if rows.len() >= PARALLEL_OPEN_FROM {
            let (a, b) = rows.split_at(rows.len() / 2);
            let (first, second) = std::thread::scope(|scope| {
                let second = scope.spawn(|| b.iter().map(open).collect::<Result<Vec<_>>>());
                let first = a.iter().map(open).collect::<Result<Vec<_>>>();
                (first, second.join())
            });
            let mut first = first?;
            let second = second.map_err(|_| Error::Database("opening items failed".into()))??;
            first.extend(second);
            first
        } else {
            rows.iter().map(open).collect::<Result<Vec<_>>>()?
        };
        let mut named = Vec::with_capacity(out.len());
        let mut keyless = Vec::new();
        for d in out {
            let mut d = match d {
                Ok(d) => d,
                Err(k) => {
                    keyless.push(k);
                    continue;
                }
            };
            // A current version that does not open, on an item re-keyed by
            // an unshare: the keys remembered from re-keys stand in for
            // earlier keys that do not open, or open but are not the
            // item's (attack review 6, H1).
            if d.unopened.is_some() && d.ik.upto.is_some() {
                self.recover_earlier(env, d.id, &mut d.ik)?;
                let (blob, meta, author): (Vec<u8>, RotationMeta, Vec<u8>) = self
                    .conn
                    .prepare_cached(
                        "SELECT blob, rotate_every_days, rotated_at, expires_at, exposed_at, author_id
                         FROM item_versions WHERE item_id = ?1 AND version = ?2",
                    )?
                    .query_row(rusqlite::params![&d.id.0[..], d.version as i64], |r| {
                        Ok((r.get(0)?, meta_at(r, 1)?, r.get(5)?))
                    })?;
                if let Ok(f) = open_version(
                    &d.ik,
                    self.vault_id,
                    env,
                    d.id,
                    d.version,
                    &blob,
                    &meta,
                    &author,
                ) {
                    d.fields = f;
                    d.unopened = None;
                }
            }
            if let Some(u) = d.unopened {
                // The newest older version that opens names it; none: its
                // name cannot be read either.
                match self.newest_opening_version(env, &d.ik, d.id, u.version)? {
                    Some(mut f) => {
                        f.value = SecretString::new(String::new());
                        d.fields = f;
                    }
                    None => {
                        keyless.push((d.id, u.by_rekey.then_some(u.author)));
                        continue;
                    }
                }
            }
            named.push(d);
        }
        if through_index {
            // Whatever the entries vouch for opens as it did when they
            // were written; should it not, the full load decides.
            if !keyless.is_empty() || named.iter().any(|d| d.unopened.is_some()) {
                let (Want::Named(name) | Want::NamedFull(name)) = want else {
                    unreachable!("through the index only for a named load")
                };
                return self.load_items_for(env, Want::NamedFull(name));
            }
        } else {
            if let Some((key, digests)) = refresh {
                // Entries only where every item opened cleanly, one per item.
                let clean = keyless.is_empty() && named.iter().all(|d| d.unopened.is_none());
                let entries: Option<Vec<_>> = named
                    .iter()
                    .filter(|_| clean)
                    .map(|d| {
                        let rows = digests.get(&d.id.0[..])?;
                        Some(crate::names::entry(&key, d.id, rows, &d.fields.name))
                    })
                    .collect();
                self.pending_names =
                    entries
                        .filter(|e| clean && e.len() == digests.len())
                        .map(|entries| crate::names::PendingNames {
                            env_id: env.id,
                            entries,
                        });
            }
            self.keyless.insert(env.id, keyless);
        }
        let mut out = named;
        self.derive_exposure(env, &mut out)?;
        Ok(fold_twins(out))
    }

    /// Items of an environment this identity has no key for, but that were
    /// shared with it one by one.
    fn load_shared_items(&mut self, env: &EnvInfo) -> Result<Vec<Decrypted>> {
        let vault_id = self.vault_id;
        let me = self.me.id();
        type Row = (
            Vec<u8>,
            Vec<u8>,
            Vec<u8>,
            Vec<u8>,
            Vec<u8>,
            i64,
            Vec<u8>,
            RotationMeta,
            i64,
            Vec<u8>,
            i64,
            Vec<u8>,
        );
        let rows: Vec<Row> = {
            let mut st = self.conn.prepare_cached(
                "SELECT i.id, s.sender_id, s.epk, s.ct, s.sig, v.version, v.blob, v.rotate_every_days,
                        v.rotated_at, v.expires_at, v.exposed_at, v.created_at, i.ik_ct, i.created_at,
                        v.author_id
                 FROM item_shares s JOIN items i ON i.id = s.item_id
                 JOIN item_versions v ON v.item_id = i.id AND v.version = i.current_version
                 WHERE i.env_id = ?1 AND s.member_id = ?2 AND i.deleted_at IS NULL",
            )?;
            let r = st
                .query_map(rusqlite::params![&env.id.0[..], &me.0[..]], |r| {
                    Ok((
                        r.get(0)?,
                        r.get(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                        r.get(6)?,
                        meta_at(r, 7)?,
                        r.get(11)?,
                        r.get(12)?,
                        r.get(13)?,
                        r.get(14)?,
                    ))
                })?
                .collect::<std::result::Result<_, _>>()?;
            r
        };
        let mut out = Vec::new();
        for (
            id,
            sender,
            epk,
            ct,
            sig,
            version,
            blob,
            meta,
            updated_at,
            ik_ct,
            created_at,
            author,
        ) in rows
        {
            let id = Id::from_slice(&id).map_err(|_| Error::integrity("bad item id"))?;
            let sender = Id::from_slice(&sender).map_err(|_| Error::integrity("bad sender id"))?;
            self.check_sender(&sender, &env.id, true)?;
            let sender_keys = self.member_keys(&sender)?;
            let ctx = coffer_crypto::WrapContext {
                vault_id,
                object_id: id,
                epoch: env.epoch,
                recipient_id: me,
                sender_id: sender,
            };
            // The share must be for the item key the item has now (its
            // generation, from this device's verified state): a wrap of an
            // older item key swapped in is refused, and so is a share
            // without a generation (wrap kind 2, before the binding).
            let generation = coffer_crypto::ItemKeyGeneration::of_sealed(&ik_ct);
            let ik: ItemKey = coffer_crypto::wrap::unwrap_share(
                &self.me.private,
                &sender_keys,
                [&epk[..], &ct[..], &sig[..]],
                &ctx,
                &generation,
            )
            .map_err(|_| {
                Error::integrity(format!(
                    "a shared item's key in {} does not open",
                    env.path()
                ))
            })?;
            let version = version as u64;
            let earlier = earlier_keys_ct(&self.conn, &id)?;
            let ik = ItemKeys::open(ik, earlier.as_ref(), vault_id, env.id, id);
            let fields = open_version(&ik, vault_id, env, id, version, &blob, &meta, &author)?;
            out.push(Decrypted {
                id,
                version,
                fields,
                meta,
                ik,
                ik_gen: generation.0,
                updated_at,
                created_at,
                twins: Vec::new(),
                unopened: None,
            });
        }
        Ok(fold_twins(out))
    }

    /// `find_item`, for what reads or passes on the value: a credential
    /// whose current version does not open is an error naming its writer.
    pub(crate) fn find_readable(&mut self, env: &EnvInfo, name: &str) -> Result<Decrypted> {
        let d = self.find_item(env, name)?;
        self.check_opens(env, &d)?;
        Ok(d)
    }

    /// For what reads a whole environment (export, run): an error naming
    /// the writers when the last `load_items` of `env` found credentials
    /// whose key opens under nothing (their names cannot be read, so they
    /// would be left out without a word).
    pub(crate) fn check_env_opens(&mut self, env: &EnvInfo) -> Result<()> {
        let Some(k) = self.keyless.get(&env.id).filter(|k| !k.is_empty()).cloned() else {
            return Ok(());
        };
        let named: Vec<String> = k
            .iter()
            .map(|(id, by)| {
                let what = match self.keyless_name(env, *id) {
                    Some(name) => format!("{name} (item {})", id.short()),
                    None => format!("item {}", id.short()),
                };
                match by {
                    Some(by) => format!("{what}, left so by {}'s re-key", self.member_name(by)),
                    None => what,
                }
            })
            .collect();
        Err(Error::integrity(format!(
            "{} in {} open under no key: {}; a teammate's client sealed their key so \
             (`coffer audit` shows who), and nothing is exported or run without them",
            crate::words::count(k.len(), "credential"),
            env.path(),
            named.join(", ")
        )))
    }

    /// The name of an item whose key opens under nothing, from its first
    /// version as the log holds it, opened with a key the item had before
    /// (`item_keys_past`): what it was called before its key was replaced.
    fn keyless_name(&mut self, env: &EnvInfo, item_id: Id) -> Option<String> {
        let keys = self.past_item_keys(env, item_id).ok()?;
        if keys.is_empty() {
            return None;
        }
        let mut st = self
            .conn
            .prepare(&format!(
                "SELECT body, author_id FROM ops NOT INDEXED WHERE outcome = 'applied' AND kind IN ({}, {}, {})",
                crate::ops::kind::SET_ITEM,
                crate::ops::kind::SET_ITEM_SEALED,
                crate::ops::kind::SET_ITEM_BOUND
            ))
            .ok()?;
        let mut rows = st.query([]).ok()?;
        while let Ok(Some(r)) = rows.next() {
            let (Ok(body), Ok(author)) = (r.get::<_, Vec<u8>>(0), r.get::<_, Vec<u8>>(1)) else {
                continue;
            };
            let Ok(OpBody::SetItem {
                item_id: id,
                version,
                blob,
                meta,
                ..
            }) = OpBody::decode(&body)
            else {
                continue;
            };
            if id != item_id {
                continue;
            }
            for (ik, _) in &keys {
                if let Ok(f) = open_version_under(
                    [ik],
                    self.vault_id,
                    env,
                    item_id,
                    version,
                    &blob,
                    &meta,
                    &author,
                ) {
                    return Some(f.name);
                }
            }
        }
        None
    }

    /// When the earlier keys an item re-key left do not open (the re-key's
    /// author sealed junk), the keys this device remembers the item having
    /// (`item_keys_past`, recorded as each re-key was applied) stand in for
    /// them: any key that opens a version gives what its writer sealed and
    /// signed, so nothing a re-key says can change a value, and junk only
    /// costs those who hold no such key (a share's recipient).
    pub(crate) fn recover_earlier(
        &mut self,
        env: &EnvInfo,
        item_id: Id,
        keys: &mut ItemKeys,
    ) -> Result<()> {
        if keys.upto.is_some() && !keys.recovered && env.readable {
            // Each opens versions up to the one the item had when the key
            // was replaced, no further.
            let (past, complete) = self.past_item_keys_known(env, item_id)?;
            keys.take_past(past, complete);
        }
        Ok(())
    }

    /// A member's name for a message (their short id if unknown).
    fn member_name(&self, id: &Id) -> String {
        self.conn
            .query_row("SELECT name FROM members WHERE id = ?1", [&id.0[..]], |r| {
                r.get::<_, String>(0)
            })
            .unwrap_or_else(|_| format!("member {}", id.short()))
    }

    /// An error naming the writer when `d`'s current version does not open.
    pub(crate) fn check_opens(&self, env: &EnvInfo, d: &Decrypted) -> Result<()> {
        let Some(u) = d.unopened else {
            return Ok(());
        };
        let author = self.member_name(&u.author);
        if u.by_rekey {
            return Err(Error::integrity(format!(
                "version {} of {} in {} does not open: {author}'s re-key of it (an unshare) left its earlier keys sealed so that they do not open; set a new value",
                u.version,
                d.fields.name,
                env.path()
            )));
        }
        Err(Error::integrity(format!(
            "version {} of {} in {}, written by {author}, does not open (their client wrote a value no key opens); set a new value, or restore an older version",
            u.version,
            d.fields.name,
            env.path()
        )))
    }

    /// The fields of the newest version of `item_id` before `before` that
    /// opens under `ik`, if any.
    fn newest_opening_version(
        &self,
        env: &EnvInfo,
        ik: &ItemKeys,
        item_id: Id,
        before: u64,
    ) -> Result<Option<ItemFields>> {
        let mut st = self.conn.prepare_cached(
            "SELECT version, blob, rotate_every_days, rotated_at, expires_at, exposed_at, author_id
             FROM item_versions WHERE item_id = ?1 AND version < ?2 ORDER BY version DESC",
        )?;
        let rows = st
            .query_map(rusqlite::params![&item_id.0[..], before as i64], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    meta_at(r, 2)?,
                    r.get::<_, Vec<u8>>(6)?,
                ))
            })?
            .collect::<std::result::Result<Vec<_>, _>>()?;
        for (version, blob, meta, author) in rows {
            if let Ok(f) = open_version(
                ik,
                self.vault_id,
                env,
                item_id,
                version as u64,
                &blob,
                &meta,
                &author,
            ) {
                return Ok(Some(f));
            }
        }
        Ok(None)
    }

    /// The fields of an item's current version, deleted or not (to name
    /// it in a report).
    pub(crate) fn last_fields(&mut self, item_id: &Id) -> Result<ItemFields> {
        let (env, ik) = self.item_key_by_id(item_id)?;
        let (version, blob, meta, author) = all_versions(self, item_id)?
            .pop()
            .ok_or_else(|| Error::NotFound("a version".into()))?;
        open_version(
            &ik,
            self.vault_id,
            &env,
            *item_id,
            version,
            &blob,
            &meta,
            &author,
        )
    }

    pub(crate) fn find_item(&mut self, env: &EnvInfo, name: &str) -> Result<Decrypted> {
        let readable = env.readable;
        self.load_named(env, name)?.ok_or_else(|| {
            if readable {
                Error::NotFound(format!("{name} in {}", env.path()))
            } else {
                Error::PermissionDenied(format!(
                    "you have no access to {} (only to credentials shared with you)",
                    env.path()
                ))
            }
        })
    }

    /// Lists credentials (never values) of one environment, or of every
    /// readable environment of a project or the vault.
    pub fn list_items(&mut self, scope: Option<&str>, due_soon: u32) -> Result<Vec<ItemSummary>> {
        let envs = self.scope_envs(scope)?;
        let now = now();
        let mut shares = self.shares_by_item()?;
        let conflicted = self.conflicted_items()?;
        let mut out = Vec::new();
        for env in &envs {
            for d in self.load_items(env)? {
                let mut s = d.summary(env, now, due_soon);
                s.shared_with = shares.remove(&d.id).unwrap_or_default();
                s.conflict = conflicted.contains(&d.id) || !d.twins.is_empty();
                out.push(s);
            }
        }
        Ok(out)
    }

    /// Items with versions waiting beside the current one.
    fn conflicted_items(&self) -> Result<std::collections::HashSet<Id>> {
        let mut st = self
            .conn
            .prepare_cached("SELECT DISTINCT item_id FROM item_conflicts")?;
        let rows = st.query_map([], |r| r.get::<_, Vec<u8>>(0))?;
        let mut out = std::collections::HashSet::new();
        for r in rows {
            out.insert(Id::from_slice(&r?).map_err(|_| Error::integrity("bad item id"))?);
        }
        Ok(out)
    }

    /// The versions of a credential written concurrently with its current
    /// one (each by a teammate who had not seen the other), oldest first,
    /// with their values only if `reveal` (logged as a history read).
    pub fn conflicts(
        &mut self,
        env_path: &str,
        name: &str,
        reveal: bool,
    ) -> Result<Vec<HistoryEntry>> {
        let env = self.env(env_path)?;
        let cur = self.find_readable(&env, name)?;
        let out = self.conflict_versions(&env, &cur)?;
        if reveal && !out.is_empty() {
            self.log_read(ReadAction::History, &env, vec![cur.id])?;
        }
        Ok(out
            .into_iter()
            .map(|w| HistoryEntry {
                value: if reveal { w.entry.value } else { None },
                ..w.entry
            })
            .collect())
    }

    /// A conflict as the app shows it: the current version, then the
    /// versions written concurrently with it (in [`Vault::conflicts`]'s
    /// order), with the values only if `reveal` (one logged history read).
    pub fn conflict_view(
        &mut self,
        env_path: &str,
        name: &str,
        reveal: bool,
    ) -> Result<(HistoryEntry, Vec<HistoryEntry>)> {
        let env = self.env(env_path)?;
        let cur = self.find_readable(&env, name)?;
        let waiting = self.conflict_versions(&env, &cur)?;
        if waiting.is_empty() {
            return Err(Error::NotFound(format!(
                "a conflict on {name} in {env_path}"
            )));
        }
        let mut current = self
            .history(env_path, name, false)?
            .into_iter()
            .find(|h| h.version == cur.version)
            .ok_or_else(|| Error::integrity("the current version is missing from the history"))?;
        if reveal {
            current.value = Some(cur.fields.value.clone());
            self.log_read(ReadAction::History, &env, vec![cur.id])?;
        }
        Ok((
            current,
            waiting
                .into_iter()
                .map(|w| HistoryEntry {
                    value: if reveal { w.entry.value } else { None },
                    ..w.entry
                })
                .collect(),
        ))
    }

    pub(crate) fn conflict_versions(
        &mut self,
        env: &EnvInfo,
        cur: &Decrypted,
    ) -> Result<Vec<Waiting>> {
        let mut st = self.conn.prepare(
            "SELECT c.version, COALESCE(m.name, '?'), c.created_at, c.blob,
                    c.rotate_every_days, c.rotated_at, c.expires_at, c.exposed_at, c.author_id
             FROM item_conflicts c LEFT JOIN members m ON m.id = c.author_id
             WHERE c.item_id = ?1 ORDER BY c.created_at, c.digest",
        )?;
        let rows = st.query_map([&cur.id.0[..]], |r| {
            Ok((
                r.get::<_, i64>(0)? as u64,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, Vec<u8>>(3)?,
                meta_at(r, 4)?,
                r.get::<_, Vec<u8>>(8)?,
            ))
        })?;
        let rows = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        drop(st);
        let mut past: Option<Vec<(ItemKey, u64)>> = None;
        let vault_id = self.vault_id;
        let mut out = Vec::new();
        for (version, author, created_at, blob, meta, writer) in rows {
            let open = |ik: &ItemKey| {
                open_version_under([ik], vault_id, env, cur.id, version, &blob, &meta, &writer).ok()
            };
            // The current key alone: a version sealed under a key the item
            // had before (even one it keeps, after an unshare) is stale.
            let (fields, stale, replaced_at) = match open(&cur.ik.current) {
                Some(f) => (Some(f), false, None),
                None => {
                    if past.is_none() {
                        past = Some(self.past_item_keys(env, cur.id)?);
                    }
                    match past
                        .iter()
                        .flatten()
                        .find_map(|(k, at)| open(k).map(|f| (f, *at)))
                    {
                        Some((f, at)) => (Some(f), true, Some(at)),
                        None => (None, true, None),
                    }
                }
            };
            out.push(Waiting {
                entry: HistoryEntry {
                    version,
                    author,
                    created_at,
                    rotated_at: meta.rotated_at,
                    value: fields.as_ref().map(|f| f.value.clone()),
                    conflict: true,
                    stale,
                    unreadable: fields.is_none(),
                },
                fields,
                twin: None,
                replaced_at,
            });
        }
        // Twins (the same name created concurrently on two devices): each
        // one's current value waits, by whoever created it.
        for t in &cur.twins {
            let author: String = self
                .conn
                .query_row(
                    "SELECT COALESCE(m.name, '?') FROM item_versions v LEFT JOIN members m ON m.id = v.author_id
                     WHERE v.item_id = ?1 AND v.version = ?2",
                    rusqlite::params![&t.id.0[..], t.version as i64],
                    |r| r.get(0),
                )
                .optional()?
                .unwrap_or_else(|| "?".into());
            out.push(Waiting {
                entry: HistoryEntry {
                    version: t.version,
                    author,
                    created_at: t.updated_at,
                    rotated_at: t.meta.rotated_at,
                    value: Some(t.fields.value.clone()),
                    conflict: true,
                    stale: false,
                    unreadable: false,
                },
                fields: Some(t.fields.clone()),
                twin: Some(t.id),
                replaced_at: None,
            });
        }
        Ok(out)
    }

    /// Resolves a conflict on a credential. `keep: None` keeps the current
    /// version; `Some(n)` (1-based, in the order [`Vault::conflicts`]
    /// lists them) makes that concurrent version's content the new current
    /// version. Either way the waiting versions are dropped, in one signed
    /// batch, and every device does the same when it syncs.
    pub fn resolve_conflict(
        &mut self,
        env_path: &str,
        name: &str,
        keep: Option<usize>,
    ) -> Result<SetOutcome> {
        let env = self.env(env_path)?;
        let cur = self.find_readable(&env, name)?;
        let mut waiting = self.conflict_versions(&env, &cur)?;
        if waiting.is_empty() {
            return Err(Error::NotFound(format!(
                "a conflict on {name} in {env_path}"
            )));
        }
        // Versions waiting are dropped (one op), twins deleted (one each).
        let mut settle = Vec::new();
        if waiting.iter().any(|w| w.twin.is_none()) {
            settle.push(OpBody::ResolveConflict {
                env_id: env.id,
                item_id: cur.id,
            });
        }
        for t in waiting.iter().filter_map(|w| w.twin) {
            settle.push(OpBody::DeleteItem {
                item_id: t,
                env_id: env.id,
            });
        }
        let Some(n) = keep else {
            self.apply_batch(settle)?;
            return Ok(SetOutcome {
                id: cur.id,
                version: cur.version,
                created: false,
                value_changed: false,
            });
        };
        if n == 0 || n > waiting.len() {
            return Err(Error::InvalidInput(format!(
                "there are {} of {name}: choose 1 to {}, or keep the current one",
                crate::words::count(waiting.len(), "concurrent version"),
                waiting.len()
            )));
        }
        let Waiting {
            entry: h,
            fields,
            twin,
            ..
        } = waiting.swap_remove(n - 1);
        let Some(fields) = fields else {
            return Err(Error::PermissionDenied(format!(
                "{}'s version of {name} was sealed under a key an offboarding replaced, which this identity never held: \
                 an owner or admin can keep it (their device re-seals it when it syncs)",
                h.author
            )));
        };
        let changed = fields.value != cur.fields.value;
        let mut meta = cur.meta;
        // A twin's value seen by someone who lost access was remembered
        // under the twin's id: it stays exposed on the item that keeps it.
        let twin_exposed = match twin {
            Some(t) => self.exposed_since(&env, t, &fields.value)?,
            None => None,
        };
        if changed {
            meta.rotated_at = h.rotated_at.or(Some(now()));
            meta.exposed_at = self.exposed_since(&env, cur.id, &fields.value)?;
        }
        if let Some(since) = twin_exposed {
            meta.exposed_at = meta.exposed_at.or(Some(since));
            if self.acts_for_the_team()? {
                settle.extend(self.build_exposed_value(&env, cur.id, &fields.value, since)?);
            }
        }
        if h.stale {
            // Sealed under a key whoever lost access holds: exposed.
            meta.exposed_at = meta.exposed_at.or(Some(now()));
        }
        let set = version_op(self.vault_id, &env, &cur, &fields, meta, &self.me.id())?;
        settle.insert(0, set);
        if h.stale
            && matches!(
                self.member_status(&self.me.id())?,
                Some((crate::vault::Role::Owner | crate::vault::Role::Admin, _))
            )
        {
            // Remembered as exposed (owners and admins keep that list).
            settle.extend(self.build_exposed_value(&env, cur.id, &fields.value, now())?);
        }
        self.apply_batch(settle)?;
        Ok(SetOutcome {
            id: cur.id,
            version: cur.version + 1,
            created: false,
            value_changed: changed,
        })
    }

    /// The environments a scope (`None`, `PROJECT`, `PROJECT/ENV`) names.
    pub fn scope_envs(&self, scope: Option<&str>) -> Result<Vec<EnvInfo>> {
        match scope {
            Some(s) if s.contains('/') => Ok(vec![self.env(s)?]),
            Some(p) => self.list_envs(Some(p)),
            None => self.list_envs(None),
        }
    }

    /// Creates an item or adds a version. Changing the value sets
    /// `rotated_at` and clears `exposed_at`, unless the new value is one an
    /// offboarded member saw (then it stays exposed); other fields carry over.
    pub fn set_item(&mut self, env_path: &str, name: &str, upd: ItemUpdate) -> Result<SetOutcome> {
        self.set_item_with(env_path, name, upd, false)
    }

    /// [`Vault::set_item`], also removing the provider expiry when
    /// `clear_expiry` (an update's `None` keeps it).
    fn set_item_with(
        &mut self,
        env_path: &str,
        name: &str,
        upd: ItemUpdate,
        clear_expiry: bool,
    ) -> Result<SetOutcome> {
        coffer_dotenv::validate_key(name)?;
        if let Some(v) = &upd.value {
            check_value(name, v)?;
        }
        for (what, v) in [
            ("notes", &upd.notes),
            ("url", &upd.url),
            ("username", &upd.username),
        ] {
            if v.as_ref().is_some_and(|s| s.len() > MAX_NOTES_BYTES) {
                return Err(Error::InvalidInput(format!(
                    "the {what} of {name} are too long (limit {MAX_NOTES_BYTES} bytes)"
                )));
            }
        }
        let env = self.env(env_path)?;
        let existing = self.load_named(&env, name)?;
        let now = now();
        let vault_id = self.vault_id;
        let (body, outcome) = match existing {
            None => {
                let value = upd.value.ok_or_else(|| {
                    Error::InvalidInput(format!("{name} is new: a value is required"))
                })?;
                let mut fields = ItemFields {
                    name: name.to_string(),
                    value,
                    notes: upd.notes,
                    url: upd.url,
                    username: upd.username,
                    tags: vec![],
                };
                tag_generated(&mut fields.tags, upd.generated);
                let meta = RotationMeta {
                    rotate_every_days: upd.rotate_every_days,
                    rotated_at: Some(now),
                    expires_at: upd.expires_at,
                    exposed_at: None,
                };
                let (id, body) = self.new_item_op(&env, &fields, meta)?;
                (
                    body,
                    SetOutcome {
                        id,
                        version: 1,
                        created: true,
                        value_changed: true,
                    },
                )
            }
            Some(cur) => {
                if upd.value.is_none() {
                    // Carrying the value over needs the value.
                    self.check_opens(&env, &cur)?;
                }
                let mut fields = cur.fields.clone();
                let mut meta = cur.meta;
                let mut changed = false;
                if let Some(v) = upd.value {
                    changed = v != cur.fields.value;
                    fields.value = v;
                }
                if changed {
                    tag_generated(&mut fields.tags, upd.generated);
                    meta.rotated_at = Some(now);
                    // A value an offboarded member saw stays exposed.
                    meta.exposed_at = self.exposed_since(&env, cur.id, &fields.value)?;
                }
                if upd.notes.is_some() {
                    fields.notes = upd.notes;
                }
                if upd.url.is_some() {
                    fields.url = upd.url;
                }
                if upd.username.is_some() {
                    fields.username = upd.username;
                }
                if upd.rotate_every_days.is_some() {
                    meta.rotate_every_days = upd.rotate_every_days;
                }
                if upd.expires_at.is_some() {
                    meta.expires_at = upd.expires_at;
                }
                if clear_expiry {
                    meta.expires_at = None;
                }
                let version = cur.version + 1;
                (
                    version_op(vault_id, &env, &cur, &fields, meta, &self.me.id())?,
                    SetOutcome {
                        id: cur.id,
                        version,
                        created: false,
                        value_changed: changed,
                    },
                )
            }
        };
        self.apply(body)?;
        Ok(outcome)
    }

    /// Reads one credential with its value, and logs the reveal.
    pub fn get_item(&mut self, env_path: &str, name: &str) -> Result<(ItemSummary, SecretString)> {
        let env = self.env(env_path)?;
        let d = self.find_readable(&env, name)?;
        self.log_read(ReadAction::Reveal, &env, vec![d.id])?;
        let mut s = d.summary(&env, now(), rotation::DEFAULT_DUE_SOON_DAYS);
        s.conflict = self.conflicted_items()?.contains(&d.id) || !d.twins.is_empty();
        Ok((s, d.fields.value.clone()))
    }

    /// Reads one credential's value to put it on the clipboard, and logs the
    /// copy (the desktop app's copy; the value never reaches the web view).
    pub fn copy_item_value(&mut self, env_path: &str, name: &str) -> Result<SecretString> {
        let env = self.env(env_path)?;
        let d = self.find_readable(&env, name)?;
        self.log_read(ReadAction::Copy, &env, vec![d.id])?;
        Ok(d.fields.value.clone())
    }

    /// Reads one credential's metadata (no value, no read event).
    pub fn item_info(&mut self, env_path: &str, name: &str) -> Result<ItemSummary> {
        let env = self.env(env_path)?;
        let d = self.find_item(&env, name)?;
        let mut s = d.summary(&env, now(), rotation::DEFAULT_DUE_SOON_DAYS);
        s.conflict = self.conflicted_items()?.contains(&d.id) || !d.twins.is_empty();
        Ok(s)
    }

    /// Deletes a credential (its versions stay in the op log's ciphertexts).
    pub fn remove_item(&mut self, env_path: &str, name: &str) -> Result<()> {
        let env = self.env(env_path)?;
        let d = self.find_item(&env, name)?;
        // Twins (the name created concurrently elsewhere) go with it, or
        // one of them would take the name back.
        let ops = std::iter::once(d.id)
            .chain(d.twins.iter().map(|t| t.id))
            .map(|item_id| OpBody::DeleteItem {
                item_id,
                env_id: env.id,
            })
            .collect();
        self.apply_batch(ops)
    }

    /// Rotates a credential: a new value (must differ), marked rotated.
    pub fn rotate_item(
        &mut self,
        env_path: &str,
        name: &str,
        value: SecretString,
    ) -> Result<SetOutcome> {
        self.rotate_item_expiring(env_path, name, value, NewExpiry::Keep)
    }

    /// [`Vault::rotate_item`] with the new value's provider expiry. A
    /// credential with a provider expiry is not rotated with
    /// [`NewExpiry::Keep`]: that expiry belongs to the old value (kept, a
    /// passed one would show the new value as expired at once); the caller
    /// asks for the new value's, or for none.
    pub fn rotate_item_expiring(
        &mut self,
        env_path: &str,
        name: &str,
        value: SecretString,
        expiry: NewExpiry,
    ) -> Result<SetOutcome> {
        self.rotate_item_with(env_path, name, value, expiry, false)
    }

    /// [`Vault::rotate_item_expiring`], saying whether Coffer generated
    /// the new value ([`ItemUpdate::generated`]).
    pub fn rotate_item_with(
        &mut self,
        env_path: &str,
        name: &str,
        value: SecretString,
        expiry: NewExpiry,
        generated: bool,
    ) -> Result<SetOutcome> {
        let env = self.env(env_path)?;
        let cur = self.find_readable(&env, name)?;
        if cur.fields.value == value {
            return Err(Error::InvalidInput(format!(
                "the new value of {name} is the same as the current one"
            )));
        }
        if let (NewExpiry::Keep, Some(at)) = (expiry, cur.meta.expires_at) {
            let when = if at <= now() { "expired" } else { "expires" };
            return Err(Error::InvalidInput(format!(
                "{name} {when} on {}, an expiry that belongs to the old value: give the new value's expiry, or say it has none",
                crate::time::format_date(at)
            )));
        }
        let expires_at = match expiry {
            NewExpiry::Set(at) => Some(at),
            _ => None,
        };
        self.set_item_with(
            env_path,
            name,
            ItemUpdate {
                value: Some(value),
                expires_at,
                generated,
                ..Default::default()
            },
            expiry == NewExpiry::Clear,
        )
    }

    /// Restores an old version's value as a new version (history is kept;
    /// counts as a value change, so `rotated_at` moves only if the value
    /// differs from the current one).
    pub fn restore_version(
        &mut self,
        env_path: &str,
        name: &str,
        version: u64,
    ) -> Result<SetOutcome> {
        let old = self
            .history(env_path, name, true)?
            .into_iter()
            .find(|h| h.version == version && !h.conflict)
            .and_then(|h| h.value)
            .ok_or_else(|| Error::NotFound(format!("version {version} of {name} in {env_path}")))?;
        self.set_item(
            env_path,
            name,
            ItemUpdate {
                value: Some(old),
                ..Default::default()
            },
        )
    }

    /// Every version of a credential, newest first; values only if `reveal`.
    pub fn history(
        &mut self,
        env_path: &str,
        name: &str,
        reveal: bool,
    ) -> Result<Vec<HistoryEntry>> {
        let env = self.env(env_path)?;
        let cur = self.find_item(&env, name)?;
        let vault_id = self.vault_id;
        let lenient = self.is_private_replica();
        let mut st = self.conn.prepare(
            "SELECT v.version, COALESCE(m.name, '?'), v.created_at, v.rotated_at, v.blob,
                    v.rotate_every_days, v.expires_at, v.exposed_at, v.author_id
             FROM item_versions v LEFT JOIN members m ON m.id = v.author_id
             WHERE v.item_id = ?1 ORDER BY v.version DESC",
        )?;
        let rows = st.query_map([&cur.id.0[..]], |r| {
            Ok((
                r.get::<_, i64>(0)? as u64,
                r.get::<_, String>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, Option<i64>>(3)?,
                r.get::<_, Vec<u8>>(4)?,
                r.get::<_, Option<i64>>(5)?,
                r.get::<_, Option<i64>>(6)?,
                r.get::<_, Option<i64>>(7)?,
                r.get::<_, Vec<u8>>(8)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (version, author, created_at, rotated_at, blob, every, exp, expo, writer) = row?;
            // Every version is opened, revealed or not, so a tampered old
            // version is reported rather than silently listed.
            let meta = RotationMeta {
                rotate_every_days: every.map(|v| v as u32),
                rotated_at,
                expires_at: exp,
                exposed_at: expo,
            };
            let (value, unreadable) = match open_version(
                &cur.ik, vault_id, &env, cur.id, version, &blob, &meta, &writer,
            ) {
                Ok(fields) => (reveal.then(|| fields.value.clone()), false),
                // A teammate's client wrote it so (see `Decrypted::unopened`).
                Err(_) if lenient => (None, true),
                Err(e) => return Err(e),
            };
            out.push(HistoryEntry {
                version,
                author,
                created_at,
                rotated_at,
                value,
                conflict: false,
                stale: false,
                unreadable,
            });
        }
        drop(st);
        for w in self.conflict_versions(&env, &cur)? {
            out.push(HistoryEntry {
                value: if reveal { w.entry.value } else { None },
                ..w.entry
            });
        }
        if reveal {
            self.log_read(ReadAction::History, &env, vec![cur.id])?;
        }
        Ok(out)
    }

    /// Every live credential of an environment with its value, for export
    /// and run, in name order. Logs the read.
    pub fn read_env(
        &mut self,
        env_path: &str,
        action: ReadAction,
    ) -> Result<Vec<(ItemSummary, SecretString)>> {
        let env = self.env(env_path)?;
        let items = self.read_env_unlogged(&env)?;
        self.log_read(action, &env, items.iter().map(|(s, _)| s.id).collect())?;
        Ok(items)
    }

    /// The same without logging: the caller logs once the read took effect.
    pub(crate) fn read_env_unlogged(
        &mut self,
        env: &EnvInfo,
    ) -> Result<Vec<(ItemSummary, SecretString)>> {
        // A whole environment needs its key: items shared one by one are
        // read with `get`, never silently exported or run as a partial set.
        if !env.readable {
            return Err(Error::PermissionDenied(format!(
                "you have no access to {}",
                env.path()
            )));
        }
        let now = now();
        let items = self.load_items(env)?;
        self.check_env_opens(env)?;
        for d in &items {
            self.check_opens(env, d)?;
        }
        Ok(items
            .into_iter()
            .map(|d| {
                (
                    d.summary(env, now, rotation::DEFAULT_DUE_SOON_DAYS),
                    d.fields.value.clone(),
                )
            })
            .collect())
    }

    /// Imports several credentials into one environment in one transaction:
    /// all or nothing. Existing names are refused unless `overwrite`.
    pub fn import_items(
        &mut self,
        env_path: &str,
        entries: Vec<(String, SecretString)>,
        overwrite: bool,
    ) -> Result<(usize, usize)> {
        let env = self.env(env_path)?;
        let existing = self.load_items(&env)?;
        for (name, value) in &entries {
            coffer_dotenv::validate_key(name)?;
            check_value(name, value)?;
            if !overwrite && existing.iter().any(|d| &d.fields.name == name) {
                return Err(Error::AlreadyExists(format!(
                    "{name} in {} (use --overwrite to replace)",
                    env.path()
                )));
            }
        }
        let vault_id = self.vault_id;
        let now = now();
        let mut bodies = Vec::new();
        let (mut created, mut updated) = (0, 0);
        for (name, value) in entries {
            match existing.iter().find(|d| d.fields.name == name) {
                Some(cur) => {
                    if cur.fields.value == value {
                        continue;
                    }
                    let mut fields = cur.fields.clone();
                    fields.value = value;
                    let mut meta = cur.meta;
                    meta.rotated_at = Some(now);
                    meta.exposed_at = self.exposed_since(&env, cur.id, &fields.value)?;
                    bodies.push(version_op(
                        vault_id,
                        &env,
                        cur,
                        &fields,
                        meta,
                        &self.me.id(),
                    )?);
                    updated += 1;
                }
                None => {
                    let fields = ItemFields {
                        name,
                        value,
                        ..Default::default()
                    };
                    let meta = RotationMeta {
                        rotated_at: Some(now),
                        ..Default::default()
                    };
                    bodies.push(self.new_item_op(&env, &fields, meta)?.1);
                    created += 1;
                }
            }
        }
        if !bodies.is_empty() {
            self.apply_batch(bodies)?;
        }
        Ok((created, updated))
    }

    /// What [`Vault::import_items`] would do with each entry, after the
    /// same checks of names and values, without writing anything: the dry
    /// run of a `.env` import (an existing name is reported, not refused).
    pub(crate) fn preview_items(
        &mut self,
        env_path: &str,
        entries: &[(String, SecretString)],
    ) -> Result<Vec<(String, crate::envfile::PreviewStatus)>> {
        use crate::envfile::PreviewStatus;
        let env = self.env(env_path)?;
        let existing = self.load_items(&env)?;
        let mut out = Vec::with_capacity(entries.len());
        for (name, value) in entries {
            coffer_dotenv::validate_key(name)?;
            check_value(name, value)?;
            let status = match existing.iter().find(|d| &d.fields.name == name) {
                None => PreviewStatus::New,
                Some(cur) if cur.fields.value == *value => PreviewStatus::Unchanged,
                Some(_) => PreviewStatus::Exists,
            };
            out.push((name.clone(), status));
        }
        Ok(out)
    }

    /// The op creating an item: a fresh item key sealed under the
    /// environment's current key, and version 1 sealed under it.
    pub(crate) fn new_item_op(
        &mut self,
        env: &EnvInfo,
        fields: &ItemFields,
        meta: RotationMeta,
    ) -> Result<(Id, OpBody)> {
        let vault_id = self.vault_id;
        let id = Id::make();
        let ik = ItemKey::make();
        let ik_ct = self
            .env_key(env)?
            .seal_item_key(
                &ik,
                &ItemKeyContext {
                    vault_id,
                    env_id: env.id,
                    item_id: id,
                    epoch: env.epoch,
                },
            )
            .map_err(|_| Error::InvalidInput("item too large".into()))?;
        let blob = seal(&ik, vault_id, env, id, 1, fields, &meta, &self.me.id())?;
        let sealed_under = Some(SealedUnder {
            epoch: env.epoch,
            item_key: coffer_crypto::ItemKeyGeneration::of_sealed(&ik_ct).0,
        });
        Ok((
            id,
            OpBody::SetItem {
                item_id: id,
                env_id: env.id,
                version: 1,
                ik_ct: Some(ik_ct),
                blob,
                meta,
                sealed_under,
            },
        ))
    }

    /// Logs a local read event (no secret in it: ids only).
    pub(crate) fn log_read(
        &mut self,
        action: ReadAction,
        env: &EnvInfo,
        item_ids: Vec<Id>,
    ) -> Result<()> {
        self.apply(OpBody::Read {
            action,
            env_id: env.id,
            item_ids,
        })
    }

    /// Starts a new epoch for an environment: new EK, new IK per item, every
    /// version re-encrypted, the EK re-wrapped to `keep` (member ids; this
    /// identity is always kept if it has access).
    pub fn rekey_env(&mut self, env_path: &str) -> Result<u64> {
        let env = self.env(env_path)?;
        self.rekey_env_info(env)
    }

    /// [`Vault::rekey_env`] of an environment found by id (a removed one
    /// included: a leaked key is replaced there too).
    pub(crate) fn rekey_env_info(&mut self, env: EnvInfo) -> Result<u64> {
        let holders = crate::rekey::env_holders(self, &env)?;
        let none = std::collections::HashSet::new();
        let plan = crate::rekey::Plan {
            drop: None,
            expose: &none,
            now: now(),
        };
        let total = crate::rekey::count_items(self, &env)?;
        let (body, new_ek, opened) =
            crate::rekey::build_rekey(self, &env, &holders, &plan, &mut |_, _| {}, &mut 0, total)?;
        // Orphaned shares the re-key carries on are re-signed first: it
        // carries on only shares whose sender may vouch for them where it
        // applies (attack review 11, M1).
        let mut ops = self.orphan_resigns(Some(&env.id), None)?;
        ops.push(body);
        // Values remembered as exposed are re-tagged under the new epoch.
        let next = Some((&new_ek, env.epoch + 1));
        let none_seen = crate::exposure::Seen::new();
        if let Some(op) = self.build_exposed_values(&env, next, &none_seen, now(), Some(&opened))? {
            ops.push(op);
        }
        self.apply_batch(ops)?;
        self.env_keys.remove(&env.id);
        Ok(env.epoch + 1)
    }
}

/// The op adding the next version of an existing item, written (and its
/// blob bound to) `author`: this device's member.
pub(crate) fn version_op(
    vault_id: Id,
    env: &EnvInfo,
    cur: &Decrypted,
    fields: &ItemFields,
    meta: RotationMeta,
    author: &Id,
) -> Result<OpBody> {
    let version = cur.version + 1;
    Ok(OpBody::SetItem {
        item_id: cur.id,
        env_id: env.id,
        version,
        ik_ct: None,
        blob: seal(
            &cur.ik.current,
            vault_id,
            env,
            cur.id,
            version,
            fields,
            &meta,
            author,
        )?,
        meta,
        sealed_under: Some(SealedUnder {
            epoch: env.epoch,
            item_key: cur.ik_gen,
        }),
    })
}

/// Seals one version, bound to `author` (the member who wrote it, or for
/// a re-seal the version's recorded writer, never the re-keyer): the blob
/// is `BOUND_BLOB_MAGIC ‖ author ‖ X(IK, …, aad names the author)`
/// (`item.set` kind 31, attack review 7, F6).
#[allow(clippy::too_many_arguments)] // the blob's whole context, field by field
pub(crate) fn seal(
    ik: &ItemKey,
    vault_id: Id,
    env: &EnvInfo,
    item_id: Id,
    version: u64,
    fields: &ItemFields,
    meta: &RotationMeta,
    author: &Id,
) -> Result<Vec<u8>> {
    let m = meta.canonical();
    let sealed = ik
        .seal_item(
            &fields.encode(),
            &ItemContext {
                vault_id,
                env_id: env.id,
                item_id,
                row_version: version,
                meta: &m,
                author: Some(*author),
            },
        )
        .map_err(|_| Error::InvalidInput("item too large".into()))?;
    let mut blob = Vec::with_capacity(crate::ops::BOUND_BLOB_HEADER + sealed.len());
    blob.extend_from_slice(crate::ops::BOUND_BLOB_MAGIC);
    blob.extend_from_slice(&author.0);
    blob.extend_from_slice(&sealed);
    Ok(blob)
}

/// An item's key and, after item re-keys that kept its versions as they
/// were sealed (an unshare, `OpBody::RekeyItemKeeping`) or adoptions of
/// stale writes (`OpBody::AdoptStale`), its earlier keys: every version
/// opens under one of them, each within its bound.
pub(crate) struct ItemKeys {
    /// The key new versions are sealed under.
    pub(crate) current: ItemKey,
    /// The keys it replaced (empty once an environment re-key has
    /// re-sealed every version under one key).
    pub(crate) earlier: Vec<ItemKey>,
    /// The newest version each of `earlier` may open, in the same order.
    /// A version written after the re-key that replaced a key opens under
    /// the current key only, or a writer could seal a new value under the
    /// key the unshared member kept (attack review 6, H5; attack review 7,
    /// F4: a later re-key cannot raise the bound).
    pub(crate) bounds: Vec<u64>,
    /// Who re-keyed the item, when earlier keys they left do not open
    /// (their client sealed them so): a version that then does not open
    /// is their doing, not its writer's.
    pub(crate) broken_by: Option<Id>,
    /// The newest version any earlier key may open (`None`: the item has
    /// no earlier-keys row).
    pub(crate) upto: Option<u64>,
    /// Whether the keys remembered from re-keys (`item_keys_past`) were
    /// added ([`Vault::recover_earlier`]).
    pub(crate) recovered: bool,
    /// Bounds adoptions raise (a key, the version it adopted): applied
    /// last, whatever else bounds the key.
    raises: Vec<(ItemKey, u64)>,
}

impl ItemKeys {
    /// `current` with the earlier keys its rows hold, opened in a chain:
    /// each row is sealed under the current key or under a key another
    /// row gives. Rows that open under none (a teammate's client sealed
    /// them so) are left out: the versions under their keys do not open,
    /// and the item's other versions still do.
    pub(crate) fn open(
        current: ItemKey,
        earlier: Option<&Earlier>,
        vault_id: Id,
        env_id: Id,
        item_id: Id,
    ) -> Self {
        Self::open_with(current, earlier, None, vault_id, env_id, item_id)
    }

    /// [`ItemKeys::open`] for a device that opened every key the item has
    /// had from its own re-keys (`item_keys_past`, each with the version it
    /// was replaced at): those are the earlier keys and bounds, and the
    /// re-keys' rows, which only a writer's client sealed, are not opened
    /// at all. A key they list beyond those is junk: trying it on every
    /// version cost readers what its writer chose (attack review 9, K4).
    /// Adoptions' rows still raise their one key.
    pub(crate) fn open_known(
        current: ItemKey,
        earlier: Option<&Earlier>,
        known: Vec<(ItemKey, u64)>,
        vault_id: Id,
        env_id: Id,
        item_id: Id,
    ) -> Self {
        Self::open_with(current, earlier, Some(known), vault_id, env_id, item_id)
    }

    fn open_with(
        current: ItemKey,
        earlier: Option<&Earlier>,
        known: Option<Vec<(ItemKey, u64)>>,
        vault_id: Id,
        env_id: Id,
        item_id: Id,
    ) -> Self {
        let mut keys = Self {
            current,
            earlier: Vec::new(),
            bounds: Vec::new(),
            broken_by: None,
            upto: None,
            recovered: false,
            raises: Vec::new(),
        };
        let Some(earlier) = earlier else {
            return keys;
        };
        let ctx = coffer_crypto::EarlierKeysContext {
            vault_id,
            env_id,
            item_id,
        };
        let rows: Vec<(&EarlierRow, bool)> = earlier
            .rekeys
            .iter()
            .map(|r| (r, false))
            .chain(earlier.adoptions.iter().map(|r| (r, true)))
            .collect();
        keys.upto = rows.iter().map(|(r, _)| r.upto.max(0) as u64).max();
        let known_all = known.is_some();
        if let Some(known) = known {
            for (k, bound) in known {
                if k != keys.current && !keys.earlier.contains(&k) {
                    keys.earlier.push(k);
                    keys.bounds.push(bound);
                }
            }
            keys.recovered = true;
        }
        // With every key known, only adoptions' rows are read.
        let rows: Vec<(&EarlierRow, bool)> =
            rows.into_iter().filter(|(_, a)| *a || !known_all).collect();
        let mut opened = vec![false; rows.len()];
        // How many keys (the current one, then `earlier` in order) each
        // row was tried with: a later pass tries only keys found since, so
        // a row that opens under nothing costs one opening per key, not
        // one per key per pass (attack review 8, G2).
        let mut tried = vec![0usize; rows.len()];
        // Raised bounds, applied once every row is in: an adoption vouches
        // that its first key opens the version it adopted.
        let mut raised: Vec<(ItemKey, u64)> = Vec::new();
        loop {
            let mut progress = false;
            for (i, (row, adoption)) in rows.iter().enumerate() {
                if opened[i] {
                    continue;
                }
                let from = tried[i];
                tried[i] = 1 + keys.earlier.len();
                let list = std::iter::once(&keys.current)
                    .chain(keys.earlier.iter())
                    .skip(from)
                    .find_map(|k| k.open_earlier_keys(&row.ct, &ctx).ok());
                let Some(list) = list else {
                    continue;
                };
                opened[i] = true;
                progress = true;
                let bound = row.upto.max(0) as u64;
                for (n, k) in list.into_iter().enumerate() {
                    if *adoption {
                        if n == 0 {
                            raised.push((k.duplicate(), bound));
                        }
                        // Every key and bound is known already, but for
                        // the key an adoption adopts, which an environment
                        // re-key may have replaced before this device held
                        // the environment (an owner's or admin's op: it
                        // opens the one version it adopts).
                        if known_all {
                            if n == 0 && k != keys.current && !keys.earlier.contains(&k) {
                                keys.earlier.push(k);
                                keys.bounds.push(bound);
                            }
                            continue;
                        }
                        // An adoption's other keys are the ones its author
                        // read from the rows above: they keep their bounds.
                        if keys.earlier.contains(&k) || k == keys.current {
                            continue;
                        }
                    }
                    if k == keys.current {
                        continue;
                    }
                    match keys.earlier.iter().position(|e| *e == k) {
                        // The lowest bound: the re-key that first replaced
                        // the key says how far it opens.
                        Some(p) => keys.bounds[p] = keys.bounds[p].min(bound),
                        None => {
                            keys.earlier.push(k);
                            keys.bounds.push(bound);
                        }
                    }
                }
            }
            if !progress {
                break;
            }
        }
        // A row that did not open is sealed under a key no opened row
        // gives: a list that left that key out (attack review 8, G1) must
        // not stretch the bound of a key the stranded row may carry with a
        // lower one. Devices that hold the environment key then take every
        // bound the item's own re-keys recorded ([`ItemKeys::take_past`]).
        if let Some(floor) = rows
            .iter()
            .zip(&opened)
            .filter(|(_, o)| !**o && !known_all)
            .map(|((r, _), _)| r.upto.max(0) as u64)
            .min()
        {
            for b in &mut keys.bounds {
                *b = (*b).min(floor);
            }
        }
        keys.raises = raised;
        keys.apply_raises();
        keys.broken_by = rows
            .iter()
            .zip(&opened)
            .filter(|(_, o)| !**o)
            .max_by_key(|((r, _), _)| r.upto)
            .and_then(|((r, _), _)| Id::from_slice(&r.author).ok());
        keys
    }

    fn apply_raises(&mut self) {
        for (k, bound) in &self.raises {
            if let Some(p) = self.earlier.iter().position(|e| e == k) {
                self.bounds[p] = self.bounds[p].max(*bound);
            }
        }
    }

    /// The keys this device remembers the item having, each with the
    /// version it was replaced at (`item_keys_past`, derived from re-keys
    /// this device applied): that version is the key's bound, whatever a
    /// writer's sealed list implies (attack review 8, G1); keys the rows
    /// did not give are added. Adoptions still raise their one key.
    /// With `complete` (it opened every key the item has had), a key only
    /// a writer's list gave is dropped: junk (attack review 9, K4).
    pub(crate) fn take_past(&mut self, past: Vec<(ItemKey, u64)>, complete: bool) {
        if complete {
            let mut i = 0;
            while i < self.earlier.len() {
                if past.iter().any(|(k, _)| *k == self.earlier[i]) {
                    i += 1;
                } else {
                    self.earlier.remove(i);
                    self.bounds.remove(i);
                }
            }
        }
        for (k, bound) in past {
            if k == self.current {
                continue;
            }
            match self.earlier.iter().position(|e| *e == k) {
                Some(p) => self.bounds[p] = bound,
                None => {
                    self.earlier.push(k);
                    self.bounds.push(bound);
                }
            }
        }
        self.apply_raises();
        self.recovered = true;
    }

    /// The keys that may open `version`, the current one first.
    pub(crate) fn for_version(&self, version: u64) -> impl Iterator<Item = &ItemKey> {
        std::iter::once(&self.current).chain(
            self.earlier
                .iter()
                .zip(&self.bounds)
                .filter(move |(_, b)| version <= **b)
                .map(|(k, _)| k),
        )
    }
}

/// The keys an item had that this device opened (each with the version it
/// was replaced at), and whether that is every one (`item_keys_past`).
type PastKeys = (Vec<(ItemKey, u64)>, bool);

/// One row of `item_keys_earlier` or `item_keys_adopted`: keys sealed under
/// a key of the item, who wrote them, and the newest version they open.
pub(crate) struct EarlierRow {
    /// The sealed keys.
    pub(crate) ct: Vec<u8>,
    /// Who re-keyed (or adopted).
    pub(crate) author: Vec<u8>,
    /// The item's version when the row was written.
    pub(crate) upto: i64,
}

/// An item's earlier-keys rows: those its re-keys left, and its adoptions'.
#[derive(Default)]
pub(crate) struct Earlier {
    /// `item_keys_earlier`.
    pub(crate) rekeys: Vec<EarlierRow>,
    /// `item_keys_adopted`.
    pub(crate) adoptions: Vec<EarlierRow>,
}

impl Earlier {
    /// Who wrote the newest row (an item whose key opens under nothing
    /// names them).
    pub(crate) fn newest_author(&self) -> Option<Id> {
        self.rekeys
            .iter()
            .chain(&self.adoptions)
            .max_by_key(|r| r.upto)
            .and_then(|r| Id::from_slice(&r.author).ok())
    }
}

/// The earlier-keys rows of `item_id`, if it has any.
pub(crate) fn earlier_keys_ct(
    conn: &rusqlite::Connection,
    item_id: &Id,
) -> Result<Option<Earlier>> {
    let mut e = Earlier::default();
    for (table, into) in [
        ("item_keys_earlier", &mut e.rekeys),
        ("item_keys_adopted", &mut e.adoptions),
    ] {
        let mut st = conn.prepare_cached(&format!(
            "SELECT ct, author_id, upto FROM {table} WHERE item_id = ?1 ORDER BY upto, ct"
        ))?;
        let rows = st.query_map([&item_id.0[..]], |r| {
            Ok(EarlierRow {
                ct: r.get(0)?,
                author: r.get(1)?,
                upto: r.get(2)?,
            })
        })?;
        for r in rows {
            into.push(r?);
        }
    }
    Ok((!e.rekeys.is_empty() || !e.adoptions.is_empty()).then_some(e))
}

/// The earlier-keys rows of every item of an environment that has any.
pub(crate) fn earlier_keys_of_env(
    conn: &rusqlite::Connection,
    env_id: &Id,
) -> Result<HashMap<Vec<u8>, Earlier>> {
    let mut out: HashMap<Vec<u8>, Earlier> = HashMap::new();
    for (table, adoption) in [("item_keys_earlier", false), ("item_keys_adopted", true)] {
        let mut st = conn.prepare_cached(&format!(
            "SELECT k.item_id, k.ct, k.author_id, k.upto FROM {table} k JOIN items i ON i.id = k.item_id
             WHERE i.env_id = ?1 ORDER BY k.item_id, k.upto, k.ct"
        ))?;
        let rows = st.query_map([&env_id.0[..]], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                EarlierRow {
                    ct: r.get(1)?,
                    author: r.get(2)?,
                    upto: r.get(3)?,
                },
            ))
        })?;
        for r in rows {
            let (id, row) = r?;
            let e = out.entry(id).or_default();
            if adoption {
                e.adoptions.push(row);
            } else {
                e.rekeys.push(row);
            }
        }
    }
    Ok(out)
}

/// Opens one version's blob under its full context (vault, environment,
/// item, version, rotation fields) and decodes what the user typed, trying
/// the item's current key, then its earlier ones. Any mismatch is an
/// integrity error naming the version and environment.
#[allow(clippy::too_many_arguments)] // the blob's whole context, field by field
pub(crate) fn open_version(
    keys: &ItemKeys,
    vault_id: Id,
    env: &EnvInfo,
    item_id: Id,
    version: u64,
    blob: &[u8],
    meta: &RotationMeta,
    author: &[u8],
) -> Result<ItemFields> {
    open_version_under(
        keys.for_version(version),
        vault_id,
        env,
        item_id,
        version,
        blob,
        meta,
        author,
    )
}

/// [`open_version`] under exactly the keys given (the current key alone
/// tells a version sealed under a replaced key, a stale one, apart).
///
/// `author` is the version's recorded writer (the signer of the op that
/// produced it). A blob bound to a writer (kind 31) opens only when that
/// writer is the recorded one and the AAD, naming them, holds: a copy of
/// someone's value in another writer's entry opens for nobody (attack
/// review 7, F6). A blob of the older kinds opens as it always did.
#[allow(clippy::too_many_arguments)] // the blob's whole context, field by field
pub(crate) fn open_version_under<'k>(
    keys: impl IntoIterator<Item = &'k ItemKey>,
    vault_id: Id,
    env: &EnvInfo,
    item_id: Id,
    version: u64,
    blob: &[u8],
    meta: &RotationMeta,
    author: &[u8],
) -> Result<ItemFields> {
    let m = meta.canonical();
    let fail = || {
        Error::integrity(format!(
            "version {version} of an item in {} does not decrypt",
            env.path()
        ))
    };
    let (sealed, bound) = crate::ops::unframe_blob(blob);
    if bound.is_some_and(|w| w.0[..] != *author) {
        return Err(fail());
    }
    let ctx = ItemContext {
        vault_id,
        env_id: env.id,
        item_id,
        row_version: version,
        meta: &m,
        author: bound,
    };
    let pt = keys
        .into_iter()
        .find_map(|ik| ik.open_item(sealed, &ctx).ok())
        .ok_or_else(fail)?;
    ItemFields::decode(pt.expose_secret())
}

/// The rotation fields of a version, from four consecutive columns of a
/// row (`rotate_every_days, rotated_at, expires_at, exposed_at`) from `i`.
pub(crate) fn meta_at(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<RotationMeta> {
    Ok(RotationMeta {
        rotate_every_days: r.get::<_, Option<i64>>(i)?.map(|v| v as u32),
        rotated_at: r.get(i + 1)?,
        expires_at: r.get(i + 2)?,
        exposed_at: r.get(i + 3)?,
    })
}

/// One stored version: (version, blob, rotation fields, recorded writer).
pub(crate) type StoredVersion = (u64, Vec<u8>, RotationMeta, Vec<u8>);

/// Used by the re-key: reads every version of every item (live or deleted).
/// Each is (version, blob, rotation fields, recorded writer).
pub(crate) fn all_versions(vault: &Vault, item_id: &Id) -> Result<Vec<StoredVersion>> {
    let mut st = vault.conn.prepare_cached(
        "SELECT version, blob, rotate_every_days, rotated_at, expires_at, exposed_at, author_id
         FROM item_versions WHERE item_id = ?1 ORDER BY version",
    )?;
    let rows = st.query_map(params![&item_id.0[..]], |r| {
        Ok((
            r.get::<_, i64>(0)? as u64,
            r.get::<_, Vec<u8>>(1)?,
            meta_at(r, 2)?,
            r.get::<_, Vec<u8>>(6)?,
        ))
    })?;
    rows.collect::<std::result::Result<_, _>>()
        .map_err(Into::into)
}
