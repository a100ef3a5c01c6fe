# The two commands a newcomer needs: make run, make test.
GO ?= go
BIN := bin/docparse
FUZZTIME ?= 20s

.PHONY: run test build deps vet fuzz bench clean

run: deps build ## start Redis if needed, then the API and its workers on :1233
	./scripts/run.sh

test: deps vet ## the whole suite against throwaway redis-servers
	$(GO) test -count=1 -timeout 15m ./...
	$(MAKE) fuzz

build:
	$(GO) build -o $(BIN) ./cmd/docparse

deps:
	./scripts/deps.sh
	$(GO) mod download

vet:
	$(GO) vet ./...

fuzz: ## the upload and PDF-open path, for a short fixed time
	$(GO) test -run '^$$' -fuzz FuzzOpen -fuzztime $(FUZZTIME) ./stages/render/

bench:
	$(GO) run ./cmd/docparse bench

clean:
	rm -rf bin
