//! Issue 9, first slice: the device trusts its own anchor and head, never the
//! file's word for them. Each test is one of the review's reproduced attacks
//! (numbered as in the issue) or a variant, by someone who can write the
//! vault file: the device refuses the file, or the attacker gets nothing.

mod common;

use coffer_crypto::{Id, PrivateIdentity, SignPurpose};
use coffer_vault::ops::{kind, OpBody, OpHeader};
use coffer_vault::{Access, ErrorKind, Role};
use common::*;
use rusqlite::params;

/// Attack 1: Mallory, who can write the file but holds no key of the vault,
/// signs a genesis of her own for the same vault id, gives it a lower `seq`
/// and marks the real genesis denied.
#[test]
fn fail_a_second_genesis_signed_by_an_outsider_is_refused() {
    let (fx, _) = standard();
    let vault_id = fx.open().id();
    let mallory = PrivateIdentity::make();
    let owner = owner_record(&mallory, "Mallory");
    let body = OpBody::Genesis {
        vault_id,
        name: "Acme".into(),
        owner,
    }
    .encode();
    let header = OpHeader {
        op_id: Id::make(),
        vault_id,
        device_id: Id::make(),
        device_seq: 1,
        author_id: mallory.id(),
        hlc: 1,
        kind: kind::GENESIS,
        prev_hash: [0; 32],
    };
    let sig = mallory.sign(SignPurpose::Op, &header.signed_bytes(&body));
    {
        let c = fx.db();
        c.execute(
            "INSERT INTO ops (seq, op_id, device_id, device_seq, author_id, hlc, kind, body, prev_hash, hash, sig, outcome)
             VALUES (0, ?1, ?2, 1, ?3, 1, ?4, ?5, ?6, ?7, ?8, 'applied')",
            params![
                &header.op_id.0[..],
                &header.device_id.0[..],
                &header.author_id.0[..],
                kind::GENESIS,
                body,
                &[0u8; 32][..],
                &header.hash(&body)[..],
                &sig[..]
            ],
        )
        .expect("forged genesis");
        c.execute(
            "UPDATE ops SET outcome = 'denied' WHERE seq = (SELECT MIN(seq) FROM ops WHERE seq > 0)",
            [],
        )
        .expect("deny the real one");
    }
    assert_open_refused(&fx, "second genesis");

    // Deleting the real genesis instead leaves Mallory's alone: the anchor
    // this device pinned at creation refuses it.
    fx.db()
        .execute(
            "DELETE FROM ops WHERE kind = ?1 AND seq > 0",
            [kind::GENESIS],
        )
        .expect("drop the real genesis");
    assert_open_refused(&fx, "not the one this device pinned");
}

/// A teammate's device pins the genesis the first time it opens the vault;
/// a file re-founded later (another vault with the same id) is refused.
#[test]
fn fail_a_refounded_vault_is_refused_by_a_teammates_anchor() {
    let (fx, _) = standard();
    let bob = Person::new(&fx, "Bob");
    {
        let mut v = fx.open();
        add_member(&mut v, &bob, Role::Reader, &[(PROD, Access::Read)]);
    }
    drop(bob.open(&fx.path)); // Bob's device pins the anchor.
    assert!(bob
        .home
        .join("anchors")
        .read_dir()
        .expect("anchors")
        .next()
        .is_some());
    // The genesis entry re-signed by nobody: its hash no longer matches.
    fx.db()
        .execute(
            "UPDATE ops SET hlc = hlc + 1 WHERE kind = ?1",
            [kind::GENESIS],
        )
        .expect("edit genesis");
    match bob.try_open(&fx.path) {
        Err(e) => assert_eq!(e.kind(), ErrorKind::Integrity, "{e}"),
        Ok(_) => panic!("Bob opened a vault whose genesis changed"),
    }
}

