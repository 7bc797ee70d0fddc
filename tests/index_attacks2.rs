//! Attack review 17 (helper branch attack12): the indexes of the state tables and of the log, other
//! than `ops_kind` (tests/index_attacks.rs), attacked by whoever can write
//! a private replica's file (not `COFFER_HOME`).
//!
//! A replica's seal (`replica::Seal::check`) hashes the log (a scan of
//! `ops` by rowid) and every state table row by row, `SELECT * FROM t
//! ORDER BY <key>`. SQLite answers the latter through the table's
//! primary-key autoindex: the digest reads the rows the index points at,
//! in the index's order, and never the index's own key columns. So the
//! seal says nothing about (a) any other index (`items_env`, the `UNIQUE`
//! name indexes of members, projects and environments, the log's
//! `ops_hlc`, `ops_feed` and autoindexes), and (b) the key columns of a
//! primary-key index, as long as the rowids they point at come in the
//! same order. Every query SQLite answers through such an index reads
//! what the attacker wrote there: a row found under a key it does not
//! hold, or a key column read from the index itself (a covering index).
//!
//! These tests make an index disagree with its table by page surgery, as
//! in tests/index_attacks.rs: the file is checkpointed and the index's
//! one leaf page is replaced by a page built in a scratch database (a
//! `WITHOUT ROWID` table whose records are laid out as the index's: its
//! columns, then the rowid). The tables, and so the seal, are left as they
//! were; the open succeeds. `attack_*` tests assert the secure outcome;
//! those marked FINDING failed until the fix below.
//!
//! Fixed (attack review 17): a sealed replica's open now runs SQLite's
//! `PRAGMA integrity_check` before what it reads through an index is used
//! (`replica::indexes_agree`): every index must agree with its table and
//! every b-tree be well formed, so each edit below is refused with the
//! seal's "changed outside this device" before a query can read through
//! it. The FINDING tests now assert that refusal.
//!
//! Findings (each test's comment says more):
//! - `sqlite_autoindex_environments_2` (`UNIQUE (project_id, name)`):
//!   `Vault::env` resolves "web/prod" through it, so a swapped entry sends
//!   `set web/prod` into web/dev (readable by its readers), and every
//!   get/export/run of web/prod reads web/dev (the projects' name index
//!   is joined the same way: `set web/prod` lands in api/prod).
//! - `items_env`: an item left out escapes an offboarding's re-key and
//!   exposure report, and vanishes from list/get/export/run silently; a
//!   hidden twin swaps the value `get` answers and hides the conflict.
//! - Rows outside a primary-key index are outside the seal: a second
//!   `members` row (Dave's id, named "Erin") takes Ada's grant to Erin; a
//!   second `items` row (with `items_env`) rolls a value back.
//! - The log's `(device_id, device_seq)` index: an own entry hidden there
//!   (a revocation) is never published; the other devices wait at the gap
//!   without a word and the revoked member reads what is set after.
//! - The log's `(author_id, op_id)` index: a revoked member's entry beyond
//!   the cut, hidden there, stays applied on this replica.
//!
//! Resisted: relabelling a primary-key index entry (the digest reads key
//! columns from the index itself), a name-index swap for members (lookups
//! by name scan the table), an item filed under another environment (its
//! key's AEAD context names the environment), and a value set after an
//! offboarding that skipped the item (it is sealed under a new key).
#![allow(dead_code, unused_imports)]

mod common;

use std::collections::HashSet;
use std::path::Path;

use coffer_crypto::Id;
use coffer_vault::ops::OpBody;
use coffer_vault::sync::Remote;
use coffer_vault::{Access, Role, Vault};
use common::attack_fx::*;
use common::sync_fx::*;
use common::*;
use rusqlite::types::Value;
use rusqlite::Connection;

// ----- page surgery (as tests/index_attacks.rs) -----------------------------

/// Makes the file's index `index` hold `records` and nothing else; no
/// table is touched.
fn plant(path: &Path, index: &str, records: &[Vec<Value>]) {
    settle(path);
    let (ps, root) = root_of(path, index);
    let file = std::fs::read(path).expect("read");
    assert_eq!(
        file[(root - 1) * ps],
        0x0a,
        "the fixture's {index} is one leaf page"
    );
    write_page(path, root, &leaf_page(ps, records));
}

/// The records SQLite itself keeps in an index of `table` on `cols`: each
/// row's `cols`, then its rowid, read from the table.
fn entries(path: &Path, table: &str, cols: &str) -> Vec<Vec<Value>> {
    let c = Connection::open(path).expect("open");
    rows(
        &c,
        &format!("SELECT {cols}, rowid FROM {table} NOT INDEXED ORDER BY rowid"),
    )
}

/// The rowid of the row of `table` whose `col` is `v` (read from the
/// table).
fn rowid_of(path: &Path, table: &str, col: &str, v: &Value) -> i64 {
    Connection::open(path)
        .expect("open")
        .query_row(
            &format!("SELECT rowid FROM {table} NOT INDEXED WHERE {col} = ?1"),
            [v],
            |r| r.get(0),
        )
        .expect("rowid")
}

/// What `PRAGMA integrity_check` says of the file (`ok` when every index
/// agrees with its table).
fn integrity(path: &Path) -> String {
    let c = Connection::open(path).expect("open");
    let r: Vec<String> = c
        .prepare("PRAGMA integrity_check")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    r.join("; ")
}

/// Opens Ada's replica, which must succeed (the seal passes) and be a
/// private replica.
#[track_caller]
fn opens(fx: &Fx) -> Vault {
    let v = match open_within(fx, 30).expect("no hang") {
        Ok(v) => v,
        Err(e) => panic!("the open was refused: {e}"),
    };
    assert!(v.is_private_replica());
    v
}

