#!/usr/bin/env python3
"""Differential test of the detect engine's indexes.

Random rules and random traffic (TCP sessions, UDP, ICMP; IPv4 and IPv6)
go through vigil twice: once as it runs (prefilter, address index,
whatever grouping the engine does) and once with `detect.prefilter: no`,
where every rule of the packet's protocol is evaluated on every packet (the
naive reference).  The alerts must be the same: the same (packet, sid)
pairs in the same order.  Any difference prints the seed, the rule and the
packet, and the files are kept for a rerun.

    differential.py VIGIL [--seeds N] [--rules N] [--flows N] [--keep DIR] [--set K=V ...]

--set goes to both runs: `--set detect.stream-window=24` makes each TCP
session's stream window slide within it, so that the prefilter's record of
what the context holds (win_scan) is what finds a rule whose fast pattern
arrived in an earlier segment.

Deterministic: seed k always makes the same rules and capture.
"""
import argparse
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile

WORDS = [b"GET /", b"POST /", b"abc", b"XYZ", b"hello", b"evil", b"admin", b"passwd",
         b"\x00\x01\x02", b"HTTP/1.1 200", b"Host: x", b"zz", b"AAAA", b"login", b"\xff\xfe"]
HOME4 = ["10.0.0.1", "10.0.0.2", "10.0.1.7"]
EXT4 = ["198.51.100.1", "198.51.100.2", "203.0.113.5"]
HOME6 = ["fd00::1", "fd00::2"]
EXT6 = ["2001:db8::1", "2001:db8::77"]
PORTS = [80, 443, 53, 8080, 22, 1024, 1027, 1030]


# ---- traffic -------------------------------------------------------------

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff


def ip_bytes(a):
    import ipaddress
    return ipaddress.ip_address(a).packed


def l3(src, dst, proto, l4):
    s, d = ip_bytes(src), ip_bytes(dst)
    if len(s) == 4:
        ph = s + d + struct.pack("!BBH", 0, proto, len(l4))
        hdr = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(l4), 1, 0, 64, proto, 0, s, d)
        hdr = hdr[:10] + struct.pack("!H", csum(hdr)) + hdr[12:]
        eth = 0x0800
    else:
        ph = s + d + struct.pack("!IxxxB", len(l4), proto)
        hdr = struct.pack("!IHBB16s16s", 6 << 28, len(l4), proto, 64, s, d)
        eth = 0x86DD
    return ph, hdr, eth


def tcp(src, dst, sp, dp, seq, ack, flags, data=b""):
    _, _, _ = None, None, None
    seg = struct.pack("!HHIIBBHHH", sp, dp, seq, ack, 5 << 4, flags, 65535, 0, 0) + data
    ph, hdr, eth = l3(src, dst, 6, seg)
    c = csum(ph + seg)
    seg = seg[:16] + struct.pack("!H", c) + seg[18:]
    return eth, hdr + seg


def udp(src, dst, sp, dp, data):
    seg = struct.pack("!HHHH", sp, dp, 8 + len(data), 0) + data
    ph, hdr, eth = l3(src, dst, 17, seg)
    c = csum(ph + seg) or 0xffff
    seg = seg[:6] + struct.pack("!H", c) + seg[8:]
    return eth, hdr + seg


def icmp(src, dst, typ, data):
    v6 = ":" in src
    proto = 58 if v6 else 1
    if v6:
        typ = {8: 128, 0: 129}.get(typ, typ)
    msg = struct.pack("!BBHHH", typ, 0, 0, 7, 1) + data
    ph, hdr, eth = l3(src, dst, proto, msg)
    c = csum((ph if v6 else b"") + msg)
    msg = msg[:2] + struct.pack("!H", c) + msg[4:]
    return eth, hdr + msg


def payload(rng):
    return b"".join(rng.choice(WORDS) + bytes(rng.choice(b" .-_") for _ in range(rng.randint(0, 2)))
                    for _ in range(rng.randint(1, 5)))


