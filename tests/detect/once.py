#!/usr/bin/env python3
"""Per-transaction and per-direction alerting on real traffic (Zeek's
traces in ../shared/corpora): a rule on SSH's banner or KEXINIT buffers
alerts at most once per flow direction; a rule naming only an app-layer
protocol (Suricata 8's "app_layer" rule type, "per-packet basis" in its
rule-types documentation) alerts on each packet of an established session
once the protocol is known, so more than once in some direction but never
twice on one packet; a rule on http.uri alerts once per HTTP transaction (as many
alerts as eve http records with a URI); an IP-only rule (addresses and
ports only) alerts on the first packet of each flow direction, exactly
once per direction that has packets, as Suricata inspects IP-only rules,
while the same rule with a negated address (Suricata's "like IP-only")
and one with a header condition alert on every packet.  Exit 77 without
the corpus.

    once.py VIGIL CORPORA
"""
import collections
import json
import os
import subprocess
import sys
import tempfile

vigil, corpora = sys.argv[1], sys.argv[2]
traces = os.path.join(corpora, "pcaps/zeek/testing/btest/Traces")
cases = ["ssh/sshguess.pcap", "tcp/ssh-dups.pcap", "ssh/ssh_kex_mlkem.pcap", "http/206_example_c.pcap",
         "wikipedia.pcap"]
cases = [c for c in cases if os.path.exists(os.path.join(traces, c))]
if not cases:
    print("once: skipped: Zeek traces absent")
    sys.exit(77)
RULES = """alert ssh any any -> any any (msg:"ssh proto"; ssh.proto; content:"2.0"; sid:1;)
alert ssh any any -> any any (msg:"ssh software"; ssh.software; content:"SSH"; nocase; sid:2;)
alert ssh any any -> any any (msg:"ssh hassh"; ssh.hassh; content:"a"; sid:3;)
alert ssh any any -> any any (msg:"ssh only"; sid:4;)
alert http any any -> any any (msg:"http only"; sid:5;)
alert http any any -> any any (msg:"uri"; http.uri; content:"/"; sid:6;)
alert ip any any -> any any (msg:"ip only"; sid:7;)
alert ip !192.0.2.1 any -> any any (msg:"like ip only"; sid:8;)
alert ip any any -> any any (msg:"ttl"; ttl:>=0; sid:9;)
"""
fails = passed = 0
with tempfile.TemporaryDirectory() as d:
    rf = os.path.join(d, "r.rules")
    open(rf, "w").write(RULES)
    for c in cases:
        out = os.path.join(d, c.replace("/", "_"))
        os.makedirs(out)
        subprocess.run([vigil, "-r", os.path.join(traces, c), "-l", out, "-S", rf, "--runmode", "single",
                        "-k", "none", "--set", "outputs.eve.types.http=yes",
                        "--set", "outputs.eve.types.flow=yes"], capture_output=True, check=True)
        per = collections.Counter()
        proto = collections.Counter()
        uris = 0
        alerts6 = 0
        ipo = collections.Counter()
        every = collections.Counter()
        dirs = pkts = 0
        for line in open(os.path.join(out, "eve.json")):
            r = json.loads(line)
            if r["event_type"] == "alert":
                sid = r["alert"]["signature_id"]
                if sid == 6:
                    alerts6 += 1
                elif sid == 7:
                    ipo[(r["flow_id"], r["src_ip"], r.get("src_port"))] += 1
                elif sid in (8, 9):
                    every[sid] += 1
                elif sid in (4, 5):
                    per[(sid, r["flow_id"], r.get("direction"))] += 0
                    proto[(sid, r["flow_id"], r.get("pcap_cnt"), r["timestamp"])] += 1
                else:
                    per[(sid, r["flow_id"], r.get("direction"))] += 1
            elif r["event_type"] == "http" and r.get("http", {}).get("url"):
                uris += 1
            elif r["event_type"] == "flow":
                fl = r["flow"]
                dirs += (fl["pkts_toserver"] > 0) + (fl["pkts_toclient"] > 0)
                pkts += fl["pkts_toserver"] + fl["pkts_toclient"]
        rep = [k for k, v in per.items() if v > 1]
        dup = [k for k, v in proto.items() if v > 1]
        pdirs = len([k for k in per if k[0] in (4, 5)])
        iprep_ = [k for k, v in ipo.items() if v > 1]
        ok = (not rep and not dup and pdirs and sum(proto.values()) > pdirs and sum(proto.values()) <= 2 * pkts and
              alerts6 == uris and not iprep_ and sum(ipo.values()) == dirs and
              every[8] == pkts and every[9] == pkts and pkts > dirs)
        print(f"  {'ok  ' if ok else 'FAIL'}  {c}: {sum(per.values())} once-per-direction alerts; "
              f"protocol-only alerts {sum(proto.values())} in {pdirs} flow directions{' (twice on a packet)' if dup else ''}"
              f"{' (repeated: ' + str(rep[:3]) + ')' if rep else ''}; http.uri alerts {alerts6}, transactions {uris}; "
              f"IP-only alerts {sum(ipo.values())} for {dirs} flow directions{' (repeated)' if iprep_ else ''}; "
              f"per-packet alerts {every[8]}, {every[9]} for {pkts} packets")
        passed += ok
        fails += not ok
print(f"once: {passed} passed, {fails} failed")
sys.exit(1 if fails else 0)
