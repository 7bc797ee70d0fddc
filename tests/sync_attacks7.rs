//! Attack review 7 (commits 6574af1, dbe4965, f4bab03): `item.rekey.keep`
//! (kind 20) as the unshare, `item.adopt` (kind 21) for stale writes, and
//! env/item re-keys leaving out shares that ended (`insert_held_shares`).
//! `attack_*` tests assert the secure property and fail while the attack
//! works; `resisted_*` tests pass (attacks tried and defended).
//!
//! Findings (each `attack_*` test fails on f4bab03):
//! - F1 `item.adopt` names no epoch or item-key generation: ordered after a
//!   racing `env.rekey` (a second offboarding) it still applies, while the
//!   `ExposedValues` tag of its batch is denied (epoch changed). The value,
//!   sealed under the key the first offboarded member holds, becomes
//!   current and the report on her ticks it as rotated (F1a); its earlier
//!   keys are sealed under a key the item no longer has, so only holders
//!   of the old epoch's key read it: a member added later cannot (F1b).
//! - F2 `item.adopt` deletes every waiting version of the item: a second
//!   stale write its author had not seen (a teammate's rotation) is
//!   silently lost on every replica.
//! - F3 `item.rekey.keep` and `item.adopt` racing (either order): each replaces
//!   `item_keys_earlier` wholesale, the adoption's sealed under a key the
//!   unshare replaced: a share recipient whose share stands no longer
//!   reads the current value.
//! - F4 H5 again: a writer's own kind 20 sets `upto` to the current
//!   version, so a version she sealed under the key an unshare replaced
//!   (and labelled current) opens for everyone, the unshared member too.
//! - F5 a demotion (`SetRole.reshares`) or a grant lowered to read
//!   (re-signed `share.item`) re-inserts a share that a racing unshare
//!   ended: the unshared member's share stands again, and the next re-key
//!   (an offboarding) wraps the new key to them.
//! - F6 a blob is not bound to its writer and waiting rows are keyed by
//!   digest: a writer who copies a stale write's body into an earlier-dated
//!   entry has it adopted in her name.
//!
//! Status (after b44a837's follow-up): F1a, F1b, F3 (an unshare landing
//! first) and F2 fixed: `item.adopt` names the item-key generation its
//! earlier keys are sealed under and is denied when it changed; it deletes
//! only the adopted waiting row. Then F5: a re-sign never gives a share
//! (a demotion's re-signed shares apply only where the share stands; a
//! lowered grant sends `share.resign`, kind 22, with the same rule). F3
//! (an unshare made after an adoption it had not seen) and F4: schema 8
//! keeps every earlier-keys row, adoptions' apart, opened in a chain from
//! the current key, each key bounded by the lowest `upto` of the rows that
//! carry it (only an adoption raises its one key's bound). Last, F6:
//! `item.set` kind 31 binds a value to its writer (their id heads the blob
//! and is in its AAD); an entry carrying a value bound to someone else is
//! denied on every replica, and a relabelled copy opens for nobody
//! (values written before kind 31 stay unbound).
#![allow(dead_code, unused_imports)]

mod common;

use std::path::{Path, PathBuf};

use coffer_crypto::{
    EarlierKeysContext, EnvKey, Id, ItemContext, ItemKey, ItemKeyContext, PrivateIdentity,
    PublicKeys, SignPurpose, WrapContext,
};
use coffer_vault::ops::{kind, OpBody, RotationMeta};
use coffer_vault::sync::Remote;
use coffer_vault::{Access, Role, Vault};
use common::attack_fx::*;
use common::sync_fx::*;
use common::*;
use rusqlite::Connection;

// ----- helpers -------------------------------------------------------------------

fn item_id_of(fx: &Fx, env: &str, name: &str) -> Id {
    fx.open().get_item(env, name).expect("get").0.id
}

fn member_id(replica: &Path, name: &str) -> Id {
    let c = Connection::open(replica).expect("open");
    c.query_row("SELECT id FROM members WHERE name = ?1", [name], |r| {
        r.get::<_, Vec<u8>>(0)
    })
    .map(|b| Id::from_slice(&b).expect("id"))
    .expect("member")
}

fn ik_ct_of(replica: &Path, item: &Id) -> Vec<u8> {
    let c = Connection::open(replica).expect("open");
    c.query_row(
        "SELECT ik_ct FROM items WHERE id = ?1",
        [&item.0[..]],
        |r| r.get(0),
    )
    .expect("item")
}

fn read(v: &mut Vault, env: &str, key: &str) -> Result<String, String> {
    v.get_item(env, key)
        .map(|(_, s)| s.expose_secret().to_string())
        .map_err(|e| e.to_string())
}

