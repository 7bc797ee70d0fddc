//! Attack review 8 (commit b96fb7c): `share.resign` (kind 22) and the
//! demotion's `SetRole.reshares` applied only where the share stands
//! (`held_share_pairs`), schema 8's earlier-keys rows opened in a chain
//! (`ItemKeys::open`), each earlier key bounded by the lowest `upto` of
//! the rows carrying it, and the exposure report ending a share at a
//! kind-20 unshare. `attack_*` tests assert the secure property and fail
//! while the attack works (ignored, naming the open finding); `resisted_*`
//! tests pass (attacks tried and defended).
//!
//! Findings:
//! - G1 (high) F4 again, by leaving a key out: a writer's own kind 20
//!   whose earlier keys omit the key the previous unshare's row is sealed
//!   under strands that row (it never opens), so the lowest-`upto` rule
//!   never sees it; the unshared member's key gets the writer's row's
//!   bound and a version she sealed under it is served as current.
//! - G2 (medium, availability) a writer's kind 20 rows cost every reader
//!   (rows × keys) AEAD openings of the rows' full size: one row of 4,096
//!   junk keys beside one large row that opens under nothing makes every
//!   listing of the environment take seconds (minutes with a 64 MiB row).
//! - G3 (medium, an honest race) Ada lowers Bob to read while Bob unshares
//!   Zed from an item also shared with Dave: Ada's `share.resign` re-wraps
//!   Dave's share for the item key Bob's unshare replaced (the share
//!   stands, so `held_share_pairs` keeps it) and Dave loses the item and,
//!   as one share that does not open fails `load_shared_items`, every
//!   shared item of the environment. The same with no act of Bob's: Ann
//!   offboards Carol (Dave's share re-wrapped for epoch 2) while Ada lowers
//!   Bob; Ada's re-sign puts back an epoch-1 wrap. (Left as Bob's, the
//!   re-wrapped share would fail too: `check_sender` judges the sender's
//!   access at read time.)
//!
//! Status: all fixed. G1: a device holding the environment key takes
//! every earlier key's bound from `item_keys_past`, derived from the
//! re-keys it applied; a share's recipient caps bounds at the lowest
//! `upto` of any row that did not open. G2: an earlier-keys list longer
//! than the keys the item has had (`item_keys_past`, counted by every
//! device alike) is refused where it applies, an honest client cuts a list
//! a teammate padded back to that length keeping the keys it knows, and
//! `ItemKeys::open` tries each row once per key. G3: a re-sign applies
//! only where the share stands, its wrap is of the current epoch and of
//! the item key generation it names (kind 22 carries one per share; a
//! demotion sends its re-signs as kind 22 too), and an owner's or admin's
//! sync re-signs a standing share whose sender may no longer vouch for it.
//!
//! Resisted: a writer's or reader's kind 22 gives no share (not held, or
//! denied); a kind 22 dated before or after an unshare does not bring the
//! share back; review 7's F4 with every key listed.
#![allow(dead_code, unused_imports)]

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use coffer_crypto::{
    EarlierKeysContext, EnvKey, Id, ItemKey, ItemKeyGeneration, PrivateIdentity, WrapContext,
};
use coffer_vault::ops::{OpBody, SealedUnder, ShareRecord, WrapRecord};
use coffer_vault::sync::Remote;
use coffer_vault::{Access, Role, Vault};
use common::attack_fx::*;
use common::sync_fx::*;
use common::*;
use rusqlite::Connection;

// ----- helpers -------------------------------------------------------------------

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

