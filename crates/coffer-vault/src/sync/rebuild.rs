//! `coffer sync --rebuild` for a replica that no longer opens: edited
//! outside Coffer (its seal fails), rolled back, or damaged. The device's
//! trust anchor (pinned genesis, remote) says which vault and where its
//! feeds are; the file itself is trusted for nothing. It is moved aside,
//! a new replica is built from the feeds exactly as `join` builds one,
//! and this device's own entries that the folder does not hold yet are
//! salvaged from the old file when each one verifies (signed by this
//! identity for this device, chained to the one before): they are the
//! changes made offline, and no one else could have made them.
//!
//! Two refusals keep a rebuild from doing an attacker's work:
//! - the rebuilt replica must hold every entry this device recorded
//!   signing (its head in `COFFER_HOME/heads`). Entries altered in the old
//!   file before they were published are lost, and whoever altered them may
//!   hold the genuine ones: signing new entries at those positions would
//!   equivocate, so the device must continue as a new one. The head is
//!   never moved back.
//! - the file must be this device's replica of the vault it names: when
//!   the anchor records the replica at another path that still exists, the
//!   file is not rebuilt (it could name another vault's id).

use std::path::{Path, PathBuf};

use coffer_crypto::Id;
use rusqlite::{Connection, OpenFlags};

use super::feed::Entry;
use super::folder::Folder;
use super::{
    another_machine, prepare, restored_home, row_entry, signed_by, SyncReport, ENTRY_COLUMNS,
};
use crate::anchor::load_anchor;
use crate::error::{Error, ErrorKind, Result};
use crate::identity::UnlockedIdentity;
use crate::vault::Vault;

/// What a rebuild did besides the sync it ends with.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Rebuilt {
    /// Where the replica that did not open was moved (kept as evidence).
    pub moved_aside: Option<PathBuf>,
    /// This device's entries taken from it into the sync folder.
    pub salvaged: usize,
    /// This device's entries in it that could not be taken (not signed by
    /// this identity, or not chained): lost, and never published.
    pub dropped: usize,
    /// Why the replica did not open.
    pub reason: String,
}

impl Vault {
    /// `coffer sync --rebuild`: opens the replica and replays its log from
    /// scratch (quarantined feeds are read again). When the replica does
    /// not open for an integrity reason, it is rebuilt from the sync folder
    /// instead (see the module's documentation); `Rebuilt` says so.
    pub fn rebuild(
        path: &Path,
        me: UnlockedIdentity,
    ) -> Result<(Vault, SyncReport, Option<Rebuilt>)> {
        let failure = match Self::open_keeping(path, me) {
            Ok(mut v) => {
                let r = v.sync_with(true)?;
                return Ok((v, r, None));
            }
            Err(f) => f,
        };
        if failure.error.kind() != ErrorKind::Integrity || !path.is_file() {
            return Err(failure.error);
        }
        let reason = failure.error.to_string();
        let (v, report, mut rebuilt) = Self::rebuild_from_feeds(path, *failure.identity)?;
        rebuilt.reason = reason;
        Ok((v, report, Some(rebuilt)))
    }

