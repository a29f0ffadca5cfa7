#!/bin/bash
# Inline benchmark in the namespace lab, side by side in one run:
# TCP throughput client -> server through the gateway (iperf3, 5 s) with
# no IDS, with vigil inline (ET Open loaded when the corpus is there), and
# with Suricata inline where it is installed; the added latency (ping
# round trips, p50/p99 over 500 pings) and vigil's CPU while it carries
# the iperf3 stream.   usage: bench/inline.sh BUILD_DIR
set -u
B="$1"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export VIGIL="$ROOT/$B/src/vigil"; [ -x "$VIGIL" ] || VIGIL="$B/src/vigil"
export LAB_DIR; LAB_DIR=$(mktemp -d /tmp/vigil-bench.XXXXXX)
. "$ROOT/lab/lab.sh"
trap 'vigil_stop; down; rm -rf "$LAB_DIR"' EXIT
can_run || { echo "inline bench: needs root and network namespaces"; exit 0; }
I=203.0.113.10
ET="$ROOT/../shared/corpora/et-open/rules"
rules=(-S "$ROOT/etc/rules/lab.rules")
if [ -d "$ET" ]; then rules=(); for f in "$ET"/*.rules; do rules+=(-S "$f"); done
	rules+=(--set classification-file="$ET/classification.config"); fi
iperf() { ip netns exec $NS_C iperf3 -c $I -t 5 -J 2>/dev/null | python3 -c \
	"import json,sys; print(int(json.load(sys.stdin)['end']['sum_received']['bits_per_second']) // 1000000)" 2>/dev/null || echo 0; }
lat() { ip netns exec $NS_C ping -q -c 500 -i 0.002 -n $I >/dev/null 2>&1; \
	ip netns exec $NS_C ping -c 500 -i 0.002 -n $I 2>/dev/null | grep -o 'time=[0-9.]*' | cut -d= -f2 | sort -n |
	awk '{v[NR]=$1} END {printf "p50 %.0f us, p99 %.0f us", v[int(NR*0.5)]*1000, v[int(NR*0.99)]*1000}'; }
up || exit 1
ip netns exec $NS_I iperf3 -s -B $I -D --pidfile "$LAB_DIR/iperf.pid" >/dev/null 2>&1
sleep 0.3
# no IDS: take the NFQUEUE rules out
ip netns exec $NS_G iptables-legacy -F FORWARD
ip netns exec $NS_G iptables-legacy -t mangle -F
base=$(iperf); blat=$(lat)
echo "no IDS:              $base Mbit/s; RTT $blat"
gw_rules --queue-bypass
for spin in 0 3000; do
	vigil_start "${rules[@]}" --set nfq.busy-poll-us=$spin || exit 1
	pid=$(cat "$LAB_DIR/vigil.pid")
	t0=$(awk '{print $14 + $15}' /proc/$pid/stat)
	v=$(iperf)
	t1=$(awk '{print $14 + $15}' /proc/$pid/stat)
	vlat=$(lat)
	hz=$(getconf CLK_TCK)
	cpu=$(( (t1 - t0) * 100 / hz / 5 ))
	vigil_stop
	nrules=$(grep -o '[0-9]* loaded' "$LAB_DIR/vigil.out" | head -1)
	echo "vigil inline, $nrules rules, nfq.busy-poll-us=$spin: $v Mbit/s ($(( v * 100 / (base > 0 ? base : 1) ))% of no IDS); RTT $vlat; vigil CPU ${cpu}% of a core during iperf3"
done
if command -v suricata >/dev/null; then
	ip netns exec $NS_G suricata -q 0 -l "$LAB_DIR" -S /dev/null >/dev/null 2>&1 & spid=$!
	sleep 3; s=$(iperf); kill $spid; wait $spid 2>/dev/null
	echo "suricata inline:     $s Mbit/s"
else
	echo "suricata: not installed, no comparison"
fi
