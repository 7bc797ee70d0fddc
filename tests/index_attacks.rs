//! Attack review of schema 11 (main at c400f76): the `ops_kind` index
//! that every open's one-genesis check (`anchor::GENESIS_QUERY`) and
//! membership pinning (`vault::PINNED_QUERY`) now read, attacked by
//! whoever can write the vault or replica file (not `COFFER_HOME`).
//!
//! The index is not in a private replica's seal, so these tests make it
//! disagree with its table by page surgery, as an attacker with their own
//! sqlite3 would: the file is checkpointed, and the one leaf page of
//! `ops_kind` is replaced by a page built in another database (a
//! `WITHOUT ROWID` table whose records are laid out as the index's:
//! `(kind, rowid)`), or patched byte by byte. The table, and so the seal,
//! is left as it was. `attack_*` tests assert the attack is resisted.
//!
//! Finding (fixed in 9349ce9): the index served every `kind`-filtered read
//! of the log, not only the open's two, and those other reads decide on
//! what they find without refusing a missing entry; they now read the
//! table (`FROM ops NOT INDEXED`). `attack_index_hides_a_leaked_epoch_
//! from_the_repair` would keep a revoked member on the current key
//! without that.
#![allow(dead_code, unused_imports)]

mod common;

use std::path::Path;
use std::time::Duration;

use coffer_crypto::{Id, PrivateIdentity, SignPurpose};
use coffer_vault::ops::{kind, MemberRecord, OpBody, OpHeader};
use coffer_vault::sync::feed::Entry;
use coffer_vault::{Access, ErrorKind, Role, Vault};
use common::attack_fx::*;
use common::sync_fx::*;
use common::*;
use rusqlite::types::Value;
use rusqlite::Connection;

// ----- page surgery ------------------------------------------------------

