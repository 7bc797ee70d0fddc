//! End-to-end tests of `coffer sync` and `coffer join` (issue 9): two
//! devices, each with its own `COFFER_HOME` and private replica, exchange
//! feeds through a bare git repository and a folder, with the exit codes
//! of the failure paths (6 integrity, 8 refused, 4 not found, 5 permission).

mod common;

use std::path::PathBuf;

use common::{Env, Run};

const NOT_FOUND: i32 = 4;
const PERMISSION: i32 = 5;
const INTEGRITY: i32 = 6;
const CONFLICT: i32 = 8;

struct Device {
    env: Env,
    replica: PathBuf,
    public_identity: String,
    fingerprint: String,
}

impl Device {
    fn new(name: &str) -> Self {
        let env = Env::bare();
        let (public_identity, fingerprint) = common::new_identity(&env, name);
        let replica = env.root().join("replica.coffer");
        Device {
            env,
            replica,
            public_identity,
            fingerprint,
        }
    }

    fn coffer<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.env.coffer(args).env("COFFER_VAULT", &self.replica)
    }
}

fn fingerprint(env: &Env) -> String {
    env.coffer(["identity", "show", "--json"]).ok().json()["fingerprint"]
        .as_str()
        .expect("fp")
        .to_string()
}

fn setup(remote_flag: &str, remote: &str) -> (Env, Device) {
    let ada = Env::with_vault();
    ada.set("web/prod", "API_KEY", "api-v1");
    let bob = Device::new("Bob");
    // Before any set-up, sync says what to do.
    let e = ada.coffer(["sync"]).fails(NOT_FOUND);
    assert!(e.contains("sync init"), "{e}");
    ada.coffer([
        "member",
        "add",
        &bob.public_identity,
        "--name",
        "Bob",
        "--grant",
        "web/prod:write",
        "--fingerprint",
        &bob.fingerprint,
    ])
    .ok();
    let out = ada.coffer(["sync", "init", remote_flag, remote]).ok();
    assert!(out.stderr.contains("coffer join"), "{out}");
    // A second init is refused.
    ada.coffer(["sync", "init", remote_flag, remote])
        .fails(CONFLICT);
    // A wrong fingerprint joins nothing.
    let e = bob
        .coffer(["join", remote_flag, remote, "--fingerprint", "0000-0000"])
        .fails(CONFLICT);
    assert!(e.contains("does not match"), "{e}");
    assert!(!bob.replica.exists());
    let fp = fingerprint(&ada);
    bob.coffer(["join", remote_flag, remote, "--fingerprint", &fp])
        .ok();
    (ada, bob)
}

fn round_trip(ada: &Env, bob: &Device) {
    assert_eq!(
        bob.coffer(["get", "-n", "web/prod", "API_KEY"]).ok().stdout,
        "api-v1"
    );
    bob.coffer(["set", "web/prod", "FROM_BOB"])
        .stdin("bob-value")
        .ok();
    bob.coffer(["sync"]).ok();
    let out = ada.coffer(["sync", "--json"]).ok().json();
    assert!(out["applied"].as_u64().expect("applied") >= 1, "{out}");
    assert_eq!(ada.get("web/prod", "FROM_BOB"), "bob-value");
    let status = ada.coffer(["sync", "status", "--json"]).ok().json();
    let feeds = status["feeds"].as_array().expect("feeds");
    assert_eq!(feeds.len(), 2, "{status}");
    assert!(feeds[0]["mine"].as_bool().expect("mine"));
    let text = ada.coffer(["sync", "status"]).ok().stdout;
    assert!(
        text.contains("(this device)") && text.contains("Bob"),
        "{text}"
    );
}

#[test]
fn sync_and_join_through_a_bare_git_repository() {
    let tmp = tempfile::tempdir().expect("tmp");
    let bare = tmp.path().join("remote.git");
    let ok = std::process::Command::new("git")
        .args(["init", "-q", "--bare"])
        .arg(&bare)
        .status()
        .expect("git")
        .success();
    assert!(ok);
    let (ada, bob) = setup("--git", bare.to_str().expect("utf8"));
    round_trip(&ada, &bob);
}

