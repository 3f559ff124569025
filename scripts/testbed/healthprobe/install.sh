#!/usr/bin/env bash
# Installs grpc_health_probe, the binary k8ssandra-operator's exec probes run
# in the medusa container (/bin/grpc_health_probe --addr=:50051 [--tls ...]),
# into the test bed cache: built from the Go module proxy at a pinned version,
# statically (CGO_ENABLED=0) so the container image can ship it as is.
# Idempotent: the version is recorded in $CACHE/versions/grpc_health_probe;
# with binary and stamp present a second run takes well under a second.
#
# Usage: scripts/testbed/healthprobe/install.sh
#        Cache: ${MEDUSA_TESTBED_CACHE:-$HOME/.cache/medusa-testbed};
#        the binary is $CACHE/bin/grpc_health_probe.
# Keep the version in sync with internal/testbed/healthprobe.go.
set -euo pipefail

HEALTHPROBE_VERSION=v0.4.63
PKG=github.com/grpc-ecosystem/grpc-health-probe

CACHE=${MEDUSA_TESTBED_CACHE:-$HOME/.cache/medusa-testbed}
BIN=$CACHE/bin/grpc_health_probe
STAMP=$CACHE/versions/grpc_health_probe
mkdir -p "$CACHE/bin" "$CACHE/versions"

if [[ -x $BIN && -f $STAMP && $(cat "$STAMP") == "$HEALTHPROBE_VERSION" ]]; then
	echo "grpc_health_probe $HEALTHPROBE_VERSION: already installed ($BIN)"
	exit 0
fi
t0=$(date +%s)
echo "grpc_health_probe $HEALTHPROBE_VERSION: go install $PKG@$HEALTHPROBE_VERSION ..."
rm -f "$STAMP"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Outside any module, so the project's go.mod plays no part; -X sets the
# version the probe prints with -version (its releases set it the same way).
(cd "$tmp" && GOFLAGS=-buildvcs=false CGO_ENABLED=0 GOBIN="$tmp/bin" \
	go install -trimpath -ldflags "-s -w -X main.versionTag=$HEALTHPROBE_VERSION" "$PKG@$HEALTHPROBE_VERSION")
mv "$tmp/bin/grpc-health-probe" "$BIN"
echo "$HEALTHPROBE_VERSION" >"$STAMP"
echo "grpc_health_probe $HEALTHPROBE_VERSION: installed in $(($(date +%s) - t0)) s ($BIN)"
