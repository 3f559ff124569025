#!/usr/bin/env bash
# Installs Prometheus' node_exporter into the test bed cache
# ($CACHE/bin/node_exporter), built from the Go module proxy at a pinned
# version, for the test in which its textfile collector reads the files
# medusa writes with [monitoring] monitoring_provider = prometheus (the
# first build takes about half a minute). See ../gotool.sh for the cache and
# idempotence. Keep the version in sync with internal/testbed/nodeexporter.go.
set -euo pipefail
source "$(dirname "$0")/../gotool.sh"
NODE_EXPORTER_VERSION=v1.12.1
# -X sets the version node_exporter prints with --version, as its releases do.
gotool_install node_exporter "$NODE_EXPORTER_VERSION" github.com/prometheus/node_exporter \
	node_exporter "-X github.com/prometheus/common/version.Version=${NODE_EXPORTER_VERSION#v}"
