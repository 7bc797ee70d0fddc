#!/usr/bin/env bash
# A short tour of the coffer CLI on a throw-away vault (used by `make run`
# until the desktop app exists). Nothing outside a temp dir is touched.
set -euo pipefail
coffer=$(realpath "${1:-target/release/coffer}")
demo=$(mktemp -d)
trap 'rm -rf "$demo"' EXIT
export COFFER_HOME="$demo/home" COFFER_PASSPHRASE="demo passphrase"
unset COFFER_VAULT
step() { printf '\n\033[1m$ %s\033[0m\n' "$*"; "$@"; }
# Demo only: KDF at the floor so it runs instantly. Real identities are
# calibrated to >= 0.5 s per unlock.
step "$coffer" identity new --name "Ada Lovelace" --email ada@example.com --kdf-memory 19 --kdf-iterations 2
step "$coffer" init --name Acme
step "$coffer" env add payments/prod --rotate-every 90d
step "$coffer" env add payments/dev
printf 'sk_live_demo_51H8' | step "$coffer" set payments/prod STRIPE_KEY --notes "Stripe live secret key; rotate in the dashboard" --url https://dashboard.stripe.com/apikeys
printf 'postgres://app:s3cret@db:5432/app' | step "$coffer" set payments/prod DATABASE_URL --expires 2027-01-31
step "$coffer" set payments/dev SESSION_SECRET --generate --length 40
step "$coffer" ls
step "$coffer" get payments/prod STRIPE_KEY
step "$coffer" export payments/prod
step "$coffer" run payments/prod -- sh -c 'echo "the app sees DATABASE_URL=${DATABASE_URL%%@*}@…"'
step "$coffer" rotate payments/prod STRIPE_KEY --generate
step "$coffer" history payments/prod STRIPE_KEY
step "$coffer" rotation --all
step "$coffer" audit
step "$coffer" audit verify
printf '\nDemo vault was in %s (now removed). See README.md for the full tour.\n' "$demo"
