/*
 * dcerpc.c - DCE/RPC (C706, [MS-RPCE]) as Suricata reads and logs it:
 * connection-oriented PDUs (version 5) over TCP and in SMB named pipes,
 * connectionless ones (version 4) over UDP.
 *
 *   common header (16 bytes)                      request: alloc_hint(4)
 *   +-----+-------+------+-------+------+---------+  ctx id(2) opnum(2)
 *   | 5 0 | type  | pfc  | drep4 | frag | auth    |  [object uuid(16)]
 *   |     |       | flags|       | len2 | len2    |  stub data...
 *   +-----+-------+------+-------+------+---------+
 *   call_id(4)
 *
 * A call is a transaction: a bind or alter context and its ack, or a
 * request and its response, joined by the call id (connectionless: by
 * activity id and sequence number).  Binds say which interfaces a context
 * id stands for; their acks which the server accepted.  A request's or
 * response's stub data is gathered over its fragments (DCE_STUB_MAX
 * bytes kept) and shown to the rules on the packet where its last
 * fragment arrives (dcerpc.stub_data, dcerpc.iface, dcerpc.opnum).  A
 * call is written as a dcerpc record when both sides are over, the
 * others at flow end; in SMB the calls are part of the smb records.
 *
 * Where Suricata's reading is odd it is kept, so that the records agree:
 * a response's stub data over TCP starts right after the common header
 * (its own 8-byte header included), a request's object UUID (flag
 * 0x80) is part of its stub data, frag_cnt over TCP is 1 once a side
 * was seen, and after a hole in one direction every call still open in
 * it is marked lost there on each later delivery of that direction.
 * Unlike Suricata, a request is shown to the rules once, with all its
 * fragments, not after its first.
 */
#include <stdio.h>
#include <string.h>

#include "app_int.h"
#include "cursor.h"
#include "json.h"
#include "util.h"

enum { DCE_REQUEST = 0, DCE_RESPONSE = 2, DCE_BIND = 11, DCE_BINDACK = 12, DCE_ALTER = 14,
       DCE_ALTER_RESP = 15, DCE_UNKNOWN = 99 };
#define PFC_FIRST_FRAG 0x01
#define PFC_LAST_FRAG 0x02
#define PFC_OBJECT_UUID 0x80
#define PFCL1_LASTFRAG 0x02       /* connectionless flags1 */
#define PFCL1_FRAG 0x04
#define DCE_HDR 16
#define DCE_CL_HDR 80

static uint8_t resp_for(uint8_t req)
{
	return req == DCE_REQUEST ? DCE_RESPONSE : req == DCE_BIND ? DCE_BINDACK
		: req == DCE_ALTER ? DCE_ALTER_RESP : DCE_UNKNOWN;
}

static uint8_t req_for(uint8_t resp)
{
	return resp == DCE_RESPONSE ? DCE_REQUEST : resp == DCE_BINDACK ? DCE_BIND
		: resp == DCE_ALTER_RESP ? DCE_ALTER : DCE_UNKNOWN;
}

/* ---- transactions ---- */

static void tx_free(struct app_ctx *a, struct dce_tx *t)
{
	for (int d = 0; d < 2; d++)
		if (t->stub[d]) {
			v_free(t->stub[d]);
			app_release(a, t->stub_cap[d]);
		}
	memset(t, 0, sizeof(*t));
}

void dce_state_clear(struct app_ctx *a, struct dce_state *s)
{
	for (unsigned i = 0; i < DCE_MAX_TX; i++)
		tx_free(a, &s->tx[i]);
}

/* A free slot (the logged calls not shown on this packet are freed
 * first); NULL when all DCE_MAX_TX are in use on this packet or wait. */
