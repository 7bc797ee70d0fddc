//! Attack review 5 (today's changes, 328e832..5897eaa: unopenable values
//! in a private replica, the demotion cut's "only takes away" whitelist and
//! `check_wraps`, re-keys of leaked epochs and additive exposed-value
//! records, the session unlock cache, the feed fixes). Each test names the
//! attack and asserts the secure behaviour: the `attack_*` tests marked
//! FOUND fail on the code they were written against; the `resisted_*`
//! tests pass (attacks tried and defended). Helpers are copied from
//! `tests/sync_attacks4.rs`.
//!
//! Findings (each test fails on 5897eaa):
//! - G1 a writer's item re-key with an item key no key opens makes the
//!   credential vanish: lists, exports and runs leave it out silently
//! - G2 a demoted admin's back-dated `env.rekey` (whitelisted past the
//!   demotion's cut) rewrites an environment's values and key; the new
//!   key's wraps, signed by a non-admin, open for no one
//! - G2b the same with an `item.rekey`: a silent rollback of a value
//! - G2c the same with `exposed.values`: a value no one saw shows exposed
//! - G3 a member's copy of another member's op id, dated before it, knocks
//!   the genuine entry (an offboarding) out of every replica that replays,
//!   and leaves the owner's own device unable to open its replica
//!   (G3b: a removed member can do it as well)
//! - G4 a writer's `item.rekey` rewrites the value of a version another
//!   member wrote (no new version, the history still names its writer;
//!   older than today's changes)

mod common;

use std::path::Path;

use coffer_crypto::{EnvKey, Id, ItemKey, PrivateIdentity, WrapContext};
use coffer_vault::ops::{kind, OpBody, RekeyedItem, VersionRecord, WrapRecord};
use coffer_vault::sync::Remote;
use coffer_vault::{Access, Role};
use common::attack_fx::*;
use common::sync_fx::*;
use common::*;
use rusqlite::Connection;

/// `it` re-keyed: a new item key sealed under `new` (the environment key
/// and its epoch), every version re-sealed under it as it opens under
/// `old`; with `rollback`, the newest version carries the first one's
/// value.
fn rekey_one(
    (vault_id, env_id): (Id, Id),
    (old_ek, epoch): (&EnvKey, u64),
    (new_ek, next): (&EnvKey, u64),
    it: &StoredItem,
    rollback: bool,
) -> RekeyedItem {
    let old_ik = old_ek
        .open_item_key(&it.ik_ct, &item_ctx(vault_id, env_id, it.id, epoch))
        .expect("item key opens");
    let new_ik = ItemKey::make();
    let first = open_blob(&old_ik, vault_id, env_id, it.id, &it.versions[0]);
    let newest = it.versions.last().map(|v| v.version);
    let versions = it
        .versions
        .iter()
        .map(|v| {
            let pt = if rollback && Some(v.version) == newest {
                first.clone()
            } else {
                open_blob(&old_ik, vault_id, env_id, it.id, v)
            };
            VersionRecord {
                version: v.version,
                blob: seal_blob(&new_ik, vault_id, env_id, it.id, v.version, &v.meta, &pt),
                meta: v.meta,
            }
        })
        .collect();
    RekeyedItem {
        item_id: it.id,
        ik_ct: new_ek
            .seal_item_key(&new_ik, &item_ctx(vault_id, env_id, it.id, next))
            .expect("seal item key"),
        versions,
    }
}

/// The `item.rekey` of `item` a member holding `env_path`'s key can build
/// from the replica at `replica`: a new item key, its newest version
/// carrying its first version's value.
fn crafted_item_rollback(
    replica: &Path,
    who: &PrivateIdentity,
    env_path: &str,
    item: Id,
) -> OpBody {
    let (vault_id, env_id, epoch, ek) = held_env_key(replica, who, env_path);
    let it = stored_items(replica, &env_id)
        .into_iter()
        .find(|i| i.id == item)
        .expect("item");
    OpBody::RekeyItem {
        env_id,
        item: rekey_one((vault_id, env_id), (&ek, epoch), (&ek, epoch), &it, true),
        shares: vec![],
    }
}

