#!/usr/bin/env python3
"""Exception policies: what vigil does with a flow or packet when it hits a
limit, as Suricata's (exception-policy, stream.reassembly.memcap-policy,
stream.memcap-policy, stream.midstream-policy ...).

A TCP session with a tiny stream.reassembly.memcap: a segment that arrives
out of order cannot be buffered (the reassembly memcap), or with the
memcap smaller than a session's reassembly state none can be had (the
session memcap).  Each case checks the stats counter
(exception_policy.<target>.<policy>), the flow record
(flow.exception_policy[], flow.action) and the drop records (drop.reason).
  usage: exception_policy.py VIGIL"""
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
RULES = ['alert tcp any any -> any any (msg:"marker"; content:"MARKER"; sid:1;)']


def capture(ooo, data=b'MARKER'):
    """The handshake; with ooo a 1200-byte segment 100 bytes ahead of the
    next expected byte (it must be buffered), then the missing 100 bytes
    and more packets carrying MARKER; a RST."""
    pkts = [tcp(C, S, CP, SP, 1000, 0, 0x02), tcp(S, C, SP, CP, 5000, 1001, 0x12),
            tcp(C, S, CP, SP, 1001, 5001, 0x10)]
    seq = 1001
    if ooo:
        pkts.append(tcp(C, S, CP, SP, seq + 100, 5001, 0x18, b'x' * 1200))
        pkts.append(tcp(C, S, CP, SP, seq, 5001, 0x18, b'y' * 100))
        seq += 1300
    for _ in range(3):
        pkts.append(tcp(C, S, CP, SP, seq, 5001, 0x18, data))
        seq += len(data)
    pkts.append(tcp(S, C, SP, CP, 5001, seq, 0x10))
    pkts.append(tcp(C, S, CP, SP, seq, 5001, 0x04))
    return [(T0 + i * 0.001, fr) for i, fr in enumerate(pkts)]


def run(vigil, pkts, sets, ips=True):
    with tempfile.TemporaryDirectory() as d:
        cap, rules = os.path.join(d, 'in.pcap'), os.path.join(d, 'r.rules')
        with open(rules, 'w') as f:
            f.write('\n'.join(RULES) + '\n')
        write_pcap(cap, pkts)
        args = [vigil, '-r', cap, '-S', rules, '-l', d, '--runmode', 'single', '--no-progress',
                '-k', 'none']
        if ips:
            args.append('--simulate-ips')
        for s in sets:
            args += ['--set', s]
        r = subprocess.run(args, capture_output=True, text=True)
        if r.returncode:
            print(r.stderr)
            sys.exit(1)
        recs = [json.loads(line) for line in open(os.path.join(d, 'eve.json'))]
        by = {}
        for e in recs:
            by.setdefault(e['event_type'], []).append(e)
        return by, r.stderr


def xp_stats(by):
    return (by.get('stats') or [{}])[-1].get('stats', {}).get('exception_policy')


