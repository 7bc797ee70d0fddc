//! Attack review of issue 9, slice 2 (sync): regression tests. Each test
//! names the attack and the secure behaviour it expects; each failed before
//! the fixes of slice 3 ("BEFORE THE FIX" says what happened then). Helpers
//! are copied from `tests/sync.rs`.

mod common;

use std::path::Path;
use std::time::Duration;

use coffer_crypto::{Id, PrivateIdentity, SignPurpose};
use coffer_vault::ops::{kind, MemberRecord, OpBody, OpHeader};
use coffer_vault::sync::feed::Entry;
use coffer_vault::sync::folder::Descriptor;
use coffer_vault::sync::Remote;
use coffer_vault::{Access, Role, Vault};
use common::attack_fx::*;
use common::sync_fx::*;
use common::*;
use rusqlite::Connection;

fn record(who: &PrivateIdentity, name: &str, role: &str) -> MemberRecord {
    MemberRecord {
        id: who.id(),
        name: name.into(),
        email: None,
        x25519: who.public().x25519,
        ed25519: who.public().ed25519,
        fingerprint: who.public().fingerprint(),
        role: role.into(),
    }
}

/// Runs `f` on another thread; `None` if it did not finish in `secs`.
fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(secs)).ok()
}

// ----- F1: join trusts the descriptor's genesis hash, not the confirmed owner

/// ATTACK (outsider who can write the sync folder): sign a genesis for the
/// real vault id with their own key (naming the owner "Ada"), add the
/// joining teammate's public keys as a member, and point
/// `coffer-vault.json`'s `genesis_hash` at that genesis while leaving the
/// real owner's fingerprint in it. The teammate compares the fingerprint
/// out of band (it matches) and joins.
/// SECURE: `join` refuses a genesis whose owner fingerprint is not the one
/// the user confirmed (or the descriptor does not match the genesis).
/// BEFORE THE FIX: the joiner pins the attacker's genesis; the attacker is owner of
/// the joiner's replica and will receive every key it wraps.
#[test]
fn attack_join_pins_a_genesis_whose_owner_is_not_the_confirmed_fingerprint() {
    let (fx, remote, _bob, _carol) = team(folder_remote);
    let vault_id = fx.open().id();
    let ada_fp = Person::owner(&fx).fingerprint;
    let dave = Device::new(&fx, "Dave");
    let mallory = PrivateIdentity::make();
    let mdev = Id::make();
    let g = forge(
        &remote,
        vault_id,
        mdev,
        &mallory,
        &OpBody::Genesis {
            vault_id,
            name: "Acme".into(),
            owner: record(&mallory, "Ada", "owner"),
        },
        None,
    );
    let dkeys = dave.who.unlock().public().clone();
    forge(
        &remote,
        vault_id,
        mdev,
        &mallory,
        &OpBody::AddMember {
            member: MemberRecord {
                id: dave.who.id,
                name: "Dave".into(),
                email: None,
                x25519: dkeys.x25519,
                ed25519: dkeys.ed25519,
                fingerprint: dkeys.fingerprint(),
                role: "member".into(),
            },
            grants: vec![],
        },
        None,
    );
    let dpath = root(&remote).join("coffer-vault.json");
    let mut d: Descriptor =
        serde_json::from_slice(&std::fs::read(&dpath).expect("read")).expect("json");
    assert_eq!(
        d.owner_fingerprint, ada_fp,
        "the descriptor still shows Ada's fingerprint"
    );
    d.genesis_hash = g.hash().iter().map(|b| format!("{b:02x}")).collect();
    std::fs::write(&dpath, serde_json::to_vec_pretty(&d).expect("json")).expect("write");

    let r = Vault::join(&dave.replica, dave.who.unlock(), remote.clone(), &|d| {
        // Dave checks the owner's fingerprint with Ada by phone: it matches.
        if d.owner_fingerprint == ada_fp {
            Ok(())
        } else {
            Err(coffer_vault::Error::Refused("fingerprint mismatch".into()))
        }
    });
    if let Ok((v, _)) = r {
        let owners: Vec<String> = v
            .list_members()
            .expect("members")
            .into_iter()
            .filter(|m| m.role == Role::Owner)
            .map(|m| m.fingerprint)
            .collect();
        panic!(
            "Dave joined a vault whose owner is {owners:?}, not the confirmed {ada_fp}: the attacker owns his replica"
        );
    }
}

// ----- F2: an author picks their own HLC: a revoked member backdates ---------

/// ATTACK (revoked admin, own client): after being offboarded, sign an
/// `AddMember` of a puppet admin, dated just before the revocation (the
/// HLC is chosen by the author; only "after my previous entry" and "not
/// more than 10 min ahead" are checked). It sorts before the `Revoke`, so it is
/// authorised against a state where the author is still an active admin.
/// SECURE: an op by a revoked member that the revoker had not seen is
/// rejected (revocation is final), e.g. the Revoke pins the revoked
/// member's feed heads and anything beyond is denied.
/// BEFORE THE FIX: the puppet becomes an active admin after the offboarding.
#[test]
fn attack_revoked_admin_backdates_a_puppet_admin() {
    let (fx, remote, bob, _carol) = team(folder_remote);
    let vault_id = fx.open().id();
    let mallory = PrivateIdentity::make();
    add_keyed(&mut fx.open(), &mallory, "Mallory", Role::Admin, &[]);
    fx.open().sync().expect("ada syncs");
    fx.open()
        .offboard("Mallory", &mut |_, _| {})
        .expect("offboard Mallory");
    fx.open().sync().expect("ada syncs");
    bob.sync();
    forge_puppet_admin(
        &remote,
        vault_id,
        &mallory,
        hlc_of(&fx.path, kind::REVOKE_CUT),
    );
    let r = fx.open().sync().expect("ada syncs");
    bob.sync();
    for (who, v) in [("Ada", fx.open()), ("Bob", bob.open())] {
        if let Ok(m) = v.member("Eve") {
            panic!(
                "{who}: Eve, added by Mallory after Mallory's revocation, is an {} {} member ({r:?})",
                m.status,
                m.role.as_str()
            );
        }
    }
}

/// Mallory, from a device of their own, adds Eve as an admin in an entry
/// dated just before `before` (an HLC).
fn forge_puppet_admin(remote: &Remote, vault_id: Id, mallory: &PrivateIdentity, before: u64) {
    let eve = PrivateIdentity::make();
    forge(
        remote,
        vault_id,
        Id::make(),
        mallory,
        &OpBody::AddMember {
            member: record(&eve, "Eve", "admin"),
            grants: vec![],
        },
        Some(before - 1),
    );
}

/// ATTACK (demoted admin, own client): after the owner demotes them to
/// member, sign an `AddMember` of a puppet admin dated just before the
/// demotion. It sorts before the `SetRole`, so it would be authorised
/// against a state where the author is still an admin.
/// SECURE: the demotion carries the member's feed cut (kind 19): what
/// they signed that the demoter had not seen is denied on every device,
/// whatever its date; what they sign after it is judged as a member.
#[test]
fn attack_demoted_admin_backdates_a_puppet_admin() {
    let (fx, remote, bob, _carol) = team(folder_remote);
    let vault_id = fx.open().id();
    let mallory = PrivateIdentity::make();
    add_keyed(&mut fx.open(), &mallory, "Mallory", Role::Admin, &[]);
    fx.open().sync().expect("ada syncs");
    fx.open()
        .set_role("Mallory", Role::Member)
        .expect("demote Mallory");
    fx.open().sync().expect("ada syncs");
    bob.sync();
    forge_puppet_admin(
        &remote,
        vault_id,
        &mallory,
        hlc_of(&fx.path, kind::SET_ROLE_CUT),
    );
    let r = fx.open().sync().expect("ada syncs");
    assert!(
        r.denied.iter().any(|d| d.reason.contains("demotion")),
        "{r:?}"
    );
    bob.sync();
    for (who, v) in [("Ada", fx.open()), ("Bob", bob.open())] {
        assert!(
            v.member("Eve").is_err(),
            "{who}: Eve, added by Mallory after Mallory's demotion, is a member ({r:?})"
        );
        assert_eq!(v.member("Mallory").expect("Mallory").role, Role::Member);
    }
    assert_converged(&[&fx.path, &bob.replica]);
}

/// A role change that is not a demotion carries no cut: a cut on a
/// promotion (which would deny the member's unseen entries) is refused.
#[test]
fn a_cut_on_a_promotion_is_refused() {
    let (fx, _remote, _bob, _carol) = team(folder_remote);
    let mut v = fx.open();
    let bob = v.member("Bob").expect("Bob");
    let e = v
        .apply(OpBody::SetRole {
            member_id: bob.id,
            role: "admin".into(),
            rewraps: vec![],
            reshares: vec![],
            cut: Some(vec![]),
        })
        .expect_err("a cut on a promotion");
    assert!(e.to_string().contains("not a demotion"), "{e}");
}

/// ATTACK (revoked member with write access, own client): after the
/// offboarding and the owner's rotation of DB_PASS, sign a `DeleteItem` of
/// DB_PASS dated before the revocation. The whole log is replayed; the
/// delete sorts first, and the owner's rotation, applied and visible on
/// every device, becomes *denied* retroactively.
/// SECURE: the revoked member's late op is denied; the rotation stands.
/// BEFORE THE FIX: DB_PASS is gone and the owner's rotation is denied.
#[test]
fn attack_revoked_member_backdates_a_delete_and_undoes_the_rotation() {
    let (fx, remote, bob, _carol) = team(folder_remote);
    let vault_id = fx.open().id();
    let mallory = PrivateIdentity::make();
    add_keyed(
        &mut fx.open(),
        &mallory,
        "Mallory",
        Role::Member,
        &[(PROD, Access::Write)],
    );
    fx.open().sync().expect("ada syncs");
    fx.open()
        .offboard("Mallory", &mut |_, _| {})
        .expect("offboard Mallory");
    fx.open()
        .set_item(PROD, "DB_PASS", value("rotated-after-offboarding"))
        .expect("rotate");
    fx.open().sync().expect("ada syncs");
    bob.sync();
    let revoke_hlc = hlc_of(&fx.path, kind::REVOKE_CUT);
    let (item_id, env_id) = {
        let mut v = fx.open();
        (
            v.get_item(PROD, "DB_PASS").expect("get").0.id,
            v.env(PROD).expect("env").id,
        )
    };
    forge(
        &remote,
        vault_id,
        Id::make(),
        &mallory,
        &OpBody::DeleteItem { item_id, env_id },
        Some(revoke_hlc - 1),
    );
    let r = fx.open().sync().expect("ada syncs");
    bob.sync();
    for (who, mut v) in [("Ada", fx.open()), ("Bob", bob.open())] {
        match v.get_item(PROD, "DB_PASS") {
            Ok((_, s)) => assert_eq!(s.expose_secret(), "rotated-after-offboarding", "{who}"),
            Err(e) => panic!(
                "{who}: DB_PASS after a revoked member's backdated delete: {e}; report {r:?}"
            ),
        }
    }
}

