/*
 * pktgen.c - see pktgen.h.
 */
#include "pktgen.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

static uint32_t sum16(uint32_t s, const uint8_t *p, uint32_t n)
{
	for (uint32_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

void pg_ep4(struct pg_ep *e, const char *ip, uint16_t port)
{
	memset(e, 0, sizeof(*e));
	inet_pton(AF_INET, ip, e->ip);
	e->port = port;
}

void pg_ep6(struct pg_ep *e, const char *ip, uint16_t port)
{
	memset(e, 0, sizeof(*e));
	inet_pton(AF_INET6, ip, e->ip);
	e->port = port;
	e->v6 = true;
}

/* Writes Ethernet (+VLAN) and the IP header; returns the L4 offset. */
static uint32_t ip_head(struct pg_pkt *p, const struct pg_ep *s, const struct pg_ep *d,
			uint8_t proto, uint32_t l4len, uint16_t vlan)
{
	static uint16_t ipid = 1000;
	uint8_t *b = p->buf;
	memcpy(b, "\x00\x16\x3e\x00\x00\x02\x00\x16\x3e\x00\x00\x01", 12);
	uint32_t o = 12;
	if (vlan) {
		put16(b + o, 0x8100);
		put16(b + o + 2, vlan);
		o += 4;
	}
	put16(b + o, s->v6 ? 0x86dd : 0x0800);
	o += 2;
	if (!s->v6) {
		uint8_t *ip = b + o;
		memset(ip, 0, 20);
		ip[0] = 0x45;
		put16(ip + 2, (uint16_t)(20 + l4len));
		put16(ip + 4, ipid++);
		ip[8] = 64;
		ip[9] = proto;
		memcpy(ip + 12, s->ip, 4);
		memcpy(ip + 16, d->ip, 4);
		put16(ip + 10, fold(sum16(0, ip, 20)));
		o += 20;
	} else {
		uint8_t *ip = b + o;
		memset(ip, 0, 40);
		ip[0] = 0x60;
		put16(ip + 4, (uint16_t)l4len);
		ip[6] = proto;
		ip[7] = 64;
		memcpy(ip + 8, s->ip, 16);
		memcpy(ip + 24, d->ip, 16);
		o += 40;
	}
	return o;
}

static uint32_t pseudo(const struct pg_ep *s, const struct pg_ep *d, uint8_t proto, uint32_t len)
{
	uint32_t x = sum16(0, s->ip, s->v6 ? 16 : 4);
	x = sum16(x, d->ip, s->v6 ? 16 : 4);
	return x + proto + len;
}

void pg_tcp(struct pg_pkt *p, const struct pg_ep *s, const struct pg_ep *d, uint32_t seq,
	    uint32_t ack, uint8_t flags, const void *data, uint32_t len, uint16_t vlan)
{
	uint32_t hl = (flags & 0x02) ? 24 : 20;
	uint32_t o = ip_head(p, s, d, 6, hl + len, vlan);
	uint8_t *t = p->buf + o;
	memset(t, 0, hl);
	put16(t, s->port);
	put16(t + 2, d->port);
	put32(t + 4, seq);
	put32(t + 8, ack);
	t[12] = (uint8_t)((hl / 4) << 4);
	t[13] = flags;
	put16(t + 14, 65535);
	if (hl == 24) {
		t[20] = 2;
		t[21] = 4;
		put16(t + 22, 1460);
	}
	if (len)
		memcpy(t + hl, data, len);
	put16(t + 16, fold(sum16(pseudo(s, d, 6, hl + len), t, hl + len)));
	p->len = o + hl + len;
}

void pg_udp(struct pg_pkt *p, const struct pg_ep *s, const struct pg_ep *d, const void *data,
	    uint32_t len, uint16_t vlan)
{
	uint32_t o = ip_head(p, s, d, 17, 8 + len, vlan);
	uint8_t *u = p->buf + o;
	put16(u, s->port);
	put16(u + 2, d->port);
	put16(u + 4, (uint16_t)(8 + len));
	put16(u + 6, 0);
	memcpy(u + 8, data, len);
	uint16_t c = fold(sum16(pseudo(s, d, 17, 8 + len), u, 8 + len));
	put16(u + 6, c ? c : 0xffff);
	p->len = o + 8 + len;
}

void pg_icmp_echo(struct pg_pkt *p, const struct pg_ep *s, const struct pg_ep *d, bool reply,
		  uint16_t id, uint16_t seq)
{
	uint8_t proto = s->v6 ? 58 : 1;
	uint32_t o = ip_head(p, s, d, proto, 8 + 32, 0);
	uint8_t *m = p->buf + o;
	memset(m, 0, 40);
	m[0] = s->v6 ? (reply ? 129 : 128) : (reply ? 0 : 8);
	put16(m + 4, id);
	put16(m + 6, seq);
	for (int i = 0; i < 32; i++)
		m[8 + i] = (uint8_t)('a' + i % 26);
	uint32_t x = s->v6 ? pseudo(s, d, 58, 40) : 0;
	put16(m + 2, fold(sum16(x, m, 40)));
	p->len = o + 40;
}

int pg_ipv4_fragment(const struct pg_pkt *p, uint32_t fp, struct pg_pkt *out, int max)
{
	const uint8_t *ip = p->buf + 14;
	uint32_t hl = (ip[0] & 15u) * 4, tot = (uint32_t)(ip[2] << 8 | ip[3]);
	uint32_t dl = tot - hl;
	int n = 0;
	for (uint32_t off = 0; off < dl && n < max; off += fp, n++) {
		uint32_t len = dl - off < fp ? dl - off : fp;
		struct pg_pkt *f = &out[n];
		memcpy(f->buf, p->buf, 14 + hl);
		uint8_t *fi = f->buf + 14;
		put16(fi + 2, (uint16_t)(hl + len));
		put16(fi + 6, (uint16_t)((off / 8) | (off + len < dl ? 0x2000 : 0)));
		put16(fi + 10, 0);
		put16(fi + 10, fold(sum16(0, fi, hl)));
		memcpy(fi + hl, ip + hl + off, len);
		f->len = 14 + hl + len;
	}
	return n;
}

/* The packet's IP datagram inside an outer IPv4 header of protocol
 * proto (proto 0: IP-in-IP or 6in4 by the datagram's version), after a
 * GRE header when gre. */
static void ipv4_wrap(struct pg_pkt *p, const char *osrc, const char *odst, uint8_t proto, bool gre)
{
	uint8_t inner[70000];
	uint32_t ilen = p->len - 14, hl = gre ? 4 : 0;
	uint16_t etype = (uint16_t)(p->buf[12] << 8 | p->buf[13]);
	memcpy(inner, p->buf + 14, ilen);
	struct pg_ep s, d;
	pg_ep4(&s, osrc, 0);
	pg_ep4(&d, odst, 0);
	if (!proto)
		proto = etype == 0x86dd ? 41 : 4;
	uint32_t o = ip_head(p, &s, &d, proto, hl + ilen, 0);
	if (gre) {
		put16(p->buf + o, 0);
		put16(p->buf + o + 2, etype);
	}
	memcpy(p->buf + o + hl, inner, ilen);
	p->len = o + hl + ilen;
}

void pg_gre_wrap(struct pg_pkt *p, const char *osrc, const char *odst)
{
	ipv4_wrap(p, osrc, odst, 47, true);
}

void pg_ipip_wrap(struct pg_pkt *p, const char *osrc, const char *odst)
{
	ipv4_wrap(p, osrc, odst, 0, false);
}

FILE *pg_pcap_open(const char *path, uint32_t linktype)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		return NULL;
	uint32_t hdr[6] = { 0xa1b2c3d4, 0x00040002, 0, 0, 262144, linktype };
	fwrite(hdr, sizeof(hdr), 1, f);
	return f;
}

void pg_pcap_write(FILE *f, uint64_t ts, const uint8_t *data, uint32_t len)
{
	uint32_t rec[4] = { (uint32_t)(ts / 1000000), (uint32_t)(ts % 1000000), len, len };
	fwrite(rec, sizeof(rec), 1, f);
	fwrite(data, len, 1, f);
}

int pg_self_signed(uint8_t *der, int cap, long serial, const char *org, const char *cn)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	int l = -1;
	if (k && x) {
		ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
		X509_gmtime_adj(X509_getm_notBefore(x), 0);
		X509_gmtime_adj(X509_getm_notAfter(x), 86400);
		X509_NAME *n = X509_get_subject_name(x);
		X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"US", -1, -1, 0);
		X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)org, -1, -1, 0);
		X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
		X509_set_issuer_name(x, n);
		X509_set_pubkey(x, k);
		/* subjectAltName: the CN and www.CN */
		char san[300];
		snprintf(san, sizeof(san), "DNS:%s,DNS:www.%s", cn, cn);
		X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name, san);
		if (ext) {
			X509_add_ext(x, ext, -1);
			X509_EXTENSION_free(ext);
		}
		if (X509_sign(x, k, EVP_sha256()) > 0) {
			l = i2d_X509(x, NULL);
			unsigned char *p = der;
			if (l <= 0 || l > cap)
				l = -1;
			else
				i2d_X509(x, &p);
		}
	}
	X509_free(x);
	EVP_PKEY_free(k);
	return l;
}
