//! Env files: export an environment (dotenv, shell, JSON, `.env.example`),
//! write it safely, and import a `.env` all-or-nothing. The formats
//! themselves live in `coffer-dotenv`.

use std::path::{Path, PathBuf};
use std::process::Command;

use coffer_crypto::SecretString;
pub use coffer_dotenv::{Dialect, Format};
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::ops::ReadAction;
use crate::vault::Vault;

impl Vault {
    /// Renders an environment and hands the text to `deliver` (write a file,
    /// print it). Refuses (naming the key) a value that the chosen dialect
    /// cannot spell. The read is logged only once `deliver` succeeded, so a
    /// refused export changes nothing.
    pub fn export_env(
        &mut self,
        env_path: &str,
        format: Format,
        dialect: Dialect,
        deliver: impl FnOnce(&str) -> Result<()>,
    ) -> Result<()> {
        let env = self.env(env_path)?;
        let items = self.read_env_unlogged(&env)?;
        let entries: Vec<coffer_dotenv::ExportEntry<'_>> = items
            .iter()
            .map(|(s, v)| coffer_dotenv::ExportEntry {
                key: &s.name,
                // Rendering needs the plaintext; the output is zeroizing.
                value: v.expose_secret(),
                notes: s.notes.as_deref(),
            })
            .collect();
        let text = coffer_dotenv::render(&entries, format, dialect)?;
        deliver(&text)?;
        let ids = items.iter().map(|(s, _)| s.id).collect();
        self.log_read(ReadAction::Export, &env, ids)
    }

    /// The variables of an environment for `coffer run` (logged as a run).
    pub fn env_vars(&mut self, env_path: &str) -> Result<Vec<(String, SecretString)>> {
        Ok(self
            .read_env(env_path, ReadAction::Run)?
            .into_iter()
            .map(|(s, v)| (s.name, v))
            .collect())
    }

    /// Parses a `.env` file and imports it; nothing is written unless the
    /// whole file parses and every key is valid. Returns (created, updated).
    pub fn import_env_file(
        &mut self,
        file: &Path,
        env_path: &str,
        overwrite: bool,
    ) -> Result<(usize, usize)> {
        let raw = std::fs::read(file).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::NotFound(format!("file {}", file.display())),
            _ => Error::io(format!("reading {}", file.display()), e),
        })?;
        let raw = Zeroizing::new(raw);
        let text = std::str::from_utf8(&raw)
            .map_err(|_| Error::InvalidInput(format!("{} is not UTF-8 text", file.display())))?;
        let parsed = coffer_dotenv::parse(text)?;
        let entries = parsed
            .into_iter()
            .map(|p| (p.key.clone(), SecretString::new(p.value.to_string())))
            .collect();
        self.import_items(env_path, entries, overwrite)
    }
}

/// Whether git ignores `path`.
#[derive(Debug, PartialEq, Eq)]
pub enum GitStatus {
    /// Not inside a git work tree.
    NotInRepo,
    /// Inside one, and ignored.
    Ignored,
    /// Inside one, and not ignored.
    NotIgnored(PathBuf),
    /// Inside one, but git could not tell (not installed, error).
    Unknown(PathBuf),
}

/// Finds out whether git would ignore `path`.
pub fn git_status(path: &Path) -> GitStatus {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let Some(dir) = abs.parent() else {
        return GitStatus::NotInRepo;
    };
    let Some(root) = dir.ancestors().find(|d| d.join(".git").exists()) else {
        return GitStatus::NotInRepo;
    };
    match Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(["check-ignore", "-q", "--no-index", "--"])
        .arg(&abs)
        .status()
    {
        Ok(s) if s.code() == Some(0) => GitStatus::Ignored,
        Ok(s) if s.code() == Some(1) => GitStatus::NotIgnored(root.to_path_buf()),
        _ => GitStatus::Unknown(root.to_path_buf()),
    }
}

/// Writes an exported file atomically with mode 0600. Inside a git work
/// tree, refuses a file git does not ignore unless `force`.
pub fn write_env_file(path: &Path, contents: &str, force: bool) -> Result<()> {
    if !force {
        match git_status(path) {
            GitStatus::NotInRepo | GitStatus::Ignored => {}
            GitStatus::NotIgnored(root) => {
                return Err(Error::Refused(format!(
                    "{} is inside the git work tree {} and not ignored by git: add it to .gitignore, or pass --force",
                    path.display(),
                    root.display()
                )))
            }
            GitStatus::Unknown(root) => {
                return Err(Error::Refused(format!(
                    "{} is inside the git work tree {} and git could not say whether it is ignored: pass --force to write it anyway",
                    path.display(),
                    root.display()
                )))
            }
        }
    }
    crate::paths::write_atomic(path, contents.as_bytes())
}
