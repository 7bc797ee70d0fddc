#!/usr/bin/env bash
# Makes the dotenvx fixtures with the REAL dotenvx (pinned in package.json,
# BSD-3-Clause): encrypted files, their .env.keys, and what `dotenvx get`
# returns for each (expected.*.json), which the tests compare Coffer with.
# Needs npm; run it only to remake the fixtures (the tests never do).
set -euo pipefail
cd "$(dirname "$0")"
npm ci --no-audit --no-fund >/dev/null
dx=./node_modules/.bin/dotenvx
rm -rf out && mkdir out
cp production.source.env out/.env.production
cp default.source.env out/.env
cp refused.source.env out/.env.refused
(cd out && ../$dx encrypt -f .env.production -f .env -f .env.refused >/dev/null)
# A clean environment: what dotenvx returns must not depend on this machine
# (the refused file's $HOME is the point of that file, not of the others).
(cd out && env -i PATH="$PATH" "../$dx" get -f .env.production >../expected.production.json)
(cd out && env -i PATH="$PATH" "../$dx" get -f .env >../expected.default.json)
mv out/.env.production env.production.encrypted
mv out/.env env.default.encrypted
mv out/.env.refused env.refused.encrypted
# The keys: test keys, made for these fixtures only.
mv out/.env.keys env.keys.fixture
rmdir out
echo "made: env.*.encrypted, env.keys.fixture, expected.*.json"
