//! Attack review 20: the agent (`coffer agent`) and the thin client
//! (`coffer-thin`). Each test is one attack; its doc comment says whether
//! it was a finding (fixed) or resisted, and how severe.
//!
//! As in tests/agent.rs, a lone copy of the thin client has no full binary
//! to fall back to: a fall-back fails with "the full coffer binary is
//! missing" (exit 1), so a success can only be the agent's answer.

#[path = "common/agent_fx.rs"]
mod agent_fx;
mod common;

#[path = "../src/agent_proto.rs"]
#[allow(dead_code)]
mod agent_proto;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use agent_fx::*;
use common::{Env, Run};

/// The agent's socket for `a`'s environment, as the client computes it.
fn socket(a: &Agent) -> PathBuf {
    let e = &a.env;
    agent_proto::socket_path(|k| match k {
        "XDG_RUNTIME_DIR" => Some(runtime(e).into_os_string().into_encoded_bytes()),
        "COFFER_HOME" => Some(e.home().into_os_string().into_encoded_bytes()),
        "XDG_DATA_HOME" => Some(e.root().join("xdg").into_os_string().into_encoded_bytes()),
        "HOME" => Some(e.root().join("home").into_os_string().into_encoded_bytes()),
        _ => None,
    })
    .expect("socket path")
}

fn is_root() -> bool {
    std::process::Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout == b"0\n")
}

/// Finding (medium), fixed: a relative `COFFER_HOME` (or `XDG_DATA_HOME`,
/// or no `HOME`: `./.local/share/coffer`) names the same socket from any
/// folder, but the full binary finds a different home, identity and
/// vault in each. The agent answered from the home below the folder it was
/// started in, where the full binary would have refused (no identity
/// there) or read another vault. Now it falls back unless the client's
/// folder is its own.
#[test]
fn attack_a_relative_coffer_home_is_not_the_agents_home() {
    let env = Env::with_vault();
    std::fs::create_dir_all(runtime(&env)).expect("mkdir");
    env.set("web/prod", "API_KEY", "from-the-agents-home");
    let rel = |r: Run| session(r, &env).env("COFFER_HOME", "coffer-home");
    // Started from ROOT: its home is ROOT/coffer-home.
    rel(env.coffer(["agent", "start"]))
        .current_dir(env.root())
        .ok();
    let args = ["get", "web/prod", "API_KEY"];
    // From ROOT, the same home: answered.
    let out = rel(env.program(lone_bin(&env), args))
        .current_dir(env.root())
        .ok();
    assert_eq!(out.stdout, "from-the-agents-home\n");
    // From ROOT/work, the full binary looks in ROOT/work/coffer-home: no
    // identity there.
    let full = rel(env.coffer(args)).run();
    assert_ne!(full.code, 0, "{full}");
    let lone = rel(env.program(lone_bin(&env), args)).run();
    assert!(
        lone.stderr.contains(MISSING_FULL) && !lone.stdout.contains("from-the"),
        "the agent answered from another home: {lone}"
    );
    rel(env.coffer(["lock"])).current_dir(env.root()).run();
}

/// Finding (high), fixed: someone who can write the vault file but holds
/// no key writes a tampered copy of it (here: a trigger planted, which
/// every open refuses) over it in place, the same inode. SQLite's
/// `data_version` (what `check_current` watches) moves only with commits
/// seen through the WAL index, not with writes to the file: the agent saw
/// no change and kept answering from its handle (its page cache, and any
/// page not cached read from the tampered copy), where the full binary
/// refuses the file. Now the agent opens the file again (all of the open's
/// checks) whenever its size, modification or change time moved, and
/// drops an answer during which they moved.
#[test]
fn attack_a_tampered_copy_written_in_place_is_not_answered() {
    let a = Agent::start();
    a.env.set("web/prod", "API_KEY", "v");
    a.full(["agent", "stop"]).ok();
    let copy = a.env.root().join("copy.coffer");
    std::fs::copy(a.env.vault_path(), &copy).expect("copy");
    let conn = rusqlite::Connection::open(&copy).expect("open");
    conn.execute_batch("CREATE TRIGGER planted AFTER INSERT ON ops BEGIN SELECT 1; END;")
        .expect("plant");
    drop(conn);
    let tampered = std::fs::read(&copy).expect("read");
    a.full(["agent", "start"]).ok();
    let args = ["get", "web/prod", "API_KEY"];
    assert_eq!(a.lone(args).ok().stdout, "v\n");
    // In place: the same inode, as `cp copy vault.coffer` does.
    std::fs::write(a.env.vault_path(), &tampered).expect("write over");
    let lone = a.lone(args).run();
    let full = a.full(args).run();
    assert_ne!(full.code, 0, "the full binary refuses the file: {full}");
    assert!(
        lone.stderr.contains(MISSING_FULL),
        "the agent answered from a file the full binary refuses: {lone}"
    );
    let thin = a.thin(args).run();
    assert_eq!((thin.code, &thin.stderr), (full.code, &full.stderr));
}

