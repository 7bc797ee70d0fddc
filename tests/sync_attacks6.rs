//! Attack review 6 (commit 6574af1, "G4 fixed": `item.rekey.keep`, op kind
//! 20, `item_keys_earlier`, readers trying earlier keys, the
//! `item_keys_past` stand-in). Each test names the attack and asserts the
//! secure behaviour: `attack_*` tests fail while the attack works;
//! `resisted_*` tests pass (attacks tried and defended). Helpers are
//! copied from `tests/sync_attacks5.rs`.
//!
//! Findings (each `attack_*` test fails on aaa2142):
//! - H1 a writer's kind 20 whose earlier keys are well formed but wrong
//!   (she holds the new key, so they open) erases a teammate's credential
//!   on every replica: the `item_keys_past` stand-in runs only when the
//!   sealed list does not open; nobody is named. H1b: an offboarding then
//!   buries it for good (earlier-keys row deleted, version moved over).
//! - H2 junk earlier keys (the case the fix calls harmless) keep every
//!   value of the item out of an offboarding's exposure record:
//!   `build_exposed_values` never calls `recover_earlier`.
//! - H3 an unshare (kind 20 drops every share it does not re-wrap)
//!   ordered before an offboarding makes its `env.rekey` denied on every
//!   replica (`holds_share`): the offboarded member keeps the current
//!   environment key. Honest race, or a writer's back-dated kind 20.
//! - H4 kind 20 names no epoch: an unshare made before its author saw an
//!   offboarding seals the item key under the old epoch's key; applied
//!   after the `env.rekey`, the item vanishes for every holder and the
//!   offboarded member reads the value rotated after it.
//! - H5 a version sealed under the key an unshare replaced, labelled with
//!   the current key, is served as current (readers try earlier keys for
//!   every version): a covert re-share to the unshared member.
//! - H6/H7 an `unshare.item` that stands while its `item.rekey.keep` is
//!   denied (beyond a demotion's cut; or a racing unshare's re-wrap of a
//!   share already gone): the unshared member keeps the current key.
//! - H8 two racing unshares of one share: the second replaces the earlier
//!   keys wholesale, the first's key is lost, the rotation made under it
//!   opens for no one and is blamed on its writer.
//!
//! All fixed (the `FOUND` notes below say what each test found before):
//! - an unshare is one op with its re-key (kind 20 carries the member whose
//!   share ends; they stand or fall together: H6, H7), names the
//!   generation of the key it replaces and is denied when the item's key
//!   changed meanwhile (H4, H8), and stands beyond a demotion's cut like
//!   the legacy unshare (H6);
//! - the earlier keys open only versions up to the item's version when it
//!   was re-keyed (`item_keys_earlier.upto`, H5);
//! - the keys remembered from re-keys (`item_keys_past`) stand in whenever
//!   an unshared item's version does not open, in listings, re-keys and
//!   exposure tags (H1, H1b, H2);
//! - a re-key leaves out a share that ended since, instead of being denied
//!   (H3, which the legacy `unshare` could already cause).
#![allow(dead_code, unused_imports)]

mod common;

use std::path::{Path, PathBuf};

use coffer_crypto::{
    EnvKey, Id, ItemContext, ItemKey, ItemKeyContext, PrivateIdentity, PublicKeys, SignPurpose,
    WrapContext,
};
use coffer_vault::ops::{
    kind, OpBody, OpHeader, RekeyedItem, RotationMeta, VersionRecord, WrapRecord,
};
use coffer_vault::sync::feed::Entry;
use coffer_vault::sync::Remote;
use coffer_vault::{Access, Role, Vault};
use common::attack_fx::*;
use common::sync_fx::*;
use common::*;
use rusqlite::Connection;

use coffer_crypto::EarlierKeysContext;

// ----- helpers of this review -------------------------------------------------

/// The id of `name` in `env` as Ada reads it.
fn item_id_of(fx: &Fx, env: &str, name: &str) -> Id {
    fx.open().get_item(env, name).expect("get").0.id
}

