/*
 * http.c - HTTP/1.0 and 1.1 through libhtp, the HTTP library of Suricata 7.
 *
 * An IDS must read a message where its body ends, which header counts and
 * what a Content-Encoding chain decodes to as the endpoints do, or a file
 * walks past the rules (the http-evader cases).  libhtp has read HTTP that
 * way for a decade under fuzzing, so vigil uses it (docs/app-layer.md has
 * the measurements behind the choice) and keeps its own interface: one
 * libhtp connection parser per flow, its hooks turned into the head / body
 * / end callbacks app.c consumes.  A head is handed over as views into one
 * buffer built here per message (the request or status line, the raw
 * header lines, the normalised URI, the parsed headers); bodies come
 * de-chunked and decompressed (as many layers as configured, libhtp's
 * compression-bomb limits applying; "br", which libhtp 0.5 does not know,
 * by brotli.c under the same limits, its memory charged to the caller).
 *
 * Memory per connection stays bounded: completed transactions are freed
 * after every call (drop_done), libhtp's log messages are turned into events and
 * freed after every call, requests left unanswered stop parsing past
 * HTTP_OPEN_TX_MAX, bytes libhtp asks to see again later (it waits for the
 * other side) are held up to HTTP_PENDING_MAX, raw heads to HTTP_HEAD_MAX.
 */
#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include <htp/htp.h>

#include "alloc.h"
#include "app.h"
#include "http.h"
#include "json.h"
#include "util.h"

struct http_cfg {
	htp_cfg_t *htp;
	bool decompress;           /* response bodies are decoded */
};

struct hbuf {
	uint8_t *p;
	uint32_t len, cap;
};

struct http_conn {
	htp_connp_t *connp;
	const struct http_cbs *cb; /* set during a call into libhtp */
	struct hbuf raw[2];        /* the raw header lines of the message being parsed */
	struct hbuf pend[2];       /* bytes libhtp gave back (it waits for the other side) */
	struct hbuf rest[2];       /* bytes after the head that opened a tunnel (101, CONNECT) */
	struct hbuf hold[2];       /* bytes kept back until more come (feed_lines) */
	uint8_t last[2][2];        /* the last two bytes handed to libhtp */
	uint32_t line_len[2];      /* bytes handed since the last LF ... */
	bool line_hdr[2];          /* ... and whether they can be a header line */
	const uint8_t *cur;        /* the request bytes of the call under way */
	uint32_t cur_len;
	struct hbuf head;          /* the head handed to the caller */
	struct http_hdr *hdr;
	unsigned hdr_cap;
	uint32_t open_tx;          /* requests started, responses not complete */
	size_t tx_first;           /* libhtp's transactions before it are freed */
	bool stopped, closed[2];
	bool after_09;             /* an HTTP/0.9 request completed: the client's
				    * bytes after it are not HTTP (not parsed) */
	uint8_t feeding;           /* the direction libhtp is parsing (for its messages) */
	bool decompress;           /* the configuration's */
	struct http_mem mem;       /* charges the brotli decoder */
	struct br_dec *br;         /* the response being read says "br" (brotli.c) */
	uint64_t br_sent;          /* its length as sent, for the body callback */
	/* stream offsets per direction: bytes given to http_feed, bytes
	 * libhtp took; where a 101's tunnel began (libhtp stops there) */
	uint64_t fed[2], off[2], tunnel_at[2];
	bool tunnel[2];
	/* chunk-size lines, for their extensions (libhtp 0.5 skips them):
	 * the delivery under way per direction, where the framing not yet
	 * looked at begins in it, the framing left from earlier deliveries */
	const uint8_t *buf[2];
	uint32_t buf_len[2];
	const uint8_t *scan[2];
	struct hbuf carry[2];
	bool chunked[2];           /* a chunked body is under way ... */
	bool chunk_blind[2];       /* ... whose framing cannot be followed (a gap,
				    * a body libhtp hands over decompressed) */
};

static bool hbuf_add(struct hbuf *b, const void *d, size_t n, uint32_t max)
{
	if (n > max - MIN(b->len, max))
		return false;
	if (b->len + n > b->cap) {
		uint32_t cap = b->cap ? b->cap : 256;
		while (cap < b->len + n)
			cap *= 2;
		uint8_t *np = v_realloc(b->p, cap);
		if (!np)
			return false;
		b->p = np;
		b->cap = cap;
	}
	if (n)
		memcpy(b->p + b->len, d, n);
	b->len += (uint32_t)n;
	return true;
}

static void hbuf_free(struct hbuf *b)
{
	v_free(b->p);
	memset(b, 0, sizeof(*b));
}

static struct http_conn *conn_of(htp_connp_t *connp)
{
	return htp_connp_get_user_data(connp);
}

static void event(struct http_conn *c, int ev)
{
	if (c->cb && c->cb->event)
		c->cb->event(c->cb->ctx, ev);
}

/* libhtp's messages, as Suricata maps them to its event names (by the
 * message's start; the ones not listed are http.unknown_error). */
