#!/usr/bin/env bash
# Regenerates the Go code of Medusa's gRPC contract
# (internal/grpcserver/medusapb/medusa.proto). The generated files are
# committed; run this only after changing the proto (which must stay
# wire-compatible with Python Medusa's).
# Needs protoc (Debian: protobuf-compiler) and the two Go plugins, installed
# here at pinned versions.
set -euo pipefail
cd "$(dirname "$0")/.."
command -v protoc >/dev/null || { echo "gen-proto: protoc not found; install protobuf-compiler" >&2; exit 1; }
bin="$(go env GOPATH)/bin"
GOFLAGS=-mod=mod go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
GOFLAGS=-mod=mod go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
PATH="$bin:$PATH" protoc -I internal/grpcserver/medusapb \
  --go_out=. --go_opt=module=github.com/medusa-go/medusa \
  --go-grpc_out=. --go-grpc_opt=module=github.com/medusa-go/medusa \
  internal/grpcserver/medusapb/medusa.proto
