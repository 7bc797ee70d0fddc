//! Sync through the commands, over real replicas on disk and a real sync
//! folder: Ada (owner) moves her vault to sync from the app; Bob, on his
//! own device, shows his public identity, previews the folder, is refused
//! until he is a member (and keeps his unlocked identity), joins with the
//! owner's confirmed fingerprint, and resolves a conflict from the app.

use std::path::Path;

use coffer_desktop::commands as c;
use coffer_desktop::dto::*;
use coffer_desktop::{IpcErrorCode, Session};

mod common;
use common::{ada_with_vault, secret};

const ADA_PW: &str = "correct horse battery";
const BOB_PW: &str = "bob's own passphrase 42";
const PROD: &str = "payments/prod";

fn set(s: &Session, name: &str, value: &str) {
    common::set_value(s, PROD, name, value);
}

fn reveal(s: &Session, name: &str) -> String {
    common::revealed(s, PROD, name).expect("reveal")
}

fn folder(dir: &Path) -> RemoteArgs {
    RemoteArgs {
        kind: RemoteKind::Folder,
        location: dir.join("team-sync").display().to_string(),
    }
}

/// Ada's session (owner of "Acme") with `payments/prod` holding API_KEY.
fn ada_with_prod(dir: &Path, api_key: &str) -> Session {
    let ada = Session::new(dir.join("ada-home"), dir.join("ada.coffer"));
    ada_with_vault(&ada, None, ADA_PW);
    c::add_env(
        &ada,
        AddEnvArgs {
            path: PROD.into(),
            rotate_every: None,
        },
    )
    .expect("env");
    set(&ada, "API_KEY", api_key);
    ada
}

fn conflict_of(s: &Session, name: &str) -> bool {
    c::list_items(s, ListItemsArgs { scope: None })
        .expect("list")
        .into_iter()
        .find(|i| i.name == name)
        .expect("item")
        .conflict
}

fn sync(s: &Session) -> SyncOutcomeDto {
    let o = c::sync_now(s).expect("sync");
    assert!(o.quarantined.is_empty() && o.denied.is_empty(), "{o:?}");
    o
}

