//! `coffer scan` (files, the git index, history) and `coffer hook install
//! pre-commit`: presentation over `coffer_vault::scan`. A finding names a
//! place and a credential, never the value or any part of it.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};
use coffer_vault::scan::{self, Finding, Matcher, Target, WalkOptions};
use coffer_vault::{Error, Result, Vault};
use serde::Serialize;

use crate::{exit, output};

const SCAN_AFTER_HELP: &str = "\
Searches for every value you can read in the vault (every environment, every
version still in history: a rotation in Coffer does not revoke the old key at
the provider), and its base64 (standard and url-safe, with and without
padding), percent- and JSON-escaped forms. Values shorter than 8 bytes are
skipped and counted. Ignored files count too (.env files leak through
backups and images); --respect-gitignore narrows to what git would see.
Output names the place, PROJECT/ENV/KEY, the version and the encoding, never
the value. Exit 0: nothing found; 13: something found.

Examples:
  coffer scan                      # the current directory, ignored files too
  coffer scan ~/backups/site.tar   # any file, binary or not
  coffer scan --staged             # the git index (what the pre-commit hook runs)
  coffer scan --history --json     # every blob reachable from any ref
  coffer scan . --mark exposed     # and mark what was found exposed";

/// `coffer scan`.
#[derive(Args, Debug)]
#[command(after_help = SCAN_AFTER_HELP)]
pub struct ScanArgs {
    /// Files or directories (default: the current directory). With
    /// --staged or --history: the repository (one path).
    pub paths: Vec<PathBuf>,
    /// Scan the files staged in the git index (added or changed).
    #[arg(long, conflicts_with_all = ["history", "respect_gitignore"])]
    pub staged: bool,
    /// Scan every blob reachable in the repository's history (all refs).
    #[arg(long, conflicts_with = "respect_gitignore")]
    pub history: bool,
    /// Inside a git work tree, only files git would see (tracked, or
    /// untracked and not ignored).
    #[arg(long)]
    pub respect_gitignore: bool,
    /// PROJECT or PROJECT/ENV: only these credentials (default: all you can read).
    #[arg(long)]
    pub scope: Option<String>,
    /// Only current values (by default older versions count too).
    #[arg(long)]
    pub current_only: bool,
    /// `exposed`: mark every credential found exposed (needs write access).
    #[arg(long, value_name = "STATE")]
    pub mark: Option<String>,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
}

/// Hooks `coffer hook install` knows.
#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum HookKind {
    /// Blocks a commit whose staged files hold a vault value.
    PreCommit,
}

#[derive(Serialize)]
struct Report<'a> {
    findings: &'a [Finding],
    scanned_files: u64,
    scanned_bytes: u64,
    values: usize,
    skipped_short: usize,
    unreadable: Vec<String>,
    marked_exposed: usize,
}

