#!/bin/sh
# bench/evediff.py: two runs of vigil on the demo capture agree (exit 0);
# a run with one rule removed and one rule's alerts doubled differs by
# exactly those sids, with the flow named (exit 1).
#   evediff.sh VIGIL GEN_PCAP SRC_ROOT
set -eu
V="$1"; G="$2"; SRC="$3"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
"$G" "$T/demo.pcap" >/dev/null
mkdir "$T/a" "$T/b"
"$V" -r "$T/demo.pcap" -l "$T/a" --runmode single -S "$SRC/etc/rules/demo.rules" >/dev/null
"$V" -r "$T/demo.pcap" -l "$T/b" --runmode single -S "$SRC/etc/rules/demo.rules" >/dev/null
python3 "$SRC/bench/evediff.py" "$T/a/eve.json" "$T/b/eve.json" > "$T/same" || { cat "$T/same"; echo "FAIL: identical runs differ"; exit 1; }
grep -q "different counts: 0 " "$T/same" || { cat "$T/same"; echo "FAIL: summary"; exit 1; }
# b: no 9000003 alerts, 9000006's alert twice
grep -v '"signature_id":9000003' "$T/a/eve.json" > "$T/b/eve.json"
grep '"signature_id":9000006' "$T/a/eve.json" >> "$T/b/eve.json"
if python3 "$SRC/bench/evediff.py" "$T/a/eve.json" "$T/b/eve.json" --names vigil,other --flows > "$T/diff"; then
	cat "$T/diff"; echo "FAIL: a difference reported as agreement"; exit 1
fi
cat "$T/diff"
grep -q "different counts: 2 (only vigil: 1, only other: 0)" "$T/diff" || { echo "FAIL: counts"; exit 1; }
grep -Eq '^ +9000003 +1 +0 ' "$T/diff" || { echo "FAIL: sid 9000003 row"; exit 1; }
grep -Eq '^ +9000006 +1 +2 ' "$T/diff" || { echo "FAIL: sid 9000006 row"; exit 1; }
grep -Eq '^ +1 +0 +1:' "$T/diff" || { echo "FAIL: the flow of 9000003 (community id)"; exit 1; }
echo "evediff: 5 passed, 0 failed"
