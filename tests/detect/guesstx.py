#!/usr/bin/env python3
"""detect.guess-applayer-tx: which transaction an alert names (tx_id).

DNS over TCP: two queries, each answered (each message a transaction:
0, 1, then 2, 3), and a packet carrying two queries at once.  A rule
inspecting a DNS buffer (dns.queries.rrname) names its message's
transaction always, as Suricata's app-layer rules do.  A rule inspecting
only the packet's payload names none, unless detect.guess-applayer-tx is on: then
it names the one message the packet carries (tx_guessed: true, a guess
on TCP), none on the packet with two, and, with
detect.stream-tx-log-limit 1, only the first of two such rules does.
Over UDP a rule of the flow's protocol (alert dns) names its message
without the option, as Suricata, and a guess there is no guess
(no tx_guessed).
  usage: guesstx.py VIGIL"""
import json
import os
import struct
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'policy'))
from early_warning import T0, dnsq, tcp, udp, write_pcap  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from testlib import check, summary  # noqa: E402

C, S, CP = '10.137.0.10', '198.51.100.53', 40000
RULES = [
    'alert dns any any -> any any (msg:"rrname"; dns.queries.rrname; content:"example"; sid:1;)',
    'alert tcp any any -> any any (msg:"raw"; content:"example"; dsize:>0; sid:2;)',
    'alert tcp any any -> any any (msg:"raw too"; content:"xample"; dsize:>0; sid:3;)',
    'alert dns any any -> any any (msg:"dns payload"; content:"example"; sid:4;)',
    'alert udp any any -> any any (msg:"udp raw"; content:"example"; sid:5;)',
]


def answer(q):
    """q answered: QR set, one A record by pointer to the question."""
    qid, _, qd = struct.unpack('!HHH', q[:6])
    return (struct.pack('!HHHHHH', qid, 0x8180, qd, 1, 0, 0) + q[12:] +
            struct.pack('!HHHIH', 0xc00c, 1, 1, 60, 4) + bytes([192, 0, 2, 1]))


def framed(m):
    return struct.pack('!H', len(m)) + m


def capture():
    pkts = [tcp(C, S, CP, 53, 1000, 0, 0x02), tcp(S, C, 53, CP, 5000, 1001, 0x12),
            tcp(C, S, CP, 53, 1001, 5001, 0x10)]
    cs, ss = 1001, 5001
    for n, names in enumerate((['a.example.org'], ['b.example.org'], ['c.example.org', 'd.example.org'])):
        qs = [dnsq(0x100 + 10 * n + i, nm) for i, nm in enumerate(names)]
        req = b''.join(framed(q) for q in qs)
        resp = b''.join(framed(answer(q)) for q in qs)
        pkts.append(tcp(C, S, CP, 53, cs, ss, 0x18, req))
        cs += len(req)
        pkts.append(tcp(S, C, 53, CP, ss, cs, 0x18, resp))
        ss += len(resp)
        pkts.append(tcp(C, S, CP, 53, cs, ss, 0x10))
    pkts.append(tcp(C, S, CP, 53, cs, 0, 0x04))
    q = dnsq(0x777, 'u.example.org')
    pkts += [udp(C, S, CP + 1, 53, q), udp(S, C, 53, CP + 1, answer(q))]
    return [(T0 + i * 0.001, fr) for i, fr in enumerate(pkts)]


def run(vigil, sets):
    with tempfile.TemporaryDirectory() as d:
        cap, rules = os.path.join(d, 'in.pcap'), os.path.join(d, 'r.rules')
        with open(rules, 'w') as f:
            f.write('\n'.join(RULES) + '\n')
        write_pcap(cap, capture())
        # stream.inline yes: each message is parsed on the packet that
        # carries it, the packet a payload rule alerts on (in IDS timing,
        # the default, it is parsed on the peer's acknowledgement, after
        # that alert; suricata-verify task-7018-ids checks that model)
        args = [vigil, '-r', cap, '-S', rules, '-l', d, '--runmode', 'single', '--no-progress',
                '-k', 'none', '--set', 'stream.inline=yes']
        for s in sets:
            args += ['--set', s]
        r = subprocess.run(args, capture_output=True, text=True)
        if r.returncode:
            print(r.stderr)
            sys.exit(1)
        return [json.loads(line) for line in open(os.path.join(d, 'eve.json'))
                if '"event_type":"alert"' in line]


def by(alerts, sid, proto='TCP'):
    """sid's alerts on proto: (the first query's name, tx_id, tx_guessed) each."""
    return [(a.get('dns', {}).get('queries', [{}])[0].get('rrname'), a.get('tx_id'), a.get('tx_guessed'))
            for a in alerts if a['alert']['signature_id'] == sid and a['proto'] == proto]


def main():
    vigil = sys.argv[1]
    want_named = [('a.example.org', 0, None), ('a.example.org', 1, None),
                  ('b.example.org', 2, None), ('b.example.org', 3, None)]
    off = run(vigil, [])
    got = by(off, 1)
    check('app-layer rule names each message: %s' % got, got[:4] == want_named and len(got) == 6)
    got = by(off, 2)
    check('payload rule names none without the option: %s' % got,
          len(got) == 6 and all(t is None and g is None for _, t, g in got))
    got = by(off, 4, 'UDP')
    check('UDP: a rule of the protocol names its message: %s' % got,
          got == [('u.example.org', 0, None), ('u.example.org', 1, None)])
    got = by(off, 5, 'UDP')
    check('UDP: a payload rule names none without the option: %s' % got,
          len(got) == 2 and all(t is None for _, t, _ in got))

    on = run(vigil, ['detect.guess-applayer-tx=yes'])
    got = by(on, 2)
    check('guess: the payload rule names the packet\'s one message: %s' % got,
          got[:4] == [(n, t, True) for n, t, _ in want_named])
    check('guess: none on the packet with two messages: %s' % got[4:],
          len(got) == 6 and all(t is None and g is None for _, t, g in got[4:]))
    check('guess: the app-layer rule is unchanged: %s' % by(on, 1), by(on, 1) == by(off, 1))
    got = by(on, 5, 'UDP')
    check('guess on UDP: named, not marked a guess: %s' % got,
          got == [('u.example.org', 0, None), ('u.example.org', 1, None)])

    lim = run(vigil, ['detect.guess-applayer-tx=yes', 'detect.stream-tx-log-limit=1'])
    two, three = by(lim, 2), by(lim, 3)
    named = [sum(1 for x in (two[i][1], three[i][1]) if x is not None) for i in range(4)]
    check('stream-tx-log-limit 1: one of two rules names each message: %s' % named,
          len(two) == 6 and len(three) == 6 and named == [1, 1, 1, 1])
    sys.exit(summary('guesstx'))


if __name__ == '__main__':
    main()
