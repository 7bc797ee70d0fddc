//! Sessions and settings through the commands: settings round trip and
//! validation, the Rust-side idle lock, changing the passphrase, locking on
//! a real D-Bus screen-saver signal, and keychain enable/disable against the
//! real gnome-keyring. `scripts/test.sh` runs this under
//! `scripts/with-keyring.sh` (a private session bus with gnome-keyring).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use coffer_desktop::commands as c;
use coffer_desktop::dto::*;
use coffer_desktop::error::IpcErrorCode;
use coffer_desktop::session::spawn_idle_timer;
use coffer_desktop::Session;

mod common;
use common::{ada_with_vault, secret, PW};

/// A session with an identity and a vault, unlocked.
fn unlocked() -> (tempfile::TempDir, Arc<Session>) {
    let dir = tempfile::tempdir().expect("tmp");
    let home = dir.path().join("home");
    let s = Arc::new(Session::new(home.clone(), home.join("vault.coffer")));
    ada_with_vault(&s, None, PW);
    (dir, s)
}

fn unlock_pw(s: &Session, pw: &str) -> Result<AppStatus, coffer_desktop::IpcError> {
    c::unlock(
        s,
        UnlockArgs::Password {
            password: secret(s, "unlock", pw),
        },
    )
}

fn wait_until(what: &str, limit: Duration, f: impl Fn() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(start.elapsed() < limit, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn need_session_bus() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "these tests need a D-Bus session bus (and gnome-keyring): run them via `make test` \
         or `scripts/with-keyring.sh cargo test -p coffer-desktop --test session`"
    );
}

#[test]
fn settings_round_trip_and_survive_a_new_session() {
    let (_d, s) = unlocked();
    let defaults = c::get_settings(&s).expect("get");
    assert_eq!(
        defaults,
        SettingsDto {
            auto_lock_minutes: 10,
            lock_on_screen_lock: true,
            clipboard_clear_secs: 30,
            due_soon_days: 14,
            keychain_at_start: true,
        }
    );
    let want = SettingsDto {
        auto_lock_minutes: 3,
        lock_on_screen_lock: false,
        clipboard_clear_secs: 45,
        due_soon_days: 60,
        keychain_at_start: false,
    };
    assert_eq!(c::set_settings(&s, want.clone()).expect("set"), want);
    assert_eq!(c::get_settings(&s).expect("get"), want);
    assert_eq!(c::app_status(&s).expect("status").idle_lock_secs, 180);
    // A new session (the app restarted) reads them from COFFER_HOME.
    let again = Session::new(s.home.clone(), s.vault_path());
    assert_eq!(c::get_settings(&again).expect("get"), want);
}

#[test]
fn fail_invalid_settings_are_refused_with_a_sentence() {
    let (_d, s) = unlocked();
    let good = c::get_settings(&s).expect("get");
    for (bad, says) in [
        (
            SettingsDto {
                auto_lock_minutes: 0,
                ..good.clone()
            },
            "the auto-lock time must be 1 to 240 minutes",
        ),
        (
            SettingsDto {
                clipboard_clear_secs: 601,
                ..good.clone()
            },
            "the clipboard timeout must be 5 to 600 seconds",
        ),
        (
            SettingsDto {
                due_soon_days: 0,
                ..good.clone()
            },
            "the due-soon window must be 1 to 365 days",
        ),
    ] {
        let e = c::set_settings(&s, bad).expect_err("refused");
        assert_eq!(e.code, IpcErrorCode::InvalidInput);
        assert!(e.message.starts_with(says), "{}", e.message);
    }
    assert_eq!(c::get_settings(&s).expect("get"), good, "nothing changed");
    c::lock(&s).expect("lock");
    let e = c::set_settings(&s, good).expect_err("locked");
    assert_eq!(e.code, IpcErrorCode::Locked);
}

#[test]
fn the_due_soon_setting_is_the_default_window() {
    let (_d, s) = unlocked();
    c::add_env(
        &s,
        AddEnvArgs {
            path: "payments/prod".into(),
            rotate_every: Some("30d".into()),
        },
    )
    .expect("env");
    c::set_item(
        &s,
        SetItemArgs {
            env: "payments/prod".into(),
            name: "STRIPE_KEY".into(),
            value: Some(secret(&s, "set_item", "sk_live_1")),
            notes: None,
            url: None,
            username: None,
            rotate_every: None,
            expires: None,
        },
    )
    .expect("item");
    let status =
        |s: &Session| c::list_items(s, ListItemsArgs { scope: None }).expect("items")[0].status;
    assert_eq!(status(&s), RotationStatus::Ok, "due in 30 days, window 14");
    let report = c::rotation_list(
        &s,
        RotationListArgs {
            due_soon_days: None,
        },
    )
    .expect("r");
    assert_eq!(report.counts.due_soon, 0);
    let mut st = c::get_settings(&s).expect("get");
    st.due_soon_days = 45;
    c::set_settings(&s, st).expect("set");
    assert_eq!(status(&s), RotationStatus::DueSoon);
    let report = c::rotation_list(
        &s,
        RotationListArgs {
            due_soon_days: None,
        },
    )
    .expect("r");
    assert_eq!(report.counts.due_soon, 1);
    // The UI can still pass its own window.
    let report = c::rotation_list(
        &s,
        RotationListArgs {
            due_soon_days: Some(7),
        },
    )
    .expect("r");
    assert_eq!(report.counts.due_soon, 0);
}

