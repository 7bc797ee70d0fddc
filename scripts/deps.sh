#!/usr/bin/env bash
# Installs what `make test` / `make run` need and is missing. Idempotent.
# As root it installs; otherwise it prints the exact command to run.
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
have() { command -v "$1" >/dev/null 2>&1; }
pkg_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }

have cc || need_apt+=(build-essential)
have pkg-config || need_apt+=(pkg-config)
have git || need_apt+=(git)
have node || need_apt+=(nodejs)
have npm || need_apt+=(npm)
have python3 || need_apt+=(python3)
python3 -c 'import venv, ensurepip' 2>/dev/null || need_apt+=(python3-venv)
# PyYAML reads back what `coffer inject … | yaml` renders (workflow tests).
python3 -c 'import yaml' 2>/dev/null || need_apt+=(python3-yaml)
# Ruby's dotenv is one of the third-party parsers the interop test reads our
# exports back with (Debian package; rubygems is not reachable here).
pkg_installed ruby-dotenv || need_apt+=(ruby-dotenv)
# Go builds compose-go's own .env parser (tests/interop/compose, offline)
# for the compose dialect's differential test; Debian's Go 1.19 is enough.
have go || need_apt+=(golang-go)
# Packaging checks (packaging/test-inspect.sh): desktop entry and AppStream
# validators, dpkg-deb/ar.
have desktop-file-validate || need_apt+=(desktop-file-utils)
have appstreamcli || need_apt+=(appstream)
have ar || need_apt+=(binutils)
# The read path's durable writes are counted with strace
# (crates/coffer-cli/tests/read_durability.rs, bench/reads.sh).
have strace || need_apt+=(strace)
# `make bench` times whole commands with hyperfine and runs raw `age`
# beside coffer (bench/age.sh, bench/offboard.sh): small Debian packages.
have hyperfine || need_apt+=(hyperfine)
have age || need_apt+=(age)
# The OS keychain: the Secret Service backend links libdbus-1 (build); the
# keychain tests run a real gnome-keyring on a private D-Bus session and
# inspect it with secret-tool.
pkg_installed libdbus-1-dev || need_apt+=(libdbus-1-dev)
have dbus-run-session || need_apt+=(dbus)
have gnome-keyring-daemon || need_apt+=(gnome-keyring)
have secret-tool || need_apt+=(libsecret-tools)
# The desktop app (Tauri 2): WebKitGTK to build it; Xvfb, WebKitWebDriver
# and xclip for the end-to-end test in a real window; Debian's chromium for
# the browser tests (no browser is downloaded).
pkg_installed libwebkit2gtk-4.1-dev || need_apt+=(libwebkit2gtk-4.1-dev)
pkg_installed libgtk-3-dev || need_apt+=(libgtk-3-dev)
have file || need_apt+=(file)
have xvfb-run || need_apt+=(xvfb)
have xauth || need_apt+=(xauth)
[ -x /usr/bin/WebKitWebDriver ] || need_apt+=(webkit2gtk-driver)
have chromium || need_apt+=(chromium)
have xclip || need_apt+=(xclip)

if [ ${#need_apt[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "deps: installing ${need_apt[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq -o DPkg::Lock::Timeout=600 || true
    # The first try can fail on a concurrent apt run or a cache-cleaning hook.
    apt-get install -y -qq -o DPkg::Lock::Timeout=600 "${need_apt[@]}" >/dev/null ||
      { sleep 5; apt-get install -y -qq -o DPkg::Lock::Timeout=600 "${need_apt[@]}" >/dev/null; }
  else
    echo "deps: missing packages; run:  sudo apt-get install -y ${need_apt[*]}" >&2
    exit 1
  fi
fi

if ! have cargo; then
  echo "deps: no Rust toolchain; install rustup from your distribution (apt-get install rustup) and run 'rustup default stable'" >&2
  exit 1
fi
rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy rustfmt >/dev/null 2>&1 || true

# tauri-driver (WebDriver for the real app), from crates.io.
if ! have tauri-driver && [ ! -x "${CARGO_HOME:-$HOME/.cargo}/bin/tauri-driver" ]; then
  echo "deps: cargo install tauri-driver --locked"
  cargo install tauri-driver --locked --quiet
fi

# cargo-deny (dependency licences, bans, sources, advisories; scripts/deny.sh),
# from crates.io, pinned: ~4 min to build once on two cores.
if ! cargo deny --version 2>/dev/null | grep -q '^cargo-deny 0\.20\.2$'; then
  echo "deps: cargo install cargo-deny@0.20.2 --locked"
  cargo install cargo-deny@0.20.2 --locked --quiet
fi

# The desktop UI's packages (Vite, Svelte, Vitest, playwright-core, the
# Tauri CLI), pinned by ui/package-lock.json.
if [ ! -d ui/node_modules/.bin ] || [ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]; then
  echo "deps: npm ci (ui)"
  npm ci --prefix ui --no-audit --no-fund --loglevel=error >/dev/null
fi

# Test-only parsers: npm's dotenv and python-dotenv, pinned by lockfiles.
if [ ! -d tests/interop/node_modules/dotenv ] || [ tests/interop/package-lock.json -nt tests/interop/node_modules/.package-lock.json ]; then
  echo "deps: npm ci (tests/interop)"
  npm ci --prefix tests/interop --no-audit --no-fund --loglevel=error >/dev/null
fi
venv=.cache/interop-venv
if [ ! -x "$venv/bin/python" ] || [ tests/interop/requirements.txt -nt "$venv/.installed" ]; then
  echo "deps: python venv (tests/interop)"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r tests/interop/requirements.txt
  touch "$venv/.installed"
fi
