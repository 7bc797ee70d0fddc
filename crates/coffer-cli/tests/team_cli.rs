//! End-to-end tests of the team commands (issue 3): several devices, each
//! with its own `COFFER_HOME` and identity, run `coffer` against ONE vault
//! file (`COFFER_VAULT`). Member add/ls/role/offboard/report, grant,
//! ungrant, share, unshare, `ls --shared`, `rotation --exposed`, with
//! their exit codes (5 permission, 6 integrity, 8 refused).

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use common::{Env, Run};
use serde_json::Value;

const NOT_FOUND: i32 = 4;
const PERMISSION: i32 = 5;
const INTEGRITY: i32 = 6;
const INVALID: i32 = 7;
const CONFLICT: i32 = 8;
const GATE: i32 = 10;

/// Another device: its own home and identity named `name`.
struct Device {
    env: Env,
    vault: PathBuf,
    public_identity: String,
    fingerprint: String,
}

impl Device {
    fn new(name: &str, vault: &Path) -> Self {
        let env = Env::bare();
        let (public_identity, fingerprint) = common::new_identity(&env, name);
        Device {
            env,
            vault: vault.to_path_buf(),
            public_identity,
            fingerprint,
        }
    }

    /// `coffer ARGS` on this device, against the shared vault file.
    fn coffer<I, S>(&self, args: I) -> Run
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        self.env.coffer(args).env("COFFER_VAULT", &self.vault)
    }

    fn get(&self, env: &str, key: &str) -> String {
        self.coffer(["get", "-n", env, key]).ok().stdout
    }
}

/// Ada's vault: `web/prod` (API_KEY with two versions, DB_PASS with a url
/// and notes), `web/dev` (OTHER), `ops/prod` (SHARED, PRIVATE).
fn team() -> Env {
    let ada = Env::with_vault();
    ada.coffer(["env", "add", "web/dev"]).ok();
    ada.coffer(["env", "add", "ops/prod"]).ok();
    ada.set("web/prod", "API_KEY", "api-v1");
    ada.set("web/prod", "API_KEY", "api-v2");
    ada.coffer([
        "set",
        "web/prod",
        "DB_PASS",
        "--url",
        "https://db.example.com",
        "--notes",
        "owner: data team",
    ])
    .stdin("db-pass")
    .ok();
    ada.set("web/dev", "OTHER", "dev-other");
    ada.set("ops/prod", "SHARED", "shared-value");
    ada.set("ops/prod", "PRIVATE", "private-value");
    ada
}

fn add(ada: &Env, d: &Device, name: &str, role: &str, grants: &[&str]) {
    let mut args = vec![
        "member".to_string(),
        "add".into(),
        d.public_identity.clone(),
        "--name".into(),
        name.into(),
        "--role".into(),
        role.into(),
        "--fingerprint".into(),
        d.fingerprint.clone(),
    ];
    for g in grants {
        args.push("--grant".into());
        args.push(g.to_string());
    }
    let out = ada.coffer(args).ok();
    assert!(
        out.stderr.contains(&format!("Added {name} as {role} with")),
        "{out}"
    );
}

fn members(ada: &Env) -> Vec<Value> {
    ada.coffer(["member", "ls", "--json"])
        .ok()
        .json()
        .as_array()
        .expect("array")
        .clone()
}

fn member(ada: &Env, name: &str) -> Value {
    members(ada)
        .into_iter()
        .find(|m| m["name"] == name)
        .unwrap_or_else(|| panic!("no member {name}"))
}

fn keys_of(v: &Value) -> BTreeSet<String> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|i| {
            format!(
                "{}/{} {}",
                i["project"].as_str().expect("project"),
                i["env"].as_str().expect("env"),
                i["name"].as_str().expect("name")
            )
        })
        .collect()
}

fn set_of(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}

// ------------------------------------------------------------ grants

