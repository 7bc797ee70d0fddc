//! The commands: each deserialised argument struct goes to one
//! `coffer-vault` call; errors map to [`IpcError`]. They are plain
//! functions over [`Session`] (tested without a window); `lib.rs` wraps
//! each in a Tauri command run off the main thread.

use std::time::Duration;

use coffer_crypto::KdfParams;
use coffer_vault::rotation::{sort_by_urgency, Status};
use coffer_vault::settings::{self, Settings};
use coffer_vault::time::{parse_date, parse_days};
use coffer_vault::{
    Charset, IdentityStore, ItemSummary, ItemUpdate, KeychainUnlock, NewExpiry, UnlockedIdentity,
    Vault,
};

use crate::dto::*;
use crate::error::{IpcError, IpcErrorCode, IpcResult};
use crate::session::{Session, Unlocked};

mod audit_export;
mod overrides;
mod scan;
mod sync;
mod team;
pub use audit_export::*;
pub use overrides::*;
pub use scan::*;
pub use sync::*;
pub use team::*;

/// Default seconds before a copied value is cleared from the clipboard
/// (the `clipboard_clear_secs` setting overrides it).
pub const CLIPBOARD_CLEAR_SECS: u32 = settings::DEFAULT_CLIPBOARD_CLEAR_SECS;

fn days(s: Option<String>) -> IpcResult<Option<u32>> {
    Ok(s.as_deref()
        .filter(|s| !s.trim().is_empty())
        .map(parse_days)
        .transpose()?)
}

pub(crate) fn key_name(name: &str) -> IpcResult<()> {
    coffer_dotenv::validate_key(name).map_err(|e| coffer_vault::Error::from(e).into())
}

fn generated(g: &GenerateArgs) -> IpcResult<coffer_crypto::SecretString> {
    Ok(coffer_vault::generate(
        g.length as usize,
        Charset::parse(&g.charset)?,
    )?)
}

/// Where the app stands.
pub fn app_status(s: &Session) -> IpcResult<AppStatus> {
    let store = IdentityStore::exists(&s.home)
        .then(|| IdentityStore::load(&s.home))
        .transpose()?;
    let info = store.as_ref().map(IdentityStore::info).transpose()?;
    let state = s.state();
    Ok(AppStatus {
        keychain_enabled: info.as_ref().is_some_and(|i| i.keychain),
        identity: info.map(IdentityDto::from),
        vault_path: s.vault_path().display().to_string(),
        vault_exists: s.vault_path().exists(),
        vault_name: match state.as_ref() {
            Some(Unlocked::Vault(v)) => Some(v.name().to_string()),
            _ => None,
        },
        identity_unlocked: state.is_some(),
        unlocked: matches!(state.as_ref(), Some(Unlocked::Vault(_))),
        keychain_supported: coffer_vault::keychain_supported().is_ok(),
        failed_attempts: store.as_ref().map_or(0, IdentityStore::failed_attempts),
        backoff_remaining_secs: store
            .map_or(0, |st| st.backoff_remaining())
            .try_into()
            .unwrap_or(u32::MAX),
        lock_reason: s.last_lock(),
        lock_detail: s.last_lock_detail(),
        keychain_problem: s
            .start_problem
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone(),
        idle_lock_secs: s.idle_limit().as_secs().try_into().unwrap_or(u32::MAX),
    })
}

/// At start: when the identity has a keychain slot and the setting is on,
/// opens it from the keychain (once per run, never after a lock). A slot
/// that does not open is reported in `keychain_problem`; the passphrase
/// works as usual.
pub fn unlock_at_start(s: &Session) -> IpcResult<AppStatus> {
    let first = !std::mem::replace(
        &mut *s.start_tried.lock().unwrap_or_else(|p| p.into_inner()),
        true,
    );
    if first && !s.is_unlocked() && s.settings().keychain_at_start && keychain_slot(s) {
        match unlock(s, UnlockArgs::Keychain) {
            Ok(_) => {}
            Err(e) if e.code == IpcErrorCode::Keychain => {
                *s.start_problem.lock().unwrap_or_else(|p| p.into_inner()) = Some(e.message);
            }
            Err(e) => return Err(e),
        }
    }
    app_status(s)
}

fn keychain_slot(s: &Session) -> bool {
    IdentityStore::load(&s.home)
        .and_then(|st| st.info())
        .is_ok_and(|i| i.keychain)
}

