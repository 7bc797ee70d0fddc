//! A failed command changes nothing, and a process killed at any point
//! leaves a vault that opens and verifies (DESIGN.md §4, §9).
//!
//! Failures are checked against a full dump of every table (every row,
//! ordered by rowid) taken before and after.

mod common;

use std::io::Write;
use std::process::Stdio;
use std::time::{Duration, Instant};

use coffer_crypto::{Id, KdfParams};
use coffer_vault::ops::{MemberRecord, OpBody, RotationMeta};
use coffer_vault::{ErrorKind, IdentityStore, ImportOptions, Vault, MAX_VALUE_BYTES};
use common::*;
use rusqlite::params;

#[track_caller]
fn assert_fails_unchanged<T: std::fmt::Debug>(
    fx: &Fx,
    before: &Dump,
    what: &str,
    kind: ErrorKind,
    r: coffer_vault::Result<T>,
) {
    match r {
        Err(e) => assert_eq!(e.kind(), kind, "{what}: {e}"),
        Ok(v) => panic!("{what}: expected a failure, got Ok({v:?})"),
    }
    assert!(*before == fx.dump(), "{what} changed the vault");
}

#[test]
fn set_with_an_invalid_key_changes_nothing() {
    let (fx, _) = standard();
    let mut v = fx.open();
    let before = fx.dump();
    for key in ["1BAD", "BAD-KEY", "", "WITH SPACE", "ÜMLAUT", "A=B", "K\n"] {
        assert_fails_unchanged(
            &fx,
            &before,
            &format!("set {key:?}"),
            ErrorKind::InvalidInput,
            v.set_item(PROD, key, value("whatever")),
        );
    }
    assert!(v.verify().expect("verify").ok());
}

#[test]
fn set_of_a_too_large_value_changes_nothing() {
    let (fx, _) = standard();
    let mut v = fx.open();
    let before = fx.dump();
    let big = "x".repeat(MAX_VALUE_BYTES + 1);
    assert_fails_unchanged(
        &fx,
        &before,
        "new item, too large",
        ErrorKind::InvalidInput,
        v.set_item(PROD, "BIG", value(&big)),
    );
    assert_fails_unchanged(
        &fx,
        &before,
        "existing item, too large",
        ErrorKind::InvalidInput,
        v.set_item(PROD, "API_KEY", value(&big)),
    );
    assert_fails_unchanged(
        &fx,
        &before,
        "a NUL byte",
        ErrorKind::InvalidInput,
        v.set_item(PROD, "API_KEY", value("a\0b")),
    );
    assert_fails_unchanged(
        &fx,
        &before,
        "notes too long",
        ErrorKind::InvalidInput,
        v.set_item(
            PROD,
            "API_KEY",
            coffer_vault::ItemUpdate {
                notes: Some("n".repeat(17 * 1024)),
                ..Default::default()
            },
        ),
    );
    assert_fails_unchanged(
        &fx,
        &before,
        "a new item without a value",
        ErrorKind::InvalidInput,
        v.set_item(PROD, "NEW_KEY", Default::default()),
    );
    // Exactly the limit is fine (and is a change).
    v.set_item(PROD, "BIG", value(&big[1..]))
        .expect("at the limit");
    assert!(before != fx.dump());
    assert!(v.verify().expect("verify").ok());
}

fn write_env_file(fx: &Fx, name: &str, text: &str) -> std::path::PathBuf {
    let p = fx.dir.path().join(name);
    std::fs::write(&p, text).expect("write .env");
    p
}

