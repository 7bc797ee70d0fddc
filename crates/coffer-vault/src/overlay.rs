//! Personal overrides (issue 11): a member's own values for keys of an
//! environment (their own `DATABASE_URL` in `payments/dev`), readable only
//! by them, applied by `export`, `run` and `inject` on top of the shared
//! environment.
//!
//! - Each entry (key name and value) is an `overlay.set` op in the
//!   author's own feed, sealed under the author's overlay key
//!   (`coffer_crypto::OverlayKey`, derived from their identity: no wrap of
//!   it exists, so an owner cannot get it). Every device stores and
//!   verifies the op; only the author's opens it.
//! - Decisions from verified state only: the author is the op's signer
//!   (an entry is always the signer's own), they hold the environment's
//!   key now (their wrap), and the environment's policy allows overlays
//!   (`env.policy`, an owner's or admin's op; by default forbidden where
//!   the name starts with `prod`). An ungrant or an offboarding drops the
//!   member's overlays of what they lose.
//! - The policy is checked again whenever an overlay would apply: an
//!   environment renamed to `prod…` or set to `forbid` stops applying
//!   overlays written before.

use std::collections::HashMap;

use coffer_crypto::encoding::{Decoder, Encoder};
use coffer_crypto::{Id, OverlayContext, SecretString};
use rusqlite::{params, Connection, OptionalExtension};

use crate::error::{Error, Result};
use crate::ops::{OpBody, OverridePolicy};
use crate::vault::{EnvInfo, Vault};

const LABEL_ENTRY: &str = "coffer/v1/overlay-entry";

/// One of the caller's personal overrides, by name (never its value).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct OverrideInfo {
    /// `PROJECT/ENV`.
    pub env: String,
    /// The key it overrides (or adds).
    pub name: String,
    /// Whether the shared environment has this key (else it is added).
    pub shadows: bool,
    /// Whether it applies now (the environment's policy allows overlays).
    pub applies: bool,
}

/// An environment's policy as stored and as it takes effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnvPolicy {
    /// What an admin chose (`Default` when nothing was).
    pub overrides: OverridePolicy,
    /// Whether personal overrides apply there now.
    pub overrides_allowed: bool,
    /// The shortest value Coffer generates there, when an admin set one.
    pub min_generated: Option<u32>,
}

/// A key that a personal override replaced or added in an export, a run
/// or an inject (names only; for the one stderr line).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OverrideApplied {
    /// `PROJECT/ENV`.
    pub env: String,
    /// The key.
    pub name: String,
    /// Whether the shared environment lacks it (the override added it).
    pub added: bool,
}

/// Whether overlays apply where the environment is called `name` and its
/// stored policy is `stored`.
pub fn overrides_allowed_by(stored: OverridePolicy, name: &str) -> bool {
    match stored {
        OverridePolicy::Allow => true,
        OverridePolicy::Forbid => false,
        OverridePolicy::Default => !name.to_ascii_lowercase().starts_with("prod"),
    }
}

/// Whether `member` holds `env_id`'s key now (verified state: their wrap).
pub(crate) fn holds_env_key(conn: &Connection, member: &Id, env_id: &Id) -> Result<bool> {
    Ok(conn
        .query_row(
            "SELECT 1 FROM env_wraps WHERE env_id = ?1 AND member_id = ?2",
            params![&env_id.0[..], &member.0[..]],
            |_| Ok(()),
        )
        .optional()?
        .is_some())
}

/// The stored policy of an environment and the name it is known by.
fn stored_policy(conn: &Connection, env_id: &Id) -> Result<(OverridePolicy, String)> {
    let (stored, name, _) = stored_policy_row(conn, env_id)?;
    Ok((stored, name))
}