/// The `env.rekey` a member holding `env_path`'s key can build from the
/// replica at `replica`: a new key of their own, wrapped (signed by them)
/// to every member who holds the current one, every item re-keyed; the
/// current version of `rollback` (if any) carries its first version's
/// value instead of its own. Also returns the new key.
fn crafted_rekey(
    replica: &Path,
    who: &PrivateIdentity,
    env_path: &str,
    rollback: Option<Id>,
    extra: Option<Id>,
) -> (OpBody, EnvKey) {
    let (vault_id, env_id, epoch, old_ek) = held_env_key(replica, who, env_path);
    let new_ek = EnvKey::make();
    let next = epoch + 1;
    let items = stored_items(replica, &env_id)
        .iter()
        .map(|it| {
            rekey_one(
                (vault_id, env_id),
                (&old_ek, epoch),
                (&new_ek, next),
                it,
                Some(it.id) == rollback,
            )
        })
        .collect();
    let c = Connection::open(replica).expect("open");
    let holders: Vec<Id> = rows(
        &c,
        &format!(
            "SELECT member_id FROM env_wraps WHERE env_id = X'{}' ORDER BY member_id",
            env_id.to_hex()
        ),
    )
    .iter()
    .map(|r| id_col(&r[0]))
    .chain(extra)
    .collect();
    let wraps = holders
        .iter()
        .map(|m| {
            let w = coffer_crypto::wrap::wrap(
                who,
                &member_keys(&c, m),
                &new_ek,
                &WrapContext {
                    vault_id,
                    object_id: env_id,
                    epoch: next,
                    recipient_id: *m,
                    sender_id: who.id(),
                },
            )
            .expect("wrap");
            WrapRecord {
                member_id: *m,
                sender_id: who.id(),
                epoch: next,
                epk: w.epk,
                ct: w.ct,
                sig: w.sig,
            }
        })
        .collect();
    (
        OpBody::RekeyEnv {
            env_id,
            epoch: next,
            wraps,
            items,
            shares: vec![],
        },
        new_ek,
    )
}

// ----- G1: a writer's item re-key makes a credential vanish ------------------

/// ATTACK (a writer of web/prod, own client; no admin power): publish an
/// `item.rekey` of API_KEY that names every version (the blobs as they
/// are) but carries an item key (`ik_ct`) no key opens. `mutate` cannot
/// check a sealed key, and since 2d0a0f5 `load_items` in a private replica
/// drops an item whose key does not open (`Err(_) if lenient => return
/// Ok(None)`: "nobody ever learns its name"). But this credential had a
/// name everyone knew: it now vanishes from every replica, silently. `list`
/// no longer shows it, `export` and `run` go through without it (the very
/// thing 2d0a0f5 promises never happens: "an export never leaves it out
/// silently"), `get`/`rotate` find no such credential; by reading the code,
/// an offboarding report names it only as "item <id>", its exposure tags
/// are skipped, and the offboarding's re-key carries its versions over
/// unopenable under the new item key (hidden for good).
/// SECURE: an item whose key stops opening after it was readable is
/// treated like an unopened version: it lists (named from what this
/// replica last read, or as unreadable), reads and exports of it fail
/// naming the writer of the key, and it can be mended or deleted.
/// Suggested fix: `load_items`' lenient `Ok(None)` only for an item whose
/// key never opened (created so); an item whose key was replaced by an
/// `item.rekey`/`env.rekey` that does not open should surface as
/// `unopened` (named from the newest version readable under a past key,
/// `item_keys_past`), or, better, a writer's `item.rekey` should be the
/// unshare it is for: only its author's shares change and its `ik_ct` is
/// checked by every holder who can open it (deny an op whose key does not
/// open for the deciding replica when it holds the environment key).
/// FOUND: see the assertions.
#[test]
fn attack_a_writers_item_rekey_with_a_junk_key_makes_a_credential_vanish() {
    let (fx, remote, bob, _carol) = team(folder_remote);
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
    let (vault_id, env_id, _, _) = held_env_key(&fx.path, &mallory, PROD);
    let api = fx.open().get_item(PROD, "API_KEY").expect("get").0.id;
    let it = stored_items(&fx.path, &env_id)
        .into_iter()
        .find(|i| i.id == api)
        .expect("API_KEY");
    // A writer's re-key keeps every version as sealed (a re-sealing one
    // is an owner's or admin's, G4): the junk goes in its key.
    let junk = vec![0x44; it.ik_ct.len()];
    let target = keeping_target(&fx, &bob, &api);
    forge_rekey_keeping(&remote, vault_id, &mallory, (env_id, api), junk, target);
    let r = bob.sync();
    fx.open().sync().expect("ada syncs");
    let mut v = fx.open();
    let listed = names(&mut v, PROD);
    let exported = export(&mut v, PROD);
    let mut b = bob.open();
    let bob_listed = names(&mut b, PROD);
    // Its name cannot be read any more (its key is junk, and with it the
    // earlier keys sealed under it): it no longer lists by name, on any device alike. What
    // must not happen is that it vanishes without a word: an export (and a
    // run) of the environment refuses, naming who wrote it.
    assert_eq!(listed, bob_listed, "Ada and Bob agree (Bob's sync: {r:?})");
    let e = exported
        .expect_err("an export of web/prod never leaves API_KEY out silently")
        .to_string();
    assert!(
        e.contains("open under no key")
            && e.contains("API_KEY")
            && e.contains("coffer audit")
            && e.contains("Mallory's re-key"),
        "the refusal names the credential and where to look: {e}"
    );
}

