//! Shared set-up for the cross-crate security tests: a throw-away
//! `COFFER_HOME` and vault made through the library (fast, in-process), raw
//! SQLite access for tampering, a full dump of every table, and the `coffer`
//! binary for the end-to-end cases.
#![allow(dead_code, missing_docs)]

use std::path::{Path, PathBuf};
use std::process::Command;

use coffer_crypto::{Id, KdfParams, SecretString};
use coffer_vault::{ErrorKind, IdentityStore, ItemUpdate, UnlockedIdentity, Vault};
use rusqlite::types::Value;

pub mod attack_fx;
pub mod sync_fx;
use rusqlite::Connection;
use tempfile::TempDir;

/// The passphrase of every library-made identity.
pub const PASSPHRASE: &str = "tamper-test passphrase 7Qx!";

pub const PROD: &str = "web/prod";
pub const DEV: &str = "web/dev";

pub fn secret(s: &str) -> SecretString {
    SecretString::new(s.to_string())
}

pub fn value(s: &str) -> ItemUpdate {
    ItemUpdate {
        value: Some(secret(s)),
        ..Default::default()
    }
}

/// A device home and a vault path in one temporary directory.
pub struct Fx {
    pub dir: TempDir,
    pub home: PathBuf,
    pub path: PathBuf,
}

impl Fx {
    /// Under Cargo's per-target scratch directory rather than `TMPDIR`, so
    /// a test may point `TMPDIR` elsewhere to watch what the code writes.
    pub fn new() -> Self {
        let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
        let home = dir.path().join("home");
        let path = dir.path().join("vault.coffer");
        Self { dir, home, path }
    }

    /// Creates the identity (at the floor, pinned so unlocking never
    /// re-wraps) and an empty vault.
    pub fn create(&self) -> Vault {
        let me = IdentityStore::create(
            &self.home,
            "Ada",
            None,
            &secret(PASSPHRASE),
            KdfParams::FLOOR,
            true,
        )
        .expect("identity");
        Vault::create(&self.path, "Acme", me).expect("vault")
    }

    pub fn unlock(&self) -> UnlockedIdentity {
        IdentityStore::load(&self.home)
            .expect("load identity")
            .unlock_with_password(&secret(PASSPHRASE))
            .expect("unlock")
    }

    /// Opens the vault again (the caller has dropped the previous handle).
    pub fn open(&self) -> Vault {
        Vault::open(&self.path, self.unlock()).expect("reopen")
    }

    /// A raw connection for tampering. Close it (drop) before reopening.
    pub fn db(&self) -> Connection {
        Connection::open(&self.path).expect("raw sqlite")
    }

    /// Every table, every row, in a stable order.
    pub fn dump(&self) -> Dump {
        dump(&self.path)
    }
}

impl Default for Fx {
    fn default() -> Self {
        Self::new()
    }
}

/// The items made by [`standard`].
pub struct Items {
    /// `web/prod API_KEY`, two versions.
    pub api: Id,
    /// `web/prod DB_PASS`, one version.
    pub db: Id,
    /// `web/dev OTHER`.
    pub other: Id,
}

pub const API_V1: &str = "api-key-version-one";
pub const API_V2: &str = "api-key-version-two";
pub const DB_VALUE: &str = "db-password-value";
pub const OTHER_VALUE: &str = "dev-other-value";

/// A vault with two environments and three items (one with history).
/// Returns with the vault closed.
pub fn standard() -> (Fx, Items) {
    let fx = Fx::new();
    let mut v = fx.create();
    v.add_env(PROD, Some(90)).expect("add prod");
    v.add_env(DEV, None).expect("add dev");
    let api = v.set_item(PROD, "API_KEY", value(API_V1)).expect("set").id;
    v.set_item(PROD, "API_KEY", value(API_V2)).expect("update");
    let db = v
        .set_item(PROD, "DB_PASS", value(DB_VALUE))
        .expect("set")
        .id;
    let other = v
        .set_item(DEV, "OTHER", value(OTHER_VALUE))
        .expect("set")
        .id;
    assert!(v.verify().expect("verify").ok(), "fresh vault verifies");
    drop(v);
    (fx, Items { api, db, other })
}

pub fn env_id(conn: &Connection, path: &str) -> Vec<u8> {
    let (p, e) = path.split_once('/').expect("PROJECT/ENV");
    conn.query_row(
        "SELECT e.id FROM environments e JOIN projects p ON p.id = e.project_id
         WHERE p.name = ?1 AND e.name = ?2",
        [p, e],
        |r| r.get(0),
    )
    .expect("env id")
}

pub type Dump = Vec<(String, Vec<Vec<Value>>)>;

