//! The seal of a private replica (DESIGN.md §8, "The replica file").
//!
//! Once a device keeps a private replica of a vault (after `sync init` or
//! `join`), the replica's tables are a cache that only this device writes,
//! derived from ops it verified. The device seals what it wrote: a MAC,
//! under a key only it can derive ([`coffer_crypto::ReplicaMacKey`]), over
//!
//! - the applied log: the number of entries and a hash chain over each
//!   entry's position, hash and outcome, and
//! - a digest of every state table, row by row.
//!
//! At open the device recomputes both and checks the MAC. A replica that
//! another device wrote directly (the old shared-file way of working), or
//! that was edited outside Coffer (a role raised, an outcome flipped, a row
//! planted), no longer matches and is refused; it can be rebuilt from the
//! feeds. The trust anchor in `COFFER_HOME` says the replica must be sealed,
//! so deleting the seal is no way around it.

use coffer_crypto::encoding::Encoder;
use coffer_crypto::{Id, ReplicaMacKey, StateHasher};
use rusqlite::types::ValueRef;
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{Error, Result};
use crate::schema::STATE_TABLES;

/// Tables covered by the state digest besides [`STATE_TABLES`].
const SYNC_TABLES: &[(&str, &str)] = &[("feed_problems", "device_id")];

/// What the seal covers, as last written by this device.
pub(crate) struct Seal {
    key: ReplicaMacKey,
    log_count: u64,
    log_digest: [u8; 32],
    state_digest: [u8; 32],
    /// Bumped at every write of the seal; the device records the newest in
    /// `COFFER_HOME` and refuses an older (rolled-back) copy of the replica.
    generation: u64,
}

impl std::fmt::Debug for Seal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Seal({} entries)", self.log_count)
    }
}

fn piece(h: &mut StateHasher, v: ValueRef<'_>) {
    match v {
        ValueRef::Null => h.piece(&[0]),
        ValueRef::Integer(i) => h.piece(&[1]).piece(&i.to_le_bytes()),
        ValueRef::Real(r) => h.piece(&[2]).piece(&r.to_bits().to_le_bytes()),
        ValueRef::Text(t) => h.piece(&[3]).piece(t),
        ValueRef::Blob(b) => h.piece(&[4]).piece(b),
    };
}

/// A digest of every state table, every row, in key order.
pub(crate) fn state_digest(conn: &Connection) -> Result<[u8; 32]> {
    let mut h = StateHasher::new("coffer/v1/replica-state");
    for (table, order) in STATE_TABLES.iter().chain(SYNC_TABLES) {
        if crate::schema::DIGEST_WHEN_NOT_EMPTY.contains(table) {
            let n: i64 =
                conn.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?;
            if n == 0 {
                continue;
            }
        }
        h.piece(table.as_bytes());
        let mut st = conn.prepare_cached(&format!("SELECT * FROM {table} ORDER BY {order}"))?;
        let n = st.column_count();
        let mut rows = st.query([])?;
        while let Some(r) = rows.next()? {
            h.piece(&(n as u64).to_le_bytes());
            for i in 0..n {
                piece(&mut h, r.get_ref(i)?);
            }
        }
    }
    Ok(h.finish())
}

/// A digest of one row of the op log: every column, so an edited body,
/// signature, outcome or reason changes it.
fn row_digest(r: &rusqlite::Row<'_>, n: usize) -> Result<[u8; 32]> {
    let mut h = StateHasher::new("coffer/v1/replica-log-row");
    for i in 0..n {
        piece(&mut h, r.get_ref(i)?);
    }
    Ok(h.finish())
}

/// Extends the log digest by one row.
fn extend_log(d: &[u8; 32], row: &[u8; 32]) -> [u8; 32] {
    coffer_crypto::sha256(&[d, row])
}

const LOG_START: [u8; 32] = [0; 32];

/// (entries, digest) of the whole log, in position order.
pub(crate) fn log_digest(conn: &Connection) -> Result<(u64, [u8; 32])> {
    let mut st = conn.prepare_cached("SELECT * FROM ops ORDER BY seq")?;
    let n = st.column_count();
    let mut rows = st.query([])?;
    let (mut count, mut d) = (0u64, LOG_START);
    while let Some(r) = rows.next()? {
        d = extend_log(&d, &row_digest(r, n)?);
        count += 1;
    }
    Ok((count, d))
}

/// Whether every index of the file agrees with its table, and every
/// b-tree is well formed (SQLite's `PRAGMA integrity_check`).
///
/// The digests above read the tables' rows; they do not read the
/// indexes, and SQLite answers a query through an index without checking
/// it against its table. Whoever writes the file could otherwise leave the
/// rows (and so the seal) as they were and edit an index: resolve
/// "web/prod" to another environment, hide a credential from an
/// offboarding's re-key, hide this device's own revocation from what it
/// publishes, keep a row outside its primary-key index and so outside the
/// digest (attack review 17, `tests/index_attacks2.rs`). Coffer writes a
/// table and its indexes in one transaction, so in a file this device
/// sealed they always agree. Checked at open before anything read
/// through an index is used (the genesis check that runs first reads
/// through `ops_kind`, where an edit can only refuse the open: attack
/// review 16).
pub(crate) fn indexes_agree(conn: &Connection) -> Result<bool> {
    let first: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0))?;
    Ok(first == "ok")
}

