#!/bin/bash
# Host IDS benchmark.
#  1. Log analysis: N (1,000,000) lines through the whole Wazuh ruleset
#     (../shared/corpora/wazuh) with `vigil logtest --quiet` on one core:
#     lines per second, the ruleset's load time and the peak RSS.  The
#     lines: every log line of Wazuh's and OSSEC's ruleset tests, OSSEC's
#     sample logs (rules/log-entries) and this machine's dpkg and
#     alternatives logs, repeated until there are N.  Also the same lines
#     through vigil's own small ruleset (etc/hids).
#  2. File integrity: the first scan (the baseline) and a rescan of a tree
#     of about 100,000 entries (directories of /usr, read in place) by
#     `vigil fim`, and `aide --init` (Debian's aide) over the same tree with
#     the same attributes, in the same run: wall time and peak RSS.
# Timings with a warm page cache (each tree is read once first).
#   usage: bench/hids.sh BUILD_DIR [N]
set -eu
B="$1"; N="${2:-1000000}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/bench/out/hids"; rm -rf "$OUT"; mkdir -p "$OUT"
V="$B/src/vigil"
C="$ROOT/../shared/corpora"
T=/usr/bin/time

echo "== log analysis"
if [ -d "$C/wazuh/decoders" ]; then
	python3 - "$C" "$OUT/lines.log" "$N" <<'PY'
import glob, os, re, sys
c, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = []
for f in sorted(glob.glob(c + '/wazuh/tests/*.ini') + glob.glob(c + '/ossec/testing/tests/*.ini')):
    for l in open(f, encoding='utf-8', errors='replace'):
        m = re.match(r'log \d+ (pass|fail)\s*=\s*(.*)', l)
        if m:
            lines.append(m.group(2))
for f in sorted(glob.glob(c + '/ossec/etc/rules/log-entries/*')) + ['/var/log/dpkg.log', '/var/log/alternatives.log']:
    if os.path.isfile(f):
        lines += [l.rstrip('\n') for l in open(f, encoding='utf-8', errors='replace') if l.strip()]
with open(dst, 'w') as o:
    k = 0
    while k < n:
        for l in lines:
            if k >= n:
                break
            o.write(l + '\n')
            k += 1
print('%d distinct lines, %d in all' % (len(lines), n))
PY
	for rs in "$C/wazuh" "$ROOT/etc/hids"; do
		for i in 1 2 3; do
			$T -f "%e s wall, %M KB peak RSS" taskset -c 0 "$V" logtest --ruleset "$rs" --quiet \
				< "$OUT/lines.log" > "$OUT/lt.out" 2> "$OUT/lt.err"
			echo "$(basename "$rs") run $i: $(cat "$OUT/lt.out"); $(tail -1 "$OUT/lt.err")"
		done
		$T -f "%e s wall, %M KB peak RSS" "$V" logtest --ruleset "$rs" --quiet < /dev/null > /dev/null 2> "$OUT/load.err"
		echo "$(basename "$rs") load only: $(head -1 "$OUT/load.err" | sed 's/vigil logtest: //'); $(tail -1 "$OUT/load.err")"
	done
else
	echo "(no ../shared/corpora/wazuh: skipped)"
fi

echo "== file integrity (vigil fim vs aide --init)"
TREES="/usr/share /usr/include /usr/lib/x86_64-linux-gnu /usr/lib/python3 /usr/lib/gcc /usr/bin /usr/sbin"
EXIST=""
for t in $TREES; do [ -d "$t" ] && EXIST="$EXIST $t"; done
find $EXIST -xdev 2>/dev/null | wc -l | sed 's/^/entries: /'
cat $(find $EXIST -xdev -type f 2>/dev/null | head -200000) > /dev/null 2>&1 || true
$T -f "%e s wall, %M KB peak RSS" "$V" fim --db "$OUT/fim.db" $EXIST > "$OUT/fim1.json" 2> "$OUT/fim1.err"
echo "vigil fim, first scan: $(tail -1 "$OUT/fim1.err")"
$T -f "%e s wall, %M KB peak RSS" "$V" fim --db "$OUT/fim.db" $EXIST > "$OUT/fim2.json" 2> "$OUT/fim2.err"
echo "vigil fim, rescan (nothing changed): $(tail -1 "$OUT/fim2.err")"
if command -v aide > /dev/null; then
	{
		echo "database_out=file:$OUT/aide.db"
		echo "report_url=stdout"
		echo "VIGIL = l+p+u+g+s+c+m+i+n+sha256+xattrs+ftype+caps"
		for t in $EXIST; do echo "$t VIGIL"; done
	} > "$OUT/aide.conf"
	$T -f "%e s wall, %M KB peak RSS" aide --config="$OUT/aide.conf" --init > "$OUT/aide.out" 2> "$OUT/aide.err" || true
	echo "aide --init: $(tail -1 "$OUT/aide.err")"
else
	echo "aide: not installed (scripts/deps.sh bench installs it)"
fi
