/*
 * ldap.c - LDAP (RFC 4511) over TCP and UDP (CLDAP), as Suricata reads
 * and logs it.
 *
 * A request starts a transaction; responses join the transaction of the
 * request with their message id, and a final response (a result, bind,
 * modify, add, delete, modify-DN, compare or extended response) completes
 * it; an unbind is complete by itself; a response to no request is a
 * transaction of its own (with ldap.request_not_found unless it is an
 * unsolicited extended response).  A completed transaction is logged on
 * the packet that completes it, the others at flow end.
 *
 * What is kept of a message is its BER bytes (at most LDAP_MSG_MAX; a
 * longer one is skipped and counted as ldap.invalid_data), and records
 * are rendered from them by walking the BER again, so nothing but bytes
 * is stored per message.  At most LDAP_MAX_TX transactions wait per
 * flow and LDAP_MAX_RESP responses per transaction.
 */
#include <stdio.h>
#include <string.h>

#include "app_int.h"
#include "ber.h"
#include "json.h"
#include "util.h"

/* ---- BER (lib/ber.h) ---- */

/* The length of the whole BER element at the start of d (header and
 * contents), 0 when its header is not complete yet, -1 when it is not an
 * LDAP message's SEQUENCE. */
static long msg_len(const uint8_t *d, size_t n)
{
	if (n < 1)
		return 0;
	if (d[0] != 0x30)
		return -1;
	if (n < 2)
		return 0;
	size_t len = d[1], hl = 2;
	if (len & 0x80) {
		size_t k = len & 0x7f;
		if (k == 0 || k > 4)
			return -1;
		if (n < 2 + k)
			return 0;
		len = 0;
		for (size_t i = 0; i < k; i++)
			len = len << 8 | d[2 + i];
		hl += k;
	}
	return (long)(hl + len) > 0 ? (long)(hl + len) : -1;
}

/* ---- operations ---- */

static const struct {
	uint8_t tag;
	const char *name;
	bool request, final;
} ops[] = {
	{ 0x60, "bind_request", true, false },	      { 0x61, "bind_response", false, true },
	{ 0x42, "unbind_request", true, true },	      { 0x63, "search_request", true, false },
	{ 0x64, "search_result_entry", false, false }, { 0x65, "search_result_done", false, true },
	{ 0x66, "modify_request", true, false },      { 0x67, "modify_response", false, true },
	{ 0x68, "add_request", true, false },	      { 0x69, "add_response", false, true },
	{ 0x4a, "del_request", true, false },	      { 0x6b, "del_response", false, true },
	{ 0x6c, "mod_dn_request", true, false },      { 0x6d, "mod_dn_response", false, true },
	{ 0x6e, "compare_request", true, false },     { 0x6f, "compare_response", false, true },
	{ 0x50, "abandon_request", true, false },     { 0x73, "search_result_reference", false, false },
	{ 0x77, "extended_request", true, false },    { 0x78, "extended_response", false, true },
	{ 0x79, "intermediate_response", false, false },
};

static int op_index(uint8_t tag)
{
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (ops[i].tag == tag)
			return (int)i;
	return -1;
}

/* A whole message's id and operation; false when it is not LDAP. */
static bool msg_head(const uint8_t *d, size_t n, uint32_t *id, int *op)
{
	struct ber b = { d, n }, seq, v;
	uint8_t tag;
	uint64_t x;
	if (!ber_next(&b, &tag, &seq) || tag != 0x30 || !ber_expect(&seq, 0x02, &v) || !ber_int(&v, &x) ||
	    x > UINT32_MAX || !ber_next(&seq, &tag, &v))
		return false;
	*id = (uint32_t)x;
	*op = op_index(tag);
	return *op >= 0;
}

bool ldap_probe(const uint8_t *d, uint32_t n)
{
	long l = msg_len(d, n);
	if (l < 0 || n < 7)
		return false;
	/* the header, the message id and the operation's tag in view */
	struct ber b = { d, n };
	if (l > 0 && (size_t)l <= n) {
		uint32_t id;
		int op;
		return msg_head(d, (size_t)l, &id, &op);
	}
	/* the message continues past what is in view: its first fields */
	size_t hl = (d[1] & 0x80) ? 2 + (d[1] & 0x7f) : 2;
	if (hl + 3 > n || d[hl] != 0x02 || d[hl + 1] == 0 || d[hl + 1] > 4 || hl + 2 + d[hl + 1] >= n)
		return false;
	(void)b;
	return op_index(d[hl + 2 + d[hl + 1]]) >= 0;
}

