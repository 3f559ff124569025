#!/usr/bin/env bash
# Installs MinIO, the test bed's second S3 server (one that enforces SSE-C and
# SSE-KMS), into the cache, built from the Go module proxy at a pinned version.
# Idempotent: a binary whose version stamp matches is kept (a second run takes
# well under a second).
#
# Not called by scripts/setup.sh: the build takes about 5.5 minutes on the
# project's 2-core machine (measured; 240 s of CPU), so the tests that need
# MinIO (testbed.MinIOT) run this script themselves when the binary is missing.
#
# Usage: scripts/testbed/minio/install.sh
#        Cache: ${MEDUSA_TESTBED_CACHE:-$HOME/.cache/medusa-testbed}.
# Keep the version in sync with internal/testbed/minio.go (MinIOVersion).
set -euo pipefail

MINIO_VERSION=v0.0.0-20260212201848-7aac2a2c5b7c

CACHE=${MEDUSA_TESTBED_CACHE:-$HOME/.cache/medusa-testbed}
export GOFLAGS=-buildvcs=false
mkdir -p "$CACHE/bin" "$CACHE/versions"
# Test packages run in parallel and may both ask for the build: one builds,
# the other waits and finds it done.
exec 9>"$CACHE/minio.lock"
flock 9

if [[ -x $CACHE/bin/minio && -f $CACHE/versions/minio && $(cat "$CACHE/versions/minio") == "$MINIO_VERSION" ]]; then
	echo "minio $MINIO_VERSION: already installed ($CACHE/bin/minio)"
	exit 0
fi
t0=$(date +%s)
echo "minio $MINIO_VERSION: go install github.com/minio/minio@$MINIO_VERSION ..."
rm -f "$CACHE/versions/minio"
# Outside any module, so the project's go.mod plays no part.
(cd "$CACHE" && GOBIN="$CACHE/bin" go install "github.com/minio/minio@$MINIO_VERSION")
echo "$MINIO_VERSION" >"$CACHE/versions/minio"
echo "minio $MINIO_VERSION: installed in $(($(date +%s) - t0)) s"
