"""What the Python tests share: the check counter and a capture writer
(classic pcap, Ethernet and IPv4 with TCP or UDP, checksums filled).

    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
    from testlib import check, summary
    ...
    return summary('name')   # prints "name: N passed, M failed"; 1 if any failed
"""
import struct

_counts = {'ok': 0, 'fails': 0}


def check(what, cond):
    """Prints one line for a check and counts it."""
    print(('  ok    ' if cond else '  FAIL  ') + what, flush=True)
    _counts['ok' if cond else 'fails'] += 1
    return bool(cond)


def summary(name):
    """Prints the counts; the exit status: 1 if a check failed."""
    print(f"{name}: {_counts['ok']} passed, {_counts['fails']} failed")
    return 1 if _counts['fails'] else 0


def csum(b):
    """The Internet checksum of b."""
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ip4(a):
    """An IPv4 address from "10.0.0.1" (or its four bytes, as they are)."""
    return a if isinstance(a, bytes) else bytes(int(x) for x in a.split('.'))


def frame(src, dst, proto, l4, ip_id=1, ttl=64):
    """An Ethernet frame carrying an IPv4 packet of protocol proto."""
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(l4), ip_id, 0, ttl, proto, 0, ip4(src),
                     ip4(dst))
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return b'\x02' * 6 + b'\x04' * 6 + b'\x08\x00' + ip + l4


def tcp(src, dst, sp, dp, seq, ack, flags, data=b''):
    """A TCP segment in a frame (flags: 0x02 SYN, 0x10 ACK, 0x18 PSH+ACK...)."""
    h = struct.pack('!HHIIBBHHH', sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0) + data
    ph = ip4(src) + ip4(dst) + struct.pack('!BBH', 0, 6, len(h))
    h = h[:16] + struct.pack('!H', csum(ph + h)) + h[18:]
    return frame(src, dst, 6, h)


def udp(src, dst, sp, dp, data):
    """A UDP datagram in a frame."""
    h = struct.pack('!HHHH', sp, dp, 8 + len(data), 0) + data
    ph = ip4(src) + ip4(dst) + struct.pack('!BBH', 0, 17, len(h))
    h = h[:6] + struct.pack('!H', csum(ph + h)) + h[8:]
    return frame(src, dst, 17, h)


def pcap_header():
    return struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)


def pcap_record(t, fr):
    us = int(round(t * 1e6))
    return struct.pack('<IIII', us // 1000000, us % 1000000, len(fr), len(fr)) + fr


def write_pcap(path, pkts):
    """Writes (time, Ethernet frame) pairs as a classic pcap file."""
    with open(path, 'wb') as f:
        f.write(pcap_header())
        for t, fr in pkts:
            f.write(pcap_record(t, fr))
