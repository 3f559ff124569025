#!/usr/bin/env bash
# The full test run: installs the test bed (cached), then runs every test,
# including those against real Cassandra, S3, fake-gcs-server and Azurite.
# `go test -short ./...` is the fast path without servers.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
bash scripts/setup.sh
go vet ./...
go test -count=1 -p 2 -timeout 25m ./... "$@"
