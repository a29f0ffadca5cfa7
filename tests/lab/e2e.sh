#!/bin/bash
# End-to-end tests in the namespace lab (lab/lab.sh), vigil inline on
# NFQUEUE.  Exit 77 (skipped) where namespaces cannot be made.
#   e2e.sh VIGIL CASE     CASE: demo | alerts | notify | failmode | passive | rotate | load | policy | replace
set -u
export VIGIL="$1"
CASE="$2"
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
export LAB_DIR
LAB_DIR=$(mktemp -d /tmp/vigil-lab.XXXXXX)
. "$ROOT/lab/lab.sh"
trap 'vigil_stop; down; rm -rf "$LAB_DIR"' EXIT
can_run || exit 77
I=203.0.113.10
. "$ROOT/tests/check.sh"
works() { # prints what the client said when it did not work
	local out; out=$(client "$@" 2>&1) && return 0
	echo "    ($out)"; return 1
}
fails_() { ! client "$@" >/dev/null 2>&1; }

case "$CASE" in
demo)
	# drop, reject, pass and alert rules against real clients and servers
	trap - EXIT
	out=$(demo 2>&1); rc=$?
	echo "$out" | grep -E '^  (ok|WRONG)|^lab:'
	[ $rc -eq 0 ] || fails=1
	# the report groups: the scan is one line with a count, not one per probe
	check "demo report: the scan is one grouped line" \
		[ "$(echo "$out" | grep -c 'VIGIL LAB port scan from 198.51.100.10: [0-9]* probes blocked')" = 1 ]
	n=$(echo "$out" | sed -n 's/.*port scan from 198.51.100.10: \([0-9]*\) probes blocked.*/\1/p')
	check "demo report: the scan's count ($n) covers the probes past the threshold" [ "${n:-0}" -ge 20 ]
	check "demo report: classification filled in" grep -q "why: sid 9100004, Attempted Information Leak" <<< "$out"
	check "demo report: allowed connections listed" grep -q "ALLOWED: .* flows" <<< "$out"
	check "demo report: names eve.json" grep -q "eve.json: .*/eve.json" <<< "$out"
	check "demo fits one screen (<= 60 lines)" [ "$(echo "$out" | wc -l)" -le 60 ]
	rm -rf "$LAB_DIR"
	;;
alerts)
	up || exit 1
	vigil_start -S "$ROOT/etc/rules/lab.rules" -S "$ROOT/tests/lab/app.rules" || exit 1
	works http http://$I/index.html
	fails_ http "http://$I/cgi-bin/../../etc/passwd"
	works tls $I 443 lab.test 1.2
	vigil_stop
	E="$LAB_DIR/eve.json"
	# the alert names the right flow: same 5-tuple, and its flow_id has
	# a flow record that is marked alerted
	a=$(grep '"signature_id":9100002' "$E" | head -1)
	fid=$(echo "$a" | grep -o '"flow_id":[0-9]*' | cut -d: -f2)
	check "reject alert written, blocked" grep -q '"action":"blocked"' <<< "$a"
	check "alert is client -> server:80" grep -q '"src_ip":"198.51.100.10".*"dest_ip":"203.0.113.10","dest_port":80' <<< "$a"
	check "its flow record exists and is alerted" \
		grep -q "\"flow_id\":$fid,\"event_type\":\"flow\".*\"alerted\":true" "$E"
	check "drop record for the rejected packet" grep -q '"event_type":"drop".*"reason":"rules"' "$E"
	check "every eve line is JSON" python3 -c "import json,sys; [json.loads(l) for l in open('$E')]"
	# the app layer through the gateway: certificate, response body,
	# normalised URI, and the records
	check "tls.cert_subject rule on the server's certificate" grep -q '"signature_id":9100030' "$E"
	check "file.data rule on the response body" grep -q '"signature_id":9100031' "$E"
	check "http.uri rule on the normalised traversal URI" grep -q '"signature_id":9100032' "$E"
	check "tls record with the certificate" grep -q '"event_type":"tls".*"subject":"CN=lab.test".*"version":"TLS 1.2".*"ja4":"t12' "$E"
	check "http record with the body length" grep -q '"event_type":"http".*"url":"/index.html".*"status":200,"length":19' "$E"
	;;
