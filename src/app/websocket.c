/*
 * websocket.c - WebSocket (RFC 6455) after an HTTP/1.1 Upgrade, with
 * permessage-deflate (RFC 7692), as Suricata 8 reads and logs it.
 *
 *    0                   1                   2                   3
 *   +-+-+-+-+-------+-+-------------+-------------------------------+
 *   |F|R|R|R| opcode|M| length (7)  |  extended length (16 or 64)  |
 *   |I|S|S|S|  (4)  |A|             |  when length is 126 or 127    |
 *   |N|V|V|V|       |S|             |                               |
 *   | |1|2|3|       |K|             |                               |
 *   +-+-+-+-+-------+-+-------------+-------------------------------+
 *   | masking key (4, when MASK)    |  payload ...                  |
 *   +-------------------------------+-------------------------------+
 *
 * Each frame is a transaction (Suricata's): its flags, opcode, mask and
 * payload, unmasked.  Of a frame's payload at most max-payload-size bytes
 * (app-layer.protocols.websocket.max-payload-size, 0xffff) are kept; the
 * rest passes unread (websocket.skip_end_of_payload).  A message cut into
 * frames is put together (capped at the same size:
 * websocket.reassembly_limit_reached) and its last frame carries the whole
 * message; control frames (close, ping, pong) may come between fragments
 * and stand alone.  A message whose first frame has RSV1 set is
 * compressed: raw deflate ending with the 00 00 ff ff the sender took off,
 * decoded through one window per direction, kept across messages unless
 * the 101 said no_context_takeover for that side (without a negotiated
 * extension, each message is decoded on its own).  What does not decode
 * stays as sent.
 *
 * A frame is gathered whole before it is read (its header and kept
 * payload, charged to the app memcap), so bytes may arrive one at a time;
 * a transaction's payload is kept only for the packet that shows it, so a
 * flow holds at most one frame and one message per direction between
 * packets;
 * the frame's bytes as sent are also reported as the websocket.pdu,
 * websocket.header and websocket.data frames of the packet that completed
 * them.  The trade-off: a frame is seen only once complete, as in
 * Suricata.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "app_int.h"
#include "cursor.h"
#include "json.h"
#include "util.h"

static uint32_t max_payload = 0xffff;

void ws_config(uint64_t max)
{
	max_payload = max && max < UINT32_MAX / 2 ? (uint32_t)max : 0xffff;
}

static const char *const opcode_names[16] = {
	[0] = "continuation", [1] = "text", [2] = "binary",
	[8] = "close", [9] = "ping", [10] = "pong",
};

int ws_opcode_lookup(const char *name)
{
	for (int i = 0; i < 16; i++)
		if (opcode_names[i] && !strcasecmp(name, opcode_names[i]))
			return i;
	return -1;
}

/* The memory an inflate stream takes (its 32 KiB window and state),
 * charged while it lives. */
#define WS_Z_COST (48 * 1024)
/* Decoding a message stops after this many times max_payload bytes of
 * output (what is past max_payload is decoded only to keep the window). */
#define WS_Z_WORK 16

/* The header's length so far: 2, then 2 + extended length + mask. */
static uint8_t hdr_need(const uint8_t *h, uint8_t have)
{
	if (have < 2)
		return 2;
	uint8_t l = h[1] & 0x7f;
	return (uint8_t)(2 + (l == 126 ? 2 : l == 127 ? 8 : 0) + (h[1] & 0x80 ? 4 : 0));
}

static void tx_clear(struct app_ctx *a, struct ws_tx *t)
{
	app_buf_free(a, &t->payload, t->payload_cap);
	memset(t, 0, sizeof(*t));
}

/* The next transaction slot (the oldest is reused), NULL when this packet
 * has shown WS_MAX_TX frames already. */
static struct ws_tx *tx_new(struct app_ctx *a, struct ws_state *s, int dir)
{
	if (a->tx.nws >= APP_WS_PER_PKT)
		return NULL;
	struct ws_tx *t = &s->tx[s->next_slot];
	s->next_slot = (s->next_slot + 1) % WS_MAX_TX;
	tx_clear(a, t);
	t->used = true;
	t->seq = a->pkt_seq;
	t->tx_id = s->next_tx++;
	t->toclient = dir == 1;
	a->tx.ws[a->tx.nws++] = t;
	app_count_tx(a, false, ALP_WEBSOCKET);
	return t;
}

