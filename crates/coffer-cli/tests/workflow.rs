//! The developer workflow through the built binary (issue 11): secret
//! references, `inject`, `run --env-file / --require / --file`, `check`.

mod common;
#[path = "../../coffer-dotenv/tests/common/mod.rs"]
mod corpus;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::{mode, Env};

const PERMISSION: i32 = 5;
const NOT_FOUND: i32 = 4;
const INVALID: i32 = 7;
const CONFLICT: i32 = 8;
const MISSING_KEYS: i32 = 12;

/// `web/prod` (DB with username/url/notes and two versions), `web/dev` (A, B).
fn fixture() -> Env {
    let env = Env::with_vault();
    env.coffer(["env", "add", "web/dev"]).ok();
    env.coffer([
        "set",
        "web/prod",
        "DB",
        "--username",
        "admin",
        "--url",
        "https://db.example.com",
        "--notes",
        "data team",
    ])
    .stdin("db-v1")
    .ok();
    env.set("web/prod", "DB", "db-v2");
    env.set("web/dev", "A", "dev-a");
    env.set("web/dev", "B", "dev-b");
    env
}

/// How many read events of `action` the audit log holds for `env` (its
/// sentences: "exported 3 credentials of …", "ran a command with …").
fn reads(env: &Env, action: &str) -> usize {
    let said = match action {
        "export" => "exported ",
        "run" => "ran a command with ",
        other => panic!("no sentence for {other}"),
    };
    env.audit()
        .iter()
        .filter(|e| {
            e["kind"] == "read" && e["summary"].as_str().is_some_and(|s| s.starts_with(said))
        })
        .count()
}

#[test]
fn inject_resolves_fields_versions_and_leaves_other_braces_alone() {
    let env = fixture();
    env.write(
        "t.tpl",
        "v={{ coffer://web/prod/DB }}\nold={{coffer://web/prod/DB?version=1}}\n\
         u={{ coffer://web/prod/DB?field=username }} url={{ coffer://web/prod/DB?field=url|raw }}\n\
         n={{ coffer://web/prod/DB?field=notes&version=1 }} {{ .Values.keep }}\n\
         esc={{ coffer://w%65b/dev/%41 }}\n",
    );
    let before = reads(&env, "export");
    let out = env.coffer(["inject", "-i", "t.tpl"]).ok();
    assert_eq!(
        out.stdout,
        "v=db-v2\nold=db-v1\nu=admin url=https://db.example.com\nn=data team {{ .Values.keep }}\nesc=dev-a\n"
    );
    // One read event per environment, logged as an export.
    assert_eq!(reads(&env, "export"), before + 2);
    // `-i -` reads the template from stdin; a template without
    // placeholders is copied and logs nothing.
    let out = env
        .coffer(["inject", "-i", "-"])
        .stdin("x={{ coffer://web/dev/B | shell }}\n")
        .ok();
    assert_eq!(out.stdout, "x='dev-b'\n");
    let n = reads(&env, "export");
    env.write("none.tpl", "nothing {{ here }}\n");
    assert_eq!(
        env.coffer(["inject", "-i", "none.tpl"]).ok().stdout,
        "nothing {{ here }}\n"
    );
    assert_eq!(reads(&env, "export"), n);
}

#[test]
fn inject_to_a_file_is_private_and_git_checked() {
    let env = fixture();
    env.write("t.tpl", "x: {{ coffer://web/dev/A | yaml }}\n");
    env.coffer(["inject", "-i", "t.tpl", "-o", "out.yaml"]).ok();
    let out = env.work().join("out.yaml");
    assert_eq!(
        std::fs::read_to_string(&out).expect("read"),
        "x: \"dev-a\"\n"
    );
    assert_eq!(mode(&out), 0o600);
    if !common::have_git() {
        return;
    }
    env.program("git", ["init", "-q", "."]).ok();
    let before = reads(&env, "export");
    let e = env
        .coffer(["inject", "-i", "t.tpl", "-o", "config.yaml"])
        .fails(CONFLICT);
    assert!(e.contains("not ignored by git"), "{e}");
    assert!(!env.work().join("config.yaml").exists());
    assert_eq!(
        reads(&env, "export"),
        before,
        "a refused write logs nothing"
    );
    env.coffer(["inject", "-i", "t.tpl", "-o", "config.yaml", "--force"])
        .ok();
}

