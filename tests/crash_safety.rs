//! `kill -9` at random moments during every mutating command (issue 10;
//! `offboard_crash.rs` does the same for offboarding): `set`, `import` of
//! 1,000 values, `rotate`, `grant`, `ungrant`, `member add`, `passwd` and
//! `keychain enable`. After each kill the identity loads and unlocks, the
//! vault opens, `audit verify` passes (chains, signatures, the replay
//! compared with the file, the device head), and the state is wholly the
//! old one or wholly the new one — never in between.
//!
//! The base vault is built once through the library; each round runs the
//! real `coffer` binary on a fresh copy of it and of the owner's home. Half
//! the rounds kill at a uniformly random moment of the command's measured
//! run time, half in its last part (where it writes). Every scenario also
//! runs once uninterrupted, so both outcomes are known reachable.
//! `COFFER_CRASH_ROUNDS=N` runs N rounds per scenario (default 9).
//!
//! The read path too (issue 14): `get`, `export` and `run` killed at any
//! moment, over and over on one vault whose WAL keeps the read events of
//! the rounds before (read-only commands no longer checkpoint on close,
//! and the recorded head is written in place). After each kill the vault
//! opens and verifies (the head included), the kill added at most one
//! read event, and a command that printed the value had its read event in
//! the log.
//! The keychain scenario needs the test Secret Service (`make test` runs
//! everything under `scripts/with-keyring.sh`); without it, it fails and
//! says so.

mod common;

use std::io::Write as _;
use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use coffer_vault::{Access, IdentityStore, KeychainUnlock, Role, Vault};
use common::*;

const OLD_VALUE: &str = "the-old-value-0123456789";
const NEW_VALUE: &str = "the-new-value-9876543210";
const NEW_PASSPHRASE: &str = "a brand new passphrase 9Zq?";
const IMPORT_ENV: &str = "bulk/import";
const IMPORTED: usize = 1_000;

struct Base {
    fx: Fx,
    /// Carol, not yet a member (for `member add`).
    carol: Person,
    /// The epoch of PROD.
    prod_epoch: i64,
    /// A `.env` file of IMPORTED values.
    import_file: std::path::PathBuf,
}

fn build() -> Base {
    let fx = Fx::new();
    let mut v = fx.create();
    v.add_env(PROD, Some(90)).expect("env");
    v.add_env(DEV, None).expect("env");
    v.add_env(IMPORT_ENV, None).expect("env");
    v.set_item(PROD, "API_KEY", value(OLD_VALUE)).expect("set");
    for i in 0..20 {
        v.set_item(DEV, &format!("DEV_{i:02}"), value(&format!("dev-{i}")))
            .expect("set");
    }
    let bob = Person::new(&fx, "Bob");
    add_member(&mut v, &bob, Role::Member, &[(PROD, Access::Read)]);
    let carol = Person::new(&fx, "Carol");
    assert!(v.verify().expect("verify").ok());
    drop(v);
    let prod_epoch = epoch(&fx.db(), PROD);
    let import_file = fx.dir.path().join("bulk.env");
    let mut text = String::new();
    for i in 0..IMPORTED {
        text.push_str(&format!("IMPORTED_{i:04}='imported value {i:04}'\n"));
    }
    std::fs::write(&import_file, text).expect("write import file");
    Base {
        fx,
        carol,
        prod_epoch,
        import_file,
    }
}

/// A fresh copy of the base vault and the owner's home.
fn round(base: &Base) -> Fx {
    let fx = Fx::new();
    copy_dir(&base.fx.home, &fx.home);
    copy_vault(&base.fx.path, &fx.path);
    fx
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Before,
    After,
}

/// One mutating command and how to tell its two outcomes apart.
struct Scenario {
    name: &'static str,
    /// The `coffer` arguments (`{import}`, `{carol}`, `{carol_fp}` are
    /// replaced by the base's file, public identity and fingerprint).
    args: &'static [&'static str],
    /// Piped to stdin (the value for `set`).
    stdin: Option<&'static str>,
    /// Extra environment (the new passphrase for `passwd`).
    env: &'static [(&'static str, &'static str)],
    /// Classifies a round's vault, opened and verified; panics on anything
    /// half-done.
    classify: fn(&Base, &Fx, &mut Vault) -> State,
}

