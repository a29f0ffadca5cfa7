/*
 * ftp.c - FTP (RFC 959, 2428): the control connection and the data
 * connections it opens.
 *
 * Control: both directions line by line (4 KiB a line at most); each
 * command is a transaction, queued (16) until its reply arrives (a
 * multi-line reply "230-" ... "230 " is gathered, 4 lines kept); the eve
 * ftp record is written when the reply is complete, or at flow end with
 * reply_received "no".  PASV / EPSV replies and PORT / EPRT commands give
 * the data connection's address and port: an expectation is registered
 * in a process-wide table (the data connection may be another worker's
 * flow), and RETR / STOR / APPE name the file it carries.  A new TCP flow
 * whose destination matches an expectation is ftp-data: every byte it
 * carries is the file (digests, magic, file.data), which ends when the
 * sender closes; an eve ftp_data record and a fileinfo record follow.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "app_int.h"
#include "util.h"

static uint32_t max_tx = FTP_CMDQ;

void ftp_config(uint32_t n)
{
	max_tx = n && n < FTP_CMDQ ? n : FTP_CMDQ;
}

/* ---- expectations (process-wide) ---- */

#define FTP_EXPECT_MAX 256
#define FTP_EXPECT_TTL_US (120ULL * 1000000) /* an unused expectation goes after 2 minutes */
struct expect {
	bool used;
	uint8_t ip_ver;
	uint8_t addr[16];
	uint16_t port;
	uint64_t ts;
	uint32_t owner;           /* the control flow's token */
	char cmd[8];
	char name[FTP_NAME_MAX];
};
static struct expect expects[FTP_EXPECT_MAX];
static pthread_mutex_t expect_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t next_owner = 1;
static atomic_bool any_expect;

bool ftp_expecting(void)
{
	return atomic_load_explicit(&any_expect, memory_order_relaxed);
}

static void expect_add(struct ftp_state *s, const struct flow *f, int side, uint16_t port,
		       uint64_t now)
{
	pthread_mutex_lock(&expect_lock);
	if (!s->owner)
		s->owner = next_owner++;
	struct expect *e = NULL, *oldest = &expects[0];
	for (int i = 0; i < FTP_EXPECT_MAX; i++) {
		struct expect *x = &expects[i];
		if (x->used && now > x->ts + FTP_EXPECT_TTL_US)
			x->used = false;
		if (!x->used) {
			e = x;
			break;
		}
		if (x->ts < oldest->ts)
			oldest = x;
	}
	if (!e)
		e = oldest; /* full: the oldest makes room */
	memset(e, 0, sizeof(*e));
	e->used = true;
	e->ip_ver = f->key.ip_ver;
	/* passive: the server listens; active: the client (side 0) does */
	memcpy(e->addr, side ? f->key.dst : f->key.src, 16);
	e->port = port;
	e->ts = now;
	e->owner = s->owner;
	atomic_store(&any_expect, true);
	pthread_mutex_unlock(&expect_lock);
}

/* RETR name: the command and file of this control connection's pending
 * data connections not yet named (each PASV or PORT announces one; an
 * earlier one still waiting for its connection keeps its own command,
 * since in IDS timing a data connection's bytes may be parsed after the
 * next command). */
static void expect_name(struct ftp_state *s, const char *cmd, const char *name, size_t n)
{
	if (!s->owner)
		return;
	pthread_mutex_lock(&expect_lock);
	for (int i = 0; i < FTP_EXPECT_MAX; i++) {
		struct expect *x = &expects[i];
		if (x->used && x->owner == s->owner && !x->cmd[0]) {
			str_lcpy(x->cmd, cmd, sizeof(x->cmd));
			size_t k = MIN(n, sizeof(x->name) - 1);
			memcpy(x->name, name, k);
			x->name[k] = 0;
		}
	}
	pthread_mutex_unlock(&expect_lock);
}

