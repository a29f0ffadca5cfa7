#!/usr/bin/env python3
"""SMTP end to end: a capture made here (pipelined envelope, a MIME message
with a base64 attachment and a quoted-printable one, a second transaction,
then STARTTLS and a TLS ClientHello) through vigil with rules on the SMTP
and email buffers and on the attachments; the smtp and fileinfo records
checked field by field against what was sent (digests with hashlib).
  usage: smtp.py VIGIL"""
import base64, hashlib, json, os, quopri, struct, subprocess, sys, tempfile

sys.path.insert(0, os.path.join(os.path.dirname(__file__), '..', 'policy'))
from early_warning import T0, tcp  # noqa: E402
from doh import client_hello  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from testlib import check, summary  # noqa: E402


ZIP = bytes(range(256)) * 3 + b'PK\x05\x06 payload-marker-7731'
PATCH = 'diff --git a/x b/x\n--- a/x\n+++ b/x\n@@ -1 +1 @@\n-caf\u00e9 = 1\n+caf\u00e9 = 2 ' \
        + 'x' * 90 + '\n'


def message():
    b64 = base64.encodebytes(ZIP).decode().replace('\n', '\r\n')
    qp = quopri.encodestring(PATCH.encode()).decode().replace('\n', '\r\n')
    return ('Received: from a.example.org by mx.example.net\r\n'
            'Received: from laptop by a.example.org\r\n'
            'Message-ID: <q3-7731@example.org>\r\n'
            'X-Mailer: vigil-test 1.0\r\n'
            'Bcc: eve@example.net, frank@example.net\r\n'
            'From: Alice <alice@example.org>\r\n'
            'To: bob@example.net, Carol <carol@example.net>\r\n'
            'Cc: dave@example.net\r\n'
            'Subject: quarterly numbers\r\n'
            'MIME-Version: 1.0\r\n'
            'Content-Type: multipart/mixed;\r\n boundary="XYZ-1"\r\n'
            '\r\n'
            'preamble\r\n'
            '--XYZ-1\r\n'
            'Content-Type: text/plain\r\n\r\n'
            'see attached, or <http://files.example.org/q3?id=7>\r\n'
            '..a line starting with a dot\r\n'
            '--XYZ-1\r\n'
            'Content-Type: application/zip; name="numbers.zip"\r\n'
            'Content-Transfer-Encoding: base64\r\n'
            'Content-Disposition: attachment; filename="numbers.zip"\r\n\r\n'
            + b64 +
            '--XYZ-1\r\n'
            'Content-Type: text/x-diff\r\n'
            'Content-Transfer-Encoding: quoted-printable\r\n'
            'Content-Disposition: attachment; filename=fix.patch\r\n\r\n'
            + qp +
            '\r\n--XYZ-1--\r\n'
            'epilogue\r\n').encode()