#[test]
fn fail_inject_names_the_line_and_reference_and_writes_nothing() {
    let env = fixture();
    env.set("web/dev", "PEM", "line1\nline2");
    env.set("web/dev", "Q", "it's \"q\"");
    let before = env.snapshot();
    for (tpl, code, want) in [
        (
            "ok\nx={{ coffer://web/dev/NOPE }}\n",
            NOT_FOUND,
            "t.tpl line 2: coffer://web/dev/NOPE",
        ),
        (
            "x={{ coffer://web/nope/A }}\n",
            NOT_FOUND,
            "environment web/nope",
        ),
        (
            "a\nb\nx={{ coffer://web/dev/A?version=7 }}\n",
            NOT_FOUND,
            "t.tpl line 3",
        ),
        (
            "x={{ coffer://web/prod/DB?field=bogus }}\n",
            INVALID,
            "field is one of",
        ),
        (
            "x={{ coffer://web/dev/A | base64 }}\n",
            INVALID,
            "unknown filter",
        ),
        ("x={{ coffer://web/dev/A\n}}\n", INVALID, "not closed"),
        ("key: {{ coffer://web/dev/PEM }}\n", INVALID, "line break"),
        (
            "k={{ coffer://web/dev/A }}\nX={{ coffer://web/dev/Q | dotenv }}\n",
            INVALID,
            "t.tpl line 2: coffer://web/dev/Q: no portable",
        ),
    ] {
        env.write("t.tpl", tpl);
        let e = env
            .coffer(["inject", "-i", "t.tpl", "-o", "out"])
            .fails(code);
        assert!(e.contains(want), "{tpl:?}: {e}");
        assert!(!e.contains("dev-a") && !e.contains("line1"), "{e}");
        assert!(!env.work().join("out").exists());
    }
    // A multi-line value goes raw on a line of its own, and through filters.
    env.write(
        "t.tpl",
        "{{ coffer://web/dev/PEM }}\nj={{ coffer://web/dev/PEM | json }}\n",
    );
    assert_eq!(
        env.coffer(["inject", "-i", "t.tpl"]).ok().stdout,
        "line1\nline2\nj=\"line1\\nline2\"\n"
    );
    // Nothing else changed, and the failures logged nothing.
    assert_eq!(env.snapshot().0, before.0 + 1);
}

#[test]
fn fail_a_reference_the_reader_may_not_read_is_permission_denied() {
    let ada = fixture();
    let vault = ada.vault_path();
    let bob = Env::bare();
    let (public, fp) = common::new_identity(&bob, "bob");
    ada.coffer([
        "member",
        "add",
        &public,
        "--name",
        "bob",
        "--role",
        "member",
        "--fingerprint",
        &fp,
        "--grant",
        "web/dev:read",
    ])
    .ok();
    let bob_run = |args: &[&str]| bob.coffer(args).env("COFFER_VAULT", &vault);
    bob.write(
        "t.tpl",
        "a={{ coffer://web/dev/A }}\nb={{ coffer://web/prod/DB }}\n",
    );
    let e = bob_run(&["inject", "-i", "t.tpl"]).fails(PERMISSION);
    assert!(e.contains("t.tpl line 2: coffer://web/prod/DB"), "{e}");
    bob.write(".env.coffer", "X=coffer://web/prod/DB\n");
    let e =
        bob_run(&["run", "web/dev", "--env-file", ".env.coffer", "--", "true"]).fails(PERMISSION);
    assert!(
        e.contains(".env.coffer line 1 (X): coffer://web/prod/DB"),
        "{e}"
    );
    // What bob can read resolves.
    bob.write("t.tpl", "a={{ coffer://web/dev/A }}\n");
    assert_eq!(bob_run(&["inject", "-i", "t.tpl"]).ok().stdout, "a=dev-a\n");
}

