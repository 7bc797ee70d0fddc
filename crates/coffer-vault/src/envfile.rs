//! Env files: export an environment (dotenv, shell, JSON, `.env.example`),
//! write it safely, and import a `.env` all-or-nothing. The formats
//! themselves live in `coffer-dotenv`.

use std::path::{Path, PathBuf};
use std::process::Command;

use coffer_crypto::{Id, SecretString};
pub use coffer_dotenv::{Dialect, Format, ImportDialect};
use zeroize::Zeroizing;

use crate::dangerous::{loads_as_environment, AllowVars};
use crate::error::{Error, Result};
use crate::ops::ReadAction;
use crate::vault::{EnvInfo, Vault};

/// One variable of an export or run: a shared credential's, or the
/// caller's personal override of it (which keeps the credential's notes).
pub(crate) struct Var {
    pub(crate) name: String,
    pub(crate) value: SecretString,
    pub(crate) notes: Option<String>,
}

/// What the renderer needs of each variable; rendering needs the
/// plaintext, and its output is zeroizing.
fn export_entries(vars: &[Var]) -> Vec<coffer_dotenv::ExportEntry<'_>> {
    vars.iter()
        .map(|v| coffer_dotenv::ExportEntry {
            key: &v.name,
            value: v.value.expose_secret(),
            notes: v.notes.as_deref(),
        })
        .collect()
}

impl Vault {
    /// An environment's credentials with the caller's personal overrides
    /// applied (unless turned off or forbidden there), and the ids of the
    /// credentials whose values are still among them: the read event
    /// names those, not the ones an override replaced.
    pub(crate) fn overlaid_vars(
        &mut self,
        env: &EnvInfo,
        items: Vec<(crate::ItemSummary, SecretString)>,
    ) -> Result<(Vec<Var>, Vec<Id>)> {
        let mut meta = Vec::with_capacity(items.len());
        let mut vars = Vec::with_capacity(items.len());
        for (i, (s, v)) in items.into_iter().enumerate() {
            vars.push((s.name, v, i));
            meta.push((s.id, s.notes));
        }
        let (out, read) = self.apply_overlay(env, vars)?;
        let vars = out
            .into_iter()
            .map(|(name, value, i)| Var {
                name,
                value,
                notes: i.and_then(|i| meta[i].1.clone()),
            })
            .collect();
        Ok((vars, read.into_iter().map(|i| meta[i].0).collect()))
    }

    /// Renders an environment and hands the text to `deliver` (write a file,
    /// print it). Refuses (naming the key) a value that the chosen dialect
    /// cannot spell, and, for a format loaded as an environment (shell,
    /// dotenv), a variable that decides what code runs unless `allow`
    /// names it ([`crate::dangerous`]). The read is logged only once
    /// `deliver` succeeded, so a refused export changes nothing.
    pub fn export_env(
        &mut self,
        env_path: &str,
        format: Format,
        dialect: Dialect,
        allow: AllowVars<'_>,
        deliver: impl FnOnce(&str) -> Result<()>,
    ) -> Result<()> {
        let (env, ids, text) = self.render_export(env_path, format, dialect, allow)?;
        deliver(&text)?;
        self.log_read(ReadAction::Export, &env, ids)
    }

    /// [`Vault::export_env`] to where it is seen as it is written (standard
    /// output): the read is logged durably *before* the first byte goes out,
    /// so a process killed between the two never leaves a shown value with
    /// no read event (`tests/crash_safety.rs`). A failure while writing
    /// leaves the read logged: part of it may have been seen.
    pub fn export_env_shown(
        &mut self,
        env_path: &str,
        format: Format,
        dialect: Dialect,
        allow: AllowVars<'_>,
        deliver: impl FnOnce(&str) -> Result<()>,
    ) -> Result<()> {
        let (env, ids, text) = self.render_export(env_path, format, dialect, allow)?;
        self.log_read(ReadAction::Export, &env, ids)?;
        deliver(&text)
    }