static void z_drop(struct app_ctx *a, struct ws_dir *w)
{
	if (w->z) {
		inflateEnd(w->z);
		v_free(w->z);
		w->z = NULL;
		app_release(a, WS_Z_COST);
	}
}

/* Inflates in[0..n) followed by 00 00 ff ff into out (cap bytes); returns
 * the bytes written, 0 when it does not decode. */
static uint32_t inflate_msg(struct app_ctx *a, struct ws_state *s, int dir, const uint8_t *in,
			    uint32_t n, uint8_t *out, uint32_t cap)
{
	struct ws_dir *w = &s->d[dir];
	if (!w->z) {
		if (!app_charge(a, WS_Z_COST))
			return 0;
		if (!(w->z = v_calloc(1, sizeof(*w->z))) || inflateInit2(w->z, -15) != Z_OK) {
			v_free(w->z);
			w->z = NULL;
			app_release(a, WS_Z_COST);
			return 0;
		}
	}
	static const uint8_t tail[4] = { 0, 0, 0xff, 0xff };
	uint8_t scratch[4096];
	uint32_t got = 0;
	uint64_t work = 0, limit = (uint64_t)max_payload * WS_Z_WORK;
	bool bad = false, ended = false;
	/* the message, its tail, then what zlib still holds (drained, so
	 * that none of it comes out with the next message) */
	for (int part = 0; part < 3 && !bad && !ended; part++) {
		w->z->next_in = (Bytef *)(part == 0 ? in : tail);
		w->z->avail_in = part == 0 ? n : part == 1 ? 4 : 0;
		for (;;) {
			bool room = got < cap;
			w->z->next_out = room ? out + got : scratch;
			w->z->avail_out = room ? cap - got : sizeof(scratch);
			uInt before = w->z->avail_out;
			int rc = inflate(w->z, Z_SYNC_FLUSH);
			uint32_t made = before - w->z->avail_out;
			if (room)
				got += made;
			work += made;
			if (rc == Z_STREAM_END) {
				ended = true; /* a final block: a new window after it */
				break;
			}
			if ((rc != Z_OK && rc != Z_BUF_ERROR) || work > limit) {
				bad = true;
				break;
			}
			/* done when the input is used up and nothing more comes */
			if (!w->z->avail_in && w->z->avail_out)
				break;
			if (rc == Z_BUF_ERROR && !made)
				break;
		}
	}
	/* a new window for the next message: no context takeover, no
	 * negotiated extension, the stream ended, or this message broke it */
	if (bad || ended || !s->deflate || s->no_ctx[dir])
		inflateReset(w->z);
	return bad && !got ? 0 : got;
}

/* The message a data frame ends: the tx payload becomes what it decodes
 * to (cap max_payload) when it is compressed. */
static void decompress(struct app_ctx *a, struct ws_state *s, int dir, struct ws_tx *t)
{
	uint8_t *out = NULL;
	if (!app_buf(a, &out, max_payload))
		return;
	uint32_t got = inflate_msg(a, s, dir, t->payload, t->payload_len, out, max_payload);
	if (!got) {
		app_buf_free(a, &out, max_payload);
		return;
	}
	app_buf_free(a, &t->payload, t->payload_cap);
	t->payload = out;
	t->payload_cap = max_payload;
	t->payload_len = got;
}

/* Appends p[0..n) to the message being put together in w (cap
 * max_payload). */
static void msg_add(struct app_ctx *a, struct ws_dir *w, const uint8_t *p, uint32_t n)
{
	if (!w->msg && !app_buf(a, &w->msg, max_payload)) {
		w->msg_cut = true;
		return;
	}
	uint32_t room = max_payload - w->msg_len;
	if (n && n >= room) {
		/* Suricata's count: reaching the limit is reaching it */
		if (room)
			w->msg_cut = true;
		n = room;
	}
	memcpy(w->msg + w->msg_len, p, n);
	w->msg_len += n;
}

