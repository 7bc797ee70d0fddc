#!/usr/bin/env bash
# Coffer against raw `age` in the same run, same machine (issue 14): an
# environment of 33 variables, read three ways by each. Coffer is unlocked
# once and then uses the session unlock cache (the kernel keyring), which
# is how a developer runs it; `age` decrypts with an X25519 identity file
# (no passphrase). Neither side runs behind a shell wrapper. Prints a
# Markdown table with the ratios; `bench/run.sh` appends it to
# docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
coffer=$(realpath "${COFFER_BIN:-target/release/coffer}")
command -v hyperfine >/dev/null || { echo "bench/age.sh: needs hyperfine" >&2; exit 1; }
command -v age >/dev/null || { [ "$(id -u)" = 0 ] && apt-get install -y -qq age >/dev/null; } || {
  echo "bench/age.sh: needs age (apt-get install age)" >&2; exit 1; }
# shellcheck source=bench/e33.sh
. bench/e33.sh
age-keygen -o "$work/key.txt" 2>/dev/null
recipient=$(age-keygen -y "$work/key.txt")
age -r "$recipient" -o "$work/e33.age" "$work/e33.env"
sed -n 1p "$work/e33.env" | cut -d= -f2- | tr -d '\n' >"$work/one.txt"
age -r "$recipient" -o "$work/one.age" "$work/one.txt"
# One unlock starts the session; every timed command below opens from it.
"$coffer" env ls >/dev/null 2>&1
unset COFFER_PASSPHRASE
hf() { # NAME CMD... -> "mean_ms stddev_ms"
  hyperfine -N --warmup 5 --runs "${RUNS:-40}" --export-json "$work/$1.json" "${@:2}" >/dev/null 2>&1
  python3 -c "import json;r=json.load(open('$work/$1.json'))['results'][0];print(f\"{r['mean']*1000:.1f} {r['stddev']*1000:.1f}\")"
}
read -r c_run s_run < <(hf crun "$coffer run --no-masking app/e33 -- true")
read -r c_runm s_runm < <(hf crunm "$coffer run app/e33 -- true")
read -r a_run s_arun < <(hf arun "age -d -i $work/key.txt -o /dev/null $work/e33.age")
read -r c_exp s_exp < <(hf cexp "$coffer export app/e33")
read -r c_get s_get < <(hf cget "$coffer get app/e33 VAR_00")
read -r a_get s_aget < <(hf aget "age -d -i $work/key.txt $work/one.age")
ratio() { python3 -c "print(f'{$1 / $2:.2f}×')"; }
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)
cat <<MD
## Side by side with \`age\` (issue 14)

\`bench/age.sh\`, $(date -u +%Y-%m-%d), $(nproc) cores ($cpu), release build,
hyperfine means of ${RUNS:-40} runs after 5 warm-ups, no wrapper on either
side. Coffer opens from the session unlock cache (one unlock before the
runs); \`age\` decrypts with an X25519 identity file. The environment has 33
variables; \`age\` holds it as one file per environment (and one file for
the single secret).

| what | Coffer | \`age\` | Coffer ÷ age | goal |
|---|---|---|---|---|
| run a command with the environment (\`coffer run -- true\` with \`--no-masking\`; \`age -d\` of the environment's file) | ${c_run} ± ${s_run} ms | ${a_run} ± ${s_arun} ms | $(ratio "$c_run" "$a_run") | ≤ 1.0× |
| the same, masking on (coffer stays the parent to mask the output) | ${c_runm} ± ${s_runm} ms | ${a_run} ms | $(ratio "$c_runm" "$a_run") | — |
| export the environment (\`coffer export\`; \`age -d\`) | ${c_exp} ± ${s_exp} ms | ${a_run} ms | $(ratio "$c_exp" "$a_run") | ≤ 2× |
| read one secret (\`coffer get\`; \`age -d\` of one file per secret) | ${c_get} ± ${s_get} ms | ${a_get} ± ${s_aget} ms | $(ratio "$c_get" "$a_get") | ≤ 1.0× |

Coffer does more on every read than \`age\` does: it opens a SQLite file,
checks its seal, and appends a signed read event to the log (durably)
before printing.
MD
