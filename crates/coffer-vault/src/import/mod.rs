//! Importing from other password managers (`coffer import --from …`).
//!
//! Three steps, each its own module:
//!
//! 1. **Read** a source file into [`ForeignEntry`]s: [`bitwarden`] (the
//!    JSON export, unencrypted or password-protected), [`keepassxc`] (the
//!    CSV export), [`kdbx`] (a KeePass database), [`onepassword`] (the CSV
//!    export and `.1pux`). Readers know nothing about the vault; an
//!    encrypted source asks for its password through [`SourceSecrets`].
//! 2. **Map** each entry to `PROJECT/ENV` and a variable name
//!    ([`mapping`]): an explicit map file first, then the target given on the
//!    command line, then the source's own structure (folder, collection,
//!    group, tag). The result is an [`ImportPlan`], which a dry run shows as
//!    a table of names.
//! 3. **Apply** the plan ([`Vault::apply_import`]): every environment it
//!    creates and every credential in one signed batch, one transaction.
//!
//! Field mapping: the password (or a secure note's text) is the value;
//! username, URL and notes go to the item's fields. A TOTP seed becomes a
//! credential of its own, `NAME_TOTP`, tagged `totp` (see `docs/import.md`
//! for why not the notes). Custom fields, attachments, cards and
//! identities are not imported; the plan counts them.
//!
//! Nothing here puts a value in an error, a log line or a `Debug` output:
//! errors name entries by their position and title.

pub mod bitwarden;
mod csv;
pub mod dotenvx;
pub mod kdbx;
pub mod keepassxc;
pub mod mapping;
pub mod onepassword;
mod onepux;

use std::fmt;
use std::str::FromStr;

use coffer_crypto::SecretString;
use zeroize::Zeroizing;

use crate::error::{Error, Result};
use crate::items::{check_value, ItemFields};
use crate::ops::RotationMeta;
use crate::time::now;
use crate::vault::{parse_env_path, EnvInfo, Vault};

pub use mapping::{ImportPlan, MapFile, PlannedItem};

/// The formats `coffer import --from` reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceFormat {
    /// Bitwarden's JSON export (personal or organization), unencrypted or
    /// password-protected.
    Bitwarden,
    /// KeePassXC's CSV export (`keepassxc-cli export --format csv`).
    KeepassxcCsv,
    /// A KeePass database (`.kdbx`, KDBX 3.1 and 4), opened with its
    /// password and key file.
    Keepass,
    /// 1Password 8's export: the CSV, or the `.1pux` archive (told apart
    /// by its zip signature).
    OnePasswordCsv,
}

impl SourceFormat {
    /// All formats, in documentation order.
    pub const ALL: [SourceFormat; 4] = [
        SourceFormat::Bitwarden,
        SourceFormat::KeepassxcCsv,
        SourceFormat::Keepass,
        SourceFormat::OnePasswordCsv,
    ];

    /// The CLI name.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceFormat::Bitwarden => "bitwarden",
            SourceFormat::KeepassxcCsv => "keepassxc",
            SourceFormat::Keepass => "keepass",
            SourceFormat::OnePasswordCsv => "1password",
        }
    }
}

impl FromStr for SourceFormat {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        SourceFormat::ALL
            .into_iter()
            .find(|f| f.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| {
                Error::InvalidInput(format!(
                    "unknown source {s:?} (expected one of: dotenv, dotenvx, bitwarden, keepassxc, keepass, 1password)"
                ))
            })
    }
}

impl fmt::Display for SourceFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One credential as another manager exported it. `Debug` shows which
/// fields are set, never what they hold.
#[derive(Default)]
pub struct ForeignEntry {
    /// Where it was in the source's structure: folder, collection, group
    /// or tag, split on `/` (empty: at the top).
    pub path: Vec<String>,
    /// Its title in the source.
    pub title: String,
    /// The secret: a login's password, or a secure note's text.
    pub value: SecretString,
    /// The login's username.
    pub username: Option<String>,
    /// The first URL.
    pub url: Option<String>,
    /// Notes (a login's notes; none for a secure note, whose text is the value).
    pub notes: Option<String>,
    /// A TOTP seed or `otpauth://` URI.
    pub totp: Option<SecretString>,
    /// Custom fields, attachments and similar the import leaves out (counted).
    pub left_out: usize,
}

impl fmt::Debug for ForeignEntry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ForeignEntry")
            .field("path", &self.path.len())
            .field("value", &"<redacted>")
            .field("username", &self.username.is_some())
            .field("url", &self.url.is_some())
            .field("notes", &self.notes.is_some())
            .field("totp", &self.totp.is_some())
            .field("left_out", &self.left_out)
            .finish()
    }
}

