#!/usr/bin/env bash
# Runs the README's CLI tour as written: every ```sh block that follows a
# `<!-- tour -->` line, in order, as one bash script (set -euo pipefail),
# with the given `coffer` first on the PATH, no terminal (so passphrases
# come from COFFER_PASSPHRASE, as in any script) and every file in a
# throw-away directory (HOME, TMPDIR: the tour's own `mktemp -d` calls land
# there). Prints the last lines of the run and fails if any command fails.
#   scripts/readme-tour.sh [COFFER_BINARY]   (default: target/debug/coffer)
# Ends with "readme-tour: N passed, N failed" (counted by scripts/test.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${1:-target/debug/coffer}
[ -x "$bin" ] || { echo "readme-tour: no coffer binary at $bin (cargo build -p coffer-cli)" >&2; exit 1; }
bin=$(realpath "$bin")
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/home" "$work/tmp"
ln -s "$bin" "$work/bin/coffer"
awk '/^<!-- tour -->$/ { want = 1; next }
     want && /^```sh$/ { inside = 1; next }
     inside && /^```$/ { inside = 0; want = 0; print ""; next }
     inside { print }' README.md >"$work/tour.sh"
blocks=$(grep -c '^<!-- tour -->$' README.md || true)
commands=$(grep -cE '(^|[;&|(]|=\$\(|COFFER_HOME=\$[A-Z_]+ )coffer ' "$work/tour.sh" || true)
if [ "$blocks" = 0 ] || [ "$commands" = 0 ]; then
  echo "readme-tour: no tour in README.md (a \`<!-- tour -->\` line before a \`\`\`sh block)"
  echo "readme-tour: 0 passed, 1 failed"
  exit 1
fi
started=$(date +%s)
if env -i PATH="$work/bin:/usr/local/bin:/usr/bin:/bin" HOME="$work/home" TMPDIR="$work/tmp" \
  LANG=C.UTF-8 COFFER_PASSPHRASE="readme tour passphrase, 7 words long" \
  bash -euo pipefail -x "$work/tour.sh" </dev/null >"$work/out.txt" 2>&1; then
  echo "readme-tour: $blocks blocks, $commands coffer commands, ran as written in $(($(date +%s) - started)) s"
  echo "readme-tour: 1 passed, 0 failed"
else
  rc=$?
  echo "readme-tour: the tour failed (exit $rc); its last lines, commands marked +:"
  tail -n 30 "$work/out.txt"
  echo "readme-tour: 0 passed, 1 failed"
  exit 1
fi
