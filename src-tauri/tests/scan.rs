//! "Scan a folder" and the hygiene panel (issue 12) through the plain
//! commands, on a real vault file and real folders: findings grouped by
//! credential and version with file:line, never a value (nor its base64);
//! the options of `coffer scan` (`--current-only`, `--respect-gitignore`);
//! a typed folder confined to home, a chosen one accepted anywhere; progress
//! and cancellation while the scan runs on another thread; "mark exposed"
//! only for what the last scan found, then listed by the rotation
//! dashboard; forgotten at lock; and `coffer lint`'s findings.
//!
//! One test function: it sets `HOME` and `TMPDIR` for the whole process.

use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine as _;
use coffer_desktop::commands as c;
use coffer_desktop::dto::*;
use coffer_desktop::{picker, IpcErrorCode, Session};

mod common;
use common::{
    ada_with_vault, add_env, choose_in_dialog, confined, secret, set_value, Confined, PW,
};

const OLD: &str = "sk_live_old_value_0001";
const CUR: &str = "sk_live_current_value_0002";
const DB: &str = "postgres://db.internal/shared-9f8e";

fn scan(s: &Session, folder: &Path, gitignore: bool, current_only: bool) -> ScanReportDto {
    c::scan_folder(
        s,
        ScanFolderArgs {
            path: folder.display().to_string(),
            respect_gitignore: gitignore,
            current_only,
        },
    )
    .expect("scan")
}

fn assert_no_value(json: &str) {
    for v in [OLD, CUR, DB] {
        assert!(!json.contains(v), "a value crossed IPC");
        let b = base64::engine::general_purpose::STANDARD.encode(v);
        assert!(!json.contains(&b), "an encoded value crossed IPC");
        assert!(!json.contains(&v[..12]), "part of a value crossed IPC");
    }
}