/// An entry of the source that is not imported, and why (for the preview).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedEntry {
    /// Where it is: source path and title.
    pub from: String,
    /// Why it is left out (a fixed description).
    pub reason: &'static str,
}

/// What a reader found.
#[derive(Debug, Default)]
pub struct ForeignRead {
    /// The entries to import.
    pub entries: Vec<ForeignEntry>,
    /// The ones that are not (cards, identities, items without a secret…).
    pub skipped: Vec<SkippedEntry>,
}

/// Most entries a source may hold (a cap on what an untrusted file can
/// make us build; 20× the 5,000-entry goal).
pub const MAX_ENTRIES: usize = 100_000;

/// Largest source file read (a cap before anything is parsed: 5,000
/// entries of a real export are a few MiB).
pub const MAX_SOURCE_BYTES: u64 = 256 * 1024 * 1024;

/// What opening an encrypted source needs. The password is asked for only
/// when the file turns out to need one (a password-protected Bitwarden
/// export, a KeePass database), at most once; it never comes from the
/// command line.
pub struct SourceSecrets<'a> {
    /// Returns the source's password (the CLI: `COFFER_IMPORT_PASSWORD`,
    /// stdin or a hidden prompt).
    pub password: &'a mut dyn FnMut() -> Result<SecretString>,
    /// A KeePass key file (`--key-file`), read only for `--from keepass`.
    pub key_file: Option<&'a std::path::Path>,
}

/// Reads a source file from disk (held zeroizing) and parses it, asking
/// `secrets` for a password if the file is encrypted.
pub fn read_source_file(
    format: SourceFormat,
    file: &std::path::Path,
    secrets: &mut SourceSecrets<'_>,
) -> Result<ForeignRead> {
    use std::io::Read as _;
    let f = std::fs::File::open(file).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => Error::NotFound(format!("file {}", file.display())),
        _ => Error::io(format!("reading {}", file.display()), e),
    })?;
    let len = f
        .metadata()
        .map_err(|e| Error::io(format!("reading {}", file.display()), e))?
        .len();
    if len > MAX_SOURCE_BYTES {
        return Err(Error::InvalidInput(format!(
            "{} is {len} bytes; an export of at most {MAX_SOURCE_BYTES} bytes is read",
            file.display()
        )));
    }
    let mut raw = Zeroizing::new(Vec::with_capacity(len as usize));
    f.take(MAX_SOURCE_BYTES + 1)
        .read_to_end(&mut raw)
        .map_err(|e| Error::io(format!("reading {}", file.display()), e))?;
    read_source(format, &raw, secrets)
}

/// Parses a source file's bytes. `raw` is the file's bytes (the caller keeps them
/// in a zeroizing buffer).
pub fn read_source(
    format: SourceFormat,
    raw: &[u8],
    secrets: &mut SourceSecrets<'_>,
) -> Result<ForeignRead> {
    if format == SourceFormat::OnePasswordCsv && onepux::is_zip(raw) {
        return capped(format, onepux::read(raw)?);
    }
    if format == SourceFormat::Keepass {
        return capped(format, kdbx::read(raw, secrets)?);
    }
    let text = std::str::from_utf8(raw)
        .map_err(|_| Error::InvalidInput(format!("the {format} export is not UTF-8 text")))?;
    let read = match format {
        SourceFormat::Bitwarden => bitwarden::read(text, secrets)?,
        SourceFormat::KeepassxcCsv => keepassxc::read(text)?,
        SourceFormat::OnePasswordCsv => onepassword::read_csv(text)?,
        SourceFormat::Keepass => kdbx::read(raw, secrets)?,
    };
    capped(format, read)
}

/// Refuses a source with more than [`MAX_ENTRIES`] entries.
fn capped(format: SourceFormat, read: ForeignRead) -> Result<ForeignRead> {
    if read.entries.len() > MAX_ENTRIES {
        return Err(Error::InvalidInput(format!(
            "the {format} export holds {} entries; at most {MAX_ENTRIES} are imported at once",
            read.entries.len()
        )));
    }
    Ok(read)
}

/// `path/title`, as the preview and errors name an entry.
pub(crate) fn describe(path: &[String], title: &str) -> String {
    if path.is_empty() {
        title.to_string()
    } else {
        format!("{}/{title}", path.join("/"))
    }
}

