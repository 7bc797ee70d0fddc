//! Bitwarden's JSON export, unencrypted ("File format: .json"), from a
//! personal vault (`folders`, `folderId`) or an organization
//! (`collections`, `collectionIds`).
//!
//! Format: Bitwarden's "Condition a Bitwarden .csv or .json" help article
//! (bitwarden.com/help/condition-bitwarden-import/). Item `type`: 1 login,
//! 2 secure note, 3 card, 4 identity, 5 SSH key. Unknown fields are ignored.
//!
//! Imported: logins with a password (username, first URI, notes, TOTP),
//! secure notes with text (the text is the value), SSH keys (the private
//! key is the value). Left out and listed: cards, identities, logins
//! without a password. Custom fields are counted, not imported.
//!
//! A password-protected export (`"encrypted": true, "passwordProtected":
//! true`) is opened with its password ([`coffer_crypto::bitwarden`]: the
//! KDF the file names, HKDF-stretched, AES-256-CBC + HMAC-SHA256): first
//! `encKeyValidation_DO_NOT_EDIT`, so that a wrong password is one error
//! before the data is touched, then `data`, which holds the unencrypted
//! export read as above. An account-restricted export (`"encrypted": true`
//! without `passwordProtected`) is encrypted with the account's key, which
//! only Bitwarden holds: refused, naming the exports that can be read.

use coffer_crypto::bitwarden::{BitwardenExportKey, BitwardenKdf};
use serde::Deserialize;
use zeroize::Zeroizing;

use super::{
    describe, non_empty, split_path, ForeignEntry, ForeignRead, JsonSecret, SkippedEntry,
    SourceSecrets,
};
use crate::error::{Error, Result};

/// The envelope of an encrypted export (the unencrypted one has none of
/// these but `encrypted: false`).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    #[serde(default)]
    encrypted: bool,
    #[serde(default)]
    password_protected: bool,
    salt: Option<String>,
    kdf_type: Option<u8>,
    kdf_iterations: Option<u32>,
    kdf_memory: Option<u32>,
    kdf_parallelism: Option<u32>,
    #[serde(rename = "encKeyValidation_DO_NOT_EDIT")]
    enc_key_validation: Option<String>,
    data: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Export {
    #[serde(default)]
    folders: Vec<Named>,
    #[serde(default)]
    collections: Vec<Named>,
    items: Option<Vec<Item>>,
}

