//! Tampering with a vault or identity file outside coffer is detected: an
//! integrity error from `get` / `ls` / `history`, and/or `verify()` not ok —
//! never a panic, never a wrong value (DESIGN.md §3–§4).
//!
//! Each test builds a vault through the library, closes it, edits the SQLite
//! file (or `identity.json`) directly, reopens it and checks.

mod common;

use std::path::Path;

use coffer_crypto::{KdfParams, PublicKeys};
use coffer_vault::{ErrorKind, IdentityStore, Vault};
use common::*;
use rusqlite::{params, Connection};

// ----- helpers -------------------------------------------------------------

fn flip_byte(b: &mut [u8]) {
    let i = b.len() / 2;
    b[i] ^= 0x01;
}

fn version_blob(c: &Connection, item: &[u8], version: i64) -> Vec<u8> {
    c.query_row(
        "SELECT blob FROM item_versions WHERE item_id = ?1 AND version = ?2",
        params![item, version],
        |r| r.get(0),
    )
    .expect("blob")
}

fn set_version_blob(c: &Connection, item: &[u8], version: i64, blob: &[u8]) {
    let n = c
        .execute(
            "UPDATE item_versions SET blob = ?3 WHERE item_id = ?1 AND version = ?2",
            params![item, version, blob],
        )
        .expect("update blob");
    assert_eq!(n, 1);
}

fn ik_ct(c: &Connection, item: &[u8]) -> Vec<u8> {
    c.query_row("SELECT ik_ct FROM items WHERE id = ?1", [item], |r| {
        r.get(0)
    })
    .expect("ik_ct")
}

fn set_ik_ct(c: &Connection, item: &[u8], ct: &[u8]) {
    let n = c
        .execute(
            "UPDATE items SET ik_ct = ?2 WHERE id = ?1",
            params![item, ct],
        )
        .expect("update ik_ct");
    assert_eq!(n, 1);
}

fn exec(c: &Connection, sql: &str) {
    c.execute_batch(sql).expect(sql);
}

/// `get`, `ls` of the environment and `history` all fail with an integrity
/// error, and `verify` reports it.
#[track_caller]
fn assert_item_detected(v: &mut Vault, env: &str, key: &str) {
    assert_integrity("get", v.get_item(env, key));
    assert_integrity("ls", v.list_items(Some(env), 14));
    assert_integrity("history", v.history(env, key, false));
    assert_verify_flags(v);
}

// ----- item ciphertexts ----------------------------------------------------

#[test]
fn flipped_byte_in_current_blob_is_detected() {
    let (fx, it) = standard();
    {
        let c = fx.db();
        let mut b = version_blob(&c, &it.api.0, 2);
        flip_byte(&mut b);
        set_version_blob(&c, &it.api.0, 2, &b);
    }
    let mut v = fx.open();
    assert_item_detected(&mut v, PROD, "API_KEY");
    // The other environment is untouched and still reads.
    let (_, val) = v.get_item(DEV, "OTHER").expect("dev still reads");
    assert_eq!(val.expose_secret(), OTHER_VALUE);
}

#[test]
fn flipped_byte_in_old_version_is_detected_by_history_and_verify() {
    let (fx, it) = standard();
    {
        let c = fx.db();
        let mut b = version_blob(&c, &it.api.0, 1);
        flip_byte(&mut b);
        set_version_blob(&c, &it.api.0, 1, &b);
    }
    let mut v = fx.open();
    // The current version is intact: reading it returns the right value.
    let (_, val) = v.get_item(PROD, "API_KEY").expect("current version");
    assert_eq!(val.expose_secret(), API_V2);
    assert_integrity("history", v.history(PROD, "API_KEY", false));
    assert_integrity("history --reveal", v.history(PROD, "API_KEY", true));
    assert_verify_flags(&mut v);
}

#[test]
fn flipped_byte_in_item_key_is_detected() {
    let (fx, it) = standard();
    {
        let c = fx.db();
        let mut ct = ik_ct(&c, &it.db.0);
        flip_byte(&mut ct);
        set_ik_ct(&c, &it.db.0, &ct);
    }
    let mut v = fx.open();
    assert_item_detected(&mut v, PROD, "DB_PASS");
    assert_integrity("get of a sibling", v.get_item(PROD, "API_KEY"));
}

#[test]
fn truncated_and_emptied_ciphertexts_are_detected() {
    for (what, f) in [
        (
            "truncated blob",
            (|b: &mut Vec<u8>| b.truncate(10)) as fn(&mut Vec<u8>),
        ),
        ("empty blob", |b: &mut Vec<u8>| b.clear()),
        ("extended blob", |b: &mut Vec<u8>| b.push(0)),
    ] {
        let (fx, it) = standard();
        {
            let c = fx.db();
            let mut b = version_blob(&c, &it.api.0, 2);
            f(&mut b);
            set_version_blob(&c, &it.api.0, 2, &b);
            let mut ct = ik_ct(&c, &it.db.0);
            f(&mut ct);
            set_ik_ct(&c, &it.db.0, &ct);
        }
        let mut v = fx.open();
        assert_integrity(what, v.get_item(PROD, "API_KEY"));
        assert_integrity(what, v.get_item(PROD, "DB_PASS"));
        assert_verify_flags(&mut v);
    }
}

