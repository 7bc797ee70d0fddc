//! Device preferences: how the desktop app locks, how long a copied value
//! stays on the clipboard, how far ahead "due soon" looks, and whether the
//! app opens from the OS keychain at start.
//!
//! They live in `COFFER_HOME/settings.json` (mode 0600, written atomically
//! with [`paths::write_atomic`](crate::paths::write_atomic)). They are
//! preferences, not security state: nothing in them is secret, and a file
//! that is missing, unreadable, malformed or holds a value out of range never
//! stops the app — each bad or unknown field falls back to its default with
//! a warning (see [`Settings::parse`]).
//!
//! Auto-lock has no "never" (decision): a credential vault that can stay
//! open forever on an unattended desktop is the failure the setting exists
//! to prevent. The longest idle time is [`AUTO_LOCK_MINUTES`]`.end()` (4 h).
//!
//! ```
//! use coffer_vault::settings::Settings;
//! let dir = tempfile::tempdir()?;
//! let mut s = Settings::load(dir.path());
//! assert_eq!(s, Settings::default());
//! s.auto_lock_minutes = 30;
//! s.save(dir.path())?;
//! assert_eq!(Settings::load(dir.path()).auto_lock_minutes, 30);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::ops::RangeInclusive;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::paths::{ensure_private_dir, write_atomic};
use crate::rotation::DEFAULT_DUE_SOON_DAYS;

/// The settings file's name in `COFFER_HOME`.
pub const SETTINGS_FILE: &str = "settings.json";

/// Allowed idle minutes before the app locks (no "never": see the module docs).
pub const AUTO_LOCK_MINUTES: RangeInclusive<u32> = 1..=240;
/// Default idle minutes before the app locks.
pub const DEFAULT_AUTO_LOCK_MINUTES: u32 = 10;
/// Allowed seconds before a copied value is cleared from the clipboard.
pub const CLIPBOARD_CLEAR_SECS: RangeInclusive<u32> = 5..=600;
/// Default seconds before a copied value is cleared from the clipboard.
pub const DEFAULT_CLIPBOARD_CLEAR_SECS: u32 = 30;
/// Allowed "due soon" windows in days.
pub const DUE_SOON_DAYS: RangeInclusive<u32> = 1..=365;

/// The device's preferences. The JSON shape (field names, units) is a
/// stability commitment: a field may be added (old files get its default),
/// never renamed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    /// Lock after this many minutes without activity ([`AUTO_LOCK_MINUTES`]).
    pub auto_lock_minutes: u32,
    /// Lock when the screen locks or the machine suspends.
    pub lock_on_screen_lock: bool,
    /// Clear a copied value from the clipboard after this many seconds
    /// ([`CLIPBOARD_CLEAR_SECS`]), if it is still there.
    pub clipboard_clear_secs: u32,
    /// Credentials due within this many days count as "due soon"
    /// ([`DUE_SOON_DAYS`]).
    pub due_soon_days: u32,
    /// At start, open the identity from the OS keychain when it has a
    /// keychain slot (no effect without one).
    pub keychain_at_start: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            auto_lock_minutes: DEFAULT_AUTO_LOCK_MINUTES,
            lock_on_screen_lock: true,
            clipboard_clear_secs: DEFAULT_CLIPBOARD_CLEAR_SECS,
            due_soon_days: DEFAULT_DUE_SOON_DAYS,
            keychain_at_start: true,
        }
    }
}

fn in_range(what: &str, unit: &str, v: u32, r: &RangeInclusive<u32>) -> Result<()> {
    if r.contains(&v) {
        return Ok(());
    }
    Err(Error::InvalidInput(format!(
        "{what} must be {} to {} {unit} (got {v})",
        r.start(),
        r.end()
    )))
}

