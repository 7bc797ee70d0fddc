//! Sync between devices: signed op feeds through a shared folder or a git
//! remote (DESIGN.md §8).
//!
//! Each device keeps a private replica that only it writes. What crosses
//! between devices is each device's feed of signed entries, never tables.
//! A sync reads every other device's new entries from the folder, checks
//! each feed's chain (vault id, device, sequence, previous hash, clock),
//! orders all entries by hybrid logical clock then device id, and applies
//! each one through the same `authorize` and `mutate` as a local edit,
//! against the state derived from the entries before it. Outcomes are
//! computed here, never read from anywhere: an entry its author was not
//! allowed to make is recorded as denied, with the reason.
//!
//! Every replica that has seen the same entries holds the same state: the
//! log is kept in the total order, and an entry that arrives late and sorts
//! before entries already applied makes the device replay the whole log
//! (from its own, already verified, copy of it) in that order.
//!
//! A feed whose author signed two entries for one position (a fork), or an
//! entry its author signed that can never apply (a malformed body, an op
//! id used twice), is quarantined for good: its later entries are not
//! applied, the other feeds go on. What anyone who writes the folder could
//! have done (junk, an entry gone or replaced by one its author did not
//! sign, a signature that does not verify) stops that feed for the sync
//! only: it is read again at the next, and flows once its owner puts it
//! right.

pub mod feed;
pub mod folder;
mod git;
mod rebuild;
pub use rebuild::Rebuilt;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

use coffer_crypto::{Id, PublicKeys, SignPurpose};
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;

use self::feed::Entry;
use self::folder::{Descriptor, Folder};
pub use crate::anchor::Remote;
use crate::anchor::{hex, load_anchor, save_anchor, unhex32, AnchorFile};
use crate::error::{Error, Result};
use crate::identity::UnlockedIdentity;
use crate::ops::{kind, CutScope, OpBody, OpHeader};
use crate::replica::Seal;
use crate::schema::STATE_TABLES;
use crate::time::{hlc_horizon, now_ms};
use crate::vault::{decide, Vault};

/// An entry of another device that this device did not apply, and why.
#[derive(Clone, Debug, Serialize)]
pub struct Rejected {
    /// The feed (device id, short form).
    pub device: String,
    /// Position in that feed.
    pub seq: u64,
    /// Who signed it (name, or short id when unknown).
    pub author: String,
    /// The op's kind (`item.set`…).
    pub kind: String,
    /// Why it was not applied.
    pub reason: String,
}

/// What one sync did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SyncReport {
    /// Entries of other devices taken in (applied or denied).
    pub received: usize,
    /// Of those, applied.
    pub applied: usize,
    /// Of those, denied (the author was not allowed, or the edit conflicts
    /// with one ordered before it), with the reason.
    pub denied: Vec<Rejected>,
    /// Entries of this device written to the folder.
    pub published: usize,
    /// Whether the log was replayed in a new order (an entry arrived that
    /// sorts before entries already applied).
    pub replayed: bool,
    /// Feeds held back until a later sync (their author is not known yet,
    /// or an entry is dated ahead of this device's clock).
    pub held_back: Vec<String>,
    /// Feeds quarantined by this sync, with why.
    pub quarantined: Vec<String>,
    /// Stray files and other things the user should know.
    pub warnings: Vec<String>,
    /// Versions a teammate sealed under keys an offboarding replaced,
    /// re-sealed by this (owner's or admin's) device, marked exposed.
    pub resealed: usize,
    /// Environments re-keyed because their current key had been wrapped
    /// to a member since revoked (two offboardings racing).
    pub rekeyed: usize,
    /// Shares re-signed by this (owner's or admin's) device because their
    /// sender may no longer vouch for them (a lowered grant or demotion
    /// racing an unshare).
    pub resigned: usize,
}

/// One feed as this device sees it.
#[derive(Clone, Debug, Serialize)]
pub struct FeedStatus {
    /// Device id (hex).
    pub device: String,
    /// Whether it is this device's feed.
    pub mine: bool,
    /// Who signed its entries (names).
    pub authors: Vec<String>,
    /// Entries of it applied (or denied) here.
    pub applied: u64,
    /// Entries of it in the sync folder.
    pub in_folder: u64,
    /// Entries of it this device denied.
    pub denied: u64,
    /// Time of its newest entry here (Unix seconds).
    pub last_op_at: Option<i64>,
    /// Why it is quarantined, if it is.
    pub quarantined: Option<String>,
}

/// The state of sync for this vault.
#[derive(Clone, Debug, Serialize)]
pub struct SyncStatus {
    /// Where the feeds are exchanged.
    pub remote: Remote,
    /// The folder read and written (the git clone for a git remote).
    pub folder: PathBuf,
    /// Every feed, this device's first.
    pub feeds: Vec<FeedStatus>,
    /// This device's entries not yet in the folder.
    pub pending: u64,
    /// Last successful sync (Unix seconds).
    pub last_sync: Option<i64>,
}

/// One entry on its way into the log.
struct Incoming {
    entry: Entry,
    hash: [u8; 32],
    /// Its signature was checked already (it comes from this replica's
    /// own sealed log).
    checked: bool,
    /// The Ed25519 key its signature verified under before it was applied
    /// ([`preverify`], on every core); `take_in` relies on it only when
    /// that is its author's key when it is applied.
    verified_with: Option<[u8; 32]>,
    /// Its body was not kept (an entry of a revoked member, denied): it
    /// comes from this replica's log with its stored hash, and is denied
    /// again without its body while its author is still revoked at its
    /// place in the order; otherwise it is read again from the folder.
    pruned: bool,
}

impl Incoming {
    fn key(&self) -> (u64, [u8; 16], u64) {
        let h = &self.entry.header;
        (h.hlc, h.device_id.0, h.device_seq)
    }
}

/// What this device decides about one entry.
enum Verdict {
    Applied,
    Denied(String),
    /// Not now: the feed stops here until a later sync.
    Wait(String),
    /// Not now: an entry whose body this replica did not keep, no longer
    /// denied for its author's revocation in a new order. The feed stops
    /// here, and its entries from here on are read again from the folder
    /// at the next sync.
    Refetch(String),
    /// Never: the feed is quarantined from here. Only for what its
    /// author signed (a malformed body, an op id used twice).
    Invalid(String),
    /// Not this entry, and the feed stops here for this sync: what any
    /// writer of the folder could have put there (a signature that does
    /// not verify, a genesis not pinned). The feed is read again at the
    /// next sync, so the genuine entry flows once its owner puts it back.
    Tampered(String),
}

/// The fixed facts an import checks entries against.
struct Ctx<'a> {
    vault_id: Id,
    genesis: [u8; 32],
    me: &'a UnlockedIdentity,
    now: u64,
    /// Bytes of new entries one sync reads at most (one running total,
    /// shared among the feeds that have new entries; the last entry read
    /// may overshoot it).
    budget: usize,
}

/// How much of the feeds one sync reads into memory by default: entries
/// beyond it wait for the next sync (a join of 100,000 entries is about
/// 100 MB). The feeds with new entries share it equally (one entry at
/// least while any of it is left), those whose next entry fits a fair
/// share first, so a huge or junk feed cannot starve the others.
pub const DEFAULT_READ_BUDGET: usize = 256 << 20;

fn feed_head(conn: &Connection, device: &Id) -> Result<Option<(u64, [u8; 32], u64)>> {
    let r: Option<(i64, Vec<u8>, i64)> = conn
        .query_row(
            "SELECT device_seq, hash, hlc FROM ops WHERE device_id = ?1 ORDER BY device_seq DESC LIMIT 1",
            [&device.0[..]],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    r.map(|(s, h, c)| {
        let h: [u8; 32] = h
            .as_slice()
            .try_into()
            .map_err(|_| Error::integrity("malformed op hash"))?;
        Ok((s as u64, h, c as u64))
    })
    .transpose()
}

fn quarantined(conn: &Connection) -> Result<HashMap<Id, String>> {
    let mut st = conn.prepare("SELECT device_id, reason FROM feed_problems")?;
    let rows = st.query_map([], |r| {
        Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?))
    })?;
    let mut out = HashMap::new();
    for r in rows {
        let (d, reason) = r?;
        if let Ok(id) = Id::from_slice(&d) {
            out.insert(id, reason);
        }
    }
    Ok(out)
}

/// Reads one row of the log back as the entry it was made from.
fn row_entry(r: &rusqlite::Row<'_>, vault_id: Id) -> Result<Entry> {
    let bad = || Error::integrity("a log row is malformed");
    let id16 = |b: Vec<u8>| Id::from_slice(&b).map_err(|_| bad());
    let header = OpHeader {
        op_id: id16(r.get(0)?)?,
        vault_id,
        device_id: id16(r.get(1)?)?,
        device_seq: r.get::<_, i64>(2)? as u64,
        author_id: id16(r.get(3)?)?,
        hlc: r.get::<_, i64>(4)? as u64,
        kind: u8::try_from(r.get::<_, i64>(5)?).map_err(|_| bad())?,
        prev_hash: r
            .get::<_, Vec<u8>>(7)?
            .as_slice()
            .try_into()
            .map_err(|_| bad())?,
    };
    Ok(Entry {
        header,
        body: r.get(6)?,
        sig: r
            .get::<_, Vec<u8>>(8)?
            .as_slice()
            .try_into()
            .map_err(|_| bad())?,
    })
}

const ENTRY_COLUMNS: &str =
    "op_id, device_id, device_seq, author_id, hlc, kind, body, prev_hash, sig";