/// A member's id by name, from the replica at `replica`.
fn member_id(replica: &Path, name: &str) -> Id {
    let c = Connection::open(replica).expect("open");
    c.query_row("SELECT id FROM members WHERE name = ?1", [name], |r| {
        r.get::<_, Vec<u8>>(0)
    })
    .map(|b| Id::from_slice(&b).expect("id"))
    .expect("member")
}

/// The sealed key of `item` in the replica at `replica`.
fn ik_ct_of(replica: &Path, item: &Id) -> Vec<u8> {
    let c = Connection::open(replica).expect("open");
    c.query_row(
        "SELECT ik_ct FROM items WHERE id = ?1",
        [&item.0[..]],
        |r| r.get(0),
    )
    .expect("item")
}

/// Publishes, as `who`, an `item.rekey.keep` of `item`: a genuine new item
/// key sealed under `ek` (epoch `epoch`), and `earlier` sealed, well
/// formed, under it (so it opens); shares dropped. Returns the new key.
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

/// The newest version of `item` in `replica`, if `ik` opens it.
fn newest_under(
    replica: &Path,
    ik: &ItemKey,
    (vault_id, env_id, item): (Id, Id, Id),
) -> Option<String> {
    let it = stored_items(replica, &env_id)
        .into_iter()
        .find(|i| i.id == item)?;
    let v = it.versions.last()?;
    let mc = v.meta.canonical();
    let (sealed, author) = coffer_vault::ops::unframe_blob(&v.blob);
    ik.open_item(
        sealed,
        &ItemContext {
            vault_id,
            env_id,
            item_id: item,
            row_version: v.version,
            meta: &mc,
            author,
        },
    )
    .ok()
    .map(|p| String::from_utf8_lossy(p.expose_secret()).into_owned())
}

/// Carol's offboarding stood on Ada's and Bob's replicas: web/prod is at
/// `epoch`, and Carol holds no key of it.
fn assert_carol_offboarded(fx: &Fx, bob: &Device, epoch_now: i64) {
    let carol = member_id(&fx.path, "Carol");
    for (who, replica) in [("Ada", &fx.path), ("Bob", &bob.replica)] {
        let c = Connection::open(replica).expect("open");
        assert_eq!(
            epoch(&c, PROD),
            epoch_now,
            "{who}: the offboarding re-keyed web/prod"
        );
        assert_eq!(
            member_rows(&c, "env_wraps", &carol),
            0,
            "{who}: Carol holds no key of web/prod"
        );
    }
}

/// Mallory (a writer of web/prod) unshares API_KEY (from Zed) with a
/// genuine new key and, sealed under it, well-formed but wrong earlier
/// keys; published, not yet synced by anyone.
fn mallory_unshares_with_wrong_keys() -> (Fx, Device) {
    let (fx, remote, bob, vault_id, mallory) = team_with_mallory(Role::Member, Access::Write);
    let (_, env_id, epoch, ek) = held_env_key(&fx.path, &mallory, PROD);
    let api = item_id_of(&fx, PROD, "API_KEY");
    let target = keeping_target(&fx, &bob, &api);
    forge_keeping_with(
        &remote,
        vault_id,
        &mallory,
        (env_id, epoch, &ek),
        api,
        &[ItemKey::make()],
        None,
        target,
    );
    (fx, bob)
}

fn read(v: &mut Vault, env: &str, key: &str) -> Result<String, String> {
    v.get_item(env, key)
        .map(|(_, s)| s.expose_secret().to_string())
        .map_err(|e| e.to_string())
}

/// Shares web/prod's API_KEY with Dave (a dev reader), published; Bob synced.
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

// ----- H1: well-formed but wrong earlier keys ---------------------------------

