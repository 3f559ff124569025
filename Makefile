.PHONY: build test test-short demo setup clean bench reliability

GOFLAGS ?= -buildvcs=false
export GOFLAGS
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

build:
	CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o bin/medusa ./cmd/medusa

setup:
	bash scripts/setup.sh

test:
	bash scripts/test.sh

test-short:
	go test -short ./...

demo:
	bash scripts/demo.sh

bench:
	bash bench/run.sh

# Runs the fault suite against the real servers and regenerates its table.
reliability:
	MEDUSA_RELIABILITY_OUT=$(CURDIR)/docs/reliability.md go test -count=1 -p 1 -timeout 25m ./internal/faults/

clean:
	rm -rf bin
