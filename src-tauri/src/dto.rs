//! What crosses IPC. Arguments are `Deserialize` (UI → Rust), results are
//! `Serialize` (Rust → UI); all derive `TS`, and `ui/src/lib/bindings.ts`
//! is generated from them (see `bindings.rs`). No key ever appears here;
//! a credential's value appears only in [`RevealedValue`] (explicit reveal)
//! and [`GeneratedValue`] (a fresh value the user asked to see).

use coffer_vault::rotation::Status;
use coffer_vault::settings::Settings;
use coffer_vault::{
    EntryState, EnvInfo, HistoryEntry, IdentityInfo, ItemSummary, KdfReport, KeychainStatus,
    SetOutcome,
};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use ts_rs::TS;

mod overrides;
mod scan;
mod sync;
mod team;
pub use overrides::*;
pub use scan::*;
pub use sync::*;
pub use team::*;

/// A passphrase or value from the UI, sealed by the page to this
/// session's channel (`{"sealed": "<base64>"}`, see
/// [`coffer_crypto::ipc_channel`] and `ui/src/lib/ipc.ts`): the app process
/// (WebKit's UI process, Tauri's IPC buffers) only ever sees ciphertext.
/// It is opened, into a zeroizing `SecretString`, by
/// [`crate::Session::unseal`] with the command's name.
pub struct IpcSecret {
    sealed: Vec<u8>,
}

impl IpcSecret {
    /// The sealed bytes (nonce, ciphertext, tag).
    pub fn sealed(&self) -> &[u8] {
        &self.sealed
    }
}

impl<'de> Deserialize<'de> for IpcSecret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use base64::Engine as _;
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Wire {
            sealed: String,
        }
        let w = Wire::deserialize(d).map_err(|_| {
            serde::de::Error::custom("a secret must cross IPC sealed: {\"sealed\": \"<base64>\"}")
        })?;
        let sealed = base64::engine::general_purpose::STANDARD
            .decode(w.sealed.as_bytes())
            .map_err(|_| serde::de::Error::custom("a sealed secret must be base64"))?;
        Ok(Self { sealed })
    }
}

impl std::fmt::Debug for IpcSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("IpcSecret([sealed])")
    }
}

/// A value on its way to the UI after an explicit reveal or generate,
/// sealed to the page by [`crate::Session::seal`]: serialised as
/// `{"sealed": "<base64>"}`, which `ui/src/lib/ipc.ts` opens (the bindings
/// show the page's view, a string).
pub struct Plaintext(pub(crate) String);

impl std::fmt::Debug for Plaintext {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Plaintext([sealed])")
    }
}

impl Serialize for Plaintext {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Sealed", 1)?;
        st.serialize_field("sealed", &self.0)?;
        st.end()
    }
}

// ----- results ----------------------------------------------------------

/// The device identity, public facts only.
#[derive(Clone, Debug, Serialize, TS)]
pub struct IdentityDto {
    /// Display name.
    pub name: String,
    /// Email, if given.
    pub email: Option<String>,
    /// Fingerprint to compare out of band.
    pub fingerprint: String,
}

impl From<IdentityInfo> for IdentityDto {
    fn from(i: IdentityInfo) -> Self {
        Self {
            name: i.name,
            email: i.email,
            fingerprint: i.fingerprint,
        }
    }
}

/// Where the app stands: which screen to show.
#[derive(Clone, Debug, Serialize, TS)]
pub struct AppStatus {
    /// The device identity, if one exists.
    pub identity: Option<IdentityDto>,
    /// The vault file this window works on.
    pub vault_path: String,
    /// Whether that file exists.
    pub vault_exists: bool,
    /// The team name of the open vault.
    pub vault_name: Option<String>,
    /// The identity is unlocked (possibly with no vault yet).
    pub identity_unlocked: bool,
    /// A vault session is open.
    pub unlocked: bool,
    /// The identity has a keychain slot.
    pub keychain_enabled: bool,
    /// This build can use an OS keychain.
    pub keychain_supported: bool,
    /// Seconds before the next passphrase attempt is allowed.
    pub backoff_remaining_secs: u32,
    /// Failed passphrase attempts since the last passphrase unlock (a
    /// keychain unlock does not reset them).
    pub failed_attempts: u32,
    /// Why the session last locked (until the next unlock); `null` before
    /// the first lock.
    pub lock_reason: Option<LockReason>,
    /// With `lock_reason` `vault_refused`: why the vault file was refused
    /// (one sentence from the vault, no secret in it).
    pub lock_detail: Option<String>,
    /// What the keychain said when the app tried it at start, if it did not
    /// open the identity.
    pub keychain_problem: Option<String>,
    /// Seconds without activity before Rust locks the session.
    pub idle_lock_secs: u32,
}

/// Why the session locked.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum LockReason {
    /// The user locked (button, Ctrl+L).
    User,
    /// No activity for the auto-lock time.
    Idle,
    /// The screen locked (screen saver or the login session's Lock).
    ScreenLocked,
    /// The machine is about to suspend.
    Suspend,
    /// The open vault file changed outside the app and no longer checks
    /// out (edited, a trigger planted, an older copy put back over it):
    /// the live refresh refused it, and the app locked rather than keep
    /// showing it (`AppStatus::lock_detail` says why; the next unlock
    /// refuses the file and offers the rebuild).
    VaultRefused,
}

