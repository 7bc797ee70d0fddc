//! The audit, export, restore and open-existing commands over real vaults
//! on disk: the audit log and verification (then a tampered file reported
//! broken), export refused inside a git work tree unless ignored, written
//! 0600 and parsed back equal, an unrepresentable value named, restore as a
//! new version, and opening a vault as a non-member and as a member.

use std::path::{Path, PathBuf};

use coffer_crypto::SecretString;
use coffer_desktop::commands as c;
use coffer_desktop::dto::*;
use coffer_desktop::{IpcErrorCode, Session};
use coffer_vault::{Access, IdentityStore, Role, Vault};

mod common;
use common::{ada_with_vault, secret, PW};

fn set(s: &Session, env: &str, name: &str, value: &str) -> SetItemArgs {
    common::value_args(s, env, name, value)
}

fn reveal(s: &Session, env: &str, name: &str) -> String {
    common::revealed(s, env, name).expect("reveal")
}

/// A first run through the commands: identity, vault, `web/dev` with two
/// credentials (one with two versions).
fn first_run(dir: &Path) -> Session {
    let s = Session::new(dir.join("home"), dir.join("home/vault.coffer"));
    ada_with_vault(&s, None, PW);
    c::add_env(
        &s,
        AddEnvArgs {
            path: "web/dev".into(),
            rotate_every: None,
        },
    )
    .expect("env");
    c::set_item(&s, set(&s, "web/dev", "API_KEY", "api-v1")).expect("set");
    c::set_item(&s, set(&s, "web/dev", "API_KEY", "api-v2")).expect("set");
    c::set_item(&s, set(&s, "web/dev", "DB_URL", "postgres://db:5432/app")).expect("set");
    s
}

fn page(limit: u32) -> AuditQueryArgs {
    AuditQueryArgs {
        text: None,
        member: None,
        device: None,
        kind: None,
        denied_only: false,
        offset: 0,
        limit,
    }
}

fn export(env: &str, path: &Path, dialect: &str) -> ExportArgs {
    ExportArgs {
        env: env.into(),
        format: "dotenv".into(),
        dialect: dialect.into(),
        path: path.display().to_string(),
        overwrite: false,
        write_anyway: false,
    }
}

fn unlock(s: &Session) -> AppStatus {
    c::unlock(
        s,
        UnlockArgs::Password {
            password: secret(s, "unlock", PW),
        },
    )
    .expect("unlock")
}

#[test]
fn audit_log_and_verify_then_a_tampered_file_is_broken() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = first_run(dir.path());
    assert_eq!(
        c::audit_log(&s, page(0)).expect_err("limit").code,
        IpcErrorCode::InvalidInput
    );
    let p = c::audit_log(&s, page(2)).expect("audit");
    assert_eq!(p.entries.len(), 2);
    assert!(p.total >= 5 && p.total == p.log_entries);
    assert!(p.entries[0].seq > p.entries[1].seq, "newest first");
    assert_eq!(p.members.len(), 1);
    let json = serde_json::to_string(&c::audit_log(&s, page(1000)).expect("all")).expect("json");
    assert!(!json.contains("api-v1") && !json.contains("postgres://"));
    let sets = c::audit_log(
        &s,
        AuditQueryArgs {
            kind: Some("item.set".into()),
            text: Some("db_url".into()),
            ..page(50)
        },
    )
    .expect("filtered");
    assert_eq!(sets.total, 1);

    let rep = c::verify_vault(&s).expect("verify");
    assert!(rep.ok, "{:?}", rep.problems);
    assert!(rep.verdict.starts_with("Verified:"), "{}", rep.verdict);
    assert_eq!(rep.chains.len(), 1);
    let chain = &rep.chains[0];
    assert!(chain.ok && chain.this_device && chain.signatures_ok && chain.replay_ok);
    assert_eq!(chain.head, HeadStatus::Ok);

    // Flip a byte in an op row's body, outside coffer.
    c::lock(&s).expect("lock");
    {
        let db = rusqlite::Connection::open(dir.path().join("home/vault.coffer")).expect("db");
        let (seq, mut body): (i64, Vec<u8>) = db
            .query_row(
                "SELECT seq, body FROM ops ORDER BY seq LIMIT 1 OFFSET 2",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("op");
        let i = body.len() / 2;
        body[i] ^= 0x01;
        db.execute(
            "UPDATE ops SET body = ?2 WHERE seq = ?1",
            rusqlite::params![seq, body],
        )
        .expect("tamper");
    }
    unlock(&s);
    let rep = c::verify_vault(&s).expect("verify runs");
    assert!(!rep.ok);
    assert!(
        rep.verdict.starts_with("Integrity check failed:"),
        "{}",
        rep.verdict
    );
    assert!(!rep.chains[0].ok && !rep.chains[0].linked);
    assert!(!rep.problems.is_empty());
}

