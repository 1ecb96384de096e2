#!/usr/bin/env bash
# Installs the Debian packages tapir needs to build, test and demo, if any
# is missing.  Quiet and quick when everything is there.
set -euo pipefail
PKGS=(build-essential clang pkg-config libpcap-dev libssl-dev openssl libcriterion-dev
      iproute2 iputils-ping tcpdump socat iperf3 netcat-openbsd python3 curl procps
      dnsmasq-base ethtool radvd)  # dnsmasq-base: the binary without a system service (resolver interop tests);
# ethtool: checksum offload off on test veths (tests/interop/lib.sh); radvd: router
# advertisements for the SLAAC interop test (ip6_slaac_dad.test.sh)
missing=()
for p in "${PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "tapir: installing missing Debian packages: ${missing[*]}"
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
if ! $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"; then
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
