//! The team commands over a real vault on disk with TWO real identities,
//! each in its own device home (as two people on two machines sharing the
//! vault file): adding with fingerprint confirmation, the access matrix as
//! the second identity sees it, entry shares, offboarding with progress
//! (after which the ex-member opens nothing), and the exposure report and
//! its export. Access is checked by unlocking as the person concerned.

use std::path::Path;

use coffer_desktop::commands as c;
use coffer_desktop::dto::*;
use coffer_desktop::{IpcErrorCode, Session};
use coffer_vault::IdentityStore;

mod common;
use common::{ada_with_vault, item, secret};

const ADA_PW: &str = "correct horse battery";
const BOB_PW: &str = "bob's own passphrase 42";

fn set(s: &Session, env: &str, name: &str, value: &str, url: Option<&str>) {
    c::set_item(
        s,
        SetItemArgs {
            env: env.into(),
            name: name.into(),
            value: Some(secret(s, "set_item", value)),
            notes: Some(format!("{name} notes")),
            url: url.map(Into::into),
            username: None,
            rotate_every: None,
            expires: None,
        },
    )
    .expect("set");
}

fn env(s: &Session, path: &str) {
    c::add_env(
        s,
        AddEnvArgs {
            path: path.into(),
            rotate_every: None,
        },
    )
    .expect("env");
}

fn unlock(s: &Session, pw: &str) {
    let st = c::unlock(
        s,
        UnlockArgs::Password {
            password: secret(s, "unlock", pw),
        },
    )
    .expect("unlock");
    assert!(st.unlocked);
}

