//! The agent (`coffer agent`) and the thin client (`coffer-thin`, the
//! package's `coffer`), against the real kernel keyring, a real vault file
//! and real processes.
//!
//! To tell an answer of the agent from the full binary's, most tests use a
//! lone copy of the thin client with no full binary to fall back to: there a
//! fall-back fails with "the full coffer binary is missing" (exit 1), so a
//! success can only be the agent's answer, and that failure can only be a
//! refusal by the agent.

#[path = "common/agent_fx.rs"]
mod agent_fx;
mod common;

use std::path::Path;

use agent_fx::*;
use common::Env;

/// A `run` the agent answers whose command cannot start.
const CANNOT_START: &[&str] = &[
    "run",
    "web/prod",
    "--no-masking",
    "--allow-var",
    "LD_PRELOAD",
    "--",
    "/nonexistent/program",
];

#[test]
fn the_agent_answers_byte_for_byte_as_the_full_binary() {
    let a = Agent::start();
    let e = &a.env;
    e.set("web/prod", "API_KEY", "plain-value");
    e.set(
        "web/prod",
        "MULTI",
        "line one\nline \"two\" with $dollar and `tick`",
    );
    e.set("web/prod", "UNICODE", "clé–✓ ünïcödé");
    e.coffer(["set", "web/prod", "EMPTY", "--allow-empty"])
        .stdin("")
        .ok();
    e.coffer(["env", "add", "web/dev"]).ok();
    e.set("web/dev", "DATABASE_URL", "postgres://dev");
    e.set("web/dev", "LD_PRELOAD", "/tmp/evil.so");
    e.coffer(["override", "set", "web/dev", "DATABASE_URL"])
        .stdin("postgres://mine")
        .ok();
    let cases: &[&[&str]] = &[
        &["get", "web/prod", "API_KEY"],
        &["get", "-n", "web/prod", "MULTI"],
        &["get", "--no-newline", "web/prod", "UNICODE"],
        &["get", "web/prod", "EMPTY"],
        &["get", "--json", "web/prod", "API_KEY"],
        &["export", "web/prod", "--format", "shell"],
        &["export", "web/prod", "--format", "json"],
        &["export", "web/prod", "--dialect", "node"],
        &["export", "web/dev", "--allow-var", "LD_PRELOAD"],
        &[
            "export",
            "web/dev",
            "--allow-var",
            "LD_PRELOAD",
            "--no-overrides",
        ],
        &[
            "run",
            "web/prod",
            "--no-masking",
            "--",
            "sh",
            "-c",
            "printf '%s|%s|%s' \"$API_KEY\" \"$UNICODE\" \"${COFFER_PASSPHRASE-unset}\"",
        ],
        &[
            "run",
            "--no-masking",
            "web/dev",
            "--allow-var",
            "LD_PRELOAD",
            "--",
            "sh",
            "-c",
            "echo \"$DATABASE_URL\"; exit 3",
        ],
    ];
    for args in cases {
        let before = a.reads();
        let agent = a.lone(*args).run();
        assert!(
            !agent.stderr.contains(MISSING_FULL),
            "the agent did not answer {args:?}\n{agent}"
        );
        assert_eq!(a.reads(), before + 1, "one read logged for {args:?}");
        let full = a.full(*args).run();
        assert_eq!(agent.code, full.code, "{args:?}\n{agent}\n{full}");
        assert_eq!(agent.stdout_bytes, full.stdout_bytes, "{args:?}");
        assert_eq!(agent.stderr, full.stderr, "{args:?}");
    }
    // The overrides note came through, on stderr.
    let out = a
        .lone(["export", "web/dev", "--allow-var", "LD_PRELOAD"])
        .ok();
    assert!(out.stderr.contains("overrode DATABASE_URL"), "{out}");
    assert!(out.stdout.contains("postgres://mine"), "{out}");
}

