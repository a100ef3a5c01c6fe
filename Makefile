# The two commands a newcomer needs: make run, make test.
GO ?= go
BIN := bin/docparse
FUZZTIME ?= 20s

.PHONY: run test build deps deps-test vet fuzz bench clean check-deploy screenshot soak

run: deps build ## start Redis if needed, then the API and its workers on :1233
	./scripts/run.sh

test: deps-test vet ## the whole suite against throwaway redis-servers (fuzz targets on their seeds and crashers)
	$(GO) test -count=1 -timeout 15m ./...
	$(MAKE) check-deploy

check-deploy: ## validate deploy/ (systemd-analyze, manifests, nginx -t; a few seconds, Debian packages only)
	bash scripts/check-deploy.sh

screenshot: ## docs/dashboard.png: the dashboard during a 117-page job, in headless Chromium
	DOCPARSE_SCREENSHOT=$(CURDIR)/docs/dashboard.png $(GO) test -count=1 -run TestDashboardScreenshot -v ./e2e/

build:
	$(GO) build -o $(BIN) ./cmd/docparse

deps:
	./scripts/deps.sh
	$(GO) mod download

deps-test:
	./scripts/deps.sh test
	$(GO) mod download

vet:
	$(GO) vet ./...

fuzz: ## explore the upload and PDF-open path for FUZZTIME each; a finding goes to testdata/crashers, not into make test's luck
	$(GO) test -run '^$$' -fuzz FuzzOpen -fuzztime $(FUZZTIME) ./stages/render/
	$(GO) test -run '^$$' -fuzz FuzzUpload -fuzztime $(FUZZTIME) ./http/

soak: ## the fault-injection tests, longer: more jobs, 25 worker kills, 4 Redis restarts (see RELIABILITY.md)
	DOCPARSE_SOAK=1 $(GO) test -count=1 -timeout 30m -v -run 'TestWorkerKills|TestRedisRestart|TestGracefulShutdown|TestOCR|TestCancel|TestPoison|TestBadInput|TestFifty' ./e2e/ >soak.log 2>&1; \
	status=$$?; grep -E '^(--- |PASS|FAIL|ok)|FIGURES|Error Trace|Error:' soak.log; echo "full log: soak.log"; exit $$status

bench: deps-test build ## the issue-5 harness: its own Redis, simulator and processes (BENCHMARKS.md)
	./$(BIN) bench

clean:
	rm -rf bin
