//! Secret references: `coffer://PROJECT/ENV/KEY[?field=F][&version=N]`,
//! their grammar (`docs/references.md`) and their resolution in batches.
//!
//! A reference names a credential, never holds one: it may sit in a
//! committed file (`.env.coffer`, a config template). Resolving a batch
//! opens each environment once, honours the reader's access (a credential
//! shared one by one resolves; anything else in an environment the reader
//! holds no key for is a permission error naming the reference), and logs
//! one read event per environment, only once the caller's use of the values
//! succeeded.
//!
//! ```
//! use coffer_vault::reference::{Field, Reference};
//!
//! let r = Reference::parse("coffer://payments/prod/STRIPE_KEY?field=url&version=3")?;
//! assert_eq!(r.env_path(), "payments/prod");
//! assert_eq!(r.key, "STRIPE_KEY");
//! assert_eq!(r.field, Field::Url);
//! assert_eq!(r.version, Some(3));
//! // The canonical spelling parses back to the same reference.
//! assert_eq!(Reference::parse(&r.to_string())?, r);
//! # Ok::<(), coffer_vault::Error>(())
//! ```

use std::collections::HashMap;
use std::fmt;

use coffer_crypto::{Id, SecretString};

use crate::dangerous::AllowVars;
use crate::error::{Error, Result};
use crate::items::{open_version, Decrypted};
use crate::ops::{ReadAction, RotationMeta};
use crate::vault::{parse_env_path, EnvInfo, Vault};

/// What every reference starts with.
pub const SCHEME: &str = "coffer://";

/// The longest reference accepted (bytes), checked before any other work.
pub const MAX_REFERENCE_BYTES: usize = 1024;

/// Which part of a credential a reference reads.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum Field {
    /// The secret value (the default).
    #[default]
    Value,
    /// The account name at the provider.
    Username,
    /// Where the credential is managed.
    Url,
    /// The notes.
    Notes,
}

impl Field {
    /// The name used in `?field=`.
    pub fn as_str(self) -> &'static str {
        match self {
            Field::Value => "value",
            Field::Username => "username",
            Field::Url => "url",
            Field::Notes => "notes",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "value" => Field::Value,
            "username" => Field::Username,
            "url" => Field::Url,
            "notes" => Field::Notes,
            _ => return None,
        })
    }
}

/// A parsed reference. Its [`fmt::Display`] is the canonical spelling
/// (names percent-escaped where needed, `field` omitted when it is the
/// value, `field` before `version`). A reference is a name, not a secret.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Reference {
    /// Project name.
    pub project: String,
    /// Environment name.
    pub env: String,
    /// Key name.
    pub key: String,
    /// The field read.
    pub field: Field,
    /// An old version (`None`: the current one).
    pub version: Option<u64>,
}

/// Characters that stand for themselves in a name (RFC 3986 "unreserved").
fn unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

fn hex(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-decodes one path segment; `what` names it in errors.
fn decode_segment(seg: &str, what: &str) -> std::result::Result<String, String> {
    if seg.is_empty() {
        return Err(format!("the {what} is empty"));
    }
    let b = seg.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let (Some(h), Some(l)) = (
                    b.get(i + 1).copied().and_then(hex),
                    b.get(i + 2).copied().and_then(hex),
                ) else {
                    return Err(format!(
                        "bad percent-escape in the {what} (write % as %25, followed by two hex digits)"
                    ));
                };
                out.push(h << 4 | l);
                i += 3;
            }
            c if unreserved(c) => {
                out.push(c);
                i += 1;
            }
            _ => {
                return Err(format!(
                    "the {what} has a character that must be percent-escaped (only A-Z a-z 0-9 - . _ ~ stand for themselves)"
                ))
            }
        }
    }
    String::from_utf8(out).map_err(|_| format!("the {what} does not decode to UTF-8"))
}

/// Percent-encodes a name for the canonical spelling.
fn encode_segment(s: &str, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    for &b in s.as_bytes() {
        if unreserved(b) {
            write!(f, "{}", b as char)?;
        } else {
            write!(f, "%{b:02X}")?;
        }
    }
    Ok(())
}

/// How a reference is shown in an error: at most 120 characters, control
/// characters escaped (the text came from a file; it is not a secret).
fn shown(s: &str) -> String {
    let mut t: String = s.chars().take(120).collect();
    if t.len() < s.len() {
        t.push('…');
    }
    if t.chars().any(char::is_control) {
        format!("{t:?}")
    } else {
        t
    }
}

