//! Attack review 4 (stale writes, demotion cuts, twins, preverify, the
//! sync read budget: 4b7121e, 315b2c5, 1e5c8fc, cf464fb, 5f2a23b, c0b8001).
//! Each test names the attack and asserts the secure behaviour: the
//! `attack_*` tests marked FOUND fail on the code they were written
//! against; the `resisted_*` tests pass (attacks tried and defended).
//! Helpers are copied from `tests/sync_attacks.rs`.
//!
//! Findings (each test fails on 328e832):
//! - F1  two racing offboardings: the second member keeps the current key
//! - F2  planted junk quarantines a feed for good (no key needed)
//! - F3  an unsigned copy of an op id quarantines the genuine feed
//! - F4  junk feeds are read past the sync budget (one entry each, any size)
//! - F5  empty feed directories shrink every feed's share of the budget
//! - F6  twins: a twin is reported unnamed; keeping a twin's value forgets
//!   that the offboarded member read it
//! - F7  a demotion's cut undoes an offboarding its author had not seen
//! - F8  a removed member fills every replica with denied entries
//! - F9  a writer's stale value is re-sealed in the owner's name
//! - F10 a moved copy of a device's own entry makes it abandon its identity
//! - F11 one item that does not open makes the exposure report trust a
//!   writer's `exposed_at`

mod common;

use std::path::Path;
use std::time::Duration;

use coffer_crypto::{Id, PrivateIdentity, SignPurpose};
use coffer_vault::ops::{kind, MemberRecord, OpBody};
use coffer_vault::sync::feed::Entry;
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

/// [`team_with_mallory`] as a reader of prod, then offboarded by Ada;
/// Bob's device has seen it.
fn team_with_removed_mallory() -> (Fx, Remote, Device, Id, PrivateIdentity) {
    let (fx, remote, bob, vault_id, mallory) = team_with_mallory(Role::Reader, Access::Read);
    fx.open()
        .offboard("Mallory", &mut |_, _| {})
        .expect("offboard Mallory");
    fx.open().sync().expect("ada syncs");
    bob.sync();
    (fx, remote, bob, vault_id, mallory)
}

/// `who` signing their own role change to `role`.
fn promotion(who: &PrivateIdentity, role: &str) -> OpBody {
    OpBody::SetRole {
        member_id: who.id(),
        role: role.into(),
        rewraps: vec![],
        reshares: vec![],
        cut: None,
    }
}

/// The wraps of `env_id`'s current epoch in the applied log of a replica:
/// the op that made the epoch (an `env.add` or `env.rekey`) and every
/// grant of that epoch after it.
fn current_epoch_wraps(replica: &Path, env_id: Id) -> (u64, Vec<coffer_vault::ops::WrapRecord>) {
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
        "SELECT body FROM ops WHERE outcome = 'applied' ORDER BY seq",
    ) {
        let rusqlite::types::Value::Blob(b) = &r[0] else {
            continue;
        };
        match OpBody::decode(b).expect("body") {
            OpBody::AddEnv {
                env_id: e, wraps, ..
            }
            | OpBody::RekeyEnv {
                env_id: e, wraps, ..
            } if e == env_id => out.extend(wraps.into_iter().filter(|w| w.epoch == epoch)),
            OpBody::Grant {
                env_id: e,
                wrap: Some(w),
                ..
            } if e == env_id && w.epoch == epoch => out.push(w),
            _ => {}
        }
    }
    (epoch, out)
}

// ----- F1: two offboardings racing leave one offboarded member the key ------

/// ATTACK (two honest admins racing, model d; the offboarded member keeps
/// their keys and reads the folder, model c): Ada offboards Carol while
/// Dave (admin) offboards Erin, neither having seen the other's batch. In
/// the total order Ada's batch comes first: `RekeyEnv` of web/prod to
/// epoch 2, wrapped to everyone Ada keeps, Erin included. Then Dave's:
/// `Revoke(Erin)` applies (it deletes Erin's wrap *row*), but his own
/// `RekeyEnv` (epoch 2 as well) is denied as a concurrent re-key, and his
/// `ExposedValues` for epoch 2 (tags under his never-adopted key) applies
/// and replaces the tags Ada's batch recorded for Carol. Nothing re-keys
/// again: every replica converges on an epoch whose key was wrapped, in a
/// signed op sitting in the folder, to Erin, who is revoked.
/// SECURE: after both offboardings every replica ends on an epoch whose
/// key no revoked member was ever sent. Suggested fix: when a `Revoke`
/// applies after a re-key that wrapped to the revoked member (or the
/// revocation's own re-key is denied), the environment needs a new epoch:
/// an owner's or admin's device re-keys it on its next sync (as
/// `reseal_stale` does for stale versions), deterministically enough that
/// two devices doing it converge (the second is denied as concurrent and
/// finds nothing left to do); and an `ExposedValues` whose batch's re-key
/// was denied should be refused (its tags are keyed by a key no one has)
/// rather than replace the standing tags.
/// FOUND: see the assertion (Erin unwraps the current key).
#[test]
fn attack_two_racing_offboardings_leave_the_second_member_the_current_key() {
    // Neither admin has seen the other's offboarding.
    let (fx, _remote, bob, dave, erin) = racing_offboardings_team();
    for _ in 0..2 {
        fx.open().sync().expect("ada syncs");
        dave.sync();
        bob.sync();
    }
    assert_converged(&[&fx.path, &dave.replica, &bob.replica]);
    let (vault_id, env_id) = {
        let v = fx.open();
        (v.id(), v.env(PROD).expect("env").id)
    };
    let gone = revoked(&fx.path);
    assert!(gone.contains(&erin.id()), "Erin is revoked");
    let (epoch, wraps) = current_epoch_wraps(&fx.path, env_id);
    let ada = fx.unlock().public().clone();
    let dave_keys = dave.who.unlock().public().clone();
    if let Some(w) = wraps.iter().find(|w| gone.contains(&w.member_id)) {
        let opens = w.member_id == erin.id()
            && [&ada, &dave_keys]
                .iter()
                .find(|k| k.id == w.sender_id)
                .is_some_and(|sender| {
                    coffer_crypto::wrap::unwrap::<coffer_crypto::EnvKey>(
                        &erin,
                        sender,
                        &w.epk,
                        &w.ct,
                        &w.sig,
                        &coffer_crypto::WrapContext {
                            vault_id,
                            object_id: env_id,
                            epoch,
                            recipient_id: erin.id(),
                            sender_id: w.sender_id,
                        },
                    )
                    .is_ok()
                });
        panic!(
            "web/prod's current epoch {epoch} was wrapped to revoked member {} (Erin: {}); Erin unwraps it with her own key: {opens}",
            w.member_id.short(),
            w.member_id == erin.id()
        );
    }
}

