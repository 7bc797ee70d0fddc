//! The device's identity: kept in `COFFER_HOME/identity.json`, never in a
//! team vault. Private keys are sealed under the account key (UAK), which
//! sits in a password slot and, optionally, a keychain slot (see
//! `keychain.rs`).
//!
//! Failed password unlocks back off, and the back-off is persisted in
//! `COFFER_HOME/unlock-state.json` so that separate processes share it.

use std::fs;
use std::path::{Path, PathBuf};

use base64::engine::general_purpose::STANDARD as B64;
use base64::Engine;
use coffer_crypto::{
    AccountKey, Id, KdfParams, KeySlot, PasswordSlot, PrivateIdentity, PublicKeys, SecretString,
};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::paths::{ensure_private_dir, write_atomic};
use crate::time::{now, real_now};

const IDENTITY_FILE: &str = "identity.json";
const UNLOCK_STATE_FILE: &str = "unlock-state.json";
/// Failed attempts allowed before the back-off starts.
pub const FREE_ATTEMPTS: u32 = 3;
/// The longest back-off, in seconds.
pub const MAX_BACKOFF_SECS: u64 = 15 * 60;

pub(crate) mod b64 {
    use super::*;
    pub fn ser<S: serde::Serializer>(v: &[u8], s: S) -> std::result::Result<S::Ok, S::Error> {
        s.serialize_str(&B64.encode(v))
    }
    pub fn de<'d, D: serde::Deserializer<'d>>(d: D) -> std::result::Result<Vec<u8>, D::Error> {
        let s = String::deserialize(d)?;
        B64.decode(s).map_err(serde::de::Error::custom)
    }
}

#[derive(Clone, Debug, Serialize, Deserialize)]
struct PasswordSlotFile {
    slot_id: String,
    #[serde(serialize_with = "b64::ser", deserialize_with = "b64::de")]
    salt: Vec<u8>,
    m_kib: u32,
    t: u32,
    p: u32,
    #[serde(serialize_with = "b64::ser", deserialize_with = "b64::de")]
    ct: Vec<u8>,
}

#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct KeySlotFile {
    pub(crate) slot_id: String,
    /// The keychain account this slot's device key lives under
    /// (`<identity id>/<slot id>`; the service is the build's
    /// `KEYCHAIN_SERVICE`). Checked against the ids on load.
    pub(crate) keychain_account: String,
    #[serde(serialize_with = "b64::ser", deserialize_with = "b64::de")]
    pub(crate) ct: Vec<u8>,
}

/// The identity file. A stability commitment: new fields must be optional.
#[derive(Clone, Debug, Serialize, Deserialize)]
struct IdentityFile {
    version: u32,
    id: String,
    name: String,
    email: Option<String>,
    x25519: String,
    ed25519: String,
    device_id: String,
    created_at: i64,
    #[serde(serialize_with = "b64::ser", deserialize_with = "b64::de")]
    sealed: Vec<u8>,
    password_slot: PasswordSlotFile,
    #[serde(default)]
    keychain_slot: Option<KeySlotFile>,
    /// The user explicitly chose KDF parameters below the user minimum;
    /// don't silently raise them.
    #[serde(default)]
    kdf_pinned: bool,
}

#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct UnlockState {
    failures: u32,
    last_failure: i64,
}

fn hex32(s: &str) -> Result<[u8; 32]> {
    let bad = || Error::integrity("the identity file has a malformed key");
    if s.len() != 64 {
        return Err(bad());
    }
    let mut out = [0u8; 32];
    for (i, o) in out.iter_mut().enumerate() {
        *o = u8::from_str_radix(s.get(2 * i..2 * i + 2).ok_or_else(bad)?, 16).map_err(|_| bad())?;
    }
    Ok(out)
}

fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// Public facts about the device identity (no secret).
#[derive(Clone, Debug, Serialize)]
pub struct IdentityInfo {
    /// Identity (member) id.
    pub id: String,
    /// Name.
    pub name: String,
    /// Email.
    pub email: Option<String>,
    /// Fingerprint to compare out of band.
    pub fingerprint: String,
    /// The copy-pasteable public identity string.
    pub public_identity: String,
    /// KDF memory in KiB.
    pub kdf_m_kib: u32,
    /// KDF passes.
    pub kdf_t: u32,
    /// KDF lanes.
    pub kdf_p: u32,
    /// Whether the keychain slot is enabled.
    pub keychain: bool,
}

