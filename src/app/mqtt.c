/*
 * mqtt.c - MQTT 3.1, 3.1.1 and 5.0 over TCP, as Suricata 8 reads and logs
 * it.
 *
 *   fixed header: type(4 bits) dup(1) qos(2) retain(1), remaining length
 *   (a variable integer of 1 to 4 bytes), then the type's variable header
 *   and payload; MQTT 5 adds properties (a length, then id/value pairs).
 *
 * Each direction is cut into messages; a message is kept whole (its raw
 * bytes, charged to the app memcap) and read again when it is logged or
 * a rule asks, so nothing but bytes is stored.  A message longer than
 * app-layer.protocols.mqtt.max-msg-length is skipped and stands as a
 * truncated one (its type, flags and length).  A message that does not
 * parse raises mqtt.malformed_traffic and ends the reading of that
 * direction.
 *
 * Transactions follow Suricata's: CONNECT waits for CONNACK; PUBLISH
 * with QoS 1 for PUBACK, with QoS 2 for PUBREC, PUBREL and PUBCOMP (by
 * message id); SUBSCRIBE for SUBACK; UNSUBSCRIBE for UNSUBACK; the rest
 * (and QoS 0 messages) stand alone.  A reply to nothing is a transaction
 * of its own with mqtt.missing_*.  A transaction is shown to the rules and
 * written as an mqtt record when it is complete, the others at flow end.
 */
#include <stdio.h>
#include <string.h>

#include "app_int.h"
#include "cursor.h"
#include "json.h"
#include "util.h"

enum { T_CONNECT = 1, T_CONNACK, T_PUBLISH, T_PUBACK, T_PUBREC, T_PUBREL, T_PUBCOMP,
       T_SUBSCRIBE, T_SUBACK, T_UNSUBSCRIBE, T_UNSUBACK, T_PINGREQ, T_PINGRESP, T_DISCONNECT,
       T_AUTH };

static const char *const type_names[16] = {
	"unassigned", "connect", "connack", "publish", "puback", "pubrec", "pubrel", "pubcomp",
	"subscribe", "suback", "unsubscribe", "unsuback", "pingreq", "pingresp", "disconnect", "auth",
};

#define CONNECT_ID 0xffffffffu    /* the pseudo message id a CONNECT waits under */

static uint32_t max_msg_len = 1u << 20;
static bool log_passwords = true;

void mqtt_config(uint64_t max_len, bool passwords)
{
	max_msg_len = max_len && max_len < UINT32_MAX ? (uint32_t)max_len : 1u << 20;
	log_passwords = passwords;
}

int mqtt_type_lookup(const char *name)
{
	for (int i = 0; i < 16; i++)
		if (!strcasecmp(name, type_names[i]))
			return i;
	return -1;
}

/* ---- reading a message ---- */

/* A variable integer (1 to 4 bytes); false when it runs on or is cut. */
static bool varint(struct cursor *c, uint32_t *v)
{
	uint32_t val = 0, mul = 1;
	for (int i = 0; i < 4; i++) {
		uint8_t b = cur_u8(c);
		if (c->err)
			return false;
		val += (uint32_t)(b & 127) * mul;
		if (!(b & 128)) {
			*v = val;
			return true;
		}
		mul *= 128;
	}
	return false;
}

struct span {
	const uint8_t *p;
	uint32_t n;
	bool set;
};

static bool str16(struct cursor *c, struct span *s)
{
	uint16_t n = cur_be16(c);
	const uint8_t *p = cur_bytes(c, n);
	if (c->err)
		return false;
	s->p = p;
	s->n = n;
	s->set = true;
	return true;
}

/* A property block: its bytes, each property's length checked. */
static bool props(struct cursor *c, struct span *s)
{
	uint32_t n;
	if (!varint(c, &n))
		return false;
	const uint8_t *p = cur_bytes(c, n);
	if (c->err)
		return false;
	struct cursor pc;
	cur_init(&pc, p, n);
	while (cur_left(&pc)) {
		uint32_t id;
		if (!varint(&pc, &id))
			return false;
		struct span v;
		uint32_t x;
		switch (id) {
		case 1: case 23: case 25: case 36: case 37: case 40: case 41: case 42:
			cur_skip(&pc, 1); break;
		case 19: case 33: case 34: case 35:
			cur_skip(&pc, 2); break;
		case 2: case 17: case 24: case 39:
			cur_skip(&pc, 4); break;
		case 3: case 8: case 9: case 18: case 21: case 22: case 26: case 28: case 31:
			if (!str16(&pc, &v)) return false;
			break;
		case 11:
			if (!varint(&pc, &x)) return false;
			break;
		case 38:
			if (!str16(&pc, &v) || !str16(&pc, &v)) return false;
			break;
		default:
			break; /* unknown: Suricata skips only its id */
		}
		if (pc.err)
			return false;
	}
	s->p = p;
	s->n = n;
	s->set = n > 0;
	return true;
}