/// Every table of a SQLite file (including `sqlite_sequence`), every row,
/// ordered by rowid (a `WITHOUT ROWID` table by its primary key).
pub fn dump(path: &Path) -> Dump {
    let conn = Connection::open(path).expect("open for dump");
    let tables: Vec<(String, String)> = {
        let mut st = conn
            .prepare("SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name")
            .expect("tables");
        let rows = st
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("tables");
        rows.collect::<Result<_, _>>().expect("tables")
    };
    let mut out = Vec::new();
    for (t, sql) in tables {
        let order = if sql.contains("WITHOUT ROWID") {
            ""
        } else {
            " ORDER BY rowid"
        };
        let mut st = conn
            .prepare(&format!("SELECT * FROM \"{t}\"{order}"))
            .expect("select");
        let n = st.column_count();
        let rows: Vec<Vec<Value>> = st
            .query_map([], |r| (0..n).map(|i| r.get::<_, Value>(i)).collect())
            .expect("rows")
            .collect::<Result<_, _>>()
            .expect("rows");
        out.push((t, rows));
    }
    let uv: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .expect("user_version");
    out.push(("PRAGMA user_version".into(), vec![vec![Value::Integer(uv)]]));
    out
}

/// Asserts that opening the vault is refused with an integrity error whose
/// message contains `needle`.
#[track_caller]
pub fn assert_open_refused(fx: &Fx, needle: &str) {
    match Vault::open(&fx.path, fx.unlock()) {
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
            assert!(e.to_string().contains(needle), "{e}");
        }
        Ok(_) => panic!("the vault opened; expected a refusal mentioning '{needle}'"),
    }
}

/// Asserts a result is an integrity error (and says what it was otherwise).
#[track_caller]
pub fn assert_integrity<T: std::fmt::Debug>(what: &str, r: coffer_vault::Result<T>) {
    match r {
        Err(e) if e.kind() == ErrorKind::Integrity => {}
        Err(e) => panic!(
            "{what}: expected an integrity error, got {:?}: {e}",
            e.kind()
        ),
        Ok(v) => panic!("{what}: expected an integrity error, got Ok({v:?})"),
    }
}

/// Runs `verify` and asserts it reports something (or fails with an
/// integrity error). Returns the problems.
#[track_caller]
pub fn assert_verify_flags(v: &mut Vault) -> Vec<String> {
    match v.verify() {
        Ok(rep) => {
            assert!(!rep.ok(), "verify should report the tampering: {rep:?}");
            rep.problems
        }
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Integrity, "verify failed: {e}");
            vec![e.to_string()]
        }
    }
}

/// The `coffer` binary of this build (same target dir and profile as the
/// test executable, so `CARGO_TARGET_DIR` is respected). `make test` builds
/// it first; run `cargo build -p coffer-cli` otherwise.
pub fn coffer_bin() -> PathBuf {
    let name = format!("coffer{}", std::env::consts::EXE_SUFFIX);
    let mut candidates = Vec::new();
    if let Ok(exe) = std::env::current_exe() {
        // target/<profile>/deps/<test>-<hash>
        if let Some(profile_dir) = exe.parent().and_then(Path::parent) {
            candidates.push(profile_dir.join(&name));
        }
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    candidates.push(target.join("debug").join(&name));
    candidates
        .iter()
        .find(|p| p.is_file())
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "the coffer binary is missing (looked at {candidates:?}): \
                 run `cargo build -p coffer-cli` before `cargo test -p coffer-tests` \
                 (`make test` does)"
            )
        })
}

/// A `coffer` command confined to `fx` (its own home, vault, temp dir and
/// XDG dirs; nothing from the real user's environment).
pub fn coffer(fx: &Fx, passphrase: &str) -> Command {
    let mut c = Command::new(coffer_bin());
    let scratch = fx.dir.path().join("xdg");
    std::fs::create_dir_all(&scratch).expect("xdg dir");
    c.env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("HOME", &scratch)
        .env("XDG_DATA_HOME", &scratch)
        .env("XDG_CONFIG_HOME", &scratch)
        .env("XDG_CACHE_HOME", &scratch)
        .env("TMPDIR", &scratch)
        .env("COFFER_HOME", &fx.home)
        .env("COFFER_VAULT", &fx.path)
        .env("COFFER_PASSPHRASE", passphrase)
        .env("COFFER_SESSION_MINUTES", "0")
        .env("RUST_BACKTRACE", "0");
    c
}

/// Whether `needle` occurs in `hay`.
pub fn contains(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && hay.windows(needle.len()).any(|w| w == needle)
}

// ----- teams: several identities against one vault file ---------------------

/// A person with their own device home (`COFFER_HOME`) and a real identity
/// at the KDF floor. Each person unlocks with their own private key.
pub struct Person {
    pub name: String,
    pub home: PathBuf,
    pub id: Id,
    pub public_identity: String,
    pub fingerprint: String,
}