/* ---- transactions ---- */

static void msg_free(struct app_ctx *a, struct ldap_msg *m)
{
	if (m->raw) {
		v_free(m->raw);
		app_release(a, m->len);
	}
	memset(m, 0, sizeof(*m));
}

static void tx_free(struct app_ctx *a, struct ldap_tx *t)
{
	msg_free(a, &t->req);
	for (unsigned i = 0; i < t->nresp; i++)
		msg_free(a, &t->resp[i]);
	memset(t, 0, sizeof(*t));
}

static bool msg_keep(struct app_ctx *a, struct ldap_msg *m, const uint8_t *d, uint32_t n, uint32_t id,
		     int op)
{
	if (!app_charge(a, n))
		return false;
	if (!(m->raw = v_malloc(n))) {
		app_release(a, n);
		return false;
	}
	memcpy(m->raw, d, n);
	m->len = n;
	m->id = id;
	m->op = (uint8_t)op;
	return true;
}

/* A free transaction slot (the logged ones are freed first); NULL when
 * LDAP_MAX_TX wait unlogged. */
static uint32_t max_tx = LDAP_MAX_TX;

void ldap_config(uint32_t n)
{
	max_tx = n && n < LDAP_MAX_TX ? n : LDAP_MAX_TX;
}

static struct ldap_tx *tx_new(struct app_ctx *a, struct ldap_state *s)
{
	unsigned used = 0;
	for (unsigned i = 0; i < LDAP_MAX_TX; i++) {
		if (s->tx[i].used && s->tx[i].logged && s->tx[i].seq != a->pkt_seq)
			tx_free(a, &s->tx[i]);
		used += s->tx[i].used;
	}
	if (used >= max_tx)
		return NULL;
	for (unsigned i = 0; i < LDAP_MAX_TX; i++)
		if (!s->tx[i].used) {
			s->tx[i].used = true;
			s->tx[i].tx_id = s->next_tx++;
			return &s->tx[i];
		}
	return NULL;
}

static void tx_done(struct app_ctx *a, struct ldap_tx *t)
{
	t->complete = true;
	if (a->tx.nldap < APP_LDAP_PER_PKT) {
		a->tx.ldap[a->tx.nldap++] = t;
		t->logged = true;
		t->seq = a->pkt_seq;
	}
}

/* One whole message of direction dir. */
static void ldap_msg(struct app_ctx *a, struct ldap_state *s, int dir, const uint8_t *d, uint32_t n,
		     bool udp)
{
	uint32_t id;
	int op;
	a->tx.alproto = ALP_LDAP;
	if (!msg_head(d, n, &id, &op)) {
		app_event(a, APP_EV_LDAP_INVALID);
		return;
	}
	(void)dir;
	struct ldap_tx *t = NULL;
	if (ops[op].request) {
		if (!(t = tx_new(a, s))) {
			app_event(a, APP_EV_LDAP_TOO_MANY_TX);
			return;
		}
		app_count_tx(a, udp, ALP_LDAP);
		t->has_req = msg_keep(a, &t->req, d, n, id, op);
		if (ops[op].final)
			tx_done(a, t);
		if (op_index(0x77) == op)
			s->starttls_id = id + 1; /* (an extended request: STARTTLS or another) */
		return;
	}
	for (unsigned i = 0; i < LDAP_MAX_TX; i++)
		if (s->tx[i].used && !s->tx[i].complete && s->tx[i].has_req && s->tx[i].req.id == id) {
			t = &s->tx[i];
			break;
		}
	if (!t) {
		if (!(t = tx_new(a, s))) {
			app_event(a, APP_EV_LDAP_TOO_MANY_TX);
			return;
		}
		app_count_tx(a, udp, ALP_LDAP);
		if (ops[op].tag != 0x78)
			app_event(a, APP_EV_LDAP_REQUEST_NOT_FOUND);
	}
	if (t->nresp < LDAP_MAX_RESP && msg_keep(a, &t->resp[t->nresp], d, n, id, op))
		t->nresp++;
	if (ops[op].final || !t->has_req)
		tx_done(a, t);
	/* STARTTLS accepted: TLS follows on this connection */
	if (ops[op].tag == 0x78 && t->has_req && s->starttls_id == id + 1 && !udp) {
		struct ber b = { d, n }, seq, v, res;
		uint8_t tag;
		struct ber req = { t->req.raw, t->req.len }, rseq, rop, name;
		uint64_t code = 1;
		if (ber_next(&req, &tag, &rseq) && ber_next(&rseq, &tag, &v) && ber_next(&rseq, &tag, &rop) &&
		    ber_expect(&rop, 0x80, &name) && name.n == 22 &&
		    !memcmp(name.p, "1.3.6.1.4.1.1466.20037", 22) && ber_next(&b, &tag, &seq) &&
		    ber_next(&seq, &tag, &v) && ber_next(&seq, &tag, &res) && ber_expect(&res, 0x0a, &v) &&
		    ber_int(&v, &code) && code == 0)
			s->tls = true;
	}
}