/// The identity on this device, locked.
#[derive(Debug)]
pub struct IdentityStore {
    home: PathBuf,
    file: IdentityFile,
    public: PublicKeys,
}

/// An unlocked identity: holds the private keys until dropped (then zeroized).
#[derive(Debug)]
pub struct UnlockedIdentity {
    pub(crate) private: PrivateIdentity,
    pub(crate) uak: AccountKey,
    pub(crate) device_id: Id,
    pub(crate) name: String,
    pub(crate) email: Option<String>,
    pub(crate) home: PathBuf,
}

impl UnlockedIdentity {
    /// The identity's id (its member id in vaults).
    pub fn id(&self) -> Id {
        self.private.id()
    }
    /// The public keys.
    pub fn public(&self) -> &PublicKeys {
        self.private.public()
    }
    /// The name.
    pub fn name(&self) -> &str {
        &self.name
    }
    /// The device data directory this identity came from.
    pub fn home(&self) -> &Path {
        &self.home
    }
    /// This device's id (its feed in a sync folder).
    pub fn device_id(&self) -> Id {
        self.device_id
    }
    /// The self-signed public identity string.
    pub fn public_identity_string(&self) -> String {
        self.private
            .public_identity_string(&self.name, self.email.as_deref())
    }
}

impl IdentityStore {
    /// Whether an identity exists in `home`.
    pub fn exists(home: &Path) -> bool {
        home.join(IDENTITY_FILE).exists()
    }

    /// Creates a new identity in `home` with a password slot. `params` are
    /// checked against the floor and ceiling; `pinned` records that the user
    /// explicitly asked for them.
    pub fn create(
        home: &Path,
        name: &str,
        email: Option<&str>,
        password: &SecretString,
        params: KdfParams,
        pinned: bool,
    ) -> Result<UnlockedIdentity> {
        let name = name.trim();
        if name.is_empty() || !crate::vault::printable_name(name, 100) {
            return Err(Error::InvalidInput(
                "name must be 1-100 printable characters (no control or invisible formatting characters)".into(),
            ));
        }
        let email = email.map(str::trim).filter(|e| !e.is_empty());
        if !email.is_none_or(|e| crate::vault::printable_name(e, 254)) {
            return Err(Error::InvalidInput(
                "the email must be at most 254 printable characters".into(),
            ));
        }
        if password.expose_secret().is_empty() {
            return Err(Error::InvalidInput(
                "the passphrase must not be empty".into(),
            ));
        }
        params
            .check_bounds()
            .map_err(|e| Error::InvalidInput(e.to_string()))?;
        if Self::exists(home) {
            return Err(Error::IdentityExists(home.to_path_buf()));
        }
        ensure_private_dir(home)?;
        let private = PrivateIdentity::make();
        let uak = AccountKey::make();
        let sealed = private.seal(&uak).map_err(crypto_internal)?;
        let slot = PasswordSlot::seal(&uak, password, params, &private.id())
            .map_err(|e| Error::InvalidInput(e.to_string()))?;
        let device_id = Id::make();
        let file = IdentityFile {
            version: 1,
            id: private.id().to_hex(),
            name: name.to_string(),
            email: email.map(str::to_string),
            x25519: to_hex(&private.public().x25519),
            ed25519: to_hex(&private.public().ed25519),
            device_id: device_id.to_hex(),
            created_at: now(),
            sealed,
            password_slot: slot_to_file(&slot),
            keychain_slot: None,
            kdf_pinned: pinned,
        };
        write_identity(home, &file)?;
        tracing::info!(identity = %private.id(), "identity created");
        let me = UnlockedIdentity {
            private,
            uak,
            device_id,
            name: name.to_string(),
            email: email.map(str::to_string),
            home: home.to_path_buf(),
        };
        me.save_public_identity()?;
        Ok(me)
    }

