#!/usr/bin/env python3
"""Files over HTTP end to end: a capture made here (a PDF served gzip'd and
chunked in 7-byte TCP segments, a text file uploaded with PUT) through
vigil with rules on every file keyword; fileinfo's digests and magic
compared with Python's hashlib, each keyword checked to match where it
should and not where it should not, and a bad digest list refused with
its file and line.
  usage: files.py VIGIL"""
import calendar, gzip, hashlib, json, os, re, struct, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'policy'))
from early_warning import T0, tcp  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from testlib import check, summary  # noqa: E402


PDF = b'%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n' + b'x' * 300 + b'\n%%EOF\n'
TXT = b'hello from a PUT upload\n' * 4
ONE = bytes(range(256)) + b'\r\n--b0un not a boundary\r\n' + b'first-upload-marker'
TWO = b'second upload, text\r\n'


def session(pkts, t, cport, req, resp, seg=1400):
    c, s = '10.137.0.10', '198.51.100.7'
    pkts.append((t, tcp(c, s, cport, 80, 1000, 0, 0x02)))
    pkts.append((t + 0.01, tcp(s, c, 80, cport, 5000, 1001, 0x12)))
    pkts.append((t + 0.02, tcp(c, s, cport, 80, 1001, 5001, 0x10)))
    pkts.append((t + 0.03, tcp(c, s, cport, 80, 1001, 5001, 0x18, req)))
    sq, tt = 5001, t + 0.04
    for i in range(0, len(resp), seg):
        pkts.append((tt, tcp(s, c, 80, cport, sq, 1001 + len(req), 0x18, resp[i:i + seg])))
        sq += len(resp[i:i + seg])
        tt += 0.001
    pkts.append((tt, tcp(c, s, cport, 80, 1001 + len(req), sq, 0x11)))
    pkts.append((tt + 0.001, tcp(s, c, 80, cport, sq, 1002 + len(req), 0x11)))


def chunked(b, n=50):
    out = b''
    for i in range(0, len(b), n):
        out += b'%x\r\n' % len(b[i:i + n]) + b[i:i + n] + b'\r\n'
    return out + b'0\r\n\r\n'


