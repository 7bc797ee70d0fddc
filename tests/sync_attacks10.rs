//! Attack review 10 (commit f91230d): review 9's K2/K2b fix (the owner's
//! repair re-signs an orphaned share only if someone who may vouch has
//! vouched for it since it was last given, `shares_vouched_for`), K4
//! (`ItemKeys::open_known`), environment rename/remove/restore (kinds
//! 23-25), the desktop app's live refresh (`Vault::catch_up`) and names
//! that arrive from other devices. `attack_*` tests assert the secure
//! property and are ignored while the attack works; `resisted_*` tests
//! pass (attacks tried and defended).
//!
//! Findings (each `attack_*` test failed on f91230d):
//! - L1 (medium-high) K2 was still open through any honest re-key or
//!   re-sign: a writer lowered to read back-dates a `share.item` of
//!   API_KEY to Zed before the lowering (a lowered grant has no feed cut);
//!   it applies everywhere. Review 9's fix kept the owner's *repair* from
//!   re-signing it, but every other path that carries shares on did not
//!   ask whether the share's sender may vouch for it: the next re-key of
//!   the environment (Ada offboarding anyone who reads web/prod:
//!   `rekey::share_holders`), a teammate's ordinary unshare of someone
//!   else (`item.rekey.keep` re-wraps the item's other shares), or Ada's
//!   later demotion of Mallory to reader (`Vault::reshares`) signed Zed's
//!   share in the honest author's name, and Zed read API_KEY and every
//!   later value. FIXED here: one rule for all of them and the repair,
//!   `Vault::share_carries_on`: a share is carried on only if its sender
//!   may vouch for it now, or someone who may has vouched for it since it
//!   was last given (review 9's `shares_vouched_for`); any other share
//!   ends at the next re-key. Tests
//!   `attack_a_lowered_writers_backdated_share_is_made_good_by_the_next_offboarding`,
//!   `…_by_a_teammates_unshare`, `…_by_her_demotion`; the honest orphan of
//!   review 8's G3 race still carries on
//!   (`resisted_an_honest_orphan_survives_the_next_offboarding`). The root
//!   cause stays: a lowered grant carries no feed cut (review 9 named it;
//!   it needs a new grant op kind), so the back-dated give still *applies*
//!   (it opens for no one, and ends at the next re-key).
//! - L2 (medium) the live refresh believed an older sealed copy: a local
//!   process that can write the replica file (what the seal exists to
//!   catch) copies an older copy's rows back over it while the app is
//!   open. `catch_up` checked the seal's MAC, which an older copy passes,
//!   but not the generation this device recorded, nor its head, nor the
//!   schema's objects, all of which `open` checks: the app showed the old
//!   value (a rotation undone; an offboarded member active) and kept
//!   writing over it, while the CLI refused the same file. FIXED here:
//!   `catch_up` makes the checks `open` makes, and a handle whose file
//!   failed them writes nothing more (`apply_batch`, sync). Test
//!   `attack_the_live_refresh_believes_an_older_sealed_copy`.
//! - L3 (medium) likewise a trigger planted while the app is open passed
//!   `catch_up` (the seal covers rows, not schema objects); the app's next
//!   write fired it and the seal vouched for what it did (here: Carol made
//!   owner). FIXED with L2. Test `attack_the_live_refresh_keeps_a_planted_trigger`.
//! - L4 (medium) a writer's own client names a credential anything: item
//!   names live in the blob and were never checked when read
//!   (`ItemFields::decode`), only when typed (`validate_key`). A name with
//!   a newline and ANSI escapes made `coffer audit` (and `ls`, `history`)
//!   print a line that is not there ("Ada … offboarded Mallory: 0
//!   credentials exposed") and hide text. FIXED here: a decoded name that
//!   is not a variable name is malformed content; the version does not
//!   open, like any blob a writer's client sealed badly (named by its id,
//!   the rest of the environment reads as before). Test
//!   `attack_a_writers_item_name_forges_audit_lines`.
//! - L5 (low, admins only) `env.add` and `member.add` take names unchecked
//!   where they apply (`env.rename` checks them): an admin's own client
//!   adds an environment named `prod\x1b[8m` (or `prod/<id hex>`, which
//!   makes that environment's later removal fail on its row name), or a
//!   member whose name holds a bidi override (U+202E is not
//!   `char::is_control`, so even the honest client accepts it). FIXED in
//!   attack review 11 (a plain rule at apply, no cut-over:
//!   tests/sync_attacks11.rs). Review 10 suggested: check `valid_name_part` at apply for
//!   `env.add` dated from a cut-over date on (older entries replay as
//!   they were, as kind 3 did), and refuse format characters (Cf: bidi
//!   overrides, zero-width) in member names on input and at apply. Test
//!   `attack_an_admins_environment_name_with_escapes_is_applied`.
//!
//! Resisted: a demoted admin's back-dated rename and removal are denied by
//! the demotion's cut on every replica; a writer's rename, removal and
//! restore are denied everywhere and replicas converge; a restore after
//! an offboarding gives the revoked member nothing (the removed
//! environment was re-keyed while removed, and a writer's share to her
//! after the restore is denied); two admins' concurrent rename and
//! removal, then a restore, converge.
//!
//! Checked and left alone: `shares_vouched_for` counts a listed share as
//! vouched even when the listing op left it out (a re-sign of an older
//! key generation, by design for G3), so a lowered writer who dates her
//! give between an honest unshare and a concurrent honest re-sign that
//! still lists the share could have it repaired; it needs that honest
//! race at the right moment (not tested). K4's `open_known` is used only
//! when every `item_keys_past` key opened for this device
//! (`past.len() == past_key_count`): a member granted after a re-key (who
//! never held the earlier epochs) or a replica migrated from schema 4 (no
//! back-fill, review 9's note) falls back to the writer-sealed rows, so
//! two honest devices may take an earlier key's bound from different
//! sources; whether a writer can make them disagree on a value is not
//! tested here (a next review's first target). The
//! desktop shell prints a failed `catch_up` once and keeps showing the
//! file (the vault now refuses its writes); locking the window on it
//! would be better UX (`src-tauri/src/vaultwatch.rs`).
#![allow(dead_code, unused_imports)]

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use coffer_crypto::{
    EarlierKeysContext, EnvKey, Id, ItemKey, ItemKeyGeneration, PrivateIdentity, WrapContext,
};
use coffer_vault::ops::{kind, OpBody, RotationMeta, SealedUnder, WrapRecord};
use coffer_vault::sync::Remote;
use coffer_vault::{Access, ErrorKind, Role, Vault};
use common::attack_fx::*;
use common::sync_fx::*;
use common::*;
use rusqlite::Connection;

