//! Masked output of `coffer run` through the built binary (issue 11): on
//! a real pseudo-terminal opened by the test (coffer runs on its slave
//! side, as in a terminal window) and with pipes.

#![cfg(unix)]

mod common;

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::{AsFd, OwnedFd};
use std::process::{Child, ChildStdout, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{exit_of, Env};
use nix::sys::signal::{kill, Signal};
use nix::sys::termios::{self, LocalFlags};
use nix::unistd::Pid;

const MASK: &str = "<concealed by coffer>";
/// 20 bytes: masked.
const TOKEN: &str = "tok_1234567890abcdef";
/// 5 bytes: too short to mask.
const SHORT: &str = "abcde";

fn fixture() -> Env {
    let env = Env::with_vault();
    env.coffer(["env", "add", "web/dev"]).ok();
    env.set("web/dev", "TOKEN", TOKEN);
    env.set("web/dev", "SHORT", SHORT);
    env
}

/// coffer running on the slave side of a pseudo-terminal the test owns.
struct OnPty {
    child: Child,
    /// The test's side: what coffer writes comes out here, what is written
    /// here is coffer's keyboard.
    master: File,
    /// Kept open, to read the terminal's settings after coffer exits.
    slave: OwnedFd,
    /// The terminal's settings before coffer started.
    initial: termios::Termios,
    out: Arc<Mutex<Vec<u8>>>,
}

impl OnPty {
    fn start(env: &Env, args: &[&str], rows: u16, cols: u16) -> Self {
        Self::start_redirected(env, args, rows, cols, None)
    }

    /// As `start`, with one of stdout (1) or stderr (2) to a file.
    fn start_redirected(
        env: &Env,
        args: &[&str],
        rows: u16,
        cols: u16,
        to_file: Option<(i32, &std::path::Path)>,
    ) -> Self {
        let ws = nix::pty::Winsize {
            ws_row: rows,
            ws_col: cols,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        let pty = nix::pty::openpty(Some(&ws), None).expect("openpty");
        let slave = pty.slave;
        let initial = termios::tcgetattr(slave.as_fd()).expect("tcgetattr");
        let stdio = |n: i32| match to_file {
            Some((m, path)) if m == n => Stdio::from(File::create(path).expect("create")),
            _ => Stdio::from(slave.try_clone().expect("dup")),
        };
        let child = env
            .spawnable(args)
            .env("TERM", "xterm-256color")
            .stdin(stdio(0))
            .stdout(stdio(1))
            .stderr(stdio(2))
            .spawn()
            .expect("spawn coffer");
        let master = File::from(pty.master);
        let out = Arc::new(Mutex::new(Vec::new()));
        let (mut r, sink) = (master.try_clone().expect("dup"), out.clone());
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = r.read(&mut buf) {
                if n == 0 {
                    break;
                }
                sink.lock().expect("lock").extend_from_slice(&buf[..n]);
            }
        });
        OnPty {
            child,
            master,
            slave,
            initial,
            out,
        }
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.out.lock().expect("lock")).into_owned()
    }

    /// Waits until the output contains `what`.
    #[track_caller]
    fn wait_for(&self, what: &str) {
        let t0 = Instant::now();
        while !self.text().contains(what) {
            assert!(
                t0.elapsed() < Duration::from_secs(20),
                "no {what:?} in {:?}",
                self.text()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    fn keys(&mut self, bytes: &[u8]) {
        self.master.write_all(bytes).expect("type");
    }

    fn signal(&self, sig: Signal) {
        kill(Pid::from_raw(self.child.id() as i32), sig).expect("kill");
    }

    /// Waits for coffer's exit code and for its output to settle.
    fn finish(mut self) -> (i32, String, OnPtyAfter) {
        let code = exit_of(&mut self.child);
        // What coffer wrote last may still be on its way through the
        // terminal.
        let mut last = self.text();
        loop {
            std::thread::sleep(Duration::from_millis(100));
            let now = self.text();
            if now == last {
                break;
            }
            last = now;
        }
        (code, last, OnPtyAfter { slave: self.slave })
    }
}

/// The terminal after coffer exited.
struct OnPtyAfter {
    slave: OwnedFd,
}

fn run_sh(script: &str) -> Vec<&str> {
    vec!["run", "web/dev", "--", "sh", "-c", script]
}

fn unmasked_sh(script: &str) -> Vec<&str> {
    vec!["run", "--no-masking", "web/dev", "--", "sh", "-c", script]
}

/// The fixture, and `coffer run web/dev -- sh -c SCRIPT` on a 24×80
/// terminal (keep the `Env`: it owns the vault).
fn on_pty(script: &str) -> (Env, OnPty) {
    let env = fixture();
    let pty = OnPty::start(&env, &run_sh(script), 24, 80);
    (env, pty)
}

// ----- on a terminal ---------------------------------------------------------

#[test]
fn on_a_terminal_colours_isatty_and_window_size_pass_and_values_are_masked() {
    let env = fixture();
    let pty = OnPty::start(
        &env,
        &run_sh(
            "[ -t 0 ] && [ -t 1 ] && [ -t 2 ] && echo all-a-tty; stty size; \
             printf '\\033[1;31mred\\033[0m\\n'; echo \"out=$TOKEN\"; echo \"err=$TOKEN\" >&2; \
             echo \"short=$SHORT\"; exit 7",
        ),
        33,
        111,
    );
    let before = pty.initial.clone();
    assert!(before.local_flags.contains(LocalFlags::ICANON));
    let (code, out, after) = pty.finish();
    assert_eq!(code, 7, "{out:?}");
    assert!(out.contains("all-a-tty"), "{out:?}");
    assert!(out.contains("33 111"), "window size: {out:?}");
    assert!(out.contains("\x1b[1;31mred\x1b[0m"), "colours: {out:?}");
    assert!(out.contains(&format!("out={MASK}")), "{out:?}");
    assert!(out.contains(&format!("err={MASK}")), "{out:?}");
    assert!(!out.contains("tok_"), "{out:?}");
    // Too short to mask.
    assert!(out.contains(&format!("short={SHORT}")), "{out:?}");
    // The terminal is as coffer found it (it was raw meanwhile).
    let restored = termios::tcgetattr(after.slave.as_fd()).expect("tcgetattr");
    assert_eq!(restored.local_flags, before.local_flags);
    assert_eq!(restored.input_flags, before.input_flags);
    assert_eq!(restored.output_flags, before.output_flags);
}

#[test]
fn on_a_terminal_the_terminal_is_raw_while_the_command_runs_and_restored_after() {
    let (_env, mut pty) = on_pty("echo ready; read line; echo \"got:$line\"");
    pty.wait_for("ready");
    let during = termios::tcgetattr(pty.slave.as_fd()).expect("tcgetattr");
    assert!(
        !during.local_flags.contains(LocalFlags::ICANON)
            && !during.local_flags.contains(LocalFlags::ECHO),
        "raw while the command runs"
    );
    // stdin passes through to the command's terminal.
    pty.keys(b"hello\r");
    let (code, out, after) = pty.finish();
    assert_eq!(code, 0, "{out:?}");
    assert!(out.contains("got:hello"), "{out:?}");
    let restored = termios::tcgetattr(after.slave.as_fd()).expect("tcgetattr");
    assert!(restored
        .local_flags
        .contains(LocalFlags::ICANON | LocalFlags::ECHO));
}

/// A process's state letter (`R`, `S`, `T` stopped…) and parent, from
/// `/proc/PID/stat` (the name, in parentheses, may hold spaces).
fn proc_state(pid: u32) -> Option<(char, u32)> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let mut f = rest.split(' ');
    let state = f.next()?.chars().next()?;
    Some((state, f.next()?.parse().ok()?))
}

/// The processes whose parent is `pid`.
fn children(pid: u32) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .expect("proc")
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|&p| proc_state(p).is_some_and(|(_, parent)| parent == pid))
        .collect()
}

