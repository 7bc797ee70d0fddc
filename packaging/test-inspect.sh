#!/usr/bin/env bash
# Tests the packaging files and packaging/inspect-deb.sh without building the app.
#
#   packaging/test-inspect.sh
#
# 1. Static checks: the desktop entry (desktop-file-validate), the metainfo
#    (appstreamcli validate --no-net), the icons (every size present and of
#    that size), the Tauri bundle fragment (JSON, every source it names exists,
#    and, when the Tauri CLI and python3-jsonschema are installed, the Tauri 2
#    config schema), and src-tauri/tauri.conf.json, once it exists, agrees with
#    the names the packaging files assume.
# 2. Builds a fake .deb laid out like the one `tauri build --bundles deb`
#    makes (dpkg-deb --build, shell scripts standing in for the binaries),
#    checks inspect-deb.sh accepts it, then breaks it one way at a time and
#    checks inspect-deb.sh rejects each one with the right message.
#
# Needs: dpkg-deb, desktop-file-validate (desktop-file-utils), appstreamcli (appstream), python3,
# ar (binutils).
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
inspect="$here/inspect-deb.sh"

missing=()
command -v dpkg-deb >/dev/null || missing+=(dpkg)
command -v desktop-file-validate >/dev/null || missing+=(desktop-file-utils)
command -v appstreamcli >/dev/null || missing+=(appstream)
command -v python3 >/dev/null || missing+=(python3)
command -v ar >/dev/null || missing+=(binutils)
if ((${#missing[@]})); then
    echo "test-inspect: missing tools; install them with: apt-get install -y ${missing[*]}" >&2
    exit 2
fi

passed=0
failed=0
pass() { echo "PASS $*"; passed=$((passed + 1)); }
flunk() { echo "FAIL $*"; failed=$((failed + 1)); }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# ---- 1. static checks ------------------------------------------------------
if out=$(desktop-file-validate "$here/linux/coffer.desktop" 2>&1) && ! grep -q 'error:' <<<"$out"; then
    pass "desktop-file-validate packaging/linux/coffer.desktop"
else
    flunk "desktop-file-validate packaging/linux/coffer.desktop"$'\n'"$out"
fi
if out=$(appstreamcli validate --no-net "$here/linux/io.coffer.Coffer.metainfo.xml" 2>&1); then
    pass "appstreamcli validate --no-net packaging/linux/io.coffer.Coffer.metainfo.xml"
else
    flunk "appstreamcli validate packaging/linux/io.coffer.Coffer.metainfo.xml"$'\n'"$out"
fi

if out=$(python3 - "$root" <<'PY' 2>&1
import json, os, struct, sys, glob
root = sys.argv[1]
tauri_dir = os.path.join(root, "src-tauri")      # fragment paths are relative to it
problems = []

def png_size(path):
    with open(path, "rb") as f:
        head = f.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n":
        return None
    return struct.unpack(">II", head[16:24])

icons = os.path.join(root, "packaging", "icons")
for n in (16, 32, 48, 64, 128, 256, 512):
    p = os.path.join(icons, f"{n}x{n}.png")
    if not os.path.exists(p):
        problems.append(f"missing icon {p}")
    elif png_size(p) != (n, n):
        problems.append(f"{p} is {png_size(p)}, expected {n}x{n}")
for name, n in (("128x128@2x.png", 256), ("icon.png", 512)):
    if png_size(os.path.join(icons, name)) != (n, n):
        problems.append(f"{name} should be {n}x{n}")
for name in ("coffer.svg", "icon.ico", "icon.icns"):
    if not os.path.exists(os.path.join(icons, name)):
        problems.append(f"missing {name}")

frag = json.load(open(os.path.join(root, "packaging", "tauri.bundle.json")))
b = frag["bundle"]
deb = b["linux"]["deb"]
generated = {"../target/release/coffer", "../target/release/coffer-thin"}  # built by package.sh
for src in b["icon"] + [deb["desktopTemplate"]] + list(deb["files"].values()):
    if src in generated or src.startswith("../target/release/completions/"):
        continue
    if not os.path.exists(os.path.normpath(os.path.join(tauri_dir, src))):
        problems.append(f"tauri.bundle.json names {src}, which does not exist (relative to src-tauri/)")
if deb["files"].get("/usr/bin/coffer") != "../target/release/coffer-thin":
    problems.append("tauri.bundle.json must install ../target/release/coffer-thin (the thin client) as /usr/bin/coffer")
if deb["files"].get("/usr/lib/coffer/coffer") != "../target/release/coffer":
    problems.append("tauri.bundle.json must install ../target/release/coffer as /usr/lib/coffer/coffer, where the thin client looks for it")
if not any(d.startswith("/usr/share/metainfo/") for d in deb["files"]):
    problems.append("tauri.bundle.json installs no metainfo")
pngs = [i for i in b["icon"] if i.endswith(".png")]
if not pngs or png_size(os.path.normpath(os.path.join(tauri_dir, pngs[0]))) != (128, 128):
    problems.append("the first PNG in bundle.icon (the window icon) should be the 128x128 one")

# The Tauri 2 config schema, when the npm CLI is installed somewhere in the tree.
schemas = glob.glob(os.path.join(root, "*", "node_modules", "@tauri-apps", "cli", "config.schema.json")) \
        + glob.glob(os.path.join(root, "node_modules", "@tauri-apps", "cli", "config.schema.json"))
try:
    import jsonschema
except ImportError:
    jsonschema = None
if schemas and jsonschema:
    schema = json.load(open(schemas[0]))
    cfg = {"identifier": "io.coffer.Coffer", "productName": "Coffer", "version": "0.1.0"}
    cfg.update(frag)
    errs = list(jsonschema.validators.validator_for(schema)(schema).iter_errors(cfg))
    problems += [f"schema ({schemas[0]}): {e.json_path}: {e.message}" for e in errs]
    print(f"checked against {os.path.relpath(schemas[0], root)}")
else:
    print("schema check skipped (needs @tauri-apps/cli in node_modules and python3-jsonschema)")

# Once the shell lands: the names the packaging files rely on.
conf_path = os.path.join(tauri_dir, "tauri.conf.json")
if os.path.exists(conf_path):
    conf = json.load(open(conf_path))
    if conf.get("productName") != "Coffer":
        problems.append(f"src-tauri/tauri.conf.json productName is {conf.get('productName')!r}; the "
                        "metainfo's launchable is Coffer.desktop, which Tauri names after productName")
    if conf.get("mainBinaryName", "coffer-desktop") != "coffer-desktop":
        problems.append("src-tauri/tauri.conf.json sets mainBinaryName; coffer.desktop runs coffer-desktop")
    if conf.get("identifier") != "io.coffer.Coffer":
        print(f"note: identifier {conf.get('identifier')!r} differs from the AppStream id io.coffer.Coffer", file=sys.stderr)
    print("checked src-tauri/tauri.conf.json names")

if problems:
    print("\n".join(problems))
    sys.exit(1)
PY
); then
    pass "icons, tauri.bundle.json and names ($(tr '\n' ';' <<<"$out" | sed 's/;$//'))"
else
    flunk "icons, tauri.bundle.json and names"$'\n'"$out"
fi

# ---- 2. inspect-deb.sh on fake packages ------------------------------------
# stage DIR: a package tree laid out as tauri-bundler lays it out.
stage() {
    local d=$1 size
    mkdir -p "$d/DEBIAN" "$d/usr/bin" "$d/usr/share/applications" "$d/usr/share/metainfo" \
        "$d/usr/share/icons/hicolor/scalable/apps"
    cat >"$d/DEBIAN/control" <<'EOF'
Package: coffer
Version: 0.1.0
Architecture: amd64
Maintainer: The Coffer developers
Section: utils
Priority: optional
Depends: libdbus-1-3, libwebkit2gtk-4.1-0, libgtk-3-0
Description: Credential vault for software teams
 A fake package for testing packaging/inspect-deb.sh.
EOF
    printf '#!/bin/sh\necho fake\n' >"$d/usr/bin/coffer-desktop"
    printf '#!/bin/sh\necho fake\n' >"$d/usr/bin/coffer"
    mkdir -p "$d/usr/lib/coffer"
    printf '#!/bin/sh\necho fake\n' >"$d/usr/lib/coffer/coffer"
    chmod 0755 "$d/usr/bin/coffer-desktop" "$d/usr/bin/coffer" "$d/usr/lib/coffer/coffer"
    cp "$here/linux/coffer.desktop" "$d/usr/share/applications/Coffer.desktop"
    cp "$here/linux/io.coffer.Coffer.metainfo.xml" "$d/usr/share/metainfo/"
    for size in 16 32 48 64 128 256 512; do
        mkdir -p "$d/usr/share/icons/hicolor/${size}x${size}/apps"
        cp "$here/icons/${size}x${size}.png" "$d/usr/share/icons/hicolor/${size}x${size}/apps/coffer-desktop.png"
    done
    cp "$here/icons/coffer.svg" "$d/usr/share/icons/hicolor/scalable/apps/coffer-desktop.svg"
    find "$d" -type d -exec chmod 0755 {} +
    find "$d" -type f ! -path '*/usr/bin/*' ! -path '*/usr/lib/coffer/*' -exec chmod 0644 {} +
}

# build_like_tauri DIR DEB: the archive as tauri-bundler writes it (ar of debian-binary,
# control.tar.gz, data.tar.gz; member paths "usr/bin/x" without dpkg-deb's "./").
build_like_tauri() {
    local d=$1 deb=$2 t
    t=$(mktemp -d "$work/ar.XXXX")
    printf '2.0\n' >"$t/debian-binary"
    tar -C "$d/DEBIAN" --owner=0 --group=0 --numeric-owner -czf "$t/control.tar.gz" control
    tar -C "$d" --owner=0 --group=0 --numeric-owner -czf "$t/data.tar.gz" usr
    (cd "$t" && ar rc "$deb" debian-binary control.tar.gz data.tar.gz)
}

n=0
builder=dpkg
# case NAME EXPECT(ok|reject) MESSAGE-REGEX MUTATION...: stage, mutate, build, inspect.
case_() {
    local name=$1 expect=$2 pattern=$3
    shift 3
    n=$((n + 1))
    local d="$work/case$n" deb="$work/case$n.deb"
    stage "$d"
    (cd "$d" && eval "$*") || { flunk "$name: mutation failed"; return; }
    if [[ $builder == tauri ]]; then
        build_like_tauri "$d" "$deb" 2>"$work/build.err" || { flunk "$name: building failed: $(cat "$work/build.err")"; return; }
    elif ! dpkg-deb --root-owner-group --build "$d" "$deb" >/dev/null 2>"$work/build.err"; then
        flunk "$name: dpkg-deb --build failed: $(cat "$work/build.err")"
        return
    fi
    local out rc
    out=$("$inspect" "$deb" 2>&1)
    rc=$?
    if [[ $expect == ok ]]; then
        if ((rc == 0)); then pass "$name"; else flunk "$name: inspect-deb rejected a good package (rc=$rc)"$'\n'"$out"; fi
    elif ((rc == 0)); then
        flunk "$name: inspect-deb accepted it"$'\n'"$out"
    elif ! grep -qE "FAIL: .*($pattern)" <<<"$out"; then
        flunk "$name: rejected (rc=$rc) but without a FAIL line matching /$pattern/"$'\n'"$out"
    else
        pass "$name: rejected: $(grep -m1 -E "FAIL: .*($pattern)" <<<"$out" | sed 's/^FAIL: //')"
    fi
}

case_ "a package laid out like Tauri's is accepted" ok "" true
case_ "no /usr/bin/coffer" reject "/usr/bin/coffer is missing" 'rm usr/bin/coffer'
case_ "no full binary behind the thin client" reject "/usr/lib/coffer/coffer is missing" 'rm usr/lib/coffer/coffer'
case_ "full binary not executable" reject "/usr/lib/coffer/coffer is not executable" 'chmod 0644 usr/lib/coffer/coffer'
case_ "no app binary" reject "/usr/bin/coffer-desktop is missing" 'rm usr/bin/coffer-desktop'
case_ "coffer not executable" reject "/usr/bin/coffer is not executable" 'chmod 0644 usr/bin/coffer'
case_ "coffer is a directory" reject "/usr/bin/coffer is not a regular file" 'rm usr/bin/coffer && mkdir usr/bin/coffer'
case_ "no desktop entry" reject "no desktop entry" 'rm usr/share/applications/Coffer.desktop'
case_ "two desktop entries" reject "more than one desktop entry" 'cp usr/share/applications/Coffer.desktop usr/share/applications/coffer.desktop'
case_ "desktop entry runs another binary" reject "Exec=" 'sed -i "s/^Exec=.*/Exec=coffer-app/" usr/share/applications/Coffer.desktop'
case_ "invalid desktop entry" reject "desktop-file-validate" 'sed -i "/^Type=/d" usr/share/applications/Coffer.desktop'
case_ "an icon size missing" reject "icons for Icon=coffer-desktop missing at: 48x48" 'rm usr/share/icons/hicolor/48x48/apps/coffer-desktop.png'
# shellcheck disable=SC2016 # the mutation is evaluated in the package tree
case_ "icons under another name" reject "icons for Icon=coffer-desktop missing" 'for f in usr/share/icons/hicolor/*/apps/coffer-desktop.png; do mv "$f" "${f%/*}/coffer.png"; done'
case_ "icon of the wrong size" reject "is really 32x32" 'cp usr/share/icons/hicolor/32x32/apps/coffer-desktop.png usr/share/icons/hicolor/64x64/apps/coffer-desktop.png'
case_ "no scalable icon" reject "scalable icon" 'rm usr/share/icons/hicolor/scalable/apps/coffer-desktop.svg'
case_ "no metainfo" reject "no AppStream metainfo" 'rm usr/share/metainfo/io.coffer.Coffer.metainfo.xml'
case_ "metainfo launches a missing desktop file" reject "names desktop-id" 'mv usr/share/applications/Coffer.desktop usr/share/applications/io.coffer.Coffer.desktop'
case_ "invalid metainfo" reject "appstreamcli" 'sed -i "s:<summary>.*</summary>::" usr/share/metainfo/io.coffer.Coffer.metainfo.xml'
case_ "Depends without webkit" reject "libwebkit2gtk-4.1" 'sed -i "s/^Depends:.*/Depends: libdbus-1-3, libgtk-3-0/" DEBIAN/control'
case_ "Depends on the old webkit 4.0" reject "libwebkit2gtk-4.1" 'sed -i "s/libwebkit2gtk-4.1-0/libwebkit2gtk-4.0-37/" DEBIAN/control'
case_ "no Depends at all" reject "libwebkit2gtk-4.1" 'sed -i "/^Depends:/d" DEBIAN/control'
case_ "Depends without libdbus" reject "libdbus-1-3" 'sed -i "s/^Depends: libdbus-1-3, /Depends: /" DEBIAN/control'
case_ "world-writable file" reject "world-writable" 'chmod o+w usr/share/metainfo/io.coffer.Coffer.metainfo.xml'
case_ "world-writable directory" reject "world-writable" 'chmod 0777 usr/share/applications'
case_ "setuid binary" reject "setuid" 'chmod 4755 usr/bin/coffer'

builder=tauri
case_ "tauri-bundler's archive layout (no ./ prefix) is accepted" ok "" true
case_ "tauri-bundler's layout without /usr/bin/coffer" reject "/usr/bin/coffer is missing" 'rm usr/bin/coffer'
case_ "tauri-bundler's layout with a world-writable file" reject "world-writable" 'chmod 0666 usr/share/applications/Coffer.desktop'

# Not a package at all.
n=$((n + 1))
printf 'not a deb\n' >"$work/junk.deb"
if out=$("$inspect" "$work/junk.deb" 2>&1); then
    flunk "a file that is not a package: accepted"
else
    pass "a file that is not a package: rejected: $(grep -m1 FAIL <<<"$out" | sed 's/^FAIL: //')"
fi

echo
echo "test-inspect: $passed passed, $failed failed"
((failed == 0))
