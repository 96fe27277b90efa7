# hes: head-end system for DLMS/COSEM smart meters.
GO        ?= go
PKGS      ?= ./...
FUZZTIME  ?= 20s
BIN       ?= bin/hes
STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.8.2

.PHONY: all build test race fuzz bench lint demo clean

all: build

## build: compile the hes binary into bin/
build:
	$(GO) build -o $(BIN) ./cmd/hes

## test: vet and run every test (what CI runs)
test:
	$(GO) vet $(PKGS)
	$(GO) test -count=1 $(PKGS)

## race: run every test with the race detector
race:
	$(GO) test -count=1 -race $(PKGS)

## fuzz: run each fuzz target for FUZZTIME
fuzz:
	@set -e; for pkg in $$($(GO) list $(PKGS)); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "fuzz $$pkg $$f"; \
			$(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg; \
		done; \
	done

## bench: run the benchmarks (figures are kept in BENCHMARKS.md)
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

## lint: formatting, vet and staticcheck
lint:
	@test -z "$$(gofmt -l .)" || { gofmt -l .; echo "gofmt: files above need formatting"; exit 1; }
	$(GO) vet $(PKGS)
	$(GO) run $(STATICCHECK) $(PKGS)

## demo: run a simulated fleet through a week of daily cycles
demo:
	$(GO) run ./cmd/hes demo

clean:
	rm -rf bin
