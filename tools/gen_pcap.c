/*
 * gen_pcap.c - writes vigil's demo capture: a small gateway's worth of
 * traffic (HTTP over TCP, DNS, ICMP, IPv6, VLAN, a GRE tunnel, fragments)
 * plus hostile packets (out-of-order and overlapping TCP with different
 * data, truncated and malformed headers) so that `make run` exercises the
 * decoders, flows, reassembly and events.  Deterministic: same bytes every
 * run.  Usage: vigil-gen-pcap OUT.pcap [REPEAT]
 */
#include <stdlib.h>
#include <string.h>

#include "pktgen.h"

static FILE *out;
static uint64_t ts = 1700000000ULL * 1000000;
static struct pg_pkt pk;

static void emit(void)
{
	ts += 1500;
	pg_pcap_write(out, ts, pk.buf, pk.len);
}

/* A complete TCP session: handshake, request, response, close. */
static void tcp_session(const struct pg_ep *c, const struct pg_ep *s, const char *req,
			const char *resp, uint16_t vlan, bool ooo)
{
	uint32_t cs = 1000, ss = 50000;
	uint32_t rl = (uint32_t)strlen(req), pl = (uint32_t)strlen(resp);
	pg_tcp(&pk, c, s, cs, 0, 0x02, NULL, 0, vlan); emit();
	pg_tcp(&pk, s, c, ss, cs + 1, 0x12, NULL, 0, vlan); emit();
	pg_tcp(&pk, c, s, cs + 1, ss + 1, 0x10, NULL, 0, vlan); emit();
	if (ooo && rl > 10) {
		/* second half first, then the first half */
		uint32_t h = rl / 2;
		pg_tcp(&pk, c, s, cs + 1 + h, ss + 1, 0x18, req + h, rl - h, vlan); emit();
		pg_tcp(&pk, c, s, cs + 1, ss + 1, 0x10, req, h, vlan); emit();
	} else {
		pg_tcp(&pk, c, s, cs + 1, ss + 1, 0x18, req, rl, vlan); emit();
	}
	pg_tcp(&pk, s, c, ss + 1, cs + 1 + rl, 0x10, NULL, 0, vlan); emit();
	pg_tcp(&pk, s, c, ss + 1, cs + 1 + rl, 0x18, resp, pl, vlan); emit();
	pg_tcp(&pk, c, s, cs + 1 + rl, ss + 1 + pl, 0x11, NULL, 0, vlan); emit();
	pg_tcp(&pk, s, c, ss + 1 + pl, cs + 2 + rl, 0x11, NULL, 0, vlan); emit();
	pg_tcp(&pk, c, s, cs + 2 + rl, ss + 2 + pl, 0x10, NULL, 0, vlan); emit();
}

static const uint8_t dns_q[] = "\x12\x34\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
			       "\x07" "example" "\x03" "com" "\x00\x00\x01\x00\x01";
