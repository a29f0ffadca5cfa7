/*
 * app.c - protocol detection and dispatch to the parsers.
 *
 * Detection by content: TLS (a handshake record: 16 03 0x), HTTP (a
 * method and a space, or "HTTP/1."), SSH ("SSH-"), DNS over TCP (a 2-byte
 * length and a plausible header) and over UDP (a plausible header; port 53
 * or 5353 only as a tie-breaker for short or odd messages).  A flow whose
 * first bytes in both directions match nothing is "failed".  TCP DNS
 * messages are reassembled from the stream with their length prefix in a
 * small per-direction buffer (capped at 64 KiB, the protocol's maximum).
 */
#include "app.h"

#include <string.h>

#include <ctype.h>

#include <openssl/evp.h>
#include <stdio.h>

#include "alloc.h"
#include "cursor.h"
#include "stream.h"
#include "util.h"

const char *const alproto_names[ALP_MAX] = { "unknown", "failed", "dns", "tls", "http",
					     "ssh" };

int alproto_lookup(const char *name)
{
	for (int i = ALP_DNS; i < ALP_MAX; i++)
		if (!strcmp(alproto_names[i], name))
			return i;
	if (!strcmp(name, "ssl"))
		return ALP_TLS;
	if (!strcmp(name, "http1"))
		return ALP_HTTP;
	return -1;
}

struct app_flow {
	bool seen[2];
	/* DNS over TCP: a message being reassembled per direction */
	uint8_t *buf[2];
	uint32_t len[2];
	/* TLS: the first record of each direction (the hellos), collected */
	struct tls_rec {
		uint8_t *buf;
		uint32_t len;
		bool done;
	} hello[2];
	struct http_dir http[2];
	/* TLS: what eve needs */
	bool tls_logged;
	char sni[256];
	uint16_t sni_len, cver, sver;
	char ja3_hash[33], ja3s_hash[33];
	char ja3[1024], ja3s[512];
	struct http_msg req, resp;
	bool head_pending;        /* the last request was HEAD: no response body */
};

static void msg_free(struct http_msg *m)
{
	v_free(m->buf);
	v_free(m->norm);
	memset(m, 0, sizeof(*m));
}

#define REBASE(m, base, f) \
	((m)->h.f = (m)->h.f ? (m)->buf + ((m)->h.f - (base)) : NULL)

/* Copies head h (views into base) into m and derives its fields. */
static bool msg_copy(struct http_msg *m, const struct http_head *h, const uint8_t *base,
		     uint32_t len)
{
	uint8_t *nb = v_realloc(m->buf, len ? len : 1);
	if (!nb)
		return false;
	m->buf = nb;
	memcpy(m->buf, base, len);
	m->len = len;
	m->h = *h;
	REBASE(m, base, line); REBASE(m, base, method); REBASE(m, base, uri);
	REBASE(m, base, proto); REBASE(m, base, status); REBASE(m, base, msg);
	REBASE(m, base, headers);
	size_t nsz = 4;
	for (unsigned i = 0; i < h->nhdr; i++) {
		REBASE(m, base, hdr[i].name);
		REBASE(m, base, hdr[i].val);
		nsz += 2u * h->hdr[i].name_len + h->hdr[i].val_len + 6;
	}
	uint8_t *norm = v_realloc(m->norm, nsz);
	if (!norm)
		return false;
	m->norm = norm;
	/* http.header: "Name: value\r\n" per header; http.header_names:
	 * "\r\nName\r\n...\r\n\r\n" (Suricata's forms) */
	uint32_t o = 0;
	for (unsigned i = 0; i < h->nhdr; i++) {
		memcpy(norm + o, m->h.hdr[i].name, m->h.hdr[i].name_len);
		o += m->h.hdr[i].name_len;
		norm[o++] = ':';
		norm[o++] = ' ';
		memcpy(norm + o, m->h.hdr[i].val, m->h.hdr[i].val_len);
		o += m->h.hdr[i].val_len;
		norm[o++] = '\r';
		norm[o++] = '\n';
	}
	m->norm_len = o;
	m->names_off = o;
	norm[o++] = '\r';
	norm[o++] = '\n';
	for (unsigned i = 0; i < h->nhdr; i++) {
		memcpy(norm + o, m->h.hdr[i].name, m->h.hdr[i].name_len);
		o += m->h.hdr[i].name_len;
		norm[o++] = '\r';
		norm[o++] = '\n';
	}
	norm[o++] = '\r';
	norm[o++] = '\n';
	m->names_len = o - m->names_off;
	m->host_len = 0;
	const struct http_hdr *host = http_header(&m->h, "host");
	if (host) {
		uint32_t n = 0;
		for (uint32_t i = 0; i < host->val_len && n < sizeof(m->host) - 1; i++) {
			uint8_t ch = host->val[i];
			if (ch == ':' && (i == 0 || host->val[0] != '['))
				break; /* the port */
			m->host[n++] = (char)tolower(ch);
		}
		m->host[n] = '\0';
		m->host_len = (uint16_t)n;
	}
	m->valid = true;
	m->logged = false;
	return true;
}