// ----- F2: a quarantine on evidence anyone can forge is forever -------------

/// ATTACK (anyone who writes the folder, no key): right after Ada
/// publishes, put junk bytes where her *next* entry will go. Bob's sync
/// reads it ("entry #n is malformed") and quarantines Ada's feed in his
/// replica (`feed_problems`). Ada's next sync removes the planted file
/// (her own feed) and publishes her real entries, but Bob never reads
/// Ada's feed again (`import` skips a quarantined feed) until someone runs
/// `sync --rebuild` by hand on his device: her offboardings, rotations and
/// member changes stop reaching him. Done once per device, before each
/// syncs, it cuts the owner off from the whole team.
/// SECURE: a feed problem that only unsigned bytes show (malformed, bad
/// signature, not chained, oversized, unreadable; also an applied entry
/// gone or replaced by bytes its author did not sign, which the feed's
/// owner puts back) is not permanent: the
/// feed is read again on the next sync and flows once its owner has put
/// it right. Suggested fix: keep the permanent quarantine for proof that
/// the *device* misbehaved (two entries for one position both validly
/// signed by its author, an applied entry replaced by another validly
/// signed one); otherwise record the problem as "held" and re-read from
/// the applied head every sync.
/// FOUND: see the assertion.
#[test]
fn attack_planted_junk_quarantines_the_owners_feed_for_good() {
    let (fx, remote, bob, _carol) = team(folder_remote);
    bob.sync();
    let adev = device_of(&fx.open());
    fx.open()
        .set_item(PROD, "FIRST", value("first-value"))
        .expect("ada sets");
    fx.open().sync().expect("ada publishes");
    let next = last_seq(&remote, &adev) + 1;
    std::fs::write(entry_file(&remote, &adev, next), b"not an entry").expect("plant");
    let r = bob.sync();
    assert!(!r.quarantined.is_empty(), "Bob reads the junk: {r:?}");
    // Ada removes what was planted in her feed and goes on.
    let ra = fx.open().sync().expect("ada syncs");
    assert!(
        ra.warnings.iter().any(|w| w.contains("planted")),
        "Ada removes the junk: {ra:?}"
    );
    fx.open()
        .offboard("Carol", &mut |_, _| {})
        .expect("Ada offboards Carol");
    fx.open()
        .set_item(PROD, "AFTER", value("after-value"))
        .expect("ada sets");
    fx.open().sync().expect("ada publishes");
    let r1 = bob.sync();
    let r2 = bob.sync();
    let got = bob.open().get_item(PROD, "AFTER").map(|_| ());
    assert!(
        got.is_ok(),
        "Bob never gets Ada's entries again (her offboarding of Carol included) after one junk file: {got:?}; {r1:?} {r2:?}"
    );
}

/// What F2's fix keeps: a member's device that signs two different entries
/// for one position (a fork: proof that its author signed both) is
/// quarantined for good. Putting the first entry back does not lift it.
#[test]
fn resisted_a_signed_fork_stays_quarantined() {
    let (_fx, remote, bob, vault_id, mallory) = team_with_mallory(Role::Reader, Access::Read);
    let mdev = Id::make();
    let body = promotion(&mallory, "owner");
    let first = forge(&remote, vault_id, mdev, &mallory, &body, None);
    let r = bob.sync();
    assert_eq!(r.denied.len(), 1, "{r:?}");
    std::fs::remove_file(entry_file(&remote, &mdev, 1)).expect("rm");
    forge(&remote, vault_id, mdev, &mallory, &body, None);
    let r = bob.sync();
    assert!(r.quarantined.iter().any(|q| q.contains("forked")), "{r:?}");
    write_entry(&remote, &first);
    forge(&remote, vault_id, mdev, &mallory, &body, None);
    let r = bob.sync();
    assert!(
        r.warnings.iter().any(|w| w.contains("quarantined")),
        "the fork stays on record: {r:?}"
    );
    assert_eq!(r.received, 0, "{r:?}");
}

// ----- F3: an unsigned copy of an op id quarantines the genuine feed --------

/// ATTACK (anyone who writes the folder, no key): as soon as Ada publishes
/// an entry, copy its op id into the first entry of a new feed whose
/// device id sorts before hers (all zeros), signed by a throw-away key.
/// `read_feed` records op ids as "seen" across the batch *before* any
/// signature is checked, feeds in device-id order: the forgery takes the
/// op id first, and Ada's genuine entry "repeats an op already seen
/// (replayed)", which quarantines Ada's feed (for good, see F2). Ada's
/// device cannot repair anything: her feed is intact.
/// SECURE: an unverified entry never makes a genuine one a replay: Bob
/// gets Ada's change. Suggested fix: check op-id uniqueness after the
/// signatures (at apply time, against the log), or let an op id claimed
/// within a batch by entries of two feeds quarantine only the one whose
/// signature does not verify.
/// FOUND: see the assertion.
#[test]
fn attack_an_unsigned_copy_of_an_op_id_quarantines_the_genuine_feed() {
    let (fx, remote, bob, _carol) = team(folder_remote);
    bob.sync();
    let vault_id = fx.open().id();
    let adev = device_of(&fx.open());
    fx.open()
        .set_item(PROD, "GENUINE", value("genuine-value"))
        .expect("ada sets");
    fx.open().sync().expect("ada publishes");
    let published = Entry::decode(
        &std::fs::read(entry_file(&remote, &adev, last_seq(&remote, &adev))).expect("read"),
    )
    .expect("decode");
    let outsider = PrivateIdentity::make();
    let shadow = Id([0; 16]);
    let e = build_next(
        &remote,
        vault_id,
        shadow,
        &outsider,
        &OpBody::Read {
            env_id: Id::make(),
            action: coffer_vault::ops::ReadAction::Reveal,
            item_ids: vec![],
        },
        None,
        Some(published.header.op_id),
    );
    write_entry(&remote, &e);
    let r = bob.sync();
    let got = bob.open().get_item(PROD, "GENUINE").map(|_| ());
    assert!(
        got.is_ok(),
        "Bob does not get Ada's entry: a forged copy of its op id made it a replay: {got:?}; {r:?}"
    );
}

