//! Renaming, removing and restoring environments and projects (issue 13):
//! signed ops (`env.rename`, `env.remove`, `env.restore`) that keep the
//! environment's id, so items, history, keys, exposure and rotation
//! follow; that owners and admins alone may send, on every replica; and
//! that converge across devices whatever order they arrive in.

mod common;

use coffer_vault::{Access, ErrorKind, Role};
use common::sync_fx::*;
use common::*;

fn names(v: &coffer_vault::Vault) -> Vec<String> {
    v.list_envs(None)
        .expect("list")
        .iter()
        .map(|e| e.path())
        .collect()
}

fn summaries(v: &mut coffer_vault::Vault) -> Vec<String> {
    v.audit_log()
        .expect("audit")
        .into_iter()
        .map(|e| format!("{} {} {}", e.kind, e.outcome, e.summary))
        .collect()
}

#[test]
fn a_rename_keeps_items_history_keys_rotation_and_frees_the_old_name() {
    let (fx, items) = standard();
    let mut v = fx.open();
    let before = v.env(PROD).expect("prod");
    let e = v.rename_env(PROD, "web/production").expect("rename");
    assert_eq!(e.id, before.id, "the id never changes");
    assert_eq!(e.rotate_every_days, Some(90), "the rotation policy follows");
    assert_eq!(e.epoch, before.epoch);
    // Items, values and history follow.
    let (s, val) = v.get_item("web/production", "API_KEY").expect("get");
    assert_eq!(s.id, items.api);
    assert_eq!(val.expose_secret(), API_V2);
    assert_eq!(s.env, "production");
    assert!(s.due_at.is_some(), "the due date follows the policy");
    let h = v
        .history("web/production", "API_KEY", true)
        .expect("history");
    assert_eq!(h.len(), 2, "both versions stay");
    // The old name is gone, and free for a new environment.
    assert_kind("old name", ErrorKind::NotFound, v.env(PROD));
    assert_eq!(names(&v), vec!["web/dev", "web/production"]);
    let fresh = v.add_env(PROD, None).expect("the name is free again");
    assert_ne!(fresh.id, before.id);
    assert_eq!(fresh.items, 0);
    // The log says what happened, in words.
    let log = summaries(&mut v);
    assert!(
        log.iter()
            .any(|l| l == "env.rename applied renamed environment web/prod to web/production"),
        "{log:#?}"
    );
    assert!(v.verify().expect("verify").ok(), "a replay agrees");
}

#[test]
fn a_rename_to_a_taken_or_bad_name_is_refused_and_changes_nothing() {
    let (fx, _) = standard();
    let mut v = fx.open();
    let before = fx.dump();
    drop(v);
    v = fx.open();
    assert_kind("taken", ErrorKind::Conflict, v.rename_env(PROD, DEV));
    assert_kind(
        "bad",
        ErrorKind::InvalidInput,
        v.rename_env(PROD, "web/pr od"),
    );
    assert_kind(
        "missing",
        ErrorKind::NotFound,
        v.rename_env("web/nope", "web/x"),
    );
    drop(v);
    assert_eq!(fx.dump(), before, "nothing changed");
}

#[test]
fn a_project_rename_moves_every_environment_and_a_move_creates_the_project() {
    let (fx, items) = standard();
    let mut v = fx.open();
    let moved = v.rename_project("web", "site").expect("rename project");
    assert_eq!(moved.len(), 2);
    assert_eq!(names(&v), vec!["site/dev", "site/prod"]);
    let (s, _) = v.get_item("site/prod", "DB_PASS").expect("get");
    assert_eq!(s.id, items.db);
    // One environment into another (new) project.
    v.rename_env("site/dev", "api/dev").expect("move");
    assert_eq!(names(&v), vec!["api/dev", "site/prod"]);
    assert_kind(
        "a project that has environments",
        ErrorKind::Conflict,
        v.rename_project("api", "site"),
    );
    assert!(v.verify().expect("verify").ok());
}

#[test]
fn a_member_may_not_rename_or_remove_and_the_denial_is_logged() {
    let (fx, _) = standard();
    let bob = Person::new(&fx, "Bob");
    {
        let mut v = fx.open();
        add_member(&mut v, &bob, Role::Member, &[(PROD, Access::Write)]);
    }
    let mut v = bob.open(&fx.path);
    assert_permission("rename", v.rename_env(PROD, "web/x"));
    assert_permission("remove", v.remove(PROD));
    assert_permission("project rename", v.rename_project("web", "x"));
    assert_eq!(names(&v), vec![DEV, PROD]);
    let log = summaries(&mut v);
    assert!(
        log.iter().any(|l| l.starts_with("env.rename denied")),
        "{log:#?}"
    );
    assert!(
        log.iter().any(|l| l.starts_with("env.remove denied")),
        "{log:#?}"
    );
}

