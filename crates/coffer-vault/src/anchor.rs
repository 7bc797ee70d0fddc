//! What a device remembers about a vault outside the vault file, in
//! `COFFER_HOME`: the trust anchor it pinned (vault id, genesis hash, owner
//! fingerprint) and the newest entry it wrote itself (its head). Both are
//! the device's own: nothing in the vault file, nor anyone who can write
//! it, can move them.
//!
//! - The **anchor** is pinned when the device creates the vault (and, until
//!   `join` pins it explicitly, when it first opens one). From then on a
//!   file whose log holds another genesis, a second genesis, or a genesis
//!   anywhere but at the start of its device's chain is refused: whoever
//!   could write the file could otherwise sign a genesis of their own and
//!   make themselves owner.
//! - The **head** only moves forwards. A file whose copy of this device's
//!   chain is behind it (a whole-file rollback, a truncated log) or
//!   disagrees with it (a fork) is refused at open.

use std::path::{Path, PathBuf};

use coffer_crypto::{Id, PublicKeys, SignPurpose};
use rusqlite::{params, Connection, OptionalExtension};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ops::{kind, MemberRecord, OpBody, OpHeader};
use crate::paths::{ensure_private_dir, write_atomic};

/// The genesis of a vault as its log holds it, checked.
#[derive(Debug)]
pub(crate) struct Genesis {
    /// Hash of the genesis entry.
    pub hash: [u8; 32],
    /// The first owner.
    pub owner: MemberRecord,
}

/// Where a vault's feeds are exchanged (kept on the device, never read
/// from the replica, so a replica edited outside Coffer can still be
/// rebuilt from them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", content = "location", rename_all = "lowercase")]
pub enum Remote {
    /// A plain folder (network share, Syncthing, Dropbox).
    Folder(PathBuf),
    /// A git remote (URL or path), worked through a clone kept in
    /// `COFFER_HOME/sync/`.
    Git(String),
}

#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct AnchorFile {
    vault_id: String,
    genesis_hash: String,
    owner_fingerprint: String,
    /// Set once the device keeps a private replica of this vault (after
    /// `sync init` or `join`): from then on the replica must carry this
    /// device's seal, and a replica without one is refused.
    #[serde(default)]
    pub private_replica: bool,
    /// Where the feeds are, once sync is set up.
    #[serde(default)]
    pub remote: Option<Remote>,
    /// The last successful sync (Unix seconds).
    #[serde(default)]
    pub last_sync: Option<i64>,
    /// Where this device keeps its replica (absolute), recorded at `sync
    /// init`, `join` and each sync: `sync --rebuild` of a file that names
    /// this vault but is not its replica is refused (a file naming another
    /// vault's id must not rebuild, and lock out, that vault).
    #[serde(default)]
    pub replica: Option<PathBuf>,
}

impl AnchorFile {
    /// The pinned genesis hash.
    pub fn genesis_hash(&self) -> Option<[u8; 32]> {
        unhex32(&self.genesis_hash)
    }
}

/// The anchor this device pinned for `vault_id`, if any.
pub(crate) fn load_anchor(home: &Path, vault_id: &Id) -> Result<Option<AnchorFile>> {
    let p = anchor_path(home, vault_id);
    match std::fs::read(&p) {
        Ok(raw) => serde_json::from_slice(&raw).map(Some).map_err(|_| {
            Error::integrity(format!("the trust anchor {} is malformed", p.display()))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(Error::io(format!("reading {}", p.display()), e)),
    }
}

/// Writes the anchor (atomic, 0600).
pub(crate) fn save_anchor(home: &Path, vault_id: &Id, a: &AnchorFile) -> Result<()> {
    let json = serde_json::to_vec_pretty(a)
        .map_err(|e| Error::Database(format!("encoding the trust anchor: {e}")))?;
    ensure_private_dir(&home.join("anchors"))?;
    write_atomic(&anchor_path(home, vault_id), &json)
}

pub(crate) fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

pub(crate) fn unhex32(s: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    if s.len() != 64 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2)?, 16).ok()?;
    }
    Some(out)
}

fn anchor_path(home: &Path, vault_id: &Id) -> PathBuf {
    home.join("anchors")
        .join(format!("{}.json", vault_id.to_hex()))
}

/// The genesis entries of the log (at most two: one is all there may be),
/// found through the `ops_kind` index (schema 11), not by reading the log.
pub(crate) const GENESIS_QUERY: &str =
    "SELECT op_id, device_id, device_seq, author_id, hlc, body, prev_hash, hash, sig
     FROM ops WHERE kind = ?1 LIMIT 2";