#[test]
fn swapped_blobs_between_items_are_detected() {
    let (fx, it) = standard();
    {
        let c = fx.db();
        let a = version_blob(&c, &it.api.0, 1);
        let d = version_blob(&c, &it.db.0, 1);
        set_version_blob(&c, &it.api.0, 1, &d);
        set_version_blob(&c, &it.db.0, 1, &a);
    }
    let mut v = fx.open();
    // DB_PASS's current version is now API_KEY's first blob.
    assert_item_detected(&mut v, PROD, "DB_PASS");
}

#[test]
fn swapped_blobs_and_item_keys_between_items_are_detected() {
    let (fx, it) = standard();
    {
        let c = fx.db();
        // Make both items' current version 1 so whole items swap.
        exec(&c, "PRAGMA foreign_keys = OFF");
        let (a_b, d_b) = (
            version_blob(&c, &it.api.0, 2),
            version_blob(&c, &it.db.0, 1),
        );
        let (a_k, d_k) = (ik_ct(&c, &it.api.0), ik_ct(&c, &it.db.0));
        set_version_blob(&c, &it.api.0, 2, &d_b);
        set_version_blob(&c, &it.db.0, 1, &a_b);
        set_ik_ct(&c, &it.api.0, &d_k);
        set_ik_ct(&c, &it.db.0, &a_k);
    }
    let mut v = fx.open();
    assert_item_detected(&mut v, PROD, "API_KEY");
}

#[test]
fn swapped_item_ids_are_detected() {
    // Swap the identities of two items (ids in items and item_versions), so
    // each id now points at the other's ciphertexts.
    let (fx, it) = standard();
    {
        let c = fx.db();
        exec(&c, "PRAGMA foreign_keys = OFF");
        let tmp = [0xEEu8; 16];
        for (from, to) in [
            (&it.api.0[..], &tmp[..]),
            (&it.db.0[..], &it.api.0[..]),
            (&tmp[..], &it.db.0[..]),
        ] {
            c.execute("UPDATE items SET id = ?2 WHERE id = ?1", params![from, to])
                .expect("swap id");
            c.execute(
                "UPDATE item_versions SET item_id = ?2 WHERE item_id = ?1",
                params![from, to],
            )
            .expect("swap versions");
        }
    }
    let mut v = fx.open();
    assert_integrity("ls", v.list_items(Some(PROD), 14));
    assert_integrity("get", v.get_item(PROD, "API_KEY"));
    assert_verify_flags(&mut v);
}

#[test]
fn item_moved_to_another_environment_is_detected() {
    let (fx, it) = standard();
    {
        let c = fx.db();
        let dev = env_id(&c, DEV);
        let n = c
            .execute(
                "UPDATE items SET env_id = ?2 WHERE id = ?1",
                params![&it.api.0[..], dev],
            )
            .expect("move");
        assert_eq!(n, 1);
    }
    let mut v = fx.open();
    // In its new environment it does not open (its key and blob are bound
    // to web/prod), so nothing from prod is ever served as a dev value.
    assert_integrity("ls dev", v.list_items(Some(DEV), 14));
    assert_integrity("get dev", v.get_item(DEV, "OTHER"));
    assert_integrity("get moved item from dev", v.get_item(DEV, "API_KEY"));
    // From prod it is simply gone.
    let e = v.get_item(PROD, "API_KEY").expect_err("moved away");
    assert_eq!(e.kind(), ErrorKind::NotFound);
    assert_verify_flags(&mut v);
}

#[test]
fn items_swapped_between_environments_are_detected() {
    // The attacker also moves the dev item to prod (a swap of environments).
    let (fx, it) = standard();
    {
        let c = fx.db();
        let dev = env_id(&c, DEV);
        let prod = env_id(&c, PROD);
        c.execute(
            "UPDATE items SET env_id = ?2 WHERE id = ?1",
            params![&it.other.0[..], prod],
        )
        .expect("move");
        c.execute(
            "UPDATE items SET env_id = ?2 WHERE id = ?1",
            params![&it.db.0[..], dev],
        )
        .expect("move");
    }
    let mut v = fx.open();
    assert_integrity("get OTHER from prod", v.get_item(PROD, "OTHER"));
    assert_integrity("get DB_PASS from dev", v.get_item(DEV, "DB_PASS"));
    assert_verify_flags(&mut v);
}

// ----- epochs --------------------------------------------------------------

#[test]
fn replayed_ciphertexts_of_an_old_epoch_are_detected() {
    let (fx, it) = standard();
    let (old_ct, old_blob) = {
        let c = fx.db();
        (ik_ct(&c, &it.db.0), version_blob(&c, &it.db.0, 1))
    };
    {
        let mut v = fx.open();
        assert_eq!(v.rekey_env(PROD).expect("rekey"), 2);
        assert!(v.verify().expect("verify").ok());
    }
    {
        let c = fx.db();
        set_ik_ct(&c, &it.db.0, &old_ct);
        set_version_blob(&c, &it.db.0, 1, &old_blob);
    }
    let mut v = fx.open();
    assert_item_detected(&mut v, PROD, "DB_PASS");
}