/// Publishes, as `who`, an `item.rekey.keep` of `item` unsharing
/// `member_id` (whose share must stand) from the key of generation
/// `replaces`: a new item key sealed under `ek`, and `earlier` as the
/// sealed earlier keys (`Ok`: sealed under the new key; `Err`: these raw
/// bytes). Returns the new key and its sealed form.
#[allow(clippy::too_many_arguments)]
fn keeping(
    remote: &Remote,
    vault_id: Id,
    who: &PrivateIdentity,
    (env_id, epoch, ek): (Id, u64, &EnvKey),
    item: Id,
    earlier: Result<&[ItemKey], Vec<u8>>,
    (member_id, replaces): (Id, [u8; 32]),
    keep_share: Option<&coffer_crypto::PublicKeys>,
) -> (ItemKey, Vec<u8>) {
    let new_ik = ItemKey::make();
    let ik_ct = ek
        .seal_item_key(&new_ik, &item_ctx(vault_id, env_id, item, epoch))
        .expect("seal");
    let earlier = match earlier {
        Ok(keys) => new_ik
            .seal_earlier_keys(
                keys,
                &EarlierKeysContext {
                    vault_id,
                    env_id,
                    item_id: item,
                },
            )
            .expect("seal earlier"),
        Err(raw) => raw,
    };
    let shares = keep_share
        .map(|to| {
            vec![share_record(
                who,
                to,
                &new_ik,
                &ik_ct,
                (vault_id, item, epoch),
            )]
        })
        .unwrap_or_default();
    let body = OpBody::RekeyItemKeeping {
        env_id,
        item_id: item,
        member_id,
        replaces,
        ik_ct: ik_ct.clone(),
        earlier,
        shares,
    };
    forge(remote, vault_id, Id::make(), who, &body, None);
    std::thread::sleep(Duration::from_millis(3));
    (new_ik, ik_ct)
}

// ----- G1: F4 again, by leaving a key out ------------------------------------------

const COVERT: &str = "covert-to-dave-3333";

/// ATTACK (a writer of web/prod, own client): F4's fix bounds each earlier
/// key by the lowest `upto` of the rows *that open*. Bob unshares Dave
/// (Dave keeps IK_a; Bob's row {IK_a} is sealed under IK_b, `upto` 2).
/// Mallory writes version 3 sealed under IK_a, labelled with IK_b (it is
/// current and opens for no one), then unshares Zed with a kind 20 whose
/// earlier keys are {IK_a} only, leaving IK_b out: Bob's row, sealed under
/// IK_b, now opens under no key a reader has, so IK_a's only bound is
/// Mallory's row's `upto`, 3. No version was sealed under IK_b, so nothing
/// else is lost and nothing looks wrong.
/// SECURE: a current version sealed under the key Dave kept is not served.
/// FOUND: every replica serves version 3 (Dave reads it from the feed).
#[test]
fn attack_a_writers_unshare_leaving_a_key_out_strands_the_lower_bound() {
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
    let target = keeping_target(&fx, &bob, &api);
    let cur_ct = ik_ct_of(&fx.path, &api);
    let it = stored_items(&fx.path, &env_id)
        .into_iter()
        .find(|i| i.id == api)
        .expect("API_KEY");
    let v2 = it.versions.last().expect("v2");
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
        sealed_under: Some(SealedUnder {
            epoch: ep,
            item_key: ItemKeyGeneration::of_sealed(&cur_ct).0,
        }),
    };
    forge(&remote, vault_id, Id::make(), &mallory, &body, None);
    std::thread::sleep(Duration::from_millis(3));
    // The only change from review 7's F4: IK_b (the current key, which
    // Bob's row is sealed under) is left out.
    keeping(
        &remote,
        vault_id,
        &mallory,
        (env_id, ep, &ek),
        api,
        Ok(&[daves.duplicate()]),
        target,
        None,
    );
    let r = fx.open().sync().expect("ada syncs");
    bob.sync();
    let rows = earlier_rows(&fx, &api);
    let served = read(&mut fx.open(), PROD, "API_KEY");
    let bobs = read(&mut bob.open(), PROD, "API_KEY");
    assert!(
        served.as_deref() != Ok(COVERT) && bobs.as_deref() != Ok(COVERT),
        "version 3, sealed under the key Dave kept, is served as current \
         (Ada: {served:?}, Bob: {bobs:?}; {rows} earlier-keys rows; {r:?})"
    );
}