/// Checks the one genesis of the log at `conn`: exactly one entry of kind
/// genesis, first in its device's chain (sequence 1, zero previous hash),
/// for `vault_id`, authored and signed by the owner it names, its stored
/// hash recomputing.
pub(crate) fn check_genesis(conn: &Connection, vault_id: Id) -> Result<Genesis> {
    let mut st = conn.prepare(GENESIS_QUERY)?;
    type Raw = (
        Vec<u8>,
        Vec<u8>,
        i64,
        Vec<u8>,
        i64,
        Vec<u8>,
        Vec<u8>,
        Vec<u8>,
        Vec<u8>,
    );
    let rows: Vec<Raw> = st
        .query_map([kind::GENESIS], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                r.get(7)?,
                r.get(8)?,
            ))
        })?
        .collect::<std::result::Result<_, _>>()?;
    let bad = |why: &str| Error::integrity(format!("the vault's genesis does not verify: {why}"));
    let (op_id, dev, dseq, author, hlc, body, prev, hash, sig) = match rows.len() {
        0 => return Err(bad("there is none")),
        1 => rows.into_iter().next().ok_or_else(|| bad("there is none"))?,
        _ => {
            return Err(Error::integrity(
                "the op log holds a second genesis: someone who could write the vault file tried to found it again; it is refused",
            ))
        }
    };
    let header = OpHeader {
        op_id: Id::from_slice(&op_id).map_err(|_| bad("malformed id"))?,
        vault_id,
        device_id: Id::from_slice(&dev).map_err(|_| bad("malformed device id"))?,
        device_seq: u64::try_from(dseq).map_err(|_| bad("malformed sequence"))?,
        author_id: Id::from_slice(&author).map_err(|_| bad("malformed author"))?,
        hlc: u64::try_from(hlc).map_err(|_| bad("malformed clock"))?,
        kind: kind::GENESIS,
        prev_hash: prev
            .as_slice()
            .try_into()
            .map_err(|_| bad("malformed previous hash"))?,
    };
    if header.device_seq != 1 || header.prev_hash != [0u8; 32] {
        return Err(bad("it is not the first entry of its device"));
    }
    let computed = header.hash(&body);
    if computed[..] != hash[..] {
        return Err(bad("its contents were modified"));
    }
    let owner = match OpBody::decode(&body)? {
        OpBody::Genesis {
            vault_id: v, owner, ..
        } if v == vault_id && owner.id == header.author_id => owner,
        _ => return Err(bad("it names another vault or author")),
    };
    let keys = PublicKeys {
        id: owner.id,
        x25519: owner.x25519,
        ed25519: owner.ed25519,
    };
    if keys.fingerprint() != owner.fingerprint {
        return Err(bad("the owner's fingerprint does not match their keys"));
    }
    keys.verify(SignPurpose::Op, &header.signed_bytes(&body), &sig)
        .map_err(|_| bad("its signature does not verify"))?;
    Ok(Genesis {
        hash: computed,
        owner,
    })
}

/// Compares the checked genesis with the anchor this device pinned for
/// `vault_id`, pinning it if there is none yet. Returns the anchor.
pub(crate) fn check_anchor(home: &Path, vault_id: &Id, g: &Genesis) -> Result<AnchorFile> {
    match load_anchor(home, vault_id)? {
        Some(a) => {
            if a.vault_id != vault_id.to_hex() || a.genesis_hash() != Some(g.hash) {
                return Err(Error::integrity(format!(
                    "this vault's genesis is not the one this device pinned for vault {} (owner {}): the file was replaced or re-founded; it is refused",
                    vault_id.short(),
                    a.owner_fingerprint
                )));
            }
            Ok(a)
        }
        None => pin_anchor(home, vault_id, g),
    }
}

/// Pins (vault id, genesis hash, owner fingerprint) for this device.
pub(crate) fn pin_anchor(home: &Path, vault_id: &Id, g: &Genesis) -> Result<AnchorFile> {
    let a = AnchorFile {
        vault_id: vault_id.to_hex(),
        genesis_hash: hex(&g.hash),
        owner_fingerprint: g.owner.fingerprint.clone(),
        private_replica: false,
        remote: None,
        last_sync: None,
        replica: None,
    };
    save_anchor(home, vault_id, &a)?;
    Ok(a)
}

