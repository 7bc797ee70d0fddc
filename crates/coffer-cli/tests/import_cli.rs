//! `coffer import` from other tools, through the built binary: `.env`
//! files read as one parser reads them (`--dialect`), other managers'
//! exports (Bitwarden's password-protected one too), KeePass `.kdbx`
//! databases made by the real `keepassxc-cli`, `--dry-run` for every
//! source, and no value in any output.

mod common;

use common::Env;

const INVALID: i32 = 7;
const BW_PASSWORD: &str = "correct horse fixture";
const KDBX_PASSWORD: &str = "kdbx fixture pass";

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

/// docker compose's `.env`, the documentation's fixture (read byte for byte
/// as compose-go reads it: `coffer-dotenv/tests/dialect_read.rs`), through
/// the binary; then what depends on the environment, refused line by line.
#[test]
fn dialect_compose_interpolates_from_the_file() {
    let env = Env::with_vault();
    env.coffer(["env", "add", "shop/dev"]).ok();
    let fixture = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../coffer-dotenv/tests/dialect/compose-app.env");
    env.write(
        "compose.env",
        &std::fs::read_to_string(fixture).expect("compose fixture"),
    );
    let out = env
        .coffer([
            "import",
            "compose.env",
            "shop/dev",
            "--dialect",
            "compose",
            "--allow-empty",
        ])
        .ok();
    assert!(out.stderr.contains("14 created"), "{out}");
    assert_eq!(env.get("shop/dev", "CACHE_TTL"), "");
    assert_eq!(
        env.get("shop/dev", "DATABASE_URL"),
        "postgres://app:pa$word-$-sec'ret@db:5432/shop_shop"
    );
    assert_eq!(
        env.get("shop/dev", "LITERAL"),
        "${POSTGRES_USER} stays as written"
    );
    assert_eq!(env.get("shop/dev", "REDIS_URL"), "redis://cache");
    assert_eq!(env.get("shop/dev", "EXTRA_OPTS"), "--user=app");
    assert_eq!(env.get("shop/dev", "GREETING"), "line one\nline two");
    assert_eq!(env.get("shop/dev", "HASH_IN_VALUE"), "abc#def");
    assert_eq!(env.get("shop/dev", "SPACE_HASH"), "abc");
    assert_eq!(env.get("shop/dev", "YAML_STYLE"), "value");

    let before = env.snapshot();
    env.write("bad.env", "A=1\nB=${HOME:-c4n4ry}\nC=${A}\nD=$PATH\nE\n");
    let msg = env
        .coffer([
            "import",
            "bad.env",
            "shop/dev",
            "--overwrite",
            "--dialect",
            "compose",
        ])
        .fails(INVALID);
    for want in [
        "3 bad lines, nothing imported",
        "line 2: the value of B refers to a variable that the file does not define",
        "line 4: the value of D",
        "line 5: the value of E has no `=`",
        "compose would take it from the environment",
    ] {
        assert!(msg.contains(want), "{want}: {msg}");
    }
    assert!(!msg.contains("c4n4ry"), "{msg}");
    env.write("bad.env", "A=\"never closed\nB=c4n4ry\n");
    let msg = env
        .coffer(["import", "bad.env", "shop/dev", "--dialect", "compose"])
        .fails(INVALID);
    assert!(
        msg.contains("compose refuses a quoted value that is never closed"),
        "{msg}"
    );
    assert!(!msg.contains("c4n4ry"), "{msg}");
    assert_eq!(env.snapshot(), before);
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

// ------------------------------------------------ other managers' exports

fn fixture(name: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../coffer-vault/tests/import")
        .join(name);
    p.to_str().expect("utf-8 path").to_owned()
}

/// `coffer ls --json`, one credential.
fn item(env: &Env, scope: &str, name: &str) -> serde_json::Value {
    let v = env.coffer(["ls", scope, "--json"]).ok().json();
    v.as_array()
        .expect("array")
        .iter()
        .find(|i| i["name"] == name)
        .unwrap_or_else(|| panic!("{name} not in {scope}: {v}"))
        .clone()
}

#[test]
fn bitwarden_by_folder_with_a_map_file() {
    let env = Env::with_vault();
    let file = fixture("bitwarden-export.written-from-docs.json");
    // An entry in no folder, no target, no rule: refused, nothing written.
    let before = env.snapshot();
    let msg = env
        .coffer(["import", "--from", "bitwarden", &file])
        .fails(INVALID);
    assert!(msg.contains("1 entry is in no folder"), "{msg}");
    assert!(msg.contains("(none) = PROJECT/ENV"), "{msg}");
    assert_eq!(env.snapshot(), before);

    env.write(
        "map.txt",
        "# where things go\n(none) = misc/unfiled\nPersonal/** = skip\n",
    );
    // Dry run: the table, names only; nothing written.
    let out = env
        .coffer([
            "import",
            "--from",
            "bitwarden",
            &file,
            "--map",
            "map.txt",
            "--dry-run",
        ])
        .ok();
    assert!(
        !out.all().contains("fixture"),
        "a value in the preview: {out}"
    );
    assert!(!out.all().contains("JBSWY3DPEHPK3PXP"), "{out}");
    for want in [
        "payments/production  STRIPE_LIVE_KEY       user,url,notes  new (environment created)  Payments/Production/Stripe live key",
        "payments/production  STRIPE_LIVE_KEY_TOTP  notes,totp",
        "payments/staging     SIGNING_KEY_PEM",
        "payments/staging     DEPLOY_SSH_KEY        notes",
        "misc/unfiled         UNFILED_TOKEN",
        "skipped: Personal/Company card (a card (not a credential))",
        "skipped: Personal/Forum login (a login without a password)",
    ] {
        assert!(out.stdout.contains(want), "missing {want:?} in\n{out}");
    }
    assert!(
        out.stderr.contains("Dry run: 6 credentials from")
            && out
                .stderr
                .contains("3 skipped (2 custom fields not imported); nothing written."),
        "{out}"
    );
    assert_eq!(env.snapshot(), before);

    let out = env
        .coffer(["import", "--from", "bitwarden", &file, "--map", "map.txt"])
        .ok();
    assert!(!out.all().contains("fixture"), "{out}");
    assert!(
        out.stderr
            .contains("Created environment payments/production."),
        "{out}"
    );
    assert!(
        out.stderr.contains(": 6 created, 0 updated, 3 skipped"),
        "{out}"
    );
    assert_bitwarden_fixture_imported(&env);
    env.coffer(["ls", "personal"]).fails(4);

    // Again: every name exists, refused as a whole; --overwrite replaces.
    let before = env.snapshot();
    let msg = env
        .coffer(["import", "--from", "bitwarden", &file, "--map", "map.txt"])
        .fails(8);
    assert!(
        msg.contains("6 credentials the import would replace"),
        "{msg}"
    );
    assert!(
        msg.contains("--overwrite") && msg.contains("nothing imported"),
        "{msg}"
    );
    assert_eq!(env.snapshot(), before);
    let out = env
        .coffer([
            "import",
            "--from",
            "bitwarden",
            &file,
            "--map",
            "map.txt",
            "--overwrite",
        ])
        .ok();
    assert!(out.stderr.contains(": 0 created, 6 updated"), "{out}");
}

#[test]
fn bitwarden_organization_collections() {
    let env = Env::with_vault();
    let file = fixture("bitwarden-org-export.written-from-docs.json");
    env.coffer(["import", "--from", "bitwarden", &file]).ok();
    assert_eq!(env.get("web/prod", "SESSION_SECRET"), "org-prod-fixture");
    assert_eq!(env.get("web/dev", "SESSION_SECRET"), "org-dev-fixture");
    assert_eq!(
        env.get("web/dev", "SESSION_SECRET_TOTP"),
        "JBSWY3DPEHPK3PXP"
    );
}

#[test]
fn keepassxc_export_made_by_keepassxc() {
    let env = Env::with_vault();
    let file = fixture("keepassxc-2.7.4-export.csv");
    // Everything into one environment.
    let out = env
        .coffer(["import", "--from", "keepassxc", &file, "ops/all"])
        .ok();
    assert!(
        out.stderr.contains(": 6 created, 0 updated, 1 skipped"),
        "{out}"
    );
    assert_eq!(
        env.keys("ops/all"),
        vec![
            "BANK",
            "DATABASE_PASSWORD",
            "STRIPE_LIVE_KEY",
            "STRIPE_LIVE_KEY_TOTP",
            "STRIPE_TEST_KEY",
            "UNFILED_TOKEN"
        ]
    );
    assert_eq!(
        env.get("ops/all", "STRIPE_LIVE_KEY"),
        "sk_live_fixture,\"quoted\" value"
    );
    assert_eq!(
        env.get("ops/all", "DATABASE_PASSWORD"),
        "pg-fixture-päss word"
    );
    assert!(env
        .get("ops/all", "STRIPE_LIVE_KEY_TOTP")
        .starts_with("otpauth://totp/"));
    let stripe = item(&env, "ops/all", "STRIPE_LIVE_KEY");
    assert_eq!(stripe["notes"], "Rotate in the dashboard.\nSecond line.");
    assert_eq!(stripe["username"], "ops@example.com");

    // By group: Root/Payments/Production -> payments/production.
    env.write("map.txt", "(none) = ops/unfiled\nPersonal = skip\n");
    env.coffer(["import", "--from", "keepassxc", &file, "--map", "map.txt"])
        .ok();
    assert_keepass_fixture_by_group(&env);
}

#[test]
fn onepassword_csv_by_tag() {
    let env = Env::with_vault();
    let file = fixture("1password-8-export.written-from-docs.csv");
    env.write("map.txt", "(none) = misc/unfiled\n");
    let out = env
        .coffer(["import", "--from", "1password", &file, "--map", "map.txt"])
        .ok();
    assert!(
        out.stderr.contains(": 5 created, 0 updated, 2 skipped"),
        "{out}"
    );
    assert_eq!(
        env.keys("payments/production"),
        vec![
            "DATABASE_PASSWORD",
            "STRIPE_LIVE_KEY",
            "STRIPE_LIVE_KEY_TOTP"
        ]
    );
    assert_eq!(
        env.get("payments/production", "STRIPE_LIVE_KEY"),
        "sk_live_1p_fixture,\"quoted\""
    );
    assert_eq!(env.keys("payments/staging"), vec!["STRIPE_TEST_KEY"]);
    assert_eq!(env.keys("misc/unfiled"), vec!["UNFILED_TOKEN"]);
    let stripe = item(&env, "payments/production", "STRIPE_LIVE_KEY");
    assert_eq!(stripe["notes"], "Rotate in the dashboard.\nSecond line.");
}

/// The `.1pux` archive (a zip of `export.data`), written from 1Password's
/// format article: accounts and vaults as the place, every category that
/// holds a credential, TOTP, archived / trashed / other items skipped.
#[test]
fn onepassword_1pux_by_account_and_vault() {
    let env = Env::with_vault();
    let file = fixture("1password-8.written-from-docs.1pux");
    // Without a target or map: account/vault, as the preview shows.
    let out = env
        .coffer(["import", "--from", "1password", &file, "--dry-run"])
        .ok();
    for want in [
        "acme-corp/payments-prod",
        "acme-corp/payments-staging",
        "acme-corp/ops",
        "STRIPE_DASHBOARD_TOTP",
        "skipped: Acme Corp/Payments Staging/Old admin (archived in 1Password)",
        "skipped: Acme Corp/Ops/Company card (a credit card (not a credential))",
        "skipped: Acme Corp/Ops/Trashed login (in 1Password's trash)",
        "skipped: Acme Corp/Ops/Bookmark only (an item without a password or credential)",
    ] {
        assert!(out.stdout.contains(want), "{want}: {out}");
    }
    assert!(!out.all().contains("fixture"), "{out}");

    env.write(
        "map.txt",
        "Acme Corp/Payments Prod = payments/prod\n\
         Acme Corp/Payments Staging = payments/staging\n\
         Acme Corp/* = ops/prod\n",
    );
    let out = env
        .coffer(["import", "--from", "1password", &file, "--map", "map.txt"])
        .ok();
    assert!(
        out.stderr
            .contains(": 8 created, 0 updated, 4 skipped (7 custom fields not imported)"),
        "{out}"
    );
    assert!(!out.all().contains("fixture"), "{out}");
    assert_eq!(
        env.keys("payments/prod"),
        vec![
            "PAYMENTS_DB",
            "STRIPE_DASHBOARD",
            "STRIPE_DASHBOARD_TOTP",
            "STRIPE_LIVE_KEY"
        ]
    );
    let login = item(&env, "payments/prod", "STRIPE_DASHBOARD");
    assert_eq!(
        env.get("payments/prod", "STRIPE_DASHBOARD"),
        "stripe-1pux-fixture-pw"
    );
    assert_eq!(login["username"], "ops@acme.test");
    assert_eq!(login["url"], "https://dashboard.stripe.com/login");
    assert_eq!(login["notes"], "Owner: payments team.");
    assert!(env
        .get("payments/prod", "STRIPE_DASHBOARD_TOTP")
        .starts_with("otpauth://totp/Stripe:ops?secret="));
    let totp = item(&env, "payments/prod", "STRIPE_DASHBOARD_TOTP");
    assert!(
        totp["notes"]
            .as_str()
            .is_some_and(|n| n.starts_with("TOTP seed of STRIPE_DASHBOARD")),
        "{totp}"
    );
    let api = item(&env, "payments/prod", "STRIPE_LIVE_KEY");
    assert_eq!(
        env.get("payments/prod", "STRIPE_LIVE_KEY"),
        "sk_live_1pux_fixture"
    );
    assert_eq!(api["username"], "acme-live");
    assert_eq!(api["url"], "api.stripe.com");
    let db = item(&env, "payments/prod", "PAYMENTS_DB");
    assert_eq!(env.get("payments/prod", "PAYMENTS_DB"), "pg-1pux-fixture");
    assert_eq!(db["username"], "payments_app");
    assert_eq!(db["url"], "db.payments.internal");
    assert_eq!(
        env.get("payments/staging", "STAGING_WEBHOOK_SECRET"),
        "whsec_1pux_fixture"
    );
    assert_eq!(
        env.keys("ops/prod"),
        vec!["BASTION", "DEPLOY_KEY", "DEPLOY_TOKEN"]
    );
    // An SSH key: its private key is the value (the metadata's second copy
    // and the public key are not read), its notes kept.
    assert_eq!(
        env.get("ops/prod", "DEPLOY_KEY"),
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA1pux+fixture+ssh+key\n-----END OPENSSH PRIVATE KEY-----\n"
    );
    assert_eq!(
        item(&env, "ops/prod", "DEPLOY_KEY")["notes"],
        "Deploys to the bastion."
    );
    let bastion = item(&env, "ops/prod", "BASTION");
    assert_eq!(env.get("ops/prod", "BASTION"), "bastion-1pux-fixture");
    assert_eq!(bastion["username"], "admin");
    assert_eq!(bastion["url"], "ssh://bastion.acme.test");
    assert_eq!(
        env.get("ops/prod", "DEPLOY_TOKEN"),
        "deploy token: dpl-1pux-fixture"
    );

    // Not a 1Password archive: one line, nothing imported.
    let before = env.snapshot();
    let mut zip_without_data = b"PK\x03\x04".to_vec();
    zip_without_data.extend_from_slice(&[0; 40]);
    std::fs::write(env.work().join("bad.1pux"), zip_without_data).expect("write");
    let msg = env
        .coffer(["import", "--from", "1password", "bad.1pux", "x/y"])
        .fails(INVALID);
    assert!(msg.contains("not a readable zip archive"), "{msg}");
    assert_eq!(env.snapshot(), before);
}

#[test]
fn fail_bad_sources_name_no_value() {
    let env = Env::with_vault();
    let before = env.snapshot();
    for (name, text, from, want) in [
        (
            "a.json",
            "{\"items\": [{\"type\": \"secret-c4n4ry\"}]}",
            "bitwarden",
            "line 1, column",
        ),
        (
            "b.json",
            "{\"encrypted\": true, \"data\": \"2.c4n4ry\"}",
            "bitwarden",
            "this Bitwarden export is account-restricted",
        ),
        (
            "c.csv",
            "Title,Password\nx,\"c4n4ry\n",
            "1password",
            "line 2: a quoted cell is never closed",
        ),
        (
            "d.csv",
            "name,secret\nx,c4n4ry\n",
            "keepassxc",
            "not a KeePassXC CSV export",
        ),
    ] {
        env.write(name, text);
        let msg = env
            .coffer(["import", "--from", from, name, "web/prod"])
            .fails(INVALID);
        assert!(msg.contains(want), "{name}: {msg}");
        assert!(!msg.contains("c4n4ry"), "{name}: {msg}");
    }
    // One value over the limit: the whole import refused, no environment made.
    let big = "c4n4ry".repeat(12_000);
    env.write(
        "big.json",
        &format!(
            "{{\"folders\":[{{\"id\":\"f\",\"name\":\"New/Env\"}}],\"items\":[\
             {{\"type\":1,\"name\":\"ok\",\"folderId\":\"f\",\"login\":{{\"password\":\"fine\"}}}},\
             {{\"type\":1,\"name\":\"huge\",\"folderId\":\"f\",\"login\":{{\"password\":\"{big}\"}}}}]}}"
        ),
    );
    let msg = env
        .coffer(["import", "--from", "bitwarden", "big.json"])
        .fails(INVALID);
    assert!(msg.contains("the value of HUGE is too large"), "{msg}");
    assert!(!msg.contains("c4n4ry"), "{msg}");
    env.coffer(["ls", "new"]).fails(4);
    let msg = env
        .coffer(["import", "--from", "lastpass", "a.json", "web/prod"])
        .fails(INVALID);
    assert!(msg.contains("unknown source"), "{msg}");
    assert_eq!(env.snapshot(), before);
}

/// A Bitwarden export of `n` logins in five folders (`Bulk/env0` … `env4`).
fn bulk_export(env: &Env, n: usize) {
    let items: Vec<String> = (0..n)
        .map(|i| {
            format!(
                "{{\"type\":1,\"name\":\"key {i}\",\"folderId\":\"f{}\",\"login\":{{\"username\":\"u{i}\",\"password\":\"bulk-fixture-{i}\"}}}}",
                i % 5
            )
        })
        .collect();
    let folders: Vec<String> = (0..5)
        .map(|f| format!("{{\"id\":\"f{f}\",\"name\":\"Bulk/env{f}\"}}"))
        .collect();
    env.write(
        "big.json",
        &format!(
            "{{\"folders\":[{}],\"items\":[{}]}}",
            folders.join(","),
            items.join(",")
        ),
    );
}

/// 5,000 entries (the goal of the issue) in one import: every credential
/// and environment there, nothing else in the log; stderr is a pipe here,
/// so no progress line.
#[test]
fn five_thousand_entries_in_one_batch() {
    let env = Env::with_vault();
    bulk_export(&env, 5000);
    let audit_before = env.audit().len();
    let t = std::time::Instant::now();
    let out = env
        .coffer(["import", "--from", "bitwarden", "big.json"])
        .ok();
    eprintln!(
        "5,000 entries imported in {:.1} s (debug build)",
        t.elapsed().as_secs_f64()
    );
    assert!(out.stderr.contains(": 5000 created, 0 updated"), "{out}");
    // Not a terminal: no progress noise, not even a carriage return.
    assert!(
        !out.stderr.contains("Sealing") && !out.all().contains('\r'),
        "{out}"
    );
    // 5 environments and 5,000 credentials: 5,005 ops (applied by one
    // `apply_batch`, one transaction).
    assert_eq!(env.audit().len() - audit_before, 5005);
    assert_eq!(env.keys("bulk/env3").len(), 1000);
    assert_eq!(env.get("bulk/env4", "KEY_4999"), "bulk-fixture-4999");
}

/// The same import with stderr on a pseudo-terminal (opened here; coffer
/// on its slave side, as in a terminal window): the progress line is
/// redrawn in place up to 5000/5000, then "writing…", then the summary.
#[cfg(unix)]
#[test]
fn five_thousand_entries_show_progress_on_a_terminal() {
    use std::io::Read as _;
    let env = Env::with_vault();
    bulk_export(&env, 5000);
    let pty = nix::pty::openpty(None, None).expect("openpty");
    let mut child = env
        .spawnable(["import", "--from", "bitwarden", "big.json"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::from(pty.slave))
        .spawn()
        .expect("spawn coffer");
    // Read while coffer writes (the terminal's buffer is small); the read
    // ends (EIO) once coffer, the slave's last holder, has exited.
    let mut master = std::fs::File::from(pty.master);
    let reader = std::thread::spawn(move || {
        let mut out = Vec::new();
        let mut buf = [0u8; 4096];
        while let Ok(n) = master.read(&mut buf) {
            if n == 0 {
                break;
            }
            out.extend_from_slice(&buf[..n]);
        }
        String::from_utf8_lossy(&out).into_owned()
    });
    assert_eq!(common::exit_of(&mut child), 0);
    let text = reader.join().expect("reader");
    let redraws = text.matches("\rSealing credentials [").count();
    // One redraw per 64 credentials sealed, and the last one.
    assert_eq!(redraws, 5000 / 64 + 1, "{text}");
    assert!(text.contains("] 64/5000"), "{text}");
    assert!(
        text.contains("[##############################] 5000/5000 — writing…"),
        "{text}"
    );
    assert!(text.contains("5000 created, 0 updated"), "{text}");
    // The summary starts on a line of its own, after the bar.
    let bar_end = text.rfind("writing…").expect("bar");
    let summary = text.find("Imported from").expect("summary");
    assert!(
        summary > bar_end && text[bar_end..summary].contains('\n'),
        "{text}"
    );
    assert!(!text.contains("bulk-fixture"), "{text}");
    assert_eq!(env.keys("bulk/env0").len(), 1000);
}

// ------------------------------------------------------------------ dotenvx

fn dotenvx_fixture(name: &str) -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../coffer-vault/tests/import/dotenvx")
        .join(name);
    std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// The private key `name` in the fixtures' `.env.keys`.
fn dotenvx_key(name: &str) -> String {
    dotenvx_fixture("env.keys.fixture")
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("{name} in env.keys.fixture"))
        .trim()
        .to_owned()
}

fn dotenvx_args(file: &str) -> [&str; 5] {
    ["import", "--from", "dotenvx", file, "shop/prod"]
}

/// Files the real `dotenvx encrypt` 2.38.2 wrote, opened with the keys it
/// wrote, compared with what the real `dotenvx get` returned for them
/// (`coffer-vault/tests/import/dotenvx/make-fixtures.sh`).
#[test]
fn dotenvx_opens_what_dotenvx_wrote() {
    let env = Env::with_vault();
    env.coffer(["env", "add", "shop/prod"]).ok();
    env.write(
        ".env.production",
        &dotenvx_fixture("env.production.encrypted"),
    );
    // The key from .env.keys beside the file, as dotenvx finds it.
    env.write(".env.keys", &dotenvx_fixture("env.keys.fixture"));
    let out = env
        .coffer(dotenvx_args(".env.production"))
        .env_remove("DOTENV_PRIVATE_KEY_PRODUCTION")
        .ok();
    let expected: serde_json::Value =
        serde_json::from_str(&dotenvx_fixture("expected.production.json")).expect("json");
    let expected = expected.as_object().expect("object");
    let wanted: Vec<(&String, &str)> = expected
        .iter()
        .filter(|(k, _)| !k.starts_with("DOTENV_PUBLIC_KEY"))
        .map(|(k, v)| (k, v.as_str().expect("string")))
        .collect();
    assert_eq!(wanted.len(), 8);
    assert!(
        out.stderr
            .contains(&format!("{} created, 0 updated", wanted.len())),
        "{out}"
    );
    for (k, v) in &wanted {
        assert_eq!(env.get("shop/prod", k), *v, "{k}");
    }
    let mut keys = env.keys("shop/prod");
    keys.sort();
    assert!(!keys.iter().any(|k| k.starts_with("DOTENV_")), "{keys:?}");
    assert!(!out.all().contains("fixture"), "{out}");

    // The key of a plain `.env` (DOTENV_PRIVATE_KEY) from the environment,
    // and from stdin (`--keys -`), never from argv.
    env.coffer(["env", "add", "shop/dev"]).ok();
    env.coffer(["env", "add", "shop/stage"]).ok();
    std::fs::remove_file(env.work().join(".env.keys")).expect("rm");
    env.write(".env", &dotenvx_fixture("env.default.encrypted"));
    env.coffer(["import", "--from", "dotenvx", ".env", "shop/dev"])
        .env("DOTENV_PRIVATE_KEY", dotenvx_key("DOTENV_PRIVATE_KEY"))
        .ok();
    assert_eq!(env.get("shop/dev", "HELLO"), "world-fixture");
    env.coffer([
        "import",
        "--from",
        "dotenvx",
        ".env",
        "shop/stage",
        "--keys",
        "-",
    ])
    .env_remove("DOTENV_PRIVATE_KEY")
    .stdin(format!("{}\n", dotenvx_key("DOTENV_PRIVATE_KEY")))
    .ok();
    assert_eq!(env.get("shop/stage", "HELLO"), "world-fixture");
}

#[test]
fn fail_dotenvx_wrong_key_damaged_or_expanded() {
    let env = Env::with_vault();
    env.coffer(["env", "add", "shop/prod"]).ok();
    env.write(
        ".env.production",
        &dotenvx_fixture("env.production.encrypted"),
    );
    let before = env.snapshot();
    let wrong = dotenvx_key("DOTENV_PRIVATE_KEY_REFUSED");
    let right = dotenvx_key("DOTENV_PRIVATE_KEY_PRODUCTION");

    // No key anywhere.
    let msg = env
        .coffer(dotenvx_args(".env.production"))
        .env_remove("DOTENV_PRIVATE_KEY_PRODUCTION")
        .fails(INVALID);
    assert!(msg.contains("no DOTENV_PRIVATE_KEY_PRODUCTION"), "{msg}");
    // Another file's key: one line, no key material, nothing imported.
    let msg = env
        .coffer(dotenvx_args(".env.production"))
        .env("DOTENV_PRIVATE_KEY_PRODUCTION", &wrong)
        .fails(INVALID);
    assert!(
        msg.contains("DOTENV_PRIVATE_KEY_PRODUCTION does not open .env.production"),
        "{msg}"
    );
    assert_eq!(msg.trim_end().lines().count(), 1, "{msg}");
    assert!(
        !msg.contains(&wrong[..12]) && !msg.contains("fixture"),
        "{msg}"
    );
    // Not a key at all.
    let msg = env
        .coffer(dotenvx_args(".env.production"))
        .env("DOTENV_PRIVATE_KEY_PRODUCTION", "c4n4ry-not-hex")
        .fails(INVALID);
    assert!(msg.contains("is not a dotenvx private key"), "{msg}");
    assert!(!msg.contains("c4n4ry"), "{msg}");

    // One value damaged (a byte of its ciphertext changed): that line is
    // named, the rest of the file is not imported either.
    let text = dotenvx_fixture("env.production.encrypted");
    let at = text.find("STRIPE_KEY=encrypted:").expect("STRIPE_KEY") + 40;
    let flipped = if &text[at..=at] == "A" { "B" } else { "A" };
    let damaged = format!("{}{flipped}{}", &text[..at], &text[at + 1..]);
    env.write(".env.production", &damaged);
    let line = text[..at].matches('\n').count() + 1;
    let msg = env
        .coffer(dotenvx_args(".env.production"))
        .env("DOTENV_PRIVATE_KEY_PRODUCTION", &right)
        .fails(INVALID);
    assert!(
        msg.contains(&format!(
            "1 bad line, nothing imported: line {line}: the value of STRIPE_KEY does not open"
        )),
        "{msg}"
    );

    // Values dotenvx would expand or run when it loads them: every line.
    env.write(".env.refused", &dotenvx_fixture("env.refused.encrypted"));
    let msg = env
        .coffer(dotenvx_args(".env.refused"))
        .env("DOTENV_PRIVATE_KEY_REFUSED", &wrong)
        .fails(INVALID);
    assert!(msg.contains("2 bad lines, nothing imported"), "{msg}");
    assert!(
        msg.contains("the value of HOME_REF holds `$` outside single quotes")
            && msg.contains("the value of CMD holds `$`"),
        "{msg}"
    );
    assert!(!msg.contains("fixture"), "{msg}");
    assert_eq!(env.snapshot(), before);
}

// ------------------------------------------------ Bitwarden, password-protected

/// Each `(PROJECT/ENV, KEY, value)` is in the vault.
fn assert_values(env: &Env, want: &[(&str, &str, &str)]) {
    for (scope, key, value) in want {
        assert_eq!(env.get(scope, key), *value, "{scope}/{key}");
    }
}

/// The KeePassXC fixture mapped by group (`(none) = ops/unfiled`,
/// `Personal = skip`), as its CSV export and its `.kdbx` both import it.
fn assert_keepass_fixture_by_group(env: &Env) {
    assert_eq!(
        env.keys("payments/production"),
        vec![
            "DATABASE_PASSWORD",
            "STRIPE_LIVE_KEY",
            "STRIPE_LIVE_KEY_TOTP"
        ]
    );
    assert_eq!(env.keys("payments/staging"), vec!["STRIPE_TEST_KEY"]);
    assert_eq!(env.keys("ops/unfiled"), vec!["UNFILED_TOKEN"]);
}

/// What the Bitwarden fixture holds, checked after importing it or an
/// encrypted copy of it.
fn assert_bitwarden_fixture_imported(env: &Env) {
    assert_values(
        env,
        &[
            (
                "payments/production",
                "STRIPE_LIVE_KEY",
                "sk_live_bw_fixture,\"quoted\" \\ value",
            ),
            (
                "payments/production",
                "DATABASE_PASSWORD",
                "pg-bw-fixture-päss",
            ),
            (
                "payments/production",
                "STRIPE_LIVE_KEY_TOTP",
                "otpauth://totp/Stripe:ops@example.com?secret=JBSWY3DPEHPK3PXP&issuer=Stripe",
            ),
            ("misc/unfiled", "UNFILED_TOKEN", "unfiled-bw-fixture"),
        ],
    );
    assert!(env
        .get("payments/staging", "SIGNING_KEY_PEM")
        .ends_with("-----END PRIVATE KEY-----\n"));
    let stripe = item(env, "payments/production", "STRIPE_LIVE_KEY");
    assert_eq!(stripe["username"], "ops@example.com");
    assert_eq!(stripe["url"], "https://dashboard.stripe.com");
    assert_eq!(
        stripe["notes"],
        "Rotate in the dashboard.\nOwner: payments team."
    );
}

const BW_MAP: &str = "(none) = misc/unfiled\nPersonal/** = skip\n";

/// The PBKDF2 and Argon2id fixtures (written by Python's `cryptography`
/// from Bitwarden's published construction: `make-encrypted.py`), the
/// password from the environment and from stdin.
#[test]
fn bitwarden_password_protected_pbkdf2_and_argon2id() {
    for (file, how) in [
        ("bitwarden-pbkdf2.written-from-docs.json", "env"),
        ("bitwarden-argon2id.written-from-docs.json", "stdin"),
    ] {
        let env = Env::with_vault();
        env.write("map.txt", BW_MAP);
        let args = [
            "import",
            "--from",
            "bitwarden",
            &fixture(file),
            "--map",
            "map.txt",
        ];
        let run = env.coffer(args);
        let out = match how {
            "env" => run.env("COFFER_IMPORT_PASSWORD", BW_PASSWORD).ok(),
            _ => run.stdin(format!("{BW_PASSWORD}\n")).ok(),
        };
        assert!(
            out.stderr.contains(": 6 created, 0 updated, 3 skipped"),
            "{file}: {out}"
        );
        assert!(!out.all().contains("fixture"), "{out}");
        assert_bitwarden_fixture_imported(&env);
    }
}

/// A wrong password: one line, nothing imported; the password is never in
/// argv (there is no flag for it) nor in the message.
#[test]
fn fail_bitwarden_wrong_password_damaged_or_account_restricted() {
    let env = Env::with_vault();
    env.write("map.txt", BW_MAP);
    let file = fixture("bitwarden-pbkdf2.written-from-docs.json");
    let before = env.snapshot();
    let msg = env
        .coffer(["import", "--from", "bitwarden", &file, "--map", "map.txt"])
        .env("COFFER_IMPORT_PASSWORD", "c4n4ry wrong")
        .fails(INVALID);
    assert!(
        msg.contains("the password does not open this Bitwarden export")
            && msg.contains("nothing imported"),
        "{msg}"
    );
    assert_eq!(msg.trim_end().lines().count(), 1, "{msg}");
    assert!(!msg.contains("c4n4ry"), "{msg}");
    // No password at all (stdin empty, no terminal).
    let msg = env
        .coffer(["import", "--from", "bitwarden", &file, "--map", "map.txt"])
        .fails(INVALID);
    assert!(msg.contains("needs its password"), "{msg}");

    // The data changed (one character of its ciphertext): the MAC fails,
    // nothing is decrypted.
    let text = std::fs::read_to_string(&file).expect("fixture");
    let mut doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    let data = doc["data"].as_str().expect("data").to_owned();
    let (iv, rest) = data.split_once('|').expect("iv|ct|mac");
    let flipped = if rest.starts_with('A') { "B" } else { "A" };
    doc["data"] = format!("{iv}|{flipped}{}", &rest[1..]).into();
    env.write("damaged.json", &doc.to_string());
    let msg = env
        .coffer([
            "import",
            "--from",
            "bitwarden",
            "damaged.json",
            "--map",
            "map.txt",
        ])
        .env("COFFER_IMPORT_PASSWORD", BW_PASSWORD)
        .fails(INVALID);
    assert!(msg.contains("data does not open"), "{msg}");

    // Costs beyond Bitwarden's own range: refused before deriving.
    let mut costly: serde_json::Value = serde_json::from_str(&text).expect("json");
    costly["kdfIterations"] = 900_000_000.into();
    env.write("costly.json", &costly.to_string());
    let msg = env
        .coffer(["import", "--from", "bitwarden", "costly.json", "x/y"])
        .env("COFFER_IMPORT_PASSWORD", BW_PASSWORD)
        .fails(INVALID);
    assert!(msg.contains("outside Bitwarden's range"), "{msg}");

    // Account-restricted: only Bitwarden can open it.
    env.write(
        "restricted.json",
        "{\"encrypted\": true, \"encKeyValidation_DO_NOT_EDIT\": \"2.a|b|c\", \"data\": \"2.c4n4ry|b|c\"}",
    );
    let msg = env
        .coffer(["import", "--from", "bitwarden", "restricted.json", "x/y"])
        .fails(INVALID);
    assert!(msg.contains("account-restricted"), "{msg}");
    assert!(msg.contains("Password protected"), "{msg}");
    assert!(!msg.contains("c4n4ry"), "{msg}");
    assert_eq!(env.snapshot(), before);
}

/// An independent implementation writes a fresh export now (Python's
/// `cryptography`, with a random salt and IVs), and Coffer reads it; skipped
/// with a note where that package (with Argon2id: 44 or later) is missing.
/// The committed fixtures above are always read.
#[test]
fn bitwarden_export_written_now_by_python_cryptography() {
    let python = std::env::var("COFFER_TEST_PYTHON").unwrap_or_else(|_| "python3".into());
    let probe = std::process::Command::new(&python)
        .args([
            "-c",
            "import cryptography.hazmat.primitives.kdf.argon2, cryptography.hazmat.primitives.kdf.hkdf",
        ])
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("skipped: no {python} with cryptography ≥ 44 (Argon2id)");
        return;
    }
    let env = Env::with_vault();
    let script = fixture("bitwarden/make-encrypted.py");
    let plain = fixture("bitwarden-export.written-from-docs.json");
    for kind in ["pbkdf2", "argon2id"] {
        let out = env.work().join(format!("fresh-{kind}.json"));
        let status = std::process::Command::new(&python)
            .arg(&script)
            .arg(&plain)
            .arg(&out)
            .arg(kind)
            .env("BW_EXPORT_PASSWORD", "fresh pässword ✓")
            .status()
            .expect("run python");
        assert!(status.success(), "make-encrypted.py {kind}");
        let target = format!("fresh/{kind}");
        let file = out.to_str().expect("utf-8").to_owned();
        env.coffer(["import", "--from", "bitwarden", &file, &target])
            .env("COFFER_IMPORT_PASSWORD", "fresh pässword ✓")
            .ok();
        assert_eq!(
            env.get(&target, "STRIPE_LIVE_KEY"),
            "sk_live_bw_fixture,\"quoted\" \\ value"
        );
    }
}

