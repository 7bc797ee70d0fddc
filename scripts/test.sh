#!/usr/bin/env bash
# Runs every test and ends with one summary line: "tests: N passed, N failed".
#
# The keychain tests need a real Secret Service: everything runs under
# scripts/with-keyring.sh (a private D-Bus session with gnome-keyring
# unlocked, in a throw-away HOME). Tests set their own COFFER_HOME/HOME.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .cache
cargo build --locked -p coffer-cli || exit 1
# shellcheck disable=SC2016 # expanded by the inner shell
scripts/with-keyring.sh sh -c '
  cargo test --workspace --locked 2>&1 &&
  # A build without any keychain store must refuse to enable it (no mock).
  cargo test --locked -p coffer-vault --no-default-features --lib 2>&1
' 2>&1 | tee .cache/test.log
rc=${PIPESTATUS[0]}
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' .cache/test.log
exit "$rc"