// ----- helpers ---------------------------------------------------------------------

/// Mallory (write on web/prod) is lowered to read by Ada; Mallory then
/// signs a `share.item` of API_KEY to Zed dated just before the lowering.
/// Ada and Bob sync. Returns (fx, remote, bob, carol, zed, api).
fn lowered_writers_backdated_share() -> (Fx, Remote, Device, Device, Device, Id) {
    let (fx, remote, bob, carol) = team(folder_remote);
    let vault_id = fx.open().id();
    let mallory = PrivateIdentity::make();
    add_keyed(
        &mut fx.open(),
        &mallory,
        "Mallory",
        Role::Member,
        &[(PROD, Access::Write)],
    );
    fx.open().sync().expect("ada publishes");
    bob.sync();
    carol.sync();
    let zed = dev_reader_device(&fx, &bob, &remote, "Zed");
    fx.open()
        .grant("Mallory", PROD, Access::Read)
        .expect("Mallory to read");
    fx.open().sync().expect("ada publishes");
    let lowered_at = hlc_of(&fx.path, kind::GRANT_CUT);
    let (_, env_id, ep, ek) = held_env_key(&fx.path, &mallory, PROD);
    let api = item_id_of(&fx, PROD, "API_KEY");
    let ik_ct = ik_ct_of(&fx.path, &api);
    let ik = ek
        .open_item_key(&ik_ct, &item_ctx(vault_id, env_id, api, ep))
        .expect("key");
    let to = member_keys(&fx.db(), &zed.who.id);
    let body = OpBody::ShareItem {
        env_id,
        share: share_record(&mallory, &to, &ik, &ik_ct, (vault_id, api, ep)),
    };
    publish(
        &remote,
        vault_id,
        Id::make(),
        &mallory,
        &body,
        Some(lowered_at - 1),
    );
    let r = fx.open().sync().expect("ada syncs");
    assert!(
        r.denied
            .iter()
            .any(|d| d.author == "Mallory" && d.reason.contains("lowered or removed")),
        "since attack review 12 (N1) the back-dated give is denied by the lowering's cut: {r:?}"
    );
    assert_eq!(r.resigned, 0, "review 9's fix holds: no repair");
    bob.sync();
    carol.sync();
    zed.sync();
    assert!(
        read(&mut zed.open(), PROD, "API_KEY").is_err(),
        "signed by Mallory alone, Zed's share does not open"
    );
    (fx, remote, bob, carol, zed, api)
}

