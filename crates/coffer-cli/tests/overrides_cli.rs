//! Personal overrides through the built binary (issue 11): `coffer
//! override set/rm/ls`, `coffer env policy`, and `run` / `export` /
//! `inject` applying the caller's overlay with one stderr line, or not
//! with `--no-overrides`; two identities against one vault.

mod common;

use std::path::{Path, PathBuf};

use common::{Env, Run};

const NOT_FOUND: i32 = 4;
const PERMISSION: i32 = 5;
const INVALID: i32 = 7;
const CONFLICT: i32 = 8;

const MINE: &str = "postgres://me@localhost/my-own-db";
const ADDED: &str = "local-only-value";

/// `web/prod` (API_KEY), `web/dev` (A, DATABASE_URL).
fn fixture() -> Env {
    let env = Env::with_vault();
    env.coffer(["env", "add", "web/dev"]).ok();
    env.set("web/prod", "API_KEY", "shared-api");
    env.set("web/dev", "A", "dev-a");
    env.set("web/dev", "DATABASE_URL", "postgres://shared/dev");
    env
}

fn printenv(env: &Env, extra: &[&str], var: &str) -> (String, String) {
    printenv_in(env, "web/dev", extra, var)
}

/// `coffer run [EXTRA] IN -- sh -c 'printf %s "$VAR"'`: stdout and stderr.
fn printenv_in(env: &Env, in_env: &str, extra: &[&str], var: &str) -> (String, String) {
    let mut args = vec!["run", "--no-masking"];
    args.extend_from_slice(extra);
    let script = format!("printf %s \"${var}\"");
    args.extend_from_slice(&[in_env, "--", "sh", "-c", &script]);
    let out = env.coffer(args).ok();
    (out.stdout, out.stderr)
}

#[test]
fn override_set_applies_to_run_export_inject_and_no_overrides_skips_it() {
    let env = fixture();
    let out = env
        .coffer(["override", "set", "web/dev", "DATABASE_URL"])
        .stdin(MINE)
        .ok();
    assert!(out.stderr.contains("readable only by you"), "{out}");
    env.coffer(["override", "set", "web/dev", "LOCAL_ONLY", "-"])
        .stdin(ADDED)
        .ok();
    // run: the override's value, and one line naming the keys (never values).
    let (stdout, stderr) = printenv(&env, &[], "DATABASE_URL");
    assert_eq!(stdout, MINE);
    assert_eq!(
        stderr.trim_end(),
        "coffer: your personal overrides overrode DATABASE_URL and added LOCAL_ONLY in web/dev (--no-overrides to skip)"
    );
    assert!(!stderr.contains(MINE) && !stderr.contains(ADDED));
    assert_eq!(printenv(&env, &[], "LOCAL_ONLY").0, ADDED);
    // --no-overrides: the shared value, no line.
    let (stdout, stderr) = printenv(&env, &["--no-overrides"], "DATABASE_URL");
    assert_eq!(stdout, "postgres://shared/dev");
    assert!(stderr.is_empty(), "{stderr}");
    // export (stdout and a file).
    let out = env.coffer(["export", "web/dev"]).ok();
    assert!(
        out.stdout.contains(&format!("DATABASE_URL='{MINE}'"))
            || out.stdout.contains(&format!("DATABASE_URL={MINE}")),
        "{out}"
    );
    assert!(out.stdout.contains(ADDED), "{out}");
    assert!(out.stderr.contains("overrode DATABASE_URL"), "{out}");
    let out = env.coffer(["export", "web/dev", "--no-overrides"]).ok();
    assert!(out.stdout.contains("postgres://shared/dev") && !out.stdout.contains(ADDED));
    // inject: a reference to an overridden key takes the override.
    env.write("t.tpl", "db={{ coffer://web/dev/DATABASE_URL }}\n");
    let out = env.coffer(["inject", "-i", "t.tpl"]).ok();
    assert_eq!(out.stdout, format!("db={MINE}\n"));
    assert!(out.stderr.contains("overrode DATABASE_URL"), "{out}");
    let out = env.coffer(["inject", "-i", "t.tpl", "--no-overrides"]).ok();
    assert_eq!(out.stdout, "db=postgres://shared/dev\n");
    // ls: names only.
    let out = env.coffer(["override", "ls"]).ok();
    assert_eq!(
        out.stdout,
        "web/dev\tDATABASE_URL\nweb/dev\tLOCAL_ONLY\t(added)\n"
    );
    assert!(!out.all().contains(MINE));
    let json = env
        .coffer(["override", "ls", "web/dev", "--json"])
        .ok()
        .json();
    assert_eq!(json.as_array().expect("array").len(), 2);
    // rm: the shared value is back; again: not found.
    env.coffer(["override", "rm", "web/dev", "DATABASE_URL"])
        .ok();
    assert_eq!(
        printenv(&env, &[], "DATABASE_URL").0,
        "postgres://shared/dev"
    );
    env.coffer(["override", "rm", "web/dev", "DATABASE_URL"])
        .fails(NOT_FOUND);
    // The log records the changes, never a name or value of an override.
    let audit = env.coffer(["audit", "--json"]).ok();
    assert!(audit
        .stdout
        .contains("added a personal override in web/dev"));
    assert!(!audit.stdout.contains(MINE) && !audit.stdout.contains("LOCAL_ONLY"));
    let raw = std::fs::read(env.vault_path()).expect("vault");
    assert!(!raw.windows(MINE.len()).any(|w| w == MINE.as_bytes()));
}