    /// Loads the (locked) identity from `home`.
    pub fn load(home: &Path) -> Result<Self> {
        let path = home.join(IDENTITY_FILE);
        let raw = match fs::read(&path) {
            Ok(r) => r,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                return Err(Error::NoIdentity(home.to_path_buf()))
            }
            Err(e) => return Err(Error::io(format!("reading {}", path.display()), e)),
        };
        Self::from_file_bytes(home, &raw)
    }

    /// Reads the bytes of an identity file (untrusted: anyone who can write
    /// `COFFER_HOME` can put anything there). Structure only; the slots are
    /// decoded and checked when they are used.
    fn from_file_bytes(home: &Path, raw: &[u8]) -> Result<Self> {
        let file: IdentityFile = serde_json::from_slice(raw)
            .map_err(|_| Error::integrity("the identity file is not valid"))?;
        if file.version != 1 {
            return Err(Error::integrity("the identity file has an unknown version"));
        }
        let public = PublicKeys {
            id: Id::from_hex(&file.id).map_err(|_| Error::integrity("bad identity id"))?,
            x25519: hex32(&file.x25519)?,
            ed25519: hex32(&file.ed25519)?,
        };
        Ok(Self {
            home: home.to_path_buf(),
            file,
            public,
        })
    }

    /// The public keys.
    pub fn public(&self) -> &PublicKeys {
        &self.public
    }

    /// Public facts (for `identity show`).
    pub fn info(&self) -> Result<IdentityInfo> {
        let s = &self.file.password_slot;
        Ok(IdentityInfo {
            id: self.public.id.to_hex(),
            name: self.file.name.clone(),
            email: self.file.email.clone(),
            fingerprint: self.public.fingerprint(),
            public_identity: self.public_identity_string()?,
            kdf_m_kib: s.m_kib,
            kdf_t: s.t,
            kdf_p: s.p,
            keychain: self.file.keychain_slot.is_some(),
        })
    }

    fn public_identity_string(&self) -> Result<String> {
        // The string is self-signed, so it needs the private key; we keep a
        // copy in the file to show it without unlocking.
        let path = self.home.join("public-identity.txt");
        fs::read_to_string(&path)
            .map(|s| s.trim().to_string())
            .map_err(|e| Error::io(format!("reading {}", path.display()), e))
    }

    fn password_slot(&self) -> Result<PasswordSlot> {
        let s = &self.file.password_slot;
        Ok(PasswordSlot {
            slot_id: Id::from_hex(&s.slot_id).map_err(|_| Error::integrity("bad slot id"))?,
            salt: s
                .salt
                .as_slice()
                .try_into()
                .map_err(|_| Error::integrity("bad slot salt"))?,
            params: KdfParams {
                m_kib: s.m_kib,
                t: s.t,
                p: s.p,
            },
            ct: s.ct.clone(),
        })
    }

    /// The device data directory.
    pub(crate) fn home(&self) -> &Path {
        &self.home
    }

    /// The keychain slot and its keychain account, if enabled. The account
    /// is rebuilt from the ids and must match the stored one: an edited
    /// account would make us read some other entry.
    pub(crate) fn key_slot(&self) -> Result<Option<(KeySlot, String)>> {
        let Some(s) = &self.file.keychain_slot else {
            return Ok(None);
        };
        let slot_id =
            Id::from_hex(&s.slot_id).map_err(|_| Error::integrity("bad keychain slot id"))?;
        let account = crate::keychain::account_for(&self.public.id, &slot_id);
        if account != s.keychain_account {
            return Err(Error::integrity(
                "the keychain slot names another identity's entry",
            ));
        }
        Ok(Some((
            KeySlot {
                slot_id,
                ct: s.ct.clone(),
            },
            account,
        )))
    }

    /// Replaces (or removes, with `None`) the keychain slot in the identity
    /// file; the password slot and everything else are kept.
    pub(crate) fn write_key_slot(&self, slot: Option<(&KeySlot, &str)>) -> Result<()> {
        let mut file = self.file.clone();
        file.keychain_slot = slot.map(|(s, account)| KeySlotFile {
            slot_id: s.slot_id.to_hex(),
            keychain_account: account.to_string(),
            ct: s.ct.clone(),
        });
        write_identity(&self.home, &file)
    }

    /// Failed passphrase attempts since the last successful passphrase
    /// unlock (the back-off grows with it; a keychain unlock keeps it).
    pub fn failed_attempts(&self) -> u32 {
        read_unlock_state(&self.home).failures
    }

    /// The back-off still to wait, in seconds (0 = may try now).
    pub fn backoff_remaining(&self) -> u64 {
        let st = read_unlock_state(&self.home);
        backoff_secs(st.failures)
            .saturating_sub(real_now().saturating_sub(st.last_failure).max(0) as u64)
    }

    /// Unlocks with the passphrase. Checks the back-off first; a failure is
    /// counted and persisted. After a success with parameters below the
    /// current policy, the UAK is re-wrapped with stronger parameters (no
    /// item is re-encrypted).
    pub fn unlock_with_password(&self, password: &SecretString) -> Result<UnlockedIdentity> {
        let wait = self.backoff_remaining();
        if wait > 0 {
            return Err(Error::LockedOut { wait_secs: wait });
        }
        let slot = self.password_slot()?;
        let uak = match slot.open(password, &self.public.id) {
            Ok(k) => k,
            Err(coffer_crypto::Error::KdfParams(why)) => {
                return Err(Error::integrity(format!(
                    "the identity's key-derivation parameters are {why}; the file was modified"
                )))
            }
            Err(_) => {
                self.record_failure()?;
                return Err(Error::WrongPassphrase);
            }
        };
        self.clear_failures()?;
        let unlocked = self.open_with_uak(uak)?;
        if !self.file.kdf_pinned && slot.params.weaker_than(&KdfParams::USER_MINIMUM) {
            tracing::info!("raising the KDF parameters to the current policy");
            unlocked.change_password(password, KdfParams::USER_MINIMUM, false)?;
        }
        Ok(unlocked)
    }

    /// Opens the private keys with an account key from any slot.
    pub(crate) fn open_with_uak(&self, uak: AccountKey) -> Result<UnlockedIdentity> {
        let private = PrivateIdentity::open(&self.public, &self.file.sealed, &uak)
            .map_err(|_| Error::integrity("the identity's sealed keys do not open"))?;
        Ok(UnlockedIdentity {
            private,
            uak,
            device_id: Id::from_hex(&self.file.device_id)
                .map_err(|_| Error::integrity("bad device id"))?,
            name: self.file.name.clone(),
            email: self.file.email.clone(),
            home: self.home.clone(),
        })
    }

    fn record_failure(&self) -> Result<()> {
        let mut st = read_unlock_state(&self.home);
        st.failures = st.failures.saturating_add(1);
        st.last_failure = real_now();
        write_unlock_state(&self.home, &st)
    }

    fn clear_failures(&self) -> Result<()> {
        if read_unlock_state(&self.home).failures > 0 {
            write_unlock_state(&self.home, &UnlockState::default())?;
        }
        Ok(())
    }
}