notify)
	# the lab's attacks reach a desktop as a few grouped notifications: a
	# real dbus-daemon session bus, a test notification server
	# (tests/notify/listener.py) and vigil notify following the sensor
	command -v dbus-daemon >/dev/null && /usr/bin/python3 -c 'import dbus, gi' 2>/dev/null || exit 77
	up || exit 1
	dbus-daemon --session --nofork --print-address=1 --address="unix:path=$LAB_DIR/bus" \
		> "$LAB_DIR/bus.addr" 2>/dev/null &
	BUS=$!
	for i in $(seq 50); do [ -s "$LAB_DIR/bus.addr" ] && break; sleep 0.1; done
	export DBUS_SESSION_BUS_ADDRESS; DBUS_SESSION_BUS_ADDRESS=$(head -1 "$LAB_DIR/bus.addr")
	/usr/bin/python3 "$ROOT/tests/notify/listener.py" "$LAB_DIR/got.jsonl" &
	LST=$!
	for i in $(seq 50); do [ -f "$LAB_DIR/got.jsonl.ready" ] && break; sleep 0.1; done
	vigil_start -S "$ROOT/etc/rules/lab.rules" --set identity.vms.appvm=198.51.100.10 || exit 1
	"$VIGIL" notify --eve "$LAB_DIR/eve.json" --from-start --via dbus --position "$LAB_DIR/pos" \
		--set notify.group-window=3 --set notify.severity=3 2> "$LAB_DIR/notify.err" &
	NT=$!
	fails_ scan $I 1000 1060
	fails_ dns malware.test $I
	fails_ http "http://$I/cgi-bin/../../etc/passwd"
	fails_ tls $I 443 blocked.test
	sleep 1
	vigil_stop
	sleep 4 # the scan's group window (3 s) ends: its "+N" is shown
	kill -TERM $NT; wait $NT
	kill $LST $BUS 2>/dev/null; wait $LST $BUS 2>/dev/null
	G="$LAB_DIR/got.jsonl"
	sed 's/^/    /' "$G"
	probes=$(grep -c '"signature_id":9100004' "$LAB_DIR/eve.json")
	n() { grep -c "$1" "$G"; }
	check "the scan ($probes alerts): its first alert shown once" [ "$(n '"summary": "appvm: VIGIL LAB port scan"')" = 1 ]
	check "the scan: the rest as one \"+N\" notification" [ "$(n '"summary": "appvm: VIGIL LAB port scan (+')" = 1 ]
	more=$(sed -n 's/.*port scan (+\([0-9]*\)).*/\1/p' "$G" | head -1)
	check "the scan's counts add up (1 + ${more:-0} = $probes)" [ "$((1 + ${more:-0}))" = "$probes" ]
	check "the DNS, HTTP and TLS attacks: one each" \
		[ "$(n 'malware.test')" = 1 -a "$(n 'traversal\|passwd\|\.\./')" -ge 1 -a "$(n 'blocked.test')" = 1 ]
	check "every notification names the VM and what vigil did" \
		[ "$(grep -vEc '"summary": "appvm: .*vigil: (blocked|seen, not blocked)"' "$G")" = 0 ]
	check "the attacks say blocked" [ "$(grep -c 'LAB .*vigil: blocked' "$G")" -ge 5 ]
	check "a handful, not a flood ($(wc -l < "$G") for $probes+ alerts)" [ "$(wc -l < "$G")" -le 8 ]
	;;
failmode)
	# fail-open (--queue-bypass): traffic flows while vigil is stopped
	BYPASS=1 up || exit 1
	check "fail-open, vigil never started: traffic flows" works http http://$I/index.html
	vigil_start -S "$ROOT/etc/rules/lab.rules" || exit 1
	check "fail-open, vigil running: traffic flows" works http http://$I/index.html
	check "fail-open, vigil running: attack blocked" fails_ dns malware.test $I
	vigil_stop
	check "fail-open, vigil stopped: traffic flows" works http http://$I/index.html
	check "fail-open, vigil stopped: attack not blocked (uninspected)" works dns malware.test $I
	down
	# fail-closed (no bypass): nothing crosses while vigil is not running
	BYPASS=0 up || exit 1
	check "fail-closed, vigil stopped: traffic blocked" fails_ http http://$I/index.html
	vigil_start -S "$ROOT/etc/rules/lab.rules" --set nfq.fail-open=no || exit 1
	check "fail-closed, vigil running: traffic flows" works http http://$I/index.html
	vigil_stop
	check "fail-closed, vigil stopped again: traffic blocked" fails_ http http://$I/index.html
	;;
passive)
	# vigil -i on the gateway's client-side interface: sees copies, alerts,
	# blocks nothing (the mirrored-port setup)
	up || exit 1
	in_ns $NS_G $IPT -F FORWARD
	rm -f "$LAB_DIR/eve.json"
	ip netns exec $NS_G "$VIGIL" -i vlab-g0 -l "$LAB_DIR" -S "$ROOT/etc/rules/lab.rules" \
		--runmode single --set "vars.address-groups.HOME_NET=[198.51.100.0/24]" \
		> "$LAB_DIR/vigil.out" 2> "$LAB_DIR/vigil.err" &
	echo $! > "$LAB_DIR/vigil.pid"
	sleep 1
	check "passive: benign request works" works http http://$I/index.html
	check "passive: the bad DNS name is answered (nothing inline)" works dns malware.test $I
	sleep 0.5
	vigil_stop
	check "passive: the drop rule alerted, not blocked" \
		grep -q '"signature_id":9100001.*' "$LAB_DIR/eve.json"
	check "passive: alert says allowed" grep -q '"action":"allowed","gid":1,"signature_id":9100001' "$LAB_DIR/eve.json"
	check "passive: HTTP request alert" grep -q '"signature_id":9100020' "$LAB_DIR/eve.json"
	;;
