#!/bin/sh
# Install the Debian 12 packages vigil needs, and only those that are missing.
#
#   scripts/deps.sh SET [SET...]       install what the sets need
#   scripts/deps.sh --list SET...      print the packages, install nothing
#
# Sets (each is exactly what its make target uses, so a fresh machine needs
# nothing else):
#   build   compile vigil                                   (make, make build)
#   run     build + what the demo runs: the namespace lab's servers and
#           tools                                           (make run)
#   test    run + test libraries, clang for the sanitizer build, the
#           fresh-root and package tests' tools             (make test)
#   deb     build + Debian's packaging tools                (make deb)
#   bench   test + what the benchmarks time with            (make bench)
#
# apt waits for a lock another apt or dpkg holds (an unattended upgrade on a
# fresh VM does) instead of failing: VIGIL_APT_LOCK_WAIT seconds, 600 by default.
set -eu
list=0
[ "${1:-}" = --list ] && { list=1; shift; }
[ $# -gt 0 ] || set -- build

build="build-essential cmake pkg-config libsystemd-dev libpcap-dev libyaml-dev libssl-dev libpcre2-dev libnetfilter-queue-dev zlib1g-dev libjansson-dev libhiredis-dev libdbus-1-dev libsqlite3-dev libmicrohttpd-dev libhtp-dev libbrotli-dev libmagic-dev libpsl-dev libnghttp2-dev nodejs npm"
# Hyperscan exists for x86-64 only; elsewhere the portable prefilter is built
[ "$(dpkg --print-architecture)" = amd64 ] && build="$build libhyperscan-dev"
run="python3 iproute2 iptables dnsmasq-base openssl procps ethtool"
test="clang libclang-rt-14-dev libcmocka-dev systemd-journal-remote python3-yaml tcpdump iperf3 apache2-utils iputils-ping debootstrap git redis-server dbus-daemon python3-dbus python3-gi libnotify-bin chromium sqlite3"
deb="debhelper dpkg-dev fakeroot lintian"
bench="time bc aide"

pkgs=""
for s in "$@"; do
	case "$s" in
		build) pkgs="$pkgs $build" ;;
		run) pkgs="$pkgs $build $run" ;;
		deb) pkgs="$pkgs $build $deb" ;;
		test) pkgs="$pkgs $build $run $test $deb" ;;
		bench) pkgs="$pkgs $build $run $test $deb $bench" ;;
		*) echo "deps: unknown set '$s' (build, run, test, deb, bench)" >&2; exit 2 ;;
	esac
done
pkgs=$(printf '%s\n' $pkgs | sort -u | tr '\n' ' ')
[ $list -eq 1 ] && { echo $pkgs; exit 0; }

missing=""
for p in $pkgs; do
	# npm may come with another nodejs (NodeSource's bundles it)
	[ "$p" = npm ] && command -v npm >/dev/null 2>&1 && continue
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
wait="${VIGIL_APT_LOCK_WAIT:-600}"
lock="-o DPkg::Lock::Timeout=$wait"
# apt-get update has no lock timeout of its own for the lists lock: retry
# while another apt holds it, up to the same wait
t=0
until $SUDO apt-get $lock update -qq; do
	t=$((t + 10))
	[ $t -lt "$wait" ] || { echo "deps: apt-get update kept failing for ${wait}s" >&2; exit 1; }
	echo "deps: apt-get update failed (another apt running?); retrying in 10s" >&2
	sleep 10
done
DEBIAN_FRONTEND=noninteractive $SUDO apt-get $lock install -y -qq --no-install-recommends $missing