/// Asserts that Ada's replica is refused by its seal's index check
/// (attack review 17, `replica::indexes_agree`), without a hang: the
/// secure outcome of every edit below that makes an index disagree with
/// its table.
#[track_caller]
fn refused_by_the_seal(fx: &Fx) {
    match open_within(fx, 30).expect("no hang") {
        Ok(_) => panic!("the edited replica opened"),
        Err(e) => assert!(
            e.to_string().contains("changed outside this device"),
            "refused, but not by the seal: {e}"
        ),
    }
}

fn blob(id: &Id) -> Value {
    Value::Blob(id.0.to_vec())
}

/// Who holds a wrap of `env_id`'s key in the replica's table (read
/// without any index).
fn wrap_holders(path: &Path, env_id: &Id) -> HashSet<Id> {
    let c = Connection::open(path).expect("open");
    rows(
        &c,
        &format!(
            "SELECT member_id FROM env_wraps NOT INDEXED WHERE env_id = x'{}'",
            env_id.to_hex()
        ),
    )
    .iter()
    .map(|r| id_col(&r[0]))
    .collect()
}

/// Every member a key of `env_id` was wrapped to in an applied entry of
/// the replica's log (read in log order, without an index), per epoch.
fn wrapped_in_log(path: &Path, env_id: &Id) -> Vec<(u64, Id)> {
    let c = Connection::open(path).expect("open");
    let mut out = Vec::new();
    for r in rows(
        &c,
        "SELECT body FROM ops NOT INDEXED WHERE outcome = 'applied' ORDER BY seq",
    ) {
        let Value::Blob(b) = &r[0] else {
            continue;
        };
        match OpBody::decode(b).expect("body") {
            OpBody::AddEnv {
                env_id: e, wraps, ..
            }
            | OpBody::RekeyEnv {
                env_id: e, wraps, ..
            } if e == *env_id => out.extend(wraps.into_iter().map(|w| (w.epoch, w.member_id))),
            OpBody::Grant {
                env_id: e,
                wrap: Some(w),
                ..
            } if e == *env_id => out.push((w.epoch, w.member_id)),
            OpBody::AddMember { grants, .. } => out.extend(
                grants
                    .into_iter()
                    .filter(|g| g.env_id == *env_id)
                    .map(|g| (g.wrap.epoch, g.wrap.member_id)),
            ),
            _ => {}
        }
    }
    out
}

fn env_id_of(path: &Path, env: &str) -> Id {
    let c = Connection::open(path).expect("open");
    Id::from_slice(&env_id(&c, env)).expect("env id")
}

// ----- 1. a member's name resolved to another member ------------------------

/// The team (Ada, Bob and Carol on web/prod), plus Dave and Erin, who
/// read web/dev only; Ada's replica synced.
fn team_with_dev_readers() -> (Fx, Remote, Device, Device, Person, Person) {
    let (fx, remote, bob, carol) = team(folder_remote);
    let dave = Person::new(&fx, "Dave");
    let erin = Person::new(&fx, "Erin");
    {
        let mut v = fx.open();
        add_member(&mut v, &dave, Role::Member, &[(DEV, Access::Read)]);
        add_member(&mut v, &erin, Role::Member, &[(DEV, Access::Read)]);
        v.sync().expect("ada publishes");
    }
    (fx, remote, bob, carol, dave, erin)
}

/// ATTACK (Dave, a dev-only member who can write Ada's sealed replica):
/// swap the rowids of "Dave" and "Erin" in the `UNIQUE (name)` index of
/// `members` (`sqlite_autoindex_members_2`), which the seal does not read.
/// Ada then grants Erin read access to web/prod (`coffer grant Erin
/// web/prod`), hoping the name "Erin" resolves to Dave's row.
/// RESISTED: since attack review 17 the seal refuses the file. Behind
/// it (an unsealed file): `Vault::member` finds a member by name among all members
/// (`list_members`: `ORDER BY m.added_at, m.name`, a scan of the table,
/// not the name index), so the grant and its wrap go to Erin. (Fails if
/// member lookups by name read through `WHERE name = ?1`, which SQLite
/// answers through the index.)
#[test]
fn attack_member_name_index_does_not_redirect_a_grant() {
    let (fx, _remote, _bob, _carol, dave, erin) = team_with_dev_readers();
    let _prod = env_id_of(&fx.path, PROD);
    let mut records = entries(&fx.path, "members", "name");
    let rd = rowid_of(&fx.path, "members", "id", &blob(&dave.id));
    let re = rowid_of(&fx.path, "members", "id", &blob(&erin.id));
    for r in &mut records {
        if r[1] == Value::Integer(rd) {
            r[1] = Value::Integer(re);
        } else if r[1] == Value::Integer(re) {
            r[1] = Value::Integer(rd);
        }
    }
    plant(&fx.path, "sqlite_autoindex_members_2", &records);
    assert_ne!(
        integrity(&fx.path),
        "ok",
        "the index disagrees with its table"
    );
    let through_index: Vec<u8> = Connection::open(&fx.path)
        .expect("open")
        .query_row("SELECT id FROM members WHERE name = 'Erin'", [], |r| {
            r.get(0)
        })
        .expect("lookup");
    assert_eq!(through_index, dave.id.0.to_vec(), "the index names Dave");

    refused_by_the_seal(&fx);
}

/// CONTROL (no attack): the same grant with the honest index goes to Erin.
#[test]
fn control_grant_by_name_goes_to_the_member_named() {
    let (fx, _remote, _bob, _carol, dave, erin) = team_with_dev_readers();
    let prod = env_id_of(&fx.path, PROD);
    settle(&fx.path);
    let records = entries(&fx.path, "members", "name");
    plant(&fx.path, "sqlite_autoindex_members_2", &records);
    assert_eq!(integrity(&fx.path), "ok");
    opens(&fx)
        .grant("Erin", PROD, Access::Read)
        .expect("Ada grants Erin");
    let holders = wrap_holders(&fx.path, &prod);
    assert!(holders.contains(&erin.id));
    assert!(!holders.contains(&dave.id));
}

// ----- 2. an environment's name resolved to another environment -------------

