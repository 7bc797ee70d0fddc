//! Helpers of the attack reviews (`tests/sync_attacks5.rs`,
//! `tests/sync_attacks6.rs`): forging signed entries as a member whose
//! key the test holds, reading what a replica stores, and opening or
//! sealing with the keys an attacker holds.

use std::path::{Path, PathBuf};

use coffer_crypto::{
    EnvKey, Id, ItemContext, ItemKey, ItemKeyContext, ItemKeyGeneration, PrivateIdentity,
    PublicKeys, SignPurpose, WrapContext,
};
use coffer_vault::ops::{OpBody, OpHeader, RotationMeta, ShareRecord, WrapRecord};
use coffer_vault::sync::feed::Entry;
use coffer_vault::sync::Remote;
use coffer_vault::{Access, Role, Vault};
use rusqlite::Connection;

use super::sync_fx::*;
use super::*;

pub fn now_hlc() -> u64 {
    (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_millis() as u64)
        << 16
}

/// Builds the entry that would come next in `device`'s feed (as the folder
/// holds it), signed by `signer`, dated `hlc` (default: now).
pub fn build_next(
    remote: &Remote,
    vault_id: Id,
    device: Id,
    signer: &PrivateIdentity,
    body: &OpBody,
    hlc: Option<u64>,
    op_id: Option<Id>,
) -> Entry {
    let seq = last_seq(remote, &device);
    let (prev, min_hlc) = if seq == 0 {
        ([0u8; 32], 1u64 << 16)
    } else {
        let e = Entry::decode(&std::fs::read(entry_file(remote, &device, seq)).expect("read"))
            .expect("decode");
        (e.hash(), e.header.hlc + 1)
    };
    let body = body.encode();
    let header = OpHeader {
        op_id: op_id.unwrap_or_else(Id::make),
        vault_id,
        device_id: device,
        device_seq: seq + 1,
        author_id: signer.id(),
        hlc: hlc.unwrap_or_else(|| min_hlc.max(now_hlc())),
        kind: OpBody::decode(&body).expect("body").kind(),
        prev_hash: prev,
    };
    let sig = signer.sign(SignPurpose::Op, &header.signed_bytes(&body));
    Entry { header, body, sig }
}

pub fn write_entry(remote: &Remote, e: &Entry) -> PathBuf {
    let p = entry_file(remote, &e.header.device_id, e.header.device_seq);
    std::fs::create_dir_all(p.parent().expect("dir")).expect("mkdir");
    std::fs::write(&p, e.encode()).expect("write");
    p
}

pub fn forge(
    remote: &Remote,
    vault_id: Id,
    device: Id,
    signer: &PrivateIdentity,
    body: &OpBody,
    hlc: Option<u64>,
) -> Entry {
    let e = build_next(remote, vault_id, device, signer, body, hlc, None);
    write_entry(remote, &e);
    e
}

/// Adds a member whose private key the test holds (a member who runs a
/// modified client and signs whatever they like).
pub fn add_keyed(
    v: &mut Vault,
    who: &PrivateIdentity,
    name: &str,
    role: Role,
    grants: &[(&str, Access)],
) {
    let grants: Vec<(String, Access)> = grants.iter().map(|(e, a)| (e.to_string(), *a)).collect();
    v.add_member(
        &who.public_identity_string(name, None),
        name,
        role,
        &grants,
        &who.public().fingerprint(),
    )
    .unwrap_or_else(|e| panic!("adding {name}: {e}"));
}

/// The team, with Mallory added as `role` with `access` to web/prod (her
/// private key held by the test), every device synced.
pub fn team_with_mallory(role: Role, access: Access) -> (Fx, Remote, Device, Id, PrivateIdentity) {
    let (fx, remote, bob, _carol) = team(folder_remote);
    let vault_id = fx.open().id();
    let mallory = PrivateIdentity::make();
    add_keyed(&mut fx.open(), &mallory, "Mallory", role, &[(PROD, access)]);
    fx.open().sync().expect("ada syncs");
    bob.sync();
    (fx, remote, bob, vault_id, mallory)
}

