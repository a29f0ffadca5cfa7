#!/bin/bash
# vigil's namespace lab: three network namespaces joined by veth pairs.
#
#   vlab-client (the "app VM")  198.51.100.10/24
#        |  veth
#   vlab-gw (the IDS gateway)   198.51.100.1 | 203.0.113.1, forwards,
#        |  veth                iptables FORWARD -> NFQUEUE 0 -> vigil -q 0
#   vlab-inet ("internet")      203.0.113.10/24: dnsmasq (DNS), Python HTTP
#                               on 80 and 8080, openssl s_server on 443
#
# Documentation addresses (TEST-NET-2/3) only, inside namespaces this script
# makes: nothing leaves the machine.  NFQUEUE goes through iptables-legacy
# (this kernel has no nftables queue).
#
#   lab.sh up | down                 build / remove the namespaces and servers
#   lab.sh vigil-start [ARGS...]     run vigil inline in the gateway (background)
#   lab.sh vigil-stop                stop it (SIGTERM) and wait
#   lab.sh demo                      up, vigil, benign traffic and attacks, check, down
#   lab.sh client KIND ARGS...       run lab/client.py in the client namespace
# Environment: VIGIL (binary), LAB_DIR (state and logs), BYPASS=1 (fail-open
# with --queue-bypass, the default) or BYPASS=0 (fail-closed).
set -u
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(dirname "$HERE")"
VIGIL="${VIGIL:-$ROOT/build/src/vigil}"
LAB_DIR="${LAB_DIR:-$ROOT/out/lab}"
BYPASS="${BYPASS:-1}"
NS_C=vlab-client NS_G=vlab-gw NS_I=vlab-inet
C_IP=198.51.100.10 G_IP1=198.51.100.1 G_IP2=203.0.113.1 I_IP=203.0.113.10
IPT="iptables-legacy"
PY=/usr/bin/python3

in_ns() { ns="$1"; shift; ip netns exec "$ns" "$@"; }

can_run() {
	[ "$(id -u)" -eq 0 ] || { echo "lab: needs root (network namespaces)"; return 1; }
	command -v $IPT >/dev/null || { echo "lab: iptables-legacy missing"; return 1; }
	ip netns add vlab-probe 2>/dev/null || { echo "lab: cannot create network namespaces"; return 1; }
	# entering one remounts / (a chroot whose root is no mount point cannot)
	ip netns exec vlab-probe true 2>/dev/null || { ip netns del vlab-probe; echo "lab: cannot enter network namespaces"; return 1; }
	ip netns del vlab-probe
}