impl LockReason {
    /// The snake_case name (as serialised).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::User => "user",
            Self::Idle => "idle",
            Self::ScreenLocked => "screen_locked",
            Self::Suspend => "suspend",
            Self::VaultRefused => "vault_refused",
        }
    }
}

/// The payload of the `session-locked` event.
#[derive(Clone, Debug, Serialize, TS)]
pub struct LockedEvent {
    /// Why it locked.
    pub reason: LockReason,
}

/// The device settings (see `coffer_vault::settings`). Sent back whole by
/// `set_settings`; validated in Rust.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, TS)]
pub struct SettingsDto {
    /// Lock after this many minutes without activity (1-240).
    pub auto_lock_minutes: u32,
    /// Lock when the screen locks or the machine suspends.
    pub lock_on_screen_lock: bool,
    /// Clear a copied value after this many seconds (5-600).
    pub clipboard_clear_secs: u32,
    /// The rotation "due soon" window in days (1-365).
    pub due_soon_days: u32,
    /// Open from the keychain at start when the identity has a keychain slot.
    pub keychain_at_start: bool,
}

impl From<Settings> for SettingsDto {
    fn from(s: Settings) -> Self {
        Self {
            auto_lock_minutes: s.auto_lock_minutes,
            lock_on_screen_lock: s.lock_on_screen_lock,
            clipboard_clear_secs: s.clipboard_clear_secs,
            due_soon_days: s.due_soon_days,
            keychain_at_start: s.keychain_at_start,
        }
    }
}

impl From<SettingsDto> for Settings {
    fn from(s: SettingsDto) -> Self {
        Self {
            auto_lock_minutes: s.auto_lock_minutes,
            lock_on_screen_lock: s.lock_on_screen_lock,
            clipboard_clear_secs: s.clipboard_clear_secs,
            due_soon_days: s.due_soon_days,
            keychain_at_start: s.keychain_at_start,
        }
    }
}

/// The keychain entry's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum KeychainEntry {
    /// No keychain slot.
    NotEnabled,
    /// The entry opens the identity.
    Opens,
    /// The entry was deleted from the keychain.
    Missing,
    /// The entry no longer opens the identity.
    DoesNotOpen,
    /// No keychain reachable.
    Unavailable,
}

impl From<EntryState> for KeychainEntry {
    fn from(e: EntryState) -> Self {
        match e {
            EntryState::NotEnabled => Self::NotEnabled,
            EntryState::Opens => Self::Opens,
            EntryState::Missing => Self::Missing,
            EntryState::DoesNotOpen => Self::DoesNotOpen,
            // `EntryState` is non-exhaustive: treat anything new as unusable.
            _ => Self::Unavailable,
        }
    }
}

/// Keychain unlock on this device (no secret).
#[derive(Clone, Debug, Serialize, TS)]
pub struct KeychainStatusDto {
    /// The identity has a keychain slot.
    pub enabled: bool,
    /// This build can use an OS keychain.
    pub supported: bool,
    /// The platform store (`secret-service`, …, or `none`).
    pub backend: String,
    /// Whether the entry opens the identity.
    pub entry: KeychainEntry,
    /// Why the entry is unusable, as a sentence.
    pub problem: Option<String>,
    /// Seconds before the next passphrase attempt is allowed.
    pub backoff_remaining_secs: u32,
}

impl From<KeychainStatus> for KeychainStatusDto {
    fn from(k: KeychainStatus) -> Self {
        Self {
            enabled: k.enabled,
            supported: coffer_vault::keychain_supported().is_ok(),
            backend: k.backend.to_string(),
            entry: k.entry.into(),
            problem: k.problem,
            backoff_remaining_secs: k.backoff_remaining_secs.try_into().unwrap_or(u32::MAX),
        }
    }
}

/// The identity's key-derivation (Argon2id) parameters, read-only.
#[derive(Clone, Debug, Serialize, TS)]
pub struct KdfDto {
    /// Memory in MiB.
    pub memory_mib: u32,
    /// Iterations (passes).
    pub iterations: u32,
    /// Parallelism (lanes).
    pub parallelism: u32,
    /// Whether they meet the current policy.
    pub meets_policy: bool,
    /// The user chose weaker parameters on purpose (not raised on unlock).
    pub pinned: bool,
    /// The policy's minimum memory in MiB.
    pub policy_memory_mib: u32,
    /// The policy's minimum iterations.
    pub policy_iterations: u32,
}

impl From<KdfReport> for KdfDto {
    fn from(k: KdfReport) -> Self {
        let policy = coffer_crypto::KdfParams::USER_MINIMUM;
        Self {
            memory_mib: k.m_kib / 1024,
            iterations: k.t,
            parallelism: k.p,
            meets_policy: k.meets_policy,
            pinned: k.pinned,
            policy_memory_mib: policy.m_kib / 1024,
            policy_iterations: policy.t,
        }
    }
}

/// `open_channel`: the page's ephemeral X25519 public key.
#[derive(Debug, Deserialize, TS)]
pub struct OpenChannelArgs {
    /// 32 bytes, base64.
    pub page_key: String,
}

/// `open_channel`: this side's ephemeral X25519 public key.
#[derive(Debug, Serialize, TS)]
pub struct ChannelDto {
    /// 32 bytes, base64.
    pub rust_key: String,
}