/// ATTACK (a writer of web/prod, own client): the fix's stand-in for junk
/// earlier keys (`recover_earlier`, from `item_keys_past`) runs only when
/// the sealed earlier keys do not open (`ItemKeys::broken_by`). Mallory
/// holds the new item key she makes, so she seals a *well-formed* list of
/// earlier keys under it: a random key instead of the replaced one. It
/// opens, `broken_by` stays `None`, nothing is recovered: none of Ada's
/// versions (sealed under replaced keys) opens under anything, and since
/// no version opens the item is "keyless" with no one to blame
/// (`keyless.push((id, None))`, `by_rekey` false).
/// SECURE: every holder still reads Ada's value (the replaced key recorded
/// in `item_keys_past` stands in whenever a version does not open, not
/// only when the sealed list does not open); a refusal, if any, names
/// Mallory's re-key.
/// FOUND: on every replica API_KEY vanishes: `list` no longer shows it,
/// `get`/`history` say "API_KEY in web/prod not found", `export` refuses
/// with "a teammate's client sealed their key so" (wrong: its key opens)
/// naming no one; no flow recovers it (`recover_earlier` never runs).
#[test]
fn attack_a_writers_rekey_with_wellformed_wrong_earlier_keys_erases_a_teammates_value() {
    let (fx, bob) = mallory_unshares_with_wrong_keys();
    let r = bob.sync();
    fx.open().sync().expect("ada syncs");
    for (who, mut v) in [("Ada", fx.open()), ("Bob", bob.open())] {
        let got = read(&mut v, PROD, "API_KEY");
        assert_eq!(
            got.as_deref(),
            Ok(API_V2),
            "{who} reads Ada's API_KEY after Mallory's re-key (Bob's sync: {r:?})"
        );
        assert!(export(&mut v, PROD).is_ok(), "{who}: web/prod exports");
    }
}

/// ATTACK (a writer of web/prod, own client), continued: after the re-key
/// of H1, an owner offboards a reader (an `env.rekey`). The offboarding's
/// re-key cannot open Ada's version either; in a private replica it
/// "moves over as it is" (`reencrypt`, lenient), and `rekey_item_rows`
/// deletes the item's `item_keys_earlier` row: the version is now sealed
/// under a key no row of any replica leads to any more (the stand-in
/// `recover_earlier` only runs while an earlier-keys row exists). Ada's
/// value is gone for good, on every replica, and the exposure tags of the
/// offboarding skip it.
/// SECURE: after the offboarding every holder still reads Ada's value.
/// FOUND: see the assertions.
#[test]
fn attack_wrong_earlier_keys_then_an_offboarding_buries_a_value_for_good() {
    let (fx, bob) = mallory_unshares_with_wrong_keys();
    bob.sync();
    fx.open().sync().expect("ada syncs");
    offboard_and_publish(&fx, "Carol");
    bob.sync();
    for (who, mut v) in [("Ada", fx.open()), ("Bob", bob.open())] {
        assert_eq!(
            read(&mut v, PROD, "API_KEY").as_deref(),
            Ok(API_V2),
            "{who} reads Ada's API_KEY after the offboarding"
        );
    }
    assert_converged(&[&fx.path, &bob.replica]);
}

// ----- H2: junk earlier keys skip the offboarding's exposure tags ------------

/// ATTACK (a writer of web/prod, own client): the re-key the fix calls
/// harmless (genuine new key, junk where the earlier keys go,
/// `resisted_a_writers_rekey_with_junk_earlier_keys_forges_nothing`).
/// Readers recover through `recover_earlier`, but the offboarding's
/// `build_exposed_values` opens the item with `ItemKeys::open` and never
/// calls `recover_earlier`: every version of API_KEY fails to open and is
/// skipped (`Err(_) if lenient => continue`). Carol, a reader of web/prod
/// who saw both of API_KEY's values, is offboarded and none of them is
/// recorded as exposed: setting API_KEY back to a value Carol holds is not
/// flagged.
/// SECURE: the offboarding records API_KEY's values as exposed (as it does
/// DB_PASS's).
/// FOUND: see the assertions.
#[test]
fn attack_junk_earlier_keys_keep_an_offboarded_members_values_out_of_the_exposure_record() {
    let (fx, remote, bob, vault_id, mallory) = team_with_mallory(Role::Member, Access::Write);
    let (_, env_id, epoch, ek) = held_env_key(&fx.path, &mallory, PROD);
    let api = item_id_of(&fx, PROD, "API_KEY");
    let target = keeping_target(&fx, &bob, &api);
    let db = item_id_of(&fx, PROD, "DB_PASS");
    let ik_ct = ek
        .seal_item_key(&ItemKey::make(), &item_ctx(vault_id, env_id, api, epoch))
        .expect("seal");
    let body = OpBody::RekeyItemKeeping {
        env_id,
        item_id: api,
        member_id: target.0,
        replaces: target.1,
        ik_ct,
        earlier: vec![0x55; 80],
        shares: vec![],
    };
    forge(&remote, vault_id, Id::make(), &mallory, &body, None);
    bob.sync();
    fx.open().sync().expect("ada syncs");
    assert_value(&mut fx.open(), PROD, "API_KEY", API_V2);
    offboard_and_publish(&fx, "Carol");
    let c = fx.db();
    let tags = |item: &Id| -> i64 {
        c.query_row(
            "SELECT COUNT(*) FROM exposed_values WHERE item_id = ?1",
            [&item.0[..]],
            |r| r.get(0),
        )
        .expect("count")
    };
    assert!(tags(&db) > 0, "control: DB_PASS is recorded exposed");
    assert!(
        tags(&api) >= 2,
        "API_KEY's two values, both seen by Carol, are recorded exposed ({} tags)",
        tags(&api)
    );
}