#[test]
fn the_rust_idle_timer_locks_without_the_ui_and_says_why() {
    let (_d, s) = unlocked();
    let events = Arc::new(Mutex::new(Vec::new()));
    let ev = events.clone();
    s.set_notifier(Box::new(move |r| ev.lock().expect("m").push(r)));
    s.set_idle_override(Some(Duration::from_secs(1)));
    assert_eq!(c::app_status(&s).expect("status").idle_lock_secs, 1);
    spawn_idle_timer(Arc::downgrade(&s), Duration::from_millis(100));
    // Activity keeps it open…
    for _ in 0..4 {
        std::thread::sleep(Duration::from_millis(400));
        c::touch_session(&s).expect("touch");
    }
    assert!(c::app_status(&s).expect("status").unlocked);
    // …and without any, the timer thread locks it.
    wait_until("the idle lock", Duration::from_secs(5), || !s.is_unlocked());
    let st = c::app_status(&s).expect("status");
    assert!(!st.unlocked && !st.identity_unlocked);
    assert_eq!(st.lock_reason, Some(LockReason::Idle));
    // The window is told just after the state is dropped.
    wait_until("the event", Duration::from_secs(5), || {
        !events.lock().expect("m").is_empty()
    });
    assert_eq!(*events.lock().expect("m"), [LockReason::Idle]);
    assert_eq!(
        c::list_envs(&s).expect_err("locked").code,
        IpcErrorCode::Locked
    );
    assert_eq!(
        c::touch_session(&s).expect_err("locked").code,
        IpcErrorCode::Locked
    );
    // Unlocking clears the reason and starts a fresh idle period.
    let st = unlock_pw(&s, PW).expect("unlock");
    assert!(st.unlocked);
    assert_eq!(st.lock_reason, None);
}

#[test]
fn change_password_then_the_old_fails_and_the_new_works() {
    let (_d, s) = unlocked();
    let e = c::change_password(
        &s,
        ChangePasswordArgs {
            old_password: secret(&s, "change_password", PW),
            new_password: secret(&s, "change_password", "too short"),
        },
    )
    .expect_err("short");
    assert_eq!(e.code, IpcErrorCode::InvalidInput);
    assert!(
        e.message.contains("at least 10 characters"),
        "{}",
        e.message
    );

    let e = c::change_password(
        &s,
        ChangePasswordArgs {
            old_password: secret(&s, "change_password", "not my passphrase"),
            new_password: secret(&s, "change_password", "a brand new passphrase"),
        },
    )
    .expect_err("wrong old");
    assert_eq!(e.code, IpcErrorCode::Auth);
    assert!(
        e.message.contains("counts as a failed unlock attempt"),
        "{}",
        e.message
    );
    assert_eq!(c::app_status(&s).expect("status").failed_attempts, 1);

    c::change_password(
        &s,
        ChangePasswordArgs {
            old_password: secret(&s, "change_password", PW),
            new_password: secret(&s, "change_password", "a brand new passphrase"),
        },
    )
    .expect("change");
    assert_eq!(c::app_status(&s).expect("status").failed_attempts, 0);
    c::lock(&s).expect("lock");
    let e = unlock_pw(&s, PW).expect_err("old passphrase");
    assert_eq!(e.code, IpcErrorCode::Auth);
    assert!(
        unlock_pw(&s, "a brand new passphrase")
            .expect("new")
            .unlocked
    );
    // The vault's content is untouched: only the password slot changed.
    assert_eq!(
        c::app_status(&s).expect("s").vault_name.as_deref(),
        Some("Acme")
    );
}

#[test]
fn kdf_parameters_are_reported_against_the_policy() {
    let (_d, s) = unlocked();
    let k = c::kdf_params(&s).expect("kdf");
    // The test identity is at the floor (COFFER_TEST_KDF_FLOOR), pinned.
    assert_eq!((k.memory_mib, k.iterations, k.parallelism), (19, 2, 1));
    assert!(!k.meets_policy && k.pinned);
    assert_eq!((k.policy_memory_mib, k.policy_iterations), (64, 3));
}

