//! What a scan reads: files under a path, the git index, every blob of a
//! repository's history. Git is the user's own `git` binary (no library):
//! `ls-files` for `--respect-gitignore` and the index, `rev-list --objects`
//! for history, and one `cat-file --batch` process streaming the blobs.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::error::{Error, Result};

/// How [`walk`] chooses files.
#[derive(Clone, Copy, Debug, Default)]
pub struct WalkOptions {
    /// Only files git would consider (tracked, or untracked and not
    /// ignored) where a path is inside a work tree.
    pub respect_gitignore: bool,
}

/// What [`walk`] found besides the files.
#[derive(Debug, Default)]
pub struct WalkOutcome {
    /// Regular files to read.
    pub files: Vec<PathBuf>,
    /// Entries skipped: symbolic links (not followed, so nothing is read
    /// twice or outside the tree), sockets, FIFOs, devices.
    pub skipped_special: usize,
    /// Paths that could not be listed (permission denied…).
    pub unreadable: Vec<PathBuf>,
    /// Paths where `--respect-gitignore` had no work tree to respect.
    pub not_in_git: Vec<PathBuf>,
}

fn git(dir: &Path) -> Command {
    let mut c = Command::new("git");
    c.arg("-C").arg(dir).stdin(Stdio::null());
    c
}

fn git_err(what: &str, e: std::io::Error) -> Error {
    Error::io(format!("running git ({what})"), e)
}

/// The top of the work tree `dir` is in, if any.
pub fn git_toplevel(dir: &Path) -> Option<PathBuf> {
    let out = git(dir)
        .args(["rev-parse", "--show-toplevel"])
        .stderr(Stdio::null())
        .output()
        .ok()?;
    if !out.status.success() {
        return None;
    }
    let s = String::from_utf8(out.stdout).ok()?;
    Some(PathBuf::from(s.trim_end_matches('\n')))
}

/// Every regular file under `paths` (a file is itself). Ignored files
/// count unless `opts.respect_gitignore`; `.git/objects` is skipped (its
/// contents are compressed: `--history` reads them).
pub fn walk(paths: &[PathBuf], opts: WalkOptions) -> Result<WalkOutcome> {
    let mut out = WalkOutcome::default();
    for p in paths {
        let md = std::fs::symlink_metadata(p).map_err(|e| {
            if e.kind() == std::io::ErrorKind::NotFound {
                Error::NotFound(p.display().to_string())
            } else {
                Error::io(p.display().to_string(), e)
            }
        })?;
        if md.is_file() {
            out.files.push(p.clone());
            continue;
        }
        if !md.is_dir() {
            out.skipped_special += 1;
            continue;
        }
        if opts.respect_gitignore {
            if git_toplevel(p).is_some() {
                let o = git(p)
                    .args(["ls-files", "-z", "-c", "-o", "--exclude-standard"])
                    .output()
                    .map_err(|e| git_err("ls-files", e))?;
                if !o.status.success() {
                    return Err(Error::Refused(format!(
                        "git ls-files failed in {}",
                        p.display()
                    )));
                }
                for name in o.stdout.split(|&b| b == 0).filter(|n| !n.is_empty()) {
                    let f = p.join(bytes_path(name));
                    match std::fs::symlink_metadata(&f) {
                        Ok(m) if m.is_file() => out.files.push(f),
                        // Deleted in the work tree but still in the index.
                        Err(_) => {}
                        Ok(_) => out.skipped_special += 1,
                    }
                }
                continue;
            }
            out.not_in_git.push(p.clone());
        }
        walk_dir(p, &mut out);
    }
    Ok(out)
}

#[cfg(unix)]
fn bytes_path(b: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(b))
}

#[cfg(not(unix))]
fn bytes_path(b: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(b).into_owned())
}

fn walk_dir(dir: &Path, out: &mut WalkOutcome) {
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let rd = match std::fs::read_dir(&d) {
            Ok(rd) => rd,
            Err(_) => {
                out.unreadable.push(d);
                continue;
            }
        };
        let mut entries: Vec<_> = rd.filter_map(|e| e.ok()).collect();
        entries.sort_by_key(|e| e.file_name());
        for e in entries.into_iter().rev() {
            let path = e.path();
            match e.file_type() {
                Ok(t) if t.is_dir() => {
                    let compressed =
                        e.file_name() == "objects" && d.file_name().is_some_and(|n| n == ".git");
                    if !compressed {
                        stack.push(path);
                    }
                }
                Ok(t) if t.is_file() => out.files.push(path),
                Ok(_) => out.skipped_special += 1,
                Err(_) => out.unreadable.push(path),
            }
        }
    }
    // Depth-first order reversed twice: files come out in name order.
    out.files.sort();
}

/// One blob to scan from git.
#[derive(Clone, Debug)]
pub struct Blob {
    /// Object id.
    pub oid: String,
    /// A path it is (or was) at.
    pub path: String,
}