// ----- H3: an unshare racing an offboarding ------------------------------------

/// ATTACK (a writer of web/prod, honest client, merely offline): Bob
/// unshares API_KEY from Dave (`unshare.item` + `item.rekey.keep`, which
/// drops every share but those it re-wraps) before Ada offboards Carol,
/// and publishes after. Every replica orders Bob's unshare first; Ada's
/// `env.rekey` re-wraps API_KEY's share to Dave, and `check_wraps` refuses
/// a re-key's share to someone who no longer holds one (`holds_share`):
/// the whole offboarding re-key is denied on every replica. Carol keeps
/// web/prod's key; the epoch never moves. A malicious writer does the same
/// on purpose with a back-dated kind 20 (see the next test).
/// SECURE: Carol's offboarding stands (web/prod at epoch 2 on every
/// replica, no wrap of it for Carol).
/// FOUND: see the assertions.
#[test]
fn attack_an_unshare_ordered_before_an_offboarding_knocks_its_rekey_out() {
    let (fx, remote, bob, _carol) = team(folder_remote);
    let _dave = share_api_with_dave(&fx, &remote, &bob);
    let before = epoch(&fx.db(), PROD);
    bob.open()
        .unshare(PROD, "API_KEY", "Dave")
        .expect("Bob unshares, offline");
    std::thread::sleep(std::time::Duration::from_millis(5));
    offboard_and_publish(&fx, "Carol");
    bob.sync();
    fx.open().sync().expect("ada syncs");
    assert_carol_offboarded(&fx, &bob, before + 1);
    assert_converged(&[&fx.path, &bob.replica]);
}

/// ATTACK (a writer of web/prod, own client): the same on purpose. After
/// Ada offboards Carol, Mallory publishes an `item.rekey.keep` of API_KEY
/// (genuine, keeping every key; it drops Dave's share, which a writer may)
/// dated one tick before the offboarding's `env.rekey`.
/// SECURE: Carol's offboarding stands everywhere.
/// FOUND: see the assertions.
#[test]
fn attack_a_writers_backdated_rekey_keep_knocks_an_offboarding_out() {
    let (fx, remote, bob, vault_id, mallory) = team_with_mallory(Role::Member, Access::Write);
    let _dave = share_api_with_dave(&fx, &remote, &bob);
    let (_, env_id, ep, ek) = held_env_key(&fx.path, &mallory, PROD);
    let api = item_id_of(&fx, PROD, "API_KEY");
    let target = keeping_target(&fx, &bob, &api);
    let cur = ek
        .open_item_key(
            &ik_ct_of(&fx.path, &api),
            &item_ctx(vault_id, env_id, api, ep),
        )
        .expect("current key");
    offboard_and_publish(&fx, "Carol");
    let at = hlc_of(&fx.path, kind::REKEY_ENV) - 1;
    forge_keeping_with(
        &remote,
        vault_id,
        &mallory,
        (env_id, ep, &ek),
        api,
        &[cur],
        Some(at),
        target,
    );
    bob.sync();
    fx.open().sync().expect("ada syncs");
    assert_carol_offboarded(&fx, &bob, ep as i64 + 1);
}

