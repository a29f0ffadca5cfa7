/*
 * http2.c - HTTP/2 (RFC 9113) and DNS over HTTP/2 (RFC 8484).
 *
 * h2_feed takes the bytes of one direction from any source: reassembled
 * TCP here, decrypted TLS from the inspecting proxy later; nothing in this
 * file knows about packets.  The client's connection preface, then frames:
 *
 *   +-----------------------------------------------+
 *   |                 Length (24)                   |
 *   +---------------+---------------+---------------+
 *   |   Type (8)    |   Flags (8)   |
 *   +-+-------------+---------------+-------------------------------+
 *   |R|                 Stream Identifier (31)                      |
 *   +=+=============================================================+
 *   |                   Frame Payload (0...)                      ...
 *   +---------------------------------------------------------------+
 *
 * DATA payloads stream through (their padding skipped), every other
 * frame is gathered whole (up to H2_FRAME_KEEP bytes; longer ones are
 * passed over with an event).  Header blocks (HEADERS or PUSH_PROMISE and
 * their CONTINUATIONs, up to H2_BLOCK_MAX bytes and H2_CONT_MAX frames) go
 * through Debian's libnghttp2 HPACK decoder, one per direction, its memory
 * charged to the app memcap through a counting allocator.
 *
 * Each stream is a transaction (struct h2_tx, app.h), as in Suricata;
 * every frame on stream 0 (SETTINGS, PING, GOAWAY, WINDOW_UPDATE) is one
 * of its own, complete at once.  At most H2_MAX_TX are open; a stream
 * past that raises too_many_streams and takes the slot of the stream idle
 * longest (one with a file open excepted), so parked streams cannot hide
 * new ones; only when every slot has a file open is it not followed.  Flow control is
 * not tracked.  DATA is decoded as Content-Encoding says (gzip, deflate,
 * br) into the body the rules see (capped by the HTTP body limits) and
 * into the file it is (digests, magic).  A request GET ...?dns=<base64url>
 * or a message of type application/dns-message carries a DNS message
 * (up to 65535 bytes), parsed by dns.c into the dns buffers.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include <nghttp2/nghttp2.h>

#include "app_int.h"
#include "cursor.h"
#include "json.h"
#include "util.h"

#define H2_PREFACE "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define H2_PREFACE_LEN 24

enum { F_DATA, F_HEADERS, F_PRIORITY, F_RST_STREAM, F_SETTINGS, F_PUSH_PROMISE, F_PING,
       F_GOAWAY, F_WINDOW_UPDATE, F_CONTINUATION, F_NTYPES };
enum { FL_END_STREAM = 1, FL_ACK = 1, FL_END_HEADERS = 4, FL_PADDED = 8, FL_PRIORITY = 0x20 };

static const char *const frame_names[F_NTYPES] = { "DATA", "HEADERS", "PRIORITY", "RST_STREAM",
						   "SETTINGS", "PUSH_PROMISE", "PING", "GOAWAY",
						   "WINDOW_UPDATE", "CONTINUATION" };
static const char *const error_names[] = { "NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR",
					   "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT", "STREAM_CLOSED",
					   "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL",
					   "COMPRESSION_ERROR", "CONNECT_ERROR", "ENHANCE_YOUR_CALM",
					   "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED" };
static const char *const setting_names[] = { NULL, "SETTINGS_HEADER_TABLE_SIZE", "SETTINGS_ENABLE_PUSH",
					     "SETTINGS_MAX_CONCURRENT_STREAMS",
					     "SETTINGS_INITIAL_WINDOW_SIZE", "SETTINGS_MAX_FRAME_SIZE",
					     "SETTINGS_MAX_HEADER_LIST_SIZE" };

/* a name as the keywords take it: any case, '_' optional ("GOAWAY", "NO_ERROR", "noerror") */
static int name_index(const char *name, const char *const *tab, int n)
{
	for (int i = 0; i < n; i++) {
		if (!tab[i])
			continue;
		const char *a = tab[i], *b = name;
		while (*a || *b) {
			if (*a == '_') { a++; continue; }
			if (*b == '_') { b++; continue; }
			if (tolower((unsigned char)*a) != tolower((unsigned char)*b))
				break;
			a++;
			b++;
		}
		if (!*a && !*b)
			return i;
	}
	return -1;
}

int h2_frametype_lookup(const char *name) { return name_index(name, frame_names, F_NTYPES); }
int h2_errorcode_lookup(const char *name) { return name_index(name, error_names, (int)ARRAY_SIZE(error_names)); }
int h2_setting_lookup(const char *name) { return name_index(name, setting_names, (int)ARRAY_SIZE(setting_names)); }

/* ---- memory: nghttp2's allocations charged to the app memcap ---- */

struct h2_mem_hdr {
	size_t n;
	void *ctx;
	max_align_t pad[];
};

static void *mem_malloc(size_t n, void *ud)
{
	struct app_ctx *a = *(struct app_ctx **)ud;
	if (!a || !app_charge(a, n))
		return NULL;
	struct h2_mem_hdr *h = v_malloc(sizeof(*h) + n);
	if (!h) {
		app_release(a, n);
		return NULL;
	}
	h->n = n;
	h->ctx = a;
	return h->pad;
}

static void mem_free(void *p, void *ud)
{
	(void)ud;
	if (!p)
		return;
	struct h2_mem_hdr *h = (struct h2_mem_hdr *)((char *)p - offsetof(struct h2_mem_hdr, pad));
	app_release(h->ctx, h->n);
	v_free(h);
}

static void *mem_calloc(size_t k, size_t n, void *ud)
{
	if (n && k > SIZE_MAX / n)
		return NULL;
	void *p = mem_malloc(k * n, ud);
	if (p)
		memset(p, 0, k * n);
	return p;
}

static void *mem_realloc(void *p, size_t n, void *ud)
{
	if (!p)
		return mem_malloc(n, ud);
	struct h2_mem_hdr *h = (struct h2_mem_hdr *)((char *)p - offsetof(struct h2_mem_hdr, pad));
	void *q = mem_malloc(n, ud);
	if (!q)
		return NULL;
	memcpy(q, p, MIN(n, h->n));
	mem_free(p, ud);
	return q;
}

/* ---- a charged growable buffer ---- */

static bool grow_to(struct app_ctx *a, uint8_t **p, uint32_t *cap, uint32_t need, uint32_t max)
{
	if (need <= *cap)
		return true;
	if (need > max)
		return false;
	uint32_t nc = *cap ? *cap : 256;
	while (nc < need)
		nc = nc > max / 2 ? max : nc * 2;
	if (!app_charge(a, nc - *cap))
		return false;
	uint8_t *np = v_realloc(*p, nc);
	if (!np) {
		app_release(a, nc - *cap);
		return false;
	}
	*p = np;
	*cap = nc;
	return true;
}

static void buf_free(struct app_ctx *a, uint8_t **p, uint32_t *cap)
{
	if (*p) {
		v_free(*p);
		app_release(a, *cap);
	}
	*p = NULL;
	*cap = 0;
}

/* ---- transactions ---- */

/* A transaction's parsing state (h2_slot holds both, the tx first). */
#define AUX(t) (&((struct h2_slot *)(void *)(t))->aux)

static void touch(struct app_ctx *a, struct h2_tx *t)
{
	if (t->seq != a->pkt_seq) {
		t->seq = a->pkt_seq;
		t->fresh = 0;
		t->side[0].fresh = t->side[1].fresh = 0;
		t->body[0] = t->body[1] = NULL;
		t->body_len[0] = t->body_len[1] = 0;
	}
	a->tx.alproto = ALP_HTTP2;
	for (unsigned i = 0; i < a->tx.nh2; i++)
		if (a->tx.h2[i] == t)
			return;
	if (a->tx.nh2 < APP_H2_PER_PKT) {
		a->tx.h2_log[a->tx.nh2] = false;
		a->tx.h2[a->tx.nh2++] = t;
	}
}

