#!/usr/bin/env python3
"""What the policy layer learns and keeps across restarts (policy.db):
new destinations, sessions at unexpected times, quiet hours and learn
mode, on synthetic timelines read offline (packet time drives them), in
two runs of vigil that share one state directory.

Run 1, eight days (Mon 13 to Mon 20 Nov 2023, UTC) of learning:
- work (10.137.0.10) is active 09:00-17:00 every day: a.example.com,
  b.example.com and cdn.other.net by the names its DNS answers gave, and
  198.51.100.7 with no name.  Nothing is reported while it learns.
- kid (10.137.0.20, quiet-hours 22-07) starts a session at 23:00 on the
  Tuesday: reported at once (quiet hours need no learning); its 12:00
  session is not.
- dev (10.137.0.30, learn: yes, with an allow rule it would break) reaches
  four names under github.com, pypi.org and 192.0.2.10 udp/123: recorded,
  not enforced.

Run 2, a new process, Tuesday 21 Nov (past both learning periods):
- work at 03:00 and 03:20 (never active then): one unexpected-time report;
- a.example.com again, c.example.com (a new name under a known domain),
  198.51.100.9 (a known /24): not reported;
- new.evil.org: reported as a new registrable domain (evil.org);
- 203.0.113.5 with no name: reported as a new network (203.0.113.0/24).

Then `vigil policy propose` writes dev's allowlist (*.github.com tcp/443,
pypi.org tcp/443, 192.0.2.10 udp/123, dev's address), which loads as an
identity file.

   learned.py VIGIL"""
import json, os, sqlite3, struct, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from early_warning import dnsq, tcp, udp, write_pcap  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from testlib import check, summary  # noqa: E402

MON = 1699833600  # Monday 13 November 2023 00:00 UTC
DAY, H = 86400, 3600
RESOLVER = '10.139.1.1'


def dns_answer(qid, name, addr, ttl=600):
    q = dnsq(qid, name)
    r = q[:2] + struct.pack('!HHHHH', 0x8180, 1, 1, 0, 0) + q[12:]
    return r + struct.pack('!HHHIH', 0xc00c, 1, 1, ttl, 4) + bytes(int(x) for x in addr.split('.'))


class Timeline:
    def __init__(self):
        self.pkts, self.port = [], 40000

    def resolve(self, t, vm, name, addr):
        self.port += 1
        self.pkts.append((t, udp(vm, RESOLVER, self.port, 53, dnsq(self.port & 0xffff, name))))
        self.pkts.append((t + 0.01, udp(RESOLVER, vm, 53, self.port,
                                        dns_answer(self.port & 0xffff, name, addr))))

    def connect(self, t, vm, addr, dport=443, name=None):
        if name:
            self.resolve(t, vm, name, addr)
            t += 0.05
        self.port += 1
        sp = self.port
        self.pkts.append((t, tcp(vm, addr, sp, dport, 1000, 0, 0x02)))
        self.pkts.append((t + 0.001, tcp(addr, vm, dport, sp, 5000, 1001, 0x12)))
        self.pkts.append((t + 0.002, tcp(vm, addr, sp, dport, 1001, 5001, 0x10)))
        self.pkts.append((t + 0.003, tcp(vm, addr, sp, dport, 1001, 5001, 0x11)))
        self.pkts.append((t + 0.004, tcp(addr, vm, dport, sp, 5001, 1002, 0x11)))
        self.pkts.append((t + 0.005, tcp(vm, addr, sp, dport, 1002, 5002, 0x10)))

    def write(self, path):
        self.pkts.sort(key=lambda x: x[0])
        write_pcap(path, self.pkts)


VMS = """work: 10.137.0.10
kid:
  addresses: 10.137.0.20
  quiet-hours: ["22-07"]
dev:
  addresses: [10.137.0.30]
  learn: yes
  allow: ["*.github.com tcp/443"]
"""


def run(vigil, d, name, tl, vms):
    cap = os.path.join(d, name + '.pcap')
    tl.write(cap)
    out = os.path.join(d, name)
    os.mkdir(out)
    r = subprocess.run([vigil, '-r', cap, '-l', out, '--runmode', 'single', '--no-progress',
                        '--set', 'identity.file=' + vms,
                        '--set', 'control.state-dir=' + os.path.join(d, 'state'),
                        '--set', 'policy.resolvers=' + RESOLVER,
                        '--set', 'policy.idle-session=0',
                        '--set', 'policy.unexpected-hours-learn=604800'],
                       capture_output=True, text=True, env=dict(os.environ, TZ='UTC'))
    if r.returncode:
        print(r.stderr)
        sys.exit(1)
    return [json.loads(l) for l in open(os.path.join(out, 'eve.json'))]


def pol(recs, sid):
    return [r for r in recs if r.get('event_type') == 'alert' and r['alert']['gid'] == 7
            and r['alert']['signature_id'] == sid]