impl Reference {
    /// Parses a reference (the grammar is in `docs/references.md`). Errors
    /// are [`Error::InvalidInput`] naming the reference and what is wrong.
    pub fn parse(s: &str) -> Result<Self> {
        Self::parse_inner(s).map_err(|why| Error::InvalidInput(format!("{}: {why}", shown(s))))
    }

    fn parse_inner(s: &str) -> std::result::Result<Self, String> {
        if s.len() > MAX_REFERENCE_BYTES {
            return Err(format!(
                "a reference is at most {MAX_REFERENCE_BYTES} bytes"
            ));
        }
        let rest = s
            .strip_prefix(SCHEME)
            .ok_or_else(|| format!("a reference starts with {SCHEME}"))?;
        if rest.contains('#') {
            return Err("a reference has no #fragment: pick a field with ?field= and a version with ?version=".into());
        }
        let (path, query) = match rest.split_once('?') {
            Some((p, q)) => (p, Some(q)),
            None => (rest, None),
        };
        let segs: Vec<&str> = path.split('/').collect();
        let [p, e, k] = segs.as_slice() else {
            return Err("a reference is coffer://PROJECT/ENV/KEY (three parts)".into());
        };
        let project = decode_segment(p, "project")?;
        let env = decode_segment(e, "environment")?;
        let key = decode_segment(k, "key")?;
        if project.contains('/') || env.contains('/') {
            return Err("a project or environment name cannot contain /".into());
        }
        parse_env_path(&format!("{project}/{env}")).map_err(|e| e.to_string())?;
        coffer_dotenv::validate_key(&key).map_err(|e| e.to_string())?;
        let mut field = None;
        let mut version = None;
        if let Some(q) = query {
            if q.is_empty() {
                return Err("nothing after ?".into());
            }
            for param in q.split('&') {
                let (name, value) = param
                    .split_once('=')
                    .ok_or_else(|| "a query parameter is name=value".to_string())?;
                match name {
                    "field" => {
                        if field.is_some() {
                            return Err("field is given twice".into());
                        }
                        field = Some(Field::parse(value).ok_or_else(|| {
                            "field is one of value, username, url, notes".to_string()
                        })?);
                    }
                    "version" => {
                        if version.is_some() {
                            return Err("version is given twice".into());
                        }
                        let bad = || "version is a number from 1".to_string();
                        if value.is_empty()
                            || value.len() > 19
                            || !value.bytes().all(|b| b.is_ascii_digit())
                            || value.starts_with('0')
                        {
                            return Err(bad());
                        }
                        version = Some(value.parse::<u64>().map_err(|_| bad())?);
                    }
                    _ => return Err("the query takes field= and version= only".into()),
                }
            }
        }
        Ok(Reference {
            project,
            env,
            key,
            field: field.unwrap_or_default(),
            version,
        })
    }

    /// `PROJECT/ENV`.
    pub fn env_path(&self) -> String {
        format!("{}/{}", self.project, self.env)
    }

    /// A reference to the current value of `key` in `env_path` (`PROJECT/ENV`).
    pub fn to_value(env_path: &str, key: &str) -> Result<Self> {
        let (project, env) = parse_env_path(env_path)?;
        coffer_dotenv::validate_key(key)?;
        Ok(Reference {
            project,
            env,
            key: key.to_string(),
            field: Field::Value,
            version: None,
        })
    }
}

impl fmt::Display for Reference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(SCHEME)?;
        encode_segment(&self.project, f)?;
        f.write_str("/")?;
        encode_segment(&self.env, f)?;
        f.write_str("/")?;
        encode_segment(&self.key, f)?;
        let mut sep = '?';
        if self.field != Field::Value {
            write!(f, "{sep}field={}", self.field.as_str())?;
            sep = '&';
        }
        if let Some(v) = self.version {
            write!(f, "{sep}version={v}")?;
        }
        Ok(())
    }
}

/// A reference and where it was written ("config.yaml line 3"), for errors.
#[derive(Clone, Debug)]
pub struct Located {
    /// The reference.
    pub reference: Reference,
    /// Where it came from, as shown at the start of an error.
    pub place: String,
}

