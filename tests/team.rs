//! The team vault with several real identities (each its own device home
//! and private key) against ONE vault file: grants give exactly the access
//! they say, roles are enforced, an entry share opens one item only, and
//! offboarding re-keys everything the ex-member could read and reports it
//! (DESIGN.md §3, §5; issue 3).
//!
//! Access is always checked by opening the vault as the person concerned
//! and trying to read, never by looking at a flag.

mod common;

use std::collections::BTreeSet;

use coffer_vault::rotation::Status;
use coffer_vault::{Access, ErrorKind, ItemUpdate, Role, Vault};
use common::*;
use rusqlite::params;

const OPS: &str = "ops/prod";
const SHARED_VALUE: &str = "shared-token-value";
const PRIVATE_VALUE: &str = "ops-private-value";

/// A vault with three environments and five items, made by Ada (owner).
/// `web/prod`: API_KEY (two versions), DB_PASS; `web/dev`: OTHER;
/// `ops/prod`: SHARED_TOKEN, OPS_PRIVATE.
fn team_vault() -> (Fx, Person, Vault) {
    let (fx, _) = standard();
    let ada = Person::owner(&fx);
    let mut v = ada.open(&fx.path);
    v.add_env(OPS, None).expect("ops env");
    v.set_item(OPS, "SHARED_TOKEN", value(SHARED_VALUE))
        .expect("set");
    v.set_item(OPS, "OPS_PRIVATE", value(PRIVATE_VALUE))
        .expect("set");
    (fx, ada, v)
}

fn names(v: &mut Vault, scope: Option<&str>) -> Vec<String> {
    v.list_items(scope, 14)
        .expect("ls")
        .into_iter()
        .map(|i| format!("{}/{} {}", i.project, i.env, i.name))
        .collect()
}

/// The last op-log entry: (author, kind, outcome).
fn last_op(v: &mut Vault) -> (String, String, String) {
    let e = v.audit_log().expect("audit log").pop().expect("an entry");
    (e.author, e.kind, e.outcome)
}

#[track_caller]
fn assert_last_denied(v: &mut Vault, author: &str, kind: &str) {
    assert_eq!(
        last_op(v),
        (author.to_string(), kind.to_string(), "denied".to_string()),
        "the refused op is recorded as denied"
    );
}

#[track_caller]
fn assert_verifies(v: &mut Vault) {
    let rep = v.verify().expect("verify runs");
    assert!(rep.ok(), "verify: {:?}", rep.problems);
}

// ----- grants --------------------------------------------------------------

#[test]
fn three_identities_see_exactly_what_their_grants_allow() {
    let (fx, _ada, mut v) = team_vault();
    assert!(
        v.list_envs(None).expect("envs").iter().all(|e| e.writable),
        "the owner writes everywhere"
    );
    assert!(v.manages().expect("role"), "the owner manages the vault");
    let bob = Person::new(&fx, "Bob");
    let carol = Person::new(&fx, "Carol");
    add_member(&mut v, &bob, Role::Reader, &[(PROD, Access::Read)]);
    add_member(
        &mut v,
        &carol,
        Role::Member,
        &[(PROD, Access::Read), (DEV, Access::Write)],
    );
    drop(v);

    // Bob, reader, `web/prod:read`.
    let mut b = bob.open(&fx.path);
    let envs: Vec<(String, bool, Option<String>, bool)> = b
        .list_envs(None)
        .expect("envs")
        .into_iter()
        .map(|e| (e.path(), e.readable, e.access, e.writable))
        .collect();
    assert_eq!(
        envs,
        vec![
            (OPS.to_string(), false, None, false),
            (DEV.to_string(), false, None, false),
            (PROD.to_string(), true, Some("read".to_string()), false),
        ],
        "Bob's environments: only web/prod is readable, none writable"
    );
    assert!(!b.manages().expect("role"), "a reader manages nothing");
    assert_value(&mut b, PROD, "API_KEY", API_V2);
    assert_value(&mut b, PROD, "DB_PASS", DB_VALUE);
    assert_permission("Bob gets web/dev", b.get_item(DEV, "OTHER"));
    assert_permission("Bob gets ops/prod", b.get_item(OPS, "SHARED_TOKEN"));
    assert_permission("Bob's history in web/dev", b.history(DEV, "OTHER", true));
    assert_eq!(
        names(&mut b, None),
        ["web/prod API_KEY", "web/prod DB_PASS"],
        "Bob lists only what he can read"
    );
    assert!(names(&mut b, Some(DEV)).is_empty());
    // A reader's write is refused by `apply` and recorded as denied.
    assert_permission(
        "reader sets",
        b.set_item(PROD, "API_KEY", value("bob-was-here")),
    );
    assert_last_denied(&mut b, "Bob", "item.set");
    assert_permission("reader removes", b.remove_item(PROD, "DB_PASS"));
    assert_last_denied(&mut b, "Bob", "item.delete");
    assert_permission("reader creates", b.set_item(PROD, "NEW", value("x")));
    assert_last_denied(&mut b, "Bob", "item.set");
    assert_permission(
        "reader writes without a key",
        b.set_item(DEV, "OTHER", value("x")),
    );
    assert_permission("reader adds an env", b.add_env("web/bob", None));
    assert_last_denied(&mut b, "Bob", "env.add");
    assert_permission("reader re-keys", b.rekey_env(PROD));
    drop(b);

    // Carol, member, `web/prod:read` and `web/dev:write`.
    let mut c = carol.open(&fx.path);
    let envs: Vec<(String, bool, Option<String>, bool)> = c
        .list_envs(None)
        .expect("envs")
        .into_iter()
        .map(|e| (e.path(), e.readable, e.access, e.writable))
        .collect();
    assert_eq!(
        envs,
        vec![
            (OPS.to_string(), false, None, false),
            (DEV.to_string(), true, Some("write".to_string()), true),
            (PROD.to_string(), true, Some("read".to_string()), false),
        ],
        "Carol writes exactly where granted write (EnvInfo::writable)"
    );
    assert_value(&mut c, PROD, "API_KEY", API_V2);
    assert_value(&mut c, DEV, "OTHER", OTHER_VALUE);
    assert_permission("Carol gets ops/prod", c.get_item(OPS, "OPS_PRIVATE"));
    c.set_item(DEV, "OTHER", value("carol-wrote-this"))
        .expect("a member writes where granted write");
    c.set_item(DEV, "CAROL_NEW", value("new-by-carol"))
        .expect("and creates");
    assert_permission(
        "a member writes where granted read",
        c.set_item(PROD, "API_KEY", value("carol-was-here")),
    );
    assert_last_denied(&mut c, "Carol", "item.set");
    assert_permission("a member grants", c.grant("Bob", DEV, Access::Read));
    drop(c);

    // What the others wrote or failed to write, as seen by the owner.
    let mut a = fx.open();
    assert_value(&mut a, DEV, "OTHER", "carol-wrote-this");
    assert_value(&mut a, DEV, "CAROL_NEW", "new-by-carol");
    assert_value(&mut a, PROD, "API_KEY", API_V2);
    assert_value(&mut a, PROD, "DB_PASS", DB_VALUE);
    drop(a);
    assert_permission(
        "Bob sees nothing new",
        bob.open(&fx.path).get_item(DEV, "CAROL_NEW"),
    );
    let mut a = fx.open();
    assert_verifies(&mut a);
}