/// Attack 5's permanence: a trigger planted in the file would run inside
/// every later transaction (re-adding a revoked member's wrap, say). Any
/// schema object our migrations did not make is refused before it can run.
#[test]
fn fail_planted_schema_objects_are_refused_at_open() {
    for (what, sql) in [
        (
            "trigger",
            "CREATE TRIGGER keep_wraps AFTER DELETE ON env_wraps BEGIN \
             INSERT INTO env_wraps SELECT * FROM env_wraps WHERE 0; END",
        ),
        ("view", "CREATE VIEW v AS SELECT * FROM members"),
        ("table", "CREATE TABLE extra (x)"),
        ("index", "CREATE INDEX extra_idx ON members(name)"),
    ] {
        let (fx, _) = standard();
        fx.db().execute_batch(sql).expect(what);
        assert_open_refused(&fx, "schema was changed outside coffer");
    }
}

/// One of our own tables recreated without its `CHECK` (so a role outside
/// the four could be stored) is refused too: the SQL text must be ours.
#[test]
fn fail_a_table_redefined_without_its_checks_is_refused() {
    let (fx, _) = standard();
    fx.db()
        .execute_batch(
            "PRAGMA foreign_keys = OFF;
             BEGIN;
             CREATE TABLE grants2 (env_id BLOB NOT NULL, member_id BLOB NOT NULL, access TEXT NOT NULL, PRIMARY KEY (env_id, member_id));
             INSERT INTO grants2 SELECT * FROM grants;
             DROP TABLE grants;
             ALTER TABLE grants2 RENAME TO grants;
             COMMIT;",
        )
        .expect("redefine");
    assert_open_refused(&fx, "schema was changed outside coffer");
}

/// Attack 5: one junk `env_wraps` row for a revoked member must not earn
/// them the next epoch's key when the owner re-keys for another reason.
#[test]
fn fail_a_planted_wrap_row_for_a_revoked_member_gets_no_new_key() {
    let (fx, _) = standard();
    let bob = Person::new(&fx, "Bob");
    let carol = Person::new(&fx, "Carol");
    let mut v = fx.open();
    add_member(&mut v, &bob, Role::Reader, &[(PROD, Access::Read)]);
    add_member(&mut v, &carol, Role::Reader, &[(PROD, Access::Read)]);
    // Keep a copy of Bob's genuine wrap row, then offboard him.
    let bob_row: Vec<rusqlite::types::Value> = {
        let c = fx.db();
        query_rows(
            &c,
            "SELECT * FROM env_wraps WHERE member_id = ?1",
            &[&&bob.id.0[..]],
        )
        .pop()
        .expect("Bob's wrap")
    };
    v.offboard("Bob", &mut |_, _| {}).expect("offboard Bob");
    drop(v);
    {
        let c = fx.db();
        c.execute(
            "INSERT INTO env_wraps VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            rusqlite::params_from_iter(bob_row.iter()),
        )
        .expect("plant the junk row");
    }
    let mut v = fx.open();
    v.offboard("Carol", &mut |_, _| {})
        .expect("offboarding Carol still works");
    drop(v);
    let c = fx.db();
    let rows: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM env_wraps WHERE member_id = ?1",
            [&bob.id.0[..]],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(rows, 0, "no wrap to the revoked Bob in the new epoch");
    drop(c);
    assert_permission("Bob", bob.try_open(&fx.path).map(|_| ()));
}

/// A forged clock far in the future (`i64::MAX`, or negative) is never
/// adopted: the next entry's time is the device's own.
#[test]
fn fail_a_forged_future_clock_is_not_adopted() {
    for forged in [
        i64::MAX,
        -1,
        ((coffer_vault::time::now_ms() + 86_400_000) << 16) as i64,
    ] {
        let (fx, _) = standard();
        fx.db()
            .execute(
                "UPDATE ops SET hlc = ?1 WHERE seq = (SELECT MAX(seq) FROM ops)",
                [forged],
            )
            .expect("forge clock");
        let before = coffer_vault::time::now_ms();
        {
            let mut v = fx.open();
            v.set_item(PROD, "API_KEY", value("after the forged clock"))
                .expect("a write after it");
        }
        let hlc: i64 = fx
            .db()
            .query_row("SELECT hlc FROM ops ORDER BY seq DESC LIMIT 1", [], |r| {
                r.get(0)
            })
            .expect("newest");
        let ms = (hlc as u64) >> 16;
        assert!(
            hlc > 0 && ms >= before && ms < before + 60_000,
            "forged {forged}: the new entry's time is {ms}, the clock's {before}"
        );
    }
}