impl Settings {
    /// Checks every value against its range; the message is one sentence
    /// naming the setting and the allowed range.
    pub fn validate(&self) -> Result<()> {
        in_range(
            "the auto-lock time",
            "minutes",
            self.auto_lock_minutes,
            &AUTO_LOCK_MINUTES,
        )?;
        in_range(
            "the clipboard timeout",
            "seconds",
            self.clipboard_clear_secs,
            &CLIPBOARD_CLEAR_SECS,
        )?;
        in_range(
            "the due-soon window",
            "days",
            self.due_soon_days,
            &DUE_SOON_DAYS,
        )
    }

    /// The settings in `home`: defaults for anything missing or invalid.
    /// Never fails; each problem is logged as a warning.
    pub fn load(home: &Path) -> Self {
        let (settings, warnings) = Self::load_with_warnings(home);
        for w in warnings {
            tracing::warn!("{w}");
        }
        settings
    }

    /// Like [`Settings::load`], returning the warnings instead of logging them.
    pub fn load_with_warnings(home: &Path) -> (Self, Vec<String>) {
        let path = home.join(SETTINGS_FILE);
        match std::fs::read(&path) {
            Ok(bytes) => Self::parse(&bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Self::default(), Vec::new()),
            Err(e) => (
                Self::default(),
                vec![format!(
                    "could not read {}: {e}; using the default settings",
                    path.display()
                )],
            ),
        }
    }

    /// Parses a settings file leniently: a field that is missing takes its
    /// default silently; one of the wrong type or out of range, an unknown
    /// field, or a file that is not a JSON object gives a warning and the
    /// default for what was wrong.
    pub fn parse(bytes: &[u8]) -> (Self, Vec<String>) {
        let mut warnings = Vec::new();
        let mut s = Self::default();
        let obj: Map<String, Value> = match serde_json::from_slice(bytes) {
            Ok(Value::Object(o)) => o,
            _ => {
                warnings.push(format!(
                    "{SETTINGS_FILE} is not a JSON object; using the default settings"
                ));
                return (s, warnings);
            }
        };
        for (key, value) in &obj {
            let number = |r: &RangeInclusive<u32>, w: &mut Vec<String>| -> Option<u32> {
                let v = value
                    .as_u64()
                    .and_then(|v| u32::try_from(v).ok())
                    .filter(|v| r.contains(v));
                if v.is_none() {
                    w.push(format!(
                        "{SETTINGS_FILE}: {key} must be a whole number from {} to {} (found {value}); using the default",
                        r.start(),
                        r.end()
                    ));
                }
                v
            };
            let flag = |w: &mut Vec<String>| -> Option<bool> {
                let v = value.as_bool();
                if v.is_none() {
                    w.push(format!(
                        "{SETTINGS_FILE}: {key} must be true or false (found {value}); using the default"
                    ));
                }
                v
            };
            match key.as_str() {
                "auto_lock_minutes" => {
                    if let Some(v) = number(&AUTO_LOCK_MINUTES, &mut warnings) {
                        s.auto_lock_minutes = v;
                    }
                }
                "clipboard_clear_secs" => {
                    if let Some(v) = number(&CLIPBOARD_CLEAR_SECS, &mut warnings) {
                        s.clipboard_clear_secs = v;
                    }
                }
                "due_soon_days" => {
                    if let Some(v) = number(&DUE_SOON_DAYS, &mut warnings) {
                        s.due_soon_days = v;
                    }
                }
                "lock_on_screen_lock" => {
                    if let Some(v) = flag(&mut warnings) {
                        s.lock_on_screen_lock = v;
                    }
                }
                "keychain_at_start" => {
                    if let Some(v) = flag(&mut warnings) {
                        s.keychain_at_start = v;
                    }
                }
                other => warnings.push(format!(
                    "{SETTINGS_FILE}: unknown setting {other:?} ignored"
                )),
            }
        }
        (s, warnings)
    }

