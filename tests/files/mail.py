#!/usr/bin/env python3
"""Files in mail end to end: a capture made here of a POP3 RETR and an IMAP
FETCH (and APPEND) of a message with a base64 attachment, through vigil
with filemd5 / file.name / file.data / filemagic / filestore rules; the
fileinfo records (name, size, md5 of
the attachment's bytes, app_proto, direction), the alerts and the imap
records checked against what was sent.
  usage: mail.py VIGIL"""
import base64, hashlib, json, os, subprocess, sys, tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'policy'))
from early_warning import T0, tcp, write_pcap  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from testlib import check, summary  # noqa: E402


ATTACH = b'%PDF-1.4\n' + b'invoice for services rendered\n' * 40
B64 = base64.encodebytes(ATTACH).replace(b'\n', b'\r\n')   # 76-column lines


def message(name):
    return (b'From: a@example.org\r\nTo: b@example.org\r\nSubject: invoice\r\n'
            b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="=_b1"\r\n\r\n'
            b'--=_b1\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n.\r\n'
            b'--=_b1\r\nContent-Type: application/pdf; name="' + name + b'"\r\n'
            b'Content-Transfer-Encoding: base64\r\n'
            b'Content-Disposition: attachment; filename="' + name + b'"\r\n\r\n' + B64 +
            b'--=_b1--\r\n')


class Conn:
    def __init__(self, pkts, t, c, s, cp, sp):
        self.pkts, self.t, self.c, self.s, self.cp, self.sp = pkts, [t], c, s, cp, sp
        self.seq = {c: 1001, s: 5001}
        pkts.append((t, tcp(c, s, cp, sp, 1000, 0, 0x02)))
        pkts.append((t + 0.001, tcp(s, c, sp, cp, 5000, 1001, 0x12)))
        pkts.append((t + 0.002, tcp(c, s, cp, sp, 1001, 5001, 0x10)))
        self.t[0] += 0.003

    def send(self, src, data, seg=700):
        dst = self.s if src == self.c else self.c
        a, b = (self.cp, self.sp) if src == self.c else (self.sp, self.cp)
        for i in range(0, len(data), seg):
            self.t[0] += 0.001
            self.pkts.append((self.t[0], tcp(src, dst, a, b, self.seq[src], self.seq[dst], 0x18,
                                             data[i:i + seg])))
            self.seq[src] += len(data[i:i + seg])
            self.t[0] += 0.001
            self.pkts.append((self.t[0], tcp(dst, src, b, a, self.seq[dst], self.seq[src], 0x10)))

    def close(self):
        for src in (self.c, self.s):
            dst = self.s if src == self.c else self.c
            a, b = (self.cp, self.sp) if src == self.c else (self.sp, self.cp)
            self.t[0] += 0.001
            self.pkts.append((self.t[0], tcp(src, dst, a, b, self.seq[src], self.seq[dst], 0x11)))
            self.seq[src] += 1
        self.t[0] += 0.001
        self.pkts.append((self.t[0], tcp(self.c, self.s, self.cp, self.sp, self.seq[self.c],
                                         self.seq[self.s], 0x10)))