static void mark_log(struct app_ctx *a, struct h2_tx *t)
{
	touch(a, t);
	for (unsigned i = 0; i < a->tx.nh2; i++)
		if (a->tx.h2[i] == t && !t->logged) {
			a->tx.h2_log[i] = true;
			t->logged = true;
		}
}

static void dec_end(struct h2_dec *d)
{
	if (d->z) {
		inflateEnd(d->z);
		v_free(d->z);
		d->z = NULL;
	}
	br_dec_free(d->br);
	d->br = NULL;
	d->enc = 0;
}

static void tx_clear(struct app_ctx *a, struct h2_state *s, unsigned i)
{
	if (!s->slot[i])
		return;
	struct h2_tx *t = &s->slot[i]->tx;
	struct h2_aux *x = &s->slot[i]->aux;
	for (int d = 0; d < 2; d++) {
		struct h2_side *sd = &t->side[d];
		buf_free(a, &sd->fb, &sd->fb_cap);
		if (sd->fl) {
			v_free(sd->fl);
			app_release(a, (uint64_t)sd->fl_cap * sizeof(*sd->fl));
		}
		if (t->dns[d]) {
			v_free(t->dns[d]);
			app_release(a, sizeof(struct dns_msg));
		}
		dec_end(&x->dec[d]);
		body_free(a, &x->body[d]);
		file_track_free(&x->ft[d]);
		buf_free(a, &x->dns_buf[d], &x->dns_cap[d]);
	}
	http_msg_free(&t->req);
	http_msg_free(&t->resp);
	v_free(s->slot[i]);
	s->slot[i] = NULL;
	app_release(a, sizeof(struct h2_slot));
}

/* Frees the transactions that are over and were shown on an earlier packet. */
static void tx_sweep(struct app_ctx *a, struct h2_state *s)
{
	for (unsigned i = 0; i < H2_MAX_TX; i++)
		if (s->slot[i] && s->slot[i]->tx.complete && s->slot[i]->tx.logged &&
		    s->slot[i]->tx.seq != a->pkt_seq && !s->slot[i]->aux.linger)
			tx_clear(a, s, i);
}

/* The open transaction of stream sid, else the reset one still taking
 * the frames of side dir, its peer's (-1 none) */
static int tx_find(struct h2_state *s, uint32_t sid, int dir)
{
	int reset = -1;
	for (int i = 0; i < H2_MAX_TX; i++) {
		if (!s->slot[i] || s->slot[i]->tx.stream_id != sid)
			continue;
		if (!s->slot[i]->tx.complete)
			return i;
		if (s->slot[i]->aux.linger && s->slot[i]->aux.linger_dir == dir)
			reset = i;
	}
	return reset;
}

/* A packet of side dir went by: the reset streams it did not continue
 * take no more of its frames (they are swept once shown). */
static void linger_end(struct app_ctx *a, struct h2_state *s, int dir)
{
	for (unsigned i = 0; i < H2_MAX_TX; i++)
		if (s->slot[i] && s->slot[i]->aux.linger && s->slot[i]->aux.linger_dir == dir &&
		    s->slot[i]->tx.seq != a->pkt_seq)
			s->slot[i]->aux.linger = false;
}

/* All slots taken: the stream idle longest (not on this packet, no file
 * open) gives its slot up, so that a client cannot park H2_MAX_TX streams
 * to have the next ones go unread; false if none can. */
static bool tx_evict(struct app_ctx *a, struct h2_state *s)
{
	int victim = -1;
	for (int i = 0; i < H2_MAX_TX; i++) {
		const struct h2_slot *sl = s->slot[i];
		if (!sl || sl->tx.seq == a->pkt_seq || sl->aux.fopen[0] || sl->aux.fopen[1])
			continue;
		if (victim < 0 || (int64_t)(sl->tx.seq - s->slot[victim]->tx.seq) < 0)
			victim = i;
	}
	if (victim < 0)
		return false;
	tx_clear(a, s, (unsigned)victim);
	return true;
}

static int tx_new(struct app_ctx *a, struct h2_state *s, uint32_t sid)
{
	bool full = true;
	for (int i = 0; i < H2_MAX_TX && full; i++)
		full = s->slot[i] != NULL;
	if (full) {
		app_event(a, APP_EV_HTTP2_TOO_MANY_STREAMS);
		if (!tx_evict(a, s))
			return -1;
	}
	for (int i = 0; i < H2_MAX_TX; i++)
		if (!s->slot[i]) {
			if (!app_charge(a, sizeof(struct h2_slot)))
				return -1;
			if (!(s->slot[i] = v_calloc(1, sizeof(struct h2_slot)))) {
				app_release(a, sizeof(struct h2_slot));
				return -1;
			}
			struct h2_tx *t = &s->slot[i]->tx;
			t->used = true;
			t->stream_id = sid;
			t->tx_id = s->next_tx++;
			t->seq = a->pkt_seq - 1; /* touch() starts it afresh */
			app_count_tx(a, false, ALP_HTTP2);
			return i;
		}
	return -1;
}

/* The transaction of a frame on stream sid (stream 0: a new one each). */
static struct h2_tx *tx_of(struct app_ctx *a, struct h2_state *s, uint32_t sid, int dir, bool create)
{
	int i = sid ? tx_find(s, sid, dir) : -1;
	if (i < 0 && (create || !sid)) {
		if (sid && sid <= s->max_sid[sid & 1] && create) {
			/* a stream id that was used before (its transaction is over) */
			app_event(a, APP_EV_HTTP2_STREAM_ID_REUSE);
		}
		i = tx_new(a, s, sid);
		if (i >= 0 && sid && sid > s->max_sid[sid & 1])
			s->max_sid[sid & 1] = sid;
	}
	if (i < 0)
		return NULL;
	touch(a, &s->slot[i]->tx);
	return &s->slot[i]->tx;
}

static void side_frame(struct h2_side *sd, unsigned type)
{
	uint16_t bit = type < F_NTYPES ? (uint16_t)(1u << type) : (uint16_t)0x8000;
	sd->types |= bit;
	sd->fresh |= bit;
}

#define LIST_ADD(sd, arr, n, v) do { if ((sd)->n < H2_SIDE_LIST) (sd)->arr[(sd)->n++] = (v); } while (0)

/* ---- headers ---- */

static bool field_add(struct app_ctx *a, struct h2_side *sd, const uint8_t *n, size_t nl,
		      const uint8_t *v, size_t vl)
{
	if (sd->nfl >= H2_FIELDS_MAX || nl + vl > H2_FIELD_BYTES - MIN(sd->fb_len, H2_FIELD_BYTES))
		return false;
	/* (at least a byte: the fields' views are never a null pointer) */
	if (!grow_to(a, &sd->fb, &sd->fb_cap, MAX(sd->fb_len + (uint32_t)(nl + vl), 1u), H2_FIELD_BYTES))
		return false;
	if (sd->nfl >= sd->fl_cap) {
		uint16_t nc = sd->fl_cap ? (uint16_t)MIN(sd->fl_cap * 2, H2_FIELDS_MAX) : 16;
		if (!app_charge(a, (uint64_t)(nc - sd->fl_cap) * sizeof(*sd->fl)))
			return false;
		void *np = v_realloc(sd->fl, nc * sizeof(*sd->fl));
		if (!np) {
			app_release(a, (uint64_t)(nc - sd->fl_cap) * sizeof(*sd->fl));
			return false;
		}
		sd->fl = np;
		sd->fl_cap = nc;
	}
	uint32_t *f = sd->fl[sd->nfl++];
	f[0] = sd->fb_len;
	f[1] = (uint32_t)nl;
	if (nl)
		memcpy(sd->fb + sd->fb_len, n, nl);
	sd->fb_len += (uint32_t)nl;
	f[2] = sd->fb_len;
	f[3] = (uint32_t)vl;
	if (vl)
		memcpy(sd->fb + sd->fb_len, v, vl);
	sd->fb_len += (uint32_t)vl;
	return true;
}