#[test]
fn each_device_sees_exactly_what_its_grants_allow() {
    let ada = team();
    let bob = Device::new("Bob", &ada.vault_path());
    let carol = Device::new("Carol", &ada.vault_path());
    add(&ada, &bob, "bob", "reader", &["web/prod:read"]);
    add(
        &ada,
        &carol,
        "carol",
        "member",
        &["web/prod", "web/dev:write"],
    );

    // Bob: web/prod only, read.
    assert_eq!(bob.get("web/prod", "API_KEY"), "api-v2");
    let msg = bob.coffer(["get", "web/dev", "OTHER"]).fails(PERMISSION);
    assert!(msg.contains("permission denied"), "{msg}");
    bob.coffer(["get", "ops/prod", "SHARED"]).fails(PERMISSION);
    let envs = bob.coffer(["env", "ls", "--json"]).ok().json();
    let seen: BTreeSet<(String, bool)> = envs
        .as_array()
        .expect("array")
        .iter()
        .map(|e| {
            (
                format!(
                    "{}/{}",
                    e["project"].as_str().expect("p"),
                    e["name"].as_str().expect("n")
                ),
                e["readable"].as_bool().expect("readable"),
            )
        })
        .collect();
    assert_eq!(
        seen,
        [
            ("ops/prod".to_string(), false),
            ("web/dev".to_string(), false),
            ("web/prod".to_string(), true)
        ]
        .into_iter()
        .collect()
    );
    assert_eq!(
        keys_of(&bob.coffer(["ls", "--json"]).ok().json()),
        set_of(&["web/prod API_KEY", "web/prod DB_PASS"])
    );
    // A reader's write: exit 5, recorded as denied.
    let msg = bob
        .coffer(["set", "web/prod", "API_KEY"])
        .stdin("bob-was-here")
        .fails(PERMISSION);
    assert!(msg.contains("permission denied"), "{msg}");
    let last = ada.audit().pop().expect("entry");
    assert_eq!(
        (&last["author"], &last["kind"], &last["outcome"]),
        (
            &Value::from("bob"),
            &Value::from("item.set"),
            &Value::from("denied")
        ),
        "{last}"
    );
    bob.coffer(["rm", "web/prod", "DB_PASS"]).fails(PERMISSION);
    bob.coffer(["env", "add", "web/bob"]).fails(PERMISSION);
    assert_eq!(ada.get("web/prod", "API_KEY"), "api-v2");

    // Carol: writes web/dev, only reads web/prod.
    carol
        .coffer(["set", "web/dev", "OTHER"])
        .stdin("carol-wrote")
        .ok();
    carol
        .coffer(["set", "web/prod", "API_KEY"])
        .stdin("carol-was-here")
        .fails(PERMISSION);
    assert_eq!(carol.get("web/prod", "API_KEY"), "api-v2");
    assert_eq!(ada.get("web/dev", "OTHER"), "carol-wrote");
    carol
        .coffer(["get", "ops/prod", "PRIVATE"])
        .fails(PERMISSION);
    carol.coffer(["grant", "bob", "web/dev"]).fails(PERMISSION);

    // `grant` and `ungrant` by the owner.
    ada.coffer(["grant", "bob", "web/dev"]).ok();
    assert_eq!(bob.get("web/dev", "OTHER"), "carol-wrote");
    bob.coffer(["set", "web/dev", "OTHER"])
        .stdin("x")
        .fails(PERMISSION);
    let out = ada.coffer(["ungrant", "bob", "web/dev"]).ok();
    assert!(out.stderr.contains("re-keyed"), "{out}");
    bob.coffer(["get", "web/dev", "OTHER"]).fails(PERMISSION);
    ada.coffer(["grant", "bob", "web/dev:admin"]).fails(INVALID);
    ada.coffer(["grant", "nobody", "web/dev"]).fails(NOT_FOUND);
    ada.coffer(["audit", "verify"]).ok();
}

