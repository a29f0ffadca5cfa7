#!/bin/bash
# IP reputation benchmark: a reputation file of ENTRIES lines (default one
# million: 3/4 IPv4 addresses, 1/8 IPv4 networks /16-/28, 1/8 IPv6
# addresses and networks, over 8 categories) and two iprep rules.  Prints
# vigil's own reputation load line (entries, MiB, seconds), the rules'
# whole load time and peak RSS with and without the reputation set
# (vigil -T, best of BENCH_RUNS).
#   usage: bench/iprep.sh BUILD_DIR [ENTRIES]
set -eu
B="$1"; N="${2:-1000000}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/bench/out/iprep"; RUNS="${BENCH_RUNS:-3}"
V="$B/src/vigil"
rm -rf "$OUT"; mkdir -p "$OUT"
python3 - "$N" "$OUT" <<'PY'
import random, sys
n, d = int(sys.argv[1]), sys.argv[2]
rnd = random.Random(1)
with open(f'{d}/categories.txt', 'w') as f:
    for i in range(1, 9):
        f.write(f'{i},cat{i},category {i}\n')
with open(f'{d}/rep.list', 'w') as f:
    for i in range(n):
        k = i % 8
        cat, score = rnd.randrange(1, 9), rnd.randrange(0, 128)
        if k < 6:
            a = '%d.%d.%d.%d' % (rnd.randrange(1, 224), rnd.randrange(256), rnd.randrange(256), rnd.randrange(256))
        elif k == 6:
            a = '%d.%d.%d.0/%d' % (rnd.randrange(1, 224), rnd.randrange(256), rnd.randrange(256), rnd.randrange(16, 29))
        else:
            a = '2001:db8:%x:%x::%x' % (rnd.randrange(65536), rnd.randrange(65536), rnd.randrange(65536))
            if rnd.random() < 0.5:
                a += '/%d' % rnd.randrange(32, 129)
        f.write(f'{a},{cat},{score}\n')
PY
cat > "$OUT/none.rules" <<'R'
alert ip any any -> any any (msg:"never"; content:"|00 11 22 33 44 55|"; sid:1;)
R
cat > "$OUT/iprep.rules" <<'R'
alert ip any any -> any any (msg:"bad source"; iprep:src,cat1,>,100; sid:1;)
alert ip any any -> any any (msg:"either listed"; iprep:any,cat2,isset; sid:2;)
R
SET=(--set "reputation-categories-file=$OUT/categories.txt" --set "reputation-files=$OUT/rep.list")
echo "reputation file: $N lines, $(du -m "$OUT/rep.list" | cut -f1) MB"
"$V" -v -T -S "$OUT/iprep.rules" "${SET[@]}" 2>&1 | grep -i "reputation" || true
best() { # the best of RUNS runs of vigil -T "$@": wall and CPU seconds, peak RSS
	local bt=999 bo=""
	for _ in $(seq "$RUNS"); do
		/usr/bin/time -o "$OUT/time" -f "%e %U %S %M" "$V" -T "$@" > /dev/null 2>&1
		local o; o=$(tail -1 "$OUT/time")
		local t; t=$(echo "$o" | cut -d' ' -f1)
		if awk -v a="$t" -v b="$bt" 'BEGIN{exit !(a < b)}'; then bt=$t; bo=$o; fi
	done
	echo "$bo" | awk '{printf "%.2f s wall, %.2f s CPU, peak RSS %d MB\n", $1, $2 + $3, $4 / 1024}'
}
echo "rules without reputation: $(best -S "$OUT/none.rules")"
echo "rules with reputation:    $(best -S "$OUT/iprep.rules" "${SET[@]}")"