def main():
    vigil = sys.argv[1]
    pkts = []
    body = chunked(gzip.compress(PDF))
    session(pkts, T0, 40001,
            b'GET /dl?id=7 HTTP/1.1\r\nHost: files.example\r\n\r\n',
            b'HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n'
            b'Content-Disposition: attachment; filename="Report.PDF"\r\n'
            b'Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n' + body, seg=7)
    session(pkts, T0 + 1, 40002,
            b'PUT /upload/notes.txt HTTP/1.1\r\nHost: files.example\r\nContent-Length: %d\r\n\r\n'
            % len(TXT) + TXT,
            b'HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n')
    mp = (b'--b0und\r\nContent-Disposition: form-data; name="a"\r\n\r\nplain field\r\n'
          b'--b0und\r\nContent-Disposition: form-data; name="f1"; filename="one.bin"\r\n'
          b'Content-Type: application/octet-stream\r\n\r\n' + ONE + b'\r\n'
          b'--b0und\r\nContent-Disposition: form-data; name="f2"; filename=two.txt\r\n\r\n'
          + TWO + b'\r\n--b0und--\r\n')
    session(pkts, T0 + 2, 40003,
            b'POST /upload HTTP/1.1\r\nHost: files.example\r\n'
            b'Content-Type: multipart/form-data; boundary=b0und\r\nContent-Length: %d\r\n\r\n'
            % len(mp) + mp,
            b'HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n', seg=33)
    md5, sha1, sha256 = (hashlib.new(h, PDF).hexdigest() for h in ('md5', 'sha1', 'sha256'))
    with tempfile.TemporaryDirectory() as d:
        open(os.path.join(d, 'md5.txt'), 'w').write('# known bad\n%s  report\n%s\n' %
                                                    (md5, 'f' * 32))
        open(os.path.join(d, 'sha1.txt'), 'w').write(sha1 + '\n')
        open(os.path.join(d, 'other256.txt'), 'w').write('0' * 64 + '\n')
        open(os.path.join(d, 'bad.txt'), 'w').write('0' * 32 + '\nnot-hex\n')
        rules = os.path.join(d, 'files.rules')
        open(rules, 'w').write('\n'.join([
            'alert http any any -> any any (msg:"md5"; filemd5:md5.txt; sid:1;)',
            'alert http any any -> any any (msg:"sha1"; filesha1:sha1.txt; sid:2;)',
            'alert http any any -> any any (msg:"not sha256"; filesha256:!other256.txt; sid:3;)',
            'alert http any any -> any any (msg:"sha256 in list"; filesha256:other256.txt; sid:4;)',
            'alert http any any -> any any (msg:"name"; filename:"report.pdf"; sid:5;)',
            'alert http any any -> any any (msg:"ext"; fileext:"pdf"; sid:6;)',
            'alert http any any -> any any (msg:"ext txt"; fileext:"txt"; sid:7;)',
            'alert http any any -> any any (msg:"big"; filesize:>100; sid:8;)',
            'alert http any any -> any any (msg:"small"; filesize:<100; sid:9;)',
            'alert http any any -> any any (msg:"magic"; filemagic:"pdf document"; sid:10;)',
            'alert http any any -> any any (msg:"file.name"; file.name; content:"notes"; sid:11;)',
            'alert http any any -> any any (msg:"file.magic"; file.magic; content:"ASCII"; sid:12;)',
            'alert http any any -> any any (msg:"kb"; filesize:1KB<>1MB; sid:13;)',
            'alert http any any -> any any (msg:"upload"; file.data; content:"first-upload-marker"; endswith; sid:14;)',
            'alert http any any -> any any (msg:"no boundary"; file.data; content:"--b0und|0d 0a|"; sid:15;)',
        ]) + '\n')
        cap = os.path.join(d, 'in.pcap')
        with open(cap, 'wb') as f:
            f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for t, fr in sorted(pkts, key=lambda x: x[0]):
                f.write(struct.pack('<IIII', int(t), int(round((t % 1) * 1e6)), len(fr), len(fr)) + fr)
        r = subprocess.run([vigil, '-r', cap, '-S', rules, '-l', d, '--runmode', 'single',
                            '--no-progress', '-k', 'none'], capture_output=True, text=True)
        if r.returncode:
            print(r.stderr)
            return 1
        recs = [json.loads(l) for l in open(os.path.join(d, 'eve.json'))]
        sids = sorted(x['alert']['signature_id'] for x in recs if x.get('event_type') == 'alert')
        fi = [x['fileinfo'] for x in recs if x.get('event_type') == 'fileinfo']
        check('each keyword matches once where it should (got sids %s)' % sids,
              sids == [1, 2, 3, 3, 3, 5, 6, 7, 7, 8, 8, 9, 9, 10, 11, 12, 12, 14])
        pdf = [x for x in fi if x['filename'] == 'Report.PDF']
        txt = [x for x in fi if x['filename'] == '/upload/notes.txt']
        check('a fileinfo record per file', len(pdf) == 1 and len(txt) == 1)
        up = {x['filename']: x for x in fi if x['filename'] in ('one.bin', 'two.txt')}
        check('multipart/form-data: each part with a file name a file, its bytes exactly '
              '(a partial boundary inside kept, the CRLF before the delimiter not)',
              up.get('one.bin', {}).get('md5') == hashlib.md5(ONE).hexdigest() and
              up.get('two.txt', {}).get('md5') == hashlib.md5(TWO).hexdigest())
        if pdf and txt:
            p, q = pdf[0], txt[0]
            check('rules turn on md5 and sha1 and sha256 (filemd5, filesha1, filesha256): '
                  'digests as hashlib computes them on the decoded file',
                  p.get('md5') == md5 and p.get('sha1') == sha1 and p.get('sha256') == sha256)
            check('the PUT upload hashed too', q.get('md5') == hashlib.md5(TXT).hexdigest())
            check('magic from libmagic: %r' % p.get('magic'), 'PDF document' in p.get('magic', ''))
            check('size decoded (%s), state CLOSED' % p.get('size'),
                  p.get('size') == len(PDF) and p.get('state') == 'CLOSED')
        # midstream: the same capture without the download's handshake
        mid = os.path.join(d, 'mid.pcap')
        with open(mid, 'wb') as f:
            f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for t, fr in sorted(pkts, key=lambda x: x[0])[3:]:
                f.write(struct.pack('<IIII', int(t), int(round((t % 1) * 1e6)), len(fr), len(fr)) + fr)
        m = os.path.join(d, 'm')
        os.mkdir(m)
        subprocess.run([vigil, '-r', mid, '-l', m, '--runmode', 'single', '--no-progress', '-k', 'none',
                        '--set', 'stream.midstream=yes',
                        '--set', 'outputs.eve.types.files-force-hash=md5'], capture_output=True, text=True)
        fm = [json.loads(l)['fileinfo'] for l in open(os.path.join(m, 'eve.json')) if '"fileinfo"' in l]
        check('stream.midstream: a download whose handshake was not seen is still a file '
              '(name, md5)', any(x['filename'] == 'Report.PDF' and x.get('md5') == md5 for x in fm))
        # the file store: a rule keeps the PDF, the rest goes
        fsd = os.path.join(d, 'fs')
        os.mkdir(fsd)
        frules = os.path.join(d, 'fs.rules')
        open(frules, 'w').write('alert http any any -> any any (msg:"keep pdf"; fileext:"pdf"; filestore; sid:30;)\n')
        subprocess.run([vigil, '-r', cap, '-S', frules, '-l', fsd, '--runmode', 'single', '--no-progress',
                        '-k', 'none', '--set', 'file-store.enabled=yes'], capture_output=True, text=True)
        store = os.path.join(fsd, 'filestore')
        kept = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(store) for f in fs)
        want = os.path.join(store, sha256[:2], sha256)
        check('filestore keeps the matched file as DIR/xx/SHA256, its bytes as decoded, mode 0600 '
              'in a 0700 store; nothing else (kept: %s)' % [os.path.relpath(k, store) for k in kept],
              kept == [want] and open(want, 'rb').read() == PDF and
              os.stat(want).st_mode & 0o777 == 0o600 and os.stat(store).st_mode & 0o777 == 0o700)
        fr = [json.loads(l)['fileinfo'] for l in open(os.path.join(fsd, 'eve.json')) if '"fileinfo"' in l]
        check('fileinfo says stored for it alone',
              sorted((x['filename'], x['stored']) for x in fr) ==
              [('/upload/notes.txt', False), ('Report.PDF', True), ('one.bin', False), ('two.txt', False)])
        # force-filestore with a limit of 2 files: the oldest goes
        subprocess.run([vigil, '-r', cap, '-l', fsd, '--runmode', 'single', '--no-progress', '-k', 'none',
                        '--set', 'file-store.enabled=yes', '--set', 'file-store.force-filestore=yes',
                        '--set', 'file-store.max-files=2'], capture_output=True, text=True)
        kept = [f for dp, _, fs in os.walk(store) for f in fs if len(f) == 64]
        check('force-filestore, max-files 2: %d kept, the PDF (the oldest) gone' % len(kept),
              len(kept) == 2 and sha256 not in kept)
        # write-fileinfo: the kept file's fileinfo record beside it,
        # DIR/xx/SHA256.SECS.ID.json (ID 1: the run's first kept file)
        wf = os.path.join(d, 'wf')
        os.mkdir(wf)
        subprocess.run([vigil, '-r', cap, '-S', frules, '-l', wf, '--runmode', 'single', '--no-progress',
                        '-k', 'none', '--set', 'file-store.enabled=yes',
                        '--set', 'file-store.write-fileinfo=yes'], capture_output=True, text=True)
        wstore = os.path.join(wf, 'filestore')
        metas = [os.path.join(dp, f) for dp, _, fs in os.walk(wstore) for f in fs if f.endswith('.json')]
        names = [os.path.relpath(x, wstore) for x in metas]
        check('write-fileinfo: one metadata file, %s/%s.SECS.1.json (got %s)' % (sha256[:2], sha256, names),
              len(metas) == 1 and re.fullmatch(re.escape(sha256[:2] + '/' + sha256) + r'\.\d{10}\.1\.json',
                                               names[0]) is not None)
        if len(metas) == 1:
            rec = json.loads(open(metas[0]).read())
            eve_pdf = [json.loads(l) for l in open(os.path.join(wf, 'eve.json'))
                       if '"fileinfo"' in l and 'Report.PDF' in l]
            secs = calendar.timegm(time.strptime(rec.get('timestamp', '')[:19], '%Y-%m-%dT%H:%M:%S'))
            check('its record is the eve fileinfo record of the kept file (stored: true), mode 0600, '
                  'SECS its packet time',
                  rec.get('event_type') == 'fileinfo' and rec['fileinfo'].get('sha256') == sha256 and
                  rec['fileinfo'].get('stored') is True and eve_pdf and rec == eve_pdf[0] and
                  os.stat(metas[0]).st_mode & 0o777 == 0o600 and names[0].split('.')[1] == str(secs))
        # metadata files count against max-files: force-filestore, 2 files
        subprocess.run([vigil, '-r', cap, '-l', wf, '--runmode', 'single', '--no-progress', '-k', 'none',
                        '--set', 'file-store.enabled=yes', '--set', 'file-store.force-filestore=yes',
                        '--set', 'file-store.write-fileinfo=yes', '--set', 'file-store.max-files=2'],
                       capture_output=True, text=True)
        allf = [f for dp, _, fs in os.walk(wstore) for f in fs if not dp.endswith('tmp')]
        check('write-fileinfo, max-files 2: 2 files in the store, contents and metadata (got %d)' % len(allf),
              len(allf) == 2)
        # configuration alone: force-hash without any file rule
        e = os.path.join(d, 'e2')
        os.mkdir(e)
        r = subprocess.run([vigil, '-r', cap, '-l', e, '--runmode', 'single', '--no-progress',
                            '-k', 'none', '--set', 'outputs.eve.types.files-force-hash=sha256'],
                           capture_output=True, text=True)
        fi = [json.loads(l)['fileinfo'] for l in open(os.path.join(e, 'eve.json'))
              if '"fileinfo"' in l]
        check('force-hash sha256 alone: sha256 only, no magic',
              fi and all('sha256' in x and 'md5' not in x and 'magic' not in x for x in fi))
        # a list with a line that is not a digest
        open(rules, 'w').write('alert http any any -> any any (msg:"bad"; filemd5:bad.txt; sid:20;)\n')
        r = subprocess.run([vigil, '-r', cap, '-S', rules, '-l', e, '--runmode', 'single',
                            '--no-progress', '-k', 'none'], capture_output=True, text=True)
        check('a bad digest list is refused naming its file and line',
              'bad.txt:2: not a 32-character hex digest' in r.stderr)
        r = subprocess.run([vigil, '-r', cap, '-l', e, '--runmode', 'single', '--no-progress',
                            '--set', 'outputs.eve.types.files-force-hash=md4'],
                           capture_output=True, text=True)
        check('an unknown force-hash is a configuration error',
              r.returncode != 0 and 'is not md5, sha1 or sha256' in r.stderr)
    return summary('files')


if __name__ == '__main__':
    sys.exit(main())
