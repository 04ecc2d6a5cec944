# Till: two commands on a fresh Debian 12 machine.
#   make run    install what is missing, build the UI, start a local till-server and the app with demo data
#   make test   install what is missing, then run every test (UI, Rust, IPC, crash, end to end)
# Installing on a till PC: make package (docs/install.md).

CARGO ?= cargo
NPM ?= npm

.PHONY: run test deps test-deps ui ui-test rust-test lint bindings bench db-check clean package package-test

# scripts/run-demo.sh starts a local till-server on 127.0.0.1:8787 (data in .run/) with a demo
# terminal, points the app at it (TILL_SYNC_*), and stops the server when the app exits.
run: deps ui
	CARGO="$(CARGO)" scripts/run-demo.sh

test: test-deps ui ui-test rust-test

deps:
	@scripts/install-deps.sh

test-deps:
	@scripts/install-deps.sh --with-test-tools

ui/node_modules/.package-lock.json: ui/package-lock.json
	cd ui && $(NPM) ci --no-audit --no-fund

ui: ui/node_modules/.package-lock.json
	cd ui && $(NPM) run build

ui-test: ui/node_modules/.package-lock.json
	cd ui && $(NPM) run check && $(NPM) test

# The end-to-end test drives the real window, so the whole suite runs under a virtual display;
# till-server's PostgreSQL tests use a throw-away cluster (scripts/with-postgres.sh).
rust-test:
	xvfb-run -a -s "-screen 0 1280x1024x24" scripts/with-postgres.sh $(CARGO) test --workspace

lint: ui
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

# Regenerate ui/src/lib/bindings from the Rust types after changing one.
bindings:
	UPDATE_BINDINGS=1 $(CARGO) test -p till-pos --test bindings

# The Debian packages `till` and `till-server` into dist/ (scripts/package.sh, docs/install.md).
# PACKAGE_FLAGS=--debug packages debug builds instead of release builds (what CI does).
package: deps ui
	CARGO="$(CARGO)" scripts/package.sh $(PACKAGE_FLAGS)

# Builds both packages, installs them (dpkg -i, as root), checks that the app opens and the
# server answers, and removes them again (scripts/package-test.sh).
package-test: test-deps ui
	CARGO="$(CARGO)" scripts/package-test.sh $(PACKAGE_FLAGS)

bench:
	$(CARGO) run --release -p tillctl -- bench

db-check:
	$(CARGO) run -p tillctl -- db check --data-dir "$${TILL_DATA_DIR:-$$HOME/.local/share/till}"

clean:
	$(CARGO) clean
	rm -rf ui/dist ui/node_modules dist
