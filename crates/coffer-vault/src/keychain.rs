//! The keychain slot (DESIGN.md §3): the account key (UAK) sealed under a
//! random 32-byte device key that lives in the OS keychain — the Secret
//! Service on Linux (gnome-keyring, KWallet), the Keychain on macOS, the
//! Credential Manager on Windows.
//!
//! - Entries are namespaced: service [`KEYCHAIN_SERVICE`] (`coffer`, or
//!   `coffer-dev` for debug builds), account `<identity id>/<slot id>`, so two
//!   identities, two slots or a debug and a release build never share one.
//! - The platform store is chosen at compile time and built explicitly; there
//!   is no in-memory or mock store. A build without the `keychain` feature (or
//!   on another OS) refuses to enable the slot with [`Error::Keychain`].
//! - Reading the keychain never touches the password back-off: a keychain
//!   unlock works during a back-off and does not clear the failure count, and
//!   a keychain entry that fails is not counted as a failed password attempt
//!   (it is not a guess: the device key is 256 random bits).
//! - Every way the keychain can fail to unlock (entry missing, unreadable,
//!   replaced, no store reachable) is a [`KeychainProblem`] that callers
//!   report in one line before falling back to the password.

use std::fmt;
use std::path::Path;

use coffer_crypto::{DeviceKey, Id, KeySlot};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::identity::{IdentityStore, UnlockedIdentity};

/// The keychain service name entries are stored under: `coffer` for release
/// builds, `coffer-dev` for debug builds (so a development build never reads
/// or overwrites a release build's entry).
pub const KEYCHAIN_SERVICE: &str = if cfg!(debug_assertions) {
    "coffer-dev"
} else {
    "coffer"
};

/// The keychain account of a slot: `<identity id>/<slot id>` (hex).
pub(crate) fn account_for(identity: &Id, slot: &Id) -> String {
    format!("{}/{}", identity.to_hex(), slot.to_hex())
}

/// The state of the keychain slot's entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum EntryState {
    /// The identity has no keychain slot.
    NotEnabled,
    /// The entry is there and opens the slot.
    Opens,
    /// The slot is enabled but its entry is gone from the keychain.
    Missing,
    /// The entry is there but does not open the slot (changed or replaced).
    DoesNotOpen,
    /// No OS keychain could be reached, or it refused to give the entry.
    Unavailable,
}

/// Why an enabled keychain slot did not unlock. `Display` is one line for
/// the user; it never contains key material.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum KeychainProblem {
    /// The entry was deleted from the keychain.
    Missing,
    /// The entry's bytes do not open the slot (changed, replaced, wrong length).
    DoesNotOpen,
    /// No OS keychain is reachable, or it refused (locked, no D-Bus, several
    /// matching entries, built without keychain support).
    Unavailable(String),
}

impl KeychainProblem {
    /// The matching [`EntryState`].
    pub fn state(&self) -> EntryState {
        match self {
            KeychainProblem::Missing => EntryState::Missing,
            KeychainProblem::DoesNotOpen => EntryState::DoesNotOpen,
            KeychainProblem::Unavailable(_) => EntryState::Unavailable,
        }
    }
}

impl fmt::Display for KeychainProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            KeychainProblem::Missing => {
                f.write_str("the keychain entry for your identity is missing (deleted?)")
            }
            KeychainProblem::DoesNotOpen => {
                f.write_str("the keychain entry no longer opens your identity (it was changed)")
            }
            KeychainProblem::Unavailable(why) => write!(f, "the OS keychain is unavailable: {why}"),
        }
    }
}

/// The outcome of trying the keychain slot.
#[derive(Debug)]
pub enum KeychainUnlock {
    /// No keychain slot: use the password.
    NotEnabled,
    /// The keychain opened the identity.
    Unlocked(Box<UnlockedIdentity>),
    /// The slot is enabled but did not open; report it and use the password.
    Failed(KeychainProblem),
}

/// Public facts about the keychain slot (no secret), for `keychain status`.
#[derive(Clone, Debug, Serialize)]
pub struct KeychainStatus {
    /// Whether the identity has a keychain slot.
    pub enabled: bool,
    /// The platform store this build uses (`none` without keychain support).
    pub backend: &'static str,
    /// The keychain service name.
    pub service: &'static str,
    /// The keychain account (`<identity id>/<slot id>`), when enabled.
    pub account: Option<String>,
    /// Whether the entry is there and opens the slot.
    pub entry: EntryState,
    /// Details when the entry is unusable.
    pub problem: Option<String>,
    /// The password back-off still to wait, in seconds. The keychain path
    /// does not reset it.
    pub backoff_remaining_secs: u64,
}

