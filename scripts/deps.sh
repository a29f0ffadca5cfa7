#!/bin/sh
# Install the Debian 12 packages vigil needs, and only those that are missing.
# Usage: scripts/deps.sh [build|test|bench]   (each set includes the ones before)
set -eu
set_="${1:-build}"
pkgs="build-essential cmake pkg-config libpcap-dev libyaml-dev libssl-dev libpcre2-dev libnetfilter-queue-dev zlib1g-dev"
# Hyperscan exists for x86-64 only; elsewhere the portable prefilter is built
[ "$(dpkg --print-architecture)" = amd64 ] && pkgs="$pkgs libhyperscan-dev"
case "$set_" in
  test|bench) pkgs="$pkgs clang libclang-rt-14-dev libcmocka-dev python3 python3-yaml tcpdump iproute2 iptables dnsmasq-base openssl iperf3 apache2-utils iputils-ping procps ethtool" ;;
esac
case "$set_" in
  bench) pkgs="$pkgs tcpdump time bc" ;;
esac
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
