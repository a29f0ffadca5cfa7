#!/usr/bin/python3
"""fim.py - `vigil fim` end to end, as root, on a real tree.

A copy of /usr/share/doc (a few thousand files) in a temporary folder is
baselined; then, with `vigil fim --watch` running, a script edits, chmods,
chowns, renames, deletes, creates and sets an xattr, and each change must be
reported exactly once with the right before/after.  A second pass makes
changes while nothing watches (plus hostile names: newlines, invalid UTF-8,
a symlink loop, a path longer than PATH_MAX, a tree deeper than the depth
limit) and a scan alone must find each once.  Then the limits: an inotify
queue of 16 events overflowed (coverage_lost, and the rescan still reports
every file), the watch limit, the baseline cap; and honeyfiles through
fanotify (with the reader's pid) and through inotify.

    /usr/bin/python3 tests/hids/fim.py build/src/vigil

Exit 0 pass, 1 fail, 77 skipped (not root, or no inotify).
"""
import hashlib
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time

TIMEOUT = 20.0
MAXD = 40  # --max-depth in the scan pass
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)
    return cond


def json_path(b):
    """The string vigil's JSON writer gives for the path bytes b: valid
    UTF-8 as it is, each other byte as \\u00XX."""
    s = b.decode("utf-8", "surrogateescape")
    return "".join(chr(ord(c) - 0xDC00) if 0xDC80 <= ord(c) <= 0xDCFF else c for c in s)


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def records(text):
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        rec = json.loads(line)
        check(rec.get("event_type") == "fim" and "timestamp" in rec and "fim" in rec,
              "eve envelope: %s" % line[:200])
        out.append(rec["fim"])
    return out


def scan(vigil, args):
    p = subprocess.run([vigil, "fim"] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=600)
    check(p.returncode == 0, "vigil fim %s: exit %d: %s" % (" ".join(args), p.returncode,
                                                           p.stderr.decode()[-2000:]))
    return records(p.stdout.decode())


class Watcher:
    """vigil fim --watch in the background; its events as they come."""

    def __init__(self, vigil, args):
        self.events = []
        self.cond = threading.Condition()
        self.proc = subprocess.Popen([vigil, "fim", "--watch"] + args, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE)
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        self.err = b""
        self.errt = threading.Thread(target=self._err, daemon=True)
        self.errt.start()

    def _read(self):
        for line in self.proc.stdout:
            for e in records(line.decode()):
                with self.cond:
                    self.events.append(e)
                    self.cond.notify_all()

    def _err(self):
        self.err = self.proc.stderr.read()

    def wait(self, pred, what, timeout=TIMEOUT, count=1):
        end = time.time() + timeout
        with self.cond:
            while True:
                got = [e for e in self.events if pred(e)]
                if len(got) >= count:
                    return got
                left = end - time.time()
                if left <= 0 or self.proc.poll() is not None and not self.thread.is_alive():
                    check(False, "timed out waiting for %s (%d of %d)" % (what, len(got), count))
                    return got
                self.cond.wait(min(left, 0.2))

    def stop(self):
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self.thread.join(10)
        self.errt.join(10)
        check(rc == 0, "vigil fim --watch exit %s: %s" % (rc, self.err.decode()[-2000:]))
        return self.events


def of(events, kind, path):
    return [e for e in events if e.get("event") == kind and e.get("path") == path]


def changes(events):
    return [e for e in events if e["event"] in ("added", "removed", "changed", "renamed")]


def exactly_once(events, kind, path, what):
    got = of(events, kind, path)
    check(len(got) == 1, "%s: %d %s events for %s (want 1)" % (what, len(got), kind, path))
    return got[0] if got else {}


def touched_only(events, allowed, what):
    extra = [e for e in changes(events) if e["path"] not in allowed]
    check(not extra, "%s: events for paths not changed: %s" % (what, [
        (e["event"], e["path"]) for e in extra[:10]]))