/* The value of the first field called name (lower case, as HTTP/2 sends them). */
static bool field_get(const struct h2_side *sd, const char *name, const uint8_t **v, uint32_t *vl)
{
	size_t nl = strlen(name);
	for (unsigned i = 0; i < sd->nfl; i++) {
		const uint32_t *f = sd->fl[i];
		if (f[1] == nl && !strncasecmp((const char *)sd->fb + f[0], name, nl)) {
			*v = sd->fb + f[2];
			*vl = f[3];
			return true;
		}
	}
	return false;
}

/* Rebuilds the http_msg of a side from its fields: a request line
 * "METHOD PATH HTTP/2" (a status line "HTTP/2 CODE"), then the fields as
 * "name: value" lines, pseudo-headers included, as Suricata shows them. */
static void msg_build(struct app_ctx *a, struct h2_tx *t, int dir)
{
	const struct h2_side *sd = &t->side[dir];
	const uint8_t *m = NULL, *p = NULL, *st = NULL;
	uint32_t ml = 0, pl = 0, stl = 0;
	if (dir == 0) {
		field_get(sd, ":method", &m, &ml);
		field_get(sd, ":path", &p, &pl);
	} else {
		field_get(sd, ":status", &st, &stl);
	}
	size_t n = (size_t)ml + pl + stl + 16;
	for (unsigned i = 0; i < sd->nfl; i++)
		n += (size_t)sd->fl[i][1] + sd->fl[i][3] + 4;
	uint8_t *b = v_malloc(n);
	struct http_hdr *hv = v_malloc((sd->nfl ? sd->nfl : 1) * sizeof(*hv));
	if (!b || !hv)
		goto out;
	struct http_head h;
	memset(&h, 0, sizeof(h));
	size_t o = 0;
#define PUT(ptr, len) do { if (len) memcpy(b + o, (ptr), (len)); o += (len); } while (0)
	h.line = b;
	if (dir == 0) {
		h.method = b + o;
		h.method_len = ml;
		PUT(m, ml);
		PUT(" ", 1);
		h.uri = b + o;
		h.uri_len = pl;
		h.uri_norm = h.uri;
		h.uri_norm_len = pl;
		h.has_uri_norm = pl > 0;
		PUT(p, pl);
		PUT(" ", 1);
		h.proto = b + o;
		h.proto_len = 6;
		PUT("HTTP/2", 6);
	} else {
		h.proto = b + o;
		h.proto_len = 6;
		PUT("HTTP/2 ", 7);
		h.status = b + o;
		h.status_len = stl;
		PUT(st, stl);
		h.msg = b + o;
		uint32_t code = 0;
		for (uint32_t i = 0; i < stl && i < 5 && isdigit(st[i]); i++)
			code = code * 10 + (uint32_t)(st[i] - '0');
		h.code = (uint16_t)MIN(code, 65535u);
	}
	h.line_len = (uint32_t)o;
	PUT("\r\n", 2);
	h.headers = b + o;
	h.content_length = -1;
	for (unsigned i = 0; i < sd->nfl; i++) {
		const uint32_t *f = sd->fl[i];
		hv[i].name = b + o;
		hv[i].name_len = f[1];
		PUT(sd->fb + f[0], f[1]);
		PUT(": ", 2);
		hv[i].val = b + o;
		hv[i].val_len = f[3];
		PUT(sd->fb + f[2], f[3]);
		PUT("\r\n", 2);
		if (f[1] == 14 && !strncasecmp((const char *)sd->fb + f[0], "content-length", 14)) {
			int64_t v = 0;
			uint32_t k = 0;
			for (; k < f[3] && k < 18 && isdigit(sd->fb[f[2] + k]); k++)
				v = v * 10 + (sd->fb[f[2] + k] - '0');
			if (k && k == f[3])
				h.content_length = v;
		}
	}
	h.headers_len = (uint32_t)(b + o - h.headers);
	PUT("\r\n", 2);
#undef PUT
	h.nhdr = sd->nfl;
	h.hdr = hv;
	struct http_msg *msg = dir == 0 ? &t->req : &t->resp;
	uint64_t body_len = msg->body_len;
	if (!http_msg_set(msg, &h, b, (uint32_t)o))
		goto out;
	msg->body_len = body_len;
	msg->tx_id = (uint32_t)t->tx_id;
	if (dir == 0) {
		/* http.host: :authority, else Host; lower case, without the
		 * port or user info */
		const uint8_t *v;
		uint32_t vl;
		if (field_get(sd, ":authority", &v, &vl) || field_get(sd, "host", &v, &vl)) {
			const uint8_t *at = memchr(v, '@', vl);
			if (at) {
				vl -= (uint32_t)(at + 1 - v);
				v = at + 1;
			}
			uint32_t k = 0;
			bool v6 = vl && v[0] == '[';
			for (; k < vl && k < sizeof(msg->host) - 1; k++) {
				if ((v[k] == ':' && !v6) || (v6 && k && v[k - 1] == ']'))
					break;
				msg->host[k] = (char)tolower(v[k]);
			}
			msg->host[k] = 0;
			msg->host_len = (uint16_t)k;
		}
	}
out:
	(void)a;
	v_free(b);
	v_free(hv);
}

/* HPACK dynamic table size updates at the start of a block (RFC 7541
 * 6.3: 001xxxxx, a 5-bit prefix integer), which nghttp2 applies silently. */
static void size_updates(struct app_ctx *a, struct h2_side *sd, const uint8_t *p, uint32_t n)
{
	uint32_t i = 0;
	while (i < n && (p[i] & 0xe0) == 0x20) {
		uint64_t v = p[i++] & 0x1f;
		if (v == 0x1f) {
			unsigned shift = 0;
			for (;;) {
				if (i >= n || shift > 28) {
					if (shift > 28)
						app_event(a, APP_EV_HTTP2_HEADER_INTEGER_OVERFLOW);
					return;
				}
				uint8_t c = p[i++];
				v += (uint64_t)(c & 0x7f) << shift;
				shift += 7;
				if (!(c & 0x80))
					break;
			}
		}
		LIST_ADD(sd, su, nsu, (uint32_t)MIN(v, UINT32_MAX));
	}
}

static bool dns_ctype(const struct h2_side *sd)
{
	const uint8_t *v;
	uint32_t vl;
	return field_get(sd, "content-type", &v, &vl) && vl >= 23 &&
	       !strncasecmp((const char *)v, "application/dns-message", 23);
}

static void doh_parse(struct app_ctx *a, struct h2_state *s, struct h2_tx *t, int dir,
		      const uint8_t *d, uint32_t n)
{
	if (!t->dns[dir]) {
		if (!app_charge(a, sizeof(struct dns_msg)))
			return;
		if (!(t->dns[dir] = v_malloc(sizeof(struct dns_msg)))) {
			app_release(a, sizeof(struct dns_msg));
			return;
		}
	}
	struct dns_msg *m = t->dns[dir];
	if (!dns_parse(d, n, m)) {
		v_free(m);
		app_release(a, sizeof(struct dns_msg));
		t->dns[dir] = NULL;
		app_event(a, APP_EV_DNS_MALFORMED);
		return;
	}
	m->tx_id = (uint32_t)t->tx_id;
	t->doh = true;
	s->doh = true;
	touch(a, t);
	/* the DNS buffers and records read this packet's messages */
	struct dns_msg *slot = &a->tx.dns[MIN(a->tx.ndns, APP_DNS_PER_PKT - 1u)];
	*slot = *m;
	for (unsigned i = 0; i < a->tx.nh2; i++)
		if (a->tx.h2[i] == t)
			slot->h2_ref = (uint8_t)(i + 1);
	if (a->tx.ndns < APP_DNS_PER_PKT)
		a->tx.ndns++;
}

