#!/usr/bin/env python3
"""Writes a capture of HTTP/2 (prior knowledge, cleartext) sessions for
bench/http2.sh: CONNS connections of REQS requests each, one request per
client segment (HEADERS with END_STREAM, HPACK literals without indexing:
every request's headers are decoded in full), each answered by HEADERS
(:status 200) and a DATA frame of 100 bytes.
  usage: mkh2.py OUT.pcap CONNS REQS"""
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip4(a):
    return bytes(int(x) for x in a.split('.'))


def tcp(src, dst, sp, dp, seq, ack, flags, data=b''):
    h = struct.pack('!HHIIBBHHH', sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0) + data
    ph = ip4(src) + ip4(dst) + struct.pack('!BBH', 0, 6, len(h))
    h = h[:16] + struct.pack('!H', csum(ph + h)) + h[18:]
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(h), 0, 0x4000, 64, 6, 0, ip4(src), ip4(dst))
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return b'\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00' + ip + h


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
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        t = 1_700_000_000.0

        def put(fr):
            nonlocal t
            t += 0.0001
            f.write(struct.pack('<IIII', int(t), int((t % 1) * 1e6), len(fr), len(fr)) + fr)
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
