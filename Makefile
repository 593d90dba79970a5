# Timesheets: `make run` starts the product, `make test` runs every test.
# Both install whatever is missing first (scripts/setup.sh) and are quick when it is there.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

# Builds live outside the clone so fresh clones (CI) reuse them.
export CARGO_TARGET_DIR ?= $(HOME)/.cache/timesheets/target
export TIMESHEETS_TOOLS ?= $(HOME)/.cache/timesheets/tools
export PATH := $(TIMESHEETS_TOOLS)/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
# Two cores: one rustc job per core and no more.
export CARGO_BUILD_JOBS ?= 2

BIN := $(CARGO_TARGET_DIR)/release/timesheets
SITE := $(CURDIR)/target/site

.PHONY: help run test setup setup-test build lint fmt test-rust e2e bench reliability scale fuzz lighthouse clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

run: build ## Build and start on http://127.0.0.1:3000 (SQLite in data/, embedded sign-in, demo company)
	LEPTOS_SITE_ROOT=$(SITE) DEMO=$${DEMO:-true} $(BIN) serve

test: setup-test lint test-rust e2e ## Every check: fmt, clippy (ssr + hydrate), Rust tests on SQLite and PostgreSQL, Playwright

setup: ## Install the build tools that are missing
	@scripts/setup.sh build

setup-test: ## Install the build and test tools that are missing
	@scripts/setup.sh test

build: setup $(SITE)/.built ## Release build of the server and the WASM bundle (cargo-leptos)

# cargo-leptos makes the JS and WASM again on every run (wasm-bindgen, wasm-opt: ~100 s on
# 2 cores) even when nothing changed: build when a source is newer than this clone's last
# build, or when the binary was rebuilt elsewhere (another checkout shares the target dir).
BUILD_INPUTS := $(wildcard $(shell git ls-files app server style public Cargo.toml Cargo.lock .cargo 2>/dev/null || find app server style public -type f))
$(SITE)/.built: $(BUILD_INPUTS) $(wildcard $(BIN))
	cargo leptos build --release --precompress --split
	touch $@

lint: ## cargo fmt --check and clippy -D warnings for both feature sets
	cargo fmt --all -- --check
	scripts/import-cycles.py app/src server/src server/db/src server/provider/src
	cargo clippy -p server -p db -p dpop -p provider --all-targets -- -D warnings
	cargo clippy -p app --features ssr --all-targets -- -D warnings
	cargo clippy -p app --features hydrate --target wasm32-unknown-unknown --all-targets -- -D warnings

fmt: ## Format the code
	cargo fmt --all

test-rust: ## Rust unit and integration tests on SQLite and on PostgreSQL
	scripts/test-rust.sh

e2e: build ## Playwright on a phone profile in Debian's Chromium, against the release build
	TIMESHEETS_BIN=$(BIN) LEPTOS_SITE_ROOT=$(SITE) scripts/e2e.sh

bench: build ## Benchmarks of a release server (wrk; SQLite, and PostgreSQL when reachable)
	@scripts/setup.sh bench
	TIMESHEETS_BIN=$(BIN) LEPTOS_SITE_ROOT=$(SITE) python3 bench/run.py

reliability: build ## Load without loss, kill -9 under write load, PostgreSQL restart; then make scale
	TIMESHEETS_BIN=$(BIN) LEPTOS_SITE_ROOT=$(SITE) python3 bench/reliability.py
	$(MAKE) --no-print-directory scale

scale: build ## Two release servers behind nginx on one PostgreSQL: sign-ins, kill -9 under load, key rotation
	@scripts/setup.sh scale
	BENCH_POSTGRES_URL=$$(scripts/postgres.sh) TIMESHEETS_BIN=$(BIN) LEPTOS_SITE_ROOT=$(SITE) python3 bench/scale.py

fuzz: build ## schemathesis against /api/openapi.json as employee, manager and batch client
	@scripts/setup.sh bench
	SCHEMATHESIS=$(TIMESHEETS_TOOLS)/venv/bin/st TIMESHEETS_BIN=$(BIN) LEPTOS_SITE_ROOT=$(SITE) python3 bench/fuzz.py

lighthouse: build ## Lighthouse mobile run (performance, accessibility, best practices) against a release server
	@scripts/setup.sh test
	TIMESHEETS_BIN=$(BIN) LEPTOS_SITE_ROOT=$(SITE) scripts/lighthouse.sh

clean: ## Remove build output (the cargo target dir outside the clone included)
	rm -rf target "$(CARGO_TARGET_DIR)"
