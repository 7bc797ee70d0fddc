#!/usr/bin/env bash
# Offboarding as a whole process (issue 14): `coffer member offboard
# Leaver --yes` on the team bench's fixture (a): 10,000 items in 30
# environments, 50 members, the leaver holding write grants on all 30.
# The fixture is built once by the team bench (`TEAM_BENCH_KEEP`, through
# the library, identities at the KDF floor) and kept in FIXTURE (default
# .cache/offboard-fixture); each run gets a fresh copy of the vault and of
# the owner's home (hyperfine --prepare, not timed). Timed: process start,
# unlock (KDF floor), open and checks, the offboarding, the report.
# `COFFER_BIN` picks the binary (default target/release/coffer).
set -euo pipefail
cd "$(dirname "$0")/.."
coffer=$(realpath "${COFFER_BIN:-target/release/coffer}")
command -v hyperfine >/dev/null || { echo "bench/offboard.sh: needs hyperfine" >&2; exit 1; }
fx=$(realpath -m "${FIXTURE:-.cache/offboard-fixture}")
if [ ! -f "$fx/base.coffer" ]; then
  TEAM_BENCH_KEEP="$fx" cargo bench -q -p coffer-vault --bench team >/dev/null
fi
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
cat >"$work/prepare.sh" <<SH
#!/bin/sh
set -e
rm -rf "$work/home" "$work/run.coffer" "$work/run.coffer-wal" "$work/run.coffer-shm"
cp -a "$fx/home-Owner" "$work/home"
rm -rf "$work/home/heads"
cp "$fx/base.coffer" "$work/run.coffer"
for s in -wal -shm; do [ -f "$fx/base.coffer\$s" ] && cp "$fx/base.coffer\$s" "$work/run.coffer\$s"; done
exit 0
SH
chmod +x "$work/prepare.sh"
export COFFER_HOME="$work/home" COFFER_VAULT="$work/run.coffer" \
  COFFER_PASSPHRASE="bench passphrase, not a secret" COFFER_SESSION_MINUTES=0
"$work/prepare.sh"
"$coffer" member offboard Leaver --yes >/dev/null 2>"$work/once.txt" || { cat "$work/once.txt" >&2; exit 1; }
hyperfine -N --runs "${RUNS:-7}" --prepare "$work/prepare.sh" \
  --export-json "$work/off.json" "$coffer member offboard Leaver --yes" >/dev/null 2>&1
python3 - "$work/off.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
t = sorted(r["times"])
print(f"offboard 10k/30/50 whole process: median {r['median']*1000:.0f} ms, min {t[0]*1000:.0f} ms, mean {r['mean']*1000:.0f} ± {r['stddev']*1000:.0f} ms; CPU user {r['user']*1000:.0f} ms + system {r['system']*1000:.0f} ms ({len(t)} runs)")
PY
