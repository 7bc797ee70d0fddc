# Two commands: `make run` and `make test`. Both install what is missing first.
SHELL := /bin/bash
CARGO ?= cargo

.PHONY: run test deps lint build bench demo clean

deps:
	@scripts/deps.sh

build: deps
	$(CARGO) build --release -p coffer-cli

# Until the desktop app lands (issue 5), `make run` runs a short CLI demo on a
# throw-away vault; it never touches your real data directory.
run: build
	@scripts/demo.sh target/release/coffer

lint: deps
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

test: lint
	@scripts/test.sh

# The keychain row needs a Secret Service: a private D-Bus session + gnome-keyring.
bench: build
	@scripts/with-keyring.sh bench/run.sh

clean:
	$(CARGO) clean
	rm -rf .cache tests/interop/node_modules