#[test]
fn two_identities_read_and_write_grants_on_one_file() {
    // The minimal pair: Ada and Bob, member, read on prod and write on dev.
    let (fx, _ada, mut v) = team_vault();
    let bob = Person::new(&fx, "Bob");
    add_member(
        &mut v,
        &bob,
        Role::Member,
        &[(PROD, Access::Read), (DEV, Access::Write)],
    );
    drop(v);
    let mut b = bob.open(&fx.path);
    b.set_item(DEV, "BOB_KEY", value("bob-value"))
        .expect("write");
    assert_permission("read grant", b.set_item(PROD, "BOB_KEY", value("x")));
    assert_last_denied(&mut b, "Bob", "item.set");
    drop(b);
    let mut a = fx.open();
    assert_value(&mut a, DEV, "BOB_KEY", "bob-value");
    assert_kind(
        "not written",
        ErrorKind::NotFound,
        a.get_item(PROD, "BOB_KEY"),
    );
    // Changing Bob's grant to write lets him write; no new key needed.
    a.grant("Bob", PROD, Access::Write).expect("upgrade");
    drop(a);
    let mut b = bob.open(&fx.path);
    b.set_item(PROD, "BOB_KEY", value("now-allowed"))
        .expect("write after the upgrade");
    drop(b);
    let mut a = fx.open();
    // And back to read.
    a.grant("Bob", PROD, Access::Read).expect("downgrade");
    drop(a);
    let mut b = bob.open(&fx.path);
    assert_permission(
        "after the downgrade",
        b.set_item(PROD, "BOB_KEY", value("y")),
    );
    assert_value(&mut b, PROD, "BOB_KEY", "now-allowed");
    drop(b);
    assert_verifies(&mut fx.open());
}

#[test]
fn ungrant_re_keys_so_the_old_wrap_opens_nothing() {
    let (fx, _ada, mut v) = team_vault();
    let bob = Person::new(&fx, "Bob");
    add_member(&mut v, &bob, Role::Member, &[(DEV, Access::Write)]);
    drop(v);
    let old_wrap = query_rows(
        &fx.db(),
        "SELECT * FROM env_wraps WHERE member_id = ?1",
        &[&&bob.id.0[..]],
    );
    assert_eq!(old_wrap.len(), 1);
    let epoch0 = epoch(&fx.db(), DEV);
    let mut a = fx.open();
    a.ungrant("Bob", DEV).expect("ungrant");
    assert_eq!(epoch(&fx.db(), DEV), epoch0 + 1, "ungrant re-keys");
    assert_value(&mut a, DEV, "OTHER", OTHER_VALUE);
    assert_verifies(&mut a);
    drop(a);
    assert_permission("after ungrant", bob.open(&fx.path).get_item(DEV, "OTHER"));
    // The saved wrap, put back, does not open the new epoch.
    insert_rows(&fx.db(), "env_wraps", &old_wrap);
    assert_no_value("old wrap", bob.open(&fx.path).get_item(DEV, "OTHER"));
}

// ----- entry shares --------------------------------------------------------

#[test]
fn an_entry_share_opens_that_one_item_only_and_unshare_replaces_its_key() {
    let (fx, _ada, mut v) = team_vault();
    let bob = Person::new(&fx, "Bob");
    let carol = Person::new(&fx, "Carol");
    add_member(&mut v, &bob, Role::Reader, &[(PROD, Access::Read)]);
    add_member(&mut v, &carol, Role::Member, &[]);
    v.share(OPS, "SHARED_TOKEN", "Bob").expect("share");
    let listed: Vec<(String, Vec<String>)> = v
        .list_items(Some(OPS), 14)
        .expect("ls")
        .into_iter()
        .map(|i| (i.name, i.shared_with))
        .collect();
    assert_eq!(
        listed,
        vec![
            ("OPS_PRIVATE".to_string(), vec![]),
            ("SHARED_TOKEN".to_string(), vec!["Bob".to_string()]),
        ],
        "the owner sees the sharing list"
    );
    drop(v);

    let mut b = bob.open(&fx.path);
    assert_value(&mut b, OPS, "SHARED_TOKEN", SHARED_VALUE);
    assert_permission("the other item", b.get_item(OPS, "OPS_PRIVATE"));
    assert_permission("history of the other", b.history(OPS, "OPS_PRIVATE", false));
    assert!(!b.env(OPS).expect("env").readable, "the env stays locked");
    assert_eq!(names(&mut b, Some(OPS)), ["ops/prod SHARED_TOKEN"]);
    let all = names(&mut b, None);
    assert!(
        all.contains(&"ops/prod SHARED_TOKEN".to_string()),
        "{all:?}"
    );
    assert!(!all.iter().any(|n| n.contains("OPS_PRIVATE")), "{all:?}");
    // Reading a shared item does not make the share holder a writer.
    assert_permission(
        "write a shared item",
        b.set_item(OPS, "SHARED_TOKEN", value("bob-was-here")),
    );
    drop(b);
    assert_permission(
        "Carol, not shared",
        carol.open(&fx.path).get_item(OPS, "SHARED_TOKEN"),
    );

    let old_share = query_rows(
        &fx.db(),
        "SELECT * FROM item_shares WHERE member_id = ?1",
        &[&&bob.id.0[..]],
    );
    assert_eq!(old_share.len(), 1);
    let item: Vec<u8> = fx
        .db()
        .query_row(
            "SELECT item_id FROM item_shares WHERE member_id = ?1",
            [&bob.id.0[..]],
            |r| r.get(0),
        )
        .expect("item");
    let ik_ct = |fx: &Fx| -> Vec<u8> {
        fx.db()
            .query_row("SELECT ik_ct FROM items WHERE id = ?1", [&item], |r| {
                r.get(0)
            })
            .expect("ik_ct")
    };
    let ik_before = ik_ct(&fx);

    let mut a = fx.open();
    a.unshare(OPS, "SHARED_TOKEN", "Bob").expect("unshare");
    assert!(a
        .list_items(Some(OPS), 14)
        .expect("ls")
        .iter()
        .all(|i| i.shared_with.is_empty()));
    assert_value(&mut a, OPS, "SHARED_TOKEN", SHARED_VALUE);
    assert_verifies(&mut a);
    drop(a);
    assert_eq!(member_rows(&fx.db(), "item_shares", &bob.id), 0);
    assert_ne!(ik_ct(&fx), ik_before, "unshare replaces the item key");
    assert_permission(
        "after unshare",
        bob.open(&fx.path).get_item(OPS, "SHARED_TOKEN"),
    );

    // An attacker puts the old share back: it opens the old item key,
    // which does not open the re-encrypted item.
    insert_rows(&fx.db(), "item_shares", &old_share);
    let mut b = bob.open(&fx.path);
    assert_no_value("old share re-inserted", b.get_item(OPS, "SHARED_TOKEN"));
    assert_kind(
        "old share re-inserted (kind)",
        ErrorKind::Integrity,
        b.get_item(OPS, "SHARED_TOKEN"),
    );
    drop(b);
    assert_verify_flags(&mut fx.open());
}

