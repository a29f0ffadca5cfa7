#!/usr/bin/env python3
"""FTP end to end: a capture made here (a control connection with a
multi-line greeting, login, PASV + RETR with its data connection, PORT +
STOR with an active data connection, a command left unanswered) through
vigil with rules on every FTP keyword; the ftp, ftp_data and fileinfo
records checked against what was sent.
  usage: ftp.py VIGIL"""
import hashlib, json, os, struct, subprocess, sys, tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'policy'))
from early_warning import T0, tcp  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from testlib import check, summary  # noqa: E402


REPORT = b'%PDF-1.4\n' + b'quarterly report body ' * 200
UPLOAD = b'uploaded notes, plain text\n' * 50


class Conn:
    def __init__(self, pkts, t, c, s, cp, sp):
        self.pkts, self.t, self.c, self.s, self.cp, self.sp = pkts, [t], c, s, cp, sp
        self.seq = {c: 1001, s: 5001}
        pkts.append((t, tcp(c, s, cp, sp, 1000, 0, 0x02)))
        pkts.append((t + 0.001, tcp(s, c, sp, cp, 5000, 1001, 0x12)))
        pkts.append((t + 0.002, tcp(c, s, cp, sp, 1001, 5001, 0x10)))
        self.t[0] += 0.003

    def send(self, src, data, seg=1000):
        dst = self.s if src == self.c else self.c
        a, b = (self.cp, self.sp) if src == self.c else (self.sp, self.cp)
        for i in range(0, len(data), seg):
            self.t[0] += 0.001
            self.pkts.append((self.t[0], tcp(src, dst, a, b, self.seq[src], self.seq[dst], 0x18,
                                             data[i:i + seg])))
            self.seq[src] += len(data[i:i + seg])

    def fin(self, src):
        dst = self.s if src == self.c else self.c
        a, b = (self.cp, self.sp) if src == self.c else (self.sp, self.cp)
        self.t[0] += 0.001
        self.pkts.append((self.t[0], tcp(src, dst, a, b, self.seq[src], self.seq[dst], 0x11)))
        self.seq[src] += 1


