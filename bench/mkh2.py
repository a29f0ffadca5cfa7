#!/usr/bin/env python3
"""Writes a capture of HTTP/2 (prior knowledge, cleartext) sessions for
bench/http2.sh: CONNS connections of REQS requests each, one request per
client segment (HEADERS with END_STREAM, HPACK literals without indexing:
every request's headers are decoded in full), each answered by HEADERS
(:status 200) and a DATA frame of 100 bytes.
  usage: mkh2.py OUT.pcap CONNS REQS"""
import os
import struct
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'tests'))
from testlib import pcap_header, pcap_record, tcp  # noqa: E402


def frame(ftype, flags, sid, payload=b''):
    return struct.pack('!I', len(payload))[1:] + bytes([ftype, flags]) + struct.pack('!I', sid) + payload


def lit(index, value):
    """A literal header field without indexing, its name by static index."""
    v = value.encode()
    name = bytes([index]) if index < 15 else bytes([15, index - 15])
    return name + bytes([len(v)]) + v


def main():
    out, conns, reqs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    with open(out, 'wb') as f:
        f.write(pcap_header())
        t = 1_700_000_000.0

        def put(fr):
            nonlocal t
            t += 0.0001
            f.write(pcap_record(t, fr))
        for c in range(conns):
            cl, sv = '10.1.%d.%d' % (c // 250 % 250, c % 250 + 2), '10.2.0.1'
            sp, cs, ss = 10000 + c % 50000, 1000, 5000
            put(tcp(cl, sv, sp, 80, cs, 0, 0x02))
            put(tcp(sv, cl, 80, sp, ss, cs + 1, 0x12))
            cs += 1
            ss += 1
            put(tcp(cl, sv, sp, 80, cs, ss, 0x10))

            def send(fr_from_client, data):
                nonlocal cs, ss
                if fr_from_client:
                    put(tcp(cl, sv, sp, 80, cs, ss, 0x18, data))
                    cs += len(data)
                    put(tcp(sv, cl, 80, sp, ss, cs, 0x10))
                else:
                    put(tcp(sv, cl, 80, sp, ss, cs, 0x18, data))
                    ss += len(data)
                    put(tcp(cl, sv, sp, 80, cs, ss, 0x10))
            send(True, b'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n' + frame(4, 0, 0))
            send(False, frame(4, 0, 0) + frame(4, 1, 0))
            send(True, frame(4, 1, 0))
            for r in range(reqs):
                sid = 2 * r + 1
                hdr = (b'\x82\x86' + lit(4, '/api/v1/items/%d?page=%d&sort=name' % (c, r)) +
                       lit(1, 'www%d.example.com' % (c % 100)) +
                       lit(58, 'Mozilla/5.0 (X11; Linux x86_64) bench/1.0') + lit(19, '*/*'))
                send(True, frame(1, 0x5, sid, hdr))
                resp = b'\x88' + lit(31, 'application/json') + lit(28, '100')
                send(False, frame(1, 0x4, sid, resp) + frame(0, 0x1, sid, b'x' * 100))
            put(tcp(cl, sv, sp, 80, cs, ss, 0x11))
            put(tcp(sv, cl, 80, sp, ss, cs + 1, 0x11))
            put(tcp(cl, sv, sp, 80, cs + 1, ss + 1, 0x10))


if __name__ == '__main__':
    main()