bool ftp_data_expected(const struct flow *f, struct ftpdata_state *d)
{
	bool found = false;
	pthread_mutex_lock(&expect_lock);
	for (int i = 0; i < FTP_EXPECT_MAX && !found; i++) {
		struct expect *x = &expects[i];
		if (!x->used || x->port != f->key.dp || x->ip_ver != f->key.ip_ver ||
		    memcmp(x->addr, f->key.dst, 16))
			continue;
		found = true;
		str_lcpy(d->info.command, x->cmd, sizeof(d->info.command));
		str_lcpy(d->info.filename, x->name, sizeof(d->info.filename));
		x->used = false; /* one connection per expectation */
	}
	pthread_mutex_unlock(&expect_lock);
	return found;
}

/* ---- the control connection ---- */

/* A transaction's record: charged to the FTP memcap as Suricata charges
 * its FTPTransaction; refused, NULL (the caller stops parsing, as
 * Suricata's parser errors out when it cannot make a transaction). */
static struct ftp_info *rec_new(struct app_ctx *a)
{
	if (ftp_charge(a, sizeof(struct ftp_info)))
		return NULL;
	struct ftp_info *t = v_calloc(1, sizeof(*t));
	if (!t) {
		ftp_release(a, sizeof(struct ftp_info));
		return NULL;
	}
	t->mem = sizeof(*t);
	return t;
}

/* A copy of n bytes and a NUL, charged to t's record; NULL when the
 * memcap refuses (the field is left out, as Suricata's). */
static char *rec_str(struct app_ctx *a, struct ftp_info *t, const uint8_t *p, size_t n)
{
	if (ftp_charge(a, n + 1))
		return NULL;
	char *c = v_malloc(n + 1);
	if (!c) {
		ftp_release(a, n + 1);
		return NULL;
	}
	memcpy(c, p, n);
	c[n] = 0;
	t->mem += (uint32_t)(n + 1);
	return c;
}

static void rec_free(struct app_ctx *a, struct ftp_state *s, struct ftp_info *t)
{
	if (!t)
		return;
	if (s->view == t)
		s->view = NULL;
	if (s->kept == t)
		s->kept = NULL;
	v_free(t->command_data);
	for (unsigned i = 0; i < t->nreply; i++)
		v_free(t->reply[i]);
	ftp_release(a, t->mem);
	v_free(t);
}

static void list_free(struct app_ctx *a, struct ftp_state *s, struct ftp_info **head)
{
	while (*head) {
		struct ftp_info *t = *head;
		*head = t->next;
		rec_free(a, s, t);
	}
}

/* The records answered on earlier packets were written: freed, but for
 * the one alerts still show (view). */
static void done_flush(struct app_ctx *a, struct ftp_state *s)
{
	while (s->done) {
		struct ftp_info *t = s->done;
		s->done = t->next;
		if (t == s->view && t != s->kept) {
			rec_free(a, s, s->kept);
			s->kept = t;
		} else if (t != s->kept) {
			rec_free(a, s, t);
		}
	}
	if (s->kept && s->kept != s->view)
		rec_free(a, s, s->kept);
}

static struct ftp_info *cmd_head(struct ftp_state *s)
{
	return s->q;
}

static struct ftp_info *cmd_pop(struct ftp_state *s)
{
	struct ftp_info *t = s->q;
	if (t) {
		s->q = t->next;
		if (!s->q)
			s->q_tail = NULL;
		t->next = NULL;
		s->nq--;
	}
	return t;
}

static void cmd_push(struct ftp_state *s, struct ftp_info *t)
{
	t->next = NULL;
	if (s->q_tail)
		s->q_tail->next = t;
	else
		s->q = t;
	s->q_tail = t;
	s->nq++;
}

/* The transaction at the queue's head is answered: to eve on this packet. */
static void tx_answered(struct app_ctx *a, struct ftp_state *s)
{
	struct ftp_info *t = cmd_pop(s);
	if (!t)
		return;
	t->reply_received = true;
	/* (past APP_FTP_PER_PKT in a packet: not written; kept to the next
	 * packet all the same, as this packet's ftp_cmd may be it) */
	t->next = s->done;
	s->done = t;
	if (a->tx.nftp < APP_FTP_PER_PKT) {
		a->tx.ftp[a->tx.nftp++] = t;
		s->view = t;
	}
}

