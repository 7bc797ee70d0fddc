//! What the team screens exchange: members, access, shares, offboarding
//! and its exposure report. Public facts only: fingerprints, names, paths,
//! dates; never a key or a value.

use coffer_vault::{
    Access, ExposedItem, ExposureReport, IdentityPreview, ItemSharing, MemberInfo, OffboardPreview,
    RekeyPreview, Role,
};
use serde::{Deserialize, Serialize};
use ts_rs::TS;

/// A member's role.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum MemberRole {
    /// Everything; holds every environment key.
    Owner,
    /// Members below owner, projects, environments, grants.
    Admin,
    /// Changes credentials where granted `write`.
    Member,
    /// Reads only.
    Reader,
}

impl From<Role> for MemberRole {
    fn from(r: Role) -> Self {
        match r {
            Role::Owner => Self::Owner,
            Role::Admin => Self::Admin,
            Role::Member => Self::Member,
            Role::Reader => Self::Reader,
        }
    }
}

impl From<MemberRole> for Role {
    fn from(r: MemberRole) -> Self {
        match r {
            MemberRole::Owner => Role::Owner,
            MemberRole::Admin => Role::Admin,
            MemberRole::Member => Role::Member,
            MemberRole::Reader => Role::Reader,
        }
    }
}

/// Access to one environment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum AccessLevel {
    /// No key for it.
    None,
    /// Reads it.
    Read,
    /// Reads and changes its credentials.
    Write,
}

impl AccessLevel {
    /// The vault's access (`None` for no access).
    pub fn to_vault(self) -> Option<Access> {
        match self {
            Self::None => None,
            Self::Read => Some(Access::Read),
            Self::Write => Some(Access::Write),
        }
    }
}

/// One environment grant.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct GrantDto {
    /// `PROJECT/ENV`.
    pub env: String,
    /// `read` or `write` (`none` is not a grant).
    pub access: AccessLevel,
}

/// A member as listed.
#[derive(Clone, Debug, Serialize, TS)]
pub struct MemberDto {
    /// Name in this vault.
    pub name: String,
    /// Email their identity carries.
    pub email: Option<String>,
    /// Role.
    pub role: MemberRole,
    /// `active`, or `revoked` after offboarding.
    pub revoked: bool,
    /// The pinned fingerprint (eight groups of four hex digits).
    pub fingerprint: String,
    /// Environment grants.
    pub grants: Vec<GrantDto>,
    /// Who added them (none for the vault's creator).
    pub added_by: Option<String>,
    /// When (unix seconds).
    pub added_at: i64,
    /// When revoked (unix seconds).
    pub revoked_at: Option<i64>,
    /// This is the unlocked identity.
    pub is_me: bool,
}

impl MemberDto {
    /// From the vault's member; `me` says whether it is the unlocked identity.
    pub fn new(m: MemberInfo, me: bool) -> Self {
        let grants = m
            .grants
            .iter()
            .filter_map(|g| {
                let (env, a) = g.rsplit_once(':')?;
                Some(GrantDto {
                    env: env.to_string(),
                    access: if a == "write" {
                        AccessLevel::Write
                    } else {
                        AccessLevel::Read
                    },
                })
            })
            .collect();
        Self {
            name: m.name,
            email: m.email,
            role: m.role.into(),
            revoked: m.status != "active",
            fingerprint: m.fingerprint,
            grants,
            added_by: m.added_by,
            added_at: m.added_at,
            revoked_at: m.revoked_at,
            is_me: me,
        }
    }
}

/// A pasted public identity, checked, not added yet.
#[derive(Clone, Debug, Serialize, TS)]
pub struct IdentityPreviewDto {
    /// The name its owner chose.
    pub name: String,
    /// Their email, if any.
    pub email: Option<String>,
    /// The fingerprint to compare with what the teammate reads out.
    pub fingerprint: String,
    /// The member this identity already is in this vault, if any.
    pub already_member: Option<String>,
}

impl IdentityPreviewDto {
    /// From the vault's preview; `already_member` from the member list.
    pub fn new(p: IdentityPreview, already_member: Option<String>) -> Self {
        Self {
            name: p.name,
            email: p.email,
            fingerprint: p.fingerprint,
            already_member,
        }
    }
}

/// Who a credential is shared with.
#[derive(Clone, Debug, Serialize, TS)]
pub struct ItemSharingDto {
    /// Shared with (entry shares).
    pub shared_with: Vec<String>,
    /// Could be shared with (no key for the environment, not shared yet).
    pub candidates: Vec<String>,
    /// Read it through the environment.
    pub via_environment: Vec<String>,
}

impl From<ItemSharing> for ItemSharingDto {
    fn from(s: ItemSharing) -> Self {
        Self {
            shared_with: s.shared_with,
            candidates: s.candidates,
            via_environment: s.via_environment,
        }
    }
}

/// One environment an offboarding re-keys.
#[derive(Clone, Debug, Serialize, TS)]
pub struct RekeyPreviewDto {
    /// `PROJECT/ENV`.
    pub env: String,
    /// Items re-encrypted (every version).
    pub items: u64,
    /// Who keeps access.
    pub keep_access: Vec<String>,
}

impl From<RekeyPreview> for RekeyPreviewDto {
    fn from(r: RekeyPreview) -> Self {
        Self {
            env: r.env,
            items: r.items as u64,
            keep_access: r.keep_access,
        }
    }
}

