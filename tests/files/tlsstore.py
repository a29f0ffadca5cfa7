#!/usr/bin/env python3
"""tls_store end to end on a real capture (suricata-verify's
tls-cert-issuer/tls.pcap: four TLS 1.2 sessions to a server whose
certificate is O=Stamus, CN=SELKS): each matching flow's chain written as
SECS.USECS-ID.pem and .meta (Suricata's tls-store names) in
tls-store.certs-log-dir, 0600 files in a 0700 directory; each PEM decoded
by openssl x509 to the very DER certificate the capture carries; the
.meta's lines; no file when the rule does not match; max-files keeping
the newest (an earlier run's file first out); a bad option refused.
  usage: tlsstore.py VIGIL CORPORA_TESTS (exit 77 without the corpus)"""
import os, re, stat, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from testlib import check, summary  # noqa: E402

FPR = '3a:0b:3b:23:15:2c:44:5c:27:ac:6a:0c:41:d6:fa:74:af:b4:09:5b'
NAME = re.compile(r'^1425669\d{3}\.\d{1,6}-(\d+)\.(pem|meta)$')


def run(vigil, pcap, d, rule, *sets):
    os.makedirs(d, exist_ok=True)
    rf = os.path.join(d, 'r.rules')
    with open(rf, 'w') as f:
        f.write(rule + '\n')
    args = [vigil, '-r', pcap, '--runmode', 'single', '-k', 'none', '-l', d, '-S', rf,
            '--set', 'tls-store.enabled=yes']
    for s in sets:
        args += ['--set', s]
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