// ----- H4: a kind 20 applied after an env.rekey it had not seen ----------------

/// ATTACK (a writer of web/prod, honest client, merely offline): Ada
/// offboards Carol (`env.rekey`, epoch 2). Bob, who has not synced, then
/// unshares API_KEY from Dave and rotates it. His `item.rekey.keep` carries
/// a new item key sealed under web/prod's epoch-1 key, and kind 20 names
/// no epoch: `mutate` overwrites the item key the offboarding just set
/// with one sealed under the key Carol still holds. Bob's rotation is
/// sealed under that item key and names it (`sealed_under`), so it is
/// accepted as current, not set aside as stale. Result: the item key no
/// current holder can open, and the rotated value readable by Carol (who
/// keeps the folder and the epoch-1 key).
/// SECURE: a kind 20 made for an epoch the environment has left is refused
/// (as `item.set` of a new item is) or set aside; the rotated value is not
/// sealed under anything Carol's epoch-1 key opens; Ada reads API_KEY.
/// FOUND: see the assertions.
#[test]
fn attack_an_unshare_after_an_unseen_offboarding_hands_the_offboarded_the_next_value() {
    let (fx, remote, bob, vault_id, mallory) = team_with_mallory(Role::Member, Access::Write);
    let _dave = share_api_with_dave(&fx, &remote, &bob);
    // What Carol holds (Mallory holds the same epoch-1 key).
    let (_, env_id, ep1, ek1) = held_env_key(&fx.path, &mallory, PROD);
    let api = item_id_of(&fx, PROD, "API_KEY");
    offboard_and_publish(&fx, "Carol");
    {
        let mut b = bob.open();
        b.unshare(PROD, "API_KEY", "Dave").expect("Bob unshares");
        b.set_item(PROD, "API_KEY", value("rotated-after-offboarding"))
            .expect("Bob rotates");
    }
    bob.sync();
    fx.open().sync().expect("ada syncs");
    let ik_ct = ik_ct_of(&fx.path, &api);
    let leaked = ek1
        .open_item_key(&ik_ct, &item_ctx(vault_id, env_id, api, ep1))
        .ok()
        .and_then(|ik| newest_under(&fx.path, &ik, (vault_id, env_id, api)));
    assert_eq!(
        leaked, None,
        "the offboarded member's epoch-1 key opens API_KEY's current key and value"
    );
    // Bob's unshare named the key the offboarding replaced: it is denied
    // (unshare again), and his rotation, sealed under the key that unshare
    // made, with it. API_KEY still reads on every holder's device.
    let got = read(&mut fx.open(), PROD, "API_KEY");
    assert!(
        matches!(got.as_deref(), Ok("rotated-after-offboarding") | Ok(API_V2)),
        "Ada reads API_KEY: {got:?}"
    );
}

// ----- H5: a version sealed under a replaced key, labelled current -----------

/// ATTACK (a writer of web/prod, own client): after Bob unshares API_KEY
/// from Dave (who holds the replaced item key, from his share, and keeps
/// the folder), Mallory writes version 3 sealed under the *replaced* key
/// but naming the current one in `sealed_under`. `mutate` checks only the
/// name, so it becomes current; readers, who now try the earlier keys
/// too, open it without a word. Before kind 20 such a version opened
/// under no key; the stale-version rule (a version sealed under a replaced
/// key "could be read by whoever lost the share", so it never becomes
/// current) no longer holds: a covert re-share, with no `share` op in the
/// log, to the member just unshared.
/// SECURE: a current version sealed under a key the item replaced is not
/// served as current (readers open the current version under the current
/// key only; earlier keys are for versions before the re-key).
/// FOUND: see the assertions.
#[test]
fn attack_a_version_sealed_under_the_replaced_key_is_served_to_the_unshared() {
    let (fx, remote, bob, vault_id, mallory) = team_with_mallory(Role::Member, Access::Write);
    let _dave = share_api_with_dave(&fx, &remote, &bob);
    let (_, env_id, ep, ek) = held_env_key(&fx.path, &mallory, PROD);
    let api = item_id_of(&fx, PROD, "API_KEY");
    // Dave's key (he opened it from his share).
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
    let new_ct = ik_ct_of(&fx.path, &api);
    let it = stored_items(&fx.path, &env_id)
        .into_iter()
        .find(|i| i.id == api)
        .expect("API_KEY");
    let v2 = it.versions.last().expect("v2");
    // Version 2's plaintext, re-sealed as version 3 under Dave's key.
    let pt = open_blob(&daves, vault_id, env_id, api, v2);
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
            item_key: coffer_crypto::ItemKeyGeneration::of_sealed(&new_ct).0,
        }),
    };
    forge(&remote, vault_id, Id::make(), &mallory, &body, None);
    fx.open().sync().expect("ada syncs");
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
        current == 2 || served.is_err(),
        "version {current}, sealed under the key Dave kept, is served as current: {served:?}"
    );
}

