//! `kill -9` at random moments during the offboarding of a large vault
//! (issue 3): the vault always reopens, verifies, and is either wholly
//! before the offboarding (member active, old epochs, nothing exposed) or
//! wholly after it (member revoked, every environment they could read at a
//! new epoch, everything they could read exposed) — never in between.
//!
//! The vault is built once through the library and copied (with the owner's
//! device home, which records the op-log head) for every round; the
//! offboarding runs in the real `coffer` binary.

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use coffer_crypto::SecretString;
use coffer_vault::{Access, Role};
use common::*;

const ENVS: [&str; 4] = ["big/a", "big/b", "big/c", "big/d"];
const SHARED_ENV: &str = "side/x";
const PER_ENV: usize = 500;
const ROUNDS: usize = 20;

struct Base {
    fx: Fx,
    bob: Person,
    carol: Person,
    /// Epochs of ENVS then SHARED_ENV.
    epochs: Vec<i64>,
    /// Bob's rows in env_wraps + item_shares + grants.
    bob_rows: i64,
}

fn build() -> Base {
    let fx = Fx::new();
    let mut v = fx.create();
    let bob = Person::new(&fx, "Bob");
    let carol = Person::new(&fx, "Carol");
    for (n, env) in ENVS.iter().enumerate() {
        v.add_env(env, Some(90)).expect("env");
        let entries: Vec<(String, SecretString)> = (0..PER_ENV)
            .map(|i| {
                (
                    format!("KEY_{n}_{i:04}"),
                    secret(&format!(
                        "value-{n}-{i:04}-0123456789abcdefghijklmnopqrstuvwxyz"
                    )),
                )
            })
            .collect();
        v.import_items(env, entries, false).expect("import");
    }
    // Some history, re-encrypted with the rest.
    for i in 0..20 {
        v.set_item(ENVS[0], &format!("KEY_0_{i:04}"), value("second-version"))
            .expect("v2");
    }
    v.add_env(SHARED_ENV, None).expect("env");
    for k in ["SHARED", "NOT_SHARED"] {
        v.set_item(SHARED_ENV, k, value(k)).expect("set");
    }
    let grants: Vec<(&str, Access)> = ENVS.iter().map(|e| (*e, Access::Write)).collect();
    add_member(&mut v, &bob, Role::Member, &grants);
    add_member(
        &mut v,
        &carol,
        Role::Reader,
        &[(ENVS[0], Access::Read), (ENVS[3], Access::Read)],
    );
    v.share(SHARED_ENV, "SHARED", "Bob").expect("share");
    assert!(v.verify().expect("verify").ok());
    drop(v);
    let c = fx.db();
    let epochs = ENVS
        .iter()
        .chain([SHARED_ENV].iter())
        .map(|e| epoch(&c, e))
        .collect();
    let bob_rows = bob_rows(&c, &bob);
    assert_eq!(bob_rows, 4 + 1 + 4);
    drop(c);
    Base {
        fx,
        bob,
        carol,
        epochs,
        bob_rows,
    }
}

fn bob_rows(c: &rusqlite::Connection, bob: &Person) -> i64 {
    ["env_wraps", "item_shares", "grants"]
        .iter()
        .map(|t| member_rows(c, t, &bob.id))
        .sum()
}

/// A fresh copy of the base vault and the owner's home.
fn round(base: &Base) -> Fx {
    let fx = Fx::new();
    copy_dir(&base.fx.home, &fx.home);
    copy_vault(&base.fx.path, &fx.path);
    fx
}

fn spawn_offboard(fx: &Fx) -> std::process::Child {
    coffer(fx, PASSPHRASE)
        .args(["member", "offboard", "Bob", "--yes", "--format", "csv"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn coffer member offboard")
}

#[derive(Debug, PartialEq)]
enum State {
    Before,
    After,
}

/// Opens, verifies and classifies a round's vault; panics on anything
/// half-done.
fn check(base: &Base, fx: &Fx, what: &str) -> State {
    let mut v = fx.open();
    let rep = v.verify().expect("verify runs");
    assert!(rep.ok(), "{what}: {:?}", rep.problems);
    let status = v.member("Bob").expect("Bob").status;
    drop(v);
    let c = fx.db();
    let epochs: Vec<i64> = ENVS
        .iter()
        .chain([SHARED_ENV].iter())
        .map(|e| epoch(&c, e))
        .collect();
    let exposed: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM item_versions WHERE exposed_at IS NOT NULL",
            [],
            |r| r.get(0),
        )
        .expect("count");
    let rows = bob_rows(&c, &base.bob);
    let revokes: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM ops WHERE kind = ?1",
            [coffer_vault::ops::kind::REVOKE_CUT],
            |r| r.get(0),
        )
        .expect("count");
    drop(c);
    let seen = format!(
        "{what}: status {status}, epochs {epochs:?}, {exposed} exposed, {rows} rows for Bob, {revokes} revoke ops"
    );
    if status == "active" {
        assert_eq!(epochs, base.epochs, "{seen}");
        assert_eq!((exposed, rows, revokes), (0, base.bob_rows, 0), "{seen}");
        State::Before
    } else {
        assert_eq!(status, "revoked", "{seen}");
        let mut want = base.epochs.clone();
        for e in want.iter_mut().take(ENVS.len()) {
            *e += 1;
        }
        assert_eq!(epochs, want, "{seen}");
        let all = (ENVS.len() * PER_ENV + 1) as i64;
        assert_eq!((exposed, rows, revokes), (all, 0, 1), "{seen}");
        State::After
    }
}

