#!/bin/bash
# Blocklists reload while packets flow: vigil reads a capture through a
# FIFO (DNS lookups of example.com answered 93.184.216.34, then HTTP to
# it, 600 times) with an address list that does not hold that address;
# a third of the way the list gains 93.184.216.0/24 and vigil gets SIGHUP;
# two thirds of the way the list file is replaced by one vigil cannot
# read, without a signal (policy.check-interval: 1), and vigil keeps the
# lists it has.  Checks: no hit before the reload, hits after it (new
# flows and DNS answers), the failed reload is reported and the hits go
# on, nothing is lost (every query has its DNS record).
#   blocklist_reload.sh VIGIL GEN_PCAP MODE
set -u
V="$1"; GEN="$2"; MODE="${3:-workers}"
T=$(mktemp -d); W=""; VP=""
trap 'kill $W $VP 2>/dev/null; rm -rf "$T"' EXIT
. "$(dirname "$0")/../check.sh"
REPS=600
"$GEN" "$T/in.pcap" $REPS
size=$(stat -c %s "$T/in.pcap")
third=$((size / 3))
printf '198.51.100.0/24\n' > "$T/list.txt"
mkfifo "$T/fifo"
"$V" -r "$T/fifo" -l "$T" --runmode "$MODE" --set threads=2 --no-progress -v \
	--set policy.ip-lists.test="$T/list.txt" --set policy.check-interval=1 > "$T/out" 2> "$T/err" &
VP=$!
WAITLOG="$T/err" # what waitlog (tests/check.sh) reads
hits() { python3 -c 'import json,sys
n=0
for l in open(sys.argv[1]):
    r=json.loads(l)
    if r.get("event_type")=="alert" and r.get("policy",{}).get("type")=="blocklist": n+=1
print(n)' "$T/eve.json"; }
( head -c "$third" "$T/in.pcap"
  waitlog "blocklist test reloaded" 1
  tail -c +"$((third + 1))" "$T/in.pcap" | head -c "$third"
  waitlog "blocklist reload failed" 1
  tail -c +"$((2 * third + 1))" "$T/in.pcap" ) > "$T/fifo" &
W=$!
sleep 1
check "no hit before the list holds the address" test "$(hits)" = 0
printf '# now with the server\n198.51.100.0/24\n93.184.216.0/24\n' > "$T/list.new"
mv "$T/list.new" "$T/list.txt"
kill -HUP $VP
check "SIGHUP reloads the list" waitlog "blocklist test reloaded" 1
sleep 1.2
rm "$T/list.txt"; mkdir "$T/list.txt" # not a file any more
check "a list vigil cannot read is refused" waitlog "blocklist reload failed" 1
wait $W
wait $VP
check "the run ends cleanly" test $? = 0
h=$(hits)
dns=$(grep -c '"event_type":"dns"' "$T/eve.json")
flows=$(grep '"gid":7' "$T/eve.json" | grep -c '"field":"dest_ip"')
answers=$(grep '"gid":7' "$T/eve.json" | grep -c '"field":"dns.answer.address"')
echo "blocklist_reload ($MODE): $h hits ($flows new flows, $answers DNS answers), $dns DNS records"
check "hits after the reload, from new flows and DNS answers" test "$flows" -gt 100 -a "$answers" -gt 100
# DNS answers hit in the capture's last sixth (well after the failed reload)
late=$(python3 -c 'import json,sys
recs=[json.loads(l) for l in open(sys.argv[1])]
last=max(r.get("pcap_cnt",0) for r in recs)
print(sum(1 for r in recs if r.get("event_type")=="alert" and r.get("policy",{}).get("type")=="blocklist"
          and r["policy"]["field"]=="dns.answer.address" and r.get("pcap_cnt",0) > last*5//6))' "$T/eve.json")
check "the running lists stay after a failed reload ($late hits in the last sixth)" \
	test "$late" -ge $((REPS / 6 - 2))
check "no DNS record lost" test "$dns" = $((2 * REPS))
check_done "blocklist_reload ($MODE)"
