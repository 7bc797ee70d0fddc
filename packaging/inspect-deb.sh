#!/usr/bin/env bash
# Checks the contents of a Coffer .deb before it is shipped.
#
#   packaging/inspect-deb.sh path/to/Coffer_0.1.0_amd64.deb
#
# Exit 0 when every check passes, 1 when any fails (each failure is printed as
# "FAIL: ..."), 2 on bad usage. Uses dpkg-deb only; if desktop-file-validate
# (desktop-file-utils) and appstreamcli (appstream) are installed, the packaged
# .desktop and metainfo files are validated with them too.
#
# Environment:
#   COFFER_APP_BIN      name of the desktop app binary in /usr/bin (default coffer-desktop,
#                       the crate name, which is what Tauri 2 installs without mainBinaryName)
#   COFFER_ICON_SIZES   hicolor PNG sizes that must be present (default "16 32 48 64 128 256 512")
set -uo pipefail

usage() { echo "usage: $0 PACKAGE.deb" >&2; exit 2; }
[[ $# -eq 1 ]] || usage
deb=$1
[[ -f $deb ]] || { echo "inspect-deb: no such file: $deb" >&2; exit 2; }
command -v dpkg-deb >/dev/null || { echo "inspect-deb: dpkg-deb not found (package dpkg)" >&2; exit 2; }

app_bin=${COFFER_APP_BIN:-coffer-desktop}
icon_sizes=${COFFER_ICON_SIZES:-16 32 48 64 128 256 512}

failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }
ok() { echo "ok:   $*"; }
indent() { sed 's/^/        /'; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

if ! dpkg-deb --info "$deb" >/dev/null 2>"$work/err"; then
    echo "FAIL: $deb is not a readable Debian package: $(cat "$work/err")"
    exit 1
fi

# ---- control fields --------------------------------------------------------
field() { dpkg-deb --field "$deb" "$1" 2>/dev/null; }
pkg=$(field Package)
echo "package: $pkg $(field Version) $(field Architecture)"
for f in Package Version Architecture Maintainer Description; do
    [[ -n $(field "$f") ]] || fail "control field $f is missing"
done
depends=$(field Depends)
webkit_re='(^|[ ,|])libwebkit2gtk-4\.1-[0-9]'
dbus_re='(^|[ ,|])libdbus-1-3([ ,(]|$)'
if [[ $depends =~ $webkit_re ]]; then
    ok "Depends names libwebkit2gtk-4.1 ($depends)"
else
    fail "Depends does not name libwebkit2gtk-4.1-0 (Depends: ${depends:-<none>})"
fi
if [[ $depends =~ $dbus_re ]]; then
    ok "Depends names libdbus-1-3 (the full coffer CLI links libdbus-1.so.3)"
else
    fail "Depends does not name libdbus-1-3, which /usr/lib/coffer/coffer links (Depends: ${depends:-<none>})"
fi

# ---- file list -------------------------------------------------------------
# dpkg-deb -c prints: perms owner/group size date time ./path [-> target]
if ! dpkg-deb --contents "$deb" >"$work/contents" 2>"$work/err"; then
    fail "cannot list the package contents: $(cat "$work/err")"
    exit 1
fi
# perms<TAB>owner<TAB>/absolute/path (symlink target dropped). dpkg-deb --build
# writes "./usr/bin/x", tauri-bundler writes "usr/bin/x": accept both.
awk '{
    path = $6; for (i = 7; i <= NF && $i != "->"; i++) path = path " " $i
    sub(/^\.?\/*/, "/", path); if (path != "/") sub(/\/$/, "", path)
    print $1 "\t" $2 "\t" path
}' "$work/contents" >"$work/list"

entry() { awk -F'\t' -v p="$1" '$3 == p' "$work/list"; }
has_file() { entry "$1" | grep -q $'^-'; }
is_exec_file() { entry "$1" | grep -qE $'^-..[xs]..[xs]..x\t'; }

check_binary() { # path what
    if ! entry "$1" | grep -q .; then
        fail "$1 is missing ($2)"
    elif ! has_file "$1"; then
        fail "$1 is not a regular file ($2)"
    elif ! is_exec_file "$1"; then
        fail "$1 is not executable by everyone: $(entry "$1" | cut -f1) ($2)"
    else
        ok "$1 ($2)"
    fi
}
check_binary "/usr/bin/$app_bin" "the desktop app"
check_binary /usr/bin/coffer "the coffer CLI (the thin client)"
check_binary /usr/lib/coffer/coffer "the full coffer CLI the thin client runs"

# Ownership and permissions of every entry.
bad_perm=$(awk -F'\t' 'substr($1,1,1) != "l" && substr($1,9,1) == "w" { print $1 " " $3 }' "$work/list")
if [[ -n $bad_perm ]]; then
    fail "world-writable entries:"$'\n'"$(indent <<<"$bad_perm")"
else
    ok "no world-writable files or directories"
fi
bad_suid=$(awk -F'\t' 'substr($1,4,1) ~ /[sS]/ || substr($1,7,1) ~ /[sS]/ { print $1 " " $3 }' "$work/list")
if [[ -n $bad_suid ]]; then
    fail "setuid/setgid entries:"$'\n'"$(indent <<<"$bad_suid")"
else
    ok "no setuid/setgid entries"
fi
bad_owner=$(awk -F'\t' '$2 != "root/root" && $2 != "0/0" { print $2 " " $3 }' "$work/list")
if [[ -n $bad_owner ]]; then
    fail "entries not owned by root:"$'\n'"$(indent <<<"$bad_owner")"
else
    ok "every entry is owned by root"
fi

# Unpack the data part once for the content checks below.
mkdir -p "$work/root"
if ! dpkg-deb --extract "$deb" "$work/root" 2>"$work/err"; then
    fail "cannot extract the package: $(cat "$work/err")"
    exit 1
fi

# ---- the thin client finds the full binary -----------------------------------
# /usr/bin/coffer is the thin client; every command it does not ask the agent
# about runs /usr/lib/coffer/coffer, found from its own path. A real build
# (not the test's shell-script stand-ins) must answer --version through it.
thin="$work/root/usr/bin/coffer"
if [[ -f $thin && $(head -c4 "$thin" | od -An -c | tr -d ' ') == 177ELF ]]; then
    if version=$("$thin" --version 2>&1) && [[ $version == coffer* ]]; then
        ok "/usr/bin/coffer runs /usr/lib/coffer/coffer ($version)"
    else
        fail "/usr/bin/coffer --version did not reach the full binary: $version"
    fi
fi

# ---- desktop entry ---------------------------------------------------------
mapfile -t desktops < <(awk -F'\t' '$3 ~ "^/usr/share/applications/[^/]+\\.desktop$" && $1 ~ /^-/ { print $3 }' "$work/list")
icon_name=""
if ((${#desktops[@]} == 0)); then
    fail "no desktop entry in /usr/share/applications/"
elif ((${#desktops[@]} > 1)); then
    fail "more than one desktop entry (the app would be listed twice): ${desktops[*]}"
else
    desktop=${desktops[0]}
    dfile="$work/root$desktop"
    key() { sed -n "/^\[Desktop Entry\]/,/^\[/{s/^$1=//p}" "$dfile" | head -n1; }
    exec_line=$(key Exec)
    exec_bin=${exec_line%% *}
    exec_bin=${exec_bin//\"/}
    icon_name=$(key Icon)
    if [[ $exec_bin == "$app_bin" || $exec_bin == "/usr/bin/$app_bin" ]]; then
        ok "$desktop runs $app_bin"
    else
        fail "$desktop has Exec=$exec_line, expected the app binary $app_bin"
    fi
    [[ $(key Name) == Coffer ]] || fail "$desktop has Name=$(key Name), expected Coffer"
    [[ -n $icon_name ]] || fail "$desktop has no Icon="
    if command -v desktop-file-validate >/dev/null; then
        if out=$(desktop-file-validate "$dfile" 2>&1) && ! grep -q 'error:' <<<"$out"; then
            ok "$desktop passes desktop-file-validate"
        else
            fail "$desktop fails desktop-file-validate:"$'\n'"$(indent <<<"$out")"
        fi
    fi
fi

# ---- icons -----------------------------------------------------------------
if [[ -n $icon_name ]]; then
    missing=()
    for size in $icon_sizes; do
        has_file "/usr/share/icons/hicolor/${size}x${size}/apps/$icon_name.png" || missing+=("${size}x${size}")
    done
    if ((${#missing[@]})); then
        fail "hicolor icons for Icon=$icon_name missing at: ${missing[*]} (expected /usr/share/icons/hicolor/NxN/apps/$icon_name.png)"
    else
        ok "hicolor PNG icons $icon_name.png at: $icon_sizes"
    fi
    # The PNG named for a size must have that size.
    for size in $icon_sizes; do
        png="$work/root/usr/share/icons/hicolor/${size}x${size}/apps/$icon_name.png"
        [[ -f $png ]] || continue
        dims=$(od -An -tu1 -j16 -N8 "$png" | awk '{ printf "%dx%d", $1*16777216+$2*65536+$3*256+$4, $5*16777216+$6*65536+$7*256+$8 }')
        [[ $dims == "${size}x${size}" ]] || fail "icon ${size}x${size}/apps/$icon_name.png is really $dims"
    done
    if has_file "/usr/share/icons/hicolor/scalable/apps/$icon_name.svg"; then
        ok "scalable icon $icon_name.svg"
    else
        fail "scalable icon /usr/share/icons/hicolor/scalable/apps/$icon_name.svg is missing"
    fi
fi

# ---- AppStream metainfo ----------------------------------------------------
mapfile -t metainfos < <(awk -F'\t' '$3 ~ "^/usr/share/metainfo/[^/]+\\.(metainfo|appdata)\\.xml$" && $1 ~ /^-/ { print $3 }' "$work/list")
if ((${#metainfos[@]} == 0)); then
    fail "no AppStream metainfo in /usr/share/metainfo/"
else
    for m in "${metainfos[@]}"; do
        launchable=$(sed -n 's:.*<launchable type="desktop-id">\([^<]*\)</launchable>.*:\1:p' "$work/root$m" | head -n1)
        if [[ -z $launchable ]]; then
            fail "$m has no <launchable type=\"desktop-id\">"
        elif has_file "/usr/share/applications/$launchable"; then
            ok "$m launches /usr/share/applications/$launchable"
        else
            fail "$m names desktop-id $launchable but the package has no /usr/share/applications/$launchable"
        fi
        if command -v appstreamcli >/dev/null; then
            if out=$(appstreamcli validate --no-net "$work/root$m" 2>&1); then
                ok "$m passes appstreamcli validate --no-net"
            else
                fail "$m fails appstreamcli validate --no-net:"$'\n'"$(indent <<<"$out")"
            fi
        fi
    done
fi

echo
if ((failures)); then
    echo "inspect-deb: $failures problem(s) in $deb" >&2
    exit 1
fi
echo "inspect-deb: $deb looks right"