/// An older copy of the vault written back, in place or renamed over it.
/// Renamed: resisted (another inode, opened again). In place: finding
/// (medium, the same cause and fix as the test above): the agent answered
/// the newer value from its cache where the full binary reads the older
/// copy. Now both answer alike. Noticed, not the agent's: the full
/// binary itself accepts an older copy of a vault not moved to sync (no
/// seal, no generation anchor): see the report of attack review 20.
#[test]
fn attack_an_older_copy_written_back_is_answered_as_the_full_binary_does() {
    for in_place in [true, false] {
        let a = Agent::start();
        a.env.set("web/prod", "API_KEY", "old");
        a.full(["agent", "stop"]).ok();
        let old = a.env.root().join("old.coffer");
        std::fs::copy(a.env.vault_path(), &old).expect("copy");
        a.env.set("web/prod", "API_KEY", "new");
        a.full(["agent", "start"]).ok();
        let args = ["get", "web/prod", "API_KEY"];
        assert_eq!(a.lone(args).ok().stdout, "new\n");
        if in_place {
            let bytes = std::fs::read(&old).expect("read");
            std::fs::write(a.env.vault_path(), bytes).expect("write back");
        } else {
            std::fs::rename(&old, a.env.vault_path()).expect("rename");
        }
        let lone = a.lone(args).run();
        let full = a.full(args).run();
        if !lone.stderr.contains(MISSING_FULL) {
            assert_eq!(
                (lone.code, &lone.stdout, &lone.stderr),
                (full.code, &full.stdout, &full.stderr),
                "in place: {in_place}"
            );
        }
    }
}

/// A listener at `path` that answers every connection with a `run` frame
/// starting `sh -c 'touch MARK'`; the marker says a client obeyed.
fn fake_agent(path: &Path, mark: &Path) -> std::thread::JoinHandle<()> {
    use agent_proto::*;
    let listener = std::os::unix::net::UnixListener::bind(path).expect("bind");
    let mark = mark.to_path_buf();
    std::thread::spawn(move || {
        listener.set_nonblocking(true).expect("nonblocking");
        let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
        while std::time::Instant::now() < until {
            let Ok((mut s, _)) = listener.accept() else {
                std::thread::sleep(std::time::Duration::from_millis(10));
                continue;
            };
            s.set_nonblocking(false).expect("blocking");
            let _ = receive(&mut s);
            let mut f = Frame::new(ANSWER_EXEC);
            f.count(0);
            f.field(b"");
            f.field(b"");
            f.count(3);
            f.field(b"sh");
            f.field(b"-c");
            f.field(format!("touch '{}'", mark.display()).as_bytes());
            f.count(0);
            let _ = f.send(&mut s);
        }
    })
}

