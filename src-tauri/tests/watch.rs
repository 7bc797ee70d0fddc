//! Live refresh (issue 13): the vault watcher tells the window when
//! another program (here a second connection, as the `coffer` CLI on this
//! device is) changed the open vault, within a poll; the app's own
//! changes are not reported; a locked session is not polled. A file that
//! no longer checks out (an older copy put back over it, a trigger
//! planted in it) locks the session with the reason (attack review 11).

use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use coffer_crypto::SecretString;
use coffer_desktop::commands as c;
use coffer_desktop::{vaultwatch, Session};
use coffer_vault::{IdentityStore, ItemUpdate, Vault};

mod common;
use common::{ada_with_vault, add_env, item, secret, set_value, PW};

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

/// The lock reasons the session tells the window, as they come.
fn lock_reasons(s: &Session) -> mpsc::Receiver<coffer_desktop::dto::LockReason> {
    let (locks, locked) = mpsc::channel();
    let locks = std::sync::Mutex::new(locks);
    s.set_notifier(Box::new(move |r| {
        let _ = locks.lock().expect("tx").send(r);
    }));
    locked
}

/// Ada's unlocked session on a new vault holding web/prod/API_KEY.
fn session() -> (tempfile::TempDir, Arc<Session>) {
    let dir = tempfile::tempdir().expect("tmp");
    let s = Arc::new(Session::new(
        dir.path().join("home"),
        dir.path().join("vault.coffer"),
    ));
    ada_with_vault(&s, None, PW);
    add_env(&s, "web/prod");
    set(&s, "API_KEY", "first");
    (dir, s)
}

