#!/usr/bin/env bash
# Sourced by the test bed's install scripts: builds a Go program from the
# module proxy at a pinned version into the test bed cache, statically
# (CGO_ENABLED=0), once. Idempotent: the version is recorded in
# $CACHE/versions/<name>; with binary and stamp present a second run takes
# well under a second.
#
# gotool_install NAME VERSION PKG BUILT LDFLAGS
#   NAME     the binary's name in $CACHE/bin
#   VERSION  the module version (vX.Y.Z)
#   PKG      the package path to go install
#   BUILT    the name go install gives the binary
#   LDFLAGS  extra -ldflags (e.g. -X to set the version it prints)
# Cache: ${MEDUSA_TESTBED_CACHE:-$HOME/.cache/medusa-testbed}.
gotool_install() {
	local name=$1 version=$2 pkg=$3 built=$4 ldflags=$5
	local cache=${MEDUSA_TESTBED_CACHE:-$HOME/.cache/medusa-testbed}
	local bin=$cache/bin/$name stamp=$cache/versions/$name
	mkdir -p "$cache/bin" "$cache/versions"
	if [[ -x $bin && -f $stamp && $(cat "$stamp") == "$version" ]]; then
		echo "$name $version: already installed ($bin)"
		return 0
	fi
	local t0 tmp
	t0=$(date +%s)
	echo "$name $version: go install $pkg@$version ..."
	rm -f "$stamp"
	tmp=$(mktemp -d)
	# Outside any module, so the project's go.mod plays no part.
	if ! (cd "$tmp" && GOFLAGS=-buildvcs=false CGO_ENABLED=0 GOBIN="$tmp/bin" \
		go install -trimpath -ldflags "-s -w $ldflags" "$pkg@$version"); then
		rm -rf "$tmp"
		echo "$name $version: go install failed" >&2
		return 1
	fi
	mv "$tmp/bin/$built" "$bin"
	rm -rf "$tmp"
	echo "$version" >"$stamp"
	echo "$name $version: installed in $(($(date +%s) - t0)) s ($bin)"
}