/// `rate_passphrase`: a passphrase being typed, and the words that count as
/// known for its owner (the name and email typed beside it, if any; the
/// existing identity's are added by the command).
#[derive(Debug, Deserialize, TS)]
pub struct RatePassphraseArgs {
    /// The passphrase (sealed by the page; opened into a zeroizing buffer).
    #[ts(type = "string")]
    pub password: IpcSecret,
    /// The name typed on the first run, if any.
    #[serde(default)]
    pub name: Option<String>,
    /// The email typed on the first run, if any.
    #[serde(default)]
    pub email: Option<String>,
}

/// What the passphrase policy (`coffer_vault::passphrase`, the same as the
/// CLI's) says about a passphrase. Holds no part of it.
#[derive(Clone, Debug, Serialize, TS)]
pub struct PassphraseStrengthDto {
    /// 0 (very weak) to 4 (very strong).
    pub score: u8,
    /// The score in words.
    pub label: String,
    /// What to change (empty when nothing).
    pub feedback: String,
    /// Whether creating an identity or changing the passphrase accepts it.
    pub acceptable: bool,
    /// The message the CLI and `create_identity` / `change_password` give
    /// when they refuse it; `None` when acceptable.
    pub refusal: Option<String>,
}

impl From<coffer_vault::PassphraseStrength> for PassphraseStrengthDto {
    fn from(s: coffer_vault::PassphraseStrength) -> Self {
        Self {
            refusal: s.refusal(),
            score: s.score,
            label: s.label.to_owned(),
            feedback: s.feedback,
            acceptable: s.acceptable,
        }
    }
}

/// The result of creating an identity.
#[derive(Clone, Debug, Serialize, TS)]
pub struct CreateIdentityOutcome {
    /// The new state (identity unlocked, no vault yet).
    pub status: AppStatus,
    /// Set when keychain unlock was asked for but could not be enabled
    /// (the identity was still created; the passphrase works).
    pub keychain_error: Option<String>,
}

/// An environment.
#[derive(Clone, Debug, Serialize, TS)]
pub struct EnvDto {
    /// `PROJECT/ENV`.
    pub path: String,
    /// Project name.
    pub project: String,
    /// Environment name.
    pub name: String,
    /// Default rotation period in days.
    pub rotate_every_days: Option<u32>,
    /// Whether this identity holds its key.
    pub readable: bool,
    /// This identity's grant (`read`/`write`), if any.
    pub access: Option<String>,
    /// Whether this identity may change its credentials (the app offers
    /// add, edit, rotate, share, delete and restore only then).
    pub writable: bool,
    /// Live credentials.
    pub items: u64,
}

impl From<EnvInfo> for EnvDto {
    fn from(e: EnvInfo) -> Self {
        Self {
            path: e.path(),
            project: e.project,
            name: e.name,
            rotate_every_days: e.rotate_every_days,
            readable: e.readable,
            access: e.access,
            writable: e.writable,
            items: e.items,
        }
    }
}

/// Rotation status, most urgent first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum RotationStatus {
    /// Someone who could read it lost access: rotate now.
    Exposed,
    /// Past its provider expiry.
    Expired,
    /// Past its rotation due date.
    Overdue,
    /// Due within the window.
    DueSoon,
    /// Nothing to do.
    Ok,
}

impl From<Status> for RotationStatus {
    fn from(s: Status) -> Self {
        match s {
            Status::Exposed => Self::Exposed,
            Status::Expired => Self::Expired,
            Status::Overdue => Self::Overdue,
            Status::DueSoon => Self::DueSoon,
            Status::Ok => Self::Ok,
        }
    }
}

/// A credential without its value. Listings carry 10,000 of these, so
/// absent fields are left out rather than sent as `null` (the TypeScript
/// type is `field?: T | null`), and the project and environment are only
/// in `env_path`: a third less JSON to move and parse after an unlock
/// (docs/desktop.md, "Large vaults").
#[derive(Clone, Debug, Serialize, TS)]
pub struct ItemDto {
    /// Item id (hex).
    pub id: String,
    /// `PROJECT/ENV`.
    pub env_path: String,
    /// Key name.
    pub name: String,
    /// Current version.
    pub version: u64,
    /// Notes.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional = nullable)]
    pub notes: Option<String>,
    /// URL.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional = nullable)]
    pub url: Option<String>,
    /// Username at the provider.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional = nullable)]
    pub username: Option<String>,
    /// Effective rotation period in days.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional = nullable)]
    pub rotate_every_days: Option<u32>,
    /// When the value last changed (unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional = nullable)]
    pub rotated_at: Option<i64>,
    /// Provider expiry (unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional = nullable)]
    pub expires_at: Option<i64>,
    /// When it was exposed (unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional = nullable)]
    pub exposed_at: Option<i64>,
    /// Rotation status.
    pub status: RotationStatus,
    /// Next due date (unix seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional = nullable)]
    pub due_at: Option<i64>,
    /// When the current version was written (unix seconds).
    pub updated_at: i64,
    /// Why this name decides what code runs (`LD_PRELOAD`, `NODE_OPTIONS`,
    /// …; `coffer_vault::dangerous`), when it does: the row shows a
    /// warning, since `coffer run` and environment exports refuse it unless
    /// allowed by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[ts(optional = nullable)]
    pub dangerous: Option<String>,
    /// Versions written concurrently with the current one wait to be
    /// resolved (sync).
    pub conflict: bool,
    /// The current version does not open (a teammate's client wrote a
    /// value no key opens): the fields are the newest older version's, and
    /// reveal, copy and export fail with an error naming the writer until
    /// someone sets a new value or restores an older version.
    pub unreadable: bool,
}

