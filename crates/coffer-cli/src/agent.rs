//! `coffer agent`: a process that keeps the unlocked identity and the
//! checked vault open while the session unlock lasts, so that `get`,
//! `export` and `run --no-masking` asked through the thin client
//! (`coffer-thin`, installed as `coffer`) need neither an open nor an
//! unlock.
//!
//! What it may do, and why that grants nothing new
//! (docs/design-decisions.md, "The agent"):
//! - it lives exactly as long as the session cache: it starts only from a
//!   live session, checks the session at every request (which pushes the
//!   idle timeout back, as any command does) and every half second, and
//!   ends with it (`coffer lock`, the app's lock, the idle timeout);
//! - its socket is in `$XDG_RUNTIME_DIR/coffer-agent/` (0700), 0600, and it
//!   answers only a peer of its own uid (`SO_PEERCRED`) that holds its
//!   login session's keyring (it sends the name of the agent's
//!   possessor-only marker key, listed in `/proc/keys` only to such
//!   processes): who can already open the session cache;
//! - it answers only a client whose Coffer variables are its own, parses
//!   the client's arguments with the full binary's parser, and answers
//!   only what it runs exactly as the full binary would; anything else,
//!   and any error, is "fall back": the client runs the full binary, which
//!   reports the error itself;
//! - before each answer the vault file is the one it opened (same device,
//!   inode, size, mtime and ctime: else it is opened again) and passes
//!   [`Vault::check_current`], the open's checks when anyone changed the
//!   file; each read is logged as the full binary logs it;
//! - it is not dumpable (`PR_SET_DUMPABLE` 0): no core file, no ptrace
//!   by other processes of the user.

use std::collections::HashMap;
use std::ffi::OsString;
use std::os::unix::ffi::{OsStrExt, OsStringExt};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, PermissionsExt};
use std::os::unix::net::{UnixListener, UnixStream};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::{Parser, Subcommand};
use coffer_vault::paths::{coffer_home, default_vault_path};
use coffer_vault::{session_minutes, Error, IdentityStore, Result, SessionMarker, Vault};
use zeroize::Zeroizing;

use crate::agent_proto::*;
use crate::cli::{Cli, Cmd};

/// `coffer agent`.
#[derive(Subcommand, Debug)]
pub enum AgentCmd {
    /// Start the agent (unlocks first if no session is live).
    Start,
    /// End the agent (the session stays; `coffer lock` ends both).
    Stop,
    /// Whether an agent answers, and whether it starts with each session.
    Status,
    /// Start the agent with every session unlock from now on (and now).
    Enable,
    /// Stop starting it with each session (a running agent stays until
    /// the session ends or `coffer agent stop`).
    Disable,
    /// Run the agent in the foreground (what `start` starts).
    #[command(hide = true)]
    Serve,
}

/// How often the agent looks at the session and its socket when idle.
const WATCH: Duration = Duration::from_millis(500);

/// Runs `coffer agent …`.
pub fn run(cmd: AgentCmd) -> Result<u8> {
    match cmd {
        AgentCmd::Start => start(),
        AgentCmd::Stop => {
            if stop()? {
                eprintln!("Agent stopped.");
            } else {
                eprintln!("No agent was running.");
            }
            Ok(0)
        }
        AgentCmd::Status => {
            let code = if let Some(pid) = ask(&socket()?, KIND_PING) {
                outln!("running (pid {})", String::from_utf8_lossy(&pid));
                0
            } else {
                outln!("not running");
                crate::exit::NOT_FOUND
            };
            if enabled() {
                outln!("starts with each session unlock (coffer agent disable turns that off)");
            }
            Ok(code)
        }
        AgentCmd::Enable => {
            socket()?;
            if session_minutes() == 0 {
                return Err(Error::InvalidInput(
                    "the agent lasts as long as the session unlock, which is off (COFFER_SESSION_MINUTES=0)"
                        .into(),
                ));
            }
            let home = coffer_home();
            coffer_vault::paths::ensure_private_dir(&home)?;
            coffer_vault::paths::write_atomic(&home.join(ENABLED_FILE), b"on\n")?;
            start()
        }
        AgentCmd::Disable => {
            match std::fs::remove_file(coffer_home().join(ENABLED_FILE)) {
                Ok(()) => eprintln!(
                    "The agent no longer starts with each session; a running one ends with the session (or `coffer agent stop`)."
                ),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    eprintln!("The agent was not set to start with each session.")
                }
                Err(e) => return Err(Error::io("removing the agent setting", e)),
            }
            Ok(0)
        }
        AgentCmd::Serve => serve(),
    }
}