// ----- roles ---------------------------------------------------------------

#[test]
fn roles_admins_manage_members_below_owner_only() {
    let (fx, _ada, mut v) = team_vault();
    let dan = Person::new(&fx, "Dan");
    let bob = Person::new(&fx, "Bob");
    let eve = Person::new(&fx, "Eve");
    let olga = Person::new(&fx, "Olga");
    // Two owners, so the last-owner rule is not what refuses below.
    add_member(&mut v, &olga, Role::Owner, &[]);
    add_member(
        &mut v,
        &dan,
        Role::Admin,
        &[
            (PROD, Access::Write),
            (DEV, Access::Write),
            (OPS, Access::Write),
        ],
    );
    add_member(&mut v, &bob, Role::Reader, &[(PROD, Access::Read)]);
    drop(v);
    let members = |fx: &Fx| -> BTreeSet<(String, String, String)> {
        fx.open()
            .list_members()
            .expect("members")
            .into_iter()
            .map(|m| (m.name, m.role.as_str().to_string(), m.status))
            .collect::<BTreeSet<_>>()
    };
    let start = members(&fx);

    let mut d = dan.open(&fx.path);
    // An admin cannot add an owner…
    let e = d
        .add_member(
            &eve.public_identity,
            "Eve",
            Role::Owner,
            &[],
            &eve.fingerprint,
        )
        .expect_err("admin adds an owner");
    assert_eq!(e.kind(), ErrorKind::Permission, "{e}");
    assert_last_denied(&mut d, "Dan", "member.add");
    assert!(d.member("Eve").is_err(), "nothing added");
    // …nor change an owner's role, nor make someone owner.
    assert_permission("admin demotes an owner", d.set_role("Ada", Role::Admin));
    assert_last_denied(&mut d, "Dan", "member.role");
    assert_permission("admin demotes an owner", d.set_role("Olga", Role::Reader));
    assert_last_denied(&mut d, "Dan", "member.role");
    assert_permission("admin promotes to owner", d.set_role("Bob", Role::Owner));
    assert_last_denied(&mut d, "Dan", "member.role");
    // Nor offboard an owner.
    assert_permission(
        "admin offboards an owner",
        d.offboard("Olga", &mut |_, _| {}),
    );
    assert_last_denied(&mut d, "Dan", "member.revoke");
    // Offboarding yourself is refused with a clear message.
    let e = d.offboard("Dan", &mut |_, _| {}).expect_err("self");
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    assert!(e.to_string().contains("yourself"), "{e}");
    // Below owner, an admin manages members.
    add_member(&mut d, &eve, Role::Member, &[(DEV, Access::Read)]);
    d.set_role("Bob", Role::Member)
        .expect("admin changes a reader");
    d.grant("Bob", DEV, Access::Write).expect("admin grants");
    drop(d);

    let mut after = start.clone();
    after.insert(("Eve".into(), "member".into(), "active".into()));
    after.remove(&("Bob".into(), "reader".into(), "active".into()));
    after.insert(("Bob".into(), "member".into(), "active".into()));
    assert_eq!(members(&fx), after, "only the allowed changes happened");

    // A member or reader manages nobody.
    let mut e = eve.open(&fx.path);
    assert_permission("member changes a role", e.set_role("Bob", Role::Reader));
    assert_last_denied(&mut e, "Eve", "member.role");
    let zed = Person::new(&fx, "Zed");
    let err = e
        .add_member(
            &zed.public_identity,
            "Zed",
            Role::Reader,
            &[],
            &zed.fingerprint,
        )
        .expect_err("member adds");
    assert_eq!(err.kind(), ErrorKind::Permission, "{err}");
    assert_last_denied(&mut e, "Eve", "member.add");
    drop(e);
    assert_verifies(&mut fx.open());
}