// ----- F4: every feed reads one entry whatever the budget -------------------

/// A junk `item.set` of about `bytes`, signed by an outsider (its author is
/// no member, so every device holds the feed back and reads it again on
/// every sync, never quarantines it).
fn junk_feed(remote: &Remote, vault_id: Id, bytes: usize) {
    let outsider = PrivateIdentity::make();
    forge(
        remote,
        vault_id,
        Id::make(),
        &outsider,
        &OpBody::SetItem {
            item_id: Id::make(),
            env_id: Id::make(),
            version: 1,
            ik_ct: Some(vec![0; 72]),
            blob: vec![0x42; bytes],
            meta: coffer_vault::ops::RotationMeta::default(),
            sealed_under: None,
        },
        None,
    );
}

/// ATTACK (anyone who writes the folder, no key): plant N feeds of one
/// large entry each (up to `MAX_ENTRY_BYTES`, 64 MiB), signed by nobody
/// the vault knows. `read_feed` gives every feed "at least one entry"
/// before it checks its share, so one sync holds N entries in memory
/// whatever the budget: at the default 256 MiB, five such feeds already
/// exceed it, and a hundred make 6.4 GB: every device's sync is killed for
/// lack of memory, on every attempt (the feeds wait for an author who
/// never comes, so they are read again each time).
/// SECURE: what one sync reads stays within its budget (plus at most one
/// entry, so progress is always possible). Here: a 256 KiB budget and
/// eight feeds of a 200 KiB entry: at most two of them read per sync.
/// Suggested fix: keep one running total across feeds; the "at least one
/// entry" guarantee applies only while the total is under the budget, the
/// feeds not reached wait for the next sync (rotate where the next sync
/// starts so every feed gets its turn).
/// FOUND: see the assertion.
#[test]
fn attack_junk_feeds_read_past_the_sync_budget() {
    let (fx, remote, bob, _carol) = team(folder_remote);
    bob.sync();
    let vault_id = fx.open().id();
    for _ in 0..8 {
        junk_feed(&remote, vault_id, 200 << 10);
    }
    for round in 0..2 {
        let mut v = bob.open();
        v.set_sync_read_budget(256 << 10);
        let r = v.sync().expect("bob syncs");
        let read = r
            .held_back
            .iter()
            .filter(|h| h.contains("not a member"))
            .count();
        assert!(
            read <= 2,
            "sync {round}: {read} junk entries of 200 KiB read with a 256 KiB budget: {r:?}"
        );
    }
}

/// What F4's fix keeps: junk feeds whose entries are larger than a fair
/// share of the budget go after the others, so an honest feed with
/// ordinary entries still moves in every sync, whichever feed starts.
#[test]
fn resisted_junk_feeds_do_not_crowd_out_an_honest_feed() {
    let (fx, remote, bob, _carol) = team(folder_remote);
    bob.sync();
    let vault_id = fx.open().id();
    for _ in 0..8 {
        junk_feed(&remote, vault_id, 200 << 10);
    }
    for round in 0..3 {
        fx.open()
            .set_item(DEV, &format!("KEY_{round}"), value("v"))
            .expect("ada sets");
        fx.open().sync().expect("ada publishes");
        let mut v = bob.open();
        v.set_sync_read_budget(256 << 10);
        let r = v.sync().expect("bob syncs");
        assert_eq!(r.received, 1, "sync {round}: {r:?}");
    }
}

// ----- F5: empty feed directories shrink every feed's share -----------------

/// ATTACK (anyone who writes the folder, no key): create many empty
/// directories named as device ids under `feeds/`. `import` divides the
/// budget by every directory (`devices.len()`): empty ones, quarantined
/// ones and feeds with nothing new all take a share, so the honest feeds
/// get a sliver each and move by one entry per sync. (At the default
/// 256 MiB, 2^20 empty directories leave 256 bytes a feed; in an honest
/// team, each device ever used shrinks a join's share of the owner's feed.)
/// SECURE: the budget is shared among the feeds that have new entries;
/// Bob takes in Ada's ten changes in one sync. Here the budget is 64 KiB
/// and there are 1,000 empty directories.
/// Suggested fix: count only feeds that have a next entry (stat the next
/// file first) and hand the unused share of short feeds to the others.
/// FOUND: see the assertion.
#[test]
fn attack_empty_feed_directories_starve_every_feed() {
    let (fx, remote, bob, _carol) = team(folder_remote);
    bob.sync();
    for _ in 0..1000 {
        std::fs::create_dir_all(feed_dir(&remote, &Id::make())).expect("mkdir");
    }
    for i in 0..10 {
        fx.open()
            .set_item(DEV, &format!("KEY_{i}"), value("v"))
            .expect("ada sets");
    }
    fx.open().sync().expect("ada publishes");
    let mut v = bob.open();
    v.set_sync_read_budget(64 << 10);
    let r = v.sync().expect("bob syncs");
    assert!(
        r.received >= 10,
        "Bob takes in {} of Ada's 10 entries (each about 1 KiB, budget 64 KiB): {:?}",
        r.received,
        r.held_back
    );
}

// ----- F6: twins hide exposure from the offboarding report ------------------

/// Ada and Bob create web/prod `TWIN` concurrently (two items, one name);
/// Carol, a reader of web/prod, syncs and can read both values; Ada
/// offboards her.
fn twins_seen_by_carol() -> (Fx, Remote, Device, Device) {
    let (fx, remote, bob, carol) = team(folder_remote);
    bob.sync();
    fx.open()
        .set_item(PROD, "TWIN", value("twin-from-ada"))
        .expect("ada creates");
    bob.open()
        .set_item(PROD, "TWIN", value("twin-from-bob"))
        .expect("bob creates");
    fx.open().sync().expect("ada");
    bob.sync();
    fx.open().sync().expect("ada");
    carol.sync();
    fx.open()
        .offboard("Carol", &mut |_, _| {})
        .expect("offboard Carol");
    (fx, remote, bob, carol)
}