/// What [`fuzz_identity_file`] made of a file.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdentityFileProbe {
    /// The password slot's KDF parameters are within the floor and ceiling.
    pub kdf_in_bounds: bool,
    /// The sealed keys or the keychain slot opened under a fixed key that
    /// is not the file's (must never be true).
    pub opened_under_foreign_key: bool,
}

/// Fuzzing entry point (`fuzz/`, `crates/coffer-fuzz-targets`): everything
/// Coffer reads from an untrusted `identity.json` short of the passphrase's
/// KDF — the file's structure, its keys, both slot records (the KDF bounds
/// are checked, as before every derivation), the keychain account check,
/// then the sealed keys and the keychain slot opened under fixed keys that
/// are not the file's. `None` when the file or a slot is malformed. Never
/// panics, whatever `raw` holds.
#[doc(hidden)]
pub fn fuzz_identity_file(raw: &[u8]) -> Option<IdentityFileProbe> {
    let store = IdentityStore::from_file_bytes(Path::new("/nonexistent"), raw).ok()?;
    let slot = store.password_slot().ok()?;
    let key_slot = store.key_slot().ok()?;
    let uak = coffer_crypto::wrap::vectors::account_key([7; 32]);
    let opened = PrivateIdentity::open(&store.public, &store.file.sealed, &uak).is_ok();
    let slot_opened = match (
        key_slot,
        coffer_crypto::DeviceKey::from_keychain_bytes(&[9; 32]),
    ) {
        (Some((ks, _account)), Ok(dk)) => ks.open(&dk, &store.public.id).is_ok(),
        _ => false,
    };
    Some(IdentityFileProbe {
        kdf_in_bounds: slot.params.check_bounds().is_ok(),
        opened_under_foreign_key: opened || slot_opened,
    })
}