// ----- L1: K2 through an honest re-key -----------------------------------------------

/// Asserts that Zed cannot read API_KEY and that his share is not signed
/// by `laundered_by` (who carried Mallory's share on, `how`).
#[track_caller]
fn assert_zed_reads_nothing(fx: &Fx, zed: &Device, api: &Id, laundered_by: Id, how: &str) {
    zed.sync();
    let sender = share_sender(&fx.path, api, &zed.who.id);
    let got = read(&mut zed.open(), PROD, "API_KEY");
    assert!(
        got.is_err() && sender != Some(laundered_by),
        "Zed reads API_KEY ({got:?}): {how} signed Mallory's share again \
         (sender now {sender:?}, {laundered_by:?} carried it on)"
    );
}

/// ATTACK (a writer lowered to read, own client): Mallory's back-dated
/// share to Zed stands, signed by her, and does not open. Ada then
/// offboards Carol, who reads web/prod: the offboarding's re-key of
/// web/prod re-wraps every standing share (`share_holders`), Zed's
/// included, in Ada's name.
/// SECURE: Zed cannot read API_KEY after the offboarding.
#[test]
fn attack_a_lowered_writers_backdated_share_is_made_good_by_the_next_offboarding() {
    let (fx, _remote, bob, _carol, zed, api) = lowered_writers_backdated_share();
    offboard_and_publish(&fx, "Carol");
    bob.sync();
    let ada = member_id(&fx.path, "Ada");
    assert_zed_reads_nothing(&fx, &zed, &api, ada, "the offboarding's re-key");
}

/// ATTACK (the same, through a teammate): Ada shared API_KEY with Dave;
/// Bob, an honest writer, later stops sharing it with Dave. Bob's unshare
/// (`item.rekey.keep`) re-wraps the item's other shares to its new key in
/// his name (`rewrap_shares`), Zed's included.
/// SECURE: Zed cannot read API_KEY after Bob's unshare.
#[test]
fn attack_a_lowered_writers_backdated_share_is_made_good_by_a_teammates_unshare() {
    let (fx, remote, bob, _carol, zed, api) = lowered_writers_backdated_share();
    let _dave = dev_reader_device(&fx, &bob, &remote, "Dave");
    fx.open().share(PROD, "API_KEY", "Dave").expect("share");
    fx.open().sync().expect("ada publishes");
    bob.sync();
    bob.open()
        .unshare(PROD, "API_KEY", "Dave")
        .expect("Bob stops sharing with Dave");
    bob.sync();
    fx.open().sync().expect("ada syncs");
    assert_zed_reads_nothing(&fx, &zed, &api, bob.who.id, "Bob's unshare");
}

/// ATTACK (the same, through her demotion): Ada, having lowered Mallory
/// to read, later makes her a reader. The demotion re-signs the shares
/// Mallory made where she no longer writes (`Vault::reshares`), the
/// back-dated one to Zed included, in Ada's name.
/// SECURE: Zed cannot read API_KEY after the demotion.
#[test]
fn attack_a_lowered_writers_backdated_share_is_made_good_by_her_demotion() {
    let (fx, _remote, bob, _carol, zed, api) = lowered_writers_backdated_share();
    fx.open()
        .set_role("Mallory", Role::Reader)
        .expect("demote Mallory");
    fx.open().sync().expect("ada publishes");
    bob.sync();
    let ada = member_id(&fx.path, "Ada");
    assert_zed_reads_nothing(&fx, &zed, &api, ada, "the demotion");
}

