#!/usr/bin/env bash
# The main job: builds medusa, installs the test bed (cached), starts a real
# Cassandra 5.0 node and S3 server on 127.0.0.1 and runs medusa against them.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
bash scripts/setup.sh
make build
go run ./cmd/medusa-demo --medusa bin/medusa "$@"