/// The Argon2id parameters of the password slot (no secret), against the
/// current policy ([`KdfParams::USER_MINIMUM`]).
#[derive(Clone, Debug, Serialize)]
pub struct KdfReport {
    /// Memory in KiB.
    pub m_kib: u32,
    /// Passes.
    pub t: u32,
    /// Lanes.
    pub p: u32,
    /// Whether they are at least the current policy's.
    pub meets_policy: bool,
    /// The user explicitly chose weaker parameters; they are not raised on
    /// unlock.
    pub pinned: bool,
}

impl IdentityStore {
    /// The password slot's KDF parameters and whether they meet the policy.
    pub fn kdf_report(&self) -> KdfReport {
        let s = &self.file.password_slot;
        let params = KdfParams {
            m_kib: s.m_kib,
            t: s.t,
            p: s.p,
        };
        KdfReport {
            m_kib: s.m_kib,
            t: s.t,
            p: s.p,
            meets_policy: !params.weaker_than(&KdfParams::USER_MINIMUM),
            pinned: self.file.kdf_pinned,
        }
    }

    /// Changes the passphrase: checks `new` against the passphrase policy
    /// ([`crate::passphrase`], the name and email counting as guessable), checks
    /// `old` exactly like an unlock (the back-off applies, and a wrong `old`
    /// counts as a failed attempt: [`Error::WrongCurrentPassphrase`] says
    /// so), then re-wraps the account key in a new password slot with the
    /// current parameters (raised to the policy unless pinned). Only the
    /// password slot changes: the keychain slot and every item stay as they
    /// are.
    pub fn change_passphrase(&self, old: &SecretString, new: &SecretString) -> Result<()> {
        let info = self.info()?;
        let mut personal = vec![info.name.as_str()];
        personal.extend(info.email.as_deref());
        crate::passphrase::check_new_passphrase(new, &personal)?;
        let me = match self.unlock_with_password(old) {
            Ok(me) => me,
            Err(Error::WrongPassphrase) => {
                return Err(Error::WrongCurrentPassphrase {
                    failed_attempts: self.failed_attempts(),
                })
            }
            Err(e) => return Err(e),
        };
        // The unlock may have raised the parameters: read them again.
        let report = Self::load(&self.home)?.kdf_report();
        let params = KdfParams {
            m_kib: report.m_kib,
            t: report.t,
            p: report.p,
        };
        me.change_password(new, params, report.pinned)?;
        tracing::info!(identity = %me.id(), "passphrase changed");
        Ok(())
    }
}

impl UnlockedIdentity {
    /// Re-wraps the UAK under a new passphrase (and parameters). Items are
    /// not touched: only the password slot changes.
    pub fn change_password(
        &self,
        new_password: &SecretString,
        params: KdfParams,
        pinned: bool,
    ) -> Result<()> {
        if new_password.expose_secret().is_empty() {
            return Err(Error::InvalidInput(
                "the passphrase must not be empty".into(),
            ));
        }
        params
            .check_bounds()
            .map_err(|e| Error::InvalidInput(e.to_string()))?;
        let store = IdentityStore::load(&self.home)?;
        let slot = PasswordSlot::seal(&self.uak, new_password, params, &self.id())
            .map_err(|e| Error::InvalidInput(e.to_string()))?;
        let mut file = store.file;
        file.password_slot = slot_to_file(&slot);
        file.kdf_pinned = pinned;
        write_identity(&self.home, &file)
    }

    /// Writes the public identity string beside the identity file so that
    /// `identity show` works without unlocking.
    pub fn save_public_identity(&self) -> Result<()> {
        write_atomic(
            &self.home.join("public-identity.txt"),
            format!("{}\n", self.public_identity_string()).as_bytes(),
        )
    }
}

fn slot_to_file(slot: &PasswordSlot) -> PasswordSlotFile {
    PasswordSlotFile {
        slot_id: slot.slot_id.to_hex(),
        salt: slot.salt.to_vec(),
        m_kib: slot.params.m_kib,
        t: slot.params.t,
        p: slot.params.p,
        ct: slot.ct.clone(),
    }
}