def main():
    vigil = sys.argv[1]
    c, s = '10.137.0.10', '198.51.100.21'
    pkts = []
    ctl = Conn(pkts, T0, c, s, 40021, 21)
    ctl.send(s, b'220-Welcome\r\n220 ready\r\n')
    ctl.send(c, b'USER anonymous\r\n')
    ctl.send(s, b'331 Please specify the password.\r\n')
    ctl.send(c, b'PASS guest\r\n')
    ctl.send(s, b'230 Login successful.\r\n')
    ctl.send(c, b'PASV\r\n')
    ctl.send(s, b'227 Entering Passive Mode (198,51,100,21,39,16).\r\n')   # port 10000
    ctl.send(c, b'RETR secret.pdf\r\n')
    # the server answers (and so acknowledges the command) before the data
    # moves, as servers do: in IDS timing (stream.inline auto, the default)
    # the command is parsed on that acknowledgement
    ctl.send(s, b'150 Opening BINARY mode data connection.\r\n')
    data = Conn(pkts, ctl.t[0] + 0.01, c, s, 40100, 10000)
    data.send(s, REPORT)
    data.fin(s)
    ctl.t[0] = data.t[0]
    ctl.send(s, b'226 Transfer complete.\r\n')
    ctl.send(c, b'PORT 10,137,0,10,156,65\r\n')                          # port 40001
    ctl.send(s, b'200 PORT command successful.\r\n')
    ctl.send(c, b'STOR notes.txt\r\n')
    ctl.send(s, b'150 Ok to send data.\r\n')
    up = Conn(pkts, ctl.t[0] + 0.01, s, c, 20, 40001)                   # the server connects
    up.send(c, UPLOAD)
    up.fin(c)
    ctl.t[0] = up.t[0]
    ctl.send(s, b'226 Transfer complete.\r\n')
    ctl.send(c, b'PORT 192,0,2,99,4,1\r\n')                              # a bounce attempt
    ctl.send(s, b'500 Illegal PORT command.\r\n')
    ctl.send(c, b'NOOP\r\n')                                              # never answered
    pkts.sort(key=lambda x: x[0])
    with tempfile.TemporaryDirectory() as d:
        rules = os.path.join(d, 'ftp.rules')
        open(rules, 'w').write('\n'.join([
            'alert ftp any any -> any any (msg:"retr"; ftp.command; content:"RETR"; sid:1;)',
            'alert ftp any any -> any any (msg:"name"; ftp.command_data; content:"secret.pdf"; sid:2;)',
            'alert ftp any any -> any any (msg:"done"; ftp.reply; content:"Transfer complete"; sid:3;)',
            'alert ftp any any -> any any (msg:"code"; ftp.completion_code; content:"227"; sid:4;)',
            'alert ftp any any -> any any (msg:"port"; ftp.dynamic_port:10000; sid:5;)',
            'alert ftp any any -> any any (msg:"active"; ftp.mode:active; sid:6;)',
            'alert ftp-data any any -> any any (msg:"retr data"; ftpdata_command:retr; sid:7;)',
            'alert ftp-data any any -> any any (msg:"stor data"; ftpdata_command:stor; sid:8;)',
            'alert ftp-data any any -> any any (msg:"pdf"; filename:"secret.pdf"; sid:9;)',
            'alert ftp-data any any -> any any (msg:"bytes"; file.data; content:"report body"; sid:10;)',
            'alert ftp any any -> any any (msg:"stream"; content:"USER anonymous"; sid:11;)',
            'alert tcp any any -> any 21 (msg:"bounce"; flow:to_server,established; content:"PORT"; ftpbounce; sid:12;)',
        ]) + '\n')
        cap = os.path.join(d, 'in.pcap')
        with open(cap, 'wb') as f:
            f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for ts, fr in pkts:
                f.write(struct.pack('<IIII', int(ts), int(round((ts % 1) * 1e6)), len(fr), len(fr)) + fr)
        r = subprocess.run([vigil, '-r', cap, '-S', rules, '-l', d, '--runmode', 'single',
                            '--no-progress', '-k', 'none',
                            '--set', 'outputs.eve.types.files-force-hash=md5'],
                           capture_output=True, text=True)
        if r.returncode:
            print(r.stderr)
            return 1
        recs = [json.loads(l) for l in open(os.path.join(d, 'eve.json'))]
    sids = sorted(x['alert']['signature_id'] for x in recs if x.get('event_type') == 'alert')
    check('each FTP keyword matches once: sids %s' % sids,
          sids == [1, 2, 3, 3, 4, 5, 6, 6, 7, 8, 9, 10, 11, 12])
    ftp = [x['ftp'] for x in recs if x.get('event_type') == 'ftp']
    cmds = [x.get('command', '') for x in ftp]
    check('an ftp record per command (and the greeting): %s' % cmds,
          cmds == ['', 'USER', 'PASS', 'PASV', 'RETR', 'PORT', 'STOR', 'PORT', 'NOOP'])
    if len(ftp) == 9:
        check('the greeting: both lines of its multi-line reply',
              ftp[0].get('reply') == ['Welcome', 'ready'] and ftp[0].get('completion_code') == ['220', '220'])
        check('PASV: dynamic_port 10000, mode passive',
              ftp[3].get('dynamic_port') == 10000 and ftp[3].get('mode') == 'passive')
        check('RETR: command_data, the 150 and the 226',
              ftp[4].get('command_data') == 'secret.pdf' and ftp[4].get('completion_code') == ['150', '226'])
        check('PORT: dynamic_port 40001, mode active',
              ftp[5].get('dynamic_port') == 40001 and ftp[5].get('mode') == 'active')
        check('the unanswered NOOP at flow end: reply_received no', ftp[8].get('reply_received') == 'no')
    fd = [x['ftp_data'] for x in recs if x.get('event_type') == 'ftp_data']
    check('ftp_data records: %s' % fd, fd == [{'filename': 'secret.pdf', 'command': 'RETR'},
                                              {'filename': 'notes.txt', 'command': 'STOR'}])
    fi = {x['fileinfo']['filename']: x for x in recs if x.get('event_type') == 'fileinfo'}
    p, n = fi.get('secret.pdf', {}), fi.get('notes.txt', {})
    check('the download as a file: size, md5, app_proto ftp-data',
          p.get('fileinfo', {}).get('md5') == hashlib.md5(REPORT).hexdigest() and
          p.get('fileinfo', {}).get('size') == len(REPORT) and p.get('app_proto') == 'ftp-data')
    check('the upload (active mode) as a file', n.get('fileinfo', {}).get('md5') ==
          hashlib.md5(UPLOAD).hexdigest())
    flows = {(x['src_port'], x['dest_port']): x.get('app_proto') for x in recs
             if x.get('event_type') == 'flow'}
    check('app_proto: ftp, ftp-data, ftp-data: %s' % flows,
          flows.get((40021, 21)) == 'ftp' and flows.get((40100, 10000)) == 'ftp-data' and
          flows.get((20, 40001)) == 'ftp-data')
    return summary('ftp')


if __name__ == '__main__':
    sys.exit(main())
