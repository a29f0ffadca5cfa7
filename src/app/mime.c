/*
 * mime.c - the MIME messages (RFC 2045-2049, RFC 5322 headers) that mail
 * protocols carry: SMTP's DATA, POP3's RETR / TOP, IMAP's FETCH and APPEND.
 *
 * A streaming reader fed one line at a time (CRLF removed, the carrier's
 * own framing - dot-stuffing, literal counts - already undone): headers
 * unfolded (capped at the header buffer), multipart boundaries (nested up
 * to SMTP_MIME_DEPTH), base64 and quoted-printable decoded as the lines
 * come; a message/rfc822 part is read as a message of its own; a leaf
 * part with a file name is an attachment, a file with digests and magic
 * (file.c) named by the carrying protocol (mime_msg.alp) and transaction,
 * whose first bytes (up to the body limit) rules see as file.data on the
 * packet where it ends.  For SMTP (mime_msg.info set) the top headers,
 * attachment names, URLs of text parts and the body MD5 also go to the
 * transaction, as Suricata's email object has them.  Nothing here grows
 * with the input: the state is the fixed struct mime_msg the caller
 * holds (charged with its protocol state) plus the attachments' body
 * buffers (charged by body.c).
 */
#include <ctype.h>
#include <openssl/evp.h>
#include <string.h>
#include <strings.h>

#include "app_int.h"
#include "util.h"


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

enum { ENC_NONE, ENC_B64, ENC_QP };

void smtp_str_set(char *dst, uint16_t *dlen, const uint8_t *s, size_t n)
{
	n = MIN(n, (size_t)SMTP_STR_MAX - 1);
	memcpy(dst, s, n);
	dst[n] = 0;
	*dlen = (uint16_t)n;
}

void smtp_list_add(struct smtp_list *l, const uint8_t *s, size_t n)
{
	if (l->n >= SMTP_LIST_MAX)
		return;
	smtp_str_set(l->v[l->n], &l->len[l->n], s, n);
	l->n++;
}

const uint8_t *mime_trim(const uint8_t *s, size_t *n)
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

/* ---- attachments ---- */

static void file_end(struct app_ctx *a, struct mime_msg *mm)
{
	struct mime *m = &mm->m;
	if (!m->file_open)
		return;
	m->file_open = false;
	struct http_body *b = &mm->body[mm->cur];
	struct app_file *fi = app_file_slot(a);
	if (!fi) {
		file_track_free(&mm->ft);
		return;
	}
	memset(fi, 0, sizeof(*fi));
	fi->size = m->file_size;
	size_t n = strlen(m->fname);
	memcpy(fi->name, m->fname, MIN(n, sizeof(fi->name) - 1));
	fi->name_len = (uint16_t)MIN(n, sizeof(fi->name) - 1);
	fi->tx_id = mm->info ? mm->info->tx_id : mm->tx_id;
	fi->smtp = mm->info;
	fi->alp = mm->alp;
	fi->to_client = mm->to_client;
	file_track_end(&mm->ft, &fi->facts, true);
	/* the attachment's first bytes for file.data, on this packet */
	if (b->len) {
		fi->data = b->buf;
		fi->data_len = b->len;
		a->tx.http_fresh |= mm->to_client ? HTTP_P_RESP_BODY : HTTP_P_REQ_BODY;
		b->exposed = true;
		b->exposed_seq = a->pkt_seq;
	}
}

static void file_data(struct app_ctx *a, struct mime_msg *mm, const uint8_t *d, size_t n)
{
	struct mime *m = &mm->m;
	if (!m->file_open || !n)
		return;
	m->file_size += n;
	file_track_add(&mm->ft, d, (uint32_t)n);
	body_add(a, &mm->body[mm->cur], d, (uint32_t)n);
}

static void part_begin(struct app_ctx *a, struct mime_msg *mm)
{
	struct mime *m = &mm->m;
	if (!m->fname[0] || m->multipart)
		return;
	if (mm->info)
		smtp_list_add(&mm->info->attachment, (const uint8_t *)m->fname, strlen(m->fname));
	/* a body of its own: the ones of files that ended on this packet are
	 * still being looked at (APP_FILES_PER_PKT of them at most) */
	mm->cur = (uint8_t)((mm->cur + 1) % APP_FILES_PER_PKT);
	struct http_body *b = &mm->body[mm->cur];
	/* more files on this packet than buffers: the oldest stops showing */
	app_files_forget(a, b->buf);
	if (b->buf && (!b->exposed || b->exposed_seq != a->pkt_seq))
		body_free(a, b);
	body_start(a, b, NULL, a->resp_body_limit, false, false);
	file_track_begin(&mm->ft);
	m->file_open = true;
	m->file_size = 0;
}