/// ATTACK (none needed: two honest devices racing, model d; or a writer
/// who creates a twin on purpose): the same name created on two devices
/// makes two items; Carol read both values. `exposure_report` looks each
/// exposed item up among `load_items`' *folded* list, where a twin is
/// nested under the item that stands for the name: not found, it is
/// reported as `item 1a2b3c4d` (no name, no URL: the reader cannot tell
/// what to rotate at the provider), and its `rotated` falls back to the
/// stored `exposed_at` column instead of the remembered tags (right today
/// only because the offboarding's re-key wrote that column).
/// SECURE: every credential Carol read is in the report under its name.
/// Suggested fix: look exposed items up among the twins as well (or in
/// the unfolded list) when building the report (and `offboard_preview`,
/// which does the same lookup).
/// FOUND (low): see the assertion.
#[test]
fn attack_a_twin_carol_read_is_reported_without_its_name() {
    let (fx, _remote, _bob, _carol) = twins_seen_by_carol();
    let r = fx.open().exposure_report("Carol").expect("report");
    let wrong: Vec<String> = r
        .items
        .iter()
        .filter(|i| i.rotated || i.key.starts_with("item "))
        .map(|i| format!("{} rotated={}", i.key, i.rotated))
        .collect();
    assert!(
        wrong.is_empty(),
        "nothing was rotated after Carol's offboarding, yet the report says: {wrong:?}"
    );
}

/// ATTACK (a writer of web/prod, within their rights, or an honest user):
/// settle the twin conflict by keeping the twin's value (the one that does
/// not stand for the name), which Carol read. `resolve_conflict` asks
/// `exposed_since` about the standing item's id, but the tag Carol's
/// offboarding remembered for that value is under the *twin's* item id;
/// the twin is then deleted, and a deleted item counts as rotated.
/// SECURE: a value Carol read stays exposed whichever item carried it:
/// `TWIN` is still to rotate.
/// Suggested fix: when a twin's value is kept, carry the twin's exposure
/// (its `exposed_since` under the twin's id, or its tags re-keyed to the
/// standing item in the same batch).
/// FOUND: see the assertion.
#[test]
fn attack_keeping_a_twins_value_forgets_that_carol_read_it() {
    let (fx, _remote, _bob, _carol) = twins_seen_by_carol();
    fx.open()
        .resolve_conflict(PROD, "TWIN", Some(1))
        .expect("keep the twin's value");
    let (_, kept) = fx.open().get_item(PROD, "TWIN").expect("get");
    assert!(kept.expose_secret().starts_with("twin-from-"));
    let r = fx.open().exposure_report("Carol").expect("report");
    let twin: Vec<String> = r
        .items
        .iter()
        .filter(|i| !i.key.starts_with("API_KEY") && !i.key.starts_with("DB_PASS"))
        .map(|i| format!("{} rotated={}", i.key, i.rotated))
        .collect();
    // The deleted twin's own line counts as rotated, like any deleted
    // credential; the value Carol read lives on in TWIN, which must not.
    assert!(
        !twin.is_empty()
            && r.items
                .iter()
                .filter(|i| !i.key.ends_with("(deleted)"))
                .all(|i| !i.rotated),
        "TWIN's value {} was read by Carol, yet the report says: {twin:?}",
        kept.expose_secret()
    );
}

// ----- F7: a demotion undoes an offboarding its author had not seen -----------

/// ATTACK (none: two honest devices racing, model d): Dave, an admin,
/// offboards Carol from his device. Before Ada's device has seen that,
/// Ada demotes Dave to member. The demotion carries Dave's feed cut as
/// Ada's replica has it (kind 19); Dave's offboarding is beyond the cut
/// and dated before the demotion, so every device denies it, whatever it
/// did: Carol is active again, her wraps restored, web/prod back at the
/// epoch whose key she holds. The cut exists to stop a demoted admin from
/// backdating *grants* (a puppet admin); denying what only takes access
/// away fails open.
/// SECURE: Carol stays offboarded on every replica.
/// Suggested fix: a cut denies only what gives access or power (member
/// add, grant, share, promotion, item writes as an admin); a revocation,
/// ungrant, unshare, demotion or re-key beyond the cut is still judged on
/// the state before it (the member was an admin when they signed it).
/// FOUND: see the assertion.
#[test]
fn attack_a_demotion_undoes_an_offboarding_its_author_had_not_seen() {
    let (fx, remote, bob, _carol) = team(folder_remote);
    let dave = Device::new(&fx, "Dave");
    add_member(
        &mut fx.open(),
        &dave.who,
        Role::Admin,
        &[(PROD, Access::Read)],
    );
    fx.open().sync().expect("ada syncs");
    dave.join(&remote).expect("Dave joins");
    bob.sync();
    dave.open()
        .offboard("Carol", &mut |_, _| {})
        .expect("Dave offboards Carol");
    dave.sync();
    std::thread::sleep(Duration::from_millis(5));
    // Ada has not synced since Dave's offboarding.
    fx.open()
        .set_role("Dave", Role::Member)
        .expect("Ada demotes Dave");
    for _ in 0..2 {
        fx.open().sync().expect("ada syncs");
        dave.sync();
        bob.sync();
    }
    assert_converged(&[&fx.path, &dave.replica, &bob.replica]);
    for (who, v) in [
        ("Ada", fx.open()),
        ("Bob", bob.open()),
        ("Dave", dave.open()),
    ] {
        let carol = v.member("Carol").expect("Carol");
        assert!(
            carol.status != "active",
            "{who}: Carol, offboarded by Dave, is {} again after Ada demoted Dave",
            carol.status
        );
    }
}

// ----- F8: a removed member fills every replica's disk -----------------------

