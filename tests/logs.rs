//! No secret in logs or messages: every CLI command is run with
//! `RUST_LOG=trace` and canary values and passphrases; nothing secret may
//! appear on stdout or stderr except the intended output of `get`,
//! `export`, `run` and `history --reveal` (where the canary must appear, so
//! that this test can fail). And `Debug` of secret-holding types is redacted.

mod common;

use std::io::Write;
use std::process::Stdio;

use coffer_crypto::{KdfParams, SecretBytes, SecretString};
use coffer_vault::dangerous::AllowVars;
use coffer_vault::{check_value, IdentityStore, ItemFields, ItemUpdate, MAX_VALUE_BYTES};
use common::*;

const PASS: &str = "pp1-canary-4e0c9b27d15a";
const PASS2: &str = "pp2-canary-a37f02e9b6c1";
const WRONG: &str = "pp3-canary-wrong-6d1f08";
const VALUE: &str = "cv1-canary-8f3a2b91c7d4";
const VALUE2: &str = "cv2-canary-3c9e71d0a4b8";
const VALUE3: &str = "cv3-canary-77d1e0c2f5a9";
const VALUE4: &str = "cv4-canary-0be4a6d21f93";
const VALUE5: &str = "cv5-canary-5a2c8e17d0b4";
const ARGV_VALUE: &str = "cv6-canary-argv-91e3d7";

const SECRETS: &[&str] = &[
    PASS, PASS2, WRONG, VALUE, VALUE2, VALUE3, VALUE4, VALUE5, ARGV_VALUE,
];

/// The distinctive part of a canary (so a partial leak is caught too).
fn core(s: &str) -> &str {
    &s[s.len() - 12..]
}

