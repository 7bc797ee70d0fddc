#!/usr/bin/env bash
# Runs every test and ends with one summary line: "tests: N passed, N failed".
#
# The keychain tests need a real Secret Service: everything runs under
# scripts/with-keyring.sh (a private D-Bus session with gnome-keyring
# unlocked, in a throw-away HOME). Tests set their own COFFER_HOME/HOME.
# The daemons' own output (D-Bus activation, the desktop portal and its
# backends, gnome-keyring) goes to .cache/with-keyring.*.log, kept and named
# only when a step fails, so it never mixes with the test results.
set -uo pipefail
cd "$(dirname "$0")/.."
mkdir -p .cache
# CI builds once from a clean clone: incremental caches (~3.5 GB here) would
# only take disk. The free space is printed first and last so that a run
# that fills the disk says so plainly.
if [ "${CI:-}" = true ]; then export CARGO_INCREMENTAL=0; fi
disk() { df -h --output=avail . | tail -1 | tr -d ' '; }
echo "== disk: $(disk) free before the build"
# The CLI, and the memory test's key printer (coffer-tests' coffer-test-keys).
cargo build --locked -p coffer-cli -p coffer-tests --bins || exit 1
# shellcheck disable=SC2016 # expanded by the inner shell
scripts/with-keyring.sh sh -c '
  cargo test --workspace --locked 2>&1 &&
  # A build without any keychain store must refuse to enable it (no mock).
  cargo test --locked -p coffer-vault --no-default-features --lib 2>&1
' 2>&1 | tee .cache/test.log
rc=${PIPESTATUS[0]}

# A short libFuzzer pass over every target when a nightly toolchain and
# cargo-fuzz are there (scripts/fuzz.sh says so and succeeds when not); the
# corpus itself ran above, on stable, in coffer-fuzz-targets' tests.
echo "== fuzz (short pass)" | tee -a .cache/test.log
FUZZ_SECONDS=${FUZZ_SECONDS:-10} scripts/fuzz.sh 2>&1 | tee -a .cache/test.log
[ "${PIPESTATUS[0]}" = 0 ] || { echo "fuzz: FAILED" | tee -a .cache/test.log; rc=1; }

# The desktop app's UI: type check, Vitest component tests (jsdom), browser
# tests (playwright-core + Debian's chromium against the mock build), and
# the end-to-end test of the real app (debug build, tauri-driver +
# WebKitWebDriver under Xvfb). Each runner's "N passed / N failed" lines
# are in the log and counted below.
export NO_COLOR=1 FORCE_COLOR=0
ui() { # NAME CMD…: runs one UI step, logs it, keeps going on failure
  local name=$1; shift
  echo "== $name" | tee -a .cache/test.log
  "$@" 2>&1 | tee -a .cache/test.log
  local r=${PIPESTATUS[0]}
  [ "$r" = 0 ] || { echo "$name: FAILED (exit $r)" | tee -a .cache/test.log; rc=1; }
}
# The README's CLI tour, run as written with the debug CLI built above, in a
# throw-away directory (about a minute: every command derives the real
# 256 MiB Argon2id key, as a new user's would).
ui "readme: tour" scripts/readme-tour.sh target/debug/coffer
# Dependency hygiene (deny.toml; advisories and npm audit only when their
# services answer: CI reaches package registries only).
ui "deps: cargo deny + npm audit" scripts/deny.sh
ui "ui: svelte-check" npm --prefix ui run --silent check
ui "ui: vitest" npm --prefix ui run --silent test
ui "ui: browser build" npm --prefix ui run --silent build:mock
ui "ui: playwright" npm --prefix ui run --silent test:browser
# The real app: `tauri build --debug --no-bundle` also builds ui/dist.
ui "app: build" sh -c 'cd src-tauri && ../ui/node_modules/.bin/tauri build --debug --no-bundle --ci'
# Under a private session bus too: ui/e2e/session.test.mjs sends a
# screen-lock signal with dbus-send and the app must hear it.
ui "app: e2e" scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1600x900x24" npm --prefix ui run --silent test:e2e
# The .deb inspector, against packages it builds itself (good and broken ones).
ui "packaging: inspect-deb" packaging/test-inspect.sh

# When something failed, what failed comes last, just above the summary:
# CI keeps only the tail of this output, and the runners' own reports are
# far above it (the node test runner's "failing tests" block, cargo's
# panics). At most 60 lines, the failing names and their first message.
if [ "$rc" != 0 ]; then
  echo "== what failed"
  awk '/^test .* FAILED$/ || / FAILED \(exit [0-9]+\)$/ { print; next }
       /^thread .* panicked at / { getline msg; print "  " $0 " " msg; next }
       /^✖ failing tests:/ { infail = 1; next }
       /^ℹ / { infail = 0 }
       infail && (/^test at / || /^✖ /) { print; want = 1; next }
       infail && want && /[A-Za-z]/ { print "    " $0; want = 0 }' .cache/test.log | head -60
fi
echo "== disk: $(disk) free after the tests; target/ holds $(du -sh target 2>/dev/null | cut -f1)" | tee -a .cache/test.log
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     # Vitest: "Tests  2 failed | 21 passed (23)"
     /^ +Tests +[0-9]/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     # node --test: "ℹ pass 5" / "ℹ fail 0"
     /^ℹ pass [0-9]+$/ { p += $3 } /^ℹ fail [0-9]+$/ { f += $3 }
     # …and tests cancelled because the set-up of their suite failed count as failed
     /^ℹ cancelled [0-9]+$/ { f += $3 }
     # packaging/test-inspect.sh: "test-inspect: 30 passed, 0 failed"
     /^test-inspect: [0-9]+ passed, [0-9]+ failed$/ { p += $2; f += $4 }
     # scripts/readme-tour.sh: "readme-tour: 1 passed, 0 failed"
     /^readme-tour: [0-9]+ passed, [0-9]+ failed$/ { p += $2; f += $4 }
     END { printf "tests: %d passed, %d failed\n", p, f }' .cache/test.log
exit "$rc"
