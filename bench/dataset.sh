#!/bin/bash
# Dataset benchmark: a one-million-entry string dataset (Suricata's base64
# lines) used by a rule on dns.query and one on tls.sni, on the benchmark
# capture.  Prints the rules' load time and peak RSS (vigil -T) with and
# without the dataset, the packet phase and peak RSS of a run with and
# without it (best of BENCH_RUNS, alternating), and how many alerts the
# dataset rules gave (the capture's names that were put in the set).
# bench/run.sh builds the capture.
#   usage: bench/dataset.sh BUILD_DIR [ENTRIES]
set -eu
B="$1"; N="${2:-1000000}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/bench/out"; CAP="$OUT/bench.pcap"
RUNS="${BENCH_RUNS:-3}"
[ -f "$CAP" ] || { echo "run bench/run.sh first (it builds $CAP)"; exit 1; }
V="$B/src/vigil"
D="$OUT/dataset"
rm -rf "$D"; mkdir -p "$D"
# the set: random names, plus the first 50 DNS query names and SNIs of the
# capture (so that the rules do fire)
"$V" -r "$CAP" -l "$D" --runmode single --no-progress > /dev/null 2>&1
python3 - "$N" "$D" <<'PY'
import base64, json, random, sys
n, d = int(sys.argv[1]), sys.argv[2]
seen = []
for line in open(f'{d}/eve.json'):
    r = json.loads(line)
    name = (r.get('dns', {}).get('queries') or [{}])[0].get('rrname') if r.get('event_type') == 'dns' else \
        r.get('tls', {}).get('sni') if r.get('event_type') == 'tls' else None
    if name and name not in seen:
        seen.append(name)
    if len(seen) >= 50:
        break
rnd = random.Random(1)
alpha = 'abcdefghijklmnopqrstuvwxyz0123456789'
with open(f'{d}/names.csv', 'w') as f:
    for name in seen:
        f.write(base64.b64encode(name.encode()).decode() + '\n')
    for i in range(n - len(seen)):
        host = ''.join(rnd.choice(alpha) for _ in range(rnd.randrange(6, 16)))
        f.write(base64.b64encode(f'{host}.example{i % 97}.com'.encode()).decode() + '\n')
PY
cat > "$D/none.rules" <<'EOF'
alert dns any any -> any any (msg:"never"; dns.query; content:"|00 11 22 33 44 55|"; sid:1;)
EOF
cat > "$D/dataset.rules" <<'EOF'
alert dns any any -> any any (msg:"name in the set"; dns.query; dataset:isset,bench-names,type string,load names.csv; sid:1;)
alert tls any any -> any any (msg:"SNI in the set"; tls.sni; dataset:isset,bench-names,type string,load names.csv; sid:2;)
EOF
load() {
	/usr/bin/time -f "%e %M" -o "$D/t" "$V" -T -S "$D/$1.rules" > /dev/null 2>&1 || true
	read s kb < "$D/t"; echo "$s s, $((kb / 1024)) MB"
}
echo "entries: $N ($(du -h "$D/names.csv" | cut -f1) file)"
echo "load (-T), no dataset:        $(load none)"
echo "load (-T), the dataset rules: $(load dataset)"
run() {
	rm -rf "$D/eve"; mkdir -p "$D/eve"
	/usr/bin/time -f "%M" -o "$D/rss" "$V" -r "$CAP" -S "$D/$1.rules" -l "$D/eve" --runmode single \
		--no-progress > "$D/summary" 2>/dev/null
	pp=$(sed -n 's/.* in \([0-9.]*\) s:.*/\1/p' "$D/summary")
	al=$(grep -o '[0-9]* alerts' "$D/summary" | cut -d' ' -f1 || true)
	echo "$pp $(( $(cat "$D/rss") / 1024 )) ${al:-0}"
}
best_none=""; best_ds=""
for i in $(seq "$RUNS"); do
	for k in none dataset; do
		line=$(run $k)
		if [ $k = none ]; then
			if [ -z "$best_none" ] || [ "$(echo "${line%% *} < ${best_none%% *}" | bc)" = 1 ]; then best_none="$line"; fi
		else
			if [ -z "$best_ds" ] || [ "$(echo "${line%% *} < ${best_ds%% *}" | bc)" = 1 ]; then best_ds="$line"; fi
		fi
	done
done
read pn rn an <<< "$best_none"; read pd rd ad <<< "$best_ds"
echo "packet phase, no dataset:        $pn s, peak $rn MB"
echo "packet phase, the dataset rules: $pd s, peak $rd MB, $ad alerts"
echo "ratio: $(echo "scale=3; $pd / $pn" | bc) (best of $RUNS runs each)"
