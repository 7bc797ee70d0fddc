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
//! without a password. Custom fields are counted, not imported. An
//! encrypted export (`"encrypted": true`) is refused: export it again
//! unencrypted (see `docs/import.md`).

use serde::Deserialize;

use super::{describe, non_empty, split_path, ForeignEntry, ForeignRead, JsonSecret, SkippedEntry};
use crate::error::{Error, Result};

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Export {
    #[serde(default)]
    encrypted: bool,
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

/// Reads the export.
pub(crate) fn read(text: &str) -> Result<ForeignRead> {
    // serde_json's messages may quote the text they stumbled on: only the
    // position leaves.
    let export: Export = serde_json::from_str(text).map_err(|e| {
        Error::InvalidInput(format!(
            "the Bitwarden export does not read as a Bitwarden JSON export (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    if export.encrypted {
        return Err(Error::InvalidInput(
            "this Bitwarden export is encrypted: export the vault again with the file format \
             \".json\" (not \".json (Encrypted)\"), import that, then delete it"
                .into(),
        ));
    }
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