    /// An export's text, after its checks, with what to log.
    fn render_export(
        &mut self,
        env_path: &str,
        format: Format,
        dialect: Dialect,
        allow: AllowVars<'_>,
    ) -> Result<(EnvInfo, Vec<Id>, Zeroizing<String>)> {
        let env = self.env(env_path)?;
        let items = self.read_env_unlogged(&env)?;
        let (vars, ids) = self.overlaid_vars(&env, items)?;
        check_exported_vars(&vars, format, allow)?;
        let entries = export_entries(&vars);
        let text = coffer_dotenv::render(&entries, format, dialect)?;
        Ok((env, ids, text))
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
    /// to `.gitignore` or to use `req.force_hint`; a variable that decides
    /// what code runs, in a shell or dotenv file, names it and ends with
    /// `req.allow.hint`. No value is ever in an error.
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
        let (vars, ids) = self.overlaid_vars(&env, items)?;
        check_exported_vars(&vars, req.format, req.allow)?;
        let entries = export_entries(&vars);
        let text = match coffer_dotenv::render(&entries, req.format, req.dialect) {
            Ok(t) => zeroize::Zeroizing::new(t),
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
        self.log_read(ReadAction::Export, &env, ids)?;
        Ok(vars.len())
    }

    /// The variables of an environment for `coffer run` (logged as a run).
    /// Refuses, before anything is logged, a variable that decides what
    /// code runs ([`crate::dangerous`]) unless `allow` names it.
    pub fn env_vars(
        &mut self,
        env_path: &str,
        allow: AllowVars<'_>,
    ) -> Result<Vec<(String, SecretString)>> {
        let env = self.env(env_path)?;
        let items = self.read_env_unlogged(&env)?;
        let (vars, ids) = self.overlaid_vars(&env, items)?;
        allow.check(
            vars.iter().map(|v| v.name.as_str()),
            "coffer run does not inject them",
        )?;
        self.log_read(ReadAction::Run, &env, ids)?;
        Ok(vars.into_iter().map(|v| (v.name, v.value)).collect())
    }

    /// Parses a `.env` file and imports it; nothing is written unless the
    /// whole file parses, every key is valid and (unless
    /// [`ImportOptions::allow_empty`]) no value is empty. A file with bad
    /// lines fails with [`Error::BadLines`], which lists every one of them
    /// (up to [`MAX_REPORTED_LINES`]) by number, never their text.
    pub fn import_env_file(
        &mut self,
        file: &Path,
        env_path: &str,
        opts: ImportOptions,
    ) -> Result<ImportOutcome> {
        let raw = std::fs::read(file).map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => Error::NotFound(format!("file {}", file.display())),
            _ => Error::io(format!("reading {}", file.display()), e),
        })?;
        let raw = Zeroizing::new(raw);
        let text = std::str::from_utf8(&raw)
            .map_err(|_| Error::InvalidInput(format!("{} is not UTF-8 text", file.display())))?;
        let to_problems = |errors: Vec<coffer_dotenv::Error>| -> Vec<(usize, String)> {
            errors
                .into_iter()
                .map(|e| (e.line().unwrap_or(0), e.to_string()))
                .collect()
        };
        let mut ignored_lines = Vec::new();
        let mut redefined = Vec::new();
        let mut hint = None;
        let (parsed, problems) = match opts.dialect {
            None => match coffer_dotenv::parse_all(text) {
                Ok(parsed) => (parsed, Vec::new()),
                Err(errors) => {
                    hint = Some(dialect_hint(text));
                    (Vec::new(), to_problems(errors))
                }
            },
            Some(d) => match coffer_dotenv::parse_dialect(text, d) {
                Ok(read) => {
                    ignored_lines = read.ignored_lines;
                    redefined = read.redefined;
                    (read.entries, Vec::new())
                }
                Err(errors) => (Vec::new(), to_problems(errors)),
            },
        };
        self.import_parsed(
            &file.display().to_string(),
            env_path,
            Parsed {
                entries: parsed,
                problems,
                hint,
                ignored_lines,
                redefined,
            },
            opts,
        )
    }

    /// The common end of the `.env` imports ([`Vault::import_env_file`],
    /// [`Vault::import_dotenvx`]): empty values checked (unless
    /// `allow_empty`), every problem reported as [`Error::BadLines`] with
    /// nothing imported, otherwise every entry in one batch.
    pub(crate) fn import_parsed(
        &mut self,
        file: &str,
        env_path: &str,
        parsed: Parsed,
        opts: ImportOptions,
    ) -> Result<ImportOutcome> {
        let Parsed {
            entries: parsed,
            mut problems,
            hint,
            ignored_lines,
            redefined,
        } = parsed;
        // A parse failure returns no entries, so empty values are reported
        // only for a file that otherwise parses.
        let parse_problems = problems.len();
        if !opts.allow_empty {
            problems.extend(parsed.iter().filter(|p| p.value.is_empty()).map(|p| {
                (
                    p.line,
                    format!("line {}: the value of {} is empty", p.line, p.key),
                )
            }));
        }
        if !problems.is_empty() {
            problems.sort_by_key(|(line, _)| *line);
            let total = problems.len();
            return Err(Error::BadLines {
                file: file.to_string(),
                total,
                lines: problems
                    .into_iter()
                    .take(MAX_REPORTED_LINES)
                    .map(|(_, msg)| msg)
                    .collect(),
                empty_values: total - parse_problems,
                hint,
            });
        }
        let entries: Vec<(String, SecretString)> = parsed
            .into_iter()
            .map(|p| (p.key.clone(), SecretString::new(p.value.to_string())))
            .collect();
        let dangerous = entries
            .iter()
            .map(|(k, _)| k)
            .filter(|k| crate::dangerous::dangerous_var(k).is_some())
            .cloned()
            .collect();
        let (created, updated, preview) = if opts.dry_run {
            let preview = self.preview_items(env_path, &entries)?;
            (0, 0, preview)
        } else {
            let (c, u) = self.import_items(env_path, entries, opts.overwrite)?;
            (c, u, Vec::new())
        };
        Ok(ImportOutcome {
            created,
            updated,
            dangerous,
            ignored_lines,
            redefined,
            preview,
        })
    }
}