/// Whether the offboarding report on `name` counts `key` as rotated.
fn report_rotated(v: &mut Vault, name: &str, key: &str) -> bool {
    let r = v.exposure_report(name).expect("report");
    r.items
        .iter()
        .find(|i| i.key == key)
        .unwrap_or_else(|| panic!("{key} is not in the report on {name}"))
        .rotated
}

/// Ann, an admin with write on web/prod (a device, joined), and Frank, a
/// reader of web/prod (his key held by the test, no device), added by Ada
/// to the standard team; everyone synced.
fn team_with_admin() -> (Fx, Remote, Device, Device, Device) {
    let (fx, remote, bob, carol) = team(folder_remote);
    let ann = Device::new(&fx, "Ann");
    let frank = PrivateIdentity::make();
    {
        let mut v = fx.open();
        add_member(&mut v, &ann.who, Role::Admin, &[(PROD, Access::Write)]);
        add_keyed(
            &mut v,
            &frank,
            "Frank",
            Role::Reader,
            &[(PROD, Access::Read)],
        );
        v.sync().expect("ada publishes");
    }
    ann.join(&remote).expect("Ann joins");
    bob.sync();
    carol.sync();
    ann.sync();
    (fx, remote, bob, carol, ann)
}

// ----- F1: kind 21 racing a second offboarding ----------------------------------

/// Ada offboards Carol (web/prod to epoch 2); Ann takes it in. Bob, who has
/// not synced, writes API_KEY under the epoch-1 key Carol holds (a stale
/// write, published). Ann offboards Frank on her device (epoch 3) before
/// taking in anything else; Ada's sync then adopts Bob's stale value
/// (`item.adopt` + `ExposedValues` for epoch 2). Then Ann syncs (Frank's
/// offboarding goes out, ordered before Ada's adoption), then everyone.
fn adopt_races_a_second_offboarding() -> (Fx, Remote, Device, Device, Device) {
    let (fx, remote, bob, carol, ann) = team_with_admin();
    offboard_and_publish(&fx, "Carol");
    ann.sync();
    bob.open()
        .set_item(PROD, "API_KEY", value("stale-write-carol-can-read"))
        .expect("bob writes");
    bob.sync();
    std::thread::sleep(std::time::Duration::from_millis(5));
    // Ann offboards Frank (her clock is earlier than Ada's adoption).
    ann.open()
        .offboard("Frank", &mut |_, _| {})
        .expect("Ann offboards Frank");
    std::thread::sleep(std::time::Duration::from_millis(5));
    let r = fx.open().sync().expect("ada syncs");
    assert_eq!(
        r.resealed, 1,
        "Ada's device adopts Bob's stale write: {r:?}"
    );
    ann.sync();
    fx.open().sync().expect("ada syncs");
    bob.sync();
    ann.sync();
    (fx, remote, bob, carol, ann)
}

/// ATTACK (an honest race, or an admin / the sync folder's writer arranging
/// it by holding back Ada's feed): `item.adopt` (kind 21) names no epoch
/// and no item-key generation. Ordered after a concurrent `env.rekey` (a
/// second offboarding), it still applies, but the `ExposedValues` tag that
/// rides in the same batch names the old epoch and is denied. The second
/// offboarding's own tags were built from `item_versions` only (Bob's
/// stale value was still waiting there), so nothing remembers that the
/// adopted value is one Carol (revoked) holds the key to.
/// SECURE: the value Ada's device adopted (sealed under the epoch-1 key
/// Carol holds) counts as exposed: the offboarding report on Carol does
/// not tick API_KEY as rotated, on any device.
/// FOUND: see the assertions (adopted, served as current, counted
/// rotated; Ada's `ExposedValues` denied "the environment changed
/// meanwhile").
#[test]
fn attack_adopt_racing_a_second_offboarding_marks_carols_value_rotated() {
    let (fx, _remote, bob, _carol, ann) = adopt_races_a_second_offboarding();
    let c = fx.db();
    assert_eq!(epoch(&c, PROD), 3, "both offboardings stood");
    drop(c);
    let served = read(&mut fx.open(), PROD, "API_KEY");
    assert_eq!(
        served.as_deref(),
        Ok("stale-write-carol-can-read"),
        "the adopted stale value is current"
    );
    let tags: Vec<Vec<rusqlite::types::Value>> = rows(
        &fx.db(),
        &format!(
            "SELECT outcome, reason FROM ops WHERE kind = {} ORDER BY seq",
            kind::EXPOSED_VALUES
        ),
    );
    eprintln!("ExposedValues entries (outcome, reason): {tags:?}");
    for (who, p) in [
        ("Ada", &fx.path),
        ("Bob", &bob.replica),
        ("Ann", &ann.replica),
    ] {
        let mut v = Vault::open(
            p,
            if who == "Ada" {
                fx.unlock()
            } else if who == "Bob" {
                bob.who.unlock()
            } else {
                ann.who.unlock()
            },
        )
        .expect("open");
        assert!(
            !report_rotated(&mut v, "Carol", "API_KEY"),
            "{who}: the report on Carol ticks API_KEY as rotated, though its current value \
             was sealed under the epoch-1 key Carol holds"
        );
    }
}