def main():
    vigil = sys.argv[1]
    md5 = hashlib.md5(ATTACH).hexdigest()
    c, s = '10.137.0.10', '198.51.100.25'
    pkts = []
    pop = Conn(pkts, T0, c, s, 40110, 110)
    pop.send(s, b'+OK POP3 ready\r\n')
    pop.send(c, b'USER bob\r\n')
    pop.send(s, b'+OK\r\n')
    pop.send(c, b'PASS hunter2\r\n')
    pop.send(s, b'+OK 1 message\r\n')
    pop.send(c, b'RETR 1\r\n')
    m = message(b'invoice.pdf')
    stuffed = b'\r\n'.join(b'.' + l if l.startswith(b'.') else l for l in m.split(b'\r\n'))
    pop.send(s, b'+OK message follows\r\n' + stuffed + b'.\r\n')
    pop.send(c, b'QUIT\r\n')
    pop.send(s, b'+OK bye\r\n')
    pop.close()
    imap = Conn(pkts, pop.t[0] + 0.01, c, s, 40143, 143)
    imap.send(s, b'* OK [CAPABILITY IMAP4rev1] ready\r\n')
    imap.send(c, b'a1 LOGIN bob hunter2\r\n')
    imap.send(s, b'a1 OK LOGIN completed\r\n')
    imap.send(c, b'a2 SELECT INBOX\r\n')
    imap.send(s, b'* 1 EXISTS\r\n* FLAGS (\\Seen)\r\na2 OK [READ-WRITE] SELECT completed\r\n')
    imap.send(c, b'a3 FETCH 1 (FLAGS BODY[])\r\n')
    m2 = message(b'invoice2.pdf')
    imap.send(s, b'* 1 FETCH (FLAGS (\\Seen) BODY[] {%d}\r\n' % len(m2) + m2 +
              b')\r\na3 OK FETCH completed\r\n')
    m3 = message(b'upload.pdf')
    imap.send(c, b'a4 APPEND Sent {%d+}\r\n' % len(m3) + m3 + b'\r\n')
    imap.send(s, b'a4 OK APPEND completed\r\n')
    imap.send(c, b'a5 LOGOUT\r\n')
    imap.send(s, b'* BYE\r\na5 OK LOGOUT completed\r\n')
    imap.close()
    with tempfile.TemporaryDirectory() as d:
        open(os.path.join(d, 'md5.list'), 'w').write(md5 + '\n')
        rules = os.path.join(d, 'mail.rules')
        open(rules, 'w').write('\n'.join([
            'alert pop3 any any -> any any (msg:"pop3 md5"; filemd5:md5.list; sid:1;)',
            'alert pop3 any any -> any any (msg:"pop3 name"; file.name; content:"invoice.pdf"; sid:2;)',
            'alert imap any any -> any any (msg:"imap md5"; filemd5:md5.list; sid:3;)',
            'alert imap any any -> any any (msg:"imap name"; file.name; content:"invoice2.pdf"; sid:4;)',
            'alert imap any any -> any any (msg:"imap upload"; flow:to_server; file.name; content:"upload"; sid:5;)',
            'alert imap any any -> any any (msg:"imap bytes"; file.data; content:"invoice for services"; sid:6;)',
            'alert imap any any -> any any (msg:"imap login"; content:"LOGIN bob"; sid:7;)',
            'alert pop3 any any -> any any (msg:"pop3 bytes"; file.data; content:"invoice for services"; sid:8;)',
            'alert pop3 any any -> any any (msg:"pop3 magic"; filemagic:"PDF document"; filesize:>1000; sid:9;)',
        ]) + '\n')
        cap = os.path.join(d, 'in.pcap')
        write_pcap(cap, sorted(pkts, key=lambda x: x[0]))
        r = subprocess.run([vigil, '-r', cap, '-S', rules, '-l', d, '--runmode', 'single',
                            '--no-progress', '-k', 'none',
                            '--set', 'outputs.eve.types.files-force-hash=md5'],
                           capture_output=True, text=True, cwd=d)
        if r.returncode:
            print(r.stdout, r.stderr)
            return 1
        recs = [json.loads(l) for l in open(os.path.join(d, 'eve.json'))]
        if os.environ.get('MAIL_DEBUG'):
            print(open(os.path.join(d, 'eve.json')).read())
        # filestore: a rule keeps IMAP's downloaded attachment, the rest goes
        fsd = os.path.join(d, 'fs')
        os.mkdir(fsd)
        frules = os.path.join(d, 'fs.rules')
        open(frules, 'w').write('alert imap any any -> any any (msg:"keep"; file.name; '
                                'content:"invoice2.pdf"; filestore; sid:30;)\n')
        subprocess.run([vigil, '-r', cap, '-S', frules, '-l', fsd, '--runmode', 'single', '--no-progress',
                        '-k', 'none', '--set', 'file-store.enabled=yes'], capture_output=True, text=True)
        store = os.path.join(fsd, 'filestore')
        kept = sorted(os.path.join(dp, f) for dp, _, fs in os.walk(store) for f in fs)
        sha256 = hashlib.sha256(ATTACH).hexdigest()
        want = os.path.join(store, sha256[:2], sha256)
        check('filestore keeps the attachment as DIR/xx/SHA256, its bytes as decoded (kept: %s)'
              % [os.path.relpath(k, store) for k in kept],
              kept == [want] and open(want, 'rb').read() == ATTACH)
        fr = [(json.loads(l)['app_proto'], json.loads(l)['fileinfo']['filename'],
               json.loads(l)['fileinfo']['stored'])
              for l in open(os.path.join(fsd, 'eve.json')) if '"fileinfo"' in l]
        check('fileinfo says stored for it alone: %s' % fr,
              fr == [('pop3', 'invoice.pdf', False), ('imap', 'invoice2.pdf', True),
                     ('imap', 'upload.pdf', False)])
    files = [(x['app_proto'], x['fileinfo']['filename'], x['fileinfo']['size'],
              x['fileinfo'].get('md5'), x['fileinfo']['state'])
             for x in recs if x.get('event_type') == 'fileinfo']
    want = [('pop3', 'invoice.pdf', len(ATTACH), md5, 'CLOSED'),
            ('imap', 'invoice2.pdf', len(ATTACH), md5, 'CLOSED'),
            ('imap', 'upload.pdf', len(ATTACH), md5, 'CLOSED')]
    check('fileinfo records: %s' % files, files == want)
    dirs = [x['dest_port'] for x in recs if x.get('event_type') == 'fileinfo']
    check('files addressed in their direction (to the client, then the upload): %s' % dirs,
          dirs == [40110, 40143, 143])
    sids = sorted(x['alert']['signature_id'] for x in recs if x.get('event_type') == 'alert')
    check('alerts: sids %s' % sids, sids == [1, 2, 3, 3, 4, 5, 6, 6, 7, 8, 9])
    im = [(x['imap']['tag'], x['imap']['command'], x['imap'].get('mailbox'),
           x['imap'].get('response', {}).get('status'))
          for x in recs if x.get('event_type') == 'imap']
    check('imap records: %s' % im, im == [('a1', 'LOGIN', None, 'OK'), ('a2', 'SELECT', 'INBOX', 'OK'),
                                          ('a3', 'FETCH', None, 'OK'), ('a4', 'APPEND', 'Sent', 'OK'),
                                          ('a5', 'LOGOUT', None, 'OK')])
    return summary('mail')


if __name__ == '__main__':
    sys.exit(main())