def build_tree(root):
    shutil.copytree("/usr/share/doc", os.path.join(root, "doc"), symlinks=True)
    files = []
    for d, _, names in os.walk(os.path.join(root, "doc")):
        for n in names:
            p = os.path.join(d, n)
            if os.path.isfile(p) and not os.path.islink(p):
                files.append(p)
    files.sort()
    with open(os.path.join(root, "app.conf"), "w") as f:
        f.write("user=alice\npassword=hunter2\nport=80\n")
    with open(os.path.join(root, "bait.txt"), "w") as f:
        f.write("the keys to the kingdom\n")
    return files


def phase_watch(vigil, tmp, tree, db, files):
    """Changes made while vigil fim --watch runs: each reported once."""
    bait = os.path.join(tree, "bait.txt")
    w = Watcher(vigil, ["--db", db, "--diff", "--honeyfile", bait, tree])
    s = w.wait(lambda e: e["event"] == "scan_summary", "the first scan")
    if s:
        check(not s[0]["initial"] and s[0]["added"] == 0 and s[0]["changed"] == 0,
              "watch: the first scan found changes: %s" % s[0])
    expect = {}  # path -> [kinds]

    def step(kind, path, action):
        action()
        expect.setdefault(path, []).append(kind)
        return w.wait(lambda e: e["event"] == kind and e.get("path") == path,
                      "%s %s" % (kind, path))

    conf = os.path.join(tree, "app.conf")
    old_sha = sha256(conf)

    def edit():
        with open(conf, "w") as f:
            f.write("user=alice\npassword=hunter3\nport=8080\n")
    step("changed", conf, edit)

    f1, f2, f3, f4, f5 = files[10], files[20], files[30], files[40], files[50]
    step("changed", f1, lambda: os.chmod(f1, 0o600))
    step("changed", f2, lambda: os.chown(f2, 1234, 1234))
    f3n = f3 + ".renamed"
    f3_ino = os.lstat(f3).st_ino
    os.rename(f3, f3n)
    got = w.wait(lambda e: (e["event"] == "renamed" and e.get("path") == f3n) or
                 (e["event"] == "added" and e.get("path") == f3n), "rename of %s" % f3)
    f4_sha = sha256(f4)
    step("removed", f4, lambda: os.unlink(f4))
    new = os.path.join(tree, "new file.txt")

    def create():
        with open(new, "w") as f:
            f.write("fresh\n")
    step("added", new, create)
    step("changed", f5, lambda: os.setxattr(f5, "user.x", b"marked"))
    nd = os.path.join(tree, "newdir")
    step("added", nd, lambda: os.mkdir(nd))
    inner = os.path.join(nd, "inner.txt")

    def create_inner():
        with open(inner, "w") as f:
            f.write("inside\n")
    step("added", inner, create_inner)
    # a directory moved: one renamed for it and one for each entry below
    nd2 = nd + ".moved"
    step("renamed", nd2, lambda: os.rename(nd, nd2))
    inner2 = os.path.join(nd2, "inner.txt")
    expect[inner2] = ["renamed"]
    w.wait(lambda e: e["event"] == "renamed" and e.get("path") == inner2, "renamed " + inner2)

    def read_bait():
        with open(bait) as f:
            f.read()
    read_bait()
    h = w.wait(lambda e: e["event"] == "honeyfile_access", "honeyfile_access")
    time.sleep(1.5)  # anything reported twice would come now
    events = w.stop()

    # exactly once, with the right before/after
    e = exactly_once(events, "changed", conf, "edit")
    if e:
        check("sha256" in e["changed_attributes"], "edit: sha256 not in changed_attributes")
        check(e["before"].get("sha256") == old_sha, "edit: before.sha256")
        check(e["after"].get("sha256") == sha256(conf), "edit: after.sha256")
        d = e.get("diff", "")
        check("password=***" in d and "hunter" not in d and "+port=8080" in d,
              "edit: diff not masked or missing: %r" % d)
    e = exactly_once(events, "changed", f1, "chmod")
    if e:
        check(e["changed_attributes"] == ["mode"], "chmod: %s" % e["changed_attributes"])
        check(e["before"]["mode"] != "0600" and e["after"]["mode"] == "0600", "chmod: modes")
    e = exactly_once(events, "changed", f2, "chown")
    if e:
        check({"uid", "gid"} <= set(e["changed_attributes"]), "chown: %s" % e["changed_attributes"])
        check(e["before"]["uid"] == 0 and e["after"]["uid"] == 1234 and
              e["after"]["gid"] == 1234, "chown: uid/gid before/after")
        check("sha256" not in e["changed_attributes"], "chown: content reported changed")
    ren = of(events, "renamed", f3n)
    if ren:
        check(len(ren) == 1 and ren[0].get("old_path") == f3, "rename: old_path")
        check(ren[0]["before"]["inode"] == f3_ino == ren[0]["after"]["inode"], "rename: inode")
        check(not of(events, "removed", f3) and not of(events, "added", f3n),
              "rename: also reported as removed/added")
        expect[f3n] = ["renamed"]
    else:
        exactly_once(events, "removed", f3, "rename (removed)")
        exactly_once(events, "added", f3n, "rename (added)")
        expect[f3] = ["removed"]
        expect[f3n] = ["added"]
    e = exactly_once(events, "removed", f4, "delete")
    if e:
        check(e["before"].get("sha256") == f4_sha, "delete: before.sha256")
    e = exactly_once(events, "added", new, "create")
    if e:
        check(e["after"].get("sha256") == sha256(new), "create: after.sha256")
    e = exactly_once(events, "changed", f5, "setxattr")
    if e:
        check(e["changed_attributes"] == ["xattrs"], "setxattr: %s" % e["changed_attributes"])
        check("user.x" in e["after"].get("xattrs", {}).get("names", []), "setxattr: names")
        check("xattrs" not in e["before"] or "user.x" not in e["before"]["xattrs"]["names"],
              "setxattr: before")
    exactly_once(events, "added", nd, "mkdir")
    exactly_once(events, "added", inner, "file in a new directory")
    e = exactly_once(events, "renamed", nd2, "directory moved")
    if e:
        check(e.get("old_path") == nd and e["after"]["type"] == "directory", "directory moved: %s" % e)
    e = exactly_once(events, "renamed", inner2, "directory moved: its file")
    if e:
        check(e.get("old_path") == inner, "directory moved: its file: old_path")
    for p, kinds in expect.items():
        got = [x["event"] for x in changes(events) if x["path"] == p]
        check(sorted(got) == sorted(kinds), "watch: %s: events %s, want %s" % (p, got, kinds))
    touched_only(events, set(expect) | {f3}, "watch")
    if h:
        check(h[0]["path"] == bait and h[0]["level"] == 12, "honeyfile: path/level %s" % h[0])
        check(any(a in h[0]["access"] for a in ("open", "read")), "honeyfile: access")
        if h[0].get("method") == "fanotify":
            check(h[0].get("pid") == os.getpid(), "honeyfile: pid %s, want %d" % (
                h[0].get("pid"), os.getpid()))
            with open("/proc/self/comm") as c:
                check(h[0].get("process") == c.read().strip(), "honeyfile: process name")
        else:
            print("note: honeyfile through inotify (no fanotify here)")
    honey = [x for x in events if x["event"] == "honeyfile_access"]
    check(len(honey) == 1, "honeyfile: %d alarms for one open+read (our own scans must not "
          "raise any)" % len(honey))
    print("watch: %d events, each change once" % len(events), flush=True)


