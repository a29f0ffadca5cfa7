/*
 * smtp.c - SMTP (RFC 5321) and the MIME messages it carries (RFC 2045-2049).
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
 * (dot-unstuffed) goes through a streaming MIME reader: headers unfolded
 * (capped), multipart boundaries (nested up to SMTP_MIME_DEPTH), base64
 * and quoted-printable decoded as the lines come; a message/rfc822 part
 * is read as a message of its own; a part with a file name is an
 * attachment, a file with digests and magic
 * (file.c) whose first bytes (up to the body limit) rules see as
 * file.data on the packet where it ends.  BDAT chunks are counted, not
 * MIME-parsed (as Suricata 8).  Nothing here grows with the input past
 * the fixed caps; the state is charged to the app-layer memcap.
 */
#include <ctype.h>
#include <openssl/evp.h>
#include <string.h>
#include <strings.h>

#include "app_int.h"
#include "util.h"

/* An event of the transaction under way (the anomaly record names it). */
static void smtp_event(struct app_ctx *a, const struct smtp_state *s, enum app_event e)
{
	app_event(a, e);
	if (a->tx.ev_tx_id < 0)
		a->tx.ev_tx_id = (int64_t)s->tx.tx_id;
}

const char *const smtp_field_keys[SMTP_F_MAX] = {
#define X(id, key, hdr) key,
	SMTP_FIELDS(X)
#undef X
};
static const char *const field_hdrs[SMTP_F_MAX] = {
#define X(id, key, hdr) hdr,
	SMTP_FIELDS(X)
#undef X
};
static bool body_md5_on; /* app-layer.protocols.smtp.mime.body-md5 */

int smtp_field_by_header(const char *name)
{
	for (int k = 0; k < SMTP_F_MAX; k++)
		if (!strcasecmp(name, field_hdrs[k]))
			return k;
	return -1;
}

void smtp_md5_config(bool body)
{
	body_md5_on = body;
}

static void md5_drop(struct mime *m)
{
	if (m->md5)
		EVP_MD_CTX_free(m->md5);
	m->md5 = NULL;
}

/* email.url settings (smtp_url_config, once at start) */
static bool url_on = true, url_keep_scheme;
static char url_schemes[8][16] = { "http" };
static size_t url_nschemes = 1;

void smtp_url_config(bool on, const char *const *schemes, size_t n, bool keep_scheme)
{
	url_on = on;
	url_keep_scheme = keep_scheme;
	url_nschemes = 0;
	for (size_t i = 0; i < n && url_nschemes < 8; i++)
		str_lcpy(url_schemes[url_nschemes++], schemes[i], sizeof(url_schemes[0]));
}

enum { CMD_OTHER, CMD_HELO, CMD_DATA, CMD_DATA_END, CMD_BDAT, CMD_BDAT_LAST, CMD_STARTTLS,
       CMD_RSET, CMD_MAIL, CMD_RCPT };
enum { ENC_NONE, ENC_B64, ENC_QP };

static void str_set(char *dst, uint16_t *dlen, const uint8_t *s, size_t n)
{
	n = MIN(n, (size_t)SMTP_STR_MAX - 1);
	memcpy(dst, s, n);
	dst[n] = 0;
	*dlen = (uint16_t)n;
}

static void list_add(struct smtp_list *l, const uint8_t *s, size_t n)
{
	if (l->n >= SMTP_LIST_MAX)
		return;
	str_set(l->v[l->n], &l->len[l->n], s, n);
	l->n++;
}

static const uint8_t *trim(const uint8_t *s, size_t *n)
{
	while (*n && (*s == ' ' || *s == '\t')) {
		s++;
		(*n)--;
	}
	while (*n && (s[*n - 1] == ' ' || s[*n - 1] == '\t' || s[*n - 1] == '\r'))
		(*n)--;
	return s;
}