#[test]
fn member_ls_shows_roles_fingerprints_and_grants() {
    let ada = team();
    let bob = Device::new("Bob", &ada.vault_path());
    add(
        &ada,
        &bob,
        "bob",
        "member",
        &["web/prod:read", "web/dev:write"],
    );
    let m = member(&ada, "bob");
    assert_eq!(m["role"], "member");
    assert_eq!(m["status"], "active");
    assert_eq!(m["fingerprint"], bob.fingerprint.as_str());
    assert_eq!(m["added_by"], "Ada");
    assert_eq!(
        m["grants"],
        serde_json::json!(["web/dev:write", "web/prod:read"])
    );
    let table = ada.coffer(["member", "ls"]).ok().stdout;
    let line = table
        .lines()
        .find(|l| l.starts_with("bob "))
        .unwrap_or_else(|| panic!("{table}"));
    for part in ["member", "active", &bob.fingerprint, "web/prod:read"] {
        assert!(line.contains(part), "{part} missing: {line}");
    }
    ada.coffer(["member", "role", "bob", "admin"]).ok();
    assert_eq!(member(&ada, "bob")["role"], "admin");
    // Bob, now admin, sees the member list too.
    assert_eq!(
        bob.coffer(["member", "ls", "--json"]).ok().json(),
        ada.coffer(["member", "ls", "--json"]).ok().json()
    );
}

// ------------------------------------------------------------ add

#[test]
fn member_add_needs_the_right_fingerprint_confirmed() {
    let ada = team();
    let bob = Device::new("Bob", &ada.vault_path());
    let carol = Device::new("Carol", &ada.vault_path());
    let before = members(&ada);
    let audit_before = ada.audit().len();

    // No --fingerprint and no terminal to ask on: refused, nothing added.
    let out = ada
        .coffer(["member", "add", &bob.public_identity, "--name", "bob"])
        .run();
    assert_eq!(out.code, CONFLICT, "{out}");
    let last = out.stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("coffer: ") && last.contains("nothing was added"),
        "{out}"
    );
    assert!(
        out.stderr.contains(&bob.fingerprint),
        "the fingerprint is shown\n{out}"
    );
    // The wrong fingerprint: integrity failure, nothing added.
    let msg = ada
        .coffer([
            "member",
            "add",
            &bob.public_identity,
            "--name",
            "bob",
            "--grant",
            "web/prod",
            "--fingerprint",
            &carol.fingerprint,
        ])
        .fails(INTEGRITY);
    assert!(msg.contains("does not match"), "{msg}");
    assert_eq!(members(&ada), before);
    assert_eq!(ada.audit().len(), audit_before, "no op for a refused add");
    bob.coffer(["get", "web/prod", "API_KEY"]).fails(PERMISSION);

    // Garbage instead of a public identity, an unknown role, a bad grant.
    ada.coffer([
        "member",
        "add",
        "coffer1-nope",
        "--name",
        "x",
        "--fingerprint",
        "00",
    ])
    .fails(INVALID);
    ada.coffer([
        "member",
        "add",
        &bob.public_identity,
        "--name",
        "bob",
        "--role",
        "boss",
        "--fingerprint",
        &bob.fingerprint,
    ])
    .fails(INVALID);
    ada.coffer([
        "member",
        "add",
        &bob.public_identity,
        "--name",
        "bob",
        "--grant",
        "web/nope",
        "--fingerprint",
        &bob.fingerprint,
    ])
    .fails(NOT_FOUND);
    assert_eq!(members(&ada), before);

    // The right one, typed in lower case with spaces: added.
    let typed = bob.fingerprint.to_lowercase().replace('-', " ");
    ada.coffer([
        "member",
        "add",
        &bob.public_identity,
        "--name",
        "bob",
        "--grant",
        "web/prod",
        "--fingerprint",
        &typed,
    ])
    .ok();
    assert_eq!(bob.get("web/prod", "API_KEY"), "api-v2");
    // The same identity twice: a conflict.
    ada.coffer([
        "member",
        "add",
        &bob.public_identity,
        "--name",
        "bob2",
        "--fingerprint",
        &bob.fingerprint,
    ])
    .fails(CONFLICT);
}

// ------------------------------------------------------------ roles