    fn rebuild_from_feeds(
        path: &Path,
        me: UnlockedIdentity,
    ) -> Result<(Vault, SyncReport, Rebuilt)> {
        let vault_id = vault_id_of(path)?;
        let anchor = load_anchor(&me.home, &vault_id)?.ok_or_else(|| {
            Error::NotFound(format!(
                "a trust anchor for vault {} on this device: it was never synced here, so there is nothing to rebuild it from; restore a backup, or join again",
                vault_id.short()
            ))
        })?;
        check_is_the_replica(path, &anchor.replica, &vault_id)?;
        let (Some(remote), Some(genesis)) = (anchor.remote.clone(), anchor.genesis_hash()) else {
            return Err(Error::NotFound(
                "a sync set-up for this vault: only a replica that syncs can be rebuilt from its sync folder".into(),
            ));
        };
        let folder = prepare(&me.home, &vault_id, &remote)?;
        let mut rebuilt = Rebuilt::default();
        let (publish, dropped) = salvage(path, &me, vault_id, &folder)?;
        rebuilt.dropped = dropped;
        for (seq, bytes, repair) in &publish {
            if *repair {
                folder.repair(&me.device_id, *seq, bytes)?;
            } else {
                folder.publish(&me.device_id, *seq, bytes)?;
            }
        }
        rebuilt.salvaged = publish.len();
        let aside = move_aside(path, path)?;
        rebuilt.moved_aside = Some(aside.clone());
        let name = folder.descriptor().map(|d| d.name).unwrap_or_default();
        // A rebuild that fails puts the old file back where it was.
        let put_back = |e: Error| {
            crate::vault::remove_vault_files(path);
            if let Err(b) = move_aside(&aside, path) {
                tracing::warn!(error = %b, "could not put the old replica back");
            }
            e
        };
        let mut v =
            Self::fresh_replica(path, me, vault_id, &name).map_err(|f| put_back(f.error))?;
        let mut report = match v.build_joined(&folder, vault_id, genesis, &remote) {
            Ok(r) => r,
            Err(e) => {
                drop(v);
                return Err(put_back(e));
            }
        };
        // This device must hold every entry it ever signed, up to the head
        // it recorded: entries it signed that neither the old file nor the
        // folder holds intact (altered in the file, never published) may
        // have been copied by whoever altered them. Signing new entries at
        // their positions would put two different, genuine entries at one
        // position of this device's feed: an equivocation no other device
        // can tell from honest history. So the device stops here.
        if let Err(e) = crate::anchor::check_head(&v.conn, &v.me.home, &vault_id, &v.me.device_id) {
            tracing::warn!(error = %e, "rebuild: this device's feed cannot be continued");
            drop(v);
            return Err(put_back(lost_own_entries()));
        }
        if dropped > 0 {
            report.warnings.push(format!(
                "{dropped} of this device's entries in the old replica could not be verified and were dropped (never published)"
            ));
        }
        let after = v.sync()?;
        report.published += after.published;
        report.warnings.extend(after.warnings);
        Ok((v, report, rebuilt))
    }
}

/// A rebuild that cannot recover every entry this device signed.
fn lost_own_entries() -> Error {
    Error::integrity(
        "this device signed entries that neither the damaged replica nor the sync folder holds intact \
         (they were altered before being published): continuing would sign other entries at their positions \
         of this device's feed, which no other device could tell from a forgery. The replica was left as it was; \
         this device's intact entries were published. Continue as a new device: move this COFFER_HOME aside, \
         create a new identity (`coffer identity new`), have an admin add it and `coffer join`",
    )
}

/// Refuses to rebuild `path` when this device records the vault's replica
/// at another path, whether that file is there now or not (moved away, on
/// a drive not mounted): the (untrusted) file only names the vault, and a
/// file naming another vault's id must not rebuild that vault here,
/// moving its head and seal and locking out its real replica.
fn check_is_the_replica(path: &Path, recorded: &Option<PathBuf>, vault_id: &Id) -> Result<()> {
    let Some(replica) = recorded else {
        return Ok(());
    };
    let same = match (std::path::absolute(path), std::path::absolute(replica)) {
        (Ok(a), Ok(b)) if a == b => true,
        _ => matches!((path.canonicalize(), replica.canonicalize()), (Ok(a), Ok(b)) if a == b),
    };
    if !same {
        return Err(Error::Refused(format!(
            "{} names vault {}, whose replica on this device is {}: it is not rebuilt from that vault's feeds. \
             Rebuild that file instead (put it back there first if it was moved)",
            path.display(),
            vault_id.short(),
            replica.display()
        )));
    }
    Ok(())
}

/// The vault id the (untrusted) file names: only used to find this
/// device's trust anchor, which decides everything else.
fn vault_id_of(path: &Path) -> Result<Id> {
    let c = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    c.execute_batch("PRAGMA trusted_schema = OFF;")?;
    crate::schema::check_table(&c, "vault")?;
    let id: Vec<u8> = c
        .query_row("SELECT id FROM vault", [], |r| r.get(0))
        .map_err(|_| {
            Error::integrity(
                "the replica is too damaged to say which vault it holds: join the vault again (`coffer join`)",
            )
        })?;
    Id::from_slice(&id).map_err(|_| Error::integrity("the replica names no valid vault id"))
}

/// An entry to put in the folder: its position, bytes, and whether it
/// replaces an altered file there (rather than filling a gap).
type Salvaged = (u64, Vec<u8>, bool);

