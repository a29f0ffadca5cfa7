#!/bin/bash
# "Seeing it" benchmark: the sensor's packet phase with every output on
# (eve.json, a unix-stream consumer, syslog over UDP, Redis) against eve.json
# alone, and its peak RSS; then the event store's ingest rate (records/s) on
# the eve.json that run wrote, and the store's size.  The benchmark capture
# and ET Open (when present) give a realistic record mix.  Where EveBox is
# installed its import of the same eve.json would be the peer; it is not a
# Debian package, so no ratio is printed.
#   usage: bench/seeing.sh BUILD_DIR
# Prints the medians of BENCH_RUNS (7) alternating runs of each set-up:
# packet phase, and the sensor process's CPU time (the consumers run on
# the same two cores, so the wall time measures them too).
set -eu
B="$1"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/bench/out"; CAP="$OUT/bench.pcap"
RUNS="${BENCH_RUNS:-7}"
[ -f "$CAP" ] || { echo "run bench/run.sh first (it builds $CAP)"; exit 1; }
V="$B/src/vigil"
S="$OUT/seeing"; rm -rf "$S"; mkdir -p "$S"
RULES="$ROOT/etc/rules/demo.rules"
[ -f "$OUT/et.rules" ] && RULES="$OUT/et.rules"
PY=/usr/bin/python3
# consumers: a unix-stream reader, a UDP syslog sink, a redis-server
$PY - "$S/consumer.sock" <<'PY' &
import os, socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(4)
while True:
    c, _ = s.accept()
    while c.recv(1 << 20):
        pass
PY
CONS=$!
$PY -c 'import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 15514))
while True: s.recv(1 << 17)' &
SYS=$!
REDIS=""
if command -v redis-server >/dev/null; then
	redis-server --port 16379 --bind 127.0.0.1 --save '' --appendonly no --dir "$S" >/dev/null &
	REDIS=$!
fi
trap 'kill $CONS $SYS $REDIS 2>/dev/null' EXIT
sleep 0.5
# one run: packet phase (s), sensor CPU (user + system s), peak RSS (MB)
one() {
	rm -rf "$S/run"; mkdir -p "$S/run"
	/usr/bin/time -f "%U %S %M" -o "$S/time" "$V" -r "$CAP" -l "$S/run" --no-progress \
		--runmode single -S "$RULES" --set detect.mpm-cache-dir="$OUT/mpmcache" "$@" > "$S/summary" 2> "$S/stderr"
	t=$(sed -nE 's/.*packets .* in ([0-9.]+) s.*/\1/p' "$S/summary")
	read -r u sy m < "$S/time"
	echo "$t $(echo "$u + $sy" | bc -l) $((m / 1024))"
}
ALL=(--set outputs.unix-stream.enabled=yes --set "outputs.unix-stream.path=$S/consumer.sock"
     --set outputs.syslog.enabled=yes --set outputs.syslog.address=udp:127.0.0.1:15514
     --set outputs.syslog.types=)
[ -n "$REDIS" ] && ALL+=(--set outputs.redis.enabled=yes --set outputs.redis.port=16379)
one > /dev/null # fills the prefilter cache: no run below compiles
# runs alternate (eve only, all outputs) so that the machine's drift
# falls on both alike; each figure is the median of RUNS
: > "$S/eve.txt"; : > "$S/all.txt"
for i in $(seq "$RUNS"); do
	one >> "$S/eve.txt"
	one "${ALL[@]}" >> "$S/all.txt"
done
med() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }
t_eve=$(cut -d' ' -f1 "$S/eve.txt" | med); t_all=$(cut -d' ' -f1 "$S/all.txt" | med)
c_eve=$(cut -d' ' -f2 "$S/eve.txt" | med); c_all=$(cut -d' ' -f2 "$S/all.txt" | med)
rss_eve=$(cut -d' ' -f3 "$S/eve.txt" | med); rss_all=$(cut -d' ' -f3 "$S/all.txt" | med)
recs=$(wc -l < "$S/run/eve.json")
out=$(grep -o '"output":{[^}]*}' "$S/run/eve.json" | tail -1)
echo "rules: $(basename "$RULES"); capture: $(( $(stat -c %s "$CAP") / 1000000 )) MB; $recs eve records"
echo "medians of $RUNS alternating runs (packet phase; the sensor process's CPU, user + system):"
printf '%-44s %7s s  CPU %6.2f s  peak RSS %4d MB\n' "eve.json only" "$t_eve" "$c_eve" "$rss_eve"
printf '%-44s %7s s  CPU %6.2f s  peak RSS %4d MB\n' "eve.json + unix-stream + syslog + redis" "$t_all" "$c_all" "$rss_all"
echo "all outputs / eve only: packet phase $(echo "$t_all / $t_eve" | bc -l | cut -c1-5), sensor CPU $(echo "$c_all / $c_eve" | bc -l | cut -c1-5) (goal <= 1.05)"
echo "last stats record: $out"
# the store
rm -f "$S/store.db"*
/usr/bin/time -f "%M" -o "$S/rss" "$V" store --eve "$S/run/eve.json" --db "$S/store.db" --once \
	--set store.max-age=0 --set store.max-size=0 2> "$S/store.log"
line=$(grep "records added" "$S/store.log")
echo "store ingest: $(echo "$line" | sed -E 's/.*store: //')  peak RSS $(( $(cat "$S/rss") / 1024 )) MB"