/// An anchor from a sync folder's descriptor, confirmed by the user
/// (`join`), before any replica exists.
pub(crate) fn anchor_for_join(
    vault_id: &Id,
    genesis_hash: &[u8; 32],
    owner_fingerprint: &str,
    remote: Remote,
) -> AnchorFile {
    AnchorFile {
        vault_id: vault_id.to_hex(),
        genesis_hash: hex(genesis_hash),
        owner_fingerprint: owner_fingerprint.to_string(),
        private_replica: true,
        remote: Some(remote),
        last_sync: None,
        replica: None,
    }
}

// ----- records that only move forwards: two checksummed slots --------------
//
// The head and the seal generation change at every commit, read events
// included, so how they are written is on every command's path. A record
// file holds two fixed-size slots; each slot carries the record's order
// (the head's sequence number, the seal's generation), a 32-byte payload
// and a checksum over both. A write goes in place into the slot that does
// *not* hold the newest record, followed by one `fdatasync` (the file's
// size and directory entry do not change); a reader takes the newest slot
// whose checksum holds. A crash or power loss in the middle of a write can
// only tear the slot being written, and the other slot still holds the
// record as it was before: the record never moves backwards, and a write
// that returned is durable. The whole-file rewrite (temporary file, fsync,
// rename, fsync of the folder) happens once, when the file is created or
// converted from the earlier one-record formats (JSON head, decimal
// generation), which are still read. docs/design-decisions.md, "Read
// events: one fsync for the log".

const SLOT_MAGIC: &[u8; 8] = b"cofslot1";
const SLOT_LEN: usize = 64;
/// The second slot starts a page further on, so no sector or page write
/// ever touches both (the file is 4,160 bytes).
const SLOT_STRIDE: usize = 4096;
const SLOTS_LEN: usize = SLOT_STRIDE + SLOT_LEN;

/// One record: its order (only moves forwards) and payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SlotRecord {
    pub order: u64,
    pub payload: [u8; 32],
}

fn slot_sum(order: u64, payload: &[u8; 32]) -> [u8; 32] {
    coffer_crypto::sha256(&[SLOT_MAGIC, &order.to_le_bytes(), payload])
}

fn encode_slot(r: &SlotRecord) -> [u8; SLOT_LEN] {
    let mut b = [0u8; SLOT_LEN];
    b[..8].copy_from_slice(SLOT_MAGIC);
    b[8..16].copy_from_slice(&r.order.to_le_bytes());
    b[16..48].copy_from_slice(&r.payload);
    b[48..].copy_from_slice(&slot_sum(r.order, &r.payload)[..16]);
    b
}

/// A slot, if its checksum holds (a torn or empty slot does not).
fn decode_slot(b: &[u8]) -> Option<SlotRecord> {
    if b.len() != SLOT_LEN || &b[..8] != SLOT_MAGIC {
        return None;
    }
    let order = u64::from_le_bytes(b[8..16].try_into().ok()?);
    let payload: [u8; 32] = b[16..48].try_into().ok()?;
    (b[48..] == slot_sum(order, &payload)[..16]).then_some(SlotRecord { order, payload })
}

/// What a record file holds.
enum Slots {
    /// The two-slot format: each slot, if it checks.
    Two([Option<SlotRecord>; 2]),
    /// An earlier one-record format, converted at the next write.
    Legacy(SlotRecord),
}

impl Slots {
    fn newest(&self) -> Option<SlotRecord> {
        match self {
            Slots::Two([a, b]) => match (a, b) {
                (Some(a), Some(b)) => Some(if b.order > a.order { *b } else { *a }),
                (a, b) => a.or(*b),
            },
            Slots::Legacy(r) => Some(*r),
        }
    }
}

/// Reads a record file; `legacy` parses the one-record format it replaced.
fn read_slots(
    p: &Path,
    legacy: fn(&[u8]) -> Option<SlotRecord>,
    what: &str,
) -> Result<Option<Slots>> {
    let raw = match std::fs::read(p) {
        Ok(r) => r,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(format!("reading {}", p.display()), e)),
    };
    let malformed = || Error::integrity(format!("{what} {} is malformed", p.display()));
    if raw.len() == SLOTS_LEN {
        let slots = Slots::Two([
            decode_slot(&raw[..SLOT_LEN]),
            decode_slot(&raw[SLOT_STRIDE..]),
        ]);
        // Only the slot being written can be torn; both unreadable is not a
        // crash but an edit.
        return slots.newest().map(|_| Some(slots)).ok_or_else(malformed);
    }
    legacy(&raw)
        .map(|r| Some(Slots::Legacy(r)))
        .ok_or_else(malformed)
}