/// ATTACK (same race as above): the adoption, applied after the epoch-3
/// re-key, stores the earlier keys sealed under the epoch-2 item key, which
/// the item no longer has: the adopted (current) version opens only for
/// those who hold the epoch-1 environment key (the `item_keys_past`
/// stand-in). A member added afterwards holds only the epoch-3 key.
/// SECURE: every member who holds web/prod's current key reads API_KEY's
/// current value.
/// FOUND: see the assertion.
#[test]
fn attack_adopt_racing_a_second_offboarding_hides_the_value_from_newcomers() {
    let (fx, remote, _bob, _carol, _ann) = adopt_races_a_second_offboarding();
    let gus = Device::new(&fx, "Gus");
    {
        let mut v = fx.open();
        add_member(&mut v, &gus.who, Role::Member, &[(PROD, Access::Write)]);
        v.sync().expect("ada publishes");
    }
    gus.join(&remote).expect("Gus joins");
    assert_eq!(
        read(&mut fx.open(), PROD, "API_KEY").as_deref(),
        Ok("stale-write-carol-can-read")
    );
    let got = read(&mut gus.open(), PROD, "API_KEY");
    assert_eq!(
        got.as_deref(),
        Ok("stale-write-carol-can-read"),
        "Gus, a writer of web/prod, reads the current value"
    );
}

// ----- F2: kind 21 resolves every conflict of the item ----------------------------

/// The standard team plus Ann, a writer of web/prod (a device, joined),
/// everyone synced.
fn team_with_writer() -> (Fx, Remote, Device, Device, Device) {
    let (fx, remote, bob, carol) = team(folder_remote);
    let ann = Device::new(&fx, "Ann");
    {
        let mut v = fx.open();
        add_member(&mut v, &ann.who, Role::Member, &[(PROD, Access::Write)]);
        v.sync().expect("ada publishes");
    }
    ann.join(&remote).expect("Ann joins");
    bob.sync();
    carol.sync();
    ann.sync();
    (fx, remote, bob, carol, ann)
}

/// ATTACK (an honest race; a writer or the sync folder's writer can make
/// it by holding a write back): `item.adopt` deletes *every* waiting
/// version of the item (`DELETE FROM item_conflicts WHERE item_id`), not
/// only the one it names. Ada offboards Carol. Bob and Ann, neither of
/// whom has seen it, each write the next version of API_KEY (Ann's is her
/// rotation of the credential); Bob's is published first. Ada's device
/// sees one stale version waiting and adopts it; Ann's write, dated
/// before the adoption, arrives after it: on every replica it is stored
/// as waiting and then deleted by the adoption.
/// SECURE: Ann's value is not lost silently: it is current, or it waits
/// flagged beside the current one on every replica.
/// FOUND: see the assertions.
#[test]
fn attack_adopt_silently_drops_a_second_stale_write() {
    let (fx, _remote, bob, _carol, ann) = team_with_writer();
    offboard_and_publish(&fx, "Carol");
    bob.open()
        .set_item(PROD, "API_KEY", value("bob-stale"))
        .expect("bob writes");
    bob.sync();
    std::thread::sleep(std::time::Duration::from_millis(5));
    ann.open()
        .set_item(PROD, "API_KEY", value("ann-rotated-at-the-provider"))
        .expect("ann writes");
    std::thread::sleep(std::time::Duration::from_millis(5));
    let r = fx.open().sync().expect("ada syncs");
    assert_eq!(
        r.resealed, 1,
        "Ada's device adopts Bob's stale write: {r:?}"
    );
    let r = ann.sync();
    let ann_told = format!("{r:?}");
    fx.open().sync().expect("ada syncs");
    bob.sync();
    for (who, mut v) in [("Ada", fx.open()), ("Bob", bob.open()), ("Ann", ann.open())] {
        let cur = read(&mut v, PROD, "API_KEY");
        let waiting = v.conflicts(PROD, "API_KEY", true).expect("conflicts");
        let kept = cur.as_deref() == Ok("ann-rotated-at-the-provider")
            || waiting.iter().any(|h| {
                h.value
                    .as_ref()
                    .map(|s| s.expose_secret().to_string())
                    .as_deref()
                    == Some("ann-rotated-at-the-provider")
            });
        assert!(
            kept,
            "{who}: Ann's write is gone: current {cur:?}, {} waiting; Ann's sync said {ann_told}",
            waiting.len()
        );
    }
}