fn message(
    vault_id: &Id,
    device: &Id,
    count: u64,
    log: &[u8; 32],
    state: &[u8; 32],
    generation: u64,
) -> Vec<u8> {
    let mut e = Encoder::new("coffer/v1/replica-seal", 1);
    e.fixed(&vault_id.0)
        .fixed(&device.0)
        .u64(count)
        .fixed(log)
        .fixed(state)
        .u64(generation);
    e.finish()
}

impl Seal {
    /// Recomputes everything and writes a fresh seal (after `sync init`,
    /// `join` or a rebuild), at `generation`: above any this device
    /// recorded for the vault, or the new replica would look like an older
    /// copy of the one it replaces.
    pub(crate) fn create(
        conn: &Connection,
        key: ReplicaMacKey,
        vault_id: &Id,
        device: &Id,
        generation: u64,
    ) -> Result<Self> {
        let (log_count, log_digest) = log_digest(conn)?;
        let mut s = Seal {
            key,
            log_count,
            log_digest,
            state_digest: state_digest(conn)?,
            generation,
        };
        s.write(conn, vault_id, device)?;
        Ok(s)
    }

    /// Checks the seal of the replica at `conn`: recomputes the log and
    /// state digests and verifies the MAC.
    pub(crate) fn check(
        conn: &Connection,
        key: ReplicaMacKey,
        vault_id: &Id,
        device: &Id,
    ) -> Result<Self> {
        let row: Option<(Vec<u8>, Vec<u8>, i64)> = conn
            .query_row(
                "SELECT device_id, mac, generation FROM replica WHERE id = 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?;
        let outside = || {
            Error::integrity(
                "this replica was changed outside this device (another device wrote to it directly, or it was edited): \
                 a replica is private to one device. Rebuild it from the sync folder with `coffer sync --rebuild`; \
                 teammates join with `coffer join` instead of opening this file",
            )
        };
        let (dev, mac, generation) = row.ok_or_else(outside)?;
        let generation = generation as u64;
        if dev[..] != device.0[..] {
            return Err(outside());
        }
        if !indexes_agree(conn)? {
            return Err(outside());
        }
        let (log_count, log_digest) = log_digest(conn)?;
        let state_digest = state_digest(conn)?;
        key.verify(
            &message(
                vault_id,
                device,
                log_count,
                &log_digest,
                &state_digest,
                generation,
            ),
            &mac,
        )
        .map_err(|_| outside())?;
        Ok(Seal {
            key,
            log_count,
            log_digest,
            state_digest,
            generation,
        })
    }

    /// Takes in the log rows appended since the last seal (their
    /// positions, in order) and, if the state changed, its new digest;
    /// then writes the seal. Runs inside the caller's transaction.
    pub(crate) fn advance(
        &mut self,
        conn: &Connection,
        vault_id: &Id,
        device: &Id,
        appended: &[i64],
        state_changed: bool,
    ) -> Result<()> {
        let mut st = conn.prepare_cached("SELECT * FROM ops WHERE seq = ?1")?;
        let n = st.column_count();
        for seq in appended {
            let mut rows = st.query([seq])?;
            let r = rows
                .next()?
                .ok_or_else(|| Error::Database("an appended log row is missing".into()))?;
            self.log_digest = extend_log(&self.log_digest, &row_digest(r, n)?);
            self.log_count += 1;
        }
        if state_changed {
            self.state_digest = state_digest(conn)?;
        }
        self.write(conn, vault_id, device)
    }

    /// What [`Seal::advance`] changes, to put back if the transaction it
    /// ran in does not commit.
    pub(crate) fn snapshot(&self) -> (u64, [u8; 32], [u8; 32], u64) {
        (
            self.log_count,
            self.log_digest,
            self.state_digest,
            self.generation,
        )
    }

    /// Puts back a [`Seal::snapshot`].
    pub(crate) fn restore(&mut self, s: (u64, [u8; 32], [u8; 32], u64)) {
        (
            self.log_count,
            self.log_digest,
            self.state_digest,
            self.generation,
        ) = s;
    }

    /// The seal's generation (bumped at every write).
    pub(crate) fn generation(&self) -> u64 {
        self.generation
    }

    /// Recomputes from scratch (after a rebuild in a transaction).
    pub(crate) fn refresh(&mut self, conn: &Connection, vault_id: &Id, device: &Id) -> Result<()> {
        let (n, d) = log_digest(conn)?;
        self.log_count = n;
        self.log_digest = d;
        self.state_digest = state_digest(conn)?;
        self.write(conn, vault_id, device)
    }

    fn write(&mut self, conn: &Connection, vault_id: &Id, device: &Id) -> Result<()> {
        self.generation += 1;
        let mac = self.key.mac(&message(
            vault_id,
            device,
            self.log_count,
            &self.log_digest,
            &self.state_digest,
            self.generation,
        ));
        conn.execute(
            "INSERT OR REPLACE INTO replica (id, device_id, log_count, log_digest, state_digest, generation, mac)
             VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                &device.0[..],
                self.log_count as i64,
                &self.log_digest[..],
                &self.state_digest[..],
                self.generation as i64,
                &mac[..]
            ],
        )?;
        Ok(())
    }
}
