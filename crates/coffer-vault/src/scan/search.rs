//! Searching listed files (or git blobs) with a [`Matcher`], shared by
//! `coffer scan` and the desktop app's "Scan a folder": the findings (one
//! per place and credential, never a value), counts, progress that another
//! thread can read, and cancellation between and within files.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use serde::Serialize;

use super::{Blob, Encoding, Matcher, Scanner};
use crate::error::Result;

/// One place a value was found: where, whose, which version, how spelled.
/// Never the value or any part of it.
#[derive(Clone, Debug, Serialize)]
pub struct Finding {
    /// File path (or the path in the index / history).
    pub path: String,
    /// 1-based line.
    pub line: u64,
    /// Byte offset in the file.
    pub offset: u64,
    /// History: the blob.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub blob: Option<String>,
    /// History: the commits that added or removed the blob, newest first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub commits: Option<Vec<String>>,
    /// `PROJECT/ENV/KEY`.
    pub credential: String,
    /// The version whose value was found.
    pub version: u64,
    /// Whether that version is the current one of a live credential.
    pub current: bool,
    /// What that version is: `current`, `old`, `waiting` (in a sync
    /// conflict) or `deleted`.
    pub state: super::ValueState,
    /// How the value was written there.
    pub encoding: Encoding,
    /// Index of the [`super::Target`] in the matcher's targets.
    #[serde(skip)]
    pub target: usize,
}

/// How far a search is, readable from another thread while it runs; and
/// the way to stop it ([`Progress::cancel`]).
#[derive(Debug, Default)]
pub struct Progress {
    files_total: AtomicU64,
    files_done: AtomicU64,
    bytes: AtomicU64,
    cancel: AtomicBool,
}

impl Progress {
    /// Asks the search to stop: it ends within one read chunk.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    /// Whether [`Progress::cancel`] was called.
    pub fn cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// `(files done, files in all, bytes read)`.
    pub fn snapshot(&self) -> (u64, u64, u64) {
        (
            self.files_done.load(Ordering::Relaxed),
            self.files_total.load(Ordering::Relaxed),
            self.bytes.load(Ordering::Relaxed),
        )
    }

    /// Sets how many files there are to read.
    pub fn set_total(&self, n: u64) {
        self.files_total.store(n, Ordering::Relaxed);
    }
}

/// What a search found and read.
#[derive(Debug, Default)]
pub struct Searched {
    /// One per place and credential, sorted by place.
    pub findings: Vec<Finding>,
    /// Files (or blobs) read to the end.
    pub files: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Files that could not be opened.
    pub unreadable: Vec<String>,
    /// Stopped by [`Progress::cancel`] before the end (what was found so
    /// far is kept).
    pub cancelled: bool,
}

/// A reader that counts what it reads into the progress and fails once
/// the search is cancelled (the scanner then stops within a chunk).
struct Counted<'a, R> {
    inner: R,
    progress: &'a Progress,
}

impl<R: Read> Read for Counted<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.progress.cancelled() {
            return Err(std::io::Error::other("scan cancelled"));
        }
        let n = self.inner.read(buf)?;
        self.progress.bytes.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// Searches one stream, adding a finding per credential the pattern found
/// stands for. `Ok(None)`: cancelled meanwhile.
fn search_one(
    s: &mut Scanner<'_>,
    m: &Matcher,
    progress: &Progress,
    path: &str,
    blob: Option<&str>,
    r: &mut dyn Read,
    out: &mut Vec<Finding>,
) -> Result<Option<u64>> {
    let reader = Counted { inner: r, progress };
    let found = s.scan(reader, |h| {
        for &(t, encoding) in m.sources(h.pattern) {
            let Some(target) = m.target(t) else { continue };
            out.push(Finding {
                path: path.to_string(),
                line: h.line,
                offset: h.offset,
                blob: blob.map(str::to_string),
                commits: None,
                credential: format!("{}/{}", target.env, target.key),
                version: target.version,
                current: target.current(),
                state: target.state,
                encoding,
                target: t,
            });
        }
    });
    match found {
        Ok(n) => Ok(Some(n)),
        Err(_) if progress.cancelled() => Ok(None),
        Err(e) => Err(e),
    }
}

