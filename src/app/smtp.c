/*
 * smtp.c - SMTP (RFC 5321); the MIME messages it carries are read by
 * mime.c.
 *
 * Both directions are read line by line (a line that reaches SMTP_LINE_MAX
 * bytes before its LF is read cut there, as Suricata, and the rest of it
 * skipped; a message body line instead goes to the MIME reader whole, in
 * SMTP_LINE_MAX pieces).  The client's commands are
 * queued so that the server's replies, pipelined or not, are matched to
 * them in order: a 354 confirms DATA (anything else ends data mode), the
 * reply to the end of the data (or to BDAT ... LAST) completes the
 * transaction and readies its eve record (written on the client's next
 * packet), a 220 to STARTTLS hands the connection to TLS, an accepted
 * RSET ends the transaction it was sent in, an accepted EHLO/HELO after
 * an envelope or DATA starts a new one; a reply with an unknown code is
 * a parser error that ends the parsing of the flow.  Message data
 * (dot-unstuffed) goes to the streaming MIME reader (mime.c), which
 * fills the transaction's email fields and turns attachments into files.
 * BDAT chunks are counted, not MIME-parsed (as Suricata 8).  Nothing here
 * grows with the input past the fixed caps; the state is charged to the
 * app-layer memcap.
 */
#include <ctype.h>
#include <openssl/evp.h>
#include <string.h>
#include <strings.h>

#include "app_int.h"
#include "util.h"

enum { CMD_OTHER, CMD_HELO, CMD_DATA, CMD_DATA_END, CMD_BDAT, CMD_BDAT_LAST, CMD_STARTTLS,
       CMD_RSET, CMD_MAIL, CMD_RCPT };

/* An event of the transaction under way (the anomaly record names it). */
static void smtp_event(struct app_ctx *a, const struct smtp_state *s, enum app_event e)
{
	app_event(a, e);
	if (a->tx.ev_tx_id < 0)
		a->tx.ev_tx_id = (int64_t)s->tx.tx_id;
}

void smtp_state_free(struct app_ctx *a, struct smtp_state *s)
{
	if (!s)
		return;
	mime_msg_free(a, &s->msg);
	app_release(a, sizeof(*s));
	v_free(s);
}

static void tx_reset(struct smtp_state *s)
{
	struct smtp_info *t = &s->tx;
	const char *helo = t->helo; /* the session's: every transaction names it */
	uint16_t hl = t->helo_len;
	memset(t, 0, sizeof(*t));
	t->helo = helo;
	t->helo_len = hl;
	t->tx_id = s->ntx;
	s->data_tried = false;
}

/* A completed transaction goes to eve (and the rules) on the client's
 * next packet, as Suricata logs a to-server transaction, or at flow end. */
static void flush_done(struct app_ctx *a, struct smtp_state *s)
{
	if (!s->done_pending)
		return;
	s->done_pending = false;
	s->done.logged = true;
	a->tx.smtp = &s->done;
	a->tx.smtp_log = true;
}

static void log_tx(struct app_ctx *a, struct smtp_state *s, const struct smtp_info *t)
{
	flush_done(a, s); /* one not written yet goes now */
	s->done = *t;
	if (a->tx.smtp_hdrs == t) /* (headers shown on this packet: where they went) */
		a->tx.smtp_hdrs = &s->done;
	s->done.logged = false;
	s->done_pending = true;
}

static void tx_done(struct app_ctx *a, struct smtp_state *s)
{
	if (s->active) {
		log_tx(a, s, &s->tx);
		s->ntx++;
		app_count_tx(a, false, ALP_SMTP);
	}
	s->active = false;
	tx_reset(s);
}

/* The message is sent (the data's end, or BDAT's last chunk): the
 * transaction is set aside until the server answers it, so that commands
 * pipelined behind it start the next one. */
