//! "Scan a folder" and the hygiene panel (issue 12): the same
//! `coffer_vault::scan` walk, value set and search as `coffer scan PATH`,
//! and the same `Vault::mark_exposed` as `--mark exposed`; `coffer lint`'s
//! `Vault::lint`. Results name places and credentials, never a value.
//!
//! A scan runs in the command's own blocking thread (never the UI thread);
//! the vault is held only while the values are decrypted, so the window
//! keeps working, and `scan_progress` / `scan_cancel` read and stop it
//! through the session's [`ScanJob`] without waiting for anything.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use coffer_crypto::Id;
use coffer_vault::scan::{self, Matcher, Progress, WalkOptions};

use crate::dto::*;
use crate::error::{IpcError, IpcErrorCode, IpcResult};
use crate::session::Session;

/// At most this many places are listed per version found (all are counted).
pub const MAX_PLACES: usize = 200;

/// The session's scan: the one running (if any), and what the last one
/// found, which is all `scan_mark_exposed` may mark.
#[derive(Debug, Default)]
pub struct ScanJob {
    running: bool,
    phase: &'static str,
    progress: Arc<Progress>,
    /// `(PROJECT/ENV, item)` of every credential the last scan found.
    found: Vec<(String, Id)>,
}

impl ScanJob {
    /// On lock: a running scan stops, and its findings are forgotten.
    pub fn forget(&mut self) {
        self.progress.cancel();
        self.found.clear();
    }
}

fn job(s: &Session) -> std::sync::MutexGuard<'_, ScanJob> {
    s.scan.lock().unwrap_or_else(|p| p.into_inner())
}

fn set_phase(s: &Session, phase: &'static str) {
    job(s).phase = phase;
}

/// Scans a folder for every value the user can read (as `coffer scan
/// PATH`, with `--respect-gitignore` and `--current-only` as options);
/// resolves when it ends or is cancelled, grouped by credential.
pub fn scan_folder(s: &Session, a: ScanFolderArgs) -> IpcResult<ScanReportDto> {
    let folder = crate::picker::resolve(s, PickPurpose::ScanFolder, &a.path, "folder to scan")?;
    if !folder.is_dir() {
        return Err(IpcError::invalid(format!(
            "{} is not a folder",
            folder.display()
        )));
    }
    // Locked: say so before listing anything.
    s.with_vault(|_| Ok(()))?;
    let progress = {
        let mut j = job(s);
        if j.running {
            return Err(IpcError::new(
                IpcErrorCode::Conflict,
                "a scan is already running: wait for it to end or cancel it",
            ));
        }
        *j = ScanJob {
            running: true,
            phase: "listing",
            progress: Arc::new(Progress::default()),
            found: Vec::new(),
        };
        j.progress.clone()
    };
    let out = run(s, &folder, &a, &progress);
    // A lock while the scan ran cancelled it; what it found is not kept.
    let unlocked = s.is_unlocked();
    let mut j = job(s);
    j.running = false;
    j.phase = "done";
    if let (Ok((_, found)), true) = (&out, unlocked) {
        j.found = found.clone();
    }
    drop(j);
    let (report, _) = out?;
    crate::picker::spend(s, PickPurpose::ScanFolder, &a.path);
    Ok(report)
}

type Found = Vec<(String, Id)>;

fn run(
    s: &Session,
    folder: &Path,
    a: &ScanFolderArgs,
    progress: &Progress,
) -> IpcResult<(ScanReportDto, Found)> {
    let w = scan::walk(
        &[folder.to_path_buf()],
        WalkOptions {
            respect_gitignore: a.respect_gitignore,
        },
    )?;
    progress.set_total(w.files.len() as u64);
    let mut report = ScanReportDto {
        folder: folder.display().to_string(),
        files: 0,
        bytes: 0,
        values: 0,
        skipped_short: 0,
        unreadable: Vec::new(),
        unreadable_count: 0,
        not_in_git: !w.not_in_git.is_empty(),
        cancelled: progress.cancelled(),
        credentials: Vec::new(),
    };
    let rel = |p: &Path| p.strip_prefix(folder).unwrap_or(p).display().to_string();
    let mut unreadable: Vec<String> = w.unreadable.iter().map(|p| rel(p)).collect();
    if w.files.is_empty() || report.cancelled {
        report.unreadable_count = unreadable.len() as u64;
        unreadable.truncate(20);
        report.unreadable = unreadable;
        return Ok((report, Vec::new()));
    }
    set_phase(s, "reading");
    let values = s.with_vault(|v| v.scan_values(None, a.current_only))?;
    let matcher = Matcher::build(values)?;
    set_phase(s, "searching");
    let searched = scan::search_files(&matcher, &w.files, rel, progress)?;
    // The automaton holds copies of the values: gone before anything else.
    let targets = matcher.targets().to_vec();
    (report.values, report.skipped_short) = (matcher.values as u64, matcher.skipped_short as u64);
    drop(matcher);
    // Locked meanwhile (idle, screen lock): nothing goes to the window.
    s.with_vault(|_| Ok(()))?;
    unreadable.extend(searched.unreadable);
    report.unreadable_count = unreadable.len() as u64;
    unreadable.truncate(20);
    report.unreadable = unreadable;
    report.files = searched.files;
    report.bytes = searched.bytes;
    report.cancelled = searched.cancelled;

    // Grouped by credential (vault order), then version (newest first).
    // Keyed by the item too: a deleted credential may share its name with
    // a live one.
    let mut by_item: BTreeMap<(String, String, String), ScanCredentialDto> = BTreeMap::new();
    let mut found: Found = Vec::new();
    for f in &searched.findings {
        let Some(t) = targets.get(f.target) else {
            continue;
        };
        let c = by_item
            .entry((t.env.clone(), t.key.clone(), t.item_id.to_hex()))
            .or_insert_with(|| {
                found.push((t.env.clone(), t.item_id));
                ScanCredentialDto {
                    id: t.item_id.to_hex(),
                    env_path: t.env.clone(),
                    name: t.key.clone(),
                    exposed: t.exposed,
                    places: 0,
                    versions: Vec::new(),
                }
            });
        c.places += 1;
        let at = match c
            .versions
            .iter()
            .position(|v| v.version == t.version && v.state == t.state.as_str())
        {
            Some(i) => i,
            None => {
                c.versions.push(ScanVersionDto {
                    version: t.version,
                    current: t.current(),
                    state: t.state.as_str().to_string(),
                    places: Vec::new(),
                });
                c.versions.len() - 1
            }
        };
        let v = &mut c.versions[at];
        if v.places.len() < MAX_PLACES {
            v.places.push(ScanPlaceDto {
                path: f.path.clone(),
                line: f.line,
                encoding: f.encoding.as_str().to_string(),
            });
        }
    }
    report.credentials = by_item
        .into_values()
        .map(|mut c| {
            c.versions.sort_by_key(|v| std::cmp::Reverse(v.version));
            c
        })
        .collect();
    Ok((report, found))
}