// ----- G2: a demoted admin's back-dated re-key ------------------------------

/// Mallory (whose key the test holds), an admin with write on web/prod,
/// demoted to reader by Ada; every device has seen the demotion.
fn team_with_demoted_mallory() -> (Fx, Remote, Device, Id, PrivateIdentity) {
    let (fx, remote, bob, _carol) = team(folder_remote);
    let vault_id = fx.open().id();
    let mallory = PrivateIdentity::make();
    add_keyed(
        &mut fx.open(),
        &mallory,
        "Mallory",
        Role::Admin,
        &[(PROD, Access::Write)],
    );
    fx.open().sync().expect("ada syncs");
    bob.sync();
    std::thread::sleep(std::time::Duration::from_millis(5));
    fx.open()
        .set_role("Mallory", Role::Reader)
        .expect("Ada demotes Mallory");
    fx.open().sync().expect("ada syncs");
    bob.sync();
    (fx, remote, bob, vault_id, mallory)
}

/// ATTACK (a demoted admin, own key, model d): after Ada demotes her to
/// reader (she keeps her wrap of web/prod, as a reader does), Mallory
/// signs an `env.rekey` of web/prod dated just before the demotion, on a
/// new device of hers. It is beyond the demotion's cut, but since 9dd8487
/// a cut does not deny what "only takes away", and a re-key is on that
/// list; `authorize` judges it where its date puts it, when she was an
/// admin; `check_wraps` only checks that the new key is wrapped to those
/// who held the old one (she is one of them, and made the key anyway).
/// Nothing checks what the re-key carries: every value of the environment
/// is whatever she sealed. Here the current version of API_KEY carries its
/// first, replaced value (a rotated credential rolled back). On top, the
/// new epoch's wraps are signed by a member who is now a reader:
/// `check_sender` refuses them, so nobody can open web/prod any more.
/// SECURE: what a demoted admin signs beyond the cut changes no value and
/// no key: Ada and Bob still read API_KEY's current value, and the current
/// epoch's key is not one Mallory made.
/// Suggested fix: take `RekeyEnv` and `RekeyItem` off
/// `OpBody::only_takes_away` (and `ExposedValues`, which is keyed by the
/// epoch's key): a `Revoke` beyond a demotion's cut still stands (F7), and
/// the re-key it lost is made again by `rekey_leaked_epochs` on an owner's
/// or admin's next sync (the revoked member's wrap is in the current
/// epoch). If a re-key must stand, it must be checkable: deny it unless
/// every version it carries opens, for a replica that holds the old key,
/// to the same plaintext as before.
/// FOUND: Ada and Bob can no longer open web/prod at all ("a key was
/// wrapped by <Mallory>, who may not grant it"): the environment is lost
/// to everyone (no owner can re-key what they cannot open), its values
/// rolled back underneath.
/// FOUND: see the assertions.
#[test]
fn attack_a_demoted_admins_backdated_rekey_rewrites_the_environment() {
    let (fx, remote, bob, vault_id, mallory) = team_with_demoted_mallory();
    let api = fx.open().get_item(PROD, "API_KEY").expect("get").0.id;
    let (body, _her_key) = crafted_rekey(&fx.path, &mallory, PROD, Some(api), None);
    let demoted_at = hlc_of(&fx.path, kind::SET_ROLE_CUT);
    forge(
        &remote,
        vault_id,
        Id::make(),
        &mallory,
        &body,
        Some(demoted_at - 1),
    );
    let r = bob.sync();
    fx.open().sync().expect("ada syncs");
    bob.sync();
    for (who, mut v) in [("Ada", fx.open()), ("Bob", bob.open())] {
        let got = v
            .get_item(PROD, "API_KEY")
            .map(|(_, s)| s.expose_secret().to_string());
        assert_eq!(
            got.as_deref().map_err(|e| e.to_string()),
            Ok(API_V2),
            "{who} reads API_KEY after demoted Mallory's back-dated re-key (Bob's sync: {r:?})"
        );
    }
    assert_converged(&[&fx.path, &bob.replica]);
}

