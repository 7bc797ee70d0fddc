//! Attack review 14 (main at 02b77c9): the newest trust surface, personal
//! overlays (`overlay.set` kind 28, `overlay.remove` kind 29), environment
//! policies (`env.policy` kind 30) and values bound to their writer
//! (`item.set` kind 31). `attack_*` tests assert the secure property (and
//! are ignored while the attack works); `resisted_*` tests pass (attacks
//! tried and defended). `tests/overrides.rs` already covers an entry
//! replayed as someone else's, a forged author, a member's policy and an
//! impossible generated length; this file tries what it does not.
//!
//! Findings: see docs/design-decisions.md, "Attack review 14".
#![allow(dead_code, unused_imports)]

mod common;

use std::path::Path;

use coffer_crypto::Id;
use coffer_vault::dangerous::AllowVars;
use coffer_vault::ops::{OpBody, OverridePolicy};
use coffer_vault::sync::Remote;
use coffer_vault::{Access, ErrorKind, Role, Vault};
use common::attack_fx::*;
use common::sync_fx::*;
use common::*;
use rusqlite::Connection;

const MINE: &str = "postgres://bob@localhost/bobs-own";

fn vars(v: &mut Vault, env: &str) -> Vec<(String, String)> {
    v.env_vars(env, AllowVars::NONE)
        .expect("vars")
        .into_iter()
        .map(|(k, s)| (k, s.expose_secret().to_string()))
        .collect()
}

fn var(v: &mut Vault, env: &str, key: &str) -> Option<String> {
    vars(v, env)
        .into_iter()
        .find(|(k, _)| k == key)
        .map(|(_, s)| s)
}

/// The rows of the tables the new kinds write (not in `derived`): every
/// replica that saw the same entries must hold the same ones.
fn overlay_state(p: &Path) -> Vec<Vec<rusqlite::types::Value>> {
    let c = Connection::open(p).expect("open");
    let mut out = rows(
        &c,
        "SELECT author_id, overlay_id, env_id, version, blob, updated_at FROM overlays
         ORDER BY author_id, overlay_id",
    );
    out.extend(rows(
        &c,
        "SELECT env_id, overrides, min_generated FROM env_policies ORDER BY env_id",
    ));
    out
}

#[track_caller]
fn assert_overlays_converged(paths: &[&Path]) {
    let first = overlay_state(paths[0]);
    for p in &paths[1..] {
        assert_eq!(
            first,
            overlay_state(p),
            "overlays/policies differ between {} and {}",
            paths[0].display(),
            p.display()
        );
    }
}

fn overlay_rows(p: &Path) -> i64 {
    Connection::open(p)
        .expect("open")
        .query_row("SELECT COUNT(*) FROM overlays", [], |r| r.get(0))
        .expect("count")
}

fn allow_prod(fx: &Fx) {
    let mut ada = fx.open();
    ada.set_env_policy(PROD, OverridePolicy::Allow)
        .expect("allow");
    ada.sync().expect("ada publishes");
}

// ----- overlays and the policy: races ----------------------------------------------

/// ATTACK (an admin who runs a modified client, racing the owner): Ada
/// forbids overrides in web/prod; Mallory, an admin, signs an `allow`
/// dated just before Ada's `forbid` and publishes it after, while Bob,
/// offline, wrote an override when prod still allowed them and publishes
/// it last. Every replica sees the entries in another order.
/// SECURE: the total order decides: Ada's forbid (the latest) stands on
/// every replica, Bob's override is stored (it was allowed at its place)
/// but does not apply; all replicas hold the same overlays and policies.
#[test]
fn resisted_a_policy_race_and_a_late_override_converge() {
    let (fx, remote, bob, vault_id, mallory) = team_with_mallory(Role::Admin, Access::Write);
    allow_prod(&fx);
    bob.sync();
    // Bob, offline, overrides.
    {
        let mut b = bob.open();
        b.set_override(PROD, "API_KEY", &secret(MINE)).expect("set");
        assert_eq!(var(&mut b, PROD, "API_KEY").as_deref(), Some(MINE));
    }
    std::thread::sleep(std::time::Duration::from_millis(5));
    {
        let mut ada = fx.open();
        ada.set_env_policy(PROD, OverridePolicy::Forbid)
            .expect("forbid");
        ada.sync().expect("ada publishes");
    }
    let forbid_at = hlc_of(&fx.path, 30);
    let prod = Id::from_slice(&env_id(&fx.db(), PROD)).expect("id");
    publish(
        &remote,
        vault_id,
        Id::make(),
        &mallory,
        &OpBody::SetEnvPolicy {
            env_id: prod,
            overrides: OverridePolicy::Allow,
            min_generated: 0,
        },
        Some(forbid_at - 1),
    );
    bob.sync();
    fx.open().sync().expect("ada syncs");
    bob.sync();
    fx.open().sync().expect("ada syncs");
    let mut b = bob.open();
    assert_eq!(
        b.env_policy(PROD).expect("policy").overrides,
        OverridePolicy::Forbid,
        "the latest policy stands"
    );
    assert_eq!(
        var(&mut b, PROD, "API_KEY").as_deref(),
        Some(API_V2),
        "Bob's override no longer applies"
    );
    assert_eq!(b.list_overrides(None).expect("ls").len(), 1, "still listed");
    drop(b);
    assert_eq!(overlay_rows(&fx.path), 1);
    assert_overlays_converged(&[&fx.path, &bob.replica]);
    assert_converged(&[&fx.path, &bob.replica]);
}

