#!/usr/bin/env python3
"""Golden cases: each folder under tests/golden/ holds input.pcap, optional
args.txt (extra vigil arguments, one per line) and checks.json: a list of
{"count": N, "match": {dotted.key: value, ...}} filters evaluated over
eve.json the way suricata-verify evaluates its `filter` checks (dotted
paths, [i] indexes, __len / __contains / __startswith suffixes).  Adding a
case needs no C."""
import json, os, subprocess, sys, tempfile

def lookup(obj, path):
    for part in path.split('.'):
        while part:
            if '[' in part and part.endswith(']'):
                name, idx = part[:part.index('[')], part[part.index('[') + 1:-1]
                if name:
                    if not isinstance(obj, dict) or name not in obj:
                        return KeyError
                    obj = obj[name]
                if not isinstance(obj, list) or int(idx) >= len(obj):
                    return KeyError
                obj = obj[int(idx)]
                part = ''
            else:
                if not isinstance(obj, dict) or part not in obj:
                    return KeyError
                obj, part = obj[part], ''
    return obj

def matches(rec, match):
    for key, want in match.items():
        if key == 'has-key':
            if lookup(rec, want) is KeyError:
                return False
            continue
        if key == 'not-has-key':
            if lookup(rec, want) is not KeyError:
                return False
            continue
        for suf in ('__len', '__contains', '__startswith'):
            if key.endswith(suf):
                v = lookup(rec, key[:-len(suf)])
                if v is KeyError:
                    return False
                if suf == '__len' and len(v) != want: return False
                if suf == '__contains' and want not in v: return False
                if suf == '__startswith' and not str(v).startswith(want): return False
                break
        else:
            if lookup(rec, key) != want:
                return False
    return True

def main():
    global root_dir
    vigil, root = sys.argv[1], sys.argv[2]
    root_dir = root
    passed = failed = 0
    for case in sorted(os.listdir(root)):
        d = os.path.join(root, case)
        if not os.path.isfile(os.path.join(d, 'checks.json')):
            continue
        with tempfile.TemporaryDirectory() as out:
            args = [vigil, '-r', os.path.join(d, 'input.pcap'), '-l', out,
                    '--runmode', 'single', '--no-progress']
            if os.path.exists(os.path.join(d, 'args.txt')):
                repo = os.path.dirname(os.path.dirname(os.path.abspath(root_dir)))
                args += [a.replace('{root}', repo)
                         for a in open(os.path.join(d, 'args.txt')).read().split('\n') if a]
            r = subprocess.run(args, capture_output=True, text=True,
                               env=dict(os.environ, TZ='UTC'))
            if r.returncode != 0:
                print(f'FAIL {case}: exit {r.returncode}: {r.stderr.strip()}')
                failed += 1
                continue
            recs = [json.loads(l) for l in open(os.path.join(out, 'eve.json'))]
            ok = True
            for i, chk in enumerate(json.load(open(os.path.join(d, 'checks.json')))):
                n = sum(1 for rec in recs if matches(rec, chk['match']))
                if n != chk['count']:
                    print(f'FAIL {case}: check {i} {chk["match"]}: count {n}, want {chk["count"]}')
                    ok = False
            if ok:
                passed += 1
                print(f'ok   {case}')
            else:
                failed += 1
    print(f'{passed} passed, {failed} failed')
    return 1 if failed or not passed else 0

if __name__ == '__main__':
    sys.exit(main())