#[test]
fn what_the_agent_does_not_answer_the_full_binary_does_identically() {
    let a = Agent::start();
    let e = &a.env;
    e.set("web/prod", "API_KEY", "plain-value");
    e.set("web/prod", "MULTI", "a\n\"b\"");
    e.set("web/prod", "LD_PRELOAD", "/tmp/evil.so");
    let cases: &[&[&str]] = &[
        // Errors: the agent falls back, the full binary reports them.
        &["get", "web/prod", "NOPE"],
        &["get", "web/nope", "API_KEY"],
        &["export", "web/prod"],
        &["export", "web/prod", "--format", "yaml"],
        // LD_PRELOAD refused: the command is not started.
        &["run", "web/prod", "--no-masking", "--", "true"],
        CANNOT_START,
        // Not the agent's: masking, files, other commands, help.
        &["run", "web/prod", "--", "true"],
        &["ls", "web/prod"],
        &["get", "--help"],
        &["--version"],
        &["get", "web/prod"],
    ];
    for args in cases {
        let thin = a.thin(*args).run();
        let full = a.full(*args).run();
        assert_eq!(thin.code, full.code, "{args:?}\n{thin}\n{full}");
        // The full binary names itself as it was called (installed, both
        // are `coffer`).
        let called = |s: &str| s.replace("coffer-thin", "coffer");
        assert_eq!(called(&thin.stdout), full.stdout, "{args:?}");
        assert_eq!(called(&thin.stderr), full.stderr, "{args:?}");
    }
    // A command that cannot start: the same message and 127, from the
    // thin client's own exec.
    let out = a.lone(CANNOT_START).run();
    assert_eq!(out.code, 127, "{out}");
    assert!(
        out.stderr
            .contains("coffer: cannot run /nonexistent/program"),
        "{out}"
    );
    // The others never reached an answer of the agent's.
    for args in [
        &["get", "web/prod", "NOPE"][..],
        &["run", "web/prod", "--no-masking", "--", "true"],
        &["run", "web/prod", "--allow-var", "LD_PRELOAD", "--", "true"],
        &["ls"],
        &["export", "web/prod", "-o", "x.env"],
    ] {
        let out = a.lone(args).run();
        assert_eq!(out.code, 1, "{args:?}: {out}");
        assert!(out.stderr.contains(MISSING_FULL), "{args:?}: {out}");
    }
}

#[test]
fn coffer_lock_ends_the_agent() {
    let a = Agent::start();
    a.env.set("web/prod", "API_KEY", "v");
    assert!(a.running());
    a.lone(["get", "web/prod", "API_KEY"]).ok();
    a.full(["lock"]).ok();
    assert!(!a.running());
    let sockets = std::fs::read_dir(a.socket_dir()).expect("dir").count();
    assert_eq!(sockets, 0, "the socket is removed");
    let out = a.lone(["get", "web/prod", "API_KEY"]).run();
    assert!(out.stderr.contains(MISSING_FULL), "{out}");
}

#[test]
fn the_agent_ends_when_the_session_does() {
    let a = Agent::start();
    // The session's sealed half gone (as at its timeout, when the kernel
    // key goes): the agent notices by itself, without a request.
    std::fs::remove_file(a.env.home().join("session.slot")).expect("rm");
    wait_until("the agent ends", || {
        std::fs::read_dir(a.socket_dir()).expect("dir").count() == 0
    });
    assert!(!a.running());
}

#[test]
fn agent_stop_leaves_the_session() {
    let a = Agent::start();
    a.env.set("web/prod", "API_KEY", "v");
    let out = a.full(["agent", "stop"]).ok();
    assert!(out.stderr.contains("Agent stopped"), "{out}");
    assert!(!a.running());
    // The session still opens the full binary without a passphrase.
    let out = a
        .thin(["get", "web/prod", "API_KEY"])
        .env("COFFER_PASSPHRASE", "not the passphrase")
        .ok();
    assert_eq!(out.stdout, "v\n");
    let out = a.full(["agent", "stop"]).ok();
    assert!(out.stderr.contains("No agent was running"), "{out}");
}