/* GET ...?dns=<base64url, unpadded> (RFC 8484 4.1) */
static void doh_get(struct app_ctx *a, struct h2_state *s, struct h2_tx *t)
{
	const uint8_t *m, *p;
	uint32_t ml, pl;
	if (!field_get(&t->side[0], ":method", &m, &ml) || ml != 3 || memcmp(m, "GET", 3) ||
	    !field_get(&t->side[0], ":path", &p, &pl))
		return;
	const uint8_t *q = memchr(p, '?', pl);
	if (!q)
		return;
	const uint8_t *v = NULL;
	uint32_t vl = 0;
	for (const uint8_t *k = q + 1; k < p + pl;) {
		const uint8_t *amp = memchr(k, '&', (size_t)(p + pl - k));
		const uint8_t *e = amp ? amp : p + pl;
		if (e - k >= 4 && !memcmp(k, "dns=", 4)) {
			v = k + 4;
			vl = (uint32_t)(e - v);
			break;
		}
		k = e + 1;
	}
	if (!v)
		return;
	if ((uint64_t)vl * 3 / 4 > H2_DNS_MAX) {
		app_event(a, APP_EV_HTTP2_DNS_REQUEST_TOO_LONG);
		return;
	}
	uint8_t *out = v_malloc(vl * 3 / 4 + 3);
	if (!out)
		return;
	uint32_t o = 0, acc = 0, bits = 0;
	for (uint32_t i = 0; i < vl; i++) {
		uint8_t c = v[i];
		int x = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26
			: c >= '0' && c <= '9' ? c - '0' + 52 : c == '-' || c == '+' ? 62
			: c == '_' || c == '/' ? 63 : -1;
		if (x < 0)
			break; /* padding or the end */
		acc = acc << 6 | (uint32_t)x;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	doh_parse(a, s, t, 0, out, o);
	v_free(out);
}

/* ---- bodies ---- */

struct dec_out {
	struct app_ctx *a;
	struct h2_state *s;
	struct h2_tx *t;
	int dir;
};

static void body_bytes(struct app_ctx *a, struct h2_state *s, struct h2_tx *t, int dir,
		       const uint8_t *d, uint32_t n)
{
	struct h2_aux *x = AUX(t);
	struct http_body *b = &x->body[dir];
	if (!n)
		return;
	if (!x->fopen[dir]) {
		file_track_begin(&x->ft[dir]);
		x->fopen[dir] = true;
		x->fsize[dir] = 0;
	}
	x->fsize[dir] += n;
	file_track_add(&x->ft[dir], d, n);
	if (b->exposed || b->full)
		return;
	if (body_add(a, b, d, n)) {
		t->body[dir] = b->buf;
		t->body_len[dir] = b->len;
		t->fresh |= dir ? HTTP_P_RESP_BODY : HTTP_P_REQ_BODY;
		b->exposed = true;
	}
}

static void dec_cb(void *ctx, const uint8_t *p, size_t n)
{
	struct dec_out *o = ctx;
	body_bytes(o->a, o->s, o->t, o->dir, p, (uint32_t)MIN(n, UINT32_MAX));
}

static bool br_charge(void *ctx, uint64_t n)
{
	return app_charge(ctx, n);
}

static void br_release(void *ctx, uint64_t n)
{
	app_release(ctx, n);
}

static void dec_start(struct app_ctx *a, struct h2_state *s, struct h2_tx *t, int dir)
{
	struct h2_aux *x = AUX(t);
	struct h2_dec *d = &x->dec[dir];
	const uint8_t *v;
	uint32_t vl;
	dec_end(d);
	d->failed = false;
	d->in = d->out = 0;
	if (a->no_decompress || !field_get(&t->side[dir], "content-encoding", &v, &vl))
		return;
	if (vl == 4 && !strncasecmp((const char *)v, "gzip", 4))
		d->enc = 1;
	else if (vl == 7 && !strncasecmp((const char *)v, "deflate", 7))
		d->enc = 2;
	else if (vl == 2 && !strncasecmp((const char *)v, "br", 2))
		d->enc = 3;
	if (d->enc == 1 || d->enc == 2) {
		z_stream *z = v_calloc(1, sizeof(*z));
		if (!z || inflateInit2(z, d->enc == 1 ? 15 + 16 : 15 + 32) != Z_OK) {
			v_free(z);
			d->enc = 0;
			return;
		}
		d->z = z;
	} else if (d->enc == 3) {
		/* the brotli window goes on the memcap */
		const struct http_mem mem = { br_charge, br_release, a };
		if (!(d->br = br_dec_new(&mem)))
			d->enc = 0;
	}
}

static void data_bytes(struct app_ctx *a, struct h2_state *s, struct h2_tx *t, int dir,
		       const uint8_t *p, uint32_t n)
{
	struct h2_aux *x = AUX(t);
	struct h2_dec *d = &x->dec[dir];
	touch(a, t);
	t->sent_len[dir] += n;
	(dir ? &t->resp : &t->req)->body_len = t->sent_len[dir];
	if (x->dns_on[dir] && !x->dns_over[dir]) {
		if (n > H2_DNS_MAX - MIN(x->dns_len[dir], H2_DNS_MAX) ||
		    !grow_to(a, &x->dns_buf[dir], &x->dns_cap[dir], x->dns_len[dir] + n, H2_DNS_MAX)) {
			x->dns_over[dir] = true;
			app_event(a, dir ? APP_EV_HTTP2_DNS_RESPONSE_TOO_LONG : APP_EV_HTTP2_DNS_REQUEST_TOO_LONG);
		} else {
			memcpy(x->dns_buf[dir] + x->dns_len[dir], p, n);
			x->dns_len[dir] += n;
		}
	}
	struct dec_out o = { a, s, t, dir };
	d->in += n;
	if (d->failed || !d->enc) {
		body_bytes(a, s, t, dir, p, n);
		return;
	}
	if (d->enc == 3) {
		int rc = br_dec_feed(d->br, p, n, dec_cb, &o);
		if (rc != BR_OK) {
			d->failed = true;
			app_event(a, APP_EV_HTTP2_FAILED_DECOMPRESSION);
		}
		return;
	}
	z_stream *z = d->z;
	uint8_t out[8192];
	z->next_in = (uint8_t *)(uintptr_t)p;
	z->avail_in = n;
	while (z->avail_in) {
		z->next_out = out;
		z->avail_out = sizeof(out);
		int rc = inflate(z, Z_NO_FLUSH);
		size_t got = sizeof(out) - z->avail_out;
		d->out += got;
		if (got)
			body_bytes(a, s, t, dir, out, (uint32_t)got);
		if (d->out > HTTP_BOMB_LIMIT && d->out / MAX(d->in, 1) > HTTP_BOMB_RATIO) {
			d->failed = true;
			app_event(a, APP_EV_HTTP2_FAILED_DECOMPRESSION);
			return;
		}
		if (rc == Z_STREAM_END) {
			dec_end(d);
			d->failed = true; /* what follows passes as sent */
			return;
		}
		if (rc != Z_OK && rc != Z_BUF_ERROR) {
			d->failed = true;
			app_event(a, APP_EV_HTTP2_FAILED_DECOMPRESSION);
			return;
		}
		if (rc == Z_BUF_ERROR && !got)
			return;
	}
}

/* The file a stream's body is: Content-Disposition's filename, else
 * the path without its query. */
static void file_close(struct app_ctx *a, struct h2_state *s, struct h2_tx *t, int dir, bool truncated,
		       struct app_file *fi)
{
	struct h2_aux *x = AUX(t);
	memset(fi, 0, sizeof(*fi));
	fi->size = x->fsize[dir];
	file_track_end(&x->ft[dir], &fi->facts, !truncated);
	fi->truncated = truncated || fi->facts.gaps;
	fi->to_client = dir == 1;
	fi->tx_id = (uint32_t)t->tx_id;
	fi->req = t->req.valid ? &t->req : NULL;
	fi->resp = t->resp.valid ? &t->resp : NULL;
	fi->h2 = t;
	const uint8_t *cd = NULL, *path = NULL;
	uint32_t cdl = 0, pl = 0;
	if (!field_get(&t->side[dir], "content-disposition", &cd, &cdl))
		cd = NULL;
	if (!field_get(&t->side[0], ":path", &path, &pl))
		path = NULL;
	http_file_name(fi, cd, cdl, path, pl);
	x->fopen[dir] = false;
	(void)a;
}

/* A side of the stream ended (END_STREAM, RST_STREAM). */
static void side_end(struct app_ctx *a, struct h2_state *s, struct h2_tx *t, int dir)
{
	struct h2_side *sd = &t->side[dir];
	struct h2_aux *x = AUX(t);
	bool late = x->linger && x->linger_dir == dir; /* its end after the reset */
	if (sd->end && !late)
		return;
	touch(a, t);
	sd->end = true;
	if (late)
		x->linger = false;
	struct http_body *b = &x->body[dir];
	if (b->len && !b->exposed) {
		b->exposed = true;
		t->body[dir] = b->buf;
		t->body_len[dir] = b->len;
		t->fresh |= dir ? HTTP_P_RESP_BODY : HTTP_P_REQ_BODY;
	}
	if (x->fopen[dir]) {
		struct app_file *fi = app_file_slot(a);
		if (fi)
			file_close(a, s, t, dir, false, fi);
		else {
			file_track_free(&x->ft[dir]);
			x->fopen[dir] = false;
		}
	}
	if (x->dns_on[dir] && x->dns_len[dir] && !x->dns_over[dir])
		doh_parse(a, s, t, dir, x->dns_buf[dir], x->dns_len[dir]);
	buf_free(a, &x->dns_buf[dir], &x->dns_cap[dir]);
	x->dns_len[dir] = 0;
	a->tx.http_fresh |= t->fresh;
	if (t->side[0].end && t->side[1].end) {
		t->complete = true;
		mark_log(a, t);
	}
}

/* A header block is whole: decode it into the stream's fields. */
static void block_done(struct app_ctx *a, struct h2_state *s, int dir, struct h2_dir *hd)
{
	uint32_t sid = hd->hb_sid;
	bool push = hd->hb_push, end_stream = hd->hb_end_stream;
	hd->hb_open = false;
	struct h2_tx *t = tx_of(a, s, sid, dir, dir == 0 && !push);
	struct h2_side *sd = t ? &t->side[dir] : NULL;
	if (sd)
		size_updates(a, sd, hd->hb, hd->hb_len);
	if (hd->hb_over) {
		hd->hb_len = 0;
		hd->hb_over = false;
		hd->hpack_broken = true; /* its table is lost with the block */
		return;
	}
	if (!hd->inf || hd->hpack_broken) {
		hd->hb_len = 0;
		return;
	}
	static const uint8_t none[1];
	const uint8_t *in = hd->hb ? hd->hb : none; /* (an empty block: no buffer) */
	size_t left = hd->hb_len;
	bool cut = false;
	for (;;) {
		nghttp2_nv nv;
		int fl = 0;
		ssize_t rv = nghttp2_hd_inflate_hd2(hd->inf, &nv, &fl, in, left, 1);
		if (rv < 0) {
			app_event(a, APP_EV_HTTP2_INVALID_HEADER);
			hd->hpack_broken = true;
			break;
		}
		in += rv;
		left -= (size_t)rv;
		if ((fl & NGHTTP2_HD_INFLATE_EMIT) && sd && !field_add(a, sd, nv.name, nv.namelen, nv.value, nv.valuelen))
			cut = true;
		if (fl & NGHTTP2_HD_INFLATE_FINAL) {
			nghttp2_hd_inflate_end_headers(hd->inf);
			break;
		}
		if (!left && !(fl & NGHTTP2_HD_INFLATE_EMIT))
			break;
	}
	hd->hb_len = 0;
	if (cut)
		app_event(a, APP_EV_HTTP2_REASSEMBLY_LIMIT_REACHED);
	if (!t)
		return;
	bool first = !sd->headers;
	sd->headers = true;
	msg_build(a, t, dir);
	if (first) {
		t->fresh |= dir ? HTTP_P_RESP_HEAD : HTTP_P_REQ_LINE | HTTP_P_REQ_HEAD;
		dec_start(a, s, t, dir);
		struct h2_aux *x = AUX(t);
		x->body[dir].exposed = false;
		body_start(a, &x->body[dir], NULL, dir ? a->resp_body_limit : a->req_body_limit, false, false);
		x->dns_on[dir] = dns_ctype(sd);
		if (dir == 0) {
			const uint8_t *au, *ho;
			uint32_t aul, hol;
			bool has_au = field_get(sd, ":authority", &au, &aul);
			if (has_au && memchr(au, '@', aul))
				app_event(a, APP_EV_HTTP2_USER_INFO_IN_URI);
			if (has_au && field_get(sd, "host", &ho, &hol) &&
			    (aul != hol || strncasecmp((const char *)au, (const char *)ho, aul)))
				app_event(a, APP_EV_HTTP2_AUTHORITY_HOST_MISMATCH);
			doh_get(a, s, t);
		}
	}
	a->tx.http_fresh |= t->fresh;
	if (end_stream && !push)
		side_end(a, s, t, dir);
}

/* ---- frames ---- */

static void block_add(struct app_ctx *a, struct h2_dir *hd, const uint8_t *p, uint32_t n)
{
	if (hd->hb_over || !n)
		return;
	if (!grow_to(a, &hd->hb, &hd->hb_cap, hd->hb_len + n, H2_BLOCK_MAX)) {
		hd->hb_over = true;
		app_event(a, APP_EV_HTTP2_REASSEMBLY_LIMIT_REACHED);
		return;
	}
	memcpy(hd->hb + hd->hb_len, p, n);
	hd->hb_len += n;
}

static void settings_apply(struct h2_state *s, int dir, uint16_t id, uint32_t v)
{
	/* what one side announces limits what the other sends */
	struct h2_dir *peer = &s->dir[!dir];
	if (id == 1 && peer->inf)
		nghttp2_hd_inflate_change_table_size(peer->inf, MIN(MAX(v, 4096u), H2_TABLE_MAX));
	else if (id == 5 && v >= 16384 && v <= 16777215)
		peer->max_frame = v;
}

/* A connection frame (SETTINGS, PING, GOAWAY) of type: on stream 0 only
 * (else http2.invalid_frame_header and NULL), a stream-0 transaction of
 * its own with the frame noted on dir's side; NULL when refused. */
static struct h2_tx *conn_frame(struct app_ctx *a, struct h2_state *s, uint32_t sid, int dir,
				uint8_t type)
{
	if (sid) {
		app_event(a, APP_EV_HTTP2_INVALID_FRAME_HEADER);
		return NULL;
	}
	struct h2_tx *t = tx_of(a, s, 0, 0, true);
	if (t)
		side_frame(&t->side[dir], type);
	return t;
}

static void frame_done(struct app_ctx *a, struct h2_state *s, int dir)
{
	struct h2_dir *hd = &s->dir[dir];
	const uint8_t *p = hd->buf;
	uint32_t n = hd->flen, sid = hd->sid;
	uint8_t type = hd->type, fl = hd->flags;
	if (hd->hb_open && type != F_CONTINUATION) {
		/* a block's CONTINUATION was due: the block is dropped */
		app_event(a, APP_EV_HTTP2_INVALID_FRAME_HEADER);
		hd->hb_open = false;
		hd->hb_len = 0;
		hd->hpack_broken = true;
	}
	struct h2_tx *t;
	struct cursor rc;         /* the payload's reads (lengths checked per type first) */
	switch (type) {
	case F_HEADERS:
	case F_PUSH_PROMISE: {
		if (!sid) {
			app_event(a, APP_EV_HTTP2_INVALID_FRAME_HEADER);
			return;
		}
		/* [pad length] [dependency:4 weight:1 | promised id:4] fragment [padding] */
		struct cursor c;
		cur_init(&c, p, n);
		uint32_t pad = (fl & FL_PADDED) ? cur_u8(&c) : 0;
		uint8_t weight = 0;
		bool prio = type == F_HEADERS && (fl & FL_PRIORITY);
		if (prio) {
			cur_skip(&c, 4);
			weight = cur_u8(&c);
		} else if (type == F_PUSH_PROMISE) {
			cur_skip(&c, 4);
		}
		if (c.err || pad > cur_left(&c)) {
			app_event(a, APP_EV_HTTP2_INVALID_FRAME_LENGTH);
			return;
		}
		size_t frag_len = cur_left(&c) - pad;
		const uint8_t *frag = cur_bytes(&c, frag_len);
		t = tx_of(a, s, sid, dir, dir == 0 && type == F_HEADERS);
		if (t) {
			side_frame(&t->side[dir], type);
			if (prio)
				LIST_ADD(&t->side[dir], prio, nprio, weight);
		}
		hd->hb_sid = sid;
		hd->hb_push = type == F_PUSH_PROMISE;
		hd->hb_end_stream = type == F_HEADERS && (fl & FL_END_STREAM);
		hd->hb_len = 0;
		hd->hb_over = false;
		hd->ncont = 0;
		block_add(a, hd, frag, (uint32_t)frag_len);
		hd->hb_open = true;
		if (fl & FL_END_HEADERS)
			block_done(a, s, dir, hd);
		return;
	}
	case F_CONTINUATION:
		if (!hd->hb_open || sid != hd->hb_sid) {
			app_event(a, APP_EV_HTTP2_INVALID_FRAME_HEADER);
			return;
		}
		if ((t = tx_of(a, s, sid, dir, false)))
			side_frame(&t->side[dir], type);
		if (++hd->ncont > H2_CONT_MAX && !hd->hb_over) {
			hd->hb_over = true;
			app_event(a, APP_EV_HTTP2_REASSEMBLY_LIMIT_REACHED);
		}
		block_add(a, hd, p, n);
		if (fl & FL_END_HEADERS)
			block_done(a, s, dir, hd);
		return;
	case F_PRIORITY:
		if (n != 5) {
			app_event(a, APP_EV_HTTP2_INVALID_FRAME_LENGTH);
			return;
		}
		if (sid && (t = tx_of(a, s, sid, dir, false))) {
			struct cursor c;
			cur_init(&c, p, n);
			cur_skip(&c, 4); /* the dependency */
			side_frame(&t->side[dir], type);
			LIST_ADD(&t->side[dir], prio, nprio, cur_u8(&c));
		}
		return;
	case F_RST_STREAM:
		if (n != 4) {
			app_event(a, APP_EV_HTTP2_INVALID_FRAME_LENGTH);
			return;
		}
		if (!sid || !(t = tx_of(a, s, sid, dir, false)))
			return;
		side_frame(&t->side[dir], type);
		cur_init(&rc, p, n);
		LIST_ADD(&t->side[dir], err, nerr, cur_be32(&rc));
		if (t->complete) {
			AUX(t)->linger = false; /* reset again: no more of it */
			return;
		}
		bool peer_open = !t->side[!dir].end;
		side_end(a, s, t, 0);
		side_end(a, s, t, 1);
		if (peer_open) {
			/* the peer's frames already on their way still come:
			 * Suricata reads them into this closed transaction */
			AUX(t)->linger = true;
			AUX(t)->linger_dir = (uint8_t)!dir;
		}
		return;
	case F_SETTINGS:
		if (sid) {
			app_event(a, APP_EV_HTTP2_INVALID_FRAME_HEADER);
			return;
		}
		if (n % 6 || ((fl & FL_ACK) && n)) {
			app_event(a, APP_EV_HTTP2_INVALID_FRAME_LENGTH);
			return;
		}
		if (!(t = conn_frame(a, s, sid, dir, type)))
			return;
		t->side[dir].settings = true;
		cur_init(&rc, p, n);
		while (cur_left(&rc) >= 6) {
			uint16_t id = cur_be16(&rc);
			uint32_t v = cur_be32(&rc);
			struct h2_side *sd = &t->side[dir];
			if (sd->nset < H2_SETTINGS_MAX) {
				sd->set[sd->nset].id = id;
				sd->set[sd->nset++].val = v;
			}
			settings_apply(s, dir, id, v);
		}
		break;
	case F_PING:
		if (n != 8) {
			app_event(a, APP_EV_HTTP2_INVALID_FRAME_LENGTH);
			return;
		}
		if (!(t = conn_frame(a, s, sid, dir, type)))
			return;
		break;
	case F_GOAWAY:
		if (n < 8) {
			app_event(a, APP_EV_HTTP2_INVALID_FRAME_LENGTH);
			return;
		}
		if (!(t = conn_frame(a, s, sid, dir, type)))
			return;
		cur_init(&rc, p, n);
		cur_skip(&rc, 4); /* the last stream id */
		LIST_ADD(&t->side[dir], err, nerr, cur_be32(&rc));
		break;
	case F_WINDOW_UPDATE:
		if (n != 4) {
			app_event(a, APP_EV_HTTP2_INVALID_FRAME_LENGTH);
			return;
		}
		if (!(t = tx_of(a, s, sid, dir, false)))
			return;
		side_frame(&t->side[dir], type);
		cur_init(&rc, p, n);
		LIST_ADD(&t->side[dir], win, nwin, cur_be32(&rc) & 0x7fffffffu);
		if (sid)
			return;
		break;
	default:
		if (sid && (t = tx_of(a, s, sid, dir, false)))
			side_frame(&t->side[dir], type);
		return;
	}
	/* a stream 0 frame: its transaction is complete */
	t->side[0].end = t->side[1].end = true;
	t->complete = true;
	mark_log(a, t);
}

/* The start of a DATA frame's payload (after its header). */
static void data_begin(struct app_ctx *a, struct h2_state *s, int dir)
{
	struct h2_dir *hd = &s->dir[dir];
	hd->pad_known = !(hd->flags & FL_PADDED);
	hd->pad = 0;
	hd->data_tx = -1;
	if (!hd->sid) {
		app_event(a, APP_EV_HTTP2_INVALID_FRAME_HEADER);
		return;
	}
	int i = tx_find(s, hd->sid, dir);
	if (i < 0) {
		app_event(a, APP_EV_HTTP2_DATA_STREAM_NOT_FOUND);
		return;
	}
	touch(a, &s->slot[i]->tx);
	side_frame(&s->slot[i]->tx.side[dir], F_DATA);
	hd->data_tx = i;
}

static void data_end(struct app_ctx *a, struct h2_state *s, int dir)
{
	struct h2_dir *hd = &s->dir[dir];
	if (hd->data_tx >= 0 && (hd->flags & FL_END_STREAM) && s->slot[hd->data_tx])
		side_end(a, s, &s->slot[hd->data_tx]->tx, dir);
	hd->data_tx = -1;
}

static void feed(struct app_ctx *a, struct h2_state *s, int dir, const uint8_t *d, uint32_t n)
{
	dir &= 1;
	struct h2_dir *hd = &s->dir[dir];
	s->a = a;
	tx_sweep(a, s);
	for (int k = 0; k < 2; k++) {
		/* both decoders from the start: a side's SETTINGS size the other's table */
		struct h2_dir *x = &s->dir[k];
		if (!x->max_frame)
			x->max_frame = 16384;
		if (x->inf || x->hpack_broken)
			continue;
		_Static_assert(sizeof(s->hd_mem) == sizeof(nghttp2_mem), "hd_mem is an nghttp2_mem");
		nghttp2_mem mem = { &s->a, mem_malloc, mem_free, mem_calloc, mem_realloc };
		memcpy(&s->hd_mem, &mem, sizeof(mem));
		if (nghttp2_hd_inflate_new2(&x->inf, (nghttp2_mem *)&s->hd_mem) != 0) {
			x->inf = NULL;
			x->hpack_broken = true;
		}
	}
	while (n && !hd->broken) {
		if (dir == 0 && hd->magic < H2_PREFACE_LEN) {
			if (*d != (uint8_t)H2_PREFACE[hd->magic]) {
				app_event(a, APP_EV_HTTP2_INVALID_CLIENT_MAGIC);
				hd->broken = true;
				return;
			}
			hd->magic++;
			d++;
			n--;
			continue;
		}
		if (hd->hlen < 9) {
			uint32_t k = MIN(n, 9u - hd->hlen);
			memcpy(hd->hdr + hd->hlen, d, k);
			hd->hlen = (uint8_t)(hd->hlen + k);
			d += k;
			n -= k;
			if (hd->hlen < 9)
				return;
			struct cursor hc;
			cur_init(&hc, hd->hdr, sizeof(hd->hdr));
			hd->flen = cur_be24(&hc);
			hd->type = cur_u8(&hc);
			hd->flags = cur_u8(&hc);
			hd->sid = cur_be32(&hc) & 0x7fffffffu;
			hd->got = 0;
			hd->blen = 0;
			hd->skip = false;
			if (hd->flen > hd->max_frame)
				app_event(a, APP_EV_HTTP2_LONG_FRAME_DATA);
			if (hd->type == F_DATA) {
				data_begin(a, s, dir);
			} else if (hd->flen > H2_FRAME_KEEP ||
				   !grow_to(a, &hd->buf, &hd->bcap, MAX(hd->flen, 1u), H2_FRAME_KEEP)) {
				hd->skip = true;
				if (hd->flen <= hd->max_frame)
					app_event(a, APP_EV_HTTP2_REASSEMBLY_LIMIT_REACHED);
				if (hd->hb_open) { /* the block it continues is lost */
					hd->hb_open = false;
					hd->hpack_broken = true;
				}
			}
			if (!hd->flen) {
				if (hd->type == F_DATA)
					data_end(a, s, dir);
				else if (!hd->skip)
					frame_done(a, s, dir);
				hd->hlen = 0;
			}
			continue;
		}
		uint32_t k = MIN(n, hd->flen - hd->got);
		if (hd->type == F_DATA) {
			const uint8_t *p = d;
			uint32_t m = k, pos = hd->got;
			if (!hd->pad_known && m) {
				hd->pad = *p;
				hd->pad_known = true;
				p++;
				m--;
				pos++;
				if (hd->pad >= hd->flen) {
					app_event(a, APP_EV_HTTP2_INVALID_FRAME_LENGTH);
					hd->data_tx = -1;
				}
			}
			/* the data ends pad bytes before the frame does */
			uint32_t data_end_at = hd->flen - MIN(hd->pad, hd->flen);
			uint32_t take = pos < data_end_at ? MIN(m, data_end_at - pos) : 0;
			if (take && hd->data_tx >= 0 && s->slot[hd->data_tx])
				data_bytes(a, s, &s->slot[hd->data_tx]->tx, dir, p, take);
		} else if (!hd->skip) {
			memcpy(hd->buf + hd->blen, d, k);
			hd->blen += k;
		}
		hd->got += k;
		d += k;
		n -= k;
		if (hd->got == hd->flen) {
			if (hd->type == F_DATA)
				data_end(a, s, dir);
			else if (!hd->skip)
				frame_done(a, s, dir);
			hd->hlen = 0;
		}
	}
}

void h2_feed(struct app_ctx *a, struct h2_state *s, int dir, const uint8_t *d, uint32_t n)
{
	feed(a, s, dir & 1, d, n);
	linger_end(a, s, dir & 1);
}

void h2_upgrade(struct app_ctx *a, struct h2_state *s, const struct http_msg *req)
{
	s->a = a;
	if (!req->valid)
		return;
	/* HTTP2-Settings: a SETTINGS payload in base64url, stream 0's */
	const struct http_hdr *hs = http_header(&req->h, "http2-settings");
	if (hs) {
		uint8_t set[6 * H2_SETTINGS_MAX];
		uint32_t o = 0, acc = 0, bits = 0;
		for (uint32_t i = 0; i < hs->val_len && o < sizeof(set); i++) {
			uint8_t c = hs->val[i];
			int x = c >= 'A' && c <= 'Z' ? c - 'A' : c >= 'a' && c <= 'z' ? c - 'a' + 26
				: c >= '0' && c <= '9' ? c - '0' + 52 : c == '-' || c == '+' ? 62
				: c == '_' || c == '/' ? 63 : -1;
			if (x < 0)
				break;
			acc = acc << 6 | (uint32_t)x;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				set[o++] = (uint8_t)(acc >> bits);
			}
		}
		struct h2_tx *t = tx_of(a, s, 0, 0, true);
		if (t) {
			struct h2_side *sd = &t->side[0];
			side_frame(sd, F_SETTINGS);
			sd->settings = true;
			struct cursor c;
			cur_init(&c, set, o);
			while (cur_left(&c) >= 6) {
				uint16_t id = cur_be16(&c);
				uint32_t v = cur_be32(&c);
				if (sd->nset < H2_SETTINGS_MAX) {
					sd->set[sd->nset].id = id;
					sd->set[sd->nset++].val = v;
				}
				settings_apply(s, 0, id, v);
			}
			t->side[0].end = t->side[1].end = true;
			t->complete = true;
			mark_log(a, t);
		}
	}
	struct h2_tx *t = tx_of(a, s, 1, 0, true);
	if (!t)
		return;
	struct h2_side *sd = &t->side[0];
	const struct http_hdr *host = http_header(&req->h, "host");
	field_add(a, sd, (const uint8_t *)":method", 7, req->h.method, req->h.method_len);
	field_add(a, sd, (const uint8_t *)":path", 5, req->h.uri, req->h.uri_len);
	if (host)
		field_add(a, sd, (const uint8_t *)":authority", 10, host->val, host->val_len);
	for (unsigned i = 0; i < req->h.nhdr; i++) {
		const struct http_hdr *h = &req->h.hdr[i];
		if (h == host)
			continue;
		uint8_t name[64];
		uint32_t nl = MIN(h->name_len, (uint32_t)sizeof(name));
		for (uint32_t k = 0; k < nl; k++)
			name[k] = (uint8_t)tolower(h->name[k]);
		field_add(a, sd, name, nl, h->val, h->val_len);
	}
	sd->headers = true;
	msg_build(a, t, 0);
	t->fresh |= HTTP_P_REQ_LINE | HTTP_P_REQ_HEAD;
	struct h2_aux *x = AUX(t);
	body_start(a, &x->body[1], NULL, a->resp_body_limit, false, false);
	side_end(a, s, t, 0);
}

