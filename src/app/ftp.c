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
 * data connections. */
static void expect_name(struct ftp_state *s, const char *cmd, const char *name, size_t n)
{
	if (!s->owner)
		return;
	pthread_mutex_lock(&expect_lock);
	for (int i = 0; i < FTP_EXPECT_MAX; i++) {
		struct expect *x = &expects[i];
		if (x->used && x->owner == s->owner) {
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

static struct ftp_info *cmd_head(struct ftp_state *s)
{
	return s->nq ? &s->q[s->q0] : NULL;
}

/* The transaction at the queue's head is answered: to eve on this packet. */
static void tx_answered(struct app_ctx *a, struct ftp_state *s)
{
	struct ftp_info *t = cmd_head(s);
	if (!t)
		return;
	t->reply_received = true;
	if (a->tx.nftp < APP_FTP_PER_PKT) {
		s->done[s->ndone % APP_FTP_PER_PKT] = *t;
		a->tx.ftp[a->tx.nftp++] = &s->done[s->ndone % APP_FTP_PER_PKT];
		s->view = &s->done[s->ndone % APP_FTP_PER_PKT];
		s->ndone++;
	}
	s->q0 = (uint8_t)((s->q0 + 1) % FTP_CMDQ);
	s->nq--;
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
	struct ftp_info *t = &s->q[(s->q0 + s->nq) % FTP_CMDQ];
	memset(t, 0, sizeof(*t));
	for (size_t i = 0; i < k; i++)
		t->command[i] = (char)toupper(l[i]);
	t->command[k] = 0;
	const uint8_t *dp = k < n ? l + k + 1 : l + n;
	size_t dn = k < n ? n - k - 1 : 0;
	dn = MIN(dn, sizeof(t->command_data) - 1);
	memcpy(t->command_data, dp, dn);
	t->command_data[dn] = 0;
	t->command_data_len = (uint16_t)dn;
	t->command_truncated = cut;
	if (cut)
		app_event(a, APP_EV_FTP_REQ_TOO_LONG);
	t->tx_id = s->ntx++;
	app_count_tx(a, false, ALP_FTP);
	s->nq++;
	a->tx.ftp_cmd = t;
	s->view = t;
	if (!strcmp(t->command, "PORT") || !strcmp(t->command, "EPRT")) {
		unsigned port = t->command[0] == 'P' ? parse_port_tuple(t->command_data)
						     : parse_ext_port(t->command_data, true);
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
		expect_name(s, t->command, t->command_data, dn);
	}
}

static void server_line(struct app_ctx *a, struct ftp_state *s, const struct flow *f,
			const uint8_t *l, size_t n, bool cut, uint64_t now)
{
	bool code = n >= 3 && isdigit(l[0]) && isdigit(l[1]) && isdigit(l[2]);
	bool last = code && (n == 3 || l[3] != '-');
	struct ftp_info *t = cmd_head(s);
	(void)now;
	if (!t) {
		/* the greeting, or a reply to nothing: a transaction without a
		 * command, as Suricata's */
		if (!code && !s->in_multi)
			return;
		t = &s->q[s->q0];
		memset(t, 0, sizeof(*t));
		t->tx_id = s->ntx++;
		app_count_tx(a, false, ALP_FTP);
		s->nq = 1;
	}
	if (t->nreply < FTP_REPLY_MAX && (code || s->in_multi)) {
		const uint8_t *txt = code ? l + MIN(n, (size_t)4) : l;
		size_t tn = code ? (n > 4 ? n - 4 : 0) : n;
		tn = MIN(tn, (size_t)FTP_REPLY_LEN - 1);
		memcpy(t->reply[t->nreply], txt, tn);
		t->reply[t->nreply][tn] = 0;
		if (code) {
			memcpy(t->code[t->nreply], l, 3);
			t->code[t->nreply][3] = 0;
		}
		t->nreply++;
		t->reply_truncated |= cut;
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

void ftp_feed(struct app_ctx *a, struct ftp_state *s, const struct flow *f, int dir,
	      const uint8_t *d, uint32_t n, uint64_t now)
{
	struct app_line *ln = &s->line[dir];
	while (n && !s->tls) {
		bool cut;
		if (!line_take(ln, &d, &n, &cut))
			return;
		size_t len = line_len(ln);
		/* a line cut at SMTP_LINE_MAX: its rest was skipped (Suricata's
		 * command_truncated / reply_truncated) */
		if (dir == 0)
			client_line(a, s, f, ln->buf, len, ln->skip, now);
		else
			server_line(a, s, f, ln->buf, len, ln->skip, now);
		line_done(ln);
	}
}

const struct ftp_info *ftp_unanswered(struct ftp_state *s)
{
	if (!s || !s->nq)
		return NULL;
	struct ftp_info *t = cmd_head(s);
	s->last = *t;
	s->q0 = (uint8_t)((s->q0 + 1) % FTP_CMDQ);
	s->nq--;
	return &s->last;
}

void ftp_server_closed(struct app_ctx *a, struct ftp_state *s)
{
	/* as Suricata inspects a flow's transactions at its end, whether
	 * answered or not: the unanswered ones are final now (they stay
	 * queued for their eve records) */
	for (unsigned i = 0; i < s->nq && a->tx.nftp_unans < APP_FTP_PER_PKT; i++)
		a->tx.ftp_unans[a->tx.nftp_unans++] = &s->q[(s->q0 + i) % FTP_CMDQ];
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

void ftp_state_free(struct ftp_state *s)
{
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
