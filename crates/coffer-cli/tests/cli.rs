//! End-to-end tests of the `coffer` binary: every command's main success
//! path and its failure paths, asserting the exit code, stdout and a
//! one-line stderr (no panic, no backtrace).
//!
//! Exit codes: 0 ok, 1 internal, 2 usage, 3 auth, 4 not found, 5 permission,
//! 6 integrity, 7 invalid input, 8 conflict/refused, 9 busy, 10 rotation gate.
//! Tests of known bugs are `#[ignore = "BUG: …"]`.

mod common;

use common::{have_git, unix_now, Env, DAY, PASSPHRASE};
use std::ffi::OsStr;

use predicates::prelude::*;
use serde_json::Value;

const AUTH: i32 = 3;
const NOT_FOUND: i32 = 4;
const INTEGRITY: i32 = 6;
const INVALID: i32 = 7;
const CONFLICT: i32 = 8;
const BUSY: i32 = 9;
const GATE: i32 = 10;

const PEM: &str = "-----BEGIN PRIVATE KEY-----\n\
MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj\n\
MzEfYyjiWA4R4/M2bS1GB4t7NXp98C3SC6dVMvDuictGeurT8jNbvJZHtCSuYEvu\n\
-----END PRIVATE KEY-----\n";

// ---------------------------------------------------------------- identity

#[test]
fn identity_new_prints_fingerprint_and_public_identity() {
    let env = Env::bare();
    let out = env
        .coffer([
            "identity",
            "new",
            "--name",
            "Ada",
            "--kdf-memory",
            "19",
            "--kdf-iterations",
            "2",
        ])
        .ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{out}");
    let fp = predicate::str::is_match(r"^Fingerprint: [0-9A-F]{4}(-[0-9A-F]{4}){7}$").unwrap();
    assert!(fp.eval(lines[0]), "{out}");
    assert!(lines[1].starts_with("coffer1-"), "{out}");
    assert!(out.stderr.contains("Created identity in"), "{out}");
    assert!(out.stderr.contains("m=19 MiB t=2 p=1"), "{out}");
    // Below the user minimum: said so, on stderr.
    assert!(
        out.stderr
            .contains("warning: these KDF parameters are below the recommended minimum"),
        "{out}"
    );
    assert!(!out.all().contains(PASSPHRASE));
    #[cfg(unix)]
    {
        assert_eq!(common::mode(&env.home()), 0o700);
        assert_eq!(common::mode(&env.home().join("identity.json")), 0o600);
    }
}

#[test]
fn identity_new_twice_is_a_conflict() {
    let env = Env::with_identity();
    let before = env.coffer(["identity", "show", "--json"]).ok().json();
    let msg = env
        .coffer([
            "identity",
            "new",
            "--name",
            "Bob",
            "--kdf-memory",
            "19",
            "--kdf-iterations",
            "2",
        ])
        .fails(CONFLICT);
    assert!(msg.contains("an identity already exists in"), "{msg}");
    // The first identity is untouched.
    assert_eq!(
        env.coffer(["identity", "show", "--json"]).ok().json(),
        before
    );
}

#[test]
fn identity_new_rejects_bad_kdf_parameters() {
    for (m, t, why) in [
        ("1", "2", "below the minimum"),
        ("18", "2", "below the minimum"),
        ("19", "1", "below the minimum"),
        ("19", "0", "below the minimum"),
        ("5000", "2", "above the maximum"),
        ("4294967295", "2", "above the maximum"),
        ("19", "65", "above the maximum"),
    ] {
        let env = Env::bare();
        let msg = env
            .coffer([
                "identity",
                "new",
                "--name",
                "Ada",
                "--kdf-memory",
                m,
                "--kdf-iterations",
                t,
            ])
            .fails(INVALID);
        assert!(msg.contains(why), "m={m} t={t}: {msg}");
        assert!(
            !env.home().join("identity.json").exists(),
            "m={m} t={t}: an identity was created"
        );
    }
    // Not a number at all: a usage error.
    Env::bare()
        .coffer(["identity", "new", "--name", "Ada", "--kdf-memory", "lots"])
        .usage_error();
}

#[test]
fn identity_new_rejects_an_empty_passphrase_and_a_bad_name() {
    let env = Env::bare();
    let floor = ["--kdf-memory", "19", "--kdf-iterations", "2"];
    let msg = env
        .coffer(["identity", "new", "--name", "Ada"].iter().chain(&floor))
        .env("COFFER_PASSPHRASE", "")
        .fails(INVALID);
    assert_eq!(
        msg,
        "the new passphrase must be at least 10 characters long"
    );
    let msg = env
        .coffer(["identity", "new", "--name", ""].iter().chain(&floor))
        .fails(INVALID);
    assert!(msg.contains("name"), "{msg}");
    assert!(!env.home().join("identity.json").exists());
}

#[test]
fn fail_identity_new_refuses_a_weak_passphrase() {
    let env = Env::bare();
    let floor = ["--kdf-memory", "19", "--kdf-iterations", "2"];
    let new = |pw: &str| {
        env.coffer(
            ["identity", "new", "--name", "Ada Lovelace"]
                .iter()
                .chain(&floor),
        )
        .env("COFFER_PASSPHRASE", pw)
    };
    // The same messages as the app's (coffer_vault::passphrase).
    assert_eq!(
        new("short").fails(INVALID),
        "the new passphrase must be at least 10 characters long"
    );
    let msg = new("correct horse battery staple").fails(INVALID);
    assert_eq!(
        msg,
        "the new passphrase is too weak (weak): It contains a published example \
         passphrase, which attackers try first. Choose your own unrelated words."
    );
    let msg = new("password123").fails(INVALID);
    assert!(
        msg.starts_with(
            "the new passphrase is too weak (very weak): This is a very common password."
        ),
        "{msg}"
    );
    assert!(!msg.contains("password123"), "{msg}");
    // The user's own name counts as known words.
    new("Ada Lovelace!").fails(INVALID);
    assert!(!env.home().join("identity.json").exists());
    // A good one is accepted.
    new("mauve turbine 41 anchor").ok();
    assert!(env.home().join("identity.json").exists());
}

#[test]
fn identity_new_json_and_show() {
    let env = Env::bare();
    let created = env
        .coffer([
            "identity",
            "new",
            "--name",
            "Ada Lovelace",
            "--email",
            "ada@example.com",
            "--kdf-memory",
            "19",
            "--kdf-iterations",
            "2",
            "--json",
        ])
        .ok()
        .json();
    let shown = env.coffer(["identity", "show", "--json"]).ok().json();
    assert_eq!(created, shown);
    assert_eq!(shown["name"], "Ada Lovelace");
    assert_eq!(shown["email"], "ada@example.com");
    assert_eq!(shown["kdf_m_kib"], 19 * 1024);
    assert_eq!(shown["kdf_t"], 2);
    assert_eq!(shown["kdf_p"], 1);
    assert_eq!(shown["keychain"], false);
    assert_eq!(shown["id"].as_str().expect("id").len(), 32);
    let fp = shown["fingerprint"].as_str().expect("fingerprint");
    let public = shown["public_identity"].as_str().expect("public identity");
    assert!(public.starts_with("coffer1-"));
    // No private material in the public view.
    let obj = shown.as_object().expect("object");
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "email",
            "fingerprint",
            "id",
            "kdf_m_kib",
            "kdf_p",
            "kdf_t",
            "keychain",
            "name",
            "public_identity"
        ]
    );

    // The text view shows the same identity; no passphrase is needed.
    let text = env
        .coffer(["identity", "show"])
        .env_remove("COFFER_PASSPHRASE")
        .ok();
    assert_eq!(
        text.stdout,
        format!(
            "Name:        Ada Lovelace\nEmail:       ada@example.com\nFingerprint: {fp}\n\
             KDF:         Argon2id m=19 MiB t=2 p=1\n\n\
             Public identity (give this to your vault's admin):\n{public}\n"
        )
    );
    assert_eq!(text.stderr, "");
}

#[test]
fn identity_show_without_an_identity_is_not_found_with_a_hint() {
    let env = Env::bare();
    for args in [&["identity", "show"][..], &["identity", "show", "--json"]] {
        let msg = env.coffer(args).fails(NOT_FOUND);
        assert!(msg.starts_with("no identity in"), "{msg}");
        assert!(msg.contains("coffer identity new --name NAME"), "{msg}");
    }
}

// ------------------------------------------------------------------ passwd

#[test]
fn passwd_changes_the_passphrase() {
    let env = Env::with_vault();
    env.set("web/prod", "KEY", "v");
    let out = env
        .coffer(["passwd"])
        .env("COFFER_NEW_PASSPHRASE", "plum glacier otter tuba")
        .ok();
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, "Passphrase changed.\n");
    // The old passphrase no longer opens the identity…
    let msg = env.coffer(["ls"]).fails(AUTH);
    assert!(msg.contains("wrong passphrase"), "{msg}");
    // …the new one does, and the items are unchanged.
    let out = env
        .coffer(["get", "web/prod", "KEY"])
        .env("COFFER_PASSPHRASE", "plum glacier otter tuba")
        .ok();
    assert_eq!(out.stdout, "v\n");
}

#[test]
fn passwd_with_the_wrong_old_passphrase_changes_nothing() {
    let env = Env::with_vault();
    let msg = env
        .coffer(["passwd"])
        .env("COFFER_PASSPHRASE", "wrong")
        .env("COFFER_NEW_PASSPHRASE", "new")
        .fails(AUTH);
    assert!(msg.contains("wrong passphrase"), "{msg}");
    env.coffer(["ls"]).ok();
    env.coffer(["ls"])
        .env("COFFER_PASSPHRASE", "new")
        .fails(AUTH);
}

#[test]
fn passwd_rejects_an_empty_new_passphrase() {
    let env = Env::with_vault();
    let msg = env
        .coffer(["passwd"])
        .env("COFFER_NEW_PASSPHRASE", "")
        .fails(INVALID);
    assert!(msg.contains("at least 10 characters"), "{msg}");
    env.coffer(["ls"]).ok();
}

#[test]
fn fail_passwd_refuses_a_weak_new_passphrase() {
    let env = Env::with_vault();
    for (pw, why) in [
        (
            "abc",
            "the new passphrase must be at least 10 characters long",
        ),
        (
            "correct horse battery staple",
            "the new passphrase is too weak (weak): It contains a published example \
             passphrase, which attackers try first. Choose your own unrelated words.",
        ),
    ] {
        let msg = env
            .coffer(["passwd"])
            .env("COFFER_NEW_PASSPHRASE", pw)
            .fails(INVALID);
        assert_eq!(msg, why);
        // The old passphrase still opens it; the weak one does not.
        env.coffer(["ls"]).ok();
        env.coffer(["ls"]).env("COFFER_PASSPHRASE", pw).fails(AUTH);
    }
}

// -------------------------------------------------------------------- init