#[test]
fn scan_a_folder_mark_exposed_and_the_hygiene_report() {
    let Confined {
        dir, home, outside, ..
    } = confined();
    let s = Session::new(home.join(".coffer"), home.join("vault.coffer"));
    let answers = dir.path().join("answers");
    s.set_path_picker(picker::scripted(answers.clone()));

    // Locked: said before anything is read.
    let e = c::scan_folder(
        &s,
        ScanFolderArgs {
            path: home.display().to_string(),
            respect_gitignore: false,
            current_only: false,
        },
    )
    .expect_err("locked");
    assert_eq!(e.code, IpcErrorCode::Locked);

    ada_with_vault(&s, None, PW);
    add_env(&s, "web/prod");
    add_env(&s, "web/dev");
    set_value(&s, "web/prod", "API_KEY", OLD);
    set_value(&s, "web/prod", "API_KEY", CUR);
    set_value(&s, "web/prod", "DATABASE_URL", DB);
    set_value(&s, "web/dev", "DATABASE_URL", DB);
    set_value(&s, "web/prod", "SMTP_PASSWORD", "changeme");
    set_value(&s, "web/prod", "PORT", "5432");

    // A project folder: the current value in a committed-looking config,
    // the old one (base64) in an ignored .env, in a git work tree.
    let project = home.join("project");
    std::fs::create_dir_all(project.join("config")).expect("mkdir");
    std::fs::write(
        project.join("config/app.yml"),
        format!("name: web\napi_key: {CUR}\n"),
    )
    .expect("w");
    let b64 = base64::engine::general_purpose::STANDARD.encode(OLD);
    std::fs::write(project.join(".env"), format!("# old\nAPI_KEY_B64={b64}\n")).expect("w");
    std::fs::write(project.join(".gitignore"), ".env\n").expect("w");
    std::fs::write(project.join("README"), "nothing here\n").expect("w");
    let git = std::process::Command::new("git")
        .arg("init")
        .arg("-q")
        .arg(&project)
        .status()
        .expect("git");
    assert!(git.success());

    // Everything, ignored files too: grouped by credential, then version.
    let r = scan(&s, &project, false, false);
    let json = serde_json::to_string(&r).expect("json");
    assert_no_value(&json);
    assert!(!r.cancelled && !r.not_in_git);
    // Every regular file, .git's own included (not its compressed objects).
    assert!(r.files > 4, "{json}");
    assert_eq!(r.values, 5, "{json}");
    assert_eq!(r.skipped_short, 1, "PORT is under 8 bytes");
    assert_eq!(r.credentials.len(), 1, "{json}");
    let api = &r.credentials[0];
    assert_eq!(
        (api.env_path.as_str(), api.name.as_str()),
        ("web/prod", "API_KEY")
    );
    assert_eq!(api.places, 2);
    assert!(!api.exposed);
    let v: Vec<(u64, bool)> = api
        .versions
        .iter()
        .map(|v| (v.version, v.current))
        .collect();
    assert_eq!(v, [(2, true), (1, false)], "current first, then older");
    let cur = &api.versions[0].places[0];
    assert_eq!(
        (cur.path.as_str(), cur.line, cur.encoding.as_str()),
        ("config/app.yml", 2, "raw")
    );
    let old = &api.versions[1].places[0];
    assert_eq!(
        (old.path.as_str(), old.line, old.encoding.as_str()),
        (".env", 2, "base64")
    );
    let p = c::scan_progress(&s).expect("progress");
    assert!(!p.running);
    assert_eq!((p.files_done, p.files_total), (r.files, r.files));

    // The options of `coffer scan`.
    let r = scan(&s, &project, true, false);
    assert_eq!(r.files, 3, "the ignored .env is left out");
    assert_eq!(r.credentials[0].versions.len(), 1);
    assert!(r.credentials[0].versions[0].current);
    let r = scan(&s, &project, false, true);
    assert_eq!(r.credentials[0].versions.len(), 1, "current values only");
    let plain = home.join("plain");
    std::fs::create_dir_all(&plain).expect("mkdir");
    std::fs::write(plain.join("notes.txt"), format!("{DB}\n")).expect("w");
    let r = scan(&s, &plain, true, false);
    assert!(r.not_in_git, "no work tree to respect: said");
    // Two credentials with one value: both named.
    let names: Vec<String> = r
        .credentials
        .iter()
        .map(|c| format!("{}/{}", c.env_path, c.name))
        .collect();
    assert_eq!(names, ["web/dev/DATABASE_URL", "web/prod/DATABASE_URL"]);

    // A typed folder outside home: refused. Chosen in the folder dialog:
    // accepted once.
    let far = outside.join("backup");
    std::fs::create_dir_all(&far).expect("mkdir");
    std::fs::write(far.join("dump.sql"), format!("-- {CUR}\n")).expect("w");
    let args = || ScanFolderArgs {
        path: far.display().to_string(),
        respect_gitignore: false,
        current_only: false,
    };
    let e = c::scan_folder(&s, args()).expect_err("typed outside home");
    assert_eq!(e.code, IpcErrorCode::Permission, "{e:?}");
    let asked = choose_in_dialog(&s, &answers, PickPurpose::ScanFolder, &home, &far);
    assert!(
        asked.contains("purpose=scan_folder\nsave=false\nfolder=true"),
        "{asked}"
    );
    let r = c::scan_folder(&s, args()).expect("chosen: scanned");
    assert_eq!(r.credentials.len(), 1);
    let e = c::scan_folder(&s, args()).expect_err("a grant is used once");
    assert_eq!(e.code, IpcErrorCode::Permission);
    let e = c::scan_folder(
        &s,
        ScanFolderArgs {
            path: project.join("README").display().to_string(),
            respect_gitignore: false,
            current_only: false,
        },
    )
    .expect_err("a file");
    assert_eq!(e.code, IpcErrorCode::InvalidInput);

    // Mark exposed: only what the last scan found; then on the dashboard.
    let r = scan(&s, &project, false, false);
    let e = c::scan_mark_exposed(
        &s,
        ScanMarkArgs {
            ids: Some(vec!["00".repeat(16)]),
        },
    )
    .expect_err("not found by the scan");
    assert_eq!(e.code, IpcErrorCode::InvalidInput);
    let before = c::rotation_list(
        &s,
        RotationListArgs {
            due_soon_days: None,
        },
    )
    .expect("rot");
    assert_eq!(before.counts.exposed, 0);
    let m = c::scan_mark_exposed(
        &s,
        ScanMarkArgs {
            ids: Some(vec![r.credentials[0].id.clone()]),
        },
    )
    .expect("mark");
    assert_eq!(m.marked, 1);
    let after = c::rotation_list(
        &s,
        RotationListArgs {
            due_soon_days: None,
        },
    )
    .expect("rot");
    assert_eq!(after.counts.exposed, 1);
    assert!(after
        .items
        .iter()
        .any(|i| i.name == "API_KEY" && i.status == RotationStatus::Exposed));
    let again = c::scan_mark_exposed(&s, ScanMarkArgs { ids: None }).expect("all");
    assert_eq!(again.marked, 0, "already exposed: unchanged");
    let r = scan(&s, &project, false, false);
    assert!(r.credentials[0].exposed, "the next scan says so");

    // Lock forgets what the scan found.
    c::lock(&s).expect("lock");
    c::unlock(
        &s,
        UnlockArgs::Password {
            password: secret(&s, "unlock", PW),
        },
    )
    .expect("unlock");
    let e = c::scan_mark_exposed(&s, ScanMarkArgs { ids: None }).expect_err("forgotten");
    assert_eq!(e.code, IpcErrorCode::NotFound);

    // Progress and cancellation while a scan runs on another thread (the
    // app's command threads), with the vault free meanwhile.
    let big = home.join("big");
    std::fs::create_dir_all(&big).expect("mkdir");
    let chunk = "lorem ipsum dolor sit amet\n".repeat(20_000);
    for i in 0..40 {
        std::fs::write(big.join(format!("{i:02}.log")), &chunk).expect("w");
    }
    std::thread::scope(|t| {
        let running = t.spawn(|| scan(&s, &big, false, false));
        let start = Instant::now();
        loop {
            let p = c::scan_progress(&s).expect("progress");
            if p.running && p.phase == "searching" && p.files_done >= 1 {
                assert_eq!(p.files_total, 40);
                assert!(p.bytes > 0);
                // The vault is not held while files are read.
                c::list_envs(&s).expect("the vault answers during a scan");
                let e = c::scan_folder(
                    &s,
                    ScanFolderArgs {
                        path: big.display().to_string(),
                        respect_gitignore: false,
                        current_only: false,
                    },
                )
                .expect_err("one at a time");
                assert_eq!(e.code, IpcErrorCode::Conflict);
                c::scan_cancel(&s).expect("cancel");
                break;
            }
            assert!(!p.phase.eq("done") || start.elapsed() < Duration::from_secs(30));
            assert!(start.elapsed() < Duration::from_secs(60), "{p:?}");
            std::thread::sleep(Duration::from_millis(2));
        }
        let r = running.join().expect("thread");
        assert!(r.cancelled, "stopped");
        assert!(r.files < 40, "{} files", r.files);
    });

    // The hygiene report: the reused value and the placeholder, by name.
    let h = c::hygiene_report(&s, HygieneArgs { scope: None }).expect("lint");
    let json = serde_json::to_string(&h).expect("json");
    assert_no_value(&json);
    assert!(!json.contains("changeme"), "{json}");
    assert_eq!(h.len(), 2, "{json}");
    assert_eq!(h[0].kind, "reused");
    let creds: Vec<(&str, &str)> = h[0]
        .credentials
        .iter()
        .map(|c| (c.env_path.as_str(), c.name.as_str()))
        .collect();
    assert_eq!(
        creds,
        [("web/dev", "DATABASE_URL"), ("web/prod", "DATABASE_URL")]
    );
    assert_eq!(h[1].kind, "placeholder");
    assert_eq!(h[1].credentials[0].name, "SMTP_PASSWORD");
    let only_dev = c::hygiene_report(
        &s,
        HygieneArgs {
            scope: Some("web/dev".into()),
        },
    )
    .expect("scoped");
    assert!(only_dev.is_empty(), "one environment: nothing reused");
}