struct Out {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(fx: &Fx, pass: &str, args: &[&str], stdin: Option<&str>, extra: &[(&str, &str)]) -> Out {
    let mut cmd = coffer(fx, pass);
    cmd.env("RUST_LOG", "trace")
        .args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("spawn coffer");
    if let Some(s) = stdin {
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(s.as_bytes())
            .expect("stdin");
    }
    let o = child.wait_with_output().expect("wait");
    Out {
        code: o.status.code(),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// No secret on stderr; on stdout only those in `intended`, which must be
/// there.
#[track_caller]
fn check(what: &str, o: &Out, intended: &[&str]) {
    for s in SECRETS {
        assert!(
            !o.stderr.contains(core(s)),
            "{what}: a secret ({}…) on stderr:\n{}",
            &s[..4],
            o.stderr
        );
        if intended.contains(s) {
            assert!(
                o.stdout.contains(s),
                "{what}: the intended value ({}…) is missing from stdout:\n{}",
                &s[..4],
                o.stdout
            );
        } else {
            assert!(
                !o.stdout.contains(core(s)),
                "{what}: a secret ({}…) on stdout:\n{}",
                &s[..4],
                o.stdout
            );
        }
    }
    assert!(!o.stderr.contains("panicked"), "{what}: {}", o.stderr);
}

#[track_caller]
fn ok(what: &str, o: Out, intended: &[&str]) -> Out {
    assert_eq!(o.code, Some(0), "{what} failed:\n{}", o.stderr);
    check(what, &o, intended);
    o
}

#[track_caller]
fn fails(what: &str, o: Out, code: i32) -> Out {
    assert_eq!(o.code, Some(code), "{what}: unexpected exit:\n{}", o.stderr);
    check(what, &o, &[]);
    o
}

#[test]
fn no_secret_in_cli_output_or_trace_logs() {
    let fx = Fx::new();
    let env = PROD;
    let none: &[(&str, &str)] = &[];
    let p = PASS;

    ok(
        "identity new",
        run(
            &fx,
            p,
            &[
                "identity",
                "new",
                "--name",
                "Ada",
                "--kdf-memory",
                "19",
                "--kdf-iterations",
                "2",
            ],
            None,
            none,
        ),
        &[],
    );
    ok(
        "identity show",
        run(&fx, p, &["identity", "show"], None, none),
        &[],
    );
    ok(
        "init",
        run(&fx, p, &["init", "--name", "Acme"], None, none),
        &[],
    );
    ok(
        "env add",
        run(
            &fx,
            p,
            &["env", "add", env, "--rotate-every", "90d"],
            None,
            none,
        ),
        &[],
    );
    ok("env ls", run(&fx, p, &["env", "ls"], None, none), &[]);
    let set = ok(
        "set",
        run(
            &fx,
            p,
            &["set", env, "API_TOKEN", "--notes", "rotate at the provider"],
            Some(&format!("{VALUE}\n")),
            none,
        ),
        &[],
    );
    // The logs are really on, so the checks above mean something.
    assert!(
        set.stderr.contains("op appended"),
        "RUST_LOG=trace produced no log lines:\n{}",
        set.stderr
    );
    let got = ok(
        "get",
        run(&fx, p, &["get", env, "API_TOKEN"], None, none),
        &[VALUE],
    );
    assert_eq!(got.stdout, format!("{VALUE}\n"));
    ok(
        "get --json",
        run(&fx, p, &["get", env, "API_TOKEN", "--json"], None, none),
        &[VALUE],
    );
    ok("ls", run(&fx, p, &["ls"], None, none), &[]);
    ok(
        "ls --json",
        run(&fx, p, &["ls", env, "--json"], None, none),
        &[],
    );
    ok(
        "history",
        run(&fx, p, &["history", env, "API_TOKEN"], None, none),
        &[],
    );
    ok(
        "history --json",
        run(&fx, p, &["history", env, "API_TOKEN", "--json"], None, none),
        &[],
    );
    ok(
        "rotate",
        run(&fx, p, &["rotate", env, "API_TOKEN"], Some(VALUE2), none),
        &[],
    );
    ok(
        "set --generate",
        run(
            &fx,
            p,
            &["set", env, "GENERATED", "--generate", "--length", "40"],
            None,
            none,
        ),
        &[],
    );
    ok(
        "rotate --generate",
        run(
            &fx,
            p,
            &["rotate", env, "GENERATED", "--generate"],
            None,
            none,
        ),
        &[],
    );
    ok(
        "history --reveal",
        run(
            &fx,
            p,
            &["history", env, "API_TOKEN", "--reveal"],
            None,
            none,
        ),
        &[VALUE, VALUE2],
    );
    ok(
        "history --reveal --json",
        run(
            &fx,
            p,
            &["history", env, "API_TOKEN", "--reveal", "--json"],
            None,
            none,
        ),
        &[VALUE, VALUE2],
    );
    ok(
        "rotation",
        run(&fx, p, &["rotation", "--all"], None, none),
        &[],
    );
    ok(
        "rotation --json",
        run(&fx, p, &["rotation", "--all", "--json"], None, none),
        &[],
    );
    let import = fx.dir.path().join("import.env");
    std::fs::write(&import, format!("# imported\nIMPORTED_A={VALUE3}\n")).expect("write");
    ok(
        "import",
        run(
            &fx,
            p,
            &["import", import.to_str().expect("utf-8"), env],
            None,
            none,
        ),
        &[],
    );
    for format in ["dotenv", "shell", "json", "example"] {
        let intended: &[&str] = if format == "example" {
            &[]
        } else {
            &[VALUE2, VALUE3]
        };
        ok(
            &format!("export --format {format}"),
            run(&fx, p, &["export", env, "--format", format], None, none),
            intended,
        );
    }
    let exported = fx.dir.path().join("out.env");
    ok(
        "export -o",
        run(
            &fx,
            p,
            &["export", env, "-o", exported.to_str().expect("utf-8")],
            None,
            none,
        ),
        &[],
    );
    assert!(std::fs::read_to_string(&exported)
        .expect("exported")
        .contains(VALUE2));
    // Unmasked, the values reach stdout as intended; masked (the
    // default), no value is on stdout either.
    for (what, flag, intended) in [
        ("run", Some("--no-masking"), &[VALUE2, VALUE3][..]),
        ("run (masked)", None, &[][..]),
    ] {
        let mut args = vec!["run"];
        args.extend(flag);
        args.extend([
            env,
            "--",
            "sh",
            "-c",
            "printf '%s %s' \"$API_TOKEN\" \"$IMPORTED_A\"",
        ]);
        ok(what, run(&fx, p, &args, None, none), intended);
    }
    let missing = run(
        &fx,
        p,
        &["run", env, "--", "/nonexistent/command-xyz"],
        None,
        none,
    );
    assert_eq!(missing.code, Some(127), "{}", missing.stderr);
    check("run (missing command)", &missing, &[]);
    // The developer workflow (issue 11): references, templates, env files,
    // secrets as files, required keys.
    let tpl = fx.dir.path().join("t.tpl");
    std::fs::write(
        &tpl,
        format!(
            "a={{{{ coffer://{env}/API_TOKEN | json }}}}\nmissing={{{{ coffer://{env}/NOPE }}}}\n"
        ),
    )
    .expect("template");
    let tpl = tpl.to_str().expect("utf-8");
    let refused = run(&fx, p, &["inject", "-i", tpl], None, none);
    assert_eq!(refused.code, Some(4), "{}", refused.stderr);
    check("inject (unresolvable reference)", &refused, &[]);
    std::fs::write(
        tpl,
        format!("a={{{{ coffer://{env}/API_TOKEN | json }}}}\n"),
    )
    .expect("template");
    ok(
        "inject",
        run(&fx, p, &["inject", "-i", tpl], None, none),
        &[VALUE2],
    );
    let refs = fx.dir.path().join("refs.env");
    std::fs::write(&refs, format!("T=coffer://{env}/API_TOKEN\n")).expect("env file");
    let refs = refs.to_str().expect("utf-8");
    ok(
        "run --env-file --file",
        run(
            &fx,
            p,
            &[
                "run",
                "--no-masking",
                "--env-file",
                refs,
                "--file",
                &format!("F=coffer://{env}/IMPORTED_A"),
                "--",
                "sh",
                "-c",
                "printf '%s ' \"$T\"; cat \"$F\"",
            ],
            None,
            none,
        ),
        &[VALUE2, VALUE3],
    );
    let example = fx.dir.path().join(".env.example");
    std::fs::write(&example, "API_TOKEN=\nNOT_THERE=\n").expect("example");
    let gate = run(
        &fx,
        p,
        &["check", env, "--example", example.to_str().expect("utf-8")],
        None,
        none,
    );
    assert_eq!(gate.code, Some(12), "{}", gate.stderr);
    check("check", &gate, &[]);
    ok("audit", run(&fx, p, &["audit"], None, none), &[]);
    ok(
        "audit --json",
        run(&fx, p, &["audit", "--json"], None, none),
        &[],
    );
    ok(
        "audit verify",
        run(&fx, p, &["audit", "verify"], None, none),
        &[],
    );
    // scan finds the values (exit 13) and names them, never prints them;
    // lint compares them, never prints them.
    let leak_dir = fx.dir.path().join("leak");
    std::fs::create_dir_all(&leak_dir).expect("mkdir");
    std::fs::write(leak_dir.join("conf"), format!("a={VALUE}\nb={VALUE2}\n")).expect("write");
    let leak = leak_dir.to_str().expect("utf-8");
    fails("scan", run(&fx, p, &["scan", leak], None, none), 13);
    fails(
        "scan --json",
        run(&fx, p, &["scan", leak, "--json"], None, none),
        13,
    );
    ok("lint", run(&fx, p, &["lint"], None, none), &[]);
    ok(
        "lint --json",
        run(&fx, p, &["lint", "--json"], None, none),
        &[],
    );
    ok(
        "env rekey",
        run(&fx, p, &["env", "rekey", env], None, none),
        &[],
    );

    // Failures: their messages must not echo what they refused.
    fails(
        "wrong passphrase",
        run(&fx, WRONG, &["get", env, "API_TOKEN"], None, none),
        3,
    );
    fails(
        "value on the command line",
        run(&fx, p, &["set", env, "ARGV_KEY", ARGV_VALUE], None, none),
        7,
    );
    fails(
        "invalid key",
        run(&fx, p, &["set", env, "1-BAD-KEY"], Some(VALUE4), none),
        7,
    );
    let too_big = format!("{VALUE4}{}", "x".repeat(MAX_VALUE_BYTES));
    fails(
        "too large",
        run(&fx, p, &["set", env, "BIG"], Some(&too_big), none),
        7,
    );
    let bad = fx.dir.path().join("bad.env");
    std::fs::write(
        &bad,
        format!("GOOD={VALUE4}\nBAD=\"unterminated {VALUE5}\n"),
    )
    .expect("write");
    fails(
        "import of a bad file",
        run(
            &fx,
            p,
            &["import", bad.to_str().expect("utf-8"), env],
            None,
            none,
        ),
        7,
    );
    std::fs::write(&bad, format!("IMPORTED_A={VALUE4}\n")).expect("write");
    fails(
        "import over an existing key",
        run(
            &fx,
            p,
            &["import", bad.to_str().expect("utf-8"), env],
            None,
            none,
        ),
        8,
    );
    fails(
        "get of a missing key",
        run(&fx, p, &["get", env, "NOPE"], None, none),
        4,
    );

    ok(
        "passwd",
        run(
            &fx,
            p,
            &["passwd"],
            None,
            &[("COFFER_NEW_PASSPHRASE", PASS2)],
        ),
        &[],
    );
    fails("old passphrase", run(&fx, PASS, &["ls"], None, none), 3);
    ok(
        "get after passwd",
        run(&fx, PASS2, &["get", env, "API_TOKEN"], None, none),
        &[VALUE2],
    );
    ok(
        "rm",
        run(&fx, PASS2, &["rm", env, "API_TOKEN"], None, none),
        &[],
    );
    ok(
        "audit verify at the end",
        run(&fx, PASS2, &["audit", "verify"], None, none),
        &[],
    );
    ok(
        "completions",
        run(&fx, PASS2, &["completions", "bash"], None, none),
        &[],
    );
}

// ----- Debug of secret-holding types ----------------------------------------

/// No run of 40+ hex digits and no list of 16+ numbers (a key printed as
/// hex or as a byte array).
#[track_caller]
fn assert_no_key_material(what: &str, dbg: &str) {
    let mut hex_run = 0;
    for c in dbg.chars() {
        hex_run = if c.is_ascii_hexdigit() {
            hex_run + 1
        } else {
            0
        };
        assert!(hex_run < 40, "{what}: a long hex string in Debug: {dbg}");
    }
    let mut numbers = 0;
    for tok in dbg.split([',', '[', ']']) {
        let t = tok.trim();
        if !t.is_empty() && t.chars().all(|c| c.is_ascii_digit()) {
            numbers += 1;
            assert!(numbers < 16, "{what}: a byte array in Debug: {dbg}");
        } else if !t.is_empty() {
            numbers = 0;
        }
    }
}

#[test]
fn debug_of_secret_holders_is_redacted() {
    let fx = Fx::new();
    let me = IdentityStore::create(&fx.home, "Ada", None, &secret(PASS), KdfParams::FLOOR, true)
        .expect("identity");
    let dbg = format!("{me:?} {me:#?}");
    assert!(!dbg.contains(PASS), "the passphrase in Debug: {dbg}");
    assert!(dbg.contains("redacted"), "{dbg}");
    assert_no_key_material("UnlockedIdentity", &dbg);

    let store = IdentityStore::load(&fx.home).expect("load");
    let dbg = format!("{store:?}");
    assert!(!dbg.contains(PASS), "{dbg}");
    let me = store.unlock_with_password(&secret(PASS)).expect("unlock");
    let dbg = format!("{me:?}");
    assert!(!dbg.contains(PASS), "{dbg}");
    assert_no_key_material("UnlockedIdentity (unlocked)", &dbg);

    let s = SecretString::new(VALUE.into());
    for d in [format!("{s:?}"), format!("{s:#?}")] {
        assert!(!d.contains(core(VALUE)), "{d}");
        assert!(d.contains("redacted"), "{d}");
    }
    let b = SecretBytes::new(VALUE.as_bytes().to_vec());
    let d = format!("{b:?}");
    assert!(!d.contains(core(VALUE)), "{d}");
    assert_no_key_material(
        "SecretBytes",
        &format!("{:?}", SecretBytes::new(vec![7; 64])),
    );
    for d in [
        format!("{:?}", coffer_crypto::EnvKey::make()),
        format!("{:?}", coffer_crypto::ItemKey::make()),
        format!("{:?}", coffer_crypto::AccountKey::make()),
        format!("{:?}", coffer_crypto::DeviceKey::make()),
        format!("{:?}", coffer_crypto::PrivateIdentity::make()),
    ] {
        assert!(d.contains("redacted"), "{d}");
        assert_no_key_material("key", &d);
    }

    let upd = ItemUpdate {
        value: Some(secret(VALUE)),
        ..Default::default()
    };
    let d = format!("{upd:?}");
    assert!(!d.contains(core(VALUE)), "{d}");
    let fields = ItemFields {
        name: "K".into(),
        value: secret(VALUE),
        ..Default::default()
    };
    let d = format!("{fields:?}");
    assert!(!d.contains(core(VALUE)), "{d}");

    // Values read back through the vault.
    let mut v = coffer_vault::Vault::create(&fx.path, "Acme", me).expect("vault");
    v.add_env(PROD, None).expect("env");
    v.set_item(PROD, "K", value(VALUE)).expect("set");
    v.set_item(PROD, "K", value(VALUE2)).expect("set");
    let got = v.get_item(PROD, "K").expect("get");
    let d = format!("{got:?} {v:?}");
    assert!(!d.contains(core(VALUE2)), "{d}");
    let h = v.history(PROD, "K", true).expect("history");
    let d = format!("{h:?}");
    assert!(!d.contains(core(VALUE)) && !d.contains(core(VALUE2)), "{d}");
    let vars = v.env_vars(PROD, AllowVars::NONE).expect("vars");
    let d = format!("{vars:?}");
    assert!(!d.contains(core(VALUE2)), "{d}");

    // Errors about a value never quote it.
    let big = SecretString::new(format!("{VALUE}{}", "y".repeat(MAX_VALUE_BYTES)));
    let e = check_value("K", &big).expect_err("too large");
    let d = format!("{e} {e:?}");
    assert!(!d.contains(core(VALUE)), "{d}");
    let nul = SecretString::new(format!("{VALUE}\0"));
    let e = check_value("K", &nul).expect_err("NUL");
    let d = format!("{e} {e:?}");
    assert!(!d.contains(core(VALUE)), "{d}");
    let e = v
        .set_item(PROD, "K", value(&big_value()))
        .expect_err("too large");
    assert!(!format!("{e} {e:?}").contains(core(VALUE3)));
}

/// Names, notes, url and username are inside the item blob (DESIGN §4):
/// a `{:?}` of the types that carry them must not print them.
#[test]
fn fail_debug_of_item_fields_and_updates_prints_what_was_typed() {
    // Everything typed about a credential is inside the blob: its Debug
    // says which fields are set, never what they hold.
    let typed = [
        "name-canary-2f8b1c",
        "notes-canary-7e31d0",
        "url-canary-c4a9e2",
        "user-canary-19b7f3",
        "tag-canary-5d02aa",
    ];
    let fields = ItemFields {
        name: typed[0].into(),
        value: secret(VALUE),
        notes: Some(typed[1].into()),
        url: Some(typed[2].into()),
        username: Some(typed[3].into()),
        tags: vec![typed[4].into()],
    };
    let upd = ItemUpdate {
        value: Some(secret(VALUE)),
        notes: Some(typed[1].into()),
        url: Some(typed[2].into()),
        username: Some(typed[3].into()),
        rotate_every_days: Some(30),
        expires_at: None,
        generated: false,
    };
    for d in [
        format!("{fields:?}"),
        format!("{fields:#?}"),
        format!("{upd:?}"),
        format!("{upd:#?}"),
    ] {
        assert!(!d.contains("canary"), "{d}");
        assert!(d.contains("redacted"), "{d}");
    }
    assert_eq!(
        format!("{upd:?}"),
        "ItemUpdate { value: Some([redacted]), notes: Some([redacted]), url: Some([redacted]), \
         username: Some([redacted]), rotate_every_days: Some(30), expires_at: None, generated: false }"
    );
}

fn big_value() -> String {
    format!("{VALUE3}{}", "z".repeat(MAX_VALUE_BYTES))
}
