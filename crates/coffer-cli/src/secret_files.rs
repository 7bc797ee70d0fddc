//! `coffer run --file VAR=KEY`: secrets as files for the child's lifetime.
//!
//! The values go to regular files (never FIFOs: libraries that check
//! `is_file()` refuse those), mode 0600, in a fresh 0700 folder under
//! `$XDG_RUNTIME_DIR` (a per-user tmpfs on most Linux desktops) or else
//! the temp folder. Unlike a plain `run`, coffer cannot `exec` the command:
//! it stays as the parent, waits for it, and removes the folder when the
//! command exits or is killed. SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to
//! coffer are caught (blocked and read with `sigwait` on a thread: no
//! unsafe signal handler), passed on to the command, and the folder is
//! removed once it exits. Only SIGKILL of coffer itself leaves the folder
//! behind (in `$XDG_RUNTIME_DIR`, which the system empties at logout).

use std::ffi::OsString;

use coffer_crypto::SecretString;
use coffer_vault::{Error, Result};

fn io_err(context: String, source: std::io::Error) -> Error {
    Error::Io { context, source }
}

#[cfg(unix)]
pub fn run_with_files(
    command: Vec<OsString>,
    vars: Vec<(String, SecretString)>,
    files: Vec<(String, SecretString)>,
) -> Result<u8> {
    use nix::sys::signal::{kill, SigSet, Signal};
    use nix::unistd::Pid;
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
    use std::os::unix::process::ExitStatusExt;

    // Block the signals on this thread while it is the only one (the
    // threads that open a large environment were joined; unlocking, from
    // the keychain too, starts none), so every thread inherits the mask
    // and only `sigwait` below sees them. The child starts with an empty
    // mask: std resets it between fork and exec.
    let mut set = SigSet::empty();
    for s in [
        Signal::SIGINT,
        Signal::SIGTERM,
        Signal::SIGHUP,
        Signal::SIGQUIT,
    ] {
        set.add(s);
    }
    set.thread_block()
        .map_err(|e| io_err("blocking signals".into(), e.into()))?;

    let base = std::env::var_os("XDG_RUNTIME_DIR")
        .map(std::path::PathBuf::from)
        .filter(|p| p.is_absolute() && p.is_dir())
        .unwrap_or_else(std::env::temp_dir);
    let dir = tempfile::Builder::new()
        .prefix("coffer-run-")
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir_in(&base)
        .map_err(|e| {
            io_err(
                format!("creating a private folder in {}", base.display()),
                e,
            )
        })?;

    let mut cmd = crate::commands::child_command(&command, &vars)?;
    for (var, value) in &files {
        let path = dir.path().join(var);
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)
            .map_err(|e| io_err(format!("creating {}", path.display()), e))?;
        // Writing the value to the private file is what --file asks for.
        f.write_all(value.expose_secret().as_bytes())
            .and_then(|()| f.flush())
            .map_err(|e| io_err(format!("writing {}", path.display()), e))?;
        cmd.env(var, &path);
    }

    let mut child = match cmd.spawn() {
        Ok(c) => c,
        Err(err) => {
            drop(dir);
            return Ok(crate::commands::cannot_run(&command, &err));
        }
    };
    let pid = Pid::from_raw(child.id() as i32);
    // A Ctrl-C (or Ctrl-\) typed on the terminal already reached the
    // command when it shares our foreground process group: passing it on
    // as well would deliver it twice.
    let from_terminal = terminal_foreground();
    std::thread::spawn(move || {
        while let Ok(sig) = set.wait() {
            if from_terminal && matches!(sig, Signal::SIGINT | Signal::SIGQUIT) {
                continue;
            }
            let _ = kill(pid, sig);
        }
    });
    let status = child.wait();
    let removed = dir.close();
    let status = status.map_err(|e| io_err("waiting for the command".to_string(), e))?;
    if let Err(e) = removed {
        eprintln!("coffer: warning: could not remove the secret files' folder: {e}");
    }
    Ok(match (status.code(), status.signal()) {
        (Some(c), _) => c.clamp(0, 255) as u8,
        // As shells report it.
        (None, Some(s)) => (128 + s).clamp(0, 255) as u8,
        _ => 1,
    })
}

/// Whether coffer runs in the foreground process group of the terminal on
/// its standard input.
#[cfg(unix)]
fn terminal_foreground() -> bool {
    nix::unistd::tcgetpgrp(std::io::stdin()).is_ok_and(|p| p == nix::unistd::getpgrp())
}

#[cfg(not(unix))]
pub fn run_with_files(
    _command: Vec<OsString>,
    _vars: Vec<(String, SecretString)>,
    _files: Vec<(String, SecretString)>,
) -> Result<u8> {
    Err(Error::InvalidInput(
        "coffer run --file is not supported on this system yet".into(),
    ))
}
