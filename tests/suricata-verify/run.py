#!/usr/bin/python3
"""Runs suricata-verify cases (../shared/corpora/suricata-verify/tests)
against vigil.  For each test.yaml: decide whether it is in vigil's reach
(skip with the reason if not), run vigil on its pcap with its rules and the
arguments vigil understands, then evaluate its checks against eve.json /
fast.log: `filter` (counting matching records), `shell` (run in the output
directory: a non-zero exit fails it, as in suricata-verify) and `stats`
(the last stats record).  A case's `setup` scripts run in the output
directory first; its `skip: uid` skips it for that user.

Prints passed / failed / skipped by category, the failures, and the skip
reasons.  With --baseline FILE, exits 1 if a test listed there (known to
pass) fails: regressions fail CI, new passes are reported.
Exit 77 when the corpus is absent."""
import argparse, collections, json, os, re, shutil, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from evematch import lookup, matches as _matches  # noqa: E402


def matches(rec, match):
    return _matches(rec, match, loose=True)


try:
    import yaml
except ImportError:
    print('python3-yaml missing: skipped')
    sys.exit(77)

EVE_TYPES = {'fileinfo', 'alert', 'flow', 'anomaly', 'stats', 'http', 'dns', 'tls', 'ssh', 'quic', 'drop', 'smtp', 'ftp', 'ftp_data', 'packet', 'sip', 'ldap', 'tftp', 'snmp', 'smb', 'dcerpc', 'pop3', 'mqtt', 'krb5', 'rfb',
             'ike', 'nfs', 'websocket', 'mdns', 'bittorrent_dht',
             'engine', 'frame'}
# the files a filter may count records of: eve.json, and Suricata's engine
# log (suricata.json), which is vigil's logging.outputs.file in json
LOG_FILES = ('eve.json', 'suricata.json')
# the file store's metadata files (file-store.write-fileinfo: yes), one
# fileinfo record each: DIR/xx/SHA256.SECS.ID.json
FILESTORE_META = re.compile(r'^filestore/[0-9a-f]{2}/[0-9a-f]{64}\.\d+\.\d+\.json$')
APP_PREFIXES = ('traffic', 'in_iface', 'packet_info',
                'dhcp', 'rdp',
                'modbus', 'dnp3', 'pgsql',
                'metadata', 'bittorrent', 'enip',
                'arp', 'imap', 'verdict')
SET_KEYS = {'stream.midstream': 'stream.midstream',
            # vigil always computes JA4: nothing to set
            'app-layer.protocols.tls.ja4-fingerprints': None,
            'decoder.vxlan.enabled': 'decoder.vxlan.enabled',
            # how Suricata builds its prefilter and tables: no effect on
            # what matches (vigil's own choice is tested against its
            # naive reference in tests/detect/differential.py)
            'detect.prefilter.default': None, 'mpm-algo': None,
            'defrag.hash-size': None, 'ippair.hash-size': None,
            'flow.hash-size': 'flow.hash-size',
            'stream.reassembly.depth': 'stream.reassembly.depth',
            'stream.inline': 'stream.inline',
            'stream.midstream-policy': 'stream.midstream-policy',
            # the exception policies and their master switch
            'exception-policy': 'exception-policy',
            'stream.memcap-policy': 'stream.memcap-policy',
            'stream.reassembly.memcap-policy': 'stream.reassembly.memcap-policy',
            'flow.memcap-policy': 'flow.memcap-policy',
            'defrag.memcap-policy': 'defrag.memcap-policy',
            'app-layer.error-policy': 'app-layer.error-policy',
            'stream.bypass': 'stream.bypass',
            'app-layer.protocols.tls.encryption-handling': 'app-layer.protocols.tls.encryption-handling',
            'app-layer.protocols.ssh.encryption-handling': 'app-layer.protocols.ssh.encryption-handling',
            'app-layer.protocols.ftp.max-tx': 'app-layer.protocols.ftp.max-tx',
            'app-layer.protocols.ftp.memcap': 'app-layer.protocols.ftp.memcap',
            'app-layer.protocols.ldap.max-tx': 'app-layer.protocols.ldap.max-tx',
            # what Suricata's stream engine does with bad checksums: vigil's
            # checksum-validation (auto) decides for decoding and the
            # stream; the checksum keywords read the decoder's result
            'stream.checksum-validation': None,
            # vigil always parses SIP (UDP and TCP)
            'app-layer.protocols.sip.enabled': None,
            'app-layer.protocols.nfs.enabled': None,
            # vigil's stats always count every decoder event (decoder.event.*)
            'stats.decoder-events': None,
            'app-layer.protocols.http.libhtp.default-config.decompression-time-limit':
                'app-layer.protocols.http.decompression-time-limit',
            # the single-pattern matcher Suricata uses: no effect on matches
            'spm-algo': None,
            # vigil's datasets (and datajson) are always on
            'datasets.enabled': None,
            'runmode': 'runmode',
            # where relative rule and config files (classification,
            # reference, datasets) are read from, in vigil as in Suricata
            'default-rule-path': 'default-rule-path',
            'decoder.recursion-level.use-for-tracking': 'decoder.recursion-level.use-for-tracking',
            'app-layer.protocols.http.libhtp.default-config.response-body-decompress-layer-limit':
                'app-layer.protocols.http.response-body-decompress-layer-limit',
            'detect.guess-applayer-tx': 'detect.guess-applayer-tx',
            'detect.stream-tx-log-limit': 'detect.stream-tx-log-limit'}