/* A header value's parameter (boundary=, filename=, name=), unquoted. */
static size_t param(const char *v, const char *name, char *out, size_t cap)
{
	return mime_param(v, strlen(v), name, out, cap);
}

void smtp_state_free(struct app_ctx *a, struct smtp_state *s)
{
	if (!s)
		return;
	file_track_free(&s->ft);
	for (int i = 0; i < APP_FILES_PER_PKT; i++)
		body_free(a, &s->body[i]);
	md5_drop(&s->mime);
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

/* ---- attachments ---- */

static void file_end(struct app_ctx *a, struct smtp_state *s)
{
	struct mime *m = &s->mime;
	if (!m->file_open)
		return;
	m->file_open = false;
	struct http_body *b = &s->body[s->cur];
	struct app_file *fi = app_file_slot(a);
	if (!fi) {
		file_track_free(&s->ft);
		return;
	}
	memset(fi, 0, sizeof(*fi));
	fi->size = m->file_size;
	size_t n = strlen(m->fname);
	memcpy(fi->name, m->fname, MIN(n, sizeof(fi->name) - 1));
	fi->name_len = (uint16_t)MIN(n, sizeof(fi->name) - 1);
	fi->tx_id = s->tx.tx_id;
	fi->smtp = &s->tx;
	file_track_end(&s->ft, &fi->facts, true);
	/* the attachment's first bytes for file.data, on this packet */
	if (b->len) {
		fi->data = b->buf;
		fi->data_len = b->len;
		a->tx.http_fresh |= HTTP_P_REQ_BODY;
		b->exposed = true;
		b->exposed_seq = a->pkt_seq;
	}
}

static void file_data(struct app_ctx *a, struct smtp_state *s, const uint8_t *d, size_t n)
{
	struct mime *m = &s->mime;
	if (!m->file_open || !n)
		return;
	m->file_size += n;
	file_track_add(&s->ft, d, (uint32_t)n);
	body_add(a, &s->body[s->cur], d, (uint32_t)n);
}

static void part_begin(struct app_ctx *a, struct smtp_state *s)
{
	struct mime *m = &s->mime;
	if (!m->fname[0] || m->multipart)
		return;
	list_add(&s->tx.attachment, (const uint8_t *)m->fname, strlen(m->fname));
	/* a body of its own: the ones of files that ended on this packet are
	 * still being looked at (APP_FILES_PER_PKT of them at most) */
	s->cur = (uint8_t)((s->cur + 1) % APP_FILES_PER_PKT);
	struct http_body *b = &s->body[s->cur];
	/* more files on this packet than buffers: the oldest stops showing */
	app_files_forget(a, b->buf);
	if (b->buf && (!b->exposed || b->exposed_seq != a->pkt_seq))
		body_free(a, b);
	body_start(a, b, NULL, a->resp_body_limit, false, false);
	file_track_begin(&s->ft);
	m->file_open = true;
	m->file_size = 0;
}

/* The URLs of one line of decoded text (email.url): each scheme's
 * "scheme:" (or "scheme://") up to a blank, quote or angle bracket. */
static void url_scan(struct smtp_state *s, const char *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < url_nschemes; k++) {
			size_t sl = strlen(url_schemes[k]);
			if (i + sl + 1 >= n || strncasecmp(t + i, url_schemes[k], sl) || t[i + sl] != ':')
				continue;
			if (i && (isalnum((unsigned char)t[i - 1])))
				continue;
			size_t e = i + sl + 1;
			bool slashes = e + 1 < n && t[e] == '/' && t[e + 1] == '/';
			size_t body = slashes ? e + 2 : e;
			while (e < n && !isspace((unsigned char)t[e]) && !strchr("\"'<>", t[e]))
				e++;
			if (e <= body)
				continue;
			const char *u = url_keep_scheme ? t + i : t + body;
			size_t un = (size_t)(t + e - u);
			struct smtp_list *l = &s->tx.url;
			bool dup = false;
			for (unsigned j = 0; j < l->n && !dup; j++)
				dup = l->len[j] == MIN(un, (size_t)SMTP_STR_MAX - 1) && !memcmp(l->v[j], u, l->len[j]);
			if (!dup)
				list_add(l, (const uint8_t *)u, un);
			i = e;
			break;
		}
	}
}

