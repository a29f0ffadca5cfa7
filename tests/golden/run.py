#!/usr/bin/env python3
"""Golden cases: each folder under tests/golden/ holds input.pcap, optional
args.txt (extra vigil arguments, one per line) and checks.json: a list of
{"count": N, "match": {dotted.key: value, ...}} filters evaluated over
eve.json the way suricata-verify evaluates its `filter` checks (dotted
paths, [i] indexes, suffixes: tests/evematch.py).  Adding a
case needs no C."""
import json, os, subprocess, sys, tempfile

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
from evematch import matches  # noqa: E402


def main():
    vigil, root = sys.argv[1], sys.argv[2]
    repo = os.path.dirname(os.path.dirname(os.path.abspath(root)))
    passed = failed = 0
    for case in sorted(os.listdir(root)):
        d = os.path.join(root, case)
        if not os.path.isfile(os.path.join(d, 'checks.json')):
            continue
        with tempfile.TemporaryDirectory() as out:
            args = [vigil, '-r', os.path.join(d, 'input.pcap'), '-l', out,
                    '--runmode', 'single', '--no-progress']
            if os.path.exists(os.path.join(d, 'args.txt')):
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