def crash(vigil, d, vms):
    """vigil reads a capture from a FIFO (it keeps running), learns a new
    VM's destinations, and is killed (SIGKILL) 2.5 s later: what it
    learned is in the file."""
    import signal, time
    tl = Timeline()
    b = MON + 20 * DAY
    for i in range(5):
        tl.connect(b + i * 60, '10.137.0.40', f'198.18.{i}.1', name=f'site{i}.crash.example')
    cap = os.path.join(d, 'crash.pcap')
    tl.write(cap)
    fifo = os.path.join(d, 'crash.fifo')
    os.mkfifo(fifo)
    out = os.path.join(d, 'crash')
    os.mkdir(out)
    state = os.path.join(d, 'crash-state')
    p = subprocess.Popen([vigil, '-r', fifo, '-l', out, '--runmode', 'single', '--no-progress',
                          '--set', 'identity.vms.crashvm=10.137.0.40',
                          '--set', 'control.state-dir=' + state],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                         env=dict(os.environ, TZ='UTC'))
    w = open(fifo, 'wb')
    w.write(open(cap, 'rb').read())
    w.flush()
    time.sleep(2.5)
    p.send_signal(signal.SIGKILL)
    p.wait()
    w.close()
    con = sqlite3.connect(os.path.join(state, 'policy.db'))
    n = con.execute("SELECT COUNT(*) FROM destinations WHERE vm = 'crashvm' AND kind = 1").fetchone()[0]
    v = con.execute("SELECT COUNT(*) FROM vms WHERE vm = 'crashvm'").fetchone()[0]
    con.close()
    check(f'after SIGKILL 2.5 s in, the file holds what was learned (5 names: {n}, the VM: {v})',
          n == 5 and v == 1)


