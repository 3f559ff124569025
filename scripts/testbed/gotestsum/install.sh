#!/usr/bin/env bash
# Installs gotestsum, which runs `go test` for scripts/test.sh, prints the
# usual per-package lines and failures, keeps the run as JSON and lists
# the slowest tests at the end (so a slow CI run says where its time went).
# Built from the Go module proxy at a pinned version into the test bed
# cache ($CACHE/bin/gotestsum); see ../gotool.sh for the cache.
set -euo pipefail
source "$(dirname "$0")/../gotool.sh"
gotool_install gotestsum v1.13.0 gotest.tools/gotestsum gotestsum ""
