/*
 * multipart.c - multipart/form-data request bodies (RFC 7578): each part
 * with a file name is an uploaded file (fileinfo, digests, file.data,
 * the file keywords), as Suricata tracks uploads.
 *
 * The body is read byte by byte as it comes (de-chunked, decompressed),
 * so a boundary split across segments is found: the delimiter
 * "\r\n--boundary" is matched incrementally, the bytes of a partial match
 * held back until it fails.  Part headers are kept up to 1 KiB a line;
 * file bytes are handed over in batches.  Nothing grows with the body.
 *
 * As Suricata 8 reads an upload when no filestore rule asks for it, only
 * the first request-body-limit bytes of the body are read: the file open
 * when a byte past them comes ends there, TRUNCATED (bytes held for a
 * delimiter dropped, as Suricata drops its held-back tail), and no later
 * part is read.  While files may be stored the body is read whole.
 */
#include <string.h>
#include <strings.h>

#include "app_int.h"
#include "util.h"

enum { MP_PREAMBLE, MP_AFTER, MP_HEADERS, MP_DATA, MP_DONE };

struct mpart *mpart_new(const char *boundary)
{
	size_t bl = strlen(boundary);
	if (!bl || bl > 70)
		return NULL;
	struct mpart *m = v_calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->delim[0] = '\r';
	m->delim[1] = '\n';
	m->delim[2] = m->delim[3] = '-';
	memcpy(m->delim + 4, boundary, bl);
	m->dlen = (uint8_t)(4 + bl);
	m->state = MP_PREAMBLE;
	m->mi = 2; /* the first delimiter may open the body, without its CRLF */
	return m;
}

static void part_data(struct app_ctx *a, struct mpart *m, const uint8_t *d, size_t n)
{
	if (!m->file_open || !n)
		return;
	m->size += n;
	file_track_add(&m->ft, d, (uint32_t)n);
	body_add(a, &m->body[m->cur], d, (uint32_t)n);
}

static void part_end(struct app_ctx *a, struct mpart *m, const struct http_msg *req,
		     uint32_t tx_id, bool truncated)
{
	if (!m->file_open)
		return;
	m->file_open = false;
	struct app_file *fi = app_file_slot(a);
	if (!fi) {
		file_track_free(&m->ft);
		return;
	}
	memset(fi, 0, sizeof(*fi));
	size_t nl = strlen(m->fname);
	memcpy(fi->name, m->fname, MIN(nl, sizeof(fi->name) - 1));
	fi->name_len = (uint16_t)MIN(nl, sizeof(fi->name) - 1);
	fi->size = m->size;
	fi->truncated = truncated;
	fi->tx_id = tx_id;
	fi->req = req && req->valid ? req : NULL;
	app_file_heads(a, fi);
	file_track_end(&m->ft, &fi->facts, !truncated);
	struct http_body *b = &m->body[m->cur];
	if (b->len) {
		fi->data = b->buf;
		fi->data_len = b->len;
		b->exposed = true;
		b->exposed_seq = a->pkt_seq;
		a->tx.http_fresh |= HTTP_P_REQ_BODY;
	}
}

/* A part's header line: Content-Disposition's filename= names the file
 * (filename*=, RFC 5987, is not read). */
static void header_line(struct mpart *m)
{
	if (m->hlen >= 20 && !strncasecmp(m->hdr, "content-disposition:", 20))
		mime_param(m->hdr + 20, m->hlen - 20u, "filename", m->fname, sizeof(m->fname));
}

/* The body went past the request body limit: an open file ends
 * TRUNCATED with what it has, and nothing after is read. */
static void body_cut(struct app_ctx *a, struct mpart *m, const struct http_msg *req,
		     uint32_t tx_id)
{
	m->mi = 0;
	part_end(a, m, req, tx_id, true);
	m->state = MP_DONE;
}