def main():
    vigil = sys.argv[1]
    with tempfile.TemporaryDirectory() as d:
        vms = os.path.join(d, 'vms.yaml')
        open(vms, 'w').write(VMS)
        # ---- run 1: learning ----
        tl = Timeline()
        for day in range(8):
            b = MON + day * DAY
            tl.connect(b + 9 * H, '10.137.0.10', '93.184.216.34', name='a.example.com')
            tl.connect(b + 10 * H, '10.137.0.10', '93.184.216.35', name='b.example.com')
            tl.connect(b + 11 * H, '10.137.0.10', '151.101.1.10', name='cdn.other.net')
            tl.connect(b + 12 * H, '10.137.0.10', '198.51.100.7')
            for h in range(13, 17):
                tl.connect(b + h * H, '10.137.0.10', '93.184.216.34', name='a.example.com')
        tl.connect(MON + DAY + 12 * H, '10.137.0.20', '93.184.216.34', name='a.example.com')
        tl.connect(MON + DAY + 23 * H, '10.137.0.20', '93.184.216.34', name='a.example.com')
        tl.connect(MON + DAY + 23 * H + 600, '10.137.0.20', '93.184.216.34', name='a.example.com')
        for i, n in enumerate(['api.github.com', 'raw.github.com', 'gist.github.com',
                               'codeload.github.com', 'pypi.org']):
            tl.connect(MON + 2 * DAY + 14 * H + i * 60, '10.137.0.30', f'140.82.112.{i + 1}', name=n)
            tl.connect(MON + 3 * DAY + 14 * H + i * 60, '10.137.0.30', f'140.82.112.{i + 1}', name=n)
        tl.port += 1
        tl.pkts.append((MON + 2 * DAY + 15 * H, udp('10.137.0.30', '192.0.2.10', tl.port, 123, b'\x23' + b'\0' * 47)))
        recs = run(vigil, d, 'run1', tl, vms)
        check('run 1: no new destination while learning', len(pol(recs, 70)) == 0)
        odd = pol(recs, 71)
        check(f'run 1: one quiet-hours report, for kid at Tue 23:00 ({len(odd)})',
              len(odd) == 1 and odd[0]['policy']['vm'] == 'kid'
              and odd[0]['policy']['reason'] == 'quiet hours'
              and odd[0]['policy']['hour_of_week'] == 'Tue 23:00'
              and odd[0]['src_vm'] == 'kid')
        check('run 1: learn mode does not enforce dev\'s allowlist (no violation)',
              len(pol(recs, 3)) == 0)
        db = os.path.join(d, 'state', 'policy.db')
        check('the state file exists after run 1', os.path.exists(db))
        con = sqlite3.connect(db)
        dests = {(r[0], r[1], r[2]) for r in con.execute('SELECT vm, kind, dest FROM destinations')}
        check('destinations kept: work reached example.com (registrable) and 198.51.100.0/24',
              ('work', 2, 'example.com') in dests and ('work', 4, '198.51.100.0/24') in dests)
        hours = dict(((r[0], r[1]), r[2]) for r in con.execute('SELECT vm, how, weeks FROM hours'))
        # Monday 09:00 was active in two weeks (13 and 20 Nov), Tuesday 09:00 in one
        check(f'hours kept: work Mon 09:00 in 2 weeks, Tue 09:00 in 1 ({hours.get(("work", 33))}, '
              f'{hours.get(("work", 57))})',
              hours.get(('work', 24 + 9)) == 2 and hours.get(('work', 48 + 9)) == 1)
        learned = list(con.execute('SELECT name, address, proto, port, flows FROM learned WHERE vm = "dev"'))
        check(f'learn mode: dev\'s 6 destinations recorded, with flow counts ({len(learned)})',
              len(learned) == 6 and ('api.github.com', '', 6, 443, 2) in learned
              and ('', '192.0.2.10', 17, 123, 1) in learned)
        check('learn mode only for dev',
              con.execute('SELECT COUNT(*) FROM learned WHERE vm != "dev"').fetchone()[0] == 0)
        con.close()

        # ---- run 2: a restart, past the learning ----
        tl = Timeline()
        b = MON + 8 * DAY  # Tuesday 21 November
        tl.connect(b + 3 * H, '10.137.0.10', '93.184.216.34', name='a.example.com')
        tl.connect(b + 3 * H + 1200, '10.137.0.10', '93.184.216.34', name='a.example.com')
        tl.connect(b + 10 * H, '10.137.0.10', '93.184.216.34', name='a.example.com')
        tl.connect(b + 10 * H + 60, '10.137.0.10', '93.184.216.36', name='c.example.com')
        tl.connect(b + 10 * H + 1800, '10.137.0.10', '185.199.108.1', name='new.evil.org')
        tl.connect(b + 11 * H, '10.137.0.10', '198.51.100.9')
        tl.connect(b + 11 * H + 1800, '10.137.0.10', '203.0.113.5')
        recs = run(vigil, d, 'run2', tl, vms)
        new = pol(recs, 70)
        got = sorted((r['policy']['kind'], r['policy']['destination']) for r in new)
        check(f'run 2: new destinations evil.org (registrable) and 203.0.113.0/24 (network): {got}',
              got == [('network', '203.0.113.0/24'), ('registrable_domain', 'evil.org')])
        ev = [r for r in new if r['policy']['kind'] == 'registrable_domain']
        check('the report names the VM, the name, the address and what it already knew',
              ev and ev[0]['policy']['vm'] == 'work' and ev[0]['policy']['name'] == 'new.evil.org'
              and ev[0]['policy']['address'] == '185.199.108.1' and ev[0]['policy']['known'] == 2
              and ev[0]['policy']['learned_days'] == 8 and ev[0]['dest_ip'] == '185.199.108.1'
              and ev[0]['src_vm'] == 'work')
        odd = pol(recs, 71)
        check(f'run 2: one unexpected-time report for work at Tue 03:00 ({len(odd)})',
              len(odd) == 1 and odd[0]['policy']['hour_of_week'] == 'Tue 03:00'
              and odd[0]['policy']['weeks_active'] == 0
              and odd[0]['policy']['reason'] == 'no session in this hour while learning')

        # ---- the proposal ----
        r = subprocess.run([vigil, 'policy', 'propose', '--set', 'identity.file=' + vms,
                            '--set', 'control.state-dir=' + os.path.join(d, 'state'), '-l', d],
                           capture_output=True, text=True)
        print(r.stdout)
        out = r.stdout
        check('propose: exit 0', r.returncode == 0)
        check('propose: dev with its address and policy: deny',
              'dev:\n  addresses: [10.137.0.30]\n  policy: deny\n  allow:\n' in out)
        check('propose: four github.com names become "*.github.com tcp/443"',
              '"*.github.com tcp/443"' in out and 'api.github.com' not in out)
        check('propose: "pypi.org tcp/443" and "192.0.2.10 udp/123"',
              '"pypi.org tcp/443"' in out and '"192.0.2.10 udp/123"' in out)
        check('propose: work is not proposed (not in learn mode)', '\nwork:' not in out)
        prop = os.path.join(d, 'proposed.yaml')
        open(prop, 'w').write(out)
        e = os.path.join(d, 'empty.pcap')
        Timeline().write(e)
        os.mkdir(os.path.join(d, 'run3'))
        r = subprocess.run([vigil, '-r', e, '-l', os.path.join(d, 'run3'), '--no-progress',
                            '--set', 'identity.file=' + prop], capture_output=True, text=True)
        check('the proposal loads as an identity file', r.returncode == 0)
        r = subprocess.run([vigil, 'policy', 'propose', '--state', db, '--vm', 'nobody'],
                           capture_output=True, text=True)
        check('propose --vm of a VM with nothing recorded: an error', r.returncode == 1 and 'nobody' in r.stderr)
        # ---- a crash loses at most the last second ----
        crash(vigil, d, vms)
    return summary('learned')


if __name__ == '__main__':
    sys.exit(main())
