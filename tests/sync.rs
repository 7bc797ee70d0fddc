//! Issue 9, sync: three devices (separate COFFER_HOMEs, private replicas)
//! exchange signed feeds through a plain folder and through a bare git
//! repository, and converge; an attacker who writes the sync folder (or
//! their own replica) gets nothing accepted and is reported.

mod common;

use std::path::{Path, PathBuf};

use coffer_crypto::{Id, PrivateIdentity, SignPurpose};
use coffer_vault::ops::{kind, OpBody, OpHeader};
use coffer_vault::sync::feed::Entry;
use coffer_vault::sync::folder::Folder;
use coffer_vault::sync::Remote;
use coffer_vault::{Access, ErrorKind, Role, Vault};
use common::sync_fx::*;
use common::*;
use rusqlite::Connection;

fn exercise(fx: &Fx, bob: &Device, carol: &Device) {
    // Joined replicas read what the owner wrote.
    assert_value(&mut bob.open(), PROD, "API_KEY", API_V2);
    assert_value(&mut carol.open(), PROD, "DB_PASS", DB_VALUE);
    // A reader can write nothing, locally either.
    assert_permission(
        "a reader sets a value",
        carol.open().set_item(PROD, "X", value("nope")),
    );
    // Offline edits on two devices, then syncs in either order.
    bob.open()
        .set_item(PROD, "FROM_BOB", value("bob-value-1"))
        .expect("bob sets");
    fx.open()
        .set_item(PROD, "FROM_ADA", value("ada-value-1"))
        .expect("ada sets");
    fx.open()
        .add_env("api/staging", None)
        .expect("ada adds env");
    let r = bob.sync();
    assert_eq!(r.published, 2, "Bob's read and his edit: {r:?}");
    let r = fx.open().sync().expect("ada syncs");
    assert_eq!(r.applied, 2, "Ada takes Bob's read and edit: {r:?}");
    assert!(r.denied.is_empty(), "{r:?}");
    bob.sync();
    carol.sync();
    assert_value(&mut fx.open(), PROD, "FROM_BOB", "bob-value-1");
    assert_value(&mut carol.open(), PROD, "FROM_ADA", "ada-value-1");
    // Role changes and grants travel.
    fx.open()
        .grant("Carol", DEV, Access::Read)
        .expect("grant Carol dev");
    fx.open().set_role("Bob", Role::Admin).expect("Bob admin");
    fx.open().sync().expect("ada syncs");
    bob.sync();
    carol.sync();
    assert_value(&mut carol.open(), DEV, "OTHER", OTHER_VALUE);
    bob.open()
        .add_env("ops/prod", None)
        .expect("Bob, now admin, adds an env");
    // Offboarding propagates: Carol is revoked everywhere and holds no wrap.
    bob.sync();
    let report = fx
        .open()
        .offboard("Carol", &mut |_, _| {})
        .expect("offboard Carol");
    assert!(report.open() > 0, "Carol saw credentials");
    fx.open().sync().expect("ada syncs");
    bob.sync();
    let carol_id = carol.who.id;
    for p in [&fx.path, &bob.replica] {
        let c = Connection::open(p).expect("open");
        assert_eq!(
            member_rows(&c, "env_wraps", &carol_id),
            0,
            "no wrap for Carol in {}",
            p.display()
        );
    }
    // Carol's device learns it at her next sync.
    let mut cv = carol.open();
    let e = cv.sync().expect_err("Carol is revoked");
    assert_eq!(e.kind(), ErrorKind::Permission, "{e}");
    drop(cv);
    // A second sync round changes nothing; every replica agrees.
    fx.open().sync().expect("ada syncs");
    bob.sync();
    fx.open().sync().expect("ada syncs");
    assert_converged(&[&fx.path, &bob.replica]);
    let mut ada = fx.open();
    let mut bobv = bob.open();
    assert_eq!(
        ada.exposure_report("Carol").expect("report").items.len(),
        bobv.exposure_report("Carol").expect("report").items.len(),
        "the exposure report is the same on every replica"
    );
    assert!(
        ada.verify().expect("verify").ok(),
        "{}",
        ada.verify().expect("v").verdict()
    );
    assert!(
        bobv.verify().expect("verify").ok(),
        "{}",
        bobv.verify().expect("v").verdict()
    );
}

#[test]
fn three_devices_converge_through_a_folder() {
    let (fx, _remote, bob, carol) = team(folder_remote);
    exercise(&fx, &bob, &carol);
}

#[test]
fn three_devices_converge_through_a_bare_git_repository() {
    let (fx, remote, bob, carol) = team(git_remote);
    let Remote::Git(url) = &remote else {
        unreachable!()
    };
    exercise(&fx, &bob, &carol);
    // The remote holds feeds and the descriptor, never a table.
    let out = std::process::Command::new("git")
        .args(["--git-dir", url, "ls-tree", "-r", "--name-only", "main"])
        .output()
        .expect("git ls-tree");
    let names = String::from_utf8_lossy(&out.stdout);
    assert!(names.lines().any(|l| l == "coffer-vault.json"), "{names}");
    assert!(
        names.lines().all(|l| l == "coffer-vault.json"
            || l == ".gitattributes"
            || (l.starts_with("feeds/") && l.ends_with(".op"))),
        "{names}"
    );
}