#[cfg(target_os = "linux")]
#[test]
fn a_real_screen_saver_signal_on_the_session_bus_locks() {
    need_session_bus();
    let (_d, s) = unlocked();
    let events = Arc::new(Mutex::new(Vec::new()));
    let ev = events.clone();
    s.set_notifier(Box::new(move |r| ev.lock().expect("m").push(r)));
    let watching = coffer_desktop::lockwatch::start(Arc::downgrade(&s));
    assert!(watching.session_bus, "{watching:?}");
    let send = |iface: &str, active: bool| {
        let st = std::process::Command::new("dbus-send")
            .args([
                "--session",
                "--type=signal",
                "/org/freedesktop/ScreenSaver",
                &format!("{iface}.ActiveChanged"),
                &format!("boolean:{active}"),
            ])
            .status()
            .expect("dbus-send (package dbus)");
        assert!(st.success());
    };
    // The screen saver turning off locks nothing.
    send("org.freedesktop.ScreenSaver", false);
    std::thread::sleep(Duration::from_millis(300));
    assert!(s.is_unlocked());
    send("org.freedesktop.ScreenSaver", true);
    wait_until("the screen-lock lock", Duration::from_secs(5), || {
        !s.is_unlocked()
    });
    assert_eq!(
        c::app_status(&s).expect("status").lock_reason,
        Some(LockReason::ScreenLocked)
    );
    // The window is told just after the state is dropped.
    wait_until("the event", Duration::from_secs(5), || {
        !events.lock().expect("m").is_empty()
    });
    assert_eq!(*events.lock().expect("m"), [LockReason::ScreenLocked]);

    // GNOME's signal too; with the setting off, nothing happens.
    unlock_pw(&s, PW).expect("unlock");
    let mut st = c::get_settings(&s).expect("get");
    st.lock_on_screen_lock = false;
    c::set_settings(&s, st.clone()).expect("set");
    send("org.gnome.ScreenSaver", true);
    std::thread::sleep(Duration::from_millis(500));
    assert!(s.is_unlocked(), "the setting is off");
    st.lock_on_screen_lock = true;
    c::set_settings(&s, st).expect("set");
    send("org.gnome.ScreenSaver", true);
    wait_until("the GNOME screen-lock lock", Duration::from_secs(5), || {
        !s.is_unlocked()
    });
}

#[cfg(target_os = "linux")]
#[test]
fn keychain_enable_status_disable_and_open_at_start() {
    need_session_bus();
    let (_d, s) = unlocked();
    let st = c::keychain_status(&s).expect("status");
    assert!(!st.enabled && st.supported);
    assert_eq!(st.entry, KeychainEntry::NotEnabled);

    let st = c::keychain_enable(&s).expect("enable");
    assert!(st.enabled);
    assert_eq!(st.entry, KeychainEntry::Opens);
    assert!(c::app_status(&s).expect("s").keychain_enabled);

    // The app restarts: it opens from the keychain at start, once.
    c::lock(&s).expect("lock");
    let fresh = Session::new(s.home.clone(), s.vault_path());
    let st = c::unlock_at_start(&fresh).expect("start");
    assert!(st.unlocked, "opened from the keychain");
    assert_eq!(st.keychain_problem, None);
    c::lock(&fresh).expect("lock");
    assert!(
        !c::unlock_at_start(&fresh).expect("again").unlocked,
        "never again after a lock"
    );
    // With the setting off it does not try.
    let mut set = c::get_settings(&s).expect("get");
    set.keychain_at_start = false;
    unlock_pw(&s, PW).expect("unlock");
    c::set_settings(&s, set.clone()).expect("set");
    let fresh = Session::new(s.home.clone(), s.vault_path());
    assert!(!c::unlock_at_start(&fresh).expect("start").unlocked);
    set.keychain_at_start = true;
    c::set_settings(&s, set).expect("set");

    // An entry that no longer opens the slot: the start says so, and the
    // passphrase works.
    let ident: serde_json::Value = serde_json::from_slice(
        &std::fs::read(s.home.join("identity.json")).expect("identity.json"),
    )
    .expect("json");
    let account = ident["keychain_slot"]["keychain_account"]
        .as_str()
        .expect("the slot names its entry")
        .to_string();
    let mut child = std::process::Command::new("secret-tool")
        .args([
            "store",
            "--label=tampered",
            "service",
            "coffer-dev",
            "username",
            &account,
            "target",
            "default",
            "application",
            "rust-keyring",
        ])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("secret-tool");
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(&[7u8; 32])
            .expect("write");
    }
    assert!(child.wait().expect("wait").success());
    let fresh = Session::new(s.home.clone(), s.vault_path());
    let st = c::unlock_at_start(&fresh).expect("start");
    assert!(!st.unlocked);
    let problem = st.keychain_problem.expect("a problem is reported");
    assert!(problem.contains("no longer opens"), "{problem}");
    assert!(unlock_pw(&fresh, PW).expect("passphrase").unlocked);
    assert_eq!(
        c::keychain_status(&fresh).expect("status").entry,
        KeychainEntry::DoesNotOpen
    );

    // Enabling again repairs it; disabling removes slot and entry.
    assert_eq!(
        c::keychain_enable(&fresh).expect("repair").entry,
        KeychainEntry::Opens
    );
    let st = c::keychain_disable(&fresh).expect("disable");
    assert!(!st.enabled);
    assert_eq!(st.entry, KeychainEntry::NotEnabled);
    assert!(!c::app_status(&fresh).expect("s").keychain_enabled);
}