static const struct {
	const char *msg;
	int ev;
} htp_msgs[] = {
	{ "GZip decompressor:", APP_EV_HTTP_GZIP_FAILED },
	{ "Request field invalid: colon missing", APP_EV_HTTP_REQ_MISSING_COLON },
	{ "Response field invalid: missing colon", APP_EV_HTTP_RESP_MISSING_COLON },
	{ "Request chunk encoding: Invalid chunk length", APP_EV_HTTP_CHUNK_LEN_REQ },
	{ "Response chunk encoding: Invalid chunk length", APP_EV_HTTP_CHUNK_LEN_RESP },
	{ "Invalid C-L field in response", APP_EV_HTTP_CL_INVALID_RESP },
	{ "Already seen 100-Continue", APP_EV_HTTP_100_CONTINUE_TWICE },
	{ "Unable to match response to request", APP_EV_HTTP_UNMATCHED_RESPONSE },
	{ "Invalid server port information in request", APP_EV_HTTP_INVALID_SERVER_PORT },
	{ "Request buffer over", APP_EV_HTTP_REQ_FIELD_TOO_LONG },
	{ "Response buffer over", APP_EV_HTTP_RESP_FIELD_TOO_LONG },
	{ "C-T multipart/byteranges in responses not supported", APP_EV_HTTP_MULTIPART_BYTERANGES },
	{ "Compression bomb:", APP_EV_HTTP_COMPRESSION_BOMB },
	{ "Request field invalid", APP_EV_HTTP_REQ_HEADER_INVALID },
	{ "Response field invalid", APP_EV_HTTP_RESP_HEADER_INVALID },
	{ "Request header name is not a token", APP_EV_HTTP_REQ_HEADER_INVALID },
	{ "Response header name is not a token", APP_EV_HTTP_RESP_HEADER_INVALID },
	{ "Invalid request field folding", APP_EV_HTTP_REQ_FOLDING },
	{ "Invalid response field folding", APP_EV_HTTP_RESP_FOLDING },
	{ "Request server port=", APP_EV_HTTP_PORT_MISMATCH },
	{ "Request line: URI contains non-compliant delimiter", APP_EV_HTTP_URI_DELIM },
	{ "Request line: non-compliant delimiter between Method and URI", APP_EV_HTTP_METHOD_DELIM },
	{ "Request line: leading whitespace", APP_EV_HTTP_REQ_LINE_LEADING_WS },
	{ "Request line: missing protocol", APP_EV_HTTP_REQ_LINE_NO_PROTO },
	{ "Too many response content encoding layers", APP_EV_HTTP_TOO_MANY_LAYERS },
	{ "C-E gzip has abnormal value", APP_EV_HTTP_ABNORMAL_CE },
	{ "C-E deflate has abnormal value", APP_EV_HTTP_ABNORMAL_CE },
	{ "C-E unknown setting", APP_EV_HTTP_ABNORMAL_CE },
	{ "Excessive request header repetitions", APP_EV_HTTP_REQ_HEADER_REPETITION },
	{ "Excessive response header repetitions", APP_EV_HTTP_RESP_HEADER_REPETITION },
	{ "Transfer-encoding has abnormal chunked value", APP_EV_HTTP_ABNORMAL_TE },
	{ "Chunked transfer-encoding on HTTP/0.9 or HTTP/1.0", APP_EV_HTTP_CHUNKED_OLD_PROTO },
	{ "Invalid response line: invalid protocol", APP_EV_HTTP_RESP_INVALID_PROTOCOL },
	{ "Invalid response line: invalid response status", APP_EV_HTTP_RESP_INVALID_STATUS },
	{ "Request line incomplete", APP_EV_HTTP_REQ_LINE_INCOMPLETE },
	{ "Unexpected request body", APP_EV_HTTP_REQ_BODY_UNEXPECTED },
	{ "LZMA decompressor: memory limit reached", APP_EV_HTTP_LZMA_MEMLIMIT },
	{ "Ambiguous request C-L value", APP_EV_HTTP_DUP_CL_REQ },
	{ "Ambiguous response C-L value", APP_EV_HTTP_DUP_CL_RESP },
};

static int on_log(htp_log_t *log)
{
	struct http_conn *c = log->connp ? conn_of(log->connp) : NULL;
	if (!c || !log->msg)
		return HTP_OK;
	/* the server's close runs libhtp's request side too, which fails
	 * after HTTP/0.9 as it does on the client's data (on_req_complete) */
	if (c->after_09 && !strcmp(log->msg, "Missing inbound transaction data"))
		return HTP_OK;
	int ev = APP_EV_HTTP_UNKNOWN_ERROR;
	htp_tx_t *otx = htp_connp_get_out_tx(log->connp); /* libhtp leaves log->tx unset */
	if (!strncmp(log->msg, "C-E unknown setting", 19) && otx && otx->response_headers) {
		/* libhtp 0.5 does not know "identity" (no encoding, RFC 9110)
		 * nor "br" (decoded here); libhtp-rs, Suricata 8's, accepts
		 * both */
		htp_header_t *h = htp_table_get_c(otx->response_headers, "content-encoding");
		if (h && h->value && (bstr_cmp_c_nocasenorzero(h->value, "identity") == 0 ||
				      bstr_cmp_c_nocasenorzero(h->value, "br") == 0))
			return HTP_OK;
	}
	/* one message for both directions: the side being parsed tells */
	if (!strncmp(log->msg, "Repetition for header", 21))
		ev = c->feeding ? APP_EV_HTTP_RESP_HEADER_REPETITION : APP_EV_HTTP_REQ_HEADER_REPETITION;
	else if (!strncasecmp(log->msg, "Unexpected response body", 24))
		ev = APP_EV_HTTP_RESP_BODY_UNEXPECTED;
	for (size_t i = 0; ev == APP_EV_HTTP_UNKNOWN_ERROR && i < sizeof(htp_msgs) / sizeof(htp_msgs[0]); i++)
		if (!strncmp(log->msg, htp_msgs[i].msg, strlen(htp_msgs[i].msg))) {
			ev = htp_msgs[i].ev;
			break;
		}
	event(c, ev);
	return HTP_OK;
}

/* libhtp keeps every message for the connection's life: once turned into
 * events they are freed (as libhtp allocated them), so a hostile stream
 * of warnings costs nothing that lasts. */
static void drop_messages(struct http_conn *c)
{
	htp_conn_t *conn = htp_connp_get_connection(c->connp);
	if (!conn || !conn->messages || !htp_list_size(conn->messages))
		return;
	for (size_t i = 0; i < htp_list_size(conn->messages); i++) {
		htp_log_t *log = htp_list_get(conn->messages, i);
		if (log) {
			free((void *)log->msg);
			free(log);
		}
	}
	htp_list_clear(conn->messages);
	htp_connp_clear_error(c->connp);
}

/* Whether p[0..n) lies in the delivery direction dir is parsing. */
static bool in_buf(const struct http_conn *c, int dir, const uint8_t *p, size_t n)
{
	const uint8_t *b = c->buf[dir];
	return b && p >= b && n <= c->buf_len[dir] && (size_t)(p - b) <= c->buf_len[dir] - n;
}

/* The bytes between two pieces of a chunked body (the last chunk's CRLF,
 * then the next chunk-size line and its LF) are c->carry then
 * buf[scan..upto).  A size line with ';' after its hex digits has an
 * extension (RFC 9112 7.1.1): libhtp 0.5 ignores it, libhtp-rs (Suricata
 * 8's) warns "Request/Response chunk extension", an event here as there
 * (only when the size itself parses, as there). */
