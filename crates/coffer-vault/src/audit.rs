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
//! `COFFER_HOME/heads/` (see `anchor`), which catches a log truncated at the end. The
//! report says, per device chain, which of these checks held
//! ([`ChainReport`]) and sums it up in one sentence ([`VerifyReport::verdict`]).
//!
//! [`Vault::audit_page`] reads the log a page at a time, newest first, with
//! filters (text, member, device, kind, denied only) for the desktop app.

use std::collections::HashMap;

use coffer_crypto::{Id, PublicKeys, SignPurpose};
use rusqlite::types::Value;
use rusqlite::Connection;
use serde::Serialize;

use crate::error::{Error, Result};
use crate::ops::{kind, OpBody, OpHeader, ReadAction};
use crate::schema::{self, STATE_TABLES};
use crate::time::format_datetime;
use crate::vault::{decide, Vault};
use crate::words::{count, count_as};

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
    /// Versions a teammate's client wrote that open under no key (in a
    /// private replica, where every row comes from a verified op, this is
    /// what a member signed, not tampering): named, not a failure.
    pub unopened: Vec<String>,
    /// Each device's chain, in the order its first entry appears.
    pub chains: Vec<ChainReport>,
    /// Whether the state tables match a replay of the log; `None` when
    /// the comparison was skipped because the log itself has problems.
    pub state_matches: Option<bool>,
}

impl VerifyReport {
    /// Whether everything verified.
    pub fn ok(&self) -> bool {
        self.problems.is_empty()
    }

    /// One sentence for the user: what was verified, or how many problems
    /// were found and the first of them.
    pub fn verdict(&self) -> String {
        match self.problems.as_slice() {
            [] if self.unopened.is_empty() => format!(
                "Verified: {} from {}, every signature valid, the state matches the log, {} open.",
                count_as(self.entries, "entry", "entries"),
                count(self.devices, "device"),
                count(self.items_opened, "credential")
            ),
            [] => format!(
                "Verified: {} from {}, every signature valid, the state matches the log, {} open; {} written by teammates open under no key ({}).",
                count_as(self.entries, "entry", "entries"),
                count(self.devices, "device"),
                count(self.items_opened, "credential"),
                count(self.unopened.len(), "version"),
                self.unopened[0]
            ),
            [one] => format!("Integrity check failed: {one}."),
            [first, rest @ ..] => format!(
                "Integrity check failed: {first}; and {} more.",
                count(rest.len(), "problem")
            ),
        }
    }
}

/// The check of this device's newest entry against the head recorded in
/// `COFFER_HOME/heads/`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum HeadCheck {
    /// This device's chain ends at (or after) the recorded head.
    Ok,
    /// The recorded head is missing: the log was truncated or rolled back.
    Truncated,
    /// No head recorded on this device for this chain (another device's
    /// chain, or this device never wrote to the vault).
    NotRecorded,
}

/// The verification of one device's chain of entries.
#[derive(Clone, Debug, Serialize)]
pub struct ChainReport {
    /// Device (short id).
    pub device: String,
    /// The name of the member whose device it is (or a short id).
    pub author: String,
    /// Whether it is this device's chain.
    pub this_device: bool,
    /// Entries in the chain.
    pub entries: u64,
    /// The chain's newest per-device sequence number.
    pub last_seq: u64,
    /// Sequence numbers run 1, 2, 3…, each entry chains to the one before
    /// and every hash recomputes.
    pub linked: bool,
    /// Every signature verifies against the author's pinned key.
    pub signatures_ok: bool,
    /// Every entry replays with the outcome it records.
    pub replay_ok: bool,
    /// The recorded-head check.
    pub head: HeadCheck,
}

impl ChainReport {
    /// Whether every check of this chain passed.
    pub fn ok(&self) -> bool {
        self.linked && self.signatures_ok && self.replay_ok && self.head != HeadCheck::Truncated
    }
}

/// What [`Vault::audit_page`] lists: filters, newest first, one page.
#[derive(Clone, Debug, Default)]
pub struct AuditQuery {
    /// Case-insensitive text to find in the time, author, device, kind,
    /// outcome or summary.
    pub text: Option<String>,
    /// Only entries signed by this member (id, hex).
    pub member: Option<String>,
    /// Only entries from this device (id, hex).
    pub device: Option<String>,
    /// Only entries of this kind (`item.set`, `read`…).
    pub kind: Option<String>,
    /// Only entries this replica denied.
    pub denied_only: bool,
    /// Matching entries to skip (newest first).
    pub offset: u64,
    /// At most this many entries (1 to [`AUDIT_PAGE_MAX`]).
    pub limit: u64,
}