/// Ada's session (owner; vault with payments/prod and payments/dev) and
/// Bob's (his own home; identity created, not a member yet), both locked.
/// Returns Bob's public identity string and fingerprint.
fn two_people(dir: &Path) -> (Session, Session, String, String) {
    let vault = dir.join("shared/vault.coffer");
    std::fs::create_dir_all(dir.join("shared")).expect("dir");
    let ada = Session::new(dir.join("ada-home"), vault.clone());
    let bob = Session::new(dir.join("bob-home"), vault);
    ada_with_vault(&ada, Some("ada@example.com"), ADA_PW);
    env(&ada, "payments/prod");
    env(&ada, "payments/dev");
    set(
        &ada,
        "payments/prod",
        "STRIPE_KEY",
        "sk_live_1",
        Some("https://dashboard.stripe.com"),
    );
    set(&ada, "payments/prod", "WEBHOOK_SECRET", "whsec_1", None);
    set(&ada, "payments/dev", "SESSION_SECRET", "dev-secret", None);
    c::lock(&ada).expect("lock");

    c::create_identity(
        &bob,
        CreateIdentityArgs {
            name: "Bob Builder".into(),
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
    let public = me.public_identity_string();
    let fp = me.public().fingerprint();
    (ada, bob, public, fp)
}

fn add_bob(ada: &Session, public: &str, fp: &str, grants: Vec<GrantDto>) -> MemberDto {
    c::add_member(
        ada,
        AddMemberArgs {
            public_identity: public.into(),
            name: "bob".into(),
            role: MemberRole::Member,
            grants,
            fingerprint: fp.into(),
        },
    )
    .expect("add bob")
}

fn reveal(s: &Session, env: &str, name: &str) -> Result<String, IpcErrorCode> {
    common::revealed(s, env, name).map_err(|e| e.code)
}

#[test]
fn add_member_checks_the_pasted_identity_and_the_confirmed_fingerprint() {
    let dir = tempfile::tempdir().expect("tmp");
    let (ada, _bob, public, fp) = two_people(dir.path());
    unlock(&ada, ADA_PW);

    // Inspect first: the fingerprint and the name the teammate chose.
    let p = c::inspect_identity(
        &ada,
        InspectIdentityArgs {
            public_identity: format!("  {public}\n"),
        },
    )
    .expect("inspect");
    assert_eq!(
        (p.name.as_str(), p.fingerprint.as_str(), p.already_member),
        ("Bob Builder", fp.as_str(), None)
    );
    for bad in ["", "hello", &public[..30]] {
        let e = c::inspect_identity(
            &ada,
            InspectIdentityArgs {
                public_identity: bad.into(),
            },
        )
        .expect_err("bad identity");
        assert_eq!(e.code, IpcErrorCode::InvalidInput, "{bad}");
        assert!(
            e.message.starts_with("invalid public identity: "),
            "{}",
            e.message
        );
    }

    // A fingerprint that is not this identity's: refused, nothing added.
    let mut wrong = fp.clone();
    wrong.replace_range(
        0..4,
        if fp.starts_with("0000") {
            "1111"
        } else {
            "0000"
        },
    );
    let e = c::add_member(
        &ada,
        AddMemberArgs {
            public_identity: public.clone(),
            name: "bob".into(),
            role: MemberRole::Member,
            grants: vec![],
            fingerprint: wrong,
        },
    )
    .expect_err("wrong fingerprint");
    assert_eq!(e.code, IpcErrorCode::Integrity);
    assert!(e.message.contains("does not match"), "{}", e.message);
    assert_eq!(c::list_members(&ada).expect("ls").len(), 1);

    let bad_grant = c::add_member(
        &ada,
        AddMemberArgs {
            public_identity: public.clone(),
            name: "bob".into(),
            role: MemberRole::Member,
            grants: vec![GrantDto {
                env: "nope".into(),
                access: AccessLevel::Read,
            }],
            fingerprint: fp.clone(),
        },
    );
    assert_eq!(
        bad_grant.expect_err("bad env").code,
        IpcErrorCode::InvalidInput
    );

    // Confirmed (case and spacing do not matter): added.
    let m = add_bob(
        &ada,
        &public,
        &fp.to_lowercase().replace('-', " "),
        vec![GrantDto {
            env: "payments/dev".into(),
            access: AccessLevel::Write,
        }],
    );
    assert_eq!(
        (m.name.as_str(), m.role, m.revoked, m.is_me),
        ("bob", MemberRole::Member, false, false)
    );
    assert_eq!(m.fingerprint, fp);
    assert_eq!(m.added_by.as_deref(), Some("Ada"));
    let ms = c::list_members(&ada).expect("ls");
    assert_eq!(
        ms.iter()
            .map(|m| (m.name.as_str(), m.is_me))
            .collect::<Vec<_>>(),
        [("Ada", true), ("bob", false)]
    );
    let again = c::inspect_identity(
        &ada,
        InspectIdentityArgs {
            public_identity: public.clone(),
        },
    )
    .expect("inspect");
    assert_eq!(again.already_member.as_deref(), Some("bob"));
    let dup = c::add_member(
        &ada,
        AddMemberArgs {
            public_identity: public,
            name: "bobby".into(),
            role: MemberRole::Reader,
            grants: vec![],
            fingerprint: fp,
        },
    );
    assert_eq!(dup.expect_err("twice").code, IpcErrorCode::Conflict);
}

#[test]
fn the_access_matrix_and_shares_are_what_the_second_identity_can_read() {
    let dir = tempfile::tempdir().expect("tmp");
    let (ada, bob, public, fp) = two_people(dir.path());
    unlock(&ada, ADA_PW);
    add_bob(&ada, &public, &fp, vec![]);
    let cell = |env: &str, access: AccessLevel| {
        c::set_access(
            &ada,
            SetAccessArgs {
                member: "bob".into(),
                env: env.into(),
                access,
            },
        )
    };
    let m = cell("payments/prod", AccessLevel::Read).expect("read");
    assert_eq!(
        m.grants,
        [GrantDto {
            env: "payments/prod".into(),
            access: AccessLevel::Read
        }]
    );
    // An owner always holds every key: not editable.
    let e = c::set_access(
        &ada,
        SetAccessArgs {
            member: "Ada".into(),
            env: "payments/prod".into(),
            access: AccessLevel::None,
        },
    )
    .expect_err("owner");
    assert_eq!(e.code, IpcErrorCode::Conflict);
    assert_eq!(
        cell("no slash", AccessLevel::Read).expect_err("path").code,
        IpcErrorCode::InvalidInput
    );

    // Share one dev credential with bob (he has no grant on dev).
    let sh = c::item_sharing(&ada, item("payments/dev", "SESSION_SECRET")).expect("sharing");
    assert_eq!(sh.candidates, ["bob"]);
    let sh = c::share_item(
        &ada,
        ShareArgs {
            env: "payments/dev".into(),
            name: "SESSION_SECRET".into(),
            member: "bob".into(),
        },
    )
    .expect("share");
    assert_eq!(sh.shared_with, ["bob"]);
    let e = c::share_item(
        &ada,
        ShareArgs {
            env: "payments/prod".into(),
            name: "STRIPE_KEY".into(),
            member: "bob".into(),
        },
    )
    .expect_err("bob reads all of prod");
    assert_eq!(e.code, IpcErrorCode::Conflict);
    c::lock(&ada).expect("lock");

    // Bob, on his own device: prod read-only, one dev credential.
    unlock(&bob, BOB_PW);
    assert_eq!(
        reveal(&bob, "payments/prod", "STRIPE_KEY"),
        Ok("sk_live_1".into())
    );
    assert_eq!(
        reveal(&bob, "payments/dev", "SESSION_SECRET"),
        Ok("dev-secret".into())
    );
    let write = c::set_item(
        &bob,
        SetItemArgs {
            env: "payments/prod".into(),
            name: "STRIPE_KEY".into(),
            value: Some(secret(&bob, "set_item", "bob-was-here")),
            notes: None,
            url: None,
            username: None,
            rotate_every: None,
            expires: None,
        },
    );
    assert_eq!(write.expect_err("read only").code, IpcErrorCode::Permission);
    c::lock(&bob).expect("lock");

    // Write on prod, unshare dev: Bob writes prod and no longer reads dev.
    unlock(&ada, ADA_PW);
    cell("payments/prod", AccessLevel::Write).expect("write");
    let sh = c::unshare_item(
        &ada,
        ShareArgs {
            env: "payments/dev".into(),
            name: "SESSION_SECRET".into(),
            member: "bob".into(),
        },
    )
    .expect("unshare");
    assert!(sh.shared_with.is_empty());
    c::lock(&ada).expect("lock");
    unlock(&bob, BOB_PW);
    set(&bob, "payments/prod", "BOB_TOKEN", "bob-token", None);
    assert_eq!(
        reveal(&bob, "payments/dev", "SESSION_SECRET"),
        Err(IpcErrorCode::Permission)
    );
    c::lock(&bob).expect("lock");

    // None: the environment is re-keyed; Bob reads nothing there any more.
    unlock(&ada, ADA_PW);
    let m = cell("payments/prod", AccessLevel::None).expect("none");
    assert!(m.grants.is_empty());
    let r = c::set_member_role(
        &ada,
        SetRoleArgs {
            name: "bob".into(),
            role: MemberRole::Reader,
        },
    )
    .expect("role");
    assert_eq!(r.role, MemberRole::Reader);
    c::lock(&ada).expect("lock");
    unlock(&bob, BOB_PW);
    assert_eq!(
        reveal(&bob, "payments/prod", "STRIPE_KEY"),
        Err(IpcErrorCode::Permission)
    );
}

#[test]
fn offboarding_through_the_commands_leaves_the_ex_member_nothing() {
    let dir = tempfile::tempdir().expect("tmp");
    let (ada, bob, public, fp) = two_people(dir.path());
    unlock(&ada, ADA_PW);
    add_bob(
        &ada,
        &public,
        &fp,
        vec![GrantDto {
            env: "payments/prod".into(),
            access: AccessLevel::Read,
        }],
    );
    c::share_item(
        &ada,
        ShareArgs {
            env: "payments/dev".into(),
            name: "SESSION_SECRET".into(),
            member: "bob".into(),
        },
    )
    .expect("share");

    let p = c::offboard_preview(&ada, MemberRef { name: "bob".into() }).expect("preview");
    assert_eq!(p.refusal, None);
    assert_eq!(p.rekey.len(), 1);
    assert_eq!(p.rekey[0].env, "payments/prod");
    assert_eq!(p.rekey[0].keep_access, ["Ada"]);
    assert_eq!(
        p.exposed,
        [
            "payments/dev/SESSION_SECRET",
            "payments/prod/STRIPE_KEY",
            "payments/prod/WEBHOOK_SECRET"
        ]
    );
    let me = c::offboard_preview(&ada, MemberRef { name: "Ada".into() }).expect("self");
    assert_eq!(
        me.refusal.as_deref(),
        Some("you cannot offboard yourself; ask another owner or admin")
    );
    let e = c::offboard_member(
        &ada,
        OffboardArgs {
            name: "Ada".into(),
            confirm_name: "Ada".into(),
        },
    )
    .expect_err("self");
    assert_eq!(e.code, IpcErrorCode::Conflict);
    let e = c::offboard_member(
        &ada,
        OffboardArgs {
            name: "bob".into(),
            confirm_name: "Bob".into(),
        },
    )
    .expect_err("not confirmed");
    assert_eq!(e.code, IpcErrorCode::InvalidInput);
    assert!(!c::offboard_progress(&ada).expect("progress").running);

    let report = c::offboard_member(
        &ada,
        OffboardArgs {
            name: "bob".into(),
            confirm_name: "bob".into(),
        },
    )
    .expect("offboard");
    let prog = c::offboard_progress(&ada).expect("progress");
    assert!(!prog.running);
    assert_eq!(prog.member.as_deref(), Some("bob"));
    assert_eq!((prog.done, prog.total), (2, 2), "payments/prod's two items");
    assert_eq!(report.open, 3);
    let keys: Vec<(&str, &str, bool)> = report
        .items
        .iter()
        .map(|i| (i.env.as_str(), i.key.as_str(), i.open))
        .collect();
    assert_eq!(
        keys,
        [
            ("payments/dev", "SESSION_SECRET", true),
            ("payments/prod", "STRIPE_KEY", true),
            ("payments/prod", "WEBHOOK_SECRET", true)
        ]
    );
    assert_eq!(
        report.items[1].url.as_deref(),
        Some("https://dashboard.stripe.com")
    );
    assert_eq!(report.items[1].others_with_access, ["Ada"]);
    let ms = c::list_members(&ada).expect("ls");
    assert!(ms
        .iter()
        .any(|m| m.name == "bob" && m.revoked && m.revoked_at.is_some()));
    let e = c::offboard_preview(&ada, MemberRef { name: "bob".into() }).expect_err("gone");
    assert_eq!(e.code, IpcErrorCode::Conflict);

    // The report ticks itself: rotate one, fetch it again.
    c::rotate_item(
        &ada,
        RotateItemArgs {
            env: "payments/prod".into(),
            name: "STRIPE_KEY".into(),
            value: Some(secret(&ada, "rotate_item", "sk_live_2")),
            generate: None,
            expires: None,
            no_expiry: false,
        },
    )
    .expect("rotate");
    let again = c::exposure_report(&ada, MemberRef { name: "bob".into() }).expect("report");
    assert_eq!(again.open, 2);
    assert!(
        !again
            .items
            .iter()
            .find(|i| i.key == "STRIPE_KEY")
            .expect("stripe")
            .open
    );
    c::lock(&ada).expect("lock");

    // Bob, on his device: nothing opens.
    match c::unlock(
        &bob,
        UnlockArgs::Password {
            password: secret(&bob, "unlock", BOB_PW),
        },
    ) {
        Err(e) => assert_ne!(e.code, IpcErrorCode::Internal, "{}", e.message),
        Ok(_) => {
            for (env, name) in [
                ("payments/prod", "STRIPE_KEY"),
                ("payments/prod", "WEBHOOK_SECRET"),
                ("payments/dev", "SESSION_SECRET"),
            ] {
                assert!(reveal(&bob, env, name).is_err(), "bob reads {env}/{name}");
            }
            let items = c::list_items(&bob, ListItemsArgs { scope: None });
            assert!(items.map(|i| i.is_empty()).unwrap_or(true));
        }
    }
}

#[test]
fn the_report_is_saved_atomically_0600_and_never_over_a_file_unasked() {
    let dir = tempfile::tempdir().expect("tmp");
    let (ada, _bob, public, fp) = two_people(dir.path());
    unlock(&ada, ADA_PW);
    add_bob(
        &ada,
        &public,
        &fp,
        vec![GrantDto {
            env: "payments/prod".into(),
            access: AccessLevel::Read,
        }],
    );
    c::offboard_member(
        &ada,
        OffboardArgs {
            name: "bob".into(),
            confirm_name: "bob".into(),
        },
    )
    .expect("offboard");
    let out = dir.path().join("reports");
    std::fs::create_dir(&out).expect("dir");
    let save = |path: &Path, format: ReportFormat, overwrite: bool| {
        c::save_exposure_report(
            &ada,
            SaveReportArgs {
                member: "bob".into(),
                format,
                path: path.display().to_string(),
                overwrite,
            },
        )
    };
    let md = out.join("bob.md");
    let saved = save(&md, ReportFormat::Markdown, false).expect("md");
    assert_eq!(saved.path, md.display().to_string());
    let text = std::fs::read_to_string(&md).expect("read");
    assert_eq!(saved.bytes, text.len() as u64);
    assert!(
        text.starts_with(
            "# Exposure report: bob
"
        ),
        "{text}"
    );
    assert!(text.contains("## payments/prod"));
    assert!(text.contains("- [ ] `STRIPE_KEY`"));
    assert!(text.contains("https://dashboard.stripe.com"));
    assert!(!text.contains("sk_live_1"), "no values in the report");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&md).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    let e = save(&md, ReportFormat::Csv, false).expect_err("exists");
    assert_eq!(e.code, IpcErrorCode::Conflict);
    assert!(e.message.contains("already exists"), "{}", e.message);
    assert_eq!(
        std::fs::read_to_string(&md).expect("read"),
        text,
        "unchanged"
    );
    save(&md, ReportFormat::Csv, true).expect("overwrite");
    let csv = std::fs::read_to_string(&md).expect("read");
    assert!(csv.starts_with(
        "environment,key,rotated,last_rotated,url,notes,others_with_access
"
    ));
    assert!(
        csv.contains(r#""payments/prod","STRIPE_KEY",false,"#),
        "{csv}"
    );
    assert_eq!(csv.lines().count(), 3);

    for (bad, code) in [
        ("relative.md", IpcErrorCode::InvalidInput),
        ("", IpcErrorCode::InvalidInput),
    ] {
        let e = save(Path::new(bad), ReportFormat::Markdown, false).expect_err(bad);
        assert_eq!(e.code, code, "{bad}");
    }
    assert_eq!(
        save(&out, ReportFormat::Markdown, true)
            .expect_err("a folder")
            .code,
        IpcErrorCode::InvalidInput
    );
    assert_eq!(
        save(&dir.path().join("nope/x.md"), ReportFormat::Markdown, false)
            .expect_err("no folder")
            .code,
        IpcErrorCode::NotFound
    );
    let leftovers: Vec<_> = std::fs::read_dir(&out)
        .expect("ls")
        .map(|e| e.expect("entry").file_name())
        .collect();
    assert_eq!(leftovers, [std::ffi::OsString::from("bob.md")]);
    // Not offboarded: no report.
    let e = c::exposure_report(&ada, MemberRef { name: "Ada".into() }).expect_err("none");
    assert_eq!(e.code, IpcErrorCode::NotFound);
}
