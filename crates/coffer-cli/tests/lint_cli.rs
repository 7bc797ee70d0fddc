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
