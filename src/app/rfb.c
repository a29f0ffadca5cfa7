/*
 * rfb.c - RFB, the VNC remote framebuffer protocol (RFC 6143), as
 * Suricata 8 reads and logs its handshake.
 *
 *   server: "RFB 003.008\n"  security types  [challenge]  result  ServerInit
 *   client: "RFB 003.008\n"  chosen type     [response]            ClientInit
 *
 * Version 3.3 has the server name the security type (a 32-bit number);
 * 3.7 and 3.8 have it offer a list and the client choose.  VNC
 * authentication (type 2) is a 16-byte challenge and response; 3.8 sends a
 * security result always, with a reason when it failed.  The handshake is
 * one transaction, written as an rfb record when the ServerInit (or a
 * failed result) completes it, else at flow end.  After the handshake,
 * or a security type other than None and VNC, the bytes are not read.
 */
#include <stdio.h>
#include <string.h>

#include "app_int.h"
#include "json.h"
#include "util.h"

enum { S_VERSION, S_SECTYPES_COUNT, S_SECTYPES, S_SECTYPE33, S_CHALLENGE, S_RESULT, S_REASON_LEN,
       S_REASON, S_SERVER_INIT, S_NAME, S_DONE };
enum { C_VERSION, C_SECTYPE, C_RESPONSE, C_CLIENT_INIT, C_DONE };

bool rfb_probe(const uint8_t *d, uint32_t n)
{
	/* "RFB xxx.yyy\n" (the first bytes of either side) */
	if (n < 4 || memcmp(d, "RFB ", 4))
		return false;
	for (uint32_t i = 4; i < n && i < 11; i++)
		if (i == 7 ? d[i] != '.' : (d[i] < '0' || d[i] > '9'))
			return false;
	return n < 12 || d[11] == '\n';
}

