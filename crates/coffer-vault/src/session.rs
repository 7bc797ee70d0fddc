//! The session unlock cache: after one unlock (passphrase or keychain), the
//! next commands in the same login session open the identity in
//! microseconds instead of asking the Secret Service (four D-Bus round
//! trips and a Diffie-Hellman, ~9 ms) or running Argon2id (~1 s).
//!
//! Construction (the keychain slot's, with another home for the key):
//! - a fresh random 32-byte session key goes into the Linux kernel keyring
//!   of the login session (`@s`, a `user` key described
//!   `coffer-session:<identity id>`), possessor-only, with a timeout;
//! - the account key (UAK) is sealed under it ([`KeySlot`], bound to the
//!   identity and slot id) in `COFFER_HOME/session.slot` (0600).
//!
//! Neither half opens anything alone: the file is useless once the kernel
//! key is gone (timed out, `coffer lock`, the app's lock, logout), and the
//! kernel key without the file is 32 random bytes. Each use pushes the
//! timeout back ([`DEFAULT_SESSION_MINUTES`] idle; `COFFER_SESSION_MINUTES`,
//! 0 turns the cache off). Same-user processes of the session can read the
//! kernel key, as they can already ask the unlocked Secret Service for the
//! keychain slot's device key (docs/keychain.md says what changes).
//! Other systems have no cache yet: every call reports it unavailable.

use std::path::{Path, PathBuf};

use coffer_crypto::{DeviceKey, Id, KeySlot};
use serde::{Deserialize, Serialize};

use crate::error::{Error, Result};
use crate::identity::{IdentityStore, UnlockedIdentity};

/// Idle minutes a session unlock lasts unless `COFFER_SESSION_MINUTES`
/// says otherwise.
pub const DEFAULT_SESSION_MINUTES: u64 = 10;
/// The longest a session may be asked to last (4 h, as the app's auto-lock).
pub const MAX_SESSION_MINUTES: u64 = 240;
/// The sealed half's file name in `COFFER_HOME`.
pub const SESSION_FILE: &str = "session.slot";

/// How long a session lasts, from `COFFER_SESSION_MINUTES` (0: off; out of
/// range or unreadable: the default, capped at [`MAX_SESSION_MINUTES`]).
pub fn session_minutes() -> u64 {
    match std::env::var("COFFER_SESSION_MINUTES") {
        Ok(v) => v
            .trim()
            .parse::<u64>()
            .map(|m| m.min(MAX_SESSION_MINUTES))
            .unwrap_or(DEFAULT_SESSION_MINUTES),
        Err(_) => DEFAULT_SESSION_MINUTES,
    }
}

/// The name prefix of [`SessionMarker`] keys.
pub const MARKER_PREFIX: &str = "coffer-agent:";

/// A key in the login session's keyring that only the processes of that
/// session can see: possessor-only, even to view, so its name (a random
/// token) shows in `/proc/keys` only to a process that holds the keyring,
/// the processes that can open the session cache. The agent answers only
/// a client that read the token there (attack review 20: the uid alone
/// took in every other login and sandbox of the user). Invalidated when
/// dropped.
pub struct SessionMarker {
    token: String,
    #[cfg(target_os = "linux")]
    key: linux_keyutils::Key,
}

impl SessionMarker {
    /// A new marker in this process's session keyring; `None` without one.
    pub fn new() -> Option<Self> {
        let token: String = coffer_crypto::random_bytes::<16>()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        #[cfg(target_os = "linux")]
        {
            let key = kernel::marker(&format!("{MARKER_PREFIX}{token}"))?;
            Some(SessionMarker { token, key })
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = token;
            None
        }
    }

    /// The token (the key's name after [`MARKER_PREFIX`]).
    pub fn token(&self) -> &str {
        &self.token
    }
}

impl Drop for SessionMarker {
    fn drop(&mut self) {
        #[cfg(target_os = "linux")]
        {
            let _ = self.key.invalidate().is_ok() || self.key.revoke().is_ok();
        }
    }
}

#[derive(Serialize, Deserialize)]
struct SessionFile {
    slot_id: String,
    #[serde(
        serialize_with = "crate::identity::b64::ser",
        deserialize_with = "crate::identity::b64::de"
    )]
    ct: Vec<u8>,
}

fn file(home: &Path) -> PathBuf {
    home.join(SESSION_FILE)
}

fn description(identity: &Id) -> String {
    format!("coffer-session:{}", identity.to_hex())
}

impl IdentityStore {
    /// Opens the identity from the session cache, if a session is live
    /// (and pushes its timeout back). `None` when off, expired, ended, or
    /// anything does not match: the caller unlocks the usual way.
    pub fn unlock_from_session(&self) -> Option<UnlockedIdentity> {
        let minutes = session_minutes();
        if minutes == 0 {
            return None;
        }
        let id = self.public().id;
        let key = kernel::read(&description(&id), minutes * 60)?;
        let dk = DeviceKey::from_keychain_bytes(&key).ok()?;
        let text = std::fs::read_to_string(file(self.home())).ok()?;
        let f: SessionFile = serde_json::from_str(&text).ok()?;
        let slot = KeySlot {
            slot_id: Id::from_hex(&f.slot_id).ok()?,
            ct: f.ct,
        };
        let uak = slot.open(&dk, &id).ok()?;
        self.open_with_uak(uak).ok()
    }