#[track_caller]
fn wait_state(pid: u32, want: char) {
    let t0 = Instant::now();
    while proc_state(pid).map(|s| s.0) != Some(want) {
        assert!(
            t0.elapsed() < Duration::from_secs(20),
            "process {pid} never reached state {want}: {:?}",
            proc_state(pid)
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// Ctrl-Z on the terminal stops the command, as without masking: the
/// command's process group is not orphaned (coffer's session keeper is its
/// parent in the same session), coffer gives the terminal back (not raw)
/// and stops too; continued, the terminal is raw again, the command
/// continues and reads what is typed next.
#[test]
fn on_a_terminal_ctrl_z_stops_the_command_and_coffer_and_fg_continues_both() {
    let (_env, mut pty) = on_pty("echo ready; read line; echo \"got:$line $TOKEN\"");
    pty.wait_for("ready");
    let coffer = pty.child.id();
    let keeper = children(coffer);
    assert_eq!(keeper.len(), 1, "one session keeper: {keeper:?}");
    let command = children(keeper[0]);
    assert_eq!(command.len(), 1, "one command: {command:?}");
    pty.keys(b"\x1a");
    wait_state(command[0], 'T');
    wait_state(coffer, 'T');
    let stopped = termios::tcgetattr(pty.slave.as_fd()).expect("tcgetattr");
    assert!(
        stopped
            .local_flags
            .contains(LocalFlags::ICANON | LocalFlags::ECHO),
        "the terminal is given back while stopped"
    );
    // `fg`: the shell continues coffer's process group.
    kill(Pid::from_raw(coffer as i32), Signal::SIGCONT).expect("cont");
    wait_state(command[0], 'S');
    let t0 = Instant::now();
    loop {
        let now = termios::tcgetattr(pty.slave.as_fd()).expect("tcgetattr");
        if !now.local_flags.contains(LocalFlags::ICANON) {
            break;
        }
        assert!(t0.elapsed() < Duration::from_secs(20), "raw again");
        std::thread::sleep(Duration::from_millis(10));
    }
    pty.keys(b"hello\r");
    let (code, out, _) = pty.finish();
    assert_eq!(code, 0, "{out:?}");
    assert!(out.contains(&format!("got:hello {MASK}")), "{out:?}");
    assert!(!out.contains(TOKEN), "{out:?}");
}

#[test]
fn on_a_terminal_a_value_written_in_two_writes_with_a_sleep_between_is_masked() {
    // The first ten bytes, a pause, the last ten.
    let (_env, pty) = on_pty(
        "printf 'start\\n'; printf %s \"${TOKEN%??????????}\"; sleep 0.5; \
         printf '%s\\n' \"${TOKEN#??????????}\"",
    );
    pty.wait_for("start");
    let (code, out, _) = pty.finish();
    assert_eq!(code, 0, "{out:?}");
    assert!(out.contains(&format!("start\r\n{MASK}\r\n")), "{out:?}");
    assert!(
        !out.contains("tok_123456") && !out.contains("7890abcdef"),
        "{out:?}"
    );
}

#[test]
fn on_a_terminal_output_is_not_held_back() {
    let (_env, pty) = on_pty("echo \"first $TOKEN line\"; printf 'no newline'; sleep 3; echo last");
    // Both reach the terminal while the command sleeps.
    let t0 = Instant::now();
    pty.wait_for("no newline");
    assert!(t0.elapsed() < Duration::from_secs(2), "held back");
    assert!(!pty.text().contains("last"));
    assert!(pty.text().contains(&format!("first {MASK} line")));
    let (code, _, _) = pty.finish();
    assert_eq!(code, 0);
}

#[test]
fn on_a_terminal_signals_and_ctrl_c_reach_the_command_and_exit_codes_pass() {
    let env = fixture();
    let script = "trap 'echo got-int; exit 42' INT; echo ready; while :; do sleep 0.1; done";
    // SIGINT sent to coffer.
    let pty = OnPty::start(&env, &run_sh(script), 24, 80);
    pty.wait_for("ready");
    pty.signal(Signal::SIGINT);
    let (code, out, _) = pty.finish();
    assert_eq!(code, 42, "{out:?}");
    assert!(out.contains("got-int"), "{out:?}");
    // Ctrl-C typed on the keyboard.
    let mut pty = OnPty::start(&env, &run_sh(script), 24, 80);
    pty.wait_for("ready");
    pty.keys(b"\x03");
    let (code, out, _) = pty.finish();
    assert_eq!(code, 42, "{out:?}");
    assert!(out.contains("got-int"), "{out:?}");
    // SIGTERM to coffer kills the command: 128 + 15.
    let pty = OnPty::start(&env, &run_sh("echo ready; exec sleep 30"), 24, 80);
    pty.wait_for("ready");
    pty.signal(Signal::SIGTERM);
    assert_eq!(pty.finish().0, 143);
    // A command that kills itself.
    let pty = OnPty::start(&env, &run_sh("kill -TERM $$; exit 0"), 24, 80);
    assert_eq!(pty.finish().0, 143);
}

#[test]
fn on_a_terminal_a_window_change_reaches_the_command() {
    let (_env, pty) =
        on_pty("trap 'stty size; exit 0' WINCH; echo ready; while :; do sleep 0.1; done");
    pty.wait_for("ready");
    rustix::termios::tcsetwinsize(
        pty.master.as_fd(),
        rustix::termios::Winsize {
            ws_row: 50,
            ws_col: 132,
            ws_xpixel: 0,
            ws_ypixel: 0,
        },
    )
    .expect("resize");
    // A terminal window signals its foreground process group; coffer is
    // not in a session with this terminal, so the test signals it.
    pty.signal(Signal::SIGWINCH);
    let (code, out, _) = pty.finish();
    assert_eq!(code, 0, "{out:?}");
    assert!(out.contains("50 132"), "{out:?}");
}

/// Only stdout a terminal (stderr to a file), then only stderr: the
/// terminal side is the command's terminal, the other a masked pipe.
#[test]
fn with_one_stream_redirected_the_other_stays_a_terminal_and_both_are_masked() {
    let env = fixture();
    let script = "[ -t 1 ] && echo out-tty; [ -t 1 ] || echo out-not-tty; \
                  [ -t 2 ] && echo err-tty >&2; [ -t 2 ] || echo err-not-tty >&2; \
                  echo \"o=$TOKEN\"; echo \"e=$TOKEN\" >&2";
    for (fd, on_tty, in_file) in [(2, "out-tty", "err-not-tty"), (1, "err-tty", "out-not-tty")] {
        let file = env.root().join(format!("fd{fd}.txt"));
        let pty = OnPty::start_redirected(&env, &run_sh(script), 24, 80, Some((fd, &file)));
        let (code, out, _) = pty.finish();
        assert_eq!(code, 0, "{out:?}");
        let written = std::fs::read_to_string(&file).expect("read");
        let (tty_line, file_line) = if fd == 2 { ("o", "e") } else { ("e", "o") };
        assert!(out.contains(on_tty), "{out:?}");
        // (With stdout redirected the terminal keeps its output processing:
        // the command's terminal's \r\n arrives as \r\r\n, which shows the
        // same.)
        assert!(out.contains(&format!("{tty_line}={MASK}\r")), "{out:?}");
        assert_eq!(written, format!("{in_file}\n{file_line}={MASK}\n"));
        assert!(!out.contains("tok_") && !written.contains("tok_"));
    }
}

/// stdout to a pipe or file, stderr and stdin the terminal (`coffer run
/// … | tee log`): the terminal is raw for the keyboard but keeps its output
/// processing, so what `tee` writes there still gets its line ends.
#[test]
fn with_stdout_redirected_the_terminal_keeps_its_output_processing() {
    use nix::sys::termios::OutputFlags;
    let env = fixture();
    let file = env.root().join("out.txt");
    let mut pty = OnPty::start_redirected(
        &env,
        &run_sh("echo ready >&2; read line; echo \"got:$line\""),
        24,
        80,
        Some((1, &file)),
    );
    pty.wait_for("ready");
    let during = termios::tcgetattr(pty.slave.as_fd()).expect("tcgetattr");
    assert!(
        !during.local_flags.contains(LocalFlags::ICANON),
        "raw input"
    );
    assert!(
        during.output_flags.contains(OutputFlags::OPOST),
        "output kept"
    );
    pty.keys(b"x\r");
    let (code, out, _) = pty.finish();
    assert_eq!(code, 0, "{out:?}");
    assert_eq!(std::fs::read_to_string(&file).expect("read"), "got:x\n");
    // With stdout on the terminal, output processing is off while the
    // command runs (a full-screen program's bare line feeds stay bare).
    let mut pty = OnPty::start(&env, &run_sh("echo ready; read line"), 24, 80);
    pty.wait_for("ready");
    let during = termios::tcgetattr(pty.slave.as_fd()).expect("tcgetattr");
    assert!(!during.output_flags.contains(OutputFlags::OPOST));
    pty.keys(b"x\r");
    assert_eq!(pty.finish().0, 0);
}

#[test]
fn on_a_terminal_no_masking_shows_the_value() {
    let env = fixture();
    let pty = OnPty::start(&env, &unmasked_sh("echo \"out=$TOKEN\""), 24, 80);
    let (code, out, _) = pty.finish();
    assert_eq!(code, 0);
    assert!(out.contains(&format!("out={TOKEN}")), "{out:?}");
}

// ----- to pipes --------------------------------------------------------------

/// `coffer run web/dev -- sh -c SCRIPT` with stdout a pipe, read until it
/// ends with `until`.
fn piped_until(env: &Env, script: &str, until: &[u8]) -> (Child, ChildStdout, Vec<u8>) {
    let mut child = env
        .spawnable(run_sh(script))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let mut stdout = child.stdout.take().expect("stdout");
    let mut got = Vec::new();
    let mut buf = [0u8; 256];
    while !got.ends_with(until) {
        let n = stdout.read(&mut buf).expect("read");
        assert!(n > 0, "ended early: {:?}", String::from_utf8_lossy(&got));
        got.extend_from_slice(&buf[..n]);
    }
    (child, stdout, got)
}

#[test]
fn to_pipes_stdout_and_stderr_are_masked_and_stdin_passes() {
    let env = fixture();
    let out = env
        .coffer(run_sh(
            "echo \"out=$TOKEN short=$SHORT\"; echo \"err=$TOKEN\" >&2; \
             [ -t 1 ] || echo not-a-tty; cat; exit 3",
        ))
        .stdin("from stdin\n")
        .run();
    assert_eq!(out.code, 3, "{out}");
    assert_eq!(
        out.stdout,
        format!("out={MASK} short={SHORT}\nnot-a-tty\nfrom stdin\n")
    );
    assert_eq!(out.stderr, format!("err={MASK}\n"));
}

#[test]
fn to_pipes_a_value_split_across_writes_is_masked() {
    let env = fixture();
    let out = env
        .coffer(run_sh(
            "printf %s \"${TOKEN%??????????}\"; sleep 0.3; printf '%s\\n' \"${TOKEN#??????????}\"; \
             printf %s \"${TOKEN%???}\" >&2; sleep 0.3; printf '%s|' \"${TOKEN#${TOKEN%???}}\" >&2",
        ))
        .ok();
    assert_eq!(out.stdout, format!("{MASK}\n"));
    assert_eq!(out.stderr, format!("{MASK}|"));
}

#[test]
fn to_pipes_output_streams_before_the_command_exits() {
    let env = fixture();
    let t0 = Instant::now();
    let (mut child, _, got) = piped_until(&env, "echo \"first $TOKEN\"; sleep 3; echo last", b"\n");
    assert!(t0.elapsed() < Duration::from_secs(2), "held back");
    assert_eq!(String::from_utf8_lossy(&got), format!("first {MASK}\n"));
    assert_eq!(exit_of(&mut child), 0);
}

#[test]
fn to_pipes_exit_codes_and_signals_pass() {
    let env = fixture();
    let out = env
        .coffer(run_sh("echo \"$TOKEN\"; kill -TERM $$; exit 0"))
        .run();
    assert_eq!(out.code, 143, "{out}");
    let out = env.coffer(run_sh("echo \"$TOKEN\"; exit 9")).run();
    assert_eq!(out.code, 9, "{out}");
    // SIGINT to coffer (no terminal: nobody else sent it) reaches the command.
    let (mut child, mut stdout, mut got) = piped_until(
        &env,
        "trap 'echo got-int; exit 42' INT; echo ready; while :; do sleep 0.1; done",
        b"ready\n",
    );
    kill(Pid::from_raw(child.id() as i32), Signal::SIGINT).expect("kill");
    assert_eq!(exit_of(&mut child), 42);
    stdout.read_to_end(&mut got).expect("read");
    assert!(String::from_utf8_lossy(&got).ends_with("got-int\n"));
}

#[test]
fn no_masking_shows_the_values_and_plain_env_file_values_are_never_masked() {
    let env = fixture();
    let out = env
        .coffer(unmasked_sh("echo \"$TOKEN\"; echo \"$TOKEN\" >&2"))
        .ok();
    assert_eq!(out.stdout, format!("{TOKEN}\n"));
    assert_eq!(out.stderr, format!("{TOKEN}\n"));
    // A plain value in an env file is no secret (the file holds it); a
    // reference's value is.
    env.write("app.env", "MODE=production\nREF=coffer://web/dev/TOKEN\n");
    let out = env
        .coffer([
            "run",
            "--env-file",
            "app.env",
            "--",
            "sh",
            "-c",
            "echo \"$MODE $REF\"",
        ])
        .ok();
    assert_eq!(out.stdout, format!("production {MASK}\n"));
}

// ----- the supervisor's memory ------------------------------------------------

/// Whether any readable mapping of process `pid` contains `needle`
/// (through `/proc/PID/mem`; mappings that cannot be read are skipped).
#[cfg(target_os = "linux")]
fn memory_holds(pid: u32, needle: &[u8]) -> bool {
    use std::io::{Seek, SeekFrom};
    let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).expect("maps");
    let mut mem = File::open(format!("/proc/{pid}/mem")).expect("mem");
    maps.lines()
        .filter(|l| {
            l.split_whitespace()
                .nth(1)
                .is_some_and(|p| p.starts_with('r'))
                && !l.ends_with("[vvar]")
                && !l.ends_with("[vsyscall]")
        })
        .filter_map(|l| {
            let (a, b) = l.split_whitespace().next()?.split_once('-')?;
            Some((
                u64::from_str_radix(a, 16).ok()?,
                u64::from_str_radix(b, 16).ok()?,
            ))
        })
        .any(|(a, b)| {
            let mut region = vec![0u8; (b - a) as usize];
            mem.seek(SeekFrom::Start(a)).is_ok()
                && mem.read_exact(&mut region).is_ok()
                && region.windows(needle.len()).any(|w| w == needle)
        })
}

/// A masked run is supervised by a process that never held the passphrase:
/// coffer hands over to a fresh `exec` of itself, whose environment has no
/// `COFFER_PASSPHRASE` and whose memory holds neither the passphrase nor
/// another environment's values (it holds the values it masks: the
/// positive control).
#[test]
#[cfg(target_os = "linux")]
fn the_supervisor_of_a_masked_run_never_held_the_passphrase() {
    const OTHER: &str = "other-env-canary-7d3e1f9a2b";
    let env = fixture();
    env.coffer(["env", "add", "web/other"]).ok();
    env.set("web/other", "OTHER", OTHER);
    let mut child = env
        .spawnable(run_sh("echo \"$TOKEN\"; exec sleep 30"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let pid = child.id();
    let mut stdout = child.stdout.take().expect("stdout");
    let mut line = [0u8; MASK.len() + 1];
    stdout.read_exact(&mut line).expect("the masked line");
    assert_eq!(line, format!("{MASK}\n").as_bytes());
    // The command runs (the mask came through the supervisor).
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).expect("cmdline");
    assert!(
        cmdline.windows(18).any(|w| w == b"__coffer-supervise"),
        "{}",
        String::from_utf8_lossy(&cmdline)
    );
    let environ = std::fs::read(format!("/proc/{pid}/environ")).expect("environ");
    let holds_token = memory_holds(pid, TOKEN.as_bytes());
    let holds_passphrase = memory_holds(pid, common::PASSPHRASE.as_bytes());
    let holds_other = memory_holds(pid, OTHER.as_bytes());
    kill(Pid::from_raw(pid as i32), Signal::SIGTERM).expect("kill");
    assert_eq!(exit_of(&mut child), 143);
    assert!(
        holds_token,
        "the scan did not find the masked value: it proves nothing"
    );
    assert!(
        !environ.windows(17).any(|w| w == b"COFFER_PASSPHRASE"),
        "the supervisor's environment has COFFER_PASSPHRASE"
    );
    assert!(
        !holds_passphrase,
        "the passphrase is in the supervisor's memory"
    );
    assert!(
        !holds_other,
        "another environment's value is in the supervisor's memory"
    );
}