/// Every entry of `device`'s chain from `from_seq` on, in order.
fn chain_from(conn: &Connection, vault_id: Id, device: &Id, from_seq: u64) -> Result<Vec<Entry>> {
    let mut st = conn.prepare(&format!(
        "SELECT {ENTRY_COLUMNS} FROM ops WHERE device_id = ?1 AND device_seq >= ?2 ORDER BY device_seq"
    ))?;
    let mut rows = st.query(params![&device.0[..], from_seq as i64])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        out.push(row_entry(r, vault_id)?);
    }
    Ok(out)
}

/// Takes the whole log out of the replica, to be replayed: every entry,
/// in log order, and the state and log emptied. `checked`: the entries'
/// signatures were verified when they came in (a sealed replica).
fn take_log(tx: &Connection, vault_id: Id, checked: bool) -> Result<Vec<Incoming>> {
    let mut out = Vec::new();
    {
        let mut st = tx.prepare(&format!(
            "SELECT {ENTRY_COLUMNS}, hash FROM ops ORDER BY seq"
        ))?;
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            let entry = row_entry(r, vault_id)?;
            // An entry whose body was not kept keeps its stored hash.
            let pruned = entry.body.is_empty();
            let hash = if pruned {
                r.get::<_, Vec<u8>>(9)?
                    .as_slice()
                    .try_into()
                    .map_err(|_| Error::integrity("malformed op hash"))?
            } else {
                entry.hash()
            };
            out.push(Incoming {
                entry,
                hash,
                checked,
                verified_with: None,
                pruned,
            });
        }
    }
    for (table, _) in STATE_TABLES.iter().rev() {
        tx.execute(&format!("DELETE FROM {table}"), [])?;
    }
    tx.execute("DELETE FROM ops", [])?;
    Ok(out)
}

/// What reading one feed from the folder found.
#[derive(Default)]
struct FeedRead {
    new: Vec<Incoming>,
    /// Quarantine it for good, for this reason: proof signed by the
    /// feed's author that it forked (two entries for one position).
    problem: Option<String>,
    /// The folder's copy is wrong in a way that unsigned bytes explain
    /// (junk, a file gone or replaced, an entry that is not the next
    /// one): the feed stops here for this sync and is read again at the
    /// next, so it flows once its owner has put it right.
    tampered: Option<String>,
    /// Stop here for now, for this reason.
    held: Option<String>,
    /// Bytes of new entries read.
    bytes: usize,
}

/// Who signed entry `seq` of `device`'s feed in this replica's log.
fn author_at(conn: &Connection, device: &Id, seq: u64) -> Result<Option<Id>> {
    let a: Option<Vec<u8>> = conn
        .query_row(
            "SELECT author_id FROM ops WHERE device_id = ?1 AND device_seq = ?2",
            params![&device.0[..], seq as i64],
            |r| r.get(0),
        )
        .optional()?;
    Ok(a.and_then(|a| Id::from_slice(&a).ok()))
}

/// Whether `e` claims position `seq` of `device`'s feed of this vault and
/// is validly signed by `author` (who signed the entries this device
/// applied from that feed). Beside another entry for that position, it is
/// proof that the author forked the feed; anything less (junk, a copy
/// from elsewhere, another signer) is something anyone who writes the
/// folder can do.
fn signed_by_feed_author(
    conn: &Connection,
    ctx: &Ctx<'_>,
    e: &Entry,
    device: &Id,
    seq: u64,
    author: Option<Id>,
) -> bool {
    let h = &e.header;
    let Some(author) = author else {
        return false;
    };
    if h.vault_id != ctx.vault_id
        || h.device_id != *device
        || h.device_seq != seq
        || h.author_id != author
    {
        return false;
    }
    Vault::member_keys_in(conn, &author).is_ok_and(|k| {
        k.verify(SignPurpose::Op, &h.signed_bytes(&e.body), &e.sig)
            .is_ok()
    })
}

/// Reads `device`'s entries after the ones applied here, checking the
/// chain as it goes. Nothing read is trusted beyond these checks: the
/// signature and the author's right come at apply time.
fn read_feed(
    conn: &Connection,
    ctx: &Ctx<'_>,
    folder: &Folder,
    device: &Id,
    head: Option<(u64, [u8; 32], u64)>,
    share: usize,
    room: usize,
) -> Result<FeedRead> {
    let mut out = FeedRead::default();
    let (mut seq, mut prev, mut last_hlc) = head.unwrap_or((0, [0; 32], 0));
    let mine = *device == ctx.me.device_id;
    let author = if seq > 0 {
        author_at(conn, device, seq)?
    } else {
        None
    };
    if seq > 0 && !mine {
        let found = match folder.read(device, seq) {
            Ok(f) => f,
            Err(e) => {
                out.tampered = Some(format!("entry #{seq} cannot be read: {e}"));
                return Ok(out);
            }
        };
        match found {
            None => {
                out.tampered = Some(format!(
                    "entry #{seq}, already applied here, is gone from the folder (the feed was truncated or rolled back)"
                ));
                return Ok(out);
            }
            Some(b) => match Entry::decode(&b) {
                Ok(e) if e.hash() == prev => {}
                Ok(e) if signed_by_feed_author(conn, ctx, &e, device, seq, author) => {
                    out.problem = Some(format!(
                        "entry #{seq} was replaced by another entry its author signed for that position (the feed was forked)"
                    ));
                    return Ok(out);
                }
                _ => {
                    out.tampered = Some(format!(
                        "entry #{seq} differs from the one applied here (the feed was rewritten)"
                    ));
                    return Ok(out);
                }
            },
        }
    }
    let horizon = hlc_horizon(ctx.now);
    loop {
        let next = seq + 1;
        // Up to its share; the first entry while the sync's budget has
        // any room left (so that every feed can move).
        let may = if out.bytes == 0 {
            room > 0
        } else {
            out.bytes < share
        };
        if !may {
            if folder.next_size(device, next).is_some() {
                out.held = Some(format!(
                    "{} new entries read; the rest waits for the next sync (memory bound)",
                    out.new.len()
                ));
            }
            break;
        }
        let bytes = match folder.read(device, next) {
            Ok(Some(b)) => b,
            Ok(None) => break,
            Err(e) => {
                out.tampered = Some(format!("entry #{next} cannot be read: {e}"));
                break;
            }
        };
        let e = match Entry::decode(&bytes) {
            Ok(e) => e,
            Err(_) => {
                out.tampered = Some(format!("entry #{next} is malformed"));
                break;
            }
        };
        let h = &e.header;
        let problem = if h.vault_id != ctx.vault_id {
            Some("belongs to another vault (replayed)")
        } else if h.device_id != *device {
            Some("belongs to another device's feed")
        } else if h.device_seq != next {
            Some("is out of sequence")
        } else if h.prev_hash != prev {
            Some("does not chain to the entry before it")
        } else if h.hlc <= last_hlc {
            Some("is dated before the entry before it")
        } else {
            None
        };
        if let Some(p) = problem {
            // Signed by the feed's author for this very position, it is
            // their fork: for good. Otherwise anyone could have put it
            // there.
            if signed_by_feed_author(conn, ctx, &e, device, next, author) {
                out.problem = Some(format!("entry #{next} {p}"));
            } else {
                out.tampered = Some(format!("entry #{next} {p}"));
            }
            break;
        }
        if h.hlc > horizon {
            out.held = Some(format!(
                "entry #{next} is dated more than {} minutes ahead of this device's clock; it waits",
                crate::time::MAX_CLOCK_SKEW_MS / 60_000
            ));
            break;
        }
        // Op ids are checked when the entry is applied, after its
        // signature: an unsigned copy of an op id must not make the
        // genuine entry a replay.
        let hash = e.hash();
        out.bytes = out.bytes.saturating_add(bytes.len());
        (seq, prev, last_hlc) = (next, hash, h.hlc);
        out.new.push(Incoming {
            entry: e,
            hash,
            checked: false,
            verified_with: None,
            pruned: false,
        });
    }
    Ok(out)
}

/// Decides and records one entry, in the order of the log. Runs inside
/// the import's transaction; a denied entry leaves the state unchanged.
fn take_in(
    tx: &Connection,
    ctx: &Ctx<'_>,
    inc: &Incoming,
    cut_off: Option<&'static str>,
) -> Result<Verdict> {
    let h = &inc.entry.header;
    if inc.pruned {
        return pruned_verdict(tx, inc, cut_off);
    }
    let body = match OpBody::decode(&inc.entry.body) {
        Ok(b) if b.kind() == h.kind => b,
        _ => {
            // Signed by its author, the malformed body is theirs for good;
            // otherwise anyone could have written it.
            let signed = Vault::member_keys_in(tx, &h.author_id).is_ok_and(|k| {
                k.verify(
                    SignPurpose::Op,
                    &h.signed_bytes(&inc.entry.body),
                    &inc.entry.sig,
                )
                .is_ok()
            });
            return Ok(if signed {
                Verdict::Invalid("its body is malformed".into())
            } else {
                Verdict::Tampered("is malformed".into())
            });
        }
    };
    let signer: PublicKeys = match &body {
        OpBody::Genesis { owner, .. } => {
            if inc.hash != ctx.genesis || owner.id != h.author_id {
                return Ok(Verdict::Tampered(
                    "is a genesis other than the one this device pinned".into(),
                ));
            }
            PublicKeys {
                id: owner.id,
                x25519: owner.x25519,
                ed25519: owner.ed25519,
            }
        }
        _ => {
            let known: Option<i64> = tx
                .query_row(
                    "SELECT 1 FROM members WHERE id = ?1",
                    [&h.author_id.0[..]],
                    |r| r.get(0),
                )
                .optional()?;
            if known.is_none() {
                return Ok(Verdict::Wait(format!(
                    "signed by {}, who is not a member yet as far as this device knows",
                    h.author_id.short()
                )));
            }
            Vault::member_keys_in(tx, &h.author_id)?
        }
    };
    if !inc.checked
        && inc.verified_with != Some(signer.ed25519)
        && signer
            .verify(
                SignPurpose::Op,
                &h.signed_bytes(&inc.entry.body),
                &inc.entry.sig,
            )
            .is_err()
    {
        return Ok(Verdict::Tampered(
            "is not signed by its author (its signature does not verify)".into(),
        ));
    }
    // An op id is one op of its author: checked here, among entries whose
    // signature verified, so an unsigned copy of it cannot make the genuine
    // entry a replay, and per author, so that another member's entry
    // carrying a copy of it is simply another op (it cannot take the id
    // away from its author, whatever its date). Its author signing a
    // second entry with it is proof of a replay.
    if let Some(verdict) = repeated_op_id(tx, ctx, h)? {
        return Ok(verdict);
    }
    if let Some(reason) = cut_off {
        return Ok(Verdict::Denied(reason.into()));
    }
    Ok(match decide(tx, &h.author_id, &body, h.time_ms())? {
        Ok(()) => Verdict::Applied,
        Err(e) => Verdict::Denied(e.to_string()),
    })
}

