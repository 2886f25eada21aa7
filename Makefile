# Grantflow: the two commands are `make run` and `make test`.
GO ?= go
GOTEST_FLAGS ?= -count=1 -timeout 30m

.PHONY: run test bench build lint histories clean assets

# govuk-frontend's built files, copied from npm into http/web/assets, which go:embed puts in the binary.
# Its stylesheet asks for /assets/fonts/… and /assets/images/…, so those folders sit beside it there.
GOVUK_DIST := node_modules/govuk-frontend/dist/govuk
WEB_ASSETS := http/web/assets

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
	$(GO) run ./cmd/grantflow-bench

## build: the production binary, which never links the Temporal server
build: assets
	$(GO) build -o bin/grantflow ./cmd/grantflow

## lint: vet plus Temporal's determinism checker over the workflows
lint:
	$(GO) vet ./...
	$(GO) run go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0 ./workflows/...

## histories: re-record the workflow histories the replay tests use (after a versioned workflow change)
histories:
	GRANTFLOW_RECORD_HISTORIES=1 $(GO) test -count=1 -run 'TestGrassroots' ./e2e/

## assets: govuk-frontend's stylesheet, script, fonts and images from npm into http/web/assets (git-ignored)
assets: $(WEB_ASSETS)/govuk/.copied

# Copied again only after npm has installed another version (the stamp is a dot file, which
# go:embed leaves out), so files never vanish under a build that is embedding them.
$(WEB_ASSETS)/govuk/.copied: node_modules/.package-lock.json
	rm -rf $(WEB_ASSETS)/govuk $(WEB_ASSETS)/fonts $(WEB_ASSETS)/images
	mkdir -p $(WEB_ASSETS)/govuk
	cp $(GOVUK_DIST)/govuk-frontend.min.css $(GOVUK_DIST)/govuk-frontend.min.js $(WEB_ASSETS)/govuk/
	cp -R $(GOVUK_DIST)/assets/fonts $(GOVUK_DIST)/assets/images $(WEB_ASSETS)/
	touch $@

# npm ci writes node_modules/.package-lock.json, so this reinstalls only when node_modules is missing
# or older than the lock file (govuk-frontend, and axe-core for the browser tests).
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund
	touch $@

clean:
	rm -rf bin .data
