//! The harness for the end-to-end tests of the `coffer` binary.
//!
//! Every [`Env`] owns a fresh temporary directory that holds `COFFER_HOME`,
//! `HOME`, `XDG_DATA_HOME` and the working directory of the commands, and
//! runs `coffer` with a cleared environment (only `PATH` is kept), so no
//! test ever touches the user's data and `COFFER_VAULT`, `COFFER_NOW`,
//! `RUST_LOG`, `NO_COLOR` or `GIT_*` from the caller cannot leak in.
//! Identities are created at the KDF floor (19 MiB, t = 2) to stay fast.

#![allow(dead_code)] // Not every test binary uses every helper.

use std::collections::BTreeSet;
use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};

use tempfile::TempDir;

/// The passphrase of every test identity: one the passphrase policy
/// accepts (`identity new` and `passwd` refuse weak ones).
pub const PASSPHRASE: &str = "velvet crane ambles under 9 moons";

/// The `coffer` binary under test: the one cargo built, or
/// `COFFER_TEST_BIN` when set (a copy taken right after the build, for a
/// target directory that several work trees share, where another build may
/// replace `target/debug/coffer` while the tests run).
pub fn bin() -> &'static Path {
    static BIN: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    BIN.get_or_init(|| {
        std::env::var_os("COFFER_TEST_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(env!("CARGO_BIN_EXE_coffer")))
    })
}

/// One isolated device: its own home, data directory and working directory.
pub struct Env {
    root: TempDir,
}

impl Env {
    /// Nothing yet: no identity, no vault.
    pub fn bare() -> Self {
        let root = tempfile::Builder::new()
            .prefix("coffer-cli-test-")
            .tempdir()
            .expect("temp dir");
        for d in ["home", "xdg", "work"] {
            std::fs::create_dir_all(root.path().join(d)).expect("mkdir");
        }
        Env { root }
    }

