#!/bin/bash
# Reloading ET Open while packets flow: the memory it costs.  vigil reads
# a capture through a FIFO with every ET Open rule loaded; once it runs,
# its peak RSS is reset (/proc/PID/clear_refs), SIGUSR2 reloads the same
# rules, and the peak during the reload is compared with the steady RSS
# before it.  Twice: without the prefilter cache (the new engine's
# databases are compiled beside the running engine) and with it (read).
# Checks that each reload happened and the run ended cleanly; prints the
# figures (no timing or size assertion: those are the benchmark's).
#   reload_et.sh VIGIL GEN_PCAP CORPORA
set -u
V="$1"; GEN="$2"; CORPORA="$3"
[ -d "$CORPORA/et-open/rules" ] || { echo "reload_et: skipped: ET Open corpus absent"; exit 77; }
T=$(mktemp -d); pid=""; feeder=""
trap 'kill $feeder $pid 2>/dev/null; rm -rf "$T"' EXIT
cat "$CORPORA"/et-open/rules/*.rules > "$T/et.rules"
"$GEN" "$T/in.pcap" 200 > /dev/null
. "$(dirname "$0")/../check.sh"
mb() { echo $(( $(sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" /proc/$pid/status) / 1024 )); }
for mode in compiled cached; do
	cache=""
	[ $mode = cached ] && cache="$T/cache"
	# a cached reload needs the cache filled once
	[ $mode = cached ] && "$V" -T -S "$T/et.rules" --set detect.mpm-cache-dir="$cache" > /dev/null 2>&1
	rm -f "$T/fifo" "$T/eve.json" "$T/err"; mkfifo "$T/fifo"
	"$V" -r "$T/fifo" -S "$T/et.rules" -l "$T" --runmode single --no-progress -v \
		--set detect.mpm-cache-dir="$cache" --set detect.compile-threads=1 > "$T/out" 2> "$T/err" &
	pid=$!
	# the file header at once (vigil reads it before loading rules), the
	# packets after the reload
	( head -c 24 "$T/in.pcap"; while ! grep -q "rules reloaded\|reload failed" "$T/err" 2>/dev/null; do
		sleep 0.1; done; tail -c +25 "$T/in.pcap" ) > "$T/fifo" &
	feeder=$!
	for i in $(seq 300); do grep -q "rules: .* loaded" "$T/err" && break; sleep 0.1; done
	sleep 0.5
	steady=$(mb VmRSS)
	echo 5 > /proc/$pid/clear_refs
	kill -USR2 $pid
	for i in $(seq 600); do grep -q "rules reloaded\|reload failed" "$T/err" && break; sleep 0.1; done
	peak=$(mb VmHWM)
	wait $feeder; wait $pid; rc=$?
	echo "  ET Open reload, databases $mode: steady RSS $steady MB, peak during the reload $peak MB ($(echo "scale=2; $peak / $steady" | bc)x)"
	n=$(grep -o "rules: [0-9]* loaded" "$T/err" | head -1 | grep -o "[0-9]*")
	check "reload ($mode) happened" grep -q "rules reloaded: ${n:-x} loaded" "$T/err"
	check "the run ended cleanly after it" [ $rc -eq 0 ]
	pid=""; feeder=""
done
check_done reload_et
