#!/usr/bin/env bash
# Installs everything the tests and the demo need, into a cache outside the
# repo (${MEDUSA_TESTBED_CACHE:-$HOME/.cache/medusa-testbed}); idempotent, so
# a second run takes seconds. Needs only the package registries: Maven
# Central (Cassandra), the Go module proxy (S3 server, fake-gcs-server,
# grpc_health_probe, node_exporter, gotestsum), npm (Azurite), PyPI (Python Medusa) and Debian's apt
# (openssh-server and sudo for the cluster test bed, when missing).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS="${GOFLAGS:--buildvcs=false}"

need() { command -v "$1" >/dev/null 2>&1 || { echo "setup: '$1' is required but not installed ($2)" >&2; exit 1; }; }
need go "Go 1.26"
need java "Java 17 (openjdk-17-jre-headless)"
need mvn "Apache Maven (apt-get install maven)"
need npm "Node.js 20 with npm"

start=$(date +%s)
# apt-get first: it must not run beside anything else that locks dpkg.
if ! bash scripts/testbed/ssh/install.sh 2>&1 | sed 's/^/[ssh] /'; then
  echo "setup: installing OpenSSH's server failed (see above)" >&2
  exit 1
fi
logdir=$(mktemp -d)
# Maven and npm wait on the network while Go builds use the CPU: run them side by side.
bash scripts/testbed/cassandra/fetch.sh >"$logdir/cassandra.log" 2>&1 &
cass=$!
bash scripts/testbed/python-medusa/install.sh >"$logdir/python-medusa.log" 2>&1 & pymedusa=$! # PyPI, see scripts/testbed/python-medusa
bash scripts/testbed/moto/install.sh >"$logdir/moto.log" 2>&1 & moto=$! # PyPI, see scripts/testbed/moto
if ! bash scripts/testbed/servers/install.sh 2>&1 | sed 's/^/[servers] /'; then
  echo "setup: installing the object-store servers failed (see above)" >&2
  exit 1
fi
if ! bash scripts/testbed/healthprobe/install.sh 2>&1 | sed 's/^/[healthprobe] /'; then
  echo "setup: building grpc_health_probe from the Go module proxy failed (see above)" >&2
  exit 1
fi
if ! bash scripts/testbed/gotestsum/install.sh 2>&1 | sed 's/^/[gotestsum] /'; then
  echo "setup: building gotestsum from the Go module proxy failed (see above)" >&2
  exit 1
fi
if ! bash scripts/testbed/node-exporter/install.sh 2>&1 | sed 's/^/[node-exporter] /'; then
  echo "setup: building node_exporter from the Go module proxy failed (see above)" >&2
  exit 1
fi
if ! wait "$cass"; then
  sed 's/^/[cassandra] /' "$logdir/cassandra.log" >&2
  echo "setup: fetching Cassandra from Maven Central failed (see above)" >&2
  exit 1
fi
sed 's/^/[cassandra] /' "$logdir/cassandra.log"
wait "$pymedusa" || { sed 's/^/[python-medusa] /' "$logdir/python-medusa.log" >&2; echo "setup: installing Python Medusa from PyPI failed (see above)" >&2; exit 1; }; sed 's/^/[python-medusa] /' "$logdir/python-medusa.log"
wait "$moto" || { sed 's/^/[moto] /' "$logdir/moto.log" >&2; echo "setup: installing moto (KMS server) from PyPI failed (see above)" >&2; exit 1; }; sed 's/^/[moto] /' "$logdir/moto.log"
rm -rf "$logdir"
echo "setup: done in $(( $(date +%s) - start ))s"
