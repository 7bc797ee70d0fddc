//! Attack review 13: the blind name index (schema 12, `names.rs`) and a
//! sealed replica's integrity check at open (`replica::indexes_agree`).
//!
//! The name index claims that a lookup by name answers exactly what the
//! full load of the environment would answer, whatever `name_index`
//! holds; the integrity check claims that an index edited to disagree with
//! its table is refused before a query reads through it. Each `attack_*`
//! test states the attack and asserts the secure outcome.
#![allow(dead_code, unused_imports)]

mod common;

use std::path::Path;

use coffer_crypto::Id;
use coffer_vault::{ErrorKind, Vault};
use common::attack_fx::*;
use common::sync_fx::*;
use common::*;
use rusqlite::types::Value;
use rusqlite::Connection;

// ----- helpers ---------------------------------------------------------------

/// The name index's entries of `env_id`: (item id, tag, mac).
fn name_entries(path: &Path, env_id: &[u8]) -> Vec<(Vec<u8>, Vec<u8>, Vec<u8>)> {
    let c = Connection::open(path).expect("open");
    let mut st = c
        .prepare("SELECT item_id, tag, mac FROM name_index WHERE env_id = ?1 ORDER BY item_id")
        .expect("prepare");
    let r = st
        .query_map([env_id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query");
    r.collect::<Result<_, _>>().expect("rows")
}

/// The tag of `item`'s entry.
fn tag_of(path: &Path, item: &Id) -> Vec<u8> {
    Connection::open(path)
        .expect("open")
        .query_row(
            "SELECT tag FROM name_index WHERE item_id = ?1",
            [&item.0[..]],
            |r| r.get(0),
        )
        .expect("entry")
}

/// The kind and message of a failed lookup.
fn failure<T: std::fmt::Debug>(r: coffer_vault::Result<T>) -> (ErrorKind, String) {
    let e = r.expect_err("the lookup fails");
    (e.kind(), e.to_string())
}

/// The rowid of `item` in `items` (read from the table).
fn item_rowid(path: &Path, item: &Id) -> i64 {
    Connection::open(path)
        .expect("open")
        .query_row(
            "SELECT rowid FROM items NOT INDEXED WHERE id = ?1",
            [&item.0[..]],
            |r| r.get(0),
        )
        .expect("rowid")
}

/// Items of `env_id` as `items_env` lists them, and as the table does.
fn items_env_counts(path: &Path, env_id: &[u8]) -> (i64, i64) {
    let c = Connection::open(path).expect("open");
    let through: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM items INDEXED BY items_env WHERE env_id = ?1",
            [env_id],
            |r| r.get(0),
        )
        .expect("indexed");
    let table: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM items NOT INDEXED WHERE env_id = ?1",
            [env_id],
            |r| r.get(0),
        )
        .expect("table");
    (through, table)
}

/// Edits the b-tree of `index` through SQL alone, leaving its table as it
/// was: a `WITHOUT ROWID` table `zz` whose records are laid out as the
/// index's (its columns, then the rowid) is declared over the index's
/// root page with `writable_schema`, `edit` runs on it, and the
/// declaration is taken out again. Every step is an ordinary SQLite
/// commit (a live handle's `data_version` moves), and the schema ends as
/// it began.
fn edit_index(path: &Path, index: &str, ncols: usize, edit: &str) {
    let (_, root) = root_of(path, index);
    let cols: Vec<String> = (0..ncols).map(|i| format!("c{i}")).collect();
    {
        let c = Connection::open(path).expect("open");
        c.execute_batch("PRAGMA writable_schema = ON")
            .expect("writable");
        c.execute(
            "INSERT INTO sqlite_master (type, name, tbl_name, rootpage, sql) VALUES ('table', 'zz', 'zz', ?1, ?2)",
            rusqlite::params![
                root as i64,
                format!(
                    "CREATE TABLE zz({}, PRIMARY KEY ({})) WITHOUT ROWID",
                    cols.join(", "),
                    cols.join(", ")
                )
            ],
        )
        .expect("declare");
    }
    {
        let c = Connection::open(path).expect("open");
        c.execute_batch(edit).expect("edit");
        c.execute_batch(
            "PRAGMA writable_schema = ON; DELETE FROM sqlite_master WHERE name = 'zz';",
        )
        .expect("undeclare");
    }
}

