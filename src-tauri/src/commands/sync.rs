//! Sync, joining a team vault and resolving conflicts: each command checks
//! its arguments and calls one `coffer-vault` function. The sync itself
//! (fetch, verify, apply, publish) is the vault's; the window decides when
//! (on open, after a change, on a timer, on "Sync now").

use coffer_vault::paths::typed_path;
use coffer_vault::sync::Remote;
use coffer_vault::{Error, ErrorKind, Vault};

use crate::dto::*;
use crate::error::{IpcError, IpcErrorCode, IpcResult};
use crate::session::{Session, Unlocked};

use super::{app_status, key_name};

/// The remote the window names. A git remote that reaches the network is
/// contacted only once the user confirmed it in a native dialog (outside
/// the web view): the window's own word is not enough, or a compromised
/// page could name a host of its choosing and make git carry what it read
/// (a revealed value, in the URL) past the CSP.
fn remote(s: &Session, a: &RemoteArgs) -> IpcResult<Remote> {
    Ok(match a.kind {
        RemoteKind::Folder => Remote::Folder(typed_path(&a.location, "sync folder")?),
        RemoteKind::Git => {
            let url = a.location.trim();
            coffer_vault::sync::check_git_remote(url)?;
            if let Some(host) = coffer_vault::sync::git_remote_host(url) {
                if !s.confirm_remote(&host, url) {
                    return Err(IpcError::new(
                        IpcErrorCode::Conflict,
                        format!("the connection to {host} was not confirmed; nothing was sent"),
                    ));
                }
            }
            Remote::Git(url.to_string())
        }
    })
}

/// Fingerprints compare on their letters and digits only (grouping and
/// case are presentation).
fn same_fingerprint(a: &str, b: &str) -> bool {
    let norm = |s: &str| {
        s.chars()
            .filter(char::is_ascii_alphanumeric)
            .map(|c| c.to_ascii_lowercase())
            .collect::<String>()
    };
    !norm(a).is_empty() && norm(a) == norm(b)
}

fn state_of(v: &Vault) -> coffer_vault::Result<SyncStateDto> {
    match v.sync_status() {
        Ok(s) => Ok(s.into()),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(SyncStateDto::default()),
        Err(e) => Err(e),
    }
}

/// The sync state for the sidebar (not configured: `configured: false`).
pub fn sync_state(s: &Session) -> IpcResult<SyncStateDto> {
    s.with_vault(|v| state_of(v))
}

/// Fetches, verifies and applies the other devices' new entries, then
/// publishes this device's (and pushes, for git).
pub fn sync_now(s: &Session) -> IpcResult<SyncOutcomeDto> {
    s.with_vault(|v| {
        let r = v.sync()?;
        Ok(SyncOutcomeDto::new(r, state_of(v)?))
    })
}

/// Moves the open vault to sync through a folder or a git remote
/// (`coffer sync init`); teammates then join.
pub fn sync_setup(s: &Session, a: RemoteArgs) -> IpcResult<SyncOutcomeDto> {
    let r = remote(s, &a)?;
    s.with_vault(|v| {
        let rep = v.sync_init(r)?;
        Ok(SyncOutcomeDto::new(rep, state_of(v)?))
    })
}

/// What joining through `remote` would pin, for the user to compare the
/// owner's fingerprint out of band. Needs the unlocked identity and no
/// open vault; nothing is written.
pub fn join_preview(s: &Session, a: RemoteArgs) -> IpcResult<JoinPreviewDto> {
    let r = remote(s, &a)?;
    match s.state().as_ref() {
        Some(Unlocked::Identity(_)) => {}
        Some(Unlocked::Vault(_)) => return Err(vault_open()),
        None => return Err(IpcError::locked()),
    }
    Ok(Vault::preview_join(&s.home, &r)?.into())
}

fn vault_open() -> IpcError {
    IpcError::new(
        IpcErrorCode::Conflict,
        "a vault is already open: lock the app first",
    )
}