/// A `read` (reveal) of nothing in `env_id`: a body any reader may sign.
pub fn reveal(env_id: Id) -> OpBody {
    OpBody::Read {
        action: coffer_vault::ops::ReadAction::Reveal,
        env_id,
        item_ids: vec![],
    }
}

/// The clock of the newest op of `kind` in a replica's log.
pub fn hlc_of(replica: &Path, k: u8) -> u64 {
    let c = Connection::open(replica).expect("open");
    c.query_row(
        "SELECT hlc FROM ops WHERE kind = ?1 ORDER BY seq DESC LIMIT 1",
        [k],
        |r| r.get::<_, i64>(0),
    )
    .expect("hlc") as u64
}

pub fn id_col(v: &rusqlite::types::Value) -> Id {
    match v {
        rusqlite::types::Value::Blob(b) => Id::from_slice(b).expect("id"),
        v => panic!("id {v:?}"),
    }
}

pub fn member_keys(c: &Connection, id: &Id) -> PublicKeys {
    c.query_row(
        "SELECT x25519, ed25519 FROM members WHERE id = ?1",
        [&id.0[..]],
        |r| {
            Ok(PublicKeys {
                id: *id,
                x25519: r.get::<_, Vec<u8>>(0)?.try_into().expect("32"),
                ed25519: r.get::<_, Vec<u8>>(1)?.try_into().expect("32"),
            })
        },
    )
    .expect("member keys")
}

pub fn meta_row(r: &rusqlite::Row<'_>, i: usize) -> rusqlite::Result<RotationMeta> {
    Ok(RotationMeta {
        rotate_every_days: r.get::<_, Option<i64>>(i)?.map(|d| d as u32),
        rotated_at: r.get(i + 1)?,
        expires_at: r.get(i + 2)?,
        exposed_at: r.get(i + 3)?,
    })
}

/// One version of an item as a replica stores it.
pub struct Version {
    pub version: u64,
    pub blob: Vec<u8>,
    pub meta: RotationMeta,
}

/// An item of an environment as a replica stores it.
pub struct StoredItem {
    pub id: Id,
    pub ik_ct: Vec<u8>,
    pub versions: Vec<Version>,
}

pub fn stored_items(replica: &Path, env_id: &Id) -> Vec<StoredItem> {
    let c = Connection::open(replica).expect("open");
    let ids: Vec<(Id, Vec<u8>)> = {
        let mut st = c
            .prepare("SELECT id, ik_ct FROM items WHERE env_id = ?1 ORDER BY id")
            .expect("prepare");
        let rows = st
            .query_map([&env_id.0[..]], |r| {
                Ok((
                    Id::from_slice(&r.get::<_, Vec<u8>>(0)?).expect("id"),
                    r.get(1)?,
                ))
            })
            .expect("query");
        rows.collect::<Result<_, _>>().expect("rows")
    };
    ids.into_iter()
        .map(|(id, ik_ct)| {
            let mut st = c
                .prepare(
                    "SELECT version, blob, rotate_every_days, rotated_at, expires_at, exposed_at
                     FROM item_versions WHERE item_id = ?1 ORDER BY version",
                )
                .expect("prepare");
            let versions = st
                .query_map([&id.0[..]], |r| {
                    Ok(Version {
                        version: r.get::<_, i64>(0)? as u64,
                        blob: r.get(1)?,
                        meta: meta_row(r, 2)?,
                    })
                })
                .expect("query")
                .collect::<Result<_, _>>()
                .expect("rows");
            StoredItem {
                id,
                ik_ct,
                versions,
            }
        })
        .collect()
}