/// ATTACK (a member, even a reader, removed or not, with their own key):
/// publish entries whose bodies are as large as the decoder allows (64 MiB;
/// here `read` ops naming 250,000 item ids, 4 MB each). An entry by a
/// revoked member is denied, but `insert_row` keeps every received entry,
/// body included, in every replica's log, for ever (a reader's own `read`
/// op is even applied: it is authorised for anyone). Nothing bounds how
/// many: each sync takes its budget's worth more, and every replica,
/// every join, every rebuild carries them.
/// SECURE: a removed member's entries beyond their cut cost the team
/// almost nothing: their bodies are not kept (the log keeps the header
/// and hash, which is all the chain needs), and an op's body is bounded
/// by what its kind can need (a `read` names items of its environment).
/// FOUND: see the assertion.
#[test]
fn attack_a_removed_member_fills_every_replica_with_denied_entries() {
    let (fx, remote, bob, vault_id, mallory) = team_with_removed_mallory();
    let env_id = fx.open().env(PROD).expect("env").id;
    let mdev = Id::make();
    for _ in 0..3 {
        forge(
            &remote,
            vault_id,
            mdev,
            &mallory,
            &OpBody::Read {
                action: coffer_vault::ops::ReadAction::Reveal,
                env_id,
                item_ids: (0..250_000).map(|_| Id([7; 16])).collect(),
            },
            None,
        );
    }
    let r = bob.sync();
    let c = Connection::open(&bob.replica).expect("open");
    let kept: i64 = c
        .query_row(
            "SELECT COALESCE(SUM(LENGTH(body)), 0) FROM ops WHERE author_id = ?1",
            [&mallory.id().0[..]],
            |r| r.get(0),
        )
        .expect("sum");
    assert!(
        kept < 64 << 10,
        "Bob's replica keeps {kept} bytes of entries Mallory signed after her removal (denied: {})",
        r.denied.len()
    );
}