/// Asserts that Ada's replica is refused by its seal (no hang).
#[track_caller]
fn refused_by_the_seal(fx: &Fx) {
    match open_within(fx, 60).expect("no hang") {
        Ok(_) => panic!("the edited replica opened"),
        Err(e) => assert!(
            e.to_string().contains("changed outside this device"),
            "refused, but not by the seal: {e}"
        ),
    }
}

// ----- change 1: the blind name index ---------------------------------------

/// ATTACK: a vault file that is not a private replica (no seal: whoever
/// writes the file writes it) has a credential's blob edited, after the
/// name index of its environment was written. A full load refuses the
/// environment there (an item that does not open is an integrity error
/// in a shared file); a lookup of ANOTHER name through the index would
/// open only that name's credential and answer.
/// RESISTED: the edited credential's entry binds its blob, so it no
/// longer holds, every lookup of the environment loads it all, and each
/// answers the full load's integrity error (get, info, history, rm, set).
#[test]
fn attack_a_neighbours_edited_blob_in_a_shared_file_fails_every_lookup() {
    let (fx, items) = standard();
    {
        let mut v = fx.open();
        assert!(!v.is_private_replica());
        for _ in 0..2 {
            assert_eq!(read(&mut v, PROD, "API_KEY").as_deref(), Ok(API_V2));
        }
        let pid = env_id(&fx.db(), PROD);
        assert_eq!(
            name_entries(&fx.path, &pid).len(),
            2,
            "the index is written"
        );
    }
    {
        let c = fx.db();
        let blob: Vec<u8> = c
            .query_row(
                "SELECT v.blob FROM item_versions v JOIN items i ON i.id = v.item_id
                 AND v.version = i.current_version WHERE i.id = ?1",
                [&items.db.0[..]],
                |r| r.get(0),
            )
            .expect("blob");
        let mut b = blob.clone();
        let n = b.len();
        b[n - 1] ^= 0x01;
        c.execute(
            "UPDATE item_versions SET blob = ?1 WHERE item_id = ?2 AND blob = ?3",
            rusqlite::params![b, &items.db.0[..], blob],
        )
        .expect("edit blob");
    }
    let mut v = fx.open();
    // The full load's answer.
    assert_integrity("list", v.list_items(Some(PROD), 14));
    // Every lookup by another name answers the same.
    assert_integrity("get", v.get_item(PROD, "API_KEY"));
    assert_integrity("info", v.item_info(PROD, "API_KEY"));
    assert_integrity("history", v.history(PROD, "API_KEY", false));
    assert_integrity("copy", v.copy_item_value(PROD, "API_KEY"));
    assert_integrity("set", v.set_item(PROD, "API_KEY", value("x")));
    assert_integrity("rm", v.remove_item(PROD, "API_KEY"));
    // The other environment is not affected.
    assert_eq!(read(&mut v, DEV, "OTHER").as_deref(), Ok(OTHER_VALUE));
}

/// ATTACK: a name that does not exist, looked up through the index (every
/// entry holds, no credential is opened) and through the full load (no
/// entries): any difference in the error's kind or message tells the two
/// paths apart, or changes what a script sees.
/// RESISTED: get, info, copy, history, rm and rotate answer the same kind
/// and message either way ("NOPE in web/prod", not found).
#[test]
fn attack_a_missing_name_fails_the_same_through_the_index_and_without() {
    let (fx, _) = standard();
    let pid = env_id(&fx.db(), PROD);
    let mut v = fx.open();
    type Lookup = fn(&mut Vault) -> (ErrorKind, String);
    let lookups: Vec<(&str, Lookup)> = vec![
        ("get", |v| failure(v.get_item(PROD, "NOPE"))),
        ("info", |v| failure(v.item_info(PROD, "NOPE"))),
        ("copy", |v| failure(v.copy_item_value(PROD, "NOPE"))),
        ("history", |v| failure(v.history(PROD, "NOPE", true))),
        ("rm", |v| failure(v.remove_item(PROD, "NOPE"))),
        ("rotate", |v| {
            failure(v.rotate_item(PROD, "NOPE", secret("n")))
        }),
    ];
    for (what, f) in &lookups {
        // Without entries: the full load decides.
        fx.db()
            .execute("DELETE FROM name_index", [])
            .expect("clear");
        let full = f(&mut v);
        assert_eq!(full.0, ErrorKind::NotFound, "{what}: {}", full.1);
        assert!(full.1.contains("NOPE in web/prod"), "{what}: {}", full.1);
        // Entries written by a lookup that succeeds, then held.
        read(&mut v, PROD, "API_KEY").expect("get");
        read(&mut v, PROD, "API_KEY").expect("get");
        assert_eq!(name_entries(&fx.path, &pid).len(), 2, "{what}");
        let through = f(&mut v);
        assert_eq!(through, full, "{what}: the index changes the failure");
    }
}