static void tx_sent(struct app_ctx *a, struct smtp_state *s)
{
	if (!s->active)
		return;
	if (s->await_valid)
		log_tx(a, s, &s->await); /* an earlier one never answered */
	s->await = s->tx;
	s->await_valid = true;
	if (a->tx.smtp_hdrs == &s->tx)
		a->tx.smtp_hdrs = &s->await;
	/* attachments that ended on this packet name the transaction */
	for (unsigned i = 0; i < a->tx.nfiles; i++)
		if (a->file[i].smtp == &s->tx)
			a->file[i].smtp = &s->await;
	s->ntx++;
	app_count_tx(a, false, ALP_SMTP);
	s->active = false;
	tx_reset(s);
	if (!s->replies_seen) {
		/* one-sided capture: no reply will end it */
		log_tx(a, s, &s->await);
		s->await_valid = false;
	}
}


/* ---- commands and replies ---- */

static void cmd_push(struct app_ctx *a, struct smtp_state *s, uint8_t c)
{
	/* a command behind a DATA or STARTTLS not answered yet (the end of
	 * the data of a pipelined DATA too), as Suricata flags it */
	uint8_t last = s->nq ? s->q[(s->q0 + s->nq - 1) % SMTP_CMDQ] : CMD_OTHER;
	if (last == CMD_DATA || last == CMD_STARTTLS)
		smtp_event(a, s, APP_EV_SMTP_INVALID_PIPELINED_SEQUENCE);
	if (s->nq < SMTP_CMDQ)
		s->q[(s->q0 + s->nq++) % SMTP_CMDQ] = c;
}

/* Does this command belong to a mail transaction (Suricata opens one for
 * every command but RSET, QUIT and STARTTLS, which only close one; RSET
 * and QUIT open one only as the session's first command)? */
static void open_tx(struct smtp_state *s, const char *c, size_t k)
{
	bool rq = k == 4 && (!strncasecmp(c, "RSET", 4) || !strncasecmp(c, "QUIT", 4));
	if ((rq && s->opened) || (k == 4 && !strncasecmp(c, "NOOP", 4)) ||
	    (k == 8 && !strncasecmp(c, "STARTTLS", 8)))
		return;
	s->active = true;
	s->opened = true;
}

/* A line of message data, or a piece of one (cont, more: part_line). */
static void data_line(struct app_ctx *a, struct smtp_state *s, const uint8_t *l, size_t n, bool cont,
		      bool more)
{
	if (!cont && !more && n == 1 && l[0] == '.') {
		mime_msg_end(a, &s->msg);
		s->mode = SM_CMD;
		cmd_push(a, s, CMD_DATA_END);
		tx_sent(a, s);
		return;
	}
	if (s->msg.m.md5) { /* body-md5: each line as sent (still dot-stuffed), CRLF-ended */
		EVP_DigestUpdate(s->msg.m.md5, l, n);
		if (!more)
			EVP_DigestUpdate(s->msg.m.md5, "\r\n", 2);
	}
	if (!cont && n && l[0] == '.') { /* dot-stuffing */
		l++;
		n--;
	}
	mime_msg_line(a, &s->msg, l, n, cont, more);
	if (s->msg.m.top_done) {
		/* the message's headers are in: email.* can be matched on
		 * this packet, as Suricata inspects the transaction under way */
		s->msg.m.top_done = false;
		a->tx.smtp_hdrs = &s->tx;
	}
}

