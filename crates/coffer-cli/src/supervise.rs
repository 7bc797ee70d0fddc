//! `coffer run` as the command's parent: for `--file` (the folder must be
//! removed afterwards) and for masked output (coffer reads what the command
//! writes). A plain `run` with nothing to mask and no files `exec`s the
//! command instead ([`crate::commands::exec`]).
//!
//! Signals: SIGINT, SIGTERM, SIGHUP, SIGQUIT and SIGWINCH are blocked on
//! the main thread before any thread exists (the threads that open a large
//! environment were joined; unlocking, from the keychain too, starts none),
//! so every thread inherits the mask and only one thread sees them, through
//! `sigwait` (no unsafe signal handler). The first four are passed on to
//! the command; a window change is copied to the command's terminal.
//!
//! The trampoline: a child inherits the signal mask (std's `posix_spawn`
//! path keeps it; a command started with SIGTERM blocked would not die of
//! it), and on a pseudo-terminal it must also start a session. Code can run
//! between fork and exec only through `unsafe` `pre_exec`, which this crate
//! forbids, so coffer starts *itself*, `coffer __coffer-exec SIGNALS TTY
//! CMD ARGS…` ([`trampoline`]): a fresh single-threaded process that
//! unblocks the signals coffer blocked (those that were not blocked when
//! coffer started), takes the pseudo-terminal when told to
//! ([`crate::pty::take_terminal`]) and `exec`s the command, keeping its
//! process id, so signals sent to it reach the command. Cost: one more
//! `exec` of coffer (`docs/benchmarks.md`, "Masked output"). On a
//! pseudo-terminal the trampoline stays as the session's keeper and starts
//! the command in a process group of its own, so that Ctrl-Z stops it and
//! coffer stops with it (`keep_session`): one `exec` more again.
//!
//! Output, when masking ([`crate::masking`]):
//! - a standard stream of coffer's that is a terminal becomes the
//!   command's pseudo-terminal ([`crate::pty`]): the command sees a
//!   terminal, with the real one's settings and size; stdin, when a
//!   terminal too, is the pseudo-terminal as well, its keystrokes copied
//!   from the real terminal in raw mode;
//! - a stream that is a pipe or a file becomes a pipe that coffer reads,
//!   masks and writes on at once; stdin is then the command's own (coffer
//!   does not touch it).
//!
//! The exit code is the command's; a command killed by signal N makes
//! coffer exit 128 + N, as shells report it. When the command exits,
//! coffer writes what it still has to read (until the end, or 100 ms
//! without output: a background process the command started may keep the
//! stream open) and exits; output written after that by such a process is
//! lost, where without masking it would have reached the terminal.

use std::ffi::OsString;

use coffer_crypto::SecretString;
use coffer_vault::{Error, Result};

/// How `run` treats the command's output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Output {
    /// The command writes to coffer's streams directly.
    Direct,
    /// The values coffer injected from the vault, of at least
    /// [`crate::masking::MIN_MASKED_BYTES`] bytes, are masked.
    Masked,
}

fn io_err(context: &str, source: impl Into<std::io::Error>) -> Error {
    Error::Io {
        context: context.to_string(),
        source: source.into(),
    }
}