fn env_bytes(k: &str) -> Option<Vec<u8>> {
    std::env::var_os(k).map(OsString::into_vec)
}

/// This environment's agent socket.
fn socket() -> Result<PathBuf> {
    socket_path(env_bytes).ok_or_else(|| {
        Error::InvalidInput(
            "XDG_RUNTIME_DIR is not set: the agent's socket lives there (log in through a session manager, or set it to a private folder)".into(),
        )
    })
}

/// Sends `kind` and waits for the answer; whether one came.
fn call(path: &Path, kind: u8) -> bool {
    ask(path, kind).is_some()
}

/// Sends `kind`; the answer's output field, if one came.
fn ask(path: &Path, kind: u8) -> Option<Vec<u8>> {
    let mut s = UnixStream::connect(path).ok()?;
    let _ = s.set_read_timeout(Some(Duration::from_secs(5)));
    Frame::new(kind).send(&mut s).ok()?;
    let (_, mut f) = receive(&mut s).ok()?;
    f.count().ok()?;
    f.field().ok()
}

fn ping(path: &Path) -> bool {
    call(path, KIND_PING)
}

/// Ends this environment's agent, if one answers; waits until its socket
/// is gone. `coffer lock` calls it too.
pub fn stop() -> Result<bool> {
    let Some(path) = socket_path(env_bytes) else {
        return Ok(false);
    };
    if !call(&path, KIND_STOP) {
        return Ok(false);
    }
    let until = Instant::now() + Duration::from_secs(5);
    while path.exists() && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(10));
    }
    Ok(true)
}

/// The file in `COFFER_HOME` that says "start the agent with each
/// session unlock" (`coffer agent enable`; nothing secret in it).
pub const ENABLED_FILE: &str = "agent.on";

fn enabled() -> bool {
    coffer_home().join(ENABLED_FILE).is_file()
}

/// Set while `coffer agent start` unlocks: it starts the agent itself.
static STARTING: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// Called by an unlock that has just started a session: starts the agent
/// in the background when `coffer agent enable` asked for it. Best effort
/// and silent (the command the user ran is what matters; `coffer agent
/// status` tells).
pub fn session_started() {
    if STARTING.load(std::sync::atomic::Ordering::Relaxed) || !enabled() {
        return;
    }
    if let Some(path) = socket_path(env_bytes) {
        if !ping(&path) {
            let _ = spawn();
        }
    }
}

/// The variables the agent reads besides [`ENV_KEYS`] (its socket's
/// folder, the secret files' sweep, the session's keyrings), or that the
/// libraries it uses may (time zone, locale, search path).
const AGENT_ENV: &[&str] = &[
    "XDG_RUNTIME_DIR",
    "TMPDIR",
    "DBUS_SESSION_BUS_ADDRESS",
    "PATH",
    "TZ",
    "LANG",
    "LC_ALL",
];

