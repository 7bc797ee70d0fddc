//! The vault functions behind the desktop app's audit screen, export
//! dialog and "open an existing vault": a filtered, paged audit log; the
//! per-chain verification report; export straight to a file with refusals
//! worded for the app; opening a vault chosen by path and remembering it.

mod common;

use std::path::Path;

use coffer_vault::dangerous::AllowVars;
use coffer_vault::paths::{remembered_vault_path, VAULT_POINTER_FILE};
use coffer_vault::{AuditQuery, Dialect, ErrorKind, ExportRequest, Format, HeadCheck, Role, Vault};
use common::*;
use rusqlite::params;

fn query(limit: u64) -> AuditQuery {
    AuditQuery {
        limit,
        ..Default::default()
    }
}

#[test]
fn audit_page_is_newest_first_paged_and_filtered() {
    let (fx, _) = standard();
    let mut v = fx.open();
    for i in 0..30 {
        v.set_item(DEV, "OTHER", value(&format!("value number {i}")))
            .expect("set");
    }
    v.get_item(PROD, "API_KEY").expect("reveal");
    let all = v.audit_log().expect("log");
    let n = all.len() as u64;

    let p = v.audit_page(&query(10)).expect("page");
    assert_eq!(p.total, n);
    assert_eq!(p.log_entries, n);
    assert_eq!(p.entries.len(), 10);
    assert_eq!(
        p.entries[0].seq,
        all.last().expect("last").seq,
        "newest first"
    );
    assert!(p.entries.windows(2).all(|w| w[0].seq > w[1].seq));
    assert!(p.kinds.contains(&"item.set".to_string()) && p.kinds.contains(&"read".to_string()));
    assert_eq!(p.members.len(), 1);
    assert_eq!(p.members[0].label, "Ada");
    assert_eq!(p.devices.len(), 1);

    // The last page holds the rest; past the end is empty.
    let last = v
        .audit_page(&AuditQuery {
            offset: n - 3,
            ..query(10)
        })
        .expect("page");
    assert_eq!(last.entries.len(), 3);
    assert_eq!(last.entries[2].seq, all[0].seq, "the genesis is the oldest");
    let past = v
        .audit_page(&AuditQuery {
            offset: n + 5,
            ..query(10)
        })
        .expect("page");
    assert!(past.entries.is_empty() && past.total == n);

    // Filters: kind, text (summary, case-insensitive), member, device.
    let reads = v
        .audit_page(&AuditQuery {
            kind: Some("read".into()),
            ..query(100)
        })
        .expect("reads");
    assert_eq!(reads.total, 1);
    assert!(
        reads.entries[0].summary.contains("API_KEY"),
        "{:?}",
        reads.entries[0]
    );
    let text = v
        .audit_page(&AuditQuery {
            text: Some("db_pass".into()),
            ..query(100)
        })
        .expect("text");
    assert_eq!(text.total, 1, "{:?}", text.entries);
    let mine = v
        .audit_page(&AuditQuery {
            member: Some(p.members[0].id.clone()),
            device: Some(p.devices[0].id.clone()),
            ..query(5)
        })
        .expect("member");
    assert_eq!(mine.total, n);
    let none = v
        .audit_page(&AuditQuery {
            denied_only: true,
            ..query(5)
        })
        .expect("denied");
    assert_eq!(none.total, 0);
    // No value ever appears in a page.
    let json = serde_json::to_string(&v.audit_page(&query(1000)).expect("all")).expect("json");
    assert!(!json.contains("value number") && !json.contains(API_V2));
}

#[test]
fn fail_audit_page_bad_query() {
    let (fx, _) = standard();
    let mut v = fx.open();
    for q in [
        query(0),
        query(5000),
        AuditQuery {
            kind: Some("nonsense".into()),
            ..query(5)
        },
        AuditQuery {
            member: Some("zz".into()),
            ..query(5)
        },
    ] {
        assert_kind("bad query", ErrorKind::InvalidInput, v.audit_page(&q));
    }
}

