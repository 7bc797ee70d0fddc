//! Copy a value to the OS clipboard from Rust (the web view never sees it)
//! and clear it after a timeout — only if the clipboard still holds what we
//! copied, so a user who copied something else meanwhile keeps it.
//!
//! The value is marked for password managers and clipboard histories where
//! the platform has a convention: on Linux/X11 the selection also offers
//! `x-kde-passwordManagerHint: secret` (Klipper, GNOME clipboard managers,
//! KeePassXC's convention), on macOS `org.nspasteboard.ConcealedType`, on
//! Windows "exclude from history and cloud clipboard" (arboard's
//! `exclude_from_history`). On Wayland arboard talks to XWayland here (its
//! `wayland-data-control` feature is off), so the X11 hint applies.
//!
//! We keep a keyed hash of what we copied, never the value.

use coffer_crypto::SecretString;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use zeroize::Zeroizing;

/// The clipboard operations the guard needs (a fake one in tests).
pub trait ClipboardBackend {
    /// Puts `text` on the clipboard, marked as concealed where possible.
    fn set_concealed(&mut self, text: &str) -> Result<(), String>;
    /// Puts public `text` on the clipboard, unmarked (clipboard histories
    /// may keep it).
    fn set_plain(&mut self, text: &str) -> Result<(), String>;
    /// The clipboard's current text, if it holds text.
    fn get_text(&mut self) -> Option<Zeroizing<String>>;
    /// Empties the clipboard.
    fn clear(&mut self) -> Result<(), String>;
    /// Whether the clipboard can be used at all (checked before a value is
    /// read, so an unusable clipboard does not log a copy).
    fn ready(&mut self) -> Result<(), String> {
        Ok(())
    }
}

/// What a timed clear did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ClearOutcome {
    /// The clipboard still held our value and was cleared.
    Cleared,
    /// The clipboard holds something else now: left alone.
    Changed,
    /// A later copy replaced this one; its own timer will clear it.
    Superseded,
    /// Nothing of ours to clear.
    Nothing,
}

/// Tracks what we put on the clipboard and clears it only if unchanged.
pub struct ClipboardGuard<B> {
    backend: B,
    /// Random per-process key for the digest, so the digest of a short
    /// value cannot be looked up in a table.
    key: [u8; 32],
    generation: u64,
    copied: Option<(u64, [u8; 32])>,
}

impl<B: ClipboardBackend> ClipboardGuard<B> {
    /// A guard over `backend`.
    pub fn new(backend: B) -> Self {
        Self {
            backend,
            key: coffer_crypto::random_bytes(),
            generation: 0,
            copied: None,
        }
    }

    fn digest(&self, text: &str) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update(self.key);
        h.update(text.as_bytes());
        h.finalize().into()
    }

    /// Whether the clipboard can be used.
    pub fn ready(&mut self) -> Result<(), String> {
        self.backend.ready()
    }

    /// Copies `value`; returns the generation to pass to [`Self::clear_if_unchanged`].
    pub fn copy(&mut self, value: &SecretString) -> Result<u64, String> {
        // Why: putting the value on the clipboard is what the user asked for.
        self.backend.set_concealed(value.expose_secret())?;
        self.generation += 1;
        self.copied = Some((self.generation, self.digest(value.expose_secret())));
        Ok(self.generation)
    }

    /// Copies public text (the user's public identity): not concealed, and
    /// nothing to clear later. A pending clear of an earlier secret finds
    /// the clipboard changed and leaves it.
    pub fn copy_public(&mut self, text: &str) -> Result<(), String> {
        self.backend.set_plain(text)?;
        self.copied = None;
        Ok(())
    }

    /// Clears the clipboard if it still holds the value copied as
    /// `generation` (`None`: whatever we copied last, e.g. on lock).
    pub fn clear_if_unchanged(&mut self, generation: Option<u64>) -> ClearOutcome {
        let Some((current, digest)) = self.copied else {
            return ClearOutcome::Nothing;
        };
        if generation.is_some_and(|g| g != current) {
            return ClearOutcome::Superseded;
        }
        self.copied = None;
        let still_ours = self
            .backend
            .get_text()
            .is_some_and(|t| bool::from(self.digest(&t).ct_eq(&digest)));
        if !still_ours {
            return ClearOutcome::Changed;
        }
        match self.backend.clear() {
            Ok(()) => ClearOutcome::Cleared,
            // Could not clear: nothing better to do than report it.
            Err(_) => ClearOutcome::Changed,
        }
    }
}

/// The OS clipboard through `arboard`, opened on first use (it needs a
/// display) and kept open: on X11 the owner must stay alive to serve it.
#[derive(Default)]
pub struct SystemClipboard {
    cb: Option<arboard::Clipboard>,
}

impl SystemClipboard {
    fn open(&mut self) -> Result<&mut arboard::Clipboard, String> {
        if self.cb.is_none() {
            self.cb = Some(
                arboard::Clipboard::new()
                    .map_err(|e| format!("the clipboard is not available: {e}"))?,
            );
        }
        self.cb
            .as_mut()
            .ok_or_else(|| "the clipboard is not available".to_string())
    }
}