/// Concurrent edits of one item: every replica ends with the same current
/// version whatever order the syncs ran in; the other edit is kept beside
/// it and the item is flagged until someone resolves it (never a silent
/// overwrite); the resolution travels like any change.
#[test]
fn concurrent_edits_are_kept_flagged_and_resolved_the_same_way_everywhere() {
    let (fx, _remote, bob, carol) = team(folder_remote);
    bob.open()
        .set_item(PROD, "DB_PASS", value("bob-concurrent"))
        .expect("bob");
    fx.open()
        .set_item(PROD, "DB_PASS", value("ada-concurrent"))
        .expect("ada");
    let rb = bob.sync();
    let ra = fx.open().sync().expect("ada");
    let rb2 = bob.sync();
    carol.sync();
    for r in [&ra, &rb, &rb2] {
        assert!(
            r.denied.is_empty(),
            "a concurrent edit is not denied: {r:?}"
        );
    }
    assert_converged(&[&fx.path, &bob.replica, &carol.replica]);
    let current = |v: &mut Vault| v.get_item(PROD, "DB_PASS").expect("get");
    let (ia, a) = current(&mut fx.open());
    let (ib, b) = current(&mut bob.open());
    assert_eq!(a.expose_secret(), b.expose_secret());
    assert!(ia.conflict && ib.conflict, "flagged on every replica");
    let other = if a.expose_secret() == "ada-concurrent" {
        "bob-concurrent"
    } else {
        "ada-concurrent"
    };
    let waiting = carol
        .open()
        .conflicts(PROD, "DB_PASS", true)
        .expect("conflicts");
    assert_eq!(waiting.len(), 1);
    assert_eq!(
        waiting[0].value.as_ref().expect("value").expose_secret(),
        other,
        "the other edit is kept, readable"
    );
    // A scan searches for the waiting value too: its writer may have set
    // it at the provider.
    let states = scan_states(
        &mut carol.open(),
        &format!("x={a}\ny={other}\n", a = a.expose_secret()),
    );
    assert_eq!(states, vec!["current", "waiting"]);
    let h = bob.open().history(PROD, "DB_PASS", false).expect("history");
    assert!(h.iter().any(|e| e.conflict), "history lists it");
    // A reader cannot resolve; Bob picks the other edit.
    assert_permission(
        "a reader resolves",
        carol.open().resolve_conflict(PROD, "DB_PASS", None),
    );
    bob.open()
        .resolve_conflict(PROD, "DB_PASS", Some(1))
        .expect("resolve");
    bob.sync();
    carol.sync();
    fx.open().sync().expect("ada");
    bob.sync();
    carol.sync();
    for p in [&fx.path, &bob.replica, &carol.replica] {
        let c = Connection::open(p).expect("open");
        let n: i64 = c
            .query_row("SELECT COUNT(*) FROM item_conflicts", [], |r| r.get(0))
            .expect("count");
        assert_eq!(n, 0, "resolved in {}", p.display());
    }
    let (ia, a) = current(&mut fx.open());
    assert_eq!(a.expose_secret(), other);
    assert!(!ia.conflict);
    assert_converged(&[&fx.path, &bob.replica, &carol.replica]);
    assert!(fx.open().verify().expect("verify").ok());
}

// ----- the attacker writes the sync folder --------------------------------

/// Signs an entry as `signer` at the end of `device`'s feed in the folder.
fn forge_next(
    remote: &Remote,
    vault_id: Id,
    device: Id,
    signer: &PrivateIdentity,
    body: &OpBody,
) -> PathBuf {
    let seq = last_seq(remote, &device);
    let (prev, hlc) = if seq == 0 {
        ([0u8; 32], 1u64 << 16)
    } else {
        let e = Entry::decode(&std::fs::read(entry_file(remote, &device, seq)).expect("read"))
            .expect("decode");
        (e.hash(), e.header.hlc + 1)
    };
    let now_hlc = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("time")
        .as_millis() as u64)
        << 16;
    let body = body.encode();
    let header = OpHeader {
        op_id: Id::make(),
        vault_id,
        device_id: device,
        device_seq: seq + 1,
        author_id: signer.id(),
        hlc: hlc.max(now_hlc),
        kind: OpBody::decode(&body).expect("body").kind(),
        prev_hash: prev,
    };
    let sig = signer.sign(SignPurpose::Op, &header.signed_bytes(&body));
    let e = Entry {
        header,
        body,
        sig: sig.as_slice().try_into().expect("sig"),
    };
    let p = entry_file(remote, &device, seq + 1);
    std::fs::create_dir_all(p.parent().expect("dir")).expect("mkdir");
    std::fs::write(&p, e.encode()).expect("write");
    p
}

/// Attack 1, new model: an outsider signs a genesis of their own for the
/// vault id and publishes it as a feed. It is quarantined; nobody's state
/// moves; a device joining afterwards still gets the real vault.
#[test]
fn fail_an_outsiders_genesis_in_the_folder_is_quarantined() {
    let (fx, remote, bob, _carol) = team(folder_remote);
    let vault_id = fx.open().id();
    let before = derived(&fx.path);
    let mallory = PrivateIdentity::make();
    let owner = owner_record(&mallory, "Mallory");
    forge_next(
        &remote,
        vault_id,
        Id::make(),
        &mallory,
        &OpBody::Genesis {
            vault_id,
            name: "Acme".into(),
            owner,
        },
    );
    let r = fx.open().sync().expect("ada syncs");
    assert_eq!(r.quarantined.len(), 1, "{r:?}");
    assert!(r.quarantined[0].contains("genesis"), "{r:?}");
    assert_eq!(
        derived(&fx.path)[..9],
        before[..9],
        "Ada's state did not move"
    );
    let r = bob.sync();
    assert_eq!(r.quarantined.len(), 1, "{r:?}");
    let dave = Device::new(&fx, "Dave");
    let e = dave.join(&remote).expect_err("Dave is no member");
    assert_eq!(e.kind(), ErrorKind::Permission, "{e}");
    assert!(
        !dave.replica.exists(),
        "a failed join leaves nothing behind"
    );
}

