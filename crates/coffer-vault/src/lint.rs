//! Credential hygiene (issue 12, `coffer lint`): the same value in two
//! environments or projects (your own personal overrides included),
//! values that look like placeholders outside development environments,
//! and values Coffer generated that are shorter than their environment's
//! policy. Findings name credentials, never values.
//!
//! Only current values of live credentials this identity can read are
//! checked; the read is logged (`lint`, one event per environment).
//! Values shorter than [`crate::scan::MIN_VALUE_BYTES`] are not compared
//! for reuse (`true`, `5432` and `admin` are the same everywhere by
//! nature), but are still checked for placeholders.

use std::collections::HashMap;
use std::hash::BuildHasher as _;

use serde::Serialize;

use crate::error::Result;
use crate::ops::ReadAction;
use crate::vault::Vault;

/// What a finding is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LintKind {
    /// One value used by credentials of two or more environments.
    Reused,
    /// A value that looks like a placeholder, outside a development
    /// environment.
    Placeholder,
    /// A value Coffer generated (tagged `generated`) shorter than its
    /// environment's shortest generated value (`coffer env policy
    /// --min-generated`), e.g. generated before the policy was raised.
    Short,
}

impl LintKind {
    /// The name (`--fail-on`).
    pub fn as_str(&self) -> &'static str {
        match self {
            LintKind::Reused => "reused",
            LintKind::Placeholder => "placeholder",
            LintKind::Short => "short",
        }
    }

    /// Parses a name.
    pub fn parse(s: &str) -> Result<Self> {
        match s {
            "reused" => Ok(LintKind::Reused),
            "placeholder" => Ok(LintKind::Placeholder),
            "short" => Ok(LintKind::Short),
            _ => Err(crate::Error::InvalidInput(format!(
                "unknown lint '{s}': use reused, placeholder or short"
            ))),
        }
    }
}

/// One hygiene finding (no value in it).
#[derive(Clone, Debug, Serialize)]
pub struct LintFinding {
    /// The kind.
    pub kind: LintKind,
    /// The credentials concerned, as `PROJECT/ENV/KEY`, sorted.
    pub credentials: Vec<String>,
    /// What is wrong, in words (no value).
    pub detail: String,
}

/// What follows `PROJECT/ENV/KEY` in a finding's credential when it is the
/// caller's own personal override of that key, not the shared credential.
pub const OVERRIDE_SUFFIX: &str = " (your personal override)";

/// Environment names treated as development (placeholders are fine there).
pub const DEV_ENVS: &[&str] = &["dev", "development", "local", "test", "ci"];

/// Whether a value looks like a placeholder: empty, one of the usual
/// words, or containing `changeme`, `replace`, `your_`, `example`,
/// `placeholder`, `xxxx` or `<…>`. Case-insensitive.
pub fn looks_like_placeholder(value: &str) -> bool {
    let v = value.trim().to_ascii_lowercase();
    const EXACT: &[&str] = &[
        "",
        "todo",
        "tbd",
        "fixme",
        "xxx",
        "changeme",
        "change_me",
        "change-me",
        "password",
        "secret",
        "dummy",
        "test",
        "example",
        "placeholder",
        "none",
        "null",
        "foo",
        "bar",
    ];
    const PART: &[&str] = &[
        "changeme",
        "change_me",
        "change-me",
        "replace_me",
        "replaceme",
        "replace-me",
        "your_",
        "your-",
        "example",
        "placeholder",
        "xxxx",
        "todo",
    ];
    EXACT.contains(&v.as_str())
        || PART.iter().any(|p| v.contains(p))
        || (v.starts_with('<') && v.ends_with('>'))
}