/// Argon2id parameters for a new identity: calibrated (≥ 0.5 s per unlock),
/// or the floor when a debug build runs under `COFFER_TEST_KDF_FLOOR=1`
/// (tests). Release builds ignore the variable.
fn new_identity_kdf() -> IpcResult<(KdfParams, bool)> {
    if cfg!(debug_assertions) && std::env::var("COFFER_TEST_KDF_FLOOR").as_deref() == Ok("1") {
        return Ok((KdfParams::FLOOR, true));
    }
    let (p, _) = coffer_crypto::calibrate(Duration::from_millis(500), Duration::from_secs(1))
        .map_err(|e| IpcError::internal(e.to_string()))?;
    Ok((p, false))
}

/// Opens the sealed channel for secrets (docs/desktop.md, "IPC"): the
/// page's ephemeral X25519 public key in, this side's out. A new call
/// replaces the channel; locking drops it.
pub fn open_channel(s: &Session, a: OpenChannelArgs) -> IpcResult<ChannelDto> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let page: [u8; 32] = b64
        .decode(a.page_key.as_bytes())
        .ok()
        .and_then(|v| v.try_into().ok())
        .ok_or_else(|| IpcError::invalid("the page's channel key must be 32 bytes of base64"))?;
    Ok(ChannelDto {
        rust_key: b64.encode(s.open_channel(&page)?),
    })
}

/// Creates the device identity; it stays unlocked for `create_vault`. The
/// passphrase policy is checked first (before the KDF calibration).
pub fn create_identity(s: &Session, a: CreateIdentityArgs) -> IpcResult<CreateIdentityOutcome> {
    let email = a.email.as_deref().map(str::trim).filter(|e| !e.is_empty());
    let mut personal = vec![a.name.as_str()];
    personal.extend(email);
    let password = s.unseal("create_identity", &a.password)?;
    coffer_vault::check_new_passphrase(&password, &personal)?;
    let (params, pinned) = new_identity_kdf()?;
    let me = IdentityStore::create(&s.home, &a.name, email, &password, params, pinned)?;
    let keychain_error = a
        .enable_keychain
        .then(|| me.enable_keychain().err().map(|e| e.to_string()))
        .flatten();
    s.set(Some(Unlocked::Identity(Box::new(me))));
    Ok(CreateIdentityOutcome {
        status: app_status(s)?,
        keychain_error,
    })
}

/// Creates the vault at the session's path; the unlocked identity owns it.
pub fn create_vault(s: &Session, a: CreateVaultArgs) -> IpcResult<AppStatus> {
    let mut state = s.state();
    let me = match state.take() {
        Some(Unlocked::Identity(me)) => me,
        other => {
            *state = other;
            return Err(IpcError::locked());
        }
    };
    *state = Some(Unlocked::Vault(Box::new(Vault::create(
        &s.vault_path(),
        &a.team_name,
        *me,
    )?)));
    drop(state);
    app_status(s)
}

/// Unlocks the identity (passphrase or keychain) and opens the vault if it
/// exists. The keychain path never touches the passphrase back-off.
pub fn unlock(s: &Session, a: UnlockArgs) -> IpcResult<AppStatus> {
    let me = unlock_identity(s, "unlock", a)?;
    let vault_path = s.vault_path();
    let unlocked = if vault_path.exists() {
        Unlocked::Vault(Box::new(Vault::open(&vault_path, me)?))
    } else {
        Unlocked::Identity(Box::new(me))
    };
    s.set(Some(unlocked));
    *s.start_problem.lock().unwrap_or_else(|p| p.into_inner()) = None;
    app_status(s)
}

/// The identity, unlocked with the passphrase or the keychain.
///
/// The passphrase was sealed for `command` (`unlock`, `rebuild_vault`).
pub(crate) fn unlock_identity(
    s: &Session,
    command: &str,
    a: UnlockArgs,
) -> IpcResult<UnlockedIdentity> {
    let store = IdentityStore::load(&s.home)?;
    let me = match a {
        UnlockArgs::Password { password } => {
            store.unlock_with_password(&s.unseal(command, &password)?)?
        }
        UnlockArgs::Keychain => match store.unlock_with_keychain() {
            KeychainUnlock::Unlocked(me) => *me,
            KeychainUnlock::NotEnabled => {
                return Err(IpcError::new(
                    IpcErrorCode::Keychain,
                    "keychain unlock is not enabled for this identity: use your passphrase",
                ))
            }
            KeychainUnlock::Failed(p) => {
                return Err(IpcError::new(
                    IpcErrorCode::Keychain,
                    format!("{p}; use your passphrase"),
                ))
            }
        },
    };
    Ok(me)
}