#[test]
fn import_of_a_file_with_a_bad_last_line_changes_nothing() {
    let (fx, _) = standard();
    let mut v = fx.open();
    let before = fx.dump();
    let mut text: String = (0..50).map(|i| format!("GOOD_{i}=value-{i}\n")).collect();
    for (i, bad) in [
        "this is not an assignment",
        "BAD=\"unterminated",
        "BAD=$HOME",
        "1BAD=x",
        "GOOD_3=duplicate",
        "BAD=`backtick`",
    ]
    .iter()
    .enumerate()
    {
        let file = write_env_file(&fx, &format!("bad{i}.env"), &format!("{text}{bad}\n"));
        assert_fails_unchanged(
            &fx,
            &before,
            &format!("import with last line {bad:?}"),
            ErrorKind::InvalidInput,
            v.import_env_file(&file, PROD, ImportOptions::default()),
        );
        assert_fails_unchanged(
            &fx,
            &before,
            &format!("import --overwrite with last line {bad:?}"),
            ErrorKind::InvalidInput,
            v.import_env_file(
                &file,
                PROD,
                ImportOptions {
                    overwrite: true,
                    ..Default::default()
                },
            ),
        );
    }
    // And a NUL in the last value (parses, but is refused as a value).
    text.push_str("LAST=\"a\0b\"\n");
    let file = write_env_file(&fx, "nul.env", &text);
    let r = v.import_env_file(&file, PROD, ImportOptions::default());
    assert!(r.is_err(), "a NUL value was imported");
    assert!(before == fx.dump(), "a refused NUL value changed the vault");
    // Not a file at all.
    assert!(v
        .import_env_file(
            &fx.dir.path().join("missing.env"),
            PROD,
            ImportOptions::default()
        )
        .is_err());
    assert!(before == fx.dump());
    assert!(v.verify().expect("verify").ok());
}

#[test]
fn import_with_an_existing_key_changes_nothing() {
    let (fx, _) = standard();
    let mut v = fx.open();
    let before = fx.dump();
    // The existing key comes last, after many new ones.
    let mut text: String = (0..50).map(|i| format!("NEW_{i}=value-{i}\n")).collect();
    text.push_str("DB_PASS=replaced\n");
    let file = write_env_file(&fx, "existing.env", &text);
    assert_fails_unchanged(
        &fx,
        &before,
        "import over an existing key",
        ErrorKind::Conflict,
        v.import_env_file(&file, PROD, ImportOptions::default()),
    );
    let (_, val) = v.get_item(PROD, "DB_PASS").expect("get");
    assert_eq!(val.expose_secret(), DB_VALUE);
    // Into an environment that does not exist.
    let before = fx.dump();
    assert_fails_unchanged(
        &fx,
        &before,
        "import into a missing environment",
        ErrorKind::NotFound,
        v.import_env_file(&file, "web/nope", ImportOptions::default()),
    );
    assert!(v.verify().expect("verify").ok());
}

#[test]
fn add_env_duplicate_changes_nothing() {
    let (fx, _) = standard();
    let mut v = fx.open();
    let before = fx.dump();
    assert_fails_unchanged(
        &fx,
        &before,
        "add_env duplicate",
        ErrorKind::Conflict,
        v.add_env(PROD, Some(30)),
    );
    for bad in ["web", "web/", "/prod", "web/pr od", "a/b/c"] {
        assert_fails_unchanged(
            &fx,
            &before,
            &format!("add_env {bad:?}"),
            ErrorKind::InvalidInput,
            v.add_env(bad, None),
        );
    }
    // The same duplicate as a raw op, past the library's pre-check: the
    // database constraint fails inside the transaction, after the op was
    // appended to the log; the log entry must roll back with it.
    let project_id: Vec<u8> = fx
        .db()
        .query_row(
            "SELECT project_id FROM environments WHERE name = 'prod'",
            [],
            |r| r.get(0),
        )
        .expect("project id");
    assert_fails_unchanged(
        &fx,
        &before,
        "raw duplicate AddEnv",
        ErrorKind::Conflict,
        v.apply(OpBody::AddEnv {
            project_id: Id::from_slice(&project_id).expect("id"),
            project_name: "web".into(),
            new_project: false,
            env_id: Id::make(),
            env_name: "prod".into(),
            rotate_every_days: None,
            wraps: vec![],
        }),
    );
    assert!(v.verify().expect("verify").ok());
}