/// Runs `coffer scan`; opens the vault with `open` only once there is
/// something to scan.
pub fn run(a: ScanArgs, open: impl FnOnce() -> Result<Vault>) -> Result<u8> {
    if let Some(m) = a.mark.as_deref() {
        if m != "exposed" {
            return Err(Error::InvalidInput(format!(
                "unknown --mark '{m}': the only state is exposed"
            )));
        }
    }
    let git_mode = a.staged || a.history;
    if git_mode && a.paths.len() > 1 {
        return Err(Error::InvalidInput(
            "--staged and --history take one repository path".into(),
        ));
    }
    let repo = a
        .paths
        .first()
        .cloned()
        .unwrap_or_else(|| PathBuf::from("."));
    // What to read, before unlocking: a commit with nothing to check
    // never asks for the vault.
    let (files, blobs, mut unreadable) = if git_mode {
        let blobs = if a.staged {
            scan::staged_blobs(&repo)?
        } else {
            scan::history_blobs(&repo)?
        };
        (Vec::new(), blobs, Vec::new())
    } else {
        let paths = if a.paths.is_empty() {
            vec![PathBuf::from(".")]
        } else {
            a.paths.clone()
        };
        let w = scan::walk(
            &paths,
            WalkOptions {
                respect_gitignore: a.respect_gitignore,
            },
        )?;
        for p in &w.not_in_git {
            eprintln!(
                "warning: {} is not in a git work tree: --respect-gitignore has nothing to respect there, every file is scanned",
                p.display()
            );
        }
        let unreadable: Vec<String> = w.unreadable.iter().map(|p| show(p)).collect();
        (w.files, Vec::new(), unreadable)
    };
    if files.is_empty() && blobs.is_empty() {
        if a.json {
            output::json(&Report {
                findings: &[],
                scanned_files: 0,
                scanned_bytes: 0,
                values: 0,
                skipped_short: 0,
                unreadable,
                marked_exposed: 0,
            })?;
        } else {
            eprintln!("Nothing to scan.");
        }
        return Ok(0);
    }
    let mut vault = open()?;
    let matcher = Matcher::build(vault.scan_values(a.scope.as_deref(), a.current_only)?)?;
    let (values, skipped_short) = (matcher.values, matcher.skipped_short);
    // The search itself is coffer-vault's (the app's "Scan a folder" runs
    // the same): one finding per place and credential, sorted by place.
    let progress = scan::Progress::default();
    let searched = if git_mode {
        scan::search_blobs(&matcher, &repo, &blobs, a.history, &progress)?
    } else {
        scan::search_files(&matcher, &files, show, &progress)?
    };
    let mut findings = searched.findings;
    let (n_files, bytes) = (searched.files, searched.bytes);
    unreadable.extend(searched.unreadable);
    // The automaton holds copies of the values: gone before anything else.
    let targets: Vec<Target> = matcher.targets().to_vec();
    drop(matcher);
    if a.history {
        let mut cache: std::collections::HashMap<String, Vec<String>> = Default::default();
        for f in &mut findings {
            if let Some(oid) = f.blob.clone() {
                if !cache.contains_key(&oid) {
                    let c = scan::blob_commits(&repo, &oid)?;
                    cache.insert(oid.clone(), c);
                }
                f.commits = cache.get(&oid).cloned();
            }
        }
    }
    let marking = if a.mark.is_some() && !findings.is_empty() {
        let items: Vec<(String, coffer_crypto::Id)> = findings
            .iter()
            .filter_map(|f| targets.get(f.target))
            .map(|t| (t.env.clone(), t.item_id))
            .collect();
        vault.mark_exposed(&items)
    } else {
        Ok(0)
    };
    // The findings are printed even when marking failed (a reader's
    // scan, say): then the error, and its exit code.
    let marked = *marking.as_ref().unwrap_or(&0);
    if a.json {
        output::json(&Report {
            findings: &findings,
            scanned_files: n_files,
            scanned_bytes: bytes,
            values,
            skipped_short,
            unreadable: unreadable.clone(),
            marked_exposed: marked,
        })?;
    } else {
        print_findings(&findings);
    }
    summary(
        n_files,
        bytes,
        values,
        skipped_short,
        &unreadable,
        &findings,
    );
    marking?;
    if a.mark.is_some() {
        eprintln!(
            "Marked {} exposed (already exposed ones unchanged): see `coffer rotation --exposed`.",
            coffer_vault::words::count(marked, "credential")
        );
    }
    Ok(if findings.is_empty() {
        0
    } else {
        exit::SCAN_FOUND
    })
}

fn show(p: &Path) -> String {
    let s = p.display().to_string();
    s.strip_prefix("./").map(str::to_string).unwrap_or(s)
}

fn print_findings(findings: &[Finding]) {
    let rows: Vec<Vec<String>> = findings
        .iter()
        .map(|f| {
            let place = match &f.commits {
                Some(c) => match c.last() {
                    Some(first) => format!(
                        "{} {}:{}{}",
                        &first[..first.len().min(12)],
                        f.path,
                        f.line,
                        if c.len() > 1 {
                            format!(" (+{} commits)", c.len() - 1)
                        } else {
                            String::new()
                        }
                    ),
                    None => format!("{}:{}", f.path, f.line),
                },
                None => format!("{}:{}", f.path, f.line),
            };
            vec![
                place,
                f.credential.clone(),
                format!("v{} ({})", f.version, f.state.as_str()),
                f.encoding.as_str().into(),
            ]
        })
        .collect();
    if !rows.is_empty() {
        output::table(&["where", "credential", "version", "encoding"], &rows);
    }
}