/// A `.env` file as read, before it is imported.
pub(crate) struct Parsed {
    /// The entries (none when `problems` holds a parse failure).
    pub(crate) entries: Vec<coffer_dotenv::ParsedEntry>,
    /// Bad lines: line number and message (numbers, keys, fixed reasons).
    pub(crate) problems: Vec<(usize, String)>,
    /// The way forward for a refused file (dialect names only).
    pub(crate) hint: Option<String>,
    /// Lines the parser skips.
    pub(crate) ignored_lines: Vec<usize>,
    /// Keys defined more than once.
    pub(crate) redefined: Vec<String>,
}

/// How many bad lines [`Error::BadLines`] lists; it counts the rest.
pub const MAX_REPORTED_LINES: usize = 20;

/// Options of [`Vault::import_env_file`]; the default replaces nothing and
/// refuses empty values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportOptions {
    /// Give existing credentials the file's value (otherwise an existing
    /// key refuses the whole import).
    pub overwrite: bool,
    /// Import `KEY=` as an empty value. Off by default: an empty value in
    /// a `.env` is more often a placeholder than a credential.
    pub allow_empty: bool,
    /// Read the file exactly as this parser does (`--dialect`) instead of
    /// the portable reader, which refuses whatever the parsers disagree on.
    pub dialect: Option<coffer_dotenv::ImportDialect>,
    /// Check everything and say what would happen
    /// ([`ImportOutcome::preview`]), but write nothing.
    pub dry_run: bool,
}

