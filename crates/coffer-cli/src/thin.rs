//! `coffer-thin`: the small `coffer` the package installs as
//! `/usr/bin/coffer`. It links only `std` (no SQLite, no D-Bus, no clap),
//! so it starts in a fraction of the full binary's time.
//!
//! For `get`, `export` and `run` it asks the agent (`coffer agent start`)
//! over its socket; the agent answers exactly as the full binary would, or
//! says "fall back". For every other command, with no agent, or on any
//! doubt, it `exec`s the full binary with the same arguments: the user
//! sees one `coffer` either way. docs/design-decisions.md, "The agent".
#![forbid(unsafe_code)]

#[path = "agent_proto.rs"]
#[allow(dead_code)]
mod agent_proto;

#[cfg(unix)]
fn main() -> std::process::ExitCode {
    client::main()
}

/// Elsewhere there is no agent: the package for those systems installs
/// the full binary as `coffer`.
#[cfg(not(unix))]
fn main() -> std::process::ExitCode {
    eprintln!("coffer: coffer-thin is for Unix; run the full coffer binary");
    std::process::ExitCode::from(1)
}

#[cfg(unix)]
mod client {
    use std::ffi::OsString;
    use std::io::Write;
    use std::os::unix::ffi::{OsStrExt, OsStringExt};
    use std::os::unix::fs::MetadataExt;
    use std::os::unix::net::UnixStream;
    use std::os::unix::process::CommandExt;
    use std::path::PathBuf;
    use std::process::ExitCode;

    use super::agent_proto::*;

    pub fn main() -> ExitCode {
        let args: Vec<OsString> = std::env::args_os().collect();
        if wanted(&args).is_some() {
            if let Some(code) = ask_agent(&args) {
                return code;
            }
        }
        exec_full(&args)
    }

    /// Whether the agent may answer: `get`, `export` or `run`, after at most
    /// the global `--vault`. The agent parses the arguments itself with the
    /// full binary's parser; this only spares it every other command.
    /// Returns the command's name and where it is in `args`.
    fn wanted(args: &[OsString]) -> Option<(&[u8], usize)> {
        let mut rest = args.iter().enumerate().skip(1);
        loop {
            match rest.next().map(|(i, a)| (i, a.as_bytes())) {
                Some((_, b"--vault")) => {
                    rest.next();
                }
                Some((_, a)) if a.starts_with(b"--vault=") => {}
                Some((i, c @ (b"get" | b"export" | b"run"))) => return Some((c, i)),
                _ => return None,
            }
        }
    }

    /// Whether `command` may be started for `args`: only a `run`'s, and only
    /// the command its arguments end with. Whatever answers on the socket
    /// can then start nothing the user did not type (attack review 20).
    fn typed_command(args: &[OsString], command: &[OsString]) -> bool {
        let Some((b"run", at)) = wanted(args) else {
            return false;
        };
        !command.is_empty() && command.len() < args.len() - at && args.ends_with(command)
    }

    fn var(k: &str) -> Option<Vec<u8>> {
        std::env::var_os(k).map(OsString::into_vec)
    }

    /// The agent's answer, carried out; `None` to fall back.
    fn ask_agent(args: &[OsString]) -> Option<ExitCode> {
        let path = socket_path(var)?;
        // Only a socket of this user's: the folder is made 0700 by the agent.
        // Its folder too, not a link, and private: a socket of this user's put
        // in another user's folder (a hard link; a swap between this check and
        // the connect) is not trusted (attack review 20).
        let me = std::fs::metadata("/proc/self").ok()?.uid();
        let dir = std::fs::symlink_metadata(path.parent()?).ok()?;
        if !dir.is_dir() || dir.uid() != me || dir.mode() & 0o077 != 0 {
            return None;
        }
        if std::fs::symlink_metadata(&path).ok()?.uid() != me {
            return None;
        }
        let mut s = UnixStream::connect(&path).ok()?;
        // An agent that stops answering (it gives a request 5 s and an
        // answer 30 s) is not waited for forever: past this the full
        // binary runs the command (a read may then be logged twice, never
        // not at all).
        let _ = s.set_read_timeout(Some(std::time::Duration::from_secs(120)));
        let mut f = Frame::new(KIND_COMMAND);
        f.field(std::env::current_dir().ok()?.as_os_str().as_bytes());
        f.count(ENV_KEYS.len());
        for k in ENV_KEYS {
            match var(k) {
                Some(v) => {
                    f.field(b"1");
                    f.field(&v);
                }
                None => {
                    f.field(b"0");
                    f.field(b"");
                }
            }
        }
        f.count(args.len());
        for a in args {
            f.field(a.as_bytes());
        }
        let markers = session_markers();
        f.count(markers.len());
        for m in &markers {
            f.field(m);
        }
        f.send(&mut s).ok()?;
        let (kind, mut fields) = receive(&mut s).ok()?;
        if kind == ANSWER_FALLBACK {
            return None;
        }
        // From here the agent has done the work (a read is logged): its answer
        // is given, and the full binary is never run again for it.
        Some(carry_out(args, kind, &mut fields).unwrap_or_else(|_| {
            let _ = writeln!(
                std::io::stderr(),
                "coffer: the agent's answer was cut short; run the command again"
            );
            ExitCode::from(1)
        }))
    }