/// Control (review 7's F4, with both keys listed): the lowest `upto`
/// holds and version 3 is not served.
#[test]
fn resisted_a_writers_unshare_listing_every_key_cannot_raise_the_bound() {
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
    let ctx = item_ctx(vault_id, env_id, api, ep);
    let daves = ek
        .open_item_key(&ik_ct_of(&fx.path, &api), &ctx)
        .expect("current key");
    {
        let mut b = bob.open();
        b.unshare(PROD, "API_KEY", "Dave").expect("Bob unshares");
        b.sync().expect("bob publishes");
    }
    fx.open().sync().expect("ada syncs");
    let target = keeping_target(&fx, &bob, &api);
    let cur_ct = ik_ct_of(&fx.path, &api);
    let cur = ek.open_item_key(&cur_ct, &ctx).expect("current key");
    let it = stored_items(&fx.path, &env_id)
        .into_iter()
        .find(|i| i.id == api)
        .expect("API_KEY");
    let v2 = it.versions.last().expect("v2");
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
        sealed_under: Some(SealedUnder {
            epoch: ep,
            item_key: ItemKeyGeneration::of_sealed(&cur_ct).0,
        }),
    };
    forge(&remote, vault_id, Id::make(), &mallory, &body, None);
    std::thread::sleep(Duration::from_millis(3));
    keeping(
        &remote,
        vault_id,
        &mallory,
        (env_id, ep, &ek),
        api,
        Ok(&[cur, daves.duplicate()]),
        target,
        None,
    );
    fx.open().sync().expect("ada syncs");
    let served = read(&mut fx.open(), PROD, "API_KEY");
    assert!(served.as_deref() != Ok(COVERT), "{served:?}");
}

// ----- G2: reading cost of the rows ----------------------------------------------

/// ATTACK (a writer of web/prod, own client; two shares and two kind 20s):
/// `ItemKeys::open` tries every row that has not opened against the
/// current key and every earlier key found so far, each try an AEAD
/// opening over the row's whole ciphertext, until a pass opens nothing.
/// Nothing bounds the rows' size but the op size, nor the keys across
/// rows. Mallory unshares Zed with an earlier-keys "row" of junk bytes
/// (opens under nothing, `JUNK` bytes), then unshares Dave with a row of
/// 4,096 keys (the real one and junk), sealed under the new key: every
/// reader, on every listing, `get`, export or `run` of web/prod, opens the
/// junk row with 4,097 keys (4,097 × `JUNK` bytes of Poly1305).
/// SECURE: listing web/prod stays cheap (within twice the listing before the attack, with a 1 MiB
/// junk row; with a 64 MiB one the same attack costs minutes per read).
/// FOUND: see the assertion (the time taken).
/// FIXED: a list longer than the keys the item has had (every device
/// counts them from the re-keys it applied) is refused where it applies,
/// and a row is tried once per key, not once per key per pass.
#[test]
fn attack_a_writers_rows_make_every_read_of_the_environment_slow() {
    const JUNK: usize = 1 << 20;
    let (fx, remote, bob, vault_id, mallory) = team_with_mallory(Role::Member, Access::Write);
    add_dev_only(&fx, "Dave");
    add_dev_only(&fx, "Zed");
    fx.open().share(PROD, "API_KEY", "Dave").expect("share");
    fx.open().share(PROD, "API_KEY", "Zed").expect("share");
    fx.open().sync().expect("ada publishes");
    bob.sync();
    let t0 = Instant::now();
    let _ = names(&mut fx.open(), PROD);
    let before = t0.elapsed();
    let (_, env_id, ep, ek) = held_env_key(&fx.path, &mallory, PROD);
    let api = item_id_of(&fx, PROD, "API_KEY");
    let ctx = item_ctx(vault_id, env_id, api, ep);
    let ct1 = ik_ct_of(&fx.path, &api);
    let k1 = ek.open_item_key(&ct1, &ctx).expect("current key");
    let zed = member_id(&fx.path, "Zed");
    let dave = member_id(&fx.path, "Dave");
    let junk: Vec<u8> = (0..JUNK).map(|i| (i * 7 + 3) as u8).collect();
    let (k2, ct2) = keeping(
        &remote,
        vault_id,
        &mallory,
        (env_id, ep, &ek),
        api,
        Err(junk),
        (zed, ItemKeyGeneration::of_sealed(&ct1).0),
        Some(&member_keys(&fx.db(), &dave)),
    );
    let wide = padded(vec![k1, k2]);
    keeping(
        &remote,
        vault_id,
        &mallory,
        (env_id, ep, &ek),
        api,
        Ok(&wide),
        (dave, ItemKeyGeneration::of_sealed(&ct2).0),
        None,
    );
    let r = fx.open().sync().expect("ada syncs");
    let rows = earlier_rows(&fx, &api);
    assert_eq!(
        (r.denied.len(), rows),
        (2, 0),
        "both padded unshares are refused where they apply: {r:?}"
    );
    let mut v = fx.open();
    let t0 = Instant::now();
    let listed = names(&mut v, PROD);
    let after = t0.elapsed();
    let got = read(&mut v, PROD, "API_KEY");
    assert!(
        after < before * 2 + Duration::from_millis(250),
        "one listing of web/prod takes {after:?} (before the attack: {before:?}); \
         listed {listed:?}, API_KEY reads {got:?}"
    );
}

