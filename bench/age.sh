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
thin=$(realpath "${COFFER_THIN_BIN:-$(dirname "$coffer")/coffer-thin}")
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
# Without the agent: the full binary, as before the agent existed.
read -r c_run s_run < <(hf crun "$coffer run --no-masking app/e33 -- true")
read -r c_runm s_runm < <(hf crunm "$coffer run app/e33 -- true")
read -r a_run s_arun < <(hf arun "age -d -i $work/key.txt -o /dev/null $work/e33.age")
# The goal compares `coffer run` with `age -d` piped into the same command:
# both start it. Without a shell (no wrapper on either side) the pipe
# cannot be timed as one, so starting the command is timed on its own and
# added to age's side in the run row; the strict row (age not starting
# it) is kept beside it.
read -r a_true s_atrue < <(hf atrue "true")
a_pipe=$(python3 -c "print(f'{$a_run + $a_true:.1f}')")
read -r c_exp s_exp < <(hf cexp "$coffer export app/e33")
read -r c_get s_get < <(hf cget "$coffer get app/e33 VAR_00")
read -r a_get s_aget < <(hf aget "age -d -i $work/key.txt $work/one.age")
# With the agent: the thin client (what the package installs as `coffer`).
if [ -z "${XDG_RUNTIME_DIR:-}" ]; then
  export XDG_RUNTIME_DIR="$work/run"
  mkdir -m 0700 "$XDG_RUNTIME_DIR"
fi
"$coffer" agent start >/dev/null 2>&1
read -r t_run s_trun < <(hf trun "$thin run --no-masking app/e33 -- true")
read -r t_runm s_trunm < <(hf trunm "$thin run app/e33 -- true")
read -r t_exp s_texp < <(hf texp "$thin export app/e33")
read -r t_get s_tget < <(hf tget "$thin get app/e33 VAR_00")
read -r t_ls s_tls < <(hf tls "$thin ls app/e33")
read -r c_ls s_cls < <(hf cls "$coffer ls app/e33")
"$coffer" agent stop >/dev/null 2>&1
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

With the agent (\`coffer agent start\`; the thin client, which the
package installs as \`coffer\`, asks it over its socket):

| what | Coffer | \`age\` | Coffer ÷ age | goal |
|---|---|---|---|---|
| run a command with the environment (\`coffer run --no-masking -- true\`; \`age -d\` of the environment's file, then \`true\` started: ${a_run} + ${a_true} ms) | ${t_run} ± ${s_trun} ms | ${a_pipe} ms | $(ratio "$t_run" "$a_pipe") | ≤ 1.0× |
| the same against \`age -d\` alone (age starts no command) | ${t_run} ms | ${a_run} ± ${s_arun} ms | $(ratio "$t_run" "$a_run") | — |
| export the environment (\`coffer export\`; \`age -d\`) | ${t_exp} ± ${s_texp} ms | ${a_run} ms | $(ratio "$t_exp" "$a_run") | ≤ 2× |
| read one secret (\`coffer get\`; \`age -d\` of one file per secret) | ${t_get} ± ${s_tget} ms | ${a_get} ± ${s_aget} ms | $(ratio "$t_get" "$a_get") | ≤ 1.0× |
| \`coffer run -- true\`, masking on (not the agent's: the thin client runs the full binary) | ${t_runm} ± ${s_trunm} ms | ${a_run} ms | $(ratio "$t_runm" "$a_run") | — |
| \`coffer ls\` (not the agent's), through the thin client / the full binary directly | ${t_ls} / ${c_ls} ms | — | — | — |

Without the agent (the full binary, opening from the session cache):

| what | Coffer | \`age\` | Coffer ÷ age |
|---|---|---|---|
| \`coffer run --no-masking -- true\` | ${c_run} ± ${s_run} ms | ${a_run} ms | $(ratio "$c_run" "$a_run") |
| the same, masking on | ${c_runm} ± ${s_runm} ms | ${a_run} ms | $(ratio "$c_runm" "$a_run") |
| \`coffer export\` | ${c_exp} ± ${s_exp} ms | ${a_run} ms | $(ratio "$c_exp" "$a_run") |
| \`coffer get\` | ${c_get} ± ${s_get} ms | ${a_get} ms | $(ratio "$c_get" "$a_get") |

Coffer does more on every read than \`age\` does: it checks that the
vault file is the one it opened and unchanged since (or runs the open's
checks again), and appends a signed read event to the log (durably)
before printing.
MD