/// Runs `command` with `vars` set and `files` written as `--file` asks,
/// masking each of `mask` in its output (none: the output is direct);
/// returns coffer's exit code.
#[cfg(unix)]
pub fn run(
    command: Vec<OsString>,
    vars: Vec<(String, SecretString)>,
    files: Vec<(String, SecretString)>,
    mask: &[SecretString],
) -> Result<u8> {
    use std::io::IsTerminal;
    use std::os::fd::AsFd;
    use std::sync::Arc;

    use nix::sys::signal::{kill, SigSet, Signal};
    use nix::unistd::Pid;

    use crate::masking::Masker;

    let mut set = SigSet::empty();
    for s in [
        Signal::SIGINT,
        Signal::SIGTERM,
        Signal::SIGHUP,
        Signal::SIGQUIT,
        Signal::SIGWINCH,
    ] {
        set.add(s);
    }
    let before = set
        .thread_swap_mask(nix::sys::signal::SigmaskHow::SIG_BLOCK)
        .map_err(|e| io_err("blocking signals", e))?;
    // What the trampoline unblocks: ours, not those blocked before.
    let unblock: Vec<String> = set
        .iter()
        .filter(|s| !before.contains(*s))
        .map(|s| (s as i32).to_string())
        .collect();

    let tty_in = std::io::stdin().is_terminal();
    let tty_out = std::io::stdout().is_terminal();
    let tty_err = std::io::stderr().is_terminal();
    // Reading the values to build the mask is what masking is.
    let masker = Masker::new(
        mask.iter().map(|v| v.expose_secret().as_bytes()),
        tty_out || tty_err,
    )?
    .map(Arc::new);

    let secret_files = if files.is_empty() {
        None
    } else {
        Some(crate::secret_files::create(&files)?)
    };
    drop(files);

    let use_pty = masker.is_some() && (tty_out || tty_err);
    let exe = std::env::current_exe()
        .map_err(|e| io_err("finding the coffer program to start the command", e))?;
    let mut full = vec![
        exe.into_os_string(),
        TRAMPOLINE_ARG.into(),
        if unblock.is_empty() {
            "-".into()
        } else {
            unblock.join(",").into()
        },
        if use_pty { "pty" } else { "-" }.into(),
    ];
    full.extend(command.iter().cloned());
    let mut cmd = crate::commands::child_command(&full, &vars)?;
    drop(vars);
    if let Some(sf) = &secret_files {
        for (var, path) in &sf.paths {
            cmd.env(var, path);
        }
    }

    // Wire the command's streams.
    // The real terminal the command's output goes to.
    let term_out = if use_pty {
        Some(dup_stream(if tty_out { 1 } else { 2 })?)
    } else {
        None
    };
    let pty = match &term_out {
        Some(out) => {
            let stdin = std::io::stdin();
            let settings = if tty_in { stdin.as_fd() } else { out.as_fd() };
            Some(crate::pty::open(settings, out.as_fd())?)
        }
        None => None,
    };
    if masker.is_some() {
        let slave = |tty: bool| -> Result<std::process::Stdio> {
            match (&pty, tty) {
                (Some(p), true) => Ok(p
                    .slave
                    .try_clone()
                    .map_err(|e| io_err("duplicating the pseudo-terminal", e))?
                    .into()),
                _ => Ok(std::process::Stdio::piped()),
            }
        };
        cmd.stdout(slave(tty_out)?).stderr(slave(tty_err)?);
        if pty.is_some() && tty_in {
            cmd.stdin(slave(true)?);
        }
    }

    // Everything that can fail is ready before the command starts, so a
    // failure never leaves it running unread. (Raw mode too: the
    // pseudo-terminal already has the terminal's own settings.)
    let (wake_rx, wake_tx) = nix::unistd::pipe().map_err(|e| io_err("creating a pipe", e))?;
    let mut master_for_size = None;
    let mut pty_pump = None;
    let mut keyboard = None;
    let mut raw = None;
    if let Some(crate::pty::Pty { master, slave }) = pty {
        let master = std::fs::File::from(master);
        master_for_size = Some(dup_file(&master)?);
        if tty_in {
            keyboard = Some((dup_file(&master)?, dup_fd(&wake_rx)?));
            raw = Some(crate::pty::RawMode::enter(
                std::io::stdin().as_fd(),
                !tty_out,
            )?);
        }
        let out = dup_stream(if tty_out { 1 } else { 2 })?;
        pty_pump = Some((master, out, dup_fd(&wake_rx)?, slave));
    }
    let mut pipe_outs = if masker.is_some() {
        vec![
            (dup_stream(1)?, dup_fd(&wake_rx)?),
            (dup_stream(2)?, dup_fd(&wake_rx)?),
        ]
    } else {
        Vec::new()
    };
    drop(wake_rx);
    // For the main thread, which gives the command its terminal back after
    // a stop (the signal thread owns the first copies).
    let master_for_size_main = match &master_for_size {
        Some(m) => Some(dup_file(m)?),
        None => None,
    };
    let term_out_main = match &term_out {
        Some(t) => Some(dup_file(t)?),
        None => None,
    };

    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(err) => {
            drop(raw);
            drop(secret_files);
            return Ok(crate::commands::cannot_run(&command, &err));
        }
    };
    let pid = Pid::from_raw(child.id() as i32);
    // The command holds the variables now; its builder's copies (not
    // zeroized by std) go at once.
    drop(cmd);

    let mut pumps = Vec::new();
    if let Some(m) = &masker {
        if let Some((master, out, wake, slave)) = pty_pump {
            // Our copy of the slave would keep the master from seeing the
            // end of the command's output.
            drop(slave);
            if let Some((to_master, wake)) = keyboard {
                // Not joined: it may sit in a read of the keyboard.
                std::thread::spawn(move || copy_stdin(to_master, wake));
            }
            pumps.push(spawn_pump(master, out, m.clone(), wake, false));
        }
        let err_out = pipe_outs.pop();
        let std_out = pipe_outs.pop();
        for (stream, dst) in [
            (child.stdout.take().map(std::os::fd::OwnedFd::from), std_out),
            (child.stderr.take().map(std::os::fd::OwnedFd::from), err_out),
        ] {
            if let (Some(src), Some((dst, wake))) = (stream, dst) {
                let src = std::fs::File::from(src);
                widen_pipe(&src);
                // Ours too when it is a pipe: a 1 MiB masked read written
                // into a 64 KiB pipe would wake its reader, and wait for
                // it, sixteen times.
                widen_pipe(&dst);
                pumps.push(spawn_pump(src, dst, m.clone(), wake, true));
            }
        }
    }

    // A Ctrl-C (or Ctrl-\) typed on the terminal already reached the
    // command when it shares our foreground process group: passing it on
    // as well would deliver it twice. On its own pseudo-terminal the
    // command is in a session of its own and gets only what we pass on.
    let from_terminal = !use_pty && terminal_foreground();
    std::thread::spawn(move || {
        while let Ok(sig) = set.wait() {
            match sig {
                Signal::SIGWINCH => {
                    if let (Some(master), Some(from)) = (&master_for_size, &term_out) {
                        // The kernel signals the command's terminal's
                        // foreground group.
                        crate::pty::copy_window_size(from.as_fd(), master.as_fd());
                    }
                }
                Signal::SIGINT | Signal::SIGQUIT if from_terminal => {}
                _ => {
                    let _ = kill(pid, sig);
                }
            }
        }
    });

    // On its pseudo-terminal the command is started by the session keeper
    // (see the module documentation), which stops itself when the command
    // is stopped (Ctrl-Z): coffer then gives the terminal back and stops
    // as the terminal would have stopped it, and picks up where it was
    // when continued (`fg`).
    let status = loop {
        use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
        match waitpid(pid, Some(WaitPidFlag::WUNTRACED)) {
            Ok(WaitStatus::Exited(_, code)) => break Ok(code.clamp(0, 255) as u8),
            Ok(WaitStatus::Signaled(_, sig, _)) => break Ok((128 + sig as i32) as u8),
            Ok(WaitStatus::Stopped(..)) if use_pty => {
                drop(raw.take());
                crate::pty::stop_as_the_terminal_would();
                // Continued. Back in the foreground, the terminal is raw
                // again (in the background, setting it stops coffer again,
                // as it stops any program that needs the terminal).
                if tty_in {
                    raw = crate::pty::RawMode::enter(std::io::stdin().as_fd(), !tty_out).ok();
                }
                if let (Some(master), Some(from)) = (&master_for_size_main, &term_out_main) {
                    crate::pty::copy_window_size(from.as_fd(), master.as_fd());
                }
                let _ = kill(pid, Signal::SIGCONT);
            }
            Ok(_) => {}
            Err(nix::errno::Errno::EINTR) => {}
            Err(e) => break Err(io_err("waiting for the command", e)),
        }
    };
    // Reaped above: std's handle has nothing left to wait for.
    drop(child);
    // The command is gone: the pumps write what is left, then stop.
    drop(wake_tx);
    for p in pumps {
        let _ = p.join();
    }
    drop(raw);
    let removed = secret_files.map(|sf| sf.close());
    let code = status?;
    if let Some(Err(e)) = removed {
        eprintln!("coffer: warning: could not remove the secret files' folder: {e}");
    }
    Ok(code)
}