def main():
    vigil, corp = sys.argv[1], sys.argv[2]
    pcap = os.path.join(corp, 'tls', 'tls-cert-issuer', 'tls.pcap')
    if not os.path.exists(pcap):
        print('tlsstore: no corpus, skipped')
        return 77
    raw = open(pcap, 'rb').read()
    tmp = tempfile.mkdtemp(prefix='vigil-tlsstore-')

    # 1. a match per flow: four chains, each once
    d = os.path.join(tmp, 'a')
    p = run(vigil, pcap, d, 'alert tls any any -> any any (msg:"Stamus TLS"; '
            'tls_cert_issuer; content:"O=Stamus"; tls.store; sid:1; rev:1;)')
    check('vigil ran (%d)' % p.returncode, p.returncode == 0)
    cd = os.path.join(d, 'certs')
    names = sorted(os.listdir(cd)) if os.path.isdir(cd) else []
    pems = [n for n in names if n.endswith('.pem')]
    metas = [n for n in names if n.endswith('.meta')]
    check('four PEM files (%d)' % len(pems), len(pems) == 4)
    check('four .meta files (%d)' % len(metas), len(metas) == 4)
    check('names are SECS.USECS-ID.pem/.meta %r' % names[:2],
          names and all(NAME.match(n) for n in names))
    check('IDs 1-4', sorted(int(NAME.match(n).group(1)) for n in pems) == [1, 2, 3, 4])
    check('directory 0700', stat.S_IMODE(os.stat(cd).st_mode) == 0o700)
    check('files 0600', names and all(stat.S_IMODE(os.stat(os.path.join(cd, n)).st_mode) == 0o600
                                      for n in names))
    for n in pems:
        f = os.path.join(cd, n)
        der = subprocess.run(['openssl', 'x509', '-in', f, '-outform', 'DER'],
                             capture_output=True).stdout
        check('%s decodes (openssl x509) to a certificate the capture carries (%d bytes)'
              % (n, len(der)), len(der) > 500 and der in raw)
        fp = subprocess.run(['openssl', 'x509', '-in', f, '-noout', '-fingerprint', '-sha1'],
                            capture_output=True, text=True).stdout
        check('%s: SHA-1 %s' % (n, FPR), FPR.upper() in fp)
        meta = open(f[:-3] + 'meta').read()
        check('%s.meta: subject, issuer, fingerprint' % n[:-4],
              'TLS SUBJECT:       C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS\n' in meta and
              'TLS ISSUERDN:      C=FR, ST=IDF, L=Paris, O=Stamus, CN=SELKS\n' in meta and
              'TLS FINGERPRINT:   %s\n' % FPR in meta)
        check('%s.meta: the client as SRC, port 443 as DST' % n[:-4],
              'SRC IP:            192.168.56.1\n' in meta and
              'DST IP:            192.168.56.101\n' in meta and
              'DST PORT:          443\n' in meta and 'PROTO:             6\n' in meta and
              re.search(r'^TIME:              03/06/2015-\d\d:12:2\d\.\d{6}$', meta, re.M))

    # 1b. the file's time is the packet's that writes the alert (IDS mode:
    # the server's direction's next packet after the acknowledged
    # Certificate), as Suricata names it (suricata-verify tls-store-02)
    pc2 = os.path.join(corp, 'tls', 'tls-store-02', 'tls-client-auth.pcap')
    if os.path.exists(pc2):
        d = os.path.join(tmp, 'a2')
        run(vigil, pc2, d, 'alert tls any any -> any any (tls.cert_subject; '
            'content:"O=TLSClientAuthSampleServer"; tls.store; sid:1; rev:1;)')
        cd = os.path.join(d, 'certs')
        names = sorted(os.listdir(cd)) if os.path.isdir(cd) else []
        check('tls-store-02: 1523912382.235074-1.pem and .meta %r' % names,
              names == ['1523912382.235074-1.meta', '1523912382.235074-1.pem'])
        if names:
            meta = open(os.path.join(cd, names[0])).read()
            check('tls-store-02: PCAP PKT NUM 10, IPv6 ::1, client port 58606 as SRC',
                  'PCAP PKT NUM:      10\n' in meta and 'SRC IP:            ::1\n' in meta and
                  'SRC PORT:          58606\n' in meta and 'DST PORT:          8081\n' in meta)

    # 2. no match, no file
    d = os.path.join(tmp, 'b')
    run(vigil, pcap, d, 'alert tls any any -> any any (tls.cert_issuer; content:"O=Nobody"; '
        'tls_store; sid:1;)')
    cd = os.path.join(d, 'certs')
    check('no match: nothing stored', not os.path.isdir(cd) or not os.listdir(cd))

    # 3. max-files: the newest stay, an earlier run's file goes first
    d = os.path.join(tmp, 'c')
    cd = os.path.join(d, 'store')
    os.makedirs(cd, mode=0o700)
    old = os.path.join(cd, '1000000000.5-9.pem')
    open(old, 'w').write('old\n')
    os.utime(old, (time.time() - 3600, time.time() - 3600))
    keep = os.path.join(cd, 'notes.txt')
    open(keep, 'w').write('not the store\'s\n')
    run(vigil, pcap, d, 'alert tls any any -> any any (tls.cert_issuer; content:"O=Stamus"; '
        'tls_store; sid:1;)', 'tls-store.certs-log-dir=store', 'tls-store.max-files=3')
    left = sorted(os.listdir(cd))
    check('max-files 3: the last chain and the third\'s .meta left %r' % left,
          sorted(n for n in left if NAME.match(n)) ==
          sorted(n for n in left if re.search(r'-4\.(pem|meta)$|-3\.meta$', n)) and
          len([n for n in left if NAME.match(n)]) == 3)
    check('max-files: the earlier run\'s file went first', not os.path.exists(old))
    check('max-files: a file not named as the store\'s stays', os.path.exists(keep))

    # 4. a bad option is refused with its reason
    bad = os.path.join(tmp, 'bad.rules')
    open(bad, 'w').write('alert tls any any -> any any (tls_store:yes; sid:3;)\n'
                         'alert http any any -> any any (http.uri; content:"a"; tls_store; sid:4;)\n')
    p = subprocess.run([vigil, '-T', '-S', bad], capture_output=True, text=True, timeout=60)
    check('tls_store:yes refused', p.returncode != 0 and 'tls_store takes no value' in p.stderr)
    check('tls_store on an http rule refused', 'a TLS keyword in a rule of another protocol' in p.stderr)
    subprocess.run(['rm', '-rf', tmp])
    return summary('tlsstore')


if __name__ == '__main__':
    sys.exit(main())
