#!/usr/bin/env bash
# The full test run: installs the test bed (cached), then runs every test,
# including those against real Cassandra, S3, fake-gcs-server and Azurite.
# `go test -short ./...` is the fast path without servers.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
bash scripts/setup.sh
# MinIO (the S3 server that enforces SSE-C and SSE-KMS) takes minutes to
# build on a fresh machine: build it in the background while the other tests
# run; the tests that need it wait for this build (the script holds a lock).
minio_log=$(mktemp)
bash scripts/testbed/minio/install.sh >"$minio_log" 2>&1 &
minio_build=$!
# The tests build what `make build` ships: without the GCS SDK's gRPC-only modules.
go vet -tags disable_grpc_modules ./...
rc=0
# gotestsum runs go test with the same flags and prints what go test would;
# it also keeps the run as JSON, from which the slowest tests are listed.
gotestsum=${MEDUSA_TESTBED_CACHE:-$HOME/.cache/medusa-testbed}/bin/gotestsum
json=$(mktemp)
"$gotestsum" --format standard-quiet --jsonfile "$json" -- \
	-tags disable_grpc_modules -count=1 -p 2 -timeout 30m ./... "$@" || rc=$?
echo "slowest tests (60 s and more):"
"$gotestsum" tool slowest --jsonfile "$json" --threshold 60s || true
rm -f "$json"
if ! wait "$minio_build"; then
	echo "MinIO build failed (the SSE tests say why):" >&2
	tail -5 "$minio_log" >&2
fi
rm -f "$minio_log"
exit "$rc"
