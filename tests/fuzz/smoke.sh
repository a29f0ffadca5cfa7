#!/bin/sh
# Fuzz smoke run for CI: replays the committed regression inputs, then
# fuzzes for a short time seeded from corpus captures (or the regression
# inputs alone when the corpus is absent).  Anything found is saved under
# tests/fuzz/found/ to be committed as a regression.
#   usage: smoke.sh FUZZER TARGET FUZZDIR CORPORA [SECONDS]
set -eu
F="$1"; TARGET="$2"; DIR="$3"; C="$4"; SECS="${5:-25}"
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
REG="$DIR/regressions/$TARGET"
mkdir -p "$T/seeds" "$DIR/found"
if ls "$REG"/* >/dev/null 2>&1; then
	"$F" -runs=0 "$REG"/* >/dev/null 2>&1 || { echo "FAIL: a regression input crashes"; exit 1; }
	cp "$REG"/* "$T/seeds/"
fi
if [ "$TARGET" = rules ] || [ "$TARGET" = match ]; then
	# seeds: real rules (ET Open when present, else vigil's demo rules)
	RULES="$DIR/../../etc/rules/demo.rules"
	[ -d "$C/et-open/rules" ] && RULES=$(ls "$C"/et-open/rules/emerging-exploit.rules "$C"/et-open/rules/emerging-scan.rules 2>/dev/null)
	i=0
	cat $RULES | grep -E '^(alert|drop|pass|reject)' | head -400 | while IFS= read -r line; do
		i=$((i + 1))
		if [ "$TARGET" = rules ]; then
			printf '%s' "$line" > "$T/seeds/r$i"
		else
			opts=$(printf '%s' "$line" | sed -E 's/^[^(]*\((.*)\)[[:space:]]*$/\1/; s/sid:[0-9]+;//')
			printf '%s\000GET /index.html HTTP/1.1\r\nHost: example.com\r\n\r\n' "$opts" > "$T/seeds/m$i"
		fi
	done
elif [ -d "$C/pcaps/tcpdump" ] && { [ "$TARGET" = pcap ] || [ "$TARGET" = decode ]; }; then
	if [ "$TARGET" = pcap ]; then
		find "$C/pcaps/tcpdump" -name '*.pcap*' -size -64k | head -200 | while read -r f; do cp "$f" "$T/seeds/"; done
	else
		# decode seeds: single frames cut from small captures
		find "$C/pcaps/tcpdump" -name '*.pcap' -size -16k | head -150 | while read -r f; do
			b=$(basename "$f"); tail -c +41 "$f" | head -c 1500 > "$T/seeds/$b" 2>/dev/null || true
		done
	fi
fi
ASAN_OPTIONS="detect_leaks=1" "$F" -max_total_time="$SECS" -rss_limit_mb=2048 -max_len=65536 \
	-artifact_prefix="$DIR/found/$TARGET-" "$T/seeds" > "$T/log" 2>&1 || {
	tail -40 "$T/log"; echo "FAIL: fuzz_$TARGET found a crash (saved in tests/fuzz/found/)"; exit 1; }
grep -E "^#[0-9]+.*DONE|stat::number_of_executed_units" "$T/log" | tail -1 || tail -2 "$T/log"
echo "fuzz_$TARGET: 1 passed, 0 failed"
