//! From another manager's structure to `PROJECT/ENV` and variable names.
//!
//! Each entry's target is, first match wins:
//!
//! 1. the first rule of the map file (`--map FILE`) whose pattern matches
//!    the entry's source path (`SOURCE = PROJECT/ENV`, or `= skip`);
//! 2. the `PROJECT/ENV` given on the command line, for everything;
//! 3. its own structure: the first level of its folder / collection / group
//!    / tag is the project, the levels below joined with `-` are the
//!    environment (`default` when there is only one level), each lowercased
//!    with anything but letters, digits, `.`, `_` and `-` turned into `-`.
//!
//! An entry that none of them places (no rule, no target, at the top of
//! the source) refuses the import, naming how many and a way out.
//!
//! Names: the title in upper case, every run of other characters turned
//! into one `_` (`Stripe live key` → `STRIPE_LIVE_KEY`), `_` in front of a
//! leading digit; a second credential of the same name in the same
//! environment gets `_2`, `_3`… A TOTP seed is a credential of its own,
//! `NAME_TOTP`.

use coffer_crypto::SecretString;

use super::{describe, ForeignEntry, ForeignRead, SkippedEntry};
use crate::error::{Error, Result};
use crate::vault::parse_env_path;

/// One rule of a map file.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Rule {
    line: usize,
    /// Path components; `*` matches one level, `**` any number (also none).
    /// The empty list matches entries at the top (written `(none)`).
    pattern: Vec<String>,
    /// `PROJECT/ENV`, or `None` for `skip`.
    target: Option<String>,
}

/// An explicit mapping file (`--map FILE`): one rule per line,
/// `SOURCE PATH = PROJECT/ENV` or `SOURCE PATH = skip`; `#` comments and
/// blank lines ignored. Source paths are `/`-separated and compared
/// ignoring ASCII case; `*` is one level, `**` any depth, `(none)` the
/// entries that are in no folder.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MapFile {
    rules: Vec<Rule>,
}

impl MapFile {
    /// Parses a map file; errors name the line.
    pub fn parse(text: &str) -> Result<Self> {
        let mut rules = Vec::new();
        for (i, raw) in text.lines().enumerate() {
            let line = i + 1;
            let l = raw.split_once(" #").map_or(raw, |(a, _)| a).trim();
            if l.is_empty() || l.starts_with('#') {
                continue;
            }
            let (src, dst) = l.rsplit_once('=').ok_or_else(|| {
                Error::InvalidInput(format!(
                    "map file line {line}: expected `SOURCE PATH = PROJECT/ENV` or `= skip`"
                ))
            })?;
            let (src, dst) = (src.trim(), dst.trim());
            let target = if dst.eq_ignore_ascii_case("skip") {
                None
            } else {
                parse_env_path(dst).map_err(|_| {
                    Error::InvalidInput(format!(
                        "map file line {line}: {dst:?} is not PROJECT/ENV (letters, digits, '.', '_' and '-') or skip"
                    ))
                })?;
                Some(dst.to_string())
            };
            let pattern = if src == "(none)" {
                Vec::new()
            } else {
                let parts: Vec<String> = src
                    .split('/')
                    .map(|p| p.trim().to_string())
                    .filter(|p| !p.is_empty())
                    .collect();
                if parts.is_empty() {
                    return Err(Error::InvalidInput(format!(
                        "map file line {line}: the source path is empty (write `(none)` for entries in no folder)"
                    )));
                }
                parts
            };
            rules.push(Rule {
                line,
                pattern,
                target,
            });
        }
        Ok(MapFile { rules })
    }

    /// The first rule matching `path`: its target (`None` = skip).
    fn lookup(&self, path: &[String]) -> Option<&Rule> {
        self.rules.iter().find(|r| matches(&r.pattern, path))
    }
}

fn matches(pattern: &[String], path: &[String]) -> bool {
    match (pattern.first(), path.first()) {
        (None, None) => true,
        (Some(p), _) if p == "**" => {
            matches(&pattern[1..], path) || (!path.is_empty() && matches(pattern, &path[1..]))
        }
        (Some(p), Some(c)) => {
            (p == "*" || p.eq_ignore_ascii_case(c)) && matches(&pattern[1..], &path[1..])
        }
        _ => false,
    }
}

