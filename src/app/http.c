/*
 * http.c - HTTP/1.0 and 1.1 (RFC 9112) for detection and eve.
 *
 * Each direction is a small state machine over the reassembled stream:
 * collect a head (request or status line plus headers) until the blank
 * line, parse it, then skip the body as the head says (Content-Length,
 * chunked, or until close for responses without either), then the next
 * message (pipelining).  The head is copied into a per-direction buffer
 * capped at HTTP_HEAD_MAX (a longer head raises an event and the direction
 * stops being parsed); the parsed fields are views into that copy, valid
 * until the next head.  Body bytes are handed to the caller de-chunked
 * (app.c keeps them, capped, and decompresses gzip/deflate); the parser
 * itself never holds a body.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "app.h"
#include "http.h"
#include "json.h"
#include "util.h"

enum { HS_HEAD, HS_BODY_LEN, HS_CHUNK_SIZE, HS_CHUNK_DATA, HS_CHUNK_CRLF, HS_TRAILER,
       HS_BODY_CLOSE, HS_DEAD };

static const uint8_t *find_eoh(const uint8_t *b, uint32_t n, uint32_t *hlen)
{
	for (uint32_t i = 0; i + 1 < n; i++) {
		if (b[i] == '\n' && b[i + 1] == '\n') {
			*hlen = i + 2;
			return b;
		}
		if (i + 3 < n && b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
			*hlen = i + 4;
			return b;
		}
	}
	return NULL;
}

static bool ieq(const uint8_t *a, uint32_t n, const char *b)
{
	size_t m = strlen(b);
	if (n != m)
		return false;
	for (size_t i = 0; i < m; i++)
		if (tolower(a[i]) != b[i])
			return false;
	return true;
}

/* Parses the head in d->head[0..d->head_len) into h.  Lines end in LF
 * (CR optional).  Returns false if the first line is not HTTP. */
static bool parse_head(struct http_dir *d, struct http_head *h, struct http_hdr *hdrs,
		       bool request)
{
	memset(h, 0, sizeof(*h));
	h->hdr = hdrs;
	const uint8_t *p = d->head, *end = d->head + d->head_len;
	const uint8_t *eol = memchr(p, '\n', (size_t)(end - p));
	if (!eol)
		eol = end; /* a head cut short by the connection's end */
	h->line = p;
	h->line_len = (uint32_t)(eol - p);
	if (h->line_len && p[h->line_len - 1] == '\r')
		h->line_len--;
	/* three parts separated by single spaces */
	const uint8_t *s1 = memchr(p, ' ', h->line_len);
	if (!s1)
		return false;
	const uint8_t *rest = s1 + 1, *lend = p + h->line_len;
	const uint8_t *s2 = memchr(rest, ' ', (size_t)(lend - rest));
	if (request) {
		h->method = p;
		h->method_len = (uint32_t)(s1 - p);
		h->uri = rest;
		h->uri_len = (uint32_t)((s2 ? s2 : lend) - rest);
		if (s2) {
			h->proto = s2 + 1;
			h->proto_len = (uint32_t)(lend - s2 - 1);
		}
		if (!h->method_len || !h->uri_len)
			return false;
	} else {
		if (h->line_len < 8 || memcmp(p, "HTTP/", 5))
			return false;
		h->proto = p;
		h->proto_len = (uint32_t)(s1 - p);
		h->status = rest;
		h->status_len = (uint32_t)((s2 ? s2 : lend) - rest);
		if (s2) {
			h->msg = s2 + 1;
			h->msg_len = (uint32_t)(lend - s2 - 1);
		}
		h->code = (uint16_t)atoi((const char *)h->status);
	}
	/* headers */
	p = eol < end ? eol + 1 : end;
	/* obsolete line folding (RFC 7230 3.2.4): a line that starts with a
	 * space or a tab continues the header before it; joined in place, as
	 * libhtp does, so that a folded Transfer-Encoding is still seen */
	for (uint8_t *q = (uint8_t *)(uintptr_t)p; q + 1 < end; q++) {
		if (*q != '\n' || (q[1] != ' ' && q[1] != '\t'))
			continue;
		if (q > p && q[-1] == '\n')
			break; /* the blank line: the end of the head */
		if (q > p && q[-1] == '\r' && q - 1 > p && q[-2] == '\n')
			break;
		if (q > p && q[-1] == '\r')
			q[-1] = ' ';
		*q = ' ';
	}
	h->headers = p;
	h->content_length = -1;
	while (p < end && h->nhdr < HTTP_MAX_HEADERS) {
		eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			break;
		uint32_t ll = (uint32_t)(eol - p);
		if (ll && p[ll - 1] == '\r')
			ll--;
		if (ll == 0)
			break;
		const uint8_t *colon = memchr(p, ':', ll);
		if (colon) {
			struct http_hdr *hd = &h->hdr[h->nhdr++];
			hd->name = p;
			hd->name_len = (uint32_t)(colon - p);
			/* "Transfer-Encoding : chunked": a name's trailing blanks */
			while (hd->name_len && (p[hd->name_len - 1] == ' ' || p[hd->name_len - 1] == '\t'))
				hd->name_len--;
			const uint8_t *v = colon + 1, *ve = p + ll;
			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == ' ' || ve[-1] == '\t'))
				ve--;
			hd->val = v;
			hd->val_len = (uint32_t)(ve - v);
			if (ieq(hd->name, hd->name_len, "content-length")) {
				char num[24];
				uint32_t k = MIN(hd->val_len, (uint32_t)sizeof(num) - 1);
				memcpy(num, hd->val, k);
				num[k] = '\0';
				uint64_t cl;
				h->content_length = parse_uint(num, 1ULL << 50, &cl) == 0 ? (int64_t)cl : -2;
			} else if (ieq(hd->name, hd->name_len, "transfer-encoding")) {
				for (uint32_t i = 0; i + 7 <= hd->val_len; i++)
					if (!strncasecmp((const char *)hd->val + i, "chunked", 7))
						h->chunked = true;
			}
		}
		p = eol + 1;
	}
	h->headers_len = (uint32_t)(p - h->headers);
	return true;
}