def mkdeep(base, names):
    """Nested directories by name, relative to each other (the full path
    may exceed PATH_MAX); returns the fd of the last one."""
    fd = os.open(base, os.O_RDONLY | os.O_DIRECTORY)
    for n in names:
        os.mkdir(n, dir_fd=fd)
        nfd = os.open(n, os.O_RDONLY | os.O_DIRECTORY, dir_fd=fd)
        os.close(fd)
        fd = nfd
    return fd


def phase_scan(vigil, tmp, tree, db, files):
    """Changes made while nothing watches: one scan reports each once."""
    g1, g2, g3, g4 = files[100], files[110], files[120], files[130]
    with open(g1, "ab") as f:
        f.write(b"appended\n")
    os.chmod(g2, 0o640)
    g3_sha = sha256(g3)
    os.unlink(g3)
    g4n = os.path.join(tree, "moved-out-of-doc")
    os.rename(g4, g4n)
    # file capabilities: cap_net_raw, permitted and effective (VFS_CAP_REVISION_2)
    g5 = files[140]
    os.setxattr(g5, "security.capability", struct.pack("<IIIII", 0x02000001, 1 << 13, 0, 0, 0))
    expect = {g1: ["changed"], g2: ["changed"], g3: ["removed"], g5: ["changed"]}
    # hostile names
    bad = os.path.join(os.fsencode(tree), b"bad\xff\xfename\nwith newline")
    with open(bad, "wb") as f:
        f.write(b"x")
    loop = os.path.join(tree, "loop")
    os.symlink("loop", loop)
    up = os.path.join(tree, "up")
    os.symlink("..", up)
    # a path longer than PATH_MAX (4096): 30 levels of 200-byte names
    long_names = ["L%03d" % i + "x" * 196 for i in range(30)]
    fd = mkdeep(tree, long_names)
    lf = os.open("deep-file", os.O_WRONLY | os.O_CREAT, 0o644, dir_fd=fd)
    os.write(lf, b"deep\n")
    os.close(lf)
    os.close(fd)
    long_path = os.path.join(tree, *long_names, "deep-file")
    # deeper than --max-depth
    fd = mkdeep(tree, ["D"] * (MAXD + 5))
    os.close(fd)
    for p in (json_path(bad), loop, up, long_path):
        expect[p] = ["added"]
    evs = scan(vigil, ["--db", db, "--diff", "--max-depth", str(MAXD), tree])
    e = exactly_once(evs, "changed", g1, "scan: append")
    if e:
        check({"size", "sha256", "mtime"} <= set(e["changed_attributes"]),
              "scan: append: %s" % e["changed_attributes"])
        check("+appended" in e.get("diff", "") or "diff" not in e, "scan: append: diff")
    e = exactly_once(evs, "changed", g2, "scan: chmod")
    if e:
        check(e["changed_attributes"] == ["mode"] and e["after"]["mode"] == "0640",
              "scan: chmod: %s" % e)
    e = exactly_once(evs, "removed", g3, "scan: delete")
    if e:
        check(e["before"].get("sha256") == g3_sha, "scan: delete: sha256")
    e = exactly_once(evs, "changed", g5, "scan: setcap")
    if e:
        check(e["changed_attributes"] == ["xattrs", "capabilities"],
              "scan: setcap: %s" % e["changed_attributes"])
        check(e["after"].get("capabilities") == "cap_net_raw=ep", "scan: setcap: %s" %
              e["after"].get("capabilities"))
        check("security.capability" in e["after"]["xattrs"]["names"], "scan: setcap: xattr")
    ren = of(evs, "renamed", g4n)
    if ren:
        check(len(ren) == 1 and ren[0]["old_path"] == g4, "scan: rename: old_path")
        expect[g4n] = ["renamed"]
    else:
        expect[g4] = ["removed"]
        expect[g4n] = ["added"]
    e = exactly_once(evs, "added", loop, "scan: symlink loop")
    if e:
        check(e["after"]["type"] == "symlink" and e["after"]["link_target"] == "loop",
              "scan: symlink recorded as a link")
    exactly_once(evs, "added", up, "scan: symlink to ..")
    exactly_once(evs, "added", json_path(bad), "scan: newline and invalid UTF-8 in a name")
    e = exactly_once(evs, "added", long_path, "scan: path longer than PATH_MAX")
    if e:
        check(e["after"].get("sha256") == hashlib.sha256(b"deep\n").hexdigest(),
              "scan: long path: sha256")
    deep = [e for e in evs if e["event"] == "coverage_lost" and e["reason"] == "depth limit"]
    check(len(deep) == 1, "scan: depth limit: %d coverage_lost events" % len(deep))
    # what the depth limit hid is not recorded: the directory at depth
    # MAXD + 1 is seen (its parent is walked), not walked
    ds = [e for e in changes(evs) if "/D/" in e["path"] or e["path"].endswith("/D")]
    check(len(ds) == MAXD + 1, "scan: %d entries of the deep chain (want %d)" % (
        len(ds), MAXD + 1))
    allowed = set(expect) | {g4} | {e["path"] for e in ds}
    allowed |= {os.path.join(tree, *long_names[:i]) for i in range(1, 31)}
    for p, kinds in expect.items():
        got = [x["event"] for x in changes(evs) if x["path"] == p]
        check(sorted(got) == sorted(kinds), "scan: %s: events %s, want %s" % (p, got, kinds))
    touched_only(evs, allowed, "scan")
    # and once only: the same scan again finds nothing new
    again = scan(vigil, ["--db", db, "--diff", "--max-depth", str(MAXD), tree])
    check(not changes(again), "scan: a second scan reported %s" % [
        (e["event"], e["path"][:80]) for e in changes(again)[:10]])
    # a whole subtree removed: each entry once
    shutil.rmtree(os.path.join(tree, "D"))
    gone = scan(vigil, ["--db", db, "--diff", "--max-depth", str(MAXD), tree])
    rm = [e for e in gone if e["event"] == "removed"]
    check(len(rm) == MAXD + 1 and len(changes(gone)) == len(rm) and
          len({e["path"] for e in rm}) == len(rm), "scan: subtree removed: %d removed of %d "
          "events" % (len(rm), len(gone)))
    check(not [e for e in gone if e["event"] == "coverage_lost"], "scan: depth limit after rmtree")
    print("scan: %d events, each change once; a second scan: none" % len(evs), flush=True)


