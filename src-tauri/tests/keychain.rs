//! The app's keychain path against the real Secret Service that
//! `scripts/test.sh` starts (gnome-keyring on a private D-Bus session):
//! first run with "unlock with the system keychain", then a keychain
//! unlock that never touches the passphrase back-off.
#![cfg(target_os = "linux")]

use coffer_desktop::commands as c;
use coffer_desktop::dto::*;
use coffer_desktop::Session;
use coffer_vault::IdentityStore;

mod common;
use common::secret;

#[test]
fn first_run_with_keychain_then_keychain_unlock() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "the keychain tests need a real Secret Service (D-Bus session + gnome-keyring): \
         run them via `make test`, which starts both (see docs/keychain.md)"
    );
    std::env::set_var("COFFER_TEST_KDF_FLOOR", "1");
    let dir = tempfile::tempdir().expect("tmp");
    let home = dir.path().join("home");
    let s = Session::new(home.clone(), home.join("vault.coffer"));
    let out = c::create_identity(
        &s,
        CreateIdentityArgs {
            name: "Ada".into(),
            email: None,
            password: secret(&s, "create_identity", "correct horse battery"),
            enable_keychain: true,
        },
    )
    .expect("identity");
    assert_eq!(out.keychain_error, None);
    assert!(out.status.keychain_enabled);
    c::create_vault(
        &s,
        CreateVaultArgs {
            team_name: "Acme".into(),
        },
    )
    .expect("vault");
    c::lock(&s).expect("lock");

    // Failed passphrases start a back-off; the keychain still opens.
    for _ in 0..3 {
        let _ = c::unlock(
            &s,
            UnlockArgs::Password {
                password: secret(&s, "unlock", "wrong"),
            },
        );
    }
    // Compare the failure count, not the remaining seconds: the first
    // back-off is 1 s, which a slow keychain round trip can outlast.
    let before = c::app_status(&s).expect("status").failed_attempts;
    assert_eq!(before, 3);
    let st = c::unlock(&s, UnlockArgs::Keychain).expect("keychain unlock");
    assert!(st.unlocked);
    assert_eq!(
        st.failed_attempts, before,
        "the keychain does not reset the back-off"
    );

    // Leave the test keyring clean.
    IdentityStore::load(&home)
        .expect("store")
        .disable_keychain()
        .expect("disable");
}