static struct dce_tx *tx_new(struct app_ctx *a, struct dce_state *s, uint32_t call_id, bool udp)
{
	struct dce_tx *t = NULL;
	for (unsigned i = 0; i < DCE_MAX_TX; i++) {
		struct dce_tx *x = &s->tx[i];
		if (x->used && x->logged && x->seq != a->pkt_seq)
			tx_free(a, x);
		if (!x->used && !t)
			t = x;
	}
	if (!t)
		return NULL;
	t->used = true;
	t->udp = udp;
	t->tx_id = s->next_tx++;
	if (!s->quiet)
		app_count_tx(a, udp, ALP_DCERPC);
	t->call_id = call_id;
	t->req_cmd = DCE_REQUEST;
	t->resp_cmd = DCE_RESPONSE;
	t->st = s;
	t->seq = a->pkt_seq;
	return t;
}

/* The open call a PDU of this type and call id continues: one waiting
 * for this side (a request's next fragment, the response to a request). */
static struct dce_tx *tx_find(struct dce_state *s, uint32_t call_id, uint8_t type, bool ts)
{
	for (unsigned i = 0; i < DCE_MAX_TX; i++) {
		struct dce_tx *t = &s->tx[i];
		if (!t->used || t->udp || t->logged || t->call_id != call_id)
			continue;
		if (ts ? !t->req_done && t->resp_cmd == resp_for(type)
		       : !t->resp_done && t->req_cmd == req_for(type))
			return t;
	}
	return NULL;
}

static struct dce_tx *tx_get(struct app_ctx *a, struct dce_state *s, uint32_t call_id, uint8_t type,
			     bool ts)
{
	struct dce_tx *t = tx_find(s, call_id, type, ts);
	return t ? t : tx_new(a, s, call_id, false);
}

/* n bytes of stub data of side d: the first DCE_STUB_MAX kept, the
 * buffer grown by doubling and charged to the app memcap. */
static void stub_add(struct app_ctx *a, struct dce_tx *t, int d, const uint8_t *p, size_t n)
{
	t->stub_size[d] += n;
	n = MIN(n, (size_t)(DCE_STUB_MAX - t->stub_len[d]));
	if (!n)
		return;
	uint32_t need = t->stub_len[d] + (uint32_t)n;
	if (need > t->stub_cap[d]) {
		uint32_t cap = t->stub_cap[d] ? t->stub_cap[d] : 256;
		while (cap < need)
			cap *= 2;
		cap = MIN(cap, (uint32_t)DCE_STUB_MAX);
		if (!app_charge(a, cap - t->stub_cap[d]))
			return;
		uint8_t *nb = v_realloc(t->stub[d], cap);
		if (!nb) {
			app_release(a, cap - t->stub_cap[d]);
			return;
		}
		t->stub[d] = nb;
		t->stub_cap[d] = cap;
	}
	memcpy(t->stub[d] + t->stub_len[d], p, n);
	t->stub_len[d] = need;
}

/* t's request (d 0) or response (d 1) is whole: the rules see it on
 * this packet, with the interface the server accepted for its context. */
static void expose(struct app_ctx *a, struct dce_tx *t, int d)
{
	t->seq = a->pkt_seq;
	a->tx.dce_tx = t;
	a->tx.dce_dir = (uint8_t)d;
	a->tx.dce = false;
	if (t->udp) {
		a->tx.dce = true;
		memcpy(a->tx.dce_uuid, t->if_uuid, 16);
		a->tx.dce_ver = t->if_ver;
	} else {
		const struct dce_state *s = t->st;
		for (unsigned i = 0; i < s->nctx; i++)
			if (s->ctx[i].id == t->ctxid && s->ctx[i].accepted) {
				a->tx.dce = true;
				memcpy(a->tx.dce_uuid, s->ctx[i].uuid, 16);
				a->tx.dce_ver = s->ctx[i].ver;
				break;
			}
	}
	a->tx.dce_has_opnum = t->req_cmd == DCE_REQUEST && t->frag[0];
	a->tx.dce_opnum = t->opnum;
}

/* The calls over on both sides go to this packet's records, oldest
 * first; when every slot is taken the oldest open call is given up
 * (lost on the sides not over), so that the next PDU finds a slot. */