struct view {
	uint8_t type, qos;
	bool dup, retain;
	uint8_t version;
	/* connect */
	struct span proto, client_id, will_topic, will_msg, username, password, cprops, wprops;
	uint8_t proto_version, cflags;
	/* the others */
	bool has_id;
	uint16_t msg_id;
	bool has_rc;
	uint8_t rc;               /* reason / return code */
	bool session_present;
	struct span topic, message, mprops;
	struct span list;         /* subscribe topics (name, qos), unsubscribe topics, suback/unsuback codes */
};

/* The rest of the message as a span. */
static void rest(struct cursor *c, struct span *s)
{
	s->p = c->p;
	s->n = (uint32_t)cur_left(c);
	s->set = true;
}

/* A message id, then (MQTT 5) properties; false when cut short. */
static bool id_props(struct cursor *c, bool v5, struct view *v)
{
	v->msg_id = cur_be16(c);
	v->has_id = true;
	return !c->err && (!v5 || props(c, &v->mprops));
}

/* The next entry of a SUBSCRIBE's or UNSUBSCRIBE's topic list: its
 * topic and, in a SUBSCRIBE, the options byte after it (0 otherwise);
 * false at the list's end or at an entry cut short. */
static bool topic_next(struct cursor *c, int type, struct span *s, uint8_t *opts)
{
	if (!cur_left(c) || !str16(c, s))
		return false;
	*opts = type == T_SUBSCRIBE ? cur_u8(c) : 0;
	return !c->err;
}

/* Reads msg (a whole message; truncated ones are not read) as MQTT
 * version `version` (the connection's, from its CONNECT).  false: it
 * does not parse. */
static bool view(const struct mqtt_msg *m, uint8_t version, struct view *v)
{
	memset(v, 0, sizeof(*v));
	struct cursor c;
	cur_init(&c, m->raw, m->len);
	uint8_t h = cur_u8(&c);
	uint32_t rl;
	if (!varint(&c, &rl) || cur_left(&c) < rl)
		return false;
	v->type = h >> 4;
	v->dup = h & 8;
	v->qos = h >> 1 & 3;
	v->retain = h & 1;
	v->version = version;
	cur_init(&c, c.p, rl);
	bool v5 = version == 5;
	switch (v->type) {
	case T_CONNECT:
		if (!str16(&c, &v->proto))
			return false;
		v->proto_version = cur_u8(&c);
		v->cflags = cur_u8(&c);
		cur_skip(&c, 2); /* keep alive */
		v5 = v->proto_version == 5;
		if ((v5 && !props(&c, &v->cprops)) || !str16(&c, &v->client_id))
			return false;
		if (v->cflags & 0x04) {
			if ((v5 && !props(&c, &v->wprops)) || !str16(&c, &v->will_topic) ||
			    !str16(&c, &v->will_msg))
				return false;
		}
		if ((v->cflags & 0x80) && !str16(&c, &v->username))
			return false;
		if ((v->cflags & 0x40) && !str16(&c, &v->password))
			return false;
		return !c.err;
	case T_CONNACK:
		v->session_present = cur_u8(&c) & 1;
		v->rc = cur_u8(&c);
		v->has_rc = true;
		if (c.err || (v5 && !props(&c, &v->mprops)))
			return false;
		return true;
	case T_PUBLISH:
		if (!str16(&c, &v->topic))
			return false;
		if (v->qos > 0) {
			v->msg_id = cur_be16(&c);
			v->has_id = true;
		}
		if (c.err || (v5 && !props(&c, &v->mprops)))
			return false;
		rest(&c, &v->message);
		return true;
	case T_PUBACK: case T_PUBREC: case T_PUBREL: case T_PUBCOMP:
		v->msg_id = cur_be16(&c);
		v->has_id = true;
		if (c.err)
			return false;
		if (v5) {
			v->has_rc = true;
			if (rl == 2)
				return true;
			v->rc = cur_u8(&c);
			if (rl == 3)
				return !c.err;
			return !c.err && props(&c, &v->mprops);
		}
		return true;
	case T_SUBSCRIBE:
	case T_UNSUBSCRIBE:
		if (!id_props(&c, v5, v))
			return false;
		rest(&c, &v->list);
		{
			/* the topics: whole ones only (a cut one ends the list) */
			struct cursor t;
			cur_init(&t, v->list.p, v->list.n);
			unsigned n = 0;
			struct span s;
			uint8_t opts;
			while (cur_left(&t)) {
				struct cursor save = t;
				if (!topic_next(&t, v->type, &s, &opts)) {
					v->list.n = (uint32_t)(save.p - v->list.p);
					break;
				}
				n++;
			}
			/* a SUBSCRIBE needs one (nom's many1) */
			return v->type == T_UNSUBSCRIBE || n > 0;
		}
	case T_SUBACK:
	case T_UNSUBACK:
		if (!id_props(&c, v5, v))
			return false;
		rest(&c, &v->list);
		return true;
	case T_PINGREQ:
	case T_PINGRESP:
		return true;
	case T_DISCONNECT:
		if (!v5)
			return true;
		v->has_rc = true;
		if (rl == 0)
			return true;
		v->rc = cur_u8(&c);
		if (rl == 1) {
			v->rc = 0; /* (as Suricata reads it) */
			return !c.err;
		}
		return !c.err && props(&c, &v->mprops);
	case T_AUTH:
		v->rc = cur_u8(&c);
		v->has_rc = true;
		return !c.err && props(&c, &v->mprops);
	default:
		return true; /* unassigned (0): stands alone */
	}
}

