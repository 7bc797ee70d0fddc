//! Locks the session when the screen locks or the machine suspends.
//!
//! On Linux it listens on D-Bus, in Rust (the web view has no part in it):
//!
//! - the session bus: `org.freedesktop.ScreenSaver.ActiveChanged(true)`
//!   (KDE, Xfce, most screen lockers) and
//!   `org.gnome.ScreenSaver.ActiveChanged(true)` (GNOME Shell);
//! - the system bus: `org.freedesktop.login1.Manager.PrepareForSleep(true)`
//!   (suspend, hibernate) and `org.freedesktop.login1.Session.Lock`
//!   (`loginctl lock-session`, and what most desktops send on lock). Any
//!   login session's `Lock` locks us: on a shared machine another user's lock
//!   locks this app too, which errs on the safe side.
//!
//! Which signal locks is decided by [`decide`], apart from D-Bus so it is
//! tested on its own. A bus that is absent (a container, a system without
//! logind) is logged once and skipped; the idle lock still applies. The
//! `lock_on_screen_lock` setting is checked when a signal arrives
//! ([`Session::lock_for_system`]).

use std::sync::Weak;
use std::time::Duration;

use crate::dto::LockReason;
use crate::session::Session;

/// The signals listened to on the session bus: `(interface, member)`.
pub const SESSION_BUS_SIGNALS: &[(&str, &str)] = &[
    ("org.freedesktop.ScreenSaver", "ActiveChanged"),
    ("org.gnome.ScreenSaver", "ActiveChanged"),
];

/// The signals listened to on the system bus: `(interface, member)`.
pub const SYSTEM_BUS_SIGNALS: &[(&str, &str)] = &[
    ("org.freedesktop.login1.Manager", "PrepareForSleep"),
    ("org.freedesktop.login1.Session", "Lock"),
];

/// Whether a signal locks, and why: `active` is its first argument when
/// that is a boolean. A screen saver turning off or a resume
/// (`PrepareForSleep(false)`) does not unlock anything and is ignored.
pub fn decide(interface: &str, member: &str, active: Option<bool>) -> Option<LockReason> {
    match (interface, member, active) {
        ("org.freedesktop.ScreenSaver" | "org.gnome.ScreenSaver", "ActiveChanged", Some(true)) => {
            Some(LockReason::ScreenLocked)
        }
        ("org.freedesktop.login1.Session", "Lock", _) => Some(LockReason::ScreenLocked),
        ("org.freedesktop.login1.Manager", "PrepareForSleep", Some(true)) => {
            Some(LockReason::Suspend)
        }
        _ => None,
    }
}

/// Which buses are being watched.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Watching {
    /// The session bus (screen savers).
    pub session_bus: bool,
    /// The system bus (logind: suspend, session lock).
    pub system_bus: bool,
}

/// Starts one listener thread per bus for `session` and returns once each
/// has subscribed or given up (at most a few seconds). The threads end when
/// the session is dropped.
pub fn start(session: Weak<Session>) -> Watching {
    imp::start(session)
}

#[cfg(target_os = "linux")]
mod imp {
    use std::sync::mpsc;

    use dbus::blocking::Connection;
    use dbus::channel::MatchingReceiver;
    use dbus::message::MatchRule;
    use dbus::Message;

    use super::*;

    pub(super) fn start(session: Weak<Session>) -> Watching {
        let (tx, rx) = mpsc::channel();
        for system in [false, true] {
            let (tx, session) = (tx.clone(), session.clone());
            let spawned = std::thread::Builder::new()
                .name(
                    if system {
                        "coffer-lockwatch-system"
                    } else {
                        "coffer-lockwatch-session"
                    }
                    .into(),
                )
                .spawn(move || watch(system, session, tx));
            if let Err(e) = spawned {
                eprintln!("coffer-desktop: no lock watcher thread: {e}");
            }
        }
        drop(tx);
        let mut w = Watching::default();
        let deadline = std::time::Instant::now() + Duration::from_secs(5);
        // Each thread reports once and then keeps its sender while it
        // listens, so stop after two reports (not at the deadline).
        let mut reports = 0;
        while reports < 2 {
            let Some(left) = deadline.checked_duration_since(std::time::Instant::now()) else {
                break;
            };
            match rx.recv_timeout(left) {
                Ok((false, ok)) => w.session_bus = ok,
                Ok((true, ok)) => w.system_bus = ok,
                Err(_) => break,
            }
            reports += 1;
        }
        w
    }

