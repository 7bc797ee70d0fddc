//! The agent's test fixture, shared by tests/agent.rs, agent_attacks.rs
//! and agent_attacks2.rs (each includes it with `#[path]`, after `mod
//! common;`).
//!
//! To tell an answer of the agent from the full binary's, tests use a lone
//! copy of the thin client with no full binary to fall back to: there a
//! fall-back fails with [`MISSING_FULL`] (exit 1), so a success can only be
//! the agent's answer, and that failure can only be a refusal by the agent.
#![allow(dead_code)] // Not every test file uses every helper.

use std::ffi::OsStr;
use std::path::{Path, PathBuf};

use crate::common::{Env, Run};

/// What a lone thin client says when it falls back.
pub const MISSING_FULL: &str = "the full coffer binary is missing";

/// `XDG_RUNTIME_DIR` of `env`'s commands (the agent's socket is below it).
pub fn runtime(env: &Env) -> PathBuf {
    env.root().join("runtime")
}

/// `run` with the session cache on and `env`'s runtime folder.
pub fn session(run: Run, env: &Env) -> Run {
    run.env("XDG_RUNTIME_DIR", runtime(env))
        .env("COFFER_SESSION_MINUTES", "10")
}

/// The thin client of this build (beside the full binary: it falls back).
pub fn thin_bin() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_coffer-thin"))
}

/// A copy of the thin client alone in `ROOT/lone`: only the agent can
/// answer it.
pub fn lone_bin(env: &Env) -> PathBuf {
    let dir = env.root().join("lone");
    let copy = dir.join("coffer-thin");
    if !copy.exists() {
        std::fs::create_dir_all(&dir).expect("mkdir");
        std::fs::copy(thin_bin(), &copy).expect("copy");
    }
    copy
}

/// Waits up to 10 s for `f`.
pub fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
    let until = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !f() {
        assert!(std::time::Instant::now() < until, "timed out: {what}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// A vault with a live agent; `coffer lock` (which ends it) when dropped.
pub struct Agent {
    pub env: Env,
}

impl Agent {
    /// `Env::with_vault()` and `coffer agent start`.
    pub fn start() -> Self {
        let env = Env::with_vault();
        std::fs::create_dir_all(runtime(&env)).expect("mkdir");
        let a = Agent { env };
        a.full(["agent", "start"]).ok();
        a
    }

    /// The full binary, with the session cache on.
    pub fn full<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(&self, args: I) -> Run {
        session(self.env.coffer(args), &self.env)
    }

    /// The thin client beside the full binary (falls back to it).
    pub fn thin<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(&self, args: I) -> Run {
        session(self.env.program(thin_bin(), args), &self.env)
    }

    /// The lone thin client: only the agent can answer it.
    pub fn lone<I: IntoIterator<Item = S>, S: AsRef<OsStr>>(&self, args: I) -> Run {
        session(self.env.program(lone_bin(&self.env), args), &self.env)
    }

    /// The folder of the agent's socket.
    pub fn socket_dir(&self) -> PathBuf {
        runtime(&self.env).join("coffer-agent")
    }

    /// Whether `coffer agent status` finds one.
    pub fn running(&self) -> bool {
        self.full(["agent", "status"]).run().code == 0
    }

    /// The running agent's pid, from `coffer agent status`.
    pub fn pid(&self) -> String {
        let status = self.full(["agent", "status"]).ok().stdout;
        status
            .lines()
            .next()
            .and_then(|l| l.trim().strip_prefix("running (pid "))
            .and_then(|s| s.strip_suffix(')'))
            .unwrap_or_else(|| panic!("no pid in {status:?}"))
            .to_string()
    }

    /// How many read events the audit log holds.
    pub fn reads(&self) -> usize {
        self.full(["audit", "--json"])
            .ok()
            .json()
            .as_array()
            .expect("array")
            .iter()
            .filter(|e| e["kind"] == "read")
            .count()
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.full(["lock"]).run();
    }
}