static void client_line(struct app_ctx *a, struct smtp_state *s, const uint8_t *l, size_t n)
{
	if (s->mode == SM_DATA) {
		data_line(a, s, l, n, false, false);
		return;
	}
	size_t k = 0;
	while (k < n && k < 12 && l[k] != ' ')
		k++;
	const char *c = (const char *)l;
	if (n)
		open_tx(s, c, k);
	if ((k == 4 && (!strncasecmp(c, "EHLO", 4) || !strncasecmp(c, "HELO", 4)))) {
		/* the first HELO/EHLO names the client for the whole session,
		 * as in Suricata (whatever the server answers; a second one is
		 * smtp.duplicate_fields): after the spaces, up to the next
		 * one, as long as the line (a cut line's CR stays, as
		 * Suricata's) */
		const uint8_t *v = l + k, *e = l + n;
		while (v < e && *v == ' ')
			v++;
		const uint8_t *sp = memchr(v, ' ', (size_t)(e - v));
		size_t vn = (size_t)((sp ? sp : e) - v);
		cmd_push(a, s, CMD_HELO);
		if (s->tx.helo_len) {
			smtp_event(a, s, APP_EV_SMTP_DUPLICATE_FIELDS);
		} else if (vn) {
			vn = MIN(vn, sizeof(s->helo));
			memcpy(s->helo, v, vn);
			s->tx.helo = s->helo;
			s->tx.helo_len = (uint16_t)vn;
		}
	} else if (n >= 10 && !strncasecmp(c, "MAIL FROM:", 10)) {
		size_t vn = n - 10;
		const uint8_t *v = mime_trim(l + 10, &vn);
		const uint8_t *sp = memchr(v, ' ', vn); /* parameters (SIZE=...) */
		if (sp && memchr(v, '>', vn))
			vn = (size_t)((const uint8_t *)memchr(v, '>', vn) - v) + 1;
		smtp_str_set(s->tx.mail_from, &s->tx.mail_from_len, v, vn);
		cmd_push(a, s, CMD_MAIL);
	} else if (n >= 8 && !strncasecmp(c, "RCPT TO:", 8)) {
		size_t vn = n - 8;
		const uint8_t *v = mime_trim(l + 8, &vn);
		const uint8_t *gt = memchr(v, '>', vn);
		if (gt)
			vn = (size_t)(gt - v) + 1;
		smtp_list_add(&s->tx.rcpt_to, v, vn);
		cmd_push(a, s, CMD_RCPT);
	} else if (k == 4 && !strncasecmp(c, "DATA", 4)) {
		if (s->data_tried) {
			/* a second message in one transaction (the first
			 * DATA was refused, or never answered): a new one */
			smtp_event(a, s, APP_EV_SMTP_UNPARSABLE_CONTENT);
			tx_done(a, s);
			s->active = s->opened = true;
		}
		s->data_tried = true;
		s->mode = SM_DATA; /* a reply other than 354 ends it */
		mime_msg_begin(&s->msg, ALP_SMTP, &s->tx, s->tx.tx_id, false);
		s->tx.email = true;
		cmd_push(a, s, CMD_DATA);
	} else if (k == 4 && !strncasecmp(c, "BDAT", 4)) {
		uint64_t v = 0;
		size_t i = k;
		while (i < n && l[i] == ' ')
			i++;
		while (i < n && isdigit(l[i]) && v < (1ULL << 40))
			v = v * 10 + (uint64_t)(l[i++] - '0');
		bool last = n >= 4 && !strncasecmp(c + n - 4, "LAST", 4);
		s->bdat_left = v;
		s->bdat_last = last;
		if (v)
			s->mode = SM_BDAT;
		cmd_push(a, s, last ? CMD_BDAT_LAST : CMD_BDAT);
		if (last && !v)
			tx_sent(a, s);
	} else if (k == 8 && !strncasecmp(c, "STARTTLS", 8)) {
		cmd_push(a, s, CMD_STARTTLS);
	} else if (k == 4 && !strncasecmp(c, "RSET", 4)) {
		/* the server's acceptance ends the transaction under way
		 * (commands pipelined behind the RSET still join it, as in
		 * Suricata 8.0.7); one already sent is left alone */
		s->rset_open = s->active;
		s->rset_tx = s->tx.tx_id;
		cmd_push(a, s, CMD_RSET);
	} else {
		cmd_push(a, s, CMD_OTHER);
	}
}

static void server_reply(struct app_ctx *a, struct smtp_state *s, unsigned code)
{
	bool greeting = !s->replies_seen;
	s->replies_seen = true;
	if (!s->nq) {
		if (!greeting)
			smtp_event(a, s, APP_EV_SMTP_UNMATCHED_REPLY);
		return; /* the greeting, or a reply to nothing */
	}
	uint8_t c = s->q[s->q0];
	s->q0 = (uint8_t)((s->q0 + 1) % SMTP_CMDQ);
	s->nq--;
	bool ok = code / 100 == 2;
	switch (c) {
	case CMD_HELO:
		if (ok) {
			/* a new session: the envelope so far, or an attempt at
			 * DATA, is dropped as by RSET (RFC 5321 4.1.4) */
			if (s->tx.mail_from_len || s->tx.rcpt_to.n || s->data_tried) {
				tx_done(a, s);
				s->active = true;
			}
		}
		break;
	case CMD_DATA:
		if (code != 354)
			smtp_event(a, s, APP_EV_SMTP_DATA_REJECTED);
		if (code != 354 && s->mode == SM_DATA) {
			s->mode = SM_CMD;
			s->tx.email = false;
			mime_msg_abort(&s->msg);
		}
		break;
	case CMD_DATA_END:
	case CMD_BDAT_LAST:
		if (s->await_valid) {
			log_tx(a, s, &s->await);
			s->await_valid = false;
		}
		break;
	case CMD_STARTTLS:
		if (code == 220)
			s->tls = true;
		else
			smtp_event(a, s, APP_EV_SMTP_TLS_REJECTED);
		break;
	case CMD_RSET:
		if (ok && s->rset_open && s->active && s->tx.tx_id == s->rset_tx)
			tx_done(a, s);
		s->rset_open = false;
		break;
	}
}