#[test]
fn verify_reports_each_chain_and_a_verdict() {
    let (fx, _) = standard();
    let bob = Person::new(&fx, "Bob");
    {
        let mut v = fx.open();
        add_member(
            &mut v,
            &bob,
            Role::Member,
            &[(DEV, coffer_vault::Access::Write)],
        );
    }
    {
        let mut b = bob.open(&fx.path);
        b.set_item(DEV, "BOBS", value("bob-value"))
            .expect("bob sets");
    }
    let mut v = fx.open();
    let rep = v.verify().expect("verify");
    assert!(rep.ok(), "{:?}", rep.problems);
    assert_eq!(rep.chains.len(), 2);
    assert_eq!(rep.state_matches, Some(true));
    let ada = rep.chains.iter().find(|c| c.this_device).expect("ada");
    assert_eq!(ada.author, "Ada");
    assert_eq!(ada.head, HeadCheck::Ok);
    let bobs = rep.chains.iter().find(|c| !c.this_device).expect("bob");
    assert_eq!((bobs.author.as_str(), bobs.entries), ("Bob", 1));
    assert_eq!(bobs.head, HeadCheck::NotRecorded);
    assert!(rep.chains.iter().all(|c| c.ok()));
    assert!(rep.verdict().starts_with("Verified:"), "{}", rep.verdict());
    drop(v);

    // Bob's entry edited: his chain is broken, Ada's is not.
    {
        let c = fx.db();
        let (seq, mut body): (i64, Vec<u8>) = c
            .query_row(
                "SELECT seq, body FROM ops ORDER BY seq DESC LIMIT 1",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .expect("op");
        let i = body.len() / 2;
        body[i] ^= 0x01;
        c.execute(
            "UPDATE ops SET body = ?2 WHERE seq = ?1",
            params![seq, body],
        )
        .expect("edit");
    }
    let mut v = fx.open();
    let rep = v.verify().expect("verify");
    assert!(!rep.ok());
    assert_eq!(rep.state_matches, None);
    let bobs = rep.chains.iter().find(|c| !c.this_device).expect("bob");
    assert!(!bobs.linked && !bobs.ok());
    assert!(rep.chains.iter().find(|c| c.this_device).expect("ada").ok());
    assert!(
        rep.verdict().starts_with("Integrity check failed:"),
        "{}",
        rep.verdict()
    );
    assert!(rep.verdict().contains("modified"), "{}", rep.verdict());
}

#[test]
fn a_truncated_chain_is_refused_at_open() {
    let (fx, _) = standard();
    {
        let c = fx.db();
        c.execute("DELETE FROM ops WHERE seq = (SELECT MAX(seq) FROM ops)", [])
            .expect("truncate");
    }
    // Found at open already (the recorded head), before verify can run.
    assert_open_refused(&fx, "truncated");
}

fn git_repo(dir: &Path, ignore: &str) {
    let ok = std::process::Command::new("git")
        .args(["init", "-q"])
        .arg(dir)
        .status()
        .expect("git")
        .success();
    assert!(ok);
    std::fs::write(dir.join(".gitignore"), ignore).expect("gitignore");
}

fn req<'a>(env: &'a str, path: &'a Path) -> ExportRequest<'a> {
    ExportRequest {
        env_path: env,
        format: Format::Dotenv,
        dialect: Dialect::Portable,
        path,
        overwrite: false,
        force: false,
        force_hint: "tick “Write anyway”",
        allow: AllowVars::NONE,
    }
}

#[test]
fn export_env_file_refusals_are_worded_for_the_app() {
    let (fx, _) = standard();
    let repo = fx.dir.path().join("repo");
    std::fs::create_dir(&repo).expect("repo");
    git_repo(&repo, "*.secret\n");
    let mut v = fx.open();
    let before = v.audit_log().expect("log").len();

    let not_ignored = repo.join(".env");
    let e = v
        .export_env_file(&req(PROD, &not_ignored))
        .expect_err("refused");
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert!(
        e.to_string()
            .contains("add it to .gitignore, or tick “Write anyway”"),
        "{e}"
    );
    assert!(!not_ignored.exists());
    assert_eq!(
        v.audit_log().expect("log").len(),
        before,
        "a refusal is not logged"
    );

    // Forced, it is written (0600) and the export logged.
    let n = v
        .export_env_file(&ExportRequest {
            force: true,
            ..req(PROD, &not_ignored)
        })
        .expect("forced");
    assert_eq!(n, 2);
    assert_eq!(v.audit_log().expect("log").len(), before + 1);
    let text = std::fs::read_to_string(&not_ignored).expect("read");
    let parsed = coffer_dotenv::parse(&text).expect("parse");
    assert_eq!(parsed.len(), 2);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&not_ignored)
            .expect("meta")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    // An existing file needs `overwrite`.
    let e = v
        .export_env_file(&ExportRequest {
            force: true,
            ..req(PROD, &not_ignored)
        })
        .expect_err("exists");
    assert_eq!(e.kind(), ErrorKind::Conflict);
    assert!(e.to_string().contains("already exists"), "{e}");

    // Relative paths, folders and missing folders are refused.
    for (p, kind) in [
        (Path::new("rel/.env").to_path_buf(), ErrorKind::InvalidInput),
        (repo.clone(), ErrorKind::InvalidInput),
        (repo.join("nope/.env"), ErrorKind::NotFound),
    ] {
        let e = v.export_env_file(&req(PROD, &p)).expect_err("refused");
        assert_eq!(e.kind(), kind, "{e}");
    }

    // A value portable cannot spell: the key, and the dialects that can.
    v.set_item(DEV, "TRICKY", value("it's \"$x\""))
        .expect("set");
    let out = fx.dir.path().join("dev.env");
    let e = v
        .export_env_file(&req(DEV, &out))
        .expect_err("unrepresentable");
    let msg = e.to_string();
    assert_eq!(e.kind(), ErrorKind::InvalidInput);
    assert!(
        msg.contains("TRICKY") && msg.contains("choose the"),
        "{msg}"
    );
    assert!(msg.contains("python") || msg.contains("node"), "{msg}");
    assert!(!msg.contains("it's") && !msg.contains("--dialect"), "{msg}");
    // The suggested dialect works.
    v.export_env_file(&ExportRequest {
        dialect: Dialect::Node,
        ..req(DEV, &out)
    })
    .expect("node");
    let text = std::fs::read_to_string(&out).expect("read");
    assert!(text.contains("TRICKY="));
}