// ----- F3: kind 20 and kind 21 racing --------------------------------------------

/// Shares API_KEY with Dave (a dev reader, joined) and with Zed (a dev
/// reader, his key held by the test), published; Bob synced.
fn share_api_with_dave(fx: &Fx, remote: &Remote, bob: &Device) -> Device {
    let dave = add_dev_reader(fx, bob);
    fx.open()
        .share(PROD, "API_KEY", "Dave")
        .expect("share to Dave");
    fx.open().sync().expect("ada publishes");
    dave.join(remote).expect("Dave joins");
    bob.sync();
    dave
}

/// ATTACK (an honest race: Bob unshares while Ada's device adopts a stale
/// write; either order): kind 21 names no item-key generation and
/// replaces `item_keys_earlier` wholesale, sealed under the key its author
/// saw; kind 20 likewise replaces it with a list that lacks the adopted
/// version's key. Either way the adopted (current) value then opens only
/// through the `item_keys_past` stand-in, i.e. only for those who held
/// the epoch-1 environment key; a share recipient holds none.
/// SECURE: Dave, whose share of API_KEY still stands (Bob unshared Zed),
/// reads its current value.
/// FOUND: see the assertion.
#[test]
fn attack_unshare_racing_an_adoption_cuts_a_share_off_the_current_value() {
    unshare_and_adoption(Race::UnshareFirst);
}

/// ATTACK (the other order of the race above): Ada's device adopts first;
/// Bob, who has not synced since, unshares Zed after it (his kind 20 names
/// the item's key, which the adoption did not change, so it applies): its
/// earlier keys lack the adopted version's key, and `upto` becomes the
/// adopted version.
/// SECURE / FOUND: as above.
#[test]
fn attack_an_unshare_after_an_unseen_adoption_cuts_a_share_off_the_current_value() {
    unshare_and_adoption(Race::AdoptFirst);
}

/// Control for the test above: no unshare racing the adoption.
/// SECURE (holds): Dave, whose share stands, reads the adopted value (the
/// stale version's key travels in the earlier keys, sealed under the key
/// his share gives him).
#[test]
fn resisted_an_adoption_alone_keeps_a_share_reading_the_current_value() {
    unshare_and_adoption(Race::None);
}

#[derive(PartialEq)]
enum Race {
    None,
    UnshareFirst,
    AdoptFirst,
}

fn unshare_and_adoption(race: Race) {
    let (fx, remote, bob, _carol) = team(folder_remote);
    bob.sync();
    let api = item_id_of(&fx, PROD, "API_KEY");
    // Zed gets a share first (keeping_target), then Dave.
    let (zed, _) = keeping_target(&fx, &bob, &api);
    let dave = share_api_with_dave(&fx, &remote, &bob);
    let ann = Device::new(&fx, "Ann");
    {
        let mut v = fx.open();
        add_member(&mut v, &ann.who, Role::Member, &[(PROD, Access::Write)]);
        v.sync().expect("ada publishes");
    }
    ann.join(&remote).expect("Ann joins");
    bob.sync();
    dave.sync();
    assert_eq!(
        read(&mut dave.open(), PROD, "API_KEY").as_deref(),
        Ok(API_V2)
    );
    offboard_and_publish(&fx, "Carol");
    bob.sync();
    dave.sync();
    // Ann, who has not seen the offboarding, writes under the epoch-1 key.
    ann.open()
        .set_item(PROD, "API_KEY", value("ann-stale"))
        .expect("ann writes");
    ann.sync();
    // Bob unshares Zed (not having seen Ann's write); Ada adopts.
    if race == Race::UnshareFirst {
        bob.open()
            .unshare(PROD, "API_KEY", "Zed")
            .expect("Bob unshares Zed");
    }
    std::thread::sleep(std::time::Duration::from_millis(5));
    let r = fx.open().sync().expect("ada syncs");
    assert_eq!(r.resealed, 1, "{r:?}");
    if race == Race::AdoptFirst {
        std::thread::sleep(std::time::Duration::from_millis(5));
        bob.open()
            .unshare(PROD, "API_KEY", "Zed")
            .expect("Bob unshares Zed");
    }
    bob.sync();
    fx.open().sync().expect("ada syncs");
    bob.sync();
    dave.sync();
    let _ = zed;
    assert_eq!(
        read(&mut fx.open(), PROD, "API_KEY").as_deref(),
        Ok("ann-stale"),
        "Ada reads the adopted value"
    );
    let got = read(&mut dave.open(), PROD, "API_KEY");
    assert_eq!(
        got.as_deref(),
        Ok("ann-stale"),
        "Dave, whose share stands, reads the current value"
    );
}

