#!/bin/sh
# Rule-engine benchmark on the benchmark capture (bench/run.sh builds it):
# ET Open load time and peak RSS (vigil -T), then throughput and peak RSS
# with (a) no rules, (b) 300 content rules taken from ET Open, (c) every
# ET Open rule vigil loads, for one worker and all workers.
#   usage: bench/rules.sh BUILD_DIR
set -eu
B="$1"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ET="$ROOT/../shared/corpora/et-open/rules"
OUT="$ROOT/bench/out"; CAP="$OUT/bench.pcap"
[ -f "$CAP" ] || { echo "run bench/run.sh first (it builds $CAP)"; exit 1; }
[ -d "$ET" ] || { echo "ET Open absent"; exit 1; }
set --
for f in "$ET"/*.rules; do set -- "$@" -S "$f"; done
CLS="--set classification-file=$ET/classification.config"
/usr/bin/time -f "%e %M" -o "$OUT/t" "$B/src/vigil" -T "$@" $CLS > "$OUT/et.txt" 2>/dev/null || true
read secs kb < "$OUT/t"
echo "ET Open --test-rules: $(tail -1 "$OUT/et.txt"); $secs s, peak RSS $((kb / 1024)) MB"
# (b): 300 loadable rules with content from the TCP/UDP/IP rules of ET Open
grep -hE '^alert (tcp|udp|ip) ' "$ET"/*.rules | grep 'content:' | grep -v 'stream_size\|xbits\|tag:' | head -300 > "$OUT/content300.rules"
run() {
	name="$1"; shift
	rm -rf "$OUT/eve"; mkdir -p "$OUT/eve"
	/usr/bin/time -f "%M" -o "$OUT/rss" "$B/src/vigil" -r "$CAP" -l "$OUT/eve" --no-progress $CLS "$@" > "$OUT/summary" 2>/dev/null
	line=$(grep "packets " "$OUT/summary")
	mbit=$(echo "$line" | sed -E 's/.* ([0-9.]+) Mbit\/s.*/\1/')
	secs=$(echo "$line" | sed -E 's/.* in ([0-9.]+) s.*/\1/')
	alerts=$(grep -o '[0-9]* alerts' "$OUT/summary" || echo "0 alerts")
	printf '%-34s %6s s %9s Mbit/s  peak RSS %4d MB  %s\n' "$name" "$secs" "$mbit" $(( $(cat "$OUT/rss") / 1024 )) "$alerts"
}
for mode in single workers; do
	w=1; [ $mode = workers ] && w=$(nproc)
	run "no rules, $w worker(s)" --runmode $mode
	run "300 content rules, $w worker(s)" --runmode $mode -S "$OUT/content300.rules"
	run "ET Open ($(grep -o '[0-9]* loaded' "$OUT/et.txt")), $w worker(s)" --runmode $mode "$@"
done
