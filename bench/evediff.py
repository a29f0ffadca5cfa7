#!/usr/bin/env python3
"""evediff - compare the alerts of two eve.json files, per signature.

    bench/evediff.py A.json B.json [--names vigil,suricata] [--flows] [--all]

For each sid: the alert count in each file and, with --flows, the flows
(community_id, or the 5-tuple when a record has none) that alerted in one
file and not in the other.  Prints only the sids that differ unless --all.
Exit status 0 when the alerts agree by sid and count, 1 when they differ,
2 on bad input.  Used by the detect-engine comparison against Suricata
(bench/) and usable on any two runs (before/after a change).
"""
import argparse
import collections
import json
import sys


def flow_key(r):
    if r.get("community_id"):
        return r["community_id"]
    a = (r.get("src_ip"), r.get("src_port"))
    b = (r.get("dest_ip"), r.get("dest_port"))
    lo, hi = sorted([a, b], key=lambda x: (str(x[0]), x[1] or 0))
    return f"{r.get('proto')} {lo[0]}:{lo[1]} {hi[0]}:{hi[1]}"


def load(path):
    per_sid = collections.Counter()
    flows = collections.defaultdict(collections.Counter)
    msg = {}
    bad = 0
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            try:
                r = json.loads(line)
            except ValueError:
                bad += 1
                continue
            if r.get("event_type") != "alert":
                continue
            a = r.get("alert", {})
            sid = a.get("signature_id")
            per_sid[sid] += 1
            flows[sid][flow_key(r)] += 1
            msg.setdefault(sid, a.get("signature", ""))
    return per_sid, flows, msg, bad


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--names", default="A,B")
    ap.add_argument("--flows", action="store_true", help="list the flows that differ")
    ap.add_argument("--all", action="store_true", help="list the sids that agree too")
    args = ap.parse_args()
    na, nb = (args.names.split(",") + ["B"])[:2]
    try:
        ca, fa, ma, bada = load(args.a)
        cb, fb, mb, badb = load(args.b)
    except OSError as e:
        print(f"evediff: {e}", file=sys.stderr)
        return 2
    sids = sorted(set(ca) | set(cb), key=lambda s: (s is None, s or 0))
    same = [s for s in sids if ca[s] == cb[s]]
    differ = [s for s in sids if ca[s] != cb[s]]
    only_a = [s for s in sids if ca[s] and not cb[s]]
    only_b = [s for s in sids if cb[s] and not ca[s]]
    print(f"{na}: {sum(ca.values())} alerts, {len(ca)} sids;  {nb}: {sum(cb.values())} alerts, {len(cb)} sids")
    print(f"sids with equal counts: {len(same)};  different counts: {len(differ)} "
          f"(only {na}: {len(only_a)}, only {nb}: {len(only_b)})")
    if bada or badb:
        print(f"unparsable lines: {na} {bada}, {nb} {badb}")
    show = sids if args.all else differ
    if show:
        print(f"{'sid':>10} {na:>8} {nb:>8}  signature")
    for s in show:
        print(f"{s!s:>10} {ca[s]:>8} {cb[s]:>8}  {ma.get(s) or mb.get(s) or ''}")
        if args.flows and ca[s] != cb[s]:
            for k in sorted(set(fa[s]) | set(fb[s])):
                if fa[s][k] != fb[s][k]:
                    print(f"{'':>10} {fa[s][k]:>8} {fb[s][k]:>8}    {k}")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main())
