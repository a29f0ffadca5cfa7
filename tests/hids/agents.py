#!/usr/bin/env python3
"""Host IDS agents end to end: vigil agent -> vigil agent-recv -> the sensor.

An agent ("VM" work) follows a log file and sends each line; the link is a
child command standing in for qrexec-client-vm: `vigil agent-recv --stdio`
with QREXEC_REMOTE_DOMAIN=work.  Every line is an sshd login the default
ruleset alerts on, numbered by its port, so the eve records show what
arrived.  While lines flow: the receiver is killed (the agent starts the
link again), the agent is killed and restarted (its spool resends what was
not acknowledged), the sensor is killed and restarted (the agent keeps its
records meanwhile).  Every line must arrive exactly once, in order, with
the VM from the channel (a record claiming another VM changes nothing).
A file the agent watches (FIM) arrives as a "fim" record of that VM.

Then mutual TLS: vigil agent-cert makes the CA and the certificates (keys
0600); an agent "personal" over TLS arrives as "personal"; a client whose
certificate another CA signed is refused.
   agents.py VIGIL RULESET_DIR"""
import json, os, signal, socket, struct, subprocess, sys, tempfile, time

LINE = 'Nov 30 10:00:00 vm sshd[1]: Accepted publickey for user from 10.137.0.9 port {} ssh2\n'


def pcap():
    return struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)


def eve_records(path):
    out = []
    if os.path.exists(path):
        with open(path) as f:
            for l in f:
                try:
                    out.append(json.loads(l))
                except ValueError:
                    pass
    return out


def ports(recs, vm):
    got = []
    for r in recs:
        if r.get('event_type') == 'hids' and r.get('vm') == vm:
            got.append(int(r['hids']['data']['srcport']))
    return got


def free_port():
    s = socket.socket()
    s.bind(('127.0.0.1', 0))
    p = s.getsockname()[1]
    s.close()
    return p


def journal_export(first, n, at):
    """n entries in journal export format, each an sshd login numbered by
    its port (first, first+1, ...), at monotonic position at and on."""
    out = ''
    for i in range(n):
        out += ('__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=0123456789abcdef0123456789abcdef\n'
                '_HOSTNAME=jvm\nSYSLOG_IDENTIFIER=sshd\n_PID=77\n'
                'MESSAGE=Accepted publickey for user from 10.137.0.9 port %d ssh2\n\n') % (
                    1796000000000000 + (at + i) * 1000, 1000 + at + i, first + i)
    return out


def journal_test(vigil, d, sock, eve, check):
    """The journal's cursor travels with its entries in the spool: an agent
    killed (SIGKILL) before it saved its positions resumes after the last
    entry its spool holds, so each entry arrives once."""
    jr = '/lib/systemd/systemd-journal-remote'
    if not os.path.exists(jr):
        print('  SKIP  the journal (no systemd-journal-remote to write a journal file)')
        return
    jdir = os.path.join(d, 'journal')
    os.mkdir(jdir)
    n1, n2 = 2000, 200
    subprocess.run([jr, '-o', os.path.join(jdir, 'one.journal'), '-'], input=journal_export(10001, n1, 0),
                   text=True, capture_output=True)
    spool = os.path.join(d, 'jspool')
    cmd = [vigil, 'agent', '--spool', spool, '--to',
           f'QREXEC_REMOTE_DOMAIN=jvm exec {vigil} agent-recv --stdio --ingest {sock}',
           '--journal-dir', jdir, '--from-start']
    err = open(os.path.join(d, 'jagent.err'), 'a')
    jp = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
    spooled = 0
    for _ in range(500):
        try:
            with open(os.path.join(spool, 'spool.jsonl')) as f:
                spooled = sum(1 for l in f if l.endswith('\n'))
        except OSError:
            pass
        if spooled:
            break
        time.sleep(0.01)
    # killed before its first save of positions (1 s): only the spool knows
    jp.send_signal(signal.SIGKILL)
    jp.wait()
    if os.path.exists(os.path.join(spool, 'positions.json')):
        print('  note  the agent had saved its positions before it was killed')
    subprocess.run([jr, '-o', os.path.join(jdir, 'two.journal'), '-'], input=journal_export(10001 + n1, n2, n1),
                   text=True, capture_output=True)
    jp = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=err)
    want = list(range(10001, 10001 + n1 + n2))
    got = []
    for _ in range(300):
        got = ports(eve_records(eve), 'jvm')
        if len(got) >= len(want):
            break
        time.sleep(0.2)
    time.sleep(1)
    got = ports(eve_records(eve), 'jvm')
    jp.send_signal(signal.SIGTERM)
    jp.wait(timeout=20)
    check('the journal: the agent killed after spooling %d of %d entries, restarted, %d more written: '
          'each arrives once, in order (%d arrived, %d distinct)' % (spooled, n1, n2, len(got), len(set(got))),
          got == want)


