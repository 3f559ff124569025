#!/usr/bin/env bash
# install.sh [version] - installs moto's server (PyPI moto[server], default
# 5.2.5), a local implementation of AWS APIs whose KMS the real KMS tests run
# against, in a virtualenv at
#   ${MEDUSA_TESTBED_CACHE:-$HOME/.cache/medusa-testbed}/moto-<version>
# Its executable is <venv>/bin/moto_server (the tests start it with
# -H 127.0.0.1 -p <port>). Idempotent: a marker file (.complete, holding the
# version) makes a second run return at once. Concurrent runs are serialised
# with flock. Uses $PYTHON, else python3 from PATH (moto needs >=3.9).
# Keep the default version in sync with internal/testbed/motokms.go.
set -euo pipefail

version="${1:-${MOTO_VERSION:-5.2.5}}"
cache="${MEDUSA_TESTBED_CACHE:-$HOME/.cache/medusa-testbed}"
venv="$cache/moto-$version"
marker="$venv/.complete"
python="${PYTHON:-python3}"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
t0=$(now)

installed() { [[ "$(cat "$marker" 2>/dev/null)" == "$version" && -x "$venv/bin/moto_server" ]]; }
if installed; then
  echo "moto $version: already installed ($venv/bin/moto_server, $(since "$t0") s)"
  exit 0
fi

mkdir -p "$cache"
exec 9>"$cache/moto-$version.lock"
flock 9
if installed; then # another run finished while we waited
  echo "moto $version: already installed ($venv/bin/moto_server)"
  exit 0
fi
log="$cache/logs/moto-$version.log"
mkdir -p "$cache/logs"

command -v "$python" >/dev/null || {
  echo "install.sh: $python not found; install Python >= 3.9 (apt-get install python3 python3-venv)" >&2
  exit 1
}
if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 9))'; then
  echo "install.sh: $python is Python $("$python" -V 2>&1); moto $version needs >= 3.9 (set PYTHON=...)" >&2
  exit 1
fi

rm -rf "$venv"
echo "moto $version: creating venv with $python in $venv ..."
if ! "$python" -m venv "$venv" >"$log" 2>&1; then
  echo "install.sh: '$python -m venv' failed (on Debian: apt-get install python3-venv):" >&2
  tail -n 20 "$log" >&2
  exit 1
fi
# The server extra brings flask and flask-cors; the KMS backend needs
# cryptography (a manylinux wheel: no compiler needed).
echo "moto $version: pip install moto[server]==$version ..."
if ! "$venv/bin/python" -m pip install --disable-pip-version-check --no-input --prefer-binary \
  "moto[server]==$version" >>"$log" 2>&1; then
  echo "install.sh: pip install moto[server]==$version failed (full log: $log):" >&2
  tail -n 40 "$log" >&2
  exit 1
fi
got=$("$venv/bin/python" -c 'import moto; print(moto.__version__)' 2>>"$log") || {
  echo "install.sh: importing moto in $venv failed (full log: $log):" >&2
  tail -n 20 "$log" >&2
  exit 1
}
if [[ "$got" != "$version" ]]; then
  echo "install.sh: moto in $venv is version '$got', want $version" >&2
  exit 1
fi
if ! "$venv/bin/python" -c 'import moto.kms.models, flask, flask_cors' >>"$log" 2>&1; then
  echo "install.sh: moto's KMS backend or server does not import (full log: $log):" >&2
  tail -n 20 "$log" >&2
  exit 1
fi
echo "$version" >"$marker"
echo "moto $version: installed in $(since "$t0") s ($venv/bin/moto_server)"
