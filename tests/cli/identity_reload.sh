#!/bin/bash
# The identity map reloads while packets flow: vigil reads a capture through
# a FIFO with identity.file naming the clients (10.137.0.0/24) "before"; a third
# of the way the file is rewritten ("after") and vigil gets SIGHUP; two
# thirds of the way the file is rewritten again ("later") without a signal,
# and vigil notices the change itself (policy.check-interval: 1); then a
# broken file is written and signalled, and vigil keeps "later" for the
# last third.  Checks:
# each reload happened (log lines), every DNS query record names the client
# (none lost or unnamed across the swaps), records carry each name in turn,
# the broken file's error names its file and line.
#   identity_reload.sh VIGIL GEN_PCAP MODE
set -u
V="$1"; GEN="$2"; MODE="${3:-workers}"
T=$(mktemp -d); W=""; VP=""
trap 'kill $W $VP 2>/dev/null; rm -rf "$T"' EXIT
. "$(dirname "$0")/../check.sh"
REPS=600
"$GEN" "$T/in.pcap" $REPS
size=$(stat -c %s "$T/in.pcap")
third=$((size / 3))
printf 'before:\n  addresses: [10.137.0.0/24]\nqubes-dns: 10.139.1.0/24\n' > "$T/vms.yaml"
mkfifo "$T/fifo"
"$V" -r "$T/fifo" -l "$T" --runmode "$MODE" --set threads=2 --no-progress -v \
	--set identity.file="$T/vms.yaml" --set policy.check-interval=1 > "$T/out" 2> "$T/err" &
VP=$!
WAITLOG="$T/err" # what waitlog (tests/check.sh) reads
( head -c "$third" "$T/in.pcap"
  waitlog "identity reloaded" 1
  tail -c +"$((third + 1))" "$T/in.pcap" | head -c "$third"
  waitlog "identity reloaded" 2
  waitlog "identity reload failed" 1
  tail -c +"$((2 * third + 1))" "$T/in.pcap" ) > "$T/fifo" &
W=$!
sleep 1
printf 'after:\n  addresses: [10.137.0.0/24]\nqubes-dns: 10.139.1.0/24\n' > "$T/vms.yaml.new"
mv "$T/vms.yaml.new" "$T/vms.yaml"
kill -HUP $VP
check "SIGHUP reloads the identity file" waitlog "identity reloaded" 1
sleep 1.2 # a different modification time from the first rewrite
printf 'later:\n  addresses: [10.137.0.0/24]\nqubes-dns: 10.139.1.0/24\n' > "$T/vms.yaml.new"
mv "$T/vms.yaml.new" "$T/vms.yaml"
check "a changed file is noticed without a signal" waitlog "identity reloaded" 2
sleep 0.3
printf 'later:\n  addresses: [10.137.0.0/24]\n  colour: blue\n' > "$T/vms.yaml.new"
mv "$T/vms.yaml.new" "$T/vms.yaml"
kill -HUP $VP
check "a broken file is refused" waitlog "identity reload failed" 1
check "the refusal names the file and line" grep -q "vms.yaml:3: unknown key" "$T/err"
wait $W
wait $VP
check "the run ends cleanly" test $? = 0
q() { python3 -c 'import json,sys
n=0
for l in open(sys.argv[1]):
    r=json.loads(l)
    if r.get("event_type")=="dns" and r.get("src_ip","").startswith("10.137.0.") and (sys.argv[2]=="*" or r.get("src_vm")==sys.argv[2]) and r.get("dest_vm")=="qubes-dns":
        n+=1
print(n)' "$T/eve.json" "$1"; }
all=$(q '*'); b=$(q before); a=$(q after); l=$(q later)
echo "identity_reload ($MODE): $all of $REPS queries named: before $b, after $a, later $l"
check "every query record names both VMs" test "$all" = $REPS
check "each name in turn" test "$b" -gt 0 -a "$a" -gt 0 -a "$l" -gt 0
check "flows still open at the end are named by the last good map" \
	grep -q '"src_vm":"later"' "$T/eve.json"
check_done "identity_reload ($MODE)"
