#!/usr/bin/env bash
# Regenerates every raster icon from packaging/icons/coffer.svg.
#
#   packaging/icons/render.sh          # writes the PNGs, icon.ico and icon.icns next to this script
#
# Needs (Debian): librsvg2-bin (rsvg-convert), icoutils (icotool), icnsutils (png2icns).
# All offline. The outputs are committed, so building the app does not need these tools;
# run this only after editing coffer.svg, then commit the results.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
svg="$here/coffer.svg"

missing=()
for tool in rsvg-convert:librsvg2-bin icotool:icoutils png2icns:icnsutils; do
    command -v "${tool%%:*}" >/dev/null || missing+=("${tool#*:}")
done
if ((${#missing[@]})); then
    echo "render.sh: missing tools; install them with: apt-get install -y ${missing[*]}" >&2
    exit 1
fi

render() { # size output
    rsvg-convert --width "$1" --height "$1" --keep-aspect-ratio --format png "$svg" --output "$2"
}

for size in 16 32 48 64 128 256 512; do
    render "$size" "$here/${size}x${size}.png"
    echo "  ${size}x${size}.png"
done
# Tauri's conventional names: 128x128@2x is the 256 px render, icon.png the 512 px one.
cp "$here/256x256.png" "$here/128x128@2x.png"
cp "$here/512x512.png" "$here/icon.png"
echo "  128x128@2x.png icon.png"

# Windows .ico: the sizes Windows asks for; 256 px is stored as PNG inside the .ico.
icotool --create --output "$here/icon.ico" \
    "$here/16x16.png" "$here/32x32.png" "$here/48x48.png" "$here/64x64.png" \
    "$here/128x128.png" --raw="$here/256x256.png"
echo "  icon.ico"

# macOS .icns: png2icns takes the sizes the format defines (16, 32, 48, 128, 256, 512).
png2icns "$here/icon.icns" \
    "$here/16x16.png" "$here/32x32.png" "$here/48x48.png" \
    "$here/128x128.png" "$here/256x256.png" "$here/512x512.png" >/dev/null
echo "  icon.icns"