/// Locks: drops the vault and identity (keys zeroize) and clears the
/// clipboard if it still holds a value we copied.
pub fn lock(s: &Session) -> IpcResult<AppStatus> {
    s.lock(LockReason::User);
    app_status(s)
}

/// Records user activity in the window (the idle lock starts again). The
/// UI calls it, throttled, on key and pointer input.
pub fn touch_session(s: &Session) -> IpcResult<()> {
    if !s.is_unlocked() {
        return Err(IpcError::locked());
    }
    s.touch();
    Ok(())
}

/// The device settings.
pub fn get_settings(s: &Session) -> IpcResult<SettingsDto> {
    Ok(s.settings().into())
}

/// Validates and saves the device settings (needs an unlocked session).
pub fn set_settings(s: &Session, a: SettingsDto) -> IpcResult<SettingsDto> {
    if !s.is_unlocked() {
        return Err(IpcError::locked());
    }
    Ok(s.save_settings(Settings::from(a))?.into())
}

/// Changes the passphrase (needs an unlocked session): the old one is
/// checked like an unlock (back-off, failure counted), the new one must be
/// at least 10 characters. Only the password slot is re-wrapped.
pub fn change_password(s: &Session, a: ChangePasswordArgs) -> IpcResult<()> {
    if !s.is_unlocked() {
        return Err(IpcError::locked());
    }
    let old = s.unseal("change_password", &a.old_password)?;
    let new = s.unseal("change_password", &a.new_password)?;
    Ok(IdentityStore::load(&s.home)?.change_passphrase(&old, &new)?)
}

/// Rates a passphrase being typed with the passphrase policy (the meter on
/// the first run and in Settings). The identity's name and email, when there
/// is one, count as known words, as `change_password` counts them. Nothing
/// is logged or stored.
pub fn rate_passphrase(s: &Session, a: RatePassphraseArgs) -> IpcResult<PassphraseStrengthDto> {
    let info = IdentityStore::load(&s.home).and_then(|st| st.info()).ok();
    let mut personal: Vec<&str> = Vec::new();
    personal.extend(a.name.as_deref());
    personal.extend(a.email.as_deref());
    if let Some(i) = &info {
        personal.push(&i.name);
        personal.extend(i.email.as_deref());
    }
    let password = s.unseal("rate_passphrase", &a.password)?;
    Ok(coffer_vault::passphrase::assess(&password, &personal).into())
}

fn keychain_error(e: coffer_vault::Error) -> IpcError {
    match e {
        coffer_vault::Error::Keychain(why) => IpcError::new(
            IpcErrorCode::Keychain,
            format!("keychain unlock could not be enabled: {why}"),
        ),
        other => other.into(),
    }
}

/// Enables keychain unlock with the unlocked identity (or repairs it).
pub fn keychain_enable(s: &Session) -> IpcResult<KeychainStatusDto> {
    let st = match s.state().as_ref() {
        Some(Unlocked::Vault(v)) => v.me().enable_keychain(),
        Some(Unlocked::Identity(me)) => me.enable_keychain(),
        None => return Err(IpcError::locked()),
    }
    .map_err(keychain_error)?;
    Ok(st.into())
}

/// Disables keychain unlock: deletes the entry and removes the slot.
pub fn keychain_disable(s: &Session) -> IpcResult<KeychainStatusDto> {
    if !s.is_unlocked() {
        return Err(IpcError::locked());
    }
    IdentityStore::load(&s.home)?.disable_keychain()?;
    keychain_status(s)
}

/// Whether keychain unlock is enabled and its entry still opens the identity.
pub fn keychain_status(s: &Session) -> IpcResult<KeychainStatusDto> {
    Ok(IdentityStore::load(&s.home)?.keychain_status()?.into())
}

/// The identity's KDF parameters against the current policy (read-only).
pub fn kdf_params(s: &Session) -> IpcResult<KdfDto> {
    Ok(IdentityStore::load(&s.home)?.kdf_report().into())
}

/// Every environment.
pub fn list_envs(s: &Session) -> IpcResult<Vec<EnvDto>> {
    let envs = s.with_vault(|v| v.list_envs(None))?;
    Ok(envs.into_iter().map(EnvDto::from).collect())
}

