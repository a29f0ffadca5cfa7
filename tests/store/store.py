#!/usr/bin/env python3
"""The event store (`vigil store`): eve.json into SQLite without loss or
duplicates across restarts and rotation, retention by size and age, and
the fields and full-text index the dashboard queries.

- eve.json from a run over a generated capture goes in whole: as many rows
  as lines, each row's record the line;
- more lines, a rotation (eve.json -> eve.json.1, a new eve.json) and more
  lines while it is stopped, then a restart: every line once;
- a follower killed with SIGKILL in the middle of a big file, then
  restarted: every line once (the position is saved in the same
  transaction as the rows);
- lines that are not records (garbage, a JSON array, no timestamp) are
  skipped and counted, the rest stored;
- store.max-size holds: the database and its WAL stay under the cap and
  the newest records are the ones kept; store.max-age removes old ones;
- the columns: alerts' signature ids, VM names, HTTP URLs and DNS names,
  found through the full-text index.
   store.py VIGIL GEN_PCAP"""
import collections, json, os, signal, sqlite3, subprocess, sys, tempfile, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from testlib import check, summary  # noqa: E402


def rows(db):
    c = sqlite3.connect(db)
    r = [x[0] for x in c.execute('SELECT record FROM events ORDER BY id')]
    c.close()
    return r


