//! Set-up shared by the shell's integration tests (each test file is its
//! own crate and uses what it needs).
#![allow(dead_code)]

use coffer_desktop::commands as c;
use coffer_desktop::dto::*;
use coffer_desktop::Session;
use std::path::Path;

/// The passphrase of the identities the tests create.
pub const PW: &str = "correct horse battery";

/// A passphrase or value as the UI sends it.
pub fn secret(s: &str) -> IpcSecret {
    serde_json::from_value(serde_json::json!(s)).expect("secret")
}

/// A credential by environment and name.
pub fn item(env: &str, name: &str) -> ItemRef {
    ItemRef {
        env: env.into(),
        name: name.into(),
    }
}

/// First run in `s`: the identity "Ada" (passphrase `pw`, KDF at the floor
/// debug builds allow, no keychain), then the vault "Acme", left unlocked.
pub fn ada_with_vault(s: &Session, email: Option<&str>, pw: &str) {
    std::env::set_var("COFFER_TEST_KDF_FLOOR", "1");
    c::create_identity(
        s,
        CreateIdentityArgs {
            name: "Ada".into(),
            email: email.map(Into::into),
            password: secret(pw),
            enable_keychain: false,
        },
    )
    .expect("identity");
    c::create_vault(
        s,
        CreateVaultArgs {
            team_name: "Acme".into(),
        },
    )
    .expect("vault");
}

/// Adds the environment `path` (no rotation policy).
pub fn add_env(s: &Session, path: &str) {
    c::add_env(
        s,
        AddEnvArgs {
            path: path.into(),
            rotate_every: None,
        },
    )
    .expect("add env");
}

/// `set_item`'s arguments for `name` in `env` = `value`, nothing else.
pub fn value_args(env: &str, name: &str, value: &str) -> SetItemArgs {
    SetItemArgs {
        env: env.into(),
        name: name.into(),
        value: Some(secret(value)),
        notes: None,
        url: None,
        username: None,
        rotate_every: None,
        expires: None,
    }
}

/// Sets `name` in `env` to `value` (nothing else), as the app's editor does.
pub fn set_value(s: &Session, env: &str, name: &str, value: &str) {
    c::set_item(s, value_args(env, name, value)).expect("set");
}

/// A home, a temporary folder and a folder outside both, under one
/// temporary directory; `HOME` and `TMPDIR` are set for the whole process
/// (so a test file using this holds one test function).
pub struct Confined {
    pub dir: tempfile::TempDir,
    pub home: std::path::PathBuf,
    pub tmp: std::path::PathBuf,
    pub outside: std::path::PathBuf,
}

/// Makes the folders of [`Confined`] and points `HOME` and `TMPDIR` at them.
pub fn confined() -> Confined {
    let dir = tempfile::tempdir().expect("tmp");
    let home = dir.path().join("home");
    let tmp = dir.path().join("tmp");
    let outside = dir.path().join("outside");
    for d in [&home, &tmp, &outside] {
        std::fs::create_dir_all(d).expect("mkdir");
    }
    std::env::set_var("HOME", &home);
    std::env::set_var("TMPDIR", &tmp);
    Confined {
        dir,
        home,
        tmp,
        outside,
    }
}

/// Answers the next native dialog (the `picker::scripted` seam reading
/// `answers`) with `path`, asks for it for `purpose`, and returns what the
/// dialog was asked (`answers.asked`) after checking the path came back.
pub fn choose_in_dialog(
    s: &Session,
    answers: &Path,
    purpose: PickPurpose,
    current: &Path,
    path: &Path,
) -> String {
    std::fs::write(answers, format!("{}\n", path.display())).expect("answer");
    let chosen = c::pick_path(
        s,
        PickPathArgs {
            purpose,
            current: Some(current.display().to_string()),
        },
    )
    .expect("pick")
    .path
    .expect("chosen");
    assert_eq!(chosen, path.display().to_string());
    let mut asked = answers.as_os_str().to_owned();
    asked.push(".asked");
    std::fs::read_to_string(asked).expect("asked")
}
