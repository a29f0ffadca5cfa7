#!/usr/bin/env python3
"""DNS past the configured resolvers, by DNS over HTTPS: a VM with a
policy (policy.resolvers set) reaching a public DoH endpoint is a
violation, found by the address (8.8.8.8:443), by the name its own DNS
answer gave the address (cloudflare-dns.com), and by the TLS server name
on a flow otherwise allowed (SNI dns.google to an allowed name's address).
An allowed HTTPS flow and the same address on port 80 are not.  Read
offline with --simulate-ips: the violations are blocked.

   doh.py VIGIL"""
import json, os, struct, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from early_warning import T0, dnsq, tcp, udp, write_pcap  # noqa: E402
from learned import dns_answer  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from testlib import check, summary  # noqa: E402


def client_hello(sni):
    name = sni.encode()
    sni_ext = struct.pack('!HBH', len(name) + 3, 0, len(name)) + name
    ext = struct.pack('!HH', 0, len(sni_ext)) + sni_ext
    body = (b'\x03\x03' + b'\x11' * 32 + b'\x00' + struct.pack('!H', 2) + b'\x13\x01' + b'\x01\x00'
            + struct.pack('!H', len(ext)) + ext)
    hs = b'\x01' + struct.pack('!I', len(body))[1:] + body
    return b'\x16\x03\x01' + struct.pack('!H', len(hs)) + hs


def main():
    vigil = sys.argv[1]
    vm, res = '10.137.0.10', '10.139.1.1'
    pkts, t = [], T0
    port = [41000]

    def flow(dst, dport, data=None):
        nonlocal t
        port[0] += 1
        sp = port[0]
        t += 1
        pkts.append((t, tcp(vm, dst, sp, dport, 1000, 0, 0x02)))
        pkts.append((t + 0.01, tcp(dst, vm, dport, sp, 5000, 1001, 0x12)))
        pkts.append((t + 0.02, tcp(vm, dst, sp, dport, 1001, 5001, 0x10)))
        if data:
            pkts.append((t + 0.03, tcp(vm, dst, sp, dport, 1001, 5001, 0x18, data)))

    def resolve(name, addr):
        nonlocal t
        port[0] += 1
        t += 1
        pkts.append((t, udp(vm, res, port[0], 53, dnsq(port[0], name))))
        pkts.append((t + 0.01, udp(res, vm, 53, port[0], dns_answer(port[0], name, addr))))

    resolve('www.example.net', '198.51.100.20')
    flow('198.51.100.20', 443, client_hello('www.example.net'))   # allowed
    flow('8.8.8.8', 443)                                          # DoH by address
    flow('8.8.8.8', 80)                                           # not DoH (but not allowed)
    resolve('cloudflare-dns.com', '104.16.248.249')
    flow('104.16.248.249', 443)                                   # DoH by the name resolved
    flow('198.51.100.20', 443, client_hello('dns.google'))        # DoH by server name
    with tempfile.TemporaryDirectory() as d:
        vms = os.path.join(d, 'vms.yaml')
        open(vms, 'w').write('work:\n  addresses: 10.137.0.10\n  allow: ["*.example.net tcp/443"]\n')
        cap = os.path.join(d, 'in.pcap')
        write_pcap(cap, sorted(pkts, key=lambda x: x[0]))
        r = subprocess.run([vigil, '-r', cap, '-l', d, '--runmode', 'single', '--no-progress',
                            '--simulate-ips', '--set', 'identity.file=' + vms,
                            '--set', 'policy.resolvers=' + res,
                            '--set', 'policy.state-file='], capture_output=True, text=True)
        if r.returncode:
            print(r.stderr)
            return 1
        recs = [json.loads(l) for l in open(os.path.join(d, 'eve.json'))]
        v = [x for x in recs if x.get('event_type') == 'alert' and x['alert']['signature_id'] == 3]
        for x in v:
            print('    ', x['alert']['signature'])
        doh = [x for x in v if 'DNS over HTTPS' in x['policy']['rule']]
        check('three DoH violations', len(doh) == 3)
        by = {(x['policy']['field'], x['policy']['rule'].split('(')[1].split(')')[0]) for x in doh}
        check('by address: 8.8.8.8', ('dest_ip', '8.8.8.8') in by)
        check('by the name the VM resolved: cloudflare-dns.com',
              any(f == 'dest_ip' and e.endswith('cloudflare-dns.com') for f, e in by))
        check('by TLS server name on an allowed flow: dns.google', ('tls.sni', 'dns.google') in by)
        check('each one blocked', all(x['alert']['action'] == 'blocked' for x in doh))
        other = [x for x in v if x not in doh]
        check('8.8.8.8:80 is a default-deny violation, not DoH, and the DNS question for '
              'cloudflare-dns.com is refused',
              sorted(x['policy']['field'] for x in other) == ['dest_ip', 'dns.query'])
        check('the allowed flow is not reported',
              not any(x['policy'].get('value') == 'www.example.net' for x in v))
    return summary('doh')


if __name__ == '__main__':
    sys.exit(main())
