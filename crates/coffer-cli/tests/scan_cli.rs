//! `coffer scan` and `coffer hook install pre-commit` through the built
//! binary: files (ignored ones too), encodings, a value across the read
//! buffer's boundary in a large binary file, the git index, history,
//! `--mark exposed`, the logged read, and a real `git commit` through the
//! hook. A canary value's bytes (and its encodings) never reach stdout or
//! stderr.

mod common;

use base64::Engine as _;
use common::{have_git, Env, Out};

const FOUND: i32 = 13;
const CONFLICT: i32 = 8;
const INVALID: i32 = 7;

/// The current value of web/prod API_KEY: characters every encoding
/// changes, a length base64 pads, and base64 with a `/` (so the url-safe
/// alphabet differs).
const CANARY: &str = "c>?anary+Cur/9f3k\"Q%x?";
/// Its previous version.
const OLD: &str = "canary-old-7d2e91ab";
/// A value too short to search for.
const SHORT: &str = "abc1234";

fn fixture() -> Env {
    let env = Env::with_vault();
    env.coffer(["env", "add", "web/dev"]).ok();
    env.set("web/prod", "API_KEY", OLD);
    env.set("web/prod", "API_KEY", CANARY);
    env.set("web/dev", "PIN", SHORT);
    env
}

/// Every spelling of the canaries that must never be printed.
fn forbidden() -> Vec<String> {
    let mut out = Vec::new();
    for v in [CANARY, OLD] {
        out.push(v.to_string());
        out.push(base64::engine::general_purpose::STANDARD.encode(v));
        out.push(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v));
        out.push(serde_json::to_string(v).expect("json"));
    }
    out
}