#[test]
fn prod_refuses_overrides_by_default_and_the_policy_is_an_admins_choice() {
    let env = fixture();
    let before = env.snapshot();
    let e = env
        .coffer(["override", "set", "web/prod", "API_KEY"])
        .stdin(MINE)
        .fails(CONFLICT);
    assert!(e.contains("forbids personal overrides"), "{e}");
    assert_eq!(env.snapshot(), before, "a refused write changes nothing");
    // Never from argv.
    env.coffer(["override", "set", "web/dev", "A", MINE])
        .fails(INVALID);
    let out = env.coffer(["env", "policy", "web/prod"]).ok();
    assert_eq!(
        out.stdout,
        "overrides: default (personal overrides do not apply)\n\
         generated values: no shortest length\n"
    );
    env.coffer(["env", "policy", "web/prod", "--overrides", "allow"])
        .ok();
    env.coffer(["override", "set", "web/prod", "API_KEY"])
        .stdin(MINE)
        .ok();
    assert_eq!(printenv_in(&env, "web/prod", &[], "API_KEY").0, MINE);
    // Forbidden again: the override stays but no longer applies.
    env.coffer(["env", "policy", "web/prod", "--overrides", "forbid"])
        .ok();
    let (stdout, stderr) = printenv_in(&env, "web/prod", &[], "API_KEY");
    assert_eq!(stdout, "shared-api");
    assert!(stderr.is_empty(), "{stderr}");
    let out = env.coffer(["override", "ls"]).ok();
    assert!(out.stdout.contains("not applied"), "{out}");
    env.coffer(["env", "policy", "web/prod", "--overrides", "sometimes"])
        .fails(INVALID);
}

/// Another identity with its own home against the same vault file.
struct Device {
    env: Env,
    vault: PathBuf,
}

impl Device {
    fn new(name: &str, vault: &Path) -> (Self, String, String) {
        let env = Env::bare();
        let (pi, fp) = common::new_identity(&env, name);
        (
            Device {
                env,
                vault: vault.to_path_buf(),
            },
            pi,
            fp,
        )
    }

    fn coffer<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.env.coffer(args).env("COFFER_VAULT", &self.vault)
    }
}

#[test]
fn a_members_override_is_theirs_alone_and_owners_cannot_read_it() {
    let ada = fixture();
    let (bob, pi, fp) = Device::new("Bob", &ada.vault_path());
    ada.coffer([
        "member",
        "add",
        &pi,
        "--name",
        "Bob",
        "--role",
        "member",
        "--fingerprint",
        &fp,
        "--grant",
        "web/dev:write",
    ])
    .ok();
    bob.coffer(["override", "set", "web/dev", "DATABASE_URL"])
        .stdin(MINE)
        .ok();
    let out = bob
        .coffer([
            "run",
            "--no-masking",
            "web/dev",
            "--",
            "sh",
            "-c",
            "printf %s \"$DATABASE_URL\"",
        ])
        .ok();
    assert_eq!(out.stdout, MINE);
    // Ada, the owner: the shared value, no override listed, no line.
    let out = ada
        .coffer([
            "run",
            "--no-masking",
            "web/dev",
            "--",
            "sh",
            "-c",
            "printf %s \"$DATABASE_URL\"",
        ])
        .ok();
    assert_eq!(out.stdout, "postgres://shared/dev");
    assert!(out.stderr.is_empty(), "{out}");
    assert_eq!(ada.coffer(["override", "ls"]).ok().stdout, "");
    ada.coffer(["override", "rm", "web/dev", "DATABASE_URL"])
        .fails(NOT_FOUND);
    // Bob cannot override where he has no access, nor set a policy.
    bob.coffer(["override", "set", "web/prod", "API_KEY"])
        .stdin(MINE)
        .fails(PERMISSION);
    bob.coffer(["env", "policy", "web/dev", "--overrides", "forbid"])
        .fails(PERMISSION);
    ada.coffer(["audit", "verify"]).ok();
}