/// Attack 2, new model: a reader signs a role change for themselves and
/// publishes it. Every device denies it, with the reason, and the reader
/// stays a reader; their own replica, edited to say owner, is refused.
#[test]
fn fail_a_reader_raising_their_own_role_is_denied_everywhere() {
    let (fx, remote, bob, carol) = team(folder_remote);
    let vault_id = fx.open().id();
    let cdev = device_of(&carol.open());
    // Her own device refuses, and records the attempt in her feed; a
    // modified client publishes it anyway.
    assert_permission(
        "a reader raises herself",
        carol.open().set_role("Carol", Role::Owner),
    );
    leak_chain(&carol.replica, &remote, vault_id, &cdev);
    let r = fx.open().sync().expect("ada syncs");
    assert_eq!(r.denied.len(), 1, "{r:?}");
    assert!(r.denied[0].reason.contains("permission denied"), "{r:?}");
    bob.sync();
    assert_eq!(fx.open().member("Carol").expect("carol").role, Role::Reader);
    assert_eq!(
        bob.open().member("Carol").expect("carol").role,
        Role::Reader
    );
    // Her own replica, edited by hand: refused at open.
    {
        let c = Connection::open(&carol.replica).expect("open");
        c.execute("UPDATE members SET role = 'owner' WHERE name = 'Carol'", [])
            .expect("edit");
    }
    let e = carol
        .who
        .try_open(&carol.replica)
        .expect_err("edited replica");
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    assert!(e.to_string().contains("sync --rebuild"), "{e}");
}

/// Attack 3, new model: the outcome of an applied op flipped in a replica
/// is caught at open (the seal covers every log row).
#[test]
fn fail_a_flipped_outcome_in_a_replica_is_refused_at_open() {
    let (fx, _remote, bob, _carol) = team(folder_remote);
    {
        let c = Connection::open(&bob.replica).expect("open");
        c.execute(
            "UPDATE ops SET outcome = 'denied' WHERE kind = ?1",
            [kind::ADD_MEMBER],
        )
        .expect("flip");
    }
    let e = bob.who.try_open(&bob.replica).expect_err("flipped");
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    drop(fx);
}

/// An entry edited in the folder, a feed truncated behind what a device
/// applied, an entry replayed from another vault: each quarantines that
/// feed only; the others keep flowing; nothing panics.
#[test]
fn fail_edited_truncated_and_replayed_feeds_are_quarantined() {
    let (fx, remote, bob, carol) = team(folder_remote);
    let adev = device_of(&fx.open());
    let bdev = device_of(&bob.open());
    // Edited: flip a byte of the body of Ada's newest entry after Bob's
    // device has not read it yet.
    fx.open()
        .set_item(PROD, "NEW", value("new-value"))
        .expect("set");
    fx.open().sync().expect("sync");
    let p = entry_file(&remote, &adev, last_seq(&remote, &adev));
    let mut b = std::fs::read(&p).expect("read");
    let n = b.len();
    b[n - 80] ^= 1;
    std::fs::write(&p, &b).expect("write");
    bob.open()
        .set_item(PROD, "BOBS", value("bob-ok"))
        .expect("set");
    let r = bob.sync();
    assert_eq!(r.quarantined.len(), 1, "{r:?}");
    assert!(r.quarantined[0].contains(&adev.short()), "{r:?}");
    assert_kind(
        "Ada's edited entry",
        ErrorKind::NotFound,
        bob.open().get_item(PROD, "NEW"),
    );
    // Carol still gets Bob's entries (another feed).
    carol.sync();
    assert_value(&mut carol.open(), PROD, "BOBS", "bob-ok");
    // Truncated: Bob's newest entry, which Carol applied, is deleted.
    std::fs::remove_file(entry_file(&remote, &bdev, last_seq(&remote, &bdev))).expect("rm");
    let r = carol.sync();
    assert!(r.quarantined.iter().any(|q| q.contains("gone")), "{r:?}");
    // Replayed from another vault: a genuine entry of another vault as the
    // next entry of Bob's feed.
    let (other, _) = standard();
    let other_remote = Remote::Folder(other.dir.path().join("shared"));
    let mut ov = other.open();
    ov.sync_init(other_remote.clone()).expect("other init");
    let odev = device_of(&ov);
    drop(ov);
    let seq = last_seq(&remote, &bdev) + 1;
    std::fs::copy(
        entry_file(&other_remote, &odev, 2),
        entry_file(&remote, &bdev, seq),
    )
    .expect("copy");
    let r = fx.open().sync().expect("ada");
    assert!(
        r.warnings.iter().any(|w| w.contains("altered")),
        "Ada puts her altered entry back: {r:?}"
    );
    assert!(
        r.quarantined
            .iter()
            .any(|q| q.contains("another vault") || q.contains("chain")),
        "{r:?}"
    );
    // Sync conflict copies and stray files: ignored with a warning.
    std::fs::write(
        feed_dir(&remote, &adev).join("00000000000000000001.op.sync-conflict-20261205"),
        b"junk",
    )
    .expect("write");
    let r = bob.sync();
    assert!(r.warnings.iter().any(|w| w.contains("stray")), "{r:?}");
}

