//! The op log read as an audit log, and its verification.
//!
//! `verify` checks, for every device: sequence numbers run 1, 2, 3… with no
//! gap; each entry's `prev_hash` is the hash of the one before; each hash
//! recomputes; each signature verifies against the author's pinned key (or,
//! for genesis, the owner key inside it). It then replays the whole log into
//! a scratch database and compares every state table with the file, so a
//! row edited, swapped, deleted or rolled back outside the log is found. It
//! also opens every item version this identity can read. Finally it checks
//! this device's own newest entry against the head recorded in
//! `COFFER_HOME/heads/`, which catches a log truncated at the end.

use std::collections::HashMap;
use std::path::Path;

use coffer_crypto::{Id, PublicKeys, SignPurpose};
use rusqlite::types::Value;
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::ops::{kind, OpBody, OpHeader};
use crate::paths::write_atomic;
use crate::schema::{self, STATE_TABLES};
use crate::time::format_datetime;
use crate::vault::{authorize, mutate, Vault};

/// One audit-log entry (no secret in it).
#[derive(Debug, Serialize)]
pub struct AuditEntry {
    /// Position in this replica's log.
    pub seq: i64,
    /// Time (UTC) from the entry's clock.
    pub time: String,
    /// Author's name (or id if unknown).
    pub author: String,
    /// Device (short id).
    pub device: String,
    /// Per-device sequence number.
    pub device_seq: u64,
    /// Kind.
    pub kind: String,
    /// Non-secret summary.
    pub summary: String,
    /// `applied` or `denied`.
    pub outcome: String,
}

/// The result of `audit verify`.
#[derive(Debug, Default, Serialize)]
pub struct VerifyReport {
    /// Entries checked.
    pub entries: u64,
    /// Devices (chains) checked.
    pub devices: u64,
    /// Item versions opened.
    pub items_opened: u64,
    /// Problems found; empty means everything verified.
    pub problems: Vec<String>,
}

impl VerifyReport {
    /// Whether everything verified.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }
}

#[derive(Serialize, Deserialize)]
struct Head {
    device_seq: u64,
    hash: String,
}

fn head_path(home: &Path, vault_id: &Id, device: &Id) -> std::path::PathBuf {
    home.join("heads")
        .join(format!("{}-{}.json", vault_id.to_hex(), device.to_hex()))
}

/// Records this device's newest entry (best effort: a failure to write it
/// only weakens truncation detection, it must not fail the change).
pub(crate) fn record_head(home: &Path, vault_id: &Id, device: &Id, seq: u64, hash: &[u8; 32]) {
    let dir = home.join("heads");
    if crate::paths::ensure_private_dir(&dir).is_err() {
        return;
    }
    let h = Head {
        device_seq: seq,
        hash: hash.iter().map(|b| format!("{b:02x}")).collect(),
    };
    if let Ok(json) = serde_json::to_vec(&h) {
        if let Err(e) = write_atomic(&head_path(home, vault_id, device), &json) {
            tracing::warn!(error = %e, "could not record the op-log head");
        }
    }
}

struct Row {
    seq: i64,
    header: OpHeader,
    body: Vec<u8>,
    hash: Vec<u8>,
    sig: Vec<u8>,
    outcome: String,
}

