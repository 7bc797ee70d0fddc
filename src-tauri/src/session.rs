//! The window's session: the unlocked identity or vault, held in a mutex.
//! Keys live inside `coffer_vault` types and zeroize when dropped, which
//! is what `lock` does; nothing here hands them out.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use coffer_vault::paths::{app_vault_path, coffer_home};
use coffer_vault::{UnlockedIdentity, Vault};

use crate::clipboard::{ClipboardGuard, SystemClipboard};
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
    /// The vault this window works on (changes when the user opens an
    /// existing vault file).
    vault_path: Mutex<PathBuf>,
    state: Mutex<Option<Unlocked>>,
    /// The clipboard and what we copied to it.
    pub clipboard: Arc<Mutex<ClipboardGuard<SystemClipboard>>>,
}

impl Session {
    /// A session over `home` and `vault_path`, locked.
    pub fn new(home: PathBuf, vault_path: PathBuf) -> Self {
        Self {
            home,
            vault_path: Mutex::new(vault_path),
            state: Mutex::new(None),
            clipboard: Arc::new(Mutex::new(ClipboardGuard::new(SystemClipboard::default()))),
        }
    }

    /// The default identity home and vault: `COFFER_HOME`; `COFFER_VAULT`,
    /// else the vault the app opened last, else `vault.coffer` in the home.
    pub fn from_env() -> Self {
        let home = coffer_home();
        let vault = app_vault_path(&home);
        Self::new(home, vault)
    }

    /// The vault file this window works on.
    pub fn vault_path(&self) -> PathBuf {
        self.vault_path
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Points the window at another vault file (after opening it).
    pub fn set_vault_path(&self, path: PathBuf) {
        *self.vault_path.lock().unwrap_or_else(|p| p.into_inner()) = path;
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