/// A revoked member who keeps syncing: entries they sign after the
/// revocation are denied on every device and they hold no key of the new
/// epoch.
#[test]
fn fail_a_revoked_member_gets_nothing_accepted() {
    let (fx, remote, bob, carol) = team(folder_remote);
    let vault_id = fx.open().id();
    let bdev = device_of(&bob.open());
    fx.open()
        .offboard("Bob", &mut |_, _| {})
        .expect("offboard Bob");
    fx.open().sync().expect("sync");
    // Bob's device has not seen the revocation; he writes, and his
    // client publishes without taking anything in.
    bob.open()
        .set_item(PROD, "AFTER", value("written-after-revocation"))
        .expect("Bob's replica still lets him");
    leak_chain(&bob.replica, &remote, vault_id, &bdev);
    let r = fx.open().sync().expect("ada");
    assert_eq!(r.denied.len(), 1, "{r:?}");
    assert!(r.denied[0].reason.contains("revoked"), "{r:?}");
    carol.sync();
    for p in [&fx.path, &carol.replica] {
        let c = Connection::open(p).expect("open");
        assert_eq!(member_rows(&c, "env_wraps", &bob.who.id), 0);
    }
    assert_converged(&[&fx.path, &carol.replica]);
    assert_kind(
        "Bob's write after revocation",
        ErrorKind::NotFound,
        fx.open().get_item(PROD, "AFTER"),
    );
}

/// A sync of many entries checks their signatures on every core before
/// applying them; that shortcut must not let a bad one through: an entry
/// whose signature was altered, in a run of 80, stops its feed there (the
/// entries before it are applied, nothing from it on).
#[test]
fn fail_a_bad_signature_in_a_large_sync_is_caught() {
    let (fx, remote, bob, _carol) = team(folder_remote);
    bob.sync();
    let adev = device_of(&fx.open());
    {
        let mut v = fx.open();
        for i in 0..80 {
            v.set_item(PROD, &format!("MANY_{i}"), value(&format!("value-{i}")))
                .expect("set");
        }
        v.sync().expect("ada publishes");
    }
    let last = last_seq(&remote, &adev);
    let bad = last - 10;
    let p = entry_file(&remote, &adev, bad);
    let mut b = std::fs::read(&p).expect("read");
    let n = b.len();
    b[n - 1] ^= 1; // the signature's last byte
    std::fs::write(&p, &b).expect("write");
    let r = bob.sync();
    assert!(
        r.quarantined
            .iter()
            .any(|q| q.contains(&adev.short()) && q.contains("signature")),
        "{r:?}"
    );
    assert_value(&mut bob.open(), PROD, "MANY_68", "value-68");
    assert_kind(
        "the entry with the altered signature",
        ErrorKind::NotFound,
        bob.open().get_item(PROD, "MANY_69"),
    );
}

/// The states (`current`, `waiting`…) of the web/prod values a scan of
/// `text` finds, in the order found.
fn scan_states(v: &mut Vault, text: &str) -> Vec<&'static str> {
    let m = coffer_vault::scan::Matcher::build(v.scan_values(Some(PROD), false).expect("values"))
        .expect("matcher");
    let mut out = Vec::new();
    m.scan_reader(text.as_bytes(), 1 << 20, |h| {
        for &(t, _) in m.sources(h.pattern) {
            out.push(m.targets()[t].state.as_str());
        }
    })
    .expect("scan");
    out
}

/// Two devices create the same name at the same time (neither had seen
/// the other's): two items. Every device lets the same one stand for the
/// name (created first, then the lower id), so lists, `get` and export
/// show it once, flagged as a conflict; the other value waits, and keeping
/// either ends with one item everywhere.
#[test]
fn the_same_name_created_on_two_devices_is_one_credential_in_conflict() {
    let (fx, _remote, bob, _carol) = team(folder_remote);
    bob.sync();
    fx.open()
        .set_item(PROD, "TWIN", value("from-ada"))
        .expect("ada creates");
    bob.open()
        .set_item(PROD, "TWIN", value("from-bob"))
        .expect("bob creates");
    fx.open().sync().expect("ada");
    bob.sync();
    fx.open().sync().expect("ada");
    let mut values = Vec::new();
    for mut v in [fx.open(), bob.open()] {
        let twins: Vec<_> = v
            .list_items(Some(PROD), 14)
            .expect("list")
            .into_iter()
            .filter(|i| i.name == "TWIN")
            .collect();
        assert_eq!(twins.len(), 1, "the name is listed once");
        assert!(twins[0].conflict, "and flagged");
        let exported = v
            .read_env(PROD, coffer_vault::ops::ReadAction::Export)
            .expect("export");
        assert_eq!(exported.iter().filter(|(i, _)| i.name == "TWIN").count(), 1);
        let (s, val) = v.get_item(PROD, "TWIN").expect("get");
        // Again, now through the blind name index (the first get wrote
        // it): the same twin stands for the name, flagged the same.
        for _ in 0..2 {
            let (again, same) = v.get_item(PROD, "TWIN").expect("get again");
            assert_eq!(same.expose_secret(), val.expose_secret());
            assert_eq!((again.id, again.conflict), (s.id, s.conflict));
        }
        values.push(val.expose_secret().to_string());
        let waiting = v.conflicts(PROD, "TWIN", true).expect("conflicts");
        assert_eq!(waiting.len(), 1, "{waiting:?}");
        // A scan searches for both values: the one standing for the name
        // and its twin's, waiting.
        let mut states = scan_states(&mut v, "from-ada from-bob");
        states.sort();
        assert_eq!(states, vec!["current", "waiting"]);
    }
    assert_eq!(
        values[0], values[1],
        "the same one stands for the name on both"
    );
    // Bob keeps the other value.
    let other = if values[0] == "from-ada" {
        "from-bob"
    } else {
        "from-ada"
    };
    bob.open()
        .resolve_conflict(PROD, "TWIN", Some(1))
        .expect("keep the other");
    bob.sync();
    fx.open().sync().expect("ada");
    for mut v in [fx.open(), bob.open()] {
        assert_value(&mut v, PROD, "TWIN", other);
        assert!(v.conflicts(PROD, "TWIN", false).expect("c").is_empty());
    }
    assert_converged(&[&fx.path, &bob.replica]);
}

