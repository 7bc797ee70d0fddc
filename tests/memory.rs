//! No secret left in memory by `coffer run` once the command has started
//! (issue 10, the `coffer run` half of the memory test).
//!
//! With `--no-masking` (and no `--file`) `coffer run` does not keep a
//! parent process: it `exec`s the command, so the process that decrypted
//! the vault *becomes* the command and its whole address space is replaced. This test holds it to that: the
//! command runs under coffer's own pid, and a dump of that process's memory
//! (every readable mapping, through `/proc/PID/mem`) holds the value it was
//! given — the point of `run`, and the proof that the scan works — but not
//! the passphrase coffer read (from its environment, as scripts pass it),
//! nor another environment's values, and no `COFFER_PASSPHRASE` in its
//! environment.
//!
//! Linux only (`/proc`). Needs to read a child's memory: as its parent
//! (ptrace scope 1) or as root. A masked run (the default) keeps a
//! supervisor instead, a fresh `exec` of coffer without the passphrase:
//! `crates/coffer-cli/tests/masking.rs`,
//! `the_supervisor_of_a_masked_run_never_held_the_passphrase`.

mod common;

use std::io::{Read as _, Seek as _, SeekFrom};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;

const INJECTED: &str = "injected-canary-5f1d2c9a7b";
const OTHER_ENV: &str = "other-env-canary-2c7e9d1b3a";

/// Every readable mapping of `pid`, concatenated (unreadable ones skipped).
fn dump_memory(pid: u32) -> Vec<u8> {
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).expect("maps");
    let mut mem = std::fs::File::open(format!("/proc/{pid}/mem")).expect("open /proc/PID/mem");
    let mut out = Vec::new();
    for line in maps.lines() {
        let mut f = line.split_whitespace();
        let (Some(range), Some(perms)) = (f.next(), f.next()) else {
            continue;
        };
        if !perms.starts_with('r') || line.ends_with("[vvar]") || line.ends_with("[vsyscall]") {
            continue;
        }
        let Some((a, b)) = range.split_once('-') else {
            continue;
        };
        let (Ok(a), Ok(b)) = (u64::from_str_radix(a, 16), u64::from_str_radix(b, 16)) else {
            continue;
        };
        let mut buf = vec![0u8; (b - a) as usize];
        if mem.seek(SeekFrom::Start(a)).is_ok() && mem.read_exact(&mut buf).is_ok() {
            out.extend_from_slice(&buf);
        }
    }
    out
}

#[test]
#[cfg(target_os = "linux")]
fn coffer_run_leaves_no_parent_and_no_other_secret_in_memory() {
    let fx = Fx::new();
    let mut v = fx.create();
    v.add_env(PROD, None).expect("env");
    v.add_env(DEV, None).expect("env");
    v.set_item(PROD, "TOKEN", value(INJECTED)).expect("set");
    v.set_item(DEV, "OTHER", value(OTHER_ENV)).expect("set");
    drop(v);
    // `run` injects a whole environment; a second one is not asked for.
    let mut child = coffer(&fx, PASSPHRASE)
        .args(["run", "--no-masking", PROD, "--", "sleep", "30"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn coffer run");
    let pid = child.id();
    // Wait for the exec: the same pid now runs `sleep`.
    let t0 = Instant::now();
    loop {
        let exe = std::fs::read_link(format!("/proc/{pid}/exe")).unwrap_or_default();
        if exe.file_name().is_some_and(|n| n == "sleep") {
            break;
        }
        if let Some(status) = child.try_wait().expect("try_wait") {
            let mut err = String::new();
            let _ = child.stderr.take().map(|mut e| e.read_to_string(&mut err));
            panic!("coffer run ended ({status}) before running the command: {err}");
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "coffer run never exec'd the command (exe {exe:?})"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    // The exe link changes at the start of the exec, before the new stack
    // and environment are laid out: wait until the command itself sleeps.
    let environ = loop {
        let environ = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let state = stat
            .rsplit_once(')')
            .map(|(_, r)| r.trim_start().chars().next());
        if !environ.is_empty() && state == Some(Some('S')) {
            break environ;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "the command never settled"
        );
        std::thread::sleep(Duration::from_millis(5));
    };
    let memory = dump_memory(pid);
    let _ = child.kill();
    let _ = child.wait();

    assert!(memory.len() > 4096, "read {} bytes of memory", memory.len());
    // The positive control: the value handed to the command is there.
    assert!(
        contains(&environ, INJECTED.as_bytes()),
        "the value was not injected"
    );
    assert!(
        contains(&memory, INJECTED.as_bytes()),
        "the scan did not find the injected value: it proves nothing"
    );
    for (what, needle) in [
        ("the passphrase", PASSPHRASE),
        ("a value of another environment", OTHER_ENV),
    ] {
        assert!(
            !contains(&memory, needle.as_bytes()),
            "{what} is in the memory of the command"
        );
    }
    assert!(
        !contains(&environ, b"COFFER_PASSPHRASE"),
        "the command got COFFER_PASSPHRASE"
    );
}
