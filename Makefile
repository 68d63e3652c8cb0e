# Switchboard developer tasks. Everything runs against local processes: the
# Temporal CLI's dev server (installed into bin/ from source, pinned below)
# and, for integration tests, PostgreSQL on 127.0.0.1:5432.

# Temporal CLI release whose `server start-dev` runs Temporal locally and in
# tests. To upgrade: change it, `rm bin/temporal`, `make bin/temporal`.
TEMPORAL_VERSION ?= v1.5.1

GO ?= go

.PHONY: dev demo build test bench fmt vet

# Built from source with `go install` because only the Go module proxy is
# guaranteed reachable (no release download). Only runs when bin/temporal is
# missing.
bin/temporal:
	@echo "Installing Temporal CLI $(TEMPORAL_VERSION) into bin/temporal."
	@echo "The first build compiles the whole Temporal server and takes about 5 minutes."
	GOBIN=$(CURDIR)/bin $(GO) install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_VERSION)

# API, worker and a Temporal dev server in one process tree.
dev: bin/temporal
	$(GO) run ./cmd/switchboard dev

# dev plus a built-in sample chat backend and profile endpoint on
# loopback, so the widget on /demo answers with no code of your own.
demo: bin/temporal
	$(GO) run ./cmd/switchboard dev --demo-backend

build:
	$(GO) build -o bin/switchboard ./cmd/switchboard

# -p 1: every integration-test package starts its own Temporal dev server,
# and running several at once on a 2-core machine starves them into
# timeouts.
test: bin/temporal
	$(GO) mod download
	$(GO) vet ./...
	$(GO) test -count=1 -p 1 -timeout 30m ./...

bench: bin/temporal
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./bench/...

fmt:
	gofmt -l -w .

vet:
	$(GO) vet ./...