/* ---- transactions ---- */

static void tx_free(struct app_ctx *a, struct mqtt_tx *t)
{
	for (unsigned i = 0; i < t->nmsg; i++)
		if (t->msg[i].raw) {
			v_free(t->msg[i].raw);
			app_release(a, t->msg[i].len);
		}
	memset(t, 0, sizeof(*t));
}

static void show(struct app_ctx *a, struct mqtt_tx *t)
{
	t->seq = a->pkt_seq;
	t->logged = true;
	for (unsigned i = 0; i < a->tx.nmqtt; i++)
		if (a->tx.mqtt[i] == t)
			return;
	if (a->tx.nmqtt < APP_MQTT_PER_PKT)
		a->tx.mqtt[a->tx.nmqtt++] = t;
}

static void complete(struct app_ctx *a, struct mqtt_tx *t)
{
	t->complete = true;
	t->has_pkt_id = false;
	show(a, t);
}

/* A free slot (logged transactions not shown on this packet are freed
 * first); when none, the oldest incomplete one is given up (completed,
 * mqtt.too_many_transactions) and NULL returned. */
static struct mqtt_tx *tx_new(struct app_ctx *a, struct mqtt_state *s, bool toclient)
{
	struct mqtt_tx *t = NULL, *old = NULL;
	for (unsigned i = 0; i < MQTT_MAX_TX; i++) {
		struct mqtt_tx *x = &s->tx[i];
		if (x->used && x->logged && x->seq != a->pkt_seq)
			tx_free(a, x);
		if (!x->used && !t)
			t = x;
		if (x->used && !x->complete && (!old || x->tx_id < old->tx_id))
			old = x;
	}
	if (!t) {
		app_event(a, APP_EV_MQTT_TOO_MANY_TX);
		if (old)
			complete(a, old);
		return NULL;
	}
	t->used = true;
	t->tx_id = s->next_tx++;
	t->toclient = toclient;
	t->seq = a->pkt_seq;
	app_count_tx(a, false, ALP_MQTT);
	return t;
}

static struct mqtt_tx *by_id(struct mqtt_state *s, uint32_t id)
{
	for (unsigned i = 0; i < MQTT_MAX_TX; i++) {
		struct mqtt_tx *t = &s->tx[i];
		if (t->used && !t->complete && t->has_pkt_id && t->pkt_id == id)
			return t;
	}
	return NULL;
}

/* Adds message m (its raw bytes owned by the transaction from here) to
 * t; when t is full the bytes are dropped. */
static void add(struct app_ctx *a, struct mqtt_tx *t, struct mqtt_msg *m)
{
	if (t->nmsg < MQTT_TX_MSGS) {
		t->msg[t->nmsg++] = *m;
	} else if (m->raw) {
		v_free(m->raw);
		app_release(a, m->len);
	}
	m->raw = NULL;
}