/// Whether the log already holds an entry of `h`'s author with `h`'s op id:
/// a replay, proven by the author's own signature, which quarantines the
/// feed. Never for this device's own entry: its own feed must not stop
/// (its replica would no longer hold an entry it wrote), and an entry of
/// another device signed with this identity's key that took the op id
/// first means another machine signs as this identity: the sync fails and
/// nothing is written.
fn repeated_op_id(tx: &Connection, ctx: &Ctx<'_>, h: &OpHeader) -> Result<Option<Verdict>> {
    let holder: Option<(Vec<u8>, i64)> = tx
        .prepare_cached(
            "SELECT device_id, device_seq FROM ops WHERE author_id = ?1 AND op_id = ?2",
        )?
        .query_row(params![&h.author_id.0[..], &h.op_id.0[..]], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()?;
    let Some((dev, seq)) = holder else {
        return Ok(None);
    };
    if h.device_id == ctx.me.device_id {
        return Err(Error::integrity(format!(
            "entry #{seq} of device {}, signed with this identity's key, repeats the op id of this device's entry #{}: \
             another machine signs as you. Nothing was written",
            Id::from_slice(&dev).map(|d| d.short()).unwrap_or_default(),
            h.device_seq
        )));
    }
    Ok(Some(Verdict::Invalid(
        "repeats an op already seen (replayed)".into(),
    )))
}

/// An op as the log knows it: (author id, op id). An op id is its author's
/// own (a random value they sign): two authors' equal op ids are two ops,
/// so everything that names an op (the cuts' deny sets) names its author.
type OpKey = ([u8; 16], [u8; 16]);

fn op_key(h: &OpHeader) -> OpKey {
    (h.author_id.0, h.op_id.0)
}

/// Why an entry signed after its author's revocation or demotion, dated
/// before it, is denied.
const CUT_REASON: &str = "signed after its author's revocation or demotion (whoever made it had not seen it, whatever its date)";

/// Why an entry signed after its author's write access to its environment
/// was lowered or removed, dated before it, is denied. Unlike
/// [`CUT_REASON`] the entry keeps its body: its author is still a member,
/// and whether a grant's cut takes it depends on what it says.
const GRANT_CUT_REASON: &str = "signed after its author's access to this environment was lowered or removed (whoever made it had not seen that, whatever its date): make the change again if you still may";

/// The reason a cut of `scope` denies with.
fn cut_reason(scope: CutScope) -> &'static str {
    match scope {
        CutScope::Env(_) => GRANT_CUT_REASON,
        CutScope::Revocation | CutScope::Demotion => CUT_REASON,
    }
}

/// The verdict on an entry whose body this replica did not keep, as
/// `take_in` gives it to the full entry: denied the same way while its
/// author is revoked at its place in the order, or a cut denies it (the
/// checks before the body is needed); otherwise its body is needed again.
fn pruned_verdict(tx: &Connection, inc: &Incoming, cut_off: Option<&str>) -> Result<Verdict> {
    if !inc.checked {
        return Ok(Verdict::Tampered("has no body".into()));
    }
    // Revoked at this place: what `authorize` says. Otherwise a cut that
    // still covers it denies it (every entry without its body is put
    // in `cut_off` provisionally; `uncovered` checks that a cut does).
    if author_revoked(tx, &inc.entry.header.author_id)? {
        return Ok(Verdict::Denied(revoked_reason()));
    }
    if cut_off.is_some() {
        return Ok(Verdict::Denied(CUT_REASON.into()));
    }
    Ok(Verdict::Refetch(
        "its body was not kept here (its author was revoked before it in the order this device had); it is read again from the folder"
            .into(),
    ))
}

/// What `authorize` says of anything a revoked member signs.
fn revoked_reason() -> String {
    Error::PermissionDenied("the author's membership was revoked".into()).to_string()
}

/// Whether `author` is a member whose membership was revoked, in the state
/// derived so far.
pub(crate) fn author_revoked(tx: &Connection, author: &Id) -> Result<bool> {
    let status: Option<String> = tx
        .prepare_cached("SELECT status FROM members WHERE id = ?1")?
        .query_row([&author.0[..]], |r| r.get(0))
        .optional()?;
    Ok(status.is_some_and(|s| s != "active"))
}

/// Records a denied entry. Another device's entry whose author is revoked
/// at this point of the order, or that a revocation's or demotion's cut
/// denies, loses its body: denied whatever it says, it costs every
/// replica only its header, hash and signature (what the chain needs),
/// however large the author made it.
fn insert_denied(tx: &Connection, ctx: &Ctx<'_>, inc: &Incoming, reason: &str) -> Result<()> {
    let h = &inc.entry.header;
    let prune = h.device_id != ctx.me.device_id
        && h.kind != kind::GENESIS
        && (reason == CUT_REASON || author_revoked(tx, &h.author_id)?);
    if !prune || inc.pruned {
        return insert_row(tx, inc, "denied", Some(reason));
    }
    let kept = Incoming {
        entry: Entry {
            header: h.clone(),
            body: Vec::new(),
            sig: inc.entry.sig,
        },
        hash: inc.hash,
        checked: true,
        verified_with: None,
        pruned: true,
    };
    insert_row(tx, &kept, "denied", Some(reason))
}

fn insert_row(tx: &Connection, inc: &Incoming, outcome: &str, reason: Option<&str>) -> Result<()> {
    let h = &inc.entry.header;
    tx.execute(
        "INSERT INTO ops (op_id, device_id, device_seq, author_id, hlc, kind, body, prev_hash, hash, sig, outcome, reason)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            &h.op_id.0[..],
            &h.device_id.0[..],
            h.device_seq as i64,
            &h.author_id.0[..],
            h.hlc as i64,
            h.kind,
            &inc.entry.body,
            &h.prev_hash[..],
            &inc.hash[..],
            &inc.entry.sig[..],
            outcome,
            reason
        ],
    )?;
    Ok(())
}

fn member_name(tx: &Connection, id: &Id) -> String {
    tx.query_row("SELECT name FROM members WHERE id = ?1", [&id.0[..]], |r| {
        r.get::<_, String>(0)
    })
    .unwrap_or_else(|_| id.short())
}