/// Searches `files` (as [`super::walk`] lists them), naming each by
/// `name(path)` in the findings. A file that cannot be opened is counted
/// in `unreadable`; a cancelled search returns what it found so far.
pub fn search_files(
    m: &Matcher,
    files: &[PathBuf],
    name: impl Fn(&Path) -> String,
    progress: &Progress,
) -> Result<Searched> {
    let mut out = Searched::default();
    progress.set_total(files.len() as u64);
    if m.is_empty() {
        return Ok(out);
    }
    let mut scanner = m.scanner(super::CHUNK_BYTES);
    for f in files {
        if progress.cancelled() {
            out.cancelled = true;
            break;
        }
        match std::fs::File::open(f) {
            Ok(mut file) => {
                let shown = name(f);
                let r = search_one(
                    &mut scanner,
                    m,
                    progress,
                    &shown,
                    None,
                    &mut file,
                    &mut out.findings,
                )?;
                let Some(n) = r else {
                    out.cancelled = true;
                    break;
                };
                out.bytes += n;
                out.files += 1;
            }
            Err(_) => out.unreadable.push(name(f)),
        }
        progress.files_done.fetch_add(1, Ordering::Relaxed);
    }
    dedup(&mut out.findings);
    Ok(out)
}

/// Searches git blobs of the repository at `repo` (as [`super::staged_blobs`]
/// or [`super::history_blobs`] list them); with `history`, each finding
/// names its blob.
pub fn search_blobs(
    m: &Matcher,
    repo: &Path,
    blobs: &[Blob],
    history: bool,
    progress: &Progress,
) -> Result<Searched> {
    let mut out = Searched::default();
    progress.set_total(blobs.len() as u64);
    if m.is_empty() || blobs.is_empty() {
        return Ok(out);
    }
    let mut scanner = m.scanner(super::CHUNK_BYTES);
    super::read_blobs(repo, blobs, |i, r| {
        let b = &blobs[i];
        let blob = history.then_some(b.oid.as_str());
        let n = search_one(
            &mut scanner,
            m,
            progress,
            &b.path,
            blob,
            r,
            &mut out.findings,
        )?;
        progress.files_done.fetch_add(1, Ordering::Relaxed);
        out.bytes += n.unwrap_or(0);
        out.files += 1;
        Ok(())
    })?;
    dedup(&mut out.findings);
    Ok(out)
}

/// One finding per place and credential (two credentials with the same
/// value are one pattern, found once for each), in order of place.
fn dedup(findings: &mut Vec<Finding>) {
    findings.sort_by(|a, b| {
        (&a.path, &a.blob, a.offset, a.target, a.encoding)
            .cmp(&(&b.path, &b.blob, b.offset, b.target, b.encoding))
    });
    findings.dedup_by(|b, a| {
        (&a.path, &a.blob, a.offset, a.target) == (&b.path, &b.blob, b.offset, b.target)
    });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scan::{Target, ValueSet};
    use coffer_crypto::{Id, SecretString};

    fn matcher(value: &str) -> Matcher {
        let mut set = ValueSet::default();
        let t = set.add_target(Target {
            env: "web/prod".into(),
            key: "API_KEY".into(),
            version: 2,
            state: crate::scan::ValueState::Current,
            item_id: Id::make(),
            exposed: false,
        });
        set.add_value(t, &SecretString::new(value.into()));
        Matcher::build(set).expect("build")
    }

    #[test]
    fn finds_counts_and_reports_progress() {
        let dir = tempfile::tempdir().expect("tmp");
        let v = "sk_live_search_0123456789";
        std::fs::write(dir.path().join("a.env"), format!("X=1\nKEY={v}\n")).expect("w");
        std::fs::write(dir.path().join("b.txt"), "nothing here\n").expect("w");
        let files = vec![dir.path().join("a.env"), dir.path().join("b.txt")];
        let p = Progress::default();
        let name = |f: &Path| f.file_name().map(|n| n.to_string_lossy().into_owned());
        let s =
            search_files(&matcher(v), &files, |f| name(f).unwrap_or_default(), &p).expect("search");
        assert_eq!((s.files, s.cancelled), (2, false));
        assert_eq!(s.findings.len(), 1);
        let f = &s.findings[0];
        assert_eq!((f.path.as_str(), f.line, f.version), ("a.env", 2, 2));
        assert_eq!(f.credential, "web/prod/API_KEY");
        let (done, total, bytes) = p.snapshot();
        assert_eq!((done, total), (2, 2));
        assert_eq!(bytes, s.bytes);
    }

    #[test]
    fn a_cancelled_search_stops_and_says_so() {
        let dir = tempfile::tempdir().expect("tmp");
        let files: Vec<PathBuf> = (0..5)
            .map(|i| {
                let f = dir.path().join(format!("{i}.txt"));
                std::fs::write(&f, "x".repeat(100)).expect("w");
                f
            })
            .collect();
        let p = Progress::default();
        p.cancel();
        let s =
            search_files(&matcher("0123456789ab"), &files, |_| String::new(), &p).expect("search");
        assert!(s.cancelled);
        assert_eq!(s.files, 0);
    }
}
