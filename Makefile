# s3commit — developer tasks. `make test` on a fresh machine with only Go
# installs the pinned test servers first.

SHELL     := /bin/bash
GO        ?= go
TOOLS_DIR := $(CURDIR)/.tools/bin
export S3COMMIT_TOOLS_DIR := $(TOOLS_DIR)

# The Go release that builds, tests and lints, also named by the toolchain
# lines of go.mod, bench/go.mod, tools/go.mod and
# multipart/storetest/miniocontainer/go.mod,
# .ci/run and scripts/*.sh.
# A machine that sets GOTOOLCHAIN=local ignores those lines, so every recipe
# runs with GOTOOLCHAIN set to it: the go command fetches that release from
# the module proxy on first use (about 76 MB, into the module cache) and runs
# it instead of the installed one. `make GO_TOOLCHAIN=local` uses the
# installed Go.
GO_TOOLCHAIN := go1.26.11
export GOTOOLCHAIN := $(GO_TOOLCHAIN)

# Pinned servers for the integration tests, installed from the Go module
# proxy with `go install`.
MINIO_MODULE      := github.com/minio/minio
MINIO_VERSION     := v0.0.0-20260212201848-7aac2a2c5b7c
VERSITYGW_MODULE  := github.com/versity/versitygw/cmd/versitygw
VERSITYGW_VERSION := v1.8.0
# The latency-shaping proxy of `make bench BENCH_FLAGS=--latency=20ms` and the
# fault-injecting proxy of the chaos run (internal/chaos, part of `make test`);
# its command is installed as toxiproxy-server.
TOXIPROXY_MODULE  := github.com/Shopify/toxiproxy/v2/cmd/server
TOXIPROXY_VERSION := v2.5.0

# The linter and govulncheck are pinned in tools/go.mod.
STATICCHECK := $(TOOLS_DIR)/staticcheck
GOVULNCHECK := $(TOOLS_DIR)/govulncheck

# govulncheck's database. By default a local copy built from a pinned
# golang.org/x/vulndb, the database's repository served by the module proxy
# as a module, by tools/cmd/vulndbindex into .tools/vulndb, so that
# `make vulncheck` needs no access to vuln.go.dev. The module has no tagged
# versions: `go list -m golang.org/x/vulndb@latest` names the newest
# pseudo-version, and a newer VULNDB_VERSION brings newer reports.
# VULN_DB=https://vuln.go.dev checks against the online database instead,
# where it is reachable.
VULNDB_MODULE  := golang.org/x/vulndb
VULNDB_VERSION := v0.0.0-20261105234957-e22db6528018
VULNDB_DIR     := $(CURDIR)/.tools/vulndb
VULNDB_STAMP   := $(VULNDB_DIR)/.vulndb-$(VULNDB_VERSION)
VULN_DB        ?= file://$(VULNDB_DIR)

# MinIO in Docker through testcontainers-go for users' tests, a module of its
# own so that importing the library does not bring testcontainers-go and the
# Docker client into users' module graphs. Its test of a real container skips
# where no Docker engine runs; the others need none.
MINIOCONTAINER := multipart/storetest/miniocontainer
# The example data job and the README's examples (a module of their own).
EXAMPLES := examples

FUZZTIME ?= 15s
TEST_TIMEOUT ?= 20m

.PHONY: all tools test test-short lint vulncheck fuzz fmt clean help bench bench-full
.PHONY: demo explore

all: lint test

help:
	@echo "make demo    run the example data job on a local MinIO (one task fails, one is killed) and show the result with the CLI;"
	@echo "             make demo STAGING=bucket keeps its staging dir in the bucket instead of a local directory;"
	@echo "             make demo FORMAT=jsonl writes gzip JSON lines instead of Parquet"
	@echo "make tools   install the pinned MinIO, versitygw and staticcheck into .tools/bin"
	@echo "make test    go vet + go test -race in the module, in $(EXAMPLES)/, in bench/ and in $(MINIOCONTAINER)/ (integration tests start MinIO and versitygw)"
	@echo "make lint    gofmt check, go vet, staticcheck and make vulncheck"
	@echo "make vulncheck  govulncheck over the module, $(EXAMPLES)/, bench/ and $(MINIOCONTAINER)/, against a database built offline from a pinned golang.org/x/vulndb (VULN_DB=https://vuln.go.dev for the online one)"
	@echo "make bench   quick benchmark on a local MinIO (a few minutes); results under bench/results/"
	@echo "make bench-full  full-size benchmark (writes several GiB)"
	@echo "make fuzz    run every fuzz target for FUZZTIME ($(FUZZTIME))"
	@echo "make chaos   the chaos run: RUNS jobs as real processes on MinIO and versitygw through toxiproxy, faults from SEED; report under chaos/results/"
	@echo "make explore run the crash-point explorer over the whole matrix on memstore, MinIO and versitygw (hours)"

