#!/usr/bin/env bash
# Dependency hygiene: cargo-deny over the Rust workspace (deny.toml:
# licenses, bans, duplicate versions, sources; advisories when the advisory
# database can be fetched) and `npm audit --omit=dev` for the UI.
#
# CI reaches package registries only: GitHub, where the RustSec database
# lives, is not reachable, and the npm registry mirror answers the audit
# endpoint with an error. Each of those checks then says it was skipped,
# and why, and the rest still runs; a real finding fails.
#   scripts/deny.sh            (make deny; exit 1 on a finding)
set -uo pipefail
cd "$(dirname "$0")/.."
rc=0
have() { command -v "$1" >/dev/null 2>&1; }

if ! cargo deny --version >/dev/null 2>&1; then
  echo "deny: cargo-deny is missing (cargo install cargo-deny --locked; scripts/deps.sh installs it)" >&2
  exit 1
fi

# cargo metadata needs every crate's sources (the registry is reachable).
cargo fetch --locked --quiet || { echo "deny: cargo fetch failed" >&2; exit 1; }
checks=(licenses bans sources)
# The advisory database is a git repository on GitHub; a copy fetched
# earlier (~/.cargo/advisory-dbs/<name>-<hash>/) is used as it is when the
# fetch fails. --offline: no second fetch inside the check.
dbs="${CARGO_HOME:-$HOME/.cargo}/advisory-dbs"
if timeout 120 cargo deny --log-level error fetch db >/dev/null 2>&1; then
  checks=(advisories "${checks[@]}")
elif find "$dbs" -mindepth 2 -maxdepth 2 -name .git 2>/dev/null | grep -q .; then
  echo "deny: advisories: the database could not be fetched; using the copy fetched earlier ($dbs)"
  checks=(advisories "${checks[@]}")
else
  echo "deny: advisories: SKIPPED: the RustSec advisory database is unreachable (no network beyond package registries) and no copy was fetched before"
fi
echo "== cargo deny check ${checks[*]}"
cargo deny --offline --locked check "${checks[@]}" 2>&1 || rc=1

echo "== npm audit --omit=dev (ui)"
if ! have npm; then
  echo "deny: npm audit: SKIPPED: npm is missing"
else
  out=$(npm --prefix ui audit --omit=dev --json 2>/dev/null)
  verdict=$(printf '%s' "$out" | node -e '
    let s = ""; process.stdin.on("data", d => s += d).on("end", () => {
      let j; try { j = JSON.parse(s); } catch { console.log("error: no JSON from npm audit"); return; }
      const v = j.metadata && j.metadata.vulnerabilities;
      if (!v) { console.log("error: " + (j.message || (j.error && j.error.summary) || "no audit data")); return; }
      const levels = Object.entries(v).filter(([k, c]) => k !== "total" && c > 0);
      const n = levels.reduce((a, [, c]) => a + c, 0);
      const deps = j.metadata.dependencies;
      const total = typeof deps === "object" ? deps.total : deps;
      console.log(n === 0 ? `ok: no known vulnerability in ${total} production packages` :
        `found: ${n} (${levels.map(([k, c]) => `${c} ${k}`).join(", ")})`);
    });')
  case "$verdict" in
    ok:*) echo "npm audit: ${verdict#ok: }" ;;
    found:*) echo "npm audit: FAILED: vulnerabilities ${verdict#found: }; run npm --prefix ui audit --omit=dev"; rc=1 ;;
    *) echo "npm audit: SKIPPED: the registry's audit service did not answer (${verdict#error: })" ;;
  esac
fi
[ "$rc" = 0 ] && echo "deny: passed" || echo "deny: FAILED"
exit "$rc"
