//! Native file dialogs for the commands that take a file from the window
//! (export, the exposure report, "open a vault"), shown from Rust: the web
//! view is granted no dialog permission, only the app's `pick_path`
//! command (capabilities/main.json).
//!
//! A typed path is confined to the user's home and temporary folders
//! (`coffer_vault::paths::app_path`: a compromised front end must not
//! choose where Rust writes). A path the user chose in the native dialog
//! is the exception: `pick_path` records it as a one-time grant for that
//! purpose, and the command that then receives exactly that path may use
//! it wherever it is. The web view cannot make a grant; it can only ask
//! for the dialog, which the user answers. A grant is spent by the
//! command that succeeds with it, kept if the command failed (so "tick
//! Replace and try again" works), and forgotten on lock. A grant holds
//! the path as the file system resolved it when the user chose it
//! (symlinks followed, `..` resolved): the command's path must resolve
//! to that same file, so a symlink swapped between the choice and the
//! write does not carry the grant somewhere else.
//!
//! Test seam: debug builds started with `COFFER_TEST_PICKS=FILE` answer
//! every dialog from FILE instead of showing one ([`scripted`]): its first
//! line is the chosen path (empty or missing: cancelled), and the request
//! is written to `FILE.asked` (purpose, title, folder, file name, filters)
//! for the test to check. Release builds ignore the variable. Under Xvfb
//! the GTK dialog cannot be driven by WebDriver; this is how the
//! end-to-end test goes through the flow.

use std::path::{Path, PathBuf};

use coffer_vault::paths::{app_path, confine, typed_path};

use crate::dto::PickPurpose;
use crate::error::IpcResult;
use crate::session::Session;

/// What a dialog is for and how it starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PickRequest {
    /// The command the path is for.
    pub purpose: PickPurpose,
    /// A save dialog (`true`) or an open dialog.
    pub save: bool,
    /// An open dialog that chooses a folder rather than a file.
    pub folder: bool,
    /// The dialog's title.
    pub title: &'static str,
    /// The folder it opens in.
    pub directory: Option<PathBuf>,
    /// The proposed file name (save dialogs).
    pub file_name: Option<String>,
    /// `(name, extensions)` filters, the first one selected.
    pub filters: Vec<(&'static str, Vec<&'static str>)>,
}

/// Shows a dialog; `None` when the user cancelled.
pub type PathPicker = Box<dyn Fn(&PickRequest) -> Option<PathBuf> + Send + Sync>;

/// At most this many unused grants are kept (the oldest goes first).
const MAX_GRANTS: usize = 8;

/// Paths chosen in the native dialog and not yet used, each as the file
/// system resolved it at the choice ([`canonical`]).
#[derive(Default)]
pub struct Grants(Vec<(PickPurpose, PathBuf)>);

impl Grants {
    fn add(&mut self, purpose: PickPurpose, path: PathBuf) {
        self.0.retain(|(p, q)| !(*p == purpose && *q == path));
        if self.0.len() == MAX_GRANTS {
            self.0.remove(0);
        }
        self.0.push((purpose, path));
    }

    fn has(&self, purpose: PickPurpose, path: &Path) -> bool {
        self.0.iter().any(|(p, q)| *p == purpose && q == path)
    }

    fn spend(&mut self, purpose: PickPurpose, path: &Path) {
        self.0.retain(|(p, q)| !(*p == purpose && q == path));
    }

    /// Forgets every grant (on lock).
    pub fn clear(&mut self) {
        self.0.clear();
    }
}