/// A `/`-separated folder, collection, group or tag name as path
/// components (blank ones dropped).
pub(crate) fn split_path(name: &str) -> Vec<String> {
    name.split('/')
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

/// A cell or JSON string that is empty or blank counts as absent.
pub(crate) fn non_empty(s: Option<&str>) -> Option<String> {
    s.map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

/// A secret read from JSON, moved into a [`SecretString`] without a copy
/// (serde_json's own scratch buffer for escaped strings is not zeroized;
/// the file itself is held zeroizing by the caller).
pub(crate) struct JsonSecret(pub(crate) SecretString);

impl<'de> serde::Deserialize<'de> for JsonSecret {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        let s: String = serde::Deserialize::deserialize(d)?;
        Ok(JsonSecret(SecretString::from(Zeroizing::new(s))))
    }
}

/// What [`Vault::preview_import`] says a planned credential will do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RowStatus {
    /// A new credential in an environment that exists.
    New,
    /// A new credential in an environment the import creates.
    NewEnv,
    /// A credential of that name exists: replaced with `--overwrite`,
    /// otherwise the import is refused.
    Exists,
}

/// What [`Vault::apply_import`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignOutcome {
    /// Environments created.
    pub envs_created: Vec<String>,
    /// Credentials created.
    pub created: usize,
    /// Credentials given a new version.
    pub updated: usize,
}

impl Vault {
    /// What applying `plan` would do, row by row, without writing: which
    /// environments are new and which names exist already. Opens the
    /// target environments (names are inside the sealed items).
    pub fn preview_import(&mut self, plan: &ImportPlan) -> Result<Vec<RowStatus>> {
        let mut existing: std::collections::HashMap<String, Option<Vec<String>>> =
            std::collections::HashMap::new();
        let mut out = Vec::with_capacity(plan.items.len());
        for item in &plan.items {
            if !existing.contains_key(&item.target) {
                let names = match self.env(&item.target) {
                    Ok(env) => Some(
                        self.load_items(&env)?
                            .into_iter()
                            .map(|d| d.fields.name.clone())
                            .collect(),
                    ),
                    Err(Error::NotFound(_)) => None,
                    Err(e) => return Err(e),
                };
                existing.insert(item.target.clone(), names);
            }
            out.push(match existing.get(&item.target) {
                Some(Some(names)) if names.contains(&item.name) => RowStatus::Exists,
                Some(Some(_)) => RowStatus::New,
                _ => RowStatus::NewEnv,
            });
        }
        Ok(out)
    }

    /// Imports a plan: all or nothing. Every value and name is checked first
    /// (an existing name refuses the import unless `overwrite`); then the
    /// environments the plan needs that do not exist are created and every
    /// credential is written, in one signed batch (one transaction).
    /// `progress(done, total)` is called while the credentials are sealed.
    pub fn apply_import(
        &mut self,
        plan: ImportPlan,
        overwrite: bool,
        progress: &mut dyn FnMut(usize, usize),
    ) -> Result<ForeignOutcome> {
        // 1. Check everything before building anything.
        let mut targets: Vec<String> = Vec::new();
        for item in &plan.items {
            coffer_dotenv::validate_key(&item.name)?;
            check_value(&item.name, &item.value)?;
            parse_env_path(&item.target)?;
            if !targets.contains(&item.target) {
                targets.push(item.target.clone());
            }
        }
        let mut envs: Vec<(EnvInfo, Vec<crate::items::Decrypted>)> = Vec::new();
        let mut missing: Vec<String> = Vec::new();
        for t in &targets {
            match self.env(t) {
                Ok(env) => {
                    let items = self.load_items(&env)?;
                    self.check_env_opens(&env)?;
                    envs.push((env, items));
                }
                Err(Error::NotFound(_)) => missing.push(t.clone()),
                Err(e) => return Err(e),
            }
        }
        if !overwrite {
            let clashes: Vec<String> = plan
                .items
                .iter()
                .filter(|i| {
                    envs.iter().any(|(e, items)| {
                        e.path() == i.target && items.iter().any(|d| d.fields.name == i.name)
                    })
                })
                .map(|i| format!("{}/{}", i.target, i.name))
                .collect();
            if !clashes.is_empty() {
                let shown: Vec<&str> = clashes.iter().take(20).map(String::as_str).collect();
                return Err(Error::AlreadyExists(format!(
                    "{} credential{} the import would replace: {}{} (use --overwrite to replace them; nothing imported)",
                    clashes.len(),
                    if clashes.len() == 1 { "" } else { "s" },
                    shown.join(", "),
                    if clashes.len() > shown.len() {
                        format!(", and {} more", clashes.len() - shown.len())
                    } else {
                        String::new()
                    }
                )));
            }
        }
        // 2. Build: new environments first, then every credential.
        let mut bodies = Vec::with_capacity(plan.items.len() + missing.len());
        let mut fresh_ids = Vec::new();
        let mut new_projects = Vec::new();
        for t in &missing {
            let (body, env) = self.new_env_op(t, &mut new_projects)?;
            fresh_ids.push(env.id);
            bodies.push(body);
            envs.push((env, Vec::new()));
        }
        let built = self.build_item_ops(&plan, &envs, progress, &mut bodies);
        let applied = built
            .and_then(|(created, updated)| self.apply_batch(bodies).map(|()| (created, updated)));
        match applied {
            Ok((created, updated)) => Ok(ForeignOutcome {
                envs_created: missing,
                created,
                updated,
            }),
            Err(e) => {
                // The keys of environments that were never created.
                for id in fresh_ids {
                    self.env_keys.remove(&id);
                }
                Err(e)
            }
        }
    }