#[test]
fn the_last_owner_cannot_be_demoted_or_offboarded_and_nobody_offboards_themselves() {
    let (fx, _ada, mut v) = team_vault();
    let dan = Person::new(&fx, "Dan");
    add_member(
        &mut v,
        &dan,
        Role::Admin,
        &[
            (PROD, Access::Write),
            (DEV, Access::Write),
            (OPS, Access::Write),
        ],
    );
    let e = v
        .set_role("Ada", Role::Admin)
        .expect_err("last owner demoted");
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    assert!(e.to_string().contains("at least one owner"), "{e}");
    let e = v.offboard("Ada", &mut |_, _| {}).expect_err("self");
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    assert!(e.to_string().contains("yourself"), "{e}");
    assert_eq!(v.member("Ada").expect("Ada").role, Role::Owner);
    drop(v);
    let before = fx.dump();
    // Dan holds every key, so only the last-owner rule can stop him.
    let e = dan
        .open(&fx.path)
        .offboard("Ada", &mut |_, _| {})
        .expect_err("admin offboards the last owner");
    assert!(
        matches!(e.kind(), ErrorKind::Conflict | ErrorKind::Permission),
        "{e}"
    );
    let a = fx.open();
    assert_eq!(a.member("Ada").expect("Ada").status, "active");
    drop(a);
    // Nothing but (perhaps) a denied log entry.
    let after = fx.dump();
    for ((t, x), (_, y)) in before.iter().zip(after.iter()) {
        if t != "ops" && t != "sqlite_sequence" {
            assert!(x == y, "table {t} changed");
        }
    }

    // With a second owner, one owner can be demoted, and then not the last.
    let mut v = fx.open();
    v.set_role("Dan", Role::Owner).expect("promote");
    drop(v);
    let mut d = dan.open(&fx.path);
    d.set_role("Ada", Role::Admin)
        .expect("two owners: one may go");
    let e = d.set_role("Dan", Role::Admin).expect_err("now the last");
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    assert_verifies(&mut d);
}

#[test]
fn a_fingerprint_mismatch_adds_nothing() {
    let (fx, _ada, v) = team_vault();
    drop(v);
    let bob = Person::new(&fx, "Bob");
    let carol = Person::new(&fx, "Carol");
    let before = fx.dump();
    let mut v = fx.open();
    for fp in [
        carol.fingerprint.as_str(),
        "0000-0000",
        "",
        "not a fingerprint",
    ] {
        let e = v
            .add_member(
                &bob.public_identity,
                "Bob",
                Role::Member,
                &[(PROD.to_string(), Access::Read)],
                fp,
            )
            .expect_err("mismatch");
        assert_eq!(e.kind(), ErrorKind::Integrity, "fingerprint {fp:?}: {e}");
    }
    drop(v);
    assert!(before == fx.dump(), "a refused add changed the vault");
    assert_permission("Bob was not added", bob.try_open(&fx.path).map(|_| ()));
    // Formatting differences of the right fingerprint are accepted.
    let mut v = fx.open();
    v.add_member(
        &bob.public_identity,
        "Bob",
        Role::Member,
        &[],
        &bob.fingerprint.to_lowercase().replace('-', " "),
    )
    .expect("same fingerprint, other spelling");
}

// ----- offboarding ---------------------------------------------------------