void h2_state_free(struct app_ctx *a, struct h2_state *s)
{
	if (!s)
		return;
	s->a = a;
	for (unsigned i = 0; i < H2_MAX_TX; i++)
		tx_clear(a, s, i);
	for (int d = 0; d < 2; d++) {
		if (s->dir[d].inf)
			nghttp2_hd_inflate_del(s->dir[d].inf);
		buf_free(a, &s->dir[d].buf, &s->dir[d].bcap);
		buf_free(a, &s->dir[d].hb, &s->dir[d].hb_cap);
	}
	v_free(s);
	app_release(a, sizeof(*s));
}

const struct h2_tx *h2_unlogged(struct h2_state *s)
{
	for (unsigned i = 0; s && i < H2_MAX_TX; i++)
		if (s->slot[i] && !s->slot[i]->tx.logged) {
			s->slot[i]->tx.logged = true;
			if (h2_tx_loggable(&s->slot[i]->tx))
				return &s->slot[i]->tx;
		}
	return NULL;
}

const struct h2_tx *h2_peek(const struct h2_state *s)
{
	const struct h2_tx *best = NULL;
	for (unsigned i = 0; s && i < H2_MAX_TX; i++)
		if (s->slot[i] && s->slot[i]->tx.req.valid && (!best || s->slot[i]->tx.tx_id > best->tx_id))
			best = &s->slot[i]->tx;
	return best;
}