#[test]
fn roles_are_enforced_from_the_cli() {
    let ada = team();
    let dan = Device::new("Dan", &ada.vault_path());
    let bob = Device::new("Bob", &ada.vault_path());
    let eve = Device::new("Eve", &ada.vault_path());
    add(&ada, &dan, "dan", "admin", &["web/prod:write"]);
    add(&ada, &bob, "bob", "reader", &["web/prod"]);

    // The last owner cannot be demoted or offboarded; nobody offboards
    // themselves.
    let msg = ada
        .coffer(["member", "role", "Ada", "admin"])
        .fails(CONFLICT);
    assert!(msg.contains("at least one owner"), "{msg}");
    let msg = ada
        .coffer(["member", "offboard", "Ada", "--yes"])
        .fails(CONFLICT);
    assert!(msg.contains("yourself"), "{msg}");
    let msg = dan
        .coffer(["member", "offboard", "dan", "--yes"])
        .fails(CONFLICT);
    assert!(msg.contains("yourself"), "{msg}");

    // An admin adds below owner only and leaves owners alone.
    let args = |role: &str| {
        vec![
            "member".to_string(),
            "add".into(),
            eve.public_identity.clone(),
            "--name".into(),
            "eve".into(),
            "--role".into(),
            role.into(),
            "--fingerprint".into(),
            eve.fingerprint.clone(),
        ]
    };
    let msg = dan.coffer(args("owner")).fails(PERMISSION);
    assert!(msg.contains("permission denied"), "{msg}");
    assert!(members(&ada).iter().all(|m| m["name"] != "eve"));
    dan.coffer(["member", "role", "bob", "owner"])
        .fails(PERMISSION);
    dan.coffer(["member", "role", "bob", "member"]).ok();
    dan.coffer(args("member")).ok();
    assert_eq!(member(&ada, "eve")["added_by"], "dan");
    // With a second owner the admin still cannot touch an owner.
    ada.coffer(["member", "role", "eve", "owner"]).ok();
    dan.coffer(["member", "role", "Ada", "admin"])
        .fails(PERMISSION);
    // (Refused before any op is built: Dan holds no key for web/dev.)
    dan.coffer(["member", "offboard", "Ada", "--yes"])
        .fails(PERMISSION);
    let denied: Vec<Value> = ada
        .audit()
        .into_iter()
        .filter(|e| e["outcome"] == "denied")
        .collect();
    let kinds: Vec<&str> = denied
        .iter()
        .map(|e| e["kind"].as_str().expect("kind"))
        .collect();
    assert_eq!(
        kinds,
        ["member.add", "member.role", "member.role"],
        "every op refused by its role is recorded: {denied:?}"
    );
    assert!(denied.iter().all(|e| e["author"] == "dan"));
    // A reader changes nothing.
    bob.coffer(["member", "role", "eve", "reader"])
        .fails(PERMISSION);
    ada.coffer(["member", "role", "bob", "boss"]).fails(INVALID);
    ada.coffer(["audit", "verify"]).ok();
}

// ------------------------------------------------------------ shares

