//! Sync and joining: what the sidebar's sync state, the Sync screen, the
//! join flow and the conflict dialog exchange with Rust.

use coffer_vault::sync::folder::Descriptor;
use coffer_vault::sync::{describe, Rejected, Remote, SyncReport, SyncStatus};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

use super::HistoryDto;

/// Where a team's feeds travel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RemoteKind {
    /// A shared folder (network share, Syncthing, Dropbox).
    Folder,
    /// A git remote: a URL or the path of a bare repository.
    Git,
}

/// A sync remote as the user typed it.
#[derive(Clone, Debug, Deserialize, TS)]
pub struct RemoteArgs {
    /// Folder or git.
    pub kind: RemoteKind,
    /// The folder's full path, or the git URL / bare repository path.
    pub location: String,
}

/// `join_vault`: the remote, and the owner fingerprint the user compared
/// (the join is refused if the remote now names another owner).
#[derive(Clone, Debug, Deserialize, TS)]
pub struct JoinArgs {
    /// Where the feeds are.
    pub remote: RemoteArgs,
    /// The owner's fingerprint, as shown by `join_preview` and confirmed.
    pub owner_fingerprint: String,
}

/// What a sync folder says about its vault, for the user to confirm
/// before joining. The owner's fingerprint comes from the signed genesis
/// entry, not from the folder's (unsigned) descriptor.
#[derive(Clone, Debug, Serialize, TS)]
pub struct JoinPreviewDto {
    /// The team name.
    pub vault_name: String,
    /// The vault id (hex).
    pub vault_id: String,
    /// The founding owner's fingerprint, to compare out of band.
    pub owner_fingerprint: String,
}

impl From<Descriptor> for JoinPreviewDto {
    fn from(d: Descriptor) -> Self {
        Self {
            vault_name: d.name,
            vault_id: d.vault_id,
            owner_fingerprint: d.owner_fingerprint,
        }
    }
}

/// One feed (a device's signed entries) as this device sees it.
#[derive(Clone, Debug, Serialize, TS)]
pub struct FeedDto {
    /// The device id (hex).
    pub device: String,
    /// This device's own feed.
    pub mine: bool,
    /// Members who signed its entries.
    pub authors: Vec<String>,
    /// Entries applied here.
    pub applied: u64,
    /// Entries in the sync folder.
    pub in_folder: u64,
    /// Entries refused (with their reasons in the audit log).
    pub denied: u64,
    /// When its last applied entry was written (unix seconds).
    pub last_op_at: Option<i64>,
    /// Why the feed is quarantined, if it is.
    pub quarantined: Option<String>,
}

/// An entry another device sent that this device refused, and why.
#[derive(Clone, Debug, Serialize, TS)]
pub struct RejectedDto {
    /// The device id (hex) of its feed.
    pub device: String,
    /// Its position in that feed.
    pub seq: u64,
    /// Who signed it.
    pub author: String,
    /// What it tried to do.
    pub kind: String,
    /// Why it was refused.
    pub reason: String,
}

impl From<Rejected> for RejectedDto {
    fn from(r: Rejected) -> Self {
        Self {
            device: r.device,
            seq: r.seq,
            author: r.author,
            kind: r.kind,
            reason: r.reason,
        }
    }
}

/// The sync state the sidebar and the Sync screen show.
#[derive(Clone, Debug, Default, Serialize, TS)]
pub struct SyncStateDto {
    /// The vault syncs (set up here, or joined).
    pub configured: bool,
    /// Folder or git, when configured.
    pub kind: Option<RemoteKind>,
    /// The remote, for people ("folder /mnt/team", "git git@host:team").
    pub remote: Option<String>,
    /// The folder (or the git clone) on this machine.
    pub folder: Option<String>,
    /// When this device last synced (unix seconds).
    pub last_sync: Option<i64>,
    /// This device's entries not yet published.
    pub pending: u64,
    /// Entries from other devices refused here.
    pub rejected: u64,
    /// Feeds quarantined for tampering.
    pub quarantined: u32,
    /// Every feed.
    pub feeds: Vec<FeedDto>,
}

impl From<SyncStatus> for SyncStateDto {
    fn from(s: SyncStatus) -> Self {
        Self {
            configured: true,
            kind: Some(match s.remote {
                Remote::Folder(_) => RemoteKind::Folder,
                Remote::Git(_) => RemoteKind::Git,
            }),
            remote: Some(describe(&s.remote)),
            folder: Some(s.folder.display().to_string()),
            last_sync: s.last_sync,
            pending: s.pending,
            rejected: s.feeds.iter().filter(|f| !f.mine).map(|f| f.denied).sum(),
            quarantined: s
                .feeds
                .iter()
                .filter(|f| f.quarantined.is_some())
                .count()
                .try_into()
                .unwrap_or(u32::MAX),
            feeds: s
                .feeds
                .into_iter()
                .map(|f| FeedDto {
                    device: f.device,
                    mine: f.mine,
                    authors: f.authors,
                    applied: f.applied,
                    in_folder: f.in_folder,
                    denied: f.denied,
                    last_op_at: f.last_op_at,
                    quarantined: f.quarantined,
                })
                .collect(),
        }
    }
}