struct http_cb {
	struct app_ctx *a;
	struct app_flow *af;
};

static void on_http_head(void *ctx, bool request, struct http_head *h)
{
	struct http_cb *cb = ctx;
	struct app_flow *af = cb->af;
	struct http_dir *d = &af->http[request ? 0 : 1];
	struct http_msg *m = request ? &af->req : &af->resp;
	if (!msg_copy(m, h, d->head, d->head_len))
		return;
	if (request) {
		af->head_pending = h->method_len == 4 && !memcmp(h->method, "HEAD", 4);
		cb->a->tx.http_req = m;
	} else {
		cb->a->tx.http_resp = m;
		/* 1xx are interim, except 101, which ends the HTTP exchange */
		if ((h->code / 100 != 1 || h->code == 101) && af->req.valid && !af->req.logged)
			cb->a->tx.http_log = true;
	}
}

const struct http_msg *app_http_unlogged(struct flow *f)
{
	struct app_flow *af = f->app;
	if (!af || f->alproto != ALP_HTTP || !af->req.valid || af->req.logged)
		return NULL;
	af->req.logged = true;
	return &af->req;
}

bool app_tls_summary(const struct flow *f, struct app_tx *out)
{
	const struct app_flow *af = f->app;
	if (!af || f->alproto != ALP_TLS || !af->hello[0].done)
		return false;
	memcpy(out->tls_sni, af->sni, sizeof(out->tls_sni));
	out->tls_sni_len = af->sni_len;
	out->tls_version = af->cver;
	out->tls_server_version = af->sver;
	out->have_tls_server_hello = af->hello[1].done && af->sver;
	memcpy(out->ja3_hash, af->ja3_hash, sizeof(out->ja3_hash));
	str_lcpy(out->ja3, af->ja3, sizeof(out->ja3));
	out->ja3_len = (uint16_t)strlen(out->ja3);
	memcpy(out->ja3s_hash, af->ja3s_hash, sizeof(out->ja3s_hash));
	str_lcpy(out->ja3s, af->ja3s, sizeof(out->ja3s));
	out->ja3s_len = (uint16_t)strlen(out->ja3s);
	return true;
}

const struct http_msg *app_http_last_request(const struct flow *f)
{
	struct app_flow *af = f->app;
	if (!af || !af->req.valid)
		return NULL;
	af->req.logged = true;
	return &af->req;
}

void app_tx_reset(struct app_ctx *a)
{
	a->tx.have_dns = false;
	a->tx.have_tls_hello = false;
	a->tx.alproto = 0;
	a->tx.http_req = a->tx.http_resp = NULL;
	a->tx.http_log = false;
	a->tx.have_tls_server_hello = false;
	a->tx.tls_log = false;
}

void app_flow_free(struct flow *f)
{
	struct app_flow *af = f->app;
	if (!af)
		return;
	v_free(af->buf[0]);
	v_free(af->buf[1]);
	v_free(af->hello[0].buf);
	v_free(af->hello[1].buf);
	http_dir_free(&af->http[0]);
	http_dir_free(&af->http[1]);
	msg_free(&af->req);
	msg_free(&af->resp);
	v_free(af);
	f->app = NULL;
}

static const char *const http_methods[] = { "GET ", "POST ", "HEAD ", "PUT ", "DELETE ",
					    "OPTIONS ", "CONNECT ", "PATCH ", "TRACE " };