#define CHUNK_FRAMING_MAX 256 /* framing bytes kept across deliveries */
static void chunk_framing(struct http_conn *c, int dir, const uint8_t *upto)
{
	if (!c->chunked[dir] || c->chunk_blind[dir] || !c->scan[dir] || upto < c->scan[dir])
		return;
	uint8_t f[CHUNK_FRAMING_MAX];
	uint32_t n = MIN(c->carry[dir].len, (uint32_t)sizeof(f));
	if (n)
		memcpy(f, c->carry[dir].p, n);
	size_t k = (size_t)(upto - c->scan[dir]);
	if (k > sizeof(f) - n) /* a size line this long: not followed */
		goto out;
	memcpy(f + n, c->scan[dir], k);
	n += (uint32_t)k;
	/* the size line: the last line of the framing, without its LF */
	while (n && (f[n - 1] == '\n' || f[n - 1] == '\r'))
		n--;
	uint32_t s = n;
	while (s && f[s - 1] != '\n')
		s--;
	while (s < n && (f[s] == ' ' || f[s] == '\t' || f[s] == '\r' || f[s] == '\v' || f[s] == '\f'))
		s++;
	uint32_t h = s;
	uint64_t v = 0;
	while (h < n && isxdigit(f[h]) && v <= INT32_MAX) {
		v = v * 16 + (uint64_t)(isdigit(f[h]) ? f[h] - '0' : (tolower(f[h]) - 'a' + 10));
		h++;
	}
	if (h > s && v <= INT32_MAX && memchr(f + h, ';', n - h))
		event(c, dir ? APP_EV_HTTP_RESP_CHUNK_EXT : APP_EV_HTTP_REQ_CHUNK_EXT);
out:
	c->carry[dir].len = 0;
}

static int raw_add(htp_tx_data_t *d, int dir)
{
	struct http_conn *c = conn_of(d->tx->connp);
	if (c && d->data && d->len)
		(void)hbuf_add(&c->raw[dir], d->data, d->len, HTTP_HEAD_MAX);
	if (c && d->data && in_buf(c, dir, d->data, d->len)) {
		/* a body's framing begins after the head's last byte */
		c->scan[dir] = d->data + d->len;
		c->carry[dir].len = 0;
	}
	return HTP_OK;
}
static int on_req_header_data(htp_tx_data_t *d) { return raw_add(d, 0); }
static int on_resp_header_data(htp_tx_data_t *d) { return raw_add(d, 1); }

static int on_req_start(htp_tx_t *tx)
{
	struct http_conn *c = conn_of(tx->connp);
	if (c) {
		c->raw[0].len = 0;
		if (++c->open_tx > HTTP_OPEN_TX_MAX)
			c->stopped = true; /* a flood of unanswered requests */
	}
	return HTP_OK;
}

static int on_resp_start(htp_tx_t *tx)
{
	struct http_conn *c = conn_of(tx->connp);
	if (c) {
		c->raw[1].len = 0;
		br_dec_free(c->br);
		c->br = NULL;
	}
	return HTP_OK;
}

/* Appends bstr s to the head buffer; records its offset and length. */
static void put(struct http_conn *c, const bstr *s, uint32_t *off, uint32_t *len, bool *ok)
{
	*off = c->head.len;
	*len = 0;
	if (!s || !*ok)
		return;
	if (!hbuf_add(&c->head, bstr_ptr(s), bstr_len(s), UINT32_MAX / 2))
		*ok = false;
	else
		*len = (uint32_t)bstr_len(s);
}

/* Builds the head of tx's request or response and hands it over;
 * line_only: a request's line alone (its headers are still to come). */
static void hand_head(struct http_conn *c, htp_tx_t *tx, bool request, bool line_only)
{
	if (!c->cb || c->stopped)
		return;
	int dir = request ? 0 : 1;
	struct http_head h;
	memset(&h, 0, sizeof(h));
	c->head.len = 0;
	bool ok = true;
	struct { uint32_t off, len; } line, a, b, cc, raw, norm;
	memset(&norm, 0, sizeof(norm));
	if (request) {
		put(c, tx->request_line, &line.off, &line.len, &ok);
		put(c, tx->request_method, &a.off, &a.len, &ok);
		put(c, tx->request_uri, &b.off, &b.len, &ok);
		put(c, tx->request_protocol, &cc.off, &cc.len, &ok);
		/* http.uri as Suricata builds it from libhtp's parsed URI:
		 * the normalised path, then ?query URL-decoded (libhtp's
		 * "urlencoded" decoder, as Suricata's normalised URI does) and
		 * #fragment as sent */
		const htp_uri_t *u = tx->parsed_uri;
		norm.off = c->head.len;
		if (u && (u->path || u->query || u->fragment)) {
			h.has_uri_norm = true;
			uint32_t o, l;
			if (u->path)
				put(c, u->path, &o, &l, &ok);
			if (u->query && ok) {
				ok = hbuf_add(&c->head, "?", 1, UINT32_MAX / 2);
				bstr *q = bstr_dup(u->query);
				uint64_t fl = 0;
				if (q)
					htp_urldecode_inplace(tx->cfg, HTP_DECODER_URLENCODED, q, &fl);
				put(c, q ? q : u->query, &o, &l, &ok);
				bstr_free(q);
			}
			if (u->fragment && ok) {
				ok = hbuf_add(&c->head, "#", 1, UINT32_MAX / 2);
				put(c, u->fragment, &o, &l, &ok);
			}
			norm.len = c->head.len - norm.off;
		}
	} else {
		put(c, tx->response_line, &line.off, &line.len, &ok);
		put(c, tx->response_protocol, &cc.off, &cc.len, &ok);
		put(c, tx->response_status, &a.off, &a.len, &ok);
		put(c, tx->response_message, &b.off, &b.len, &ok);
	}
	raw.off = c->head.len;
	raw.len = line_only ? 0 : c->raw[dir].len;
	if (ok && raw.len)
		ok = hbuf_add(&c->head, c->raw[dir].p, raw.len, UINT32_MAX / 2);
	htp_table_t *t = request ? tx->request_headers : tx->response_headers;
	size_t n = t && !line_only ? htp_table_size(t) : 0;
	n = MIN(n, (size_t)HTTP_MAX_HEADERS);
	if (n > c->hdr_cap) {
		struct http_hdr *nh = v_realloc(c->hdr, n * sizeof(*nh));
		if (!nh)
			return;
		c->hdr = nh;
		c->hdr_cap = (unsigned)n;
	}
	/* offsets now, pointers once the buffer stops moving */
	uint32_t *hoff = NULL;
	if (n && !(hoff = v_malloc(n * 2 * sizeof(*hoff))))
		return;
	for (size_t i = 0; i < n && ok; i++) {
		htp_header_t *hd = htp_table_get_index(t, i, NULL);
		put(c, hd ? hd->name : NULL, &hoff[2 * i], &c->hdr[i].name_len, &ok);
		put(c, hd ? hd->value : NULL, &hoff[2 * i + 1], &c->hdr[i].val_len, &ok);
	}
	if (!ok) {
		v_free(hoff);
		return;
	}
	const uint8_t *base = c->head.p ? c->head.p : (const uint8_t *)"";
	for (size_t i = 0; i < n; i++) {
		c->hdr[i].name = base + hoff[2 * i];
		c->hdr[i].val = base + hoff[2 * i + 1];
	}
	v_free(hoff);
#define VIEW(p_, l_, v_, always_) do { (p_) = (v_).len || (always_) ? base + (v_).off : NULL; \
					      (l_) = (v_).len; } while (0)
	VIEW(h.line, h.line_len, line, true);
	VIEW(h.headers, h.headers_len, raw, false);
	if (request) {
		VIEW(h.method, h.method_len, a, true);
		VIEW(h.uri, h.uri_len, b, true);
		VIEW(h.proto, h.proto_len, cc, false);
		h.uri_norm = base + norm.off;
		h.uri_norm_len = norm.len;
		h.content_length = tx->request_content_length;
		h.chunked = tx->request_transfer_coding == HTP_CODING_CHUNKED;
	} else {
		VIEW(h.proto, h.proto_len, cc, false);
		VIEW(h.status, h.status_len, a, false);
		VIEW(h.msg, h.msg_len, b, false);
		h.code = tx->response_status_number > 0 && tx->response_status_number < 1000
				 ? (uint16_t)tx->response_status_number : 0;
		h.content_length = tx->response_content_length;
		h.chunked = tx->response_transfer_coding == HTP_CODING_CHUNKED;
	}