/// ATTACK (Dave, who reads web/dev only and can write Ada's sealed
/// replica): swap the rowids of web/prod and web/dev in the `UNIQUE
/// (project_id, name)` index of `environments`
/// (`sqlite_autoindex_environments_2`), which the seal does not read. Ada
/// then stores a new production secret (`coffer set web/prod STRIPE_KEY`):
/// `Vault::env` finds an environment by name through that index (`SEARCH e
/// USING INDEX sqlite_autoindex_environments_2 (project_id=? AND name=?)`).
/// FINDING (fixed: the seal refuses the file): "web/prod" resolves to web/dev's row: the secret is sealed
/// under web/dev's key, which Dave holds, and published; every `get`,
/// `export` and `run` of web/prod reads web/dev's values instead.
/// SECURE would be: the item lands in web/prod.
#[test]
fn attack_environment_name_index_redirects_a_write() {
    let (fx, _remote, _bob, _carol, _dave, _erin) = team_with_dev_readers();
    let prod = env_id_of(&fx.path, PROD);
    let dev = env_id_of(&fx.path, DEV);
    let mut records = entries(&fx.path, "environments", "project_id, name");
    let rp = rowid_of(&fx.path, "environments", "id", &blob(&prod));
    let rdv = rowid_of(&fx.path, "environments", "id", &blob(&dev));
    for r in &mut records {
        if r[2] == Value::Integer(rp) {
            r[2] = Value::Integer(rdv);
        } else if r[2] == Value::Integer(rdv) {
            r[2] = Value::Integer(rp);
        }
    }
    plant(&fx.path, "sqlite_autoindex_environments_2", &records);
    assert_ne!(integrity(&fx.path), "ok");

    refused_by_the_seal(&fx);
}

/// ATTACK (Dave, who reads api/prod only and can write Ada's sealed
/// replica): the same through the projects' `UNIQUE (name)` index
/// (`sqlite_autoindex_projects_2`): swap the rowids of "web" and "api",
/// so that "web/prod" resolves to api/prod (`Vault::env` joins `projects`
/// by name through that index).
/// FINDING (fixed: the seal refuses the file): Ada's `set web/prod` lands in api/prod, under a key Dave
/// holds. SECURE would be: the item lands in web/prod.
#[test]
fn attack_project_name_index_redirects_a_write() {
    let (fx, _remote, _bob, _carol) = team(folder_remote);
    let dave = Person::new(&fx, "Dave");
    {
        let mut v = fx.open();
        v.add_env("api/prod", None).expect("api/prod");
        add_member(&mut v, &dave, Role::Member, &[("api/prod", Access::Read)]);
        v.sync().expect("ada publishes");
    }
    let _api_prod = env_id_of(&fx.path, "api/prod");
    let c = Connection::open(&fx.path).expect("open");
    let project = |name: &str| -> Value {
        c.query_row(
            "SELECT id FROM projects NOT INDEXED WHERE name = ?1",
            [name],
            |r| r.get(0),
        )
        .expect("project")
    };
    let rw = rowid_of(&fx.path, "projects", "id", &project("web"));
    let ra = rowid_of(&fx.path, "projects", "id", &project("api"));
    drop(c);
    let mut records = entries(&fx.path, "projects", "name");
    for r in &mut records {
        if r[1] == Value::Integer(rw) {
            r[1] = Value::Integer(ra);
        } else if r[1] == Value::Integer(ra) {
            r[1] = Value::Integer(rw);
        }
    }
    plant(&fx.path, "sqlite_autoindex_projects_2", &records);
    assert_ne!(integrity(&fx.path), "ok");

    refused_by_the_seal(&fx);
}

/// CONTROL (no attack): with the honest index rebuilt the same way, the
/// secret lands in web/prod.
#[test]
fn control_set_by_environment_name_lands_there() {
    let (fx, _remote, _bob, _carol, _dave, _erin) = team_with_dev_readers();
    let dev = env_id_of(&fx.path, DEV);
    settle(&fx.path);
    let records = entries(&fx.path, "environments", "project_id, name");
    plant(&fx.path, "sqlite_autoindex_environments_2", &records);
    assert_eq!(integrity(&fx.path), "ok");
    opens(&fx)
        .set_item(PROD, "STRIPE_KEY", value("sk_live_prod_only"))
        .expect("set");
    let c = Connection::open(&fx.path).expect("open");
    let in_dev: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM items NOT INDEXED WHERE env_id = ?1",
            [&dev.0[..]],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(in_dev, 1, "only OTHER is in web/dev");
}

// ----- 3. an item hidden from `items_env` during an offboarding -------------

/// The sealed item key of `item` in the replica's table (no index).
fn ik_now(path: &Path, item: &Id) -> Vec<u8> {
    Connection::open(path)
        .expect("open")
        .query_row(
            "SELECT ik_ct FROM items NOT INDEXED WHERE id = ?1",
            [&item.0[..]],
            |r| r.get(0),
        )
        .expect("ik_ct")
}

/// Ada offboards Carol (reader of web/prod); with `hide`, whoever writes
/// Ada's replica first leaves DB_PASS out of `items_env`. Returns the
/// exposure report's (env, key) pairs and whether DB_PASS's item key was
/// replaced.
fn offboard_with_db_pass(hide: bool) -> Option<(Vec<(String, String)>, bool)> {
    let (fx, _remote, _bob, _carol) = team(folder_remote);
    let db = item_id_of(&fx, PROD, "DB_PASS");
    let before = ik_now(&fx.path, &db);
    if hide {
        let rdb = rowid_of(&fx.path, "items", "id", &blob(&db));
        let records: Vec<Vec<Value>> = entries(&fx.path, "items", "env_id")
            .into_iter()
            .filter(|r| r[1] != Value::Integer(rdb))
            .collect();
        plant(&fx.path, "items_env", &records);
        assert_ne!(integrity(&fx.path), "ok");
        refused_by_the_seal(&fx);
        return None;
    }
    let mut v = opens(&fx);
    let report = v.offboard("Carol", &mut |_, _| {}).expect("offboard");
    drop(v);
    let listed = report
        .items
        .iter()
        .map(|i| (i.env.clone(), i.key.clone()))
        .collect();
    Some((listed, ik_now(&fx.path, &db) != before))
}