#[test]
fn replayed_item_key_alone_of_an_old_epoch_is_detected() {
    let (fx, it) = standard();
    let old_ct = ik_ct(&fx.db(), &it.api.0);
    {
        let mut v = fx.open();
        v.rekey_env(PROD).expect("rekey");
    }
    set_ik_ct(&fx.db(), &it.api.0, &old_ct);
    let mut v = fx.open();
    assert_item_detected(&mut v, PROD, "API_KEY");
}

#[test]
fn epoch_column_rolled_back_is_detected() {
    let (fx, _) = standard();
    {
        let mut v = fx.open();
        v.rekey_env(PROD).expect("rekey");
    }
    {
        let c = fx.db();
        let prod = env_id(&c, PROD);
        c.execute("UPDATE environments SET epoch = 1 WHERE id = ?1", [prod])
            .expect("roll back");
    }
    let mut v = fx.open();
    assert_item_detected(&mut v, PROD, "API_KEY");
}

#[test]
fn epoch_column_raised_is_detected() {
    let (fx, _) = standard();
    {
        let c = fx.db();
        let prod = env_id(&c, PROD);
        c.execute("UPDATE environments SET epoch = 2 WHERE id = ?1", [prod])
            .expect("raise");
    }
    let mut v = fx.open();
    assert_item_detected(&mut v, PROD, "API_KEY");
}

#[test]
fn whole_environment_rolled_back_to_an_old_epoch_is_found_by_verify() {
    // A consistent rollback of every row of the environment (epoch, wraps,
    // item keys, blobs) to before the re-key opens fine; the op log says
    // otherwise.
    let (fx, _) = standard();
    let snapshot = |c: &Connection, sql: &str| -> Vec<Vec<rusqlite::types::Value>> {
        let mut st = c.prepare(sql).expect("prepare");
        let n = st.column_count();
        st.query_map([], |r| (0..n).map(|i| r.get(i)).collect())
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    };
    let (wraps, items, versions) = {
        let c = fx.db();
        (
            snapshot(
                &c,
                "SELECT env_id, member_id, epoch, sender_id, epk, ct, sig FROM env_wraps",
            ),
            snapshot(&c, "SELECT id, ik_ct FROM items"),
            snapshot(&c, "SELECT item_id, version, blob FROM item_versions"),
        )
    };
    {
        let mut v = fx.open();
        v.rekey_env(PROD).expect("rekey");
    }
    {
        let c = fx.db();
        let prod = env_id(&c, PROD);
        c.execute("UPDATE environments SET epoch = 1 WHERE id = ?1", [prod])
            .expect("epoch");
        for w in &wraps {
            c.execute(
                "UPDATE env_wraps SET epoch = ?3, sender_id = ?4, epk = ?5, ct = ?6, sig = ?7
                 WHERE env_id = ?1 AND member_id = ?2",
                rusqlite::params_from_iter(w.iter()),
            )
            .expect("wraps");
        }
        for i in &items {
            c.execute(
                "UPDATE items SET ik_ct = ?2 WHERE id = ?1",
                rusqlite::params_from_iter(i.iter()),
            )
            .expect("items");
        }
        for r in &versions {
            c.execute(
                "UPDATE item_versions SET blob = ?3 WHERE item_id = ?1 AND version = ?2",
                rusqlite::params_from_iter(r.iter()),
            )
            .expect("versions");
        }
    }
    let mut v = fx.open();
    // Whatever `get` returns here is the value as of epoch 1; verify must
    // flag the state as not what the log says.
    if let Ok((_, val)) = v.get_item(PROD, "API_KEY") {
        assert_eq!(
            val.expose_secret(),
            API_V2,
            "a rollback never invents a value"
        );
    }
    let problems = assert_verify_flags(&mut v);
    assert!(
        problems.iter().any(|p| p.contains("differs")),
        "{problems:?}"
    );
}

// ----- rotation fields (bound into the AAD) --------------------------------

#[test]
fn rotation_columns_edited_are_detected() {
    for (col, sql_value) in [
        ("rotated_at", "rotated_at + 86400 * 200"),
        ("rotated_at", "NULL"),
        ("rotate_every_days", "3650"),
        ("expires_at", "4102444800"),
        ("exposed_at", "1"),
    ] {
        let (fx, it) = standard();
        {
            let c = fx.db();
            let n = c
                .execute(
                    &format!(
                        "UPDATE item_versions SET {col} = {sql_value} WHERE item_id = ?1 AND version = 1"
                    ),
                    [&it.db.0[..]],
                )
                .expect("edit rotation");
            assert_eq!(n, 1);
        }
        let mut v = fx.open();
        assert_integrity(col, v.get_item(PROD, "DB_PASS"));
        assert_integrity(col, v.list_items(None, 14));
        let problems = assert_verify_flags(&mut v);
        assert!(!problems.is_empty(), "{col}");
    }
}

#[test]
fn rotation_column_of_an_old_version_edited_is_detected() {
    let (fx, it) = standard();
    fx.db()
        .execute(
            "UPDATE item_versions SET rotated_at = rotated_at - 1 WHERE item_id = ?1 AND version = 1",
            [&it.api.0[..]],
        )
        .expect("edit");
    let mut v = fx.open();
    assert_integrity("history", v.history(PROD, "API_KEY", false));
    assert_verify_flags(&mut v);
}