/// Joins a team vault: builds this device's private replica at the
/// session's vault path from the feeds, verifying every entry back to the
/// genesis, if the remote still names the owner the user confirmed. On
/// failure nothing is left behind and the identity stays unlocked.
pub fn join_vault(s: &Session, a: JoinArgs) -> IpcResult<AppStatus> {
    let r = remote(s, &a.remote)?;
    if a.owner_fingerprint.trim().is_empty() {
        return Err(IpcError::invalid(
            "confirm the owner's fingerprint before joining",
        ));
    }
    let path = s.vault_path();
    let mut state = s.state();
    let me = match state.take() {
        Some(Unlocked::Identity(me)) => me,
        Some(Unlocked::Vault(v)) => {
            *state = Some(Unlocked::Vault(v));
            return Err(vault_open());
        }
        None => return Err(IpcError::locked()),
    };
    let confirmed = a.owner_fingerprint;
    let joined = Vault::join_keeping(&path, *me, r, &|d| {
        if same_fingerprint(&d.owner_fingerprint, &confirmed) {
            Ok(())
        } else {
            Err(Error::Refused(
                "the sync folder now names another owner than the fingerprint you confirmed: nothing was joined".into(),
            ))
        }
    });
    match joined {
        Ok((v, _)) => {
            *state = Some(Unlocked::Vault(Box::new(v)));
            drop(state);
            s.set_vault_path(path);
            app_status(s)
        }
        Err(f) => {
            *state = Some(Unlocked::Identity(f.identity));
            Err(f.error.into())
        }
    }
}

/// This device's public identity (needs the identity unlocked).
pub fn public_identity(s: &Session) -> IpcResult<PublicIdentityDto> {
    s.with_identity(|me| {
        Ok(PublicIdentityDto {
            public: me.public_identity_string(),
            fingerprint: me.public().fingerprint(),
        })
    })
}

/// Copies this device's public identity to the clipboard, from Rust like
/// every copy. It is public (a teammate pastes it into "Add member"), so
/// it is neither marked concealed nor cleared after the clipboard timeout:
/// the user may paste it into a chat minutes later.
pub fn copy_public_identity(s: &Session) -> IpcResult<()> {
    let public = s.with_identity(|me| Ok(me.public_identity_string()))?;
    s.clipboard
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .copy_public(&public)
        .map_err(IpcError::internal)
}

/// Unlocks and rebuilds this device's replica when it no longer opens
/// (edited outside Coffer, an older copy restored over it): the file is
/// moved aside, a new one is built from the sync folder, and this
/// device's offline changes are kept when they verify
/// (`coffer sync --rebuild`). A replica that opens is only replayed.
pub fn rebuild_vault(s: &Session, a: UnlockArgs) -> IpcResult<RebuildOutcomeDto> {
    if matches!(s.state().as_ref(), Some(Unlocked::Vault(_))) {
        return Err(vault_open());
    }
    let me = super::unlock_identity(s, "rebuild_vault", a)?;
    let path = s.vault_path();
    let (v, _, rebuilt) = Vault::rebuild(&path, me)?;
    s.set(Some(Unlocked::Vault(Box::new(v))));
    let n = |x: usize| u64::try_from(x).unwrap_or(u64::MAX);
    Ok(RebuildOutcomeDto {
        status: app_status(s)?,
        rebuilt: rebuilt.is_some(),
        moved_aside: rebuilt
            .as_ref()
            .and_then(|b| b.moved_aside.as_ref())
            .map(|p| p.display().to_string()),
        salvaged: rebuilt.as_ref().map_or(0, |b| n(b.salvaged)),
        dropped: rebuilt.as_ref().map_or(0, |b| n(b.dropped)),
    })
}

fn version(s: &Session, h: coffer_vault::HistoryEntry) -> IpcResult<ConflictVersionDto> {
    let value = h
        .value
        .as_ref()
        .map(|v| s.seal("item_conflicts", v))
        .transpose()?;
    Ok(ConflictVersionDto {
        version: HistoryDto::from(h),
        value,
    })
}

/// A credential in conflict: its current version and the concurrent ones,
/// with the values only on an explicit reveal (logged).
pub fn item_conflicts(s: &Session, a: ConflictArgs) -> IpcResult<ConflictsDto> {
    key_name(&a.name)?;
    let (current, waiting) = s.with_vault(|v| v.conflict_view(&a.env, &a.name, a.reveal))?;
    Ok(ConflictsDto {
        current: version(s, current)?,
        waiting: waiting
            .into_iter()
            .map(|h| version(s, h))
            .collect::<IpcResult<_>>()?,
    })
}

/// Settles a conflict: keeps the current version or one of the waiting
/// ones (a signed batch every device applies the same way).
pub fn resolve_conflict(s: &Session, a: ResolveArgs) -> IpcResult<SetOutcomeDto> {
    key_name(&a.name)?;
    let keep = a.keep.map(|n| n as usize);
    Ok(s.with_vault(|v| v.resolve_conflict(&a.env, &a.name, keep))?
        .into())
}

#[cfg(test)]
mod tests {
    use super::same_fingerprint;

    #[test]
    fn fingerprints_compare_on_letters_and_digits() {
        assert!(same_fingerprint("ab12 cd34", "AB12-CD34"));
        assert!(!same_fingerprint("ab12 cd34", "ab12 cd35"));
        assert!(!same_fingerprint("", " - "));
    }
}
