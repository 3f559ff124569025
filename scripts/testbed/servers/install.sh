#!/usr/bin/env bash
# Installs the object-store test bed into the cache, at pinned versions:
#   versitygw        (S3 gateway, built from the Go module proxy)
#   fake-gcs-server  (GCS emulator, built from the Go module proxy)
#   azurite          (Azure Blob emulator, from npm)
# Idempotent: each tool records its version in $CACHE/versions/<tool>; a tool whose
# binary and version stamp are present is skipped, so a second run takes about a second.
#
# Usage: scripts/testbed/servers/install.sh [versitygw] [fake-gcs-server] [azurite]
#        (no argument: all three). Cache: ${MEDUSA_TESTBED_CACHE:-$HOME/.cache/medusa-testbed}.
# Keep the versions in sync with internal/testbed/proc.go.
set -euo pipefail

VERSITYGW_VERSION=v1.8.0
FAKEGCS_VERSION=v1.56.1
AZURITE_VERSION=3.35.0 # newest Azurite whose engines field accepts Node 20

CACHE=${MEDUSA_TESTBED_CACHE:-$HOME/.cache/medusa-testbed}
export GOFLAGS=-buildvcs=false
mkdir -p "$CACHE/bin" "$CACHE/versions" "$CACHE/logs"

now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'; }
stamp_ok() { # tool binary version
	[[ -x $2 && -f $CACHE/versions/$1 && $(cat "$CACHE/versions/$1") == "$3" ]]
}

# go_tool name module-path version: GOBIN=$CACHE/bin go install path@version.
go_tool() {
	local name=$1 pkg=$2 version=$3 t0
	if stamp_ok "$name" "$CACHE/bin/$name" "$version"; then
		echo "$name $version: already installed ($CACHE/bin/$name)"
		return
	fi
	t0=$(now)
	echo "$name $version: go install $pkg@$version ..."
	rm -f "$CACHE/versions/$name"
	# Run outside any module so the project's go.mod plays no part.
	(cd "$CACHE" && GOBIN="$CACHE/bin" go install "$pkg@$version")
	echo "$version" >"$CACHE/versions/$name"
	echo "$name $version: installed in $(since "$t0") s"
}

azurite() {
	local dir=$CACHE/azurite t0
	if stamp_ok azurite "$dir/node_modules/.bin/azurite-blob" "$AZURITE_VERSION"; then
		echo "azurite $AZURITE_VERSION: already installed ($dir)"
		return
	fi
	t0=$(now)
	echo "azurite $AZURITE_VERSION: npm install ..."
	rm -f "$CACHE/versions/azurite"
	mkdir -p "$dir"
	npm install --prefix "$dir" --no-audit --no-fund --loglevel=error "azurite@$AZURITE_VERSION" \
		>"$CACHE/logs/npm-azurite.log" 2>&1 || {
		tail -20 "$CACHE/logs/npm-azurite.log" >&2
		return 1
	}
	echo "$AZURITE_VERSION" >"$CACHE/versions/azurite"
	echo "azurite $AZURITE_VERSION: installed in $(since "$t0") s"
}

want=("$@")
[[ ${#want[@]} -gt 0 ]] || want=(versitygw fake-gcs-server azurite)
for tool in "${want[@]}"; do
	case $tool in
	versitygw | fake-gcs-server | azurite) ;;
	-h | --help)
		sed -n '2,10p' "$0"
		exit 0
		;;
	*)
		echo "unknown tool: $tool (want versitygw, fake-gcs-server or azurite)" >&2
		exit 2
		;;
	esac
done

T0=$(now)
npm_pid=""
# On a failed Go build, do not leave npm running in the background.
trap '[[ -n $npm_pid ]] && kill "$npm_pid" 2>/dev/null; true' ERR
for tool in "${want[@]}"; do
	# Azurite's install is network-bound: it runs beside the CPU-bound Go builds.
	if [[ $tool == azurite ]]; then
		azurite &
		npm_pid=$!
	fi
done
for tool in "${want[@]}"; do
	case $tool in
	versitygw) go_tool versitygw github.com/versity/versitygw/cmd/versitygw "$VERSITYGW_VERSION" ;;
	fake-gcs-server) go_tool fake-gcs-server github.com/fsouza/fake-gcs-server "$FAKEGCS_VERSION" ;;
	esac
done
if [[ -n $npm_pid ]]; then wait "$npm_pid"; fi
echo "test bed ready in $CACHE ($(since "$T0") s total)"
