#!/usr/bin/env python3
"""Writes input.pcap for the sip-sdp golden case: a SIP INVITE over UDP
with an SDP offer (session and two media descriptions) and its 200 OK
with an answer, then a MESSAGE whose body is not SDP."""
import struct

def ipv4(payload, src, dst, ident):
    h = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(payload), ident, 0, 64, 17, 0, bytes(src), bytes(dst))
    s = sum(struct.unpack('!10H', h))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return h[:10] + struct.pack('!H', ~s & 0xffff) + h[12:] + payload

def frame(data, src, dst, ident):
    udp = struct.pack('!HHHH', 5060, 5060, 8 + len(data), 0) + data
    return b'\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\x08\x00' + ipv4(udp, src, dst, ident)

def sip(start, body, ctype='application/sdp'):
    body = body.replace('\n', '\r\n').encode()
    head = (start + '\r\nVia: SIP/2.0/UDP 10.0.0.1:5060\r\nFrom: <sip:alice@example.com>;tag=1\r\n'
            'To: <sip:bob@example.com>\r\nCall-ID: 1@10.0.0.1\r\nCSeq: 1 INVITE\r\n'
            'Content-Type: %s\r\nContent-Length: %d\r\n\r\n' % (ctype, len(body)))
    return head.encode() + body

offer = """v=0
o=alice 2890844526 2890844526 IN IP4 10.0.0.1
s=Offer
i=a call
u=http://example.com/call
e=alice@example.com
p=+1 555 0100
c=IN IP4 10.0.0.1
b=AS:128
t=2873397496 2873404696
r=604800 3600 0 90000
z=2882844526 -1h
k=prompt
a=recvonly
m=audio 49170 RTP/AVP 0
i=voice
c=IN IP4 10.0.0.11
k=clear:abc
a=rtpmap:0 PCMU/8000
m=video 51372 RTP/AVP 31
"""
answer = """v=0
o=bob 2808844564 2808844564 IN IP4 10.0.0.2
s=Answer
t=0 0
m=audio 49174 RTP/AVP 0
"""
A, B = [10, 0, 0, 1], [10, 0, 0, 2]
pkts = [
    frame(sip('INVITE sip:bob@example.com SIP/2.0', offer), A, B, 1),
    frame(sip('SIP/2.0 200 OK', answer), B, A, 2),
    frame(sip('MESSAGE sip:bob@example.com SIP/2.0', 's=not sdp\n', 'text/plain'), A, B, 3),
]
with open('input.pcap', 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, p in enumerate(pkts):
        f.write(struct.pack('<IIII', 1700000000 + i, 0, len(p), len(p)) + p)