/// What `disable` did.
#[derive(Clone, Debug, Serialize)]
pub struct DisableOutcome {
    /// A keychain slot was removed from the identity.
    pub slot_removed: bool,
    /// The keychain entry was deleted (false if it was already gone).
    pub entry_deleted: bool,
}

/// The platform store this build uses: `secret-service`, `macos-keychain`,
/// `windows-credential-manager`, or `none`.
pub fn keychain_backend() -> &'static str {
    store::BACKEND
}

/// Whether this build can use an OS keychain at all (it may still be
/// unreachable at run time). `Err` is [`Error::Keychain`].
pub fn keychain_supported() -> Result<()> {
    store::supported().map_err(Error::Keychain)
}

impl IdentityStore {
    /// Tries the keychain slot. Never touches the password back-off.
    pub fn unlock_with_keychain(&self) -> KeychainUnlock {
        let (slot, account) = match self.key_slot() {
            Ok(Some(s)) => s,
            Ok(None) => return KeychainUnlock::NotEnabled,
            // A malformed slot cannot be used; the password still can.
            Err(e) => return KeychainUnlock::Failed(KeychainProblem::Unavailable(e.to_string())),
        };
        match self.open_key_slot_from_store(&slot, &account) {
            Ok(me) => KeychainUnlock::Unlocked(Box::new(me)),
            Err(p) => KeychainUnlock::Failed(p),
        }
    }

    fn open_key_slot_from_store(
        &self,
        slot: &KeySlot,
        account: &str,
    ) -> std::result::Result<UnlockedIdentity, KeychainProblem> {
        let bytes = store::read(account)?;
        // Wrong length and wrong key are the same failure: the entry does
        // not open the slot (no oracle on which).
        let dk =
            DeviceKey::from_keychain_bytes(&bytes).map_err(|_| KeychainProblem::DoesNotOpen)?;
        let uak = slot
            .open(&dk, &self.public().id)
            .map_err(|_| KeychainProblem::DoesNotOpen)?;
        self.open_with_uak(uak)
            .map_err(|_| KeychainProblem::DoesNotOpen)
    }

    /// The keychain slot's state; reads the entry (no password needed).
    pub fn keychain_status(&self) -> Result<KeychainStatus> {
        let slot = self.key_slot()?;
        let (entry, problem, account) = match &slot {
            None => (EntryState::NotEnabled, None, None),
            Some((slot, account)) => match self.open_key_slot_from_store(slot, account) {
                Ok(_) => (EntryState::Opens, None, Some(account.clone())),
                Err(p) => (p.state(), Some(p.to_string()), Some(account.clone())),
            },
        };
        Ok(KeychainStatus {
            enabled: slot.is_some(),
            backend: store::BACKEND,
            service: KEYCHAIN_SERVICE,
            account,
            entry,
            problem,
            backoff_remaining_secs: self.backoff_remaining(),
        })
    }

    /// Removes the keychain slot from the identity and deletes its entry
    /// from the keychain. An entry that is already gone is fine. If the
    /// keychain cannot be reached the slot is still removed (the entry alone
    /// opens nothing) and [`Error::Keychain`] says which entry to delete.
    pub fn disable_keychain(&self) -> Result<DisableOutcome> {
        let Some((_, account)) = self.key_slot()? else {
            return Ok(DisableOutcome {
                slot_removed: false,
                entry_deleted: false,
            });
        };
        let deleted = store::delete(&account);
        remove_key_slot(self.home())?;
        match deleted {
            Ok(entry_deleted) => Ok(DisableOutcome {
                slot_removed: true,
                entry_deleted,
            }),
            Err(why) => Err(Error::Keychain(format!(
                "the keychain slot was removed, but its entry (service {KEYCHAIN_SERVICE}, account {account}) could not be deleted: {why}"
            ))),
        }
    }
}

fn remove_key_slot(home: &Path) -> Result<()> {
    IdentityStore::load(home)?.write_key_slot(None)
}

