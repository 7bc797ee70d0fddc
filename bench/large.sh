#!/usr/bin/env bash
# What every command pays on a large vault (issue 14): 10,000 credentials
# (ITEMS, default 10000) in 30 environments, one signed op per credential, read from
# the session unlock cache. The same reads on the vault alone and after
# `sync init` (a private replica, whose seal is checked at every open).
# `COFFER_BIN` picks the binary (default target/release/coffer); a vault
# is made by that binary, so an older one can be compared. Prints a
# Markdown section.
set -euo pipefail
cd "$(dirname "$0")/.."
coffer=$(realpath "${COFFER_BIN:-target/release/coffer}")
for t in hyperfine strace; do
  command -v $t >/dev/null || { echo "bench/large.sh: needs $t (apt-get install $t)" >&2; exit 1; }
done
work=$(mktemp -d); trap '"$coffer" lock >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
export COFFER_HOME="$work/home" COFFER_PASSPHRASE="bench passphrase 1234" COFFER_SESSION_MINUTES=10
unset COFFER_VAULT
"$coffer" identity new --name Bench --kdf-memory 19 --kdf-iterations 2 >/dev/null 2>&1
"$coffer" init --name Bench >/dev/null 2>&1
ITEMS=${ITEMS:-10000} ENVS=30
python3 - "$work" $ITEMS $ENVS <<'PY'
import sys, secrets
w, n, e = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for j in range(e):
    with open(f"{w}/e{j}.env", "w") as f:
        for i in range(j, n, e):
            f.write(f"KEY_{i:05d}={secrets.token_urlsafe(24)}\n")
PY
for j in $(seq 0 $((ENVS - 1))); do
  "$coffer" env add "p$((j / 3))/e$j" >/dev/null 2>&1
  "$coffer" import "$work/e$j.env" "p$((j / 3))/e$j" >/dev/null 2>&1
done
"$coffer" env ls >/dev/null 2>&1 # starts the session
unset COFFER_PASSPHRASE
hf() { # NAME CMD -> "mean_ms stddev_ms"
  hyperfine -N --warmup 3 --runs "${RUNS:-20}" --export-json "$work/$1.json" "$2" >/dev/null 2>&1
  python3 -c "import json;r=json.load(open('$work/$1.json'))['results'][0];print(f\"{r['mean']*1000:.1f} {r['stddev']*1000:.1f}\")"
}
pages() { # CMD... -> pages of 4 KiB the command reads from the vault file
  "$@" >/dev/null 2>&1
  strace -qq -y -e trace=pread64 -o "$work/pr.log" "$@" >/dev/null 2>&1
  grep -c 'vault.coffer>, .*, 4096, ' "$work/pr.log" || true
}
get="$coffer get p0/e0 KEY_00000"
ls="$coffer env ls"
read -r g1 gs1 < <(hf get1 "$get"); p1=$(pages $get)
read -r l1 ls1 < <(hf ls1 "$ls")
COFFER_PASSPHRASE="bench passphrase 1234" "$coffer" sync init --folder "$work/sync" >/dev/null 2>&1
read -r g2 gs2 < <(hf get2 "$get"); p2=$(pages $get)
read -r l2 ls2 < <(hf ls2 "$ls")
size=$(( $(stat -c %s "$COFFER_HOME/vault.coffer") / 1048576 ))
cat <<MD
| vault of ${ITEMS} credentials in 30 environments (${size} MiB, $(nproc) cores) | \`get\` of one ($((ITEMS / ENVS)) in its environment) | pages read by \`get\` | \`env ls\` |
|---|---|---|---|
| not synced | ${g1} ± ${gs1} ms | ${p1} | ${l1} ± ${ls1} ms |
| synced (a private replica: its seal is checked at every open) | ${g2} ± ${gs2} ms | ${p2} | ${l2} ± ${ls2} ms |
MD