/// The first argument that makes `coffer` the trampoline.
#[cfg(unix)]
pub const TRAMPOLINE_ARG: &str = "__coffer-exec";

/// If this process was started as the trampoline (see the module
/// documentation), prepares and `exec`s the command; returns the exit code
/// only when that fails. `None` for a normal start.
#[cfg(unix)]
pub fn trampoline() -> Option<u8> {
    use nix::sys::signal::{SigSet, Signal};
    use std::os::unix::process::CommandExt;

    let mut args = std::env::args_os().skip(1);
    if args.next().as_deref() != Some(TRAMPOLINE_ARG.as_ref()) {
        return None;
    }
    let (Some(signals), Some(tty)) = (args.next(), args.next()) else {
        eprintln!("coffer: {TRAMPOLINE_ARG} is coffer run's own; use coffer run");
        return Some(crate::exit::INVALID);
    };
    let command: Vec<OsString> = args.collect();
    let Some((prog, rest)) = command.split_first() else {
        eprintln!("coffer: no command given after {TRAMPOLINE_ARG}");
        return Some(crate::exit::INVALID);
    };
    let mut set = SigSet::empty();
    for n in signals.to_string_lossy().split(',') {
        if let Some(s) = n.parse::<i32>().ok().and_then(|n| Signal::try_from(n).ok()) {
            set.add(s);
        }
    }
    if tty == "pty" {
        // The session keeper: the signals stay blocked here (it passes
        // them on) and are unblocked by the command's own start ("fg").
        if let Err(e) = crate::pty::take_terminal() {
            eprintln!(
                "coffer: cannot run {}: preparing its process: {e}",
                prog.to_string_lossy()
            );
            return Some(126);
        }
        return Some(keep_session(set, &command));
    }
    let setup = if tty == "fg" {
        // Started by the keeper in a process group of its own: take the
        // terminal's foreground (SIGTTOU is blocked: the group is in the
        // background until then), then let the signals through.
        crate::pty::give_foreground(nix::unistd::getpgrp())
    } else {
        Ok(())
    }
    .and_then(|()| set.thread_unblock().map_err(std::io::Error::from));
    if let Err(e) = setup {
        eprintln!(
            "coffer: cannot run {}: preparing its process: {e}",
            prog.to_string_lossy()
        );
        return Some(126);
    }
    let err = std::process::Command::new(prog).args(rest).exec();
    Some(crate::commands::cannot_run(&command, &err))
}