void mpart_feed(struct app_ctx *a, struct mpart *m, const uint8_t *d, size_t n,
		const struct http_msg *req, uint32_t tx_id)
{
	uint8_t out[4096];
	size_t o = 0;
	size_t past = 0; /* bytes past the body limit */
	uint64_t lim = a->req_body_limit;
	if (m->state != MP_DONE && lim && !(file_wanted() & FILE_WANT_STORE)) {
		uint64_t room = m->seen < lim ? lim - m->seen : 0;
		if (n > room) {
			past = n - (size_t)room;
			n = (size_t)room;
		}
	}
	m->seen += n;
	for (size_t i = 0; i < n && m->state != MP_DONE; i++) {
		uint8_t c = d[i];
		switch (m->state) {
		case MP_PREAMBLE:
		case MP_DATA:
			if (c == m->delim[m->mi]) {
				if (++m->mi < m->dlen)
					break;
				/* a delimiter: the part ends */
				if (m->state == MP_DATA) {
					part_data(a, m, out, o);
					o = 0;
					part_end(a, m, req, tx_id, false);
				}
				m->mi = 0;
				m->state = MP_AFTER;
				m->after = 0;
				break;
			}
			if (m->state == MP_DATA && m->mi) {
				/* the held bytes were data after all */
				for (uint8_t k = 0; k < m->mi; k++) {
					if (o == sizeof(out)) {
						part_data(a, m, out, o);
						o = 0;
					}
					out[o++] = m->delim[k];
				}
			}
			m->mi = c == m->delim[0] ? 1 : 0;
			if (m->state == MP_DATA && !m->mi) {
				if (o == sizeof(out)) {
					part_data(a, m, out, o);
					o = 0;
				}
				out[o++] = c;
			}
			break;
		case MP_AFTER:
			/* "--" closes the body; anything else up to the LF starts
			 * the next part's headers */
			if (c == '-' && m->after == 0) {
				m->after = 1;
			} else if (c == '-' && m->after == 1) {
				m->state = MP_DONE;
			} else if (c == '\n') {
				m->state = MP_HEADERS;
				m->hlen = 0;
				m->fname[0] = 0;
			} else {
				m->after = 2;
			}
			break;
		case MP_HEADERS:
			if (c == '\n') {
				if (m->hlen && m->hdr[m->hlen - 1] == '\r')
					m->hlen--;
				if (!m->hlen) {
					/* the blank line: the part's data */
					m->state = MP_DATA;
					m->mi = 0;
					if (m->fname[0]) {
						m->file_open = true;
						m->size = 0;
						file_track_begin(&m->ft);
						/* a buffer of its own: those of files that
						 * ended on this packet are still looked at */
						m->cur = (uint8_t)((m->cur + 1) % APP_FILES_PER_PKT);
						struct http_body *b = &m->body[m->cur];
						app_files_forget(a, b->buf);
						if (b->buf)
							body_free(a, b);
						body_start(a, b, NULL, a->req_body_limit, false, false);
					}
				} else {
					header_line(m);
				}
				m->hlen = 0;
			} else if (m->hlen < sizeof(m->hdr) - 1) {
				m->hdr[m->hlen++] = (char)c;
			}
			break;
		}
	}
	part_data(a, m, out, o);
	if (past && m->state != MP_DONE)
		body_cut(a, m, req, tx_id);
}

/* The body ended: a file still open ends without its closing delimiter. */
void mpart_end(struct app_ctx *a, struct mpart *m, const struct http_msg *req, uint32_t tx_id)
{
	if (m->state == MP_DATA && m->mi) {
		/* bytes held for a delimiter that never came */
		part_data(a, m, m->delim, m->mi);
		m->mi = 0;
	}
	part_end(a, m, req, tx_id, true);
	m->state = MP_DONE;
}

void mpart_free(struct app_ctx *a, struct mpart *m)
{
	if (!m)
		return;
	file_track_free(&m->ft);
	for (int i = 0; i < APP_FILES_PER_PKT; i++) {
		app_files_forget(a, m->body[i].buf); /* a next request in the same packet */
		body_free(a, &m->body[i]);
	}
	v_free(m);
}