/// Where a variable's value comes from in [`RunRequest`].
pub enum VarSource {
    /// A plain value (from an env file).
    Plain(SecretString),
    /// A reference, resolved in the same batch as the rest.
    Reference(Located),
}

impl fmt::Debug for VarSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VarSource::Plain(_) => f.write_str("Plain([redacted])"),
            VarSource::Reference(l) => write!(f, "Reference({})", l.reference),
        }
    }
}

/// What `coffer run` injects: an environment, then layers of variables
/// (env files, in order; a later one wins), then secrets as files.
#[derive(Debug)]
pub struct RunRequest<'a> {
    /// `PROJECT/ENV` whose every credential is injected first.
    pub env: Option<&'a str>,
    /// Variables on top of it, in order (a later name replaces an earlier one).
    pub layers: Vec<(String, VarSource)>,
    /// Variables whose value goes to a file (the variable holds its path).
    pub files: Vec<(String, Located)>,
    /// Dangerous variables the user allowed by name.
    pub allow: AllowVars<'a>,
}

/// What [`Vault::run_vars`] resolved.
#[derive(Debug)]
pub struct RunVars {
    /// Variables, in the order they were first named.
    pub vars: Vec<(String, SecretString)>,
    /// Values to write to files, by variable.
    pub files: Vec<(String, SecretString)>,
}

/// Reads recorded during a batch: per environment, the items read.
type Reads = Vec<(EnvInfo, Vec<Id>)>;

/// An environment opened once for a batch.
struct Opened {
    env: EnvInfo,
    items: Vec<Decrypted>,
    read: Vec<Id>,
    /// The caller's personal overrides that apply here (none when turned
    /// off, forbidden or not readable).
    overlay: Vec<(String, SecretString)>,
}

/// A batch's environments, opened lazily, each once.
#[derive(Default)]
struct Batch {
    envs: HashMap<String, Opened>,
    order: Vec<String>,
}

impl Batch {
    fn open<'b>(&'b mut self, vault: &mut Vault, path: &str) -> Result<&'b mut Opened> {
        if !self.envs.contains_key(path) {
            let env = vault.env(path)?;
            let items = vault.load_items(&env)?;
            let overlay = vault.overlay_for_use(&env)?;
            self.order.push(path.to_string());
            self.envs.insert(
                path.to_string(),
                Opened {
                    env,
                    items,
                    read: Vec::new(),
                    overlay,
                },
            );
        }
        self.envs
            .get_mut(path)
            .ok_or_else(|| Error::Database("reference batch".into()))
    }

    fn into_reads(mut self) -> Reads {
        let mut out = Vec::new();
        for p in self.order {
            if let Some(mut o) = self.envs.remove(&p) {
                if o.read.is_empty() {
                    continue;
                }
                o.read.sort_by_key(|id| id.0);
                o.read.dedup();
                out.push((o.env, o.read));
            }
        }
        out
    }

    /// Resolves one reference; errors start with its place and the reference.
    fn resolve(&mut self, vault: &mut Vault, loc: &Located) -> Result<SecretString> {
        let r = &loc.reference;
        let ctx = |msg: String| format!("{}: {r}: {msg}", loc.place);
        let opened = self.open(vault, &r.env_path()).map_err(|e| match e {
            Error::NotFound(what) => Error::NotFound(ctx(what)),
            other => other,
        })?;
        let vault_id = vault.vault_id;
        // The caller's personal override stands for the current value (a
        // field or an older version is the shared credential's).
        if r.field == Field::Value && r.version.is_none() {
            if let Some((_, v)) = opened.overlay.iter().find(|(k, _)| *k == r.key) {
                let added = !opened.items.iter().any(|d| d.fields.name == r.key);
                let value = v.clone();
                let env = opened.env.clone();
                vault.note_applied(&env, &r.key, added);
                return Ok(value);
            }
        }
        let Some(d) = opened.items.iter().find(|d| d.fields.name == r.key) else {
            return Err(if opened.env.readable {
                Error::NotFound(ctx(format!("{} in {}", r.key, r.env_path())))
            } else {
                Error::PermissionDenied(ctx(format!(
                    "you have no access to {} (nor is {} shared with you)",
                    r.env_path(),
                    r.key
                )))
            });
        };
        let fields = match r.version {
            None => None,
            Some(v) if v == d.version => None,
            Some(v) => {
                let row = vault
                    .conn
                    .query_row(
                        "SELECT blob, rotate_every_days, rotated_at, expires_at, exposed_at, author_id
                         FROM item_versions WHERE item_id = ?1 AND version = ?2",
                        rusqlite::params![&d.id.0[..], v as i64],
                        |row| {
                            Ok((
                                row.get::<_, Vec<u8>>(0)?,
                                crate::items::meta_at(row, 1)?,
                                row.get::<_, Vec<u8>>(5)?,
                            ))
                        },
                    )
                    .map_err(|e| match e {
                        rusqlite::Error::QueryReturnedNoRows => Error::NotFound(ctx(format!(
                            "version {v} of {} (the current one is {})",
                            r.key, d.version
                        ))),
                        other => other.into(),
                    })?;
                let (blob, meta, author): (Vec<u8>, RotationMeta, Vec<u8>) = row;
                Some(open_version(
                    &d.ik,
                    vault_id,
                    &opened.env,
                    d.id,
                    v,
                    &blob,
                    &meta,
                    &author,
                )?)
            }
        };
        if fields.is_none() {
            vault
                .check_opens(&opened.env, d)
                .map_err(|e| Error::integrity(ctx(e.to_string())))?;
        }
        let f = fields.as_ref().unwrap_or(&d.fields);
        let value = match r.field {
            Field::Value => f.value.clone(),
            other => {
                let text = match other {
                    Field::Username => &f.username,
                    Field::Url => &f.url,
                    _ => &f.notes,
                };
                SecretString::new(text.clone().ok_or_else(|| {
                    Error::NotFound(ctx(format!("a {} for {}", other.as_str(), r.key)))
                })?)
            }
        };
        opened.read.push(d.id);
        Ok(value)
    }
}