/* Decoded bytes of a text part, searched for URLs a line at a time. */
static void text_add(struct smtp_state *s, const uint8_t *d, size_t n, bool flush)
{
	struct mime *m = &s->mime;
	for (size_t i = 0; i < n; i++) {
		if (d[i] == '\n' || m->tl_len == sizeof(m->tl)) {
			url_scan(s, m->tl, m->tl_len);
			m->tl_len = 0;
			if (d[i] == '\n')
				continue;
		}
		m->tl[m->tl_len++] = (char)d[i];
	}
	if (flush && m->tl_len) {
		url_scan(s, m->tl, m->tl_len);
		m->tl_len = 0;
	}
}

/* Decodes one body line of the current leaf part into the file, and the
 * text parts' into the URL search.  A line longer than the line buffer
 * comes in pieces: cont, this piece continues the one before (no CRLF
 * between them); more, another piece of the line follows. */
static void part_line(struct app_ctx *a, struct smtp_state *s, const uint8_t *l, size_t n, bool cont,
		      bool more)
{
	struct mime *m = &s->mime;
	bool text = url_on && m->text && !m->file_open;
	if (!m->file_open && !text)
		return;
	uint8_t out[SMTP_LINE_MAX + 8];
	size_t o = 0;
	/* a line's CRLF is the part's only once another line follows: the
	 * one before a boundary belongs to the boundary (RFC 2046 5.1.1) */
	if (m->enc != ENC_B64 && m->crlf_pending && !cont) {
		out[o++] = '\r';
		out[o++] = '\n';
	}
	m->crlf_pending = false;
	if (m->enc == ENC_B64) {
		for (size_t i = 0; i < n; i++) {
			int v;
			uint8_t c = l[i];
			if (c >= 'A' && c <= 'Z') v = c - 'A';
			else if (c >= 'a' && c <= 'z') v = c - 'a' + 26;
			else if (c >= '0' && c <= '9') v = c - '0' + 52;
			else if (c == '+') v = 62;
			else if (c == '/') v = 63;
			else continue; /* padding, blanks, junk */
			m->b64 = m->b64 << 6 | (uint32_t)v;
			if (++m->b64n == 4) {
				out[o++] = (uint8_t)(m->b64 >> 16);
				out[o++] = (uint8_t)(m->b64 >> 8);
				out[o++] = (uint8_t)m->b64;
				m->b64 = 0;
				m->b64n = 0;
			}
		}
	} else if (m->enc == ENC_QP) {
		/* an escape cut between two pieces waits for the next one */
		uint8_t q[SMTP_LINE_MAX + 2];
		size_t qn = 0;
		memcpy(q, m->qp_carry, m->qp_carry_len);
		qn = m->qp_carry_len;
		m->qp_carry_len = 0;
		memcpy(q + qn, l, n);
		qn += n;
		size_t end = qn;
		if (more) {
			size_t k = qn >= 2 && q[qn - 2] == '=' ? 2 : qn >= 1 && q[qn - 1] == '=' ? 1 : 0;
			end = qn - k;
			memcpy(m->qp_carry, q + end, k);
			m->qp_carry_len = (uint8_t)k;
		}
		bool soft = !more && end && q[end - 1] == '=';
		for (size_t i = 0; i < end - (soft ? 1 : 0); i++) {
			int h1, h2;
			if (q[i] == '=' && i + 2 < end && (h1 = hex_digit(q[i + 1])) >= 0 &&
			    (h2 = hex_digit(q[i + 2])) >= 0) {
				out[o++] = (uint8_t)(h1 << 4 | h2);
				i += 2;
			} else {
				out[o++] = q[i];
			}
		}
		m->crlf_pending = !soft && !more;
	} else {
		memcpy(out + o, l, n);
		o += n;
		m->crlf_pending = !more;
	}
	if (text)
		text_add(s, out, o, m->enc != ENC_B64 && !more);
	else
		file_data(a, s, out, o);
}

