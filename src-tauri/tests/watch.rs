//! Live refresh (issue 13): the vault watcher tells the window when
//! another program (here a second connection, as the `coffer` CLI on this
//! device is) changed the open vault, within a poll; the app's own
//! changes are not reported; a locked session is not polled.

use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use coffer_crypto::SecretString;
use coffer_desktop::commands as c;
use coffer_desktop::{vaultwatch, Session};
use coffer_vault::{IdentityStore, ItemUpdate, Vault};

mod common;
use common::{ada_with_vault, add_env, set_value, PW};

fn set(s: &Session, name: &str, value: &str) {
    set_value(s, "web/prod", name, value);
}

/// What the CLI does: its own connection to the same file.
fn cli_set(s: &Session, name: &str, value: &str) {
    let me = IdentityStore::load(&s.home)
        .expect("load")
        .unlock_with_password(&SecretString::new(PW.into()))
        .expect("unlock");
    let mut v = Vault::open(&s.vault_path(), me).expect("open");
    v.set_item(
        "web/prod",
        name,
        ItemUpdate {
            value: Some(SecretString::new(value.into())),
            ..ItemUpdate::default()
        },
    )
    .expect("cli set");
}

#[test]
fn the_watcher_reports_another_programs_change_and_not_the_apps_own() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = Arc::new(Session::new(
        dir.path().join("home"),
        dir.path().join("vault.coffer"),
    ));
    ada_with_vault(&s, None, PW);
    add_env(&s, "web/prod");
    set(&s, "API_KEY", "first");

    let (tx, rx) = mpsc::channel();
    let tx = std::sync::Mutex::new(tx);
    vaultwatch::spawn(
        Arc::downgrade(&s),
        Duration::from_millis(50),
        Box::new(move || {
            let _ = tx.lock().expect("tx").send(Instant::now());
        }),
    );

    // The app's own changes: nothing to report.
    set(&s, "API_KEY", "second");
    set(&s, "OTHER", "x");
    assert!(
        rx.recv_timeout(Duration::from_millis(400)).is_err(),
        "the app's own writes are not reported"
    );

    // The CLI changes a value: reported within a poll, once.
    let changed = Instant::now();
    cli_set(&s, "API_KEY", "changed-by-the-cli");
    let seen = rx
        .recv_timeout(Duration::from_secs(1))
        .expect("reported within a second");
    assert!(seen.duration_since(changed) < Duration::from_secs(1));
    assert!(
        rx.recv_timeout(Duration::from_millis(300)).is_err(),
        "reported once"
    );
    // The window then reads the new value, without a lock.
    assert_eq!(
        common::revealed(&s, "web/prod", "API_KEY").expect("reveal"),
        "changed-by-the-cli"
    );
    // And the app's next change builds on the file as it is.
    set(&s, "AFTER", "y");
    let v = c::verify_vault(&s).expect("verify");
    assert!(v.problems.is_empty(), "{:?}", v.problems);

    // Locked: not polled, nothing reported; the change shows at unlock.
    c::lock(&s).expect("lock");
    cli_set(&s, "API_KEY", "while-locked");
    assert!(
        rx.recv_timeout(Duration::from_millis(300)).is_err(),
        "a locked session is not watched"
    );
}