// ------------------------------------------------ KeePass .kdbx

fn kdbx(name: &str) -> String {
    fixture(&format!("keepass/{name}"))
}

/// KDBX 4 and 3.1 made by the real keepassxc-cli 2.7.4, by group with the
/// same map file as the CSV path, every field and the TOTP.
#[test]
fn keepass_kdbx_made_by_keepassxc() {
    for (file, key_file) in [
        ("keepassxc-2.7.4-kdbx4.kdbx", None),
        (
            "keepassxc-2.7.4-kdbx4-keyfile.kdbx",
            Some(kdbx("keepassxc-2.7.4.keyx")),
        ),
        ("keepassxc-2.7.4-kdbx3.kdbx", None),
    ] {
        let env = Env::with_vault();
        env.write("map.txt", "(none) = ops/unfiled\nPersonal = skip\n");
        let path = kdbx(file);
        let mut args = vec!["import", "--from", "keepass", &path, "--map", "map.txt"];
        if let Some(k) = &key_file {
            args.extend(["--key-file", k]);
        }
        let out = env
            .coffer(&args)
            .env("COFFER_IMPORT_PASSWORD", KDBX_PASSWORD)
            .ok();
        assert!(
            out.stderr.contains(": 5 created, 0 updated, 2 skipped"),
            "{file}: {out}"
        );
        assert!(!out.all().contains("fixture"), "{out}");
        assert_keepass_fixture_by_group(&env);
        assert_values(
            &env,
            &[
                (
                    "payments/production",
                    "STRIPE_LIVE_KEY",
                    "sk_live_fixture,\"quoted\" value",
                ),
                (
                    "payments/production",
                    "DATABASE_PASSWORD",
                    "pg-fixture-päss word",
                ),
                (
                    "payments/production",
                    "STRIPE_LIVE_KEY_TOTP",
                    "otpauth://totp/Stripe:ops@example.com?secret=JBSWY3DPEHPK3PXP&period=30&digits=6&issuer=Stripe",
                ),
            ],
        );
        let stripe = item(&env, "payments/production", "STRIPE_LIVE_KEY");
        assert_eq!(stripe["username"], "ops@example.com");
        assert_eq!(stripe["url"], "https://dashboard.stripe.com");
        assert_eq!(stripe["notes"], "Rotate in the dashboard.\nSecond line.");
    }
}

