# Grantflow: the two commands are `make run` and `make test`.
GO ?= go
GOTEST_FLAGS ?= -count=1 -timeout 30m

.PHONY: run test bench build lint histories clean

## run: the whole system locally (embedded Temporal, local PostgreSQL, demo data) on :8080
run:
	$(GO) build -o bin/grantflow-dev ./cmd/grantflow-dev
	exec ./bin/grantflow-dev

## test: every test, unit and end-to-end, against the real PostgreSQL and an in-process Temporal server
test:
	$(GO) vet ./...
	$(GO) test $(GOTEST_FLAGS) ./...

## bench: our throughput against the raw engine, measured in one run (see README "Performance")
bench:
	$(GO) run ./cmd/grantflow-bench

## build: the production binary, which never links the Temporal server
build:
	$(GO) build -o bin/grantflow ./cmd/grantflow

## lint: vet plus Temporal's determinism checker over the workflows
lint:
	$(GO) vet ./...
	$(GO) run go.temporal.io/sdk/contrib/tools/workflowcheck@v0.6.0 ./workflows/...

## histories: re-record the workflow histories the replay tests use (after a versioned workflow change)
histories:
	GRANTFLOW_RECORD_HISTORIES=1 $(GO) test -count=1 -run 'TestGrassroots' ./e2e/

clean:
	rm -rf bin .data
