//! A value an offboarded member saw stays exposed (DESIGN.md §5, issue 10):
//! offboarding remembers a keyed hash of every value version the member
//! could read, and the item stays exposed while its current value is one of
//! them, whether it came back by `restore`, `set` or `import`. A fresh
//! value ends the exposure. Every case runs on a real vault file, with
//! real identities, and ends with `audit verify` (the remembered values are
//! state derived from signed ops, rebuilt by the replay).

mod common;

use coffer_vault::rotation::Status;
use coffer_vault::{Access, Role, Vault};
use common::*;

const FRESH: &str = "api-key-fresh-after-offboarding";

/// Ada's vault (`standard`), Bob a member with read on `web/prod`, then
/// offboarded: `API_KEY` (two versions, both readable by Bob through the
/// history) and `DB_PASS` are exposed.
fn offboarded_bob() -> (Fx, Vault) {
    let (fx, _) = standard();
    let ada = Person::owner(&fx);
    let bob = Person::new(&fx, "Bob");
    let mut v = ada.open(&fx.path);
    add_member(&mut v, &bob, Role::Member, &[(PROD, Access::Read)]);
    v.offboard("Bob", &mut |_, _| {}).expect("offboard Bob");
    assert_eq!(status(&mut v, "API_KEY"), Status::Exposed);
    (fx, v)
}

fn status(v: &mut Vault, key: &str) -> Status {
    v.item_info(PROD, key).expect("info").status
}

/// Whether Bob's report still lists `API_KEY` as to be rotated.
fn report_open(v: &mut Vault) -> bool {
    let r = v.exposure_report("Bob").expect("report");
    let it = r
        .items
        .iter()
        .find(|i| i.key == "API_KEY")
        .expect("API_KEY in the report");
    !it.rotated
}

#[track_caller]
fn assert_verifies(v: &mut Vault) {
    let rep = v.verify().expect("verify runs");
    assert!(rep.ok(), "verify: {:?}", rep.problems);
}

#[test]
fn a_fresh_value_ends_the_exposure() {
    let (_fx, mut v) = offboarded_bob();
    v.rotate_item(PROD, "API_KEY", secret(FRESH))
        .expect("rotate");
    assert_ne!(status(&mut v, "API_KEY"), Status::Exposed);
    assert!(!report_open(&mut v), "the report ticks off a fresh value");
    assert_eq!(status(&mut v, "DB_PASS"), Status::Exposed, "untouched");
    assert_verifies(&mut v);
}

#[test]
fn fail_restoring_a_value_the_member_saw_clears_exposed() {
    let (fx, mut v) = offboarded_bob();
    v.rotate_item(PROD, "API_KEY", secret(FRESH))
        .expect("rotate");
    assert_ne!(status(&mut v, "API_KEY"), Status::Exposed);
    // Version 1 (API_V1) was in the history Bob could read.
    v.restore_version(PROD, "API_KEY", 1).expect("restore");
    assert_eq!(
        status(&mut v, "API_KEY"),
        Status::Exposed,
        "a restored value Bob saw is exposed again"
    );
    assert!(report_open(&mut v), "the report reopens");
    assert_verifies(&mut v);
    // And for a device that opens the file afresh (state from the file,
    // status derived again from the remembered tags).
    drop(v);
    let mut again = fx.open();
    assert_eq!(status(&mut again, "API_KEY"), Status::Exposed);
}

#[test]
fn fail_setting_a_value_the_member_saw_clears_exposed() {
    let (_fx, mut v) = offboarded_bob();
    v.rotate_item(PROD, "API_KEY", secret(FRESH))
        .expect("rotate");
    v.set_item(PROD, "API_KEY", value(API_V2)).expect("set");
    assert_eq!(status(&mut v, "API_KEY"), Status::Exposed);
    assert!(report_open(&mut v));
    // Changing only the notes of an exposed item keeps it exposed.
    v.set_item(
        PROD,
        "API_KEY",
        coffer_vault::ItemUpdate {
            notes: Some("rotate me".into()),
            ..Default::default()
        },
    )
    .expect("notes");
    assert_eq!(status(&mut v, "API_KEY"), Status::Exposed);
    assert_verifies(&mut v);
}

#[test]
fn fail_importing_a_value_the_member_saw_clears_exposed() {
    let (_fx, mut v) = offboarded_bob();
    v.rotate_item(PROD, "API_KEY", secret(FRESH))
        .expect("rotate");
    v.import_items(PROD, vec![("API_KEY".into(), secret(API_V1))], true)
        .expect("import");
    assert_eq!(status(&mut v, "API_KEY"), Status::Exposed);
    assert!(report_open(&mut v));
    assert_verifies(&mut v);
}

#[test]
fn fail_a_seen_value_is_forgotten_by_a_later_new_epoch() {
    // A later re-key (here a new epoch started by hand; ungrant and
    // another offboarding do the same) re-tags the remembered values under
    // the new environment key.
    let (_fx, mut v) = offboarded_bob();
    v.rotate_item(PROD, "API_KEY", secret(FRESH))
        .expect("rotate");
    v.rekey_env(PROD).expect("new epoch");
    v.restore_version(PROD, "API_KEY", 2).expect("restore");
    assert_eq!(status(&mut v, "API_KEY"), Status::Exposed);
    assert_verifies(&mut v);
}

#[test]
fn fail_a_seen_value_set_again_under_a_new_item_is_not_recognised() {
    // The credential Bob saw is deleted, then its value comes back under a
    // new item (the same name or another): still the value Bob saw.
    let (_fx, mut v) = offboarded_bob();
    v.remove_item(PROD, "API_KEY").expect("delete");
    v.set_item(PROD, "API_KEY", value(API_V2))
        .expect("set again");
    assert_eq!(status(&mut v, "API_KEY"), Status::Exposed, "same name");
    v.set_item(PROD, "API_KEY_COPY", value(API_V1))
        .expect("another name");
    assert_eq!(
        status(&mut v, "API_KEY_COPY"),
        Status::Exposed,
        "other name"
    );
    // A fresh value under a new item is not exposed.
    v.set_item(PROD, "UNRELATED", value(FRESH)).expect("fresh");
    assert_ne!(status(&mut v, "UNRELATED"), Status::Exposed);
    // A writer's stored status is not what decides: the reader derives it.
    assert_verifies(&mut v);
}