// ----- F3: two entries with one op id abort every device's sync -------------

/// ATTACK (any member, even a reader or a revoked one, own client): publish
/// two validly signed entries that carry the same `op_id` (here two
/// self-promotions, which are denied and so recorded). `read_feed` checks
/// op ids only against the log, not within the batch; the second insert
/// hits `ops.op_id UNIQUE` and the whole import fails.
/// SECURE: the feed is quarantined ("repeats an op"), the sync succeeds,
/// the other feeds keep flowing.
/// BEFORE THE FIX: every device's `coffer sync` fails, forever, for everyone.
#[test]
fn attack_duplicate_op_id_in_one_batch_blocks_every_sync() {
    let (fx, remote, bob, _carol) = team(folder_remote);
    let vault_id = fx.open().id();
    let mallory = PrivateIdentity::make();
    add_keyed(&mut fx.open(), &mallory, "Mallory", Role::Reader, &[]);
    fx.open().sync().expect("ada syncs");
    bob.open()
        .set_item(PROD, "FROM_BOB", value("bob-value"))
        .expect("bob sets");
    bob.sync();
    let mdev = Id::make();
    let op = Id::make();
    let body = OpBody::SetRole {
        member_id: mallory.id(),
        role: "owner".into(),
        rewraps: vec![],
        reshares: vec![],
        cut: None,
    };
    for _ in 0..2 {
        let e = build_next(&remote, vault_id, mdev, &mallory, &body, None, Some(op));
        write_entry(&remote, &e);
    }
    let r = fx.open().sync();
    let r = r.unwrap_or_else(|e| panic!("Ada's sync fails because of Mallory's feed: {e}"));
    assert!(!r.quarantined.is_empty(), "{r:?}");
    assert_value(&mut fx.open(), PROD, "FROM_BOB", "bob-value");
}

// ----- F4: one unreadable file in any feed aborts (or hangs) every sync -----

/// ATTACK (anyone who writes the folder, no key): put something that is
/// not a readable file where an entry is expected: a directory named
/// `00000000000000000001.op`, an entry file over `MAX_ENTRY_BYTES` (a
/// sparse file: free to make), in a new feed. `Folder::read` returns an
/// I/O or integrity *error*, which `read_feed`/`import` propagate with `?`.
/// SECURE: that feed is quarantined with a reason; the sync succeeds and
/// the other feeds flow.
/// BEFORE THE FIX: every device's sync fails, for as long as the file is there.
#[test]
fn attack_unreadable_entry_file_blocks_every_sync() {
    // A directory where an entry file is expected.
    unreadable_entry(|p| std::fs::create_dir_all(p).expect("a directory as an entry"));
}

/// Same attack, with an entry file one byte over `MAX_ENTRY_BYTES`.
#[test]
fn attack_oversized_entry_file_blocks_every_sync() {
    unreadable_entry(|p| {
        let f = std::fs::File::create(p).expect("create");
        f.set_len(coffer_vault::sync::feed::MAX_ENTRY_BYTES + 1)
            .expect("sparse");
    });
}

fn unreadable_entry(plant: impl Fn(&Path)) {
    let (fx, remote, bob, _carol) = team(folder_remote);
    bob.open()
        .set_item(PROD, "FROM_BOB", value("bob-value"))
        .expect("bob sets");
    bob.sync();
    let d = Id::make();
    std::fs::create_dir_all(feed_dir(&remote, &d)).expect("mkdir");
    plant(&entry_file(&remote, &d, 1));
    let r = fx.open().sync();
    let r = r.unwrap_or_else(|e| panic!("Ada's sync fails because of one bad file in a feed: {e}"));
    assert_eq!(r.quarantined.len(), 1, "{r:?}");
    assert_value(&mut fx.open(), PROD, "FROM_BOB", "bob-value");
}

/// ATTACK (anyone who writes a shared folder): a FIFO named as the next
/// entry of a feed. `Folder::read` opens it for reading and blocks forever.
/// SECURE: only regular files are opened (O_NONBLOCK / metadata check
/// first); the feed is quarantined.
/// BEFORE THE FIX: `coffer sync` (and the desktop app's timer sync) hangs.
#[test]
fn attack_fifo_in_a_feed_hangs_sync() {
    let (fx, remote, _bob, _carol) = team(folder_remote);
    let d = Id::make();
    std::fs::create_dir_all(feed_dir(&remote, &d)).expect("mkdir");
    let ok = std::process::Command::new("mkfifo")
        .arg(entry_file(&remote, &d, 1))
        .status()
        .expect("mkfifo")
        .success();
    assert!(ok, "mkfifo");
    let path = fx.path.clone();
    let home = fx.home.clone();
    let done = within(20, move || {
        let me = coffer_vault::IdentityStore::load(&home)
            .expect("load")
            .unlock_with_password(&secret(PASSPHRASE))
            .expect("unlock");
        let mut v = Vault::open(&path, me).expect("open");
        v.sync()
            .map(|r| r.quarantined.len())
            .map_err(|e| e.to_string())
    });
    match done {
        None => panic!("Ada's sync hangs on a FIFO in the sync folder"),
        Some(r) => assert!(matches!(r, Ok(n) if n >= 1), "{r:?}"),
    }
}

// ----- F5: the own-feed checks trust unsigned bytes --------------------------

/// ATTACK (anyone who writes the folder, no key): append one entry to an
/// honest device's feed, chained to its last published entry (the hash is
/// public), signed by a throw-away key. `import` sees "own entries the
/// folder holds beyond what the device remembers" and stops with the
/// restored-COFFER_HOME error without checking the signature.
/// SECURE: an entry this identity did not sign is tampering with this
/// device's feed: it is put back/overwritten with a warning and sync goes on.
/// BEFORE THE FIX: Bob's device refuses to sync, forever, and tells him to abandon
/// his identity and rejoin as a new device.
#[test]
fn attack_unsigned_junk_after_my_head_makes_my_device_refuse_to_sync() {
    let (fx, remote, bob, _carol) = team(folder_remote);
    let vault_id = fx.open().id();
    let bdev = device_of(&bob.open());
    let outsider = PrivateIdentity::make();
    forge(
        &remote,
        vault_id,
        bdev,
        &outsider,
        &OpBody::Revoke {
            member_id: Person::owner(&fx).id,
            exposed: vec![],
            cut: None,
        },
        None,
    );
    let r = bob.open().sync();
    if let Err(e) = &r {
        panic!("Bob's device refuses to sync because of an entry nobody in the vault signed: {e}");
    }
    bob.open()
        .set_item(PROD, "FROM_BOB", value("bob-value"))
        .expect("set");
    bob.open().sync().expect("bob syncs");
    fx.open().sync().expect("ada syncs");
    assert_value(&mut fx.open(), PROD, "FROM_BOB", "bob-value");
}

/// ATTACK (anyone who writes the folder, no key): Bob has two unpublished
/// entries (n+1, n+2). Before he syncs, plant an unsigned entry at n+1
/// chained to his published entry n. `publish_chain` walks down from his
/// head to the first *existing* file (n+1), assumes it is his, and
/// publishes only n+2; `read_feed` only compares his newest entry.
/// SECURE: Bob detects that the file at n+1 is not his entry (put it back,
/// or report tampering), and Ada ends up with both of Bob's edits.
/// BEFORE THE FIX: Bob's sync reports success (published: 1) and nothing else; Ada
/// holds Bob's feed back on the planted entry (author unknown, signature
/// never checked), quarantines it at his real entry, and never gets his
/// edits. (Here n = 0: Bob had published nothing yet.)
#[test]
fn attack_planted_entry_in_unpublished_gap_silently_swallows_my_edits() {
    let (fx, remote, bob, _carol) = team(folder_remote);
    let vault_id = fx.open().id();
    let bdev = device_of(&bob.open());
    bob.open().set_item(PROD, "ONE", value("one")).expect("set");
    bob.open().set_item(PROD, "TWO", value("two")).expect("set");
    let outsider = PrivateIdentity::make();
    forge(
        &remote,
        vault_id,
        bdev,
        &outsider,
        &OpBody::Revoke {
            member_id: Person::owner(&fx).id,
            exposed: vec![],
            cut: None,
        },
        None,
    );
    let rb = bob.open().sync().expect("Bob's sync says all is well");
    let ra = fx.open().sync().expect("ada syncs");
    let mut v = fx.open();
    for (k, val) in [("ONE", "one"), ("TWO", "two")] {
        match v.get_item(PROD, k) {
            Ok((_, s)) => assert_eq!(s.expose_secret(), val),
            Err(e) => {
                panic!("Ada never gets Bob's {k}: {e}; Bob's report {rb:?}; Ada's report {ra:?}")
            }
        }
    }
}

/// ATTACK (anyone who writes the folder): corrupt an *older* entry of the
/// owner's feed (here entry #2, one signature byte). Devices that applied
/// it never look at it again; Ada only compares her newest entry, so she
/// never puts it back. Every device that joins (or rebuilds from the
/// folder) later quarantines Ada's feed at #2 and misses everything after
/// it, including its own `member add`.
/// SECURE: a device re-checks (or re-publishes) its whole published feed,
/// so tampering with any of its entries is repaired; a new teammate can
/// join.
/// BEFORE THE FIX: no new device can ever join the vault.
#[test]
fn attack_corrupt_old_owner_entry_is_never_repaired_and_blocks_every_join() {
    let (fx, remote, bob, _carol) = team(folder_remote);
    let adev = device_of(&fx.open());
    let p = entry_file(&remote, &adev, 2);
    let mut b = std::fs::read(&p).expect("read");
    let n = b.len();
    b[n - 1] ^= 1;
    std::fs::write(&p, &b).expect("write");
    fx.open().sync().expect("ada syncs");
    bob.sync();
    let dave = Device::new(&fx, "Dave");
    add_member(&mut fx.open(), &dave.who, Role::Member, &[]);
    let r = fx.open().sync().expect("ada syncs");
    if let Err(e) = dave.join(&remote) {
        panic!("Dave, added by Ada, cannot join: {e}; Ada's sync report: {r:?}");
    }
}

