/*
 * sip.c - SIP (RFC 3261) over UDP and TCP, as far as Suricata reads it:
 * the request or status line and the headers rules and records use.
 *
 * Each message is a transaction of its own (Suricata's SIP parser makes
 * one per request and one per response).  Over UDP a datagram is one
 * message; over TCP the stream is cut into messages at the blank line
 * after the headers plus Content-Length bytes of body, with at most
 * SIP_TCP_MAX bytes held per direction.  Compact header names (f, t, v,
 * l, c) are read as their long forms.  What is kept of a message is a
 * copy of its head (SIP_HEAD_MAX bytes) with offsets into it, so the
 * per-flow state is one bounded block and nothing is allocated per
 * message.  A body that is SDP (RFC 4566: it starts with "v=") is kept
 * in the same block, as far as it fits, and its lines are read for the
 * sdp.* buffers (sdp_parse).
 */
#include <string.h>
#include <strings.h>

#include "app_int.h"
#include "json.h"
#include "util.h"

static bool is_token(uint8_t c)
{
	/* RFC 3261 token: alphanumerics and -.!%*_+`'~ */
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       (c && strchr("-.!%*_+`'~", c));
}

/* Whether d starts like a SIP message: "SIP/2.0 NNN " or "METHOD sip:"
 * (or sips:, or tel: when the line is whole), and when the first line is
 * whole in d, ending in " SIP/2.0".  Stream detection sees the first 16
 * to 32 bytes of a direction, so the line's end may not be there. */
bool sip_probe(const uint8_t *d, uint32_t n)
{
	if (n >= 12 && !memcmp(d, "SIP/2.0 ", 8))
		return d[8] >= '1' && d[8] <= '6' && d[9] >= '0' && d[9] <= '9' && d[10] >= '0' &&
		       d[10] <= '9' && d[11] == ' ';
	uint32_t i = 0;
	while (i < n && i < 32 && d[i] >= 'A' && d[i] <= 'Z')
		i++;
	if (i < 3 || i >= n || d[i] != ' ')
		return false;
	const uint8_t *u = d + i + 1;
	uint32_t un = n - i - 1;
	bool sip = (un >= 4 && !strncasecmp((const char *)u, "sip:", 4)) ||
		   (un >= 5 && !strncasecmp((const char *)u, "sips:", 5));
	bool tel = un >= 4 && !strncasecmp((const char *)u, "tel:", 4);
	const uint8_t *eol = memchr(d, '\n', n);
	if (!eol)
		return sip;
	uint32_t end = (uint32_t)(eol - d);
	if (end > 0 && d[end - 1] == '\r')
		end--;
	return (sip || tel) && end > i + 9 && !memcmp(d + end - 8, " SIP/2.0", 8);
}