#[test]
fn a_share_opens_one_item_and_ls_shared_lists_it() {
    let ada = team();
    let bob = Device::new("Bob", &ada.vault_path());
    add(&ada, &bob, "bob", "reader", &[]);
    let out = ada
        .coffer(["share", "ops/prod", "SHARED", "--with", "bob"])
        .ok();
    assert!(
        out.stderr.contains("Shared SHARED of ops/prod with bob"),
        "{out}"
    );

    assert_eq!(bob.get("ops/prod", "SHARED"), "shared-value");
    bob.coffer(["get", "ops/prod", "PRIVATE"]).fails(PERMISSION);
    bob.coffer(["history", "ops/prod", "PRIVATE"])
        .fails(PERMISSION);
    assert_eq!(
        keys_of(&bob.coffer(["ls", "--json"]).ok().json()),
        set_of(&["ops/prod SHARED"])
    );
    bob.coffer(["set", "ops/prod", "SHARED"])
        .stdin("x")
        .fails(PERMISSION);

    // The owner's view: `ls --shared`, table and JSON.
    let out = ada.coffer(["ls", "--shared"]).ok();
    let rows: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(rows.len(), 2, "{out}");
    assert!(rows[0].ends_with("SHARED WITH"), "{out}");
    assert!(rows[1].starts_with("ops/prod"), "{out}");
    assert!(
        rows[1].contains("SHARED") && rows[1].ends_with("bob"),
        "{out}"
    );
    assert!(!out.stdout.contains("shared-value"), "{out}");
    let j = ada.coffer(["ls", "--shared", "--json"]).ok().json();
    assert_eq!(keys_of(&j), set_of(&["ops/prod SHARED"]));
    assert_eq!(j[0]["shared_with"], serde_json::json!(["bob"]));
    // Per item in the normal listing too.
    let all = ada.coffer(["ls", "ops/prod", "--json"]).ok().json();
    for i in all.as_array().expect("array") {
        let want = if i["name"] == "SHARED" {
            serde_json::json!(["bob"])
        } else {
            serde_json::json!([])
        };
        assert_eq!(i["shared_with"], want, "{i}");
    }

    let out = ada
        .coffer(["unshare", "ops/prod", "SHARED", "--with", "bob"])
        .ok();
    assert!(out.stderr.contains("its key was replaced"), "{out}");
    bob.coffer(["get", "ops/prod", "SHARED"]).fails(PERMISSION);
    let out = ada.coffer(["ls", "--shared"]).ok();
    assert!(
        out.stdout.is_empty() && out.stderr.contains("No credentials."),
        "{out}"
    );
    assert_eq!(ada.get("ops/prod", "SHARED"), "shared-value");
    ada.coffer(["unshare", "ops/prod", "SHARED", "--with", "bob"])
        .fails(NOT_FOUND);
    ada.coffer(["share", "ops/prod", "NOPE", "--with", "bob"])
        .fails(NOT_FOUND);
    ada.coffer(["audit", "verify"]).ok();
}

// ------------------------------------------------------------ offboarding

/// Splits one CSV line of the report (every text field is quoted).
fn csv_fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                cur.push('"');
                chars.next();
            }
            ('"', _) => quoted = !quoted,
            (',', false) => out.push(std::mem::take(&mut cur)),
            (c, _) => cur.push(c),
        }
    }
    out.push(cur);
    out
}