/// RESISTED (review 8's G3 race, then an offboarding): the share the
/// repair is meant to keep (Dave's, re-wrapped by Bob's racing unshare
/// while Ada lowered Bob) is still re-wrapped by a re-key: L1's fix leaves
/// out only shares nobody who may vouch has vouched for.
#[test]
fn resisted_an_honest_orphan_survives_the_next_offboarding() {
    let (fx, remote, bob, _carol) = team(folder_remote);
    let dave = dev_reader_device(&fx, &bob, &remote, "Dave");
    add_dev_only(&fx, "Zed");
    fx.open().sync().expect("ada publishes");
    bob.sync();
    {
        let mut b = bob.open();
        b.share(PROD, "API_KEY", "Dave").expect("share");
        b.share(PROD, "API_KEY", "Zed").expect("share");
    }
    bob.sync();
    fx.open().sync().expect("ada syncs");
    bob.open().unshare(PROD, "API_KEY", "Zed").expect("unshare");
    std::thread::sleep(Duration::from_millis(5));
    fx.open()
        .grant("Bob", PROD, Access::Read)
        .expect("Bob to read");
    fx.open().sync().expect("ada publishes");
    bob.sync();
    // No repair yet: Ada offboards Carol first (the re-key meets the
    // orphan before the repair does).
    offboard_and_publish(&fx, "Carol");
    bob.sync();
    fx.open().sync().expect("ada syncs");
    dave.sync();
    assert_eq!(
        read(&mut dave.open(), PROD, "API_KEY").as_deref(),
        Ok(API_V2)
    );
}

// ----- L2, L3: the live refresh checks less than open --------------------------------

/// Copies every table of `old` over the replica at `path` through a plain
/// SQLite connection: what any process that can write the file can do
/// while the app holds it open.
fn restore_rows(path: &Path, old: &Path) {
    let c = Connection::open(path).expect("open");
    c.execute("ATTACH DATABASE ?1 AS o", [old.to_str().expect("utf-8")])
        .expect("attach");
    let tables: Vec<String> = {
        let mut st = c
            .prepare("SELECT name FROM main.sqlite_master WHERE type = 'table'")
            .expect("prepare");
        let r = st.query_map([], |r| r.get(0)).expect("tables");
        r.collect::<Result<_, _>>().expect("rows")
    };
    c.execute_batch("PRAGMA foreign_keys = OFF; BEGIN;")
        .expect("begin");
    for t in tables {
        c.execute_batch(&format!(
            "DELETE FROM main.\"{t}\"; INSERT INTO main.\"{t}\" SELECT * FROM o.\"{t}\";"
        ))
        .expect("copy table");
    }
    c.execute_batch("COMMIT; DETACH DATABASE o;")
        .expect("commit");
}

/// ATTACK (a local process that can write the replica file): Ada's app is
/// open. Before, a copy of the replica was taken (`VACUUM INTO`, sealed
/// as it was); since, Ada rotated API_KEY and offboarded Carol. The copy's
/// rows are written back over the file; `catch_up` sees the change and
/// checks the seal's MAC, which the older copy passes.
/// SECURE: the app refuses the file as the CLI does (an older copy).
#[test]
fn attack_the_live_refresh_believes_an_older_sealed_copy() {
    let (fx, _remote, _bob, _carol) = team(folder_remote);
    let old = fx.dir.path().join("older.coffer");
    fx.db()
        .execute("VACUUM INTO ?1", [old.to_str().expect("utf-8")])
        .expect("copy");
    fx.open()
        .set_item(PROD, "API_KEY", value("rotated-after-the-copy"))
        .expect("rotate");
    fx.open()
        .offboard("Carol", &mut |_, _| {})
        .expect("offboard");
    let mut app = fx.open();
    assert!(!app.catch_up().expect("poll"));
    restore_rows(&fx.path, &old);
    let caught = app.catch_up();
    let shown = read(&mut app, PROD, "API_KEY");
    // Refused for good by this handle: a write says why.
    let wrote = app.set_item(PROD, "OVER_THE_COPY", value("x")).map(|_| ());
    assert!(wrote.is_err() || caught.is_ok(), "{wrote:?}");
    drop(app);
    let cli = Vault::open(&fx.path, fx.unlock()).map(|_| ());
    assert!(cli.is_err(), "the CLI refuses the older copy");
    assert!(
        caught.is_err(),
        "the app took the older copy: catch_up {caught:?}, API_KEY shown as {shown:?}; \
         the CLI says {cli:?}"
    );
}