static int detect_tcp(const uint8_t *d, uint32_t n, const struct flow *f)
{
	if (n >= 3 && d[0] == 0x16 && d[1] == 0x03 && d[2] <= 0x04)
		return ALP_TLS;
	if (n >= 4 && !memcmp(d, "SSH-", 4))
		return ALP_SSH;
	if (n >= 7 && !memcmp(d, "HTTP/1.", 7))
		return ALP_HTTP;
	for (size_t i = 0; i < sizeof(http_methods) / sizeof(http_methods[0]); i++) {
		size_t l = strlen(http_methods[i]);
		if (n >= l && !memcmp(d, http_methods[i], l))
			return ALP_HTTP;
	}
	/* any other method: an upper-case token, a space, then a path ('/'),
	 * '*' or an absolute URI */
	size_t t = 0;
	while (t < n && t < 24 && ((d[t] >= 'A' && d[t] <= 'Z') || d[t] == '-' || d[t] == '_'))
		t++;
	if (t >= 3 && t < n - 1 && d[t] == ' ' &&
	    (d[t + 1] == '/' || d[t + 1] == '*' || (n - t > 8 && !memcmp(d + t + 1, "http", 4))))
		return ALP_HTTP;
	if (n >= 14 && (f->key.dp == 53 || f->key.sp == 53)) {
		struct dns_msg m;
		uint16_t ml = (uint16_t)(d[0] << 8 | d[1]);
		if (ml >= 12 && dns_parse(d + 2, MIN(n - 2u, ml), &m))
			return ALP_DNS;
	}
	return -1;
}

static bool grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

/* Appends "-n" (or "n" first) to a JA3 field. */
static void ja3_num(char *s, uint16_t *len, size_t cap, uint16_t v, bool *first)
{
	int n = snprintf(s + *len, cap - *len, "%s%u", *first ? "" : "-", v);
	if (n > 0 && (size_t)n < cap - *len)
		*len = (uint16_t)(*len + n);
	*first = false;
}

static void ja3_sep(char *s, uint16_t *len, size_t cap)
{
	if (*len + 1u < cap)
		s[(*len)++] = ',';
	s[*len] = '\0';
}

static void md5_hex(const char *s, size_t n, char out[static 33])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int ml = 0;
	static const char hx[] = "0123456789abcdef";
	if (!EVP_Digest(s, n, md, &ml, EVP_md5(), NULL) || ml != 16) {
		out[0] = '\0';
		return;
	}
	for (int i = 0; i < 16; i++) {
		out[2 * i] = hx[md[i] >> 4];
		out[2 * i + 1] = hx[md[i] & 15];
	}
	out[32] = '\0';
}

/* The handshake message of type want (1 ClientHello, 2 ServerHello) at
 * the start of the TLS record d/n, as a cursor; in error if it is not. */
static struct cursor tls_handshake(const uint8_t *d, uint32_t n, uint8_t want)
{
	struct cursor c, none = { NULL, NULL, true };
	cur_init(&c, d, n);
	/* record: type(1) version(2) length(2); handshake: type(1) len(3) */
	if (cur_u8(&c) != 0x16)
		return none;
	cur_skip(&c, 2);
	struct cursor rec = cur_sub(&c, cur_be16(&c));
	if (rec.err || cur_u8(&rec) != want)
		return none;
	return cur_sub(&rec, cur_be24(&rec));
}

/* TLS ClientHello: SNI, the offered version, JA3
 * (version,ciphers,extensions,groups,point formats; GREASE left out). */