/// The newest record in the file at `p`.
fn read_record(
    p: &Path,
    legacy: fn(&[u8]) -> Option<SlotRecord>,
    what: &str,
) -> Result<Option<SlotRecord>> {
    Ok(read_slots(p, legacy, what)?.and_then(|s| s.newest()))
}

/// Writes `rec` into the file at `p` unless it already holds a record at
/// least as new (records only move forwards): in place into the slot not
/// holding the newest record, then `fdatasync`; a new or legacy file is
/// written whole and atomically.
fn write_record(
    home: &Path,
    p: &Path,
    rec: SlotRecord,
    legacy: fn(&[u8]) -> Option<SlotRecord>,
    what: &str,
) -> Result<()> {
    let current = read_slots(p, legacy, what)?;
    if let Some(n) = current.as_ref().and_then(|s| s.newest()) {
        if n.order >= rec.order {
            if n.order > rec.order {
                tracing::warn!(
                    known = n.order,
                    order = rec.order,
                    "{what} not moved backwards"
                );
            }
            return Ok(());
        }
    }
    match current {
        Some(Slots::Two([a, b])) => {
            // The slot that does not hold the newest record: a torn write
            // there leaves the newest one readable.
            let index = match (a, b) {
                (None, _) => 0,
                (_, None) => 1,
                (Some(a), Some(b)) => usize::from(b.order < a.order),
            };
            let ctx = || format!("writing {}", p.display());
            let mut f = std::fs::OpenOptions::new()
                .write(true)
                .open(p)
                .map_err(|e| Error::io(ctx(), e))?;
            use std::io::{Seek, SeekFrom, Write};
            f.seek(SeekFrom::Start((index * SLOT_STRIDE) as u64))
                .and_then(|_| f.write_all(&encode_slot(&rec)))
                .and_then(|()| f.sync_data())
                .map_err(|e| Error::io(ctx(), e))
        }
        other => {
            // New, or the earlier format: both slots written whole, the
            // older one keeping what the file held.
            let older = other.and_then(|s| s.newest()).unwrap_or(rec);
            let mut buf = vec![0u8; SLOTS_LEN];
            buf[..SLOT_LEN].copy_from_slice(&encode_slot(&rec));
            buf[SLOT_STRIDE..].copy_from_slice(&encode_slot(&older));
            ensure_private_dir(&home.join("heads"))?;
            write_atomic(p, &buf)
        }
    }
}

// ----- this device's head ---------------------------------------------------

/// The head's earlier format, `{"device_seq": N, "hash": "<hex>"}`.
#[derive(Serialize, Deserialize)]
struct HeadFile {
    device_seq: u64,
    hash: String,
}

fn legacy_head(raw: &[u8]) -> Option<SlotRecord> {
    let h: HeadFile = serde_json::from_slice(raw).ok()?;
    Some(SlotRecord {
        order: h.device_seq,
        payload: unhex32(&h.hash)?,
    })
}

fn head_path(home: &Path, vault_id: &Id, device: &Id) -> PathBuf {
    home.join("heads")
        .join(format!("{}-{}.json", vault_id.to_hex(), device.to_hex()))
}

const HEAD: &str = "the recorded op-log head";

/// The newest entry this device recorded writing to `vault_id`.
pub(crate) fn recorded_head(
    home: &Path,
    vault_id: &Id,
    device: &Id,
) -> Result<Option<(u64, [u8; 32])>> {
    Ok(
        read_record(&head_path(home, vault_id, device), legacy_head, HEAD)?
            .map(|r| (r.order, r.payload)),
    )
}

/// Records this device's newest entry. It only moves forwards: an older
/// head never replaces a newer one, so a write made on a rolled-back file
/// cannot erase the evidence of the rollback. Best effort: a failure to
/// write it only weakens rollback detection, it must not fail the change.
pub(crate) fn record_head(home: &Path, vault_id: &Id, device: &Id, seq: u64, hash: &[u8; 32]) {
    let rec = SlotRecord {
        order: seq,
        payload: *hash,
    };
    if let Err(e) = write_record(
        home,
        &head_path(home, vault_id, device),
        rec,
        legacy_head,
        HEAD,
    ) {
        tracing::warn!(error = %e, "could not record the op-log head");
    }
}

