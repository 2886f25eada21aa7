# Grantflow: the two commands are `make run` and `make test`.
GO ?= go
GOTEST_FLAGS ?= -count=1 -timeout 30m

.PHONY: run test bench chaos load fuzz build lint histories clean assets

# govuk-frontend from npm into http/web/assets, which go:embed puts in the binary: its script as built,
# and its styles compiled by Sass from http/web/styles with Arial, as the GDS Transport font (and the
# crown and crest) is licensed only for services on GOV.UK. So no fonts or images are served.
GOVUK_DIST := node_modules/govuk-frontend/dist/govuk
WEB_ASSETS := http/web/assets
GOVUK_SCSS := http/web/styles/grantflow-govuk.scss
SASS_FLAGS := --load-path=node_modules --style=compressed --no-source-map --quiet-deps --silence-deprecation=import

## run: the whole system locally (embedded Temporal, local PostgreSQL, demo data) on :8080
run: assets
	$(GO) build -o bin/grantflow-dev ./cmd/grantflow-dev
	exec ./bin/grantflow-dev

## test: every test, unit and end-to-end, against the real PostgreSQL and an in-process Temporal server
test: assets
	$(GO) vet ./...
	$(GO) test $(GOTEST_FLAGS) ./...

## bench: our throughput against the raw engine, measured in one run (see README "Performance")
bench:
	$(GO) run ./cmd/grantflow-bench $(BENCH_FLAGS)

## chaos: the system as separate processes (Temporal server, front door, two workers, a private PostgreSQL)
## driving CHAOS_GRANTS grassroots grants and CHAOS_SERVICES service awards to closed while workers are
## SIGKILLed and Temporal and PostgreSQL restarted; then the database's invariants (see README "Chaos").
## CHAOS_SEED repeats a run (0: a new seed, printed).
CHAOS_GRANTS ?= 200
CHAOS_SERVICES ?= 20
CHAOS_KILLS ?= 50
CHAOS_SEED ?= 0
CHAOS_FLAGS ?=
chaos:
	$(GO) build -o bin/grantflow-chaos ./cmd/grantflow-chaos
	./bin/grantflow-chaos -grants $(CHAOS_GRANTS) -services $(CHAOS_SERVICES) -kills $(CHAOS_KILLS) -seed $(CHAOS_SEED) $(CHAOS_FLAGS)

## load: LOAD_USERS signed-in officers, assessors and applicants walking their pages for LOAD_DURATION
## against the whole system started in process; prints p50/p95/p99 and errors per page, fails on a 5xx
## (see README "Load"). LOAD_FLAGS passes more (-staff, -think, -drafts, -submitted, -seed).
LOAD_USERS ?= 200
LOAD_DURATION ?= 2m
load:
	$(GO) run ./cmd/grantflow-load -users $(LOAD_USERS) -duration $(LOAD_DURATION) $(LOAD_FLAGS)

## fuzz: each Go fuzz target (func FuzzX) for FUZZTIME, one after another; a crasher stops the run and
## is written under the package's testdata/fuzz/FuzzX/, where `make test` replays it as a seed from then on
FUZZTIME ?= 30s
# how long the fuzzer may spend shrinking each new interesting input (Go's default, 60s, stalls on the
# ~10 KB example scheme files schemefile's target starts from)
FUZZMINIMIZETIME ?= 5s
FUZZ_PACKAGES ?= ./money/ ./publication/ ./publication/threesixtygiving/ ./reporting/ ./payfile/ ./scheme/ ./schemefile/ ./workflows/ ./http/apiv1/ ./letters/ ./http/web/
fuzz:
	@set -e; for pkg in $(FUZZ_PACKAGES); do \
		for target in $$(sed -n 's/^func \(Fuzz[A-Za-z0-9_]*\)(.*/\1/p' $$pkg*_test.go); do \
			echo "== $$pkg $$target"; \
			$(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZETIME) $$pkg; \
		done; \
	done

## build: the production binary, which never links the Temporal server
build: assets
	$(GO) build -o bin/grantflow ./cmd/grantflow

## lint: vet plus Temporal's determinism checker over the workflows
lint:
	$(GO) vet ./...
	$(GO) run go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0 ./workflows/...

## histories: record the workflow histories the replay tests use, from every end-to-end test that calls
## recordHistory (TestHistoriesTargetRunsEveryRecordingTest checks the pattern). Record from the code that
## is running before a versioned change, not after it: re-recorded histories no longer show the old code.
histories:
	GRANTFLOW_RECORD_HISTORIES=1 $(GO) test -count=1 -timeout 30m -run '^(TestGrassroots|TestServiceAward|TestFiveYearAward|TestHistoriesTarget)' ./e2e/

## assets: govuk-frontend's stylesheet (compiled by Sass) and script from npm into http/web/assets (git-ignored)
assets: $(WEB_ASSETS)/govuk/.copied

# Made again only after npm has installed another version or the .scss has changed (the stamp is a
# dot file, which go:embed leaves out), so files never vanish under a build that is embedding them.
# The fonts and images folders that older builds copied are deleted, so they are never embedded.
$(WEB_ASSETS)/govuk/.copied: node_modules/.package-lock.json $(GOVUK_SCSS)
	rm -rf $(WEB_ASSETS)/govuk $(WEB_ASSETS)/fonts $(WEB_ASSETS)/images
	mkdir -p $(WEB_ASSETS)/govuk
	node_modules/.bin/sass $(SASS_FLAGS) $(GOVUK_SCSS) $(WEB_ASSETS)/govuk/govuk-frontend.min.css
	cp $(GOVUK_DIST)/govuk-frontend.min.js $(WEB_ASSETS)/govuk/
	touch $@

# npm ci writes node_modules/.package-lock.json, so this reinstalls only when node_modules is missing
# or older than the lock file (govuk-frontend, sass, and axe-core for the browser tests).
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

clean:
	rm -rf bin .data node_modules $(WEB_ASSETS)/govuk $(WEB_ASSETS)/fonts $(WEB_ASSETS)/images