/// This device's entries in the old file that the folder lacks (or holds
/// altered, not signed by this identity), in order, each verified and
/// chained: `(seq, bytes, repair)`; and how many could not be taken.
fn salvage(
    path: &Path,
    me: &UnlockedIdentity,
    vault_id: Id,
    folder: &Folder,
) -> Result<(Vec<Salvaged>, usize)> {
    let (chain, total) = own_rows(path, vault_id, &me.device_id);
    let mine = |e: &Entry| signed_by(me, vault_id, e);
    let mut out = Vec::new();
    let mut prev: Option<(u64, [u8; 32])> = None;
    let mut taken = 0;
    for e in &chain {
        let seq = e.header.device_seq;
        let chained = match prev {
            None => seq == 1 && e.header.prev_hash == [0u8; 32],
            Some((p, h)) => seq == p + 1 && e.header.prev_hash == h,
        };
        if !chained || !mine(e) {
            break;
        }
        let bytes = e.encode();
        match folder.read(&me.device_id, seq) {
            Ok(Some(b)) if b == bytes => {}
            Ok(None) => out.push((seq, bytes, false)),
            Ok(Some(b)) => match Entry::decode(&b) {
                // Another entry for this position signed by this device:
                // another machine writes as this device.
                Ok(theirs) if another_machine(me, vault_id, &theirs, seq) => {
                    return Err(restored_home())
                }
                _ => out.push((seq, bytes, true)),
            },
            Err(_) => out.push((seq, bytes, true)),
        }
        prev = Some((seq, e.hash()));
        taken += 1;
    }
    Ok((out, total.saturating_sub(taken)))
}

/// This device's entries in the old file, in order, up to the first row
/// that does not even parse; and how many rows there are in all. A file
/// too damaged to read yields nothing to salvage.
fn own_rows(path: &Path, vault_id: Id, device: &Id) -> (Vec<Entry>, usize) {
    let read = || -> Result<(Vec<Entry>, usize)> {
        let c = Connection::open_with_flags(path, OpenFlags::SQLITE_OPEN_READ_ONLY)?;
        c.execute_batch("PRAGMA trusted_schema = OFF;")?;
        crate::schema::check_table(&c, "ops")?;
        let total: i64 = c.query_row(
            "SELECT COUNT(*) FROM ops WHERE device_id = ?1",
            [&device.0[..]],
            |r| r.get(0),
        )?;
        let mut st = c.prepare(&format!(
            "SELECT {ENTRY_COLUMNS} FROM ops WHERE device_id = ?1 ORDER BY device_seq"
        ))?;
        let mut rows = st.query([&device.0[..]])?;
        let mut out = Vec::new();
        while let Ok(Some(r)) = rows.next() {
            match row_entry(r, vault_id) {
                Ok(e) => out.push(e),
                Err(_) => break,
            }
        }
        Ok((out, usize::try_from(total).unwrap_or(0)))
    };
    read().unwrap_or_else(|e| {
        tracing::warn!(error = %e, "the old replica's own entries could not be read");
        (Vec::new(), 0)
    })
}

/// Moves the replica at `path` (and its SQLite companions) to `to`, or,
/// when `to` is `path` itself, aside next to it with a time stamp.
/// Returns where it went.
fn move_aside(path: &Path, to: &Path) -> Result<PathBuf> {
    let to = if to == path {
        let stamp = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        // Never over an earlier one (two rebuilds in one second).
        (0..1000)
            .map(|n: u32| {
                let mut t = path.as_os_str().to_owned();
                t.push(match n {
                    0 => format!(".broken-{stamp}"),
                    n => format!(".broken-{stamp}-{n}"),
                });
                PathBuf::from(t)
            })
            .find(|t| !t.exists())
            .unwrap_or_else(|| path.with_extension("broken"))
    } else {
        to.to_path_buf()
    };
    let with = |p: &Path, ext: &str| {
        let mut s = p.as_os_str().to_owned();
        s.push(ext);
        PathBuf::from(s)
    };
    for ext in ["", "-wal", "-shm"] {
        let from = with(path, ext);
        if ext.is_empty() || from.exists() {
            std::fs::rename(&from, with(&to, ext))
                .map_err(|e| Error::io(format!("moving {} aside", from.display()), e))?;
        }
    }
    Ok(to)
}