const struct http_hdr *http_header(const struct http_head *h, const char *name)
{
	for (unsigned i = 0; i < h->nhdr; i++)
		if (ieq(h->hdr[i].name, h->hdr[i].name_len, name))
			return &h->hdr[i];
	return NULL;
}

/* Hands the caller up to d->left body bytes from *data; true when the
 * body (or chunk) is complete. */
static bool body_bytes(struct http_dir *d, bool request, const uint8_t **data, uint32_t *len,
		       const struct http_cbs *cb)
{
	uint64_t k = MIN((uint64_t)*len, d->left);
	cb->body(cb->ctx, request, *data, (uint32_t)k);
	d->left -= k;
	*data += k;
	*len -= (uint32_t)k;
	return !d->left;
}

/* Feeds stream data of one direction.  Calls cb->head for every complete
 * head, cb->body with body bytes, cb->end at each message end; a hopeless
 * direction goes dead. */
void http_feed(struct http_dir *d, bool request, const uint8_t *data, uint32_t len,
	       const struct http_cbs *cb, bool head_request_pending)
{
	while (len && d->state != HS_DEAD) {
		switch (d->state) {
		case HS_HEAD: {
			/* grow the head buffer as needed (1 KiB .. HTTP_HEAD_MAX):
			 * most heads are small, and this is per flow */
			if (d->head_cap - d->head_len < MIN(len, HTTP_HEAD_MAX - d->head_len) &&
			    d->head_cap < HTTP_HEAD_MAX) {
				uint32_t cap = d->head_cap ? d->head_cap : 1024;
				while (cap < HTTP_HEAD_MAX && cap - d->head_len < len)
					cap *= 2;
				cap = MIN(cap, (uint32_t)HTTP_HEAD_MAX);
				uint8_t *nb = v_realloc(d->head, cap);
				if (!nb)
					return;
				d->head = nb;
				d->head_cap = cap;
			}
			/* skip blank lines between messages */
			if (!d->head_len && (*data == '\r' || *data == '\n')) {
				data++;
				len--;
				continue;
			}
			uint32_t k = MIN(len, d->head_cap - d->head_len);
			memcpy(d->head + d->head_len, data, k);
			uint32_t hlen;
			uint32_t from = d->head_len > 3 ? d->head_len - 3 : 0;
			if (find_eoh(d->head + from, d->head_len + k - from, &hlen)) {
				hlen += from;
				uint32_t used = hlen - d->head_len;
				d->head_len = hlen;
				data += used;
				len -= used;
				struct http_head hh, *h = &hh;
				struct http_hdr hdrs[HTTP_MAX_HEADERS];
				if (!parse_head(d, h, hdrs, request)) {
					cb->event(cb->ctx, request ? APP_EV_HTTP_REQ_LINE_INVALID
								   : APP_EV_HTTP_RESP_LINE_INVALID);
					d->state = HS_DEAD;
					return;
				}
				cb->head(cb->ctx, request, h);
				d->head_len = 0;
				/* the caller copied what it keeps: an idle keep-alive
				 * connection holds no head buffer */
				v_free(d->head);
				d->head = NULL;
				d->head_cap = 0;
				if (d->state == HS_DEAD)
					return; /* the caller stopped HTTP (CONNECT) */
				bool nobody = !request && (h->code / 100 == 1 || h->code == 204 ||
							   h->code == 304 || head_request_pending);
				if (nobody) {
					d->state = HS_HEAD;
					cb->end(cb->ctx, request);
				} else if (h->chunked) {
					d->state = HS_CHUNK_SIZE;
					d->chunk = 0;
					d->chunk_seen = d->chunk_digits = d->chunk_ext = false;
				} else if (h->content_length > 0) {
					d->state = HS_BODY_LEN;
					d->left = (uint64_t)h->content_length;
				} else if (!request && h->content_length < 0) {
					d->state = HS_BODY_CLOSE;
				} else {
					d->state = HS_HEAD;
					cb->end(cb->ctx, request);
				}
				continue;
			}
			d->head_len += k;
			data += k;
			len -= k;
			if (d->head_len >= HTTP_HEAD_MAX) {
				cb->event(cb->ctx, request ? APP_EV_HTTP_REQ_FIELD_TOO_LONG
							   : APP_EV_HTTP_RESP_FIELD_TOO_LONG);
				d->overflow = true;
				d->state = HS_DEAD;
			}
			return;
		}
		case HS_BODY_LEN:
			if (body_bytes(d, request, &data, &len, cb)) {
				d->state = HS_HEAD;
				cb->end(cb->ctx, request);
			}
			continue;
		case HS_CHUNK_SIZE: {
			uint8_t c = *data++;
			len--;
			int v = hex_digit(c);
			if ((c == ' ' || c == '\t') && !d->chunk_digits && !d->chunk_ext)
				continue; /* blanks before the size */
			if (v >= 0 && !d->chunk_ext) {
				d->chunk_digits = true;
				if (d->chunk > (1ULL << 40)) {
					cb->event(cb->ctx, request ? APP_EV_HTTP_CHUNK_LEN_REQ
								   : APP_EV_HTTP_CHUNK_LEN_RESP);
					d->state = HS_DEAD;
					return;
				}
				d->chunk = d->chunk * 16 + (uint64_t)v;
			} else if (c == ';' || c == ' ' || (d->chunk_digits && c != '\r' && c != '\n')) {
				/* an extension, or whatever follows the size's digits
				 * ("f\t", "f,"): ignored to the end of the line, as
				 * libhtp does */
				d->chunk_ext = true;
			} else if (c == '\n') {
				d->chunk_ext = false;
				d->chunk_digits = false;
				d->chunk_seen = true;
				if (d->chunk == 0) {
					d->state = HS_TRAILER;
					d->trailer_blank = true;
				} else {
					d->left = d->chunk;
					d->state = HS_CHUNK_DATA;
				}
				d->chunk = 0;
			} else if (c != '\r' && !d->chunk_ext) {
				cb->event(cb->ctx, request ? APP_EV_HTTP_CHUNK_LEN_REQ
							   : APP_EV_HTTP_CHUNK_LEN_RESP);
				if (!request && !d->chunk_seen && !d->chunk_digits) {
					/* a response said chunked but its body is not:
					 * it runs to the close, as libhtp reads it (and
					 * as a browser that ignores a malformed
					 * Transfer-Encoding would) */
					data--;
					len++;
					d->state = HS_BODY_CLOSE;
					continue;
				}
				d->state = HS_DEAD;
			}
			continue;
		}
		case HS_CHUNK_DATA:
			if (body_bytes(d, request, &data, &len, cb))
				d->state = HS_CHUNK_CRLF;
			continue;
		case HS_CHUNK_CRLF: {
			uint8_t c = *data++;
			len--;
			if (c == '\n')
				d->state = HS_CHUNK_SIZE;
			continue;
		}
		case HS_TRAILER: {
			uint8_t c = *data++;
			len--;
			if (c == '\n') {
				if (d->trailer_blank) {
					d->state = HS_HEAD;
					cb->end(cb->ctx, request);
				}
				d->trailer_blank = true;
			} else if (c != '\r') {
				d->trailer_blank = false;
			}
			continue;
		}
		case HS_BODY_CLOSE: /* everything to the end of the connection */
			cb->body(cb->ctx, request, data, len);
			return;
		}
	}
}