#[test]
fn init_creates_a_private_vault_once() {
    let env = Env::with_identity();
    let out = env.coffer(["init", "--name", "Acme"]).ok();
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        format!(
            "Created vault 'Acme' at {}; you are its owner.\n",
            env.vault_path().display()
        )
    );
    #[cfg(unix)]
    assert_eq!(common::mode(&env.vault_path()), 0o600);
    let audit = env.audit();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0]["kind"], "genesis");
    assert_eq!(audit[0]["author"], "Ada");

    let msg = env.coffer(["init", "--name", "Other"]).fails(CONFLICT);
    assert!(msg.contains("already exists"), "{msg}");
    assert_eq!(env.audit().len(), 1);
}

#[test]
fn init_without_an_identity_is_not_found_with_a_hint() {
    let env = Env::bare();
    let msg = env.coffer(["init", "--name", "Acme"]).fails(NOT_FOUND);
    assert!(msg.contains("coffer identity new"), "{msg}");
    assert!(!env.vault_path().exists());
}

#[test]
fn every_vault_command_without_a_vault_is_not_found_with_a_hint() {
    let env = Env::with_identity();
    for args in [
        &["ls"][..],
        &["env", "ls"],
        &["env", "add", "web/prod"],
        &["get", "web/prod", "K"],
        &["rotation"],
        &["export", "web/prod"],
        &["run", "web/prod", "--", "true"],
        &["audit"],
        &["audit", "verify"],
    ] {
        let msg = env.coffer(args).fails(NOT_FOUND);
        assert!(msg.starts_with("no vault at"), "{args:?}: {msg}");
        assert!(msg.contains("coffer init --name TEAM"), "{args:?}: {msg}");
    }
    let msg = env
        .coffer(["set", "web/prod", "K"])
        .stdin("v")
        .fails(NOT_FOUND);
    assert!(msg.contains("coffer init"), "{msg}");
    assert!(!env.vault_path().exists());
}

#[test]
fn vault_option_and_variable_choose_the_file() {
    let env = Env::with_identity();
    let other = env.root().join("elsewhere.coffer");
    let other = other.to_str().expect("utf-8");
    env.coffer(["--vault", other, "init", "--name", "Elsewhere"])
        .ok();
    assert!(!env.vault_path().exists());
    env.coffer(["env", "add", "a/b", "--vault", other]).ok();
    env.coffer(["set", "a/b", "K"])
        .env("COFFER_VAULT", other)
        .stdin("v")
        .ok();
    let out = env
        .coffer(["get", "a/b", "K"])
        .env("COFFER_VAULT", other)
        .ok();
    assert_eq!(out.stdout, "v\n");
    // Without either, the default vault (absent) is used.
    env.coffer(["ls"]).fails(NOT_FOUND);
}

// --------------------------------------------------------------------- env

#[test]
fn env_add_and_ls() {
    let env = Env::with_vault();
    let out = env.coffer(["env", "add", "api/dev"]).ok();
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, "Added environment api/dev.\n");
    env.set("web/prod", "KEY", "v");

    let out = env.coffer(["env", "ls"]).ok();
    assert_eq!(
        out.stdout,
        "ENVIRONMENT  ITEMS  ROTATE EVERY  ACCESS  EPOCH\n\
         api/dev      0      -             write   1\n\
         web/prod     1      90d           write   1\n"
    );

    let all = env.coffer(["env", "ls", "--json"]).ok().json();
    let all = all.as_array().expect("array");
    assert_eq!(all.len(), 2);
    let web = all.iter().find(|e| e["project"] == "web").expect("web");
    assert_eq!(web["name"], "prod");
    assert_eq!(web["epoch"], 1);
    assert_eq!(web["rotate_every_days"], 90);
    assert_eq!(web["readable"], true);
    assert_eq!(web["access"], "write");
    assert_eq!(web["writable"], true);
    assert_eq!(web["items"], 1);
    let api = all.iter().find(|e| e["project"] == "api").expect("api");
    assert_eq!(api["rotate_every_days"], Value::Null);

    let only = env.coffer(["env", "ls", "api", "--json"]).ok().json();
    assert_eq!(only.as_array().expect("array").len(), 1);
    assert_eq!(only[0]["name"], "dev");

    let msg = env.coffer(["env", "ls", "nope"]).fails(NOT_FOUND);
    assert!(msg.contains("nope"), "{msg}");
}

#[test]
fn env_add_failures() {
    let env = Env::with_vault();
    let before = env.coffer(["env", "ls", "--json"]).ok().json();

    let msg = env.coffer(["env", "add", "web/prod"]).fails(CONFLICT);
    assert_eq!(msg, "environment web/prod already exists");

    for bad in ["x", "a/b/c", "/prod", "web/", "we b/prod", ""] {
        let msg = env.coffer(["env", "add", bad]).fails(INVALID);
        assert!(msg.contains("is not PROJECT/ENV"), "{bad:?}: {msg}");
    }
    for bad in ["abc", "0d", "-3d", "90x"] {
        let msg = env
            .coffer(["env", "add", "web/dev", &format!("--rotate-every={bad}")])
            .fails(INVALID);
        assert!(msg.contains(&format!("'{bad}'")), "{bad}: {msg}");
    }
    assert_eq!(env.coffer(["env", "ls", "--json"]).ok().json(), before);
}

#[test]
fn env_rekey_starts_a_new_epoch_and_keeps_every_value() {
    let env = Env::with_vault();
    env.set("web/prod", "A", "first");
    env.coffer(["rotate", "web/prod", "A"]).stdin("second").ok();
    env.set("web/prod", "B", "bee");

    for epoch in [2, 3] {
        let out = env.coffer(["env", "rekey", "web/prod"]).ok();
        assert_eq!(out.stdout, "");
        assert_eq!(
            out.stderr,
            format!("Re-keyed web/prod: now at epoch {epoch}.\n")
        );
        let envs = env.coffer(["env", "ls", "--json"]).ok().json();
        assert_eq!(envs[0]["epoch"], epoch);
    }
    assert_eq!(env.get("web/prod", "A"), "second");
    assert_eq!(env.get("web/prod", "B"), "bee");
    let h = env
        .coffer(["history", "web/prod", "A", "--reveal", "--json"])
        .ok()
        .json();
    let values: Vec<&str> = h
        .as_array()
        .expect("array")
        .iter()
        .map(|e| e["value"].as_str().expect("value"))
        .collect();
    assert_eq!(values, ["second", "first"]);
    env.coffer(["audit", "verify"]).ok();

    let msg = env.coffer(["env", "rekey", "web/nope"]).fails(NOT_FOUND);
    assert_eq!(msg, "environment web/nope not found");
    env.coffer(["env", "rekey", "nope"]).fails(INVALID);
}

// --------------------------------------------------------------------- set

#[test]
fn set_reads_stdin_and_strips_one_trailing_newline() {
    let env = Env::with_vault();
    let out = env
        .coffer(["set", "web/prod", "A", "--notes", "n"])
        .stdin("value\n")
        .ok();
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, "Created A in web/prod (version 1).\n");
    assert_eq!(env.get("web/prod", "A"), "value");

    // `-` says the same explicitly.
    env.coffer(["set", "web/prod", "B", "-"])
        .stdin("dash\n")
        .ok();
    assert_eq!(env.get("web/prod", "B"), "dash");

    // Only one newline goes; CRLF counts as one.
    env.set("web/prod", "C", "two\n\n");
    assert_eq!(env.get("web/prod", "C"), "two\n");
    env.set("web/prod", "D", "crlf\r\n");
    assert_eq!(env.get("web/prod", "D"), "crlf");

    // An empty value is a value, when asked for.
    env.coffer(["set", "web/prod", "E", "--allow-empty"])
        .stdin("")
        .ok();
    assert_eq!(env.get("web/prod", "E"), "");

    // Setting again updates, as a new version.
    let out = env.coffer(["set", "web/prod", "A"]).stdin("new").ok();
    assert_eq!(out.stderr, "Updated A in web/prod (version 2).\n");
    assert_eq!(env.get("web/prod", "A"), "new");
}

#[test]
fn fail_set_an_empty_value_without_allow_empty() {
    // The README's own first example with `$KEY` unset: refused, not stored.
    let env = Env::with_vault();
    let before = env.snapshot();
    for input in ["", "\n", "\r\n"] {
        let msg = env
            .coffer(["set", "web/prod", "STRIPE_KEY"])
            .stdin(input)
            .fails(INVALID);
        assert_eq!(
            msg,
            "the value of STRIPE_KEY is empty (an unset variable?); nothing was stored; \
             pass --allow-empty to store an empty value",
            "{input:?}"
        );
        assert_eq!(env.snapshot(), before, "{input:?}");
    }
    // `--keep-newline` keeps a lone newline: not empty.
    env.coffer(["set", "web/prod", "NL", "--keep-newline"])
        .stdin("\n")
        .ok();
    assert_eq!(env.get("web/prod", "NL"), "\n");

    // `rotate` refuses an empty new value the same way; the old one stays.
    env.set("web/prod", "TOKEN", "old");
    let before = env.snapshot();
    let msg = env
        .coffer(["rotate", "web/prod", "TOKEN"])
        .stdin("")
        .fails(INVALID);
    assert!(msg.contains("--allow-empty"), "{msg}");
    assert_eq!(env.snapshot(), before);
    assert_eq!(env.get("web/prod", "TOKEN"), "old");
    env.coffer(["rotate", "web/prod", "TOKEN", "--allow-empty"])
        .stdin("")
        .ok();
    assert_eq!(env.get("web/prod", "TOKEN"), "");

    // A generated value is never empty: the flag makes no sense with it.
    env.coffer(["set", "web/prod", "G", "--generate", "--allow-empty"])
        .usage_error();
}

#[test]
fn set_keep_newline_keeps_it() {
    let env = Env::with_vault();
    env.coffer(["set", "web/prod", "A", "--keep-newline"])
        .stdin("value\n")
        .ok();
    assert_eq!(env.get("web/prod", "A"), "value\n");
}

#[test]
fn a_multi_line_pem_round_trips_byte_exact() {
    let env = Env::with_vault();
    env.coffer(["set", "web/prod", "TLS_KEY", "-", "--keep-newline"])
        .stdin(PEM)
        .ok();
    let out = env.coffer(["get", "-n", "web/prod", "TLS_KEY"]).ok();
    assert_eq!(out.stdout_bytes, PEM.as_bytes());
    // Without --keep-newline only the final newline goes.
    env.set("web/prod", "TLS_KEY2", PEM);
    let out = env.coffer(["get", "-n", "web/prod", "TLS_KEY2"]).ok();
    assert_eq!(out.stdout_bytes, PEM.trim_end_matches('\n').as_bytes());
    // And `run` passes it through unchanged.
    let out = unmasked_sh(&env, "printf %s \"$TLS_KEY\"");
    assert_eq!(out.stdout_bytes, PEM.as_bytes());
}