static void flush(struct app_ctx *a, struct dce_state *s)
{
	unsigned used = 0;
	struct dce_tx *oldest = NULL;
	for (unsigned i = 0; i < DCE_MAX_TX; i++) {
		struct dce_tx *t = &s->tx[i];
		if (!t->used || t->logged)
			continue;
		used++;
		if (!oldest || t->tx_id < oldest->tx_id)
			oldest = t;
	}
	if (used == DCE_MAX_TX && oldest) {
		oldest->req_lost |= !oldest->req_done;
		oldest->resp_lost |= !oldest->resp_done;
		oldest->req_done = oldest->resp_done = true;
	}
	for (;;) {
		struct dce_tx *next = NULL;
		for (unsigned i = 0; i < DCE_MAX_TX; i++) {
			struct dce_tx *t = &s->tx[i];
			if (t->used && !t->logged && t->req_done && t->resp_done &&
			    (!next || t->tx_id < next->tx_id))
				next = t;
		}
		if (!next)
			return;
		if (!s->quiet) {
			if (a->tx.ndcelog >= APP_DCE_PER_PKT)
				return;
			a->tx.dcelog[a->tx.ndcelog++] = next;
		}
		next->logged = true;
		next->seq = a->pkt_seq;
	}
}

/* After a hole in direction dir (Suricata's post-gap housekeeping): the
 * open calls are over on that side, lost where not seen whole; a hole
 * towards the client ends them on both sides. */
static void after_gap(struct app_ctx *a, struct dce_state *s, int dir)
{
	if (!s->gap[dir])
		return;
	for (unsigned i = 0; i < DCE_MAX_TX; i++) {
		struct dce_tx *t = &s->tx[i];
		if (!t->used || t->logged)
			continue;
		t->req_lost |= !t->req_done;
		t->req_done = true;
		if (dir == 1) {
			t->resp_lost |= !t->resp_done;
			t->resp_done = true;
		}
	}
	flush(a, s);
}

/* ---- connection-oriented PDUs ---- */