impl From<ItemSummary> for ItemDto {
    fn from(i: ItemSummary) -> Self {
        let dangerous =
            coffer_vault::dangerous::dangerous_var(&i.name).map(|d| d.reason.to_string());
        Self {
            id: i.id.to_hex(),
            env_path: format!("{}/{}", i.project, i.env),
            name: i.name,
            version: i.version,
            notes: i.notes,
            url: i.url,
            username: i.username,
            rotate_every_days: i.rotate_every_days,
            rotated_at: i.rotated_at,
            expires_at: i.expires_at,
            exposed_at: i.exposed_at,
            status: i.status.into(),
            due_at: i.due_at,
            updated_at: i.updated_at,
            dangerous,
            conflict: i.conflict,
            unreadable: i.unreadable,
        }
    }
}

/// One version of a credential (never its value).
#[derive(Clone, Debug, Serialize, TS)]
pub struct HistoryDto {
    /// Version number.
    pub version: u64,
    /// Author's name in the vault.
    pub author: String,
    /// When written (unix seconds).
    pub created_at: i64,
    /// When the value changed (unix seconds).
    pub rotated_at: Option<i64>,
    /// Written concurrently with the current version (waiting to be
    /// resolved).
    pub conflict: bool,
    /// Waiting, and sealed under a key an offboarding replaced (written by
    /// someone who had not seen it): the removed member could read it, so
    /// keeping it marks the credential exposed.
    pub stale: bool,
    /// Stale, and this identity never held the replaced key: it cannot be
    /// shown or kept here (an owner or admin can).
    pub unreadable: bool,
}

impl From<HistoryEntry> for HistoryDto {
    fn from(h: HistoryEntry) -> Self {
        Self {
            version: h.version,
            author: h.author,
            created_at: h.created_at,
            rotated_at: h.rotated_at,
            conflict: h.conflict,
            stale: h.stale,
            unreadable: h.unreadable,
        }
    }
}

/// The result of a set or rotate.
#[derive(Clone, Debug, Serialize, TS)]
pub struct SetOutcomeDto {
    /// The new version.
    pub version: u64,
    /// Whether the credential was created.
    pub created: bool,
    /// Whether the value changed (so it counts as rotated).
    pub value_changed: bool,
}

impl From<SetOutcome> for SetOutcomeDto {
    fn from(o: SetOutcome) -> Self {
        Self {
            version: o.version,
            created: o.created,
            value_changed: o.value_changed,
        }
    }
}

/// A credential's value, on an explicit reveal.
#[derive(Serialize, TS)]
pub struct RevealedValue {
    /// The plaintext value.
    #[ts(type = "string")]
    pub value: Plaintext,
}

/// A freshly generated value, on an explicit "generate".
#[derive(Serialize, TS)]
pub struct GeneratedValue {
    /// The plaintext value.
    #[ts(type = "string")]
    pub value: Plaintext,
}

/// The result of a copy.
#[derive(Clone, Debug, Serialize, TS)]
pub struct CopyOutcome {
    /// The clipboard is cleared after this many seconds if it still holds
    /// the value.
    pub clear_after_secs: u32,
}

/// How many credentials need attention, per status.
#[derive(Clone, Debug, Default, Serialize, TS)]
pub struct RotationCounts {
    /// Exposed.
    pub exposed: u32,
    /// Expired.
    pub expired: u32,
    /// Overdue.
    pub overdue: u32,
    /// Due soon.
    pub due_soon: u32,
}

/// The rotation dashboard: credentials needing attention, most urgent first.
#[derive(Clone, Debug, Serialize, TS)]
pub struct RotationReport {
    /// Credentials that are not `ok`, most urgent first.
    pub items: Vec<ItemDto>,
    /// Counts per status.
    pub counts: RotationCounts,
    /// How many credentials were checked.
    pub checked: u32,
}

/// `vault_snapshot`: what the main window shows, from one pass.
#[derive(Clone, Debug, Serialize, TS)]
pub struct VaultSnapshot {
    /// Every environment.
    pub envs: Vec<EnvDto>,
    /// Every credential (never values).
    pub items: Vec<ItemDto>,
    /// The rotation dashboard's report over the same credentials.
    pub rotation: RotationReport,
    /// Whether this identity manages the vault (an owner or admin): the app
    /// offers adding, renaming and removing environments only then.
    pub manages: bool,
}

// ----- arguments --------------------------------------------------------

/// `create_identity`.
#[derive(Debug, Deserialize, TS)]
pub struct CreateIdentityArgs {
    /// Display name.
    pub name: String,
    /// Email (optional).
    pub email: Option<String>,
    /// The passphrase.
    #[ts(type = "string")]
    pub password: IpcSecret,
    /// Also add a keychain slot.
    pub enable_keychain: bool,
}

/// `create_vault`.
#[derive(Debug, Deserialize, TS)]
pub struct CreateVaultArgs {
    /// The team's name.
    pub team_name: String,
}

/// `unlock`: with the passphrase or the keychain.
#[derive(Debug, Deserialize, TS)]
#[serde(tag = "method", rename_all = "snake_case")]
pub enum UnlockArgs {
    /// The passphrase.
    Password {
        /// The passphrase.
        #[ts(type = "string")]
        password: IpcSecret,
    },
    /// The device key in the OS keychain.
    Keychain,
}