#[test]
fn unicode_values_round_trip() {
    let env = Env::with_vault();
    let v = "päßwörd – 密码 – 🔑 – \u{200d}";
    env.set("web/prod", "U", v);
    assert_eq!(env.get("web/prod", "U"), v);
    let j = env.coffer(["get", "--json", "web/prod", "U"]).ok().json();
    assert_eq!(j["value"], v);
}

#[test]
fn set_rejects_a_value_over_64_kib_without_echoing_it() {
    let env = Env::with_vault();
    // Exactly 64 KiB is allowed.
    let max = "ab".repeat(32 * 1024);
    env.set("web/prod", "MAX", &max);
    assert_eq!(env.get("web/prod", "MAX"), max);

    let before = env.snapshot();
    let big = "secretchunk-".repeat(6000); // 72,000 bytes
    let msg = env
        .coffer(["set", "web/prod", "BIG"])
        .stdin(big)
        .fails(INVALID);
    assert!(msg.contains("too large"), "{msg}");
    assert!(msg.contains("65536"), "{msg}");
    assert!(!msg.contains("secretchunk"), "{msg}");
    // One byte over.
    let over = "x".repeat(64 * 1024 + 1);
    let msg = env
        .coffer(["set", "web/prod", "BIG", "--keep-newline"])
        .stdin(over)
        .fails(INVALID);
    assert!(msg.contains("too large"), "{msg}");
    assert_eq!(env.snapshot(), before);
}

#[test]
fn set_rejects_invalid_key_names() {
    let env = Env::with_vault();
    let before = env.snapshot();
    for bad in ["1BAD", "A-B", "bad key", "KÉY", "A=B", "", "$X"] {
        let msg = env
            .coffer(["set", "web/prod", bad])
            .stdin("v")
            .fails(INVALID);
        assert!(msg.contains("key"), "{bad:?}: {msg}");
    }
    assert_eq!(env.snapshot(), before);
    // The valid edge cases are fine.
    for good in ["_", "_1", "a", "A_B_9"] {
        env.set("web/prod", good, "v");
    }
}

#[test]
fn set_refuses_a_value_on_the_command_line() {
    let env = Env::with_vault();
    let before = env.snapshot();
    let msg = env
        .coffer(["set", "web/prod", "K", "hunter2-on-argv"])
        .fails(INVALID);
    assert!(msg.contains("never taken from the command line"), "{msg}");
    assert!(!msg.contains("hunter2"), "{msg}");
    // Even with something on stdin.
    env.coffer(["set", "web/prod", "K", "hunter2-on-argv"])
        .stdin("v")
        .fails(INVALID);
    assert_eq!(env.snapshot(), before);
}

#[test]
fn set_rejects_non_utf8_and_nul_bytes() {
    let env = Env::with_vault();
    let before = env.snapshot();
    let msg = env
        .coffer(["set", "web/prod", "BIN"])
        .stdin(vec![0xff, 0xfe, b'a'])
        .fails(INVALID);
    assert_eq!(msg, "the value of BIN is not valid UTF-8");
    let msg = env
        .coffer(["set", "web/prod", "NUL"])
        .stdin("a\0b")
        .fails(INVALID);
    assert!(msg.contains("NUL"), "{msg}");
    assert_eq!(env.snapshot(), before);
}

#[test]
fn set_generate() {
    let env = Env::with_vault();
    env.coffer(["set", "web/prod", "G", "--generate"]).ok();
    let g = env.get("web/prod", "G");
    assert_eq!(g.len(), 32);
    assert!(g.chars().all(|c| c.is_ascii_alphanumeric()), "{g}");

    env.coffer([
        "set",
        "web/prod",
        "H",
        "--generate",
        "--length",
        "20",
        "--charset",
        "hex",
    ])
    .ok();
    let h = env.get("web/prod", "H");
    assert_eq!(h.len(), 20);
    assert!(h.chars().all(|c| c.is_ascii_hexdigit()), "{h}");
    assert!(!env.coffer(["ls"]).ok().stdout.contains(&h));

    env.coffer(["set", "web/prod", "D", "--generate", "--charset", "digits"])
        .ok();
    assert!(env.get("web/prod", "D").chars().all(|c| c.is_ascii_digit()));

    let before = env.snapshot();
    for len in ["0", "7", "4097"] {
        let msg = env
            .coffer(["set", "web/prod", "X", "--generate", "--length", len])
            .fails(INVALID);
        assert!(msg.contains("8 to 4096"), "{msg}");
    }
    let msg = env
        .coffer(["set", "web/prod", "X", "--generate", "--charset", "emoji"])
        .fails(INVALID);
    assert!(msg.contains("unknown charset 'emoji'"), "{msg}");
    // --length without --generate is a usage error.
    env.coffer(["set", "web/prod", "X", "--length", "12"])
        .stdin("v")
        .usage_error();
    assert_eq!(env.snapshot(), before);
}

#[test]
fn set_no_value_changes_only_the_metadata() {
    let env = Env::with_vault();
    env.coffer(["set", "web/prod", "K", "--notes", "old notes"])
        .env("COFFER_NOW", "1700000000")
        .stdin("the value")
        .ok();
    env.coffer([
        "set",
        "web/prod",
        "K",
        "--no-value",
        "--notes",
        "new notes",
        "--url",
        "https://provider.example",
        "--username",
        "svc",
    ])
    .env("COFFER_NOW", "1700000500")
    .ok();
    assert_eq!(env.get("web/prod", "K"), "the value");
    let item = &env.ls_json()[0];
    assert_eq!(item["notes"], "new notes");
    assert_eq!(item["url"], "https://provider.example");
    assert_eq!(item["username"], "svc");
    // The value did not change: it was not rotated.
    assert_eq!(item["rotated_at"], 1_700_000_000);

    // A new key needs a value.
    let msg = env
        .coffer(["set", "web/prod", "NEW", "--no-value", "--notes", "x"])
        .fails(INVALID);
    assert!(msg.contains("a value is required"), "{msg}");
    // --no-value with a value source is a usage error.
    env.coffer(["set", "web/prod", "K", "-", "--no-value"])
        .usage_error();
    env.coffer(["set", "web/prod", "K", "--generate", "--no-value"])
        .usage_error();
}

#[test]
fn set_rejects_bad_rotation_and_expiry() {
    let env = Env::with_vault();
    let before = env.snapshot();
    for bad in ["abc", "0d", "90x", "-1d", ""] {
        let msg = env
            .coffer(["set", "web/prod", "K", &format!("--rotate-every={bad}")])
            .stdin("v")
            .fails(INVALID);
        assert!(msg.contains("invalid duration"), "{bad:?}: {msg}");
    }
    for bad in ["2020-13-01", "tomorrow", "2024-02-30", "24-01-01", ""] {
        let msg = env
            .coffer(["set", "web/prod", "K", "--expires", bad])
            .stdin("v")
            .fails(INVALID);
        assert!(msg.contains("invalid date"), "{bad:?}: {msg}");
        assert!(msg.contains("YYYY-MM-DD"), "{bad:?}: {msg}");
    }
    assert_eq!(env.snapshot(), before);
    // And the good spellings.
    env.coffer([
        "set",
        "web/prod",
        "K",
        "--rotate-every",
        "12w",
        "--expires",
        "2030-01-31",
    ])
    .stdin("v")
    .ok();
    let item = &env.ls_json()[0];
    assert_eq!(item["rotate_every_days"], 84);
    assert_eq!(item["expires_at"], 1_896_048_000);
}

#[test]
fn set_into_a_missing_environment_is_not_found() {
    let env = Env::with_vault();
    let msg = env
        .coffer(["set", "web/dev", "K"])
        .stdin("v")
        .fails(NOT_FOUND);
    assert_eq!(msg, "environment web/dev not found");
    let msg = env
        .coffer(["set", "nope/dev", "K"])
        .stdin("v")
        .fails(NOT_FOUND);
    assert!(msg.contains("not found"), "{msg}");
    env.coffer(["set", "webprod", "K"])
        .stdin("v")
        .fails(INVALID);
}

// --------------------------------------------------------------------- get

#[test]
fn get_prints_the_value() {
    let env = Env::with_vault();
    env.coffer([
        "set",
        "web/prod",
        "API_TOKEN",
        "--notes",
        "from the dashboard",
        "--url",
        "https://dash.example",
    ])
    .stdin("tok_123")
    .ok();
    let out = env.coffer(["get", "web/prod", "API_TOKEN"]).ok();
    assert_eq!(out.stdout, "tok_123\n");
    assert_eq!(out.stderr, "");
    let out = env.coffer(["get", "-n", "web/prod", "API_TOKEN"]).ok();
    assert_eq!(out.stdout, "tok_123");
    let out = env
        .coffer(["get", "--no-newline", "web/prod", "API_TOKEN"])
        .ok();
    assert_eq!(out.stdout, "tok_123");

    let j = env
        .coffer(["get", "--json", "web/prod", "API_TOKEN"])
        .ok()
        .json();
    assert_eq!(j["value"], "tok_123");
    assert_eq!(j["name"], "API_TOKEN");
    assert_eq!(j["project"], "web");
    assert_eq!(j["env"], "prod");
    assert_eq!(j["version"], 1);
    assert_eq!(j["notes"], "from the dashboard");
    assert_eq!(j["url"], "https://dash.example");
    assert_eq!(j["rotate_every_days"], 90);
    assert_eq!(j["status"], "ok");

    // Each reveal is in the audit log.
    let reads = env.audit().iter().filter(|e| e["kind"] == "read").count();
    assert_eq!(reads, 4);
}

#[test]
fn get_failures() {
    let env = Env::with_vault();
    let msg = env.coffer(["get", "web/prod", "NOPE"]).fails(NOT_FOUND);
    assert_eq!(msg, "NOPE in web/prod not found");
    env.coffer(["get", "web/nope", "K"]).fails(NOT_FOUND);
    env.coffer(["get", "web", "K"]).fails(INVALID);
    env.coffer(["get", "web/prod"]).usage_error();
}

// ---------------------------------------------------------------------- ls

