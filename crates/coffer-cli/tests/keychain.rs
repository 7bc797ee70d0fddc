//! `coffer keychain` against a real Secret Service (gnome-keyring on a
//! private D-Bus session, started by `scripts/test.sh`), never a mock.
//! The keyring is inspected and tampered with through `secret-tool`, an
//! independent client. Without a Secret Service these tests fail and say
//! how to run them.

mod common;

use std::process::Command;

use common::{Env, Run};

const AUTH: i32 = 3;
const KEYCHAIN: i32 = 11;

/// Debug builds (what `cargo test` runs) use this keychain service.
const SERVICE: &str = "coffer-dev";

const HOW: &str = "the keychain tests need a real Secret Service: a D-Bus session \
    (DBUS_SESSION_BUS_ADDRESS) with gnome-keyring-daemon unlocked, and `secret-tool` \
    (libsecret-tools). Run them via `make test` (scripts/test.sh starts both), or see \
    docs/keychain.md for the dbus-run-session line";

/// The session bus address, after checking a Secret Service answers on it.
fn bus() -> String {
    let addr = std::env::var("DBUS_SESSION_BUS_ADDRESS").unwrap_or_default();
    assert!(!addr.is_empty(), "no D-Bus session: {HOW}");
    // Store and clear a probe item: proves the daemon is there and unlocked.
    // Unique per test: the tests run in parallel.
    let who = format!(
        "probe-{}-{:?}",
        std::process::id(),
        std::thread::current().id()
    );
    let probe = ["service", "coffer-test-probe", "username", who.as_str()];
    let stored = Command::new("secret-tool")
        .args(["store", "--label=coffer test probe"])
        .args(probe)
        .stdin(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut c| {
            use std::io::Write;
            c.stdin.take().expect("stdin").write_all(b"probe")?;
            c.wait()
        });
    assert!(
        stored.is_ok_and(|s| s.success()),
        "no usable Secret Service on {addr}: {HOW}"
    );
    let _ = Command::new("secret-tool")
        .arg("clear")
        .args(probe)
        .status();
    addr
}

/// One device with a vault, `web/prod` holding `API_KEY`, and access to
/// the test Secret Service.
struct Device {
    env: Env,
    bus: String,
}

impl Device {
    fn new() -> Self {
        let bus = bus();
        let env = Env::with_vault();
        env.set("web/prod", "API_KEY", "s3cr3t-value");
        Device { env, bus }
    }

    /// `coffer …` with the passphrase in COFFER_PASSPHRASE.
    fn coffer<const N: usize>(&self, args: [&str; N]) -> Run {
        self.env
            .coffer(args)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
    }

    /// `coffer …` with no passphrase available: not in the environment and
    /// no controlling terminal (setsid), so only the keychain can unlock.
    fn coffer_no_pw<const N: usize>(&self, args: [&str; N]) -> Run {
        let mut argv = vec!["-w".to_string(), common::bin().display().to_string()];
        argv.extend(args.iter().map(|s| s.to_string()));
        self.env
            .program("setsid", argv)
            .env("DBUS_SESSION_BUS_ADDRESS", &self.bus)
            .env_remove("COFFER_PASSPHRASE")
    }

    fn enable(&self) -> String {
        let out = self.coffer(["keychain", "enable"]).ok();
        assert!(out.stderr.contains("Keychain unlock enabled"), "{out}");
        let st = self.status();
        assert_eq!(st["enabled"], true, "{st}");
        assert_eq!(st["entry"], "opens", "{st}");
        assert_eq!(st["service"], SERVICE, "{st}");
        st["account"].as_str().expect("account").to_string()
    }

    fn status(&self) -> serde_json::Value {
        self.coffer(["keychain", "status", "--json"]).ok().json()
    }

    fn identity_id(&self) -> String {
        self.coffer(["identity", "show", "--json"]).ok().json()["id"]
            .as_str()
            .expect("id")
            .to_string()
    }
}

/// The keyring items for `account` (our service), as `secret-tool` lists them.
fn entries(account: &str) -> usize {
    let out = Command::new("secret-tool")
        .args(["search", "--all", "service", SERVICE, "username", account])
        .output()
        .expect("secret-tool");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    text.matches(&format!("attribute.username = {account}"))
        .count()
}