/// [`stored_policy`], with the shortest generated value (0: none).
fn stored_policy_row(conn: &Connection, env_id: &Id) -> Result<(OverridePolicy, String, u32)> {
    let row: Option<(Option<String>, String, Option<u32>)> = conn
        .query_row(
            "SELECT p.overrides, COALESCE(r.name, e.name), p.min_generated FROM environments e
             LEFT JOIN env_policies p ON p.env_id = e.id
             LEFT JOIN removed_envs r ON r.env_id = e.id WHERE e.id = ?1",
            [&env_id.0[..]],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let (stored, name, min) =
        row.ok_or_else(|| Error::NotFound(format!("environment {}", env_id.short())))?;
    let stored = match stored.as_deref() {
        None => OverridePolicy::Default,
        Some(s) => OverridePolicy::parse(s)
            .map_err(|_| Error::integrity("an environment policy is malformed"))?,
    };
    Ok((stored, name, min.unwrap_or(0)))
}

/// Whether personal overlays apply in `env_id` now.
pub(crate) fn overrides_allowed(conn: &Connection, env_id: &Id) -> Result<bool> {
    let (stored, name) = stored_policy(conn, env_id)?;
    Ok(overrides_allowed_by(stored, &name))
}

/// `PROJECT/ENV` of an environment, for messages.
pub(crate) fn env_path_of(conn: &Connection, env_id: &Id) -> Result<String> {
    Ok(conn
        .query_row(
            "SELECT p.name || '/' || COALESCE(r.name, e.name) FROM environments e
             JOIN projects p ON p.id = e.project_id
             LEFT JOIN removed_envs r ON r.env_id = e.id WHERE e.id = ?1",
            [&env_id.0[..]],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or_else(|| format!("environment {}", env_id.short())))
}

/// The largest sealed overlay entry a replica stores (a value at the
/// item limit, its name, the encoding and the AEAD's nonce and tag).
const MAX_OVERLAY_BLOB: usize = crate::items::MAX_VALUE_BYTES + 1024;

/// `overlay.set`'s effect: version 1 creates the author's entry, each next
/// version replaces it; anything else (a version skipped or repeated, an
/// entry moved to another environment) is refused. Keyed by the op's
/// author, so nobody writes into another member's overlay.
pub(crate) fn mutate_set(
    tx: &Connection,
    author: &Id,
    env_id: &Id,
    overlay_id: &Id,
    version: u64,
    blob: &[u8],
    at: i64,
) -> Result<()> {
    if blob.len() > MAX_OVERLAY_BLOB {
        return Err(Error::Refused("the personal override is too large".into()));
    }
    let cur: Option<(Vec<u8>, i64)> = tx
        .query_row(
            "SELECT env_id, version FROM overlays WHERE author_id = ?1 AND overlay_id = ?2",
            params![&author.0[..], &overlay_id.0[..]],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    match cur {
        None if version == 1 => {
            tx.execute(
                "INSERT INTO overlays (author_id, overlay_id, env_id, version, blob, updated_at)
                 VALUES (?1, ?2, ?3, 1, ?4, ?5)",
                params![&author.0[..], &overlay_id.0[..], &env_id.0[..], blob, at],
            )?;
        }
        Some((env, v)) if env[..] == env_id.0[..] && version == v as u64 + 1 => {
            tx.execute(
                "UPDATE overlays SET version = ?3, blob = ?4, updated_at = ?5
                 WHERE author_id = ?1 AND overlay_id = ?2",
                params![&author.0[..], &overlay_id.0[..], version as i64, blob, at],
            )?;
        }
        _ => {
            return Err(Error::Refused(
                "the personal override changed meanwhile (another version of it came first)".into(),
            ))
        }
    }
    Ok(())
}

/// Variables after an overlay: name, value, the shared variable's tag
/// (none for a key the overlay added).
pub(crate) type Overlaid<T> = Vec<(String, SecretString, Option<T>)>;

/// One of the caller's own entries, opened.
pub(crate) struct OpenedEntry {
    overlay_id: Id,
    version: u64,
    name: String,
    value: SecretString,
}

impl OpenedEntry {
    /// The key and the value of the entry (for `coffer lint`).
    pub(crate) fn name_value(&self) -> (&str, &SecretString) {
        (&self.name, &self.value)
    }
}

fn encode_entry(name: &str, value: &SecretString) -> coffer_crypto::SecretBytes {
    let mut e = Encoder::new(LABEL_ENTRY, 1);
    e.str(name).str(value.expose_secret());
    coffer_crypto::SecretBytes::new(e.finish())
}

fn decode_entry(b: &[u8]) -> Result<(String, SecretString)> {
    let bad = |_| Error::integrity("a personal override is malformed");
    let mut d = Decoder::new(b, LABEL_ENTRY, 1).map_err(bad)?;
    let name = d.str().map_err(bad)?.to_string();
    let value = SecretString::new(d.str().map_err(bad)?.to_string());
    d.finish().map_err(bad)?;
    Ok((name, value))
}

impl Vault {
    /// Whether `export`, `run` and `inject` apply the caller's personal
    /// overrides (on when a vault is opened; `--no-overrides` turns it off).
    pub fn set_use_overrides(&mut self, on: bool) {
        self.overrides.apply = on;
    }

    /// The keys personal overrides replaced or added since the last call
    /// (names only), for the one line `export`, `run` and `inject` print.
    pub fn take_overrides_applied(&mut self) -> Vec<OverrideApplied> {
        std::mem::take(&mut self.overrides.applied)
    }

    /// Every one of the caller's own entries of `env` (whatever the
    /// policy), opened, in the order their last writes were applied.
    fn my_entries(&self, env: &EnvInfo) -> Result<Vec<OpenedEntry>> {
        let me = self.me.id();
        let mut st = self.conn.prepare_cached(
            "SELECT overlay_id, version, blob FROM overlays WHERE author_id = ?1 AND env_id = ?2
             ORDER BY updated_at, overlay_id",
        )?;
        let rows = st
            .query_map(params![&me.0[..], &env.id.0[..]], |r| {
                Ok((
                    r.get::<_, Vec<u8>>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Vec<u8>>(2)?,
                ))
            })?
            .collect::<std::result::Result<Vec<_>, _>>()?;
        if rows.is_empty() {
            return Ok(Vec::new());
        }
        let key = self.overlay_key()?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, version, blob) in rows {
            let overlay_id = Id::from_slice(&id).map_err(|_| Error::integrity("bad overlay id"))?;
            let ctx = OverlayContext {
                vault_id: self.vault_id,
                author_id: me,
                env_id: env.id,
                overlay_id,
                version: version as u64,
            };
            // Never a default for an entry that does not open: the row was
            // written by an op this identity signed, so a failure is damage.
            let pt = key.open(&blob, &ctx).map_err(|_| {
                Error::integrity(format!(
                    "a personal override of {} does not open",
                    env.path()
                ))
            })?;
            let (name, value) = decode_entry(pt.expose_secret())?;
            out.push(OpenedEntry {
                overlay_id,
                version: version as u64,
                name,
                value,
            });
        }
        Ok(out)
    }

    /// The caller's own entries of `env`, one per name in name order (two
    /// devices of one identity racing to create one: the later write
    /// wins, by the order every replica agrees on).
    pub(crate) fn my_overlay(&self, env: &EnvInfo) -> Result<Vec<OpenedEntry>> {
        let mut by_name: HashMap<String, usize> = HashMap::new();
        let mut out: Vec<OpenedEntry> = Vec::new();
        for entry in self.my_entries(env)? {
            match by_name.get(&entry.name) {
                Some(&i) => out[i] = entry,
                None => {
                    by_name.insert(entry.name.clone(), out.len());
                    out.push(entry);
                }
            }
        }
        out.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// The caller's overrides of `env` as an export, run or inject applies
    /// them: none when turned off, when the policy forbids them or when
    /// the caller cannot read the environment.
    pub(crate) fn overlay_for_use(&self, env: &EnvInfo) -> Result<Vec<(String, SecretString)>> {
        if !self.overrides.apply || !env.readable || !overrides_allowed(&self.conn, &env.id)? {
            return Ok(Vec::new());
        }
        Ok(self
            .my_overlay(env)?
            .into_iter()
            .map(|e| (e.name, e.value))
            .collect())
    }

    /// Notes which keys an override replaced or added, for
    /// [`Vault::take_overrides_applied`].
    pub(crate) fn note_applied(&mut self, env: &EnvInfo, name: &str, added: bool) {
        let env = env.path();
        if !self
            .overrides
            .applied
            .iter()
            .any(|a| a.env == env && a.name == name)
        {
            self.overrides.applied.push(OverrideApplied {
                env,
                name: name.to_string(),
                added,
            });
        }
    }

    /// Applies the caller's overlay of `env` to its shared variables
    /// (`name`, value, a tag such as the item's index): replaced values
    /// keep their place and tag, added keys come last in name order with
    /// no tag. Returns the variables and the tags of the shared values
    /// still among them (what the read event names).
    pub(crate) fn apply_overlay<T>(
        &mut self,
        env: &EnvInfo,
        vars: Vec<(String, SecretString, T)>,
    ) -> Result<(Overlaid<T>, Vec<T>)>
    where
        T: Copy,
    {
        let overlay = self.overlay_for_use(env)?;
        let mut out: Vec<(String, SecretString, Option<T>)> =
            vars.into_iter().map(|(n, v, t)| (n, v, Some(t))).collect();
        let mut replaced = vec![false; out.len()];
        for (name, value) in overlay {
            match out.iter().position(|(n, _, _)| *n == name) {
                Some(i) => {
                    out[i].1 = value;
                    replaced[i] = true;
                    self.note_applied(env, &name, false);
                }
                None => {
                    self.note_applied(env, &name, true);
                    out.push((name, value, None));
                }
            }
        }
        let read = out
            .iter()
            .zip(replaced.iter().chain(std::iter::repeat(&true)))
            .filter(|(_, r)| !**r)
            .filter_map(|((_, _, t), _)| *t)
            .collect();
        Ok((out, read))
    }

    /// Sets (creates or changes) the caller's personal override of `name`
    /// in `env_path`. Refused where the environment's policy forbids
    /// overrides or the caller cannot read it; nothing changes then.
    /// Returns whether it was created.
    pub fn set_override(
        &mut self,
        env_path: &str,
        name: &str,
        value: &SecretString,
    ) -> Result<bool> {
        crate::reference::check_var_name(name)?;
        crate::items::check_value(name, value)?;
        let env = self.env(env_path)?;
        if !env.readable {
            return Err(Error::PermissionDenied(format!(
                "you have no access to {}",
                env.path()
            )));
        }
        if !overrides_allowed(&self.conn, &env.id)? {
            return Err(Error::Refused(format!(
                "the policy of {} forbids personal overrides (an owner or admin can allow them: coffer env policy {} --overrides allow)",
                env.path(),
                env.path()
            )));
        }
        let existing = self.my_overlay(&env)?.into_iter().find(|e| e.name == name);
        let (overlay_id, version) = match &existing {
            Some(e) => (e.overlay_id, e.version + 1),
            None => (Id::make(), 1),
        };
        let ctx = OverlayContext {
            vault_id: self.vault_id,
            author_id: self.me.id(),
            env_id: env.id,
            overlay_id,
            version,
        };
        let blob = self
            .overlay_key()?
            .seal(encode_entry(name, value).expose_secret(), &ctx)
            .map_err(|_| Error::InvalidInput("the override is too large".into()))?;
        self.apply(OpBody::SetOverlay {
            env_id: env.id,
            overlay_id,
            version,
            blob,
        })?;
        Ok(existing.is_none())
    }

    /// Removes the caller's personal override of `name` in `env_path`
    /// (allowed whatever the policy).
    pub fn remove_override(&mut self, env_path: &str, name: &str) -> Result<()> {
        let env = self.env(env_path)?;
        // Every entry of that name (a duplicate from a race included).
        let ids: Vec<Id> = self
            .my_entries(&env)?
            .into_iter()
            .filter(|e| e.name == name)
            .map(|e| e.overlay_id)
            .collect();
        if ids.is_empty() {
            return Err(Error::NotFound(format!(
                "a personal override of {name} in {}",
                env.path()
            )));
        }
        self.apply_batch(
            ids.into_iter()
                .map(|overlay_id| OpBody::RemoveOverlay {
                    env_id: env.id,
                    overlay_id,
                })
                .collect(),
        )
    }

    /// The caller's personal overrides (names only), of one environment
    /// or of all, in environment then name order.
    pub fn list_overrides(&mut self, env_path: Option<&str>) -> Result<Vec<OverrideInfo>> {
        let envs = match env_path {
            Some(p) => vec![self.env(p)?],
            None => self.list_envs(None)?,
        };
        let mut out = Vec::new();
        for env in envs {
            let mine = self.my_overlay(&env)?;
            if mine.is_empty() {
                continue;
            }
            let applies = env.readable && overrides_allowed(&self.conn, &env.id)?;
            let shared: Vec<String> = if env.readable {
                self.load_items(&env)?
                    .into_iter()
                    .map(|d| d.fields.name)
                    .collect()
            } else {
                Vec::new()
            };
            for e in mine {
                out.push(OverrideInfo {
                    env: env.path(),
                    shadows: shared.contains(&e.name),
                    name: e.name,
                    applies,
                });
            }
        }
        Ok(out)
    }

    /// The names of the caller's overrides in `env_path` that apply now
    /// (for the app's badge).
    pub fn override_names(&mut self, env_path: &str) -> Result<Vec<String>> {
        let env = self.env(env_path)?;
        if !env.readable || !overrides_allowed(&self.conn, &env.id)? {
            return Ok(Vec::new());
        }
        Ok(self.my_overlay(&env)?.into_iter().map(|e| e.name).collect())
    }

    /// This identity's overlay key in this vault: bound to the genesis
    /// this replica holds, checked against the one this device pinned
    /// when the vault was opened (attack review 14: a vault id is the
    /// creator's choice, a genesis is not).
    fn overlay_key(&self) -> Result<coffer_crypto::OverlayKey> {
        let g = crate::anchor::check_genesis(&self.conn, self.vault_id)?;
        Ok(self.me.private.derive_overlay_key(&self.vault_id, &g.hash))
    }

    /// An environment's policy.
    pub fn env_policy(&self, env_path: &str) -> Result<EnvPolicy> {
        let env = self.env(env_path)?;
        let (stored, name, min) = stored_policy_row(&self.conn, &env.id)?;
        Ok(EnvPolicy {
            overrides: stored,
            overrides_allowed: overrides_allowed_by(stored, &name),
            min_generated: (min > 0).then_some(min),
        })
    }

    /// Sets an environment's override policy (owners and admins); its
    /// shortest generated value stays as it is.
    pub fn set_env_policy(&mut self, env_path: &str, overrides: OverridePolicy) -> Result<()> {
        let min = self.env_policy(env_path)?.min_generated;
        self.set_env_policy_parts(env_path, overrides, min)
    }

    /// Sets the shortest value Coffer generates in an environment (`None`:
    /// no policy; else 8 to 4096 characters); owners and admins. `coffer
    /// lint` then names generated values shorter than it, and generating a
    /// shorter one there is refused. Its override policy stays as it is.
    pub fn set_env_min_generated(&mut self, env_path: &str, min: Option<u32>) -> Result<()> {
        let overrides = self.env_policy(env_path)?.overrides;
        self.set_env_policy_parts(env_path, overrides, min)
    }

    /// Sets both parts of an environment's policy in one signed change
    /// (owners and admins): see [`Vault::set_env_policy`] and
    /// [`Vault::set_env_min_generated`].
    pub fn set_env_policy_parts(
        &mut self,
        env_path: &str,
        overrides: OverridePolicy,
        min: Option<u32>,
    ) -> Result<()> {
        if let Some(n) = min {
            if !(8..=4096).contains(&n) {
                return Err(Error::InvalidInput(format!(
                    "{n} characters is not a length Coffer generates: give 8 to 4096"
                )));
            }
        }
        let env = self.env(env_path)?;
        self.apply(OpBody::SetEnvPolicy {
            env_id: env.id,
            overrides,
            min_generated: min.unwrap_or(0),
        })
    }

    /// Checks that Coffer may generate a value of `length` characters in
    /// `env_path` (its policy's shortest generated value); the length to
    /// use when none is asked for is [`Vault::generated_length`].
    pub fn check_generated_length(&self, env_path: &str, length: usize) -> Result<()> {
        match self.env_policy(env_path)?.min_generated {
            Some(min) if (length as u64) < u64::from(min) => Err(Error::InvalidInput(format!(
                "{env_path} asks for generated values of at least {min} characters, not {length}"
            ))),
            _ => Ok(()),
        }
    }

    /// The length of a value generated in `env_path` when none is asked
    /// for: `default`, or the policy's shortest generated value when that
    /// is longer.
    pub fn generated_length(&self, env_path: &str, default: usize) -> Result<usize> {
        let min = self.env_policy(env_path)?.min_generated.unwrap_or(0) as usize;
        Ok(default.max(min))
    }
}

/// Per open vault: whether overrides apply, and what they replaced.
#[derive(Debug)]
pub(crate) struct OverlayUse {
    pub(crate) apply: bool,
    pub(crate) applied: Vec<OverrideApplied>,
}

impl Default for OverlayUse {
    fn default() -> Self {
        Self {
            apply: true,
            applied: Vec::new(),
        }
    }
}
