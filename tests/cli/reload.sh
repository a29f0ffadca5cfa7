#!/bin/sh
# SIGUSR2 reload while packets flow: vigil reads a capture through a FIFO;
# half-way the rule file gains a rule and vigil is sent SIGUSR2.  Checks:
# the reload happens (log line, stats counter), the new rule alerts
# afterwards, and the old rule's alerts are all there (one per DNS query
# in the capture: nothing lost while the engines were swapped).
set -eu
V="$1"; GEN="$2"; MODE="${3:-workers}"
T=$(mktemp -d); trap 'kill $W 2>/dev/null || true; rm -rf "$T"' EXIT
REPS=400
"$GEN" "$T/in.pcap" $REPS
size=$(stat -c %s "$T/in.pcap")
half=$((size / 2))
grep 'sid:9000003;' "$(dirname "$0")/../../etc/rules/demo.rules" > "$T/r.rules"
mkfifo "$T/fifo"
"$V" -r "$T/fifo" -S "$T/r.rules" -l "$T" --runmode "$MODE" --set threads=2 --no-progress -v \
	> "$T/out" 2> "$T/err" &
V_PID=$!
# the first half, then wait for the reload before sending the rest
( head -c "$half" "$T/in.pcap"; while ! grep -q "rules reloaded" "$T/err"; do sleep 0.1; done
  tail -c +"$((half + 1))" "$T/in.pcap" ) > "$T/fifo" &
W=$!
sleep 1
grep 'sid:9000006;' "$(dirname "$0")/../../etc/rules/demo.rules" | sed 's/threshold:[^;]*;//' >> "$T/r.rules"
kill -USR2 $V_PID
n=0; while ! grep -q "rules reloaded" "$T/err"; do sleep 0.1; n=$((n + 1)); [ $n -lt 100 ] || { echo "FAIL: no reload"; cat "$T/err"; exit 1; }; done
wait $W
wait $V_PID
dns=$(grep -c '"signature_id":9000003' "$T/eve.json")
ping=$(grep -c '"signature_id":9000006' "$T/eve.json" || true)
reloads=$(grep '"event_type":"stats"' "$T/eve.json" | tail -1 | grep -o '"reloads":[0-9]*' | cut -d: -f2)
echo "reload ($MODE): dns alerts $dns of $REPS, ping alerts after reload $ping, reloads $reloads"
[ "$dns" -eq $REPS ] || { echo "FAIL: DNS alerts lost across the reload"; exit 1; }
[ "$ping" -gt 0 ] && [ "$ping" -lt $REPS ] || { echo "FAIL: new rule not (only) active after the reload"; exit 1; }
[ "$reloads" -ge 1 ] || { echo "FAIL: reload not counted"; exit 1; }
echo "reload: 1 passed, 0 failed"
