#!/usr/bin/env bash
# install.sh [version] - installs the real Python Medusa (PyPI cassandra-medusa,
# default 0.31.0) in a virtualenv at
#   ${MEDUSA_TESTBED_CACHE:-$HOME/.cache/medusa-testbed}/python-medusa-<version>
# for the compatibility tests (internal/compat) and benchmarks. Its executable
# is <venv>/bin/medusa. Idempotent: a marker file (.complete, holding the
# version) makes a second run return at once. Concurrent runs are serialised
# with flock. Uses $PYTHON, else python3 from PATH (Medusa needs >=3.10,<3.13).
# Keep the default version in sync with internal/testbed/pymedusa.go.
#
# The package's generated gRPC stubs (medusa/service/grpc) import grpcio,
# grpcio-health-checking and protobuf, which cassandra-medusa does not
# declare: they are installed too, pinned as Medusa's own requirements pin
# them (GRPC_DEPS), with a second marker (.grpc-complete, holding the pins),
# so a venv made before they were added gets them on the next run.
set -euo pipefail

grpc_deps="grpcio==1.81.0 grpcio-health-checking==1.81.0 protobuf==6.33.6"

version="${1:-${PYTHON_MEDUSA_VERSION:-0.31.0}}"
cache="${MEDUSA_TESTBED_CACHE:-$HOME/.cache/medusa-testbed}"
venv="$cache/python-medusa-$version"
marker="$venv/.complete"
grpc_marker="$venv/.grpc-complete"
python="${PYTHON:-python3}"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
t0=$(now)

installed() { [[ -f "$marker" && -x "$venv/bin/medusa" && "$(cat "$grpc_marker" 2>/dev/null)" == "$grpc_deps" ]]; }
if installed; then
  echo "python-medusa $version: already installed ($venv/bin/medusa, $(since "$t0") s)"
  exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/python-medusa-$version.lock"
flock 9
if installed; then # another run finished while we waited
  echo "python-medusa $version: already installed ($venv/bin/medusa)"
  exit 0
fi
log="$cache/logs/python-medusa-$version.log"
mkdir -p "$cache/logs"

# install_grpc_deps installs the pinned gRPC packages into the venv.
install_grpc_deps() {
  echo "python-medusa $version: pip install $grpc_deps ..."
  # shellcheck disable=SC2086 # one word per requirement
  if ! "$venv/bin/python" -m pip install --disable-pip-version-check --no-input --prefer-binary $grpc_deps >>"$log" 2>&1; then
    echo "install.sh: pip install $grpc_deps failed (full log: $log):" >&2
    tail -n 40 "$log" >&2
    exit 1
  fi
  if ! "$venv/bin/python" -c 'import medusa.service.grpc.client' >>"$log" 2>&1; then
    echo "install.sh: medusa.service.grpc.client does not import with $grpc_deps (full log: $log):" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
  echo "$grpc_deps" >"$grpc_marker"
}

if [[ -f "$marker" && -x "$venv/bin/medusa" ]]; then # installed before the gRPC packages were added
  install_grpc_deps
  echo "python-medusa $version: gRPC packages added in $(since "$t0") s"
  exit 0
fi

command -v "$python" >/dev/null || {
  echo "install.sh: $python not found; install Python 3.10-3.12 (apt-get install python3 python3-venv)" >&2
  exit 1
}
pyver=$("$python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
case "$pyver" in
3.10 | 3.11 | 3.12) ;;
*)
  echo "install.sh: $python is Python $pyver; cassandra-medusa $version needs >=3.10,<3.13 (set PYTHON=...)" >&2
  exit 1
  ;;
esac

rm -rf "$venv"
echo "python-medusa $version: creating venv with $python ($pyver) in $venv ..."
if ! "$python" -m venv "$venv" >"$log" 2>&1; then
  echo "install.sh: '$python -m venv' failed (on Debian: apt-get install python3-venv):" >&2
  tail -n 20 "$log" >&2
  exit 1
fi
# Prefer wheels: cassandra-driver and gevent publish manylinux wheels for
# CPython 3.10-3.12; building them from source needs python3-dev and a C
# compiler and takes many minutes on 2 cores (see README.md).
echo "python-medusa $version: pip install cassandra-medusa==$version ..."
if ! {
  "$venv/bin/python" -m pip install --disable-pip-version-check --no-input --upgrade pip &&
    "$venv/bin/python" -m pip install --disable-pip-version-check --no-input --prefer-binary \
      "cassandra-medusa==$version"
} >>"$log" 2>&1; then
  echo "install.sh: pip install cassandra-medusa==$version failed (full log: $log):" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
got=$("$venv/bin/medusa" --version 2>>"$log" | tail -n 1) || {
  echo "install.sh: $venv/bin/medusa --version failed (full log: $log):" >&2
  tail -n 20 "$log" >&2
  exit 1
}
if [[ "$got" != *"$version"* ]]; then
  echo "install.sh: $venv/bin/medusa --version printed '$got', want $version" >&2
  exit 1
fi
install_grpc_deps
echo "$version" >"$marker"
echo "python-medusa $version: installed in $(since "$t0") s ($venv/bin/medusa)"
