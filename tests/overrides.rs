//! Personal overrides (issue 11): a member's own values for keys of an
//! environment, sealed to them alone, applied by export, run and
//! references on top of the shared environment; forbidden by default in
//! `prod*`; decided on every replica from verified state.

mod common;

use coffer_vault::ops::{OpBody, OverridePolicy};
use coffer_vault::reference::{Located, Reference};
use coffer_vault::{Access, ErrorKind, Role, Vault};
use common::attack_fx::*;
use common::sync_fx::*;
use common::*;
use rusqlite::Connection;

const MINE: &str = "postgres://me@localhost/mine";
const ADDED: &str = "only-on-my-machine";

fn vars(v: &mut Vault, env: &str) -> Vec<(String, String)> {
    v.env_vars(env, coffer_vault::dangerous::AllowVars::NONE)
        .expect("vars")
        .into_iter()
        .map(|(k, s)| (k, s.expose_secret().to_string()))
        .collect()
}

/// The owner allows overrides in web/prod and publishes it.
fn allow_overrides_in_prod(mut owner: Vault) {
    owner
        .set_env_policy(PROD, OverridePolicy::Allow)
        .expect("allow");
    owner.sync().expect("the owner syncs");
}

fn op_count(path: &std::path::Path) -> i64 {
    Connection::open(path)
        .expect("open")
        .query_row("SELECT COUNT(*) FROM ops", [], |r| r.get(0))
        .expect("count")
}

fn resolve(v: &mut Vault, reference: &str) -> String {
    let refs = vec![Located {
        reference: Reference::parse(reference).expect("reference"),
        place: "test".into(),
    }];
    v.resolve_references(&refs, coffer_vault::ops::ReadAction::Export, |vals| {
        Ok(vals[0].expose_secret().to_string())
    })
    .expect("resolve")
}