/// One sync reads at most its budget of new entries into memory (each
/// feed an equal share, at least one entry); the rest waits for the next
/// sync, said so in the report, and the replicas converge all the same.
#[test]
fn a_sync_reads_within_its_memory_budget_and_the_rest_next_time() {
    let (fx, _remote, bob, _carol) = team(folder_remote);
    bob.sync();
    {
        let mut v = fx.open();
        for i in 0..30 {
            v.set_item(PROD, &format!("BUDGET_{i}"), value(&format!("value-{i}")))
                .expect("set");
        }
        v.sync().expect("ada publishes");
    }
    let mut v = bob.open();
    v.set_sync_read_budget(4096);
    let r = v.sync().expect("first sync");
    assert!(
        r.held_back.iter().any(|h| h.contains("memory bound")),
        "{r:?}"
    );
    assert!(r.applied > 0 && r.applied < 30, "{r:?}");
    let mut rounds = 1;
    while !v.sync().expect("sync").held_back.is_empty() {
        rounds += 1;
        assert!(rounds < 100, "the feeds never drained");
    }
    assert!(rounds > 1);
    assert_value(&mut v, PROD, "BUDGET_29", "value-29");
    drop(v);
    assert_converged(&[&fx.path, &bob.replica]);
}

/// A COFFER_HOME restored on a second machine must not fork its feed
/// silently: the copy refuses to publish and says how to go on.
#[test]
fn fail_a_restored_home_does_not_fork_its_feed() {
    let (fx, _remote, bob, _carol) = team(folder_remote);
    let copy_home = fx.dir.path().join("bob-copy-home");
    copy_dir(&bob.who.home, &copy_home);
    let copy_replica = fx.dir.path().join("bob-copy.coffer");
    copy_vault(&bob.replica, &copy_replica);
    bob.open()
        .set_item(PROD, "ONE", value("from-original"))
        .expect("set");
    bob.sync();
    let copy = Person {
        name: "Bob".into(),
        home: copy_home,
        id: bob.who.id,
        public_identity: bob.who.public_identity.clone(),
        fingerprint: bob.who.fingerprint.clone(),
    };
    let mut v = copy.open(&copy_replica);
    v.set_item(PROD, "ONE", value("from-copy")).expect("set");
    let e = v.sync().expect_err("a fork");
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    assert!(e.to_string().contains("new device"), "{e}");
    drop(v);
    fx.open().sync().expect("ada");
    assert_value(&mut fx.open(), PROD, "ONE", "from-original");
}

/// A replica another device wrote directly (the old shared-file way) is
/// refused with a message that says to join instead.
#[test]
fn fail_a_replica_opened_by_another_device_is_refused() {
    let (fx, _remote, bob, _carol) = team(folder_remote);
    let e = bob.who.try_open(&fx.path).expect_err("Ada's replica");
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    assert!(e.to_string().contains("coffer join"), "{e}");
}

/// Join shows the descriptor and stops when the user does not confirm.
#[test]
fn join_stops_when_the_fingerprint_is_not_confirmed() {
    let (fx, remote, _bob, _carol) = team(folder_remote);
    let dave = Device::new(&fx, "Dave");
    let owner_fp = Person::owner(&fx).fingerprint;
    let e = Vault::join(&dave.replica, dave.who.unlock(), remote, &|d| {
        assert_eq!(d.owner_fingerprint, owner_fp);
        Err(coffer_vault::Error::Refused("not confirmed".into()))
    })
    .expect_err("not confirmed");
    assert_eq!(e.kind(), ErrorKind::Conflict, "{e}");
    assert!(!dave.replica.exists());
    let _ = Folder::new(Path::new("/nonexistent"));
}

/// Property: whatever order three devices edit and sync in (offline edits,
/// concurrent edits of the same keys, an admin adding environments, syncs
/// repeated), once every device has synced until nothing changes, the
/// replicas hold the same state and the same log; a full replay from
/// scratch gives that state again.
#[test]
fn random_interleavings_converge() {
    for seed in 1..=5u64 {
        let (fx, _remote, bob, carol) = team(folder_remote);
        fx.open().set_role("Bob", Role::Admin).expect("admin");
        fx.open()
            .grant("Carol", PROD, Access::Write)
            .expect("grant");
        fx.open().set_role("Carol", Role::Member).expect("member");
        fx.open().sync().expect("ada");
        bob.sync();
        carol.sync();
        let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        let mut next = move |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        for step in 0..14 {
            let who = next(3);
            let action = next(10);
            let mut v = match who {
                0 => fx.open(),
                1 => bob.open(),
                _ => carol.open(),
            };
            match action {
                0..=4 => {
                    let key = ["K0", "K1", "K2"][next(3) as usize];
                    v.set_item(PROD, key, value(&format!("s{seed}-{step}-{who}")))
                        .expect("set");
                }
                5 if who < 2 => {
                    // Bob's replica may not know yet that he is admin:
                    // then it is refused and recorded as denied.
                    if let Err(e) = v.add_env(&format!("p{who}/e{step}"), None) {
                        assert_eq!(e.kind(), ErrorKind::Permission, "{e}");
                    }
                }
                _ => {
                    v.sync().expect("sync");
                }
            }
        }
        // Quiesce: everyone syncs until a round changes nothing.
        for _ in 0..3 {
            fx.open().sync().expect("ada");
            bob.sync();
            carol.sync();
        }
        assert_converged(&[&fx.path, &bob.replica, &carol.replica]);
        let before = derived(&bob.replica);
        bob.open().sync_with(true).expect("replay");
        assert_eq!(
            derived(&bob.replica),
            before,
            "seed {seed}: a replay changes nothing"
        );
        assert!(fx.open().verify().expect("verify").ok(), "seed {seed}");
    }
}

