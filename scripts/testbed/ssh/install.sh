#!/usr/bin/env bash
# Makes sure OpenSSH's server (Debian's openssh-server) and sudo are
# installed for the cluster test bed (internal/testbed: one sshd per node address, each in its
# own mount namespace, so it needs root, unshare and mount too). Idempotent.
set -euo pipefail

sshd=/usr/sbin/sshd
# sudo: the cluster tests run node commands with [cassandra] use_sudo = True.
missing=()
[ -x "$sshd" ] || missing+=(openssh-server openssh-client)
command -v sudo >/dev/null 2>&1 || missing+=(sudo)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "ssh: ${missing[*]} missing; install them as root: apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  echo "ssh: installing ${missing[*]} with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; }; then
    echo "ssh: 'apt-get install ${missing[*]}' failed (see above); the cluster tests need them" >&2
    exit 1
  fi
fi
# The test bed starts its own sshds; Debian's package may have started the
# system one, which it leaves alone. sshd needs its privilege separation dir.
[ "$(id -u)" -ne 0 ] || mkdir -p /run/sshd
for tool in ssh unshare mount; do
  command -v "$tool" >/dev/null 2>&1 || { echo "ssh: '$tool' is required by the cluster test bed (openssh-client, util-linux, mount)" >&2; exit 1; }
done
echo "ssh: $("$sshd" -V 2>&1 | head -1 || true) at $sshd; $(sudo -V 2>/dev/null | head -1)"
