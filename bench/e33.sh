# Sourced by bench/age.sh and bench/reads.sh: with $coffer set, makes a
# temporary COFFER_HOME ($work) holding an identity at the KDF floor, a
# vault and the environment app/e33 of 33 random variables (also written
# to $work/e33.env), with the session unlock cache on.
work=$(mktemp -d); trap '"$coffer" lock >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
export COFFER_HOME="$work/home" COFFER_PASSPHRASE="bench passphrase 1234" COFFER_SESSION_MINUTES=10
unset COFFER_VAULT
"$coffer" identity new --name Bench --kdf-memory 19 --kdf-iterations 2 >/dev/null 2>&1
"$coffer" init --name Bench >/dev/null 2>&1
"$coffer" env add app/e33 >/dev/null 2>&1
python3 - "$work/e33.env" <<'PY'
import sys, secrets
with open(sys.argv[1], "w") as f:
    for i in range(33):
        f.write(f"VAR_{i:02d}={secrets.token_urlsafe(24)}\n")
PY
"$coffer" import "$work/e33.env" app/e33 >/dev/null 2>&1
