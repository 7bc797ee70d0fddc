#!/usr/bin/env bash
# Runs every cargo-fuzz target (fuzz/fuzz_targets/*.rs) for FUZZ_SECONDS
# each (default 60), starting from its committed corpus (fuzz/corpus/<t>/,
# read only; new inputs go to .cache/fuzz/<t>/). Needs a nightly toolchain
# and cargo-fuzz; without them it says so and exits 0 (stable builds and
# `make test` never need them: tests run every target's function over its
# corpus on stable, see crates/coffer-fuzz-targets).
#   scripts/fuzz.sh [TARGET…]
# A crash leaves its input in fuzz/artifacts/<t>/ and the run fails: make it
# a regression file, fuzz/corpus/<t>/regress-<what>, and fix the bug.
set -uo pipefail
cd "$(dirname "$0")/.."
secs=${FUZZ_SECONDS:-60}

if ! rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
  echo "fuzz: skipped: no nightly Rust toolchain (rustup toolchain install nightly)"
  exit 0
fi
if ! cargo +nightly fuzz --version >/dev/null 2>&1; then
  echo "fuzz: skipped: cargo-fuzz is not installed (cargo install cargo-fuzz --locked)"
  exit 0
fi

if [ $# -gt 0 ]; then targets=("$@"); else
  targets=(); for f in fuzz/fuzz_targets/*.rs; do t=${f##*/}; targets+=("${t%.rs}"); done
fi
# No sanitizer: the code forbids `unsafe`, and the C inside (SQLite) is not
# instrumented anyway; debug assertions on, so an integer overflow panics.
flags=(--sanitizer none --debug-assertions --release)
echo "fuzz: building ${#targets[@]} targets"
(cd fuzz && cargo +nightly fuzz build "${flags[@]}") || { echo "fuzz: build FAILED"; exit 1; }

failed=()
for t in "${targets[@]}"; do
  mkdir -p ".cache/fuzz/$t"
  echo "== fuzz $t (${secs}s)"
  if (cd fuzz && cargo +nightly fuzz run "${flags[@]}" "$t" "../.cache/fuzz/$t" "corpus/$t" -- \
        -max_total_time="$secs" -print_final_stats=1 2>&1) > ".cache/fuzz/$t.log"; then
    grep -E '^Done|number_of_executed_units' ".cache/fuzz/$t.log" | head -2
  else
    failed+=("$t")
    grep -E 'panicked|SUMMARY|Test unit written' ".cache/fuzz/$t.log" | head -5
    echo "fuzz $t: FAILED (log: .cache/fuzz/$t.log; input in fuzz/artifacts/$t/)"
  fi
done
if [ ${#failed[@]} -gt 0 ]; then
  echo "fuzz: ${#failed[@]} of ${#targets[@]} targets crashed: ${failed[*]}"
  exit 1
fi
echo "fuzz: ${#targets[@]} targets, ${secs}s each, no crash"