    fn build_item_ops(
        &mut self,
        plan: &ImportPlan,
        envs: &[(EnvInfo, Vec<crate::items::Decrypted>)],
        progress: &mut dyn FnMut(usize, usize),
        bodies: &mut Vec<crate::ops::OpBody>,
    ) -> Result<(usize, usize)> {
        let total = plan.items.len();
        let (mut created, mut updated) = (0, 0);
        let now = now();
        for (i, item) in plan.items.iter().enumerate() {
            let (env, existing) = envs
                .iter()
                .find(|(e, _)| e.path() == item.target)
                .ok_or_else(|| Error::Database("import target environment".into()))?;
            let fields = ItemFields {
                name: item.name.clone(),
                value: item.value.clone(),
                notes: item.notes.clone(),
                url: item.url.clone(),
                username: item.username.clone(),
                tags: item.tags.clone(),
            };
            match existing.iter().find(|d| d.fields.name == item.name) {
                Some(cur) => {
                    let mut meta = cur.meta;
                    meta.rotated_at = Some(now);
                    meta.exposed_at = self.exposed_since(env, cur.id, &fields.value)?;
                    bodies.push(crate::items::version_op(
                        self.vault_id,
                        env,
                        cur,
                        &fields,
                        meta,
                        &self.me.id(),
                    )?);
                    updated += 1;
                }
                None => {
                    let meta = RotationMeta {
                        rotated_at: Some(now),
                        ..Default::default()
                    };
                    bodies.push(self.new_item_op(env, &fields, meta)?.1);
                    created += 1;
                }
            }
            if (i + 1) % 64 == 0 || i + 1 == total {
                progress(i + 1, total);
            }
        }
        Ok((created, updated))
    }

    /// The op adding `PROJECT/ENV` (and its project if new), with a fresh
    /// key at epoch 1 wrapped to this identity and every active owner, as
    /// [`Vault::add_env`] builds it; the key is cached so that the import's
    /// credentials can be sealed under it before the batch is applied.
    ///
    /// Like `add_env` (which applies its op at once, with the same wraps:
    /// `Vault::new_env_wraps`), but the op is returned so that an import
    /// creates its environments in the same transaction as its
    /// credentials.
    ///
    /// `new_projects` holds the projects created earlier in the same batch
    /// (name and id): a second environment of one of them adds to it.
    fn new_env_op(
        &mut self,
        path: &str,
        new_projects: &mut Vec<(String, coffer_crypto::Id)>,
    ) -> Result<(crate::ops::OpBody, EnvInfo)> {
        use coffer_crypto::{EnvKey, Id};
        use rusqlite::OptionalExtension;
        let (p, e) = parse_env_path(path)?;
        let existing: Option<Vec<u8>> = self
            .conn
            .query_row("SELECT id FROM projects WHERE name = ?1", [&p], |r| {
                r.get(0)
            })
            .optional()?;
        let (project_id, new_project) = match existing {
            Some(b) => (
                Id::from_slice(&b).map_err(|_| Error::integrity("bad id"))?,
                false,
            ),
            None => match new_projects.iter().find(|(n, _)| *n == p) {
                Some((_, id)) => (*id, false),
                None => {
                    let id = Id::make();
                    new_projects.push((p.clone(), id));
                    (id, true)
                }
            },
        };
        let env_id = Id::make();
        let ek = EnvKey::make();
        let wraps = self.new_env_wraps(&ek, &env_id)?;
        self.env_keys.insert(env_id, (1, ek));
        let info = EnvInfo {
            id: env_id,
            project: p.clone(),
            name: e.clone(),
            epoch: 1,
            rotate_every_days: None,
            readable: true,
            access: Some("write".into()),
            writable: true,
            items: 0,
            removed: false,
        };
        Ok((
            crate::ops::OpBody::AddEnv {
                project_id,
                project_name: p,
                new_project,
                env_id,
                env_name: e,
                rotate_every_days: None,
                wraps,
            },
            info,
        ))
    }
}
