//! The window's session: the unlocked identity or vault, held in a mutex,
//! with its idle deadline and the device settings.
//!
//! Keys live inside `coffer_vault` types and zeroize when dropped (the
//! account key, environment keys and item keys are `Zeroizing` arrays; the
//! X25519 and Ed25519 private keys zeroize themselves), which is what
//! [`Session::lock`] does; nothing here hands them out.
//!
//! The idle lock is enforced here, in Rust, not in the web view: every
//! command first checks the deadline ([`Session::check_idle`]) and a timer
//! thread ([`spawn_idle_timer`]) locks when it passes, so a hung or hidden
//! web view cannot keep the vault open. The UI only reports activity and
//! reflects the lock (the `session-locked` event, [`LOCKED_EVENT`]).

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

use coffer_vault::paths::{app_vault_path, coffer_home};
use coffer_vault::settings::Settings;
use coffer_vault::{UnlockedIdentity, Vault};

use crate::clipboard::{ClipboardGuard, SystemClipboard};
use crate::dto::{IpcSecret, LockReason, OffboardProgressDto, Plaintext};
use crate::error::{IpcError, IpcErrorCode, IpcResult};
use coffer_crypto::SecretString;

/// The event emitted to the window when the session locks by itself (idle,
/// screen lock, suspend); its payload is a [`crate::dto::LockedEvent`].
pub const LOCKED_EVENT: &str = "session-locked";

/// What is unlocked.
pub enum Unlocked {
    /// The identity only: no vault file yet (first run, before "create vault").
    Identity(Box<UnlockedIdentity>),
    /// An open vault (it owns the unlocked identity).
    Vault(Box<Vault>),
}

/// Called after the session locked by itself, with the reason.
pub type LockNotifier = Box<dyn Fn(LockReason) + Send + Sync>;

/// Asks the user, outside the web view (a native dialog), whether the app
/// may connect to `host` to reach the git remote `url`. `true`: yes.
pub type RemoteConfirmer = Box<dyn Fn(&str, &str) -> bool + Send + Sync>;

struct Clock {
    last_activity: Instant,
    /// Replaces the settings' idle time (tests, `COFFER_TEST_IDLE_SECS`).
    idle_override: Option<Duration>,
}

/// App state managed by Tauri.
pub struct Session {
    /// The device data directory (`COFFER_HOME`).
    pub home: PathBuf,
    /// The vault this window works on (changes when the user opens an
    /// existing vault file).
    vault_path: Mutex<PathBuf>,
    state: Mutex<Option<Unlocked>>,
    clock: Mutex<Clock>,
    settings: Mutex<Settings>,
    last_lock: Mutex<Option<LockReason>>,
    /// Why, in a sentence, when the last lock was a refused vault file.
    last_lock_detail: Mutex<Option<String>>,
    notifier: Mutex<Option<LockNotifier>>,
    /// What the keychain said when the app tried it at start (shown on the
    /// Unlock screen).
    pub start_problem: Mutex<Option<String>>,
    /// Whether the start-up keychain unlock was tried (it is tried once).
    pub start_tried: Mutex<bool>,
    /// The clipboard and what we copied to it.
    pub clipboard: Arc<Mutex<ClipboardGuard<SystemClipboard>>>,
    /// Where a running offboarding is. Apart from `state`, which the
    /// offboarding holds while it runs, so `offboard_progress` can read it.
    pub offboard_progress: Mutex<OffboardProgressDto>,
    confirmer: Mutex<Option<RemoteConfirmer>>,
    /// Network git remotes the user confirmed in this session.
    confirmed_remotes: Mutex<std::collections::HashSet<String>>,
    /// Shows the native file dialog (set by `run`; none in tests of the
    /// plain commands, where `pick_path` then says there is no dialog).
    picker: Mutex<Option<crate::picker::PathPicker>>,
    /// Paths the user chose in the native dialog, not yet used.
    pub(crate) picked: Mutex<crate::picker::Grants>,
    /// The running or last "Scan a folder" (apart from `state`, which the
    /// scan holds only while it decrypts the values).
    pub(crate) scan: Mutex<crate::commands::ScanJob>,
    /// The sealed channel to the page (`open_channel`); dropped (its keys
    /// wiped) on lock, so what crossed IPC before cannot be opened after.
    channel: Mutex<Option<coffer_crypto::ipc_channel::IpcChannel>>,
}