#undef VIEW
	h.nhdr = (unsigned)n;
	h.hdr = c->hdr;
	h.tx_index = tx->index;
	h.line_only = line_only;
	c->cb->head(c->cb->ctx, request, &h, base, c->head.len);
	/* the caller copied what it keeps: an idle connection holds none
	 * of this (a few KiB per flow otherwise) */
	hbuf_free(&c->head);
	if (!line_only)
		hbuf_free(&c->raw[dir]);
	v_free(c->hdr);
	c->hdr = NULL;
	c->hdr_cap = 0;
}

/* A request line without a protocol is HTTP/0.9 to libhtp 0.5 (no
 * headers follow); Suricata 8 reads it as 0.9 only when nothing but blanks
 * follows it in the same data, otherwise as a request whose headers follow
 * (a client that left the protocol out still sends them).  The bytes after
 * the line are in the call being parsed (c->cur). */
static int req_line_09(htp_tx_t *tx)
{
	struct http_conn *c = conn_of(tx->connp);
	if (!c || !tx->is_protocol_0_9 || !tx->request_line || !c->cur)
		return HTP_OK;
	/* the line: at the start of a line of the data, ending there */
	const uint8_t *end = c->cur + c->cur_len, *at = c->cur, *p = NULL;
	size_t ln = bstr_len(tx->request_line);
	const uint8_t *l;
	while (ln && (l = memmem(at, (size_t)(end - at), bstr_ptr(tx->request_line), ln))) {
		const uint8_t *e = l + ln;
		if (e < end && *e == '\r')
			e++;
		if ((l == c->cur || l[-1] == '\n') && e < end && *e == '\n') {
			p = e;
			break;
		}
		at = l + 1;
	}
	if (!p)
		return HTP_OK;
	for (p++; p < end; p++)
		if (!isspace(*p)) {
			tx->is_protocol_0_9 = 0;
			break;
		}
	return HTP_OK;
}

/* The request line is parsed: rules on the method, the URI and the line
 * run now, as Suricata's do at this progress, not only once the headers
 * are complete (they may never be). */
static int on_req_line(htp_tx_t *tx)
{
	req_line_09(tx);
	struct http_conn *c = conn_of(tx->connp);
	if (c && !tx->is_protocol_0_9)
		hand_head(c, tx, true, true);
	return HTP_OK;
}

static int on_req_headers(htp_tx_t *tx)
{
	struct http_conn *c = conn_of(tx->connp);
	if (!c)
		return HTP_OK;
	/* the request's flags, as Suricata turns them into events */
	if (tx->flags & HTP_REQUEST_INVALID_T_E)
		event(c, APP_EV_HTTP_TE_INVALID_REQ);
	if (tx->flags & HTP_REQUEST_INVALID_C_L)
		event(c, APP_EV_HTTP_CL_INVALID_REQ);
	if (tx->flags & HTP_HOST_MISSING)
		event(c, APP_EV_HTTP_MISSING_HOST);
	if (tx->flags & HTP_HOST_AMBIGUOUS)
		event(c, APP_EV_HTTP_HOST_AMBIGUOUS);
	if (tx->flags & HTP_HOSTU_INVALID)
		event(c, APP_EV_HTTP_URI_HOST_INVALID);
	if (tx->flags & HTP_HOSTH_INVALID)
		event(c, APP_EV_HTTP_HEADER_HOST_INVALID);
	if (tx->request_auth_type == HTP_AUTH_UNRECOGNIZED)
		event(c, APP_EV_HTTP_AUTH_UNRECOGNIZED);
	if (!tx->request_protocol || !bstr_len(tx->request_protocol))
		event(c, APP_EV_HTTP_REQ_LINE_NO_PROTO);
	if (tx->is_protocol_0_9 && tx->request_method_number == HTP_M_UNKNOWN &&
	    (tx->request_protocol_number == HTP_PROTOCOL_INVALID ||
	     tx->request_protocol_number == HTP_PROTOCOL_UNKNOWN))
		event(c, APP_EV_HTTP_REQ_LINE_INVALID);
	htp_tx_set_user_data(tx, (void *)1); /* its head was handed over */
	c->chunked[0] = tx->request_transfer_coding == HTP_CODING_CHUNKED;
	c->chunk_blind[0] = false;
	hand_head(c, tx, true, false);
	return HTP_OK;
}

static int on_resp_headers(htp_tx_t *tx)
{
	struct http_conn *c = conn_of(tx->connp);
	if (!c)
		return HTP_OK;
	if (tx->response_transfer_coding == HTP_CODING_INVALID)
		event(c, APP_EV_HTTP_TE_INVALID_RESP);
	/* brotli, which libhtp 0.5 leaves as sent: as libhtp-rs, only a
	 * Content-Encoding that is "br" alone (without memory for the
	 * decoder, the body goes as sent) */
	br_dec_free(c->br);
	c->br = NULL;
	htp_header_t *ce = tx->response_headers ? htp_table_get_c(tx->response_headers, "content-encoding")
						: NULL;
	if (c->decompress && ce && ce->value && bstr_cmp_c_nocasenorzero(ce->value, "br") == 0)
		c->br = br_dec_new(&c->mem);
	c->chunked[1] = tx->response_transfer_coding == HTP_CODING_CHUNKED;
	c->chunk_blind[1] = false;
	hand_head(c, tx, false, false);
	return HTP_OK;
}