// ----- resisted -----------------------------------------------------------------

/// ATTACK (a writer of web/prod, own client): junk earlier keys, then
/// compare what replicas derived, the new table included, and `audit
/// verify` on each: does the new row make replicas differ, or their
/// seals fail?
/// SECURE (holds?): the replicas agree on `item_keys_earlier` and
/// `item_keys_past`, and verify cleanly.
#[test]
fn resisted_rekey_keep_rows_are_the_same_on_every_replica() {
    let (fx, bob) = mallory_unshares_with_wrong_keys();
    bob.sync();
    fx.open().sync().expect("ada syncs");
    for t in [
        "SELECT * FROM item_keys_earlier ORDER BY item_id",
        "SELECT * FROM item_keys_past ORDER BY item_id, ik_ct",
    ] {
        let a = rows(&Connection::open(&fx.path).expect("open"), t);
        let b = rows(&Connection::open(&bob.replica).expect("open"), t);
        assert!(!a.is_empty(), "{t}: a row");
        assert_eq!(a, b, "{t}");
    }
    assert_converged(&[&fx.path, &bob.replica]);
    assert!(fx.open().verify().expect("verify").ok(), "Ada verifies");
    assert!(bob.open().verify().expect("verify").ok(), "Bob verifies");
}

// ----- H6: an unshare split by a demotion's cut --------------------------------

/// ATTACK (race, no malice needed; or a writer who sees her demotion
/// coming): Bob, a writer, unshares API_KEY from Dave while offline
/// (`unshare.item` + `item.rekey.keep`); meanwhile Ada demotes Bob to
/// reader (kind 19, with his feed cut). Beyond the cut, `unshare.item`
/// "only takes away" and stands, but `item.rekey.keep` is not on that list
/// and is denied: Dave's share is gone, yet the item keeps the key Dave
/// holds. The next value Ada sets is sealed under it, and Dave (who keeps
/// the folder) reads it, while every device says he lost access.
/// SECURE: a value set after Dave's unshare is not sealed under the key
/// Dave held (the unshare and its re-key stand or fall together, or a
/// dropped share's key is replaced by the next holder's write/sync).
/// FOUND: see the assertions.
#[test]
fn attack_a_demotion_cut_splits_an_unshare_from_its_rekey_and_the_unshared_keeps_reading() {
    let (fx, remote, bob, vault_id, mallory) = team_with_mallory(Role::Member, Access::Write);
    let _dave = share_api_with_dave(&fx, &remote, &bob);
    let (_, env_id, ep, ek) = held_env_key(&fx.path, &mallory, PROD);
    let api = item_id_of(&fx, PROD, "API_KEY");
    let daves = ek
        .open_item_key(
            &ik_ct_of(&fx.path, &api),
            &item_ctx(vault_id, env_id, api, ep),
        )
        .expect("the key Dave holds");
    bob.open()
        .unshare(PROD, "API_KEY", "Dave")
        .expect("Bob unshares, offline");
    std::thread::sleep(std::time::Duration::from_millis(5));
    fx.open()
        .set_role("Bob", Role::Reader)
        .expect("Ada demotes Bob");
    fx.open().sync().expect("ada publishes");
    let r = bob.sync();
    fx.open().sync().expect("ada syncs");
    let dave = member_id(&fx.path, "Dave");
    assert_eq!(
        member_rows(&fx.db(), "item_shares", &dave),
        0,
        "the unshare stood (Bob's sync: {r:?})"
    );
    fx.open()
        .set_item(PROD, "API_KEY", value("set-after-the-unshare"))
        .expect("Ada sets a new value");
    fx.open().sync().expect("ada publishes");
    let opened = newest_under(&fx.path, &daves, (vault_id, env_id, api));
    assert_eq!(
        opened,
        None,
        "the key Dave held opens the value set after he was unshared (Bob's item.rekey.keep: {:?})",
        rows(&fx.db(), "SELECT outcome, reason FROM ops WHERE kind = 20")
    );
}