impl Vault {
    /// Resolves `refs` (each environment is opened once), hands the values,
    /// in the same order, to `use_values`, and logs one read event of kind
    /// `action` per environment once `use_values` succeeded: a failed use
    /// (a refused write, a value that cannot be placed) logs nothing.
    ///
    /// The first reference that does not resolve fails the batch:
    /// [`Error::NotFound`] (no such environment, key, field or version),
    /// [`Error::PermissionDenied`] (an environment this identity holds no
    /// key for, and no share of the credential), each naming the place and
    /// the reference, never a value.
    pub fn resolve_references<T>(
        &mut self,
        refs: &[Located],
        action: ReadAction,
        use_values: impl FnOnce(&[SecretString]) -> Result<T>,
    ) -> Result<T> {
        let mut batch = Batch::default();
        let values = refs
            .iter()
            .map(|l| batch.resolve(self, l))
            .collect::<Result<Vec<_>>>()?;
        let out = use_values(&values)?;
        self.log_reads(action, batch.into_reads())?;
        Ok(out)
    }

    /// The variables `coffer run` injects, resolved in one batch and logged
    /// as one run. Precedence: every credential of `req.env`, then each
    /// layer in order (a later name replaces an earlier one); the file
    /// variables last. A variable that decides what code runs
    /// ([`crate::dangerous`]) is refused among all of them unless allowed,
    /// before anything is read or logged.
    pub fn run_vars(&mut self, req: RunRequest<'_>) -> Result<RunVars> {
        let doing = "coffer run does not inject them";
        // Names known without reading anything first: the layers and files.
        req.allow.check(
            req.layers
                .iter()
                .map(|(k, _)| k.as_str())
                .chain(req.files.iter().map(|(k, _)| k.as_str())),
            doing,
        )?;
        let mut batch = Batch::default();
        let mut vars: Vec<(String, SecretString)> = Vec::new();
        let mut index: HashMap<String, usize> = HashMap::new();
        let mut put = |vars: &mut Vec<(String, SecretString)>, k: String, v: SecretString| {
            match index.get(&k) {
                Some(&i) => vars[i].1 = v,
                None => {
                    index.insert(k.clone(), vars.len());
                    vars.push((k, v));
                }
            }
        };
        if let Some(path) = req.env {
            let opened = batch.open(self, path)?;
            if !opened.env.readable {
                return Err(Error::PermissionDenied(format!(
                    "you have no access to {}",
                    opened.env.path()
                )));
            }
            self.check_env_opens(&opened.env)?;
            req.allow
                .check(opened.items.iter().map(|d| d.fields.name.as_str()), doing)?;
            let mut items: Vec<&Decrypted> = opened.items.iter().collect();
            items.sort_by(|a, b| a.fields.name.cmp(&b.fields.name));
            let mut shared = Vec::with_capacity(items.len());
            for d in items {
                self.check_opens(&opened.env, d)?;
                shared.push((d.fields.name.clone(), d.fields.value.clone(), d.id));
            }
            let env = opened.env.clone();
            let (overlaid, read) = self.apply_overlay(&env, shared)?;
            // An override may add a key: checked like the others.
            req.allow
                .check(overlaid.iter().map(|(k, _, _)| k.as_str()), doing)?;
            for (k, v, _) in overlaid {
                put(&mut vars, k, v);
            }
            batch.open(self, path)?.read.extend(read);
        }
        for (k, src) in req.layers {
            let v = match src {
                VarSource::Plain(v) => v,
                VarSource::Reference(l) => batch.resolve(self, &l)?,
            };
            put(&mut vars, k, v);
        }
        let mut files = Vec::with_capacity(req.files.len());
        for (k, l) in req.files {
            files.push((k, batch.resolve(self, &l)?));
        }
        self.log_reads(ReadAction::Run, batch.into_reads())?;
        Ok(RunVars { vars, files })
    }