// ----- F4: H5 again, through the writer's own kind 20 ------------------------------

/// Publishes, as `who`, an `item.rekey.keep` of `item` unsharing
/// `member_id`: a genuine new item key sealed under `ek` (epoch `epoch`),
/// `earlier` sealed under it; shares dropped. Returns the new key.
#[allow(clippy::too_many_arguments)]
fn forge_keeping_with(
    remote: &Remote,
    vault_id: Id,
    who: &PrivateIdentity,
    (env_id, epoch, ek): (Id, u64, &EnvKey),
    item: Id,
    earlier: &[ItemKey],
    hlc: Option<u64>,
    (member_id, replaces): (Id, [u8; 32]),
) -> ItemKey {
    let new_ik = ItemKey::make();
    let ik_ct = ek
        .seal_item_key(&new_ik, &item_ctx(vault_id, env_id, item, epoch))
        .expect("seal");
    let earlier = new_ik
        .seal_earlier_keys(
            earlier,
            &EarlierKeysContext {
                vault_id,
                env_id,
                item_id: item,
            },
        )
        .expect("seal earlier");
    let body = OpBody::RekeyItemKeeping {
        env_id,
        item_id: item,
        member_id,
        replaces,
        ik_ct,
        earlier,
        shares: vec![],
    };
    forge(remote, vault_id, Id::make(), who, &body, hlc);
    new_ik
}

/// ATTACK (a writer of web/prod, own client): H5 (review 6) is closed by
/// `item_keys_earlier.upto`, the item's version when it was re-keyed. But
/// `upto` is whatever version the item has when the *next* kind 20 lands,
/// and a writer sends kind 20 herself. After Bob unshares API_KEY from
/// Dave (Dave keeps key IK_a), Mallory writes version 3 sealed under IK_a
/// but labelled with the current key (it becomes current and opens for no
/// one: 3 > upto), then unshares someone else's share of the item (Zed's,
/// which Ada gave) with a kind 20 whose earlier keys include IK_a: `upto`
/// becomes 3 and version 3 opens under IK_a on every replica.
/// SECURE: a current version sealed under a key the item replaced is not
/// served as current (as in review 6's H5 test).
/// FOUND: see the assertion.
#[test]
fn attack_a_writers_own_unshare_raises_upto_over_a_version_under_the_unshared_key() {
    let (fx, remote, bob, vault_id, mallory) = team_with_mallory(Role::Member, Access::Write);
    let dave = add_dev_reader(&fx, &bob);
    fx.open()
        .share(PROD, "API_KEY", "Dave")
        .expect("share to Dave");
    fx.open().sync().expect("ada publishes");
    dave.join(&remote).expect("Dave joins");
    bob.sync();
    let (_, env_id, ep, ek) = held_env_key(&fx.path, &mallory, PROD);
    let api = item_id_of(&fx, PROD, "API_KEY");
    let daves = ek
        .open_item_key(
            &ik_ct_of(&fx.path, &api),
            &item_ctx(vault_id, env_id, api, ep),
        )
        .expect("current key");
    {
        let mut b = bob.open();
        b.unshare(PROD, "API_KEY", "Dave").expect("Bob unshares");
        b.sync().expect("bob publishes");
    }
    fx.open().sync().expect("ada syncs");
    // Ada shares API_KEY with Zed (an ordinary share to unshare later).
    let target = keeping_target(&fx, &bob, &api);
    let cur_ct = ik_ct_of(&fx.path, &api);
    let cur_ik = ek
        .open_item_key(&cur_ct, &item_ctx(vault_id, env_id, api, ep))
        .expect("current key");
    let it = stored_items(&fx.path, &env_id)
        .into_iter()
        .find(|i| i.id == api)
        .expect("API_KEY");
    let v2 = it.versions.last().expect("v2");
    // Version 2's plaintext with its value swapped for one of the same
    // length, sealed as version 3 under Dave's key.
    let pt = open_blob(&daves, vault_id, env_id, api, v2);
    let pt = replace_bytes(&pt, API_V2.as_bytes(), COVERT.as_bytes());
    let meta = v2.meta;
    let blob = seal_blob(&daves, vault_id, env_id, api, 3, &meta, &pt);
    let body = OpBody::SetItem {
        item_id: api,
        env_id,
        version: 3,
        ik_ct: None,
        blob,
        meta,
        sealed_under: Some(coffer_vault::ops::SealedUnder {
            epoch: ep,
            item_key: coffer_crypto::ItemKeyGeneration::of_sealed(&cur_ct).0,
        }),
    };
    forge(&remote, vault_id, Id::make(), &mallory, &body, None);
    std::thread::sleep(std::time::Duration::from_millis(3));
    forge_keeping_with(
        &remote,
        vault_id,
        &mallory,
        (env_id, ep, &ek),
        api,
        &[cur_ik, daves.duplicate()],
        None,
        target,
    );
    let r = fx.open().sync().expect("ada syncs");
    let current: i64 = fx
        .db()
        .query_row(
            "SELECT current_version FROM items WHERE id = ?1",
            [&api.0[..]],
            |r| r.get(0),
        )
        .expect("item");
    let served = read(&mut fx.open(), PROD, "API_KEY");
    assert!(
        served.as_deref() != Ok(COVERT),
        "version {current}, sealed under the key Dave kept, is served as current: {served:?} ({r:?})"
    );
}