/* A frame is complete: hdr (hlen bytes) and pl (n bytes kept of its
 * payload, as sent); skipped bytes of it still to pass. */
static void frame_done(struct app_ctx *a, struct ws_state *s, int dir, const uint8_t *hdr,
		       uint8_t hlen, const uint8_t *pl, uint32_t n, uint64_t skipped)
{
	app_frame_add(a, FR_WEBSOCKET_HEADER, dir, hdr, hlen, NULL, 0);
	app_frame_add(a, FR_WEBSOCKET_PDU, dir, hdr, hlen, pl, n);
	app_frame_add(a, FR_WEBSOCKET_DATA, dir, pl, n, NULL, 0);
	struct ws_dir *w = &s->d[dir];
	uint8_t b0 = hdr[0], op = b0 & 0x0f;
	bool fin = b0 & 0x80, control = op & 8;
	if ((b0 & 0x30) || !opcode_names[op] || (control && (!fin || n > 125 || skipped)) ||
	    (op == 0 && !w->msg_open) || (!control && op && w->msg_open))
		app_event(a, APP_EV_WEBSOCKET_INVALID_FRAME);
	if (skipped)
		app_event(a, APP_EV_WEBSOCKET_SKIP_END_OF_PAYLOAD);
	/* the payload unmasked */
	uint8_t key[4] = { 0 };
	bool masked = hdr[1] & 0x80;
	if (masked)
		memcpy(key, hdr + hlen - 4, 4);
	struct ws_tx *t = tx_new(a, s, dir);
	uint8_t *own = NULL; /* (refused: the frame stands without its payload) */
	if (n && app_buf(a, &own, n))
		for (uint32_t i = 0; i < n; i++)
			own[i] = pl[i] ^ key[i & 3];
	bool comp = false;
	if (!control && (w->msg_open || !fin)) {
		if (!w->msg_open) {
			w->msg_open = true;
			w->msg_comp = b0 & 0x40;
			w->msg_cut = false;
		}
		bool was_cut = w->msg_cut;
		if (own)
			msg_add(a, w, own, n);
		if (w->msg_cut && !was_cut)
			app_event(a, APP_EV_WEBSOCKET_REASSEMBLY_LIMIT_REACHED);
		if (fin) {
			/* the last frame carries the whole message */
			app_buf_free(a, &own, n);
			own = w->msg;
			n = w->msg_len;
			comp = w->msg_comp;
			if (own && t) {
				t->payload_cap = max_payload;
			} else if (own) {
				app_buf_free(a, &own, max_payload);
			}
			w->msg = NULL;
			w->msg_len = 0;
			w->msg_open = false;
			if (t) {
				t->payload = own;
				t->payload_len = own ? n : 0;
				own = NULL;
			}
		}
	} else if (!control) {
		comp = b0 & 0x40;
	}
	if (t) {
		t->flags = b0 & 0xf0;
		t->fin = fin;
		t->opcode = op;
		t->has_mask = masked;
		t->mask = (uint32_t)key[0] << 24 | (uint32_t)key[1] << 16 | (uint32_t)key[2] << 8 | key[3];
		if (own) {
			t->payload = own;
			t->payload_len = t->payload_cap = n;
			own = NULL;
		}
		if (comp && t->payload_len)
			decompress(a, s, dir, t);
	} else if (comp && fin && own) {
		/* not shown, but the window must follow the stream */
		uint8_t tmp[1];
		(void)inflate_msg(a, s, dir, own, n, tmp, 0);
	}
	if (own)
		app_buf_free(a, &own, n);
}

