# Two commands: `make run` and `make test`. Both install what is missing first.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: run test deps lint build app package bench demo screenshots fuzz deny clean

deps:
	@scripts/deps.sh

build: deps
	$(CARGO) build --release -p coffer-cli

# What the release app is made from. `tauri build` itself is never a no-op:
# it rebuilds the UI bundle, and the new bundle's timestamps make cargo
# re-embed it and relink the release binary (74 s on two cores), so `make run`
# asks `tauri build` only when one of these is newer than the stamp of the
# last build. Tests, benches and the e2e suite are not part of the app.
RELEASE_APP := target/release/coffer-desktop
RELEASE_APP_STAMP := target/release/.coffer-desktop.stamp
APP_SOURCES := $(shell find Cargo.toml Cargo.lock \
	crates/coffer-crypto crates/coffer-dotenv crates/coffer-vault \
	src-tauri/Cargo.toml src-tauri/build.rs src-tauri/tauri.conf.json \
	src-tauri/src src-tauri/capabilities src-tauri/permissions packaging/icons \
	ui/src ui/public ui/index.html ui/package.json ui/package-lock.json \
	ui/vite.config.ts ui/svelte.config.js ui/tsconfig.json \
	\( -path '*/tests' -o -path '*/benches' -o -path '*/target' \) -prune -o \
	-type f ! -name '*.test.ts' -print 2>/dev/null)

# The desktop app (release build, UI included), opened on the default vault
# ($XDG_DATA_HOME/coffer/vault.coffer, or COFFER_HOME / COFFER_VAULT): on the
# first run it asks for your identity and creates the vault. Built only when
# something it is made from changed since the last build (a second `make run`
# with nothing changed starts in about a second, not 74 s).
run: deps $(RELEASE_APP_STAMP)
	@if [ -z "$${DISPLAY:-}$${WAYLAND_DISPLAY:-}" ]; then echo "make run: no display (DISPLAY/WAYLAND_DISPLAY unset); the app is at $(RELEASE_APP)" >&2; exit 1; fi
	$(RELEASE_APP)

# The binary itself is a prerequisite too: anything else that rebuilt it
# (`cargo build --release`, `cargo bench`: without the bundled UI) makes it
# newer than the stamp, and a missing binary always rebuilds.
$(RELEASE_APP_STAMP): $(APP_SOURCES) $(if $(wildcard $(RELEASE_APP)),$(RELEASE_APP),FORCE) | deps
	cd src-tauri && ../ui/node_modules/.bin/tauri build --no-bundle --ci
	@touch $@

.PHONY: FORCE
FORCE:

# The debug app the end-to-end test drives.
app: deps
	cd src-tauri && ../ui/node_modules/.bin/tauri build --debug --no-bundle --ci

# The .deb with the app and the `coffer` CLI (packaging/), then its contents checked.
package: deps
	@packaging/package.sh

# A short CLI tour on a throw-away vault; it never touches your real data.
demo: build
	@scripts/demo.sh target/release/coffer

# Re-runs the end-to-end test and keeps its screenshots in docs/screenshots/.
screenshots: app
	$(CARGO) build -p coffer-cli -p coffer-tests --bins
	COFFER_SCREENSHOTS=$(CURDIR)/docs/screenshots scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1600x900x24" npm --prefix ui run --silent test:e2e

lint: deps
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

test: lint
	@scripts/test.sh

# Every cargo-fuzz target for 60 s (FUZZ_SECONDS) from its committed corpus,
# when a nightly toolchain and cargo-fuzz are there; otherwise it says so
# and succeeds. `make test` runs each target's function over its corpus on
# stable either way (crates/coffer-fuzz-targets), and a short pass of this
# when the tools are there.
fuzz:
	@scripts/fuzz.sh

# Dependency hygiene: cargo-deny (deny.toml) and npm audit --omit=dev for the
# UI; the advisory database and npm's audit service are used when they answer
# (CI reaches package registries only) and said to be skipped otherwise.
# Also part of `make test`.
deny: deps
	@scripts/deny.sh

# CLI figures (docs/benchmarks.md; the keychain row needs a Secret Service:
# a private D-Bus session + gnome-keyring), then the desktop app's own
# (docs/benchmarks-app.md: the release app under Xvfb, 10,000 credentials).
bench: build
	@scripts/with-keyring.sh bench/run.sh
	mkdir -p .cache && $(CARGO) bench -q -p coffer-desktop --bench ipc | tee .cache/ipc-bench.txt
	@# After cargo bench, which rebuilds target/release/coffer-desktop without
	@# the bundled UI (a plain cargo build loads the dev server's URL).
	cd src-tauri && ../ui/node_modules/.bin/tauri build --no-bundle --ci
	scripts/with-keyring.sh xvfb-run -a -s "-screen 0 1600x900x24" node bench/app.mjs

clean:
	$(CARGO) clean
	rm -rf .cache tests/interop/node_modules ui/node_modules ui/dist ui/dist-mock