# fileinfo fields vigil does not write yet (hashes, libmagic, file-store)
FILEINFO_MISSING = (
                    'fileinfo.file_id', 'fileinfo.sid', 'fileinfo.storing')


def category(name):
    return re.split(r'[-_]', name)[0]


def filter_keys(f):
    return list(f.get('match', {}).keys()) + [str(v) for k, v in f.get('match', {}).items()
                                              if k in ('has-key', 'not-has-key')]


# the event types of an eve-log output's types, where the names differ
EVE_LOG_TYPES = {'files': ['fileinfo'], 'http2': ['http'], 'doh2': ['dns'],
                 'alert': ['alert', 'packet'], 'ftp': ['ftp', 'ftp_data']}

# Suricata's IP reputation keys, as vigil names them
REP_KEYS = ('reputation-categories-file', 'reputation-files', 'default-reputation-path')


def rep_command(tdir, t):
    """A case run by its own command line that sets up IP reputation:
    (pcap, rules, vigil --set arguments), or None.  The command runs in
    the case's folder; its --set reputation keys and the case's
    suricata.yaml's are passed on (relative files resolve against
    default-reputation-path, else the configuration's folder, the case's)."""
    cmd = t.get('command')
    if not isinstance(cmd, str) or 'reputation' not in cmd:
        return None
    import shlex
    tdir = os.path.abspath(tdir)  # (the paths below must not depend on the caller's)
    text = cmd.replace('\\\n', ' ').replace('${TEST_DIR}', tdir).replace('$TEST_DIR', tdir)
    try:
        toks = shlex.split(text)
    except ValueError:
        return None
    pcap = rules = None
    sets = {}
    sy = os.path.join(tdir, 'suricata.yaml')
    if os.path.exists(sy):
        try:
            sc = yaml.safe_load(open(sy, errors='replace')) or {}
        except yaml.YAMLError:
            sc = {}
        for k in REP_KEYS:
            v = sc.get(k) if isinstance(sc, dict) else None
            if isinstance(v, list):
                sets[k] = ','.join(str(x) for x in v)
            elif v is not None:
                sets[k] = str(v)
    for i, tok in enumerate(toks[:-1]):
        nxt = toks[i + 1]
        if tok == '-r':
            pcap = os.path.normpath(os.path.join(tdir, nxt))
        elif tok == '-S':
            rules = os.path.normpath(os.path.join(tdir, nxt))
        elif tok == '--set' and '=' in nxt:
            k, v = nxt.split('=', 1)
            k = re.sub(r'\.\d+$', '', k)  # reputation-files.0: one list entry
            if k in REP_KEYS:
                sets[k] = v
    if not pcap:
        return None
    args = []
    for k, v in sets.items():
        args += ['--set', k + '=' + v]
    # relative names without default-reputation-path: the configuration's
    # folder, which is the case's
    args += ['--set', 'config-dir=' + tdir]
    return pcap, rules, args


def eve_log_files(tdir):
    """The file names of the eve-log outputs of the case's suricata.yaml."""
    sy = os.path.join(tdir, 'suricata.yaml')
    try:
        sc = yaml.safe_load(open(sy, errors='replace')) if os.path.exists(sy) else {}
    except yaml.YAMLError:
        return set()
    outs = (sc.get('outputs') or []) if isinstance(sc, dict) else []
    return {str(o['eve-log'].get('filename', 'eve.json')) for o in outs
            if isinstance(o, dict) and isinstance(o.get('eve-log'), dict)}