// ----- G3: a copied op id knocks an applied entry out ------------------------

/// The op id and clock of the newest op of `kind` in a replica's log.
fn op_of(replica: &Path, k: u8) -> (Id, u64) {
    let c = Connection::open(replica).expect("open");
    c.query_row(
        "SELECT op_id, hlc FROM ops WHERE kind = ?1 ORDER BY seq DESC LIMIT 1",
        [k],
        |r| Ok((r.get::<_, Vec<u8>>(0)?, r.get::<_, i64>(1)?)),
    )
    .map(|(id, hlc)| (Id::from_slice(&id).expect("id"), hlc as u64))
    .expect("op")
}

/// ATTACK (any member, even a reader, own key; or anyone a member's key
/// signs for): Ada offboards Carol; Bob's device applies it. Mallory then
/// signs, on a new device, an entry of her own (a `read`, anything) that
/// reuses the op id of Ada's `member.revoke` (op ids are in the folder for
/// all to read), dated just before it. Since c7c3082 op ids are checked
/// after the signature, against the log: the copy sorts first, so it is
/// taken in first (its signature is Mallory's, and good) and holds the op
/// id; the genuine revocation, reached next, "repeats the op id of an
/// entry Mallory signed": `Verdict::Wait`, and Ada's feed stops there.
/// Bob's device replays its log (an entry dated before applied ones), so
/// the revocation and everything Ada wrote after it leave his replica; at
/// every later sync the same happens again. Any member can take any op of
/// anyone out of every replica that has not yet seen it or that replays
/// (a join always does): here an offboarding is undone on Bob's device,
/// and his replica no longer agrees with Ada's.
/// SECURE: a copy of an op id cannot displace the entry that first had
/// it: the revocation stays applied everywhere, Carol stays revoked, the
/// replicas converge, and only Mallory's copy is held or denied.
/// Suggested fix: an op id must not be a claim another author can
/// make: derive it from what the entry's author signs (e.g. the op id is
/// the hash of (author, device, seq, body) or the check is keyed by
/// (author id, op id), so two authors' equal ids never meet), and never
/// let a later-read entry stop a feed whose entry is already applied (or
/// is this device's own): the copy is the one denied.
/// FOUND: Ada's own device drops her revocation in the replay and then
/// refuses to open its replica ("this device wrote entry #N, which is
/// missing: the vault file was rolled back"); Bob's device loses the
/// revocation (Carol active again).
/// FOUND: see the assertions.
#[test]
fn attack_a_copied_op_id_knocks_an_offboarding_out_of_a_replica() {
    copied_op_id_attack(false);
}

/// ATTACK: the same by a member already offboarded (her key is pinned in
/// every replica, and `take_in` checks op ids before the revocation's
/// cut: her denied copy, kept without its body, still holds the op id).
/// SECURE: as above; what a removed member signs holds nothing.
/// FOUND: as above.
#[test]
fn attack_a_removed_members_copied_op_id_knocks_an_offboarding_out() {
    copied_op_id_attack(true);
}

fn copied_op_id_attack(removed: bool) {
    let (fx, remote, bob, vault_id, mallory) = team_with_mallory(Role::Reader, Access::Read);
    if removed {
        offboard_and_publish(&fx, "Mallory");
        bob.sync();
    }
    std::thread::sleep(std::time::Duration::from_millis(5));
    offboard_and_publish(&fx, "Carol");
    bob.sync();
    assert!(
        bob.open().member("Carol").expect("Carol").status != "active",
        "Bob's device applied the offboarding"
    );
    let (revoke_id, revoke_hlc) = op_of(&fx.path, kind::REVOKE_CUT);
    let env_id = fx.open().env(PROD).expect("env").id;
    let e = build_next(
        &remote,
        vault_id,
        Id::make(),
        &mallory,
        &reveal(env_id),
        Some(revoke_hlc - 1),
        Some(revoke_id),
    );
    write_entry(&remote, &e);
    let r = bob.sync();
    fx.open().sync().expect("ada syncs");
    let r2 = bob.sync();
    let mut problems = Vec::new();
    let bob_carol = bob.open().member("Carol").expect("Carol").status;
    if bob_carol == "active" {
        problems.push(format!(
            "Bob: Carol is active again (Bob's syncs: {r:?} / {r2:?})"
        ));
    }
    match Person::owner(&fx).try_open(&fx.path) {
        Err(e) => problems.push(format!("Ada's device no longer opens its replica: {e}")),
        Ok(v) => {
            if v.member("Carol").expect("Carol").status == "active" {
                problems.push("Ada: Carol is active again".into());
            }
        }
    }
    assert!(
        problems.is_empty(),
        "after Mallory copied the revocation's op id: {problems:#?}"
    );
    assert_converged(&[&fx.path, &bob.replica]);
}

