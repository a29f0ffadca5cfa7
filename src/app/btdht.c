/*
 * btdht.c - the BitTorrent DHT (BEP 5: KRPC over UDP), as Suricata 8
 * reads and logs it.  Every datagram is one bencoded dictionary and one
 * transaction:
 *
 *   d 1:t <transaction id> 1:y 1:q 1:q <query> 1:a d <arguments> e e
 *   d 1:t <id> 1:y 1:r 1:r d 2:id <node id> [5:nodes|6:nodes6|6:values
 *                             |5:token ...] e e
 *   d 1:t <id> 1:y 1:e 1:e l i<code>e <message> e e
 *   (and 1:v <client version> anywhere in the outer dictionary)
 *
 * A flow is bittorrent-dht when a datagram starts "d1:ad2:id20:" (a query
 * whose arguments come first, as Suricata's pattern wants); afterwards
 * each datagram that starts like a DHT message ("d1:ad", "d1:rd", "d2:ip",
 * "d1:el") is decoded.  The decoder is strict where Suricata's (bendy) is:
 * integers without leading zeros or "-0", string lengths without leading
 * zeros, dictionary keys in strictly increasing order, nesting at most 3
 * deep (BTDHT_MAX_DEPTH); "y", "q" and the error message must be UTF-8.
 * What does not decode raises bittorrent-dht.malformed_packet and keeps
 * what was read before the fault, as Suricata's transaction does.  Values
 * are cut at fixed sizes (BTDHT_STR_MAX bytes a string, BTDHT_NODES_MAX
 * nodes, BTDHT_VALUES_MAX peers): the state is one fixed-size transaction
 * per flow, charged to the app-layer memcap.
 */
#include <stdio.h>
#include <string.h>

#include "app_int.h"
#include "cursor.h"
#include "json.h"
#include "util.h"

#define BTDHT_MAX_DEPTH 3

/* ---- bencode ---- */

struct bdec {
	struct cursor c;
	unsigned depth;           /* containers open */
};

/* An integer "i<digits>e"; false when it is not one (or has more than 18
 * digits: no value DHT needs is that long). */
static bool b_int(struct bdec *b, int64_t *out)
{
	if (cur_u8(&b->c) != 'i')
		return false;
	bool neg = false;
	if (cur_peek_u8(&b->c, 0) == '-') {
		neg = true;
		cur_skip(&b->c, 1);
	}
	int64_t v = 0;
	unsigned nd = 0;
	uint8_t first = 0, ch;
	while ((ch = cur_peek_u8(&b->c, 0)) >= '0' && ch <= '9') {
		if (!nd)
			first = ch;
		if (++nd > 18)
			return false;
		v = v * 10 + (ch - '0');
		cur_skip(&b->c, 1);
	}
	if (!nd || cur_u8(&b->c) != 'e' || b->c.err)
		return false;
	if (first == '0' && (nd > 1 || neg))
		return false; /* "i03e", "i-0e" */
	*out = neg ? -v : v;
	return true;
}

/* A byte string "<len>:<bytes>". */
static bool b_str(struct bdec *b, const uint8_t **p, size_t *n)
{
	size_t len = 0;
	unsigned nd = 0;
	uint8_t first = 0, ch;
	while ((ch = cur_peek_u8(&b->c, 0)) >= '0' && ch <= '9') {
		if (!nd)
			first = ch;
		if (++nd > 9)
			return false;
		len = len * 10 + (size_t)(ch - '0');
		cur_skip(&b->c, 1);
	}
	if (!nd || (first == '0' && nd > 1) || cur_u8(&b->c) != ':')
		return false;
	const uint8_t *s = cur_bytes(&b->c, len);
	if (!s)
		return false;
	*p = s;
	*n = len;
	return true;
}

static uint8_t b_peek(const struct bdec *b)
{
	return cur_peek_u8(&b->c, 0);
}

/* Enters a list or dictionary whose tag is next (checked by the caller). */
static bool b_open(struct bdec *b)
{
	if (b->depth >= BTDHT_MAX_DEPTH)
		return false;
	b->depth++;
	cur_skip(&b->c, 1);
	return true;
}