    /// Logs a batch's reads: one read event per environment, all in one
    /// transaction (one fsync however many environments were read).
    fn log_reads(&mut self, action: ReadAction, reads: Reads) -> Result<()> {
        if reads.is_empty() {
            return Ok(());
        }
        self.apply_batch(
            reads
                .into_iter()
                .map(|(env, item_ids)| crate::ops::OpBody::Read {
                    action,
                    env_id: env.id,
                    item_ids,
                })
                .collect(),
        )
    }
}

/// Reads a `.env`-style file for `coffer run --env-file` (`name` names it
/// in errors): the strict parser of `coffer import`, then each value that
/// starts with `coffer://` is a reference (it must parse), any other is
/// plain. Errors name the file and line, never a value.
pub fn env_file_layers(text: &str, name: &str) -> Result<Vec<(String, VarSource)>> {
    let parsed =
        coffer_dotenv::parse(text).map_err(|e| Error::InvalidInput(format!("{name}: {e}")))?;
    let mut layers = Vec::with_capacity(parsed.len());
    for p in parsed {
        let src = if p.value.starts_with(SCHEME) {
            VarSource::Reference(Located {
                reference: Reference::parse(&p.value)
                    .map_err(|e| Error::InvalidInput(format!("{name} line {}: {e}", p.line)))?,
                place: format!("{name} line {} ({})", p.line, p.key),
            })
        } else {
            VarSource::Plain(SecretString::new(p.value.to_string()))
        };
        layers.push((p.key.clone(), src));
    }
    Ok(layers)
}

/// Checks a variable name (`^[A-Za-z_][A-Za-z0-9_]*$`).
pub fn check_var_name(name: &str) -> Result<()> {
    Ok(coffer_dotenv::validate_key(name)?)
}

/// An environment's keys against an example file's (`coffer check`, and
/// the app's per-environment check).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ExampleCheck {
    /// How many keys the example names.
    pub wanted: usize,
    /// Keys the example names that the environment lacks, in the
    /// example's order.
    pub missing: Vec<String>,
    /// Keys the environment has that the example does not name, sorted.
    pub extra: Vec<String>,
}

impl ExampleCheck {
    /// Compares the keys of `example` (the file's text, read leniently as
    /// [`example_keys`] does) with `have`, the environment's keys.
    pub fn compare<'a>(example: &str, have: impl IntoIterator<Item = &'a str>) -> Self {
        let wanted = example_keys(example);
        let have: std::collections::BTreeSet<&str> = have.into_iter().collect();
        let wanted_set: std::collections::HashSet<&str> =
            wanted.iter().map(String::as_str).collect();
        ExampleCheck {
            wanted: wanted.len(),
            missing: wanted
                .iter()
                .filter(|k| !have.contains(k.as_str()))
                .cloned()
                .collect(),
            extra: have
                .into_iter()
                .filter(|k| !wanted_set.contains(k))
                .map(str::to_string)
                .collect(),
        }
    }
}

