#!/usr/bin/env bash
# Installs grpc_health_probe, the binary k8ssandra-operator's exec probes run
# in the medusa container (/bin/grpc_health_probe --addr=:50051 [--tls ...]),
# into the test bed cache ($CACHE/bin/grpc_health_probe): built from the Go
# module proxy at a pinned version, statically, so the container image can
# ship it as is. See ../gotool.sh for the cache and idempotence.
# Keep the version in sync with internal/testbed/healthprobe.go.
set -euo pipefail
source "$(dirname "$0")/../gotool.sh"
HEALTHPROBE_VERSION=v0.4.63
# -X sets the version the probe prints with -version, as its releases do.
gotool_install grpc_health_probe "$HEALTHPROBE_VERSION" github.com/grpc-ecosystem/grpc-health-probe \
	grpc-health-probe "-X main.versionTag=$HEALTHPROBE_VERSION"
