#!/bin/sh
# Longer fuzzing by hand: tests/fuzz/run.sh BUILD_DIR SECONDS
set -eu
B="$1"; S="${2:-300}"
D="$(cd "$(dirname "$0")" && pwd)"
for t in decode pcap; do
	sh "$D/smoke.sh" "$B/tests/fuzz_$t" "$t" "$D" "$D/../../../shared/corpora" "$S"
done
