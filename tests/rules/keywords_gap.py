#!/usr/bin/env python3
"""keywords_gap.py VIGIL [DATA]: the gap between Suricata 8.0's rule
keywords (src/detect/suricata8-keywords.txt) and vigil's keyword table.

Fails when a keyword of the list is neither in `vigil --list-keywords` nor
marked "na" (does not apply) or "todo" (a known gap) with a reason, and when
a keyword so marked is in vigil's table after all (a stale mark).  Prints
the figures: listed, in vigil, not applicable by reason, gaps by reason.
"""
import collections
import os
import subprocess
import sys


def vigil_keywords(vigil):
    out = subprocess.run([vigil, "--list-keywords"], check=True, capture_output=True,
                         text=True).stdout
    names = {}
    for line in out.splitlines():
        if not line.strip():
            break  # the keyword table ends at the first blank line
        names[line.split()[0]] = line
    return names


def read_list(path):
    rows, errors = [], []
    for n, line in enumerate(open(path, encoding="utf-8"), 1):
        line = line.rstrip("\n")
        if not line.strip() or line.startswith("#"):
            continue
        parts = line.split(None, 2)
        if len(parts) < 2:
            errors.append(f"{path}:{n}: needs KEYWORD DOC_PAGE: {line!r}")
            continue
        kw, page = parts[0], parts[1]
        status, reason = None, None
        if len(parts) == 3:
            status, _, reason = parts[2].partition(":")
            status, reason = status.strip(), reason.strip()
            if status not in ("na", "todo") or not reason:
                errors.append(f"{path}:{n}: status must be \"na: REASON\" or \"todo: REASON\": {line!r}")
        rows.append((kw, page, status, reason))
    seen = collections.Counter(r[0] for r in rows)
    errors += [f"{path}: {k} listed {c} times" for k, c in seen.items() if c > 1]
    return rows, errors


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: keywords_gap.py VIGIL [DATA]")
    data = sys.argv[2] if len(sys.argv) > 2 else os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "..", "src", "detect",
        "suricata8-keywords.txt")
    have = vigil_keywords(sys.argv[1])
    rows, errors = read_list(data)
    inv, na, todo = 0, collections.Counter(), collections.Counter()
    for kw, page, status, reason in rows:
        if kw in have:
            inv += 1
            if not status and not have[kw].endswith(f" [Suricata: rules/{page}]"):
                errors.append(f"{kw}: --list-keywords does not name its page rules/{page}")
            if status:
                errors.append(f"{kw}: marked {status} ({reason}) but vigil has it: drop the mark")
        elif status == "na":
            na[reason] += 1
        elif status == "todo":
            todo[reason] += 1
        else:
            errors.append(f"{kw} ({page}): not in vigil --list-keywords and not marked na or todo")
    print(f"Suricata 8.0 keywords listed: {len(rows)}; in vigil: {inv}; "
          f"not applicable: {sum(na.values())}; gaps: {sum(todo.values())}")
    for title, c in (("not applicable", na), ("gaps", todo)):
        for reason, k in sorted(c.items(), key=lambda x: -x[1]):
            print(f"  {title}: {k:3d}  {reason}")
    for e in errors:
        print("FAIL:", e)
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
