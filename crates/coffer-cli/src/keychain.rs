//! `coffer keychain enable|disable|status`, and the keychain-first unlock
//! every command goes through.

use coffer_vault::paths::coffer_home;
use coffer_vault::{
    keychain_supported, EntryState, IdentityStore, KeychainUnlock, Result, UnlockedIdentity,
};

use crate::cli::KeychainCmd;
use crate::{output, prompt};

/// Tries the keychain slot. `None` means "use the passphrase": the slot is
/// not enabled, or it failed and one warning line was printed on stderr.
pub fn try_unlock(store: &IdentityStore) -> Option<UnlockedIdentity> {
    match store.unlock_with_keychain() {
        KeychainUnlock::Unlocked(me) => Some(*me),
        KeychainUnlock::NotEnabled => None,
        KeychainUnlock::Failed(problem) => {
            eprintln!(
                "warning: {problem}; using the passphrase instead (`coffer keychain enable` makes a new entry, `coffer keychain disable` stops trying)"
            );
            None
        }
    }
}

/// Runs a keychain subcommand.
pub fn run(cmd: KeychainCmd) -> Result<u8> {
    let home = coffer_home();
    match cmd {
        KeychainCmd::Enable => {
            // Refuse before asking anything if this build has no store.
            keychain_supported()?;
            let store = IdentityStore::load(&home)?;
            let name = store.info()?.name;
            // Always the passphrase: enabling proves you know it.
            let pw = prompt::passphrase(&format!("Passphrase for {name}: "))?;
            let me = store.unlock_with_password(&pw)?;
            let st = me.enable_keychain()?;
            eprintln!(
                "Keychain unlock enabled: the device key is in the {} (service {}, account {}).",
                st.backend,
                st.service,
                st.account.as_deref().unwrap_or("-")
            );
            Ok(0)
        }
        KeychainCmd::Disable => {
            let out = IdentityStore::load(&home)?.disable_keychain()?;
            if !out.slot_removed {
                eprintln!("Keychain unlock was not enabled; nothing to do.");
            } else if out.entry_deleted {
                eprintln!("Keychain unlock disabled: the slot and the keychain entry are deleted.");
            } else {
                eprintln!("Keychain unlock disabled: the slot is deleted (the keychain entry was already gone).");
            }
            Ok(0)
        }
        KeychainCmd::Status { json } => {
            let st = IdentityStore::load(&home)?.keychain_status()?;
            if json {
                output::json(&st)?;
            } else {
                let entry = match st.entry {
                    EntryState::NotEnabled => "-",
                    EntryState::Opens => "present, opens your identity",
                    EntryState::Missing => "missing",
                    EntryState::DoesNotOpen => "present, does NOT open your identity",
                    EntryState::Unavailable => "unavailable",
                    _ => "unknown",
                };
                outln!(
                    "Keychain unlock: {}",
                    if st.enabled { "enabled" } else { "disabled" }
                );
                outln!("Backend:         {}", st.backend);
                outln!("Service:         {}", st.service);
                if let Some(a) = &st.account {
                    outln!("Account:         {a}");
                }
                outln!("Entry:           {entry}");
                if let Some(p) = &st.problem {
                    outln!("Problem:         {p}");
                }
                if st.backoff_remaining_secs > 0 {
                    outln!(
                        "Back-off:        {} s before the next passphrase attempt (the keychain still unlocks)",
                        st.backoff_remaining_secs
                    );
                }
            }
            Ok(0)
        }
    }
}