/// Starts `coffer agent serve` in the background.
fn spawn() -> Result<()> {
    let exe = std::env::current_exe().map_err(|e| Error::io("finding the coffer binary", e))?;
    use std::os::unix::process::CommandExt;
    let mut cmd = std::process::Command::new(exe);
    // Only the variables it reads. It opens from the session: it has no
    // use for a passphrase, and would otherwise hold one in its
    // environment for hours; nor for the credentials `coffer run` or
    // `coffer shell` put in the environment of an unlock made inside them
    // (after `coffer lock`, or the idle timeout), which it would keep past
    // the run, and past their rotation (attack review 21).
    cmd.env_clear();
    for key in ENV_KEYS.iter().chain(AGENT_ENV) {
        if let Some(v) = std::env::var_os(key) {
            cmd.env(key, v);
        }
    }
    cmd.args(["agent", "serve"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        // Its own process group: a Ctrl-C in this terminal does not end it.
        .process_group(0)
        .spawn()
        .map_err(|e| Error::io("starting the agent", e))?;
    Ok(())
}

fn start() -> Result<u8> {
    let minutes = session_minutes();
    if minutes == 0 {
        return Err(Error::InvalidInput(
            "the agent lasts as long as the session unlock, which is off (COFFER_SESSION_MINUTES=0)"
                .into(),
        ));
    }
    let path = socket()?;
    if ping(&path) {
        eprintln!("An agent is already running.");
        return Ok(0);
    }
    let store = IdentityStore::load(&coffer_home())?;
    if !store.session_live() {
        STARTING.store(true, std::sync::atomic::Ordering::Relaxed);
        drop(crate::commands::unlock()?);
        if !store.session_live() {
            return Err(Error::InvalidInput(
                "no session unlock could be started (this system has no kernel keyring for it): the agent needs one".into(),
            ));
        }
    }
    spawn()?;
    let until = Instant::now() + Duration::from_secs(10);
    while !ping(&path) {
        if Instant::now() > until {
            return Err(Error::InvalidInput(
                "the agent did not start (run `coffer agent serve` to see why)".into(),
            ));
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    eprintln!(
        "Agent started: `coffer get`, `export` and `run --no-masking` are answered by it until the session ends (coffer lock, or {minutes} idle minutes)."
    );
    Ok(0)
}

/// Makes (or checks) the socket's folder: this user's, 0700.
fn private_dir(dir: &Path) -> Result<()> {
    match std::fs::DirBuilder::new().mode(0o700).create(dir) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
        Err(e) => return Err(Error::io(format!("creating {}", dir.display()), e)),
    }
    let m = std::fs::symlink_metadata(dir).map_err(|e| Error::io("reading the agent folder", e))?;
    if !m.is_dir() || m.uid() != rustix::process::getuid().as_raw() || m.mode() & 0o077 != 0 {
        return Err(Error::PermissionDenied(format!(
            "{} must be a folder of yours that no one else may open (mode 0700)",
            dir.display()
        )));
    }
    Ok(())
}

fn serve() -> Result<u8> {
    let path = socket()?;
    let store = IdentityStore::load(&coffer_home())?;
    if !store.session_live() {
        return Err(Error::InvalidInput(
            "no session unlock is live: `coffer agent start` unlocks first".into(),
        ));
    }
    // No core file, no ptrace by the user's other processes.
    let _ = rustix::process::set_dumpable_behavior(rustix::process::DumpableBehavior::NotDumpable);
    let dir = path
        .parent()
        .ok_or_else(|| Error::InvalidInput("no folder for the agent's socket".into()))?;
    private_dir(dir)?;
    if ping(&path) {
        return Err(Error::Refused("an agent is already running".into()));
    }
    match std::fs::remove_file(&path) {
        Ok(()) => {}
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
        Err(e) => return Err(Error::io("removing a stale agent socket", e)),
    }
    let listener =
        UnixListener::bind(&path).map_err(|e| Error::io("opening the agent socket", e))?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600))
        .map_err(|e| Error::io("restricting the agent socket", e))?;
    let ino = std::fs::symlink_metadata(&path)
        .map_err(|e| Error::io("reading the agent socket", e))?
        .ino();
    let ours = || std::fs::symlink_metadata(&path).is_ok_and(|m| m.ino() == ino);
    debug_assert_eq!(MARKER_PREFIX, coffer_vault::MARKER_PREFIX);
    let marker = SessionMarker::new().ok_or_else(|| {
        Error::InvalidInput(
            "no session keyring to mark the agent's session in (the session cache needs one)"
                .into(),
        )
    })?;
    let mut agent = Agent {
        id: store.public().id,
        marker,
        store,
        vaults: HashMap::new(),
    };
    let mut last_watch = Instant::now();
    loop {
        if last_watch.elapsed() >= WATCH {
            last_watch = Instant::now();
            if !agent.store.session_live() || !ours() {
                break;
            }
        }
        if !readable(&listener, WATCH) {
            continue;
        }
        let Ok((conn, _)) = listener.accept() else {
            continue;
        };
        if agent.handle(conn) == Flow::Stop {
            break;
        }
    }
    if ours() {
        let _ = std::fs::remove_file(&path);
    }
    // Dropping the vaults and identities zeroizes their keys.
    drop(agent);
    Ok(0)
}

fn readable(listener: &UnixListener, wait: Duration) -> bool {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    use std::os::fd::AsFd;
    let mut fds = [PollFd::new(listener.as_fd(), PollFlags::POLLIN)];
    let ms = PollTimeout::try_from(wait.as_millis() as i32).unwrap_or(PollTimeout::NONE);
    matches!(poll(&mut fds, ms), Ok(n) if n > 0)
}

#[derive(PartialEq)]
enum Flow {
    Go,
    Stop,
}

struct Agent {
    id: coffer_crypto::Id,
    /// Its marker in the login session's keyring (invalidated on drop).
    marker: SessionMarker,
    store: IdentityStore,
    /// Open vaults, by path, with the file's [`Stamp`] and the size of its
    /// `-wal` at the open.
    vaults: HashMap<PathBuf, (Vault, Stamp, u64)>,
}

/// How much the agent's own read events may grow a vault's `-wal` before it
/// closes the vault (which checkpoints) and opens it again: its handle
/// never checkpoints by itself ([`Vault::defer_checkpoints`]), because a
/// checkpoint moves the main file's [`Stamp`] like a write from outside.
const AGENT_WAL_GROWTH: u64 = 1024 * 1024;

fn wal_len(path: &Path) -> u64 {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    std::fs::metadata(wal).map_or(0, |m| m.len())
}

/// What the vault file's metadata says of its content: device, inode,
/// size, modification and change times. SQLite's `data_version` (what
/// [`Vault::check_current`] watches) moves only with commits seen through
/// the WAL index; an older copy written over the file in place moves none
/// of it, and the handle would go on answering from its page cache and from
/// the older pages (attack review 20). Any change here opens the file
/// again, with all of the open's checks.
type Stamp = (u64, u64, u64, i64, i64, i64, i64);

fn stamp(path: &Path) -> Result<Stamp> {
    let m = std::fs::metadata(path).map_err(|e| Error::io("reading the vault", e))?;
    Ok((
        m.dev(),
        m.ino(),
        m.size(),
        m.mtime(),
        m.mtime_nsec(),
        m.ctime(),
        m.ctime_nsec(),
    ))
}

/// An answer being built; its buffers hold values and are zeroized.
struct Answer {
    code: u8,
    out: Zeroizing<Vec<u8>>,
    err: Zeroizing<Vec<u8>>,
    exec: Option<crate::workflow::Started>,
}

impl Answer {
    fn new() -> Self {
        Answer {
            code: 0,
            out: Zeroizing::new(Vec::new()),
            err: Zeroizing::new(Vec::new()),
            exec: None,
        }
    }

    fn frame(self) -> Frame {
        let kind = if self.exec.is_some() {
            ANSWER_EXEC
        } else {
            ANSWER_DONE
        };
        let mut room = self.out.len() + self.err.len() + 64;
        if let Some((command, vars)) = &self.exec {
            room += command.iter().map(|c| c.len() + 4).sum::<usize>();
            room += vars
                .iter()
                .map(|(k, v)| k.len() + v.len() + 8)
                .sum::<usize>();
        }
        let mut f = Frame::with_capacity(kind, room);
        f.count(usize::from(self.code));
        f.field(&self.out);
        f.field(&self.err);
        if let Some((command, vars)) = &self.exec {
            f.count(command.len());
            for c in command {
                f.field(c.as_bytes());
            }
            f.count(vars.len());
            for (k, v) in vars {
                f.field(k.as_bytes());
                // Handing the value to the command is the point of `run`.
                f.field(v.expose_secret().as_bytes());
            }
        }
        f
    }
}

/// Whether `path` may mean something else in each process: under `/proc`
/// (`/proc/self`, `/proc/thread-self`), `/dev/fd` or `/dev/std…` (attack
/// review 20).
fn per_process(path: &Path) -> bool {
    [
        "/proc",
        "/dev/fd",
        "/dev/stdin",
        "/dev/stdout",
        "/dev/stderr",
    ]
    .iter()
    .any(|p| path.starts_with(p))
}

/// A connection with one deadline for a whole request, or a whole answer:
/// a timeout per read or write let a client that sends, or reads, a byte
/// at a time hold the agent, and so every other client, for as long as it
/// liked (attack review 20).
struct Deadline<'a> {
    s: &'a UnixStream,
    until: Instant,
}

