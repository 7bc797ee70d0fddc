//! The commands over a real vault in a temp dir, without a window: the
//! first-run flow, validation, errors and locking.

use coffer_desktop::commands as c;
use coffer_desktop::dto::*;
use coffer_desktop::{IpcErrorCode, Session};

mod common;
use common::{item, secret};

fn set(s: &Session, env: &str, name: &str, value: &str) -> SetItemArgs {
    SetItemArgs {
        env: env.into(),
        name: name.into(),
        value: Some(secret(s, "set_item", value)),
        notes: Some("rotate in the dashboard".into()),
        url: None,
        username: None,
        rotate_every: None,
        expires: None,
    }
}

#[test]
fn first_run_edit_rotate_lock_unlock() {
    // Debug builds honour this: the identity is created at the KDF floor.
    std::env::set_var("COFFER_TEST_KDF_FLOOR", "1");
    let dir = tempfile::tempdir().expect("tmp");
    let s = Session::new(
        dir.path().join("home"),
        dir.path().join("home/vault.coffer"),
    );

    let st = c::app_status(&s).expect("status");
    assert!(st.identity.is_none() && !st.vault_exists && !st.unlocked);
    assert_eq!(
        c::list_envs(&s).expect_err("locked").code,
        IpcErrorCode::Locked
    );

    let out = c::create_identity(
        &s,
        CreateIdentityArgs {
            name: "Ada".into(),
            email: Some("ada@example.com".into()),
            password: secret(&s, "create_identity", "correct horse battery"),
            enable_keychain: false,
        },
    )
    .expect("identity");
    assert!(out.status.identity_unlocked && !out.status.unlocked);
    assert!(out.keychain_error.is_none());

    let st = c::create_vault(
        &s,
        CreateVaultArgs {
            team_name: "Acme".into(),
        },
    )
    .expect("vault");
    assert!(st.unlocked && st.vault_exists);
    assert_eq!(st.vault_name.as_deref(), Some("Acme"));

    // The vault validates its own arguments.
    let bad = c::add_env(
        &s,
        AddEnvArgs {
            path: "no slash".into(),
            rotate_every: None,
        },
    );
    assert_eq!(bad.expect_err("bad path").code, IpcErrorCode::InvalidInput);
    let bad = c::add_env(
        &s,
        AddEnvArgs {
            path: "a/b".into(),
            rotate_every: Some("soon".into()),
        },
    );
    assert_eq!(bad.expect_err("bad days").code, IpcErrorCode::InvalidInput);
    let env = c::add_env(
        &s,
        AddEnvArgs {
            path: "payments/prod".into(),
            rotate_every: Some("90d".into()),
        },
    )
    .expect("env");
    assert_eq!(
        (env.path.as_str(), env.rotate_every_days),
        ("payments/prod", Some(90))
    );
    c::add_env(
        &s,
        AddEnvArgs {
            path: "payments/dev".into(),
            rotate_every: None,
        },
    )
    .expect("env");
    assert_eq!(c::list_envs(&s).expect("envs").len(), 2);

    assert_eq!(
        c::set_item(&s, set(&s, "payments/prod", "1BAD", "x"))
            .expect_err("key")
            .code,
        IpcErrorCode::InvalidInput
    );
    let o = c::set_item(&s, set(&s, "payments/prod", "STRIPE_KEY", "sk_live_1")).expect("set");
    assert!(o.created);
    c::set_item(&s, set(&s, "payments/dev", "SESSION_SECRET", "dev-secret")).expect("set");

    let items = c::list_items(&s, ListItemsArgs { scope: None }).expect("items");
    assert_eq!(items.len(), 2);
    let json = serde_json::to_string(&items).expect("json");
    assert!(!json.contains("sk_live_1"), "listings never carry values");

    // The value crosses sealed to the page: the JSON holds no plaintext.
    let page = common::page(&s);
    let v = c::reveal_item(&s, item("payments/prod", "STRIPE_KEY")).expect("reveal");
    let json = serde_json::to_value(&v).expect("json");
    assert!(!json.to_string().contains("sk_live_1"), "{json}");
    assert_eq!(page.open("reveal_item", &json["value"]), "sk_live_1");
    assert_eq!(
        c::reveal_item(&s, item("payments/prod", "NOPE"))
            .err()
            .map(|e| e.code),
        Some(IpcErrorCode::NotFound)
    );

    let r = c::rotate_item(
        &s,
        RotateItemArgs {
            env: "payments/prod".into(),
            name: "STRIPE_KEY".into(),
            value: None,
            generate: Some(GenerateArgs {
                length: 32,
                charset: "alnum".into(),
            }),
            expires: None,
            no_expiry: false,
        },
    )
    .expect("rotate");
    assert!(r.value_changed && r.version == 2);
    let h = c::item_history(&s, item("payments/prod", "STRIPE_KEY")).expect("history");
    assert_eq!(h.iter().map(|e| e.version).collect::<Vec<_>>(), [2, 1]);
    let both = c::rotate_item(
        &s,
        RotateItemArgs {
            env: "payments/prod".into(),
            name: "STRIPE_KEY".into(),
            value: Some(secret(&s, "rotate_item", "x")),
            generate: Some(GenerateArgs {
                length: 32,
                charset: "alnum".into(),
            }),
            expires: None,
            no_expiry: false,
        },
    );
    assert_eq!(both.expect_err("both").code, IpcErrorCode::InvalidInput);

    // An environment's shortest generated value (issue 12): the value the
    // app generated above (32 characters) is named by the hygiene report
    // once the policy asks for 40; generating shorter is refused; a
    // generated rotation at the policy's length ends the finding.
    s.with_vault(|v| v.set_env_min_generated("payments/prod", Some(40)))
        .expect("policy");
    let short = |s: &Session| {
        c::hygiene_report(s, HygieneArgs { scope: None })
            .expect("lint")
            .into_iter()
            .filter(|f| f.kind == "short")
            .flat_map(|f| f.credentials)
            .map(|c| format!("{}/{}", c.env_path, c.name))
            .collect::<Vec<_>>()
    };
    assert_eq!(short(&s), ["payments/prod/STRIPE_KEY"]);
    let generate = |length: u32| {
        c::rotate_item(
            &s,
            RotateItemArgs {
                env: "payments/prod".into(),
                name: "STRIPE_KEY".into(),
                value: None,
                generate: Some(GenerateArgs {
                    length,
                    charset: "alnum".into(),
                }),
                expires: None,
                no_expiry: false,
            },
        )
    };
    let refused = generate(32).expect_err("shorter than the policy");
    assert_eq!(refused.code, IpcErrorCode::InvalidInput);
    assert!(
        refused.message.contains("at least 40"),
        "{}",
        refused.message
    );
    generate(40).expect("at the policy's length");
    assert!(short(&s).is_empty());
    s.with_vault(|v| v.set_env_min_generated("payments/prod", None))
        .expect("no policy");

    // A provider expiry belongs to the old value: rotating must say the
    // new value's (or that it has none); the old one is never carried over.
    c::set_item(
        &s,
        SetItemArgs {
            value: None,
            expires: Some("2030-06-30".into()),
            ..set(&s, "payments/prod", "STRIPE_KEY", "")
        },
    )
    .expect("expiry");
    let rotate = |expires: Option<&str>, no_expiry: bool| {
        c::rotate_item(
            &s,
            RotateItemArgs {
                env: "payments/prod".into(),
                name: "STRIPE_KEY".into(),
                value: None,
                generate: Some(GenerateArgs {
                    length: 32,
                    charset: "alnum".into(),
                }),
                expires: expires.map(Into::into),
                no_expiry,
            },
        )
    };
    let kept = rotate(None, false).expect_err("the old expiry kept");
    assert_eq!(kept.code, IpcErrorCode::InvalidInput);
    assert!(
        kept.message.contains("new value's expiry"),
        "{}",
        kept.message
    );
    assert_eq!(
        rotate(Some("31/01/2031"), false)
            .expect_err("bad date")
            .code,
        IpcErrorCode::InvalidInput
    );
    let r = rotate(Some("2031-01-31"), false).expect("rotate with the new expiry");
    assert!(r.value_changed);
    rotate(None, true).expect("rotate to no expiry");
    rotate(None, false).expect("nothing to carry over now");

    let report = c::rotation_list(
        &s,
        RotationListArgs {
            due_soon_days: Some(120),
        },
    )
    .expect("rot");
    assert_eq!(report.checked, 2);
    assert_eq!(report.counts.due_soon, 1, "prod rotates every 90 days");
    assert_eq!(report.items[0].name, "STRIPE_KEY");
    // The snapshot the main window loads agrees with the separate commands.
    let snap = c::vault_snapshot(
        &s,
        RotationListArgs {
            due_soon_days: Some(120),
        },
    )
    .expect("snapshot");
    let ids = |v: &[ItemDto]| v.iter().map(|i| i.id.clone()).collect::<Vec<_>>();
    assert_eq!(
        ids(&snap.items),
        ids(&c::list_items(&s, ListItemsArgs { scope: None }).expect("items"))
    );
    assert_eq!(snap.envs.len(), c::list_envs(&s).expect("envs").len());
    assert_eq!(ids(&snap.rotation.items), ids(&report.items));
    assert_eq!(snap.rotation.checked, report.checked);
    assert_eq!(snap.rotation.counts.due_soon, report.counts.due_soon);
    let too_wide = c::vault_snapshot(
        &s,
        RotationListArgs {
            due_soon_days: Some(400),
        },
    );
    assert_eq!(
        too_wide.err().map(|e| e.code),
        Some(IpcErrorCode::InvalidInput)
    );

    let g = c::generate_value(
        &s,
        GenerateArgs {
            length: 4,
            charset: "alnum".into(),
        },
    );
    assert_eq!(g.err().map(|e| e.code), Some(IpcErrorCode::InvalidInput));

    c::delete_item(&s, item("payments/dev", "SESSION_SECRET")).expect("delete");
    assert_eq!(
        c::list_items(
            &s,
            ListItemsArgs {
                scope: Some("payments/dev".into())
            }
        )
        .expect("ls")
        .len(),
        0
    );

    let st = c::lock(&s).expect("lock");
    assert!(!st.unlocked && !st.identity_unlocked);
    assert_eq!(
        c::list_items(&s, ListItemsArgs { scope: None })
            .err()
            .map(|e| e.code),
        Some(IpcErrorCode::Locked)
    );

    let wrong = c::unlock(
        &s,
        UnlockArgs::Password {
            password: secret(&s, "unlock", "wrong"),
        },
    );
    assert_eq!(wrong.expect_err("wrong").code, IpcErrorCode::Auth);
    let st = c::unlock(&s, UnlockArgs::Keychain).expect_err("no keychain slot");
    assert_eq!(st.code, IpcErrorCode::Keychain);
    let st = c::unlock(
        &s,
        UnlockArgs::Password {
            password: secret(&s, "unlock", "correct horse battery"),
        },
    )
    .expect("unlock");
    assert!(st.unlocked);
    assert_eq!(
        c::list_items(&s, ListItemsArgs { scope: None })
            .expect("items")
            .len(),
        1
    );
}

