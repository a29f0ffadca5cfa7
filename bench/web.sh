#!/bin/bash
# Dashboard benchmark: a store of N (1,000,000) events, then the latency
# (p50, p99 over 200 requests each) of the pages' API calls as the
# dashboard makes them: the inbox (alert groups), a VM page, a full-text
# search, a page of flows, the timeline; and vigil web's peak RSS.  The
# records are the generated capture's eve.json with two VMs, repeated with
# fresh flow ids and times until there are N.
#   usage: bench/web.sh BUILD_DIR [N]
set -eu
B="$1"; N="${2:-1000000}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
OUT="$ROOT/bench/out/web"; rm -rf "$OUT"; mkdir -p "$OUT"
V="$B/src/vigil"
"$B/tools/vigil-gen-pcap" "$OUT/in.pcap" 200 >/dev/null
printf 'work: 10.137.0.0/25\npersonal: 10.137.0.128/25\n' > "$OUT/vms.yaml"
"$V" -r "$OUT/in.pcap" -S "$ROOT/etc/rules/demo.rules" -l "$OUT" --runmode single --no-progress \
	--set identity.file="$OUT/vms.yaml" > /dev/null
python3 - "$OUT/eve.json" "$OUT/big.json" "$N" <<'PY'
import json, sys
src, dst, n = sys.argv[1], sys.argv[2], int(sys.argv[3])
lines = [l for l in open(src) if '"event_type":"stats"' not in l]
out, k, t0 = open(dst, 'w'), 0, 1796000000
while k < n:
    for l in lines:
        if k >= n:
            break
        r = json.loads(l)
        r['timestamp'] = '2026-11-30T%02d:%02d:%02d.000000+0000' % ((k // 3600000) % 24, (k // 60000) % 60, (k // 1000) % 60)
        if 'flow_id' in r:
            r['flow_id'] = r['flow_id'] + k
        out.write(json.dumps(r, separators=(',', ':')) + '\n')
        k += 1
PY
rm -f "$OUT/store.db"*
"$V" store --eve "$OUT/big.json" --db "$OUT/store.db" --once --set store.max-age=0 --set store.max-size=0 \
	2>&1 | sed -n 's/.*store: \([0-9]* records added.*\)/store ingest: \1/p'
PORT=18099
mkdir -p "$OUT/state"
"$V" web --db "$OUT/store.db" --no-follow --port $PORT --set control.state-dir="$OUT/state" \
	--set control.socket="$OUT/none.sock" 2> "$OUT/web.err" &
WP=$!
trap 'kill $WP 2>/dev/null' EXIT
sleep 1
python3 - "$PORT" "$(head -n 1 "$OUT/state/web.token")" <<'PY'
import http.client, sys, time
port, token = int(sys.argv[1]), sys.argv[2]
c = http.client.HTTPConnection('127.0.0.1', port)
calls = [('inbox (alert groups)', '/api/alerts?limit=50&state=new'),
         ('VM page', '/api/vm?name=work'),
         ('search "index.html"', '/api/events?q=index.html&limit=50'),
         ('flows, a page', '/api/events?type=flow&limit=50'),
         ('flows of a VM, a page', '/api/events?type=flow&vm=personal&limit=50'),
         ('timeline + top talkers', '/api/timeline?minutes=60'),
         ('summary', '/api/summary')]
for name, path in calls:
    ts = []
    for i in range(200):
        t = time.perf_counter()
        c.request('GET', path, headers={'Authorization': 'Bearer ' + token, 'Host': f'127.0.0.1:{port}'})
        r = c.getresponse()
        body = r.read()
        ts.append((time.perf_counter() - t) * 1000)
        assert r.status == 200, (path, r.status, body[:200])
    ts.sort()
    print(f'{name:28s} p50 {ts[99]:7.1f} ms   p99 {ts[197]:7.1f} ms   ({len(body)} bytes)')
PY
echo "vigil web peak RSS: $(awk '/VmHWM/ {print int($2 / 1024)}' /proc/$WP/status) MB (goal < 64)"