impl<'a> Deadline<'a> {
    fn new(s: &'a UnixStream, within: Duration) -> Self {
        Deadline {
            s,
            until: Instant::now() + within,
        }
    }

    fn left(&self) -> std::io::Result<Duration> {
        self.until
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(|| std::io::Error::from(std::io::ErrorKind::TimedOut))
    }
}

impl std::io::Read for Deadline<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        self.s.set_read_timeout(Some(self.left()?))?;
        (&mut &*self.s).read(buf)
    }
}

impl std::io::Write for Deadline<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.s.set_write_timeout(Some(self.left()?))?;
        (&mut &*self.s).write(buf)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        (&mut &*self.s).flush()
    }
}

struct Request {
    cwd: PathBuf,
    env: Vec<Option<Vec<u8>>>,
    args: Vec<OsString>,
    /// The agent markers the client sees ([`session_markers`]).
    markers: Vec<Vec<u8>>,
}

fn request(f: &mut Fields) -> std::io::Result<Request> {
    let bad = || std::io::Error::new(std::io::ErrorKind::InvalidData, "malformed request");
    let cwd = PathBuf::from(OsString::from_vec(f.field()?));
    if f.count()? != ENV_KEYS.len() {
        return Err(bad());
    }
    let mut env = Vec::with_capacity(ENV_KEYS.len());
    for _ in ENV_KEYS {
        let set = f.field()?;
        let value = f.field()?;
        env.push((set == b"1").then_some(value));
    }
    let n = f.count()?;
    if n > 4096 {
        return Err(bad());
    }
    let mut args = Vec::with_capacity(n);
    for _ in 0..n {
        args.push(OsString::from_vec(f.field()?));
    }
    let n = f.count()?;
    if n > 64 {
        return Err(bad());
    }
    let mut markers = Vec::with_capacity(n);
    for _ in 0..n {
        markers.push(f.field()?);
    }
    if !f.done() {
        return Err(bad());
    }
    Ok(Request {
        cwd,
        env,
        args,
        markers,
    })
}