/// The largest page [`Vault::audit_page`] returns.
pub const AUDIT_PAGE_MAX: u64 = 1000;

/// One choice for a filter: an id and what to show for it.
#[derive(Clone, Debug, Serialize)]
pub struct AuditFacet {
    /// Id (hex) to filter on.
    pub id: String,
    /// Label to show.
    pub label: String,
}

/// One page of the audit log, newest first, with what the filters can offer.
#[derive(Debug, Serialize)]
pub struct AuditPage {
    /// The entries of this page, newest first.
    pub entries: Vec<AuditEntry>,
    /// How many entries match the filters (all pages).
    pub total: u64,
    /// Entries in the whole log.
    pub log_entries: u64,
    /// Members who signed entries.
    pub members: Vec<AuditFacet>,
    /// Devices that wrote entries.
    pub devices: Vec<AuditFacet>,
    /// Kinds present in the log.
    pub kinds: Vec<String>,
}

struct Row {
    seq: i64,
    header: OpHeader,
    body: Vec<u8>,
    hash: Vec<u8>,
    sig: Vec<u8>,
    outcome: String,
}

/// How a lowered or removed grant with a feed cut reads in the audit log.
fn cut_note(cut: &Option<Vec<(Id, u64)>>) -> &'static str {
    if cut.is_some() {
        " (their unseen changes there cut off)"
    } else {
        ""
    }
}

