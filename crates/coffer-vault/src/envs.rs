//! Renaming, removing and restoring environments and projects (issue 13).
//!
//! Each is a signed op that travels by sync like every other
//! (`env.rename`, `env.remove`, `env.restore`; a project's rename or
//! removal is one batch of them, all or nothing), authorised for owners and
//! admins against the state each device derived itself, and applied by the
//! same `mutate` everywhere, so replicas that saw the same ops agree:
//!
//! - an environment's id never changes, so its items, versions, key wraps,
//!   shares, exposure records, rotation policy and due dates follow a
//!   rename; everything that shows a name reads it from the state, so it
//!   shows the new one (the audit log's rename entry names both);
//! - two renames of one environment: the later in the total order wins;
//!   a rename to a name another environment holds by then is denied on
//!   every device (as a second `env.add` of a name is), and the
//!   environment keeps its name;
//! - a removed environment is hidden (lists, export, run, references,
//!   the rotation dashboard), takes no new value, grant or share, and its
//!   name is free again; its history stays in the log, its keys and items
//!   in the state, offboarding still re-keys it and reports what a leaver
//!   could read there, and `restore` brings it back.

use serde::Serialize;

use coffer_crypto::Id;
use rusqlite::{params, OptionalExtension};

use crate::error::{Error, Result};
use crate::ops::OpBody;
use crate::vault::{parse_env_path, valid_name_part, EnvInfo, Vault};

/// What removing one environment takes away, shown before it is done.
#[derive(Clone, Debug, Serialize)]
pub struct EnvRemoval {
    /// `PROJECT/ENV`.
    pub env: String,
    /// The credentials in it whose names this identity can read, sorted.
    pub credentials: Vec<String>,
    /// Credentials in it this identity cannot read (named by nobody here).
    pub unreadable: u64,
    /// Members holding a grant on it (`NAME:read|write`), sorted.
    pub members: Vec<String>,
}

/// What a removal takes away: per environment, its credentials and who
/// can read it. Nothing in it is secret (names only).
#[derive(Clone, Debug, Serialize)]
pub struct RemovalPreview {
    /// The environments to remove.
    pub envs: Vec<EnvRemoval>,
}

impl RemovalPreview {
    /// Whether no environment in it holds a credential (then a removal
    /// needs no confirmation).
    pub fn is_empty(&self) -> bool {
        self.envs
            .iter()
            .all(|e| e.credentials.is_empty() && e.unreadable == 0)
    }

    /// Credentials in every environment of it.
    pub fn credentials(&self) -> u64 {
        self.envs
            .iter()
            .map(|e| e.credentials.len() as u64 + e.unreadable)
            .sum()
    }
}

fn check_project_name(p: &str) -> Result<()> {
    if valid_name_part(p) {
        Ok(())
    } else {
        Err(Error::InvalidInput(format!(
            "'{p}' is not a project name (letters, digits, '.', '_' and '-', e.g. payments)"
        )))
    }
}

impl Vault {
    /// The id of the project called `name`, if there is one (it may hold
    /// removed environments only).
    fn project_id(&self, name: &str) -> Result<Option<Id>> {
        let b: Option<Vec<u8>> = self
            .conn
            .query_row("SELECT id FROM projects WHERE name = ?1", [name], |r| {
                r.get(0)
            })
            .optional()?;
        b.map(|b| Id::from_slice(&b).map_err(|_| Error::integrity("bad project id")))
            .transpose()
    }

    /// Renames `from` (`PROJECT/ENV`) to `to` (`PROJECT/ENV`; another
    /// project moves it there, creating the project if new). Owners and
    /// admins. The environment keeps its id: items, history, keys, shares,
    /// exposure and rotation data follow.
    pub fn rename_env(&mut self, from: &str, to: &str) -> Result<EnvInfo> {
        let env = self.env(from)?;
        let (p, e) = parse_env_path(to)?;
        if env.project == p && env.name == e {
            return Err(Error::InvalidInput(format!(
                "{from} is already called {to}"
            )));
        }
        if self.env(to).is_ok() {
            return Err(Error::AlreadyExists(format!("environment {to}")));
        }
        let project_id = self.project_id(&p)?.unwrap_or_else(Id::make);
        self.apply(OpBody::RenameEnv {
            env_id: env.id,
            project_id,
            project_name: p,
            env_name: e,
        })?;
        self.env_by_id(&env.id)
    }

    /// Renames project `from` to `to`: every environment of it (removed
    /// ones too, so a restore finds them under the new name) moves, in one
    /// signed batch. Refused when `to` already has environments.
    pub fn rename_project(&mut self, from: &str, to: &str) -> Result<Vec<EnvInfo>> {
        check_project_name(from)?;
        check_project_name(to)?;
        if from == to {
            return Err(Error::InvalidInput(format!(
                "project {from} is already called {to}"
            )));
        }
        let live = self.list_envs(Some(from))?;
        if live.is_empty() {
            return Err(Error::NotFound(format!("project {from}")));
        }
        if self.project_id(to)?.is_some() && !self.list_envs(Some(to))?.is_empty() {
            return Err(Error::AlreadyExists(format!(
                "project {to} (move environments into it one by one with `coffer env rename`)"
            )));
        }
        let project_id = self.project_id(to)?.unwrap_or_else(Id::make);
        let ops: Vec<OpBody> = self
            .list_all_envs()?
            .into_iter()
            .filter(|e| e.project == from)
            .map(|e| OpBody::RenameEnv {
                env_id: e.id,
                project_id,
                project_name: to.to_string(),
                env_name: e.name,
            })
            .collect();
        self.apply_batch(ops)?;
        let ids: Vec<Id> = live.iter().map(|e| e.id).collect();
        ids.iter().map(|id| self.env_by_id(id)).collect()
    }