/* A piece of a chunked body: the framing before it holds its size line. */
static void chunk_piece(struct http_conn *c, int dir, const uint8_t *p, size_t n)
{
	if (!c->chunked[dir] || !n)
		return;
	if (!p || !in_buf(c, dir, p, n)) {
		c->chunk_blind[dir] = true; /* a gap, or decompressed bytes */
		c->carry[dir].len = 0;
		return;
	}
	chunk_framing(c, dir, p);
	c->scan[dir] = p + n;
}

static int on_trailer(htp_tx_data_t *d, int dir)
{
	struct http_conn *c = conn_of(d->tx->connp);
	if (c && c->chunked[dir]) {
		/* the trailer (or the blank line ending the body) follows
		 * the last chunk's size line */
		if (d->data && in_buf(c, dir, d->data, d->len))
			chunk_framing(c, dir, d->data);
		c->chunked[dir] = false;
	}
	return HTP_OK;
}
static int on_req_trailer(htp_tx_data_t *d) { return on_trailer(d, 0); }
static int on_resp_trailer(htp_tx_data_t *d) { return on_trailer(d, 1); }

static int body_data(htp_tx_data_t *d, bool request)
{
	struct http_conn *c = conn_of(d->tx->connp);
	if (c && d->len)
		chunk_piece(c, request ? 0 : 1, d->data, d->len);
	/* data NULL: a hole the capture lost (http_gap), len bytes of body */
	if (c && c->cb && !c->stopped && d->len)
		c->cb->body(c->cb->ctx, request, d->data, (uint32_t)MIN(d->len, (size_t)UINT32_MAX),
			    (uint64_t)MAX(0, request ? d->tx->request_message_len
						  : d->tx->response_message_len));
	return HTP_OK;
}
static int on_req_body(htp_tx_data_t *d) { return body_data(d, true); }

static void br_out(void *ctx, const uint8_t *p, size_t n)
{
	struct http_conn *c = ctx;
	if (c->cb && !c->stopped && n)
		c->cb->body(c->cb->ctx, false, p, (uint32_t)MIN(n, (size_t)UINT32_MAX), c->br_sent);
}

static int on_resp_body(htp_tx_data_t *d)
{
	struct http_conn *c = conn_of(d->tx->connp);
	if (!c || !c->br)
		return body_data(d, false);
	if (d->len)
		chunk_piece(c, 1, d->data, d->len);
	if (!c->cb || c->stopped || !d->data || !d->len)
		return HTP_OK;
	c->br_sent = (uint64_t)MAX(0, d->tx->response_message_len);
	int rc = br_dec_feed(c->br, d->data, d->len, br_out, c);
	if (rc == BR_BOMB_SIZE || rc == BR_BOMB_TIME)
		event(c, APP_EV_HTTP_COMPRESSION_BOMB);
	return HTP_OK;
}

static int on_req_complete(htp_tx_t *tx)
{
	struct http_conn *c = conn_of(tx->connp);
	/* an HTTP/0.9 request (or one the response cut short) completes
	 * without a headers stage: its line is its head */
	if (c && !htp_tx_get_user_data(tx) && tx->request_line)
		on_req_headers(tx);
	/* after an HTTP/0.9 request libhtp 0.5 ignores the client's data,
	 * but only once its own check for a transaction under way has
	 * failed ("Missing inbound transaction data", a parser error);
	 * libhtp-rs (Suricata 8's) ignores it quietly: so does vigil, by
	 * not handing it over */
	if (c && tx->is_protocol_0_9)
		c->after_09 = true;
	if (c)
		c->chunked[0] = false;
	if (c && c->cb && !c->stopped)
		c->cb->end(c->cb->ctx, true, (uint64_t)MAX(0, tx->request_message_len));
	return HTP_OK;
}

static int on_resp_complete(htp_tx_t *tx)
{
	struct http_conn *c = conn_of(tx->connp);
	if (!c)
		return HTP_OK;
	if (c->open_tx)
		c->open_tx--;
	c->chunked[1] = false;
	br_dec_free(c->br);
	c->br = NULL;
	if (c->cb && !c->stopped)
		c->cb->end(c->cb->ctx, false, (uint64_t)MAX(0, tx->response_message_len));
	return HTP_OK;
}

/* http_time_limit_config */
static uint32_t bomb_time_us = HTTP_BOMB_TIME_US;

static struct http_cfg *cfg_new(int decompress_layers)
{
	struct http_cfg *c = v_calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	htp_cfg_t *h = c->htp = htp_config_create();
	if (!h) {
		v_free(c);
		return NULL;
	}
	c->decompress = decompress_layers > 0;
	/* Suricata's defaults: the IDS personality without lower-casing
	 * the path, no '+' to space, cookies not parsed, LZMA off, the
	 * compression-bomb limits; request bodies are decompressed by
	 * body.c (see there) */
	htp_config_set_server_personality(h, HTP_SERVER_IDS);
	htp_config_set_convert_lowercase(h, HTP_DECODER_URL_PATH, 0);
	htp_config_set_plusspace_decode(h, HTP_DECODER_URLENCODED, 0);
	htp_config_set_parse_request_cookies(h, 0);
	htp_config_set_request_decompression(h, 0); /* body.c does it */
	htp_config_set_response_decompression(h, decompress_layers > 0);
	if (decompress_layers > 0)
		htp_config_set_response_decompression_layer_limit(h, decompress_layers);
	htp_config_set_lzma_layers(h, 0);
	htp_config_set_lzma_memlimit(h, 1024 * 1024);
	htp_config_set_compression_bomb_limit(h, HTTP_BOMB_LIMIT);
	htp_config_set_compression_time_limit(h, (int)bomb_time_us);
	htp_config_set_field_limits(h, 9000, 18000);
	htp_config_set_number_headers_limit(h, HTTP_MAX_HEADERS);
	htp_config_register_log(h, on_log);
	htp_config_register_request_start(h, on_req_start);
	htp_config_register_request_line(h, on_req_line);
	htp_config_register_request_header_data(h, on_req_header_data);
	htp_config_register_request_headers(h, on_req_headers);
	htp_config_register_request_body_data(h, on_req_body);
	htp_config_register_request_trailer_data(h, on_req_trailer);
	htp_config_register_request_complete(h, on_req_complete);
	htp_config_register_response_start(h, on_resp_start);
	htp_config_register_response_header_data(h, on_resp_header_data);
	htp_config_register_response_headers(h, on_resp_headers);
	htp_config_register_response_body_data(h, on_resp_body);
	htp_config_register_response_trailer_data(h, on_resp_trailer);
	htp_config_register_response_complete(h, on_resp_complete);
	return c;
}