tools: $(TOOLS_DIR)/.minio-$(MINIO_VERSION) $(TOOLS_DIR)/.versitygw-$(VERSITYGW_VERSION) $(TOOLS_DIR)/.toxiproxy-$(TOXIPROXY_VERSION)

# A stamp file per version re-installs a server when its pin changes.
$(TOOLS_DIR)/.minio-$(MINIO_VERSION):
	@mkdir -p $(TOOLS_DIR)
	@echo "installing $(MINIO_MODULE)@$(MINIO_VERSION) (a few minutes on a fresh machine)"
	GOBIN=$(TOOLS_DIR) $(GO) install $(MINIO_MODULE)@$(MINIO_VERSION)
	@rm -f $(TOOLS_DIR)/.minio-* && touch $@

$(TOOLS_DIR)/.versitygw-$(VERSITYGW_VERSION):
	@mkdir -p $(TOOLS_DIR)
	GOBIN=$(TOOLS_DIR) $(GO) install $(VERSITYGW_MODULE)@$(VERSITYGW_VERSION)
	@rm -f $(TOOLS_DIR)/.versitygw-* && touch $@

$(TOOLS_DIR)/.toxiproxy-$(TOXIPROXY_VERSION):
	@mkdir -p $(TOOLS_DIR)/toxiproxy.tmp
	GOBIN=$(TOOLS_DIR)/toxiproxy.tmp $(GO) install $(TOXIPROXY_MODULE)@$(TOXIPROXY_VERSION)
	mv $(TOOLS_DIR)/toxiproxy.tmp/server $(TOOLS_DIR)/toxiproxy-server && rmdir $(TOOLS_DIR)/toxiproxy.tmp
	@rm -f $(TOOLS_DIR)/.toxiproxy-* && touch $@

$(STATICCHECK): tools/go.mod tools/go.sum
	@mkdir -p $(TOOLS_DIR)
	cd tools && GOBIN=$(TOOLS_DIR) $(GO) install honnef.co/go/tools/cmd/staticcheck

$(GOVULNCHECK): tools/go.mod tools/go.sum
	@mkdir -p $(TOOLS_DIR)
	cd tools && GOBIN=$(TOOLS_DIR) $(GO) install golang.org/x/vuln/cmd/govulncheck

# The local database, rebuilt when VULNDB_VERSION or the generator changes
# (a few seconds, and a 25 MB download on a fresh machine).
$(VULNDB_STAMP): tools/cmd/vulndbindex/main.go
	@echo "building the vulnerability database from $(VULNDB_MODULE)@$(VULNDB_VERSION)"
	cd tools && $(GO) mod download $(VULNDB_MODULE)@$(VULNDB_VERSION)
	rm -rf $(VULNDB_DIR) $(VULNDB_DIR).tmp
	cd tools && $(GO) run ./cmd/vulndbindex -version $(VULNDB_VERSION) -out $(VULNDB_DIR).tmp \
		-osv "$$($(GO) env GOMODCACHE)/$(VULNDB_MODULE)@$(VULNDB_VERSION)/data/osv"
	mv $(VULNDB_DIR).tmp $(VULNDB_DIR) && touch $@

test: tools
	$(GO) vet ./...
	$(GO) test -race -timeout $(TEST_TIMEOUT) ./...
	set -o pipefail; $(GO) test -timeout $(TEST_TIMEOUT) -run '^TestExplore$$' -parallel 4 -v ./staging/ -args -explore.servers sample | grep -Ev '^(=== |    --- PASS|        --- PASS)' 
	cd $(EXAMPLES) && $(GO) vet ./... && $(GO) test -race -timeout $(TEST_TIMEOUT) ./...
	cd bench && $(GO) test -race -timeout $(TEST_TIMEOUT) ./...
	cd tools && $(GO) test ./...
	cd $(MINIOCONTAINER) && $(GO) vet ./... && $(GO) test -race -timeout $(TEST_TIMEOUT) ./...

# The example data job on a MinIO started on loopback, shown with the CLI
# (scripts/demo.sh). Installs the pinned MinIO first, as make test does.
# STAGING=bucket keeps the staging dir in the bucket (s3://demo/_staging)
# instead of a local directory (STAGING=dir). FORMAT=jsonl writes gzip JSON
# lines instead of Parquet (FORMAT=parquet).
STAGING ?= dir
FORMAT ?= parquet
demo: $(TOOLS_DIR)/.minio-$(MINIO_VERSION)
	@GO=$(GO) STAGING=$(STAGING) FORMAT=$(FORMAT) bash scripts/demo.sh

# The crash-point explorer (staging/explore_test.go) over the whole matrix
# on memstore and on the real MinIO and versitygw; make test runs it whole
# on memstore and a sample on the servers. EXPLORE_FLAGS adds its flags,
# e.g. EXPLORE_FLAGS='-explore.config directory/replace'.
EXPLORE_FLAGS ?=
explore: tools
	$(GO) test -timeout 6h -run '^TestExplore$$' -parallel 4 -v ./staging/ -args -explore.servers all $(EXPLORE_FLAGS)