/// `keys` and junk keys after them, 4,096 in all.
fn padded(mut keys: Vec<ItemKey>) -> Vec<ItemKey> {
    while keys.len() < 4096 {
        keys.push(ItemKey::make());
    }
    keys
}

/// How many earlier-keys rows `item` has on Ada's replica.
fn earlier_rows(fx: &Fx, item: &Id) -> i64 {
    fx.db()
        .query_row(
            "SELECT COUNT(*) FROM item_keys_earlier WHERE item_id = ?1",
            [&item.0[..]],
            |r| r.get(0),
        )
        .expect("rows")
}

/// ATTACK (G2's bound, alone): Mallory's first unshare lists the one key
/// the item had and 4,095 more. SECURE: refused where it applies (the
/// item has had one earlier key), on Ada's device as on every other.
#[test]
fn resisted_a_writers_unshare_listing_more_keys_than_the_item_had() {
    let (fx, remote, bob, vault_id, mallory) = team_with_mallory(Role::Member, Access::Write);
    add_dev_only(&fx, "Zed");
    fx.open().share(PROD, "API_KEY", "Zed").expect("share");
    fx.open().sync().expect("ada publishes");
    bob.sync();
    let (_, env_id, ep, ek) = held_env_key(&fx.path, &mallory, PROD);
    let api = item_id_of(&fx, PROD, "API_KEY");
    let ct1 = ik_ct_of(&fx.path, &api);
    let k1 = ek
        .open_item_key(&ct1, &item_ctx(vault_id, env_id, api, ep))
        .expect("current key");
    let wide = padded(vec![k1]);
    let zed = member_id(&fx.path, "Zed");
    keeping(
        &remote,
        vault_id,
        &mallory,
        (env_id, ep, &ek),
        api,
        Ok(&wide),
        (zed, ItemKeyGeneration::of_sealed(&ct1).0),
        None,
    );
    let r = fx.open().sync().expect("ada syncs");
    assert_eq!(r.denied.len(), 1, "{r:?}");
    assert_eq!(ik_ct_of(&fx.path, &api), ct1, "the item keeps its key");
    assert_eq!(read(&mut fx.open(), PROD, "API_KEY").as_deref(), Ok(API_V2));
}