def set_sysctl(name, value):
    path = "/proc/sys/fs/inotify/" + name
    with open(path) as f:
        old = f.read().strip()
    with open(path, "w") as f:
        f.write(str(value))
    return old


def phase_overflow(vigil, tmp, tree, db):
    """A queue of 16 events, hundreds of files: coverage_lost, then the
    rescan reports every file once."""
    try:
        old = set_sysctl("max_queued_events", 16)
    except OSError as e:
        print("overflow: skipped, cannot set fs.inotify.max_queued_events: %s" % e)
        return
    try:
        w = Watcher(vigil, ["--db", db, tree])
        w.wait(lambda e: e["event"] == "scan_summary", "the first scan (overflow)")
    finally:
        set_sysctl("max_queued_events", old)  # the instance keeps its 16
    burst = os.path.join(tree, "burst")
    os.mkdir(burst)
    paths = []
    for i in range(400):
        p = os.path.join(burst, "f%03d" % i)
        with open(p, "w") as f:
            f.write("%d\n" % i)
        paths.append(p)
    w.wait(lambda e: e["event"] == "added" and e["path"].startswith(burst + "/"),
           "the burst's files", timeout=60, count=400)
    w.wait(lambda e: e["event"] == "coverage_lost", "coverage_lost (overflow)")
    time.sleep(1)
    evs = w.stop()
    lost = [e for e in evs if e["event"] == "coverage_lost"]
    check(lost and all(e["reason"] == "inotify queue overflow" for e in lost),
          "overflow: coverage_lost events %s" % lost[:3])
    for p in paths:
        exactly_once(evs, "added", p, "overflow")
    exactly_once(evs, "added", burst, "overflow")
    touched_only(evs, set(paths) | {burst}, "overflow")
    print("overflow: %d coverage_lost, %d files each added once" % (len(lost), len(paths)),
          flush=True)


