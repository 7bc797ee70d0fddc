//! Team benchmarks (issue 3), figures in `docs/benchmarks-team.md`.
//!
//! `cargo bench -p coffer-vault --bench team` (release). Fixtures are built
//! in-process through the library with identities at the KDF floor; each
//! measurement times only the call itself, after unlock and open, on a
//! fresh copy of the fixture, and is repeated (min / median reported).
//!
//! - (a) offboarding one member from 10,000 items in 30 environments with
//!   50 members, the member holding grants on all 30 (goal ≤ 1 s);
//! - (b) adding a member with grants on 30 environments (goal ≤ 100 ms);
//! - (c) offboarding one of 5 members from 1,000 entries (goal ≤ 0.36 s,
//!   raw `age` files on the same machine class).
//!
//! Besides the offboarding itself it times, on the same fixture, the parts
//! one can call on their own (decrypting everything, re-keying every
//! environment, the exposure report), as a rough breakdown.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use coffer_crypto::{KdfParams, SecretString};
use coffer_vault::{Access, IdentityStore, Role, UnlockedIdentity, Vault};

const PASSPHRASE: &str = "bench passphrase, not a secret";

fn pw() -> SecretString {
    SecretString::new(PASSPHRASE.to_string())
}

struct Who {
    home: PathBuf,
    public_identity: String,
    fingerprint: String,
}

fn person(dir: &Path, name: &str) -> Who {
    let home = dir.join(format!("home-{name}"));
    let me =
        IdentityStore::create(&home, name, None, &pw(), KdfParams::FLOOR, true).expect("identity");
    Who {
        home,
        public_identity: me.public_identity_string(),
        fingerprint: me.public().fingerprint(),
    }
}

fn unlock(home: &Path) -> UnlockedIdentity {
    IdentityStore::load(home)
        .expect("load")
        .unlock_with_password(&pw())
        .expect("unlock")
}

/// Copies the fixture's vault to `dst` for the owner at `home` to open: the
/// owner's recorded op-log heads are dropped too, since each copy starts
/// from the fixture's log again (the open would otherwise refuse it as a
/// rollback, which is what the heads are for).
fn fresh_copy(src: &Path, dst: &Path, home: &Path) {
    copy_vault(src, dst);
    let _ = std::fs::remove_dir_all(home.join("heads"));
}

fn copy_vault(src: &Path, dst: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut s = src.as_os_str().to_owned();
        s.push(suffix);
        let mut d = dst.as_os_str().to_owned();
        d.push(suffix);
        let (s, d) = (PathBuf::from(s), PathBuf::from(d));
        let _ = std::fs::remove_file(&d);
        if s.exists() {
            std::fs::copy(&s, &d).expect("copy");
        }
    }
}

struct Fixture {
    vault: PathBuf,
    owner: PathBuf,
    envs: Vec<String>,
    items: usize,
    wraps: i64,
}

/// `n_envs` environments holding `n_items` items (a tenth of them with a
/// second version), an owner, "Leaver" with write grants on every
/// environment, and `n_members - 2` others, each with grants on
/// `per_member` environments (round-robin, read and write alternating).
fn build(
    dir: &Path,
    n_envs: usize,
    n_items: usize,
    n_members: usize,
    per_member: usize,
) -> Fixture {
    let t0 = Instant::now();
    let owner = person(dir, "Owner");
    let vault = dir.join("base.coffer");
    let mut v = Vault::create(&vault, "Bench", unlock(&owner.home)).expect("vault");
    let envs: Vec<String> = (0..n_envs).map(|i| format!("p{}/e{i:02}", i % 5)).collect();
    for (e, env) in envs.iter().enumerate() {
        v.add_env(env, Some(90)).expect("env");
        let n = n_items / n_envs + usize::from(e < n_items % n_envs);
        let entries: Vec<(String, SecretString)> = (0..n)
            .map(|i| {
                (
                    format!("KEY_{e:02}_{i:05}"),
                    SecretString::new(format!("v1-{e}-{i}-0123456789abcdefghijklmnopqrstuv")),
                )
            })
            .collect();
        v.import_items(env, entries, false).expect("import");
        let second: Vec<(String, SecretString)> = (0..n / 10)
            .map(|i| {
                (
                    format!("KEY_{e:02}_{i:05}"),
                    SecretString::new(format!("v2-{e}-{i}-0123456789abcdefghijklmnopqrstuv")),
                )
            })
            .collect();
        v.import_items(env, second, true).expect("second versions");
    }
    let all: Vec<(String, Access)> = envs.iter().map(|e| (e.clone(), Access::Write)).collect();
    let leaver = person(dir, "Leaver");
    v.add_member(
        &leaver.public_identity,
        "Leaver",
        Role::Member,
        &all,
        &leaver.fingerprint,
    )
    .expect("leaver");
    for m in 0..n_members.saturating_sub(2) {
        let p = person(dir, &format!("m{m:02}"));
        let grants: Vec<(String, Access)> = (0..per_member.min(n_envs))
            .map(|k| {
                let access = if k % 2 == 0 {
                    Access::Read
                } else {
                    Access::Write
                };
                (envs[(m * 7 + k) % n_envs].clone(), access)
            })
            .collect();
        v.add_member(
            &p.public_identity,
            &format!("m{m:02}"),
            Role::Member,
            &grants,
            &p.fingerprint,
        )
        .expect("member");
    }
    let members = v.list_members().expect("members");
    assert_eq!(members.len(), n_members.max(2));
    let wraps: i64 = members.iter().map(|m| m.grants.len() as i64).sum();
    drop(v);
    eprintln!(
        "  fixture: {n_envs} environments, {n_items} items, {} members, {wraps} grants, built in {:.1?}",
        n_members,
        t0.elapsed()
    );
    Fixture {
        vault,
        owner: owner.home,
        envs,
        items: n_items,
        wraps,
    }
}