fn read_rows(conn: &Connection, vault_id: Id) -> Result<Vec<Row>> {
    let mut st = conn.prepare(
        "SELECT seq, op_id, device_id, device_seq, author_id, hlc, kind, body, prev_hash, hash, sig, outcome
         FROM ops ORDER BY seq",
    )?;
    let rows = st.query_map([], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, Vec<u8>>(1)?,
            r.get::<_, Vec<u8>>(2)?,
            r.get::<_, i64>(3)?,
            r.get::<_, Vec<u8>>(4)?,
            r.get::<_, i64>(5)?,
            r.get::<_, i64>(6)?,
            r.get::<_, Vec<u8>>(7)?,
            r.get::<_, Vec<u8>>(8)?,
            r.get::<_, Vec<u8>>(9)?,
            r.get::<_, Vec<u8>>(10)?,
            r.get::<_, String>(11)?,
        ))
    })?;
    let bad = |_| Error::integrity("an op-log entry has a malformed field");
    let mut out = Vec::new();
    for r in rows {
        let (seq, op_id, dev, dseq, author, hlc, k, body, prev, hash, sig, outcome) = r?;
        out.push(Row {
            seq,
            header: OpHeader {
                op_id: Id::from_slice(&op_id).map_err(bad)?,
                vault_id,
                device_id: Id::from_slice(&dev).map_err(bad)?,
                device_seq: dseq as u64,
                author_id: Id::from_slice(&author).map_err(bad)?,
                hlc: hlc as u64,
                kind: u8::try_from(k).map_err(|_| Error::integrity("bad op kind"))?,
                prev_hash: prev
                    .as_slice()
                    .try_into()
                    .map_err(|_| Error::integrity("bad prev hash"))?,
            },
            body,
            hash,
            sig,
            outcome,
        });
    }
    Ok(out)
}

fn table_rows(conn: &Connection, table: &str, order: &str) -> Result<Vec<Vec<Value>>> {
    let mut st = conn.prepare(&format!("SELECT * FROM {table} ORDER BY {order}"))?;
    let n = st.column_count();
    let rows = st.query_map([], |r| (0..n).map(|i| r.get::<_, Value>(i)).collect())?;
    rows.collect::<std::result::Result<_, _>>()
        .map_err(Into::into)
}