/// KDBX 4 with Argon2id + ChaCha20 and Argon2d + Twofish (keepass-rs's
/// test databases, which keepassxc-cli opens too: `keepass/keepass-rs/`),
/// the password on stdin.
#[test]
fn keepass_kdbx_argon2_chacha20_twofish() {
    let env = Env::with_vault();
    for (file, target) in [
        ("argon2id_chacha20", "kdbx/argon2id"),
        ("argon2_twofish", "kdbx/argon2d"),
    ] {
        let path = kdbx(&format!(
            "keepass-rs/test_db_kdbx4_with_password_{file}.kdbx"
        ));
        let out = env
            .coffer(["import", "--from", "keepass", &path, target])
            .stdin("demopass\n")
            .ok();
        assert!(
            out.stderr.contains(": 1 created, 0 updated, 0 skipped"),
            "{out}"
        );
        assert_eq!(env.get(target, "TEST"), "test");
        assert_eq!(item(&env, target, "TEST")["username"], "test");
    }
}

#[test]
fn fail_keepass_wrong_password_or_key_file() {
    let env = Env::with_vault();
    let before = env.snapshot();
    let path = kdbx("keepassxc-2.7.4-kdbx4.kdbx");
    let msg = env
        .coffer(["import", "--from", "keepass", &path, "ops/all"])
        .env("COFFER_IMPORT_PASSWORD", "c4n4ry wrong")
        .fails(INVALID);
    assert!(
        msg.contains("do not open this KeePass database") && msg.contains("nothing imported"),
        "{msg}"
    );
    assert_eq!(msg.trim_end().lines().count(), 1, "{msg}");
    assert!(!msg.contains("c4n4ry"), "{msg}");
    // The right password without the key file the database needs.
    let msg = env
        .coffer([
            "import",
            "--from",
            "keepass",
            &kdbx("keepassxc-2.7.4-kdbx4-keyfile.kdbx"),
            "ops/all",
        ])
        .stdin(format!("{KDBX_PASSWORD}\n"))
        .fails(INVALID);
    assert!(msg.contains("do not open this KeePass database"), "{msg}");
    // Not a KeePass file.
    env.write("not.kdbx", "c4n4ry, not a database");
    let msg = env
        .coffer(["import", "--from", "keepass", "not.kdbx", "ops/all"])
        .env("COFFER_IMPORT_PASSWORD", KDBX_PASSWORD)
        .fails(INVALID);
    assert!(msg.contains("not a KeePass database"), "{msg}");
    assert!(!msg.contains("c4n4ry"), "{msg}");
    // --key-file belongs to --from keepass only.
    let msg = env
        .coffer([
            "import",
            "--from",
            "bitwarden",
            &fixture("bitwarden-export.written-from-docs.json"),
            "x/y",
            "--key-file",
            "k",
        ])
        .fails(INVALID);
    assert!(msg.contains("--key-file is for --from keepass"), "{msg}");
    assert_eq!(env.snapshot(), before);
}