/// The session keeper (a masked `run` on a pseudo-terminal): it leads the
/// pseudo-terminal's session and starts the command in a process group of
/// its own (`coffer __coffer-exec SIGNALS fg CMD…`, which makes that group
/// the terminal's foreground before it `exec`s the command). Its own group
/// then is the command's parent in the same session, so the command's
/// group is not orphaned and Ctrl-Z (SIGTSTP from the pseudo-terminal)
/// stops it; the kernel discards the terminal's stop signals for an
/// orphaned group, which is what a command leading the session itself
/// would be. When the command stops, the keeper stops itself (SIGSTOP);
/// coffer sees that, gives the real terminal back and stops in turn, and
/// when continued (`fg`) continues the keeper, which gives the command the
/// foreground again and continues its group. The signals coffer passes on
/// (`set`, blocked here) go on to the command's group. Returns the
/// command's exit code (128 + N for a signal N).
#[cfg(unix)]
fn keep_session(set: nix::sys::signal::SigSet, command: &[OsString]) -> u8 {
    use nix::sys::signal::{kill, killpg, SigSet, SigmaskHow, Signal};
    use nix::sys::wait::{waitpid, WaitPidFlag, WaitStatus};
    use nix::unistd::{getpid, Pid};
    use std::os::unix::process::CommandExt;

    // SIGTTOU blocked, for giving the foreground from the background; the
    // command's start unblocks it unless it was blocked before.
    let mut ttou = SigSet::empty();
    ttou.add(Signal::SIGTTOU);
    let before = ttou
        .thread_swap_mask(SigmaskHow::SIG_BLOCK)
        .unwrap_or_else(|_| SigSet::empty());
    let mut unblock: Vec<String> = set.iter().map(|s| (s as i32).to_string()).collect();
    if !before.contains(Signal::SIGTTOU) {
        unblock.push((Signal::SIGTTOU as i32).to_string());
    }
    let name = command
        .first()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_default();
    let exe = match std::env::current_exe() {
        Ok(e) => e,
        Err(e) => {
            eprintln!("coffer: cannot run {name}: finding the coffer program: {e}");
            return 126;
        }
    };
    let child = std::process::Command::new(exe)
        .arg(TRAMPOLINE_ARG)
        .arg(if unblock.is_empty() {
            "-".to_string()
        } else {
            unblock.join(",")
        })
        .arg("fg")
        .args(command)
        .process_group(0)
        .spawn();
    let group = match child {
        Ok(c) => Pid::from_raw(c.id() as i32),
        Err(e) => {
            eprintln!("coffer: cannot run {name}: starting its process group: {e}");
            return 126;
        }
    };
    std::thread::spawn(move || {
        while let Ok(sig) = set.wait() {
            let _ = killpg(group, sig);
        }
    });
    loop {
        match waitpid(group, Some(WaitPidFlag::WUNTRACED)) {
            Ok(WaitStatus::Exited(_, code)) => return code.clamp(0, 255) as u8,
            Ok(WaitStatus::Signaled(_, sig, _)) => return (128 + sig as i32) as u8,
            Ok(WaitStatus::Stopped(..)) => {
                let _ = kill(getpid(), Signal::SIGSTOP);
                // Continued by coffer.
                let _ = crate::pty::give_foreground(group);
                let _ = killpg(group, Signal::SIGCONT);
            }
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(e) => {
                eprintln!("coffer: lost track of {name}: {e}");
                return 1;
            }
        }
    }
}