static void done(struct app_ctx *a, struct rfb_state *s)
{
	if (s->tx.complete)
		return;
	s->tx.complete = true;
	s->tx.logged = true;
	a->tx.rfb = &s->tx;
	app_count_tx(a, false, ALP_RFB);
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The bytes one step of side `dir` needs (0: stop reading). */
static uint32_t need(const struct rfb_state *s, int dir)
{
	if (dir == 0) {
		switch (s->cstate) {
		case C_VERSION: return 12;
		case C_SECTYPE: return 1;
		case C_RESPONSE: return 16;
		case C_CLIENT_INIT: return 1;
		default: return 0;
		}
	}
	switch (s->sstate) {
	case S_VERSION: return 12;
	case S_SECTYPES_COUNT: return 1;
	case S_SECTYPES: return s->ntypes;
	case S_SECTYPE33: return 4;
	case S_CHALLENGE: return 16;
	case S_RESULT: return 4;
	case S_REASON_LEN: return 4;
	case S_REASON: return MIN(s->skip_len, (uint32_t)sizeof(s->tx.reason));
	case S_SERVER_INIT: return 24;
	case S_NAME: return MIN(s->skip_len, (uint32_t)sizeof(s->tx.name));
	default: return 0;
	}
}

static void version(struct rfb_version *v, const uint8_t *d)
{
	memcpy(v->major, d + 4, 3);
	memcpy(v->minor, d + 8, 3);
	v->set = true;
}

/* The minor version both sides speak (the server's until the client says). */
static int minor(const struct rfb_state *s)
{
	const struct rfb_version *v = s->tx.client.set ? &s->tx.client : &s->tx.server;
	return (v->minor[0] - '0') * 100 + (v->minor[1] - '0') * 10 + (v->minor[2] - '0');
}

static void server_step(struct app_ctx *a, struct rfb_state *s, const uint8_t *d)
{
	struct rfb_tx *t = &s->tx;
	switch (s->sstate) {
	case S_VERSION:
		version(&t->server, d);
		s->sstate = minor(s) >= 7 ? S_SECTYPES_COUNT : S_SECTYPE33;
		break;
	case S_SECTYPES_COUNT:
		s->ntypes = d[0];
		/* none offered: a failure, its reason follows */
		s->sstate = d[0] ? S_SECTYPES : S_REASON_LEN;
		break;
	case S_SECTYPES:
		/* the client chooses; the challenge (if VNC) follows its choice,
		 * which this side cannot see: wait in S_CHALLENGE or S_RESULT by
		 * what the client picked (decided when it arrives) */
		s->sstate = S_CHALLENGE; /* (re-decided in client_step) */
		break;
	case S_SECTYPE33: {
		uint32_t st = be32(d);
		t->sectype = st;
		t->has_sectype = true;
		s->sstate = st == 2 ? S_CHALLENGE : st == 1 ? S_SERVER_INIT : st == 0 ? S_REASON_LEN : S_DONE;
		s->cstate = st == 2 ? C_RESPONSE : st == 1 ? C_CLIENT_INIT : C_DONE;
		break;
	}
	case S_CHALLENGE:
		memcpy(t->challenge, d, 16);
		t->has_challenge = true;
		s->sstate = S_RESULT;
		break;
	case S_RESULT:
		t->result = be32(d);
		t->has_result = true;
		if (t->result != 0) {
			/* 3.8 gives a reason; either way the handshake ends */
			if (minor(s) >= 8) {
				s->sstate = S_REASON_LEN;
			} else {
				s->sstate = S_DONE;
				done(a, s);
			}
		} else {
			s->sstate = S_SERVER_INIT;
		}
		break;
	case S_REASON_LEN:
		s->skip_len = be32(d);
		s->sstate = s->skip_len ? S_REASON : S_DONE;
		if (!s->skip_len)
			done(a, s);
		break;
	case S_REASON: {
		uint32_t k = MIN(s->skip_len, (uint32_t)sizeof(t->reason));
		memcpy(t->reason, d, k);
		t->reason_len = (uint16_t)k;
		t->has_reason = true;
		s->skip = s->skip_len - k;
		s->sstate = S_DONE;
		done(a, s);
		break;
	}
	case S_SERVER_INIT:
		t->width = (uint16_t)(d[0] << 8 | d[1]);
		t->height = (uint16_t)(d[2] << 8 | d[3]);
		memcpy(t->pixel, d + 4, 16);
		s->skip_len = be32(d + 20);
		t->has_init = true;
		if (s->skip_len) {
			s->sstate = S_NAME;
		} else {
			s->sstate = S_DONE;
			done(a, s);
		}
		break;
	case S_NAME: {
		uint32_t k = MIN(s->skip_len, (uint32_t)sizeof(t->name));
		memcpy(t->name, d, k);
		t->name_len = (uint16_t)k;
		s->skip = s->skip_len - k;
		s->sstate = S_DONE;
		done(a, s);
		break;
	}
	default:
		break;
	}
}

static void client_step(struct app_ctx *a, struct rfb_state *s, const uint8_t *d)
{
	(void)a;
	struct rfb_tx *t = &s->tx;
	switch (s->cstate) {
	case C_VERSION:
		version(&t->client, d);
		/* 3.3: the server names the type; else the client picks one */
		s->cstate = minor(s) >= 7 ? C_SECTYPE : C_DONE;
		if (minor(s) < 7 && s->sstate == S_SECTYPES_COUNT)
			s->sstate = S_SECTYPE33;
		break;
	case C_SECTYPE:
		t->sectype = d[0];
		t->has_sectype = true;
		if (d[0] == 2) {
			s->cstate = C_RESPONSE;
		} else if (d[0] == 1) {
			s->cstate = C_CLIENT_INIT;
			/* 3.8 sends a result for None too; 3.7 goes on to init */
			if (s->sstate == S_CHALLENGE || s->sstate == S_SECTYPES)
				s->sstate = minor(s) >= 8 ? S_RESULT : S_SERVER_INIT;
		} else {
			s->cstate = C_DONE; /* a type this parser does not follow */
			s->sstate = S_DONE;
		}
		break;
	case C_RESPONSE:
		memcpy(t->response, d, 16);
		t->has_response = true;
		s->cstate = C_CLIENT_INIT;
		break;
	case C_CLIENT_INIT:
		t->shared = d[0] != 0;
		t->has_shared = true;
		s->cstate = C_DONE;
		break;
	default:
		break;
	}
}

void rfb_feed(struct app_ctx *a, struct rfb_state *s, int dir, const uint8_t *d, uint32_t n)
{
	a->tx.alproto = ALP_RFB;
	dir &= 1;
	while (n) {
		if (dir == 1 && s->skip) {
			uint32_t k = (uint32_t)MIN((uint64_t)n, s->skip);
			s->skip -= k;
			d += k;
			n -= k;
			continue;
		}
		uint32_t want = need(s, dir);
		if (!want)
			return; /* past the handshake (or a type not followed) */
		_Static_assert(sizeof(s->buf[0]) >= sizeof(s->tx.name) && sizeof(s->buf[0]) >= sizeof(s->tx.reason) &&
				       sizeof(s->buf[0]) >= 24,
			       "a step's bytes fit the buffer");
		if (dir == 0 && s->cstate == C_VERSION && !s->len[0] && n >= 4 && memcmp(d, "RFB ", 4)) {
			s->cstate = C_DONE; /* not a version line: not RFB */
			return;
		}
		uint8_t *buf = s->buf[dir];
		uint32_t *len = &s->len[dir];
		if (!*len && n >= want) {
			/* whole here */
			if (dir)
				server_step(a, s, d);
			else
				client_step(a, s, d);
			d += want;
			n -= want;
			continue;
		}
		uint32_t k = MIN(n, want - *len);
		memcpy(buf + *len, d, k);
		*len += k;
		d += k;
		n -= k;
		if (*len == want) {
			*len = 0;
			if (dir)
				server_step(a, s, buf);
			else
				client_step(a, s, buf);
		}
	}
}

const struct rfb_tx *rfb_unlogged(struct rfb_state *s)
{
	if (!s || s->tx.logged || (!s->tx.server.set && !s->tx.client.set))
		return NULL;
	s->tx.logged = true;
	return &s->tx;
}

/* ---- the record ---- */

static void hex16(struct jbuf *jb, const char *key, const uint8_t *b)
{
	char h[33];
	for (int i = 0; i < 16; i++)
		snprintf(h + 2 * i, 3, "%02x", b[i]);
	jb_str(jb, key, h);
}

void rfb_log_fields(struct jbuf *jb, const struct rfb_tx *t)
{
	if (t->server.set) {
		jb_open_object(jb, "server_protocol_version");
		jb_strn(jb, "major", (const uint8_t *)t->server.major, 3);
		jb_strn(jb, "minor", (const uint8_t *)t->server.minor, 3);
		jb_close(jb);
	}
	if (t->client.set) {
		jb_open_object(jb, "client_protocol_version");
		jb_strn(jb, "major", (const uint8_t *)t->client.major, 3);
		jb_strn(jb, "minor", (const uint8_t *)t->client.minor, 3);
		jb_close(jb);
	}
	jb_open_object(jb, "authentication");
	if (t->has_sectype)
		jb_u64(jb, "security_type", t->sectype);
	if (t->has_sectype && t->sectype == 2) {
		jb_open_object(jb, "vnc");
		if (t->has_challenge)
			hex16(jb, "challenge", t->challenge);
		if (t->has_response)
			hex16(jb, "response", t->response);
		jb_close(jb);
	}
	if (t->has_result) {
		char u[32];
		snprintf(u, sizeof(u), "UNKNOWN (%u)", t->result);
		jb_str(jb, "security_result", t->result == 0 ? "OK" : t->result == 1 ? "FAIL"
				 : t->result == 2 ? "TOOMANY" : u);
	}
	jb_close(jb);
	if (t->has_reason)
		jb_strn(jb, "server_security_failure_reason", (const uint8_t *)t->reason, t->reason_len);
	if (t->has_shared)
		jb_bool(jb, "screen_shared", t->shared);
	if (t->has_init) {
		const uint8_t *p = t->pixel;
		jb_open_object(jb, "framebuffer");
		jb_u64(jb, "width", t->width);
		jb_u64(jb, "height", t->height);
		jb_strn(jb, "name", (const uint8_t *)t->name, t->name_len);
		jb_open_object(jb, "pixel_format");
		jb_u64(jb, "bits_per_pixel", p[0]);
		jb_u64(jb, "depth", p[1]);
		jb_bool(jb, "big_endian", p[2] != 0);
		jb_bool(jb, "true_color", p[3] != 0);
		jb_u64(jb, "red_max", (uint32_t)(p[4] << 8 | p[5]));
		jb_u64(jb, "green_max", (uint32_t)(p[6] << 8 | p[7]));
		jb_u64(jb, "blue_max", (uint32_t)(p[8] << 8 | p[9]));
		jb_u64(jb, "red_shift", p[10]);
		jb_u64(jb, "green_shift", p[11]);
		jb_u64(jb, "blue_shift", p[12]);
		jb_close(jb);
		jb_close(jb);
	}
}
