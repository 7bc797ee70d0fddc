//! The pseudo-terminal of a masked `coffer run` whose output is a terminal.
//!
//! The command must see a terminal (colours, `isatty`, line editing, full
//! screen programs) while coffer reads what it writes. So coffer opens a
//! pseudo-terminal (`openpty`, from `nix`), gives the command its slave
//! side, copies the real terminal's settings and window size to it (and
//! the size again on each SIGWINCH), puts the real terminal in raw mode
//! (restored by [`RawMode`]'s drop on every way out) and copies keystrokes
//! to the master side: the pseudo-terminal's own line discipline then turns
//! Ctrl-C into SIGINT for the command, as the real one would have.
//!
//! For that the command must lead a session whose controlling terminal is
//! the slave (`setsid` and `TIOCSCTTY` between fork and exec): the
//! trampoline does it ([`crate::supervise::trampoline`],
//! [`take_terminal`]). `rustix` (already in the lock file, under
//! `tempfile`) is used for the two calls `nix` 0.29 has no safe form of:
//! `TIOCSCTTY` and the window size (`TIOCGWINSZ`/`TIOCSWINSZ`).

use std::os::fd::{AsFd, BorrowedFd, OwnedFd};

use coffer_vault::{Error, Result};
use nix::sys::termios::{self, SetArg, Termios};

fn io_err(context: &str, source: impl Into<std::io::Error>) -> Error {
    Error::Io {
        context: context.to_string(),
        source: source.into(),
    }
}

/// A pseudo-terminal: the master stays with coffer, the slave goes to the
/// command.
pub struct Pty {
    /// coffer's side.
    pub master: OwnedFd,
    /// The command's side (coffer closes its copy once the command started).
    pub slave: OwnedFd,
}

/// Opens a pseudo-terminal with the settings and window size of the real
/// terminal `settings_from` / `size_from` (when they are terminals).
pub fn open(settings_from: BorrowedFd<'_>, size_from: BorrowedFd<'_>) -> Result<Pty> {
    let settings = termios::tcgetattr(settings_from).ok();
    let pty = nix::pty::openpty(None, settings.as_ref())
        .map_err(|e| io_err("opening a pseudo-terminal", e))?;
    copy_window_size(size_from, pty.master.as_fd());
    Ok(Pty {
        master: pty.master,
        slave: pty.slave,
    })
}

/// Gives `to` the window size of `from` (a failure leaves it as it was:
/// a wrong size is better than stopping the command).
pub fn copy_window_size(from: BorrowedFd<'_>, to: BorrowedFd<'_>) {
    if let Ok(ws) = rustix::termios::tcgetwinsize(from) {
        let _ = rustix::termios::tcsetwinsize(to, ws);
    }
}

/// The real terminal in raw mode; its settings come back when dropped (on
/// every way out of the run, a panic included).
pub struct RawMode {
    fd: OwnedFd,
    saved: Termios,
}

impl RawMode {
    /// Puts the terminal `fd` in raw mode: no echo, no line editing, no
    /// signals from keys (Ctrl-C goes to the command's terminal as a byte),
    /// and, unless `keep_output` (the pseudo-terminal carries only stderr:
    /// stdout goes through a pipe, maybe to `tee` writing on this
    /// terminal, which needs its line ends translated), no output
    /// processing: the pseudo-terminal already did it, and a full-screen
    /// program's bare line feeds must stay bare.
    pub fn enter(fd: BorrowedFd<'_>, keep_output: bool) -> Result<Self> {
        let fd = fd
            .try_clone_to_owned()
            .map_err(|e| io_err("duplicating the terminal", e))?;
        let saved = termios::tcgetattr(&fd).map_err(|e| io_err("reading the terminal", e))?;
        let mut raw = saved.clone();
        termios::cfmakeraw(&mut raw);
        if keep_output {
            raw.output_flags = saved.output_flags;
        }
        termios::tcsetattr(&fd, SetArg::TCSANOW, &raw)
            .map_err(|e| io_err("setting the terminal to raw mode", e))?;
        Ok(Self { fd, saved })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        // After the output already written has gone out.
        let _ = termios::tcsetattr(&self.fd, SetArg::TCSADRAIN, &self.saved);
    }
}

/// In the trampoline, before `exec`: a new session whose controlling
/// terminal is the pseudo-terminal on whichever standard stream coffer gave
/// it, so its signals (Ctrl-C, Ctrl-\, window changes, hang-up) reach the
/// command.
pub fn take_terminal() -> std::io::Result<()> {
    nix::unistd::setsid()?;
    with_standard_terminal(|fd| rustix::process::ioctl_tiocsctty(fd).map_err(Into::into))
}

/// Calls `f` with whichever standard stream is a terminal (stdout, then
/// stderr, then stdin); nothing when none is.
fn with_standard_terminal(
    f: impl FnOnce(BorrowedFd<'_>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    use std::io::IsTerminal;
    let (stdin, stdout, stderr) = (std::io::stdin(), std::io::stdout(), std::io::stderr());
    if stdout.is_terminal() {
        f(stdout.as_fd())
    } else if stderr.is_terminal() {
        f(stderr.as_fd())
    } else if stdin.is_terminal() {
        f(stdin.as_fd())
    } else {
        Ok(())
    }
}

/// Makes process group `pgrp` the foreground group of this process's
/// controlling terminal (the pseudo-terminal, on a standard stream). The
/// caller has SIGTTOU blocked: from a background group the call would
/// otherwise stop it.
pub fn give_foreground(pgrp: nix::unistd::Pid) -> std::io::Result<()> {
    with_standard_terminal(|fd| nix::unistd::tcsetpgrp(fd, pgrp).map_err(Into::into))
}

/// Stops coffer as its terminal stops a program on Ctrl-Z: SIGTSTP to its
/// process group when that is the terminal's foreground group (the shell
/// then says "Stopped" and `fg` continues it); otherwise (no controlling
/// terminal on the standard streams) SIGSTOP to coffer alone. Returns once
/// coffer is continued.
pub fn stop_as_the_terminal_would() {
    use nix::sys::signal::{kill, killpg, Signal};
    use nix::unistd::{getpgrp, getpid};
    let own = getpgrp();
    let mut foreground = false;
    let _ = with_standard_terminal(|fd| {
        foreground = nix::unistd::tcgetpgrp(fd) == Ok(own);
        Ok(())
    });
    let _ = if foreground {
        killpg(own, Signal::SIGTSTP)
    } else {
        kill(getpid(), Signal::SIGSTOP)
    };
}