/// The blobs of the files staged in the index of the repository at `dir`
/// (added, copied, modified, renamed or type-changed against `HEAD`).
pub fn staged_blobs(dir: &Path) -> Result<Vec<Blob>> {
    let o = git(dir)
        .args([
            "diff",
            "--cached",
            "--name-only",
            "-z",
            "--no-renames",
            "--diff-filter=ACMRT",
        ])
        .output()
        .map_err(|e| git_err("diff --cached", e))?;
    if !o.status.success() {
        return Err(Error::Refused(format!(
            "{} is not inside a git work tree (git diff --cached failed)",
            dir.display()
        )));
    }
    let changed: std::collections::HashSet<&[u8]> = o
        .stdout
        .split(|&b| b == 0)
        .filter(|n| !n.is_empty())
        .collect();
    if changed.is_empty() {
        return Ok(Vec::new());
    }
    let top = git_toplevel(dir).unwrap_or_else(|| dir.to_path_buf());
    let ls = git(&top)
        .args(["ls-files", "-s", "-z"])
        .output()
        .map_err(|e| git_err("ls-files -s", e))?;
    let mut out = Vec::new();
    // "<mode> <oid> <stage>\t<path>\0"
    for rec in ls.stdout.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let Some(tab) = rec.iter().position(|&b| b == b'\t') else {
            continue;
        };
        let (head, path) = (&rec[..tab], &rec[tab + 1..]);
        if !changed.contains(path) {
            continue;
        }
        let mut f = head.split(|&b| b == b' ');
        let (mode, oid) = (f.next().unwrap_or_default(), f.next().unwrap_or_default());
        // Submodules (160000) are commits, not blobs.
        if mode == b"160000" {
            continue;
        }
        out.push(Blob {
            oid: String::from_utf8_lossy(oid).into_owned(),
            path: String::from_utf8_lossy(path).into_owned(),
        });
    }
    Ok(out)
}

/// Every blob reachable from any ref of the repository at `dir`, once
/// each, with the first path `rev-list` names it by.
pub fn history_blobs(dir: &Path) -> Result<Vec<Blob>> {
    let o = git(dir)
        .args([
            "rev-list",
            "--objects",
            "--all",
            "--filter=object:type=blob",
        ])
        .output()
        .map_err(|e| git_err("rev-list", e))?;
    if !o.status.success() {
        return Err(Error::Refused(format!(
            "{} is not inside a git repository (git rev-list failed)",
            dir.display()
        )));
    }
    let text = String::from_utf8_lossy(&o.stdout);
    Ok(text
        .lines()
        .filter_map(|l| {
            let (oid, path) = l.split_once(' ')?;
            Some(Blob {
                oid: oid.to_string(),
                path: path.to_string(),
            })
        })
        .collect())
}

/// The commits (newest first) that added or removed blob `oid`, from
/// every ref.
pub fn blob_commits(dir: &Path, oid: &str) -> Result<Vec<String>> {
    let o = git(dir)
        .args(["log", "--all", "--format=%H"])
        .arg(format!("--find-object={oid}"))
        .output()
        .map_err(|e| git_err("log --find-object", e))?;
    Ok(String::from_utf8_lossy(&o.stdout)
        .lines()
        .map(str::to_string)
        .collect())
}

/// Streams the contents of `blobs` through one `git cat-file --batch`,
/// calling `each(index, reader over that blob)` in order.
pub fn read_blobs(
    dir: &Path,
    blobs: &[Blob],
    mut each: impl FnMut(usize, &mut dyn Read) -> Result<()>,
) -> Result<()> {
    let mut child = git(dir)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|e| git_err("cat-file --batch", e))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| Error::Database("git cat-file: no stdin".into()))?;
    let ids: Vec<String> = blobs.iter().map(|b| b.oid.clone()).collect();
    // Written on a thread: git answers while we ask, and both pipes fill.
    let writer = std::thread::spawn(move || {
        for id in ids {
            if writeln!(stdin, "{id}").is_err() {
                break;
            }
        }
    });
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| Error::Database("git cat-file: no stdout".into()))?;
    let mut r = BufReader::with_capacity(1 << 16, stdout);
    let bad = || Error::Refused("git cat-file --batch answered something unexpected".into());
    let mut result = Ok(());
    for i in 0..blobs.len() {
        let mut header = String::new();
        if r.read_line(&mut header)
            .map_err(|e| git_err("cat-file", e))?
            == 0
        {
            result = Err(bad());
            break;
        }
        // "<oid> <type> <size>" or "<oid> missing".
        let mut f = header.split_whitespace();
        let (_, kind, size) = (f.next(), f.next(), f.next());
        let Some(size) = size.and_then(|s| s.parse::<u64>().ok()) else {
            continue;
        };
        let mut body = (&mut r).take(size);
        if kind == Some("blob") {
            if let Err(e) = each(i, &mut body) {
                result = Err(e);
                break;
            }
        }
        std::io::copy(&mut body, &mut std::io::sink()).map_err(|e| git_err("cat-file", e))?;
        let mut nl = [0u8; 1];
        r.read_exact(&mut nl).map_err(|e| git_err("cat-file", e))?;
    }
    drop(r);
    let _ = child.kill();
    let _ = child.wait();
    let _ = writer.join();
    result
}