void ldap_udp(struct app_ctx *a, struct ldap_state *s, int dir, const uint8_t *d, uint32_t n)
{
	a->tx.alproto = ALP_LDAP;
	while (n) {
		long l = msg_len(d, n);
		if (l <= 0 || (uint64_t)l > n) {
			app_event(a, APP_EV_LDAP_INVALID);
			return;
		}
		ldap_msg(a, s, dir, d, (uint32_t)l, true);
		d += l;
		n -= (uint32_t)l;
	}
}

void ldap_feed(struct app_ctx *a, struct ldap_state *s, int dir, const uint8_t *d, uint32_t n)
{
	a->tx.alproto = ALP_LDAP;
	while (n) {
		if (s->skip[dir]) {
			uint32_t k = (uint32_t)MIN((uint64_t)n, s->skip[dir]);
			s->skip[dir] -= k;
			d += k;
			n -= k;
			continue;
		}
		if (!app_buf(a, &s->buf[dir], LDAP_MSG_MAX))
			return;
		uint32_t k = MIN(n, LDAP_MSG_MAX - s->len[dir]);
		memcpy(s->buf[dir] + s->len[dir], d, k);
		s->len[dir] += k;
		d += k;
		n -= k;
		for (;;) {
			long l = msg_len(s->buf[dir], s->len[dir]);
			if (l == 0)
				break;
			if (l < 0) {
				/* not a message: what is held is dropped */
				app_event(a, APP_EV_LDAP_INVALID);
				s->len[dir] = 0;
				break;
			}
			if ((uint64_t)l > LDAP_MSG_MAX) {
				/* longer than kept: skipped, with what is held of it */
				app_event(a, APP_EV_LDAP_INVALID);
				s->skip[dir] = (uint64_t)l - s->len[dir];
				s->len[dir] = 0;
				break;
			}
			if ((uint32_t)l > s->len[dir])
				break;
			ldap_msg(a, s, dir, s->buf[dir], (uint32_t)l, false);
			memmove(s->buf[dir], s->buf[dir] + l, s->len[dir] - (uint32_t)l);
			s->len[dir] -= (uint32_t)l;
			if (s->tls)
				return; /* what follows is TLS (app.c hands it over) */
		}
		if (s->tls)
			return;
	}
}

void ldap_state_free(struct app_ctx *a, struct ldap_state *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < LDAP_MAX_TX; i++)
		tx_free(a, &s->tx[i]);
	for (int d = 0; d < 2; d++)
		app_buf_free(a, &s->buf[d], LDAP_MSG_MAX);
	v_free(s);
}

const struct ldap_tx *ldap_unlogged(struct ldap_state *s)
{
	for (unsigned i = 0; s && i < LDAP_MAX_TX; i++)
		if (s->tx[i].used && !s->tx[i].logged) {
			s->tx[i].logged = true;
			return &s->tx[i];
		}
	return NULL;
}

/* ---- the record ---- */

static void str(struct jbuf *jb, const char *key, const struct ber *v)
{
	jb_strn(jb, key, v->p, (uint32_t)v->n);
}

static void hex(struct jbuf *jb, const char *key, const struct ber *v)
{
	char buf[1024];
	size_t n = MIN(v->n, (sizeof(buf) - 1) / 2);
	for (size_t i = 0; i < n; i++)
		snprintf(buf + 2 * i, 3, "%02x", v->p[i]);
	buf[2 * n] = 0;
	jb_str(jb, key, buf);
}