    /// Validates and writes the settings to `home` (atomically, 0600).
    pub fn save(&self, home: &Path) -> Result<()> {
        self.validate()?;
        ensure_private_dir(home)?;
        let json = serde_json::to_vec_pretty(self)
            .map_err(|e| Error::Database(format!("encoding the settings: {e}")))?;
        write_atomic(&home.join(SETTINGS_FILE), &json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_constants_and_validate() {
        let s = Settings::default();
        assert_eq!(s.auto_lock_minutes, 10);
        assert!(s.lock_on_screen_lock && s.keychain_at_start);
        assert_eq!(s.clipboard_clear_secs, DEFAULT_CLIPBOARD_CLEAR_SECS);
        assert_eq!(s.due_soon_days, DEFAULT_DUE_SOON_DAYS);
        s.validate().expect("defaults are valid");
    }

    #[test]
    fn round_trip_through_the_file_with_mode_0600() {
        let dir = tempfile::tempdir().expect("tmp");
        let home = dir.path().join("home");
        assert_eq!(Settings::load(&home), Settings::default());
        let s = Settings {
            auto_lock_minutes: 240,
            lock_on_screen_lock: false,
            clipboard_clear_secs: 5,
            due_soon_days: 365,
            keychain_at_start: false,
        };
        s.save(&home).expect("save");
        let (back, warnings) = Settings::load_with_warnings(&home);
        assert_eq!(back, s);
        assert!(warnings.is_empty(), "{warnings:?}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(home.join(SETTINGS_FILE))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn fail_save_out_of_range_says_which_and_writes_nothing() {
        let dir = tempfile::tempdir().expect("tmp");
        for (s, what) in [
            (
                Settings {
                    auto_lock_minutes: 0,
                    ..Settings::default()
                },
                "auto-lock time must be 1 to 240 minutes",
            ),
            (
                Settings {
                    auto_lock_minutes: 241,
                    ..Settings::default()
                },
                "auto-lock time must be 1 to 240 minutes",
            ),
            (
                Settings {
                    clipboard_clear_secs: 4,
                    ..Settings::default()
                },
                "clipboard timeout must be 5 to 600 seconds",
            ),
            (
                Settings {
                    due_soon_days: 366,
                    ..Settings::default()
                },
                "due-soon window must be 1 to 365 days",
            ),
        ] {
            let e = s.save(dir.path()).expect_err("refused");
            assert_eq!(e.kind(), crate::ErrorKind::InvalidInput);
            assert!(e.to_string().contains(what), "{e}");
        }
        assert!(!dir.path().join(SETTINGS_FILE).exists());
    }

    #[test]
    fn bad_values_fall_back_to_defaults_with_warnings() {
        let (s, w) = Settings::parse(
            br#"{"auto_lock_minutes": 0, "clipboard_clear_secs": "soon", "due_soon_days": 30,
                "lock_on_screen_lock": "yes", "keychain_at_start": false, "theme": "dark"}"#,
        );
        assert_eq!(
            s,
            Settings {
                due_soon_days: 30,
                keychain_at_start: false,
                ..Settings::default()
            }
        );
        assert_eq!(w.len(), 4, "{w:?}");
        assert!(w.iter().any(|w| w.contains("auto_lock_minutes")));
        assert!(w.iter().any(|w| w.contains("unknown setting \"theme\"")));
    }

    #[test]
    fn garbage_or_a_non_object_is_all_defaults() {
        for bytes in [
            &b"not json"[..],
            b"[1,2]",
            b"",
            b"{\"auto_lock_minutes\": 1e99}",
        ] {
            let (s, w) = Settings::parse(bytes);
            assert_eq!(s, Settings::default());
            assert_eq!(w.len(), 1, "{w:?}");
        }
        // A missing field is not a problem: older files lack newer fields.
        let (s, w) = Settings::parse(br#"{"auto_lock_minutes": 3}"#);
        assert_eq!(s.auto_lock_minutes, 3);
        assert!(w.is_empty());
    }

    #[test]
    fn an_unreadable_file_is_defaults_with_a_warning() {
        let dir = tempfile::tempdir().expect("tmp");
        std::fs::create_dir(dir.path().join(SETTINGS_FILE)).expect("a directory in the way");
        let (s, w) = Settings::load_with_warnings(dir.path());
        assert_eq!(s, Settings::default());
        assert_eq!(w.len(), 1);
    }
}