def phase_limits(vigil, tmp):
    """The watch limit and the baseline cap, on a small tree."""
    small = os.path.join(tmp, "small")
    for i in range(6):
        os.makedirs(os.path.join(small, "d%d" % i, "sub"))
        for k in range(3):
            with open(os.path.join(small, "d%d" % i, "f%d" % k), "w") as f:
                f.write("x\n")
    # baseline cap: 10 entries of 31
    evs = scan(vigil, ["--db", os.path.join(tmp, "cap.db"), "--max-files", "10", small])
    full = [e for e in evs if e["event"] == "coverage_lost" and e["reason"] == "baseline full"]
    check(len(full) == 1 and full[0].get("count", 1) == 21,
          "baseline cap: coverage_lost %s" % full)
    s = [e for e in evs if e["event"] == "scan_summary"]
    check(s and s[0]["baseline_entries"] == 10, "baseline cap: entries %s" % s)
    # --report-initial: the first scan reports every entry added
    evs = scan(vigil, ["--db", os.path.join(tmp, "init.db"), "--report-initial", small])
    added = [e for e in evs if e["event"] == "added"]
    check(len(added) == 31 and len(changes(evs)) == 31, "--report-initial: %d added" % len(added))
    evs = scan(vigil, ["--db", os.path.join(tmp, "init.db"), "--report-initial", small])
    check(not changes(evs), "--report-initial: the second scan reported %d" % len(changes(evs)))
    # watch limit: max_user_watches 1 while the watcher starts
    try:
        old = set_sysctl("max_user_watches", 1)
    except OSError as e:
        print("watch limit: skipped, cannot set fs.inotify.max_user_watches: %s" % e)
        return
    try:
        w = Watcher(vigil, ["--db", os.path.join(tmp, "wl.db"), small])
        w.wait(lambda e: e["event"] == "scan_summary", "the first scan (watch limit)")
    finally:
        set_sysctl("max_user_watches", old)
    evs = w.stop()
    wl = [e for e in evs if e["event"] == "coverage_lost" and e["reason"] == "watch limit"]
    check(len(wl) == 1 and wl[0].get("path", "").startswith(small),
          "watch limit: coverage_lost %s" % wl)
    print("limits: baseline full and watch limit reported", flush=True)


