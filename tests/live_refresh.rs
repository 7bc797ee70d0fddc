//! Live refresh (issue 13): a handle that stays open (the desktop app)
//! learns that another connection (the `coffer` CLI on the same device)
//! changed the file with `Vault::catch_up`, and catches up so that its own
//! next change builds on the file as it is. Its own writes are never
//! reported. On a private replica (sealed), a handle that did not catch up
//! sealed over a log it no longer knew, and the next open called the file
//! changed outside Coffer; since attack review 18 a sealed write catches
//! up first by itself (the first test), and `catch_up` keeps the seal
//! valid for the live refresh (the second).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use coffer_vault::sync::Remote;
use common::*;

fn sealed() -> Fx {
    let (fx, _) = standard();
    let mut v = fx.open();
    v.sync_init(Remote::Folder(fx.dir.path().join("shared")))
        .expect("sync init");
    assert!(v.is_private_replica());
    drop(v);
    fx
}

/// A handle that did not catch up used to seal over a log it no longer
/// knew (the next open called the file changed outside this device).
/// Since attack review 18 every sealed write checks `data_version` inside
/// its write lock and catches up first: the app's write builds on the
/// CLI's, and the file opens and verifies.
#[test]
fn a_handle_that_did_not_catch_up_checks_before_it_writes() {
    let fx = sealed();
    let mut app = fx.open();
    let mut cli = fx.open();
    cli.set_item(PROD, "FROM_CLI", value("cli-value"))
        .expect("cli set");
    drop(cli);
    // The app writes without having polled.
    app.set_item(PROD, "FROM_APP", value("app-value"))
        .expect("app set");
    assert_value(&mut app, PROD, "FROM_CLI", "cli-value");
    drop(app);
    let mut again = fx.open();
    assert!(again.verify().expect("verify").ok(), "the replica verifies");
    assert_value(&mut again, PROD, "FROM_APP", "app-value");
}

#[test]
fn catch_up_reports_only_other_connections_and_keeps_the_seal() {
    let fx = sealed();
    let mut app = fx.open();
    assert!(!app.catch_up().expect("poll"), "nothing changed yet");

    // The app's own writes are not news to it.
    app.set_item(PROD, "FROM_APP", value("app-value"))
        .expect("app set");
    assert!(!app.catch_up().expect("poll"), "own write not reported");

    // Another connection (the CLI) writes: reported once.
    let mut cli = fx.open();
    cli.set_item(PROD, "API_KEY", value("changed-by-cli"))
        .expect("cli set");
    drop(cli);
    assert!(app.catch_up().expect("poll"), "the CLI's write is seen");
    assert!(!app.catch_up().expect("poll"), "and only once");
    assert_value(&mut app, PROD, "API_KEY", "changed-by-cli");

    // Having caught up, the app's next change seals over the whole log.
    app.set_item(PROD, "AFTER", value("after-value"))
        .expect("app set after");
    drop(app);
    let mut again = fx.open();
    assert!(again.verify().expect("verify").ok(), "the replica verifies");
    assert_value(&mut again, PROD, "AFTER", "after-value");
    assert_value(&mut again, PROD, "API_KEY", "changed-by-cli");
}

#[test]
fn catch_up_is_cheap_when_nothing_changed() {
    let fx = sealed();
    let mut app = fx.open();
    let n = 2000;
    let t = std::time::Instant::now();
    for _ in 0..n {
        assert!(!app.catch_up().expect("poll"));
    }
    let per = t.elapsed() / n;
    eprintln!("catch_up with nothing changed: {per:?} per poll");
    // Generous bound (debug build, shared machine): the poll runs four
    // times a second in the app.
    assert!(per < std::time::Duration::from_millis(2), "{per:?}");
}

/// A handle opened before another process moved the vault to sync (`sync
/// init`) knew it unsealed, and its next write (the app's, or the agent's
/// read event) went unsealed into the new replica: the next open called
/// the file changed outside this device. Catching up now takes the open's
/// decision again and checks the new seal; the write advances it.
#[test]
fn a_handle_opened_before_sync_init_writes_sealed() {
    let (fx, _) = standard();
    let mut app = fx.open();
    assert!(!app.is_private_replica());
    assert_value(&mut app, PROD, "API_KEY", API_V2);
    let mut cli = fx.open();
    cli.sync_init(Remote::Folder(fx.dir.path().join("shared")))
        .expect("sync init");
    drop(cli);
    // The app reads (a read event) and writes without having polled.
    assert_value(&mut app, PROD, "API_KEY", API_V2);
    app.set_item(PROD, "FROM_APP", value("app-value"))
        .expect("app set");
    assert!(app.is_private_replica(), "the handle took in the seal");
    drop(app);
    let mut again = fx.open();
    assert!(again.is_private_replica());
    assert!(again.verify().expect("verify").ok(), "the replica verifies");
    assert_value(&mut again, PROD, "FROM_APP", "app-value");
}

/// A live handle of a member revoked by another connection (an owner's
/// offboarding, or a sync this device ran) refuses as an open would: it
/// answered from the keys it still held until it was opened anew.
#[test]
fn a_handle_whose_member_was_revoked_elsewhere_refuses() {
    let (fx, _) = standard();
    let ada = Person::owner(&fx);
    let bob = Person::new(&fx, "Bob");
    let mut owner = ada.open(&fx.path);
    add_member(
        &mut owner,
        &bob,
        coffer_vault::Role::Member,
        &[(PROD, coffer_vault::Access::Read)],
    );
    drop(owner);
    let mut bobs = bob.open(&fx.path);
    assert_value(&mut bobs, PROD, "API_KEY", API_V2);
    let mut owner = ada.open(&fx.path);
    owner.offboard("Bob", &mut |_, _| {}).expect("offboard");
    drop(owner);
    assert_permission("check", bobs.check_current());
    assert_permission("get", bobs.get_item(PROD, "API_KEY"));
    assert_permission("reopen", bob.try_open(&fx.path));
}
