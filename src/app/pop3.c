/*
 * pop3.c - POP3 (RFC 1939, 2449, 2595, 5034) over TCP, as Suricata 8
 * reads and logs it.
 *
 * The client sends command lines (a keyword, arguments separated by
 * spaces); the server answers each with a status line ("+OK text",
 * "-ERR text", or "+ text" continuing an AUTH exchange), and to CAPA,
 * LIST and UIDL without an argument, TOP and RETR with lines ending at a
 * line holding one dot.  A command and its response are a transaction;
 * the greeting, which answers nothing, is one too.  Responses are matched
 * to commands in order.  A multi-line response's lines are kept
 * (POP3_DATA_MAX bytes) except RETR's, a whole message, which passes
 * unkept: when its status line says how many octets follow they are
 * passed by count, as Suricata does, so that a line of one dot inside
 * the message does not end it.  After AUTH, each "+ " continuation makes
 * the client's next line SASL data (a transaction "<SASL DATA>").  A
 * "+OK" to STLS makes the rest of the connection TLS.
 *
 * A transaction is shown to the rules on the packet with its command and
 * on the one that completes its response, and written as a pop3 record
 * then; those still open at flow end then.  Suricata's events: a command
 * line over 255 octets or status line over 512 (with CRLF), an unknown
 * keyword, a wrong argument count, too many transactions waiting.
 *
 * Suricata reads a line of any length whole (it waits for the line end),
 * so pop3.args, pop3.response and the record have all of it.  Here a
 * line is kept whole up to POP3_LINE_MAX (32 KiB) in a buffer grown as
 * needed and charged to the app-layer memcap, as are a transaction's
 * arguments and status text; the rest of a longer line is skipped (the
 * too-long event is raised by then).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "app_int.h"
#include "json.h"
#include "util.h"

enum { MULTI_NO, MULTI_NOARG, MULTI_YES };
static const struct pop3_cmd {
	const char *name;
	uint8_t min, max;             /* arguments */
	uint8_t multi;                /* a +OK answer has lines: MULTI_NOARG without arguments */
} cmds[] = {
	{ "USER", 1, 1, MULTI_NO }, { "PASS", 1, 255, MULTI_NO }, { "APOP", 2, 2, MULTI_NO },
	{ "AUTH", 0, 2, MULTI_NO }, { "STLS", 0, 0, MULTI_NO },   { "CAPA", 0, 0, MULTI_YES },
	{ "STAT", 0, 0, MULTI_NO }, { "LIST", 0, 1, MULTI_NOARG }, { "RETR", 1, 1, MULTI_YES },
	{ "DELE", 1, 1, MULTI_NO }, { "NOOP", 0, 0, MULTI_NO },   { "RSET", 0, 0, MULTI_NO },
	{ "QUIT", 0, 0, MULTI_NO }, { "TOP", 2, 2, MULTI_YES },   { "UIDL", 0, 1, MULTI_NOARG },
	{ "UTF8", 0, 0, MULTI_NO }, { "LANG", 0, 1, MULTI_NO },
};

static const struct pop3_cmd *cmd_find(const uint8_t *w, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		if (strlen(cmds[i].name) == n && !strncasecmp((const char *)w, cmds[i].name, n))
			return &cmds[i];
	return NULL;
}

/* A client line that reads as a command: a known keyword alone or
 * followed by a space. */
static bool is_command(const uint8_t *d, size_t n)
{
	size_t k = 0;
	while (k < n && d[k] != ' ' && d[k] != '\r' && d[k] != '\n')
		k++;
	return k >= 3 && k <= 4 && cmd_find(d, k);
}

static bool is_status(const uint8_t *d, size_t n)
{
	return (n >= 3 && !memcmp(d, "+OK", 3) && (n == 3 || d[3] == ' ' || d[3] == '\r' || d[3] == '\n')) ||
	       (n >= 4 && !memcmp(d, "-ERR", 4) && (n == 4 || d[4] == ' ' || d[4] == '\r' || d[4] == '\n'));
}

/* Detection (port 110): the server's first status line, or a command. */
bool pop3_probe(const uint8_t *d, uint32_t n)
{
	return is_status(d, n) || (n >= 4 && is_command(d, n));
}

