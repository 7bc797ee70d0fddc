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
# The daemons' own output (dbus-daemon's activation lines, and whatever the
# services it starts on demand print: xdg-desktop-portal, its GTK backend
# without a display, PipeWire, gnome-keyring; ~100 lines a `make test`) goes
# to a log file, not among the command's output. Its path is printed when
# the command fails; it is removed when it succeeds.
log_dir="${WITH_KEYRING_LOG_DIR:-$(cd "$(dirname "$0")/.." && pwd)/.cache}"
mkdir -p "$log_dir"
log=$(mktemp "$log_dir/with-keyring.XXXXXX.log")
# cargo and rustup find their homes through HOME: pin them before it changes.
export CARGO_HOME="${CARGO_HOME:-$HOME/.cargo}" RUSTUP_HOME="${RUSTUP_HOME:-$HOME/.rustup}"
export KC_HOME="$kc_home"
# dbus-run-session and everything it starts write to the log (fds 1 and 2);
# only the command gets the caller's stdout and stderr back (kept on fds 3
# and 4 until then).
# shellcheck disable=SC2016 # expanded by the inner shell
dbus-run-session -- sh -c '
  export HOME="$KC_HOME" XDG_DATA_HOME="$KC_HOME/.local/share" XDG_RUNTIME_DIR="$KC_HOME/run"
  unset KC_HOME
  mkdir -p "$XDG_DATA_HOME/keyrings" "$XDG_RUNTIME_DIR" && chmod 700 "$XDG_RUNTIME_DIR"
  printf %s test-keyring-pw | gnome-keyring-daemon --unlock --components=secrets
  exec "$@" 1>&3 2>&4 3>&- 4>&-' with-keyring "$@" 3>&1 4>&2 >>"$log" 2>&1 && rc=0 || rc=$?
if [ "$rc" = 0 ]; then
  rm -f "$log"
else
  echo "with-keyring: exit $rc; the D-Bus and keyring daemons' output is in $log" >&2
fi
exit "$rc"