#[derive(Deserialize)]
struct Named {
    id: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Item {
    #[serde(rename = "type")]
    kind: u8,
    #[serde(default)]
    name: String,
    notes: Option<String>,
    folder_id: Option<String>,
    collection_ids: Option<Vec<String>>,
    login: Option<Login>,
    ssh_key: Option<SshKey>,
    fields: Option<Vec<serde::de::IgnoredAny>>,
}

#[derive(Deserialize)]
struct Login {
    username: Option<String>,
    password: Option<JsonSecret>,
    totp: Option<JsonSecret>,
    uris: Option<Vec<Uri>>,
}

#[derive(Deserialize)]
struct Uri {
    uri: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SshKey {
    private_key: Option<JsonSecret>,
}

/// serde_json's messages may quote the text they stumbled on: only the
/// position leaves.
fn json_error(e: serde_json::Error) -> Error {
    Error::InvalidInput(format!(
        "the Bitwarden export does not read as a Bitwarden JSON export (line {}, column {})",
        e.line(),
        e.column()
    ))
}

/// Reads the export; a password-protected one is opened first, with the
/// password `secrets` gives.
pub(crate) fn read(text: &str, secrets: &mut SourceSecrets<'_>) -> Result<ForeignRead> {
    let envelope: Envelope = serde_json::from_str(text).map_err(json_error)?;
    if !envelope.encrypted {
        return read_plain(text);
    }
    if !envelope.password_protected {
        return Err(Error::InvalidInput(
            "this Bitwarden export is account-restricted: it is encrypted with your Bitwarden \
             account's key and only Bitwarden can open it. Export again as \".json (Encrypted)\" \
             with the export type \"Password protected\", or as \".json\"; nothing imported"
                .into(),
        ));
    }
    let plain = open_protected(&envelope, secrets)?;
    let inner: Envelope = serde_json::from_str(&plain).map_err(json_error)?;
    if inner.encrypted {
        return Err(Error::InvalidInput(
            "the password-protected Bitwarden export holds another encrypted export; nothing imported"
                .into(),
        ));
    }
    read_plain(&plain)
}

/// Opens a password-protected export: its unencrypted JSON (zeroizing).
fn open_protected(e: &Envelope, secrets: &mut SourceSecrets<'_>) -> Result<Zeroizing<String>> {
    let missing = |field: &str| {
        Error::InvalidInput(format!(
            "the password-protected Bitwarden export has no \"{field}\"; nothing imported"
        ))
    };
    let salt = e.salt.as_deref().ok_or_else(|| missing("salt"))?;
    let iterations = e.kdf_iterations.ok_or_else(|| missing("kdfIterations"))?;
    let kdf = match e.kdf_type.ok_or_else(|| missing("kdfType"))? {
        0 => BitwardenKdf::Pbkdf2 { iterations },
        1 => BitwardenKdf::Argon2id {
            iterations,
            memory_mib: e.kdf_memory.ok_or_else(|| missing("kdfMemory"))?,
            parallelism: e.kdf_parallelism.ok_or_else(|| missing("kdfParallelism"))?,
        },
        other => {
            return Err(Error::InvalidInput(format!(
                "the Bitwarden export names kdfType {other}; Coffer reads 0 (PBKDF2) and 1 (Argon2id); nothing imported"
            )))
        }
    };
    let validation = e
        .enc_key_validation
        .as_deref()
        .ok_or_else(|| missing("encKeyValidation_DO_NOT_EDIT"))?;
    let data = e.data.as_deref().ok_or_else(|| missing("data"))?;
    let password = (secrets.password)()?;
    let key = BitwardenExportKey::derive(&password, salt, kdf).map_err(|err| match err {
        coffer_crypto::Error::KdfParams(why) => Error::InvalidInput(format!(
            "the Bitwarden export's key-derivation costs are {why}; nothing imported"
        )),
        _ => Error::InvalidInput("the Bitwarden export's key cannot be derived".into()),
    })?;
    // The validation string first, as Bitwarden's importer does: a wrong
    // password is one error, and the data is never touched with it.
    key.open(validation).map_err(|_| {
        Error::InvalidInput(
            "the password does not open this Bitwarden export (wrong password, or the file \
             was changed); nothing imported"
                .into(),
        )
    })?;
    let plain = key.open(data).map_err(|_| {
        Error::InvalidInput(
            "the Bitwarden export's data does not open with its password (the file was \
             changed or damaged); nothing imported"
                .into(),
        )
    })?;
    // A copy into a zeroizing String (the SecretString is wiped on drop).
    Ok(Zeroizing::new(plain.expose_secret().to_owned()))
}

/// Reads an unencrypted export.
fn read_plain(text: &str) -> Result<ForeignRead> {
    let export: Export = serde_json::from_str(text).map_err(json_error)?;
    let items = export
        .items
        .ok_or_else(|| Error::InvalidInput("the Bitwarden export has no \"items\" list".into()))?;
    let mut out = ForeignRead::default();
    for item in items {
        let container = item
            .folder_id
            .as_deref()
            .and_then(|id| export.folders.iter().find(|f| f.id == id))
            .or_else(|| {
                let first = item.collection_ids.as_ref()?.first()?;
                export.collections.iter().find(|c| &c.id == first)
            });
        let path = container.map(|c| split_path(&c.name)).unwrap_or_default();
        let from = describe(&path, &item.name);
        let mut entry = ForeignEntry {
            path,
            title: item.name,
            left_out: item.fields.map_or(0, |f| f.len()),
            ..Default::default()
        };
        match item.kind {
            1 => {
                let login = item.login.unwrap_or(Login {
                    username: None,
                    password: None,
                    totp: None,
                    uris: None,
                });
                match login.password.filter(|p| !p.0.is_empty()) {
                    Some(p) => entry.value = p.0,
                    None => {
                        out.skipped.push(SkippedEntry {
                            from,
                            reason: "a login without a password",
                        });
                        continue;
                    }
                }
                entry.username = non_empty(login.username.as_deref());
                entry.url = login
                    .uris
                    .unwrap_or_default()
                    .into_iter()
                    .find_map(|u| non_empty(u.uri.as_deref()));
                entry.notes = non_empty(item.notes.as_deref());
                entry.totp = login.totp.map(|t| t.0).filter(|t| !t.is_empty());
            }
            2 => match item.notes.filter(|n| !n.trim().is_empty()) {
                Some(n) => entry.value = coffer_crypto::SecretString::new(n),
                None => {
                    out.skipped.push(SkippedEntry {
                        from,
                        reason: "a secure note without text",
                    });
                    continue;
                }
            },
            5 => match item
                .ssh_key
                .and_then(|k| k.private_key)
                .filter(|k| !k.0.is_empty())
            {
                Some(k) => {
                    entry.value = k.0;
                    entry.notes = non_empty(item.notes.as_deref());
                }
                None => {
                    out.skipped.push(SkippedEntry {
                        from,
                        reason: "an SSH key without a private key",
                    });
                    continue;
                }
            },
            3 => {
                out.skipped.push(SkippedEntry {
                    from,
                    reason: "a card (not a credential)",
                });
                continue;
            }
            4 => {
                out.skipped.push(SkippedEntry {
                    from,
                    reason: "an identity (not a credential)",
                });
                continue;
            }
            _ => {
                out.skipped.push(SkippedEntry {
                    from,
                    reason: "an item type Coffer does not know",
                });
                continue;
            }
        }
        out.entries.push(entry);
    }
    Ok(out)
}