    /// An identity "Ada" at the KDF floor, no vault.
    pub fn with_identity() -> Self {
        let env = Env::bare();
        env.coffer([
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
        env
    }

    /// An identity, a vault "Acme" and the environment `web/prod`
    /// (rotate every 90 days).
    pub fn with_vault() -> Self {
        let env = Env::with_identity();
        env.coffer(["init", "--name", "Acme"]).ok();
        env.coffer(["env", "add", "web/prod", "--rotate-every", "90d"])
            .ok();
        env
    }

    /// The temporary root (everything of this test lives below it).
    pub fn root(&self) -> &Path {
        self.root.path()
    }

    /// `COFFER_HOME`.
    pub fn home(&self) -> PathBuf {
        self.root().join("coffer-home")
    }

    /// The working directory of every command.
    pub fn work(&self) -> PathBuf {
        self.root().join("work")
    }

    /// The default vault file.
    pub fn vault_path(&self) -> PathBuf {
        self.home().join("vault.coffer")
    }

    /// A `coffer` invocation with the isolated environment.
    pub fn coffer<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = assert_cmd::Command::new(bin());
        self.isolate(&mut cmd);
        cmd.args(args);
        Run {
            cmd,
            what: String::new(),
        }
        .describe()
    }

    /// Any program (git, setsid…) with the same isolated environment.
    pub fn program<I, S>(&self, program: impl AsRef<OsStr>, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut cmd = assert_cmd::Command::new(program);
        self.isolate(&mut cmd);
        cmd.args(args);
        Run {
            cmd,
            what: String::new(),
        }
        .describe()
    }

    /// `coffer ARGS` as a plain `std::process::Command` with the isolated
    /// environment, for tests that spawn it themselves (to signal it, or
    /// to give it a terminal); `XDG_RUNTIME_DIR` is `ROOT/runtime`.
    pub fn spawnable<I, S>(&self, args: I) -> std::process::Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let runtime = self.root().join("runtime");
        std::fs::create_dir_all(&runtime).expect("mkdir");
        let mut cmd = std::process::Command::new(bin());
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.root().join("home"))
            .env("COFFER_HOME", self.home())
            .env("COFFER_PASSPHRASE", PASSPHRASE)
            .env("COFFER_SESSION_MINUTES", "0")
            .env("XDG_RUNTIME_DIR", &runtime)
            .env("LC_ALL", "C")
            .current_dir(self.work())
            .args(args);
        cmd
    }

    fn isolate(&self, cmd: &mut assert_cmd::Command) {
        cmd.env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .env("HOME", self.root().join("home"))
            .env("XDG_DATA_HOME", self.root().join("xdg"))
            .env("COFFER_HOME", self.home())
            .env("COFFER_PASSPHRASE", PASSPHRASE)
            // Each command unlocks on its own unless a test opts in.
            .env("COFFER_SESSION_MINUTES", "0")
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("LC_ALL", "C")
            .current_dir(self.work())
            .timeout(std::time::Duration::from_secs(60));
    }

    /// `printf %s VALUE | coffer set ENV KEY`.
    pub fn set(&self, env: &str, key: &str, value: &str) {
        self.coffer(["set", env, key]).stdin(value).ok();
    }

    /// `coffer get -n ENV KEY`, the exact bytes as a string.
    pub fn get(&self, env: &str, key: &str) -> String {
        self.coffer(["get", "-n", env, key]).ok().stdout
    }

    /// `coffer ls --json` (everything), parsed.
    pub fn ls_json(&self) -> serde_json::Value {
        self.coffer(["ls", "--json"]).ok().json()
    }

    /// The names of the credentials in `scope` (sorted as listed).
    pub fn keys(&self, scope: &str) -> Vec<String> {
        let v = self.coffer(["ls", scope, "--json"]).ok().json();
        v.as_array()
            .expect("array")
            .iter()
            .map(|i| i["name"].as_str().expect("name").to_string())
            .collect()
    }

    /// `coffer audit --json`, parsed.
    pub fn audit(&self) -> Vec<serde_json::Value> {
        self.coffer(["audit", "--json"])
            .ok()
            .json()
            .as_array()
            .expect("array")
            .clone()
    }

    /// A snapshot of what a command may change: the audit log and the items
    /// (with their versions, notes and rotation fields).
    pub fn snapshot(&self) -> (usize, serde_json::Value) {
        (self.audit().len(), self.ls_json())
    }

    /// Every path below the root (relative), files and directories.
    pub fn tree(&self) -> BTreeSet<PathBuf> {
        fn walk(base: &Path, dir: &Path, out: &mut BTreeSet<PathBuf>) {
            for e in std::fs::read_dir(dir).expect("read_dir") {
                let e = e.expect("entry");
                let p = e.path();
                out.insert(p.strip_prefix(base).expect("prefix").to_path_buf());
                if e.file_type().expect("file type").is_dir() {
                    walk(base, &p, out);
                }
            }
        }
        let mut out = BTreeSet::new();
        walk(self.root(), self.root(), &mut out);
        out
    }

    /// Writes a file in the working directory; returns its path.
    pub fn write(&self, name: &str, contents: &str) -> PathBuf {
        let p = self.work().join(name);
        std::fs::write(&p, contents).expect("write");
        p
    }
}

/// A command about to run.
pub struct Run {
    cmd: assert_cmd::Command,
    what: String,
}

impl Run {
    fn describe(mut self) -> Self {
        let c = self.cmd.get_program().to_string_lossy().into_owned();
        let name = Path::new(&c)
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or(c);
        let args: Vec<String> = self
            .cmd
            .get_args()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        self.what = format!("{name} {}", args.join(" "));
        self
    }

    /// Feeds `data` on stdin (stdin is always a pipe, empty by default).
    pub fn stdin(mut self, data: impl Into<Vec<u8>>) -> Self {
        self.cmd.write_stdin(data);
        self
    }

    /// Sets an environment variable.
    pub fn env(mut self, k: &str, v: impl AsRef<OsStr>) -> Self {
        self.cmd.env(k, v);
        self
    }

    /// Removes an environment variable.
    pub fn env_remove(mut self, k: &str) -> Self {
        self.cmd.env_remove(k);
        self
    }

    /// Runs in another directory.
    pub fn current_dir(mut self, dir: impl AsRef<Path>) -> Self {
        self.cmd.current_dir(dir);
        self
    }

    /// Runs it and collects the outcome.
    pub fn run(mut self) -> Out {
        let o = self.cmd.output().expect("spawn");
        let out = Out {
            what: self.what,
            code: o.status.code().unwrap_or(-1),
            stdout_bytes: o.stdout.clone(),
            stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
        };
        out.assert_no_crash();
        out
    }