#[test]
fn ls_lists_by_scope_and_never_shows_values() {
    let env = Env::with_vault();
    env.coffer(["env", "add", "web/dev"]).ok();
    env.coffer(["env", "add", "api/prod"]).ok();
    env.coffer(["set", "web/prod", "DB_URL", "--notes", "primary db"])
        .stdin("postgres://secret-one@db")
        .ok();
    env.set("web/dev", "DB_URL", "secret-two");
    env.set("api/prod", "TOKEN", "secret-three");
    let secrets = ["secret-one", "secret-two", "secret-three"];

    let out = env.coffer(["ls"]).ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "ENVIRONMENT  KEY     VALUE     STATUS  ROTATED     NOTES"
    );
    assert_eq!(lines.len(), 4, "{out}");
    assert!(out.stdout.contains("••••••••"));
    assert!(out.stdout.contains("primary db"));

    let keys = |scope: &str| -> Vec<String> {
        env.coffer(["ls", scope, "--json"])
            .ok()
            .json()
            .as_array()
            .expect("array")
            .iter()
            .map(|i| format!("{}/{}:{}", i["project"], i["env"], i["name"]).replace('"', ""))
            .collect()
    };
    let mut web = keys("web");
    web.sort();
    assert_eq!(web, ["web/dev:DB_URL", "web/prod:DB_URL"]);
    assert_eq!(keys("api/prod"), ["api/prod:TOKEN"]);
    assert_eq!(keys("web/dev"), ["web/dev:DB_URL"]);

    let all = env.coffer(["ls", "--json"]).ok();
    assert_eq!(all.json().as_array().expect("array").len(), 3);
    for s in secrets {
        assert!(!all.stdout.contains(s), "{s} in ls --json");
        assert!(!out.stdout.contains(s), "{s} in ls");
    }
    for item in all.json().as_array().expect("array") {
        assert!(item.get("value").is_none(), "{item}");
    }

    // Listing is not a reveal.
    let n = env.audit().len();
    env.coffer(["ls"]).ok();
    assert_eq!(env.audit().len(), n);
}

#[test]
fn ls_of_an_empty_or_unknown_scope() {
    let env = Env::with_vault();
    let out = env.coffer(["ls"]).ok();
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, "No credentials.\n");
    assert_eq!(env.coffer(["ls", "--json"]).ok().stdout, "[]\n");

    let msg = env.coffer(["ls", "nope"]).fails(NOT_FOUND);
    assert_eq!(msg, "project nope not found");
    let msg = env.coffer(["ls", "web/nope"]).fails(NOT_FOUND);
    assert_eq!(msg, "environment web/nope not found");
    env.coffer(["ls", "web/prod/x"]).fails(INVALID);
}

// ---------------------------------------------------------------------- rm

#[test]
fn rm_deletes_a_credential() {
    let env = Env::with_vault();
    env.set("web/prod", "A", "a");
    env.set("web/prod", "B", "b");
    let out = env.coffer(["rm", "web/prod", "A"]).ok();
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, "Deleted A from web/prod.\n");
    assert_eq!(env.keys("web/prod"), ["B"]);

    let msg = env.coffer(["get", "web/prod", "A"]).fails(NOT_FOUND);
    assert_eq!(msg, "A in web/prod not found");
    env.coffer(["history", "web/prod", "A"]).fails(NOT_FOUND);
    let msg = env.coffer(["rm", "web/prod", "A"]).fails(NOT_FOUND);
    assert_eq!(msg, "A in web/prod not found");
    env.coffer(["rm", "web/nope", "B"]).fails(NOT_FOUND);

    // The key can be used again.
    let out = env.coffer(["set", "web/prod", "A"]).stdin("again").ok();
    assert_eq!(out.stderr, "Created A in web/prod (version 1).\n");
    assert_eq!(env.get("web/prod", "A"), "again");
    env.coffer(["audit", "verify"]).ok();
}

// ----------------------------------------------------------------- history

#[test]
fn history_shows_values_only_with_reveal() {
    let env = Env::with_vault();
    env.set("web/prod", "K", "value-one");
    env.coffer(["rotate", "web/prod", "K"])
        .stdin("value-two")
        .ok();
    env.coffer(["rotate", "web/prod", "K"])
        .stdin("value-three")
        .ok();
    let values = ["value-one", "value-two", "value-three"];

    let out = env.coffer(["history", "web/prod", "K"]).ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{out}");
    assert_eq!(lines[0], "VERSION  AUTHOR  WRITTEN");
    for (line, v) in lines[1..].iter().zip(["3", "2", "1"]) {
        assert!(line.starts_with(&format!("{v}        Ada     ")), "{line}");
    }
    let json = env.coffer(["history", "web/prod", "K", "--json"]).ok();
    for e in json.json().as_array().expect("array") {
        assert!(e.get("value").is_none(), "{e}");
        assert_eq!(e["author"], "Ada");
    }
    for v in values {
        assert!(!out.all().contains(v), "{v} without --reveal");
        assert!(!json.all().contains(v), "{v} without --reveal (json)");
    }
    // Not revealing is not logged as a reveal.
    let reads = |env: &Env| env.audit().iter().filter(|e| e["kind"] == "read").count();
    assert_eq!(reads(&env), 0);

    let out = env.coffer(["history", "web/prod", "K", "--reveal"]).ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert!(lines[0].ends_with("VALUE"), "{out}");
    assert!(lines[1].ends_with("  value-three"), "{out}");
    assert!(lines[2].ends_with("  value-two"), "{out}");
    assert!(lines[3].ends_with("  value-one"), "{out}");
    let j = env
        .coffer(["history", "web/prod", "K", "--reveal", "--json"])
        .ok()
        .json();
    let got: Vec<(i64, &str)> = j
        .as_array()
        .expect("array")
        .iter()
        .map(|e| {
            (
                e["version"].as_i64().expect("version"),
                e["value"].as_str().expect("value"),
            )
        })
        .collect();
    assert_eq!(
        got,
        [(3, "value-three"), (2, "value-two"), (1, "value-one")]
    );
    assert!(reads(&env) >= 2);

    env.coffer(["history", "web/prod", "NOPE"]).fails(NOT_FOUND);
}

// ---------------------------------------------------------------- rotation

/// A vault whose items were all written at `t0`: web/prod/KEY (every 90
/// days), web/dev/NOROT (no policy), web/dev/CERT (expires 16 days later).
fn rotation_fixture(t0: i64) -> Env {
    let env = Env::with_vault();
    env.coffer(["env", "add", "web/dev"]).ok();
    let at = t0.to_string();
    env.coffer(["set", "web/prod", "KEY"])
        .env("COFFER_NOW", &at)
        .stdin("k")
        .ok();
    env.coffer(["set", "web/dev", "NOROT"])
        .env("COFFER_NOW", &at)
        .stdin("n")
        .ok();
    env.coffer(["set", "web/dev", "CERT", "--expires", "2023-12-01"])
        .env("COFFER_NOW", &at)
        .stdin("c")
        .ok();
    env
}

/// 2023-11-14T22:13:20Z: CERT expires 2023-12-01, 16 days later.
const T0: i64 = 1_700_000_000;

#[test]
fn rotation_nothing_due() {
    let env = rotation_fixture(T0);
    let at = T0.to_string();
    let out = env.coffer(["rotation"]).env("COFFER_NOW", &at).ok();
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, "Nothing due: 3 credentials checked.\n");
    let out = env
        .coffer(["rotation", "--json"])
        .env("COFFER_NOW", &at)
        .ok();
    assert_eq!(out.stdout, "[]\n");
    let out = env
        .coffer(["rotation", "--fail-on", "overdue"])
        .env("COFFER_NOW", &at)
        .ok();
    assert_eq!(out.stdout, "");

    // --all lists the ok ones too, earliest due first, no-policy last.
    let out = env
        .coffer(["rotation", "--all"])
        .env("COFFER_NOW", &at)
        .ok();
    assert_eq!(
        out.stdout,
        "STATUS  ENVIRONMENT  KEY    DUE         ROTATED     EVERY\n\
         ok      web/dev      CERT   2023-12-01  2023-11-14  -\n\
         ok      web/prod     KEY    2024-02-12  2023-11-14  90d\n\
         ok      web/dev      NOROT  -           2023-11-14  -\n"
    );
    let j = env
        .coffer(["rotation", "--all", "--json"])
        .env("COFFER_NOW", &at)
        .ok()
        .json();
    let names: Vec<&str> = j
        .as_array()
        .expect("array")
        .iter()
        .map(|i| i["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names, ["CERT", "KEY", "NOROT"]);
    assert_eq!(j[1]["due_at"], T0 + 90 * DAY);
}

#[test]
fn rotation_fail_on_overdue_is_the_ci_gate() {
    let env = rotation_fixture(T0);
    let later = (T0 + 100 * DAY).to_string();
    let out = env
        .coffer(["rotation", "--fail-on", "overdue"])
        .env("COFFER_NOW", &later)
        .run();
    let msg = out.error(GATE);
    assert_eq!(msg, "2 credentials at status overdue or worse");
    assert_eq!(
        out.stdout,
        "STATUS   ENVIRONMENT  KEY   DUE         ROTATED     EVERY\n\
         expired  web/dev      CERT  2023-12-01  2023-11-14  -\n\
         overdue  web/prod     KEY   2024-02-12  2023-11-14  90d\n"
    );
    let j = env
        .coffer(["rotation", "--json", "--fail-on", "overdue"])
        .env("COFFER_NOW", &later)
        .run();
    j.error(GATE);
    let j = j.json();
    assert_eq!(j[0]["status"], "expired");
    assert_eq!(j[1]["status"], "overdue");
    assert_eq!(j.as_array().expect("array").len(), 2);

    // Scoped: only the expired certificate in web/dev.
    let msg = env
        .coffer(["rotation", "web/dev", "--fail-on", "overdue"])
        .env("COFFER_NOW", &later)
        .fails(GATE);
    assert_eq!(msg, "1 credential at status overdue or worse");
    // Exposed is worse than anything present: nothing matches.
    env.coffer(["rotation", "--fail-on", "exposed"])
        .env("COFFER_NOW", &later)
        .ok();

    // Rotating the overdue one clears it.
    env.coffer(["rotate", "web/prod", "KEY"])
        .env("COFFER_NOW", &later)
        .stdin("k2")
        .ok();
    env.coffer(["rotation", "web/prod", "--fail-on", "overdue"])
        .env("COFFER_NOW", &later)
        .ok();
}

#[test]
fn rotation_due_within_widens_the_due_soon_window() {
    let env = rotation_fixture(T0);
    let at = T0.to_string();
    // 16 days to expiry: not due soon with the default 14 days…
    env.coffer(["rotation", "--fail-on", "due_soon"])
        .env("COFFER_NOW", &at)
        .ok();
    // …but within 30.
    let out = env
        .coffer(["rotation", "--due-within", "30d"])
        .env("COFFER_NOW", &at)
        .ok();
    assert_eq!(
        out.stdout,
        "STATUS    ENVIRONMENT  KEY   DUE         ROTATED     EVERY\n\
         due_soon  web/dev      CERT  2023-12-01  2023-11-14  -\n"
    );
    let msg = env
        .coffer(["rotation", "--due-within", "3w", "--fail-on", "due_soon"])
        .env("COFFER_NOW", &at)
        .fails(GATE);
    assert_eq!(msg, "1 credential at status due_soon or worse");
    env.coffer(["rotation", "--due-within", "30d", "--fail-on", "overdue"])
        .env("COFFER_NOW", &at)
        .ok();
}

#[test]
fn rotation_fail_on_ok_is_rejected() {
    let env = rotation_fixture(T0);
    let msg = env
        .coffer(["rotation", "--fail-on", "ok"])
        .env("COFFER_NOW", T0.to_string())
        .fails(INVALID);
    assert!(msg.contains("--fail-on takes"), "{msg}");
}

#[test]
fn rotation_bad_input() {
    let env = rotation_fixture(T0);
    let msg = env
        .coffer(["rotation", "--fail-on", "bogus"])
        .fails(INVALID);
    assert!(msg.contains("unknown status 'bogus'"), "{msg}");
    let msg = env
        .coffer(["rotation", "--due-within", "soon"])
        .fails(INVALID);
    assert!(msg.contains("invalid duration 'soon'"), "{msg}");
    env.coffer(["rotation", "nope"]).fails(NOT_FOUND);
    env.coffer(["rotation", "web/nope"]).fails(NOT_FOUND);
}

#[test]
fn rotation_help_describes_all_correctly() {
    let out = Env::bare().coffer(["rotation", "--help"]).ok();
    let line = out
        .stdout
        .lines()
        .find(|l| l.trim_start().starts_with("--all"))
        .expect("--all in help")
        .to_string();
    assert!(!line.contains("not ok"), "{line}");
}

// ------------------------------------------------------------------ rotate

#[test]
fn rotate_with_a_typed_value_keeps_the_old_one_in_history() {
    let env = Env::with_vault();
    env.coffer(["set", "web/prod", "K"])
        .env("COFFER_NOW", T0.to_string())
        .stdin("old-value")
        .ok();
    let later = (T0 + 100 * DAY).to_string();
    env.coffer(["rotation", "--fail-on", "overdue"])
        .env("COFFER_NOW", &later)
        .fails(GATE);
    let out = env
        .coffer(["rotate", "web/prod", "K"])
        .env("COFFER_NOW", &later)
        .stdin("new-value\n")
        .ok();
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, "Rotated K in web/prod (version 2).\n");
    assert_eq!(env.get("web/prod", "K"), "new-value");
    let item = &env.ls_json()[0];
    assert_eq!(item["rotated_at"], T0 + 100 * DAY);
    assert_eq!(item["version"], 2);
    let h = env
        .coffer(["history", "web/prod", "K", "--reveal", "--json"])
        .ok()
        .json();
    assert_eq!(h[0]["value"], "new-value");
    assert_eq!(h[1]["value"], "old-value");
    env.coffer(["rotation", "--fail-on", "overdue"])
        .env("COFFER_NOW", &later)
        .ok();

    // --keep-newline applies to rotate too.
    env.coffer(["rotate", "web/prod", "K", "--keep-newline"])
        .stdin("nl\n")
        .ok();
    assert_eq!(env.get("web/prod", "K"), "nl\n");
}