struct dce_tx *dce_pdu(struct app_ctx *a, struct dce_state *s, const uint8_t *d, uint64_t n, bool smb)
{
	struct cursor c;
	cur_init(&c, d, n);
	uint8_t ver = cur_u8(&c);
	uint8_t minor = cur_u8(&c);
	uint8_t type = cur_u8(&c);
	uint8_t flags = cur_u8(&c);
	uint8_t drep = cur_u8(&c);
	cur_skip(&c, 3);
	uint16_t frag_len = cur_le16(&c);
	cur_skip(&c, 2);              /* auth length */
	uint32_t call_id = cur_le32(&c);
	if (c.err || ver != 5 || !(drep & 0x10))
		return NULL; /* (big-endian DCE/RPC is not read) */
	if (frag_len >= DCE_HDR && frag_len < n)
		n = frag_len;
	if (!smb)
		a->tx.alproto = ALP_DCERPC;
	bool last = !(flags & (PFC_FIRST_FRAG | PFC_LAST_FRAG)) || (flags & PFC_LAST_FRAG);
	struct dce_tx *t = NULL;
	switch (type) {
	case DCE_BIND:
	case DCE_ALTER: {
		if (type == DCE_BIND)
			s->nctx = 0;
		s->bound = s->nctx;
		cur_skip(&c, 8);      /* max xmit/recv frag, assoc group */
		uint8_t nctx = cur_u8(&c);
		cur_skip(&c, 3);
		for (unsigned i = 0; i < nctx && !c.err; i++) {
			uint16_t id = cur_le16(&c);
			uint8_t nts = cur_u8(&c);
			cur_skip(&c, 1);
			const uint8_t *u = cur_bytes(&c, 16);
			uint16_t v = cur_le16(&c);
			uint16_t vminor = cur_le16(&c);
			cur_skip(&c, (size_t)nts * 20);
			if (c.err || s->nctx >= SMB_DCE_CTX_MAX)
				break;
			struct dce_ctx *x = &s->ctx[s->nctx++];
			memset(x, 0, sizeof(*x));
			x->id = id;
			x->ver = v;
			x->minor = vminor;
			x->call_id = call_id;
			memcpy(x->uuid, u, 16);
		}
		if (!(t = tx_get(a, s, call_id, type, true)))
			break;
		t->req_cmd = type;
		t->req_done = true;
		t->frag[0] = 1;
		t->minor = minor;
		break;
	}
	case DCE_BINDACK:
	case DCE_ALTER_RESP: {
		cur_skip(&c, 8);
		uint16_t alen = cur_le16(&c);
		cur_skip(&c, alen);
		size_t pos = DCE_HDR + 10 + (size_t)alen;
		cur_skip(&c, (4 - pos % 4) % 4);
		uint8_t nres = cur_u8(&c);
		cur_skip(&c, 3);
		for (unsigned i = 0; i < nres && !c.err; i++) {
			uint16_t res = cur_le16(&c);
			cur_skip(&c, 22);     /* reason, transfer syntax */
			if (!c.err && s->bound + i < s->nctx) {
				struct dce_ctx *x = &s->ctx[s->bound + i];
				x->acked = true;
				x->result = res;
				x->accepted = res == 0;
			}
		}
		if (!(t = tx_get(a, s, call_id, type, false)))
			break;
		t->resp_cmd = type;
		t->resp_done = true;
		t->frag[1] = 1;
		break;
	}
	case DCE_REQUEST: {
		cur_skip(&c, 4);      /* alloc hint */
		uint16_t ctx = cur_le16(&c);
		uint16_t op = cur_le16(&c);
		/* an object UUID (PFC_OBJECT_UUID) is not skipped: Suricata
		 * counts it as stub data */
		if (c.err || !(t = tx_get(a, s, call_id, type, true)))
			break;
		t->req_cmd = type;
		t->ctxid = ctx;
		t->opnum = op;
		t->minor = minor;
		/* in a pipe Suricata counts the fragments, over TCP it says 1 */
		t->frag[0] = smb ? (uint16_t)(t->frag[0] + 1) : 1;
		stub_add(a, t, 0, c.p, cur_left(&c));
		if (last) {
			t->req_done = true;
			expose(a, t, 0);
		}
		break;
	}
	case DCE_RESPONSE:
		/* over TCP Suricata's stub data starts after the common header */
		cur_skip(&c, smb ? 8 : 0);
		if (c.err || !(t = tx_get(a, s, call_id, type, false)))
			break;
		t->resp_cmd = type;
		t->frag[1] = smb ? (uint16_t)(t->frag[1] + 1) : 1;
		if (!t->frag[0])
			t->minor = minor;
		stub_add(a, t, 1, c.p, cur_left(&c));
		if (last) {
			t->resp_done = true;
			expose(a, t, 1);
		}
		break;
	default:
		break;
	}
	flush(a, s);
	return t;
}

/* ---- over TCP ---- */

/* DCE/RPC over TCP (a dcerpc flow): PDUs cut by their fragment length
 * and read as in a pipe; a PDU whole in one delivery is read in place, a
 * split one is gathered (at most 64 KiB: the fragment length's range).
 * A PDU that is not DCE/RPC version 5 ends the reading of that direction;
 * after a hole, reading resumes at the next "05 00". */
/* A connection-oriented DCE/RPC PDU's fragment length, from its first 10
 * bytes (in the sender's byte order), or -1 when they are not a v5 header
 * with a plausible length. */
static int dce_frag_len(const uint8_t *h)
{
	struct cursor c;
	cur_init(&c, h, 10);
	uint8_t ver = cur_u8(&c);
	cur_skip(&c, 3);
	uint8_t drep = cur_u8(&c);
	cur_skip(&c, 3);
	uint16_t fl = drep & 0x10 ? cur_le16(&c) : cur_be16(&c);
	return c.err || ver != 5 || fl < DCE_HDR ? -1 : fl;
}

