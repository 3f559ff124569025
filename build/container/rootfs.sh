#!/usr/bin/env bash
# Lays out the root file system of medusa's container image in OUT, from
# binaries built elsewhere. Shared by the Dockerfile (build stage) and
# scripts/build-image.sh (buildah, from scratch), so both images are alike.
#
# Usage: build/container/rootfs.sh OUT MEDUSA_BIN HEALTH_PROBE_BIN CA_BUNDLE
#
# The image has no shell and no package manager: /bin/medusa (static, its
# container-entrypoint command is the ENTRYPOINT), /bin/grpc_health_probe
# (k8ssandra-operator's exec probes run it), the CA bundle for TLS to
# object stores, and user cassandra (uid/gid 999, as the operator's
# securityContext examples and Medusa's image use). Nothing in it is
# written at run time: the process writes only under /tmp,
# /var/lib/cassandra and /etc/cassandra, which the operator mounts, so the
# image works with readOnlyRootFilesystem.
set -euo pipefail
[[ $# -eq 4 ]] || { sed -n '5p' "$0" >&2; exit 2; }
OUT=$1 MEDUSA=$2 PROBE=$3 CA=$4
for f in "$MEDUSA" "$PROBE" "$CA"; do
	[[ -f $f ]] || { echo "rootfs: $f not found" >&2; exit 1; }
done

rm -rf "$OUT"
mkdir -p "$OUT"/{bin,etc/ssl/certs,etc/medusa,etc/cassandra,home/cassandra,var/lib/cassandra,tmp}
install -m 0755 "$MEDUSA" "$OUT/bin/medusa"
install -m 0755 "$PROBE" "$OUT/bin/grpc_health_probe"
install -m 0644 "$CA" "$OUT/etc/ssl/certs/ca-certificates.crt"
cat >"$OUT/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/sbin/nologin
cassandra:x:999:999:cassandra:/home/cassandra:/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin
PASSWD
cat >"$OUT/etc/group" <<'GROUP'
root:x:0:
cassandra:x:999:
nobody:x:65534:
GROUP
# Go's resolver reads this; without it the order of /etc/hosts and DNS is a guess.
echo 'hosts: files dns' >"$OUT/etc/nsswitch.conf"
chmod 0644 "$OUT"/etc/{passwd,group,nsswitch.conf}
# /tmp works even without the operator's emptyDir (then only on a writable root).
chmod 1777 "$OUT/tmp"
# Mount points; owned by cassandra for runs outside Kubernetes with bind mounts.
chown 999:999 "$OUT"/{home/cassandra,var/lib/cassandra,etc/cassandra,etc/medusa} 2>/dev/null || true