#[test]
fn a_batch_failing_at_its_last_op_changes_nothing() {
    let (fx, it) = standard();
    let mut v = fx.open();
    let env: Vec<u8> = env_id(&fx.db(), PROD);
    let env = Id::from_slice(&env).expect("env id");
    let before = fx.dump();
    let epoch: i64 = fx
        .db()
        .query_row(
            "SELECT epoch FROM environments WHERE id = ?1",
            [&env.0[..]],
            |r| r.get(0),
        )
        .expect("epoch");
    let fresh = OpBody::SetItem {
        item_id: Id::make(),
        env_id: env,
        version: 1,
        ik_ct: Some(vec![1; 72]),
        blob: vec![2; 80],
        meta: RotationMeta::default(),
        sealed_under: Some(coffer_vault::ops::SealedUnder {
            epoch: epoch as u64,
            item_key: coffer_crypto::ItemKeyGeneration::of_sealed(&[1; 72]).0,
        }),
    };
    let stale = OpBody::SetItem {
        item_id: it.api,
        env_id: env,
        version: 2, // already exists: a concurrent-edit conflict
        ik_ct: None,
        blob: vec![3; 80],
        meta: RotationMeta::default(),
        sealed_under: None,
    };
    assert_fails_unchanged(
        &fx,
        &before,
        "batch with a stale last op",
        ErrorKind::Conflict,
        v.apply_batch(vec![fresh.clone(), fresh.clone(), stale]),
    );
    let second_genesis = OpBody::Genesis {
        vault_id: v.id(),
        name: "Again".into(),
        owner: MemberRecord {
            id: v.me().id(),
            name: "Ada".into(),
            email: None,
            x25519: v.me().public().x25519,
            ed25519: v.me().public().ed25519,
            fingerprint: v.me().public().fingerprint(),
            role: "owner".into(),
        },
    };
    assert_fails_unchanged(
        &fx,
        &before,
        "batch ending in a second genesis",
        ErrorKind::Integrity,
        v.apply_batch(vec![fresh, second_genesis]),
    );
    assert!(v.verify().expect("verify").ok());
}

#[test]
fn failed_reads_log_nothing() {
    let (fx, _) = standard();
    let mut v = fx.open();
    let before = fx.dump();
    assert_fails_unchanged(
        &fx,
        &before,
        "get of a missing key",
        ErrorKind::NotFound,
        v.get_item(PROD, "NOPE"),
    );
    assert_fails_unchanged(
        &fx,
        &before,
        "get from a missing environment",
        ErrorKind::NotFound,
        v.get_item("web/nope", "API_KEY"),
    );
    assert_fails_unchanged(
        &fx,
        &before,
        "rm of a missing key",
        ErrorKind::NotFound,
        v.remove_item(PROD, "NOPE"),
    );
    assert_fails_unchanged(
        &fx,
        &before,
        "rotate to the same value",
        ErrorKind::InvalidInput,
        v.rotate_item(PROD, "DB_PASS", secret(DB_VALUE)),
    );
    assert_fails_unchanged(
        &fx,
        &before,
        "rekey of a missing environment",
        ErrorKind::NotFound,
        v.rekey_env("web/nope"),
    );
}

/// A provider expiry belongs to the value it came with: rotating without
/// saying the new value's (or that it has none) is refused in the library,
/// for every front end, and changes nothing; saying it stores it.
#[test]
fn rotating_a_credential_with_an_expiry_asks_for_the_new_ones() {
    let (fx, _) = standard();
    let mut v = fx.open();
    let in_a_month = coffer_vault::time::now() + 30 * 86_400;
    v.set_item(
        PROD,
        "DB_PASS",
        coffer_vault::ItemUpdate {
            expires_at: Some(in_a_month),
            ..Default::default()
        },
    )
    .expect("expiry");
    drop(v);
    let before = fx.dump();
    let mut v = fx.open();
    assert_fails_unchanged(
        &fx,
        &before,
        "rotate keeping the old value's expiry",
        ErrorKind::InvalidInput,
        v.rotate_item(PROD, "DB_PASS", secret("a-fresh-value-0001")),
    );
    let next_year = in_a_month + 365 * 86_400;
    v.rotate_item_expiring(
        PROD,
        "DB_PASS",
        secret("a-fresh-value-0002"),
        coffer_vault::NewExpiry::Set(next_year),
    )
    .expect("rotate with the new expiry");
    assert_eq!(
        v.item_info(PROD, "DB_PASS").expect("info").expires_at,
        Some(next_year)
    );
    v.rotate_item_expiring(
        PROD,
        "DB_PASS",
        secret("a-fresh-value-0003"),
        coffer_vault::NewExpiry::Clear,
    )
    .expect("rotate to no expiry");
    assert_eq!(v.item_info(PROD, "DB_PASS").expect("info").expires_at, None);
}