/// ATTACK (any member, own key): the same author signs two entries with
/// one op id, in two syncs and on two devices of her own (a replay of her
/// own op, which F3 of attack review 1 caught within one batch). Since G3
/// op ids are unique per author, not across the log: the check must still
/// catch a second use by the same author, against the log.
/// SECURE: the second entry's feed is quarantined as a replay, nothing of
/// it is applied, the replicas converge.
#[test]
fn resisted_an_authors_second_use_of_her_op_id_is_a_replay() {
    let (fx, remote, bob, vault_id, mallory) = team_with_mallory(Role::Reader, Access::Read);
    let env_id = fx.open().env(PROD).expect("env").id;
    let read = reveal(env_id);
    let op = Id::make();
    let first = build_next(
        &remote,
        vault_id,
        Id::make(),
        &mallory,
        &read,
        None,
        Some(op),
    );
    write_entry(&remote, &first);
    let r = bob.sync();
    assert_eq!(r.applied, 1, "Mallory's first entry applies: {r:?}");
    let second_dev = Id::make();
    let second = build_next(
        &remote,
        vault_id,
        second_dev,
        &mallory,
        &read,
        None,
        Some(op),
    );
    write_entry(&remote, &second);
    let r = bob.sync();
    assert_eq!(r.received, 0, "{r:?}");
    assert!(
        r.quarantined
            .iter()
            .any(|q| q.contains(&second_dev.short()) && q.contains("replayed")),
        "the second use of Mallory's op id quarantines its feed: {r:?}"
    );
    fx.open().sync().expect("ada syncs");
    bob.sync();
    assert_converged(&[&fx.path, &bob.replica]);
}

/// ATTACK (a demoted admin, own key): as above, with an `item.rekey` of
/// API_KEY (no environment wraps, so no `check_sender` to trip): a new
/// item key sealed under the current environment key (which a reader
/// holds), every version re-sealed, the current one carrying API_KEY's
/// first, replaced value. `rekey_item_rows` checks only that every
/// version is named with its rotation fields unchanged; `authorize` sees
/// an admin at the date she chose; the cut lets a re-key stand.
/// SECURE: a reader's (or a demoted admin's beyond the cut) re-key changes
/// no value: API_KEY still reads its current value everywhere.
/// Suggested fix: as above (`RekeyItem` off `only_takes_away`); and a
/// re-key that changes a value is a write whatever its kind: an owner's or
/// admin's device that can open both can deny it (a plaintext that
/// differs), but replicas that cannot must not take it on trust.
/// FOUND: every replica's API_KEY reads the rolled-back value.
#[test]
fn attack_a_demoted_admins_backdated_item_rekey_rolls_back_a_value() {
    let (fx, remote, bob, vault_id, mallory) = team_with_demoted_mallory();
    let api = fx.open().get_item(PROD, "API_KEY").expect("get").0.id;
    let body = crafted_item_rollback(&fx.path, &mallory, PROD, api);
    let demoted_at = hlc_of(&fx.path, kind::SET_ROLE_CUT);
    forge(
        &remote,
        vault_id,
        Id::make(),
        &mallory,
        &body,
        Some(demoted_at - 1),
    );
    let r = bob.sync();
    fx.open().sync().expect("ada syncs");
    bob.sync();
    for (who, mut v) in [("Ada", fx.open()), ("Bob", bob.open())] {
        let got = v
            .get_item(PROD, "API_KEY")
            .map(|(_, s)| s.expose_secret().to_string());
        assert_eq!(
            got.as_deref().map_err(|e| e.to_string()),
            Ok(API_V2),
            "{who} reads API_KEY after demoted Mallory's back-dated item re-key (Bob's sync: {r:?})"
        );
    }
    assert_converged(&[&fx.path, &bob.replica]);
}

