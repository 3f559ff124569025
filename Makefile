.PHONY: build test test-short demo setup clean bench reliability image image-smoke

GOFLAGS ?= -buildvcs=false
export GOFLAGS
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
# disable_grpc_modules leaves out the GCS SDK's gRPC-only dependencies (xDS,
# Envoy, SPIFFE): medusa talks to GCS over its JSON API, and the binary is
# about 14 MB smaller. cmd/medusa's TestReleaseBinarySize keeps it that way.
BUILD_TAGS ?= disable_grpc_modules
OUT ?= bin/medusa

build:
	CGO_ENABLED=0 go build -tags "$(BUILD_TAGS)" -trimpath -ldflags "-s -w -X main.version=$(VERSION)" -o $(OUT) ./cmd/medusa

# The container image for k8ssandra-operator (docs/kubernetes.md, Container
# image), assembled with buildah from scratch; not part of the tests.
image:
	bash scripts/build-image.sh

# Runs that image as the operator does (read-only, uid 999, exec probes, mTLS, config change).
image-smoke:
	bash scripts/image-smoke.sh

setup:
	bash scripts/setup.sh

test:
	bash scripts/test.sh

test-short:
	go test -tags "$(BUILD_TAGS)" -short ./...

demo:
	bash scripts/demo.sh

bench:
	bash bench/run.sh

# Runs the fault suite against the real servers and regenerates its table.
reliability:
	MEDUSA_RELIABILITY_OUT=$(CURDIR)/docs/reliability.md go test -count=1 -p 1 -timeout 25m ./internal/faults/

clean:
	rm -rf bin
