//! The SQLite schema and its versioned migrations.
//!
//! Plaintext columns hold only ids, project and environment names, member
//! public keys, fingerprints, roles, status, timestamps and rotation dates.
//! Everything a user typed about a credential is inside the item blob.
//! Every state table is a pure function of the op log (`audit verify`
//! replays the log and compares).

use rusqlite::config::DbConfig;
use rusqlite::Connection;

use crate::error::{Error, Result};

/// The schema version this build writes.
pub const SCHEMA_VERSION: i64 = 12;

/// State tables and the columns that identify a row, in the order `audit
/// verify` compares them.
pub(crate) const STATE_TABLES: &[(&str, &str)] = &[
    ("vault", "id"),
    ("members", "id"),
    ("projects", "id"),
    ("environments", "id"),
    ("grants", "env_id, member_id"),
    ("env_wraps", "env_id, member_id"),
    ("items", "id"),
    ("item_versions", "item_id, version"),
    ("item_shares", "item_id, member_id"),
    ("item_conflicts", "item_id, digest"),
    ("exposed_values", "item_id, tag"),
    ("env_wraps_past", "env_id, member_id, epoch"),
    ("item_keys_past", "item_id, ik_ct"),
    ("item_keys_earlier", "item_id, ct"),
    ("item_keys_adopted", "item_id, ct"),
    ("removed_envs", "env_id"),
    ("overlays", "author_id, overlay_id"),
    ("env_policies", "env_id"),
];

/// State tables added after replicas were first sealed: they enter the
/// replica's state digest only once they hold a row, so a replica sealed
/// before they existed still opens after the migration.
pub(crate) const DIGEST_WHEN_NOT_EMPTY: &[&str] = &[
    "exposed_values",
    "env_wraps_past",
    "item_keys_past",
    "item_keys_earlier",
    "item_keys_adopted",
    "removed_envs",
    "overlays",
    "env_policies",
];