/// Finding (low, hardening), fixed: the thin client carried out whatever
/// command an "agent" answered, for any request: a process at the socket
/// answering `coffer get` with "run `sh -c …`" had it run. Only this
/// user can put a socket there (the client checks the socket's owner, and
/// now its folder's), but the client now also runs only the command its
/// own `run` arguments end with: an answer can start nothing else.
#[test]
fn attack_a_fake_agent_cannot_make_the_client_run_a_command() {
    let env = Env::with_vault();
    let dir = runtime(&env).join("coffer-agent");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let a = Agent { env };
    let mark = a.env.root().join("pwned");
    let _fake = fake_agent(&socket(&a), &mark);
    for args in [
        &["get", "web/prod", "API_KEY"][..],
        &["export", "web/prod"],
        &["run", "web/prod", "--no-masking", "--", "true"],
        &["run", "web/prod", "--no-masking", "--", "sh", "-c"],
    ] {
        let out = a.lone(args).run();
        assert!(
            !mark.exists(),
            "{args:?}: the client ran the fake agent's command: {out}"
        );
    }
}

/// Resisted (the thin client), finding (low, fixed) in the client's
/// folder check: another user pre-creates `$XDG_RUNTIME_DIR/coffer-agent`
/// (a shared runtime folder) with a socket of theirs. The agent refuses to
/// use the folder, and the client talks to no socket it does not own; it
/// now also talks to none in a folder that is not its user's and private,
/// so that a socket of its user's put there (a hard link, a race between
/// its check and its connect) is not trusted either.
#[test]
fn attack_another_user_precreates_the_socket_folder() {
    if !is_root() || !Path::new("/usr/bin/setpriv").exists() {
        eprintln!("skipped: needs root and setpriv to be another user");
        return;
    }
    let env = Env::with_vault();
    let run = runtime(&env);
    std::fs::create_dir_all(&run).expect("mkdir");
    std::fs::set_permissions(&run, std::fs::Permissions::from_mode(0o1777)).expect("chmod");
    let a = Agent { env };
    let dir = a.socket_dir();
    let ok = std::process::Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "mkdir",
            "-m",
            "0777",
        ])
        .arg(&dir)
        .status()
        .expect("setpriv");
    assert!(ok.success());
    // A session (the agent's start needs one).
    a.full(["ls"]).ok();
    let mark = a.env.root().join("pwned");
    let _fake = fake_agent(&socket(&a), &mark);
    std::os::unix::fs::chown(socket(&a), Some(65534), Some(65534)).expect("chown");
    // Nobody's socket: not talked to.
    let out = a.lone(["get", "web/prod", "API_KEY"]).run();
    assert!(out.stderr.contains(MISSING_FULL), "{out}");
    assert!(!mark.exists());
    // The agent will not serve from nobody's folder.
    let out = a.full(["agent", "serve"]).run();
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stderr.contains("must be a folder of yours"), "{out}");
    // A socket of this user's in nobody's folder: not trusted either.
    std::os::unix::fs::chown(socket(&a), Some(0), Some(0)).expect("chown");
    let out = a.lone(["get", "web/prod", "API_KEY"]).run();
    assert!(out.stderr.contains(MISSING_FULL), "{out}");
    assert!(!mark.exists(), "{out}");
}

/// The pid of the agent serving `env`'s home.
fn agent_pid(env: &Env) -> Option<i32> {
    let want = format!("COFFER_HOME={}", env.home().display());
    for e in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        let cmd = std::fs::read(e.path().join("cmdline")).unwrap_or_default();
        if !cmd.windows(12).any(|w| w == b"agent\0serve\0") {
            continue;
        }
        let environ = std::fs::read(e.path().join("environ")).unwrap_or_default();
        if environ.split(|b| *b == 0).any(|v| v == want.as_bytes()) {
            return Some(pid);
        }
    }
    None
}