static void feed(struct app_ctx *a, struct dcerpc_state *s, struct dce_dir *dd, const uint8_t *d,
		 uint32_t n)
{
	while (n && !dd->broken) {
		if (dd->resync) {
			const uint8_t *h = memchr(d, 5, n);
			if (!h)
				return;
			n -= (uint32_t)(h - d);
			d = h;
			if (n < 2)
				return; /* (a lone 05 at the end: dropped, as Suricata's search) */
			if (d[1]) {
				d++;
				n--;
				continue;
			}
			dd->resync = false;
		}
		if (!dd->len && n >= 10) {
			int fl = dce_frag_len(d);
			if (fl < 0) {
				app_event(a, APP_EV_SMB_MALFORMED_DATA);
				dd->broken = true;
				return;
			}
			if ((uint32_t)fl <= n) { /* whole here: read in place */
				dce_pdu(a, &s->dce, d, fl, false);
				d += fl;
				n -= fl;
				continue;
			}
		}
		if (!app_buf(a, &dd->buf, SMB_REC_MAX))
			return;
		uint32_t want = dd->len < 10 ? 10 - dd->len : dd->need - dd->len;
		uint32_t k = MIN(want, n);
		memcpy(dd->buf + dd->len, d, k);
		dd->len += k;
		d += k;
		n -= k;
		if (dd->len == 10 && !dd->need) {
			int fl = dce_frag_len(dd->buf);
			if (fl < 0) {
				app_event(a, APP_EV_SMB_MALFORMED_DATA);
				dd->broken = true;
				return;
			}
			dd->need = fl;
			continue;
		}
		if (dd->need && dd->len == dd->need) {
			dce_pdu(a, &s->dce, dd->buf, dd->len, false);
			dd->len = 0;
			dd->need = 0;
		}
	}
}

void dcerpc_feed(struct app_ctx *a, struct dcerpc_state *s, int dir, const uint8_t *d, uint32_t n)
{
	feed(a, s, &s->dir[dir & 1], d, n);
	after_gap(a, &s->dce, dir & 1);
}

void dcerpc_gap(struct app_ctx *a, struct dcerpc_state *s, int dir)
{
	(void)a;
	struct dce_dir *dd = &s->dir[dir & 1];
	dd->len = dd->need = 0;
	dd->resync = true;
	s->dce.gap[dir & 1] = true;
}

/* ---- connectionless, over UDP ---- */

/* Suricata's probe: version 4, a request, flags2 and the data
 * representation within their defined bits; and the datagram holds the
 * header and the fragment it announces (Suricata's parser refuses it
 * otherwise). */
bool dcerpc_udp_probe(const uint8_t *d, uint32_t n)
{
	if (n < DCE_CL_HDR || d[0] != 4 || d[1] != DCE_REQUEST || (d[3] & 0xfc) || (d[4] & 0xee) ||
	    d[5] > 3)
		return false;
	uint32_t frag_len = d[4] & 0x10 ? (uint32_t)(d[74] | d[75] << 8) : (uint32_t)(d[74] << 8 | d[75]);
	return DCE_CL_HDR + frag_len <= n;
}

void dcerpc_udp(struct app_ctx *a, struct dcerpc_state *s, const uint8_t *d, uint32_t n)
{
	if (n < DCE_CL_HDR || d[0] != 4)
		return;
	uint8_t type = d[1], flags1 = d[2];
	bool le = d[4] & 0x10;
	struct cursor c;
	cur_init(&c, d + 60, 20);
	uint32_t if_vers = le ? cur_le32(&c) : cur_be32(&c);
	uint32_t seqnum = le ? cur_le32(&c) : cur_be32(&c);
	uint16_t opnum = le ? cur_le16(&c) : cur_be16(&c);
	cur_skip(&c, 4);              /* interface and activity hints */
	uint16_t frag_len = le ? cur_le16(&c) : cur_be16(&c);
	if (c.err || (uint32_t)DCE_CL_HDR + frag_len > n || (type != DCE_REQUEST && type != DCE_RESPONSE))
		return;
	a->tx.alproto = ALP_DCERPC;
	int dir = type == DCE_REQUEST ? 0 : 1;
	struct dcerpc_state *st = s;
	struct dce_tx *t = NULL;
	for (unsigned i = 0; i < DCE_MAX_TX && !t; i++) {
		struct dce_tx *x = &st->dce.tx[i];
		if (x->used && x->udp && !x->logged && x->seqnum == seqnum &&
		    !memcmp(x->activity, d + 40, 16) && !(dir ? x->resp_done : x->req_done))
			t = x;
	}
	if (!t) {
		if (!(t = tx_new(a, &st->dce, 0, true)))
			return;
		t->seqnum = seqnum;
		memcpy(t->activity, d + 40, 16);
	}
	stub_add(a, t, dir, d + DCE_CL_HDR, frag_len);
	t->frag[dir]++;
	if (!dir) {
		t->opnum = opnum;
		memcpy(t->if_uuid, d + 24, 16);
		t->if_ver = (uint16_t)if_vers;
	}
	if (!(flags1 & PFCL1_FRAG) || (flags1 & PFCL1_LASTFRAG)) {
		if (dir)
			t->resp_done = true;
		else
			t->req_done = true;
		expose(a, t, dir);
	}
	flush(a, &st->dce);
}