const V1: &str = r#"
CREATE TABLE vault (
    id BLOB PRIMARY KEY,
    name TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE members (
    id BLOB PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    email TEXT,
    x25519 BLOB NOT NULL,
    ed25519 BLOB NOT NULL,
    fingerprint TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner','admin','member','reader')),
    status TEXT NOT NULL CHECK (status IN ('active','revoked')),
    added_by BLOB,
    added_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE TABLE projects (
    id BLOB PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    created_at INTEGER NOT NULL
);
CREATE TABLE environments (
    id BLOB PRIMARY KEY,
    project_id BLOB NOT NULL REFERENCES projects(id),
    name TEXT NOT NULL,
    epoch INTEGER NOT NULL,
    rotate_every_days INTEGER,
    created_at INTEGER NOT NULL,
    UNIQUE (project_id, name)
);
CREATE TABLE grants (
    env_id BLOB NOT NULL REFERENCES environments(id),
    member_id BLOB NOT NULL REFERENCES members(id),
    access TEXT NOT NULL CHECK (access IN ('read','write')),
    PRIMARY KEY (env_id, member_id)
);
CREATE TABLE env_wraps (
    env_id BLOB NOT NULL REFERENCES environments(id),
    member_id BLOB NOT NULL REFERENCES members(id),
    epoch INTEGER NOT NULL,
    sender_id BLOB NOT NULL,
    epk BLOB NOT NULL,
    ct BLOB NOT NULL,
    sig BLOB NOT NULL,
    PRIMARY KEY (env_id, member_id)
);
CREATE TABLE items (
    id BLOB PRIMARY KEY,
    env_id BLOB NOT NULL REFERENCES environments(id),
    ik_ct BLOB NOT NULL,
    current_version INTEGER NOT NULL,
    created_at INTEGER NOT NULL,
    deleted_at INTEGER
);
CREATE INDEX items_env ON items(env_id);
CREATE TABLE item_versions (
    item_id BLOB NOT NULL REFERENCES items(id),
    version INTEGER NOT NULL,
    blob BLOB NOT NULL,
    rotate_every_days INTEGER,
    rotated_at INTEGER,
    expires_at INTEGER,
    exposed_at INTEGER,
    author_id BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (item_id, version)
);
CREATE TABLE item_shares (
    item_id BLOB NOT NULL REFERENCES items(id),
    member_id BLOB NOT NULL REFERENCES members(id),
    epoch INTEGER NOT NULL,
    sender_id BLOB NOT NULL,
    epk BLOB NOT NULL,
    ct BLOB NOT NULL,
    sig BLOB NOT NULL,
    PRIMARY KEY (item_id, member_id)
);
CREATE TABLE ops (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id BLOB NOT NULL UNIQUE,
    device_id BLOB NOT NULL,
    device_seq INTEGER NOT NULL,
    author_id BLOB NOT NULL,
    hlc INTEGER NOT NULL,
    kind INTEGER NOT NULL,
    body BLOB NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL,
    sig BLOB NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('applied','denied')),
    UNIQUE (device_id, device_seq)
);
"#;

/// Version 2 (issue 9, sync): the replica's own seal, feeds this device
/// stopped reading, and why an imported op was not applied.
const V2: &str = r#"
CREATE TABLE replica (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    device_id BLOB NOT NULL,
    log_count INTEGER NOT NULL,
    log_digest BLOB NOT NULL,
    state_digest BLOB NOT NULL,
    generation INTEGER NOT NULL,
    mac BLOB NOT NULL
);
CREATE TABLE feed_problems (
    device_id BLOB PRIMARY KEY,
    at_seq INTEGER NOT NULL,
    reason TEXT NOT NULL,
    seen_at INTEGER NOT NULL
);
ALTER TABLE ops ADD COLUMN reason TEXT;
"#;

/// Version 3 (issue 9, sync): versions written concurrently with the
/// current one, kept beside it until someone resolves the conflict.
const V3: &str = r#"
CREATE TABLE item_conflicts (
    item_id BLOB NOT NULL REFERENCES items(id),
    digest BLOB NOT NULL,
    version INTEGER NOT NULL,
    blob BLOB NOT NULL,
    rotate_every_days INTEGER,
    rotated_at INTEGER,
    expires_at INTEGER,
    exposed_at INTEGER,
    author_id BLOB NOT NULL,
    created_at INTEGER NOT NULL,
    PRIMARY KEY (item_id, digest)
);
"#;

/// Version 4 (issue 10): keyed hashes of the values an offboarded member
/// could read, per item (`OpBody::ExposedValues`): the item stays exposed
/// while its current value is one of them.
const V4: &str = r#"
CREATE TABLE exposed_values (
    item_id BLOB NOT NULL REFERENCES items(id),
    tag BLOB NOT NULL,
    since INTEGER NOT NULL,
    PRIMARY KEY (item_id, tag)
);
"#;

/// Version 5: the keys a re-key replaced, as they were (each environment's
/// wraps of its old epochs, each item's old sealed keys). A write sealed
/// under them by someone who had not seen the re-key yet arrives later;
/// an owner or admin who held them re-seals it under the current keys.
/// And two indexes on the log: its clock (every new entry takes the newest
/// `hlc`, which was a scan of the whole log, bodies too, per write) and
/// each feed's authors, outcomes and clock (`sync status`, after every
/// change in the app, read every row of every feed).
const V5: &str = r#"
CREATE TABLE env_wraps_past (
    env_id BLOB NOT NULL REFERENCES environments(id),
    member_id BLOB NOT NULL REFERENCES members(id),
    epoch INTEGER NOT NULL,
    sender_id BLOB NOT NULL,
    epk BLOB NOT NULL,
    ct BLOB NOT NULL,
    sig BLOB NOT NULL,
    PRIMARY KEY (env_id, member_id, epoch)
);
CREATE TABLE item_keys_past (
    item_id BLOB NOT NULL REFERENCES items(id),
    epoch INTEGER NOT NULL,
    ik_ct BLOB NOT NULL,
    version INTEGER NOT NULL,
    PRIMARY KEY (item_id, ik_ct)
);
CREATE INDEX ops_hlc ON ops(hlc);
CREATE INDEX ops_feed ON ops(device_id, author_id, outcome, hlc);
"#;

/// Version 6 (attack review 5, G3): an op id is unique per author, not
/// across the log. An op id is a random value its author chooses and signs;
/// another member can sign an entry of her own with a copy of it, and with
/// `op_id UNIQUE` the log could hold only one of the two, so the copy,
/// dated first, took the genuine entry's place. The log is rebuilt with
/// `UNIQUE (author_id, op_id)` (SQLite cannot drop a constraint in place);
/// rows, their `seq` and the autoincrement counter are kept as they were.
const V6: &str = r#"
CREATE TABLE ops_v6 (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id BLOB NOT NULL,
    device_id BLOB NOT NULL,
    device_seq INTEGER NOT NULL,
    author_id BLOB NOT NULL,
    hlc INTEGER NOT NULL,
    kind INTEGER NOT NULL,
    body BLOB NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL,
    sig BLOB NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('applied','denied')),
    reason TEXT,
    UNIQUE (device_id, device_seq),
    UNIQUE (author_id, op_id)
);
INSERT INTO ops_v6 (seq, op_id, device_id, device_seq, author_id, hlc, kind, body, prev_hash, hash, sig, outcome, reason)
    SELECT seq, op_id, device_id, device_seq, author_id, hlc, kind, body, prev_hash, hash, sig, outcome, reason FROM ops ORDER BY seq;