/// The way forward named when the portable reader refuses a file: the
/// dialects that read it, or all of them. Only dialect names leave here.
fn dialect_hint(text: &str) -> String {
    let reading: Vec<&str> = coffer_dotenv::ImportDialect::ALL
        .into_iter()
        .filter(|d| coffer_dotenv::parse_dialect(text, *d).is_ok())
        .map(coffer_dotenv::ImportDialect::as_str)
        .collect();
    match reading.as_slice() {
        [] => "the parsers disagree on these lines; fix them, or pass --dialect \
               node|python|ruby|docker|compose to read the file as that parser does"
            .to_string(),
        some => format!(
            "if one program reads this file, pass --dialect with its parser to read it \
             exactly as that parser does (the file reads without error as: --dialect {})",
            some.join(", --dialect ")
        ),
    }
}

/// The dangerous-variable rule for an export: only formats loaded as an
/// environment fall under it.
fn check_exported_vars(vars: &[Var], format: Format, allow: AllowVars<'_>) -> Result<()> {
    if !loads_as_environment(format) {
        return Ok(());
    }
    allow.check(
        vars.iter().map(|v| v.name.as_str()),
        &format!("a {format} export does not write them"),
    )
}

/// What [`Vault::import_env_file`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImportOutcome {
    /// Credentials created.
    pub created: usize,
    /// Credentials given a new value.
    pub updated: usize,
    /// The imported keys that decide what code runs
    /// ([`crate::dangerous::dangerous_var`]), for a warning: stored, but
    /// `coffer run` and the shell / dotenv exports refuse them by default.
    pub dangerous: Vec<String>,
    /// With a dialect: lines the parser skips silently (not blank, not a
    /// comment), for a warning.
    pub ignored_lines: Vec<usize>,
    /// With a dialect: keys defined more than once (the last one was
    /// imported, as the parser reads it), for a warning.
    pub redefined: Vec<String>,
    /// With [`ImportOptions::dry_run`]: each key and what the import would
    /// do with it (names only, never values); nothing was written.
    pub preview: Vec<(String, PreviewStatus)>,
}

/// What a dry run says an import would do with one key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreviewStatus {
    /// A new credential.
    New,
    /// The credential exists with another value: replaced with
    /// `overwrite`, otherwise the import is refused.
    Exists,
    /// The credential exists with this value: left as it is.
    Unchanged,
}

/// Whether git ignores `path`.
#[derive(Debug, PartialEq, Eq)]
pub enum GitStatus {
    /// Not inside a git work tree.
    NotInRepo,
    /// Inside one, untracked and ignored.
    Ignored,
    /// Inside one, and not ignored.
    NotIgnored(PathBuf),
    /// Inside one, and tracked: git shows every write to it as a change
    /// (`git commit -a` would commit the values), whatever `.gitignore` says.
    Tracked(PathBuf),
    /// Inside one, but git could not tell (not installed, error).
    Unknown(PathBuf),
}

/// Environment variables that point git at another repository, index or
/// work tree, or stop its search for one; the check clears them so that it
/// asks about the repository the file is really in.
const GIT_LOCATION_VARS: &[&str] = &[
    "GIT_DIR",
    "GIT_WORK_TREE",
    "GIT_INDEX_FILE",
    "GIT_COMMON_DIR",
    "GIT_OBJECT_DIRECTORY",
    "GIT_CEILING_DIRECTORIES",
    "GIT_DISCOVERY_ACROSS_FILESYSTEM",
    "GIT_NAMESPACE",
];

/// `git -C dir`, with the caller's repository overrides cleared.
pub(crate) fn git(dir: &Path) -> Command {
    let mut cmd = Command::new("git");
    for var in GIT_LOCATION_VARS {
        cmd.env_remove(var);
    }
    // Messages in English: `git_top_level` reads one.
    cmd.env("LC_ALL", "C");
    cmd.arg("-C").arg(dir);
    cmd.stdin(std::process::Stdio::null());
    cmd
}