/// (entries, bytes of body) of `device`'s feed in a replica's log.
fn kept(replica: &Path, device: Id) -> (i64, i64) {
    Connection::open(replica)
        .expect("open")
        .query_row(
            "SELECT COUNT(*), COALESCE(SUM(LENGTH(body)), 0) FROM ops WHERE device_id = ?1",
            [&device.0[..]],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("count")
}

/// Ada's and Bob's replicas hold `n` entries of `device`'s feed without
/// their bodies; Bob's verifies, replays from scratch to the same, and
/// agrees with Ada's.
fn assert_kept_without_bodies(fx: &Fx, bob: &Device, device: Id, n: i64) {
    assert_eq!(kept(&bob.replica, device), (n, 0));
    assert_eq!(kept(&fx.path, device), (n, 0));
    let check = bob.open().verify().expect("verify");
    assert!(check.ok(), "{}", check.verdict());
    bob.open()
        .sync_with(true)
        .expect("bob replays from scratch");
    assert_eq!(kept(&bob.replica, device), (n, 0));
    assert_converged(&[&fx.path, &bob.replica]);
}

/// What F8's fix keeps: the entries a revoked member signs after their
/// revocation are kept without their bodies in every replica, and such a
/// replica still verifies, replays from scratch (`sync --rebuild`) to the
/// same log and state, and agrees with the others.
#[test]
fn resisted_a_removed_members_bodiless_entries_verify_replay_and_converge() {
    let (fx, remote, bob, vault_id, mallory) = team_with_removed_mallory();
    let mdev = Id::make();
    let promote = || {
        forge(
            &remote,
            vault_id,
            mdev,
            &mallory,
            &promotion(&mallory, "owner"),
            None,
        )
    };
    for _ in 0..3 {
        promote();
    }
    let r = bob.sync();
    assert_eq!(r.denied.len(), 3, "{r:?}");
    fx.open().sync().expect("ada syncs");
    assert_kept_without_bodies(&fx, &bob, mdev, 3);
    // Her feed goes on from the kept hashes.
    promote();
    let r = bob.sync();
    assert_eq!((r.denied.len(), r.quarantined.len()), (1, 0), "{r:?}");
    assert_eq!(kept(&bob.replica, mdev), (4, 0));
}

/// What F8's fix keeps when the removed member back-dates: entries dated
/// before the removal (beyond its cut), whether they would apply (a
/// `read`) or be denied anyway (a self-promotion), are denied by the cut
/// on every device, with the cut's reason, and kept without their
/// bodies; the replica verifies, replays to the same log and agrees with
/// the owner's.
#[test]
fn resisted_a_removed_members_back_dated_entries_are_kept_without_bodies() {
    let (fx, remote, bob, vault_id, mallory) = team_with_removed_mallory();
    let env_id = fx.open().env(PROD).expect("env").id;
    let item = fx.open().get_item(PROD, "API_KEY").expect("get").0.id;
    // After she was added, before she was removed.
    let before = hlc_of(&fx.path, kind::ADD_MEMBER) + 1;
    assert!(before + 3 < hlc_of(&fx.path, kind::REVOKE_CUT));
    let mdev = Id::make();
    let bodies = [
        OpBody::Read {
            action: coffer_vault::ops::ReadAction::Reveal,
            env_id,
            item_ids: vec![item],
        },
        promotion(&mallory, "owner"),
        promotion(&mallory, "admin"),
    ];
    for (i, body) in bodies.iter().enumerate() {
        forge(
            &remote,
            vault_id,
            mdev,
            &mallory,
            body,
            Some(before + i as u64),
        );
    }
    let r = bob.sync();
    assert_eq!(r.denied.len(), 3, "{r:?}");
    assert!(
        r.denied.iter().all(|d| d.reason.contains("revocation")),
        "{r:?}"
    );
    fx.open().sync().expect("ada syncs");
    assert_kept_without_bodies(&fx, &bob, mdev, 3);
}

/// What F8's fix keeps when the order changes: Bob's device dropped the
/// bodies of what Mallory signed after Ada removed her; then Dave's
/// demotion of Ada arrives, dated before the removal, which Dave had not
/// seen, so the removal is denied in the new order and Mallory was never
/// removed. The entries without bodies are not judged blind: Bob's device
/// reads them again from the folder and ends where Dave's device is.
#[test]
fn resisted_bodiless_entries_are_read_again_when_the_removal_falls() {
    let (fx, remote, bob, vault_id, mallory) = team_with_mallory(Role::Reader, Access::Read);
    let dave = Device::new(&fx, "Dave");
    add_member(&mut fx.open(), &dave.who, Role::Owner, &[]);
    fx.open().sync().expect("ada syncs");
    dave.join(&remote).expect("Dave joins");
    bob.sync();
    dave.open()
        .set_role("Ada", Role::Member)
        .expect("Dave demotes Ada, offline");
    std::thread::sleep(Duration::from_millis(5));
    fx.open()
        .offboard("Mallory", &mut |_, _| {})
        .expect("offboard Mallory");
    fx.open().sync().expect("ada syncs");
    // One dated before the removal (beyond its cut), one after it.
    let mdev = Id::make();
    let added = hlc_of(&fx.path, kind::ADD_MEMBER) + 1;
    for hlc in [Some(added), None] {
        forge(
            &remote,
            vault_id,
            mdev,
            &mallory,
            &promotion(&mallory, "admin"),
            hlc,
        );
    }
    bob.sync();
    let bodies = |p: &Path| -> Vec<i64> {
        Connection::open(p)
            .expect("open")
            .prepare("SELECT LENGTH(body) FROM ops WHERE device_id = ?1 ORDER BY device_seq")
            .expect("prepare")
            .query_map([&mdev.0[..]], |r| r.get(0))
            .expect("query")
            .collect::<rusqlite::Result<_>>()
            .expect("rows")
    };
    assert_eq!(bodies(&bob.replica), vec![0, 0], "dropped while removed");
    dave.sync();
    let r = bob.sync();
    assert!(r.replayed, "{r:?}");
    let r = bob.sync();
    assert!(r.quarantined.is_empty(), "{r:?}");
    dave.sync();
    let kept = bodies(&bob.replica);
    assert!(
        kept.len() == 2 && kept.iter().all(|n| *n > 0),
        "read again with their bodies: {kept:?}"
    );
    assert_eq!(
        bob.open().member("Mallory").expect("Mallory").status,
        "active"
    );
    assert_converged(&[&bob.replica, &dave.replica]);
}

/// What F8's fix keeps: a `read` names items of its environment, each
/// once, whoever signs it; an honest one is applied.
#[test]
fn resisted_a_read_names_items_of_its_environment_each_once() {
    let (fx, remote, bob, vault_id, mallory) = team_with_mallory(Role::Reader, Access::Read);
    let env_id = fx.open().env(PROD).expect("env").id;
    let item = fx.open().get_item(PROD, "API_KEY").expect("get").0.id;
    let read = |item_ids: Vec<Id>| OpBody::Read {
        action: coffer_vault::ops::ReadAction::Reveal,
        env_id,
        item_ids,
    };
    let mdev = Id::make();
    forge(&remote, vault_id, mdev, &mallory, &read(vec![item]), None);
    forge(
        &remote,
        vault_id,
        mdev,
        &mallory,
        &read(vec![item, item]),
        None,
    );
    forge(
        &remote,
        vault_id,
        mdev,
        &mallory,
        &read(vec![Id::make()]),
        None,
    );
    let r = bob.sync();
    assert_eq!(r.received, 3, "{r:?}");
    assert_eq!(r.applied, 1, "{r:?}");
    assert!(r.denied.iter().any(|d| d.reason.contains("twice")), "{r:?}");
}

// ----- F9: a writer's value re-sealed in the owner's name --------------------

/// ATTACK (a writer of web/prod who held the key before an offboarding,
/// own client): right after Ada offboards Carol, publish API_KEY's next
/// version sealed under the replaced item key (naming those keys, kind
/// 18) with a value of Mallory's choosing. Ada's device re-seals it
/// (`reseal_stale`) as *Ada's* `item.set`: the history, the audit log and
/// every replica say Ada set API_KEY to Mallory's value; the only trace of
/// Mallory is a log entry whose outcome is "applied" with no visible
/// effect. (A writer may set the value; she may not sign it with the
/// owner's name.)
/// SECURE: the version a re-seal makes is credited to the writer of the
/// value (or at least not to the device that re-sealed it).
/// FIXED: Ada's device no longer re-seals it; `item.adopt` (kind 21) makes
/// Mallory's signed version current as she sealed it, its key joining the
/// item's earlier keys, and remembers the value as exposed.
#[test]
fn attack_a_writers_stale_value_is_resealed_in_the_owners_name() {
    let (fx, remote, _bob, _carol) = team(folder_remote);
    let mallory = PrivateIdentity::make();
    add_keyed(
        &mut fx.open(),
        &mallory,
        "Mallory",
        Role::Member,
        &[(PROD, Access::Write)],
    );
    fx.open().sync().expect("ada syncs");
    let old = stale_keys(&fx, &mallory);
    fx.open()
        .offboard("Carol", &mut |_, _| {})
        .expect("offboard Carol");
    fx.open().sync().expect("ada publishes");
    std::thread::sleep(Duration::from_millis(5));
    let next = old.version + 1;
    forge(
        &remote,
        old.vault_id,
        Id::make(),
        &mallory,
        &old.set(next, old.seal(next, b"mallorys-choice")),
        None,
    );
    let r = fx.open().sync().expect("ada syncs");
    assert_eq!(r.resealed, 1, "{r:?}");
    assert_value(&mut fx.open(), PROD, "API_KEY", "mallorys-choice");
    let h = fx.open().history(PROD, "API_KEY", false).expect("history");
    let cur = h.iter().max_by_key(|e| e.version).expect("a version");
    assert_eq!(
        cur.author, "Mallory",
        "API_KEY v{} holds Mallory's value: credited to her, not signed as Ada's",
        cur.version
    );
    // Written under a key Carol holds: remembered as exposed all the same.
    let s = fx
        .open()
        .list_items(Some(PROD), 30)
        .expect("lists")
        .into_iter()
        .find(|s| s.name == "API_KEY")
        .expect("API_KEY");
    assert!(s.exposed_at.is_some(), "the adopted value shows as exposed");
}

/// API_KEY's keys and current version as a writer of web/prod (`who`)
/// reads them from Ada's replica: what her own client holds before a
/// re-key replaces them (from `HeldKeys` in `tests/sync_attacks.rs`).
struct StaleKeys {
    vault_id: Id,
    env_id: Id,
    item_id: Id,
    epoch: u64,
    ik: coffer_crypto::ItemKey,
    ik_ct: Vec<u8>,
    version: u64,
    meta: coffer_vault::ops::RotationMeta,
}

fn stale_keys(fx: &Fx, who: &PrivateIdentity) -> StaleKeys {
    use coffer_crypto::{ItemKeyContext, WrapContext};
    let (vault_id, env_id, item_id) = {
        let mut v = fx.open();
        (
            v.id(),
            v.env(PROD).expect("env").id,
            v.get_item(PROD, "API_KEY").expect("get").0.id,
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
    let meta: coffer_vault::ops::RotationMeta = c
        .query_row(
            "SELECT rotate_every_days, rotated_at, expires_at, exposed_at FROM item_versions
             WHERE item_id = ?1 AND version = ?2",
            rusqlite::params![&item_id.0[..], version],
            |r| {
                Ok(coffer_vault::ops::RotationMeta {
                    rotate_every_days: r.get::<_, Option<i64>>(0)?.map(|d| d as u32),
                    rotated_at: r.get(1)?,
                    expires_at: r.get(2)?,
                    exposed_at: r.get(3)?,
                })
            },
        )
        .expect("current version");
    StaleKeys {
        vault_id,
        env_id,
        item_id,
        epoch,
        ik,
        ik_ct,
        version: version as u64,
        meta,
    }
}

impl StaleKeys {
    /// API_KEY = `value` sealed as `version` under the held item key.
    fn seal(&self, version: u64, value: &[u8]) -> Vec<u8> {
        let mut e = coffer_crypto::encoding::Encoder::with_capacity("coffer/v1/item-body", 1, 128);
        e.str("API_KEY")
            .str(std::str::from_utf8(value).expect("utf-8"))
            .opt_str(None)
            .opt_str(None)
            .opt_str(None)
            .u32(0);
        let plaintext = e.finish();
        let mc = self.meta.canonical();
        self.ik
            .seal_item(
                &plaintext,
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

    /// `item.set` of `version` with `blob`, naming the held keys (kind 18).
    fn set(&self, version: u64, blob: Vec<u8>) -> OpBody {
        OpBody::SetItem {
            item_id: self.item_id,
            env_id: self.env_id,
            version,
            ik_ct: None,
            blob,
            meta: self.meta,
            sealed_under: Some(coffer_vault::ops::SealedUnder {
                epoch: self.epoch,
                item_key: coffer_crypto::ItemKeyGeneration::of_sealed(&self.ik_ct).0,
            }),
        }
    }
}

// ----- resisted (these pass today) -----------------------------------------

/// ATTACK (a reader, own client; outsider keys): in a batch large enough
/// for `preverify` (64 entries or more), put a `member.add` of Eve with a
/// key Mallory holds, dated just before Ada's genuine add of Eve (so it is
/// "the first one" `preverify` takes a key from), then 70 entries authored
/// by Eve's id signed with Mallory's key (a self-promotion each).
/// DEFENDED: the forged add is denied (a reader adds no one); `take_in`
/// trusts the pre-check only when it was Eve's pinned key, so every forged
/// entry is checked again and its feed quarantined; Eve stays a reader.
#[test]
fn resisted_preverify_takes_no_key_from_a_forged_member_add() {
    let (fx, remote, bob, vault_id, mallory) = team_with_mallory(Role::Reader, Access::Read);
    let eve = Device::new(&fx, "Eve");
    add_member(&mut fx.open(), &eve.who, Role::Reader, &[]);
    let added = hlc_of(&fx.path, kind::ADD_MEMBER);
    fx.open().sync().expect("ada publishes Eve's add");
    let k = PrivateIdentity::make();
    let mdev = Id::make();
    let mut fake = record(&k, "Eve", "admin");
    fake.id = eve.who.id;
    forge(
        &remote,
        vault_id,
        mdev,
        &mallory,
        &OpBody::AddMember {
            member: fake,
            grants: vec![],
        },
        Some(added - 1),
    );
    for _ in 0..70 {
        let mut x = build_next(
            &remote,
            vault_id,
            mdev,
            &k,
            &OpBody::SetRole {
                member_id: eve.who.id,
                role: "owner".into(),
                rewraps: vec![],
                reshares: vec![],
                cut: None,
            },
            None,
            None,
        );
        // Authored by Eve's id, signed with Mallory's key.
        x.header.author_id = eve.who.id;
        x.sig = k.sign(SignPurpose::Op, &x.header.signed_bytes(&x.body));
        write_entry(&remote, &x);
    }
    let r = bob.sync();
    assert!(
        r.received >= 1 && !r.quarantined.is_empty(),
        "the forged entries are refused: {r:?}"
    );
    let v = bob.open();
    assert_eq!(v.member("Eve").expect("Eve").role, Role::Reader);
    assert_eq!(v.member("Mallory").expect("Mallory").role, Role::Reader);
    assert!(bob.open().verify().expect("verify").ok());
}

/// ATTACK (a writer of web/prod, own client): publish an `item.set` of
/// API_KEY's next version naming an item key the item never had (kind 18,
/// a random digest), hoping it waits as "stale" and an owner's device
/// re-seals it; and an `item.exposed-values` emptying web/prod's
/// remembered values (so a seen value set back counts as rotated).
/// DEFENDED: the first is refused ("never had"), the second is for owners
/// and admins only; API_KEY is unchanged, no conflict waits, nothing is
/// re-sealed, the remembered values stay.
#[test]
fn resisted_a_writer_forges_a_stale_key_or_forgets_exposed_values() {
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
    let held = stale_keys(&fx, &mallory);
    fx.open()
        .offboard("Carol", &mut |_, _| {})
        .expect("offboard Carol");
    fx.open().sync().expect("ada publishes");
    bob.sync();
    std::thread::sleep(Duration::from_millis(5));
    let (env_id, epoch) = {
        let v = fx.open();
        let c = Connection::open(&fx.path).expect("open");
        (v.env(PROD).expect("env").id, epoch(&c, PROD) as u64)
    };
    let mdev = Id::make();
    let mut forged = held.set(held.version + 1, held.seal(held.version + 1, b"never-had"));
    if let OpBody::SetItem { sealed_under, .. } = &mut forged {
        sealed_under.as_mut().expect("kind 18").item_key = [9; 32];
    }
    forge(&remote, vault_id, mdev, &mallory, &forged, None);
    forge(
        &remote,
        vault_id,
        mdev,
        &mallory,
        &OpBody::ExposedValues {
            env_id,
            epoch,
            values: vec![],
        },
        None,
    );
    let r = fx.open().sync().expect("ada syncs");
    assert_eq!(r.denied.len(), 2, "{r:?}");
    assert_eq!(r.resealed, 0, "{r:?}");
    assert_value(&mut fx.open(), PROD, "API_KEY", API_V2);
    assert!(fx
        .open()
        .conflicts(PROD, "API_KEY", false)
        .expect("conflicts")
        .is_empty());
    let c = Connection::open(&fx.path).expect("open");
    let tags: i64 = c
        .query_row("SELECT COUNT(*) FROM exposed_values", [], |r| r.get(0))
        .expect("count");
    assert!(tags > 0, "the values Carol saw are still remembered");
    bob.sync();
    assert_converged(&[&fx.path, &bob.replica]);
}

/// ATTACK (a demoted admin, own client): after Ada demotes Mallory to
/// member, Mallory signs a demotion of Ada (owner) with a cut naming
/// nothing, dated after the demotion, to deny all of Ada's history.
/// DEFENDED: a member changes no one's role; the op is denied and no cut
/// is taken from it (only applied cuts count), so nothing of Ada's is
/// denied and the replicas converge.
#[test]
fn resisted_a_demoted_admin_signs_a_cut_against_the_owner() {
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
    let ada = Person::owner(&fx).id;
    forge(
        &remote,
        vault_id,
        Id::make(),
        &mallory,
        &OpBody::SetRole {
            member_id: ada,
            role: "reader".into(),
            rewraps: vec![],
            reshares: vec![],
            cut: Some(vec![]),
        },
        None,
    );
    let r = bob.sync();
    assert_eq!(r.denied.len(), 1, "{r:?}");
    fx.open().sync().expect("ada syncs");
    for (who, mut v) in [("Ada", fx.open()), ("Bob", bob.open())] {
        assert_eq!(v.member("Ada").expect("Ada").role, Role::Owner, "{who}");
        assert_value(&mut v, PROD, "API_KEY", API_V2);
    }
    assert_converged(&[&fx.path, &bob.replica]);
}

// ----- F10: the owner's own genuine entry, moved, stops her device ----------

/// ATTACK (anyone who writes the folder, no key): copy Ada's own entry #1
/// file over her entry #2. `publish_own` compares each entry of her chain
/// with the folder's file; the file differs, decodes, and `signed_by_me`
/// says it is signed by this identity *for this device*, without checking
/// that it is the entry *of that position*, so it concludes that another
/// machine writes as this device: every sync of Ada's device now fails
/// with "restored from a backup or copied to another machine … continue as
/// a new device" (create a new identity and be re-added), and nothing she
/// does reaches anyone.
/// SECURE: a genuine entry at another position is tampering like any
/// other: Ada's device puts its own entry back and syncs.
/// Suggested fix: in `publish_own` (and wherever `signed_by_me` decides
/// "another machine"), require the folder's entry to claim the same
/// `device_seq` and differ from this device's own entry at that position
/// (an equivocation: same position, two different signed entries).
/// FOUND: see the assertion.
#[test]
fn attack_a_moved_copy_of_my_own_entry_makes_my_device_abandon_its_identity() {
    let (fx, remote, bob, _carol) = team(folder_remote);
    let adev = device_of(&fx.open());
    assert!(last_seq(&remote, &adev) >= 2);
    std::fs::copy(entry_file(&remote, &adev, 1), entry_file(&remote, &adev, 2)).expect("copy");
    let r = fx.open().sync();
    assert!(
        r.is_ok(),
        "Ada's device refuses to sync (and tells her to become a new device) after a file copy in the folder: {r:?}"
    );
    fx.open()
        .set_item(PROD, "AFTER_COPY", value("after-copy"))
        .expect("ada sets");
    fx.open().sync().expect("ada syncs again");
    bob.sync();
    assert_value(&mut bob.open(), PROD, "AFTER_COPY", "after-copy");
}

// ----- F11: one item that does not open blanks the exposure report ----------

/// ATTACK (a writer of web/prod, own client): after Carol's offboarding
/// and Ada's rotation of API_KEY, set API_KEY back to the value Carol saw
/// with `exposed_at` left empty (as a writer may sign), and create one
/// more item in web/prod whose key does not open. `exposure_report` calls
/// `load_items(&env).unwrap_or_default()`: the environment fails to open,
/// so no item's exposure is derived from the remembered values, and
/// `rotated` falls back to the *stored* `exposed_at` the writer chose.
/// The value Carol saw is current again, and the report says rotated.
/// SECURE: the report never counts a value Carol saw as rotated; when an
/// environment cannot be read it says so (unknown), it does not fall
/// back to what a writer wrote.
/// Suggested fix: open items one by one in the report (skip, and flag,
/// only the ones that fail), and treat "cannot tell" as not rotated.
/// FOUND: see the assertion.
#[test]
fn attack_an_unopenable_item_makes_the_report_trust_a_writers_exposed_flag() {
    let (fx, remote, _bob, vault_id, mallory) = team_with_mallory(Role::Member, Access::Write);
    fx.open()
        .offboard("Carol", &mut |_, _| {})
        .expect("offboard Carol");
    fx.open()
        .set_item(PROD, "API_KEY", value("fresh-after-offboarding"))
        .expect("ada rotates");
    fx.open().sync().expect("ada publishes");
    let now = stale_keys(&fx, &mallory);
    assert!(rotated_for_carol(&mut fx.open(), "API_KEY", now.item_id));
    let next = now.version + 1;
    let mdev = Id::make();
    forge(
        &remote,
        vault_id,
        mdev,
        &mallory,
        &now.set(next, now.seal(next, API_V2.as_bytes())),
        None,
    );
    let junk_ct = vec![0x5a; 72];
    forge(
        &remote,
        vault_id,
        mdev,
        &mallory,
        &OpBody::SetItem {
            item_id: Id::make(),
            env_id: now.env_id,
            version: 1,
            ik_ct: Some(junk_ct.clone()),
            blob: vec![0x5b; 80],
            meta: coffer_vault::ops::RotationMeta::default(),
            sealed_under: Some(coffer_vault::ops::SealedUnder {
                epoch: now.epoch,
                item_key: coffer_crypto::ItemKeyGeneration::of_sealed(&junk_ct).0,
            }),
        },
        None,
    );
    let r = fx.open().sync().expect("ada syncs");
    assert!(r.denied.is_empty(), "{r:?}");
    assert!(
        !rotated_for_carol(&mut fx.open(), "API_KEY", now.item_id),
        "API_KEY is back to the value Carol saw ({API_V2}), and the report on Carol says rotated"
    );
}

/// Whether the exposure report on Carol counts `key` (item `id`) as
/// rotated; the report names an item it cannot open `item <short id>`.
fn rotated_for_carol(v: &mut Vault, key: &str, id: Id) -> bool {
    let r = v.exposure_report("Carol").expect("report");
    let unnamed = format!("item {}", id.short());
    r.items
        .iter()
        .find(|i| i.key == key || i.key == unnamed)
        .unwrap_or_else(|| panic!("{key} is not in the report on Carol: {:?}", r.items))
        .rotated
}