/// ATTACK (a demoted admin, own key): a back-dated `exposed.values` for
/// web/prod's current epoch (she holds its key as a reader) tagging
/// API_KEY's current value, which no offboarded member ever read. The cut
/// lets it stand (it "only records"), `authorize` sees an admin, and since
/// f3c2682 the tags add to the epoch's set: API_KEY's current value now
/// shows as exposed on every replica, and it stays so for the epoch.
/// SECURE: beyond a demotion's cut, a demoted admin records no exposure:
/// API_KEY's current value is not exposed.
/// Suggested fix: `ExposedValues` off `only_takes_away` (an offboarding's
/// own batch, beyond the cut, loses its tags, but its `Revoke` stands and
/// the owner's device re-keys and re-tags through `rekey_leaked_epochs`
/// and the exposure report, which derives what was readable from the log).
/// FOUND: API_KEY shows as exposed on every replica.
#[test]
fn attack_a_demoted_admins_backdated_exposure_record_marks_a_value_exposed() {
    let (fx, remote, bob, vault_id, mallory) = team_with_demoted_mallory();
    let (_, env_id, epoch, ek) = held_env_key(&fx.path, &mallory, PROD);
    let api = fx.open().get_item(PROD, "API_KEY").expect("get").0.id;
    let tag = ek.value_tag(
        &coffer_crypto::ValueTagContext {
            vault_id,
            env_id,
            epoch,
            item_id: api,
        },
        API_V2.as_bytes(),
    );
    let demoted_at = hlc_of(&fx.path, kind::SET_ROLE_CUT);
    forge(
        &remote,
        vault_id,
        Id::make(),
        &mallory,
        &OpBody::ExposedValues {
            env_id,
            epoch,
            values: vec![coffer_vault::ops::ExposedValue {
                item_id: api,
                tag: tag.to_bytes(),
                since: ((demoted_at >> 16) / 1000) as i64 - 1,
            }],
        },
        Some(demoted_at - 1),
    );
    let r = bob.sync();
    fx.open().sync().expect("ada syncs");
    for (who, mut v) in [("Ada", fx.open()), ("Bob", bob.open())] {
        let s = v
            .list_items(Some(PROD), 30)
            .expect("lists")
            .into_iter()
            .find(|s| s.name == "API_KEY")
            .expect("API_KEY");
        assert_eq!(
            s.exposed_at, None,
            "{who}: API_KEY's current value shows as exposed (Bob's sync: {r:?})"
        );
    }
}

// ----- G4: a writer's re-key rewrites another member's version ---------------

/// ATTACK (a writer of web/prod, own client; no admin power, never
/// demoted): publish an `item.rekey` of API_KEY (what an unshare sends)
/// that re-seals every version under a new item key, the current one
/// (version 2, written and rotated by Ada) carrying version 1's value, the
/// one Ada rotated away from. `rekey_item_rows` checks that every version
/// is named and its rotation fields unchanged, never what it says: no new
/// version appears, the history still says Ada wrote version 2 (and when
/// she rotated it), and every replica now hands out the old value. A
/// writer may set a value, but as a new version signed by them; here she
/// rewrites a teammate's version, so that a rotated credential silently
/// reverts to the value that was exposed, "rotated" all the same.
/// SECURE: a re-key never changes what a version says: API_KEY still
/// reads Ada's version 2 value (or the re-key is denied).
/// Suggested fix: a replica that holds the environment key checks an
/// `item.rekey`'s versions against the ones they replace (each opens to
/// the same plaintext) and denies it otherwise; to keep replicas that do
/// not hold the key in agreement, the op can carry, per version, a
/// commitment that every holder can check and that `mutate` compares
/// with the one stored when the version was written (e.g. a keyed hash
/// of the plaintext under the item key, kept in `item_versions`), or an
/// `item.rekey` may only be written by the owner/admin side (an unshare
/// by a writer could instead ask for one).
/// FOUND: every replica reads version 1's value as API_KEY's current one.
#[test]
fn attack_a_writers_item_rekey_rewrites_a_teammates_version() {
    let (fx, remote, bob, vault_id, mallory) = team_with_mallory(Role::Member, Access::Write);
    let api = fx.open().get_item(PROD, "API_KEY").expect("get").0.id;
    let body = crafted_item_rollback(&fx.path, &mallory, PROD, api);
    forge(&remote, vault_id, Id::make(), &mallory, &body, None);
    let r = bob.sync();
    fx.open().sync().expect("ada syncs");
    for (who, mut v) in [("Ada", fx.open()), ("Bob", bob.open())] {
        let got = v
            .get_item(PROD, "API_KEY")
            .map(|(_, s)| s.expose_secret().to_string());
        assert_eq!(
            got.as_deref().map_err(|e| e.to_string()),
            Ok(API_V2),
            "{who} reads API_KEY after Mallory's item re-key (Bob's sync: {r:?})"
        );
    }
    assert_converged(&[&fx.path, &bob.replica]);
}