/* One configuration per layer limit for the process: libhtp only reads
 * it once made, so the workers share it. */
void http_time_limit_config(uint32_t us)
{
	bomb_time_us = us ? us : HTTP_BOMB_TIME_US;
}

uint32_t http_bomb_time_us(void)
{
	return bomb_time_us;
}

struct http_cfg *http_cfg_get(int decompress_layers)
{
	static struct http_cfg *cfgs[HTTP_LAYERS_MAX + 1];
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	int k = decompress_layers < 0 ? 0 : MIN(decompress_layers, HTTP_LAYERS_MAX);
	pthread_mutex_lock(&lock);
	if (!cfgs[k])
		cfgs[k] = cfg_new(k);
	struct http_cfg *c = cfgs[k];
	pthread_mutex_unlock(&lock);
	return c;
}

struct http_conn *http_conn_new(struct http_cfg *cfg, uint16_t sp, uint16_t dp,
				const struct http_mem *mem)
{
	if (!cfg)
		return NULL;
	struct http_conn *c = v_calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->decompress = cfg->decompress;
	if (mem)
		c->mem = *mem;
	c->connp = htp_connp_create(cfg->htp);
	if (!c->connp) {
		v_free(c);
		return NULL;
	}
	htp_connp_set_user_data(c->connp, c);
	struct timeval tv = { 0, 0 };
	htp_connp_open(c->connp, NULL, sp, NULL, dp, &tv);
	return c;
}

/* libhtp gave up: no more parsing on this connection, counted once */
static void parser_error(struct http_conn *c)
{
	if (!c->stopped && c->cb && c->cb->event)
		c->cb->event(c->cb->ctx, HTTP_EV_PARSER_ERROR);
	c->stopped = true;
}

/* After a delivery: the framing libhtp took and no body piece followed
 * yet (a chunk-size line cut by the delivery's end) is kept for the next. */
static void chunk_carry(struct http_conn *c, int dir, const uint8_t *d, size_t used)
{
	const uint8_t *s = c->scan[dir];
	c->buf[dir] = c->scan[dir] = NULL;
	c->buf_len[dir] = 0;
	if (!c->chunked[dir] || c->chunk_blind[dir] || !s || s < d || (size_t)(s - d) >= used)
		return;
	if (!hbuf_add(&c->carry[dir], s, used - (size_t)(s - d), CHUNK_FRAMING_MAX))
		c->chunk_blind[dir] = true; /* a size line this long: not followed */
}

/* One call into libhtp for direction dir; keeps what it did not take. */
static void feed_one(struct http_conn *c, int dir, const uint8_t *d, uint32_t n)
{
	static const struct timeval tv = { 0, 0 };
	if (!dir && c->after_09) {
		c->off[0] += n; /* not HTTP (http_feed) */
		return;
	}
	if (!dir) {
		c->cur = d;
		c->cur_len = n;
	}
	c->feeding = (uint8_t)dir;
	c->buf[dir] = c->scan[dir] = d;
	c->buf_len[dir] = n;
	int r = dir ? htp_connp_res_data(c->connp, &tv, d, n)
		    : htp_connp_req_data(c->connp, &tv, d, n);
	c->cur = NULL;
	chunk_carry(c, dir, d, r == HTP_STREAM_DATA_OTHER ? (dir ? htp_connp_res_data_consumed(c->connp)
							       : htp_connp_req_data_consumed(c->connp)) : n);
	c->pend[dir].len = 0;
	if (r == HTP_STREAM_DATA_OTHER && !c->stopped) {
		size_t used = dir ? htp_connp_res_data_consumed(c->connp)
				  : htp_connp_req_data_consumed(c->connp);
		c->off[dir] += MIN(used, (size_t)n);
		if (used < n && !hbuf_add(&c->pend[dir], d + used, n - used, HTTP_PENDING_MAX))
			c->pend[dir].len = 0; /* too much held back: dropped */
		return;
	}
	if (r == HTP_STREAM_TUNNEL) {
		/* a 101 (or the request it answered), a CONNECT's 2xx: what
		 * follows its head is another protocol's, from this offset
		 * (http_tunnel_at), and those bytes of this delivery are kept
		 * (http_tunnel_rest) */
		size_t used = dir ? htp_connp_res_data_consumed(c->connp)
				  : htp_connp_req_data_consumed(c->connp);
		if (!c->tunnel[dir]) {
			c->tunnel[dir] = true;
			c->tunnel_at[dir] = c->off[dir] + MIN(used, (size_t)n);
		}
		if (used < n && !c->rest[dir].len)
			(void)hbuf_add(&c->rest[dir], d + used, n - used, HTTP_PENDING_MAX);
	}
	c->off[dir] += n;
	if (r == HTP_STREAM_ERROR) {
		parser_error(c);
	}
}

bool http_tunnel_rest(struct http_conn *c, int dir, const uint8_t **p, uint32_t *n)
{
	if (!c || !c->rest[dir & 1].len)
		return false;
	*p = c->rest[dir & 1].p;
	*n = c->rest[dir & 1].len;
	return true;
}

/* Frees the transactions both sides are done with.  Not libhtp's
 * tx_auto_destroy: that frees a transaction the request parser may still
 * stand on (an HTTP/0.9 request answered before its line was consumed),
 * after which libhtp stops with "Missing inbound transaction data". */
static void drop_done(struct http_conn *c)
{
	htp_conn_t *conn = htp_connp_get_connection(c->connp);
	if (!conn || !conn->transactions)
		return;
	htp_tx_t *in = htp_connp_get_in_tx(c->connp), *out = htp_connp_get_out_tx(c->connp);
	size_t n = htp_list_size(conn->transactions);
	for (size_t i = c->tx_first; i < n; i++) {
		htp_tx_t *tx = htp_list_get(conn->transactions, i);
		if (!tx) {
			if (i == c->tx_first)
				c->tx_first++;
			continue;
		}
		if (tx == in || tx == out || tx->request_progress != HTP_REQUEST_COMPLETE ||
		    tx->response_progress != HTP_RESPONSE_COMPLETE)
			break;
		htp_tx_destroy(tx);
		c->tx_first = i + 1;
	}
}