// ----- overlays: the entry's lifetime --------------------------------------------------

/// ATTACK (an owner who regrants, or anyone who makes Bob rebuild): Bob's
/// override of prod, written, then dropped by an ungrant, then Bob is
/// granted prod again; then Bob removes a second override and his replica
/// is rebuilt from the folder.
/// SECURE: neither comes back: the regrant gives Bob the shared values
/// only, and a rebuild replays the removal after the write.
#[test]
fn resisted_an_override_comes_back_after_a_regrant_or_a_rebuild() {
    let (fx, _remote, bob, _carol) = team(folder_remote);
    allow_prod(&fx);
    bob.sync();
    {
        let mut b = bob.open();
        b.set_override(PROD, "API_KEY", &secret(MINE)).expect("set");
        b.sync().expect("publish");
    }
    {
        let mut ada = fx.open();
        ada.sync().expect("sync");
        ada.ungrant("Bob", PROD).expect("ungrant");
        ada.grant("Bob", PROD, Access::Write).expect("regrant");
        ada.sync().expect("publish");
    }
    bob.sync();
    {
        let mut b = bob.open();
        assert_eq!(var(&mut b, PROD, "API_KEY").as_deref(), Some(API_V2));
        assert!(b.list_overrides(None).expect("ls").is_empty());
        // A new one, removed again.
        b.set_override(PROD, "EXTRA", &secret("extra-1"))
            .expect("set");
        b.set_override(PROD, "EXTRA", &secret("extra-2"))
            .expect("change");
        b.remove_override(PROD, "EXTRA").expect("remove");
        b.sync().expect("publish");
    }
    assert_eq!(overlay_rows(&bob.replica), 0);
    let (mut b, _r, _rebuilt) = Vault::rebuild(&bob.replica, bob.who.unlock()).expect("rebuild");
    assert!(b.list_overrides(None).expect("ls").is_empty());
    assert_eq!(var(&mut b, PROD, "EXTRA"), None);
    assert_eq!(var(&mut b, PROD, "API_KEY").as_deref(), Some(API_V2));
    drop(b);
    fx.open().sync().expect("ada syncs");
    assert_overlays_converged(&[&fx.path, &bob.replica]);
}

/// ATTACK (a member, on herself or through a shared vault): an override
/// that adds `LD_PRELOAD` (or replaces a safe key's value with one) to get
/// past `coffer run`'s refusal of variables that decide what code runs.
/// SECURE: the added key is checked like a shared one: `run`'s variables
/// and a shell export are refused unless the user names it.
#[test]
fn resisted_an_override_brings_in_a_dangerous_variable() {
    let (fx, _) = standard();
    let mut v = fx.open();
    v.set_override(DEV, "LD_PRELOAD", &secret("/tmp/evil.so"))
        .expect("stored (a user's own choice)");
    assert_kind(
        "run refuses it",
        ErrorKind::Conflict,
        v.env_vars(DEV, AllowVars::NONE),
    );
    let allow = ["LD_PRELOAD".to_string()];
    let got = v
        .env_vars(
            DEV,
            AllowVars {
                names: &allow,
                hint: "--allow-var",
            },
        )
        .expect("named, allowed");
    assert!(got.iter().any(|(k, _)| k == "LD_PRELOAD"));
}