static void tls_client_hello(struct app_ctx *a, const uint8_t *d, uint32_t n)
{
	struct cursor hs = tls_handshake(d, n, 1);
	uint16_t legacy = cur_be16(&hs);
	cur_skip(&hs, 32);                 /* random */
	cur_skip(&hs, cur_u8(&hs));        /* session id */
	struct cursor cs = cur_sub(&hs, cur_be16(&hs));
	cur_skip(&hs, cur_u8(&hs));        /* compression */
	if (hs.err)
		return;
	struct app_tx *t = &a->tx;
	t->have_tls_hello = true;
	t->tls_version = legacy;
	t->tls_sni_len = 0;
	char *j = t->ja3;
	uint16_t jl = 0;
	size_t cap = sizeof(t->ja3);
	bool first = true;
	j[0] = '\0';
	ja3_num(j, &jl, cap, legacy, &first);
	ja3_sep(j, &jl, cap);
	first = true;
	while (cur_left(&cs) >= 2) {
		uint16_t v = cur_be16(&cs);
		if (!grease(v))
			ja3_num(j, &jl, cap, v, &first);
	}
	ja3_sep(j, &jl, cap);
	char groups[512] = "", fmts[128] = "";
	uint16_t gl = 0, fl = 0;
	bool gfirst = true, ffirst = true;
	first = true;
	struct cursor ext = cur_sub(&hs, cur_be16(&hs));
	for (unsigned i = 0; i < 64 && cur_left(&ext) >= 4; i++) {
		uint16_t type = cur_be16(&ext);
		struct cursor e = cur_sub(&ext, cur_be16(&ext));
		if (e.err)
			break;
		if (!grease(type))
			ja3_num(j, &jl, cap, type, &first);
		if (type == 0) { /* server_name: list len, type 0, name */
			cur_skip(&e, 2);
			if (cur_u8(&e) != 0)
				continue;
			uint16_t l = cur_be16(&e);
			const uint8_t *name = cur_bytes(&e, l);
			if (name) {
				uint16_t k = (uint16_t)MIN(l, sizeof(t->tls_sni) - 1);
				memcpy(t->tls_sni, name, k);
				t->tls_sni[k] = '\0';
				t->tls_sni_len = k;
			}
		} else if (type == 43) { /* supported_versions: the highest */
			uint8_t l = cur_u8(&e);
			for (unsigned k = 0; k + 2 <= l && cur_left(&e) >= 2; k += 2) {
				uint16_t v = cur_be16(&e);
				if (!grease(v) && v > t->tls_version)
					t->tls_version = v;
			}
		} else if (type == 10) { /* supported_groups */
			struct cursor g = cur_sub(&e, cur_be16(&e));
			while (cur_left(&g) >= 2) {
				uint16_t v = cur_be16(&g);
				if (!grease(v))
					ja3_num(groups, &gl, sizeof(groups), v, &gfirst);
			}
		} else if (type == 11) { /* ec_point_formats */
			struct cursor g = cur_sub(&e, cur_u8(&e));
			while (cur_left(&g) >= 1)
				ja3_num(fmts, &fl, sizeof(fmts), cur_u8(&g), &ffirst);
		}
	}
	ja3_sep(j, &jl, cap);
	int k = snprintf(j + jl, cap - jl, "%s,%s", groups, fmts);
	if (k > 0 && (size_t)k < cap - jl)
		jl = (uint16_t)(jl + k);
	t->ja3_len = jl;
	md5_hex(j, jl, t->ja3_hash);
}

/* TLS ServerHello: negotiated version, JA3S (version,cipher,extensions). */
static void tls_server_hello(struct app_ctx *a, const uint8_t *d, uint32_t n)
{
	struct cursor hs = tls_handshake(d, n, 2);
	uint16_t legacy = cur_be16(&hs);
	cur_skip(&hs, 32);
	cur_skip(&hs, cur_u8(&hs));
	uint16_t cipher = cur_be16(&hs);
	cur_skip(&hs, 1);
	if (hs.err)
		return;
	struct app_tx *t = &a->tx;
	t->have_tls_server_hello = true;
	t->tls_server_version = legacy;
	char *j = t->ja3s;
	uint16_t jl = 0;
	size_t cap = sizeof(t->ja3s);
	bool first = true;
	j[0] = '\0';
	ja3_num(j, &jl, cap, legacy, &first);
	ja3_sep(j, &jl, cap);
	first = true;
	ja3_num(j, &jl, cap, cipher, &first);
	ja3_sep(j, &jl, cap);
	first = true;
	struct cursor ext = cur_sub(&hs, cur_be16(&hs));
	for (unsigned i = 0; i < 64 && cur_left(&ext) >= 4; i++) {
		uint16_t type = cur_be16(&ext);
		struct cursor e = cur_sub(&ext, cur_be16(&ext));
		if (e.err)
			break;
		ja3_num(j, &jl, cap, type, &first);
		if (type == 43 && cur_left(&e) >= 2)
			t->tls_server_version = cur_be16(&e);
	}
	t->ja3s_len = jl;
	md5_hex(j, jl, t->ja3s_hash);
}

const char *tls_version_name(uint16_t v)
{
	switch (v) {
	case 0x0300: return "SSLv3";
	case 0x0301: return "TLS 1.0";
	case 0x0302: return "TLS 1.1";
	case 0x0303: return "TLS 1.2";
	case 0x0304: return "TLS 1.3";
	}
	return "UNDETERMINED";
}

#define TLS_HELLO_MAX (16 * 1024 + 5)

/* Adds stream data to a direction's first record; true once it is whole
 * (or the cap is reached), after which the caller parses and frees it. */
static bool tls_rec_collect(struct tls_rec *t, const uint8_t *data, uint32_t len)
{
	if (!t->buf && !(t->buf = v_malloc(TLS_HELLO_MAX)))
		return false;
	uint32_t k = MIN(len, TLS_HELLO_MAX - t->len);
	memcpy(t->buf + t->len, data, k);
	t->len += k;
	if (t->len < 5)
		return false;
	uint32_t need = 5u + (uint32_t)(t->buf[3] << 8 | t->buf[4]);
	if (t->len < need && t->len < TLS_HELLO_MAX)
		return false;
	t->done = true;
	return true;
}