/// Adds a second identity, Bob, as a `reader` directly in the members
/// table (there is no member-management op yet), with his real keys.
fn add_reader(fx: &Fx) -> coffer_vault::UnlockedIdentity {
    let bob_home = fx.dir.path().join("bob");
    let bob = IdentityStore::create(
        &bob_home,
        "Bob",
        None,
        &secret(PASSPHRASE),
        KdfParams::FLOOR,
        true,
    )
    .expect("bob");
    let p = bob.public();
    fx.db()
        .execute(
            "INSERT INTO members (id, name, email, x25519, ed25519, fingerprint, role, status, added_by, added_at)
             VALUES (?1, 'Bob', NULL, ?2, ?3, ?4, 'reader', 'active', NULL, 0)",
            params![&p.id.0[..], &p.x25519[..], &p.ed25519[..], p.fingerprint()],
        )
        .expect("insert Bob");
    bob
}

#[test]
fn permission_denied_changes_nothing_but_records_the_denial() {
    let (fx, _) = standard();
    let bob = add_reader(&fx);
    let before = fx.dump();
    let mut v = Vault::open(&fx.path, bob).expect("Bob opens");

    // No key for the environment: refused before anything is built.
    assert_fails_unchanged(
        &fx,
        &before,
        "reader sets an item",
        ErrorKind::Permission,
        v.set_item(PROD, "API_KEY", value("bob-was-here")),
    );
    assert_fails_unchanged(
        &fx,
        &before,
        "reader reads an item",
        ErrorKind::Permission,
        v.get_item(PROD, "API_KEY"),
    );
    assert_fails_unchanged(
        &fx,
        &before,
        "reader re-keys",
        ErrorKind::Permission,
        v.rekey_env(PROD),
    );

    // Refused by `apply`'s role check: the state is untouched, and the
    // attempt is recorded in the log as denied (by design).
    let e = v.add_env("web/bob", None).expect_err("reader adds an env");
    assert_eq!(e.kind(), ErrorKind::Permission, "{e}");
    let after = fx.dump();
    let ops = |d: &Dump| {
        d.iter()
            .find(|(t, _)| t == "ops")
            .map(|(_, rows)| rows.clone())
            .expect("ops")
    };
    for ((t, a), (_, b)) in before.iter().zip(after.iter()) {
        if t != "ops" && t != "sqlite_sequence" {
            assert!(a == b, "a denied op changed table {t}");
        }
    }
    let (ops_before, ops_after) = (ops(&before), ops(&after));
    assert_eq!(ops_after.len(), ops_before.len() + 1);
    assert_eq!(ops_after[..ops_before.len()], ops_before[..]);
    let last = ops_after.last().expect("denied op");
    assert!(
        last.contains(&rusqlite::types::Value::Text("denied".into())),
        "the new log entry is not marked denied: {last:?}"
    );
}

#[test]
fn a_non_member_cannot_open_and_changes_nothing() {
    let (fx, _) = standard();
    let before = fx.dump();
    let eve_home = fx.dir.path().join("eve");
    let eve = IdentityStore::create(
        &eve_home,
        "Eve",
        None,
        &secret(PASSPHRASE),
        KdfParams::FLOOR,
        true,
    )
    .expect("eve");
    let e = Vault::open(&fx.path, eve).expect_err("not a member");
    assert_eq!(e.kind(), ErrorKind::Permission);
    assert!(before == fx.dump());
}

// ----- crash simulation ----------------------------------------------------

const ENTRIES: usize = 3000;

fn big_env_file(fx: &Fx) -> std::path::PathBuf {
    let mut text = String::with_capacity(ENTRIES * 60);
    for i in 0..ENTRIES {
        text.push_str(&format!(
            "KEY_{i:05}=value-{i:05}-0123456789abcdefghijklmnopqrstuvwxyz\n"
        ));
    }
    write_env_file(fx, "big.env", &text)
}

