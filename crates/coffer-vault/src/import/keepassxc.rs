//! KeePassXC's CSV export (`keepassxc-cli export --format csv`, or
//! Database → Export → CSV File).
//!
//! Columns, found by their header (KeePassXC 2.7): `Group`, `Title`,
//! `Username`, `Password`, `URL`, `Notes`, `TOTP`, `Icon`, `Last Modified`,
//! `Created`. `Group` is the full group path starting with the root group
//! (`Root/Payments/Production`); the root's name is dropped. `TOTP` is an
//! `otpauth://` URI. Custom attributes and attachments are not in the CSV
//! export at all. The fixture `tests/import/keepassxc-2.7.4-export.csv` was
//! made by the real tool.

use super::csv::{rows, Row};
use super::{describe, non_empty, split_path, ForeignEntry, ForeignRead, SkippedEntry};
use crate::error::{Error, Result};

/// The header cells' positions, by (lowercased) name.
pub(crate) struct Columns(Vec<String>);

impl Columns {
    pub(crate) fn new(header: &Row) -> Self {
        Columns(
            header
                .cells
                .iter()
                .map(|c| c.trim().to_ascii_lowercase())
                .collect(),
        )
    }
    /// The cell of the first column called one of `names`.
    pub(crate) fn get<'a>(&self, row: &'a Row, names: &[&str]) -> Option<&'a str> {
        let i = self.0.iter().position(|h| names.contains(&h.as_str()))?;
        row.cells.get(i).map(|c| c.as_str())
    }
    pub(crate) fn has(&self, name: &str) -> bool {
        self.0.iter().any(|h| h == name)
    }
}

/// One CSV row of a login export: skipped (with `skip`'s reason, or for
/// lack of a password), or an entry. Columns are found by any of the
/// names the KeePassXC and 1Password headers use.
pub(crate) fn login_row(
    cols: &Columns,
    row: &Row,
    path: Vec<String>,
    skip: Option<&'static str>,
    out: &mut ForeignRead,
) {
    let title = match cols.get(row, &["title"]).map(str::trim) {
        Some(t) if !t.is_empty() => t.to_string(),
        _ => format!("line {}", row.line),
    };
    let from = describe(&path, &title);
    let password = cols.get(row, &["password"]).unwrap_or("");
    let reason = skip.or(password.is_empty().then_some("an entry without a password"));
    if let Some(reason) = reason {
        out.skipped.push(SkippedEntry { from, reason });
        return;
    }
    out.entries.push(ForeignEntry {
        path,
        title,
        value: coffer_crypto::SecretString::new(password.to_string()),
        username: non_empty(cols.get(row, &["username"])),
        url: non_empty(cols.get(row, &["url", "website"])),
        notes: non_empty(cols.get(row, &["notes"])),
        totp: non_empty(cols.get(row, &["totp", "otpauth", "one-time password"]))
            .map(coffer_crypto::SecretString::new),
        left_out: 0,
    });
}

pub(crate) fn csv_rows(text: &str, source: &str) -> Result<Vec<Row>> {
    rows(text).map_err(|e| {
        Error::InvalidInput(format!(
            "the {source} CSV export does not read: line {}: {}",
            e.line, e.reason
        ))
    })
}

/// Reads the export.
pub(crate) fn read(text: &str) -> Result<ForeignRead> {
    let rows = csv_rows(text, "KeePassXC")?;
    let Some((header, rows)) = rows.split_first() else {
        return Err(Error::InvalidInput(
            "the KeePassXC CSV export is empty".into(),
        ));
    };
    let cols = Columns::new(header);
    if !(cols.has("group") && cols.has("title") && cols.has("password")) {
        return Err(Error::InvalidInput(
            "not a KeePassXC CSV export: the first line must name the columns \
             \"Group\", \"Title\", \"Password\" (and Username, URL, Notes, TOTP)"
                .into(),
        ));
    }
    let mut out = ForeignRead::default();
    for row in rows {
        // The group path without the root group's name.
        let group = cols.get(row, &["group"]).unwrap_or("");
        let path = split_path(group.split_once('/').map_or("", |(_, rest)| rest));
        login_row(&cols, row, path, None, &mut out);
    }
    Ok(out)
}