#[test]
fn open_existing_hands_the_identity_back_and_remembers_the_path() {
    let (fx, _) = standard();
    let carol = Person::new(&fx, "Carol");
    // Not a member: refused, identity returned.
    let fail = Vault::open_existing(&fx.path, carol.unlock()).expect_err("not a member");
    assert_eq!(fail.error.kind(), ErrorKind::Permission);
    assert!(
        fail.error.to_string().contains("not a member"),
        "{}",
        fail.error
    );
    assert_eq!(fail.identity.name(), "Carol");
    assert_eq!(remembered_vault_path(&carol.home), None);
    // A missing file: not found, identity returned.
    let missing = fx.dir.path().join("missing.coffer");
    let fail = Vault::open_existing(&missing, *fail.identity).expect_err("missing");
    assert_eq!(fail.error.kind(), ErrorKind::NotFound);
    // Added by a teammate: opens, and is remembered.
    {
        let mut v = fx.open();
        add_member(
            &mut v,
            &carol,
            Role::Member,
            &[(DEV, coffer_vault::Access::Read)],
        );
    }
    let v = Vault::open_existing(&fx.path, *fail.identity).expect("member opens");
    assert_eq!(v.name(), "Acme");
    assert_eq!(remembered_vault_path(&carol.home), Some(fx.path.clone()));
    assert!(carol.home.join(VAULT_POINTER_FILE).exists());
}

#[test]
fn fail_open_existing_on_a_file_that_is_not_a_vault_leaves_it_unchanged() {
    let fx = Fx::new();
    drop(fx.create());
    let empty = fx.dir.path().join("empty.coffer");
    std::fs::write(&empty, b"").expect("empty");
    let other = fx.dir.path().join("other.sqlite");
    {
        let c = rusqlite::Connection::open(&other).expect("other db");
        c.execute_batch("CREATE TABLE notes (body TEXT); INSERT INTO notes VALUES ('hello');")
            .expect("other schema");
    }
    let text = fx.dir.path().join("notes.txt");
    std::fs::write(&text, b"just some text, not a database at all\n").expect("text");
    let mut me = fx.unlock();
    for p in [&empty, &other, &text] {
        let before = std::fs::read(p).expect("read");
        let fail = Vault::open_existing(p, me).expect_err("not a vault");
        assert_eq!(fail.error.kind(), ErrorKind::InvalidInput, "{}", fail.error);
        assert!(
            fail.error
                .to_string()
                .contains("is not a Coffer vault file"),
            "{}",
            fail.error
        );
        assert_eq!(
            std::fs::read(p).expect("read"),
            before,
            "{} unchanged",
            p.display()
        );
        me = *fail.identity;
    }
    // The real one still opens.
    Vault::open_existing(&fx.path, me).expect("the vault opens");
}