impl Agent {
    fn handle(&mut self, conn: UnixStream) -> Flow {
        // Only this user's processes: who can already open the session.
        match rustix::net::sockopt::socket_peercred(&conn) {
            Ok(c) if c.uid == rustix::process::getuid() => {}
            _ => return Flow::Go,
        }
        let mut ask = Deadline::new(&conn, Duration::from_secs(5));
        let Ok((kind, mut fields)) = receive(&mut ask) else {
            return Flow::Go;
        };
        let mut conn = Deadline::new(&conn, Duration::from_secs(30));
        match kind {
            KIND_PING => {
                let mut a = Answer::new();
                a.out.extend(std::process::id().to_string().into_bytes());
                let _ = a.frame().send(&mut conn);
                Flow::Go
            }
            KIND_STOP => {
                let _ = Answer::new().frame().send(&mut conn);
                Flow::Stop
            }
            KIND_COMMAND => {
                let (answer, flow) = match request(&mut fields) {
                    Ok(req) => self.command(req),
                    Err(_) => (None, Flow::Go),
                };
                let frame = match answer {
                    Some(a) => a.frame(),
                    None => Frame::new(ANSWER_FALLBACK),
                };
                let _ = frame.send(&mut conn);
                flow
            }
            _ => Flow::Go,
        }
    }

    /// The answer to a command, or `None`: the client runs the full binary.
    fn command(&mut self, req: Request) -> (Option<Answer>, Flow) {
        // Only a process of the login session whose keyring holds the
        // session cache: it sees the marker (attack review 20). Elsewhere
        // the full binary has no session either.
        let token = self.marker.token().as_bytes();
        // Compared in constant time: the token is the proof.
        let seen = req
            .markers
            .iter()
            .fold(false, |seen, m| seen | coffer_crypto::ct_eq(m, token));
        if !seen {
            return (None, Flow::Go);
        }
        // Only a client that sees the Coffer this agent serves.
        let same = ENV_KEYS
            .iter()
            .zip(&req.env)
            .all(|(k, v)| env_bytes(k) == *v);
        if !same {
            return (None, Flow::Go);
        }
        // The session, checked (and its idle timeout pushed back) as a
        // command's unlock does; its end is the agent's.
        let live = IdentityStore::load(&coffer_home())
            .ok()
            .filter(|s| s.public().id == self.id)
            .and_then(|s| s.unlock_from_session());
        if live.is_none() {
            return (None, Flow::Stop);
        }
        drop(live);
        // A relative home (`COFFER_HOME`, `XDG_DATA_HOME`, no `HOME`) is
        // below the folder the full binary runs in: another home, identity
        // and vault from another folder, behind the same socket (attack
        // review 20).
        // So are `/proc/self/…` and `/dev/fd/…`: they name the client's
        // folder and files for the full binary, the agent's here.
        let home = coffer_home();
        if (!home.is_absolute() || per_process(&home))
            && std::env::current_dir().ok().as_deref() != Some(req.cwd.as_path())
        {
            return (None, Flow::Go);
        }
        let Ok(cli) = Cli::try_parse_from(&req.args) else {
            return (None, Flow::Go);
        };
        let path = match &cli.vault {
            Some(p) => req.cwd.join(p),
            None => req.cwd.join(default_vault_path()),
        };
        if per_process(&path) {
            return (None, Flow::Go);
        }
        let answer = match self.answer(&path, cli.cmd) {
            Ok(a) => a,
            Err(_) => {
                // Opened again next time; the full binary reports the error.
                self.vaults.remove(&path);
                None
            }
        };
        (answer, Flow::Go)
    }