/* The remaining base64 bits of a part when it ends (at a boundary, or
 * with the message).  The last line's CRLF is not the part's either way:
 * before a boundary it is the boundary's (RFC 2046 5.1.1), at the end of
 * the message the end-of-data marker's, as Suricata 8 reads it
 * (smtp-mime-encap-8649: a 30-byte attachment, not 32). */
static void part_flush(struct app_ctx *a, struct smtp_state *s, bool at_boundary)
{
	struct mime *m = &s->mime;
	uint8_t out[2];
	size_t o = 0;
	(void)at_boundary;
	m->crlf_pending = false;
	if (m->enc == ENC_B64 && m->b64n >= 2) {
		if (m->b64n == 2) {
			out[o++] = (uint8_t)(m->b64 >> 4);
		} else {
			out[o++] = (uint8_t)(m->b64 >> 10);
			out[o++] = (uint8_t)(m->b64 >> 2);
		}
	}
	m->b64 = 0;
	m->b64n = 0;
	m->qp_carry_len = 0;
	if (url_on && m->text && !m->file_open)
		text_add(s, out, o, true);
	else
		file_data(a, s, out, o);
	file_end(a, s);
}

/* One complete (unfolded) header of the message or of a part. */
static void header(struct smtp_state *s)
{
	struct mime *m = &s->mime;
	char *h = m->hdr;
	char *colon = strchr(h, ':');
	if (!colon)
		return;
	*colon = 0;
	size_t vn = strlen(colon + 1);
	const uint8_t *v = trim((const uint8_t *)colon + 1, &vn);
	char val[sizeof(m->hdr)];
	memcpy(val, v, vn);
	val[vn] = 0;
	if (m->top) {
		struct smtp_info *t = &s->tx;
		int k = smtp_field_by_header(h);
		if (k >= 0 && t->hdrs.n < SMTP_HDRS_MAX) {
			struct smtp_hdrs *hl = &t->hdrs;
			size_t c = MIN(vn, SMTP_STR_MAX - 1);
			memcpy(hl->v[hl->n], val, c);
			hl->v[hl->n][c] = 0;
			hl->len[hl->n] = (uint16_t)c;
			hl->field[hl->n++] = (uint8_t)k;
		}
		if (!strcasecmp(h, "from"))
			str_set(t->from, &t->from_len, (const uint8_t *)val, vn);
		else if (!strcasecmp(h, "subject"))
			str_set(t->subject, &t->subject_len, (const uint8_t *)val, vn);
		else if (!strcasecmp(h, "to") || !strcasecmp(h, "cc")) {
			struct smtp_list *l = (h[0] | 32) == 't' ? &t->to : &t->cc;
			const char *p = val;
			while (*p) {
				const char *e = strchr(p, ',');
				size_t n = e ? (size_t)(e - p) : strlen(p);
				const uint8_t *q = trim((const uint8_t *)p, &n);
				if (n)
					list_add(l, q, n);
				p += (e ? (size_t)(e - p) + 1 : strlen(p));
			}
		}
	}
	if (!strcasecmp(h, "content-type")) {
		char b[SMTP_BOUNDARY_MAX];
		m->text = !strncasecmp(val, "text/", 5);
		m->rfc822 = !strncasecmp(val, "message/rfc822", 14) &&
			    (!val[14] || val[14] == ';' || val[14] == ' ' || val[14] == '\t');
		if (!strncasecmp(val, "multipart/", 10) && param(val, "boundary", b, sizeof(b))) {
			m->multipart = true;
			memcpy(m->pending_boundary, b, sizeof(b));
		}
		if (!m->fname[0] && param(val, "name", m->fname, sizeof(m->fname)) > 255)
			m->long_name = true;
	} else if (!strcasecmp(h, "content-disposition")) {
		if (param(val, "filename", m->fname, sizeof(m->fname)) > 255)
			m->long_name = true;
	} else if (!strcasecmp(h, "content-transfer-encoding")) {
		m->enc = !strncasecmp(val, "base64", 6) ? ENC_B64
			 : !strncasecmp(val, "quoted-printable", 16) ? ENC_QP : ENC_NONE;
	}
}