fn lock_ignoring_poison<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    // A command that panicked while holding a lock left the data
    // consistent (SQLite rolled back), so it stays usable.
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl Session {
    /// A session over `home` and `vault_path`, locked, with the settings
    /// read from `home`.
    pub fn new(home: PathBuf, vault_path: PathBuf) -> Self {
        // A bad settings file never stops the app: defaults, and one line
        // on stderr per problem (the shell has no log subscriber).
        let (settings, warnings) = Settings::load_with_warnings(&home);
        for w in warnings {
            eprintln!("coffer-desktop: {w}");
        }
        Self {
            home,
            vault_path: Mutex::new(vault_path),
            state: Mutex::new(None),
            clock: Mutex::new(Clock {
                last_activity: Instant::now(),
                idle_override: None,
            }),
            settings: Mutex::new(settings),
            last_lock: Mutex::new(None),
            last_lock_detail: Mutex::new(None),
            notifier: Mutex::new(None),
            start_problem: Mutex::new(None),
            start_tried: Mutex::new(false),
            clipboard: Arc::new(Mutex::new(ClipboardGuard::new(SystemClipboard::default()))),
            offboard_progress: Mutex::new(OffboardProgressDto::default()),
            confirmer: Mutex::new(None),
            confirmed_remotes: Mutex::new(std::collections::HashSet::new()),
            picker: Mutex::new(None),
            picked: Mutex::new(crate::picker::Grants::default()),
            scan: Mutex::new(crate::commands::ScanJob::default()),
            channel: Mutex::new(None),
        }
    }

    /// The default identity home and vault: `COFFER_HOME`; `COFFER_VAULT`,
    /// else the vault the app opened last, else `vault.coffer` in the home.
    /// A debug build honours `COFFER_TEST_IDLE_SECS` (the idle time in
    /// seconds, for end-to-end tests); release builds ignore it.
    pub fn from_env() -> Self {
        let home = coffer_home();
        let vault = app_vault_path(&home);
        let s = Self::new(home, vault);
        if cfg!(debug_assertions) {
            if let Some(secs) = std::env::var("COFFER_TEST_IDLE_SECS")
                .ok()
                .and_then(|v| v.parse::<u64>().ok())
                .filter(|v| *v > 0)
            {
                s.set_idle_override(Some(Duration::from_secs(secs)));
            }
        }
        s
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

    /// The state.
    pub fn state(&self) -> MutexGuard<'_, Option<Unlocked>> {
        lock_ignoring_poison(&self.state)
    }

    /// Replaces the state; the previous one is dropped (keys zeroized).
    /// Unlocking starts a fresh idle period and forgets the last lock reason.
    pub fn set(&self, new: Option<Unlocked>) {
        let unlocking = new.is_some();
        *self.state() = new;
        if unlocking {
            self.touch();
            *lock_ignoring_poison(&self.last_lock) = None;
            *lock_ignoring_poison(&self.last_lock_detail) = None;
        }
    }

    /// Runs `f` on the open vault, or fails with `locked`.
    ///
    /// First the vault runs the open's checks again if another program
    /// changed the file since they last ran (`Vault::check_current`: a
    /// counter read, unless something changed), so that no command reads
    /// through, or writes over, what the watcher has not looked at yet
    /// (attack review 18); and again after the command, whose answer is
    /// dropped if the file changed meanwhile and no longer checks out
    /// (attack review 19). A file that no longer checks out locks the
    /// session as the watcher would, with the reason.
    pub fn with_vault<T>(
        &self,
        f: impl FnOnce(&mut Vault) -> coffer_vault::Result<T>,
    ) -> IpcResult<T> {
        let why = {
            let mut state = self.state();
            match state.as_mut() {
                Some(Unlocked::Vault(v)) => match v.check_current() {
                    Ok(()) => {
                        let out = f(v).map_err(IpcError::from)?;
                        // And after: what the command read must not come
                        // from a change committed while it ran that no
                        // longer checks out (attack review 19, F4); its
                        // answer is dropped then (wiped, if it held a
                        // secret).
                        match v.check_current() {
                            Err(coffer_vault::Error::Integrity(why)) => why,
                            _ => return Ok(out),
                        }
                    }
                    Err(coffer_vault::Error::Integrity(why)) => why,
                    Err(e) => return Err(IpcError::from(e)),
                },
                _ => return Err(IpcError::locked()),
            }
        };
        // The state's guard is released here: locking takes it again.
        self.lock_refused(why.clone());
        Err(IpcError::from(coffer_vault::Error::Integrity(why)))
    }

    /// Runs `f` on the open vault if the session is neither locked nor busy
    /// (a command holding it): `None` otherwise. For the vault watcher,
    /// which must never wait behind a long command nor count as activity.
    pub fn try_with_vault<T>(
        &self,
        f: impl FnOnce(&mut Vault) -> coffer_vault::Result<T>,
    ) -> Option<coffer_vault::Result<T>> {
        let mut guard = match self.state.try_lock() {
            Ok(g) => g,
            Err(std::sync::TryLockError::Poisoned(p)) => p.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return None,
        };
        match guard.as_mut() {
            Some(Unlocked::Vault(v)) => Some(f(v)),
            _ => None,
        }
    }

    /// Runs `f` on the unlocked identity (with or without a vault), or
    /// fails with `locked`.
    pub fn with_identity<T>(
        &self,
        f: impl FnOnce(&UnlockedIdentity) -> coffer_vault::Result<T>,
    ) -> IpcResult<T> {
        match self.state().as_ref() {
            Some(Unlocked::Vault(v)) => f(v.me()).map_err(IpcError::from),
            Some(Unlocked::Identity(me)) => f(me).map_err(IpcError::from),
            None => Err(IpcError::locked()),
        }
    }

    /// The device settings (as last loaded or saved).
    pub fn settings(&self) -> Settings {
        lock_ignoring_poison(&self.settings).clone()
    }

    /// Validates and saves new settings; the idle deadline follows at once.
    pub fn save_settings(&self, new: Settings) -> IpcResult<Settings> {
        new.save(&self.home)?;
        *lock_ignoring_poison(&self.settings) = new.clone();
        Ok(new)
    }

    /// Sets (or with `None` clears) an idle time that replaces the
    /// settings' minutes: for tests, which cannot wait minutes.
    pub fn set_idle_override(&self, idle: Option<Duration>) {
        lock_ignoring_poison(&self.clock).idle_override = idle;
    }

    /// How long the session may stay idle before it locks.
    pub fn idle_limit(&self) -> Duration {
        let over = lock_ignoring_poison(&self.clock).idle_override;
        over.unwrap_or_else(|| {
            Duration::from_secs(u64::from(self.settings().auto_lock_minutes) * 60)
        })
    }

    /// Records user activity: the idle period starts again.
    pub fn touch(&self) {
        lock_ignoring_poison(&self.clock).last_activity = Instant::now();
    }

    /// Whether something is unlocked.
    pub fn is_unlocked(&self) -> bool {
        self.state().is_some()
    }

    /// Locks if the idle deadline has passed; returns whether it locked.
    pub fn check_idle(&self) -> bool {
        let last = lock_ignoring_poison(&self.clock).last_activity;
        if last.elapsed() < self.idle_limit() || !self.is_unlocked() {
            return false;
        }
        self.lock(LockReason::Idle)
    }

    /// Locks when the screen locks or the machine suspends, if the settings
    /// ask for it; returns whether it locked.
    pub fn lock_for_system(&self, reason: LockReason) -> bool {
        if !self.settings().lock_on_screen_lock {
            return false;
        }
        self.lock(reason)
    }

    /// Opens a new sealed channel to the page whose X25519 public key is
    /// `page` (replacing any earlier one); returns this side's public key.
    pub fn open_channel(&self, page: &[u8; 32]) -> IpcResult<[u8; 32]> {
        let ch = coffer_crypto::ipc_channel::IpcChannel::open(page)
            .map_err(|e| IpcError::invalid(e.to_string()))?;
        let public = ch.public_key();
        *lock_ignoring_poison(&self.channel) = Some(ch);
        Ok(public)
    }

    /// This side's public key of the open channel, if one is open.
    pub fn channel_key(&self) -> Option<[u8; 32]> {
        lock_ignoring_poison(&self.channel)
            .as_ref()
            .map(|c| c.public_key())
    }

    /// Opens a secret argument the page sealed for `command`. With no
    /// channel (none opened, or the session locked since) or one that does
    /// not open it, the error is [`IpcErrorCode::Channel`]: the page opens
    /// a new channel and sends again.
    pub fn unseal(&self, command: &str, secret: &IpcSecret) -> IpcResult<SecretString> {
        let guard = lock_ignoring_poison(&self.channel);
        let ch = guard.as_ref().ok_or_else(channel_closed)?;
        let mut bytes = ch
            .open_from_page(command, secret.sealed())
            .map_err(|_| channel_closed())?;
        match String::from_utf8(std::mem::take(&mut *bytes)) {
            Ok(s) => Ok(SecretString::new(s)),
            Err(e) => {
                drop(zeroize::Zeroizing::new(e.into_bytes()));
                Err(IpcError::invalid("a secret must be UTF-8 text"))
            }
        }
    }

    /// Seals a value for the page as the result of `command`.
    pub fn seal(&self, command: &str, value: &SecretString) -> IpcResult<Plaintext> {
        use base64::Engine as _;
        let guard = lock_ignoring_poison(&self.channel);
        let ch = guard.as_ref().ok_or_else(channel_closed)?;
        let sealed = ch
            .seal_to_page(command, value.expose_secret().as_bytes())
            .map_err(|e| IpcError::internal(e.to_string()))?;
        Ok(Plaintext(
            base64::engine::general_purpose::STANDARD.encode(sealed),
        ))
    }

    /// Locks: drops the vault and identity (keys zeroize) and clears the
    /// clipboard if it still holds a value we copied. When something was
    /// unlocked and the reason is not the user's own lock, the notifier is
    /// told (the app emits [`LOCKED_EVENT`]). Returns whether anything was
    /// unlocked.
    pub fn lock(&self, reason: LockReason) -> bool {
        self.lock_with(reason, None)
    }

    /// Locks because the open vault file no longer checks out (the live
    /// refresh, `Vault::catch_up`, refused it: edited outside Coffer, or an
    /// older copy put back): the window must not keep showing a file the
    /// CLI refuses. `why` is shown on the Unlock screen. Returns whether
    /// anything was unlocked.
    pub fn lock_refused(&self, why: String) -> bool {
        self.lock_with(LockReason::VaultRefused, Some(why))
    }

    fn lock_with(&self, reason: LockReason, detail: Option<String>) -> bool {
        let mut state = self.state();
        let had = state.is_some();
        if had {
            // Recorded before the state is released, so whoever sees the
            // session locked also sees why.
            *lock_ignoring_poison(&self.last_lock) = Some(reason);
            *lock_ignoring_poison(&self.last_lock_detail) = detail;
        }
        let was = state.take();
        drop(state);
        drop(was);
        *lock_ignoring_poison(&self.channel) = None;
        lock_ignoring_poison(&self.picked).clear();
        lock_ignoring_poison(&self.scan).forget();
        lock_ignoring_poison(&self.clipboard).clear_if_unchanged(None);
        // The app's lock also ends the CLI's session unlock (whatever the
        // reason: idle, screen lock, the user): the terminal is locked too.
        if let Ok(store) = coffer_vault::IdentityStore::load(&self.home) {
            if let Err(e) = store.end_session() {
                eprintln!("coffer-desktop: the CLI session was not ended: {e}");
            }
        }
        if had {
            log_lock(reason);
            if reason != LockReason::User {
                if let Some(n) = lock_ignoring_poison(&self.notifier).as_ref() {
                    n(reason);
                }
            }
        }
        had
    }

    /// Why the session last locked, until the next unlock.
    pub fn last_lock(&self) -> Option<LockReason> {
        *lock_ignoring_poison(&self.last_lock)
    }

    /// With [`LockReason::VaultRefused`]: why the vault file was refused.
    pub fn last_lock_detail(&self) -> Option<String> {
        lock_ignoring_poison(&self.last_lock_detail).clone()
    }

    /// Sets what is called when the session locks by itself.
    pub fn set_notifier(&self, n: LockNotifier) {
        *lock_ignoring_poison(&self.notifier) = Some(n);
    }

    /// Sets how the app asks the user to confirm a network git remote.
    pub fn set_remote_confirmer(&self, c: RemoteConfirmer) {
        *lock_ignoring_poison(&self.confirmer) = Some(c);
    }

    /// Sets how the app shows the native file dialog.
    pub fn set_path_picker(&self, p: crate::picker::PathPicker) {
        *lock_ignoring_poison(&self.picker) = Some(p);
    }

    /// Shows the native file dialog for `req`; `Ok(None)` when the user
    /// cancelled. Without a way to show one (no window), `internal`.
    pub fn pick(&self, req: &crate::picker::PickRequest) -> IpcResult<Option<PathBuf>> {
        let picker = lock_ignoring_poison(&self.picker);
        let ask = picker
            .as_ref()
            .ok_or_else(|| IpcError::internal("no file dialog is available here; type the path"))?;
        Ok(ask(req))
    }

    /// Whether the user confirmed, outside the web view, that the app may
    /// connect to `host` for the git remote `url` (asked once a session per
    /// remote). Without a way to ask (no window), the answer is no.
    pub fn confirm_remote(&self, host: &str, url: &str) -> bool {
        if lock_ignoring_poison(&self.confirmed_remotes).contains(url) {
            return true;
        }
        let yes = lock_ignoring_poison(&self.confirmer)
            .as_ref()
            .is_some_and(|ask| ask(host, url));
        if yes {
            lock_ignoring_poison(&self.confirmed_remotes).insert(url.to_string());
        }
        yes
    }
}