/// Runs `python3 -c SCRIPT FILE` and returns its stdout (a JSON object of
/// key → hex of the UTF-8 bytes).
fn python(script: &str, file: &Path) -> serde_json::Value {
    let out = Command::new("python3")
        .args(["-c", script])
        .arg(file)
        .output()
        .expect("python3 (make test installs it)");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

const PY_JSON: &str = "import json,sys\nd=json.load(open(sys.argv[1],encoding='utf-8'))\nprint(json.dumps({k:v.encode('utf-8').hex() for k,v in d.items()}))";
const PY_YAML: &str = "import yaml,json,sys\nd=yaml.safe_load(open(sys.argv[1],encoding='utf-8'))\nprint(json.dumps({k:v.encode('utf-8').hex() for k,v in d.items()}))";

fn hex(s: &str) -> String {
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn interop_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/interop")
}

/// The dotenv interop corpus, stored as V0…Vn, rendered into JSON, YAML,
/// shell and dotenv templates, and read back by real parsers: every value
/// byte-identical (the dotenv filter refuses exactly the values the
/// portable dialect refuses, naming the reference).
#[test]
fn inject_the_awkward_corpus_reads_back_exactly_in_json_yaml_shell_and_dotenv() {
    let env = Env::with_vault();
    let cases = corpus::corpus();
    for (i, c) in cases.iter().enumerate() {
        // The corpus holds an empty value on purpose.
        env.coffer([
            "set",
            "web/prod",
            &format!("V{i}"),
            "--keep-newline",
            "--allow-empty",
        ])
        .stdin(c.value.as_bytes())
        .ok();
    }
    let reference = |i: usize| format!("coffer://web/prod/V{i}");
    let lines = |f: &dyn Fn(usize) -> String, only: &dyn Fn(usize) -> bool| -> Vec<String> {
        (0..cases.len()).filter(|i| only(*i)).map(f).collect()
    };
    let all = |_: usize| true;

    // JSON and YAML, read by python's json and PyYAML.
    let json = format!(
        "{{\n{}\n}}\n",
        lines(
            &|i| format!("  \"V{i}\": {{{{ {} | json }}}}", reference(i)),
            &all
        )
        .join(",\n")
    );
    let yaml = lines(
        &|i| format!("V{i}: {{{{ {} | yaml }}}}\n", reference(i)),
        &all,
    )
    .concat();
    for (name, text, script) in [("t.json", json, PY_JSON), ("t.yaml", yaml, PY_YAML)] {
        env.write(name, &text);
        let out = env.work().join(format!("{name}.out"));
        env.coffer(["inject", "-i", name, "-o", out.to_str().expect("utf8")])
            .ok();
        let got = python(script, &out);
        for (i, c) in cases.iter().enumerate() {
            assert_eq!(got[format!("V{i}")], hex(&c.value), "{name}: {}", c.name);
        }
    }

    // Shell, sourced by bash; each value printed NUL-terminated.
    env.write(
        "t.sh",
        &lines(
            &|i| format!("export V{i}={{{{ {} | shell }}}}\n", reference(i)),
            &all,
        )
        .concat(),
    );
    env.coffer(["inject", "-i", "t.sh", "-o", "out.sh"]).ok();
    let names: Vec<String> = (0..cases.len()).map(|i| format!("V{i}")).collect();
    let out = env
        .program(
            "bash",
            [
                "-c".to_string(),
                format!(
                    ". ./out.sh; for v in {}; do printf '%s\\0' \"${{!v}}\"; done",
                    names.join(" ")
                ),
            ],
        )
        .ok();
    let got: Vec<&[u8]> = out.stdout_bytes.split(|b| *b == 0).collect();
    for (i, c) in cases.iter().enumerate() {
        assert_eq!(got[i], c.value.as_bytes(), "shell: {}", c.name);
    }

    // dotenv: the refused values fail the render naming their reference.
    let refused = |i: usize| corpus::PORTABLE_REFUSED.contains(&cases[i].name.as_str());
    for (i, c) in cases.iter().enumerate().filter(|(i, _)| refused(*i)) {
        env.write(
            "one.env.tpl",
            &format!("V={{{{ {} | dotenv }}}}\n", reference(i)),
        );
        let e = env.coffer(["inject", "-i", "one.env.tpl"]).fails(INVALID);
        assert!(e.contains(&format!("{}:", reference(i))), "{}: {e}", c.name);
    }
    env.write(
        "t.env",
        &lines(
            &|i| format!("V{i}={{{{ {} | dotenv }}}}\n", reference(i)),
            &|i| !refused(i),
        )
        .concat(),
    );
    env.coffer(["inject", "-i", "t.env", "-o", "out.env"]).ok();
    let file = env.work().join("out.env");
    let interop = interop_dir();
    let mut readers: Vec<(&str, Command)> = Vec::new();
    let mut py = Command::new("python3");
    py.arg(interop.join("read_python.py"));
    readers.push(("python-dotenv", py));
    if interop.join("node_modules/dotenv/package.json").is_file() {
        let mut node = Command::new("node");
        node.arg(interop.join("read_node.js"));
        readers.push(("node dotenv", node));
    } else {
        eprintln!("warning: tests/interop/node_modules missing (make test installs it): node dotenv not checked");
    }
    if Command::new("ruby")
        .args(["-e", "require 'dotenv'"])
        .output()
        .is_ok_and(|o| o.status.success())
    {
        let mut ruby = Command::new("ruby");
        ruby.arg(interop.join("read_ruby.rb"));
        readers.push(("ruby dotenv", ruby));
    } else {
        eprintln!("warning: ruby-dotenv missing: ruby dotenv not checked");
    }
    for (who, mut cmd) in readers {
        let out = cmd.arg(&file).stderr(Stdio::inherit()).output().expect(who);
        assert!(out.status.success(), "{who} failed");
        let got: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
        for (i, c) in cases.iter().enumerate().filter(|(i, _)| !refused(*i)) {
            assert_eq!(got[format!("V{i}")], hex(&c.value), "{who}: {}", c.name);
        }
    }
}

#[test]
fn run_env_files_layer_over_the_environment_in_order_across_environments() {
    let env = fixture();
    env.write(
        "one.env",
        "B=from-one\nDB=coffer://web/prod/DB\nOLD=coffer://web/prod/DB?version=1\nPLAIN='plain value'\n",
    );
    env.write("two.env", "PLAIN=from-two\n");
    let before = reads(&env, "run");
    let out = env
        .coffer([
            "run",
            "web/dev",
            "--env-file",
            "one.env",
            "--env-file",
            "two.env",
            "--",
            "sh",
            "-c",
            "printf '%s|' \"$A\" \"$B\" \"$DB\" \"$OLD\" \"$PLAIN\"",
        ])
        .ok();
    assert_eq!(out.stdout, "dev-a|from-one|db-v2|db-v1|from-two|");
    // One run event per environment read.
    assert_eq!(reads(&env, "run"), before + 2);
    // Env files alone, without PROJECT/ENV.
    let out = env
        .coffer([
            "run",
            "--env-file",
            "one.env",
            "--",
            "sh",
            "-c",
            "printf %s \"$DB${A:-unset}\"",
        ])
        .ok();
    assert_eq!(out.stdout, "db-v2unset");
    // The precedence is documented in --help.
    let help = env.coffer(["run", "--help"]).ok().stdout;
    assert!(help.contains("a later one wins"), "{help}");
}

#[test]
fn fail_run_env_files_are_checked_before_anything_runs() {
    let env = fixture();
    let before = env.snapshot();
    for (file, code, want) in [
        ("PATH=/tmp/evil\n", CONFLICT, "PATH"),
        ("LD_PRELOAD=coffer://web/dev/A\n", CONFLICT, "LD_PRELOAD"),
        ("A=1\nB=$HOME\n", INVALID, "bad.env: line 2"),
        ("A=coffer://web/dev\n", INVALID, "bad.env line 1"),
        (
            "A=coffer://web/dev/NOPE\n",
            NOT_FOUND,
            "bad.env line 1 (A): coffer://web/dev/NOPE",
        ),
    ] {
        env.write("bad.env", file);
        let e = env
            .coffer([
                "run",
                "web/dev",
                "--env-file",
                "bad.env",
                "--",
                "touch",
                "ran",
            ])
            .fails(code);
        assert!(e.contains(want), "{file:?}: {e}");
        assert!(!env.work().join("ran").exists());
    }
    assert_eq!(env.snapshot(), before, "nothing logged");
    env.write("bad.env", "PATH=/usr/bin:/bin\n");
    env.coffer([
        "run",
        "web/dev",
        "--env-file",
        "bad.env",
        "--allow-var",
        "PATH",
        "--",
        "true",
    ])
    .ok();
    env.coffer(["run", "--", "true"]).fails(INVALID);
}

#[test]
fn check_lists_missing_and_extra_keys() {
    let env = fixture();
    env.write(
        ".env.example",
        "# the app\nexport A=\nC=${X} # note\nD=\"multi\nline\"\n",
    );
    let out = env
        .coffer(["check", "web/dev", "--example", ".env.example"])
        .run();
    assert_eq!(
        out.error(MISSING_KEYS),
        "web/dev lacks 2 keys that .env.example names: C, D"
    );
    assert_eq!(out.stdout, "missing  C\nmissing  D\nextra    B\n");
    let out = env
        .coffer(["check", "web/dev", "--example", ".env.example", "--json"])
        .run();
    assert_eq!(out.code, MISSING_KEYS);
    let j = out.json();
    assert_eq!(j["missing"], serde_json::json!(["C", "D"]));
    assert_eq!(j["extra"], serde_json::json!(["B"]));
    assert_eq!(j["ok"], false);
    env.write(".env.example", "A=\n");
    let out = env
        .coffer(["check", "web/dev", "--example", ".env.example", "--json"])
        .ok();
    assert_eq!(out.json()["ok"], true);
    env.coffer(["check", "web/nope", "--example", ".env.example"])
        .fails(NOT_FOUND);
    env.coffer(["check", "web/dev", "--example", "absent"])
        .fails(NOT_FOUND);
}

#[test]
fn fail_run_require_names_the_missing_keys_before_starting() {
    let env = fixture();
    env.write(".env.example", "A=\nB=\nC=\nD=\n");
    let e = env
        .coffer([
            "run",
            "--require",
            ".env.example",
            "web/dev",
            "--",
            "touch",
            "ran",
        ])
        .fails(MISSING_KEYS);
    assert!(e.contains("C, D") && e.contains("not started"), "{e}");
    assert!(!env.work().join("ran").exists());
    // Env files and --file count as providing a key.
    env.write("more.env", "C=plain\n");
    env.coffer([
        "run",
        "--require",
        ".env.example",
        "web/dev",
        "--env-file",
        "more.env",
        "--file",
        "D=A",
        "--",
        "touch",
        "ran",
    ])
    .ok();
    assert!(env.work().join("ran").exists());
}

// ----- --file ---------------------------------------------------------------

/// `coffer run … --file CRED=A -- sh -c SCRIPT` started directly (so the
/// test can signal it), with XDG_RUNTIME_DIR in the test's root.
fn spawn_with_file(env: &Env, script: &str) -> std::process::Child {
    env.spawnable([
        "run", "web/dev", "--file", "CRED=A", "--", "sh", "-c", script,
    ])
    .stdin(Stdio::null())
    .spawn()
    .expect("spawn")
}

/// Waits for the child to report "PID PATH" in `report`.
fn wait_report(env: &Env) -> (i32, PathBuf) {
    let report = env.work().join("report");
    let t0 = Instant::now();
    loop {
        if let Ok(s) = std::fs::read_to_string(&report) {
            if let Some((pid, path)) = s.trim_end().split_once(' ') {
                return (pid.parse().expect("pid"), PathBuf::from(path));
            }
        }
        assert!(t0.elapsed() < Duration::from_secs(30), "no report");
        std::thread::sleep(Duration::from_millis(20));
    }
}

const WAIT_SCRIPT: &str =
    "printf '%s %s\\n' $$ \"$CRED\" > report.tmp && mv report.tmp report; exec sleep 30";

fn check_file(env: &Env, path: &Path) {
    assert!(
        path.starts_with(env.root().join("runtime")),
        "{}",
        path.display()
    );
    let meta = std::fs::symlink_metadata(path).expect("file");
    assert!(meta.file_type().is_file(), "a regular file, not a FIFO");
    assert_eq!(mode(path), 0o600);
    assert_eq!(mode(path.parent().expect("dir")), 0o700);
    assert_eq!(std::fs::read_to_string(path).expect("read"), "dev-a");
}

#[test]
fn run_file_is_private_and_removed_after_the_command_exits() {
    let env = fixture();
    let out = env
        .coffer([
            "run",
            "web/dev",
            "--file",
            "CRED=A",
            "--file",
            "P=coffer://web/prod/DB?field=url",
            "--",
            "sh",
            "-c",
            "cat \"$CRED\"; printf ' '; cat \"$P\"; printf ' %s' \"$CRED\"; exit 3",
        ])
        .env("XDG_RUNTIME_DIR", env.root().join("home"))
        .run();
    assert_eq!(out.code, 3, "{out}");
    let (values, path) = out.stdout.rsplit_once(' ').expect("path");
    // The file's value is masked when the command prints it (dev-a is too
    // short to be).
    assert_eq!(values, "dev-a <concealed by coffer>");
    let path = PathBuf::from(path);
    assert!(path.starts_with(env.root().join("home")));
    assert!(!path.exists() && !path.parent().expect("dir").exists());
    // A KEY without PROJECT/ENV, and a dangerous VAR, are refused.
    env.coffer(["run", "--file", "X=A", "--", "true"])
        .fails(INVALID);
    env.coffer(["run", "web/dev", "--file", "LD_PRELOAD=A", "--", "true"])
        .fails(CONFLICT);
}

#[test]
fn run_file_is_removed_when_coffer_gets_sigterm_or_sigint() {
    use nix::sys::signal::{kill, Signal};
    use nix::unistd::Pid;
    for (sig, code) in [(Signal::SIGTERM, 143), (Signal::SIGINT, 130)] {
        let env = fixture();
        let mut child = spawn_with_file(&env, WAIT_SCRIPT);
        let (_, path) = wait_report(&env);
        check_file(&env, &path);
        kill(Pid::from_raw(child.id() as i32), sig).expect("kill");
        assert_eq!(common::exit_of(&mut child), code, "{sig}");
        assert!(
            !path.exists() && !path.parent().expect("dir").exists(),
            "{sig}"
        );
    }
}

#[test]
fn run_file_is_removed_when_the_command_is_killed() {
    use nix::sys::signal::{kill, Signal};
    use nix::unistd::Pid;
    let env = fixture();
    let mut child = spawn_with_file(&env, WAIT_SCRIPT);
    let (pid, path) = wait_report(&env);
    check_file(&env, &path);
    kill(Pid::from_raw(pid), Signal::SIGKILL).expect("kill");
    assert_eq!(common::exit_of(&mut child), 137);
    assert!(!path.exists() && !path.parent().expect("dir").exists());
}

#[test]
fn run_sweeps_the_folder_a_sigkilled_coffer_left_behind() {
    use nix::sys::signal::{kill, Signal};
    use nix::unistd::Pid;
    use std::os::unix::fs::PermissionsExt;
    let env = fixture();
    let mut child = spawn_with_file(&env, WAIT_SCRIPT);
    let (pid, path) = wait_report(&env);
    let left = path.parent().expect("dir").to_path_buf();
    kill(Pid::from_raw(child.id() as i32), Signal::SIGKILL).expect("kill coffer");
    // Reaped, so its process id no longer exists; then the command too.
    child.wait().expect("wait");
    kill(Pid::from_raw(pid), Signal::SIGKILL).expect("kill the command");
    std::thread::sleep(Duration::from_millis(100));
    assert!(
        left.is_dir(),
        "SIGKILL leaves the folder: {}",
        left.display()
    );
    // Folders the sweep must leave: a live owner (this test), the wrong
    // mode, a name coffer does not give, a symbolic link.
    let runtime = env.root().join("runtime");
    let dead = left
        .file_name()
        .and_then(|n| n.to_str())
        .and_then(|n| n.split('-').nth(2))
        .expect("pid in the name")
        .to_string();
    assert_eq!(dead, child.id().to_string(), "the folder names its coffer");
    let keep = [
        format!("coffer-run-{}-aaaaaa", std::process::id()),
        format!("coffer-run-{dead}-bbbbbb"),
        format!("coffer-run-x{dead}-cccccc"),
    ];
    for (i, k) in keep.iter().enumerate() {
        let d = runtime.join(k);
        std::fs::create_dir(&d).expect("mkdir");
        let mode = if i == 1 { 0o755 } else { 0o700 };
        std::fs::set_permissions(&d, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
    let target = env.root().join("elsewhere");
    std::fs::create_dir(&target).expect("mkdir");
    std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o700)).expect("chmod");
    let link = runtime.join(format!("coffer-run-{dead}-dddddd"));
    std::os::unix::fs::symlink(&target, &link).expect("symlink");

    env.coffer(["run", "web/dev", "--", "true"])
        .env("XDG_RUNTIME_DIR", &runtime)
        .ok();
    assert!(!left.exists(), "swept: {}", left.display());
    for k in &keep {
        assert!(runtime.join(k).is_dir(), "kept {k}");
    }
    assert!(link.is_symlink() && target.is_dir());
}

// ----- shell integration ----------------------------------------------------

#[test]
fn shell_starts_the_shell_with_the_environment_and_a_marked_prompt() {
    let env = fixture();
    let out = env
        .coffer(["shell", "web/dev"])
        .env("SHELL", "/bin/sh")
        .stdin("printf '%s|%s|%s' \"$A\" \"$COFFER_SHELL\" \"$PS1\"; exit 3\n")
        .run();
    assert_eq!(out.code, 3, "{out}");
    assert_eq!(out.stdout, "dev-a|web/dev|(coffer web/dev) $ ");
    // bash: ~/.bashrc usually sets PS1, so PROMPT_COMMAND marks it again.
    let out = env
        .coffer(["shell", "web/dev"])
        .env("SHELL", "/bin/bash")
        .stdin("PS1='x> '; eval \"$PROMPT_COMMAND\"; eval \"$PROMPT_COMMAND\"; printf %s \"$PS1|$B\"; exit\n")
        .ok();
    assert_eq!(out.stdout, "(coffer web/dev) x> |dev-b");
    // The refusal of loader variables applies as in run.
    env.set("web/dev", "LD_PRELOAD", "/tmp/x.so");
    env.coffer(["shell", "web/dev"])
        .env("SHELL", "/bin/sh")
        .fails(CONFLICT);
}

#[test]
fn hook_direnv_use_coffer_loads_the_environment_exactly() {
    let env = fixture();
    env.set("web/dev", "AWK", "it's \"q\" $x\nline2 \\ `id`");
    let path = format!(
        "{}:{}",
        common::bin().parent().expect("dir").display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let hook = env.coffer(["hook", "direnv"]).ok().stdout;
    assert!(hook.contains("use_coffer()"), "{hook}");
    let out = env
        .program(
            "bash",
            [
                "-c",
                "eval \"$(coffer hook direnv)\"; use_coffer web/dev && printf '%s|%s' \"$A\" \"$AWK\"",
            ],
        )
        .env("PATH", &path)
        .ok();
    assert_eq!(out.stdout, "dev-a|it's \"q\" $x\nline2 \\ `id`");
    let out = env
        .program(
            "bash",
            [
                "-c",
                "eval \"$(coffer hook direnv)\"; use_coffer web/nope; echo \"rc=$?\"",
            ],
        )
        .env("PATH", &path)
        .ok();
    assert_eq!(out.stdout, "rc=1\n");
    assert!(
        out.stderr
            .contains("coffer: environment web/nope not found"),
        "{}",
        out.stderr
    );
}

#[test]
fn help_of_the_workflow_commands_has_examples() {
    let env = Env::bare();
    for c in [
        &["run"][..],
        &["inject"],
        &["check"],
        &["shell"],
        &["hook"],
        &["hook", "direnv"],
    ] {
        let out = env.coffer(c.iter().chain(&["--help"])).ok();
        let usage = format!("Usage: coffer {}", c.join(" "));
        assert!(out.stdout.contains(&usage), "{out}");
        if c != ["hook"] {
            assert!(out.stdout.contains("coffer "), "{out}");
            assert!(out.stdout.contains("xample"), "no example\n{out}");
        }
    }
    let top = env.coffer(["--help"]).ok().stdout;
    assert!(top.contains("12 keys missing"), "{top}");
}