/// Attack 6, new model: a reader seals a new value with the item key every
/// reader can derive and publishes it as a signed `item.set`. Every device
/// denies it; `get` and `history` are unchanged everywhere.
#[test]
fn fail_a_reader_forging_a_value_is_denied_everywhere() {
    let (fx, remote, bob, carol) = team(folder_remote);
    let vault_id = fx.open().id();
    let cdev = device_of(&carol.open());
    assert_permission(
        "a reader sets a value",
        carol
            .open()
            .set_item(PROD, "DB_PASS", value("forged-by-carol")),
    );
    leak_chain(&carol.replica, &remote, vault_id, &cdev);
    let r = fx.open().sync().expect("ada");
    assert!(
        r.denied
            .iter()
            .any(|d| d.kind == "item.set" && d.reason.contains("reader")),
        "{r:?}"
    );
    bob.sync();
    assert_value(&mut fx.open(), PROD, "DB_PASS", DB_VALUE);
    assert_value(&mut bob.open(), PROD, "DB_PASS", DB_VALUE);
    let h = bob.open().history(PROD, "DB_PASS", false).expect("history");
    assert_eq!(h.len(), 1, "no version was added");
}

#[test]
fn sync_status_counts_each_feed_and_this_devices_pending_entries() {
    let (fx, remote, bob, _carol) = team(folder_remote);
    // Bob publishes something (a write of his), so his feed is in the folder.
    bob.open()
        .set_item(PROD, "FROM_BOB", value("bob-value"))
        .expect("bob sets");
    bob.sync();
    let mut ada = fx.open();
    ada.sync().expect("ada syncs");
    let s = ada.sync_status().expect("status");
    let mine = s.feeds.iter().find(|f| f.mine).expect("own feed");
    assert_eq!(s.pending, 0, "{s:?}");
    assert_eq!(mine.in_folder, mine.applied, "{s:?}");
    assert_eq!(mine.in_folder, last_seq(&remote, &device_of(&ada)));
    // 37 local changes, not yet published: all pending, none in the folder.
    for i in 0..37 {
        ada.set_item(PROD, &format!("K{i}"), value("pending-value"))
            .expect("set");
    }
    let s = ada.sync_status().expect("status");
    assert_eq!(s.pending, 37, "{s:?}");
    ada.sync().expect("ada syncs");
    let s = ada.sync_status().expect("status");
    let mine = s.feeds.iter().find(|f| f.mine).expect("own feed");
    assert_eq!((s.pending, mine.in_folder), (0, mine.applied), "{s:?}");
    // Bob's feed as Ada's device sees it.
    let bobs = s
        .feeds
        .iter()
        .find(|f| f.device == device_of(&bob.open()).to_hex())
        .expect("Bob's feed");
    assert_eq!(bobs.in_folder, last_seq(&remote, &device_of(&bob.open())));
}

#[test]
fn a_failed_join_hands_the_unlocked_identity_back_and_leaves_no_file() {
    let (fx, remote, _bob, _carol) = team(folder_remote);
    // Dave was never added: the join fails, his identity comes back.
    let dave = Device::new(&fx, "Dave");
    let f = match Vault::join_keeping(
        &dave.replica,
        dave.who.unlock(),
        remote.clone(),
        &|_| Ok(()),
    ) {
        Ok(_) => panic!("an outsider joined"),
        Err(f) => f,
    };
    assert_eq!(f.error.kind(), ErrorKind::Permission, "{}", f.error);
    assert!(!dave.replica.exists(), "no replica is left behind");
    assert_eq!(f.identity.name(), "Dave");
    // The same refusal at the confirmation: nothing written either.
    let f = match Vault::join_keeping(&dave.replica, *f.identity, remote, &|_| {
        Err(coffer_vault::Error::Refused("not confirmed".into()))
    }) {
        Ok(_) => panic!("joined without confirmation"),
        Err(f) => f,
    };
    assert!(!dave.replica.exists());
    assert_eq!(f.identity.name(), "Dave");
}

