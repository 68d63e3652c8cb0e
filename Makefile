# Switchboard developer tasks. Everything runs against local processes: the
# Temporal CLI's dev server (installed into bin/ from source, pinned below)
# and, for integration tests, PostgreSQL on 127.0.0.1:5432.

# Temporal CLI release whose `server start-dev` runs Temporal locally and in
# tests. To upgrade: change it, `rm bin/temporal`, `make bin/temporal`.
TEMPORAL_VERSION ?= v1.5.1

# Temporal server release for the production-server benchmark (`make
# bench-production`): the version docker-compose.yml pins and the one
# embedded in the CLI above. To upgrade: change it with the compose images,
# `rm bin/temporal-server bin/temporal-sql-tool`, and rebuild.
TEMPORAL_SERVER_VERSION ?= v1.29.1

GO ?= go

.PHONY: dev demo build test bench bench-production fmt vet

# Built from source with `go install` because only the Go module proxy is
# guaranteed reachable (no release download). Only runs when bin/temporal is
# missing.
bin/temporal:
	@echo "Installing Temporal CLI $(TEMPORAL_VERSION) into bin/temporal."
	@echo "The first build compiles the whole Temporal server and takes about 5 minutes."
	GOBIN=$(CURDIR)/bin $(GO) install github.com/temporalio/cli/cmd/temporal@$(TEMPORAL_VERSION)

# The production Temporal server (temporalio/server's binary) and its
# schema tool (temporalio/admin-tools' temporal-sql-tool), built from the
# module proxy like bin/temporal. `go install` names a binary after its
# package directory (server, sql), so each is installed into a temporary
# GOBIN and moved to the name the images use. Only run when missing.
bin/temporal-server:
	@echo "Installing Temporal server $(TEMPORAL_SERVER_VERSION) into bin/temporal-server (several minutes, once)."
	@mkdir -p $(CURDIR)/bin
	@tmp=$$(mktemp -d) && \
	GOBIN=$$tmp $(GO) install go.temporal.io/server/cmd/server@$(TEMPORAL_SERVER_VERSION) && \
	mv $$tmp/server $(CURDIR)/bin/temporal-server && rm -rf $$tmp

bin/temporal-sql-tool:
	@echo "Installing temporal-sql-tool $(TEMPORAL_SERVER_VERSION) into bin/temporal-sql-tool."
	@mkdir -p $(CURDIR)/bin
	@tmp=$$(mktemp -d) && \
	GOBIN=$$tmp $(GO) install go.temporal.io/server/cmd/tools/sql@$(TEMPORAL_SERVER_VERSION) && \
	mv $$tmp/sql $(CURDIR)/bin/temporal-sql-tool && rm -rf $$tmp

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

# The benchmarks on the production Temporal server (1.29 on PostgreSQL,
# the engine users scale out on) instead of the dev server: testenv
# creates two fresh databases on 127.0.0.1:5432, migrates them with
# bin/temporal-sql-tool and starts bin/temporal-server (bin/temporal
# creates the namespace and search attributes). BENCH selects the
# benchmarks, e.g. `make bench-production BENCH=.` for all of them.
BENCH ?= Deliveries
bench-production: bin/temporal bin/temporal-server bin/temporal-sql-tool
	BENCH_TEMPORAL=production $(GO) test -run '^$$' -bench '$(BENCH)' -benchtime 1x -timeout 60m ./bench/...

fmt:
	gofmt -l -w .

vet:
	$(GO) vet ./...