/// Resisted: an agent killed with SIGKILL leaves its socket behind; no
/// one answers on it, the client falls back to the full binary (the same
/// answer), and the next `agent start` replaces it.
#[test]
fn attack_a_killed_agents_socket_misleads_no_one() {
    let a = Agent::start();
    a.env.set("web/prod", "API_KEY", "v");
    let pid = agent_pid(&a.env).expect("the agent's pid");
    let ok = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .expect("kill");
    assert!(ok.success());
    wait_until("the agent is gone", || {
        !Path::new(&format!("/proc/{pid}/cmdline")).exists()
            || std::fs::read(format!("/proc/{pid}/cmdline")).is_ok_and(|c| c.is_empty())
    });
    assert!(socket(&a).exists(), "the socket stays behind");
    assert!(!a.running());
    let out = a.lone(["get", "web/prod", "API_KEY"]).run();
    assert!(out.stderr.contains(MISSING_FULL), "{out}");
    assert_eq!(a.thin(["get", "web/prod", "API_KEY"]).ok().stdout, "v\n");
    a.full(["agent", "start"]).ok();
    assert_eq!(a.lone(["get", "web/prod", "API_KEY"]).ok().stdout, "v\n");
}

/// Resisted: lifetime. A client whose `COFFER_SESSION_MINUTES` is 0, or
/// whose passphrase change or lock ended the session, is not answered:
/// `coffer lock` ends the agent; an agent cannot start with the cache off.
#[test]
fn attack_the_agent_does_not_outlive_the_session() {
    let a = Agent::start();
    a.env.set("web/prod", "API_KEY", "v");
    let out = a
        .lone(["get", "web/prod", "API_KEY"])
        .env("COFFER_SESSION_MINUTES", "0")
        .run();
    assert!(out.stderr.contains(MISSING_FULL), "{out}");
    // The session's kernel key and slot gone (what the idle timeout
    // does): no answer, and the agent ends.
    a.full(["lock"]).ok();
    let out = a.lone(["get", "web/prod", "API_KEY"]).run();
    assert!(out.stderr.contains(MISSING_FULL), "{out}");
    assert!(!a.running());
}

/// Finding (low), fixed: `export` to a reader that went away. The full
/// binary fails at the write ("writing to stdout", exit 7) before the
/// overrides note; the thin client printed the note anyway. And it took
/// any argument `export` (`coffer get web/dev export`, a key so named) for
/// the command: a `get` to a closed pipe failed with 7 where the full
/// binary succeeds. Now the same stderr and exit code.
#[test]
fn attack_export_to_a_closed_pipe_matches_the_full_binary() {
    let a = Agent::start();
    let e = &a.env;
    e.coffer(["env", "add", "web/dev"]).ok();
    e.set("web/dev", "DATABASE_URL", "postgres://team");
    e.coffer(["override", "set", "web/dev", "DATABASE_URL"])
        .stdin("postgres://mine")
        .ok();
    e.set("web/dev", "export", "a key named export");
    let closed = |program: &Path, args: &[&str]| {
        let (reader, writer) = std::io::pipe().expect("pipe");
        drop(reader);
        let mut cmd = std::process::Command::new(program);
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", e.root().join("home"))
            .env("XDG_DATA_HOME", e.root().join("xdg"))
            .env("COFFER_HOME", e.home())
            .env("COFFER_PASSPHRASE", "unused")
            .env("COFFER_SESSION_MINUTES", "10")
            .env("XDG_RUNTIME_DIR", runtime(e))
            .env("LC_ALL", "C")
            .current_dir(e.work())
            .args(args)
            .stdout(writer);
        let out = cmd.output().expect("run");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    // `get` ignores a reader gone: the client took any argument `export`
    // for the command, and failed it with 7.
    let args = ["get", "web/dev", "export"];
    let full = closed(common::bin(), &args);
    let lone = closed(&lone_bin(e), &args);
    assert_eq!(full, (Some(0), String::new()));
    assert_eq!(lone, full);
    let args = ["export", "web/dev"];
    let full = closed(common::bin(), &args);
    let lone = closed(&lone_bin(e), &args);
    assert_eq!(full.0, Some(7), "{full:?}");
    assert_eq!(lone, full);
}

/// Finding (low; out of scope as abuse, but it stalls every other client),
/// fixed: the agent answers one connection at a time, and its timeouts
/// were per read and per write. A client of the same user sending its
/// request a byte at a time (or reading its answer so) held the agent, and
/// every other `coffer get` waiting behind it, for as long as it liked. Now
/// a request must arrive within 5 s and an answer be taken within 30 s.
#[test]
fn attack_a_trickling_client_does_not_stall_the_others() {
    use std::io::Write;
    let a = Agent::start();
    a.env.set("web/prod", "API_KEY", "v");
    let mut s = std::os::unix::net::UnixStream::connect(socket(&a)).expect("connect");
    let trickle = std::thread::spawn(move || {
        // A request of 1 000 bytes, the first 13 at once, then 16 s of one
        // byte every 700 ms: never 5 s without a byte.
        let mut head = agent_proto::MAGIC.to_vec();
        head.extend(1000u32.to_le_bytes());
        head.push(agent_proto::KIND_COMMAND);
        s.write_all(&head).expect("head");
        for _ in 0..23 {
            if s.write_all(&[0]).is_err() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(700));
        }
    });
    std::thread::sleep(std::time::Duration::from_millis(300));
    let t = std::time::Instant::now();
    let out = a.lone(["get", "web/prod", "API_KEY"]).ok();
    let took = t.elapsed();
    assert_eq!(out.stdout, "v\n");
    assert!(
        took < std::time::Duration::from_secs(9),
        "another client waited {took:?} behind the trickling one"
    );
    trickle.join().expect("join");
}