/* ---- transactions ---- */

static void tx_free(struct app_ctx *a, struct pop3_tx *t)
{
	if (t->data) {
		v_free(t->data);
		app_release(a, t->data_cap);
	}
	if (t->args) {
		v_free(t->args);
		app_release(a, t->args_len);
	}
	if (t->header) {
		v_free(t->header);
		app_release(a, t->header_len);
	}
	memset(t, 0, sizeof(*t));
}

static void show(struct app_ctx *a, struct pop3_tx *t, bool done)
{
	t->seq = a->pkt_seq;
	for (unsigned i = 0; i < a->tx.npop3; i++)
		if (a->tx.pop3[i].t == t) {
			a->tx.pop3[i].done |= done;
			if (done)
				t->logged = true;
			return;
		}
	if (a->tx.npop3 >= APP_POP3_PER_PKT)
		return; /* (not reached: as many slots as transactions) */
	a->tx.pop3[a->tx.npop3].t = t;
	a->tx.pop3[a->tx.npop3++].done = done;
	if (done)
		t->logged = true;
}

/* A free slot (logged transactions not shown on this packet are freed
 * first); NULL when POP3_MAX_TX wait. */
static struct pop3_tx *tx_new(struct app_ctx *a, struct pop3_state *s)
{
	struct pop3_tx *t = NULL;
	for (unsigned i = 0; i < POP3_MAX_TX; i++) {
		struct pop3_tx *x = &s->tx[i];
		if (x->used && x->logged && x->seq != a->pkt_seq)
			tx_free(a, x);
		if (!x->used && !t)
			t = x;
	}
	if (!t) {
		app_event(a, APP_EV_POP3_TOO_MANY_TX);
		return NULL;
	}
	t->used = true;
	t->tx_id = s->next_tx++;
	t->seq = a->pkt_seq;
	app_count_tx(a, false, ALP_POP3);
	return t;
}

static void tx_complete(struct app_ctx *a, struct pop3_tx *t)
{
	t->complete = true;
	show(a, t, true);
}

/* The oldest transaction whose command waits for its response. */
static struct pop3_tx *waiting(struct pop3_state *s)
{
	struct pop3_tx *w = NULL;
	for (unsigned i = 0; i < POP3_MAX_TX; i++) {
		struct pop3_tx *t = &s->tx[i];
		if (t->used && t->has_req && !t->has_resp && !t->complete && (!w || t->tx_id < w->tx_id))
			w = t;
	}
	return w;
}

/* A copy of src/n (POP3_LINE_MAX at most) in *dst, charged; refused by
 * the memcap or the allocator, nothing is kept. */
static void keep(struct app_ctx *a, char **dst, uint16_t *len, const uint8_t *src, size_t n)
{
	if (*dst) {
		v_free(*dst);
		app_release(a, *len);
		*dst = NULL;
	}
	*len = 0;
	n = MIN(n, (size_t)POP3_LINE_MAX);
	if (!n || !app_charge(a, n))
		return;
	if (!(*dst = v_malloc(n))) {
		app_release(a, n);
		return;
	}
	memcpy(*dst, src, n);
	*len = (uint16_t)n;
}

/* ---- lines ---- */

/* Takes bytes of *d up to and with the next LF into the line (what passes
 * POP3_LINE_MAX, or what the memcap refuses, is skipped: *cut); true when
 * the line is complete. */
static bool pl_take(struct app_ctx *a, struct pop3_line *ln, const uint8_t **d, uint32_t *n)
{
	const uint8_t *lf = memchr(*d, '\n', *n);
	uint32_t k = lf ? (uint32_t)(lf - *d) : *n;
	if (!ln->skip && k) {
		uint32_t want = (uint32_t)MIN((uint64_t)ln->len + k, (uint64_t)POP3_LINE_MAX);
		if (want > ln->cap) {
			uint32_t cap = ln->cap ? ln->cap : 256;
			while (cap < want)
				cap *= 2;
			cap = MIN(cap, (uint32_t)POP3_LINE_MAX);
			uint8_t *nb = NULL;
			if (app_charge(a, cap - ln->cap) && !(nb = v_realloc(ln->buf, cap)))
				app_release(a, cap - ln->cap);
			if (nb) {
				ln->buf = nb;
				ln->cap = cap;
			}
		}
		uint32_t room = ln->cap - ln->len;
		if (MIN(k, room))
			memcpy(ln->buf + ln->len, *d, MIN(k, room));
		ln->len += MIN(k, room);
		if (k > room)
			ln->skip = true; /* the rest of an over-long line */
	}
	k += lf ? 1 : 0;
	*d += k;
	*n -= k;
	return lf != NULL;
}