static bool reply_code_known(const uint8_t *l)
{
	static const char codes[] = "211214220221235250251252334354401421435450451452454455"
				    "500501502503504530534535538550551552553554555";
	for (size_t i = 0; i + 3 <= sizeof(codes) - 1; i += 3)
		if (!memcmp(l, codes + i, 3))
			return true;
	return false;
}

/* One line, its LF removed; cut: the first SMTP_LINE_MAX bytes of a
 * longer one, read as they are (a CR at the cut stays). */
static void line_in(struct app_ctx *a, struct smtp_state *s, int dir, const uint8_t *l, size_t n,
		    bool cut)
{
	if (!cut && n && l[n - 1] == '\r')
		n--;
	if (dir == 0) {
		client_line(a, s, l, n);
		return;
	}
	if (cut)
		return; /* a reply line cut short is not read as a reply (as Suricata: smtp-bug-5989) */
	/* a reply: "250-..." continues, "250 ..." (or "250") ends it; its
	 * code one of those RFC 5321 (4.2.3) and its extensions define, as
	 * Suricata knows them (a "402" or "472" is not a reply) */
	if (n < 3 || !reply_code_known(l) || (n > 3 && l[3] != ' ' && l[3] != '-')) {
		smtp_event(a, s, APP_EV_SMTP_INVALID_REPLY);
		app_parser_error(a, CNT_APP_ERR_SMTP);
		s->failed = true; /* as Suricata: the parser gives the flow up */
		return;
	}
	if (n == 3 || l[3] == ' ')
		server_reply(a, s, (unsigned)((l[0] - '0') * 100 + (l[1] - '0') * 10 + (l[2] - '0')));
}

bool line_take(struct app_line *ln, const uint8_t **d, uint32_t *n, bool *cut)
{
	const uint8_t *lf = memchr(*d, '\n', *n);
	uint32_t k = lf ? (uint32_t)(lf - *d) : *n;
	*cut = false;
	if (!ln->skip) {
		uint32_t room = SMTP_LINE_MAX - ln->len;
		memcpy(ln->buf + ln->len, *d, MIN(k, room));
		ln->len += MIN(k, room);
		if (k > room)
			ln->skip = *cut = true; /* the rest of an over-long line */
	}
	k += lf ? 1 : 0;
	*d += k;
	*n -= k;
	return lf != NULL;
}

uint32_t line_piece(struct app_line *ln, const uint8_t **d, uint32_t *n)
{
	const uint8_t *lf = memchr(*d, '\n', *n);
	uint32_t k = lf ? (uint32_t)(lf - *d) : *n, room = SMTP_LINE_MAX - ln->len;
	if (k < room)
		return 0;
	memcpy(ln->buf + ln->len, *d, room);
	*d += room;
	*n -= room;
	return SMTP_LINE_MAX - (ln->buf[SMTP_LINE_MAX - 1] == '\r');
}