static void tls_rec_free(struct tls_rec *t)
{
	v_free(t->buf);
	t->buf = NULL;
}
#define DNS_TCP_MAX (64 * 1024 + 2)

void app_stream_data(struct app_ctx *a, struct flow *f, int dir, const uint8_t *data,
		     uint32_t len, unsigned flags)
{
	if (!len || f->alproto == ALP_FAILED)
		return;
	struct app_flow *af = f->app;
	if (!af && !(af = f->app = v_calloc(1, sizeof(*af))))
		return;
	if (flags & STREAM_GAP) {
		af->len[dir] = 0; /* resynchronise after a gap */
		if (f->alproto == ALP_UNKNOWN)
			f->alproto = ALP_FAILED;
		return;
	}
	if (f->alproto == ALP_UNKNOWN) {
		int p = detect_tcp(data, len, f);
		if (p > 0) {
			f->alproto = (uint16_t)p;
		} else {
			af->seen[dir] = true;
			if (af->seen[0] && af->seen[1])
				f->alproto = ALP_FAILED;
			return;
		}
	}
	a->tx.alproto = (uint8_t)f->alproto;
	if (f->alproto == ALP_TLS && !af->hello[dir].done) {
		struct tls_rec *t = &af->hello[dir];
		if (!tls_rec_collect(t, data, len))
			return;
		if (dir == 0) {
			tls_client_hello(a, t->buf, t->len);
			if (a->tx.have_tls_hello) {
				memcpy(af->sni, a->tx.tls_sni, sizeof(af->sni));
				af->sni_len = a->tx.tls_sni_len;
				af->cver = a->tx.tls_version;
				memcpy(af->ja3_hash, a->tx.ja3_hash, sizeof(af->ja3_hash));
				str_lcpy(af->ja3, a->tx.ja3, sizeof(af->ja3));
			}
		} else {
			tls_server_hello(a, t->buf, t->len);
			if (a->tx.have_tls_server_hello && !af->tls_logged) {
				af->sver = a->tx.tls_server_version;
				memcpy(af->ja3s_hash, a->tx.ja3s_hash, sizeof(af->ja3s_hash));
				str_lcpy(af->ja3s, a->tx.ja3s, sizeof(af->ja3s));
				a->tx.tls_log = true;
				af->tls_logged = true;
			}
		}
		tls_rec_free(t);
	} else if (f->alproto == ALP_HTTP) {
		struct http_cb cb = { a, af };
		http_feed(&af->http[dir], dir == 0, data, len, on_http_head, &cb, af->head_pending);
	} else if (f->alproto == ALP_DNS) {
		/* length-prefixed messages */
		while (len) {
			if (!af->buf[dir] && !(af->buf[dir] = v_malloc(DNS_TCP_MAX)))
				return;
			uint32_t need = af->len[dir] >= 2 ? 2u + (uint32_t)(af->buf[dir][0] << 8 |
									 af->buf[dir][1])
							  : 2;
			uint32_t k = MIN(len, need - af->len[dir]);
			memcpy(af->buf[dir] + af->len[dir], data, k);
			af->len[dir] += k;
			data += k;
			len -= k;
			if (af->len[dir] < need)
				continue;
			if (need == 2) { /* the length is in */
				if (!af->buf[dir][0] && !af->buf[dir][1])
					af->len[dir] = 0; /* an empty message: skip it */
				continue;
			}
			if (dns_parse(af->buf[dir] + 2, need - 2, &a->tx.dns))
				a->tx.have_dns = true;
			af->len[dir] = 0;
		}
	}
}

void app_udp(struct app_ctx *a, struct flow *f, struct packet *p)
{
	if (!p->payload_len || f->alproto == ALP_FAILED)
		return;
	bool dns_port = p->sp == 53 || p->dp == 53 || p->sp == 5353 || p->dp == 5353;
	if (f->alproto == ALP_UNKNOWN || f->alproto == ALP_DNS) {
		if (dns_parse(p->payload, p->payload_len, &a->tx.dns) &&
		    (dns_port || f->alproto == ALP_DNS || a->tx.dns.nq > 0)) {
			if (f->alproto == ALP_UNKNOWN && (dns_port || !a->tx.dns.truncated_parse))
				f->alproto = ALP_DNS;
			if (f->alproto == ALP_DNS) {
				a->tx.have_dns = true;
				a->tx.alproto = ALP_DNS;
				return;
			}
		}
		if (f->alproto == ALP_UNKNOWN && f->pkts[0] + f->pkts[1] >= 4)
			f->alproto = ALP_FAILED;
	}
}
