//! Keychain enable in the app when no Secret Service is reachable: a clear
//! keychain error, and the identity unchanged. Its own test binary, because
//! it points the process's D-Bus session address at nothing.
#![cfg(target_os = "linux")]

use coffer_desktop::commands as c;
use coffer_desktop::dto::*;
use coffer_desktop::error::IpcErrorCode;
use coffer_desktop::Session;

mod common;

#[test]
fn fail_keychain_enable_without_a_secret_service_says_so() {
    std::env::set_var("COFFER_TEST_KDF_FLOOR", "1");
    std::env::set_var(
        "DBUS_SESSION_BUS_ADDRESS",
        "unix:path=/nonexistent/coffer-test-bus",
    );
    let dir = tempfile::tempdir().expect("tmp");
    let home = dir.path().join("home");
    let s = Session::new(home.clone(), home.join("vault.coffer"));
    c::create_identity(
        &s,
        CreateIdentityArgs {
            name: "Ada".into(),
            email: None,
            password: common::secret(&s, "create_identity", "correct horse battery"),
            enable_keychain: false,
        },
    )
    .expect("identity");
    let before = std::fs::read(home.join("identity.json")).expect("read");
    let e = c::keychain_enable(&s).expect_err("no Secret Service");
    assert_eq!(e.code, IpcErrorCode::Keychain);
    assert!(
        e.message
            .starts_with("keychain unlock could not be enabled: the OS keychain is unavailable"),
        "{}",
        e.message
    );
    assert!(!e.message.contains('\n'));
    assert_eq!(
        std::fs::read(home.join("identity.json")).expect("read"),
        before
    );
    let st = c::keychain_status(&s).expect("status");
    assert!(!st.enabled);
    assert_eq!(st.entry, KeychainEntry::NotEnabled);
}