#[test]
fn a_removed_environment_is_hidden_its_history_kept_and_it_can_be_restored() {
    let (fx, items) = standard();
    let mut v = fx.open();
    let dev = v.env(DEV).expect("dev");
    let p = v.removal_preview(DEV).expect("preview");
    assert_eq!(p.envs.len(), 1);
    assert_eq!(p.envs[0].credentials, vec!["OTHER"]);
    assert!(!p.is_empty());
    assert_eq!(v.remove(DEV).expect("remove"), vec![DEV.to_string()]);
    // Gone from lists, reads, export, run and the rotation dashboard.
    assert_eq!(names(&v), vec![PROD]);
    let miss = v.get_item(DEV, "OTHER").expect_err("hidden");
    assert_eq!(miss.kind(), ErrorKind::NotFound);
    assert!(
        miss.to_string().contains("coffer env restore web/dev"),
        "{miss}"
    );
    assert_kind(
        "run",
        ErrorKind::NotFound,
        v.env_vars(DEV, coffer_vault::dangerous::AllowVars::NONE),
    );
    let listed = v.list_items(None, 14).expect("rotation list");
    assert!(
        listed.iter().all(|s| s.id != items.other),
        "not on the dashboard"
    );
    assert_kind(
        "edit",
        ErrorKind::NotFound,
        v.set_item(DEV, "X", value("v")),
    );
    // Listed as removed, with the name it had.
    let removed = v.list_removed_envs().expect("removed");
    assert_eq!(removed.len(), 1);
    assert_eq!(removed[0].path(), DEV);
    assert!(removed[0].removed);
    // The log keeps the history and says it was removed.
    let log = summaries(&mut v);
    assert!(
        log.iter()
            .any(|l| l == "env.remove applied removed environment web/dev (its history stays)"),
        "{log:#?}"
    );
    assert!(
        log.iter()
            .any(|l| l.contains("added OTHER to web/dev (removed)")),
        "{log:#?}"
    );
    assert!(v.verify().expect("verify").ok(), "a replay agrees");
    // The name is free: a new, empty environment takes it...
    let fresh = v.add_env(DEV, None).expect("a new web/dev");
    assert_ne!(fresh.id, dev.id);
    // ...so a restore is refused until it is renamed.
    assert_kind(
        "restore over a live one",
        ErrorKind::Conflict,
        v.restore_env(DEV),
    );
    v.rename_env(DEV, "web/dev2").expect("rename the new one");
    let back = v.restore_env(DEV).expect("restore");
    assert_eq!(back.id, dev.id);
    let (s, val) = v.get_item(DEV, "OTHER").expect("back");
    assert_eq!(s.id, items.other);
    assert_eq!(val.expose_secret(), OTHER_VALUE);
    assert!(v.verify().expect("verify").ok());
}

#[test]
fn an_empty_preview_and_a_project_removal_in_one_batch() {
    let (fx, _) = standard();
    let mut v = fx.open();
    v.add_env("tools/ci", None).expect("env");
    assert!(v.removal_preview("tools/ci").expect("preview").is_empty());
    v.add_env("tools/lab", None).expect("env");
    let gone = v.remove("tools").expect("project");
    assert_eq!(gone, vec!["tools/ci", "tools/lab"]);
    assert_eq!(names(&v), vec![DEV, PROD]);
    assert_kind("project gone", ErrorKind::NotFound, v.remove("tools"));
}

#[test]
fn offboarding_after_a_removal_still_reports_and_rekeys_what_the_leaver_could_read() {
    let (fx, items) = standard();
    let bob = Person::new(&fx, "Bob");
    let mut v = fx.open();
    add_member(&mut v, &bob, Role::Member, &[(DEV, Access::Read)]);
    let epoch = v.env(DEV).expect("dev").epoch;
    v.remove(DEV).expect("remove");
    // No new key holder for a removed environment.
    assert_kind(
        "grant",
        ErrorKind::NotFound,
        v.grant("Bob", DEV, Access::Write),
    );
    let preview = v.offboard_preview("Bob").expect("preview");
    assert!(
        preview
            .exposed
            .iter()
            .any(|e| e == "web/dev/OTHER (environment removed)"),
        "{preview:?}"
    );
    let r = v.offboard("Bob", &mut |_, _| {}).expect("offboard");
    let row = r
        .items
        .iter()
        .find(|i| i.key == "OTHER")
        .unwrap_or_else(|| panic!("OTHER reported: {r:?}"));
    assert_eq!(row.env, "web/dev (removed)");
    assert!(!row.rotated);
    // The removed environment was re-keyed: Bob's key opens nothing new.
    let dev = v
        .list_removed_envs()
        .expect("removed")
        .into_iter()
        .next()
        .expect("dev");
    assert_eq!(dev.epoch, epoch + 1, "re-keyed although removed");
    // Restored, the exposure is still there (rotate it at the provider).
    v.restore_env(DEV).expect("restore");
    let s = v.item_info(DEV, "OTHER").expect("info");
    assert_eq!(s.id, items.other);
    assert!(s.exposed_at.is_some(), "still exposed");
    assert!(v.verify().expect("verify").ok());
}

// ----- across devices -----------------------------------------------------

