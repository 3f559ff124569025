#!/usr/bin/env bash
# Installs Prometheus' node_exporter into the test bed cache, built from the
# Go module proxy at a pinned version, for the test in which its textfile
# collector reads the files medusa writes with [monitoring]
# monitoring_provider = prometheus. Idempotent: the version is recorded in
# $CACHE/versions/node_exporter; with binary and stamp present a second run
# takes well under a second (the first build takes about half a minute).
#
# Usage: scripts/testbed/node-exporter/install.sh
#        Cache: ${MEDUSA_TESTBED_CACHE:-$HOME/.cache/medusa-testbed};
#        the binary is $CACHE/bin/node_exporter.
# Keep the version in sync with internal/testbed/nodeexporter.go.
set -euo pipefail

NODE_EXPORTER_VERSION=v1.12.1
PKG=github.com/prometheus/node_exporter

CACHE=${MEDUSA_TESTBED_CACHE:-$HOME/.cache/medusa-testbed}
BIN=$CACHE/bin/node_exporter
STAMP=$CACHE/versions/node_exporter
mkdir -p "$CACHE/bin" "$CACHE/versions"

if [[ -x $BIN && -f $STAMP && $(cat "$STAMP") == "$NODE_EXPORTER_VERSION" ]]; then
	echo "node_exporter $NODE_EXPORTER_VERSION: already installed ($BIN)"
	exit 0
fi
t0=$(date +%s)
echo "node_exporter $NODE_EXPORTER_VERSION: go install $PKG@$NODE_EXPORTER_VERSION ..."
rm -f "$STAMP"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# Outside any module, so the project's go.mod plays no part; -X sets the
# version node_exporter prints with --version (its releases set it the same way).
(cd "$tmp" && GOFLAGS=-buildvcs=false CGO_ENABLED=0 GOBIN="$tmp/bin" \
	go install -trimpath -ldflags "-s -w -X github.com/prometheus/common/version.Version=${NODE_EXPORTER_VERSION#v}" \
	"$PKG@$NODE_EXPORTER_VERSION")
mv "$tmp/bin/node_exporter" "$BIN"
echo "$NODE_EXPORTER_VERSION" >"$STAMP"
echo "node_exporter $NODE_EXPORTER_VERSION: installed in $(($(date +%s) - t0)) s ($BIN)"
