//! The team commands: members, the access matrix, entry shares,
//! offboarding (with progress) and its exposure report. Same shape as the
//! other commands: validate, one `coffer-vault` call, map the error.

use coffer_vault::paths::{check_output_file, write_atomic_new};
use coffer_vault::{inspect_public_identity, Vault};

use crate::dto::*;
use crate::error::{IpcError, IpcResult};
use crate::session::Session;

use super::key_name;

fn member_name(name: &str) -> IpcResult<&str> {
    let n = name.trim();
    if n.is_empty() || n.len() > 100 {
        return Err(IpcError::invalid(
            "a member name must be 1-100 printable characters",
        ));
    }
    Ok(n)
}

fn member_dto(v: &Vault, m: coffer_vault::MemberInfo) -> MemberDto {
    let me = m.id == v.me().id();
    MemberDto::new(m, me)
}

/// Every member (active and revoked), with roles, fingerprints and grants.
pub fn list_members(s: &Session) -> IpcResult<Vec<MemberDto>> {
    s.with_vault(|v| {
        Ok(v.list_members()?
            .into_iter()
            .map(|m| member_dto(v, m))
            .collect())
    })
}

/// Checks a pasted public identity and returns its fingerprint and claimed
/// name, for the user to compare BEFORE adding it. Changes nothing.
pub fn inspect_identity(s: &Session, a: InspectIdentityArgs) -> IpcResult<IdentityPreviewDto> {
    let p = inspect_public_identity(&a.public_identity)?;
    let already = s.with_vault(|v| {
        Ok(v.list_members()?
            .into_iter()
            .find(|m| m.fingerprint == p.fingerprint)
            .map(|m| m.name))
    })?;
    Ok(IdentityPreviewDto::new(p, already))
}

/// Adds a member with the fingerprint the user confirmed (the vault refuses
/// a mismatch as an integrity error).
pub fn add_member(s: &Session, a: AddMemberArgs) -> IpcResult<MemberDto> {
    let name = member_name(&a.name)?;
    let mut grants = Vec::with_capacity(a.grants.len());
    for g in &a.grants {
        coffer_vault::parse_env_path(&g.env)?;
        match g.access.to_vault() {
            Some(acc) => grants.push((g.env.clone(), acc)),
            None => continue,
        }
    }
    s.with_vault(|v| {
        let m = v.add_member(
            &a.public_identity,
            name,
            a.role.into(),
            &grants,
            &a.fingerprint,
        )?;
        Ok(member_dto(v, m))
    })
}

/// Changes a member's role.
pub fn set_member_role(s: &Session, a: SetRoleArgs) -> IpcResult<MemberDto> {
    let name = member_name(&a.name)?;
    s.with_vault(|v| {
        v.set_role(name, a.role.into())?;
        let m = v.member(name)?;
        Ok(member_dto(v, m))
    })
}

/// One cell of the access matrix: none (ungrant, re-keys), read or write.
pub fn set_access(s: &Session, a: SetAccessArgs) -> IpcResult<MemberDto> {
    let name = member_name(&a.member)?;
    coffer_vault::parse_env_path(&a.env)?;
    s.with_vault(|v| {
        let m = v.set_access(name, &a.env, a.access.to_vault())?;
        Ok(member_dto(v, m))
    })
}

/// Who a credential is shared with, and with whom it could be.
pub fn item_sharing(s: &Session, a: ItemRef) -> IpcResult<ItemSharingDto> {
    key_name(&a.name)?;
    Ok(s.with_vault(|v| v.item_sharing(&a.env, &a.name))?.into())
}

/// Shares one credential with a member who cannot read its environment.
pub fn share_item(s: &Session, a: ShareArgs) -> IpcResult<ItemSharingDto> {
    key_name(&a.name)?;
    let member = member_name(&a.member)?;
    Ok(s.with_vault(|v| {
        v.share(&a.env, &a.name, member)?;
        v.item_sharing(&a.env, &a.name)
    })?
    .into())
}

/// Stops sharing a credential (its key is replaced in the same step).
pub fn unshare_item(s: &Session, a: ShareArgs) -> IpcResult<ItemSharingDto> {
    key_name(&a.name)?;
    let member = member_name(&a.member)?;
    Ok(s.with_vault(|v| {
        v.unshare(&a.env, &a.name, member)?;
        v.item_sharing(&a.env, &a.name)
    })?
    .into())
}

/// What offboarding a member would do, and why it would be refused.
pub fn offboard_preview(s: &Session, a: MemberRef) -> IpcResult<OffboardPreviewDto> {
    let name = member_name(&a.name)?;
    Ok(s.with_vault(|v| v.offboard_preview(name))?.into())
}

/// Offboards a member in one transaction and returns the exposure report.
/// `confirm_name` must repeat the name. While it runs, `offboard_progress`
/// reports the re-keying (it does not wait for the vault).
pub fn offboard_member(s: &Session, a: OffboardArgs) -> IpcResult<ExposureReportDto> {
    let name = member_name(&a.name)?;
    if a.confirm_name.trim() != name {
        return Err(IpcError::invalid(format!(
            "type the member's name exactly ({name}) to confirm the offboarding"
        )));
    }
    let progress = |p: OffboardProgressDto| {
        *s.offboard_progress
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = p;
    };
    progress(OffboardProgressDto {
        running: true,
        member: Some(name.to_string()),
        done: 0,
        total: 0,
    });
    let result = s.with_vault(|v| {
        v.offboard(name, &mut |done, total| {
            progress(OffboardProgressDto {
                running: true,
                member: Some(name.to_string()),
                done: done as u64,
                total: total as u64,
            })
        })
    });
    let mut last = s
        .offboard_progress
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    last.running = false;
    if result.is_ok() {
        last.done = last.total;
    }
    drop(last);
    Ok(result?.into())
}

/// Where the running (or last) offboarding is. Never waits for the vault.
pub fn offboard_progress(s: &Session) -> IpcResult<OffboardProgressDto> {
    Ok(s.offboard_progress
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone())
}

/// The exposure report of an offboarded member, ticking off what was
/// rotated since.
pub fn exposure_report(s: &Session, a: MemberRef) -> IpcResult<ExposureReportDto> {
    let name = member_name(&a.name)?;
    Ok(s.with_vault(|v| v.exposure_report(name))?.into())
}

/// Writes the exposure report as Markdown or CSV: in Rust, atomically,
/// mode 0600; an existing file only with `overwrite`.
pub fn save_exposure_report(s: &Session, a: SaveReportArgs) -> IpcResult<SavedReportDto> {
    let name = member_name(&a.member)?;
    let path = crate::picker::resolve(s, PickPurpose::Report, &a.path, "report file")?;
    check_output_file(&path)?;
    let r = s.with_vault(|v| v.exposure_report(name))?;
    let text = match a.format {
        ReportFormat::Markdown => r.to_markdown(),
        ReportFormat::Csv => coffer_vault::exposure_report_csv(&r),
    };
    write_atomic_new(&path, text.as_bytes(), a.overwrite)?;
    crate::picker::spend(s, PickPurpose::Report, &a.path);
    Ok(SavedReportDto {
        path: path.display().to_string(),
        bytes: text.len() as u64,
    })
}