impl UnlockedIdentity {
    /// Enables (or replaces) the keychain slot: makes a random device key,
    /// stores it in the OS keychain, checks that it reads back and opens the
    /// new slot, then adds the slot to the identity file. A previous slot's
    /// entry is deleted afterwards. Refused with [`Error::Keychain`] when this
    /// build has no OS keychain or none is reachable.
    pub fn enable_keychain(&self) -> Result<KeychainStatus> {
        keychain_supported()?;
        let store = IdentityStore::load(self.home())?;
        let previous = store.key_slot()?.map(|(_, account)| account);
        let dk = DeviceKey::make();
        let slot = KeySlot::seal(&self.uak, &dk, &self.id())
            .map_err(|e| Error::Database(format!("cryptography failed: {e}")))?;
        let account = account_for(&self.id(), &slot.slot_id);
        // Why: the only place the device key leaves the crypto crate; it goes
        // to the OS keychain and nowhere else.
        store::write(&account, dk.dangerous_expose_bytes()).map_err(Error::Keychain)?;
        // A store that accepts a write but gives back something else (or
        // nothing) would leave a slot that never opens: check first.
        let readback = match store::read(&account) {
            Ok(b) => b,
            Err(p) => {
                let _ = store::delete(&account);
                return Err(Error::Keychain(format!(
                    "the entry could not be read back: {p}"
                )));
            }
        };
        let opens = DeviceKey::from_keychain_bytes(&readback)
            .ok()
            .and_then(|k| slot.open(&k, &self.id()).ok())
            .is_some();
        if !opens {
            let _ = store::delete(&account);
            return Err(Error::Keychain(
                "the keychain gave back a different entry than was stored".into(),
            ));
        }
        // The entry exists before the slot refers to it; a crash in between
        // leaves an unused entry, never a slot without one.
        store.write_key_slot(Some((&slot, &account)))?;
        if let Some(old) = previous.filter(|o| *o != account) {
            if let Err(why) = store::delete(&old) {
                tracing::warn!(%why, "could not delete the previous keychain entry");
            }
        }
        tracing::info!(identity = %self.id(), "keychain slot enabled");
        IdentityStore::load(self.home())?.keychain_status()
    }
}

/// The platform store. One of the real stores, built explicitly (never
/// through keyring's default builder, which is a mock store on platforms
/// without a feature); or, without the `keychain` feature, nothing.
#[cfg(all(
    feature = "keychain",
    any(target_os = "linux", target_os = "macos", target_os = "windows")
))]
mod store {
    use super::{KeychainProblem, Zeroizing, KEYCHAIN_SERVICE};
    use keyring::{Entry, Error as KrError};

    #[cfg(target_os = "linux")]
    pub(super) const BACKEND: &str = "secret-service";
    #[cfg(target_os = "macos")]
    pub(super) const BACKEND: &str = "macos-keychain";
    #[cfg(target_os = "windows")]
    pub(super) const BACKEND: &str = "windows-credential-manager";

    pub(super) fn supported() -> Result<(), String> {
        Ok(())
    }

    fn entry(account: &str) -> Result<Entry, KeychainProblem> {
        #[cfg(target_os = "linux")]
        let cred =
            keyring::secret_service::SsCredential::new_with_target(None, KEYCHAIN_SERVICE, account)
                .map(|mut c| {
                    c.label = format!("Coffer device key ({KEYCHAIN_SERVICE} {account})");
                    c
                });
        #[cfg(target_os = "macos")]
        let cred = keyring::macos::MacCredential::new_with_target(None, KEYCHAIN_SERVICE, account);
        #[cfg(target_os = "windows")]
        let cred =
            keyring::windows::WinCredential::new_with_target(None, KEYCHAIN_SERVICE, account);
        cred.map(|c| Entry::new_with_credential(Box::new(c)))
            .map_err(problem)
    }

    fn problem(e: KrError) -> KeychainProblem {
        match e {
            KrError::NoEntry => KeychainProblem::Missing,
            KrError::Ambiguous(v) => KeychainProblem::Unavailable(format!(
                "{} entries match (service {KEYCHAIN_SERVICE}); remove the extra ones",
                v.len()
            )),
            #[cfg(target_os = "linux")]
            KrError::PlatformFailure(e) => KeychainProblem::Unavailable(format!(
                "no Secret Service reachable over D-Bus ({e})"
            )),
            KrError::NoStorageAccess(e) => {
                KeychainProblem::Unavailable(format!("the keychain refused access ({e})"))
            }
            // keyring's messages name attributes and platform errors, never
            // the secret.
            other => KeychainProblem::Unavailable(other.to_string()),
        }
    }

    pub(super) fn read(account: &str) -> Result<Zeroizing<Vec<u8>>, KeychainProblem> {
        entry(account)?
            .get_secret()
            .map(Zeroizing::new)
            .map_err(problem)
    }

    pub(super) fn write(account: &str, secret: &[u8]) -> Result<(), String> {
        entry(account)
            .map_err(|p| p.to_string())?
            .set_secret(secret)
            .map_err(|e| problem(e).to_string())
    }

    /// `Ok(false)` if there was no entry.
    pub(super) fn delete(account: &str) -> Result<bool, String> {
        match entry(account)
            .map_err(|p| p.to_string())?
            .delete_credential()
        {
            Ok(()) => Ok(true),
            Err(KrError::NoEntry) => Ok(false),
            Err(e) => Err(problem(e).to_string()),
        }
    }
}