/// Takes in every new entry of the folder's feeds. With `replay`, or when
/// an entry sorts before ones already applied, the log is replayed from
/// scratch in the total order (the entries already here were verified
/// when they came in, and the replica's seal vouches for them).
fn import(
    tx: &Connection,
    ctx: &Ctx<'_>,
    folder: &Folder,
    mut replay: bool,
    joining: bool,
) -> Result<SyncReport> {
    let mut report = SyncReport::default();
    let problems = quarantined(tx)?;
    let (devices, warnings) = folder.devices()?;
    report.warnings.extend(warnings);
    let recorded_own =
        crate::anchor::recorded_head(&ctx.me.home, &ctx.vault_id, &ctx.me.device_id)?;
    let mut new: Vec<Incoming> = Vec::new();
    let mut feeds = Vec::new();
    for device in &devices {
        report.warnings.extend(folder.stray_files(device)?);
        if let Some(reason) = problems.get(device) {
            report.warnings.push(format!(
                "device {}'s feed is quarantined ({reason}); its new entries are not read",
                device.short()
            ));
            continue;
        }
        let head = feed_head(tx, device)?;
        let next = folder.next_size(device, head.map(|h| h.0).unwrap_or(0) + 1);
        feeds.push((device, head, next));
    }
    // The budget is one running total, shared among the feeds that have a
    // next entry: each gets an equal share of what is left, and at least
    // one entry while anything is left. A feed whose next entry is larger
    // than a fair share goes after the others, so huge or junk entries
    // cannot crowd out ordinary ones; a random feed starts, so that every
    // feed gets its turn across syncs.
    let waiting: Vec<u64> = feeds.iter().filter_map(|f| f.2).collect();
    let fair = ctx.budget as u64 / (waiting.len().max(1) as u64);
    if !feeds.is_empty() {
        let start = u64::from_le_bytes(Id::make().0[..8].try_into().unwrap_or([0; 8]));
        let by = (start % feeds.len() as u64) as usize;
        feeds.rotate_left(by);
    }
    feeds.sort_by_key(|f| match f.2 {
        Some(size) if size <= fair => 0,
        Some(_) => 1,
        None => 2,
    });
    let mut used = 0usize;
    let mut left = waiting.len();
    for (device, head, next) in feeds {
        let room = ctx.budget.saturating_sub(used);
        let (share, room) = match next {
            Some(_) => (room / left.max(1), room),
            None => (0, 0),
        };
        left = left.saturating_sub(usize::from(next.is_some()));
        let mut read = read_feed(tx, ctx, folder, device, head, share, room)?;
        used = used.saturating_add(read.bytes);
        if *device == ctx.me.device_id {
            // Entries of this device's own feed beyond what its replica
            // holds. Signed by this identity: taken in only when the device
            // remembers writing them (a replica rebuilt, or joined after the
            // shared-file days); otherwise its COFFER_HOME was copied and
            // another machine wrote them. Anything else is planted: removed.
            let genuine = read
                .new
                .first()
                .is_some_and(|i| signed_by(ctx.me, ctx.vault_id, &i.entry));
            if genuine {
                let last = read.new.last().map(|i| (i.entry.header.device_seq, i.hash));
                let remembered = matches!(
                    (recorded_own, last),
                    (Some((rs, rh)), Some((ls, lh))) if ls <= rs && (ls < rs || rh == lh)
                );
                if !remembered && !joining {
                    return Err(restored_home());
                }
                read.problem = None;
                read.tampered = None;
            } else if !read.new.is_empty() || read.problem.is_some() || read.tampered.is_some() {
                let from = head.map(|h| h.0).unwrap_or(0) + 1;
                let n = folder.remove_from(device, from)?;
                report.warnings.push(format!(
                    "removed {} planted in this device's feed in the sync folder",
                    crate::words::count(n, "file")
                ));
                read = FeedRead::default();
            }
        }
        if let Some(p) = read.problem {
            let at = now_ms() as i64 / 1000;
            tx.execute(
                "INSERT OR REPLACE INTO feed_problems (device_id, at_seq, reason, seen_at) VALUES (?1, ?2, ?3, ?4)",
                params![
                    &device.0[..],
                    (head.map(|h| h.0).unwrap_or(0) + read.new.len() as u64 + 1) as i64,
                    p,
                    at
                ],
            )?;
            report
                .quarantined
                .push(format!("device {}: {p}", device.short()));
        }
        if let Some(p) = read.tampered {
            report.quarantined.push(held_for_now(device, &p));
        }
        if let Some(hb) = read.held {
            report
                .held_back
                .push(format!("device {}: {hb}", device.short()));
        }
        new.extend(read.new);
    }
    new.sort_by_key(|i| i.key());
    preverify(tx, &mut new)?;
    if !replay {
        if let Some(first) = new.first() {
            let last: Option<(i64, Vec<u8>, i64)> = tx
                .query_row(
                    "SELECT hlc, device_id, device_seq FROM ops ORDER BY seq DESC LIMIT 1",
                    [],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
                )
                .optional()?;
            if let Some((hlc, dev, dseq)) = last {
                let dev: [u8; 16] = dev.as_slice().try_into().unwrap_or([0xff; 16]);
                replay = first.key() <= (hlc as u64, dev, dseq as u64);
            }
        }
    }
    let received_ids: HashSet<[u8; 32]> = new.iter().map(|i| i.hash).collect();
    apply_entries(tx, ctx, new, replay, &received_ids, &mut report)?;
    Ok(report)
}