impl Vault {
    /// The audit log, oldest first. Item names are shown where this identity
    /// can decrypt them; otherwise the item id.
    pub fn audit_log(&mut self) -> Result<Vec<AuditEntry>> {
        let rows = read_rows(&self.conn, self.vault_id)?;
        let names = self.member_names()?;
        let mut env_names: HashMap<Id, String> = HashMap::new();
        for e in self.list_envs(None)? {
            env_names.insert(e.id, e.path());
        }
        let mut item_names: HashMap<Id, String> = HashMap::new();
        for e in self.list_envs(None)?.iter().filter(|e| e.readable) {
            if let Ok(items) = self.load_items(e) {
                for d in items {
                    item_names.insert(d.id, d.fields.name.clone());
                }
            }
        }
        let who = |id: &Id| names.get(id).cloned().unwrap_or_else(|| id.short());
        let env = |id: &Id| env_names.get(id).cloned().unwrap_or_else(|| id.short());
        let item = |id: &Id| {
            item_names
                .get(id)
                .cloned()
                .unwrap_or_else(|| format!("item {}", id.short()))
        };
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let summary = match OpBody::decode(&r.body) {
                Err(_) => "(malformed body)".to_string(),
                Ok(b) => match b {
                    OpBody::Genesis { name, owner, .. } => {
                        format!("created vault '{name}' with owner {}", owner.name)
                    }
                    OpBody::AddEnv {
                        project_name,
                        env_name,
                        ..
                    } => {
                        format!("added environment {project_name}/{env_name}")
                    }
                    OpBody::SetItem {
                        item_id,
                        env_id,
                        version,
                        ..
                    } => {
                        format!(
                            "set {} in {} (version {version})",
                            item(&item_id),
                            env(&env_id)
                        )
                    }
                    OpBody::DeleteItem { item_id, env_id } => {
                        format!("deleted {} from {}", item(&item_id), env(&env_id))
                    }
                    OpBody::RekeyEnv {
                        env_id,
                        epoch,
                        items,
                        ..
                    } => format!(
                        "re-keyed {} to epoch {epoch} ({} items)",
                        env(&env_id),
                        items.len()
                    ),
                    OpBody::AddMember { member, grants } => format!(
                        "added {} as {} ({}) with {} grant(s)",
                        member.name,
                        member.role,
                        member.fingerprint,
                        grants.len()
                    ),
                    OpBody::SetRole {
                        member_id, role, ..
                    } => {
                        format!("made {} {role}", who(&member_id))
                    }
                    OpBody::Grant {
                        member_id,
                        env_id,
                        access,
                        ..
                    } => {
                        format!("granted {} {access} on {}", who(&member_id), env(&env_id))
                    }
                    OpBody::Ungrant { member_id, env_id } => {
                        format!("removed {}'s access to {}", who(&member_id), env(&env_id))
                    }
                    OpBody::ShareItem { env_id, share } => format!(
                        "shared {} of {} with {}",
                        item(&share.item_id),
                        env(&env_id),
                        who(&share.wrap.member_id)
                    ),
                    OpBody::UnshareItem {
                        env_id,
                        item_id,
                        member_id,
                    } => format!(
                        "stopped sharing {} of {} with {}",
                        item(&item_id),
                        env(&env_id),
                        who(&member_id)
                    ),
                    OpBody::Revoke { member_id, exposed } => format!(
                        "offboarded {}: {} credential(s) exposed",
                        who(&member_id),
                        exposed.len()
                    ),
                    OpBody::RekeyItem {
                        env_id, item: it, ..
                    } => {
                        format!("re-keyed {} of {}", item(&it.item_id), env(&env_id))
                    }
                    OpBody::Read {
                        action,
                        env_id,
                        item_ids,
                    } => {
                        let what = if item_ids.len() == 1 {
                            item(&item_ids[0])
                        } else {
                            format!("{} items", item_ids.len())
                        };
                        format!("{} {what} of {}", action.as_str(), env(&env_id))
                    }
                },
            };
            out.push(AuditEntry {
                seq: r.seq,
                time: format_datetime((r.header.time_ms() / 1000) as i64),
                author: names
                    .get(&r.header.author_id)
                    .cloned()
                    .unwrap_or_else(|| r.header.author_id.short()),
                device: r.header.device_id.short(),
                device_seq: r.header.device_seq,
                kind: kind::name(r.header.kind).to_string(),
                summary,
                outcome: r.outcome,
            });
        }
        Ok(out)
    }

    fn member_names(&self) -> Result<HashMap<Id, String>> {
        let mut st = self.conn.prepare("SELECT id, name FROM members")?;
        let rows = st.query_map([], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, String>(1)?))
        })?;
        let mut m = HashMap::new();
        for r in rows {
            let (id, name) = r?;
            if let Ok(id) = Id::from_slice(&id) {
                m.insert(id, name);
            }
        }
        Ok(m)
    }

    /// Verifies every chain and signature, replays the log and compares the
    /// state, and opens every readable item version.
    pub fn verify(&mut self) -> Result<VerifyReport> {
        let mut rep = VerifyReport::default();
        let rows = read_rows(&self.conn, self.vault_id)?;
        let replay = schema::scratch()?;
        let mut last: HashMap<Id, (u64, [u8; 32])> = HashMap::new();
        let mut stored_last: HashMap<Id, (u64, Vec<u8>)> = HashMap::new();
        for r in &rows {
            rep.entries += 1;
            let h = &r.header;
            let where_ = format!(
                "entry {} (device {} #{})",
                r.seq,
                h.device_id.short(),
                h.device_seq
            );
            let (prev_seq, prev_hash) = last.get(&h.device_id).copied().unwrap_or((0, [0u8; 32]));
            if h.device_seq != prev_seq + 1 {
                rep.problems.push(format!(
                    "{where_}: sequence jumps from {prev_seq} (an entry was removed or reordered)"
                ));
            }
            if h.prev_hash != prev_hash {
                rep.problems
                    .push(format!("{where_}: does not chain to the previous entry"));
            }
            let hash = h.hash(&r.body);
            if hash[..] != r.hash[..] {
                rep.problems.push(format!(
                    "{where_}: its contents were modified (hash mismatch)"
                ));
            }
            last.insert(h.device_id, (h.device_seq, hash));
            stored_last.insert(h.device_id, (h.device_seq, r.hash.clone()));
            let body = match OpBody::decode(&r.body) {
                Ok(b) => b,
                Err(_) => {
                    rep.problems.push(format!("{where_}: body is malformed"));
                    continue;
                }
            };
            if body.kind() != h.kind {
                rep.problems
                    .push(format!("{where_}: kind does not match its body"));
            }
            // The signer's key: genesis carries it; later entries use the
            // key pinned when the member was added (from the replayed state,
            // not the file's members table, which might have been edited).
            let key = match &body {
                OpBody::Genesis { owner, .. } if r.seq == rows[0].seq => Ok(PublicKeys {
                    id: owner.id,
                    x25519: owner.x25519,
                    ed25519: owner.ed25519,
                }),
                _ => Vault::member_keys_in(&replay, &h.author_id),
            };
            match key {
                Ok(k) if k.id == h.author_id => {
                    if k.verify(SignPurpose::Op, &h.signed_bytes(&r.body), &r.sig)
                        .is_err()
                    {
                        rep.problems
                            .push(format!("{where_}: signature does not verify"));
                    }
                }
                _ => rep
                    .problems
                    .push(format!("{where_}: author is not a known member")),
            }
            // The outcome column is not signed (it is this replica's verdict),
            // so check it against the replay: an applied entry must be
            // authorised and apply; a denied one must be refused by
            // `authorize` at exactly that point of the log.
            if r.outcome == "applied" {
                let ok = authorize(&replay, &h.author_id, &body)
                    .and_then(|()| mutate(&replay, &body, &h.author_id, h.time_ms()));
                if let Err(e) = ok {
                    rep.problems.push(format!("{where_}: does not replay: {e}"));
                }
            } else if authorize(&replay, &h.author_id, &body).is_ok() {
                rep.problems.push(format!(
                    "{where_}: is marked denied but was allowed (its outcome was edited)"
                ));
            }
        }
        rep.devices = last.len() as u64;
        if let Some((seq, hash)) = self.recorded_head()? {
            // Compare with the stored hash: a modified entry is reported
            // above, and is not a truncation.
            match stored_last.get(&self.me.device_id) {
                Some((s, h)) if *s > seq || (*s == seq && h[..] == hash[..]) => {}
                _ => rep.problems.push(format!(
                    "this device wrote entry #{seq}, which is missing: the vault was rolled back or its log truncated"
                )),
            }
        }
        if rep.problems.is_empty() {
            for (table, order) in STATE_TABLES {
                if table_rows(&self.conn, table, order)? != table_rows(&replay, table, order)? {
                    rep.problems.push(format!(
                        "table '{table}' differs from what the op log says (edited outside coffer)"
                    ));
                }
            }
        }
        for env in self.list_envs(None)?.into_iter().filter(|e| e.readable) {
            match self.load_items(&env) {
                Ok(items) => {
                    for d in &items {
                        rep.items_opened += 1;
                        // Old versions too.
                        if let Err(e) = self.history_check(&env, d) {
                            rep.problems.push(e.to_string());
                        }
                    }
                }
                Err(e) => rep.problems.push(e.to_string()),
            }
        }
        Ok(rep)
    }

    fn history_check(
        &self,
        env: &crate::vault::EnvInfo,
        d: &crate::items::Decrypted,
    ) -> Result<()> {
        for (version, blob, meta) in crate::items::all_versions(self, &d.id)? {
            crate::items::open_version(&d.ik, self.vault_id, env, d.id, version, &blob, &meta)?;
        }
        Ok(())
    }

    fn recorded_head(&self) -> Result<Option<(u64, [u8; 32])>> {
        let p = head_path(&self.me.home, &self.vault_id, &self.me.device_id);
        let Ok(raw) = std::fs::read(&p) else {
            return Ok(None);
        };
        let h: Head = serde_json::from_slice(&raw)
            .map_err(|_| Error::integrity("the recorded op-log head is malformed"))?;
        let mut hash = [0u8; 32];
        for (i, o) in hash.iter_mut().enumerate() {
            *o = h
                .hash
                .get(2 * i..2 * i + 2)
                .and_then(|s| u8::from_str_radix(s, 16).ok())
                .ok_or_else(|| Error::integrity("the recorded op-log head is malformed"))?;
        }
        Ok(Some((h.device_seq, hash)))
    }
}