/// The entries that applied revocations, demotions and lowered grants with
/// a cut deny: every entry of the member beyond the cut that the cut's
/// scope takes, ordered before the cut (sync, DESIGN §8; what is ordered
/// after it is judged by `authorize` at the member's new level, as the
/// sync does: attack review 12, N2), as (author, op id): an op id is its
/// author's own.
fn cut_off(rows: &[Row]) -> std::collections::HashSet<(Id, Id)> {
    let mut out = std::collections::HashSet::new();
    for r in rows.iter().filter(|r| {
        r.outcome == "applied"
            && matches!(
                r.header.kind,
                kind::REVOKE_CUT | kind::SET_ROLE_CUT | kind::GRANT_CUT | kind::UNGRANT_CUT
            )
    }) {
        if let Some((member_id, cut, scope)) =
            OpBody::decode(&r.body).ok().and_then(OpBody::into_cut)
        {
            for x in rows
                .iter()
                .filter(|x| x.header.author_id == member_id && x.seq < r.seq)
            {
                let seen = cut
                    .iter()
                    .any(|(d, s)| *d == x.header.device_id && x.header.device_seq <= *s);
                if !seen && crate::ops::beyond_a_cut(scope, &x.body) {
                    out.insert((x.header.author_id, x.header.op_id));
                }
            }
        }
    }
    out
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

/// Names members, environments and items in log summaries.
struct Namer {
    members: HashMap<Id, String>,
    /// Each environment's `PROJECT/ENV`, and whether it is removed.
    envs: HashMap<Id, (String, bool)>,
    items: HashMap<Id, String>,
    /// Per `env.rename` entry (by log position): the name it replaced.
    renamed_from: HashMap<i64, String>,
}

impl Namer {
    fn who(&self, id: &Id) -> String {
        self.members.get(id).cloned().unwrap_or_else(|| id.short())
    }

    /// An environment as entries name it: its name now, "(removed)"
    /// after a removed one.
    fn env(&self, id: &Id) -> String {
        match self.envs.get(id) {
            Some((path, true)) => format!("{path} (removed)"),
            Some((path, false)) => path.clone(),
            None => id.short(),
        }
    }

    /// An environment's `PROJECT/ENV` alone.
    fn env_path(&self, id: &Id) -> String {
        self.envs
            .get(id)
            .map(|(p, _)| p.clone())
            .unwrap_or_else(|| id.short())
    }

    fn item(&self, id: &Id) -> String {
        self.items
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("item {}", id.short()))
    }

    #[allow(clippy::too_many_arguments)]
    fn entry(
        &self,
        seq: i64,
        author: &Id,
        device: &Id,
        device_seq: u64,
        hlc: u64,
        kind_code: u8,
        body: &[u8],
        outcome: String,
    ) -> AuditEntry {
        AuditEntry {
            seq,
            time: format_datetime(((hlc >> 16) / 1000) as i64),
            author: self.who(author),
            device: device.short(),
            device_seq,
            kind: kind::name(kind_code).to_string(),
            summary: if body.is_empty() {
                // Denied for its author's removal or demotion: not kept.
                "(body not kept: denied, its author was removed or demoted before it)".to_string()
            } else {
                OpBody::decode(body)
                    .map(|b| self.summary(seq, b))
                    .unwrap_or_else(|_| "(malformed body)".to_string())
            },
            outcome,
        }
    }

    fn summary(&self, seq: i64, b: OpBody) -> String {
        let who = |id: &Id| self.who(id);
        let env = |id: &Id| self.env(id);
        let item = |id: &Id| self.item(id);
        match b {
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
                if version == 1 {
                    format!("added {} to {}", item(&item_id), env(&env_id))
                } else {
                    format!(
                        "changed {} in {} (version {version})",
                        item(&item_id),
                        env(&env_id)
                    )
                }
            }
            OpBody::DeleteItem { item_id, env_id } => {
                format!("deleted {} from {}", item(&item_id), env(&env_id))
            }
            OpBody::ResolveConflict { item_id, env_id } => {
                format!(
                    "resolved the conflict on {} in {}",
                    item(&item_id),
                    env(&env_id)
                )
            }
            OpBody::ExposedValues {
                env_id,
                epoch,
                values,
            } => format!(
                "remembered {} an offboarded member saw in {} (epoch {epoch})",
                count(values.len(), "value"),
                env(&env_id)
            ),
            OpBody::RekeyEnv {
                env_id,
                epoch,
                items,
                ..
            } => format!(
                "re-keyed {} to epoch {epoch} ({})",
                env(&env_id),
                count(items.len(), "item")
            ),
            OpBody::AddMember { member, grants } => format!(
                "added {} as {} ({}) with {}",
                member.name,
                member.role,
                member.fingerprint,
                count(grants.len(), "grant")
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
                cut,
                ..
            } => format!(
                "granted {} {access} on {}{}",
                who(&member_id),
                env(&env_id),
                cut_note(&cut)
            ),
            OpBody::Ungrant {
                member_id,
                env_id,
                cut,
            } => format!(
                "removed {}'s access to {}{}",
                who(&member_id),
                env(&env_id),
                cut_note(&cut)
            ),
            OpBody::ShareItem { env_id, share } => format!(
                "shared {} of {} with {}",
                item(&share.item_id),
                env(&env_id),
                who(&share.wrap.member_id)
            ),
            OpBody::ResignShares { env_id, shares } => format!(
                "signed again {} of {} that a member can no longer vouch for",
                count(shares.len(), "share"),
                env(&env_id)
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
            OpBody::Revoke {
                member_id, exposed, ..
            } => format!(
                "offboarded {}: {} exposed",
                who(&member_id),
                count(exposed.len(), "credential")
            ),
            OpBody::RekeyItem {
                env_id, item: it, ..
            } => {
                format!("re-keyed {} of {}", item(&it.item_id), env(&env_id))
            }
            OpBody::RekeyItemKeeping {
                env_id,
                item_id,
                member_id,
                ..
            } => format!(
                "stopped sharing {} of {} with {} (new item key)",
                item(&item_id),
                env(&env_id),
                who(&member_id)
            ),
            OpBody::AdoptStale {
                env_id,
                item_id,
                version,
                ..
            } => format!(
                "made version {version} of {} of {} current, as its writer sealed it (written under a replaced key; remembered as exposed)",
                item(&item_id),
                env(&env_id)
            ),
            OpBody::RenameEnv {
                env_id,
                project_name,
                env_name,
                ..
            } => format!(
                "renamed environment {} to {project_name}/{env_name}",
                self.renamed_from
                    .get(&seq)
                    .cloned()
                    .unwrap_or_else(|| self.env_path(&env_id))
            ),
            OpBody::RemoveEnv { env_id } => {
                format!(
                    "removed environment {} (its history stays)",
                    self.env_path(&env_id)
                )
            }
            OpBody::RestoreEnv { env_id } => {
                format!("restored environment {}", self.env_path(&env_id))
            }
            // The key's name is sealed with the value: the log names only
            // the environment (and the author, beside it).
            OpBody::SetOverlay {
                env_id, version, ..
            } => {
                if version == 1 {
                    format!("added a personal override in {}", env(&env_id))
                } else {
                    format!("changed a personal override in {}", env(&env_id))
                }
            }
            OpBody::RemoveOverlay { env_id, .. } => {
                format!("removed a personal override in {}", env(&env_id))
            }
            OpBody::SetEnvPolicy {
                env_id,
                overrides,
                min_generated,
            } => format!(
                "set the policy of {}: personal overrides {}, generated values {}",
                env(&env_id),
                overrides.as_str(),
                match min_generated {
                    0 => "of any length".to_string(),
                    n => format!("of at least {n} characters"),
                }
            ),
            OpBody::Read {
                action,
                env_id,
                item_ids,
            } => {
                let what = if item_ids.len() == 1 {
                    item(&item_ids[0])
                } else {
                    count(item_ids.len(), "credential")
                };
                let env = env(&env_id);
                match action {
                    ReadAction::Reveal => format!("revealed {what} of {env}"),
                    ReadAction::Copy => format!("copied {what} of {env}"),
                    ReadAction::Export => format!("exported {what} of {env}"),
                    ReadAction::Run => format!("ran a command with {what} of {env}"),
                    ReadAction::History => format!("read the history of {what} of {env}"),
                    ReadAction::Scan => format!("scanned for {what} of {env}"),
                    ReadAction::Lint => format!("checked {what} of {env} for reuse and placeholders"),
                }
            }
        }
    }
}

