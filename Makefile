# PULSE Desk. Quick start on a fresh Debian machine: `make run` and `make test`.
# Every go command carries the sqlite_fts5 tag; built binaries also migrated_fynedo.

SHELL := /bin/bash
GO ?= go
TAGS := sqlite_fts5
BINTAGS := sqlite_fts5,migrated_fynedo
BIN := bin
# Debian packages: building Fyne (X11/GL headers), and what the tests use.
APT_BUILD := gcc pkg-config libgl1-mesa-dev libxcursor-dev libxrandr-dev libxinerama-dev libxi-dev libxxf86vm-dev
APT_TEST := xvfb imagemagick xdotool libheif-examples mupdf-tools poppler-utils qpdf libtiff-tools nlohmann-json3-dev libstb-dev
# The real Ollama server used by the integration tests, built once into a cache outside the repo.
OLLAMA_VERSION := 0.17.4
PULSEDESK_CACHE ?= $(HOME)/.cache/pulsedesk
OLLAMA_BIN := $(PULSEDESK_CACHE)/ollama-$(OLLAMA_VERSION)/ollama
export PULSEDESK_OLLAMA_BIN := $(OLLAMA_BIN)

.PHONY: all run build test test-unit test-geometry fuzz vet fmt-check deps deps-build deps-test ollama bench screenshots package clean

all: build

# --- system packages (idempotent: only what is missing is installed) ---
deps-build:
	@bash .ci/apt-install $(APT_BUILD)
deps-test: deps-build
	@bash .ci/apt-install $(APT_TEST)
deps: deps-test

# --- build and run ---
build: deps-build
	$(GO) build -tags $(BINTAGS) -o $(BIN)/pulsedesk ./cmd/pulsedesk
	$(GO) build -tags $(BINTAGS) -o $(BIN)/pulsectl ./cmd/pulsectl

run: build
	./$(BIN)/pulsedesk $(ARGS)

# --- the real Ollama server for integration tests ---
ollama: deps-test
	@bash .ci/build-ollama $(OLLAMA_VERSION) $(OLLAMA_BIN)

# --- tests ---
fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

vet: deps-build
	$(GO) vet -tags $(TAGS) ./...

test-unit: deps-test ollama
	$(GO) test -tags $(TAGS) -race -count=1 -timeout 25m ./...

# The geometry accuracy sweep (seeded subset), without the race detector to keep CI short.
test-geometry: deps-test
	$(GO) test -tags $(TAGS) -count=1 -timeout 15m -run 'Accuracy' ./viewer/...

# Short, time-boxed fuzzing of the document openers (the seed corpus runs in test-unit).
fuzz: deps-test
	@bash .ci/fuzz-short

test: fmt-check vet test-unit test-geometry fuzz

bench: deps-test ollama
	$(GO) test -tags $(TAGS) -run '^$$' -bench . -benchmem -count=1 -timeout 60m ./...

# --- screenshots of the real app under Xvfb, into docs/ ---
screenshots: build deps-test
	@bash .ci/screenshots

# --- a Linux bundle with the fyne tool ---
package: deps-build
	@command -v fyne >/dev/null 2>&1 || $(GO) install fyne.io/tools/cmd/fyne@v1.7.0
	@# fyne reads FyneApp.toml beside the sources: lend it the one at the root
	cp FyneApp.toml cmd/pulsedesk/FyneApp.toml
	cd cmd/pulsedesk && PATH="$$PATH:$$($(GO) env GOPATH)/bin" fyne package --os linux --tags $(BINTAGS) --icon ../../assets/icon.png --release; \
		rc=$$?; rm -f FyneApp.toml; exit $$rc
	mkdir -p $(BIN) && mv cmd/pulsedesk/*.tar.xz $(BIN)/
	@ls -l $(BIN)/*.tar.xz

clean:
	rm -rf $(BIN)