#[test]
fn rotate_generate() {
    let env = Env::with_vault();
    env.set("web/prod", "K", "old");
    env.coffer([
        "rotate",
        "web/prod",
        "K",
        "--generate",
        "--length",
        "48",
        "--charset",
        "base64url",
    ])
    .ok();
    let v = env.get("web/prod", "K");
    assert_eq!(v.len(), 48);
    assert!(
        v.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "{v}"
    );
    env.coffer([
        "rotate",
        "web/prod",
        "K",
        "--generate",
        "--charset",
        "symbols",
    ])
    .ok();
    assert_eq!(env.get("web/prod", "K").len(), 32);
    let msg = env
        .coffer(["rotate", "web/prod", "K", "--generate", "--length", "3"])
        .fails(INVALID);
    assert!(msg.contains("8 to 4096"), "{msg}");
}

#[test]
fn rotate_an_expiring_credential_asks_for_the_new_expiry() {
    let env = Env::with_vault();
    env.coffer(["set", "web/prod", "K", "--expires", "2020-01-01"])
        .stdin("old")
        .ok();
    let status = |env: &Env| {
        let j = env.coffer(["ls", "web/prod", "--json"]).ok().json();
        (
            j[0]["status"].as_str().expect("status").to_string(),
            j[0]["expires_at"].as_i64(),
        )
    };
    assert_eq!(status(&env).0, "expired");
    let before = env.snapshot();
    let msg = env
        .coffer(["rotate", "web/prod", "K"])
        .stdin("new-1")
        .fails(INVALID);
    assert!(
        msg.contains("--expires DATE") && msg.contains("--no-expiry"),
        "{msg}"
    );
    assert_eq!(env.snapshot(), before, "nothing was written");
    env.coffer(["rotate", "web/prod", "K", "--expires", "2099-01-01"])
        .stdin("new-1")
        .ok();
    let (st, at) = status(&env);
    assert_eq!(st, "ok", "the rotated credential is no longer expired");
    assert!(at.is_some_and(|t| t > 4_000_000_000));
    env.coffer(["rotate", "web/prod", "K", "--no-expiry"])
        .stdin("new-2")
        .ok();
    assert_eq!(status(&env), ("ok".to_string(), None));
    assert_eq!(env.get("web/prod", "K"), "new-2");
}

#[test]
fn rotate_to_the_same_value_is_refused() {
    let env = Env::with_vault();
    env.set("web/prod", "K", "same");
    let before = env.snapshot();
    let msg = env
        .coffer(["rotate", "web/prod", "K"])
        .stdin("same\n")
        .fails(INVALID);
    assert_eq!(msg, "the new value of K is the same as the current one");
    assert!(!msg.contains("same\""));
    assert_eq!(env.snapshot(), before);
}

#[test]
fn rotate_a_missing_credential_is_not_found() {
    let env = Env::with_vault();
    let msg = env
        .coffer(["rotate", "web/prod", "NOPE"])
        .stdin("v")
        .fails(NOT_FOUND);
    assert_eq!(msg, "NOPE in web/prod not found");
    env.coffer(["rotate", "web/nope", "K"])
        .stdin("v")
        .fails(NOT_FOUND);
}

// ------------------------------------------------------------------ export

fn export_fixture() -> Env {
    let env = Env::with_vault();
    env.coffer(["set", "web/prod", "PLAIN", "--notes", "the plain one"])
        .stdin("plain")
        .ok();
    env.set("web/prod", "SPACED", "has space");
    env.set("web/prod", "APOS", "it's");
    env.set("web/prod", "MULTI", "l1\nl2");
    env
}

#[test]
fn export_formats() {
    let env = export_fixture();
    let export = |format: &str| {
        let out = env.coffer(["export", "web/prod", "--format", format]).ok();
        assert_eq!(out.stderr, "", "{out}");
        out.stdout
    };
    assert_eq!(
        env.coffer(["export", "web/prod"]).ok().stdout,
        export("dotenv")
    );
    assert_eq!(
        export("dotenv"),
        "APOS=\"it's\"\nMULTI=\"l1\\nl2\"\nPLAIN=plain\nSPACED='has space'\n"
    );
    assert_eq!(
        export("shell"),
        "export APOS='it'\\''s'\nexport MULTI='l1\nl2'\nexport PLAIN='plain'\nexport SPACED='has space'\n"
    );
    let j: Value = serde_json::from_str(&export("json")).expect("json");
    assert_eq!(
        j,
        serde_json::json!({
            "APOS": "it's", "MULTI": "l1\nl2", "PLAIN": "plain", "SPACED": "has space"
        })
    );
    let example = export("example");
    assert_eq!(example, "APOS=\nMULTI=\n# the plain one\nPLAIN=\nSPACED=\n");

    // The shell format evaluates back to the exact values.
    let script = format!("{}printf %s \"$MULTI|$APOS\"", export("shell"));
    let out = env.program("sh", ["-c", &script]).ok();
    assert_eq!(out.stdout, "l1\nl2|it's");

    // Exports are logged; the values never are.
    let audit = env.coffer(["audit", "--json"]).ok();
    assert!(audit.stdout.contains("export"));
    for v in ["plain", "has space", "it's", "l1\nl2"] {
        assert!(!audit.stdout.contains(v), "{v} in the audit log");
    }
}

#[test]
fn export_example_keeps_multi_line_notes_as_comments() {
    let env = Env::with_vault();
    env.coffer(["set", "web/prod", "K", "--notes", "line one\nEVIL=1"])
        .stdin("v")
        .ok();
    let out = env
        .coffer(["export", "web/prod", "--format", "example"])
        .ok();
    for line in out.stdout.lines() {
        assert!(line.starts_with('#') || line == "K=", "{line:?}\n{out}");
    }
}

#[test]
fn export_refuses_a_value_no_portable_dotenv_can_hold() {
    let env = Env::with_vault();
    env.set("web/prod", "OK", "fine");
    env.set("web/prod", "TRICKY", "a'b\"c$d");
    let msg = env.coffer(["export", "web/prod"]).fails(INVALID);
    assert!(
        msg.contains("the value of TRICKY cannot be written"),
        "{msg}"
    );
    assert!(msg.contains("--dialect"), "{msg}");
    assert!(!msg.contains("a'b"), "{msg}");
    let path = env.work().join("x.env");
    env.coffer(["export", "web/prod", "-o", "x.env"])
        .fails(INVALID);
    assert!(!path.exists());

    // A dialect names one parser, and it can.
    for (dialect, line) in [
        ("node", "TRICKY=`a'b\"c$d`"),
        ("python", "TRICKY='a\\'b\"c$d'"),
        ("rust", "TRICKY=\"a'b\\\"c\\$d\""),
        ("compose", "TRICKY=\"a'b\\\"c\\$d\""),
        ("docker", "TRICKY=a'b\"c$d"),
    ] {
        let out = env
            .coffer(["export", "web/prod", "--dialect", dialect])
            .ok();
        assert_eq!(out.stdout, format!("OK=fine\n{line}\n"), "{dialect}");
    }
    // Shell and JSON can always say it.
    let out = env.coffer(["export", "web/prod", "--format", "shell"]).ok();
    assert!(out.stdout.contains("export TRICKY='a'\\''b\"c$d'"), "{out}");
    let out = env.coffer(["export", "web/prod", "--format", "json"]).ok();
    assert_eq!(out.json()["TRICKY"], "a'b\"c$d");
}

#[test]
fn a_refused_export_leaves_the_audit_log_unchanged() {
    let env = Env::with_vault();
    env.set("web/prod", "TRICKY", "a'b\"c$d");
    let before = env.snapshot();
    env.coffer(["export", "web/prod"]).fails(INVALID);
    env.coffer(["export", "web/prod", "-o", "x.env"])
        .fails(INVALID);
    assert_eq!(env.snapshot(), before);
}

#[test]
fn export_bad_options() {
    let env = export_fixture();
    let msg = env
        .coffer(["export", "web/prod", "--format", "yaml"])
        .fails(INVALID);
    assert!(msg.contains("unknown format \"yaml\""), "{msg}");
    let msg = env
        .coffer(["export", "web/prod", "--dialect", "bash"])
        .fails(INVALID);
    assert!(msg.contains("unknown dialect \"bash\""), "{msg}");
    env.coffer(["export", "web/nope"]).fails(NOT_FOUND);
    // An empty environment exports nothing.
    env.coffer(["env", "add", "web/empty"]).ok();
    assert_eq!(env.coffer(["export", "web/empty"]).ok().stdout, "");
}