/// ATTACK (a reader of web/prod, own client): an `item.rekey.keep` of
/// API_KEY (genuine key, junk earlier keys).
/// SECURE (holds): `authorize` refuses a reader's kind 20; API_KEY reads
/// as before everywhere; replicas agree.
#[test]
fn resisted_a_readers_rekey_keep_is_denied() {
    let (fx, remote, bob, vault_id, mallory) = team_with_mallory(Role::Reader, Access::Read);
    let (_, env_id, epoch, ek) = held_env_key(&fx.path, &mallory, PROD);
    let api = item_id_of(&fx, PROD, "API_KEY");
    let target = keeping_target(&fx, &bob, &api);
    forge_keeping_with(
        &remote,
        vault_id,
        &mallory,
        (env_id, epoch, &ek),
        api,
        &[],
        None,
        target,
    );
    let r = bob.sync();
    fx.open().sync().expect("ada syncs");
    assert_eq!(r.denied.len(), 1, "Mallory's re-key is denied: {r:?}");
    for mut v in [fx.open(), bob.open()] {
        assert_value(&mut v, PROD, "API_KEY", API_V2);
    }
    assert_converged(&[&fx.path, &bob.replica]);
}

// ----- H7: two unshares racing: the second one's re-key is denied ------------

/// ATTACK (race between two honest writers, no malice needed): API_KEY is
/// shared with Dave and with Erin. Bob, offline, unshares Dave: his
/// `item.rekey.keep` makes K2 and re-wraps Erin's share to K2. Ada, who
/// has not seen Bob's ops, unshares Erin: her `item.rekey.keep` re-wraps
/// the shares she knows of, Dave's included. Every replica applies Bob's
/// ops, then Ada's: her `unshare.item` stands (Erin's share row goes), but
/// her re-key is denied by `check_wraps` ("a re-key wraps a shared item's
/// key to <Dave>, who does not hold it"). The item keeps K2, which Bob
/// wrapped to Erin: Erin, unshared, reads the current value and every
/// value set after, while every device says she lost access. (The same
/// happens when one writer's re-keeping op alone is denied for any other
/// reason, see the demotion-cut test above.)
/// SECURE: after Ada's unshare, the item's key is not one wrapped to Erin:
/// the next value set is not readable with it.
/// FOUND: see the assertions.
#[test]
fn attack_two_racing_unshares_leave_the_unshared_holding_the_current_key() {
    let (fx, remote, bob, vault_id, mallory) = team_with_mallory(Role::Member, Access::Write);
    let _dave = share_api_with_dave(&fx, &remote, &bob);
    let erin = Device::new(&fx, "Erin");
    add_member(
        &mut fx.open(),
        &erin.who,
        Role::Member,
        &[(DEV, Access::Read)],
    );
    fx.open()
        .share(PROD, "API_KEY", "Erin")
        .expect("share to Erin");
    fx.open().sync().expect("ada publishes");
    bob.sync();
    let (_, env_id, ep, ek) = held_env_key(&fx.path, &mallory, PROD);
    let api = item_id_of(&fx, PROD, "API_KEY");
    bob.open()
        .unshare(PROD, "API_KEY", "Dave")
        .expect("Bob unshares Dave");
    // The key Bob's re-key made and wrapped to Erin.
    let erins = ek
        .open_item_key(
            &ik_ct_of(&bob.replica, &api),
            &item_ctx(vault_id, env_id, api, ep),
        )
        .expect("K2");
    std::thread::sleep(std::time::Duration::from_millis(5));
    fx.open()
        .unshare(PROD, "API_KEY", "Erin")
        .expect("Ada unshares Erin");
    let rb = bob.sync();
    let ra = fx.open().sync().expect("ada syncs");
    bob.sync();
    let erin_id = member_id(&fx.path, "Erin");
    // Ada's unshare named the key Bob's replaced: it is denied as a whole
    // (visible: her sync reports it, and Erin is still listed as shared),
    // never half applied with Erin holding the current key unlisted.
    if member_rows(&fx.db(), "item_shares", &erin_id) == 1 {
        let reason: String = fx
            .db()
            .query_row(
                "SELECT COALESCE(reason, '') FROM ops WHERE kind = ?1 AND outcome = 'denied'",
                [kind::REKEY_ITEM_KEEPING],
                |r| r.get(0),
            )
            .expect("Ada's unshare is in the log, denied");
        // (Denied by the first check it fails: its re-wrap to Dave, whose
        // share Bob's unshare ended, or the key it names being replaced.)
        assert!(
            reason.contains("changed meanwhile") || reason.contains("does not hold"),
            "Ada's unshare of Erin was denied, and the log says why: {reason} (Bob's sync {rb:?}; Ada's {ra:?})"
        );
        assert!(
            ra.denied
                .iter()
                .any(|d| d.author == "Ada" && d.reason.contains("your own change")),
            "Ada's sync tells her that her unshare was undone: {ra:?}"
        );
        return;
    }
    fx.open()
        .set_item(PROD, "API_KEY", value("set-after-erins-unshare"))
        .expect("Ada sets a new value");
    fx.open().sync().expect("ada publishes");
    let opened = newest_under(&fx.path, &erins, (vault_id, env_id, api));
    assert_eq!(
        opened,
        None,
        "the key wrapped to Erin opens the value set after her unshare (re-keys: {:?})",
        rows(&fx.db(), "SELECT outcome, reason FROM ops WHERE kind = 20")
    );
    assert_converged(&[&fx.path, &bob.replica]);
}