/* At a container's end: consumes the "e". */
static bool b_end(struct bdec *b)
{
	if (b_peek(b) != 'e')
		return false;
	cur_skip(&b->c, 1);
	b->depth--;
	return true;
}

/* Reads and checks a value of any type without keeping it.  The nesting
 * limit bounds the recursion. */
static bool b_skip(struct bdec *b)
{
	uint8_t t = b_peek(b);
	const uint8_t *p;
	size_t n;
	int64_t v;
	if (t == 'i')
		return b_int(b, &v);
	if (t >= '0' && t <= '9')
		return b_str(b, &p, &n);
	if (t != 'l' && t != 'd')
		return false;
	bool dict = t == 'd';
	if (!b_open(b))
		return false;
	const uint8_t *prev = NULL;
	size_t prev_n = 0;
	while (!b_end(b)) {
		if (dict) {
			if (!b_str(b, &p, &n))
				return false;
			if (prev && (memcmp(prev, p, MIN(prev_n, n)) > 0 ||
				     (!memcmp(prev, p, MIN(prev_n, n)) && prev_n >= n)))
				return false; /* keys strictly increasing */
			prev = p;
			prev_n = n;
		}
		if (!b_skip(b))
			return false;
	}
	return true;
}

/* Dictionary walking: the next key (false at the end, *ok false on a
 * fault). */
struct bdict {
	const uint8_t *prev;
	size_t prev_n;
};

static bool b_next_key(struct bdec *b, struct bdict *d, const uint8_t **k, size_t *kn, bool *ok)
{
	*ok = true;
	if (b_end(b))
		return false;
	if (!b_str(b, k, kn)) {
		*ok = false;
		return false;
	}
	if (d->prev) {
		size_t m = MIN(d->prev_n, *kn);
		int c = memcmp(d->prev, *k, m);
		if (c > 0 || (!c && d->prev_n >= *kn)) {
			*ok = false;
			return false;
		}
	}
	d->prev = *k;
	d->prev_n = *kn;
	return true;
}

static bool key_is(const uint8_t *k, size_t kn, const char *s)
{
	return kn == strlen(s) && !memcmp(k, s, kn);
}

static bool utf8_ok(const uint8_t *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint8_t c = s[i];
		size_t k = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3
			 : (c & 0xf8) == 0xf0 ? 4 : 0;
		if (!k || k > n - i || (k == 2 && c < 0xc2) || (k == 4 && c > 0xf4))
			return false;
		uint32_t cp = k == 1 ? c : k == 2 ? c & 0x1f : k == 3 ? c & 0x0f : c & 0x07;
		for (size_t j = 1; j < k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
		    (k == 4 && (cp < 0x10000 || cp > 0x10ffff)))
			return false;
		i += k;
	}
	return true;
}

/* A byte string into a capped field. */
static bool take_str(struct bdec *b, struct btdht_str *s)
{
	const uint8_t *p;
	size_t n;
	if (!b_str(b, &p, &n))
		return false;
	s->len = (uint16_t)MIN(n, sizeof(s->b));
	memcpy(s->b, p, s->len);
	s->set = true;
	return true;
}

/* ---- the KRPC message ---- */

static bool query_args(struct bdec *b, struct btdht_tx *t)
{
	if (b_peek(b) != 'd' || !b_open(b))
		return false;
	struct bdict d = { 0 };
	const uint8_t *k;
	size_t kn;
	bool ok;
	struct btdht_str id = { 0 };
	while (b_next_key(b, &d, &k, &kn, &ok)) {
		int64_t v;
		if (key_is(k, kn, "id")) {
			if (!take_str(b, &id))
				return false;
		} else if (key_is(k, kn, "target")) {
			if (!take_str(b, &t->target))
				return false;
		} else if (key_is(k, kn, "info_hash")) {
			if (!take_str(b, &t->info_hash))
				return false;
		} else if (key_is(k, kn, "token")) {
			if (!take_str(b, &t->req_token))
				return false;
		} else if (key_is(k, kn, "implied_port")) {
			if (b_peek(b) != 'i' || !b_int(b, &v) || v < 0 || v > 255)
				return false;
			t->implied_port = (uint8_t)v;
			t->has_implied_port = true;
		} else if (key_is(k, kn, "port")) {
			if (b_peek(b) != 'i' || !b_int(b, &v) || v < 0 || v > 65535)
				return false;
			t->port = (uint16_t)v;
			t->has_port = true;
		} else if (!b_skip(b)) {
			return false;
		}
	}
	if (!ok || !id.set)
		return false;
	t->id = id;
	return true;
}