/// ATTACK (G2's bound against an honest writer): Mallory's unshare lists
/// one junk key in place of the one the item had (as long as the bound
/// allows). Ada, who holds the environment key, then unshares Dave: her
/// list (the junk key from Mallory's row and the real key from her own
/// re-keys) is one longer than the item's history. SECURE: her client
/// keeps the keys it knows from its own re-keys, the unshare applies, and
/// every version still reads.
#[test]
fn resisted_a_padded_list_does_not_block_the_next_unshare() {
    let (fx, remote, bob, vault_id, mallory) = team_with_mallory(Role::Member, Access::Write);
    add_dev_only(&fx, "Dave");
    add_dev_only(&fx, "Zed");
    fx.open().share(PROD, "API_KEY", "Dave").expect("share");
    fx.open().share(PROD, "API_KEY", "Zed").expect("share");
    fx.open().sync().expect("ada publishes");
    bob.sync();
    let (_, env_id, ep, ek) = held_env_key(&fx.path, &mallory, PROD);
    let api = item_id_of(&fx, PROD, "API_KEY");
    let ct1 = ik_ct_of(&fx.path, &api);
    let zed = member_id(&fx.path, "Zed");
    let dave = member_id(&fx.path, "Dave");
    keeping(
        &remote,
        vault_id,
        &mallory,
        (env_id, ep, &ek),
        api,
        Ok(&[ItemKey::make()]),
        (zed, ItemKeyGeneration::of_sealed(&ct1).0),
        Some(&member_keys(&fx.db(), &dave)),
    );
    let r = fx.open().sync().expect("ada syncs");
    assert_eq!(r.denied.len(), 0, "a list within the bound applies: {r:?}");
    fx.open()
        .unshare(PROD, "API_KEY", "Dave")
        .expect("Ada's unshare applies");
    let rows = earlier_rows(&fx, &api);
    assert_eq!(rows, 2);
    assert_eq!(read(&mut fx.open(), PROD, "API_KEY").as_deref(), Ok(API_V2));
}

// ----- G3: a lowered grant racing the writer's own unshare -------------------------

/// ATTACK (an honest race): Bob, a writer of web/prod, shared API_KEY with
/// Dave and Zed. Bob unshares Zed (kind 20: a new item key, Dave's share
/// re-wrapped for it, signed by Bob); Ada, not having seen it, lowers Bob
/// to read, which re-signs Bob's shares as `share.resign` (kind 22) for
/// the item key *she* knows. Ordered after the unshare, the re-sign finds
/// Dave's share standing (`held_share_pairs`) and replaces it with a wrap
/// bound to the replaced key's generation: Dave's share no longer opens
/// (and were it left as Bob's, Bob may no longer sign shares there).
/// SECURE: Dave, whose share was never ended, reads API_KEY.
/// FOUND: Dave's read fails ("a shared item's key … does not open"), and
/// so does every other shared item of web/prod on his device.
/// FIXED: a re-sign names the item-key generation of each wrap and
/// applies only where that is the item's key still; the share left as
/// Bob's unshare re-wrapped it (Bob may no longer vouch for it) is signed
/// again by Ada's next sync (`resign_orphaned_shares`).
#[test]
fn attack_a_lowered_grant_racing_its_writers_unshare_cuts_off_the_other_share() {
    let (fx, remote, bob, _carol) = team(folder_remote);
    let dave = add_dev_reader(&fx, &bob);
    add_dev_only(&fx, "Zed");
    fx.open().sync().expect("ada publishes");
    bob.sync();
    {
        let mut b = bob.open();
        b.share(PROD, "API_KEY", "Dave")
            .expect("Bob shares with Dave");
        b.share(PROD, "API_KEY", "Zed")
            .expect("Bob shares with Zed");
    }
    bob.sync();
    fx.open().sync().expect("ada syncs");
    dave.join(&remote).expect("Dave joins");
    assert_eq!(
        read(&mut dave.open(), PROD, "API_KEY").as_deref(),
        Ok(API_V2)
    );
    bob.open()
        .unshare(PROD, "API_KEY", "Zed")
        .expect("Bob unshares Zed");
    std::thread::sleep(Duration::from_millis(5));
    fx.open()
        .grant("Bob", PROD, Access::Read)
        .expect("Bob to read");
    fx.open().sync().expect("ada publishes");
    bob.sync();
    fx.open().sync().expect("ada syncs");
    bob.sync();
    dave.sync();
    let dave_id = member_id(&fx.path, "Dave");
    let sender: Vec<u8> = fx
        .db()
        .query_row(
            "SELECT sender_id FROM item_shares WHERE member_id = ?1",
            [&dave_id.0[..]],
            |r| r.get(0),
        )
        .expect("Dave's share stands");
    let ada = member_id(&fx.path, "Ada");
    let got = read(&mut dave.open(), PROD, "API_KEY");
    assert_eq!(
        got.as_deref(),
        Ok(API_V2),
        "Dave, whose share stands (signed by {}), reads API_KEY",
        if sender == ada.0 { "Ada" } else { "Bob" }
    );
}

