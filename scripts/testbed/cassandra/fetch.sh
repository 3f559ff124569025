#!/usr/bin/env bash
# fetch.sh [version] - resolve org.apache.cassandra:cassandra-all (default 5.0.9)
# and its runtime dependencies with Maven into
#   ${MEDUSA_TESTBED_CACHE:-$HOME/.cache/medusa-testbed}/cassandra-<version>/lib
# Idempotent: a marker file (.complete) makes a second run return at once.
# Concurrent runs are serialised with flock. Prints the lib directory on stdout.
set -euo pipefail

version="${1:-${CASSANDRA_VERSION:-5.0.9}}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache="${MEDUSA_TESTBED_CACHE:-$HOME/.cache/medusa-testbed}"
home="$cache/cassandra-$version"
lib="$home/lib"
marker="$home/.complete"

if [[ -f "$marker" ]]; then
  echo "$lib"
  exit 0
fi

mkdir -p "$home"
exec 9>"$home/.lock"
flock 9
if [[ -f "$marker" ]]; then # another run finished while we waited
  echo "$lib"
  exit 0
fi

command -v mvn >/dev/null || { echo "fetch.sh: mvn not found; install Maven (apt-get install maven)" >&2; exit 1; }
command -v java >/dev/null || { echo "fetch.sh: java not found; install a Java 17 JDK" >&2; exit 1; }

tmp="$(mktemp -d "$home/lib.tmp.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
echo "fetch.sh: resolving cassandra-all $version with Maven into $lib" >&2
if ! mvn -q -B -f "$here/pom.xml" -Dcassandra.version="$version" \
    dependency:copy-dependencies -DoutputDirectory="$tmp" -DincludeScope=runtime \
    >"$home/mvn.log" 2>&1; then
  echo "fetch.sh: mvn failed (full log: $home/mvn.log):" >&2
  tail -n 30 "$home/mvn.log" >&2
  exit 1
fi
if ! ls "$tmp"/cassandra-all-"$version".jar >/dev/null 2>&1 || ! ls "$tmp"/jamm-*.jar >/dev/null 2>&1; then
  echo "fetch.sh: cassandra-all-$version.jar or jamm-*.jar missing after mvn; see $home/mvn.log" >&2
  exit 1
fi
rm -rf "$lib"
mv "$tmp" "$lib"
trap - EXIT
echo "$version" >"$marker"
echo "$lib"