/* The URLs of one line of decoded text (email.url): each scheme's
 * "scheme:" (or "scheme://") up to a blank, quote or angle bracket. */
static void url_scan(struct mime_msg *mm, const char *t, size_t n)
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
			struct smtp_list *l = &mm->info->url;
			bool dup = false;
			for (unsigned j = 0; j < l->n && !dup; j++)
				dup = l->len[j] == MIN(un, (size_t)SMTP_STR_MAX - 1) && !memcmp(l->v[j], u, l->len[j]);
			if (!dup)
				smtp_list_add(l, (const uint8_t *)u, un);
			i = e;
			break;
		}
	}
}

/* Decoded bytes of a text part, searched for URLs a line at a time. */
static void text_add(struct mime_msg *mm, const uint8_t *d, size_t n, bool flush)
{
	struct mime *m = &mm->m;
	for (size_t i = 0; i < n; i++) {
		if (d[i] == '\n' || m->tl_len == sizeof(m->tl)) {
			url_scan(mm, m->tl, m->tl_len);
			m->tl_len = 0;
			if (d[i] == '\n')
				continue;
		}
		m->tl[m->tl_len++] = (char)d[i];
	}
	if (flush && m->tl_len) {
		url_scan(mm, m->tl, m->tl_len);
		m->tl_len = 0;
	}
}

/* Decodes one body line of the current leaf part into the file, and the
 * text parts' into the URL search.  A line longer than the line buffer
 * comes in pieces: cont, this piece continues the one before (no CRLF
 * between them); more, another piece of the line follows. */
static void part_line(struct app_ctx *a, struct mime_msg *mm, const uint8_t *l, size_t n, bool cont,
		      bool more)
{
	struct mime *m = &mm->m;
	bool text = url_on && mm->info && m->text && !m->file_open;
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
		text_add(mm, out, o, m->enc != ENC_B64 && !more);
	else
		file_data(a, mm, out, o);
}

/* The remaining base64 bits of a part when it ends (at a boundary, or
 * with the message).  The last line's CRLF is not the part's either way:
 * before a boundary it is the boundary's (RFC 2046 5.1.1), at the end of
 * the message the end-of-data marker's, as Suricata 8 reads it
 * (smtp-mime-encap-8649: a 30-byte attachment, not 32). */
static void part_flush(struct app_ctx *a, struct mime_msg *mm, bool at_boundary)
{
	struct mime *m = &mm->m;
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
	if (url_on && mm->info && m->text && !m->file_open)
		text_add(mm, out, o, true);
	else
		file_data(a, mm, out, o);
	file_end(a, mm);
}