fn git_repo(dir: &Path, ignore: &str) {
    assert!(std::process::Command::new("git")
        .args(["init", "-q"])
        .arg(dir)
        .status()
        .expect("git")
        .success());
    std::fs::write(dir.join(".gitignore"), ignore).expect("gitignore");
}

#[test]
fn export_refuses_unignored_writes_ignored_0600_and_names_unrepresentable_keys() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = first_run(dir.path());
    let repo = dir.path().join("project");
    std::fs::create_dir(&repo).expect("mkdir");
    git_repo(&repo, ".env.local\n");

    let e = c::export_env(&s, export("web/dev", &repo.join(".env"), "portable"))
        .expect_err("not ignored");
    assert_eq!(e.code, IpcErrorCode::Conflict);
    assert!(e.message.contains("not ignored by git"), "{}", e.message);
    assert!(
        e.message
            .contains("add it to .gitignore, or tick “Write anyway”"),
        "{}",
        e.message
    );
    assert!(!repo.join(".env").exists());

    let out = repo.join(".env.local");
    let done = c::export_env(&s, export("web/dev", &out, "portable")).expect("ignored");
    assert_eq!(done.variables, 2);
    assert_eq!(PathBuf::from(&done.path), out);
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&out).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    let text = std::fs::read_to_string(&out).expect("read");
    let parsed = coffer_dotenv::parse(&text).expect("parses");
    let got: Vec<(String, String)> = parsed
        .iter()
        .map(|p| (p.key.clone(), p.value.to_string()))
        .collect();
    assert_eq!(
        got,
        [
            ("API_KEY".to_string(), "api-v2".to_string()),
            ("DB_URL".to_string(), "postgres://db:5432/app".to_string())
        ]
    );
    // Again: the file exists; with overwrite it is replaced.
    let e = c::export_env(&s, export("web/dev", &out, "portable")).expect_err("exists");
    assert_eq!(e.code, IpcErrorCode::Conflict);
    c::export_env(
        &s,
        ExportArgs {
            overwrite: true,
            ..export("web/dev", &out, "portable")
        },
    )
    .expect("overwrite");

    // Unrepresentable in portable: the key and a dialect that works.
    c::set_item(&s, set(&s, "web/dev", "QUOTED", "it's \"$HOME\"")).expect("set");
    let e = c::export_env(&s, export("web/dev", &dir.path().join("x.env"), "portable"))
        .expect_err("unrepresentable");
    assert_eq!(e.code, IpcErrorCode::InvalidInput);
    assert!(
        e.message.contains("QUOTED") && e.message.contains("choose the"),
        "{}",
        e.message
    );
    assert!(!e.message.contains("it's"), "no value in the error");

    // Bad arguments are refused in Rust.
    for (args, code) in [
        (
            export("web/dev", Path::new("relative/.env"), "portable"),
            IpcErrorCode::InvalidInput,
        ),
        (
            export("web/dev", &dir.path().join("y.env"), "bash"),
            IpcErrorCode::InvalidInput,
        ),
        (
            ExportArgs {
                format: "yaml".into(),
                ..export("web/dev", &dir.path().join("y.env"), "portable")
            },
            IpcErrorCode::InvalidInput,
        ),
        (
            export("web/nope", &dir.path().join("y.env"), "portable"),
            IpcErrorCode::NotFound,
        ),
    ] {
        assert_eq!(c::export_env(&s, args).expect_err("bad").code, code);
    }
}

/// The app has no "allow this variable" control: a shell or dotenv export
/// holding a variable that decides what code runs is refused with the way
/// out; JSON is data and is written.
#[test]
fn fail_export_refuses_a_loader_variable_in_shell_and_dotenv_files() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = first_run(dir.path());
    c::set_item(
        &s,
        set(&s, "web/dev", "NODE_OPTIONS", "--max-old-space-size=4096"),
    )
    .expect("set");
    let export_as = |format: &str, out: &Path| {
        c::export_env(
            &s,
            ExportArgs {
                format: format.into(),
                write_anyway: true,
                ..export("web/dev", out, "portable")
            },
        )
    };
    for format in ["dotenv", "shell"] {
        let out = dir.path().join(format!("{format}.out"));
        let e = export_as(format, &out).expect_err("refused");
        assert_eq!(e.code, IpcErrorCode::Conflict);
        let m = &e.message;
        assert!(m.contains("NODE_OPTIONS (node takes"), "{m}");
        assert!(m.ends_with(c::ALLOW_VAR_HINT), "{m}");
        assert!(!m.contains("4096"), "no value in the error: {m}");
        assert!(!out.exists());
    }
    let out = dir.path().join("vars.json");
    export_as("json", &out).expect("json");
    assert!(std::fs::read_to_string(&out)
        .expect("read")
        .contains("NODE_OPTIONS"));
}