def plan(tdir, t, vigil):
    """Returns (args, reason-to-skip)."""
    # a case suricata-verify skips for the user running it (one that needs
    # a permission root has anyway)
    for sk in t.get('skip') or []:
        if isinstance(sk, dict) and sk.get('uid') is not None and os.getuid() == sk['uid']:
            return None, 'skipped for uid %d (test.yaml skip)' % sk['uid']
    req = t.get('requires') or {}
    if isinstance(req, dict):
        # build features vigil has: JA3 and JA4 are always computed
        # QA_SIMULATION: the --simulate-* options below (vigil's simulate.*)
        feats = [f for f in (req.get('features') or [])
                 if f not in ('HAVE_JA3', 'HAVE_JA4', 'QA_SIMULATION')]
        if feats:
            return None, 'requires features'
        for k in ('files', 'script', 'lambda', 'env'):
            if req.get(k):
                return None, f'requires {k}'
        if req.get('pcap') is False:
            return None, 'no pcap run'
        lt = req.get('lt-version')
        if lt is not None and str(lt).split('.')[0].isdigit() and int(str(lt).split('.')[0]) <= 8:
            return None, 'test of an older Suricata version'
    checks = t.get('checks') or []
    if not checks:
        return None, 'no checks'
    for c in checks:
        if not isinstance(c, dict):
            return None, 'unknown check'
        if 'file-compare' in c:
            # the output file byte for byte against the case's expected
            # copy; this corpus ships without the cases' expected/ folders
            fc = c['file-compare'] or {}
            exp = os.path.join(tdir, str(fc.get('expected', '')))
            if not fc.get('expected') or not os.path.isfile(exp):
                return None, 'file-compare: %s not in the corpus' % fc.get('expected')
        if 'filter' in c and not for_this_version(c['filter']):
            continue
        if 'filter' in c:
            fn = c['filter'].get('filename', 'eve.json')
            if fn not in LOG_FILES and not FILESTORE_META.match(fn) and fn not in eve_log_files(tdir):
                return None, f'file {fn}'
            m = c['filter'].get('match', {}) or {}
            et = m.get('event_type')
            if et is not None and et not in EVE_TYPES:
                return None, f'eve type {et}'
            ap = m.get('app_proto')
            if ap is not None and ap not in ('http', 'dns', 'tls', 'ssh', 'quic', 'failed', 'http1', 'smtp', 'ftp', 'ftp-data', 'sip', 'ldap', 'tftp', 'snmp', 'smb', 'dcerpc', 'pop3', 'mqtt', 'krb5', 'rfb', 'ike', 'nfs', 'websocket', 'http2', 'doh2', 'mdns', 'ntp', 'bittorrent-dht'):
                return None, f'app_proto {ap} not detected by vigil'
            zero_has = c['filter'].get('count') == 0 and 'has-key' in m
            for k in filter_keys(c['filter']):
                if zero_has and k == str(m.get('has-key')):
                    continue  # "no record has this field": vigil never writes it
                if k == str(m.get('not-has-key')) and k.startswith('stats.app_layer.error.') and \
                        '.exception_policy' in k:
                    # Suricata's per-protocol exception policy counters,
                    # off unless stats.exception-policy.per-app-proto-errors:
                    # vigil has only the summary ones
                    continue
                if k.split('[')[0] in FILEINFO_MISSING:
                    return None, f'field {k.split("[")[0]} not written by vigil yet'
                if k.startswith(('tls.client_handshake', 'tls.server_handshake',
                                 'alert.xff')):
                    return None, f'field {k.split("[")[0].rsplit(".", 1)[0]} not written by vigil'
                if k.split('.')[0].split('[')[0].split('__')[0] in APP_PREFIXES and \
                        not k.startswith('metadata.entropy.'):
                    return None, f'field {k.split(".")[0]} not written by vigil yet'
                # (vigil writes stats.app_layer.flow.* and .tx.*, the parser errors of
                # http, tls, dns and smtp, not the rest)
                if k in ('alert.engine',) or \
                        (re.match(r'stats\.(app_layer|ftp|file_store|flow_bypassed|detect|memcap)', k) and
                         not re.match(r'stats\.flow_bypassed\.local_(pkts|bytes)$', k) and
                         not re.match(r'stats\.app_layer\.(flow|tx)\.', k) and
                         k != 'stats.file_store.fs_errors' and
                         not re.match(r'stats\.ftp\.(memuse|memcap)$', k) and
                         not re.match(r'stats\.app_layer\.error\.(http|tls|dns_udp|dns_tcp|smtp)\.parser$', k) and
                         not re.match(r'stats\.detect\.engines\[0\]\.rules_(loaded|failed|skipped)$', k)):
                    return None, f'field {k} not written by vigil yet'
                ev = str(m.get('anomaly.event', ''))
                if et == 'anomaly' and ev and ev.upper() == ev and ev not in APP_EVENTS:
                    return None, 'app-layer anomaly vigil does not raise'
        if 'stats' in c:
            for k in c['stats']:
                if k.split('.')[0] in ('app_layer', 'ftp', 'file_store', 'flow_bypassed', 'detect', 'memcap') \
                        and not re.match(r'app_layer\.(flow|tx)\.', k) \
                        and k != 'file_store.fs_errors' \
                        and not re.match(r'ftp\.(memuse|memcap)$', k) \
                        and not re.match(r'flow_bypassed\.local_(pkts|bytes)$', k):
                    return None, f'stats {k}'
        # a shell check on what vigil writes as Suricata does: eve.json,
        # fast.log and the file store's tree (DIR/xx/SHA256); not the
        # engine's log messages (suricata.log, stdout, stderr)
        # and the certificate store's PEM and .meta files
        if 'shell' in c and not re.search(r'fast\.log|eve\.json|(^|\s)filestore/|\.pem\b|\.meta\b',
                                          str(c['shell'].get('args', ''))):
            return None, 'shell check on other files'
    rep = rep_command(tdir, t)
    pcap = t.get('pcap') or (rep[0] if rep else None)
    if not pcap:
        caps = [f for f in os.listdir(tdir) if f.endswith(('.pcap', '.pcapng'))]
        if len(caps) != 1:
            return None, 'no single pcap'
        pcap = caps[0]
    pcap = os.path.normpath(os.path.join(tdir, pcap))
    if not os.path.exists(pcap):
        return None, 'pcap missing'
    args = ['-r', pcap, '--runmode', 'single', '--no-progress', '-k', 'none',
            '--set', 'logging.outputs.file.enabled=yes',
            '--set', 'logging.outputs.file.filename=suricata.json',
            '--set', 'outputs.eve.types.anomaly-decode=yes',
            '--set', 'outputs.eve.types.anomaly-stream=yes']
    sy = os.path.join(tdir, 'suricata.yaml')
    if os.path.exists(sy):
        mseed = re.search(r'community-id-seed:\s*(\d+)', open(sy, errors='replace').read())
        if mseed:
            args += ['--set', 'outputs.eve.community-id-seed=' + mseed.group(1)]
        if re.search(r'ipv6-compress:\s*(yes|true)', open(sy, errors='replace').read()):
            args += ['--set', 'outputs.eve.ipv6-compress=yes']
        mh = re.search(r'dump-all-headers:\s*(none|request|response|both)', open(sy, errors='replace').read())
        if mh:
            args += ['--set', 'outputs.eve.types.http-headers=' + mh.group(1)]
        try:
            sc = yaml.safe_load(open(sy, errors='replace')) or {}
        except yaml.YAMLError:
            sc = {}
        # the eve files type's force-hash / force-magic (Suricata's
        # eve-log types list: [{'files': {'force-hash': [md5]}}, ...])
        for o in (sc.get('outputs') or []) if isinstance(sc, dict) else []:
            fsc = o.get('file-store') if isinstance(o, dict) else None
            if isinstance(fsc, dict) and fsc.get('enabled') is True:
                args += ['--set', 'file-store.enabled=yes']
                if fsc.get('force-filestore') is True:
                    args += ['--set', 'file-store.force-filestore=yes']
                if fsc.get('write-fileinfo') is True:
                    args += ['--set', 'file-store.write-fileinfo=yes']
                if isinstance(fsc.get('force-hash'), list) and fsc['force-hash']:
                    args += ['--set', 'outputs.eve.types.files-force-hash=' +
                             ','.join(str(x) for x in fsc['force-hash'])]
            # the tls-store output: certs-log-dir, by default (as in
            # Suricata) the log directory itself
            tsc = o.get('tls-store') if isinstance(o, dict) else None
            if isinstance(tsc, dict) and tsc.get('enabled') is True:
                args += ['--set', 'tls-store.enabled=yes', '--set',
                         'tls-store.certs-log-dir=' + str(tsc.get('certs-log-dir') or '.')]
            ev = o.get('eve-log') if isinstance(o, dict) else None
            if isinstance(ev, dict) and ev.get('ethernet') is True:
                args += ['--set', 'outputs.eve.ethernet=yes']
            for ty in (ev or {}).get('types') or []:
                # smb record filters (types: [create, file, ...], custom):
                # vigil writes every smb transaction
                if isinstance(ty, dict) and isinstance(ty.get('smb'), dict) and ty['smb']:
                    return None, 'smb record options'
                al = ty.get('alert') if isinstance(ty, dict) else None
                try:
                    if al['metadata']['rule']['raw'] is True:
                        args += ['--set', 'outputs.eve.types.alert-rule=yes']
                except (KeyError, TypeError):
                    pass
                if isinstance(al, dict) and isinstance(al.get('tagged-packets'), bool):
                    args += ['--set', 'outputs.eve.types.tagged-packets=' +
                             ('yes' if al['tagged-packets'] else 'no')]
                sm = ty.get('smtp') if isinstance(ty, dict) else None
                if isinstance(sm, dict):
                    if sm.get('extended') is True:
                        args += ['--set', 'outputs.eve.types.smtp-extended=yes']
                    for k in ('custom', 'md5'):
                        if isinstance(sm.get(k), list) and sm[k]:
                            args += ['--set', 'outputs.eve.types.smtp-%s=' % k +
                                     ','.join(str(x) for x in sm[k])]
                fs = ty.get('files') if isinstance(ty, dict) else None
                if isinstance(fs, dict):
                    fh = fs.get('force-hash')
                    if isinstance(fh, list) and fh:
                        args += ['--set', 'outputs.eve.types.files-force-hash=' +
                                 ','.join(str(x) for x in fh)]
                    if fs.get('force-magic') is True:
                        args += ['--set', 'outputs.eve.types.files-force-magic=yes']
        # several eve-log outputs, or one with its own file name: each file
        # gets the records of its types (outputs.eve-logs, by event type
        # name), eve.json only as one of them
        evs = [o['eve-log'] for o in ((sc.get('outputs') or []) if isinstance(sc, dict) else [])
               if isinstance(o, dict) and isinstance(o.get('eve-log'), dict) and
               o['eve-log'].get('enabled', True) not in (False, 'no')]
        if len(evs) > 1 or (evs and evs[0].get('filename', 'eve.json') != 'eve.json'):
            for k, ev in enumerate(evs):
                ets = []
                for ty in ev.get('types') or []:
                    name = ty if isinstance(ty, str) else next(iter(ty), None) if isinstance(ty, dict) else None
                    ets += EVE_LOG_TYPES.get(name, [name] if name else [])
                if not ets:
                    return None, 'eve-log output without types'
                args += ['--set', 'outputs.eve-logs.eve%d=%s: %s' %
                         (k, ev.get('filename', 'eve.json'), ', '.join(ets))]
            args += ['--set', 'outputs.eve.enabled=no']
        # the record types the case's eve-log lists: Suricata runs with
        # this configuration instead of its default, so the others are
        # not written
        listed, lists = set(), False
        for o in (sc.get('outputs') or []) if isinstance(sc, dict) else []:
            ev = o.get('eve-log') if isinstance(o, dict) else None
            if isinstance(ev, dict) and isinstance(ev.get('types'), list):
                lists = True
                for ty in ev['types']:
                    if isinstance(ty, str):
                        listed.add(ty)
                    elif isinstance(ty, dict):
                        listed.update(str(k) for k in ty)
        # frame records: off unless the case's eve-log lists them
        fty = [ty for ty in listed if ty == 'frame']
        for o in (sc.get('outputs') or []) if isinstance(sc, dict) else []:
            ev = o.get('eve-log') if isinstance(o, dict) else None
            for ty in (ev or {}).get('types') or [] if isinstance(ev, dict) else []:
                if isinstance(ty, dict) and isinstance(ty.get('frame'), dict) and \
                        ty['frame'].get('enabled') in (False, 'no'):
                    fty = []
        if fty:
            args += ['--set', 'outputs.eve.types.frame=yes']
        if lists:
            for ty in ('flow', 'stats', 'anomaly', 'drop', 'smtp', 'ftp', 'ssh', 'quic', 'sip',
                       'ldap', 'dcerpc', 'pop3', 'mqtt', 'tftp', 'snmp', 'dns', 'http', 'files',
                       'tls', 'alert', 'http2', 'doh2'):
                if ty not in listed:
                    args += ['--set', 'outputs.eve.types.%s=no' % ty]
        try:
            if sc['app-layer']['protocols']['http2']['enabled'] in (False, 'no'):
                args += ['--set', 'app-layer.protocols.http2.enabled=no']
        except (KeyError, TypeError):
            pass
        # SMTP's MIME URL extraction settings
        try:
            mime = sc['app-layer']['protocols']['smtp']['mime'] or {}
        except (KeyError, TypeError):
            mime = {}
        if isinstance(mime, dict):
            for k in ('extract-urls', 'log-url-scheme', 'body-md5'):
                if isinstance(mime.get(k), bool):
                    args += ['--set', 'app-layer.protocols.smtp.mime.%s=%s' %
                             (k, 'yes' if mime[k] else 'no')]
            if isinstance(mime.get('extract-urls-schemes'), list):
                args += ['--set', 'app-layer.protocols.smtp.mime.extract-urls-schemes=' +
                         ','.join(str(x) for x in mime['extract-urls-schemes'])]
        # a parser Suricata runs for detection only: vigil has no such mode
        try:
            for pn, pc in (sc['app-layer']['protocols'] or {}).items():
                if isinstance(pc, dict) and pc.get('enabled') == 'detection-only':
                    return None, f'config app-layer.protocols.{pn}.enabled: detection-only'
        except (KeyError, TypeError, AttributeError):
            pass
        # the exception policies' master switch, and the policies set there
        xp = sc.get('exception-policy') if isinstance(sc, dict) else None
        if isinstance(xp, str):
            args += ['--set', 'exception-policy=' + xp]
        for path in (('stream', 'midstream-policy'), ('stream', 'memcap-policy'),
                     ('stream', 'reassembly', 'memcap-policy'), ('flow', 'memcap-policy'),
                     ('defrag', 'memcap-policy'), ('app-layer', 'error-policy')):
            v = sc if isinstance(sc, dict) else {}
            for k in path:
                v = v.get(k) if isinstance(v, dict) else None
            if isinstance(v, str):
                args += ['--set', '.'.join(path) + '=' + v]
        ao = sc.get('action-order') if isinstance(sc, dict) else None
        if isinstance(ao, list) and ao:
            args += ['--set', 'action-order=' + ','.join(str(x) for x in ao)]
    # suricata-verify runs every case whose name contains "ips" as IPS
    if 'ips' in os.path.basename(tdir) and '--simulate-ips' not in str(t.get('args')):
        args.append('--simulate-ips')
    for a in t.get('args') or []:
        # suricata-verify runs the command with TEST_DIR set
        a = str(a).strip().replace('${TEST_DIR}', os.path.abspath(tdir)) \
            .replace('$TEST_DIR', os.path.abspath(tdir))
        toks = a.split()
        i = 0
        while i < len(toks):
            tok = toks[i]
            if tok == '-k' and i + 1 < len(toks):
                args += ['-k', toks[i + 1]]
                i += 2
                continue
            if tok == '--simulate-ips':
                args.append(tok)
                i += 1
                continue
            msim = re.match(r'--simulate-(packet-tcp-ssn-memcap|packet-tcp-reassembly-memcap|'
                            r'applayer-error-at-offset-ts|applayer-error-at-offset-tc)=(\d+)$', tok)
            if msim:
                args += ['--set', 'simulate.%s=%s' % (msim.group(1), msim.group(2))]
                i += 1
                continue
            if tok == '--runmode' and i + 1 < len(toks):
                i += 2
                continue
            if tok.startswith('--runmode='):  # vigil runs single-threaded here anyway
                i += 1
                continue
            if tok == '--set' and i + 1 < len(toks):
                kv = toks[i + 1]
                key = kv.split('=')[0]
                if key == 'app-layer.protocols.http2.enabled' and \
                        kv.split('=', 1)[1].lower() in ('true', 'yes'):
                    i += 2  # vigil always parses HTTP/2
                    continue
                if key == 'stream.async-oneside' and \
                        kv.split('=', 1)[1].lower() in ('false', 'no'):
                    # Suricata's default, and vigil's only behaviour: a
                    # session whose other side is never seen is not
                    # reassembled nor parsed (no one-sided mode)
                    i += 2
                    continue
                if re.match(r'outputs\.\d+\.eve-log\.types\.\d+\.frame\.enabled$', key):
                    # the frame type of the eve-log output
                    args += ['--set', 'outputs.eve.types.frame=' + kv.split('=', 1)[1]]
                    i += 2
                    continue
                if key in SET_KEYS:
                    if SET_KEYS[key]:
                        args += ['--set', SET_KEYS[key] + '=' + kv.split('=', 1)[1]]
                    i += 2
                    continue
                return None, f'config {key}'
            return None, f'argument {tok}'
    rules = os.path.join(tdir, 'test.rules')
    if rep:
        args += rep[2]
        if rep[1]:
            rules = rep[1]
    if isinstance(t.get('rules'), str) and '\n' not in t['rules']:
        # another case's rule file (rules: ../x/test.rules)
        rules = os.path.normpath(os.path.join(tdir, t['rules']))
    if not os.path.exists(rules):
        other = [f for f in os.listdir(tdir) if f.endswith('.rules')]
        if len(other) == 1:
            rules = os.path.join(tdir, other[0])
    if t.get('exit-code'):
        # a case about a start that fails: Suricata-verify runs Suricata
        # with --init-errors-fatal; the rules are what is tested
        args.append('--init-errors-fatal')
        if os.path.exists(rules):
            args += ['-S', rules]
        return args, None
    if os.path.exists(rules):
        args += ['-S', rules]
        r = subprocess.run([vigil, '-T', '-S', rules] + (rep[2] if rep else []),
                           capture_output=True, text=True)
        m = re.search(r'rules: (\d+) loaded, (\d+) skipped', r.stdout)
        if not m:
            return None, 'rules failed to load'
        if int(m.group(2)):
            out = r.stdout.split('skipped rules by reason', 1)[-1]
            line = [l for l in out.splitlines() if l.startswith('  ')]
            # a duplicate sid is dropped by Suricata as well: not a gap
            line = [l for l in line if l.split()[1:2] != ['duplicate']]
            # a rule for another Suricata version: Suricata 8.0.7 skips it too
            line = [l for l in line if l.split()[1:3] != ['requires', 'version']]
            if line:
                why = line[0].split()[1:3]
                return None, 'rule uses ' + ' '.join(why).replace('invalid:', 'invalid')
    else:
        args += ['-S', '/dev/null']
    return args, None