/* Compact node infos: 26 bytes each (IPv4) or 38 (IPv6); a shorter tail
 * is ignored, as Suricata's many0 does. */
static void take_nodes(const uint8_t *p, size_t n, bool v6, struct btdht_node *out, uint8_t *cnt)
{
	size_t iplen = v6 ? 16 : 4;
	struct cursor c;
	cur_init(&c, p, n);
	*cnt = 0;
	while (cur_has(&c, 20 + iplen + 2) && *cnt < BTDHT_NODES_MAX) {
		struct btdht_node *nd = &out[(*cnt)++];
		cur_copy(&c, nd->id, 20);
		cur_copy(&c, nd->ip, iplen);
		nd->ip_len = (uint8_t)iplen;
		nd->port = cur_be16(&c);
	}
}

static bool response(struct bdec *b, struct btdht_tx *t)
{
	if (b_peek(b) != 'd' || !b_open(b))
		return false;
	struct bdict d = { 0 };
	const uint8_t *k, *p;
	size_t kn, n;
	bool ok;
	struct btdht_str id = { 0 };
	while (b_next_key(b, &d, &k, &kn, &ok)) {
		if (key_is(k, kn, "id")) { /* (the response's node id) */
			if (!take_str(b, &id))
				return false;
		} else if (key_is(k, kn, "nodes") || key_is(k, kn, "nodes6")) {
			bool v6 = kn == 6;
			if (!b_str(b, &p, &n))
				return false;
			take_nodes(p, n, v6, v6 ? t->nodes6 : t->nodes, v6 ? &t->nnodes6 : &t->nnodes);
		} else if (key_is(k, kn, "values") && b_peek(b) == 'l') {
			if (!b_open(b))
				return false;
			while (!b_end(b)) {
				/* a compact peer: an IPv4 address and port, or IPv6
				 * from 18 bytes */
				if (!b_str(b, &p, &n))
					return false;
				size_t iplen = n < 18 ? 4 : 16;
				struct cursor pc;
				cur_init(&pc, p, n);
				if (!cur_has(&pc, iplen + 2))
					return false;
				if (t->nvalues < BTDHT_VALUES_MAX) {
					struct btdht_peer *pe = &t->values[t->nvalues++];
					cur_copy(&pc, pe->ip, iplen);
					pe->ip_len = (uint8_t)iplen;
					pe->port = cur_be16(&pc);
				}
			}
		} else if (key_is(k, kn, "token")) {
			if (!take_str(b, &t->resp_token))
				return false;
		} else if (!b_skip(b)) {
			return false;
		}
	}
	if (!ok || !id.set)
		return false;
	t->resp_id = id;
	return true;
}

static bool error_list(struct bdec *b, struct btdht_tx *t)
{
	if (b_peek(b) != 'l' || !b_open(b))
		return false;
	bool has_num = false, has_msg = false;
	while (!b_end(b)) {
		uint8_t ty = b_peek(b);
		if (ty == 'i') {
			int64_t v;
			if (!b_int(b, &v) || v < 0 || v > 65535)
				return false;
			t->err_num = (uint16_t)v;
			has_num = true;
		} else if (ty >= '0' && ty <= '9') {
			const uint8_t *p;
			size_t n;
			if (!b_str(b, &p, &n) || !utf8_ok(p, n))
				return false;
			t->err_msg.len = (uint16_t)MIN(n, sizeof(t->err_msg.b));
			memcpy(t->err_msg.b, p, t->err_msg.len);
			t->err_msg.set = true;
			has_msg = true;
		} else if (!b_skip(b)) {
			return false;
		}
	}
	return has_num && has_msg;
}

