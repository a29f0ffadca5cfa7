#!/bin/bash
# Reloading ET Open while packets flow: the memory it costs.  vigil reads
# a capture through a FIFO with every ET Open rule loaded; once its
# background compiling is done, its peak RSS is reset
# (/proc/PID/clear_refs), SIGUSR2 reloads, and the peak during the
# reload is compared with the steady RSS before it.  Three reloads:
#   unchanged  the same rules: every prefilter database is shared with
#              the running engine (checked: none read, compiled or left
#              to the background)
#   changed    every 50th rule dropped, so most sets differ: their
#              databases are compiled (in the background) beside the
#              running engine; the peak is taken when they are ready
#   cached     the same change, with the cache filled first by
#              `vigil -T --set detect.prefilter-compile=load` (what
#              vigil-update does): the changed databases are read
# Checks that each reload happened and the run ended cleanly; prints the
# figures (no timing or size assertion: those are the benchmark's).
#   reload_et.sh VIGIL GEN_PCAP CORPORA
set -u
V="$1"; GEN="$2"; CORPORA="$3"
[ -d "$CORPORA/et-open/rules" ] || { echo "reload_et: skipped: ET Open corpus absent"; exit 77; }
T=$(mktemp -d); pid=""; feeder=""
trap 'kill $feeder $pid 2>/dev/null; rm -rf "$T"' EXIT
cat "$CORPORA"/et-open/rules/*.rules > "$T/et.rules"
awk '!/^alert|^drop|^pass|^reject/ || ++n % 50' "$T/et.rules" > "$T/changed.rules"
"$GEN" "$T/in.pcap" 200 > /dev/null
. "$(dirname "$0")/../check.sh"
mb() { echo $(( $(sed -n "s/^$1:[[:space:]]*\([0-9]*\) kB/\1/p" /proc/$pid/status) / 1024 )); }
for mode in unchanged changed cached; do
	cache=""
	cp "$T/et.rules" "$T/run.rules"
	if [ $mode = cached ]; then
		cache="$T/cache"
		"$V" -T -S "$T/changed.rules" --set detect.mpm-cache-dir="$cache" \
			--set detect.prefilter-compile=load > /dev/null 2>&1
	fi
	rm -f "$T/fifo" "$T/eve.json" "$T/err"; mkfifo "$T/fifo"
	"$V" -r "$T/fifo" -S "$T/run.rules" -l "$T" --runmode single --no-progress -v \
		--set detect.mpm-cache-dir="$cache" --set detect.compile-threads=1 > "$T/out" 2> "$T/err" &
	pid=$!
	# the file header at once (vigil reads it before loading rules), a
	# first packet (which starts the background compiling), the rest
	# once the reload is measured; between, packets that make the worker
	# switch to the new rules and free the old
	rm -f "$T/go"
	( head -c 24 "$T/in.pcap"; "$GEN" /dev/stdout 1 | tail -c +25
	  while ! grep -q "rules reloaded\|reload failed" "$T/err" 2>/dev/null; do sleep 0.1; done
	  "$GEN" /dev/stdout 1 | tail -c +25
	  while [ ! -e "$T/go" ]; do sleep 0.1; done; tail -c +25 "$T/in.pcap" ) > "$T/fifo" &
	feeder=$!
	for i in $(seq 300); do grep -q "rules: .* loaded" "$T/err" && break; sleep 0.1; done
	# the running engine's databases all compiled (the line comes when
	# some were left to the background)
	for i in $(seq 600); do grep -q "all ready" "$T/err" && break; sleep 0.1; done
	sleep 0.5
	steady=$(mb VmRSS)
	[ $mode = unchanged ] || cp "$T/changed.rules" "$T/run.rules"
	ready=$(grep -c "all ready" "$T/err")
	echo 5 > /proc/$pid/clear_refs
	kill -USR2 $pid
	for i in $(seq 600); do grep -q "rules reloaded\|reload failed" "$T/err" && break; sleep 0.1; done
	# and what it left to the background compiled
	if ! grep -q "rules reloaded: .* 0 left to the background" "$T/err"; then
		for i in $(seq 600); do
			[ "$(grep -c "all ready" "$T/err")" -gt "$ready" ] && break; sleep 0.1; done
	fi
	peak=$(mb VmHWM)
	touch "$T/go"
	wait $feeder; wait $pid; rc=$?
	line=$(grep -o "rules reloaded: .*" "$T/err")
	echo "  ET Open reload, $mode rules: steady RSS $steady MB, peak during the reload $peak MB ($(echo "scale=2; $peak / $steady" | bc)x)"
	echo "    $line"
	n=$(grep -c "^alert\|^drop\|^pass\|^reject" "$T/run.rules")
	check "reload ($mode) happened" grep -q "rules reloaded: [0-9]* loaded" "$T/err"
	if [ $mode = unchanged ]; then
		check "an unchanged reload shares every database" \
			grep -q "databases: [1-9][0-9]* shared with the running rules, 0 read from the cache, 0 compiled, 0 left" "$T/err"
	fi
	[ $mode = cached ] && check "a cached reload reads the changed databases" \
		grep -q "databases: [0-9]* shared with the running rules, [1-9][0-9]* read from the cache, 0 compiled, 0 left" "$T/err"
	check "the run ended cleanly after it" [ $rc -eq 0 ]
	pid=""; feeder=""
done
check_done reload_et
