"""What the rule tests of this folder share: run rules over a capture and
count the alerts per sid; load one rule with -T and say whether it was
skipped, with vigil's messages."""
import collections
import json
import os
import subprocess
import tempfile


def alert_counts(vigil, pcap, rules):
    """Runs the rule lines over pcap (one worker, checksums ignored):
    a Counter of alerts by signature id."""
    with tempfile.TemporaryDirectory() as d:
        rf = os.path.join(d, "r.rules")
        with open(rf, "w") as f:
            f.write("".join(r + "\n" for r in rules))
        subprocess.run([vigil, "-r", pcap, "-l", d, "-S", rf, "--runmode", "single", "-k", "none"],
                       capture_output=True, check=True)
        got = collections.Counter()
        for line in open(os.path.join(d, "eve.json")):
            e = json.loads(line)
            if e.get("event_type") == "alert":
                got[e["alert"]["signature_id"]] += 1
        return got


def load_one(vigil, rule):
    """Loads one rule with -T: (whether it was skipped, vigil's stderr)."""
    with tempfile.TemporaryDirectory() as d:
        rf = os.path.join(d, "r.rules")
        with open(rf, "w") as f:
            f.write(rule + "\n")
        r = subprocess.run([vigil, "-T", "-S", rf], capture_output=True, text=True)
        return "1 skipped" in r.stdout + r.stderr, r.stderr
