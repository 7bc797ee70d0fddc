//! What "Scan a folder" and the hygiene panel exchange: places, credential
//! names, versions and counts. Never a value, nor any part of one.

use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// `scan_folder`: the options of `coffer scan PATH`.
#[derive(Debug, Deserialize, TS)]
pub struct ScanFolderArgs {
    /// The folder: chosen with `pick_path` (purpose `scan_folder`) or
    /// typed (then inside home or the temporary folder).
    pub path: String,
    /// Inside a git work tree, only files git would see
    /// (`--respect-gitignore`); by default ignored files count too.
    pub respect_gitignore: bool,
    /// Only current values (`--current-only`); by default old versions,
    /// possibly still live at the provider, count too.
    pub current_only: bool,
}

/// Where a running scan is (polled by the UI while `scan_folder` runs).
#[derive(Clone, Debug, Default, Serialize, TS)]
pub struct ScanProgressDto {
    /// A scan is running.
    pub running: bool,
    /// `listing` (walking the folder), `reading` (decrypting the values to
    /// look for), `searching` (reading files), or `done`.
    pub phase: String,
    /// Files read so far.
    pub files_done: u64,
    /// Files to read (known once listing ended).
    pub files_total: u64,
    /// Bytes read so far.
    pub bytes: u64,
}

/// One place a value was found.
#[derive(Clone, Debug, Serialize, TS)]
pub struct ScanPlaceDto {
    /// The file, relative to the scanned folder.
    pub path: String,
    /// 1-based line.
    pub line: u64,
    /// How it was written there (`raw`, `base64`, `percent`, `json`…).
    pub encoding: String,
}

/// One version of a credential found, and where.
#[derive(Clone, Debug, Serialize, TS)]
pub struct ScanVersionDto {
    /// The version whose value was found.
    pub version: u64,
    /// Whether it is the current version (else an old one, which may
    /// still work at the provider).
    pub current: bool,
    /// `current`, `old`, `waiting` (beside the current one in an unresolved
    /// sync conflict) or `deleted` (of a deleted credential): all may still
    /// work at the provider.
    pub state: String,
    /// Where, in order of path and line.
    pub places: Vec<ScanPlaceDto>,
}

/// One credential with findings.
#[derive(Clone, Debug, Serialize, TS)]
pub struct ScanCredentialDto {
    /// The item's id (hex): what `scan_mark_exposed` takes.
    pub id: String,
    /// `PROJECT/ENV`.
    pub env_path: String,
    /// Key name.
    pub name: String,
    /// Already marked exposed before this scan.
    pub exposed: bool,
    /// Places in all.
    pub places: u64,
    /// The versions found, current first, then newest first.
    pub versions: Vec<ScanVersionDto>,
}

/// The outcome of `scan_folder`, grouped by credential.
#[derive(Clone, Debug, Serialize, TS)]
pub struct ScanReportDto {
    /// The folder scanned (resolved).
    pub folder: String,
    /// Files read.
    pub files: u64,
    /// Bytes read.
    pub bytes: u64,
    /// Values searched for (each with its encodings).
    pub values: u64,
    /// Values shorter than 8 bytes, not searched.
    pub skipped_short: u64,
    /// Files or folders that could not be read (at most 20 named).
    pub unreadable: Vec<String>,
    /// How many could not be read in all.
    pub unreadable_count: u64,
    /// `respect_gitignore` was asked outside a git work tree: every file
    /// was scanned.
    pub not_in_git: bool,
    /// Stopped by `scan_cancel`: what was found until then.
    pub cancelled: bool,
    /// The credentials found, in vault order (`PROJECT/ENV/KEY`).
    pub credentials: Vec<ScanCredentialDto>,
}

/// `scan_mark_exposed`: credentials of the last scan to mark exposed.
#[derive(Debug, Deserialize, TS)]
pub struct ScanMarkArgs {
    /// Item ids from the last scan's report; `null`: every one it found.
    pub ids: Option<Vec<String>>,
}

