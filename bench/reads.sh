#!/usr/bin/env bash
# What a read costs in durable writes and time (issue 14): `get`, `export`
# and `run true` on an environment of 33 variables, each appending a signed
# read event. Counts fsync/fdatasync calls with strace (steady state: the
# third run of each, after a write command and two reads) and times each
# with hyperfine (median of RUNS, default 40). Coffer opens from the
# session unlock cache, as in bench/age.sh. `COFFER_BIN` picks the binary
# (default target/release/coffer). Prints a Markdown section.
set -euo pipefail
cd "$(dirname "$0")/.."
coffer=$(realpath "${COFFER_BIN:-target/release/coffer}")
for t in hyperfine strace; do
  command -v $t >/dev/null || { echo "bench/reads.sh: needs $t (apt-get install $t)" >&2; exit 1; }
done
# shellcheck source=bench/e33.sh
. bench/e33.sh
"$coffer" env ls >/dev/null 2>&1 # starts the session
unset COFFER_PASSPHRASE
count() { # CMD... -> "total (per file: …)"
  "$@" >/dev/null 2>&1; "$@" >/dev/null 2>&1
  strace -f -qq -y -e trace=fsync,fdatasync -o "$work/st.log" "$@" >/dev/null 2>&1
  python3 - "$work/st.log" <<'PY'
import sys, re, collections
c = collections.Counter()
for l in open(sys.argv[1]):
    m = re.search(r'(fsync|fdatasync)\(\d+<([^>]*)>', l)
    if not m: continue
    p = m.group(2)
    base = p.rsplit("/", 1)[-1]
    name = "heads/" + ("(temporary file)" if base.startswith(".coffer-tmp") else base.rsplit(".", 1)[-1]) if "/heads/" in p else ("heads/ (folder)" if p.endswith("/heads") else base)
    c[f"{m.group(1)} {name}"] += 1
print(sum(c.values()), "(" + ", ".join(f"{k} ×{v}" for k, v in sorted(c.items())) + ")")
PY
}
hf() { # NAME CMD... -> "median_ms mean_ms stddev_ms"
  hyperfine -N --warmup 5 --runs "${RUNS:-40}" --export-json "$work/$1.json" "${@:2}" >/dev/null 2>&1
  python3 -c "import json;r=json.load(open('$work/$1.json'))['results'][0];print(f\"{r['median']*1000:.1f} {r['mean']*1000:.1f} {r['stddev']*1000:.1f}\")"
}
rows=()
for what in "get|$coffer get app/e33 VAR_00" "export|$coffer export app/e33" "run true|$coffer run --no-masking app/e33 -- true"; do
  name=${what%%|*}; cmd=${what#*|}
  # shellcheck disable=SC2086
  "$coffer" set app/e33 TOUCH --generate >/dev/null 2>&1 # a write first: the WAL checkpointed
  # shellcheck disable=SC2086
  syncs=$(count $cmd)
  # shellcheck disable=SC2086
  read -r med mean sd < <(hf "${name// /_}" "$cmd")
  rows+=("| \`coffer $name\` | $syncs | $med ms | $mean ± $sd ms |")
done
cat <<MD
## Read events: fsyncs per read (issue 14)

\`bench/reads.sh\`, $(date -u +%Y-%m-%d), $(nproc) cores, release build, session
unlock, an environment of 33 variables. fsync/fdatasync calls of the third
read after a write command (strace, per file), and hyperfine over ${RUNS:-40}
runs after 5 warm-ups.

| command | fsync + fdatasync calls | median | mean |
|---|---|---|---|
$(printf '%s\n' "${rows[@]}")
MD