/// The work tree `dir` (an existing, canonical folder) is in, as git finds
/// it. `Ok(None)`: git says it is in none. `Err(())`: git could not say.
fn git_top_level(dir: &Path) -> std::result::Result<Option<PathBuf>, ()> {
    let out = git(dir)
        .args(["rev-parse", "--show-toplevel"])
        .stderr(std::process::Stdio::piped())
        .output()
        .map_err(|_| ())?;
    if out.status.success() {
        let top = String::from_utf8(out.stdout).map_err(|_| ())?;
        let top = top.trim_end_matches('\n');
        return if top.is_empty() {
            Err(())
        } else {
            Ok(Some(PathBuf::from(top)))
        };
    }
    // Only git's own "not a git repository" means none; anything else
    // (unsafe ownership, inside `.git`, a broken repository) is a no-answer.
    let err = String::from_utf8_lossy(&out.stderr);
    if out.status.code() == Some(128) && err.contains("not a git repository") {
        Ok(None)
    } else {
        Err(())
    }
}

/// Finds out whether git would ignore `path`, as git sees the file:
///
/// - the folder is canonicalised first, so a path through a symbolic link
///   into a work tree is judged in that work tree;
/// - git itself names the work tree (`rev-parse --show-toplevel`), so
///   nested repositories and `.git` files (worktrees, submodules) count;
/// - a file git tracks is [`GitStatus::Tracked`] even if `.gitignore`
///   matches it (ignore rules do not apply to tracked files);
/// - `check-ignore` runs with the index, for the same reason.
///
/// When git cannot answer (not installed, an error), a folder with a `.git`
/// among its ancestors is [`GitStatus::Unknown`]: the caller refuses it.
pub fn git_status(path: &Path) -> GitStatus {
    let abs = if path.is_absolute() {
        path.to_path_buf()
    } else {
        std::env::current_dir()
            .map(|d| d.join(path))
            .unwrap_or_else(|_| path.to_path_buf())
    };
    let (Some(dir), Some(name)) = (abs.parent(), abs.file_name()) else {
        return GitStatus::Unknown(abs);
    };
    // A folder that does not exist cannot be written to either; the write
    // reports it. Judge the path as given meanwhile.
    let dir = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
    let file = dir.join(name);
    let lexical_root = || dir.ancestors().find(|d| d.join(".git").exists());
    let root = match git_top_level(&dir) {
        Ok(Some(top)) => top,
        Ok(None) => return GitStatus::NotInRepo,
        Err(()) => {
            return match lexical_root() {
                Some(root) => GitStatus::Unknown(root.to_path_buf()),
                None => GitStatus::NotInRepo,
            }
        }
    };
    let quiet = |mut cmd: Command| {
        cmd.stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .ok()
            .and_then(|s| s.code())
    };
    let mut tracked = git(&dir);
    // A file name is a path, never a pattern: `.env*` is one file.
    tracked
        .args(["--literal-pathspecs", "ls-files", "--error-unmatch", "--"])
        .arg(&file);
    match quiet(tracked) {
        Some(0) => return GitStatus::Tracked(root),
        Some(1) => {}
        _ => return GitStatus::Unknown(root),
    }
    // check-ignore reads its arguments as paths already (and refuses
    // pathspec magic).
    let mut ignored = git(&dir);
    ignored.args(["check-ignore", "-q", "--"]).arg(&file);
    match quiet(ignored) {
        Some(0) => GitStatus::Ignored,
        Some(1) => GitStatus::NotIgnored(root),
        _ => GitStatus::Unknown(root),
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
    /// The variables that decide what code runs the user allows in a shell
    /// or dotenv file, and how they allow one.
    pub allow: AllowVars<'a>,
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
            GitStatus::Tracked(root) => {
                return Err(Error::Refused(format!(
                    "{} is tracked by git in the work tree {}, so it is not ignored by git even if .gitignore lists it (a commit would take the values): stop tracking it (git rm --cached) and add it to .gitignore, or {force_hint}",
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

#[cfg(test)]
mod tests {
    use super::*;

    fn have_git() -> bool {
        Command::new("git").arg("--version").output().is_ok()
    }

    /// `git ARGS…` in `dir`; panics unless it succeeds.
    fn run_git(dir: &Path, args: &[&str]) {
        let ok = git(dir).args(args).status().expect("git").success();
        assert!(ok, "git {args:?}");
    }

    /// A fresh repository in a temp dir (canonical, so roots compare).
    fn repo() -> (tempfile::TempDir, PathBuf) {
        let tmp = tempfile::tempdir().expect("tmp");
        let root = tmp.path().canonicalize().expect("canon").join("repo");
        std::fs::create_dir(&root).expect("mkdir");
        run_git(&root, &["init", "-q", "."]);
        (tmp, root)
    }

    #[test]
    fn fail_a_tracked_file_that_gitignore_also_matches_is_refused() {
        if !have_git() {
            return;
        }
        let (_tmp, root) = repo();
        let env = root.join(".env");
        std::fs::write(&env, "OLD=committed\n").expect("write");
        run_git(&root, &["add", ".env"]);
        // Ignoring it afterwards does not untrack it.
        std::fs::write(root.join(".gitignore"), ".env\n").expect("gitignore");
        assert_eq!(git_status(&env), GitStatus::Tracked(root.clone()));
        let e = write_env_file(&env, "KEY=live\n", false).expect_err("tracked");
        assert!(matches!(e, Error::Refused(_)), "{e}");
        assert!(e.to_string().contains("tracked by git"), "{e}");
        assert!(e.to_string().contains("--force"), "{e}");
        assert_eq!(
            std::fs::read_to_string(&env).expect("read"),
            "OLD=committed\n"
        );
        // Forcing still writes it.
        write_env_file(&env, "KEY=live\n", true).expect("forced");
        assert_eq!(std::fs::read_to_string(&env).expect("read"), "KEY=live\n");
    }

    #[test]
    fn fail_a_path_through_a_symlinked_folder_into_a_work_tree_is_refused() {
        if !have_git() {
            return;
        }
        let (tmp, root) = repo();
        std::fs::create_dir(root.join("app")).expect("mkdir");
        let link = tmp.path().join("elsewhere");
        std::os::unix::fs::symlink(root.join("app"), &link).expect("symlink");
        let through = link.join(".env");
        assert_eq!(git_status(&through), GitStatus::NotIgnored(root.clone()));
        let e = write_env_file(&through, "KEY=live\n", false).expect_err("in a work tree");
        assert!(e.to_string().contains("not ignored by git"), "{e}");
        assert!(!root.join("app/.env").exists());

        // Once ignored, the same path is written (into the work tree).
        std::fs::write(root.join(".gitignore"), ".env\n").expect("gitignore");
        write_env_file(&through, "KEY=live\n", false).expect("ignored");
        assert!(root.join("app/.env").exists());
    }

    #[test]
    fn ignored_untracked_files_and_files_outside_a_work_tree_are_written() {
        if !have_git() {
            return;
        }
        let (tmp, root) = repo();
        std::fs::write(root.join(".gitignore"), ".env*\n").expect("gitignore");
        // A name with pattern characters is one file, not a pattern.
        let star = root.join(".env*");
        assert_eq!(git_status(&star), GitStatus::Ignored);
        assert_eq!(git_status(&root.join(".env.local")), GitStatus::Ignored);
        assert_eq!(
            git_status(&root.join("config")),
            GitStatus::NotIgnored(root.clone())
        );
        let out = tmp.path().join(".env");
        assert_eq!(git_status(&out), GitStatus::NotInRepo);
        write_env_file(&out, "KEY=v\n", false).expect("outside");
        // A tracked file named like a pattern does not make every match tracked.
        std::fs::write(root.join("tracked*"), "x").expect("write");
        run_git(&root, &["add", "-f", "tracked*"]);
        std::fs::write(root.join(".gitignore"), ".env*\ntracked*\n").expect("gitignore");
        assert_eq!(
            git_status(&root.join("tracked*")),
            GitStatus::Tracked(root.clone())
        );
        assert_eq!(git_status(&root.join("trackedX")), GitStatus::Ignored);
    }
}
