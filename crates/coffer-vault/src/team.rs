//! The team: members, roles, grants, entry shares, and one-step offboarding
//! with its exposure report (DESIGN.md §5).

use std::collections::{BTreeMap, HashMap, HashSet};

use coffer_crypto::{normalize_fingerprint, Id, ItemKeyGeneration, PublicIdentity};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::ops::{GrantRecord, MemberRecord, OpBody, ShareRecord};
use crate::rekey::{self, Plan};
use crate::time::now;
use crate::vault::{EnvInfo, Role, Vault};

/// A member as listed.
#[derive(Clone, Debug, Serialize)]
pub struct MemberInfo {
    /// Member id.
    #[serde(serialize_with = "crate::vault::ser_id")]
    pub id: Id,
    /// Name in this vault.
    pub name: String,
    /// Email.
    pub email: Option<String>,
    /// Role.
    pub role: Role,
    /// `active` or `revoked`.
    pub status: String,
    /// Pinned fingerprint.
    pub fingerprint: String,
    /// Grants as `PROJECT/ENV:access`.
    pub grants: Vec<String>,
    /// Who added them.
    pub added_by: Option<String>,
    /// When.
    pub added_at: i64,
    /// When revoked.
    pub revoked_at: Option<i64>,
}

/// Access level of a grant.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Access {
    /// Read the environment.
    Read,
    /// Read and change its credentials.
    Write,
}

impl Access {
    fn as_str(&self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
        }
    }
}

/// Parses `PROJECT/ENV[:read|write]` (default `read`).
pub fn parse_grant(s: &str) -> Result<(String, Access)> {
    let (path, access) = match s.rsplit_once(':') {
        Some((p, "read")) => (p, Access::Read),
        Some((p, "write")) => (p, Access::Write),
        Some((_, a)) => {
            return Err(Error::InvalidInput(format!(
                "unknown access '{a}' in '{s}': use read or write"
            )))
        }
        None => (s, Access::Read),
    };
    crate::vault::parse_env_path(path)?;
    Ok((path.to_string(), access))
}

/// One environment an offboarding would re-key.
#[derive(Clone, Debug, Serialize)]
pub struct RekeyPreview {
    /// `PROJECT/ENV`.
    pub env: String,
    /// Items to re-encrypt (live and deleted, every version).
    pub items: usize,
    /// Members who keep access.
    pub keep_access: Vec<String>,
}

/// What offboarding a member would do (nothing is changed).
#[derive(Clone, Debug, Serialize)]
pub struct OffboardPreview {
    /// The member.
    pub member: String,
    /// Their fingerprint.
    pub fingerprint: String,
    /// Environments to re-key.
    pub rekey: Vec<RekeyPreview>,
    /// Credentials to mark exposed, as `PROJECT/ENV/KEY`.
    pub exposed: Vec<String>,
    /// Why offboarding would be refused (yourself, the last owner, or a
    /// role that may not do it), as a sentence; `None` if it can proceed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refusal: Option<String>,
}

/// A pasted public identity, checked (format and self-signature) but not
/// added: what the person adding it compares out of band before confirming.
#[derive(Clone, Debug, Serialize)]
pub struct IdentityPreview {
    /// The name its owner chose (the vault name is chosen when adding).
    pub name: String,
    /// The email its owner gave.
    pub email: Option<String>,
    /// The fingerprint to compare with what the teammate reads out.
    pub fingerprint: String,
}

/// Parses and checks a pasted public identity string (`coffer1-…`): its
/// format and self-signature. A bad string is [`Error::InvalidInput`] with
/// a readable reason.
pub fn inspect_public_identity(s: &str) -> Result<IdentityPreview> {
    let p = PublicIdentity::parse(s).map_err(|e| Error::InvalidInput(e.to_string()))?;
    Ok(IdentityPreview {
        fingerprint: p.keys.fingerprint(),
        name: p.name,
        email: p.email,
    })
}

/// Who one credential is shared with, and with whom it could be.
#[derive(Clone, Debug, Serialize)]
pub struct ItemSharing {
    /// Members it is shared with (by entry share), by name.
    pub shared_with: Vec<String>,
    /// Active members it could be shared with: they hold no key for its
    /// environment and it is not shared with them yet.
    pub candidates: Vec<String>,
    /// Members who read it through the environment (a grant or ownership).
    pub via_environment: Vec<String>,
}

/// One exposed credential in a report.
#[derive(Clone, Debug, Serialize)]
pub struct ExposedItem {
    /// Environment `PROJECT/ENV`.
    pub env: String,
    /// Key name (or `item <id>` if you cannot read it).
    pub key: String,
    /// URL where it is managed.
    pub url: Option<String>,
    /// Notes (provider, owner, how to rotate).
    pub notes: Option<String>,
    /// When its value last changed.
    pub last_rotated: Option<i64>,
    /// Whether its value has changed since (the item is no longer exposed).
    pub rotated: bool,
    /// Who else can read it now.
    pub others_with_access: Vec<String>,
}

/// What an offboarded member could read, and what is still to rotate.
#[derive(Clone, Debug, Serialize)]
pub struct ExposureReport {
    /// The member.
    pub member: String,
    /// Their fingerprint.
    pub fingerprint: String,
    /// When they were revoked.
    pub revoked_at: Option<i64>,
    /// Every credential they could read, by environment then key.
    pub items: Vec<ExposedItem>,
}

impl ExposureReport {
    /// Credentials still to rotate.
    pub fn open(&self) -> usize {
        self.items.iter().filter(|i| !i.rotated).count()
    }