/// ATTACK (an honest race between two admins; Bob does nothing): Bob
/// shared API_KEY with Dave. Ann (admin) offboards Carol: web/prod goes to
/// epoch 2 and Dave's share is re-wrapped, by Ann, for epoch 2. Ada, not
/// having seen it, lowers Bob to read: her `share.resign` re-wraps Dave's
/// share for epoch 1. Ordered after the offboarding, it finds the share
/// standing and replaces it with a wrap for an epoch the environment left.
/// SECURE: Dave, whose share was never ended, reads API_KEY.
/// FOUND: Dave's read fails ("a shared item's key … does not open") until
/// the next re-key of web/prod re-wraps the share.
#[test]
fn attack_a_lowered_grant_racing_an_offboarding_cuts_off_a_share() {
    let got = offboarding_racing_a_lowered_grant(true);
    assert_eq!(
        got.0.as_deref(),
        Ok(API_V2),
        "Dave, whose share stands, reads API_KEY (web/prod at epoch {})",
        got.1
    );
}

/// Control for the test above: the offboarding alone re-wraps Dave's share
/// for epoch 2 and he reads API_KEY.
#[test]
fn resisted_an_offboarding_alone_keeps_a_share_reading() {
    let got = offboarding_racing_a_lowered_grant(false);
    assert_eq!(got.0.as_deref(), Ok(API_V2), "epoch {}", got.1);
}

fn offboarding_racing_a_lowered_grant(lower: bool) -> (Result<String, String>, i64) {
    let (fx, remote, bob, _carol) = team(folder_remote);
    let dave = add_dev_reader(&fx, &bob);
    let ann = Device::new(&fx, "Ann");
    add_member(
        &mut fx.open(),
        &ann.who,
        Role::Admin,
        &[(PROD, Access::Write)],
    );
    fx.open().sync().expect("ada publishes");
    ann.join(&remote).expect("Ann joins");
    bob.open()
        .share(PROD, "API_KEY", "Dave")
        .expect("Bob shares with Dave");
    bob.sync();
    fx.open().sync().expect("ada syncs");
    ann.sync();
    dave.join(&remote).expect("Dave joins");
    assert_eq!(
        read(&mut dave.open(), PROD, "API_KEY").as_deref(),
        Ok(API_V2)
    );
    ann.open()
        .offboard("Carol", &mut |_, _| {})
        .expect("Ann offboards Carol");
    std::thread::sleep(Duration::from_millis(5));
    if lower {
        fx.open()
            .grant("Bob", PROD, Access::Read)
            .expect("Bob to read");
    }
    ann.sync();
    fx.open().sync().expect("ada publishes");
    ann.sync();
    bob.sync();
    dave.sync();
    let epoch_now = epoch(&fx.db(), PROD);
    (read(&mut dave.open(), PROD, "API_KEY"), epoch_now)
}

// ----- kind 22 never gives -----------------------------------------------------------

