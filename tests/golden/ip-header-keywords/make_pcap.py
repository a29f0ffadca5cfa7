#!/usr/bin/env python3
"""Writes input.pcap for the ip-header-keywords golden case: IPv4/UDP
packets with 0, 1 and 2 VLAN tags, IPv4 options (NOP + record route,
timestamp, EOL padding) and fragments (offsets 0 and 185)."""
import struct

def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff

def ipv4(payload, opts=b'', ident=1, frag=0, proto=17):
    ihl = 5 + len(opts) // 4
    h = struct.pack('!BBHHHBBH4s4s', 0x40 | ihl, 0, ihl * 4 + len(payload), ident, frag, 64, proto, 0,
                    bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])) + opts
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return h + payload

def udp(sport, dport, data):
    return struct.pack('!HHHH', sport, dport, 8 + len(data), 0) + data

def eth(l3, vlans=()):
    hdr = b'\x00\x11\x22\x33\x44\x55' + b'\x66\x77\x88\x99\xaa\xbb'
    tpids = [0x88a8] + [0x8100] * (len(vlans) - 1) if len(vlans) > 1 else [0x8100] * len(vlans)
    for tpid, vid in zip(tpids, vlans):
        hdr += struct.pack('!HH', tpid, vid)
    return hdr + b'\x08\x00' + l3

rr = bytes([1, 7, 7, 4, 0, 0, 0, 0])                 # NOP, record route (one empty slot)
ts = bytes([68, 8, 5, 0, 0, 0, 0, 0])                # timestamp (one empty slot)
eol = bytes([0, 0, 0, 0])                            # EOL and padding
pkts = [
    eth(ipv4(udp(1000, 2000, b'plain'))),                                  # 1
    eth(ipv4(udp(1001, 2000, b'rr'), opts=rr, ident=2), vlans=(100,)),    # 2
    eth(ipv4(udp(1002, 2000, b'ts'), opts=ts, ident=3), vlans=(100, 200)),  # 3
    eth(ipv4(udp(1003, 2000, b'eol'), opts=eol, ident=4)),                # 4
    eth(ipv4(b'\x55' * 16, ident=5, frag=185, proto=17)),                 # 5: a last fragment, offset 185
]
with open('input.pcap', 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, p in enumerate(pkts):
        f.write(struct.pack('<IIII', 1700000000 + i, 0, len(p), len(p)) + p)