    /// Markdown, a checklist per environment.
    pub fn to_markdown(&self) -> String {
        let mut s = format!(
            "# Exposure report: {}\n\nFingerprint {}. Revoked {}. {} could be read; {} still to rotate at the provider.\n",
            self.member,
            self.fingerprint,
            self.revoked_at.map(crate::time::format_datetime).unwrap_or_else(|| "-".into()),
            crate::words::count(self.items.len(), "credential"),
            self.open()
        );
        let mut env = "";
        for i in &self.items {
            if i.env != env {
                env = &i.env;
                s.push_str(&format!("\n## {env}\n\n"));
            }
            s.push_str(&format!(
                "- [{}] `{}` — last rotated {}{}{}; others with access: {}\n",
                if i.rotated { "x" } else { " " },
                i.key,
                i.last_rotated
                    .map(crate::time::format_date)
                    .unwrap_or_else(|| "-".into()),
                i.url
                    .as_deref()
                    .map(|u| format!("; {u}"))
                    .unwrap_or_default(),
                i.notes
                    .as_deref()
                    .map(|n| format!("; {}", n.lines().next().unwrap_or("")))
                    .unwrap_or_default(),
                if i.others_with_access.is_empty() {
                    "nobody".to_string()
                } else {
                    i.others_with_access.join(", ")
                }
            ));
        }
        s
    }
}

fn id_of(b: Vec<u8>) -> Result<Id> {
    Id::from_slice(&b).map_err(|_| Error::integrity("bad id"))
}