/// A replica edited outside Coffer (here: its owner made himself owner)
/// does not open; `sync --rebuild` moves it aside, rebuilds it from the
/// folder, and keeps the device's offline changes, which verify.
#[test]
fn a_replica_edited_outside_coffer_is_rebuilt_from_the_folder_keeping_offline_changes() {
    let (fx, _remote, bob, _carol) = team(folder_remote);
    // Offline: two changes not published yet.
    bob.open()
        .set_item(PROD, "OFFLINE_1", value("offline-one"))
        .expect("set");
    bob.open()
        .set_item(PROD, "OFFLINE_2", value("offline-two"))
        .expect("set");
    {
        let c = Connection::open(&bob.replica).expect("open");
        c.execute("UPDATE members SET role = 'owner' WHERE name = 'Bob'", [])
            .expect("edit");
    }
    let e = bob.who.try_open(&bob.replica).expect_err("edited");
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    let (mut v, r, rebuilt) = Vault::rebuild(&bob.replica, bob.who.unlock()).expect("rebuild");
    let b = rebuilt.expect("rebuilt from the folder");
    assert!(b.salvaged >= 2, "{b:?}");
    assert_eq!(b.dropped, 0, "{b:?}");
    assert!(b.reason.contains("outside"), "{b:?}");
    let aside = b.moved_aside.expect("moved aside");
    assert!(aside.exists(), "the edited file is kept as evidence");
    assert!(r.quarantined.is_empty(), "{r:?}");
    assert_value(&mut v, PROD, "OFFLINE_2", "offline-two");
    let me = v
        .list_members()
        .expect("members")
        .into_iter()
        .find(|m| m.name == "Bob")
        .expect("Bob");
    assert_eq!(me.role, Role::Member, "the edit is gone");
    drop(v);
    // It opens again, and keeps working; the owner gets the offline edits.
    bob.open()
        .set_item(PROD, "AFTER", value("after-rebuild"))
        .expect("set after");
    bob.sync();
    fx.open().sync().expect("ada syncs");
    assert_value(&mut fx.open(), PROD, "OFFLINE_1", "offline-one");
    assert_value(&mut fx.open(), PROD, "AFTER", "after-rebuild");
    assert_converged(&[&fx.path, &bob.replica]);
}

/// An older copy of the replica restored over it does not open; the
/// rebuild makes one that does (its seal starts above the recorded one).
#[test]
fn a_rolled_back_replica_is_rebuilt_and_opens_again() {
    let (fx, _remote, bob, _carol) = team(folder_remote);
    bob.sync();
    let old = fx.dir.path().join("bob-old.coffer");
    std::fs::copy(&bob.replica, &old).expect("copy");
    bob.open()
        .set_item(PROD, "NEWER", value("newer-value"))
        .expect("set");
    bob.sync();
    std::fs::copy(&old, &bob.replica).expect("roll back");
    let e = bob.who.try_open(&bob.replica).expect_err("rolled back");
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    let (_, _, rebuilt) = Vault::rebuild(&bob.replica, bob.who.unlock()).expect("rebuild");
    assert!(rebuilt.is_some());
    assert_value(&mut bob.open(), PROD, "NEWER", "newer-value");
}

/// A replica that opens is only replayed; a vault that does not sync
/// cannot be rebuilt from anything, and says so; a failed rebuild leaves
/// the old file where it was.
#[test]
fn rebuild_of_a_healthy_or_unsynced_vault() {
    let (fx, _remote, bob, _carol) = team(folder_remote);
    let (_, _, rebuilt) = Vault::rebuild(&bob.replica, bob.who.unlock()).expect("replay");
    assert!(rebuilt.is_none());
    let (lone, _) = standard();
    {
        let c = Connection::open(&lone.path).expect("open");
        c.execute(
            "CREATE TRIGGER t AFTER INSERT ON ops BEGIN SELECT 1; END",
            [],
        )
        .expect("trigger");
    }
    let e = match Vault::rebuild(&lone.path, lone.unlock()) {
        Ok(_) => panic!("an unsynced vault was rebuilt"),
        Err(e) => e,
    };
    assert_eq!(e.kind(), ErrorKind::NotFound, "{e}");
    assert!(lone.path.exists());
    drop(fx);
}

/// The old file's entries are salvaged only when they verify: an offline
/// entry whose body was altered is dropped, never published, and the ones
/// after it too (the chain breaks there). Whoever altered it may hold the
/// genuine entry, so the device cannot sign another at its position: the
/// rebuild is refused (continue as a new device), the old file stays where
/// it was, and the intact entries before it reach the team.
#[test]
fn fail_an_altered_offline_entry_is_not_salvaged() {
    let (fx, remote, bob, _carol) = team(folder_remote);
    bob.sync();
    let bdev = device_of(&bob.open());
    bob.open()
        .set_item(PROD, "GOOD", value("good-value"))
        .expect("set");
    bob.open()
        .set_item(PROD, "ALTERED", value("altered-value"))
        .expect("set");
    let seq: i64 = {
        let c = Connection::open(&bob.replica).expect("open");
        let seq = c
            .query_row(
                "SELECT MAX(device_seq) FROM ops WHERE device_id = ?1 AND kind IN (?2, ?3, ?4)",
                rusqlite::params![
                    &bdev.0[..],
                    kind::SET_ITEM,
                    kind::SET_ITEM_SEALED,
                    kind::SET_ITEM_BOUND
                ],
                |r| r.get(0),
            )
            .expect("last set");
        c.execute(
            "UPDATE ops SET body = CAST(body || x'00' AS BLOB) WHERE device_id = ?1 AND device_seq = ?2",
            rusqlite::params![&bdev.0[..], seq],
        )
        .expect("alter");
        seq
    };
    let before = std::fs::read(&bob.replica).expect("read");
    let e = match Vault::rebuild(&bob.replica, bob.who.unlock()) {
        Ok(_) => panic!("a rebuild that lost an entry this device signed went on"),
        Err(e) => e,
    };
    assert_eq!(e.kind(), ErrorKind::Integrity, "{e}");
    assert!(e.to_string().contains("new device"), "{e}");
    assert_eq!(
        std::fs::read(&bob.replica).expect("read"),
        before,
        "the old file is left as it was"
    );
    assert_eq!(
        last_seq(&remote, &bdev) as i64,
        seq - 1,
        "the intact entries before the altered one were published, nothing after"
    );
    fx.open().sync().expect("ada syncs");
    assert_value(&mut fx.open(), PROD, "GOOD", "good-value");
}