def phase_honey_inotify(vigil, tmp):
    """--no-fanotify: the honeyfile through inotify, no process named."""
    d = os.path.join(tmp, "honey")
    os.mkdir(d)
    bait = os.path.join(d, "passwords.kdbx")
    with open(bait, "w") as f:
        f.write("bait\n")
    w = Watcher(vigil, ["--db", os.path.join(tmp, "honey.db"), "--no-fanotify",
                        "--honeyfile", bait, d])
    w.wait(lambda e: e["event"] == "scan_summary", "the first scan (honey)")
    time.sleep(0.3)
    quiet = [e for e in w.events if e["event"] == "honeyfile_access"]
    check(not quiet, "honeyfile (inotify): an alarm before anyone read it: %s" % quiet)
    with open(bait) as f:
        f.read()
    h = w.wait(lambda e: e["event"] == "honeyfile_access", "honeyfile_access (inotify)")
    time.sleep(0.5)
    evs = w.stop()
    if h:
        check(h[0]["method"] == "inotify" and h[0]["path"] == bait and "pid" not in h[0],
              "honeyfile (inotify): %s" % h[0])
    check(len([e for e in evs if e["event"] == "honeyfile_access"]) == 1,
          "honeyfile (inotify): one alarm")
    print("honeyfile through inotify: one alarm", flush=True)


def main():
    if len(sys.argv) != 2:
        print("usage: fim.py path/to/vigil", file=sys.stderr)
        return 2
    vigil = os.path.abspath(sys.argv[1])
    if os.geteuid() != 0:
        print("skip: not root (chown, fanotify and the inotify limits need it)")
        return 77
    if not os.path.exists("/proc/sys/fs/inotify/max_queued_events"):
        print("skip: no inotify")
        return 77
    if not os.path.isdir("/usr/share/doc"):
        print("skip: no /usr/share/doc to copy")
        return 77
    tmp = tempfile.mkdtemp(prefix="vigil-fim-")
    try:
        tree = os.path.join(tmp, "tree")
        os.mkdir(tree)
        files = build_tree(tree)
        if len(files) < 200:
            print("skip: /usr/share/doc holds only %d files" % len(files))
            return 77
        db = os.path.join(tmp, "baseline.db")
        t0 = time.time()
        evs = scan(vigil, ["--db", db, "--diff", tree])
        s = [e for e in evs if e["event"] == "scan_summary"]
        check(len(evs) == 1 and s and s[0]["initial"], "baseline: %s" % evs[:3])
        if s:
            print("baseline: %d entries in %.2f s" % (s[0]["baseline_entries"], time.time() - t0))
        again = scan(vigil, ["--db", db, "--diff", tree])
        s = [e for e in again if e["event"] == "scan_summary"]
        check(len(again) == 1 and s and not s[0]["initial"] and s[0]["hashed"] == 0,
              "rescan without changes: %s" % again[:3])
        phase_watch(vigil, tmp, tree, db, files)
        phase_scan(vigil, tmp, tree, db, files)
        phase_overflow(vigil, tmp, tree, db)
        phase_limits(vigil, tmp)
        phase_honey_inotify(vigil, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("%d failures" % len(failures))
        return 1
    print("ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
