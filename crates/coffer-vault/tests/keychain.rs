//! The keychain slot through the public API, against the real Secret
//! Service that `scripts/test.sh` starts (gnome-keyring on a private D-Bus
//! session). The entry is tampered with through the keyring crate's own
//! Secret Service credential, the same store the vault uses.
#![cfg(all(feature = "keychain", target_os = "linux"))]

use coffer_crypto::{KdfParams, SecretString};
use coffer_vault::{
    EntryState, IdentityStore, KeychainProblem, KeychainUnlock, UnlockedIdentity, KEYCHAIN_SERVICE,
};
use keyring::secret_service::SsCredential;
use keyring::Entry;

fn entry(account: &str) -> Entry {
    let c = SsCredential::new_with_target(None, KEYCHAIN_SERVICE, account).expect("credential");
    Entry::new_with_credential(Box::new(c))
}

fn identity(dir: &std::path::Path) -> UnlockedIdentity {
    let pw = SecretString::new("pw".into());
    IdentityStore::create(dir, "Ada", None, &pw, KdfParams::FLOOR, true).expect("create")
}

fn problem(store: &IdentityStore) -> KeychainProblem {
    match store.unlock_with_keychain() {
        KeychainUnlock::Failed(p) => p,
        other => panic!("expected a keychain problem, got {other:?}"),
    }
}

#[test]
fn keychain_slot_round_trip_and_failures() {
    assert!(
        std::env::var_os("DBUS_SESSION_BUS_ADDRESS").is_some(),
        "the keychain tests need a real Secret Service (D-Bus session + gnome-keyring): \
         run them via `make test`, which starts both (see docs/keychain.md)"
    );
    let dir = tempfile::tempdir().expect("tempdir");
    let me = identity(dir.path());
    let st = me.enable_keychain().expect(
        "enabling the keychain needs a Secret Service: run the tests via `make test` (docs/keychain.md)",
    );
    assert_eq!(st.entry, EntryState::Opens);
    let account = st.account.expect("account");
    assert!(account.starts_with(&format!("{}/", me.id().to_hex())));

    let store = IdentityStore::load(dir.path()).expect("load");
    match store.unlock_with_keychain() {
        KeychainUnlock::Unlocked(u) => assert_eq!(u.id(), me.id()),
        other => panic!("expected an unlock, got {other:?}"),
    }

    // Replaced with 32 random bytes, then with a wrong length: does not open.
    let e = entry(&account);
    e.set_secret(&rand32()).expect("replace");
    assert_eq!(problem(&store), KeychainProblem::DoesNotOpen);
    e.set_secret(b"short").expect("replace");
    assert_eq!(problem(&store), KeychainProblem::DoesNotOpen);
    assert_eq!(
        store.keychain_status().expect("status").entry,
        EntryState::DoesNotOpen
    );
    // Deleted behind our back.
    e.delete_credential().expect("delete");
    assert_eq!(problem(&store), KeychainProblem::Missing);
    // The password still opens, and disable copes with the missing entry.
    store
        .unlock_with_password(&SecretString::new("pw".into()))
        .expect("password");
    let out = store.disable_keychain().expect("disable");
    assert!(out.slot_removed && !out.entry_deleted);
    let store = IdentityStore::load(dir.path()).expect("load");
    assert!(matches!(
        store.unlock_with_keychain(),
        KeychainUnlock::NotEnabled
    ));

    // Enable, then disable deletes the entry.
    let account = me
        .enable_keychain()
        .expect("enable")
        .account
        .expect("account");
    let store = IdentityStore::load(dir.path()).expect("load");
    assert!(store.disable_keychain().expect("disable").entry_deleted);
    assert!(matches!(
        entry(&account).get_secret(),
        Err(keyring::Error::NoEntry)
    ));
}

fn rand32() -> [u8; 32] {
    let mut b = [0u8; 32];
    std::io::Read::read_exact(
        &mut std::fs::File::open("/dev/urandom").expect("urandom"),
        &mut b,
    )
    .expect("read");
    b
}
