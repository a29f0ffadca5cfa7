#!/usr/bin/env python3
"""The control socket and `vigil ctl` against a running sensor.

vigil reads a capture through a FIFO (so it runs as long as the test wants)
with control.enabled=yes and --simulate-ips.  Phase 1: the VMs "work"
(10.137.0.10) and "personal" (10.137.0.20) each send a UDP packet that a
rule (sid 1000001) alerts on, "work" asks DNS for evil.example and opens a
flow to 198.51.100.7.  Then, through `vigil ctl`: the open flows (all, by
VM, by port, one by id), the VMs, one VM, the stats; sid 1000001 suppressed
for "work", evil.example blocked for all, 198.51.100.7 denied for "work",
the rules reloaded; and bad input (malformed JSON, not an object, unknown
command, missing arguments, unknown VM, an oversize line, a bad target),
each answered with an error while the sensor keeps running.  Phase 2
repeats phase 1's traffic: "work"'s sid 1000001 alert is gone and
"personal"'s is not, the DNS question for evil.example is a blocklist hit
of the list "ctl" and dropped, the flow to 198.51.100.7 a violation.  Every
change is an eve "control" record; the changes survive a restart (a second
run over phase 2 alone); unblock/unsuppress undo them; shutdown stops the
sensor cleanly.
   control.py VIGIL"""
import json, os, socket, struct, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from early_warning import T0, dnsq, tcp, udp  # noqa: E402

WORK, PERSONAL = '10.137.0.10', '10.137.0.20'
RULES = 'alert udp any any -> any 9999 (msg:"ctl test"; content:"ATTACK"; sid:1000001; rev:1;)\n'


def phase(t, base):
    return [
        (t + 0.1, udp(WORK, '203.0.113.9', base + 1, 9999, b'xxATTACKxx')),
        (t + 0.2, udp(PERSONAL, '203.0.113.9', base + 2, 9999, b'xxATTACKxx')),
        (t + 0.3, udp(WORK, '10.139.1.1', base + 3, 53, dnsq(base & 0xffff, 'evil.example'))),
        (t + 0.4, tcp(WORK, '198.51.100.7', base + 4, 443, 1000, 0, 0x02)),
    ]


def pcap_bytes(pkts, header=True):
    out = struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1) if header else b''
    for t, fr in pkts:
        out += struct.pack('<IIII', int(t), int(round((t % 1) * 1e6)), len(fr), len(fr)) + fr
    return out