const struct app_file *h2_open_file(struct h2_state *s, struct app_file *fi)
{
	for (unsigned i = 0; s && i < H2_MAX_TX; i++)
		for (int d = 0; d < 2; d++)
			if (s->slot[i] && s->slot[i]->aux.fopen[d]) {
				file_close(s->a, s, &s->slot[i]->tx, d, true, fi);
				return fi;
			}
	return NULL;
}

/* ---- rules ---- */

/* Does one of the n values satisfy the rule's comparison? */
static bool any_num(const uint32_t *v, unsigned n, bool (*num)(const void *c, uint64_t v), const void *c)
{
	for (unsigned k = 0; k < n; k++)
		if (num(c, v[k]))
			return true;
	return false;
}

bool h2_tx_check(const struct h2_tx *t, int what, uint32_t id, bool (*num)(const void *c, uint64_t v),
		 const void *c)
{
	for (int d = 0; d < 2; d++) {
		const struct h2_side *sd = &t->side[d];
		if (!sd->fresh)
			continue;
		switch (what) {
		case H2_C_FRAMETYPE:
			for (unsigned k = 0; k < F_NTYPES; k++)
				if ((sd->fresh >> k & 1) && num(c, k))
					return true;
			break;
		case H2_C_ERRORCODE:
			if (any_num(sd->err, sd->nerr, num, c))
				return true;
			break;
		case H2_C_PRIORITY:
			for (unsigned k = 0; k < sd->nprio; k++)
				if (num(c, sd->prio[k]))
					return true;
			break;
		case H2_C_WINDOW:
			if (any_num(sd->win, sd->nwin, num, c))
				return true;
			break;
		case H2_C_SIZE_UPDATE:
			if (any_num(sd->su, sd->nsu, num, c))
				return true;
			break;
		case H2_C_SETTINGS:
			for (unsigned k = 0; k < sd->nset; k++)
				if (sd->set[k].id == id && (!num || num(c, sd->set[k].val)))
					return true;
			break;
		}
	}
	return false;
}

