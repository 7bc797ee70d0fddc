//! 1Password's `.1pux` export ("1Password Unencrypted Export", 1Password 8:
//! File → Export → "1PUX").
//!
//! Format: 1Password's support article "About the 1Password Unencrypted
//! Export format" (support.1password.com/1pux-format/): a zip archive
//! holding `export.attributes` (`version`, `description`, `createdAt`),
//! `export.data` and `files/` (attachments, not read). `export.data` is
//! JSON: `accounts[]` (`attrs.accountName`, `attrs.name`) → `vaults[]`
//! (`attrs.name`) → `items[]`, each with `categoryUuid`, `state`
//! (`active` / `archived`), `trashed`, `overview` (`title`, `url`, `urls[]`,
//! `tags[]`) and `details` (`loginFields[]` with a `designation` of
//! `username` / `password`, `notesPlain`, `password` for the Password
//! category, `sections[]` of `fields[]` whose `value` is one of
//! `{"concealed": …}`, `{"string": …}`, `{"totp": …}`, `{"url": …}`, …).
//! Category codes as 1Password writes them (and Bitwarden's importer reads
//! them): 001 Login, 002 Credit Card, 003 Secure Note, 004 Identity,
//! 005 Password, 006 Document, 102 Database, 110 Server, 112 API
//! Credential, 114 SSH Key, and others. An SSH key field's value is
//! `{"sshKey": {"privateKey": …, "metadata": {"publicKey", "fingerprint",
//! "keyType", …}}}` (as in Bitwarden's `.1pux` importer's test data).
//!
//! Where an entry goes: its account, then its vault (`Acme/Payments Prod`
//! → `acme/payments-prod` by default; `--map` for anything else).
//! Imported, one credential each: Login (the designated password, else a
//! section field `password`), Password, API Credential (`credential`,
//! with `username` and `hostname` as the URL), Database (`password`,
//! `username`, `hostname`), Server (`password`, `username`, `url`), SSH
//! Key (the private key of its `sshKey` field) and Secure Note (its text). The first TOTP field of any of them becomes
//! `NAME_TOTP`, as for the other sources. Archived and trashed items, and
//! the other categories, are listed as skipped; other fields are counted.
//!
//! No 1Password app runs here: the fixture
//! `tests/import/1password-8.written-from-docs.1pux` is written from that
//! article (and named so), its `export.data` beside it.

use std::io::Read as _;

use serde::de::{IgnoredAny, MapAccess, Visitor};
use serde::Deserialize;

use super::{
    describe, non_empty, ForeignEntry, ForeignRead, JsonSecret, SkippedEntry, MAX_SOURCE_BYTES,
};
use crate::error::{Error, Result};
use coffer_crypto::SecretString;
use zeroize::Zeroizing;

/// Whether `raw` is a zip archive (a `.1pux`) rather than a CSV export.
pub(crate) fn is_zip(raw: &[u8]) -> bool {
    raw.starts_with(b"PK\x03\x04")
}

#[derive(Deserialize)]
struct Export {
    accounts: Option<Vec<Account>>,
}

#[derive(Deserialize)]
struct Account {
    #[serde(default)]
    attrs: AccountAttrs,
    #[serde(default)]
    vaults: Vec<Vault>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct AccountAttrs {
    #[serde(default)]
    account_name: String,
    #[serde(default)]
    name: String,
}

#[derive(Deserialize)]
struct Vault {
    #[serde(default)]
    attrs: VaultAttrs,
    #[serde(default)]
    items: Vec<Item>,
}

#[derive(Deserialize, Default)]
struct VaultAttrs {
    #[serde(default)]
    name: String,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Item {
    #[serde(default)]
    state: String,
    #[serde(default)]
    trashed: bool,
    #[serde(default)]
    category_uuid: String,
    #[serde(default)]
    details: Details,
    #[serde(default)]
    overview: Overview,
    /// Early exports wrapped each item as `{"item": {…}}`.
    item: Option<Box<Item>>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct Details {
    #[serde(default)]
    login_fields: Vec<Option<LoginField>>,
    notes_plain: Option<String>,
    #[serde(default)]
    sections: Vec<Option<Section>>,
    password: Option<JsonSecret>,
}

#[derive(Deserialize)]
struct LoginField {
    #[serde(default)]
    value: FieldText,
    #[serde(default)]
    designation: String,
}

#[derive(Deserialize)]
struct Section {
    #[serde(default)]
    fields: Vec<Field>,
}

#[derive(Deserialize)]
struct Field {
    #[serde(default)]
    title: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    value: FieldValue,
}

/// A section field's value: one key naming its kind. Kinds that hold no
/// text Coffer uses (`date`, `email`, `address`…) are counted, not read;
/// of an `sshKey` (`{"privateKey": …, "metadata": {…}}`) only the private
/// key is read. Read by hand rather than with `#[serde(flatten)]`, which would
/// copy every value through serde's buffer.
#[derive(Default)]
struct FieldValue {
    concealed: Option<JsonSecret>,
    string: Option<JsonSecret>,
    totp: Option<JsonSecret>,
    url: Option<JsonSecret>,
    menu: Option<JsonSecret>,
    ssh_key: Option<JsonSecret>,
    other: usize,
}

/// An `sshKey` field value: the private key (PEM or OpenSSH text). Its
/// `metadata` (a second copy of the private key, the public key, the
/// fingerprint and the key type) is skipped unread.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SshKeyValue {
    private_key: Option<JsonSecret>,
}

impl<'de> Deserialize<'de> for FieldValue {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FieldValue;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a field value")
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut m: A,
            ) -> std::result::Result<FieldValue, A::Error> {
                let mut v = FieldValue::default();
                while let Some(kind) = m.next_key::<String>()? {
                    let slot = match kind.as_str() {
                        "concealed" => &mut v.concealed,
                        "string" => &mut v.string,
                        "totp" => &mut v.totp,
                        "url" => &mut v.url,
                        "menu" => &mut v.menu,
                        "sshKey" => {
                            v.ssh_key = m
                                .next_value::<Option<SshKeyValue>>()?
                                .and_then(|k| k.private_key);
                            continue;
                        }
                        _ => {
                            m.next_value::<IgnoredAny>()?;
                            v.other += 1;
                            continue;
                        }
                    };
                    *slot = m.next_value::<Option<JsonSecret>>()?;
                }
                Ok(v)
            }
        }
        d.deserialize_map(V)
    }
}

