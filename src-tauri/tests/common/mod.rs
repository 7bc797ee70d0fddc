//! Set-up shared by the shell's integration tests (each test file is its
//! own crate and uses what it needs).
#![allow(dead_code)]

use coffer_desktop::commands as c;
use coffer_desktop::dto::*;
use coffer_desktop::Session;
use std::path::Path;

/// The passphrase of the identities the tests create.
pub const PW: &str = "correct horse battery";

/// The page's end of the sealed channel to a session, as
/// `ui/src/lib/ipc.ts` holds it.
pub struct Page(coffer_crypto::ipc_channel::IpcChannel);

/// A session (by address), Rust's channel key, and the page's view.
type KnownPage = (usize, [u8; 32], std::rc::Rc<Page>);

thread_local! {
    /// The pages the tests of this thread hold.
    static PAGES: std::cell::RefCell<Vec<KnownPage>> =
        const { std::cell::RefCell::new(Vec::new()) };
}

/// The page's view of `s`'s open channel; opens one (as the page does
/// after a lock) when there is none or it is not the one known.
pub fn page(s: &Session) -> std::rc::Rc<Page> {
    let at = std::ptr::from_ref(s) as usize;
    let current = s.channel_key();
    PAGES.with(|p| {
        let mut p = p.borrow_mut();
        if let Some((_, _, page)) = p.iter().find(|(a, k, _)| *a == at && Some(*k) == current) {
            return page.clone();
        }
        let end = coffer_crypto::ipc_channel::PageEnd::new();
        let rust = s.open_channel(&end.public_key()).expect("channel");
        let page = std::rc::Rc::new(Page(end.connect(&rust).expect("connect")));
        p.retain(|(a, _, _)| *a != at);
        p.push((at, rust, page.clone()));
        page
    })
}

impl Page {
    /// A secret argument of `command`, sealed as the page sends it.
    pub fn secret(&self, command: &str, text: &str) -> IpcSecret {
        use base64::Engine as _;
        let b = coffer_crypto::ipc_channel::PageEnd::seal(&self.0, command, text.as_bytes())
            .expect("seal");
        let b64 = base64::engine::general_purpose::STANDARD.encode(b);
        serde_json::from_value(serde_json::json!({ "sealed": b64 })).expect("secret")
    }

    /// Opens a value Rust sealed as the result of `command` (the JSON of
    /// a `Plaintext`: `{"sealed": "<base64>"}`).
    pub fn open(&self, command: &str, v: &serde_json::Value) -> String {
        use base64::Engine as _;
        let b = base64::engine::general_purpose::STANDARD
            .decode(v["sealed"].as_str().expect("a sealed value"))
            .expect("base64");
        let opened = coffer_crypto::ipc_channel::PageEnd::open(&self.0, command, &b).expect("open");
        String::from_utf8(opened.to_vec()).expect("utf-8")
    }
}

/// A passphrase or value as the UI sends it: sealed for `command` on
/// `s`'s channel.
pub fn secret(s: &Session, command: &str, text: &str) -> IpcSecret {
    page(s).secret(command, text)
}

/// A credential's value, revealed and opened as the page does.
pub fn revealed(s: &Session, env: &str, name: &str) -> Result<String, coffer_desktop::IpcError> {
    let p = page(s);
    let v = c::reveal_item(s, item(env, name))?;
    Ok(p.open(
        "reveal_item",
        &serde_json::to_value(&v).expect("json")["value"],
    ))
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
            password: secret(s, "create_identity", pw),
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
pub fn value_args(s: &Session, env: &str, name: &str, value: &str) -> SetItemArgs {
    SetItemArgs {
        env: env.into(),
        name: name.into(),
        value: Some(secret(s, "set_item", value)),
        notes: None,
        url: None,
        username: None,
        rotate_every: None,
        expires: None,
    }
}

/// Sets `name` in `env` to `value` (nothing else), as the app's editor does.
pub fn set_value(s: &Session, env: &str, name: &str, value: &str) {
    c::set_item(s, value_args(s, env, name, value)).expect("set");
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