/// The dialog for `purpose`, starting from what the window's field holds
/// (`current`: a file name or a full path, possibly empty).
pub fn request(purpose: PickPurpose, current: Option<&str>) -> PickRequest {
    let current = current.map(str::trim).filter(|c| !c.is_empty());
    let typed = current.and_then(|c| typed_path(c, "file").ok());
    let home = std::env::var_os("HOME")
        .filter(|h| !h.is_empty())
        .map(PathBuf::from);
    // A full path: its folder (if it exists) and name; a bare name: home.
    let (directory, name) = match (&typed, current) {
        (Some(p), _) => (
            p.parent().filter(|d| d.is_dir()).map(Path::to_path_buf),
            p.file_name().map(|n| n.to_string_lossy().into_owned()),
        ),
        (None, Some(c)) if !c.contains('/') => (None, Some(c.to_string())),
        _ => (None, None),
    };
    let directory = directory.or(home);
    let ext = name
        .as_deref()
        .and_then(|n| Path::new(n).extension())
        .map(|e| e.to_string_lossy().to_lowercase());
    match purpose {
        PickPurpose::Export => PickRequest {
            purpose,
            save: true,
            folder: false,
            title: "Export the environment to",
            directory,
            file_name: Some(name.unwrap_or_else(|| ".env".into())),
            filters: match ext.as_deref() {
                Some("json") => vec![("JSON", vec!["json"]), ("All files", vec!["*"])],
                Some("sh") => vec![("Shell scripts", vec!["sh"]), ("All files", vec!["*"])],
                _ => Vec::new(),
            },
        },
        PickPurpose::Report => PickRequest {
            purpose,
            save: true,
            folder: false,
            title: "Save the exposure report as",
            directory,
            file_name: Some(name.unwrap_or_else(|| "exposure-report.md".into())),
            filters: match ext.as_deref() {
                Some("csv") => vec![("CSV", vec!["csv"]), ("All files", vec!["*"])],
                _ => vec![("Markdown", vec!["md"]), ("All files", vec!["*"])],
            },
        },
        PickPurpose::OpenVault => PickRequest {
            purpose,
            save: false,
            folder: false,
            title: "Open a Coffer vault",
            directory,
            file_name: None,
            filters: vec![("Coffer vaults", vec!["coffer"]), ("All files", vec!["*"])],
        },
        // The field holds a folder: start in it (else its parent, else home).
        PickPurpose::ScanFolder => PickRequest {
            purpose,
            save: false,
            folder: true,
            title: "Scan a folder for vault values",
            directory: typed
                .as_deref()
                .filter(|p| p.is_dir())
                .map(Path::to_path_buf)
                .or(directory),
            file_name: None,
            filters: Vec::new(),
        },
        PickPurpose::Example => PickRequest {
            purpose,
            save: false,
            folder: false,
            title: "Check against an example file",
            directory,
            file_name: None,
            filters: vec![
                ("Example files", vec!["example", "sample", "template"]),
                ("All files", vec!["*"]),
            ],
        },
    }
}

/// Shows the dialog for `purpose` and records the chosen path as a
/// one-time grant; `None` when cancelled.
pub fn pick(
    s: &Session,
    purpose: PickPurpose,
    current: Option<&str>,
) -> IpcResult<Option<PathBuf>> {
    let req = request(purpose, current);
    let Some(path) = s.pick(&req)? else {
        return Ok(None);
    };
    // A dialog returns absolute paths; anything else is not a choice.
    if !path.is_absolute() {
        return Ok(None);
    }
    let resolved = canonical(&path)?;
    s.picked
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .add(purpose, resolved);
    Ok(Some(path))
}

/// `path` as the file system resolves it now (the file if it exists,
/// else its folder and name), anywhere: what a grant holds and what a
/// command's path is compared with.
fn canonical(path: &Path) -> IpcResult<PathBuf> {
    Ok(confine(path, &[PathBuf::from("/")], "file")?)
}

/// The path a command was given, resolved as the file system sees it
/// (symlinks, `..`): one the user chose in the dialog for this purpose is
/// used wherever it is; a typed one only inside home and the temporary
/// folder (a `permission` error otherwise). Call [`spend`] once the
/// command succeeded.
pub fn resolve(s: &Session, purpose: PickPurpose, typed: &str, what: &str) -> IpcResult<PathBuf> {
    let path = typed_path(typed, what)?;
    // Resolved with the whole file system as the root, and used only if
    // it is the very file the user chose (resolved then).
    if let Ok(resolved) = canonical(&path) {
        let granted = s
            .picked
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .has(purpose, &resolved);
        if granted {
            return Ok(resolved);
        }
    }
    Ok(app_path(typed, what)?)
}

/// Uses up the grant for `typed` (if it was chosen in the dialog).
pub fn spend(s: &Session, purpose: PickPurpose, typed: &str) {
    if let Some(path) = typed_path(typed, "file")
        .ok()
        .and_then(|p| canonical(&p).ok())
    {
        s.picked
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .spend(purpose, &path);
    }
}