    /// Runs it and asserts exit code 0.
    #[track_caller]
    pub fn ok(self) -> Out {
        let out = self.run();
        assert_eq!(out.code, 0, "expected success\n{out}");
        out
    }

    /// Runs it, asserts exit code `code` and a one-line `coffer: …` error
    /// on stderr; returns that line.
    #[track_caller]
    pub fn fails(self, code: i32) -> String {
        self.run().error(code)
    }

    /// Runs it and asserts a clap usage error (exit 2).
    #[track_caller]
    pub fn usage_error(self) -> Out {
        let out = self.run();
        assert_eq!(out.code, 2, "expected a usage error\n{out}");
        assert!(out.stderr.starts_with("error: "), "{out}");
        assert!(out.stdout.is_empty(), "{out}");
        out
    }
}

/// What a command did.
pub struct Out {
    /// The command line, for failure messages.
    pub what: String,
    /// The exit code (-1 if killed by a signal).
    pub code: i32,
    /// stdout, lossily decoded.
    pub stdout: String,
    /// stdout, exact.
    pub stdout_bytes: Vec<u8>,
    /// stderr, lossily decoded.
    pub stderr: String,
}

impl fmt::Display for Out {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "$ {}\nexit: {}\n--- stdout\n{}\n--- stderr\n{}\n---",
            self.what, self.code, self.stdout, self.stderr
        )
    }
}

impl Out {
    /// No panic, no backtrace, never killed by a signal.
    #[track_caller]
    fn assert_no_crash(&self) {
        assert_ne!(self.code, -1, "killed by a signal\n{self}");
        assert_ne!(self.code, 101, "exit 101 (panic?)\n{self}");
        for bad in ["panicked", "backtrace", "RUST_BACKTRACE", "thread 'main'"] {
            assert!(!self.stderr.contains(bad), "{bad:?} on stderr\n{self}");
        }
    }

    /// Asserts exit `code` and exactly one error line (`coffer: …`) on
    /// stderr besides `warning:` lines; returns it without the prefix.
    #[track_caller]
    pub fn error(&self, code: i32) -> String {
        assert_eq!(self.code, code, "unexpected exit code\n{self}");
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| !l.starts_with("warning: "))
            .collect();
        assert_eq!(lines.len(), 1, "expected one error line\n{self}");
        let line = lines[0];
        assert!(line.starts_with("coffer: "), "{self}");
        assert!(line.len() > "coffer: ".len() + 5, "empty message\n{self}");
        line["coffer: ".len()..].to_string()
    }

    /// stdout parsed as JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON: {e}\n{self}"))
    }

    /// stdout and stderr together (for "never contains" checks).
    pub fn all(&self) -> String {
        format!("{}\n{}", self.stdout, self.stderr)
    }
}

/// Waits (up to 30 s) for a spawned coffer's exit code; it must exit, not
/// be killed.
#[track_caller]
pub fn exit_of(child: &mut std::process::Child) -> i32 {
    let t0 = std::time::Instant::now();
    loop {
        if let Some(s) = child.try_wait().expect("wait") {
            return s.code().expect("coffer exits, not killed");
        }
        assert!(
            t0.elapsed() < std::time::Duration::from_secs(30),
            "coffer did not exit"
        );
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
}

/// The unix time now.
pub fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
}

/// One day in seconds.
pub const DAY: i64 = 86_400;

/// Whether `git` can be run (the git-tree tests are skipped without it).
/// Creates `name`'s identity (KDF at the floor) in `env`; returns their
/// public identity string and fingerprint.
pub fn new_identity(env: &Env, name: &str) -> (String, String) {
    env.coffer([
        "identity",
        "new",
        "--name",
        name,
        "--kdf-memory",
        "19",
        "--kdf-iterations",
        "2",
    ])
    .ok();
    let show = env.coffer(["identity", "show", "--json"]).ok().json();
    (
        show["public_identity"].as_str().expect("pub").into(),
        show["fingerprint"].as_str().expect("fp").into(),
    )
}

pub fn have_git() -> bool {
    std::process::Command::new("git")
        .arg("--version")
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

/// The permission bits of a path.
#[cfg(unix)]
pub fn mode(p: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).expect("metadata").permissions().mode() & 0o777
}
