#!/usr/bin/env bash
# Runs medusa's container image the way k8ssandra-operator runs its medusa
# sidecar and checks it with the operator's own exec probes:
#   1. plaintext: read-only root file system, uid 999, MEDUSA_MODE=GRPC,
#      `grpc_health_probe --addr=:PORT` executed inside the container;
#   2. mutual TLS: [grpc] ca_cert/tls_cert/tls_key under
#      /etc/certificates/grpc-server-certs, the probe with --tls and the
#      server's own certificate as client certificate; without a client
#      certificate the probe must fail;
#   3. medusa.ini rewritten (as the operator rewrites its ConfigMap): the
#      container exits 0 within 15 s, so kubelet restarts it.
# Needs podman and openssl. Not part of the tests.
#
# Usage: scripts/image-smoke.sh [IMAGE]   (default localhost/medusa:$(git describe ...),
#                                          what scripts/build-image.sh builds)
# Env:   PODMAN           podman command (default: vfs storage, runc, cgroupfs,
#                         which also work inside an unprivileged container)
#        PODMAN_RUN_ARGS  extra run flags (default: ulimits at or below the
#                         current ones, for hosts without CAP_SYS_RESOURCE)
#        PORT             gRPC port (default 50051; host network)
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGE=${1:-localhost/medusa:$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
read -r -a P <<<"${PODMAN:-podman --storage-driver vfs --runtime runc --cgroup-manager cgroupfs}"
read -r -a RUNARGS <<<"${PODMAN_RUN_ARGS:---ulimit nofile=$(ulimit -Hn):$(ulimit -Hn) --ulimit nproc=1024:1024}"
PORT=${PORT:-50051}
NAME=medusa-smoke-$$
work=$(mktemp -d)
cleanup() {
	"${P[@]}" rm -f "$NAME" >/dev/null 2>&1 || true
	rm -rf "$work"
}
trap cleanup EXIT
fail() {
	echo "image-smoke: FAIL: $*" >&2
	"${P[@]}" logs "$NAME" 2>&1 | tail -20 >&2 || true
	exit 1
}

# A medusa.ini shaped like the operator's (indented, k8s mode), local storage.
mkdir -p "$work"/{etc-medusa,certs,data}
chmod 0777 "$work/data"
ini() { # [tls]
	{
		echo
		printf '    %s\n' "[cassandra]" "use_sudo = false" "[storage]" "storage_provider = local" \
			"bucket_name = smoke" "base_path = /var/lib/cassandra" "prefix = smoke" \
			"[grpc]" "enabled = 1" "port = $PORT"
		if [[ ${1:-} == tls ]]; then
			printf '    %s\n' "ca_cert = /etc/certificates/grpc-server-certs/ca.crt" \
				"tls_cert = /etc/certificates/grpc-server-certs/tls.crt" \
				"tls_key = /etc/certificates/grpc-server-certs/tls.key"
		fi
		printf '    %s\n' "[logging]" "level = DEBUG" "[kubernetes]" "use_mgmt_api = 1" "enabled = 1" \
			"cassandra_url = http://127.0.0.1:8080/api/v0/ops/node/snapshots"
	} >"$work/etc-medusa/medusa.ini"
}

# Certificates like the operator's e2e fixture: server cert for localhost,
# 127.0.0.1 and ::1, no extended key usage (it is also the probe's client cert).
(
	cd "$work/certs"
	openssl req -x509 -newkey rsa:2048 -nodes -keyout ca.key -out ca.crt -days 1 -subj /CN=smoke-ca 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -keyout tls.key -out tls.csr -subj /CN=medusa-server 2>/dev/null
	printf 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1\n' >ext.cnf
	openssl x509 -req -in tls.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -extfile ext.cnf -out tls.crt 2>/dev/null
	rm -f ca.key tls.csr ext.cnf ca.srl
	chmod 0644 ./*
)

start() {
	"${P[@]}" rm -f "$NAME" >/dev/null 2>&1 || true
	"${P[@]}" run -d --name "$NAME" --network host --read-only --user 999 --cap-drop ALL "${RUNARGS[@]}" \
		-e MEDUSA_MODE=GRPC -e MEDUSA_TMP_DIR=/var/lib/cassandra -e POD_NAME=smoke-dc1-default-sts-0 \
		-v "$work/etc-medusa:/etc/medusa:ro" -v "$work/certs:/etc/certificates/grpc-server-certs:ro" \
		-v "$work/data:/var/lib/cassandra" --tmpfs /tmp "$IMAGE" >/dev/null
}
probe() { "${P[@]}" exec "$NAME" /bin/grpc_health_probe --addr=":$PORT" "$@"; }
wait_serving() { # probe args...
	for _ in $(seq 1 30); do
		if probe "$@" >/dev/null 2>&1; then return 0; fi
		sleep 0.5
	done
	return 1
}

ini
start
wait_serving || fail "plaintext: the probe never reported SERVING"
echo "image-smoke: plaintext: $(probe 2>&1)  (read-only root, uid $("${P[@]}" inspect "$NAME" --format '{{.Config.User}}'))"

ini tls
start
C=/etc/certificates/grpc-server-certs
wait_serving --tls --tls-ca-cert=$C/ca.crt --tls-client-cert=$C/tls.crt --tls-client-key=$C/tls.key ||
	fail "mTLS: the operator's probe never reported SERVING"
echo "image-smoke: mTLS: $(probe --tls --tls-ca-cert=$C/ca.crt --tls-client-cert=$C/tls.crt --tls-client-key=$C/tls.key 2>&1)"
if probe --tls --tls-ca-cert=$C/ca.crt >/dev/null 2>&1; then fail "mTLS: a probe without client certificate was accepted"; fi
echo "image-smoke: mTLS: a probe without client certificate is refused"

sed -i 's/prefix = smoke/prefix = smoke2/' "$work/etc-medusa/medusa.ini"
code=$(timeout 15 "${P[@]}" wait "$NAME") || fail "config change: still running 15 s after medusa.ini changed"
[[ $code == 0 ]] || fail "config change: exit code $code, want 0"
echo "image-smoke: medusa.ini changed -> the container exited 0"
echo "image-smoke: OK ($IMAGE)"