    /// Whether a session is live, without pushing its timeout back (the
    /// agent's watch: it ends when this turns false).
    pub fn session_live(&self) -> bool {
        session_minutes() != 0
            && kernel::exists(&description(&self.public().id))
            && file(self.home()).is_file()
    }

    /// Starts (or renews) a session for `me` just unlocked. Returns whether
    /// one was started (off, or no kernel keyring: `false`, never an error
    /// the user must see: the unlock itself succeeded).
    pub fn start_session(&self, me: &UnlockedIdentity) -> bool {
        let minutes = session_minutes();
        if minutes == 0 {
            return false;
        }
        let dk = DeviceKey::make();
        let Ok(slot) = KeySlot::seal(&me.uak, &dk, &me.id()) else {
            return false;
        };
        let f = SessionFile {
            slot_id: slot.slot_id.to_hex(),
            ct: slot.ct,
        };
        let Ok(text) = serde_json::to_vec(&f) else {
            return false;
        };
        // The file first: a kernel key without its file opens nothing.
        if crate::paths::write_atomic(&file(self.home()), &text).is_err() {
            return false;
        }
        kernel::store(
            &description(&me.id()),
            dk.dangerous_expose_bytes(),
            minutes * 60,
        )
    }

    /// Ends the session (`coffer lock`, the app's lock): the kernel key is
    /// revoked and the sealed half removed. Returns whether one was live.
    pub fn end_session(&self) -> Result<bool> {
        let had = kernel::end(&description(&self.public().id));
        match std::fs::remove_file(file(self.home())) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(had),
            Err(e) => Err(Error::io("removing the session file", e)),
        }
    }
}

#[cfg(target_os = "linux")]
mod kernel {
    use linux_keyutils::{KeyPermissionsBuilder, KeyRing, KeyRingIdentifier, Permission};
    use zeroize::Zeroizing;

    /// The login session's keyring (pam_keyinit gives each login one); a
    /// process started outside one gets the user's session keyring, never
    /// a new keyring of its own (which would die with the process).
    fn session() -> Option<KeyRing> {
        KeyRing::from_special_id(KeyRingIdentifier::Session, false).ok()
    }

    pub(super) fn read(description: &str, timeout_secs: u64) -> Option<Zeroizing<Vec<u8>>> {
        let key = session()?.search(description).ok()?;
        let mut buf = Zeroizing::new(vec![0u8; 64]);
        let n = key.read(&mut *buf).ok()?;
        buf.truncate(n);
        // Idle timeout: each use pushes the end back.
        let _ = key.set_timeout(timeout_secs as usize);
        Some(buf)
    }

    pub(super) fn store(description: &str, secret: &[u8; 32], timeout_secs: u64) -> bool {
        let Some(ring) = session() else {
            return false;
        };
        let Ok(key) = ring.add_key(description, &secret[..]) else {
            return false;
        };
        // Only a process holding the session keyring may read or change
        // it; the user may see that it exists and when it ends
        // (`/proc/keys`), not what it holds.
        let perms = KeyPermissionsBuilder::builder()
            .posessor(Permission::ALL)
            .user(Permission::VIEW)
            .build();
        key.set_perms(perms).is_ok() && key.set_timeout(timeout_secs as usize).is_ok()
    }

    /// A key named `description` (one byte: a `user` key cannot be empty)
    /// that only its possessors may
    /// see, read or change.
    pub(super) fn marker(description: &str) -> Option<linux_keyutils::Key> {
        let key = session()?.add_key(description, b"1").ok()?;
        let perms = KeyPermissionsBuilder::builder()
            .posessor(Permission::ALL)
            .build();
        if key.set_perms(perms).is_err() {
            let _ = key.invalidate();
            return None;
        }
        Some(key)
    }

    pub(super) fn exists(description: &str) -> bool {
        session().is_some_and(|r| r.search(description).is_ok())
    }

    pub(super) fn end(description: &str) -> bool {
        match session().and_then(|r| r.search(description).ok()) {
            Some(key) => key.invalidate().is_ok() || key.revoke().is_ok(),
            None => false,
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod kernel {
    use zeroize::Zeroizing;

    pub(super) fn read(_: &str, _: u64) -> Option<Zeroizing<Vec<u8>>> {
        None
    }

    pub(super) fn store(_: &str, _: &[u8; 32], _: u64) -> bool {
        false
    }

    pub(super) fn exists(_: &str) -> bool {
        false
    }

    pub(super) fn end(_: &str) -> bool {
        false
    }
}