// ----- members -------------------------------------------------------------

#[test]
fn member_encryption_key_replaced_is_detected_by_the_fingerprint_pin() {
    let (fx, _) = standard();
    fx.db()
        .execute_batch("UPDATE members SET x25519 = randomblob(32)")
        .expect("edit");
    let mut v = fx.open();
    assert_item_detected(&mut v, PROD, "API_KEY");
}

#[test]
fn member_signing_key_replaced_is_detected() {
    let (fx, _) = standard();
    fx.db()
        .execute_batch("UPDATE members SET ed25519 = randomblob(32)")
        .expect("edit");
    let mut v = fx.open();
    assert_item_detected(&mut v, PROD, "API_KEY");
}

#[test]
fn member_key_and_fingerprint_replaced_together_are_found_by_verify() {
    // An attacker who also recomputes the pinned fingerprint.
    let (fx, _) = standard();
    {
        let c = fx.db();
        let (id, ed): (Vec<u8>, Vec<u8>) = c
            .query_row("SELECT id, ed25519 FROM members", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .expect("member");
        let x = [7u8; 32];
        let keys = PublicKeys {
            id: coffer_crypto::Id::from_slice(&id).expect("id"),
            x25519: x,
            ed25519: ed.as_slice().try_into().expect("ed"),
        };
        c.execute(
            "UPDATE members SET x25519 = ?1, fingerprint = ?2",
            params![&x[..], keys.fingerprint()],
        )
        .expect("edit");
    }
    let mut v = fx.open();
    let problems = assert_verify_flags(&mut v);
    assert!(
        problems.iter().any(|p| p.contains("members")),
        "{problems:?}"
    );
}

#[test]
fn member_role_or_status_edited_is_found_by_verify() {
    let (fx, _) = standard();
    fx.db()
        .execute_batch("UPDATE members SET name = 'Mallory', email = 'm@evil.example'")
        .expect("edit");
    let mut v = fx.open();
    assert_verify_flags(&mut v);
}

// ----- the op log ----------------------------------------------------------

fn op_count(c: &Connection) -> i64 {
    c.query_row("SELECT COUNT(*) FROM ops", [], |r| r.get(0))
        .expect("count")
}

#[test]
fn op_body_edited_is_reported_by_verify() {
    let (fx, _) = standard();
    {
        let c = fx.db();
        let (seq, mut body): (i64, Vec<u8>) = c
            .query_row(
                "SELECT seq, body FROM ops ORDER BY seq LIMIT 1 OFFSET 3",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("op");
        // A byte near the end (inside ciphertext or a field), then one in
        // the middle, in two separate vaults below.
        let i = body.len() - 5;
        body[i] ^= 0x80;
        c.execute(
            "UPDATE ops SET body = ?2 WHERE seq = ?1",
            params![seq, body],
        )
        .expect("edit");
    }
    let mut v = fx.open();
    let problems = assert_verify_flags(&mut v);
    assert!(
        problems.iter().any(|p| p.contains("modified")),
        "{problems:?}"
    );
}

#[test]
fn every_single_byte_edit_of_an_op_body_is_reported() {
    // Bytes spread over one small op (the first environment addition), one
    // at a time, with the vault open (the edit comes from another
    // connection, as another process would make it).
    let (fx, _) = standard();
    let body: Vec<u8> = fx
        .db()
        .query_row("SELECT body FROM ops WHERE seq = 2", [], |r| r.get(0))
        .expect("op");
    let mut v = fx.open();
    let step = (body.len() / 40).max(1);
    for i in (0..body.len()).step_by(step) {
        let mut b = body.clone();
        b[i] ^= 0x04;
        fx.db()
            .execute("UPDATE ops SET body = ?1 WHERE seq = 2", [b])
            .expect("edit");
        let rep = v.verify().expect("verify runs");
        assert!(!rep.ok(), "byte {i} of op 2 edited unnoticed");
    }
    fx.db()
        .execute("UPDATE ops SET body = ?1 WHERE seq = 2", [&body])
        .expect("restore");
    assert!(v.verify().expect("verify").ok(), "restored log verifies");
}

#[test]
fn other_op_columns_edited_are_reported() {
    for sql in [
        "UPDATE ops SET hlc = hlc + 1 WHERE seq = 4",
        "UPDATE ops SET author_id = randomblob(16) WHERE seq = 4",
        "UPDATE ops SET kind = kind + 1 WHERE seq = 4",
        "UPDATE ops SET sig = randomblob(64) WHERE seq = 4",
        "UPDATE ops SET hash = randomblob(32) WHERE seq = 4",
        "UPDATE ops SET prev_hash = randomblob(32) WHERE seq = 4",
        "UPDATE ops SET outcome = 'denied' WHERE seq = 4",
        "UPDATE ops SET device_seq = 40 WHERE seq = 4",
    ] {
        let (fx, _) = standard();
        exec(&fx.db(), sql);
        let mut v = fx.open();
        let problems = assert_verify_flags(&mut v);
        assert!(!problems.is_empty(), "{sql}");
    }
}

#[test]
fn op_deleted_from_the_middle_is_reported() {
    let (fx, _) = standard();
    {
        let c = fx.db();
        let n = op_count(&c);
        assert!(n >= 6);
        c.execute("DELETE FROM ops WHERE seq = ?1", [n / 2])
            .expect("delete");
    }
    let mut v = fx.open();
    let problems = assert_verify_flags(&mut v);
    assert!(
        problems.iter().any(|p| p.contains("removed")),
        "{problems:?}"
    );
}

#[test]
fn two_ops_swapped_in_order_are_reported() {
    let (fx, _) = standard();
    {
        let c = fx.db();
        exec(&c, "UPDATE ops SET seq = -5 WHERE seq = 5");
        exec(&c, "UPDATE ops SET seq = 5 WHERE seq = 6");
        exec(&c, "UPDATE ops SET seq = 6 WHERE seq = -5");
    }
    let mut v = fx.open();
    assert_verify_flags(&mut v);
}

#[test]
fn last_op_deleted_is_refused_through_the_recorded_head() {
    let (fx, _) = standard();
    {
        let c = fx.db();
        exec(&c, "DELETE FROM ops WHERE seq = (SELECT MAX(seq) FROM ops)");
    }
    assert_open_refused(&fx, "truncated");
}

#[test]
fn last_change_undone_consistently_is_refused_through_the_recorded_head() {
    // The attacker removes the last op AND its effect (the newest item), so
    // the state matches the shortened log exactly.
    let (fx, it) = standard();
    {
        let c = fx.db();
        exec(&c, "DELETE FROM ops WHERE seq = (SELECT MAX(seq) FROM ops)");
        c.execute(
            "DELETE FROM item_versions WHERE item_id = ?1",
            [&it.other.0[..]],
        )
        .expect("versions");
        c.execute("DELETE FROM items WHERE id = ?1", [&it.other.0[..]])
            .expect("item");
    }
    assert_open_refused(&fx, "truncated");
}

#[test]
fn last_read_event_deleted_is_refused() {
    // Hiding a reveal from the audit log.
    let (fx, _) = standard();
    {
        let mut v = fx.open();
        v.get_item(PROD, "API_KEY").expect("get");
    }
    exec(
        &fx.db(),
        "DELETE FROM ops WHERE seq = (SELECT MAX(seq) FROM ops)",
    );
    assert_open_refused(&fx, "missing");
}

#[test]
fn whole_file_rolled_back_is_refused_through_the_recorded_head() {
    let (fx, _) = standard();
    let copy = fx.dir.path().join("old.coffer");
    std::fs::copy(&fx.path, &copy).expect("copy");
    {
        let mut v = fx.open();
        v.set_item(PROD, "API_KEY", value("api-key-version-three"))
            .expect("update");
    }
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(&fx.path, suffix));
    }
    std::fs::copy(&copy, &fx.path).expect("restore");
    assert_open_refused(&fx, "rolled back");
    // Refused again: nothing written meanwhile moved the recorded head back
    // (attack 7 of issue 9: one `get` used to erase the evidence).
    assert_open_refused(&fx, "rolled back");
}