fn write_identity(home: &Path, file: &IdentityFile) -> Result<()> {
    let json = serde_json::to_vec_pretty(file)
        .map_err(|e| Error::Database(format!("encoding the identity file: {e}")))?;
    write_atomic(&home.join(IDENTITY_FILE), &json)
}

fn crypto_internal(e: coffer_crypto::Error) -> Error {
    Error::Database(format!("cryptography failed: {e}"))
}

/// The back-off after `failures` failed attempts: none for the first
/// [`FREE_ATTEMPTS`], then 1 s doubling to [`MAX_BACKOFF_SECS`].
pub fn backoff_secs(failures: u32) -> u64 {
    if failures < FREE_ATTEMPTS {
        return 0;
    }
    let exp = (failures - FREE_ATTEMPTS).min(20);
    (1u64 << exp).min(MAX_BACKOFF_SECS)
}

fn read_unlock_state(home: &Path) -> UnlockState {
    fs::read(home.join(UNLOCK_STATE_FILE))
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default()
}

fn write_unlock_state(home: &Path, st: &UnlockState) -> Result<()> {
    let json = serde_json::to_vec(st)
        .map_err(|e| Error::Database(format!("encoding the unlock state: {e}")))?;
    write_atomic(&home.join(UNLOCK_STATE_FILE), &json)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_schedule() {
        assert_eq!(backoff_secs(0), 0);
        assert_eq!(backoff_secs(2), 0);
        assert_eq!(backoff_secs(3), 1);
        assert_eq!(backoff_secs(6), 8);
        assert_eq!(backoff_secs(40), MAX_BACKOFF_SECS);
    }

    fn pw(s: &str) -> SecretString {
        SecretString::new(s.into())
    }

    #[test]
    fn change_passphrase_then_old_fails_and_new_works() {
        let dir = tempfile::tempdir().expect("tmp");
        let me = IdentityStore::create(
            dir.path(),
            "Ada",
            None,
            &pw("old passphrase 1"),
            KdfParams::FLOOR,
            true,
        )
        .expect("create");
        let id = me.id();
        drop(me);
        let store = IdentityStore::load(dir.path()).expect("load");
        store
            .change_passphrase(&pw("old passphrase 1"), &pw("new passphrase 2"))
            .expect("change");
        let store = IdentityStore::load(dir.path()).expect("load");
        assert!(matches!(
            store.unlock_with_password(&pw("old passphrase 1")),
            Err(Error::WrongPassphrase)
        ));
        let me = store
            .unlock_with_password(&pw("new passphrase 2"))
            .expect("new works");
        assert_eq!(me.id(), id);
        // Pinned floor parameters stay pinned.
        let r = IdentityStore::load(dir.path()).expect("load").kdf_report();
        assert!(r.pinned && !r.meets_policy);
        assert_eq!((r.m_kib, r.t, r.p), (19 * 1024, 2, 1));
    }

    #[test]
    fn fail_change_passphrase_wrong_old_counts_and_short_new_is_refused() {
        let dir = tempfile::tempdir().expect("tmp");
        IdentityStore::create(
            dir.path(),
            "Ada",
            None,
            &pw("old passphrase 1"),
            KdfParams::FLOOR,
            true,
        )
        .expect("create");
        let store = IdentityStore::load(dir.path()).expect("load");
        let e = store
            .change_passphrase(&pw("old passphrase 1"), &pw("short"))
            .expect_err("too short");
        assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
        assert!(e.to_string().contains("at least 10 characters"), "{e}");
        assert_eq!(
            store.failed_attempts(),
            0,
            "a refused new passphrase is no attempt"
        );
        let e = store
            .change_passphrase(&pw("not the passphrase"), &pw("new passphrase 2"))
            .expect_err("wrong old");
        assert_eq!(e.kind(), crate::ErrorKind::Auth);
        assert!(
            e.to_string()
                .contains("counts as a failed unlock attempt (1 in a row"),
            "{e}"
        );
        assert_eq!(store.failed_attempts(), 1);
        assert!(store.unlock_with_password(&pw("old passphrase 1")).is_ok());
    }
}
