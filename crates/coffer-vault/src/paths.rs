//! Where data lives: `COFFER_HOME` (default `$XDG_DATA_HOME/coffer`, else
//! `~/.local/share/coffer`) holds the device's identity and unlock state;
//! the default vault is `vault.coffer` in it; `COFFER_VAULT` overrides. The
//! desktop app also remembers the vault it opened last ([`app_vault_path`]).

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// The device data directory.
pub fn coffer_home() -> PathBuf {
    if let Some(p) = std::env::var_os("COFFER_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(p);
    }
    if let Some(p) = std::env::var_os("XDG_DATA_HOME").filter(|v| !v.is_empty()) {
        return PathBuf::from(p).join("coffer");
    }
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| ".".into());
    home.join(".local/share/coffer")
}

/// The default vault path.
pub fn default_vault_path() -> PathBuf {
    if let Some(p) = std::env::var_os("COFFER_VAULT").filter(|v| !v.is_empty()) {
        return PathBuf::from(p);
    }
    coffer_home().join("vault.coffer")
}

/// The file in `COFFER_HOME` that remembers the vault the desktop app
/// opened last (one UTF-8 path, no secret).
pub const VAULT_POINTER_FILE: &str = "vault_path";

/// The vault path remembered in `home` by [`remember_vault_path`], if any
/// (a missing, unreadable or malformed pointer is treated as none).
pub fn remembered_vault_path(home: &Path) -> Option<PathBuf> {
    let raw = fs::read_to_string(home.join(VAULT_POINTER_FILE)).ok()?;
    let p = PathBuf::from(raw.trim_end_matches('\n'));
    (p.is_absolute() && !raw.trim().is_empty()).then_some(p)
}

/// Remembers `vault` in `home` for the next start (atomic, mode 0600).
/// The path must be absolute and UTF-8.
pub fn remember_vault_path(home: &Path, vault: &Path) -> Result<()> {
    let s = vault
        .to_str()
        .filter(|_| vault.is_absolute())
        .ok_or_else(|| {
            Error::InvalidInput(format!(
                "{} is not a full path the app can remember",
                vault.display()
            ))
        })?;
    ensure_private_dir(home)?;
    write_atomic(&home.join(VAULT_POINTER_FILE), format!("{s}\n").as_bytes())
}

/// The vault the desktop app works on: `COFFER_VAULT` if set, else the
/// path remembered in `home`, else `vault.coffer` in `home`.
pub fn app_vault_path(home: &Path) -> PathBuf {
    if let Some(p) = std::env::var_os("COFFER_VAULT").filter(|v| !v.is_empty()) {
        return PathBuf::from(p);
    }
    remembered_vault_path(home).unwrap_or_else(|| home.join("vault.coffer"))
}

/// A path a person typed (the app's export, report and "open a vault"
/// fields): trimmed, `~/…` taken under `$HOME`, and it must then be
/// absolute — a desktop app has no working directory to be relative to.
/// `what` names the file in the error ("file to write").
pub fn typed_path(typed: &str, what: &str) -> Result<PathBuf> {
    let t = typed.trim();
    if t.is_empty() {
        return Err(Error::InvalidInput(format!("enter the path of the {what}")));
    }
    let path = match t.strip_prefix("~/") {
        Some(rest) => std::env::var_os("HOME")
            .filter(|h| !h.is_empty())
            .map(|h| PathBuf::from(h).join(rest))
            .ok_or_else(|| {
                Error::InvalidInput(format!(
                    "HOME is not set, so {t} cannot be found: give the whole path of the {what}"
                ))
            })?,
        None => PathBuf::from(t),
    };
    if !path.is_absolute() {
        return Err(Error::InvalidInput(format!(
            "{t} is not a full path: give the whole path of the {what}, starting with / or ~/"
        )));
    }
    Ok(path)
}

/// A path the desktop app was given over IPC (export, report, "open a
/// vault"), checked to be inside the user's home or temporary folder: the
/// web view is not trusted to choose where Rust reads and writes (a
/// compromised front end could otherwise have a `.env` written to
/// `~/.bashrc`'s neighbours outside home, or a "vault" opened from a
/// device file). The path is resolved as the file system will see it —
/// symlinks followed, `..` resolved — by canonicalising the file if it
/// exists, else its folder (which must exist); the resolved path is
/// returned and is what the caller must use. Refused with
/// [`Error::PermissionDenied`] otherwise.
pub fn app_path(typed: &str, what: &str) -> Result<PathBuf> {
    let path = typed_path(typed, what)?;
    let mut roots = Vec::new();
    if let Some(h) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
        roots.push(PathBuf::from(h));
    }
    roots.push(std::env::temp_dir());
    confine(&path, &roots, what)
}