void smtp_feed(struct app_ctx *a, struct smtp_state *s, int dir, const uint8_t *d, uint32_t n)
{
	struct app_line *ln = &s->line[dir];
	if (dir == 0)
		flush_done(a, s);
	while (n && !s->tls && !s->failed) {
		if (dir == 0 && s->mode == SM_BDAT && !s->cut_taken[0]) {
			/* BDAT chunk bytes: counted, not parsed */
			uint32_t k = (uint32_t)MIN((uint64_t)n, s->bdat_left);
			s->bdat_left -= k;
			s->tx.email = false;
			d += k;
			n -= k;
			if (!s->bdat_left) {
				s->mode = SM_CMD;
				if (s->bdat_last)
					tx_sent(a, s);
			}
			continue;
		}
		if (dir == 0 && s->mode == SM_DATA && !s->msg.m.in_headers && !s->cut_taken[0]) {
			/* a message body line is not cut: one longer than the
			 * buffer goes to the MIME reader in pieces, as Suricata
			 * reads a body (a CR at a piece's end waits: it may be
			 * the CRLF's) */
			uint32_t piece = line_piece(ln, &d, &n);
			if (piece) {
				data_line(a, s, ln->buf, piece, s->data_cont, true);
				s->data_cont = true;
				line_piece_done(ln, piece);
				continue;
			}
		}
		bool cut, full = line_take(ln, &d, &n, &cut);
		/* a line that fills SMTP_LINE_MAX before its LF is cut there
		 * (even if the LF comes next: the limit counts the CR), read
		 * at once, and the rest up to the LF skipped, as Suricata
		 * (smtp-long-command) */
		if (ln->len == SMTP_LINE_MAX && !s->cut_taken[dir]) {
			smtp_event(a, s, APP_EV_SMTP_TRUNCATED_LINE);
			s->cut_taken[dir] = true;
			ln->skip = true;
			line_in(a, s, dir, ln->buf, ln->len, true);
		}
		if (!full)
			return;
		if (dir == 0 && s->data_cont) {
			/* the last piece of a long body line */
			s->data_cont = false;
			size_t k = ln->len && ln->buf[ln->len - 1] == '\r' ? ln->len - 1 : ln->len;
			if (s->mode == SM_DATA)
				data_line(a, s, ln->buf, k, true, false);
		} else if (!s->cut_taken[dir]) {
			/* frames: a command (or AUTH) line, a reply line, with its LF;
			 * and a command line a second time without its line end, as
			 * Suricata 8 makes two of it (the line reader's frame, with
			 * the line end, and the command handler's, without) */
			if (dir == 1 || s->mode == SM_CMD)
				app_frame_add(a, dir ? FR_SMTP_RESPONSE_LINE : FR_SMTP_COMMAND_LINE, dir, ln->buf,
					      ln->len, (const uint8_t *)"\n", 1);
			if (dir == 0 && s->mode == SM_CMD)
				app_frame_add(a, FR_SMTP_COMMAND_LINE, 0, ln->buf,
					      ln->len && ln->buf[ln->len - 1] == '\r' ? ln->len - 1 : ln->len,
					      NULL, 0);
			line_in(a, s, dir, ln->buf, ln->len, false);
		}
		s->cut_taken[dir] = false;
		line_done(ln);
		if (s->msg.m.long_name) {
			s->msg.m.long_name = false;
			smtp_event(a, s, APP_EV_SMTP_MIME_LONG_FILENAME);
		}
		if (s->msg.m.long_header) {
			s->msg.m.long_header = false;
			smtp_event(a, s, APP_EV_SMTP_MIME_LONG_HEADER);
		}
	}
}

void smtp_tcp_closed(struct app_ctx *a, struct smtp_state *s)
{
	if (!s || s->closed)
		return;
	s->closed = true;
	if (a->tx.smtp_log)
		return; /* this packet writes one already: the rest at flow end */
	const struct smtp_info *t = smtp_unlogged(s);
	if (t) {
		a->tx.smtp = t;
		a->tx.smtp_log = true;
	}
}

void smtp_client_packet(struct app_ctx *a, struct smtp_state *s)
{
	if (!a->tx.smtp_log)
		flush_done(a, s);
}

const struct smtp_info *smtp_unlogged(struct smtp_state *s)
{
	if (s && s->done_pending) {
		s->done_pending = false;
		s->done.logged = true;
		return &s->done;
	}
	if (s && s->await_valid) {
		/* sent, never answered */
		s->await_valid = false;
		s->done = s->await;
		s->done.logged = true;
		return &s->done;
	}
	if (!s || s->tx.logged || !s->active)
		return NULL;
	s->tx.logged = true;
	return &s->tx;
}