// ----- F6: an older sealed replica is accepted -------------------------------

/// ATTACK (someone who can write the device's files, e.g. restores a
/// backup of the replica file alone): put back an older copy of the
/// replica, sealed by this very device. The seal's MAC is valid; the only
/// freshness check (`check_head`) covers this device's *own* feed, so if it
/// wrote nothing since (it only synced in others' ops, here Carol's
/// revocation by admin Bob), the rollback is accepted: Carol is active
/// again and Ada's next grant/env wraps a key to her in the folder.
/// SECURE: the device remembers its last seal (log count/digest) in
/// COFFER_HOME and refuses an older replica (or rebuilds from the feeds).
/// BEFORE THE FIX: the rolled-back replica opens without a word.
#[test]
fn attack_rolled_back_replica_is_accepted() {
    let (fx, _remote, bob, _carol) = team_with(folder_remote, |_| {});
    fx.open().set_role("Bob", Role::Admin).expect("Bob admin");
    fx.open().sync().expect("ada syncs");
    bob.sync();
    let old = fx.dir.path().join("ada-old.coffer");
    copy_vault(&fx.path, &old);
    bob.open()
        .offboard("Carol", &mut |_, _| {})
        .expect("Bob offboards Carol");
    bob.sync();
    fx.open().sync().expect("ada takes in the revocation");
    assert_eq!(fx.open().member("Carol").expect("carol").status, "revoked");
    copy_vault(&old, &fx.path);
    match Person::owner(&fx).try_open(&fx.path) {
        Err(_) => {}
        Ok(v) => panic!(
            "Ada's device accepts its older replica: Carol is {} again",
            v.member("Carol").expect("carol").status
        ),
    }
}

// ----- F7: UnshareItem/ShareItem are authorised on an env the op names, not the item's

/// ATTACK (member with write on web/prod only, own client): sign
/// `UnshareItem { env_id: web/prod, item_id: <an item of web/dev>, member:
/// Carol }`. `authorize` checks write access to the `env_id` in the body;
/// `mutate` deletes the share by item id without checking the item is in
/// that environment (ShareItem likewise replaces any item's share).
/// SECURE: denied (the item is not in the env the author may write).
/// BEFORE THE FIX: Carol loses her share of web/dev OTHER on every device.
#[test]
fn attack_writer_of_one_env_unshares_an_item_of_another() {
    let (fx, remote, _bob, carol) = team(folder_remote);
    let vault_id = fx.open().id();
    let mallory = PrivateIdentity::make();
    add_keyed(
        &mut fx.open(),
        &mallory,
        "Mallory",
        Role::Member,
        &[(PROD, Access::Write)],
    );
    fx.open()
        .share(DEV, "OTHER", "Carol")
        .expect("Ada shares dev OTHER with Carol");
    fx.open().sync().expect("ada syncs");
    let (other, prod) = {
        let mut v = fx.open();
        (
            v.get_item(DEV, "OTHER").expect("get").0.id,
            v.env(PROD).expect("env").id,
        )
    };
    forge(
        &remote,
        vault_id,
        Id::make(),
        &mallory,
        &OpBody::UnshareItem {
            env_id: prod,
            item_id: other,
            member_id: carol.who.id,
        },
        None,
    );
    let r = fx.open().sync().expect("ada syncs");
    let c = Connection::open(&fx.path).expect("open");
    assert_eq!(
        member_rows(&c, "item_shares", &carol.who.id),
        1,
        "a web/prod writer removed Carol's share of a web/dev item: {r:?}"
    );
}

// ----- F8: a writer may `RekeyItem`: rewrite versions other members wrote ----

/// ATTACK (member with write on web/prod, own client): re-key API_KEY with
/// `RekeyItem`, keeping its item key but replacing the blob of version 2
/// (written by Ada) with version 1's plaintext re-sealed as version 2.
/// `authorize` lets anyone who may write the env re-key an item, and
/// `rekey_item_rows` overwrites the blob and rotation fields of existing
/// versions in place, keeping their `author_id`.
/// SECURE: re-keying an item (rewriting existing versions) is for owners
/// and admins (offboarding, ungrant), never a plain writer; a version's
/// content stays bound to the op that created it.
/// BEFORE THE FIX: the current value silently rolls back to API_V1 on every device
/// and history still attributes version 2 to Ada (issue attack 6 in the new
/// model). The same op can clear `exposed_at` so the exposure report ticks
/// exposed credentials as rotated.
#[test]
fn attack_writer_rekeys_an_item_to_rewrite_the_owners_version() {
    use coffer_crypto::{EnvKey, ItemContext, ItemKeyContext, WrapContext};
    use coffer_vault::ops::{RekeyedItem, RotationMeta, VersionRecord};
    let (fx, remote, bob, _carol) = team(folder_remote);
    let vault_id = fx.open().id();
    let ada = Person::owner(&fx);
    let ada_keys = fx.unlock().public().clone();
    let mallory = PrivateIdentity::make();
    add_keyed(
        &mut fx.open(),
        &mallory,
        "Mallory",
        Role::Member,
        &[(PROD, Access::Write)],
    );
    fx.open().sync().expect("ada syncs");
    let (item_id, env_id) = {
        let mut v = fx.open();
        (
            v.get_item(PROD, "API_KEY").expect("get").0.id,
            v.env(PROD).expect("env").id,
        )
    };
    // Everything below is what Mallory's replica holds.
    let c = Connection::open(&fx.path).expect("open");
    let (epoch, epk, ct, sig): (i64, Vec<u8>, Vec<u8>, Vec<u8>) = c
        .query_row(
            "SELECT epoch, epk, ct, sig FROM env_wraps WHERE env_id = ?1 AND member_id = ?2",
            [&env_id.0[..], &mallory.id().0[..]],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .expect("Mallory's wrap");
    let ek: EnvKey = coffer_crypto::wrap::unwrap(
        &mallory,
        &ada_keys,
        &epk,
        &ct,
        &sig,
        &WrapContext {
            vault_id,
            object_id: env_id,
            epoch: epoch as u64,
            recipient_id: mallory.id(),
            sender_id: ada.id,
        },
    )
    .expect("Mallory opens her env key");
    let ik_ct: Vec<u8> = c
        .query_row(
            "SELECT ik_ct FROM items WHERE id = ?1",
            [&item_id.0[..]],
            |r| r.get(0),
        )
        .expect("ik");
    let ik = ek
        .open_item_key(
            &ik_ct,
            &ItemKeyContext {
                vault_id,
                env_id,
                item_id,
                epoch: epoch as u64,
            },
        )
        .expect("ik opens");
    let version = |n: i64| -> (Vec<u8>, RotationMeta) {
        c.query_row(
            "SELECT blob, rotate_every_days, rotated_at, expires_at, exposed_at FROM item_versions
             WHERE item_id = ?1 AND version = ?2",
            rusqlite::params![&item_id.0[..], n],
            |r| {
                Ok((
                    r.get(0)?,
                    RotationMeta {
                        rotate_every_days: r.get::<_, Option<i64>>(1)?.map(|d| d as u32),
                        rotated_at: r.get(2)?,
                        expires_at: r.get(3)?,
                        exposed_at: r.get(4)?,
                    },
                ))
            },
        )
        .expect("version")
    };
    let (b1, m1) = version(1);
    let (_, m2) = version(2);
    let m1c = m1.canonical();
    let m2c = m2.canonical();
    let (s1, a1) = coffer_vault::ops::unframe_blob(&b1);
    let pt1 = ik
        .open_item(
            s1,
            &ItemContext {
                vault_id,
                env_id,
                item_id,
                row_version: 1,
                meta: &m1c,
                author: a1,
            },
        )
        .expect("v1 opens");
    let forged = ik
        .seal_item(
            pt1.expose_secret(),
            &ItemContext {
                vault_id,
                env_id,
                item_id,
                row_version: 2,
                meta: &m2c,
                author: None,
            },
        )
        .expect("seal");
    drop(c);
    forge(
        &remote,
        vault_id,
        Id::make(),
        &mallory,
        &OpBody::RekeyItem {
            env_id,
            item: RekeyedItem {
                item_id,
                ik_ct: ik_ct.clone(),
                versions: vec![VersionRecord {
                    version: 2,
                    blob: forged,
                    meta: m2,
                }],
            },
            shares: vec![],
        },
        None,
    );
    let r = fx.open().sync().expect("ada syncs");
    bob.sync();
    assert_value(&mut bob.open(), PROD, "API_KEY", API_V2);
    let mut v = fx.open();
    let (_, got) = v.get_item(PROD, "API_KEY").expect("get");
    assert_eq!(
        got.expose_secret(),
        API_V2,
        "a web/prod writer rewrote Ada's version 2 of API_KEY (report {r:?})"
    );
}

// ----- F9: the "must be sealed" flag lives in an unauthenticated JSON file ---

/// ATTACK (someone who can write the victim's files, as for any outside
/// edit of a replica): set `private_replica` to false in
/// `COFFER_HOME/anchors/<vault>.json`, delete the `replica` seal row, and
/// raise reader Carol to owner in the table. `open_keeping` checks the seal
/// only if the (unauthenticated) anchor or the (deletable) seal row says
/// so; the replica then opens as an old shared-file vault and its tables
/// are trusted again.
/// SECURE: the anchor's flags are authenticated (e.g. MAC under the
/// replica key) or the device refuses a replica without a seal once it has
/// a remote configured; the edited replica is refused at open.
/// BEFORE THE FIX: the edited replica opens; everything local (who `env add`,
/// `grant` or a re-key wraps to, the exposure report) reads the edited
/// tables. `sync init`'s `audit verify` refuses to publish it, which limits
/// the damage to this device.
#[test]
fn attack_flipping_the_anchor_flag_disables_the_replica_seal() {
    let (fx, remote, bob, carol) = team(folder_remote);
    let vault_id = fx.open().id();
    let anchor = fx
        .home
        .join("anchors")
        .join(format!("{}.json", vault_id.to_hex()));
    let mut a: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&anchor).expect("anchor")).expect("json");
    a["private_replica"] = serde_json::Value::Bool(false);
    std::fs::write(&anchor, serde_json::to_vec(&a).expect("json")).expect("write");
    {
        let c = Connection::open(&fx.path).expect("open");
        c.execute("DELETE FROM replica", []).expect("unseal");
        c.execute("UPDATE members SET role = 'owner' WHERE name = 'Carol'", [])
            .expect("raise");
    }
    // Local decisions read the edited tables: e.g. `env add` wraps the new
    // key to "owner" Carol in Ada's log (publishing is then stopped by
    // `sync init`'s verify, which is the only thing that notices).
    if let Ok(v) = Person::owner(&fx).try_open(&fx.path) {
        let role = v.member("Carol").expect("carol").role;
        panic!("Ada's hand-edited replica opened without its seal check (Carol is {role:?})");
    }
    drop((remote, bob, carol));
}