DELETE FROM sqlite_sequence WHERE name = 'ops_v6';
INSERT INTO sqlite_sequence (name, seq) SELECT 'ops_v6', seq FROM sqlite_sequence WHERE name = 'ops';
DROP TABLE ops;
ALTER TABLE ops_v6 RENAME TO ops;
CREATE INDEX ops_hlc ON ops(hlc);
CREATE INDEX ops_feed ON ops(device_id, author_id, outcome, hlc);
"#;

/// Version 7 (attack review 5, G4): an item re-key that keeps every
/// version as it was sealed (`item.rekey.keep`, an unshare) leaves the
/// item's earlier keys sealed under its new one, so that whoever holds the
/// new key still opens every version, and nobody who re-keys an item can
/// change what a version says. An environment re-key re-seals every
/// version under one key again and clears the row. `author_id` is who
/// re-keyed: if the earlier keys do not open, the versions under them are
/// reported as that member's doing, not their writers'. `upto` is the
/// newest version the earlier keys may open (the item's version when it
/// was re-keyed): a version written after must open under the current key,
/// or a writer could seal a new value under the key the unshared member
/// kept (attack review 6, H5).
const V7: &str = r#"
CREATE TABLE item_keys_earlier (
    item_id BLOB PRIMARY KEY REFERENCES items(id),
    ct BLOB NOT NULL,
    author_id BLOB NOT NULL,
    upto INTEGER NOT NULL
);
"#;

/// Schema 8: an item keeps every `item_keys_earlier` row its re-keys
/// left, not only the last one, and adoptions keep theirs apart, in
/// `item_keys_adopted` (attack review 7, F3, F4). Each row is sealed under
/// a key of the item; a reader opens them in a chain from the current key,
/// so an unshare made without having seen an adoption (its list lacks the
/// adopted version's key) no longer cuts the adopted value off. A key's
/// bound is the lowest `upto` of the `item_keys_earlier` rows that carry it
/// (the re-key that first replaced it), so a later re-key by a writer
/// cannot raise the bound of a key an unshare replaced; only an adoption
/// (owners and admins) raises its first key's bound, to the version it
/// adopts. The rows' columns are unchanged, so a sealed replica's digest
/// is too.
const V8: &str = r#"
CREATE TABLE item_keys_earlier_v8 (
    item_id BLOB NOT NULL REFERENCES items(id),
    ct BLOB NOT NULL,
    author_id BLOB NOT NULL,
    upto INTEGER NOT NULL,
    PRIMARY KEY (item_id, ct)
);
INSERT INTO item_keys_earlier_v8 SELECT item_id, ct, author_id, upto FROM item_keys_earlier;
DROP TABLE item_keys_earlier;
ALTER TABLE item_keys_earlier_v8 RENAME TO item_keys_earlier;
CREATE TABLE item_keys_adopted (
    item_id BLOB NOT NULL REFERENCES items(id),
    ct BLOB NOT NULL,
    author_id BLOB NOT NULL,
    upto INTEGER NOT NULL,
    PRIMARY KEY (item_id, ct)
);
"#;

/// Schema 9 (issue 13): removed environments (`env.remove`, kind 24).
/// A removed environment keeps its row, items and keys (its history, an
/// offboarding's re-key and exposure report, a restore need them); the
/// name it had waits here, and its row's name becomes `NAME/<id hex>`,
/// which no live environment can be called (names hold no `/`), so the
/// name is free for a new environment and a restore finds it again. A
/// new table rather than a column: the rows of `environments` keep their
/// columns, so a sealed replica's digest is unchanged until an
/// environment is removed.
const V9: &str = r#"
CREATE TABLE removed_envs (
    env_id BLOB PRIMARY KEY REFERENCES environments(id),
    name TEXT NOT NULL,
    removed_at INTEGER NOT NULL,
    removed_by BLOB NOT NULL
);
"#;