/// [`app_path`]'s check against explicit `roots` (canonicalised here).
pub fn confine(path: &Path, roots: &[PathBuf], what: &str) -> Result<PathBuf> {
    let resolved = if path.exists() {
        fs::canonicalize(path).map_err(|e| Error::io(format!("resolving {}", path.display()), e))?
    } else {
        // `file_name` is `None` for a path ending in `..`: never a file.
        let (Some(dir), Some(name)) = (path.parent(), path.file_name()) else {
            return Err(Error::InvalidInput(format!(
                "{} does not name a {what}",
                path.display()
            )));
        };
        let dir = fs::canonicalize(dir)
            .map_err(|_| Error::NotFound(format!("the folder of {}", path.display())))?;
        dir.join(name)
    };
    let inside = roots
        .iter()
        .filter_map(|r| fs::canonicalize(r).ok())
        .any(|r| resolved.starts_with(&r));
    if !inside {
        return Err(Error::PermissionDenied(format!(
            "{} is outside your home folder and the temporary folder: the app reads and writes a file there only when you choose it with “Choose…” (the system file dialog), or use the coffer command",
            path.display()
        )));
    }
    Ok(resolved)
}

/// Checks a file about to be written: an absolute path, not a folder, in a
/// folder that exists. Nothing is created or changed.
pub fn check_output_file(path: &Path) -> Result<()> {
    if !path.is_absolute() {
        return Err(Error::InvalidInput(format!(
            "{} is not a full path: give the whole path of the file, starting with /",
            path.display()
        )));
    }
    if path.is_dir() || path.file_name().is_none() {
        return Err(Error::InvalidInput(format!(
            "{} is a folder: add a file name to it",
            path.display()
        )));
    }
    match path.parent() {
        Some(dir) if dir.is_dir() => Ok(()),
        _ => Err(Error::NotFound(format!("the folder of {}", path.display()))),
    }
}

/// Creates a directory (and parents) readable by the owner only.
pub fn ensure_private_dir(dir: &Path) -> Result<()> {
    fs::create_dir_all(dir).map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
            .map_err(|e| Error::io(format!("securing {}", dir.display()), e))?;
    }
    Ok(())
}

/// Like [`write_atomic`], but an existing file at `path` is refused with
/// [`Error::AlreadyExists`] unless `overwrite` is set. The check and the
/// rename are one step (no-clobber rename), so a file that appears between
/// them is never replaced.
pub fn write_atomic_new(path: &Path, data: &[u8], overwrite: bool) -> Result<()> {
    write_private(path, data, overwrite)
}

/// Writes `data` to `path` atomically (temp file in the same directory,
/// fsync, rename) with mode 0600. A crash leaves the old file or the new
/// one, never a torn one.
pub fn write_atomic(path: &Path, data: &[u8]) -> Result<()> {
    write_private(path, data, true)
}

/// Writes a new file that teammates read (a sync folder's feed entry or
/// descriptor: only signatures and ciphertexts): atomic, never replacing an
/// existing file, mode 0644 so a share mounted by several users works.
pub fn write_atomic_shared_new(path: &Path, data: &[u8]) -> Result<()> {
    write_file(path, data, false, 0o644)
}

/// Replaces a file teammates read (this device's own feed entry, found
/// altered in the sync folder) atomically, mode 0644.
pub(crate) fn write_atomic_shared(path: &Path, data: &[u8]) -> Result<()> {
    write_file(path, data, true, 0o644)
}

fn write_private(path: &Path, data: &[u8], clobber: bool) -> Result<()> {
    write_file(path, data, clobber, 0o600)
}

