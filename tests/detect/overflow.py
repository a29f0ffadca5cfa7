#!/usr/bin/env python3
"""A packet that more than 16 rules match: as Suricata's alert queue, the
16 highest-ranked alerts are written (rules rank by action, then
priority) and the rest are counted in detect.alert_queue_overflow.
Also memcap.pressure (Suricata 8's stats): 3,000 UDP flows under a
small flow.memcap fill it, and the stats say how full it got.
  usage: overflow.py VIGIL"""
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'policy'))
from early_warning import T0, udp, write_pcap  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from testlib import check, summary  # noqa: E402


def main():
    vigil = sys.argv[1]
    # sids 1-4 rank lowest (priority 4), 5-20 highest (priority 1); the
    # low ones come first in the file, so a queue kept in load order
    # would keep them
    rules = ['alert udp any any -> any any (msg:"r%d"; content:"ping"; priority:%d; sid:%d;)' %
             (s, 4 if s <= 4 else 1, s) for s in range(1, 21)]
    with tempfile.TemporaryDirectory() as d:
        rf, cap = os.path.join(d, 'r.rules'), os.path.join(d, 'in.pcap')
        open(rf, 'w').write('\n'.join(rules) + '\n')
        write_pcap(cap, [(T0, udp('10.137.0.10', '198.51.100.7', 40000, 9999, b'ping')),
                         (T0 + 0.1, udp('10.137.0.10', '198.51.100.7', 40000, 9999, b'pong'))])
        subprocess.run([vigil, '-r', cap, '-S', rf, '-l', d, '--runmode', 'single', '-k', 'none',
                        '--no-progress', '--set', 'outputs.eve.types.stats=yes'],
                       capture_output=True, check=True)
        recs = [json.loads(l) for l in open(os.path.join(d, 'eve.json'))]
    sids = sorted(r['alert']['signature_id'] for r in recs if r['event_type'] == 'alert')
    check('the 16 highest-ranked alerts of the packet: %s' % sids, sids == list(range(5, 21)))
    stats = [r['stats'] for r in recs if r['event_type'] == 'stats']
    over = stats[-1].get('detect', {}).get('alert_queue_overflow') if stats else None
    check('detect.alert_queue_overflow counts the 4 others: %s' % over, over == 4)
    # memcap pressure: 3,000 flows, a flow.memcap that holds about 2,000
    with tempfile.TemporaryDirectory() as d:
        cap = os.path.join(d, 'in.pcap')
        write_pcap(cap, [(T0 + i * 0.001, udp('10.137.%d.%d' % (i // 250, i % 250 + 1),
                                                '198.51.100.7', 40000, 53, b'x'))
                         for i in range(3000)])
        r = subprocess.run([vigil, '-r', cap, '-l', d, '--runmode', 'single', '-k', 'none',
                            '--no-progress', '--set', 'outputs.eve.types.stats=yes',
                            '--set', 'flow.memcap=1mb'], capture_output=True, text=True)
        recs = [json.loads(l) for l in open(os.path.join(d, 'eve.json'))] if not r.returncode else []
    st = [x['stats'] for x in recs if x['event_type'] == 'stats']
    mp = st[-1].get('memcap', {}) if st else {}
    fl = st[-1].get('flow', {}) if st else {}
    check('memcap.pressure_max: the flow table was full or nearly (%s, flow.memcap hits %s)' %
          (mp, fl.get('memcap')), 50 <= mp.get('pressure_max', -1) <= 100 and 'pressure' in mp)
    return summary('overflow')


if __name__ == '__main__':
    sys.exit(main())