#[test]
fn a_client_that_sees_another_coffer_is_not_answered() {
    let a = Agent::start();
    a.env.set("web/prod", "API_KEY", "v");
    for (k, v) in [
        ("COFFER_VAULT", "/tmp/another.coffer"),
        ("COFFER_SESSION_MINUTES", "0"),
        ("COFFER_NOW", "2030-01-01"),
        ("RUST_LOG", "debug"),
    ] {
        let out = a.lone(["get", "web/prod", "API_KEY"]).env(k, v).run();
        assert!(out.stderr.contains(MISSING_FULL), "{k}={v}: {out}");
    }
    // Another COFFER_HOME is another agent's socket: none answers.
    let out = a
        .lone(["get", "web/prod", "API_KEY"])
        .env("COFFER_HOME", a.env.root().join("elsewhere"))
        .run();
    assert!(out.stderr.contains(MISSING_FULL), "{out}");
    a.lone(["get", "web/prod", "API_KEY"]).ok();
}

#[test]
fn a_change_by_another_process_is_read_and_a_replaced_file_opened_again() {
    let a = Agent::start();
    a.env.set("web/prod", "API_KEY", "first");
    assert_eq!(
        a.lone(["get", "web/prod", "API_KEY"]).ok().stdout,
        "first\n"
    );
    // Another process writes: the agent reads the new value.
    a.env.set("web/prod", "API_KEY", "second");
    assert_eq!(
        a.lone(["get", "web/prod", "API_KEY"]).ok().stdout,
        "second\n"
    );
    // Another vault renamed over the file: the agent opens the new file
    // and answers as the full binary does.
    let other = a.env.root().join("other.coffer");
    a.full([
        "--vault",
        other.to_str().expect("utf-8"),
        "init",
        "--name",
        "Other",
    ])
    .ok();
    let args = ["get", "web/prod", "API_KEY"];
    std::fs::rename(&other, a.env.vault_path()).expect("rename");
    let full = a.full(args).run();
    let thin = a.thin(args).run();
    assert_ne!(full.code, 0, "{full}");
    assert_eq!((thin.code, thin.stderr), (full.code, full.stderr));
}

#[test]
fn a_tampered_vault_is_not_answered_from_memory() {
    let a = Agent::start();
    a.env.set("web/prod", "API_KEY", "v");
    a.lone(["get", "web/prod", "API_KEY"]).ok();
    // Someone with write access to the file plants a trigger while the
    // agent holds it open.
    let conn = rusqlite::Connection::open(a.env.vault_path()).expect("open");
    conn.execute_batch("CREATE TRIGGER planted AFTER INSERT ON ops BEGIN SELECT 1; END;")
        .expect("plant");
    drop(conn);
    let out = a.lone(["get", "web/prod", "API_KEY"]).run();
    assert!(
        out.stderr.contains(MISSING_FULL),
        "refused, not answered: {out}"
    );
    // Through the usual client, the full binary reports the tampering.
    a.thin(["get", "web/prod", "API_KEY"]).fails(6);
}

