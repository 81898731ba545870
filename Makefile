# Housecall — build, run, test, benchmark.
# `make run` builds and starts the server in development mode; `make test` runs everything CI runs.

GO        ?= go
BIN       := bin/housecall
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
DATA_DIR  ?= data
FHIR_DEFS := tools/fhir-defs/node_modules/hl7.fhir.r4.examples/package.json
ORACLE    := tools/search-oracle/node_modules/fhirpath/package.json
SMART_E2E := tools/smart-e2e/node_modules/fhirclient/package.json
OYSTEHR   := tools/oystehr-compat/node_modules/@oystehr/sdk/package.json
WEB_E2E   := tools/web-e2e/node_modules/playwright-core/package.json
SDK_DEPS  := sdk/js/node_modules/.package-lock.json
SDK_JS    := sdk/js/dist/housecall.mjs

# Test settings, exported to the test targets only: `housecall serve` rejects
# HOUSECALL_* variables it does not know, so they must not reach `make run`.
# PostgreSQL for the integration tests (trust auth on this machine and in CI).
test test-short: export HOUSECALL_TEST_POSTGRES_URL ?= postgres://postgres@127.0.0.1:5432/test?sslmode=disable
# Tests that need fixtures (FHIR examples, ../shared data, PostgreSQL) fail instead of skipping.
test: export HOUSECALL_REQUIRE_FIXTURES := 1

.PHONY: all build run test test-short vet fmt generate deps bench-fhir clean sdk web web-dev

all: build

build: sdk web
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/housecall

run: build
	./$(BIN) serve --dev --data-dir $(DATA_DIR)

# Official FHIR R4 definitions and examples (CC0) for `go generate` and the example round-trip tests.
$(FHIR_DEFS): tools/fhir-defs/package.json tools/fhir-defs/package-lock.json
	npm ci --prefix tools/fhir-defs --no-audit --no-fund
	@touch $@

# fhirpath.js, the reference FHIRPath implementation, for the search oracle test.
$(ORACLE): tools/search-oracle/package.json tools/search-oracle/package-lock.json
	npm ci --prefix tools/search-oracle --no-audit --no-fund
	@touch $@

# fhirclient (the SMART on FHIR JavaScript client) and playwright-core for the SMART launch test in internal/e2e.
$(SMART_E2E): tools/smart-e2e/package.json tools/smart-e2e/package-lock.json tools/smart-e2e/.npmrc
	npm ci --prefix tools/smart-e2e --no-audit --no-fund
	@touch $@

# @oystehr/sdk from npm for the Telemed API compatibility test in internal/e2e.
$(OYSTEHR): tools/oystehr-compat/package.json tools/oystehr-compat/package-lock.json
	npm ci --prefix tools/oystehr-compat --no-audit --no-fund
	@touch $@

# The JavaScript SDK (sdk/js): esbuild bundles it into one ES module, served at
# /sdk/housecall.mjs, with its type declarations (tsc). dist/ is not committed.
$(SDK_DEPS): sdk/js/package.json sdk/js/package-lock.json
	npm ci --prefix sdk/js --no-audit --no-fund
	@touch $@

$(SDK_JS): $(SDK_DEPS) $(wildcard sdk/js/src/*.ts) sdk/js/build.mjs sdk/js/tsconfig.json
	npm run build --prefix sdk/js

# The server embeds the module (internal/sdkjs) when it is built.
EMBED_SDK := internal/sdkjs/dist/housecall.mjs
$(EMBED_SDK): $(SDK_JS)
	cp $(SDK_JS) $@

sdk: $(EMBED_SDK)

# The web app (web/: Vite + React + MUI). `make web` builds it, writes .br/.gz
# siblings and copies the build to internal/webui/dist, which the server embeds.
# The build output is not committed. `make web-dev` runs Vite for
# `serve --dev --ui-dev-url http://127.0.0.1:5173`.
WEB_DEPS  := web/node_modules/.package-lock.json
WEB_INDEX := internal/webui/dist/index.html.gz
$(WEB_DEPS): web/package.json web/package-lock.json
	npm ci --prefix web --no-audit --no-fund
	@touch $@

$(WEB_INDEX): $(WEB_DEPS) $(SDK_DEPS) $(shell find web/src sdk/js/src -type f 2>/dev/null) web/index.html web/vite.config.ts web/tsconfig.json web/scripts/compress.mjs
	npm run build --prefix web
	find internal/webui/dist -mindepth 1 ! -name placeholder.html -delete
	cp -R web/dist/. internal/webui/dist/
	rm -rf internal/webui/dist/.vite

web: $(WEB_INDEX)

web-dev: $(WEB_DEPS)
	npm run dev --prefix web

# playwright-core for the browser test of a whole visit in the web app (internal/e2e/webapp).
$(WEB_E2E): tools/web-e2e/package.json tools/web-e2e/package-lock.json
	npm ci --prefix tools/web-e2e --no-audit --no-fund
	@touch $@

deps: $(FHIR_DEFS) $(ORACLE) $(SMART_E2E) $(OYSTEHR) $(WEB_E2E)

generate: deps
	$(GO) generate ./internal/fhir/...

vet:
	$(GO) vet ./...
	@test -z "$$(gofmt -l cmd internal tools 2>/dev/null)" || { echo "gofmt needed:"; gofmt -l cmd internal tools; exit 1; }

# Everything: unit, integration (real PostgreSQL), conformance and end-to-end tests, with the race detector.
# The search oracle runs a subset of its queries under -race (pure-Go SQLite is
# slow there) and all of them in a second, race-free run.
test: deps vet sdk web
	$(GO) test -race -count=1 -timeout 20m ./...
	$(GO) test -count=1 -run TestSearchOracle ./internal/fhir/rest/
	npm test --prefix tools/search-oracle
	npm test --prefix sdk/js
	npm test --prefix web
	npm run size --prefix web

# Quick loop while developing: no race detector, cached results.
test-short:
	$(GO) test -short ./...

bench-fhir: deps
	$(GO) run ./tools/benchfhir $(ARGS)

# SFU benchmark: N two-party rooms of synthetic pion clients (VP8 720p24 ~1.5 Mbit/s + Opus),
# server and clients in separate processes pinned to different cores. Prints a table.
.PHONY: bench-media
bench-media:
	$(GO) run ./tools/benchmedia $(ARGS)

clean:
	rm -rf bin