static void uint_of(struct jbuf *jb, const char *key, const struct ber *v)
{
	uint64_t x = 0;
	if (ber_int(v, &x))
		jb_u64(jb, key, x);
}

/* SEQUENCE OF SEQUENCE { type, SET OF value } as [{tkey, vkey: [...]}] */
static void attributes(struct jbuf *jb, const char *key, struct ber seq, const char *tkey,
		       const char *vkey)
{
	struct ber a, t, vals, v;
	uint8_t tag;
	if (!seq.n)
		return;
	jb_open_array(jb, key);
	while (ber_next(&seq, &tag, &a)) {
		jb_open_object(jb, NULL);
		if (ber_expect(&a, 0x04, &t))
			str(jb, tkey, &t);
		if (ber_expect(&a, 0x31, &vals) && vals.n) {
			jb_open_array(jb, vkey);
			while (ber_next(&vals, &tag, &v))
				jb_strn(jb, NULL, v.p, (uint32_t)v.n);
			jb_close(jb);
		}
		jb_close(jb);
	}
	jb_close(jb);
}

static const struct {
	uint16_t c;
	const char *n;
} result_names[] = {
	{ 0, "success" }, { 1, "operations_error" }, { 2, "protocol_error" },
	{ 3, "time_limit_exceeded" }, { 4, "size_limit_exceeded" }, { 5, "compare_false" },
	{ 6, "compare_true" }, { 7, "auth_method_not_supported" }, { 8, "stronger_auth_required" },
	{ 10, "referral" }, { 11, "admin_limit_exceeded" }, { 12, "unavailable_critical_extension" },
	{ 13, "confidentiality_required" }, { 14, "sasl_bind_in_progress" },
	{ 16, "no_such_attribute" }, { 17, "undefined_attribute_type" },
	{ 18, "inappropriate_matching" }, { 19, "constraint_violation" },
	{ 20, "attribute_or_value_exists" }, { 21, "invalid_attribute_syntax" },
	{ 32, "no_such_object" }, { 33, "alias_problem" }, { 34, "invalid_dns_syntax" },
	{ 35, "is_leaf" }, { 36, "alias_dereferencing_problem" },
	{ 48, "inappropriate_authentication" }, { 49, "invalid_credentials" },
	{ 50, "insufficient_access_rights" }, { 51, "busy" }, { 52, "unavailable" },
	{ 53, "unwilling_to_perform" }, { 54, "loop_detect" }, { 64, "naming_violation" },
	{ 65, "object_class_violation" }, { 66, "not_allowed_on_non_leaf" },
	{ 67, "not_allowed_on_rdn" }, { 68, "entry_already_exists" },
	{ 69, "object_class_mods_prohibited" }, { 71, "affects_multiple_dsas" }, { 80, "other" },
};

static const char *result_name(uint64_t c, char *buf, size_t cap)
{
	for (size_t i = 0; i < sizeof(result_names) / sizeof(result_names[0]); i++)
		if (result_names[i].c == c)
			return result_names[i].n;
	snprintf(buf, cap, "%llu", (unsigned long long)c);
	return buf;
}

/* LDAPResult's three fields, leaving b after them */
static void result(struct jbuf *jb, struct ber *b)
{
	struct ber v;
	uint64_t c;
	char buf[24];
	if (ber_expect(b, 0x0a, &v) && ber_int(&v, &c))
		jb_str(jb, "result_code", result_name(c, buf, sizeof(buf)));
	if (ber_expect(b, 0x04, &v))
		str(jb, "matched_dn", &v);
	if (ber_expect(b, 0x04, &v))
		str(jb, "message", &v);
	ber_expect(b, 0xa3, &v); /* referral */
}