// ----- H8: two unshares of the same share lose a key -----------------------------

/// ATTACK (race between two honest writers, no malice needed): Bob,
/// offline, unshares API_KEY from Dave (K2, earlier [K1]) and rotates it
/// (version 3, sealed under K2). Ada, who has not seen Bob's ops, also
/// unshares Dave: her `item.rekey.keep` carries K3 and earlier [K1], and
/// re-wraps no share, so nothing in it is refused. Every replica applies
/// Bob's ops, then Ada's: `mutate` replaces the earlier keys wholesale
/// (`INSERT OR REPLACE`), so K2 leads nowhere; the sealed list opens, so
/// `recover_earlier` never runs (K2 sits in `item_keys_past`, unused).
/// (Under kind 14 the second re-key, which had to name every version, was
/// denied.)
/// SECURE: every holder reads Bob's rotation.
/// FOUND: see the assertions.
#[test]
fn attack_two_racing_unshares_of_one_share_lose_the_key_of_a_rotation() {
    let (fx, remote, bob, _carol) = team(folder_remote);
    let _dave = share_api_with_dave(&fx, &remote, &bob);
    {
        let mut b = bob.open();
        b.unshare(PROD, "API_KEY", "Dave")
            .expect("Bob unshares Dave");
        b.set_item(PROD, "API_KEY", value("rotated-by-bob"))
            .expect("Bob rotates");
    }
    std::thread::sleep(std::time::Duration::from_millis(5));
    fx.open()
        .unshare(PROD, "API_KEY", "Dave")
        .expect("Ada unshares Dave");
    let rb = bob.sync();
    let ra = fx.open().sync().expect("ada syncs");
    bob.sync();
    for (who, mut v) in [("Ada", fx.open()), ("Bob", bob.open())] {
        assert_eq!(
            read(&mut v, PROD, "API_KEY").as_deref(),
            Ok("rotated-by-bob"),
            "{who} reads Bob's rotation (Bob's sync {rb:?}; Ada's {ra:?}; ops {:?})",
            rows(
                &fx.db(),
                "SELECT kind, outcome, reason FROM ops WHERE kind IN (12, 18, 20) ORDER BY seq"
            )
        );
    }
    assert_converged(&[&fx.path, &bob.replica]);
}
