#!/usr/bin/env bash
# Builds medusa's container image without any base image (no registry
# needed beyond the Go module proxy): the binaries are built on this host,
# laid out by build/container/rootfs.sh and assembled with buildah from
# scratch. Same content and config as build/container/Dockerfile.
#
# Usage: scripts/build-image.sh            (or: make image)
# Env:   VERSION  image tag and medusa --version (default: git describe)
#        IMAGE    image name (default: localhost/medusa)
#        OUT      OCI archive written (default: bin/medusa-image.oci.tar)
#        BUILDAH_STORAGE_DRIVER (default vfs), BUILDAH_ISOLATION (default chroot):
#                 what works inside an unprivileged container.
# Needs: go, buildah (Debian: apt-get install buildah), the CA bundle
#        /etc/ssl/certs/ca-certificates.crt (Debian: ca-certificates).
# The image also lands in buildah's local storage as $IMAGE:$VERSION, for
# podman run --storage-driver vfs.
set -euo pipefail
cd "$(dirname "$0")/.."

VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
IMAGE=${IMAGE:-localhost/medusa}
OUT=${OUT:-bin/medusa-image.oci.tar}
CA=${CA_BUNDLE:-/etc/ssl/certs/ca-certificates.crt}
DRIVER=${BUILDAH_STORAGE_DRIVER:-vfs}
export BUILDAH_ISOLATION=${BUILDAH_ISOLATION:-chroot}
export GOFLAGS=${GOFLAGS:--buildvcs=false}
type -P buildah >/dev/null || { echo "build-image: buildah is required (apt-get install buildah)" >&2; exit 1; }
command -v go >/dev/null || { echo "build-image: go is required" >&2; exit 1; }

work=$(mktemp -d)
ctr=""
cleanup() {
	[[ -z $ctr ]] || buildah rm "$ctr" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
buildah() { command buildah --storage-driver "$DRIVER" "$@"; }

echo "build-image: medusa $VERSION (static, -tags disable_grpc_modules)"
CGO_ENABLED=0 go build -tags disable_grpc_modules -trimpath -ldflags "-s -w -X main.version=$VERSION" \
	-o "$work/medusa" ./cmd/medusa
echo "build-image: grpc_health_probe (scripts/testbed/healthprobe/install.sh, cached)"
bash scripts/testbed/healthprobe/install.sh
PROBE=${MEDUSA_TESTBED_CACHE:-$HOME/.cache/medusa-testbed}/bin/grpc_health_probe

bash build/container/rootfs.sh "$work/rootfs" "$work/medusa" "$PROBE" "$CA"

ctr=$(buildah from scratch)
buildah copy --quiet "$ctr" "$work/rootfs/" /
buildah config \
	--env HOME=/home/cassandra --env TMPDIR=/tmp \
	--workingdir /home/cassandra \
	--user 999:999 \
	--entrypoint '["/bin/medusa", "container-entrypoint"]' \
	--cmd '' \
	--port 50051/tcp \
	--label org.opencontainers.image.title=medusa \
	--label org.opencontainers.image.description="Backup and restore for Apache Cassandra, k8ssandra-operator sidecar" \
	--label org.opencontainers.image.version="$VERSION" \
	"$ctr"
buildah commit --quiet --format oci "$ctr" "$IMAGE:$VERSION" >/dev/null
mkdir -p "$(dirname "$OUT")"
rm -f "$OUT"
buildah push --quiet "$IMAGE:$VERSION" "oci-archive:$OUT:$IMAGE:$VERSION"
echo "build-image: $IMAGE:$VERSION in buildah's storage ($DRIVER) and $OUT ($(du -h "$OUT" | cut -f1))"