impl AuditEntry {
    /// Whether `needle` (lower case) is in any shown field.
    fn matches(&self, needle: &str) -> bool {
        [
            &self.time,
            &self.author,
            &self.device,
            &self.kind,
            &self.outcome,
            &self.summary,
        ]
        .iter()
        .any(|f| f.to_lowercase().contains(needle))
    }
}

impl Vault {
    /// The audit log, oldest first. Item names are shown where this identity
    /// can decrypt them; otherwise the item id.
    pub fn audit_log(&mut self) -> Result<Vec<AuditEntry>> {
        let rows = read_rows(&self.conn, self.vault_id)?;
        let namer = self.namer()?;
        Ok(rows
            .into_iter()
            .map(|r| {
                namer.entry(
                    r.seq,
                    &r.header.author_id,
                    &r.header.device_id,
                    r.header.device_seq,
                    r.header.hlc,
                    r.header.kind,
                    &r.body,
                    r.outcome,
                )
            })
            .collect())
    }

    /// One page of the audit log, newest first, filtered (see
    /// [`AuditQuery`]). Kind, member, device and outcome are filtered in
    /// SQL; only entries that could be shown (or searched) are decoded, so
    /// a long log pages quickly.
    pub fn audit_page(&mut self, q: &AuditQuery) -> Result<AuditPage> {
        if !(1..=AUDIT_PAGE_MAX).contains(&q.limit) {
            return Err(Error::InvalidInput(format!(
                "a page holds 1 to {AUDIT_PAGE_MAX} entries"
            )));
        }
        let id_filter = |what: &str, v: &Option<String>| -> Result<Option<Vec<u8>>> {
            v.as_deref()
                .filter(|x| !x.is_empty())
                .map(|x| {
                    Id::from_hex(x)
                        .map(|i| i.0.to_vec())
                        .map_err(|_| Error::InvalidInput(format!("{x:?} is not a {what} id")))
                })
                .transpose()
        };
        let member = id_filter("member", &q.member)?;
        let device = id_filter("device", &q.device)?;
        // Every code of the kind's name: several encodings share one name
        // (member.revoke, item.set, member.role, grant, ungrant, unshare),
        // and a filter by name finds them all.
        let kind_codes: Option<String> = match q.kind.as_deref().filter(|k| !k.is_empty()) {
            None => None,
            Some(k) => {
                let codes: Vec<String> = (0..=u8::MAX)
                    .filter(|c| kind::name(*c) == k && k != "unknown")
                    .map(|c| c.to_string())
                    .collect();
                if codes.is_empty() {
                    return Err(Error::InvalidInput(format!("unknown kind {k:?}")));
                }
                Some(codes.join(","))
            }
        };
        let text = q
            .text
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase);
        let namer = self.namer()?;
        let mut st = self.conn.prepare(
            "SELECT seq, author_id, device_id, device_seq, hlc, kind, body, outcome FROM ops NOT INDEXED
             WHERE (?1 IS NULL OR author_id = ?1) AND (?2 IS NULL OR device_id = ?2)
               AND (?3 IS NULL OR instr(',' || ?3 || ',', ',' || kind || ',') > 0)
               AND (?4 = 0 OR outcome <> 'applied')
             ORDER BY seq DESC",
        )?;
        let mut rows = st.query(rusqlite::params![member, device, kind_codes, q.denied_only])?;
        let bad = |_| Error::integrity("an op-log entry has a malformed field");
        let mut entries = Vec::new();
        let mut total = 0u64;
        while let Some(r) = rows.next()? {
            let in_page = total >= q.offset && total < q.offset.saturating_add(q.limit);
            if text.is_none() && !in_page {
                // Counted without decoding.
                total += 1;
                continue;
            }
            let author = Id::from_slice(&r.get::<_, Vec<u8>>(1)?).map_err(bad)?;
            let dev = Id::from_slice(&r.get::<_, Vec<u8>>(2)?).map_err(bad)?;
            let k =
                u8::try_from(r.get::<_, i64>(5)?).map_err(|_| Error::integrity("bad op kind"))?;
            let e = namer.entry(
                r.get(0)?,
                &author,
                &dev,
                r.get::<_, i64>(3)? as u64,
                r.get::<_, i64>(4)? as u64,
                k,
                &r.get::<_, Vec<u8>>(6)?,
                r.get(7)?,
            );
            if let Some(t) = &text {
                if !e.matches(t) {
                    continue;
                }
            }
            if in_page {
                entries.push(e);
            }
            total += 1;
        }
        drop(rows);
        drop(st);
        let log_entries: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM ops", [], |r| r.get(0))?;
        let mut members = Vec::new();
        let mut devices = Vec::new();
        let mut st = self.conn.prepare(
            "SELECT DISTINCT author_id, device_id FROM ops ORDER BY author_id, device_id",
        )?;
        let pairs = st.query_map([], |r| {
            Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        for p in pairs {
            let (a, d) = p?;
            let (a, d) = (
                Id::from_slice(&a).map_err(bad)?,
                Id::from_slice(&d).map_err(bad)?,
            );
            if !members.iter().any(|m: &AuditFacet| m.id == a.to_hex()) {
                members.push(AuditFacet {
                    id: a.to_hex(),
                    label: namer.who(&a),
                });
            }
            if !devices.iter().any(|x: &AuditFacet| x.id == d.to_hex()) {
                devices.push(AuditFacet {
                    id: d.to_hex(),
                    label: format!("{} ({})", d.short(), namer.who(&a)),
                });
            }
        }
        drop(st);
        members.sort_by(|a, b| a.label.cmp(&b.label));
        let mut st = self
            .conn
            .prepare("SELECT DISTINCT kind FROM ops NOT INDEXED ORDER BY kind")?;
        let kinds = st
            .query_map([], |r| r.get::<_, i64>(0))?
            .filter_map(|k| k.ok())
            .filter_map(|k| u8::try_from(k).ok())
            .map(|k| kind::name(k).to_string())
            .collect::<std::collections::BTreeSet<String>>()
            .into_iter()
            .collect();
        Ok(AuditPage {
            entries,
            total,
            log_entries: log_entries as u64,
            members,
            devices,
            kinds,
        })
    }

    /// Names for the log: members, environments and the items this
    /// identity can read.
    fn namer(&mut self) -> Result<Namer> {
        let members = self.member_names()?;
        let mut envs: HashMap<Id, (String, bool)> = HashMap::new();
        let mut items: HashMap<Id, String> = HashMap::new();
        for e in self.list_all_envs()? {
            envs.insert(e.id, (e.path(), e.removed));
            if e.readable {
                if let Ok(list) = self.load_items(&e) {
                    for d in list {
                        items.insert(d.id, d.fields.name.clone());
                    }
                }
            }
        }
        Ok(Namer {
            members,
            envs,
            items,
            renamed_from: self.renamed_from()?,
        })
    }

    /// The name each applied `env.rename` replaced, found by walking the
    /// environments' names through the log in its order (the op carries
    /// only the new name: what it replaced is whatever the log says).
    fn renamed_from(&self) -> Result<HashMap<i64, String>> {
        let mut st = self.conn.prepare(
            "SELECT seq, body FROM ops NOT INDEXED WHERE kind IN (?1, ?2) AND outcome = 'applied' ORDER BY seq",
        )?;
        let rows = st.query_map(rusqlite::params![kind::ADD_ENV, kind::RENAME_ENV], |r| {
            Ok((r.get::<_, i64>(0)?, r.get::<_, Vec<u8>>(1)?))
        })?;
        let mut names: HashMap<Id, String> = HashMap::new();
        let mut out = HashMap::new();
        for r in rows {
            let (seq, body) = r?;
            match OpBody::decode(&body) {
                Ok(OpBody::AddEnv {
                    env_id,
                    project_name,
                    env_name,
                    ..
                }) => {
                    names.insert(env_id, format!("{project_name}/{env_name}"));
                }
                Ok(OpBody::RenameEnv {
                    env_id,
                    project_name,
                    env_name,
                    ..
                }) => {
                    if let Some(old) = names.insert(env_id, format!("{project_name}/{env_name}")) {
                        out.insert(seq, old);
                    }
                }
                _ => {}
            }
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
        // A sealed replica refuses such a file at open; a file not moved
        // to sync has no seal, so this is where it shows (attack review 17).
        if !crate::replica::indexes_agree(&self.conn)? {
            rep.problems.push(
                "the file's indexes disagree with their tables (SQLite's integrity check): \
                 it was edited outside Coffer, and what is looked up through them cannot be trusted"
                    .into(),
            );
        }
        let rows = read_rows(&self.conn, self.vault_id)?;
        let cut_off = cut_off(&rows);
        let private = self.is_private_replica();
        let replay = schema::scratch()?;
        let mut last: HashMap<Id, (u64, [u8; 32])> = HashMap::new();
        let mut stored_last: HashMap<Id, (u64, Vec<u8>)> = HashMap::new();
        let names = self.member_names()?;
        let mut chain_of: HashMap<Id, usize> = HashMap::new();
        for r in &rows {
            rep.entries += 1;
            let h = &r.header;
            let ci = *chain_of.entry(h.device_id).or_insert_with(|| {
                rep.chains.push(ChainReport {
                    device: h.device_id.short(),
                    author: names
                        .get(&h.author_id)
                        .cloned()
                        .unwrap_or_else(|| h.author_id.short()),
                    this_device: h.device_id == self.me.device_id,
                    entries: 0,
                    last_seq: 0,
                    linked: true,
                    signatures_ok: true,
                    replay_ok: true,
                    head: HeadCheck::NotRecorded,
                });
                rep.chains.len() - 1
            });
            let chain = &mut rep.chains[ci];
            chain.entries += 1;
            chain.last_seq = h.device_seq;
            let where_ = format!(
                "entry {} (device {} #{})",
                r.seq,
                h.device_id.short(),
                h.device_seq
            );
            let (prev_seq, prev_hash) = last.get(&h.device_id).copied().unwrap_or((0, [0u8; 32]));
            if h.device_seq != prev_seq + 1 {
                chain.linked = false;
                rep.problems.push(format!(
                    "{where_}: sequence jumps from {prev_seq} (an entry was removed or reordered)"
                ));
            }
            if h.prev_hash != prev_hash {
                chain.linked = false;
                rep.problems
                    .push(format!("{where_}: does not chain to the previous entry"));
            }
            // A private replica keeps no body of another device's entry
            // denied for its author's revocation: its stored hash stands
            // for it (the entry was verified when it came in; the seal
            // covers the row).
            let pruned = r.body.is_empty() && private;
            let hash = match <[u8; 32]>::try_from(r.hash.as_slice()) {
                Ok(stored) if pruned => stored,
                _ => h.hash(&r.body),
            };
            if hash[..] != r.hash[..] {
                chain.linked = false;
                rep.problems.push(format!(
                    "{where_}: its contents were modified (hash mismatch)"
                ));
            }
            last.insert(h.device_id, (h.device_seq, hash));
            stored_last.insert(h.device_id, (h.device_seq, r.hash.clone()));
            if pruned {
                let denied_as_revoked = r.outcome == "denied"
                    && h.device_id != self.me.device_id
                    && (cut_off.contains(&(h.author_id, h.op_id))
                        || crate::sync::author_revoked(&replay, &h.author_id)?);
                if !denied_as_revoked {
                    chain.replay_ok = false;
                    rep.problems.push(format!(
                        "{where_}: its body is missing, and it was not denied for its author's revocation"
                    ));
                }
                continue;
            }
            let body = match OpBody::decode(&r.body) {
                Ok(b) => b,
                Err(_) => {
                    chain.linked = false;
                    rep.problems.push(format!("{where_}: body is malformed"));
                    continue;
                }
            };
            if body.kind() != h.kind {
                chain.linked = false;
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
                        chain.signatures_ok = false;
                        rep.problems
                            .push(format!("{where_}: signature does not verify"));
                    }
                }
                _ => {
                    chain.signatures_ok = false;
                    rep.problems
                        .push(format!("{where_}: author is not a known member"));
                }
            }
            // The outcome column is not signed (it is this replica's verdict),
            // so check it against the replay: an applied entry must be
            // authorised and apply; a denied one must be refused by
            // `authorize` at exactly that point of the log.
            // An entry beyond the cut of its author's revocation is denied
            // whatever it would do.
            let verdict = if cut_off.contains(&(h.author_id, h.op_id)) {
                Err(Error::PermissionDenied(
                    "beyond its author's revocation".into(),
                ))
            } else {
                decide(&replay, &h.author_id, &body, h.time_ms())?
            };
            match (r.outcome.as_str(), verdict) {
                ("applied", Err(e)) => {
                    chain.replay_ok = false;
                    rep.problems.push(format!("{where_}: does not replay: {e}"));
                }
                ("denied", Ok(())) => {
                    chain.replay_ok = false;
                    rep.problems.push(format!(
                        "{where_}: is marked denied but was allowed (its outcome was edited)"
                    ));
                }
                _ => {}
            }
        }
        rep.devices = last.len() as u64;
        if let Some((seq, hash)) =
            crate::anchor::recorded_head(&self.me.home, &self.vault_id, &self.me.device_id)?
        {
            // Compare with the stored hash: a modified entry is reported
            // above, and is not a truncation.
            let head = match stored_last.get(&self.me.device_id) {
                Some((s, h)) if *s > seq || (*s == seq && h[..] == hash[..]) => HeadCheck::Ok,
                _ => {
                    rep.problems.push(format!(
                        "this device wrote entry #{seq}, which is missing: the vault was rolled back or its log truncated"
                    ));
                    HeadCheck::Truncated
                }
            };
            match rep.chains.iter_mut().find(|c| c.this_device) {
                Some(c) => c.head = head,
                // Every entry of this device is gone.
                None => rep.chains.push(ChainReport {
                    device: self.me.device_id.short(),
                    author: self.me.name().to_string(),
                    this_device: true,
                    entries: 0,
                    last_seq: 0,
                    linked: false,
                    signatures_ok: true,
                    replay_ok: true,
                    head,
                }),
            }
        }
        if rep.problems.is_empty() {
            let mut matches = true;
            for (table, order) in STATE_TABLES {
                if table_rows(&self.conn, table, order)? != table_rows(&replay, table, order)? {
                    matches = false;
                    rep.problems.push(format!(
                        "table '{table}' differs from what the op log says (edited outside coffer)"
                    ));
                }
            }
            rep.state_matches = Some(matches);
        }
        for env in self.list_all_envs()?.into_iter().filter(|e| e.readable) {
            match self.load_items(&env) {
                Ok(items) => {
                    for d in &items {
                        rep.items_opened += 1;
                        // Old versions too.
                        match self.history_check(&env, d) {
                            Ok(unopened) => rep.unopened.extend(unopened),
                            Err(e) => rep.problems.push(e.to_string()),
                        }
                    }
                }
                Err(e) => rep.problems.push(e.to_string()),
            }
        }
        Ok(rep)
    }

    /// Opens every version of `d`; in a private replica, the versions that
    /// open under no key are named rather than failed
    /// (`Decrypted::unopened`).
    fn history_check(
        &self,
        env: &crate::vault::EnvInfo,
        d: &crate::items::Decrypted,
    ) -> Result<Vec<String>> {
        let mut unopened = Vec::new();
        for (version, blob, meta, author) in crate::items::all_versions(self, &d.id)? {
            match crate::items::open_version(
                &d.ik,
                self.vault_id,
                env,
                d.id,
                version,
                &blob,
                &meta,
                &author,
            ) {
                Ok(_) => {}
                Err(_) if self.is_private_replica() => unopened.push(format!(
                    "version {version} of {}/{}",
                    env.path(),
                    d.fields.name
                )),
                Err(e) => return Err(e),
            }
        }
        Ok(unopened)
    }
}