void http_close(struct http_dir *d, bool request, const struct http_cbs *cb)
{
	if (d->state == HS_HEAD && d->head_len && d->head_len < HTTP_HEAD_MAX) {
		/* the connection ended inside a head: parse what came, as
		 * libhtp does ("GET /" then a reset is still a request) */
		struct http_head h;
		struct http_hdr hdrs[HTTP_MAX_HEADERS];
		if (parse_head(d, &h, hdrs, request)) {
			cb->head(cb->ctx, request, &h);
			cb->end(cb->ctx, request);
		}
		d->head_len = 0;
		d->state = HS_DEAD;
		return;
	}
	if (d->state != HS_HEAD && d->state != HS_DEAD) {
		/* a body delimited by the close, or one cut short: what came is
		 * the body (rules see it now, the record is written) */
		cb->end(cb->ctx, request);
		d->state = HS_DEAD;
	}
}

void http_stop(struct http_dir *d)
{
	d->state = HS_DEAD;
}

void http_dir_free(struct http_dir *d)
{
	v_free(d->head);
	d->head = NULL;
	d->head_cap = 0;
}

/* ---- the http record ---- */

static void hdr_field(struct jbuf *jb, const char *key, const struct http_msg *m,
		      const char *name)
{
	const struct http_hdr *h = m ? http_header(&m->h, name) : NULL;
	if (h)
		jb_strn(jb, key, h->val, h->val_len);
}