rotate)
	# SIGHUP log rotation loses nothing
	up || exit 1
	vigil_start -S "$ROOT/etc/rules/lab.rules" || exit 1
	for i in 1 2 3 4 5; do works http http://$I/index.html; done
	mv "$LAB_DIR/eve.json" "$LAB_DIR/eve.json.1"
	kill -HUP "$(cat "$LAB_DIR/vigil.pid")"
	for i in 1 2 3 4 5 6 7; do works http http://$I/index.html; done
	vigil_stop
	n1=$(grep -c '"signature_id":9100020' "$LAB_DIR/eve.json.1")
	n2=$(grep -c '"signature_id":9100020' "$LAB_DIR/eve.json")
	echo "  alerts before rotation $n1, after $n2"
	check "12 requests, 12 alerts across the two files" test $((n1 + n2)) -eq 12
	check "the new file got the later ones" test "$n2" -ge 7
	check "both files are whole JSON lines" python3 -c "
import json
for f in ('$LAB_DIR/eve.json.1', '$LAB_DIR/eve.json'):
    [json.loads(l) for l in open(f)]"
	;;
load)
	# iperf3 and many connections through the gateway with ET Open loaded
	ET="$ROOT/../shared/corpora/et-open/rules"
	[ -d "$ET" ] || { echo "ET Open absent: skipped"; exit 77; }
	command -v iperf3 >/dev/null && command -v ab >/dev/null || { echo "iperf3/ab missing: skipped"; exit 77; }
	args=(); for f in "$ET"/*.rules; do args+=(-S "$f"); done
	up || exit 1
	ip netns exec $NS_I iperf3 -s -B $I -D --pidfile "$LAB_DIR/iperf.pid" >/dev/null 2>&1
	vigil_start "${args[@]}" --set classification-file="$ET/classification.config" || exit 1
	pid=$(cat "$LAB_DIR/vigil.pid")
	sleep 0.5
	rss0=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
	out=$(ip netns exec $NS_C iperf3 -c $I -t 3 -J 2>&1)
	bps=$(echo "$out" | python3 -c "import json,sys; print(int(json.load(sys.stdin)['end']['sum_received']['bits_per_second']))" 2>/dev/null || echo 0)
	echo "  iperf3 through vigil: $((bps / 1000000)) Mbit/s"
	check "iperf3 TCP stream completes" test "$bps" -gt 0
	abo=$(ip netns exec $NS_C ab -n 2000 -c 20 -s 5 http://$I/index.html 2>&1)
	failed=$(echo "$abo" | awk '/Failed requests/ {print $3}')
	done_=$(echo "$abo" | awk '/Complete requests/ {print $3}')
	echo "  ab: $done_ requests complete, $failed failed"
	check "2000 HTTP requests, none failed" test "${failed:-1}" -eq 0 -a "${done_:-0}" -eq 2000
	rss1=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
	out=$(ip netns exec $NS_C iperf3 -c $I -t 3 -J 2>&1)
	rss2=$(awk '/VmRSS/ {print $2}' /proc/$pid/status)
	echo "  vigil RSS: $((rss0 / 1024)) MB loaded, $((rss1 / 1024)) MB after ab, $((rss2 / 1024)) MB after a second iperf3"
	check "memory flat (second run grows RSS by < 16 MB)" test $((rss2 - rss1)) -lt 16384
	vigil_stop
	check "no legitimate packet dropped by vigil" grep -q "0 dropped, 0 rejected" "$LAB_DIR/vigil.out"
	grep -E "inline|rules " "$LAB_DIR/vigil.out" | sed 's/^/ /'
	kill "$(cat "$LAB_DIR/iperf.pid")" 2>/dev/null
	;;
policy)
	# per-VM policy against a real resolver (dnsmasq) and real servers:
	# app (198.51.100.10) may reach app.test on 80 only, by the addresses
	# its own DNS answers give; bank (.11) is VPN-only with its tunnel
	# down; open (.12) may reach anything but blocklisted names
	up || exit 1
	C=198.51.100
	for a in 11 12; do in_ns $NS_C ip addr add $C.$a/24 dev vlab-c0; done
	in_ns $NS_I ip addr add 203.0.113.11/24 dev vlab-i0
	# IPv6 through the gateway too (for the VPN-only VM's IPv6 leak)
	in_ns $NS_C ip -6 addr add fd00:1::11/64 dev vlab-c0 nodad
	in_ns $NS_C ip -6 addr add fd00:1::12/64 dev vlab-c0 nodad
	in_ns $NS_C ip -6 route add default via fd00:1::1
	in_ns $NS_G ip -6 addr add fd00:1::1/64 dev vlab-g0 nodad
	in_ns $NS_G ip -6 addr add fd00:2::1/64 dev vlab-g1 nodad
	in_ns $NS_G sysctl -qw net.ipv6.conf.all.forwarding=1
	in_ns $NS_G ip6tables-legacy -A FORWARD -j NFQUEUE --queue-num 0 --queue-bypass
	in_ns $NS_I ip -6 addr add fd00:2::10/64 dev vlab-i0 nodad
	in_ns $NS_I ip -6 route add default via fd00:2::1
	ip netns exec $NS_I $PY -m http.server 80 --bind fd00:2::10 --directory "$LAB_DIR/www" \
		> "$LAB_DIR/http6.log" 2>&1 &
	echo $! > "$LAB_DIR/http6.pid"
	ip netns exec $NS_I $PY -m http.server 80 --bind 203.0.113.11 --directory "$LAB_DIR/www" \
		> "$LAB_DIR/http11.log" 2>&1 &
	echo $! > "$LAB_DIR/http11.pid"
	for i in $(seq 50); do
		in_ns $NS_I $PY -c "import socket; [socket.create_connection((a, 80), 0.2).close() for a in ('203.0.113.11', 'fd00:2::10')]" \
			2>/dev/null && break
		sleep 0.1
	done
	dns_as() { # app.test's address: restart dnsmasq with answers of TTL 1 s
		local old; old=$(cat "$LAB_DIR/dnsmasq.pid" 2>/dev/null)
		[ -n "$old" ] && kill "$old" 2>/dev/null
		for i in $(seq 50); do [ -n "$old" ] && kill -0 "$old" 2>/dev/null || break; sleep 0.1; done
		in_ns $NS_I dnsmasq --conf-file=/dev/null --no-resolv --no-hosts -u root --local-ttl=1 \
			--listen-address=$I --bind-interfaces --pid-file="$LAB_DIR/dnsmasq.pid" \
			--log-queries --log-facility="$LAB_DIR/dnsmasq.log" \
			--address=/app.test/$1 --address=/other.test/$I --address=/malware.test/203.0.113.66
		# until it answers with the new address (asked from its own side)
		for i in $(seq 50); do
			in_ns $NS_I $PY "$ROOT/lab/client.py" rcode app.test $I 2>/dev/null | grep -q " $1\$" && break
			sleep 0.1
		done
	}
	dns_as 203.0.113.10
	cat > "$LAB_DIR/vms.yaml" <<EOF2
app:
  addresses: $C.10
  allow: ["app.test tcp/80"]
bank:
  addresses: [$C.11, "fd00:1::11"]
  vpn: ["$I udp/51820"]
open:
  addresses: [$C.12, "fd00:1::12"]
  policy: allow
EOF2
	echo "malware.test" > "$LAB_DIR/bad-domains.txt"
	vigil_start --set identity.file="$LAB_DIR/vms.yaml" --set policy.resolvers=$I \
		--set policy.dns-grace=6 --set "policy.domain-lists.bad=$LAB_DIR/bad-domains.txt" \
		--set policy.blocklist-action=drop --set policy.idle-session=2 \
		--set policy.session-check-interval=1 --set flow-timeouts.tcp.closed=1 \
		--set policy.beacon-min=4 --set policy.beacon-repeat=600 --set policy.violation-action=reject \
		--set control.state-dir="$LAB_DIR/state" || exit 1
	E="$LAB_DIR/eve.json"
	pol() { grep '"event_type":"alert"' "$E" | grep "\"gid\":7,\"signature_id\":$1,"; }
	# -- the allowlist follows the VM's own DNS answers
	check "app reaches app.test by its name (203.0.113.10)" works fetch app.test $I
	check "app: the same address on a port no rule allows is blocked" fails_ http http://$I:8080/index.html
	out=$(client rcode other.test $I)
	check "app: a question for a name outside its allowlist is answered NXDOMAIN by vigil ($out)" \
		grep -q "rcode other.test: 3" <<< "$out"
	check "app: ... which never reached dnsmasq (its log has app.test, not other.test)" \
		bash -c "grep -q 'query.*app.test' '$LAB_DIR/dnsmasq.log' && ! grep -q other.test '$LAB_DIR/dnsmasq.log'"
	dns_as 203.0.113.11
	check "app.test moved: app reaches it at its new address (203.0.113.11)" works fetch app.test $I
	check "app: the old address still works within TTL + grace" works http http://$I/index.html
	sleep 9 # TTL 1 + grace 6, counted in whole seconds
	check "app: the old address is blocked once TTL + grace are over" fails_ http http://$I/index.html
	check "app: the new one too, until asked again" fails_ http http://203.0.113.11/index.html
	check "app: asked again, it works" works fetch app.test $I
	# -- the VPN-only VM with its tunnel down
	export LAB_SRC=$C.11
	check "bank: plain DNS blocked" fails_ dns app.test $I
	check "bank: reverse DNS of a local address blocked" fails_ rcode 10.0.137.10.in-addr.arpa $I
	check "bank: a direct TCP connection blocked" fails_ http http://$I/index.html
	export LAB_SRC=fd00:1::11
	check "bank: a direct IPv6 connection blocked" fails_ http "http://[fd00:2::10]/index.html"
	export LAB_SRC=fd00:1::12
	check "open: the same IPv6 connection works (the path is there)" works http "http://[fd00:2::10]/index.html"
	# -- a blocklisted domain is refused at its DNS question; a beacon; an idle connection
	export LAB_SRC=$C.12
	out=$(client rcode malware.test $I)
	check "open: a blocklisted name is answered NXDOMAIN at its question ($out)" grep -q "rcode malware.test: 3" <<< "$out"
	check "open: other names resolve" works dns other.test $I
	for i in 1 2 3 4 5 6; do client http http://$I:8080/index.html >/dev/null 2>&1; sleep 1; done
	client hold $I 8080 5 >/dev/null 2>&1 &
	HOLD=$!
	sleep 4
	check "open: the idle connection is reported while it is still open" \
		bash -c "kill -0 $HOLD 2>/dev/null && grep -q '\"type\":\"idle_session\"' '$E'"
	wait $HOLD
	sleep 2
	# -- the input interface: app claims the client-side interface, so
	# packets from it with another VM's address are spoofed
	sed -i "s|^  addresses: $C.10\$|  addresses: $C.10\n  interfaces: [vlab-g0]|" "$LAB_DIR/vms.yaml"
	kill -HUP "$(cat "$LAB_DIR/vigil.pid")"
	for i in $(seq 30); do grep -q "identity reloaded" "$LAB_DIR/vigil.err" && break; sleep 0.1; done
	check "open's address from app's interface (spoofed) is blocked" fails_ http http://$I:8080/index.html
	unset LAB_SRC
	check "app from its own interface still works" works fetch app.test $I
	sleep 0.5
	vigil_stop
	grep '"gid":7' "$E" | python3 -c "
import json, sys
for l in sys.stdin:
    r = json.loads(l); print('   ', r['alert']['signature_id'], r['alert']['action'], r['alert']['signature'][:110])"
	check "alerts: app's port-8080 flow and the old and new addresses after expiry (3)" \
		[ "$(pol 3 | grep -c '"vm":"app","rule":"default deny","field":"dest_ip"')" = 3 ]
	check "alerts: app's question for other.test" \
		[ "$(pol 3 | grep -c '"field":"dns.query","value":"other.test"')" = 1 ]
	check "alerts: every app violation blocked" [ "$(pol 3 | grep -vc '"action":"blocked"')" = 0 ]
	check "alerts: bank's leaks, dns, reverse-dns, direct and ipv6, blocked" \
		[ "$(pol 60 | grep '"action":"blocked"' | grep -o '"leak":"[a-z0-9-]*"' | sort -u | tr '\n' ' ')" = '"leak":"direct" "leak":"dns" "leak":"ipv6" "leak":"reverse-dns" ' ]
	check "alerts: the blocklisted question, list and entry named" \
		[ "$(pol 2 | grep -c '"list":"bad","entry":"malware.test","field":"dns.query"')" -ge 1 ]
	check "alerts: the beacon to 8080, once" [ "$(pol 40 | grep -c '"dest_port":8080')" = 1 ]
	check "alerts: the idle session" [ "$(pol 11 | grep -c '"dest_port":8080')" = 1 ]
	check "no alert about port 53 but the refused questions and bank's leaks" \
		[ "$(grep '"gid":7' "$E" | grep '"dest_port":53' | grep -vc 'other.test\|malware.test\|"leak"')" = 0 ]
	check "alerts: the spoofed source, naming the interface and whose address it is" \
		[ "$(pol 61 | grep -c '"vm":"app","interface":"vlab-g0","address":"198.51.100.12","owner":"open"')" = 1 ]
	check "refused flows rejected (policy.violation-action), spoofed ones only dropped" \
		grep -q " [1-9][0-9]* rejected" "$LAB_DIR/vigil.out"
	n=$(sed -n 's/.*(\([0-9]*\) responses).*/\1/p' "$LAB_DIR/vigil.out")
	check "vigil answered the two refused questions and reset the rejected flows ($n responses)" \
		[ "${n:-0}" -gt 2 ]
	;;
