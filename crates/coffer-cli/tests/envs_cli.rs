//! `coffer env rename|remove|restore` and `coffer project rename|remove`
//! through the built binary: exit codes, one-line errors, what changes.

mod common;

use common::Env;

const NOT_FOUND: i32 = 4;
const INVALID: i32 = 7;
const CONFLICT: i32 = 8;

fn env_names(env: &Env, extra: &[&str]) -> Vec<String> {
    let mut args = vec!["env", "ls", "--json"];
    args.extend_from_slice(extra);
    env.coffer(args)
        .ok()
        .json()
        .as_array()
        .expect("array")
        .iter()
        .map(|e| {
            format!(
                "{}/{}",
                e["project"].as_str().expect("project"),
                e["name"].as_str().expect("name")
            )
        })
        .collect()
}

fn summaries(env: &Env) -> Vec<String> {
    env.audit()
        .iter()
        .map(|e| e["summary"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn env_rename_keeps_credentials_and_history_and_frees_the_old_name() {
    let env = Env::with_vault();
    env.set("web/prod", "API_KEY", "value-one");
    env.set("web/prod", "API_KEY", "value-two");
    let out = env
        .coffer(["env", "rename", "web/prod", "web/production"])
        .ok();
    assert!(
        out.stderr.contains("Renamed web/prod to web/production"),
        "{out}"
    );
    assert_eq!(env_names(&env, &[]), vec!["web/production"]);
    assert_eq!(env.get("web/production", "API_KEY"), "value-two");
    let h = env
        .coffer(["history", "web/production", "API_KEY", "--json"])
        .ok()
        .json();
    assert_eq!(h.as_array().expect("versions").len(), 2, "{h}");
    // The rotation policy came along.
    let e = env.coffer(["env", "ls", "--json"]).ok().json();
    assert_eq!(e[0]["rotate_every_days"], 90, "{e}");
    // The old name is gone (exit 4, one line) and free again.
    let msg = env.coffer(["get", "web/prod", "API_KEY"]).fails(NOT_FOUND);
    assert!(msg.contains("web/prod"), "{msg}");
    env.coffer(["env", "add", "web/prod"]).ok();
    // Moving to another project creates it.
    env.coffer(["env", "rename", "web/production", "api/prod"])
        .ok();
    assert_eq!(env_names(&env, &[]), vec!["api/prod", "web/prod"]);
    // Refusals: taken (8), malformed (7), missing (4); nothing changes.
    let before = env.snapshot();
    env.coffer(["env", "rename", "api/prod", "web/prod"])
        .fails(CONFLICT);
    env.coffer(["env", "rename", "api/prod", "web/a b"])
        .fails(INVALID);
    env.coffer(["env", "rename", "api/nope", "api/x"])
        .fails(NOT_FOUND);
    assert_eq!(env.snapshot(), before);
    let log = summaries(&env);
    assert!(
        log.iter()
            .any(|s| s == "renamed environment web/prod to web/production"),
        "{log:#?}"
    );
    assert!(
        log.iter()
            .any(|s| s == "renamed environment web/production to api/prod"),
        "{log:#?}"
    );
    env.coffer(["audit", "verify"]).ok();
}

#[test]
fn env_remove_shows_what_goes_asks_and_restore_brings_it_back() {
    let env = Env::with_vault();
    env.coffer(["env", "add", "web/dev"]).ok();
    env.set("web/dev", "SESSION_SECRET", "dev-secret-value");
    env.set("web/prod", "API_KEY", "prod-value");
    // A dry run lists the credentials (names only) and changes nothing.
    let out = env.coffer(["env", "remove", "web/dev", "--dry-run"]).ok();
    assert!(out.stdout.contains("web/dev (1 credential"), "{out}");
    assert!(out.stdout.contains("SESSION_SECRET"), "{out}");
    assert!(!out.all().contains("dev-secret-value"), "{out}");
    // Without a terminal and without --yes: refused (8), nothing changed.
    let before = env.snapshot();
    let msg = env.coffer(["env", "remove", "web/dev"]).fails(CONFLICT);
    assert!(msg.contains("--yes"), "{msg}");
    assert_eq!(env.snapshot(), before);
    // Removed: gone from ls, get, export, run, rotation.
    env.coffer(["env", "remove", "web/dev", "--yes"]).ok();
    assert_eq!(env_names(&env, &[]), vec!["web/prod"]);
    assert_eq!(env_names(&env, &["--removed"]), vec!["web/dev"]);
    let msg = env
        .coffer(["get", "web/dev", "SESSION_SECRET"])
        .fails(NOT_FOUND);
    assert!(msg.contains("coffer env restore web/dev"), "{msg}");
    env.coffer(["export", "web/dev", "--format", "json"])
        .fails(NOT_FOUND);
    env.coffer(["run", "web/dev", "--", "true"])
        .fails(NOT_FOUND);
    let rot = env.coffer(["rotation", "--all", "--json"]).ok().json();
    assert!(!rot.to_string().contains("SESSION_SECRET"), "{rot}");
    assert!(summaries(&env)
        .iter()
        .any(|s| s == "removed environment web/dev (its history stays)"));
    // An empty environment goes without a question.
    env.coffer(["env", "add", "web/tmp"]).ok();
    env.coffer(["env", "remove", "web/tmp"]).ok();
    // Restored with everything.
    let out = env.coffer(["env", "restore", "web/dev"]).ok();
    assert!(
        out.stderr.contains("Restored web/dev (1 credential)"),
        "{out}"
    );
    assert_eq!(env.get("web/dev", "SESSION_SECRET"), "dev-secret-value");
    env.coffer(["env", "restore", "web/dev"]).fails(NOT_FOUND);
    env.coffer(["audit", "verify"]).ok();
}

#[test]
fn project_rename_and_remove_move_every_environment() {
    let env = Env::with_vault();
    env.coffer(["env", "add", "web/dev"]).ok();
    env.set("web/dev", "TOKEN", "dev-token");
    env.coffer(["project", "rename", "web", "site"]).ok();
    assert_eq!(env_names(&env, &[]), vec!["site/dev", "site/prod"]);
    assert_eq!(env.get("site/dev", "TOKEN"), "dev-token");
    env.coffer(["project", "rename", "nope", "x"])
        .fails(NOT_FOUND);
    env.coffer(["env", "add", "tools/ci"]).ok();
    env.coffer(["project", "rename", "site", "tools"])
        .fails(CONFLICT);
    let out = env.coffer(["project", "remove", "site", "--dry-run"]).ok();
    assert!(out.stdout.contains("site/dev (1 credential"), "{out}");
    assert!(out.stdout.contains("site/prod (0 credentials"), "{out}");
    env.coffer(["project", "remove", "site", "--yes"]).ok();
    assert_eq!(env_names(&env, &[]), vec!["tools/ci"]);
    env.coffer(["env", "restore", "site/dev"]).ok();
    assert_eq!(env.get("site/dev", "TOKEN"), "dev-token");
    env.coffer(["audit", "verify"]).ok();
}
