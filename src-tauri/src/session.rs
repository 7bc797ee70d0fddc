//! The window's session: the unlocked identity or vault, held in a mutex.
//! Keys live inside `coffer_vault` types and zeroize when dropped, which
//! is what `lock` does; nothing here hands them out.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use coffer_vault::paths::{coffer_home, default_vault_path};
use coffer_vault::{UnlockedIdentity, Vault};

use crate::clipboard::{ClipboardGuard, SystemClipboard};
use crate::dto::OffboardProgressDto;
use crate::error::{IpcError, IpcResult};

/// What is unlocked.
pub enum Unlocked {
    /// The identity only: no vault file yet (first run, before "create vault").
    Identity(Box<UnlockedIdentity>),
    /// An open vault (it owns the unlocked identity).
    Vault(Box<Vault>),
}

/// App state managed by Tauri.
pub struct Session {
    /// The device data directory (`COFFER_HOME`).
    pub home: PathBuf,
    /// The vault this window works on.
    pub vault_path: PathBuf,
    state: Mutex<Option<Unlocked>>,
    /// The clipboard and what we copied to it.
    pub clipboard: Arc<Mutex<ClipboardGuard<SystemClipboard>>>,
    /// Where a running offboarding is. Apart from `state`, which the
    /// offboarding holds while it runs, so `offboard_progress` can read it.
    pub offboard_progress: Mutex<OffboardProgressDto>,
}

impl Session {
    /// A session over `home` and `vault_path`, locked.
    pub fn new(home: PathBuf, vault_path: PathBuf) -> Self {
        Self {
            home,
            vault_path,
            state: Mutex::new(None),
            clipboard: Arc::new(Mutex::new(ClipboardGuard::new(SystemClipboard::default()))),
            offboard_progress: Mutex::new(OffboardProgressDto::default()),
        }
    }

    /// The default identity home and vault (`COFFER_HOME`, `COFFER_VAULT`).
    pub fn from_env() -> Self {
        Self::new(coffer_home(), default_vault_path())
    }

    /// The state. A command that panicked while holding the lock left the
    /// vault consistent (SQLite rolled back), so the state stays usable.
    pub fn state(&self) -> MutexGuard<'_, Option<Unlocked>> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Replaces the state; the previous one is dropped (keys zeroized).
    pub fn set(&self, new: Option<Unlocked>) {
        *self.state() = new;
    }

    /// Runs `f` on the open vault, or fails with `locked`.
    pub fn with_vault<T>(
        &self,
        f: impl FnOnce(&mut Vault) -> coffer_vault::Result<T>,
    ) -> IpcResult<T> {
        match self.state().as_mut() {
            Some(Unlocked::Vault(v)) => f(v).map_err(IpcError::from),
            _ => Err(IpcError::locked()),
        }
    }
}