// ----- resisted (these pass today) -----------------------------------------

/// A genuine entry of Ada's copied into another feed, a genuine entry
/// of Ada's dated far in the future by an outsider (re-signed, so refused
/// for its signature), and a reader granting herself a wrap: nothing is
/// applied, nothing blocks the other feeds.
#[test]
fn resisted_copied_entries_foreign_signatures_and_self_grants() {
    let (fx, remote, bob, carol) = team(folder_remote);
    let vault_id = fx.open().id();
    let adev = device_of(&fx.open());
    let before = member_rows(
        &Connection::open(&fx.path).expect("open"),
        "env_wraps",
        &carol.who.id,
    );
    // Copy of Ada's entry #2 as entry #1 of a new feed.
    let d = Id::make();
    std::fs::create_dir_all(feed_dir(&remote, &d)).expect("mkdir");
    std::fs::copy(entry_file(&remote, &adev, 2), entry_file(&remote, &d, 1)).expect("copy");
    // An outsider signs as if Ada (author id Ada, wrong key).
    let outsider = PrivateIdentity::make();
    let mut e = build_next(
        &remote,
        vault_id,
        Id::make(),
        &outsider,
        &OpBody::Revoke {
            member_id: bob.who.id,
            exposed: vec![],
            cut: None,
        },
        None,
        None,
    );
    e.header.author_id = Person::owner(&fx).id;
    e.sig = outsider.sign(SignPurpose::Op, &e.header.signed_bytes(&e.body));
    write_entry(&remote, &e);
    bob.open()
        .set_item(PROD, "FROM_BOB", value("bob-value"))
        .expect("set");
    bob.sync();
    let r = fx.open().sync().expect("ada syncs");
    assert_eq!(r.quarantined.len(), 2, "{r:?}");
    assert_value(&mut fx.open(), PROD, "FROM_BOB", "bob-value");
    assert_eq!(fx.open().member("Bob").expect("bob").status, "active");
    assert_eq!(
        member_rows(
            &Connection::open(&fx.path).expect("open"),
            "env_wraps",
            &carol.who.id
        ),
        before
    );
}

/// ATTACK (admin, own client): sign a `Grant` naming Carol whose key wrap
/// is addressed to Bob. The grant and the wrap would go to Bob while the
/// log (and the exposure report read from it) says Carol got access.
/// SECURE: denied everywhere: a wrap carried for a named member must be
/// addressed to that member (`check_wraps`).
#[test]
fn attack_grant_naming_one_member_wrapping_to_another_is_denied() {
    let (fx, remote, bob, carol) = team(folder_remote);
    let vault_id = fx.open().id();
    let mallory = PrivateIdentity::make();
    add_keyed(&mut fx.open(), &mallory, "Mallory", Role::Admin, &[]);
    fx.open().sync().expect("ada syncs");
    let dev = fx.open().env(DEV).expect("env");
    forge(
        &remote,
        vault_id,
        Id::make(),
        &mallory,
        &OpBody::Grant {
            member_id: carol.who.id,
            env_id: dev.id,
            access: "read".into(),
            wrap: Some(coffer_vault::ops::WrapRecord {
                member_id: bob.who.id,
                sender_id: mallory.id(),
                epoch: dev.epoch,
                epk: [7; 32],
                ct: vec![7; 48],
                sig: [7; 64],
            }),
            cut: None,
        },
        None,
    );
    let r = fx.open().sync().expect("ada syncs");
    assert!(
        r.denied.iter().any(|d| d.reason.contains("another member")),
        "{r:?}"
    );
    let c = Connection::open(&fx.path).expect("open");
    let bob_dev: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM grants WHERE member_id = ?1 AND env_id = ?2",
            rusqlite::params![&bob.who.id.0[..], &dev.id.0[..]],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(bob_dev, 0, "Bob got no grant on web/dev");
}

// ----- Review of `sync --rebuild` (rebuild.rs) ------------------------------

/// This device's entry at `seq` as its replica holds it (what anyone who
/// can read the replica file can copy).
fn replica_entry(replica: &Path, vault_id: Id, device: &Id, seq: u64) -> Entry {
    let c = Connection::open(replica).expect("open");
    c.query_row(
        "SELECT op_id, author_id, hlc, kind, body, prev_hash, sig FROM ops
         WHERE device_id = ?1 AND device_seq = ?2",
        rusqlite::params![&device.0[..], seq as i64],
        |r| {
            let id = |b: Vec<u8>| Id::from_slice(&b).expect("id");
            Ok(Entry {
                header: OpHeader {
                    op_id: id(r.get(0)?),
                    vault_id,
                    device_id: *device,
                    device_seq: seq,
                    author_id: id(r.get(1)?),
                    hlc: r.get::<_, i64>(2)? as u64,
                    kind: r.get::<_, i64>(3)? as u8,
                    prev_hash: r.get::<_, Vec<u8>>(5)?.try_into().expect("32"),
                },
                body: r.get(4)?,
                sig: r.get::<_, Vec<u8>>(6)?.try_into().expect("64"),
            })
        },
    )
    .expect("entry")
}

/// ATTACK (someone who can read and write the replica file, and the sync
/// folder): Bob makes a change offline (his entry #n+1, signed, not yet
/// published). The attacker copies that signed entry out of the replica,
/// then alters its row so the replica no longer opens. Bob runs `coffer
/// sync --rebuild`: the altered entry does not verify, is dropped, and his
/// recorded head is reset to #n ("never published"). His next change is
/// signed as a *second, different* #n+1. The attacker now holds two
/// valid, chained entries of Bob's device at one position: an equivocation
/// the feed checks cannot see. Put the stolen one in the folder and Ada
/// applies a value Bob's replica never had, without a quarantine, while
/// Bob's own device stops syncing ("continue as a new device").
/// SECURE: a device never signs two different entries for one position of
/// its feed: a rebuild that cannot recover entries up to the head it
/// recorded does not reuse their positions (it refuses, or the device
/// continues as a new one).
/// FOUND: the rebuild resets the head backwards and the device re-signs
/// the position.
#[test]
fn attack_rebuild_reuses_a_feed_position_this_device_already_signed() {
    let (fx, remote, bob, _carol) = team(folder_remote);
    bob.sync();
    let vault_id = fx.open().id();
    let bdev = device_of(&bob.open());
    let seq = last_seq(&remote, &bdev) + 1;
    bob.open()
        .set_item(PROD, "DEPLOY_KEY", value("offline-value"))
        .expect("offline change");
    let stolen = replica_entry(&bob.replica, vault_id, &bdev, seq);
    {
        let c = Connection::open(&bob.replica).expect("open");
        c.execute(
            "UPDATE ops SET body = CAST(body || x'00' AS BLOB) WHERE device_id = ?1 AND device_seq = ?2",
            rusqlite::params![&bdev.0[..], seq as i64],
        )
        .expect("alter");
    }
    // Bob rebuilds, keeps working and syncs (each step may refuse).
    if let Ok((mut v, _, _)) = Vault::rebuild(&bob.replica, bob.who.unlock()) {
        if v.set_item(PROD, "DEPLOY_KEY", value("after-rebuild"))
            .is_ok()
        {
            let _ = v.sync();
        }
    }
    let Some(now) = std::fs::read(entry_file(&remote, &bdev, seq))
        .ok()
        .and_then(|b| Entry::decode(&b).ok())
    else {
        return;
    };
    let me = bob.who.unlock();
    let genuine = |e: &Entry| {
        e.header.device_id == bdev
            && e.header.author_id == me.id()
            && me
                .public()
                .verify(SignPurpose::Op, &e.header.signed_bytes(&e.body), &e.sig)
                .is_ok()
    };
    if now.encode() == stolen.encode() || !genuine(&now) || !genuine(&stolen) {
        return;
    }
    // What the attacker does with the two: Ada is shown the old one.
    write_entry(&remote, &stolen);
    let ada_sync = fx.open().sync();
    let ada_sees = fx
        .open()
        .get_item(PROD, "DEPLOY_KEY")
        .map(|(_, s)| s.expose_secret().to_string());
    let bob_sync = bob.who.try_open(&bob.replica).and_then(|mut v| v.sync());
    panic!(
        "Bob's device signed two different entries at #{seq} of its feed (chained to the same previous entry): \
         Ada's sync: {:?}; Ada reads DEPLOY_KEY = {ada_sees:?} while Bob's replica says \"after-rebuild\"; \
         Bob's next sync: {:?}",
        ada_sync.map(|r| r.quarantined),
        bob_sync.map(|r| r.published),
    );
}

/// ATTACK (someone who can write the replica file): replace the `ops`
/// table by a view over an endless recursive query. The replica no longer
/// opens (its schema is not ours), so the user runs `coffer sync
/// --rebuild`; the salvage reads the old file's `ops` without checking
/// what it is.
/// SECURE: the rebuild finishes (the old file's objects are checked before
/// they are read, or reading is bounded).
/// FOUND: `own_rows`' `COUNT(*)` never returns: the rebuild hangs, one
/// core busy, forever.
#[test]
fn attack_an_endless_view_in_the_old_replica_hangs_the_rebuild() {
    let (_fx, _remote, bob, _carol) = team(folder_remote);
    {
        let c = Connection::open(&bob.replica).expect("open");
        c.execute_batch(
            "DROP TABLE ops;
             CREATE VIEW ops AS WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n)
               SELECT i AS seq, x'00' AS op_id, CAST(i AS BLOB) AS device_id, i AS device_seq, x'00' AS author_id,
                      i AS hlc, 1 AS kind, x'' AS body, x'' AS prev_hash, x'' AS hash, x'' AS sig,
                      'applied' AS outcome, NULL AS reason
               FROM n;",
        )
        .expect("plant the view");
    }
    let replica = bob.replica.clone();
    let me = bob.who.unlock();
    let done = within(30, move || {
        Vault::rebuild(&replica, me)
            .map(|(_, _, r)| r.map(|r| r.dropped))
            .map_err(|e| e.to_string())
    });
    assert!(
        done.is_some(),
        "the rebuild of a replica holding an endless view did not finish in 30 s"
    );
}