/* Hands data to libhtp behind any bytes it gave back earlier. */
static void deliver(struct http_conn *c, int dir, const uint8_t *data, uint32_t len)
{
	if (!len || c->stopped)
		return;
	/* the last two bytes given, and whether the line they end can be a
	 * header (feed_lines' look behind) */
	c->last[dir][0] = len >= 2 ? data[len - 2] : c->last[dir][1];
	c->last[dir][1] = data[len - 1];
	const uint8_t *nl = memrchr(data, '\n', len);
	const uint8_t *ls = nl ? nl + 1 : data;
	if (nl) {
		c->line_len[dir] = 0;
		c->line_hdr[dir] = false;
	}
	uint32_t k = (uint32_t)(data + len - ls);
	if (k && !c->line_len[dir])
		c->line_hdr[dir] = ls[0] == ' ' || ls[0] == '\t';
	if (k && memchr(ls, ':', k))
		c->line_hdr[dir] = true;
	c->line_len[dir] = (uint32_t)MIN((uint64_t)c->line_len[dir] + k, (uint64_t)UINT32_MAX);
	if (c->pend[dir].len) {
		if (!hbuf_add(&c->pend[dir], data, len, HTTP_PENDING_MAX)) {
			c->pend[dir].len = 0;
			c->stopped = true;
			return;
		}
		struct hbuf p = c->pend[dir];
		c->pend[dir] = (struct hbuf){ 0 };
		feed_one(c, dir, p.p, p.len);
		hbuf_free(&p);
	} else {
		feed_one(c, dir, data, len);
	}
}

/* The stage of the message libhtp is reading in direction dir
 * (HTP_REQUEST_* values; the response's are the same numbers). */
static int stage(struct http_conn *c, int dir, bool *chunked)
{
	htp_tx_t *tx = dir ? htp_connp_get_out_tx(c->connp) : htp_connp_get_in_tx(c->connp);
	*chunked = tx && (dir ? tx->response_transfer_coding : tx->request_transfer_coding) ==
				 HTP_CODING_CHUNKED;
	return !tx ? HTP_REQUEST_NOT_STARTED : dir ? (int)tx->response_progress
						     : (int)tx->request_progress;
}

/* Hands n bytes to libhtp, keeping some back for now (in c->hold).
 * libhtp 0.5 decides some things from what one call gives it: whether a
 * header line is folded (it peeks at the byte after the line's LF), whether
 * a body said to be chunked is (it probes the chunk-size line once 8 bytes
 * are in one call).  Split into small segments, the same bytes would read
 * differently; so in a head a final LF waits for the byte after it, and in
 * a chunked body a short unfinished line waits for its end (or 64 bytes,
 * or the close).  The result no longer depends on how TCP cut the stream.
 * Bodies that are neither go straight through. */
static void feed_lines(struct http_conn *c, int dir, const uint8_t *d, uint32_t n)
{
	bool chunked;
	int st = stage(c, dir, &chunked);
	if (st == HTP_REQUEST_BODY && !chunked) {
		deliver(c, dir, d, n);
		return;
	}
	const uint8_t *lf = memrchr(d, '\n', n);
	uint32_t upto = lf ? (uint32_t)(lf - d) + 1 : 0; /* complete lines */
	uint32_t from = 0;                                /* not handed over yet */
	/* only a line that can be a header (name: value, or a folded
	 * continuation) may need the byte after its LF; any other line goes
	 * with its LF in the same call, as libhtp would read it whole */
	bool headerish = false;
	if (upto) {
		uint32_t e = upto - 1, s0 = e;
		while (s0 && d[s0 - 1] != '\n')
			s0--;
		if (s0 == 0 && c->line_len[dir]) {
			/* the line began in what was handed over before */
			headerish = c->line_hdr[dir] || (e && memchr(d, ':', e));
		} else {
			if (e > s0 && d[e - 1] == '\r')
				e--;
			headerish = e > s0 && (d[s0] == ' ' || d[s0] == '\t' ||
					       memchr(d + s0, ':', e - s0));
		}
	}
	if (upto && !headerish) {
		deliver(c, dir, d, upto);
		from = upto;
	} else if (upto) {
		deliver(c, dir, d, upto - 1);
		from = upto - 1;
		st = stage(c, dir, &chunked);
		/* a header line's LF: the byte after it says whether the next
		 * line continues this one, so they go together, or the LF waits
		 * (the blank line that ends a head needs no look ahead) */
		uint8_t b1 = c->last[dir][1], b2 = c->last[dir][0];
		bool blank = b1 == '\n' || (b1 == '\r' && b2 == '\n');
		if (st == HTP_REQUEST_HEADERS && !blank) {
			if (upto == n) {
				if (!c->stopped && !hbuf_add(&c->hold[dir], "\n", 1, 1))
					c->stopped = true;
				return;
			}
			deliver(c, dir, d + from, n - from);
			return;
		}
		deliver(c, dir, d + from, 1);
		from = upto;
	}
	uint32_t tail = n - from;
	if (!tail)
		return;
	st = stage(c, dir, &chunked);
	if (st == HTP_REQUEST_BODY && chunked && tail < 64 && !c->stopped) {
		if (!hbuf_add(&c->hold[dir], d + from, tail, 64))
			c->stopped = true;
		return;
	}
	deliver(c, dir, d + from, tail);
}

void http_gap(struct http_conn *c, int dir, uint32_t len, const struct http_cbs *cb)
{
	if (!c || c->stopped || c->closed[dir] || !len)
		return;
	if (dir == 0 && c->after_09) {
		c->fed[0] += len;
		return;
	}
	c->cb = cb;
	c->fed[dir] += len;
	c->off[dir] = c->fed[dir];
	/* what was held back for a line cannot be completed any more */
	hbuf_free(&c->hold[dir]);
	c->hold[dir] = (struct hbuf){ 0 };
	c->pend[dir].len = 0;
	c->line_len[dir] = 0;
	c->line_hdr[dir] = false;
	static const struct timeval tv = { 0, 0 };
	c->feeding = (uint8_t)dir;
	c->chunk_blind[dir] = true; /* the framing in the hole is not seen */
	c->carry[dir].len = 0;
	int r = dir ? htp_connp_res_data(c->connp, &tv, NULL, len) : htp_connp_req_data(c->connp, &tv, NULL, len);
	if (r == HTP_STREAM_ERROR)
		parser_error(c);
	drop_messages(c);
	drop_done(c);
	c->cb = NULL;
}