#[cfg(not(all(
    feature = "keychain",
    any(target_os = "linux", target_os = "macos", target_os = "windows")
)))]
mod store {
    use super::{KeychainProblem, Zeroizing};

    pub(super) const BACKEND: &str = "none";
    const WHY: &str = "this build of coffer has no OS keychain support (built without the `keychain` feature, or on an unsupported platform)";

    pub(super) fn supported() -> Result<(), String> {
        Err(WHY.into())
    }
    pub(super) fn read(_account: &str) -> Result<Zeroizing<Vec<u8>>, KeychainProblem> {
        Err(KeychainProblem::Unavailable(WHY.into()))
    }
    pub(super) fn write(_account: &str, _secret: &[u8]) -> Result<(), String> {
        Err(WHY.into())
    }
    pub(super) fn delete(_account: &str) -> Result<bool, String> {
        Err(WHY.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accounts_are_namespaced_by_identity_and_slot() {
        let (a, b, s) = (Id::make(), Id::make(), Id::make());
        assert_ne!(account_for(&a, &s), account_for(&b, &s));
        assert_ne!(account_for(&a, &s), account_for(&a, &Id::make()));
        assert_eq!(
            account_for(&a, &s),
            format!("{}/{}", a.to_hex(), s.to_hex())
        );
        assert_eq!(
            KEYCHAIN_SERVICE,
            if cfg!(debug_assertions) {
                "coffer-dev"
            } else {
                "coffer"
            }
        );
    }

    #[test]
    fn problems_are_one_line_without_secrets() {
        for p in [
            KeychainProblem::Missing,
            KeychainProblem::DoesNotOpen,
            KeychainProblem::Unavailable("no D-Bus".into()),
        ] {
            let s = p.to_string();
            assert!(!s.contains('\n') && s.starts_with("the "), "{s}");
        }
    }

    /// Without the `keychain` feature, enabling is refused with the keychain
    /// error (exit 11 in the CLI) and the identity is left unchanged: no
    /// fallback to a mock store. Run by `scripts/test.sh` via
    /// `cargo test -p coffer-vault --no-default-features`.
    #[cfg(not(feature = "keychain"))]
    #[test]
    fn fail_enable_without_keychain_feature() {
        use coffer_crypto::{AccountKey, KdfParams, SecretString};
        let dir = tempfile::tempdir().expect("tempdir");
        let pw = SecretString::new("pw".into());
        let me = IdentityStore::create(dir.path(), "Ada", None, &pw, KdfParams::FLOOR, true)
            .expect("create");
        let before = std::fs::read(dir.path().join("identity.json")).expect("read");
        let err = me.enable_keychain().expect_err("must be refused");
        assert_eq!(err.kind(), crate::ErrorKind::Keychain, "{err}");
        assert!(err.to_string().contains("no OS keychain support"), "{err}");
        assert!(keychain_supported().is_err());
        assert_eq!(keychain_backend(), "none");
        let after = std::fs::read(dir.path().join("identity.json")).expect("read");
        assert_eq!(before, after, "the identity file must not change");
        let store = IdentityStore::load(dir.path()).expect("load");
        assert!(matches!(
            store.unlock_with_keychain(),
            KeychainUnlock::NotEnabled
        ));
        assert_eq!(
            store.keychain_status().expect("status").entry,
            EntryState::NotEnabled
        );

        // An identity enabled by another build: the slot is reported as
        // unavailable (the caller falls back to the password), never opened.
        let slot = KeySlot::seal(&AccountKey::make(), &DeviceKey::make(), &me.id()).expect("seal");
        let account = account_for(&me.id(), &slot.slot_id);
        store
            .write_key_slot(Some((&slot, &account)))
            .expect("write");
        let store = IdentityStore::load(dir.path()).expect("load");
        match store.unlock_with_keychain() {
            KeychainUnlock::Failed(KeychainProblem::Unavailable(why)) => {
                assert!(why.contains("no OS keychain support"), "{why}")
            }
            other => panic!("expected unavailable, got {other:?}"),
        }
        assert!(store.unlock_with_password(&pw).is_ok());
        // Disabling removes the slot and says the entry could not be deleted.
        let err = store.disable_keychain().expect_err("entry not deletable");
        assert_eq!(err.kind(), crate::ErrorKind::Keychain);
        let store = IdentityStore::load(dir.path()).expect("load");
        assert_eq!(
            store.keychain_status().expect("status").entry,
            EntryState::NotEnabled
        );
    }
}
