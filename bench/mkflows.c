/*
 * mkflows.c - a capture of N HTTP and N TLS connections that are all open
 * at once, for the app layer's memory benchmark (bench/app.sh).
 *
 * Every connection gets its handshake first, then every HTTP connection
 * its request and a response head with the first 1,000 bytes of a
 * 100,000-byte body, and every TLS connection its ClientHello and the
 * server's ServerHello, Certificate (a real self-signed certificate made
 * here) and ServerHelloDone.  No connection is closed, so at the end of the
 * capture the app layer holds the state of all 2N flows: HTTP heads and a
 * body buffer in progress, TLS handshake fields and a certificate chain.
 *   usage: vigil-mkflows OUT.pcap N
 */
#include <stdlib.h>
#include <string.h>

#include "pktgen.h"

static FILE *out;
static uint64_t ts = 1700000000ULL * 1000000;
static struct pg_pkt pk;

static void emit(void)
{
	ts += 10;
	pg_pcap_write(out, ts, pk.buf, pk.len);
}

static uint32_t put24(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 16);
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)v;
	return 3;
}

/* A TLS record of type 22 around handshake bytes. */
static uint32_t record(uint8_t *o, const uint8_t *hs, uint32_t n)
{
	o[0] = 22; o[1] = 3; o[2] = 3; o[3] = (uint8_t)(n >> 8); o[4] = (uint8_t)n;
	memcpy(o + 5, hs, n);
	return n + 5;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: vigil-mkflows OUT.pcap N\n");
		return 2;
	}
	int n = atoi(argv[2]);
	if (n < 1 || n > 60000) {
		fprintf(stderr, "N must be 1..60000\n");
		return 2;
	}
	out = pg_pcap_open(argv[1], 1);
	if (!out) {
		perror(argv[1]);
		return 1;
	}
	uint8_t der[1024];
	int dl = pg_self_signed(der, sizeof(der), 4242, "bench", "bench.example");
	if (dl < 0) {
		fprintf(stderr, "certificate generation failed\n");
		return 1;
	}
	/* a browser-like ClientHello: ciphers, SNI, ALPN, groups, sigalgs */
	static uint8_t ch[512], sh[2048], rec[4096];
	uint32_t o = 0;
	ch[o++] = 1; o += 3;
	ch[o++] = 3; ch[o++] = 3;
	memset(ch + o, 0x11, 32); o += 32;
	ch[o++] = 0;
	static const uint16_t ciphers[] = { 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030,
					    0xcca9, 0xcca8, 0xc013, 0xc014, 0x009c, 0x009d, 0x002f };
	ch[o++] = 0; ch[o++] = (uint8_t)(2 * sizeof(ciphers) / sizeof(ciphers[0]));
	for (size_t i = 0; i < sizeof(ciphers) / sizeof(ciphers[0]); i++) {
		ch[o++] = (uint8_t)(ciphers[i] >> 8);
		ch[o++] = (uint8_t)ciphers[i];
	}
	ch[o++] = 1; ch[o++] = 0;
	uint32_t ext_at = o;
	o += 2;
	static const uint8_t exts[] = {
		0x00, 0x00, 0x00, 0x14, 0x00, 0x12, 0x00, 0x00, 0x0f, /* SNI */
		'w', 'w', 'w', '.', 'e', 'x', 'a', 'm', 'p', 'l', 'e', '.', 'o', 'r', 'g',
		0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02, 'h', '2', 0x08, 'h', 't', 't', 'p', '/', '1', '.', '1',
		0x00, 0x0a, 0x00, 0x08, 0x00, 0x06, 0x00, 0x1d, 0x00, 0x17, 0x00, 0x18,
		0x00, 0x0b, 0x00, 0x02, 0x01, 0x00,
		0x00, 0x0d, 0x00, 0x08, 0x00, 0x06, 0x04, 0x03, 0x08, 0x04, 0x04, 0x01,
		0x00, 0x17, 0x00, 0x00,
	};
	memcpy(ch + o, exts, sizeof(exts));
	o += sizeof(exts);
	ch[ext_at] = (uint8_t)((o - ext_at - 2) >> 8);
	ch[ext_at + 1] = (uint8_t)(o - ext_at - 2);
	put24(ch + 1, o - 4);
	uint32_t chl = o;
	/* ServerHello + Certificate + ServerHelloDone */
	o = 0;
	sh[o++] = 2; o += put24(sh + o, 38);
	sh[o++] = 3; sh[o++] = 3;
	memset(sh + o, 0x22, 32); o += 32;
	sh[o++] = 0; sh[o++] = 0xc0; sh[o++] = 0x2f; sh[o++] = 0;
	sh[o++] = 11;
	o += put24(sh + o, (uint32_t)dl + 6);
	o += put24(sh + o, (uint32_t)dl + 3);
	o += put24(sh + o, (uint32_t)dl);
	memcpy(sh + o, der, (size_t)dl);
	o += (uint32_t)dl;
	sh[o++] = 14; o += put24(sh + o, 0);
	uint32_t shl = o;

	static char body[1000];
	memset(body, 'x', sizeof(body));
	struct pg_ep srv_http, srv_tls;
	pg_ep4(&srv_http, "192.0.2.80", 80);
	pg_ep4(&srv_tls, "192.0.2.43", 443);
	for (int phase = 0; phase < 3; phase++) {
		for (int i = 0; i < 2 * n; i++) {
			bool tls = i >= n;
			int k = tls ? i - n : i;
			char ip[32];
			snprintf(ip, sizeof(ip), "10.%d.%d.%d", tls ? 2 : 1, (k >> 8) & 255, k & 255);
			struct pg_ep c;
			pg_ep4(&c, ip, (uint16_t)(20000 + (k >> 16)));
			const struct pg_ep *s = tls ? &srv_tls : &srv_http;
			uint32_t cs = 1000, ss = 50000;
			if (phase == 0) {
				pg_tcp(&pk, &c, s, cs, 0, 0x02, NULL, 0, 0); emit();
				pg_tcp(&pk, s, &c, ss, cs + 1, 0x12, NULL, 0, 0); emit();
				pg_tcp(&pk, &c, s, cs + 1, ss + 1, 0x10, NULL, 0, 0); emit();
			} else if (phase == 1) {
				char req[256];
				uint32_t rl = tls ? record(rec, ch, chl)
						  : (uint32_t)snprintf(req, sizeof(req),
								       "GET /files/%d.bin HTTP/1.1\r\nHost: www.example.org\r\n"
								       "User-Agent: Mozilla/5.0 (X11; Linux x86_64)\r\n"
								       "Accept: */*\r\n\r\n", k);
				pg_tcp(&pk, &c, s, cs + 1, ss + 1, 0x18, tls ? (const void *)rec : req, rl, 0);
				emit();
			} else {
				static char resp[1400];
				uint32_t rl;
				if (tls) {
					rl = record((uint8_t *)resp, sh, shl);
				} else {
					int hl = snprintf(resp, sizeof(resp),
							  "HTTP/1.1 200 OK\r\nServer: bench\r\nContent-Type: application/octet-stream\r\n"
							  "Content-Length: 100000\r\n\r\n");
					memcpy(resp + hl, body, sizeof(body));
					rl = (uint32_t)hl + sizeof(body);
				}
				pg_tcp(&pk, s, &c, ss + 1, cs + 1, 0x18, resp, rl, 0);
				emit();
			}
		}
	}
	fclose(out);
	return 0;
}
