//! Live refresh: a change another program made to the open vault (the
//! `coffer` CLI on this device writing the same file) is shown without a
//! lock. A thread polls the vault's connection every [`POLL`] with
//! `Vault::catch_up` (SQLite's `PRAGMA data_version`, which moves only
//! for commits made by *another* connection: the app's own writes and its
//! syncs are never reported, the window already refreshes after them) and
//! tells the window with the `vault-changed` event ([`CHANGED_EVENT`]).
//! The window reloads its lists without losing its place.
//!
//! Why a poll and not file notifications (`notify`/inotify on the file
//! and its `-wal`): inotify fires for the app's own writes and SQLite's
//! checkpoints as well, so every event would still need the same
//! `data_version` check to tell ours from theirs, plus debouncing and a new
//! dependency; the poll alone costs about 5 µs (debug build,
//! `tests/live_refresh.rs`), four times a second. The poll never waits
//! for the vault (a command holding it skips a round) and never counts as
//! the user's activity (the idle lock is unaffected).

use std::sync::Weak;
use std::time::Duration;

use crate::session::Session;

/// The event emitted to the window when another program changed the vault;
/// its payload is a [`crate::dto::VaultChangedEvent`].
pub const CHANGED_EVENT: &str = "vault-changed";

/// How often the vault is looked at.
pub const POLL: Duration = Duration::from_millis(250);

/// Called when another program changed the open vault.
pub type ChangeNotifier = Box<dyn Fn() + Send + Sync>;

/// Looks once: whether another program changed the open vault since the
/// last look. The vault catches up (its seal and pinned keys are read
/// again) before this returns. `false` when locked or busy.
///
/// When the file changed and no longer checks out (`catch_up` refuses it:
/// edited outside Coffer, a trigger planted, an older sealed copy put back
/// over it), the session locks with [`LockReason::VaultRefused`] and the
/// reason (the lock notifier tells the window, which shows the Unlock
/// screen with it): the window must not keep showing, nor the clipboard
/// keep, what a file the CLI refuses says. The next unlock refuses the
/// file and offers the rebuild from the sync folder. Returns `false` then
/// (the lock, not a refresh, is what the window is told).
///
/// [`LockReason::VaultRefused`]: crate::dto::LockReason::VaultRefused
pub fn poll_once(s: &Session) -> bool {
    match s.try_with_vault(|v| v.catch_up()) {
        Some(Ok(changed)) => changed,
        Some(Err(e)) => {
            // The state's guard is released here: locking takes it again.
            eprintln!("coffer-desktop: the vault changed outside the app and does not verify; locked: {e}");
            // The vault's own sentence, without the kind of error before it.
            let why = match e {
                coffer_vault::Error::Integrity(why) => why,
                other => other.to_string(),
            };
            s.lock_refused(why);
            false
        }
        None => false,
    }
}

/// Starts the watcher thread: every `period`, [`poll_once`], and `notify`
/// when it saw a change. It ends when the session is dropped.
pub fn spawn(session: Weak<Session>, period: Duration, notify: ChangeNotifier) {
    std::thread::Builder::new()
        .name("coffer-vault-watch".into())
        .spawn(move || loop {
            std::thread::sleep(period);
            match session.upgrade() {
                Some(s) => {
                    if poll_once(&s) {
                        notify();
                    }
                }
                None => return,
            }
        })
        .map(drop)
        .unwrap_or_else(|e| eprintln!("coffer-desktop: no vault watcher: {e}"));
}