static void handle(struct app_ctx *a, struct mqtt_state *s, struct mqtt_msg *m, const struct view *v,
		   bool toclient)
{
	struct mqtt_tx *t;
	uint8_t type = m->truncated ? 0xff : v->type;
	switch (type) {
	case T_CONNECT:
		s->version = v->proto_version;
		if (!(t = tx_new(a, s, toclient)))
			break;
		add(a, t, m);
		t->pkt_id = CONNECT_ID;
		t->has_pkt_id = true;
		if (s->connected)
			app_event(a, APP_EV_MQTT_DOUBLE_CONNECT);
		break;
	case T_PUBLISH:
	case T_SUBSCRIBE:
	case T_UNSUBSCRIBE:
		if (!(t = tx_new(a, s, toclient)))
			break;
		add(a, t, m);
		if (v->qos == 0) {
			complete(a, t);
		} else if (v->qos <= 2) {
			if (v->has_id) {
				t->pkt_id = v->msg_id;
				t->has_pkt_id = true;
			} else {
				app_event(a, APP_EV_MQTT_MISSING_MSG_ID);
			}
		} else {
			app_event(a, APP_EV_MQTT_INVALID_QOS);
		}
		if (!s->connected)
			app_event(a, APP_EV_MQTT_UNINTRODUCED);
		break;
	case T_CONNACK:
		if ((t = by_id(s, CONNECT_ID))) {
			add(a, t, m);
			complete(a, t);
			s->connected = true;
		} else if ((t = tx_new(a, s, toclient))) {
			add(a, t, m);
			app_event(a, APP_EV_MQTT_MISSING_CONNECT);
			complete(a, t);
		}
		break;
	case T_PUBREC:
	case T_PUBREL:
	case T_PUBACK:
	case T_PUBCOMP:
	case T_SUBACK:
	case T_UNSUBACK:
		if ((t = by_id(s, v->msg_id))) {
			add(a, t, m);
			if (type != T_PUBREC && type != T_PUBREL)
				complete(a, t);
		} else if ((t = tx_new(a, s, toclient))) {
			add(a, t, m);
			app_event(a, type == T_SUBACK ? APP_EV_MQTT_MISSING_SUBSCRIBE
				  : type == T_UNSUBACK ? APP_EV_MQTT_MISSING_UNSUBSCRIBE
				  : APP_EV_MQTT_MISSING_PUBLISH);
			if (!s->connected)
				app_event(a, APP_EV_MQTT_UNINTRODUCED);
			complete(a, t);
		}
		break;
	case 0:
		if ((t = tx_new(a, s, toclient))) {
			add(a, t, m);
			app_event(a, APP_EV_MQTT_UNASSIGNED);
			complete(a, t);
		}
		break;
	case 0xff: /* truncated */
		if ((t = tx_new(a, s, toclient))) {
			add(a, t, m);
			complete(a, t);
		}
		break;
	default: /* ping, disconnect, auth */
		if ((t = tx_new(a, s, toclient))) {
			add(a, t, m);
			if (!s->connected)
				app_event(a, APP_EV_MQTT_UNINTRODUCED);
			complete(a, t);
		}
		break;
	}
	if (m->raw) { /* not taken */
		v_free(m->raw);
		app_release(a, m->len);
		m->raw = NULL;
	}
}

/* ---- the byte stream ---- */

static void broken(struct app_ctx *a, struct mqtt_dir *dd)
{
	app_event(a, APP_EV_MQTT_MALFORMED);
	dd->broken = true;
}

/* One whole message in d[0..n) (its fixed header included). */
static void message(struct app_ctx *a, struct mqtt_state *s, int dir, const uint8_t *d, uint32_t n)
{
	/* its frames: the fixed header (the type byte, 1 to 4 length bytes),
	 * the rest, the whole */
	struct cursor fc;
	cur_init(&fc, d, n);
	cur_skip(&fc, 1);
	for (int i = 0; i < 4 && (cur_u8(&fc) & 0x80);)
		i++;
	uint32_t hl = fc.err ? n : (uint32_t)cur_offset(&fc, d);
	app_frame_add(a, FR_MQTT_HEADER, dir, d, hl, NULL, 0);
	app_frame_add(a, FR_MQTT_DATA, dir, d + hl, n - hl, NULL, 0);
	app_frame_add(a, FR_MQTT_PDU, dir, d, n, NULL, 0);
	struct mqtt_msg m = { 0 };
	if (!app_charge(a, n))
		return;
	if (!(m.raw = v_malloc(n ? n : 1))) {
		app_release(a, n);
		return;
	}
	memcpy(m.raw, d, n);
	m.len = n;
	m.version = s->version;
	struct view v;
	/* a CONNECT says the version it is read with */
	if ((d[0] >> 4) == T_CONNECT) {
		struct cursor c;
		cur_init(&c, d, n);
		cur_u8(&c);
		uint32_t rl;
		struct span ps;
		if (varint(&c, &rl) && str16(&c, &ps))
			m.version = cur_u8(&c);
	}
	if (!view(&m, m.version, &v)) {
		v_free(m.raw);
		app_release(a, n);
		broken(a, &s->dir[dir]);
		return;
	}
	handle(a, s, &m, &v, dir == 1);
}