/// ATTACK (the same writer): a trigger is planted while the app is open;
/// `catch_up` checks the seal, which covers rows, not schema objects. The
/// app's next write fires it, and the seal then vouches for what it did.
/// SECURE: the app refuses the file as the CLI does (an unknown object).
#[test]
fn attack_the_live_refresh_keeps_a_planted_trigger() {
    let (fx, _remote, _bob, _carol) = team(folder_remote);
    let mut app = fx.open();
    assert!(!app.catch_up().expect("poll"));
    fx.db()
        .execute_batch(
            "CREATE TRIGGER t AFTER INSERT ON ops BEGIN
               UPDATE members SET role = 'owner' WHERE name = 'Carol';
             END;",
        )
        .expect("plant");
    let caught = app.catch_up();
    let wrote = app
        .set_item(PROD, "AFTER_THE_TRIGGER", value("x"))
        .map(|_| ());
    drop(app);
    let role: String = fx
        .db()
        .query_row("SELECT role FROM members WHERE name = 'Carol'", [], |r| {
            r.get(0)
        })
        .expect("role");
    assert!(
        caught.is_err() && wrote.is_err() && role == "reader",
        "the app kept the trigger: catch_up {caught:?}, its write {wrote:?}, Carol is now {role}"
    );
}

// ----- L4: a writer's item name -------------------------------------------------------

/// ATTACK (a writer of web/prod, own client): Mallory adds a credential
/// whose sealed name holds a newline, a fake audit line and ANSI escapes.
/// Ada's audit log names items by their decrypted names.
/// SECURE: no name shown in Ada's listing or audit carries a control
/// character.
#[test]
fn attack_a_writers_item_name_forges_audit_lines() {
    let (fx, remote, _bob, vault_id, mallory) = team_with_mallory(Role::Member, Access::Write);
    let (_, env_id, ep, ek) = held_env_key(&fx.path, &mallory, PROD);
    let item = Id::make();
    let ik = ItemKey::make();
    let ik_ct = ek
        .seal_item_key(&ik, &item_ctx(vault_id, env_id, item, ep))
        .expect("seal");
    let meta = RotationMeta::default();
    let name = "TOKEN to web/prod\n2026-12-07 09:00  Ada  revoke  offboarded Mallory: \
                0 credentials exposed\x1b[8m";
    let blob = seal_blob(
        &ik,
        vault_id,
        env_id,
        item,
        1,
        &meta,
        &item_plaintext(name, "v"),
    );
    let body = OpBody::SetItem {
        item_id: item,
        env_id,
        version: 1,
        ik_ct: Some(ik_ct.clone()),
        blob,
        meta,
        sealed_under: Some(SealedUnder {
            epoch: ep,
            item_key: ItemKeyGeneration::of_sealed(&ik_ct).0,
        }),
    };
    publish(&remote, vault_id, Id::make(), &mallory, &body, None);
    let r = fx.open().sync().expect("ada syncs");
    assert!(r.denied.is_empty(), "{r:?}");
    let mut v = fx.open();
    let audit = v.audit_log().expect("audit");
    let listed = names(&mut v, PROD);
    let bad = |s: &str| s.chars().any(|c| c.is_control());
    let lying: Vec<&String> = audit
        .iter()
        .map(|e| &e.summary)
        .chain(listed.iter())
        .filter(|s| bad(s))
        .collect();
    assert!(
        lying.is_empty(),
        "names with control characters reach the audit and listing: {lying:?}"
    );
    // The rest of the environment reads as before.
    assert!(listed.contains(&"API_KEY".to_string()), "{listed:?}");
    assert_eq!(read(&mut v, PROD, "API_KEY").as_deref(), Ok(API_V2));
}

// ----- L5: an admin's environment name ------------------------------------------------

