#!/bin/bash
# Rule-engine benchmark on the benchmark capture (bench/run.sh builds it).
# Prints, for vigil and for each peer given, one table:
#   ET Open load (-T) cold and with vigil's prefilter cache, and its peak RSS;
#   packet phase (run time without rule loading) and whole run, with no
#   rules, 300 content rules and all of ET Open, one worker and all workers,
#   each with its peak RSS; ratios to the peers where they ran.
# Peers are optional and given by path (built from their sources by
# whoever runs the benchmark, or Debian's suricata package):
#   SURICATA=/path/to/suricata [SURICATA_YAML=/path/suricata.yaml]
#   SNORT=/path/to/snort [SNORT_LUA=/path/snort.lua]
#   usage: bench/rules.sh BUILD_DIR          (best of BENCH_RUNS runs, default 3)
set -eu
B="$1"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ET="$ROOT/../shared/corpora/et-open/rules"
OUT="$ROOT/bench/out"; CAP="$OUT/bench.pcap"
RUNS="${BENCH_RUNS:-3}"
[ -f "$CAP" ] || { echo "run bench/run.sh first (it builds $CAP)"; exit 1; }
[ -d "$ET" ] || { echo "ET Open absent"; exit 1; }
V="$B/src/vigil"
cat "$ET"/*.rules > "$OUT/et.rules"
CLS="--set classification-file=$ET/classification.config"
# (b): 300 loadable rules with content from the TCP/UDP/IP rules of ET Open
grep -hE '^alert (tcp|udp|ip) ' "$ET"/*.rules | grep 'content:' | grep -v 'stream_size\|xbits\|tag:' | head -300 > "$OUT/content300.rules"
echo 'alert tcp any any -> any any (msg:"never"; content:"|00 11 22 33 44 55 66 77 88 99|"; sid:1;)' > "$OUT/none.rules"

# load: cold (no cache, compiled), cached (the cache filled by the cold run)
rm -rf "$OUT/mpmcache"
load() {
	/usr/bin/time -f "%e %M" -o "$OUT/t" "$V" -T -S "$OUT/et.rules" $CLS "$@" > "$OUT/et.txt" 2>/dev/null || true
	read secs kb < "$OUT/t"
	echo "$secs $((kb / 1024))"
}
read lc_s lc_m <<< "$(load --set detect.mpm-cache-dir="$OUT/mpmcache")"
# the sets the cold -T left to background compiling, into the cache (as
# vigil-update fills it), so that "cached" and the runs below read all
"$V" -T -S "$OUT/et.rules" $CLS --set detect.mpm-cache-dir="$OUT/mpmcache" \
	--set detect.prefilter-compile=load > /dev/null 2>&1 || true
read lw_s lw_m <<< "$(load --set detect.mpm-cache-dir="$OUT/mpmcache")"
loaded=$(sed -n 's/^rules: \([0-9]*\) loaded.*/\1/p' "$OUT/et.txt")

# one vigil run: prints "packet-phase-s whole-run-s peak-MB alerts" (best of RUNS by packet phase)
vrun() {
	best=""
	for i in $(seq "$RUNS"); do
		rm -rf "$OUT/eve"; mkdir -p "$OUT/eve"
		s0=$(date +%s.%N)
		/usr/bin/time -f "%M" -o "$OUT/rss" "$V" -r "$CAP" -l "$OUT/eve" --no-progress $CLS \
			--set detect.mpm-cache-dir="$OUT/mpmcache" "$@" > "$OUT/summary" 2>/dev/null
		s1=$(date +%s.%N)
		pp=$(sed -n 's/.* in \([0-9.]*\) s:.*/\1/p' "$OUT/summary")
		whole=$(echo "$s1 - $s0" | bc -l)
		al=$(grep -o '[0-9]* alerts' "$OUT/summary" | cut -d' ' -f1 || true)
		line="$pp $(printf '%.2f' "$whole") $(( $(cat "$OUT/rss") / 1024 )) ${al:-0}"
		if [ -z "$best" ] || [ "$(echo "$pp < ${best%% *}" | bc)" = 1 ]; then best="$line"; fi
	done
	echo "$best"
}
printf '%-44s %9s %9s %9s %8s\n' "vigil $("$V" --version | head -1 | cut -d' ' -f2)" "packets" "whole" "peak RSS" "alerts"
printf '%-44s %9s %9s %9s\n' "ET Open load (-T), cold" "" "${lc_s} s" "${lc_m} MB"
printf '%-44s %9s %9s %9s\n' "ET Open load (-T), prefilter cache" "" "${lw_s} s" "${lw_m} MB"
declare -A VP
for mode in single workers; do
	w=1; [ $mode = workers ] && w=$(nproc)
	for set in none content300 et; do
		case $set in
			none) rf="$OUT/none.rules"; name="no rules (1 never-matching)" ;;
			content300) rf="$OUT/content300.rules"; name="300 content rules" ;;
			et) rf="$OUT/et.rules"; name="ET Open ($loaded rules)" ;;
		esac
		read pp whole rss al <<< "$(vrun --runmode $mode -S "$rf")"
		VP[$set.$w]="$pp $whole $rss"
		printf '%-44s %7s s %7s s %6s MB %8s\n' "$name, $w worker(s)" "$pp" "$whole" "$rss" "$al"
	done
done

# peers, where given: whole run and peak RSS on the same capture and rules
peer_row() { # name whole rss  (vigil's whole-run and RSS for the same set)
	printf '%-44s %7s   %7s s %6s MB   vigil: %sx faster, %sx the memory\n' "$1" "" "$2" "$3" \
		"$(echo "scale=2; $2 / $4" | bc)" "$(echo "scale=2; $5 / $3" | bc)"
}
# peer NAME SET COMMAND...: times one peer run on the capture and prints
# its row against vigil's one-worker run of the same rule set
peer() {
	name="$1"; set="$2"; shift 2
	s0=$(date +%s.%N)
	/usr/bin/time -f "%M" -o "$OUT/rss" "$@" >/dev/null 2>&1 || true
	s1=$(date +%s.%N)
	read vpp vwhole vrss <<< "${VP[$set.1]}"
	peer_row "$name ($set, 1 thread)" "$(printf '%.2f' "$(echo "$s1 - $s0" | bc -l)")" \
		"$(( $(cat "$OUT/rss") / 1024 ))" "$vwhole" "$vrss"
}
if [ -n "${SURICATA:-}" ] && [ -x "$SURICATA" ]; then
	Y="${SURICATA_YAML:-/etc/suricata/suricata.yaml}"
	for set in none content300 et; do
		rm -rf "$OUT/sur"; mkdir -p "$OUT/sur"
		peer suricata $set "$SURICATA" -c "$Y" -r "$CAP" -l "$OUT/sur" -S "$OUT/$set.rules" \
			--runmode single -k none
	done
else
	echo "suricata: not given (SURICATA=/path/to/suricata), no ratio"
fi
if [ -n "${SNORT:-}" ] && [ -x "$SNORT" ]; then
	for set in none content300; do
		peer snort $set "$SNORT" ${SNORT_LUA:+-c "$SNORT_LUA"} -R "$OUT/$set.rules" -r "$CAP" -q -A none
	done
else
	echo "snort: not given (SNORT=/path/to/snort), no ratio"
fi