/// The environment key `who` holds for `env_path` now, read from the
/// replica at `replica`: (vault id, environment id, epoch, key).
pub fn held_env_key(
    replica: &Path,
    who: &PrivateIdentity,
    env_path: &str,
) -> (Id, Id, u64, EnvKey) {
    let c = Connection::open(replica).expect("open");
    let vault_id = c
        .query_row("SELECT id FROM vault", [], |r| r.get::<_, Vec<u8>>(0))
        .map(|b| Id::from_slice(&b).expect("id"))
        .expect("vault id");
    let env_id = Id::from_slice(&env_id(&c, env_path)).expect("env id");
    let (epoch, sender, epk, ct, sig): (i64, Vec<u8>, Vec<u8>, Vec<u8>, Vec<u8>) = c
        .query_row(
            "SELECT epoch, sender_id, epk, ct, sig FROM env_wraps WHERE env_id = ?1 AND member_id = ?2",
            [&env_id.0[..], &who.id().0[..]],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
        )
        .expect("the member's wrap");
    let sender = Id::from_slice(&sender).expect("sender");
    let epoch = epoch as u64;
    let ek: EnvKey = coffer_crypto::wrap::unwrap(
        who,
        &member_keys(&c, &sender),
        &epk,
        &ct,
        &sig,
        &WrapContext {
            vault_id,
            object_id: env_id,
            epoch,
            recipient_id: who.id(),
            sender_id: sender,
        },
    )
    .expect("the member opens the environment key");
    (vault_id, env_id, epoch, ek)
}

pub fn item_ctx(vault_id: Id, env_id: Id, item_id: Id, epoch: u64) -> ItemKeyContext {
    ItemKeyContext {
        vault_id,
        env_id,
        item_id,
        epoch,
    }
}

pub fn open_blob(ik: &ItemKey, vault_id: Id, env_id: Id, item_id: Id, v: &Version) -> Vec<u8> {
    let mc = v.meta.canonical();
    let (sealed, author) = coffer_vault::ops::unframe_blob(&v.blob);
    ik.open_item(
        sealed,
        &ItemContext {
            vault_id,
            env_id,
            item_id,
            row_version: v.version,
            meta: &mc,
            author,
        },
    )
    .expect("version opens")
    .expose_secret()
    .to_vec()
}

pub fn seal_blob(
    ik: &ItemKey,
    vault_id: Id,
    env_id: Id,
    item_id: Id,
    version: u64,
    meta: &RotationMeta,
    pt: &[u8],
) -> Vec<u8> {
    let mc = meta.canonical();
    ik.seal_item(
        pt,
        &ItemContext {
            vault_id,
            env_id,
            item_id,
            row_version: version,
            meta: &mc,
            author: None,
        },
    )
    .expect("seal")
}
pub fn names(v: &mut Vault, env: &str) -> Vec<String> {
    v.list_items(Some(env), 30)
        .map(|l| l.into_iter().map(|s| s.name).collect())
        .unwrap_or_else(|e| vec![format!("<error: {e}>")])
}

pub fn export(v: &mut Vault, env: &str) -> coffer_vault::Result<()> {
    v.export_env(
        env,
        coffer_dotenv::Format::Dotenv,
        coffer_dotenv::Dialect::Portable,
        coffer_vault::dangerous::AllowVars::NONE,
        |_| Ok(()),
    )
    .map(|_| ())
}

// Shared by tests/sync_attacks9.rs (sync_attacks8.rs keeps its own copies).

pub fn item_id_of(fx: &Fx, env: &str, name: &str) -> Id {
    fx.open().get_item(env, name).expect("get").0.id
}

pub fn member_id(replica: &Path, name: &str) -> Id {
    let c = Connection::open(replica).expect("open");
    c.query_row("SELECT id FROM members WHERE name = ?1", [name], |r| {
        r.get::<_, Vec<u8>>(0)
    })
    .map(|b| Id::from_slice(&b).expect("id"))
    .expect("member")
}

pub fn ik_ct_of(replica: &Path, item: &Id) -> Vec<u8> {
    let c = Connection::open(replica).expect("open");
    c.query_row(
        "SELECT ik_ct FROM items WHERE id = ?1",
        [&item.0[..]],
        |r| r.get(0),
    )
    .expect("item")
}

pub fn read(v: &mut Vault, env: &str, key: &str) -> Result<String, String> {
    v.get_item(env, key)
        .map(|(_, s)| s.expose_secret().to_string())
        .map_err(|e| e.to_string())
}