static int header_id(const char *name, uint32_t len)
{
	static const struct {
		const char *name, *compact;
		int id;
	} names[] = {
		{ "From", "f", SIP_H_FROM },		   { "To", "t", SIP_H_TO },
		{ "Via", "v", SIP_H_VIA },		   { "User-Agent", NULL, SIP_H_UA },
		{ "Content-Type", "c", SIP_H_CTYPE }, { "Content-Length", "l", SIP_H_CLEN },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if ((strlen(names[i].name) == len && !strncasecmp(name, names[i].name, len)) ||
		    (names[i].compact && len == 1 && (name[0] | 0x20) == names[i].compact[0]))
			return names[i].id;
	return -1;
}

static struct sip_str span(const struct sip_msg *m, const char *p, uint32_t len)
{
	return (struct sip_str){ (uint16_t)(p - m->buf), (uint16_t)len };
}

/* The end of the head (just past its blank line) in d, or 0. */
static uint32_t head_end(const uint8_t *d, uint32_t n)
{
	for (uint32_t i = 0; i + 1 < n; i++) {
		if (d[i] != '\n')
			continue;
		if (d[i + 1] == '\n')
			return i + 2;
		if (i + 2 < n && d[i + 1] == '\r' && d[i + 2] == '\n')
			return i + 3;
	}
	return 0;
}

/* Parses the head of one message (d, n: the head, or a datagram).  false
 * when it is not SIP. */
bool sip_parse(struct sip_msg *m, const uint8_t *d, uint32_t n)
{
	uint32_t keep = MIN(n, (uint32_t)sizeof(m->buf) - 1);
	memcpy(m->buf, d, keep);
	m->buf[keep] = 0;
	m->len = keep;
	m->response = false;
	m->method = m->uri = m->version = m->code = m->reason = m->line = (struct sip_str){ 0, 0 };
	memset(m->nhdr, 0, sizeof(m->nhdr));
	memset(m->nsdp, 0, sizeof(m->nsdp));
	m->body_off = 0;
	m->content_length = -1;
	char *p = m->buf, *end = m->buf + keep;
	char *eol = memchr(p, '\n', (size_t)(end - p));
	char *le = eol ? eol : end;
	if (le > p && le[-1] == '\r')
		le--;
	uint32_t ll = (uint32_t)(le - p);
	m->line = span(m, p, ll);
	if (ll >= 12 && !memcmp(p, "SIP/2.0 ", 8)) {
		m->response = true;
		m->version = span(m, p, 7);
		m->code = span(m, p + 8, 3);
		char *r = p + 11;
		while (r < le && *r == ' ')
			r++;
		m->reason = span(m, r, (uint32_t)(le - r));
	} else {
		char *s1 = memchr(p, ' ', ll);
		if (!s1 || s1 == p)
			return false;
		for (char *q = p; q < s1; q++)
			if (!is_token((uint8_t)*q))
				return false;
		char *s2 = memchr(s1 + 1, ' ', (size_t)(le - s1 - 1));
		if (!s2 || s2 == s1 + 1 || le - s2 - 1 < 3 || memcmp(s2 + 1, "SIP/", 4))
			return false;
		m->method = span(m, p, (uint32_t)(s1 - p));
		m->uri = span(m, s1 + 1, (uint32_t)(s2 - s1 - 1));
		m->version = span(m, s2 + 1, (uint32_t)(le - s2 - 1));
	}
	/* the headers, up to the blank line */
	p = eol ? eol + 1 : end;
	while (p < end) {
		eol = memchr(p, '\n', (size_t)(end - p));
		le = eol ? eol : end;
		char *next = eol ? eol + 1 : end;
		if (le > p && le[-1] == '\r')
			le--;
		if (le == p) { /* the blank line */
			m->body_off = (uint16_t)(next - m->buf);
			break;
		}
		char *colon = memchr(p, ':', (size_t)(le - p));
		if (colon) {
			char *ne = colon;
			while (ne > p && (ne[-1] == ' ' || ne[-1] == '\t'))
				ne--;
			int id = header_id(p, (uint32_t)(ne - p));
			char *v = colon + 1, *ve = le;
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			if (id >= 0 && m->nhdr[id] < SIP_MAX_HDR)
				m->hdr[id][m->nhdr[id]++] = span(m, v, (uint32_t)(ve - v));
			if (id == SIP_H_CLEN) {
				int64_t cl = 0;
				bool digits = v < ve;
				for (char *q = v; q < ve && digits; q++) {
					digits = *q >= '0' && *q <= '9';
					cl = cl * 10 + (*q - '0');
					if (cl > (1 << 24))
						digits = false;
				}
				if (digits)
					m->content_length = cl;
			}
		}
		p = next;
	}
	return true;
}

/* SDP (RFC 4566): "x=value" lines.  The session level (o, s, i, u, e, p,
 * c, b, t, r, z, k, a) until the first m= line, then media descriptions
 * (m, and their i, c, k; their b and a are not read, as Suricata's
 * sdp.* buffers do not).  Lenient where Suricata's parser is strict on
 * the order of the lines: other lines are skipped, at most SDP_MAX_LINES
 * are read. */
#define SDP_MAX_LINES 256
static void sdp_parse(struct sip_msg *m, uint32_t off, uint32_t n)
{
	char *p = m->buf + off, *end = p + n;
	if (n < 2 || p[0] != 'v' || p[1] != '=')
		return;
	bool media = false;
	for (unsigned lines = 0; p < end && lines < SDP_MAX_LINES; lines++) {
		char *eol = memchr(p, '\n', (size_t)(end - p));
		char *le = eol ? eol : end, *next = eol ? eol + 1 : end;
		if (le > p && le[-1] == '\r')
			le--;
		if (le - p < 2 || p[1] != '=') {
			p = next;
			continue;
		}
		int f = -1;
		if (p[0] == 'm') {
			media = true;
			f = SDP_M_MEDIA;
		} else if (media) {
			f = p[0] == 'i' ? SDP_M_INFO : p[0] == 'c' ? SDP_M_CONN : p[0] == 'k' ? SDP_M_KEY : -1;
		} else {
			static const char keys[] = "osiuepcbtrzka";
			static const int8_t field[] = { SDP_ORIGIN, SDP_SESSION_NAME, SDP_SESSION_INFO, SDP_URI,
							SDP_EMAIL, SDP_PHONE, SDP_CONN, SDP_BANDWIDTH, SDP_TIME,
							SDP_REPEAT, SDP_TZ, SDP_KEY, SDP_ATTR };
			const char *k = p[0] ? strchr(keys, p[0]) : NULL;
			f = k ? field[k - keys] : -1;
		}
		/* the singular fields keep their first line */
		bool multi = f == SDP_BANDWIDTH || f == SDP_TIME || f == SDP_REPEAT || f == SDP_ATTR ||
			     f >= SDP_M_MEDIA;
		if (f >= 0 && m->nsdp[f] < (multi ? SDP_MAX_REP : 1))
			m->sdp[f][m->nsdp[f]++] = span(m, p + 2, (uint32_t)(le - p - 2));
		p = next;
	}
}

/* The body of a message whose head sip_parse read: n bytes at b, or, when
 * b is NULL, what buf already holds past the head (a datagram).  Kept as
 * far as buf has room, and read as SDP. */
static void sip_body(struct sip_msg *m, const uint8_t *b, uint32_t n)
{
	if (!m->body_off)
		return;
	if (b) {
		uint32_t room = (uint32_t)sizeof(m->buf) - 1 - m->len;
		n = MIN(n, room);
		memcpy(m->buf + m->len, b, n);
		m->body_off = (uint16_t)m->len;
		m->len += n;
		m->buf[m->len] = 0;
	} else {
		n = m->len - m->body_off;
		if (m->content_length >= 0 && (uint64_t)m->content_length < n)
			n = (uint32_t)m->content_length;
	}
	sdp_parse(m, m->body_off, n);
}

/* The next message slot of this packet: a packet's messages are exposed
 * together (tx.sip), so the slots are reused from the first on each
 * packet. */
static struct sip_msg *slot(struct app_ctx *a, struct sip_state *s)
{
	if (s->seq != a->pkt_seq) {
		s->seq = a->pkt_seq;
		s->used = 0;
	}
	return s->used < APP_SIP_PER_PKT ? &s->msg[s->used] : NULL;
}

static void sip_done(struct app_ctx *a, struct sip_state *s, bool udp)
{
	struct sip_msg *m = &s->msg[s->used++];
	m->tx_id = s->next_tx++;
	app_count_tx(a, udp, ALP_SIP);
	a->tx.sip[a->tx.nsip++] = m;
	a->tx.alproto = ALP_SIP;
}

void sip_udp(struct app_ctx *a, struct sip_state *s, const uint8_t *d, uint32_t n)
{
	a->tx.alproto = ALP_SIP;
	struct sip_msg *m = slot(a, s);
	if (m && sip_parse(m, d, n)) {
		sip_body(m, NULL, 0);
		sip_done(a, s, true);
	}
	else if (m)
		app_event(a, APP_EV_SIP_INVALID);
}

/* A message's frames: the whole, its start line (with its CRLF), its
 * header lines (without the blank line), its body.  he: the head's end
 * (past the blank line), n: the message's. */
static void sip_frames(struct app_ctx *a, int dir, bool response, const uint8_t *b, uint32_t he,
		       uint32_t n)
{
	const uint8_t *lf = memchr(b, '\n', he);
	uint32_t le = lf ? (uint32_t)(lf - b) + 1 : he;
	uint32_t blank = he >= 2 && b[he - 2] == '\r' ? 2 : 1;
	uint32_t hs = le, hn = he - blank > le ? he - blank - le : 0;
	app_frame_add(a, FR_SIP_PDU, dir, b, n, NULL, 0);
	app_frame_add(a, response ? FR_SIP_RESPONSE_LINE : FR_SIP_REQUEST_LINE, dir, b, le, NULL, 0);
	app_frame_add(a, response ? FR_SIP_RESPONSE_HEADERS : FR_SIP_REQUEST_HEADERS, dir, b + hs, hn,
		      NULL, 0);
	if (n > he)
		app_frame_add(a, response ? FR_SIP_RESPONSE_BODY : FR_SIP_REQUEST_BODY, dir, b + he,
			      n - he, NULL, 0);
}

void sip_feed(struct app_ctx *a, struct sip_state *s, int dir, const uint8_t *d, uint32_t n)
{
	a->tx.alproto = ALP_SIP;
	while (n) {
		if (!app_buf(a, &s->buf[dir], SIP_TCP_MAX))
			return;
		uint32_t room = SIP_TCP_MAX - s->len[dir], k = MIN(n, room);
		memcpy(s->buf[dir] + s->len[dir], d, k);
		s->len[dir] += k;
		d += k;
		n -= k;
		/* every complete message held */
		struct sip_msg *m;
		while ((m = slot(a, s))) {
			uint8_t *b = s->buf[dir];
			uint32_t he = head_end(b, s->len[dir]);
			if (!he) {
				if (s->len[dir] == SIP_TCP_MAX) {
					/* a head larger than the buffer: dropped */
					app_event(a, APP_EV_SIP_INVALID);
					s->len[dir] = 0;
				}
				break;
			}
			bool ok = sip_parse(m, b, he);
			uint64_t body = ok && m->content_length > 0 ? (uint64_t)m->content_length : 0;
			if (he + body > s->len[dir] && he + body <= SIP_TCP_MAX)
				break; /* the body is still coming */
			uint32_t used = (uint32_t)MIN(he + body, (uint64_t)s->len[dir]);
			if (ok) {
				sip_frames(a, dir, m->response, b, he, used);
				sip_body(m, b + he, used - he);
				sip_done(a, s, false);
			}
			else
				app_event(a, APP_EV_SIP_INVALID);
			memmove(b, b + used, s->len[dir] - used);
			s->len[dir] -= used;
		}
		if (!m && s->len[dir] == SIP_TCP_MAX)
			s->len[dir] = 0; /* more messages in one packet than slots, and no room */
	}
}

void sip_state_free(struct app_ctx *a, struct sip_state *s)
{
	if (!s)
		return;
	for (int d = 0; d < 2; d++)
		app_buf_free(a, &s->buf[d], SIP_TCP_MAX);
	v_free(s);
}

/* The "sip" object of a record, as Suricata writes it. */
void sip_log_fields(struct jbuf *jb, const struct sip_msg *m)
{
#define S(key, x) jb_strn(jb, key, (const uint8_t *)m->buf + (x).off, (x).len)
	if (m->response) {
		S("version", m->version);
		S("code", m->code);
		S("reason", m->reason);
		S("response_line", m->line);
	} else {
		S("method", m->method);
		S("uri", m->uri);
		S("version", m->version);
		S("request_line", m->line);
	}
#undef S
}
