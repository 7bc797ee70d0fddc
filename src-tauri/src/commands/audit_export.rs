//! The audit log and its verification, export to a file, restoring an old
//! version and opening an existing vault file. Each command validates its
//! arguments and calls one `coffer-vault` function.

use coffer_vault::dangerous::AllowVars;
use coffer_vault::{AuditQuery, Dialect, ExportRequest, Format, Vault};

use crate::dto::*;
use crate::error::{IpcError, IpcErrorCode, IpcResult};
use crate::session::{Session, Unlocked};

use super::{app_status, key_name};

/// How the export dialog's user overrides the git-ignore check.
pub const WRITE_ANYWAY_HINT: &str = "tick “Write anyway”";

/// The app has no way to allow a variable that decides what code runs
/// (`LD_PRELOAD`, `NODE_OPTIONS`, …) into a shell or dotenv file: the
/// export is refused (code `conflict`) and this is the way out.
pub const ALLOW_VAR_HINT: &str =
    "choose the JSON format, or export from a terminal with coffer export --allow-var NAME";

fn non_empty(s: Option<String>) -> Option<String> {
    s.map(|x| x.trim().to_string()).filter(|x| !x.is_empty())
}

/// One page of the audit log, newest first, filtered (never a value).
pub fn audit_log(s: &Session, a: AuditQueryArgs) -> IpcResult<AuditPageDto> {
    if !(1..=1000).contains(&a.limit) {
        return Err(IpcError::invalid("a page holds 1 to 1000 entries"));
    }
    let q = AuditQuery {
        text: non_empty(a.text),
        member: non_empty(a.member),
        device: non_empty(a.device),
        kind: non_empty(a.kind),
        denied_only: a.denied_only,
        offset: a.offset.into(),
        limit: a.limit.into(),
    };
    Ok(s.with_vault(|v| v.audit_page(&q))?.into())
}

/// Verifies every chain, signature and the state.
pub fn verify_vault(s: &Session) -> IpcResult<VerifyDto> {
    Ok(s.with_vault(|v| v.verify())?.into())
}

/// Writes an environment to a file in Rust (atomic, 0600, git-ignore
/// check, no variable that decides what code runs in a shell or dotenv
/// file); the values never cross IPC.
pub fn export_env(s: &Session, a: ExportArgs) -> IpcResult<ExportOutcome> {
    let format: Format = a.format.parse().map_err(coffer_vault::Error::from)?;
    let dialect: Dialect = a.dialect.parse().map_err(coffer_vault::Error::from)?;
    let path = crate::picker::resolve(s, PickPurpose::Export, &a.path, "file to write")?;
    let req = ExportRequest {
        env_path: a.env.trim(),
        format,
        dialect,
        path: &path,
        overwrite: a.overwrite,
        force: a.write_anyway,
        force_hint: WRITE_ANYWAY_HINT,
        allow: AllowVars {
            names: &[],
            hint: ALLOW_VAR_HINT,
        },
    };
    // The caller's personal overrides apply (as in `coffer export`); the
    // outcome names the keys they replaced or added, never a value.
    let (n, applied) = s.with_vault(|v| {
        v.take_overrides_applied();
        let n = v.export_env_file(&req);
        let applied = v.take_overrides_applied();
        Ok((n?, applied))
    })?;
    crate::picker::spend(s, PickPurpose::Export, &a.path);
    let (added, overridden): (Vec<_>, Vec<_>) = applied.into_iter().partition(|o| o.added);
    Ok(ExportOutcome {
        path: path.display().to_string(),
        variables: n.try_into().unwrap_or(u32::MAX),
        overridden: overridden.into_iter().map(|o| o.name).collect(),
        added: added.into_iter().map(|o| o.name).collect(),
    })
}

/// Shows the native file dialog for `purpose` (a save dialog for an
/// export or a report, an open dialog for a vault), starting from what the
/// window's field holds. The chosen path is accepted once by that
/// purpose's command even outside home and the temporary folder, where a
/// typed path is refused (`crate::picker`).
pub fn pick_path(s: &Session, a: PickPathArgs) -> IpcResult<PickedPathDto> {
    let path = crate::picker::pick(s, a.purpose, a.current.as_deref())?;
    Ok(PickedPathDto {
        path: path.map(|p| p.display().to_string()),
    })
}

/// Restores an old version's value as a new version.
pub fn restore_version(s: &Session, a: RestoreArgs) -> IpcResult<SetOutcomeDto> {
    key_name(&a.name)?;
    if a.version == 0 {
        return Err(IpcError::invalid("versions start at 1"));
    }
    Ok(
        s.with_vault(|v| v.restore_version(&a.env, &a.name, a.version))?
            .into(),
    )
}

/// Opens an existing vault file with the unlocked identity (which must be
/// a member) and remembers it for the next start. On failure the identity
/// stays unlocked, so another file can be tried.
pub fn open_vault(s: &Session, a: OpenVaultArgs) -> IpcResult<AppStatus> {
    let path = crate::picker::resolve(s, PickPurpose::OpenVault, &a.path, "vault file")?;
    let mut state = s.state();
    let me = match state.take() {
        Some(Unlocked::Identity(me)) => me,
        Some(Unlocked::Vault(v)) => {
            *state = Some(Unlocked::Vault(v));
            return Err(IpcError::new(
                IpcErrorCode::Conflict,
                "a vault is already open: lock the app first",
            ));
        }
        None => return Err(IpcError::locked()),
    };
    match Vault::open_existing(&path, *me) {
        Ok(v) => {
            *state = Some(Unlocked::Vault(Box::new(v)));
            drop(state);
            s.set_vault_path(path);
            crate::picker::spend(s, PickPurpose::OpenVault, &a.path);
            app_status(s)
        }
        Err(f) => {
            *state = Some(Unlocked::Identity(f.identity));
            Err(f.error.into())
        }
    }
}