fn spawn(base: &Base, fx: &Fx, s: &Scenario, bus: Option<&str>) -> Child {
    let mut c = coffer(fx, PASSPHRASE);
    for a in s.args {
        let a = a
            .replace("{import}", &base.import_file.display().to_string())
            .replace("{carol}", &base.carol.public_identity)
            .replace("{carol_fp}", &base.carol.fingerprint);
        c.arg(a);
    }
    for (k, v) in s.env {
        c.env(k, v);
    }
    if let Some(b) = bus {
        c.env("DBUS_SESSION_BUS_ADDRESS", b);
    }
    c.stdin(if s.stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    let mut child = c.spawn().expect("spawn coffer");
    if let Some(input) = s.stdin {
        // The child may already be dead (killed early): a broken pipe is fine.
        let _ = child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input.as_bytes());
    }
    child
}

/// Loads and unlocks the round's identity with whichever passphrase
/// works (exactly one must), opens and verifies the vault, classifies it.
fn check(base: &Base, fx: &Fx, s: &Scenario, what: &str) -> State {
    let store = IdentityStore::load(&fx.home).unwrap_or_else(|e| panic!("{what}: load: {e}"));
    let old = store.unlock_with_password(&secret(PASSPHRASE));
    let new = store.unlock_with_password(&secret(NEW_PASSPHRASE));
    let (me, pw_state) = match (old, new) {
        (Ok(me), Err(_)) => (me, State::Before),
        (Err(_), Ok(me)) => (me, State::After),
        (a, b) => panic!(
            "{what}: old passphrase {}, new passphrase {}",
            a.is_ok(),
            b.is_ok()
        ),
    };
    let mut v = Vault::open(&fx.path, me).unwrap_or_else(|e| panic!("{what}: open: {e}"));
    let rep = v.verify().unwrap_or_else(|e| panic!("{what}: verify: {e}"));
    assert!(rep.ok(), "{what}: {:?}", rep.problems);
    let st = (s.classify)(base, fx, &mut v);
    if s.name == "passwd" {
        // The passphrase that opens is the outcome; the vault is untouched.
        return pw_state;
    }
    assert_eq!(pw_state, State::Before, "{what}: the passphrase changed");
    st
}

fn api_key(v: &mut Vault) -> String {
    let (_, val) = v.get_item(PROD, "API_KEY").expect("get");
    val.expose_secret().to_string()
}

fn classify_set(_: &Base, _: &Fx, v: &mut Vault) -> State {
    match api_key(v).as_str() {
        OLD_VALUE => State::Before,
        NEW_VALUE => State::After,
        _ => panic!("API_KEY holds neither the old nor the new value"),
    }
}

fn classify_rotate(_: &Base, _: &Fx, v: &mut Vault) -> State {
    let versions = v.history(PROD, "API_KEY", false).expect("history").len();
    let val = api_key(v);
    match (val == OLD_VALUE, versions) {
        (true, 1) => State::Before,
        (false, 2) => State::After,
        (same, n) => panic!("old value {same} with {n} versions"),
    }
}

fn classify_import(_: &Base, _: &Fx, v: &mut Vault) -> State {
    match v.list_items(Some(IMPORT_ENV), 14).expect("list").len() {
        0 => State::Before,
        IMPORTED => State::After,
        n => panic!("{n} of {IMPORTED} values imported"),
    }
}

fn bob_grants(v: &Vault) -> Vec<String> {
    let mut g = v.member("Bob").expect("Bob").grants;
    g.sort();
    g
}

fn classify_grant(_: &Base, _: &Fx, v: &mut Vault) -> State {
    let g = bob_grants(v);
    if g.iter().any(|g| g.starts_with(DEV)) {
        assert_eq!(g.len(), 2, "{g:?}");
        State::After
    } else {
        assert_eq!(g.len(), 1, "{g:?}");
        State::Before
    }
}

fn classify_ungrant(base: &Base, fx: &Fx, v: &mut Vault) -> State {
    let g = bob_grants(v);
    let e = epoch(&fx.db(), PROD);
    match (g.is_empty(), e - base.prod_epoch) {
        (false, 0) => State::Before,
        // Taking the grant away re-keys the environment in the same step.
        (true, 1) => State::After,
        (empty, d) => panic!("grant removed {empty}, epoch moved by {d}"),
    }
}

fn classify_member_add(base: &Base, _: &Fx, v: &mut Vault) -> State {
    match v.member(&base.carol.name) {
        Ok(m) => {
            assert_eq!(m.grants.len(), 1, "{:?}", m.grants);
            assert_eq!(m.fingerprint, base.carol.fingerprint);
            State::After
        }
        Err(_) => State::Before,
    }
}

