/*
 * imap.c - IMAP4 (RFC 9051, RFC 3501) over TCP, and the messages it
 * carries.  Suricata 8 only detects IMAP; this parser and its "imap"
 * record are vigil's own.
 *
 * Both directions are lines (CRLF or LF) that may hold literals: a line
 * ending in "{N}" or "{N+}" (RFC 7888) is followed by exactly N octets,
 * then the rest of the same logical line.  The client sends tagged
 * commands ("a1 SELECT INBOX"); the server answers with untagged data
 * ("* 3 EXISTS"), continuation requests ("+ go on") and, last, a tagged
 * status ("a1 OK done") that completes the command of that tag: a
 * command and its completion are a transaction (IMAP_MAX_TX may wait).
 * A FETCH response's literal that holds a whole message (BODY[],
 * BODY.PEEK[], RFC822, BODY[TEXT], RFC822.TEXT) and an APPEND's literal
 * (the client uploading a message) go line by line to the MIME reader
 * (mime.c): their attachments are files of the transaction.  Other
 * literals are passed by count, unkept.  "OK" to STARTTLS makes the rest
 * of the connection TLS.  After AUTHENTICATE the client's lines are SASL
 * data until the tagged answer; after IDLE, "DONE" ends it.
 *
 * Bounds: a line is read up to IMAP_LINE_MAX octets, the rest of it
 * skipped (imap.line_too_long); a literal count that is not a number or
 * exceeds IMAP_LITERAL_MAX is not a literal (imap.bad_literal); fields
 * kept per transaction are capped copies.  The state, one fixed struct,
 * is charged to the app-layer memcap.
 */
#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "app_int.h"
#include "json.h"
#include "util.h"

#define IMAP_LITERAL_MAX (1ULL << 40) /* octets of one literal (more: imap.bad_literal) */

static const char *const known_cmds[] = {
	"CAPABILITY", "NOOP",     "LOGOUT",  "STARTTLS", "AUTHENTICATE", "LOGIN",  "ENABLE",
	"SELECT",     "EXAMINE",  "CREATE",  "DELETE",   "RENAME",       "SUBSCRIBE", "UNSUBSCRIBE",
	"LIST",       "LSUB",     "NAMESPACE", "STATUS", "APPEND",       "IDLE",   "CHECK",
	"CLOSE",      "UNSELECT", "EXPUNGE", "SEARCH",   "FETCH",        "STORE",  "COPY",
	"MOVE",       "UID",      "ID",      "GETQUOTA", "GETQUOTAROOT", "SETQUOTA", "GETACL",
	"SETACL",     "COMPRESS", "XLIST",
};

static bool cmd_known(const uint8_t *w, size_t n)
{
	for (size_t i = 0; i < ARRAY_SIZE(known_cmds); i++)
		if (strlen(known_cmds[i]) == n && !strncasecmp((const char *)w, known_cmds[i], n))
			return true;
	return false;
}

/* An IMAP tag: atom characters but '+' (RFC 9051 9: tag). */
static bool tag_char(uint8_t c)
{
	return c > 0x20 && c < 0x7f && !strchr("(){%*\"\\]+", c);
}

/* Detection (port 143): the server's greeting or a client's tagged command. */
bool imap_probe(const uint8_t *d, uint32_t n)
{
	if (n >= 4 && !memcmp(d, "* OK", 4))
		return true;
	if ((n >= 9 && !memcmp(d, "* PREAUTH", 9)) || (n >= 5 && !memcmp(d, "* BYE", 5)))
		return true;
	uint32_t k = 0;
	while (k < n && k < 64 && tag_char(d[k]))
		k++;
	if (!k || k >= n || d[k] != ' ')
		return false;
	uint32_t c = k + 1, e = c;
	while (e < n && e - c < 16 && isalpha(d[e]))
		e++;
	return e > c && (e == n || d[e] == ' ' || d[e] == '\r' || d[e] == '\n') && cmd_known(d + c, e - c);
}

/* ---- transactions ---- */

static void show(struct app_ctx *a, struct imap_tx *t, bool done)
{
	t->seq = a->pkt_seq;
	if (done)
		t->logged = true;
	for (unsigned i = 0; i < a->tx.nimap; i++)
		if (a->tx.imap[i].t == t) {
			a->tx.imap[i].done |= done;
			return;
		}
	if (a->tx.nimap >= APP_IMAP_PER_PKT)
		return; /* (not reached: as many slots as transactions) */
	a->tx.imap[a->tx.nimap].t = t;
	a->tx.imap[a->tx.nimap++].done = done;
}

