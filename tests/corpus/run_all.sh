#!/bin/sh
# Runs the (ASan+UBSan) vigil over every capture under ../shared/corpora,
# tcpdump's malformed set included.  Any sanitizer report, leak, crash or
# RSS above the limit fails the test.  Exit 77 when the corpus is absent.
set -u
V="$1"; C="$2"
[ -d "$C" ] || { echo "corpora absent: skipped"; exit 77; }
T=$(mktemp -d); trap 'rm -rf "$T"' EXIT
find "$C" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' -o -name '*.trace' \) | sort > "$T/list"
total=$(wc -l < "$T/list")
export ASAN_OPTIONS="detect_leaks=1:exitcode=99:hard_rss_limit_mb=1024:allocator_may_return_null=1"
export UBSAN_OPTIONS="halt_on_error=1:exitcode=98:print_stacktrace=1"
export V T
fails=$(xargs -P "$(nproc)" -I{} sh -c '
	d=$(mktemp -d "$T/r.XXXXXX")
	"$V" -r "$1" -l "$d" --runmode single --no-progress \
		--set outputs.eve.types.anomaly-decode=yes --set outputs.eve.types.anomaly-stream=yes \
		>/dev/null 2>"$d/err"
	rc=$?
	if [ $rc -gt 1 ] || grep -q "Sanitizer\|runtime error" "$d/err"; then
		echo "FAIL rc=$rc $1"; head -20 "$d/err"
	fi
	rm -rf "$d"' _ {} < "$T/list")
nf=$(printf '%s' "$fails" | grep -c '^FAIL' || true)
[ -n "$fails" ] && printf '%s\n' "$fails"
echo "corpus: $total captures, $((total - nf)) passed, $nf failed"
[ "$nf" -eq 0 ]