impl Vault {
    /// Every member, with their grants.
    pub fn list_members(&self) -> Result<Vec<MemberInfo>> {
        let mut st = self.conn.prepare(
            "SELECT m.id, m.name, m.email, m.role, m.status, m.fingerprint, a.name, m.added_at, m.revoked_at
             FROM members m LEFT JOIN members a ON a.id = m.added_by ORDER BY m.added_at, m.name",
        )?;
        let rows = st.query_map([], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, String>(5)?,
                r.get::<_, Option<String>>(6)?,
                r.get::<_, i64>(7)?,
                r.get::<_, Option<i64>>(8)?,
            ))
        })?;
        let mut g = self.conn.prepare(
            "SELECT p.name || '/' || e.name || ':' || g.access FROM grants g
             JOIN environments e ON e.id = g.env_id JOIN projects p ON p.id = e.project_id
             WHERE g.member_id = ?1
               AND NOT EXISTS (SELECT 1 FROM removed_envs r WHERE r.env_id = e.id)
             ORDER BY 1",
        )?;
        let mut out = Vec::new();
        for r in rows {
            let (id, name, email, role, status, fingerprint, added_by, added_at, revoked_at) = r?;
            let grants = g
                .query_map([&id], |r| r.get::<_, String>(0))?
                .collect::<std::result::Result<_, _>>()?;
            out.push(MemberInfo {
                id: id_of(id)?,
                name,
                email,
                role: Role::parse(&role)?,
                status,
                fingerprint,
                grants,
                added_by,
                added_at,
                revoked_at,
            });
        }
        Ok(out)
    }

    /// Finds a member by name.
    pub fn member(&self, name: &str) -> Result<MemberInfo> {
        self.list_members()?
            .into_iter()
            .find(|m| m.name == name)
            .ok_or_else(|| Error::NotFound(format!("member {name}")))
    }

    fn grant_record(&mut self, env: &EnvInfo, to: &Id, access: Access) -> Result<GrantRecord> {
        let keys = self.member_keys(to)?;
        self.ensure_env_key(env).map_err(|e| match e {
            Error::PermissionDenied(_) => Error::PermissionDenied(format!(
                "you hold no key for {}, so you cannot grant it",
                env.path()
            )),
            e => e,
        })?;
        Ok(GrantRecord {
            env_id: env.id,
            access: access.as_str().into(),
            wrap: self.wrap_cached_env_key(env, &keys)?,
        })
    }

    /// Adds a member from their public identity string. `fingerprint` must
    /// match the one derived from it (the caller confirmed it out of band).
    pub fn add_member(
        &mut self,
        public_identity: &str,
        name: &str,
        role: Role,
        grants: &[(String, Access)],
        fingerprint: &str,
    ) -> Result<MemberInfo> {
        let name = name.trim();
        if name.is_empty() || !crate::vault::printable_name(name, 100) {
            return Err(Error::InvalidInput(
                "a member name must be 1-100 printable characters (no control or invisible formatting characters)".into(),
            ));
        }
        let p = PublicIdentity::parse(public_identity)
            .map_err(|e| Error::InvalidInput(e.to_string()))?;
        if !p
            .email
            .as_deref()
            .is_none_or(|e| crate::vault::printable_name(e, 254))
        {
            return Err(Error::InvalidInput(
                "the email in this public identity is not printable text (control or invisible formatting characters)".into(),
            ));
        }
        let fp = p.keys.fingerprint();
        if normalize_fingerprint(fingerprint) != normalize_fingerprint(&fp) {
            return Err(Error::integrity(format!(
                "the fingerprint you confirmed does not match this public identity ({fp}); do not add it"
            )));
        }
        if self.member_status(&p.keys.id)?.is_some() {
            return Err(Error::AlreadyExists(format!(
                "a member with this identity ({name})"
            )));
        }
        // Wraps go to the pasted keys directly: the member row lands with the op.
        let mut envs: Vec<(EnvInfo, Access)> = Vec::new();
        for (path, access) in grants {
            envs.push((self.env(path)?, *access));
        }
        if role == Role::Owner {
            // Owners can do everything, so they hold every key.
            for e in self.list_envs(None)? {
                if e.readable && !envs.iter().any(|(x, _)| x.id == e.id) {
                    envs.push((e, Access::Write));
                }
            }
        }
        let mut recs = Vec::new();
        for (env, access) in &envs {
            self.ensure_env_key(env).map_err(|e| match e {
                Error::PermissionDenied(_) => Error::PermissionDenied(format!(
                    "you hold no key for {}, so you cannot grant it",
                    env.path()
                )),
                e => e,
            })?;
            recs.push(GrantRecord {
                env_id: env.id,
                access: access.as_str().into(),
                wrap: self.wrap_cached_env_key(env, &p.keys)?,
            });
        }
        self.apply(OpBody::AddMember {
            member: MemberRecord {
                id: p.keys.id,
                name: name.to_string(),
                email: p.email.clone(),
                x25519: p.keys.x25519,
                ed25519: p.keys.ed25519,
                fingerprint: fp,
                role: role.as_str().into(),
            },
            grants: recs,
        })?;
        self.member(name)
    }

    /// Grants `member` access to an environment (or changes read ↔ write).
    pub fn grant(&mut self, member: &str, env_path: &str, access: Access) -> Result<()> {
        let m = self.active_member(member)?;
        let env = self.env(env_path)?;
        let has_wrap: bool = self.conn.query_row(
            "SELECT COUNT(*) FROM env_wraps WHERE env_id = ?1 AND member_id = ?2",
            params![&env.id.0[..], &m.id.0[..]],
            |r| r.get::<_, i64>(0),
        )? > 0;
        let wrap = if has_wrap {
            None
        } else {
            Some(self.grant_record(&env, &m.id, access)?.wrap)
        };
        // Write access lowered to read: the member's feeds are cut where
        // this device has seen them, so what they sign there without
        // having seen it is denied everywhere, whatever its date (attack
        // review 12, N1).
        let had_write: bool = self
            .conn
            .query_row(
                "SELECT access = 'write' FROM grants WHERE env_id = ?1 AND member_id = ?2",
                params![&env.id.0[..], &m.id.0[..]],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(false);
        let cut = if access == Access::Read && had_write && m.role > Role::Admin {
            Some(self.feed_cut(&m.id)?)
        } else {
            None
        };
        let mut ops = vec![OpBody::Grant {
            member_id: m.id,
            env_id: env.id,
            access: access.as_str().into(),
            wrap,
            cut,
        }];
        // Losing write access: the shares they made there are re-signed,
        // as a re-sign that gives no share (a `share.item` would put back
        // one a racing unshare ended: attack review 7, F5).
        if access == Access::Read && m.role > Role::Admin {
            ops.extend(self.reshares(&m.id, Some(env.id), false)?);
        }
        self.apply_batch(ops)
    }

    /// Removes a member's access to an environment and re-keys it in the
    /// same transaction, so the key they held opens nothing new.
    pub fn ungrant(&mut self, member: &str, env_path: &str) -> Result<()> {
        let m = self.active_member(member)?;
        if m.role == Role::Owner {
            return Err(Error::Refused(format!(
                "{} is an owner, and owners hold every key: change their role first",
                m.name
            )));
        }
        let env = self.env(env_path)?;
        let holders = rekey::env_holders(self, &env)?;
        if !holders.contains(&m.id) {
            return Err(Error::NotFound(format!(
                "{}'s access to {}",
                m.name,
                env.path()
            )));
        }
        let keep: Vec<Id> = holders.into_iter().filter(|h| *h != m.id).collect();
        let none = HashSet::new();
        let plan = Plan {
            drop: None,
            expose: &none,
            now: now(),
        };
        let total = rekey::count_items(self, &env)?;
        let (rk, new_ek, opened) =
            rekey::build_rekey(self, &env, &keep, &plan, &mut |_, _| {}, &mut 0, total)?;
        // The re-key carries on only shares whose sender may vouch for
        // them where it applies (attack review 11, M1): those the member
        // made there, and orphans that may carry on, are re-signed first.
        let mut ops = self.orphan_resigns(Some(&env.id), None)?;
        if m.role > Role::Admin {
            ops.extend(self.reshares(&m.id, Some(env.id), false)?);
        }
        // The member's feeds are cut where this device has seen them: what
        // they sign there without having seen the ungrant is denied
        // everywhere, whatever its date (attack review 12, N1).
        let cut = if m.role > Role::Admin {
            Some(self.feed_cut(&m.id)?)
        } else {
            None
        };
        ops.push(OpBody::Ungrant {
            member_id: m.id,
            env_id: env.id,
            cut,
        });
        ops.push(rk);
        // Values remembered as exposed are re-tagged under the new epoch.
        let next = Some((&new_ek, env.epoch + 1));
        if let Some(op) =
            self.build_exposed_values(&env, next, &HashMap::new(), now(), Some(&opened))?
        {
            ops.push(op);
        }
        self.apply_batch(ops)?;
        self.env_keys.remove(&env.id);
        Ok(())
    }

    /// Re-signs (as this identity) the entry shares `member` made that they
    /// will no longer be entitled to vouch for: in `only_env` if given, else
    /// everywhere; `keep_where_writer` keeps those in environments where
    /// they still have write access.
    fn reshares(
        &mut self,
        member: &Id,
        only_env: Option<Id>,
        keep_where_writer: bool,
    ) -> Result<Vec<OpBody>> {
        type ShareRow = (Vec<u8>, Vec<u8>, Vec<u8>, Option<String>);
        let mut vouched = None;
        let rows: Vec<ShareRow> = {
            let mut st = self.conn.prepare(
                "SELECT s.item_id, s.member_id, i.env_id,
                        (SELECT access FROM grants g WHERE g.env_id = i.env_id AND g.member_id = ?1)
                 FROM item_shares s JOIN items i ON i.id = s.item_id WHERE s.sender_id = ?1",
            )?;
            let r = st
                .query_map([&member.0[..]], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })?
                .collect::<std::result::Result<_, _>>()?;
            r
        };
        let mut by_env: Vec<(Id, Vec<crate::ops::ResignedShare>)> = Vec::new();
        for (item_id, to, env_id, access) in rows {
            let env_id = id_of(env_id)?;
            if only_env.is_some_and(|e| e != env_id)
                || (keep_where_writer && access.as_deref() == Some("write"))
            {
                continue;
            }
            let item_id = id_of(item_id)?;
            // Only what the member may still vouch for, or someone who may
            // has vouched for: a share she gave after losing write access
            // (back-dated before a lowering) is not signed again here
            // (attack review 10, L1).
            if !self.share_carries_on(
                (&item_id, &id_of(to.clone())?, member),
                &env_id,
                &mut vouched,
            )? {
                continue;
            }
            let (env, Some(ik)) = self.item_key_if_it_opens(&item_id)? else {
                tracing::warn!(
                    item = %item_id.short(),
                    "a share of an item whose key opens under nothing is not re-signed"
                );
                continue;
            };
            let ik_ct = rekey::sealed_item_key(self, &item_id)?;
            let share = ShareRecord {
                item_id,
                wrap: rekey::share_wrap(
                    self,
                    &ik.current,
                    &ik_ct,
                    item_id,
                    env.epoch,
                    &id_of(to)?,
                )?,
            };
            let under = ItemKeyGeneration::of_sealed(&ik_ct).0;
            match by_env.iter_mut().find(|(e, _)| *e == env_id) {
                Some((_, v)) => v.push((share, under)),
                None => by_env.push((env_id, vec![(share, under)])),
            }
        }
        Ok(by_env
            .into_iter()
            .map(|(env_id, shares)| OpBody::ResignShares { env_id, shares })
            .collect())
    }

    /// Changes a member's role. Wraps the member signed are re-signed by
    /// you when they lose the right to vouch for keys.
    pub fn set_role(&mut self, member: &str, role: Role) -> Result<()> {
        let m = self.active_member(member)?;
        let mut rewraps = Vec::new();
        let mut resigns = Vec::new();
        if role > Role::Admin {
            // EK wraps they signed.
            let rows: Vec<(Vec<u8>, Vec<u8>)> = {
                let mut st = self
                    .conn
                    .prepare("SELECT env_id, member_id FROM env_wraps WHERE sender_id = ?1")?;
                let r = st
                    .query_map([&m.id.0[..]], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<std::result::Result<_, _>>()?;
                r
            };
            for (env_id, to) in rows {
                let env = self.env_by_id(&id_of(env_id)?)?;
                self.ensure_env_key(&env)?;
                let keys = self.member_keys(&id_of(to)?)?;
                rewraps.push((env.id, self.wrap_cached_env_key(&env, &keys)?));
            }
            // A member still vouches for shares where they have write access;
            // a reader for none.
            // Sent as `share.resign` ops (after the role change), which
            // carry the item-key generation each wrap is for: the
            // `reshares` field of `SetRole` stays empty (attack review 8,
            // G3).
            resigns = self.reshares(&m.id, None, role == Role::Member)?;
        }
        // A demotion cuts the member's feeds where this device has seen
        // them: what they sign without having seen it is denied everywhere.
        let cut = if role > m.role {
            Some(self.feed_cut(&m.id)?)
        } else {
            None
        };
        let mut ops = vec![OpBody::SetRole {
            member_id: m.id,
            role: role.as_str().into(),
            rewraps,
            reshares: Vec::new(),
            cut,
        }];
        ops.extend(resigns);
        if role == Role::Owner {
            for e in self.list_envs(None)? {
                let has: i64 = self.conn.query_row(
                    "SELECT COUNT(*) FROM env_wraps WHERE env_id = ?1 AND member_id = ?2",
                    params![&e.id.0[..], &m.id.0[..]],
                    |r| r.get(0),
                )?;
                if e.readable && has == 0 {
                    let g = self.grant_record(&e, &m.id, Access::Write)?;
                    ops.push(OpBody::Grant {
                        member_id: m.id,
                        env_id: e.id,
                        access: g.access,
                        wrap: Some(g.wrap),
                        cut: None,
                    });
                }
            }
        }
        self.apply_batch(ops)
    }

    /// Sets a member's access to one environment: `None` removes it (and
    /// re-keys the environment, see [`Vault::ungrant`]), `Some` grants or
    /// changes it ([`Vault::grant`]). Setting what is already there changes
    /// nothing and records nothing.
    pub fn set_access(
        &mut self,
        member: &str,
        env_path: &str,
        access: Option<Access>,
    ) -> Result<MemberInfo> {
        let m = self.active_member(member)?;
        let env = self.env(env_path)?;
        let current: Option<String> = self
            .conn
            .query_row(
                "SELECT access FROM grants WHERE env_id = ?1 AND member_id = ?2",
                params![&env.id.0[..], &m.id.0[..]],
                |r| r.get(0),
            )
            .ok();
        let current = current.map(|a| {
            if a == "write" {
                Access::Write
            } else {
                Access::Read
            }
        });
        let holds = rekey::env_holders(self, &env)?.contains(&m.id);
        match access {
            None if !holds => {}
            None => self.ungrant(member, env_path)?,
            Some(a) if holds && current == Some(a) => {}
            Some(a) => self.grant(member, env_path, a)?,
        }
        self.member(member)
    }

    /// Who one credential is shared with, who reads it through its
    /// environment, and who it could still be shared with.
    pub fn item_sharing(&mut self, env_path: &str, key: &str) -> Result<ItemSharing> {
        let env = self.env(env_path)?;
        let d = self.find_item(&env, key)?;
        let shared_with = self.shared_with(&d.id)?;
        let holders: HashSet<Id> = rekey::env_holders(self, &env)?.into_iter().collect();
        let mut via_environment = Vec::new();
        let mut candidates = Vec::new();
        for m in self.list_members()? {
            if m.status != "active" {
                continue;
            }
            if holders.contains(&m.id) {
                via_environment.push(m.name);
            } else if !shared_with.contains(&m.name) {
                candidates.push(m.name);
            }
        }
        Ok(ItemSharing {
            shared_with,
            candidates,
            via_environment,
        })
    }

    /// Shares one credential with a member who has no grant on its environment.
    pub fn share(&mut self, env_path: &str, key: &str, member: &str) -> Result<()> {
        let m = self.active_member(member)?;
        let env = self.env(env_path)?;
        if rekey::env_holders(self, &env)?.contains(&m.id) {
            return Err(Error::Refused(format!(
                "{} can already read all of {}",
                m.name,
                env.path()
            )));
        }
        let d = self.find_readable(&env, key)?;
        let ik_ct = rekey::sealed_item_key(self, &d.id)?;
        let w = rekey::share_wrap(self, &d.ik.current, &ik_ct, d.id, env.epoch, &m.id)?;
        self.apply(OpBody::ShareItem {
            env_id: env.id,
            share: ShareRecord {
                item_id: d.id,
                wrap: w,
            },
        })
    }

    /// Stops sharing a credential; its key is replaced in the same
    /// transaction so the wrap they held opens nothing new.
    pub fn unshare(&mut self, env_path: &str, key: &str, member: &str) -> Result<()> {
        let m = self.member(member)?;
        let env = self.env(env_path)?;
        let d = self.find_item(&env, key)?;
        let op = rekey::build_unshare(self, &env, d.id, m.id)?;
        self.apply_batch(vec![op])
    }

    /// Names of members an item is shared with.
    pub(crate) fn shared_with(&self, item_id: &Id) -> Result<Vec<String>> {
        let mut st = self.conn.prepare_cached(
            "SELECT m.name FROM item_shares s JOIN members m ON m.id = s.member_id
             WHERE s.item_id = ?1 ORDER BY m.name",
        )?;
        let names = st
            .query_map([&item_id.0[..]], |r| r.get::<_, String>(0))?
            .collect::<std::result::Result<_, _>>()?;
        Ok(names)
    }

    /// Every shared item's member names (sorted), in one query: listings
    /// of thousands of items look shares up here instead of per item.
    pub(crate) fn shares_by_item(&self) -> Result<HashMap<Id, Vec<String>>> {
        let mut st = self.conn.prepare_cached(
            "SELECT s.item_id, m.name FROM item_shares s JOIN members m ON m.id = s.member_id
             ORDER BY s.item_id, m.name",
        )?;
        let mut out: HashMap<Id, Vec<String>> = HashMap::new();
        let rows = st.query_map([], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?))
        })?;
        for row in rows {
            let (id, name) = row?;
            let id = Id::from_slice(&id).map_err(|_| Error::integrity("bad item id in a share"))?;
            out.entry(id).or_default().push(name);
        }
        Ok(out)
    }

    fn active_member(&self, name: &str) -> Result<MemberInfo> {
        let m = self.member(name)?;
        if m.status != "active" {
            return Err(Error::Refused(format!("{name} was offboarded")));
        }
        Ok(m)
    }

    /// What offboarding `member` touches: the environments they hold a key
    /// for (to re-key) and every credential they could ever read (to expose).
    fn offboard_scope(&self, member: &Id) -> Result<(Vec<EnvInfo>, HashSet<Id>)> {
        let m = member;
        let (env_access, item_access) = self.ever_readable(m)?;
        // Environments they hold a key for now: re-keyed.
        let mut rekey_envs = Vec::new();
        let mut expose: HashSet<Id> = HashSet::new();
        for (env_id, end) in &env_access {
            let env = self.env_by_id(env_id)?;
            let items = self.item_meta(&env)?;
            for (id, rotated_at) in items {
                if end.is_none() || rotated_at.is_none_or(|r| r <= end.unwrap_or(i64::MAX)) {
                    expose.insert(id);
                }
            }
            if end.is_none() {
                rekey_envs.push(env);
            }
        }
        for (item_id, end) in &item_access {
            let rotated: Option<Option<i64>> = self
                .conn
                .query_row(
                    "SELECT v.rotated_at FROM items i JOIN item_versions v
                     ON v.item_id = i.id AND v.version = i.current_version
                     WHERE i.id = ?1 AND i.deleted_at IS NULL",
                    [&item_id.0[..]],
                    |r| r.get(0),
                )
                .ok();
            if let Some(rot) = rotated {
                if end.is_none() || rot.is_none_or(|r| r <= end.unwrap_or(i64::MAX)) {
                    expose.insert(*item_id);
                }
            }
        }
        Ok((rekey_envs, expose))
    }

    /// Why this identity may not offboard `m` (the same rules `apply`
    /// enforces), as a sentence; `None` if it may.
    fn offboard_refusal(&self, m: &MemberInfo) -> Result<Option<String>> {
        if m.id == self.me.id() {
            return Ok(Some(
                "you cannot offboard yourself; ask another owner or admin".into(),
            ));
        }
        let members = self.list_members()?;
        let active_owners = members
            .iter()
            .filter(|x| x.role == Role::Owner && x.status == "active")
            .count();
        if m.role == Role::Owner && active_owners <= 1 {
            return Ok(Some("the vault must keep at least one owner".into()));
        }
        let my_role = members
            .iter()
            .find(|x| x.id == self.me.id())
            .map(|x| x.role)
            .unwrap_or(Role::Reader);
        let allowed = my_role == Role::Owner || (my_role == Role::Admin && m.role != Role::Owner);
        Ok((!allowed).then(|| {
            if my_role == Role::Admin {
                format!("{} is an owner: only an owner can offboard them", m.name)
            } else {
                "only owners and admins can offboard members".to_string()
            }
        }))
    }

    /// A preview of offboarding `name`, changing nothing: the environments
    /// to re-key, the credentials that will be marked exposed, and who keeps
    /// access to each environment.
    pub fn offboard_preview(&mut self, name: &str) -> Result<OffboardPreview> {
        let m = self.active_member(name)?;
        let (envs, expose) = self.offboard_scope(&m.id)?;
        let names = self.member_names_by_id()?;
        let mut rekey = Vec::new();
        for env in &envs {
            let keep: Vec<String> = rekey::env_holders(self, env)?
                .iter()
                .filter(|h| **h != m.id)
                .filter_map(|h| names.get(h).cloned())
                .collect();
            rekey.push(RekeyPreview {
                env: env.label(),
                items: rekey::count_items(self, env)?,
                keep_access: keep,
            });
        }
        let mut exposed = Vec::new();
        let mut readable: HashMap<Id, Vec<crate::items::Decrypted>> = HashMap::new();
        for id in &expose {
            let env_id: Vec<u8> = self.conn.query_row(
                "SELECT env_id FROM items WHERE id = ?1",
                [&id.0[..]],
                |r| r.get(0),
            )?;
            let env = self.env_by_id(&id_of(env_id)?)?;
            if let std::collections::hash_map::Entry::Vacant(slot) = readable.entry(env.id) {
                slot.insert(self.load_items(&env).unwrap_or_default());
            }
            let key = readable
                .get(&env.id)
                .and_then(|v| crate::items::find_decrypted(v, id))
                .map(|d| d.fields.name.clone())
                .unwrap_or_else(|| format!("item {}", id.short()));
            let note = if env.removed {
                " (environment removed)"
            } else {
                ""
            };
            exposed.push(format!("{}/{key}{note}", env.path()));
        }
        exposed.sort();
        let refusal = self.offboard_refusal(&m)?;
        Ok(OffboardPreview {
            member: m.name,
            fingerprint: m.fingerprint,
            rekey,
            exposed,
            refusal,
        })
    }

    /// Offboards a member in one transaction: revoke; delete their wraps;
    /// a new epoch for every environment they could read (everything
    /// re-encrypted, the key re-wrapped to everyone who keeps access); new
    /// keys for items shared to them; every credential they could ever
    /// read marked exposed. Returns the exposure report.
    pub fn offboard(
        &mut self,
        name: &str,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<ExposureReport> {
        let m = self.active_member(name)?;
        if m.id == self.me.id() {
            return Err(Error::Refused(
                "you cannot offboard yourself; ask another owner or admin".into(),
            ));
        }
        let (rekey_envs, expose) = self.offboard_scope(&m.id)?;
        let now = now();
        let plan = Plan {
            drop: Some(m.id),
            expose: &expose,
            now,
        };
        let mut total = 0;
        for e in &rekey_envs {
            total += rekey::count_items(self, e)?;
        }
        let mut done = 0;
        let mut exposed_sorted: Vec<Id> = expose.iter().copied().collect();
        exposed_sorted.sort();
        let cut = self.feed_cut(&m.id)?;
        // The re-keys carry on only shares whose sender may vouch for them
        // where they apply (attack review 11, M1): the shares the member
        // made, and orphans that may carry on (never one to the member),
        // are re-signed first, in this batch.
        let mut ops = self.orphan_resigns(None, Some(m.id))?;
        ops.extend(self.reshares(&m.id, None, false)?);
        ops.push(OpBody::Revoke {
            member_id: m.id,
            exposed: exposed_sorted.clone(),
            cut: Some(cut),
        });
        let rekeyed: HashSet<Id> = rekey_envs.iter().map(|e| e.id).collect();
        let mut new_keys = HashMap::new();
        let mut opened = HashMap::new();
        for env in &rekey_envs {
            let keep: Vec<Id> = rekey::env_holders(self, env)?
                .into_iter()
                .filter(|h| *h != m.id)
                .collect();
            let (op, ek, values) =
                rekey::build_rekey(self, env, &keep, &plan, progress, &mut done, total)?;
            ops.push(op);
            new_keys.insert(env.id, ek);
            opened.insert(env.id, values);
        }
        // Items outside the re-keyed environments: shared to them, or in
        // environments they lost earlier but whose values did not change.
        // (Each item's environment is looked up once per environment, not
        // per item: `env_by_id` counts the environment's items, and 10,000
        // lookups were a tenth of a 10,000-item offboarding.)
        let env_of = self.item_envs()?;
        let env_of = |item_id: &Id| {
            env_of
                .get(item_id)
                .copied()
                .ok_or_else(|| Error::NotFound(format!("item {}", item_id.short())))
        };
        let mut envs: HashMap<Id, EnvInfo> = HashMap::new();
        for item_id in &exposed_sorted {
            let env_id = env_of(item_id)?;
            if rekeyed.contains(&env_id) {
                continue;
            }
            let env = match envs.get(&env_id) {
                Some(e) => e.clone(),
                None => {
                    let e = self.env_by_id(&env_id)?;
                    envs.insert(env_id, e.clone());
                    e
                }
            };
            ops.push(rekey::build_rekey_item(self, &env, *item_id, &plan)?);
        }
        // Every value they could read, remembered as a keyed hash under
        // each environment's key after this batch: the item stays exposed
        // while its value is one of them (crate::exposure).
        let seen = self.seen_items(&m.id)?;
        let mut tag_envs: Vec<Id> = rekey_envs.iter().map(|e| e.id).collect();
        for item_id in seen.keys() {
            let env_id = env_of(item_id)?;
            if !tag_envs.contains(&env_id) {
                tag_envs.push(env_id);
            }
        }
        for env_id in tag_envs {
            let env = self.env_by_id(&env_id)?;
            let next = new_keys.get(&env.id).map(|ek| (ek, env.epoch + 1));
            if let Some(op) =
                self.build_exposed_values(&env, next, &seen, now, opened.get(&env.id))?
            {
                ops.push(op);
            }
        }
        self.apply_batch(ops)?;
        self.env_keys.clear();
        self.exposure_report(name)
    }

    /// The environment of every item, in one query (offboarding asks for
    /// each item it exposes or tags: 20,000 statements at 10,000 items).
    fn item_envs(&self) -> Result<HashMap<Id, Id>> {
        let mut st = self.conn.prepare_cached("SELECT id, env_id FROM items")?;
        let rows = st.query_map([], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        let mut out = HashMap::new();
        for row in rows {
            let (id, env) = row?;
            out.insert(id_of(id)?, id_of(env)?);
        }
        Ok(out)
    }

    /// Every live item the member could ever read, with when that access
    /// ended (`None`: not before now), from the op log.
    fn seen_items(&self, member: &Id) -> Result<crate::exposure::Seen> {
        let (env_access, item_access) = self.ever_readable(member)?;
        let mut seen = crate::exposure::Seen::new();
        let mut note = |id: Id, end: Option<i64>| {
            let e = seen.entry(id).or_insert(end);
            *e = match (*e, end) {
                (None, _) | (_, None) => None,
                (Some(a), Some(b)) => Some(a.max(b)),
            };
        };
        for (env_id, end) in &env_access {
            let env = self.env_by_id(env_id)?;
            for (id, _) in self.item_meta(&env)? {
                note(id, *end);
            }
        }
        for (item_id, end) in &item_access {
            note(*item_id, *end);
        }
        Ok(seen)
    }

    /// `(item id, rotated_at)` of every live item of an environment.
    fn item_meta(&self, env: &EnvInfo) -> Result<Vec<(Id, Option<i64>)>> {
        let mut st = self.conn.prepare(
            "SELECT i.id, v.rotated_at FROM items i JOIN item_versions v
             ON v.item_id = i.id AND v.version = i.current_version
             WHERE i.env_id = ?1 AND i.deleted_at IS NULL",
        )?;
        let rows = st.query_map([&env.id.0[..]], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Option<i64>>(1)?))
        })?;
        let mut v = Vec::new();
        for r in rows {
            let (id, rot) = r?;
            v.push((id_of(id)?, rot));
        }
        Ok(v)
    }

    /// From the op log: every environment and item the member ever held a
    /// key for, with when that access ended (`None`: still has it).
    #[allow(clippy::type_complexity)]
    fn ever_readable(
        &self,
        member: &Id,
    ) -> Result<(BTreeMap<Id, Option<i64>>, BTreeMap<Id, Option<i64>>)> {
        let mut envs: BTreeMap<Id, Option<i64>> = BTreeMap::new();
        let mut items: BTreeMap<Id, Option<i64>> = BTreeMap::new();
        let mut st = self
            .conn
            .prepare("SELECT body, hlc FROM ops WHERE outcome = 'applied' ORDER BY seq")?;
        let rows = st.query_map([], |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?)))?;
        for r in rows {
            let (body, hlc) = r?;
            let at = (hlc >> 16) / 1000;
            match OpBody::decode(&body)? {
                OpBody::AddEnv { env_id, wraps, .. } | OpBody::RekeyEnv { env_id, wraps, .. }
                    if wraps.iter().any(|w| w.member_id == *member) =>
                {
                    envs.insert(env_id, None);
                }
                OpBody::AddMember { member: mm, grants } if mm.id == *member => {
                    for g in grants {
                        envs.insert(g.env_id, None);
                    }
                }
                OpBody::Grant {
                    member_id,
                    env_id,
                    wrap: Some(_),
                    ..
                } if member_id == *member => {
                    envs.insert(env_id, None);
                }
                OpBody::Ungrant {
                    member_id, env_id, ..
                } if member_id == *member => {
                    envs.insert(env_id, Some(at));
                }
                OpBody::ShareItem { share, .. } if share.wrap.member_id == *member => {
                    items.insert(share.item_id, None);
                }
                OpBody::UnshareItem {
                    item_id, member_id, ..
                }
                | OpBody::RekeyItemKeeping {
                    item_id, member_id, ..
                } if member_id == *member => {
                    items.insert(item_id, Some(at));
                }
                _ => {}
            }
        }
        Ok((envs, items))
    }

    /// A member's feeds as this replica has them: (device, last sequence)
    /// of every device that carried an entry they signed (the cut of a
    /// revocation).
    pub(crate) fn feed_cut(&self, member: &Id) -> Result<Vec<(Id, u64)>> {
        let mut st = self.conn.prepare(FEED_CUT_QUERY)?;
        let rows = st.query_map([&member.0[..]], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?))
        })?;
        let mut out = Vec::new();
        for r in rows {
            let (d, s) = r?;
            out.push((id_of(d)?, s as u64));
        }
        Ok(out)
    }

    /// The exposure report of an offboarded member: what they could read
    /// and which of it has been rotated since.
    pub fn exposure_report(&mut self, name: &str) -> Result<ExposureReport> {
        let m = self.member(name)?;
        let mut st = self.conn.prepare(
            "SELECT body FROM ops NOT INDEXED WHERE kind IN (?1, ?2) AND outcome = 'applied' ORDER BY seq DESC",
        )?;
        let bodies: Vec<Vec<u8>> = st
            .query_map(
                [crate::ops::kind::REVOKE, crate::ops::kind::REVOKE_CUT],
                |r| r.get(0),
            )?
            .collect::<std::result::Result<_, _>>()?;
        drop(st);
        let mut exposed = None;
        for b in bodies {
            if let OpBody::Revoke {
                member_id,
                exposed: e,
                ..
            } = OpBody::decode(&b)?
            {
                if member_id == m.id {
                    exposed = Some(e);
                    break;
                }
            }
        }
        let exposed = exposed
            .ok_or_else(|| Error::NotFound(format!("an offboarding of {name} (no report)")))?;
        // Per environment, in one query each rather than per item (the
        // report of a 10,000-item offboarding asked 40,000 times).
        let exposed: HashSet<Id> = exposed.into_iter().collect();
        let mut by_env: HashMap<Id, Vec<Id>> = HashMap::new();
        for (id, env) in self.item_envs()? {
            if exposed.contains(&id) {
                by_env.entry(env).or_default().push(id);
            }
        }
        let shares = self.shares_by_item()?;
        let names = self.member_names_by_id()?;
        let mut items = Vec::new();
        for (env_id, ids) in by_env {
            let env = self.env_by_id(&env_id)?;
            let holders: Vec<String> = rekey::env_holders(self, &env)?
                .iter()
                .filter_map(|h| names.get(h).cloned())
                .collect();
            let readable = self.load_items(&env).unwrap_or_default();
            type Row = (Option<i64>, Option<i64>, Option<i64>);
            let rows: HashMap<Id, Row> = {
                let mut st = self.conn.prepare_cached(
                    "SELECT i.id, v.rotated_at, v.exposed_at, i.deleted_at FROM items i JOIN item_versions v
                     ON v.item_id = i.id AND v.version = i.current_version WHERE i.env_id = ?1",
                )?;
                let found = st.query_map([&env.id.0[..]], |r| {
                    Ok((r.get::<_, Vec<u8>>(0)?, (r.get(1)?, r.get(2)?, r.get(3)?)))
                })?;
                let mut m = HashMap::new();
                for f in found {
                    let (id, row) = f?;
                    m.insert(id_of(id)?, row);
                }
                m
            };
            for id in ids {
                let row = *rows
                    .get(&id)
                    .ok_or_else(|| Error::integrity("an exposed item has no current version"))?;
                let d = crate::items::find_decrypted(&readable, &id);
                // A deleted credential is named from its last version.
                let gone = match (d, row.2) {
                    (None, Some(_)) => self.last_fields(&id).ok(),
                    _ => None,
                };
                let mut others = holders.clone();
                for s in shares.get(&id).into_iter().flatten() {
                    if !others.contains(s) {
                        others.push(format!("{s} (shared)"));
                    }
                }
                items.push(ExposedItem {
                    // A removed environment stays in the report: what a
                    // leaver read there is still to rotate at the provider.
                    env: env.label(),
                    key: d
                        .map(|d| d.fields.name.clone())
                        .or_else(|| gone.as_ref().map(|f| format!("{} (deleted)", f.name)))
                        .unwrap_or_else(|| format!("item {}", id.short())),
                    url: d.and_then(|d| d.fields.url.clone()),
                    notes: d.and_then(|d| d.fields.notes.clone()),
                    last_rotated: row.0,
                    // The decrypted item's status is derived from the
                    // remembered values too (a seen value restored is not
                    // rotated); the stored column only when it is unreadable.
                    rotated: d.map_or(row.1.is_none(), |d| d.meta.exposed_at.is_none())
                        || row.2.is_some(),
                    others_with_access: others,
                });
            }
        }
        items.sort_by(|a, b| (&a.env, &a.key).cmp(&(&b.env, &b.key)));
        Ok(ExposureReport {
            member: m.name,
            fingerprint: m.fingerprint,
            revoked_at: m.revoked_at,
            items,
        })
    }

    fn member_names_by_id(&self) -> Result<HashMap<Id, String>> {
        Ok(self
            .list_members()?
            .into_iter()
            .map(|m| (m.id, m.name))
            .collect())
    }
}

/// The cut of a revocation: every device that carried an entry the member
/// signed, with its last sequence. Read from the table, never through an
/// index (`NOT INDEXED`): the log's indexes are not in a replica's seal, and
/// one edited to file a larger `device_seq` or to hide a device would move
/// the cut the revoker signs, letting a revoked member's later entries
/// apply. A scan of the log costs milliseconds, once per revocation.
pub(crate) const FEED_CUT_QUERY: &str =
    "SELECT device_id, MAX(device_seq) FROM ops NOT INDEXED WHERE device_id IN
       (SELECT DISTINCT device_id FROM ops NOT INDEXED WHERE author_id = ?1)
     GROUP BY device_id ORDER BY device_id";
