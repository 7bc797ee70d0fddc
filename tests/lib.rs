//! `coffer-tests`: cross-crate security tests of Coffer (tampering,
//! plaintext on disk, secrets in logs, atomicity and crash safety). The
//! tests are the `[[test]]` targets beside this file; this library holds
//! only [`keys`], which the tests and the `coffer-test-keys` binary share.
//!
//! The end-to-end cases run the `coffer` binary from the same target
//! directory: `cargo build -p coffer-cli` first (`make test` does).

pub mod keys;