/// A source-path component as a project or environment name.
fn env_part(s: &str) -> String {
    let mut out = String::new();
    for c in s.trim().chars() {
        let c = c.to_ascii_lowercase();
        if c.is_ascii_alphanumeric() || matches!(c, '.' | '_') {
            out.push(c);
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    let out = out.trim_matches('-');
    out.chars()
        .take(64)
        .collect::<String>()
        .trim_end_matches('-')
        .to_string()
}

/// The default target of a source path: `project/env` (or `None` at the top).
pub fn default_target(path: &[String]) -> Option<String> {
    let parts: Vec<String> = path
        .iter()
        .map(|p| env_part(p))
        .filter(|p| !p.is_empty())
        .collect();
    let (project, rest) = parts.split_first()?;
    let env = if rest.is_empty() {
        "default".to_string()
    } else {
        rest.join("-").chars().take(64).collect()
    };
    Some(format!("{project}/{env}"))
}

/// A title as a variable name (`^[A-Za-z_][A-Za-z0-9_]*$`).
pub fn variable_name(title: &str) -> String {
    let mut out = String::new();
    for c in title.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_uppercase());
        } else if !out.ends_with('_') && !out.is_empty() {
            out.push('_');
        }
    }
    let mut out = out.trim_end_matches('_').to_string();
    if out.is_empty() {
        out = "ITEM".into();
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, '_');
    }
    out.truncate(200);
    out
}

/// One credential the import will write. `Debug` never shows what the
/// fields hold.
pub struct PlannedItem {
    /// `PROJECT/ENV`.
    pub target: String,
    /// The variable name.
    pub name: String,
    /// Where it comes from: source path and title (for the preview).
    pub from: String,
    /// The value.
    pub value: SecretString,
    /// Username.
    pub username: Option<String>,
    /// URL.
    pub url: Option<String>,
    /// Notes.
    pub notes: Option<String>,
    /// Tags (`totp` on a TOTP seed's credential).
    pub tags: Vec<String>,
}

impl std::fmt::Debug for PlannedItem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlannedItem")
            .field("target", &self.target)
            .field("name", &self.name)
            .field("value", &"<redacted>")
            .field("username", &self.username.is_some())
            .field("url", &self.url.is_some())
            .field("notes", &self.notes.is_some())
            .field("tags", &self.tags)
            .finish()
    }
}

impl PlannedItem {
    /// Which fields besides the value it carries, for the preview
    /// (`user,url,notes,totp`; never their contents).
    pub fn field_list(&self) -> String {
        let mut f = Vec::new();
        if self.username.is_some() {
            f.push("user");
        }
        if self.url.is_some() {
            f.push("url");
        }
        if self.notes.is_some() {
            f.push("notes");
        }
        if self.tags.iter().any(|t| t == "totp") {
            f.push("totp");
        }
        f.join(",")
    }
}

/// Where everything goes: the credentials to write, in source order, and
/// what is left out.
#[derive(Debug, Default)]
pub struct ImportPlan {
    /// The credentials, in source order.
    pub items: Vec<PlannedItem>,
    /// Entries not imported (by the source reader, or `skip` in the map).
    pub skipped: Vec<SkippedEntry>,
    /// Custom fields, attachments and the like left out, over all entries.
    pub left_out_fields: usize,
}

/// Maps what a reader found (see the module docs for the order of rules).
pub fn plan(read: ForeignRead, target: Option<&str>, map: Option<&MapFile>) -> Result<ImportPlan> {
    if let Some(t) = target {
        parse_env_path(t)?;
    }
    let mut out = ImportPlan {
        skipped: read.skipped,
        ..Default::default()
    };
    let mut unplaced = Vec::new();
    for entry in read.entries {
        let from = describe(&entry.path, &entry.title);
        let dest = match map.and_then(|m| m.lookup(&entry.path)) {
            Some(rule) => match &rule.target {
                Some(t) => Some(t.clone()),
                None => {
                    out.skipped.push(SkippedEntry {
                        from,
                        reason: "skipped by the map file",
                    });
                    continue;
                }
            },
            None => target
                .map(str::to_string)
                .or_else(|| default_target(&entry.path)),
        };
        let Some(dest) = dest else {
            unplaced.push(from);
            continue;
        };
        out.left_out_fields += entry.left_out;
        push_entry(&mut out.items, dest, from, entry);
    }
    if !unplaced.is_empty() {
        return Err(Error::InvalidInput(format!(
            "{} entr{} in no folder, collection, group or tag (first: {:?}): give PROJECT/ENV \
             for everything, or a map file rule `(none) = PROJECT/ENV`; nothing imported",
            unplaced.len(),
            if unplaced.len() == 1 {
                "y is"
            } else {
                "ies are"
            },
            unplaced[0]
        )));
    }
    Ok(out)
}