/// One line on stderr for a lock that was not the user's (no secret in it).
fn log_lock(reason: LockReason) {
    if reason != LockReason::User {
        eprintln!("coffer-desktop: locked ({})", reason.as_str());
    }
}

/// Starts the thread that locks `session` when its idle deadline passes,
/// checking every `period`. It ends when the session is dropped.
pub fn spawn_idle_timer(session: Weak<Session>, period: Duration) {
    std::thread::Builder::new()
        .name("coffer-idle-lock".into())
        .spawn(move || loop {
            std::thread::sleep(period);
            match session.upgrade() {
                Some(s) => {
                    s.check_idle();
                }
                None => return,
            }
        })
        .map(drop)
        .unwrap_or_else(|e| eprintln!("coffer-desktop: no idle-lock thread: {e}"));
}

/// The error for a secret that came without a usable channel.
fn channel_closed() -> IpcError {
    IpcError::new(
        IpcErrorCode::Channel,
        "the sealed channel to the page is closed: open a new one",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unlocked_session() -> (tempfile::TempDir, Session) {
        let dir = tempfile::tempdir().expect("tmp");
        let home = dir.path().join("home");
        let s = Session::new(home.clone(), home.join("vault.coffer"));
        let me = coffer_vault::IdentityStore::create(
            &home,
            "Ada",
            None,
            &coffer_crypto::SecretString::new("pw pw pw pw pw".into()),
            coffer_crypto::KdfParams::FLOOR,
            true,
        )
        .expect("identity");
        s.set(Some(Unlocked::Identity(Box::new(me))));
        (dir, s)
    }

    #[test]
    fn idle_limit_follows_settings_unless_overridden() {
        let (_d, s) = unlocked_session();
        assert_eq!(s.idle_limit(), Duration::from_secs(600));
        s.save_settings(Settings {
            auto_lock_minutes: 2,
            ..Settings::default()
        })
        .expect("save");
        assert_eq!(s.idle_limit(), Duration::from_secs(120));
        s.set_idle_override(Some(Duration::from_millis(5)));
        assert_eq!(s.idle_limit(), Duration::from_millis(5));
    }

    #[test]
    fn check_idle_locks_after_the_deadline_and_notifies() {
        let (_d, s) = unlocked_session();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let seen2 = seen.clone();
        s.set_notifier(Box::new(move |r| seen2.lock().expect("m").push(r)));
        s.set_idle_override(Some(Duration::from_millis(50)));
        assert!(!s.check_idle());
        std::thread::sleep(Duration::from_millis(80));
        assert!(s.check_idle());
        assert!(!s.is_unlocked());
        assert_eq!(s.last_lock(), Some(LockReason::Idle));
        assert_eq!(*seen.lock().expect("m"), [LockReason::Idle]);
        // Nothing left to lock: no second event.
        assert!(!s.check_idle());
        assert_eq!(seen.lock().expect("m").len(), 1);
    }

    #[test]
    fn activity_pushes_the_deadline_back() {
        let (_d, s) = unlocked_session();
        s.set_idle_override(Some(Duration::from_millis(150)));
        for _ in 0..4 {
            std::thread::sleep(Duration::from_millis(60));
            s.touch();
            assert!(!s.check_idle());
        }
        assert!(s.is_unlocked());
    }

    #[test]
    fn system_lock_obeys_the_setting_and_user_lock_is_silent() {
        let (_d, s) = unlocked_session();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let seen2 = seen.clone();
        s.set_notifier(Box::new(move |r| seen2.lock().expect("m").push(r)));
        s.save_settings(Settings {
            lock_on_screen_lock: false,
            ..Settings::default()
        })
        .expect("save");
        assert!(!s.lock_for_system(LockReason::ScreenLocked));
        assert!(s.is_unlocked());
        s.save_settings(Settings::default()).expect("save");
        assert!(s.lock_for_system(LockReason::Suspend));
        assert_eq!(s.last_lock(), Some(LockReason::Suspend));
        assert_eq!(*seen.lock().expect("m"), [LockReason::Suspend]);
        let (_d2, s) = unlocked_session();
        s.set_notifier(Box::new(|_| panic!("no event for the user's own lock")));
        assert!(s.lock(LockReason::User));
        assert_eq!(s.last_lock(), Some(LockReason::User));
    }
}