/// ATTACK (an admin, own client): an `env.add` whose name holds an ANSI
/// escape applies on every replica (`env.rename` checks names where it
/// applies, `env.add` does not).
/// SECURE: it is denied where it applies.
#[test]
fn attack_an_admins_environment_name_with_escapes_is_applied() {
    let (fx, remote, bob, _carol) = team(folder_remote);
    let vault_id = fx.open().id();
    let dave = PrivateIdentity::make();
    add_keyed(&mut fx.open(), &dave, "Dave", Role::Admin, &[]);
    fx.open().sync().expect("ada publishes");
    bob.sync();
    let c = fx.db();
    let project: Vec<u8> = c
        .query_row("SELECT id FROM projects WHERE name = 'web'", [], |r| {
            r.get(0)
        })
        .expect("project");
    drop(c);
    let body = OpBody::AddEnv {
        project_id: Id::from_slice(&project).expect("id"),
        project_name: "web".into(),
        new_project: false,
        env_id: Id::make(),
        env_name: "prod\x1b[8m".into(),
        rotate_every_days: None,
        wraps: vec![],
    };
    publish(&remote, vault_id, Id::make(), &dave, &body, None);
    let r = fx.open().sync().expect("ada syncs");
    let envs: Vec<String> = fx
        .open()
        .list_envs(None)
        .expect("envs")
        .iter()
        .map(|e| e.path())
        .collect();
    assert!(
        envs.iter().all(|p| !p.chars().any(|c| c.is_control())),
        "an environment named with an escape: {envs:?} (denied: {:?})",
        r.denied
    );
}

// ----- env rename/remove/restore, tried and defended ----------------------------------

fn env_names(replica: &Path) -> Vec<(String, String)> {
    let c = Connection::open(replica).expect("open");
    let mut st = c
        .prepare(
            "SELECT p.name, e.name FROM environments e JOIN projects p ON p.id = e.project_id
             ORDER BY e.id",
        )
        .expect("prepare");
    let r = st
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query");
    r.collect::<Result<_, _>>().expect("rows")
}

/// RESISTED (a demoted admin, own client): Dave, demoted to member by
/// Ada, signs a rename of web/prod to web/dave and a removal of web/dev,
/// both dated before his demotion. The demotion's cut denies both on
/// every replica; the names stay.
#[test]
fn resisted_a_demoted_admins_backdated_rename_and_removal() {
    let (fx, remote, bob, _carol) = team(folder_remote);
    let vault_id = fx.open().id();
    let dave = PrivateIdentity::make();
    add_keyed(&mut fx.open(), &dave, "Dave", Role::Admin, &[]);
    fx.open().sync().expect("ada publishes");
    bob.sync();
    let before = env_names(&fx.path);
    fx.open()
        .set_role("Dave", Role::Member)
        .expect("demote Dave");
    fx.open().sync().expect("ada publishes");
    let demoted_at = hlc_of(&fx.path, kind::SET_ROLE_CUT);
    let c = fx.db();
    let id_of = |p: &str| Id::from_slice(&env_id(&c, p)).expect("id");
    let (prod, dev) = (id_of(PROD), id_of(DEV));
    let project: Vec<u8> = c
        .query_row("SELECT id FROM projects WHERE name = 'web'", [], |r| {
            r.get(0)
        })
        .expect("project");
    drop(c);
    let device = Id::make();
    publish(
        &remote,
        vault_id,
        device,
        &dave,
        &OpBody::RenameEnv {
            env_id: prod,
            project_id: Id::from_slice(&project).expect("id"),
            project_name: "web".into(),
            env_name: "dave".into(),
        },
        Some(demoted_at - 2),
    );
    publish(
        &remote,
        vault_id,
        device,
        &dave,
        &OpBody::RemoveEnv { env_id: dev },
        Some(demoted_at - 1),
    );
    let r = fx.open().sync().expect("ada syncs");
    bob.sync();
    assert_eq!(r.denied.len(), 2, "{r:?}");
    assert_eq!(env_names(&fx.path), before);
    assert_eq!(env_names(&bob.replica), before);
}

/// RESISTED (a writer, own client): Bob's client signs a rename, a
/// removal and a restore: each is denied on every replica.
#[test]
fn resisted_a_writers_rename_remove_and_restore_are_denied() {
    let (fx, remote, bob, carol) = team(folder_remote);
    let vault_id = fx.open().id();
    let mallory = PrivateIdentity::make();
    add_keyed(
        &mut fx.open(),
        &mallory,
        "Mallory",
        Role::Member,
        &[(PROD, Access::Write)],
    );
    fx.open().remove("web/dev").expect("Ada removes web/dev");
    fx.open().sync().expect("ada publishes");
    bob.sync();
    let before = env_names(&fx.path);
    let c = fx.db();
    let prod = Id::from_slice(&env_id(&c, PROD)).expect("id");
    let dev: Vec<u8> = c
        .query_row("SELECT env_id FROM removed_envs", [], |r| r.get(0))
        .expect("removed");
    let project: Vec<u8> = c
        .query_row("SELECT id FROM projects WHERE name = 'web'", [], |r| {
            r.get(0)
        })
        .expect("project");
    drop(c);
    let device = Id::make();
    for body in [
        OpBody::RenameEnv {
            env_id: prod,
            project_id: Id::from_slice(&project).expect("id"),
            project_name: "web".into(),
            env_name: "mine".into(),
        },
        OpBody::RemoveEnv { env_id: prod },
        OpBody::RestoreEnv {
            env_id: Id::from_slice(&dev).expect("id"),
        },
    ] {
        publish(&remote, vault_id, device, &mallory, &body, None);
    }
    let r = fx.open().sync().expect("ada syncs");
    bob.sync();
    carol.sync();
    assert_eq!(r.denied.len(), 3, "{r:?}");
    assert_eq!(env_names(&fx.path), before);
    assert_converged(&[&fx.path, &bob.replica, &carol.replica]);
}

