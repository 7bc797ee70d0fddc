#!/usr/bin/env bash
# Runs every test and ends with one summary line: "N passed, N failed".
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .cache
cargo build --locked -p coffer-cli || exit 1
cargo test --workspace --locked 2>&1 | tee .cache/test.log
rc=${PIPESTATUS[0]}
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "tests: %d passed, %d failed\n", p, f }' .cache/test.log
exit "$rc"