/// ATTACK: a reader of the file compares tags: the same name in two
/// environments, or in one environment before and after a re-key, would
/// have equal tags if the key did not depend on them, linking credentials
/// across environments and epochs.
/// RESISTED: the key is derived with the environment's id and epoch (and
/// key): the tags of "SAME" differ across environments and epochs, and no
/// two entries of different credentials share a tag.
#[test]
fn attack_equal_names_in_other_environments_or_epochs_have_unrelated_tags() {
    let (fx, _) = standard();
    let mut v = fx.open();
    let p = v.set_item(PROD, "SAME", value("p")).expect("set").id;
    let d = v.set_item(DEV, "SAME", value("d")).expect("set").id;
    for env in [PROD, DEV] {
        for _ in 0..2 {
            read(&mut v, env, "SAME").expect("get");
        }
    }
    let (tp, td) = (tag_of(&fx.path, &p), tag_of(&fx.path, &d));
    assert_eq!((tp.len(), td.len()), (32, 32));
    assert_ne!(tp, td, "the same name, two environments, one tag");
    v.rekey_env(PROD).expect("rekey");
    for _ in 0..2 {
        read(&mut v, PROD, "SAME").expect("get");
    }
    let tp2 = tag_of(&fx.path, &p);
    assert_ne!(tp2, tp, "the same name, two epochs, one tag");
    let all: Vec<Vec<u8>> = rows(&fx.db(), "SELECT tag FROM name_index")
        .into_iter()
        .map(|r| match &r[0] {
            Value::Blob(b) => b.clone(),
            other => panic!("tag {other:?}"),
        })
        .collect();
    let mut distinct = all.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(distinct.len(), all.len(), "two credentials share a tag");
}

/// ATTACK: the index of a long-lived handle was written, then sync brings
/// a teammate's changes that keep some rows the entries were made for: the
/// credential named API_KEY removed and created again (a new item, the
/// old one's entry still holding for its rows), and a concurrent version
/// of DB_PASS adopted. The old entries are planted back afterwards.
/// RESISTED: an entry counts only for a live credential and only while
/// its rows are the ones stored: the same handle answers the new values,
/// through the full load and then through the index written again.
#[test]
fn attack_entries_written_before_a_sync_never_answer_after_it() {
    let (fx, _remote, bob, _carol) = team(folder_remote);
    let pid = env_id(&fx.db(), PROD);
    let mut a = fx.open();
    let old_api = a.get_item(PROD, "API_KEY").expect("get").0.id;
    for _ in 0..2 {
        assert_eq!(read(&mut a, PROD, "API_KEY").as_deref(), Ok(API_V2));
        assert_eq!(read(&mut a, PROD, "DB_PASS").as_deref(), Ok(DB_VALUE));
    }
    let old = name_entries(&fx.path, &pid);
    assert_eq!(old.len(), 2);
    {
        let mut b = bob.open();
        b.remove_item(PROD, "API_KEY").expect("bob rm");
        b.set_item(PROD, "API_KEY", value("from-bob"))
            .expect("bob creates");
        b.set_item(PROD, "DB_PASS", value("bob-db"))
            .expect("bob updates");
        b.sync().expect("bob syncs");
    }
    a.sync().expect("ada syncs");
    for round in 0..3 {
        assert_eq!(
            read(&mut a, PROD, "API_KEY").as_deref(),
            Ok("from-bob"),
            "round {round}"
        );
        assert_eq!(
            read(&mut a, PROD, "DB_PASS").as_deref(),
            Ok("bob-db"),
            "round {round}"
        );
        let now = a.get_item(PROD, "API_KEY").expect("get").0;
        assert_ne!(now.id, old_api);
        assert!(!now.conflict, "round {round}: the removed item is no twin");
    }
    // The old entries, planted back beside the new ones.
    {
        let c = fx.db();
        for (item, tag, mac) in &old {
            c.execute(
                "INSERT OR REPLACE INTO name_index (env_id, item_id, tag, mac) VALUES (?1, ?2, ?3, ?4)",
                rusqlite::params![&pid, item, tag, mac],
            )
            .expect("plant");
        }
    }
    assert_eq!(read(&mut a, PROD, "API_KEY").as_deref(), Ok("from-bob"));
    assert_eq!(read(&mut a, PROD, "DB_PASS").as_deref(), Ok("bob-db"));
}

