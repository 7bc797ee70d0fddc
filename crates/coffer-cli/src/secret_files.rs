//! `coffer run --file VAR=KEY`: secrets as files for the child's lifetime.
//!
//! The values go to regular files (never FIFOs: libraries that check
//! `is_file()` refuse those), mode 0600, in a fresh 0700 folder under
//! `$XDG_RUNTIME_DIR` (a per-user tmpfs on most Linux desktops) or else
//! the temp folder. Coffer stays the command's parent
//! ([`crate::supervise`]) and removes the folder when the command exits or
//! is killed, and after SIGINT, SIGTERM, SIGHUP or SIGQUIT to coffer.
//!
//! Only SIGKILL of coffer itself leaves the folder behind. Its name says
//! whose it was, `coffer-run-PID-XXXXXX`, so the next `coffer run`
//! ([`sweep`]) removes the folders of coffer runs whose process is gone.

use std::path::{Path, PathBuf};

use coffer_crypto::SecretString;
use coffer_vault::{Error, Result};

/// The start of the name of every folder `run --file` creates.
const PREFIX: &str = "coffer-run-";

fn io_err(context: String, source: std::io::Error) -> Error {
    Error::Io { context, source }
}

/// Where the private folders go: `$XDG_RUNTIME_DIR` when it is an absolute
/// folder, else the temp folder.
pub fn base_dir() -> PathBuf {
    std::env::var_os("XDG_RUNTIME_DIR")
        .map(PathBuf::from)
        .filter(|p| p.is_absolute() && p.is_dir())
        .unwrap_or_else(std::env::temp_dir)
}

/// The private folder of one run and the paths of its files (dropping it
/// removes the folder).
pub struct SecretFiles {
    dir: tempfile::TempDir,
    /// `(VAR, path of its file)`.
    pub paths: Vec<(String, PathBuf)>,
}

impl SecretFiles {
    /// Removes the folder now, saying why it could not.
    pub fn close(self) -> std::io::Result<()> {
        self.dir.close()
    }
}

/// Creates the private folder (`coffer-run-PID-XXXXXX`, mode 0700) in
/// [`base_dir`] and one 0600 file per value in it.
#[cfg(unix)]
pub fn create(files: &[(String, SecretString)]) -> Result<SecretFiles> {
    use std::io::Write;
    use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};

    let base = base_dir();
    let dir = tempfile::Builder::new()
        .prefix(&format!("{PREFIX}{}-", std::process::id()))
        .permissions(std::fs::Permissions::from_mode(0o700))
        .tempdir_in(&base)
        .map_err(|e| {
            io_err(
                format!("creating a private folder in {}", base.display()),
                e,
            )
        })?;
    let mut paths = Vec::new();
    for (var, value) in files {
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
        paths.push((var.clone(), path));
    }
    Ok(SecretFiles { dir, paths })
}

/// Not on this system.
#[cfg(not(unix))]
pub fn create(_files: &[(String, SecretString)]) -> Result<SecretFiles> {
    Err(Error::InvalidInput(
        "coffer run --file is not supported on this system yet".into(),
    ))
}

/// The process id a leftover folder's name carries, if it is one of ours:
/// `coffer-run-PID-XXXXXX` (six characters from `tempfile`).
fn owner_pid(name: &str) -> Option<i32> {
    let rest = name.strip_prefix(PREFIX)?;
    let (pid, suffix) = rest.split_once('-')?;
    if suffix.len() != 6 || !suffix.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return None;
    }
    if pid.is_empty() || !pid.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    pid.parse().ok().filter(|&p| p > 0)
}

/// Removes the folders that earlier `coffer run --file` left in `base`
/// when coffer was killed with SIGKILL: only folders named as coffer names
/// them, owned by this user, mode 0700, not symbolic links, whose process
/// no longer exists (a process id in use, by anyone, keeps the folder: it
/// may be a run still going). Returns how many were removed. Failures are
/// not errors: the sweep is a courtesy, the run goes on.
#[cfg(unix)]
pub fn sweep(base: &Path) -> usize {
    use nix::errno::Errno;
    use nix::sys::signal::kill;
    use nix::unistd::Pid;
    use std::os::unix::fs::MetadataExt;

    let Ok(entries) = std::fs::read_dir(base) else {
        return 0;
    };
    let me = rustix::process::getuid().as_raw();
    let mut removed = 0;
    for e in entries.flatten() {
        let name = e.file_name();
        let Some(pid) = name.to_str().and_then(owner_pid) else {
            continue;
        };
        let path = e.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.file_type().is_dir() || meta.uid() != me || meta.mode() & 0o777 != 0o700 {
            continue;
        }
        // Signal 0 only asks whether the process exists; EPERM means it
        // does (someone else's).
        if kill(Pid::from_raw(pid), None) != Err(Errno::ESRCH) {
            continue;
        }
        if std::fs::remove_dir_all(&path).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Nothing to sweep on this system.
#[cfg(not(unix))]
pub fn sweep(_base: &Path) -> usize {
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_pid_reads_only_the_names_coffer_gives() {
        assert_eq!(owner_pid("coffer-run-1234-aB3xYz"), Some(1234));
        for bad in [
            "coffer-run-aB3xYz",
            "coffer-run--aB3xYz",
            "coffer-run-12a-aB3xYz",
            "coffer-run-1234-aB3xY",
            "coffer-run-1234-aB3x.z",
            "coffer-run-0-aB3xYz",
            "other-1234-aB3xYz",
        ] {
            assert_eq!(owner_pid(bad), None, "{bad}");
        }
    }
}
