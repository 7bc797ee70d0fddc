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

# Each measurement prints "median min mean stddev cpu" in ms; cpu is the
# mean user + system time of the whole run (coffer, the command, the
# shell and the reading cat), which a busy shared machine disturbs less
# than wall time; the median shrugs off the odd run another process slowed.
hf() { hyperfine --warmup 2 --runs "${RUNS_OF:-$runs}" --export-json "$work/$1.json" "$2" >/dev/null 2>&1
  python3 -c "import json;r=json.load(open('$work/$1.json'))['results'][0];print(' '.join(f'{x*1000:.0f}' for x in (r['median'],r['min'],r['mean'],r['stddev'],r['user']+r['system'])))"; }
read -r d_plain m_plain t_plain s_plain c_plain < <(hf plain "$coffer run --no-masking app/e -- cat $work/out.log | cat >/dev/null")
read -r d_mask m_mask t_mask s_mask c_mask < <(hf mask "$coffer run app/e -- cat $work/out.log | cat >/dev/null")
# A command that does some work per line: python printing the log.
py="python3 -c \"import sys;[sys.stdout.write(l) for l in open('$work/out.log')]\""
read -r d_pyplain m_pyplain t_pyplain s_pyplain c_pyplain < <(hf pyplain "$coffer run --no-masking app/e -- $py | cat >/dev/null")
read -r d_pymask m_pymask t_pymask s_pymask c_pymask < <(hf pymask "$coffer run app/e -- $py | cat >/dev/null")
# Process cost with no output: what masking adds to a short run.
read -r d_tplain m_tplain t_tplain s_tplain c_tplain < <(RUNS_OF=30 hf tplain "$coffer run --no-masking app/e -- true")
read -r d_tmask m_tmask t_tmask s_tmask c_tmask < <(RUNS_OF=30 hf tmask "$coffer run app/e -- true")
calc() { python3 -c "print($1)"; }
row() { # LABEL PLAIN... MASK... (median min mean stddev cpu each) THROUGHPUT
  local label=$1 d1=$2 m1=$3 t1=$4 s1=$5 c1=$6 d2=$7 m2=$8 t2=$9 s2=${10} c2=${11} tp=${12}
  echo "| $label | $d1 ($m1) ms | $d2 ($m2) ms | $(calc "f'{$d2/$d1:.2f}× ({$m2/$m1:.2f}×)'") | $t1 ± $s1 → $t2 ± $s2 ms | $c1 → $c2 ms ($(calc "f'{$c2/max($c1,1):.2f}×'")) | $tp |"; }
cat <<MD

## Masked output (issue 11)

Measured by \`bench/masking.sh\` (VALUES=${values} MB=${mb}): release build,
hyperfine, ${runs} runs after 2 warm-ups (30 for \`true\`), $(nproc) cores,
$(date -u +%Y-%m-%d), load average $(cut -d' ' -f1-3 /proc/loadavg) at the end.
The environment holds ${values} values of 32 characters, all masked; the
command writes ${bytes} bytes of log lines (60-140 characters, one in 1,000
holding a value: ${want} masked) to a pipe, read by \`cat >/dev/null\`.
Checked first: every value masked, none left.

| command | \`--no-masking\` median (min) | masked median (min) | masked ÷ unmasked, medians (mins) | means, unmasked → masked | CPU (user + system, mean) | masking throughput (best run) |
|---|---|---|---|---|---|---|
$(row "\`cat\` of the log (the fastest writer: pure copying)" "$d_plain" "$m_plain" "$t_plain" "$s_plain" "$c_plain" "$d_mask" "$m_mask" "$t_mask" "$s_mask" "$c_mask" "$(calc "f'{${bytes}/1e6/(${m_mask}/1000):.0f} MB/s'") end to end")
$(row "python writing the log line by line" "$d_pyplain" "$m_pyplain" "$t_pyplain" "$s_pyplain" "$c_pyplain" "$d_pymask" "$m_pymask" "$t_pymask" "$s_pymask" "$c_pymask" "—")
$(row "\`true\` (no output: the cost of staying the parent)" "$d_tplain" "$m_tplain" "$t_tplain" "$s_tplain" "$c_tplain" "$d_tmask" "$m_tmask" "$t_tmask" "$s_tmask" "$c_tmask" "—")
MD