/// ATTACK (someone who can write one replica file, and knows the id of
/// another vault the device syncs: it is in that vault's sync folder
/// descriptor): set the team replica's `vault.id` to the id of Bob's own
/// second vault. The file no longer opens; `coffer sync --rebuild` takes
/// the vault id from the file, so it rebuilds *the other vault* at this
/// path from *its* folder, resets that vault's recorded head to what its
/// folder holds (Bob's unpublished change there is "never published") and
/// bumps its seal generation.
/// SECURE: the rebuild of one file leaves every other vault on the device
/// as it was: its replica still opens, its head is not moved back.
/// FOUND: Bob's real replica of his own vault is refused at open as "an
/// older copy" (its seal is behind the generation the rebuild recorded);
/// and the device's head for it was moved back below its unpublished
/// change, so the next change made in the rebuilt file re-signs that
/// position (as in the attack above).
#[test]
fn attack_a_file_naming_another_vault_rebuilds_that_vault_and_locks_out_its_replica() {
    let (fx, _remote, bob, _carol) = team(folder_remote);
    let (own, own_id) = bobs_own_vault(&fx, &bob, "UNPUBLISHED", "offline-in-own-vault", false);
    rename_vault(&bob.replica, &own_id);
    let rebuilt = Vault::rebuild(&bob.replica, bob.who.unlock()).map(|(v, _, r)| (v.id(), r));
    let opens = bob.who.try_open(&own);
    assert!(
        opens.is_ok(),
        "rebuilding {} (which named Bob's own vault: {:?}) locked out Bob's real replica of that vault: {}",
        bob.replica.display(),
        rebuilt.as_ref().map(|(id, _)| *id == own_id),
        opens.err().map(|e| e.to_string()).unwrap_or_default()
    );
}

// ----- attack3: versions sealed under a replaced key (4b7121e) ----------

/// An item's keys and its current version as a member of `web/prod`
/// (`who`, whose wrap Ada sent) reads them from Ada's replica now: what a
/// writer's own client holds before a re-key replaces them.
struct HeldKeys {
    vault_id: Id,
    env_id: Id,
    item_id: Id,
    epoch: u64,
    ik: coffer_crypto::ItemKey,
    ik_ct: Vec<u8>,
    version: u64,
    plaintext: Vec<u8>,
    meta: coffer_vault::ops::RotationMeta,
}

