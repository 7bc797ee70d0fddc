//! Attack review 13 (commit af238eb): the transports (the sync folder and
//! the git remote) and the files around them, which review 12 (the op
//! semantics) left out. `attack_*` tests assert the secure property and
//! were ignored while the attack worked; `resisted_*` tests pass (attacks
//! tried and defended).
//!
//! Findings: see the section "Attack review 13" of
//! docs/design-decisions.md (each `attack_*` test failed on af238eb).
#![allow(dead_code, unused_imports)]

mod common;

use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Duration;

use coffer_crypto::Id;
use coffer_vault::sync::Remote;
use coffer_vault::{ErrorKind, Vault};
use common::sync_fx::*;
use common::*;

// ----- helpers ---------------------------------------------------------------------

/// Bob writes and publishes, so that his feed has entries; returns his
/// device id and the number of entries in his feed.
fn bob_publishes(bob: &Device, remote: &Remote, v: &str) -> (Id, u64) {
    let mut b = bob.open();
    b.set_item(PROD, "API_KEY", value(v)).expect("Bob writes");
    b.sync().expect("Bob publishes");
    let dev = device_of(&b);
    let n = match remote {
        Remote::Folder(_) => last_seq(remote, &dev),
        Remote::Git(_) => 0,
    };
    (dev, n)
}

fn symlink(target: &Path, link: &Path) {
    std::os::unix::fs::symlink(target, link).expect("symlink");
}

fn mkfifo(p: &Path) {
    let ok = std::process::Command::new("mkfifo")
        .arg(p)
        .status()
        .expect("mkfifo")
        .success();
    assert!(ok, "mkfifo {}", p.display());
}

/// Runs `f` on its own thread; `None` if it has not returned after
/// `secs` (the thread is left blocked: the test process ends it).
fn within<T: Send + 'static>(secs: u64, f: impl FnOnce() -> T + Send + 'static) -> Option<T> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(f());
    });
    rx.recv_timeout(Duration::from_secs(secs)).ok()
}

fn clone_of(dev: &Device, vault: &Id) -> PathBuf {
    dev.who.home.join("sync").join(vault.to_hex())
}

// ----- P1: a symlinked feed directory -----------------------------------------------

/// ATTACK (anyone who writes the sync folder): Bob's own feed directory,
/// `feeds/<bob>`, is replaced by a symbolic link to a folder outside the
/// sync folder. Entry files were checked (a symlinked entry is refused),
/// the directories above them were not: Bob's next sync took the junk
/// "planted" there for his own feed and deleted it (any file there named
/// as his next entry), then wrote his whole feed, as `NNNN.op` files,
/// into the outside folder. The secure property: nothing outside the sync
/// folder is written or deleted; the sync is refused with a clear error.
#[test]
fn attack_a_symlinked_own_feed_directory_writes_and_deletes_outside() {
    let (fx, remote, bob, _carol) = team(folder_remote);
    let (dev, n) = bob_publishes(&bob, &remote, "bob-1");
    let outside = outside_with_victim(&fx, "outside", n + 1);
    std::fs::write(outside.join("notes.txt"), b"keep me").expect("notes");
    let before = listing(&outside);
    std::fs::remove_dir_all(feed_dir(&remote, &dev)).expect("rm feed");
    symlink(&outside, &feed_dir(&remote, &dev));

    let mut b = bob.open();
    b.set_item(PROD, "API_KEY", value("bob-2"))
        .expect("Bob writes");
    let r = b.sync();
    assert_eq!(
        listing(&outside),
        before,
        "nothing written or deleted outside"
    );
    let e = r.expect_err("the sync is refused");
    assert!(
        e.to_string().contains("symbolic link"),
        "a clear error: {e}"
    );
}

/// ATTACK (the same, one level up): `feeds` itself is a symbolic link to
/// a folder outside the sync folder. Every device's sync read and wrote
/// its feeds there.
#[test]
fn attack_a_symlinked_feeds_directory_writes_outside() {
    let (fx, remote, bob, _carol) = team(folder_remote);
    let (dev, n) = bob_publishes(&bob, &remote, "bob-1");
    let outside = fx.dir.path().join("elsewhere");
    std::fs::create_dir_all(outside.join(dev.to_hex())).expect("outside");
    std::fs::write(
        outside.join(dev.to_hex()).join(format!("{:020}.op", n + 1)),
        b"victim",
    )
    .expect("victim");
    let before = listing(&outside);
    let feeds = root(&remote).join("feeds");
    std::fs::rename(&feeds, fx.dir.path().join("feeds-aside")).expect("aside");
    symlink(&outside, &feeds);

    let mut b = bob.open();
    b.set_item(PROD, "API_KEY", value("bob-2"))
        .expect("Bob writes");
    let r = b.sync();
    assert_eq!(
        listing(&outside),
        before,
        "nothing written or deleted outside"
    );
    let e = r.expect_err("the sync is refused");
    assert!(
        e.to_string().contains("symbolic link"),
        "a clear error: {e}"
    );
    // Ada's sync is refused the same way, and writes nothing there.
    let r = fx.open().sync();
    assert_eq!(listing(&outside), before, "nothing written by Ada either");
    assert!(r.is_err(), "Ada's sync is refused too: {r:?}");
}