    /// The vault at `path`, opened or caught up and checked.
    fn vault(&mut self, path: &Path) -> Result<&mut Vault> {
        // Its own read events grew the WAL enough: closed (checkpointing
        // them into the main file) before the stamp is taken, then opened
        // again with every check.
        if self
            .vaults
            .get(path)
            .is_some_and(|(_, _, at)| wal_len(path) > at + AGENT_WAL_GROWTH)
        {
            self.vaults.remove(path);
        }
        // Taken before the open: a change made while it runs opens it again
        // next time.
        let file = stamp(path)?;
        if self.vaults.get(path).is_some_and(|(_, f, _)| *f != file) {
            self.vaults.remove(path);
        }
        if !self.vaults.contains_key(path) {
            let me = self
                .store
                .unlock_from_session()
                .ok_or_else(|| Error::InvalidInput("the session ended".into()))?;
            let mut v = Vault::open(path, me)?;
            v.defer_checkpoints()?;
            self.vaults
                .insert(path.to_path_buf(), (v, file, wal_len(path)));
        }
        let (v, _, _) = self
            .vaults
            .get_mut(path)
            .ok_or_else(|| Error::InvalidInput("no vault".into()))?;
        v.check_current()?;
        Ok(v)
    }

    fn answer(&mut self, path: &Path, cmd: Cmd) -> Result<Option<Answer>> {
        let mut a = Answer::new();
        match cmd {
            Cmd::Get {
                env,
                key,
                no_newline,
                json,
            } => {
                let v = self.vault(path)?;
                let (info, value) = v.get_item(&env, &key)?;
                crate::commands::write_get(&mut *a.out, &info, &value, json, no_newline)?;
            }
            Cmd::Export {
                env,
                format,
                dialect,
                output: None,
                force: _,
                allow_var,
                no_overrides,
            } => {
                let format: coffer_vault::Format = format.parse()?;
                let dialect: coffer_vault::Dialect = dialect.parse()?;
                let v = self.vault(path)?;
                v.set_use_overrides(!no_overrides);
                let allow = coffer_vault::dangerous::AllowVars {
                    names: &allow_var,
                    hint: crate::commands::ALLOW_VAR_HINT,
                };
                let out = &mut a.out;
                v.export_env_shown(&env, format, dialect, allow, |text| {
                    // Sized first: growing would leave copies in freed memory.
                    out.reserve_exact(text.len());
                    out.extend_from_slice(text.as_bytes());
                    Ok(())
                })?;
                crate::workflow::report_overrides(v, &mut *a.err);
            }
            Cmd::Run(args) if crate::workflow::agent_may_run(&args) => {
                let v = self.vault(path)?;
                a.exec = Some(crate::workflow::agent_run(v, args, &mut *a.err)?);
            }
            _ => return Ok(None),
        }
        // As the app does after each command (attack review 19): a file
        // changed while the answer was made, that no longer checks out,
        // drops it (zeroized); so does a file written under the handle
        // (its stamp moved: the answer may hold pages of either).
        if let Some((v, at, _)) = self.vaults.get_mut(path) {
            v.check_current()?;
            if stamp(path)? != *at {
                return Err(Error::InvalidInput(
                    "the vault file changed while the agent answered".into(),
                ));
            }
        }
        Ok(Some(a))
    }
}
