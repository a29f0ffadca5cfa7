#!/usr/bin/env python3
"""The host IDS inside the sensor: log files -> rules -> eve "hids" records.

Phase 1 (offline runs over a small capture): a log file read from its start
gives one record per matching line, with Wazuh's fields (rule.id, level,
description, groups, decoder.name, full_log, location, agent) and the VM;
a second run reads only what was appended since (saved positions); a
level under hids.alert-level gives no record.

Phase 2 (a live run: the capture comes through a FIFO, so vigil keeps
running, with the control socket): lines appended are analysed as they
come; a rotation (rename and create) loses no line and repeats none; six
failures from one address make the frequency rule fire once; a new rule
added to the ruleset works after `vigil ctl reload-hids`; a broken ruleset
fails to reload, says so, and the running rules go on; SIGHUP reloads too.
   sensor.py VIGIL RULESET_DIR"""
import json, os, shutil, signal, struct, subprocess, sys, tempfile, time

FAIL = 'Nov 30 10:00:{:02d} gw sshd[812]: Failed password for root from {} port 4{:04d} ssh2\n'
ACCEPT = 'Nov 30 10:01:{:02d} gw sshd[812]: Accepted publickey for user from 10.137.0.9 port 40114 ssh2\n'
SUDO = 'Nov 30 10:02:{:02d} gw sudo:     user : TTY=pts/0 ; PWD=/home/user ; USER=root ; COMMAND=/usr/bin/id\n'
SYSTEMD_LOW = 'Nov 30 10:03:00 gw systemd[1]: vigil.service: Failed with result \'exit-code\'.\n'
NEW_RULE = '''<group name="local,">
  <rule id="100900" level="7">
    <decoded_as>sshd</decoded_as>
    <match>vigil-reload-test</match>
    <description>the rule added while running</description>
  </rule>
</group>
'''


def pcap(pkts=()):
    out = struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1)
    return out


def records(path):
    out = []
    if not os.path.exists(path):
        return out
    with open(path) as f:
        for line in f:
            try:
                r = json.loads(line)
            except ValueError:
                continue
            if r.get('event_type') == 'hids':
                out.append(r)
    return out