/// Writes a file under the working directory, creating its directories.
fn put(env: &Env, name: &str, contents: &str) {
    let p = env.work().join(name);
    if let Some(d) = p.parent() {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    std::fs::write(p, contents).expect("write");
}

#[track_caller]
fn no_values(out: &Out) {
    for v in forbidden() {
        assert!(!out.stdout.contains(&v), "a value on stdout\n{out}");
        assert!(!out.stderr.contains(&v), "a value on stderr\n{out}");
    }
}

fn found(env: &Env, args: &[&str]) -> serde_json::Value {
    let out = env.coffer(args).run();
    no_values(&out);
    assert_eq!(out.code, FOUND, "{out}");
    out.json()
}

fn places(report: &serde_json::Value) -> Vec<String> {
    let mut v: Vec<String> = report["findings"]
        .as_array()
        .expect("findings")
        .iter()
        .map(|f| {
            format!(
                "{}:{} {} v{} {} {}",
                f["path"].as_str().expect("path"),
                f["line"],
                f["credential"].as_str().expect("cred"),
                f["version"],
                {
                    let state = f["state"].as_str().expect("state");
                    assert_eq!(f["current"] == true, state == "current", "{f}");
                    state
                },
                f["encoding"].as_str().expect("enc"),
            )
        })
        .collect();
    v.sort();
    v
}

#[test]
fn scan_finds_every_version_and_encoding_and_never_prints_a_value() {
    let env = fixture();
    let b64 = base64::engine::general_purpose::STANDARD.encode(CANARY);
    let url = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(CANARY);
    let json = serde_json::to_string(CANARY).expect("json");
    put(
        &env,
        "app/.env",
        &format!("# config\nX=1\nAPI_KEY={CANARY}\n"),
    );
    put(
        &env,
        "k8s/secret.yaml",
        &format!("data:\n  API_KEY: {b64}\n"),
    );
    put(&env, "cfg.json", &format!("{{\"token\": {json}}}\n"));
    put(
        &env,
        "link.txt",
        "https://example.com/?k=c%3E%3Fanary%2BCur%2F9f3k%22Q%25x%3F\n",
    );
    put(&env, "jwt.txt", &format!("{url}\n"));
    put(&env, "backup/old.conf", &format!("a\nb\nkey = {OLD}\n"));
    put(&env, "pin.txt", SHORT);

    let report = found(&env, &["scan", "--json"]);
    assert_eq!(
        places(&report),
        vec![
            "app/.env:3 web/prod/API_KEY v2 current raw",
            "backup/old.conf:3 web/prod/API_KEY v1 old raw",
            "cfg.json:1 web/prod/API_KEY v2 current json",
            "jwt.txt:1 web/prod/API_KEY v2 current base64url_nopad",
            "k8s/secret.yaml:2 web/prod/API_KEY v2 current base64",
            "link.txt:1 web/prod/API_KEY v2 current percent",
        ]
    );
    assert_eq!(report["skipped_short"], 1);
    assert_eq!(report["values"], 2);

    // The text output names the same places, never the values.
    let out = env.coffer(["scan"]).run();
    assert_eq!(out.code, FOUND, "{out}");
    no_values(&out);
    assert!(out.stdout.contains("app/.env:3"), "{out}");
    assert!(out.stdout.contains("v1 (old)"), "{out}");
    assert!(
        out.stderr.contains("1 shorter than 8 bytes skipped"),
        "{out}"
    );

    // --current-only drops the old version; --scope narrows the values.
    let cur = found(&env, &["scan", "--json", "--current-only"]);
    assert!(!places(&cur).iter().any(|p| p.contains(" old ")));
    let dev = env.coffer(["scan", "--scope", "web/dev"]).ok();
    assert!(dev.stderr.contains("No vault values found"), "{dev}");

    // Files and directories named on the command line.
    let one = found(&env, &["scan", "--json", "k8s", "app/.env"]);
    assert_eq!(one["findings"].as_array().expect("arr").len(), 2);

    // Each scan is logged as a read of the credentials it searched for.
    let reads: Vec<_> = env
        .audit()
        .into_iter()
        .filter(|e| e.to_string().contains("scan"))
        .collect();
    assert!(reads.len() >= 2, "{reads:?}");
    let log = env.coffer(["audit", "--json"]).ok();
    no_values(&log);
}

/// A deleted credential's values still work at the provider until revoked
/// there: a scan finds them, says `deleted`, and `--current-only` leaves
/// them out. A value inside a larger base64 text (basic auth's
/// `user:password`, a whole `.env` in a Kubernetes Secret) is found at any
/// alignment.
#[test]
fn scan_finds_deleted_credentials_and_values_inside_larger_base64() {
    let env = fixture();
    let gone = "gone-but-live-0c4a19";
    env.set("web/prod", "OLD_TOKEN", gone);
    env.coffer(["rm", "web/prod", "OLD_TOKEN"]).ok();
    let b64 = |s: String| base64::engine::general_purpose::STANDARD.encode(s);
    put(&env, "notes.txt", &format!("x\ntoken {gone}\n"));
    put(
        &env,
        "curl.sh",
        &format!(
            "curl -H 'Authorization: Basic {}'\n",
            b64(format!("bob:{CANARY}"))
        ),
    );
    put(
        &env,
        "k8s/env-secret.yaml",
        &format!(
            "data:\n  .env: {}\n",
            b64(format!("AB=1\nAPI_KEY={OLD}\nB=2\n"))
        ),
    );
    let report = found(&env, &["scan", "--json"]);
    assert_eq!(
        places(&report),
        vec![
            "curl.sh:1 web/prod/API_KEY v2 current base64_within",
            "k8s/env-secret.yaml:2 web/prod/API_KEY v1 old base64_within",
            "notes.txt:2 web/prod/OLD_TOKEN v1 deleted raw",
        ]
    );
    let out = env.coffer(["scan"]).run();
    assert!(out.stdout.contains("v1 (deleted)"), "{out}");
    no_values(&out);
    let cur = found(&env, &["scan", "--json", "--current-only"]);
    assert_eq!(
        places(&cur),
        vec!["curl.sh:1 web/prod/API_KEY v2 current base64_within"]
    );
}

#[test]
fn scan_of_a_clean_tree_exits_0() {
    let env = fixture();
    put(&env, "README", "nothing to see\n");
    let out = env.coffer(["scan", "--json"]).ok();
    assert_eq!(out.json()["findings"], serde_json::json!([]));
    let out = env.coffer(["scan"]).ok();
    assert!(out.stdout.is_empty(), "{out}");
    assert!(out.stderr.contains("No vault values found"), "{out}");
    // A path that does not exist: not found.
    let msg = env.coffer(["scan", "missing-dir"]).fails(4);
    assert!(msg.contains("missing-dir"), "{msg}");
}

#[test]
fn scan_finds_a_value_across_the_read_buffer_boundary_in_a_binary_file() {
    let env = fixture();
    // The file is read in 1 MiB chunks: the value starts 5 bytes before the
    // first boundary and ends after it; 3 MiB of binary around it.
    let mut data: Vec<u8> = (0..(1u32 << 20) - 5).map(|i| (i * 7 % 251) as u8).collect();
    let at = data.len();
    data.extend_from_slice(CANARY.as_bytes());
    data.extend((0..(2u32 << 20)).map(|i| (i % 13) as u8));
    // And once more right at the end, with no byte after it.
    let end = data.len();
    data.extend_from_slice(OLD.as_bytes());
    std::fs::write(env.work().join("image.bin"), &data).expect("write");
    let report = found(&env, &["scan", "--json", "image.bin"]);
    let offsets: Vec<(u64, bool)> = report["findings"]
        .as_array()
        .expect("arr")
        .iter()
        .map(|f| (f["offset"].as_u64().expect("off"), f["current"] == true))
        .collect();
    assert_eq!(offsets, vec![(at as u64, true), (end as u64, false)]);
}

#[test]
fn scan_counts_ignored_files_unless_asked_to_respect_gitignore() {
    if !have_git() {
        return;
    }
    let env = fixture();
    env.program("git", ["init", "-q", "."]).ok();
    put(&env, ".gitignore", ".env\n");
    put(&env, ".env", &format!("API_KEY={CANARY}\n"));
    put(&env, "main.rs", "fn main() {}\n");
    let all = found(&env, &["scan", "--json"]);
    assert!(places(&all).iter().any(|p| p.starts_with(".env:1")));
    let out = env.coffer(["scan", "--respect-gitignore"]).ok();
    assert!(out.stderr.contains("No vault values found"), "{out}");
}

fn git(env: &Env, args: &[&str]) -> Out {
    let mut a = vec!["-c", "user.name=Ada", "-c", "user.email=ada@example.com"];
    a.extend_from_slice(args);
    env.program("git", a).run()
}

#[test]
fn scan_staged_and_history() {
    if !have_git() {
        return;
    }
    let env = fixture();
    git(&env, &["init", "-q", "."]);
    put(&env, "clean.txt", "hello\n");
    git(&env, &["add", "clean.txt"]);
    // Nothing but clean files staged: 0.
    env.coffer(["scan", "--staged"]).ok();
    git(&env, &["commit", "-q", "-m", "one"]);

    // A value staged: found, with the path in the index.
    put(&env, "conf/app.ini", &format!("[a]\nkey={OLD}\n"));
    git(&env, &["add", "conf/app.ini"]);
    let staged = found(&env, &["scan", "--staged", "--json"]);
    assert_eq!(
        places(&staged),
        vec!["conf/app.ini:2 web/prod/API_KEY v1 old raw"]
    );
    // The index, not the work tree: fixing the file without staging it
    // does not clear the finding.
    put(&env, "conf/app.ini", "[a]\n");
    found(&env, &["scan", "--staged", "--json"]);

    // Committed, then deleted: history still has it.
    let c = git(&env, &["commit", "-q", "-m", "oops"]);
    assert_eq!(c.code, 0, "{c}");
    git(&env, &["rm", "-q", "-f", "conf/app.ini"]);
    let c = git(&env, &["commit", "-q", "-m", "remove"]);
    assert_eq!(c.code, 0, "{c}");
    let id = |rev: &str| git(&env, &["rev-parse", rev]).stdout.trim().to_string();
    let commits = [id("HEAD"), id("HEAD~1")];
    let hist = found(&env, &["scan", "--history", "--json"]);
    let f = &hist["findings"][0];
    assert_eq!(f["path"], "conf/app.ini");
    assert_eq!(f["line"], 2);
    // Added in "oops" (commits[1]), removed in "remove" (commits[0]).
    assert_eq!(
        f["commits"],
        serde_json::json!([commits[0], commits[1]]),
        "{hist}"
    );
    let text = env.coffer(["scan", "--history"]).run();
    assert_eq!(text.code, FOUND);
    // The commit that added it is shown.
    assert!(text.stdout.contains(&commits[1][..12]), "{text}");
    no_values(&text);

    // Not a repository.
    let elsewhere = env.root().join("home");
    env.coffer(["scan", "--staged"])
        .current_dir(&elsewhere)
        .fails(CONFLICT);
}

#[test]
fn scan_mark_exposed_marks_the_credentials_in_one_step() {
    let env = fixture();
    put(&env, "leak.txt", &format!("{CANARY}\n"));
    let before = env.coffer(["rotation", "--exposed", "--json"]).ok().json();
    assert_eq!(before, serde_json::json!([]));
    let report = found(&env, &["scan", "--json", "--mark", "exposed"]);
    assert_eq!(report["marked_exposed"], 1);
    let after = env.coffer(["rotation", "--exposed", "--json"]).ok().json();
    assert_eq!(after[0]["name"], "API_KEY");
    assert_eq!(after[0]["status"], "exposed");
    // The value is unchanged (a new version, the same contents).
    assert_eq!(env.get("web/prod", "API_KEY"), CANARY);
    // Again: already exposed, nothing new signed.
    let again = found(&env, &["scan", "--json", "--mark", "exposed"]);
    assert_eq!(again["marked_exposed"], 0);
    // Only one state exists.
    env.coffer(["scan", "--mark", "fixed"]).fails(INVALID);
    // The mark went through the signed log.
    env.coffer(["audit", "verify"]).ok();
}

fn hooks_dir(env: &Env) -> std::path::PathBuf {
    env.work().join(".git/hooks")
}

#[test]
fn hook_blocks_a_commit_with_a_vault_value_and_chains_an_existing_hook() {
    if !have_git() {
        return;
    }
    let env = fixture();
    git(&env, &["init", "-q", "."]);
    // A hook that was there first: it must still run.
    let dir = hooks_dir(&env);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let theirs = "#!/bin/sh\necho ran >> \"$(git rev-parse --show-toplevel)/../theirs.log\"\n";
    std::fs::write(dir.join("pre-commit"), theirs).expect("write");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(
            dir.join("pre-commit"),
            std::fs::Permissions::from_mode(0o755),
        )
        .expect("chmod");
    }
    let out = env.coffer(["hook", "install", "pre-commit"]).ok();
    assert!(out.stderr.contains("pre-commit.local"), "{out}");
    assert_eq!(
        std::fs::read_to_string(dir.join("pre-commit.local")).expect("kept"),
        theirs
    );
    // Installing again changes nothing else.
    env.coffer(["hook", "install", "pre-commit"]).ok();
    assert_eq!(
        std::fs::read_to_string(dir.join("pre-commit.local")).expect("kept"),
        theirs
    );

    // A clean commit passes, and their hook ran.
    put(&env, "ok.txt", "fine\n");
    git(&env, &["add", "ok.txt"]);
    let c = git(&env, &["commit", "-q", "-m", "clean"]);
    assert_eq!(c.code, 0, "{c}");
    let log = env.root().join("theirs.log");
    assert_eq!(std::fs::read_to_string(&log).expect("log"), "ran\n");

    // A staged vault value is blocked, with the place and a clear message.
    put(&env, "config.py", &format!("KEY = '{CANARY}'\n"));
    git(&env, &["add", "config.py"]);
    let c = git(&env, &["commit", "-q", "-m", "leak"]);
    assert_ne!(c.code, 0, "{c}");
    no_values(&c);
    assert!(c.all().contains("config.py:1"), "{c}");
    assert!(
        c.stderr
            .contains("coffer: commit blocked: the staged files listed above hold values"),
        "{c}"
    );
    assert_eq!(git(&env, &["rev-list", "--count", "HEAD"]).stdout, "1\n");

    // Without any way to unlock (no keychain, no COFFER_PASSPHRASE) and no
    // prompt: blocked, saying what to do.
    let c = env
        .program(
            "git",
            [
                "-c",
                "user.name=Ada",
                "-c",
                "user.email=a@b",
                "commit",
                "-q",
                "-m",
                "leak",
            ],
        )
        .env_remove("COFFER_PASSPHRASE")
        .run();
    assert_ne!(c.code, 0, "{c}");
    assert!(c.stderr.contains("coffer keychain enable"), "{c}");
    assert!(c.stderr.contains("COFFER_PASSPHRASE"), "{c}");
}