/// ATTACK (a writer of web/prod, own client): the re-key a writer may
/// send keeps every version as sealed (the fix for G4), so try the one
/// thing it carries besides a key: publish an `item.rekey` of API_KEY
/// with a genuine new item key and junk where the earlier keys go, so
/// that the current version (Ada's, sealed under the replaced key) opens
/// under nothing anyone is given.
/// SECURE: every holder of web/prod still reads Ada's value (the replaced
/// key is remembered as the re-key is applied, and any key that opens a
/// version gives what its writer sealed); a share's recipient, who holds
/// no such key, gets a refusal naming Mallory's re-key, never a value of
/// Mallory's choosing; the next unshare carries the recovered keys on.
#[test]
fn resisted_a_writers_rekey_with_junk_earlier_keys_forges_nothing() {
    let (fx, remote, bob, vault_id, mallory) = team_with_mallory(Role::Member, Access::Write);
    let dave = add_dev_reader(&fx, &bob);
    fx.open()
        .share(PROD, "API_KEY", "Dave")
        .expect("share to Dave");
    fx.open().sync().expect("ada publishes");
    dave.join(&remote).expect("Dave joins");
    let (_, env_id, epoch, ek) = held_env_key(&fx.path, &mallory, PROD);
    let api = fx.open().get_item(PROD, "API_KEY").expect("get").0.id;
    let ik_ct = ek
        .seal_item_key(
            &coffer_crypto::ItemKey::make(),
            &item_ctx(vault_id, env_id, api, epoch),
        )
        .expect("seal");
    let target = keeping_target(&fx, &bob, &api);
    forge_rekey_keeping(&remote, vault_id, &mallory, (env_id, api), ik_ct, target);
    let r = bob.sync();
    fx.open().sync().expect("ada syncs");
    dave.sync();
    for (who, mut v) in [("Ada", fx.open()), ("Bob", bob.open())] {
        let got = v
            .get_item(PROD, "API_KEY")
            .map(|(_, s)| s.expose_secret().to_string())
            .map_err(|e| e.to_string());
        assert_eq!(got.as_deref(), Ok(API_V2), "{who} (Bob's sync: {r:?})");
        assert!(export(&mut v, PROD).is_ok(), "{who}: web/prod exports");
    }
    // Mallory's re-key dropped Dave's share (a writer may unshare): he
    // reads nothing of API_KEY, and nothing of Mallory's making.
    assert!(dave.open().get_item(PROD, "API_KEY").is_err());
    assert_converged(&[&fx.path, &bob.replica]);
    // Bob, a writer, shares API_KEY with Dave again and unshares it: the
    // re-key his device makes carries the recovered keys on, so the junk
    // is gone from every replica.
    {
        let mut b = bob.open();
        b.share(PROD, "API_KEY", "Dave").expect("Bob shares");
        b.unshare(PROD, "API_KEY", "Dave").expect("Bob unshares");
        b.sync().expect("bob publishes");
    }
    fx.open().sync().expect("ada syncs");
    for (who, mut v) in [("Ada", fx.open()), ("Bob", bob.open())] {
        let h = v.history(PROD, "API_KEY", true).expect("history");
        assert!(
            h.iter().all(|e| e.value.is_some()),
            "{who}: every version opens again"
        );
        assert_value(&mut v, PROD, "API_KEY", API_V2);
    }
    assert_converged(&[&fx.path, &bob.replica]);
}

/// Publishes, as `who`, a writer's unshare of `item` from `member_id`
/// (naming the key it `replaces`; other shares dropped) with `ik_ct` for
/// its key and junk where its earlier keys go.
fn forge_rekey_keeping(
    remote: &Remote,
    vault_id: Id,
    who: &PrivateIdentity,
    (env_id, item): (Id, Id),
    ik_ct: Vec<u8>,
    (member_id, replaces): (Id, [u8; 32]),
) {
    let body = OpBody::RekeyItemKeeping {
        env_id,
        item_id: item,
        member_id,
        replaces,
        ik_ct,
        earlier: vec![0x55; 72], // one key's length: a longer list is refused (attack review 8, G2)
        shares: vec![],
    };
    forge(remote, vault_id, Id::make(), who, &body, None);
}

// ----- resisted ---------------------------------------------------------------