fn with_suffix(p: &Path, suffix: &str) -> std::path::PathBuf {
    let mut s = p.as_os_str().to_owned();
    s.push(suffix);
    s.into()
}

// ----- plaintext state edited without the log ------------------------------

#[test]
fn plaintext_state_edits_are_found_by_verify() {
    for (sql, table) in [
        (
            "UPDATE environments SET name = 'staging' WHERE name = 'prod'",
            "environments",
        ),
        (
            "UPDATE environments SET rotate_every_days = 3650 WHERE name = 'prod'",
            "environments",
        ),
        (
            "UPDATE environments SET rotate_every_days = NULL WHERE name = 'prod'",
            "environments",
        ),
        ("UPDATE projects SET name = 'api'", "projects"),
        ("UPDATE vault SET name = 'Evil Corp'", "vault"),
        ("UPDATE grants SET access = 'read'", "grants"),
        ("UPDATE items SET created_at = 0", "items"),
        ("UPDATE item_versions SET created_at = 0", "item_versions"),
        ("UPDATE members SET role = 'admin'", "members"),
    ] {
        let (fx, _) = standard();
        exec(&fx.db(), sql);
        let mut v = fx.open();
        let problems = assert_verify_flags(&mut v);
        assert!(
            problems
                .iter()
                .any(|p| p.contains(&format!("'{table}' differs"))),
            "{sql}: {problems:?}"
        );
    }
}

#[test]
fn deleted_item_resurrected_is_found_by_verify() {
    let (fx, it) = standard();
    {
        let mut v = fx.open();
        v.remove_item(PROD, "DB_PASS").expect("rm");
    }
    fx.db()
        .execute(
            "UPDATE items SET deleted_at = NULL WHERE id = ?1",
            [&it.db.0[..]],
        )
        .expect("undelete");
    let mut v = fx.open();
    let problems = assert_verify_flags(&mut v);
    assert!(
        problems.iter().any(|p| p.contains("'items' differs")),
        "{problems:?}"
    );
}