static size_t pl_len(const struct pop3_line *ln)
{
	return ln->len && ln->buf[ln->len - 1] == '\r' ? ln->len - 1 : ln->len;
}

static void pl_done(struct pop3_line *ln)
{
	ln->len = 0;
	ln->skip = false;
}

static void pl_free(struct app_ctx *a, struct pop3_line *ln)
{
	v_free(ln->buf);
	app_release(a, ln->cap);
	memset(ln, 0, sizeof(*ln));
}

/* ---- the client ---- */

static void client_line(struct app_ctx *a, struct pop3_state *s, const uint8_t *d, size_t n,
			bool cut)
{
	if (s->gap[0]) {
		if (!is_command(d, n))
			return;
		s->gap[0] = false;
	}
	struct pop3_tx *t = tx_new(a, s);
	if (!t)
		return;
	t->has_req = true;
	if (cut || n + 2 > 255)
		app_event(a, APP_EV_POP3_REQUEST_TOO_LONG);
	if (s->auth_next) {
		/* an AUTH exchange's client part: not a command */
		s->auth_next = false;
		memcpy(t->cmd, "<SASL DATA>", 11);
		t->cmd_len = 11;
		show(a, t, false);
		return;
	}
	size_t k = 0;
	while (k < n && d[k] != ' ')
		k++;
	const struct pop3_cmd *c = cmd_find(d, k);
	if (c) {
		t->cmd_len = (uint8_t)strlen(c->name);
		memcpy(t->cmd, c->name, t->cmd_len);
	} else {
		app_event(a, APP_EV_POP3_UNKNOWN_COMMAND);
		t->cmd_len = (uint8_t)MIN(k, sizeof(t->cmd));
		memcpy(t->cmd, d, t->cmd_len);
	}
	/* the arguments: the words after the keyword, split at spaces */
	if (k < n)
		keep(a, &t->args, &t->args_len, d + k + 1, n - k - 1);
	unsigned nargs = 0;
	for (uint16_t i = 0; i < t->args_len;) {
		uint16_t j = i;
		while (j < t->args_len && t->args[j] != ' ')
			j++;
		if (j > i) {
			if (nargs < POP3_ARGS_MAX) {
				t->arg_off[nargs] = i;
				t->arg_len[nargs] = (uint16_t)(j - i);
			}
			nargs++;
		}
		i = (uint16_t)(j + 1);
	}
	t->nargs = (uint8_t)MIN(nargs, POP3_ARGS_MAX);
	if (c && (nargs < c->min || nargs > c->max))
		app_event(a, APP_EV_POP3_INCORRECT_ARGS);
	show(a, t, false);
}

/* ---- the server ---- */

static void data_add(struct app_ctx *a, struct pop3_tx *t, const uint8_t *d, size_t n)
{
	n = MIN(n, (size_t)UINT16_MAX);
	if (t->ndata == UINT16_MAX || t->data_len + 2 + n > POP3_DATA_MAX)
		return; /* (kept: the first POP3_DATA_MAX bytes of lines) */
	uint32_t need = t->data_len + 2 + (uint32_t)n;
	if (need > t->data_cap) {
		uint32_t cap = t->data_cap ? t->data_cap : 512;
		while (cap < need)
			cap *= 2;
		cap = MIN(cap, (uint32_t)POP3_DATA_MAX);
		if (!app_charge(a, cap - t->data_cap))
			return;
		uint8_t *nb = v_realloc(t->data, cap);
		if (!nb) {
			app_release(a, cap - t->data_cap);
			return;
		}
		t->data = nb;
		t->data_cap = cap;
	}
	t->data[t->data_len] = (uint8_t)(n >> 8);
	t->data[t->data_len + 1] = (uint8_t)n;
	memcpy(t->data + t->data_len + 2, d, n);
	t->data_len = need;
	t->ndata++;
}

