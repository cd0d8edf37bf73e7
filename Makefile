# mxscope — build, test and check. `make test` is what CI runs (see .ci/run).

GO            ?= go
BIN           := $(CURDIR)/bin
STATICCHECK_VERSION := v0.8.2
VERSION       ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS       := -X main.version=$(VERSION)
FUZZTIME      ?= 50000x
FUZZMINIMIZE  ?= 500x
# Tests that skip for want of a tool (realdns.Require) write a line here;
# `make test` ends by listing them. MXSCOPE_REQUIRE_TOOLS=1 (CI) fails them.
export MXSCOPE_SKIP_LOG ?= $(BIN)/test-skips.txt

.PHONY: all build test unit integration check fmt vet staticcheck race fuzz bench bench-curve bench-faults image clean

all: build

## build: the mxscope binary in ./bin
build:
	$(GO) build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN)/mxscope ./cmd/mxscope

## test: unit tests, then the integration suite (real unbound, nsd, knot on loopback;
## where a tool is missing its tests skip, and test ends by saying so)
test:
	@mkdir -p $(BIN) && rm -f $(MXSCOPE_SKIP_LOG)
	@$(MAKE) --no-print-directory unit integration
	@if [ -s $(MXSCOPE_SKIP_LOG) ]; then \
	  echo; echo "make test: the integration suite did not run in full: tests skipped for want of a tool:"; \
	  sort -u $(MXSCOPE_SKIP_LOG) | sed 's/^/  /'; \
	  echo "(install them, as .ci/run does; MXSCOPE_REQUIRE_TOOLS=1 makes a missing tool fail)"; \
	else echo "make test: unit and integration suites ran; nothing skipped for want of a tool"; fi

unit:
	$(GO) test -count=1 ./...

integration:
	$(GO) test -count=1 -tags integration -run Integration -timeout 30m ./...

## check: formatting, vet, staticcheck (pinned) and the race detector
check: fmt vet staticcheck race

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet:
	$(GO) vet ./...
	$(GO) vet -tags integration ./...

$(BIN)/staticcheck-$(STATICCHECK_VERSION):
	GOBIN=$(BIN) $(GO) install honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK_VERSION)
	mv $(BIN)/staticcheck $@

staticcheck: $(BIN)/staticcheck-$(STATICCHECK_VERSION)
	$(BIN)/staticcheck-$(STATICCHECK_VERSION) ./...
	$(BIN)/staticcheck-$(STATICCHECK_VERSION) -tags integration ./...

race:
	$(GO) test -race -count=1 ./...

## fuzz: run every fuzz target for FUZZTIME executions each (a count: see README "Tests").
## Each new input the fuzzer finds interesting is minimized for FUZZMINIMIZE
## executions, not go test's default 60 seconds: the html report's target is
## slow enough that those minutes, not the executions, made its run last
## 597 s, against go test's 10-minute timeout, which -timeout lifts.
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f"; \
	    $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) -fuzzminimizetime $(FUZZMINIMIZE) -timeout 60m $$pkg; \
	  done; \
	done

BENCHFLAGS ?=
## bench: mxscope against nsd on loopback, 100k synthetic domains (see README, "Speed")
bench: build
	$(GO) run ./cmd/mxbench -mxscope $(BIN)/mxscope -out bench/out $(BENCHFLAGS)

## bench-curve: the cost at 10k, 100k and 1M domains
bench-curve: build
	$(GO) run ./cmd/mxbench -mxscope $(BIN)/mxscope -sizes 10000,100000,1000000 -out bench/out $(BENCHFLAGS)

## image: the mxscope container image (Dockerfile) and the unbound sidecar's
## (deploy/unbound), with docker or podman, whichever is installed
CONTAINER ?= $(shell command -v docker 2>/dev/null || command -v podman 2>/dev/null)
image:
	@if [ -z "$(CONTAINER)" ]; then echo "make image needs docker or podman"; exit 1; fi
	$(CONTAINER) build --build-arg VERSION=$(VERSION) -t mxscope:$(VERSION) -t mxscope:latest .
	$(CONTAINER) build -t mxscope-unbound:latest deploy/unbound

BASELINE_REF ?=
## bench-faults: scans through dead, refusing, silent and lossy resolvers and
## hostile answers, through real unbound and nsd (docs/performance.md, "Faults");
## BASELINE_REF=main also builds that ref and runs it alternated with this tree.
## MXSCOPE_FAULTS=lossy,deadfirst,refusing,silent,fat,manymx picks scenarios,
## MXSCOPE_REPEAT=N repeats each run. The table goes to bench/out/faults.txt.
bench-faults:
	@set -e; base=""; \
	if [ -n "$(BASELINE_REF)" ]; then \
	  dir=$$(mktemp -d); git archive "$(BASELINE_REF)" | tar -x -C "$$dir"; \
	  (cd "$$dir" && $(GO) build -o $(BIN)/mxscope-baseline ./cmd/mxscope); rm -rf "$$dir"; \
	  base=$(BIN)/mxscope-baseline; \
	fi; \
	mkdir -p bench/out; \
	MXSCOPE_BASELINE="$$base" MXSCOPE_BENCH_OUT=$(CURDIR)/bench/out/faults.txt \
	  $(GO) test -count=1 -tags integration -run '^$$' -bench Faults -benchtime 1x -timeout 6h ./cmd/mxscope

clean:
	rm -rf $(BIN)
