#!/usr/bin/env bash
# Makes sure OpenSSH's server (Debian's openssh-server) is installed for the
# cluster test bed (internal/testbed: one sshd per node address, each in its
# own mount namespace, so it needs root, unshare and mount too). Idempotent.
set -euo pipefail

sshd=/usr/sbin/sshd
if [ ! -x "$sshd" ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "ssh: $sshd is missing; install Debian's openssh-server as root: apt-get install -y --no-install-recommends openssh-server" >&2
    exit 1
  fi
  echo "ssh: installing openssh-server with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  if ! { apt-get update -q && apt-get install -y -q --no-install-recommends openssh-server openssh-client; }; then
    echo "ssh: 'apt-get install openssh-server' failed (see above); the cluster tests need $sshd" >&2
    exit 1
  fi
fi
# The test bed starts its own sshds; Debian's package may have started the
# system one, which it leaves alone. sshd needs its privilege separation dir.
[ "$(id -u)" -ne 0 ] || mkdir -p /run/sshd
for tool in ssh unshare mount; do
  command -v "$tool" >/dev/null 2>&1 || { echo "ssh: '$tool' is required by the cluster test bed (openssh-client, util-linux, mount)" >&2; exit 1; }
done
echo "ssh: $("$sshd" -V 2>&1 | head -1 || true) at $sshd"
