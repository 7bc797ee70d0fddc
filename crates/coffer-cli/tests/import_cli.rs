//! `coffer import` from other tools, through the built binary: `.env`
//! files read as one parser reads them (`--dialect`), and no value in any
//! output.

mod common;

use common::Env;

const INVALID: i32 = 7;

/// A file a node app reads fine, with what the portable reader refuses: a
/// `$` and both quotes.
const NODE_FILE: &str = "DB=\"postgres://app:pa$$word-c4n4ry@db/app\"\n\
                         GREETING='say \"hi\" c4n4ry'\n\
                         not a line\n\
                         DUP=1\nDUP=2\n";

#[test]
fn portable_refusal_names_dialect() {
    let env = Env::with_vault();
    env.write("app.env", NODE_FILE);
    let before = env.snapshot();
    let msg = env.coffer(["import", "app.env", "web/prod"]).fails(INVALID);
    assert!(msg.contains("nothing imported"), "{msg}");
    assert!(msg.contains("pass --dialect"), "{msg}");
    assert!(msg.contains("--dialect node"), "{msg}");
    assert!(!msg.to_lowercase().contains("c4n4ry"), "{msg}");
    assert_eq!(env.snapshot(), before);
}

#[test]
fn dialect_node_reads_as_npm_dotenv() {
    let env = Env::with_vault();
    env.write("app.env", NODE_FILE);
    let out = env
        .coffer(["import", "app.env", "web/prod", "--dialect", "node"])
        .ok();
    assert!(
        out.stderr
            .starts_with("Imported into web/prod: 3 created, 0 updated.\n"),
        "{out}"
    );
    assert!(out.stderr.contains("skips line 3"), "{out}");
    assert!(
        out.stderr.contains("more than once") && out.stderr.contains("DUP"),
        "{out}"
    );
    assert!(!out.all().to_lowercase().contains("c4n4ry"), "{out}");
    assert_eq!(
        env.get("web/prod", "DB"),
        "postgres://app:pa$$word-c4n4ry@db/app"
    );
    assert_eq!(env.get("web/prod", "GREETING"), "say \"hi\" c4n4ry");
    assert_eq!(env.get("web/prod", "DUP"), "2");
}

#[test]
fn dialect_python_and_ruby_expand_from_the_file_only() {
    let env = Env::with_vault();
    env.coffer(["env", "add", "web/dev"]).ok();
    env.write("py.env", "HOST=db\nURL=\"pg://${HOST}/x\"\nLIT='it\\'s'\n");
    env.coffer(["import", "py.env", "web/prod", "--dialect", "python"])
        .ok();
    assert_eq!(env.get("web/prod", "URL"), "pg://db/x");
    assert_eq!(env.get("web/prod", "LIT"), "it's");
    env.write("rb.env", "HOST=db\nURL=\"pg://$HOST/x\"\nCMD=\\$(kept)\n");
    env.coffer(["import", "rb.env", "web/dev", "--dialect", "ruby"])
        .ok();
    assert_eq!(env.get("web/dev", "URL"), "pg://db/x");
    assert_eq!(env.get("web/dev", "CMD"), "$(kept)");

    // From the environment, or from a command: refused, nothing imported.
    let before = env.snapshot();
    for (file, dialect, why) in [
        (
            "A=1\nB=${HOME}c4n4ry\n",
            "python",
            "python-dotenv would take it from the environment",
        ),
        (
            "A=1\nB=$HOME\n",
            "ruby",
            "Ruby's dotenv would take it from the environment",
        ),
        ("A=1\nB=\"$(id)c4n4ry\"\n", "ruby", "shell command"),
        (
            "A=1\nB\n",
            "docker",
            "docker takes such a variable from the environment",
        ),
    ] {
        env.write("bad.env", file);
        let msg = env
            .coffer([
                "import",
                "bad.env",
                "web/prod",
                "--overwrite",
                "--dialect",
                dialect,
            ])
            .fails(INVALID);
        assert!(msg.contains("line 2: the value of B"), "{dialect}: {msg}");
        assert!(msg.contains(why), "{dialect}: {msg}");
        assert!(!msg.to_lowercase().contains("c4n4ry"), "{msg}");
        assert_eq!(env.snapshot(), before, "{dialect}");
    }
}

#[test]
fn dialect_docker_keeps_quotes() {
    let env = Env::with_vault();
    env.write("d.env", "TOKEN=\"quoted\" # kept\n");
    env.coffer(["import", "d.env", "web/prod", "--dialect", "docker"])
        .ok();
    assert_eq!(env.get("web/prod", "TOKEN"), "\"quoted\" # kept");
}

#[test]
fn fail_unknown_dialect() {
    let env = Env::with_vault();
    env.write("d.env", "A=1\n");
    let out = env
        .coffer(["import", "d.env", "web/prod", "--dialect", "perl"])
        .usage_error();
    assert!(out.stderr.contains("unknown import dialect"), "{out}");
}