def main():
    vigil = sys.argv[1]
    ok = fails = 0

    def check(what, cond):
        nonlocal ok, fails
        print(('  ok    ' if cond else '  FAIL  ') + what)
        ok += bool(cond)
        fails += not cond

    with tempfile.TemporaryDirectory() as d:
        sock = os.path.join(d, 'vigil.sock')
        with open(os.path.join(d, 'test.rules'), 'w') as f:
            f.write(RULES)
        with open(os.path.join(d, 'vms.yaml'), 'w') as f:
            f.write(f'work: {WORK}\npersonal: {PERSONAL}\nqubes-dns: 10.139.1.0/24\n')
        args = ['--no-progress', '-v', '--simulate-ips', '-S', os.path.join(d, 'test.rules'),
                '--set', 'identity.file=' + os.path.join(d, 'vms.yaml'),
                '--set', 'control.enabled=yes', '--set', 'policy.check-interval=0']
        fifo = os.path.join(d, 'fifo')
        os.mkfifo(fifo)
        err = open(os.path.join(d, 'err'), 'w')
        vp = subprocess.Popen([vigil, '-r', fifo, '-l', d, '--runmode', 'workers', '--set',
                               'threads=2'] + args, stdout=subprocess.DEVNULL, stderr=err)
        w = open(fifo, 'wb')
        w.write(pcap_bytes(phase(T0 + 1, 40000)))
        w.flush()

        def ctl(*a, js=True):
            r = subprocess.run([vigil, 'ctl', '-s', sock] + (['--json'] if js else []) + list(a),
                               capture_output=True, text=True, timeout=60)
            if js:
                try:
                    return r.returncode, json.loads(r.stdout)
                except ValueError:
                    return r.returncode, {'raw': r.stdout + r.stderr}
            return r.returncode, r.stdout + r.stderr

        def raw(line):
            s = socket.socket(socket.AF_UNIX)
            s.settimeout(10)
            s.connect(sock)
            s.sendall(line)
            buf = b''
            while b'\n' not in buf:
                b = s.recv(65536)
                if not b:
                    break
                buf += b
            s.close()
            return json.loads(buf.split(b'\n')[0]) if buf else None

        for _ in range(200):
            if os.path.exists(sock):
                rc, a = ctl('flows')
                if rc == 0 and a['message']['count'] >= 4:
                    break
            time.sleep(0.05)
        rc, a = ctl('flows')
        check('flows lists the open flows (4 or more)', rc == 0 and a['message']['count'] >= 4)
        rc, a = ctl('flows', '--vm', 'work')
        fl = a.get('message', {}).get('flows', [])
        check('flows --vm work: only work\'s flows (3)',
              rc == 0 and len(fl) == 3 and all(WORK in (x['src_ip'], x['dest_ip']) for x in fl))
        check('flow records carry src_vm', all(x.get('src_vm') == 'work' for x in fl))
        rc, a = ctl('flows', '--port', '9999')
        check('flows --port 9999: 2', rc == 0 and a['message']['count'] == 2)
        fid = fl[0]['flow_id'] if fl else 0
        rc, a = ctl('flow', str(fid))
        check('flow ID: that flow', rc == 0 and a['message']['count'] == 1
              and a['message']['flows'][0]['flow_id'] == fid)
        rc, a = ctl('flows', '--limit', '1')
        check('flows --limit 1 shows one, counts all',
              rc == 0 and a['message']['shown'] == 1 and a['message']['count'] >= 4)
        rc, a = ctl('vms')
        check('vms: the three VMs', rc == 0 and sorted(v['name'] for v in a['message'])
              == ['personal', 'qubes-dns', 'work'])
        rc, a = ctl('vm', 'work')
        check('vm work: addresses and flows', rc == 0 and a['message']['vm']['addresses'] == [WORK]
              and a['message']['flows'] == 3)
        rc, a = ctl('stats')
        st = a.get('message', {}).get('stats', {})
        check('stats: an eve stats record with the packets so far',
              rc == 0 and st.get('decoder', {}).get('pkts', 0) >= 4)
        rc, txt = ctl('stats', js=False)
        check('stats, human: "decoder.pkts N"', rc == 0 and 'decoder.pkts' in txt)
        rc, txt = ctl('vm', 'work', js=False)
        check('vm, human: the address line', rc == 0 and 'addresses' in txt and WORK in txt)

        # changes
        rc, a = ctl('suppress', '1000001', '--vm', 'work')
        check('suppress 1000001 for work: added', rc == 0 and a['message']['result'] == 'added')
        rc, a = ctl('block', 'evil.example')
        check('block evil.example: added', rc == 0 and a['message']['result'] == 'added')
        rc, a = ctl('deny', 'work', '198.51.100.7')
        check('deny work 198.51.100.7: added', rc == 0 and a['message']['result'] == 'added')
        rc, a = ctl('block', 'evil.example')
        check('the same block again: "already there"', rc == 0 and a['message'] == 'already there')
        rc, a = ctl('overrides')
        check('overrides: the three changes', rc == 0 and len(a['message']) == 3)
        rc, a = ctl('reload', 'rules')
        check('reload rules: answers with the count', rc == 0 and a['message']['loaded'] == 1)
        rc, a = ctl('reload', 'policy')
        check('reload policy: the VMs', rc == 0 and a['message']['vms'] == 3)

        # bad input: an error each, never a crash
        check('malformed JSON: NOK', raw(b'{"command": \n')['return'] == 'NOK')
        check('not an object: NOK', raw(b'[1,2]\n')['return'] == 'NOK')
        check('no command: NOK', raw(b'{"arguments": {}}\n')['return'] == 'NOK')
        r = raw(b'{"command": "frobnicate"}\n')
        check('unknown command: NOK naming it', r['return'] == 'NOK' and 'frobnicate' in r['message'])
        r = raw(b'{"command": "allow", "arguments": {"vm": "work"}}\n')
        check('allow without a target: NOK', r['return'] == 'NOK')
        r = raw(b'{"command": "allow", "arguments": {"vm": "nosuch", "target": "a.example"}}\n')
        check('allow for an unknown VM: NOK', r['return'] == 'NOK' and 'unknown VM' in r['message'])
        r = raw(b'{"command": "block", "arguments": {"target": "10.0.0.1"}}\n')
        check('a global block of private space: NOK', r['return'] == 'NOK')
        r = raw(b'{"command": "block", "arguments": {"target": "not a name!"}}\n')
        check('a bad block target: NOK', r['return'] == 'NOK')
        r = raw(b'{"command": "flows", "arguments": {"port": "http"}}\n')
        check('flows with a bad port: NOK', r['return'] == 'NOK')
        r = raw(b'{"command": "suppress", "arguments": {"sid": -4}}\n')
        check('suppress with a bad sid: NOK', r['return'] == 'NOK')
        r = raw(b'{"command": "stats", "arguments": [1]}\n')
        check('arguments not an object: NOK', r['return'] == 'NOK')
        r = raw(b'{"command": "x", "pad": "' + b'a' * 70000 + b'"}\n')
        check('an oversize line: NOK', r['return'] == 'NOK' and 'longer' in r['message'])
        r = raw(b'\xff\xfe{"command":"stats"}\n')
        check('bytes that are not UTF-8: NOK', r['return'] == 'NOK')
        rc, txt = ctl('frobnicate', js=False)
        check('vigil ctl, unknown word: exit 2', rc == 2)
        r = raw(b'{"version": "0.2"}\n{"command": "version"}\n')
        check('suricatasc greeting answered', r['return'] == 'OK')
        check('the sensor still runs', vp.poll() is None)

        w.write(pcap_bytes(phase(T0 + 5, 41000), header=False))
        w.flush()
        time.sleep(0.5)
        rc, a = ctl('stats')
        st = a.get('message', {}).get('stats', {})
        check('stats: detect.suppressed counts the suppressed alert',
              st.get('detect', {}).get('suppressed', 0) == 1)
        rc, a = ctl('unblock', 'evil.example')
        check('unblock: removed', rc == 0 and a['message']['result'] == 'removed')
        rc, a = ctl('unblock', 'evil.example')
        check('unblock again: NOK', rc == 1)
        rc, a = ctl('rotate')
        check('rotate: OK', rc == 0)
        rc, a = ctl('shutdown')
        check('shutdown: OK', rc == 0)
        w.close()
        vp.wait(timeout=30)
        err.close()
        check('the sensor stopped cleanly', vp.returncode == 0)
        check('the socket is removed', not os.path.exists(sock))
        recs = [json.loads(line) for line in open(os.path.join(d, 'eve.json'))]
        ctlrec = [x for x in recs if x.get('event_type') == 'control']
        check('each change is an eve control record (4)', len(ctlrec) == 4 and
              [x['control']['command'] for x in ctlrec] == ['suppress', 'block', 'deny', 'unblock'])
        check('... naming who made it', all(x['control']['by'].startswith('uid ') for x in ctlrec))

        a1 = [x for x in recs if x.get('event_type') == 'alert' and x['alert']['signature_id'] == 1000001]
        wk = [x for x in a1 if x['src_ip'] == WORK]
        ps = [x for x in a1 if x['src_ip'] == PERSONAL]
        check('sid 1000001: work alerted once (before the suppression)', len(wk) == 1)
        check('sid 1000001: personal alerted twice (not suppressed for it)', len(ps) == 2)
        bl = [x for x in recs if x.get('event_type') == 'alert' and x['alert']['gid'] == 7
              and x['alert']['signature_id'] == 2]
        check('evil.example after the block: a blocklist hit of list "ctl", dropped',
              len(bl) == 1 and bl[0]['policy']['list'] == 'ctl' and bl[0]['alert']['action'] == 'blocked')
        vi = [x for x in recs if x.get('event_type') == 'alert' and x['alert']['gid'] == 7
              and x['alert']['signature_id'] == 3 and x['dest_ip'] == '198.51.100.7']
        check('198.51.100.7 after the deny: a violation of work\'s rule', len(vi) == 1
              and vi[0]['policy'].get('rule') == '198.51.100.7')
        ov = json.load(open(os.path.join(d, 'overrides.json')))
        check('overrides.json keeps the two remaining changes', len(ov['entries']) == 2)

        # a restart keeps them: phase 2 alone
        cap = os.path.join(d, 'p2.pcap')
        with open(cap, 'wb') as f:
            f.write(pcap_bytes(phase(T0 + 5, 41000)))
        os.rename(os.path.join(d, 'eve.json'), os.path.join(d, 'eve1.json'))
        r = subprocess.run([vigil, '-r', cap, '-l', d, '--runmode', 'single'] + args,
                           capture_output=True, text=True)
        check('second run: exit 0', r.returncode == 0)
        recs = [json.loads(line) for line in open(os.path.join(d, 'eve.json'))]
        a2 = [x for x in recs if x.get('event_type') == 'alert' and x['alert']['signature_id'] == 1000001]
        check('after a restart the suppression holds (personal alerts, work does not)',
              [x['src_ip'] for x in a2] == [PERSONAL])
        vi = [x for x in recs if x.get('event_type') == 'alert' and x['alert']['gid'] == 7
              and x['alert']['signature_id'] == 3]
        check('after a restart the deny holds', len(vi) == 1)
        bad = os.path.join(d, 'overrides.json')
        with open(bad, 'w') as f:
            f.write('{"version": 1, "entries": [\n  {"action": "jump"}]}\n')
        r = subprocess.run([vigil, '-r', cap, '-l', d] + args, capture_output=True, text=True)
        check('a corrupt overrides.json stops the start, naming the file',
              r.returncode != 0 and 'overrides.json' in r.stderr)
    print(f'control: {ok} passed, {fails} failed')
    return 1 if fails else 0


if __name__ == '__main__':
    sys.exit(main())