impl Person {
    /// Creates `name`'s identity in `<fx dir>/<name>-home`.
    pub fn new(fx: &Fx, name: &str) -> Self {
        Self::create(&fx.dir.path().join(format!("{name}-home")), name)
    }

    /// Creates an identity in `home`.
    pub fn create(home: &Path, name: &str) -> Self {
        let me = IdentityStore::create(
            home,
            name,
            None,
            &secret(PASSPHRASE),
            KdfParams::FLOOR,
            true,
        )
        .expect("identity");
        Self::from_unlocked(&me)
    }

    /// The fixture's own identity (Ada, the owner of [`Fx::create`]).
    pub fn owner(fx: &Fx) -> Self {
        Self::from_unlocked(&fx.unlock())
    }

    fn from_unlocked(me: &UnlockedIdentity) -> Self {
        Self {
            name: me.name().to_string(),
            home: me.home().to_path_buf(),
            id: me.id(),
            public_identity: me.public_identity_string(),
            fingerprint: me.public().fingerprint(),
        }
    }

    pub fn unlock(&self) -> UnlockedIdentity {
        IdentityStore::load(&self.home)
            .expect("load identity")
            .unlock_with_password(&secret(PASSPHRASE))
            .expect("unlock")
    }

    /// Opens `path` as this person (any error is returned).
    pub fn try_open(&self, path: &Path) -> coffer_vault::Result<Vault> {
        Vault::open(path, self.unlock())
    }

    /// Opens `path` as this person.
    #[track_caller]
    pub fn open(&self, path: &Path) -> Vault {
        self.try_open(path)
            .unwrap_or_else(|e| panic!("{} opens the vault: {e}", self.name))
    }
}

/// Adds `p` to the vault (with the right fingerprint) and returns the member.
#[track_caller]
pub fn add_member(
    v: &mut Vault,
    p: &Person,
    role: coffer_vault::Role,
    grants: &[(&str, coffer_vault::Access)],
) -> coffer_vault::MemberInfo {
    let grants: Vec<(String, coffer_vault::Access)> =
        grants.iter().map(|(e, a)| (e.to_string(), *a)).collect();
    v.add_member(&p.public_identity, &p.name, role, &grants, &p.fingerprint)
        .unwrap_or_else(|e| panic!("adding {}: {e}", p.name))
}

/// Asserts a result is a permission error.
#[track_caller]
pub fn assert_permission<T: std::fmt::Debug>(what: &str, r: coffer_vault::Result<T>) {
    assert_kind(what, ErrorKind::Permission, r);
}

/// Asserts a result is an error of `kind`.
#[track_caller]
pub fn assert_kind<T: std::fmt::Debug>(what: &str, kind: ErrorKind, r: coffer_vault::Result<T>) {
    match r {
        Err(e) => assert_eq!(e.kind(), kind, "{what}: {e}"),
        Ok(v) => panic!("{what}: expected a {kind:?} error, got Ok({v:?})"),
    }
}

/// Asserts a read failed with an integrity or permission error (never a value).
#[track_caller]
pub fn assert_no_value(
    what: &str,
    r: coffer_vault::Result<(coffer_vault::ItemSummary, SecretString)>,
) {
    match r {
        Err(e) => assert!(
            matches!(e.kind(), ErrorKind::Integrity | ErrorKind::Permission),
            "{what}: expected an integrity or permission error, got {:?}: {e}",
            e.kind()
        ),
        Ok((s, v)) => panic!("{what}: got a value ({} bytes) for {}", v.len(), s.name),
    }
}

/// `get` returns `expected`.
#[track_caller]
pub fn assert_value(v: &mut Vault, env: &str, key: &str, expected: &str) {
    let (_, got) = v
        .get_item(env, key)
        .unwrap_or_else(|e| panic!("get {env} {key}: {e}"));
    assert_eq!(got.expose_secret(), expected, "{env} {key}");
}

/// Copies a closed vault file (and its write-ahead log, if any) to `dst`.
pub fn copy_vault(src: &Path, dst: &Path) {
    std::fs::copy(src, dst).expect("copy vault");
    for suffix in ["-wal", "-shm"] {
        let mut s = src.as_os_str().to_owned();
        s.push(suffix);
        let mut d = dst.as_os_str().to_owned();
        d.push(suffix);
        let (s, d) = (PathBuf::from(s), PathBuf::from(d));
        if s.exists() {
            std::fs::copy(&s, &d).expect("copy wal");
        } else {
            let _ = std::fs::remove_file(&d);
        }
    }
}