void dcerpc_state_free(struct app_ctx *a, struct dcerpc_state *s)
{
	if (!s)
		return;
	for (int d = 0; d < 2; d++)
		app_buf_free(a, &s->dir[d].buf, SMB_REC_MAX);
	dce_state_clear(a, &s->dce);
	app_release(a, sizeof(*s));
	v_free(s);
}

const struct dce_tx *dcerpc_unlogged(struct dcerpc_state *s)
{
	if (!s)
		return NULL;
	struct dce_tx *next = NULL;
	for (unsigned i = 0; i < DCE_MAX_TX; i++) {
		struct dce_tx *t = &s->dce.tx[i];
		if (t->used && !t->logged && (!next || t->tx_id < next->tx_id))
			next = t;
	}
	if (next)
		next->logged = true;
	return next;
}

/* ---- the record ---- */

static void type_str(struct jbuf *jb, const char *key, uint8_t type)
{
	static const char *const names[] = {
		"REQUEST", "PING", "RESPONSE", "FAULT", "WORKING", "NOCALL", "REJECT", "ACK",
		"CL_CANCEL", "FACK", "CANCEL_ACK", "BIND", "BINDACK", "BINDNAK", "ALTER_CONTEXT",
		"ALTER_CONTEXT_RESP", "AUTH3", "SHUTDOWN", "CO_CANCEL", "ORPHANED", "RTS",
	};
	char num[8];
	if (type < sizeof(names) / sizeof(names[0])) {
		jb_str(jb, key, names[type]);
		return;
	}
	snprintf(num, sizeof(num), "%u", type);
	jb_str(jb, key, type == DCE_UNKNOWN ? "UNKNOWN" : num);
}

/* A UUID as DCE/RPC sends it (its first three fields little-endian), in
 * the usual text form. */
static void uuid_str(struct jbuf *jb, const char *key, const uint8_t *u)
{
	char s[40];
	snprintf(s, sizeof(s),
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 u[3], u[2], u[1], u[0], u[5], u[4], u[7], u[6], u[8], u[9], u[10], u[11], u[12],
		 u[13], u[14], u[15]);
	jb_str(jb, key, s);
}

static void side(struct jbuf *jb, const char *key, const struct dce_tx *t, int d, bool opnum)
{
	jb_open_object(jb, key);
	if (opnum)
		jb_u64(jb, "opnum", t->opnum);
	jb_u64(jb, "frag_cnt", t->frag[d]);
	jb_u64(jb, "stub_data_size", t->stub_size[d]);
	jb_close(jb);
}

/* One interface object: uuid, version, and the bind's answer when acked
 * (with the SMB record's ack_reason: Suricata's bind ack parser there
 * keeps no reason, so 0). */
static void iface_put(struct jbuf *jb, const struct dce_ctx *x, bool acked, bool reason)
{
	jb_open_object(jb, NULL);
	uuid_str(jb, "uuid", x->uuid);
	char v[16];
	snprintf(v, sizeof(v), "%u.%u", x->ver, x->minor);
	jb_str(jb, "version", v);
	if (acked) {
		jb_u64(jb, "ack_result", x->result);
		if (reason)
			jb_u64(jb, "ack_reason", 0);
	}
	jb_close(jb);
}