/// Carol, who keeps access, reads the re-keyed environments.
fn carol_reads(base: &Base, fx: &Fx) {
    // Every round starts from a copy of the base file, which Carol's device
    // rightly sees as a rollback of what it wrote in the round before (the
    // open refuses that). The rounds are separate worlds: forget her head.
    let _ = std::fs::remove_dir_all(base.carol.home.join("heads"));
    let mut c = base.carol.open(&fx.path);
    for env in [ENVS[0], ENVS[3]] {
        let n = c.list_items(Some(env), 14).expect("Carol lists").len();
        assert_eq!(n, PER_ENV, "{env}");
    }
    assert_value(
        &mut c,
        ENVS[3],
        "KEY_3_0007",
        "value-3-0007-0123456789abcdefghijklmnopqrstuvwxyz",
    );
    assert_permission("Carol, side", c.get_item(SHARED_ENV, "SHARED"));
}

#[test]
fn an_offboarding_killed_at_any_moment_is_all_or_nothing() {
    let t_start = Instant::now();
    let base = build();
    let built = t_start.elapsed();

    // A whole offboarding, uninterrupted, for the timing and the end state.
    let full = {
        let fx = round(&base);
        let t0 = Instant::now();
        let out = spawn_offboard(&fx).wait_with_output().expect("offboard");
        let took = t0.elapsed();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(check(&base, &fx, "uninterrupted"), State::After);
        carol_reads(&base, &fx);
        assert_permission("Bob after", base.bob.try_open(&fx.path).map(|_| ()));
        took
    };
    let seed = clock_seed();
    eprintln!(
        "offboard crash: built in {built:?}; a whole offboarding takes {full:?}; seed {seed}"
    );
    let mut rng = Rng(seed);

    let (mut before, mut after) = (0, 0);
    for i in 0..ROUNDS {
        let fx = round(&base);
        let wal0 = wal_len(&fx);
        let mut child = spawn_offboard(&fx);
        let t0 = Instant::now();
        if i % 2 == 0 {
            // Anywhere in the run (mostly while the new epochs are built).
            std::thread::sleep(full.mul_f64(1.1 * rng.unit()));
        } else {
            // While the transaction is being written: from the moment the
            // write-ahead log grows, a little later.
            while wal_len(&fx) <= wal0
                && child.try_wait().expect("try_wait").is_none()
                && t0.elapsed() < full * 3
            {
                std::thread::yield_now();
            }
            // The write and commit take a few milliseconds: kill within them.
            std::thread::sleep(Duration::from_micros(rng.next() % 3_000));
        }
        let _ = child.kill(); // SIGKILL
        let status = child.wait().expect("wait");
        let wal_at_kill = wal_len(&fx);
        let at = t0.elapsed();
        let tc = Instant::now();
        let state = check(&base, &fx, &format!("round {i} (seed {seed})"));
        eprintln!(
            "round {i}: killed after {at:?} ({status}, WAL {wal_at_kill} bytes): {state:?}; checked in {:?}",
            tc.elapsed()
        );
        match state {
            State::Before => before += 1,
            State::After => {
                after += 1;
                if after == 1 {
                    carol_reads(&base, &fx);
                }
            }
        }
        if state == State::Before {
            // The interrupted offboarding can simply be run again.
            if before == 1 {
                let out = spawn_offboard(&fx).wait_with_output().expect("again");
                assert!(
                    out.status.success(),
                    "{}",
                    String::from_utf8_lossy(&out.stderr)
                );
                assert_eq!(check(&base, &fx, "re-run"), State::After);
            }
        }
    }
    eprintln!(
        "offboard crash: {before} rounds wholly before, {after} wholly after; {:?} in all",
        t_start.elapsed()
    );
}