/// The log as the table holds it: (kind, seq), in seq order, read without
/// the index.
fn log(path: &Path) -> Vec<(i64, i64)> {
    let c = Connection::open(path).expect("open");
    let mut st = c
        .prepare("SELECT kind, seq FROM ops NOT INDEXED ORDER BY seq")
        .expect("prepare");
    st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

/// The index entries SQLite itself would keep for `log`.
fn honest(log: &[(i64, i64)]) -> Vec<Vec<Value>> {
    log.iter()
        .map(|&(k, s)| vec![Value::Integer(k), Value::Integer(s)])
        .collect()
}

/// Makes the file's `ops_kind` index hold `records` and nothing else; the
/// table is not touched.
fn plant_index(path: &Path, records: &[Vec<Value>]) {
    settle(path);
    let (ps, root) = root_of(path, "ops_kind");
    let file = std::fs::read(path).expect("read");
    assert_eq!(
        file[(root - 1) * ps],
        0x0a,
        "the fixture's ops_kind is one leaf page"
    );
    write_page(path, root, &leaf_page(ps, records));
}

/// What the index answers for `kind` (through it, as the open's queries).
fn indexed(path: &Path, k: u8) -> Vec<i64> {
    let c = Connection::open(path).expect("open");
    let mut st = c
        .prepare("SELECT seq FROM ops INDEXED BY ops_kind WHERE kind = ?1")
        .expect("prepare");
    st.query_map([k], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

fn seqs_of(log: &[(i64, i64)], k: u8) -> Vec<i64> {
    log.iter()
        .filter(|(kk, _)| *kk == i64::from(k))
        .map(|(_, s)| *s)
        .collect()
}

/// The seq of member `id`'s applied `member.add`.
fn add_of(path: &Path, id: &Id) -> i64 {
    let c = Connection::open(path).expect("open");
    let mut st = c
        .prepare("SELECT seq, body FROM ops NOT INDEXED WHERE kind = ?1 AND outcome = 'applied'")
        .expect("prepare");
    let rows: Vec<(i64, Vec<u8>)> = st
        .query_map([kind::ADD_MEMBER], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    rows.into_iter()
        .find(|(_, b)| matches!(OpBody::decode(b), Ok(OpBody::AddMember { member, .. }) if member.id == *id))
        .map(|(s, _)| s)
        .expect("the member's add")
}

/// How a sealed replica refuses a file whose indexes disagree with their
/// tables (`replica::indexes_agree`, attack review 17): before any query
/// reads through them. The needles below are what the queries themselves
/// make of an edited index, the second line of defence, which an unsealed
/// file still relies on.
const SEALED: &str = "changed outside this device";

/// The open is refused, without a panic or a hang, with an error whose
/// message contains one of `needles` (or, for a sealed replica, the
/// seal's refusal). Returns the message.
#[track_caller]
fn refused(fx: &Fx, needles: &[&str]) -> String {
    match open_within(fx, 30) {
        None => panic!("the open hung (30 s)"),
        Some(Ok(_)) => panic!("the vault opened; expected a refusal ({needles:?})"),
        Some(Err(e)) => {
            let m = e.to_string();
            assert!(
                needles.iter().chain([&SEALED]).any(|n| m.contains(n)),
                "refused, but with another message: {m} ({:?})",
                e.kind()
            );
            m
        }
    }
}

/// A genesis of `vault_id` founded by `k` on a device of its own, as a row
/// of the log (signed, its hash right), at `seq`.
fn plant_genesis(path: &Path, vault_id: Id, k: &PrivateIdentity, seq: i64) {
    let body = OpBody::Genesis {
        vault_id,
        name: "Acme".into(),
        owner: owner_record(k, "Mallory"),
    }
    .encode();
    let header = OpHeader {
        op_id: Id::make(),
        vault_id,
        device_id: Id::make(),
        device_seq: 1,
        author_id: k.id(),
        hlc: now_hlc(),
        kind: kind::GENESIS,
        prev_hash: [0u8; 32],
    };
    let sig = k.sign(SignPurpose::Op, &header.signed_bytes(&body));
    let e = Entry { header, body, sig };
    let c = Connection::open(path).expect("open");
    c.execute(
        "INSERT INTO ops (seq, op_id, device_id, device_seq, author_id, hlc, kind, body,
                          prev_hash, hash, sig, outcome)
         VALUES (?1, ?2, ?3, 1, ?4, ?5, ?6, ?7, ?8, ?9, ?10, 'applied')",
        rusqlite::params![
            seq,
            &e.header.op_id.0[..],
            &e.header.device_id.0[..],
            &e.header.author_id.0[..],
            e.header.hlc as i64,
            kind::GENESIS,
            &e.body,
            &e.header.prev_hash[..],
            &e.hash()[..],
            &e.sig[..],
        ],
    )
    .expect("plant a genesis");
}

// ----- 1. a denied entry made to count -------------------------------------

/// ATTACK (writes Ada's sealed replica; Mallory, a member but not an
/// admin, runs her own client): Mallory publishes a `member.add` that
/// re-adds Bob under a key she holds; Ada's replica records it `denied`
/// (a member adds no one). The attacker then rewrites `ops_kind` so each
/// of its records carries `'applied'` between the kind and the rowid (as
/// an index on `(kind, outcome)` would), hoping the pinning query takes
/// its `outcome = 'applied'` from the index and pins Mallory's key as
/// Bob's.
/// RESISTED: SQLite knows the index as `ops(kind)` (the schema check
/// refuses any other SQL), so it takes only the kind and the rowid (the
/// record's last field) from it and reads `outcome` from the row, which
/// the seal covers: the denied add is not pinned, and Ada still grants Bob
/// web/dev under his own key. (Counted, it would pin Mallory's key as
/// Bob's and the grant would be refused: this test fails if the pinning
/// query stops reading `outcome` from the table.)
#[test]
fn attack_denied_member_add_indexed_as_applied_is_not_pinned() {
    let (fx, remote, bob, vault_id, mallory) = team_with_mallory(Role::Member, Access::Write);
    let k = PrivateIdentity::make();
    let fake = MemberRecord {
        id: bob.who.id,
        name: "Bob".into(),
        email: None,
        x25519: k.public().x25519,
        ed25519: k.public().ed25519,
        fingerprint: k.public().fingerprint(),
        role: "admin".into(),
    };
    forge(
        &remote,
        vault_id,
        Id::make(),
        &mallory,
        &OpBody::AddMember {
            member: fake,
            grants: vec![],
        },
        None,
    );
    fx.open().sync().expect("Ada takes in Mallory's entry");
    let denied: Vec<i64> = {
        let c = Connection::open(&fx.path).expect("open");
        let mut st = c
            .prepare(
                "SELECT seq FROM ops NOT INDEXED
                 WHERE kind = ?1 AND outcome = 'denied' AND length(body) > 0",
            )
            .expect("prepare");
        st.query_map([kind::ADD_MEMBER], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    };
    assert_eq!(denied.len(), 1, "Mallory's add is denied, its body kept");

    let records: Vec<Vec<Value>> = log(&fx.path)
        .into_iter()
        .map(|(k, s)| {
            vec![
                Value::Integer(k),
                Value::Text("applied".into()),
                Value::Integer(s),
            ]
        })
        .collect();
    plant_index(&fx.path, &records);
    assert!(
        indexed(&fx.path, kind::ADD_MEMBER).contains(&denied[0]),
        "the planted index files the denied add"
    );

    // How SQLite answers the pinning query's shape on the planted file:
    // the denied add through the index, its outcome from the row.
    let c = Connection::open(&fx.path).expect("open");
    let pinned: Vec<i64> = c
        .prepare("SELECT seq FROM ops WHERE kind IN (1, 7) AND outcome = 'applied' ORDER BY seq")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert!(!pinned.contains(&denied[0]), "{pinned:?}");
    drop(c);
    refused(&fx, &[SEALED]);

    // With the honest index back: the outcome read from the row kept the
    // denied add out of the pins all along.
    plant_index(&fx.path, &honest(&log(&fx.path)));
    let mut v = fx.open();
    assert!(v.is_private_replica());
    v.grant("Bob", DEV, Access::Read)
        .expect("Bob's pinned key is still his own");
    assert_eq!(
        v.member("Bob").expect("Bob").fingerprint,
        bob.who.fingerprint
    );
}

// ----- 2. entries filed under another kind -----------------------------------

/// ATTACK (writes Ada's sealed replica): file entries of the log under a
/// kind they are not, in the index only: (a) an `env.add` and an
/// `item.set` under member add; (b) Bob's `member.add` under genesis as
/// well as its own kind; (c) Bob's `member.add` under genesis in place of
/// the genesis; (d) the genesis under member add only.
/// RESISTED: every case refuses the open, without a panic: the entries
/// found decode as neither genesis nor member add, or their hash (which
/// covers the kind) does not recompute with the kind they were asked for,
/// or two entries answer for the genesis, or none. With the honest index
/// back, the file opens (nothing but the index was changed).
#[test]
fn attack_entries_filed_under_another_kind_are_refused() {
    let (fx, _remote, bob, _carol) = team(folder_remote);
    let log = log(&fx.path);
    let bob_add = add_of(&fx.path, &bob.who.id);
    let genesis = seqs_of(&log, kind::GENESIS)[0];
    let env_add = seqs_of(&log, kind::ADD_ENV)[0];
    // An item's set (whatever kind the current client writes) or any
    // other entry that is neither genesis, member add nor env add.
    let item_set = log
        .iter()
        .find(|(k, _)| ![1, 2, 7].contains(k))
        .map(|(_, s)| *s)
        .expect("another entry");
    let with = |changes: &dyn Fn(i64, i64) -> Vec<i64>| -> Vec<Vec<Value>> {
        log.iter()
            .flat_map(|&(k, s)| {
                changes(k, s)
                    .into_iter()
                    .map(move |kk| vec![Value::Integer(kk), Value::Integer(s)])
            })
            .collect()
    };

    // (a) other kinds under member add.
    for victim in [env_add, item_set] {
        plant_index(
            &fx.path,
            &with(&|k, s| if s == victim { vec![7] } else { vec![k] }),
        );
        refused(&fx, &["membership entry of the op log does not verify"]);
    }
    // (b) Bob's add under genesis too.
    plant_index(
        &fx.path,
        &with(&|k, s| if s == bob_add { vec![1, k] } else { vec![k] }),
    );
    refused(&fx, &["second genesis"]);
    // (c) Bob's add in place of the genesis.
    plant_index(
        &fx.path,
        &with(&|k, s| {
            if s == bob_add {
                vec![1]
            } else if s == genesis {
                vec![]
            } else {
                vec![k]
            }
        }),
    );
    refused(&fx, &["genesis does not verify"]);
    // (d) The genesis under member add only.
    plant_index(
        &fx.path,
        &with(&|k, s| if s == genesis { vec![7] } else { vec![k] }),
    );
    refused(&fx, &["genesis does not verify: there is none"]);

    plant_index(&fx.path, &honest(&log));
    assert!(fx.open().is_private_replica(), "the honest index opens");
}

// ----- 3. a genesis hidden from the index ------------------------------------

/// ATTACK (writes Ada's sealed replica): leave the genesis out of the
/// index.
/// RESISTED: the open is refused ("there is none").
#[test]
fn attack_genesis_hidden_from_the_index_is_refused() {
    let (fx, _remote, _bob, _carol) = team(folder_remote);
    let log = log(&fx.path);
    let hidden: Vec<(i64, i64)> = log
        .iter()
        .copied()
        .filter(|(k, _)| *k != i64::from(kind::GENESIS))
        .collect();
    plant_index(&fx.path, &honest(&hidden));
    assert!(indexed(&fx.path, kind::GENESIS).is_empty());
    refused(&fx, &["genesis does not verify: there is none"]);
}

/// ATTACK (writes Ada's sealed replica): plant a second genesis of the
/// same vault (signed by a key the attacker holds, first in a device of
/// its own) in the log, and keep it out of the index so the `LIMIT 2`
/// check does not see it; once before the real genesis in the log's
/// order, once after.
/// RESISTED: the row changes the log, which the replica's seal covers, so
/// the open is refused by the seal check that follows the genesis check.
#[test]
fn attack_second_genesis_hidden_from_the_index_in_a_sealed_replica_is_refused() {
    let (fx, _remote, _bob, _carol) = team(folder_remote);
    let vault_id = fx.open().id();
    let honest_log = log(&fx.path);
    let k = PrivateIdentity::make();
    plant_genesis(&fx.path, vault_id, &k, 1_000_000);
    plant_index(&fx.path, &honest(&honest_log));
    assert_eq!(indexed(&fx.path, kind::GENESIS).len(), 1);
    let m = refused(&fx, &["this replica was changed outside this device"]);
    assert!(!m.contains("second genesis"), "the index hid it: {m}");

    // The planted genesis in the index, the real one hidden: the genesis
    // check meets only the planted one, which is not the anchored one.
    let mut records: Vec<Vec<Value>> = honest(&honest_log)
        .into_iter()
        .filter(|r| r[0] != Value::Integer(i64::from(kind::GENESIS)))
        .collect();
    records.push(vec![Value::Integer(1), Value::Integer(1_000_000)]);
    plant_index(&fx.path, &records);
    assert_eq!(indexed(&fx.path, kind::GENESIS), vec![1_000_000]);
    refused(&fx, &["is not the one this device pinned"]);
}

/// ATTACK (writes a vault file shared the old way: no seal, so the table
/// is the attacker's to write too): plant a second genesis founded by a
/// key the attacker holds, at seq 0 (before the real one in the log's
/// order), and (a) hide it from the index entirely, (b) file it under
/// member add only, so the pinning query meets it first.
/// RESISTED, as docs/design-decisions.md says: (a) the open succeeds (the
/// index hides the second genesis from the `LIMIT 2` refusal) but the
/// planted owner is not a member and nothing of it is pinned; `verify`
/// still reports the entry. (b) the open is refused: `load_pinned` takes a
/// genesis only as the first membership entry and only with the anchored
/// hash.
#[test]
fn attack_second_genesis_hidden_from_the_index_in_a_shared_file() {
    let (fx, _) = standard();
    let vault_id = fx.open().id();
    let honest_log = log(&fx.path);
    let k = PrivateIdentity::make();
    plant_genesis(&fx.path, vault_id, &k, 0);

    // (a) hidden.
    plant_index(&fx.path, &honest(&honest_log));
    {
        let mut v = match open_within(&fx, 30).expect("no hang") {
            Ok(v) => v,
            Err(e) => panic!("(a) refused: {e}"),
        };
        assert_eq!(v.list_members().expect("members").len(), 1);
        assert_eq!(v.member("Ada").expect("Ada").role, Role::Owner);
        let flags = assert_verify_flags(&mut v);
        assert!(!flags.is_empty());
    }

    // (b) under member add, first in the log's order.
    let mut records = honest(&honest_log);
    records.push(vec![Value::Integer(7), Value::Integer(0)]);
    plant_index(&fx.path, &records);
    refused(&fx, &["membership entry of the op log does not verify"]);
}

// ----- 4. a member add hidden from the index ---------------------------------

/// ATTACK (writes Ada's sealed replica): leave Bob's `member.add` out of
/// the index, so his key is never pinned.
/// RESISTED: since attack review 17 the seal's index check refuses the
/// open. (Before it, the open succeeded, Bob having signed no membership
/// entry, and Ada's next use of Bob's key was refused by `member_keys`,
/// "keys differ from those pinned": that second line still holds for an
/// unsealed file.)
#[test]
fn attack_member_add_hidden_from_the_index_pins_no_key() {
    let (fx, _remote, bob, _carol) = team(folder_remote);
    let log = log(&fx.path);
    let bob_add = add_of(&fx.path, &bob.who.id);
    let hidden: Vec<(i64, i64)> = log.iter().copied().filter(|(_, s)| *s != bob_add).collect();
    plant_index(&fx.path, &honest(&hidden));
    assert!(!indexed(&fx.path, kind::ADD_MEMBER).contains(&bob_add));

    refused(&fx, &[SEALED]);

    plant_index(&fx.path, &honest(&log));
    fx.open()
        .grant("Bob", DEV, Access::Read)
        .expect("with the honest index, Bob's key is pinned");
}

/// ATTACK (writes Ada's sealed replica): Bob, an admin, added Eve; leave
/// Bob's `member.add` out of the index, so Eve's add is met with its
/// signer unpinned.
/// RESISTED: the open is refused with "a membership entry of the op log
/// does not verify" (no panic).
#[test]
fn attack_admins_member_add_hidden_from_the_index_refuses_the_open() {
    let (fx, _remote, bob, _carol) = team(folder_remote);
    fx.open().set_role("Bob", Role::Admin).expect("Bob admin");
    fx.open().sync().expect("Ada syncs");
    bob.sync();
    let eve = Person::new(&fx, "Eve");
    add_member(&mut bob.open(), &eve, Role::Reader, &[]);
    bob.sync();
    fx.open().sync().expect("Ada takes in Eve's add");
    assert_eq!(fx.open().member("Eve").expect("Eve").role, Role::Reader);

    let log = log(&fx.path);
    let bob_add = add_of(&fx.path, &bob.who.id);
    let hidden: Vec<(i64, i64)> = log.iter().copied().filter(|(_, s)| *s != bob_add).collect();
    plant_index(&fx.path, &honest(&hidden));
    refused(&fx, &["a membership entry of the op log does not verify"]);
    plant_index(&fx.path, &honest(&log));
    assert!(fx.open().is_private_replica());
}

// ----- 5. a corrupt index ----------------------------------------------------

/// ATTACK (writes Ada's sealed replica): an index entry under genesis or
/// member add whose rowid no row has.
/// RESISTED: the open is refused (SQLite reports the file malformed, or
/// the extra genesis is counted), no panic, no hang.
#[test]
fn attack_index_entry_without_a_row_is_refused() {
    let (fx, _remote, _bob, _carol) = team(folder_remote);
    let log = log(&fx.path);
    for k in [kind::GENESIS, kind::ADD_MEMBER] {
        let mut records = honest(&log);
        records.push(vec![Value::Integer(i64::from(k)), Value::Integer(999_999)]);
        plant_index(&fx.path, &records);
        refused(&fx, &["malformed", "second genesis", "corrupt"]);
    }
    plant_index(&fx.path, &honest(&log));
    assert!(fx.open().is_private_replica());
}

/// ATTACK (writes Ada's sealed replica): the same index cell listed twice
/// (the leaf's cell pointer repeated), once for the genesis, once for
/// Bob's `member.add`: does the query return the entry twice, or loop?
/// RESISTED: a duplicated genesis counts as a second one (refused, the
/// message says "second genesis"); a duplicated member add is refused by
/// the seal's index check (before it, it pinned the same key twice and
/// the open succeeded, Bob's key right). No hang.
#[test]
fn attack_duplicated_index_cells() {
    let (fx, _remote, bob, _carol) = team(folder_remote);
    let log = log(&fx.path);
    let bob_add = add_of(&fx.path, &bob.who.id);
    for (target, ok) in [(kind::GENESIS, false), (kind::ADD_MEMBER, true)] {
        plant_index(&fx.path, &honest(&log));
        let (ps, root) = root_of(&fx.path, "ops_kind");
        let mut file = std::fs::read(&fx.path).expect("read");
        let page = &mut file[(root - 1) * ps..root * ps];
        let n = u16::from_be_bytes([page[3], page[4]]) as usize;
        // The cell whose record is (target, its seq): by key order, the
        // first cell of `target` (the genesis is the only one of its
        // kind; for member add, Bob's add is found by its rowid).
        let want = if target == kind::GENESIS {
            seqs_of(&log, kind::GENESIS)[0]
        } else {
            bob_add
        };
        let mut sorted: Vec<(i64, i64)> = log.clone();
        sorted.sort();
        let i = sorted
            .iter()
            .position(|&(k, s)| k == i64::from(target) && s == want)
            .expect("cell");
        assert_eq!(sorted.len(), n);
        let ptr = [page[8 + 2 * i], page[9 + 2 * i]];
        let content = u16::from_be_bytes([page[5], page[6]]) as usize;
        assert!(8 + 2 * (n + 1) <= content, "room for one more pointer");
        page.copy_within(8 + 2 * (i + 1)..8 + 2 * n, 8 + 2 * (i + 2));
        page[8 + 2 * (i + 1)] = ptr[0];
        page[9 + 2 * (i + 1)] = ptr[1];
        page[3..5].copy_from_slice(&((n + 1) as u16).to_be_bytes());
        std::fs::write(&fx.path, &file).expect("write");
        let twice = indexed(&fx.path, target)
            .iter()
            .filter(|s| **s == want)
            .count();
        assert_eq!(twice, 2, "the index now answers the entry twice");
        refused(&fx, &[if ok { SEALED } else { "second genesis" }]);
    }
}

/// ATTACK (writes Ada's sealed replica): the index's root page made (a)
/// an interior page whose only child is itself (a cycle), (b) zeros, (c)
/// a record whose "rowid" is text.
/// RESISTED: each open is refused with SQLite's "malformed" error, in
/// well under the 30 s the test allows: no panic, no hang.
#[test]
fn attack_corrupt_index_pages_refuse_the_open() {
    let (fx, _remote, _bob, _carol) = team(folder_remote);
    let log = log(&fx.path);
    plant_index(&fx.path, &honest(&log));
    let (ps, root) = root_of(&fx.path, "ops_kind");

    // (a) An interior index page with no cells, its right child itself.
    let mut page = vec![0u8; ps];
    page[0] = 0x02;
    page[5..7].copy_from_slice(&(ps as u16).to_be_bytes());
    page[8..12].copy_from_slice(&(root as u32).to_be_bytes());
    write_page(&fx.path, root, &page);
    refused(&fx, &["malformed", "corrupt"]);

    // (b) Zeros.
    write_page(&fx.path, root, &vec![0u8; ps]);
    refused(&fx, &["malformed", "corrupt"]);

    // (c) A text rowid.
    let mut records = honest(&log);
    records.push(vec![Value::Integer(1), Value::Text("1".into())]);
    write_page(&fx.path, root, &leaf_page(ps, &records));
    refused(&fx, &["malformed", "corrupt", "second genesis"]);

    plant_index(&fx.path, &honest(&log));
    assert!(fx.open().is_private_replica());
}

/// ATTACK (writes Ada's sealed replica, with `writable_schema`): point
/// `ops_kind`'s root page at another b-tree, keeping its SQL (the schema
/// check compares type, name, table and SQL, not the root page): (a) the
/// `ops` table's own b-tree, (b) the index of `ops(op_id)`.
/// RESISTED: (a) is refused as malformed; (b) finds no genesis (op ids
/// are blobs, never the integer kind) and is refused. Both are refusals,
/// as any edit of the file may cause; no entry is made to count.
#[test]
fn attack_index_root_page_redirected_is_refused() {
    let (fx, _remote, _bob, _carol) = team(folder_remote);
    settle(&fx.path);
    let (_, ops_root) = root_of(&fx.path, "ops");
    let (_, auto_root) = root_of(&fx.path, "sqlite_autoindex_ops_1");
    let (_, own_root) = root_of(&fx.path, "ops_kind");
    let redirect = |to: usize| {
        let c = Connection::open(&fx.path).expect("open");
        c.execute_batch("PRAGMA writable_schema = ON")
            .expect("writable");
        c.execute(
            "UPDATE sqlite_master SET rootpage = ?1 WHERE name = 'ops_kind'",
            [to as i64],
        )
        .expect("redirect");
        c.execute_batch("PRAGMA writable_schema = OFF")
            .expect("writable off");
    };
    redirect(ops_root);
    refused(&fx, &["malformed", "corrupt"]);
    redirect(auto_root);
    refused(&fx, &["genesis does not verify: there is none", "corrupt"]);
    redirect(own_root);
    assert!(fx.open().is_private_replica());
}

/// ATTACK (writes Ada's sealed replica): steer the planner with planted
/// statistics (`ANALYZE` makes `sqlite_stat1`), e.g. to make it take
/// another plan whose answers the index decides.
/// RESISTED: `sqlite_stat1` is an object the migrations do not make; the
/// schema check refuses the file before any query runs.
#[test]
fn attack_planted_planner_statistics_are_refused() {
    let (fx, _remote, _bob, _carol) = team(folder_remote);
    {
        let c = Connection::open(&fx.path).expect("open");
        c.execute_batch(
            "ANALYZE;
             UPDATE sqlite_stat1 SET stat = '1000000 1' WHERE idx = 'ops_kind';",
        )
        .expect("analyze");
    }
    refused(&fx, &["schema was changed outside coffer"]);
}

// ----- 6. other readers of the index -----------------------------------------
//
// Schema 11's index serves every query of the log that filters on `kind`,
// not only the open's two: `EXPLAIN QUERY PLAN` shows `SEARCH ops USING
// INDEX ops_kind` for `stale.rs`'s leaked-epoch and vouched-share reads,
// `sync::uncovered`'s cuts, `exposure_report`'s revocations,
// `keyless_name`, `renamed_from`. Those read what they find and decide on
// it; an entry the index hides is simply not there for them, and nothing
// refuses.

/// The members `env_id`'s current epoch was wrapped to, in the applied
/// log of a replica (read in log order, without the index).
fn current_epoch_recipients(replica: &Path, env_id: Id) -> (u64, Vec<Id>) {
    let c = Connection::open(replica).expect("open");
    let epoch: i64 = c
        .query_row(
            "SELECT epoch FROM environments WHERE id = ?1",
            [&env_id.0[..]],
            |r| r.get(0),
        )
        .expect("epoch");
    let epoch = epoch as u64;
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
            } if e == env_id => out.extend(
                wraps
                    .into_iter()
                    .filter(|w| w.epoch == epoch)
                    .map(|w| w.member_id),
            ),
            OpBody::Grant {
                env_id: e,
                wrap: Some(w),
                ..
            } if e == env_id && w.epoch == epoch => out.push(w.member_id),
            _ => {}
        }
    }
    (epoch, out)
}

/// Two offboardings racing (tests/sync_attacks4.rs, F1): Ada offboards
/// Carol while Dave (admin) offboards Erin; Dave's device publishes first
/// and then stays offline. Ada's re-key of web/prod (epoch 2) was wrapped
/// to Erin; Dave's is denied as concurrent. Ada's sync takes in Erin's
/// revocation and `rekey_leaked_epochs` re-keys web/prod. With `hide`,
/// whoever writes Ada's replica first leaves her `env.rekey` entries out
/// of `ops_kind`, and puts the honest index back after her sync. Returns
/// (revoked member the current epoch is wrapped to, if any; whether Ada's
/// replica then opens and verifies; Erin's id).
fn racing_offboardings(hide: bool) -> (Option<Id>, bool, Id) {
    let (fx, _remote, bob, dave, erin) = racing_offboardings_team();
    dave.sync(); // publishes, then Dave's laptop is closed.

    let log = log(&fx.path);
    if hide {
        let kept: Vec<(i64, i64)> = log
            .iter()
            .copied()
            .filter(|(k, _)| *k != i64::from(kind::REKEY_ENV))
            .collect();
        plant_index(&fx.path, &honest(&kept));
    }
    if hide {
        // The seal's index check refuses the edited file; the honest index
        // back, Ada syncs (the repair below must not depend on the index).
        refused(&fx, &[SEALED]);
        plant_index(&fx.path, &honest(&log));
    }
    fx.open().sync().expect("ada syncs");
    bob.sync();
    fx.open().sync().expect("ada syncs again");

    let env_id = fx.open().env(PROD).expect("env").id;
    let gone = revoked(&fx.path);
    assert!(gone.contains(&erin.id()), "Erin is revoked");
    let (_, to) = current_epoch_recipients(&fx.path, env_id);
    let leaked = to.into_iter().find(|m| gone.contains(m));
    let clean = Vault::open(&fx.path, fx.unlock())
        .and_then(|mut v| v.verify())
        .map(|r| r.ok())
        .unwrap_or(false);
    (leaked, clean, erin.id())
}

/// CONTROL (no attack): the racing offboardings' leaked epoch is re-keyed
/// by Ada's sync: the current epoch of web/prod is wrapped to no revoked
/// member. (Shows the scenario of the attack below needs the repair.)
#[test]
fn control_racing_offboardings_are_repaired_by_the_owners_sync() {
    let (leaked, clean, _) = racing_offboardings(false);
    assert_eq!(leaked, None, "the leaked epoch was re-keyed");
    assert!(clean);
}

/// ATTACK (writes Ada's sealed replica, before her sync and after it):
/// in the racing offboardings above, leave Ada's `env.rekey` entries out
/// of the `ops_kind` index for the one sync that takes in Erin's
/// revocation, then put the honest index back.
/// FINDING (fixed, 9349ce9): `rekey_leaked_epochs` read the wraps it checks through
/// `ops_kind` (`WHERE outcome = 'applied' AND kind IN (...)`, `SEARCH ops
/// USING INDEX ops_kind`), so it does not see the epoch wrapped to Erin and
/// re-keys nothing; it runs only after a sync that took in a revocation,
/// so it never looks again. Web/prod stays on an epoch whose key was
/// wrapped (in a signed op in the sync folder) to revoked Erin: she can
/// read every value set there from then on. The open, the seal and
/// `verify` all pass: the index was the only thing changed, and it was
/// put back. Before schema 11 the same query read the sealed table.
/// SECURE now, twice: every query that picks log entries by kind, other
/// than the open's two, reads the table (`FROM ops NOT INDEXED`, kept by
/// `schema::tests::attack_only_the_opens_two_queries_pick_log_entries_
/// through_the_kind_index`), and since attack review 17 the seal's index
/// check refuses the edited file before the sync, which then runs on the
/// honest index and re-keys the leaked epoch.
#[test]
fn attack_index_hides_a_leaked_epoch_from_the_repair() {
    let (leaked, clean, erin) = racing_offboardings(true);
    assert!(
        clean,
        "the replica opens and verifies: the edit left no trace"
    );
    assert_eq!(
        leaked,
        None,
        "web/prod's current epoch is wrapped to a revoked member (Erin: {})",
        leaked == Some(erin)
    );
}