down() {
	for f in "$LAB_DIR"/*.pid; do
		[ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null
	done
	sleep 0.2
	for ns in $NS_C $NS_G $NS_I; do ip netns del $ns 2>/dev/null; done
	rm -f "$LAB_DIR"/*.pid
	true
}

up() {
	down
	mkdir -p "$LAB_DIR/www"
	for ns in $NS_C $NS_G $NS_I; do ip netns add $ns || return 1; done
	ip link add vlab-c0 type veth peer name vlab-g0
	ip link add vlab-g1 type veth peer name vlab-i0
	ip link set vlab-c0 netns $NS_C
	ip link set vlab-g0 netns $NS_G
	ip link set vlab-g1 netns $NS_G
	ip link set vlab-i0 netns $NS_I
	in_ns $NS_C ip addr add $C_IP/24 dev vlab-c0
	in_ns $NS_G ip addr add $G_IP1/24 dev vlab-g0
	in_ns $NS_G ip addr add $G_IP2/24 dev vlab-g1
	in_ns $NS_I ip addr add $I_IP/24 dev vlab-i0
	for ns in $NS_C $NS_G $NS_I; do in_ns $ns ip link set lo up; done
	in_ns $NS_C ip link set vlab-c0 up
	in_ns $NS_G ip link set vlab-g0 up
	in_ns $NS_G ip link set vlab-g1 up
	in_ns $NS_I ip link set vlab-i0 up
	in_ns $NS_C ip route add default via $G_IP1
	in_ns $NS_I ip route add default via $G_IP2
	in_ns $NS_G sysctl -qw net.ipv4.ip_forward=1
	# offloads off: vigil sees (and checks) real checksums
	for d in "$NS_C vlab-c0" "$NS_G vlab-g0" "$NS_G vlab-g1" "$NS_I vlab-i0"; do
		set -- $d; in_ns $1 ethtool -K $2 tx off rx off >/dev/null 2>&1 || true
	done
	local qb=""
	[ "$BYPASS" = 1 ] && qb="--queue-bypass"
	gw_rules "$qb"
	# servers
	echo "hello from the lab" > "$LAB_DIR/www/index.html"
	# what the trusted service on 8080 serves for the "attack" a pass rule lets through
	# (http.server normalises the path: /cgi-bin/../../etc/passwd is www/etc/passwd)
	mkdir -p "$LAB_DIR/www/etc"
	echo "not really passwd" > "$LAB_DIR/www/etc/passwd"
	in_ns $NS_I dnsmasq --conf-file=/dev/null --no-resolv --no-hosts -u root \
		--listen-address=$I_IP --bind-interfaces --pid-file="$LAB_DIR/dnsmasq.pid" \
		--address=/lab.test/$I_IP --address=/malware.test/203.0.113.66 \
		--address=/blocked.test/$I_IP 2>/dev/null
	for port in 80 8080; do
		ip netns exec $NS_I $PY -m http.server $port --bind $I_IP --directory "$LAB_DIR/www" \
			> "$LAB_DIR/http$port.log" 2>&1 &
		echo $! > "$LAB_DIR/http$port.pid"
	done
	openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=lab.test" \
		-keyout "$LAB_DIR/tls.key" -out "$LAB_DIR/tls.crt" >/dev/null 2>&1
	chmod 600 "$LAB_DIR/tls.key"
	ip netns exec $NS_I openssl s_server -accept $I_IP:443 -cert "$LAB_DIR/tls.crt" \
		-key "$LAB_DIR/tls.key" -www -quiet > "$LAB_DIR/tls.log" 2>&1 &
	echo $! > "$LAB_DIR/tls.pid"
	# wait for the servers
	for i in $(seq 50); do
		in_ns $NS_I $PY -c "import socket; [socket.create_connection(('$I_IP', p), 0.2).close() for p in (80, 443, 8080)]" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "lab: servers did not start"; return 1
}

# The gateway's rules: connections vigil marked for bypass (nfq.bypass-mark,
# bit 0x1) skip the queue; everything else goes through vigil.
gw_rules() {
	in_ns $NS_G $IPT -t mangle -A PREROUTING -j CONNMARK --restore-mark --mask 0x1
	in_ns $NS_G $IPT -A FORWARD -m mark --mark 0x1/0x1 -j ACCEPT
	in_ns $NS_G $IPT -A FORWARD -j NFQUEUE --queue-num 0 $1
	in_ns $NS_G $IPT -t mangle -A POSTROUTING -m mark --mark 0x1/0x1 -j CONNMARK --save-mark --mask 0x1
}

vigil_start() {
	rm -f "$LAB_DIR/eve.json" "$LAB_DIR/fast.log"
	# ip netns exec execs vigil itself: $! is vigil's pid
	ip netns exec $NS_G "$VIGIL" -q 0 -l "$LAB_DIR" -v \
		--set "vars.address-groups.HOME_NET=[198.51.100.0/24]" \
		--set stats.interval=1 "$@" > "$LAB_DIR/vigil.out" 2> "$LAB_DIR/vigil.err" &
	echo $! > "$LAB_DIR/vigil.pid"
	# (up to 60 s: a full ruleset on a busy two-core machine)
	for i in $(seq 600); do
		grep -q "inline on" "$LAB_DIR/vigil.err" 2>/dev/null && return 0
		kill -0 "$(cat "$LAB_DIR/vigil.pid")" 2>/dev/null || break
		sleep 0.1
	done
	echo "lab: vigil did not start:"; cat "$LAB_DIR/vigil.err"; return 1
}

vigil_stop() {
	[ -f "$LAB_DIR/vigil.pid" ] || return 0
	local pid; pid=$(cat "$LAB_DIR/vigil.pid")
	kill -TERM "$pid" 2>/dev/null
	for i in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	rm -f "$LAB_DIR/vigil.pid"
}

client() { in_ns $NS_C $PY "$HERE/client.py" "$@"; }

# expect ok|fail KIND ARGS...: runs a client request, checks the outcome
PASSED=0 FAILED=0
expect() {
	local want="$1"; shift
	local out rc
	out=$(client "$@" 2>&1); rc=$?
	local got=ok; [ $rc -eq 0 ] || got=fail
	if [ "$got" = "$want" ]; then
		PASSED=$((PASSED + 1)); printf '  %-7s %-6s %s\n' "ok" "($want)" "$out"
	else
		FAILED=$((FAILED + 1)); printf '  %-7s %-6s %s\n' "WRONG" "($want)" "$out"
	fi
}

demo() {
	can_run || return 77
	up || { down; return 1; }
	echo "lab: namespaces up; vigil inline on NFQUEUE 0 in $NS_G (rules: etc/rules/lab.rules)"
	vigil_start -S "$ROOT/etc/rules/lab.rules" || { down; return 1; }
	echo "what the app VM ($C_IP) tried; benign traffic must work:"
	expect ok dns lab.test $I_IP
	expect ok http http://$I_IP/index.html
	expect ok tls $I_IP 443 lab.test
	expect ok http "http://$I_IP:8080/cgi-bin/../../etc/passwd"
	echo "attacks must fail:"
	expect fail dns malware.test $I_IP
	expect fail http "http://$I_IP/cgi-bin/../../etc/passwd"
	expect fail tls $I_IP 443 blocked.test
	expect fail scan $I_IP 1000 1060
	echo "and benign traffic still works after the attacks:"
	expect ok http http://$I_IP/index.html
	sleep 0.5
	vigil_stop
	echo
	echo "what vigil saw and did (scripts/demo-report; alerts as they came: $LAB_DIR/fast.log):"
	$PY "$ROOT/scripts/demo-report" "$LAB_DIR/eve.json" --summary "$LAB_DIR/vigil.out" | sed 's/^\(.\)/  \1/'
	down
	echo "lab: $PASSED passed, $FAILED failed"
	[ $FAILED -eq 0 ]
}

# sourced by the tests: functions only
[ "${BASH_SOURCE[0]}" = "$0" ] || return 0

case "${1:-}" in
	up) can_run && up ;;
	down) down ;;
	vigil-start) shift; vigil_start "$@" ;;
	vigil-stop) vigil_stop ;;
	client) shift; client "$@" ;;
	demo) demo ;;
	*) sed -n '2,22p' "$0"; exit 2 ;;
esac
