#!/usr/bin/env python3
"""Transactional (=>) rules, as Suricata 8 defines them: a rule matches
one HTTP transaction's request and response together, with the addresses
as written (source: the client); a direction-ambiguous buffer (http.header,
file.data, ...) says which side it reads with ": to_server" / ": to_client";
filesize takes a direction.  Loading refuses a => rule with a flow
direction, with an ambiguous buffer, or using only one direction.  Runs on
the one-transaction capture of suricata-verify's http-all-headers (GET
/download.html, 200, an 18 KB HTML page).  Exit 77 without the corpus.

    txdir.py VIGIL CORPORA
"""
import os
import sys

from rulerun import alert_counts, load_one

vigil, corpora = sys.argv[1], sys.argv[2]
pcap = os.path.join(corpora, "suricata-verify/tests/http-all-headers/input.pcap")
if not os.path.exists(pcap):
    print("txdir: skipped: suricata-verify corpus absent")
    sys.exit(77)

# sid: (rule options and ports, alerts wanted)
CASES = {
    1: ('any => any 80 (http.uri; content:"/download"; http.header: to_server; content:"User-Agent"; '
        'http.stat_code; content:"200";', 1),
    2: ('any => any any (http.uri; content:"/download"; http.header: to_client; content:"User-Agent";', 0),
    3: ('80 => any any (http.uri; content:"/download"; http.stat_code; content:"200";', 0),  # reversed
    4: ('any => any any (http.uri; content:"/download"; filesize: to_client, >100;', 1),
    5: ('any => any any (http.uri; content:"/download"; filesize: to_server, >100;', 0),
    6: ('any => any any (http.method; content:"GET"; file.data: to_client; content:"<html"; nocase;', 1),
    7: ('any => any any (http.method; content:"GET"; http.header_names: to_client; to_lowercase; '
        'content:"|0d 0a|server";', 1),
    8: ('any => any any (http.uri; content:"/download"; http.stat_code; content:"404";', 0),
    9: ('any => any any (http.connection: to_client; content:"eep"; http.connection: to_server; '
        'content:"eep";', 1),
}
REFUSED = {
    101: ('http.uri; content:"/download"; http.stat_code; content:"200"; flow:to_server;',
          "cannot specify a flow direction"),
    102: ('http.uri; content:"/download";', "should use both directions"),
    103: ('http.uri; content:"/x"; http.stat_code; content:"200"; http.connection; content:"eep";',
          "ambiguous about directions"),
    104: ('content:"/download"; content:"200";', "should use both directions"),
}
fails = 0
got = alert_counts(vigil, pcap, ['alert http any %s sid:%d;)' % (text, sid) for sid, (text, _) in CASES.items()])
for sid, (text, want) in CASES.items():
    ok = got[sid] == want
    fails += not ok
    print("%s sid %d: %d alert(s), want %d" % ("ok  " if ok else "FAIL", sid, got[sid], want))
for sid, (opts, msg) in REFUSED.items():
    skipped, err = load_one(vigil, 'alert http any any => any any (%s sid:%d;)' % (opts, sid))
    ok = msg in err and skipped
    fails += not ok
    print("%s refused %d: %s" % ("ok  " if ok else "FAIL", sid, msg if ok else err.strip()))
# a buffer's direction belongs to => rules only
skipped, err = load_one(vigil, 'alert http any any -> any any (http.connection: to_client; content:"x"; sid:200;)')
ok = "transactional (=>) rules" in err
fails += not ok
print("%s refused 200: direction on a -> rule" % ("ok  " if ok else "FAIL"))
print("txdir: %d failed" % fails)
sys.exit(1 if fails else 0)
