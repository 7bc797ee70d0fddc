//! 1Password's CSV export (1Password 8: File → Export, "Comma Separated
//! Values").
//!
//! Columns, found by their header: `Title`, `Url`, `Username`, `Password`,
//! `OTPAuth`, `Favorite`, `Archived`, `Tags`, `Notes` (1Password's support
//! article "Export your data from 1Password" lists what the CSV holds:
//! title, website, username, password, one-time password, favorite,
//! archived, tags, notes; the header spelling is the one 1Password 8
//! writes). Tags are separated by `;` or `,`; the first one, split on `/`,
//! is the entry's place (1Password nests tags with `/`). Archived items
//! are left out. The CSV holds only logins and passwords; custom fields,
//! other categories and attachments need the `.1pux` export ([`super::onepux`],
//! told apart from the CSV by its zip signature).
//!
//! No 1Password app runs here: the fixture
//! `tests/import/1password-8-export.written-from-docs.csv` is written from
//! that description, and named so.

use super::keepassxc::{csv_rows, login_row, Columns};
use super::{split_path, ForeignRead};
use crate::error::{Error, Result};

/// Reads the CSV export.
pub(crate) fn read_csv(text: &str) -> Result<ForeignRead> {
    let rows = csv_rows(text, "1Password")?;
    let Some((header, rows)) = rows.split_first() else {
        return Err(Error::InvalidInput(
            "the 1Password CSV export is empty".into(),
        ));
    };
    let cols = Columns::new(header);
    if !(cols.has("title") && cols.has("password")) {
        return Err(Error::InvalidInput(
            "not a 1Password CSV export: the first line must name the columns \
             \"Title\", \"Password\" (and Url, Username, OTPAuth, Tags, Notes)"
                .into(),
        ));
    }
    let mut out = ForeignRead::default();
    for row in rows {
        let tags = cols.get(row, &["tags"]).unwrap_or("");
        let path = tags
            .split([';', ','])
            .map(str::trim)
            .find(|t| !t.is_empty())
            .map(split_path)
            .unwrap_or_default();
        let archived = cols
            .get(row, &["archived"])
            .is_some_and(|a| a.trim().eq_ignore_ascii_case("true"));
        login_row(
            &cols,
            row,
            path,
            archived.then_some("archived in 1Password"),
            &mut out,
        );
    }
    Ok(out)
}