fn summary(
    files: u64,
    bytes: u64,
    values: usize,
    short: usize,
    unreadable: &[String],
    findings: &[Finding],
) {
    eprintln!(
        "Scanned {}, {:.1} MB, for {}; {short} shorter than {} bytes skipped.",
        coffer_vault::words::count(files, "file"),
        bytes as f64 / 1e6,
        coffer_vault::words::count(values, "value"),
        scan::MIN_VALUE_BYTES
    );
    if let Some(first) = unreadable.first() {
        eprintln!(
            "warning: {} could not be read (first: {first})",
            coffer_vault::words::count(unreadable.len(), "path")
        );
    }
    if findings.is_empty() {
        eprintln!("No vault values found.");
    } else {
        eprintln!(
            "Found {} of vault values: remove them, and rotate the credentials at the provider if they left this machine (--mark exposed marks them).",
            coffer_vault::words::count(findings.len(), "occurrence")
        );
    }
}

/// The first line of the hook Coffer writes (how it recognises its own).
const HOOK_MARK: &str = "# coffer-hook: pre-commit v1";

/// Quotes for a POSIX shell.
fn sh_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

fn hook_script(bin: &str, vault: Option<&Path>) -> String {
    let vault = vault
        .map(|v| format!(" --vault {}", sh_quote(&v.display().to_string())))
        .unwrap_or_default();
    format!(
        r#"#!/bin/sh
{HOOK_MARK} (installed by `coffer hook install pre-commit`)
# Blocks a commit whose staged files hold a value from your Coffer vault.
# A hook that was here before is pre-commit.local and runs first.
hookdir=$(dirname -- "$0")
if [ -x "$hookdir/pre-commit.local" ]; then
  "$hookdir/pre-commit.local" "$@" || exit $?
fi
coffer={bin}
[ -x "$coffer" ] || coffer=coffer
# Never a prompt here: the keychain (coffer keychain enable) or COFFER_PASSPHRASE.
COFFER_NO_PROMPT=1 "$coffer"{vault} scan --staged </dev/null
rc=$?
case $rc in
  0) exit 0 ;;
  13) echo "coffer: commit blocked: the staged files listed above hold values from your vault. Take them out (git restore --staged FILE), and if they were ever pushed, rotate them (coffer scan --staged --mark exposed marks them exposed)." >&2 ;;
  3|11) echo "coffer: commit blocked: the vault could not be unlocked without a prompt. Run 'coffer keychain enable' once (the hook then unlocks from the OS keychain) or set COFFER_PASSPHRASE for this commit; 'git commit --no-verify' skips the check." >&2 ;;
  4) echo "coffer: commit blocked: no Coffer identity or vault found (COFFER_HOME, COFFER_VAULT); 'git commit --no-verify' skips the check." >&2 ;;
  9) echo "coffer: commit blocked: the vault is busy (another coffer is using it); try again." >&2 ;;
  127) echo "coffer: commit blocked: the coffer binary was not found (reinstall the hook with 'coffer hook install pre-commit')." >&2 ;;
  *) echo "coffer: commit blocked: coffer scan --staged failed (exit $rc); 'git commit --no-verify' skips the check." >&2 ;;
esac
exit 1
"#,
        bin = sh_quote(bin),
    )
}

