#!/usr/bin/env bash
# Runs a command with a real Secret Service: a private D-Bus session
# (dbus-run-session) and gnome-keyring-daemon unlocked with a test password,
# its keyrings in a throw-away HOME. Used by `make test` and `make bench`:
# CI has neither a session bus nor a keyring daemon, and nothing here may
# touch the caller's keyring.
#   scripts/with-keyring.sh CMD [ARGS…]
set -euo pipefail
for tool in dbus-run-session gnome-keyring-daemon secret-tool; do
  command -v "$tool" >/dev/null || { echo "with-keyring: $tool is missing; run scripts/deps.sh" >&2; exit 1; }
done
kc_home=$(mktemp -d); trap 'rm -rf "$kc_home"' EXIT
# cargo and rustup find their homes through HOME: pin them before it changes.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export KC_HOME="$kc_home"
# dbus-daemon's "Failed to set fd limit" line (unprivileged containers) is harmless.
# shellcheck disable=SC2016 # expanded by the inner shell
dbus-run-session -- sh -c '
  export HOME="$KC_HOME" XDG_DATA_HOME="$KC_HOME/.local/share" XDG_RUNTIME_DIR="$KC_HOME/run"
  unset KC_HOME
  mkdir -p "$XDG_DATA_HOME/keyrings" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
  printf %s test-keyring-pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  exec "$@"' with-keyring "$@" 2> >(grep -v "Failed to set fd limit" >&2)