static void op_fields(struct jbuf *jb, uint8_t tag, struct ber b)
{
	struct ber v, w;
	uint8_t t;
	int oi = op_index(tag);
	const char *name = oi >= 0 ? ops[oi].name : "unknown";
	switch (tag) {
	case 0x60: /* bind */
		jb_open_object(jb, name);
		if (ber_expect(&b, 0x02, &v))
			uint_of(jb, "version", &v);
		if (ber_expect(&b, 0x04, &v))
			str(jb, "name", &v);
		if (ber_expect(&b, 0xa3, &v)) {
			jb_open_object(jb, "sasl");
			if (ber_expect(&v, 0x04, &w))
				str(jb, "mechanism", &w);
			if (ber_expect(&v, 0x04, &w))
				hex(jb, "credentials", &w);
			jb_close(jb);
		}
		jb_close(jb);
		break;
	case 0x63: { /* search */
		jb_open_object(jb, name);
		if (ber_expect(&b, 0x04, &v))
			str(jb, "base_object", &v);
		if (ber_expect(&b, 0x0a, &v))
			uint_of(jb, "scope", &v);
		if (ber_expect(&b, 0x0a, &v))
			uint_of(jb, "deref_alias", &v);
		if (ber_expect(&b, 0x02, &v))
			uint_of(jb, "size_limit", &v);
		if (ber_expect(&b, 0x02, &v))
			uint_of(jb, "time_limit", &v);
		if (ber_expect(&b, 0x01, &v))
			jb_bool(jb, "types_only", v.n && v.p[0]);
		if (ber_next(&b, &t, &v) && t == 0x87) {
			jb_open_object(jb, "filter");
			jb_str(jb, "type", "present");
			str(jb, "value", &v);
			jb_close(jb);
		}
		if (ber_expect(&b, 0x30, &v) && v.n) {
			jb_open_array(jb, "attributes");
			while (ber_next(&v, &t, &w))
				jb_strn(jb, NULL, w.p, (uint32_t)w.n);
			jb_close(jb);
		}
		jb_close(jb);
		break;
	}
	case 0x64: /* search result entry */
		jb_open_object(jb, name);
		if (ber_expect(&b, 0x04, &v))
			str(jb, "base_object", &v);
		if (ber_expect(&b, 0x30, &v))
			attributes(jb, "attributes", v, "type", "values");
		jb_close(jb);
		break;
	case 0x66: /* modify */
		jb_open_object(jb, name);
		if (ber_expect(&b, 0x04, &v))
			str(jb, "object", &v);
		if (ber_expect(&b, 0x30, &v) && v.n) {
			jb_open_array(jb, "changes");
			struct ber ch, m, x;
			while (ber_next(&v, &t, &ch)) {
				jb_open_object(jb, NULL);
				uint64_t o;
				if (ber_expect(&ch, 0x0a, &x) && ber_int(&x, &o)) {
					char buf[24];
					snprintf(buf, sizeof(buf), "%llu", (unsigned long long)o);
					jb_str(jb, "operation", o == 0 ? "add" : o == 1 ? "delete" : o == 2 ? "replace" : buf);
				}
				if (ber_expect(&ch, 0x30, &m)) {
					jb_open_object(jb, "modification");
					if (ber_expect(&m, 0x04, &x))
						str(jb, "attribute_type", &x);
					if (ber_expect(&m, 0x31, &x) && x.n) {
						jb_open_array(jb, "attribute_values");
						struct ber y;
						while (ber_next(&x, &t, &y))
							jb_strn(jb, NULL, y.p, (uint32_t)y.n);
						jb_close(jb);
					}
					jb_close(jb);
				}
				jb_close(jb);
			}
			jb_close(jb);
		}
		jb_close(jb);
		break;
	case 0x68: /* add */
		jb_open_object(jb, name);
		if (ber_expect(&b, 0x04, &v))
			str(jb, "entry", &v);
		if (ber_expect(&b, 0x30, &v))
			attributes(jb, "attributes", v, "name", "values");
		jb_close(jb);
		break;
	case 0x4a: /* delete: the DN is the element's contents */
		jb_open_object(jb, name);
		str(jb, "dn", &b);
		jb_close(jb);
		break;
	case 0x6c: /* modify DN */
		jb_open_object(jb, name);
		if (ber_expect(&b, 0x04, &v))
			str(jb, "entry", &v);
		if (ber_expect(&b, 0x04, &v))
			str(jb, "new_rdn", &v);
		if (ber_expect(&b, 0x01, &v))
			jb_bool(jb, "delete_old_rdn", v.n && v.p[0]);
		if (ber_expect(&b, 0x80, &v))
			str(jb, "new_superior", &v);
		jb_close(jb);
		break;
	case 0x6e: /* compare */
		jb_open_object(jb, name);
		if (ber_expect(&b, 0x04, &v))
			str(jb, "entry", &v);
		if (ber_expect(&b, 0x30, &v)) {
			jb_open_object(jb, "attribute_value_assertion");
			if (ber_expect(&v, 0x04, &w))
				str(jb, "description", &w);
			if (ber_expect(&v, 0x04, &w))
				str(jb, "value", &w);
			jb_close(jb);
		}
		jb_close(jb);
		break;
	case 0x77: /* extended request */
		jb_open_object(jb, name);
		if (ber_expect(&b, 0x80, &v))
			str(jb, "name", &v);
		if (ber_expect(&b, 0x81, &v))
			str(jb, "value", &v);
		jb_close(jb);
		break;
	case 0x61: case 0x65: case 0x67: case 0x69: case 0x6b: case 0x6d: case 0x6f: case 0x78:
		jb_open_object(jb, name);
		result(jb, &b);
		if (tag == 0x61 && ber_expect(&b, 0x87, &v))
			hex(jb, "server_sasl_creds", &v);
		if (tag == 0x78) {
			if (ber_expect(&b, 0x8a, &v))
				str(jb, "name", &v);
			if (ber_expect(&b, 0x8b, &v))
				str(jb, "value", &v);
		}
		jb_close(jb);
		break;
	case 0x79: /* intermediate */
		jb_open_object(jb, name);
		if (ber_expect(&b, 0x80, &v))
			str(jb, "name", &v);
		if (ber_expect(&b, 0x81, &v))
			str(jb, "value", &v);
		jb_close(jb);
		break;
	}
}