/// What one sync did, with the state after it.
#[derive(Clone, Debug, Serialize, TS)]
pub struct SyncOutcomeDto {
    /// Entries read from other devices' feeds.
    pub received: u64,
    /// Of those, applied.
    pub applied: u64,
    /// Of those, refused, with why.
    pub denied: Vec<RejectedDto>,
    /// This device's entries published.
    pub published: u64,
    /// Feeds quarantined by this sync (tampering), with why.
    pub quarantined: Vec<String>,
    /// Entries waiting for an earlier one (not applied yet).
    pub held_back: Vec<String>,
    /// Things the user should know (stray files, repaired entries).
    pub warnings: Vec<String>,
    /// The state after the sync.
    pub state: SyncStateDto,
}

impl SyncOutcomeDto {
    /// The report of one sync and the state after it.
    pub fn new(r: SyncReport, state: SyncStateDto) -> Self {
        let n = |x: usize| u64::try_from(x).unwrap_or(u64::MAX);
        let mut warnings = r.warnings;
        if r.resealed > 0 {
            warnings.push(format!(
                "re-sealed {} a teammate wrote under a key an offboarding replaced; they are marked exposed: rotate them",
                coffer_vault::words::count(r.resealed, "value")
            ));
        }
        if r.rekeyed > 0 {
            warnings.push(format!(
                "re-keyed {} a removed member could still open (two offboardings crossed)",
                coffer_vault::words::count(r.rekeyed, "environment")
            ));
        }
        if r.resigned > 0 {
            warnings.push(format!(
                "signed again {} whose sender may no longer vouch for {} (a lowered access crossed an unshare)",
                coffer_vault::words::count(r.resigned, "share"),
                if r.resigned == 1 { "it" } else { "them" }
            ));
        }
        Self {
            received: n(r.received),
            applied: n(r.applied),
            denied: r.denied.into_iter().map(RejectedDto::from).collect(),
            published: n(r.published),
            quarantined: r.quarantined,
            held_back: r.held_back,
            warnings,
            state,
        }
    }
}

/// `item_conflicts`: a credential, and whether to show the values (logged).
#[derive(Clone, Debug, Deserialize, TS)]
pub struct ConflictArgs {
    /// `PROJECT/ENV`.
    pub env: String,
    /// Key name.
    pub name: String,
    /// Include the values (a logged history read).
    pub reveal: bool,
}

/// One side of a conflict, with its value only when revealed.
#[derive(Debug, Serialize, TS)]
pub struct ConflictVersionDto {
    /// Who wrote it, when.
    pub version: HistoryDto,
    /// The value, only when asked for.
    #[ts(type = "string | null")]
    pub value: Option<super::Plaintext>,
}

/// A credential's current version and the versions written concurrently
/// with it (oldest first): the user keeps one.
#[derive(Debug, Serialize, TS)]
pub struct ConflictsDto {
    /// The version the vault shows now.
    pub current: ConflictVersionDto,
    /// The concurrent versions waiting beside it (1-based `keep` order).
    pub waiting: Vec<ConflictVersionDto>,
}

/// `resolve_conflict`: keep the current version (`keep: null`) or the
/// n-th waiting one (1-based).
#[derive(Clone, Debug, Deserialize, TS)]
pub struct ResolveArgs {
    /// `PROJECT/ENV`.
    pub env: String,
    /// Key name.
    pub name: String,
    /// Which waiting version to keep; `null` keeps the current one.
    pub keep: Option<u32>,
}

/// This device's public identity, to send to a team's admin (who adds it
/// with `member add`) before joining.
#[derive(Clone, Debug, Serialize, TS)]
pub struct PublicIdentityDto {
    /// The whole public identity string (`coffer identity show`).
    pub public: String,
    /// Its fingerprint, to compare out of band.
    pub fingerprint: String,
}

/// What `rebuild_vault` did.
#[derive(Clone, Debug, Serialize, TS)]
pub struct RebuildOutcomeDto {
    /// Where the app stands now (unlocked).
    pub status: super::AppStatus,
    /// The replica did not open and was rebuilt from the sync folder
    /// (false: it opened and was only replayed).
    pub rebuilt: bool,
    /// Where the replica that did not open was moved.
    pub moved_aside: Option<String>,
    /// This device's offline changes kept from it.
    pub salvaged: u64,
    /// Its entries that did not verify and were dropped (never published).
    pub dropped: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unsynced() -> SyncStateDto {
        SyncStateDto {
            configured: false,
            kind: None,
            remote: None,
            folder: None,
            last_sync: None,
            pending: 0,
            rejected: 0,
            quarantined: 0,
            feeds: Vec::new(),
        }
    }

    #[test]
    fn a_sync_that_re_keyed_environments_says_so_in_plain_words() {
        let quiet = SyncOutcomeDto::new(SyncReport::default(), unsynced());
        assert!(quiet.warnings.is_empty(), "{:?}", quiet.warnings);
        for (n, want) in [
            (1, "re-keyed 1 environment a"),
            (3, "re-keyed 3 environments a"),
        ] {
            let r = SyncReport {
                rekeyed: n,
                ..SyncReport::default()
            };
            let out = SyncOutcomeDto::new(r, unsynced());
            assert_eq!(out.warnings.len(), 1, "{:?}", out.warnings);
            assert!(out.warnings[0].starts_with(want), "{:?}", out.warnings);
            assert!(
                out.warnings[0].contains("removed member"),
                "{:?}",
                out.warnings
            );
        }
    }
}