static void header_list(struct jbuf *jb, const char *key, const struct http_msg *m)
{
	jb_open_array(jb, key);
	for (unsigned i = 0; i < m->h.nhdr; i++) {
		jb_open_object(jb, NULL);
		jb_strn(jb, "name", m->h.hdr[i].name, m->h.hdr[i].name_len);
		jb_strn(jb, "value", m->h.hdr[i].val, m->h.hdr[i].val_len);
		jb_close(jb);
	}
	jb_close(jb);
}

/* The http object's fields (http records and alerts). */
void http_log_fields(struct jbuf *jb, const struct http_msg *req, const struct http_msg *resp,
		     uint8_t headers)
{
	if (req) {
		if (req->host_len)
			jb_strn(jb, "hostname", (const uint8_t *)req->host, req->host_len);
		jb_strn(jb, "url", req->h.uri, req->h.uri_len);
		hdr_field(jb, "http_user_agent", req, "user-agent");
		hdr_field(jb, "http_refer", req, "referer");
		jb_strn(jb, "http_method", req->h.method, req->h.method_len);
		if (req->h.proto_len)
			jb_strn(jb, "protocol", req->h.proto, req->h.proto_len);
	}
	if (resp) {
		hdr_field(jb, "http_content_type", resp, "content-type");
		if (!req && resp->h.proto_len)
			jb_strn(jb, "protocol", resp->h.proto, resp->h.proto_len);
		jb_u64(jb, "status", resp->h.code);
		hdr_field(jb, "redirect", resp, "location");
		jb_u64(jb, "length", resp->body_len);
	}
	if (req && (headers & 1))
		header_list(jb, "request_headers", req);
	if (resp && (headers & 2))
		header_list(jb, "response_headers", resp);
}