/* operation, its object, controls: one message's fields */
static void message(struct jbuf *jb, const struct ldap_msg *m, bool with_id)
{
	struct ber b = { m->raw, m->len }, seq, v, ctl;
	uint8_t tag;
	if (!ber_next(&b, &tag, &seq) || !ber_expect(&seq, 0x02, &v))
		return;
	if (with_id)
		jb_u64(jb, "message_id", m->id);
	jb_str(jb, "operation", ops[m->op].name);
	if (ber_next(&seq, &tag, &v))
		op_fields(jb, tag, v);
	if (ber_expect(&seq, 0xa0, &ctl) && ctl.n) {
		jb_open_array(jb, "controls");
		struct ber c, x;
		while (ber_next(&ctl, &tag, &c)) {
			jb_open_object(jb, NULL);
			if (ber_expect(&c, 0x04, &x))
				str(jb, "control_type", &x);
			bool crit = ber_expect(&c, 0x01, &x) && x.n && x.p[0];
			jb_bool(jb, "criticality", crit);
			if (ber_expect(&c, 0x04, &x))
				hex(jb, "control_value", &x);
			jb_close(jb);
		}
		jb_close(jb);
	}
}

void ldap_log_fields(struct jbuf *jb, const struct ldap_tx *t)
{
	if (t->has_req) {
		jb_open_object(jb, "request");
		message(jb, &t->req, true);
		jb_close(jb);
	}
	if (t->nresp) {
		jb_open_array(jb, "responses");
		for (unsigned i = 0; i < t->nresp; i++) {
			jb_open_object(jb, NULL);
			message(jb, &t->resp[i], !t->has_req);
			jb_close(jb);
		}
		jb_close(jb);
	}
}

/* ---- for the ldap.* keywords ---- */

int ldap_op_number(const struct ldap_msg *m)
{
	return m->op < sizeof(ops) / sizeof(ops[0]) ? ops[m->op].tag & 0x1f : -1;
}

const char *ldap_op_name_of(int number)
{
	for (size_t i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if ((ops[i].tag & 0x1f) == number)
			return ops[i].name;
	return NULL;
}

int ldap_result_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(result_names) / sizeof(result_names[0]); i++)
		if (!strcmp(result_names[i].n, name))
			return result_names[i].c;
	return -1;
}

/* The protocolOp element of a message: its tag and contents. */
static bool op_body(const struct ldap_msg *m, uint8_t *tag, struct ber *body)
{
	struct ber b = { m->raw, m->len }, seq, v;
	uint8_t t;
	return m->raw && ber_next(&b, &t, &seq) && ber_expect(&seq, 0x02, &v) &&
	       ber_next(&seq, tag, body);
}

/* Responses that are an LDAPResult: the final ones (not search entries,
 * references or intermediate responses) */