/// Runs `coffer hook install HOOK`: installs it where git runs hooks from.
pub fn hook(_hook: HookKind, repo: Option<PathBuf>, vault: Option<&Path>) -> Result<u8> {
    let repo = repo.unwrap_or_else(|| PathBuf::from("."));
    // Where git runs hooks from: core.hooksPath if set, else .git/hooks.
    let o = std::process::Command::new("git")
        .arg("-C")
        .arg(&repo)
        .args(["rev-parse", "--git-path", "hooks"])
        .stderr(std::process::Stdio::null())
        .output()
        .map_err(|e| Error::Refused(format!("cannot run git: {e}")))?;
    if !o.status.success() {
        return Err(Error::NotFound(format!(
            "a git repository at {}",
            repo.display()
        )));
    }
    let rel = String::from_utf8_lossy(&o.stdout).trim_end().to_string();
    let dir = if Path::new(&rel).is_absolute() {
        PathBuf::from(rel)
    } else {
        repo.join(rel)
    };
    let io = |what: &Path, e: std::io::Error| Error::Refused(format!("{}: {e}", what.display()));
    std::fs::create_dir_all(&dir).map_err(|e| io(&dir, e))?;
    let hook = dir.join("pre-commit");
    let local = dir.join("pre-commit.local");
    let bin = std::env::current_exe()
        .ok()
        .and_then(|p| p.to_str().map(str::to_string))
        .unwrap_or_else(|| "coffer".into());
    let vault = vault.map(|v| std::path::absolute(v).unwrap_or_else(|_| v.to_path_buf()));
    let mut chained = false;
    if let Ok(existing) = std::fs::read(&hook) {
        let ours = String::from_utf8_lossy(&existing).contains(HOOK_MARK);
        if !ours {
            if local.exists() {
                return Err(Error::Refused(format!(
                    "{} and {} both exist: Coffer keeps the existing hook as pre-commit.local, which is taken; merge them by hand, then run this again",
                    hook.display(),
                    local.display()
                )));
            }
            std::fs::rename(&hook, &local).map_err(|e| io(&hook, e))?;
            chained = true;
        }
    }
    let tmp = dir.join(".pre-commit.coffer-tmp");
    std::fs::write(&tmp, hook_script(&bin, vault.as_deref())).map_err(|e| io(&tmp, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&tmp, std::fs::Permissions::from_mode(0o755))
            .map_err(|e| io(&tmp, e))?;
    }
    std::fs::rename(&tmp, &hook).map_err(|e| io(&hook, e))?;
    eprintln!(
        "Installed the Coffer pre-commit hook at {}.",
        hook.display()
    );
    if chained {
        eprintln!(
            "The hook that was there is now {} and runs first.",
            local.display()
        );
    }
    eprintln!("It runs `coffer scan --staged` without a prompt: enable the keychain (`coffer keychain enable`) or set COFFER_PASSPHRASE.");
    Ok(0)
}

/// `coffer lint`.
#[derive(Args, Debug)]
#[command(
    after_help = "Checks current values: the same value in two environments or projects, \
    your own personal overrides included (values under 8 bytes are not compared); values \
    that look like placeholders (changeme, TODO, your_…, <…>, xxxx, example…) outside dev, \
    development, local, test and ci; and values generated with --generate that are shorter \
    than their environment's policy (coffer env policy --min-generated). Never prints a \
    value.\n\nExample (CI gate): coffer lint --fail-on reused,placeholder,short  # exit 14 if any"
)]
pub struct LintArgs {
    /// PROJECT or PROJECT/ENV (default: everything you can read).
    pub scope: Option<String>,
    /// Exit 14 if a finding of these kinds exists (reused, placeholder, short; comma-separated, or any).
    #[arg(long, value_name = "KINDS")]
    pub fail_on: Option<String>,
    /// JSON output.
    #[arg(long)]
    pub json: bool,
}

/// Runs `coffer lint`.
pub fn lint(a: LintArgs, open: impl FnOnce() -> Result<Vault>) -> Result<u8> {
    use coffer_vault::lint::LintKind;
    let fail_on: Vec<LintKind> = match a.fail_on.as_deref() {
        None => Vec::new(),
        Some("any") => vec![LintKind::Reused, LintKind::Placeholder, LintKind::Short],
        Some(list) => list
            .split(',')
            .map(|k| LintKind::parse(k.trim()))
            .collect::<Result<_>>()?,
    };
    let findings = open()?.lint(a.scope.as_deref())?;
    if a.json {
        output::json(&findings)?;
    } else if findings.is_empty() {
        eprintln!("No findings.");
    } else {
        let rows: Vec<Vec<String>> = findings
            .iter()
            .map(|f| {
                vec![
                    f.kind.as_str().to_string(),
                    f.credentials.join(", "),
                    f.detail.clone(),
                ]
            })
            .collect();
        output::table(&["finding", "credentials", "detail"], &rows);
    }
    Ok(if findings.iter().any(|f| fail_on.contains(&f.kind)) {
        exit::LINT_GATE
    } else {
        0
    })
}