/// Adds `PROJECT/ENV` (the vault checks the path).
pub fn add_env(s: &Session, a: AddEnvArgs) -> IpcResult<EnvDto> {
    let every = days(a.rotate_every)?;
    Ok(s.with_vault(|v| v.add_env(a.path.trim(), every))?.into())
}

/// Renames (or moves) an environment; its credentials and history follow.
pub fn rename_env(s: &Session, a: RenameEnvArgs) -> IpcResult<EnvDto> {
    Ok(s.with_vault(|v| v.rename_env(a.from.trim(), a.to.trim()))?
        .into())
}

/// What removing an environment (or a project) would hide; changes nothing.
pub fn removal_preview(s: &Session, a: RemoveEnvArgs) -> IpcResult<RemovalPreviewDto> {
    Ok(s.with_vault(|v| v.removal_preview(a.scope.trim()))?.into())
}

/// Removes an environment (or every environment of a project): hidden,
/// its history kept. The window confirms with `removal_preview` first.
pub fn remove_env(s: &Session, a: RemoveEnvArgs) -> IpcResult<RemovedDto> {
    let removed = s.with_vault(|v| v.remove(a.scope.trim()))?;
    Ok(RemovedDto { removed })
}

/// Credentials (never values) in a scope: everything, a project or an environment.
pub fn list_items(s: &Session, a: ListItemsArgs) -> IpcResult<Vec<ItemDto>> {
    let scope = a.scope.as_deref().filter(|x| !x.is_empty());
    let window = s.settings().due_soon_days;
    let items = s.with_vault(|v| v.list_items(scope, window))?;
    Ok(items.into_iter().map(ItemDto::from).collect())
}

/// A credential's value, on an explicit reveal (logged as a reveal).
pub fn reveal_item(s: &Session, a: ItemRef) -> IpcResult<RevealedValue> {
    key_name(&a.name)?;
    let (_, value) = s.with_vault(|v| v.get_item(&a.env, &a.name))?;
    Ok(RevealedValue {
        value: s.seal("reveal_item", &value)?,
    })
}

/// Copies a credential's value to the clipboard in Rust (logged as a copy)
/// and clears it after `clear_after_secs` if it is still there.
pub fn copy_item(s: &Session, a: CopyItemArgs) -> IpcResult<CopyOutcome> {
    key_name(&a.name)?;
    let secs = a
        .clear_after_secs
        .unwrap_or_else(|| s.settings().clipboard_clear_secs);
    if !settings::CLIPBOARD_CLEAR_SECS.contains(&secs) {
        return Err(IpcError::invalid(
            "the clipboard timeout must be 5 to 600 seconds",
        ));
    }
    // Check the clipboard first: a copy that cannot happen is not logged.
    s.clipboard
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .ready()
        .map_err(IpcError::internal)?;
    let value = s.with_vault(|v| v.copy_item_value(&a.env, &a.name))?;
    let generation = s
        .clipboard
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .copy(&value)
        .map_err(IpcError::internal)?;
    let clipboard = s.clipboard.clone();
    std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(secs.into()));
        let mut guard = clipboard.lock().unwrap_or_else(|p| p.into_inner());
        guard.clear_if_unchanged(Some(generation));
    });
    Ok(CopyOutcome {
        clear_after_secs: secs,
    })
}

/// Creates or changes a credential; `null` fields are kept.
pub fn set_item(s: &Session, a: SetItemArgs) -> IpcResult<SetOutcomeDto> {
    let upd = ItemUpdate {
        value: a.value.map(|v| s.unseal("set_item", &v)).transpose()?,
        notes: a.notes,
        url: a.url,
        username: a.username,
        rotate_every_days: days(a.rotate_every)?,
        expires_at: a
            .expires
            .as_deref()
            .filter(|e| !e.trim().is_empty())
            .map(parse_date)
            .transpose()?,
        // The editor's generator fills the field like typing does: the
        // `generated` tag is for values generated in Rust (`rotate_item`
        // with a generator; the CLI's `--generate`), docs/scan.md.
        generated: false,
    };
    Ok(s.with_vault(|v| v.set_item(&a.env, a.name.trim(), upd))?
        .into())
}

/// Deletes a credential (its history stays in the op log).
pub fn delete_item(s: &Session, a: ItemRef) -> IpcResult<()> {
    key_name(&a.name)?;
    s.with_vault(|v| v.remove_item(&a.env, &a.name))
}