replace)
	# replace rewrites what crosses the gateway: the server's page comes
	# to the client with its bytes replaced (and its TCP checksum made
	# again, or the client's kernel would drop the segment and the fetch
	# would time out); a rule without a match leaves a page as it was
	up || exit 1
	cat > "$LAB_DIR/replace.rules" <<-'R'
	alert tcp any 80 -> any any (msg:"VIGIL LAB replace"; flow:established,to_client; content:"hello from"; replace:"HELLO FROM"; content:"lab"; distance:0; replace:"LAB"; sid:9100090;)
	alert tcp any any -> any 80 (msg:"VIGIL LAB replace, never"; content:"no such bytes"; replace:"NO SUCH BYTES"; sid:9100091;)
	R
	vigil_start -S "$LAB_DIR/replace.rules" || exit 1
	page() { in_ns $NS_C $PY -c "import urllib.request, sys; sys.stdout.write(urllib.request.urlopen('http://$I$1', timeout=5).read().decode())" 2>&1; }
	got=$(page /index.html)
	check "the page arrives rewritten: $got" [ "$got" = "HELLO FROM the LAB" ]
	echo "just a file" > "$LAB_DIR/www/plain.txt"
	got=$(page /plain.txt)
	check "a page the rule does not match arrives as it was: $got" [ "$got" = "just a file" ]
	vigil_stop
	check "the rule alerted" grep -q '"signature_id":9100090' "$LAB_DIR/eve.json"
	check "counted in ips.replaced" grep -q '"replaced":[1-9]' "$LAB_DIR/eve.json"
	;;
esac
echo "lab $CASE: $([ $fails -eq 0 ] && echo 1 || echo 0) passed, $([ $fails -eq 0 ] && echo 0 || echo 1) failed"
[ $fails -eq 0 ]