/* ---- records ---- */

bool h2_tx_loggable(const struct h2_tx *t)
{
	for (int d = 0; d < 2; d++)
		if (t->side[d].nset || t->side[d].nerr || t->side[d].nprio || t->side[d].nfl)
			return true;
	return false;
}

static void headers_list(struct jbuf *jb, const char *key, const struct h2_side *sd)
{
	if (!sd->nfl && !sd->nsu)
		return;
	jb_open_array(jb, key);
	for (unsigned i = 0; i < sd->nsu; i++) {
		jb_open_object(jb, NULL);
		jb_u64(jb, "table_size_update", sd->su[i]);
		jb_close(jb);
	}
	for (unsigned i = 0; i < sd->nfl; i++) {
		jb_open_object(jb, NULL);
		jb_strn(jb, "name", sd->fb + sd->fl[i][0], sd->fl[i][1]);
		jb_strn(jb, "value", sd->fb + sd->fl[i][2], sd->fl[i][3]);
		jb_close(jb);
	}
	jb_close(jb);
}

static void frames_object(struct jbuf *jb, const char *key, const struct h2_side *sd)
{
	char tmp[16];
	jb_open_object(jb, key);
	if (sd->settings) {
		jb_open_array(jb, "settings");
		for (unsigned i = 0; i < sd->nset; i++) {
			jb_open_object(jb, NULL);
			const char *nm = sd->set[i].id < ARRAY_SIZE(setting_names) ? setting_names[sd->set[i].id] : NULL;
			char id[48];
			if (nm) {
				/* SETTINGS_MAX_FRAME_SIZE -> SETTINGSMAXFRAMESIZE */
				size_t o = 0;
				for (const char *c = nm; *c && o < sizeof(id) - 1; c++)
					if (*c != '_')
						id[o++] = *c;
				id[o] = 0;
			} else {
				snprintf(id, sizeof(id), "%u", sd->set[i].id);
			}
			jb_str(jb, "settings_id", id);
			jb_u64(jb, "settings_value", sd->set[i].val);
			jb_close(jb);
		}
		jb_close(jb);
	}
	if (sd->nerr) {
		const char *nm = sd->err[0] < ARRAY_SIZE(error_names) ? error_names[sd->err[0]] : NULL;
		if (nm) {
			size_t o = 0;
			for (const char *c = nm; *c && o < sizeof(tmp) - 1; c++)
				if (*c != '_')
					tmp[o++] = *c;
			tmp[o] = 0;
		} else {
			snprintf(tmp, sizeof(tmp), "%u", sd->err[0]);
		}
		jb_str(jb, "error_code", tmp);
	}
	if (sd->nprio)
		jb_u64(jb, "priority", sd->prio[0]);
	if (sd->nerr > 1)
		jb_str(jb, "has_multiple", "error_code");
	else if (sd->nprio > 1)
		jb_str(jb, "has_multiple", "priority");
	jb_close(jb);
}