/// A share of `item`'s key `ik` (sealed as `ik_ct`) to `to`, signed by `who`.
pub fn share_record(
    who: &PrivateIdentity,
    to: &coffer_crypto::PublicKeys,
    ik: &ItemKey,
    ik_ct: &[u8],
    (vault_id, item, epoch): (Id, Id, u64),
) -> ShareRecord {
    let w = coffer_crypto::wrap::wrap_item_key(
        who,
        to,
        ik,
        &WrapContext {
            vault_id,
            object_id: item,
            epoch,
            recipient_id: to.id,
            sender_id: who.id(),
        },
        &ItemKeyGeneration::of_sealed(ik_ct),
    )
    .expect("wrap");
    ShareRecord {
        item_id: item,
        wrap: WrapRecord {
            member_id: to.id,
            sender_id: who.id(),
            epoch,
            epk: w.epk,
            ct: w.ct,
            sig: w.sig,
        },
    }
}

/// Adds `name`, a member who reads web/dev only (no device): someone an
/// item of web/prod can be shared with.
pub fn add_dev_only(fx: &Fx, name: &str) -> Id {
    let p = Person::new(fx, name);
    add_member(&mut fx.open(), &p, Role::Member, &[(DEV, Access::Read)]);
    p.id
}

/// Forges `body` as `who`'s entry in a new or given feed and waits a
/// moment, so the next entry's clock is later.
pub fn publish(
    remote: &Remote,
    vault_id: Id,
    device: Id,
    who: &PrivateIdentity,
    body: &OpBody,
    hlc: Option<u64>,
) {
    forge(remote, vault_id, device, who, body, hlc);
    std::thread::sleep(std::time::Duration::from_millis(3));
}

/// Who signed the share of `item` to `to` that stands in a replica.
pub fn share_sender(replica: &Path, item: &Id, to: &Id) -> Option<Id> {
    Connection::open(replica)
        .expect("open")
        .query_row(
            "SELECT sender_id FROM item_shares WHERE item_id = ?1 AND member_id = ?2",
            [&item.0[..], &to.0[..]],
            |r| r.get::<_, Vec<u8>>(0),
        )
        .ok()
        .map(|b| Id::from_slice(&b).expect("id"))
}

/// A device for `name`, a member who reads web/dev only, joined: someone
/// an item of web/prod can be shared with, who can try to read it.
pub fn dev_reader_device(fx: &Fx, bob: &Device, remote: &Remote, name: &str) -> Device {
    let d = Device::new(fx, name);
    add_member(&mut fx.open(), &d.who, Role::Member, &[(DEV, Access::Read)]);
    fx.open().sync().expect("ada publishes");
    bob.sync();
    d.join(remote).expect("joins");
    d
}

/// What `ItemFields` encodes (`coffer/v1/item-body`, version 1).
pub fn item_plaintext(name: &str, value: &str) -> Vec<u8> {
    let mut e = coffer_crypto::encoding::Encoder::new("coffer/v1/item-body", 1);
    e.str(name)
        .str(value)
        .opt_str(None)
        .opt_str(None)
        .opt_str(None)
        .u32(0);
    e.finish()
}

/// Opens as the fixture's owner on another thread and gives up after
/// `secs`: an open that hangs (a FIFO read, a looping page) fails the test
/// instead of stalling it.
pub fn open_within(fx: &Fx, secs: u64) -> Option<coffer_vault::Result<Vault>> {
    let (tx, rx) = std::sync::mpsc::channel();
    let path = fx.path.clone();
    let me = fx.unlock();
    std::thread::spawn(move || {
        let _ = tx.send(Vault::open(&path, me));
    });
    rx.recv_timeout(std::time::Duration::from_secs(secs)).ok()
}

/// The members a replica holds as revoked.
pub fn revoked(replica: &Path) -> Vec<Id> {
    let c = Connection::open(replica).expect("open");
    rows(&c, "SELECT id FROM members WHERE status = 'revoked'")
        .into_iter()
        .map(|r| match &r[0] {
            rusqlite::types::Value::Blob(b) => Id::from_slice(b).expect("id"),
            v => panic!("member id {v:?}"),
        })
        .collect()
}

