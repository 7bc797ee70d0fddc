//! The session unlock cache against the real kernel keyring: after one
//! unlock, the next command needs no passphrase; `coffer lock` ends it; the
//! sealed half on disk opens nothing without the kernel key; the kernel key
//! carries a timeout; `COFFER_SESSION_MINUTES=0` keeps it off.

mod common;

use common::Env;

const AUTH: i32 = 3;

fn with_session(env: &Env, args: &[&str]) -> common::Run {
    env.coffer(args).env("COFFER_SESSION_MINUTES", "10")
}

/// The kernel keyring's line for this identity's session key, as
/// `/proc/keys` shows it to a process that possesses the session keyring.
fn kernel_line(env: &Env) -> Option<String> {
    let id = env.coffer(["identity", "show", "--json"]).ok().json()["id"]
        .as_str()
        .expect("id")
        .to_string();
    std::fs::read_to_string("/proc/keys")
        .expect("/proc/keys")
        .lines()
        .filter(|l| l.contains(&format!("coffer-session:{id}")))
        // An invalidated, revoked or dead key lingers until the kernel's
        // garbage collector runs: it is gone for every reader.
        .find(|l| {
            let flags = l.split_whitespace().nth(1).unwrap_or("");
            !flags.contains(['i', 'R', 'D'])
        })
        .map(str::to_string)
}

#[test]
fn a_session_skips_the_passphrase_until_coffer_lock() {
    let env = Env::with_vault();
    env.set("web/prod", "API_KEY", "session-value");
    with_session(&env, &["ls", "web/prod"]).ok();
    assert!(env.home().join("session.slot").exists(), "the sealed half");
    let line = kernel_line(&env).expect("a session key in the kernel keyring");
    // Column 5 is the expiry: `perm` would mean no timeout.
    let expiry = line.split_whitespace().nth(4).expect("expiry column");
    assert_ne!(expiry, "perm", "the session key has a timeout: {line}");
    let out = with_session(&env, &["get", "web/prod", "API_KEY"])
        .env("COFFER_PASSPHRASE", "not the passphrase")
        .ok();
    assert_eq!(out.stdout.trim(), "session-value");
    let lock = env.coffer(["lock"]).ok();
    assert!(lock.stderr.contains("Locked"), "{}", lock.stderr);
    assert!(!env.home().join("session.slot").exists());
    assert!(kernel_line(&env).is_none(), "the kernel key is gone");
    with_session(&env, &["get", "web/prod", "API_KEY"])
        .env("COFFER_PASSPHRASE", "not the passphrase")
        .fails(AUTH);
}

#[test]
fn the_sealed_half_alone_opens_nothing() {
    let env = Env::with_vault();
    with_session(&env, &["ls"]).ok();
    let slot = std::fs::read(env.home().join("session.slot")).expect("slot");
    env.coffer(["lock"]).ok();
    // Put the file back, as someone who copied it would.
    std::fs::write(env.home().join("session.slot"), &slot).expect("restore");
    with_session(&env, &["ls"])
        .env("COFFER_PASSPHRASE", "not the passphrase")
        .fails(AUTH);
    // A new unlock replaces both halves; the copied file is useless.
    with_session(&env, &["ls"]).ok();
    let fresh = std::fs::read(env.home().join("session.slot")).expect("slot");
    assert_ne!(fresh, slot, "each session has its own key");
    env.coffer(["lock"]).ok();
}

#[test]
fn session_minutes_zero_keeps_it_off() {
    let env = Env::with_vault();
    env.coffer(["ls"]).ok();
    assert!(!env.home().join("session.slot").exists());
    assert!(kernel_line(&env).is_none());
    env.coffer(["ls"])
        .env("COFFER_PASSPHRASE", "not the passphrase")
        .fails(AUTH);
    let lock = env.coffer(["lock"]).ok();
    assert!(lock.stderr.contains("No session"), "{}", lock.stderr);
}