/* A fixed header at h[0..have): its length (2 to 5), 0 when cut short,
 * -1 when its remaining length runs past 4 bytes. */
static int fixed_header(const uint8_t *h, uint32_t have, uint32_t *rl)
{
	uint32_t v = 0;
	for (uint32_t i = 1; i <= 4; i++) {
		if (i >= have)
			return 0;
		v |= (uint32_t)(h[i] & 127) << (7 * (i - 1));
		if (!(h[i] & 128)) {
			*rl = v;
			return (int)i + 1;
		}
	}
	return -1;
}

/* A message longer than max-msg-length: a truncated one, its bytes
 * skipped (total counts the fixed header too). */
static void too_long(struct app_ctx *a, struct mqtt_state *s, int dir, uint8_t h, uint64_t total)
{
	struct mqtt_msg m = { 0 };
	m.truncated = true;
	m.hdr = h;
	m.skipped = (uint32_t)MIN(total, (uint64_t)UINT32_MAX);
	struct view v;
	memset(&v, 0, sizeof(v));
	handle(a, s, &m, &v, dir == 1);
}

void mqtt_feed(struct app_ctx *a, struct mqtt_state *s, int dir, const uint8_t *d, uint32_t n)
{
	struct mqtt_dir *dd = &s->dir[dir & 1];
	a->tx.alproto = ALP_MQTT;
	while (n && !dd->broken) {
		uint32_t rl, k;
		int hl;
		if (dd->skip) {
			k = (uint32_t)MIN((uint64_t)n, dd->skip);
			dd->skip -= k;
			d += k;
			n -= k;
			continue;
		}
		if (dd->buf) {
			/* the rest of a message being gathered */
			k = MIN(n, dd->cap - dd->len);
			memcpy(dd->buf + dd->len, d, k);
			dd->len += k;
			d += k;
			n -= k;
			if (dd->len == dd->cap) {
				message(a, s, dir & 1, dd->buf, dd->cap);
				app_buf_free(a, &dd->buf, dd->cap);
				dd->cap = dd->len = 0;
			}
			continue;
		}
		if (dd->hlen) {
			/* a fixed header cut across deliveries: a byte at a time */
			dd->hdr[dd->hlen++] = *d++;
			n--;
			if ((hl = fixed_header(dd->hdr, dd->hlen, &rl)) < 0) {
				broken(a, dd);
				return;
			}
			if (!hl)
				continue;
			uint64_t total = (uint64_t)hl + rl;
			if (rl > max_msg_len) {
				too_long(a, s, dir & 1, dd->hdr[0], total);
				dd->skip = total - dd->hlen;
				dd->hlen = 0;
				continue;
			}
			if (!app_buf(a, &dd->buf, (uint32_t)total)) {
				dd->broken = true; /* (the memcap refused it) */
				return;
			}
			dd->cap = (uint32_t)total;
			memcpy(dd->buf, dd->hdr, dd->hlen);
			dd->len = dd->hlen;
			dd->hlen = 0;
			if (dd->len == dd->cap) {
				message(a, s, dir & 1, dd->buf, dd->cap);
				app_buf_free(a, &dd->buf, dd->cap);
				dd->cap = dd->len = 0;
			}
			continue;
		}
		if ((hl = fixed_header(d, n, &rl)) < 0) {
			broken(a, dd);
			return;
		}
		if (!hl) {
			/* (n < 5 here) */
			memcpy(dd->hdr, d, n);
			dd->hlen = (uint8_t)n;
			return;
		}
		uint64_t total = (uint64_t)hl + rl;
		if (rl > max_msg_len) {
			too_long(a, s, dir & 1, d[0], total);
			k = (uint32_t)MIN((uint64_t)n, total);
			d += k;
			n -= k;
			dd->skip = total - k;
			continue;
		}
		if (total <= n) {
			/* whole here: read in place */
			message(a, s, dir & 1, d, (uint32_t)total);
			d += total;
			n -= (uint32_t)total;
			continue;
		}
		if (!app_buf(a, &dd->buf, (uint32_t)total)) {
			dd->broken = true;
			return;
		}
		dd->cap = (uint32_t)total;
		memcpy(dd->buf, d, n);
		dd->len = n;
		return;
	}
}

