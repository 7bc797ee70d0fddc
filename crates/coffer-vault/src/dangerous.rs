//! Variables that decide what code runs: the one rule behind `coffer run`,
//! the environment-style exports (shell script, dotenv file) and the
//! warnings at `set` / `import`.
//!
//! Anyone who may write to an environment chooses its variables. Most are
//! data (`DATABASE_URL`), but some are read by the dynamic loader, a shell
//! or an interpreter *before* the program's own code runs (`LD_PRELOAD`,
//! `BASH_ENV`, `NODE_OPTIONS`, …): injecting one gives its writer code
//! execution as every person who runs the environment, with their unlocked
//! identity. So these are refused unless the person running opts in by
//! name. The list and the reasons are documented in `docs/dotenv.md`.
//!
//! Names are compared ignoring ASCII case: Windows reads `Path` as `PATH`,
//! and a family (`LD_*`) is matched by its prefix.

use crate::error::{Error, Result};
use crate::Format;

/// One name (or a family of names) that is refused by default, with why.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DangerousVar {
    /// The name, or the prefix of a family (`LD_` for `LD_*`).
    pub name: &'static str,
    /// Whether `name` is the prefix of a family.
    pub family: bool,
    /// Why it is dangerous, in one line.
    pub reason: &'static str,
}

impl DangerousVar {
    /// The rule as written in the docs: `PATH`, or `LD_*` for a family.
    pub fn pattern(&self) -> String {
        if self.family {
            format!("{}*", self.name)
        } else {
            self.name.to_string()
        }
    }

    fn matches(&self, key: &str) -> bool {
        if self.family {
            key.get(..self.name.len())
                .is_some_and(|p| p.eq_ignore_ascii_case(self.name))
        } else {
            key.eq_ignore_ascii_case(self.name)
        }
    }
}

const fn one(name: &'static str, reason: &'static str) -> DangerousVar {
    DangerousVar {
        name,
        family: false,
        reason,
    }
}

const fn family(prefix: &'static str, reason: &'static str) -> DangerousVar {
    DangerousVar {
        name: prefix,
        family: true,
        reason,
    }
}

/// Every variable the rule refuses by default, with its reason.
pub const DANGEROUS_VARS: &[DangerousVar] = &[
    family(
        "LD_",
        "the dynamic loader loads libraries from it into every program (LD_PRELOAD, LD_LIBRARY_PATH, LD_AUDIT)",
    ),
    family(
        "DYLD_",
        "the macOS dynamic loader loads libraries from it (DYLD_INSERT_LIBRARIES)",
    ),
    one("PATH", "decides which program a command name runs"),
    one(
        "BASH_ENV",
        "bash runs the file it names before every script",
    ),
    one("ENV", "sh and other POSIX shells run the file it names"),
    one(
        "PROMPT_COMMAND",
        "bash runs it as a command before each prompt",
    ),
    one(
        "IFS",
        "changes how shells split words, and so what scripts run",
    ),
    one(
        "NODE_OPTIONS",
        "node takes command-line options from it (--require, --import load code)",
    ),
    family(
        "PYTHON",
        "Python loads code from them (PYTHONSTARTUP, PYTHONPATH, PYTHONHOME)",
    ),
    family(
        "PERL5",
        "Perl takes options and module paths from them (PERL5OPT, PERL5LIB)",
    ),
    one(
        "RUBYOPT",
        "Ruby takes options from it (-r loads a library)",
    ),
    one(
        "JAVA_TOOL_OPTIONS",
        "every JVM takes options from it (-javaagent loads code)",
    ),
    one(
        "_JAVA_OPTIONS",
        "the JVM takes options from it (-javaagent loads code)",
    ),
    family(
        "GIT_",
        "git runs programs and reads configuration from them (GIT_SSH_COMMAND, GIT_CONFIG_*)",
    ),
    family(
        "SSH_",
        "ssh runs SSH_ASKPASS and trusts SSH_AUTH_SOCK's agent",
    ),
    one("PAGER", "programs run it as a command to page output"),
    one("EDITOR", "programs run it as a command to edit text"),
];

/// The rule that refuses `key`, if any.
pub fn dangerous_var(key: &str) -> Option<&'static DangerousVar> {
    DANGEROUS_VARS.iter().find(|d| d.matches(key))
}

/// Whether a format is loaded as an environment (and so falls under the
/// rule): a shell script is sourced, and a dotenv file is read into a
/// process's environment by `docker --env-file`, compose's `env_file`,
/// `set -a; . ./.env` and the dotenv libraries. JSON is data that no
/// loader applies by convention, and `.env.example` carries no values.
pub fn loads_as_environment(format: Format) -> bool {
    matches!(format, Format::Shell | Format::Dotenv)
}