/* The interfaces a request's context id or a bind's call offered. */
static void interfaces(struct jbuf *jb, const struct dce_tx *t)
{
	const struct dce_state *s = t->st;
	bool open = false;
	for (unsigned i = 0; s && i < s->nctx; i++) {
		const struct dce_ctx *x = &s->ctx[i];
		if (t->req_cmd == DCE_REQUEST ? x->id != t->ctxid : x->call_id != t->call_id)
			continue;
		if (!open)
			jb_open_array(jb, "interfaces");
		open = true;
		iface_put(jb, x, x->acked, false);
	}
	if (open)
		jb_close(jb);
}

void dce_log_fields(struct jbuf *jb, const struct dce_tx *t)
{
	if (t->req_done && !t->req_lost) {
		type_str(jb, "request", t->req_cmd);
		if (t->req_cmd == DCE_REQUEST)
			side(jb, "req", t, 0, true);
		if (!t->udp && (t->req_cmd == DCE_REQUEST || t->req_cmd == DCE_BIND))
			interfaces(jb, t);
	} else {
		jb_str(jb, "request", "REQUEST_LOST");
	}
	if (t->resp_done && !t->resp_lost) {
		type_str(jb, "response", t->resp_cmd);
		if (t->resp_cmd == DCE_RESPONSE)
			side(jb, "res", t, 1, false);
	} else {
		jb_str(jb, "response", "UNREPLIED");
	}
	if (t->udp) {
		uuid_str(jb, "activityuuid", t->activity);
		jb_u64(jb, "seqnum", t->seqnum);
		jb_str(jb, "rpc_version", "4.0");
	} else {
		jb_u64(jb, "call_id", t->call_id);
		char v[8];
		snprintf(v, sizeof(v), "5.%u", t->minor);
		jb_str(jb, "rpc_version", v);
	}
}

/* The smb record's "dcerpc" object, in the order of Suricata's SMB
 * logger: a request's opnum beside, not inside, "req"; its interfaces
 * those of its context id; a bind's every interface of the last bind,
 * with the ack's result (and a reason of 0) once acked. */
void dce_smb_log_fields(struct jbuf *jb, const struct smb_tx *st)
{
	const struct smb_dce *d = &st->dce;
	const struct dce_state *s = st->dce_st;
	if (d->req_set)
		type_str(jb, "request", d->req_cmd);
	else
		jb_str(jb, "request", "REQUEST_LOST");
	if (d->res_set)
		type_str(jb, "response", d->res_cmd);
	else
		jb_str(jb, "response", "UNREPLIED");
	if (d->req_set && (d->req_cmd == DCE_REQUEST || d->req_cmd == DCE_BIND)) {
		bool req = d->req_cmd == DCE_REQUEST, open = false;
		if (req) {
			jb_u64(jb, "opnum", d->opnum);
			jb_open_object(jb, "req");
			jb_u64(jb, "frag_cnt", d->frag[0]);
			jb_u64(jb, "stub_data_size", d->stub_size[0]);
			jb_close(jb);
		}
		for (unsigned i = s ? (req ? 0 : s->bound) : 0; s && i < s->nctx; i++) {
			const struct dce_ctx *x = &s->ctx[i];
			if (req && x->id != d->ctxid)
				continue;
			if (!open)
				jb_open_array(jb, "interfaces");
			open = true;
			iface_put(jb, x, !req && x->acked, true);
		}
		if (open)
			jb_close(jb);
	}
	if (d->res_set && d->res_cmd == DCE_RESPONSE) {
		jb_open_object(jb, "res");
		jb_u64(jb, "frag_cnt", d->frag[1]);
		jb_u64(jb, "stub_data_size", d->stub_size[1]);
		jb_close(jb);
	}
	jb_u64(jb, "call_id", d->call_id);
}
