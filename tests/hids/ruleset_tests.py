#!/usr/bin/env python3
"""The Wazuh and OSSEC ruleset tests (their .ini files) through `vigil logtest`.

Each [section] holds log lines ("log N pass = ..." / "log N fail = ...") and
the expected rule id, level ("alert") and decoder name.  As Wazuh's own
runner (ruleset/testing/runtests.py) does:
  - each distinct "log ..." key runs in a fresh session; a key repeated
    verbatim (Wazuh) accumulates its lines into one session, in order, and
    the last line decides (that is how frequency rules are tested); OSSEC's
    runner keeps only the last value of a repeated key;
  - a "pass" line passes when rule id, level and decoder all equal the
    expected ones (and none of them is empty); a "fail" line passes when
    any of them differs.
For Windows event-channel tests, Wazuh's runner rewrites rule 60000 to
<decoded_as>json</decoded_as> without its category (the events arrive on
stdin as JSON, not from the event-channel reader); this runner does the
same to a copy of the ruleset, and nothing else.

usage: ruleset_tests.py VIGIL RULESET_DIR TESTS_DIR [--ossec] [--baseline FILE]
                        [--write-baseline FILE] [--failures FILE] [--only REGEX]
Prints passed/failed per file and overall, and every failure with what
vigil said; then how many failures expect a rule the ruleset folder does
not hold (Wazuh's test rules, ids 999xxx, are not shipped with its
ruleset) or a rule whose CDB list file is absent, and the pass rate over
the cases whose rules and lists are all there.  With --baseline, exits 1 if a case listed there (one
"file:section:key" per line) no longer passes.  Exits 77 when the ruleset
or the tests are absent.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile


def parse_ini(path, ossec):
    """Sections as {name: [(key, value)]}, the way Python 2's ConfigParser
    (and Wazuh's MultiOrderedDict) read them."""
    sections, order = {}, []
    cur = None
    last_key = None
    with open(path, encoding="utf-8", errors="replace") as f:
        for raw in f:
            line = raw.rstrip("\n").rstrip("\r")
            if not line.strip() or line.lstrip()[0] in "#;":
                last_key = None if not line.strip() else last_key
                continue
            if line[0].isspace() and cur is not None and last_key is not None:
                items = sections[cur]
                k, v = items[-1]
                items[-1] = (k, v + "\n" + line.strip())
                continue
            m = re.match(r"\[(.*)\]\s*$", line)
            if m:
                cur = m.group(1)
                if cur not in sections:
                    sections[cur] = []
                    order.append(cur)
                last_key = None
                continue
            if cur is None:
                continue
            m = re.match(r"([^=:]*?)\s*[=:]\s*(.*)$", line)
            if not m:
                continue
            key, value = m.group(1).strip().lower(), m.group(2).strip()
            cm = re.search(r"\s;", value)
            if cm:
                value = value[:cm.start()].rstrip()
            if value == '""':
                value = ""
            if ossec:
                value = value.replace("%%", "%")  # ConfigParser's interpolation
            sections[cur].append((key, value))
            last_key = key
    out = []
    for name in order:
        items = sections[name]
        expect = {}
        logs = {}
        log_order = []
        for k, v in items:
            if k.startswith("log "):
                if k not in logs:
                    logs[k] = []
                    log_order.append(k)
                if ossec:
                    logs[k] = [v]
                else:
                    logs[k].append(v)
            else:
                expect[k] = v
        cases = []
        for k in log_order:
            lines = [l for v in logs[k] for l in v.split("\n") if l.strip()]
            neg = k.endswith("fail")
            cases.append((k, lines, neg))
        out.append((name, expect, cases))
    return out


def main():
    args = sys.argv[1:]
    if len(args) < 3:
        print(__doc__)
        return 2
    vigil, ruleset, tests = args[:3]
    ossec = "--ossec" in args
    opt = lambda n: args[args.index(n) + 1] if n in args else None
    baseline, write_base, failures, only = opt("--baseline"), opt("--write-baseline"), opt("--failures"), opt("--only")
    if not os.path.isdir(ruleset) or not os.path.isdir(tests):
        print("ruleset or tests absent: skipped")
        return 77
    tmp = None
    if not ossec:
        tmp = tempfile.mkdtemp(prefix="vigil-ruleset-")
        shutil.copytree(ruleset, os.path.join(tmp, "r"), ignore=shutil.ignore_patterns("tests"))
        ruleset = os.path.join(tmp, "r")
        for fn in os.listdir(os.path.join(ruleset, "rules")):
            fp = os.path.join(ruleset, "rules", fn)
            text = open(fp, encoding="utf-8", errors="surrogateescape").read()
            m = re.search(r'(<rule id="60000"[^>]*>)(.*?)(</rule>)', text, re.S)
            if m:
                body = re.sub(r"\s*<category>ossec</category>", "", m.group(2))
                body = body.replace("<decoded_as>windows_eventchannel</decoded_as>", "<decoded_as>json</decoded_as>")
                text = text[:m.start(2)] + body + text[m.end(2):]
                open(fp, "w", encoding="utf-8", errors="surrogateescape").write(text)
    try:
        return run(vigil, ruleset, tests, ossec, baseline, write_base, failures, only)
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)