    fn carry_out(args: &[OsString], kind: u8, fields: &mut Fields) -> std::io::Result<ExitCode> {
        let code = fields.count()?;
        let mut out = fields.field()?;
        let err = fields.field()?;
        if kind == ANSWER_EXEC {
            let _ = std::io::stderr().write_all(&err);
            // The command as the agent's parser read it, then the variables.
            let n = fields.count()?;
            let mut command = Vec::with_capacity(n);
            for _ in 0..n {
                command.push(OsString::from_vec(fields.field()?));
            }
            let n = fields.count()?;
            let mut vars = Vec::with_capacity(n);
            for _ in 0..n {
                vars.push((fields.field()?, fields.field()?));
            }
            if !typed_command(args, &command) {
                let _ = writeln!(
                std::io::stderr(),
                "coffer: the agent answered with a command this `coffer` was not given; nothing was started"
            );
                return Ok(ExitCode::from(1));
            }
            return Ok(ExitCode::from(exec_command(&command, vars)));
        }
        let mut stdout = std::io::stdout().lock();
        let wrote = stdout.write_all(&out).and_then(|()| stdout.flush());
        // The value is out: no copy of it left in freed memory.
        out.fill(0);
        std::hint::black_box(&out);
        if let Err(e) = wrote {
            // As the full binary's `export` reports it, failing before its
            // notes (`get` ignores it).
            if matches!(wanted(args), Some((b"export", _))) {
                let _ = writeln!(std::io::stderr(), "coffer: writing to stdout: {e}");
                return Ok(ExitCode::from(7));
            }
        }
        // The order the full binary writes in: the output, then the notes.
        let _ = std::io::stderr().write_all(&err);
        Ok(ExitCode::from(code.min(255) as u8))
    }

    /// `run`'s command, started as the full binary starts it
    /// (`commands::child_command`, `commands::cannot_run`).
    fn exec_command(command: &[OsString], vars: Vec<(Vec<u8>, Vec<u8>)>) -> u8 {
        let Some((prog, rest)) = command.split_first() else {
            return 1;
        };
        let mut cmd = std::process::Command::new(prog);
        cmd.args(rest)
            .env_remove("COFFER_PASSPHRASE")
            .env_remove("COFFER_NEW_PASSPHRASE");
        for (k, v) in vars {
            cmd.env(OsString::from_vec(k), OsString::from_vec(v));
        }
        let err = cmd.exec();
        let _ = writeln!(
            std::io::stderr(),
            "coffer: cannot run {}: {err}",
            prog.to_string_lossy()
        );
        if err.kind() == std::io::ErrorKind::NotFound {
            127
        } else {
            126
        }
    }

    /// The full binary: `../lib/coffer/coffer` from this one (the package), or
    /// `coffer` beside it when this one is not itself called `coffer` (a build
    /// tree).
    fn full_binary() -> Option<PathBuf> {
        let me = std::env::current_exe().ok()?;
        let dir = me.parent()?;
        let packaged = dir.join("../lib/coffer/coffer");
        if packaged.is_file() {
            return Some(packaged);
        }
        let beside = dir.join("coffer");
        (me.file_name()? != "coffer" && beside.is_file()).then_some(beside)
    }

    fn exec_full(args: &[OsString]) -> ExitCode {
        let Some(full) = full_binary() else {
            let _ = writeln!(
            std::io::stderr(),
            "coffer: the full coffer binary is missing (looked for lib/coffer/coffer beside bin/); reinstall coffer"
        );
            return ExitCode::from(1);
        };
        let mut cmd = std::process::Command::new(&full);
        if let Some(zero) = args.first() {
            cmd.arg0(zero);
        }
        let err = cmd.args(args.iter().skip(1)).exec();
        let _ = writeln!(
            std::io::stderr(),
            "coffer: cannot start {}: {err}",
            full.display()
        );
        ExitCode::from(1)
    }
}