/// ATTACK: a writer of web/prod with a modified client (Mallory, who holds
/// the environment key) publishes a new version of DB_PASS whose sealed
/// name is "API_KEY": the credential is renamed into a twin of API_KEY.
/// Ada's long-lived handle had written the index before, with DB_PASS's
/// entry tagged "DB_PASS"; were it still trusted, `get API_KEY` would open
/// API_KEY alone (no twin, no conflict) and `get DB_PASS` would open a
/// credential no longer named so.
/// RESISTED: the entry binds the rows its name was read from; the new
/// version makes it fail, and the same handle answers as the full load
/// (the listing): API_KEY flagged as a conflict, DB_PASS not found.
#[test]
fn attack_a_version_renaming_a_credential_does_not_keep_its_old_tag() {
    use coffer_crypto::ItemKeyGeneration;
    use coffer_vault::ops::{OpBody, SealedUnder};
    let (fx, remote, _bob, vault_id, mallory) =
        team_with_mallory(coffer_vault::Role::Member, coffer_vault::Access::Write);
    let pid = env_id(&fx.db(), PROD);
    let mut a = fx.open();
    for _ in 0..2 {
        let (s, val) = a.get_item(PROD, "API_KEY").expect("get");
        assert_eq!((val.expose_secret(), s.conflict), (API_V2, false));
        read(&mut a, PROD, "DB_PASS").expect("get");
    }
    assert_eq!(
        name_entries(&fx.path, &pid).len(),
        2,
        "the index is written"
    );
    let (_, env, ep, ek) = held_env_key(&fx.path, &mallory, PROD);
    let db = a.item_info(PROD, "DB_PASS").expect("info").id;
    let cur_ct = ik_ct_of(&fx.path, &db);
    let ik = ek
        .open_item_key(&cur_ct, &item_ctx(vault_id, env, db, ep))
        .expect("item key");
    let it = stored_items(&fx.path, &env)
        .into_iter()
        .find(|i| i.id == db)
        .expect("DB_PASS");
    let last = it.versions.last().expect("version");
    let meta = last.meta;
    let version = last.version + 1;
    let pt = item_plaintext("API_KEY", "renamed-by-mallory");
    let blob = seal_blob(&ik, vault_id, env, db, version, &meta, &pt);
    let body = OpBody::SetItem {
        item_id: db,
        env_id: env,
        version,
        ik_ct: None,
        blob,
        meta,
        sealed_under: Some(SealedUnder {
            epoch: ep,
            item_key: ItemKeyGeneration::of_sealed(&cur_ct).0,
        }),
    };
    forge(&remote, vault_id, Id::make(), &mallory, &body, None);
    a.sync().expect("ada syncs");
    // The full load's answer (a listing opens everything).
    let listed: Vec<_> = a
        .list_items(Some(PROD), 14)
        .expect("list")
        .into_iter()
        .map(|s| (s.name, s.id, s.conflict))
        .collect();
    let api = listed
        .iter()
        .find(|(n, _, _)| n == "API_KEY")
        .expect("API_KEY listed")
        .clone();
    assert!(
        !listed.iter().any(|(n, _, _)| n == "DB_PASS"),
        "the forged version took effect: {listed:?}"
    );
    for round in 0..3 {
        let (s, _) = a.get_item(PROD, "API_KEY").expect("get");
        assert_eq!(
            (s.name.clone(), s.id, s.conflict),
            api,
            "round {round}: get disagrees with the listing"
        );
        assert_eq!(
            failure(a.get_item(PROD, "DB_PASS")).0,
            ErrorKind::NotFound,
            "round {round}"
        );
    }
}