/// The test seam (debug builds, `COFFER_TEST_PICKS=FILE`): answers each
/// dialog with the first line of `file` (empty or missing: cancelled) and
/// writes the request to `FILE.asked`.
pub fn scripted(file: PathBuf) -> PathPicker {
    Box::new(move |req| {
        let asked = format!(
            "purpose={}\nsave={}\nfolder={}\ntitle={}\ndirectory={}\nfile_name={}\nfilters={}\n",
            req.purpose.as_str(),
            req.save,
            req.folder,
            req.title,
            req.directory
                .as_deref()
                .map(Path::display)
                .map(|d| d.to_string())
                .unwrap_or_default(),
            req.file_name.clone().unwrap_or_default(),
            req.filters
                .iter()
                .map(|(n, e)| format!("{n}:{}", e.join(",")))
                .collect::<Vec<_>>()
                .join(";"),
        );
        // Written whole, then renamed: a test polling for it never reads
        // a half-written (or just truncated) request.
        let mut log = file.clone().into_os_string();
        log.push(".asked");
        let mut partial = log.clone();
        partial.push(".partial");
        if let Err(e) =
            std::fs::write(&partial, asked).and_then(|()| std::fs::rename(&partial, &log))
        {
            eprintln!("coffer-desktop: test picker: {e}");
        }
        let answer = std::fs::read_to_string(&file).ok()?;
        let line = answer.lines().next()?.trim();
        (!line.is_empty()).then(|| PathBuf::from(line))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn requests_propose_a_name_a_folder_and_filters() {
        let dir = tempfile::tempdir().expect("tmp");
        let full = dir.path().join("acme.csv");
        let r = request(PickPurpose::Report, Some(&full.display().to_string()));
        assert!(r.save);
        assert_eq!(r.directory.as_deref(), Some(dir.path()));
        assert_eq!(r.file_name.as_deref(), Some("acme.csv"));
        assert_eq!(r.filters[0], ("CSV", vec!["csv"]));

        let r = request(PickPurpose::Report, Some("bob-exposure.md"));
        assert_eq!(r.file_name.as_deref(), Some("bob-exposure.md"));
        assert_eq!(r.filters[0], ("Markdown", vec!["md"]));

        let r = request(PickPurpose::Export, None);
        assert_eq!(r.file_name.as_deref(), Some(".env"));
        assert!(r.filters.is_empty(), "a .env has no extension to filter on");

        let r = request(
            PickPurpose::ScanFolder,
            Some(&dir.path().display().to_string()),
        );
        assert!(r.folder && !r.save);
        assert_eq!(
            r.directory.as_deref(),
            Some(dir.path()),
            "starts in the folder typed"
        );

        let r = request(PickPurpose::OpenVault, Some(""));
        assert!(!r.save);
        assert_eq!(r.file_name, None);
        assert_eq!(r.filters[0], ("Coffer vaults", vec!["coffer"]));

        // A folder that does not exist is not proposed.
        let r = request(PickPurpose::Export, Some("/no/such/dir/.env"));
        assert_ne!(r.directory.as_deref(), Some(Path::new("/no/such/dir")));
        assert_eq!(r.file_name.as_deref(), Some(".env"));
    }

    #[test]
    fn grants_are_per_purpose_and_path_and_bounded() {
        let mut g = Grants::default();
        let a = PathBuf::from("/srv/a.env");
        g.add(PickPurpose::Export, a.clone());
        assert!(g.has(PickPurpose::Export, &a));
        assert!(!g.has(PickPurpose::Report, &a), "another purpose");
        assert!(!g.has(PickPurpose::Export, Path::new("/srv/b.env")));
        g.spend(PickPurpose::Export, &a);
        assert!(!g.has(PickPurpose::Export, &a), "one time");
        for i in 0..(MAX_GRANTS + 3) {
            g.add(PickPurpose::Export, PathBuf::from(format!("/srv/{i}")));
        }
        assert_eq!(g.0.len(), MAX_GRANTS);
        assert!(
            !g.has(PickPurpose::Export, Path::new("/srv/0")),
            "the oldest went"
        );
        g.clear();
        assert!(g.0.is_empty());
    }

    #[test]
    fn the_scripted_picker_answers_from_its_file_and_records_the_request() {
        let dir = tempfile::tempdir().expect("tmp");
        let file = dir.path().join("picks");
        let p = scripted(file.clone());
        let req = request(PickPurpose::OpenVault, None);
        assert_eq!(p(&req), None, "no file: cancelled");
        std::fs::write(&file, "/srv/team/acme.coffer\n").expect("write");
        assert_eq!(p(&req), Some(PathBuf::from("/srv/team/acme.coffer")));
        let asked = std::fs::read_to_string(dir.path().join("picks.asked")).expect("asked");
        assert!(asked.contains("purpose=open_vault"), "{asked}");
        assert!(
            asked.contains("filters=Coffer vaults:coffer;All files:*"),
            "{asked}"
        );
        std::fs::write(&file, "\n").expect("write");
        assert_eq!(p(&req), None, "empty: cancelled");
    }
}