fn classify_passwd(_: &Base, _: &Fx, v: &mut Vault) -> State {
    // The passphrase that opens decides (see `check`); the vault is untouched.
    assert_eq!(api_key(v), OLD_VALUE);
    State::Before
}

fn classify_keychain(_: &Base, fx: &Fx, _: &mut Vault) -> State {
    let store = IdentityStore::load(&fx.home).expect("load");
    match store.unlock_with_keychain() {
        KeychainUnlock::NotEnabled => State::Before,
        KeychainUnlock::Unlocked(_) => State::After,
        // A slot whose entry is missing or does not open: half-done.
        KeychainUnlock::Failed(p) => panic!("a keychain slot that does not open: {p}"),
    }
}

const KEYCHAIN_ENABLE: Scenario = Scenario {
    name: "keychain enable",
    args: &["keychain", "enable"],
    stdin: None,
    env: &[],
    classify: classify_keychain,
};

const SCENARIOS: &[Scenario] = &[
    Scenario {
        name: "set",
        args: &["set", PROD, "API_KEY"],
        stdin: Some(NEW_VALUE),
        env: &[],
        classify: classify_set,
    },
    Scenario {
        name: "import",
        args: &["import", "{import}", IMPORT_ENV],
        stdin: None,
        env: &[],
        classify: classify_import,
    },
    Scenario {
        name: "rotate",
        args: &["rotate", PROD, "API_KEY", "--generate"],
        stdin: None,
        env: &[],
        classify: classify_rotate,
    },
    Scenario {
        name: "grant",
        args: &["grant", "Bob", "web/dev:read"],
        stdin: None,
        env: &[],
        classify: classify_grant,
    },
    Scenario {
        name: "ungrant",
        args: &["ungrant", "Bob", PROD],
        stdin: None,
        env: &[],
        classify: classify_ungrant,
    },
    Scenario {
        name: "member add",
        args: &[
            "member",
            "add",
            "{carol}",
            "--name",
            "Carol",
            "--role",
            "reader",
            "--grant",
            "web/dev:read",
            "--fingerprint",
            "{carol_fp}",
        ],
        stdin: None,
        env: &[],
        classify: classify_member_add,
    },
    Scenario {
        name: "passwd",
        args: &["passwd"],
        stdin: None,
        env: &[("COFFER_NEW_PASSPHRASE", NEW_PASSPHRASE)],
        classify: classify_passwd,
    },
];