/// A name not yet taken in `target`: `name`, `name_2`, `name_3`…
fn free_name(items: &[PlannedItem], target: &str, name: String) -> String {
    let taken = |n: &str| items.iter().any(|i| i.target == target && i.name == n);
    if !taken(&name) {
        return name;
    }
    (2..)
        .map(|k| format!("{name}_{k}"))
        .find(|n| !taken(n))
        .unwrap_or(name)
}

fn push_entry(items: &mut Vec<PlannedItem>, target: String, from: String, e: ForeignEntry) {
    let name = free_name(items, &target, variable_name(&e.title));
    let totp_of = e.totp.map(|seed| (seed, name.clone(), from.clone()));
    items.push(PlannedItem {
        target: target.clone(),
        name,
        from,
        value: e.value,
        username: e.username,
        url: e.url,
        notes: e.notes,
        tags: Vec::new(),
    });
    if let Some((seed, of, from)) = totp_of {
        items.push(PlannedItem {
            name: free_name(items, &target, format!("{of}_TOTP")),
            target,
            notes: Some(format!("TOTP seed of {of}, imported from {from}")),
            from: format!("{from} (TOTP)"),
            value: seed,
            username: None,
            url: None,
            tags: vec!["totp".into()],
        });
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may panic on unexpected errors
mod tests {
    use super::*;

    fn path(s: &str) -> Vec<String> {
        s.split('/')
            .filter(|p| !p.is_empty())
            .map(str::to_string)
            .collect()
    }

    #[test]
    fn names_and_targets() {
        assert_eq!(variable_name("Stripe live key"), "STRIPE_LIVE_KEY");
        assert_eq!(variable_name("  9 lives! "), "_9_LIVES");
        assert_eq!(variable_name("Clé API"), "CL_API");
        assert_eq!(variable_name("***"), "ITEM");
        assert_eq!(
            default_target(&path("Payments/Production")).unwrap(),
            "payments/production"
        );
        assert_eq!(
            default_target(&path("Payments")).unwrap(),
            "payments/default"
        );
        assert_eq!(
            default_target(&path("Web App/EU/Prod")).unwrap(),
            "web-app/eu-prod"
        );
        assert_eq!(default_target(&[]), None);
    }

    #[test]
    fn map_file_rules() {
        let m = MapFile::parse(
            "# comment\nPayments/Production = payments/prod\npayments/* = payments/staging # c\n\
             Personal/** = skip\n(none) = misc/unfiled\n",
        )
        .unwrap();
        let t = |p: &str| m.lookup(&path(p)).map(|r| r.target.clone());
        assert_eq!(t("Payments/Production"), Some(Some("payments/prod".into())));
        assert_eq!(t("PAYMENTS/qa"), Some(Some("payments/staging".into())));
        assert_eq!(t("Personal"), Some(None));
        assert_eq!(t("Personal/a/b"), Some(None));
        assert_eq!(t(""), Some(Some("misc/unfiled".into())));
        assert_eq!(t("Other"), None);
        for bad in ["a b c", "x = not a path", " = a/b"] {
            assert!(MapFile::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn plan_orders_names_and_totp() {
        let e = |p: &str, t: &str, totp: bool| ForeignEntry {
            path: path(p),
            title: t.into(),
            value: SecretString::new("v".into()),
            totp: totp.then(|| SecretString::new("JBSWY3DPEHPK3PXP".into())),
            ..Default::default()
        };
        let read = ForeignRead {
            entries: vec![
                e("A/B", "Key", true),
                e("A/B", "key", false),
                e("", "Top", false),
            ],
            skipped: Vec::new(),
        };
        assert!(plan(read, None, None).is_err());
        let read = ForeignRead {
            entries: vec![
                e("A/B", "Key", true),
                e("A/B", "key", false),
                e("", "Top", false),
            ],
            skipped: Vec::new(),
        };
        let p = plan(read, Some("x/y"), None).unwrap();
        let names: Vec<(&str, &str)> = p
            .items
            .iter()
            .map(|i| (i.target.as_str(), i.name.as_str()))
            .collect();
        assert_eq!(
            names,
            vec![
                ("x/y", "KEY"),
                ("x/y", "KEY_TOTP"),
                ("x/y", "KEY_2"),
                ("x/y", "TOP")
            ]
        );
        assert!(!format!("{p:?}").contains("JBSWY3DPEHPK3PXP"));
    }
}
