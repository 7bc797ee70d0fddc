//! No plaintext reaches the disk: canary values, item names, notes, URLs,
//! usernames and the passphrase are searched for, byte by byte, in the
//! vault file and its `-wal` / `-shm` / `-journal` companions, everything
//! under `COFFER_HOME`, and the process's temporary directory — while the
//! vault is open and after it is closed (DESIGN.md §3–§4).

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Stdio;

use coffer_crypto::KdfParams;
use coffer_vault::dangerous::AllowVars;
use coffer_vault::{Dialect, Format, IdentityStore, ItemUpdate, Vault};
use common::*;

const NAME: &str = "CANARY_NAME_QX7";
const NAME2: &str = "CANARY_IMPORTED_ZK4";
const VALUE: &str = "canary-value-8f3a2b91c7d4e5f6a0b1";
const VALUE2: &str = "canary-value2-3c9e71d0a4b8f2e6";
const VALUE3: &str = "canary-value3-imported-77d1e0c2";
const NOTES: &str = "canary-notes-5e1d9a0b7c3f";
const URL: &str = "https://canary-url-4b2e8d.example";
const USERNAME: &str = "canary-user-a91f3c";
const PASS: &str = "canary-pass-d04e6b8a2f17 with spaces";

const CANARIES: &[&str] = &[
    NAME, NAME2, VALUE, VALUE2, VALUE3, NOTES, URL, USERNAME, PASS,
];

fn files_under(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for e in rd.flatten() {
        let p = e.path();
        if p.is_dir() {
            files_under(&p, out);
        } else {
            out.push(p);
        }
    }
}

/// Scans every file under `roots` (and the vault companions, if present)
/// for every canary; panics naming the file and the canary's label.
#[track_caller]
fn assert_no_canary(stage: &str, roots: &[&Path], vault: &Path) -> usize {
    let mut files = Vec::new();
    for r in roots {
        files_under(r, &mut files);
    }
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = vault.as_os_str().to_owned();
        p.push(suffix);
        let p = PathBuf::from(p);
        if p.exists() && !files.contains(&p) {
            files.push(p);
        }
    }
    assert!(
        files.iter().any(|f| f == vault),
        "{stage}: the vault file itself was not scanned"
    );
    for f in &files {
        let Ok(bytes) = std::fs::read(f) else {
            continue; // removed meanwhile (e.g. -journal)
        };
        for (i, c) in CANARIES.iter().enumerate() {
            assert!(
                !contains(&bytes, c.as_bytes()),
                "{stage}: canary #{i} found in {}",
                f.display()
            );
        }
    }
    files.len()
}