static struct imap_tx *tx_new(struct app_ctx *a, struct imap_state *s)
{
	struct imap_tx *t = NULL;
	for (unsigned i = 0; i < IMAP_MAX_TX; i++) {
		struct imap_tx *x = &s->tx[i];
		if (x->used && x->logged && x->seq != a->pkt_seq)
			memset(x, 0, sizeof(*x));
		if (!x->used && !t)
			t = x;
	}
	if (!t) {
		app_event(a, APP_EV_IMAP_TOO_MANY_TX);
		return NULL;
	}
	t->used = true;
	t->tx_id = s->next_tx++;
	t->seq = a->pkt_seq;
	app_count_tx(a, false, ALP_IMAP);
	return t;
}

/* The oldest transaction still waiting for its completion. */
static struct imap_tx *oldest_open(struct imap_state *s)
{
	struct imap_tx *w = NULL;
	for (unsigned i = 0; i < IMAP_MAX_TX; i++) {
		struct imap_tx *t = &s->tx[i];
		if (t->used && !t->complete && (!w || t->tx_id < w->tx_id))
			w = t;
	}
	return w;
}

static struct imap_tx *by_tag(struct imap_state *s, const uint8_t *tag, size_t n)
{
	struct imap_tx *w = NULL;
	for (unsigned i = 0; i < IMAP_MAX_TX; i++) {
		struct imap_tx *t = &s->tx[i];
		if (t->used && !t->complete && t->tag_len == n && !memcmp(t->tag, tag, n) &&
		    (!w || t->tx_id < w->tx_id))
			w = t;
	}
	return w;
}

static bool cmd_is(const struct imap_tx *t, const char *c)
{
	return t && t->cmd_len == strlen(c) && !memcmp(t->cmd, c, t->cmd_len);
}

/* A string argument (atom or quoted) at *p: copied unquoted, capped. */
static void astring(const uint8_t *p, const uint8_t *e, char *out, size_t cap, uint16_t *len)
{
	size_t o = 0;
	if (p < e && *p == '"') {
		for (p++; p < e && *p != '"'; p++) {
			if (*p == '\\' && e - p > 1)
				p++;
			if (o < cap)
				out[o++] = (char)*p;
		}
	} else {
		for (; p < e && *p != ' ' && o < cap; p++)
			out[o++] = (char)*p;
	}
	*len = (uint16_t)o;
}

/* ---- literals ---- */

/* Does the line segment end in a literal's announcement "{N}" / "{N+}"?
 * *count gets N; false when not; an announcement that does not read as
 * one raises imap.bad_literal. */