#[test]
fn restore_version_makes_a_new_version_with_the_old_value() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = first_run(dir.path());
    let out = c::restore_version(
        &s,
        RestoreArgs {
            env: "web/dev".into(),
            name: "API_KEY".into(),
            version: 1,
        },
    )
    .expect("restore");
    assert_eq!(out.version, 3);
    assert!(out.value_changed);
    assert_eq!(reveal(&s, "web/dev", "API_KEY"), "api-v1");
    let h = c::item_history(
        &s,
        ItemRef {
            env: "web/dev".into(),
            name: "API_KEY".into(),
        },
    )
    .expect("history");
    assert_eq!(h.iter().map(|v| v.version).collect::<Vec<_>>(), [3, 2, 1]);
    for (version, code) in [(9, IpcErrorCode::NotFound), (0, IpcErrorCode::InvalidInput)] {
        let e = c::restore_version(
            &s,
            RestoreArgs {
                env: "web/dev".into(),
                name: "API_KEY".into(),
                version,
            },
        )
        .expect_err("bad version");
        assert_eq!(e.code, code);
    }
}

#[test]
fn open_existing_vault_as_non_member_then_member() {
    let dir = tempfile::tempdir().expect("tmp");
    let owner = first_run(dir.path());
    c::lock(&owner).expect("lock");
    let vault = dir.path().join("home/vault.coffer");

    // Bea's device: an identity, no vault at her default path.
    let bea_home = dir.path().join("bea");
    let bea = Session::new(bea_home.clone(), bea_home.join("vault.coffer"));
    c::create_identity(
        &bea,
        CreateIdentityArgs {
            name: "Bea".into(),
            email: None,
            password: secret(&bea, "create_identity", PW),
            enable_keychain: false,
        },
    )
    .expect("identity");
    let open = |p: &Path| {
        c::open_vault(
            &bea,
            OpenVaultArgs {
                path: p.display().to_string(),
            },
        )
    };
    let e = open(&vault).expect_err("not a member");
    assert_eq!(e.code, IpcErrorCode::Permission);
    assert!(e.message.contains("not a member"), "{}", e.message);
    // Still unlocked: she can try again without her passphrase.
    assert!(c::app_status(&bea).expect("status").identity_unlocked);
    assert_eq!(
        open(Path::new("vault.coffer")).expect_err("relative").code,
        IpcErrorCode::InvalidInput
    );
    assert_eq!(
        open(&dir.path().join("nope.coffer"))
            .expect_err("missing")
            .code,
        IpcErrorCode::NotFound
    );
    let notes = dir.path().join("notes.txt");
    std::fs::write(&notes, "not a vault\n").expect("notes");
    let e = open(&notes).expect_err("not a vault");
    assert_eq!(e.code, IpcErrorCode::InvalidInput);
    assert!(
        e.message.contains("is not a Coffer vault file"),
        "{}",
        e.message
    );
    assert_eq!(
        std::fs::read_to_string(&notes).expect("notes"),
        "not a vault\n"
    );

    // Ada adds Bea (as a teammate would, with her public identity).
    {
        let pubid = IdentityStore::load(&bea_home)
            .expect("load")
            .public()
            .clone();
        let me = IdentityStore::load(&dir.path().join("home"))
            .expect("load")
            .unlock_with_password(&SecretString::new(PW.into()))
            .expect("unlock");
        let mut v = Vault::open(&vault, me).expect("open");
        let bea_me = IdentityStore::load(&bea_home)
            .expect("load")
            .unlock_with_password(&SecretString::new(PW.into()))
            .expect("unlock");
        v.add_member(
            &bea_me.public_identity_string(),
            "Bea",
            Role::Member,
            &[("web/dev".to_string(), Access::Read)],
            &pubid.fingerprint(),
        )
        .expect("add bea");
    }
    let st = open(&vault).expect("member opens");
    assert!(st.unlocked && st.vault_exists);
    assert_eq!(st.vault_name.as_deref(), Some("Acme"));
    assert_eq!(PathBuf::from(&st.vault_path), vault);
    assert_eq!(reveal(&bea, "web/dev", "DB_URL"), "postgres://db:5432/app");
    assert_eq!(
        open(&vault).expect_err("already open").code,
        IpcErrorCode::Conflict
    );
    // Remembered for the next start.
    assert_eq!(
        coffer_vault::paths::remembered_vault_path(&bea_home),
        Some(vault.clone())
    );
}
