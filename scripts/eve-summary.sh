#!/bin/sh
# Prints what an eve.json holds: records by type, then one of each type.
set -eu
f="$1"
echo
echo "eve.json: $f"
grep -o '"event_type":"[a-z_]*"' "$f" | sort | uniq -c | sed 's/"event_type"://; s/"//g' |
	awk '{printf "  %-10s %s records\n", $2, $1}'
echo
if grep -q '"event_type":"alert"' "$f"; then
	echo "alerts:"
	grep '"event_type":"alert"' "$f" | sed -E 's/.*"src_ip":"([^"]*)".*"dest_ip":"([^"]*)".*"action":"([a-z]*)".*"signature_id":([0-9]*).*"signature":"([^"]*)".*/  \3 sid \4 \1 -> \2: \5/'
	echo
fi
echo "one flow record:"
grep -m1 '"event_type":"flow"' "$f" | sed 's/^/  /'
if grep -q '"event_type":"anomaly"' "$f"; then
	echo "one anomaly record:"
	grep -m1 '"event_type":"anomaly"' "$f" | sed 's/^/  /'
fi
echo
echo "Try: grep '\"event_type\":\"flow\"' $f | head"