/// Two offboardings racing (tests/sync_attacks4.rs, F1): Dave (admin) and
/// Erin (reader of PROD) are added and synced; then, neither admin having
/// seen the other's, Ada offboards Carol and Dave offboards Erin. Returns
/// the team (Ada's fixture, the remote, Bob, Dave) and Erin; nothing is
/// synced after the offboardings.
pub fn racing_offboardings_team() -> (Fx, Remote, Device, Device, PrivateIdentity) {
    let (fx, remote, bob, _carol) = team(folder_remote);
    let dave = Device::new(&fx, "Dave");
    let erin = PrivateIdentity::make();
    {
        let mut v = fx.open();
        add_member(&mut v, &dave.who, Role::Admin, &[(PROD, Access::Read)]);
        add_keyed(&mut v, &erin, "Erin", Role::Reader, &[(PROD, Access::Read)]);
        v.sync().expect("ada syncs");
    }
    dave.join(&remote).expect("Dave joins");
    bob.sync();
    fx.open()
        .offboard("Carol", &mut |_, _| {})
        .expect("Ada offboards Carol");
    std::thread::sleep(std::time::Duration::from_millis(5));
    dave.open()
        .offboard("Erin", &mut |_, _| {})
        .expect("Dave offboards Erin");
    (fx, remote, bob, dave, erin)
}

// ----- page surgery: an index made to disagree with its table (attack
// reviews 16-19, tests/index_attacks*.rs) --------------------------------

/// Folds the WAL into the file and leaves it in rollback-journal mode, so
/// the file alone holds every page (the vault's next open turns WAL on
/// again).
pub fn settle(path: &Path) {
    let c = Connection::open(path).expect("open");
    c.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))
        .expect("checkpoint");
    let mode: String = c
        .query_row("PRAGMA journal_mode = DELETE", [], |r| r.get(0))
        .expect("journal mode");
    assert_eq!(mode, "delete");
}

/// The file's page size and the root page of `name`.
pub fn root_of(path: &Path, name: &str) -> (usize, usize) {
    let c = Connection::open(path).expect("open");
    let ps: i64 = c
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .expect("page size");
    let root: i64 = c
        .query_row(
            "SELECT rootpage FROM sqlite_master WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .expect("rootpage");
    (ps as usize, root as usize)
}

/// A leaf page of an index b-tree of `page_size` holding `records` (each
/// row of values, the rowid last), built by SQLite in a scratch database:
/// a `WITHOUT ROWID` table whose every column is its key stores exactly
/// these records, in key order.
pub fn leaf_page(page_size: usize, records: &[Vec<Value>]) -> Vec<u8> {
    let dir = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).expect("tempdir");
    let p = dir.path().join("scratch.db");
    let n = records[0].len();
    {
        let c = Connection::open(&p).expect("scratch");
        c.execute_batch(&format!("PRAGMA page_size = {page_size}"))
            .expect("page size");
        let cols: Vec<String> = (0..n).map(|i| format!("c{i}")).collect();
        c.execute_batch(&format!(
            "CREATE TABLE f({}, PRIMARY KEY ({})) WITHOUT ROWID",
            cols.join(", "),
            cols.join(", ")
        ))
        .expect("create");
        let marks: Vec<String> = (1..=n).map(|i| format!("?{i}")).collect();
        let sql = format!("INSERT INTO f VALUES ({})", marks.join(", "));
        for r in records {
            c.execute(&sql, rusqlite::params_from_iter(r.iter()))
                .expect("insert");
        }
    }
    let (ps, root) = root_of(&p, "f");
    assert_eq!(ps, page_size);
    let file = std::fs::read(&p).expect("read scratch");
    let page = file[(root - 1) * ps..root * ps].to_vec();
    assert_eq!(page[0], 0x0a, "the scratch index is one leaf page");
    page
}

/// Replaces page `page_no` of the file at `path` with `page`.
pub fn write_page(path: &Path, page_no: usize, page: &[u8]) {
    let mut file = std::fs::read(path).expect("read");
    let ps = page.len();
    file[(page_no - 1) * ps..page_no * ps].copy_from_slice(page);
    std::fs::write(path, file).expect("write");
}
