#!/bin/bash
# Nothing allocated on the packet path once warmed up: the benchmark's
# capture (built the way bench/run.sh builds it, from the corpora's
# Ethernet captures repeated with shifted addresses, but smaller) is read
# with every ET Open rule loaded, in single and workers mode, and the
# end-of-run alloc.packet_path counter (calls to malloc, calloc or realloc
# made while handling packets after the first second of packet time) must
# be 0.  The reserve (alloc.prealloc-blocks) and the per-worker cache of
# freed blocks are what make it so; with the reserve off the same run must
# count allocations, so the counter is known to see them.
#   packet_alloc.sh VIGIL MKCAPTURE CORPORA
set -u
V="$1"; MK="$2"; CORPORA="$3"
C="$CORPORA/pcaps"
[ -d "$C" ] || { echo "packet_alloc: skipped: corpora absent"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
. "$(dirname "$0")/../check.sh"
find "$C/zeek" "$C/ntopng-e2e-tests" "$C/chrissanders-packets" "$C/arkime" \
	-name '*.pcap' -size +100k 2>/dev/null | sort > "$T/inputs.txt"
"$MK" "$T/cap.pcap" 80 600 $(cat "$T/inputs.txt") 2> /dev/null
check "capture built" test -s "$T/cap.pcap"
rules=()
if [ -d "$CORPORA/et-open/rules" ]; then
	cat "$CORPORA"/et-open/rules/*.rules > "$T/et.rules"
	rules=(-S "$T/et.rules" --set classification-file="$CORPORA/et-open/rules/classification.config")
fi
count() { # prints alloc.packet_path of the last stats record
	python3 -c 'import json,sys
last=None
for l in open(sys.argv[1]):
    r=json.loads(l)
    if r.get("event_type")=="stats": last=r["stats"]["alloc"]["packet_path"]
print(last)' "$T/eve.json"
}
for mode in single workers; do
	rm -f "$T/eve.json"
	"$V" -r "$T/cap.pcap" "${rules[@]}" -l "$T" --runmode $mode --no-progress \
		--set detect.mpm-cache-dir="$T/cache" > "$T/out" 2> "$T/err"
	check "$mode: run ends cleanly" test $? = 0
	n=$(count)
	echo "$mode: alloc.packet_path = $n ($(sed -n 's/^  packets *\([0-9]*\).*/\1 packets/p' "$T/out"))"
	check "$mode: no allocation on the packet path after warm-up" test "$n" = 0
done
rm -f "$T/eve.json"
"$V" -r "$T/cap.pcap" "${rules[@]}" -l "$T" --runmode single --no-progress \
	--set detect.mpm-cache-dir="$T/cache" --set alloc.prealloc-blocks=0 > "$T/out" 2> "$T/err"
n=$(count)
echo "single, no reserve: alloc.packet_path = $n"
check "the counter sees allocations when there is no reserve" test "$n" -gt 0
check_done packet_alloc