# Suricata in IDS mode hands a TCP direction's data to the app layer when
# the other side ACKs it; vigil parses data as it arrives.  So the app-layer
# records of TCP flows (http, tls, ssh) carry an earlier pcap_cnt than
# Suricata's; that one field is not compared for them.
APP_TCP_TYPES = {'http', 'tls', 'ssh'}


def app_lenient(match):
    if match.get('event_type') in APP_TCP_TYPES and 'pcap_cnt' in match:
        match = dict(match)
        del match['pcap_cnt']
    return match


def for_this_version(f):
    """A check may apply only to some Suricata versions; vigil follows 8."""
    req = f.get('requires') or {}
    lt = str(req.get('lt-version', '99')).split('.')[0]
    mn = str(req.get('min-version', '0')).split('.')[0]
    return not (lt.isdigit() and int(lt) <= 8) and not (mn.isdigit() and int(mn) > 8)


def run_test(tdir, t, vigil, args):
    out = tempfile.mkdtemp(prefix='vigil-sv-')
    env = dict(os.environ, TZ='UTC', TEST_DIR=os.path.abspath(tdir), OUTPUT_DIR=out)
    try:
        # the case's setup scripts, in the output directory before the run
        for st in t.get('setup') or []:
            if isinstance(st, dict) and 'script' in st:
                p = subprocess.run(['sh', '-c', str(st['script'])], cwd=out, env=env,
                                   capture_output=True, text=True)
                if p.returncode != 0:
                    return [f'setup script exited {p.returncode}: {p.stderr.strip()[:200]}']
        # SV_EXTRA: arguments added to every run (e.g. "--set stream.inline=yes"),
        # before the case's own, which win
        extra = os.environ.get('SV_EXTRA', '').split()
        r = subprocess.run([vigil] + extra + args + ['-l', out], capture_output=True, text=True,
                           env=env, timeout=120)
        want_rc = t.get('exit-code', 0)
        if r.returncode != want_rc:
            return [f'vigil exit {r.returncode} (want {want_rc}): {r.stderr.strip()[:200]}']
        files = {}
        for fn in LOG_FILES:
            files[fn] = []
            if os.path.exists(os.path.join(out, fn)):
                for line in open(os.path.join(out, fn)):
                    try:
                        files[fn].append(json.loads(line))
                    except ValueError:
                        return [f'{fn} has a line that is not JSON']
        recs = files['eve.json']
        errs = []

        def records(fn):
            # another file a filter reads (a file store metadata file):
            # absent, the check fails, as in suricata-verify
            if fn not in files:
                path = os.path.join(out, fn)
                if not os.path.exists(path):
                    return None
                files[fn] = []
                for line in open(path):
                    if line.strip():
                        files[fn].append(json.loads(line))
            return files[fn]
        for i, c in enumerate(t['checks']):
            if 'filter' in c:
                f = c['filter']
                if not for_this_version(f):
                    continue
                m = app_lenient(f.get('match', {}) or {})
                if os.environ.get('SV_IGNORE_TIMING'):
                    # diagnosis only: which failures are about when (the
                    # packet, its direction, the flow's counters then)
                    m = {k: v for k, v in m.items()
                         if k not in ('pcap_cnt', 'pkt_src', 'direction', 'src_ip', 'src_port',
                                      'dest_ip', 'dest_port') and not k.startswith('flow.pkts')
                         and not k.startswith('flow.bytes')}
                try:
                    frecs = records(f.get('filename', 'eve.json'))
                except ValueError:
                    errs.append(f'check {i}: {f.get("filename")} has a line that is not JSON')
                    continue
                if frecs is None:
                    errs.append(f'check {i}: {f.get("filename")} does not exist')
                    continue
                n = sum(1 for rec in frecs if matches(rec, m))
                want = f.get('count')
                if want is not None and n != want:
                    errs.append(f'check {i}: {f.get("match")} count {n}, want {want}')
            elif 'shell' in c:
                s = c['shell']
                # as suricata-verify runs it: in the output directory, with
                # TEST_DIR and OUTPUT_DIR set; a non-zero exit fails it
                p = subprocess.run(['sh', '-c', s['args']], cwd=out, capture_output=True, text=True,
                                   env=env)
                if p.returncode != 0:
                    errs.append(f'check {i}: shell {s["args"]!r} exited {p.returncode}')
                elif 'expect' in s and p.stdout.strip() != str(s['expect']).strip():
                    errs.append(f'check {i}: shell {s["args"]!r} gave {p.stdout.strip()!r}, want {s["expect"]!r}')
            elif 'file-compare' in c:
                fc = c['file-compare']
                got = os.path.join(out, str(fc.get('filename', '')))
                exp = os.path.join(tdir, str(fc['expected']))
                if not os.path.isfile(got):
                    errs.append(f'check {i}: {fc.get("filename")} does not exist')
                elif open(got, 'rb').read() != open(exp, 'rb').read():
                    errs.append(f'check {i}: {fc.get("filename")} differs from {fc["expected"]}')
            elif 'stats' in c:
                stats = [x for x in recs if x.get('event_type') == 'stats']
                last = stats[-1]['stats'] if stats else {}
                for k, v in c['stats'].items():
                    got = lookup(last, k)
                    if got != v:
                        errs.append(f'check {i}: stats {k} = {got}, want {v}')
        return errs
    finally:
        shutil.rmtree(out, ignore_errors=True)