/// A `File` writing to coffer's standard stream `fd` (1 or 2), unbuffered.
#[cfg(unix)]
fn dup_stream(fd: i32) -> Result<std::fs::File> {
    use std::os::fd::AsFd;
    let owned = if fd == 1 {
        std::io::stdout().as_fd().try_clone_to_owned()
    } else {
        std::io::stderr().as_fd().try_clone_to_owned()
    };
    owned
        .map(std::fs::File::from)
        .map_err(|e| io_err("duplicating an output stream", e))
}

#[cfg(unix)]
fn dup_file(f: &std::fs::File) -> Result<std::fs::File> {
    f.try_clone()
        .map_err(|e| io_err("duplicating the pseudo-terminal", e))
}

#[cfg(unix)]
fn dup_fd(fd: &std::os::fd::OwnedFd) -> Result<std::os::fd::OwnedFd> {
    fd.try_clone().map_err(|e| io_err("duplicating a pipe", e))
}

/// Gives a pipe a 1 MiB buffer (Linux; 64 KiB by default): a command
/// writing fast waits less on coffer, coffer reads larger pieces and
/// writes them with fewer waits. A failure (not a pipe, a system without
/// it, a per-user limit) keeps the default.
#[cfg(unix)]
fn widen_pipe(f: &std::fs::File) {
    #[cfg(any(target_os = "linux", target_os = "android"))]
    let _ = rustix::pipe::fcntl_setpipe_size(f, crate::masking::CHUNK);
    #[cfg(not(any(target_os = "linux", target_os = "android")))]
    let _ = f;
}

/// How long the pumps wait for more output once the command has exited.
#[cfg(unix)]
const DRAIN_MS: u16 = 100;