const COVERT: &str = "covert-to-dave-3333";

fn replace_bytes(hay: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    assert_eq!(from.len(), to.len());
    let at = hay
        .windows(from.len())
        .position(|w| w == from)
        .expect("the value is in the plaintext");
    let mut out = hay.to_vec();
    out[at..at + to.len()].copy_from_slice(to);
    out
}

// ----- F5: a demotion's re-signed shares bring back an unshared share --------------

/// ATTACK (an honest race: Ada demotes Bob while Bob unshares Dave; or Bob
/// racing his own demotion on purpose): a demotion re-signs, as its
/// author, the shares the member signed (`SetRole.reshares`), and `mutate`
/// inserts them as they are (`insert_shares`, unlike the re-keys'
/// `insert_held_shares`); `check_wraps` asks only that the recipient be
/// active. Bob's `item.rekey.keep` unsharing Dave stands beyond the cut
/// and is ordered first: the demotion then puts Dave's share back. Every
/// device's state says Dave holds a share of API_KEY; the next re-key (an
/// offboarding) wraps the new key to him as a held share, and he reads the
/// value set after it.
/// SECURE: after Bob's unshare, Dave holds no share of API_KEY on any
/// replica, and reads no value set after it.
/// FOUND: see the assertions.
#[test]
fn attack_a_demotions_reshares_undo_a_racing_unshare() {
    reshare_races_an_unshare(|fx| fx.open().set_role("Bob", Role::Reader).expect("demote Bob"));
}

/// ATTACK (the same race through a grant): Ada lowers Bob's access to
/// web/prod to read; the shares Bob made there are re-signed as Ada's
/// `share.item` ops, which put Dave's share back after Bob's unshare.
/// SECURE / FOUND: as above.
#[test]
fn attack_a_grant_to_read_reshares_undo_a_racing_unshare() {
    reshare_races_an_unshare(|fx| {
        fx.open()
            .grant("Bob", PROD, Access::Read)
            .expect("Bob to read")
    });
}

fn reshare_races_an_unshare(lower_bob: impl Fn(&Fx)) {
    let (fx, remote, bob, _carol) = team(folder_remote);
    let dave = add_dev_reader(&fx, &bob);
    bob.open()
        .share(PROD, "API_KEY", "Dave")
        .expect("Bob shares with Dave");
    bob.sync();
    fx.open().sync().expect("ada syncs");
    dave.join(&remote).expect("Dave joins");
    assert_eq!(
        read(&mut dave.open(), PROD, "API_KEY").as_deref(),
        Ok(API_V2)
    );
    // Bob unshares Dave; Ada, not having seen it, demotes Bob.
    bob.open()
        .unshare(PROD, "API_KEY", "Dave")
        .expect("Bob unshares Dave");
    std::thread::sleep(std::time::Duration::from_millis(5));
    lower_bob(&fx);
    fx.open().sync().expect("ada publishes");
    bob.sync();
    fx.open().sync().expect("ada syncs");
    bob.sync();
    let dave_id = member_id(&fx.path, "Dave");
    let shares_of_dave =
        |p: &Path| member_rows(&Connection::open(p).expect("open"), "item_shares", &dave_id);
    let after_race = (shares_of_dave(&fx.path), shares_of_dave(&bob.replica));
    // The next offboarding re-keys web/prod; then Ada rotates API_KEY.
    offboard_and_publish(&fx, "Carol");
    fx.open()
        .set_item(PROD, "API_KEY", value("rotated-after-the-unshare"))
        .expect("ada rotates");
    fx.open().sync().expect("ada publishes");
    dave.sync();
    let daves = read(&mut dave.open(), PROD, "API_KEY");
    assert_ne!(
        daves.as_deref(),
        Ok("rotated-after-the-unshare"),
        "Dave, unshared by Bob, reads the value rotated after it (shares of Dave after the race: {after_race:?})"
    );
    assert_eq!(
        after_race,
        (0, 0),
        "Dave's share stands again on (Ada, Bob) after the demotion"
    );
}