/// Resisted: an answer larger than a frame may be (64 MB: an export in
/// JSON of a large environment, control characters escaped six times
/// over). The client refuses the frame and falls back: the full binary
/// prints the export (the read is then logged twice, never not at all).
#[test]
fn attack_an_export_larger_than_a_frame_is_the_full_binarys() {
    let a = Agent::start();
    let e = &a.env;
    e.coffer(["env", "add", "web/big"]).ok();
    let value = "\u{1}".repeat(60_000);
    let mut text = String::new();
    for i in 0..190 {
        text.push_str(&format!("K{i}=\"{value}\"\n"));
    }
    let file = e.write("big.env", &text);
    e.coffer(["import", file.to_str().expect("utf-8"), "web/big"])
        .ok();
    let args = ["export", "web/big", "--format", "json"];
    // The agent has the vault open already.
    a.lone(["get", "web/big", "K0"]).ok();
    let full = a.full(args).run();
    assert_eq!(full.code, 0, "{}", full.stderr);
    assert!(full.stdout_bytes.len() > agent_proto::MAX_FRAME);
    let lone = a.lone(args).run();
    assert!(
        lone.stderr.contains(MISSING_FULL),
        "the agent's answer: {}",
        lone.stderr
    );
    let thin = a.thin(args).run();
    assert_eq!(thin.code, 0, "{}", thin.stderr);
    assert!(thin.stdout_bytes == full.stdout_bytes, "the same export");
}

/// Finding (low), fixed: a path that means something else in each
/// process. `--vault /proc/self/cwd/vault.coffer` (or `/dev/fd/N`, or a
/// `COFFER_HOME` under `/proc/self`) names, for the full binary, a file of
/// the client's folder; in the agent it named one of the agent's folder,
/// and the agent answered from that vault. Now it falls back.
#[test]
fn attack_a_proc_self_path_is_the_clients_not_the_agents() {
    let env = Env::with_vault();
    std::fs::create_dir_all(runtime(&env)).expect("mkdir");
    env.set("web/prod", "API_KEY", "the-agents-vault");
    // Started in the vault's folder.
    session(env.coffer(["agent", "start"]), &env)
        .current_dir(env.home())
        .ok();
    let a = Agent { env };
    let args = [
        "--vault",
        "/proc/self/cwd/vault.coffer",
        "get",
        "web/prod",
        "API_KEY",
    ];
    // From ROOT/work, where there is no vault.coffer.
    let full = a.full(args).run();
    assert_ne!(full.code, 0, "{full}");
    let lone = a.lone(args).run();
    assert!(
        lone.stderr.contains(MISSING_FULL) && !lone.stdout.contains("the-agents"),
        "the agent answered from its own folder: {lone}"
    );
    let thin = a.thin(args).run();
    assert_eq!((thin.code, &thin.stderr), (full.code, &full.stderr));
}