#[test]
fn library_writes_no_plaintext() {
    let fx = Fx::new();
    let tmp = fx.dir.path().join("tmp");
    std::fs::create_dir_all(&tmp).expect("tmp");
    // The only test in this binary that touches the process environment
    // (fixtures live under CARGO_TARGET_TMPDIR, not TMPDIR).
    let saved_tmpdir = std::env::var_os("TMPDIR");
    std::env::set_var("TMPDIR", &tmp);
    assert_eq!(std::env::temp_dir(), tmp);
    let roots = [fx.dir.path()];

    let me = IdentityStore::create(&fx.home, "Ada", None, &secret(PASS), KdfParams::FLOOR, true)
        .expect("identity");
    let mut v = Vault::create(&fx.path, "Acme", me).expect("vault");
    v.add_env(PROD, Some(90)).expect("env");
    v.set_item(
        PROD,
        NAME,
        ItemUpdate {
            value: Some(secret(VALUE)),
            notes: Some(NOTES.into()),
            url: Some(URL.into()),
            username: Some(USERNAME.into()),
            rotate_every_days: Some(30),
            expires_at: None,
            generated: false,
        },
    )
    .expect("set");
    assert_no_canary("after set (open)", &roots, &fx.path);

    v.set_item(PROD, NAME, value(VALUE2)).expect("update");
    v.import_items(PROD, vec![(NAME2.into(), secret(VALUE3))], false)
        .expect("import");
    assert_no_canary("after update (open)", &roots, &fx.path);

    // Reads, which log events, must not write what they read.
    let (_, got) = v.get_item(PROD, NAME).expect("get");
    assert_eq!(got.expose_secret(), VALUE2);
    let h = v.history(PROD, NAME, true).expect("history");
    assert_eq!(h.len(), 2);
    let mut exported = false;
    v.export_env(
        PROD,
        Format::Dotenv,
        Dialect::Portable,
        AllowVars::NONE,
        |text| {
            exported = text.contains(VALUE2);
            Ok(())
        },
    )
    .expect("export");
    assert!(exported);
    v.env_vars(PROD, AllowVars::NONE).expect("run vars");
    v.list_items(None, 14).expect("ls");
    v.rekey_env(PROD).expect("rekey");
    assert!(v.verify().expect("verify").ok());
    assert_no_canary("after reads and re-key (open)", &roots, &fx.path);

    v.remove_item(PROD, NAME).expect("rm");
    v.remove_item(PROD, NAME2).expect("rm");
    assert_no_canary("after rm (open)", &roots, &fx.path);
    drop(v);
    let n = assert_no_canary("after close", &roots, &fx.path);
    assert!(n >= 3, "scanned only {n} files");

    // Reopen (a new unlock with the passphrase) and close again.
    let v = Vault::open(
        &fx.path,
        IdentityStore::load(&fx.home)
            .expect("load")
            .unlock_with_password(&secret(PASS))
            .expect("unlock"),
    )
    .expect("reopen");
    drop(v);
    assert_no_canary("after reopen", &roots, &fx.path);
    match saved_tmpdir {
        Some(t) => std::env::set_var("TMPDIR", t),
        None => std::env::remove_var("TMPDIR"),
    }
}

fn run_ok(fx: &Fx, args: &[&str], stdin: Option<&str>) -> Vec<u8> {
    let mut cmd = coffer(fx, PASS);
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn coffer");
    if let Some(s) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(s.as_bytes())
            .expect("write stdin");
    }
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "coffer {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

#[test]
fn cli_writes_no_plaintext() {
    let fx = Fx::new();
    let roots = [fx.dir.path()];
    run_ok(
        &fx,
        &[
            "identity",
            "new",
            "--name",
            "Ada",
            "--kdf-memory",
            "19",
            "--kdf-iterations",
            "2",
        ],
        None,
    );
    run_ok(&fx, &["init", "--name", "Acme"], None);
    run_ok(&fx, &["env", "add", PROD, "--rotate-every", "90d"], None);
    run_ok(
        &fx,
        &[
            "set",
            PROD,
            NAME,
            "--notes",
            NOTES,
            "--url",
            URL,
            "--username",
            USERNAME,
        ],
        Some(&format!("{VALUE}\n")),
    );
    assert_no_canary("cli set", &roots, &fx.path);
    run_ok(&fx, &["set", PROD, NAME, "-"], Some(VALUE2));
    assert_no_canary("cli update", &roots, &fx.path);
    let got = run_ok(&fx, &["get", PROD, NAME], None);
    assert_eq!(got, format!("{VALUE2}\n").as_bytes());
    run_ok(&fx, &["history", PROD, NAME, "--reveal"], None);
    run_ok(&fx, &["export", PROD], None);
    run_ok(&fx, &["run", PROD, "--", "true"], None);
    run_ok(&fx, &["env", "rekey", PROD], None);
    run_ok(&fx, &["ls"], None);
    run_ok(&fx, &["audit"], None);
    run_ok(&fx, &["audit", "verify"], None);
    assert_no_canary("cli reads", &roots, &fx.path);
    run_ok(&fx, &["rm", PROD, NAME], None);
    assert_no_canary("cli rm", &roots, &fx.path);
    assert!(fx.path.exists());
}

#[test]
fn the_scanner_finds_a_planted_canary() {
    // The scan above can fail: plant a canary and expect a panic.
    let fx = Fx::new();
    drop(fx.create());
    std::fs::write(fx.home.join("stray.txt"), format!("x{NOTES}y")).expect("plant");
    let r = std::panic::catch_unwind(|| {
        assert_no_canary("planted", &[fx.dir.path()], &fx.path);
    });
    assert!(r.is_err(), "the planted canary was not found");
}
