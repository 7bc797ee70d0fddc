//! What a read costs in durable writes (issue 14), counted on the real
//! binary with `strace`: `get`, `export` and `run` each append a signed
//! read event before they show anything, and that event must be durable
//! when the command returns. Since the WAL stays between read-only
//! commands and the recorded head is written in place, a read costs one
//! fsync for the log, one for the head, and the folder sync SQLite makes
//! once per process (it cost seven). A command that
//! changes the vault still checkpoints on close, so afterwards the main
//! file alone holds everything. docs/design-decisions.md, "Read events:
//! one fsync for the log".

mod common;

use std::path::Path;

use common::*;

/// Runs `coffer ARGS` under strace and returns its output and the file
/// behind every fsync/fdatasync it made (`-y` names the descriptor's path).
fn syncs(env: &Env, args: &[&str]) -> (Out, Vec<String>) {
    let have = std::process::Command::new("strace")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        have,
        "this test counts fsyncs with strace: apt-get install strace (scripts/deps.sh does)"
    );
    let log = env.root().join("strace.log");
    let mut a: Vec<String> = vec![
        "-f".into(),
        "-qq".into(),
        "-y".into(),
        "-e".into(),
        "trace=fsync,fdatasync,sync_file_range,syncfs,sync".into(),
        "-o".into(),
        log.display().to_string(),
        bin().display().to_string(),
    ];
    a.extend(args.iter().map(|s| s.to_string()));
    let out = env.program("strace", &a).ok();
    let text = std::fs::read_to_string(&log).expect("strace log");
    let files = text
        .lines()
        .filter(|l| l.contains("sync"))
        .map(|l| {
            let path = l
                .split_once('<')
                .and_then(|(_, r)| r.split_once('>'))
                .map_or("?", |(p, _)| p);
            let call = l
                .split_whitespace()
                .nth(1)
                .and_then(|c| c.split_once('('))
                .map_or("?", |(c, _)| c);
            format!("{call} {}", name_of(Path::new(path)))
        })
        .collect();
    (out, files)
}

/// `vault.coffer-wal`, `heads/<…>.json`: enough to tell the files apart.
fn name_of(p: &Path) -> String {
    let file = p
        .file_name()
        .map(|f| f.to_string_lossy().into_owned())
        .unwrap_or_default();
    match p.parent().and_then(|d| d.file_name()) {
        Some(d) if d == "heads" => format!("heads/{}", file.rsplit('.').next().unwrap_or("")),
        _ => file,
    }
}

fn wal(env: &Env) -> std::path::PathBuf {
    let mut p = env.vault_path().into_os_string();
    p.push("-wal");
    p.into()
}

fn read_events(env: &Env) -> usize {
    env.audit().iter().filter(|e| e["kind"] == "read").count()
}

#[test]
fn a_read_costs_one_fsync_for_the_log_and_one_for_the_head() {
    let env = Env::with_vault();
    env.set("web/prod", "API_KEY", "the-value-1234");
    let reads0 = read_events(&env);
    // The first read after a write starts a new WAL (its header and its
    // folder are synced once); the reads after it append to it.
    env.get("web/prod", "API_KEY");
    for args in [
        &["get", "-n", "web/prod", "API_KEY"][..],
        &["export", "web/prod"][..],
        &["run", "--no-masking", "web/prod", "--", "true"][..],
    ] {
        let (out, files) = syncs(&env, args);
        if args[0] == "get" {
            assert_eq!(out.stdout, "the-value-1234");
        }
        // The commit; the folder SQLite's unix VFS syncs on the first sync
        // of each WAL handle it opens (it cannot tell whether it has just
        // created the file); the head, in place.
        assert_eq!(
            files,
            vec![
                "fsync vault.coffer-wal".to_string(),
                "fsync coffer-home".to_string(),
                "fdatasync heads/json".to_string()
            ],
            "{args:?}: the read event's commit, then the head in place"
        );
        // The event is in the WAL beside the vault, not checkpointed.
        assert!(
            std::fs::metadata(wal(&env)).is_ok_and(|m| m.len() > 0),
            "{args:?}"
        );
    }
    // Every read was logged (the audit itself reads nothing secret).
    assert_eq!(read_events(&env), reads0 + 4);
    // A command that changes the vault checkpoints on close: the main file
    // alone then holds everything, the read events included.
    env.set("web/prod", "OTHER", "x");
    assert!(!wal(&env).exists(), "a write command leaves no WAL behind");
    let conn = rusqlite::Connection::open_with_flags(
        env.vault_path(),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open");
    // Kind 6 is `read` (coffer_vault::ops::kind::READ).
    let n: i64 = conn
        .query_row("SELECT COUNT(*) FROM ops WHERE kind = 6", [], |r| r.get(0))
        .expect("count");
    assert_eq!(n as usize, reads0 + 4);
}

/// The WAL of read events stays small. Every command's open rebuilds
/// SQLite's WAL index by reading the whole WAL, so a WAL left to grow to
/// SQLite's own checkpoint (1,000 pages) made every read slower as reads
/// piled up (5.8 MB after ~200 reads: ~3 ms of each command). A read-only
/// command whose WAL has passed 256 KiB checkpoints on close; no read is
/// lost on the way.
#[test]
fn the_wal_of_read_events_stays_small() {
    let env = Env::with_vault();
    env.set("web/prod", "API_KEY", "the-value-1234");
    let reads0 = read_events(&env);
    let mut largest = 0;
    let mut emptied = 0;
    let mut last = 0;
    for _ in 0..40 {
        assert_eq!(env.get("web/prod", "API_KEY"), "the-value-1234");
        let len = std::fs::metadata(wal(&env)).map_or(0, |m| m.len());
        if len < last {
            emptied += 1;
        }
        last = len;
        largest = largest.max(len);
    }
    // The limit and at most one more read event's pages.
    assert!(
        largest <= 256 * 1024 + 128 * 1024,
        "the WAL grew to {largest} bytes"
    );
    assert!(
        emptied >= 1,
        "the WAL was never emptied (largest {largest} bytes)"
    );
    assert_eq!(read_events(&env), reads0 + 40, "every read was logged");
}
