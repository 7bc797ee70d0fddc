#!/usr/bin/env bash
# Builds the Coffer .deb (desktop app + coffer CLI) and checks its contents.
#
#   packaging/package.sh        # `make package` calls this
#
# Steps: build the coffer CLI (release) and its shell completions; run
# `tauri build --bundles deb` from src-tauri/ with packaging/tauri.bundle.json
# merged into the config (--config), which adds the icons, the desktop entry,
# the metainfo, the CLI and the completions to the package; run
# packaging/inspect-deb.sh on the result. The last line printed is the path of
# the .deb.
#
# Needs: a built-able tree (src-tauri/tauri.conf.json, the UI's npm packages
# installed) and the @tauri-apps/cli npm package in src-tauri/, ui/ or the
# repository root (or cargo-tauri on PATH). Works offline.
#
# Environment: CARGO (default cargo); TAURI_BUILD_ARGS (extra arguments for
# `tauri build`, e.g. "--verbose").
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
cargo=${CARGO:-cargo}
say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'package.sh: %s\n' "$*" >&2; exit 1; }

[[ -f src-tauri/tauri.conf.json ]] || die "src-tauri/tauri.conf.json not found: the desktop app is not in this tree yet"

# The fragment names ../target/release/coffer (relative to src-tauri/), so the
# CLI must be built into the workspace's own target directory.
if [[ -n ${CARGO_TARGET_DIR:-} && $(realpath -m "$CARGO_TARGET_DIR") != "$root/target" ]]; then
    die "CARGO_TARGET_DIR=$CARGO_TARGET_DIR: packaging/tauri.bundle.json expects the CLI in $root/target; unset it"
fi

# ---- the Tauri CLI ---------------------------------------------------------
tauri=()
for dir in src-tauri ui .; do
    if [[ -x $dir/node_modules/.bin/tauri ]]; then
        tauri=("$root/$dir/node_modules/.bin/tauri")
        say "Tauri CLI: $dir/node_modules/.bin/tauri ($("${tauri[@]}" --version 2>/dev/null || echo '?'))"
        break
    fi
done
if ((${#tauri[@]} == 0)); then
    if command -v cargo-tauri >/dev/null; then
        tauri=("$cargo" tauri)
        say "Tauri CLI: cargo tauri ($(cargo-tauri --version 2>/dev/null || echo '?'))"
    else
        die "no Tauri CLI: run 'npm ci' in the directory whose package.json lists @tauri-apps/cli (src-tauri/ or ui/)"
    fi
fi

# ---- the CLI and its completions -------------------------------------------
say "cargo build --release -p coffer-cli"
"$cargo" build --release -p coffer-cli
cli=target/release/coffer
[[ -x $cli ]] || die "$cli was not built"
[[ -x target/release/coffer-thin ]] || die "target/release/coffer-thin (installed as /usr/bin/coffer) was not built"
mkdir -p target/release/completions
"$cli" completions bash >target/release/completions/coffer.bash
"$cli" completions zsh >target/release/completions/_coffer
"$cli" completions fish >target/release/completions/coffer.fish

# ---- the .deb --------------------------------------------------------------
stamp=$(mktemp)
trap 'rm -f "$stamp"' EXIT
say "tauri build --bundles deb --config ../packaging/tauri.bundle.json"
# shellcheck disable=SC2086 # TAURI_BUILD_ARGS is split on purpose
(cd src-tauri && "${tauri[@]}" build --ci --bundles deb --config ../packaging/tauri.bundle.json ${TAURI_BUILD_ARGS:-})

# The app's target directory: the workspace's if src-tauri is a member, else its own.
debs=()
for dir in target/release/bundle/deb src-tauri/target/release/bundle/deb; do
    [[ -d $dir ]] || continue
    while IFS= read -r f; do debs+=("$f"); done < <(find "$dir" -maxdepth 1 -name '*.deb' -newer "$stamp")
done
((${#debs[@]} == 1)) || die "expected one new .deb under target/release/bundle/deb or src-tauri/target/release/bundle/deb, found ${#debs[@]}: ${debs[*]:-none}"
deb=$(realpath "${debs[0]}")

say "packaging/inspect-deb.sh $deb"
packaging/inspect-deb.sh "$deb" >&2
echo "$deb"