/// The one atomic writer behind [`write_atomic`], [`write_atomic_new`] and
/// [`write_atomic_shared_new`]; `clobber: false` renames without replacing.
fn write_file(path: &Path, data: &[u8], clobber: bool, mode: u32) -> Result<()> {
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or_else(|| Path::new("."));
    let ctx = || format!("writing {}", path.display());
    let mut tmp = tempfile::Builder::new()
        .prefix(".coffer-tmp-")
        .tempfile_in(dir)
        .map_err(|e| Error::io(ctx(), e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(tmp.path(), fs::Permissions::from_mode(mode))
            .map_err(|e| Error::io(ctx(), e))?;
    }
    tmp.write_all(data).map_err(|e| Error::io(ctx(), e))?;
    tmp.as_file().sync_all().map_err(|e| Error::io(ctx(), e))?;
    let persisted = if clobber {
        tmp.persist(path)
    } else {
        tmp.persist_noclobber(path)
    };
    persisted.map_err(|e| {
        if !clobber && e.error.kind() == std::io::ErrorKind::AlreadyExists {
            Error::AlreadyExists(format!("{}", path.display()))
        } else {
            Error::io(ctx(), e.error)
        }
    })?;
    if let Ok(d) = fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn write_atomic_new_refuses_an_existing_file_unless_told() {
        let dir = tempfile::tempdir().expect("tmp");
        let p = dir.path().join("report.md");
        write_atomic_new(&p, b"one", false).expect("new file");
        let e = write_atomic_new(&p, b"two", false).expect_err("exists");
        assert_eq!(e.kind(), crate::ErrorKind::Conflict);
        assert_eq!(fs::read(&p).expect("read"), b"one");
        write_atomic_new(&p, b"two", true).expect("overwrite");
        assert_eq!(fs::read(&p).expect("read"), b"two");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&p).expect("meta").permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
        let leftovers = fs::read_dir(dir.path()).expect("ls").count();
        assert_eq!(leftovers, 1, "no temp file left behind");
    }

    #[test]
    fn typed_paths_are_full_paths_or_under_home() {
        assert_eq!(
            typed_path("  /tmp/a.env ", "file").expect("abs"),
            PathBuf::from("/tmp/a.env")
        );
        if let Some(home) = std::env::var_os("HOME").filter(|h| !h.is_empty()) {
            assert_eq!(
                typed_path("~/r.md", "report").expect("home"),
                PathBuf::from(home).join("r.md")
            );
        }
        for bad in ["", "   ", "rel/a.env", "~user/a.env"] {
            let e = typed_path(bad, "file to write").expect_err(bad);
            assert_eq!(e.kind(), crate::ErrorKind::InvalidInput, "{bad}");
        }
    }

    #[test]
    fn output_files_need_an_existing_folder_and_a_name() {
        let dir = tempfile::tempdir().expect("tmp");
        check_output_file(&dir.path().join("ok.env")).expect("fine");
        let kind = |p: &Path| check_output_file(p).expect_err("refused").kind();
        assert_eq!(kind(dir.path()), crate::ErrorKind::InvalidInput);
        assert_eq!(kind(Path::new("rel.env")), crate::ErrorKind::InvalidInput);
        assert_eq!(
            kind(&dir.path().join("no/such/x.env")),
            crate::ErrorKind::NotFound
        );
        assert_eq!(
            fs::read_dir(dir.path()).expect("ls").count(),
            0,
            "nothing written"
        );
    }

    #[test]
    fn remembered_vault_path_round_trips() {
        let dir = tempfile::tempdir().expect("tmp");
        let home = dir.path().join("home");
        assert_eq!(remembered_vault_path(&home), None);
        let vault = dir.path().join("team/shared.coffer");
        remember_vault_path(&home, &vault).expect("remember");
        assert_eq!(remembered_vault_path(&home), Some(vault.clone()));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(home.join(VAULT_POINTER_FILE))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        // Remembering another replaces it.
        let other = dir.path().join("other.coffer");
        remember_vault_path(&home, &other).expect("remember");
        assert_eq!(remembered_vault_path(&home), Some(other));
    }

    #[test]
    fn fail_relative_or_malformed_pointer() {
        let dir = tempfile::tempdir().expect("tmp");
        assert!(remember_vault_path(dir.path(), Path::new("rel/vault.coffer")).is_err());
        fs::write(dir.path().join(VAULT_POINTER_FILE), "relative/path\n").expect("write");
        assert_eq!(remembered_vault_path(dir.path()), None);
        fs::write(dir.path().join(VAULT_POINTER_FILE), "\n").expect("write");
        assert_eq!(remembered_vault_path(dir.path()), None);
    }
}
