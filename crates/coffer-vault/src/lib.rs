//! The Coffer domain: a device identity, the encrypted SQLite team vault,
//! its signed op log, rotation tracking and env files.
//!
//! Layering: `coffer-crypto` ← this crate ← {`coffer-cli`, the desktop
//! shell}. No UI, no argument parsing, no printing here.
//!
//! ```no_run
//! use coffer_crypto::{KdfParams, SecretString};
//! use coffer_vault::{IdentityStore, ItemUpdate, Vault};
//!
//! let home = std::path::Path::new("/tmp/coffer-example");
//! let pw = SecretString::new("correct horse battery staple".into());
//! let me = IdentityStore::create(home, "Ada", None, &pw, KdfParams::FLOOR, true)?;
//! let mut vault = Vault::create(&home.join("vault.coffer"), "Acme", me)?;
//! vault.add_env("payments/prod", Some(90))?;
//! vault.set_item("payments/prod", "STRIPE_KEY", ItemUpdate {
//!     value: Some(SecretString::new("sk_live_…".into())),
//!     ..Default::default()
//! })?;
//! let (_info, value) = vault.get_item("payments/prod", "STRIPE_KEY")?;
//! assert_eq!(value.expose_secret(), "sk_live_…");
//! # Ok::<(), coffer_vault::Error>(())
//! ```
#![forbid(unsafe_code)]

mod anchor;
mod audit;
pub mod dangerous;
mod envfile;
mod envs;
mod error;
mod exposure;
mod generate;
mod identity;
pub mod import;
mod items;
mod keychain;
pub mod lint;
mod names;
pub mod ops;
mod overlay;
mod par;
pub mod passphrase;
pub mod paths;
pub mod reference;
mod rekey;
mod replica;
mod report_csv;
pub mod rotation;
pub mod scan;
mod schema;
mod session;
pub mod settings;
mod stale;
pub mod sync;
mod team;
pub mod template;
pub mod time;
mod vault;
pub mod words;

pub use audit::{
    AuditEntry, AuditFacet, AuditPage, AuditQuery, ChainReport, HeadCheck, VerifyReport,
    AUDIT_PAGE_MAX,
};
pub use envfile::{
    git_status, write_env_file, write_env_file_with, Dialect, ExportRequest, Format, GitStatus,
    ImportDialect, ImportOptions, ImportOutcome, PreviewStatus, MAX_REPORTED_LINES,
};
pub use envs::{EnvRemoval, RemovalPreview};
pub use error::{Error, ErrorKind, Result};
pub use generate::{generate, Charset};
pub use identity::{backoff_secs, IdentityInfo, IdentityStore, KdfReport, UnlockedIdentity};
#[doc(hidden)]
pub use identity::{fuzz_identity_file, IdentityFileProbe};
pub use items::{
    check_value, HistoryEntry, ItemFields, ItemSummary, ItemUpdate, NewExpiry, SetOutcome,
    GENERATED_TAG, MAX_VALUE_BYTES,
};
pub use keychain::{
    keychain_backend, keychain_supported, DisableOutcome, EntryState, KeychainProblem,
    KeychainStatus, KeychainUnlock, KEYCHAIN_SERVICE,
};
pub use overlay::{overrides_allowed_by, EnvPolicy, OverrideApplied, OverrideInfo};
pub use passphrase::{check_new_passphrase, PassphraseStrength, MIN_PASSPHRASE_CHARS};
pub use report_csv::{csv_cell, exposure_report_csv};
pub use schema::SCHEMA_VERSION;
pub use session::{
    session_minutes, SessionMarker, DEFAULT_SESSION_MINUTES, MARKER_PREFIX, MAX_SESSION_MINUTES,
    SESSION_FILE,
};
pub use team::{
    inspect_public_identity, parse_grant, Access, ExposedItem, ExposureReport, IdentityPreview,
    ItemSharing, MemberInfo, OffboardPreview, RekeyPreview,
};
pub use vault::{parse_env_path, EnvInfo, OpenFailure, Role, Vault};