/// ATTACK: in a sealed replica, whoever writes the file swaps the tags
/// (and MACs) of API_KEY's and DB_PASS's entries. `name_index` is a local
/// cache outside the seal's state tables, so the open does not refuse it;
/// trusted, the swap would send `get API_KEY` to DB_PASS's credential.
/// RESISTED: the open succeeds (a cache edit is no reason to refuse the
/// replica), and each lookup answers its own value: the swapped entries do
/// not hold, the full load decides and writes them again.
#[test]
fn attack_swapped_entries_in_a_sealed_replica_change_no_answer() {
    let (fx, _remote, _bob, _carol) = team(folder_remote);
    let pid = env_id(&fx.db(), PROD);
    {
        let mut a = fx.open();
        for _ in 0..2 {
            read(&mut a, PROD, "API_KEY").expect("get");
            read(&mut a, PROD, "DB_PASS").expect("get");
        }
    }
    let before = name_entries(&fx.path, &pid);
    assert_eq!(before.len(), 2);
    {
        let c = fx.db();
        for (i, (item, _, _)) in before.iter().enumerate() {
            let (_, tag, mac) = &before[1 - i];
            c.execute(
                "UPDATE name_index SET tag = ?1, mac = ?2 WHERE item_id = ?3",
                rusqlite::params![tag, mac, item],
            )
            .expect("swap");
        }
    }
    let mut a = match open_within(&fx, 60).expect("no hang") {
        Ok(v) => v,
        Err(e) => panic!("refused: {e}"),
    };
    for _ in 0..2 {
        assert_eq!(read(&mut a, PROD, "API_KEY").as_deref(), Ok(API_V2));
        assert_eq!(read(&mut a, PROD, "DB_PASS").as_deref(), Ok(DB_VALUE));
    }
    assert_eq!(name_entries(&fx.path, &pid), before, "written again");
}

// ----- change 2: the integrity check ------------------------------------------

/// ATTACK: while the app's handle is open on a sealed replica, `items_env`
/// is edited through SQL alone (a table declared over the index's root
/// page with `writable_schema`, then taken out): DB_PASS's entry is
/// removed, the tables and so the seal are untouched. The handle catches
/// up (`Vault::catch_up`, the app's poll).
/// RESISTED: the catch-up runs the seal's check, integrity check included,
/// and refuses with the seal's message; the next open refuses too.
#[test]
fn attack_an_index_edited_under_a_live_handle_is_refused_at_catch_up() {
    let (fx, _remote, _bob, _carol) = team(folder_remote);
    let db = item_id_of(&fx, PROD, "DB_PASS");
    let pid = env_id(&fx.db(), PROD);
    let mut v = fx.open();
    assert!(v.is_private_replica());
    assert_eq!(read(&mut v, PROD, "DB_PASS").as_deref(), Ok(DB_VALUE));
    assert!(!v.catch_up().expect("nothing new"));
    let rowid = item_rowid(&fx.path, &db);
    edit_index(
        &fx.path,
        "items_env",
        2,
        &format!("DELETE FROM zz WHERE c1 = {rowid}"),
    );
    let (through, table) = items_env_counts(&fx.path, &pid);
    assert_eq!(through + 1, table, "the edit hid DB_PASS from the index");
    match v.catch_up() {
        Ok(changed) => panic!("the catch-up accepted the edited index (changed: {changed})"),
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
            assert!(e.to_string().contains("changed outside this device"), "{e}");
        }
    }
    // The handle writes nothing more (a get logs a read).
    assert!(v.set_item(PROD, "NEW", value("n")).is_err());
    drop(v);
    refused_by_the_seal(&fx);
}