#[test]
fn current_version_rolled_back_is_found_by_verify() {
    // Pointing an item back at its old version: the old blob is authentic
    // (its own version number is in its AAD), so only the log can tell.
    let (fx, it) = standard();
    fx.db()
        .execute(
            "UPDATE items SET current_version = 1 WHERE id = ?1",
            [&it.api.0[..]],
        )
        .expect("roll back");
    let mut v = fx.open();
    if let Ok((_, val)) = v.get_item(PROD, "API_KEY") {
        // Never a value that was not stored for this item.
        assert!(
            [API_V1, API_V2].contains(&val.expose_secret()),
            "a value from nowhere"
        );
    }
    let problems = assert_verify_flags(&mut v);
    assert!(
        problems.iter().any(|p| p.contains("'items' differs")),
        "{problems:?}"
    );
}

#[test]
fn fail_a_change_after_current_version_rolled_back_is_an_integrity_error() {
    // Issue 10: after the roll-back, a new value would be version 2 again,
    // which the file already holds. That is tampering (exit 6), not a
    // database error (exit 1), and nothing may be written.
    let (fx, it) = standard();
    fx.db()
        .execute(
            "UPDATE items SET current_version = 1 WHERE id = ?1",
            [&it.api.0[..]],
        )
        .expect("roll back");
    let before = fx.dump();
    let mut v = fx.open();
    assert_integrity("set", v.set_item(PROD, "API_KEY", value("a-third-value")));
    assert_integrity(
        "rotate",
        v.rotate_item(PROD, "API_KEY", secret("a-fourth-value")),
    );
    drop(v);
    assert_eq!(fx.dump(), before, "a refused change wrote something");
    let out = {
        use std::io::Write as _;
        let mut child = coffer(&fx, PASSPHRASE)
            .args(["set", PROD, "API_KEY"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("coffer set");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(b"a-fifth-value")
            .expect("stdin");
        child.wait_with_output().expect("coffer set")
    };
    assert_eq!(
        out.status.code(),
        Some(6),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn version_number_edited_is_detected() {
    // Renumbering version 1 as version 3 (and pointing at it).
    let (fx, it) = standard();
    {
        let c = fx.db();
        c.execute(
            "UPDATE item_versions SET version = 3 WHERE item_id = ?1 AND version = 1",
            [&it.api.0[..]],
        )
        .expect("renumber");
        c.execute(
            "UPDATE items SET current_version = 3 WHERE id = ?1",
            [&it.api.0[..]],
        )
        .expect("point");
    }
    let mut v = fx.open();
    assert_item_detected(&mut v, PROD, "API_KEY");
}

// ----- identity file: KDF parameters ---------------------------------------

fn edit_identity(home: &Path, f: impl FnOnce(&mut serde_json::Value)) {
    let p = home.join("identity.json");
    let mut j: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&p).expect("read identity")).expect("json");
    f(&mut j);
    std::fs::write(&p, serde_json::to_vec_pretty(&j).expect("encode")).expect("write identity");
}

fn make_identity(params: KdfParams) -> Fx {
    let fx = Fx::new();
    IdentityStore::create(&fx.home, "Ada", None, &secret(PASSPHRASE), params, true)
        .expect("identity");
    fx
}

fn try_unlock(fx: &Fx) -> coffer_vault::Result<coffer_vault::UnlockedIdentity> {
    IdentityStore::load(&fx.home)?.unlock_with_password(&secret(PASSPHRASE))
}

#[test]
fn kdf_parameters_below_the_floor_are_refused_before_deriving() {
    for (m, t, p) in [
        (8 * 1024, 2, 1),
        (19 * 1024 - 1, 2, 1),
        (19 * 1024, 1, 1),
        (1, 1, 1),
        (19 * 1024, 2, 0),
        (0, 0, 0),
    ] {
        let fx = make_identity(KdfParams::FLOOR);
        edit_identity(&fx.home, |j| {
            j["password_slot"]["m_kib"] = m.into();
            j["password_slot"]["t"] = t.into();
            j["password_slot"]["p"] = p.into();
        });
        let t0 = std::time::Instant::now();
        assert_integrity(&format!("m={m} t={t} p={p}"), try_unlock(&fx));
        assert!(t0.elapsed().as_secs() < 5);
        // Refused before deriving: not even counted as a password attempt.
        assert!(
            !fx.home.join("unlock-state.json").exists(),
            "a refused slot must not count as a failed password"
        );
    }
}

#[test]
fn kdf_parameters_above_the_ceiling_are_refused_before_allocating() {
    for (m, t, p) in [
        (u32::MAX, 2, 1),
        (4 * 1024 * 1024 + 1, 2, 1),
        (19 * 1024, 65, 1),
        (19 * 1024, u32::MAX, 1),
        (19 * 1024, 2, 17),
    ] {
        let fx = make_identity(KdfParams::FLOOR);
        edit_identity(&fx.home, |j| {
            j["password_slot"]["m_kib"] = m.into();
            j["password_slot"]["t"] = t.into();
            j["password_slot"]["p"] = p.into();
        });
        let t0 = std::time::Instant::now();
        assert_integrity(&format!("m={m} t={t} p={p}"), try_unlock(&fx));
        assert!(t0.elapsed().as_secs() < 5, "m={m} t={t} p={p} was derived");
    }
}

#[track_caller]
fn assert_unlock_fails(fx: &Fx, what: &str) {
    match try_unlock(fx) {
        Err(coffer_vault::Error::WrongPassphrase) => {}
        Err(e) if e.kind() == ErrorKind::Integrity => {}
        Err(e) => panic!("{what}: unexpected error {:?}: {e}", e.kind()),
        Ok(_) => panic!("{what}: unlocked with edited KDF parameters"),
    }
}

#[test]
fn kdf_parameters_lowered_but_above_the_floor_fail_the_unlock() {
    let fx = make_identity(KdfParams {
        m_kib: 32 * 1024,
        t: 3,
        p: 1,
    });
    let original = std::fs::read(fx.home.join("identity.json")).expect("read");
    for (field, v) in [("m_kib", 19 * 1024), ("t", 2)] {
        edit_identity(&fx.home, |j| j["password_slot"][field] = v.into());
        assert_unlock_fails(&fx, &format!("{field} lowered to {v}"));
        std::fs::write(fx.home.join("identity.json"), &original).expect("restore");
        let _ = std::fs::remove_file(fx.home.join("unlock-state.json"));
    }
    // The untouched file still opens with the same passphrase.
    try_unlock(&fx).expect("the original parameters unlock");
}

#[test]
fn kdf_parameters_raised_fail_the_unlock() {
    let fx = make_identity(KdfParams::FLOOR);
    let original = std::fs::read(fx.home.join("identity.json")).expect("read");
    for (field, v) in [("m_kib", 20 * 1024), ("t", 3), ("p", 2)] {
        edit_identity(&fx.home, |j| j["password_slot"][field] = v.into());
        assert_unlock_fails(&fx, &format!("{field} raised to {v}"));
        std::fs::write(fx.home.join("identity.json"), &original).expect("restore");
        // Keep clear of the back-off between cases.
        let _ = std::fs::remove_file(fx.home.join("unlock-state.json"));
    }
    try_unlock(&fx).expect("the original parameters unlock");
}

type JsonEdit = Box<dyn Fn(&mut serde_json::Value)>;

#[test]
fn other_identity_fields_edited_fail_the_unlock() {
    let fx = make_identity(KdfParams::FLOOR);
    let original = std::fs::read(fx.home.join("identity.json")).expect("read");
    let edits: Vec<(&str, JsonEdit)> = vec![
        (
            "salt",
            Box::new(|j| j["password_slot"]["salt"] = "AAAAAAAAAAAAAAAAAAAAAA==".into()),
        ),
        (
            "slot id",
            Box::new(|j| j["password_slot"]["slot_id"] = "00".repeat(16).into()),
        ),
        (
            "identity id",
            Box::new(|j| j["id"] = "11".repeat(16).into()),
        ),
        ("x25519", Box::new(|j| j["x25519"] = "22".repeat(32).into())),
        (
            "ed25519",
            Box::new(|j| j["ed25519"] = "33".repeat(32).into()),
        ),
        ("sealed", Box::new(|j| j["sealed"] = "AAAA".into())),
        ("not json", Box::new(|j| *j = serde_json::Value::Null)),
    ];
    for (what, f) in edits {
        edit_identity(&fx.home, |j| f(j));
        match try_unlock(&fx) {
            Err(coffer_vault::Error::WrongPassphrase) => {}
            Err(e) if e.kind() == ErrorKind::Integrity => {}
            Err(e) => panic!("{what}: unexpected error {:?}: {e}", e.kind()),
            Ok(_) => panic!("{what}: unlocked an edited identity"),
        }
        std::fs::write(fx.home.join("identity.json"), &original).expect("restore");
        // Keep clear of the back-off between cases.
        let _ = std::fs::remove_file(fx.home.join("unlock-state.json"));
    }
    try_unlock(&fx).expect("the original file unlocks");
}

// ----- files that are not a vault -------------------------------------------

#[test]
fn a_file_that_is_not_sqlite_is_a_clean_integrity_error() {
    let fx = Fx::new();
    drop(fx.create());
    for (what, bytes) in [
        (
            "text",
            b"API_KEY=hello\nthis is not a database\n".repeat(300),
        ),
        ("zeros", vec![0u8; 8192]),
        (
            "random-ish",
            (0..20_000u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
                .collect(),
        ),
        ("short", b"SQLite format 3\0".to_vec()),
    ] {
        std::fs::write(&fx.path, &bytes).expect("write");
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(with_suffix(&fx.path, suffix));
        }
        let r = Vault::open(&fx.path, fx.unlock());
        assert_integrity(what, r);
    }
}

#[test]
fn a_truncated_vault_is_a_clean_integrity_error() {
    let (fx, _) = standard();
    let full = std::fs::read(&fx.path).expect("read");
    assert!(full.len() > 8192, "a vault of several pages");
    let page = 4096;
    let mut cuts = vec![0, 10, 100, 1000, page - 1, page, page + 100, full.len() / 2];
    cuts.push(full.len() - page);
    cuts.push(full.len() - 1);
    for cut in cuts {
        std::fs::write(&fx.path, &full[..cut]).expect("truncate");
        for suffix in ["-wal", "-shm"] {
            let _ = std::fs::remove_file(with_suffix(&fx.path, suffix));
        }
        // Opening may or may not notice; anything that reads the damaged
        // part must fail with an integrity error, never a panic or a value.
        match Vault::open(&fx.path, fx.unlock()) {
            Err(e) => {
                eprintln!("cut {cut}: open failed: {e}");
                assert_eq!(e.kind(), ErrorKind::Integrity, "truncated at {cut}: {e}")
            }
            Ok(mut v) => {
                let got = v.get_item(PROD, "API_KEY");
                match &got {
                    Ok((_, val)) => assert_eq!(val.expose_secret(), API_V2, "cut {cut}"),
                    Err(e) => assert!(
                        matches!(e.kind(), ErrorKind::Integrity | ErrorKind::NotFound),
                        "truncated at {cut}: get gave {:?}: {e}",
                        e.kind()
                    ),
                }
                let rep = v.verify();
                eprintln!(
                    "cut {cut}: opened; get ok={} verify={:?}",
                    got.is_ok(),
                    rep.as_ref()
                        .map(|r| r.problems.len())
                        .map_err(|e| e.to_string())
                );
                match rep {
                    // Nothing that mattered was cut (e.g. the unused tail
                    // of the last page): everything must still read right.
                    Ok(rep) if rep.ok() => {
                        assert!(got.is_ok(), "cut {cut}: verify ok but get failed");
                        let all = v.list_items(None, 14).expect("ls");
                        assert_eq!(all.len(), 3, "cut {cut}: verify ok but items lost");
                    }
                    Ok(_) => {}
                    Err(e) => assert_eq!(e.kind(), ErrorKind::Integrity, "cut {cut}: {e}"),
                }
            }
        }
    }
}

// ----- the CLI on a tampered vault ------------------------------------------

#[test]
fn the_cli_reports_tampering_with_exit_code_6_and_one_clean_line() {
    let (fx, it) = standard();
    {
        let c = fx.db();
        let mut b = version_blob(&c, &it.api.0, 2);
        flip_byte(&mut b);
        set_version_blob(&c, &it.api.0, 2, &b);
    }
    for args in [
        &["get", PROD, "API_KEY"][..],
        &["ls", PROD][..],
        &["history", PROD, "API_KEY"][..],
        &["export", PROD][..],
        &["audit", "verify"][..],
    ] {
        let out = coffer(&fx, PASSPHRASE).args(args).output().expect("run");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(6), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
        assert!(stderr.contains("integrity"), "{args:?}: {stderr}");
        assert!(
            !String::from_utf8_lossy(&out.stdout).contains("api-key-version"),
            "{args:?} printed a value"
        );
    }
    // A file that is not a vault at all.
    std::fs::write(&fx.path, b"not a database, just text\n".repeat(200)).expect("write");
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(with_suffix(&fx.path, suffix));
    }
    let out = coffer(&fx, PASSPHRASE).args(["ls"]).output().expect("run");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(6), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "{stderr}");
}