static void part_reset(struct mime *m)
{
	m->text = true; /* text/plain unless said otherwise (RFC 2045) */
	m->tl_len = 0;
	m->enc = ENC_NONE;
	m->multipart = false;
	m->rfc822 = false;
	m->fname[0] = 0;
	m->pending_boundary[0] = 0;
	m->hdr_len = 0;
	m->in_headers = true;
}

/* One line of message data (CRLF removed, dot-unstuffed), or a piece of
 * a body line longer than the line buffer (cont, more: part_line). */
static void mime_line(struct app_ctx *a, struct smtp_state *s, const uint8_t *l, size_t n, bool cont,
		      bool more)
{
	struct mime *m = &s->mime;
	if (m->in_headers && !cont) {
		if (n && (l[0] == ' ' || l[0] == '\t') && m->hdr_len) {
			size_t k = MIN(n, sizeof(m->hdr) - 1 - m->hdr_len);
			if (k < n)
				m->long_header = true;
			memcpy(m->hdr + m->hdr_len, l, k); /* folded: continues the header */
			m->hdr_len = (uint16_t)(m->hdr_len + k);
			m->hdr[m->hdr_len] = 0;
			return;
		}
		if (m->hdr_len)
			header(s);
		m->hdr_len = 0;
		if (n) {
			size_t k = MIN(n, sizeof(m->hdr) - 1);
			if (k < n)
				m->long_header = true;
			memcpy(m->hdr, l, k);
			m->hdr_len = (uint16_t)k;
			m->hdr[k] = 0;
			return;
		}
		/* the blank line: the body starts */
		m->in_headers = false;
		if (m->top && body_md5_on && (m->md5 = EVP_MD_CTX_new()) &&
		    !EVP_DigestInit_ex(m->md5, EVP_md5(), NULL))
			md5_drop(m);
		m->top = false;
		if (m->multipart && m->depth < SMTP_MIME_DEPTH) {
			memcpy(m->boundary[m->depth], m->pending_boundary, SMTP_BOUNDARY_MAX);
			m->depth++;
			m->fname[0] = 0; /* a container is not a file */
		}
		if (m->rfc822 && !m->multipart) {
			/* an encapsulated message (RFC 2046 5.2.1): its body is
			 * a message of its own, headers first, whatever
			 * encoding the part claims (message/rfc822 allows only
			 * 7bit, 8bit and binary), as Suricata 8 reads it: a
			 * container, not a file */
			part_reset(m);
			m->leaf = false;
			return;
		}
		m->leaf = !m->multipart;
		if (m->leaf)
			part_begin(a, s);
		return;
	}
	/* a boundary line of an open multipart (innermost first) */
	if (!cont && n >= 2 && l[0] == '-' && l[1] == '-') {
		for (int d = (int)m->depth - 1; d >= 0; d--) {
			size_t bl = strlen(m->boundary[d]);
			if (!bl || n < 2 + bl || memcmp(l + 2, m->boundary[d], bl))
				continue;
			if (m->leaf)
				part_flush(a, s, true);
			m->leaf = false;
			bool close = n >= 4 + bl && l[2 + bl] == '-' && l[3 + bl] == '-';
			m->depth = (uint8_t)(close ? d : d + 1);
			if (!close)
				part_reset(m);
			return;
		}
	}
	if (m->leaf)
		part_line(a, s, l, n, cont, more);
}

