//! Attack review 21: the agent's start with each session unlock (`coffer
//! agent enable`, `agent::session_started`). Findings fail before their
//! fix; resisted attacks assert the defence.

#[path = "common/agent_fx.rs"]
mod agent_fx;
mod common;

use agent_fx::*;
use common::Env;

/// Finding (low): an unlock made inside `coffer run` (or `coffer shell`),
/// after the session ended there (`coffer lock`, the idle timeout), started
/// the agent with the run's environment: every credential the run injected
/// stayed in the agent's memory, for hours, after the run ended (and after
/// the value was rotated). `agent start` had removed only the passphrase
/// variables. Fixed: the agent is started with only the variables it reads
/// (`agent::spawn`).
#[test]
fn attack_an_unlock_inside_a_run_starts_no_agent_holding_the_runs_credentials() {
    let a = Agent::start();
    a.env.set("web/prod", "API_KEY", "injected-value-4711");
    a.full(["agent", "enable"]).ok();
    a.full(["lock"]).ok();
    assert!(!a.running());
    // The run unlocks (and starts an agent from its own, clean
    // environment); its command locks, then unlocks again: that unlock
    // starts the agent from the command's environment.
    let script = format!(
        "'{bin}' lock && COFFER_PASSPHRASE='{pw}' '{bin}' ls >/dev/null",
        bin = common::bin().display(),
        pw = common::PASSPHRASE
    );
    a.full(["run", "web/prod", "--no-masking", "--", "sh", "-c", &script])
        .ok();
    wait_until("the agent starts with the session", || a.running());
    let environ = std::fs::read(format!("/proc/{}/environ", a.pid())).expect("environ");
    let has = |needle: &[u8]| environ.windows(needle.len()).any(|w| w == needle);
    assert!(has(b"COFFER_HOME="), "the environment was read");
    assert!(
        !has(b"injected-value-4711"),
        "the run's credential is in the agent's environment"
    );
    assert!(!has(common::PASSPHRASE.as_bytes()));
    // And it answers as before.
    assert_eq!(
        a.lone(["get", "web/prod", "API_KEY"]).ok().stdout,
        "injected-value-4711\n"
    );
}

/// Resisted: an `agent.on` planted where an attacker can write (the
/// working folder, a repository's `.coffer/`, beside the vault file, the
/// sync folder) starts nothing: only `COFFER_HOME/agent.on` counts, and
/// `COFFER_HOME` is the user's private folder.
#[test]
fn attack_a_planted_agent_on_outside_coffer_home_starts_nothing() {
    let a = Agent::start();
    a.full(["lock"]).ok();
    let work = a.env.work();
    std::fs::create_dir_all(work.join(".coffer")).expect("mkdir");
    for p in [
        work.join("agent.on"),
        work.join(".coffer").join("agent.on"),
        a.env.root().join("agent.on"),
        a.env.root().join("xdg").join("agent.on"),
    ] {
        std::fs::write(p, "on\n").expect("write");
    }
    a.full(["ls"]).current_dir(&work).ok();
    std::thread::sleep(std::time::Duration::from_millis(700));
    assert!(!a.running());
}

/// Resisted: an agent started by an unlock run with another
/// `COFFER_VAULT` (a repository's `.envrc`) keeps that environment, and
/// answers no client whose Coffer variables differ: they run the full
/// binary (here missing, so the refusal shows), which opens their own
/// vault.
#[test]
fn attack_an_agent_started_with_another_environment_answers_only_it() {
    let a = Agent::start();
    a.env.set("web/prod", "API_KEY", "v");
    a.full(["agent", "enable"]).ok();
    a.full(["lock"]).ok();
    let other = a.env.root().join("other.coffer");
    std::fs::copy(a.env.vault_path(), &other).expect("copy");
    a.full(["ls"]).env("COFFER_VAULT", &other).ok();
    wait_until("the agent starts with the session", || a.running());
    let out = a.lone(["get", "web/prod", "API_KEY"]).run();
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains(MISSING_FULL), "{out}");
    // A client with the same variables is answered.
    assert_eq!(
        a.lone(["get", "web/prod", "API_KEY"])
            .env("COFFER_VAULT", &other)
            .ok()
            .stdout,
        "v\n"
    );
}

/// The `coffer agent serve` processes of this test's home.
fn agents_of(env: &Env) -> Vec<u32> {
    let home = format!("COFFER_HOME={}", env.home().display());
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(cmdline) = std::fs::read(e.path().join("cmdline")) else {
            continue;
        };
        if !cmdline.windows(6).any(|w| w == b"agent\0") || !cmdline.ends_with(b"serve\0") {
            continue;
        }
        let Ok(environ) = std::fs::read(e.path().join("environ")) else {
            continue;
        };
        if environ.split(|b| *b == 0).any(|kv| kv == home.as_bytes()) {
            found.push(pid);
        }
    }
    found
}

/// Resisted: many commands unlocking at once (a `make -j` whose recipes
/// each run `coffer get` with the passphrase in CI's environment) each
/// start an agent: one stays, the others refuse (one answers already) or
/// end when their socket is replaced; none keeps running unseen with the
/// session's identity.
#[test]
fn attack_concurrent_unlocks_leave_one_agent() {
    let a = Agent::start();
    a.env.set("web/prod", "API_KEY", "v");
    a.full(["agent", "enable"]).ok();
    a.full(["lock"]).ok();
    std::thread::scope(|s| {
        for _ in 0..6 {
            s.spawn(|| a.full(["ls"]).ok());
        }
    });
    // Give a replaced agent its half second to notice.
    std::thread::sleep(std::time::Duration::from_millis(1500));
    // At most one stays. Concurrent unlocks can also leave the session's
    // two halves from different unlocks (each writes `session.slot`, then
    // its kernel key): then the session no longer opens, the agent ends
    // with it, and the next command unlocks the usual way.
    let left = agents_of(&a.env);
    assert!(left.len() <= 1, "agents left running: {left:?}");
    let get = session(
        a.env.program(thin_bin(), ["get", "web/prod", "API_KEY"]),
        &a.env,
    );
    assert_eq!(get.ok().stdout, "v\n");
}

/// Resisted: the home moved aside and a new identity made in its place
/// (what a rebuild that lost this device's entries tells the user to do)
/// under a live agent: the agent answers nothing with the old identity
/// (the home's identity is checked at each request, and its session is
/// gone with the old home); the full binary would find no vault the new
/// identity may open.
#[test]
fn attack_a_new_identity_in_the_agents_home_is_not_answered_with_the_old_one() {
    let a = Agent::start();
    a.env.set("web/prod", "API_KEY", "v");
    assert_eq!(a.lone(["get", "web/prod", "API_KEY"]).ok().stdout, "v\n");
    let vault = a.env.root().join("vault.coffer");
    std::fs::copy(a.env.vault_path(), &vault).expect("copy the vault out");
    std::fs::rename(a.env.home(), a.env.root().join("home.old")).expect("move aside");
    a.full([
        "identity",
        "new",
        "--name",
        "Ada",
        "--email",
        "ada@example.com",
        "--kdf-memory",
        "19",
        "--kdf-iterations",
        "2",
    ])
    .ok();
    let out = a
        .lone([
            "--vault",
            vault.to_str().expect("utf-8"),
            "get",
            "web/prod",
            "API_KEY",
        ])
        .run();
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains(MISSING_FULL), "{out}");
    assert!(!a.running());
}