/// ATTACK: the index edit arrives as a `-wal` file planted beside a sealed
/// replica (built on a copy of it: a valid WAL whose frames rewrite
/// `items_env` without DB_PASS), with no `-shm`; the main file is
/// untouched.
/// RESISTED: the open reads through the WAL, and its integrity check sees
/// the index the WAL makes: refused by the seal.
#[test]
fn attack_an_index_edit_in_a_planted_wal_is_refused() {
    let (fx, _remote, _bob, _carol) = team(folder_remote);
    let db = item_id_of(&fx, PROD, "DB_PASS");
    let pid = env_id(&fx.db(), PROD);
    {
        let c = fx.db();
        c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
            .expect("checkpoint");
    }
    let rowid = item_rowid(&fx.path, &db);
    let scratch = fx.dir.path().join("scratch.coffer");
    std::fs::copy(&fx.path, &scratch).expect("copy");
    let wal = {
        let (_, root) = root_of(&scratch, "items_env");
        let c = Connection::open(&scratch).expect("scratch");
        let mode: String = c
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .expect("mode");
        assert_eq!(mode, "wal");
        c.execute_batch("PRAGMA wal_autocheckpoint = 0; PRAGMA writable_schema = ON;")
            .expect("pragmas");
        c.execute(
            "INSERT INTO sqlite_master (type, name, tbl_name, rootpage, sql) VALUES ('table', 'zz', 'zz', ?1,
             'CREATE TABLE zz(c0, c1, PRIMARY KEY (c0, c1)) WITHOUT ROWID')",
            [root as i64],
        )
        .expect("declare");
        drop(c);
        let c = Connection::open(&scratch).expect("scratch");
        c.execute_batch("PRAGMA wal_autocheckpoint = 0;")
            .expect("pragmas");
        c.execute_batch(&format!(
            "DELETE FROM zz WHERE c1 = {rowid};
             PRAGMA writable_schema = ON; DELETE FROM sqlite_master WHERE name = 'zz';"
        ))
        .expect("edit");
        // The WAL as it is while the connection is open (closing it would
        // fold it into the scratch file).
        let wal = std::fs::read(scratch.with_extension("coffer-wal")).expect("wal");
        drop(c);
        wal
    };
    assert!(!wal.is_empty());
    let _ = std::fs::remove_file(fx.path.with_extension("coffer-shm"));
    std::fs::write(fx.path.with_extension("coffer-wal"), &wal).expect("plant wal");
    refused_by_the_seal(&fx);
    // The WAL took: the index hides DB_PASS (the refused open's close
    // folded it into the file).
    let (through, table) = items_env_counts(&fx.path, &pid);
    assert_eq!(through + 1, table, "the WAL hid DB_PASS from the index");
}

/// Hides DB_PASS in the replica's `items` table (a state row the seal
/// covers; the log is not touched).
fn hide_db_pass_row(fx: &Fx, db: &Id) {
    fx.db()
        .execute("UPDATE items SET deleted_at = 1 WHERE id = ?1", [&db.0[..]])
        .expect("edit row");
}

/// ATTACK (the live handle, with the seal): while the app's handle is open
/// on a sealed replica, a state row is edited through SQLite by another
/// program (DB_PASS marked deleted; the log is not touched), and the app
/// writes before its next poll (`catch_up` runs every 250 ms, and skips a
/// round while a command holds the vault). `apply_batch` does not look
/// at `data_version`: the write recomputes the state digest from the
/// tables as they now are, and seals the edit.
/// FINDING (fixed: `begin_checked!` in `apply_batch`, sync and the denial
/// record checks `data_version` inside the write lock, and runs the open's
/// checks first if another connection committed): the next open accepted the edited row (DB_PASS gone, with no
/// removal in the log; only an explicit `audit verify` still reports
/// "table 'items' differs from what the op log says"); the same edit made
/// while no handle is open is refused by the seal (the control below). Secure outcome asserted: the
/// open after the app's write is refused, or the write itself is.
#[test]
fn attack_a_row_edited_under_a_live_handle_is_not_sealed_by_its_next_write() {
    // Control: the seal covers the row.
    {
        let (fx, _remote, _bob, _carol) = team(folder_remote);
        let db = item_id_of(&fx, PROD, "DB_PASS");
        hide_db_pass_row(&fx, &db);
        refused_by_the_seal(&fx);
    }
    let (fx, _remote, _bob, _carol) = team(folder_remote);
    let db = item_id_of(&fx, PROD, "DB_PASS");
    let mut app = fx.open();
    assert!(!app.catch_up().expect("poll"));
    hide_db_pass_row(&fx, &db);
    // The app writes before its poll has seen the outside commit.
    let wrote = app.set_item(PROD, "FROM_APP", value("app-value"));
    drop(app);
    match open_within(&fx, 60).expect("no hang") {
        Err(e) => assert!(e.to_string().contains("changed outside this device"), "{e}"),
        Ok(mut v) => {
            let db_pass = read(&mut v, PROD, "DB_PASS");
            let verify = v.verify().map(|r| r.problems);
            panic!(
                "the edited row was sealed by the app's write ({wrote:?}): DB_PASS reads \
                 {db_pass:?}; audit verify: {verify:?}"
            )
        }
    }
}