// ----- F6: a stale write's credit taken by a copy -----------------------------------

/// ATTACK (a writer of web/prod, own client, who reads the folder): Bob's
/// stale write waits (he had not seen Carol's offboarding). Mallory copies
/// his signed `item.set` body (same version, blob, rotation fields and
/// `sealed_under`) into an entry of her own, dated just before his. A
/// blob was not bound to its writer, and `item_conflicts` keeps one row
/// per digest (`INSERT OR IGNORE`): on every replica the waiting row was
/// hers, and Ada's device adopted it as Mallory's version.
/// SECURE: the adopted version is credited to Bob, who wrote that value.
/// FIXED (F6): a new write is `item.set` kind 31, its blob bound to its
/// writer (the writer's id in the blob and in its AAD); an entry carrying
/// a value bound to someone else is denied on every replica, without
/// opening it, so Bob's own entry is the one that waits.
#[test]
fn attack_a_copied_stale_write_is_adopted_in_the_copiers_name() {
    let (fx, remote, bob, vault_id, mallory) = team_with_mallory(Role::Member, Access::Write);
    offboard_and_publish(&fx, "Carol");
    bob.open()
        .set_item(PROD, "API_KEY", value("bobs-stale-value"))
        .expect("bob writes");
    bob.sync();
    let (body, hlc) = last_set_of(&bob);
    forge(
        &remote,
        vault_id,
        Id::make(),
        &mallory,
        &body,
        Some(hlc as u64 - 1),
    );
    let r = fx.open().sync().expect("ada syncs");
    assert!(
        r.denied
            .iter()
            .any(|d| d.reason.contains("bound to another writer")),
        "{r:?}"
    );
    assert_eq!(r.resealed, 1, "{r:?}");
    assert_eq!(
        read(&mut fx.open(), PROD, "API_KEY").as_deref(),
        Ok("bobs-stale-value")
    );
    assert_eq!(
        current_author(&fx, PROD, "API_KEY"),
        bob.who.id,
        "the adopted value is credited to Bob (Mallory is {})",
        mallory.id().short()
    );
}

/// ATTACK (the same copy of an ordinary write): Bob changes API_KEY; Mallory
/// copies his signed body into an entry of her own dated just before his,
/// so hers takes the version and his becomes a concurrent one.
/// SECURE: the value is Bob's, credited to him, on every replica; the copy
/// is nobody's value.
/// HOLDS (F6 fixed): the copy is denied everywhere (its value is bound to
/// Bob); Bob's entry applies as the current version, nothing waits.
#[test]
fn attack_a_copied_write_takes_the_version_in_the_copiers_name() {
    let (fx, remote, bob, vault_id, mallory) = team_with_mallory(Role::Member, Access::Write);
    bob.open()
        .set_item(PROD, "API_KEY", value("bobs-value"))
        .expect("bob writes");
    bob.sync();
    let (body, hlc) = last_set_of(&bob);
    forge(
        &remote,
        vault_id,
        Id::make(),
        &mallory,
        &body,
        Some(hlc as u64 - 1),
    );
    let r = fx.open().sync().expect("ada syncs");
    assert!(
        r.denied
            .iter()
            .any(|d| d.reason.contains("bound to another writer")),
        "{r:?}"
    );
    let r = bob.sync();
    assert!(
        r.denied
            .iter()
            .any(|d| d.reason.contains("bound to another writer")),
        "{r:?}"
    );
    for mut v in [fx.open(), bob.open()] {
        assert_eq!(read(&mut v, PROD, "API_KEY").as_deref(), Ok("bobs-value"));
        let waiting = v.conflicts(PROD, "API_KEY", false).expect("conflicts");
        assert!(waiting.is_empty(), "{}", waiting.len());
    }
    assert_eq!(current_author(&fx, PROD, "API_KEY"), bob.who.id);
}