def main():
    vigil = sys.argv[1]
    c, s, cp = '10.137.0.10', '198.51.100.25', 40025
    seq = {c: 1001, s: 5001}
    pkts, t = [], [T0]

    def send(src, data):
        dst = s if src == c else c
        sp, dp = (cp, 25) if src == c else (25, cp)
        t[0] += 0.01
        pkts.append((t[0], tcp(src, dst, sp, dp, seq[src], seq[dst], 0x18, data)))
        seq[src] += len(data)

    pkts.append((T0, tcp(c, s, cp, 25, 1000, 0, 0x02)))
    pkts.append((T0 + 0.001, tcp(s, c, 25, cp, 5000, 1001, 0x12)))
    pkts.append((T0 + 0.002, tcp(c, s, cp, 25, 1001, 5001, 0x10)))
    send(s, b'220 mx.example.net ESMTP\r\n')
    send(c, b'EHLO laptop.example.org\r\n')
    send(s, b'250-mx.example.net\r\n250-PIPELINING\r\n250 STARTTLS\r\n')
    send(c, b'MAIL FROM:<alice@example.org> SIZE=1000\r\nRCPT TO:<bob@example.net>\r\n'
            b'RCPT TO:<carol@example.net>\r\nDATA\r\n')
    send(s, b'250 ok\r\n250 ok\r\n250 ok\r\n354 go ahead\r\n')
    body = message() + b'.\r\n'
    for i in range(0, len(body), 500):
        send(c, body[i:i + 500])
    send(s, b'250 queued\r\n')
    send(c, b'MAIL FROM:<eve@example.org>\r\nRCPT TO:<frank@example.net>\r\nDATA\r\n')
    send(s, b'250 ok\r\n550 no such user\r\n554 no valid recipients\r\n')
    send(c, b'RSET\r\n')
    send(s, b'250 flushed\r\n')
    send(c, b'STARTTLS\r\n')
    send(s, b'220 ready\r\n')
    send(c, client_hello('mx.example.net'))
    # a second connection whose server answers with a line that is no
    # reply: smtp.invalid_reply, and the parser gives that flow up (as
    # Suricata: a parser error ends the app layer of the flow)
    cp2, seq2 = cp + 1, {c: 7001, s: 9001}

    def send2(src, data):
        dst = s if src == c else c
        sp, dp = (cp2, 25) if src == c else (25, cp2)
        t[0] += 0.01
        pkts.append((t[0], tcp(src, dst, sp, dp, seq2[src], seq2[dst], 0x18, data)))
        seq2[src] += len(data)
    pkts.append((t[0] + 0.001, tcp(c, s, cp2, 25, 7000, 0, 0x02)))
    pkts.append((t[0] + 0.002, tcp(s, c, 25, cp2, 9000, 7001, 0x12)))
    pkts.append((t[0] + 0.003, tcp(c, s, cp2, 25, 7001, 9001, 0x10)))
    t[0] += 0.003
    send2(s, b'220 mx.example.net ESMTP\r\n')
    send2(c, b'EHLO laptop.example.org\r\n')
    send2(s, b'250 ok\r\n+ junk on a line of its own\r\n')
    send2(c, b'MAIL FROM:<mallory@example.org>\r\n')
    send2(s, b'250 ok\r\n+ more junk\r\n')
    with tempfile.TemporaryDirectory() as d:
        rules = os.path.join(d, 'smtp.rules')
        open(rules, 'w').write('\n'.join([
            'alert smtp any any -> any any (msg:"from"; smtp.mail_from; content:"alice@"; sid:1;)',
            'alert smtp any any -> any any (msg:"rcpt"; smtp.rcpt_to; content:"carol@"; sid:2;)',
            'alert smtp any any -> any any (msg:"subject"; email.subject; content:"quarterly"; sid:3;)',
            'alert smtp any any -> any any (msg:"zip bytes"; file.data; content:"payload-marker-7731"; sid:4;)',
            'alert smtp any any -> any any (msg:"qp decoded"; file.data; content:"caf|c3 a9| = 2"; sid:5;)',
            'alert smtp any any -> any any (msg:"ext"; fileext:"zip"; sid:6;)',
            'alert smtp any any -> any any (msg:"helo"; smtp.helo; content:"laptop"; sid:7;)',
            'alert smtp any any -> any any (msg:"cc"; email.cc; content:"dave@"; sid:8;)',
            'alert smtp any any -> any any (msg:"stream"; content:"RCPT TO"; sid:9;)',
            'alert tls any any -> any any (msg:"sni"; tls.sni; content:"mx.example.net"; sid:10;)',
            'alert smtp any any -> any any (msg:"url"; email.url; content:"files.example.org/"; '
            'startswith; sid:11;)',
            'alert smtp any any -> any any (msg:"received"; email.received; content:"from laptop"; '
            'startswith; sid:12;)',
            'alert smtp any any -> any any (msg:"x-mailer"; email.x_mailer; content:"vigil-test"; '
            'sid:13;)',
            'alert smtp any any -> any any (msg:"message-id"; email.message_id; content:"<q3-7731@"; '
            'startswith; sid:14;)',
        ]) + '\n')
        cap = os.path.join(d, 'in.pcap')
        with open(cap, 'wb') as f:
            f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
            for ts, fr in pkts:
                f.write(struct.pack('<IIII', int(ts), int(round((ts % 1) * 1e6)), len(fr), len(fr)) + fr)
        r = subprocess.run([vigil, '-r', cap, '-S', rules, '-l', d, '--runmode', 'single',
                            '--no-progress', '-k', 'none',
                            '--set', 'outputs.eve.types.files-force-hash=md5,sha256',
                            '--set', 'outputs.eve.types.smtp-extended=yes',
                            '--set', 'outputs.eve.types.smtp-custom=received',
                            '--set', 'outputs.eve.types.smtp-md5=body,subject',
                            '--set', 'app-layer.protocols.smtp.mime.body-md5=yes'],
                           capture_output=True, text=True)
        if r.returncode:
            print(r.stderr)
            return 1
        recs = [json.loads(l) for l in open(os.path.join(d, 'eve.json'))]
    sids = sorted(x['alert']['signature_id'] for x in recs if x.get('event_type') == 'alert')
    check('rules on smtp, email, file.data (base64 and QP decoded), fileext, the stream and '
          'TLS after STARTTLS, email.url/received/x_mailer/message_id: sids %s' % sids, sids == [1, 2, 3, 4, 5, 6, 7, 7, 8, 9, 10, 11, 12, 13, 14])
    sm = [x for x in recs if x.get('event_type') == 'smtp' and x.get('src_port') == cp]
    sm2 = [x for x in recs if x.get('event_type') == 'smtp' and x.get('src_port') == cp + 1]
    check('the connection given up after the invalid reply: its MAIL FROM not read',
          len(sm2) == 1 and 'mail_from' not in sm2[0].get('smtp', {}))
    check('two smtp records (the message; the rejected envelope, closed by RSET)', len(sm) == 2)
    if sm:
        m = sm[0]
        check('smtp object: %s' % m.get('smtp'),
              m.get('smtp') == {'helo': 'laptop.example.org', 'mail_from': '<alice@example.org>',
                                'rcpt_to': ['<bob@example.net>', '<carol@example.net>']})
        e = m.get('email', {})
        check('email object: %s' % e,
              e.get('status') == 'PARSE_DONE' and e.get('from') == 'Alice <alice@example.org>'
              and e.get('to') == ['bob@example.net', 'Carol <carol@example.net>']
              and e.get('cc') == ['dave@example.net']
              and e.get('attachment') == ['numbers.zip', 'fix.patch']
              and e.get('url') == ['files.example.org/q3?id=7'])
        body = message().split(b'\r\n\r\n', 1)[1]
        check('extended and custom fields, body and subject md5: %s' % e,
              e.get('message_id') == '<q3-7731@example.org>' and e.get('x_mailer') == 'vigil-test 1.0'
              and e.get('subject') == 'quarterly numbers'
              and e.get('bcc') == ['eve@example.net', 'frank@example.net']
              and e.get('received') == ['from a.example.org by mx.example.net',
                                        'from laptop by a.example.org']
              and e.get('subject_md5') == hashlib.md5(b'quarterly numbers').hexdigest()
              and e.get('body_md5') == hashlib.md5(body).hexdigest())
        check('tx_id 0 then 1', [x.get('tx_id') for x in sm] == [0, 1])
        check('the second has no email object (DATA refused)', 'email' not in sm[-1])
    fi = {x['fileinfo']['filename']: x for x in recs if x.get('event_type') == 'fileinfo'}
    z, p = fi.get('numbers.zip', {}), fi.get('fix.patch', {})
    check('attachment base64-decoded: size and md5 as sent',
          z.get('fileinfo', {}).get('size') == len(ZIP) and
          z.get('fileinfo', {}).get('md5') == hashlib.md5(ZIP).hexdigest())
    check('attachment quoted-printable-decoded: sha256 as sent',
          p.get('fileinfo', {}).get('sha256') ==
          hashlib.sha256(PATCH.encode().replace(b'\n', b'\r\n')).hexdigest())
    check('fileinfo of an attachment: app_proto smtp with the smtp and email objects',
          z.get('app_proto') == 'smtp' and z.get('smtp', {}).get('mail_from') == '<alice@example.org>')
    a4 = [x for x in recs if x.get('event_type') == 'alert' and x['alert']['signature_id'] == 4]
    check('a file.data alert carries the transaction of its file (email object, tx_id 0)',
          len(a4) == 1 and a4[0].get('tx_id') == 0 and
          'numbers.zip' in a4[0].get('email', {}).get('attachment', []) and
          a4[0].get('smtp', {}).get('mail_from') == '<alice@example.org>')
    rej = [x for x in recs if x.get('event_type') == 'anomaly' and
           x['anomaly']['event'] == 'DATA_COMMAND_REJECTED']
    check('an anomaly names its transaction (the refused DATA: tx_id 1)',
          len(rej) == 1 and rej[0].get('tx_id') == 1)
    an = sorted(x['anomaly']['event'] for x in recs if x.get('event_type') == 'anomaly')
    check('anomalies: the refused DATA and the malformed reply: %s' % an,
          an == ['DATA_COMMAND_REJECTED', 'INVALID_REPLY'])
    tl = [x for x in recs if x.get('event_type') == 'tls']
    check('STARTTLS hands the connection to TLS (a tls record, SNI mx.example.net)',
          len(tl) == 1 and tl[0]['tls'].get('sni') == 'mx.example.net')
    return summary('smtp')


if __name__ == '__main__':
    sys.exit(main())