/// ATTACK (a demoted admin, own key): a `member.revoke` of the owner,
/// dated before the demotion (a revocation is on the cut's "only takes
/// away" list, so the cut lets it through to `authorize`).
/// SECURE (holds): `authorize` refuses an admin's revocation of an owner
/// (and of the last owner): Ada stays the owner everywhere.
#[test]
fn resisted_a_demoted_admins_backdated_revocation_of_the_owner() {
    let (fx, remote, bob, vault_id, mallory) = team_with_demoted_mallory();
    let ada = Person::owner(&fx).id;
    let demoted_at = hlc_of(&fx.path, kind::SET_ROLE_CUT);
    forge(
        &remote,
        vault_id,
        Id::make(),
        &mallory,
        &OpBody::Revoke {
            member_id: ada,
            exposed: vec![],
            cut: Some(vec![]),
        },
        Some(demoted_at - 1),
    );
    let r = bob.sync();
    assert_eq!(r.denied.len(), 1, "{r:?}");
    fx.open().sync().expect("ada syncs");
    for (who, mut v) in [("Ada", fx.open()), ("Bob", bob.open())] {
        let m = v.member("Ada").expect("Ada");
        assert_eq!(
            (m.role, m.status.as_str()),
            (Role::Owner, "active"),
            "{who}"
        );
        assert_value(&mut v, PROD, "API_KEY", API_V2);
    }
    assert_converged(&[&fx.path, &bob.replica]);
}

/// ATTACK (a demoted admin, own key): a back-dated `env.rekey` of
/// web/prod that also wraps the new key to Dave, a member who never held
/// web/prod (a re-key passing the cut to give access).
/// SECURE (holds): `check_wraps` refuses a re-key wrapping to anyone who
/// does not hold the key it replaces: denied everywhere, Dave gets no key,
/// web/prod still reads.
#[test]
fn resisted_a_demoted_admins_backdated_rekey_cannot_hand_out_a_key() {
    let (fx, remote, bob, vault_id, mallory) = team_with_demoted_mallory();
    let _dave = add_dev_reader(&fx, &bob);
    let dave_id = fx.open().member("Dave").expect("Dave").id;
    let (body, _) = crafted_rekey(&fx.path, &mallory, PROD, None, Some(dave_id));
    let demoted_at = hlc_of(&fx.path, kind::SET_ROLE_CUT);
    forge(
        &remote,
        vault_id,
        Id::make(),
        &mallory,
        &body,
        Some(demoted_at - 1),
    );
    let r = bob.sync();
    assert_eq!(r.denied.len(), 1, "{r:?}");
    fx.open().sync().expect("ada syncs");
    for (who, mut v) in [("Ada", fx.open()), ("Bob", bob.open())] {
        assert_value(&mut v, PROD, "API_KEY", API_V2);
        let c = Connection::open(if who == "Ada" { &fx.path } else { &bob.replica }).expect("open");
        assert_eq!(
            member_rows(&c, "env_wraps", &dave_id),
            1,
            "{who}: Dave holds only web/dev's key"
        );
    }
    assert_converged(&[&fx.path, &bob.replica]);
}

/// ATTACK (someone who can write another identity's `COFFER_HOME`, the
/// same user in the same login session): plant Bob's `session.slot` in
/// Ada's home while both have a live session, so that Ada's commands open
/// Bob's identity (or the reverse).
/// SECURE (holds): a session slot is sealed under its own identity's
/// kernel key and bound to that identity's id: Ada's store opens Ada or
/// nothing, never Bob. Skipped where there is no kernel session keyring.
#[test]
fn resisted_a_planted_session_slot_opens_no_other_identity() {
    let fx = Fx::new();
    let ada = Person::create(&fx.dir.path().join("s-ada"), "Ada");
    let bob = Person::create(&fx.dir.path().join("s-bob"), "Bob");
    let stores = [
        coffer_vault::IdentityStore::load(&ada.home).expect("ada"),
        coffer_vault::IdentityStore::load(&bob.home).expect("bob"),
    ];
    let live = stores[0].start_session(&ada.unlock()) && stores[1].start_session(&bob.unlock());
    if live {
        let slot = coffer_vault::SESSION_FILE;
        std::fs::copy(bob.home.join(slot), ada.home.join(slot)).expect("plant");
        let got = stores[0].unlock_from_session().map(|u| u.id());
        assert!(
            got.is_none_or(|id| id == ada.id),
            "Ada's store opened {got:?} (Bob is {})",
            bob.id
        );
        let got = stores[1].unlock_from_session().map(|u| u.id());
        assert_eq!(got, Some(bob.id), "Bob's own session still opens Bob");
    } else {
        eprintln!("no kernel session keyring here: nothing to plant");
    }
    for s in &stores {
        s.end_session().expect("end session");
    }
}
