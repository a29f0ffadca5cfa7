#!/usr/bin/python3
"""The lab's "app VM": makes one kind of request and says whether it
worked.  Exit 0: it worked; 1: it failed (refused, reset, timed out).
  client.py dns NAME SERVER          a DNS A query over UDP
  client.py http URL                 an HTTP GET
  client.py tls HOST PORT SNI        a TLS handshake with that SNI
  client.py scan HOST FIRST LAST     TCP connects to a port range; prints
                                     how many got an answer (open or RST)
  client.py rcode NAME SERVER        a DNS A query; prints the answer's rcode and
                                     addresses (exit 0: any answer came back)
  client.py fetch NAME SERVER        resolves NAME at SERVER, then HTTP GET / from
                                     the address with Host: NAME
  client.py hold HOST PORT SECS      a TCP connection kept open and idle SECS
LAB_SRC=ADDRESS in the environment: send from that address (a second "VM"
on the client's interface).
Everything has a short timeout and a bounded count."""
import http.client, os, socket, ssl, struct, sys, time, urllib.parse, urllib.request

T = 2.0
SRC = os.environ.get('LAB_SRC')


def sock(kind=socket.SOCK_STREAM):
    s = socket.socket(socket.AF_INET, kind)
    if SRC:
        s.bind((SRC, 0))
    s.settimeout(T)
    return s


def query(name, server, qtype=1):
    q = struct.pack('>HHHHHH', 0x1234, 0x0100, 1, 0, 0, 0)
    for label in name.split('.'):
        q += bytes([len(label)]) + label.encode()
    q += b'\0' + struct.pack('>HH', qtype, 1)
    s = sock(socket.SOCK_DGRAM)
    s.sendto(q, (server, 53))
    data, _ = s.recvfrom(4096)
    rcode = data[3] & 0x0f
    an = struct.unpack('>H', data[6:8])[0]
    # the A records' addresses (answers after the question)
    off, addrs = len(q), []
    for _ in range(an):
        if off + 12 > len(data):
            break
        typ, _, _, rdlen = struct.unpack('>HHIH', data[off + 2:off + 12])
        if typ == 1 and rdlen == 4:
            addrs.append(socket.inet_ntoa(data[off + 12:off + 16]))
        off += 12 + rdlen
    return rcode, addrs


def rcode(name, server):
    rc, addrs = query(name, server)
    print(f'rcode {name}: {rc} {" ".join(addrs)}')
    return True


def fetch(name, server):
    rc, addrs = query(name, server)
    if not addrs:
        print(f'fetch {name}: no address (rcode {rc})')
        return False
    s = sock()
    s.connect((addrs[0], 80))
    s.sendall(f'GET /index.html HTTP/1.0\r\nHost: {name}\r\n\r\n'.encode())
    data = b''
    while True:
        b = s.recv(4096)
        if not b:
            break
        data += b
    s.close()
    ok = data.startswith(b'HTTP/1.0 200') or data.startswith(b'HTTP/1.1 200')
    status = data.split(b'\r\n')[0].decode(errors='replace')
    print(f'fetch {name} ({addrs[0]}): {status}')
    return ok


def hold(host, port, secs):
    s = sock()
    s.connect((host, int(port)))
    time.sleep(float(secs))
    s.close()
    print(f'hold {host}:{port}: open {secs} s')
    return True


def dns(name, server):
    rc, addrs = query(name, server)
    print(f'dns {name}: {len(addrs)} answer(s)')
    return len(addrs) > 0


def get(url):
    if SRC:
        u = urllib.parse.urlsplit(url)
        c = http.client.HTTPConnection(u.hostname, u.port or 80, timeout=T, source_address=(SRC, 0))
        c.request('GET', u.path or '/')
        r = c.getresponse()
        body = r.read(65536)
        print(f'http {url}: {r.status}, {len(body)} bytes')
        return r.status == 200
    with urllib.request.urlopen(url, timeout=T) as r:
        body = r.read(65536)
        print(f'http {url}: {r.status}, {len(body)} bytes')
        return r.status == 200


def tls(host, port, sni, maxver=None):
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    if maxver == '1.2':  # the certificate is then sent in the clear
        ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    with socket.create_connection((host, int(port)), timeout=T,
                                  source_address=(SRC, 0) if SRC else None) as raw:
        with ctx.wrap_socket(raw, server_hostname=sni) as s:
            print(f'tls {sni}: {s.version()} {s.cipher()[0]}')
            return True


def scan(host, first, last):
    answered = 0
    for port in range(int(first), int(last) + 1):
        s = sock()
        s.settimeout(0.3)
        try:
            s.connect((host, port))
            answered += 1
        except ConnectionRefusedError:
            answered += 1
        except OSError:
            pass
        finally:
            s.close()
    total = int(last) - int(first) + 1
    print(f'scan {host} {first}-{last}: {answered} of {total} ports answered')
    return answered == total


def main():
    kind, args = sys.argv[1], sys.argv[2:]
    try:
        ok = {'dns': dns, 'http': get, 'tls': tls, 'scan': scan, 'rcode': rcode,
              'fetch': fetch, 'hold': hold}[kind](*args)
    except Exception as e:
        print(f'{kind} {" ".join(args)}: failed: {type(e).__name__}: {e}')
        ok = False
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
