//! Personal overrides in the app (issue 11) through the plain commands, on
//! a real vault file with two real identities: the value goes in sealed,
//! names come back (never a value); the app's export applies the caller's
//! overrides and names them; revealing a row still shows the shared value;
//! the default policy refuses `prod*` and nothing changes; only an owner
//! or admin sets the policy; a teammate never sees another's override.
//!
//! One test function: it sets `HOME` and `TMPDIR` for the whole process.

use coffer_desktop::commands as c;
use coffer_desktop::dto::*;
use coffer_desktop::{IpcErrorCode, Session};
use coffer_vault::IdentityStore;

mod common;
use common::{ada_with_vault, add_env, confined, item, revealed, secret, set_value, Confined, PW};

const SHARED_DB: &str = "postgres://db.internal/team-7c1d";
const MY_DB: &str = "postgres://localhost/ada-only-5e2a";
const MY_FLAG: &str = "ada-local-flag-8b3f";
const BOB_PW: &str = "bob's own passphrase 42";

fn env_args(env: &str) -> EnvArgs {
    EnvArgs { env: env.into() }
}

fn set_override(
    s: &Session,
    env: &str,
    name: &str,
    value: &str,
) -> Result<SetOverrideOutcome, coffer_desktop::IpcError> {
    c::set_override(
        s,
        SetOverrideArgs {
            env: env.into(),
            name: name.into(),
            value: secret(s, "set_override", value),
        },
    )
}

fn names(s: &Session, env: &str) -> Vec<(String, bool, bool)> {
    c::list_overrides(
        s,
        ListOverridesArgs {
            env: Some(env.into()),
        },
    )
    .expect("list")
    .into_iter()
    .map(|o| (o.name, o.added, o.applies))
    .collect()
}

fn export(s: &Session, env: &str, path: &std::path::Path) -> ExportOutcome {
    c::export_env(
        s,
        ExportArgs {
            env: env.into(),
            format: "dotenv".into(),
            dialect: "portable".into(),
            path: path.display().to_string(),
            overwrite: true,
            write_anyway: true,
        },
    )
    .expect("export")
}

fn set_policy(
    s: &Session,
    env: &str,
    overrides: OverridePolicyDto,
) -> Result<EnvPolicyDto, coffer_desktop::IpcError> {
    c::set_env_policy(
        s,
        SetEnvPolicyArgs {
            env: env.into(),
            overrides,
        },
    )
}

fn unlock(s: &Session, pw: &str) {
    assert!(
        c::unlock(
            s,
            UnlockArgs::Password {
                password: secret(s, "unlock", pw),
            },
        )
        .expect("unlock")
        .unlocked
    );
}