/// Schema 10 (issue 11): personal overlays (`overlay.set`/`overlay.remove`,
/// kinds 28, 29) and environment policies (`env.policy`, kind 30). An
/// overlay row is one entry of its author's overlay, sealed under a key
/// only the author derives: every device holds the row, only the author's
/// opens it. `author_id` comes from the signed op, never from the body,
/// so nobody can write into another member's overlay. A policy row exists
/// only where an admin chose something other than the default (for
/// overlays, or a shortest generated value).
const V10: &str = r#"
CREATE TABLE overlays (
    author_id BLOB NOT NULL REFERENCES members(id),
    overlay_id BLOB NOT NULL,
    env_id BLOB NOT NULL REFERENCES environments(id),
    version INTEGER NOT NULL,
    blob BLOB NOT NULL,
    updated_at INTEGER NOT NULL,
    PRIMARY KEY (author_id, overlay_id)
);
CREATE TABLE env_policies (
    env_id BLOB PRIMARY KEY REFERENCES environments(id),
    overrides TEXT NOT NULL CHECK (overrides IN ('default','allow','forbid')),
    min_generated INTEGER NOT NULL DEFAULT 0
        CHECK (min_generated = 0 OR min_generated BETWEEN 8 AND 4096)
);
"#;

/// Schema 11 (issue 14): the log's entries by kind. Every open checks the
/// one genesis and pins members' keys from the membership entries
/// (`anchor::check_genesis`, `Vault::load_pinned`); without an index both
/// read the whole log, 1,439 of the 1,573 pages a `coffer get` read on a
/// vault of 10,000 credentials. Only `kind` is indexed: what the queries
/// decide on besides it (`outcome`) and the signed header and body are read
/// from the table, so an index edited to disagree with its table can hide
/// an entry (a refusal, as for a missing one) but cannot make one count
/// that the table does not hold: an entry found under another kind fails
/// its signature, which covers the kind.
const V11: &str = r#"
CREATE INDEX ops_kind ON ops(kind);
"#;

/// Schema 12 (issue 14): this device's blind name index (`names.rs`). One
/// entry per live credential of an environment: the tag of its name under
/// a key derived from the environment key and this identity's secret, and
/// a MAC binding the entry to the credential's stored rows. A local cache:
/// never synced, not a state table (so not in a replica's seal), written
/// and trusted only by the identity that can derive its key. `WITHOUT
/// ROWID` on purpose: the entries live in their primary key's b-tree, so
/// there is no second index that could be edited to disagree with them.
const V12: &str = r#"
CREATE TABLE name_index (
    env_id BLOB NOT NULL,
    item_id BLOB NOT NULL,
    tag BLOB NOT NULL,
    mac BLOB NOT NULL,
    PRIMARY KEY (env_id, item_id)
) WITHOUT ROWID;
"#;

/// Migrations in order; index `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[V1, V2, V3, V4, V5, V6, V7, V8, V9, V10, V11, V12];

/// Sets the connection's pragmas (every open).
///
/// The replica file is outside input until its schema is checked
/// ([`check_objects`]): defensive mode stops SQL from corrupting the file
/// on purpose (`writable_schema`, shadow tables), and `trusted_schema = OFF`
/// keeps functions with side effects out of anything the file defines.
pub(crate) fn configure(conn: &Connection) -> Result<()> {
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
    conn.execute_batch(
        "PRAGMA trusted_schema = OFF;
         PRAGMA foreign_keys = ON;
         PRAGMA secure_delete = ON;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -32768;",
    )?;
    // WAL keeps readers and the one writer apart and makes a commit one
    // append; `synchronous = FULL` still fsyncs every commit, so a power
    // loss cannot lose an acknowledged change.
    let mode: String = conn.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
    tracing::debug!(journal_mode = %mode, "vault opened");
    conn.execute_batch("PRAGMA synchronous = FULL;")?;
    Ok(())
}

/// One schema object as SQLite records it: (type, name, table, SQL text).
type Object = (String, String, String, Option<String>);

fn objects(conn: &Connection) -> Result<Vec<Object>> {
    let mut st = conn.prepare(
        "SELECT type, name, tbl_name, sql FROM sqlite_master ORDER BY type, name, tbl_name",
    )?;
    let rows = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
    rows.collect::<std::result::Result<_, _>>()
        .map_err(Into::into)
}