#[test]
fn sync_and_join_through_a_folder_and_the_failure_codes() {
    let tmp = tempfile::tempdir().expect("tmp");
    let shared = tmp.path().join("shared");
    let (ada, bob) = setup("--folder", shared.to_str().expect("utf8"));
    round_trip(&ada, &bob);
    // Resolving where there is no conflict: 4; a bad --keep: 7.
    let e = ada
        .coffer(["resolve", "web/prod", "API_KEY", "--keep", "current"])
        .fails(NOT_FOUND);
    assert!(e.contains("conflict"), "{e}");
    ada.coffer(["resolve", "web/prod", "API_KEY", "--keep", "newest"])
        .fails(7);
    // Someone not added cannot join: 5, and nothing is left behind.
    let eve = Device::new("Eve");
    let fp = fingerprint(&ada);
    let e = eve
        .coffer([
            "join",
            "--folder",
            shared.to_str().expect("utf8"),
            "--fingerprint",
            &fp,
        ])
        .fails(PERMISSION);
    assert!(e.contains("member add"), "{e}");
    assert!(!eve.replica.exists());
    // Ada's replica opened by Bob's device: 6, with the way out.
    let e = bob
        .env
        .coffer(["ls"])
        .env("COFFER_VAULT", ada.vault_path())
        .fails(INTEGRITY);
    assert!(e.contains("coffer join"), "{e}");
    // An entry of Ada's feed edited in the folder: Bob's sync reports the
    // tampering (6) and keeps working on the other feeds.
    ada.set("web/prod", "LATE", "late-value");
    ada.coffer(["sync"]).ok();
    let status = ada.coffer(["sync", "status", "--json"]).ok().json();
    let mine = status["feeds"][0]["device"]
        .as_str()
        .expect("device")
        .to_string();
    let ada_feed = shared.join("feeds").join(mine);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&ada_feed)
        .expect("feed")
        .map(|f| f.expect("f").path())
        .collect();
    files.sort();
    let last = files.last().expect("last").clone();
    let mut bytes = std::fs::read(&last).expect("read");
    let n = bytes.len();
    bytes[n - 70] ^= 0x40;
    std::fs::write(&last, bytes).expect("write");
    let out = bob.coffer(["sync"]).run();
    assert_eq!(out.code, INTEGRITY, "{out}");
    assert!(out.stderr.contains("TAMPERING"), "{out}");
    let e = bob
        .coffer(["get", "-n", "web/prod", "LATE"])
        .fails(NOT_FOUND);
    assert!(e.contains("LATE"), "{e}");
}

#[test]
fn sync_rebuild_replaces_a_replica_edited_outside_coffer() {
    let tmp = tempfile::tempdir().expect("tmp");
    let shared = tmp.path().join("shared");
    let (ada, bob) = setup("--folder", shared.to_str().expect("utf8"));
    bob.coffer(["set", "web/prod", "OFFLINE"])
        .stdin("offline-value")
        .ok();
    {
        let c = rusqlite::Connection::open(&bob.replica).expect("open");
        c.execute("UPDATE members SET role = 'owner' WHERE name = 'Bob'", [])
            .expect("edit");
    }
    let e = bob.coffer(["get", "web/prod", "OFFLINE"]).fails(INTEGRITY);
    assert!(e.contains("sync --rebuild"), "{e}");
    let out = bob.coffer(["sync", "--rebuild"]).ok();
    assert!(out.stderr.contains("moved aside"), "{out}");
    assert!(out.stderr.contains("recovered"), "{out}");
    assert_eq!(
        bob.coffer(["get", "-n", "web/prod", "OFFLINE"]).ok().stdout,
        "offline-value"
    );
    ada.coffer(["sync"]).ok();
    assert_eq!(ada.get("web/prod", "OFFLINE"), "offline-value");
    // A second rebuild of the healthy replica only replays it.
    let out = bob.coffer(["sync", "--rebuild", "--json"]).ok().json();
    assert!(out["rebuilt"].is_null(), "{out}");
}