static unsigned parse_port_tuple(const char *p)
{
	unsigned v[6];
	while (*p && !isdigit((unsigned char)*p))
		p++;
	if (sscanf(p, "%u,%u,%u,%u,%u,%u", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6 ||
	    v[4] > 255 || v[5] > 255)
		return 0;
	return v[4] * 256 + v[5];
}

static unsigned parse_ext_port(const char *p, bool eprt)
{
	/* EPSV reply "(|||6446|)"; EPRT "|1|132.235.1.2|6275|" */
	const char *bar = strchr(p, '|');
	if (!bar)
		return 0;
	char dl = '|';
	const char *q = bar;
	for (int i = 0; i < 3 && q; i++)
		q = strchr(q + 1, dl);
	if (!q)
		return 0;
	(void)eprt;
	unsigned v = 0;
	for (q++; isdigit((unsigned char)*q) && v < 65536; q++)
		v = v * 10 + (unsigned)(*q - '0');
	return v < 65536 ? v : 0;
}

static void client_line(struct app_ctx *a, struct ftp_state *s, const struct flow *f,
			const uint8_t *l, size_t n, bool cut, uint64_t now)
{
	if (!n)
		return;
	size_t k = 0;
	while (k < n && l[k] != ' ' && k < 15)
		k++;
	if (s->nq >= max_tx) {
		app_event(a, APP_EV_FTP_TOO_MANY_TX);
		while (s->nq >= max_tx)
			tx_answered(a, s); /* no reply is coming for the oldest */
	}
	struct ftp_info *t = rec_new(a);
	if (!t) {
		s->refused = true;
		return;
	}
	for (size_t i = 0; i < k; i++)
		t->command[i] = (char)toupper(l[i]);
	t->command[k] = 0;
	const uint8_t *dp = k < n ? l + k + 1 : l + n;
	size_t dn = k < n ? n - k - 1 : 0;
	if (dn && (t->command_data = rec_str(a, t, dp, dn)))
		t->command_data_len = (uint16_t)dn;
	t->command_truncated = cut;
	if (cut)
		app_event(a, APP_EV_FTP_REQ_TOO_LONG);
	t->tx_id = s->ntx++;
	app_count_tx(a, false, ALP_FTP);
	cmd_push(s, t);
	a->tx.ftp_cmd = t;
	s->view = t;
	/* (no data, or the memcap refused it: no port, no file name) */
	const char *cd = t->command_data ? t->command_data : "";
	if (!strcmp(t->command, "PORT") || !strcmp(t->command, "EPRT")) {
		unsigned port = t->command[0] == 'P' ? parse_port_tuple(cd) : parse_ext_port(cd, true);
		if (port) {
			t->dynamic_port = (uint16_t)port;
			t->mode = FTP_MODE_ACTIVE;
			s->have_port = true;
			expect_add(s, f, 0, (uint16_t)port, now);
		}
	} else if (!strcmp(t->command, "RETR") || !strcmp(t->command, "STOR") ||
		   !strcmp(t->command, "APPE")) {
		/* a transfer with no data port negotiated yet: an event, the
		 * connection still parsed (as Suricata 8.0.6+) */
		if (!s->have_port)
			app_event(a, APP_EV_FTP_FILE_BEFORE_PORT);
		expect_name(s, t->command, cd, t->command_data_len);
	}
}

static void server_line(struct app_ctx *a, struct ftp_state *s, const struct flow *f,
			const uint8_t *l, size_t n, bool cut, uint64_t now)
{
	bool code = n >= 3 && isdigit(l[0]) && isdigit(l[1]) && isdigit(l[2]);
	bool last = code && (n == 3 || l[3] != '-');
	struct ftp_info *t = cmd_head(s);
	if (!t) {
		/* the greeting, or a reply to nothing: a transaction without a
		 * command, as Suricata's */
		if (!code && !s->in_multi)
			return;
		if (!(t = rec_new(a))) {
			s->refused = true;
			return;
		}
		t->tx_id = s->ntx++;
		app_count_tx(a, false, ALP_FTP);
		cmd_push(s, t);
	}
	if (t->nreply < FTP_REPLY_MAX && (code || s->in_multi)) {
		const uint8_t *txt = code ? l + MIN(n, (size_t)4) : l;
		size_t tn = code ? (n > 4 ? n - 4 : 0) : n;
		tn = MIN(tn, (size_t)FTP_REPLY_LEN - 1);
		/* refused by the memcap: the line is left out (as Suricata's
		 * response string), the reply still ends the transaction */
		char *r = rec_str(a, t, txt, tn);
		if (r) {
			t->reply[t->nreply] = r;
			if (code) {
				memcpy(t->code[t->nreply], l, 3);
				t->code[t->nreply][3] = 0;
			}
			t->nreply++;
			t->reply_truncated |= cut;
		}
	}
	if (cut)
		app_event(a, APP_EV_FTP_RESP_TOO_LONG);
	if (!last) {
		s->in_multi = code || s->in_multi;
		return;
	}
	s->in_multi = false;
	unsigned c = (unsigned)((l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0'));
	if (c == 227 || c == 229) {
		char tmp[FTP_REPLY_LEN];
		size_t tn = MIN(n, sizeof(tmp) - 1);
		memcpy(tmp, l, tn);
		tmp[tn] = 0;
		unsigned port = c == 227 ? parse_port_tuple(tmp + 4) : parse_ext_port(tmp, false);
		if (port) {
			t->dynamic_port = (uint16_t)port;
			t->mode = FTP_MODE_PASSIVE;
			s->have_port = true;
			expect_add(s, f, 1, (uint16_t)port, now);
		}
	}
	if (c / 100 == 1)
		return; /* preliminary (150 opening data connection): more to come */
	/* AUTH TLS accepted (234), as Suricata reads it: TLS should follow
	 * (app.c's protocol change); nothing after it is read as FTP */
	if (c == 234 && !strcmp(t->command, "AUTH") && t->command_data_len >= 3 &&
	    !strncasecmp(t->command_data, "TLS", 3) &&
	    (t->command_data_len == 3 || t->command_data[3] == ' '))
		s->tls = true;
	tx_answered(a, s);
}

/* Appends to a direction's partial line, growing its buffer as needed
 * (charged; FTP_LINE_MAX at most): what does not fit, or what the
 * memcap refuses room for, is dropped and the line marked cut. */
static void line_add(struct app_ctx *a, struct ftp_line *ln, const uint8_t *p, size_t n)
{
	if (ln->skip || !n)
		return;
	size_t want = MIN((size_t)ln->len + n, (size_t)FTP_LINE_MAX);
	if (want > ln->cap) {
		size_t cap = MAX(want, MIN((size_t)ln->cap * 2, (size_t)FTP_LINE_MAX));
		cap = MAX(cap, (size_t)64);
		cap = MIN(cap, (size_t)FTP_LINE_MAX);
		uint8_t *nb = NULL;
		if (!ftp_charge(a, cap - ln->cap)) {
			if (!(nb = v_realloc(ln->buf, cap)))
				ftp_release(a, cap - ln->cap);
		}
		if (!nb) {
			ln->skip = true;
			return;
		}
		ln->buf = nb;
		ln->cap = (uint32_t)cap;
	}
	size_t k = want - ln->len;
	memcpy(ln->buf + ln->len, p, k);
	ln->len += (uint32_t)k;
	if (k < n)
		ln->skip = true; /* the rest of an over-long line */
}

static void line_free(struct app_ctx *a, struct ftp_line *ln)
{
	v_free(ln->buf);
	ftp_release(a, ln->cap);
	memset(ln, 0, sizeof(*ln));
}

void ftp_feed(struct app_ctx *a, struct ftp_state *s, const struct flow *f, int dir,
	      const uint8_t *d, uint32_t n, uint64_t now)
{
	struct ftp_line *ln = &s->line[dir];
	if (!a->tx.nftp)
		done_flush(a, s); /* (no record of this packet points at them) */
	while (n && !s->refused && !s->tls) {
		const uint8_t *lf = memchr(d, '\n', n);
		if (!lf) {
			line_add(a, ln, d, n); /* the line goes on in the next segment */
			return;
		}
		size_t k = (size_t)(lf - d);
		const uint8_t *l = d;
		size_t len = k;
		bool cut = false;
		if (ln->len || ln->skip) {
			line_add(a, ln, d, k);
			l = ln->buf ? ln->buf : d; /* (no buffer: refused, len 0) */
			len = ln->len;
			cut = ln->skip;
		} else if (len > FTP_LINE_MAX) {
			len = FTP_LINE_MAX; /* whole in this segment: read in place */
			cut = true;
		}
		if (len && l[len - 1] == '\r')
			len--; /* CRLF or LF ends a line */
		/* a line cut at FTP_LINE_MAX: its rest was skipped (Suricata's
		 * command_truncated / reply_truncated) */
		if (dir == 0)
			client_line(a, s, f, l, len, cut, now);
		else
			server_line(a, s, f, l, len, cut, now);
		ln->len = 0;
		ln->skip = false;
		d += k + 1;
		n -= (uint32_t)(k + 1);
	}
}

const struct ftp_info *ftp_unanswered(struct ftp_state *s)
{
	struct ftp_info *t = s ? cmd_pop(s) : NULL;
	if (t) {
		t->next = s->gone; /* (its eve record is written now: freed with s) */
		s->gone = t;
	}
	return t;
}

void ftp_server_closed(struct app_ctx *a, struct ftp_state *s)
{
	/* as Suricata inspects a flow's transactions at its end, whether
	 * answered or not: the unanswered ones are final now (they stay
	 * queued for their eve records) */
	for (struct ftp_info *t = s->q; t && a->tx.nftp_unans < APP_FTP_PER_PKT; t = t->next)
		a->tx.ftp_unans[a->tx.nftp_unans++] = t;
}

/* ---- the data connection ---- */

void ftpdata_feed(struct app_ctx *a, struct ftpdata_state *d, const uint8_t *p, uint32_t n)
{
	if (d->closed || !n)
		return;
	if (!d->open) {
		d->open = true;
		file_track_begin(&d->ft);
		body_start(a, &d->body, NULL, a->resp_body_limit, false, false);
	}
	d->size += n;
	file_track_add(&d->ft, p, n);
	body_add(a, &d->body, p, n);
}

/* The sender closed: the file is complete. */
void ftpdata_close(struct app_ctx *a, struct ftpdata_state *d, bool truncated)
{
	if (!d->open || d->closed)
		return;
	d->closed = true;
	struct app_file *fi = app_file_slot(a);
	if (!fi) {
		file_track_free(&d->ft);
		return;
	}
	memset(fi, 0, sizeof(*fi));
	size_t nl = strlen(d->info.filename);
	memcpy(fi->name, d->info.filename, MIN(nl, sizeof(fi->name) - 1));
	fi->name_len = (uint16_t)MIN(nl, sizeof(fi->name) - 1);
	fi->size = d->size;
	fi->truncated = truncated;
	fi->to_client = !strcmp(d->info.command, "RETR");
	fi->ftpdata = &d->info;
	file_track_end(&d->ft, &fi->facts, !truncated);
	if (d->body.len) {
		fi->data = d->body.buf;
		fi->data_len = d->body.len;
		a->tx.http_fresh |= HTTP_P_REQ_BODY | HTTP_P_RESP_BODY;
	}
	a->tx.ftpdata = &d->info;
	a->tx.ftpdata_log = true;
}

void ftp_state_free(struct app_ctx *a, struct ftp_state *s)
{
	if (!s)
		return;
	list_free(a, s, &s->q);
	list_free(a, s, &s->done);
	list_free(a, s, &s->gone);
	rec_free(a, s, s->kept);
	line_free(a, &s->line[0]);
	line_free(a, &s->line[1]);
	v_free(s);
}

void ftpdata_state_free(struct app_ctx *a, struct ftpdata_state *d)
{
	if (!d)
		return;
	file_track_free(&d->ft);
	body_free(a, &d->body);
	v_free(d);
}