def revocation_test(vigil, d, certs, port, eve, check):
    """Two more agents over TLS; one's certificate is revoked while the
    receiver runs: its link is cut and its handshakes refused (logged with
    the reason), the other goes on."""
    tls_agents = {}
    for name, first in (('laptop', 11001), ('stolen', 12001)):
        r = subprocess.run([vigil, 'agent-cert', '--dir', certs, '--name', name], capture_output=True, text=True)
        log = os.path.join(d, name + '.log')
        with open(log, 'w') as f:
            for i in range(first, first + 10):
                f.write(LINE.format(i))
        tls_agents[name] = (log, first, subprocess.Popen(
            [vigil, 'agent', '--spool', os.path.join(d, 'spool-' + name), '--tls', f'127.0.0.1:{port}',
             '--cert', os.path.join(certs, name + '.crt'), '--key', os.path.join(certs, name + '.key'),
             '--ca', os.path.join(certs, 'ca.crt'), '--log', log, '--from-start'],
            stdout=subprocess.DEVNULL, stderr=open(os.path.join(d, 'agent-' + name + '.err'), 'w')))
    for _ in range(100):
        if len(ports(eve_records(eve), 'laptop')) >= 10 and len(ports(eve_records(eve), 'stolen')) >= 10:
            break
        time.sleep(0.2)
    check('two more agents over TLS deliver (laptop, stolen)',
          ports(eve_records(eve), 'laptop') == list(range(11001, 11011)) and
          ports(eve_records(eve), 'stolen') == list(range(12001, 12011)))
    r = subprocess.run([vigil, 'agent-cert', '--dir', certs, '--revoke', 'stolen'], capture_output=True, text=True)
    crl = os.path.join(certs, 'ca.crl')
    check('vigil agent-cert --revoke stolen writes ca.crl, 0644, beside the CA: %s' % r.stdout.strip(),
          r.returncode == 0 and os.path.exists(crl) and (os.stat(crl).st_mode & 0o777) == 0o644)
    check('private keys are still 0600', all((os.stat(os.path.join(certs, k)).st_mode & 0o777) == 0o600
                                             for k in ('ca.key', 'laptop.key', 'stolen.key')))
    time.sleep(2)  # the receiver sees the new list within a second
    for name, (log, first, _) in tls_agents.items():
        with open(log, 'a') as f:
            for i in range(first + 10, first + 20):
                f.write(LINE.format(i))
    for _ in range(100):
        if len(ports(eve_records(eve), 'laptop')) >= 20:
            break
        time.sleep(0.2)
    time.sleep(4)  # time for the revoked agent to try again, and be refused
    check('the agent not revoked still delivers, the receiver not restarted',
          ports(eve_records(eve), 'laptop') == list(range(11001, 11021)))
    check('the revoked agent: its link cut, nothing more taken: %s' % ports(eve_records(eve), 'stolen')[10:],
          ports(eve_records(eve), 'stolen') == list(range(12001, 12011)))
    recv_err = open(os.path.join(d, 'recv.err')).read()
    refused = [l for l in recv_err.splitlines() if 'certificate "stolen"' in l and 'refused: certificate revoked' in l]
    check('the receiver logs the revoked agent\'s refused handshake with the reason: %s' % (refused[:1] or recv_err[-300:]),
          bool(refused) and 'connection closed' in recv_err)
    check('the revoked agent logs why: certificate revoked',
          'revoked' in open(os.path.join(d, 'agent-stolen.err')).read())
    for _, _, p in tls_agents.values():
        p.send_signal(signal.SIGTERM)
        p.wait(timeout=20)
    # the list persists: another revocation keeps the first
    r = subprocess.run([vigil, 'agent-cert', '--dir', certs, '--revoke', 'laptop'], capture_output=True, text=True)
    check('a second revocation keeps the first: %s' % r.stdout.strip(), r.returncode == 0 and 'lists 2' in r.stdout)
    # a CRL that is there and bad: the receiver does not start
    bad = os.path.join(d, 'badcerts')
    os.mkdir(bad)
    for n in ('ca.crt', 'vigil-gateway.crt', 'vigil-gateway.key'):
        with open(os.path.join(certs, n), 'rb') as src, open(os.path.join(bad, n), 'wb') as dst:
            dst.write(src.read())
    with open(os.path.join(bad, 'ca.crl'), 'w') as f:
        f.write('not a CRL\n')
    r = subprocess.run([vigil, 'agent-recv', '--listen', f'127.0.0.1:{free_port()}', '--cert',
                        os.path.join(bad, 'vigil-gateway.crt'), '--key', os.path.join(bad, 'vigil-gateway.key'),
                        '--ca', os.path.join(bad, 'ca.crt'), '--ingest', os.path.join(d, 'nowhere.sock')],
                       capture_output=True, text=True, timeout=20)
    check('a bad ca.crl: the receiver refuses to start, naming it: %s' % r.stderr.strip(),
          r.returncode != 0 and os.path.join(bad, 'ca.crl') in r.stderr)