#[test]
fn an_override_replaces_or_adds_in_run_export_and_references_and_says_which() {
    let (fx, items) = standard();
    let mut v = fx.open();
    assert!(v.set_override(DEV, "OTHER", &secret(MINE)).expect("set"));
    assert!(v.set_override(DEV, "EXTRA", &secret(ADDED)).expect("add"));
    assert_eq!(
        vars(&mut v, DEV),
        vec![
            ("OTHER".to_string(), MINE.to_string()),
            ("EXTRA".to_string(), ADDED.to_string())
        ],
        "replaced in place, added after"
    );
    let applied = v.take_overrides_applied();
    assert_eq!(
        applied
            .iter()
            .map(|a| (a.name.as_str(), a.added))
            .collect::<Vec<_>>(),
        vec![("EXTRA", true), ("OTHER", false)],
        "in the overlay's name order"
    );
    assert!(v.take_overrides_applied().is_empty(), "taken once");
    // A change is a new version of the same entry.
    assert!(!v.set_override(DEV, "OTHER", &secret("v2")).expect("change"));
    assert_eq!(vars(&mut v, DEV)[0].1, "v2");
    // The export's text and a reference see it too.
    let mut text = String::new();
    v.export_env(
        DEV,
        coffer_vault::Format::Dotenv,
        coffer_vault::Dialect::Portable,
        coffer_vault::dangerous::AllowVars::NONE,
        |t| {
            text = t.to_string();
            Ok(())
        },
    )
    .expect("export");
    assert!(text.contains("OTHER=v2") && text.contains(ADDED), "{text}");
    assert_eq!(resolve(&mut v, "coffer://web/dev/OTHER"), "v2");
    assert_eq!(resolve(&mut v, "coffer://web/dev/EXTRA"), ADDED);
    // The read event names only the shared values that went out: the
    // overridden credential's value did not.
    let last_read: Vec<u8> = fx
        .db()
        .query_row(
            "SELECT body FROM ops WHERE kind = 6 ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("read op");
    match OpBody::decode(&last_read).expect("body") {
        OpBody::Read { item_ids, .. } => assert!(!item_ids.contains(&items.other)),
        other => panic!("{other:?}"),
    }
    assert_eq!(v.take_overrides_applied().len(), 2);
    // --no-overrides: the shared environment as it is.
    v.set_use_overrides(false);
    assert_eq!(
        vars(&mut v, DEV),
        vec![("OTHER".to_string(), OTHER_VALUE.to_string())]
    );
    assert_eq!(resolve(&mut v, "coffer://web/dev/OTHER"), OTHER_VALUE);
    assert!(v.take_overrides_applied().is_empty());
    v.set_use_overrides(true);
    // Names only, and whether each shadows a shared key.
    let ls = v.list_overrides(None).expect("ls");
    assert_eq!(
        ls.iter()
            .map(|o| (o.env.as_str(), o.name.as_str(), o.shadows, o.applies))
            .collect::<Vec<_>>(),
        vec![
            ("web/dev", "EXTRA", false, true),
            ("web/dev", "OTHER", true, true)
        ]
    );
    // Remove: the shared value is back; removing again is "not found".
    v.remove_override(DEV, "OTHER").expect("rm");
    assert_eq!(vars(&mut v, DEV)[0].1, OTHER_VALUE);
    assert_kind(
        "rm twice",
        ErrorKind::NotFound,
        v.remove_override(DEV, "OTHER"),
    );
    // The log says what happened without naming the key or the value.
    let log: Vec<String> = v
        .audit_log()
        .expect("audit")
        .into_iter()
        .map(|e| format!("{} {}", e.kind, e.summary))
        .collect();
    assert!(log
        .iter()
        .any(|l| l == "overlay.set added a personal override in web/dev"));
    assert!(log
        .iter()
        .any(|l| l == "overlay.remove removed a personal override in web/dev"));
    assert!(!log
        .iter()
        .any(|l| l.contains("OTHER") && l.contains("overlay")));
    drop(v);
    let raw = std::fs::read(&fx.path).expect("read file");
    assert!(!contains(&raw, MINE.as_bytes()) && !contains(&raw, ADDED.as_bytes()));
    assert!(fx.open().verify().expect("verify").ok());
}

#[test]
fn prod_forbids_overrides_by_default_and_an_admin_policy_decides() {
    let (fx, _) = standard();
    let mut v = fx.open();
    assert!(!v.env_policy(PROD).expect("policy").overrides_allowed);
    assert!(v.env_policy(DEV).expect("policy").overrides_allowed);
    let before = op_count(&fx.path);
    assert_kind(
        "prod by default",
        ErrorKind::Conflict,
        v.set_override(PROD, "API_KEY", &secret(MINE)),
    );
    assert_eq!(
        op_count(&fx.path),
        before,
        "a refused write changes nothing"
    );
    v.set_env_policy(PROD, OverridePolicy::Allow)
        .expect("allow");
    v.set_override(PROD, "API_KEY", &secret(MINE))
        .expect("now allowed");
    assert_eq!(vars(&mut v, PROD)[0].1, MINE);
    assert_eq!(v.take_overrides_applied().len(), 1);
    // Forbidding later stops the override from applying; it stays listed.
    v.set_env_policy(PROD, OverridePolicy::Forbid)
        .expect("forbid");
    assert_eq!(vars(&mut v, PROD)[0].1, API_V2);
    assert!(v.take_overrides_applied().is_empty());
    let ls = v.list_overrides(Some(PROD)).expect("ls");
    assert_eq!(ls.len(), 1);
    assert!(!ls[0].applies);
    // Forbid on a dev environment; default again on prod.
    v.set_env_policy(DEV, OverridePolicy::Forbid)
        .expect("forbid dev");
    assert_kind(
        "dev forbidden",
        ErrorKind::Conflict,
        v.set_override(DEV, "OTHER", &secret(MINE)),
    );
    v.set_env_policy(PROD, OverridePolicy::Default)
        .expect("default");
    assert_eq!(
        v.env_policy(PROD).expect("p").overrides,
        OverridePolicy::Default
    );
    // Renaming an environment to prod… forbids by the default.
    v.set_env_policy(DEV, OverridePolicy::Default)
        .expect("default dev");
    v.set_override(DEV, "OTHER", &secret(MINE)).expect("dev");
    v.rename_env(DEV, "web/production").expect("rename");
    assert_eq!(vars(&mut v, "web/production")[0].1, OTHER_VALUE);
    assert!(v.verify().expect("verify").ok());
}

#[test]
fn only_the_author_reads_an_override_and_their_rebuilt_replica_gets_it_back() {
    let (fx, remote, bob, carol) = team(folder_remote);
    allow_overrides_in_prod(fx.open());
    bob.sync();
    {
        let mut b = bob.open();
        b.set_override(PROD, "API_KEY", &secret(MINE))
            .expect("bob overrides");
        b.set_override(PROD, "BOB_ONLY", &secret(ADDED))
            .expect("bob adds");
        b.sync().expect("bob publishes");
    }
    // The owner's device stores and verifies Bob's entries, and cannot
    // read them: nothing applies to Ada, nothing is listed, the value is
    // nowhere in her replica.
    let r = fx.open().sync().expect("ada syncs");
    assert!(r.denied.is_empty(), "{r:?}");
    carol.sync();
    for (who, path) in [("Ada", &fx.path), ("Carol", &carol.replica)] {
        let n: i64 = Connection::open(path)
            .expect("open")
            .query_row("SELECT COUNT(*) FROM overlays", [], |r| r.get(0))
            .expect("count");
        assert_eq!(n, 2, "{who} holds Bob's two sealed entries");
        let raw = std::fs::read(path).expect("read");
        assert!(!contains(&raw, MINE.as_bytes()), "{who}");
    }
    let mut ada = fx.open();
    assert_eq!(vars(&mut ada, PROD)[0].1, API_V2);
    assert!(ada.list_overrides(None).expect("ls").is_empty());
    assert!(ada.override_names(PROD).expect("names").is_empty());
    let mut c = carol.open();
    assert_eq!(vars(&mut c, PROD)[0].1, API_V2);
    drop((ada, c));
    // Bob's replica, damaged, is rebuilt from the folder: his overrides
    // come back from his own feed, and still open for him alone.
    {
        let conn = Connection::open(&bob.replica).expect("open");
        conn.execute("DELETE FROM overlays", []).expect("delete");
    }
    let (mut b, _report, rebuilt) =
        Vault::rebuild(&bob.replica, bob.who.unlock()).expect("rebuild");
    assert!(rebuilt.is_some(), "rebuilt from the feeds");
    let got = vars(&mut b, PROD);
    assert!(got.contains(&("API_KEY".to_string(), MINE.to_string())));
    assert!(got.contains(&("BOB_ONLY".to_string(), ADDED.to_string())));
    drop(b);
    assert_converged(&[&fx.path, &bob.replica, &carol.replica]);
    let _ = remote;
}

#[test]
fn an_override_ends_with_the_access_it_needs() {
    let (fx, _remote, bob, _carol) = team(folder_remote);
    allow_overrides_in_prod(fx.open());
    bob.sync();
    {
        let mut b = bob.open();
        b.set_override(PROD, "API_KEY", &secret(MINE)).expect("set");
        b.sync().expect("publish");
    }
    let mut ada = fx.open();
    ada.sync().expect("sync");
    ada.ungrant("Bob", PROD).expect("ungrant");
    ada.sync().expect("publish");
    drop(ada);
    bob.sync();
    for p in [&fx.path, &bob.replica] {
        let n: i64 = Connection::open(p)
            .expect("open")
            .query_row("SELECT COUNT(*) FROM overlays", [], |r| r.get(0))
            .expect("count");
        assert_eq!(n, 0, "{p:?}: the ungrant dropped the override");
    }
}

/// ATTACK (a member who runs a modified client): Mallory, a member with
/// write access to web/prod, (1) takes Bob's sealed entry from the folder
/// and signs it as her own, in prod and in dev (where she has no access),
/// (2) writes an override in prod before anyone allowed it there, (3) sets
/// the environment's policy herself, (4) signs an entry that names Bob as
/// author with her key.
/// SECURE: (1) in prod the entry is hers (keyed by the signer) and opens
/// for nobody: Bob's overrides are unchanged; in dev it is denied (no
/// access); (2), (3) denied on every replica; (4) not verified: never
/// applied. Bob keeps exactly his own values.
#[test]
fn resisted_overrides_planted_for_someone_else_or_where_forbidden() {
    let (fx, remote, bob, vault_id, mallory) = team_with_mallory(Role::Member, Access::Write);
    let env = |p: &str| coffer_crypto::Id::from_slice(&env_id(&fx.db(), p)).expect("id");
    let (prod, dev) = (env(PROD), env(DEV));
    // (2) and (3) before the policy allows anything.
    let mdev = coffer_crypto::Id::make();
    publish(
        &remote,
        vault_id,
        mdev,
        &mallory,
        &OpBody::SetOverlay {
            env_id: prod,
            overlay_id: coffer_crypto::Id::make(),
            version: 1,
            blob: vec![7; 64],
        },
        None,
    );
    publish(
        &remote,
        vault_id,
        mdev,
        &mallory,
        &OpBody::SetEnvPolicy {
            env_id: prod,
            overrides: OverridePolicy::Allow,
            min_generated: 0,
        },
        None,
    );
    let r = fx.open().sync().expect("ada syncs");
    assert_eq!(r.denied.len(), 2, "{r:?}");
    assert!(!fx.open().env_policy(PROD).expect("p").overrides_allowed);
    // The owner allows overrides; Bob writes his.
    allow_overrides_in_prod(fx.open());
    bob.sync();
    {
        let mut b = bob.open();
        b.set_override(PROD, "API_KEY", &secret(MINE)).expect("set");
        b.sync().expect("publish");
    }
    let (bob_overlay, bob_blob): (Vec<u8>, Vec<u8>) = Connection::open(&bob.replica)
        .expect("open")
        .query_row("SELECT overlay_id, blob FROM overlays", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("bob's row");
    let bob_overlay = coffer_crypto::Id::from_slice(&bob_overlay).expect("id");
    // (1) Bob's entry replayed as Mallory's, in prod and in dev.
    for env_id in [prod, dev] {
        publish(
            &remote,
            vault_id,
            mdev,
            &mallory,
            &OpBody::SetOverlay {
                env_id,
                overlay_id: bob_overlay,
                version: 1,
                blob: bob_blob.clone(),
            },
            None,
        );
    }
    // (4) An entry naming Bob as its author, signed with Mallory's key.
    let mut forged = build_next(
        &remote,
        vault_id,
        mdev,
        &mallory,
        &OpBody::SetOverlay {
            env_id: prod,
            overlay_id: bob_overlay,
            version: 2,
            blob: bob_blob.clone(),
        },
        None,
        None,
    );
    forged.header.author_id = bob.who.id;
    write_entry(&remote, &forged);
    let r = fx.open().sync().expect("ada syncs");
    assert_eq!(r.denied.len(), 1, "the dev replay is denied: {r:?}");
    assert_eq!(
        r.quarantined.len(),
        1,
        "the entry with a forged author stops Mallory's feed: {r:?}"
    );
    bob.sync();
    let mut b = bob.open();
    assert_eq!(vars(&mut b, PROD)[0].1, MINE, "Bob's own value, unchanged");
    assert_eq!(b.list_overrides(None).expect("ls").len(), 1);
    let rows: Vec<(Vec<u8>, i64)> = {
        let c = Connection::open(&bob.replica).expect("open");
        let mut st = c
            .prepare("SELECT author_id, version FROM overlays WHERE author_id = ?1")
            .expect("prepare");
        st.query_map([&bob.who.id.0[..]], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows")
    };
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].1, 1, "no forged version 2 in Bob's entry");
    let dev_rows: i64 = Connection::open(&bob.replica)
        .expect("open")
        .query_row(
            "SELECT COUNT(*) FROM overlays WHERE env_id = ?1",
            [&dev.0[..]],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(dev_rows, 0, "nothing planted in dev");
    drop(b);
    assert!(fx.open().verify().expect("verify").ok());
}

/// ATTACK (an admin who runs a modified client): Mallory, an admin, signs
/// an environment policy asking for generated values of 5 characters
/// (below what Coffer generates) and one of 5,000.
/// SECURE: both denied on every replica (the rule every client checks on
/// input, checked again where the op applies); the policy stays as it was.
#[test]
fn resisted_an_admins_policy_with_an_impossible_generated_length() {
    let (fx, remote, _bob, vault_id, mallory) = team_with_mallory(Role::Admin, Access::Write);
    let prod = coffer_crypto::Id::from_slice(&env_id(&fx.db(), PROD)).expect("id");
    let mdev = coffer_crypto::Id::make();
    let policy = |min_generated| {
        publish(
            &remote,
            vault_id,
            mdev,
            &mallory,
            &OpBody::SetEnvPolicy {
                env_id: prod,
                overrides: OverridePolicy::Default,
                min_generated,
            },
            None,
        )
    };
    policy(5);
    policy(5000);
    let r = fx.open().sync().expect("ada syncs");
    assert_eq!(r.denied.len(), 2, "{r:?}");
    assert_eq!(
        fx.open().env_policy(PROD).expect("policy").min_generated,
        None
    );
    // The same admin's honest policy applies.
    policy(40);
    fx.open().sync().expect("ada syncs");
    assert_eq!(
        fx.open().env_policy(PROD).expect("policy").min_generated,
        Some(40)
    );
}
