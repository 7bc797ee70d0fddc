#!/usr/bin/env bash
# Masked output of `coffer run` (issue 11): a command writing 100 MB through
# masking, against the same run with --no-masking. Prints a Markdown section
# for docs/benchmarks.md. Release build (COFFER_BIN to use another binary),
# hyperfine, output to a pipe (`| cat >/dev/null`, the case of a CI log or a
# pager; a terminal is slower than either).
#   VALUES  how many 32-character values the environment holds (default 100;
#           every one is masked)
#   MB      how much the command writes (default 100)
set -euo pipefail
cd "$(dirname "$0")/.."
coffer=$(realpath "${COFFER_BIN:-target/release/coffer}")
command -v hyperfine >/dev/null || { echo "bench: needs hyperfine (apt-get install hyperfine)" >&2; exit 1; }
values=${VALUES:-100}
mb=${MB:-100}
runs=${RUNS:-10}
work=$(mktemp -d); trap 'rm -rf "$work"' EXIT
export COFFER_HOME="$work/home" COFFER_PASSPHRASE="bench passphrase 1234" COFFER_SESSION_MINUTES=0; unset COFFER_VAULT
"$coffer" identity new --name Bench --kdf-memory 19 --kdf-iterations 2 >/dev/null 2>&1
"$coffer" init --name Bench 2>/dev/null
"$coffer" env add app/e 2>/dev/null
# The values, and a log-like output of MB megabytes: lines of 60-140
# characters; one line in 1,000 holds one of the values.
python3 - "$work" "$values" "$mb" <<'PY'
import sys, random, secrets
w, n, mb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
random.seed(11)
vals = [secrets.token_urlsafe(24) for _ in range(n)]
with open(f"{w}/e.env", "w") as f:
    for i, v in enumerate(vals):
        f.write(f"V{i:03d}={v}\n")
words = ("request handled user session cache miss hit db query took ms "
         "status ok error retry worker queue job started finished id").split()
size, lines, i = 0, [], 0
with open(f"{w}/out.log", "w") as f:
    while size < mb * 1_000_000:
        i += 1
        line = " ".join(random.choice(words) for _ in range(random.randint(8, 20)))
        if i % 1000 == 0:
            line += " token=" + vals[i % n]
        line = f"2026-12-06T02:{i % 60:02d}:00Z INFO {line}\n"
        f.write(line)
        size += len(line)
with open(f"{w}/masked_lines", "w") as f:
    f.write(str(i // 1000))
PY
"$coffer" import "$work/e.env" app/e 2>/dev/null
bytes=$(stat -c %s "$work/out.log")
# Sanity: every value is masked, none is left, nothing else changes.
"$coffer" run app/e -- cat "$work/out.log" >"$work/masked.log"
want=$(cat "$work/masked_lines")
got=$(grep -c '<concealed by coffer>' "$work/masked.log")
[ "$got" = "$want" ] || { echo "bench: $got masked lines, expected $want" >&2; exit 1; }
! grep -q -F -f <(cut -d= -f2 "$work/e.env") "$work/masked.log" || { echo "bench: a value was left" >&2; exit 1; }
cat "$work/out.log" >/dev/null # page cache

hf() { hyperfine --warmup 2 --runs "$runs" --export-json "$work/$1.json" "$2" >/dev/null 2>&1
  python3 -c "import json;r=json.load(open('$work/$1.json'))['results'][0];print(f\"{r['mean']*1000:.0f} {r['stddev']*1000:.0f} {r['min']*1000:.0f}\")"; }
read -r t_plain s_plain m_plain < <(hf plain "$coffer run --no-masking app/e -- cat $work/out.log | cat >/dev/null")
read -r t_mask s_mask m_mask < <(hf mask "$coffer run app/e -- cat $work/out.log | cat >/dev/null")
# A command that does some work per line: python printing the log.
py="python3 -c \"import sys;[sys.stdout.write(l) for l in open('$work/out.log')]\""
read -r t_pyplain s_pypl m_pyplain < <(hf pyplain "$coffer run --no-masking app/e -- $py | cat >/dev/null")
read -r t_pymask s_pymask m_pymask < <(hf pymask "$coffer run app/e -- $py | cat >/dev/null")
# Process cost with no output: what masking adds to a short run.
read -r t_tplain s_tplain m_tplain < <(RUNS=30 hf tplain "$coffer run --no-masking app/e -- true")
read -r t_tmask s_tmask m_tmask < <(RUNS=30 hf tmask "$coffer run app/e -- true")
calc() { python3 -c "print($1)"; }
# CPU time (user + system of coffer and its children), best of 5: steadier
# than wall time on a shared machine.
cpu() { local best=""; for _ in 1 2 3 4 5; do
    /usr/bin/time -f '%U %S' -o "$work/time.txt" bash -c "$1" >/dev/null 2>&1
    t=$(tail -1 "$work/time.txt")
    ms=$(python3 -c "u,s='$t'.split();print(round((float(u)+float(s))*1000))")
    if [ -z "$best" ] || [ "$ms" -lt "$best" ]; then best=$ms; fi; done; echo "$best"; }
cpu_plain=$(cpu "$coffer run --no-masking app/e -- cat $work/out.log | cat >/dev/null")
cpu_mask=$(cpu "$coffer run app/e -- cat $work/out.log | cat >/dev/null")
cpu_tplain=$(cpu "$coffer run --no-masking app/e -- true")
cpu_tmask=$(cpu "$coffer run app/e -- true")
cat <<MD

## Masked output (issue 11)

Measured by \`bench/masking.sh\` (VALUES=${values} MB=${mb}): release build,
hyperfine mean of ${runs} runs after 2 warm-ups, $(nproc) cores,
$(date -u +%Y-%m-%d), load average $(cut -d' ' -f1-3 /proc/loadavg) at the end.
The environment holds ${values} values of 32 characters, all masked; the
command writes ${bytes} bytes of log lines (60-140 characters, one in 1,000
holding a value: ${want} masked) to a pipe, read by \`cat >/dev/null\`.
Checked first: every value masked, none left.

| command | \`--no-masking\` mean (min) | masked mean (min) | masked ÷ unmasked, means (mins) | masking throughput (best run) |
|---|---|---|---|---|
| \`cat\` of the log (the fastest writer: pure copying) | ${t_plain} ± ${s_plain} (${m_plain}) ms | ${t_mask} ± ${s_mask} (${m_mask}) ms | $(calc "f'{${t_mask}/${t_plain}:.2f}× ({${m_mask}/${m_plain}:.2f}×)'") | $(calc "f'{${bytes}/1e6/(${m_mask}/1000):.0f} MB/s'") end to end |
| python writing the log line by line | ${t_pyplain} ± ${s_pypl} (${m_pyplain}) ms | ${t_pymask} ± ${s_pymask} (${m_pymask}) ms | $(calc "f'{${t_pymask}/${t_pyplain}:.2f}× ({${m_pymask}/${m_pyplain}:.2f}×)'") | — |
| \`true\` (no output: the cost of staying the parent) | ${t_tplain} ± ${s_tplain} (${m_tplain}) ms | ${t_tmask} ± ${s_tmask} (${m_tmask}) ms | $(calc "f'{${t_tmask}-${t_tplain}:+.1f} ms ({${m_tmask}-${m_tplain}:+.1f} ms)'") | — |

CPU time of coffer and the command (user + system from \`/usr/bin/time\`,
10 ms resolution, best of 5): \`cat\` unmasked ${cpu_plain} ms,
masked ${cpu_mask} ms; \`true\` unmasked ${cpu_tplain} ms, masked ${cpu_tmask} ms.
MD