/* A UTF-8 string value ("y", "q") into out (cut to fit). */
static bool take_text(struct bdec *b, struct btdht_str *out)
{
	const uint8_t *p;
	size_t n;
	if (!b_str(b, &p, &n) || !utf8_ok(p, n))
		return false;
	out->len = (uint16_t)MIN(n, sizeof(out->b));
	memcpy(out->b, p, out->len);
	out->set = true;
	return true;
}

/* Decodes one message into t (zeroed by the caller); false when it is
 * malformed (t keeps what was decided before the fault: the kind of
 * message and its body once the outer dictionary was read whole). */
bool btdht_parse(const uint8_t *d, uint32_t n, struct btdht_tx *t)
{
	struct bdec b;
	cur_init(&b.c, d, n);
	b.depth = 0;
	if (b_peek(&b) != 'd' || !b_open(&b))
		return false;
	struct bdict dd = { 0 };
	const uint8_t *k;
	size_t kn;
	bool ok;
	/* the outer dictionary's fields are taken when it was read whole */
	struct btdht_tx m;
	memset(&m, 0, sizeof(m));
	struct btdht_str y = { 0 }, q = { 0 }, tid = { 0 }, ver = { 0 };
	bool has_a = false, has_r = false, has_e = false;
	while (b_next_key(&b, &dd, &k, &kn, &ok)) {
		bool good = true;
		if (key_is(k, kn, "y"))
			good = take_text(&b, &y);
		else if (key_is(k, kn, "q"))
			good = take_text(&b, &q);
		else if (key_is(k, kn, "a"))
			good = has_a = query_args(&b, &m);
		else if (key_is(k, kn, "r"))
			good = has_r = response(&b, &m);
		else if (key_is(k, kn, "e"))
			good = has_e = error_list(&b, &m);
		else if (key_is(k, kn, "t"))
			good = take_str(&b, &tid);
		else if (key_is(k, kn, "v"))
			good = take_str(&b, &ver);
		else
			good = b_skip(&b);
		if (!good)
			return false;
	}
	if (!ok || !y.set)
		return false;
	/* the message's kind, then its transaction id (Suricata's order: a
	 * query without "t" keeps its type and arguments) */
	if (key_is(y.b, y.len, "q")) {
		if (!q.set || !has_a)
			return false;
		m.request_type = q;
		m.kind = 'q';
	} else if (key_is(y.b, y.len, "r")) {
		if (!has_r)
			return false;
		m.kind = 'r';
	} else if (key_is(y.b, y.len, "e")) {
		if (!has_e)
			return false;
		m.kind = 'e';
	} else {
		return false;
	}
	m.tx_id = t->tx_id;
	*t = m; /* (the record shows the fields of its kind only) */
	if (!tid.set)
		return false;
	t->transaction_id = tid;
	t->client_version = ver;
	return true;
}

/* Suricata's pattern: a query whose arguments come first. */
bool btdht_probe(const uint8_t *d, uint32_t n)
{
	static const char pat[] = "d1:ad2:id20:";
	return n >= sizeof(pat) - 1 && !memcmp(d, pat, sizeof(pat) - 1);
}

static bool looks_dht(const uint8_t *d, uint32_t n)
{
	if (n <= 5)
		return false;
	return !memcmp(d, "d1:ad", 5) || !memcmp(d, "d1:rd", 5) || !memcmp(d, "d2:ip", 5) ||
	       !memcmp(d, "d1:el", 5);
}