# Unit tests only: no server is started.
test-short:
	$(GO) test -short -race ./...
	cd $(EXAMPLES) && $(GO) test -short -race ./...
	cd $(MINIOCONTAINER) && $(GO) test -short -race ./...

lint: $(STATICCHECK) vulncheck
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi
	@for f in go.mod $(EXAMPLES)/go.mod bench/go.mod tools/go.mod $(MINIOCONTAINER)/go.mod; do grep -qx 'toolchain $(GO_TOOLCHAIN)' $$f || { echo "$$f: no 'toolchain $(GO_TOOLCHAIN)' line, the Makefile's GO_TOOLCHAIN"; exit 1; }; done
	@for f in .ci/run scripts/*.sh; do grep -q '^export GOTOOLCHAIN=$(GO_TOOLCHAIN)$$' $$f || { echo "$$f: no 'export GOTOOLCHAIN=$(GO_TOOLCHAIN)' line, the Makefile's GO_TOOLCHAIN"; exit 1; }; done
	$(GO) vet ./...
	$(STATICCHECK) ./...
	cd $(EXAMPLES) && $(GO) vet ./... && $(STATICCHECK) ./...
	cd bench && $(GO) vet ./... && $(STATICCHECK) ./...
	cd tools && $(GO) vet ./... && $(STATICCHECK) ./...
	cd $(MINIOCONTAINER) && $(GO) vet ./... && $(STATICCHECK) ./...

# Fails (exit status 3) when the code of any of these modules calls a function
# with a known vulnerability, in a module or in the standard library of
# GO_TOOLCHAIN; vulnerabilities only in packages or modules that are
# required but not called are not failures (-show verbose lists them).
# govulncheck runs `go` from PATH, with the GOTOOLCHAIN above.
# Every module is checked before it fails.
vulncheck: $(GOVULNCHECK) $(if $(filter file://$(VULNDB_DIR),$(VULN_DB)),$(VULNDB_STAMP))
	@status=0; for dir in . $(EXAMPLES) bench $(MINIOCONTAINER); do \
		echo "cd $$dir && govulncheck -db $(VULN_DB) ./..."; \
		(cd $$dir && $(GOVULNCHECK) -db $(VULN_DB) ./...) || status=$$?; \
	done; exit $$status

# Benchmarks (bench/ is a module of its own). BENCH_FLAGS adds s3bench
# flags, e.g. BENCH_FLAGS='--workloads small-files'.
BENCH_FLAGS ?=
# Each measurement runs BENCH_REPEAT times; the median by total time is kept.
BENCH_REPEAT ?= 3
BENCH_TOOLS := $(TOOLS_DIR)/.minio-$(MINIO_VERSION) $(TOOLS_DIR)/.toxiproxy-$(TOXIPROXY_VERSION)
bench: $(BENCH_TOOLS)
	cd bench && S3BENCH_MINIO_VERSION=$(MINIO_VERSION) $(GO) run ./cmd/s3bench --mode quick --profile --repeat $(BENCH_REPEAT) $(BENCH_FLAGS)

bench-full: $(BENCH_TOOLS)
	cd bench && S3BENCH_MINIO_VERSION=$(MINIO_VERSION) $(GO) run ./cmd/s3bench --mode full --profile --repeat $(BENCH_REPEAT) $(BENCH_FLAGS)

# The chaos run (internal/chaos): RUNS small jobs, each as real processes of
# the example data job and the s3commit CLI, against MinIO and versitygw
# through toxiproxy, with network faults and SIGKILLs drawn from SEED (0: a
# seed drawn from the clock, printed), stopped after CHAOS_DURATION (0: no
# limit); then checks every job against the store. The report (report.md,
# report.json, the logs of jobs with violations) goes to
# chaos/results/<UTC time>-seed<SEED>/. ONLY=12,40 replays those jobs of
# SEED; SCENARIOS=cut-completion runs only that scenario; TARGETS=minio runs
# on one server. `make test` runs a short run (TestChaosShort).
RUNS           ?= 300
SEED           ?= 0
CHAOS_DURATION ?= 0
ONLY           ?=
SCENARIOS      ?=
TARGETS        ?= minio,versitygw
CHAOS_TIMEOUT  ?= 3h
chaos: tools
	$(GO) test -count=1 -v -timeout $(CHAOS_TIMEOUT) -run 'TestChaos$$' ./internal/chaos \
		-chaos.jobs $(RUNS) -chaos.seed $(SEED) -chaos.duration $(CHAOS_DURATION) \
		-chaos.only '$(ONLY)' -chaos.scenarios '$(SCENARIOS)' -chaos.targets '$(TARGETS)' \
		-chaos.results $(CURDIR)/chaos/results

# Runs each fuzz target of each package for FUZZTIME.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
		for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "fuzzing $$pkg $$target for $(FUZZTIME)"; \
			$(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

fmt:
	gofmt -w $$(git ls-files '*.go')

clean:
	rm -rf .tools