    /// The environments `scope` names: `PROJECT/ENV`, or `PROJECT` (every
    /// environment of it).
    fn removal_scope(&self, scope: &str) -> Result<Vec<EnvInfo>> {
        if scope.contains('/') {
            Ok(vec![self.env(scope)?])
        } else {
            check_project_name(scope)?;
            let envs = self.list_envs(Some(scope))?;
            if envs.is_empty() {
                return Err(Error::NotFound(format!("project {scope}")));
            }
            Ok(envs)
        }
    }

    /// What removing `scope` (`PROJECT/ENV` or `PROJECT`) would take away;
    /// changes nothing.
    pub fn removal_preview(&mut self, scope: &str) -> Result<RemovalPreview> {
        let envs = self.removal_scope(scope)?;
        let mut out = Vec::new();
        for env in envs {
            let items = if env.readable {
                self.load_items(&env)?
            } else {
                Vec::new()
            };
            // Twins (one name created on two devices) are counted, not named.
            let opened: u64 = items.iter().map(|d| 1 + d.twins.len() as u64).sum();
            let mut credentials: Vec<String> =
                items.into_iter().map(|d| d.fields.name.clone()).collect();
            credentials.sort();
            let unreadable = env.items.saturating_sub(opened);
            let mut st = self.conn.prepare(
                "SELECT m.name || ':' || g.access FROM grants g JOIN members m ON m.id = g.member_id
                 WHERE g.env_id = ?1 AND m.status = 'active' ORDER BY 1",
            )?;
            let members = st
                .query_map(params![&env.id.0[..]], |r| r.get::<_, String>(0))?
                .collect::<std::result::Result<Vec<_>, _>>()?;
            out.push(EnvRemoval {
                env: env.path(),
                credentials,
                unreadable,
                members,
            });
        }
        Ok(RemovalPreview { envs: out })
    }

    /// Removes `scope`: one environment (`PROJECT/ENV`) or every
    /// environment of a project (`PROJECT`), in one signed batch. Owners and
    /// admins. The front ends show [`Vault::removal_preview`] first and ask
    /// when it is not empty. Returns the environments removed.
    pub fn remove(&mut self, scope: &str) -> Result<Vec<String>> {
        let envs = self.removal_scope(scope)?;
        let names = envs.iter().map(EnvInfo::path).collect();
        self.apply_batch(
            envs.iter()
                .map(|e| OpBody::RemoveEnv { env_id: e.id })
                .collect(),
        )?;
        Ok(names)
    }

    /// Removed environments (the newest removal first), named as they were.
    pub fn list_removed_envs(&self) -> Result<Vec<EnvInfo>> {
        let mut st = self
            .conn
            .prepare("SELECT env_id FROM removed_envs ORDER BY removed_at DESC, env_id")?;
        let ids: Vec<Vec<u8>> = st
            .query_map([], |r| r.get(0))?
            .collect::<std::result::Result<_, _>>()?;
        ids.iter()
            .map(|b| self.env_by_id(&Id::from_slice(b).map_err(|_| Error::integrity("bad id"))?))
            .collect()
    }

    /// Restores the removed environment `path` (the newest removal of
    /// that name) with everything it held. Refused while another
    /// environment has the name.
    pub fn restore_env(&mut self, path: &str) -> Result<EnvInfo> {
        let (p, e) = parse_env_path(path)?;
        let env = self
            .list_removed_envs()?
            .into_iter()
            .find(|x| x.project == p && x.name == e)
            .ok_or_else(|| Error::NotFound(format!("a removed environment {p}/{e}")))?;
        if self.env(path).is_ok() {
            return Err(Error::AlreadyExists(format!(
                "environment {path} (rename it, then restore)"
            )));
        }
        self.apply(OpBody::RestoreEnv { env_id: env.id })?;
        self.env_by_id(&env.id)
    }

    /// Why `PROJECT/ENV` is not found, when it was removed.
    pub(crate) fn removed_hint(&self, project: &str, name: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT 1 FROM removed_envs r JOIN environments e ON e.id = r.env_id
                 JOIN projects p ON p.id = e.project_id WHERE p.name = ?1 AND r.name = ?2",
                params![project, name],
                |_| Ok(()),
            )
            .optional()?
            .map(|()| {
                format!(
                    "environment {project}/{name} (it was removed; `coffer env restore {project}/{name}` brings it back)"
                )
            }))
    }
}