fn stats(mut v: Vec<Duration>) -> (Duration, Duration) {
    v.sort();
    (v[0], v[v.len() / 2])
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

/// Times `f` on a fresh copy of the fixture, opened (and unlocked) before
/// the clock starts.
fn timed<T>(
    fx: &Fixture,
    dir: &Path,
    runs: usize,
    mut f: impl FnMut(&mut Vault) -> T,
) -> (Duration, Duration) {
    let run = dir.join("run.coffer");
    let mut times = Vec::new();
    for _ in 0..runs {
        fresh_copy(&fx.vault, &run, &fx.owner);
        let mut v = Vault::open(&run, unlock(&fx.owner)).expect("open");
        let t = Instant::now();
        let out = f(&mut v);
        times.push(t.elapsed());
        drop(out);
        drop(v);
    }
    stats(times)
}

fn offboard_rows(name: &str, fx: &Fixture, dir: &Path, runs: usize, goal: f64) -> Vec<String> {
    // Once, checked: everything the leaver could read is in the report.
    {
        let run = dir.join("check.coffer");
        fresh_copy(&fx.vault, &run, &fx.owner);
        let mut v = Vault::open(&run, unlock(&fx.owner)).expect("open");
        let r = v.offboard("Leaver", &mut |_, _| {}).expect("offboard");
        assert_eq!(r.items.len(), fx.items, "report");
        assert!(v.verify().expect("verify").ok(), "verify after offboarding");
    }
    let mut rows = Vec::new();
    let (min, med) = timed(fx, dir, runs, |v| {
        v.offboard("Leaver", &mut |_, _| {}).expect("offboard")
    });
    let verdict = if med.as_secs_f64() <= goal {
        "met"
    } else {
        "MISSED"
    };
    rows.push(format!(
        "| {name}: offboard (whole call, incl. report) | {} | {} | ≤ {:.0} ms ({verdict}) |",
        ms(min),
        ms(med),
        goal * 1000.0
    ));
    // The parts that can be called on their own, same fixture.
    let (min, med) = timed(fx, dir, runs, |v| v.list_items(None, 14).expect("ls").len());
    rows.push(format!(
        "| {name}: decrypt every item (`list_items`) | {} | {} | |",
        ms(min),
        ms(med)
    ));
    let envs = fx.envs.clone();
    let (min, med) = timed(fx, dir, runs, |v| {
        for e in &envs {
            v.rekey_env(e).expect("rekey");
        }
    });
    rows.push(format!(
        "| {name}: re-key every environment (`rekey_env` × {}, one transaction each) | {} | {} | |",
        envs.len(),
        ms(min),
        ms(med)
    ));
    let report_src = dir.join("reported.coffer");
    fresh_copy(&fx.vault, &report_src, &fx.owner);
    {
        let mut v = Vault::open(&report_src, unlock(&fx.owner)).expect("open");
        v.offboard("Leaver", &mut |_, _| {}).expect("offboard");
    }
    let reported = Fixture {
        vault: report_src,
        owner: fx.owner.clone(),
        envs: vec![],
        items: fx.items,
        wraps: fx.wraps,
    };
    let (min, med) = timed(&reported, dir, runs, |v| {
        v.exposure_report("Leaver").expect("report")
    });
    rows.push(format!(
        "| {name}: exposure report alone (after offboarding) | {} | {} | |",
        ms(min),
        ms(med)
    ));
    rows
}

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --benches` passes nothing
    // special either way, so keep it short when not in release.
    let quick = cfg!(debug_assertions);
    let runs = if quick { 1 } else { 5 };
    let dir = tempfile::tempdir().expect("tempdir");
    if let Some(keep) = std::env::var_os("TEAM_BENCH_KEEP") {
        // For timing the whole process (`bench/offboard.sh`): build (a)
        // into that folder and keep it; the script copies it per run.
        let keep = PathBuf::from(keep);
        std::fs::create_dir_all(&keep).expect("dir");
        let fa = build(&keep, 30, 10_000, 50, 10);
        println!("{}\n{}", fa.vault.display(), fa.owner.display());
        return;
    }
    if std::env::var_os("TEAM_BENCH_PROFILE").is_some() {
        // For `perf record -p`: build (a), say so, wait, then offboard
        // repeatedly so the samples are the offboarding's.
        let fa = build(dir.path(), 30, 10_000, 50, 10);
        eprintln!("profile: ready (pid {})", std::process::id());
        std::thread::sleep(Duration::from_secs(3));
        let (min, med) = timed(&fa, dir.path(), 10, |v| {
            v.offboard("Leaver", &mut |_, _| {}).expect("offboard")
        });
        eprintln!("profile: done, min {} median {}", ms(min), ms(med));
        return;
    }
    let mut rows = vec![
        "| measurement | min | median | goal |".to_string(),
        "|---|---|---|---|".to_string(),
    ];

    let (a_items, a_members) = if quick { (1_000, 10) } else { (10_000, 50) };
    eprintln!("(a) {a_items} items, 30 environments, {a_members} members");
    let da = dir.path().join("a");
    std::fs::create_dir_all(&da).expect("dir");
    let fa = build(&da, 30, a_items, a_members, 10);
    rows.extend(offboard_rows("(a) 10k/30/50", &fa, &da, runs, 1.0));

    eprintln!("(b) adding a member with grants on 30 environments");
    let newcomers: Vec<Who> = (0..runs.max(3))
        .map(|i| person(&da, &format!("new{i}")))
        .collect();
    let run = da.join("add.coffer");
    fresh_copy(&fa.vault, &run, &fa.owner);
    let all: Vec<(String, Access)> = fa.envs.iter().map(|e| (e.clone(), Access::Read)).collect();
    let mut times = Vec::new();
    for (i, p) in newcomers.iter().enumerate() {
        // A fresh handle each time: no environment key cached yet.
        let mut v = Vault::open(&run, unlock(&fa.owner)).expect("open");
        let t = Instant::now();
        let m = v
            .add_member(
                &p.public_identity,
                &format!("new{i}"),
                Role::Member,
                &all,
                &p.fingerprint,
            )
            .expect("add");
        times.push(t.elapsed());
        assert_eq!(m.grants.len(), 30);
    }
    let (min, med) = stats(times);
    rows.push(format!(
        "| (b) add a member with 30 grants (cold key cache) | {} | {} | ≤ 100 ms ({}) |",
        ms(min),
        ms(med),
        if med.as_secs_f64() <= 0.1 {
            "met"
        } else {
            "MISSED"
        }
    ));

    eprintln!("(a') worst case: every member on every environment");
    let dw = dir.path().join("w");
    std::fs::create_dir_all(&dw).expect("dir");
    let fw = build(&dw, 30, a_items, a_members, 30);
    let (min, med) = timed(&fw, &dw, runs, |v| {
        v.offboard("Leaver", &mut |_, _| {}).expect("offboard")
    });
    rows.push(format!(
        "| (a') 10k/30/50, all 50 on all 30 environments ({} grants): offboard | {} | {} | ≤ 1000 ms ({}) |",
        fw.wraps,
        ms(min),
        ms(med),
        if med.as_secs_f64() <= 1.0 { "met" } else { "MISSED" }
    ));

    eprintln!("(c) 1,000 entries, 5 members");
    let dc = dir.path().join("c");
    std::fs::create_dir_all(&dc).expect("dir");
    let fc = build(&dc, 10, 1_000, 5, 10);
    rows.extend(offboard_rows("(c) 1k/10/5", &fc, &dc, runs, 0.36));

    println!("\n{}", rows.join("\n"));
}
