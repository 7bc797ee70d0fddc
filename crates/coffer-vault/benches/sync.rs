//! Sync benchmark (issue 9), figures in `docs/benchmarks-team.md`.
//!
//! `cargo bench -p coffer-vault --bench sync` (release). Builds a vault
//! whose log holds `COFFER_BENCH_OPS` ops (default 100,000: `item.set` ops
//! in 100 environments, imported 1,000 per signed batch), adds a member,
//! moves it to sync through a plain folder (`sync init` publishes every
//! entry as one file), then times that member's `join`: reading every
//! feed file, checking every chain and signature, authorising and applying
//! every op, sealing the replica. Goal: ≤ 10 s on a 2-core machine.

use std::path::Path;
use std::time::Instant;

use coffer_crypto::{KdfParams, SecretString};
use coffer_vault::sync::Remote;
use coffer_vault::{Access, IdentityStore, Role, Vault};

fn pw() -> SecretString {
    SecretString::new("bench passphrase, not a secret".to_string())
}

fn identity(home: &Path, name: &str) -> coffer_vault::UnlockedIdentity {
    IdentityStore::create(home, name, None, &pw(), KdfParams::FLOOR, true).expect("identity")
}

fn main() {
    let ops: usize = std::env::var("COFFER_BENCH_OPS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let per_env = 1_000usize.min(ops);
    let envs = ops.div_ceil(per_env);
    let tmp = tempfile::tempdir().expect("tmp");
    let dir = tmp.path();
    let t = Instant::now();
    let ada = identity(&dir.join("ada"), "Ada");
    let bob = identity(&dir.join("bob"), "Bob");
    let (bob_pub, bob_fp) = (bob.public_identity_string(), bob.public().fingerprint());
    drop(bob);
    let path = dir.join("ada.coffer");
    let mut v = Vault::create(&path, "Bench", ada).expect("create");
    let mut grants = Vec::new();
    for e in 0..envs {
        let env = format!("p{}/e{e}", e / 10);
        v.add_env(&env, None).expect("env");
        let batch: Vec<(String, SecretString)> = (0..per_env)
            .map(|i| {
                (
                    format!("KEY_{i}"),
                    SecretString::new(format!("value-{e}-{i}")),
                )
            })
            .collect();
        v.import_items(&env, batch, false).expect("import");
        if e < 30 {
            grants.push((env, Access::Read));
        }
    }
    v.add_member(&bob_pub, "Bob", Role::Member, &grants, &bob_fp)
        .expect("add Bob");
    let built = t.elapsed();
    drop(v);
    // Opening the vault before it syncs (no seal to check), median of 5.
    let open_ms = |who: &Path, path: &Path| {
        let mut times: Vec<f64> = (0..5)
            .map(|_| {
                let me = IdentityStore::load(who)
                    .expect("load")
                    .unlock_with_password(&pw())
                    .expect("unlock");
                let t = Instant::now();
                let v = Vault::open(path, me).expect("open");
                let ms = t.elapsed().as_secs_f64() * 1e3;
                drop(v);
                ms
            })
            .collect();
        times.sort_by(f64::total_cmp);
        times[2]
    };
    let open_plain = open_ms(&dir.join("ada"), &path);
    let me = IdentityStore::load(&dir.join("ada"))
        .expect("load")
        .unlock_with_password(&pw())
        .expect("unlock");
    let mut v = Vault::open(&path, me).expect("open");
    let shared = dir.join("shared");
    let t = Instant::now();
    v.sync_init(Remote::Folder(shared.clone()))
        .expect("sync init");
    let init = t.elapsed();
    drop(v);
    let me = IdentityStore::load(&dir.join("bob"))
        .expect("load")
        .unlock_with_password(&pw())
        .expect("unlock");
    let t = Instant::now();
    let (joined, report) =
        Vault::join(&dir.join("bob.coffer"), me, Remote::Folder(shared), &|_| {
            Ok(())
        })
        .expect("join");
    let join = t.elapsed();
    assert!(report.received >= ops, "{report:?}");
    let mut bob = joined;
    // The same vault, sealed now: its open checks the seal.
    let open_sealed = open_ms(&dir.join("ada"), &path);
    // Incremental: 100 changes on Ada's device, published, then Bob's sync
    // (read, verify, authorise, apply 100 entries; re-seal), median of 5.
    let mut incr = Vec::new();
    let env0 = "p0/e0";
    for round in 0..5 {
        let me = IdentityStore::load(&dir.join("ada"))
            .expect("load")
            .unlock_with_password(&pw())
            .expect("unlock");
        let mut a = Vault::open(&path, me).expect("open");
        for i in 0..100 {
            a.set_item(
                env0,
                &format!("KEY_{i}"),
                coffer_vault::ItemUpdate {
                    value: Some(SecretString::new(format!("r{round}-{i}"))),
                    ..Default::default()
                },
            )
            .expect("set");
        }
        a.sync().expect("ada publishes");
        drop(a);
        let t = Instant::now();
        let r = bob.sync().expect("bob syncs");
        incr.push(t.elapsed().as_secs_f64() * 1e3);
        assert_eq!(r.applied, 100, "{r:?}");
    }
    incr.sort_by(f64::total_cmp);
    drop(bob);
    println!(
        "sync bench: {ops} item ops in {envs} environments (+{} others)\n  build {:.1} s, sync init {:.1} s\n  join (read, verify, apply, seal {} entries): {:.2} s  [goal <= 10 s]\n  incremental sync of 100 entries: {:.0} ms (median of 5)  [goal <= 200 ms + transport]\n  open with {ops} credentials: {:.1} ms before sync, {:.1} ms sealed (+{:.1} ms)  [goal <= +50 ms]",
        report.received - ops,
        built.as_secs_f64(),
        init.as_secs_f64(),
        report.received,
        join.as_secs_f64(),
        incr[2],
        open_plain,
        open_sealed,
        open_sealed - open_plain
    );
}
