#!/usr/bin/env python3
"""stream.inline: when a TCP direction's bytes reach the rule engine.

One HTTP request in three segments; the server acknowledges the first
only, then resets the connection.  With stream.inline: yes the alerts
come on the packets that carry the bytes; with no (Suricata's IDS
model) the unacknowledged bytes are held and inspected at the flow's end
on a flow-timeout pseudo-packet; an acknowledged request is inspected on
the client's next packet, in its own direction; a direction's bytes are
parsed on the peer's packet that acknowledges them (the transaction's
record is written there).
  usage: acked.py VIGIL"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'policy'))
from early_warning import T0, tcp, write_pcap  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from testlib import check, summary  # noqa: E402

C, S, CP, SP = '10.137.0.10', '198.51.100.7', 40000, 80
REQ = b'GET /held HTTP/1.1\r\nHost: example.org\r\nUser-Agent: Mozilla\r\n\r\n'
RULES = [
    'alert tcp any any -> any any (msg:"raw"; content:"User-Agent: Mozilla"; sid:1;)',
    'alert http any any -> any any (msg:"uri"; http.uri; content:"/held"; sid:2;)',
]


def capture(acked):
    """The handshake, the request in three segments, the server's ACK of
    the first (or of all, then the client's next packet), a RST."""
    pkts, t = [], T0
    pkts.append(tcp(C, S, CP, SP, 1000, 0, 0x02))
    pkts.append(tcp(S, C, SP, CP, 5000, 1001, 0x12))
    pkts.append(tcp(C, S, CP, SP, 1001, 5001, 0x10))
    parts = [REQ[:20], REQ[20:40], REQ[40:]]
    seq = 1001
    for p in parts:
        pkts.append(tcp(C, S, CP, SP, seq, 5001, 0x18, p))
        seq += len(p)
    if acked:
        pkts.append(tcp(S, C, SP, CP, 5001, seq, 0x10))
        pkts.append(tcp(C, S, CP, SP, seq, 5001, 0x10))  # the client's next packet
    else:
        pkts.append(tcp(S, C, SP, CP, 5001, 1001 + 20, 0x10))
    pkts.append(tcp(S, C, SP, CP, 5001, 0, 0x04))
    return [(t + i * 0.001, fr) for i, fr in enumerate(pkts)]


def exchange(req=REQ):
    """The handshake, a request, the server's answer (acknowledging it),
    the client's ACK of the answer, a RST."""
    REQ = req
    resp = b'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n'
    pkts = [tcp(C, S, CP, SP, 1000, 0, 0x02), tcp(S, C, SP, CP, 5000, 1001, 0x12),
            tcp(C, S, CP, SP, 1001, 5001, 0x10),
            tcp(C, S, CP, SP, 1001, 5001, 0x18, REQ),
            tcp(S, C, SP, CP, 5001, 1001 + len(REQ), 0x18, resp),
            tcp(C, S, CP, SP, 1001 + len(REQ), 5001 + len(resp), 0x10),
            tcp(C, S, CP, SP, 1001 + len(REQ), 0, 0x04)]
    return [(T0 + i * 0.001, fr) for i, fr in enumerate(pkts)]


def run(vigil, pkts, inline, records=False):
    with tempfile.TemporaryDirectory() as d:
        cap, rules = os.path.join(d, 'in.pcap'), os.path.join(d, 'r.rules')
        with open(rules, 'w') as f:
            f.write('\n'.join(RULES) + '\n')
        write_pcap(cap, pkts)
        r = subprocess.run([vigil, '-r', cap, '-S', rules, '-l', d, '--runmode', 'single',
                            '--no-progress', '-k', 'none', '--set', 'stream.inline=' + inline],
                           capture_output=True, text=True)
        if r.returncode:
            print(r.stderr)
            sys.exit(1)
        recs = [json.loads(line) for line in open(os.path.join(d, 'eve.json'))]
        if records:
            return recs
        return {e['alert']['signature_id']: e for e in recs if e['event_type'] == 'alert'}


def main():
    vigil = sys.argv[1]
    a = run(vigil, capture(False), 'yes')
    check('inline: the URI rule on the request line\'s packet (4), the raw one on the '
          'packet completing the header (6)',
          sorted(a) == [1, 2] and a[2].get('pcap_cnt') == 4 and a[1].get('pcap_cnt') == 6 and
          all(e['pkt_src'] == 'wire/pcap' for e in a.values()))
    check('an HTTP buffer\'s alert names its transaction (tx_id 0), a raw one does not',
          a[2].get('tx_id') == 0 and 'tx_id' not in a[1])
    a = run(vigil, capture(False), 'no')
    check('acknowledged: unacknowledged bytes are inspected at the flow end',
          sorted(a) == [1, 2] and
          all(e['pkt_src'] == 'stream (flow timeout)' and 'pcap_cnt' not in e and
              e['direction'] == 'to_server' and e['src_ip'] == C for e in a.values()))
    a = run(vigil, capture(True), 'no')
    check('acknowledged: an acknowledged request is inspected on the client\'s next packet (8)',
          sorted(a) == [1, 2] and all(e.get('pcap_cnt') == 8 and e['src_ip'] == C and
                                      e['direction'] == 'to_server' for e in a.values()))
    a = run(vigil, capture(True), 'auto')
    check('auto reading a capture is the acknowledged model',
          sorted(a) == [1, 2] and all(e.get('pcap_cnt') == 8 for e in a.values()))
    check('acknowledged: the alert carries the flow counters of that packet (6 to server, 2 to client)',
          a.get(2, {}).get('flow', {}).get('pkts_toserver') == 6 and
          a.get(2, {}).get('flow', {}).get('pkts_toclient') == 2)
    recs = run(vigil, exchange(), 'no', records=True)
    http = [e for e in recs if e['event_type'] == 'http']
    al = [e for e in recs if e['event_type'] == 'alert']
    check('acknowledged: the HTTP record on the client\'s ACK of the response (6), the '
          'request\'s alerts on it too (the client\'s next packet)',
          len(http) == 1 and http[0].get('pcap_cnt') == 6 and
          http[0]['http'].get('status') == 200 and
          sorted(e['alert']['signature_id'] for e in al) == [1, 2] and
          all(e.get('pcap_cnt') == 6 for e in al))
    recs = run(vigil, exchange(), 'yes', records=True)
    http = [e for e in recs if e['event_type'] == 'http']
    check('inline: the HTTP record on the response\'s packet (5)',
          len(http) == 1 and http[0].get('pcap_cnt') == 5)
    # an upload (a PUT's body is a file): its fileinfo record comes on the
    # client's next packet (6) in the acknowledged model, as Suricata logs a
    # direction's files on that direction's packets, not on the server's
    # packet that acknowledged the bytes (5); inline on the request's (4)
    put = (b'PUT /notes.txt HTTP/1.1\r\nHost: example.org\r\nContent-Length: 11\r\n\r\n'
           b'hello world')
    for inline, want in (('no', 6), ('yes', 4)):
        recs = run(vigil, exchange(put), inline, records=True)
        fi = [e for e in recs if e['event_type'] == 'fileinfo']
        check('%s: the upload\'s fileinfo record on packet %d, to_server, wire/pcap: %s' %
              (inline, want, [(e.get('pcap_cnt'), e.get('src_ip'), e.get('pkt_src')) for e in fi]),
              len(fi) == 1 and fi[0].get('pcap_cnt') == want and fi[0]['src_ip'] == C and
              fi[0].get('pkt_src') == 'wire/pcap' and fi[0]['fileinfo'].get('size') == 11)
    return summary('acked')


if __name__ == '__main__':
    sys.exit(main())
