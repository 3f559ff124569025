#!/usr/bin/env bash
# The full test run: installs the test bed (cached), then runs every test,
# including those against real Cassandra, S3, fake-gcs-server and Azurite.
# `go test -short ./...` is the fast path without servers.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
bash scripts/setup.sh
# The tests build what `make build` ships: without the GCS SDK's gRPC-only modules.
go vet -tags disable_grpc_modules ./...
go test -tags disable_grpc_modules -count=1 -p 2 -timeout 25m ./... "$@"
