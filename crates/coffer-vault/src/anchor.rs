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

/// Checks the one genesis of the log at `conn`: exactly one entry of kind
/// genesis, first in its device's chain (sequence 1, zero previous hash),
/// for `vault_id`, authored and signed by the owner it names, its stored
/// hash recomputing.
pub(crate) fn check_genesis(conn: &Connection, vault_id: Id) -> Result<Genesis> {
    let mut st = conn.prepare(
        "SELECT op_id, device_id, device_seq, author_id, hlc, body, prev_hash, hash, sig
         FROM ops WHERE kind = ?1 LIMIT 2",
    )?;
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

// ----- this device's head ---------------------------------------------------

#[derive(Serialize, Deserialize)]
struct HeadFile {
    device_seq: u64,
    hash: String,
}

fn head_path(home: &Path, vault_id: &Id, device: &Id) -> PathBuf {
    home.join("heads")
        .join(format!("{}-{}.json", vault_id.to_hex(), device.to_hex()))
}

/// The newest entry this device recorded writing to `vault_id`.
pub(crate) fn recorded_head(
    home: &Path,
    vault_id: &Id,
    device: &Id,
) -> Result<Option<(u64, [u8; 32])>> {
    let p = head_path(home, vault_id, device);
    let raw = match std::fs::read(&p) {
        Ok(r) => r,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(Error::io(format!("reading {}", p.display()), e)),
    };
    let malformed = || Error::integrity("the recorded op-log head is malformed");
    let h: HeadFile = serde_json::from_slice(&raw).map_err(|_| malformed())?;
    Ok(Some((
        h.device_seq,
        unhex32(&h.hash).ok_or_else(malformed)?,
    )))
}

/// Records this device's newest entry. It only moves forwards: an older
/// head never replaces a newer one, so a write made on a rolled-back file
/// cannot erase the evidence of the rollback. Best effort: a failure to
/// write it only weakens rollback detection, it must not fail the change.
pub(crate) fn record_head(home: &Path, vault_id: &Id, device: &Id, seq: u64, hash: &[u8; 32]) {
    if let Ok(Some((known, _))) = recorded_head(home, vault_id, device) {
        if known > seq {
            tracing::warn!(known, seq, "op-log head not moved backwards");
            return;
        }
    }
    let dir = home.join("heads");
    if ensure_private_dir(&dir).is_err() {
        return;
    }
    let h = HeadFile {
        device_seq: seq,
        hash: hex(hash),
    };
    if let Ok(json) = serde_json::to_vec(&h) {
        if let Err(e) = write_atomic(&head_path(home, vault_id, device), &json) {
            tracing::warn!(error = %e, "could not record the op-log head");
        }
    }
}

fn seal_path(home: &Path, vault_id: &Id, device: &Id) -> PathBuf {
    home.join("heads")
        .join(format!("{}-{}.seal", vault_id.to_hex(), device.to_hex()))
}

/// The newest seal generation this device wrote for its replica.
pub(crate) fn recorded_generation(home: &Path, vault_id: &Id, device: &Id) -> Result<u64> {
    let p = seal_path(home, vault_id, device);
    match std::fs::read_to_string(&p) {
        Ok(s) => s.trim().parse().map_err(|_| {
            Error::integrity(format!("the replica record {} is malformed", p.display()))
        }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(0),
        Err(e) => Err(Error::io(format!("reading {}", p.display()), e)),
    }
}

/// Records the replica's seal generation after a commit (never
/// backwards). Best effort, like [`record_head`].
pub(crate) fn record_generation(home: &Path, vault_id: &Id, device: &Id, generation: u64) {
    if recorded_generation(home, vault_id, device).is_ok_and(|g| g >= generation) {
        return;
    }
    if ensure_private_dir(&home.join("heads")).is_err() {
        return;
    }
    if let Err(e) = write_atomic(
        &seal_path(home, vault_id, device),
        generation.to_string().as_bytes(),
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