static bool has_result(uint8_t tag)
{
	int oi = op_index(tag);
	return oi >= 0 && !ops[oi].request && ops[oi].final;
}

bool ldap_result_code(const struct ldap_msg *m, uint64_t *code)
{
	uint8_t tag;
	struct ber b, v;
	return op_body(m, &tag, &b) && has_result(tag) && ber_expect(&b, 0x0a, &v) && ber_int(&v, code);
}

bool ldap_msg_message(const struct ldap_msg *m, const uint8_t **p, uint32_t *n)
{
	uint8_t tag;
	struct ber b, v;
	if (!op_body(m, &tag, &b) || !has_result(tag) || !ber_expect(&b, 0x0a, &v) ||
	    !ber_expect(&b, 0x04, &v) || !ber_expect(&b, 0x04, &v))
		return false;
	*p = v.p;
	*n = (uint32_t)v.n;
	return true;
}

/* A request's DN (bind name, search base, the entry modified, added,
 * deleted, renamed or compared); a response's matched DN, or a search
 * entry's object name. */
bool ldap_msg_dn(const struct ldap_msg *m, const uint8_t **p, uint32_t *n)
{
	uint8_t tag;
	struct ber b, v;
	if (!op_body(m, &tag, &b))
		return false;
	if (tag == 0x4a) { /* del_request: the DN is the element itself */
		v = b;
	} else if (tag == 0x60) { /* bind: version, then name */
		if (!ber_expect(&b, 0x02, &v) || !ber_expect(&b, 0x04, &v))
			return false;
	} else if (tag == 0x63 || tag == 0x66 || tag == 0x68 || tag == 0x6c || tag == 0x6e ||
		   tag == 0x64) {
		if (!ber_expect(&b, 0x04, &v))
			return false;
	} else if (has_result(tag)) {
		if (!ber_expect(&b, 0x0a, &v) || !ber_expect(&b, 0x04, &v))
			return false;
	} else {
		return false;
	}
	*p = v.p;
	*n = (uint32_t)v.n;
	return true;
}

unsigned ldap_msg_attr_types(const struct ldap_msg *m, const uint8_t **p, uint32_t *n, unsigned max)
{
	uint8_t tag, t;
	struct ber b, v, a, x, y;
	unsigned k = 0;
	if (!max || !op_body(m, &tag, &b))
		return 0;
	switch (tag) {
	case 0x63: /* search: base, scope, deref, size, time, typesOnly, filter, attributes */
		if (!ber_expect(&b, 0x04, &v) || !ber_expect(&b, 0x0a, &v) || !ber_expect(&b, 0x0a, &v) ||
		    !ber_expect(&b, 0x02, &v) || !ber_expect(&b, 0x02, &v) || !ber_expect(&b, 0x01, &v) ||
		    !ber_next(&b, &t, &v) || !ber_expect(&b, 0x30, &v))
			return 0;
		while (k < max && ber_next(&v, &t, &x)) {
			p[k] = x.p;
			n[k++] = (uint32_t)x.n;
		}
		break;
	case 0x66: /* modify: object, changes SEQUENCE OF { operation, { type, vals } } */
		if (!ber_expect(&b, 0x04, &v) || !ber_expect(&b, 0x30, &v))
			return 0;
		while (k < max && ber_next(&v, &t, &a))
			if (ber_expect(&a, 0x0a, &x) && ber_expect(&a, 0x30, &x) && ber_expect(&x, 0x04, &y)) {
				p[k] = y.p;
				n[k++] = (uint32_t)y.n;
			}
		break;
	case 0x64: /* search result entry: object, attributes */
	case 0x68: /* add: entry, attributes */
		if (!ber_expect(&b, 0x04, &v) || !ber_expect(&b, 0x30, &v))
			return 0;
		while (k < max && ber_next(&v, &t, &a))
			if (ber_expect(&a, 0x04, &x)) {
				p[k] = x.p;
				n[k++] = (uint32_t)x.n;
			}
		break;
	case 0x6e: /* compare: entry, ava { attributeDesc, assertionValue } */
		if (ber_expect(&b, 0x04, &v) && ber_expect(&b, 0x30, &v) && ber_expect(&v, 0x04, &x)) {
			p[k] = x.p;
			n[k++] = (uint32_t)x.n;
		}
		break;
	}
	return k;
}