def main():
    vigil, ruleset = sys.argv[1], sys.argv[2]
    ok = fails = 0

    def check(what, cond):
        nonlocal ok, fails
        print(('  ok    ' if cond else '  FAIL  ') + what)
        ok += bool(cond)
        fails += not cond

    with tempfile.TemporaryDirectory() as d:
        rs = os.path.join(d, 'ruleset')
        shutil.copytree(ruleset, rs)
        log = os.path.join(d, 'auth.log')
        cap = os.path.join(d, 'empty.pcap')
        with open(cap, 'wb') as f:
            f.write(pcap())
        base = ['--no-progress', '--set', 'hids.enabled=yes', '--set', 'hids.ruleset=' + rs,
                '--set', 'hids.log-files=' + log, '--set', 'hids.read-from=start']

        print('phase 1: offline')
        with open(log, 'w') as f:
            f.write(FAIL.format(1, '10.137.0.5', 1) + ACCEPT.format(1) + SUDO.format(1) + SYSTEMD_LOW)
        out1 = os.path.join(d, 'run1')
        os.mkdir(out1)
        r = subprocess.run([vigil, '-r', cap, '-l', out1] + base, capture_output=True, text=True)
        check('the offline run succeeds', r.returncode == 0)
        recs = records(os.path.join(out1, 'eve.json'))
        ids = [x['hids']['rule']['id'] for x in recs]
        check('one record per matching line, in order: %s' % ids, ids == ['100002', '100004', '100011', '100060'])
        if recs:
            h = recs[0]['hids']
            check('Wazuh fields: rule, decoder, data, full_log, location, agent',
                  h['rule']['level'] == 5 and 'authentication_failed' in h['rule']['groups'] and
                  h['decoder']['name'] == 'sshd' and h['data'].get('srcip') == '10.137.0.5' and
                  h['full_log'] == FAIL.format(1, '10.137.0.5', 1).rstrip('\n') and h['location'] == log and
                  'name' in h.get('agent', {}))
            check('the record names the VM and its description the user',
                  recs[0].get('vm') and 'root' in h['rule']['description'])
        pos = os.path.join(out1, 'hids-positions.json')
        check('positions saved', os.path.exists(pos))
        with open(log, 'a') as f:
            f.write(FAIL.format(2, '10.137.0.6', 2) + ACCEPT.format(2))
        r = subprocess.run([vigil, '-r', cap, '-l', out1] + base, capture_output=True, text=True)
        ids = [x['hids']['rule']['id'] for x in records(os.path.join(out1, 'eve.json'))]
        check('a second run reads only the new lines: %s' % ids, ids == ['100002', '100004', '100011', '100060', '100002', '100004'])
        out2 = os.path.join(d, 'run2')
        os.mkdir(out2)
        r = subprocess.run([vigil, '-r', cap, '-l', out2, '--set', 'hids.alert-level=5'] + base,
                           capture_output=True, text=True)
        ids = [x['hids']['rule']['id'] for x in records(os.path.join(out2, 'eve.json'))]
        check('hids.alert-level=5 keeps levels 5 and up: %s' % ids, ids == ['100002', '100002'])

        print('phase 1a: the journal')
        jr = '/lib/systemd/systemd-journal-remote'
        if os.path.exists(jr):
            jdir = os.path.join(d, 'journal')
            os.mkdir(jdir)
            export = ''
            for i, (prog, msg) in enumerate([('sshd', 'Accepted publickey for user from 10.137.0.9 port 9001 ssh2'),
                                             ('sudo', '    user : TTY=pts/0 ; PWD=/home/user ; USER=root ; COMMAND=/usr/bin/id')]):
                export += ('__REALTIME_TIMESTAMP=%d\n__MONOTONIC_TIMESTAMP=%d\n_BOOT_ID=0123456789abcdef0123456789abcdef\n'
                           '_HOSTNAME=work\nSYSLOG_IDENTIFIER=%s\n_PID=%d\nMESSAGE=%s\n\n') % (
                               1796000000000000 + i * 1000000, 1000 + i, prog, 800 + i, msg)
            subprocess.run([jr, '-o', os.path.join(jdir, 'remote.journal'), '-'], input=export, text=True,
                           capture_output=True)
            out5 = os.path.join(d, 'run5')
            os.mkdir(out5)
            jargs = ['--no-progress', '--set', 'hids.enabled=yes', '--set', 'hids.ruleset=' + rs, '--set',
                     'hids.journal=yes', '--set', 'hids.journal-dir=' + jdir, '--set', 'hids.read-from=start']
            subprocess.run([vigil, '-r', cap, '-l', out5] + jargs, capture_output=True)
            ids = [x['hids']['rule']['id'] for x in records(os.path.join(out5, 'eve.json'))]
            check('journal entries become syslog lines the rules see: %s' % ids, ids == ['100004', '100011'])
            subprocess.run([vigil, '-r', cap, '-l', out5] + jargs, capture_output=True)
            ids = [x['hids']['rule']['id'] for x in records(os.path.join(out5, 'eve.json'))]
            check('a second run resumes after the saved cursor: nothing again', ids == ['100004', '100011'])
        else:
            print('  SKIP  the journal (no systemd-journal-remote to write a journal file)')

        print('phase 1b: file integrity in the sensor')
        tree = os.path.join(d, 'tree')
        os.mkdir(tree)
        with open(os.path.join(tree, 'a.conf'), 'w') as f:
            f.write('x=1\n')
        bait = os.path.join(d, 'passwords.txt')
        with open(bait, 'w') as f:
            f.write('bait\n')
        out4 = os.path.join(d, 'run4')
        os.mkdir(out4)
        fifo4 = os.path.join(d, 'fifo4')
        os.mkfifo(fifo4)
        vp4 = subprocess.Popen([vigil, '-r', fifo4, '-l', out4, '--no-progress', '--set', 'hids.enabled=yes',
                                '--set', 'hids.ruleset=' + rs, '--set', 'hids.fim.paths=' + tree,
                                '--set', 'hids.fim.honeyfiles=' + bait], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
        w4 = open(fifo4, 'wb')
        w4.write(pcap())
        w4.flush()
        time.sleep(1.5)
        with open(os.path.join(tree, 'a.conf'), 'w') as f:
            f.write('x=2\n')
        with open(bait) as f:
            f.read()

        def fims():
            out = []
            p4 = os.path.join(out4, 'eve.json')
            if os.path.exists(p4):
                for l in open(p4):
                    try:
                        r = json.loads(l)
                    except ValueError:
                        continue
                    if r.get('event_type') == 'fim':
                        out.append(r)
            return out
        for _ in range(50):
            evs = [r['fim'].get('event') for r in fims()]
            if 'changed' in evs and 'honeyfile_access' in evs:
                break
            time.sleep(0.2)
        got = fims()
        check('a file changed under hids.fim.paths: a fim record "changed" with the VM',
              any(r['fim'].get('event') == 'changed' and r['fim'].get('path', '').endswith('a.conf') and r.get('vm')
                  for r in got))
        check('the honeyfile read: a fim record "honeyfile_access"',
              any(r['fim'].get('event') == 'honeyfile_access' for r in got))
        w4.close()
        vp4.wait(timeout=30)

        print('phase 2: live')
        out3 = os.path.join(d, 'run3')
        os.mkdir(out3)
        eve = os.path.join(out3, 'eve.json')
        sock = os.path.join(out3, 'vigil.sock')
        os.unlink(log)
        with open(log, 'w') as f:
            f.write('')
        fifo = os.path.join(d, 'fifo')
        os.mkfifo(fifo)
        err = open(os.path.join(d, 'err'), 'w')
        live = [a if a != 'hids.read-from=start' else 'hids.read-from=end' for a in base]
        vp = subprocess.Popen([vigil, '-r', fifo, '-l', out3, '-v', '--set', 'control.enabled=yes'] + live,
                              stdout=subprocess.DEVNULL, stderr=err)
        w = open(fifo, 'wb')
        w.write(pcap())
        w.flush()

        def wait_for(pred, secs=15):
            end = time.time() + secs
            while time.time() < end:
                rs_ = records(eve)
                if pred(rs_):
                    return rs_
                time.sleep(0.2)
            return records(eve)

        def ctl(*a):
            r = subprocess.run([vigil, 'ctl', '-s', sock, '--json'] + list(a), capture_output=True,
                               text=True, timeout=30)
            try:
                return json.loads(r.stdout)
            except ValueError:
                return {}

        for _ in range(50):
            if os.path.exists(sock):
                break
            time.sleep(0.2)
        time.sleep(0.5)
        with open(log, 'a') as f:
            f.write(ACCEPT.format(10))
        got = wait_for(lambda r: len(r) >= 1)
        check('a line appended is analysed while running', [x['hids']['rule']['id'] for x in got] == ['100004'])
        # rotation: a last line in the old file, then a new file
        with open(log, 'a') as f:
            f.write(SUDO.format(11))
        os.rename(log, log + '.1')
        with open(log, 'w') as f:
            f.write(ACCEPT.format(12))
        got = wait_for(lambda r: len(r) >= 3)
        time.sleep(0.5)
        got = records(eve)
        check('rotation: the old file\'s last line and the new file\'s, once each: %s' %
              [x['hids']['rule']['id'] for x in got], [x['hids']['rule']['id'] for x in got] == ['100004', '100011', '100004'])
        with open(log, 'a') as f:
            for i in range(6):
                f.write(FAIL.format(20 + i, '10.137.0.66', 20 + i))
        got = wait_for(lambda r: any(x['hids']['rule']['id'] == '100005' for x in r))
        brute = [x for x in got if x['hids']['rule']['id'] == '100005']
        check('six failures from one address: the frequency rule fires once', len(brute) == 1 and
              brute[0]['hids']['data']['srcip'] == '10.137.0.66')
        # reload with a new rule
        with open(os.path.join(rs, 'rules', '0900-local_rules.xml'), 'w') as f:
            f.write(NEW_RULE)
        rep = ctl('reload-hids')
        check('vigil ctl reload-hids is accepted', rep.get('return') == 'OK')
        for _ in range(50):
            if ctl('hids').get('message', {}).get('reloads') == 1:
                break
            time.sleep(0.2)
        check('the reload is done', ctl('hids').get('message', {}).get('reloads') == 1)
        with open(log, 'a') as f:
            f.write('Nov 30 10:05:00 gw sshd[812]: vigil-reload-test\n')
        got = wait_for(lambda r: any(x['hids']['rule']['id'] == '100900' for x in r))
        check('the rule added works after the reload', any(x['hids']['rule']['id'] == '100900' for x in got))
        # a broken ruleset: the reload fails, the rules in use stay
        with open(os.path.join(rs, 'rules', '0901-broken.xml'), 'w') as f:
            f.write('<group name="x,"><rule id="100901" level="3"><match>x</match></group>\n')
        ctl('reload-hids')
        time.sleep(1.5)
        n_before = len(records(eve))
        with open(log, 'a') as f:
            f.write('Nov 30 10:05:01 gw sshd[812]: vigil-reload-test\n')
        got = wait_for(lambda r: len(r) > n_before)
        check('after a failed reload the running rules go on', got[-1]['hids']['rule']['id'] == '100900')
        err.flush()
        with open(os.path.join(d, 'err')) as f:
            e = f.read()
        check('the failed reload names the file and line', 'host IDS reload failed' in e and '0901-broken.xml:1' in e)
        os.unlink(os.path.join(rs, 'rules', '0901-broken.xml'))
        vp.send_signal(signal.SIGHUP)
        for _ in range(50):
            if ctl('hids').get('message', {}).get('reloads') == 2:
                break
            time.sleep(0.2)
        check('SIGHUP reloads the host IDS rules', ctl('hids').get('message', {}).get('reloads') == 2)
        w.close()
        vp.wait(timeout=30)
        err.close()
        check('the live run ends cleanly', vp.returncode == 0)
        check('positions saved at the end', os.path.exists(os.path.join(out3, 'hids-positions.json')))
    print(f'{ok} passed, {fails} failed')
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