/// What `scan_mark_exposed` did.
#[derive(Clone, Debug, Serialize, TS)]
pub struct ScanMarkedDto {
    /// Newly marked exposed (already exposed ones are left as they are).
    pub marked: u64,
}

/// `hygiene_report`.
#[derive(Debug, Deserialize, TS)]
pub struct HygieneArgs {
    /// `PROJECT` or `PROJECT/ENV`; `null`: everything you can read.
    pub scope: Option<String>,
}

/// A credential a hygiene finding is about.
#[derive(Clone, Debug, Serialize, TS)]
pub struct HygieneCredentialDto {
    /// `PROJECT/ENV`.
    pub env_path: String,
    /// Key name.
    pub name: String,
    /// Whether it is your own personal override of that key (not the
    /// shared credential).
    pub personal_override: bool,
}

/// One finding of `coffer lint`.
#[derive(Clone, Debug, Serialize, TS)]
pub struct HygieneFindingDto {
    /// `reused` (one value in several environments or projects),
    /// `placeholder` (looks like one, outside development) or `short` (a
    /// generated value shorter than its environment's policy).
    pub kind: String,
    /// The credentials concerned.
    pub credentials: Vec<HygieneCredentialDto>,
    /// What is wrong, in words (no value).
    pub detail: String,
}

impl From<coffer_vault::lint::LintFinding> for HygieneFindingDto {
    fn from(f: coffer_vault::lint::LintFinding) -> Self {
        Self {
            kind: f.kind.as_str().to_string(),
            credentials: f
                .credentials
                .iter()
                .map(|c| {
                    // `PROJECT/ENV/KEY`: a key name never holds a `/`.
                    let (c, personal_override) =
                        match c.strip_suffix(coffer_vault::lint::OVERRIDE_SUFFIX) {
                            Some(c) => (c, true),
                            None => (c.as_str(), false),
                        };
                    let (env, name) = c.rsplit_once('/').unwrap_or(("", c));
                    HygieneCredentialDto {
                        env_path: env.to_string(),
                        name: name.to_string(),
                        personal_override,
                    }
                })
                .collect(),
            detail: f.detail,
        }
    }
}

/// `check_example`: an environment against an example file.
#[derive(Debug, Deserialize, TS)]
pub struct CheckExampleArgs {
    /// `PROJECT/ENV`.
    pub env: String,
    /// The example file (`.env.example`): chosen in the dialog, or typed
    /// (then inside home or the temporary folder).
    pub path: String,
}

/// What `check_example` found: names only.
#[derive(Clone, Debug, Serialize, TS)]
pub struct ExampleCheckDto {
    /// The file read (its full path).
    pub example: String,
    /// How many keys it names.
    pub wanted: u32,
    /// Keys it names that the environment lacks, in the file's order.
    pub missing: Vec<String>,
    /// Keys the environment has that it does not name, sorted.
    pub extra: Vec<String>,
}

#[cfg(test)]
mod tests {
    use super::HygieneFindingDto;
    use coffer_vault::lint::{LintFinding, LintKind, OVERRIDE_SUFFIX};

    /// Your own override in a reuse finding is marked as such, under the
    /// key's own name (so "open" finds the shared credential).
    #[test]
    fn a_personal_override_in_a_finding_is_marked_and_named_by_its_key() {
        let dto = HygieneFindingDto::from(LintFinding {
            kind: LintKind::Reused,
            credentials: vec![
                format!("web/dev/DATABASE_URL{OVERRIDE_SUFFIX}"),
                "web/prod/DATABASE_URL".into(),
            ],
            detail: "the same value in 2 environments".into(),
        });
        let creds: Vec<(&str, &str, bool)> = dto
            .credentials
            .iter()
            .map(|c| (c.env_path.as_str(), c.name.as_str(), c.personal_override))
            .collect();
        assert_eq!(
            creds,
            [
                ("web/dev", "DATABASE_URL", true),
                ("web/prod", "DATABASE_URL", false)
            ]
        );
    }
}