fn seal_path(home: &Path, vault_id: &Id, device: &Id) -> PathBuf {
    home.join("heads")
        .join(format!("{}-{}.seal", vault_id.to_hex(), device.to_hex()))
}

const SEAL: &str = "the replica record";

/// The seal generation's earlier format: the number in decimal.
fn legacy_generation(raw: &[u8]) -> Option<SlotRecord> {
    Some(SlotRecord {
        order: std::str::from_utf8(raw).ok()?.trim().parse().ok()?,
        payload: [0; 32],
    })
}

/// The newest seal generation this device wrote for its replica.
pub(crate) fn recorded_generation(home: &Path, vault_id: &Id, device: &Id) -> Result<u64> {
    Ok(
        read_record(&seal_path(home, vault_id, device), legacy_generation, SEAL)?
            .map_or(0, |r| r.order),
    )
}

/// Records the replica's seal generation after a commit (never
/// backwards). Best effort, like [`record_head`].
pub(crate) fn record_generation(home: &Path, vault_id: &Id, device: &Id, generation: u64) {
    let rec = SlotRecord {
        order: generation,
        payload: [0; 32],
    };
    if let Err(e) = write_record(
        home,
        &seal_path(home, vault_id, device),
        rec,
        legacy_generation,
        SEAL,
    ) {
        tracing::warn!(error = %e, "could not record the replica's seal");
    }
}

/// Refuses a replica older than the newest one this device sealed (a copy
/// restored over it): its seal is genuine, but stale.
pub(crate) fn check_generation(
    home: &Path,
    vault_id: &Id,
    device: &Id,
    generation: u64,
) -> Result<()> {
    let known = recorded_generation(home, vault_id, device)?;
    if generation < known {
        return Err(Error::integrity(format!(
            "this replica is an older copy (seal {generation}) of the one this device last wrote (seal {known}): \
             it was rolled back; the file is refused. Restore the newest copy, or rebuild it from the sync folder"
        )));
    }
    if generation > known {
        // A commit whose record did not land (a crash in between).
        record_generation(home, vault_id, device, generation);
    }
    Ok(())
}