#[test]
fn the_socket_is_private_and_answers_only_its_user() {
    use std::os::unix::fs::PermissionsExt;
    let a = Agent::start();
    a.env.set("web/prod", "API_KEY", "v");
    let dir = a.socket_dir();
    let mode = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o777;
    assert_eq!(mode(&dir), 0o700);
    let sock = std::fs::read_dir(&dir)
        .expect("dir")
        .next()
        .expect("a socket")
        .expect("entry")
        .path();
    assert_eq!(mode(&sock), 0o600);
    // Another user, given a way in (the modes opened), still gets no
    // answer: the agent checks its peer's uid. Needs root to be another
    // user; skipped otherwise.
    let root = std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout == b"0\n");
    let setpriv = Path::new("/usr/bin/setpriv");
    if !root || !setpriv.exists() {
        eprintln!("skipped the other-user half: needs root and setpriv");
        return;
    }
    let lone = a.env.root().join("nobody");
    std::fs::create_dir_all(&lone).expect("mkdir");
    std::fs::copy(thin_bin(), lone.join("coffer-thin")).expect("copy");
    for p in [
        a.env.root(),
        &runtime(&a.env),
        &dir,
        &sock,
        &lone,
        &a.env.work(),
    ] {
        std::fs::set_permissions(p, std::fs::Permissions::from_mode(0o777)).expect("chmod");
    }
    std::fs::set_permissions(
        lone.join("coffer-thin"),
        std::fs::Permissions::from_mode(0o755),
    )
    .expect("chmod");
    // The thin client talks only to a socket its own user owns: give it
    // to nobody, so that nobody's client asks and the agent's own check
    // is what refuses.
    std::os::unix::fs::chown(&sock, Some(65534), Some(65534)).expect("chown");
    let out = a
        .env
        .program(
            setpriv,
            [
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                lone.join("coffer-thin").to_str().expect("utf-8"),
                "get",
                "web/prod",
                "API_KEY",
            ],
        )
        .env("XDG_RUNTIME_DIR", runtime(&a.env))
        .env("COFFER_SESSION_MINUTES", "10")
        .run();
    assert!(
        out.stderr.contains(MISSING_FULL),
        "nobody was answered: {out}"
    );
    assert!(!out.stdout.contains('v'), "{out}");
    // Its own user still is (the socket given back, its folder private
    // again: the client trusts no socket in a folder others may open,
    // attack review 20).
    std::os::unix::fs::chown(&sock, Some(0), Some(0)).expect("chown");
    let out = a.lone(["get", "web/prod", "API_KEY"]).run();
    assert!(out.stderr.contains(MISSING_FULL), "{out}");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    a.lone(["get", "web/prod", "API_KEY"]).ok();
}

#[test]
fn agent_start_needs_the_session_cache() {
    let env = Env::with_vault();
    std::fs::create_dir_all(runtime(&env)).expect("mkdir");
    let err = env
        .coffer(["agent", "start"])
        .env("XDG_RUNTIME_DIR", runtime(&env))
        .fails(7);
    assert!(err.contains("COFFER_SESSION_MINUTES=0"), "{err}");
    let err = env
        .coffer(["agent", "start"])
        .env("COFFER_SESSION_MINUTES", "10")
        .fails(7);
    assert!(err.contains("XDG_RUNTIME_DIR"), "{err}");
    let out = session(env.coffer(["agent", "status"]), &env).run();
    assert_eq!((out.code, out.stdout.as_str()), (4, "not running\n"));
}

#[test]
fn a_second_start_keeps_the_running_agent() {
    let a = Agent::start();
    let out = a.full(["agent", "start"]).ok();
    assert!(out.stderr.contains("already running"), "{out}");
    assert_eq!(std::fs::read_dir(a.socket_dir()).expect("dir").count(), 1);
}

#[test]
fn a_killed_agent_leaves_nothing_that_misleads() {
    let a = Agent::start();
    a.env.set("web/prod", "API_KEY", "v");
    let pid = a.pid();
    let killed = std::process::Command::new("kill")
        .args(["-9", &pid])
        .status()
        .expect("kill");
    assert!(killed.success());
    wait_until("the agent is gone", || {
        !Path::new(&format!("/proc/{pid}")).exists()
            || std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .is_ok_and(|s| s.contains(") Z "))
    });
    // Its socket is left behind, answering no one: the client falls back.
    assert_eq!(std::fs::read_dir(a.socket_dir()).expect("dir").count(), 1);
    let out = a.lone(["get", "web/prod", "API_KEY"]).run();
    assert!(out.stderr.contains(MISSING_FULL), "{out}");
    assert_eq!(a.thin(["get", "web/prod", "API_KEY"]).ok().stdout, "v\n");
    assert!(!a.running());
    // A new agent replaces the stale socket and answers.
    a.full(["agent", "start"]).ok();
    assert_eq!(a.lone(["get", "web/prod", "API_KEY"]).ok().stdout, "v\n");
}

#[test]
fn the_agent_holds_no_passphrase() {
    let a = Agent::start();
    let pid = a.pid();
    // The passphrase `start` was run with is not in the agent's
    // environment (which it would keep for hours).
    let environ = std::fs::read(format!("/proc/{pid}/environ")).expect("environ");
    let has = |needle: &[u8]| environ.windows(needle.len()).any(|w| w == needle);
    assert!(!has(b"COFFER_PASSPHRASE"));
    assert!(!has(common::PASSPHRASE.as_bytes()));
    assert!(has(b"COFFER_HOME="), "the environment was read");
}