/// Replaces the entry's secret with `secret` (same attributes, so
/// gnome-keyring replaces the item).
fn replace_entry(account: &str, secret: &[u8]) {
    let mut c = Command::new("secret-tool")
        .args(["store", "--label=replaced"])
        .args(["service", SERVICE, "username", account])
        .args(["target", "default", "application", "rust-keyring"])
        .stdin(std::process::Stdio::piped())
        .spawn()
        .expect("secret-tool");
    {
        use std::io::Write;
        c.stdin
            .take()
            .expect("stdin")
            .write_all(secret)
            .expect("write");
    }
    assert!(c.wait().expect("wait").success());
    assert_eq!(entries(account), 1, "the entry must have been replaced");
}

fn delete_entry(account: &str) {
    let s = Command::new("secret-tool")
        .args(["clear", "service", SERVICE, "username", account])
        .status()
        .expect("secret-tool");
    assert!(s.success());
    assert_eq!(entries(account), 0);
}

fn random_printable(n: usize) -> Vec<u8> {
    let mut b = vec![0u8; n];
    std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut b))
        .expect("urandom");
    b.iter().map(|x| b'!' + x % 94).collect()
}

#[test]
fn keychain_unlocks_without_passphrase_until_disabled() {
    let d = Device::new();
    // Before: no passphrase, no terminal → the auth error.
    let msg = d.coffer_no_pw(["get", "web/prod", "API_KEY"]).fails(AUTH);
    assert!(msg.contains("no passphrase available"), "{msg}");

    let account = d.enable();
    assert!(
        account.starts_with(&format!("{}/", d.identity_id())),
        "{account}"
    );
    assert_eq!(
        entries(&account),
        1,
        "the device key is in the Secret Service"
    );

    // With the slot: no passphrase, no terminal, and no warning.
    let out = d.coffer_no_pw(["get", "-n", "web/prod", "API_KEY"]).ok();
    assert_eq!(out.stdout, "s3cr3t-value");
    assert_eq!(out.stderr, "", "{out}");
    let out = d
        .coffer_no_pw([
            "run",
            "--no-masking",
            "web/prod",
            "--",
            "sh",
            "-c",
            "printf %s \"$API_KEY\"",
        ])
        .ok();
    assert_eq!(out.stdout, "s3cr3t-value");
    // A write too (signed with the keychain-unlocked identity).
    d.coffer_no_pw(["set", "web/prod", "OTHER", "--generate"])
        .ok();
    d.coffer_no_pw(["audit", "verify"]).ok();

    // Disable: the entry is gone from the keyring, the passphrase is needed again.
    let out = d.coffer_no_pw(["keychain", "disable"]).ok();
    assert!(out.stderr.contains("keychain entry are deleted"), "{out}");
    assert_eq!(entries(&account), 0, "disable must delete the entry");
    let msg = d.coffer_no_pw(["get", "web/prod", "API_KEY"]).fails(AUTH);
    assert!(msg.contains("no passphrase available"), "{msg}");
    let st = d.status();
    assert_eq!(st["enabled"], false, "{st}");
    assert_eq!(st["entry"], "not_enabled", "{st}");
    // Disabling again is harmless.
    let out = d.coffer(["keychain", "disable"]).ok();
    assert!(out.stderr.contains("was not enabled"), "{out}");
}