/* One complete (unfolded) header of the message or of a part. */
static void header(struct mime_msg *mm)
{
	struct mime *m = &mm->m;
	char *h = m->hdr;
	char *colon = strchr(h, ':');
	if (!colon)
		return;
	*colon = 0;
	size_t vn = strlen(colon + 1);
	const uint8_t *v = mime_trim((const uint8_t *)colon + 1, &vn);
	char val[sizeof(m->hdr)];
	memcpy(val, v, vn);
	val[vn] = 0;
	if (m->top && mm->info) {
		struct smtp_info *t = mm->info;
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
			smtp_str_set(t->from, &t->from_len, (const uint8_t *)val, vn);
		else if (!strcasecmp(h, "subject"))
			smtp_str_set(t->subject, &t->subject_len, (const uint8_t *)val, vn);
		else if (!strcasecmp(h, "to") || !strcasecmp(h, "cc")) {
			struct smtp_list *l = (h[0] | 32) == 't' ? &t->to : &t->cc;
			const char *p = val;
			while (*p) {
				const char *e = strchr(p, ',');
				size_t n = e ? (size_t)(e - p) : strlen(p);
				const uint8_t *q = mime_trim((const uint8_t *)p, &n);
				if (n)
					smtp_list_add(l, q, n);
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
void mime_msg_line(struct app_ctx *a, struct mime_msg *mm, const uint8_t *l, size_t n, bool cont,
		      bool more)
{
	struct mime *m = &mm->m;
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
			header(mm);
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
		if (m->top && mm->info && body_md5_on && (m->md5 = EVP_MD_CTX_new()) &&
		    !EVP_DigestInit_ex(m->md5, EVP_md5(), NULL))
			md5_drop(m);
		m->top_done |= m->top;
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
			part_begin(a, mm);
		return;
	}
	if (m->sniff) {
		/* a body without its headers: skip up to the first line that
		 * reads as a delimiter, "--boundary", and take it for the
		 * multipart's (a single part's body has no files to find) */
		if (cont || n < 3 || l[0] != '-' || l[1] != '-')
			return;
		size_t bl = n - 2;
		const uint8_t *b = mime_trim(l + 2, &bl);
		if (!bl || bl >= SMTP_BOUNDARY_MAX || (bl >= 2 && b[bl - 2] == '-' && b[bl - 1] == '-'))
			return;
		m->sniff = false;
		memcpy(m->boundary[0], b, bl);
		m->boundary[0][bl] = 0;
		m->depth = 1;
		part_reset(m);
		return;
	}
	/* a boundary line of an open multipart (innermost first) */
	if (!cont && n >= 2 && l[0] == '-' && l[1] == '-') {
		for (int d = (int)m->depth - 1; d >= 0; d--) {
			size_t bl = strlen(m->boundary[d]);
			if (!bl || n < 2 + bl || memcmp(l + 2, m->boundary[d], bl))
				continue;
			if (m->leaf)
				part_flush(a, mm, true);
			m->leaf = false;
			bool close = n >= 4 + bl && l[2 + bl] == '-' && l[3 + bl] == '-';
			m->depth = (uint8_t)(close ? d : d + 1);
			if (!close)
				part_reset(m);
			return;
		}
	}
	if (m->leaf)
		part_line(a, mm, l, n, cont, more);
}

void mime_msg_begin(struct mime_msg *mm, uint8_t alp, struct smtp_info *info, uint32_t tx_id,
		    bool to_client)
{
	struct mime *m = &mm->m;
	md5_drop(m);
	memset(m, 0, sizeof(*m));
	part_reset(m);
	m->top = true;
	mm->alp = alp;
	mm->info = info;
	mm->tx_id = tx_id;
	mm->to_client = to_client;
}

void mime_msg_body(struct mime_msg *mm)
{
	struct mime *m = &mm->m;
	m->in_headers = false;
	m->top = false;
	m->leaf = false;
	m->sniff = true;
}

void mime_msg_end(struct app_ctx *a, struct mime_msg *mm)
{
	struct mime *m = &mm->m;
	if (m->in_headers && m->hdr_len)
		header(mm);
	if (m->leaf)
		part_flush(a, mm, false);
	m->leaf = false;
	unsigned dl = 0;
	if (mm->info) {
		mm->info->parse_done = true;
		if (m->md5 && EVP_DigestFinal_ex(m->md5, mm->info->body_md5, &dl) && dl == 16)
			mm->info->body_md5_set = true;
	}
	md5_drop(m);
}

void mime_msg_abort(struct mime_msg *mm)
{
	md5_drop(&mm->m);
	memset(&mm->m, 0, sizeof(mm->m));
}

void mime_msg_free(struct app_ctx *a, struct mime_msg *mm)
{
	file_track_free(&mm->ft);
	for (int i = 0; i < APP_FILES_PER_PKT; i++)
		body_free(a, &mm->body[i]);
	md5_drop(&mm->m);
}

/* One line or piece for mime_msg_line, its leading dot dropped when the
 * carrier stuffs dots (a piece that continues a line keeps its dot). */
static void stuffed_line(struct app_ctx *a, struct mime_msg *mm, const uint8_t *l, size_t n, bool cont,
			 bool more, bool unstuff)
{
	if (unstuff && !cont && n && l[0] == '.') {
		l++;
		n--;
	}
	mime_msg_line(a, mm, l, n, cont, more);
}

void mime_msg_bytes(struct app_ctx *a, struct mime_msg *mm, struct app_line *ln, const uint8_t *d,
		    uint32_t n, bool unstuff)
{
	while (n) {
		uint32_t piece = line_piece(ln, &d, &n);
		if (piece) { /* the buffer fills before the LF */
			stuffed_line(a, mm, ln->buf, piece, mm->piece_cont, true, unstuff);
			mm->piece_cont = true;
			line_piece_done(ln, piece);
			continue;
		}
		bool cut;
		if (!line_take(ln, &d, &n, &cut))
			return;
		stuffed_line(a, mm, ln->buf, line_len(ln), mm->piece_cont, false, unstuff);
		mm->piece_cont = false;
		line_done(ln);
	}
}

void mime_msg_bytes_end(struct app_ctx *a, struct mime_msg *mm, struct app_line *ln, bool unstuff)
{
	if (ln->len || mm->piece_cont)
		stuffed_line(a, mm, ln->buf, line_len(ln), mm->piece_cont, false, unstuff);
	mm->piece_cont = false;
	line_done(ln);
}