#[test]
fn the_agent_keeps_a_vault_moved_to_sync_under_it_sealed() {
    let a = Agent::start();
    a.env.set("web/prod", "API_KEY", "v");
    assert_eq!(a.lone(["get", "web/prod", "API_KEY"]).ok().stdout, "v\n");
    // Another process moves the vault to sync while the agent holds it.
    let folder = a.env.root().join("shared");
    std::fs::create_dir_all(&folder).expect("mkdir");
    a.full(["sync", "init", "--folder", folder.to_str().expect("utf-8")])
        .ok();
    // The agent's read event goes into the new replica sealed: the full
    // binary still opens it, and it verifies.
    assert_eq!(a.lone(["get", "web/prod", "API_KEY"]).ok().stdout, "v\n");
    a.full(["agent", "stop"]).ok();
    assert_eq!(a.full(["get", "web/prod", "API_KEY"]).ok().stdout, "v\n");
    a.full(["audit", "verify"]).ok();
}

/// The idle timeout removes only the kernel key (`session.slot` stays):
/// the agent notices that by itself too.
#[cfg(target_os = "linux")]
#[test]
fn the_agent_ends_when_the_kernel_key_does() {
    use linux_keyutils::{KeyRing, KeyRingIdentifier};
    let a = Agent::start();
    let id = a.full(["identity", "show", "--json"]).ok().json()["id"]
        .as_str()
        .expect("id")
        .to_string();
    let ring =
        KeyRing::from_special_id(KeyRingIdentifier::Session, false).expect("session keyring");
    let key = ring
        .search(&format!("coffer-session:{id}"))
        .expect("the session's kernel key");
    key.invalidate().expect("invalidate");
    assert!(a.env.home().join("session.slot").exists());
    wait_until("the agent ends", || {
        std::fs::read_dir(a.socket_dir()).expect("dir").count() == 0
    });
    assert!(!a.running());
}

#[test]
fn agent_enable_starts_it_with_each_session_unlock() {
    let a = Agent::start();
    a.env.set("web/prod", "API_KEY", "v");
    a.full(["agent", "enable"]).ok();
    let status = a.full(["agent", "status"]).ok().stdout;
    assert!(
        status.contains("starts with each session unlock"),
        "{status}"
    );
    a.full(["lock"]).ok();
    assert!(!a.running());
    // The next unlock starts a session, and the agent with it.
    a.full(["ls"]).ok();
    wait_until("the agent starts with the session", || a.running());
    assert_eq!(a.lone(["get", "web/prod", "API_KEY"]).ok().stdout, "v\n");
    // Disabled: the next session has none.
    let out = a.full(["agent", "disable"]).ok();
    assert!(out.stderr.contains("no longer starts"), "{out}");
    a.full(["lock"]).ok();
    a.full(["ls"]).ok();
    std::thread::sleep(std::time::Duration::from_millis(700));
    assert!(!a.running());
    let status = a.full(["agent", "status"]).run().stdout;
    assert_eq!(status, "not running\n");
}

/// Hundreds of reads through one agent: every one answered by it and
/// logged once. Its own read events grow the WAL; a checkpoint of them
/// moved the main file's metadata like a write from outside, and the
/// answer was dropped (the full binary then ran it and logged it again:
/// 4 reads in 600). The agent's handle now never checkpoints by itself;
/// it closes and opens the vault again past a megabyte of WAL.
#[test]
fn many_reads_are_all_answered_and_logged_once() {
    let a = Agent::start();
    a.env.set("web/prod", "API_KEY", "v");
    let before = a.reads();
    for i in 0..600 {
        let out = a.lone(["get", "web/prod", "API_KEY"]).run();
        assert_eq!(
            (out.code, out.stdout.as_str()),
            (0, "v\n"),
            "read {i}: {out}"
        );
    }
    assert_eq!(a.reads(), before + 600);
    a.full(["audit", "verify"]).ok();
}