#[test]
fn hook_respects_core_hooks_path_and_refuses_to_overwrite() {
    if !have_git() {
        return;
    }
    let env = fixture();
    git(&env, &["init", "-q", "."]);
    git(&env, &["config", "core.hooksPath", "githooks"]);
    env.coffer(["hook", "install", "pre-commit"]).ok();
    let hook = env.work().join("githooks/pre-commit");
    assert!(std::fs::read_to_string(&hook)
        .expect("hook")
        .contains("scan --staged"));
    assert!(!hooks_dir(&env).join("pre-commit").exists());

    // A foreign hook and a pre-commit.local both present: refused, both kept.
    std::fs::write(&hook, "#!/bin/sh\nexit 0\n").expect("write");
    std::fs::write(env.work().join("githooks/pre-commit.local"), "x").expect("write");
    let msg = env
        .coffer(["hook", "install", "pre-commit"])
        .fails(CONFLICT);
    assert!(msg.contains("pre-commit.local"), "{msg}");
    assert_eq!(
        std::fs::read_to_string(&hook).expect("hook"),
        "#!/bin/sh\nexit 0\n"
    );

    // Outside a repository.
    env.coffer(["hook", "install", "pre-commit"])
        .current_dir(env.root().join("home"))
        .fails(4);
}