#[test]
fn a_teammate_joins_from_the_app_and_resolves_a_conflict() {
    let dir = tempfile::tempdir().expect("tmp");
    let ada = ada_with_prod(dir.path(), "ada-value-1");
    let bob = Session::new(dir.path().join("bob-home"), dir.path().join("bob.coffer"));
    let st = c::sync_state(&ada).expect("state");
    assert!(!st.configured && st.remote.is_none(), "{st:?}");
    // A sync before a set-up says what to do.
    let e = c::sync_now(&ada).expect_err("not set up");
    assert_eq!(e.code, IpcErrorCode::NotFound, "{e:?}");
    assert!(e.message.contains("sync init"), "{}", e.message);
    // A git remote git would read as an option never reaches git.
    let e = c::sync_setup(
        &ada,
        RemoteArgs {
            kind: RemoteKind::Git,
            location: "--upload-pack=touch /tmp/pwned".into(),
        },
    )
    .expect_err("option as remote");
    assert_eq!(e.code, IpcErrorCode::InvalidInput, "{e:?}");
    let o = c::sync_setup(&ada, folder(dir.path())).expect("set up");
    assert!(o.published > 0, "{o:?}");
    assert!(o.state.configured, "{o:?}");
    assert_eq!(o.state.kind, Some(RemoteKind::Folder));
    assert_eq!(o.state.pending, 0);
    assert!(o.state.last_sync.is_some());
    let ada_fp = c::public_identity(&ada).expect("ada id").fingerprint;

    // Bob, on his device: identity, public identity to send to Ada.
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
    let me = c::public_identity(&bob).expect("bob's public identity");
    assert!(me.public.len() > 40, "{me:?}");
    let p = c::join_preview(&bob, folder(dir.path())).expect("preview");
    assert_eq!(p.vault_name, "Acme");
    assert_eq!(p.owner_fingerprint, ada_fp);
    // Not a member yet: refused, nothing on disk, still signed in.
    let join = |fp: &str| {
        c::join_vault(
            &bob,
            JoinArgs {
                remote: folder(dir.path()),
                owner_fingerprint: fp.into(),
            },
        )
    };
    let e = join(&ada_fp).expect_err("not a member");
    assert_eq!(e.code, IpcErrorCode::Permission, "{e:?}");
    assert!(e.message.contains("member add"), "{}", e.message);
    assert!(!bob.vault_path().exists());
    let st = c::app_status(&bob).expect("status");
    assert!(st.identity_unlocked && !st.unlocked, "{st:?}");

    // Ada adds him (write on prod) and syncs.
    c::add_member(
        &ada,
        AddMemberArgs {
            public_identity: me.public.clone(),
            name: "Bob".into(),
            role: MemberRole::Member,
            grants: vec![GrantDto {
                env: PROD.into(),
                access: AccessLevel::Write,
            }],
            fingerprint: me.fingerprint.clone(),
        },
    )
    .expect("add bob");
    sync(&ada);
    // A fingerprint that is not the owner's: refused, nothing written.
    let e = join("0000 0000 0000 0000").expect_err("wrong fingerprint");
    assert_eq!(e.code, IpcErrorCode::Conflict, "{e:?}");
    assert!(!bob.vault_path().exists());
    // Grouping and case do not matter; the owner's does.
    let st = join(&ada_fp.to_uppercase()).expect("join");
    assert!(
        st.unlocked && st.vault_name.as_deref() == Some("Acme"),
        "{st:?}"
    );
    assert_eq!(reveal(&bob, "API_KEY"), "ada-value-1");
    assert!(c::sync_state(&bob).expect("state").configured);

    // Concurrent edits: each device writes before seeing the other's.
    set(&ada, "API_KEY", "ada-value-2");
    set(&bob, "API_KEY", "bob-value-2");
    sync(&bob);
    sync(&ada);
    sync(&bob);
    assert!(conflict_of(&ada, "API_KEY") && conflict_of(&bob, "API_KEY"));
    let hidden = c::item_conflicts(
        &bob,
        ConflictArgs {
            env: PROD.into(),
            name: "API_KEY".into(),
            reveal: false,
        },
    )
    .expect("conflicts");
    let json = serde_json::to_value(&hidden).expect("json");
    assert!(json["current"]["value"].is_null(), "{json}");
    assert_eq!(json["waiting"].as_array().map(Vec::len), Some(1), "{json}");
    assert!(json["waiting"][0]["value"].is_null(), "{json}");
    let page = common::page(&bob);
    let shown = serde_json::to_value(
        c::item_conflicts(
            &bob,
            ConflictArgs {
                env: PROD.into(),
                name: "API_KEY".into(),
                reveal: true,
            },
        )
        .expect("conflicts"),
    )
    .expect("json");
    let mut both = [
        page.open("item_conflicts", &shown["current"]["value"]),
        page.open("item_conflicts", &shown["waiting"][0]["value"]),
    ];
    let kept = both[1].clone();
    both.sort();
    assert_eq!(both, ["ada-value-2", "bob-value-2"]);
    // Bob keeps the waiting one; every device ends with it, no conflict.
    let e = c::resolve_conflict(
        &bob,
        ResolveArgs {
            env: PROD.into(),
            name: "API_KEY".into(),
            keep: Some(2),
        },
    )
    .expect_err("there is one waiting version");
    assert_eq!(e.code, IpcErrorCode::InvalidInput, "{e:?}");
    c::resolve_conflict(
        &bob,
        ResolveArgs {
            env: PROD.into(),
            name: "API_KEY".into(),
            keep: Some(1),
        },
    )
    .expect("resolve");
    sync(&bob);
    sync(&ada);
    for s in [&ada, &bob] {
        assert!(!conflict_of(s, "API_KEY"));
        assert_eq!(reveal(s, "API_KEY"), kept);
    }
    let e = c::item_conflicts(
        &ada,
        ConflictArgs {
            env: PROD.into(),
            name: "API_KEY".into(),
            reveal: false,
        },
    )
    .expect_err("resolved");
    assert_eq!(e.code, IpcErrorCode::NotFound, "{e:?}");
}

#[test]
fn a_replica_edited_outside_coffer_is_rebuilt_from_the_app() {
    let dir = tempfile::tempdir().expect("tmp");
    let ada = ada_with_prod(dir.path(), "before-the-edit");
    c::sync_setup(&ada, folder(dir.path())).expect("set up");
    // Offline, then the file is edited behind the app's back.
    set(&ada, "OFFLINE", "offline-value");
    c::lock(&ada).expect("lock");
    {
        let conn = rusqlite::Connection::open(ada.vault_path()).expect("open");
        conn.execute("UPDATE items SET deleted_at = 1", [])
            .expect("edit");
    }
    let pw = |command: &str| UnlockArgs::Password {
        password: secret(&ada, command, ADA_PW),
    };
    let e = c::unlock(&ada, pw("unlock")).expect_err("edited replica");
    assert_eq!(e.code, IpcErrorCode::Integrity, "{e:?}");
    assert!(e.message.contains("sync --rebuild"), "{}", e.message);
    // A wrong passphrase rebuilds nothing.
    let e = c::rebuild_vault(
        &ada,
        UnlockArgs::Password {
            password: secret(&ada, "rebuild_vault", "not the passphrase"),
        },
    )
    .expect_err("wrong passphrase");
    assert_eq!(e.code, IpcErrorCode::Auth, "{e:?}");
    let out = c::rebuild_vault(&ada, pw("rebuild_vault")).expect("rebuild");
    assert!(out.rebuilt && out.status.unlocked, "{out:?}");
    assert!(out.salvaged >= 1, "{out:?}");
    let aside = out.moved_aside.expect("moved aside");
    assert!(Path::new(&aside).exists());
    assert_eq!(reveal(&ada, "OFFLINE"), "offline-value");
    assert_eq!(reveal(&ada, "API_KEY"), "before-the-edit");
    // Open now: a rebuild is refused until the app is locked.
    let e = c::rebuild_vault(&ada, pw("rebuild_vault")).expect_err("open");
    assert_eq!(e.code, IpcErrorCode::Conflict, "{e:?}");
}