#[cfg(unix)]
#[test]
fn export_to_a_file_is_private() {
    let env = export_fixture();
    let path = env.work().join(".env");
    let out = env.coffer(["export", "web/prod", "-o", ".env"]).ok();
    assert_eq!(out.stdout, "");
    assert_eq!(out.stderr, "Wrote .env (mode 0600).\n");
    assert_eq!(common::mode(&path), 0o600);
    let stdout = env.coffer(["export", "web/prod"]).ok().stdout;
    assert_eq!(std::fs::read_to_string(&path).expect("read"), stdout);

    // Replacing a world-readable file leaves a private one.
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::write(&path, "OLD=1\n").expect("write");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
    }
    env.coffer([
        "export", "web/prod", "--format", "shell", "--output", ".env",
    ])
    .ok();
    assert_eq!(common::mode(&path), 0o600);
    assert!(std::fs::read_to_string(&path)
        .expect("read")
        .starts_with("export APOS="));
    // No temp file is left behind.
    let names: Vec<String> = std::fs::read_dir(env.work())
        .expect("read_dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, [".env"]);
}

#[test]
fn export_into_a_git_work_tree() {
    if !have_git() {
        eprintln!("skipped: git is not installed");
        return;
    }
    let env = export_fixture();
    env.program("git", ["init", "-q", "."]).ok();
    let path = env.work().join(".env");

    // Not ignored: refused, nothing written.
    let msg = env
        .coffer(["export", "web/prod", "-o", ".env"])
        .fails(CONFLICT);
    assert!(msg.contains("inside the git work tree"), "{msg}");
    assert!(msg.contains("not ignored by git"), "{msg}");
    assert!(msg.contains("--force"), "{msg}");
    assert!(!path.exists());
    // Also in a sub-directory.
    std::fs::create_dir(env.work().join("app")).expect("mkdir");
    env.coffer(["export", "web/prod", "-o", "app/.env"])
        .fails(CONFLICT);
    assert!(!env.work().join("app/.env").exists());
    // From a sub-directory, with a relative path.
    env.coffer(["export", "web/prod", "-o", ".env"])
        .current_dir(env.work().join("app"))
        .fails(CONFLICT);

    // --force writes it.
    env.coffer(["export", "web/prod", "-o", ".env", "--force"])
        .ok();
    assert!(path.exists());
    std::fs::remove_file(&path).expect("rm");

    // Ignored: fine.
    env.write(".gitignore", ".env\n");
    env.coffer(["export", "web/prod", "-o", ".env"]).ok();
    assert!(path.exists());
    env.coffer(["export", "web/prod", "-o", "app/.env"]).ok();

    // stdout is never refused.
    env.write(".gitignore", "");
    env.coffer(["export", "web/prod"]).ok();
}

#[test]
fn an_export_refused_by_git_leaves_the_audit_log_unchanged() {
    if !have_git() {
        return;
    }
    let env = export_fixture();
    env.program("git", ["init", "-q", "."]).ok();
    let before = env.snapshot();
    env.coffer(["export", "web/prod", "-o", ".env"])
        .fails(CONFLICT);
    assert_eq!(env.snapshot(), before);
}

// --------------------------------------------------------------------- run

/// `coffer run --no-masking web/prod -- sh -c SCRIPT`, which must succeed:
/// the values as injected, to compare (masking: tests/masking.rs).
fn unmasked_sh(env: &Env, script: &str) -> common::Out {
    env.coffer(["run", "--no-masking", "web/prod", "--", "sh", "-c", script])
        .ok()
}

#[test]
fn run_injects_the_variables() {
    let env = Env::with_vault();
    env.set("web/prod", "KEY", "the value");
    env.set("web/prod", "OTHER", "o'ther \"$x\"");
    let out = unmasked_sh(&env, "printf %s \"$KEY\"");
    assert_eq!(out.stdout, "the value");
    assert_eq!(out.stderr, "");
    let out = unmasked_sh(&env, "printf %s \"$OTHER\"");
    assert_eq!(out.stdout, "o'ther \"$x\"");
    // Arguments after -- are the child's, flags included.
    let out = env
        .coffer([
            "run",
            "web/prod",
            "--",
            "sh",
            "-c",
            "printf '%s|' \"$@\"",
            "sh",
            "--json",
            "-n",
        ])
        .ok();
    assert_eq!(out.stdout, "--json|-n|");
    // The child sees the caller's environment too.
    let out = env
        .coffer(["run", "web/prod", "--", "sh", "-c", "printf %s \"$EXTRA\""])
        .env("EXTRA", "kept")
        .ok();
    assert_eq!(out.stdout, "kept");
    let runs = env
        .audit()
        .iter()
        .filter(|e| {
            e["summary"]
                .as_str()
                .is_some_and(|s| s.starts_with("ran a command with "))
        })
        .count();
    assert!(runs >= 4, "runs are logged");
}

#[test]
fn run_passes_the_exit_code_through() {
    let env = Env::with_vault();
    env.set("web/prod", "KEY", "v");
    let out = env
        .coffer([
            "run",
            "web/prod",
            "--",
            "sh",
            "-c",
            "echo out; echo err >&2; exit 42",
        ])
        .run();
    assert_eq!(out.code, 42, "{out}");
    assert_eq!(out.stdout, "out\n");
    assert_eq!(out.stderr, "err\n");
    let out = env.coffer(["run", "web/prod", "--", "false"]).run();
    assert_eq!(out.code, 1, "{out}");
}

#[test]
fn run_a_missing_command_is_127() {
    let env = Env::with_vault();
    env.set("web/prod", "KEY", "v");
    for prog in ["no-such-command-xyz", "/nonexistent/bin/cmd"] {
        let out = env.coffer(["run", "web/prod", "--", prog]).run();
        assert_eq!(out.code, 127, "{out}");
        let lines: Vec<&str> = out.stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{out}");
        assert!(
            lines[0].starts_with(&format!("coffer: cannot run {prog}")),
            "{out}"
        );
        assert_eq!(out.stdout, "");
    }
}

#[test]
fn run_writes_nothing_to_disk() {
    let env = Env::with_vault();
    env.set("web/prod", "KEY", "v");
    let before = env.tree();
    env.coffer(["run", "web/prod", "--", "sh", "-c", "test \"$KEY\" = v"])
        .ok();
    env.coffer(["run", "web/prod", "--", "true"]).ok();
    // The vault's own WAL files may stay beside it (a read-only command
    // leaves its read events there: docs/design-decisions.md, "Read events:
    // fewer fsyncs per read"); nothing else appears.
    let vault_own = |t: std::collections::BTreeSet<std::path::PathBuf>| {
        t.into_iter()
            .filter(|p| !p.to_string_lossy().ends_with("vault.coffer-wal"))
            .filter(|p| !p.to_string_lossy().ends_with("vault.coffer-shm"))
            .collect::<std::collections::BTreeSet<_>>()
    };
    assert_eq!(vault_own(env.tree()), vault_own(before));
}

#[test]
fn run_does_not_hand_the_passphrase_to_the_child() {
    let env = Env::with_vault();
    env.set("web/prod", "KEY", "v");
    let out = env
        .coffer([
            "run",
            "web/prod",
            "--",
            "sh",
            "-c",
            "printf '%s|%s|%s' \"$KEY\" \"${COFFER_PASSPHRASE-unset}\" \"${COFFER_NEW_PASSPHRASE-unset}\"",
        ])
        .env("COFFER_NEW_PASSPHRASE", "next")
        .ok();
    assert_eq!(out.stdout, "v|unset|unset");
}

#[test]
fn run_failures() {
    let env = Env::with_vault();
    env.coffer(["run", "web/prod"]).usage_error();
    env.coffer(["run", "web/prod", "--"]).usage_error();
    let msg = env
        .coffer(["run", "web/nope", "--", "true"])
        .fails(NOT_FOUND);
    assert_eq!(msg, "environment web/nope not found");
    env.coffer(["run", "web/prod", "--", "true"])
        .env("COFFER_PASSPHRASE", "wrong")
        .fails(AUTH);
}

/// Anyone who can write to an environment must not get code execution as
/// whoever runs it: BASH_ENV names a script bash runs before the command.
#[test]
fn fail_run_refuses_a_variable_that_decides_what_code_runs() {
    let env = Env::with_vault();
    let marker = env.work().join("pwned");
    let payload = env.write("payload.sh", &format!("touch '{}'\n", marker.display()));
    let out = env
        .coffer(["set", "web/prod", "BASH_ENV"])
        .stdin(payload.to_str().expect("utf-8"))
        .ok();
    assert!(
        out.stderr
            .contains("coffer: warning: BASH_ENV changes what code runs (bash runs"),
        "{out}"
    );
    assert!(out.stderr.contains("--allow-var BASH_ENV"), "{out}");
    env.set("web/prod", "API_KEY", "v");
    let before = env.snapshot();
    let msg = env
        .coffer(["run", "web/prod", "--", "bash", "-c", "true"])
        .fails(CONFLICT);
    assert!(
        msg.starts_with("1 changes what code runs: BASH_ENV (bash runs"),
        "{msg}"
    );
    assert!(msg.contains("coffer run does not inject them"), "{msg}");
    assert!(msg.ends_with("add --allow-var NAME for each"), "{msg}");
    assert!(
        !msg.contains("payload") && !msg.contains("API_KEY"),
        "{msg}"
    );
    assert!(!marker.exists(), "the payload ran");
    assert_eq!(env.snapshot(), before, "a refused run is logged");
    // Allowing another name is not enough; allowing this one runs it.
    env.coffer([
        "run",
        "web/prod",
        "--allow-var",
        "PATH",
        "--",
        "bash",
        "-c",
        "true",
    ])
    .fails(CONFLICT);
    env.coffer([
        "run",
        "web/prod",
        "--allow-var",
        "BASH_ENV",
        "--",
        "bash",
        "-c",
        "true",
    ])
    .ok();
    assert!(marker.exists());
}

#[test]
fn fail_shell_and_dotenv_exports_refuse_a_loader_variable_unless_allowed() {
    let env = Env::with_vault();
    env.set("web/prod", "LD_PRELOAD", "/tmp/evil.so");
    env.set("web/prod", "API_KEY", "v");
    for format in ["shell", "dotenv"] {
        let msg = env
            .coffer(["export", "web/prod", "--format", format])
            .fails(CONFLICT);
        assert!(msg.contains("LD_PRELOAD (the dynamic loader"), "{msg}");
        assert!(
            msg.contains(&format!("a {format} export does not write them")),
            "{msg}"
        );
        assert!(!msg.contains("evil"), "{msg}");
        let out = env
            .coffer([
                "export",
                "web/prod",
                "--format",
                format,
                "--allow-var",
                "LD_PRELOAD",
            ])
            .ok();
        assert!(out.stdout.contains("LD_PRELOAD="), "{out}");
    }
    // JSON is data, and an example has no values: not refused.
    for format in ["json", "example"] {
        env.coffer(["export", "web/prod", "--format", format]).ok();
    }
}