impl Vault {
    /// Checks the environment `env` (`PROJECT/ENV`, which this identity
    /// must be able to read) against an example file's text: names only,
    /// no value is opened.
    pub fn check_example(&mut self, env: &str, example: &str) -> Result<ExampleCheck> {
        let info = self.env(env)?;
        if !info.readable {
            return Err(Error::PermissionDenied(format!(
                "you have no access to {}",
                info.path()
            )));
        }
        let names: Vec<String> = self
            .list_items(Some(env), crate::rotation::DEFAULT_DUE_SOON_DAYS)?
            .into_iter()
            .map(|i| i.name)
            .collect();
        Ok(ExampleCheck::compare(
            example,
            names.iter().map(String::as_str),
        ))
    }
}

/// The keys an example file (`.env.example`) names, in order, once each.
/// Lenient, since only names matter: values are ignored whatever their
/// syntax (`${X}`, ` #`), a quoted value that spans lines is skipped to
/// its closing quote, `export ` is allowed, and lines that are not
/// `KEY=…` (comments, blank, invalid names) are skipped.
pub fn example_keys(text: &str) -> Vec<String> {
    let mut keys = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut open_quote: Option<char> = None;
    for line in text.lines() {
        if let Some(q) = open_quote {
            if closes(line, q) {
                open_quote = None;
            }
            continue;
        }
        let l = line.trim_start_matches('\u{feff}').trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let l = l.strip_prefix("export ").map_or(l, str::trim_start);
        let Some((k, v)) = l.split_once('=') else {
            continue;
        };
        let k = k.trim();
        if coffer_dotenv::validate_key(k).is_err() {
            continue;
        }
        let v = v.trim_start();
        if let Some(q) = v.chars().next().filter(|c| matches!(c, '"' | '\'' | '`')) {
            if !closes(&v[1..], q) {
                open_quote = Some(q);
            }
        }
        if seen.insert(k.to_string()) {
            keys.push(k.to_string());
        }
    }
    keys
}

/// Whether `s` holds a closing `q` (for `"`, one not escaped by `\`).
fn closes(s: &str, q: char) -> bool {
    let mut escaped = false;
    for c in s.chars() {
        if escaped {
            escaped = false;
        } else if c == '\\' && q == '"' {
            escaped = true;
        } else if c == q {
            return true;
        }
    }
    false
}