APP_PROTOS = ('dns', 'http', 'tls', 'ssh', 'quic', 'smtp', 'ftp')
# the app-layer events vigil raises, as eve names them (src/app/app_events.def)
_EV_DEF = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'src', 'app',
                       'app_events.def')
APP_EVENTS = {m.group(1).split('.', 1)[-1].upper()
              for m in re.finditer(r'^X\(\w+, "([^"]+)"', open(_EV_DEF).read(), re.M)}


def protocols(name, t, tdir):
    """The app-layer protocols a test is about: its name, the eve types it
    checks, the protocols its rules name."""
    ps = set()
    low = name.lower()
    for pr in APP_PROTOS:
        if low.startswith(pr) or f'-{pr}' in low:
            ps.add(pr)
    if 'ja3' in low or 'ja4' in low or 'ssl' in low:
        ps.add('tls')
    for c in t.get('checks') or []:
        if isinstance(c, dict) and isinstance(c.get('filter'), dict):
            et = (c['filter'].get('match') or {}).get('event_type')
            if et in APP_PROTOS:
                ps.add(et)
    rules = os.path.join(tdir, 'test.rules')
    if os.path.exists(rules):
        for l in open(rules, errors='replace'):
            m = re.match(r'\s*\w+\s+(\w+)\s', l)
            if m and m.group(1) in APP_PROTOS:
                ps.add(m.group(1))
    return ps


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('vigil')
    ap.add_argument('tests')
    ap.add_argument('--baseline')
    ap.add_argument('--only')
    ap.add_argument('--write-baseline')
    ap.add_argument('--passes', help='the cases Suricata itself passes (default: '
                    'suricata-8.0.7-passes.txt beside the tests folder): prints how many of them pass')
    ap.add_argument('--explained', default=os.path.join(os.path.dirname(__file__), 'explained.txt'))
    a = ap.parse_args()
    explained = {}
    if os.path.exists(a.explained):
        for l in open(a.explained):
            if l.strip() and not l.startswith('#') and ':' in l:
                k, v = l.split(':', 1)
                explained[k.strip()] = v.strip()
    if not os.path.isdir(a.tests):
        print('suricata-verify corpus absent: skipped')
        return 77
    res = collections.defaultdict(lambda: [0, 0, 0])
    byproto = collections.defaultdict(lambda: [0, 0, 0, 0])   # passed failed explained skipped
    proto_fail = collections.defaultdict(list)
    skips = collections.Counter()
    passed, failed, expl = [], [], []
    skipped_why = {}
    # every folder with a test.yaml, nested ones too ("threshold/...")
    names = []
    for root, dirs, files in os.walk(a.tests):
        dirs.sort()
        if 'test.yaml' in files:
            names.append(os.path.relpath(root, a.tests))
    for name in sorted(names):
        if a.only and not re.search(a.only, name):
            continue
        tdir = os.path.join(a.tests, name)
        ty = os.path.join(tdir, 'test.yaml')
        try:
            t = yaml.safe_load(open(ty)) or {}
        except yaml.YAMLError:
            skips['test.yaml unreadable'] += 1
            res[category(name)][2] += 1
            continue
        ps = protocols(name, t, tdir)
        args, why = plan(tdir, t, a.vigil)
        if why:
            skips[why] += 1
            skipped_why[name] = why
            res[category(name)][2] += 1
            for pr in ps:
                byproto[pr][3] += 1
                proto_fail[pr].append(f'{name} (skipped: {why})')
            continue
        errs = run_test(tdir, t, a.vigil, args)
        if errs and name in explained:
            expl.append((name, explained[name]))
            res[category(name)][2] += 1
            for pr in ps:
                byproto[pr][2] += 1
                proto_fail[pr].append(f'{name} (explained)')
        elif errs:
            failed.append((name, errs))
            res[category(name)][1] += 1
            for pr in ps:
                byproto[pr][1] += 1
                proto_fail[pr].append(f'{name} (FAILED)')
        else:
            passed.append(name)
            res[category(name)][0] += 1
            for pr in ps:
                byproto[pr][0] += 1
    print('category          passed failed skipped')
    for cat in sorted(res, key=lambda c: -sum(res[c])):
        p, f, s = res[cat]
        if p or f:
            print(f'{cat:16} {p:7} {f:6} {s:7}')
    print('\nper app-layer protocol (tests naming it, checking its eve type or rules on it):')
    print('protocol  passed failed explained skipped')
    for pr in APP_PROTOS:
        if pr in byproto:
            p_, f_, e_, s_ = byproto[pr]
            print(f'{pr:9} {p_:6} {f_:6} {e_:9} {s_:7}')
    if os.environ.get('SV_LIST_PROTO'):
        for pr in APP_PROTOS:
            for n in proto_fail.get(pr, []):
                print(f'  {pr}: {n}')
    print(f'\nfailed ({len(failed)}):')
    for name, errs in failed:
        print(f'  {name}: {errs[0]}' + (f' (+{len(errs) - 1} more)' if len(errs) > 1 else ''))
    print(f'\ndiffer from Suricata for a known reason ({len(expl)}):')
    for name, why in expl:
        print(f'  {name}: {why}')
    print('\nskip reasons:')
    for why, n in skips.most_common(25):
        print(f'  {n:5}  {why}')
    total_skip = sum(skips.values())
    print(f'\nsuricata-verify: {len(passed)} passed, {len(failed)} failed, '
          f'{len(expl)} explained, {total_skip} skipped')
    passes = a.passes or os.path.join(os.path.dirname(os.path.abspath(a.tests)),
                                      'suricata-8.0.7-passes.txt')
    if os.path.exists(passes) and not a.only:
        ref = {l.strip() for l in open(passes) if l.strip() and not l.startswith('#')}
        ok = len(ref & set(passed))
        print(f'of the {len(ref)} cases Suricata 8.0.7 passes: {ok} pass in vigil '
              f'({100.0 * ok / len(ref):.1f}%); skipped, failed and explained count as not passed')
        fl = {n for n, _ in failed}
        ex = {n for n, _ in expl}
        print(f'  of them failed {len(ref & fl)}, explained {len(ref & ex)}, skipped '
              f'{len([n for n in ref if n in skipped_why])}; their skip reasons:')
        for why, n in collections.Counter(skipped_why[n] for n in ref if n in skipped_why).most_common(60):
            print(f'  {n:5}  {why}')
        if os.environ.get('SV_SKIPPED'):
            # each of Suricata's passes vigil skips, with why (one per line)
            with open(os.environ['SV_SKIPPED'], 'w') as out:
                for n in sorted(ref):
                    if n in skipped_why:
                        out.write(f'{n}\t{skipped_why[n]}\n')
    if a.write_baseline:
        with open(a.write_baseline, 'w') as f:
            f.write('\n'.join(passed) + '\n')
    if a.baseline and os.path.exists(a.baseline):
        base = {l.strip() for l in open(a.baseline) if l.strip() and not l.startswith('#')}
        regress = sorted(base - set(passed))
        new = sorted(set(passed) - base)
        if new:
            print(f'new passes not in the baseline ({len(new)}): {" ".join(new)}')
        if regress:
            print(f'REGRESSIONS ({len(regress)}): {" ".join(regress)}')
            print(f'{len(passed)} passed, {len(regress)} failed')
            return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