/// A teammate's write ordered just before an offboarding that its author
/// had not seen (and the offboarding's author had not seen the write): the
/// re-key of the offboarding still takes effect on every device (before,
/// its "every version" check denied it everywhere, so one concurrent write
/// silently undid the offboarding). The concurrent version, sealed under
/// the replaced key, is set aside; the item stays readable.
#[test]
fn fail_a_concurrent_write_does_not_undo_an_offboarding() {
    let (fx, _remote, bob, carol) = team(folder_remote);
    bob.sync();
    carol.sync();
    bob.open()
        .set_item(PROD, "API_KEY", value("concurrent-write"))
        .expect("bob writes");
    std::thread::sleep(std::time::Duration::from_millis(5));
    fx.open()
        .offboard("Carol", &mut |_, _| {})
        .expect("offboard Carol");
    bob.sync();
    let r = fx.open().sync().expect("ada syncs");
    assert!(r.denied.is_empty(), "{r:?}");
    let r = bob.sync();
    assert!(r.denied.is_empty(), "{r:?}");
    for p in [&fx.path, &bob.replica] {
        let c = Connection::open(p).expect("open");
        let epoch: i64 = c
            .query_row("SELECT MAX(epoch) FROM environments", [], |r| r.get(0))
            .expect("epoch");
        assert_eq!(epoch, 2, "prod was re-keyed in {}", p.display());
        assert_eq!(member_rows(&c, "env_wraps", &carol.who.id), 0);
    }
    // Bob's write, sealed under the key Carol holds, was set aside and
    // re-sealed by Ada's device under the new key, marked exposed.
    assert_value(&mut fx.open(), PROD, "API_KEY", "concurrent-write");
    bob.sync();
    assert_value(&mut bob.open(), PROD, "API_KEY", "concurrent-write");
    assert_exposed_to_carol(&mut fx.open(), "API_KEY");
    assert_converged(&[&fx.path, &bob.replica]);
}

/// Every device's report on Carol lists `key` as exposed, not rotated.
fn assert_exposed_to_carol(v: &mut Vault, key: &str) {
    let r = v.exposure_report("Carol").expect("report");
    let it = r
        .items
        .iter()
        .find(|i| i.key == key)
        .unwrap_or_else(|| panic!("{key} is not in the report on Carol"));
    assert!(
        !it.rotated,
        "{key} counts as rotated, though Carol could read its value"
    );
}

/// The other order of the race: the offboarding comes first (in every
/// device's order), then a write by a teammate who had not seen it,
/// sealed under the item key the offboarding replaced, which the revoked
/// member holds. It is not made current on its own (no current key opens
/// it): it waits, flagged stale, until an owner's device adopts it
/// (`item.adopt`: current as its writer sealed and signed it, its key
/// joining the item's earlier keys under the current one), remembered as
/// exposed. The revoked member could read that value from the log in any
/// case (it was published under her key), which is why it counts as
/// exposed; she reads nothing written after it (every later version is
/// sealed under the current key, of an epoch she holds no key of); every
/// device converges.
#[test]
fn fail_a_write_under_the_replaced_key_is_resealed_and_counted_exposed() {
    let (fx, remote, bob, carol) = team(folder_remote);
    bob.sync();
    carol.sync();
    offboard_and_publish(&fx, "Carol");
    // Bob has not synced: his replica still has the old keys.
    bob.open()
        .set_item(PROD, "API_KEY", value("stale-write"))
        .expect("bob writes");
    bob.open()
        .set_item(PROD, "NEW_UNDER_OLD_KEY", value("stale-new-item"))
        .expect("bob creates");
    bob.sync();
    // Before an owner has seen it, Bob's replica keeps the current value
    // and shows his write waiting, stale.
    assert_value(&mut bob.open(), PROD, "API_KEY", API_V2);
    let waiting = bob
        .open()
        .conflicts(PROD, "API_KEY", false)
        .expect("conflicts");
    assert!(
        matches!(waiting.as_slice(), [h] if h.stale && !h.unreadable),
        "{waiting:?}"
    );
    let r = fx.open().sync().expect("ada syncs");
    assert_eq!(r.resealed, 1, "{r:?}");
    // A new item sealed under the old environment key is refused with the
    // reason; nobody who keeps access could open it.
    assert!(
        r.denied.iter().any(|d| d.reason.contains("set it again")),
        "{r:?}"
    );
    assert_value(&mut fx.open(), PROD, "API_KEY", "stale-write");
    assert_exposed_to_carol(&mut fx.open(), "API_KEY");
    assert!(fx
        .open()
        .conflicts(PROD, "API_KEY", false)
        .expect("c")
        .is_empty());
    bob.sync();
    assert_value(&mut bob.open(), PROD, "API_KEY", "stale-write");
    assert_exposed_to_carol(&mut bob.open(), "API_KEY");
    assert_kind(
        "a new item under the old key",
        ErrorKind::NotFound,
        fx.open().get_item(PROD, "NEW_UNDER_OLD_KEY"),
    );
    // Carol keeps syncing: her replica holds no key of the new epoch, so
    // nothing sealed under the item's current key opens for her.
    let _ = carol
        .who
        .try_open(&carol.replica)
        .and_then(|mut v| v.sync());
    let c = Connection::open(&carol.replica).expect("open");
    assert_eq!(member_rows(&c, "env_wraps", &carol.who.id), 0);
    drop(c);
    assert_converged(&[&fx.path, &bob.replica]);
    drop(remote);
}
