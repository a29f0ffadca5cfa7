#!/bin/sh
# App-layer benchmark.
# Timings are the best of REPS (3) runs: this machine's run-to-run noise is
# large.
# (1) Cost of parsing: the benchmark capture (bench/run.sh builds it) with
#     every ET Open rule vigil loads, app-layer parsing on and off
#     (app-layer.enabled), one worker; parsing's share of the total time.
# (2) Memory: a capture of N HTTP and N TLS connections all open at once
#     (vigil-mkflows: heads, a body in progress, handshakes with a
#     certificate); peak RSS with parsing on minus off, per 10,000 flows,
#     and the parsers' own accounting (app_layer.memuse_peak).
# (3) Files: the benchmark capture with ET Open, digests off (what rules
#     ask for only) and md5 + sha256 of every file
#     (outputs.eve.types.files-force-hash); the cost of hashing (goal:
#     under 15% of the throughput) and peak RSS (goal: under 256 MB).
#   usage: bench/app.sh BUILD_DIR [N]
set -eu
B="$1"; N="${2:-10000}"; REPS="${REPS:-3}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
ET="$ROOT/../shared/corpora/et-open/rules"
OUT="$ROOT/bench/out"; CAP="$OUT/bench.pcap"; mkdir -p "$OUT"
run() { # name, args...: the best of $REPS runs: seconds, Mbit/s, peak RSS
	name="$1"; shift
	best=""
	for i in $(seq "$REPS"); do
		rm -rf "$OUT/eve"; mkdir -p "$OUT/eve"
		/usr/bin/time -f "%M" -o "$OUT/rss" "$B/src/vigil" -l "$OUT/eve" --no-progress --runmode single "$@" > "$OUT/summary" 2>/dev/null
		line=$(grep "packets " "$OUT/summary")
		s=$(echo "$line" | sed -E 's/.* in ([0-9.]+) s.*/\1/')
		if [ -z "$best" ] || [ "$(echo "$s < $best" | bc -l)" = 1 ]; then
			best=$s
			mbit=$(echo "$line" | sed -E 's/.* ([0-9.]+) Mbit\/s.*/\1/')
		fi
	done
	secs=$best
	rss=$(( $(cat "$OUT/rss") / 1024 ))
	printf '%-44s %7s s %9s Mbit/s  peak RSS %5d MB\n' "$name" "$secs" "$mbit" "$rss"
	echo "$secs $rss" > "$OUT/last"
}
if [ -f "$CAP" ] && [ -d "$ET" ]; then
	set --
	for f in "$ET"/*.rules; do set -- "$@" -S "$f"; done
	# every prefilter database from the cache, filled first (as
	# vigil-update does): a cold start would compile them in the
	# background during the runs, and time and RSS would be the compiler's
	set -- "$@" --set detect.mpm-cache-dir="$OUT/mpmcache"
	CLS="--set classification-file=$ET/classification.config"
	"$B/src/vigil" -T $CLS "$@" --set detect.prefilter-compile=load > /dev/null 2>&1 || true
	echo "capture: $CAP ($(( $(stat -c %s "$CAP") / 1000000 )) MB), ET Open, 1 worker"
	run "ET Open, app-layer parsing on" -r "$CAP" $CLS "$@"
	read on _ < "$OUT/last"
	grep -o '"app_proto":"[a-z]*"' "$OUT/eve/eve.json" | sort | uniq -c | sort -rn | head -6 | tr '\n' ' '; echo
	run "ET Open, app-layer parsing off" -r "$CAP" $CLS --set app-layer.enabled=no "$@"
	read off _ < "$OUT/last"
	echo "parsing (and the app-layer rules it enables) = $(echo "scale=1; 100 * ($on - $off) / $on" | bc -l)% of the total time (goal: under 33%)"
	run "no rules, app-layer parsing on" -r "$CAP"
	read on _ < "$OUT/last"
	run "no rules, app-layer parsing off" -r "$CAP" --set app-layer.enabled=no
	read off _ < "$OUT/last"
	echo "parsing alone = $(echo "scale=1; 100 * ($on - $off) / $on" | bc -l)% of the total time without rules"
	run "ET Open, files hashed (md5, sha256)" -r "$CAP" $CLS --set outputs.eve.types.files-force-hash=md5,sha256 "$@"
	read hon hrss < "$OUT/last"
	nf=$(grep -c '"event_type":"fileinfo"' "$OUT/eve/eve.json" || true)
	nh=$(grep -c '"sha256"' "$OUT/eve/eve.json" || true)
	run "ET Open, files not hashed" -r "$CAP" $CLS "$@"
	read hoff _ < "$OUT/last"
	echo "files: $nf fileinfo records, $nh with digests; hashing md5+sha256 = $(echo "scale=1; 100 * ($hon - $hoff) / $hoff" | bc -l)% of the time (goal: under 15%), peak RSS $hrss MB (goal: under 256 MB)"
else
	echo "benchmark capture or ET Open absent: throughput part skipped (run bench/run.sh first)"
fi
FL="$OUT/flows-$N.pcap"
[ -f "$FL" ] || "$B/bench/vigil-mkflows" "$FL" "$N"
echo "capture: $FL ($N HTTP + $N TLS connections open at once; stream.inline: yes, so that"
echo "  the parsers take each segment as it comes: the capture's peers never acknowledge,"
echo "  and with the IDS timing the bytes would wait in the stream until the flows end)"
run "open flows, app-layer parsing on" -r "$FL" --set stream.inline=yes
read _ ron < "$OUT/last"
peak=$(grep '"event_type":"stats"' "$OUT/eve/eve.json" | tail -1 | grep -o '"memuse_peak":[0-9]*' | head -1 | cut -d: -f2)
http=$(grep -c '"event_type":"http"' "$OUT/eve/eve.json" || true)
tls=$(grep -c '"event_type":"tls"' "$OUT/eve/eve.json" || true)
run "open flows, app-layer parsing off" -r "$FL" --set stream.inline=yes --set app-layer.enabled=no
read _ roff < "$OUT/last"
echo "records: $http http, $tls tls (each flow parsed)"
echo "app-layer memory: peak RSS +$((ron - roff)) MB for $((2 * N)) flows = $(echo "scale=1; ($ron - $roff) * 10000 / (2 * $N)" | bc -l) MB per 10,000 flows; parsers' own peak accounting (bodies, handshakes, chains) $(( ${peak:-0} / 1048576 )) MB"