/// Checks the signatures of `new` on every core before they are applied
/// one by one (a join verifies 100,000 of them). An entry is checked
/// against the Ed25519 key its author has in the replica, or, for an
/// author not yet a member, the key a genesis or member-add among `new`
/// gives them (the first one: a second, conflicting one is simply not
/// pre-checked). Nothing is decided here: `take_in` still looks up the
/// author's key when it applies the entry and verifies again unless that
/// is the key recorded here.
fn preverify(tx: &Connection, new: &mut [Incoming]) -> Result<()> {
    if new.len() < 64 {
        return Ok(());
    }
    let mut keys: HashMap<Id, [u8; 32]> = HashMap::new();
    {
        let mut st = tx.prepare("SELECT id, ed25519 FROM members")?;
        let rows = st.query_map([], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        for row in rows {
            let (id, ed) = row?;
            if let (Ok(id), Ok(ed)) = (Id::from_slice(&id), <[u8; 32]>::try_from(ed.as_slice())) {
                keys.insert(id, ed);
            }
        }
    }
    for inc in new.iter() {
        let k = inc.entry.header.kind;
        if k != kind::GENESIS && k != kind::ADD_MEMBER {
            continue;
        }
        match OpBody::decode(&inc.entry.body) {
            Ok(OpBody::Genesis { owner, .. }) => {
                keys.entry(owner.id).or_insert(owner.ed25519);
            }
            Ok(OpBody::AddMember { member, .. }) => {
                keys.entry(member.id).or_insert(member.ed25519);
            }
            _ => {}
        }
    }
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .clamp(1, 8);
    let chunk = new.len().div_ceil(threads);
    let keys = &keys;
    std::thread::scope(|scope| {
        for part in new.chunks_mut(chunk) {
            scope.spawn(move || {
                for inc in part {
                    let h = &inc.entry.header;
                    let Some(ed25519) = keys.get(&h.author_id) else {
                        continue;
                    };
                    let signer = PublicKeys {
                        id: h.author_id,
                        x25519: [0; 32],
                        ed25519: *ed25519,
                    };
                    if signer
                        .verify(
                            SignPurpose::Op,
                            &h.signed_bytes(&inc.entry.body),
                            &inc.entry.sig,
                        )
                        .is_ok()
                    {
                        inc.verified_with = Some(*ed25519);
                    }
                }
            });
        }
    });
    Ok(())
}

/// What applying a run of entries decided, for the report.
#[derive(Default)]
struct Decided {
    received: usize,
    applied: usize,
    denied: Vec<Rejected>,
    held_back: Vec<String>,
    quarantined: Vec<String>,
}

/// Applies `new` after the log (or, with `replay`, the whole log and `new`
/// in the total order, from an empty state). A revocation that carries a
/// cut denies every entry of the revoked member beyond it, wherever its
/// clock put it: when one such entry was applied before the revocation,
/// the whole log is replayed again with it denied, until nothing changes.
fn apply_entries(
    tx: &Connection,
    ctx: &Ctx<'_>,
    new: Vec<Incoming>,
    mut replay: bool,
    received: &HashSet<[u8; 32]>,
    report: &mut SyncReport,
) -> Result<()> {
    // This device's own entries applied so far: one a replay now denies
    // (a teammate's op ordered before it changed what it acted on, e.g.
    // two racing unshares) is reported like a received one, or its author
    // would believe it stood.
    let mine_applied: HashSet<OpKey> = {
        let mut st = tx.prepare(
            "SELECT author_id, op_id FROM ops WHERE device_id = ?1 AND outcome = 'applied'",
        )?;
        let rows = st.query_map([&ctx.me.device_id.0[..]], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        let mut out = HashSet::new();
        for r in rows {
            let (a, o) = r?;
            if let (Ok(a), Ok(o)) = (<[u8; 16]>::try_from(a), <[u8; 16]>::try_from(o)) {
                out.insert((a, o));
            }
        }
        out
    };
    let mut all = if replay {
        let mut old = take_log(tx, ctx.vault_id, true)?;
        old.extend(new);
        old.sort_by_key(|i| i.key());
        old
    } else {
        new
    };
    // Entries kept without their body were denied as their author's
    // revocation or a cut had it: the cut denies them again, as long as
    // one still covers them once the pass is done (checked below).
    let seeded: HashSet<OpKey> = all
        .iter()
        .filter(|i| i.pruned)
        .map(|i| op_key(&i.entry.header))
        .collect();
    let mut deny: HashMap<OpKey, &'static str> = seeded.iter().map(|k| (*k, CUT_REASON)).collect();
    // A pass that a cut finds wrong is undone by hand, not by an outer
    // savepoint: with one open across the whole pass, SQLite's in-memory
    // sub-journal grows with every page the pass touches, and releasing
    // each entry's own savepoint walks it from the start (a replay of
    // 100,000 entries took hours). Undoing is rare; each entry's savepoint
    // (`decide`) stays cheap.
    let decided = loop {
        let before: i64 =
            tx.query_row("SELECT COALESCE(MAX(seq), 0) FROM ops", [], |r| r.get(0))?;
        let mut d = Decided::default();
        let violations = run_entries(tx, ctx, &all, &deny, received, &mine_applied, &mut d)?;
        if violations.is_empty() {
            // An entry without its body that no cut covers any more (the
            // cut was denied in this order) is dropped with the rest of
            // its feed, which is read again from the folder next sync.
            let lost = uncovered(tx, &seeded)?;
            if lost.is_empty() {
                break d;
            }
            all.retain(|i| {
                let h = &i.entry.header;
                !lost
                    .iter()
                    .any(|(dev, seq)| *dev == h.device_id && h.device_seq >= *seq)
            });
        }
        if replay {
            // The pass started from an empty state: empty it again.
            take_log(tx, ctx.vault_id, true)?;
        } else {
            // Drop what the pass logged, then replay the log before it
            // with the new entries, from an empty state.
            tx.execute("DELETE FROM ops WHERE seq > ?1", [before])?;
            let mut old = take_log(tx, ctx.vault_id, true)?;
            old.append(&mut all);
            old.sort_by_key(|i| i.key());
            all = old;
            replay = true;
        }
        for (k, reason) in violations {
            // A revocation's or demotion's reason (the body is dropped)
            // stands over a grant's.
            let r = deny.entry(k).or_insert(reason);
            if reason == CUT_REASON {
                *r = CUT_REASON;
            }
        }
    };
    report.replayed |= replay;
    report.received += decided.received;
    report.applied += decided.applied;
    report.denied.extend(decided.denied);
    report.held_back.extend(decided.held_back);
    report.quarantined.extend(decided.quarantined);
    Ok(())
}

/// An applied cut: its place in the log, the member, their feeds as cut.
type AppliedCut = (i64, Id, Vec<(Id, u64)>);

/// Of `seeded` (entries kept without their body), those the pass denied
/// by a cut that no applied cut ordered after them covers: the first of
/// each feed, as (device, position).
fn uncovered(tx: &Connection, seeded: &HashSet<OpKey>) -> Result<Vec<(Id, u64)>> {
    if seeded.is_empty() {
        return Ok(Vec::new());
    }
    let mut cuts: Vec<AppliedCut> = Vec::new();
    {
        let mut st = tx.prepare(
            "SELECT seq, body FROM ops NOT INDEXED WHERE outcome = 'applied' AND kind IN (?1, ?2)",
        )?;
        let mut rows = st.query(params![kind::REVOKE_CUT, kind::SET_ROLE_CUT])?;
        while let Some(r) = rows.next()? {
            let body: Vec<u8> = r.get(1)?;
            if let Some((member, cut, _)) = OpBody::decode(&body).ok().and_then(OpBody::into_cut) {
                cuts.push((r.get(0)?, member, cut));
            }
        }
    }
    let mut out: Vec<(Id, u64)> = Vec::new();
    let mut st = tx.prepare(
        "SELECT seq, op_id, author_id, device_id, device_seq FROM ops WHERE reason = ?1 ORDER BY seq",
    )?;
    let mut rows = st.query([CUT_REASON])?;
    while let Some(r) = rows.next()? {
        let seq: i64 = r.get(0)?;
        let (Ok(op), Ok(author), Ok(dev)) = (
            Id::from_slice(&r.get::<_, Vec<u8>>(1)?),
            Id::from_slice(&r.get::<_, Vec<u8>>(2)?),
            Id::from_slice(&r.get::<_, Vec<u8>>(3)?),
        ) else {
            continue;
        };
        if !seeded.contains(&(author.0, op.0)) {
            continue;
        }
        let dseq = r.get::<_, i64>(4)? as u64;
        let covered = cuts.iter().any(|(at, member, cut)| {
            *at > seq && *member == author && !cut.iter().any(|(d, s)| *d == dev && dseq <= *s)
        });
        if !covered && !out.iter().any(|(d, s)| *d == dev && *s <= dseq) {
            out.retain(|(d, _)| *d != dev);
            out.push((dev, dseq));
        }
    }
    Ok(out)
}

/// Entries of `member` in the log so far that a revocation, demotion or
/// lowered grant with `cut` denies: applied, or denied for another reason
/// (so that every replica gives them the cut's reason, whatever order it
/// saw them in). After a demotion, only what gives access or power;
/// after a lowered grant, what needs write access in its environment
/// ([`crate::ops::beyond_a_cut`]).
fn cut_violations(
    tx: &Connection,
    member: &Id,
    cut: &[(Id, u64)],
    scope: CutScope,
) -> Result<Vec<OpKey>> {
    // A revocation's or demotion's reason stands over a grant's: what
    // either denies is denied for the wider cut.
    let own = cut_reason(scope);
    let mut st = tx.prepare_cached(
        "SELECT op_id, device_id, device_seq, body FROM ops WHERE author_id = ?1
           AND (outcome = 'applied' OR (reason IS NOT ?2 AND reason IS NOT ?3))",
    )?;
    let mut rows = st.query(params![&member.0[..], CUT_REASON, own])?;
    let mut out = Vec::new();
    while let Some(r) = rows.next()? {
        let op: Vec<u8> = r.get(0)?;
        let dev: Vec<u8> = r.get(1)?;
        let seq = r.get::<_, i64>(2)? as u64;
        let seen = cut
            .iter()
            .find(|(d, _)| d.0[..] == dev[..])
            .is_some_and(|(_, s)| seq <= *s);
        if !seen && crate::ops::beyond_a_cut(scope, &r.get::<_, Vec<u8>>(3)?) {
            if let Ok(op) = <[u8; 16]>::try_from(op.as_slice()) {
                out.push((member.0, op));
            }
        }
    }
    Ok(out)
}

/// One pass over `entries`; returns the entries a revocation's cut says
/// were applied wrongly (empty: the pass stands).
fn run_entries(
    tx: &Connection,
    ctx: &Ctx<'_>,
    entries: &[Incoming],
    deny: &HashMap<OpKey, &'static str>,
    received: &HashSet<[u8; 32]>,
    mine_applied: &HashSet<OpKey>,
    d: &mut Decided,
) -> Result<Vec<(OpKey, &'static str)>> {
    let mut stopped: HashSet<Id> = HashSet::new();
    for inc in entries {
        let h = &inc.entry.header;
        let dev = h.device_id;
        if stopped.contains(&dev) {
            continue;
        }
        let fresh = received.contains(&inc.hash) && dev != ctx.me.device_id;
        let verdict = take_in(tx, ctx, inc, deny.get(&op_key(h)).copied())?;
        match verdict {
            Verdict::Applied => {
                insert_row(tx, inc, "applied", None)?;
                if fresh {
                    d.received += 1;
                    d.applied += 1;
                }
                if matches!(
                    h.kind,
                    kind::REVOKE_CUT | kind::SET_ROLE_CUT | kind::GRANT_CUT | kind::UNGRANT_CUT
                ) {
                    if let Some((member_id, cut, scope)) = OpBody::decode(&inc.entry.body)
                        .ok()
                        .and_then(OpBody::into_cut)
                    {
                        let v = cut_violations(tx, &member_id, &cut, scope)?;
                        if !v.is_empty() {
                            let reason = cut_reason(scope);
                            return Ok(v.into_iter().map(|k| (k, reason)).collect());
                        }
                    }
                }
            }
            Verdict::Denied(reason) => {
                insert_denied(tx, ctx, inc, &reason)?;
                let undone = dev == ctx.me.device_id && mine_applied.contains(&op_key(h));
                if fresh || undone {
                    if fresh {
                        d.received += 1;
                    }
                    let reason = if undone {
                        format!("your own change, applied here before, is now denied (a teammate's change ordered before it): {reason}")
                    } else {
                        reason
                    };
                    d.denied.push(Rejected {
                        device: dev.short(),
                        seq: h.device_seq,
                        author: member_name(tx, &h.author_id),
                        kind: kind::name(h.kind).to_string(),
                        reason,
                    });
                }
            }
            Verdict::Wait(reason) | Verdict::Refetch(reason) => {
                stopped.insert(dev);
                d.held_back.push(format!(
                    "device {} from entry #{}: {reason}",
                    dev.short(),
                    h.device_seq
                ));
            }
            Verdict::Tampered(reason) => {
                stopped.insert(dev);
                d.quarantined.push(held_for_now(
                    &dev,
                    &format!("entry #{} {reason}", h.device_seq),
                ));
            }
            Verdict::Invalid(reason) => {
                stopped.insert(dev);
                let at = now_ms() as i64 / 1000;
                tx.execute(
                    "INSERT OR REPLACE INTO feed_problems (device_id, at_seq, reason, seen_at) VALUES (?1, ?2, ?3, ?4)",
                    params![&dev.0[..], h.device_seq as i64, format!("entry #{}: {reason}", h.device_seq), at],
                )?;
                d.quarantined.push(format!(
                    "device {}: entry #{} {reason}",
                    dev.short(),
                    h.device_seq
                ));
            }
        }
    }
    Ok(Vec::new())
}

/// How a feed stopped for this sync by bytes anyone could have written
/// is reported (with the quarantined feeds: someone tampered with it).
fn held_for_now(device: &Id, problem: &str) -> String {
    format!(
        "device {}: {problem}; not signed by its author, so it stops the feed for this sync only (read again at the next, once its owner puts it right)",
        device.short()
    )
}

fn restored_home() -> Error {
    Error::integrity(
        "the sync folder holds entries of this device's feed that this device does not remember writing: \
         its data (COFFER_HOME) was restored from a backup or copied to another machine. \
         Nothing was written. Continue as a new device: move this COFFER_HOME aside, create a new identity \
         (`coffer identity new`), have an admin add it and `coffer join`",
    )
}

/// Whether `e` is signed by this identity, for this device, in this vault.
fn signed_by(me: &UnlockedIdentity, vault_id: Id, e: &Entry) -> bool {
    e.header.device_id == me.device_id
        && e.header.author_id == me.id()
        && e.header.vault_id == vault_id
        && me
            .public()
            .verify(SignPurpose::Op, &e.header.signed_bytes(&e.body), &e.sig)
            .is_ok()
}

/// Whether `theirs`, found in the folder where this device's own entry
/// `seq` belongs and different from it, shows that another machine writes
/// as this device: signed by this identity, for this device, for this very
/// position. A copy of one of its own entries moved there (it names
/// another position) is tampering like any other: the genuine entry is
/// put back.
fn another_machine(me: &UnlockedIdentity, vault_id: Id, theirs: &Entry, seq: u64) -> bool {
    theirs.header.device_seq == seq && signed_by(me, vault_id, theirs)
}

/// Publishes this device's whole feed: every entry of its log is compared
/// with the folder's file. A missing one is written; one that differs and
/// is not this device's entry for that position (tampering, a planted
/// file, a copy of another of its entries) is put back; one that differs
/// and is signed by this identity for this device and this position means
/// another machine writes as this device: nothing is written. Returns
/// (entries written, entries put back).
fn publish_own(conn: &Connection, ctx: &Ctx<'_>, folder: &Folder) -> Result<(usize, usize)> {
    let me = ctx.me.device_id;
    let chain = chain_from(conn, ctx.vault_id, &me, 1)?;
    let mut missing = Vec::new();
    let mut altered = Vec::new();
    for e in &chain {
        let seq = e.header.device_seq;
        let mine = e.encode();
        match folder.read(&me, seq) {
            Ok(Some(b)) if b == mine => {}
            Ok(None) => missing.push((seq, mine)),
            Ok(Some(b)) => match Entry::decode(&b) {
                Ok(theirs) if another_machine(ctx.me, ctx.vault_id, &theirs, seq) => {
                    return Err(restored_home())
                }
                _ => altered.push((seq, mine)),
            },
            Err(_) => altered.push((seq, mine)),
        }
    }
    for (seq, b) in &altered {
        folder.repair(&me, *seq, b)?;
    }
    for (seq, b) in &missing {
        folder.publish(&me, *seq, b)?;
    }
    Ok((missing.len(), altered.len()))
}

/// Publishes `device`'s chain to the folder: the entries after the last
/// one already there. Returns how many were written.
fn publish_chain(conn: &Connection, vault_id: Id, folder: &Folder, device: &Id) -> Result<usize> {
    let Some((head, _, _)) = feed_head(conn, device)? else {
        return Ok(0);
    };
    let mut from = head;
    while from > 0 && folder.read(device, from)?.is_none() {
        from -= 1;
    }
    let chain = chain_from(conn, vault_id, device, from + 1)?;
    for e in &chain {
        folder.publish(device, e.header.device_seq, &e.encode())?;
    }
    Ok(chain.len())
}

fn descriptor_for(v: &Vault, genesis: &[u8; 32], owner_fingerprint: &str) -> Descriptor {
    Descriptor {
        format: 1,
        vault_id: v.vault_id.to_hex(),
        name: v.name.clone(),
        genesis_hash: hex(genesis),
        owner_fingerprint: owner_fingerprint.to_string(),
    }
}

/// The folder a remote is worked through, made ready for a sync: a plain
/// folder as it is; a git remote through its clone in `COFFER_HOME`,
/// brought up to date first.
fn prepare(home: &Path, vault_id: &Id, remote: &Remote) -> Result<Folder> {
    match remote {
        Remote::Folder(p) => Ok(Folder::new(p)),
        Remote::Git(url) => {
            let dir = git::clone_dir(home, &vault_id.to_hex());
            git::prepare(&dir, url)?;
            Ok(Folder::new(&dir))
        }
    }
}

impl Vault {
    fn sync_anchor(&self) -> Result<(AnchorFile, Remote)> {
        let a = load_anchor(&self.me.home, &self.vault_id)?
            .ok_or_else(|| Error::integrity("this device has no trust anchor for the vault"))?;
        match (&a.remote, a.private_replica && self.seal.is_some()) {
            (Some(r), true) => Ok((a.clone(), r.clone())),
            _ => Err(Error::NotFound(
                "a sync set-up for this vault: run `coffer sync init --folder PATH` or `--git REMOTE` first".into(),
            )),
        }
    }

    fn genesis_hash(&self) -> Result<[u8; 32]> {
        Ok(crate::anchor::check_genesis(&self.conn, self.vault_id)?.hash)
    }

    /// Runs `import` in one transaction, seals the result, and brings the
    /// in-memory caches back in line.
    fn import_sealed(&mut self, folder: &Folder, replay: bool) -> Result<SyncReport> {
        let genesis = self.genesis_hash()?;
        let saved = self.seal.as_ref().map(|s| s.snapshot());
        let tx = crate::vault::begin_checked!(self);
        let ctx = Ctx {
            vault_id: self.vault_id,
            genesis,
            me: &self.me,
            now: now_ms(),
            budget: self.read_budget,
        };
        let report = import(&tx, &ctx, folder, replay, false)?;
        let seal = self
            .seal
            .as_mut()
            .ok_or_else(|| Error::integrity("this replica is not sealed"))?;
        let sealed = seal
            .refresh(&tx, &self.vault_id, &self.me.device_id)
            .and_then(|()| tx.commit().map_err(Error::from));
        if let Err(e) = sealed {
            if let Some(s) = saved {
                seal.restore(s);
            }
            return Err(e);
        }
        self.after_import()?;
        Ok(report)
    }

    fn after_import(&mut self) -> Result<()> {
        self.env_keys.clear();
        if let Some(seal) = &self.seal {
            crate::anchor::record_generation(
                &self.me.home,
                &self.vault_id,
                &self.me.device_id,
                seal.generation(),
            );
        }
        let g = crate::anchor::check_genesis(&self.conn, self.vault_id)?;
        self.pinned = Self::load_pinned(&self.conn, self.vault_id, &g.hash)?;
        if let Some((seq, hash, _)) = feed_head(&self.conn, &self.me.device_id)? {
            crate::anchor::record_head(
                &self.me.home,
                &self.vault_id,
                &self.me.device_id,
                seq,
                &hash,
            );
        }
        if !matches!(self.member_status(&self.me.id())?, Some((_, s)) if s == "active") {
            return Err(Error::PermissionDenied(
                "your membership of this vault was revoked".into(),
            ));
        }
        Ok(())
    }

    /// Moves this vault to sync: checks its whole log, replays it into a
    /// private replica sealed by this device, and publishes every feed of
    /// the log and the vault's descriptor to `remote`. A vault file that
    /// several identities wrote directly (the shared-file way) becomes this
    /// device's private replica; the others `join`.
    pub fn sync_init(&mut self, remote: Remote) -> Result<SyncReport> {
        if let Some(a) = load_anchor(&self.me.home, &self.vault_id)? {
            if let Some(r) = &a.remote {
                if self.seal.is_some() {
                    return Err(Error::AlreadyExists(format!(
                        "a sync set-up for this vault ({}); run `coffer sync`",
                        describe(r)
                    )));
                }
            }
        }
        let check = self.verify()?;
        if !check.ok() {
            return Err(Error::integrity(format!(
                "the vault's log does not verify, so it cannot be published: {}",
                check.verdict()
            )));
        }
        let genesis = self.genesis_hash()?;
        let owner_fp = crate::anchor::check_genesis(&self.conn, self.vault_id)?
            .owner
            .fingerprint;
        let remote = match remote {
            Remote::Folder(p) => Remote::Folder(absolute(&p)?),
            Remote::Git(u) => Remote::Git(u),
        };
        let folder = prepare(&self.me.home, &self.vault_id, &remote)?;
        folder.ensure_descriptor(&descriptor_for(self, &genesis, &owner_fp))?;
        // Replay the whole log, every signature checked again, into the
        // total order, and seal it.
        {
            // Checked inside the write lock like every sealed write: the
            // replay must not run a trigger (or take in a row) another
            // program committed since this handle's last check (attack
            // review 19, F1).
            let tx = crate::vault::begin_checked!(self);
            let mut all = take_log(&tx, self.vault_id, false)?;
            tx.execute("DELETE FROM replica", [])?;
            all.sort_by_key(|i| i.key());
            let ctx = Ctx {
                vault_id: self.vault_id,
                genesis,
                me: &self.me,
                now: now_ms(),
                budget: self.read_budget,
            };
            let mut rep = SyncReport::default();
            apply_entries(&tx, &ctx, all, false, &HashSet::new(), &mut rep)?;
            if let Some(q) = rep.quarantined.first().or(rep.held_back.first()) {
                return Err(Error::integrity(format!("the log does not replay: {q}")));
            }
            let seal = Seal::create(
                &tx,
                self.me.private.derive_replica_mac_key(&self.me.device_id),
                &self.vault_id,
                &self.me.device_id,
                next_generation(&self.me.home, &self.vault_id, &self.me.device_id)?,
            )?;
            tx.commit()?;
            self.seal = Some(seal);
        }
        self.after_import()?;
        let mut a = crate::anchor::check_anchor(
            &self.me.home,
            &self.vault_id,
            &crate::anchor::check_genesis(&self.conn, self.vault_id)?,
        )?;
        a.private_replica = true;
        a.remote = Some(remote.clone());
        a.replica = Some(absolute(&self.path)?);
        save_anchor(&self.me.home, &self.vault_id, &a)?;
        // Every chain of the log goes out: in the shared-file days other
        // devices wrote here, and their entries must reach the others.
        let mut published = 0;
        let devices: Vec<Vec<u8>> = {
            let mut st = self.conn.prepare("SELECT DISTINCT device_id FROM ops")?;
            let rows = st.query_map([], |r| r.get(0))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        for d in devices {
            let d = Id::from_slice(&d).map_err(|_| Error::integrity("bad device id"))?;
            published += publish_chain(&self.conn, self.vault_id, &folder, &d)?;
        }
        let mut report = self.sync()?;
        report.published += published;
        Ok(report)
    }

    /// Fetches, verifies and applies other devices' new entries, then
    /// publishes this device's (and pushes, for git). With `rebuild`, the
    /// log is replayed from scratch and quarantined feeds are read again.
    pub fn sync_with(&mut self, rebuild: bool) -> Result<SyncReport> {
        // A handle whose file stopped checking out (`catch_up`) writes
        // nothing, a sync's entries included.
        if let Some(why) = &self.refused {
            return Err(Error::integrity(why.clone()));
        }
        let (mut anchor, remote) = self.sync_anchor()?;
        if rebuild {
            self.conn.execute("DELETE FROM feed_problems", [])?;
        }
        let mut attempts = 0;
        let report = loop {
            attempts += 1;
            let folder = prepare(&self.me.home, &self.vault_id, &remote)?;
            let revoked_before = self.revoked_count()?;
            let mut report = self.import_sealed(&folder, rebuild)?;
            // Versions a teammate sealed under keys an offboarding replaced
            // go out re-sealed in this same sync.
            report.resealed = self.reseal_stale();
            // A revocation taken in whose own re-key lost the race to
            // another: the key it meant to replace goes now.
            if rebuild || self.revoked_count()? > revoked_before {
                report.rekeyed = self.rekey_leaked_epochs();
            }
            report.resigned = self.resign_orphaned_shares();
            let ctx = Ctx {
                vault_id: self.vault_id,
                genesis: self.genesis_hash()?,
                me: &self.me,
                now: now_ms(),
                budget: self.read_budget,
            };
            let (published, repaired) = publish_own(&self.conn, &ctx, &folder)?;
            report.published = published;
            if repaired > 0 {
                report.warnings.push(format!(
                    "{repaired} of this device's entries had been altered or replaced in the sync folder; they were put back"
                ));
            }
            match &remote {
                Remote::Folder(_) => break report,
                Remote::Git(_) => match git::push(folder.root(), &self.me.device_id.short()) {
                    Ok(()) => break report,
                    Err(git::PushError::Rejected) if attempts < 5 => continue,
                    Err(git::PushError::Rejected) => {
                        return Err(Error::Refused(
                            "the git remote kept moving while this device pushed; try `coffer sync` again".into(),
                        ))
                    }
                    Err(git::PushError::Other(e)) => return Err(e),
                },
            }
        };
        anchor.last_sync = Some(now_ms() as i64 / 1000);
        // The file that opened (sealed by this device) is the replica: a
        // moved one is followed.
        anchor.replica = Some(absolute(&self.path)?);
        save_anchor(&self.me.home, &self.vault_id, &anchor)?;
        Ok(report)
    }

    /// Sets how many bytes of new feed entries one sync reads into memory
    /// at most (default [`DEFAULT_READ_BUDGET`]); the rest waits for the
    /// next sync.
    pub fn set_sync_read_budget(&mut self, bytes: usize) {
        self.read_budget = bytes.max(1);
    }

    /// [`Vault::sync_with`] without a rebuild.
    pub fn sync(&mut self) -> Result<SyncReport> {
        self.sync_with(false)
    }

    /// Per feed: entries applied, in the folder, denied, quarantine; this
    /// device's pending entries; the last sync. Reads the folder as it is
    /// (no fetch).
    pub fn sync_status(&self) -> Result<SyncStatus> {
        let (anchor, remote) = self.sync_anchor()?;
        let folder = match &remote {
            Remote::Folder(p) => Folder::new(p),
            Remote::Git(_) => Folder::new(&git::clone_dir(&self.me.home, &self.vault_id.to_hex())),
        };
        let problems = quarantined(&self.conn)?;
        let (mut devices, _) = folder.devices().unwrap_or_default();
        {
            let mut st = self.conn.prepare("SELECT DISTINCT device_id FROM ops")?;
            let rows = st.query_map([], |r| r.get::<_, Vec<u8>>(0))?;
            for r in rows {
                if let Ok(id) = Id::from_slice(&r?) {
                    if !devices.contains(&id) {
                        devices.push(id);
                    }
                }
            }
        }
        devices.sort_by_key(|d| (*d != self.me.device_id, d.0));
        let mut feeds = Vec::new();
        let mut pending = 0;
        for d in devices {
            let (applied, denied, last): (i64, i64, Option<i64>) = self.conn.query_row(
                "SELECT COUNT(*), COALESCE(SUM(outcome = 'denied'), 0), MAX(hlc) FROM ops WHERE device_id = ?1",
                [&d.0[..]],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            let mut authors: Vec<String> = {
                let mut st = self.conn.prepare(
                    "SELECT DISTINCT COALESCE(m.name, '?') FROM ops o LEFT JOIN members m ON m.id = o.author_id WHERE o.device_id = ?1",
                )?;
                let rows = st.query_map([&d.0[..]], |r| r.get(0))?;
                rows.collect::<rusqlite::Result<_>>()?
            };
            authors.sort();
            let in_folder = count_entries(&folder, &d);
            let mine = d == self.me.device_id;
            if mine {
                pending = (applied as u64).saturating_sub(in_folder);
            }
            feeds.push(FeedStatus {
                device: d.to_hex(),
                mine,
                authors,
                applied: applied as u64,
                in_folder,
                denied: denied as u64,
                last_op_at: last.map(|h| ((h as u64 >> 16) / 1000) as i64),
                quarantined: problems.get(&d).cloned(),
            });
        }
        Ok(SyncStatus {
            remote,
            folder: folder.root().to_path_buf(),
            feeds,
            pending,
            last_sync: anchor.last_sync,
        })
    }

    /// Reads a sync folder's descriptor (for `join` to show before
    /// anything is pinned). For git, the remote is cloned first.
    pub fn peek_remote(home: &Path, remote: &Remote) -> Result<Descriptor> {
        match remote {
            Remote::Folder(p) => Folder::new(p).descriptor(),
            Remote::Git(url) => {
                // A fresh clone each time: a staging clone left by the
                // preview of another remote (one the user declined) would
                // otherwise count as this device's unpushed work, be
                // rebased onto the remote joined and pushed there in the
                // user's name, or stop every later join (attack review 13).
                let dir = git::staging_dir(home);
                git::check_url(url)?;
                if std::fs::symlink_metadata(&dir).is_ok() {
                    std::fs::remove_dir_all(&dir)
                        .map_err(|e| Error::io(format!("removing {}", dir.display()), e))?;
                }
                git::prepare(&dir, url)?;
                Folder::new(&dir).descriptor()
            }
        }
    }

    /// Joins a vault through its sync folder: `confirm` sees the
    /// descriptor first (the CLI asks the user to compare the owner's
    /// fingerprint). Builds a private replica at `path` from the feeds,
    /// verifying every entry back to the genesis the descriptor names, and
    /// pins that genesis. `me` must be an active member by then (an admin
    /// ran `member add` and synced); otherwise nothing is left behind.
    pub fn join(
        path: &Path,
        me: UnlockedIdentity,
        remote: Remote,
        confirm: &dyn Fn(&Descriptor) -> Result<()>,
    ) -> Result<(Vault, SyncReport)> {
        Self::join_keeping(path, me, remote, confirm).map_err(|f| f.error)
    }

    /// [`Vault::join`] that hands the unlocked identity back when the join
    /// fails (the app stays signed in and the user can try again).
    pub fn join_keeping(
        path: &Path,
        me: UnlockedIdentity,
        remote: Remote,
        confirm: &dyn Fn(&Descriptor) -> Result<()>,
    ) -> std::result::Result<(Vault, SyncReport), crate::vault::OpenFailure> {
        if path.exists() {
            return Err(crate::vault::OpenFailure {
                error: Error::AlreadyExists(format!(
                    "a file at {} (choose another path with --vault, or move it aside)",
                    path.display()
                )),
                identity: Box::new(me),
            });
        }
        let (vault_id, genesis, d, remote) = match Self::join_checks(&me, remote, confirm) {
            Ok(x) => x,
            Err(error) => {
                return Err(crate::vault::OpenFailure {
                    error,
                    identity: Box::new(me),
                })
            }
        };
        let folder = match prepare(&me.home, &vault_id, &remote) {
            Ok(f) => f,
            Err(error) => {
                return Err(crate::vault::OpenFailure {
                    error,
                    identity: Box::new(me),
                })
            }
        };
        let mut v = Self::fresh_replica(path, me, vault_id, &d.name)?;
        let built = v.build_joined(&folder, vault_id, genesis, &remote);
        match built {
            Ok(report) => Ok((v, report)),
            Err(error) => {
                let p = v.path.clone();
                let Vault { conn, me, .. } = v;
                drop(conn);
                crate::vault::remove_vault_files(&p);
                Err(crate::vault::OpenFailure {
                    error,
                    identity: Box::new(me),
                })
            }
        }
    }

    /// What `join` checks before anything is written: the descriptor, the
    /// genesis owner, an earlier pin, and the user's confirmation.
    fn join_checks(
        me: &UnlockedIdentity,
        remote: Remote,
        confirm: &dyn Fn(&Descriptor) -> Result<()>,
    ) -> Result<(Id, [u8; 32], Descriptor, Remote)> {
        let remote = match remote {
            Remote::Folder(p) => Remote::Folder(absolute(&p)?),
            Remote::Git(u) => Remote::Git(u),
        };
        let (vault_id, genesis, d) = Self::checked_descriptor(&me.home, &remote)?;
        confirm(&d)?;
        if let Remote::Git(_) = &remote {
            let staged = git::staging_dir(&me.home);
            let dir = git::clone_dir(&me.home, &vault_id.to_hex());
            if dir.exists() {
                std::fs::remove_dir_all(&dir)
                    .map_err(|e| Error::io(format!("removing {}", dir.display()), e))?;
            }
            std::fs::rename(&staged, &dir)
                .map_err(|e| Error::io(format!("moving the clone to {}", dir.display()), e))?;
        }
        Ok((vault_id, genesis, d, remote))
    }

    /// What a join would confirm, checked as `join` checks it: the
    /// descriptor's vault id and genesis, the owner named (and signed) by
    /// the genesis entry itself, and any genesis this device pinned before.
    /// Nothing is written (a git remote is fetched into a staging clone).
    pub fn preview_join(home: &Path, remote: &Remote) -> Result<Descriptor> {
        let remote = match remote {
            Remote::Folder(p) => Remote::Folder(absolute(p)?),
            Remote::Git(u) => Remote::Git(u.clone()),
        };
        Ok(Self::checked_descriptor(home, &remote)?.2)
    }

    fn checked_descriptor(home: &Path, remote: &Remote) -> Result<(Id, [u8; 32], Descriptor)> {
        let mut d = Self::peek_remote(home, remote)?;
        let vault_id = Id::from_hex(&d.vault_id).map_err(|_| {
            Error::integrity("the sync folder's descriptor names no valid vault id")
        })?;
        let genesis = unhex32(&d.genesis_hash).ok_or_else(|| {
            Error::integrity("the sync folder's descriptor names no valid genesis")
        })?;
        // The owner the user confirms is the one the genesis entry itself
        // names and is signed by, not what the (unsigned) descriptor says.
        let staged = match remote {
            Remote::Folder(p) => Folder::new(p),
            Remote::Git(_) => Folder::new(&git::staging_dir(home)),
        };
        let owner_fp = genesis_owner(&staged, vault_id, &genesis)?;
        if owner_fp != d.owner_fingerprint {
            return Err(Error::integrity(
                "the sync folder's descriptor names another owner than its genesis entry: it was tampered with",
            ));
        }
        d.owner_fingerprint = owner_fp;
        if let Some(a) = load_anchor(home, &vault_id)? {
            if a.genesis_hash() != Some(genesis) {
                return Err(Error::integrity(
                    "this device pinned another genesis for this vault id: the sync folder is not the vault you know",
                ));
            }
        }
        Ok((vault_id, genesis, d))
    }

    /// Builds a joined replica from the feeds, seals and pins it.
    fn build_joined(
        &mut self,
        folder: &Folder,
        vault_id: Id,
        genesis: [u8; 32],
        remote: &Remote,
    ) -> Result<SyncReport> {
        let v = self;
        {
            let tx = crate::vault::begin_checked!(v);
            let ctx = Ctx {
                vault_id,
                genesis,
                me: &v.me,
                now: now_ms(),
                budget: v.read_budget,
            };
            let report = import(&tx, &ctx, folder, true, true)?;
            let n: i64 = tx.query_row("SELECT COUNT(*) FROM vault", [], |r| r.get(0))?;
            if n != 1 {
                return Err(Error::integrity(format!(
                    "the sync folder holds no genesis matching its descriptor{}",
                    report
                        .quarantined
                        .first()
                        .map(|q| format!(" ({q})"))
                        .unwrap_or_default()
                )));
            }
            let status: Option<String> = tx
                .query_row(
                    "SELECT status FROM members WHERE id = ?1",
                    [&v.me.id().0[..]],
                    |r| r.get(0),
                )
                .optional()?;
            match status.as_deref() {
                Some("active") => {}
                Some(_) => {
                    return Err(Error::PermissionDenied(
                        "your membership of this vault was revoked".into(),
                    ))
                }
                None => {
                    return Err(Error::PermissionDenied(
                        "you are not a member of this vault yet: send your public identity (`coffer identity show`) to an admin, \
                         who runs `coffer member add` and `coffer sync`; then join again"
                            .into(),
                    ))
                }
            }
            let name: String = tx.query_row("SELECT name FROM vault", [], |r| r.get(0))?;
            let seal = Seal::create(
                &tx,
                v.me.private.derive_replica_mac_key(&v.me.device_id),
                &vault_id,
                &v.me.device_id,
                next_generation(&v.me.home, &vault_id, &v.me.device_id)?,
            )?;
            tx.commit()?;
            v.seal = Some(seal);
            v.name = name;
            let g = crate::anchor::check_genesis(&v.conn, vault_id)?;
            if g.hash != genesis {
                return Err(Error::integrity(
                    "the replica's genesis is not the one confirmed",
                ));
            }
            let mut a = crate::anchor::anchor_for_join(
                &vault_id,
                &genesis,
                &g.owner.fingerprint,
                remote.clone(),
            );
            a.last_sync = Some(now_ms() as i64 / 1000);
            a.replica = Some(absolute(&v.path)?);
            save_anchor(&v.me.home, &vault_id, &a)?;
            v.after_import()?;
            Ok(report)
        }
    }

    /// A new, empty replica file at `path` (0600), not yet holding a log.
    fn fresh_replica(
        path: &Path,
        me: UnlockedIdentity,
        vault_id: Id,
        name: &str,
    ) -> std::result::Result<Vault, crate::vault::OpenFailure> {
        let fail = |error, me| crate::vault::OpenFailure {
            error,
            identity: Box::new(me),
        };
        if path.exists() {
            return Err(fail(
                Error::AlreadyExists(format!(
                    "a file at {} (choose another path with --vault, or move it aside)",
                    path.display()
                )),
                me,
            ));
        }
        if let Err(e) = crate::vault::create_private_file(path) {
            return Err(fail(e, me));
        }
        let conn = match crate::vault::open_conn(path) {
            Ok(c) => c,
            Err(e) => {
                crate::vault::remove_vault_files(path);
                return Err(fail(e, me));
            }
        };
        // A new file, this connection's own. The version is read first and
        // the schema checked after it (as `open_keeping` does): a trigger
        // raced in after `open_conn`'s check moves `data_version` past it,
        // and the replay's `begin_checked!` refuses the file (attack review
        // 19).
        let checked_version = match crate::vault::data_version(&conn)
            .and_then(|dv| crate::schema::check_objects(&conn).map(|()| dv))
        {
            Ok(v) => v,
            Err(e) => {
                crate::vault::remove_vault_files(path);
                return Err(fail(e, me));
            }
        };
        Ok(Vault {
            conn: crate::vault::VaultConn::new(conn),
            path: path.to_path_buf(),
            vault_id,
            name: name.to_string(),
            me,
            env_keys: HashMap::new(),
            keyless: HashMap::new(),
            pending_names: None,
            pinned: HashMap::new(),
            seal: None,
            read_budget: DEFAULT_READ_BUDGET,
            // Built by this connection: the first `catch_up` after it
            // reports one change and reads the seal again, which is harmless.
            data_version: 0,
            checked_version,
            refused: None,
            overrides: Default::default(),
            crypto_threads: None,
        })
    }
}

/// The generation a new seal starts at: above any this device recorded
/// for the vault (a replica rebuilt or joined again replaces one it sealed).
fn next_generation(home: &Path, vault_id: &Id, device: &Id) -> Result<u64> {
    Ok(crate::anchor::recorded_generation(home, vault_id, device)?.saturating_add(1))
}

/// How many entries a feed holds in the folder, assuming they run from
/// 1 without a gap (what `sync` checks): a galloping then binary search,
/// O(log n) files read, so that `sync status` (and the app, after each
/// sync) stays cheap on a long feed.
fn count_entries(folder: &Folder, device: &Id) -> u64 {
    let has = |n: u64| n == 0 || folder.read(device, n).ok().flatten().is_some();
    let mut hi = 1u64;
    while has(hi) {
        hi = hi.saturating_mul(2);
        if hi == u64::MAX {
            break;
        }
    }
    let mut lo = hi / 2;
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if has(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    lo
}

pub(crate) fn absolute(p: &Path) -> Result<PathBuf> {
    std::path::absolute(p).map_err(|e| Error::io(format!("resolving {}", p.display()), e))
}

/// Finds the genesis entry `genesis` among the first entries of the
/// folder's feeds and checks it (a genesis of `vault_id`, signed by the
/// owner it names); returns that owner's fingerprint, computed from their
/// keys.
fn genesis_owner(folder: &Folder, vault_id: Id, genesis: &[u8; 32]) -> Result<String> {
    let (devices, _) = folder.devices()?;
    for d in devices {
        let Ok(Some(b)) = folder.read(&d, 1) else {
            continue;
        };
        let Ok(e) = Entry::decode(&b) else { continue };
        if e.hash() != *genesis || e.header.vault_id != vault_id || e.header.device_id != d {
            continue;
        }
        if let Ok(OpBody::Genesis {
            vault_id: v, owner, ..
        }) = OpBody::decode(&e.body)
        {
            let keys = PublicKeys {
                id: owner.id,
                x25519: owner.x25519,
                ed25519: owner.ed25519,
            };
            let signed = keys
                .verify(SignPurpose::Op, &e.header.signed_bytes(&e.body), &e.sig)
                .is_ok();
            if v == vault_id
                && owner.id == e.header.author_id
                && signed
                && e.header.kind == kind::GENESIS
            {
                return Ok(keys.fingerprint());
            }
        }
    }
    Err(Error::integrity(
        "the sync folder holds no genesis entry matching its descriptor",
    ))
}

/// Checks a git remote before git sees it: not empty, not read as an
/// option (`--upload-pack=…`), no control characters.
pub fn check_git_remote(url: &str) -> Result<()> {
    git::check_url(url)
}

/// The host a git remote reaches over the network, `None` for a
/// repository on this machine (an absolute or relative path, `file://`).
/// Git's own rule: `scheme://host/…`, or scp-like `[user@]host:path` when a
/// colon comes before the first slash.
pub fn git_remote_host(url: &str) -> Option<String> {
    let url = url.trim();
    if let Some((scheme, rest)) = url.split_once("://") {
        if scheme.eq_ignore_ascii_case("file") {
            return None;
        }
        let authority = rest.split('/').next().unwrap_or_default();
        let host = authority.rsplit('@').next().unwrap_or_default();
        return Some(host.to_string());
    }
    let colon = url.find(':')?;
    if url[..colon].contains('/') {
        return None;
    }
    let host = url[..colon].rsplit('@').next().unwrap_or_default();
    Some(host.to_string())
}

/// A remote as the user would write it.
pub fn describe(r: &Remote) -> String {
    match r {
        Remote::Folder(p) => format!("folder {}", p.display()),
        Remote::Git(u) => format!("git {u}"),
    }
}
