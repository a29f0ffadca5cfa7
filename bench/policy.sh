#!/bin/bash
# Policy layer benchmark: the cost of a one-million-entry address list and
# a one-million-entry domain list (and 50 named VMs) on the benchmark
# capture, and the lists' memory, load time and reload peak.
#   usage: bench/policy.sh BUILD_DIR [ENTRIES]
# Prints: load time and memory per list (vigil's own log), the packet
# phase and peak RSS with and without the lists (best of BENCH_RUNS, the
# runs with and without alternating), and
# the peak RSS while the lists are reloaded under SIGHUP against the
# steady RSS before.  bench/run.sh builds the capture.
set -eu
B="$1"; N="${2:-1000000}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/bench/out"; CAP="$OUT/bench.pcap"
RUNS="${BENCH_RUNS:-3}"
[ -f "$CAP" ] || { echo "run bench/run.sh first (it builds $CAP)"; exit 1; }
V="$B/src/vigil"
mkdir -p "$OUT/policy"
P="$OUT/policy"
# the lists: random public IPv4 networks and addresses; random names
python3 - "$N" "$P" <<'PY'
import random, sys
n, d = int(sys.argv[1]), sys.argv[2]
r = random.Random(1)
with open(f'{d}/ip.txt', 'w') as f:
    f.write('# synthetic FireHOL-style netset\n')
    for i in range(n):
        a = r.randrange(11 << 24, 223 << 24)
        if i % 10 == 0:
            plen = r.randrange(16, 29); a &= (0xffffffff << (32 - plen)) & 0xffffffff
            f.write(f'{a>>24}.{a>>16&255}.{a>>8&255}.{a&255}/{plen}\n')
        else:
            f.write(f'{a>>24}.{a>>16&255}.{a>>8&255}.{a&255}\n')
words = ['ads', 'track', 'cdn', 'img', 'stat', 'metric', 'pixel', 'beacon', 'promo', 'click']
with open(f'{d}/domains.txt', 'w') as f:
    f.write('# synthetic hosts file\n')
    for i in range(n):
        name = f'{r.choice(words)}{i}.{r.choice(words)}{r.randrange(100000)}.example'
        f.write(f'0.0.0.0 {name}\n' if i % 2 else f'||{name}^\n')
with open(f'{d}/vms.yaml', 'w') as f:
    for v in range(50):
        f.write(f'vm{v}:\n  addresses: [10.137.{v // 200}.{v % 200 + 10}]\n  labels: [bench]\n')
PY
LISTS=(--set policy.ip-lists.bench="$P/ip.txt" --set policy.domain-lists.bench="$P/domains.txt"
       --set identity.file="$P/vms.yaml")
echo "lists: $N addresses/networks, $N names, 50 VMs"
one() { # one run: its packet phase and peak RSS
	rm -f "$P/eve.json"
	/usr/bin/time -f "%M" -o "$P/rss" "$V" -r "$CAP" -l "$P" --runmode single --no-progress \
		--set outputs.eve.enabled=no "$@" > "$P/summary" 2>/dev/null
	echo "$(sed -n 's/.* in \([0-9.]*\) s:.*/\1/p' "$P/summary") $(( $(cat "$P/rss") / 1024 ))"
}
better() { # the faster of two "seconds rss" lines ("" counts as slowest)
	if [ -z "$1" ] || [ "$(echo "${2%% *} < ${1%% *}" | bc)" = 1 ]; then echo "$2"; else echo "$1"; fi
}
# best of RUNS for each, the two runs alternating (A B A B ...), so that a
# machine whose speed drifts during the benchmark weighs on both alike
pair() { # pair N: the first N arguments are A's, the rest B's
	local n="$1"; shift
	local a=("${@:1:$n}") b=("${@:$((n + 1))}") ba="" bb=""
	for i in $(seq "$RUNS"); do
		ba=$(better "$ba" "$(one "${a[@]}")")
		bb=$(better "$bb" "$(one "${b[@]}")")
	done
	echo "$ba $bb"
}
read base_s base_m pol_s pol_m <<< "$(pair 0 "${LISTS[@]}")"
printf '%-44s %8s s %6s MB\n' "no rules, no lists (1 worker, packet phase)" "$base_s" "$base_m"
printf '%-44s %8s s %6s MB\n' "no rules, both lists + 50 VMs" "$pol_s" "$pol_m"
echo "throughput cost without rules: $(echo "($pol_s - $base_s) * 100 / $base_s" | bc -l | cut -c1-5) %"
ET="$ROOT/../shared/corpora/et-open/rules"
if [ -d "$ET" ]; then
	cat "$ET"/*.rules > "$P/et.rules"
	R=(-S "$P/et.rules" --set classification-file="$ET/classification.config"
	   --set detect.mpm-cache-dir="$OUT/mpmcache")
	read rb_s rb_m rp_s rp_m <<< "$(pair ${#R[@]} "${R[@]}" "${R[@]}" "${LISTS[@]}")"
	printf '%-44s %8s s %6s MB\n' "ET Open, no lists" "$rb_s" "$rb_m"
	printf '%-44s %8s s %6s MB\n' "ET Open, both lists + 50 VMs" "$rp_s" "$rp_m"
	echo "throughput cost with ET Open: $(echo "($rp_s - $rb_s) * 100 / $rb_s" | bc -l | cut -c1-5) %"
fi
# reload: vigil reads the capture through a FIFO so that it keeps running
rm -f "$P/fifo" "$P/err"; mkfifo "$P/fifo"
"$V" -r "$P/fifo" -l "$P" --runmode workers --no-progress -v "${LISTS[@]}" \
	--set outputs.eve.enabled=no > /dev/null 2> "$P/err" &
pid=$!
exec 3> "$P/fifo"
head -c 24 "$CAP" >&3
sleep 4
steady=$(( $(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/$pid/status) / 1024 ))
echo 5 > /proc/$pid/clear_refs
kill -HUP $pid
n=0; while [ "$(grep -c "reloaded in" "$P/err")" -lt 2 ]; do sleep 0.2; n=$((n + 1)); [ $n -lt 300 ] || break; done
sleep 1.5
peak=$(( $(sed -n 's/^VmHWM:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/$pid/status) / 1024 ))
after=$(( $(sed -n 's/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p' /proc/$pid/status) / 1024 ))
exec 3>&-
wait $pid || true
grep -E "blocklist|identity" "$P/err" | grep -v "reloaded in" | sed 's/^vigil: info: /  load: /'
grep "reloaded in" "$P/err" | sed 's/^vigil: info: /  /'
echo "reload: steady RSS $steady MB, peak during reload $peak MB ($(echo "$peak / $steady" | bc -l | cut -c1-4)x), after $after MB"
