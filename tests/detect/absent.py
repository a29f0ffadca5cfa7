#!/usr/bin/env python3
"""http.request_header / http.response_header (each header as "Name:
value") and absent (Suricata 8: the buffer is not there at all; absent:
or_else: not there, or what follows matches), on the one-transaction
capture of suricata-verify's http-all-headers (a GET without a body, a
200 with an HTML body).  Exit 77 without the corpus.

    absent.py VIGIL CORPORA
"""
import os
import sys

from rulerun import alert_counts, load_one

vigil, corpora = sys.argv[1], sys.argv[2]
pcap = os.path.join(corpora, "suricata-verify/tests/http-all-headers/input.pcap")
if not os.path.exists(pcap):
    print("absent: skipped: suricata-verify corpus absent")
    sys.exit(77)
CASES = {
    1: ('http.request_header; content:"User-Agent: Mozilla"; startswith;', 1),
    2: ('http.response_header; content:"Content-Type: text/html"; startswith;', 1),
    3: ('http.request_header; content:"Content-Type:";', 0),
    4: ('flow:to_server; file.data; absent;', 1),          # the GET has no body
    5: ('flow:to_client; file.data; absent;', 0),          # the 200 has one
    6: ('flow:to_client; file.data; absent: or_else; content:!"zzz";', 1),
    7: ('flow:to_client; file.data; absent: or_else; content:"zzz";', 0),
    8: ('http.request_header; absent;', 0),
    9: ('flow:to_server; http.request_body; absent; http.uri; content:"/download";', 1),
}
REFUSED = ['content:"a"; absent;', 'http.uri; content:"a"; absent;', 'http.uri; absent: maybe;']
fails = 0
got = alert_counts(vigil, pcap, ['alert http any any -> any any (%s sid:%d;)' % (opts, sid)
                                 for sid, (opts, _) in CASES.items()])
for sid, (opts, want) in CASES.items():
    ok = got[sid] == want
    fails += not ok
    print("%s sid %d: %d alert(s), want %d: %s" % ("ok  " if ok else "FAIL", sid, got[sid], want, opts))
for i, opts in enumerate(REFUSED):
    skipped, err = load_one(vigil, 'alert http any any -> any any (%s sid:%d;)' % (opts, 100 + i))
    ok = skipped and "absent" in err
    fails += not ok
    print("%s refused: %s" % ("ok  " if ok else "FAIL", opts))
print("absent: %d failed" % fails)
sys.exit(1 if fails else 0)
