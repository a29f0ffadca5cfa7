#!/usr/bin/env python3
"""eve frame records (outputs.eve.types.frame, Suricata 8's frame type),
from a capture written here: an SMB2 session over TCP whose client sends
one record whole in a segment and one split over two segments (gathered
in the parser's buffer), and whose server answers each.

- off by default: no frame record;
- on: each record's nbss.pdu / nbss.hdr / nbss.data and smb2.pdu /
  smb2.hdr / smb2.data, numbered from 1 in each direction, at their
  stream offsets (the split record's too), with their length, complete,
  the bytes in base64 and as text;
- frame-payload-buffer-size cuts payload and payload_printable, not the
  length.
   frames.py VIGIL"""
import base64, json, os, struct, subprocess, sys, tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from testlib import check, summary, tcp  # noqa: E402


CLI, SRV = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])


def smb2(cmd, resp, mid, body):
    h = b'\xfeSMB' + struct.pack('<HHIHHIIQIIQ', 64, 0, 0, cmd, 1, 1 if resp else 0, 0, mid, 0, 0, 0)
    h += b'\0' * 16
    assert len(h) == 64
    m = h + body
    return struct.pack('>I', len(m)) + m


def write_pcap(path):
    # ECHO requests (command 13) and responses: 4-byte bodies
    r1 = smb2(13, False, 1, b'\x04\x00\x00\x00')
    r2 = smb2(13, False, 2, b'\x04\x00AB')
    a1 = smb2(13, True, 1, b'\x04\x00\x00\x00')
    a2 = smb2(13, True, 2, b'\x04\x00\x00\x00')
    cs, ss, sp, dp = 1000, 5000, 40000, 445
    pk = [tcp(CLI, SRV, sp, dp, cs, 0, 0x02),
          tcp(SRV, CLI, dp, sp, ss, cs + 1, 0x12),
          tcp(CLI, SRV, sp, dp, cs + 1, ss + 1, 0x10)]
    c, s = cs + 1, ss + 1
    for d in (r1, r2[:30]):
        pk.append(tcp(CLI, SRV, sp, dp, c, s, 0x18, d))
        c += len(d)
    pk.append(tcp(SRV, CLI, dp, sp, s, c, 0x18, a1))
    s += len(a1)
    pk.append(tcp(CLI, SRV, sp, dp, c, s, 0x18, r2[30:]))
    c += len(r2) - 30
    pk.append(tcp(SRV, CLI, dp, sp, s, c, 0x18, a2))
    s += len(a2)
    pk += [tcp(CLI, SRV, sp, dp, c, s, 0x11), tcp(SRV, CLI, dp, sp, s, c + 1, 0x11),
           tcp(CLI, SRV, sp, dp, c + 1, s + 1, 0x10)]
    with open(path, 'wb') as f:
        f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, p in enumerate(pk):
            f.write(struct.pack('<IIII', 1700000000 + i, 0, len(p), len(p)))
            f.write(p)
    return r1, r2, a1


def run(vigil, pcap, out, *sets):
    os.makedirs(out, exist_ok=True)
    args = [vigil, '-r', pcap, '--runmode', 'single', '--no-progress', '-l', out]
    for s in sets:
        args += ['--set', s]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    recs = [json.loads(l) for l in open(os.path.join(out, 'eve.json'))]
    return [r for r in recs if r.get('event_type') == 'frame']


def main():
    vigil = sys.argv[1]
    tmp = tempfile.mkdtemp(prefix='vigil-frames-')
    pcap = os.path.join(tmp, 'smb.pcap')
    r1, r2, a1 = write_pcap(pcap)
    print('frame records off by default')
    check('none written', run(vigil, pcap, os.path.join(tmp, 'off')) == [])
    print('frame records on')
    fr = run(vigil, pcap, os.path.join(tmp, 'on'), 'outputs.eve.types.frame=yes')
    check('12 per direction', sum(r['frame']['direction'] == 'toserver' for r in fr) == 12 and
          sum(r['frame']['direction'] == 'toclient' for r in fr) == 12)
    ts = [r['frame'] for r in fr if r['frame']['direction'] == 'toserver']
    tc = [r['frame'] for r in fr if r['frame']['direction'] == 'toclient']
    check('ids 1..12 in each direction', [f['id'] for f in ts] == list(range(1, 13)) and
          [f['id'] for f in tc] == list(range(1, 13)))
    check('app_proto smb', all(r.get('app_proto') == 'smb' for r in fr))
    want = [('nbss.pdu', 0, len(r1)), ('nbss.hdr', 0, 4), ('nbss.data', 4, len(r1) - 4),
            ('smb2.pdu', 4, 68), ('smb2.hdr', 4, 64), ('smb2.data', 68, 4),
            ('nbss.pdu', len(r1), len(r2)), ('nbss.hdr', len(r1), 4),
            ('nbss.data', len(r1) + 4, len(r2) - 4), ('smb2.pdu', len(r1) + 4, 68),
            ('smb2.hdr', len(r1) + 4, 64), ('smb2.data', len(r1) + 68, 4)]
    got = [(f['type'], f.get('stream_offset'), f['length']) for f in ts]
    check('types, stream offsets, lengths (the split record at %d): %s' % (len(r1), got),
          got == want)
    check('complete', all(f['complete'] is True for f in ts + tc))
    check('nbss.pdu payload is the record', base64.b64decode(ts[0]['payload']) == r1)
    check('second smb2.data payload and text', base64.b64decode(ts[11]['payload']) == b'\x04\x00AB'
          and ts[11]['payload_printable'] == '..AB')
    check('the server\'s first nbss.pdu at 0', tc[0]['type'] == 'nbss.pdu' and
          tc[0]['stream_offset'] == 0 and base64.b64decode(tc[0]['payload']) == a1)
    check('no tx_id (the SMB parser names none)', all('tx_id' not in f for f in ts + tc))
    print('frame-payload-buffer-size')
    fr = run(vigil, pcap, os.path.join(tmp, 'cut'), 'outputs.eve.types.frame=yes',
             'outputs.eve.types.frame-payload-buffer-size=16')
    f0 = fr[0]['frame']
    check('payload cut to 16 bytes, length whole', base64.b64decode(f0['payload']) == r1[:16] and
          len(f0['payload_printable']) == 16 and f0['length'] == len(r1))
    return summary('frames')


if __name__ == '__main__':
    sys.exit(main())