/// Reads `src` until its end (or, once `wake` says the command exited,
/// until it is quiet for [`DRAIN_MS`]), masking into `dst`. From a pipe
/// (`from_pipe`) into a pipe or a file, the clean output is spliced rather
/// than copied through coffer (`crate::masking::Splicer`, Linux).
#[cfg(unix)]
fn spawn_pump(
    mut src: std::fs::File,
    mut dst: std::fs::File,
    masker: std::sync::Arc<crate::masking::Masker>,
    wake: std::os::fd::OwnedFd,
    from_pipe: bool,
) -> std::thread::JoinHandle<()> {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    use std::os::fd::AsFd;

    std::thread::spawn(move || {
        let mut stream = crate::masking::MaskStream::new(masker);
        #[cfg(any(target_os = "linux", target_os = "android"))]
        let mut splicer = from_pipe
            .then(|| crate::masking::Splicer::for_output(&dst))
            .flatten();
        #[cfg(not(any(target_os = "linux", target_os = "android")))]
        let _ = from_pipe;
        let mut draining = false;
        loop {
            let (ready, woken) = {
                let mut fds = [
                    PollFd::new(src.as_fd(), PollFlags::POLLIN),
                    PollFd::new(wake.as_fd(), PollFlags::POLLIN),
                ];
                let (n, timeout) = if draining {
                    (1, PollTimeout::from(DRAIN_MS))
                } else {
                    (2, PollTimeout::NONE)
                };
                match poll(&mut fds[..n], timeout) {
                    Err(nix::errno::Errno::EINTR) => continue,
                    // Quiet since the command exited, or poll failed.
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
                let any = |f: &PollFd<'_>| f.revents().is_some_and(|r| !r.is_empty());
                (any(&fds[0]), n == 2 && any(&fds[1]))
            };
            if woken {
                draining = true;
            }
            if ready {
                #[cfg(any(target_os = "linux", target_os = "android"))]
                let res = match &mut splicer {
                    Some(sp) => stream.splice_from(&src, &mut dst, sp),
                    None => stream.read_from(&mut src, &mut dst),
                };
                #[cfg(not(any(target_os = "linux", target_os = "android")))]
                let res = stream.read_from(&mut src, &mut dst);
                match res {
                    // The end, the pseudo-terminal's EIO once the command
                    // closed it, or our reader went away (closing `src`
                    // then gives the command the broken pipe it would have
                    // had without masking).
                    Ok(0) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        }
        let _ = stream.finish(&mut dst);
    })
}

/// Copies the keyboard to the command's terminal until the command exits
/// (`wake`), so typed-ahead input after it is left for the shell.
#[cfg(unix)]
fn copy_stdin(mut to: std::fs::File, wake: std::os::fd::OwnedFd) {
    use nix::poll::{poll, PollFd, PollFlags, PollTimeout};
    use std::io::{Read, Write};
    use std::os::fd::AsFd;

    // Read the file descriptor directly: std's stdin buffer would keep
    // bytes that poll no longer sees.
    let Ok(fd) = std::io::stdin().as_fd().try_clone_to_owned() else {
        return;
    };
    let mut input = std::fs::File::from(fd);
    // Keystrokes may be a password typed to the command: wiped on drop.
    let mut buf = zeroize::Zeroizing::new(vec![0u8; 4096]);
    loop {
        let mut fds = [
            PollFd::new(input.as_fd(), PollFlags::POLLIN),
            PollFd::new(wake.as_fd(), PollFlags::POLLIN),
        ];
        match poll(&mut fds, PollTimeout::NONE) {
            Err(nix::errno::Errno::EINTR) => continue,
            Err(_) => return,
            Ok(_) => {}
        }
        if fds[1].revents().is_some_and(|r| !r.is_empty()) {
            return;
        }
        let n = match input.read(&mut buf[..]) {
            Ok(0) | Err(_) => return,
            Ok(n) => n,
        };
        if to.write_all(&buf[..n]).is_err() {
            return;
        }
    }
}

/// Whether coffer runs in the foreground process group of the terminal on
/// its standard input.
#[cfg(unix)]
fn terminal_foreground() -> bool {
    nix::unistd::tcgetpgrp(std::io::stdin()).is_ok_and(|p| p == nix::unistd::getpgrp())
}

/// Not on this system: no files, no masking; the command runs as a child.
#[cfg(not(unix))]
pub fn run(
    command: Vec<OsString>,
    vars: Vec<(String, SecretString)>,
    files: Vec<(String, SecretString)>,
    _mask: &[SecretString],
) -> Result<u8> {
    if !files.is_empty() {
        return Err(Error::InvalidInput(
            "coffer run --file is not supported on this system yet".into(),
        ));
    }
    crate::commands::exec(command, vars)
}
