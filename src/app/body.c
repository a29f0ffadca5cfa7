/*
 * body.c - HTTP bodies for the rule engine (http.request_body,
 * http.response_body, file.data).
 *
 * The parser (http.c, libhtp) hands body bytes over de-chunked, response
 * bodies decompressed through as many Content-Encoding layers as
 * configured.  Here they are kept up to the direction's limit
 * (app-layer.protocols.http.*-body-limit); a request body whose
 * Content-Encoding says gzip or deflate is decompressed here, one layer,
 * with zlib: libhtp 0.5 turns a request body labelled gzip that is not
 * into garbage, where Suricata 8 (and this code) keeps it as sent.  The
 * limit counts decompressed bytes, so a small compressed body cannot
 * expand past it (a "zip bomb" costs at most the limit).  Deflate is tried
 * with the zlib wrapper first and, if that fails at once, as raw deflate,
 * as clients send both.  The buffer grows on demand and is charged to the
 * app memcap.
 */
#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "app_int.h"
#include "util.h"

static void z_end(struct http_body *b)
{
	if (b->z) {
		inflateEnd(b->z);
		v_free(b->z);
		b->z = NULL;
	}
}

void body_free(struct app_ctx *a, struct http_body *b)
{
	z_end(b);
	if (b->buf)
		app_release(a, b->cap);
	v_free(b->buf);
	memset(b, 0, sizeof(*b));
}

static bool has_token(const struct http_hdr *h, const char *tok)
{
	size_t n = strlen(tok);
	for (uint32_t i = 0; h && i + n <= h->val_len; i++)
		if (!strncasecmp((const char *)h->val + i, tok, n))
			return true;
	return false;
}

static bool z_init(struct http_body *b, int wbits)
{
	z_stream *z = v_calloc(1, sizeof(*z));
	if (!z)
		return false;
	if (inflateInit2(z, wbits) != Z_OK) {
		v_free(z);
		return false;
	}
	b->z = z;
	return true;
}

void body_start(struct app_ctx *a, struct http_body *b, const struct http_head *h,
		uint32_t limit, bool close_delim, bool decode)
{
	z_end(b);
	b->len = 0;
	b->limit = limit;
	b->full = b->exposed = b->zfail = b->raw_tried = false;
	b->close_delim = close_delim;
	b->enc = BODY_ENC_NONE;
	const struct http_hdr *ce = decode ? http_header(h, "content-encoding") : NULL;
	if (has_token(ce, "gzip"))
		b->enc = BODY_ENC_GZIP;
	else if (has_token(ce, "deflate"))
		b->enc = BODY_ENC_DEFLATE;
	/* 15 + 32: zlib or gzip wrapper, detected from the first bytes */
	if (b->enc != BODY_ENC_NONE && !z_init(b, 15 + 32))
		b->enc = BODY_ENC_NONE;
}

/* Makes room for at least want more bytes (up to the limit). */
static bool grow(struct app_ctx *a, struct http_body *b, uint32_t want)
{
	if (b->cap - b->len >= want)
		return true;
	uint32_t cap = b->cap ? b->cap : 1024;
	while (cap - b->len < want && cap < b->limit)
		cap *= 2;
	cap = MIN(cap, b->limit);
	if (cap <= b->cap)
		return b->cap > b->len;
	if (!app_charge(a, cap - b->cap))
		return false;
	uint8_t *nb = v_realloc(b->buf, cap);
	if (!nb) {
		app_release(a, cap - b->cap);
		return false;
	}
	b->buf = nb;
	b->cap = cap;
	return true;
}

bool body_add(struct app_ctx *a, struct http_body *b, const uint8_t *d, uint32_t n)
{
	if (b->full || !n || !b->limit)
		return false;
	if (b->zfail)
		return false;
	if (b->enc == BODY_ENC_NONE) {
		uint32_t k = MIN(n, b->limit - b->len);
		if (!grow(a, b, k))
			return false;
		memcpy(b->buf + b->len, d, k);
		b->len += k;
	} else {
		z_stream *z = b->z;
		z->next_in = (Bytef *)(uintptr_t)d;
		z->avail_in = n;
		while (z->avail_in && b->len < b->limit) {
			if (!grow(a, b, MIN(4096u, b->limit - b->len)))
				return false;
			z->next_out = b->buf + b->len;
			z->avail_out = b->cap - b->len;
			int rc = inflate(z, Z_NO_FLUSH);
			b->len = b->cap - z->avail_out;
			if (rc == Z_STREAM_END)
				break;
			if (rc == Z_DATA_ERROR && b->enc == BODY_ENC_DEFLATE && !b->raw_tried &&
			    z->total_out == 0) {
				/* "deflate" sent without the zlib wrapper */
				b->raw_tried = true;
				z_end(b);
				if (!z_init(b, -15))
					return false;
				z = b->z;
				z->next_in = (Bytef *)(uintptr_t)d;
				z->avail_in = n;
				continue;
			}
			if (rc != Z_OK && rc != Z_BUF_ERROR) {
				app_event(a, APP_EV_HTTP_GZIP_FAILED);
				if (z->total_out == 0 && b->len == 0) {
					/* labelled compressed but is not: keep it as
					 * sent (libhtp does the same) */
					z_end(b);
					b->enc = BODY_ENC_NONE;
					return body_add(a, b, d, n);
				}
				b->zfail = true;
				break;
			}
			if (rc == Z_BUF_ERROR && z->avail_out)
				break; /* needs more input */
		}
	}
	if (b->len >= b->limit) {
		b->full = true;
		z_end(b);
		return true;
	}
	return false;
}