/// The dangerous variables a caller opts in to, and how its user does so.
#[derive(Debug, Clone, Copy)]
pub struct AllowVars<'a> {
    /// Names allowed one by one (exact names, as stored).
    pub names: &'a [String],
    /// How the user allows one, completing "…; to pass them anyway, …"
    /// (`"add --allow-var NAME for each"`).
    pub hint: &'a str,
}

impl AllowVars<'static> {
    /// Allows none, for callers whose users cannot opt in; the way out
    /// says only that each must be allowed by name.
    pub const NONE: Self = Self {
        names: &[],
        hint: "allow each by name",
    };
}

impl AllowVars<'_> {
    /// Refuses (with [`Error::Refused`]) when `keys` has a dangerous
    /// variable that is not allowed by name. The one-line message names
    /// each such variable with its reason (never a value), what was
    /// refused (`doing`, e.g. "coffer run does not inject them") and
    /// the way out.
    pub fn check<'k>(&self, keys: impl IntoIterator<Item = &'k str>, doing: &str) -> Result<()> {
        let refused: Vec<String> = keys
            .into_iter()
            .filter(|k| !self.names.iter().any(|a| a == k))
            .filter_map(|k| dangerous_var(k).map(|d| format!("{k} ({})", d.reason)))
            .collect();
        if refused.is_empty() {
            return Ok(());
        }
        Err(Error::Refused(format!(
            "{} change{} what code runs: {}; {doing}; to pass them anyway, {}",
            refused.len(),
            if refused.len() == 1 { "s" } else { "" },
            refused.join(", "),
            self.hint
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_listed_names_and_families_match_ignoring_case() {
        for k in [
            "LD_PRELOAD",
            "ld_library_path",
            "DYLD_INSERT_LIBRARIES",
            "PATH",
            "Path",
            "BASH_ENV",
            "ENV",
            "PROMPT_COMMAND",
            "IFS",
            "NODE_OPTIONS",
            "PYTHONSTARTUP",
            "PYTHONPATH",
            "PERL5OPT",
            "RUBYOPT",
            "JAVA_TOOL_OPTIONS",
            "_JAVA_OPTIONS",
            "GIT_SSH_COMMAND",
            "GIT_CONFIG_KEY_0",
            "SSH_ASKPASS",
            "PAGER",
            "EDITOR",
        ] {
            assert!(dangerous_var(k).is_some(), "{k}");
        }
        for k in [
            "DATABASE_URL",
            "PATHS",
            "MY_PATH",
            "ENVIRONMENT",
            "NODE_ENV",
            "GITHUB_TOKEN",
            "SSHKEY",
            "LD",
            "PYTHO",
        ] {
            assert!(dangerous_var(k).is_none(), "{k}");
        }
        assert_eq!(
            dangerous_var("LD_PRELOAD").map(DangerousVar::pattern),
            Some("LD_*".into())
        );
        assert!(DANGEROUS_VARS.iter().all(|d| !d.reason.contains('\n')));
    }

    #[test]
    fn fail_a_dangerous_variable_is_refused_by_name_unless_allowed() {
        let none = AllowVars {
            names: &[],
            hint: "add --allow-var NAME for each",
        };
        let keys = ["API_KEY", "LD_PRELOAD", "BASH_ENV"];
        let e = none
            .check(keys, "coffer run does not inject them")
            .expect_err("refused");
        assert!(matches!(e, Error::Refused(_)));
        let msg = e.to_string();
        assert!(
            msg.starts_with("2 change what code runs: LD_PRELOAD ("),
            "{msg}"
        );
        assert!(msg.contains("BASH_ENV ("), "{msg}");
        assert!(!msg.contains("API_KEY"), "{msg}");
        assert!(msg.ends_with("add --allow-var NAME for each"), "{msg}");
        assert!(!msg.contains('\n'));

        let one = ["LD_PRELOAD".to_string()];
        let some = AllowVars {
            names: &one,
            ..none
        };
        let msg = some.check(keys, "x").expect_err("one left").to_string();
        assert!(
            msg.starts_with("1 changes what code runs: BASH_ENV"),
            "{msg}"
        );
        let both = ["LD_PRELOAD".to_string(), "BASH_ENV".to_string()];
        AllowVars {
            names: &both,
            ..none
        }
        .check(keys, "x")
        .expect("allowed");
        none.check(["API_KEY"], "x").expect("harmless");
    }

    #[test]
    fn shell_and_dotenv_load_as_an_environment_json_and_example_do_not() {
        assert!(loads_as_environment(Format::Shell));
        assert!(loads_as_environment(Format::Dotenv));
        assert!(!loads_as_environment(Format::Json));
        assert!(!loads_as_environment(Format::Example));
    }
}