/// Where the running (or last) scan is. Never waits for the vault.
pub fn scan_progress(s: &Session) -> IpcResult<ScanProgressDto> {
    let j = job(s);
    let (files_done, files_total, bytes) = j.progress.snapshot();
    Ok(ScanProgressDto {
        running: j.running,
        phase: if j.phase.is_empty() { "done" } else { j.phase }.to_string(),
        files_done,
        files_total,
        bytes,
    })
}

/// Stops the running scan (within one read chunk); `scan_folder` then
/// resolves with what was found so far, marked `cancelled`.
pub fn scan_cancel(s: &Session) -> IpcResult<()> {
    job(s).progress.cancel();
    Ok(())
}

/// Marks credentials the last scan found exposed (all of them, or those
/// in `ids`): the same signed `item.set` batch as `coffer scan
/// --mark exposed`; the rotation dashboard lists them next. Ids the last
/// scan did not find are refused: the window cannot mark others this way.
pub fn scan_mark_exposed(s: &Session, a: ScanMarkArgs) -> IpcResult<ScanMarkedDto> {
    let found = job(s).found.clone();
    if found.is_empty() {
        return Err(IpcError::new(
            IpcErrorCode::NotFound,
            "the last scan found nothing to mark: scan again",
        ));
    }
    let items: Vec<(String, Id)> = match a.ids {
        None => found,
        Some(ids) => {
            if let Some(stray) = ids
                .iter()
                .find(|id| !found.iter().any(|(_, f)| f.to_hex() == **id))
            {
                return Err(IpcError::invalid(format!(
                    "credential {stray} was not found by the last scan"
                )));
            }
            found
                .into_iter()
                .filter(|(_, f)| ids.contains(&f.to_hex()))
                .collect()
        }
    };
    let marked = s.with_vault(|v| v.mark_exposed(&items))?;
    Ok(ScanMarkedDto {
        marked: marked as u64,
    })
}

/// The findings of `coffer lint` (reused values, placeholders outside
/// development), naming credentials, never values.
pub fn hygiene_report(s: &Session, a: HygieneArgs) -> IpcResult<Vec<HygieneFindingDto>> {
    let scope = a.scope.as_deref().map(str::trim).filter(|x| !x.is_empty());
    let findings = s.with_vault(|v| v.lint(scope))?;
    Ok(findings.into_iter().map(Into::into).collect())
}

/// The largest example file read (names only are kept).
const MAX_EXAMPLE_BYTES: u64 = 1 << 20;

/// The environment's keys against an example file's (`coffer check`): the
/// keys missing, and those the example does not name. Names only: no
/// value is opened and no read is logged. The grant of a path chosen in
/// the dialog is kept (until lock), so the check can run again as the
/// environment changes.
pub fn check_example(s: &Session, a: CheckExampleArgs) -> IpcResult<ExampleCheckDto> {
    let path = crate::picker::resolve(s, PickPurpose::Example, &a.path, "example file")?;
    let len = std::fs::metadata(&path)
        .map_err(|e| {
            IpcError::new(
                IpcErrorCode::NotFound,
                format!("cannot read {}: {e}", path.display()),
            )
        })?
        .len();
    if len > MAX_EXAMPLE_BYTES {
        return Err(IpcError::new(
            IpcErrorCode::InvalidInput,
            format!(
                "{} is {len} bytes: an example file is at most 1 MiB",
                path.display()
            ),
        ));
    }
    let text = std::fs::read_to_string(&path).map_err(|e| {
        IpcError::new(
            IpcErrorCode::InvalidInput,
            format!("cannot read {} as text: {e}", path.display()),
        )
    })?;
    let c = s.with_vault(|v| v.check_example(&a.env, &text))?;
    Ok(ExampleCheckDto {
        example: path.display().to_string(),
        wanted: c.wanted.try_into().unwrap_or(u32::MAX),
        missing: c.missing,
        extra: c.extra,
    })
}