def traffic(rng, nflows):
    pkts = []
    for _ in range(nflows):
        v6 = rng.random() < 0.2
        cli = rng.choice((HOME6 if v6 else HOME4) + (EXT6 if v6 else EXT4))
        srv = rng.choice((EXT6 if v6 else EXT4) + (HOME6 if v6 else HOME4))
        if cli == srv:
            continue
        kind = rng.random()
        cp = rng.choice([rng.randint(32768, 60999), 1024, 1027, 80])
        sp = rng.choice(PORTS + [rng.randint(1, 65535)])
        if kind < 0.6:
            cs, ss = rng.randint(1, 1 << 30), rng.randint(1, 1 << 30)
            pkts.append(tcp(cli, srv, cp, sp, cs, 0, 0x02))
            pkts.append(tcp(srv, cli, sp, cp, ss, cs + 1, 0x12))
            pkts.append(tcp(cli, srv, cp, sp, cs + 1, ss + 1, 0x10))
            cs += 1
            ss += 1
            for _ in range(rng.randint(1, 4)):
                if rng.random() < 0.6:
                    d = payload(rng)
                    pkts.append(tcp(cli, srv, cp, sp, cs, ss, 0x18, d))
                    cs += len(d)
                    pkts.append(tcp(srv, cli, sp, cp, ss, cs, 0x10))
                else:
                    d = payload(rng)
                    pkts.append(tcp(srv, cli, sp, cp, ss, cs, 0x18, d))
                    ss += len(d)
                    pkts.append(tcp(cli, srv, cp, sp, cs, ss, 0x10))
            pkts.append(tcp(cli, srv, cp, sp, cs, ss, 0x11))
            pkts.append(tcp(srv, cli, sp, cp, ss, cs + 1, 0x11))
            pkts.append(tcp(cli, srv, cp, sp, cs + 1, ss + 1, 0x10))
        elif kind < 0.9:
            pkts.append(udp(cli, srv, cp, sp, payload(rng)))
            if rng.random() < 0.7:
                pkts.append(udp(srv, cli, sp, cp, payload(rng)))
        else:
            pkts.append(icmp(cli, srv, 8, payload(rng)))
            pkts.append(icmp(srv, cli, 0, payload(rng)))
    return pkts


def write_pcap(path, pkts):
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        t = 1700000000.0
        for eth, frame in pkts:
            b = b"\x02\0\0\0\0\x01" + b"\x02\0\0\0\0\x02" + struct.pack("!H", eth) + frame
            t += 0.001
            f.write(struct.pack("<IIII", int(t), int((t % 1) * 1e6), len(b), len(b)) + b)


# ---- rules ---------------------------------------------------------------

def addr(rng):
    return rng.choice(["any", "any", "$HOME_NET", "$EXTERNAL_NET", "10.0.0.1", "10.0.0.0/24",
                       "[10.0.0.1,198.51.100.2]", "!10.0.0.2", "198.51.100.0/24",
                       "2001:db8::/32", "![10.0.0.0/8,fd00::/8]", "[198.51.100.1,fd00::2]",
                       "[2001:db8::77,10.0.1.7]", "[fd00::/16,198.51.100.0/24]", "2001:db8::1",
                       "[fd00::1,fd00::2,2001:db8::/64,203.0.113.5]"])


def port(rng):
    return rng.choice(["any", "any", "any", "80", "1024:1030", "[80,443]", "!80", "40000:",
                       "$HTTP_PORTS", "53", "[1:1024,!22]", "8080"])


def content(rng):
    w = rng.choice(WORDS)
    if rng.random() < 0.3:
        w = w[: rng.randint(1, len(w))]
    txt = "".join(chr(c) if 0x20 < c < 0x7f and chr(c) not in '";\\|:' else "|%02x|" % c for c in w)
    opts = ['content:"%s";' % txt]
    if rng.random() < 0.3:
        opts.append("nocase;")
    r = rng.random()
    if r < 0.15:
        opts.append("depth:%d;" % rng.randint(len(w), len(w) + 20))
    elif r < 0.25:
        opts.append("offset:%d;" % rng.randint(0, 6))
    return opts