/// ATTACK (a teammate with push access to the git remote): the same
/// through git. Mallory pushes a commit where `feeds/<bob>` is a symbolic
/// link to a folder of Bob's machine; git checked it out as a link in
/// Bob's clone, and Bob's sync deleted and wrote files there.
#[test]
fn attack_a_git_remote_plants_a_symlinked_feed_directory() {
    let (fx, remote, bob, _carol) = team(git_remote);
    let (dev, _) = bob_publishes(&bob, &remote, "bob-1");
    let vault = fx.open().id();
    let n = {
        let mut k = 0;
        let dir = clone_of(&bob, &vault).join("feeds").join(dev.to_hex());
        while dir.join(format!("{:020}.op", k + 1)).exists() {
            k += 1;
        }
        k
    };
    assert!(n > 0, "Bob's feed is in his clone");
    let outside = outside_with_victim(&fx, "bobs-documents", n + 1);
    let before = listing(&outside);
    push_to_git_remote(&fx, &remote, false, |work| {
        let d = work.join("feeds").join(dev.to_hex());
        std::fs::remove_dir_all(&d).expect("rm");
        symlink(&outside, &d);
    });

    let mut b = bob.open();
    b.set_item(PROD, "API_KEY", value("bob-2"))
        .expect("Bob writes");
    let r = b.sync();
    assert_eq!(
        listing(&outside),
        before,
        "nothing written or deleted outside"
    );
    assert!(r.is_err(), "the sync is refused: {r:?}");
}

// ----- P2: reads that hang or exhaust memory ----------------------------------------

/// ATTACK (anyone who writes the sync folder): the descriptor,
/// `coffer-vault.json`, is a FIFO. `join` (and its preview in the app)
/// opened it without a check and blocked for ever; a symlink to
/// `/dev/zero` would have been read until memory ran out. The secure
/// property: refused at once, unread.
#[test]
fn attack_a_fifo_descriptor_hangs_the_join() {
    let (fx, remote, _bob, _carol) = team(folder_remote);
    let desc = root(&remote).join("coffer-vault.json");
    std::fs::remove_file(&desc).expect("rm");
    mkfifo(&desc);
    let dave = Device::new(&fx, "Dave");
    let home = dave.who.home.clone();
    let r2 = remote.clone();
    let r = within(10, move || Vault::preview_join(&home, &r2).map(|d| d.name));
    let r = r.expect("the preview returns instead of hanging on the FIFO");
    assert!(r.is_err(), "a FIFO is no descriptor: {r:?}");
    // A symlink to an endless device: refused unread, too.
    std::fs::remove_file(&desc).expect("rm");
    symlink(Path::new("/dev/zero"), &desc);
    let home = dave.who.home.clone();
    let r2 = remote.clone();
    let r = within(10, move || Vault::preview_join(&home, &r2).map(|d| d.name));
    let r = r.expect("the preview returns");
    assert!(r.is_err(), "/dev/zero is no descriptor: {r:?}");
}

// ----- P3: hostile file names --------------------------------------------------------

/// ATTACK (anyone who writes the sync folder): stray names carrying
/// terminal escape sequences and line breaks. The sync's warnings quoted
/// them as they were, and `coffer sync` printed them to the terminal: a
/// name could retitle the window, clear the screen, or print a fake
/// "everything is fine" line after a real tampering warning. The secure
/// property: no control character in any warning.
#[test]
fn attack_stray_names_carry_terminal_escapes() {
    let (fx, remote, bob, _carol) = team(folder_remote);
    let (dev, _) = bob_publishes(&bob, &remote, "bob-1");
    let feeds = root(&remote).join("feeds");
    std::fs::create_dir_all(feeds.join("\x1b[2J\x1b]0;owned\x07")).expect("stray dir");
    std::fs::write(
        feed_dir(&remote, &dev).join("x.op\r\nsynced: all feeds verified, nothing tampered\x1b[8m"),
        b"x",
    )
    .expect("stray file");
    let r = fx.open().sync().expect("Ada syncs");
    assert!(r.warnings.len() >= 2, "both are reported: {:?}", r.warnings);
    for w in &r.warnings {
        assert!(
            !w.chars().any(char::is_control),
            "a control character reaches the terminal: {w:?}"
        );
    }
}

// ----- P4: git's attribute-driven filters -------------------------------------------

/// ATTACK (a teammate with push access, against a user whose git has a
/// filter driver configured, as git-lfs installs one): Mallory pushes a
/// `.gitattributes` that routes every file through the user's filter.
/// Coffer's checkout ran it on content of Mallory's choosing. The secure
/// property: the clone's checkouts and commits run no filter the remote
/// names (Coffer's feeds are plain files).
#[test]
fn attack_a_remotes_gitattributes_run_the_users_filters() {
    let (fx, remote, bob, _carol) = team(git_remote);
    bob_publishes(&bob, &remote, "bob-1");
    let vault = fx.open().id();
    let marker = fx.dir.path().join("filter-ran");
    // Standing for the user's own git configuration (global or system):
    // a filter driver (git-lfs installs one the same way).
    let clone = clone_of(&bob, &vault);
    let cmd = format!("touch '{}'; cat", marker.display());
    let ok = std::process::Command::new("git")
        .arg("-C")
        .arg(&clone)
        .args(["config", "filter.userfilter.smudge", &cmd])
        .status()
        .expect("git config")
        .success();
    assert!(ok);
    let ok = std::process::Command::new("git")
        .arg("-C")
        .arg(&clone)
        .args(["config", "filter.userfilter.clean", &cmd])
        .status()
        .expect("git config")
        .success();
    assert!(ok);
    push_to_git_remote(&fx, &remote, false, |work| {
        std::fs::write(work.join(".gitattributes"), "* filter=userfilter\n").expect("attrs");
        std::fs::write(work.join("README"), "hello\n").expect("file");
    });
    let mut b = bob.open();
    b.set_item(PROD, "API_KEY", value("bob-2"))
        .expect("Bob writes");
    b.sync().expect("Bob syncs");
    assert!(
        !marker.exists(),
        "the remote made Coffer's git run a filter"
    );
}