#[test]
fn offboarding_from_the_cli_re_keys_reports_and_tracks_rotation() {
    let ada = team();
    let bob = Device::new("Bob", &ada.vault_path());
    let carol = Device::new("Carol", &ada.vault_path());
    add(
        &ada,
        &bob,
        "bob",
        "member",
        &["web/prod:read", "web/dev:write"],
    );
    add(&ada, &carol, "carol", "reader", &["web/prod"]);
    ada.coffer(["share", "ops/prod", "SHARED", "--with", "bob"])
        .ok();
    assert_eq!(bob.get("web/dev", "OTHER"), "dev-other");

    // Not confirmed (no terminal, no --yes): nothing changes.
    let audit_before = ada.audit().len();
    let msg = ada.coffer(["member", "offboard", "bob"]).fails(CONFLICT);
    assert!(msg.contains("nothing changed"), "{msg}");
    ada.coffer(["member", "offboard", "bob", "--yes", "--format", "xml"])
        .fails(INVALID);
    assert_eq!(ada.audit().len(), audit_before);
    assert_eq!(bob.get("web/prod", "API_KEY"), "api-v2");

    let report_file = ada.work().join("bob-report.csv");
    let out = ada
        .coffer([
            "member",
            "offboard",
            "bob",
            "--yes",
            "--format",
            "csv",
            "--report",
            report_file.to_str().expect("utf-8"),
        ])
        .ok();
    assert!(
        out.stderr.contains("Offboarded bob: 4 credentials exposed"),
        "{out}"
    );
    assert!(
        !out.stderr.contains("Re-keying ["),
        "no progress bar off a terminal\n{out}"
    );
    for v in ["api-v1", "api-v2", "db-pass", "dev-other", "shared-value"] {
        assert!(!out.all().contains(v), "a value in the report: {v}\n{out}");
    }
    let lines: Vec<&str> = out.stdout.lines().collect();
    assert_eq!(
        lines[0],
        "environment,key,rotated,last_rotated,url,notes,others_with_access"
    );
    let rows: Vec<Vec<String>> = lines[1..].iter().map(|l| csv_fields(l)).collect();
    let got: Vec<(String, String, String)> = rows
        .iter()
        .map(|r| (r[0].clone(), r[1].clone(), r[2].clone()))
        .collect();
    let want: Vec<(String, String, String)> = [
        ("ops/prod", "SHARED"),
        ("web/dev", "OTHER"),
        ("web/prod", "API_KEY"),
        ("web/prod", "DB_PASS"),
    ]
    .iter()
    .map(|(e, k)| (e.to_string(), k.to_string(), "false".to_string()))
    .collect();
    assert_eq!(got, want, "{out}");
    let db = &rows[3];
    assert_eq!(db.len(), 7, "{db:?}");
    assert_eq!(db[4], "https://db.example.com");
    assert_eq!(db[5], "owner: data team");
    let others: BTreeSet<&str> = db[6].split("; ").collect();
    assert_eq!(others, BTreeSet::from(["Ada", "carol"]), "{db:?}");
    assert!(db[3].starts_with("20"), "last rotated: {db:?}");
    assert_eq!(
        std::fs::read_to_string(&report_file).expect("report file"),
        out.stdout,
        "--report writes the same report"
    );

    // Bob's device: revoked.
    let msg = bob.coffer(["get", "web/prod", "API_KEY"]).fails(PERMISSION);
    assert!(msg.contains("revoked"), "{msg}");
    bob.coffer(["ls"]).fails(PERMISSION);
    let m = member(&ada, "bob");
    assert_eq!(m["status"], "revoked");
    assert_eq!(m["grants"], serde_json::json!([]));
    ada.coffer(["member", "offboard", "bob", "--yes"])
        .fails(CONFLICT);
    ada.coffer(["grant", "bob", "web/prod"]).fails(CONFLICT);

    // Everyone else still reads; history too.
    assert_eq!(carol.get("web/prod", "API_KEY"), "api-v2");
    assert_eq!(carol.get("web/prod", "DB_PASS"), "db-pass");
    assert_eq!(ada.get("ops/prod", "SHARED"), "shared-value");
    assert_eq!(ada.get("web/dev", "OTHER"), "dev-other");
    let h = ada
        .coffer(["history", "web/prod", "API_KEY", "--reveal", "--json"])
        .ok()
        .json();
    let values: Vec<&str> = h
        .as_array()
        .expect("array")
        .iter()
        .map(|e| e["value"].as_str().expect("value"))
        .collect();
    assert_eq!(values, ["api-v2", "api-v1"]);

    // The report stays queryable, in every format.
    let j = ada
        .coffer(["member", "report", "bob", "--format", "json"])
        .ok()
        .json();
    assert_eq!(j["member"], "bob");
    assert_eq!(j["fingerprint"], bob.fingerprint.as_str());
    let items = j["items"].as_array().expect("items");
    assert_eq!(items.len(), 4);
    assert!(items.iter().all(|i| i["rotated"] == false));
    let md = ada
        .coffer(["member", "report", "bob", "--format", "md"])
        .ok()
        .stdout;
    assert!(md.starts_with("# Exposure report: bob\n"), "{md}");
    for part in [
        "## web/prod",
        "## web/dev",
        "## ops/prod",
        "- [ ] `API_KEY`",
        "- [ ] `DB_PASS`",
        "https://db.example.com",
        "4 credentials could be read; 4 still to rotate",
    ] {
        assert!(md.contains(part), "{part} missing:\n{md}");
    }
    let table = ada.coffer(["member", "report", "bob"]).ok().stdout;
    assert!(
        table.contains("4 credentials, 4 still to rotate"),
        "{table}"
    );

    // Rotation: `--exposed` lists them and gates CI.
    let exposed = ada.coffer(["rotation", "--exposed", "--json"]).ok().json();
    assert_eq!(
        keys_of(&exposed),
        set_of(&[
            "ops/prod SHARED",
            "web/dev OTHER",
            "web/prod API_KEY",
            "web/prod DB_PASS"
        ])
    );
    let out = ada.coffer(["rotation", "--exposed"]).ok();
    assert_eq!(out.stdout.lines().count(), 5, "{out}");
    assert!(
        out.stdout.lines().skip(1).all(|l| l.starts_with("exposed")),
        "{out}"
    );
    assert_eq!(
        ada.coffer(["rotation", "--fail-on", "exposed"]).run().code,
        GATE
    );

    // Changing a value clears its flag; the report marks it rotated.
    ada.coffer(["rotate", "web/prod", "API_KEY", "--generate"])
        .ok();
    ada.set("web/dev", "OTHER", "dev-other-rotated");
    let exposed = ada.coffer(["rotation", "--exposed", "--json"]).ok().json();
    assert_eq!(
        keys_of(&exposed),
        set_of(&["ops/prod SHARED", "web/prod DB_PASS"])
    );
    let j = ada
        .coffer(["member", "report", "bob", "--format", "json"])
        .ok()
        .json();
    let rotated: Vec<(String, bool)> = j["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| {
            (
                i["key"].as_str().expect("key").to_string(),
                i["rotated"].as_bool().expect("rotated"),
            )
        })
        .collect();
    assert_eq!(
        rotated,
        [
            ("SHARED".to_string(), false),
            ("OTHER".to_string(), true),
            ("API_KEY".to_string(), true),
            ("DB_PASS".to_string(), false)
        ]
    );
    let csv = ada
        .coffer(["member", "report", "bob", "--format", "csv"])
        .ok()
        .stdout;
    assert!(csv.contains("\"web/prod\",\"API_KEY\",true,"), "{csv}");
    ada.coffer(["member", "report", "carol"]).fails(NOT_FOUND);
    ada.coffer(["member", "report", "bob", "--format", "pdf"])
        .fails(INVALID);
    ada.coffer(["audit", "verify"]).ok();
}