/// Refuses a file whose copy of this device's chain is behind the head the
/// device recorded, or holds another entry at that position.
pub(crate) fn check_head(conn: &Connection, home: &Path, vault_id: &Id, device: &Id) -> Result<()> {
    let Some((seq, hash)) = recorded_head(home, vault_id, device)? else {
        return Ok(());
    };
    let at: Option<Vec<u8>> = conn
        .query_row(
            "SELECT hash FROM ops WHERE device_id = ?1 AND device_seq = ?2",
            params![&device.0[..], seq as i64],
            |r| r.get(0),
        )
        .optional()?;
    match at {
        Some(h) if h[..] == hash[..] => Ok(()),
        Some(_) => Err(Error::integrity(format!(
            "this device's entry #{seq} in the vault file is not the one it wrote: the log was rewritten; the file is refused"
        ))),
        None => Err(Error::integrity(format!(
            "this device wrote entry #{seq}, which is missing: the vault file was rolled back or its log truncated; \
             restore the newest copy of the file (nothing was changed)"
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids() -> (Id, Id) {
        (Id::make(), Id::make())
    }

    fn hash(n: u8) -> [u8; 32] {
        [n; 32]
    }

    /// The slot of the file that holds `order`, and its offset.
    fn slot_of(p: &Path, order: u64) -> usize {
        let raw = std::fs::read(p).expect("read");
        [0, SLOT_STRIDE]
            .into_iter()
            .find(|&o| decode_slot(&raw[o..o + SLOT_LEN]).is_some_and(|r| r.order == order))
            .expect("a slot with that record")
    }

    #[test]
    fn the_head_moves_forwards_only_and_alternates_slots() {
        let dir = tempfile::tempdir().expect("tmp");
        let (v, d) = ids();
        assert_eq!(recorded_head(dir.path(), &v, &d).expect("read"), None);
        record_head(dir.path(), &v, &d, 1, &hash(1));
        let p = head_path(dir.path(), &v, &d);
        assert_eq!(std::fs::metadata(&p).expect("file").len(), SLOTS_LEN as u64);
        for n in 2..6u8 {
            record_head(dir.path(), &v, &d, u64::from(n), &hash(n));
            assert_eq!(
                recorded_head(dir.path(), &v, &d).expect("read"),
                Some((u64::from(n), hash(n)))
            );
            // The record before it is still whole in the other slot.
            assert_ne!(slot_of(&p, u64::from(n)), slot_of(&p, u64::from(n - 1)));
        }
        record_head(dir.path(), &v, &d, 3, &hash(3));
        assert_eq!(
            recorded_head(dir.path(), &v, &d).expect("read"),
            Some((5, hash(5))),
            "an older head never replaces a newer one"
        );
    }

    /// A power loss in the middle of a write leaves any prefix of the new
    /// slot's bytes over the old ones (or garbage). At every such point the
    /// reader finds the record as it was before the write, never an older
    /// one and never an error; the next write then lands.
    #[test]
    fn a_torn_write_at_any_byte_leaves_the_previous_head() {
        let dir = tempfile::tempdir().expect("tmp");
        let (v, d) = ids();
        let p = head_path(dir.path(), &v, &d);
        record_head(dir.path(), &v, &d, 7, &hash(7));
        record_head(dir.path(), &v, &d, 8, &hash(8));
        let before = std::fs::read(&p).expect("read");
        // Where the write of head 9 goes: the slot holding 7.
        let target = slot_of(&p, 7);
        let new = encode_slot(&SlotRecord {
            order: 9,
            payload: hash(9),
        });
        for cut in 0..SLOT_LEN {
            for garbage in [false, true] {
                let mut torn = before.clone();
                torn[target..target + cut].copy_from_slice(&new[..cut]);
                if garbage {
                    torn[target + cut..target + SLOT_LEN].fill(0xa5);
                }
                std::fs::write(&p, &torn).expect("tear");
                assert_eq!(
                    recorded_head(dir.path(), &v, &d).expect("a torn slot is not an error"),
                    Some((8, hash(8))),
                    "torn after {cut} bytes (garbage after: {garbage})"
                );
            }
        }
        record_head(dir.path(), &v, &d, 9, &hash(9));
        assert_eq!(
            recorded_head(dir.path(), &v, &d).expect("read"),
            Some((9, hash(9)))
        );
    }

    #[test]
    fn fail_a_file_with_no_readable_slot() {
        let dir = tempfile::tempdir().expect("tmp");
        let (v, d) = ids();
        record_head(dir.path(), &v, &d, 2, &hash(2));
        let p = head_path(dir.path(), &v, &d);
        std::fs::write(&p, vec![0u8; SLOTS_LEN]).expect("zero");
        assert!(matches!(
            recorded_head(dir.path(), &v, &d),
            Err(Error::Integrity(_))
        ));
        std::fs::write(&p, b"not a head").expect("junk");
        assert!(matches!(
            recorded_head(dir.path(), &v, &d),
            Err(Error::Integrity(_))
        ));
    }

    /// Heads and seal generations written by earlier versions are read, and
    /// converted (whole, atomically) at the next write.
    #[test]
    fn earlier_formats_are_read_and_converted() {
        let dir = tempfile::tempdir().expect("tmp");
        let (v, d) = ids();
        ensure_private_dir(&dir.path().join("heads")).expect("dir");
        let p = head_path(dir.path(), &v, &d);
        let json = format!(r#"{{"device_seq":41,"hash":"{}"}}"#, hex(&hash(4)));
        std::fs::write(&p, json).expect("legacy head");
        assert_eq!(
            recorded_head(dir.path(), &v, &d).expect("read"),
            Some((41, hash(4)))
        );
        record_head(dir.path(), &v, &d, 40, &hash(9));
        assert_eq!(
            recorded_head(dir.path(), &v, &d).expect("read"),
            Some((41, hash(4))),
            "not moved backwards by the conversion"
        );
        record_head(dir.path(), &v, &d, 42, &hash(5));
        assert_eq!(std::fs::metadata(&p).expect("file").len(), SLOTS_LEN as u64);
        assert_eq!(
            recorded_head(dir.path(), &v, &d).expect("read"),
            Some((42, hash(5)))
        );
        let sp = seal_path(dir.path(), &v, &d);
        std::fs::write(&sp, "17\n").expect("legacy seal");
        assert_eq!(recorded_generation(dir.path(), &v, &d).expect("read"), 17);
        record_generation(dir.path(), &v, &d, 18);
        record_generation(dir.path(), &v, &d, 16);
        assert_eq!(recorded_generation(dir.path(), &v, &d).expect("read"), 18);
        assert_eq!(
            std::fs::metadata(&sp).expect("file").len(),
            SLOTS_LEN as u64
        );
    }
}