fn item_count(fx: &Fx, env: &str) -> usize {
    let mut v = fx.open();
    let n = v.list_items(Some(env), 14).expect("ls").len();
    let raw: i64 = fx
        .db()
        .query_row(
            "SELECT COUNT(*) FROM items WHERE env_id = ?1",
            [env_id(&fx.db(), env)],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(raw as usize, n);
    n
}

fn spawn_import(fx: &Fx, file: &std::path::Path, env: &str) -> std::process::Child {
    coffer(fx, PASSPHRASE)
        .args(["import", file.to_str().expect("utf-8"), env])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn coffer import")
}

#[test]
fn an_import_killed_at_any_moment_is_all_or_nothing() {
    // How long a whole import takes here (on a separate vault, so the one
    // under test stays small and quick to verify).
    let full = {
        let (cal, _) = standard();
        let file = big_env_file(&cal);
        cal.open().add_env("crash/calibrate", None).expect("env");
        let t0 = Instant::now();
        let out = spawn_import(&cal, &file, "crash/calibrate")
            .wait_with_output()
            .expect("import");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(item_count(&cal, "crash/calibrate"), ENTRIES);
        t0.elapsed()
    };

    let (fx, _) = standard();
    let file = big_env_file(&fx);
    let seed = clock_seed();
    eprintln!("crash simulation: a full import takes {full:?}; seed {seed}");
    let mut rng = Rng(seed);
    // Kills at spread-out moments, then kills timed from the moment the
    // write-ahead log starts growing (the transaction is being written).
    enum When {
        Fraction(f64),
        AfterWalGrows(Duration),
    }
    let mut plan: Vec<When> = [0.1, 0.4, 0.7, 0.9]
        .iter()
        .map(|f| When::Fraction(f + 0.1 * (rng.unit() - 0.5)))
        .collect();
    for _ in 0..4 {
        plan.push(When::AfterWalGrows(Duration::from_micros(
            rng.next() % 20_000,
        )));
    }
    let (mut none, mut all) = (0, 0);
    for (i, when) in plan.iter().enumerate() {
        let env = format!("crash/a{i}");
        fx.open().add_env(&env, None).expect("env");
        assert_eq!(item_count(&fx, &env), 0);
        let wal0 = wal_len(&fx);
        let mut child = spawn_import(&fx, &file, &env);
        let t0 = Instant::now();
        match when {
            When::Fraction(f) => std::thread::sleep(full.mul_f64(f.clamp(0.0, 1.2))),
            When::AfterWalGrows(d) => {
                while wal_len(&fx) <= wal0
                    && child.try_wait().expect("try_wait").is_none()
                    && t0.elapsed() < full * 5
                {
                    std::thread::sleep(Duration::from_micros(200));
                }
                std::thread::sleep(*d);
            }
        }
        let _ = child.kill(); // SIGKILL
        let status = child.wait().expect("wait");
        let at = t0.elapsed();

        // The vault opens, verifies, and has all or nothing.
        let mut v = fx.open();
        let rep = v.verify().expect("verify runs");
        assert!(rep.ok(), "attempt {i} (seed {seed}): {:?}", rep.problems);
        drop(v);
        let n = item_count(&fx, &env);
        eprintln!("attempt {i}: stopped after {at:?} ({status}): {n} items");
        match n {
            0 => none += 1,
            ENTRIES => all += 1,
            n => panic!("attempt {i} (seed {seed}): {n} of {ENTRIES} items imported"),
        }
    }
    eprintln!("crash simulation: {none} attempts left nothing, {all} completed");

    // The CLI agrees, and the vault still takes changes.
    let out = coffer(&fx, PASSPHRASE)
        .args(["audit", "verify"])
        .output()
        .expect("verify");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let mut v = fx.open();
    v.set_item(PROD, "AFTER_CRASH", value("still-writable"))
        .expect("write after crashes");
    assert!(v.verify().expect("verify").ok());
}

#[test]
fn a_set_killed_while_another_process_holds_the_vault_is_clean() {
    // A second kind of crash: many small CLI writes, killed at random, with
    // the library also holding the file open.
    let (fx, _) = standard();
    let holder = fx.open();
    let seed = clock_seed();
    let mut rng = Rng(seed);
    for i in 0..6 {
        let mut child = coffer(&fx, PASSPHRASE)
            .args(["set", PROD, &format!("KILLED_{i}")])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("spawn");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(b"v")
            .expect("stdin");
        std::thread::sleep(Duration::from_millis(rng.next() % 150));
        let _ = child.kill();
        let _ = child.wait();
    }
    drop(holder);
    let mut v = fx.open();
    let rep = v.verify().expect("verify");
    assert!(rep.ok(), "seed {seed}: {:?}", rep.problems);
    let n = v.list_items(Some(PROD), 14).expect("ls").len();
    assert!((2..=8).contains(&n), "{n}");
}
