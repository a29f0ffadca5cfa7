#!/usr/bin/env python3
"""The VPN kill switch: a VM marked VPN-only (an identity file "vpn:"
endpoint) may send only to its endpoint.  A capture made here holds its
tunnel traffic and four kinds of leak: a DNS query to the Qubes resolver,
a reverse-DNS (PTR) lookup of a local address, an IPv6 packet, a direct
TCP connection.  With --simulate-ips each leak is alerted with its kind
and dropped (the flow with it); the tunnel is neither.
   vpn_leak.py VIGIL"""
import json, os, struct, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from early_warning import T0, dnsq  # noqa: E402
from testlib import csum, frame, tcp, udp, write_pcap  # noqa: E402


def ip6_udp(src, dst, sp, dp, data):
    import ipaddress
    s, d = ipaddress.IPv6Address(src).packed, ipaddress.IPv6Address(dst).packed
    u = struct.pack('!HHHH', sp, dp, 8 + len(data), 0) + data
    ph = s + d + struct.pack('!I3xB', len(u), 17)
    u = u[:6] + struct.pack('!H', csum(ph + u)) + u[8:]
    ip = struct.pack('!IHBB', 6 << 28, len(u), 17, 64) + s + d
    return b'\x02' * 6 + b'\x04' * 6 + b'\x86\xdd' + ip + u


def main():
    vigil = sys.argv[1]
    vm, ep = '10.137.0.40', '203.0.113.1'
    pkts = [
        (T0 + 1, udp(vm, ep, 40000, 51820, b'\x01' + b'\0' * 147)),          # the tunnel
        (T0 + 1.1, udp(ep, vm, 51820, 40000, b'\x02' + b'\0' * 91)),
        (T0 + 2, udp(vm, '10.139.1.1', 40001, 53, dnsq(1, 'example.com'))),   # DNS leak
        (T0 + 3, udp(vm, '10.139.1.1', 40002, 53, dnsq(2, '1.0.137.10.in-addr.arpa'))),
        (T0 + 4, ip6_udp('fd09::40', '2001:db8::1', 40003, 443, b'quic?')),  # IPv6 leak
        (T0 + 5, tcp(vm, '93.184.216.34', 40004, 443, 1000, 0, 0x02)),         # direct
        (T0 + 6, udp(vm, ep, 40000, 51820, b'\x04' + b'\0' * 99)),            # tunnel again
    ]
    with tempfile.TemporaryDirectory() as d:
        cap = os.path.join(d, 'in.pcap')
        write_pcap(cap, pkts)
        with open(os.path.join(d, 'vms.yaml'), 'w') as f:
            f.write(f'banking:\n  addresses: [{vm}, fd09::40]\n  vpn: ["{ep} udp/51820"]\n')
        r = subprocess.run([vigil, '-r', cap, '-l', d, '--runmode', 'single', '--no-progress',
                            '--simulate-ips', '--set', 'identity.file=' + os.path.join(d, 'vms.yaml')],
                           capture_output=True, text=True)
        if r.returncode:
            print(r.stderr)
            return 1
        recs = [json.loads(l) for l in open(os.path.join(d, 'eve.json'))]
    leaks = [x for x in recs if x.get('event_type') == 'alert' and x['alert']['gid'] == 7
             and x['policy']['type'] == 'vpn_leak']
    ok = fails = 0

    def check(what, cond):
        nonlocal ok, fails
        print(('  ok    ' if cond else '  FAIL  ') + what)
        ok += cond
        fails += not cond

    kinds = sorted(x['policy']['leak'] for x in leaks)
    check(f'four leaks, each of its kind ({kinds})', kinds == ['direct', 'dns', 'ipv6', 'reverse-dns'])
    check('every leak is blocked and names the VM',
          all(x['alert']['action'] == 'blocked' and x['policy']['vm'] == 'banking' for x in leaks))
    check('the reverse lookup names what leaked',
          any(x['policy']['value'] == '1.0.137.10.in-addr.arpa' for x in leaks))
    check('no alert about the tunnel itself',
          not any(x.get('event_type') == 'alert' and x.get('dest_ip') == ep for x in recs))
    flows = [x for x in recs if x.get('event_type') == 'flow']
    tun = next((x for x in flows if x['dest_ip'] == ep and x.get('dest_port') == 51820), None)
    check('the tunnel flow passes (3 packets, no action)',
          tun is not None and tun['flow']['pkts_toserver'] == 2 and 'action' not in tun['flow'])
    check('each leak flow is dropped',
          sum(1 for x in flows if x['flow'].get('action') == 'drop') == 4)
    print(f'vpn_leak: {ok} passed, {fails} failed')
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