// ------------------------------------------------ --dry-run for every source

/// Every value each source holds contains one of these.
const VALUE_MARKS: [&str; 3] = ["fixture", "JBSWY3DPEHPK3PXP", "c4n4ry"];

fn assert_no_value(out: &common::Out, what: &str) {
    for m in VALUE_MARKS {
        assert!(
            !out.all().contains(m),
            "{what}: a value in the preview: {out}"
        );
    }
}

/// One `coffer import … --dry-run`: its arguments, an environment
/// variable it needs, and a row the preview must show.
struct DryRun<'a> {
    args: Vec<&'a str>,
    var: Option<(&'a str, &'a str)>,
    want: &'a str,
}

/// `--dry-run` shows target and name of each entry, never a value, and
/// leaves the vault unchanged, for every `--from` source.
#[test]
fn dry_run_for_every_source_writes_nothing_and_shows_no_value() {
    let env = Env::with_vault();
    env.coffer(["env", "add", "shop/prod"]).ok();
    env.write("map.txt", BW_MAP);
    env.write(
        ".env.production",
        &std::fs::read_to_string(fixture("dotenvx/env.production.encrypted")).expect("dotenvx"),
    );
    env.write(
        "app.env",
        "API_TOKEN=c4n4ry-dotenv\nDB_URL=postgres://c4n4ry\n",
    );
    let dotenvx_key = std::fs::read_to_string(fixture("dotenvx/env.keys.fixture"))
        .expect("keys")
        .lines()
        .find_map(|l| l.strip_prefix("DOTENV_PRIVATE_KEY_PRODUCTION="))
        .expect("key")
        .trim()
        .to_owned();
    let before = env.snapshot();
    let tree_before = env.tree();
    let bw = fixture("bitwarden-export.written-from-docs.json");
    let bw_pbkdf2 = fixture("bitwarden-pbkdf2.written-from-docs.json");
    let kpx_csv = fixture("keepassxc-2.7.4-export.csv");
    let kdbx4 = kdbx("keepassxc-2.7.4-kdbx4.kdbx");
    let op_csv = fixture("1password-8-export.written-from-docs.csv");
    let op_1pux = fixture("1password-8.written-from-docs.1pux");
    let bw_pw = Some(("COFFER_IMPORT_PASSWORD", BW_PASSWORD));
    let kdbx_pw = Some(("COFFER_IMPORT_PASSWORD", KDBX_PASSWORD));
    let dx_key = Some(("DOTENV_PRIVATE_KEY_PRODUCTION", dotenvx_key.as_str()));
    let cases = [
        DryRun {
            args: vec!["--from", "bitwarden", &bw, "--map", "map.txt"],
            var: None,
            want: "payments/production  STRIPE_LIVE_KEY",
        },
        DryRun {
            args: vec!["--from", "bitwarden", &bw_pbkdf2, "--map", "map.txt"],
            var: bw_pw,
            want: "payments/production  STRIPE_LIVE_KEY",
        },
        DryRun {
            args: vec!["--from", "keepassxc", &kpx_csv, "ops/all"],
            var: None,
            want: "ops/all  STRIPE_LIVE_KEY_TOTP",
        },
        DryRun {
            args: vec!["--from", "keepass", &kdbx4, "ops/all"],
            var: kdbx_pw,
            want: "ops/all  STRIPE_LIVE_KEY_TOTP",
        },
        DryRun {
            args: vec!["--from", "1password", &op_csv, "ops/all"],
            var: None,
            want: "ops/all  STRIPE_LIVE_KEY",
        },
        DryRun {
            args: vec!["--from", "1password", &op_1pux, "ops/all"],
            var: None,
            want: "ops/all  STRIPE_DASHBOARD_TOTP",
        },
        DryRun {
            args: vec!["--from", "dotenvx", ".env.production", "shop/prod"],
            var: dx_key,
            want: "shop/prod  STRIPE_KEY",
        },
        DryRun {
            args: vec!["app.env", "shop/prod"],
            var: None,
            want: "shop/prod  API_TOKEN  new",
        },
    ];
    for DryRun { args, var, want } in &cases {
        let mut all = vec!["import"];
        all.extend(args.iter().copied());
        all.push("--dry-run");
        let mut run = env.coffer(&all);
        if let Some((k, v)) = var {
            run = run.env(k, v);
        }
        let out = run.ok();
        let what = args.join(" ");
        assert!(
            out.stdout.contains(want),
            "{what}: missing {want:?} in\n{out}"
        );
        assert!(out.stderr.contains("nothing written"), "{what}: {out}");
        assert_no_value(&out, &what);
        assert_eq!(env.snapshot(), before, "{what}: the vault changed");
        assert_eq!(env.tree(), tree_before, "{what}: files changed");
    }

    // A .env dry run says which names exist (and that the import would be
    // refused without --overwrite), still writing nothing.
    env.set("shop/prod", "API_TOKEN", "c4n4ry-old");
    let before = env.snapshot();
    let out = env
        .coffer(["import", "app.env", "shop/prod", "--dry-run"])
        .ok();
    assert!(
        out.stdout.contains("API_TOKEN  EXISTS (needs --overwrite)"),
        "{out}"
    );
    assert!(out.stderr.contains("1 already exist"), "{out}");
    let out = env
        .coffer(["import", "app.env", "shop/prod", "--dry-run", "--overwrite"])
        .ok();
    assert!(out.stdout.contains("API_TOKEN  replaces existing"), "{out}");
    assert_no_value(&out, ".env --overwrite");
    assert_eq!(env.snapshot(), before);
}