/// ATTACK (the live handle, with the integrity check): `items_env` is
/// edited through SQL by another program while the app's handle is open
/// (DB_PASS's entry removed), and the app reads before its next poll.
/// FINDING (low; fixed: the app runs `Vault::check_current` before every
/// command, `Session::with_vault`): between the outside commit and the next `catch_up`,
/// every query of the handle reads through the edited index: DB_PASS is
/// missing from the listing and `get` says it does not exist. The poll
/// refuses the file within 250 ms and the next open does too, so the
/// window is one poll (longer while a command holds the vault). Secure
/// outcome asserted: the read is refused (or answers the table).
#[test]
fn attack_an_index_edited_under_a_live_handle_is_not_read_before_catch_up() {
    let (fx, _remote, _bob, _carol) = team(folder_remote);
    let db = item_id_of(&fx, PROD, "DB_PASS");
    let mut app = fx.open();
    assert!(!app.catch_up().expect("poll"));
    let rowid = item_rowid(&fx.path, &db);
    edit_index(
        &fx.path,
        "items_env",
        2,
        &format!("DELETE FROM zz WHERE c1 = {rowid}"),
    );
    // What the app does before every command (`Session::with_vault`).
    let e = app
        .check_current()
        .expect_err("the handle checks the file another program changed");
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    assert!(e.to_string().contains("changed outside this device"), "{e}");
    // And the handle stays refused, for reads as for writes.
    assert!(app.check_current().is_err());
    assert!(app.set_item(PROD, "AFTER", value("x")).is_err());
}

/// ATTACK: the file header's reserved-bytes field (offset 20) of a sealed
/// replica is raised, so SQLite takes the last bytes of every page for
/// reserved space: cells that lie there are read as cut short, and what
/// an index or table page says shifts without any row's value changing.
/// RESISTED: the open is refused by the seal's integrity check (pages whose
/// cells overrun the usable space), without a hang.
#[test]
fn attack_reserved_bytes_in_the_header_refuse_the_open() {
    for reserved in [8u8, 64] {
        let (fx, _remote, _bob, _carol) = team(folder_remote);
        {
            let c = fx.db();
            c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
                .expect("checkpoint");
        }
        let mut file = std::fs::read(&fx.path).expect("read");
        assert_eq!(file[20], 0);
        file[20] = reserved;
        std::fs::write(&fx.path, file).expect("write");
        refused_by_the_seal(&fx);
    }
}

/// ATTACK: a reader of the file (no key) compares entries over time. A
/// tag is a deterministic function of the name under one environment key
/// and epoch: a credential removed and created again under the same name
/// gets the tag its predecessor had (both sit in the file at once until
/// the next full load rewrites the environment's entries, and any two
/// copies of the file show it), and twins show as equal tags.
/// FINDING (low; fixed: the tag now covers the credential's id, so equal
/// names of two credentials have unrelated tags):
/// design-decisions.md says "nothing about a name without the key", but
/// the file tells which credentials share a name, within one environment
/// and epoch. Secure outcome asserted: the re-created credential's tag is
/// not its predecessor's.
#[test]
fn attack_a_recreated_name_is_not_linked_to_its_predecessor() {
    let (fx, items) = standard();
    let mut v = fx.open();
    for _ in 0..2 {
        read(&mut v, PROD, "API_KEY").expect("get");
    }
    let old = tag_of(&fx.path, &items.api);
    v.remove_item(PROD, "API_KEY").expect("rm");
    let new = v
        .set_item(PROD, "API_KEY", value("recreated"))
        .expect("set")
        .id;
    for _ in 0..2 {
        read(&mut v, PROD, "API_KEY").expect("get");
    }
    assert_ne!(tag_of(&fx.path, &new), old, "the re-created name is linked");
}