/// ATTACK (an owner who offboards Bob, or rotates prod's key): Bob's
/// override must not survive his offboarding (nor open for the owner
/// after the re-key), and no trace of its name or value may reach the
/// audit log, the exposure report or the owner's replica.
/// SECURE: the offboarding drops it on every replica; the log names only
/// the environment.
#[test]
fn resisted_an_override_survives_or_leaks_through_an_offboarding() {
    let (fx, _remote, bob, carol) = team(folder_remote);
    allow_prod(&fx);
    bob.sync();
    {
        let mut b = bob.open();
        b.set_override(PROD, "BOB_SECRET_KEY_NAME", &secret(MINE))
            .expect("set");
        b.sync().expect("publish");
    }
    fx.open().sync().expect("ada syncs");
    offboard_and_publish(&fx, "Bob");
    carol.sync();
    for p in [&fx.path, &carol.replica] {
        assert_eq!(overlay_rows(p), 0, "{p:?}: dropped with Bob");
        let raw = std::fs::read(p).expect("read");
        assert!(!contains(&raw, MINE.as_bytes()));
        assert!(!contains(&raw, b"BOB_SECRET_KEY_NAME"));
    }
    let mut ada = fx.open();
    let log: Vec<String> = ada
        .audit_log()
        .expect("audit")
        .into_iter()
        .map(|e| format!("{} {}", e.kind, e.summary))
        .collect();
    assert!(log.iter().any(|l| l.starts_with("overlay.set")), "{log:?}");
    assert!(!log.iter().any(|l| l.contains("BOB_SECRET_KEY_NAME")));
    drop(ada);
    assert_converged(&[&fx.path, &carol.replica]);
}

// ----- item.set kind 31: the binding across re-keys -----------------------------------

/// The writer a stored version's blob is bound to, and its recorded
/// writer, for every version of `name` in `env` of the replica at `p`.
fn bindings(p: &Path, env: &str, name_item: &Id) -> Vec<(i64, Option<Id>, Id)> {
    let c = Connection::open(p).expect("open");
    let mut st = c
        .prepare("SELECT version, blob, author_id FROM item_versions WHERE item_id = ?1 ORDER BY version")
        .expect("prepare");
    let _ = env;
    st.query_map([&name_item.0[..]], |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, Vec<u8>>(1)?,
            r.get::<_, Vec<u8>>(2)?,
        ))
    })
    .expect("query")
    .map(|r| {
        let (v, blob, a) = r.expect("row");
        (
            v,
            coffer_vault::ops::blob_writer(&blob),
            Id::from_slice(&a).expect("id"),
        )
    })
    .collect()
}

/// ATTACK (an owner's re-key): Bob writes API_KEY (kind 31); Ada
/// offboards Carol, which re-keys web/prod and re-seals every version.
/// SECURE: Bob's version stays bound to Bob (never to the re-keyer), is
/// recorded as Bob's, opens for Ada and Bob, and every replica agrees.
#[test]
fn resisted_a_rekey_moves_a_bound_value_to_the_rekeyer() {
    let (fx, _remote, bob, _carol) = team(folder_remote);
    {
        let mut b = bob.open();
        b.set_item(PROD, "API_KEY", value("bob-wrote-this"))
            .expect("bob writes");
        b.sync().expect("publish");
    }
    fx.open().sync().expect("ada syncs");
    let item = item_id_of(&fx, PROD, "API_KEY");
    offboard_and_publish(&fx, "Carol");
    bob.sync();
    let binds = bindings(&fx.path, PROD, &item);
    let last = *binds.last().expect("versions");
    assert_eq!(last.2, bob.who.id, "recorded as Bob's: {binds:?}");
    assert_eq!(last.1, Some(bob.who.id), "bound to Bob: {binds:?}");
    for (_, bound, writer) in &binds {
        if let Some(w) = bound {
            assert_eq!(w, writer, "a bound version is bound to its recorded writer");
        }
    }
    let mut ada = fx.open();
    assert_eq!(
        ada.get_item(PROD, "API_KEY")
            .expect("opens for Ada")
            .1
            .expose_secret(),
        "bob-wrote-this"
    );
    drop(ada);
    let mut b = bob.open();
    assert_eq!(
        b.get_item(PROD, "API_KEY")
            .expect("opens for Bob")
            .1
            .expose_secret(),
        "bob-wrote-this"
    );
    drop(b);
    assert_converged(&[&fx.path, &bob.replica]);
}
