#!/usr/bin/env python3
"""Early-warning detectors on a synthetic timeline, made here and read
offline (packet time drives the detectors):

- a TCP session kept open 5 hours with a packet every 5 minutes: reported
  as a long session at 1 h and at 4 h (and not at 8 h);
- a TCP session that goes quiet after its first data: reported idle once,
  after policy.idle-session, while still open; a session that talks every
  minute for 20 minutes is not reported while it talks, only once after;
- DNS questions: one with a 60-character label (over policy.dns-label-max),
  one with a random-looking 30-character label, and ordinary names
  (www.example.com, a long but English-like label) that must not be;
- a beacon: a short answered connection every 60 s +- 5 s to one host,
  reported once (at its 4th connection's end); the same rhythm of SYNs
  nobody answers is not a beacon (failed connections do not count), nor
  are connections at random times;
- a port scan: SYNs to 150 ports of one host within a minute, reported
  once, and a host scan of 60 hosts; 20 ports are not a scan;
- DNS counts: 70 distinct names under one domain from one source in 35 s
  (reported once, naming the domain), 10 under another (not), and 30
  NXDOMAIN answers to one client (reported once).

   early_warning.py VIGIL"""
import json, os, random, struct, subprocess, sys, tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from testlib import ip4, tcp, udp, write_pcap  # noqa: E402,F401 (control.py, acked.py take them from here)

T0 = 1700000000


def dnsq(qid, name):
    q = b''.join(bytes([len(l)]) + l.encode() for l in name.split('.')) + b'\0'
    return struct.pack('!HHHHHH', qid, 0x0100, 1, 0, 0, 0) + q + struct.pack('!HH', 1, 1)


def session(pkts, t, c, s, sp, times):
    """A handshake at t, then one client segment at each of times."""
    seq, sack = 1000, 5000
    pkts.append((t, tcp(c, s, sp, 443, seq, 0, 0x02)))
    pkts.append((t + 0.001, tcp(s, c, 443, sp, sack, seq + 1, 0x12)))
    pkts.append((t + 0.002, tcp(c, s, sp, 443, seq + 1, sack + 1, 0x10)))
    seq += 1
    for x in times:
        pkts.append((x, tcp(c, s, sp, 443, seq, sack + 1, 0x18, b'ping')))
        pkts.append((x + 0.001, tcp(s, c, 443, sp, sack + 1, seq + 4, 0x10)))
        seq += 4


