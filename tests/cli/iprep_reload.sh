#!/bin/sh
# IP reputation across a SIGUSR2 reload while packets flow (as reload.sh):
# an iprep rule on the demo capture's pings to 93.184.216.34.  Run 1: the
# address scores 10, then half-way the file gives its /24 a score of 100
# and vigil reloads: the rule alerts only after the reload.  Run 2: it
# scores 100, then half-way the categories file is gone and the reload
# fails: the running set stays and every ping alerts.
set -eu
V="$1"; GEN="$2"
T=$(mktemp -d); W=; trap 'kill $W 2>/dev/null || true; rm -rf "$T"' EXIT
REPS=300
"$GEN" "$T/in.pcap" $REPS
half=$(($(stat -c %s "$T/in.pcap") / 2))
echo 'alert icmp any any -> any any (msg:"bad destination"; itype:8; iprep:dst,Bad,>,50; sid:1;)' > "$T/r.rules"
mkfifo "$T/fifo"
# run LOG_WANTED: feeds half the capture, runs change(), sends SIGUSR2,
# waits for the log line, sends the rest; prints the alerts
run() {
	rm -f "$T/eve.json" "$T/err"
	"$V" -r "$T/fifo" -S "$T/r.rules" -l "$T" --runmode single --no-progress -v \
		--set "reputation-categories-file=$T/cats.txt" --set reputation-files=rep.list \
		--set "default-reputation-path=$T" > "$T/out" 2> "$T/err" &
	V_PID=$!
	( head -c "$half" "$T/in.pcap"; while ! grep -q "$1" "$T/err"; do sleep 0.1; done
	  tail -c +"$((half + 1))" "$T/in.pcap" ) > "$T/fifo" &
	W=$!
	sleep 1
	change
	kill -USR2 $V_PID
	n=0; while ! grep -q "$1" "$T/err"; do sleep 0.1; n=$((n + 1)); [ $n -lt 150 ] || { echo "FAIL: no \"$1\""; cat "$T/err"; exit 1; }; done
	wait $W
	wait $V_PID
	grep -c '"signature_id":1,' "$T/eve.json" || true
}
echo '1,Bad,bad hosts' > "$T/cats.txt"
echo '93.184.216.34,1,10' > "$T/rep.list"
change() { echo '93.184.216.0/24,1,100' > "$T/rep.list"; }
a=$(run "rules reloaded")
echo "iprep reload: $a of $REPS pings alerted (only after the reload)"
[ "$a" -gt 0 ] && [ "$a" -lt $REPS ] || { echo "FAIL: the reloaded reputation is not (only) in use after the reload"; exit 1; }
echo '93.184.216.34,1,100' > "$T/rep.list"
change() { rm "$T/cats.txt"; }
b=$(run "rule reload failed")
echo "iprep failed reload: $b of $REPS pings alerted"
[ "$b" -eq $REPS ] || { echo "FAIL: the running reputation was not kept when the reload failed"; exit 1; }
echo "iprep reload: 2 passed, 0 failed"