impl FieldValue {
    /// The text of the field, whatever its kind.
    fn text(&self) -> Option<&SecretString> {
        [
            &self.concealed,
            &self.string,
            &self.totp,
            &self.url,
            &self.menu,
            &self.ssh_key,
        ]
        .into_iter()
        .flatten()
        .map(|s| &s.0)
        .find(|s| !s.is_empty())
    }

    fn has_value(&self) -> bool {
        self.text().is_some() || self.other > 0
    }
}

/// A login field's value: usually a string, an object for a linked
/// account (read as absent).
#[derive(Default)]
struct FieldText(Option<SecretString>);

impl<'de> Deserialize<'de> for FieldText {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = FieldText;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a string or an object")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> std::result::Result<FieldText, E> {
                Ok(FieldText(Some(SecretString::new(s.to_owned()))))
            }
            fn visit_string<E: serde::de::Error>(
                self,
                s: String,
            ) -> std::result::Result<FieldText, E> {
                Ok(FieldText(Some(SecretString::from(Zeroizing::new(s)))))
            }
            fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<FieldText, E> {
                Ok(FieldText(None))
            }
            fn visit_map<A: MapAccess<'de>>(
                self,
                mut m: A,
            ) -> std::result::Result<FieldText, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(FieldText(None))
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Deserialize, Default)]
struct Overview {
    #[serde(default)]
    title: String,
    url: Option<String>,
    urls: Option<Vec<Url>>,
}

#[derive(Deserialize)]
struct Url {
    url: Option<String>,
}

/// Reads a `.1pux` archive's `export.data`.
pub(crate) fn read(raw: &[u8]) -> Result<ForeignRead> {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(raw)).map_err(|_| {
        Error::InvalidInput("the 1Password .1pux file is not a readable zip archive".into())
    })?;
    let mut data = zip.by_name("export.data").map_err(|_| {
        Error::InvalidInput("the .1pux archive holds no export.data: not a 1Password export".into())
    })?;
    // The size a zip declares is not trusted: the read is capped too.
    if data.size() > MAX_SOURCE_BYTES {
        return Err(too_large());
    }
    let mut json = Zeroizing::new(Vec::with_capacity(data.size() as usize));
    (&mut data)
        .take(MAX_SOURCE_BYTES + 1)
        .read_to_end(&mut json)
        .map_err(|_| {
            Error::InvalidInput("the .1pux archive's export.data does not unpack".into())
        })?;
    if json.len() as u64 > MAX_SOURCE_BYTES {
        return Err(too_large());
    }
    let text = std::str::from_utf8(&json)
        .map_err(|_| Error::InvalidInput("the .1pux export.data is not UTF-8 text".into()))?;
    // serde_json's messages may quote the text: only the position leaves.
    let export: Export = serde_json::from_str(text).map_err(|e| {
        Error::InvalidInput(format!(
            "the .1pux export.data does not read as 1Password's format (line {}, column {})",
            e.line(),
            e.column()
        ))
    })?;
    let accounts = export.accounts.ok_or_else(|| {
        Error::InvalidInput("the .1pux export.data has no \"accounts\" list".into())
    })?;
    let mut out = ForeignRead::default();
    for account in accounts {
        let account_name = if account.attrs.account_name.trim().is_empty() {
            account.attrs.name
        } else {
            account.attrs.account_name
        };
        for vault in account.vaults {
            let path: Vec<String> = [account_name.trim(), vault.attrs.name.trim()]
                .into_iter()
                .filter(|p| !p.is_empty())
                .map(str::to_string)
                .collect();
            for item in vault.items {
                let item = match item.item {
                    Some(inner) => *inner,
                    None => item,
                };
                entry(item, &path, &mut out);
            }
        }
    }
    Ok(out)
}

