//! `coffer`: argument parsing and presentation over `coffer-vault`.
#![forbid(unsafe_code)]

/// `println!` without the panic on a closed stdout (`coffer ls | head -1`):
/// a reader that went away is not an error of ours.
macro_rules! outln {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout().lock(), $($t)*);
    }};
}

/// `print!` without the panic on a closed stdout.
macro_rules! out {
    ($($t:tt)*) => {{
        use std::io::Write as _;
        let _ = write!(std::io::stdout().lock(), $($t)*);
    }};
}

#[cfg(unix)]
mod agent;
#[cfg(unix)]
mod agent_proto;
mod cli;
mod commands;
#[cfg(target_os = "linux")]
mod handover;
mod import;
mod keychain;
mod masking;
mod output;
mod prompt;
#[cfg(unix)]
mod pty;
mod scan;
mod secret_files;
mod supervise;
mod sync;
mod team;
mod workflow;

use std::process::ExitCode;

use clap::Parser;
use coffer_vault::ErrorKind;

/// Exit codes (documented in the README and `coffer --help`).
pub mod exit {
    /// Internal or I/O failure.
    pub const INTERNAL: u8 = 1;
    /// Wrong passphrase, locked out, no passphrase.
    pub const AUTH: u8 = 3;
    /// Not found.
    pub const NOT_FOUND: u8 = 4;
    /// Permission denied.
    pub const PERMISSION: u8 = 5;
    /// Integrity failure (tampering).
    pub const INTEGRITY: u8 = 6;
    /// Invalid input.
    pub const INVALID: u8 = 7;
    /// Conflict or refused by a safety check.
    pub const CONFLICT: u8 = 8;
    /// The vault is locked by another process.
    pub const BUSY: u8 = 9;
    /// `rotation --fail-on` matched.
    pub const ROTATION_GATE: u8 = 10;
    /// Keychain failure.
    pub const KEYCHAIN: u8 = 11;
    /// `check` / `run --require`: keys the example names are missing.
    pub const MISSING_KEYS: u8 = 12;
    /// `scan` found a vault value.
    pub const SCAN_FOUND: u8 = 13;
    /// `lint --fail-on` matched.
    pub const LINT_GATE: u8 = 14;
}

fn code(kind: ErrorKind) -> u8 {
    match kind {
        ErrorKind::Auth => exit::AUTH,
        ErrorKind::NotFound => exit::NOT_FOUND,
        ErrorKind::Conflict => exit::CONFLICT,
        ErrorKind::Permission => exit::PERMISSION,
        ErrorKind::Integrity => exit::INTEGRITY,
        ErrorKind::InvalidInput => exit::INVALID,
        ErrorKind::Busy => exit::BUSY,
        ErrorKind::Keychain => exit::KEYCHAIN,
        _ => exit::INTERNAL,
    }
}

fn main() -> ExitCode {
    // `coffer run` starting its command (see `supervise`).
    #[cfg(unix)]
    if let Some(code) = supervise::trampoline() {
        return ExitCode::from(code);
    }
    // Logs go to stderr, off unless RUST_LOG asks; they carry ids, never
    // values. Without RUST_LOG no subscriber is set up at all (building one
    // is ~1 % of a `coffer get`, to log nothing).
    if std::env::var_os("RUST_LOG").is_some() {
        tracing_subscriber::fmt()
            .with_env_filter(
                tracing_subscriber::EnvFilter::try_from_default_env()
                    .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("off")),
            )
            .with_writer(std::io::stderr)
            .without_time()
            .init();
    }
    // A supervised `coffer run` after its hand-over (see `handover`).
    #[cfg(target_os = "linux")]
    if let Some(outcome) = handover::supervisor() {
        return finish(outcome);
    }
    let cli = cli::Cli::parse();
    finish(commands::run(cli))
}

/// Coffer's exit code, the error reported on one line.
fn finish(outcome: coffer_vault::Result<u8>) -> ExitCode {
    match outcome {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            // One line, no backtrace. Messages never carry a secret.
            let msg = e.to_string().replace('\n', " ");
            eprintln!("coffer: {msg}");
            ExitCode::from(code(e.kind()))
        }
    }
}