def main():
    vigil = sys.argv[1]
    pkts = []
    # long: open 5 hours, a segment every 5 minutes
    session(pkts, T0, '10.137.0.10', '198.51.100.10', 40000, [T0 + 300 * i for i in range(1, 61)])
    # idle: one segment at +10 s, then silence (the long session's packets
    # keep the clock going)
    session(pkts, T0 + 5, '10.137.0.10', '198.51.100.11', 40001, [T0 + 10])
    # chatty: a segment every minute for 20 minutes: never idle
    session(pkts, T0 + 5, '10.137.0.10', '198.51.100.12', 40002, [T0 + 60 * i for i in range(1, 21)])
    # beacon: answered short connections every 60 s +- 5 s
    jit = random.Random(9)
    for i in range(8):
        t = T0 + 1000 + 60 * i + jit.randint(-5, 5)
        session(pkts, t, '10.137.0.10', '203.0.113.50', 41000 + i, [t + 0.5])
        pkts.append((t + 0.6, tcp('10.137.0.10', '203.0.113.50', 41000 + i, 443, 1006, 5001, 0x11)))
        pkts.append((t + 0.7, tcp('203.0.113.50', '10.137.0.10', 443, 41000 + i, 5001, 1007, 0x11)))
        pkts.append((t + 0.8, tcp('10.137.0.10', '203.0.113.50', 41000 + i, 443, 1007, 5002, 0x10)))
    # the same rhythm, unanswered
    for i in range(8):
        t = T0 + 1000 + 60 * i
        pkts.append((t, tcp('10.137.0.10', '203.0.113.51', 42000 + i, 443, 1000, 0, 0x02)))
    # random times
    for i, t in enumerate(sorted(jit.randint(0, 4000) for _ in range(10))):
        session(pkts, T0 + 1000 + t, '10.137.0.10', '203.0.113.52', 43000 + i, [T0 + 1000 + t + 0.5])
    # scans: 150 ports of one host in a minute, 60 hosts on one port; 20 ports
    for p_ in range(150):
        pkts.append((T0 + 2000 + p_ * 0.2, tcp('198.51.100.66', '10.137.0.30', 50000, 1 + p_, 7, 0, 0x02)))
    for h in range(60):
        pkts.append((T0 + 2100 + h * 0.5, tcp('198.51.100.67', f'10.137.1.{h + 1}', 50001, 22, 7, 0, 0x02)))
    for p_ in range(20):
        pkts.append((T0 + 2200 + p_, tcp('198.51.100.68', '10.137.0.31', 50002, 1 + p_, 7, 0, 0x02)))
    # DNS counts
    for i in range(70):
        pkts.append((T0 + 2400 + i * 0.5, udp('10.137.0.11', '10.139.1.1', 51000 + i, 53,
                                              dnsq(1000 + i, f'x{i:03d}q.tunnel.example.co.uk'))))
    for i in range(10):
        pkts.append((T0 + 2400 + i, udp('10.137.0.11', '10.139.1.1', 52000 + i, 53,
                                        dnsq(2000 + i, f'host{i}.normal.example'))))
    for i in range(30):
        q = dnsq(3000 + i, f'nx{i}dga.example')
        nx = q[:2] + struct.pack('!H', 0x8183) + q[4:]
        pkts.append((T0 + 2500 + i, udp('10.139.1.1', '10.137.0.12', 53, 53000 + i, nx)))
    rnd = random.Random(3)
    tunnel = ''.join(rnd.choice('abcdefghijklmnopqrstuvwxyz0123456789') for _ in range(30))
    names = ['www.example.com', 'a' * 60 + '.t.example', tunnel + '.t.example',
             'thisisaverylongbutreadablehostname.example.org']
    for i, n in enumerate(names):
        pkts.append((T0 + 20 + i, udp('10.137.0.10', '10.139.1.1', 50000 + i, 53, dnsq(100 + i, n))))
    pkts.sort(key=lambda x: x[0])
    with tempfile.TemporaryDirectory() as d:
        cap = os.path.join(d, 'in.pcap')
        write_pcap(cap, pkts)
        r = subprocess.run([vigil, '-r', cap, '-l', d, '--runmode', 'single', '--no-progress',
                            '--set', 'flow-timeouts.tcp.established=900'],
                           capture_output=True, text=True)
        if r.returncode:
            print(r.stderr)
            return 1
        recs = [json.loads(l) for l in open(os.path.join(d, 'eve.json'))]
    al = [x for x in recs if x.get('event_type') == 'alert' and x['alert']['gid'] == 7]
    ok = fails = 0

    def check(what, cond):
        nonlocal ok, fails
        print(('  ok    ' if cond else '  FAIL  ') + what)
        ok += cond
        fails += not cond

    longs = [x for x in al if x['policy']['type'] == 'long_session']
    idles = [x for x in al if x['policy']['type'] == 'idle_session']
    dns = [x for x in al if x['policy']['type'] == 'dns_anomaly']
    check('long session: grades 1 h and 4 h, nothing else',
          sorted(x['policy']['threshold'] for x in longs) == [3600, 14400])
    check('long session reported on the right flow, with its duration',
          all(x['dest_ip'] == '198.51.100.10' and x['policy']['duration'] >= x['policy']['threshold']
              for x in longs))
    check('the 1 h report comes within a check interval of the hour',
          any(x['policy']['threshold'] == 3600 and x['policy']['duration'] <= 3600 + 300 for x in longs))
    quiet = [x for x in idles if x['dest_ip'] == '198.51.100.11']
    check('idle session: the quiet flow once, while still open (before its 900 s timeout)',
          len(quiet) == 1 and 300 <= quiet[0]['policy']['idle'] < 900)
    chatty = [x for x in idles if x['dest_ip'] == '198.51.100.12']
    check('the chatty flow is not idle while it talks (once, after its last segment)',
          len(chatty) == 1 and chatty[0]['policy']['last'].startswith('2023-11-14T22:33:20'))
    check('DNS: the long label and the random label, not the ordinary names',
          sorted(x['policy']['reason'] for x in dns) == ['long label', 'random-looking label'])
    check('DNS reports name the query and label',
          any(x['policy']['label'] == tunnel and x['policy']['query'].startswith(tunnel) for x in dns))
    beacons = [x for x in al if x['policy']['type'] == 'beacon']
    check('the beacon: once, to its host, with its rhythm',
          [x['dest_ip'] for x in beacons] == ['203.0.113.50'] and
          abs(beacons[0]['policy']['interval_mean'] - 60) < 6 and beacons[0]['policy']['connections'] == 4)
    scans = [x for x in al if x['policy']['type'] in ('port_scan', 'host_scan')]
    check('the port scan and the host scan, once each, from their sources',
          sorted((x['src_ip'], x['policy']['type']) for x in scans) ==
          [('198.51.100.66', 'port_scan'), ('198.51.100.67', 'host_scan')])
    counts = [x for x in al if x['policy']['type'] in ('dns_unique_subdomains', 'dns_nxdomain')]
    check('DNS counts: the tunnel domain once (example.co.uk rules), the NXDOMAIN client once',
          sorted((x['policy']['type'], x['policy'].get('domain', x['dest_ip'])) for x in counts) ==
          [('dns_nxdomain', '10.137.0.12'), ('dns_unique_subdomains', 'example.co.uk')])
    st = [x for x in recs if x.get('event_type') == 'stats'][-1]['stats']
    check('counted in stats (policy.early_warnings)', st['policy']['early_warnings'] == len(al))
    print(f'early_warning: {ok} passed, {fails} failed')
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
