#!/bin/sh
# Packet-engine benchmark: builds a >= 300 MB capture from the corpora's
# Ethernet captures (repeated with shifted addresses), then reports
# packets/s, Mbit/s and peak RSS for one worker and for all workers, and
# the time `tcpdump -r FILE -w /dev/null` takes on the same file as a floor
# for reading it.  Where Suricata is installed, the same file is run
# through `suricata -r` with no rules and the ratio printed.
#   usage: bench/run.sh BUILD_DIR [MIN_MB]
set -eu
B="$1"; MB="${2:-320}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
C="$ROOT/../shared/corpora/pcaps"
OUT="$ROOT/bench/out"; mkdir -p "$OUT"
CAP="$OUT/bench.pcap"
if [ ! -f "$CAP" ]; then
	[ -d "$C" ] || { echo "bench: ../shared/corpora absent; cannot build the capture"; exit 1; }
	# captures of real traffic with a mean packet size over 600 bytes
	# (bulk HTTP/TLS/DNS mixes, not scans or floods), like the issue's
	# reference capture (mean 962 bytes)
	find "$C/zeek" "$C/ntopng-e2e-tests" "$C/chrissanders-packets" "$C/arkime" \
		-name '*.pcap' -size +100k 2>/dev/null | sort > "$OUT/inputs.txt"
	"$B/bench/vigil-mkcapture" "$CAP" "$MB" 600 $(cat "$OUT/inputs.txt")
fi
SIZE=$(stat -c %s "$CAP")
echo "capture: $CAP ($((SIZE / 1000000)) MB)"
t0=$(date +%s.%N); tcpdump -r "$CAP" -w /dev/null 2>/dev/null; t1=$(date +%s.%N)
echo "floor:   tcpdump -r FILE -w /dev/null: $(echo "$t1 - $t0" | bc -l | cut -c1-5) s"
run() {
	name="$1"; shift
	rm -rf "$OUT/eve"; mkdir -p "$OUT/eve"
	/usr/bin/time -f "%M" -o "$OUT/rss" "$B/src/vigil" -r "$CAP" -l "$OUT/eve" --no-progress "$@" > "$OUT/summary"
	line=$(grep "packets " "$OUT/summary")
	pps=$(echo "$line" | sed -E 's/.* ([0-9]+) packets\/s.*/\1/')
	mbit=$(echo "$line" | sed -E 's/.* ([0-9.]+) Mbit\/s.*/\1/')
	secs=$(echo "$line" | sed -E 's/.* in ([0-9.]+) s.*/\1/')
	printf '%-26s %8s s %10s packets/s %9s Mbit/s  peak RSS %5d MB\n' "$name" "$secs" "$pps" "$mbit" $(( $(cat "$OUT/rss") / 1024 ))
	echo "$mbit" > "$OUT/last_mbit"
}
run "vigil, 1 worker" --runmode single
V1=$(cat "$OUT/last_mbit")
run "vigil, $(nproc) workers" --runmode workers
run "vigil, 1 worker, no eve" --runmode single --set outputs.eve.enabled=no
if command -v suricata >/dev/null 2>&1; then
	rm -rf "$OUT/sur"; mkdir -p "$OUT/sur"
	t0=$(date +%s.%N)
	suricata -r "$CAP" -l "$OUT/sur" -S /dev/null --runmode single >/dev/null 2>&1 || true
	t1=$(date +%s.%N)
	S=$(echo "$SIZE * 8 / ($t1 - $t0) / 1000000" | bc -l | cut -d. -f1)
	echo "suricata --runmode single: $S Mbit/s (including start-up); vigil/suricata = $(echo "$V1 / $S" | bc -l | cut -c1-4)"
else
	echo "suricata: not installed, no ratio"
fi
