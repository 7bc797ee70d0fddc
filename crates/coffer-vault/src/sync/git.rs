//! A git remote as a sync transport, through the user's own `git` (their
//! SSH keys and credential helpers work as for any repository).
//!
//! The device keeps a clone in `COFFER_HOME/sync/<vault id>` on branch
//! `main`. A sync fetches, rebases this device's unpushed commits (which
//! only add files of its own feed, so they never conflict) onto the
//! remote, reads the work tree as a sync folder, commits this device's new
//! entries and pushes fast-forward only. A rejected push (someone pushed
//! meanwhile) fetches, re-applies and retries; nothing is ever forced. A
//! remote rewritten by force is read like any folder: the rewritten feeds
//! fail their checks and are quarantined, and this device republishes its
//! own entries.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use crate::error::{Error, Result};

const BRANCH: &str = "main";

/// The clone of `vault_hex`'s remote.
pub(crate) fn clone_dir(home: &Path, vault_hex: &str) -> PathBuf {
    home.join("sync").join(vault_hex)
}

/// Where `join` clones a remote before it knows the vault id.
pub(crate) fn staging_dir(home: &Path) -> PathBuf {
    home.join("sync").join("joining")
}

fn git(dir: &Path) -> Command {
    let mut c = crate::envfile::git(dir);
    // Machine-made commits in a machine-kept clone: no hooks, no signing
    // prompt, a fixed identity when the user has none configured.
    c.args([
        "-c",
        "core.hooksPath=/dev/null",
        "-c",
        "commit.gpgsign=false",
        "-c",
        "core.autocrlf=false",
        // A remote named by a teammate or typed in the app never runs a
        // command through git's `ext::` transport.
        "-c",
        "protocol.ext.allow=never",
        // What the remote's tree holds is written as plain files: a
        // symbolic link committed there (a feed folder pointing outside
        // the clone) becomes a file holding the link's text, which the
        // folder's checks refuse (attack review 13).
        "-c",
        "core.symlinks=false",
        // No file-system monitor command, whatever configuration says.
        "-c",
        "core.fsmonitor=false",
    ]);
    c.env("GIT_TERMINAL_PROMPT", "0");
    c
}

fn run(dir: &Path, args: &[&str]) -> Result<Output> {
    let out = git(dir)
        .args(args)
        .output()
        .map_err(|e| Error::io("running git (is it installed?)", e))?;
    Ok(out)
}

fn must(dir: &Path, args: &[&str]) -> Result<Output> {
    let out = run(dir, args)?;
    if out.status.success() {
        Ok(out)
    } else {
        Err(failed(args, &out))
    }
}

fn failed(args: &[&str], out: &Output) -> Error {
    Error::Refused(format!(
        "git {} failed: {}",
        args.first().copied().unwrap_or(""),
        last_line(&out.stderr)
    ))
}

/// git's last line of `stderr`, escaped to show (it may quote what a
/// remote server sent, which must not drive the terminal).
fn last_line(stderr: &[u8]) -> String {
    let msg = String::from_utf8_lossy(stderr);
    let line = msg
        .lines()
        .map(str::trim)
        .rfind(|l| !l.is_empty())
        .unwrap_or("no message");
    super::folder::printable(line)
}

/// Attributes of this clone, above those of any `.gitattributes` the
/// remote's tree holds (`$GIT_DIR/info/attributes` takes precedence):
/// no filter, no end-of-line or encoding conversion. A remote can then
/// not route Coffer's checkouts and commits through a filter driver the
/// user configured (git-lfs installs one), nor have the bytes of an entry
/// changed on the way (attack review 13).
const CLONE_ATTRIBUTES: &str = "* -filter -text -eol -ident -working-tree-encoding\n";

fn pin_attributes(dir: &Path) -> Result<()> {
    let info = dir.join(".git").join("info");
    std::fs::create_dir_all(&info)
        .map_err(|e| Error::io(format!("creating {}", info.display()), e))?;
    let p = info.join("attributes");
    if std::fs::read(&p).is_ok_and(|b| b == CLONE_ATTRIBUTES.as_bytes()) {
        return Ok(());
    }
    crate::paths::write_atomic(&p, CLONE_ATTRIBUTES.as_bytes())
}

/// A remote git would read as an option (`--upload-pack=…`), or with
/// control characters, is refused before git sees it.
pub(crate) fn check_url(url: &str) -> Result<()> {
    if url.trim().is_empty() || url.starts_with('-') || url.chars().any(char::is_control) {
        return Err(Error::InvalidInput(format!(
            "{:?} is not a git remote: give a URL (ssh://, https://, git@host:path) or the path of a bare repository",
            url.chars().filter(|c| !c.is_control()).collect::<String>()
        )));
    }
    Ok(())
}

