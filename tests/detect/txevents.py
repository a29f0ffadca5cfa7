#!/usr/bin/env python3
"""A transaction's app-layer event stays on the transaction: a rule on it
without a direction alerts once in each direction, as Suricata inspects a
transaction once per direction (suricata-verify protocol-change-failed-
event: HTTP's failed_protocol_change after STARTTLS, 2 alerts); a rule on
a protocol-detection event (applayer_*) stays with its packet; the flow
record says what the STARTTLS announced (app_proto_expected: tls) beside
the HTTP that came.  Exit 77 without the corpus.

    txevents.py VIGIL CORPORA
"""
import json
import os
import subprocess
import sys
import tempfile

vigil, corpora = sys.argv[1], sys.argv[2]
pcap = os.path.join(corpora, "suricata-verify/tests/protocol-change-failed-event/input.pcap")
if not os.path.exists(pcap):
    print("txevents: skipped: suricata-verify corpus absent")
    sys.exit(77)
RULES = """alert http any any -> any any (msg:"failed change"; flow:established; app-layer-event:http.failed_protocol_change; sid:1;)
alert http any any -> any any (msg:"failed change, to server"; flow:established,to_server; app-layer-event:http.failed_protocol_change; sid:2;)
alert ip any any -> any any (msg:"no tls"; app-layer-event:applayer_no_tls_after_starttls; sid:3;)
"""
with tempfile.TemporaryDirectory() as d:
    rf = os.path.join(d, "r.rules")
    open(rf, "w").write(RULES)
    subprocess.run([vigil, "-r", pcap, "-l", d, "-S", rf, "--runmode", "single", "-k", "none"],
                   capture_output=True, check=True)
    dirs = {1: [], 2: [], 3: []}
    expected = []
    for line in open(os.path.join(d, "eve.json")):
        r = json.loads(line)
        if r["event_type"] == "alert":
            dirs[r["alert"]["signature_id"]].append(r.get("direction"))
        elif r["event_type"] == "flow":
            expected.append((r.get("app_proto"), r.get("app_proto_expected")))
ok = sorted(dirs[1]) == ["to_client", "to_server"] and dirs[2] == ["to_server"] and len(dirs[3]) == 1
print(f"  {'ok  ' if ok else 'FAIL'}  tx event rule: {dirs[1]}; to_server only: {dirs[2]}; "
      f"packet event rule: {dirs[3]}")
# the flow record: HTTP where STARTTLS announced TLS (Suricata's app_proto_expected)
ok2 = expected == [("http", "tls")]
print(f"  {'ok  ' if ok2 else 'FAIL'}  flow record app_proto / app_proto_expected: {expected}")
ok = ok and ok2
sys.exit(0 if ok else 1)