#[test]
fn offboard_dry_run_previews_and_changes_nothing() {
    let ada = team();
    let bob = Device::new("Bob", &ada.vault_path());
    add(
        &ada,
        &bob,
        "bob",
        "member",
        &["web/prod:read", "web/dev:write"],
    );
    let before = ada.snapshot();
    let out = ada
        .coffer(["member", "offboard", "bob", "--dry-run", "--format", "json"])
        .ok();
    let p = out.json();
    let envs: BTreeSet<String> = p["rekey"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["env"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(envs, set_of(&["web/dev", "web/prod"]));
    let exposed: BTreeSet<String> = p["exposed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        exposed,
        set_of(&["web/dev/OTHER", "web/prod/API_KEY", "web/prod/DB_PASS"])
    );
    assert!(p["rekey"][0]["keep_access"]
        .as_array()
        .unwrap()
        .iter()
        .any(|n| n == "Ada"));
    // Nothing changed: no op, same state; Bob still reads.
    assert_eq!(ada.snapshot(), before);
    assert_eq!(bob.get("web/prod", "API_KEY"), "api-v2");
}

#[test]
fn restore_brings_an_old_value_back_as_a_new_version() {
    let ada = team();
    ada.coffer(["restore", "web/prod", "API_KEY", "1"]).ok();
    assert_eq!(ada.get("web/prod", "API_KEY"), "api-v1");
    let h = ada
        .coffer(["history", "web/prod", "API_KEY", "--json"])
        .ok()
        .json();
    assert_eq!(h.as_array().unwrap().len(), 3, "history is kept");
    let msg = ada.coffer(["restore", "web/prod", "API_KEY", "9"]).fails(4);
    assert!(msg.contains("version 9"), "{msg}");
}
