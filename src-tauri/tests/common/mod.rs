//! Set-up shared by the shell's integration tests (each test file is its
//! own crate and uses what it needs).
#![allow(dead_code)]

use coffer_desktop::commands as c;
use coffer_desktop::dto::*;
use coffer_desktop::Session;

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