/// A credential's versions, newest first (no values).
pub fn item_history(s: &Session, a: ItemRef) -> IpcResult<Vec<HistoryDto>> {
    key_name(&a.name)?;
    let h = s.with_vault(|v| v.history(&a.env, &a.name, false))?;
    Ok(h.into_iter().map(HistoryDto::from).collect())
}

/// A random value for the editor's generator.
pub fn generate_value(s: &Session, a: GenerateArgs) -> IpcResult<GeneratedValue> {
    Ok(GeneratedValue {
        value: s.seal("generate_value", &generated(&a)?)?,
    })
}

/// The due-soon window asked for, or the `due_soon_days` setting.
fn due_soon_window(s: &Session, days: Option<u32>) -> IpcResult<u32> {
    let window = days.unwrap_or_else(|| s.settings().due_soon_days);
    if window > 365 {
        return Err(IpcError::invalid(
            "the due-soon window must be at most 365 days",
        ));
    }
    Ok(window)
}

/// The dashboard's report from credentials already sorted most urgent first.
fn rotation_report(sorted: impl IntoIterator<Item = ItemSummary>) -> RotationReport {
    let mut counts = RotationCounts::default();
    let mut checked = 0u32;
    let items: Vec<ItemDto> = sorted
        .into_iter()
        .filter(|i| {
            checked = checked.saturating_add(1);
            match i.status {
                Status::Exposed => counts.exposed += 1,
                Status::Expired => counts.expired += 1,
                Status::Overdue => counts.overdue += 1,
                Status::DueSoon => counts.due_soon += 1,
                Status::Ok => return false,
            }
            true
        })
        .map(ItemDto::from)
        .collect();
    RotationReport {
        items,
        counts,
        checked,
    }
}

/// The rotation dashboard: what needs attention, most urgent first.
pub fn rotation_list(s: &Session, a: RotationListArgs) -> IpcResult<RotationReport> {
    let window = due_soon_window(s, a.due_soon_days)?;
    let all = s.with_vault(|v| v.rotation_list(None, window))?;
    Ok(rotation_report(all))
}

/// Everything the main window shows after an unlock or a change, from one
/// pass over the vault: environments, credentials (never values) and the
/// rotation report (the same credentials, most urgent first).
pub fn vault_snapshot(s: &Session, a: RotationListArgs) -> IpcResult<VaultSnapshot> {
    let window = due_soon_window(s, a.due_soon_days)?;
    let (envs, items, manages) = s.with_vault(|v| {
        Ok((
            v.list_envs(None)?,
            v.list_items(None, window)?,
            v.manages()?,
        ))
    })?;
    let mut urgent: Vec<ItemSummary> = items
        .iter()
        .filter(|i| i.status != Status::Ok)
        .cloned()
        .collect();
    sort_by_urgency(&mut urgent);
    let mut rotation = rotation_report(urgent);
    rotation.checked = items.len().try_into().unwrap_or(u32::MAX);
    Ok(VaultSnapshot {
        envs: envs.into_iter().map(EnvDto::from).collect(),
        items: items.into_iter().map(ItemDto::from).collect(),
        rotation,
        manages,
    })
}

/// Rotates a credential to a pasted or generated value (marked rotated).
pub fn rotate_item(s: &Session, a: RotateItemArgs) -> IpcResult<SetOutcomeDto> {
    key_name(&a.name)?;
    let value = match (a.value, &a.generate) {
        (Some(v), None) => s.unseal("rotate_item", &v)?,
        (None, Some(g)) => {
            // Held to the environment's shortest generated value, as the
            // CLI's `rotate --generate` is.
            s.with_vault(|v| v.check_generated_length(&a.env, g.length as usize))?;
            generated(g)?
        }
        _ => {
            return Err(IpcError::invalid(
                "give exactly one of: a new value, or a generator",
            ))
        }
    };
    let expiry = match (
        a.expires
            .as_deref()
            .filter(|e| !e.trim().is_empty())
            .map(parse_date)
            .transpose()?,
        a.no_expiry,
    ) {
        (Some(at), _) => NewExpiry::Set(at),
        (None, true) => NewExpiry::Clear,
        (None, false) => NewExpiry::Keep,
    };
    Ok(
        s.with_vault(|v| v.rotate_item_with(&a.env, &a.name, value, expiry, a.generate.is_some()))?
            .into(),
    )
}
