//! What "unlock to list" costs on the Rust side of the app, command by
//! command, over a real vault of 10,000 credentials in 30 environments:
//! the `unlock` command (Argon2id + opening the vault), then
//! `vault_snapshot`, the one command the UI calls after it, with its JSON
//! serialisation (what crosses IPC); the separate list commands it replaced
//! are timed for comparison. The Argon2id time is measured alone and
//! subtracted.
//! `cargo bench -p coffer-desktop --bench ipc` (make bench runs it).

use std::time::{Duration, Instant};

use coffer_crypto::{KdfParams, SecretString};
use coffer_desktop::commands as c;
use coffer_desktop::dto::*;
use coffer_desktop::Session;
use coffer_vault::{IdentityStore, Vault};

const ENVS: usize = 30;
const ITEMS: usize = 10_000;
const RUNS: u32 = 7;

/// The passphrase as the page sends it: sealed for `command` on a fresh
/// channel (the page opens one after each lock).
fn secret(s: &Session, command: &str, text: &str) -> IpcSecret {
    use base64::Engine as _;
    use coffer_crypto::ipc_channel::PageEnd;
    let end = PageEnd::new();
    let rust = s.open_channel(&end.public_key()).expect("channel");
    let sealed = PageEnd::seal(
        &end.connect(&rust).expect("connect"),
        command,
        text.as_bytes(),
    )
    .expect("seal");
    let b64 = base64::engine::general_purpose::STANDARD.encode(sealed);
    serde_json::from_value(serde_json::json!({ "sealed": b64 })).expect("secret")
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let dir = tempfile::tempdir().expect("tmp");
    let home = dir.path().join("home");
    let path = dir.path().join("vault.coffer");
    let pass = SecretString::new("bench passphrase".into());
    let me = IdentityStore::create(&home, "Bench", None, &pass, KdfParams::FLOOR, true)
        .expect("identity");
    let mut v = Vault::create(&path, "Bench", me).expect("vault");
    for e in 0..ENVS {
        let env = format!("svc{:02}/{}", e / 3, ["dev", "staging", "prod"][e % 3]);
        v.add_env(&env, Some(90)).expect("env");
        let entries = (e..ITEMS)
            .step_by(ENVS)
            .map(|i| {
                (
                    format!("KEY_{i:05}"),
                    SecretString::new(format!("value-{i}")),
                )
            })
            .collect();
        v.import_items(&env, entries, false).expect("import");
    }
    drop(v);

    let s = Session::new(home.clone(), path);
    let (mut kdf, mut unlock, mut snapshot, mut items, mut rotation) =
        (vec![], vec![], vec![], vec![], vec![]);
    let mut bytes = 0;
    for _ in 0..RUNS {
        let t = Instant::now();
        let id = IdentityStore::load(&home).expect("load");
        drop(id.unlock_with_password(&pass).expect("unlock"));
        kdf.push(t.elapsed());

        c::lock(&s).expect("lock");
        let password = secret(&s, "unlock", "bench passphrase");
        let t = Instant::now();
        let st = c::unlock(&s, UnlockArgs::Password { password }).expect("unlock");
        assert!(st.unlocked);
        unlock.push(t.elapsed());

        let t = Instant::now();
        let out = serde_json::to_string(
            &c::vault_snapshot(
                &s,
                RotationListArgs {
                    due_soon_days: None,
                },
            )
            .expect("snapshot"),
        )
        .expect("json");
        snapshot.push(t.elapsed());
        bytes = out.len();
        let t = Instant::now();
        let out = serde_json::to_string(
            &c::list_items(&s, ListItemsArgs { scope: None }).expect("items"),
        )
        .expect("json");
        items.push(t.elapsed());
        std::hint::black_box(out);
        let t = Instant::now();
        let out = serde_json::to_string(
            &c::rotation_list(
                &s,
                RotationListArgs {
                    due_soon_days: None,
                },
            )
            .expect("rotation"),
        )
        .expect("json");
        rotation.push(t.elapsed());
        std::hint::black_box(out);
    }
    let (kdf, unlock, snapshot, items, rotation) = (
        median(kdf),
        median(unlock),
        median(snapshot),
        median(items),
        median(rotation),
    );
    let beyond = unlock.saturating_sub(kdf);
    println!("ipc bench: {ITEMS} credentials in {ENVS} environments, median of {RUNS}");
    println!("  Argon2id alone (floor)          {}", ms(kdf));
    println!(
        "  unlock command                  {}  ({} beyond the KDF)",
        ms(unlock),
        ms(beyond)
    );
    println!(
        "  vault_snapshot + JSON           {}  ({} KiB)",
        ms(snapshot),
        bytes / 1024
    );
    println!(
        "  Rust side of unlock-to-list     {}",
        ms(beyond + snapshot)
    );
    println!("  for comparison, the commands it replaced:");
    println!("    list_items + JSON             {}", ms(items));
    println!("    rotation_list + JSON          {}", ms(rotation));
}