impl Vault {
    /// The hygiene findings of `scope` (as [`Vault::list_items`]; `None`:
    /// every environment), reused values first. Logs one `lint` read per
    /// environment read.
    pub fn lint(&mut self, scope: Option<&str>) -> Result<Vec<LintFinding>> {
        let envs = self.scope_envs(scope)?;
        let hasher = std::collections::hash_map::RandomState::new();
        // Keyed hash (per run) → the credentials and their values.
        let mut by_hash: HashMap<u64, Vec<(String, String, coffer_crypto::SecretString)>> =
            HashMap::new();
        let mut out = Vec::new();
        for env in &envs {
            let items = self.load_items(env)?;
            if items.is_empty() {
                continue;
            }
            let dev = DEV_ENVS.contains(&env.name.to_ascii_lowercase().as_str());
            let min_generated = self.env_policy(&env.path())?.min_generated;
            // A value that does not open cannot be judged.
            for d in items.iter().filter(|d| d.unopened.is_none()) {
                let name = format!("{}/{}", env.path(), d.fields.name);
                // The value is compared, never shown.
                let v = d.fields.value.expose_secret();
                if !dev && looks_like_placeholder(v) {
                    out.push(LintFinding {
                        kind: LintKind::Placeholder,
                        credentials: vec![name.clone()],
                        detail: format!("looks like a placeholder in {}", env.path()),
                    });
                }
                let length = v.chars().count();
                if let Some(min) = min_generated.filter(|&m| {
                    (length as u64) < u64::from(m)
                        && d.fields
                            .tags
                            .iter()
                            .any(|t| t == crate::items::GENERATED_TAG)
                }) {
                    out.push(LintFinding {
                        kind: LintKind::Short,
                        credentials: vec![name.clone()],
                        detail: format!(
                            "generated with {length} characters; {} asks for at least {min} (rotate it with --generate)",
                            env.path()
                        ),
                    });
                }
                if v.len() >= crate::scan::MIN_VALUE_BYTES {
                    by_hash
                        .entry(hasher.hash_one(v.as_bytes()))
                        .or_default()
                        .push((name, env.path(), d.fields.value.clone()));
                }
            }
            self.log_read(ReadAction::Lint, env, items.iter().map(|d| d.id).collect())?;
        }
        // Your own personal overrides: a value of yours that is also a
        // shared value elsewhere (a production secret copied into your dev
        // override) is a reuse like any other. Others' overrides open for
        // no one but them.
        for env in &envs {
            for entry in self.my_overlay(env)? {
                let (key, value) = entry.name_value();
                if value.expose_secret().len() >= crate::scan::MIN_VALUE_BYTES {
                    by_hash
                        .entry(hasher.hash_one(value.expose_secret().as_bytes()))
                        .or_default()
                        .push((
                            format!("{}/{key}{OVERRIDE_SUFFIX}", env.path()),
                            env.path(),
                            value.clone(),
                        ));
                }
            }
        }
        let mut reused = Vec::new();
        for (_, group) in by_hash {
            // Equal hashes, then equal values: split into groups of one value.
            let mut rest = group;
            while let Some((name, env, value)) = rest.pop() {
                let (same, other): (Vec<_>, Vec<_>) =
                    rest.into_iter().partition(|(_, _, v)| *v == value);
                rest = other;
                let mut names: Vec<String> = same.iter().map(|(n, _, _)| n.clone()).collect();
                let mut envs: Vec<String> = same.iter().map(|(_, e, _)| e.clone()).collect();
                names.push(name);
                envs.push(env);
                envs.sort();
                envs.dedup();
                if envs.len() < 2 {
                    continue;
                }
                let mut projects: Vec<&str> = envs
                    .iter()
                    .map(|e| e.split('/').next().unwrap_or(e))
                    .collect();
                projects.sort();
                projects.dedup();
                names.sort();
                reused.push(LintFinding {
                    kind: LintKind::Reused,
                    credentials: names,
                    detail: if projects.len() > 1 {
                        format!("the same value in {} projects", projects.len())
                    } else {
                        format!("the same value in {} environments", envs.len())
                    },
                });
            }
        }
        reused.sort_by(|a, b| a.credentials.cmp(&b.credentials));
        out.sort_by(|a, b| a.credentials.cmp(&b.credentials));
        reused.extend(out);
        Ok(reused)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders() {
        for v in [
            "changeme",
            "CHANGE_ME",
            "your_api_key_here",
            "<token>",
            "",
            "xxxxxxxx",
            "TODO",
        ] {
            assert!(looks_like_placeholder(v), "{v}");
        }
        for v in [
            "sk_live_9f8e7d6c5b4a",
            "hunter2-but-longer",
            "postgres://db",
        ] {
            assert!(!looks_like_placeholder(v), "{v}");
        }
    }
}
