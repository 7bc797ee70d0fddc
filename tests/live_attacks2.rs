//! Attack review 21: a live vault handle (the agent's, the app's
//! `Session::with_vault`) against another program that can write the vault
//! file but holds no key, after `check_caught_up` re-takes the open's
//! "sealed" decision and `check_current` ends with a membership check.
//! Each `attack_*` test states the attack and asserts the secure outcome.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use coffer_vault::sync::Remote;
use coffer_vault::Vault;
use common::*;
use rusqlite::Connection;

/// Another program's connection to the file (plain SQLite, no keys).
fn outsider(fx: &Fx) -> Connection {
    let c = Connection::open(&fx.path).expect("outside connection");
    c.busy_timeout(Duration::from_secs(10)).expect("busy");
    c
}

fn ops(fx: &Fx) -> i64 {
    outsider(fx)
        .query_row("SELECT COUNT(*) FROM ops", [], |r| r.get(0))
        .expect("ops")
}

/// Resisted: a `replica` row planted in a file not moved to sync (the
/// legacy shared file, the one a synced folder or a teammate writes) makes
/// the live handle take the open's "sealed" decision again, and check a
/// seal the planter cannot make: the handle is refused for good, writes
/// nothing, and the next open refuses the file as well. It never adopts
/// the planted seal, nor goes on unsealed. (Denial only: who writes the
/// file can always break it.)
#[test]
fn attack_a_replica_row_planted_in_a_shared_file_is_not_adopted() {
    let (fx, _) = standard();
    let mut app = fx.open();
    assert!(!app.is_private_replica());
    assert_value(&mut app, PROD, "API_KEY", API_V2);
    let me = fx.unlock().device_id();
    outsider(&fx)
        .execute(
            "INSERT INTO replica (id, device_id, log_count, log_digest, state_digest, generation, mac) \
             VALUES (1, ?1, 1, zeroblob(32), zeroblob(32), 1, zeroblob(32))",
            [&me.0[..]],
        )
        .expect("plant");
    let before = ops(&fx);
    assert_integrity("check", app.check_current());
    assert_integrity("set", app.set_item(PROD, "AFTER", value("x")));
    assert_integrity("still refused", app.check_current());
    assert!(!app.is_private_replica(), "the planted seal was adopted");
    drop(app);
    assert_eq!(ops(&fx), before, "the refused handle wrote");
    assert_open_refused(&fx, "");
}

/// Resisted: after another process moved the file to sync (`sync init`),
/// an outsider deletes the new seal before the live handle looked: the
/// generation this device recorded says "sealed", so the handle checks a
/// seal that is gone and refuses, rather than keep writing unsealed into
/// what is now a replica.
#[test]
fn attack_the_seal_removed_after_sync_init_does_not_leave_a_handle_unsealed() {
    let (fx, _) = standard();
    let mut app = fx.open();
    assert_value(&mut app, PROD, "API_KEY", API_V2);
    let mut cli = fx.open();
    cli.sync_init(Remote::Folder(fx.dir.path().join("shared")))
        .expect("sync init");
    drop(cli);
    outsider(&fx)
        .execute("DELETE FROM replica", [])
        .expect("delete the seal");
    let before = ops(&fx);
    assert_integrity("check", app.check_current());
    assert_integrity("set", app.set_item(PROD, "AFTER", value("x")));
    assert!(!app.is_private_replica());
    drop(app);
    assert_eq!(ops(&fx), before, "the handle wrote unsealed");
    assert_open_refused(&fx, "");
}

/// Resisted: on a private replica, an outsider flipping this member's row
/// to revoked is tampering, found by the seal before the membership check
/// reads the row: the handle is refused for good (not a revocation it
/// would take as authentic), and writes nothing.
#[test]
fn attack_a_members_row_edited_in_a_replica_is_tampering_not_a_revocation() {
    let (fx, _) = standard();
    let mut v = fx.open();
    v.sync_init(Remote::Folder(fx.dir.path().join("shared")))
        .expect("sync init");
    drop(v);
    let mut app = fx.open();
    let me = fx.unlock().id();
    outsider(&fx)
        .execute(
            "UPDATE members SET status = 'revoked' WHERE id = ?1",
            [&me.0[..]],
        )
        .expect("flip");
    let before = ops(&fx);
    assert_integrity("check", app.check_current());
    // Put back: the handle stays refused (the edit was seen).
    outsider(&fx)
        .execute(
            "UPDATE members SET status = 'active' WHERE id = ?1",
            [&me.0[..]],
        )
        .expect("flip back");
    assert_integrity("still refused", app.check_current());
    assert_integrity("set", app.set_item(PROD, "AFTER", value("x")));
    drop(app);
    assert_eq!(ops(&fx), before);
}

/// Resisted (documented behaviour of a file not moved to sync, whose reads
/// trust the rows): the row flipped to revoked in a shared file makes the
/// membership check refuse, as an open would, and nothing more: a refusal
/// (not sticky, nothing written, no state dropped), and the handle answers
/// again once the row is put back, as a new open would.
#[test]
fn attack_a_members_row_flipped_in_a_shared_file_is_only_a_refusal() {
    let (fx, _) = standard();
    let mut app = fx.open();
    let me = fx.unlock().id();
    outsider(&fx)
        .execute(
            "UPDATE members SET status = 'revoked' WHERE id = ?1",
            [&me.0[..]],
        )
        .expect("flip");
    let before = ops(&fx);
    assert_permission("check", app.check_current());
    assert_permission("open", Vault::open(&fx.path, fx.unlock()));
    outsider(&fx)
        .execute(
            "UPDATE members SET status = 'active' WHERE id = ?1",
            [&me.0[..]],
        )
        .expect("flip back");
    assert_eq!(ops(&fx), before, "the refusal wrote");
    app.check_current().expect("answers again");
    assert_value(&mut app, PROD, "API_KEY", API_V2);
    assert!(
        app.verify().expect("verify").ok(),
        "nothing was recorded from the flipped row"
    );
}