#[test]
fn the_watcher_reports_another_programs_change_and_not_the_apps_own() {
    let (_dir, s) = session();

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

/// Copies every table of `old` over the vault at `path` through a plain
/// SQLite connection: what a process that can write the file can do while
/// the app holds it open (an older copy put back).
fn restore_rows(path: &std::path::Path, old: &std::path::Path) {
    let c = rusqlite::Connection::open(path).expect("open");
    c.execute("ATTACH DATABASE ?1 AS o", [old.to_str().expect("utf-8")])
        .expect("attach");
    let tables: Vec<String> = {
        let mut st = c
            .prepare("SELECT name FROM main.sqlite_master WHERE type = 'table'")
            .expect("prepare");
        let r = st.query_map([], |r| r.get(0)).expect("tables");
        r.collect::<Result<_, _>>().expect("rows")
    };
    c.execute_batch("PRAGMA foreign_keys = OFF; BEGIN;")
        .expect("begin");
    for t in tables {
        c.execute_batch(&format!(
            "DELETE FROM main.\"{t}\"; INSERT INTO main.\"{t}\" SELECT * FROM o.\"{t}\";"
        ))
        .expect("copy table");
    }
    c.execute_batch("COMMIT; DETACH DATABASE o;")
        .expect("commit");
}

/// A session with web/prod/API_KEY, the watcher running every 50 ms, and
/// channels of what it told the window: (session, lock reasons, changes).
fn watched() -> (
    tempfile::TempDir,
    Arc<Session>,
    mpsc::Receiver<coffer_desktop::dto::LockReason>,
    mpsc::Receiver<()>,
) {
    let (dir, s) = session();
    let locked = lock_reasons(&s);
    let (changes, changed) = mpsc::channel();
    let changes = std::sync::Mutex::new(changes);
    vaultwatch::spawn(
        Arc::downgrade(&s),
        Duration::from_millis(50),
        Box::new(move || {
            let _ = changes.lock().expect("tx").send(());
        }),
    );
    (dir, s, locked, changed)
}

/// Asserts the watcher locked the session because the file was refused,
/// said why, and showed no refresh of it; the next unlock refuses the
/// file too (and offers the rebuild: an integrity error).
#[track_caller]
fn assert_locked_refused(
    s: &Session,
    locked: &mpsc::Receiver<coffer_desktop::dto::LockReason>,
    changed: &mpsc::Receiver<()>,
    needle: &str,
) {
    use coffer_desktop::dto::{LockReason, UnlockArgs};
    let reason = locked
        .recv_timeout(Duration::from_secs(2))
        .expect("the app locks within a poll");
    assert_eq!(reason, LockReason::VaultRefused);
    assert!(!s.is_unlocked(), "nothing stays open");
    assert!(
        changed.try_recv().is_err(),
        "the window is not told to show the file"
    );
    let status = c::app_status(s).expect("status");
    assert_eq!(status.lock_reason, Some(LockReason::VaultRefused));
    let detail = status
        .lock_detail
        .clone()
        .expect("the reason is kept for the Unlock screen");
    assert!(detail.contains(needle), "{detail}");
    let json = serde_json::to_value(&status).expect("json");
    assert_eq!(json["lock_reason"], "vault_refused");
    let e = c::reveal_item(s, item("web/prod", "API_KEY")).map(|_| ());
    assert_eq!(
        e.map_err(|e| e.code),
        Err(coffer_desktop::error::IpcErrorCode::Locked)
    );
    let e = c::unlock(
        s,
        UnlockArgs::Password {
            password: secret(s, "unlock", PW),
        },
    )
    .expect_err("the file is refused at unlock too");
    assert_eq!(
        e.code,
        coffer_desktop::error::IpcErrorCode::Integrity,
        "{e:?}"
    );
}

#[test]
fn a_vault_file_rolled_back_under_the_app_locks_it_with_the_reason() {
    let (dir, s, locked, changed) = watched();
    let older = dir.path().join("older.coffer");
    rusqlite::Connection::open(s.vault_path())
        .expect("open")
        .execute("VACUUM INTO ?1", [older.to_str().expect("utf-8")])
        .expect("copy");
    set(&s, "API_KEY", "rotated");
    assert!(
        changed.recv_timeout(Duration::from_millis(300)).is_err(),
        "own write"
    );
    restore_rows(&s.vault_path(), &older);
    assert_locked_refused(&s, &locked, &changed, "rolled back");
}

#[test]
fn a_trigger_planted_under_the_app_locks_it_with_the_reason() {
    let (_dir, s, locked, changed) = watched();
    rusqlite::Connection::open(s.vault_path())
        .expect("open")
        .execute_batch(
            "CREATE TRIGGER t AFTER INSERT ON ops BEGIN UPDATE members SET role = 'owner'; END;",
        )
        .expect("plant");
    assert_locked_refused(&s, &locked, &changed, "trigger 't'");
}

/// Attack review 18: the app's next command does not wait for the
/// watcher. A trigger planted by another program between two polls (here
/// no watcher runs at all) would fire inside the app's next write and be
/// taken in by it: `Session::with_vault` runs the open's checks again
/// first (`Vault::check_current`), so the command is refused, nothing is
/// written, and the session locks with the reason, as the watcher would.
#[test]
fn a_trigger_planted_between_two_polls_is_refused_by_the_next_command() {
    use coffer_desktop::dto::LockReason;
    let (_dir, s) = session();
    let locked = lock_reasons(&s);
    rusqlite::Connection::open(s.vault_path())
        .expect("open")
        .execute_batch(
            "CREATE TRIGGER t AFTER INSERT ON ops BEGIN UPDATE members SET role = 'reader'; END;",
        )
        .expect("plant");
    let e = c::reveal_item(&s, item("web/prod", "API_KEY")).map(|_| ());
    assert_eq!(
        e.map_err(|e| e.code),
        Err(coffer_desktop::error::IpcErrorCode::Integrity)
    );
    assert_eq!(
        locked.recv_timeout(Duration::from_secs(1)).expect("locked"),
        LockReason::VaultRefused
    );
    assert!(!s.is_unlocked());
    let roles: Vec<String> = {
        let c = rusqlite::Connection::open(s.vault_path()).expect("open");
        let mut st = c.prepare("SELECT role FROM members").expect("prepare");
        let r = st.query_map([], |r| r.get(0)).expect("roles");
        r.collect::<Result<_, _>>().expect("rows")
    };
    assert_eq!(roles, vec!["owner".to_string()], "the trigger never fired");
}

/// Attack review 19 (F4): a change committed while a command runs (here
/// from inside it, which stands for any moment of a long export or sync)
/// that no longer checks out: `Session::with_vault` checks again after
/// the command, drops its answer and locks the session with the reason.
#[test]
fn a_trigger_planted_while_a_command_runs_drops_its_answer() {
    use coffer_desktop::dto::LockReason;
    let (_dir, s) = session();
    let locked = lock_reasons(&s);
    let path = s.vault_path();
    let r = s.with_vault(|v| {
        rusqlite::Connection::open(&path)
            .expect("open")
            .execute_batch(
                "CREATE TRIGGER t AFTER INSERT ON ops BEGIN UPDATE members SET role = 'reader'; END;",
            )
            .expect("plant");
        v.list_items(Some("web/prod"), 30)
    });
    assert_eq!(
        r.map(|_| ()).map_err(|e| e.code),
        Err(coffer_desktop::error::IpcErrorCode::Integrity)
    );
    assert_eq!(
        locked.recv_timeout(Duration::from_secs(1)).expect("locked"),
        LockReason::VaultRefused
    );
    assert!(!s.is_unlocked());
}