/// The objects a file at schema `version` must hold: exactly those our
/// own migrations make, rebuilt in memory.
fn expected_objects(version: i64) -> Result<Vec<Object>> {
    let mut c = Connection::open_in_memory()?;
    migrate_to(&mut c, version)?;
    objects(&c)
}

/// SHA-256 of the objects a file at [`SCHEMA_VERSION`] holds when our
/// migrations made it ([`objects_digest`] of [`expected_objects`]). The
/// test `the_current_objects_digest_is_what_the_migrations_make` fails
/// (and prints the new value) when a migration changes and this does not;
/// a stale value could only make an open take the slower full comparison,
/// never accept other objects, as long as that test passes.
const CURRENT_OBJECTS_DIGEST: [u8; 32] = [
    167, 189, 200, 232, 72, 235, 249, 69, 25, 184, 46, 188, 109, 243, 44, 185, 15, 94, 224, 192,
    193, 209, 134, 110, 80, 239, 99, 68, 156, 124, 82, 25,
];

/// A digest of schema objects, each field length-prefixed so no two lists
/// encode alike.
fn objects_digest(objects: &[Object]) -> [u8; 32] {
    let mut enc = Vec::new();
    for (t, n, tbl, sql) in objects {
        for field in [
            Some(t.as_str()),
            Some(n.as_str()),
            Some(tbl.as_str()),
            sql.as_deref(),
        ] {
            match field {
                Some(f) => {
                    enc.push(1);
                    enc.extend_from_slice(&(f.len() as u64).to_le_bytes());
                    enc.extend_from_slice(f.as_bytes());
                }
                None => enc.push(0),
            }
        }
    }
    coffer_crypto::sha256(&[b"coffer/v1/schema-objects", &enc])
}

/// Refuses a file whose schema holds anything our migrations did not make:
/// a trigger, a view, an extra table or index, or one of ours with other
/// SQL (a dropped `CHECK`, another column). A planted trigger would run
/// inside every later transaction and could undo a revocation or copy a
/// wrap, so this runs before the first statement that touches the state.
pub(crate) fn check_objects(conn: &Connection) -> Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version > SCHEMA_VERSION {
        return Ok(()); // `migrate` refuses it with the version in the message.
    }
    if version < 0 {
        // No migration makes it; as a count it would compare the objects
        // with every migration's and then skip them all (attack review 15).
        return Err(Error::integrity(format!(
            "the vault file's schema version ({version}) was changed outside coffer; it is refused"
        )));
    }
    let found = objects(conn)?;
    // The common case without rebuilding the schema in memory (which runs
    // every migration on each open): the file is at the current version
    // and its objects hash to what the migrations make. Anything else takes
    // the full comparison below, which also names what differs.
    if version == SCHEMA_VERSION && objects_digest(&found) == CURRENT_OBJECTS_DIGEST {
        return Ok(());
    }
    let expected = expected_objects(version)?;
    if found == expected {
        return Ok(());
    }
    let foreign: Vec<String> = found
        .iter()
        .filter(|o| !expected.contains(o))
        .map(|(t, n, _, _)| format!("{t} '{n}'"))
        .chain(
            expected
                .iter()
                .filter(|o| !found.iter().any(|f| f.0 == o.0 && f.1 == o.1))
                .map(|(t, n, _, _)| format!("missing {t} '{n}'")),
        )
        .take(5)
        .collect();
    Err(Error::integrity(format!(
        "the vault file's schema was changed outside coffer ({}); it is refused so nothing planted in it runs",
        foreign.join(", ")
    )))
}

/// Refuses to read `table` from a file that failed [`check_objects`]
/// (the rebuild's salvage) unless it is the table our migrations make,
/// with the same SQL: not a view (an endless recursive query hangs any
/// read of it), a virtual table, or a table redefined under its name.
pub(crate) fn check_table(conn: &Connection, table: &str) -> Result<()> {
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    let ours = |o: &Object| o.1 == table;
    let expected: Vec<Object> = if (1..=SCHEMA_VERSION).contains(&version) {
        expected_objects(version)?
            .into_iter()
            .filter(ours)
            .collect()
    } else {
        Vec::new()
    };
    let found: Vec<Object> = objects(conn)?.into_iter().filter(ours).collect();
    if matches!(expected.as_slice(), [o] if o.0 == "table") && found == expected {
        return Ok(());
    }
    Err(Error::integrity(format!(
        "the old replica's '{table}' is not the table coffer makes; it is not read"
    )))
}