#[test]
fn personal_overrides_from_the_app() {
    let Confined { dir, home, .. } = confined();
    let vault = home.join("vault.coffer");
    let ada = Session::new(dir.path().join("ada-home"), vault.clone());
    ada_with_vault(&ada, None, PW);
    add_env(&ada, "payments/dev");
    add_env(&ada, "payments/prod");
    set_value(&ada, "payments/dev", "DATABASE_URL", SHARED_DB);
    set_value(&ada, "payments/dev", "PORT", "8080");
    set_value(&ada, "payments/prod", "DATABASE_URL", SHARED_DB);

    // Nothing yet; the default policy: allowed in dev, not in prod.
    assert!(names(&ada, "payments/dev").is_empty());
    let dev = c::env_policy(&ada, env_args("payments/dev")).expect("policy");
    assert_eq!(
        (dev.overrides, dev.overrides_allowed, dev.can_change),
        (OverridePolicyDto::Default, true, true)
    );
    let prod = c::env_policy(&ada, env_args("payments/prod")).expect("policy");
    assert_eq!(
        (prod.overrides, prod.overrides_allowed),
        (OverridePolicyDto::Default, false)
    );

    // Created from a row (the value sealed), then one the environment lacks.
    let out = set_override(&ada, "payments/dev", "DATABASE_URL", MY_DB).expect("set");
    assert!(out.created && !out.added);
    let out = set_override(&ada, "payments/dev", "LOCAL_FLAG", MY_FLAG).expect("set");
    assert!(out.created && out.added);
    let out = set_override(&ada, "payments/dev", "DATABASE_URL", MY_DB).expect("change");
    assert!(!out.created);
    let list = c::list_overrides(&ada, ListOverridesArgs { env: None }).expect("list");
    let json = serde_json::to_string(&list).expect("json");
    assert!(
        !json.contains(MY_DB) && !json.contains(MY_FLAG),
        "a value crossed IPC"
    );
    // Every environment's at once (the window's search shows the badges).
    assert!(list.iter().all(|o| o.env == "payments/dev") && list.len() == 2);
    assert_eq!(
        names(&ada, "payments/dev"),
        vec![
            ("DATABASE_URL".into(), false, true),
            ("LOCAL_FLAG".into(), true, true)
        ]
    );

    // The row's reveal is the team's value (the detail pane says the
    // override replaces it in run and export).
    assert_eq!(
        revealed(&ada, "payments/dev", "DATABASE_URL").expect("reveal"),
        SHARED_DB
    );

    // The export applies the overrides and names them (never values).
    let file = home.join("dev.env");
    let out = export(&ada, "payments/dev", &file);
    assert_eq!(out.variables, 3);
    assert_eq!(out.overridden, vec!["DATABASE_URL".to_string()]);
    assert_eq!(out.added, vec!["LOCAL_FLAG".to_string()]);
    let text = std::fs::read_to_string(&file).expect("read");
    assert!(text.contains(MY_DB) && text.contains(MY_FLAG) && !text.contains(SHARED_DB));
    // A second export names them again (not left over, not lost).
    assert_eq!(
        export(&ada, "payments/dev", &file).overridden,
        vec!["DATABASE_URL".to_string()]
    );

    // Prod: refused by the default policy, with the way out, and nothing
    // changes; an unsealed value never reaches the command.
    let e = set_override(&ada, "payments/prod", "DATABASE_URL", MY_DB).expect_err("prod");
    assert_eq!(e.code, IpcErrorCode::Conflict);
    assert!(
        e.message.contains("forbids personal overrides"),
        "{}",
        e.message
    );
    assert!(names(&ada, "payments/prod").is_empty());
    let plain = serde_json::from_value::<SetOverrideArgs>(serde_json::json!({
        "env": "payments/dev", "name": "X", "value": "in the clear"
    }));
    assert!(plain.is_err());
    // Sealed for another command (`set_item`): it does not open here.
    let e = c::set_override(
        &ada,
        SetOverrideArgs {
            env: "payments/dev".into(),
            name: "OTHER".into(),
            value: secret(&ada, "set_item", MY_DB),
        },
    )
    .expect_err("bound to its command");
    assert!(!e.message.contains(MY_DB));
    assert_eq!(names(&ada, "payments/dev").len(), 2, "nothing changed");
    let bad = set_override(&ada, "payments/dev", "not a key", "v").expect_err("key");
    assert_eq!(bad.code, IpcErrorCode::InvalidInput);

    // Bob, a member who writes dev and prod: sees his own overrides only,
    // reads the policy but may not change it.
    c::lock(&ada).expect("lock");
    let bob = Session::new(dir.path().join("bob-home"), vault);
    c::create_identity(
        &bob,
        CreateIdentityArgs {
            name: "Bob".into(),
            email: None,
            password: secret(&bob, "create_identity", BOB_PW),
            enable_keychain: false,
        },
    )
    .expect("bob");
    c::lock(&bob).expect("lock");
    let me = IdentityStore::load(&bob.home)
        .expect("load")
        .unlock_with_password(&coffer_crypto::SecretString::new(BOB_PW.into()))
        .expect("unlock bob");
    unlock(&ada, PW);
    c::add_member(
        &ada,
        AddMemberArgs {
            public_identity: me.public_identity_string(),
            name: "bob".into(),
            role: MemberRole::Member,
            grants: ["payments/dev", "payments/prod"]
                .map(|e| GrantDto {
                    env: e.into(),
                    access: AccessLevel::Write,
                })
                .into(),
            fingerprint: me.public().fingerprint(),
        },
    )
    .expect("add bob");
    c::lock(&ada).expect("lock");
    unlock(&bob, BOB_PW);
    assert!(names(&bob, "payments/dev").is_empty());
    let bob_file = dir.path().join("home/bob.env");
    let out = export(&bob, "payments/dev", &bob_file);
    assert!(out.overridden.is_empty() && out.added.is_empty());
    assert!(std::fs::read_to_string(&bob_file)
        .expect("read")
        .contains(SHARED_DB));
    let p = c::env_policy(&bob, env_args("payments/prod")).expect("policy");
    assert!(!p.can_change);
    let e = set_policy(&bob, "payments/prod", OverridePolicyDto::Allow).expect_err("not an admin");
    assert_eq!(e.code, IpcErrorCode::Permission);
    c::lock(&bob).expect("lock");

    // Ada (the owner) allows them in prod, then forbids them in dev: her
    // dev overrides stay listed, not applied, and the export uses the
    // shared values.
    unlock(&ada, PW);
    let p = set_policy(&ada, "payments/prod", OverridePolicyDto::Allow).expect("allow");
    assert_eq!(
        (p.overrides, p.overrides_allowed),
        (OverridePolicyDto::Allow, true)
    );
    set_override(&ada, "payments/prod", "DATABASE_URL", MY_DB).expect("now allowed");
    set_policy(&ada, "payments/dev", OverridePolicyDto::Forbid).expect("forbid");
    assert_eq!(
        names(&ada, "payments/dev"),
        vec![
            ("DATABASE_URL".into(), false, false),
            ("LOCAL_FLAG".into(), true, false)
        ]
    );
    let out = export(&ada, "payments/dev", &file);
    assert!(out.overridden.is_empty() && out.added.is_empty());
    assert!(std::fs::read_to_string(&file)
        .expect("read")
        .contains(SHARED_DB));

    // Removing: allowed whatever the policy; a second time is not_found.
    c::remove_override(&ada, item("payments/dev", "DATABASE_URL")).expect("remove");
    let e = c::remove_override(&ada, item("payments/dev", "DATABASE_URL")).expect_err("gone");
    assert_eq!(e.code, IpcErrorCode::NotFound);
    assert_eq!(names(&ada, "payments/dev").len(), 1);

    // Locked: said, nothing read.
    c::lock(&ada).expect("lock");
    let e = c::list_overrides(&ada, ListOverridesArgs { env: None }).expect_err("locked");
    assert_eq!(e.code, IpcErrorCode::Locked);
}