bool pop3_data_line(const struct pop3_tx *t, unsigned i, const uint8_t **p, uint32_t *n)
{
	uint32_t off = 0;
	for (unsigned k = 0; off + 2 <= t->data_len; k++) {
		uint32_t len = (uint32_t)t->data[off] << 8 | t->data[off + 1];
		if (k == i) {
			*p = t->data + off + 2;
			*n = len;
			return true;
		}
		off += 2 + len;
	}
	return false;
}

/* "N octets" after +OK: N, or -1. */
static int64_t octets(const char *h, size_t n)
{
	size_t k = 0;
	uint64_t v = 0;
	while (k < n && k < 10 && h[k] >= '0' && h[k] <= '9')
		v = v * 10 + (uint64_t)(h[k++] - '0');
	if (!k || n < 6 || memcmp(h + n - 6, "octets", 6))
		return -1;
	return (int64_t)v;
}

/* The message of a RETR / TOP ends (its "." line, a hole, the flow's end). */
static void message_end(struct app_ctx *a, struct pop3_state *s)
{
	if (!s->mime_on)
		return;
	mime_msg_bytes_end(a, &s->msg, &s->mline, true); /* a line the count ended unfinished */
	s->mime_on = false;
	mime_msg_end(a, &s->msg);
}

/* Bytes of a message passed by its octet count: lines for the MIME
 * reader (a line of a dot inside does not end it). */
static void message_bytes(struct app_ctx *a, struct pop3_state *s, const uint8_t *d, uint32_t n)
{
	if (s->mime_on) /* dot-stuffed all the same (RFC 1939 3) */
		mime_msg_bytes(a, &s->msg, &s->mline, d, n, true);
}

static void server_line(struct app_ctx *a, struct pop3_state *s, const uint8_t *d, size_t n,
			bool cut)
{
	if (s->multi) {
		/* a line of a multi-line response; "." ends it, ".." starts a
		 * line that begins with a dot */
		struct pop3_tx *t = &s->tx[s->multi - 1];
		if (n == 1 && d[0] == '.' && !cut) {
			s->multi = 0;
			message_end(a, s);
			tx_complete(a, t);
			return;
		}
		if (s->mime_on)
			mime_msg_line(a, &s->msg, n && d[0] == '.' ? d + 1 : d, n && d[0] == '.' ? n - 1 : n,
				      false, false);
		if (s->keep_data)
			data_add(a, t, n && d[0] == '.' ? d + 1 : d, n && d[0] == '.' ? n - 1 : n);
		return;
	}
	bool cont = n >= 1 && d[0] == '+' && (n == 1 || d[1] == ' ');
	if (!is_status(d, n) && !cont)
		return; /* not a response: skipped */
	if (s->gap[1])
		s->gap[1] = false;
	if (cut || n + 2 > 512)
		app_event(a, APP_EV_POP3_RESPONSE_TOO_LONG);
	struct pop3_tx *t = waiting(s);
	if (!t && !(t = tx_new(a, s)))
		return; /* the greeting, or a response to nothing */
	t->has_resp = true;
	t->ok = d[0] == '+';
	size_t skip = cont ? 1 : t->ok ? 3 : 4;
	if (n > skip && d[skip] == ' ')
		skip++;
	keep(a, &t->header, &t->header_len, d + skip, n - skip);
	const struct pop3_cmd *c = t->cmd_len ? cmd_find((const uint8_t *)t->cmd, t->cmd_len) : NULL;
	if (c && !strcmp(c->name, "AUTH") && t->ok)
		s->auth_next = true; /* (+OK or a challenge: SASL data comes) */
	else if (cont && t->cmd_len == 11 && !memcmp(t->cmd, "<SASL DATA>", 11))
		s->auth_next = true; /* another challenge */
	if (c && !strcmp(c->name, "STLS") && t->ok && !cont)
		s->tls = true;
	bool multi = t->ok && !cont && c &&
		     (c->multi == MULTI_YES || (c->multi == MULTI_NOARG && !t->nargs));
	if (!multi) {
		tx_complete(a, t);
		return;
	}
	s->multi = (uint8_t)(t - s->tx + 1);
	s->keep_data = strcmp(c->name, "RETR") != 0;
	if (!strcmp(c->name, "RETR") || !strcmp(c->name, "TOP")) {
		/* the message: its attachments are files (to the client) */
		s->mime_on = true;
		mime_msg_begin(&s->msg, ALP_POP3, NULL, (uint32_t)t->tx_id, true);
	}
	int64_t oct = s->keep_data ? -1 : octets(t->header, t->header_len);
	if (oct > 0)
		s->raw_left = (uint64_t)oct;
	show(a, t, false);
}