/// Brings the schema up to [`SCHEMA_VERSION`], refusing a newer one.
pub(crate) fn migrate(conn: &mut Connection) -> Result<()> {
    migrate_to(conn, SCHEMA_VERSION)
}

fn migrate_to(conn: &mut Connection, target: i64) -> Result<()> {
    let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > SCHEMA_VERSION {
        return Err(Error::Refused(format!(
            "this vault has schema version {current}; this coffer understands up to {SCHEMA_VERSION}: upgrade coffer"
        )));
    }
    for (i, sql) in MIGRATIONS
        .iter()
        .enumerate()
        .take(target as usize)
        .skip(current as usize)
    {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", i as i64 + 1)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "vault schema migrated");
    }
    Ok(())
}

/// Creates the schema in a scratch database (for `audit verify`'s replay).
pub(crate) fn scratch() -> Result<Connection> {
    let mut c = Connection::open_in_memory()?;
    c.execute_batch("PRAGMA foreign_keys = ON;")?;
    migrate(&mut c)?;
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_current_objects_digest_is_what_the_migrations_make() {
        let expected = expected_objects(SCHEMA_VERSION).expect("rebuild");
        let digest = objects_digest(&expected);
        assert_eq!(
            digest, CURRENT_OBJECTS_DIGEST,
            "a migration changed: set CURRENT_OBJECTS_DIGEST to {digest:?}"
        );
        // The digest tells lists apart: one object's SQL changed, or one
        // object less, gives another value.
        let mut other = expected.clone();
        other[0].3 = other[0].3.as_ref().map(|s| format!("{s} "));
        assert_ne!(objects_digest(&other), digest);
        assert_ne!(objects_digest(&expected[1..]), digest);
    }

    /// Attack review 15: lists whose fields concatenate alike, NULL against
    /// empty SQL, a field that holds what looks like the encoding of the
    /// next one: each list gets its own digest (a shared one would let a
    /// changed schema take the shortcut of the current one).
    #[test]
    fn attack_the_objects_digest_encodes_no_two_lists_alike() {
        let o = |t: &str, n: &str, tbl: &str, sql: Option<&str>| -> Object {
            (t.into(), n.into(), tbl.into(), sql.map(Into::into))
        };
        let fake_next = format!("a{}", String::from_utf8_lossy(&[1, 1, 0, 0, 0, 0, 0, 0, 0]));
        let lists: Vec<Vec<Object>> = vec![
            vec![o("table", "ab", "c", Some("x"))],
            vec![o("table", "a", "bc", Some("x"))],
            vec![o("table", "a", "b", None)],
            vec![o("table", "a", "b", Some(""))],
            vec![o("table", "a", "b", Some("\0"))],
            vec![o("index", "a", "b", None), o("index", "c", "d", None)],
            vec![o("index", "a", "b", None)],
            vec![o("index", &fake_next, "b", None)],
            vec![],
        ];
        let digests: std::collections::HashSet<[u8; 32]> =
            lists.iter().map(|l| objects_digest(l)).collect();
        assert_eq!(digests.len(), lists.len(), "two lists share a digest");
    }

    /// Attack review 15, L1: a file whose version pragma is negative. Its
    /// objects were compared with every migration's (`take(-1 as usize)`)
    /// and `migrate` skipped every migration (`skip(-1 as usize)`): the file
    /// opened, and would never be migrated by a later coffer.
    /// Every open's two reads of the log by kind use the index (schema
    /// 11), never a scan of the whole log (issue 14: they were 1,439 of
    /// the 1,573 pages a `coffer get` read on a vault of 10,000
    /// credentials). Fails if the index or its use goes.
    #[test]
    fn the_opens_reads_of_the_log_by_kind_use_the_index() {
        let mut c = Connection::open_in_memory().expect("db");
        migrate(&mut c).expect("migrate");
        for sql in [crate::anchor::GENESIS_QUERY, crate::vault::PINNED_QUERY] {
            let mut st = c
                .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
                .expect("plan");
            let params: Vec<i64> = (1..=st.parameter_count() as i64).collect();
            let plan: Vec<String> = st
                .query_map(rusqlite::params_from_iter(params), |r| {
                    r.get::<_, String>(3)
                })
                .expect("rows")
                .collect::<std::result::Result<_, _>>()
                .expect("plan rows");
            let plan = plan.join(" | ");
            assert!(plan.contains("USING INDEX ops_kind"), "{sql}: {plan}");
            assert!(!plan.contains("SCAN ops"), "{sql}: {plan}");
        }
    }

    /// The index on the log's `kind` is not covered by a replica's seal:
    /// someone who writes the file can make it leave entries out. Only the
    /// open's two queries may read through it, because an entry missing
    /// to them refuses the open (docs/design-decisions.md, "Every open
    /// read the whole log"). Every other query that picks log entries by
    /// kind decides something from what it finds (revocation cuts in sync,
    /// wraps to revoked members, the exposure report) and must read the
    /// table itself: `FROM ops NOT INDEXED`. This scans the crate's
    /// non-test code for SQL that does not.
    #[test]
    fn attack_only_the_opens_two_queries_pick_log_entries_through_the_kind_index() {
        fn rs_files(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
            for e in std::fs::read_dir(dir).expect("read src") {
                let p = e.expect("entry").path();
                if p.is_dir() {
                    rs_files(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(p);
                }
            }
        }
        let mut files = Vec::new();
        rs_files(
            &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
            &mut files,
        );
        assert!(files.len() > 20, "the crate's sources are found");
        let allowed = [crate::anchor::GENESIS_QUERY, crate::vault::PINNED_QUERY];
        let mut through_index = Vec::new();
        let mut seen = 0;
        for f in &files {
            let text = std::fs::read_to_string(f).expect("read");
            let code = text.split("#[cfg(test)]").next().unwrap_or("");
            for (i, _) in code.match_indices("FROM ops") {
                let after = &code[i + "FROM ops".len()..];
                if !after.starts_with(char::is_whitespace) {
                    continue; // another table (ops_v6_rows, ops_feed)
                }
                // The SQL up to the end of its string literal.
                let clause = &after[..after.find('"').unwrap_or(after.len())];
                if !clause.contains("kind") {
                    continue;
                }
                seen += 1;
                let sql = format!("FROM ops{clause}");
                let ok = clause.trim_start().starts_with("NOT INDEXED")
                    || allowed.iter().any(|q| q.contains(&sql));
                if !ok {
                    through_index.push(format!("{}: {}", f.display(), sql.trim()));
                }
            }
        }
        assert!(seen >= 8, "the queries by kind are found ({seen})");
        assert!(
            through_index.is_empty(),
            "queries that pick log entries by kind through the unsealed index:\n{}",
            through_index.join("\n")
        );
    }

    /// A revocation's cut (`team::FEED_CUT_QUERY`) reads the sealed table,
    /// not the log's indexes, which someone who writes the file could edit
    /// to move the cut. Fails if the plan uses any index of `ops`.
    #[test]
    fn attack_a_revocations_cut_reads_no_index_of_the_log() {
        let mut c = Connection::open_in_memory().expect("db");
        migrate(&mut c).expect("migrate");
        let plan: Vec<String> = c
            .prepare(&format!(
                "EXPLAIN QUERY PLAN {}",
                crate::team::FEED_CUT_QUERY
            ))
            .expect("plan")
            .query_map([1], |r| r.get::<_, String>(3))
            .expect("rows")
            .collect::<std::result::Result<_, _>>()
            .expect("plan rows");
        let plan = plan.join(" | ");
        assert!(!plan.contains("INDEX"), "{plan}");
        assert!(plan.contains("SCAN ops"), "{plan}");
    }

    #[test]
    fn fail_a_negative_schema_version_is_refused() {
        let mut c = Connection::open_in_memory().expect("open");
        migrate(&mut c).expect("migrate");
        c.pragma_update(None, "user_version", -1).expect("lower");
        let r = check_objects(&c).and_then(|()| migrate(&mut c));
        assert!(r.is_err(), "a negative schema version was accepted");
    }

    #[test]
    fn migrates_once_and_refuses_newer() {
        let mut c = Connection::open_in_memory().expect("open");
        migrate(&mut c).expect("migrate");
        migrate(&mut c).expect("idempotent");
        let v: i64 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .expect("version");
        assert_eq!(v, SCHEMA_VERSION);
        c.pragma_update(None, "user_version", SCHEMA_VERSION + 1)
            .expect("bump");
        assert!(matches!(migrate(&mut c), Err(Error::Refused(_))));
    }
}