void ws_feed(struct app_ctx *a, struct ws_state *s, int dir, const uint8_t *d, uint32_t n)
{
	dir &= 1;
	struct ws_dir *w = &s->d[dir];
	a->tx.alproto = ALP_WEBSOCKET;
	/* the frames of earlier packets were shown and logged there: their
	 * payloads go, so a flow holds only what this packet shows */
	for (unsigned i = 0; i < WS_MAX_TX; i++)
		if (s->tx[i].used && s->tx[i].seq != a->pkt_seq)
			tx_clear(a, &s->tx[i]);
	while (n && !w->broken) {
		uint32_t k;
		if (w->skip) {
			k = (uint32_t)MIN((uint64_t)n, w->skip);
			w->skip -= k;
			d += k;
			n -= k;
			continue;
		}
		if (!w->in_payload) {
			uint8_t need = hdr_need(w->hdr, w->hlen);
			while (w->hlen < need && n) {
				w->hdr[w->hlen++] = *d++;
				n--;
				need = hdr_need(w->hdr, w->hlen);
			}
			if (w->hlen < need)
				return;
			struct cursor c;
			cur_init(&c, w->hdr + 1, w->hlen - 1);
			uint8_t l = cur_u8(&c) & 0x7f;
			uint64_t plen = l == 126 ? cur_be16(&c)
				      : l == 127 ? (uint64_t)cur_be32(&c) << 32 | cur_be32(&c) : l;
			if (l == 127 && (plen >> 63))
				app_event(a, APP_EV_WEBSOCKET_INVALID_FRAME);
			/* Suricata's cut: a payload as long as the limit or
			 * longer keeps the limit's bytes */
			w->keep = plen < max_payload ? (uint32_t)plen : max_payload;
			w->rest = plen - w->keep;
			w->in_payload = true;
			w->got = 0;
			if (n >= w->keep) {
				/* all of it here: read in place */
				frame_done(a, s, dir, w->hdr, w->hlen, d, w->keep, w->rest);
				d += w->keep;
				n -= w->keep;
				w->skip = w->rest;
				w->hlen = 0;
				w->in_payload = false;
				continue;
			}
			if (!app_buf(a, &w->buf, w->keep)) {
				/* refused: the frame passes unread */
				w->skip = plen;
				w->hlen = 0;
				w->in_payload = false;
				continue;
			}
		}
		k = MIN(n, w->keep - w->got);
		memcpy(w->buf + w->got, d, k);
		w->got += k;
		d += k;
		n -= k;
		if (w->got == w->keep) {
			frame_done(a, s, dir, w->hdr, w->hlen, w->buf, w->keep, w->rest);
			app_buf_free(a, &w->buf, w->keep);
			w->skip = w->rest;
			w->hlen = 0;
			w->in_payload = false;
		}
	}
}

void ws_gap(struct app_ctx *a, struct ws_state *s, int dir)
{
	/* no way to find the next frame after a hole (Suricata's parser
	 * takes none): the direction stops */
	struct ws_dir *w = &s->d[dir & 1];
	if (w->in_payload)
		app_buf_free(a, &w->buf, w->keep);
	w->broken = true;
}

void ws_state_free(struct app_ctx *a, struct ws_state *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < WS_MAX_TX; i++)
		tx_clear(a, &s->tx[i]);
	for (int d = 0; d < 2; d++) {
		struct ws_dir *w = &s->d[d];
		if (w->in_payload)
			app_buf_free(a, &w->buf, w->keep);
		app_buf_free(a, &w->msg, max_payload);
		z_drop(a, w);
	}
	v_free(s);
	app_release(a, sizeof(*s)); /* (charged when made) */
}

void ws_log_fields(struct jbuf *jb, const struct ws_tx *t, bool printable, bool b64)
{
	jb_bool(jb, "fin", t->fin);
	if (t->has_mask)
		jb_u64(jb, "mask", t->mask);
	if (opcode_names[t->opcode & 15]) {
		jb_str(jb, "opcode", opcode_names[t->opcode & 15]);
	} else {
		char u[16];
		snprintf(u, sizeof(u), "unknown-%u", t->opcode & 15);
		jb_str(jb, "opcode", u);
	}
	if (printable)
		jb_strn(jb, "payload_printable", t->payload ? t->payload : (const uint8_t *)"",
			t->payload_len);
	if (b64) {
		char *out = malloc(4 * ((size_t)t->payload_len + 2) / 3 + 1);
		if (out) {
			base64_encode(t->payload ? t->payload : (const uint8_t *)"", t->payload_len, out);
			jb_str(jb, "payload_base64", out);
			free(out);
		}
	}
}