/// A `share.resign` wrapping API_KEY's current key to `to`, signed by
/// `who`, published.
fn forge_resign(fx: &Fx, remote: &Remote, who: &PrivateIdentity, to: Id, hlc: Option<u64>) {
    let (vault_id, env_id, ep, ek) = held_env_key(&fx.path, who, PROD);
    let api = item_id_of(fx, PROD, "API_KEY");
    let ik_ct = ik_ct_of(&fx.path, &api);
    let ik = ek
        .open_item_key(&ik_ct, &item_ctx(vault_id, env_id, api, ep))
        .expect("key");
    let to_keys = member_keys(&fx.db(), &to);
    let body = OpBody::ResignShares {
        env_id,
        shares: vec![(
            share_record(who, &to_keys, &ik, &ik_ct, (vault_id, api, ep)),
            ItemKeyGeneration::of_sealed(&ik_ct).0,
        )],
    };
    forge(remote, vault_id, Id::make(), who, &body, hlc);
}

fn shares_of(p: &Path, who: &Id) -> i64 {
    member_rows(&Connection::open(p).expect("open"), "item_shares", who)
}

/// RESISTED: Mallory, a writer of web/prod, signs a `share.resign` of
/// API_KEY to Dave, who holds no share: nothing is given, on any replica.
#[test]
fn resisted_a_writers_resign_gives_no_share() {
    let (fx, remote, bob, _vault_id, mallory) = team_with_mallory(Role::Member, Access::Write);
    let dave = add_dev_only(&fx, "Dave");
    fx.open().sync().expect("ada publishes");
    bob.sync();
    forge_resign(&fx, &remote, &mallory, dave, None);
    fx.open().sync().expect("ada syncs");
    bob.sync();
    assert_eq!(
        (shares_of(&fx.path, &dave), shares_of(&bob.replica, &dave)),
        (0, 0)
    );
}

/// RESISTED: a `share.resign` dated before an unshare (Bob's kind 20 of
/// Dave) and one dated after it: neither brings the share back.
#[test]
fn resisted_a_resign_either_side_of_an_unshare_gives_nothing_back() {
    let (fx, remote, bob, _vault_id, mallory) = team_with_mallory(Role::Member, Access::Write);
    let dave = add_dev_only(&fx, "Dave");
    fx.open().share(PROD, "API_KEY", "Dave").expect("share");
    fx.open().sync().expect("ada publishes");
    bob.sync();
    let early = now_hlc();
    std::thread::sleep(Duration::from_millis(5));
    bob.open()
        .unshare(PROD, "API_KEY", "Dave")
        .expect("Bob unshares Dave");
    bob.sync();
    // Dated before the unshare (signed for the key before it) and after.
    forge_resign(&fx, &remote, &mallory, dave, Some(early));
    fx.open().sync().expect("ada syncs");
    forge_resign(&fx, &remote, &mallory, dave, None);
    fx.open().sync().expect("ada syncs");
    bob.sync();
    assert_eq!(
        (shares_of(&fx.path, &dave), shares_of(&bob.replica, &dave)),
        (0, 0)
    );
}

/// RESISTED: a reader cannot sign kind 22 at all (denied as a write).
#[test]
fn resisted_a_readers_resign_is_denied() {
    let (fx, remote, bob, _vault_id, mallory) = team_with_mallory(Role::Reader, Access::Read);
    let dave = add_dev_only(&fx, "Dave");
    fx.open().share(PROD, "API_KEY", "Dave").expect("share");
    fx.open().sync().expect("ada publishes");
    bob.sync();
    let before: Vec<u8> = fx
        .db()
        .query_row(
            "SELECT ct FROM item_shares WHERE member_id = ?1",
            [&dave.0[..]],
            |r| r.get(0),
        )
        .expect("share");
    forge_resign(&fx, &remote, &mallory, dave, None);
    fx.open().sync().expect("ada syncs");
    let after: Vec<u8> = fx
        .db()
        .query_row(
            "SELECT ct FROM item_shares WHERE member_id = ?1",
            [&dave.0[..]],
            |r| r.get(0),
        )
        .expect("share");
    assert_eq!(before, after, "a reader's re-sign replaced Dave's share");
}
