#!/usr/bin/env python3
"""The event stream fanned out: eve.json, a unix-stream consumer, syslog
and Redis, from one run over a generated capture with the demo rules.

- a listening unix socket receives every eve record, byte for byte, in
  order;
- syslog over UDP receives RFC 5424 messages for the alert and drop
  records only (outputs.syslog.types' default), each with the record as
  JSON; over TCP (octet-counted) in CEF, each alert a CEF line with its
  signature, severity and addresses;
- a real redis-server (RPUSH) holds every record, in order; LPUSH (the
  default) holds them newest first;
- with outputs.eve off, the consumers still get every record;
- with every consumer absent or not reading, the run finishes, eve.json is
  complete and what they missed is counted (output.*_dropped in the last
  stats record), never waited for.
   sinks.py VIGIL GEN_PCAP"""
import json, os, shutil, socket, subprocess, sys, tempfile, threading, time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from testlib import check, summary  # noqa: E402


def free_port(kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    s.bind(('127.0.0.1', 0))
    p = s.getsockname()[1]
    s.close()
    return p


class UnixConsumer(threading.Thread):
    def __init__(self, path, read=True):
        super().__init__(daemon=True)
        self.srv = socket.socket(socket.AF_UNIX)
        self.srv.bind(path)
        self.srv.listen(1)
        self.read, self.data, self.conns = read, b'', []

    def run(self):
        self.srv.settimeout(30)
        try:
            c, _ = self.srv.accept()
        except OSError:
            return
        self.conns.append(c)
        if not self.read:
            return
        c.settimeout(3)
        while True:
            try:
                b = c.recv(1 << 16)
            except OSError:
                break
            if not b:
                break
            self.data += b


class UdpSyslog(threading.Thread):
    def __init__(self, port):
        super().__init__(daemon=True)
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
        self.s.bind(('127.0.0.1', port))
        self.s.settimeout(3)
        self.msgs = []

    def run(self):
        while True:
            try:
                self.msgs.append(self.s.recv(1 << 17))
            except OSError:
                break


class TcpSyslog(threading.Thread):
    def __init__(self, port):
        super().__init__(daemon=True)
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(('127.0.0.1', port))
        self.srv.listen(1)
        self.data = b''

    def run(self):
        self.srv.settimeout(30)
        try:
            c, _ = self.srv.accept()
        except OSError:
            return
        c.settimeout(3)
        while True:
            try:
                b = c.recv(1 << 16)
            except OSError:
                break
            if not b:
                break
            self.data += b

    def frames(self):
        out, d = [], self.data
        while d:
            sp = d.index(b' ')
            n = int(d[:sp])
            out.append(d[sp + 1:sp + 1 + n])
            d = d[sp + 1 + n:]
        return out


def redis_cli(port, *args):
    return subprocess.run(['redis-cli', '-p', str(port), '--raw'] + list(args),
                          capture_output=True, text=True).stdout


def main():
    vigil, gen = sys.argv[1], sys.argv[2]
    src = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    rules = os.path.join(src, 'etc', 'rules', 'demo.rules')
    have_redis = shutil.which('redis-server') and shutil.which('redis-cli')
    with tempfile.TemporaryDirectory() as d:
        cap = os.path.join(d, 'in.pcap')
        subprocess.run([gen, cap, '20'], check=True, capture_output=True)
        base = [vigil, '-r', cap, '-S', rules, '--runmode', 'single', '--no-progress',
                '--simulate-ips']
        rport = free_port()
        redis = None
        if have_redis:
            redis = subprocess.Popen(['redis-server', '--port', str(rport), '--bind', '127.0.0.1',
                                      '--save', '', '--appendonly', 'no', '--dir', d],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            for _ in range(100):
                if redis_cli(rport, 'PING').strip() == 'PONG':
                    break
                time.sleep(0.05)
        try:
            # run A: unix stream, syslog UDP JSON, redis RPUSH
            a = os.path.join(d, 'a')
            os.mkdir(a)
            uc = UnixConsumer(os.path.join(a, 'consumer.sock'))
            uc.start()
            uport = free_port(socket.SOCK_DGRAM)
            us = UdpSyslog(uport)
            us.start()
            sets = ['--set', 'outputs.unix-stream.enabled=yes',
                    '--set', 'outputs.unix-stream.path=consumer.sock',
                    '--set', 'outputs.syslog.enabled=yes',
                    '--set', f'outputs.syslog.address=udp:127.0.0.1:{uport}']
            if redis:
                sets += ['--set', 'outputs.redis.enabled=yes', '--set', f'outputs.redis.port={rport}',
                         '--set', 'outputs.redis.mode=rpush', '--set', 'outputs.redis.key=eve-a']
            r = subprocess.run(base + ['-l', a] + sets, capture_output=True, text=True)
            check('run with every consumer: exit 0', r.returncode == 0)
            uc.join(10)
            us.join(10)
            eve = open(os.path.join(a, 'eve.json'), 'rb').read()
            lines = eve.splitlines()
            recs = [json.loads(x) for x in lines]
            types = {x['event_type'] for x in recs}
            check(f'eve.json: {len(lines)} records of {len(types)} types', len(lines) > 100)
            check('unix-stream: every record, byte for byte, in order', uc.data == eve)
            alerts = [x for x in recs if x['event_type'] in ('alert', 'drop')]
            check(f'syslog: one message per alert or drop record ({len(alerts)})',
                  len(us.msgs) == len(alerts) and len(alerts) > 0)
            m = us.msgs[0].decode() if us.msgs else ''
            hdr, _, body = m.partition(' - ')
            parts = hdr.split(' ')
            check('syslog: RFC 5424 header <PRI>1 TIMESTAMP HOST vigil PID MSGID',
                  len(parts) == 6 and parts[0].startswith('<') and parts[0].endswith('>1')
                  and parts[0][1:-2].isdigit() and parts[3] == 'vigil' and parts[5] in ('alert', 'drop')
                  and parts[1].endswith('Z'))
            check('syslog: PRI is local5 with the alert\'s severity',
                  int(parts[0][1:-2]) // 8 == 21 if parts[0][1:-2].isdigit() else False)
            check('syslog: the message is the eve record', body.encode() in lines)
            last = [x for x in recs if x['event_type'] == 'stats'][-1]['stats']['output']
            check('last stats record: output.queued and unix_sent count every record before it',
                  last.get('queued') == len(lines) - 1 and last.get('unix_sent') == len(lines) - 1)
            if redis:
                got = redis_cli(rport, 'LRANGE', 'eve-a', '0', '-1').splitlines()
                check('redis RPUSH: every record, in order', [g.encode() for g in got] == lines)
            else:
                print('  skip  redis (no redis-server)')

            # run B: syslog over TCP in CEF; redis LPUSH; eve.json off
            b = os.path.join(d, 'b')
            os.mkdir(b)
            tport = free_port()
            ts = TcpSyslog(tport)
            ts.start()
            uc2 = UnixConsumer(os.path.join(b, 'consumer.sock'))
            uc2.start()
            sets = ['--set', 'outputs.eve.enabled=no',
                    '--set', 'outputs.unix-stream.enabled=yes',
                    '--set', 'outputs.unix-stream.path=consumer.sock',
                    '--set', 'outputs.syslog.enabled=yes', '--set', 'outputs.syslog.format=cef',
                    '--set', 'outputs.syslog.types=alert',
                    '--set', f'outputs.syslog.address=tcp:127.0.0.1:{tport}']
            if redis:
                sets += ['--set', 'outputs.redis.enabled=yes', '--set', f'outputs.redis.port={rport}',
                         '--set', 'outputs.redis.key=eve-b', '--set', 'outputs.redis.types=alert']
            r = subprocess.run(base + ['-l', b] + sets, capture_output=True, text=True)
            check('run with eve.json off: exit 0', r.returncode == 0)
            ts.join(10)
            uc2.join(10)
            check('eve.json off: no file', not os.path.exists(os.path.join(b, 'eve.json')))
            blines = uc2.data.splitlines()
            strip = lambda ls: sorted(json.dumps({k: v for k, v in json.loads(x).items()
                                                  if k not in ('timestamp', 'stats', 'flow_id')}, sort_keys=True)
                                      for x in ls if b'"stats"' not in x)
            check('eve.json off: the consumer still gets every record', strip(blines) == strip(lines))
            frames = ts.frames()
            cef = [f.decode().partition(' - ')[2] for f in frames]
            nalert = sum(1 for x in recs if x['event_type'] == 'alert')
            check(f'syslog TCP: octet-counted frames, one per alert ({nalert})', len(frames) == nalert)
            first = [x for x in recs if x['event_type'] == 'alert'][0]
            c0 = cef[0] if cef else ''
            hp = c0.split('|')
            check('CEF header: CEF:0|vigil|vigil|VERSION|GID:SID|signature|severity',
                  len(hp) >= 8 and hp[0] == 'CEF:0' and hp[1] == 'vigil'
                  and hp[4] == f"{first['alert']['gid']}:{first['alert']['signature_id']}"
                  and hp[5] == first['alert']['signature'].replace('\\', '\\\\').replace('|', '\\|')
                  and hp[6] in ('10', '7', '4', '2'))
            check('CEF extension: src, dst, ports, proto, act',
                  f"src={first['src_ip']}" in c0 and f"dst={first['dest_ip']}" in c0
                  and f"dpt={first['dest_port']}" in c0 and 'act=' in c0 and 'rt=' in c0)
            if redis:
                got = redis_cli(rport, 'LRANGE', 'eve-b', '0', '-1').splitlines()
                check('redis LPUSH, types alert: every alert, newest first', len(got) == nalert
                      and json.loads(got[0])['event_type'] == 'alert'
                      and json.loads(got[-1]) == json.loads([x for x in blines if b'"alert"' in x][0]))

            # redis PUBLISH (channel mode): a subscriber gets every alert
            if redis:
                sub_out = open(os.path.join(d, 'sub.txt'), 'w')
                sub = subprocess.Popen(['redis-cli', '-p', str(rport), '--raw', 'SUBSCRIBE', 'eve-c'],
                                       stdout=sub_out, stderr=subprocess.DEVNULL)
                time.sleep(0.5)
                e = os.path.join(d, 'e')
                os.mkdir(e)
                r = subprocess.run(base + ['-l', e, '--set', 'outputs.redis.enabled=yes',
                                           '--set', f'outputs.redis.port={rport}',
                                           '--set', 'outputs.redis.mode=channel',
                                           '--set', 'outputs.redis.key=eve-c',
                                           '--set', 'outputs.redis.types=alert'],
                                   capture_output=True, text=True)
                time.sleep(0.5)
                sub.terminate()
                sub.wait()
                sub_out.close()
                got = [x for x in open(os.path.join(d, 'sub.txt')).read().splitlines() if x.startswith('{')]
                check(f'redis PUBLISH: the subscriber got every alert ({nalert})',
                      r.returncode == 0 and len(got) == nalert
                      and all(json.loads(x)['event_type'] == 'alert' for x in got))

            # run C: every consumer absent or not reading
            c = os.path.join(d, 'c')
            os.mkdir(c)
            stuck = UnixConsumer(os.path.join(c, 'consumer.sock'), read=False)
            stuck.start()
            dead = free_port()
            sets = ['--set', 'outputs.unix-stream.enabled=yes',
                    '--set', 'outputs.unix-stream.path=consumer.sock',
                    '--set', 'outputs.syslog.enabled=yes',
                    '--set', f'outputs.syslog.address=tcp:127.0.0.1:{dead}',
                    '--set', 'outputs.redis.enabled=yes', '--set', f'outputs.redis.port={dead}',
                    '--set', 'outputs.queue-size=64kb']
            big = os.path.join(d, 'big.pcap')
            subprocess.run([gen, big, '400'], check=True, capture_output=True)
            t0 = time.time()
            r = subprocess.run([vigil, '-r', big, '-S', rules, '--runmode', 'single', '--no-progress',
                                '-l', c] + sets, capture_output=True, text=True, timeout=300)
            el = time.time() - t0
            check('absent and stuck consumers: exit 0', r.returncode == 0)
            crec = [json.loads(x) for x in open(os.path.join(c, 'eve.json'), 'rb').read().splitlines()]
            st = [x for x in crec if x['event_type'] == 'stats'][-1]['stats']['output']
            n = len(crec)
            check(f'eve.json complete ({n} records) in {el:.1f} s', n > 1000)
            check('stuck unix consumer: records dropped and counted',
                  st.get('unix_dropped', 0) + st.get('queue_dropped', 0) > 0)
            check('absent syslog: every record it wanted counted as dropped',
                  st.get('syslog_dropped', 0) + st.get('syslog_sent', 0) > 0 and st.get('syslog_sent', 0) == 0)
            check('absent redis: counted as dropped, none sent',
                  st.get('redis_sent', 0) == 0 and st.get('redis_dropped', 0) + st.get('queue_dropped', 0) > 0)
            r = subprocess.run([vigil, '-r', cap, '-l', c, '--set', 'outputs.syslog.enabled=yes',
                                '--set', 'outputs.syslog.address=carrier-pigeon'],
                               capture_output=True, text=True)
            check('a bad syslog address: an error naming the key',
                  r.returncode != 0 and 'outputs.syslog.address' in r.stderr)
        finally:
            if redis:
                redis.terminate()
                redis.wait()
    return summary('sinks')


if __name__ == '__main__':
    sys.exit(main())