// ------------------------------------------------------------------ import

#[test]
fn import_a_good_file() {
    let env = Env::with_vault();
    let file = env.write(
        "in.env",
        "# a comment\n\
         export A=1\n\
         B='single quoted'\n\
         C=\"double \\\"q\\\"\"\n\
         \n\
         D=\"line1\n\
         line2\"\n\
         E=unquoted # trailing comment\n\
         F=\n",
    );
    let out = env
        .coffer([
            "import",
            file.to_str().expect("utf-8"),
            "web/prod",
            "--allow-empty",
        ])
        .ok();
    assert_eq!(out.stdout, "");
    assert_eq!(
        out.stderr,
        "Imported into web/prod: 6 created, 0 updated.\n"
    );
    for (k, v) in [
        ("A", "1"),
        ("B", "single quoted"),
        ("C", "double \"q\""),
        ("D", "line1\nline2"),
        ("E", "unquoted"),
        ("F", ""),
    ] {
        assert_eq!(env.get("web/prod", k), v, "{k}");
    }
    // A relative path works too.
    env.coffer(["env", "add", "web/dev"]).ok();
    env.coffer(["import", "in.env", "web/dev", "--allow-empty"])
        .ok();
    assert_eq!(env.keys("web/dev").len(), 6);
}

#[test]
fn import_warns_about_variables_that_decide_what_code_runs() {
    let env = Env::with_vault();
    env.write(
        "in.env",
        "A=1\nNODE_OPTIONS=--max-old-space-size=4096\nPATH=/tmp/bin\n",
    );
    let out = env.coffer(["import", "in.env", "web/prod"]).ok();
    assert!(
        out.stderr
            .starts_with("Imported into web/prod: 3 created, 0 updated.\n"),
        "{out}"
    );
    assert!(
        out.stderr
            .contains("coffer: warning: NODE_OPTIONS changes what code runs"),
        "{out}"
    );
    assert!(
        out.stderr
            .contains("coffer: warning: PATH changes what code runs"),
        "{out}"
    );
    assert!(!out.stderr.contains("warning: A "), "{out}");
    assert!(
        !out.stderr.contains("4096") && !out.stderr.contains("/tmp/bin"),
        "{out}"
    );
    // Stored all the same.
    assert_eq!(env.get("web/prod", "PATH"), "/tmp/bin");
}

#[test]
fn import_a_bad_line_imports_nothing() {
    let env = Env::with_vault();
    env.set("web/prod", "KEEP", "k");
    let before = env.snapshot();
    for (contents, line) in [
        ("OK=1\nALSO=2\nthis is bad\nX=3\n", "line 3"),
        ("1A=2\n", "line 1"),
        ("OK=1\nQ=\"unterminated\n", "line 2"),
        ("Z=1\nZ=2\n", "line 2"),
    ] {
        let file = env.write("bad.env", contents);
        let msg = env
            .coffer(["import", file.to_str().expect("utf-8"), "web/prod"])
            .fails(INVALID);
        assert!(
            msg.contains(&format!("bad.env: 1 bad line, nothing imported: {line}: ")),
            "{contents:?}: {msg}"
        );
        assert_eq!(env.snapshot(), before, "{contents:?}");
    }
    // A value over the limit: refused, not echoed, nothing imported.
    let file = env.write(
        "big.env",
        &format!("A=1\nBIG={}\n", "bigsecret".repeat(8000)),
    );
    let msg = env
        .coffer(["import", file.to_str().expect("utf-8"), "web/prod"])
        .fails(INVALID);
    assert!(msg.contains("the value of BIG is too large"), "{msg}");
    assert!(!msg.contains("bigsecret"), "{msg}");
    assert_eq!(env.snapshot(), before);
}

#[test]
fn fail_import_reports_every_bad_line() {
    let env = Env::with_vault();
    env.set("web/prod", "KEEP", "k");
    let before = env.snapshot();
    env.write(
        "bad.env",
        "OK=1\nthis is bad\nB=$HOME-secret-text\nOK=2\nC=fine\n1D=x\n",
    );
    let msg = env.coffer(["import", "bad.env", "web/prod"]).fails(INVALID);
    assert_eq!(
        msg,
        "bad.env: 4 bad lines, nothing imported: \
         line 2: a key may contain only ASCII letters, digits and `_`, followed by `=`; \
         line 3: `$` in an unquoted value: parsers disagree on variable expansion; use single quotes; \
         line 4: key OK was already defined on line 1; \
         line 6: a key must start with a letter or `_`; \
         if one program reads this file, pass --dialect with its parser to read it \
         exactly as that parser does (the file reads without error as: --dialect node, --dialect python)"
    );
    assert!(!msg.contains("secret-text"), "{msg}");
    assert_eq!(env.snapshot(), before);

    // Past 20, the rest are counted.
    let many: String = (1..=45).map(|i| format!("bad line {i}\n")).collect();
    env.write("many.env", &many);
    let msg = env
        .coffer(["import", "many.env", "web/prod"])
        .fails(INVALID);
    assert!(
        msg.starts_with("many.env: 45 bad lines, nothing imported: line 1: "),
        "{msg}"
    );
    assert!(msg.contains("; line 20: "), "{msg}");
    assert!(!msg.contains("line 21: "), "{msg}");
    assert!(msg.contains("; and 25 more; "), "{msg}");
    assert_eq!(env.snapshot(), before);
}

#[test]
fn fail_import_an_empty_value_without_allow_empty() {
    let env = Env::with_vault();
    let before = env.snapshot();
    env.write("in.env", "A=1\nEMPTY=\nALSO_EMPTY=''\nB=2\n");
    let msg = env.coffer(["import", "in.env", "web/prod"]).fails(INVALID);
    assert_eq!(
        msg,
        "in.env: 2 bad lines, nothing imported: line 2: the value of EMPTY is empty; \
         line 3: the value of ALSO_EMPTY is empty; pass --allow-empty to import empty values"
    );
    assert_eq!(env.snapshot(), before);
    env.coffer(["import", "in.env", "web/prod", "--allow-empty"])
        .ok();
    assert_eq!(env.get("web/prod", "EMPTY"), "");
    assert_eq!(env.get("web/prod", "B"), "2");
}

#[test]
fn import_does_not_replace_without_overwrite() {
    let env = Env::with_vault();
    env.set("web/prod", "A", "original");
    let before = env.snapshot();
    let file = env.write("in.env", "NEW=3\nA=2\n");
    let msg = env.coffer(["import", "in.env", "web/prod"]).fails(CONFLICT);
    assert!(msg.contains("A in web/prod"), "{msg}");
    assert!(msg.contains("--overwrite"), "{msg}");
    assert_eq!(env.snapshot(), before);
    env.coffer(["get", "web/prod", "NEW"]).fails(NOT_FOUND);

    let out = env
        .coffer([
            "import",
            file.to_str().expect("utf-8"),
            "web/prod",
            "--overwrite",
        ])
        .ok();
    assert_eq!(
        out.stderr,
        "Imported into web/prod: 1 created, 1 updated.\n"
    );
    assert_eq!(env.get("web/prod", "A"), "2");
    assert_eq!(env.get("web/prod", "NEW"), "3");
    let h = env
        .coffer(["history", "web/prod", "A", "--reveal", "--json"])
        .ok()
        .json();
    assert_eq!(h[1]["value"], "original");
    // The same file again changes nothing.
    let out = env
        .coffer(["import", "in.env", "web/prod", "--overwrite"])
        .ok();
    assert_eq!(
        out.stderr,
        "Imported into web/prod: 0 created, 0 updated.\n"
    );
}

#[test]
fn import_failures() {
    let env = Env::with_vault();
    env.write("in.env", "A=1\n");
    let msg = env
        .coffer(["import", "missing.env", "web/prod"])
        .fails(NOT_FOUND);
    assert!(msg.contains("missing.env"), "{msg}");
    env.coffer(["import", "in.env", "web/nope"])
        .fails(NOT_FOUND);
    std::fs::write(env.work().join("bin.env"), b"A=\xff\n").expect("write");
    let msg = env.coffer(["import", "bin.env", "web/prod"]).fails(INVALID);
    assert!(msg.contains("not UTF-8"), "{msg}");
    assert!(env.keys("web/prod").is_empty());
}

// ------------------------------------------------------------------- audit

#[test]
fn audit_lists_the_kinds_and_never_the_values() {
    let env = Env::with_vault();
    env.set("web/prod", "K", "audit-secret-1");
    env.coffer(["rotate", "web/prod", "K"])
        .stdin("audit-secret-2")
        .ok();
    env.get("web/prod", "K");
    env.coffer(["env", "rekey", "web/prod"]).ok();
    env.coffer(["rm", "web/prod", "K"]).ok();

    let out = env.coffer(["audit"]).ok();
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[0].split_whitespace().collect::<Vec<_>>(),
        ["#", "TIME", "AUTHOR", "KIND", "WHAT"]
    );
    let log = env.audit();
    let kinds: Vec<&str> = log
        .iter()
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(kinds[..3], ["genesis", "env.add", "item.set"]);
    for k in ["read", "env.rekey"] {
        assert!(kinds.contains(&k), "{k} in {kinds:?}");
    }
    assert_eq!(lines.len(), log.len() + 1);
    for (i, e) in log.iter().enumerate() {
        assert_eq!(e["seq"], i as u64 + 1);
        assert_eq!(e["author"], "Ada");
        assert_eq!(e["outcome"], "applied");
        for f in ["time", "device", "device_seq", "summary"] {
            assert!(e.get(f).is_some(), "{f} in {e}");
        }
    }
    let json = env.coffer(["audit", "--json"]).ok();
    for s in ["audit-secret-1", "audit-secret-2", PASSPHRASE] {
        assert!(!out.all().contains(s), "{s} in audit");
        assert!(!json.all().contains(s), "{s} in audit --json");
    }
}

#[test]
fn audit_verify_on_a_good_vault() {
    let env = Env::with_vault();
    env.set("web/prod", "K", "v");
    env.set("web/prod", "L", "w");
    let out = env.coffer(["audit", "verify"]).ok();
    assert_eq!(
        out.stdout,
        "OK: 4 entries from 1 device, signatures valid, state matches the log, 2 items open.\n"
    );
    assert_eq!(out.stderr, "");
    let j = env.coffer(["audit", "verify", "--json"]).ok().json();
    assert_eq!(j["entries"], 4);
    assert_eq!(j["devices"], 1);
    assert_eq!(j["items_opened"], 2);
    assert_eq!(j["problems"], serde_json::json!([]));
    // `--json` is global to `audit`.
    env.coffer(["audit", "--json", "verify"]).ok().json();
}