def main():
    vigil, ruleset = sys.argv[1], sys.argv[2]
    ok = fails = 0

    def check(what, cond):
        nonlocal ok, fails
        print(('  ok    ' if cond else '  FAIL  ') + what)
        ok += bool(cond)
        fails += not cond

    with tempfile.TemporaryDirectory() as d:
        out = os.path.join(d, 'out')
        os.mkdir(out)
        eve = os.path.join(out, 'eve.json')
        sock = os.path.join(out, 'agents.sock')
        applog = os.path.join(d, 'app.log')
        open(applog, 'w').close()
        watched = os.path.join(d, 'watched')
        os.mkdir(watched)

        def sensor():
            fifo = os.path.join(d, 'fifo')
            if os.path.exists(fifo):
                os.unlink(fifo)
            os.mkfifo(fifo)
            p = subprocess.Popen([vigil, '-r', fifo, '-l', out, '-v', '--no-progress', '--set', 'hids.enabled=yes',
                                  '--set', 'hids.ruleset=' + ruleset, '--set', 'hids.agent-socket=' + sock],
                                 stdout=subprocess.DEVNULL, stderr=open(os.path.join(d, 'sensor.err'), 'a'))
            w = open(fifo, 'wb')
            w.write(pcap())
            w.flush()
            for _ in range(100):
                if os.path.exists(sock):
                    break
                time.sleep(0.1)
            return p, w

        recv_cmd = f'QREXEC_REMOTE_DOMAIN=work exec {vigil} agent-recv --stdio --ingest {sock}'

        def agent():
            return subprocess.Popen([vigil, 'agent', '--spool', os.path.join(d, 'spool'), '--to', recv_cmd,
                                     '--log', applog, '--from-start', '--fim', watched],
                                    stdout=subprocess.DEVNULL, stderr=open(os.path.join(d, 'agent.err'), 'a'))

        def write_lines(a, b):
            with open(applog, 'a') as f:
                for i in range(a, b):
                    f.write(LINE.format(i))

        def wait_ports(n, secs=30):
            end = time.time() + secs
            while time.time() < end:
                if len(ports(eve_records(eve), 'work')) >= n:
                    break
                time.sleep(0.2)
            time.sleep(0.3)
            return ports(eve_records(eve), 'work')

        def receivers():
            r = subprocess.run(['pgrep', '-f', 'agent-recv --stdio --ingest ' + sock], capture_output=True, text=True)
            return [int(x) for x in r.stdout.split()]

        print('qrexec stand-in (a pipe to vigil agent-recv --stdio)')
        sp, sw = sensor()
        ap = agent()
        write_lines(1, 201)
        got = wait_ports(200)
        check('200 lines arrive once each, in order, as VM work', got == list(range(1, 201)))

        write_lines(201, 401)
        time.sleep(0.3)
        for pid in receivers():
            os.kill(pid, signal.SIGKILL)
        got = wait_ports(400)
        check('the receiver killed mid-stream: nothing lost or repeated', got == list(range(1, 401)))

        write_lines(401, 601)
        time.sleep(0.2)
        ap.send_signal(signal.SIGKILL)
        ap.wait()
        write_lines(601, 701)
        ap = agent()
        got = wait_ports(700)
        check('the agent killed mid-stream and restarted: nothing lost or repeated', got == list(range(1, 701)))

        write_lines(701, 901)
        time.sleep(0.2)
        sp.send_signal(signal.SIGKILL)
        sp.wait()
        sw.close()
        write_lines(901, 1001)
        time.sleep(1)
        sp, sw = sensor()
        got = wait_ports(1000, 60)
        check('the sensor killed mid-stream and restarted: nothing lost or repeated (%d, %s)' %
              (len(got), 'in order' if got == sorted(got) else 'out of order'), got == list(range(1, 1001)))

        with open(os.path.join(watched, 'new-file'), 'w') as f:
            f.write('x')
        fimrec = []
        for _ in range(100):
            fimrec = [r for r in eve_records(eve) if r.get('event_type') == 'fim' and r.get('vm') == 'work'
                      and r['fim'].get('path', '').endswith('new-file')]
            if fimrec:
                break
            time.sleep(0.2)
        check('a file created where the agent watches: a fim record of VM work', len(fimrec) >= 1)

        # a record that claims another VM is still the channel's
        forged = json.dumps({'seq': 1, 'type': 'log', 'vm': 'dom0', 'location': 'x',
                             'line': LINE.format(7001).rstrip('\n')}) + '\n'
        env = dict(os.environ, QREXEC_REMOTE_DOMAIN='untrusted')
        subprocess.run([vigil, 'agent-recv', '--stdio', '--ingest', sock], input=forged, env=env,
                       capture_output=True, text=True, timeout=20)
        time.sleep(0.5)
        claimed = [r.get('vm') for r in eve_records(eve) if r.get('event_type') == 'hids'
                   and r['hids']['data'].get('srcport') == '7001']
        check('a record claiming VM dom0 from the channel of "untrusted" is untrusted\'s: %s' % claimed,
              claimed == ['untrusted'])
        r = subprocess.run([vigil, 'agent-recv', '--stdio', '--ingest', sock], input=forged,
                           env={k: v for k, v in os.environ.items() if k != 'QREXEC_REMOTE_DOMAIN'},
                           capture_output=True, text=True, timeout=20)
        check('without QREXEC_REMOTE_DOMAIN the receiver refuses', r.returncode != 0)
        # dom0's agent: the script that needs nothing beyond what Qubes ships
        dom0 = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'etc', 'qubes', 'vigil-dom0-agent')
        jfile = os.path.join(d, 'journal.json')
        with open(jfile, 'w') as f:
            for i in range(8001, 8011):
                f.write(json.dumps({'__REALTIME_TIMESTAMP': '1796000000000000', '_HOSTNAME': 'dom0',
                                    'SYSLOG_IDENTIFIER': 'sshd', '_PID': '77', '__CURSOR': 'c%d' % i,
                                    'MESSAGE': 'Accepted publickey for user from 10.137.0.9 port %d ssh2' % i}) + '\n')
        dp = subprocess.Popen(['/usr/bin/python3', dom0, '--spool', os.path.join(d, 'dom0spool'),
                               '--to', f'QREXEC_REMOTE_DOMAIN=dom0 exec {vigil} agent-recv --stdio --ingest {sock}',
                               '--journal-cmd', f'cat {jfile}; sleep 600'],
                              stdout=subprocess.DEVNULL, stderr=open(os.path.join(d, 'dom0.err'), 'w'))
        got = []
        for _ in range(100):
            got = ports(eve_records(eve), 'dom0')
            if len(got) >= 10:
                break
            time.sleep(0.2)
        dp.send_signal(signal.SIGTERM)
        dp.wait(timeout=20)
        check('dom0\'s journal through vigil-dom0-agent: 10 entries once each, in order, as VM dom0',
              got == list(range(8001, 8011)))
        journal_test(vigil, d, sock, eve, check)
        ap.send_signal(signal.SIGTERM)
        ap.wait(timeout=20)
        check('the agent stops on SIGTERM', ap.returncode == 0)
        # the VM recreated under the same name: a new spool numbers from 1
        # again, and is taken; a line no record can hold is cut, one with
        # bytes that are not UTF-8 keeps its place
        newlog = os.path.join(d, 'new.log')
        with open(newlog, 'wb') as f:
            f.write(b'\x01' * 50000 + b'\n')
            f.write(LINE.format(9001).encode())
            f.write(LINE.format(9002).replace('user', 'r\xffoot').encode('latin-1'))
            f.write(LINE.format(9003).encode())
        np_ = subprocess.Popen([vigil, 'agent', '--spool', os.path.join(d, 'spool-new'), '--to', recv_cmd,
                                '--log', newlog, '--from-start'],
                               stdout=subprocess.DEVNULL, stderr=open(os.path.join(d, 'agent.err'), 'a'))
        got = []
        for _ in range(100):
            got = [p for p in ports(eve_records(eve), 'work') if p > 9000]
            if len(got) >= 3:
                break
            time.sleep(0.2)
        np_.send_signal(signal.SIGTERM)
        np_.wait(timeout=20)
        check('a recreated VM (new spool) is taken afresh, past a 50,000-byte control-character line '
              'and a line with a stray byte: %s' % got, got == [9001, 9002, 9003])
        spool = os.path.join(d, 'spool')
        check('the spool is its owner\'s only', (os.stat(os.path.join(spool, 'spool.jsonl')).st_mode & 0o077) == 0)

        print('mutual TLS')
        certs = os.path.join(d, 'certs')
        r1 = subprocess.run([vigil, 'agent-cert', '--dir', certs, '--name', 'vigil-gateway', '--server'], capture_output=True, text=True)
        r2 = subprocess.run([vigil, 'agent-cert', '--dir', certs, '--name', 'personal'], capture_output=True, text=True)
        check('vigil agent-cert makes the CA, the gateway\'s and an agent\'s certificates',
              r1.returncode == 0 and r2.returncode == 0 and os.path.exists(os.path.join(certs, 'personal.crt')))
        check('private keys are 0600', all((os.stat(os.path.join(certs, k)).st_mode & 0o777) == 0o600
                                           for k in ('ca.key', 'vigil-gateway.key', 'personal.key')))
        port = free_port()
        rp = subprocess.Popen([vigil, 'agent-recv', '--listen', f'127.0.0.1:{port}', '--cert',
                               os.path.join(certs, 'vigil-gateway.crt'), '--key', os.path.join(certs, 'vigil-gateway.key'),
                               '--ca', os.path.join(certs, 'ca.crt'), '--ingest', sock],
                              stdout=subprocess.DEVNULL, stderr=open(os.path.join(d, 'recv.err'), 'w'))
        time.sleep(0.5)
        tlslog = os.path.join(d, 'personal.log')
        with open(tlslog, 'w') as f:
            for i in range(5001, 5051):
                f.write(LINE.format(i))
        tp = subprocess.Popen([vigil, 'agent', '--spool', os.path.join(d, 'spool2'), '--tls', f'127.0.0.1:{port}',
                               '--cert', os.path.join(certs, 'personal.crt'), '--key', os.path.join(certs, 'personal.key'),
                               '--ca', os.path.join(certs, 'ca.crt'), '--log', tlslog, '--from-start'],
                              stdout=subprocess.DEVNULL, stderr=open(os.path.join(d, 'agent2.err'), 'w'))
        got = []
        for _ in range(100):
            got = ports(eve_records(eve), 'personal')
            if len(got) >= 50:
                break
            time.sleep(0.2)
        check('50 lines over TLS arrive once each, in order, as VM personal', got == list(range(5001, 5051)))
        # another CA's client is refused
        other = os.path.join(d, 'other')
        subprocess.run([vigil, 'agent-cert', '--dir', other, '--name', 'intruder'], capture_output=True)
        ilog = os.path.join(d, 'intruder.log')
        with open(ilog, 'w') as f:
            f.write(LINE.format(6001))
        ip = subprocess.Popen([vigil, 'agent', '--spool', os.path.join(d, 'spool3'), '--tls', f'127.0.0.1:{port}',
                               '--cert', os.path.join(other, 'intruder.crt'), '--key', os.path.join(other, 'intruder.key'),
                               '--ca', os.path.join(certs, 'ca.crt'), '--log', ilog, '--from-start'],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(3)
        ip.send_signal(signal.SIGTERM)
        ip.wait(timeout=20)
        check('a client certificate from another CA is refused', not ports(eve_records(eve), 'intruder') and
              not [r for r in eve_records(eve) if 6001 in ports([r], r.get('vm'))])
        revocation_test(vigil, d, certs, port, eve, check)
        tp.send_signal(signal.SIGTERM)
        tp.wait(timeout=20)
        rp.send_signal(signal.SIGTERM)
        rp.wait(timeout=20)
        sw.close()
        sp.wait(timeout=30)
        check('the sensor ends cleanly', sp.returncode == 0)
        if fails:
            for n in ('sensor.err', 'agent.err', 'recv.err', 'agent2.err', 'dom0.err', 'jagent.err',
                      'agent-stolen.err'):
                p = os.path.join(d, n)
                if os.path.exists(p):
                    print('--- ' + n)
                    print(open(p).read()[-1500:])
    print(f'{ok} passed, {fails} failed')
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