def main():
    vigil, gen = sys.argv[1], sys.argv[2]
    src = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    rules = os.path.join(src, 'etc', 'rules', 'demo.rules')
    with tempfile.TemporaryDirectory() as d:
        cap = os.path.join(d, 'in.pcap')
        subprocess.run([gen, cap, '30'], check=True, capture_output=True)
        run = os.path.join(d, 'run')
        os.mkdir(run)
        vms = os.path.join(d, 'vms.yaml')
        with open(vms, 'w') as f:
            f.write('work: 10.0.0.0/8\n')
        subprocess.run([vigil, '-r', cap, '-S', rules, '-l', run, '--runmode', 'single', '--no-progress',
                        '--set', 'identity.file=' + vms], check=True, capture_output=True)
        lines = open(os.path.join(run, 'eve.json')).read().splitlines()
        eve = os.path.join(d, 'eve.json')
        db = os.path.join(d, 'store.db')
        store = [vigil, 'store', '--eve', eve, '--db', db, '--set', 'store.max-age=0']
        third = len(lines) // 3
        with open(eve, 'w') as f:
            f.write('\n'.join(lines[:third]) + '\n')
        r = subprocess.run(store + ['--once'], capture_output=True, text=True)
        check('vigil store --once: exit 0', r.returncode == 0)
        check(f'every line stored once ({third})', rows(db) == lines[:third])
        # more lines, a rotation and more lines while stopped
        with open(eve, 'a') as f:
            f.write('\n'.join(lines[third:2 * third]) + '\n')
        os.rename(eve, eve + '.1')
        with open(eve, 'w') as f:
            f.write('\n'.join(lines[2 * third:]) + '\n')
        r = subprocess.run(store + ['--once'], capture_output=True, text=True)
        got = rows(db)
        check(f'after a rotation while stopped: every line once ({len(lines)})', got == lines)
        # a rotation while it runs
        fol = subprocess.Popen(store, stderr=subprocess.DEVNULL)
        time.sleep(0.5)
        os.rename(eve, eve + '.2')
        with open(eve, 'w') as f:
            f.write('\n'.join(lines[:50]) + '\n')
        time.sleep(1.5)
        fol.send_signal(signal.SIGTERM)
        fol.wait(timeout=30)
        check('a rotation while running: the new file\'s lines once', rows(db) == lines + lines[:50])
        # killed in the middle of a big file
        big = os.path.join(d, 'big')
        os.mkdir(big)
        bigcap = os.path.join(d, 'big.pcap')
        subprocess.run([gen, bigcap, '600'], check=True, capture_output=True)
        subprocess.run([vigil, '-r', bigcap, '-S', rules, '-l', big, '--runmode', 'single',
                        '--no-progress'], check=True, capture_output=True)
        beve = os.path.join(big, 'eve.json')
        blines = open(beve).read().splitlines()
        bdb = os.path.join(d, 'big.db')
        bstore = [vigil, 'store', '--eve', beve, '--db', bdb, '--set', 'store.max-age=0',
                  '--set', 'store.batch=500']
        fol = subprocess.Popen(bstore, stderr=subprocess.DEVNULL)
        for _ in range(200):
            time.sleep(0.02)
            if os.path.exists(bdb):
                try:
                    c = sqlite3.connect(bdb, timeout=1)
                    n = c.execute('SELECT count(*) FROM events').fetchone()[0]
                    c.close()
                except sqlite3.Error:
                    n = 0
                if n > 2000:
                    break
        fol.send_signal(signal.SIGKILL)
        fol.wait()
        c = sqlite3.connect(bdb)
        mid = c.execute('SELECT count(*) FROM events').fetchone()[0]
        c.close()
        r = subprocess.run(bstore + ['--once'], capture_output=True, text=True)
        got = rows(bdb)
        check(f'killed at {mid} of {len(blines)} and restarted: every line once',
              0 < mid < len(blines) and got == blines)
        # lines that are not records
        bad = os.path.join(d, 'bad.json')
        with open(bad, 'w') as f:
            f.write(lines[0] + '\nnot json at all\n[1, 2, 3]\n{"event_type":"x"}\n'
                    '{"timestamp":"2026-11-30T00:00:00.000000+0000","event_type":"alert",\n' +
                    lines[1] + '\n'
                    # an alert without its alert object once stopped the store
                    '{"timestamp":"2026-11-30T00:00:00.000000+0000","event_type":"alert","alert":7}\n' +
                    lines[2] + '\n')
        bdb2 = os.path.join(d, 'bad.db')
        r = subprocess.run([vigil, 'store', '--eve', bad, '--db', bdb2, '--once',
                            '--set', 'store.max-age=0'], capture_output=True, text=True)
        check('lines that are not records: skipped and counted, the rest stored',
              r.returncode == 0 and rows(bdb2)[:2] == lines[:2] and rows(bdb2)[3:] == lines[2:3]
              and len(rows(bdb2)) == 4 and '4 skipped' in r.stderr)
        # columns and search
        c = sqlite3.connect(db)
        alerts = [json.loads(x) for x in lines if '"event_type":"alert"' in x]
        sids = collections.Counter(a['alert']['signature_id'] for a in alerts)
        q = dict(c.execute("SELECT sid, count(*) FROM events WHERE id <= ? AND type = 'alert' "
                           'GROUP BY sid', (len(lines),)))
        check('alerts by signature id: the counts of eve.json', q == dict(sids))
        nvm = c.execute("SELECT count(*) FROM events WHERE id <= ? AND (src_vm = 'work' OR dest_vm = 'work')",
                        (len(lines),)).fetchone()[0]
        check('rows by VM: those naming "work"', nvm == sum(1 for x in lines if '"work"' in x) and nvm > 0)
        # host records (hids, fim) carry their VM as "vm" and a name
        host = os.path.join(d, 'host.json')
        with open(host, 'w') as f:
            f.write('{"timestamp":"2026-11-30T14:24:18.667600+0000","event_type":"hids","vm":"personal",'
                    '"hids":{"rule":{"level":5,"description":"sshd: authentication failed.","id":"5760"}}}\n')
            f.write('{"timestamp":"2026-11-30T14:24:19.000000+0000","event_type":"fim","vm":"vault",'
                    '"fim":{"event":"changed","path":"/etc/passwd"}}\n')
        hdb = os.path.join(d, 'host.db')
        subprocess.run([vigil, 'store', '--eve', host, '--db', hdb, '--once', '--set', 'store.max-age=0'],
                       capture_output=True)
        hc = sqlite3.connect(hdb)
        got = hc.execute("SELECT type, src_vm, name FROM events ORDER BY id").fetchall()
        check('host records: their VM where VM pages look, the rule or path as the name: %s' % got,
              got == [('hids', 'personal', 'sshd: authentication failed.'), ('fim', 'vault', '/etc/passwd')])
        # ... and they are inbox alerts: grouped by rule (or file event) and VM, with a severity
        with open(host, 'a') as f:
            for t, lvl in (('20', 5), ('21', 5), ('22', 12)):
                f.write('{"timestamp":"2026-11-30T14:24:%s.000000+0000","event_type":"hids","vm":"personal",'
                        '"hids":{"rule":{"level":%d,"description":"%s","id":"%s"}}}\n'
                        % (t, lvl, 'sshd: authentication failed.' if lvl == 5 else 'multiple failures',
                           '5760' if lvl == 5 else '5720'))
            f.write('{"timestamp":"2026-11-30T14:24:23.000000+0000","event_type":"fim","vm":"vault",'
                    '"fim":{"event":"honeyfile_access","path":"/home/user/passwords.kdbx"}}\n')
            f.write('{"timestamp":"2026-11-30T14:24:24.000000+0000","event_type":"fim","vm":"vault",'
                    '"fim":{"event":"scan_summary","entries":10}}\n')
        subprocess.run([vigil, 'store', '--eve', host, '--db', hdb, '--once', '--set', 'store.max-age=0'],
                       capture_output=True)
        got = hc.execute("SELECT gid, sid, vm, signature, severity, count FROM alert_groups "
                         "ORDER BY gid, sid").fetchall()
        check('host findings in the inbox, by rule and VM (a scan summary is none): %s' % got,
              got == [(5, 5720, 'personal', 'multiple failures', 1, 1),
                      (5, 5760, 'personal', 'sshd: authentication failed.', 3, 3),
                      (6, 1, 'vault', 'honeyfile opened', 1, 1),
                      (6, 3, 'vault', 'file changed', 3, 1)])
        got = hc.execute("SELECT count(*) FROM events WHERE type = 'hids' AND sid = 5760").fetchone()[0]
        check('... and a group\'s events are found by its sid (the inbox\'s link)', got == 3)
        hc.close()
        # http records and the fileinfo records of their files both carry the URL
        http = [json.loads(x) for x in lines if '"event_type":"http"' in x or '"event_type":"fileinfo"' in x]
        url = http[0]['http']['url'] if http else '/'
        want = sum(1 for h in http if h.get('http', {}).get('url') == url)
        hits = c.execute("SELECT count(*) FROM events_fts JOIN events ON events.id = events_fts.rowid "
                         "WHERE events_fts MATCH ? AND events.url = ? AND events.id <= ?",
                         ('url:"%s"' % url.replace('"', ''), url, len(lines))).fetchone()[0]
        check(f'full-text search finds the URL {url} ({want} http and fileinfo records)', hits == want and want > 0)
        dns = [json.loads(x) for x in lines if '"event_type":"dns"' in x]
        name = dns[0]['dns'].get('rrname') or dns[0]['dns']['queries'][0]['rrname']
        hits = c.execute("SELECT count(*) FROM events_fts WHERE events_fts MATCH ?",
                         ('name:"%s"' % name,)).fetchone()[0]
        check(f'full-text search finds the DNS name {name}', hits > 0)
        c.close()
        # retention by size
        sdb = os.path.join(d, 'small.db')
        r = subprocess.run([vigil, 'store', '--eve', beve, '--db', sdb, '--once',
                            '--set', 'store.max-age=0', '--set', 'store.max-size=4mb'],
                           capture_output=True, text=True)
        size = os.path.getsize(sdb) + (os.path.getsize(sdb + '-wal') if os.path.exists(sdb + '-wal') else 0)
        got = rows(sdb)
        check(f'store.max-size 4 MB: {size / 1e6:.2f} MB on disk with {len(got)} records',
              r.returncode == 0 and size <= 4 * 1024 * 1024 and 0 < len(got) < len(blines))
        check('... the newest kept', got == blines[len(blines) - len(got):])
        # retention by age: the capture's records are years old
        r = subprocess.run([vigil, 'store', '--eve', beve, '--db', sdb, '--once',
                            '--set', 'store.max-age=86400'], capture_output=True, text=True)
        left = [json.loads(x) for x in rows(sdb)]
        check('store.max-age 1 day: the old records are gone (only the run\'s last stats record, '
              'stamped now, stays)', r.returncode == 0 and [x['event_type'] for x in left] == ['stats'])
        st = os.stat(db)
        check('the database is not readable by others (0640)', st.st_mode & 0o777 == 0o640)
    return summary('store')


if __name__ == '__main__':
    sys.exit(main())
