//! The vault: one SQLite file, opened by an unlocked identity. Every change
//! goes through [`Vault::apply`] (authorize → mutate → append to the op log)
//! in one transaction; a failure changes nothing.

use std::collections::{HashMap, HashSet};
use std::fs::OpenOptions;
use std::path::{Path, PathBuf};

use coffer_crypto::{wrap, EnvKey, Id, PublicKeys, SignPurpose, WrapContext};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use crate::error::{Error, Result};
use crate::identity::UnlockedIdentity;
use crate::ops::{kind, MemberRecord, OpBody, OpHeader, WrapRecord};
use crate::schema;
use crate::time::now_ms;

/// Roles, from most to least powerful.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Everything.
    Owner,
    /// Members, projects, environments, grants.
    Admin,
    /// Items in environments granted `write`.
    Member,
    /// Reading only.
    Reader,
}

impl Role {
    /// Parses a role name.
    pub fn parse(s: &str) -> Result<Self> {
        Ok(match s {
            "owner" => Role::Owner,
            "admin" => Role::Admin,
            "member" => Role::Member,
            "reader" => Role::Reader,
            _ => {
                return Err(Error::InvalidInput(format!(
                    "unknown role '{s}': use owner, admin, member or reader"
                )))
            }
        })
    }
    /// The name.
    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Member => "member",
            Role::Reader => "reader",
        }
    }
}

/// An environment row.
#[derive(Clone, Debug, serde::Serialize)]
pub struct EnvInfo {
    /// Environment id.
    #[serde(serialize_with = "ser_id")]
    pub id: Id,
    /// Project name.
    pub project: String,
    /// Environment name.
    pub name: String,
    /// Current key epoch.
    pub epoch: u64,
    /// Default rotation period in days.
    pub rotate_every_days: Option<u32>,
    /// Whether this identity holds a key for it.
    pub readable: bool,
    /// This identity's grant (`read`/`write`), if any.
    pub access: Option<String>,
    /// Whether this identity may change its credentials (its role and
    /// grant, by the rule `authorize` applies to what it sends).
    pub writable: bool,
    /// Live items.
    pub items: u64,
    /// Whether it was removed (`env.remove`): then `name` is the name it
    /// had, and only offboarding, the exposure report, the audit log and
    /// `env restore` see it.
    pub removed: bool,
}

impl EnvInfo {
    /// `PROJECT/ENV`.
    pub fn path(&self) -> String {
        format!("{}/{}", self.project, self.name)
    }

    /// `PROJECT/ENV`, with " (removed)" after a removed environment: for
    /// reports that still list it.
    pub fn label(&self) -> String {
        if self.removed {
            format!("{} (removed)", self.path())
        } else {
            self.path()
        }
    }
}

pub(crate) fn ser_id<S: serde::Serializer>(id: &Id, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.serialize_str(&id.to_hex())
}

/// Splits and checks `PROJECT/ENV`.
pub fn parse_env_path(s: &str) -> Result<(String, String)> {
    let bad = || {
        Error::InvalidInput(format!(
            "'{s}' is not PROJECT/ENV (letters, digits, '.', '_' and '-', e.g. payments/prod)"
        ))
    };
    let (p, e) = s.split_once('/').ok_or_else(bad)?;
    for part in [p, e] {
        if !valid_name_part(part) {
            return Err(bad());
        }
    }
    Ok((p.to_string(), e.to_string()))
}

/// A vault that could not be opened: why, and the identity given to
/// [`Vault::open_existing`], still unlocked.
pub struct OpenFailure {
    /// Why it did not open.
    pub error: Error,
    /// The unlocked identity, handed back.
    pub identity: Box<UnlockedIdentity>,
}

impl std::fmt::Debug for OpenFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenFailure")
            .field("error", &self.error)
            .finish_non_exhaustive()
    }
}

/// Starts the write transaction of a sealed change on `$v` (a `Vault`):
/// `BEGIN IMMEDIATE`, so the write lock is held and no other connection
/// can commit until it ends; if one did since the handle last checked
/// the file, the transaction is given up, the file checked
/// (`Vault::check_current`'s checks; refused if it no longer checks out),
/// and the transaction started again. Without this the seal's advance
/// would take in, and vouch for, a row another program edited under a
/// long-lived handle (attack review 18). A macro, not a method: the
/// transaction borrows the connection, and the check needs the handle.
macro_rules! begin_checked {
    ($v:expr) => {{
        // A handle that found its file no longer checks out writes
        // nothing more, whatever the write (attack review 19, F2).
        if let Some(why) = &$v.refused {
            return Err(crate::error::Error::integrity(why.clone()));
        }
        let mut tries = 0;
        loop {
            let tx = $v
                .conn
                .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let now = crate::vault::data_version(&tx)?;
            if now == $v.checked_version {
                break tx;
            }
            drop(tx);
            tries += 1;
            if tries > 8 {
                return Err(crate::error::Error::Database(
                    "the vault kept changing under this command; try again".into(),
                ));
            }
            $v.check_at(now)?;
        }
    }};
}
pub(crate) use begin_checked;

/// An open vault.
pub struct Vault {
    pub(crate) conn: VaultConn,
    pub(crate) path: PathBuf,
    pub(crate) vault_id: Id,
    pub(crate) name: String,
    pub(crate) me: UnlockedIdentity,
    pub(crate) env_keys: HashMap<Id, (u64, EnvKey)>,
    /// Per environment, as the last `load_items` found them: items whose
    /// key opens under nothing (a teammate's client sealed it so), with
    /// the author of their current version. Never listed by name (none
    /// can be read); an export or run of the environment refuses while
    /// there are any, so nothing is left out silently.
    pub(crate) keyless: HashMap<Id, Vec<(Id, Option<Id>)>>,
    /// Blind name index entries a full load computed, written with the
    /// next op this handle applies (`names.rs`).
    pub(crate) pending_names: Option<crate::names::PendingNames>,
    /// Member keys pinned by the signed membership ops.
    pub(crate) pinned: HashMap<Id, PublicKeys>,
    /// The seal of a private replica (`None` for a vault file not yet
    /// moved to sync: the legacy shared file).
    pub(crate) seal: Option<crate::replica::Seal>,
    /// How many bytes of feed entries one sync holds in memory at most
    /// ([`Vault::set_sync_read_budget`]).
    pub(crate) read_budget: usize,
    /// SQLite's `data_version` of this connection when it last caught up
    /// with writes made by another connection ([`Vault::catch_up`]).
    pub(crate) data_version: i64,
    /// SQLite's `data_version` when this handle last ran the open's checks
    /// on the file ([`Vault::check_current`]): apart from
    /// `data_version`, which is what the app was last told about, because
    /// a write must never seal what another connection changed unchecked
    /// (attack review 18).
    pub(crate) checked_version: i64,
    /// Why the file stopped checking out when this handle last caught up
    /// ([`Vault::catch_up`]): from then on the handle writes nothing,
    /// until the vault is opened anew (where `open` refuses the file as
    /// well).
    pub(crate) refused: Option<String>,
    /// Whether personal overrides apply, and which ones did.
    pub(crate) overrides: crate::overlay::OverlayUse,
    /// Threads a re-key's cryptography may use ([`Vault::set_crypto_threads`]);
    /// `None`: the machine's default, asked only when a re-key runs (asking
    /// reads cgroup files: ~2 % of a `coffer get`, which never needs it).
    pub(crate) crypto_threads: Option<usize>,
}

impl std::fmt::Debug for Vault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Vault({}, {})", self.vault_id, self.path.display())
    }
}

/// The vault's SQLite connection, counting what it wrote besides read
/// events.
///
/// When the last connection to a file in WAL mode closes, SQLite copies the
/// WAL into the main file and deletes it (a checkpoint: two fsyncs), and
/// the next write creates the WAL again (two more: its header and its
/// folder). For a command that only appends read events (`get`, `export`,
/// `run`, the app revealing a value) that was four of its seven fsyncs. A
/// connection that committed nothing but read events therefore closes
/// without the checkpoint (`SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE`): its read
/// events stay in the `-wal` file beside the vault, where they were
/// durable from their commit on (`synchronous = FULL`), and SQLite's
/// recovery reads them at the next open like any committed transaction.
/// A connection that changed anything else closes as before, so after a
/// command that changes the vault the main file alone holds every change.
/// The WAL of read events is kept small: the first connection of every
/// process rebuilds SQLite's WAL index by reading the whole WAL (its
/// recovery), so a WAL of a few hundred read events (SQLite's automatic
/// checkpoint waits for 1,000 pages, ~4 MB) cost every later command ~3 ms
/// of reading and checksumming. A read-only connection whose `-wal` has
/// grown past [`READ_WAL_LIMIT`] closes with the checkpoint as a writing
/// one does (one read in about ten). A writing command empties it too.
/// docs/design-decisions.md, "Read events: one fsync for the log".
pub(crate) struct VaultConn {
    conn: Connection,
    /// Rows changed by committed transactions of read events only.
    read_changes: u64,
}

impl VaultConn {
    pub(crate) fn new(conn: Connection) -> Self {
        VaultConn {
            conn,
            read_changes: 0,
        }
    }

    /// Counts the rows changed since `before` (this connection's
    /// `total_changes` then) as a committed transaction of read events.
    pub(crate) fn count_reads(&mut self, before: u64) {
        self.read_changes += self.conn.total_changes().saturating_sub(before);
    }

    /// Whether everything this connection changed was a read event
    /// (nothing at all counts too). SQLite's count only grows (a rolled-back
    /// change still counts), so a doubt always leads to the checkpoint.
    pub(crate) fn only_reads(&self) -> bool {
        self.conn.total_changes() == self.read_changes
    }
}

impl std::ops::Deref for VaultConn {
    type Target = Connection;
    fn deref(&self) -> &Connection {
        &self.conn
    }
}

impl std::ops::DerefMut for VaultConn {
    fn deref_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }
}

/// The largest `-wal` a connection of read events only leaves behind
/// without a checkpoint ([`VaultConn`]): about ten read events.
pub(crate) const READ_WAL_LIMIT: u64 = 256 * 1024;

impl VaultConn {
    /// The size of the `-wal` file beside the vault; `None` when it cannot
    /// be told (then the close checkpoints, the safe side).
    fn wal_len(&self) -> Option<u64> {
        let db = self.conn.path().filter(|p| !p.is_empty())?;
        std::fs::metadata(format!("{db}-wal")).ok().map(|m| m.len())
    }
}

impl Drop for VaultConn {
    fn drop(&mut self) {
        if self.only_reads() && self.wal_len().is_some_and(|n| n <= READ_WAL_LIMIT) {
            // Best effort: failing to set it only costs the checkpoint.
            let _ = self.conn.set_db_config(
                rusqlite::config::DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE,
                true,
            );
        }
    }
}

/// SQLite's `PRAGMA data_version` of `conn`: it changes when another
/// connection commits to the file, never for this connection's own commits.
pub(crate) fn data_version(conn: &Connection) -> Result<i64> {
    Ok(conn.query_row("PRAGMA data_version", [], |r| r.get(0))?)
}

/// Checks, read-only, that `path` is a Coffer vault (a schema version and
/// the `vault` table), without changing the file.
fn check_is_vault(path: &Path) -> Result<()> {
    let not = || {
        Error::InvalidInput(format!(
            "{} is not a Coffer vault file (or it is damaged)",
            path.display()
        ))
    };
    let conn = Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)
        .map_err(|_| not())?;
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|_| not())?;
    let tables: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'vault'",
            [],
            |r| r.get(0),
        )
        .map_err(|_| not())?;
    if version < 1 || tables == 0 {
        return Err(not());
    }
    Ok(())
}

pub(crate) fn open_conn(path: &Path) -> Result<Connection> {
    let mut conn = Connection::open(path)?;
    schema::configure(&conn)?;
    schema::check_objects(&conn)?;
    schema::migrate(&mut conn)?;
    Ok(conn)
}

/// Creates the (empty) file of a new vault or replica, 0600, before SQLite
/// opens it; SQLite gives its -wal and -shm files the same mode.
pub(crate) fn create_private_file(path: &Path) -> Result<()> {
    if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        if !dir.exists() {
            crate::paths::ensure_private_dir(dir)?;
        }
    }
    let mut o = OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
    o.open(path)
        .map(|_| ())
        .map_err(|e| Error::io(format!("creating {}", path.display()), e))
}