void btdht_udp(struct app_ctx *a, struct btdht_state *s, const uint8_t *d, uint32_t n)
{
	a->tx.alproto = ALP_BITTORRENT_DHT;
	if (!looks_dht(d, n))
		return;
	struct btdht_tx *t = &s->tx;
	memset(t, 0, sizeof(*t));
	t->tx_id = s->next_tx++;
	if (!btdht_parse(d, n, t)) {
		app_event(a, APP_EV_BTDHT_MALFORMED);
		a->tx.ev_tx_id = (int64_t)t->tx_id;
	}
	app_count_tx(a, true, ALP_BITTORRENT_DHT);
	if (t->kind) /* complete: a query, a response or an error */
		a->tx.btdht = t;
}

/* ---- the record ---- */

static void hex(struct jbuf *jb, const char *key, const struct btdht_str *s)
{
	static const char digits[] = "0123456789abcdef";
	char out[2 * sizeof(s->b)];
	for (unsigned i = 0; i < s->len; i++) {
		out[2 * i] = digits[s->b[i] >> 4];
		out[2 * i + 1] = digits[s->b[i] & 15];
	}
	jb_strn(jb, key, (const uint8_t *)out, 2u * s->len);
}

static void ip_str(char out[static 48], const uint8_t *ip, uint8_t len)
{
	if (len == 4) {
		snprintf(out, 48, "%u.%u.%u.%u", ip[0], ip[1], ip[2], ip[3]);
		return;
	}
	/* Suricata's form: eight groups of four hex digits, none shortened */
	size_t o = 0;
	for (unsigned i = 0; i < 16; i += 2)
		o += (size_t)snprintf(out + o, 48 - o, "%s%02x%02x", i ? ":" : "", ip[i], ip[i + 1]);
}

static void nodes(struct jbuf *jb, const char *key, const struct btdht_node *nd, uint8_t cnt)
{
	if (!cnt)
		return;
	jb_open_array(jb, key);
	for (unsigned i = 0; i < cnt; i++) {
		char ip[48];
		struct btdht_str id = { .len = 20, .set = true };
		memcpy(id.b, nd[i].id, 20);
		jb_open_object(jb, NULL);
		hex(jb, "id", &id);
		ip_str(ip, nd[i].ip, nd[i].ip_len);
		jb_str(jb, "ip", ip);
		jb_u64(jb, "port", nd[i].port);
		jb_close(jb);
	}
	jb_close(jb);
}

void btdht_log_fields(struct jbuf *jb, const struct btdht_tx *t)
{
	hex(jb, "transaction_id", &t->transaction_id);
	if (t->client_version.set)
		hex(jb, "client_version", &t->client_version);
	if (t->kind == 'q')
		jb_strn(jb, "request_type", t->request_type.b, t->request_type.len);
	if (t->kind == 'e') {
		jb_open_object(jb, "error");
		jb_u64(jb, "num", t->err_num);
		jb_strn(jb, "msg", t->err_msg.b, t->err_msg.len);
		jb_close(jb);
	}
	if (t->kind == 'q') {
		jb_open_object(jb, "request");
		hex(jb, "id", &t->id);
		if (t->target.set)
			hex(jb, "target", &t->target);
		if (t->info_hash.set)
			hex(jb, "info_hash", &t->info_hash);
		if (t->req_token.set)
			hex(jb, "token", &t->req_token);
		if (t->has_implied_port)
			jb_u64(jb, "implied_port", t->implied_port);
		if (t->has_port)
			jb_u64(jb, "port", t->port);
		jb_close(jb);
	}
	if (t->kind == 'r') {
		jb_open_object(jb, "response");
		hex(jb, "id", &t->resp_id);
		nodes(jb, "nodes", t->nodes, t->nnodes);
		nodes(jb, "nodes6", t->nodes6, t->nnodes6);
		if (t->nvalues) {
			jb_open_array(jb, "values");
			for (unsigned i = 0; i < t->nvalues; i++) {
				char ip[48];
				ip_str(ip, t->values[i].ip, t->values[i].ip_len);
				jb_open_object(jb, NULL);
				jb_str(jb, "ip", ip);
				jb_u64(jb, "port", t->values[i].port);
				jb_close(jb);
			}
			jb_close(jb);
		}
		if (t->resp_token.set)
			hex(jb, "token", &t->resp_token);
		jb_close(jb);
	}
}