#[test]
fn rename_and_remove_an_environment_through_the_commands() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = Session::new(
        dir.path().join("home"),
        dir.path().join("home/vault.coffer"),
    );
    common::ada_with_vault(&s, None, "correct horse battery");
    for path in ["payments/prod", "payments/dev"] {
        c::add_env(
            &s,
            AddEnvArgs {
                path: path.into(),
                rotate_every: Some("90d".into()),
            },
        )
        .expect("env");
    }
    c::set_item(&s, set(&s, "payments/dev", "SESSION_SECRET", "dev-secret")).expect("set");
    let rename = |from: &str, to: &str| {
        c::rename_env(
            &s,
            RenameEnvArgs {
                from: from.into(),
                to: to.into(),
            },
        )
    };
    // Field errors come back typed.
    assert_eq!(
        rename("payments/dev", "payments/prod")
            .expect_err("taken")
            .code,
        IpcErrorCode::Conflict
    );
    assert_eq!(
        rename("payments/dev", "no slash").expect_err("bad").code,
        IpcErrorCode::InvalidInput
    );
    assert_eq!(
        rename("payments/nope", "payments/x")
            .expect_err("missing")
            .code,
        IpcErrorCode::NotFound
    );
    let e = rename(" payments/dev ", "payments/staging").expect("rename");
    assert_eq!(
        (e.path.as_str(), e.rotate_every_days, e.items),
        ("payments/staging", Some(90), 1)
    );
    assert_eq!(
        common::revealed(&s, "payments/staging", "SESSION_SECRET").expect("reveal"),
        "dev-secret"
    );
    // The confirmation lists what goes, by name, never a value.
    let scope = RemoveEnvArgs {
        scope: "payments/staging".into(),
    };
    let p = c::removal_preview(
        &s,
        RemoveEnvArgs {
            scope: scope.scope.clone(),
        },
    )
    .expect("preview");
    assert_eq!(p.envs.len(), 1);
    assert_eq!(p.envs[0].credentials, vec!["SESSION_SECRET"]);
    assert!(!serde_json::to_string(&p)
        .expect("json")
        .contains("dev-secret"));
    let r = c::remove_env(&s, scope).expect("remove");
    assert_eq!(r.removed, vec!["payments/staging"]);
    let envs: Vec<String> = c::list_envs(&s)
        .expect("envs")
        .into_iter()
        .map(|e| e.path)
        .collect();
    assert_eq!(envs, vec!["payments/prod"]);
    match c::reveal_item(&s, item("payments/staging", "SESSION_SECRET")) {
        Err(e) => assert_eq!(e.code, IpcErrorCode::NotFound),
        Ok(_) => panic!("a removed environment's value was revealed"),
    }
    assert_eq!(
        c::remove_env(
            &s,
            RemoveEnvArgs {
                scope: "payments/staging".into()
            }
        )
        .expect_err("gone")
        .code,
        IpcErrorCode::NotFound
    );
}