void mqtt_gap(struct app_ctx *a, struct mqtt_state *s, int dir)
{
	/* Suricata's MQTT parser takes no holes: the direction stops */
	struct mqtt_dir *dd = &s->dir[dir & 1];
	app_buf_free(a, &dd->buf, dd->cap);
	dd->cap = dd->len = 0;
	dd->hlen = 0;
	dd->broken = true;
}

bool mqtt_probe(const uint8_t *d, uint32_t n)
{
	/* Suricata's: a fixed header of an assigned type with QoS 0 to 2 */
	if (n < 2 || !(d[0] >> 4) || (d[0] >> 1 & 3) > 2)
		return false;
	for (uint32_t i = 1; i < n && i <= 4; i++)
		if (!(d[i] & 128))
			return true;
	return false;
}

void mqtt_state_free(struct app_ctx *a, struct mqtt_state *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < MQTT_MAX_TX; i++)
		tx_free(a, &s->tx[i]);
	for (int d = 0; d < 2; d++)
		app_buf_free(a, &s->dir[d].buf, s->dir[d].cap);
	v_free(s);
}

const struct mqtt_tx *mqtt_unlogged(struct mqtt_state *s)
{
	struct mqtt_tx *next = NULL;
	for (unsigned i = 0; s && i < MQTT_MAX_TX; i++) {
		struct mqtt_tx *t = &s->tx[i];
		if (t->used && !t->logged && (!next || t->tx_id < next->tx_id))
			next = t;
	}
	if (next)
		next->logged = true;
	return next;
}

/* ---- what the rules see ---- */

bool mqtt_tx_check(const struct mqtt_tx *t, int what, bool (*num)(const void *c, uint64_t v),
		   const void *c, uint32_t want, uint32_t not)
{
	bool any_rc = false;
	for (unsigned i = 0; i < t->nmsg; i++) {
		const struct mqtt_msg *m = &t->msg[i];
		struct view v;
		uint8_t h = m->truncated ? m->hdr : m->raw[0];
		uint8_t type = h >> 4, qos = h >> 1 & 3;
		uint32_t flags = (h & 8 ? MQTT_F_DUP : 0) | (h & 1 ? MQTT_F_RETAIN : 0);
		switch (what) {
		case MQTT_C_TYPE:
			if (num(c, type))
				return true;
			continue;
		case MQTT_C_QOS:
			if (num(c, qos))
				return true;
			continue;
		case MQTT_C_FLAGS:
			if ((flags & want) == want && !(flags & not))
				return true;
			continue;
		default:
			break;
		}
		if (m->truncated || !view(m, m->version, &v))
			continue;
		switch (what) {
		case MQTT_C_REASON:
			/* the first message with a reason code decides, then the
			 * SUBACK / UNSUBACK codes */
			if (v.has_rc && !any_rc && type != T_SUBACK && type != T_UNSUBACK) {
				any_rc = true;
				if (num(c, v.rc))
					return true;
			}
			if ((type == T_SUBACK || type == T_UNSUBACK))
				for (uint32_t k = 0; k < v.list.n; k++)
					if (num(c, v.list.p[k]))
						return true;
			break;
		case MQTT_C_SESSION_PRESENT:
			if (type == T_CONNACK && num(c, v.session_present))
				return true;
			break;
		case MQTT_C_CONNECT_FLAGS: {
			if (type != T_CONNECT)
				break;
			uint32_t cf = (v.cflags & 0x80 ? MQTT_CF_USERNAME : 0) |
				      (v.cflags & 0x40 ? MQTT_CF_PASSWORD : 0) |
				      (v.cflags & 0x20 ? MQTT_CF_WILL_RETAIN : 0) |
				      (v.cflags & 0x04 ? MQTT_CF_WILL : 0) |
				      (v.cflags & 0x02 ? MQTT_CF_CLEAN_SESSION : 0);
			if ((cf & want) == want && !(cf & not))
				return true;
			break;
		}
		case MQTT_C_PROTO_VERSION:
			if (num(c, m->version))
				return true;
			break;
		default:
			break;
		}
	}
	return false;
}