fn converged(fx: &Fx, bob: &Device, carol: &Device) {
    // Two rounds: everyone has everything.
    for _ in 0..2 {
        fx.open().sync().expect("Ada syncs");
        bob.sync();
        carol.sync();
    }
    // The state, and each entry's outcome (a device that denied its own
    // entry does not keep the reason beside it).
    let state = |p: &std::path::Path| {
        let mut d = derived(p);
        for (t, rows) in &mut d {
            if t == "log" {
                rows.iter_mut().for_each(|r| r.truncate(2));
            }
        }
        d
    };
    let a = state(&fx.path);
    assert!(a == state(&bob.replica), "Ada and Bob agree");
    assert!(a == state(&carol.replica), "Ada and Carol agree");
}

#[test]
fn concurrent_renames_of_one_environment_converge_on_every_replica() {
    let (fx, _remote, bob, carol) = team_with(folder_remote, |v| {
        v.set_role("Bob", Role::Admin).expect("admin")
    });
    {
        let mut a = fx.open();
        a.rename_env(DEV, "web/staging").expect("Ada renames");
    }
    {
        let mut b = bob.open();
        b.rename_env(DEV, "web/test").expect("Bob renames");
    }
    converged(&fx, &bob, &carol);
    let envs = names(&fx.open());
    assert_eq!(envs.len(), 2, "one environment, one name: {envs:?}");
    assert!(envs.contains(&PROD.to_string()));
    // The later in the order wins; both renames applied.
    let log = summaries(&mut fx.open());
    let renames: Vec<&String> = log.iter().filter(|l| l.starts_with("env.rename")).collect();
    assert_eq!(renames.len(), 2, "{renames:?}");
    assert!(
        renames.iter().all(|l| l.contains(" applied ")),
        "{renames:?}"
    );
    let last = renames[1].rsplit(' ').next().expect("name");
    let renamed: Vec<&String> = envs.iter().filter(|e| *e != PROD).collect();
    assert_eq!(renamed, vec![last], "the later rename wins");
    assert!(fx.open().verify().expect("verify").ok());
}

#[test]
fn a_rename_to_a_name_another_device_just_created_converges() {
    let (fx, _remote, bob, carol) = team_with(folder_remote, |v| {
        v.set_role("Bob", Role::Admin).expect("admin")
    });
    {
        let mut a = fx.open();
        a.add_env("web/qa", None).expect("Ada creates web/qa");
        a.set_item("web/qa", "QA_TOKEN", value("qa-value"))
            .expect("set");
    }
    {
        let mut b = bob.open();
        b.rename_env(DEV, "web/qa").expect("Bob renames dev to qa");
    }
    converged(&fx, &bob, &carol);
    let envs = names(&fx.open());
    assert_eq!(
        envs.iter().filter(|e| *e == "web/qa").count(),
        1,
        "one web/qa: {envs:?}"
    );
    // Whichever came first keeps the name; the other op is denied, with
    // its reason, on every device alike.
    let log = summaries(&mut fx.open());
    let denied: Vec<&String> = log.iter().filter(|l| l.contains(" denied ")).collect();
    assert!(!denied.is_empty(), "{log:#?}");
}

#[test]
fn a_members_rename_and_an_edit_into_a_removed_environment_are_denied_everywhere() {
    let (fx, _remote, bob, carol) = team(folder_remote);
    {
        // Bob (a member) signs a rename and a removal: his own device
        // records them denied, and so does every other.
        let mut b = bob.open();
        assert_permission("rename", b.rename_env(PROD, "web/mine"));
        assert_permission("remove", b.remove(PROD));
    }
    converged(&fx, &bob, &carol);
    for v in [fx.open(), bob.open(), carol.open()] {
        assert_eq!(names(&v), vec![DEV, PROD]);
    }
    let log = summaries(&mut carol.open());
    assert!(
        log.iter().any(|l| l.starts_with("env.rename denied")),
        "{log:#?}"
    );
    assert!(
        log.iter().any(|l| l.starts_with("env.remove denied")),
        "{log:#?}"
    );

    // Ada removes prod while Bob, not having seen it, writes there.
    {
        let mut a = fx.open();
        a.remove(PROD).expect("remove");
    }
    fx.open().sync().expect("Ada publishes");
    {
        let mut b = bob.open();
        b.set_item(PROD, "LATE", value("late-value"))
            .expect("Bob writes offline");
    }
    converged(&fx, &bob, &carol);
    for v in [fx.open(), bob.open(), carol.open()] {
        assert_eq!(names(&v), vec![DEV], "removed everywhere");
    }
    let log = summaries(&mut fx.open());
    assert!(
        log.iter()
            .any(|l| l.starts_with("item.set denied added LATE")
                || l.starts_with("item.set denied added item")),
        "the write after the removal is denied: {log:#?}"
    );
    // Restored, the environment has no LATE.
    let mut a = fx.open();
    a.restore_env(PROD).expect("restore");
    assert_kind("late", ErrorKind::NotFound, a.item_info(PROD, "LATE"));
}