/// Runs `program args` in a new, empty session keyring (as another login
/// of the same user, `keyctl new_session`, or a sandbox, has): through
/// python's ctypes, `keyctl(KEYCTL_JOIN_SESSION_KEYRING, NULL)` then exec.
fn outside_the_session(a: &Agent, program: &Path, args: &[&str]) -> common::Out {
    const JOIN: &str = "import ctypes, os, sys\n\
        libc = ctypes.CDLL(None, use_errno=True)\n\
        assert libc.syscall(250, 1, None) >= 0, 'keyctl'\n\
        os.execv(sys.argv[1], sys.argv[1:])\n";
    let mut all = vec!["-c", JOIN, program.to_str().expect("utf-8")];
    all.extend(args);
    session(a.env.program("python3", &all), &a.env)
        .env_remove("COFFER_PASSPHRASE")
        .env("COFFER_NO_PROMPT", "1")
        .run()
}

/// Finding (medium), fixed: the session cache's kernel key is
/// possessor-only, in the login session's keyring: a process of the same
/// user outside that session (another login, a `systemd --user` service,
/// a sandbox, `keyctl new_session`) cannot open it, and the full binary
/// there asks for the passphrase. The agent checked only the uid, so it
/// answered such a process without one ("who can already open the session
/// cache" did not hold). Now the agent puts a possessor-only marker key
/// with a random name in its session keyring; only a process of that
/// session sees its name in /proc/keys, and the client must send it.
#[test]
fn attack_a_process_outside_the_login_session_is_not_answered() {
    if std::process::Command::new("python3")
        .arg("-c")
        .arg("import ctypes")
        .status()
        .map_or(true, |s| !s.success())
        || std::env::consts::ARCH != "x86_64"
    {
        eprintln!("skipped: needs python3 with ctypes on x86_64");
        return;
    }
    let a = Agent::start();
    a.env.set("web/prod", "API_KEY", "v");
    let args = ["get", "web/prod", "API_KEY"];
    let full = outside_the_session(&a, common::bin(), &args);
    assert_ne!(full.code, 0, "the full binary has no session there: {full}");
    let lone = outside_the_session(&a, &lone_bin(&a.env), &args);
    assert!(
        lone.stderr.contains(MISSING_FULL) && !lone.stdout.contains('v'),
        "the agent answered outside its session: {lone}"
    );
    // Inside the session it still answers.
    assert_eq!(a.lone(args).ok().stdout, "v\n");
}

/// An older copy of a vault not moved to sync, written over the file in
/// place while its `-wal` holds newer frames (the agent's read events; a
/// `coffer get` leaves them too), is read with the WAL's newer log pages
/// over the older file: the head check passes and the older, authentic
/// value is answered. That is how a file not moved to sync treats an item
/// rolled back to an older version by any means (`tests/tamper.rs`
/// `current_version_rolled_back_is_found_by_verify`): only the log can
/// tell, so `audit verify` reports it; a private replica's seal refuses it
/// at open. Asserted here: never a value that was not stored, and the
/// full binary's `audit verify` reports the difference.
#[test]
fn attack_an_older_copy_under_a_live_wal_is_reported_by_verify() {
    let a = Agent::start();
    a.env.set("web/prod", "API_KEY", "old");
    a.full(["agent", "stop"]).ok();
    let old = std::fs::read(a.env.vault_path()).expect("read");
    a.env.set("web/prod", "API_KEY", "new");
    a.full(["agent", "start"]).ok();
    let args = ["get", "web/prod", "API_KEY"];
    assert_eq!(a.lone(args).ok().stdout, "new\n");
    std::fs::write(a.env.vault_path(), old).expect("write back");
    let full = a.full(args).run();
    if full.code == 0 {
        assert!(
            ["old\n", "new\n"].contains(&full.stdout.as_str()),
            "a value that was never stored: {full}"
        );
    }
    let verify = a.full(["audit", "verify"]).run();
    assert_eq!(verify.code, 6, "{verify}");
    assert!(
        verify.stdout.contains("differs from what the op log says"),
        "{verify}"
    );
}