void mqtt_tx_buffers(const struct mqtt_tx *t, void (*put)(void *ud, int which, const uint8_t *p, uint32_t n),
		     void *ud)
{
	for (unsigned i = 0; i < t->nmsg; i++) {
		const struct mqtt_msg *m = &t->msg[i];
		struct view v;
		if (m->truncated || !view(m, m->version, &v))
			continue;
		switch (v.type) {
		case T_CONNECT:
			/* (empty fields are no buffer, as in Suricata) */
			if (v.client_id.n)
				put(ud, MQTT_B_CLIENTID, v.client_id.p, v.client_id.n);
			if (v.username.n)
				put(ud, MQTT_B_USERNAME, v.username.p, v.username.n);
			if (v.password.n)
				put(ud, MQTT_B_PASSWORD, v.password.p, v.password.n);
			if (v.will_topic.n)
				put(ud, MQTT_B_WILLTOPIC, v.will_topic.p, v.will_topic.n);
			if (v.will_msg.n)
				put(ud, MQTT_B_WILLMSG, v.will_msg.p, v.will_msg.n);
			if (v.proto.n)
				put(ud, MQTT_B_PROTOCOL_STRING, v.proto.p, v.proto.n);
			break;
		case T_PUBLISH:
			if (v.topic.n)
				put(ud, MQTT_B_PUB_TOPIC, v.topic.p, v.topic.n);
			if (v.message.n)
				put(ud, MQTT_B_PUB_MESSAGE, v.message.p, v.message.n);
			break;
		case T_SUBSCRIBE:
		case T_UNSUBSCRIBE: {
			struct cursor c;
			cur_init(&c, v.list.p, v.list.n);
			struct span s;
			uint8_t opts;
			while (topic_next(&c, v.type, &s, &opts))
				put(ud, v.type == T_SUBSCRIBE ? MQTT_B_SUB_TOPIC : MQTT_B_UNSUB_TOPIC, s.p, s.n);
			break;
		}
		default:
			break;
		}
	}
}

/* ---- the record ---- */

static void props_json(struct jbuf *jb, const char *key, const struct span *s)
{
	if (!s->set || !s->n)
		return;
	jb_open_object(jb, key);
	struct cursor c;
	cur_init(&c, s->p, s->n);
	static const char *const names[43] = {
		[1] = "payload_format_indicator", [2] = "message_expiry_interval",
		[3] = "content_type", [8] = "response_topic", [9] = "correlation_data",
		[11] = "subscription_identifier", [17] = "session_expiry_interval",
		[18] = "assigned_client_identifier", [19] = "server_keep_alive",
		[21] = "authentication_method", [22] = "authentication_data",
		[23] = "request_problem_information", [24] = "will_delay_interval",
		[25] = "request_response_information", [26] = "response_information",
		[28] = "server_reference", [31] = "reason_string", [33] = "receive_maximum",
		[34] = "topic_alias_maximum", [35] = "topic_alias", [36] = "maximum_qos",
		[37] = "retain_available", [39] = "maximum_packet_size",
		[40] = "wildcard_subscription_available", [41] = "subscription_identifier_available",
		[42] = "shared_subscription_available",
	};
	while (cur_left(&c)) {
		uint32_t id, x;
		struct span a, b;
		if (!varint(&c, &id))
			break;
		const char *name = id < 43 ? names[id] : NULL;
		switch (id) {
		case 1: case 23: case 25: case 36: case 37: case 40: case 41: case 42:
			jb_u64(jb, name, cur_u8(&c)); break;
		case 19: case 33: case 34: case 35:
			jb_u64(jb, name, cur_be16(&c)); break;
		case 2: case 17: case 24: case 39:
			jb_u64(jb, name, cur_be32(&c)); break;
		case 3: case 8: case 9: case 18: case 21: case 22: case 26: case 28: case 31:
			if (str16(&c, &a))
				jb_strn(jb, name, a.p, a.n);
			break;
		case 11:
			if (varint(&c, &x))
				jb_u64(jb, name, x);
			break;
		case 38: {
			/* a user property: its name is the key */
			if (str16(&c, &a) && str16(&c, &b)) {
				char k[256];
				size_t kl = MIN((size_t)a.n, sizeof(k) - 1);
				memcpy(k, a.p, kl);
				k[kl] = '\0';
				jb_strn(jb, k, b.p, b.n);
			}
			break;
		}
		default:
			break;
		}
		if (c.err)
			break;
	}
	jb_close(jb);
}

static void header_json(struct jbuf *jb, uint8_t h)
{
	jb_u64(jb, "qos", h >> 1 & 3);
	jb_bool(jb, "retain", h & 1);
	jb_bool(jb, "dup", (h & 8) != 0);
}

