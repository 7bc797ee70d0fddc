//! CSV for spreadsheets (the exposure report): RFC 4180 quoting, and no
//! cell that spreadsheet software would run as a formula (OWASP "CSV
//! injection").
//!
//! Every text cell comes from someone who could write to the vault (key
//! names, notes, URLs, member names), and the report is opened by an
//! admin in a spreadsheet: a cell that starts a formula must not run.

use crate::team::ExposureReport;

/// Characters that, leading a cell, make a spreadsheet read a formula:
/// `=`, `+`, `-`, `@`, and TAB and CR (which some strip before looking at
/// the next character), as OWASP lists them.
const FORMULA_LEADS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// One text cell: a leading formula character is neutralised with a `'`
/// (shown as text by spreadsheets), then the cell is quoted (RFC 4180).
pub fn csv_cell(s: &str) -> String {
    let guard = if s.starts_with(FORMULA_LEADS) {
        "'"
    } else {
        ""
    };
    format!("\"{guard}{}\"", s.replace('"', "\"\""))
}

/// The exposure report as CSV, with a header row. Text cells go through
/// [`csv_cell`]; `rotated` (`true`/`false`) and the date are written by
/// Coffer and left bare.
pub fn exposure_report_csv(r: &ExposureReport) -> String {
    let mut s = String::from("environment,key,rotated,last_rotated,url,notes,others_with_access\n");
    for i in &r.items {
        let cells = [
            csv_cell(&i.env),
            csv_cell(&i.key),
            i.rotated.to_string(),
            i.last_rotated
                .map(crate::time::format_date)
                .unwrap_or_default(),
            csv_cell(i.url.as_deref().unwrap_or("")),
            csv_cell(i.notes.as_deref().unwrap_or("")),
            csv_cell(&i.others_with_access.join("; ")),
        ];
        s.push_str(&cells.join(","));
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::team::ExposedItem;

    #[test]
    fn fail_a_cell_starting_with_tab_or_cr_reaches_the_spreadsheet_as_a_formula() {
        for (raw, want) in [
            ("\t=HYPERLINK(\"x\")", "\"'\t=HYPERLINK(\"\"x\"\")\""),
            ("\r=1+1", "\"'\r=1+1\""),
            ("=cmd|' /C calc'!A0", "\"'=cmd|' /C calc'!A0\""),
            ("+1", "\"'+1\""),
            ("-1", "\"'-1\""),
            ("@SUM(A1)", "\"'@SUM(A1)\""),
            ("plain", "\"plain\""),
            ("a\t=b", "\"a\t=b\""),
            ("", "\"\""),
        ] {
            assert_eq!(csv_cell(raw), want, "{raw:?}");
        }
    }

    #[test]
    fn the_report_neutralises_every_text_cell() {
        let r = ExposureReport {
            member: "bob".into(),
            fingerprint: "F".into(),
            revoked_at: None,
            items: vec![ExposedItem {
                env: "web/prod".into(),
                key: "API_KEY".into(),
                url: Some("\t=1".into()),
                notes: Some("\r@x".into()),
                last_rotated: None,
                rotated: true,
                others_with_access: vec!["-carol".into()],
            }],
        };
        assert_eq!(
            exposure_report_csv(&r),
            "environment,key,rotated,last_rotated,url,notes,others_with_access\n\
             \"web/prod\",\"API_KEY\",true,,\"'\t=1\",\"'\r@x\",\"'-carol\"\n"
        );
    }
}