/// RESISTED (a removal, an offboarding, a restore): Ada removes web/prod,
/// offboards Carol (who read it), then restores it. Carol holds no key of
/// it on any replica, the restored environment is at its re-keyed epoch,
/// and a wrap Mallory (a writer) signs for Carol after the restore is
/// denied.
#[test]
fn resisted_a_restore_gives_an_offboarded_member_nothing() {
    let (fx, remote, bob, vault_id, mallory) = team_with_mallory(Role::Member, Access::Write);
    let carol_id = member_id(&fx.path, "Carol");
    let epoch_before = epoch(&fx.db(), PROD);
    fx.open().remove(PROD).expect("remove");
    fx.open().sync().expect("ada publishes");
    bob.sync();
    offboard_and_publish(&fx, "Carol");
    fx.open().restore_env(PROD).expect("restore");
    fx.open().sync().expect("ada publishes");
    bob.sync();
    assert!(
        epoch(&fx.db(), PROD) > epoch_before,
        "re-keyed while removed"
    );
    let (_, env_id, ep, ek) = held_env_key(&fx.path, &mallory, PROD);
    let api = item_id_of(&fx, PROD, "API_KEY");
    let ik_ct = ik_ct_of(&fx.path, &api);
    let ik = ek
        .open_item_key(&ik_ct, &item_ctx(vault_id, env_id, api, ep))
        .expect("key");
    let to = member_keys(&fx.db(), &carol_id);
    let body = OpBody::ShareItem {
        env_id,
        share: share_record(&mallory, &to, &ik, &ik_ct, (vault_id, api, ep)),
    };
    publish(&remote, vault_id, Id::make(), &mallory, &body, None);
    let r = fx.open().sync().expect("ada syncs");
    bob.sync();
    assert_eq!(r.denied.len(), 1, "{r:?}");
    for p in [&fx.path, &bob.replica] {
        let c = Connection::open(p).expect("open");
        for t in ["env_wraps", "item_shares", "grants"] {
            assert_eq!(member_rows(&c, t, &carol_id), 0, "{t} in {}", p.display());
        }
    }
}

/// RESISTED (two admins, no attacker): Ada renames web/prod to
/// web/production while Dave, an admin, removes web/prod, neither having
/// seen the other; then Dave restores it. Every replica agrees on its name.
#[test]
fn resisted_concurrent_rename_and_removal_converge() {
    let (fx, remote, bob, carol) = team(folder_remote);
    let dave = Device::new(&fx, "Dave");
    add_member(&mut fx.open(), &dave.who, Role::Admin, &[]);
    fx.open().sync().expect("ada publishes");
    dave.join(&remote).expect("Dave joins");
    bob.sync();
    dave.open().remove(PROD).expect("Dave removes");
    fx.open()
        .rename_env(PROD, "web/production")
        .expect("Ada renames");
    dave.sync();
    fx.open().sync().expect("ada syncs");
    dave.sync();
    bob.sync();
    carol.sync();
    assert_converged(&[&fx.path, &bob.replica, &carol.replica, &dave.replica]);
    let removed = dave.open().list_removed_envs().expect("removed");
    assert_eq!(removed.len(), 1, "{removed:?}");
    let path = removed[0].path();
    dave.open().restore_env(&path).expect("restore");
    dave.sync();
    fx.open().sync().expect("ada syncs");
    bob.sync();
    assert_converged(&[&fx.path, &bob.replica, &dave.replica]);
}