/// CONTROL (no attack): offboarding Carol reports DB_PASS as exposed and
/// replaces its key.
#[test]
fn control_offboarding_reports_and_rekeys_every_item() {
    let (listed, rekeyed) = offboard_with_db_pass(false).expect("no edit: it opens");
    assert!(
        listed.contains(&(PROD.to_string(), "DB_PASS".to_string())),
        "{listed:?}"
    );
    assert!(rekeyed);
}

/// ATTACK (Carol, about to be offboarded, can write Ada's sealed
/// replica): leave DB_PASS out of `items_env` (the index of
/// `items(env_id)`, which the seal does not read) before Ada offboards
/// her. The offboarding's scope (`item_meta`), its re-key (`item_rows`,
/// `versions_of_env`), the shares it carries and the exposure report all
/// find an environment's items through `WHERE i.env_id = ?1`, `SEARCH
/// items USING INDEX items_env`.
/// FINDING (fixed: the seal refuses the file): DB_PASS is neither marked exposed nor listed in the exposure
/// report (Ada is never told to rotate a value Carol read), and it is left
/// out of web/prod's re-key: its item key stays the one Carol could open
/// with web/prod's old key. The open, the seal and the offboarding pass.
/// SECURE would be: DB_PASS reported and re-keyed, as without the edit.
#[test]
fn attack_item_hidden_from_items_env_escapes_the_offboarding() {
    assert!(offboard_with_db_pass(true).is_none());
}

/// Every version of every item of `env_id` in the replica now that opens
/// with the key of the environment a leaver held before being offboarded
/// (`ek1` at `ep1`): (item, plaintext as `ItemFields` encodes it).
fn leaver_reads(
    path: &Path,
    vault_id: Id,
    env_id: Id,
    ep1: u64,
    ek1: &coffer_crypto::EnvKey,
) -> Vec<(Id, Vec<u8>)> {
    let mut out = Vec::new();
    for it in stored_items(path, &env_id) {
        let Ok(ik) = ek1.open_item_key(&it.ik_ct, &item_ctx(vault_id, env_id, it.id, ep1)) else {
            continue;
        };
        for v in &it.versions {
            let mc = v.meta.canonical();
            let (sealed, author) = coffer_vault::ops::unframe_blob(&v.blob);
            if let Ok(p) = ik.open_item(
                sealed,
                &coffer_crypto::ItemContext {
                    vault_id,
                    env_id,
                    item_id: it.id,
                    row_version: v.version,
                    meta: &mc,
                    author,
                },
            ) {
                out.push((it.id, p.expose_secret().to_vec()));
            }
        }
    }
    out
}

/// ATTACK (Mallory, a reader of web/prod about to be offboarded, can
/// write Ada's sealed replica): as above, DB_PASS left out of `items_env`
/// for the offboarding; the honest index is put back after it. Ada then
/// rotates DB_PASS (`set`), as anyone would a credential a leaver saw.
/// Does the value set after the offboarding open under the keys Mallory
/// held (web/prod's old key, DB_PASS's item key it opened)?
/// SECURE: since attack review 17 the seal refuses the edited file, so
/// the offboarding cannot run on it. (Before: the rotated value did not
/// open with what Mallory held, but DB_PASS's old value stayed under it.)
#[test]
fn attack_item_hidden_from_items_env_rotated_later_stays_out_of_the_leavers_reach() {
    let (fx, _remote, _bob, vault_id, mallory) = team_with_mallory(Role::Reader, Access::Read);
    let (_, env_id, ep1, ek1) = held_env_key(&fx.path, &mallory, PROD);
    let db = item_id_of(&fx, PROD, "DB_PASS");
    let old = item_plaintext("DB_PASS", DB_VALUE);
    let _rotated = item_plaintext("DB_PASS", "rotated-after-offboarding");
    assert!(
        leaver_reads(&fx.path, vault_id, env_id, ep1, &ek1)
            .iter()
            .any(|(_, p)| *p == old),
        "before the offboarding, Mallory reads DB_PASS"
    );
    let rdb = rowid_of(&fx.path, "items", "id", &blob(&db));
    let records: Vec<Vec<Value>> = entries(&fx.path, "items", "env_id")
        .into_iter()
        .filter(|r| r[1] != Value::Integer(rdb))
        .collect();
    plant(&fx.path, "items_env", &records);
    refused_by_the_seal(&fx);
}

/// ATTACK (someone who can write Ada's sealed replica): leave DB_PASS out
/// of `items_env`, then Ada lists, reads and exports web/prod.
/// FINDING (fixed: the seal refuses the file) (a denial, but a silent one): DB_PASS is simply not there:
/// `list` omits it, `get` says "not found", and `export` (so `run`)
/// succeeds without the variable, with no warning. A program started with
/// `coffer run` falls back to whatever default it has for a missing
/// variable. SECURE would be: the export carries DB_PASS, or refuses.
#[test]
fn attack_item_hidden_from_items_env_is_not_exported_silently() {
    let (fx, _remote, _bob, _carol) = team(folder_remote);
    let db = item_id_of(&fx, PROD, "DB_PASS");
    let rdb = rowid_of(&fx.path, "items", "id", &blob(&db));
    let records: Vec<Vec<Value>> = entries(&fx.path, "items", "env_id")
        .into_iter()
        .filter(|r| r[1] != Value::Integer(rdb))
        .collect();
    plant(&fx.path, "items_env", &records);
    refused_by_the_seal(&fx);
}

