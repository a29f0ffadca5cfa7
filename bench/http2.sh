#!/bin/sh
# HTTP/2 parsing cost per request (issue 12's benchmark).  A capture of
# CONNS cleartext HTTP/2 sessions (prior knowledge) of REQS requests each
# (bench/mkh2.py: every request's headers HPACK literals, each answered by
# HEADERS and 100 bytes of DATA), read by one worker with no rules, best
# of REPS (3) runs each:
#   off     app-layer.enabled: no (decoding, flows and TCP tracking only;
#           with HTTP/2 alone turned off, the sessions' bytes would be kept
#           and probed as an unknown protocol, which costs more)
#   parse   HTTP/2 parsed, no http or fileinfo records
#           (outputs.eve.types.http2, files: no)
#   log     parsed, an eve http and a fileinfo record per stream (the
#           default)
# The cost per request is the run's time minus "off", over the requests:
# reassembly, protocol detection, frames, HPACK, streams as transactions
# (and the records, for "log").
# Prints the figures; checks that "log" wrote one record per request.
#   usage: bench/http2.sh BUILD_DIR [CONNS] [REQS]
set -eu
B="$1"; CONNS="${2:-1000}"; REQS="${3:-100}"; REPS="${REPS:-3}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/bench/out/http2"; mkdir -p "$OUT"
CAP="$OUT/h2-$CONNS-$REQS.pcap"
[ -s "$CAP" ] || python3 "$ROOT/bench/mkh2.py" "$CAP" "$CONNS" "$REQS"
: > "$OUT/none.rules"
N=$((CONNS * REQS))
run() { # args...: the best run's CPU seconds (user + system: steadier than
	# wall time on a shared machine) and its peak RSS (KB)
	best=""; rss=""
	for i in $(seq "$REPS"); do
		rm -rf "$OUT/eve"; mkdir -p "$OUT/eve"
		/usr/bin/time -f "%U %S %M" -o "$OUT/rss" "$B/src/vigil" -r "$CAP" -S "$OUT/none.rules" \
			-l "$OUT/eve" --no-progress --runmode single "$@" > "$OUT/summary" 2>/dev/null
		read -r u sy m < "$OUT/rss"
		s=$(echo "$u + $sy" | bc -l)
		if [ -z "$best" ] || [ "$(echo "$s < $best" | bc -l)" = 1 ]; then
			best="$s"; rss=$m
		fi
	done
	echo "$best $rss"
}
echo "HTTP/2: $CONNS sessions x $REQS requests = $N requests, $(du -m "$CAP" | cut -f1) MB, one worker, no rules, best of $REPS by CPU time"
set -- $(run --set app-layer.enabled=no); off=$1; off_rss=$2
set -- $(run --set outputs.eve.types.http2=no --set outputs.eve.types.files=no); parse=$1; parse_rss=$2
set -- $(run); log=$1; log_rss=$2
recs=$(grep -c '"event_type":"http".*"http2":{"stream_id":[1-9]' "$OUT/eve/eve.json" || true)
us() { echo "scale=2; ($1 - $off) * 1000000 / $N" | bc -l; }
printf "  %-8s %7s s CPU  peak RSS %6d KB\n" off "$off" "$off_rss"
printf "  %-8s %7s s CPU  peak RSS %6d KB  %s us per request\n" parse "$parse" "$parse_rss" "$(us "$parse")"
printf "  %-8s %7s s CPU  peak RSS %6d KB  %s us per request (%s http records)\n" log "$log" "$log_rss" "$(us "$log")" "$recs"
if [ "$recs" -ne "$N" ]; then
	echo "http2: expected $N http records, got $recs" >&2
	exit 1
fi