static const uint8_t dns_r[] = "\x12\x34\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00"
			       "\x07" "example" "\x03" "com" "\x00\x00\x01\x00\x01"
			       "\xc0\x0c\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04\x5d\xb8\xd8\x22";

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: vigil-gen-pcap OUT.pcap [REPEAT]\n");
		return 1;
	}
	int repeat = argc > 2 ? atoi(argv[2]) : 1;
	out = pg_pcap_open(argv[1], 1);
	if (!out) {
		perror(argv[1]);
		return 1;
	}
	for (int r = 0; r < repeat; r++) {
		char cip[32];
		struct pg_ep c, s, dns, c6, s6, vc, vs;
		snprintf(cip, sizeof(cip), "10.137.0.%d", 10 + r % 200);
		pg_ep4(&c, cip, (uint16_t)(40000 + r % 20000));
		pg_ep4(&s, "93.184.216.34", 80);
		pg_ep4(&dns, "10.139.1.1", 53);
		const char *req = "GET /index.html HTTP/1.1\r\nHost: example.com\r\n"
				  "User-Agent: vigil-demo\r\nAccept: */*\r\n\r\n";
		const char *resp = "HTTP/1.1 200 OK\r\nContent-Type: text/html\r\n"
				   "Content-Length: 27\r\n\r\n<html>hello, gateway</html>";
		/* DNS lookup then the HTTP fetch */
		struct pg_ep cd = c;
		cd.port = (uint16_t)(cd.port + 1);
		pg_udp(&pk, &cd, &dns, dns_q, sizeof(dns_q) - 1, 0); emit();
		pg_udp(&pk, &dns, &cd, dns_r, sizeof(dns_r) - 1, 0); emit();
		tcp_session(&c, &s, req, resp, 0, false);
		/* an exploit-looking request sent out of order */
		struct pg_ep c2 = c;
		c2.port = (uint16_t)(c2.port + 2);
		tcp_session(&c2, &s, "GET /cgi-bin/../../../../etc/passwd HTTP/1.1\r\nHost: x\r\n\r\n",
			    "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n", 0, true);
		/* IPv6 and VLAN-tagged sessions */
		pg_ep6(&c6, "fd00::10", 41000);
		pg_ep6(&s6, "2001:db8::80", 443);
		tcp_session(&c6, &s6, "\x16\x03\x01\x00\x05hello", "\x16\x03\x03\x00\x05world", 0,
			    false);
		pg_ep4(&vc, "192.168.10.5", 50000);
		pg_ep4(&vs, "192.168.20.5", 22);
		tcp_session(&vc, &vs, "SSH-2.0-OpenSSH_9.2\r\n", "SSH-2.0-OpenSSH_9.2\r\n", 10, false);
		/* ping */
		pg_icmp_echo(&pk, &c, &s, false, 7, 1); emit();
		pg_icmp_echo(&pk, &s, &c, true, 7, 1); emit();
		/* a fragmented UDP datagram */
		uint8_t big[3000];
		memset(big, 'F', sizeof(big));
		struct pg_ep fu = c, fs;
		fu.port = 5353;
		pg_ep4(&fs, "10.139.1.2", 9999);
		pg_udp(&pk, &fu, &fs, big, sizeof(big), 0);
		struct pg_pkt frags[8];
		int nf = pg_ipv4_fragment(&pk, 1480, frags, 8);
		for (int i = nf; i-- > 0;) { /* last fragment first */
			pk = frags[i];
			emit();
		}
		/* a flow inside a GRE tunnel */
		struct pg_ep gc, gs;
		pg_ep4(&gc, "172.16.0.1", 33000);
		pg_ep4(&gs, "172.16.0.2", 80);
		pg_tcp(&pk, &gc, &gs, 1, 0, 0x02, NULL, 0, 0);
		pg_gre_wrap(&pk, "198.51.100.1", "198.51.100.2"); emit();
		/* overlapping segments with different data (evasion attempt) */
		struct pg_ep ec = c;
		ec.port = (uint16_t)(ec.port + 3);
		pg_tcp(&pk, &ec, &s, 1, 0, 0x02, NULL, 0, 0); emit();
		pg_tcp(&pk, &s, &ec, 9, 2, 0x12, NULL, 0, 0); emit();
		pg_tcp(&pk, &ec, &s, 2, 10, 0x10, NULL, 0, 0); emit();
		pg_tcp(&pk, &ec, &s, 6, 10, 0x18, "XXXXXXXX", 8, 0); emit();
		pg_tcp(&pk, &ec, &s, 6, 10, 0x18, "evil/etc", 8, 0); emit();
		pg_tcp(&pk, &ec, &s, 2, 10, 0x18, "GET ", 4, 0); emit();
		/* malformed: IPv4 total length past the capture; bad TCP offset */
		pg_tcp(&pk, &c, &s, 1, 1, 0x10, "abc", 3, 0);
		pk.buf[16] = 0x0f; pk.buf[17] = 0xff; emit();
		pg_tcp(&pk, &c, &s, 1, 1, 0x10, "abc", 3, 0);
		pk.buf[14 + 20 + 12] = 0x10; emit();
		ts += 2000000;
	}
	fclose(out);
	return 0;
}