#[test]
fn audit_verify_detects_a_modified_op() {
    let env = Env::with_vault();
    env.set("web/prod", "K", "v");
    {
        let db = rusqlite::Connection::open(env.vault_path()).expect("open");
        let mut body: Vec<u8> = db
            .query_row("SELECT body FROM ops WHERE seq = 3", [], |r| r.get(0))
            .expect("op 3");
        let i = body.len() / 2;
        body[i] ^= 0x01;
        let n = db
            .execute("UPDATE ops SET body = ?1 WHERE seq = 3", [&body])
            .expect("update");
        assert_eq!(n, 1);
    }
    let out = env.coffer(["audit", "verify"]).run();
    let msg = out.error(INTEGRITY);
    assert!(msg.starts_with("integrity check failed:"), "{msg}");
    assert!(out.stdout.starts_with("FAIL: entry 3 "), "{out}");
    assert!(out.stdout.contains("hash mismatch"), "{out}");
    assert!(out.stdout.lines().all(|l| l.starts_with("FAIL: ")), "{out}");

    let j = env.coffer(["audit", "verify", "--json"]).run();
    j.error(INTEGRITY);
    let j = j.json();
    assert!(!j["problems"].as_array().expect("problems").is_empty());
}

// -------------------------------------------------------------------- auth

#[test]
fn a_wrong_passphrase_is_an_auth_error() {
    let env = Env::with_vault();
    env.set("web/prod", "K", "v");
    let before = env.snapshot();
    let msg = env
        .coffer(["get", "web/prod", "K"])
        .env("COFFER_PASSPHRASE", "not the passphrase")
        .fails(AUTH);
    assert_eq!(msg, "wrong passphrase (or the identity file was modified)");
    let msg = env
        .coffer(["set", "web/prod", "K"])
        .env("COFFER_PASSPHRASE", "not the passphrase")
        .stdin("w")
        .fails(AUTH);
    assert!(!msg.contains("not the passphrase"));
    assert_eq!(env.snapshot(), before);
}

#[test]
fn failed_unlocks_back_off_across_processes() {
    let env = Env::with_vault();
    // A fixed clock makes the 1 s back-off deterministic.
    let t = unix_now().to_string();
    for _ in 0..3 {
        let msg = env
            .coffer(["ls"])
            .env("COFFER_PASSPHRASE", "wrong")
            .env("COFFER_NOW", &t)
            .fails(AUTH);
        assert!(msg.starts_with("wrong passphrase"), "{msg}");
    }
    // The right passphrase is refused now, by another process.
    let msg = env.coffer(["ls"]).env("COFFER_NOW", &t).fails(AUTH);
    assert!(msg.contains("too many failed unlock attempts"), "{msg}");
    assert!(msg.contains("try again in"), "{msg}");
    let msg = env
        .coffer(["passwd"])
        .env("COFFER_NOW", &t)
        .env("COFFER_NEW_PASSPHRASE", "x")
        .fails(AUTH);
    assert!(msg.contains("try again in"), "{msg}");
    // After the back-off it opens again, and the count is reset.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    env.coffer(["ls"]).ok();
    env.coffer(["ls"])
        .env("COFFER_PASSPHRASE", "wrong")
        .fails(AUTH);
    env.coffer(["ls"]).ok();
}

#[test]
fn the_clock_override_does_not_lift_a_lock_out() {
    let env = Env::with_vault();
    for _ in 0..6 {
        env.coffer(["ls"]).env("COFFER_PASSPHRASE", "wrong").run();
    }
    let future = (unix_now() + 365 * DAY).to_string();
    let msg = env.coffer(["ls"]).env("COFFER_NOW", &future).fails(AUTH);
    assert!(msg.contains("try again in"), "{msg}");
}

#[test]
fn no_passphrase_and_no_terminal_is_an_auth_error() {
    let env = Env::with_vault();
    // Detach from any controlling terminal so no prompt can be shown.
    let setsid = std::process::Command::new("setsid")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    let run = if setsid {
        env.program(
            "setsid",
            [
                OsStr::new("-w"),
                common::bin().as_os_str(),
                OsStr::new("ls"),
            ],
        )
    } else {
        env.coffer(["ls"])
    };
    let msg = run.env_remove("COFFER_PASSPHRASE").fails(AUTH);
    assert!(msg.contains("no passphrase available"), "{msg}");
    assert!(msg.contains("COFFER_PASSPHRASE"), "{msg}");
}

#[cfg(unix)]
#[test]
fn a_locked_vault_is_busy() {
    let env = Env::with_vault();
    let db = rusqlite::Connection::open(env.vault_path()).expect("open");
    db.execute_batch("BEGIN EXCLUSIVE").expect("lock");
    let msg = env.coffer(["set", "web/prod", "K"]).stdin("v").fails(BUSY);
    assert!(msg.contains("busy"), "{msg}");
    db.execute_batch("ROLLBACK").expect("unlock");
    drop(db);
    env.set("web/prod", "K", "v");
}

// ------------------------------------------------- help, usage, completions

#[test]
fn help_of_every_subcommand() {
    let env = Env::bare();
    let commands: &[&[&str]] = &[
        &[],
        &["identity"],
        &["identity", "new"],
        &["identity", "show"],
        &["passwd"],
        &["init"],
        &["env"],
        &["env", "add"],
        &["env", "ls"],
        &["env", "rekey"],
        &["set"],
        &["get"],
        &["ls"],
        &["rm"],
        &["history"],
        &["rotation"],
        &["rotate"],
        &["export"],
        &["run"],
        &["import"],
        &["audit"],
        &["audit", "verify"],
        &["completions"],
    ];
    for c in commands {
        let out = env.coffer(c.iter().chain(&["--help"])).ok();
        let usage = format!("Usage: coffer {}", c.join(" "));
        assert!(out.stdout.contains(usage.trim_end()), "{out}");
        assert_eq!(out.stderr, "");
        // `help SUBCOMMAND` says the same.
        if let Some((last, parents)) = c.split_last() {
            let via_help = env.coffer(parents.iter().chain(&["help", last])).ok();
            assert_eq!(via_help.stdout, out.stdout, "{c:?}");
        }
    }
    let top = env.coffer(["--help"]).ok().stdout;
    assert!(top.contains("Exit codes:"), "{top}");
    assert!(env.coffer(["--version"]).ok().stdout.starts_with("coffer "));
    // No subcommand: exit 2 with the help on stderr.
    let out = env.coffer::<[&str; 0], &str>([]).run();
    assert_eq!(out.code, 2, "{out}");
    assert_eq!(out.stdout, "");
    assert!(
        out.stderr.contains("Usage: coffer [OPTIONS] <COMMAND>"),
        "{out}"
    );
}

#[test]
fn unknown_subcommands_and_flags_are_usage_errors() {
    let env = Env::with_vault();
    let out = env.coffer(["frobnicate"]).usage_error();
    assert!(
        out.stderr.contains("unrecognized subcommand 'frobnicate'"),
        "{out}"
    );
    env.coffer(["env", "frobnicate"]).usage_error();
    env.coffer(["ls", "--bogus"]).usage_error();
    env.coffer(["get", "web/prod", "K", "--reveal"])
        .usage_error();
}

#[test]
fn completions() {
    let env = Env::bare();
    for (shell, marker) in [
        ("bash", "complete -F"),
        ("zsh", "#compdef coffer"),
        ("fish", "complete -c coffer"),
    ] {
        let out = env.coffer(["completions", shell]).ok();
        assert!(out.stdout.contains(marker), "{shell}");
        for sub in ["identity", "rotation", "export", "import"] {
            assert!(out.stdout.contains(sub), "{shell}: {sub}");
        }
        assert_eq!(out.stderr, "");
    }
    env.coffer(["completions", "tcsh"]).usage_error();
}

// ---------------------------------------------- failures change nothing

#[test]
fn a_failed_command_leaves_the_vault_unchanged() {
    let env = Env::with_vault();
    env.set("web/prod", "A", "a");
    env.coffer(["set", "web/prod", "B", "--notes", "b notes"])
        .stdin("b")
        .ok();
    env.write("conflict.env", "C=1\nA=2\n");
    env.write("bad.env", "C=1\nnot a line\n");
    let before = env.snapshot();

    env.coffer(["set", "web/prod", "bad-key"])
        .stdin("x")
        .fails(INVALID);
    env.coffer(["set", "web/prod", "B", "--rotate-every", "soon"])
        .stdin("x")
        .fails(INVALID);
    env.coffer(["set", "web/prod", "B", "--no-value", "--expires", "never"])
        .fails(INVALID);
    env.coffer(["set", "web/prod", "C"])
        .stdin("x".repeat(70_000))
        .fails(INVALID);
    env.coffer(["set", "web/prod", "C"])
        .env("COFFER_PASSPHRASE", "wrong")
        .stdin("x")
        .fails(AUTH);
    env.coffer(["import", "bad.env", "web/prod"]).fails(INVALID);
    env.coffer(["import", "conflict.env", "web/prod"])
        .fails(CONFLICT);
    env.coffer(["rotate", "web/prod", "A"])
        .stdin("a")
        .fails(INVALID);
    env.coffer(["rm", "web/prod", "NOPE"]).fails(NOT_FOUND);
    env.coffer(["env", "add", "web/prod"]).fails(CONFLICT);
    env.coffer(["init", "--name", "Again"]).fails(CONFLICT);
    env.coffer(["get", "web/prod", "NOPE"]).fails(NOT_FOUND);
    env.coffer(["export", "web/prod", "--format", "xml"])
        .fails(INVALID);

    assert_eq!(env.snapshot(), before);
    assert_eq!(env.get("web/prod", "A"), "a");
    // The one successful `get` above is the only change: a read entry.
    let after = env.audit();
    assert_eq!(after.len(), before.0 + 1);
    assert_eq!(after[before.0]["kind"], "read");
    env.coffer(["audit", "verify"]).ok();
}

#[test]
fn a_closed_stdout_is_not_a_crash() {
    // `coffer … | head -1`: the reader goes away early; no panic, no trace.
    let env = Env::with_vault();
    env.set("web/prod", "K", "v");
    // The reader (`true`) is gone before coffer writes: a certain EPIPE.
    for cmd in [
        "(sleep 0.3; coffer completions zsh) | true",
        "(sleep 0.3; coffer ls) | true",
    ] {
        let out = env
            .program(
                "sh",
                [
                    "-c",
                    &format!(
                        "PATH=\"{}:$PATH\"; {cmd}",
                        common::bin().parent().unwrap().display()
                    ),
                ],
            )
            .run();
        assert!(!out.stderr.contains("panicked"), "{cmd}: {out}");
    }
}