def material(ruleset):
    """Rule ids the folder defines, and those whose <list> names a file it
    does not hold (as the loader resolves etc/lists/NAME to lists/NAME)."""
    ids, nolist, deps, groups = set(), set(), {}, {}
    for root, _, names in os.walk(ruleset):
        for n in names:
            if not n.endswith(".xml"):
                continue
            text = open(os.path.join(root, n), errors="replace").read()
            for m in re.finditer(r'<rule\s[^>]*id="(\d+)"(.*?)</rule>', text, re.S):
                rid, body = m.group(1), m.group(2)
                ids.add(rid)
                sids = re.findall(r"<if_sid>([^<]+)</if_sid>", body)
                deps[rid] = ({x.strip() for v in sids for x in re.split(r"[,\s]+", v) if x.strip()},
                             {g.strip() for g in re.findall(r"<if_group>([^<]+)</if_group>", body)})
                for g in re.findall(r"<group>([^<]+)</group>", body):
                    for x in g.split(","):
                        if x.strip():
                            groups.setdefault(x.strip(), set()).add(rid)
                for lf in re.findall(r"<list[^>]*>([^<]+)</list>", body):
                    rel = lf.strip()
                    rel = rel[len("etc/"):] if rel.startswith("etc/") else rel
                    if not any(os.path.exists(os.path.join(ruleset, c)) for c in
                               (rel, rel + ".cdb", rel + ".txt")):
                        nolist.add(rid)
    # and the rules below them (if_sid, or if_group naming a group one of
    # them carries): they cannot match without the list either
    grown = True
    while grown:
        grown = False
        for rid, (sids, grps) in deps.items():
            if rid not in nolist and (sids & nolist or any(groups.get(g, set()) & nolist for g in grps)):
                nolist.add(rid)
                grown = True
    return ids, nolist


def run(vigil, ruleset, tests, ossec, baseline, write_base, failures, only):
    files = sorted(f for f in os.listdir(tests) if f.endswith(".ini"))
    if only:
        files = [f for f in files if re.search(only, f)]
    total_pass = total = 0
    passing, fails, fail_ids = [], [], []
    # one vigil for every file (one ruleset load); an empty line between
    # cases starts a fresh session
    parsed, feed, where = [], [], []
    for fn in files:
        secs = parse_ini(os.path.join(tests, fn), ossec)
        parsed.append((fn, secs))
        for name, expect, cases in secs:
            for key, lines, neg in cases:
                for i, l in enumerate(lines):
                    feed.append(l)
                    where.append((fn, name, key, i == len(lines) - 1))
                feed.append("")
    p = subprocess.run([vigil, "logtest", "--json", "--reset-on-blank", "--ruleset", ruleset],
                       input="\n".join(feed) + "\n", capture_output=True, text=True)
    if p.returncode != 0:
        print(f"vigil logtest failed ({p.returncode}): {p.stderr.strip()[:600]}")
        return 1
    outs = [json.loads(l) for l in p.stdout.splitlines() if l.strip()]
    if len(outs) != len(where):
        print(f"vigil logtest answered {len(outs)} lines for {len(where)}")
        return 1
    results = {}
    for (fn, name, key, last), o in zip(where, outs):
        if last:
            results[(fn, name, key)] = o
    for fn, secs in parsed:
        fp = ft = 0
        for name, expect, cases in secs:
            want = (expect.get("rule", ""), expect.get("alert", ""), expect.get("decoder", ""))
            for key, lines, neg in cases:
                if not lines:
                    continue
                o = results.get((fn, name, key), {})
                got = (str(o.get("rule", {}).get("id", "")), str(o.get("rule", {}).get("level", "")) if o.get("rule") else "",
                       o.get("decoder", {}).get("name", ""))
                ok = all(want) and got == want
                passed = ok != neg
                ft += 1
                case = f"{fn}:{name}:{key}"
                if passed:
                    fp += 1
                    passing.append(case)
                else:
                    fails.append(f"{case}: want {'not ' if neg else ''}{want}, got {got} for: {lines[-1][:200]}")
                    if not neg:
                        fail_ids.append(want[0])
        total_pass += fp
        total += ft
        print(f"{fn}: {fp}/{ft}")
    pct = 100.0 * total_pass / total if total else 0
    print(f"overall: {total_pass} passed, {total - total_pass} failed of {total} ({pct:.1f}%)")
    ids, nolist = material(ruleset)
    no_rule = sum(1 for i in fail_ids if i and i not in ids)
    no_list = sum(1 for i in fail_ids if i in nolist)
    if no_rule or no_list:
        rest = total - no_rule - no_list
        print(f"  of the failures, {no_rule} expect a rule the ruleset folder does not define and "
              f"{no_list} a rule that needs a CDB list file it does not hold (itself or a parent); over the other {rest} cases: "
              f"{total_pass} passed ({100.0 * total_pass / rest if rest else 0:.1f}%)")
    if failures:
        with open(failures, "w") as f:
            f.write("\n".join(fails) + "\n")
    else:
        for x in fails:
            print("FAIL " + x)
    if write_base:
        with open(write_base, "w") as f:
            f.write("\n".join(sorted(passing)) + "\n")
    if baseline:
        want = set(l.strip() for l in open(baseline) if l.strip())
        lost = sorted(want - set(passing))
        for x in lost:
            print("REGRESS " + x)
        return 1 if lost else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
