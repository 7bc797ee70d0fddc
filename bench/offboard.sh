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
#
# Side by side (AGE=1, default when `age` is installed): the same work
# with raw `age`, one file per environment, as a team without Coffer
# would revoke a member: 30 files of 333 variables, each decrypted with
# the owner's key and encrypted again to the 18 people who keep access
# (fixture (a) wraps each new environment key to ~18 members), written
# atomically. That does less than Coffer (no log, no signatures, no
# history, no exposure report); it is the floor of the file-per-env way.
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
# The same on a private replica (after `coffer sync init`, how a team that
# syncs works): the open's seal and index checks and the seal's advance
# come on top. The replica is made once from the fixture, outside the
# timing; each run starts from a fresh copy of it, its home and its folder.
mkdir -p "$work/synced/shared"
cp -a "$fx/home-Owner" "$work/synced/home0"
rm -rf "$work/synced/home0/heads"
cp "$fx/base.coffer" "$work/synced/base.coffer"
COFFER_HOME="$work/synced/home0" COFFER_VAULT="$work/synced/base.coffer" \
  "$coffer" sync init --folder "$work/synced/shared" >/dev/null 2>&1
cp -a "$work/synced/shared" "$work/synced/shared0"
cat >"$work/synced/prepare.sh" <<SH
#!/bin/sh
set -e
s="$work/synced"
rm -rf "\$s/home" "\$s/shared" "\$s/run.coffer" "\$s/run.coffer-wal" "\$s/run.coffer-shm"
cp -a "\$s/home0" "\$s/home"
cp -a "\$s/shared0" "\$s/shared"
cp "\$s/base.coffer" "\$s/run.coffer"
SH
chmod +x "$work/synced/prepare.sh"
"$work/synced/prepare.sh"
COFFER_HOME="$work/synced/home" COFFER_VAULT="$work/synced/run.coffer" \
  "$coffer" member offboard Leaver --yes >/dev/null 2>"$work/once.txt" || { cat "$work/once.txt" >&2; exit 1; }
COFFER_HOME="$work/synced/home" COFFER_VAULT="$work/synced/run.coffer" \
  hyperfine -N --runs "${RUNS:-7}" --prepare "$work/synced/prepare.sh" \
  --export-json "$work/synced.json" "$coffer member offboard Leaver --yes" >/dev/null 2>&1
python3 - "$work/synced.json" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))["results"][0]
t = sorted(r["times"])
print(f"the same on a private replica (synced): median {r['median']*1000:.0f} ms, min {t[0]*1000:.0f} ms, mean {r['mean']*1000:.0f} ± {r['stddev']*1000:.0f} ms; CPU user {r['user']*1000:.0f} ms + system {r['system']*1000:.0f} ms ({len(t)} runs)")
PY
[ "${AGE:-$(command -v age >/dev/null && echo 1 || echo 0)}" = 1 ] || exit 0
mkdir -p "$work/age/keys" "$work/age/base"
for i in $(seq 0 18); do age-keygen -o "$work/age/keys/k$i.txt" 2>/dev/null; done
recips=()
for i in $(seq 1 18); do recips+=(-r "$(age-keygen -y "$work/age/keys/k$i.txt")"); done
python3 - "$work/age/plain" <<'PY'
import os, sys, secrets
d = sys.argv[1]; os.makedirs(d)
for e in range(30):
    with open(f"{d}/e{e:02d}.env", "w") as f:
        for i in range(333):
            f.write(f"VAR_{i:03d}={secrets.token_urlsafe(24)}\n")
PY
owner=$(age-keygen -y "$work/age/keys/k0.txt")
for f in "$work"/age/plain/*.env; do
  age -r "$owner" "${recips[@]}" -o "$work/age/base/$(basename "$f").age" "$f"
done
cat >"$work/age/prepare.sh" <<SH
#!/bin/sh
rm -rf "$work/age/run" && cp -a "$work/age/base" "$work/age/run"
SH
cat >"$work/age/rekey.sh" <<SH
#!/bin/sh
set -e
for f in "$work"/age/run/*.age; do
  age -d -i "$work/age/keys/k0.txt" "\$f" | age $(printf '%q ' "${recips[@]}") -o "\$f.new"
  mv "\$f.new" "\$f"
done
SH
chmod +x "$work/age/prepare.sh" "$work/age/rekey.sh"
"$work/age/prepare.sh" && "$work/age/rekey.sh"
hyperfine -N --runs "${RUNS:-7}" --prepare "$work/age/prepare.sh" \
  --export-json "$work/age.json" "$work/age/rekey.sh" >/dev/null 2>&1
python3 - "$work/off.json" "$work/age.json" <<'PY'
import json, sys
c = json.load(open(sys.argv[1]))["results"][0]
a = json.load(open(sys.argv[2]))["results"][0]
print(f"raw age, 30 files of 333 variables re-encrypted to 18 recipients: median {a['median']*1000:.0f} ms, min {min(a['times'])*1000:.0f} ms; CPU user {a['user']*1000:.0f} ms + system {a['system']*1000:.0f} ms; coffer ÷ age (medians): {c['median']/a['median']:.2f}×")
PY