/// Makes `dir` a clone of `url` on `main`, up to date with the remote,
/// keeping this device's commits not pushed yet.
pub(crate) fn prepare(dir: &Path, url: &str) -> Result<()> {
    check_url(url)?;
    if !dir.join(".git").exists() {
        crate::paths::ensure_private_dir(dir.parent().unwrap_or(dir))?;
        std::fs::create_dir_all(dir)
            .map_err(|e| Error::io(format!("creating {}", dir.display()), e))?;
        must(dir, &["init", "-q"])?;
        must(
            dir,
            &["symbolic-ref", "HEAD", &format!("refs/heads/{BRANCH}")],
        )?;
        must(dir, &["remote", "add", "origin", url])?;
        std::fs::write(dir.join(".gitattributes"), "*.op binary\n")
            .map_err(|e| Error::io("writing .gitattributes", e))?;
    } else {
        let cur = must(dir, &["remote", "get-url", "origin"])?;
        if String::from_utf8_lossy(&cur.stdout).trim() != url {
            must(dir, &["remote", "set-url", "origin", url])?;
        }
    }
    pin_attributes(dir)?;
    must(dir, &["fetch", "-q", "origin"])?;
    let remote_ref = format!("refs/remotes/origin/{BRANCH}");
    let has_remote = run(dir, &["rev-parse", "-q", "--verify", &remote_ref])?
        .status
        .success();
    if !has_remote {
        return Ok(());
    }
    let has_local = run(dir, &["rev-parse", "-q", "--verify", "HEAD"])?
        .status
        .success();
    if !has_local {
        must(dir, &["reset", "-q", "--hard", &remote_ref])?;
        return Ok(());
    }
    // A rebase writes commits: it needs an identity as a commit does (a
    // machine with none failed here, and the sync stalled, whenever the
    // remote had moved under this device's unpushed entries, or was
    // rewritten: attack review 13).
    let mut c = git(dir);
    c.args(["rebase", "-q", &remote_ref]);
    with_identity(dir, &mut c)?;
    let out = c.output().map_err(|e| Error::io("running git rebase", e))?;
    if !out.status.success() {
        let _ = run(dir, &["rebase", "--abort"]);
        return Err(Error::integrity(format!(
            "this device's unpushed entries conflict with the git remote (someone else wrote this device's feed): {}",
            last_line(&out.stderr)
        )));
    }
    Ok(())
}

/// Gives `c` (a command that writes commits) Coffer's fixed identity
/// when the user has none configured.
fn with_identity(dir: &Path, c: &mut Command) -> Result<()> {
    if run(dir, &["config", "user.email"])?.stdout.is_empty() {
        c.env("GIT_AUTHOR_NAME", "Coffer")
            .env("GIT_AUTHOR_EMAIL", "coffer@localhost")
            .env("GIT_COMMITTER_NAME", "Coffer")
            .env("GIT_COMMITTER_EMAIL", "coffer@localhost");
    }
    Ok(())
}

/// Why a push did not go through.
pub(crate) enum PushError {
    /// The remote moved on (fetch, re-apply, retry).
    Rejected,
    /// Anything else.
    Other(Error),
}

/// Commits what changed in the work tree and pushes it, fast-forward only.
pub(crate) fn push(dir: &Path, device_short: &str) -> std::result::Result<(), PushError> {
    let o = |e| PushError::Other(e);
    must(dir, &["add", "-A", "."]).map_err(o)?;
    let staged = run(dir, &["diff", "--cached", "--quiet"]).map_err(o)?;
    if !staged.status.success() {
        let msg = format!("coffer: entries of device {device_short}");
        let mut c = git(dir);
        c.args(["commit", "-q", "-m", &msg]);
        with_identity(dir, &mut c).map_err(o)?;
        let out = c
            .output()
            .map_err(|e| o(Error::io("running git commit", e)))?;
        if !out.status.success() {
            return Err(o(failed(&["commit"], &out)));
        }
    }
    let ahead = run(
        dir,
        &[
            "rev-list",
            "--count",
            &format!("refs/remotes/origin/{BRANCH}..HEAD"),
        ],
    )
    .map_err(o)?;
    let nothing = ahead.status.success() && String::from_utf8_lossy(&ahead.stdout).trim() == "0";
    if nothing {
        return Ok(());
    }
    let out = run(
        dir,
        &["push", "-q", "origin", &format!("HEAD:refs/heads/{BRANCH}")],
    )
    .map_err(o)?;
    if out.status.success() {
        return Ok(());
    }
    let err = String::from_utf8_lossy(&out.stderr);
    if err.contains("rejected") || err.contains("non-fast-forward") || err.contains("fetch first") {
        Err(PushError::Rejected)
    } else {
        Err(o(failed(&["push"], &out)))
    }
}

#[cfg(test)]
mod tests {
    use super::check_url;

    #[test]
    fn remotes_git_would_read_as_options_are_refused() {
        for bad in [
            "",
            "  ",
            "--upload-pack=touch /tmp/x",
            "-oProxyCommand=x",
            "a\nb",
            "x\0",
        ] {
            assert!(check_url(bad).is_err(), "{bad:?}");
        }
        for good in [
            "git@host:team/vault.git",
            "https://h/x.git",
            "/srv/vault.git",
            "ssh://h/x",
        ] {
            assert!(check_url(good).is_ok(), "{good:?}");
        }
    }

    #[test]
    fn network_remotes_name_their_host_local_ones_none() {
        use crate::sync::git_remote_host as host;
        for (url, h) in [
            ("git@github.com:team/vault.git", "github.com"),
            ("https://user@git.example.org/x.git", "git.example.org"),
            ("ssh://h:2222/x", "h:2222"),
            ("http://127.0.0.1:9/stolen.git", "127.0.0.1:9"),
            ("host:path", "host"),
        ] {
            assert_eq!(host(url).as_deref(), Some(h), "{url}");
        }
        for local in [
            "/srv/vault.git",
            "file:///srv/v.git",
            "./a:b",
            "team/vault.git",
            "rel",
        ] {
            assert_eq!(host(local), None, "{local}");
        }
    }
}