/// A small deterministic generator for the property tests (xorshift64).
#[cfg(test)]
pub(crate) fn xorshift(mut x: u64) -> impl FnMut() -> u64 {
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_example_check_lists_missing_in_order_and_extra_sorted() {
        let c = ExampleCheck::compare("B=\nA=x\n# C=\nD=1\n", ["Z", "A", "Y"]);
        assert_eq!(c.wanted, 3);
        assert_eq!(c.missing, ["B", "D"]);
        assert_eq!(c.extra, ["Y", "Z"]);
        let ok = ExampleCheck::compare("A=\n", ["A"]);
        assert!(ok.missing.is_empty() && ok.extra.is_empty());
    }

    #[test]
    fn example_keys_are_read_leniently() {
        let t = "# c\n\nexport A=1\nB = ${X} # note\nC=\"multi\nD=not a key\n\"\nE='x'\nbad-key=1\nA=again\n";
        assert_eq!(example_keys(t), ["A", "B", "C", "E"]);
    }

    use super::*;

    fn ok(s: &str) -> Reference {
        Reference::parse(s).unwrap_or_else(|e| panic!("{s}: {e}"))
    }

    #[test]
    fn plain_field_and_version_forms() {
        let r = ok("coffer://payments/prod/STRIPE_KEY");
        assert_eq!(
            (r.project.as_str(), r.env.as_str(), r.key.as_str()),
            ("payments", "prod", "STRIPE_KEY")
        );
        assert_eq!((r.field, r.version), (Field::Value, None));
        let r = ok("coffer://payments/prod/STRIPE_KEY?version=3&field=username");
        assert_eq!((r.field, r.version), (Field::Username, Some(3)));
        assert_eq!(
            r.to_string(),
            "coffer://payments/prod/STRIPE_KEY?field=username&version=3"
        );
        assert_eq!(
            ok("coffer://a/b/C?field=value").to_string(),
            "coffer://a/b/C"
        );
        assert_eq!(ok("coffer://a.b/c-d_e/K?field=notes").field, Field::Notes);
        assert_eq!(ok("coffer://a/b/C?field=url").field, Field::Url);
    }

    #[test]
    fn percent_escapes_decode_and_are_then_checked() {
        // %41 is A: an escaped unreserved character is the same name.
        assert_eq!(ok("coffer://p%61y/prod/%4B"), ok("coffer://pay/prod/K"));
        // An escaped character no name may hold is refused after decoding.
        for bad in [
            "coffer://a%2Fb/c/K",
            "coffer://a/b%20c/K",
            "coffer://a/b/K%2D",
        ] {
            assert!(Reference::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn fail_malformed_references_are_invalid_input_naming_them() {
        for bad in [
            "",
            "coffer:/a/b/C",
            "COFFER://a/b/C",
            "op://a/b/C",
            "coffer://a/b",
            "coffer://a/b/C/D",
            "coffer://a//C",
            "coffer:///b/C",
            "coffer://a/b/",
            "coffer://a/b/C?",
            "coffer://a/b/C?field",
            "coffer://a/b/C?field=password",
            "coffer://a/b/C?field=url&field=url",
            "coffer://a/b/C?version=0",
            "coffer://a/b/C?version=03",
            "coffer://a/b/C?version=-1",
            "coffer://a/b/C?version=99999999999999999999",
            "coffer://a/b/C?version=1&version=2",
            "coffer://a/b/C?colour=red",
            "coffer://a/b/C#username",
            "coffer://a/b/C@3",
            "coffer://a/b/1KEY",
            "coffer://a/b/C%",
            "coffer://a/b/C%4",
            "coffer://a/b/C%zz",
            "coffer://a/b/%FF",
            "coffer://a b/c/K",
        ] {
            let e = Reference::parse(bad).expect_err(bad);
            assert_eq!(e.kind(), crate::ErrorKind::InvalidInput, "{bad}");
        }
        let long = format!("coffer://a/b/{}", "K".repeat(2000));
        let e = Reference::parse(&long).expect_err("long").to_string();
        assert!(e.len() < 400, "the error shows a bounded excerpt: {e}");
    }

    /// Property: parsing never panics, and whatever parses prints a
    /// canonical spelling that parses back to the same reference.
    #[test]
    fn parse_never_panics_and_canonical_form_round_trips() {
        const PIECES: &[&str] = &[
            "coffer://",
            "/",
            "?",
            "&",
            "=",
            "%",
            "%4",
            "%41",
            "%2F",
            "%C3%A9",
            "%FF",
            "field",
            "version",
            "value",
            "username",
            "url",
            "notes",
            "1",
            "0",
            "9",
            "a",
            "Z",
            "_",
            "-",
            ".",
            "~",
            "#",
            "@",
            " ",
            "é",
            "\n",
            "\0",
            "KEY",
            "prod",
            "pay",
            "coffer:",
            "//",
        ];
        let mut next = xorshift(0x9E37_79B9_7F4A_7C15);
        const SEEDS: &[&str] = &[
            "coffer://pay/prod/KEY",
            "coffer://a.b/c-d/K_1?field=url",
            "coffer://p/e/K?version=12&field=notes",
            "coffer://p%61/e/%4B?field=username",
        ];
        let mut parsed = 0;
        for i in 0..200_000 {
            let mut s = String::new();
            if i % 2 == 0 {
                s.push_str("coffer://");
                for _ in 0..(next() % 12) {
                    s.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
                }
            } else {
                // A valid reference with a few random edits.
                s.push_str(SEEDS[(next() % SEEDS.len() as u64) as usize]);
                for _ in 0..(next() % 3) {
                    let cut: Vec<usize> = s.char_indices().map(|(i, _)| i).collect();
                    let at = cut[(next() % cut.len() as u64) as usize];
                    match next() % 3 {
                        0 => s.insert_str(at, PIECES[(next() % PIECES.len() as u64) as usize]),
                        1 => {
                            s.remove(at);
                        }
                        _ => s.truncate(at),
                    }
                    if s.is_empty() {
                        break;
                    }
                }
            }
            if let Ok(r) = Reference::parse(&s) {
                parsed += 1;
                let canon = r.to_string();
                assert_eq!(Reference::parse(&canon).ok().as_ref(), Some(&r), "{s:?}");
            }
        }
        // The generator does reach valid references.
        assert!(parsed > 100, "{parsed}");
        // Arbitrary bytes (lossily decoded) too.
        for _ in 0..20_000 {
            let bytes: Vec<u8> = (0..(next() % 40)).map(|_| next() as u8).collect();
            let _ = Reference::parse(&String::from_utf8_lossy(&bytes));
        }
    }
}
