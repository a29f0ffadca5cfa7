#!/usr/bin/python3
"""The lab's "app VM": makes one kind of request and says whether it
worked.  Exit 0: it worked; 1: it failed (refused, reset, timed out).
  client.py dns NAME SERVER          a DNS A query over UDP
  client.py http URL                 an HTTP GET
  client.py tls HOST PORT SNI        a TLS handshake with that SNI
  client.py scan HOST FIRST LAST     TCP connects to a port range; prints
                                     how many got an answer (open or RST)
Everything has a short timeout and a bounded count."""
import socket, ssl, struct, sys, time, urllib.request

T = 2.0


def dns(name, server):
    q = struct.pack('>HHHHHH', 0x1234, 0x0100, 1, 0, 0, 0)
    for label in name.split('.'):
        q += bytes([len(label)]) + label.encode()
    q += b'\0' + struct.pack('>HH', 1, 1)
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(T)
    s.sendto(q, (server, 53))
    data, _ = s.recvfrom(4096)
    an = struct.unpack('>H', data[6:8])[0]
    print(f'dns {name}: {an} answer(s)')
    return an > 0


def http(url):
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
    with socket.create_connection((host, int(port)), timeout=T) as raw:
        with ctx.wrap_socket(raw, server_hostname=sni) as s:
            print(f'tls {sni}: {s.version()} {s.cipher()[0]}')
            return True


def scan(host, first, last):
    answered = 0
    for port in range(int(first), int(last) + 1):
        s = socket.socket()
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
        ok = {'dns': dns, 'http': http, 'tls': tls, 'scan': scan}[kind](*args)
    except Exception as e:
        print(f'{kind} {" ".join(args)}: failed: {type(e).__name__}: {e}')
        ok = False
    sys.exit(0 if ok else 1)


if __name__ == '__main__':
    main()
