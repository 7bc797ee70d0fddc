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

/// What the renderer needs of each credential; rendering needs the
/// plaintext, and its output is zeroizing.
fn export_entries(
    items: &[(crate::ItemSummary, SecretString)],
) -> Vec<coffer_dotenv::ExportEntry<'_>> {
    items
        .iter()
        .map(|(s, v)| coffer_dotenv::ExportEntry {
            key: &s.name,
            value: v.expose_secret(),
            notes: s.notes.as_deref(),
        })
        .collect()
}

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
        let entries = export_entries(&items);
        let text = coffer_dotenv::render(&entries, format, dialect)?;
        deliver(&text)?;
        let ids = items.iter().map(|(s, _)| s.id).collect();
        self.log_read(ReadAction::Export, &env, ids)
    }

    /// Exports an environment straight to a file (the desktop app's export):
    /// renders it, writes it atomically with mode 0600 through
    /// [`write_env_file_with`] (the git-ignore check, unless `req.force`), and
    /// logs the export only once the file is written. Returns how many
    /// variables were written.
    ///
    /// Refusals are sentences for a person who is not at a command line: a
    /// value the dialect cannot spell names the key and the dialects (or
    /// formats) that can write it; a file git does not ignore says to add it
    /// to `.gitignore` or to use `req.force_hint`. No value is ever in an error.
    pub fn export_env_file(&mut self, req: &ExportRequest<'_>) -> Result<usize> {
        crate::paths::check_output_file(req.path)?;
        if req.path.exists() && !req.overwrite {
            return Err(Error::Refused(format!(
                "{} already exists: choose another file, or allow replacing it",
                req.path.display()
            )));
        }
        let env = self.env(req.env_path)?;
        let items = self.read_env_unlogged(&env)?;
        let entries = export_entries(&items);
        let text = match coffer_dotenv::render(&entries, req.format, req.dialect) {
            Ok(t) => t,
            Err(coffer_dotenv::Error::Unrepresentable {
                key,
                dialect,
                reason,
                ..
            }) => {
                // Which dialects could write it: computed here, where the
                // value is; only dialect names leave.
                let working: Vec<&str> = entries
                    .iter()
                    .find(|e| e.key == key)
                    .map(|e| coffer_dotenv::writable_dialects(e.key, e.value))
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|d| *d != dialect)
                    .map(Dialect::as_str)
                    .collect();
                let way_out = match (req.format, working.as_slice()) {
                    (Format::Dotenv, []) => {
                        "choose the shell or JSON format instead".to_string()
                    }
                    (Format::Dotenv, [one]) => format!(
                        "choose the {one} dialect if only that parser reads the file, or the shell or JSON format"
                    ),
                    (Format::Dotenv, many) => format!(
                        "choose the {} dialect if only that parser reads the file, or the shell or JSON format",
                        many.join(" or ")
                    ),
                    _ => "choose the JSON format instead".to_string(),
                };
                return Err(Error::InvalidInput(format!(
                    "the value of {key} cannot be written as {} ({} dialect): {reason}; {way_out}",
                    req.format,
                    dialect.as_str()
                )));
            }
            Err(e) => return Err(e.into()),
        };
        write_env_file_with(req.path, &text, req.force, req.force_hint)?;
        let ids = items.iter().map(|(s, _)| s.id).collect();
        self.log_read(ReadAction::Export, &env, ids)?;
        Ok(items.len())
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

/// What [`Vault::export_env_file`] writes, and where.
#[derive(Debug, Clone, Copy)]
pub struct ExportRequest<'a> {
    /// `PROJECT/ENV`.
    pub env_path: &'a str,
    /// The file format.
    pub format: Format,
    /// The dotenv dialect (used by [`Format::Dotenv`] only).
    pub dialect: Dialect,
    /// The file to write: a full path whose folder exists.
    pub path: &'a Path,
    /// Replace the file if it exists.
    pub overwrite: bool,
    /// Write it even if git does not ignore it.
    pub force: bool,
    /// How the caller's user overrides the git-ignore check, completing
    /// "add it to .gitignore, or …" (`"pass --force"`, `"tick “Write anyway”"`).
    pub force_hint: &'a str,
}

/// Writes an exported file atomically with mode 0600. Inside a git work
/// tree, refuses a file git does not ignore unless `force`.
pub fn write_env_file(path: &Path, contents: &str, force: bool) -> Result<()> {
    write_env_file_with(path, contents, force, "pass --force")
}

/// [`write_env_file`], with the refusal's way out (`force_hint`) worded for
/// the caller's user.
pub fn write_env_file_with(
    path: &Path,
    contents: &str,
    force: bool,
    force_hint: &str,
) -> Result<()> {
    if !force {
        match git_status(path) {
            GitStatus::NotInRepo | GitStatus::Ignored => {}
            GitStatus::NotIgnored(root) => {
                return Err(Error::Refused(format!(
                    "{} is inside the git work tree {} and not ignored by git: add it to .gitignore, or {force_hint}",
                    path.display(),
                    root.display()
                )))
            }
            GitStatus::Unknown(root) => {
                return Err(Error::Refused(format!(
                    "{} is inside the git work tree {} and git could not say whether it is ignored: {force_hint} to write it anyway",
                    path.display(),
                    root.display()
                )))
            }
        }
    }
    crate::paths::write_atomic(path, contents.as_bytes())
}