def main():
    vigil = sys.argv[1]
    # the reassembly memcap, drop-flow: the segment's packet dropped for
    # "stream reassembly", every later one as the flow's
    by, _ = run(vigil, capture(True), ['stream.reassembly.memcap=1kb',
                                       'stream.reassembly.memcap-policy=drop-flow'])
    drops = by.get('drop', [])
    fl = by['flow'][0]['flow']
    check('reassembly memcap, drop-flow: counted once',
          xp_stats(by)['tcp']['reassembly'] == {'drop_packet': 0, 'drop_flow': 1, 'pass_packet': 0,
                                                 'pass_flow': 0, 'bypass': 0, 'reject': 0})
    check('reassembly memcap, drop-flow: the flow record names it and says drop',
          fl.get('exception_policy') == [{'target': 'stream_reassembly_memcap',
                                          'policy': 'drop_flow'}] and fl.get('action') == 'drop')
    check('reassembly memcap, drop-flow: drop records say why (packet 4, then the flow\'s)',
          len(drops) == 7 and drops[0]['drop']['reason'] == 'stream reassembly' and
          drops[0]['pcap_cnt'] == 4 and
          all(x['drop']['reason'] == 'exception policy flow drop' for x in drops[1:]))
    check('reassembly memcap, drop-flow: nothing after it inspected', 'alert' not in by)
    check('reassembly memcap, drop-flow: only the targets not at ignore are in stats',
          sorted(xp_stats(by)) == ['app_layer', 'defrag', 'flow', 'tcp'] and
          'midstream' in xp_stats(by)['tcp'] and
          sorted(xp_stats(by)['flow']['memcap']) == ['drop_packet', 'pass_packet', 'reject'])

    # the same with pass-packet: that packet left out of detection only
    by, _ = run(vigil, capture(True), ['stream.reassembly.memcap=1kb',
                                       'stream.reassembly.memcap-policy=pass-packet'])
    check('reassembly memcap, pass-packet: counted, nothing dropped, the rest inspected',
          xp_stats(by)['tcp']['reassembly']['pass_packet'] == 1 and 'drop' not in by and
          len(by.get('alert', [])) >= 1 and
          by['flow'][0]['flow'].get('exception_policy') ==
          [{'target': 'stream_reassembly_memcap', 'policy': 'pass_packet'}] and
          'action' not in by['flow'][0]['flow'])

    # the session memcap, through the master switch: pass-flow; the
    # session never gets its reassembly state, so each of its packets from
    # the handshake's last ACK on (6) meets it again, as Suricata's
    # untracked midstream session does
    by, _ = run(vigil, capture(False), ['stream.reassembly.memcap=1', 'exception-policy=pass-flow'])
    fl = by['flow'][0]['flow']
    check('session memcap, master switch pass-flow: counted per packet, the flow passed, no alert',
          xp_stats(by)['tcp']['ssn_memcap']['pass_flow'] == 6 and fl.get('action') == 'pass' and
          fl.get('exception_policy') == [{'target': 'stream_memcap', 'policy': 'pass_flow'}] and
          'alert' not in by and 'drop' not in by)

    # IDS mode: drop-flow is ignore (a warning says so); the flow record
    # still names the exception, with its policy ignore, and no counters
    by, err = run(vigil, capture(True), ['stream.reassembly.memcap=1kb',
                                         'stream.reassembly.memcap-policy=drop-flow'], ips=False)
    fl = by['flow'][0]['flow']
    check('IDS: drop-flow taken as ignore, with a warning',
          'stream.reassembly.memcap-policy drop-flow' in err and 'drop' not in by and
          'action' not in fl and len(by.get('alert', [])) >= 1)
    check('IDS: the flow record names the exception with policy ignore; no counters',
          fl.get('exception_policy') == [{'target': 'stream_reassembly_memcap',
                                          'policy': 'ignore'}] and xp_stats(by) is None)

    # midstream, inline, default (auto): drop-flow without stream.midstream
    pk = capture(False)[2:]
    by, _ = run(vigil, pk, [])
    drops = by.get('drop', [])
    check('midstream, auto inline: drop-flow, "stream midstream" then the flow\'s',
          xp_stats(by)['tcp']['midstream']['drop_flow'] == 1 and len(drops) == len(pk) and
          drops[0]['drop']['reason'] == 'stream midstream' and
          by['flow'][0]['flow'].get('action') == 'drop')

    # the flow memcap: no flow for any packet; drop-flow is drop-packet
    # there (no flow to drop), every packet dropped for "flow memcap"
    pk = capture(False)
    by, _ = run(vigil, pk, ['flow.memcap=1', 'flow.prealloc=0', 'flow.memcap-policy=drop-flow'])
    drops = by.get('drop', [])
    check('flow memcap, drop-flow: drop-packet on each packet, "flow memcap"',
          xp_stats(by)['flow']['memcap'] == {'drop_packet': len(pk), 'pass_packet': 0,
                                             'reject': 0} and
          len(drops) == len(pk) and all(x['drop']['reason'] == 'flow memcap' for x in drops) and
          'flow' not in by and 'alert' not in by)

    # an app-layer parser error (simulated at the client's first byte):
    # drop-flow drops from that packet on, "applayer error"
    req = b'GET /MARKER HTTP/1.1\r\nHost: example.org\r\n\r\n'
    by, _ = run(vigil, capture(False, req), ['simulate.applayer-error-at-offset-ts=0',
                                        'app-layer.error-policy=drop-flow'])
    drops = by.get('drop', [])
    fl = by['flow'][0]['flow']
    check('app-layer error, drop-flow: counted, named, dropped from its packet on',
          xp_stats(by)['app_layer']['error']['drop_flow'] == 1 and
          fl.get('exception_policy') == [{'target': 'app_layer_error', 'policy': 'drop_flow'}] and
          fl.get('action') == 'drop' and drops and drops[0]['pcap_cnt'] == 4 and
          drops[0]['drop']['reason'] == 'applayer error' and 'alert' not in by)
    return summary('exception_policy')


if __name__ == '__main__':
    sys.exit(main())