fn rounds() -> usize {
    std::env::var("COFFER_CRASH_ROUNDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(9)
}

/// Runs `s` once uninterrupted (it must succeed and reach After), then
/// `rounds()` times killed; returns (before, after) counts.
fn crash(
    base: &Base,
    s: &Scenario,
    bus: Option<&str>,
    check_round: &dyn Fn(&Fx, &str) -> State,
) -> (usize, usize) {
    let fx = round(base);
    let t0 = Instant::now();
    let out = spawn(base, &fx, s, bus).wait_with_output().expect("run");
    let full = t0.elapsed();
    assert!(
        out.status.success(),
        "{}: {}",
        s.name,
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        check_round(&fx, "uninterrupted"),
        State::After,
        "{}",
        s.name
    );
    let seed = clock_seed();
    let mut rng = Rng(seed);
    let (mut before, mut after) = (0, 0);
    for i in 0..rounds() {
        let fx = round(base);
        let wal0 = wal_len(&fx);
        let mut child = spawn(base, &fx, s, bus);
        let t = Instant::now();
        match i % 3 {
            // Anywhere in the run.
            0 => std::thread::sleep(full.mul_f64(1.1 * rng.unit())),
            // In its last part, where it writes.
            1 => std::thread::sleep(full.mul_f64(0.6 + 0.5 * rng.unit())),
            // Within the vault transaction: from the moment the write-ahead
            // log grows, a few milliseconds on (commands that write only the
            // identity file fall back to the last part of the run).
            _ => {
                while wal_len(&fx) <= wal0
                    && child.try_wait().expect("try_wait").is_none()
                    && t.elapsed() < full * 2
                {
                    std::thread::yield_now();
                }
                if t.elapsed() >= full * 2 {
                    std::thread::sleep(full.mul_f64(0.5 * rng.unit()));
                } else {
                    std::thread::sleep(Duration::from_micros(rng.next() % 3_000));
                }
            }
        }
        let delay = t.elapsed();
        let _ = child.kill(); // SIGKILL
        let status = child.wait().expect("wait");
        let what = format!("{} round {i} (seed {seed}, killed after {delay:?})", s.name);
        let state = check_round(&fx, &what);
        eprintln!("{what}: {status}: {state:?}");
        match state {
            State::Before => before += 1,
            State::After => after += 1,
        }
    }
    eprintln!(
        "{}: a whole run takes {full:?}; {before} rounds wholly before, {after} wholly after",
        s.name
    );
    (before, after)
}

#[test]
fn every_mutating_command_killed_at_any_moment_is_all_or_nothing() {
    let t0 = Instant::now();
    let base = build();
    eprintln!("crash safety: base built in {:?}", t0.elapsed());
    for s in SCENARIOS {
        crash(&base, s, None, &|fx, what| check(&base, fx, s, what));
    }
    eprintln!("crash safety: {:?} in all", t0.elapsed());
    assert!(t0.elapsed() < Duration::from_secs(600));
}

#[test]
fn keychain_enable_killed_at_any_moment_leaves_no_slot_without_its_entry() {
    let bus = std::env::var("DBUS_SESSION_BUS_ADDRESS").unwrap_or_default();
    assert!(
        !bus.is_empty(),
        "no D-Bus session: this test needs the test Secret Service; run it via `make test` \
         (scripts/test.sh runs everything under scripts/with-keyring.sh)"
    );
    let base = build();
    let s = &KEYCHAIN_ENABLE;
    crash(&base, s, Some(&bus), &|fx, what| check(&base, fx, s, what));
}

/// The read events in the log (kind 6, `read`), read-only: a connection
/// that may write would checkpoint the WAL when it closes.
fn reads_in(fx: &Fx) -> i64 {
    rusqlite::Connection::open_with_flags(&fx.path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .expect("open")
        .query_row("SELECT COUNT(*) FROM ops WHERE kind = 6", [], |r| r.get(0))
        .expect("count")
}

#[test]
fn reads_killed_at_any_moment_keep_the_log_and_the_head_consistent() {
    let base = build();
    // One vault for every round: the WAL carries the earlier rounds' read
    // events (nothing checkpoints them but a writing command).
    let fx = round(&base);
    let commands: [&[&str]; 3] = [
        &["get", "-n", PROD, "API_KEY"],
        &["export", PROD],
        &["run", "--no-masking", PROD, "--", "printenv", "API_KEY"],
    ];
    let full = {
        let t = Instant::now();
        let out = coffer(&fx, PASSPHRASE)
            .args(commands[0])
            .output()
            .expect("run");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        t.elapsed()
    };
    let seed = clock_seed();
    let mut rng = Rng(seed);
    let (mut shown, mut logged_unshown, mut none) = (0, 0, 0);
    for i in 0..rounds() * 4 {
        let args = commands[i % commands.len()];
        let before = reads_in(&fx);
        let mut child = coffer(&fx, PASSPHRASE)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        let delay = match i % 2 {
            0 => full.mul_f64(1.2 * rng.unit()),
            // Around the end, where it commits, records the head and prints.
            _ => full.mul_f64(0.5 + 0.7 * rng.unit()),
        };
        std::thread::sleep(delay);
        let _ = child.kill(); // SIGKILL
        let out = child.wait_with_output().expect("wait");
        let what = format!("{args:?} round {i} (seed {seed}, killed after {delay:?})");
        // The vault opens (the recorded head is checked at open) and
        // verifies; the owner's read is the check's own.
        let me = IdentityStore::load(&fx.home)
            .expect("load")
            .unlock_with_password(&secret(PASSPHRASE))
            .expect("unlock");
        let mut v = Vault::open(&fx.path, me).unwrap_or_else(|e| panic!("{what}: open: {e}"));
        let rep = v.verify().unwrap_or_else(|e| panic!("{what}: verify: {e}"));
        assert!(rep.ok(), "{what}: {:?}", rep.problems);
        drop(v);
        let after = reads_in(&fx);
        let printed = String::from_utf8_lossy(&out.stdout).contains(OLD_VALUE);
        assert!(
            after == before || after == before + 1,
            "{what}: {before} -> {after} read events"
        );
        if printed {
            assert_eq!(
                after,
                before + 1,
                "{what}: the value was shown, its read was not logged"
            );
            shown += 1;
        } else if after > before {
            logged_unshown += 1;
        } else {
            none += 1;
        }
    }
    eprintln!(
        "reads killed: {shown} shown and logged, {logged_unshown} logged before the kill stopped the output, {none} killed before the log"
    );
    // The rounds reach both sides of the commit.
    assert!(
        shown + logged_unshown > 0 && none > 0,
        "every round on one side"
    );
}