/// Copies a directory tree (a device home, a whole fixture).
pub fn copy_dir(src: &Path, dst: &Path) {
    std::fs::create_dir_all(dst).expect("mkdir");
    for e in std::fs::read_dir(src).expect("read_dir") {
        let e = e.expect("entry");
        let to = dst.join(e.file_name());
        if e.file_type().expect("type").is_dir() {
            copy_dir(&e.path(), &to);
        } else {
            std::fs::copy(e.path(), &to).expect("copy");
        }
    }
}

/// Rows of a query (all columns), for saving and comparing raw state.
pub fn query_rows(
    conn: &Connection,
    sql: &str,
    params: &[&dyn rusqlite::ToSql],
) -> Vec<Vec<Value>> {
    let mut st = conn.prepare(sql).expect(sql);
    let n = st.column_count();
    let rows = st
        .query_map(params, |r| (0..n).map(|i| r.get::<_, Value>(i)).collect())
        .expect(sql)
        .collect::<Result<Vec<Vec<Value>>, _>>()
        .expect(sql);
    rows
}

/// The number of rows of `table` whose `member_id` is `member`.
pub fn member_rows(conn: &Connection, table: &str, member: &Id) -> i64 {
    conn.query_row(
        &format!("SELECT COUNT(*) FROM {table} WHERE member_id = ?1"),
        [&member.0[..]],
        |r| r.get(0),
    )
    .expect("count")
}

/// Inserts saved rows (all columns, in table order) back into `table`.
pub fn insert_rows(conn: &Connection, table: &str, rows: &[Vec<Value>]) {
    for r in rows {
        let marks = (1..=r.len())
            .map(|i| format!("?{i}"))
            .collect::<Vec<_>>()
            .join(", ");
        conn.execute(
            &format!("INSERT OR REPLACE INTO {table} VALUES ({marks})"),
            rusqlite::params_from_iter(r.iter()),
        )
        .expect("re-insert");
    }
}

/// The current epoch of `PROJECT/ENV`.
pub fn epoch(conn: &Connection, path: &str) -> i64 {
    conn.query_row(
        "SELECT epoch FROM environments WHERE id = ?1",
        [env_id(conn, path)],
        |r| r.get(0),
    )
    .expect("epoch")
}

/// A member record naming `who` as owner (an outsider's forged genesis).
pub fn owner_record(
    who: &coffer_crypto::PrivateIdentity,
    name: &str,
) -> coffer_vault::ops::MemberRecord {
    coffer_vault::ops::MemberRecord {
        id: who.id(),
        name: name.into(),
        email: None,
        x25519: who.public().x25519,
        ed25519: who.public().ed25519,
        fingerprint: who.public().fingerprint(),
        role: "owner".into(),
    }
}

/// A small xorshift generator for the kill tests; seeded from the clock
/// ([`clock_seed`]), the seed printed so a failing run can be repeated.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    /// Uniform in [0, 1).
    pub fn unit(&mut self) -> f64 {
        (self.next() % 10_000) as f64 / 10_000.0
    }
}

/// A non-zero seed from the clock.
pub fn clock_seed() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_nanos() as u64
        | 1
}

/// The size of the vault's write-ahead log (it grows while a transaction
/// is written).
pub fn wal_len(fx: &Fx) -> u64 {
    let mut p = fx.path.as_os_str().to_owned();
    p.push("-wal");
    std::fs::metadata(PathBuf::from(p)).map_or(0, |m| m.len())
}

/// Every version of every item of `envs` as `v` opens it: (env/name,
/// version, value), sorted (the re-key comparisons of tests/team.rs and
/// tests/perf_attacks14.rs).
pub fn every_version(v: &mut Vault, envs: &[&str]) -> Vec<(String, u64, String)> {
    let mut out = Vec::new();
    for env in envs {
        for item in v.list_items(Some(env), 14).expect("ls") {
            for h in v.history(env, &item.name, true).expect("history") {
                let value = h.value.expect("revealed").expose_secret().to_string();
                out.push((format!("{env}/{}", item.name), h.version, value));
            }
        }
    }
    out.sort();
    out
}

/// A copy of `fx` (its home and vault) in a new fixture, with copies of
/// `people`'s homes beside it: each run of a comparison works on its own.
pub fn copy_fixture(fx: &Fx, people: &[&Person]) -> (Fx, Vec<Person>) {
    let f = Fx::new();
    copy_dir(&fx.home, &f.home);
    copy_vault(&fx.path, &f.path);
    let people = people
        .iter()
        .map(|p| {
            let home = f.dir.path().join(format!("{}-home", p.name));
            copy_dir(&p.home, &home);
            Person {
                home,
                name: p.name.clone(),
                id: p.id,
                public_identity: p.public_identity.clone(),
                fingerprint: p.fingerprint.clone(),
            }
        })
        .collect();
    (f, people)
}
