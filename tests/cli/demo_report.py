#!/usr/bin/env python3
"""scripts/demo-report groups what it reports: a synthetic eve.json with a
34-port scan, one blocked DNS query, repeated early-warning alerts and
allowed flows must come out as one line per group, with counts and the
classification, never one line per alert."""
import json
import os
import re
import subprocess
import sys
import tempfile

root = sys.argv[1]
recs = []
fid = 1000


def rec(t, src, sport, dst, dport, proto="TCP", **kw):
    r = {"timestamp": "2026-11-29T10:00:00.000000+0000", "flow_id": kw.pop("flow_id", fid),
         "event_type": t, "src_ip": src, "src_port": sport, "dest_ip": dst, "dest_port": dport,
         "proto": proto}
    r.update(kw)
    return r


def alert(action, sid, msg, cat, sev, **kw):
    return {"action": action, "gid": 1, "signature_id": sid, "rev": 1, "signature": msg,
            "category": cat, "severity": sev}


for port in range(1020, 1054):
    fid += 1
    recs.append(rec("drop", "198.51.100.10", 40000 + port, "203.0.113.10", port, drop={"reason": "rules"}))
    recs.append(rec("alert", "198.51.100.10", 40000 + port, "203.0.113.10", port,
                    alert=alert("blocked", 9100004, "VIGIL LAB port scan", "Attempted Information Leak", 2)))
    recs.append(rec("flow", "198.51.100.10", 40000 + port, "203.0.113.10", port,
                    flow={"pkts_toserver": 1, "pkts_toclient": 0, "alerted": True}))
fid += 1
recs.append(rec("alert", "198.51.100.10", 5353, "203.0.113.10", 53, "UDP", app_proto="dns",
                alert=alert("blocked", 9100001, "VIGIL LAB DNS query for known-bad malware.test",
                            "A Network Trojan was detected", 1)))
recs.append(rec("dns", "198.51.100.10", 5353, "203.0.113.10", 53, "UDP",
                dns={"type": "request", "rrname": "malware.test"}))
for i in range(5):
    fid += 1
    recs.append(rec("alert", "198.51.100.10", 41000 + i, "203.0.113.10", 80, app_proto="http",
                    alert=alert("allowed", 9100020, "VIGIL LAB HTTP request", "Misc activity", 3)))
    recs.append(rec("http", "198.51.100.10", 41000 + i, "203.0.113.10", 80,
                    http={"http_method": "GET", "url": "/index.html", "status": 200}))
    recs.append(rec("flow", "198.51.100.10", 41000 + i, "203.0.113.10", 80, app_proto="http",
                    flow={"pkts_toserver": 5, "pkts_toclient": 5, "alerted": True}))
for port in (1000, 1001, 1002, 1010):
    fid += 1
    recs.append(rec("flow", "198.51.100.10", 42000 + port, "203.0.113.10", port,
                    flow={"pkts_toserver": 1, "pkts_toclient": 1, "alerted": False}))

fails = 0


def check(what, ok):
    global fails
    print(("  ok    " if ok else "  FAIL  ") + what)
    fails += 0 if ok else 1


with tempfile.TemporaryDirectory() as d:
    eve = os.path.join(d, "eve.json")
    with open(eve, "w") as f:
        for r in recs:
            f.write(json.dumps(r) + "\n")
        f.write('{"event_type":"alert", "torn')  # a line vigil is still writing
    out = subprocess.run([sys.executable, os.path.join(root, "scripts/demo-report"), eve],
                         capture_output=True, text=True)
    text = out.stdout
    print(text)
    check("exit 0", out.returncode == 0)
    scan = [l for l in text.splitlines() if "port scan" in l]
    check("the scan is one line", len(scan) == 1)
    check("with its count", bool(scan) and "VIGIL LAB port scan from 198.51.100.10: 34 probes blocked" in scan[0])
    check("its ports collapsed", "to 203.0.113.10 ports 1020-1053" in text)
    check("classification filled in", "why: sid 9100004, Attempted Information Leak, severity 2" in text)
    check("a single blocked query", "malware.test from 198.51.100.10: 1 query blocked" in text)
    check("early warnings grouped", "VIGIL LAB HTTP request from 198.51.100.10 to 203.0.113.10: 5 alerts" in text)
    check("allowed HTTP flows grouped", re.search(r"port 80\s+http\s+5 flows: GET /index.html -> 200 x5", text) is not None)
    check("allowed probes collapsed", "ports 1000-1002, 1010  tcp  4 flows" in text)
    check("blocked flows are not listed as allowed", "1020" not in text.split("BLOCKED")[0])
    check("names the eve.json", f"eve.json: {eve}" in text)
    check("at most 40 lines", len(text.splitlines()) <= 40)
print(f"demo_report: {12 - fails} passed, {fails} failed")
sys.exit(1 if fails else 0)