fn too_large() -> Error {
    Error::InvalidInput(format!(
        "the .1pux export.data unpacks to more than {MAX_SOURCE_BYTES} bytes"
    ))
}

/// What one category's credential is made of: the section field ids of
/// its secret, username and URL.
struct Shape {
    secret: &'static [&'static str],
    username: &'static [&'static str],
    url: &'static [&'static str],
}

fn shape(category: &str) -> std::result::Result<Shape, &'static str> {
    Ok(match category {
        // Login: the section fields are a fallback; the login fields first.
        "001" => Shape {
            secret: &["password"],
            username: &["username"],
            url: &[],
        },
        "005" => Shape {
            secret: &["password"],
            username: &[],
            url: &[],
        },
        "102" => Shape {
            secret: &["password"],
            username: &["username"],
            url: &["hostname"],
        },
        "110" => Shape {
            secret: &["password"],
            username: &["username"],
            url: &["url"],
        },
        "112" => Shape {
            secret: &["credential"],
            username: &["username"],
            url: &["hostname"],
        },
        "003" => Shape {
            secret: &[],
            username: &[],
            url: &[],
        },
        "002" => return Err("a credit card (not a credential)"),
        "004" => return Err("an identity (not a credential)"),
        "006" => return Err("a document (attachments are not imported)"),
        // SSH Key: the private key is the value.
        "114" => Shape {
            secret: &["private_key"],
            username: &[],
            url: &[],
        },
        _ => return Err("an item category Coffer does not import"),
    })
}

fn entry(item: Item, path: &[String], out: &mut ForeignRead) {
    let title = item.overview.title.clone();
    let from = describe(path, &title);
    let skip = |out: &mut ForeignRead, reason: &'static str| {
        out.skipped.push(SkippedEntry {
            from: from.clone(),
            reason,
        });
    };
    if item.trashed {
        return skip(out, "in 1Password's trash");
    }
    if item.state.eq_ignore_ascii_case("archived") {
        return skip(out, "archived in 1Password");
    }
    let shape = match shape(&item.category_uuid) {
        Ok(s) => s,
        Err(reason) => return skip(out, reason),
    };
    let Details {
        login_fields,
        notes_plain,
        sections,
        password,
    } = item.details;
    let fields: Vec<Field> = sections
        .into_iter()
        .flatten()
        .flat_map(|s| s.fields)
        .collect();
    let mut used = vec![false; fields.len()];
    let take = |ids: &[&str], used: &mut Vec<bool>| -> Option<SecretString> {
        let i = fields.iter().enumerate().position(|(i, f)| {
            !used[i]
                && f.value.text().is_some()
                && ids.iter().any(|id| {
                    f.id.eq_ignore_ascii_case(id) || f.title.trim().eq_ignore_ascii_case(id)
                })
        })?;
        used[i] = true;
        fields[i].value.text().cloned()
    };
    let mut login_value = None;
    let mut login_user = None;
    let mut left_out = 0;
    for f in login_fields.into_iter().flatten() {
        match (f.designation.as_str(), f.value.0) {
            ("password", Some(v)) if !v.is_empty() && login_value.is_none() => {
                login_value = Some(v)
            }
            ("username", Some(v)) if !v.is_empty() && login_user.is_none() => login_user = Some(v),
            (_, Some(v)) if !v.is_empty() => left_out += 1,
            _ => {}
        }
    }
    let notes = non_empty(notes_plain.as_deref());
    let (value, notes) = if item.category_uuid == "003" {
        // A secure note: its text is the value.
        match notes {
            Some(n) => (Some(SecretString::new(n)), None),
            None => return skip(out, "a secure note without text"),
        }
    } else {
        let value = login_value
            .or_else(|| password.map(|p| p.0).filter(|p| !p.is_empty()))
            .or_else(|| take(shape.secret, &mut used));
        (value, notes)
    };
    let Some(value) = value else {
        return skip(out, "an item without a password or credential");
    };
    let username = login_user
        .or_else(|| take(shape.username, &mut used))
        .map(|u| u.expose_secret().to_string());
    let url = item
        .overview
        .url
        .as_deref()
        .and_then(|u| non_empty(Some(u)))
        .or_else(|| {
            item.overview
                .urls
                .unwrap_or_default()
                .into_iter()
                .find_map(|u| non_empty(u.url.as_deref()))
        })
        .or_else(|| take(shape.url, &mut used).map(|u| u.expose_secret().to_string()));
    let totp = fields
        .iter()
        .enumerate()
        .find(|(i, f)| !used[*i] && f.value.totp.as_ref().is_some_and(|t| !t.0.is_empty()))
        .map(|(i, f)| (i, f.value.totp.as_ref().map(|t| t.0.clone())));
    let totp = match totp {
        Some((i, t)) => {
            used[i] = true;
            t
        }
        None => None,
    };
    left_out += fields
        .iter()
        .zip(&used)
        .filter(|(f, used)| !**used && f.value.has_value())
        .count();
    out.entries.push(ForeignEntry {
        path: path.to_vec(),
        title,
        value,
        username,
        url,
        notes,
        totp,
        left_out,
    });
}