    fn watch(system: bool, session: Weak<Session>, ready: mpsc::Sender<(bool, bool)>) {
        let (bus, signals) = if system {
            ("system", SYSTEM_BUS_SIGNALS)
        } else {
            ("session", SESSION_BUS_SIGNALS)
        };
        let conn = match if system {
            Connection::new_system()
        } else {
            Connection::new_session()
        } {
            Ok(c) => c,
            Err(e) => {
                // Logged once; the idle lock still applies.
                eprintln!(
                    "coffer-desktop: no D-Bus {bus} bus ({}); the app will not lock on {}",
                    e.message().unwrap_or("unavailable"),
                    if system { "suspend" } else { "screen lock" }
                );
                let _ = ready.send((system, false));
                return;
            }
        };
        for (interface, member) in signals {
            let rule = MatchRule::new_signal(*interface, *member);
            if let Err(e) = conn.add_match_no_cb(&rule.match_str()) {
                eprintln!(
                    "coffer-desktop: cannot watch {interface}.{member} on the {bus} bus: {}",
                    e.message().unwrap_or("refused")
                );
                continue;
            }
            let session = session.clone();
            conn.start_receive(
                rule,
                Box::new(move |msg: Message, _: &Connection| {
                    on_signal(&session, &msg);
                    true
                }),
            );
        }
        let _ = ready.send((system, true));
        while session.strong_count() > 0 {
            if let Err(e) = conn.process(Duration::from_secs(1)) {
                eprintln!(
                    "coffer-desktop: the D-Bus {bus} bus went away ({}); no longer watching it",
                    e.message().unwrap_or("error")
                );
                return;
            }
        }
    }

    fn on_signal(session: &Weak<Session>, msg: &Message) {
        let (Some(interface), Some(member)) = (msg.interface(), msg.member()) else {
            return;
        };
        let active = msg.get1::<bool>();
        if let (Some(reason), Some(s)) = (decide(&interface, &member, active), session.upgrade()) {
            s.lock_for_system(reason);
        }
    }
}

#[cfg(not(target_os = "linux"))]
mod imp {
    use super::*;

    /// Other platforms: not watched yet (the idle lock still applies).
    pub(super) fn start(_session: Weak<Session>) -> Watching {
        Watching::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn screen_savers_turning_on_lock() {
        for iface in ["org.freedesktop.ScreenSaver", "org.gnome.ScreenSaver"] {
            assert_eq!(
                decide(iface, "ActiveChanged", Some(true)),
                Some(LockReason::ScreenLocked)
            );
            assert_eq!(decide(iface, "ActiveChanged", Some(false)), None);
            assert_eq!(decide(iface, "ActiveChanged", None), None);
        }
    }

    #[test]
    fn suspend_and_session_lock_lock_resume_does_not() {
        let m = "org.freedesktop.login1.Manager";
        assert_eq!(
            decide(m, "PrepareForSleep", Some(true)),
            Some(LockReason::Suspend)
        );
        assert_eq!(decide(m, "PrepareForSleep", Some(false)), None);
        assert_eq!(
            decide("org.freedesktop.login1.Session", "Lock", None),
            Some(LockReason::ScreenLocked)
        );
        assert_eq!(
            decide("org.freedesktop.login1.Session", "Unlock", None),
            None
        );
    }

    #[test]
    fn other_signals_are_ignored() {
        assert_eq!(
            decide("org.example.ScreenSaver", "ActiveChanged", Some(true)),
            None
        );
        assert_eq!(
            decide("org.freedesktop.ScreenSaver", "WakeUpScreen", None),
            None
        );
        assert_eq!(
            decide(
                "org.freedesktop.login1.Manager",
                "PrepareForShutdown",
                Some(true)
            ),
            None
        );
    }

    #[test]
    fn every_watched_signal_can_lock() {
        for (i, m) in SESSION_BUS_SIGNALS.iter().chain(SYSTEM_BUS_SIGNALS) {
            assert!(decide(i, m, Some(true)).is_some(), "{i}.{m}");
        }
    }
}
