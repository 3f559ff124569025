#!/usr/bin/env bash
# bench/run.sh: what `make bench` runs. Installs the test bed (cached),
# builds medusa and the bench programs, then runs bench/cmd/benchrun, which
# prints the results table and writes bench/RESULTS.md. Settings: see
# bench/README.md (BENCH_RUNS, BENCH_SIZE_GIB, BENCH_QUICK=1, ...).
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
bash scripts/setup.sh
if [[ "${BENCH_SKIP_PYTHON:-0}" != 1 ]]; then
  bash scripts/testbed/python-medusa/install.sh
fi
make build
mkdir -p bin/bench
# The binary under test is a copy: a `make build` elsewhere cannot change it mid-run.
cp bin/medusa bin/bench/medusa
for p in sdkloop diskread benchrun; do
  go build -tags disable_grpc_modules -o "bin/bench/$p" "./bench/cmd/$p"
done
exec bin/bench/benchrun -medusa bin/bench/medusa -sdkloop bin/bench/sdkloop -diskread bin/bench/diskread \
  -out bench/RESULTS.md "$@"