static void mime_begin(struct smtp_state *s)
{
	struct mime *m = &s->mime;
	md5_drop(m);
	memset(m, 0, sizeof(*m));
	part_reset(m);
	m->top = true;
	s->tx.email = true;
}

static void mime_end(struct app_ctx *a, struct smtp_state *s)
{
	struct mime *m = &s->mime;
	if (m->in_headers && m->hdr_len)
		header(s);
	if (m->leaf)
		part_flush(a, s, false);
	m->leaf = false;
	s->tx.parse_done = true;
	unsigned dl = 0;
	if (m->md5 && EVP_DigestFinal_ex(m->md5, s->tx.body_md5, &dl) && dl == 16)
		s->tx.body_md5_set = true;
	md5_drop(m);
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
		mime_end(a, s);
		s->mode = SM_CMD;
		cmd_push(a, s, CMD_DATA_END);
		tx_sent(a, s);
		return;
	}
	if (s->mime.md5) { /* body-md5: each line as sent (still dot-stuffed), CRLF-ended */
		EVP_DigestUpdate(s->mime.md5, l, n);
		if (!more)
			EVP_DigestUpdate(s->mime.md5, "\r\n", 2);
	}
	if (!cont && n && l[0] == '.') { /* dot-stuffing */
		l++;
		n--;
	}
	mime_line(a, s, l, n, cont, more);
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
		const uint8_t *v = trim(l + 10, &vn);
		const uint8_t *sp = memchr(v, ' ', vn); /* parameters (SIZE=...) */
		if (sp && memchr(v, '>', vn))
			vn = (size_t)((const uint8_t *)memchr(v, '>', vn) - v) + 1;
		str_set(s->tx.mail_from, &s->tx.mail_from_len, v, vn);
		cmd_push(a, s, CMD_MAIL);
	} else if (n >= 8 && !strncasecmp(c, "RCPT TO:", 8)) {
		size_t vn = n - 8;
		const uint8_t *v = trim(l + 8, &vn);
		const uint8_t *gt = memchr(v, '>', vn);
		if (gt)
			vn = (size_t)(gt - v) + 1;
		list_add(&s->tx.rcpt_to, v, vn);
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
		mime_begin(s);
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
			memset(&s->mime, 0, sizeof(s->mime));
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
		if (dir == 0 && s->mode == SM_DATA && !s->mime.in_headers && !s->cut_taken[0]) {
			/* a message body line is not cut: one longer than the
			 * buffer goes to the MIME reader in pieces, as Suricata
			 * reads a body (a CR at a piece's end waits: it may be
			 * the CRLF's) */
			const uint8_t *lf = memchr(d, '\n', n);
			uint32_t k = lf ? (uint32_t)(lf - d) : n, room = SMTP_LINE_MAX - ln->len;
			if (k >= room) {
				memcpy(ln->buf + ln->len, d, room);
				d += room;
				n -= room;
				uint32_t piece = SMTP_LINE_MAX - (ln->buf[SMTP_LINE_MAX - 1] == '\r');
				data_line(a, s, ln->buf, piece, s->data_cont, true);
				s->data_cont = true;
				ln->len = SMTP_LINE_MAX - piece;
				if (ln->len)
					ln->buf[0] = '\r';
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
			/* frames: a command (or AUTH) line, a reply line, with its LF */
			if (dir == 1 || s->mode == SM_CMD)
				app_frame_add(a, dir ? FR_SMTP_RESPONSE_LINE : FR_SMTP_COMMAND_LINE, dir, ln->buf,
					      ln->len, (const uint8_t *)"\n", 1);
			line_in(a, s, dir, ln->buf, ln->len, false);
		}
		s->cut_taken[dir] = false;
		line_done(ln);
		if (s->mime.long_name) {
			s->mime.long_name = false;
			smtp_event(a, s, APP_EV_SMTP_MIME_LONG_FILENAME);
		}
		if (s->mime.long_header) {
			s->mime.long_header = false;
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