impl HeldKeys {
    fn of(fx: &Fx, who: &PrivateIdentity, name: &str) -> Self {
        use coffer_crypto::{ItemContext, ItemKeyContext, WrapContext};
        use coffer_vault::ops::RotationMeta;
        let (vault_id, env_id, item_id) = {
            let mut v = fx.open();
            (
                v.id(),
                v.env(PROD).expect("env").id,
                v.get_item(PROD, name).expect("get").0.id,
            )
        };
        let ada_keys = fx.unlock().public().clone();
        let c = Connection::open(&fx.path).expect("open");
        let (epoch, epk, ct, sig): (i64, Vec<u8>, Vec<u8>, Vec<u8>) = c
            .query_row(
                "SELECT epoch, epk, ct, sig FROM env_wraps WHERE env_id = ?1 AND member_id = ?2",
                [&env_id.0[..], &who.id().0[..]],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .expect("the member's wrap");
        let epoch = epoch as u64;
        let ek: coffer_crypto::EnvKey = coffer_crypto::wrap::unwrap(
            who,
            &ada_keys,
            &epk,
            &ct,
            &sig,
            &WrapContext {
                vault_id,
                object_id: env_id,
                epoch,
                recipient_id: who.id(),
                sender_id: ada_keys.id,
            },
        )
        .expect("the member opens the environment key");
        let (ik_ct, version): (Vec<u8>, i64) = c
            .query_row(
                "SELECT ik_ct, current_version FROM items WHERE id = ?1",
                [&item_id.0[..]],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("item");
        let ik = ek
            .open_item_key(
                &ik_ct,
                &ItemKeyContext {
                    vault_id,
                    env_id,
                    item_id,
                    epoch,
                },
            )
            .expect("item key opens");
        let (blob, meta): (Vec<u8>, RotationMeta) = c
            .query_row(
                "SELECT blob, rotate_every_days, rotated_at, expires_at, exposed_at FROM item_versions
                 WHERE item_id = ?1 AND version = ?2",
                rusqlite::params![&item_id.0[..], version],
                |r| {
                    Ok((
                        r.get(0)?,
                        RotationMeta {
                            rotate_every_days: r.get::<_, Option<i64>>(1)?.map(|d| d as u32),
                            rotated_at: r.get(2)?,
                            expires_at: r.get(3)?,
                            exposed_at: r.get(4)?,
                        },
                    ))
                },
            )
            .expect("current version");
        let mc = meta.canonical();
        let (sealed, author) = coffer_vault::ops::unframe_blob(&blob);
        let plaintext = ik
            .open_item(
                sealed,
                &ItemContext {
                    vault_id,
                    env_id,
                    item_id,
                    row_version: version as u64,
                    meta: &mc,
                    author,
                },
            )
            .expect("current version opens")
            .expose_secret()
            .to_vec();
        HeldKeys {
            vault_id,
            env_id,
            item_id,
            epoch,
            ik,
            ik_ct,
            version: version as u64,
            plaintext,
            meta,
        }
    }

    /// The held plaintext sealed as `version` under the held item key.
    fn seal(&self, version: u64) -> Vec<u8> {
        let mc = self.meta.canonical();
        self.ik
            .seal_item(
                &self.plaintext,
                &coffer_crypto::ItemContext {
                    vault_id: self.vault_id,
                    env_id: self.env_id,
                    item_id: self.item_id,
                    row_version: version,
                    meta: &mc,
                    author: None,
                },
            )
            .expect("seal")
    }

    /// `item.set` of `version` with `blob`, naming the held keys (kind 18)
    /// or nothing (the legacy kind 3).
    fn set(&self, version: u64, blob: Vec<u8>, name_keys: bool) -> OpBody {
        OpBody::SetItem {
            item_id: self.item_id,
            env_id: self.env_id,
            version,
            ik_ct: None,
            blob,
            meta: self.meta,
            sealed_under: name_keys.then(|| coffer_vault::ops::SealedUnder {
                epoch: self.epoch,
                item_key: coffer_crypto::ItemKeyGeneration::of_sealed(&self.ik_ct).0,
            }),
        }
    }

    /// Whether `blob` (of `version`, with the held meta) opens under the
    /// held item key.
    fn opens(&self, version: u64, blob: &[u8], meta: &coffer_vault::ops::RotationMeta) -> bool {
        let mc = meta.canonical();
        let (sealed, author) = coffer_vault::ops::unframe_blob(blob);
        self.ik
            .open_item(
                sealed,
                &coffer_crypto::ItemContext {
                    vault_id: self.vault_id,
                    env_id: self.env_id,
                    item_id: self.item_id,
                    row_version: version,
                    meta: &mc,
                    author,
                },
            )
            .is_ok()
    }
}

/// The current version of `item_id` in a replica: (version, blob, meta).
fn current_version(
    replica: &Path,
    item_id: &Id,
) -> (u64, Vec<u8>, coffer_vault::ops::RotationMeta) {
    let c = Connection::open(replica).expect("open");
    c.query_row(
        "SELECT v.version, v.blob, v.rotate_every_days, v.rotated_at, v.expires_at, v.exposed_at
         FROM items i JOIN item_versions v ON v.item_id = i.id AND v.version = i.current_version
         WHERE i.id = ?1",
        [&item_id.0[..]],
        |r| {
            Ok((
                r.get::<_, i64>(0)? as u64,
                r.get(1)?,
                coffer_vault::ops::RotationMeta {
                    rotate_every_days: r.get::<_, Option<i64>>(2)?.map(|d| d as u32),
                    rotated_at: r.get(3)?,
                    expires_at: r.get(4)?,
                    exposed_at: r.get(5)?,
                },
            ))
        },
    )
    .expect("current version")
}

/// Ada's team plus Mallory, a member with write on web/prod who runs her
/// own client (the test holds her key); everyone synced.
fn team_with_mallory() -> (Fx, Remote, Device, Device, PrivateIdentity) {
    let (fx, remote, bob, carol) = team(folder_remote);
    let mallory = PrivateIdentity::make();
    add_keyed(
        &mut fx.open(),
        &mallory,
        "Mallory",
        Role::Member,
        &[(PROD, Access::Write)],
    );
    fx.open().sync().expect("ada syncs");
    bob.sync();
    carol.sync();
    (fx, remote, bob, carol, mallory)
}

/// ATTACK (a writer of web/prod who had not seen an offboarding, running a
/// client that still writes the legacy `item.set`, kind 3; or a writer's
/// own client on purpose): after Ada offboards Carol (a reader of
/// web/prod: the environment is re-keyed), publish the next version of
/// API_KEY sealed under the item key the re-key replaced, as kind 3, which
/// names no keys. `mutate` recognises a version under a replaced key only
/// when the op says which key it used (`sealed_under`); kind 3 is still
/// accepted from any feed.
/// SECURE: nothing current is sealed under a key the offboarded member
/// holds, whatever kind the write is: the version waits (stale) or is
/// denied, and the current value still opens for Ada.
/// FOUND: the version becomes current on every device: Carol's old item
/// key opens the current value, and Ada's `get` of API_KEY fails (the
/// current version does not open under the current key).
#[test]
fn attack_a_legacy_item_set_under_the_replaced_key_becomes_current() {
    let (fx, remote, _bob, _carol, mallory) = team_with_mallory();
    let old = HeldKeys::of(&fx, &mallory, "API_KEY");
    offboard_and_publish(&fx, "Carol");
    let next = old.version + 1;
    forge(
        &remote,
        old.vault_id,
        Id::make(),
        &mallory,
        &old.set(next, old.seal(next), false),
        None,
    );
    let r = fx.open().sync();
    let (version, blob, meta) = current_version(&fx.path, &old.item_id);
    assert!(
        !old.opens(version, &blob, &meta),
        "the current version {version} of API_KEY opens under the item key Carol held (sync: {r:?})"
    );
    let got = fx.open().get_item(PROD, "API_KEY").map(|_| ());
    assert!(got.is_ok(), "Ada's get of API_KEY: {got:?}");
}

/// ATTACK (a writer of web/prod, own client): publish two `item.set`s whose
/// blobs open under nothing, both naming the current keys: the next
/// version of API_KEY (it becomes current: `mutate` cannot check a blob)
/// and a concurrent version of DB_PASS (it waits as a conflict). Every
/// owner's or admin's sync now runs `reseal_stale` after taking entries
/// in, which opens every item of an environment holding a waiting version
/// (`load_items`, `?`) and aborts the whole sync on the first that does
/// not open.
/// SECURE: a teammate's bad blob makes that credential fail to open, never
/// every sync of every owner and admin (their own changes, an offboarding
/// of the attacker included, must still go out).
/// FOUND: see the assertion.
#[test]
fn attack_a_writers_unopenable_version_stops_every_owner_sync() {
    let (fx, remote, bob, _carol, mallory) = team_with_mallory();
    let api = HeldKeys::of(&fx, &mallory, "API_KEY");
    let db = HeldKeys::of(&fx, &mallory, "DB_PASS");
    let device = Id::make();
    forge(
        &remote,
        api.vault_id,
        device,
        &mallory,
        &api.set(api.version + 1, vec![0x55; 80], true),
        None,
    );
    forge(
        &remote,
        db.vault_id,
        device,
        &mallory,
        &db.set(db.version, vec![0x66; 80], true),
        None,
    );
    bob.sync();
    // Ada acts against Mallory: the change must reach the folder.
    fx.open()
        .set_item(DEV, "OTHER", value("ada-rotates-dev"))
        .expect("ada writes");
    let r = fx.open().sync();
    assert!(r.is_ok(), "Ada's sync fails: {r:?}");
    let r2 = fx.open().sync();
    assert!(r2.is_ok(), "Ada's second sync fails: {r2:?}");
}

/// ATTACK (a writer of web/prod who held the environment's key before an
/// offboarding, own client, long after they saw it): Ada offboards Carol,
/// then rotates API_KEY to a fresh value (a version under the new key).
/// Mallory publishes "the next version" after that one, sealed under the
/// item key the offboarding replaced, with the value Carol saw. No honest
/// client can write it (a version after Ada's rotation was read under the
/// new key). `reseal_stale` only checks that the stale version is the
/// item's next one.
/// SECURE: an owner's device does not sign, on its own, a value that
/// replaces a rotation its writer never saw (it waits for a person);
/// at the least, a writer cannot make an owner's device author it.
/// FOUND: see the assertion.
#[test]
fn attack_a_stale_version_after_a_rotation_makes_the_owner_undo_it() {
    let (fx, remote, _bob, _carol, mallory) = team_with_mallory();
    let old = HeldKeys::of(&fx, &mallory, "API_KEY");
    fx.open()
        .offboard("Carol", &mut |_, _| {})
        .expect("offboard Carol");
    fx.open()
        .set_item(PROD, "API_KEY", value("fresh-after-offboarding"))
        .expect("ada rotates");
    fx.open().sync().expect("ada publishes");
    std::thread::sleep(Duration::from_millis(5));
    let (cur, _, _) = current_version(&fx.path, &old.item_id);
    assert_eq!(cur, old.version + 1);
    let next = cur + 1;
    forge(
        &remote,
        old.vault_id,
        Id::make(),
        &mallory,
        &old.set(next, old.seal(next), true),
        None,
    );
    let r = fx.open().sync().expect("ada syncs");
    let (_, got) = fx.open().get_item(PROD, "API_KEY").expect("get");
    assert_eq!(
        got.expose_secret(),
        "fresh-after-offboarding",
        "Ada's device re-sealed Mallory's stale version over the rotation, signed by Ada (resealed {})",
        r.resealed
    );
}

/// ATTACK (a member granted web/prod after an offboarding): open a version
/// Bob wrote under the key the offboarding replaced (he had not seen it),
/// through the past keys the replica now keeps.
/// SECURE: past keys open only for those who held them: Dave sees the
/// stale version as unreadable. Regression test.
#[test]
fn attack_a_member_granted_later_reads_a_stale_version() {
    let (fx, remote, bob, carol) = team(folder_remote);
    let dave = Device::new(&fx, "Dave");
    bob.sync();
    carol.sync();
    {
        let mut v = fx.open();
        v.offboard("Carol", &mut |_, _| {}).expect("offboard Carol");
        // Dave is an admin: his device tries the re-seal too, and must fail.
        add_member(&mut v, &dave.who, Role::Admin, &[(PROD, Access::Read)]);
        v.sync().expect("ada publishes");
    }
    dave.join(&remote).expect("Dave joins");
    bob.open()
        .set_item(PROD, "API_KEY", value("stale-write-dave-never-held"))
        .expect("bob writes");
    bob.sync();
    let r = dave.sync();
    assert_eq!(r.resealed, 0, "{r:?}");
    let waiting = dave
        .open()
        .conflicts(PROD, "API_KEY", true)
        .expect("conflicts");
    assert!(
        matches!(waiting.as_slice(), [h] if h.stale && h.unreadable && h.value.is_none()),
        "{waiting:?}"
    );
    assert!(dave.open().verify().expect("verify").ok());
}

/// ATTACK (anyone who delays the folder): Bob writes under the replaced key;
/// Ada (owner) and Dave (admin) both sync before either sees the other's
/// re-seal, so both re-seal it and publish a version and a resolve.
/// SECURE: every replica ends in the same state, no loop of re-seals, the
/// stale write current and counted exposed; `audit verify` passes on
/// replicas holding the past-key tables. Regression test.
#[test]
fn attack_two_admin_devices_reseal_the_same_stale_version() {
    let (fx, remote, bob, carol) = team(folder_remote);
    let dave = Device::new(&fx, "Dave");
    bob.sync();
    carol.sync();
    add_member(
        &mut fx.open(),
        &dave.who,
        Role::Admin,
        &[(PROD, Access::Read)],
    );
    fx.open().sync().expect("ada syncs");
    dave.join(&remote).expect("Dave joins");
    bob.sync();
    fx.open()
        .offboard("Carol", &mut |_, _| {})
        .expect("offboard Carol");
    fx.open().sync().expect("ada publishes");
    dave.sync();
    std::thread::sleep(Duration::from_millis(5));
    bob.open()
        .set_item(PROD, "API_KEY", value("stale-write-twice"))
        .expect("bob writes");
    bob.sync();
    // Both take in Bob's write before either's re-seal is in the folder.
    let folder = root(&remote);
    let snapshot = fx.dir.path().join("snapshot");
    copy_dir(&folder, &snapshot);
    let ra = fx.open().sync().expect("ada syncs");
    let ada_feed = feed_dir(&remote, &device_of(&fx.open()));
    let aside = fx.dir.path().join("ada-feed-aside");
    copy_dir(&ada_feed, &aside);
    std::fs::remove_dir_all(&folder).expect("rm");
    copy_dir(&snapshot, &folder);
    // Dave sees the folder without Ada's re-seal.
    let rd = dave.sync();
    assert_eq!((ra.resealed, rd.resealed), (1, 1), "{ra:?} {rd:?}");
    // Ada's feed comes back (her entries are hers: put back in full).
    copy_dir(&aside, &ada_feed);
    for _ in 0..3 {
        fx.open().sync().expect("ada syncs");
        dave.sync();
        bob.sync();
    }
    let again = fx.open().sync().expect("ada syncs");
    assert_eq!(again.resealed, 0, "re-seals again: {again:?}");
    assert_converged(&[&fx.path, &dave.replica, &bob.replica]);
    for d in [&fx.path, &dave.replica, &bob.replica] {
        let c = Connection::open(d).expect("open");
        let n: i64 = c
            .query_row("SELECT COUNT(*) FROM item_conflicts", [], |r| r.get(0))
            .expect("count");
        assert_eq!(n, 0, "{} keeps a waiting version", d.display());
    }
    assert_value(&mut fx.open(), PROD, "API_KEY", "stale-write-twice");
    assert_value(&mut dave.open(), PROD, "API_KEY", "stale-write-twice");
    // `audit verify` replays the new tables (past wraps and keys) too.
    for d in [&fx.path, &dave.replica, &bob.replica] {
        let c = Connection::open(d).expect("open");
        let past: i64 = c
            .query_row("SELECT COUNT(*) FROM item_keys_past", [], |r| r.get(0))
            .expect("count");
        assert!(past > 0, "{} keeps the replaced item keys", d.display());
    }
    assert!(fx.open().verify().expect("verify").ok());
    assert!(dave.open().verify().expect("verify").ok());
    assert!(bob.open().verify().expect("verify").ok());
}

/// The log table as schema 1 to 5 made it (`op_id UNIQUE` across the log;
/// `reason` added by schema 2), for [`downgrade`] below schema 6: the text
/// must be exactly schema 1's, or the file is refused as changed outside
/// coffer. Rows (and their `seq`) are kept.
const OPS_BEFORE_V6: &str = r#"
CREATE TABLE ops_v6_rows AS SELECT * FROM ops;
DROP TABLE ops;
CREATE TABLE ops (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    op_id BLOB NOT NULL UNIQUE,
    device_id BLOB NOT NULL,
    device_seq INTEGER NOT NULL,
    author_id BLOB NOT NULL,
    hlc INTEGER NOT NULL,
    kind INTEGER NOT NULL,
    body BLOB NOT NULL,
    prev_hash BLOB NOT NULL,
    hash BLOB NOT NULL,
    sig BLOB NOT NULL,
    outcome TEXT NOT NULL CHECK (outcome IN ('applied','denied')),
    UNIQUE (device_id, device_seq)
);
ALTER TABLE ops ADD COLUMN reason TEXT;
INSERT INTO ops SELECT * FROM ops_v6_rows ORDER BY seq;
DROP TABLE ops_v6_rows;
CREATE INDEX ops_hlc ON ops(hlc);
CREATE INDEX ops_feed ON ops(device_id, author_id, outcome, hlc);
"#;

/// Turns a current replica into what an older build left: `sql` run on the
/// closed file, then `PRAGMA user_version = version`.
fn downgrade(replica: &Path, sql: &str, version: i64) {
    let c = Connection::open(replica).expect("open");
    // Tables (and indexes) later schemas added, which a file at `version`
    // never had.
    for (since, drop) in [
        (9, "DROP TABLE removed_envs;"),
        (10, "DROP TABLE overlays; DROP TABLE env_policies;"),
        (11, "DROP INDEX ops_kind;"),
        (12, "DROP TABLE name_index;"),
    ] {
        if version < since {
            c.execute_batch(drop).expect("drop a later table");
        }
    }
    c.execute_batch(sql).expect("downgrade");
    c.pragma_update(None, "user_version", version)
        .expect("user_version");
}

/// ATTACK (none: an upgrade): a sealed replica written at schema 10 (before
/// the log's index by kind, issue 14) is opened by this build.
/// SECURE: it migrates (the index is built; no state table changes, so the
/// seal still matches), opens, verifies, and syncs on.
#[test]
fn attack_schema_10_sealed_replica_opens_after_the_v11_migration() {
    let (fx, _remote, bob, _carol) = team(folder_remote);
    downgraded_replica_opens(&bob, 10);
    {
        let mut ada = fx.open();
        ada.set_item(PROD, "AFTER_V11", value("after the index"))
            .expect("set");
        ada.sync().expect("ada publishes");
    }
    let mut v = bob.open();
    v.sync().expect("bob syncs after the migration");
    assert!(v.verify().expect("verify").ok());
    drop(v);
    let n: i64 = Connection::open(&bob.replica)
        .expect("open")
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE name = 'ops_kind'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(n, 1, "the migration built the index");
}

/// Bob's replica, turned into what a build at schema `version` left, opens
/// with this build (migrating) and verifies.
fn downgraded_replica_opens(bob: &Device, version: i64) {
    downgrade(&bob.replica, "", version);
    let mut v = bob
        .who
        .try_open(&bob.replica)
        .unwrap_or_else(|e| panic!("a schema {version} replica opens after the migration: {e}"));
    assert!(v.verify().expect("verify").ok());
}

/// ATTACK (none: an upgrade): a sealed replica written at schema 9 (before
/// personal overrides and environment policies) is opened by this build.
/// SECURE: it migrates, opens, verifies; a policy and an override then
/// fill the new tables on every replica and the seal follows them.
#[test]
fn attack_schema_9_sealed_replica_opens_after_the_v10_migration() {
    let (fx, _remote, bob, _carol) = team(folder_remote);
    downgraded_replica_opens(&bob, 9);
    {
        let mut ada = fx.open();
        ada.set_env_policy(PROD, coffer_vault::ops::OverridePolicy::Allow)
            .expect("allow");
        ada.sync().expect("ada publishes");
    }
    let mut v = bob.open();
    v.sync().expect("bob syncs");
    v.set_override(PROD, "API_KEY", &secret("bob-own"))
        .expect("bob overrides");
    v.sync().expect("bob publishes");
    drop(v);
    fx.open().sync().expect("ada syncs");
    for mut v in [fx.open(), bob.open()] {
        assert!(v.verify().expect("verify").ok());
    }
    assert_converged(&[&fx.path, &bob.replica]);
}

/// ATTACK (none: an upgrade): a sealed replica written by a build at schema
/// 4 (before `env_wraps_past`, `item_keys_past` and the log's indexes) is
/// opened by this build. The past-key tables enter the state digest only
/// once they hold a row.
/// SECURE: it migrates and opens, verifies, syncs; an offboarding then
/// fills the new tables and the seal follows them. Regression test.
#[test]
fn attack_schema_4_sealed_replica_opens_after_the_v5_migration() {
    let (fx, _remote, bob, _carol) = team(folder_remote);
    bob.sync();
    downgrade(
        &bob.replica,
        &format!("DROP TABLE item_keys_adopted; DROP TABLE item_keys_earlier; {OPS_BEFORE_V6} DROP INDEX ops_feed; DROP INDEX ops_hlc; DROP TABLE item_keys_past; DROP TABLE env_wraps_past;"),
        4,
    );
    let mut v = bob
        .who
        .try_open(&bob.replica)
        .expect("a schema 4 replica opens after the migration");
    assert!(v.verify().expect("verify").ok());
    drop(v);
    fx.open()
        .offboard("Carol", &mut |_, _| {})
        .expect("offboard Carol");
    fx.open().sync().expect("ada publishes");
    bob.sync();
    let c = Connection::open(&bob.replica).expect("open");
    let past: i64 = c
        .query_row("SELECT COUNT(*) FROM env_wraps_past", [], |r| r.get(0))
        .expect("count");
    assert!(past > 0, "the offboarding keeps the replaced wraps");
    drop(c);
    let mut v = bob.open();
    assert!(v.verify().expect("verify").ok());
    assert_value(&mut v, PROD, "API_KEY", API_V2);
}

/// ATTACK (none: an upgrade): a sealed replica written by a build at schema
/// 5 (the log's `op_id` unique across authors, before G3 of attack review
/// 5) is opened by this build: the log is rebuilt with op ids unique per
/// author, its rows and their order kept, so the seal still vouches for it.
/// SECURE: it migrates and opens, verifies, syncs; an offboarding then
/// flows and a new entry takes the next place in the log. Regression test.
#[test]
fn attack_schema_5_sealed_replica_opens_after_the_v6_migration() {
    let (fx, _remote, bob, _carol) = team(folder_remote);
    bob.sync();
    let count = |p: &Path| -> (i64, i64) {
        let c = Connection::open(p).expect("open");
        c.query_row("SELECT COUNT(*), MAX(seq) FROM ops", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("count")
    };
    let before = count(&bob.replica);
    downgrade(
        &bob.replica,
        &format!("DROP TABLE item_keys_adopted; DROP TABLE item_keys_earlier; {OPS_BEFORE_V6}"),
        5,
    );
    let mut v = bob
        .who
        .try_open(&bob.replica)
        .expect("a schema 5 replica opens after the migration");
    assert!(v.verify().expect("verify").ok());
    drop(v);
    assert_eq!(count(&bob.replica), before, "the log's rows are kept");
    fx.open()
        .offboard("Carol", &mut |_, _| {})
        .expect("offboard Carol");
    fx.open().sync().expect("ada publishes");
    bob.sync();
    let mut v = bob.open();
    assert!(v.member("Carol").expect("Carol").status != "active");
    assert!(v.verify().expect("verify").ok());
    assert_value(&mut v, PROD, "API_KEY", API_V2);
    drop(v);
    assert_converged(&[&fx.path, &bob.replica]);
}

/// ATTACK (none: an upgrade): a sealed replica written at schema 6 (before
/// `item_keys_earlier`) is opened by this build; the new table enters the
/// state digest only once it holds a row.
/// SECURE: it migrates, opens, verifies; an unshare then fills the table on
/// every replica, the seal follows it, and every version still reads.
#[test]
fn attack_schema_6_sealed_replica_opens_after_the_v7_migration() {
    let (fx, _remote, bob, _carol) = team(folder_remote);
    let _dave = add_dev_reader(&fx, &bob);
    downgrade(
        &bob.replica,
        "DROP TABLE item_keys_adopted; DROP TABLE item_keys_earlier;",
        6,
    );
    let mut v = bob
        .who
        .try_open(&bob.replica)
        .expect("a schema 6 replica opens after the migration");
    assert!(v.verify().expect("verify").ok());
    v.share(PROD, "API_KEY", "Dave").expect("Bob shares");
    v.unshare(PROD, "API_KEY", "Dave").expect("Bob unshares");
    v.sync().expect("bob publishes");
    drop(v);
    fx.open().sync().expect("ada syncs");
    for p in [&fx.path, &bob.replica] {
        let n: i64 = Connection::open(p)
            .expect("open")
            .query_row("SELECT COUNT(*) FROM item_keys_earlier", [], |r| r.get(0))
            .expect("count");
        assert_eq!(n, 1, "{p:?}");
    }
    for mut v in [fx.open(), bob.open()] {
        assert!(v.verify().expect("verify").ok());
        assert_value(&mut v, PROD, "API_KEY", API_V2);
        let h = v.history(PROD, "API_KEY", true).expect("history");
        assert!(h.iter().all(|e| e.value.is_some()), "every version opens");
    }
    assert_converged(&[&fx.path, &bob.replica]);
}

/// ATTACK (none: an upgrade): a sealed replica written at schema 7 (one
/// `item_keys_earlier` row per item, no `item_keys_adopted`) holding an
/// unshare's row is opened by this build: the table is rebuilt with the
/// same rows and columns, so the seal still vouches for it.
/// SECURE: it migrates, opens, verifies; every version still reads; a
/// second unshare adds a row beside the first on every replica.
#[test]
fn attack_schema_7_sealed_replica_opens_after_the_v8_migration() {
    let (fx, _remote, bob, _carol) = team(folder_remote);
    let _dave = add_dev_reader(&fx, &bob);
    {
        let mut v = bob.open();
        v.share(PROD, "API_KEY", "Dave").expect("Bob shares");
        v.unshare(PROD, "API_KEY", "Dave").expect("Bob unshares");
        v.sync().expect("bob publishes");
    }
    fx.open().sync().expect("ada syncs");
    downgrade(
        &bob.replica,
        "DROP TABLE item_keys_adopted;
         CREATE TABLE k7 AS SELECT * FROM item_keys_earlier;
         DROP TABLE item_keys_earlier;
         CREATE TABLE item_keys_earlier (
    item_id BLOB PRIMARY KEY REFERENCES items(id),
    ct BLOB NOT NULL,
    author_id BLOB NOT NULL,
    upto INTEGER NOT NULL
);
         INSERT INTO item_keys_earlier SELECT * FROM k7;
         DROP TABLE k7;",
        7,
    );
    let mut v = bob
        .who
        .try_open(&bob.replica)
        .expect("a schema 7 replica opens after the migration");
    assert!(v.verify().expect("verify").ok());
    assert_value(&mut v, PROD, "API_KEY", API_V2);
    v.share(PROD, "API_KEY", "Dave").expect("Bob shares again");
    v.unshare(PROD, "API_KEY", "Dave")
        .expect("Bob unshares again");
    v.sync().expect("bob publishes");
    drop(v);
    fx.open().sync().expect("ada syncs");
    for p in [&fx.path, &bob.replica] {
        let n: i64 = Connection::open(p)
            .expect("open")
            .query_row("SELECT COUNT(*) FROM item_keys_earlier", [], |r| r.get(0))
            .expect("count");
        assert_eq!(
            n, 2,
            "{p:?}: the second unshare's row is kept beside the first"
        );
    }
    for mut v in [fx.open(), bob.open()] {
        assert!(v.verify().expect("verify").ok());
        assert_value(&mut v, PROD, "API_KEY", API_V2);
        let h = v.history(PROD, "API_KEY", true).expect("history");
        assert!(h.iter().all(|e| e.value.is_some()), "every version opens");
    }
    assert_converged(&[&fx.path, &bob.replica]);
}

/// ATTACK (someone who can write the device's files): as
/// `attack_a_file_naming_another_vault…`, set the team replica's
/// `vault.id` to Bob's own vault, but first move Bob's real replica of
/// that vault away for the duration of the rebuild (or wait until it sits
/// on a drive that is not mounted): `check_is_the_replica` only refuses
/// when the recorded replica `is_file()`. Bob's own vault has nothing
/// unpublished, so no entry is lost and `check_head` passes.
/// SECURE: a file that is not a vault's recorded replica never becomes it;
/// the real replica opens when it comes back.
/// FOUND: see the assertion.
#[test]
fn attack_a_file_naming_another_vault_is_rebuilt_while_its_replica_is_away() {
    let (fx, _remote, bob, _carol) = team(folder_remote);
    let (own, own_id) = bobs_own_vault(&fx, &bob, "PUBLISHED", "in-own-vault", true);
    rename_vault(&bob.replica, &own_id);
    let away = fx.dir.path().join("unmounted-bob-own.coffer");
    std::fs::rename(&own, &away).expect("move away");
    let rebuilt =
        Vault::rebuild(&bob.replica, bob.who.unlock()).map(|(v, _, r)| (v.id(), r.is_some()));
    std::fs::rename(&away, &own).expect("move back");
    let opens = bob.who.try_open(&own).map(|_| ());
    assert!(
        opens.is_ok(),
        "rebuilding {} while Bob's replica of his own vault was away ({rebuilt:?}) locked that replica out: {opens:?}",
        bob.replica.display()
    );
}

/// Whether the exposure report on Carol counts `key` as rotated.
fn rotated_for_carol(v: &mut Vault, key: &str) -> bool {
    let r = v.exposure_report("Carol").expect("report");
    r.items
        .iter()
        .find(|i| i.key == key)
        .unwrap_or_else(|| panic!("{key} is not in the report on Carol"))
        .rotated
}

/// ATTACK (a writer of web/prod, within their rights): Bob writes API_KEY
/// under the key Carol's offboarding replaced (he had not seen it); Carol
/// can read that value from Bob's feed. Ada's device re-seals it, marked
/// exposed. Ada then sets another value, and Bob sets the stale value
/// back. A value an offboarded member could read is to stay exposed
/// whenever it comes back (`exposed_values` tags), but the re-seal marks
/// only that version (`exposed_at`) and remembers no tag for the value.
/// SECURE: the value Carol could read counts as exposed when it is set
/// again, as any value she saw does.
/// FOUND: see the assertion.
#[test]
fn attack_a_resealed_stale_value_set_again_is_no_longer_exposed() {
    let (fx, _remote, bob, carol) = team(folder_remote);
    bob.sync();
    carol.sync();
    offboard_and_publish(&fx, "Carol");
    bob.open()
        .set_item(PROD, "API_KEY", value("carol-read-this"))
        .expect("bob writes");
    bob.sync();
    let r = fx.open().sync().expect("ada syncs");
    assert_eq!(r.resealed, 1, "{r:?}");
    assert!(!rotated_for_carol(&mut fx.open(), "API_KEY"));
    fx.open()
        .set_item(PROD, "API_KEY", value("fresh-value"))
        .expect("ada rotates");
    fx.open().sync().expect("ada publishes");
    assert!(rotated_for_carol(&mut fx.open(), "API_KEY"));
    bob.sync();
    bob.open()
        .set_item(PROD, "API_KEY", value("carol-read-this"))
        .expect("bob sets it back");
    bob.sync();
    fx.open().sync().expect("ada syncs");
    assert!(
        !rotated_for_carol(&mut fx.open(), "API_KEY"),
        "a value Carol could read is current again and counts as rotated"
    );
}

// ----- versions that open under nothing -------------------------------------

/// A dotenv export of web/prod, delivered nowhere.
fn export_prod(v: &mut Vault) -> coffer_vault::Result<()> {
    v.export_env(
        PROD,
        coffer_dotenv::Format::Dotenv,
        coffer_dotenv::Dialect::Portable,
        coffer_vault::dangerous::AllowVars::NONE,
        |_| Ok(()),
    )
}

/// Mallory publishes what `op` makes from the keys she holds for API_KEY,
/// and Ada takes it in.
fn mallory_publishes(op: impl FnOnce(&HeldKeys) -> OpBody) -> (Fx, Device) {
    let (fx, remote, bob, _carol, mallory) = team_with_mallory();
    let api = HeldKeys::of(&fx, &mallory, "API_KEY");
    forge(&remote, api.vault_id, Id::make(), &mallory, &op(&api), None);
    fx.open().sync().expect("ada takes it in");
    (fx, bob)
}

/// Mallory's junk `item.set` of API_KEY: the next version, naming the
/// current keys, a blob no key opens.
fn junk_version_of_api_key() -> (Fx, Device) {
    mallory_publishes(|api| api.set(api.version + 1, vec![0x55; 80], true))
}

/// ATTACK (a writer of web/prod, own client, about to be offboarded):
/// publish a next version of API_KEY that opens under nothing. An
/// offboarding re-keys web/prod, which re-encrypts every version of every
/// item and gave up on the first that did not open: the member being
/// removed could stop their own offboarding.
/// SECURE: the offboarding goes through (a version nobody can open is
/// carried over as it is: it tells the removed member nothing); the
/// report lists API_KEY; the rest of the environment stays readable.
#[test]
fn attack_a_writers_unopenable_version_blocks_their_own_offboarding() {
    let (fx, bob) = junk_version_of_api_key();
    let report = fx
        .open()
        .offboard("Mallory", &mut |_, _| {})
        .expect("offboarding Mallory goes through");
    assert!(
        report.items.iter().any(|i| i.key.ends_with("API_KEY")),
        "the report lists API_KEY: {:?}",
        report.items.iter().map(|i| &i.key).collect::<Vec<_>>()
    );
    fx.open().sync().expect("ada publishes");
    bob.sync();
    assert_value(&mut bob.open(), PROD, "DB_PASS", DB_VALUE);
    assert_converged(&[&fx.path, &bob.replica]);
}

/// ATTACK (the same junk version): every reader of web/prod then failed to
/// list, export or run the whole environment, and to read any of its
/// credentials, for as long as the junk stayed current.
/// SECURE: the one credential does not open and says who wrote it; every
/// other credential lists and reads; an export (which must not silently
/// leave a variable out) names the credential; a new value mends it.
#[test]
fn attack_a_writers_unopenable_version_blocks_the_whole_environment() {
    let (fx, bob) = junk_version_of_api_key();
    let mut v = fx.open();
    let names: Vec<String> = v
        .list_items(Some(PROD), 30)
        .expect("web/prod lists")
        .into_iter()
        .map(|s| s.name)
        .collect();
    assert!(names.iter().any(|n| n == "API_KEY"), "{names:?}");
    assert_value(&mut v, PROD, "DB_PASS", DB_VALUE);
    let e = v.get_item(PROD, "API_KEY").map(|_| ()).expect_err("junk");
    let msg = e.to_string();
    assert!(
        msg.contains("Mallory") && msg.contains("does not open"),
        "the error says who wrote what: {msg}"
    );
    let e = export_prod(&mut v).expect_err("an export never leaves API_KEY out silently");
    assert!(e.to_string().contains("API_KEY"), "{e}");
    v.set_item(PROD, "API_KEY", value("mended"))
        .expect("a new value mends it");
    assert_value(&mut v, PROD, "API_KEY", "mended");
    let rep = v.verify().expect("verify");
    assert!(rep.ok(), "{:?}", rep.problems);
    assert!(
        rep.unopened.iter().any(|u| u.contains("web/prod/API_KEY")),
        "verify names the junk version: {:?}",
        rep.unopened
    );
    let h = v.history(PROD, "API_KEY", false).expect("history lists");
    assert!(
        h.iter().any(|e| e.unreadable),
        "the junk version shows as unreadable"
    );
    drop(v);
    fx.open().sync().expect("ada publishes");
    bob.sync();
    assert_value(&mut bob.open(), PROD, "API_KEY", "mended");
}

/// ATTACK (a writer, own client): create a credential whose item key and
/// value open under nothing. Nobody can ever learn its name.
/// SECURE: it is not listed (no name can be read), the rest lists and
/// reads, an export names it (and where to see who wrote it) rather than go through
/// without it, and offboarding goes through.
#[test]
fn attack_a_writers_unopenable_new_item_blocks_the_environment() {
    let (fx, _bob) = mallory_publishes(|api| OpBody::SetItem {
        item_id: Id::make(),
        env_id: api.env_id,
        version: 1,
        ik_ct: Some(vec![0x44; 72]),
        blob: vec![0x55; 80],
        meta: api.meta,
        sealed_under: Some(coffer_vault::ops::SealedUnder {
            epoch: api.epoch,
            item_key: coffer_crypto::ItemKeyGeneration::of_sealed(&[0x44; 72]).0,
        }),
    });
    let mut v = fx.open();
    let before = v.list_items(Some(PROD), 30).expect("web/prod lists").len();
    assert_value(&mut v, PROD, "API_KEY", API_V2);
    // The export refuses, naming the writer, rather than leave out a
    // credential it cannot name (attack review 5, G1).
    let e = export_prod(&mut v).expect_err("the export names what it cannot read");
    assert!(e.to_string().contains("open under no key"), "{e}");
    v.offboard("Mallory", &mut |_, _| {})
        .expect("offboarding Mallory goes through");
    assert_eq!(
        v.list_items(Some(PROD), 30).expect("lists").len(),
        before,
        "nothing appeared or vanished"
    );
}