#[test]
fn offboarding_re_keys_everything_the_member_could_read_and_reports_it() {
    let (fx, _ada, mut v) = team_vault();
    let bob = Person::new(&fx, "Bob");
    let carol = Person::new(&fx, "Carol");
    let dan = Person::new(&fx, "Dan");
    add_member(
        &mut v,
        &bob,
        Role::Member,
        &[(PROD, Access::Read), (DEV, Access::Write)],
    );
    add_member(&mut v, &carol, Role::Reader, &[(PROD, Access::Read)]);
    add_member(
        &mut v,
        &dan,
        Role::Member,
        &[(DEV, Access::Write), (OPS, Access::Read)],
    );
    v.share(OPS, "SHARED_TOKEN", "Bob").expect("share to Bob");
    v.set_item(
        PROD,
        "DB_PASS",
        ItemUpdate {
            url: Some("https://db.example.com".into()),
            notes: Some("rotate in the console".into()),
            ..Default::default()
        },
    )
    .expect("notes");
    drop(v);
    // Bob shares a dev credential with Carol: a wrap signed by Bob.
    bob.open(&fx.path)
        .share(DEV, "OTHER", "Carol")
        .expect("a writer shares");
    assert_value(&mut carol.open(&fx.path), DEV, "OTHER", OTHER_VALUE);

    // What Bob holds, saved before.
    let c = fx.db();
    let bob_id = &bob.id.0[..];
    let old_wraps = query_rows(
        &c,
        "SELECT * FROM env_wraps WHERE member_id = ?1",
        &[&bob_id],
    );
    let old_shares = query_rows(
        &c,
        "SELECT * FROM item_shares WHERE member_id = ?1",
        &[&bob_id],
    );
    assert_eq!((old_wraps.len(), old_shares.len()), (2, 1));
    let epochs0: Vec<i64> = [PROD, DEV, OPS].iter().map(|e| epoch(&c, e)).collect();
    let all_blobs = |c: &rusqlite::Connection| -> BTreeSet<Vec<u8>> {
        query_rows(c, "SELECT blob FROM item_versions", &[])
            .into_iter()
            .map(|r| match &r[0] {
                rusqlite::types::Value::Blob(b) => b.clone(),
                v => panic!("{v:?}"),
            })
            .collect()
    };
    let api_v1_blob: Vec<u8> = c
        .query_row(
            "SELECT v.blob FROM item_versions v JOIN items i ON i.id = v.item_id
             WHERE v.version = 1 AND i.env_id = ?1 ORDER BY i.created_at LIMIT 1",
            [env_id(&c, PROD)],
            |r| r.get(0),
        )
        .expect("API_KEY v1");
    let blobs0 = all_blobs(&c);
    drop(c);

    let mut a = fx.open();
    let mut calls = Vec::new();
    let report = a
        .offboard("Bob", &mut |done, total| calls.push((done, total)))
        .expect("offboard");
    assert_eq!(
        calls.last(),
        Some(&(3, 3)),
        "progress over the 3 re-keyed items"
    );

    // 1. Nothing of Bob's remains; his own key opens nothing.
    let c = fx.db();
    for t in ["env_wraps", "item_shares", "grants"] {
        assert_eq!(member_rows(&c, t, &bob.id), 0, "{t} rows for Bob remain");
    }
    assert_eq!(a.member("Bob").expect("Bob").status, "revoked");
    assert_permission("Bob opens", bob.try_open(&fx.path).map(|_| ()));
    // New epochs where Bob had a key; ops/prod (only a share) keeps its own.
    let epochs1: Vec<i64> = [PROD, DEV, OPS].iter().map(|e| epoch(&c, e)).collect();
    assert_eq!(epochs1, vec![epochs0[0] + 1, epochs0[1] + 1, epochs0[2]]);
    // History is re-encrypted too: the only blobs left unchanged are those
    // of the item Bob never could read.
    let blobs1 = all_blobs(&c);
    assert!(
        !blobs1.contains(&api_v1_blob),
        "API_KEY v1 not re-encrypted"
    );
    assert_eq!(
        blobs0.intersection(&blobs1).count(),
        1,
        "only OPS_PRIVATE's blob stays"
    );
    drop(c);

    // 2. The report: exactly what Bob could read.
    let got: BTreeSet<(String, String)> = report
        .items
        .iter()
        .map(|i| (i.env.clone(), i.key.clone()))
        .collect();
    let want: BTreeSet<(String, String)> = [
        (OPS, "SHARED_TOKEN"),
        (DEV, "OTHER"),
        (PROD, "API_KEY"),
        (PROD, "DB_PASS"),
    ]
    .iter()
    .map(|(e, k)| (e.to_string(), k.to_string()))
    .collect();
    assert_eq!(got, want);
    assert_eq!(report.member, "Bob");
    assert_eq!(report.fingerprint, bob.fingerprint);
    assert!(report.revoked_at.is_some());
    assert_eq!(report.open(), 4);
    for i in &report.items {
        assert!(!i.rotated, "{i:?}");
        assert!(i.last_rotated.is_some(), "{i:?}");
        assert!(
            !i.others_with_access.iter().any(|o| o.starts_with("Bob")),
            "{i:?}"
        );
    }
    let db = report
        .items
        .iter()
        .find(|i| i.key == "DB_PASS")
        .expect("DB");
    assert_eq!(db.url.as_deref(), Some("https://db.example.com"));
    assert_eq!(db.notes.as_deref(), Some("rotate in the console"));
    let mut others = db.others_with_access.clone();
    others.sort();
    assert_eq!(others, ["Ada", "Carol"]);
    let other = report
        .items
        .iter()
        .find(|i| i.key == "OTHER")
        .expect("OTHER");
    assert!(
        other
            .others_with_access
            .contains(&"Carol (shared)".to_string()),
        "{other:?}"
    );
    // The same report later, and statuses in the listing.
    assert_eq!(a.exposure_report("Bob").expect("report").items.len(), 4);
    let statuses: Vec<(String, Status)> = a
        .list_items(None, 14)
        .expect("ls")
        .into_iter()
        .map(|i| (i.name, i.status))
        .collect();
    for (name, st) in &statuses {
        let exposed = name != "OPS_PRIVATE";
        assert_eq!(*st == Status::Exposed, exposed, "{name}: {st:?}");
    }

    // 3. Everyone else still reads everything they should.
    assert_value(&mut a, PROD, "API_KEY", API_V2);
    assert_value(&mut a, PROD, "DB_PASS", DB_VALUE);
    assert_value(&mut a, DEV, "OTHER", OTHER_VALUE);
    assert_value(&mut a, OPS, "SHARED_TOKEN", SHARED_VALUE);
    assert_value(&mut a, OPS, "OPS_PRIVATE", PRIVATE_VALUE);
    let h: Vec<String> = a
        .history(PROD, "API_KEY", true)
        .expect("history --reveal")
        .into_iter()
        .map(|e| e.value.expect("revealed").expose_secret().to_string())
        .collect();
    assert_eq!(h, [API_V2, API_V1], "old versions open after the re-key");
    assert_verifies(&mut a);
    drop(a);
    let mut c = carol.open(&fx.path);
    assert_value(&mut c, PROD, "API_KEY", API_V2);
    assert_value(&mut c, PROD, "DB_PASS", DB_VALUE);
    assert_value(&mut c, DEV, "OTHER", OTHER_VALUE);
    assert_permission("Carol, ops", c.get_item(OPS, "SHARED_TOKEN"));
    drop(c);
    let mut d = dan.open(&fx.path);
    assert_value(&mut d, DEV, "OTHER", OTHER_VALUE);
    assert_value(&mut d, OPS, "SHARED_TOKEN", SHARED_VALUE);
    assert_value(&mut d, OPS, "OPS_PRIVATE", PRIVATE_VALUE);
    d.set_item(DEV, "OTHER", value(OTHER_VALUE))
        .expect("Dan still writes dev (same value: no rotation)");
    drop(d);

    // 4. On a copy, an attacker re-activates Bob and puts his old wraps
    //    and share back: his real key opens nothing current.
    let copy = fx.dir.path().join("attacked.coffer");
    copy_vault(&fx.path, &copy);
    {
        let c = rusqlite::Connection::open(&copy).expect("copy");
        c.execute(
            "UPDATE members SET status = 'active', revoked_at = NULL WHERE id = ?1",
            [bob_id],
        )
        .expect("re-activate");
        c.execute(
            "INSERT INTO grants (env_id, member_id, access) VALUES (?1, ?2, 'write')",
            params![env_id(&c, DEV), bob_id],
        )
        .expect("grant");
        insert_rows(&c, "env_wraps", &old_wraps);
        insert_rows(&c, "item_shares", &old_shares);
    }
    let mut b = bob.open(&copy);
    for (env, key) in [
        (PROD, "API_KEY"),
        (PROD, "DB_PASS"),
        (DEV, "OTHER"),
        (OPS, "SHARED_TOKEN"),
        (OPS, "OPS_PRIVATE"),
    ] {
        assert_no_value(
            &format!("{env} {key} with the old wraps"),
            b.get_item(env, key),
        );
    }
    let e = b
        .set_item(DEV, "OTHER", value("x"))
        .expect_err("a write with the old key");
    assert!(
        matches!(e.kind(), ErrorKind::Integrity | ErrorKind::Permission),
        "{e}"
    );
    drop(b);
    // Even with the epochs put back (so the old wraps open), the old
    // environment keys do not open the new item keys.
    {
        let c = rusqlite::Connection::open(&copy).expect("copy");
        for (e, ep) in [(PROD, epochs0[0]), (DEV, epochs0[1])] {
            c.execute(
                "UPDATE environments SET epoch = ?2 WHERE id = ?1",
                params![env_id(&c, e), ep],
            )
            .expect("epoch back");
        }
    }
    let mut b = bob.open(&copy);
    for (env, key) in [(PROD, "API_KEY"), (PROD, "DB_PASS"), (DEV, "OTHER")] {
        assert_kind(
            &format!("{env} {key} with the old epoch"),
            ErrorKind::Integrity,
            b.get_item(env, key),
        );
    }
    assert_kind("ls", ErrorKind::Integrity, b.list_items(Some(PROD), 14));
    drop(b);
    assert_verify_flags(&mut Vault::open(&copy, fx.unlock()).expect("Ada opens the copy"));

    // 5. A changed value clears its flag; other edits do not.
    let mut a = fx.open();
    a.set_item(PROD, "DB_PASS", value("rotated-db-password"))
        .expect("rotate");
    a.set_item(
        PROD,
        "API_KEY",
        ItemUpdate {
            notes: Some("only a note".into()),
            ..Default::default()
        },
    )
    .expect("notes only");
    let r = a.exposure_report("Bob").expect("report");
    let rotated: Vec<(&str, bool)> = r
        .items
        .iter()
        .map(|i| (i.key.as_str(), i.rotated))
        .collect();
    assert_eq!(
        rotated,
        [
            ("SHARED_TOKEN", false),
            ("OTHER", false),
            ("API_KEY", false),
            ("DB_PASS", true)
        ]
    );
    assert_eq!(r.open(), 3);
    let st = a.item_info(PROD, "DB_PASS").expect("info").status;
    assert_ne!(st, Status::Exposed);
    assert_eq!(
        a.item_info(PROD, "API_KEY").expect("info").status,
        Status::Exposed
    );
    assert_verifies(&mut a);
    drop(a);

    // 6. The CLI lists what is still exposed.
    let out = coffer(&fx, PASSPHRASE)
        .args(["rotation", "--exposed", "--json"])
        .output()
        .expect("coffer rotation");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let mut keys: Vec<String> = listed
        .as_array()
        .expect("array")
        .iter()
        .map(|i| {
            assert_eq!(i["status"], "exposed", "{i}");
            format!(
                "{}/{} {}",
                i["project"].as_str().expect("p"),
                i["env"].as_str().expect("e"),
                i["name"].as_str().expect("n")
            )
        })
        .collect();
    keys.sort();
    assert_eq!(
        keys,
        ["ops/prod SHARED_TOKEN", "web/dev OTHER", "web/prod API_KEY"]
    );
    let out = coffer(&fx, PASSPHRASE)
        .args(["audit", "verify"])
        .output()
        .expect("coffer audit verify");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn offboarding_exposes_what_they_could_ever_read_not_only_what_they_hold() {
    let (fx, _ada, mut v) = team_vault();
    let bob = Person::new(&fx, "Bob");
    add_member(
        &mut v,
        &bob,
        Role::Member,
        &[(PROD, Access::Read), (DEV, Access::Read)],
    );
    v.share(OPS, "SHARED_TOKEN", "Bob").expect("share");
    v.share(OPS, "OPS_PRIVATE", "Bob").expect("share");
    // Bob loses web/dev and one share before he leaves.
    v.ungrant("Bob", DEV).expect("ungrant");
    v.unshare(OPS, "OPS_PRIVATE", "Bob").expect("unshare");
    // The access ended at a whole second; rotate one item strictly after.
    std::thread::sleep(std::time::Duration::from_millis(1100));
    v.set_item(DEV, "LATER", value("created-after-bob-left-dev"))
        .expect("new item");
    v.add_env("new/env", None).expect("env Bob never saw");
    v.set_item("new/env", "NEVER_SEEN", value("x"))
        .expect("set");
    let dev_epoch = epoch(&fx.db(), DEV);
    let report = v.offboard("Bob", &mut |_, _| {}).expect("offboard");
    let got: BTreeSet<String> = report
        .items
        .iter()
        .map(|i| format!("{} {}", i.env, i.key))
        .collect();
    let want: BTreeSet<String> = [
        "web/prod API_KEY",
        "web/prod DB_PASS",
        "web/dev OTHER",
        "ops/prod SHARED_TOKEN",
        "ops/prod OPS_PRIVATE",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    assert_eq!(got, want, "everything Bob could ever read, nothing else");
    // web/dev was already re-keyed when he lost it: no new epoch.
    assert_eq!(epoch(&fx.db(), DEV), dev_epoch);
    assert_value(&mut v, DEV, "OTHER", OTHER_VALUE);
    assert_value(&mut v, OPS, "OPS_PRIVATE", PRIVATE_VALUE);
    for (env, key, exposed) in [
        (DEV, "OTHER", true),
        (DEV, "LATER", false),
        (OPS, "OPS_PRIVATE", true),
        ("new/env", "NEVER_SEEN", false),
    ] {
        let st = v.item_info(env, key).expect("info").status;
        assert_eq!(st == Status::Exposed, exposed, "{env} {key}: {st:?}");
    }
    assert_verifies(&mut v);
}

#[test]
fn offboarding_an_admin_keeps_the_people_they_granted_reading() {
    let (fx, _ada, mut v) = team_vault();
    let dan = Person::new(&fx, "Dan");
    let carol = Person::new(&fx, "Carol");
    let bob = Person::new(&fx, "Bob");
    add_member(
        &mut v,
        &dan,
        Role::Admin,
        &[(PROD, Access::Write), (OPS, Access::Write)],
    );
    drop(v);
    // Dan adds Carol and Bob: their wraps are signed by Dan.
    let mut d = dan.open(&fx.path);
    add_member(&mut d, &carol, Role::Reader, &[(PROD, Access::Read)]);
    add_member(&mut d, &bob, Role::Member, &[]);
    d.share(OPS, "OPS_PRIVATE", "Bob").expect("admin shares");
    drop(d);
    let mut a = fx.open();
    a.offboard("Dan", &mut |_, _| {}).expect("offboard Dan");
    assert_verifies(&mut a);
    drop(a);
    // Dan's signature no longer vouches for anything, yet nobody lost access.
    assert_eq!(
        fx.db()
            .query_row(
                "SELECT (SELECT COUNT(*) FROM env_wraps WHERE sender_id = ?1)
                      + (SELECT COUNT(*) FROM item_shares WHERE sender_id = ?1)",
                [&dan.id.0[..]],
                |r| r.get::<_, i64>(0),
            )
            .expect("count"),
        0,
        "wraps signed by the revoked admin remain"
    );
    assert_value(&mut carol.open(&fx.path), PROD, "API_KEY", API_V2);
    assert_value(&mut bob.open(&fx.path), OPS, "OPS_PRIVATE", PRIVATE_VALUE);
}

#[test]
fn an_exposure_report_needs_an_offboarding() {
    let (fx, _ada, mut v) = team_vault();
    let bob = Person::new(&fx, "Bob");
    add_member(&mut v, &bob, Role::Reader, &[(PROD, Access::Read)]);
    assert_kind(
        "active member",
        ErrorKind::NotFound,
        v.exposure_report("Bob"),
    );
    assert_kind("nobody", ErrorKind::NotFound, v.exposure_report("Nobody"));
    assert_kind(
        "offboard nobody",
        ErrorKind::NotFound,
        v.offboard("Nobody", &mut |_, _| {}),
    );
    v.offboard("Bob", &mut |_, _| {}).expect("offboard");
    assert_kind(
        "twice",
        ErrorKind::Conflict,
        v.offboard("Bob", &mut |_, _| {}),
    );
    assert_eq!(v.exposure_report("Bob").expect("report").items.len(), 2);
}

// ----- keeping wraps valid when a signer loses the right to vouch ----------

#[test]
fn demoting_an_admin_re_signs_their_wraps_so_readers_keep_reading() {
    let (fx, _ada, mut v) = team_vault();
    let dan = Person::new(&fx, "Dan");
    let bob = Person::new(&fx, "Bob");
    add_member(
        &mut v,
        &dan,
        Role::Admin,
        &[(PROD, Access::Write), (OPS, Access::Write)],
    );
    drop(v);
    let mut d = dan.open(&fx.path);
    add_member(&mut d, &bob, Role::Reader, &[(PROD, Access::Read)]);
    d.share(OPS, "SHARED_TOKEN", "Bob").expect("share");
    drop(d);
    let senders = |fx: &Fx, table: &str| -> Vec<Vec<u8>> {
        query_rows(
            &fx.db(),
            &format!("SELECT sender_id FROM {table} WHERE member_id = ?1"),
            &[&&bob.id.0[..]],
        )
        .into_iter()
        .map(|r| match &r[0] {
            rusqlite::types::Value::Blob(b) => b.clone(),
            v => panic!("{v:?}"),
        })
        .collect()
    };
    assert_eq!(senders(&fx, "env_wraps"), [dan.id.0.to_vec()]);
    let ada = Person::owner(&fx);
    for role in [Role::Member, Role::Reader] {
        fx.open().set_role("Dan", role).expect("demote");
        assert_eq!(
            senders(&fx, "env_wraps"),
            [ada.id.0.to_vec()],
            "re-signed by the owner"
        );
        let mut b = bob.open(&fx.path);
        assert_value(&mut b, PROD, "API_KEY", API_V2);
        assert_value(&mut b, OPS, "SHARED_TOKEN", SHARED_VALUE);
    }
    assert_eq!(senders(&fx, "item_shares"), [ada.id.0.to_vec()]);
    assert_verifies(&mut fx.open());
}

#[test]
fn downgrading_a_writer_keeps_the_shares_they_made_readable() {
    let (fx, _ada, mut v) = team_vault();
    let carol = Person::new(&fx, "Carol");
    let bob = Person::new(&fx, "Bob");
    add_member(&mut v, &carol, Role::Member, &[(DEV, Access::Write)]);
    add_member(&mut v, &bob, Role::Reader, &[]);
    drop(v);
    carol
        .open(&fx.path)
        .share(DEV, "OTHER", "Bob")
        .expect("a writer shares");
    assert_value(&mut bob.open(&fx.path), DEV, "OTHER", OTHER_VALUE);
    fx.open()
        .grant("Carol", DEV, Access::Read)
        .expect("downgrade");
    assert_value(&mut bob.open(&fx.path), DEV, "OTHER", OTHER_VALUE);
}

#[test]
fn demoting_an_admin_to_member_keeps_their_shares_readable() {
    let (fx, _ada, mut v) = team_vault();
    let dan = Person::new(&fx, "Dan");
    let bob = Person::new(&fx, "Bob");
    add_member(&mut v, &dan, Role::Admin, &[(OPS, Access::Read)]);
    add_member(&mut v, &bob, Role::Reader, &[]);
    drop(v);
    dan.open(&fx.path)
        .share(OPS, "SHARED_TOKEN", "Bob")
        .expect("an admin shares");
    assert_value(&mut bob.open(&fx.path), OPS, "SHARED_TOKEN", SHARED_VALUE);
    fx.open().set_role("Dan", Role::Member).expect("demote");
    assert_value(&mut bob.open(&fx.path), OPS, "SHARED_TOKEN", SHARED_VALUE);
}

#[test]
fn exporting_a_locked_environment_is_refused() {
    let (fx, _ada, mut v) = team_vault();
    let bob = Person::new(&fx, "Bob");
    add_member(&mut v, &bob, Role::Reader, &[(PROD, Access::Read)]);
    drop(v);
    let mut b = bob.open(&fx.path);
    for action in [
        coffer_vault::ops::ReadAction::Export,
        coffer_vault::ops::ReadAction::Run,
    ] {
        assert_permission("read a locked env", b.read_env(DEV, action));
    }
}

// ----- what the desktop app's team screens use ---------------------------

#[test]
fn a_pasted_identity_is_inspected_before_it_is_added() {
    let (fx, _ada, _v) = team_vault();
    let bob = Person::new(&fx, "Bob");
    let p = coffer_vault::inspect_public_identity(&format!("  {}\n", bob.public_identity))
        .expect("inspect");
    assert_eq!(
        (p.name.as_str(), p.fingerprint.as_str()),
        ("Bob", bob.fingerprint.as_str())
    );
    for bad in ["", "hello", "coffer1-AAAA", &bob.public_identity[..40]] {
        let e = coffer_vault::inspect_public_identity(bad).expect_err(bad);
        assert_eq!(e.kind(), ErrorKind::InvalidInput, "{bad}: {e}");
        assert!(
            e.to_string().starts_with("invalid public identity: "),
            "{e}"
        );
    }
}

#[test]
fn set_access_grants_changes_removes_and_ignores_no_change() {
    let (fx, _ada, mut v) = team_vault();
    let bob = Person::new(&fx, "Bob");
    add_member(&mut v, &bob, Role::Member, &[]);
    let ops = |v: &mut Vault| v.audit_log().expect("log").len();

    let n = ops(&mut v);
    let m = v.set_access("Bob", PROD, None).expect("none → none");
    assert!(m.grants.is_empty());
    assert_eq!(ops(&mut v), n, "no change, no op");

    let m = v.set_access("Bob", PROD, Some(Access::Read)).expect("read");
    assert_eq!(m.grants, ["web/prod:read"]);
    let n = ops(&mut v);
    v.set_access("Bob", PROD, Some(Access::Read))
        .expect("again");
    assert_eq!(ops(&mut v), n, "the same access records nothing");
    let m = v
        .set_access("Bob", PROD, Some(Access::Write))
        .expect("write");
    assert_eq!(m.grants, ["web/prod:write"]);
    drop(v);
    assert_value(&mut bob.open(&fx.path), PROD, "API_KEY", API_V2);

    let mut v = Person::owner(&fx).open(&fx.path);
    let m = v.set_access("Bob", PROD, None).expect("remove");
    assert!(m.grants.is_empty());
    drop(v);
    assert_permission(
        "Bob after his access was removed",
        bob.open(&fx.path).get_item(PROD, "API_KEY"),
    );
}

#[test]
fn item_sharing_lists_shares_readers_and_candidates() {
    let (fx, _ada, mut v) = team_vault();
    let bob = Person::new(&fx, "Bob");
    let carol = Person::new(&fx, "Carol");
    add_member(&mut v, &bob, Role::Member, &[(OPS, Access::Read)]);
    add_member(&mut v, &carol, Role::Member, &[]);
    let s = v.item_sharing(OPS, "SHARED_TOKEN").expect("sharing");
    assert!(s.shared_with.is_empty());
    assert_eq!(s.via_environment, ["Ada", "Bob"]);
    assert_eq!(s.candidates, ["Carol"]);
    v.share(OPS, "SHARED_TOKEN", "Carol").expect("share");
    let s = v.item_sharing(OPS, "SHARED_TOKEN").expect("sharing");
    assert_eq!(s.shared_with, ["Carol"]);
    assert!(s.candidates.is_empty());
    v.unshare(OPS, "SHARED_TOKEN", "Carol").expect("unshare");
    assert!(v
        .item_sharing(OPS, "SHARED_TOKEN")
        .expect("sharing")
        .shared_with
        .is_empty());
}

#[test]
fn the_offboarding_preview_says_why_it_would_be_refused() {
    let (fx, _ada, mut v) = team_vault();
    let bob = Person::new(&fx, "Bob");
    let carol = Person::new(&fx, "Carol");
    add_member(&mut v, &bob, Role::Admin, &[(PROD, Access::Read)]);
    add_member(&mut v, &carol, Role::Member, &[]);
    assert_eq!(
        v.offboard_preview("Ada").expect("self").refusal.as_deref(),
        Some("you cannot offboard yourself; ask another owner or admin")
    );
    assert_eq!(v.offboard_preview("Bob").expect("bob").refusal, None);
    drop(v);
    let mut b = bob.open(&fx.path);
    assert_eq!(
        b.offboard_preview("Ada").expect("owner").refusal.as_deref(),
        Some("the vault must keep at least one owner")
    );
    assert_eq!(b.offboard_preview("Carol").expect("carol").refusal, None);
}

/// Offboarding with its re-key's cryptography split over two threads
/// (issue 14) builds the same result as on one: the same report, and every
/// version of every item opening under the new epoch's key, with the value
/// it had, for the owner and for a reader who keeps access. Each run works
/// on its own copy of one vault, so only the thread count differs.
#[test]
fn offboarding_on_two_threads_equals_one() {
    const BIG: &str = "big/prod";
    let (fx, _) = standard();
    let ada = Person::owner(&fx);
    let bob = Person::new(&fx, "Bob");
    let carol = Person::new(&fx, "Carol");
    let mut v = ada.open(&fx.path);
    v.add_env(BIG, None).expect("env");
    // Enough items that each of two threads gets a share of every pass.
    for i in 0..120 {
        v.set_item(BIG, &format!("K{i:03}"), value(&format!("first-{i}")))
            .expect("set");
    }
    for i in (0..120).step_by(7) {
        v.set_item(BIG, &format!("K{i:03}"), value(&format!("second-{i}")))
            .expect("second version");
    }
    add_member(
        &mut v,
        &bob,
        Role::Member,
        &[(BIG, Access::Write), (PROD, Access::Read)],
    );
    add_member(&mut v, &carol, Role::Reader, &[(BIG, Access::Read)]);
    // A share carried on by the re-key, and one re-keyed on its own.
    v.share(PROD, "DB_PASS", "Carol").expect("share to Carol");
    v.share(DEV, "OTHER", "Bob").expect("share to Bob");
    let epochs0: Vec<i64> = {
        let c = fx.db();
        [BIG, PROD, DEV].iter().map(|e| epoch(&c, e)).collect()
    };
    drop(v);

    type Values = Vec<(String, u64, String)>;
    let values = every_version;
    let run = |threads: usize| -> (String, Values, Values) {
        let (f, people) = copy_fixture(&fx, &[&carol]);
        let mut a = f.open();
        a.set_crypto_threads(threads);
        let report = a.offboard("Bob", &mut |_, _| {}).expect("offboard");
        assert_verifies(&mut a);
        let c = f.db();
        let epochs: Vec<i64> = [BIG, PROD, DEV].iter().map(|e| epoch(&c, e)).collect();
        assert_eq!(
            epochs,
            vec![epochs0[0] + 1, epochs0[1] + 1, epochs0[2]],
            "{threads} threads: new epochs where Bob held a key"
        );
        drop(c);
        let owner = values(&mut a, &[BIG, PROD, DEV]);
        let kept = values(&mut people[0].open(&f.path), &[BIG]);
        (format!("{:?}", report.items), owner, kept)
    };
    let one = run(1);
    let two = run(2);
    assert_eq!(one.0, two.0, "the same exposure report");
    assert_eq!(one.1, two.1, "the owner opens the same versions and values");
    assert_eq!(one.2, two.2, "Carol opens the same versions and values");
    let big = one.1.iter().filter(|(k, _, _)| k.starts_with(BIG)).count();
    assert_eq!(big, 120 + 18, "every version of the big environment opens");
    assert!(one
        .1
        .contains(&(format!("{BIG}/K007"), 2, "second-7".into())));
    assert!(one
        .1
        .contains(&(format!("{BIG}/K007"), 1, "first-7".into())));
    assert_eq!(one.2.len(), 120 + 18, "Carol reads every version too");
}