#[test]
fn fail_keychain_entry_replaced_warns_and_falls_back_to_passphrase() {
    let d = Device::new();
    let account = d.enable();
    // 32 random bytes (the right length, the wrong key), then a wrong length.
    for junk in [random_printable(32), random_printable(7)] {
        replace_entry(&account, &junk);
        let out = d.coffer_no_pw(["get", "web/prod", "API_KEY"]).run();
        assert_eq!(out.code, AUTH, "{out}");
        let warnings: Vec<_> = out
            .stderr
            .lines()
            .filter(|l| l.starts_with("warning: "))
            .collect();
        assert_eq!(warnings.len(), 1, "exactly one warning line\n{out}");
        assert!(
            warnings[0].contains("the keychain entry no longer opens your identity")
                && warnings[0].contains("using the passphrase"),
            "{out}"
        );
        assert!(out.stderr.contains("no passphrase available"), "{out}");

        // The password fallback works, with the same one warning.
        let out = d.coffer(["get", "-n", "web/prod", "API_KEY"]).ok();
        assert_eq!(out.stdout, "s3cr3t-value");
        assert_eq!(out.stderr.lines().count(), 1, "{out}");
        assert!(out
            .stderr
            .starts_with("warning: the keychain entry no longer opens"));
        let st = d.status();
        assert_eq!(st["entry"], "does_not_open", "{st}");
    }
    // No key material in what we print.
    let out = d.coffer(["keychain", "status"]).ok();
    assert!(out.stdout.contains("does NOT open"), "{out}");

    // Enabling again repairs it: a new slot and entry, the old entry deleted.
    let new_account = d.enable();
    assert_ne!(new_account, account);
    assert_eq!(entries(&account), 0, "the replaced entry is cleaned up");
    assert_eq!(entries(&new_account), 1);
    let out = d.coffer_no_pw(["get", "-n", "web/prod", "API_KEY"]).ok();
    assert_eq!(
        (out.stdout.as_str(), out.stderr.as_str()),
        ("s3cr3t-value", "")
    );
}

#[test]
fn fail_keychain_entry_deleted_warns_and_falls_back_to_passphrase() {
    let d = Device::new();
    let account = d.enable();
    delete_entry(&account);
    let out = d.coffer_no_pw(["get", "web/prod", "API_KEY"]).run();
    assert_eq!(out.code, AUTH, "{out}");
    assert!(
        out.stderr
            .contains("warning: the keychain entry for your identity is missing"),
        "{out}"
    );
    let out = d.coffer(["get", "-n", "web/prod", "API_KEY"]).ok();
    assert_eq!(out.stdout, "s3cr3t-value");
    assert_eq!(out.stderr.lines().count(), 1, "one warning line\n{out}");
    assert_eq!(d.status()["entry"], "missing");
    // Disable works although the entry is already gone.
    let out = d.coffer_no_pw(["keychain", "disable"]).ok();
    assert!(out.stderr.contains("already gone"), "{out}");
    assert_eq!(d.status()["enabled"], false);
    let out = d.coffer(["get", "-n", "web/prod", "API_KEY"]).ok();
    assert_eq!(out.stderr, "", "no warning once disabled\n{out}");
}

#[test]
fn two_identities_do_not_collide() {
    let (a, b) = (Device::new(), Device::new());
    b.coffer(["set", "web/prod", "API_KEY"])
        .stdin("b-value")
        .ok();
    let (acc_a, acc_b) = (a.enable(), b.enable());
    assert_ne!(acc_a, acc_b);
    assert!(acc_a.starts_with(&a.identity_id()) && acc_b.starts_with(&b.identity_id()));
    assert_eq!((entries(&acc_a), entries(&acc_b)), (1, 1));
    assert_eq!(
        a.coffer_no_pw(["get", "-n", "web/prod", "API_KEY"])
            .ok()
            .stdout,
        "s3cr3t-value"
    );
    assert_eq!(
        b.coffer_no_pw(["get", "-n", "web/prod", "API_KEY"])
            .ok()
            .stdout,
        "b-value"
    );
    // Disabling one leaves the other's entry and unlock alone.
    a.coffer(["keychain", "disable"]).ok();
    assert_eq!((entries(&acc_a), entries(&acc_b)), (0, 1));
    b.coffer_no_pw(["get", "web/prod", "API_KEY"]).ok();
    a.coffer_no_pw(["get", "web/prod", "API_KEY"]).fails(AUTH);
    b.coffer(["keychain", "disable"]).ok();
}