/// ATTACK (the copy re-labelled): as above, but Mallory also puts her own
/// id in the copied blob's header, so that it claims to be hers.
/// SECURE: the copy opens for nobody; Bob's value stays his.
/// HOLDS: the AAD names Bob, so the relabelled blob opens under no
/// writer's context: Mallory's version is unreadable (as any version a
/// writer publishes that opens for nobody), and Bob's write waits beside
/// it, credited to Bob, for a person to keep.
#[test]
fn resisted_a_relabelled_copy_opens_for_nobody() {
    let (fx, remote, bob, vault_id, mallory) = team_with_mallory(Role::Member, Access::Write);
    bob.open()
        .set_item(PROD, "API_KEY", value("bobs-value"))
        .expect("bob writes");
    bob.sync();
    let (mut body, hlc) = last_set_of(&bob);
    let OpBody::SetItem { blob, item_id, .. } = &mut body else {
        panic!("an item.set")
    };
    let api = *item_id;
    let header = coffer_vault::ops::BOUND_BLOB_MAGIC.len();
    blob[header..header + 16].copy_from_slice(&mallory.id().0);
    forge(
        &remote,
        vault_id,
        Id::make(),
        &mallory,
        &body,
        Some(hlc as u64 - 1),
    );
    let r = fx.open().sync().expect("ada syncs");
    assert!(r.denied.is_empty(), "{r:?}");
    let got = read(&mut fx.open(), PROD, "API_KEY");
    assert!(
        got.as_ref()
            .is_err_and(|e| e.contains("written by Mallory")),
        "the relabelled copy opened: {got:?}"
    );
    let waiting: Vec<Vec<u8>> = fx
        .db()
        .prepare("SELECT author_id FROM item_conflicts WHERE item_id = ?1")
        .expect("prepare")
        .query_map([&api.0[..]], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(waiting, vec![bob.who.id.0.to_vec()], "Bob's write waits");
}

/// The newest `item.set` Bob's device wrote (kind 31): its body and date.
fn last_set_of(bob: &Device) -> (OpBody, i64) {
    let (body, hlc): (Vec<u8>, i64) = Connection::open(&bob.replica)
        .expect("open")
        .query_row(
            "SELECT body, hlc FROM ops WHERE kind = ?1 AND author_id = ?2 ORDER BY seq DESC LIMIT 1",
            rusqlite::params![kind::SET_ITEM_BOUND, &bob.who.id.0[..]],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("Bob's item.set");
    (OpBody::decode(&body).expect("decode"), hlc)
}

/// Who wrote the current version of `name` in Ada's replica.
fn current_author(fx: &Fx, env: &str, name: &str) -> Id {
    let api = item_id_of(fx, env, name);
    let author: Vec<u8> = fx
        .db()
        .query_row(
            "SELECT v.author_id FROM item_versions v JOIN items i ON i.id = v.item_id
             AND v.version = i.current_version WHERE i.id = ?1",
            [&api.0[..]],
            |r| r.get(0),
        )
        .expect("current version");
    Id::from_slice(&author).expect("id")
}

// ----- resisted ------------------------------------------------------------------

/// ATTACK (a writer of web/prod, own client): Mallory sends `item.adopt`
/// herself for Bob's stale write, with junk earlier keys, to make a value
/// Carol can read current without an exposure tag.
/// SECURE (holds): kind 21 is the owner's and admins' only: denied on every
/// replica; the stale write still waits.
#[test]
fn resisted_a_writers_forged_adopt_is_denied() {
    let (fx, remote, bob, vault_id, mallory) = team_with_mallory(Role::Member, Access::Write);
    offboard_and_publish(&fx, "Carol");
    bob.open()
        .set_item(PROD, "API_KEY", value("bobs-stale-value"))
        .expect("bob writes");
    bob.sync();
    let api = item_id_of(&fx, PROD, "API_KEY");
    let (env_id, blob, version): (Vec<u8>, Vec<u8>, i64) = Connection::open(&bob.replica)
        .expect("open")
        .query_row(
            "SELECT i.env_id, c.blob, c.version FROM item_conflicts c JOIN items i ON i.id = c.item_id
             WHERE c.item_id = ?1",
            [&api.0[..]],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("Bob's stale write waits");
    let body = OpBody::AdoptStale {
        env_id: Id::from_slice(&env_id).expect("id"),
        item_id: api,
        version: version as u64,
        digest: coffer_crypto::sha256(&[&blob]),
        under: [0; 32],
        earlier: vec![7; 64],
    };
    forge(&remote, vault_id, Id::make(), &mallory, &body, None);
    let r = bob.sync();
    assert!(
        r.denied.iter().any(|d| d.reason.contains("cannot do")),
        "{r:?}"
    );
    assert_eq!(
        read(&mut bob.open(), PROD, "API_KEY").as_deref(),
        Ok(API_V2)
    );
    let waiting = bob.open().conflicts(PROD, "API_KEY", false).expect("c");
    assert_eq!(waiting.len(), 1, "Bob's stale write still waits");
}