/// What offboarding would do (nothing changed yet).
#[derive(Clone, Debug, Serialize, TS)]
pub struct OffboardPreviewDto {
    /// The member.
    pub member: String,
    /// Their fingerprint.
    pub fingerprint: String,
    /// Environments to re-key.
    pub rekey: Vec<RekeyPreviewDto>,
    /// Credentials to mark exposed, `PROJECT/ENV/KEY`.
    pub exposed: Vec<String>,
    /// Why it would be refused, as a sentence (`null`: it can proceed).
    pub refusal: Option<String>,
}

impl From<OffboardPreview> for OffboardPreviewDto {
    fn from(p: OffboardPreview) -> Self {
        Self {
            member: p.member,
            fingerprint: p.fingerprint,
            rekey: p.rekey.into_iter().map(Into::into).collect(),
            exposed: p.exposed,
            refusal: p.refusal,
        }
    }
}

/// Where a running offboarding is (polled by the UI).
#[derive(Clone, Debug, Default, Serialize, TS)]
pub struct OffboardProgressDto {
    /// An offboarding is running.
    pub running: bool,
    /// Who is being offboarded (the last one, when not running).
    pub member: Option<String>,
    /// Items re-encrypted so far.
    pub done: u64,
    /// Items to re-encrypt.
    pub total: u64,
}

/// One exposed credential.
#[derive(Clone, Debug, Serialize, TS)]
pub struct ExposedItemDto {
    /// `PROJECT/ENV`.
    pub env: String,
    /// Key name (or `item <id>` if you cannot read it).
    pub key: String,
    /// Where it is managed.
    pub url: Option<String>,
    /// Notes (provider, owner, how to rotate).
    pub notes: Option<String>,
    /// When its value last changed (unix seconds).
    pub last_rotated: Option<i64>,
    /// Still to rotate at the provider (its value has not changed since).
    pub open: bool,
    /// Who else can read it now.
    pub others_with_access: Vec<String>,
}

impl From<ExposedItem> for ExposedItemDto {
    fn from(i: ExposedItem) -> Self {
        Self {
            env: i.env,
            key: i.key,
            url: i.url,
            notes: i.notes,
            last_rotated: i.last_rotated,
            open: !i.rotated,
            others_with_access: i.others_with_access,
        }
    }
}

/// What an offboarded member could read, and what is still to rotate.
#[derive(Clone, Debug, Serialize, TS)]
pub struct ExposureReportDto {
    /// The member.
    pub member: String,
    /// Their fingerprint.
    pub fingerprint: String,
    /// When revoked (unix seconds).
    pub revoked_at: Option<i64>,
    /// Credentials still to rotate.
    pub open: u64,
    /// Every credential they could read, by environment then key.
    pub items: Vec<ExposedItemDto>,
}

impl From<ExposureReport> for ExposureReportDto {
    fn from(r: ExposureReport) -> Self {
        Self {
            open: r.open() as u64,
            member: r.member,
            fingerprint: r.fingerprint,
            revoked_at: r.revoked_at,
            items: r.items.into_iter().map(Into::into).collect(),
        }
    }
}

/// Where a saved report went.
#[derive(Clone, Debug, Serialize, TS)]
pub struct SavedReportDto {
    /// The absolute path written.
    pub path: String,
    /// Bytes written.
    pub bytes: u64,
}

// ----- arguments --------------------------------------------------------

/// A member by name: `offboard_preview`, `exposure_report`.
#[derive(Debug, Deserialize, TS)]
pub struct MemberRef {
    /// Member name.
    pub name: String,
}

/// `inspect_identity`.
#[derive(Debug, Deserialize, TS)]
pub struct InspectIdentityArgs {
    /// The pasted `coffer1-…` string.
    pub public_identity: String,
}

/// `add_member`.
#[derive(Debug, Deserialize, TS)]
pub struct AddMemberArgs {
    /// The pasted `coffer1-…` string.
    pub public_identity: String,
    /// Their name in this vault.
    pub name: String,
    /// Role.
    pub role: MemberRole,
    /// Initial grants.
    pub grants: Vec<GrantDto>,
    /// The fingerprint the user confirmed with the teammate (a mismatch is
    /// refused by the vault).
    pub fingerprint: String,
}

/// `set_member_role`.
#[derive(Debug, Deserialize, TS)]
pub struct SetRoleArgs {
    /// Member name.
    pub name: String,
    /// The new role.
    pub role: MemberRole,
}

/// `set_access`: one cell of the access matrix.
#[derive(Debug, Deserialize, TS)]
pub struct SetAccessArgs {
    /// Member name.
    pub member: String,
    /// `PROJECT/ENV`.
    pub env: String,
    /// `none` removes access (and re-keys the environment).
    pub access: AccessLevel,
}

/// `share_item` / `unshare_item`.
#[derive(Debug, Deserialize, TS)]
pub struct ShareArgs {
    /// `PROJECT/ENV`.
    pub env: String,
    /// Key name.
    pub name: String,
    /// Member name.
    pub member: String,
}

/// `offboard_member`.
#[derive(Debug, Deserialize, TS)]
pub struct OffboardArgs {
    /// Member name.
    pub name: String,
    /// The name as the user typed it to confirm; must equal `name`.
    pub confirm_name: String,
}

/// Report file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum ReportFormat {
    /// A Markdown checklist per environment.
    Markdown,
    /// CSV with a header row.
    Csv,
}

/// `save_exposure_report`.
#[derive(Debug, Deserialize, TS)]
pub struct SaveReportArgs {
    /// The offboarded member.
    pub member: String,
    /// Markdown or CSV.
    pub format: ReportFormat,
    /// Absolute path (or `~/…`) of the file to write.
    pub path: String,
    /// Replace an existing file.
    pub overwrite: bool,
}