void http_feed(struct http_conn *c, int dir, const uint8_t *data, uint32_t len,
	       const struct http_cbs *cb)
{
	if (!c || c->stopped || c->closed[dir])
		return;
	if (dir == 0 && c->after_09) {
		/* what follows an HTTP/0.9 request is not parsed (its close
		 * neither: libhtp would fail it the same way) */
		c->fed[0] += len;
		if (!data)
			c->closed[0] = true;
		return;
	}
	c->cb = cb;
	c->fed[dir] += len;
	static const struct timeval tv = { 0, 0 };
	struct hbuf *h = &c->hold[dir];
	/* the other side speaking means this one paused: what it kept
	 * back goes now */
	if (c->hold[!dir].len) {
		struct hbuf t = c->hold[!dir];
		c->hold[!dir] = (struct hbuf){ 0 };
		deliver(c, !dir, t.p, t.len);
		hbuf_free(&t);
	}
	if (!data) {
		if (h->len) {
			struct hbuf t = *h;
			*h = (struct hbuf){ 0 };
			deliver(c, dir, t.p, t.len);
			hbuf_free(&t);
		}
		/* a head the close cut short still counts (Suricata 8 reads
		 * "GET /" followed by a reset as a request, a status line and
		 * headers followed by FIN as a response): its line and the
		 * blank line are supplied */
		for (int k = 0; k < 2 && !c->stopped; k++) {
			htp_tx_t *tx = dir ? htp_connp_get_out_tx(c->connp)
					   : htp_connp_get_in_tx(c->connp);
			int pr = !tx ? -1 : dir ? (int)tx->response_progress : (int)tx->request_progress;
			if (pr != HTP_REQUEST_LINE && pr != HTP_REQUEST_HEADERS)
				break;
			feed_one(c, dir, (const uint8_t *)"\r\n", 2);
		}
		c->closed[dir] = true;
		if (dir == 0)
			htp_connp_req_close(c->connp, &tv);
		else
			htp_connp_close(c->connp, &tv);
	} else if (len) {
		struct hbuf t = { 0 };
		const uint8_t *d = data;
		uint32_t n = len;
		if (h->len) {
			/* the bytes kept back go first, in the same call */
			if (!hbuf_add(h, data, len, UINT32_MAX / 2)) {
				h->len = 0;
				c->stopped = true;
				goto out;
			}
			t = *h;
			*h = (struct hbuf){ 0 };
			d = t.p;
			n = t.len;
		}
		feed_lines(c, dir, d, n);
		hbuf_free(&t);
	}
	/* the other side may have been waiting for this one */
	int o = !dir;
	if (!c->stopped && c->pend[o].len) {
		struct hbuf p = c->pend[o];
		c->pend[o] = (struct hbuf){ 0 };
		feed_one(c, o, p.p, p.len);
		hbuf_free(&p);
	}
out:
	drop_messages(c);
	drop_done(c);
	c->cb = NULL;
}

uint64_t http_fed(const struct http_conn *c, int dir)
{
	return c ? c->fed[dir & 1] : 0;
}

bool http_tunnel_at(const struct http_conn *c, int dir, uint64_t *off)
{
	if (!c || !c->tunnel[dir & 1])
		return false;
	*off = c->tunnel_at[dir & 1];
	return true;
}

void http_stop(struct http_conn *c)
{
	if (c)
		c->stopped = true;
}

void http_conn_free(struct http_conn *c)
{
	if (!c)
		return;
	htp_connp_destroy_all(c->connp);
	hbuf_free(&c->rest[0]);
	hbuf_free(&c->rest[1]);
	br_dec_free(c->br);
	for (int d = 0; d < 2; d++) {
		hbuf_free(&c->raw[d]);
		hbuf_free(&c->pend[d]);
		hbuf_free(&c->hold[d]);
		hbuf_free(&c->carry[d]);
	}
	hbuf_free(&c->head);
	v_free(c->hdr);
	v_free(c);
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

const struct http_hdr *http_header(const struct http_head *h, const char *name)
{
	for (unsigned i = 0; i < h->nhdr; i++)
		if (ieq(h->hdr[i].name, h->hdr[i].name_len, name))
			return &h->hdr[i];
	return NULL;
}

/* Reads decimal digits at *p (at most 18: no overflow); -1 if none. */
static int64_t range_num(const uint8_t **p, const uint8_t *end)
{
	int64_t v = 0;
	int k = 0;
	while (*p < end && **p >= '0' && **p <= '9' && k < 18) {
		v = v * 10 + (**p - '0');
		(*p)++;
		k++;
	}
	return k ? v : -1;
}

bool http_content_range(const uint8_t *v, uint32_t n, struct http_range *r)
{
	const uint8_t *p = v, *end = v + n;
	r->start = r->end = r->size = -1;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (end - p < 6 || strncasecmp((const char *)p, "bytes", 5))
		return false;
	p += 5;
	if (*p != ' ')
		return false;
	while (p < end && *p == ' ')
		p++;
	if (p < end && *p == '*') {
		p++;
	} else {
		if ((r->start = range_num(&p, end)) < 0 || p >= end || *p++ != '-' ||
		    (r->end = range_num(&p, end)) < r->start)
			return false;
	}
	if (p >= end || *p++ != '/')
		return false;
	if (p < end && *p == '*') {
		p++;
		if (r->start < 0)
			return false; /* "* / *" says nothing */
	} else if ((r->size = range_num(&p, end)) < 0) {
		return false;
	}
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p == end;
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
		if (req->port >= 0)
			jb_u64(jb, "http_port", (uint64_t)req->port);
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
		/* as Suricata: the header as sent and, when it parses, its
		 * numbers */
		const struct http_hdr *cr = http_header(&resp->h, "content-range");
		struct http_range rg;
		if (cr) {
			jb_open_object(jb, "content_range");
			jb_strn(jb, "raw", cr->val, cr->val_len);
			if (http_content_range(cr->val, cr->val_len, &rg)) {
				if (rg.start >= 0)
					jb_u64(jb, "start", (uint64_t)rg.start);
				if (rg.end >= 0)
					jb_u64(jb, "end", (uint64_t)rg.end);
				if (rg.size >= 0)
					jb_u64(jb, "size", (uint64_t)rg.size);
			}
			jb_close(jb);
		}
	}
	/* the response body's length, 0 before a response (Suricata writes
	 * it in every extended record) */
	jb_u64(jb, "length", resp ? resp->body_len : 0);
	if (req && (headers & 1))
		header_list(jb, "request_headers", req);
	if (resp && (headers & 2))
		header_list(jb, "response_headers", resp);
}