/// `change_password`.
#[derive(Debug, Deserialize, TS)]
pub struct ChangePasswordArgs {
    /// The current passphrase.
    #[ts(type = "string")]
    pub old_password: IpcSecret,
    /// The new passphrase (at least 10 characters).
    #[ts(type = "string")]
    pub new_password: IpcSecret,
}

/// `add_env`.
#[derive(Debug, Deserialize, TS)]
pub struct AddEnvArgs {
    /// `PROJECT/ENV`.
    pub path: String,
    /// Default rotation period: `90d`, `12w`, `1y` (optional).
    pub rotate_every: Option<String>,
}

/// `rename_env`.
#[derive(Debug, Deserialize, TS)]
pub struct RenameEnvArgs {
    /// `PROJECT/ENV` now.
    pub from: String,
    /// The new `PROJECT/ENV` (another project moves it there).
    pub to: String,
}

/// `removal_preview`, `remove_env`.
#[derive(Debug, Deserialize, TS)]
pub struct RemoveEnvArgs {
    /// `PROJECT/ENV`, or `PROJECT` (every environment of it).
    pub scope: String,
}

/// What removing one environment hides.
#[derive(Clone, Debug, Serialize, TS)]
pub struct EnvRemovalDto {
    /// `PROJECT/ENV`.
    pub env: String,
    /// Credential names in it this identity can read, sorted.
    pub credentials: Vec<String>,
    /// Credentials in it this identity cannot read.
    pub unreadable: u64,
    /// Who holds a grant on it (`NAME:read|write`).
    pub members: Vec<String>,
}

/// `removal_preview`: what a removal hides (names only).
#[derive(Clone, Debug, Serialize, TS)]
pub struct RemovalPreviewDto {
    /// The environments it removes.
    pub envs: Vec<EnvRemovalDto>,
}

impl From<coffer_vault::RemovalPreview> for RemovalPreviewDto {
    fn from(p: coffer_vault::RemovalPreview) -> Self {
        Self {
            envs: p
                .envs
                .into_iter()
                .map(|e| EnvRemovalDto {
                    env: e.env,
                    credentials: e.credentials,
                    unreadable: e.unreadable,
                    members: e.members,
                })
                .collect(),
        }
    }
}

/// `remove_env`: the environments removed.
#[derive(Clone, Debug, Serialize, TS)]
pub struct RemovedDto {
    /// `PROJECT/ENV` of each.
    pub removed: Vec<String>,
}

/// `list_items`.
#[derive(Debug, Deserialize, TS)]
pub struct ListItemsArgs {
    /// `null` (everything), `PROJECT` or `PROJECT/ENV`.
    pub scope: Option<String>,
}

/// One credential: `reveal_item`, `delete_item`, `item_history`.
#[derive(Debug, Deserialize, TS)]
pub struct ItemRef {
    /// `PROJECT/ENV`.
    pub env: String,
    /// Key name.
    pub name: String,
}

/// `copy_item`.
#[derive(Debug, Deserialize, TS)]
pub struct CopyItemArgs {
    /// `PROJECT/ENV`.
    pub env: String,
    /// Key name.
    pub name: String,
    /// Seconds before the clipboard is cleared (5-600; default: the setting).
    pub clear_after_secs: Option<u32>,
}

/// `set_item`: create a credential or change it. `null` keeps a field.
#[derive(Debug, Deserialize, TS)]
pub struct SetItemArgs {
    /// `PROJECT/ENV`.
    pub env: String,
    /// Key name.
    pub name: String,
    /// The value (required for a new credential).
    #[ts(type = "string | null")]
    pub value: Option<IpcSecret>,
    /// Notes.
    pub notes: Option<String>,
    /// URL.
    pub url: Option<String>,
    /// Username at the provider.
    pub username: Option<String>,
    /// Rotation period: `90d`, `12w`, `1y`.
    pub rotate_every: Option<String>,
    /// Provider expiry: `YYYY-MM-DD`.
    pub expires: Option<String>,
}

/// `generate_value` and generated rotations.
#[derive(Debug, Deserialize, TS)]
pub struct GenerateArgs {
    /// Length in characters (8-4096).
    pub length: u32,
    /// `alnum`, `hex`, `base64url`, `symbols` or `digits`.
    pub charset: String,
}

/// `rotation_list`.
#[derive(Debug, Deserialize, TS)]
pub struct RotationListArgs {
    /// The "due soon" window in days (default: the setting).
    pub due_soon_days: Option<u32>,
}

/// `rotate_item`: a pasted value, or one generated in Rust (so it never
/// crosses IPC). Exactly one of the two.
#[derive(Debug, Deserialize, TS)]
pub struct RotateItemArgs {
    /// `PROJECT/ENV`.
    pub env: String,
    /// Key name.
    pub name: String,
    /// The new value, pasted.
    #[ts(type = "string | null")]
    pub value: Option<IpcSecret>,
    /// Or: generate it.
    pub generate: Option<GenerateArgs>,
    /// The new value's provider expiry (`YYYY-MM-DD`). Required (or
    /// `no_expiry`) when the credential has one: it belonged to the old
    /// value.
    #[serde(default)]
    #[ts(type = "string | null")]
    pub expires: Option<String>,
    /// The new value has no provider expiry.
    #[serde(default)]
    pub no_expiry: bool,
}