impl ClipboardBackend for SystemClipboard {
    fn set_concealed(&mut self, text: &str) -> Result<(), String> {
        let cb = self.open()?;
        let set = cb.set();
        #[cfg(any(
            target_os = "linux",
            target_os = "freebsd",
            target_os = "openbsd",
            target_os = "netbsd"
        ))]
        let set = {
            use arboard::SetExtLinux;
            set.exclude_from_history()
        };
        #[cfg(target_os = "macos")]
        let set = {
            use arboard::SetExtApple;
            set.exclude_from_history()
        };
        #[cfg(target_os = "windows")]
        let set = {
            use arboard::SetExtWindows;
            set.exclude_from_history().exclude_from_cloud()
        };
        set.text(text.to_owned())
            .map_err(|e| format!("could not copy to the clipboard: {e}"))
    }

    fn set_plain(&mut self, text: &str) -> Result<(), String> {
        self.open()?
            .set_text(text.to_owned())
            .map_err(|e| format!("could not copy to the clipboard: {e}"))
    }

    fn get_text(&mut self) -> Option<Zeroizing<String>> {
        self.open().ok()?.get_text().ok().map(Zeroizing::new)
    }

    fn clear(&mut self) -> Result<(), String> {
        self.open()?
            .clear()
            .map_err(|e| format!("could not clear the clipboard: {e}"))
    }

    fn ready(&mut self) -> Result<(), String> {
        self.open().map(|_| ())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Default)]
    struct Fake {
        text: Option<String>,
        concealed: bool,
    }
    impl ClipboardBackend for Fake {
        fn set_concealed(&mut self, text: &str) -> Result<(), String> {
            self.text = Some(text.into());
            self.concealed = true;
            Ok(())
        }
        fn set_plain(&mut self, text: &str) -> Result<(), String> {
            self.text = Some(text.into());
            self.concealed = false;
            Ok(())
        }
        fn get_text(&mut self) -> Option<Zeroizing<String>> {
            self.text.clone().map(Zeroizing::new)
        }
        fn clear(&mut self) -> Result<(), String> {
            self.text = None;
            Ok(())
        }
    }

    fn secret(s: &str) -> SecretString {
        SecretString::new(s.into())
    }

    #[test]
    fn clears_when_it_still_holds_our_value() {
        let mut g = ClipboardGuard::new(Fake::default());
        let gen = g.copy(&secret("sk_live_1")).expect("copy");
        assert!(g.backend.concealed);
        assert_eq!(g.clear_if_unchanged(Some(gen)), ClearOutcome::Cleared);
        assert_eq!(g.backend.text, None);
        // A second timer for the same copy has nothing to do.
        assert_eq!(g.clear_if_unchanged(Some(gen)), ClearOutcome::Nothing);
    }

    #[test]
    fn leaves_what_the_user_copied_since() {
        let mut g = ClipboardGuard::new(Fake::default());
        let gen = g.copy(&secret("sk_live_1")).expect("copy");
        g.backend.text = Some("some URL the user copied".into());
        assert_eq!(g.clear_if_unchanged(Some(gen)), ClearOutcome::Changed);
        assert_eq!(g.backend.text.as_deref(), Some("some URL the user copied"));
    }

    #[test]
    fn an_older_timer_does_not_clear_a_newer_copy_early() {
        let mut g = ClipboardGuard::new(Fake::default());
        let first = g.copy(&secret("one")).expect("copy");
        let second = g.copy(&secret("two")).expect("copy");
        assert_eq!(g.clear_if_unchanged(Some(first)), ClearOutcome::Superseded);
        assert_eq!(g.backend.text.as_deref(), Some("two"));
        assert_eq!(g.clear_if_unchanged(Some(second)), ClearOutcome::Cleared);
    }

    #[test]
    fn lock_clears_the_last_copy_if_unchanged() {
        let mut g = ClipboardGuard::new(Fake::default());
        g.copy(&secret("one")).expect("copy");
        assert_eq!(g.clear_if_unchanged(None), ClearOutcome::Cleared);
        let mut g = ClipboardGuard::new(Fake::default());
        assert_eq!(g.clear_if_unchanged(None), ClearOutcome::Nothing);
    }

    #[test]
    fn same_text_copied_by_the_user_counts_as_ours() {
        // Identical bytes cannot be told apart; clearing them is the safe side.
        let mut g = ClipboardGuard::new(Fake::default());
        let gen = g.copy(&secret("v")).expect("copy");
        g.backend.text = Some("v".into());
        assert_eq!(g.clear_if_unchanged(Some(gen)), ClearOutcome::Cleared);
    }

    #[test]
    fn a_public_copy_is_plain_and_never_cleared() {
        let mut g = ClipboardGuard::new(Fake::default());
        let gen = g.copy(&secret("sk_live_1")).expect("copy");
        g.copy_public("coffer1-public").expect("copy public");
        assert!(!g.backend.concealed, "public text is not marked concealed");
        // The secret's timer and the lock find nothing of theirs to clear.
        assert_eq!(g.clear_if_unchanged(Some(gen)), ClearOutcome::Nothing);
        assert_eq!(g.clear_if_unchanged(None), ClearOutcome::Nothing);
        assert_eq!(g.backend.text.as_deref(), Some("coffer1-public"));
    }
}