/// ATTACK (someone who can write Ada's sealed replica, no key): file
/// web/dev's OTHER under web/prod in `items_env` (its record's `env_id`
/// rewritten), so that reading web/prod finds it. SQLite takes `env_id`
/// from the index and the rest from the row.
/// RESISTED: since attack review 17 the seal refuses the file; behind it
/// (an unsealed file), the item key is sealed with its environment in the context
/// (`ItemKeyContext { env_id, .. }`): OTHER's key does not open under
/// web/prod's key, so web/prod never answers OTHER's value (the item
/// shows as unreadable, or is refused).
#[test]
fn attack_item_of_another_environment_filed_under_prod_does_not_open() {
    let (fx, _remote, _bob, _carol) = team(folder_remote);
    let prod = env_id_of(&fx.path, PROD);
    let other = item_id_of(&fx, DEV, "OTHER");
    let ro = rowid_of(&fx.path, "items", "id", &blob(&other));
    let records: Vec<Vec<Value>> = entries(&fx.path, "items", "env_id")
        .into_iter()
        .map(|mut r| {
            if r[1] == Value::Integer(ro) {
                r[0] = blob(&prod);
            }
            r
        })
        .collect();
    plant(&fx.path, "items_env", &records);
    let filed: i64 = Connection::open(&fx.path)
        .expect("open")
        .query_row(
            "SELECT COUNT(*) FROM items WHERE env_id = ?1",
            [&prod.0[..]],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(filed, 3, "through the index, web/prod holds OTHER too");
    refused_by_the_seal(&fx);
}

/// Twins: Ada and Bob each create TWIN in web/prod before seeing the
/// other's (two items of one name). Returns the fixture, after both
/// synced, and the id of the one that stands for the name.
fn twins() -> (Fx, Id, Id) {
    let (fx, _remote, bob, _carol) = team(folder_remote);
    let a = fx
        .open()
        .set_item(PROD, "TWIN", value("ada-value"))
        .expect("ada sets")
        .id;
    std::thread::sleep(std::time::Duration::from_millis(5));
    let b = bob
        .open()
        .set_item(PROD, "TWIN", value("bob-value"))
        .expect("bob sets")
        .id;
    bob.sync();
    fx.open().sync().expect("ada syncs");
    bob.sync();
    (fx, a, b)
}

/// ATTACK (someone who can write Ada's sealed replica, no key): two
/// items named TWIN (concurrent creations); `get` answers the one that
/// stands for the name (created first, then the lower id) and flags the
/// conflict. Leave that one out of `items_env`.
/// FINDING (fixed: the seal refuses the file) (limited): `get` answers the other twin's value, with no
/// conflict flag. The value was written by a member allowed to (no value
/// is made up, and either writer could overwrite the other), but the
/// attacker chooses which of two values stands and hides that there are
/// two. SECURE would be: the same value as without the edit, or the
/// conflict still flagged.
#[test]
fn attack_twin_hidden_from_items_env_does_not_swap_the_value() {
    let (fx, a, b) = twins();
    let (honest, _value_before) = {
        let (s, v) = opens(&fx).get_item(PROD, "TWIN").expect("get");
        assert!(s.conflict, "the twins are flagged");
        (s.id, v.expose_secret().to_string())
    };
    assert!(honest == a || honest == b);
    let rh = rowid_of(&fx.path, "items", "id", &blob(&honest));
    let records: Vec<Vec<Value>> = entries(&fx.path, "items", "env_id")
        .into_iter()
        .filter(|r| r[1] != Value::Integer(rh))
        .collect();
    plant(&fx.path, "items_env", &records);
    refused_by_the_seal(&fx);
}

// ----- 4. a wrap's member relabelled in env_wraps' primary key ---------------

/// Key columns (env_id, member_id) of an `env_wraps` autoindex record.
fn wrap_key(r: &[Value]) -> (Vec<u8>, Vec<u8>) {
    let b = |v: &Value| match v {
        Value::Blob(b) => b.clone(),
        other => panic!("{other:?}"),
    };
    (b(&r[0]), b(&r[1]))
}

/// The rowids of `records` in key order: the rows the seal's digest reads,
/// in its order.
fn digest_order(records: &[Vec<Value>]) -> Vec<Value> {
    let mut s = records.to_vec();
    s.sort_by_key(|r| wrap_key(r));
    s.into_iter().map(|r| r[2].clone()).collect()
}

/// ATTACK (a dev-only member who can write Ada's sealed replica): in the
/// primary-key index of `env_wraps` (`(env_id, member_id)`), relabel the
/// entry of Bob's or Carol's wrap of web/prod as their own, keeping the
/// index's order, so the rows the seal's digest reads through the index
/// come in the same order. Ada then offboards Carol: `env_holders` (who
/// keeps web/prod's key) and the apply's check that a re-key wraps only
/// to holders both read `member_id` from that index (`SEARCH w USING
/// COVERING INDEX sqlite_autoindex_env_wraps_1`).
/// RESISTED: the digest (`SELECT * FROM env_wraps ORDER BY env_id,
/// member_id`) reads its key columns from the index itself (SQLite's
/// deferred seek takes the columns the index holds from the index), so
/// the relabelled `member_id` changes the digest and the open is refused
/// as "changed outside this device". A primary-key index's entries are
/// sealed; only rows it leaves out are not (section 5). Should the open
/// succeed (the digest read the table), the test asserts the re-key
/// wraps to nobody who did not hold the key.
#[test]
fn attack_wrap_relabelled_in_the_primary_key_index_is_refused() {
    let (fx, _remote, _bob, _carol, dave, erin) = team_with_dev_readers();
    let prod = env_id_of(&fx.path, PROD);
    let ada = Person::owner(&fx).id;
    // A dev-only member and a wrap of web/prod (not Ada's) whose relabelling
    // keeps the order; more dev-only members until one fits.
    let mut candidates = vec![dave.id, erin.id];
    let mut n = 0;
    let (who, records) = loop {
        let honest = entries(&fx.path, "env_wraps", "env_id, member_id");
        let found = candidates.iter().find_map(|c| {
            honest.iter().enumerate().find_map(|(i, r)| {
                let m = id_col(&r[1]);
                if id_col(&r[0]) != prod || m == ada {
                    return None;
                }
                let mut t = honest.clone();
                t[i][1] = blob(c);
                (digest_order(&t) == digest_order(&honest)).then_some((*c, t))
            })
        });
        if let Some(f) = found {
            break f;
        }
        n += 1;
        assert!(n < 20, "no dev-only member fits");
        let p = Person::new(&fx, &format!("Dev{n}"));
        add_member(&mut fx.open(), &p, Role::Member, &[(DEV, Access::Read)]);
        candidates.push(p.id);
    };
    plant(&fx.path, "sqlite_autoindex_env_wraps_1", &records);
    assert_ne!(integrity(&fx.path), "ok");
    let holds: i64 = Connection::open(&fx.path)
        .expect("open")
        .query_row(
            "SELECT COUNT(*) FROM env_wraps WHERE env_id = ?1 AND member_id = ?2",
            [&prod.0[..], &who.0[..]],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(holds, 1, "through the index, the member holds web/prod");

    match open_within(&fx, 30).expect("no hang") {
        Err(e) => assert!(
            e.to_string().contains("changed outside this device"),
            "refused, but not by the seal: {e}"
        ),
        Ok(mut v) => {
            let _ = v.offboard("Carol", &mut |_, _| {});
            drop(v);
            let epoch: i64 = Connection::open(&fx.path)
                .expect("open")
                .query_row(
                    "SELECT epoch FROM environments NOT INDEXED WHERE id = ?1",
                    [&prod.0[..]],
                    |r| r.get(0),
                )
                .expect("epoch");
            let newest: HashSet<Id> = wrapped_in_log(&fx.path, &prod)
                .into_iter()
                .filter(|(e, _)| *e == epoch as u64)
                .map(|(_, m)| m)
                .collect();
            assert!(
                !newest.contains(&who),
                "web/prod's epoch {epoch} is wrapped to a member who never held it"
            );
        }
    }
}

// ----- 5. rows left out of a primary-key index -------------------------------
//
// The seal's digest of a state table is the rows its primary-key index
// points at. A row the attacker adds to the table's b-tree but not to that
// index is outside the seal, and outside `UNIQUE` (the constraint is the
// index); every query that scans the table, or finds it through another
// index, reads it.

/// Inserts a row into `table` (`insert`, with `params`) and rebuilds each
/// of `indexes` ((name, columns)) without it, so the row is in the
/// table's b-tree only; then replaces, in the file, the bytes `swaps`
/// (each (temporary, wanted), same length, the temporary ones unique in
/// the file) so the row may carry a key another row has. Returns its rowid.
fn plant_row(
    path: &Path,
    table: &str,
    insert: &str,
    params: &[Value],
    indexes: &[(&str, &str)],
    swaps: &[(Vec<u8>, Vec<u8>)],
) -> i64 {
    settle(path);
    let rowid = {
        let c = Connection::open(path).expect("open");
        c.execute(insert, rusqlite::params_from_iter(params.iter()))
            .expect("insert");
        c.last_insert_rowid()
    };
    for (ix, cols) in indexes {
        let records: Vec<Vec<Value>> = entries(path, table, cols)
            .into_iter()
            .filter(|r| r.last() != Some(&Value::Integer(rowid)))
            .collect();
        plant(path, ix, &records);
    }
    let mut file = std::fs::read(path).expect("read");
    for (from, to) in swaps {
        assert_eq!(from.len(), to.len());
        let at: Vec<usize> = file
            .windows(from.len())
            .enumerate()
            .filter(|(_, w)| *w == &from[..])
            .map(|(i, _)| i)
            .collect();
        assert_eq!(at.len(), 1, "the temporary bytes are unique in the file");
        file[at[0]..at[0] + to.len()].copy_from_slice(to);
    }
    std::fs::write(path, file).expect("write");
    rowid
}

/// ATTACK (Dave, a dev-only member who can write Ada's sealed replica):
/// add a second `members` row for Dave's id, named "Erin", added first
/// (`added_at` 0), in the table's b-tree only (not in the primary-key
/// index the seal reads, nor in the name index). Ada then grants Erin read
/// access to web/prod. `Vault::member` takes the first member of that name
/// in `list_members`, a scan of the table (`ORDER BY m.added_at, m.name`).
/// FINDING (fixed: the seal refuses the file): the planted row comes first: Ada's grant, and the wrap of
/// web/prod's key, go to Dave's id (his keys are the ones the log pinned,
/// so the wrap opens for him). The open, the seal and the grant pass.
/// SECURE would be: Erin, and nobody else, gets the key.
#[test]
fn attack_member_row_outside_the_seal_redirects_a_grant() {
    let (fx, _remote, _bob, _carol, dave, _erin) = team_with_dev_readers();
    let _prod = env_id_of(&fx.path, PROD);
    let temp = Id::make();
    plant_row(
        &fx.path,
        "members",
        "INSERT INTO members (id, name, email, x25519, ed25519, fingerprint, role, status,
                              added_by, added_at, revoked_at)
         SELECT ?1, 'Q#9z', email, x25519, ed25519, fingerprint, role, status, added_by, 0, NULL
         FROM members NOT INDEXED WHERE id = ?2",
        &[blob(&temp), blob(&dave.id)],
        &[
            ("sqlite_autoindex_members_1", "id"),
            ("sqlite_autoindex_members_2", "name"),
        ],
        &[
            (temp.0.to_vec(), dave.id.0.to_vec()),
            (b"Q#9z".to_vec(), b"Erin".to_vec()),
        ],
    );
    assert_ne!(integrity(&fx.path), "ok");

    refused_by_the_seal(&fx);
}

/// ATTACK (someone who can write Ada's sealed replica, no key at all):
/// roll API_KEY back to its first value. A second `items` row for
/// API_KEY's id, its `current_version` 1, is added to the table's b-tree
/// and to `items_env` but not to the primary-key index the seal reads;
/// the real row is left out of `items_env`. `load_items` (every get,
/// export and run) finds an environment's items through `items_env`.
/// FINDING (fixed: the seal refuses the file): `get web/prod API_KEY` answers its first value (version 1
/// opens under the item's key: the row's `current_version` decides which
/// version is current), with the open and the seal passing: a value
/// rolled back (say, to one a leaver knew) by someone without any key.
/// SECURE would be: the current value, or a refusal.
#[test]
fn attack_item_row_outside_the_seal_rolls_a_value_back() {
    let (fx, _remote, _bob, _carol) = team(folder_remote);
    let api = item_id_of(&fx, PROD, "API_KEY");
    assert_value(&mut fx.open(), PROD, "API_KEY", API_V2);
    let real = rowid_of(&fx.path, "items", "id", &blob(&api));
    let temp = Id::make();
    let planted = plant_row(
        &fx.path,
        "items",
        "INSERT INTO items (id, env_id, ik_ct, current_version, created_at, deleted_at)
         SELECT ?1, env_id, ik_ct, 1, created_at, deleted_at FROM items NOT INDEXED WHERE id = ?2",
        &[blob(&temp), blob(&api)],
        &[("sqlite_autoindex_items_1", "id")],
        &[(temp.0.to_vec(), api.0.to_vec())],
    );
    let records: Vec<Vec<Value>> = entries(&fx.path, "items", "env_id")
        .into_iter()
        .filter(|r| r[1] != Value::Integer(real))
        .collect();
    assert!(records.iter().any(|r| r[1] == Value::Integer(planted)));
    plant(&fx.path, "items_env", &records);
    assert_ne!(integrity(&fx.path), "ok");

    refused_by_the_seal(&fx);
}

// ----- 6. the log's indexes and sync -----------------------------------------

/// Ada offboards Carol locally; with `hide`, whoever writes Ada's replica
/// then leaves her `member.revoke` entry out of the index of `UNIQUE
/// (device_id, device_seq)` (`sqlite_autoindex_ops_1`). Ada syncs (twice),
/// Bob syncs after each. Returns whether Bob's replica has Carol revoked,
/// whether Carol, syncing, reads a value Bob set in web/prod after it,
/// and the syncs' reports.
fn offboarding_published(hide: bool) -> Option<(bool, bool, Vec<String>)> {
    let (fx, _remote, bob, carol) = team(folder_remote);
    let me = device_of(&fx.open());
    fx.open()
        .offboard("Carol", &mut |_, _| {})
        .expect("offboard");
    if hide {
        let c = Connection::open(&fx.path).expect("open");
        let revokes: Vec<i64> = c
            .prepare("SELECT seq FROM ops NOT INDEXED WHERE device_id = ?1 AND kind IN (?2, ?3)")
            .expect("prepare")
            .query_map(
                rusqlite::params![
                    &me.0[..],
                    coffer_vault::ops::kind::REVOKE,
                    coffer_vault::ops::kind::REVOKE_CUT
                ],
                |r| r.get(0),
            )
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert_eq!(revokes.len(), 1, "one revocation");
        drop(c);
        let records: Vec<Vec<Value>> = entries(&fx.path, "ops", "device_id, device_seq")
            .into_iter()
            .filter(|r| r[2] != Value::Integer(revokes[0]))
            .collect();
        plant(&fx.path, "sqlite_autoindex_ops_1", &records);
        assert_ne!(integrity(&fx.path), "ok");
        refused_by_the_seal(&fx);
        return None;
    }
    let mut reports = Vec::new();
    for _ in 0..2 {
        let r = opens(&fx).sync();
        reports.push(format!("ada: {r:?}"));
        let r = bob.open().sync();
        reports.push(format!("bob: {r:?}"));
    }
    // Bob rotates a production secret after the offboarding; Carol syncs.
    let mut b = bob.open();
    let _ = b.set_item(PROD, "AFTER_CAROL", value("set-after-carol-left"));
    let _ = b.sync();
    drop(b);
    let _ = carol.open().sync();
    let carol_reads = carol
        .who
        .try_open(&carol.replica)
        .and_then(|mut v| v.get_item(PROD, "AFTER_CAROL"))
        .map(|(_, v)| v.expose_secret() == "set-after-carol-left")
        .unwrap_or(false);
    Some((
        revoked(&bob.replica).contains(&carol.who.id),
        carol_reads,
        reports,
    ))
}

/// CONTROL (no attack): Ada's offboarding of Carol reaches Bob's replica.
#[test]
fn control_an_offboarding_is_published() {
    let (revoked, carol_reads, _) = offboarding_published(false).expect("no edit: it opens");
    assert!(revoked);
    assert!(!carol_reads);
}

/// ATTACK (Carol, being offboarded, can write Ada's sealed replica):
/// between Ada's offboarding and her sync, leave Ada's `member.revoke`
/// entry out of the log's `(device_id, device_seq)` index, which the seal
/// does not read (the log digest scans the table). `publish_own` finds
/// this device's entries through it (`chain_from`: `WHERE device_id = ?1
/// AND device_seq >= ?2`, `SEARCH ops USING INDEX sqlite_autoindex_ops_1`).
/// FINDING (fixed: the seal refuses the file): the revocation is never written to the folder, and every
/// later sync of Ada's publishes around it (the entries after it are
/// written, leaving a gap at its position). Bob's device reads Ada's feed
/// up to the gap and waits there silently (every report is clean: no
/// warning, nothing held back or quarantined): Carol stays an active
/// member on every other device, the re-key is never applied there, and
/// Carol, syncing her own device, reads a production value Bob set after
/// her offboarding. Ada's open, seal and syncs all pass.
/// SECURE would be: Carol's revocation reaches Bob's replica (or Ada's
/// sync refuses, saying her own feed cannot be published whole).
#[test]
fn attack_revocation_hidden_from_the_feed_index_is_still_published() {
    assert!(offboarding_published(true).is_none());
}

/// What the replicas say of Bob's entry beyond the cut.
struct BeyondTheCut {
    /// Its outcome in Ada's replica.
    ada: String,
    /// Its outcome in Dave's.
    dave: String,
    /// API_KEY as Ada's `get` answers it.
    value: String,
    /// Whether `audit verify` passes on Ada's replica.
    verified: bool,
}

/// Bob's entry beyond a revocation's cut: Dave (admin) joins; Bob (write
/// on web/prod) sets API_KEY and publishes; Ada takes it in; Dave, who
/// has not seen it, offboards Bob (his cut stops before it) and publishes.
/// With `hide`, whoever writes Ada's replica leaves Bob's entry out of the
/// log's `UNIQUE (author_id, op_id)` index before Ada's sync. Returns the
/// what Ada's and Dave's replicas then say.
fn beyond_the_cut(hide: bool) -> Option<BeyondTheCut> {
    let (fx, remote, bob, _carol) = team(folder_remote);
    let dave = Device::new(&fx, "Dave");
    {
        let mut v = fx.open();
        add_member(&mut v, &dave.who, Role::Admin, &[(PROD, Access::Read)]);
        v.sync().expect("ada syncs");
    }
    dave.join(&remote).expect("Dave joins");
    bob.sync();
    std::thread::sleep(std::time::Duration::from_millis(5));
    {
        let mut b = bob.open();
        b.set_item(PROD, "API_KEY", value("bob-beyond-the-cut"))
            .expect("bob sets");
        b.sync().expect("bob publishes");
    }
    fx.open().sync().expect("ada takes in Bob's entry");
    let bobs = |path: &Path| -> (i64, String) {
        Connection::open(path)
            .expect("open")
            .query_row(
                "SELECT seq, outcome FROM ops NOT INDEXED WHERE author_id = ?1 AND kind IN (?2, ?3, ?4)
                 ORDER BY seq DESC LIMIT 1",
                rusqlite::params![
                    &bob.who.id.0[..],
                    coffer_vault::ops::kind::SET_ITEM,
                    coffer_vault::ops::kind::SET_ITEM_SEALED,
                    coffer_vault::ops::kind::SET_ITEM_BOUND
                ],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("Bob's set")
    };
    assert_eq!(bobs(&fx.path).1, "applied");
    std::thread::sleep(std::time::Duration::from_millis(5));
    dave.open()
        .offboard("Bob", &mut |_, _| {})
        .expect("Dave offboards Bob");
    dave.sync();
    if hide {
        let (seq, _) = bobs(&fx.path);
        let records: Vec<Vec<Value>> = entries(&fx.path, "ops", "author_id, op_id")
            .into_iter()
            .filter(|r| r[2] != Value::Integer(seq))
            .collect();
        plant(&fx.path, "sqlite_autoindex_ops_2", &records);
        assert_ne!(integrity(&fx.path), "ok");
        refused_by_the_seal(&fx);
        return None;
    }
    opens(&fx).sync().expect("ada takes in Dave's offboarding");
    assert!(revoked(&fx.path).contains(&bob.who.id));
    dave.sync();
    let mut v = opens(&fx);
    let got = v
        .get_item(PROD, "API_KEY")
        .map(|(_, s)| s.expose_secret().to_string());
    let verified = v.verify().map(|r| r.ok()).unwrap_or(false);
    drop(v);
    Some(BeyondTheCut {
        ada: bobs(&fx.path).1,
        dave: bobs(&dave.replica).1,
        value: got.unwrap_or_else(|e| format!("<{e}>")),
        verified,
    })
}

/// CONTROL (no attack): Bob's entry beyond Dave's cut is denied on Ada's
/// replica too, once she takes in the revocation.
#[test]
fn control_an_entry_beyond_a_cut_is_denied_retroactively() {
    let r = beyond_the_cut(false).expect("no edit: it opens");
    assert_eq!(r.dave, "denied");
    assert_eq!(r.ada, "denied");
    assert_eq!(r.value, API_V2);
    assert!(r.verified);
}

/// ATTACK (Bob, being offboarded, can write Ada's sealed replica): hide
/// his entry beyond the cut from the log's `(author_id, op_id)` index, so
/// that `cut_violations` (`WHERE author_id = ?1 ...`, `SEARCH ops USING
/// INDEX sqlite_autoindex_ops_2 (author_id=?)`) does not find it when
/// Ada takes in the revocation.
/// FINDING (fixed: the seal refuses the file): the entry stays applied on Ada's replica (denied on Dave's):
/// Ada's `get web/prod API_KEY` answers the value the revoked member
/// wrote after the cut, while every other replica denies it. The open,
/// the seal and the sync pass; only an explicit `audit verify` (a replay
/// of the log) reports the difference.
/// SECURE would be: the entry denied on Ada's replica as on Dave's.
#[test]
fn attack_entry_beyond_a_cut_hidden_from_the_author_index_is_still_denied() {
    assert!(beyond_the_cut(true).is_none());
}

// ----- 7. a file not moved to sync (no seal) ---------------------------------

/// ATTACK (writes a vault file that was never moved to sync, so it has no
/// seal): leave DB_PASS out of `items_env`.
/// RESISTED as far as an unsealed file can be: the open cannot tell (no
/// seal), but `audit verify` now runs SQLite's integrity check and
/// reports that the indexes disagree with their tables. With the honest
/// index back it verifies.
#[test]
fn attack_an_unsealed_files_edited_index_is_reported_by_verify() {
    let (fx, items) = standard();
    let rdb = rowid_of(&fx.path, "items", "id", &blob(&items.db));
    let honest = entries(&fx.path, "items", "env_id");
    let records: Vec<Vec<Value>> = honest
        .iter()
        .filter(|r| r[1] != Value::Integer(rdb))
        .cloned()
        .collect();
    plant(&fx.path, "items_env", &records);
    let problems = assert_verify_flags(&mut fx.open());
    assert!(
        problems.iter().any(|p| p.contains("indexes disagree")),
        "{problems:?}"
    );
    plant(&fx.path, "items_env", &honest);
    assert!(fx.open().verify().expect("verify").ok());
}