// ----- audit log, verify, export, restore, open an existing vault -------

/// `audit_log`: filters and one page, newest first.
#[derive(Debug, Deserialize, TS)]
pub struct AuditQueryArgs {
    /// Text to find (time, author, device, kind, outcome, summary).
    pub text: Option<String>,
    /// Only this member's entries (id from [`AuditPageDto::members`]).
    pub member: Option<String>,
    /// Only this device's entries (id from [`AuditPageDto::devices`]).
    pub device: Option<String>,
    /// Only this kind (from [`AuditPageDto::kinds`]).
    pub kind: Option<String>,
    /// Only entries this replica denied.
    pub denied_only: bool,
    /// Matching entries to skip.
    pub offset: u32,
    /// Page size (1-1000).
    pub limit: u32,
}

/// One audit-log entry (never a value).
#[derive(Clone, Debug, Serialize, TS)]
pub struct AuditEntryDto {
    /// Position in this replica's log.
    pub seq: i64,
    /// Time (UTC, RFC 3339: `2026-11-22T19:54:20Z`).
    pub time: String,
    /// Author's name.
    pub author: String,
    /// Device (short id).
    pub device: String,
    /// Per-device sequence number.
    pub device_seq: u64,
    /// Kind (`item.set`, `read`…).
    pub kind: String,
    /// What happened, without secrets.
    pub summary: String,
    /// Whether this replica refused it.
    pub denied: bool,
}

impl From<coffer_vault::AuditEntry> for AuditEntryDto {
    fn from(e: coffer_vault::AuditEntry) -> Self {
        Self {
            seq: e.seq,
            time: e.time,
            author: e.author,
            device: e.device,
            device_seq: e.device_seq,
            kind: e.kind,
            summary: e.summary,
            denied: e.outcome != "applied",
        }
    }
}

/// A choice for a filter.
#[derive(Clone, Debug, Serialize, TS)]
pub struct AuditFacetDto {
    /// Id (hex).
    pub id: String,
    /// Label.
    pub label: String,
}

impl From<coffer_vault::AuditFacet> for AuditFacetDto {
    fn from(f: coffer_vault::AuditFacet) -> Self {
        Self {
            id: f.id,
            label: f.label,
        }
    }
}

/// One page of the audit log.
#[derive(Clone, Debug, Serialize, TS)]
pub struct AuditPageDto {
    /// Entries, newest first.
    pub entries: Vec<AuditEntryDto>,
    /// Entries matching the filters.
    pub total: u64,
    /// Entries in the whole log.
    pub log_entries: u64,
    /// Members who signed entries.
    pub members: Vec<AuditFacetDto>,
    /// Devices that wrote entries.
    pub devices: Vec<AuditFacetDto>,
    /// Kinds present.
    pub kinds: Vec<String>,
}

impl From<coffer_vault::AuditPage> for AuditPageDto {
    fn from(p: coffer_vault::AuditPage) -> Self {
        Self {
            entries: p.entries.into_iter().map(Into::into).collect(),
            total: p.total,
            log_entries: p.log_entries,
            members: p.members.into_iter().map(Into::into).collect(),
            devices: p.devices.into_iter().map(Into::into).collect(),
            kinds: p.kinds,
        }
    }
}

/// The recorded-head check of a chain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum HeadStatus {
    /// This device's newest entry is there.
    Ok,
    /// This device's newest entry is missing (truncated or rolled back).
    Truncated,
    /// Nothing recorded on this device for the chain.
    NotRecorded,
}

/// One device's chain.
#[derive(Clone, Debug, Serialize, TS)]
pub struct ChainDto {
    /// Device (short id).
    pub device: String,
    /// Member whose device it is.
    pub author: String,
    /// This device's own chain.
    pub this_device: bool,
    /// Entries.
    pub entries: u64,
    /// Newest per-device sequence number.
    pub last_seq: u64,
    /// Sequence, links and hashes are intact.
    pub linked: bool,
    /// Every signature verifies.
    pub signatures_ok: bool,
    /// Every entry replays with its recorded outcome.
    pub replay_ok: bool,
    /// The recorded-head check.
    pub head: HeadStatus,
    /// All of the above.
    pub ok: bool,
}

impl From<coffer_vault::ChainReport> for ChainDto {
    fn from(c: coffer_vault::ChainReport) -> Self {
        use coffer_vault::HeadCheck;
        Self {
            ok: c.ok(),
            device: c.device,
            author: c.author,
            this_device: c.this_device,
            entries: c.entries,
            last_seq: c.last_seq,
            linked: c.linked,
            signatures_ok: c.signatures_ok,
            replay_ok: c.replay_ok,
            head: match c.head {
                HeadCheck::Ok => HeadStatus::Ok,
                HeadCheck::Truncated => HeadStatus::Truncated,
                HeadCheck::NotRecorded => HeadStatus::NotRecorded,
            },
        }
    }
}

/// The result of `verify_vault`.
#[derive(Clone, Debug, Serialize, TS)]
pub struct VerifyDto {
    /// Everything verified.
    pub ok: bool,
    /// One sentence: what verified, or the (first) problem.
    pub verdict: String,
    /// Entries checked.
    pub entries: u64,
    /// Chains checked.
    pub devices: u64,
    /// Credentials opened (every version).
    pub items_opened: u64,
    /// Every problem found.
    pub problems: Vec<String>,
    /// Each device's chain.
    pub chains: Vec<ChainDto>,
    /// The state matches a replay of the log (`null`: not compared).
    pub state_matches: Option<bool>,
}