#[test]
fn keychain_unlock_during_backoff_does_not_reset_it() {
    let d = Device::new();
    d.enable();
    // Ten failed passphrase attempts just now: a back-off of minutes.
    let state = d.env.home().join("unlock-state.json");
    let failed = format!(
        "{{\"failures\":10,\"last_failure\":{}}}",
        common::unix_now()
    );
    std::fs::write(&state, &failed).expect("write");
    // The keychain still unlocks…
    d.coffer_no_pw(["get", "web/prod", "API_KEY"]).ok();
    // …and leaves the failure count and the back-off as they were.
    assert_eq!(std::fs::read_to_string(&state).expect("read"), failed);
    let st = d.status();
    assert!(
        st["backoff_remaining_secs"].as_u64().expect("secs") > 60,
        "{st}"
    );
    let out = d.coffer(["keychain", "status"]).ok();
    assert!(out.stdout.contains("Back-off:"), "{out}");
    // The passphrase path is still locked out when the keychain cannot help.
    let msg = d
        .coffer(["get", "web/prod", "API_KEY"])
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent/bus")
        .fails(AUTH);
    assert!(msg.contains("too many failed unlock attempts"), "{msg}");
    d.coffer(["keychain", "disable"]).ok();
}

#[test]
fn fail_no_secret_service_at_run_time() {
    let d = Device::new();
    let nobus = "unix:path=/nonexistent/bus";
    // Enabling without a reachable store is refused (exit 11); nothing changes.
    let msg = d
        .coffer(["keychain", "enable"])
        .env("DBUS_SESSION_BUS_ADDRESS", nobus)
        .fails(KEYCHAIN);
    assert!(
        msg.contains("keychain") && msg.contains("unavailable"),
        "{msg}"
    );
    assert_eq!(d.status()["enabled"], false);

    // Enabled, then the store disappears: one clear line, then the passphrase.
    let account = d.enable();
    let out = d
        .coffer(["get", "-n", "web/prod", "API_KEY"])
        .env("DBUS_SESSION_BUS_ADDRESS", nobus)
        .ok();
    assert_eq!(out.stdout, "s3cr3t-value");
    assert_eq!(out.stderr.lines().count(), 1, "{out}");
    assert!(
        out.stderr
            .starts_with("warning: the OS keychain is unavailable: no Secret Service reachable"),
        "{out}"
    );
    let st: serde_json::Value = d
        .coffer(["keychain", "status", "--json"])
        .env("DBUS_SESSION_BUS_ADDRESS", nobus)
        .ok()
        .json();
    assert_eq!(st["entry"], "unavailable", "{st}");
    // Disabling without the store removes the slot and says which entry is left.
    let msg = d
        .coffer(["keychain", "disable"])
        .env("DBUS_SESSION_BUS_ADDRESS", nobus)
        .fails(KEYCHAIN);
    assert!(
        msg.contains(&account) && msg.contains("could not be deleted"),
        "{msg}"
    );
    assert_eq!(d.status()["enabled"], false);
    assert_eq!(entries(&account), 1);
    delete_entry(&account);
}

/// The pre-commit hook unlocks from the keychain with no passphrase and no
/// terminal (setsid): a staged vault value is blocked, a clean commit passes.
#[test]
fn pre_commit_hook_unlocks_from_the_keychain_without_a_prompt() {
    if !common::have_git() {
        return;
    }
    let d = Device::new();
    d.enable();
    let git = |args: &[&str]| {
        let mut argv = vec![
            "-w",
            "git",
            "-c",
            "user.name=Ada",
            "-c",
            "user.email=ada@example.com",
        ];
        argv.extend_from_slice(args);
        d.env
            .program("setsid", argv)
            .env("DBUS_SESSION_BUS_ADDRESS", &d.bus)
            .env_remove("COFFER_PASSPHRASE")
            .run()
    };
    assert_eq!(git(&["init", "-q", "."]).code, 0);
    d.coffer(["hook", "install", "pre-commit"]).ok();
    d.env.write("ok.txt", "fine\n");
    git(&["add", "ok.txt"]);
    let c = git(&["commit", "-q", "-m", "clean"]);
    assert_eq!(c.code, 0, "{c}");
    d.env.write("leak.txt", "token=s3cr3t-value\n");
    git(&["add", "leak.txt"]);
    let c = git(&["commit", "-q", "-m", "leak"]);
    assert_ne!(c.code, 0, "{c}");
    assert!(c.all().contains("leak.txt:1"), "{c}");
    assert!(c.stderr.contains("listed above hold values"), "{c}");
    assert!(!c.all().contains("s3cr3t-value"), "{c}");
}