/* A field of the response, else of the request (Suricata's later value wins). */
static bool field_either(const struct h2_tx *t, const char *name, const uint8_t **v, uint32_t *vl)
{
	return field_get(&t->side[1], name, v, vl) || field_get(&t->side[0], name, v, vl);
}

static void field_str(struct jbuf *jb, const char *key, const struct h2_tx *t, const char *name)
{
	const uint8_t *v;
	uint32_t vl;
	if (field_either(t, name, &v, &vl))
		jb_strn(jb, key, v, vl);
}

static void field_num(struct jbuf *jb, const char *key, const struct h2_tx *t, const char *name)
{
	const uint8_t *v;
	uint32_t vl;
	if (!field_either(t, name, &v, &vl) || !vl || vl > 18)
		return;
	uint64_t x = 0;
	for (uint32_t i = 0; i < vl; i++) {
		if (!isdigit(v[i]))
			return;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	jb_u64(jb, key, x);
}

void h2_log_fields(struct jbuf *jb, const struct h2_tx *t)
{
	const struct h2_side *q = &t->side[0], *r = &t->side[1];
	/* the common fields from either side's headers, as Suricata takes them */
	field_str(jb, "hostname", t, "host");
	field_str(jb, "url", t, ":path");
	field_str(jb, "http_user_agent", t, "user-agent");
	field_str(jb, "http_method", t, ":method");
	field_num(jb, "status", t, ":status");
	field_num(jb, "length", t, "content-length");
	jb_str(jb, "version", "2");
	headers_list(jb, "request_headers", q);
	headers_list(jb, "response_headers", r);
	jb_open_object(jb, "http2");
	jb_u64(jb, "stream_id", t->stream_id);
	frames_object(jb, "request", q);
	frames_object(jb, "response", r);
	jb_close(jb);
}