impl Vault {
    /// Creates a new vault file at `path`; `me` becomes its owner.
    pub fn create(path: &Path, team_name: &str, me: UnlockedIdentity) -> Result<Self> {
        let team_name = team_name.trim();
        if team_name.is_empty() || team_name.len() > 100 {
            return Err(Error::InvalidInput(
                "the team name must be 1-100 characters".into(),
            ));
        }
        if path.exists() {
            return Err(Error::AlreadyExists(format!(
                "a file at {}",
                path.display()
            )));
        }
        if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            if !dir.exists() {
                crate::paths::ensure_private_dir(dir)?;
            }
        }
        create_private_file(path)?;
        let result = (|| {
            let conn = open_conn(path)?;
            let vault_id = Id::make();
            let mut v = Vault {
                conn: VaultConn::new(conn),
                path: path.to_path_buf(),
                vault_id,
                name: team_name.to_string(),
                me,
                env_keys: HashMap::new(),
                keyless: HashMap::new(),
                pending_names: None,
                pinned: HashMap::new(),
                seal: None,
                read_budget: crate::sync::DEFAULT_READ_BUDGET,
                data_version: 0,
                checked_version: 0,
                refused: None,
                overrides: Default::default(),
                crypto_threads: None,
            };
            // The file is this connection's own so far: the version read
            // first, the schema checked after it (as `open_keeping` does).
            v.checked_version = data_version(&v.conn)?;
            crate::schema::check_objects(&v.conn)?;
            let owner = MemberRecord {
                id: v.me.id(),
                name: v.me.name().to_string(),
                email: v.me.email.clone(),
                x25519: v.me.public().x25519,
                ed25519: v.me.public().ed25519,
                fingerprint: v.me.public().fingerprint(),
                role: "owner".into(),
            };
            v.apply(OpBody::Genesis {
                vault_id,
                name: team_name.to_string(),
                owner,
            })?;
            let g = crate::anchor::check_genesis(&v.conn, vault_id)?;
            crate::anchor::pin_anchor(&v.me.home, &vault_id, &g)?;
            v.data_version = data_version(&v.conn)?;
            v.checked_version = v.data_version;
            Ok(v)
        })();
        if result.is_err() {
            remove_vault_files(path);
        }
        result
    }

    /// Opens an existing vault as `me`, who must be an active member.
    pub fn open(path: &Path, me: UnlockedIdentity) -> Result<Self> {
        Self::open_keeping(path, me).map_err(|f| f.error)
    }

    /// Opens a vault file chosen by the user (the desktop app's "open an
    /// existing vault") and remembers its path in `COFFER_HOME` for the
    /// next start ([`crate::paths::remember_vault_path`]). On failure the
    /// unlocked identity is handed back with the error, so the user can try
    /// another file without unlocking again.
    pub fn open_existing(
        path: &Path,
        me: UnlockedIdentity,
    ) -> std::result::Result<Self, OpenFailure> {
        // A path typed by the user may name another program's database or
        // an empty file: look before opening read-write, which would
        // switch it to WAL and create the vault's tables in it.
        if path.is_file() {
            if let Err(error) = check_is_vault(path) {
                return Err(OpenFailure {
                    error,
                    identity: Box::new(me),
                });
            }
        }
        let v = Self::open_keeping(path, me)?;
        // Best effort: the vault is open; failing to remember it only
        // means the next start asks again.
        if let Err(e) = crate::paths::remember_vault_path(v.me.home(), path) {
            tracing::warn!(error = %e, "could not remember the vault path");
        }
        Ok(v)
    }

    pub(crate) fn open_keeping(
        path: &Path,
        me: UnlockedIdentity,
    ) -> std::result::Result<Self, OpenFailure> {
        let fail = |error: Error, me: UnlockedIdentity| OpenFailure {
            error,
            identity: Box::new(me),
        };
        if !path.exists() {
            return Err(fail(Error::NoVault(path.to_path_buf()), me));
        }
        if path.is_dir() {
            return Err(fail(
                Error::InvalidInput(format!("{} is a folder, not a vault file", path.display())),
                me,
            ));
        }
        let conn = match open_conn(path) {
            Ok(c) => c,
            Err(e) => return Err(fail(e, me)),
        };
        // The version the checks below vouch for, read before them: a
        // commit by another connection during the checks (a trigger
        // planted after `open_conn`'s schema check, attack review 19, F3)
        // moves `data_version` past it, so the handle's first command or
        // write checks again. The schema is checked once more for that.
        let checked_at = match data_version(&conn)
            .and_then(|dv| crate::schema::check_objects(&conn).map(|()| dv))
        {
            Ok(dv) => dv,
            Err(e) => return Err(fail(e, me)),
        };
        let row: Result<Option<(Vec<u8>, String)>> = conn
            .query_row("SELECT id, name FROM vault", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()
            .map_err(Into::into);
        let (id, name) = match row {
            Ok(Some(r)) => r,
            Ok(None) => return Err(fail(Error::integrity("the vault has no genesis"), me)),
            Err(e) => return Err(fail(e, me)),
        };
        let vault_id = match Id::from_slice(&id) {
            Ok(i) => i,
            Err(_) => return Err(fail(Error::integrity("bad vault id"), me)),
        };
        let mut v = Vault {
            conn: VaultConn::new(conn),
            path: path.to_path_buf(),
            vault_id,
            name,
            me,
            env_keys: HashMap::new(),
            keyless: HashMap::new(),
            pending_names: None,
            pinned: HashMap::new(),
            seal: None,
            read_budget: crate::sync::DEFAULT_READ_BUDGET,
            data_version: 0,
            checked_version: 0,
            refused: None,
            overrides: Default::default(),
            crypto_threads: None,
        };
        // The trust checks, before anything read from the file is used:
        // the one genesis, the anchor this device pinned, its own head.
        // A private replica's seal first: if another device or a hand
        // edit changed the file, nothing in it is read for a decision.
        let checked = crate::anchor::check_genesis(&v.conn, vault_id).and_then(|g| {
            let anchor = crate::anchor::check_anchor(&v.me.home, &vault_id, &g)?;
            // Sealed once, sealed for good: the anchor's flag, the seal row
            // and the generation this device recorded each say so.
            let sealed_before =
                crate::anchor::recorded_generation(&v.me.home, &vault_id, &v.me.device_id)? > 0;
            if anchor.private_replica || sealed_before || v.has_seal()? {
                let seal = crate::replica::Seal::check(
                    &v.conn,
                    v.me.private.derive_replica_mac_key(&v.me.device_id),
                    &vault_id,
                    &v.me.device_id,
                )?;
                crate::anchor::check_generation(
                    &v.me.home,
                    &vault_id,
                    &v.me.device_id,
                    seal.generation(),
                )?;
                v.seal = Some(seal);
            }
            crate::anchor::check_head(&v.conn, &v.me.home, &vault_id, &v.me.device_id)?;
            Self::load_pinned(&v.conn, vault_id, &g.hash)
        });
        match checked {
            Ok(p) => {
                v.pinned = p;
                v.data_version = checked_at;
                v.checked_version = checked_at;
            }
            Err(e) => return Err(fail(e, v.me)),
        }
        match v.check_membership() {
            Ok(()) => Ok(v),
            Err(e) => Err(fail(e, v.me)),
        }
    }

    /// This identity is an active member (from the verified state): the
    /// open's last check, and a live handle's when it catches up.
    fn check_membership(&self) -> Result<()> {
        match self.member_status(&self.me.id())? {
            Some((_, status)) if status == "active" => Ok(()),
            Some(_) => Err(Error::PermissionDenied(
                "your membership of this vault was revoked".into(),
            )),
            None => Err(Error::PermissionDenied(
                "you are not a member of this vault; ask an admin to add your public identity"
                    .into(),
            )),
        }
    }

    fn has_seal(&self) -> Result<bool> {
        Ok(self
            .conn
            .query_row("SELECT 1 FROM replica WHERE id = 1", [], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Whether this is a private replica (sealed by this device, synced
    /// through feeds) rather than a vault file shared the old way.
    pub fn is_private_replica(&self) -> bool {
        self.seal.is_some()
    }

    /// Sets how many threads a re-key (an offboarding, `coffer env rekey`)
    /// opens and re-seals items on (default: the machine's cores, at most
    /// 8; `1`: all on the calling thread). The database is only ever used
    /// from the calling thread, and the op built is the same either way.
    pub fn set_crypto_threads(&mut self, threads: usize) {
        self.crypto_threads = Some(threads.max(1));
    }

    /// Whether another connection changed the file since this one last
    /// looked (the `coffer` CLI on this device, another window), and if so,
    /// catches up: what this handle keeps in memory about the file (the
    /// replica's seal, the pinned member keys, the cached environment
    /// keys) is read again, so the next change made here builds on the
    /// file as it is. Writes made through this handle, sync included, are
    /// not reported: the caller already knows about them.
    ///
    /// Cheap enough to poll a few times a second: SQLite's
    /// `PRAGMA data_version` reads a counter in the WAL index (shared
    /// memory), without touching the database pages; only a change costs
    /// more (the seal is checked again: a digest of the log and state).
    ///
    /// The checks are those `open` makes (schema objects, the seal and
    /// the generation this device recorded, this device's head, the
    /// genesis): a file that no longer passes them (edited by something
    /// that is not Coffer, an older copy written back) is
    /// [`Error::Integrity`], reported once (later polls say nothing new),
    /// and the handle writes nothing more: [`Vault::apply_batch`] and sync
    /// refuse with the same reason. The next open refuses the file too.
    pub fn catch_up(&mut self) -> Result<bool> {
        if self.refused.is_some() {
            // Reported once, when it was found; the handle's writes say it.
            return Ok(false);
        }
        let now = data_version(&self.conn)?;
        if now == self.data_version {
            return Ok(false);
        }
        self.data_version = now;
        self.check_at(now)?;
        Ok(true)
    }

    /// Stops this handle's own commits from checkpointing into the main
    /// file (SQLite's automatic checkpoint, at 1,000 WAL pages): for a
    /// long-lived handle that watches the main file's metadata for writes
    /// made outside SQLite (the agent), whose own checkpoint would look like
    /// one. Its WAL then grows until the handle is closed, which
    /// checkpoints when it is the file's last connection; the caller
    /// bounds it by closing and opening again.
    pub fn defer_checkpoints(&mut self) -> Result<()> {
        self.conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        Ok(())
    }

    /// Runs the open's checks again if another connection changed the file
    /// since this handle last checked it, without reporting the change
    /// (that stays for [`Vault::catch_up`]): what a long-lived handle
    /// (the app) calls before each command, so that nothing is read
    /// through, or written over, a file another program changed since
    /// (attack review 18). A file that no longer checks out is
    /// [`Error::Integrity`], now and for every later call on this handle;
    /// a membership revoked meanwhile is [`Error::PermissionDenied`].
    pub fn check_current(&mut self) -> Result<()> {
        if let Some(why) = &self.refused {
            return Err(Error::integrity(why.clone()));
        }
        let now = data_version(&self.conn)?;
        self.check_at(now)?;
        // Revoked meanwhile (an offboarding on a shared file, a sync
        // another process ran): the handle refuses as an open would. (Not
        // inside `check_at`: a revoked member's write is refused by
        // `apply` and recorded as denied.)
        self.check_membership()
    }

    /// The checks, if the file moved past `now`'s last check.
    pub(crate) fn check_at(&mut self, now: i64) -> Result<()> {
        if now == self.checked_version {
            return Ok(());
        }
        match self.check_caught_up() {
            Ok(()) => {
                self.checked_version = now;
                Ok(())
            }
            Err(e) => {
                // A file that no longer checks out stays refused for this
                // handle: nothing is written over it (a planted trigger
                // would fire and be sealed).
                if e.kind() == crate::error::ErrorKind::Integrity {
                    self.refused = Some(e.to_string());
                }
                Err(e)
            }
        }
    }

    /// [`Vault::catch_up`]'s checks, and what it reads again.
    fn check_caught_up(&mut self) -> Result<()> {
        // The checks `open` makes, all of them: a seal's MAC alone passes
        // an older sealed copy written back over the file, and covers rows,
        // not schema objects (a trigger planted while the app is open fired
        // at its next write, and the seal then vouched for what it did:
        // attack review 10, L2, L3).
        crate::schema::check_objects(&self.conn)?;
        // Sealed by now, if not at the open: another process may have
        // moved the vault to sync (`sync init`) while this handle was
        // open. The open's decision, taken again; a handle that kept
        // writing unsealed would break the new replica's seal.
        let sealed_now = self.seal.is_some()
            || crate::anchor::recorded_generation(
                &self.me.home,
                &self.vault_id,
                &self.me.device_id,
            )? > 0
            || self.has_seal()?
            || crate::anchor::check_genesis(&self.conn, self.vault_id)
                .and_then(|g| crate::anchor::check_anchor(&self.me.home, &self.vault_id, &g))?
                .private_replica;
        if sealed_now {
            let seal = crate::replica::Seal::check(
                &self.conn,
                self.me.private.derive_replica_mac_key(&self.me.device_id),
                &self.vault_id,
                &self.me.device_id,
            )?;
            crate::anchor::check_generation(
                &self.me.home,
                &self.vault_id,
                &self.me.device_id,
                seal.generation(),
            )?;
            self.seal = Some(seal);
        }
        crate::anchor::check_head(
            &self.conn,
            &self.me.home,
            &self.vault_id,
            &self.me.device_id,
        )?;
        let g = crate::anchor::check_genesis(&self.conn, self.vault_id)?;
        self.pinned = Self::load_pinned(&self.conn, self.vault_id, &g.hash)?;
        // Keys are cached per epoch and re-read when the epoch moves, but
        // an ungrant or offboarding made elsewhere may have replaced the
        // key of the same epoch number's wraps: read them again.
        self.env_keys.clear();
        self.keyless.clear();
        Ok(())
    }

    /// The vault id.
    pub fn id(&self) -> Id {
        self.vault_id
    }
    /// The team name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The file.
    pub fn path(&self) -> &Path {
        &self.path
    }
    /// The unlocked identity.
    pub fn me(&self) -> &UnlockedIdentity {
        &self.me
    }

    pub(crate) fn member_status(&self, id: &Id) -> Result<Option<(Role, String)>> {
        let r: Option<(String, String)> = self
            .conn
            .query_row(
                "SELECT role, status FROM members WHERE id = ?1",
                [&id.0[..]],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()?;
        match r {
            None => Ok(None),
            Some((role, status)) => Ok(Some((Role::parse(&role)?, status))),
        }
    }

    /// An active member's public keys, checked twice: against the
    /// fingerprint stored beside them, and against the keys pinned by the
    /// signed op that added them (loaded at open). A row rewritten
    /// consistently (keys and fingerprint) is still refused, before anything
    /// is wrapped to it, and so is a revoked member: no key is ever wrapped
    /// to them, nor is a wrap they signed accepted.
    pub(crate) fn member_keys(&self, id: &Id) -> Result<PublicKeys> {
        match self.member_status(id)? {
            Some((_, status)) if status == "active" => {}
            _ => {
                return Err(Error::integrity(format!(
                    "member {} is not an active member of this vault",
                    id.short()
                )))
            }
        }
        let keys = Self::member_keys_in(&self.conn, id)?;
        match self.pinned.get(id) {
            Some(p) if *p == keys => Ok(keys),
            _ => Err(Error::integrity(format!(
                "member {}'s keys differ from those pinned when they were added",
                id.short()
            ))),
        }
    }

    /// The keys pinned by the signed membership ops (genesis, member add),
    /// each op's signature checked against its author's pinned key.
    pub(crate) fn load_pinned(
        conn: &Connection,
        vault_id: Id,
        genesis: &[u8; 32],
    ) -> Result<HashMap<Id, PublicKeys>> {
        let mut st = conn.prepare(PINNED_QUERY)?;
        let rows = st.query_map(params![kind::GENESIS, kind::ADD_MEMBER], |r| {
            Ok((
                r.get::<_, Vec<u8>>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, i64>(2)?,
                r.get::<_, Vec<u8>>(3)?,
                r.get::<_, i64>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, Vec<u8>>(6)?,
                r.get::<_, Vec<u8>>(7)?,
                r.get::<_, Vec<u8>>(8)?,
                r.get::<_, Vec<u8>>(9)?,
            ))
        })?;
        let bad = || Error::integrity("a membership entry of the op log does not verify");
        let mut pinned: HashMap<Id, PublicKeys> = HashMap::new();
        for r in rows {
            let (op_id, dev, dseq, author, hlc, k, body, prev, hash, sig) = r?;
            let header = OpHeader {
                op_id: Id::from_slice(&op_id).map_err(|_| bad())?,
                vault_id,
                device_id: Id::from_slice(&dev).map_err(|_| bad())?,
                device_seq: dseq as u64,
                author_id: Id::from_slice(&author).map_err(|_| bad())?,
                hlc: hlc as u64,
                kind: u8::try_from(k).map_err(|_| bad())?,
                prev_hash: prev.as_slice().try_into().map_err(|_| bad())?,
            };
            if header.hash(&body)[..] != hash[..] {
                return Err(bad());
            }
            let member = match OpBody::decode(&body)? {
                // Only the genesis checked against the anchor at open.
                OpBody::Genesis { owner, .. } if pinned.is_empty() && hash[..] == genesis[..] => {
                    owner
                }
                OpBody::AddMember { member, .. } => member,
                _ => return Err(bad()),
            };
            let keys = PublicKeys {
                id: member.id,
                x25519: member.x25519,
                ed25519: member.ed25519,
            };
            let signer = if header.kind == kind::GENESIS {
                keys.clone()
            } else {
                pinned.get(&header.author_id).cloned().ok_or_else(bad)?
            };
            signer
                .verify(SignPurpose::Op, &header.signed_bytes(&body), &sig)
                .map_err(|_| bad())?;
            pinned.insert(member.id, keys);
        }
        Ok(pinned)
    }

    /// The keys of a member as stored, checked against the stored
    /// fingerprint only (for the replay in `verify`).
    pub(crate) fn member_keys_in(conn: &Connection, id: &Id) -> Result<PublicKeys> {
        let (x, ed, fp): (Vec<u8>, Vec<u8>, String) = conn
            .query_row(
                "SELECT x25519, ed25519, fingerprint FROM members WHERE id = ?1",
                [&id.0[..]],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?
            .ok_or_else(|| Error::integrity(format!("unknown member {}", id.short())))?;
        let keys = PublicKeys {
            id: *id,
            x25519: x
                .as_slice()
                .try_into()
                .map_err(|_| Error::integrity("malformed member key"))?,
            ed25519: ed
                .as_slice()
                .try_into()
                .map_err(|_| Error::integrity("malformed member key"))?,
        };
        if keys.fingerprint() != fp {
            return Err(Error::integrity(format!(
                "member {}'s keys do not match their pinned fingerprint",
                id.short()
            )));
        }
        Ok(keys)
    }

    // ----- environments -------------------------------------------------

    /// Finds an environment by `PROJECT/ENV`.
    pub fn env(&self, path: &str) -> Result<EnvInfo> {
        let (p, e) = parse_env_path(path)?;
        let row = self
            .conn
            .query_row(
                "SELECT e.id FROM environments e JOIN projects p ON p.id = e.project_id
                 WHERE p.name = ?1 AND e.name = ?2",
                params![p, e],
                |r| r.get::<_, Vec<u8>>(0),
            )
            .optional()?;
        let Some(row) = row else {
            return Err(Error::NotFound(
                self.removed_hint(&p, &e)?
                    .unwrap_or_else(|| format!("environment {p}/{e}")),
            ));
        };
        let id = Id::from_slice(&row).map_err(|_| Error::integrity("bad env id"))?;
        self.env_by_id(&id)
    }

    /// Whether this identity manages the vault now (an active owner or
    /// admin): adds, renames and removes environments, members and grants.
    /// From the verified tables, by the rule `authorize` applies.
    pub fn manages(&self) -> Result<bool> {
        Ok(active_role(&self.conn, &self.me.id())?.is_some_and(|r| r <= Role::Admin))
    }

    pub(crate) fn env_by_id(&self, id: &Id) -> Result<EnvInfo> {
        let me = self.me.id();
        let mut env = self.env_row(id)?;
        env.writable = may_write_env(&self.conn, &me, id)?;
        Ok(env)
    }

    fn env_row(&self, id: &Id) -> Result<EnvInfo> {
        let me = self.me.id();
        self.conn
            .query_row(
                "SELECT p.name, COALESCE(r.name, e.name), e.epoch, e.rotate_every_days,
                    (SELECT COUNT(*) FROM env_wraps w WHERE w.env_id = e.id AND w.member_id = ?2),
                    (SELECT access FROM grants g WHERE g.env_id = e.id AND g.member_id = ?2),
                    (SELECT COUNT(*) FROM items i WHERE i.env_id = e.id AND i.deleted_at IS NULL),
                    r.env_id IS NOT NULL
                 FROM environments e JOIN projects p ON p.id = e.project_id
                 LEFT JOIN removed_envs r ON r.env_id = e.id WHERE e.id = ?1",
                params![&id.0[..], &me.0[..]],
                |r| {
                    Ok(EnvInfo {
                        id: *id,
                        project: r.get(0)?,
                        name: r.get(1)?,
                        epoch: r.get::<_, i64>(2)? as u64,
                        rotate_every_days: r.get::<_, Option<i64>>(3)?.map(|d| d as u32),
                        readable: r.get::<_, i64>(4)? > 0,
                        access: r.get(5)?,
                        writable: false,
                        items: r.get::<_, i64>(6)? as u64,
                        removed: r.get(7)?,
                    })
                },
            )
            .optional()?
            .ok_or_else(|| Error::NotFound(format!("environment {}", id.short())))
    }

    /// Lists environments (those this identity cannot read are marked);
    /// removed ones are left out ([`Vault::list_removed_envs`]).
    pub fn list_envs(&self, project: Option<&str>) -> Result<Vec<EnvInfo>> {
        let mut st = self.conn.prepare(
            "SELECT e.id FROM environments e JOIN projects p ON p.id = e.project_id
             WHERE (?1 IS NULL OR p.name = ?1)
               AND NOT EXISTS (SELECT 1 FROM removed_envs r WHERE r.env_id = e.id)
             ORDER BY p.name, e.name",
        )?;
        let ids: Vec<Vec<u8>> = st
            .query_map([project], |r| r.get(0))?
            .collect::<std::result::Result<_, _>>()?;
        if let Some(p) = project {
            if ids.is_empty() && !self.project_exists(p)? {
                return Err(Error::NotFound(format!("project {p}")));
            }
        }
        ids.iter()
            .map(|b| self.env_by_id(&Id::from_slice(b).map_err(|_| Error::integrity("bad id"))?))
            .collect()
    }

    /// Every environment, removed ones included: for what must not skip
    /// them (offboarding's scope, a leaked key's re-key, audit names).
    pub(crate) fn list_all_envs(&self) -> Result<Vec<EnvInfo>> {
        let mut st = self
            .conn
            .prepare("SELECT id FROM environments ORDER BY id")?;
        let ids: Vec<Vec<u8>> = st
            .query_map([], |r| r.get(0))?
            .collect::<std::result::Result<_, _>>()?;
        ids.iter()
            .map(|b| self.env_by_id(&Id::from_slice(b).map_err(|_| Error::integrity("bad id"))?))
            .collect()
    }

    fn project_exists(&self, name: &str) -> Result<bool> {
        Ok(self
            .conn
            .query_row("SELECT 1 FROM projects WHERE name = ?1", [name], |_| Ok(()))
            .optional()?
            .is_some())
    }

    /// Adds `PROJECT/ENV` (creating the project if new) with a fresh EK at
    /// epoch 1, wrapped to this identity with write access.
    pub fn add_env(&mut self, path: &str, rotate_every_days: Option<u32>) -> Result<EnvInfo> {
        let (p, e) = parse_env_path(path)?;
        let existing: Option<Vec<u8>> = self
            .conn
            .query_row("SELECT id FROM projects WHERE name = ?1", [&p], |r| {
                r.get(0)
            })
            .optional()?;
        let (project_id, new_project) = match existing {
            Some(b) => (
                Id::from_slice(&b).map_err(|_| Error::integrity("bad id"))?,
                false,
            ),
            None => (Id::make(), true),
        };
        if !new_project && self.env(path).is_ok() {
            return Err(Error::AlreadyExists(format!("environment {p}/{e}")));
        }
        let env_id = Id::make();
        let ek = EnvKey::make();
        let wraps = self.new_env_wraps(&ek, &env_id)?;
        self.apply(OpBody::AddEnv {
            project_id,
            project_name: p,
            new_project,
            env_id,
            env_name: e,
            rotate_every_days,
            wraps,
        })?;
        self.env_keys.insert(env_id, (1, ek));
        self.env_by_id(&env_id)
    }

    /// A new environment's first wraps: the creator and every owner hold
    /// its key (owners can do everything).
    pub(crate) fn new_env_wraps(&self, ek: &EnvKey, env_id: &Id) -> Result<Vec<WrapRecord>> {
        let mut wraps = vec![self.wrap_env_key(ek, env_id, 1, &self.me.public().clone())?];
        let owners: Vec<Vec<u8>> = {
            let mut st = self
                .conn
                .prepare("SELECT id FROM members WHERE role = 'owner' AND status = 'active'")?;
            let r = st
                .query_map([], |r| r.get(0))?
                .collect::<std::result::Result<_, _>>()?;
            r
        };
        for o in owners {
            let o = Id::from_slice(&o).map_err(|_| Error::integrity("bad member id"))?;
            if o != self.me.id() {
                let keys = self.member_keys(&o)?;
                wraps.push(self.wrap_env_key(ek, env_id, 1, &keys)?);
            }
        }
        Ok(wraps)
    }

    pub(crate) fn wrap_env_key(
        &self,
        ek: &EnvKey,
        env_id: &Id,
        epoch: u64,
        to: &PublicKeys,
    ) -> Result<WrapRecord> {
        wrap_env_key_as(&self.me, self.vault_id, ek, env_id, epoch, to)
    }

    /// Wraps the (already unwrapped and cached) EK of `env` to `to`.
    pub(crate) fn wrap_cached_env_key(&self, env: &EnvInfo, to: &PublicKeys) -> Result<WrapRecord> {
        let (_, ek) = self.env_keys.get(&env.id).ok_or_else(|| {
            Error::PermissionDenied(format!("you have no access to {}", env.path()))
        })?;
        self.wrap_env_key(ek, &env.id, env.epoch, to)
    }

    /// The environment and item key of an item, via this identity's EK.
    pub(crate) fn item_key_by_id(
        &mut self,
        item_id: &Id,
    ) -> Result<(EnvInfo, crate::items::ItemKeys)> {
        let (env, ik) = self.item_key_if_it_opens(item_id)?;
        match ik {
            Some(ik) => Ok((env, ik)),
            None => Err(Error::integrity(format!(
                "an item key in {} does not open",
                env.path()
            ))),
        }
    }

    /// [`Vault::item_key_by_id`], with `None` for an item whose key opens
    /// under the environment's key for nobody (a teammate's client sealed
    /// it so). Re-signing a share of such an item gives nothing, so a role
    /// change or a repair leaves it out instead of failing: otherwise one
    /// such share, which any writer can make, blocks lowering or demoting
    /// its author and every orphaned share's repair (attack review 9, K1,
    /// K3).
    pub(crate) fn item_key_if_it_opens(
        &mut self,
        item_id: &Id,
    ) -> Result<(EnvInfo, Option<crate::items::ItemKeys>)> {
        let (env_id, ik_ct): (Vec<u8>, Vec<u8>) = self.conn.query_row(
            "SELECT env_id, ik_ct FROM items WHERE id = ?1",
            [&item_id.0[..]],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        let env =
            self.env_by_id(&Id::from_slice(&env_id).map_err(|_| Error::integrity("bad id"))?)?;
        let vault_id = self.vault_id;
        let Ok(ik) = self.env_key(&env)?.open_item_key(
            &ik_ct,
            &coffer_crypto::ItemKeyContext {
                vault_id,
                env_id: env.id,
                item_id: *item_id,
                epoch: env.epoch,
            },
        ) else {
            return Ok((env, None));
        };
        let earlier = crate::items::earlier_keys_ct(&self.conn, item_id)?;
        let mut ik = crate::items::ItemKeys::open(ik, earlier.as_ref(), vault_id, env.id, *item_id);
        self.recover_earlier(&env, *item_id, &mut ik)?;
        Ok((env, Some(ik)))
    }

    /// Checks that the sender of a wrap may vouch for that key: an active
    /// owner or admin (for an environment key), or, for an item key, also a
    /// member with write access to its environment. A wrap signed by anyone
    /// else is refused even if its signature is good.
    pub(crate) fn check_sender(&self, sender: &Id, env_id: &Id, item_share: bool) -> Result<()> {
        let (role, status) = self.member_status(sender)?.ok_or_else(|| {
            Error::integrity(format!(
                "a wrap was made by an unknown member {}",
                sender.short()
            ))
        })?;
        let ok = status == "active"
            && (role <= Role::Admin
                || (item_share && role == Role::Member && {
                    let a: Option<String> = self
                        .conn
                        .query_row(
                            "SELECT access FROM grants WHERE env_id = ?1 AND member_id = ?2",
                            params![&env_id.0[..], &sender.0[..]],
                            |r| r.get(0),
                        )
                        .optional()?;
                    a.as_deref() == Some("write")
                }));
        if ok {
            Ok(())
        } else {
            Err(Error::integrity(format!(
                "a key was wrapped by {}, who may not grant it",
                sender.short()
            )))
        }
    }

    /// This identity's EK for an environment at its current epoch. The wrap
    /// is checked against the sender's pinned key and our own context.
    pub(crate) fn env_key(&mut self, env: &EnvInfo) -> Result<&EnvKey> {
        self.ensure_env_key(env)?;
        self.env_keys
            .get(&env.id)
            .map(|(_, k)| k)
            .ok_or_else(|| Error::Database("environment key cache".into()))
    }

    /// Unwraps and caches the EK of `env` at its current epoch.
    pub(crate) fn ensure_env_key(&mut self, env: &EnvInfo) -> Result<()> {
        let fresh = matches!(self.env_keys.get(&env.id), Some((e, _)) if *e == env.epoch);
        if !fresh {
            let me = self.me.id();
            type WrapRow = (Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>);
            let row: Option<WrapRow> = self
                .conn
                .query_row(
                    "SELECT sender_id, epk, ct, sig FROM env_wraps WHERE env_id = ?1 AND member_id = ?2",
                    params![&env.id.0[..], &me.0[..]],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            let (sender, epk, ct, sig) = row.ok_or_else(|| {
                Error::PermissionDenied(format!("you have no access to {}", env.path()))
            })?;
            let sender = Id::from_slice(&sender).map_err(|_| Error::integrity("bad sender id"))?;
            self.check_sender(&sender, &env.id, false)?;
            let sender_keys = self.member_keys(&sender)?;
            let ctx = WrapContext {
                vault_id: self.vault_id,
                object_id: env.id,
                epoch: env.epoch,
                recipient_id: me,
                sender_id: sender,
            };
            let ek: EnvKey = wrap::unwrap(&self.me.private, &sender_keys, &epk, &ct, &sig, &ctx)
                .map_err(|_| {
                    Error::integrity(format!("the key of {} does not open", env.path()))
                })?;
            self.env_keys.insert(env.id, (env.epoch, ek));
        }
        Ok(())
    }

    // ----- the one door --------------------------------------------------

    /// Signs and applies one op.
    pub fn apply(&mut self, body: OpBody) -> Result<()> {
        self.apply_batch(vec![body])
    }

    /// Signs and applies several ops in one transaction: all or nothing. A
    /// denied op rolls the whole batch back and is then recorded as denied.
    pub fn apply_batch(&mut self, bodies: Vec<OpBody>) -> Result<()> {
        if let Some(why) = &self.refused {
            return Err(Error::integrity(why.clone()));
        }
        let author = self.me.id();
        let mut head = None;
        let before = self.conn.total_changes();
        let tx = begin_checked!(self);
        let mut appended = Vec::with_capacity(bodies.len());
        for body in &bodies {
            if let Err(e) =
                authorize(&tx, &author, body).and_then(|()| check_wraps(&tx, &author, body))
            {
                drop(tx);
                if matches!(e, Error::PermissionDenied(_)) {
                    self.record_denied(body)?;
                }
                return Err(e);
            }
            let a = append(&tx, &self.me, self.vault_id, body, "applied")?;
            mutate(&tx, body, &author, a.hlc >> 16)?;
            appended.push(a.rowid);
            head = Some((a.device_seq, a.hash));
        }
        // The name index's entries ride in this transaction: a cache, so
        // failing to write them fails nothing.
        if let Some(p) = self.pending_names.take() {
            if let Err(e) = crate::names::write(&tx, &p) {
                tracing::debug!(error = %e, "name index not written");
            }
        }
        let changed = bodies.iter().any(|b| !matches!(b, OpBody::Read { .. }));
        commit_sealed(
            &mut self.seal,
            tx,
            &self.me,
            &self.vault_id,
            &appended,
            changed,
        )?;
        if !changed {
            self.conn.count_reads(before);
        }
        if bodies
            .iter()
            .any(|b| matches!(b, OpBody::Genesis { .. } | OpBody::AddMember { .. }))
        {
            let g = crate::anchor::check_genesis(&self.conn, self.vault_id)?;
            self.pinned = Self::load_pinned(&self.conn, self.vault_id, &g.hash)?;
        }
        if let Some((seq, hash)) = head {
            crate::anchor::record_head(
                &self.me.home,
                &self.vault_id,
                &self.me.device_id,
                seq,
                &hash,
            );
        }
        Ok(())
    }

    fn record_denied(&mut self, body: &OpBody) -> Result<()> {
        let tx = begin_checked!(self);
        let a = append(&tx, &self.me, self.vault_id, body, "denied")?;
        commit_sealed(
            &mut self.seal,
            tx,
            &self.me,
            &self.vault_id,
            &[a.rowid],
            false,
        )?;
        crate::anchor::record_head(
            &self.me.home,
            &self.vault_id,
            &self.me.device_id,
            a.device_seq,
            &a.hash,
        );
        tracing::warn!(kind = kind::name(body.kind()), "op denied and recorded");
        Ok(())
    }
}

/// Advances the replica's seal (if it has one) over the log rows
/// `appended` inside `tx`, then commits. If either fails, the in-memory
/// seal is put back as it was, matching the file.
pub(crate) fn commit_sealed(
    seal: &mut Option<crate::replica::Seal>,
    tx: Transaction<'_>,
    me: &UnlockedIdentity,
    vault_id: &Id,
    appended: &[i64],
    state_changed: bool,
) -> Result<()> {
    let device = &me.device_id;
    let saved = seal.as_ref().map(|s| s.snapshot());
    let mut r = Ok(());
    if let Some(s) = seal.as_mut() {
        r = s.advance(&tx, vault_id, device, appended, state_changed);
    }
    let r = r.and_then(|()| tx.commit().map_err(Error::from));
    match (&r, seal.as_ref()) {
        (Err(_), _) => {
            if let (Some(s), Some(sv)) = (seal.as_mut(), saved) {
                s.restore(sv);
            }
        }
        (Ok(()), Some(s)) => {
            crate::anchor::record_generation(&me.home, vault_id, device, s.generation())
        }
        (Ok(()), None) => {}
    }
    r
}

/// Removes a vault or replica file and its SQLite companions (a failed
/// create or join leaves nothing half-made behind).
pub(crate) fn remove_vault_files(path: &Path) {
    for suffix in ["", "-wal", "-shm", "-journal"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(PathBuf::from(p));
    }
}

/// Checks that `author` may apply `body`, against the state before it.
/// Whether an active member with `role` may change credentials in
/// `env_id`: owners and admins everywhere, members where granted write,
/// readers nowhere. The one rule behind `authorize` (what an op may do)
/// and `EnvInfo::writable` (what the app offers).
fn role_may_write_env(conn: &Connection, role: Role, member: &Id, env_id: &Id) -> Result<bool> {
    if role <= Role::Admin {
        return Ok(true);
    }
    if role == Role::Reader {
        return Ok(false);
    }
    let access: Option<String> = conn
        .query_row(
            "SELECT access FROM grants WHERE env_id = ?1 AND member_id = ?2",
            params![&env_id.0[..], &member.0[..]],
            |r| r.get(0),
        )
        .optional()?;
    Ok(access.as_deref() == Some("write"))
}

/// A member's role and status (`active`/`revoked`), if a member.
fn role_and_status(conn: &Connection, member: &Id) -> Result<Option<(String, String)>> {
    Ok(conn
        .query_row(
            "SELECT role, status FROM members WHERE id = ?1",
            [&member.0[..]],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?)
}

/// An active member's role (revoked or unknown: none).
fn active_role(conn: &Connection, member: &Id) -> Result<Option<Role>> {
    match role_and_status(conn, member)? {
        Some((role, status)) if status == "active" => Ok(Some(Role::parse(&role)?)),
        _ => Ok(None),
    }
}

/// Whether `member` may change credentials in `env_id` now (revoked or
/// unknown: no).
pub(crate) fn may_write_env(conn: &Connection, member: &Id, env_id: &Id) -> Result<bool> {
    match active_role(conn, member)? {
        Some(role) => role_may_write_env(conn, role, member, env_id),
        None => Ok(false),
    }
}

pub(crate) fn authorize(tx: &Connection, author: &Id, body: &OpBody) -> Result<()> {
    if let OpBody::Genesis { owner, .. } = body {
        let n: i64 = tx.query_row("SELECT COUNT(*) FROM vault", [], |r| r.get(0))?;
        if n != 0 || owner.id != *author {
            return Err(Error::integrity(
                "a second genesis, or one not by its owner",
            ));
        }
        return Ok(());
    }
    let (role, status) = role_and_status(tx, author)?
        .ok_or_else(|| Error::PermissionDenied("the author is not a member".into()))?;
    if status != "active" {
        return Err(Error::PermissionDenied(
            "the author's membership was revoked".into(),
        ));
    }
    let role = Role::parse(&role)?;
    let can_write_env = |env_id: &Id| role_may_write_env(tx, role, author, env_id);
    let target_role = |id: &Id| -> Result<Option<Role>> {
        let r: Option<String> = tx
            .query_row("SELECT role FROM members WHERE id = ?1", [&id.0[..]], |r| {
                r.get(0)
            })
            .optional()?;
        r.map(|r| Role::parse(&r)).transpose()
    };
    let active_owners = || -> Result<i64> {
        Ok(tx.query_row(
            "SELECT COUNT(*) FROM members WHERE role = 'owner' AND status = 'active'",
            [],
            |r| r.get(0),
        )?)
    };
    let ok = match body {
        OpBody::Genesis { .. } => true,
        OpBody::AddEnv { .. }
        | OpBody::RekeyEnv { .. }
        | OpBody::Grant { .. }
        | OpBody::Ungrant { .. } => role <= Role::Admin,
        // Naming and removing environments is managing them: owners and
        // admins, like adding one.
        OpBody::RenameEnv { .. } | OpBody::RemoveEnv { .. } | OpBody::RestoreEnv { .. } => {
            role <= Role::Admin
        }
        // Like marking a version exposed: owners and admins only, or a
        // writer could forget what an offboarded member saw.
        OpBody::ExposedValues { .. } => role <= Role::Admin,
        // A re-key that re-seals every version could say anything in any
        // of them, a teammate's included (attack review 5, G4): only an
        // owner or admin sends one (an offboarding, which marks versions
        // exposed). A writer re-keys an item keeping its versions as sealed.
        OpBody::RekeyItem { .. } => role <= Role::Admin,
        // Settles a stale write for the team, as re-sealing it did.
        OpBody::AdoptStale { .. } => role <= Role::Admin,
        OpBody::SetItem { env_id, .. }
        | OpBody::DeleteItem { env_id, .. }
        | OpBody::ShareItem { env_id, .. }
        | OpBody::UnshareItem { env_id, .. }
        | OpBody::RekeyItemKeeping { env_id, .. }
        | OpBody::ResignShares { env_id, .. }
        | OpBody::ResolveConflict { env_id, .. } => can_write_env(env_id)?,
        OpBody::Read { .. } => true,
        // A personal overlay: the author's own, of an environment they
        // hold the key of now (verified state: their wrap), where the
        // environment's policy lets overlays apply.
        OpBody::SetOverlay { env_id, .. } => {
            if !crate::overlay::holds_env_key(tx, author, env_id)? {
                return Err(Error::PermissionDenied(
                    "a personal override needs read access to its environment".into(),
                ));
            }
            if !crate::overlay::overrides_allowed(tx, env_id)? {
                return Err(Error::Refused(format!(
                    "the policy of {} forbids personal overrides",
                    crate::overlay::env_path_of(tx, env_id)?
                )));
            }
            true
        }
        // Only ever the author's own entry (`mutate` keys it by the author).
        OpBody::RemoveOverlay { .. } => true,
        OpBody::SetEnvPolicy { .. } => role <= Role::Admin,
        // Owners do everything; admins manage members below owner.
        OpBody::AddMember { member, .. } => {
            role == Role::Owner || (role == Role::Admin && member.role != "owner")
        }
        OpBody::SetRole {
            member_id,
            role: new,
            ..
        } => {
            let old = target_role(member_id)?;
            if old == Some(Role::Owner) && new != "owner" && active_owners()? <= 1 {
                return Err(Error::Refused(
                    "the vault must keep at least one owner".into(),
                ));
            }
            role == Role::Owner
                || (role == Role::Admin && new != "owner" && old != Some(Role::Owner))
        }
        OpBody::Revoke { member_id, .. } => {
            if member_id == author {
                return Err(Error::Refused(
                    "you cannot offboard yourself; ask another owner or admin".into(),
                ));
            }
            let old = target_role(member_id)?;
            if old == Some(Role::Owner) && active_owners()? <= 1 {
                return Err(Error::Refused(
                    "the vault must keep at least one owner".into(),
                ));
            }
            role == Role::Owner || (role == Role::Admin && old != Some(Role::Owner))
        }
    };
    if !ok {
        return Err(Error::PermissionDenied(format!(
            "a {} cannot do {}",
            role.as_str(),
            kind::name(body.kind())
        )));
    }
    refuse_cut_on_grant(body, target_role)?;
    refuse_removed_env(tx, body)
}

/// A grant's feed cut (kinds 26, 27) denies what the member signed in the
/// environment without having seen it: only on a grant lowered to read or
/// removed, and only of a member or reader. An owner or admin writes every
/// environment by role, so a cut on their grant would only let an admin
/// deny an owner's unseen changes (a demotion, which admins may not make
/// of an owner, is the way to take an admin's power).
fn refuse_cut_on_grant(
    body: &OpBody,
    target_role: impl Fn(&Id) -> Result<Option<Role>>,
) -> Result<()> {
    let (member_id, lowered) = match body {
        OpBody::Grant {
            member_id,
            access,
            cut: Some(_),
            ..
        } => (member_id, access == "read"),
        OpBody::Ungrant {
            member_id,
            cut: Some(_),
            ..
        } => (member_id, true),
        _ => return Ok(()),
    };
    let member = target_role(member_id)?.is_some_and(|r| r > Role::Admin);
    if lowered && member {
        Ok(())
    } else {
        Err(Error::PermissionDenied(
            "a feed cut goes only with a member's or reader's grant lowered to read or removed"
                .into(),
        ))
    }
}

/// A removed environment takes no new value, no new key holder (grant,
/// share, a member added with a grant on it) and no second removal; what
/// takes access away (ungrant, unshare, re-keys, offboarding, exposure
/// records) still applies, so a leaver's exposure is never lost by a
/// removal. Decided from the state, so every device denies alike (an edit
/// made concurrently with the removal and ordered after it is denied).
fn refuse_removed_env(tx: &Connection, body: &OpBody) -> Result<()> {
    let removed = |env: &Id| -> Result<Option<String>> {
        Ok(tx
            .query_row(
                "SELECT p.name || '/' || r.name FROM removed_envs r
                 JOIN environments e ON e.id = r.env_id JOIN projects p ON p.id = e.project_id
                 WHERE r.env_id = ?1",
                [&env.0[..]],
                |r| r.get(0),
            )
            .optional()?)
    };
    let envs: Vec<&Id> = match body {
        OpBody::SetItem { env_id, .. }
        | OpBody::ShareItem { env_id, .. }
        | OpBody::Grant { env_id, .. }
        | OpBody::SetOverlay { env_id, .. }
        | OpBody::SetEnvPolicy { env_id, .. }
        | OpBody::RemoveEnv { env_id } => vec![env_id],
        OpBody::AddMember { grants, .. } => grants.iter().map(|g| &g.env_id).collect(),
        _ => Vec::new(),
    };
    for env in envs {
        if let Some(path) = removed(env)? {
            return Err(Error::Refused(format!(
                "environment {path} was removed (`coffer env restore {path}` brings it back)"
            )));
        }
    }
    Ok(())
}

/// Whether `s` may name a project or an environment: 1-64 letters,
/// digits, '.', '_' and '-' (never '/', which removed environments' rows
/// use).
pub(crate) fn valid_name_part(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 64
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Whether `s` may name a person (a member, an identity) or their email:
/// at most `max` bytes, no surrounding space, and nothing that changes how
/// the text around it reads: no control character (newlines, terminal
/// escapes) and no invisible format character (bidi overrides and
/// isolates, zero-width characters, the byte-order mark, line and
/// paragraph separators). `U+202E` is not `char::is_control`, so a name
/// such as `Eve\u{202E}nimda` printed as `Eve` + `admin` reversed (attack
/// review 10, L5). Checked where a name is typed and where `member.add`
/// applies, so an admin's own client cannot slip one past.
pub(crate) fn printable_name(s: &str, max: usize) -> bool {
    s.len() <= max && s.trim() == s && !s.chars().any(|c| c.is_control() || invisible_format(c))
}

/// Unicode's format characters (general category Cf) and the line and
/// paragraph separators (Zl, Zp): they draw nothing, or reorder, join or
/// break the text around them.
fn invisible_format(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}'
            | '\u{0600}'..='\u{0605}'
            | '\u{061C}'
            | '\u{06DD}'
            | '\u{070F}'
            | '\u{0890}'..='\u{0891}'
            | '\u{08E2}'
            | '\u{180E}'
            | '\u{200B}'..='\u{200F}'
            | '\u{2028}'..='\u{202E}'
            | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}'
            | '\u{FEFF}'
            | '\u{FFF9}'..='\u{FFFB}'
            | '\u{110BD}'
            | '\u{110CD}'
            | '\u{13430}'..='\u{1343F}'
            | '\u{1BCA0}'..='\u{1BCA3}'
            | '\u{1D173}'..='\u{1D17A}'
            | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}'
    )
}

/// Checks the names an op brings into the state where it applies, as
/// `env.rename` always did: an `env.add` whose project or environment name
/// is not `valid_name_part` (an escape, a newline, or `prod/<id hex>`,
/// the row name of a removed environment), or a `member.add` whose name or
/// email is not printable, is denied on every replica alike. An honest
/// client never sends one: it checks the same rules on input. A plain
/// rule, not a dated cut-over: no released vault holds such an op (attack
/// review 11; docs/design-decisions.md).
fn check_names(body: &OpBody) -> Result<()> {
    match body {
        OpBody::AddEnv {
            project_name,
            env_name,
            ..
        } if !valid_name_part(project_name) || !valid_name_part(env_name) => Err(Error::Refused(
            "an environment added with a name that is not PROJECT/ENV".into(),
        )),
        OpBody::AddMember { member, .. }
            if member.name.is_empty()
                || !printable_name(&member.name, 100)
                || !member
                    .email
                    .as_deref()
                    .is_none_or(|e| printable_name(e, 254)) =>
        {
            Err(Error::Refused(
                "a member added with a name or email that is not printable text".into(),
            ))
        }
        OpBody::SetEnvPolicy { min_generated, .. }
            if *min_generated != 0 && !(8..=4096).contains(min_generated) =>
        {
            Err(Error::Refused(format!(
                "an environment policy asking for generated values of {min_generated} characters (8 to 4096, or none)"
            )))
        }
        _ => Ok(()),
    }
}

/// Checks the keys an op hands out: each wrap signed for the op's author
/// (the sender is the author), to an active member (or, for `AddMember`,
/// the member being added), and environment wraps for the epoch they will
/// be stored under. Nobody, however authorised, can hand a key to a
/// revoked member through the log.
pub(crate) fn check_wraps(tx: &Connection, author: &Id, body: &OpBody) -> Result<()> {
    let env_epoch = |env: &Id| -> Result<Option<u64>> {
        let e: Option<i64> = tx
            .query_row(
                "SELECT epoch FROM environments WHERE id = ?1",
                [&env.0[..]],
                |r| r.get(0),
            )
            .optional()?;
        Ok(e.map(|e| e as u64))
    };
    let active = |id: &Id| -> Result<bool> {
        let s: Option<String> = tx
            .query_row(
                "SELECT status FROM members WHERE id = ?1",
                [&id.0[..]],
                |r| r.get(0),
            )
            .optional()?;
        Ok(s.as_deref() == Some("active"))
    };
    let refuse = |why: String| Err(Error::PermissionDenied(why));
    // A wrap carried for a named member goes to that member: otherwise the
    // log (and the exposure report built from it) would say one member got
    // access while the key went to another.
    let named = |w: &WrapRecord, member: &Id| -> Result<()> {
        if w.member_id == *member {
            Ok(())
        } else {
            Err(Error::PermissionDenied(
                "a key wrap addressed to another member than the one the op names".into(),
            ))
        }
    };
    let holds = |sql: &str, object: &Id, member: &Id, what: &str| -> Result<()> {
        let n: i64 = tx.query_row(sql, [&object.0[..], &member.0[..]], |r| r.get(0))?;
        if n == 0 {
            return refuse(format!(
                "a re-key wraps {what} to {}, who does not hold it",
                member.short()
            ));
        }
        Ok(())
    };
    let holds_env = |env: &Id, member: &Id| {
        holds(
            "SELECT COUNT(*) FROM env_wraps WHERE env_id = ?1 AND member_id = ?2",
            env,
            member,
            "an environment's key",
        )
    };
    let holds_share = |item: &Id, member: &Id| {
        holds(
            "SELECT COUNT(*) FROM item_shares WHERE item_id = ?1 AND member_id = ?2",
            item,
            member,
            "a shared item's key",
        )
    };
    let check = |w: &WrapRecord, epoch: Option<u64>, newcomer: Option<&Id>| -> Result<()> {
        if w.sender_id != *author {
            return refuse("a key wrap signed by someone other than the op's author".into());
        }
        if newcomer != Some(&w.member_id) && !active(&w.member_id)? {
            return refuse(format!(
                "a key wrapped to {}, who is not an active member",
                w.member_id.short()
            ));
        }
        if let Some(e) = epoch {
            if w.epoch != e {
                return refuse(format!(
                    "a key wrap for epoch {} where the environment is at epoch {e}",
                    w.epoch
                ));
            }
        }
        Ok(())
    };
    match body {
        OpBody::AddEnv { wraps, .. } => {
            for w in wraps {
                check(w, Some(1), None)?;
            }
        }
        OpBody::RekeyEnv {
            env_id,
            wraps,
            shares,
            epoch,
            ..
        } => {
            // A re-key takes access away, never gives it: its wraps and
            // shares go only to those who hold the key it replaces (so a
            // demoted admin's re-key, which a demotion's cut lets stand,
            // cannot smuggle a key to anyone).
            for w in wraps {
                check(w, Some(*epoch), None)?;
                holds_env(env_id, &w.member_id)?;
            }
            // A share no longer held is left out when applied
            // (`insert_held_shares`), never given.
            for s in shares {
                check(&s.wrap, None, None)?;
            }
        }
        OpBody::AddMember { member, grants } => {
            for g in grants {
                named(&g.wrap, &member.id)?;
                check(&g.wrap, env_epoch(&g.env_id)?, Some(&member.id))?;
            }
        }
        // A role change re-signs, as its author, the wraps the member
        // signed for others: those go to their own recipients.
        OpBody::SetRole {
            rewraps, reshares, ..
        } => {
            for (env, w) in rewraps {
                check(w, env_epoch(env)?, None)?;
            }
            for s in reshares {
                check(&s.wrap, None, None)?;
            }
        }
        OpBody::Grant {
            wrap: Some(w),
            env_id,
            member_id,
            ..
        } => {
            named(w, member_id)?;
            check(w, env_epoch(env_id)?, None)?
        }
        OpBody::ShareItem { share, .. } => check(&share.wrap, None, None)?,
        // A re-sign never gives a share: one no longer held is left out
        // when applied.
        OpBody::ResignShares { shares, .. } => {
            for (s, _) in shares {
                check(&s.wrap, None, None)?;
            }
        }
        OpBody::RekeyItem { shares, .. } => {
            for s in shares {
                check(&s.wrap, None, None)?;
            }
        }
        OpBody::RekeyItemKeeping {
            shares, member_id, ..
        } => {
            for s in shares {
                check(&s.wrap, None, None)?;
                holds_share(&s.item_id, &s.wrap.member_id)?;
                if s.wrap.member_id == *member_id {
                    return refuse("an unshare re-wraps the key to the member it unshares".into());
                }
            }
        }
        _ => {}
    }
    Ok(())
}

/// Decides an op against the state before it, the way every device does:
/// authorised, its key wraps sound, and its effect applicable. `Ok(Ok)`:
/// applied; `Ok(Err)`: denied, state unchanged; `Err`: the decision could
/// not be made (I/O, database).
pub(crate) fn decide(
    tx: &Connection,
    author: &Id,
    body: &OpBody,
    time_ms: u64,
) -> Result<std::result::Result<(), Error>> {
    tx.execute_batch("SAVEPOINT decide")?;
    let r = authorize(tx, author, body)
        .and_then(|()| check_wraps(tx, author, body))
        .and_then(|()| mutate(tx, body, author, time_ms));
    match r {
        Ok(()) => {
            tx.execute_batch("RELEASE decide")?;
            Ok(Ok(()))
        }
        Err(e) => {
            tx.execute_batch("ROLLBACK TO decide; RELEASE decide")?;
            if e.kind() == crate::error::ErrorKind::Internal {
                Err(e)
            } else {
                Ok(Err(e))
            }
        }
    }
}

fn blob16(id: &Id) -> &[u8] {
    &id.0[..]
}

/// Applies an op's effect to the state tables. Deterministic: depends only
/// on the state and the op (time comes from the op's clock), so replaying
/// the log rebuilds the same state.
pub(crate) fn mutate(tx: &Connection, body: &OpBody, author: &Id, time_ms: u64) -> Result<()> {
    check_names(body)?;
    let at = (time_ms / 1000) as i64;
    let insert_wraps = |env_id: &Id, wraps: &[WrapRecord], access: Option<&str>| -> Result<()> {
        for w in wraps {
            tx.execute(
                "INSERT OR REPLACE INTO env_wraps (env_id, member_id, epoch, sender_id, epk, ct, sig)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    blob16(env_id),
                    blob16(&w.member_id),
                    w.epoch as i64,
                    blob16(&w.sender_id),
                    &w.epk[..],
                    &w.ct,
                    &w.sig[..]
                ],
            )?;
            if let Some(a) = access {
                tx.execute(
                    "INSERT OR REPLACE INTO grants (env_id, member_id, access) VALUES (?1, ?2, ?3)",
                    params![blob16(env_id), blob16(&w.member_id), a],
                )?;
            }
        }
        Ok(())
    };
    match body {
        OpBody::Genesis {
            vault_id,
            name,
            owner,
        } => {
            tx.execute(
                "INSERT INTO vault (id, name, created_at) VALUES (?1, ?2, ?3)",
                params![blob16(vault_id), name, at],
            )?;
            tx.execute(
                "INSERT INTO members (id, name, email, x25519, ed25519, fingerprint, role, status, added_by, added_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'owner', 'active', NULL, ?7)",
                params![
                    blob16(&owner.id),
                    owner.name,
                    owner.email,
                    &owner.x25519[..],
                    &owner.ed25519[..],
                    owner.fingerprint,
                    at
                ],
            )?;
        }
        OpBody::AddEnv {
            project_id,
            project_name,
            new_project,
            env_id,
            env_name,
            rotate_every_days,
            wraps,
        } => {
            if *new_project {
                tx.execute(
                    "INSERT INTO projects (id, name, created_at) VALUES (?1, ?2, ?3)",
                    params![blob16(project_id), project_name, at],
                )
                .map_err(|e| unique_to_exists(e, format!("project {project_name}")))?;
            }
            tx.execute(
                "INSERT INTO environments (id, project_id, name, epoch, rotate_every_days, created_at)
                 VALUES (?1, ?2, ?3, 1, ?4, ?5)",
                params![blob16(env_id), blob16(project_id), env_name, rotate_every_days, at],
            )
            .map_err(|e| unique_to_exists(e, format!("environment {project_name}/{env_name}")))?;
            insert_wraps(env_id, wraps, Some("write"))?;
        }
        OpBody::SetItem {
            item_id,
            env_id,
            version,
            ik_ct,
            blob,
            meta,
            sealed_under,
        } => {
            type ItemRow = (i64, Vec<u8>, Option<i64>, Vec<u8>);
            let row: Option<ItemRow> = tx
                .query_row(
                    "SELECT current_version, env_id, deleted_at, ik_ct FROM items WHERE id = ?1",
                    [blob16(item_id)],
                    |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
                )
                .optional()?;
            let generation = |ct: &[u8]| coffer_crypto::ItemKeyGeneration::of_sealed(ct).0;
            // An `item.set` that names no keys (kind 3) cannot be told apart
            // from one sealed under a key a re-key replaced: since kind 18
            // it is refused (entries dated before stay as they were, so old
            // logs replay unchanged).
            // A value bound to its writer (kind 31) is bound to this op's
            // signer, or it is a copy of someone else's signed value: on
            // every replica, without opening it (attack review 7, F6).
            if crate::ops::blob_writer(blob).is_some_and(|w| w != *author) {
                return Err(Error::PermissionDenied(
                    "an item.set carries a value bound to another writer (a copy of their change)"
                        .into(),
                ));
            }
            if sealed_under.is_none() && time_ms >= crate::ops::SET_ITEM_NAMES_KEYS_SINCE_MS {
                return Err(Error::Refused(
                    "an item.set that does not name the keys it is sealed under (written by a coffer older than 2026-12): \
                     its writer must upgrade and set it again"
                        .into(),
                ));
            }
            if let Some(g) = sealed_under {
                if let Some(ct) = ik_ct {
                    if g.item_key != generation(ct) {
                        return Err(Error::Refused(
                            "a new item names another item key than the one it carries".into(),
                        ));
                    }
                    // A new item whose key is sealed under an environment
                    // key a re-key (an offboarding) replaced: no current
                    // holder could open it, whoever lost access could.
                    let epoch: i64 = tx
                        .query_row(
                            "SELECT epoch FROM environments WHERE id = ?1",
                            [blob16(env_id)],
                            |r| r.get(0),
                        )
                        .optional()?
                        .ok_or_else(|| Error::NotFound("environment".into()))?;
                    if g.epoch != epoch as u64 {
                        return Err(Error::Refused(format!(
                            "created under the environment's key of epoch {} after a re-key replaced it (epoch {epoch}, \
                             an offboarding its writer had not seen): its writer must set it again",
                            g.epoch
                        )));
                    }
                }
            }
            // A version sealed under an item key the item no longer has: a
            // re-key (offboarding, ungrant) its writer had not seen came
            // first. Whoever holds the current key cannot open it, so it is
            // never made current (the item would stop opening for
            // everyone): it waits beside the current version, flagged. Its
            // key is one the item had (`item_keys_past`), so an owner or
            // admin who held it re-seals it under the current key and marks
            // it exposed ([`Vault::reseal_stale`]).
            if let (Some(g), None, Some((_, env, None, cur_ik))) = (sealed_under, ik_ct, &row) {
                if g.item_key != generation(cur_ik) && env[..] == env_id.0[..] && *version >= 1 {
                    if !past_item_key(tx, item_id, &g.item_key)? {
                        return Err(Error::Refused(
                            "a version sealed under an item key this item never had".into(),
                        ));
                    }
                    insert_conflict(tx, item_id, *version, blob, meta, author, at)?;
                    return Ok(());
                }
            }
            let current = row.map(|(c, e, d, _)| (c, e, d));
            match (current, ik_ct) {
                (None, Some(ik)) if *version == 1 => {
                    tx.execute(
                        "INSERT INTO items (id, env_id, ik_ct, current_version, created_at)
                         VALUES (?1, ?2, ?3, 1, ?4)",
                        params![blob16(item_id), blob16(env_id), ik, at],
                    )?;
                }
                (Some((cur, env, None)), None) if cur as u64 + 1 == *version && env == env_id.0 => {
                    tx.execute(
                        "UPDATE items SET current_version = ?2 WHERE id = ?1",
                        params![blob16(item_id), *version as i64],
                    )?;
                }
                // A concurrent edit: its author had not seen the version
                // ordered before theirs. Both are kept: the current one
                // stays, this one waits beside it and the item is flagged
                // until someone resolves it. Never a silent overwrite.
                (Some((cur, env, None)), None)
                    if *version >= 1 && *version <= cur as u64 && env == env_id.0 =>
                {
                    insert_conflict(tx, item_id, *version, blob, meta, author, at)?;
                    return Ok(());
                }
                _ => {
                    return Err(Error::Refused(
                        "the item changed meanwhile (concurrent edit); try again".into(),
                    ))
                }
            }
            tx.execute(
                "INSERT INTO item_versions (item_id, version, blob, rotate_every_days, rotated_at, expires_at, exposed_at, author_id, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
                params![
                    blob16(item_id),
                    *version as i64,
                    blob,
                    meta.rotate_every_days,
                    meta.rotated_at,
                    meta.expires_at,
                    meta.exposed_at,
                    blob16(author),
                    at
                ],
            )?;
        }
        OpBody::DeleteItem { item_id, env_id } => {
            let n = tx.execute(
                "UPDATE items SET deleted_at = ?3 WHERE id = ?1 AND env_id = ?2 AND deleted_at IS NULL",
                params![blob16(item_id), blob16(env_id), at],
            )?;
            if n != 1 {
                return Err(Error::NotFound("item".into()));
            }
        }
        OpBody::RekeyEnv {
            env_id,
            epoch,
            wraps,
            items,
            shares,
        } => {
            let n = tx.execute(
                "UPDATE environments SET epoch = ?2 WHERE id = ?1 AND epoch + 1 = ?2",
                params![blob16(env_id), *epoch as i64],
            )?;
            if n != 1 {
                return Err(Error::Refused(
                    "the environment changed meanwhile (concurrent re-key); try again".into(),
                ));
            }
            // The keys being replaced are kept, wrapped as they were: a
            // write sealed under them by someone who had not seen this
            // re-key arrives later, and an owner or admin who held them
            // re-seals it under the new ones (`Vault::reseal_stale`).
            tx.execute(
                "INSERT OR IGNORE INTO env_wraps_past (env_id, member_id, epoch, sender_id, epk, ct, sig)
                 SELECT env_id, member_id, epoch, sender_id, epk, ct, sig FROM env_wraps WHERE env_id = ?1",
                [blob16(env_id)],
            )?;
            tx.execute(
                "INSERT OR IGNORE INTO item_keys_past (item_id, epoch, ik_ct, version)
                 SELECT id, ?2, ik_ct, current_version FROM items WHERE env_id = ?1",
                params![blob16(env_id), *epoch as i64 - 1],
            )?;
            tx.execute("DELETE FROM env_wraps WHERE env_id = ?1", [blob16(env_id)])?;
            insert_wraps(env_id, wraps, None)?;
            // Exposed-value tags were keyed by the old epoch's key: they
            // can never match again. The same batch re-tags them
            // (`ExposedValues` for the new epoch).
            tx.execute(
                "DELETE FROM exposed_values WHERE item_id IN (SELECT id FROM items WHERE env_id = ?1)",
                [blob16(env_id)],
            )?;
            carry_shares_on(tx, "i.env_id = ?1", env_id, shares)?;
            // Whether the author may mark versions exposed: asked once for
            // the op, not once per item (10,000 statements offboarding
            // 10,000 items); nothing in between changes a role.
            let admin = is_owner_or_admin(tx, author)?;
            for it in items {
                rekey_item_rows(tx, env_id, it, admin)?;
            }
        }
        OpBody::RekeyItem {
            env_id,
            item,
            shares,
        } => {
            item_in_env(tx, &item.item_id, env_id)?;
            tx.execute(
                "INSERT OR IGNORE INTO item_keys_past (item_id, epoch, ik_ct, version)
                 SELECT i.id, e.epoch, i.ik_ct, i.current_version FROM items i JOIN environments e ON e.id = i.env_id WHERE i.id = ?1",
                [blob16(&item.item_id)],
            )?;
            for sh in shares {
                if sh.item_id != item.item_id {
                    return Err(Error::PermissionDenied(
                        "an item re-key shares another item".into(),
                    ));
                }
            }
            carry_shares_on(tx, "s.item_id = ?1", &item.item_id, shares)?;
            rekey_item_rows(tx, env_id, item, is_owner_or_admin(tx, author)?)?;
        }
        OpBody::RekeyItemKeeping {
            env_id,
            item_id,
            member_id,
            replaces,
            ik_ct,
            earlier,
            shares,
        } => {
            item_in_env(tx, item_id, env_id)?;
            // The key it replaces must be the item's key now: a re-key (an
            // offboarding, another unshare) its author had not seen came
            // first, and applying this one would put back a key the
            // offboarded member holds, or lose one (attack review 6, H4, H8).
            let (cur_ct, version): (Vec<u8>, i64) = tx.query_row(
                "SELECT ik_ct, current_version FROM items WHERE id = ?1",
                [blob16(item_id)],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )?;
            if coffer_crypto::ItemKeyGeneration::of_sealed(&cur_ct).0 != *replaces {
                return Err(Error::Refused(
                    "the item's key changed meanwhile (a re-key its author had not seen); unshare again".into(),
                ));
            }
            // The unshare and its re-key are one op: neither can stand
            // without the other (attack review 6, H6, H7).
            let n = tx.execute(
                "DELETE FROM item_shares WHERE item_id = ?1 AND member_id = ?2",
                params![blob16(item_id), blob16(member_id)],
            )?;
            if n != 1 {
                return Err(Error::NotFound("share".into()));
            }
            // The key being replaced is remembered as a re-key's are: a
            // version a writer seals under it without having seen this op
            // waits as a stale one (it could be read by whoever lost the
            // share) until an owner or admin re-seals it.
            tx.execute(
                "INSERT OR IGNORE INTO item_keys_past (item_id, epoch, ik_ct, version)
                 SELECT i.id, e.epoch, i.ik_ct, i.current_version FROM items i JOIN environments e ON e.id = i.env_id WHERE i.id = ?1",
                [blob16(item_id)],
            )?;
            if shares.iter().any(|sh| sh.item_id != *item_id) {
                return Err(Error::PermissionDenied(
                    "an item re-key shares another item".into(),
                ));
            }
            tx.execute(
                "DELETE FROM item_shares WHERE item_id = ?1",
                [blob16(item_id)],
            )?;
            insert_shares(tx, shares)?;
            // Only the key changes: every version, current or waiting,
            // stays exactly as its writer sealed and signed it.
            tx.execute(
                "UPDATE items SET ik_ct = ?2 WHERE id = ?1",
                params![blob16(item_id), ik_ct],
            )?;
            // A list can hold only keys the item has had: each was
            // replaced by a re-key this device applied (attack review 8,
            // G2: a writer's 1 MiB or 4,096-key row cost every reader
            // rows x keys openings of its whole length).
            earlier_within_history(tx, item_id, earlier, 0)?;
            // Beside the rows earlier re-keys and adoptions left, never in
            // their place: an adoption its author had not seen keeps the
            // adopted version's key (attack review 7, F3).
            tx.execute(
                "INSERT OR IGNORE INTO item_keys_earlier (item_id, ct, author_id, upto) VALUES (?1, ?2, ?3, ?4)",
                params![blob16(item_id), earlier, blob16(author), version],
            )?;
        }
        OpBody::AddMember { member, grants } => {
            tx.execute(
                "INSERT INTO members (id, name, email, x25519, ed25519, fingerprint, role, status, added_by, added_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'active', ?8, ?9)",
                params![
                    blob16(&member.id),
                    member.name,
                    member.email,
                    &member.x25519[..],
                    &member.ed25519[..],
                    member.fingerprint,
                    member.role,
                    blob16(author),
                    at
                ],
            )
            .map_err(|e| unique_to_exists(e, format!("a member named {} (or with these keys)", member.name)))?;
            for g in grants {
                insert_wraps(&g.env_id, std::slice::from_ref(&g.wrap), Some(&g.access))?;
            }
        }
        OpBody::SetRole {
            member_id,
            role,
            rewraps,
            reshares,
            cut,
        } => {
            if cut.is_some() {
                // A cut denies the member's unseen entries: only for a
                // demotion, never to silence someone kept at their role.
                let before: Option<String> = tx
                    .query_row(
                        "SELECT role FROM members WHERE id = ?1",
                        [blob16(member_id)],
                        |r| r.get(0),
                    )
                    .optional()?;
                let demoted = match before {
                    Some(b) => Role::parse(role)? > Role::parse(&b)?,
                    None => false,
                };
                if !demoted {
                    return Err(Error::Refused(
                        "a role change carrying a feed cut that is not a demotion".into(),
                    ));
                }
            }
            let n = tx.execute(
                "UPDATE members SET role = ?2 WHERE id = ?1 AND status = 'active'",
                params![blob16(member_id), role],
            )?;
            if n != 1 {
                return Err(Error::NotFound("active member".into()));
            }
            for (env, w) in rewraps {
                insert_wraps(env, std::slice::from_ref(w), None)?;
            }
            // Re-signing vouches again for shares that stand; one a racing
            // unshare ended is left out, never put back (attack review 7,
            // F5).
            let held = held_share_pairs(tx, reshares)?;
            insert_held_shares(tx, reshares, &held)?;
        }
        OpBody::Grant {
            member_id,
            env_id,
            access,
            wrap,
            ..
        } => match wrap {
            Some(w) => insert_wraps(env_id, std::slice::from_ref(w), Some(access))?,
            None => {
                let n = tx.execute(
                    "UPDATE grants SET access = ?3 WHERE env_id = ?1 AND member_id = ?2",
                    params![blob16(env_id), blob16(member_id), access],
                )?;
                if n != 1 {
                    return Err(Error::NotFound("grant".into()));
                }
            }
        },
        OpBody::Ungrant {
            member_id, env_id, ..
        } => {
            tx.execute(
                "DELETE FROM grants WHERE env_id = ?1 AND member_id = ?2",
                params![blob16(env_id), blob16(member_id)],
            )?;
            tx.execute(
                "DELETE FROM env_wraps WHERE env_id = ?1 AND member_id = ?2",
                params![blob16(env_id), blob16(member_id)],
            )?;
            // A personal overlay ends with the access it needs.
            tx.execute(
                "DELETE FROM overlays WHERE env_id = ?1 AND author_id = ?2",
                params![blob16(env_id), blob16(member_id)],
            )?;
        }
        OpBody::ShareItem { share, env_id } => {
            item_in_env(tx, &share.item_id, env_id)?;
            give_hands_out_the_key_now(tx, env_id, share)?;
            insert_shares(tx, std::slice::from_ref(share))?;
        }
        OpBody::ResignShares { env_id, shares } => {
            // Only where the wrap is of the item's key now: a re-sign made
            // before an unshare its author had not seen is left out, and
            // the share stays as the unshare re-wrapped it (an owner's or
            // admin's sync re-signs it if its sender may no longer vouch
            // for it: `Vault::resign_orphaned_shares`).
            let mut current = Vec::with_capacity(shares.len());
            for (sh, under) in shares {
                item_in_env(tx, &sh.item_id, env_id)?;
                let ik_ct: Vec<u8> = tx.query_row(
                    "SELECT ik_ct FROM items WHERE id = ?1",
                    [blob16(&sh.item_id)],
                    |r| r.get(0),
                )?;
                if coffer_crypto::ItemKeyGeneration::of_sealed(&ik_ct).0 == *under {
                    current.push(sh.clone());
                }
            }
            let held = held_share_pairs(tx, &current)?;
            insert_held_shares(tx, &current, &held)?;
        }
        OpBody::UnshareItem {
            item_id,
            member_id,
            env_id,
        } => {
            item_in_env(tx, item_id, env_id)?;
            let n = tx.execute(
                "DELETE FROM item_shares WHERE item_id = ?1 AND member_id = ?2",
                params![blob16(item_id), blob16(member_id)],
            )?;
            if n != 1 {
                return Err(Error::NotFound("share".into()));
            }
        }
        OpBody::Revoke { member_id, .. } => {
            let n = tx.execute(
                "UPDATE members SET status = 'revoked', revoked_at = ?2 WHERE id = ?1 AND status = 'active'",
                params![blob16(member_id), at],
            )?;
            if n != 1 {
                return Err(Error::NotFound("active member".into()));
            }
            for table in ["grants", "env_wraps", "item_shares"] {
                tx.execute(
                    &format!("DELETE FROM {table} WHERE member_id = ?1"),
                    [blob16(member_id)],
                )?;
            }
            tx.execute(
                "DELETE FROM overlays WHERE author_id = ?1",
                [blob16(member_id)],
            )?;
        }
        OpBody::AdoptStale {
            env_id,
            item_id,
            version,
            digest,
            under,
            earlier,
        } => {
            item_in_env(tx, item_id, env_id)?;
            let row: Option<(i64, Vec<u8>)> = tx
                .query_row(
                    "SELECT current_version, ik_ct FROM items WHERE id = ?1 AND deleted_at IS NULL",
                    [blob16(item_id)],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let (current, ik_ct) = row.ok_or_else(|| Error::NotFound("item".into()))?;
            // The earlier keys are sealed under the key the item had when
            // the adoption was made: a re-key or unshare ordered first
            // would leave them opening for nobody (attack review 7, F1, F3).
            if coffer_crypto::ItemKeyGeneration::of_sealed(&ik_ct).0 != *under {
                return Err(Error::Refused(
                    "the item's key changed meanwhile (a re-key its author had not seen)".into(),
                ));
            }
            if *version != current as u64 + 1 {
                return Err(Error::Refused(
                    "only the version right after the current one can be made current".into(),
                ));
            }
            // The waiting version moves as it is: its blob, rotation
            // fields, author and time, all from its writer's signed op.
            let n = tx.execute(
                "INSERT INTO item_versions (item_id, version, blob, rotate_every_days, rotated_at, expires_at, exposed_at, author_id, created_at)
                 SELECT item_id, version, blob, rotate_every_days, rotated_at, expires_at, exposed_at, author_id, created_at
                 FROM item_conflicts WHERE item_id = ?1 AND digest = ?2 AND version = ?3",
                params![blob16(item_id), &digest[..], *version as i64],
            )?;
            if n != 1 {
                return Err(Error::NotFound(format!(
                    "a waiting version {version} of this item"
                )));
            }
            tx.execute(
                "UPDATE items SET current_version = ?2 WHERE id = ?1",
                params![blob16(item_id), *version as i64],
            )?;
            // Only the adopted row: another waiting version (a second
            // stale write, arrived later) stays for a person to settle
            // (attack review 7, F2).
            tx.execute(
                "DELETE FROM item_conflicts WHERE item_id = ?1 AND digest = ?2",
                params![blob16(item_id), &digest[..]],
            )?;
            // The adopted key (a replaced one, perhaps listed twice) and
            // the item's other earlier keys (attack review 8, G2).
            earlier_within_history(tx, item_id, earlier, 1)?;
            tx.execute(
                "INSERT OR IGNORE INTO item_keys_adopted (item_id, ct, author_id, upto) VALUES (?1, ?2, ?3, ?4)",
                params![blob16(item_id), earlier, blob16(author), *version as i64],
            )?;
        }
        OpBody::ResolveConflict { item_id, env_id } => {
            let n = tx.execute(
                "DELETE FROM item_conflicts WHERE item_id = ?1
                 AND item_id IN (SELECT id FROM items WHERE env_id = ?2)",
                params![blob16(item_id), blob16(env_id)],
            )?;
            if n == 0 {
                return Err(Error::NotFound("a conflict on this item".into()));
            }
        }
        OpBody::ExposedValues {
            env_id,
            epoch,
            values,
        } => {
            // Tags are keyed by one epoch's environment key: a set made for
            // another epoch could never match, so it is refused.
            let current: Option<i64> = tx
                .query_row(
                    "SELECT epoch FROM environments WHERE id = ?1",
                    [blob16(env_id)],
                    |r| r.get(0),
                )
                .optional()?;
            match current {
                None => return Err(Error::NotFound("environment".into())),
                Some(e) if e as u64 != *epoch => {
                    return Err(Error::Refused(
                        "the environment changed meanwhile (concurrent re-key); try again".into(),
                    ))
                }
                Some(_) => {}
            }
            // Added to what the epoch has, never replacing it: a re-key
            // starts each epoch's set afresh, and within an epoch a value
            // once exposed stays so. (Two offboardings racing each send a
            // set; the one whose re-key lost is keyed by a key no one
            // adopted: its tags never match, and it must not erase the
            // winner's.)
            for v in values {
                item_in_env(tx, &v.item_id, env_id)?;
                tx.prepare_cached(
                    "INSERT OR IGNORE INTO exposed_values (item_id, tag, since) VALUES (?1, ?2, ?3)",
                )?
                .execute(params![blob16(&v.item_id), &v.tag[..], v.since])?;
            }
        }
        OpBody::Read {
            env_id, item_ids, ..
        } => {
            // A read names items of its environment, each once: what it
            // costs every replica is bounded by the environment.
            let mut named = std::collections::HashSet::new();
            for id in item_ids {
                if !named.insert(id.0) {
                    return Err(Error::Refused("the read names an item twice".into()));
                }
                item_in_env(tx, id, env_id)?;
            }
        }
        OpBody::RenameEnv {
            env_id,
            project_id,
            project_name,
            env_name,
        } => rename_env(tx, env_id, project_id, project_name, env_name, at)?,
        OpBody::RemoveEnv { env_id } => {
            let name = env_name_of(tx, env_id)?;
            tx.execute(
                "INSERT INTO removed_envs (env_id, name, removed_at, removed_by) VALUES (?1, ?2, ?3, ?4)",
                params![blob16(env_id), name, at, blob16(author)],
            )
            .map_err(|e| unique_to_exists(e, "the removal of this environment".into()))?;
            tx.execute(
                "UPDATE environments SET name = ?2 WHERE id = ?1",
                params![blob16(env_id), removed_row_name(&name, env_id)],
            )?;
        }
        OpBody::SetOverlay {
            env_id,
            overlay_id,
            version,
            blob,
        } => crate::overlay::mutate_set(tx, author, env_id, overlay_id, *version, blob, at)?,
        OpBody::RemoveOverlay { env_id, overlay_id } => {
            let n = tx.execute(
                "DELETE FROM overlays WHERE author_id = ?1 AND overlay_id = ?2 AND env_id = ?3",
                params![blob16(author), blob16(overlay_id), blob16(env_id)],
            )?;
            if n != 1 {
                return Err(Error::NotFound("a personal override".into()));
            }
        }
        OpBody::SetEnvPolicy {
            env_id,
            overrides,
            min_generated,
        } => {
            env_name_of(tx, env_id)?;
            if *overrides == crate::ops::OverridePolicy::Default && *min_generated == 0 {
                tx.execute(
                    "DELETE FROM env_policies WHERE env_id = ?1",
                    [blob16(env_id)],
                )?;
            } else {
                tx.execute(
                    "INSERT OR REPLACE INTO env_policies (env_id, overrides, min_generated)
                     VALUES (?1, ?2, ?3)",
                    params![blob16(env_id), overrides.as_str(), min_generated],
                )?;
            }
        }
        OpBody::RestoreEnv { env_id } => {
            let row: Option<(String, String)> = tx
                .query_row(
                    "SELECT p.name, r.name FROM removed_envs r JOIN environments e ON e.id = r.env_id
                     JOIN projects p ON p.id = e.project_id WHERE r.env_id = ?1",
                    [blob16(env_id)],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?;
            let (project, name) = row.ok_or_else(|| {
                Error::Refused("the environment to restore is not removed".into())
            })?;
            tx.execute(
                "UPDATE environments SET name = ?2 WHERE id = ?1",
                params![blob16(env_id), name],
            )
            .map_err(|e| {
                unique_to_exists(
                    e,
                    format!("another environment {project}/{name} (rename it, then restore)"),
                )
            })?;
            tx.execute(
                "DELETE FROM removed_envs WHERE env_id = ?1",
                [blob16(env_id)],
            )?;
        }
    }
    Ok(())
}

/// The name a removed environment's row takes: `NAME/<id hex>`, which no
/// live environment can have, so the name is free again.
fn removed_row_name(name: &str, env_id: &Id) -> String {
    format!("{name}/{}", env_id.to_hex())
}

/// An environment's own name (a removed one's: the name it had), or a
/// refusal when the op names none.
fn env_name_of(tx: &Connection, env_id: &Id) -> Result<String> {
    tx.query_row(
        "SELECT COALESCE(r.name, e.name) FROM environments e
         LEFT JOIN removed_envs r ON r.env_id = e.id WHERE e.id = ?1",
        [blob16(env_id)],
        |r| r.get(0),
    )
    .optional()?
    .ok_or_else(|| Error::NotFound(format!("environment {}", env_id.short())))
}

/// `env.rename`: the environment keeps its id (so everything keyed by it
/// follows) and takes the new name, in the project of that name (created
/// with the op's project id when there is none). Denied when the names are
/// not valid, or another environment of that project holds the name.
fn rename_env(
    tx: &Connection,
    env_id: &Id,
    project_id: &Id,
    project_name: &str,
    env_name: &str,
    at: i64,
) -> Result<()> {
    if !valid_name_part(project_name) || !valid_name_part(env_name) {
        return Err(Error::Refused(
            "an environment renamed to a name that is not PROJECT/ENV".into(),
        ));
    }
    env_name_of(tx, env_id)?;
    let existing: Option<Vec<u8>> = tx
        .query_row(
            "SELECT id FROM projects WHERE name = ?1",
            [project_name],
            |r| r.get(0),
        )
        .optional()?;
    let project = match existing {
        Some(b) => b,
        None => {
            tx.execute(
                "INSERT INTO projects (id, name, created_at) VALUES (?1, ?2, ?3)",
                params![blob16(project_id), project_name, at],
            )
            .map_err(|e| unique_to_exists(e, format!("project id of {project_name}")))?;
            project_id.0.to_vec()
        }
    };
    let removed = tx
        .query_row(
            "SELECT 1 FROM removed_envs WHERE env_id = ?1",
            [blob16(env_id)],
            |_| Ok(()),
        )
        .optional()?
        .is_some();
    if removed {
        // A removed environment moves with its project (a project
        // rename) and keeps its row name unique; a restore brings it back
        // under the new name.
        tx.execute(
            "UPDATE environments SET project_id = ?2 WHERE id = ?1",
            params![blob16(env_id), project],
        )?;
        tx.execute(
            "UPDATE removed_envs SET name = ?2 WHERE env_id = ?1",
            params![blob16(env_id), env_name],
        )?;
        return Ok(());
    }
    tx.execute(
        "UPDATE environments SET project_id = ?2, name = ?3 WHERE id = ?1",
        params![blob16(env_id), project, env_name],
    )
    .map_err(|e| unique_to_exists(e, format!("environment {project_name}/{env_name}")))?;
    Ok(())
}

/// Refuses an op that names an item with another environment than the
/// item's own: rights are checked on the environment the op names.
fn item_in_env(tx: &Connection, item_id: &Id, env_id: &Id) -> Result<()> {
    let env: Option<Vec<u8>> = tx
        .prepare_cached("SELECT env_id FROM items WHERE id = ?1")?
        .query_row([blob16(item_id)], |r| r.get(0))
        .optional()?;
    match env {
        Some(e) if e[..] == env_id.0[..] => Ok(()),
        Some(_) => Err(Error::PermissionDenied(
            "the op names the item under another environment than its own".into(),
        )),
        None => Err(Error::NotFound("item".into())),
    }
}

/// Whether `generation` names an item key `item_id` had before a re-key.
fn past_item_key(tx: &Connection, item_id: &Id, generation: &[u8; 32]) -> Result<bool> {
    let mut st = tx.prepare_cached("SELECT ik_ct FROM item_keys_past WHERE item_id = ?1")?;
    let rows = st.query_map([blob16(item_id)], |r| r.get::<_, Vec<u8>>(0))?;
    for ct in rows {
        if coffer_crypto::ItemKeyGeneration::of_sealed(&ct?).0 == *generation {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Keeps a version beside the current one (a concurrent edit, or one
/// sealed under a replaced item key), flagging the item as a conflict.
fn insert_conflict(
    tx: &Connection,
    item_id: &Id,
    version: u64,
    blob: &[u8],
    meta: &crate::ops::RotationMeta,
    author: &Id,
    at: i64,
) -> Result<()> {
    tx.execute(
        "INSERT OR IGNORE INTO item_conflicts (item_id, digest, version, blob, rotate_every_days, rotated_at, expires_at, exposed_at, author_id, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        params![
            blob16(item_id),
            &coffer_crypto::sha256(&[blob])[..],
            version as i64,
            blob,
            meta.rotate_every_days,
            meta.rotated_at,
            meta.expires_at,
            meta.exposed_at,
            blob16(author),
            at
        ],
    )?;
    Ok(())
}

/// The (item, member) pairs `sql` (one id parameter) selects from
/// `item_shares`.
/// SQL over `item_shares s` joined with `items i`: the share's sender may
/// vouch for it at this point of the log (active; an owner or admin, or a
/// member who writes the item's environment), as `Vault::check_sender`
/// decides on the state now ([`carry_shares_on`]). A re-key's author
/// re-signs first, in the same batch, the shares it means to carry on
/// whose senders will not vouch for them where it applies
/// (`Vault::orphan_resigns`; the leaver's or ungranted member's own
/// shares: `Vault::reshares`).
const SENDER_MAY_VOUCH: &str =
    "EXISTS (SELECT 1 FROM members m WHERE m.id = s.sender_id AND m.status = 'active'
     AND (m.role IN ('owner', 'admin') OR (m.role = 'member' AND EXISTS (SELECT 1 FROM grants g
          WHERE g.env_id = i.env_id AND g.member_id = s.sender_id AND g.access = 'write'))))";

/// A `share.item` hands out the item's key as it is where the give
/// applies: its wrap is signed by its sender (the op's author, pinned) for
/// the environment's current epoch and the item key's current generation.
/// A give of a key the item had before opens for no one, and a device that
/// re-signs shares for the key they name vouched for it (attack review 11,
/// M2: a lowered writer's give of the key an unshare replaced, back-dated
/// after that unshare, was re-signed with the current key by the owner's
/// repair). An honest give that raced an unshare or re-key is denied the
/// same way (it opened for no one); its sender shares again.
fn give_hands_out_the_key_now(
    tx: &Connection,
    env_id: &Id,
    share: &crate::ops::ShareRecord,
) -> Result<()> {
    let (vault_id, ik_ct, epoch): (Vec<u8>, Vec<u8>, i64) = tx.query_row(
        "SELECT (SELECT id FROM vault), i.ik_ct, e.epoch FROM items i
         JOIN environments e ON e.id = i.env_id WHERE i.id = ?1 AND e.id = ?2",
        params![blob16(&share.item_id), blob16(env_id)],
        |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
    )?;
    let vault_id = Id::from_slice(&vault_id).map_err(|_| Error::integrity("bad vault id"))?;
    let ok = share_wrap_is_of(
        tx,
        (vault_id, share.item_id, epoch as u64),
        &share.wrap,
        &coffer_crypto::ItemKeyGeneration::of_sealed(&ik_ct),
    )?;
    if ok {
        Ok(())
    } else {
        Err(Error::Refused(
            "a share that does not hand out the item's key as it is now (the key or epoch changed meanwhile): share it again".into(),
        ))
    }
}

/// Whether `w` is its sender's share of the key of `generation` of
/// `item`, for `epoch` (vault, item, epoch): a signature check against the
/// sender's pinned keys, which anyone can make without being the share's
/// recipient.
pub(crate) fn share_wrap_is_of(
    conn: &Connection,
    (vault_id, item, epoch): (Id, Id, u64),
    w: &WrapRecord,
    generation: &coffer_crypto::ItemKeyGeneration,
) -> Result<bool> {
    let sender = Vault::member_keys_in(conn, &w.sender_id)?;
    Ok(coffer_crypto::wrap::verify_item_key_wrap(
        &sender,
        [&w.epk, &w.ct, &w.sig],
        &WrapContext {
            vault_id,
            object_id: item,
            epoch,
            recipient_id: w.member_id,
            sender_id: w.sender_id,
        },
        generation,
    ))
}

/// A re-key's shares, where it applies: each share it lists that is held
/// *and whose sender may vouch for it here* is replaced by the re-key's
/// wrap of the new key; one held whose sender may not is left as it stands
/// (a wrap of the replaced key, which opens nothing written from now on),
/// for the repair to judge (`Vault::resign_orphaned_shares`); every other
/// share of those items ends. The re-key's author listed shares as they
/// saw them, and another may stand by now: an unshare they had not seen,
/// then a lowered writer's back-dated give, came back re-wrapped in the
/// author's name (attack review 11, M1). `which` selects the items
/// (`i.env_id = ?1` or `s.item_id = ?1`).
fn carry_shares_on(
    tx: &Connection,
    which: &str,
    id: &Id,
    shares: &[crate::ops::ShareRecord],
) -> Result<()> {
    let select = |cond: &str| {
        format!(
            "SELECT s.item_id, s.member_id FROM item_shares s JOIN items i ON i.id = s.item_id
             WHERE {which}{cond}"
        )
    };
    let held = held_shares(tx, &select(""), id)?;
    let vouching = held_shares(tx, &select(&format!(" AND {SENDER_MAY_VOUCH}")), id)?;
    let listed: HashSet<(Vec<u8>, Vec<u8>)> = shares
        .iter()
        .map(|s| (s.item_id.0.to_vec(), s.wrap.member_id.0.to_vec()))
        .collect();
    let mut del =
        tx.prepare_cached("DELETE FROM item_shares WHERE item_id = ?1 AND member_id = ?2")?;
    for pair in &held {
        if !listed.contains(pair) || vouching.contains(pair) {
            del.execute(params![&pair.0, &pair.1])?;
        }
    }
    insert_held_shares(tx, shares, &vouching)
}

fn held_shares(tx: &Connection, sql: &str, id: &Id) -> Result<HashSet<(Vec<u8>, Vec<u8>)>> {
    let mut st = tx.prepare_cached(sql)?;
    let rows = st.query_map([blob16(id)], |r| Ok((r.get(0)?, r.get(1)?)))?;
    Ok(rows.collect::<rusqlite::Result<_>>()?)
}

/// Which of `shares`' (item, member) pairs `item_shares` holds now, for
/// re-signs: a re-signed wrap of an older epoch than its environment's (an
/// offboarding its author had not seen re-keyed it meanwhile) is left out
/// too, or it would replace the standing share with a key the item no
/// longer has (attack review 8, G3).
/// Refuses a sealed earlier-keys list longer than `extra` more than the
/// keys `item_id` has had replaced (`item_keys_past`, one row per key a
/// re-key this device applied replaced): its length is known without
/// opening it, so no reader pays for a writer's padding.
/// How many keys `item_id` has had replaced (`item_keys_past`, one row per
/// key a re-key this device applied replaced): the same on every device.
pub(crate) fn past_key_count(conn: &Connection, item_id: &Id) -> Result<i64> {
    Ok(conn.query_row(
        "SELECT COUNT(*) FROM item_keys_past WHERE item_id = ?1",
        [&item_id.0[..]],
        |r| r.get(0),
    )?)
}

fn earlier_within_history(
    tx: &Connection,
    item_id: &Id,
    sealed: &[u8],
    extra: usize,
) -> Result<()> {
    let past = past_key_count(tx, item_id)?;
    let most = coffer_crypto::sealed_earlier_keys_len(past.max(0) as usize + extra);
    if sealed.len() > most {
        return Err(Error::Refused(format!(
            "an earlier-keys list of {} bytes for an item that has had {past} earlier keys (at most {most} bytes)",
            sealed.len()
        )));
    }
    Ok(())
}

fn held_share_pairs(
    tx: &Connection,
    shares: &[crate::ops::ShareRecord],
) -> Result<HashSet<(Vec<u8>, Vec<u8>)>> {
    let mut st = tx.prepare_cached(
        "SELECT COUNT(*) FROM item_shares s JOIN items i ON i.id = s.item_id
         JOIN environments e ON e.id = i.env_id
         WHERE s.item_id = ?1 AND s.member_id = ?2 AND e.epoch = ?3",
    )?;
    let mut held = HashSet::new();
    for sh in shares {
        let n: i64 = st.query_row(
            params![
                blob16(&sh.item_id),
                blob16(&sh.wrap.member_id),
                sh.wrap.epoch as i64
            ],
            |r| r.get(0),
        )?;
        if n > 0 {
            held.insert((sh.item_id.0.to_vec(), sh.wrap.member_id.0.to_vec()));
        }
    }
    Ok(held)
}

/// An owner's or admin's re-key re-wraps the shares it saw; one that ended
/// since (an unshare its author had not seen, ordered first) is left out
/// rather than denying the re-key: denying it would undo an offboarding on
/// every device (attack review 6, H3). A re-key never gives a share.
fn insert_held_shares(
    tx: &Connection,
    shares: &[crate::ops::ShareRecord],
    held: &HashSet<(Vec<u8>, Vec<u8>)>,
) -> Result<()> {
    let kept: Vec<crate::ops::ShareRecord> = shares
        .iter()
        .filter(|s| held.contains(&(s.item_id.0.to_vec(), s.wrap.member_id.0.to_vec())))
        .cloned()
        .collect();
    insert_shares(tx, &kept)
}

fn insert_shares(tx: &Connection, shares: &[crate::ops::ShareRecord]) -> Result<()> {
    for sh in shares {
        let w = &sh.wrap;
        tx.execute(
            "INSERT OR REPLACE INTO item_shares (item_id, member_id, epoch, sender_id, epk, ct, sig)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                blob16(&sh.item_id),
                blob16(&w.member_id),
                w.epoch as i64,
                blob16(&w.sender_id),
                &w.epk[..],
                &w.ct,
                &w.sig[..]
            ],
        )?;
    }
    Ok(())
}

/// Whether `author` is an owner or admin now (in `tx`): only they may
/// mark versions exposed in a re-key ([`rekey_item_rows`]).
fn is_owner_or_admin(tx: &Connection, author: &Id) -> Result<bool> {
    Ok(tx
        .prepare_cached("SELECT role IN ('owner', 'admin') FROM members WHERE id = ?1")?
        .query_row([blob16(author)], |r| r.get(0))
        .optional()?
        .unwrap_or(false))
}

/// Re-keys one item's rows. Concurrent versions still waiting beside the
/// current one were sealed under the old item key, which the new epoch
/// replaces: the re-key settles the conflict for the current version (the
/// other values stay in the log's ciphertexts, readable by no new key).
/// So do versions written concurrently with an owner's or admin's re-key.
/// `admin`: the op's author is an owner or admin ([`is_owner_or_admin`]),
/// asked once per op by the caller.
fn rekey_item_rows(
    tx: &Connection,
    env_id: &Id,
    it: &crate::ops::RekeyedItem,
    admin: bool,
) -> Result<()> {
    // Versions waiting beside the current one stay: sealed under the key
    // being replaced, they now wait as stale ones (`Vault::reseal_stale`).
    // Cached statements: a re-key runs these once per item and version.
    let n = tx
        .prepare_cached("UPDATE items SET ik_ct = ?3 WHERE id = ?1 AND env_id = ?2")?
        .execute(params![blob16(&it.item_id), blob16(env_id), &it.ik_ct])?;
    if n != 1 {
        return Err(Error::NotFound("item".into()));
    }
    // Every version is re-sealed under the one new key: no earlier key is
    // needed to open any of them.
    tx.prepare_cached("DELETE FROM item_keys_earlier WHERE item_id = ?1")?
        .execute([blob16(&it.item_id)])?;
    tx.prepare_cached("DELETE FROM item_keys_adopted WHERE item_id = ?1")?
        .execute([blob16(&it.item_id)])?;
    // A re-key re-seals every version as it is: the same versions, the same
    // rotation fields. Only an owner or admin (offboarding) may mark them
    // exposed. Otherwise whoever re-keys could rewrite others' versions or
    // tick exposed credentials as rotated (`admin`).
    // Every version up to the newest one named, each once. Newer versions
    // it does not name were written concurrently (their writer had not
    // seen the re-key, nor its author theirs), sealed under the key being
    // replaced: an owner's or admin's re-key (offboarding, ungrant) takes
    // effect all the same and sets them aside, or any concurrent write
    // would undo an offboarding on every device. A writer's re-key (an
    // unshare) must still name every version, so it cannot roll an item
    // back.
    let mut named = std::collections::HashSet::new();
    if !it.versions.iter().all(|v| named.insert(v.version)) {
        return Err(Error::PermissionDenied(
            "a re-key names a version twice".into(),
        ));
    }
    let newest = it.versions.iter().map(|v| v.version).max().unwrap_or(0);
    let (upto, stored): (i64, i64) = tx
        .prepare_cached(
            "SELECT COALESCE(SUM(version <= ?2), 0), COUNT(*) FROM item_versions WHERE item_id = ?1",
        )?
        .query_row(params![blob16(&it.item_id), newest as i64], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?;
    let concurrent = stored - upto;
    if upto as usize != it.versions.len() || (concurrent > 0 && !admin) {
        return Err(Error::PermissionDenied(
            "a re-key must re-seal every version of the item, no more, no fewer".into(),
        ));
    }
    if concurrent > 0 {
        // Set aside, not lost: they wait beside the current version, sealed
        // under the replaced key, until an owner or admin re-seals them.
        type Row = (i64, Vec<u8>, crate::ops::RotationMeta, Vec<u8>, i64);
        let aside: Vec<Row> = {
            let mut st = tx.prepare_cached(
                "SELECT version, blob, rotate_every_days, rotated_at, expires_at, exposed_at, author_id, created_at
                 FROM item_versions WHERE item_id = ?1 AND version > ?2",
            )?;
            let rows = st.query_map(params![blob16(&it.item_id), newest as i64], |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    crate::ops::RotationMeta {
                        rotate_every_days: r.get(2)?,
                        rotated_at: r.get(3)?,
                        expires_at: r.get(4)?,
                        exposed_at: r.get(5)?,
                    },
                    r.get(6)?,
                    r.get(7)?,
                ))
            })?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        for (version, blob, meta, writer, at) in aside {
            let writer = Id::from_slice(&writer).map_err(|_| Error::integrity("bad author id"))?;
            insert_conflict(tx, &it.item_id, version as u64, &blob, &meta, &writer, at)?;
        }
        tx.prepare_cached("DELETE FROM item_versions WHERE item_id = ?1 AND version > ?2")?
            .execute(params![blob16(&it.item_id), newest as i64])?;
        tx.prepare_cached("UPDATE items SET current_version = ?2 WHERE id = ?1")?
            .execute(params![blob16(&it.item_id), newest as i64])?;
        // The replaced key's writers had seen up to `newest` (the re-key's
        // author did not see the rest): a set-aside version is the next
        // one after it.
        tx.prepare_cached(
            "UPDATE item_keys_past SET version = ?2 WHERE item_id = ?1 AND version > ?2",
        )?
        .execute(params![blob16(&it.item_id), newest as i64])?;
    }
    let mut old_meta = tx.prepare_cached(
        "SELECT rotate_every_days, rotated_at, expires_at, exposed_at, author_id FROM item_versions
         WHERE item_id = ?1 AND version = ?2",
    )?;
    let mut upd = tx.prepare_cached(
        "UPDATE item_versions SET blob = ?3, exposed_at = ?4 WHERE item_id = ?1 AND version = ?2",
    )?;
    for v in &it.versions {
        let old: Option<(crate::ops::RotationMeta, Vec<u8>)> = old_meta
            .query_row(params![blob16(&it.item_id), v.version as i64], |r| {
                Ok((crate::items::meta_at(r, 0)?, r.get(4)?))
            })
            .optional()?;
        let Some((old, writer)) = old else {
            return Err(Error::PermissionDenied(
                "a re-key names a version the item does not have".into(),
            ));
        };
        // A version re-sealed bound to a writer stays its writer's: bound
        // to anyone else it would open for nobody (attack review 7, F6).
        if crate::ops::blob_writer(&v.blob).is_some_and(|w| w.0[..] != writer[..]) {
            return Err(Error::PermissionDenied(
                "a re-key binds a version to someone other than its writer".into(),
            ));
        }
        let exposure_ok = v.meta.exposed_at == old.exposed_at
            || (admin && old.exposed_at.is_none() && v.meta.exposed_at.is_some());
        if v.meta.rotate_every_days != old.rotate_every_days
            || v.meta.rotated_at != old.rotated_at
            || v.meta.expires_at != old.expires_at
            || !exposure_ok
        {
            return Err(Error::PermissionDenied(
                "a re-key may not change a version's rotation fields".into(),
            ));
        }
        upd.execute(params![
            blob16(&it.item_id),
            v.version as i64,
            &v.blob,
            v.meta.exposed_at
        ])?;
    }
    Ok(())
}

fn unique_to_exists(e: rusqlite::Error, what: String) -> Error {
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ffi::ErrorCode::ConstraintViolation =>
        {
            Error::AlreadyExists(what)
        }
        _ => e.into(),
    }
}

/// Where [`append`] put an entry.
pub(crate) struct Appended {
    /// Position in this replica's log.
    pub rowid: i64,
    /// This device's sequence number.
    pub device_seq: u64,
    /// The entry's hash.
    pub hash: [u8; 32],
    /// Its clock.
    pub hlc: u64,
}

/// Appends a signed entry to the op log, chained to this device's last one.
fn append(
    tx: &Transaction<'_>,
    me: &UnlockedIdentity,
    vault_id: Id,
    body: &OpBody,
    outcome: &str,
) -> Result<Appended> {
    let device = me.device_id;
    let last: Option<(i64, Vec<u8>)> = tx
        .query_row(
            "SELECT device_seq, hash FROM ops WHERE device_id = ?1 ORDER BY device_seq DESC LIMIT 1",
            [&device.0[..]],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (seq, prev_hash) = match last {
        None => (1u64, [0u8; 32]),
        Some((s, h)) => (
            s as u64 + 1,
            h.as_slice()
                .try_into()
                .map_err(|_| Error::integrity("malformed op hash"))?,
        ),
    };
    // The clock moves past every entry seen, except one from far in the
    // future: adopting it would push every later entry's time there (a
    // forged `i64::MAX` would even overflow), so it is never adopted.
    let now = now_ms();
    let max_hlc: i64 = tx.query_row(
        "SELECT COALESCE(MAX(hlc), 0) FROM ops WHERE hlc BETWEEN 0 AND ?1",
        [crate::time::hlc_horizon(now) as i64],
        |r| r.get(0),
    )?;
    let hlc = (now << 16).max(max_hlc as u64 + 1);
    let body_bytes = body.encode();
    let header = OpHeader {
        op_id: Id::make(),
        vault_id,
        device_id: device,
        device_seq: seq,
        author_id: me.id(),
        hlc,
        kind: body.kind(),
        prev_hash,
    };
    let signed = header.signed_bytes(&body_bytes);
    let hash = coffer_crypto::sha256(&[&signed]);
    let sig = me.private.sign(SignPurpose::Op, &signed);
    tx.execute(
        "INSERT INTO ops (op_id, device_id, device_seq, author_id, hlc, kind, body, prev_hash, hash, sig, outcome)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
        params![
            &header.op_id.0[..],
            &device.0[..],
            seq as i64,
            &header.author_id.0[..],
            hlc as i64,
            header.kind,
            body_bytes,
            &prev_hash[..],
            &hash[..],
            &sig[..],
            outcome
        ],
    )?;
    tracing::debug!(kind = kind::name(header.kind), seq, outcome, "op appended");
    Ok(Appended {
        rowid: tx.last_insert_rowid(),
        device_seq: seq,
        hash,
        hlc,
    })
}

/// [`Vault::wrap_env_key`] without the handle (whose connection stays on
/// its thread): `me` wraps `ek`, `env_id`'s key at `epoch`, to `to`.
pub(crate) fn wrap_env_key_as(
    me: &UnlockedIdentity,
    vault_id: Id,
    ek: &EnvKey,
    env_id: &Id,
    epoch: u64,
    to: &PublicKeys,
) -> Result<WrapRecord> {
    let ctx = WrapContext {
        vault_id,
        object_id: *env_id,
        epoch,
        recipient_id: to.id,
        sender_id: me.id(),
    };
    let w = wrap::wrap(&me.private, to, ek, &ctx)
        .map_err(|_| Error::InvalidInput("the recipient's key is unusable".into()))?;
    Ok(WrapRecord {
        member_id: to.id,
        sender_id: me.id(),
        epoch,
        epk: w.epk,
        ct: w.ct,
        sig: w.sig,
    })
}

/// The membership entries of the log (genesis, member add) that were
/// applied, in log order, found through the `ops_kind` index (schema 11):
/// every open reads them, and reading the whole log for them was most of a
/// `coffer get` on a large vault. `outcome` is not in the index, so it is
/// read from the table (see `schema::V11`).
pub(crate) const PINNED_QUERY: &str =
    "SELECT op_id, device_id, device_seq, author_id, hlc, kind, body, prev_hash, hash, sig
     FROM ops WHERE kind IN (?1, ?2) AND outcome = 'applied' ORDER BY seq";