void mqtt_log_fields(struct jbuf *jb, const struct mqtt_tx *t)
{
	for (unsigned i = 0; i < t->nmsg; i++) {
		const struct mqtt_msg *m = &t->msg[i];
		if (m->truncated) {
			jb_open_object(jb, type_names[m->hdr >> 4]);
			header_json(jb, m->hdr);
			jb_bool(jb, "truncated", true);
			jb_u64(jb, "skipped_length", m->skipped);
			jb_close(jb);
			continue;
		}
		struct view v;
		if (!view(m, m->version, &v) || !v.type)
			continue;
		jb_open_object(jb, type_names[v.type]);
		header_json(jb, m->raw[0]);
		switch (v.type) {
		case T_CONNECT:
			jb_strn(jb, "protocol_string", v.proto.p, v.proto.n);
			jb_u64(jb, "protocol_version", v.proto_version);
			jb_strn(jb, "client_id", v.client_id.p, v.client_id.n);
			jb_open_object(jb, "flags");
			jb_bool(jb, "username", v.cflags & 0x80);
			jb_bool(jb, "password", v.cflags & 0x40);
			jb_bool(jb, "will_retain", v.cflags & 0x20);
			jb_bool(jb, "will", v.cflags & 0x04);
			jb_bool(jb, "clean_session", v.cflags & 0x02);
			jb_close(jb);
			if (v.username.set)
				jb_strn(jb, "username", v.username.p, v.username.n);
			if (v.password.set && log_passwords)
				jb_strn(jb, "password", v.password.p, v.password.n);
			if (v.cflags & 0x04) {
				jb_open_object(jb, "will");
				jb_strn(jb, "topic", v.will_topic.p, v.will_topic.n);
				jb_strn(jb, "message", v.will_msg.p, v.will_msg.n);
				props_json(jb, "properties", &v.wprops);
				jb_close(jb);
			}
			props_json(jb, "properties", &v.cprops);
			break;
		case T_CONNACK:
			jb_bool(jb, "session_present", v.session_present);
			jb_u64(jb, "return_code", v.rc);
			props_json(jb, "properties", &v.mprops);
			break;
		case T_PUBLISH:
			jb_strn(jb, "topic", v.topic.p, v.topic.n);
			if (v.has_id)
				jb_u64(jb, "message_id", v.msg_id);
			jb_strn(jb, "message", v.message.p, v.message.n);
			props_json(jb, "properties", &v.mprops);
			break;
		case T_PUBACK: case T_PUBREC: case T_PUBREL: case T_PUBCOMP:
			jb_u64(jb, "message_id", v.msg_id);
			if (v.has_rc)
				jb_u64(jb, "reason_code", v.rc);
			props_json(jb, "properties", &v.mprops);
			break;
		case T_SUBSCRIBE: {
			jb_u64(jb, "message_id", v.msg_id);
			jb_open_array(jb, "topics");
			struct cursor c;
			cur_init(&c, v.list.p, v.list.n);
			struct span s;
			uint8_t opts;
			while (topic_next(&c, v.type, &s, &opts)) {
				jb_open_object(jb, NULL);
				jb_strn(jb, "topic", s.p, s.n);
				jb_u64(jb, "qos", opts);
				jb_close(jb);
			}
			jb_close(jb);
			props_json(jb, "properties", &v.mprops);
			break;
		}
		case T_SUBACK:
			jb_u64(jb, "message_id", v.msg_id);
			jb_open_array(jb, "qos_granted");
			for (uint32_t k = 0; k < v.list.n; k++)
				jb_u64(jb, NULL, v.list.p[k]);
			jb_close(jb);
			break;
		case T_UNSUBSCRIBE: {
			jb_u64(jb, "message_id", v.msg_id);
			jb_open_array(jb, "topics");
			struct cursor c;
			cur_init(&c, v.list.p, v.list.n);
			struct span s;
			uint8_t opts;
			while (topic_next(&c, v.type, &s, &opts))
				jb_strn(jb, NULL, s.p, s.n);
			jb_close(jb);
			break;
		}
		case T_UNSUBACK:
			jb_u64(jb, "message_id", v.msg_id);
			if (v.list.n) {
				jb_open_array(jb, "reason_codes");
				for (uint32_t k = 0; k < v.list.n; k++)
					jb_u64(jb, NULL, v.list.p[k]);
				jb_close(jb);
			}
			break;
		case T_DISCONNECT:
			if (v.has_rc)
				jb_u64(jb, "reason_code", v.rc);
			props_json(jb, "properties", &v.mprops);
			break;
		case T_AUTH:
			jb_u64(jb, "reason_code", v.rc);
			props_json(jb, "properties", &v.mprops);
			break;
		default:
			break;
		}
		jb_close(jb);
	}
}