impl From<coffer_vault::VerifyReport> for VerifyDto {
    fn from(r: coffer_vault::VerifyReport) -> Self {
        Self {
            ok: r.ok(),
            verdict: r.verdict(),
            entries: r.entries,
            devices: r.devices,
            items_opened: r.items_opened,
            chains: r.chains.into_iter().map(Into::into).collect(),
            problems: r.problems,
            state_matches: r.state_matches,
        }
    }
}

/// `export_env`: write an environment to a file, in Rust.
#[derive(Debug, Deserialize, TS)]
pub struct ExportArgs {
    /// `PROJECT/ENV`.
    pub env: String,
    /// `dotenv`, `shell`, `json` or `example`.
    pub format: String,
    /// `portable`, `node`, `python`, `rust`, `compose` or `docker` (dotenv only).
    pub dialect: String,
    /// The file: a full path whose folder exists.
    pub path: String,
    /// Replace the file if it exists.
    pub overwrite: bool,
    /// Write it even though git does not ignore it.
    pub write_anyway: bool,
}

/// The result of an export.
#[derive(Clone, Debug, Serialize, TS)]
pub struct ExportOutcome {
    /// The file written (mode 0600).
    pub path: String,
    /// Variables written.
    pub variables: u32,
    /// Keys whose shared value the caller's personal overrides replaced
    /// in the file (names only).
    pub overridden: Vec<String>,
    /// Keys the caller's personal overrides added (the shared
    /// environment lacks them).
    pub added: Vec<String>,
}

/// `restore_version`.
#[derive(Debug, Deserialize, TS)]
pub struct RestoreArgs {
    /// `PROJECT/ENV`.
    pub env: String,
    /// Key name.
    pub name: String,
    /// The old version whose value becomes the new version.
    pub version: u64,
}

/// `open_vault`: an existing vault file, opened with the unlocked identity.
#[derive(Debug, Deserialize, TS)]
pub struct OpenVaultArgs {
    /// The vault file: a full path.
    pub path: String,
}

/// What a native file dialog is for (`pick_path`); a chosen path is
/// accepted once, by the command of that purpose only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize, Serialize, TS)]
#[serde(rename_all = "snake_case")]
pub enum PickPurpose {
    /// The file `export_env` writes (a save dialog).
    Export,
    /// The file `save_exposure_report` writes (a save dialog).
    Report,
    /// The vault file `open_vault` opens (an open dialog).
    OpenVault,
    /// The folder `scan_folder` reads (a folder dialog).
    ScanFolder,
    /// The example file `check_example` reads (an open dialog).
    Example,
}

impl PickPurpose {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Export => "export",
            Self::Report => "report",
            Self::OpenVault => "open_vault",
            Self::ScanFolder => "scan_folder",
            Self::Example => "example",
        }
    }
}

/// `pick_path`.
#[derive(Debug, Deserialize, TS)]
pub struct PickPathArgs {
    /// What the path is for.
    pub purpose: PickPurpose,
    /// What the window's field holds now (a file name or a full path), to
    /// start the dialog there; `null` for the defaults.
    pub current: Option<String>,
}

/// The path the user chose, or `null` when they cancelled.
#[derive(Clone, Debug, Serialize, TS)]
pub struct PickedPathDto {
    /// The chosen file (absolute), to pass unchanged to the command.
    pub path: Option<String>,
}

/// The payload of the `vault-changed` event: another program (the
/// `coffer` CLI on this device) changed the open vault.
#[derive(Clone, Debug, Serialize, TS)]
pub struct VaultChangedEvent {}

#[cfg(test)]
mod tests {
    use super::*;

    fn summary(name: &str) -> ItemSummary {
        ItemSummary {
            id: coffer_crypto::Id([1; 16]),
            project: "web".into(),
            env: "prod".into(),
            name: name.into(),
            version: 1,
            notes: None,
            url: None,
            username: None,
            rotate_every_days: None,
            rotated_at: None,
            expires_at: None,
            exposed_at: None,
            status: Status::Ok,
            due_at: None,
            updated_at: 0,
            shared_with: Vec::new(),
            conflict: false,
            unreadable: false,
        }
    }

    #[test]
    fn a_row_says_why_its_name_decides_what_code_runs() {
        for name in ["NODE_OPTIONS", "ld_preload", "PYTHONSTARTUP"] {
            let dto = ItemDto::from(summary(name));
            let why = dto.dangerous.expect(name);
            assert_eq!(
                Some(why.as_str()),
                coffer_vault::dangerous::dangerous_var(name).map(|d| d.reason)
            );
            let json = serde_json::to_value(ItemDto::from(summary(name))).expect("json");
            assert_eq!(json["dangerous"], why);
        }
        // An ordinary name: no field at all (listings leave absent ones out).
        let json = serde_json::to_value(ItemDto::from(summary("DATABASE_URL"))).expect("json");
        assert!(json.get("dangerous").is_none(), "{json}");
    }

    #[test]
    fn a_row_says_when_its_current_version_does_not_open() {
        let json = serde_json::to_value(ItemDto::from(summary("API_KEY"))).expect("json");
        assert_eq!(json["unreadable"], false, "{json}");
        let json = serde_json::to_value(ItemDto::from(ItemSummary {
            unreadable: true,
            ..summary("API_KEY")
        }))
        .expect("json");
        assert_eq!(json["unreadable"], true, "{json}");
    }