void pop3_feed(struct app_ctx *a, struct pop3_state *s, int dir, const uint8_t *d, uint32_t n)
{
	struct pop3_line *ln = &s->line[dir & 1];
	a->tx.alproto = ALP_POP3;
	while (n && !s->tls) {
		if (dir && s->raw_left) {
			/* RETR's message, counted by its octets */
			uint32_t k = (uint32_t)MIN((uint64_t)n, s->raw_left);
			s->raw_left -= k;
			message_bytes(a, s, d, k);
			d += k;
			n -= k;
			continue;
		}
		if (!pl_take(a, ln, &d, &n))
			return;
		size_t len = pl_len(ln);
		const uint8_t *lb = ln->buf ? ln->buf : (const uint8_t *)""; /* an empty first line */
		if (dir)
			server_line(a, s, lb, len, ln->skip);
		else
			client_line(a, s, lb, len, ln->skip);
		pl_done(ln);
	}
}

void pop3_gap(struct app_ctx *a, struct pop3_state *s, int dir)
{
	pl_done(&s->line[dir & 1]);
	s->gap[dir & 1] = true;
	if (dir & 1) {
		s->raw_left = 0;
		line_done(&s->mline);
		s->msg.piece_cont = false;
		if (s->mime_on)
			file_track_gap(&s->msg.ft);
		message_end(a, s);
		if (s->multi) {
			/* the multi-line response under way ends at the hole */
			tx_complete(a, &s->tx[s->multi - 1]);
			s->multi = 0;
		}
	} else {
		s->auth_next = false;
	}
}

void pop3_state_free(struct app_ctx *a, struct pop3_state *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < POP3_MAX_TX; i++)
		tx_free(a, &s->tx[i]);
	pl_free(a, &s->line[0]);
	pl_free(a, &s->line[1]);
	mime_msg_free(a, &s->msg);
	app_release(a, sizeof(*s));
	v_free(s);
}

const struct pop3_tx *pop3_unlogged(struct pop3_state *s)
{
	struct pop3_tx *next = NULL;
	for (unsigned i = 0; s && i < POP3_MAX_TX; i++) {
		struct pop3_tx *t = &s->tx[i];
		if (t->used && !t->logged && (!next || t->tx_id < next->tx_id))
			next = t;
	}
	if (next)
		next->logged = true;
	return next;
}

/* ---- the record ---- */

void pop3_log_fields(struct jbuf *jb, const struct pop3_tx *t)
{
	if (t->has_req) {
		jb_open_object(jb, "request");
		jb_strn(jb, "command", (const uint8_t *)t->cmd, t->cmd_len);
		jb_open_array(jb, "args");
		for (unsigned i = 0; i < t->nargs; i++)
			jb_strn(jb, NULL, (const uint8_t *)t->args + t->arg_off[i], t->arg_len[i]);
		jb_close(jb);
		jb_close(jb);
	}
	if (t->has_resp) {
		jb_open_object(jb, "response");
		jb_bool(jb, "success", t->ok);
		jb_str(jb, "status", t->ok ? "OK" : "ERR");
		jb_strn(jb, "header", (const uint8_t *)t->header, t->header_len);
		jb_open_array(jb, "data");
		const uint8_t *p;
		uint32_t n;
		for (unsigned i = 0; i < t->ndata && pop3_data_line(t, i, &p, &n); i++)
			jb_strn(jb, NULL, p, n);
		jb_close(jb);
		jb_close(jb);
	}
}