static bool literal_at_end(struct app_ctx *a, const uint8_t *l, size_t n, uint64_t *count)
{
	if (!n || l[n - 1] != '}')
		return false;
	const uint8_t *open = NULL;
	for (size_t i = n - 1; i-- > 0 && n - i <= 24;)
		if (l[i] == '{') {
			open = l + i;
			break;
		}
	if (!open)
		return false;
	const uint8_t *p = open + 1, *e = l + n - 1;
	if (e > p && e[-1] == '+')
		e--;
	uint64_t v = 0;
	if (p == e)
		goto bad;
	for (; p < e; p++) {
		if (!isdigit(*p) || v > IMAP_LITERAL_MAX / 10)
			goto bad;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	if (v > IMAP_LITERAL_MAX)
		goto bad;
	*count = v;
	return true;
bad:
	app_event(a, APP_EV_IMAP_BAD_LITERAL);
	return false;
}

/* What a FETCH literal holds, by the item before it ("... BODY[] {",
 * "RFC822 {", "BODY.PEEK[2.MIME] {", "BODY[TEXT]<0> {" ...): a whole
 * message (BODY[], RFC822, BINARY[]); headers (BODY[HEADER],
 * BODY[HEADER.FIELDS (...)], BODY[n.MIME], BODY[n.HEADER], RFC822.HEADER);
 * a body without its headers (BODY[TEXT], BODY[n.TEXT], RFC822.TEXT, a
 * part's content BODY[n] / BINARY[n]); or none of these. */
enum { ITEM_NONE, ITEM_WHOLE, ITEM_HEAD, ITEM_BODY };
static int fetch_item(const uint8_t *l, size_t n)
{
	/* the item name: back from the '{' over a blank and a <origin> */
	size_t e = n;
	while (e && l[e - 1] != '{')
		e--;
	if (!e)
		return ITEM_NONE;
	e--;
	while (e && l[e - 1] == ' ')
		e--;
	if (e && l[e - 1] == '>') {
		while (e && l[e - 1] != '<')
			e--;
		if (e)
			e--;
	}
	const char *sec = NULL; /* the section, between [ and ] */
	size_t sl = 0, ne = e;
	if (e && l[e - 1] == ']') {
		size_t j = e - 1;
		while (j && l[j - 1] != '[')
			j--;
		if (!j)
			return ITEM_NONE;
		sec = (const char *)l + j;
		sl = e - 1 - j;
		ne = j - 1;
	}
	size_t b = ne;
	while (b && l[b - 1] != ' ' && l[b - 1] != '(')
		b--;
	const char *w = (const char *)l + b;
	size_t wl = ne - b;
#define IS(s_, n_, lit) ((n_) == sizeof(lit) - 1 && !strncasecmp((s_), (lit), (n_)))
#define ENDS(s_, n_, lit) ((n_) >= sizeof(lit) - 1 && !strncasecmp((s_) + (n_) - (sizeof(lit) - 1), (lit), sizeof(lit) - 1))
	if (!sec) {
		if (IS(w, wl, "RFC822"))
			return ITEM_WHOLE;
		if (IS(w, wl, "RFC822.TEXT"))
			return ITEM_BODY;
		if (IS(w, wl, "RFC822.HEADER"))
			return ITEM_HEAD;
		return ITEM_NONE;
	}
	if (!IS(w, wl, "BODY") && !IS(w, wl, "BODY.PEEK") && !IS(w, wl, "BINARY") && !IS(w, wl, "BINARY.PEEK"))
		return ITEM_NONE;
	if (!sl)
		return ITEM_WHOLE;
	if (IS(sec, sl, "TEXT") || ENDS(sec, sl, ".TEXT"))
		return ITEM_BODY;
	if (IS(sec, sl, "HEADER") || ENDS(sec, sl, ".HEADER") || ENDS(sec, sl, ".MIME") ||
	    !strncasecmp(sec, "HEADER.FIELDS", MIN(sl, (size_t)13)) ||
	    memmem(sec, sl, ".HEADER.FIELDS", 14))
		return ITEM_HEAD;
	for (size_t i = 0; i < sl; i++)
		if (!isdigit((unsigned char)sec[i]) && sec[i] != '.')
			return ITEM_NONE;
	return ITEM_BODY; /* a part's content */
#undef IS
#undef ENDS
}

/* The words (runs of non-blanks) of a line before its literal's '{'. */
static unsigned words_before(const uint8_t *l, size_t n)
{
	unsigned w = 0;
	bool in = false;
	for (size_t i = 0; i < n && l[i] != '{'; i++) {
		if (l[i] != ' ' && !in)
			w++;
		in = l[i] != ' ';
	}
	return w;
}

/* Bytes of a literal: a message's are lines for the MIME reader. */
static void literal_bytes(struct app_ctx *a, struct imap_dir *dd, const uint8_t *d, uint32_t n)
{
	if (dd->in_msg)
		mime_msg_bytes(a, &dd->msg, &dd->mline, d, n, false);
}

/* A message held open after its headers' literal ends (nothing of its
 * body followed in the response). */
static void held_end(struct app_ctx *a, struct imap_dir *dd)
{
	if (!dd->held)
		return;
	dd->held = false;
	mime_msg_end(a, &dd->msg);
}

static void literal_end(struct app_ctx *a, struct imap_dir *dd)
{
	if (!dd->in_msg)
		return;
	mime_msg_bytes_end(a, &dd->msg, &dd->mline, false); /* a last line without its CRLF */
	dd->in_msg = false;
	if (dd->head_lit) {
		/* headers alone: the body may follow in the same response
		 * (BODY[HEADER] then BODY[TEXT], BODY[2.MIME] then BODY[2]) */
		dd->head_lit = false;
		dd->held = true;
		return;
	}
	mime_msg_end(a, &dd->msg);
}

/* ---- lines ---- */

static void client_line(struct app_ctx *a, struct imap_state *s, const uint8_t *l, size_t n)
{
	if (s->sasl) {
		/* AUTHENTICATE's exchange: the client's lines are not commands */
		if (n == 1 && l[0] == '*')
			s->sasl = false; /* cancelled (the tagged BAD follows) */
		return;
	}
	if (s->idle && n == 4 && !strncasecmp((const char *)l, "DONE", 4)) {
		s->idle = false;
		return;
	}
	size_t k = 0;
	while (k < n && tag_char(l[k]))
		k++;
	size_t c = k + 1, e = c;
	while (e < n && l[e] != ' ')
		e++;
	if (!k || k >= n || l[k] != ' ' || e == c) {
		app_event(a, APP_EV_IMAP_INVALID_COMMAND);
		return;
	}
	struct imap_tx *t = tx_new(a, s);
	if (!t)
		return;
	t->has_req = true;
	t->tag_len = (uint8_t)MIN(k, sizeof(t->tag));
	memcpy(t->tag, l, t->tag_len);
	/* "UID FETCH": the command is the second word, UID kept apart */
	if (e - c == 3 && !strncasecmp((const char *)l + c, "UID", 3) && e < n) {
		t->uid = true;
		c = e + 1;
		e = c;
		while (e < n && l[e] != ' ')
			e++;
	}
	t->cmd_len = (uint8_t)MIN(e - c, sizeof(t->cmd));
	for (size_t i = 0; i < t->cmd_len; i++)
		t->cmd[i] = (char)toupper(l[c + i]);
	if (!cmd_known(l + c, e - c))
		app_event(a, APP_EV_IMAP_UNKNOWN_COMMAND);
	if ((cmd_is(t, "SELECT") || cmd_is(t, "EXAMINE") || cmd_is(t, "APPEND") || cmd_is(t, "STATUS")) &&
	    e < n && l[e + 1] != '{') /* (a literal's name: not kept) */
		astring(l + e + 1, l + n, t->mailbox, sizeof(t->mailbox), &t->mailbox_len);
	if (cmd_is(t, "AUTHENTICATE"))
		s->sasl = true;
	if (cmd_is(t, "IDLE"))
		s->idle = true;
	show(a, t, false);
}

/* A tagged completion "tag OK|NO|BAD text". */
static void completion(struct app_ctx *a, struct imap_state *s, const uint8_t *l, size_t n, size_t k)
{
	size_t c = k + 1, e = c;
	while (e < n && l[e] != ' ')
		e++;
	char st[4] = { 0 };
	if (e - c == 2 && !strncasecmp((const char *)l + c, "OK", 2))
		memcpy(st, "OK", 2);
	else if (e - c == 2 && !strncasecmp((const char *)l + c, "NO", 2))
		memcpy(st, "NO", 2);
	else if (e - c == 3 && !strncasecmp((const char *)l + c, "BAD", 3))
		memcpy(st, "BAD", 3);
	else {
		app_event(a, APP_EV_IMAP_INVALID_RESPONSE);
		return;
	}
	struct imap_tx *t = by_tag(s, l, k);
	if (!t) {
		app_event(a, APP_EV_IMAP_UNMATCHED_RESPONSE);
		return;
	}
	t->has_resp = true;
	t->complete = true;
	memcpy(t->status, st, sizeof(st));
	if (e < n) {
		t->text_len = (uint16_t)MIN(n - e - 1, sizeof(t->text));
		memcpy(t->text, l + e + 1, t->text_len);
	}
	if (cmd_is(t, "AUTHENTICATE"))
		s->sasl = false;
	if (cmd_is(t, "IDLE"))
		s->idle = false;
	if (cmd_is(t, "STARTTLS") && !strcmp(st, "OK"))
		s->tls = true;
	show(a, t, true);
}

static void server_line(struct app_ctx *a, struct imap_state *s, const uint8_t *l, size_t n)
{
	if (n && l[0] == '*')
		return; /* untagged data (its literals were seen as they came) */
	if (n && l[0] == '+')
		return; /* a continuation request */
	size_t k = 0;
	while (k < n && tag_char(l[k]))
		k++;
	if (!k || k >= n || l[k] != ' ') {
		app_event(a, APP_EV_IMAP_INVALID_RESPONSE);
		return;
	}
	completion(a, s, l, n, k);
}

/* A segment of a logical line is complete (up to its CRLF, or to a
 * literal's announcement): the first segment is the line's head. */
static void segment(struct app_ctx *a, struct imap_state *s, int dir, const uint8_t *l, size_t n,
		    bool first)
{
	struct imap_dir *dd = &s->dir[dir];
	uint64_t count = 0;
	bool lit = literal_at_end(a, l, n, &count);
	if (first) {
		held_end(a, dd); /* the response that held it ended */
		if (dir)
			server_line(a, s, l, n);
		else
			client_line(a, s, l, n);
		dd->fetch = dir && n >= 2 && l[0] == '*';
	}
	if (!lit)
		return;
	dd->lit_left = count;
	dd->cont = true;
	/* a message: FETCH's BODY[] ... (to the client), APPEND's (to the server) */
	struct imap_tx *t = NULL;
	int item = dir && dd->fetch ? fetch_item(l, n) : ITEM_NONE;
	if (item == ITEM_BODY && dd->held && count) {
		/* the body of the headers just read: the same message */
		dd->held = false;
		if (dd->msg.m.in_headers)
			mime_msg_line(a, &dd->msg, (const uint8_t *)"", 0, false, false);
		dd->in_msg = true;
		return;
	}
	held_end(a, dd);
	if (item != ITEM_NONE) {
		/* the FETCH it answers (the oldest open one), else the
		 * oldest command open (unsolicited data) */
		for (unsigned i = 0; i < IMAP_MAX_TX; i++) {
			struct imap_tx *x = &s->tx[i];
			if (x->used && !x->complete && cmd_is(x, "FETCH") && (!t || x->tx_id < t->tx_id))
				t = x;
		}
		if (!t)
			t = oldest_open(s);
	} else if (!dir && !(first && words_before(l, n) < 3)) {
		/* (in the command's own line, a literal right after "tag
		 * APPEND" is the mailbox's name, not the message) */
		struct imap_tx *o = NULL;
		for (unsigned i = 0; i < IMAP_MAX_TX; i++)
			if (s->tx[i].used && !s->tx[i].complete && (!o || s->tx[i].tx_id > o->tx_id))
				o = &s->tx[i];
		if (cmd_is(o, "APPEND") && !o->appended) {
			o->appended = true;
			t = o;
		}
	}
	if (!t || !count)
		return;
	literal_end(a, dd); /* (none under way: literals do not nest) */
	dd->in_msg = true;
	mime_msg_begin(&dd->msg, ALP_IMAP, NULL, (uint32_t)t->tx_id, dir == 1);
	if (item == ITEM_HEAD)
		dd->head_lit = true;
	else if (item == ITEM_BODY)
		mime_msg_body(&dd->msg); /* no headers: its boundary found in it */
}

void imap_feed(struct app_ctx *a, struct imap_state *s, int dir, const uint8_t *d, uint32_t n)
{
	dir &= 1;
	struct imap_dir *dd = &s->dir[dir];
	a->tx.alproto = ALP_IMAP;
	while (n && !s->tls) {
		if (dd->lit_left) {
			uint32_t k = (uint32_t)MIN((uint64_t)n, dd->lit_left);
			dd->lit_left -= k;
			literal_bytes(a, dd, d, k);
			d += k;
			n -= k;
			if (!dd->lit_left)
				literal_end(a, dd);
			continue;
		}
		bool cut;
		bool full = line_take(&dd->line, &d, &n, &cut);
		if (cut)
			app_event(a, APP_EV_IMAP_LINE_TOO_LONG);
		if (!full)
			return;
		bool first = !dd->cont;
		dd->cont = false;
		segment(a, s, dir, dd->line.buf, line_len(&dd->line), first);
		line_done(&dd->line);
	}
}

void imap_gap(struct app_ctx *a, struct imap_state *s, int dir)
{
	struct imap_dir *dd = &s->dir[dir & 1];
	line_done(&dd->line);
	dd->cont = false;
	dd->lit_left = 0;
	line_done(&dd->mline);
	dd->msg.piece_cont = false;
	if (dd->in_msg || dd->held)
		file_track_gap(&dd->msg.ft);
	dd->head_lit = false;
	literal_end(a, dd);
	held_end(a, dd);
	if (!(dir & 1))
		s->sasl = s->idle = false;
}

void imap_state_free(struct app_ctx *a, struct imap_state *s)
{
	if (!s)
		return;
	for (int i = 0; i < 2; i++)
		mime_msg_free(a, &s->dir[i].msg);
	app_release(a, sizeof(*s));
	v_free(s);
}

const struct imap_tx *imap_unlogged(struct imap_state *s)
{
	struct imap_tx *next = NULL;
	for (unsigned i = 0; s && i < IMAP_MAX_TX; i++) {
		struct imap_tx *t = &s->tx[i];
		if (t->used && !t->logged && (!next || t->tx_id < next->tx_id))
			next = t;
	}
	if (next)
		next->logged = true;
	return next;
}

/* ---- the record (vigil's own: Suricata 8 has no imap record) ---- */

void imap_log_fields(struct jbuf *jb, const struct imap_tx *t)
{
	jb_strn(jb, "tag", (const uint8_t *)t->tag, t->tag_len);
	jb_strn(jb, "command", (const uint8_t *)t->cmd, t->cmd_len);
	if (t->uid)
		jb_bool(jb, "uid", true);
	if (t->mailbox_len)
		jb_strn(jb, "mailbox", (const uint8_t *)t->mailbox, t->mailbox_len);
	if (t->has_resp) {
		jb_open_object(jb, "response");
		jb_str(jb, "status", t->status);
		jb_strn(jb, "text", (const uint8_t *)t->text, t->text_len);
		jb_close(jb);
	}
}
