//! `coffer lint` through the built binary: reused values across
//! environments and projects, placeholders outside dev, `--fail-on`, and
//! no value in any output.

mod common;

use common::Env;

const GATE: i32 = 14;
const INVALID: i32 = 7;
const SHARED: &str = "shared-canary-5b1f0e77";

fn fixture() -> Env {
    let env = Env::with_vault();
    env.coffer(["env", "add", "web/dev"]).ok();
    env.coffer(["env", "add", "api/prod"]).ok();
    env.set("web/prod", "API_KEY", SHARED);
    env.set("web/dev", "API_KEY", SHARED);
    env.set("api/prod", "UPSTREAM_KEY", SHARED);
    env.set("web/prod", "DB_PASSWORD", "changeme");
    env.set("web/dev", "DB_PASSWORD", "changeme");
    env.set("web/prod", "OK", "a-unique-value-123456");
    // Short values are the same everywhere by nature: not reuse.
    env.set("web/prod", "DEBUG", "false");
    env.set("api/prod", "DEBUG", "false");
    env
}

#[test]
fn lint_finds_reuse_and_placeholders_and_never_prints_a_value() {
    let env = fixture();
    let out = env.coffer(["lint", "--json"]).ok();
    for v in [SHARED, "changeme"] {
        assert!(!out.stdout.contains(v) && !out.stderr.contains(v), "{out}");
    }
    let f = out.json();
    let kinds: Vec<(String, Vec<String>)> = f
        .as_array()
        .expect("array")
        .iter()
        .map(|x| {
            (
                x["kind"].as_str().expect("kind").to_string(),
                x["credentials"]
                    .as_array()
                    .expect("creds")
                    .iter()
                    .map(|c| c.as_str().expect("c").to_string())
                    .collect(),
            )
        })
        .collect();
    assert_eq!(
        kinds,
        vec![
            (
                "reused".into(),
                vec![
                    "api/prod/UPSTREAM_KEY".to_string(),
                    "web/dev/API_KEY".into(),
                    "web/prod/API_KEY".into()
                ]
            ),
            (
                "reused".into(),
                vec![
                    "web/dev/DB_PASSWORD".to_string(),
                    "web/prod/DB_PASSWORD".into()
                ]
            ),
            (
                "placeholder".into(),
                vec!["web/prod/DB_PASSWORD".to_string()]
            ),
        ]
    );
    assert_eq!(f[0]["detail"], "the same value in 2 projects");
    // The text table too; exit 0 without --fail-on.
    let text = env.coffer(["lint"]).ok();
    assert!(text.stdout.contains("placeholder"), "{text}");
    assert!(!text.stdout.contains(SHARED), "{text}");
    // The read is logged.
    assert!(env
        .audit()
        .iter()
        .any(|e| e.to_string().contains("for reuse and placeholders")));
}

#[test]
fn lint_fail_on_is_a_ci_gate() {
    let env = fixture();
    let out = env.coffer(["lint", "--fail-on", "placeholder"]).run();
    assert_eq!(out.code, GATE, "{out}");
    let out = env.coffer(["lint", "--fail-on", "any"]).run();
    assert_eq!(out.code, GATE, "{out}");
    // Scoped to an environment with nothing wrong in itself.
    env.coffer(["lint", "web/dev", "--fail-on", "any"]).ok();
    env.coffer(["lint", "--fail-on", "sloppy"]).fails(INVALID);
}

/// An environment's shortest generated value (`env policy
/// --min-generated`): `--generate` takes it as its default length and
/// refuses a shorter `--length`; a value generated before the policy was
/// raised is named by `lint` (kind `short`, a `--fail-on` gate), a typed
/// value is not (only generated values carry the `generated` tag), and a
/// rotation with `--generate` ends the finding.
#[test]
fn lint_names_generated_values_shorter_than_the_policy() {
    let env = Env::with_vault();
    env.coffer(["set", "web/prod", "TOKEN", "--generate", "--length", "16"])
        .ok();
    env.set("web/prod", "PORT_SECRET", "typed-by-hand-1");
    let out = env.coffer(["lint", "--json"]).ok();
    assert_eq!(out.json(), serde_json::json!([]), "{out}");

    // Raising the policy: shown, one signed change, in the audit log.
    let out = env
        .coffer(["env", "policy", "web/prod", "--min-generated", "40"])
        .ok();
    assert!(
        out.stdout
            .contains("generated values: at least 40 characters"),
        "{out}"
    );
    let audit = env.coffer(["audit"]).ok();
    assert!(
        audit
            .stdout
            .contains("generated values of at least 40 characters"),
        "{audit}"
    );
    let out = env.coffer(["lint", "--json"]).ok();
    let found = out.json();
    assert_eq!(found.as_array().map(Vec::len), Some(1), "{out}");
    assert_eq!(found[0]["kind"], "short");
    assert_eq!(
        found[0]["credentials"],
        serde_json::json!(["web/prod/TOKEN"])
    );
    assert!(
        found[0]["detail"]
            .as_str()
            .is_some_and(|d| d.contains("16 characters") && d.contains("at least 40")),
        "{found}"
    );
    assert_eq!(env.coffer(["lint", "--fail-on", "short"]).run().code, GATE);
    assert_eq!(env.coffer(["lint", "--fail-on", "any"]).run().code, GATE);

    // Generating shorter than the policy is refused, the vault unchanged.
    let before = env.snapshot();
    let msg = env
        .coffer([
            "rotate",
            "web/prod",
            "TOKEN",
            "--generate",
            "--length",
            "20",
        ])
        .fails(INVALID);
    assert!(msg.contains("at least 40 characters"), "{msg}");
    assert_eq!(env.snapshot(), before);
    // Without --length, the policy's length; the finding is gone.
    env.coffer(["rotate", "web/prod", "TOKEN", "--generate"])
        .ok();
    assert_eq!(env.get("web/prod", "TOKEN").chars().count(), 40);
    env.coffer(["lint", "--fail-on", "short"]).ok();

    // Bad policies: one line, exit 7, nothing changed.
    for bad in ["7", "5000", "many"] {
        let before = env.snapshot();
        let msg = env
            .coffer(["env", "policy", "web/prod", "--min-generated", bad])
            .fails(INVALID);
        assert!(msg.contains("8 to 4096"), "{bad}: {msg}");
        assert_eq!(env.snapshot(), before);
    }
    let out = env
        .coffer(["env", "policy", "web/prod", "--min-generated", "none"])
        .ok();
    assert!(out.stdout.contains("no shortest length"), "{out}");
}

/// Your own personal override counts for reuse: a production value copied
/// into your dev override is named (as your override), never printed.
#[test]
fn lint_counts_your_personal_overrides_for_reuse() {
    let env = Env::with_vault();
    env.coffer(["env", "add", "web/dev"]).ok();
    env.set("web/prod", "DATABASE_URL", SHARED);
    env.set("web/dev", "DATABASE_URL", "postgres://dev-db/app");
    env.coffer(["lint", "--fail-on", "reused"]).ok();
    env.coffer(["override", "set", "web/dev", "DATABASE_URL"])
        .stdin(SHARED)
        .ok();
    let out = env.coffer(["lint", "--json", "--fail-on", "reused"]).run();
    assert_eq!(out.code, GATE, "{out}");
    assert!(!out.stdout.contains(SHARED) && !out.stderr.contains(SHARED));
    assert_eq!(
        out.json()[0]["credentials"],
        serde_json::json!([
            "web/dev/DATABASE_URL (your personal override)",
            "web/prod/DATABASE_URL"
        ])
    );
}