#[test]
fn outcome_of_a_read_event_edited_is_reported() {
    // `get` logs a reveal; marking it 'denied' misrepresents the audit log.
    let (fx, _) = standard();
    {
        let mut v = fx.open();
        v.get_item(PROD, "API_KEY").expect("get");
    }
    exec(
        &fx.db(),
        "UPDATE ops SET outcome = 'denied' WHERE seq = (SELECT MAX(seq) FROM ops)",
    );
    let mut v = fx.open();
    assert_verify_flags(&mut v);
}

/// Large environments are opened on two threads (`load_items`): a tampered
/// item in either half of the rows is still an integrity error, and an
/// untouched listing is whole and in name order.
#[test]
fn tampering_is_detected_in_both_halves_of_a_large_environment() {
    let fx = Fx::new();
    let mut v = fx.create();
    v.add_env(PROD, None).expect("add prod");
    let entries = (0..100)
        .map(|i| (format!("KEY_{i:03}"), secret(&format!("value-{i}"))))
        .collect();
    v.import_items(PROD, entries, false).expect("import");
    let listed = v.list_items(Some(PROD), 14).expect("list");
    let names: Vec<_> = listed.iter().map(|i| i.name.clone()).collect();
    let want: Vec<_> = (0..100).map(|i| format!("KEY_{i:03}")).collect();
    assert_eq!(names, want);
    drop(v);

    let ids: Vec<Vec<u8>> = {
        let c = fx.db();
        let env = env_id(&c, PROD);
        let mut st = c
            .prepare("SELECT id FROM items WHERE env_id = ?1 ORDER BY rowid")
            .expect("prepare");
        let rows = st.query_map([env], |r| r.get(0)).expect("ids");
        rows.collect::<Result<_, _>>().expect("ids")
    };
    assert_eq!(ids.len(), 100);
    for id in [&ids[3], &ids[97]] {
        let good = {
            let c = fx.db();
            let good = version_blob(&c, id, 1);
            let mut bad = good.clone();
            flip_byte(&mut bad);
            set_version_blob(&c, id, 1, &bad);
            good
        };
        let mut v = fx.open();
        assert_integrity("ls", v.list_items(Some(PROD), 14));
        drop(v);
        set_version_blob(&fx.db(), id, 1, &good);
        let mut v = fx.open();
        assert_eq!(v.list_items(Some(PROD), 14).expect("restored").len(), 100);
    }
}