    /// The page's end of a channel to `s`, as `ui/src/lib/ipc.ts` does it.
    fn page(s: &crate::Session) -> coffer_crypto::ipc_channel::IpcChannel {
        let end = coffer_crypto::ipc_channel::PageEnd::new();
        let rust = s.open_channel(&end.public_key()).expect("channel");
        end.connect(&rust).expect("connect")
    }

    fn sealed(view: &coffer_crypto::ipc_channel::IpcChannel, command: &str, text: &str) -> String {
        use base64::Engine as _;
        let b = coffer_crypto::ipc_channel::PageEnd::seal(view, command, text.as_bytes())
            .expect("seal");
        serde_json::json!({ "sealed": base64::engine::general_purpose::STANDARD.encode(b) })
            .to_string()
    }

    #[test]
    fn an_ipc_secret_opens_only_for_its_command_on_the_open_channel() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = crate::Session::new(dir.path().to_path_buf(), dir.path().join("vault.coffer"));
        let view = page(&s);
        for want in ["canary-plain", "canary-\"escaped\"\n\u{e9}", ""] {
            let json = sealed(&view, "unlock", want);
            assert!(!json.contains("canary"), "{json}");
            let secret: IpcSecret = serde_json::from_str(&json).expect("from str");
            assert!(!format!("{secret:?}").contains("canary"));
            assert_eq!(
                s.unseal("unlock", &secret).expect("open").expose_secret(),
                want
            );
            // Not into another command (a replay), nor after a lock.
            let e = s
                .unseal("change_password", &secret)
                .expect_err("other command");
            assert_eq!(e.code, crate::IpcErrorCode::Channel);
        }
        let secret: IpcSecret =
            serde_json::from_str(&sealed(&view, "unlock", "canary")).expect("from str");
        s.lock(LockReason::User);
        assert_eq!(
            s.unseal("unlock", &secret).expect_err("locked").code,
            crate::IpcErrorCode::Channel
        );
        // A fresh channel works again; the old page key does not.
        let again = page(&s);
        let secret: IpcSecret =
            serde_json::from_str(&sealed(&again, "unlock", "canary")).expect("from str");
        assert_eq!(
            s.unseal("unlock", &secret).expect("open").expose_secret(),
            "canary"
        );
        // A result is sealed to the page, for its command only.
        let out = serde_json::to_value(RevealedValue {
            value: s
                .seal(
                    "reveal_item",
                    &coffer_crypto::SecretString::new("canary-out".into()),
                )
                .expect("seal"),
        })
        .expect("json");
        assert!(!out.to_string().contains("canary"), "{out}");
        use base64::Engine as _;
        let b = base64::engine::general_purpose::STANDARD
            .decode(out["value"]["sealed"].as_str().expect("sealed"))
            .expect("b64");
        let opened =
            coffer_crypto::ipc_channel::PageEnd::open(&again, "reveal_item", &b).expect("open");
        assert_eq!(&**opened, b"canary-out");
        assert!(coffer_crypto::ipc_channel::PageEnd::open(&again, "generate_value", &b).is_err());
    }

    #[test]
    fn rate_passphrase_uses_the_vault_policy_and_keeps_no_part_of_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let s = crate::Session::new(dir.path().to_path_buf(), dir.path().join("vault.coffer"));
        let view = page(&s);
        let rate = |pw: &str, name: Option<&str>| -> RatePassphraseArgs {
            let json = format!(
                r#"{{"password": {}, "name": {}}}"#,
                sealed(&view, "rate_passphrase", pw),
                serde_json::json!(name)
            );
            serde_json::from_str(&json).expect("args")
        };
        let args = rate("correct horse battery staple", Some("Ada Lovelace"));
        assert!(!format!("{args:?}").contains("horse"));
        let out = crate::commands::rate_passphrase(&s, args).expect("rated");
        assert!(out.score <= 1 && !out.acceptable, "{out:?}");
        let json = serde_json::to_value(&out).expect("json");
        assert_eq!(json["label"], "Weak");
        assert_eq!(
            json["refusal"],
            "the new passphrase is too weak (weak): It contains a published example \
             passphrase, which attackers try first. Choose your own unrelated words."
        );
        assert!(!json.to_string().contains("horse"), "{json}");
        // The name typed beside it counts as known words.
        let args = rate("Ada Lovelace!", Some("Ada Lovelace"));
        assert!(
            !crate::commands::rate_passphrase(&s, args)
                .expect("rated")
                .acceptable
        );
        let args = rate("velvet crane ambles under 9 moons", None);
        let out = crate::commands::rate_passphrase(&s, args).expect("rated");
        assert!(out.acceptable && out.refusal.is_none(), "{out:?}");
        assert_eq!(out.score, 4);
        assert_eq!(out.label, "Very strong");
    }

    #[test]
    fn fail_an_ipc_secret_that_is_not_sealed() {
        for json in [
            "42",
            "null",
            r#""canary""#,
            r#"["canary"]"#,
            r#"{"v":"canary"}"#,
            r#"{"sealed":"canary!"}"#,
            r#"{"sealed":"AAAA","v":"canary"}"#,
        ] {
            let e = serde_json::from_str::<IpcSecret>(json).expect_err("refused");
            assert!(!e.to_string().contains("canary"), "{e}");
        }
    }
}