def rule(rng, sid, bits):
    proto = rng.choice(["tcp", "tcp", "tcp", "udp", "udp", "icmp", "ip"])
    sp, dp = (port(rng), port(rng)) if proto in ("tcp", "udp") else ("any", "any")
    arrow = "<>" if rng.random() < 0.15 else "->"
    opts = ['msg:"r%d";' % sid]
    if rng.random() < 0.8:
        opts += content(rng)
        if rng.random() < 0.3:
            c2 = content(rng)
            opts += [c2[0]] + (["distance:0;"] if rng.random() < 0.5 else [])
    if proto == "tcp" and rng.random() < 0.4:
        opts.append("flow:%s;" % rng.choice(["to_server", "to_client", "established",
                                             "established,to_server", "to_client,established"]))
    if proto == "tcp" and rng.random() < 0.15:
        opts.append("flags:%s;" % rng.choice(["S", "A+", "PA", "F*", "!R"]))
    if rng.random() < 0.15:
        opts.append("dsize:%s;" % rng.choice([">5", "<10", "0", ">20", "3<>30"]))
    if proto == "icmp" and rng.random() < 0.5:
        opts.append("itype:%d;" % rng.choice([0, 8, 128]))
    if proto == "tcp" and rng.random() < 0.1:
        b = rng.choice(bits)
        opts.append("flowbits:%s,%s;" % (rng.choice(["set", "isset", "isnotset", "toggle", "unset"]), b))
    opts.append("sid:%d; rev:1;" % sid)
    action = "pass" if rng.random() < 0.03 else "alert"
    return "%s %s %s %s %s %s %s (%s)" % (action, proto, addr(rng), sp, arrow, addr(rng), dp,
                                          " ".join(opts))


# ---- run -----------------------------------------------------------------

def alerts(vigil, d, name, extra):
    out = os.path.join(d, name)
    os.makedirs(out, exist_ok=True)
    cmd = [vigil, "-r", os.path.join(d, "t.pcap"), "-l", out, "-S", os.path.join(d, "t.rules"),
           "--runmode", "single", "--no-progress", "-k", "none"] + extra
    p = subprocess.run(cmd, capture_output=True, text=True)
    if p.returncode:
        raise RuntimeError(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr[-500:]}")
    res = []
    with open(os.path.join(out, "eve.json")) as f:
        for line in f:
            r = json.loads(line)
            if r.get("event_type") == "alert":
                res.append((r.get("pcap_cnt"), r["alert"]["signature_id"]))
    return res


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("vigil")
    ap.add_argument("--seeds", type=int, default=12)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--rules", type=int, default=300)
    ap.add_argument("--flows", type=int, default=150)
    ap.add_argument("--keep")
    ap.add_argument("--set", action="append", default=[])
    a = ap.parse_args()
    sets = [x for kv in a.set for x in ("--set", kv)]
    fails = total_alerts = 0
    for seed in range(a.first_seed, a.first_seed + a.seeds):
        rng = random.Random(seed)
        d = tempfile.mkdtemp(prefix=f"vigil-diff-{seed}-")
        bits = ["b%d" % i for i in range(4)]
        rules = [rule(rng, 1000 + i, bits) for i in range(a.rules)]
        with open(os.path.join(d, "t.rules"), "w") as f:
            f.write("\n".join(rules) + "\n")
        write_pcap(os.path.join(d, "t.pcap"), traffic(rng, a.flows))
        got = alerts(a.vigil, d, "indexed", sets)
        ref = alerts(a.vigil, d, "reference", sets + ["--set", "detect.prefilter=no"])
        total_alerts += len(ref)
        if got == ref:
            print(f"  ok    seed {seed}: {len(ref)} alerts, {len(set(s for _, s in ref))} sids agree")
            shutil.rmtree(d)
            continue
        fails += 1
        gs, rs = set(got), set(ref)
        print(f"  FAIL  seed {seed}: indexed {len(got)} alerts, reference {len(ref)}; files kept in {d}")
        for pc, sid in sorted(rs - gs)[:5]:
            print(f"        missed by the indexes: packet {pc}, {rules[sid - 1000]}")
        for pc, sid in sorted(gs - rs)[:5]:
            print(f"        extra from the indexes: packet {pc}, {rules[sid - 1000]}")
        if gs == rs:
            print("        same alerts, different order")
        if a.keep:
            shutil.copytree(d, os.path.join(a.keep, f"seed{seed}"), dirs_exist_ok=True)
    print(f"differential: {a.seeds - fails} passed, {fails} failed ({total_alerts} reference alerts)")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
