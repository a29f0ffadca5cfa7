/*
 * Unit tests for the stream parsers (HTTP, TLS, SSH): each conversation is
 * fed whole, then one byte at a time, and must give the same fields both
 * ways; bodies are de-chunked and decompressed, capped by the limit and the
 * memcap; certificates are read from a chain built here with OpenSSL.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <zlib.h>
#include <brotli/encode.h>
#include <nghttp2/nghttp2.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>


#include "app.h"
#include "app_int.h"
#include "counters.h"
#include "file.h"
#include "json.h"
#include "pktgen.h"
#include "stream.h"
#include "testutil.h"

#ifndef MIN
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#endif

static struct counters cnt;

static void ctx_init(struct app_ctx *a, uint32_t limit, uint64_t memcap)
{
	struct app_cfg c = { limit, limit, memcap, false, 0, 0 };
	app_ctx_init(a, &c, &cnt);
}

static void flow_init(struct flow *f, uint16_t alp)
{
	memset(f, 0, sizeof(*f));
	f->key.proto = 6;
	f->key.dp = 443;
	f->alproto = alp;
}

/* Feeds d/n as one direction's stream in pieces of step bytes (0: whole);
 * each piece is a separate "packet" (the tx is reset before it).  cb is
 * called after every piece to collect what the packet exposed. */
typedef void (*seen_fn)(const struct app_tx *tx, void *ud);
static void feed(struct app_ctx *a, struct flow *f, int dir, const uint8_t *d, size_t n,
		 size_t step, seen_fn cb, void *ud)
{
	size_t off = 0;
	while (off < n) {
		size_t k = step ? MIN(step, n - off) : n - off;
		app_tx_reset(a);
		app_stream_data(a, f, dir, guard_copy(d + off, k), (uint32_t)k, 0);
		if (cb)
			cb(&a->tx, ud);
		off += k;
	}
}

/* ---- HTTP ---- */

struct http_seen {
	char uri[64], host[256], status[8];
	uint8_t body[2][512];
	uint32_t body_len[2];
	unsigned heads, bodies;
	app_events_t events;
};

static void http_cb(const struct app_tx *tx, void *ud)
{
	struct http_seen *s = ud;
	if (tx->http_req && (tx->http_fresh & HTTP_P_REQ_HEAD)) {
		snprintf(s->uri, sizeof(s->uri), "%.*s", (int)tx->http_req->h.uri_len,
			 (const char *)tx->http_req->h.uri);
		snprintf(s->host, sizeof(s->host), "%s", tx->http_req->host);
		s->heads++;
	}
	if (tx->http_resp && (tx->http_fresh & HTTP_P_RESP_HEAD)) {
		snprintf(s->status, sizeof(s->status), "%u", tx->http_resp->h.code);
		s->heads++;
	}
	for (int d = 0; d < 2; d++)
		if (tx->body[d]) {
			uint32_t k = MIN(tx->body_len[d], (uint32_t)sizeof(s->body[d]));
			memcpy(s->body[d], tx->body[d], k);
			s->body_len[d] = k;
			s->bodies++;
		}
	app_ev_or(&s->events, &tx->events);
}

static size_t gzip(const char *in, uint8_t *out, size_t cap)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (Bytef *)(uintptr_t)in;
	z.avail_in = (uInt)strlen(in);
	z.next_out = out;
	z.avail_out = (uInt)cap;
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	size_t n = z.total_out;
	deflateEnd(&z);
	return n;
}

static void http_conversation(size_t step, struct http_seen *s, uint32_t limit)
{
	static const char req[] =
		"POST /upload?x=1 HTTP/1.1\r\nHost: Example.COM:8080\r\n"
		"Transfer-Encoding: chunked\r\n\r\n"
		"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\n\r\n"
		"GET /next HTTP/1.1\r\nHost: example.com\r\n\r\n";
	const char *text = "<html>the decompressed response body</html>";
	uint8_t gz[256];
	size_t gl = gzip(text, gz, sizeof(gz));
	uint8_t resp[512];
	int hl = snprintf((char *)resp, sizeof(resp),
			  "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n",
			  gl);
	memcpy(resp + hl, gz, gl);
	size_t rl = (size_t)hl + gl;
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, limit, 0);
	flow_init(&f, ALP_UNKNOWN);
	memset(s, 0, sizeof(*s));
	feed(&a, &f, 0, (const uint8_t *)req, sizeof(req) - 1, step, http_cb, s);
	feed(&a, &f, 1, resp, rl, step, http_cb, s);
	assert_int_equal(f.alproto, ALP_HTTP);
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0); /* every buffer returned */
}

static void test_http_byte_at_a_time(void **state)
{
	(void)state;
	struct http_seen whole, bytes;
	http_conversation(0, &whole, 1024);
	http_conversation(1, &bytes, 1024);
	assert_string_equal(whole.uri, "/next");
	assert_string_equal(whole.host, "example.com");
	assert_string_equal(whole.status, "200");
	assert_int_equal(whole.body_len[0], 12);
	assert_memory_equal(whole.body[0], "hello, world", 12);
	const char *text = "<html>the decompressed response body</html>";
	assert_int_equal(whole.body_len[1], strlen(text));
	assert_memory_equal(whole.body[1], text, strlen(text));
	/* the only event: the chunk extension of "7;ext=1", as libhtp-rs */
	assert_int_equal(app_ev_count(&whole.events), 1);
	assert_true(app_ev_has(&whole.events, APP_EV_HTTP_REQ_CHUNK_EXT));
	assert_true(app_ev_has(&bytes.events, APP_EV_HTTP_REQ_CHUNK_EXT));
	/* byte by byte: the same */
	assert_string_equal(bytes.uri, whole.uri);
	assert_string_equal(bytes.status, whole.status);
	assert_int_equal(bytes.body_len[0], whole.body_len[0]);
	assert_memory_equal(bytes.body[0], whole.body[0], whole.body_len[0]);
	assert_int_equal(bytes.body_len[1], whole.body_len[1]);
	assert_memory_equal(bytes.body[1], whole.body[1], whole.body_len[1]);
	assert_int_equal(bytes.bodies, whole.bodies);
}

/* A hole in a response body (the capture lost it, the peer ACKed past
 * it): libhtp skips it as body bytes, the transaction completes with its
 * status, the file is TRUNCATED with gaps and its size counts the hole,
 * and the next request and response parse as usual. */
static void test_http_gap(void **state)
{
	(void)state;
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 1024, 0);
	flow_init(&f, ALP_UNKNOWN);
	f.key.dp = 80;
	static const char r1[] = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char s1[] = "HTTP/1.1 200 OK\r\nContent-Length: 20\r\n\r\n0123456789";
	feed(&a, &f, 0, (const uint8_t *)r1, sizeof(r1) - 1, 0, NULL, NULL);
	feed(&a, &f, 1, (const uint8_t *)s1, sizeof(s1) - 1, 0, NULL, NULL);
	assert_int_equal(f.alproto, ALP_HTTP);
	app_tx_reset(&a);
	app_stream_data(&a, &f, 1, NULL, 10, STREAM_GAP);
	assert_true(a.tx.http_log);
	assert_non_null(a.tx.http_resp);
	assert_int_equal(a.tx.http_resp->h.code, 200);
	assert_int_equal(a.tx.nfiles, 1);
	assert_true(a.tx.files[0]->facts.gaps);
	assert_true(a.tx.files[0]->truncated);
	assert_int_equal(a.tx.files[0]->size, 20);
	struct http_seen s;
	memset(&s, 0, sizeof(s));
	static const char r2[] = "GET /b HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char s2[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nabc";
	feed(&a, &f, 0, (const uint8_t *)r2, sizeof(r2) - 1, 0, http_cb, &s);
	feed(&a, &f, 1, (const uint8_t *)s2, sizeof(s2) - 1, 0, http_cb, &s);
	assert_string_equal(s.uri, "/b");
	assert_string_equal(s.status, "404");
	assert_int_equal(s.body_len[1], 3);
	assert_memory_equal(s.body[1], "abc", 3);
	assert_int_equal(a.tx.nfiles, 1);
	assert_false(a.tx.files[0]->facts.gaps);
	/* flow.tx_cnt: the two transactions, kept past the parser's state */
	app_flow_free_ctx(&a, &f);
	assert_int_equal(app_flow_tx_cnt(&f), 2);
	assert_int_equal(a.mc.used, 0);
}

/* An HTTP file is stored as Suricata 8 stores it when no filestore rule
 * asks for it: up to the body limit of bytes seen, then it ends,
 * TRUNCATED (suricata-verify bug-4953).  A hole counts in its size but
 * not toward the limit; a piece, bytes or hole, that would pass the limit
 * is cut to the room left under it.  A body under the limit makes the
 * whole file. */
static void test_http_file_body_limit(void **state)
{
	(void)state;
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 1024, 0);
	flow_init(&f, ALP_UNKNOWN);
	f.key.dp = 80;
	static const char r1[] = "GET /big HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char h1[] = "HTTP/1.1 200 OK\r\nContent-Length: 4000\r\n\r\n";
	static uint8_t body[1500];
	memset(body, 'x', sizeof(body));
	feed(&a, &f, 0, (const uint8_t *)r1, sizeof(r1) - 1, 0, NULL, NULL);
	feed(&a, &f, 1, (const uint8_t *)h1, sizeof(h1) - 1, 0, NULL, NULL);
	assert_int_equal(f.alproto, ALP_HTTP);
	feed(&a, &f, 1, body, 500, 0, NULL, NULL);      /* 500 seen */
	app_tx_reset(&a);
	app_stream_data(&a, &f, 1, NULL, 300, STREAM_GAP); /* a hole: 300 more, still 500 seen */
	app_tx_reset(&a);
	app_stream_data(&a, &f, 1, NULL, 700, STREAM_GAP); /* one past the room: 524 of it */
	feed(&a, &f, 1, body, 600, 0, NULL, NULL);      /* 524 of it reach the limit */
	assert_int_equal(a.tx.nfiles, 0);
	feed(&a, &f, 1, body, 1500, 0, NULL, NULL);     /* past it: the body ends, the file did */
	feed(&a, &f, 1, body, 400, 0, NULL, NULL);
	assert_int_equal(a.tx.nfiles, 1);
	assert_int_equal(a.tx.files[0]->size, 500 + 300 + 524 + 524);
	assert_true(a.tx.files[0]->truncated);
	assert_true(a.tx.files[0]->facts.gaps);
	/* under the limit: the whole body, closed */
	static const char r2[] = "GET /small HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char h2[] = "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n";
	feed(&a, &f, 0, (const uint8_t *)r2, sizeof(r2) - 1, 0, NULL, NULL);
	feed(&a, &f, 1, (const uint8_t *)h2, sizeof(h2) - 1, 0, NULL, NULL);
	feed(&a, &f, 1, body, 1000, 0, NULL, NULL);
	assert_int_equal(a.tx.nfiles, 1);
	assert_int_equal(a.tx.files[0]->size, 1000);
	assert_false(a.tx.files[0]->truncated);
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}

/* Pipelining: a request sent before the response to the one before it
 * ended waits for that response; each response goes with the request
 * libhtp pairs it with (by index, tx_id as Suricata's), its record and
 * file name are that request's, and the records left at the flow's end
 * come oldest first (suricata-verify http-gap-beyond-body). */
static void test_http_pipelined(void **state)
{
	(void)state;
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 1024, 0);
	flow_init(&f, ALP_UNKNOWN);
	f.key.dp = 80;
	static const char r1[] = "GET /1 HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char s1a[] = "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n01234";
	static const char r2[] = "GET /2 HTTP/1.1\r\nHost: x\r\n\r\nGET /3 HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char s1b[] = "56789";
	static const char s2[] = "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nabc";
	feed(&a, &f, 0, (const uint8_t *)r1, sizeof(r1) - 1, 0, NULL, NULL);
	feed(&a, &f, 1, (const uint8_t *)s1a, sizeof(s1a) - 1, 0, NULL, NULL);
	/* two more requests before the first response ends */
	feed(&a, &f, 0, (const uint8_t *)r2, sizeof(r2) - 1, 0, NULL, NULL);
	assert_false(a.tx.http_log);
	/* the first response ends: /1's record and file */
	feed(&a, &f, 1, (const uint8_t *)s1b, sizeof(s1b) - 1, 0, NULL, NULL);
	assert_true(a.tx.http_log);
	const struct http_msg *req = app_http_last_request(&f);
	assert_non_null(req);
	assert_int_equal(req->tx_id, 0);
	assert_int_equal(req->h.uri_len, 2);
	assert_memory_equal(req->h.uri, "/1", 2);
	assert_int_equal(a.tx.http_resp->h.code, 200);
	assert_ptr_equal(a.tx.http_req, req);
	assert_int_equal(a.tx.nfiles, 1);
	assert_string_equal(a.tx.files[0]->name, "/1");
	assert_int_equal(a.tx.files[0]->tx_id, 0);
	assert_int_equal(a.tx.files[0]->size, 10);
	/* the second: /2's */
	feed(&a, &f, 1, (const uint8_t *)s2, sizeof(s2) - 1, 0, NULL, NULL);
	assert_true(a.tx.http_log);
	req = app_http_last_request(&f);
	assert_int_equal(req->tx_id, 1);
	assert_memory_equal(req->h.uri, "/2", 2);
	assert_int_equal(a.tx.http_resp->h.code, 404);
	assert_string_equal(a.tx.files[0]->name, "/2");
	assert_int_equal(a.tx.files[0]->tx_id, 1);
	/* the flow ends: /3, unanswered, then nothing */
	const struct http_msg *resp = NULL;
	req = app_http_unlogged(&f, &resp);
	assert_non_null(req);
	assert_memory_equal(req->h.uri, "/3", 2);
	assert_int_equal(req->tx_id, 2);
	assert_null(resp);
	assert_null(app_http_unlogged(&f, &resp));
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);

	/* more requests waiting than are kept: the oldest go, memory stays
	 * bounded, the newest are still paired by libhtp's index */
	ctx_init(&a, 1024, 0);
	flow_init(&f, ALP_UNKNOWN);
	f.key.dp = 80;
	char many[64 * 40];
	size_t n = 0;
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(many + n, sizeof(many) - n, "GET /%d HTTP/1.1\r\nHost: x\r\n\r\n", i);
	feed(&a, &f, 0, (const uint8_t *)many, n, 0, NULL, NULL);
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	feed(&a, &f, 1, (const uint8_t *)ok, sizeof(ok) - 1, 0, NULL, NULL);
	/* /0's request went (only the last HTTP_PIPE_MAX wait): its
	 * response is no record, rather than one with a wrong request */
	assert_false(a.tx.http_log);
	assert_null(a.tx.http_req);
	unsigned left = 0;
	while ((req = app_http_unlogged(&f, &resp))) {
		assert_int_equal(req->tx_id, 31 + left);
		left++;
	}
	assert_int_equal(left, HTTP_PIPE_MAX + 1);
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}

/* The server answering an HTTP request with another protocol's first
 * bytes (SSH's banner): applayer_mismatch_protocol_both_directions, as
 * Suricata's detection raises it; the flow stays HTTP; an HTTP response
 * raises nothing. */
static void test_proto_mismatch_event(void **state)
{
	(void)state;
	static const char req[] = "GET / HTTP/1.1\r\nHost: 10.16.1.1:22\r\n\r\n";
	static const char *const answers[] = { "SSH-2.0-OpenSSH_6.6.1\r\n",
					       "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n" };
	for (int i = 0; i < 2; i++) {
		struct app_ctx a;
		struct flow f;
		ctx_init(&a, 1024, 0);
		flow_init(&f, ALP_UNKNOWN);
		f.key.dp = 22;
		struct http_seen s;
		memset(&s, 0, sizeof(s));
		feed(&a, &f, 0, (const uint8_t *)req, sizeof(req) - 1, 0, http_cb, &s);
		assert_int_equal(f.alproto, ALP_HTTP);
		assert_false(app_ev_has(&s.events, APP_EV_APPLAYER_MISMATCH_BOTH_DIRS));
		feed(&a, &f, 1, (const uint8_t *)answers[i], strlen(answers[i]), 0, http_cb, &s);
		assert_int_equal(f.alproto, ALP_HTTP);
		assert_int_equal(app_ev_has(&s.events, APP_EV_APPLAYER_MISMATCH_BOTH_DIRS), i == 0);
		assert_int_equal(f.alp_dir[1], i == 0 ? ALP_SSH : 0xff);
		app_flow_free_ctx(&a, &f);
		assert_int_equal(a.mc.used, 0);
	}
}

static void test_http_body_limit(void **state)
{
	(void)state;
	struct http_seen s;
	http_conversation(0, &s, 8); /* both bodies cut at 8 bytes */
	assert_int_equal(s.body_len[0], 8);
	assert_memory_equal(s.body[0], "hello, w", 8);
	assert_int_equal(s.body_len[1], 8);
	assert_memory_equal(s.body[1], "<html>th", 8);
}

/* A gzip bomb: 10 MB of zeros in ~10 KB; the limit bounds what is kept. */
static void test_http_gzip_bomb(void **state)
{
	(void)state;
	size_t big = 10u << 20;
	char *zeros = calloc(1, big + 1);
	memset(zeros, 'A', big);
	uint8_t *gz = malloc(64 * 1024);
	size_t gl = gzip(zeros, gz, 64 * 1024);
	free(zeros);
	char head[128];
	int hl = snprintf(head, sizeof(head),
			  "HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %zu\r\n\r\n", gl);
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 100 * 1024, 0);
	flow_init(&f, ALP_HTTP);
	struct http_seen s;
	memset(&s, 0, sizeof(s));
	const char *req = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";
	feed(&a, &f, 0, (const uint8_t *)req, strlen(req), 0, http_cb, &s);
	feed(&a, &f, 1, (const uint8_t *)head, (size_t)hl, 0, http_cb, &s);
	feed(&a, &f, 1, gz, gl, 1400, http_cb, &s);
	assert_true(a.mc.peak <= 100 * 1024 + 64 * 1024);
	assert_int_equal(s.bodies, 1);
	app_flow_free_ctx(&a, &f);
	free(gz);
}

#define HAS(ev_, e_) app_ev_has(&(ev_), (e_))

/* ---- Content-Encoding: br ---- */

static size_t brotli(const uint8_t *in, size_t n, uint8_t *out, size_t cap)
{
	size_t on = cap;
	assert_true(BrotliEncoderCompress(BROTLI_DEFAULT_QUALITY, BROTLI_DEFAULT_WINDOW,
					  BROTLI_MODE_GENERIC, n, in, &on, out));
	return on;
}

struct br_seen {
	struct http_seen s;
	uint64_t fsize;           /* the file's size as decoded (fileinfo.size) */
	unsigned nfiles;
};

/* A response with the given Content-Encoding and body, fed in pieces of
 * step bytes (0: whole), then the close; memcap 0: none. */
/* The body limit of br_response's flows (0: no body kept, and so the
 * response's file not cut at it: its size is all that was decoded). */
static uint32_t br_limit = 4096;

static void br_response(const char *ce, const uint8_t *body, size_t bl, size_t step,
			uint64_t memcap, struct br_seen *o)
{
	char head[160];
	int hl = snprintf(head, sizeof(head),
			  "HTTP/1.1 200 OK\r\nContent-Encoding: %s\r\nContent-Length: %zu\r\n\r\n",
			  ce, bl);
	uint8_t *resp = malloc((size_t)hl + bl);
	memcpy(resp, head, (size_t)hl);
	memcpy(resp + hl, body, bl);
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, br_limit, memcap);
	flow_init(&f, ALP_HTTP);
	memset(o, 0, sizeof(*o));
	const char *req = "GET /f.txt HTTP/1.1\r\nHost: x\r\n\r\n";
	feed(&a, &f, 0, (const uint8_t *)req, strlen(req), 0, http_cb, &o->s);
	size_t off = 0, n = (size_t)hl + bl;
	while (off < n) {
		size_t k = step ? MIN(step, n - off) : n - off;
		app_tx_reset(&a);
		app_stream_data(&a, &f, 1, guard_copy(resp + off, k), (uint32_t)k, 0);
		http_cb(&a.tx, &o->s);
		for (unsigned i = 0; i < a.tx.nfiles; i++) {
			o->fsize = a.tx.files[i]->size;
			o->nfiles++;
		}
		off += k;
	}
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0); /* the decoder's memory is returned */
	free(resp);
}

/* A body labelled "br" is decoded, whole or a byte at a time, and the
 * label raises no event (libhtp 0.5 would call it unknown). */
static void test_http_brotli(void **state)
{
	(void)state;
	const char *text = "<html>a brotli body, a brotli body, a brotli body</html>";
	uint8_t br[256];
	size_t bl = brotli((const uint8_t *)text, strlen(text), br, sizeof(br));
	for (size_t step = 0; step <= 1; step++) {
		struct br_seen o;
		br_response("br", br, bl, step, 0, &o);
		assert_int_equal(o.s.body_len[1], strlen(text));
		assert_memory_equal(o.s.body[1], text, strlen(text));
		assert_int_equal(o.nfiles, 1);
		assert_int_equal(o.fsize, strlen(text));
		assert_false(HAS(o.s.events, APP_EV_HTTP_ABNORMAL_CE));
		assert_false(HAS(o.s.events, APP_EV_HTTP_COMPRESSION_BOMB));
	}
	/* "br" in a list of codings: unknown, as to libhtp-rs; as sent */
	struct br_seen o;
	br_response("gzip, br", br, bl, 0, 0, &o);
	assert_true(HAS(o.s.events, APP_EV_HTTP_ABNORMAL_CE));
	/* labelled br, is not: as sent */
	const char *plain = "not compressed at all";
	br_response("BR", (const uint8_t *)plain, strlen(plain), 0, 0, &o);
	assert_int_equal(o.s.body_len[1], strlen(plain));
	assert_memory_equal(o.s.body[1], plain, strlen(plain));
	/* no memory for the decoder: the body as sent, the memcap event */
	br_response("br", br, bl, 0, 1024, &o);
	assert_true(HAS(o.s.events, APP_EV_APP_MEMCAP));
	assert_int_equal(o.fsize, bl);
}

/* A brotli bomb: 64 MiB of one byte in a few dozen bytes.  Decoding stops
 * at the bomb limit (plus one output buffer), with the event. */
static void test_http_brotli_bomb(void **state)
{
	(void)state;
	size_t big = 64u << 20;
	uint8_t *a = malloc(big);
	memset(a, 'A', big);
	uint8_t br[4096];
	size_t bl = brotli(a, big, br, sizeof(br));
	free(a);
	assert_true(bl < 1024);
	struct br_seen o;
	br_limit = 0; /* the file's size: all that was decoded */
	br_response("br", br, bl, 0, 0, &o);
	assert_true(HAS(o.s.events, APP_EV_HTTP_COMPRESSION_BOMB));
	assert_true(o.fsize > 1024 * 1024);
	assert_true(o.fsize <= 1024 * 1024 + 8192);
	/* a byte at a time: the same bound */
	br_response("br", br, bl, 1, 0, &o);
	assert_true(HAS(o.s.events, APP_EV_HTTP_COMPRESSION_BOMB));
	assert_true(o.fsize <= 1024 * 1024 + 8192);
	/* with a body limit, the file ends there (decoding goes on) */
	br_limit = 4096;
	br_response("br", br, bl, 0, 0, &o);
	assert_true(HAS(o.s.events, APP_EV_HTTP_COMPRESSION_BOMB));
	assert_int_equal(o.fsize, 4096);
}

/* The events one request (then the close) raises, as libhtp reads it. */
static app_events_t request_events(const char *req, uint64_t memcap, uint32_t *body_len)
{
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 100 * 1024, memcap);
	flow_init(&f, ALP_HTTP);
	struct http_seen s;
	memset(&s, 0, sizeof(s));
	feed(&a, &f, 0, (const uint8_t *)req, strlen(req), 0, http_cb, &s);
	app_tx_reset(&a);
	app_tcp_close(&a, &f, 0);
	http_cb(&a.tx, &s);
	if (body_len)
		*body_len = s.body_len[0];
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
	return s.events;
}

static void test_http_memcap_and_events(void **state)
{
	(void)state;
	uint32_t blen = 1;
	/* a memcap smaller than one body buffer */
	app_events_t e = request_events("POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n0123456789",
					512, &blen);
	assert_true(HAS(e, APP_EV_APP_MEMCAP));
	assert_int_equal(blen, 0);
	e = request_events("POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n"
			   "Content-Length: 3\r\n\r\nabc", 1 << 20, NULL);
	assert_true(HAS(e, APP_EV_HTTP_TE_INVALID_REQ));
	e = request_events("GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\nab",
			   1 << 20, NULL);
	assert_true(HAS(e, APP_EV_HTTP_MISSING_HOST));
	assert_true(HAS(e, APP_EV_HTTP_DUP_CL_REQ));
	e = request_events("GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n", 1 << 20, NULL);
	assert_true(HAS(e, APP_EV_HTTP_CL_INVALID_REQ));
	e = request_events("GET /\r\n", 1 << 20, NULL);
	assert_true(HAS(e, APP_EV_HTTP_REQ_LINE_NO_PROTO));
	e = request_events("GET / HTTP/1.1\r\nHost: x\r\nBad header\r\n\r\n", 1 << 20, NULL);
	assert_true(HAS(e, APP_EV_HTTP_REQ_MISSING_COLON));
	e = request_events("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 1 << 20, NULL);
	assert_true(app_ev_count(&e) == 0);
}

/* A request, then a response, fed in pieces of step bytes (0: whole);
 * the events raised and the bodies seen. */
static void exchange(const char *req, const char *resp, size_t step, struct http_seen *s)
{
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 100 * 1024, 0);
	flow_init(&f, ALP_HTTP);
	memset(s, 0, sizeof(*s));
	feed(&a, &f, 0, (const uint8_t *)req, strlen(req), step, http_cb, s);
	feed(&a, &f, 1, (const uint8_t *)resp, strlen(resp), step, http_cb, s);
	app_tx_reset(&a);
	app_tcp_close(&a, &f, 1);
	http_cb(&a.tx, s);
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}

/* A chunk-size line with an extension (";name=value" after the size)
 * raises http.request_chunk_extension / http.response_chunk_extension, as
 * libhtp-rs warns of it (libhtp 0.5 skips it silently), on the last
 * chunk's line too, however TCP cut the stream; a size line without ';'
 * does not, nor one whose size does not parse. */
static void test_http_chunk_extension(void **state)
{
	(void)state;
	static const char head[] = "POST /a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n";
	static const char ok[] = "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
	char req[256], resp[256];
	struct http_seen s;
	static const size_t steps[] = { 0, 1, 2, 3, 7 };
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		/* the last chunk's line, as the suricata-verify case has it */
		snprintf(req, sizeof(req), "%s8 \r\ntototata\r\n4 \r\ntiti\r\n"
			 "0 ; qwe3=asd3; zxc3=\"rt\"y3\r\nt1: v1\r\n\r\n", head);
		exchange(req, ok, steps[i], &s);
		assert_true(HAS(s.events, APP_EV_HTTP_REQ_CHUNK_EXT));
		assert_false(HAS(s.events, APP_EV_HTTP_RESP_CHUNK_EXT));
		assert_int_equal(s.body_len[0], 12);
		assert_memory_equal(s.body[0], "tototatatiti", 12);
		/* a middle chunk's line, no trailer */
		snprintf(req, sizeof(req), "%s5\r\nhello\r\n6;x\r\n world\r\n0\r\n\r\n", head);
		exchange(req, ok, steps[i], &s);
		assert_true(HAS(s.events, APP_EV_HTTP_REQ_CHUNK_EXT));
		/* none */
		snprintf(req, sizeof(req), "%s5 \r\nhello\r\n0\r\n\r\n", head);
		exchange(req, ok, steps[i], &s);
		assert_false(HAS(s.events, APP_EV_HTTP_REQ_CHUNK_EXT));
		/* the response's */
		snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			 "3;a=b\r\nabc\r\n0\r\n\r\n");
		exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n", resp, steps[i], &s);
		assert_true(HAS(s.events, APP_EV_HTTP_RESP_CHUNK_EXT));
		assert_false(HAS(s.events, APP_EV_HTTP_REQ_CHUNK_EXT));
		assert_int_equal(s.body_len[1], 3);
		/* a ';' in a chunk's data is no extension */
		snprintf(resp, sizeof(resp), "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			 "3\r\n;;;\r\n0\r\n\r\n");
		exchange("GET / HTTP/1.1\r\nHost: x\r\n\r\n", resp, steps[i], &s);
		assert_false(HAS(s.events, APP_EV_HTTP_RESP_CHUNK_EXT));
	}
	/* a size that does not parse: the invalid length event, not this one */
	snprintf(req, sizeof(req), "%s;x\r\nhello\r\n0\r\n\r\n", head);
	exchange(req, ok, 0, &s);
	assert_false(HAS(s.events, APP_EV_HTTP_REQ_CHUNK_EXT));
}

/* Bytes from the client after an HTTP/0.9 request are not HTTP: they are
 * not parsed, and neither they nor the close are a parser error (libhtp
 * 0.5 fails them with "Missing inbound transaction data"; Suricata 8
 * ignores them). */
static void test_http_data_after_09(void **state)
{
	(void)state;
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 1024, 0);
	flow_init(&f, ALP_UNKNOWN);
	f.key.dp = 80;
	struct http_seen s;
	memset(&s, 0, sizeof(s));
	uint64_t err0 = cnt.v[CNT_APP_ERR_HTTP];
	static const char r1[] = "POST abcd12345\r\n";
	static const char s1[] = "HTTP/1.1 400 Bad Request\r\nServer: nginx\r\n\r\n";
	static const char r2[] = "USER abab1212 \"zz\" \"yy\" :f6e1 l6e13\n";
	feed(&a, &f, 0, (const uint8_t *)r1, sizeof(r1) - 1, 0, http_cb, &s);
	assert_int_equal(f.alproto, ALP_HTTP);
	feed(&a, &f, 1, (const uint8_t *)s1, sizeof(s1) - 1, 0, http_cb, &s);
	feed(&a, &f, 0, (const uint8_t *)r2, sizeof(r2) - 1, 0, http_cb, &s);
	app_tx_reset(&a);
	app_tcp_close(&a, &f, 0);
	http_cb(&a.tx, &s);
	app_tx_reset(&a);
	app_tcp_close(&a, &f, 1);
	http_cb(&a.tx, &s);
	assert_string_equal(s.uri, "abcd12345");
	assert_int_equal(cnt.v[CNT_APP_ERR_HTTP], err0);
	assert_false(HAS(s.events, APP_EV_HTTP_UNKNOWN_ERROR));
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}

/* The http object: "length" (the response body's) is written before a
 * response too, as 0, as Suricata writes it in every record. */
static void test_http_record_length(void **state)
{
	(void)state;
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 1024, 0);
	flow_init(&f, ALP_UNKNOWN);
	f.key.dp = 80;
	static const char r1[] = "GET /cgi-bin/x HTTP/1.1\r\nHost: h\r\n\r\n";
	static const char s1[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
	feed(&a, &f, 0, (const uint8_t *)r1, sizeof(r1) - 1, 0, NULL, NULL);
	const struct http_msg *req = app_http_last_request(&f);
	assert_non_null(req);
	char rec[2][512];
	for (int k = 0; k < 2; k++) {
		const struct http_msg *resp = NULL;
		if (k) {
			app_tx_reset(&a);
			app_stream_data(&a, &f, 1, (const uint8_t *)s1, sizeof(s1) - 1, 0);
			resp = a.tx.http_resp;
			assert_non_null(resp);
		}
		struct jbuf jb = { 0 };
		jb_open_object(&jb, NULL);
		http_log_fields(&jb, req, resp, 0);
		jb_close(&jb);
		snprintf(rec[k], sizeof(rec[k]), "%.*s", (int)jb.len, jb.buf);
		jb_fini(&jb);
	}
	assert_non_null(strstr(rec[0], "\"url\":\"/cgi-bin/x\""));
	assert_non_null(strstr(rec[0], "\"length\":0"));
	assert_null(strstr(rec[0], "\"status\""));
	assert_non_null(strstr(rec[1], "\"status\":200"));
	assert_non_null(strstr(rec[1], "\"length\":5"));
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}

/* FTP: a command is final when its reply completes (tx.ftp, reply
 * received) or when the server's close leaves it unanswered
 * (tx.ftp_unans, for ftp.reply_received: no); not while its reply may
 * still come. */
static void test_ftp_unanswered_at_close(void **state)
{
	(void)state;
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 1024, 0);
	flow_init(&f, ALP_UNKNOWN);
	f.key.dp = 21;
	static const char banner[] = "220 (vsFTPd 3.0.3)\r\n";
	static const char user[] = "USER anonymous\r\n";
	static const char ok[] = "331 Please specify the password.\r\n";
	static const char pass[] = "PASS x\r\n";
	feed(&a, &f, 1, (const uint8_t *)banner, sizeof(banner) - 1, 0, NULL, NULL);
	feed(&a, &f, 0, (const uint8_t *)user, sizeof(user) - 1, 0, NULL, NULL);
	assert_int_equal(f.alproto, ALP_FTP);
	assert_int_equal(a.tx.nftp, 0);
	assert_int_equal(a.tx.nftp_unans, 0);
	feed(&a, &f, 1, (const uint8_t *)ok, sizeof(ok) - 1, 0, NULL, NULL);
	assert_int_equal(a.tx.nftp, 1);
	assert_string_equal(a.tx.ftp[0]->command, "USER");
	assert_true(a.tx.ftp[0]->reply_received);
	feed(&a, &f, 0, (const uint8_t *)pass, sizeof(pass) - 1, 0, NULL, NULL);
	assert_non_null(a.tx.ftp_cmd);
	assert_int_equal(a.tx.nftp_unans, 0);
	/* the client's close: a reply may still come */
	app_tx_reset(&a);
	app_tcp_close(&a, &f, 0);
	assert_int_equal(a.tx.nftp_unans, 0);
	app_tx_reset(&a);
	app_tcp_close(&a, &f, 1);
	assert_int_equal(a.tx.nftp_unans, 1);
	assert_string_equal(a.tx.ftp_unans[0]->command, "PASS");
	assert_false(a.tx.ftp_unans[0]->reply_received);
	/* still written at flow end, once */
	const struct ftp_info *u = app_ftp_unanswered(&f);
	assert_non_null(u);
	assert_string_equal(u->command, "PASS");
	assert_null(app_ftp_unanswered(&f));
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}

/* ftp.file_before_port: a transfer command before any data port was
 * negotiated; the connection is parsed on (the next command counts). */
static void test_ftp_file_before_port(void **state)
{
	(void)state;
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 1024, 0);
	flow_init(&f, ALP_UNKNOWN);
	f.key.dp = 21;
	static const char banner[] = "220 ready\r\n";
	static const char retr[] = "RETR secret.txt\r\n";
	static const char no[] = "425 Use PORT or PASV first.\r\n";
	static const char pasv[] = "PASV\r\n";
	static const char ok[] = "227 Entering Passive Mode (192,168,1,1,39,16).\r\n";
	feed(&a, &f, 1, (const uint8_t *)banner, sizeof(banner) - 1, 0, NULL, NULL);
	feed(&a, &f, 0, (const uint8_t *)retr, sizeof(retr) - 1, 0, NULL, NULL);
	assert_int_equal(f.alproto, ALP_FTP);
	assert_true(app_ev_has(&a.tx.events, APP_EV_FTP_FILE_BEFORE_PORT));
	feed(&a, &f, 1, (const uint8_t *)no, sizeof(no) - 1, 0, NULL, NULL);
	feed(&a, &f, 0, (const uint8_t *)pasv, sizeof(pasv) - 1, 0, NULL, NULL);
	assert_string_equal(a.tx.ftp_cmd->command, "PASV");
	feed(&a, &f, 1, (const uint8_t *)ok, sizeof(ok) - 1, 0, NULL, NULL);
	assert_int_equal(a.tx.ftp[0]->dynamic_port, 39 * 256 + 16);
	feed(&a, &f, 0, (const uint8_t *)retr, sizeof(retr) - 1, 0, NULL, NULL);
	assert_string_equal(a.tx.ftp_cmd->command, "RETR");
	assert_false(app_ev_has(&a.tx.events, APP_EV_FTP_FILE_BEFORE_PORT));
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}

/* app-layer.protocols.ftp.memcap: an FTP connection's memory is charged
 * as it is used (stats ftp.memuse): a small state, then one record a
 * transaction with its command data and reply lines, released once
 * written and with the flow.  Hitting the cap behaves as Suricata's
 * parser: no state, the connection is not parsed; no record for a
 * transaction, parsing stops; no room for a command's data or a reply
 * line, the transaction goes on without it.  Each refusal counts in
 * ftp.memcap. */
static void ftp_memcap_run(uint64_t cap, int step, struct app_ctx *a, struct flow *f)
{
	static const char banner[] = "220 ready\r\n";
	static const char port[] = "PORT 192,168,0,13,234,10\r\n";
	memset(&cnt, 0, sizeof(cnt));
	ctx_init(a, 1024, 0);
	a->ftp_mc.cap = cap;
	flow_init(f, ALP_UNKNOWN);
	f->key.dp = 21;
	feed(a, f, 1, (const uint8_t *)banner, sizeof(banner) - 1, 0, NULL, NULL);
	feed(a, f, 0, (const uint8_t *)port, sizeof(port) - 1, (size_t)step, NULL, NULL);
	assert_int_equal(f->alproto, ALP_FTP);
}

static void ftp_memcap_end(struct app_ctx *a, struct flow *f)
{
	app_flow_free_ctx(a, f);
	assert_int_equal(cnt.v[CNT_FTP_MEMUSE], 0);
	assert_int_equal(a->mc.used, 0);
	assert_int_equal(a->ftp_mc.used, 0);
}

static void test_ftp_memcap(void **state)
{
	(void)state;
	const uint64_t st = sizeof(struct ftp_state), rec = sizeof(struct ftp_info);
	const uint64_t greet = rec + sizeof("ready"), data = sizeof("192,168,0,13,234,10");
	struct app_ctx a;
	struct flow f;

	/* 512 bytes (ftp-port-memcap): the state and a few transactions fit */
	ftp_memcap_run(512, 0, &a, &f);
	assert_non_null(a.tx.ftp_cmd);
	assert_string_equal(a.tx.ftp_cmd->command, "PORT");
	assert_string_equal(a.tx.ftp_cmd->command_data, "192,168,0,13,234,10");
	assert_int_equal(a.tx.ftp_cmd->dynamic_port, 234 * 256 + 10);
	assert_int_equal(cnt.v[CNT_FTP_MEMCAP], 0);
	/* the state, the greeting (kept: the latest answer, for alerts), PORT */
	assert_int_equal(cnt.v[CNT_FTP_MEMUSE], st + greet + rec + data);
	ftp_memcap_end(&a, &f);

	/* the same byte by byte: the partial line's buffer (64 bytes) is
	 * charged too, and the record is the same */
	ftp_memcap_run(0, 1, &a, &f);
	assert_non_null(a.tx.ftp_cmd);
	assert_string_equal(a.tx.ftp_cmd->command_data, "192,168,0,13,234,10");
	assert_int_equal(cnt.v[CNT_FTP_MEMUSE], st + greet + rec + data + 64);
	ftp_memcap_end(&a, &f);

	/* byte by byte, no room for the partial line's buffer: the line is
	 * cut to what was kept (here nothing: no command at all) */
	ftp_memcap_run(st + greet + 63, 1, &a, &f);
	assert_null(a.tx.ftp_cmd);
	assert_int_equal(cnt.v[CNT_FTP_MEMUSE], st + greet);
	assert_true(cnt.v[CNT_FTP_MEMCAP] >= 1);
	ftp_memcap_end(&a, &f);

	/* no room for the command's data: the transaction without it */
	ftp_memcap_run(st + greet + rec + data - 1, 0, &a, &f);
	assert_non_null(a.tx.ftp_cmd);
	assert_string_equal(a.tx.ftp_cmd->command, "PORT");
	assert_null(a.tx.ftp_cmd->command_data);
	assert_int_equal(a.tx.ftp_cmd->command_data_len, 0);
	assert_int_equal(a.tx.ftp_cmd->dynamic_port, 0);
	assert_int_equal(cnt.v[CNT_FTP_MEMCAP], 1);
	ftp_memcap_end(&a, &f);

	/* no room for a transaction (the greeting's): parsing stops, once */
	ftp_memcap_run(st + rec - 1, 0, &a, &f);
	assert_null(a.tx.ftp_cmd);
	assert_int_equal(cnt.v[CNT_FTP_MEMUSE], st);
	assert_int_equal(cnt.v[CNT_FTP_MEMCAP], 1);
	ftp_memcap_end(&a, &f);

	/* no room for the state: the connection is not parsed, counted once */
	ftp_memcap_run(st - 1, 0, &a, &f);
	assert_null(a.tx.ftp_cmd);
	assert_int_equal(cnt.v[CNT_FTP_MEMUSE], 0);
	assert_int_equal(cnt.v[CNT_FTP_MEMCAP], 1);
	ftp_memcap_end(&a, &f);
}

/* FTP records are freed once written: a long session under a small
 * memcap goes on (each command logged), memory back to the state's and
 * the last answer's between commands. */
static void test_ftp_records_released(void **state)
{
	(void)state;
	struct app_ctx a;
	struct flow f;
	memset(&cnt, 0, sizeof(cnt));
	ctx_init(&a, 1024, 0);
	a.ftp_mc.cap = 1024;
	flow_init(&f, ALP_UNKNOWN);
	f.key.dp = 21;
	static const char banner[] = "220 ready\r\n";
	static const char noop[] = "NOOP\r\n";
	static const char ok[] = "200 NOOP ok.\r\n";
	feed(&a, &f, 1, (const uint8_t *)banner, sizeof(banner) - 1, 0, NULL, NULL);
	for (int i = 0; i < 200; i++) {
		feed(&a, &f, 0, (const uint8_t *)noop, sizeof(noop) - 1, 0, NULL, NULL);
		assert_non_null(a.tx.ftp_cmd);
		feed(&a, &f, 1, (const uint8_t *)ok, sizeof(ok) - 1, 0, NULL, NULL);
		assert_int_equal(a.tx.nftp, 1);
		assert_string_equal(a.tx.ftp[0]->command, "NOOP");
		assert_string_equal(a.tx.ftp[0]->reply[0], "NOOP ok.");
		assert_string_equal(a.tx.ftp[0]->code[0], "200");
		assert_int_equal(a.tx.ftp[0]->tx_id, (uint32_t)i + 1);
		assert_ptr_equal(app_ftp_peek(&f), a.tx.ftp[0]);
	}
	assert_int_equal(cnt.v[CNT_FTP_MEMCAP], 0);
	assert_true(cnt.v[CNT_FTP_MEMUSE] < 1024);
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.ftp_mc.used, 0);
	assert_int_equal(a.mc.used, 0);
}

/* A response body longer than the body limit, over several packets:
 * the kept bytes are released once rules saw them, and the file is one
 * file (not cut in two where they were released), which ends at the body
 * limit, TRUNCATED, as Suricata stores it (test_http_file_body_limit). */
static void test_http_file_past_body_limit(void **state)
{
	(void)state;
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 8, 0);
	flow_init(&f, ALP_UNKNOWN);
	f.key.dp = 80;
	static const char r1[] = "GET /f.bin HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char s1[] = "HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\n0123456789";
	feed(&a, &f, 0, (const uint8_t *)r1, sizeof(r1) - 1, 0, NULL, NULL);
	feed(&a, &f, 1, (const uint8_t *)s1, sizeof(s1) - 1, 0, NULL, NULL);
	assert_int_equal(a.tx.nfiles, 0);
	feed(&a, &f, 1, (const uint8_t *)"abcdefghij", 10, 0, NULL, NULL);
	assert_int_equal(a.tx.nfiles, 0);
	feed(&a, &f, 1, (const uint8_t *)"ABCDEFGHIJ", 10, 0, NULL, NULL);
	assert_int_equal(a.tx.nfiles, 1);
	assert_int_equal(a.tx.files[0]->size, 8);
	assert_true(a.tx.files[0]->truncated);
	assert_string_equal(a.tx.files[0]->name, "/f.bin");
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}

/* The files of a multipart/form-data upload as Suricata 8 keeps them when
 * no filestore rule asks: the body is read up to the request body limit;
 * the file open when a byte past it comes ends there, TRUNCATED, and a
 * later part is not read.  A body within the limit gives its files whole. */
struct mp_seen {
	unsigned n;
	uint64_t size[4];
	bool trunc[4];
	char name[4][260];
};

static void mp_cb(const struct app_tx *tx, void *ud)
{
	struct mp_seen *s = ud;
	for (unsigned i = 0; i < tx->nfiles && s->n < 4; i++, s->n++) {
		s->size[s->n] = tx->files[i]->size;
		s->trunc[s->n] = tx->files[i]->truncated;
		snprintf(s->name[s->n], sizeof(s->name[0]), "%s", tx->files[i]->name);
	}
}

static void mp_upload(uint32_t limit, size_t step, struct mp_seen *s)
{
	static const char head[] = "--bb\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.bin\"\r\n\r\n";
	static const char mid[] = "\r\n--bb\r\nContent-Disposition: form-data; name=\"g\"; filename=\"b.txt\"\r\n\r\nsmall";
	static const char tail[] = "\r\n--bb--\r\n";
	static uint8_t req[4096];
	size_t bl = (sizeof(head) - 1) + 1000 + (sizeof(mid) - 1) + (sizeof(tail) - 1);
	int hl = snprintf((char *)req, sizeof(req),
			  "POST /up HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=bb\r\n"
			  "Content-Length: %zu\r\n\r\n%s", bl, head);
	size_t n = (size_t)hl;
	memset(req + n, 'x', 1000);
	n += 1000;
	memcpy(req + n, mid, sizeof(mid) - 1);
	n += sizeof(mid) - 1;
	memcpy(req + n, tail, sizeof(tail) - 1);
	n += sizeof(tail) - 1;
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, limit, 0);
	flow_init(&f, ALP_UNKNOWN);
	f.key.dp = 80;
	memset(s, 0, sizeof(*s));
	feed(&a, &f, 0, req, n, step, mp_cb, s);
	assert_int_equal(f.alproto, ALP_HTTP);
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}

static void test_http_multipart_body_limit(void **state)
{
	(void)state;
	static const size_t steps[] = { 0, 1, 7, 100 };
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		struct mp_seen s;
		/* 512 bytes of body: its 68 bytes of part head, then 444 of the file */
		mp_upload(512, steps[i], &s);
		assert_int_equal(s.n, 1);
		assert_string_equal(s.name[0], "a.bin");
		assert_int_equal(s.size[0], 512 - 68);
		assert_true(s.trunc[0]);
		/* within the limit: both files whole */
		mp_upload(4096, steps[i], &s);
		assert_int_equal(s.n, 2);
		assert_int_equal(s.size[0], 1000);
		assert_false(s.trunc[0]);
		assert_string_equal(s.name[1], "b.txt");
		assert_int_equal(s.size[1], 5);
		assert_false(s.trunc[1]);
	}
}

/* Content-Range as Suricata reads it (http.content_range, fileinfo
 * start / end of a 206's part); what does not parse is refused. */
static void test_http_content_range(void **state)
{
	(void)state;
	struct http_range r;
#define CR(s_) http_content_range((const uint8_t *)(s_), (uint32_t)strlen(s_), &r)
	assert_true(CR("bytes 500-1000/146515"));
	assert_int_equal(r.start, 500);
	assert_int_equal(r.end, 1000);
	assert_int_equal(r.size, 146515);
	assert_true(CR("bytes 0-0/*"));
	assert_int_equal(r.start, 0);
	assert_int_equal(r.size, -1);
	assert_true(CR("bytes */37323"));
	assert_int_equal(r.start, -1);
	assert_int_equal(r.end, -1);
	assert_int_equal(r.size, 37323);
	static const char *const bad[] = { "", "bytes", "bytes */*", "bytes 5-4/10", "items 0-1/2",
					   "bytes 0-1", "bytes 0-1/2x", "bytes -1/2",
					   "bytes 99999999999999999999-1/2" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (CR(bad[i]))
			fail_msg("accepted: %s", bad[i]);
#undef CR
	/* a 206's file carries where it lies */
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 1024, 0);
	flow_init(&f, ALP_UNKNOWN);
	f.key.dp = 80;
	static const char r1[] = "GET /big.bin HTTP/1.1\r\nHost: x\r\nRange: bytes=10-14\r\n\r\n";
	static const char s1[] = "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 10-14/100\r\n"
				 "Content-Length: 5\r\n\r\nabcde";
	feed(&a, &f, 0, (const uint8_t *)r1, sizeof(r1) - 1, 0, NULL, NULL);
	feed(&a, &f, 1, (const uint8_t *)s1, sizeof(s1) - 1, 0, NULL, NULL);
	assert_int_equal(a.tx.nfiles, 1);
	assert_int_equal(a.tx.files[0]->size, 5);
	assert_int_equal(a.tx.files[0]->range_start, 10);
	assert_int_equal(a.tx.files[0]->range_end, 14);
	app_flow_free_ctx(&a, &f);
}

/* HTTP byte ranges: the parts of one file (any order, overlapping, on
 * any flow) make the whole once all its bytes came; the containers are
 * bounded in number and time. */
static void test_http_range_reassembly(void **state)
{
	(void)state;
	range_reset();
	static const char whole[] = "0123456789abcdefghijABCDEFGHIJ"; /* 30 bytes */
	static const char key[] = "h\n/f\n";
	struct range_ref r1, r2, r3;
	struct file_facts facts;
	uint64_t size = 0;
	assert_true(range_open(&r1, key, sizeof(key) - 1, 10, 30, 1000));
	assert_false(range_add(&r1, (const uint8_t *)whole + 10, 10, 1000, &facts, &size)); /* kept */
	assert_true(range_open(&r2, key, sizeof(key) - 1, 20, 30, 2000));
	assert_int_equal(r2.idx, r1.idx);                                                   /* the same file */
	assert_false(range_add(&r2, (const uint8_t *)whole + 20, 10, 2000, &facts, &size));
	assert_true(range_open(&r3, key, sizeof(key) - 1, 0, 30, 3000));
	/* 0-14 overlaps the kept 10-19: the whole comes with it */
	assert_true(range_add(&r3, (const uint8_t *)whole, 15, 3000, &facts, &size));
	assert_int_equal(size, 30);
	assert_false(facts.gaps);
	assert_int_equal(r3.idx, -1);
	/* nonsense refused */
	assert_false(range_open(&r1, key, sizeof(key) - 1, 30, 30, 0));
	assert_false(range_open(&r1, key, sizeof(key) - 1, 0, 0, 0));
	/* bounded: one more container than RANGE_MAX evicts the oldest */
	struct range_ref first, other;
	assert_true(range_open(&first, "k0", 2, 5, 10, 10));
	for (int i = 1; i <= RANGE_MAX; i++) {
		char k[16];
		int n = snprintf(k, sizeof(k), "k%d", i);
		assert_true(range_open(&other, k, (size_t)n, 5, 10, 10 + (uint64_t)i));
	}
	assert_true(range_open(&other, "k0", 2, 0, 10, 100));
	assert_int_not_equal(other.gen, first.gen); /* made afresh */
	/* idle past the timeout: gone */
	assert_true(range_open(&first, "t", 1, 5, 10, 1000));
	assert_false(range_add(&first, (const uint8_t *)whole, 5, 1000, &facts, &size));
	assert_true(range_open(&other, "t", 1, 0, 10, 1000 + RANGE_TIMEOUT_US + 1));
	assert_int_not_equal(other.gen, first.gen);
	assert_false(range_add(&other, (const uint8_t *)whole, 5, 1000 + RANGE_TIMEOUT_US + 1, &facts, &size));
	range_reset();
}

/* Through HTTP: two flows' 206 responses make one whole file, written
 * with the part that completed it (its own record too). */
static void test_http_range_flows(void **state)
{
	(void)state;
	range_reset();
	static const char req[] = "GET /f.bin HTTP/1.1\r\nHost: x\r\n\r\n";
	static const char p2[] = "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 4-7/8\r\n"
				 "ETag: \"e1\"\r\nContent-Length: 4\r\n\r\nefgh";
	static const char p1[] = "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-3/8\r\n"
				 "ETag: \"e1\"\r\nContent-Length: 4\r\n\r\nabcd";
	struct app_ctx a;
	struct flow f, g;
	ctx_init(&a, 1024, 0);
	flow_init(&f, ALP_UNKNOWN);
	flow_init(&g, ALP_UNKNOWN);
	f.key.dp = g.key.dp = 80;
	feed(&a, &f, 0, (const uint8_t *)req, sizeof(req) - 1, 0, NULL, NULL);
	feed(&a, &f, 1, (const uint8_t *)p2, sizeof(p2) - 1, 0, NULL, NULL);
	assert_int_equal(a.tx.nfiles, 1); /* the part */
	assert_int_equal(a.tx.files[0]->size, 4);
	feed(&a, &g, 0, (const uint8_t *)req, sizeof(req) - 1, 0, NULL, NULL);
	feed(&a, &g, 1, (const uint8_t *)p1, sizeof(p1) - 1, 0, NULL, NULL);
	assert_int_equal(a.tx.nfiles, 2); /* the whole, then the part */
	bool saw_whole = false;
	for (unsigned i = 0; i < a.tx.nfiles; i++)
		if (a.tx.files[i]->size == 8) {
			saw_whole = true;
			assert_string_equal(a.tx.files[i]->name, "/f.bin");
			assert_int_equal(a.tx.files[i]->range_end, 0);
		}
	assert_true(saw_whole);
	/* a part that is the whole file: one file */
	static const char p0[] = "HTTP/1.1 206 Partial Content\r\nContent-Range: bytes 0-7/8\r\n"
				 "Content-Length: 8\r\n\r\nabcdefgh";
	feed(&a, &g, 0, (const uint8_t *)req, sizeof(req) - 1, 0, NULL, NULL);
	feed(&a, &g, 1, (const uint8_t *)p0, sizeof(p0) - 1, 0, NULL, NULL);
	assert_int_equal(a.tx.nfiles, 1);
	app_flow_free_ctx(&a, &f);
	app_flow_free_ctx(&a, &g);
	assert_int_equal(a.mc.used, 0);
	range_reset();
}

struct norm_seen {
	char norm[128];
};

static void norm_cb(const struct app_tx *tx, void *ud)
{
	struct norm_seen *s = ud;
	if (tx->http_req && tx->http_req->uri_norm)
		snprintf(s->norm, sizeof(s->norm), "%.*s", (int)tx->http_req->uri_norm_len,
			 (const char *)tx->http_req->uri_norm);
}

/* A response's body through the parser's tolerance, as libhtp reads it;
 * returns the body the rules see and the file the fileinfo record names. */
static void http_response_body(const char *resp, char *body, size_t cap, char *file, size_t fcap,
			       size_t step)
{
	static const char req[] = "GET /dl/eicar.txt?x=1 HTTP/1.1\r\nHost: evader.example\r\n\r\n";
	struct app_ctx a;
	struct flow f;
	struct http_seen s;
	ctx_init(&a, 4096, 0);
	flow_init(&f, ALP_UNKNOWN);
	memset(&s, 0, sizeof(s));
	feed(&a, &f, 0, (const uint8_t *)req, sizeof(req) - 1, 0, http_cb, &s);
	*file = 0;
	size_t off = 0, n = strlen(resp);
	while (off < n) {
		size_t k = step ? MIN(step, n - off) : n - off;
		app_tx_reset(&a);
		app_stream_data(&a, &f, 1, guard_copy((const uint8_t *)resp + off, k), (uint32_t)k, 0);
		http_cb(&a.tx, &s);
		if (a.tx.nfiles)
			snprintf(file, fcap, "%s:%llu", a.tx.files[0]->name,
				 (unsigned long long)a.tx.files[0]->size);
		off += k;
	}
	app_tx_reset(&a);
	app_tcp_close(&a, &f, 1);
	http_cb(&a.tx, &s);
	if (a.tx.nfiles)
		snprintf(file, fcap, "%s:%llu", a.tx.files[0]->name,
			 (unsigned long long)a.tx.files[0]->size);
	snprintf(body, cap, "%.*s", (int)s.body_len[1], (const char *)s.body[1]);
	app_flow_free_ctx(&a, &f);
}

static void test_http_evasions(void **state)
{
	(void)state;
	char body[256], file[300];
	/* split: what a byte at a time gives, where libhtp 0.5 reads it
	 * differently (NULL: the same) */
	static const struct { const char *resp, *body, *file, *split_body, *split_file; } cases[] = {
		/* chunk sizes followed by junk, and by blanks */
		{ "HTTP/1.1 200 ok\r\nTransfer-Encoding: chunked\r\n\r\n5,\r\nhello\r\n6\t\r\n world\r\n0\r\n\r\n",
		  "hello world", "/dl/eicar.txt:11", NULL, NULL },
		/* a folded Transfer-Encoding */
		{ "HTTP/1.1 200 ok\r\nTransfer-Encoding: \r\n chunked\r\nConnection: close\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		  "hello", "/dl/eicar.txt:5", NULL, NULL },
		/* blanks between the name and its colon */
		{ "HTTP/1.1 200 ok\r\nTransfer-Encoding : chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
		  "hello", "/dl/eicar.txt:5", NULL, NULL },
		/* said chunked, is not: the body runs to the close */
		{ "HTTP/1.1 200 ok\r\nContent-Disposition: attachment; filename=\"eicar.txt\"\r\n"
		  "Transfer-Encoding: chunked\r\n\r\nX5O!P plain body",
		  /* libhtp, deciding "not chunked" at the close, hands 8
		   * bytes twice: the rules still see it all */
		  "X5O!P plain bodyX5O!P pl", "eicar.txt:24", NULL, NULL },
		/* Content-Disposition without quotes */
		{ "HTTP/1.1 200 ok\r\nContent-Disposition: attachment; filename=a.exe; size=3\r\n"
		  "Content-Length: 3\r\n\r\nabc",
		  "abc", "a.exe:3", NULL, NULL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++)
		for (size_t step = 0; step <= 1; step++) {
			http_response_body(cases[i].resp, body, sizeof(body), file, sizeof(file), step);
			bool split = step && cases[i].split_body;
			assert_string_equal(body, split ? cases[i].split_body : cases[i].body);
			assert_string_equal(file, split ? cases[i].split_file : cases[i].file);
		}
}

static void test_http_uri_normalisation(void **state)
{
	(void)state;
	static const struct { const char *raw, *norm; } cases[] = {
		{ "/a/./b/../c/%41?x=/../y", "/a/c/A?x=/../y" },
		{ "/cgi-bin/../../../../etc/passwd", "/etc/passwd" },
		{ "/%2e%2e/%2E%2e/x", "/x" },
		{ "/a/b/..", "/a" },
		{ "/a/.", "/a" },
		{ "/%zz%4", "/%zz%4" },
		/* absolute form: the path only, as Suricata's http.uri */
		{ "http://Example.com/a/../b?q", "/b?q" },
		{ "*", "*" },
		/* libhtp's IDS personality: %u decoded, backslashes are
		 * separators, repeated separators one */
		{ "/x%u0041y", "/xAy" },
		{ "/a\\b//c", "/a/b/c" },
		{ "/a#frag", "/a#frag" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char req[256];
		int n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: x\r\n\r\n", cases[i].raw);
		struct app_ctx a;
		struct flow f;
		ctx_init(&a, 0, 0);
		flow_init(&f, ALP_HTTP);
		struct norm_seen s = { "" };
		feed(&a, &f, 0, (const uint8_t *)req, (size_t)n, 0, norm_cb, &s);
		assert_string_equal(s.norm, cases[i].norm);
		app_flow_free_ctx(&a, &f);
	}
}

/* ---- TLS ---- */

static size_t put24(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 16);
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)v;
	return 3;
}

/* Wraps handshake messages hs/n in records of at most rec bytes each. */
static size_t records(const uint8_t *hs, size_t n, size_t rec, uint8_t *out)
{
	size_t o = 0;
	for (size_t off = 0; off < n; off += rec) {
		size_t k = MIN(rec, n - off);
		out[o++] = 22;
		out[o++] = 3;
		out[o++] = 3;
		out[o++] = (uint8_t)(k >> 8);
		out[o++] = (uint8_t)k;
		memcpy(out + o, hs + off, k);
		o += k;
	}
	return o;
}

static const uint8_t client_hello[] = {
	0x01, 0x00, 0x00, 0x56, 0x03, 0x03, /* 2 + 32 + 1 + 6 + 2 + 2 + 41 bytes */
	/* random */ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20,
	21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32,
	0x00,                   /* session id */
	0x00, 0x04, 0x13, 0x01, 0xc0, 0x2f, /* ciphers */
	0x01, 0x00,             /* compression */
	0x00, 0x29,             /* extensions: 19 + 18 + 4 bytes */
	0x00, 0x00, 0x00, 0x0f, 0x00, 0x0d, 0x00, 0x00, 0x0a, 'v', 'i', 'g', 'i', 'l', '.', 't', 'e', 's', 't',
	0x00, 0x10, 0x00, 0x0e, 0x00, 0x0c, 0x02, 'h', '2', 0x08, 'h', 't', 't', 'p', '/', '1', '.', '1',
	0x00, 0x17, 0x00, 0x00,
};

struct tls_seen {
	char sni[256], ja3[1024], ja4[40], subject[512], alpn0[32];
	uint8_t fp_der[64];
	unsigned certs;
	uint8_t state;
};

static void tls_cb(const struct app_tx *tx, void *ud)
{
	struct tls_seen *s = ud;
	const struct tls_info *t = tx->tls;
	if (!t)
		return;
	if (tx->tls_new & TLS_ST_CLIENT_HELLO) {
		snprintf(s->sni, sizeof(s->sni), "%s", t->sni);
		snprintf(s->ja3, sizeof(s->ja3), "%s", t->ja3 ? t->ja3 : "");
		snprintf(s->ja4, sizeof(s->ja4), "%s", t->ja4);
		snprintf(s->alpn0, sizeof(s->alpn0), "%s", t->nalpn ? t->alpn[0] : "");
	}
	if (tx->tls_new & TLS_ST_CERT) {
		snprintf(s->subject, sizeof(s->subject), "%s", t->subject ? t->subject : "");
		s->certs = t->chain ? t->ncerts : 0;
	}
	s->state = t->state;
}

static void tls_conversation(size_t step, size_t rec, struct tls_seen *s, const uint8_t *der,
			     int dl)
{
	static uint8_t hs[4096], wire[8192];
	/* client: the hello, cut into records of rec bytes */
	size_t n = records(client_hello, sizeof(client_hello), rec, wire);
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 0, 0);
	flow_init(&f, ALP_UNKNOWN);
	memset(s, 0, sizeof(*s));
	feed(&a, &f, 0, wire, n, step, tls_cb, s);
	/* server: ServerHello, Certificate, ServerHelloDone in one record run */
	size_t o = 0;
	static const uint8_t sh[] = { 0x02, 0x00, 0x00, 0x26, 0x03, 0x03, 1, 2, 3, 4, 5, 6, 7, 8, 9,
				      10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24,
				      25, 26, 27, 28, 29, 30, 31, 32, 0x00, 0xc0, 0x2f, 0x00 };
	memcpy(hs, sh, sizeof(sh));
	o = sizeof(sh);
	hs[o++] = 11;
	o += put24(hs + o, (uint32_t)dl + 6);
	o += put24(hs + o, (uint32_t)dl + 3);
	o += put24(hs + o, (uint32_t)dl);
	memcpy(hs + o, der, (size_t)dl);
	o += (size_t)dl;
	hs[o++] = 14;
	o += put24(hs + o, 0);
	n = records(hs, o, rec, wire);
	feed(&a, &f, 1, wire, n, step, tls_cb, s);
	assert_int_equal(f.alproto, ALP_TLS);
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}

static void test_tls_byte_at_a_time(void **state)
{
	(void)state;
	uint8_t der[2048];
	int dl = pg_self_signed(der, sizeof(der), 0x1234, "vigil", "test.example");
	assert_true(dl > 0);
	struct tls_seen whole, bytes, small;
	tls_conversation(0, 16384, &whole, der, dl);
	tls_conversation(1, 16384, &bytes, der, dl);
	tls_conversation(7, 13, &small, der, dl); /* messages split across records */
	assert_string_equal(whole.sni, "vigil.test");
	assert_string_equal(whole.ja3, "771,4865-49199,0-16-23,,");
	assert_string_equal(whole.alpn0, "h2");
	assert_int_equal(strncmp(whole.ja4, "t12d0203h2_", 11), 0);
	assert_string_equal(whole.subject, "C=US, O=vigil, CN=test.example");
	assert_int_equal(whole.certs, 1);
	assert_true(whole.state & TLS_ST_SERVER_HELLO);
	for (int i = 0; i < 2; i++) {
		const struct tls_seen *o = i ? &small : &bytes;
		assert_string_equal(o->sni, whole.sni);
		assert_string_equal(o->ja3, whole.ja3);
		assert_string_equal(o->ja4, whole.ja4);
		assert_string_equal(o->subject, whole.subject);
		assert_int_equal(o->certs, whole.certs);
		assert_int_equal(o->state, whole.state);
	}
}

/* A Name built with OpenSSL, as DER, through tls_name_text both ways. */
static void name_both(const char *const *kv, size_t n, bool multi, const char *want)
{
	X509_NAME *nm = X509_NAME_new();
	assert_non_null(nm);
	for (size_t i = 0; i + 1 < n; i += 2)
		assert_int_equal(X509_NAME_add_entry_by_txt(nm, kv[i], MBSTRING_UTF8,
							    (const unsigned char *)kv[i + 1], -1, -1,
							    multi && i ? -1 : 0), 1);
	unsigned char *der = NULL;
	int dl = i2d_X509_NAME(nm, &der);
	assert_true(dl > 0);
	char a[512], b[512];
	uint16_t na = 0, nb = 0;
	assert_true(tls_name_text(der, (size_t)dl, true, a, sizeof(a), &na));
	assert_true(tls_name_text(der, (size_t)dl, false, b, sizeof(b), &nb));
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	if (want)
		assert_string_equal(a, want);
	/* cut short alike */
	assert_true(tls_name_text(der, (size_t)dl, true, a, 12, &na));
	assert_true(tls_name_text(der, (size_t)dl, false, b, 12, &nb));
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, na);
	OPENSSL_free(der);
	X509_NAME_free(nm);
}

static void test_tls_name_text(void **state)
{
	(void)state;
	const char *common[] = { "C", "US", "ST", "California", "L", "Menlo Park", "O", "Facebook, Inc.",
				 "OU", "web", "CN", "*.facebook.com", "emailAddress", "a@b.c",
				 "DC", "example", "serialNumber", "42", "GN", "Ann", "SN", "Lee" };
	name_both(common, 22, false,
		  "C=US, ST=California, L=Menlo Park, O=Facebook, Inc., OU=web, CN=*.facebook.com, "
		  "Email=a@b.c, DC=example, serialNumber=42, GN=Ann, SN=Lee");
	/* what only OpenSSL renders: not ASCII, an attribute outside the
	 * table, a multi-valued RDN */
	const char *utf8[] = { "CN", "caf\xc3\xa9", "O", "x" };
	name_both(utf8, 4, false, "CN=caf\xc3\xa9, O=x");
	const char *other[] = { "CN", "a", "pseudonym", "p", "1.2.3.4", "z" };
	name_both(other, 6, false, NULL);
	const char *multi[] = { "CN", "a", "O", "b" };
	name_both(multi, 4, true, NULL);
	/* an empty name, and bytes that are no name */
	const uint8_t empty[] = { 0x30, 0x00 };
	char o[64];
	uint16_t n = 9;
	assert_true(tls_name_text(empty, sizeof(empty), true, o, sizeof(o), &n));
	assert_int_equal(n, 0);
	const uint8_t junk[] = { 0x30, 0x05, 0x31, 0x09, 0x30 };
	assert_false(tls_name_text(junk, sizeof(junk), true, o, sizeof(o), &n));
}

static void test_tls_hostile(void **state)
{
	(void)state;
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 0, 0);
	flow_init(&f, ALP_TLS);
	/* a handshake message claiming 16 MB, then a bad record type */
	const uint8_t big[] = { 22, 3, 3, 0, 4, 1, 0xff, 0xff, 0xff };
	app_tx_reset(&a);
	app_stream_data(&a, &f, 0, big, sizeof(big), 0);
	assert_true(app_ev_has(&a.tx.events, APP_EV_TLS_INVALID_HANDSHAKE)); /* (a 128-bit mask: no cast to 64 bits) */
	const uint8_t bad[] = { 99, 3, 3, 0, 1, 0 };
	app_tx_reset(&a);
	app_stream_data(&a, &f, 1, bad, sizeof(bad), 0);
	assert_true(app_ev_has(&a.tx.events, APP_EV_TLS_INVALID_RECORD_TYPE)); /* (a 128-bit mask: no cast to 64 bits) */
	/* a certificate message whose inner lengths lie */
	const uint8_t cert[] = { 22, 3, 3, 0, 10, 11, 0, 0, 6, 0, 0, 3, 0, 0, 9 };
	struct flow g;
	flow_init(&g, ALP_TLS);
	app_tx_reset(&a);
	app_stream_data(&a, &g, 1, cert, sizeof(cert), 0);
	assert_true(app_ev_has(&a.tx.events, APP_EV_TLS_INVALID_CERT)); /* (a 128-bit mask: no cast to 64 bits) */
	app_flow_free_ctx(&a, &f);
	app_flow_free_ctx(&a, &g);
	assert_int_equal(a.mc.used, 0);
}

/* ---- SSH ---- */

static size_t namelist(uint8_t *p, const char *s)
{
	uint32_t l = (uint32_t)strlen(s);
	p[0] = (uint8_t)(l >> 24);
	p[1] = (uint8_t)(l >> 16);
	p[2] = (uint8_t)(l >> 8);
	p[3] = (uint8_t)l;
	memcpy(p + 4, s, l);
	return 4 + l;
}

struct ssh_seen {
	char software[2][128], hassh_string[2][1024];
	int encrypted;            /* packets that said "encrypted from here" */
};

static void ssh_cb(const struct app_tx *tx, void *ud)
{
	struct ssh_seen *s = ud;
	s->encrypted += tx->encrypted;
	if (!tx->ssh)
		return;
	for (int d = 0; d < 2; d++) {
		snprintf(s->software[d], sizeof(s->software[d]), "%s", tx->ssh->side[d].software);
		snprintf(s->hassh_string[d], sizeof(s->hassh_string[d]), "%s",
			 tx->ssh->side[d].hassh_string);
	}
}

static void ssh_conversation(size_t step, struct ssh_seen *s)
{
	static uint8_t msg[1024];
	const char *lists[10] = { "curve25519-sha256", "ssh-ed25519", "aes128-ctr,aes256-ctr",
				  "aes256-ctr", "hmac-sha2-256", "hmac-sha2-512", "none",
				  "none,zlib", "", "" };
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 0, 0);
	flow_init(&f, ALP_UNKNOWN);
	memset(s, 0, sizeof(*s));
	for (int d = 0; d < 2; d++) {
		const char *banner = d ? "SSH-2.0-OpenSSH_9.2p1 Debian-2\r\n" : "SSH-2.0-libssh_0.10\r\n";
		size_t o = strlen(banner);
		memcpy(msg, banner, o);
		size_t start = o;
		o += 4;
		msg[o++] = 4; /* padding */
		msg[o++] = 20;
		memset(msg + o, 0xaa, 16);
		o += 16;
		for (int i = 0; i < 10; i++)
			o += namelist(msg + o, lists[i]);
		msg[o++] = 0;
		memset(msg + o, 0, 4 + 4); /* reserved, padding */
		o += 8;
		uint32_t pl = (uint32_t)(o - start - 4);
		msg[start] = (uint8_t)(pl >> 24);
		msg[start + 1] = (uint8_t)(pl >> 16);
		msg[start + 2] = (uint8_t)(pl >> 8);
		msg[start + 3] = (uint8_t)pl;
		feed(&a, &f, d, msg, o, step, ssh_cb, s);
	}
	/* NEWKEYS from each side: encrypted once both have sent it */
	static const uint8_t newkeys[16] = { 0, 0, 0, 12, 10, 21 };
	feed(&a, &f, 0, newkeys, sizeof(newkeys), step, ssh_cb, s);
	assert_int_equal(s->encrypted, 0);
	feed(&a, &f, 1, newkeys, sizeof(newkeys), step, ssh_cb, s);
	assert_int_equal(s->encrypted, 1);
	assert_int_equal(f.alproto, ALP_SSH);
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}

static void test_ssh_byte_at_a_time(void **state)
{
	(void)state;
	struct ssh_seen whole, bytes;
	ssh_conversation(0, &whole);
	ssh_conversation(1, &bytes);
	assert_string_equal(whole.software[0], "libssh_0.10");
	assert_string_equal(whole.software[1], "OpenSSH_9.2p1");
	assert_string_equal(whole.hassh_string[0],
			    "curve25519-sha256;aes128-ctr,aes256-ctr;hmac-sha2-256;none");
	assert_string_equal(whole.hassh_string[1],
			    "curve25519-sha256;aes256-ctr;hmac-sha2-512;none,zlib");
	for (int d = 0; d < 2; d++) {
		assert_string_equal(bytes.software[d], whole.software[d]);
		assert_string_equal(bytes.hassh_string[d], whole.hassh_string[d]);
	}
}

static void test_ssh_long_banner(void **state)
{
	(void)state;
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 0, 0);
	flow_init(&f, ALP_SSH);
	uint8_t line[600];
	memcpy(line, "SSH-2.0-", 8);
	memset(line + 8, 'x', sizeof(line) - 8);
	app_tx_reset(&a);
	app_stream_data(&a, &f, 0, line, sizeof(line), 0);
	assert_true(app_ev_has(&a.tx.events, APP_EV_SSH_LONG_BANNER)); /* (a 128-bit mask: no cast to 64 bits) */
	app_flow_free_ctx(&a, &f);
}

/* SIP over TCP: messages cut at the blank line plus Content-Length, the
 * same fields whole and a byte at a time; compact header names read as
 * their long forms; pipelined messages each a transaction. */
struct sip_seen {
	int n;
	char line[4][128], via[4][64], ua[4][64];
	int nvia[4];
	uint64_t tx[4];
	long clen[4];
	char sname[4][32];
};
static void sip_cb(const struct app_tx *tx, void *ud)
{
	struct sip_seen *s = ud;
	for (unsigned i = 0; i < tx->nsip && s->n < 4; i++, s->n++) {
		const struct sip_msg *m = tx->sip[i];
		snprintf(s->line[s->n], sizeof(s->line[0]), "%.*s", m->line.len, m->buf + m->line.off);
		s->nvia[s->n] = m->nhdr[SIP_H_VIA];
		if (m->nhdr[SIP_H_VIA])
			snprintf(s->via[s->n], sizeof(s->via[0]), "%.*s", m->hdr[SIP_H_VIA][m->nhdr[SIP_H_VIA] - 1].len,
				 m->buf + m->hdr[SIP_H_VIA][m->nhdr[SIP_H_VIA] - 1].off);
		if (m->nhdr[SIP_H_UA])
			snprintf(s->ua[s->n], sizeof(s->ua[0]), "%.*s", m->hdr[SIP_H_UA][0].len,
				 m->buf + m->hdr[SIP_H_UA][0].off);
		s->tx[s->n] = m->tx_id;
		s->clen[s->n] = (long)m->content_length;
		if (m->nsdp[SDP_SESSION_NAME])
			snprintf(s->sname[s->n], sizeof(s->sname[0]), "%.*s", m->sdp[SDP_SESSION_NAME][0].len,
				 m->buf + m->sdp[SDP_SESSION_NAME][0].off);
	}
}

static void test_sip(void **state)
{
	(void)state;
	static const char conv[] =
		"INVITE sip:bob@example.com SIP/2.0\r\nVia: SIP/2.0/TCP 10.0.0.1\r\nv:  SIP/2.0/TCP 10.0.0.2 \r\n"
		"User-Agent: softphone 1.0\r\nl: 10\r\n\r\nv=0\r\ns=x\r\n"
		"OPTIONS sip:bob@example.com SIP/2.0\r\nContent-Length: 0\r\n\r\n";
	for (size_t step = 0; step <= 1; step++) {
		struct app_ctx a;
		struct flow f;
		ctx_init(&a, 0, 1 << 20);
		flow_init(&f, ALP_UNKNOWN);
		f.key.dp = 5060;
		struct sip_seen s;
		memset(&s, 0, sizeof(s));
		feed(&a, &f, 0, (const uint8_t *)conv, strlen(conv), step, sip_cb, &s);
		assert_int_equal(f.alproto, ALP_SIP);
		assert_int_equal(s.n, 2);
		assert_string_equal(s.line[0], "INVITE sip:bob@example.com SIP/2.0");
		assert_int_equal(s.nvia[0], 2);
		assert_string_equal(s.via[0], "SIP/2.0/TCP 10.0.0.2");
		assert_string_equal(s.ua[0], "softphone 1.0");
		assert_int_equal(s.clen[0], 10);
		assert_string_equal(s.sname[0], "x"); /* its SDP body: s=x */
		assert_string_equal(s.line[1], "OPTIONS sip:bob@example.com SIP/2.0");
		assert_string_equal(s.sname[1], "");
		assert_int_equal(s.tx[0], 0);
		assert_int_equal(s.tx[1], 1);
		app_flow_free_ctx(&a, &f);
		assert_int_equal(a.mc.used, 0);
	}
	/* a status line, and what is not SIP */
	struct sip_msg *m = malloc(sizeof(*m));
	assert_non_null(m);
	static const char resp[] = "SIP/2.0 486 Busy Here\r\nt: <sip:bob@example.com>;tag=1\r\n\r\n";
	assert_true(sip_probe((const uint8_t *)resp, sizeof(resp) - 1));
	assert_true(sip_parse(m, (const uint8_t *)resp, sizeof(resp) - 1));
	assert_true(m->response);
	assert_int_equal(m->code.len, 3);
	assert_memory_equal(m->buf + m->code.off, "486", 3);
	assert_memory_equal(m->buf + m->reason.off, "Busy Here", 9);
	assert_int_equal(m->nhdr[SIP_H_TO], 1);
	assert_false(sip_probe((const uint8_t *)"OPTIONS / HTTP/1.1\r\n", 20));
	assert_false(sip_probe((const uint8_t *)"SIP/2.0 OK\r\n", 12));
	assert_false(sip_parse(m, (const uint8_t *)"IN(VITE sip:x SIP/2.0\r\n\r\n", 25));
	free(m);

	/* SDP over UDP (sdp.*): session and media lines, the singular fields
	 * their first line, the media ones per m= block; Content-Length cuts
	 * the body (the trailing junk is not read) */
	static const char inv[] =
		"INVITE sip:bob@example.com SIP/2.0\r\nContent-Type: application/sdp\r\nContent-Length: 232\r\n\r\n"
		"v=0\r\no=alice 2890844526 2890844526 IN IP4 host.example.com\r\ns=Call\r\ni=info\r\n"
		"e=a@example.com\r\ne=b@example.com\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\na=recvonly\r\n"
		"m=audio 49170 RTP/AVP 0\r\ni=voice\r\nc=IN IP4 10.0.0.2\r\nm=video 51372 RTP/AVP 31\r\na=x\r\n"
		"k=clear:secret\r\n";
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 0, 1 << 20);
	flow_init(&f, ALP_SIP);
	struct packet p;
	memset(&p, 0, sizeof(p));
	p.proto = 17;
	p.sp = 5060;
	p.dp = 5060;
	p.flow = &f;
	p.payload = guard_copy(inv, sizeof(inv) - 1);
	p.payload_len = (uint32_t)(sizeof(inv) - 1);
	app_tx_reset(&a);
	app_udp(&a, &f, &p);
	assert_int_equal(a.tx.nsip, 1);
	const struct sip_msg *sm = a.tx.sip[0];
#define SDPV(fld, i, want)                                                              \
	do {                                                                           \
		assert_true(sm->nsdp[fld] > (i));                                      \
		assert_int_equal(sm->sdp[fld][i].len, strlen(want));                   \
		assert_memory_equal(sm->buf + sm->sdp[fld][i].off, want, strlen(want)); \
	} while (0)
	SDPV(SDP_ORIGIN, 0, "alice 2890844526 2890844526 IN IP4 host.example.com");
	SDPV(SDP_SESSION_NAME, 0, "Call");
	SDPV(SDP_SESSION_INFO, 0, "info");
	SDPV(SDP_EMAIL, 0, "a@example.com");
	assert_int_equal(sm->nsdp[SDP_EMAIL], 1);
	SDPV(SDP_CONN, 0, "IN IP4 10.0.0.1");
	SDPV(SDP_TIME, 0, "0 0");
	SDPV(SDP_ATTR, 0, "recvonly");
	assert_int_equal(sm->nsdp[SDP_ATTR], 1); /* a=x is the video's */
	SDPV(SDP_M_MEDIA, 0, "audio 49170 RTP/AVP 0");
	SDPV(SDP_M_MEDIA, 1, "video 51372 RTP/AVP 31");
	SDPV(SDP_M_INFO, 0, "voice");
	SDPV(SDP_M_CONN, 0, "IN IP4 10.0.0.2");
	assert_int_equal(sm->nsdp[SDP_M_KEY], 0); /* past Content-Length */
	assert_int_equal(sm->nsdp[SDP_KEY], 0);
	assert_int_equal(sm->nsdp[SDP_URI], 0);
#undef SDPV
	/* a body that is not SDP */
	static const char msg[] = "MESSAGE sip:bob@example.com SIP/2.0\r\nContent-Length: 8\r\n\r\ns=hello\n";
	p.payload = guard_copy(msg, sizeof(msg) - 1);
	p.payload_len = (uint32_t)(sizeof(msg) - 1);
	app_tx_reset(&a);
	app_udp(&a, &f, &p);
	assert_int_equal(a.tx.nsip, 1);
	assert_int_equal(a.tx.sip[0]->nsdp[SDP_SESSION_NAME], 0);
	app_flow_free_ctx(&a, &f);
}

/* LDAP over TCP: a bind and its response are one transaction, logged
 * when the response completes it; an unbind is complete alone; the same
 * records whole and a byte at a time; a response to nothing raises
 * ldap.request_not_found. */
struct ldap_seen {
	int n;
	char rec[4][512];
	app_events_t ev;
};
static void ldap_cb(const struct app_tx *tx, void *ud)
{
	struct ldap_seen *s = ud;
	app_ev_or(&s->ev, &tx->events);
	for (unsigned i = 0; i < tx->nldap && s->n < 4; i++, s->n++) {
		struct jbuf jb = { 0 };
		jb_open_object(&jb, NULL);
		ldap_log_fields(&jb, tx->ldap[i]);
		jb_close(&jb);
		snprintf(s->rec[s->n], sizeof(s->rec[0]), "%.*s", (int)jb.len, jb.buf);
		jb_fini(&jb);
	}
}

static void test_ldap(void **state)
{
	(void)state;
	static const uint8_t req[] = { 0x30, 0x0c, 0x02, 0x01, 0x01, 0x60, 0x07, 0x02, 0x01, 0x03,
				       0x04, 0x00, 0x80, 0x00,
				       0x30, 0x05, 0x02, 0x01, 0x02, 0x42, 0x00 }; /* bind, unbind */
	static const uint8_t resp[] = { 0x30, 0x0c, 0x02, 0x01, 0x01, 0x61, 0x07, 0x0a, 0x01, 0x31,
					0x04, 0x00, 0x04, 0x00,
					0x30, 0x0c, 0x02, 0x01, 0x09, 0x6b, 0x07, 0x0a, 0x01, 0x00,
					0x04, 0x00, 0x04, 0x00 }; /* bind response; a delete response to nothing */
	char first[2][4][512];
	for (size_t step = 0; step <= 1; step++) {
		struct app_ctx a;
		struct flow f;
		ctx_init(&a, 0, 1 << 20);
		flow_init(&f, ALP_UNKNOWN);
		f.key.dp = 389;
		struct ldap_seen s;
		memset(&s, 0, sizeof(s));
		feed(&a, &f, 0, req, sizeof(req), step, ldap_cb, &s);
		assert_int_equal(f.alproto, ALP_LDAP);
		feed(&a, &f, 1, resp, sizeof(resp), step, ldap_cb, &s);
		assert_int_equal(s.n, 3);
		assert_string_equal(s.rec[0], "{\"request\":{\"message_id\":2,\"operation\":\"unbind_request\"}}");
		assert_string_equal(s.rec[1], "{\"request\":{\"message_id\":1,\"operation\":\"bind_request\","
					      "\"bind_request\":{\"version\":3,\"name\":\"\"}},\"responses\":[{\"operation\":"
					      "\"bind_response\",\"bind_response\":{\"result_code\":\"invalid_credentials\","
					      "\"matched_dn\":\"\",\"message\":\"\"}}]}");
		assert_string_equal(s.rec[2], "{\"responses\":[{\"message_id\":9,\"operation\":\"del_response\","
					      "\"del_response\":{\"result_code\":\"success\",\"matched_dn\":\"\",\"message\":\"\"}}]}");
		assert_true(app_ev_has(&s.ev, APP_EV_LDAP_REQUEST_NOT_FOUND)); /* (a 128-bit mask: no cast to 64 bits) */
		memcpy(first[step], s.rec, sizeof(s.rec));
		assert_null(app_ldap_unlogged(&f));
		app_flow_free_ctx(&a, &f);
		assert_int_equal(a.mc.used, 0);
	}
	assert_memory_equal(first[0], first[1], sizeof(first[0]));
	/* the ldap.* keywords' views: a bind with name "cn=x", its response
	 * invalid_credentials with a message */
	static const uint8_t bind[] = { 0x30, 0x10, 0x02, 0x01, 0x01, 0x60, 0x0b, 0x02, 0x01, 0x03,
					0x04, 0x04, 'c', 'n', '=', 'x', 0x80, 0x00 };
	static const uint8_t bres[] = { 0x30, 0x0f, 0x02, 0x01, 0x01, 0x61, 0x0a, 0x0a, 0x01, 0x31,
					0x04, 0x00, 0x04, 0x03, 'b', 'a', 'd' };
	struct ldap_msg mq = { (uint8_t *)(uintptr_t)bind, sizeof(bind), 1, 0 };
	struct ldap_msg mr = { (uint8_t *)(uintptr_t)bres, sizeof(bres), 1, 1 };
	const uint8_t *p;
	uint32_t n;
	uint64_t code;
	assert_int_equal(ldap_op_number(&mq), 0);
	assert_int_equal(ldap_op_number(&mr), 1);
	assert_true(ldap_msg_dn(&mq, &p, &n) && n == 4 && !memcmp(p, "cn=x", 4));
	assert_false(ldap_result_code(&mq, &code));
	assert_true(ldap_result_code(&mr, &code) && code == 49);
	assert_true(ldap_msg_message(&mr, &p, &n) && n == 3 && !memcmp(p, "bad", 3));
	assert_true(ldap_msg_dn(&mr, &p, &n) && n == 0);
	assert_int_equal(ldap_result_lookup("size_limit_exceeded"), 4);
	/* ldap.request.attribute_type: a search for "cn" and "mail" (base
	 * "dc=x", present filter "objectClass"); ldap.responses.attribute_type:
	 * an entry with attributes "cn" and "sn"; a bind has none */
	static const uint8_t srch[] = { 0x30, 0x33, 0x02, 0x01, 0x02, 0x63, 0x2e, 0x04, 0x04, 'd', 'c', '=', 'x',
					0x0a, 0x01, 0x02, 0x0a, 0x01, 0x00, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00,
					0x01, 0x01, 0x00, 0x87, 0x0b, 'o', 'b', 'j', 'e', 'c', 't', 'C', 'l', 'a',
					's', 's', 0x30, 0x0a, 0x04, 0x02, 'c', 'n', 0x04, 0x04, 'm', 'a', 'i', 'l' };
	static const uint8_t ent[] = { 0x30, 0x25, 0x02, 0x01, 0x02, 0x64, 0x20, 0x04, 0x04, 'c', 'n', '=', 'a',
				       0x30, 0x18, 0x30, 0x0a, 0x04, 0x02, 'c', 'n', 0x31, 0x04, 0x04, 0x02, 'a', 'b',
				       0x30, 0x0a, 0x04, 0x02, 's', 'n', 0x31, 0x04, 0x04, 0x02, 'c', 'd' };
	struct ldap_msg ms = { (uint8_t *)(uintptr_t)srch, sizeof(srch), 2, 0 };
	struct ldap_msg me = { (uint8_t *)(uintptr_t)ent, sizeof(ent), 2, 0 };
	const uint8_t *ap[4];
	uint32_t an[4];
	assert_int_equal(ldap_msg_attr_types(&ms, ap, an, 4), 2);
	assert_true(an[0] == 2 && !memcmp(ap[0], "cn", 2) && an[1] == 4 && !memcmp(ap[1], "mail", 4));
	assert_int_equal(ldap_msg_attr_types(&ms, ap, an, 1), 1); /* capped */
	assert_int_equal(ldap_msg_attr_types(&me, ap, an, 4), 2);
	assert_true(an[0] == 2 && !memcmp(ap[0], "cn", 2) && an[1] == 2 && !memcmp(ap[1], "sn", 2));
	assert_int_equal(ldap_msg_attr_types(&mq, ap, an, 4), 0);
	/* a modify's changed types (givenName twice, cn): found by fuzz_ldap
	 * reading past the message (a BER cursor that was its own output) */
	static const uint8_t mod[] = {
		0x30, 0x81, 0x80, 0x02, 0x01, 0x02, 0x66, 0x7b, 0x04, 0x24, 0x75, 0x69,
		0x64, 0x3d, 0x6a, 0x64, 0x6f, 0x65, 0x2c, 0x6f, 0x75, 0x3d, 0x50, 0x65,
		0x6f, 0x70, 0x6c, 0x65, 0x2c, 0x64, 0x63, 0x3d, 0x65, 0x78, 0x61, 0x6d,
		0x70, 0x6c, 0x65, 0x2c, 0x64, 0x63, 0x3d, 0x63, 0x6f, 0x6d, 0x30, 0x53,
		0x30, 0x18, 0x0a, 0x01, 0x01, 0x30, 0x13, 0x04, 0x09, 0x67, 0x69, 0x76,
		0x65, 0x6e, 0x4e, 0x61, 0x6d, 0x65, 0x31, 0x06, 0x04, 0x04, 0x4a, 0x6f,
		0x68, 0x6e, 0x30, 0x1c, 0x0a, 0x01, 0x00, 0x30, 0x17, 0x04, 0x09, 0x67,
		0x69, 0x76, 0x65, 0x6e, 0x4e, 0x61, 0x6d, 0x65, 0x31, 0x0a, 0x04, 0x08,
		0x4a, 0x6f, 0x6e, 0x61, 0x74, 0x68, 0x61, 0x6e, 0x30, 0x19, 0x0a, 0x01,
		0x02, 0x30, 0x14, 0x04, 0x02, 0x63, 0x6e, 0x31, 0x0e, 0x04, 0x0c, 0x4a,
		0x6f, 0x6e, 0x61, 0x74, 0x68, 0x61, 0x6e, 0x20, 0x44, 0x6f, 0x65
	};
	struct ldap_msg mm = { (uint8_t *)(uintptr_t)guard_copy(mod, 131), 131, 2, 0 };
	assert_int_equal(ldap_msg_attr_types(&mm, ap, an, 4), 3);
	assert_true(an[0] == 9 && !memcmp(ap[0], "givenName", 9) && an[2] == 2 && !memcmp(ap[2], "cn", 2));
	/* every cut of the search: no attribute read past the end */
	for (size_t cut = 0; cut < sizeof(srch); cut++) {
		struct ldap_msg mc = { (uint8_t *)(uintptr_t)guard_copy(srch, cut), (uint32_t)cut, 2, 0 };
		assert_true(ldap_msg_attr_types(&mc, ap, an, 4) <= 2);
	}
	assert_string_equal(ldap_op_name_of(5), "search_result_done");
	/* what is not LDAP */
	assert_false(ldap_probe((const uint8_t *)"\x30\x03\x02\x01\x01", 5));
	assert_false(ldap_probe((const uint8_t *)"GET / HTTP/1.1\r\n", 16));
	static const uint8_t snmp[] = { 0x30, 0x26, 0x02, 0x01, 0x01, 0x04, 0x06, 'p', 'u', 'b', 'l', 'i', 'c' };
	assert_false(ldap_probe(snmp, sizeof(snmp)));
}

/* POP3: the greeting, commands and their responses (single-line,
 * multi-line with a dot-stuffed line, -ERR), in order, whole and a byte
 * at a time, the same records; RETR's message passed by its octet count
 * (a lone dot inside does not end it) and not kept; AUTH's SASL data; the
 * events; a hole in a multi-line response ends it; STLS turns the flow
 * to TLS. */
struct pop3_seen {
	unsigned n;
	char rec[12][400];
	char cmd[12][16];
	app_events_t ev;
};

static void pop3_cb(const struct app_tx *tx, void *ud)
{
	struct pop3_seen *s = ud;
	app_ev_or(&s->ev, &tx->events);
	for (unsigned i = 0; i < tx->npop3; i++) {
		if (!tx->pop3[i].done || s->n >= 12)
			continue;
		struct jbuf jb = { 0 };
		jb_open_object(&jb, NULL);
		pop3_log_fields(&jb, tx->pop3[i].t);
		jb_close(&jb);
		snprintf(s->rec[s->n], sizeof(s->rec[0]), "%.*s", (int)jb.len, jb.buf);
		snprintf(s->cmd[s->n++], sizeof(s->cmd[0]), "%.*s", tx->pop3[i].t->cmd_len,
			 tx->pop3[i].t->cmd);
		jb_fini(&jb);
	}
}

/* ---- files in mail (mime.c through POP3 and IMAP) ---- */

/* A message with a base64 attachment and a 7bit one whose second line
 * starts with a dot (dot-stuffed over POP3). */
#define MAIL_MSG(DOT) \
	"From: a@b\r\nSubject: files\r\nContent-Type: multipart/mixed; boundary=\"zz\"\r\n\r\n" \
	"--zz\r\nContent-Type: text/plain\r\n\r\nhello\r\n" \
	"--zz\r\nContent-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n" \
	"Content-Disposition: attachment; filename=\"report.pdf\"\r\n\r\n" \
	"JVBERi0xLjQgdmlnaWwgdGVzdCBhdHRh\r\nY2htZW50Cg==\r\n" \
	"--zz\r\nContent-Disposition: attachment; filename=notes.txt\r\n\r\n" \
	"line1\r\n" DOT ".dot line\r\n--zz--\r\n"
#define REPORT_MD5 "f0b525676c2cf2e2020416bb9ae30f50" /* "%PDF-1.4 vigil test attachment\n" */
#define NOTES_MD5 "f274880a4a79e24c74d0b91f69322465"  /* "line1\r\n.dot line" */

struct mail_files {
	unsigned n;
	char name[4][64], md5[4][33];
	uint64_t size[4], tx_id[4];
	uint8_t alp[4];
	bool to_client[4];
	app_events_t events;
};

static void mail_cb(const struct app_tx *tx, void *ud)
{
	struct mail_files *m = ud;
	app_ev_or(&m->events, &tx->events);
	for (unsigned i = 0; i < tx->nfiles && m->n < 4; i++) {
		const struct app_file *fi = tx->files[i];
		snprintf(m->name[m->n], sizeof(m->name[0]), "%.*s", fi->name_len, fi->name);
		snprintf(m->md5[m->n], sizeof(m->md5[0]), "%s", fi->facts.md5);
		m->size[m->n] = fi->size;
		m->tx_id[m->n] = fi->tx_id;
		m->alp[m->n] = fi->alp;
		m->to_client[m->n++] = fi->to_client;
	}
}

static void mail_files_check(const struct mail_files *m, uint8_t alp, uint64_t tx_id, bool to_client)
{
	assert_int_equal(m->n, 2);
	assert_string_equal(m->name[0], "report.pdf");
	assert_int_equal(m->size[0], 31);
	assert_string_equal(m->md5[0], REPORT_MD5);
	assert_string_equal(m->name[1], "notes.txt");
	assert_int_equal(m->size[1], 16);
	assert_string_equal(m->md5[1], NOTES_MD5);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(m->alp[i], alp);
		assert_int_equal(m->tx_id[i], tx_id);
		assert_int_equal(m->to_client[i], to_client);
	}
}

/* RETR's and TOP's message: dot-stuffing undone, attachments are files
 * of the pop3 transaction, whether the status line gives the octet count
 * or not, at any delivery size. */
static void test_pop3_files(void **state)
{
	(void)state;
	file_want(FILE_WANT_MD5);
	static const char msg[] = MAIL_MSG(".");
	char resp[2048];
	for (int octets = 0; octets < 2; octets++) {
		if (octets)
			snprintf(resp, sizeof(resp), "+OK %zu octets\r\n%s.\r\n", strlen(msg), msg);
		else
			snprintf(resp, sizeof(resp), "+OK message follows\r\n%s.\r\n", msg);
		static const size_t steps[] = { 0, 1, 7, 100 };
		for (size_t si = 0; si < ARRAY_SIZE(steps); si++) {
			struct app_ctx a;
			struct flow f;
			ctx_init(&a, 0, 1 << 20);
			flow_init(&f, ALP_UNKNOWN);
			f.key.dp = 110;
			struct mail_files m = { 0 };
			feed(&a, &f, 1, (const uint8_t *)"+OK ready\r\n", 11, 0, mail_cb, &m);
			feed(&a, &f, 0, (const uint8_t *)"USER x\r\nRETR 1\r\n", 16, 0, mail_cb, &m);
			assert_int_equal(f.alproto, ALP_POP3);
			feed(&a, &f, 1, (const uint8_t *)"+OK\r\n", 5, 0, mail_cb, &m);
			feed(&a, &f, 1, (const uint8_t *)resp, strlen(resp), steps[si], mail_cb, &m);
			mail_files_check(&m, ALP_POP3, 2, true);
			/* TOP 1 10: the same message's first lines, files too */
			memset(&m, 0, sizeof(m));
			feed(&a, &f, 0, (const uint8_t *)"TOP 1 10\r\n", 10, 0, mail_cb, &m);
			feed(&a, &f, 1, (const uint8_t *)resp, strlen(resp), steps[si], mail_cb, &m);
			mail_files_check(&m, ALP_POP3, 3, true);
			app_flow_free_ctx(&a, &f);
			assert_int_equal(a.mc.used, 0); /* every buffer and the state returned */
		}
	}
}

struct imap_seen {
	struct mail_files m;
	unsigned n;
	char rec[8][400];         /* the imap records of completed transactions */
};

static void imap_cb(const struct app_tx *tx, void *ud)
{
	struct imap_seen *s = ud;
	mail_cb(tx, &s->m);
	for (unsigned i = 0; i < tx->nimap; i++) {
		if (!tx->imap[i].done || s->n >= 8)
			continue;
		struct jbuf jb = { 0 };
		jb_open_object(&jb, NULL);
		imap_log_fields(&jb, tx->imap[i].t);
		jb_close(&jb);
		snprintf(s->rec[s->n++], sizeof(s->rec[0]), "%.*s", (int)jb.len, (const char *)jb.buf);
		jb_fini(&jb);
	}
}

/* IMAP: detection on 143, tagged commands and completions, a FETCH
 * BODY[] literal (to the client) and an APPEND literal (to the server)
 * whose attachments are files of their transactions, STARTTLS; at every
 * delivery size. */
static void test_imap(void **state)
{
	(void)state;
	file_want(FILE_WANT_MD5);
	static const char msg[] = MAIL_MSG("");
	char fetch[2048], append[2048];
	snprintf(fetch, sizeof(fetch),
		 "* 1 EXISTS\r\na2 OK [READ-WRITE] SELECT completed\r\n"
		 "* 1 FETCH (FLAGS (\\Seen) BODY[] {%zu}\r\n%s)\r\na3 OK FETCH completed\r\n",
		 strlen(msg), msg);
	snprintf(append, sizeof(append), "a4 APPEND \"Sent Items\" (\\Seen) {%zu+}\r\n%s\r\n", strlen(msg), msg);
	static const size_t steps[] = { 0, 1, 5, 64 };
	for (size_t si = 0; si < ARRAY_SIZE(steps); si++) {
		size_t st = steps[si];
		struct app_ctx a;
		struct flow f;
		ctx_init(&a, 0, 1 << 20);
		flow_init(&f, ALP_UNKNOWN);
		f.key.dp = 143;
		struct imap_seen s;
		memset(&s, 0, sizeof(s));
		feed(&a, &f, 1, (const uint8_t *)"* OK [CAPABILITY IMAP4rev1] ready\r\n", 35, st, imap_cb, &s);
		assert_int_equal(f.alproto, ALP_IMAP);
		static const char c1[] = "a1 LOGIN bob {3}\r\npw1\r\na2 SELECT \"INBOX\"\r\na3 FETCH 1 (FLAGS BODY[])\r\n";
		feed(&a, &f, 0, (const uint8_t *)c1, strlen(c1), st, imap_cb, &s);
		feed(&a, &f, 1, (const uint8_t *)"a1 OK LOGIN done\r\n", 18, st, imap_cb, &s);
		feed(&a, &f, 1, (const uint8_t *)fetch, strlen(fetch), st, imap_cb, &s);
		mail_files_check(&s.m, ALP_IMAP, 2, true);
		memset(&s.m, 0, sizeof(s.m));
		feed(&a, &f, 0, (const uint8_t *)append, strlen(append), st, imap_cb, &s);
		feed(&a, &f, 1, (const uint8_t *)"a4 OK APPEND completed\r\n", 24, st, imap_cb, &s);
		mail_files_check(&s.m, ALP_IMAP, 3, false);
		assert_int_equal(s.n, 4);
		assert_string_equal(s.rec[0], "{\"tag\":\"a1\",\"command\":\"LOGIN\",\"response\":{\"status\":\"OK\",\"text\":\"LOGIN done\"}}");
		assert_string_equal(s.rec[1], "{\"tag\":\"a2\",\"command\":\"SELECT\",\"mailbox\":\"INBOX\",\"response\":{\"status\":\"OK\",\"text\":\"[READ-WRITE] SELECT completed\"}}");
		assert_string_equal(s.rec[2], "{\"tag\":\"a3\",\"command\":\"FETCH\",\"response\":{\"status\":\"OK\",\"text\":\"FETCH completed\"}}");
		assert_string_equal(s.rec[3], "{\"tag\":\"a4\",\"command\":\"APPEND\",\"mailbox\":\"Sent Items\",\"response\":{\"status\":\"OK\",\"text\":\"APPEND completed\"}}");
		assert_int_equal(app_ev_count(&s.m.events), 0);
		/* STARTTLS accepted: TLS from here */
		feed(&a, &f, 0, (const uint8_t *)"a5 STARTTLS\r\n", 13, st, imap_cb, &s);
		feed(&a, &f, 1, (const uint8_t *)"a5 OK go\r\n", 10, st, imap_cb, &s);
		static const uint8_t hello[] = { 0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x03 };
		feed(&a, &f, 0, hello, sizeof(hello), 0, imap_cb, &s);
		assert_int_equal(f.alproto, ALP_TLS);
		assert_int_equal(f.alproto_orig, ALP_IMAP);
		app_flow_free_ctx(&a, &f);
		assert_int_equal(a.mc.used, 0); /* every buffer and the state returned */
	}
	/* a base64 body on one line of 12,000 characters (longer than the
	 * line buffer): passed whole, in pieces, over IMAP and POP3 */
	static char big[13000], bigresp[13200];
	int bl = snprintf(big, sizeof(big),
			  "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64\r\n"
			  "Content-Disposition: attachment; filename=zeros.bin\r\n\r\n");
	for (int i = 0; i < 3000; i++)
		bl += snprintf(big + bl, sizeof(big) - (size_t)bl, "AAAA");
	bl += snprintf(big + bl, sizeof(big) - (size_t)bl, "\r\n");
	for (int proto = 0; proto < 2; proto++) {
		struct app_ctx a;
		struct flow f;
		ctx_init(&a, 0, 1 << 20);
		flow_init(&f, proto ? ALP_POP3 : ALP_IMAP);
		struct imap_seen s;
		memset(&s, 0, sizeof(s));
		if (proto) {
			feed(&a, &f, 0, (const uint8_t *)"RETR 1\r\n", 8, 0, imap_cb, &s);
			snprintf(bigresp, sizeof(bigresp), "+OK %d octets\r\n%s.\r\n", bl, big);
		} else {
			feed(&a, &f, 0, (const uint8_t *)"c1 FETCH 1 RFC822\r\n", 19, 0, imap_cb, &s);
			snprintf(bigresp, sizeof(bigresp), "* 1 FETCH (RFC822 {%d}\r\n%s)\r\nc1 OK\r\n", bl, big);
		}
		feed(&a, &f, 1, (const uint8_t *)bigresp, strlen(bigresp), 1000, imap_cb, &s);
		assert_int_equal(s.m.n, 1);
		assert_string_equal(s.m.name[0], "zeros.bin");
		assert_int_equal(s.m.size[0], 9000);
		assert_string_equal(s.m.md5[0], "5420afa22f6423a9f59e669540656bb4");
		app_flow_free_ctx(&a, &f);
		assert_int_equal(a.mc.used, 0); /* every buffer and the state returned */
	}
	/* APPEND whose mailbox name is a literal: the message is the second */
	{
		struct app_ctx a;
		struct flow f;
		ctx_init(&a, 0, 1 << 20);
		flow_init(&f, ALP_IMAP);
		struct imap_seen s;
		memset(&s, 0, sizeof(s));
		snprintf(append, sizeof(append), "d1 APPEND {4+}\r\nSent (\\Seen) {%zu+}\r\n%s\r\n", strlen(msg), msg);
		feed(&a, &f, 0, (const uint8_t *)append, strlen(append), 3, imap_cb, &s);
		mail_files_check(&s.m, ALP_IMAP, 0, false);
		app_flow_free_ctx(&a, &f);
		assert_int_equal(a.mc.used, 0);
	}
	/* malformed: a bad literal count, an over-long line, a stray completion */
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 0, 1 << 20);
	flow_init(&f, ALP_IMAP);
	f.key.dp = 143;
	struct imap_seen s;
	memset(&s, 0, sizeof(s));
	feed(&a, &f, 0, (const uint8_t *)"b1 LOGIN x {12x}\r\n", 18, 0, imap_cb, &s);
	assert_true(HAS(s.m.events, APP_EV_IMAP_BAD_LITERAL));
	static char longl[3 * SMTP_LINE_MAX];
	memset(longl, 'x', sizeof(longl));
	memcpy(longl, "b2 NOOP ", 8);
	longl[sizeof(longl) - 2] = '\r';
	longl[sizeof(longl) - 1] = '\n';
	feed(&a, &f, 0, (const uint8_t *)longl, sizeof(longl), 1000, imap_cb, &s);
	assert_true(HAS(s.m.events, APP_EV_IMAP_LINE_TOO_LONG));
	feed(&a, &f, 1, (const uint8_t *)"zz OK what\r\nb1 OK fine\r\n", 24, 0, imap_cb, &s);
	assert_true(HAS(s.m.events, APP_EV_IMAP_UNMATCHED_RESPONSE));
	assert_string_equal(s.rec[0], "{\"tag\":\"b1\",\"command\":\"LOGIN\",\"response\":{\"status\":\"OK\",\"text\":\"fine\"}}");
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0); /* every buffer and the state returned */
	assert_true(imap_probe((const uint8_t *)"* OK hi\r\n", 9));
	assert_true(imap_probe((const uint8_t *)"A001 CAPABILITY\r\n", 17));
	assert_false(imap_probe((const uint8_t *)"A001 FOO\r\n", 10));
	assert_false(imap_probe((const uint8_t *)"+OK pop\r\n", 9));
}

/* IMAP fetches of a message's body without its headers go through the
 * MIME reader all the same: BODY[TEXT] alone (its boundary the first
 * "--x" line), BODY[HEADER] then BODY[TEXT] in one response (one
 * message), BODY[2.MIME] then BODY[2] (a part's headers, then its
 * content); a single-part BODY[TEXT] and a BODY[1] of text make no file.
 * At every delivery size. */
static void test_imap_fetch_parts(void **state)
{
	(void)state;
	file_want(FILE_WANT_MD5);
	static const char msg[] = MAIL_MSG("");
	const char *text = strstr(msg, "\r\n\r\n") + 4;
	size_t hl = (size_t)(text - msg), tl = strlen(text);
	static const char mime2[] = "Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n"
				    "Content-Disposition: attachment; filename=\"report.pdf\"\r\n\r\n";
	static const char body2[] = "JVBERi0xLjQgdmlnaWwgdGVzdCBhdHRh\r\nY2htZW50Cg==";
	static char resp[4][4096];
	snprintf(resp[0], sizeof(resp[0]), "* 1 FETCH (UID 7 BODY[TEXT] {%zu}\r\n%s)\r\na3 OK done\r\n", tl, text);
	snprintf(resp[1], sizeof(resp[1]),
		 "* 1 FETCH (BODY[HEADER] {%zu}\r\n%.*s BODY[TEXT] {%zu}\r\n%s)\r\na3 OK done\r\n", hl,
		 (int)hl, msg, tl, text);
	snprintf(resp[2], sizeof(resp[2]),
		 "* 1 FETCH (BODY[2.MIME] {%zu}\r\n%s BODY[2] {%zu}\r\n%s)\r\na3 OK done\r\n",
		 strlen(mime2), mime2, strlen(body2), body2);
	snprintf(resp[3], sizeof(resp[3]),
		 "* 1 FETCH (BODY[TEXT] {9}\r\nhi there\n BODY[1] {5}\r\nhello)\r\na3 OK done\r\n");
	static const size_t steps[] = { 0, 1, 5, 64 };
	for (size_t r = 0; r < 4; r++)
		for (size_t si = 0; si < ARRAY_SIZE(steps); si++) {
			struct app_ctx a;
			struct flow f;
			ctx_init(&a, 0, 1 << 20);
			flow_init(&f, ALP_IMAP);
			struct imap_seen s;
			memset(&s, 0, sizeof(s));
			feed(&a, &f, 0, (const uint8_t *)"a3 FETCH 1 (BODY[TEXT])\r\n", 25, 0, imap_cb, &s);
			feed(&a, &f, 1, (const uint8_t *)resp[r], strlen(resp[r]), steps[si], imap_cb, &s);
			if (r < 2) {
				mail_files_check(&s.m, ALP_IMAP, 0, true);
			} else if (r == 2) {
				assert_int_equal(s.m.n, 1);
				assert_string_equal(s.m.name[0], "report.pdf");
				assert_int_equal(s.m.size[0], 31);
				assert_string_equal(s.m.md5[0], REPORT_MD5);
			} else {
				assert_int_equal(s.m.n, 0);
			}
			assert_int_equal(s.n, 1);
			app_flow_free_ctx(&a, &f);
			assert_int_equal(a.mc.used, 0);
		}
	file_want(0);
}

static void test_pop3(void **state)
{
	(void)state;
	static const char greet[] = "+OK ready\r\n";
	static const char cmds[] = "user bob\r\nPASS s3cret word\r\nLIST\r\nRETR 1\r\nTOP 1 0\r\nXYZZY\r\n"
				   "STAT 1\r\nAUTH PLAIN\r\n";
	static const char resps[] = "+OK hi bob\r\n+OK in\r\n+OK 2 msgs\r\n1 100\r\n..2 200\r\n.\r\n"
				    "+OK 9 octets\r\nab\r\n.\r\nx\r\n.\r\n"
				    "+OK\r\nSubject: x\r\n.\r\n-ERR what\r\n-ERR args\r\n+ \r\n";
	char first[2][12][400];
	for (size_t step = 0; step <= 1; step++) {
		struct app_ctx a;
		struct flow f;
		ctx_init(&a, 0, 1 << 20);
		flow_init(&f, ALP_UNKNOWN);
		f.key.dp = 110;
		struct pop3_seen s;
		memset(&s, 0, sizeof(s));
		feed(&a, &f, 1, (const uint8_t *)greet, strlen(greet), step, pop3_cb, &s);
		assert_int_equal(f.alproto, ALP_POP3);
		feed(&a, &f, 0, (const uint8_t *)cmds, strlen(cmds), step, pop3_cb, &s);
		feed(&a, &f, 1, (const uint8_t *)resps, strlen(resps), step, pop3_cb, &s);
		/* the challenge answered AUTH: the client's next line is SASL data */
		feed(&a, &f, 0, (const uint8_t *)"AGJvYgBzM2NyZXQ=\r\n", 18, step, pop3_cb, &s);
		feed(&a, &f, 1, (const uint8_t *)"+OK done\r\n", 10, step, pop3_cb, &s);
		assert_int_equal(s.n, 10);
		assert_string_equal(s.rec[0], "{\"response\":{\"success\":true,\"status\":\"OK\",\"header\":\"ready\","
					      "\"data\":[]}}");
		assert_string_equal(s.rec[1], "{\"request\":{\"command\":\"USER\",\"args\":[\"bob\"]},\"response\":"
					      "{\"success\":true,\"status\":\"OK\",\"header\":\"hi bob\",\"data\":[]}}");
		assert_non_null(strstr(s.rec[2], "\"args\":[\"s3cret\",\"word\"]"));
		assert_string_equal(s.rec[3], "{\"request\":{\"command\":\"LIST\",\"args\":[]},\"response\":"
					      "{\"success\":true,\"status\":\"OK\",\"header\":\"2 msgs\","
					      "\"data\":[\"1 100\",\".2 200\"]}}");
		/* RETR: 9 octets "ab\r\n.\r\nx\r" passed, then "\n.\r\n" ends it */
		assert_string_equal(s.cmd[4], "RETR");
		assert_non_null(strstr(s.rec[4], "\"header\":\"9 octets\",\"data\":[]"));
		assert_string_equal(s.cmd[5], "TOP");
		assert_non_null(strstr(s.rec[5], "\"data\":[\"Subject: x\"]"));
		assert_string_equal(s.rec[6], "{\"request\":{\"command\":\"XYZZY\",\"args\":[]},\"response\":"
					      "{\"success\":false,\"status\":\"ERR\",\"header\":\"what\",\"data\":[]}}");
		assert_string_equal(s.cmd[7], "STAT");
		assert_string_equal(s.cmd[8], "AUTH");
		assert_string_equal(s.cmd[9], "<SASL DATA>");
		assert_non_null(strstr(s.rec[9], "\"header\":\"done\""));
		assert_true(app_ev_has(&s.ev, APP_EV_POP3_UNKNOWN_COMMAND));
		assert_true(app_ev_has(&s.ev, APP_EV_POP3_INCORRECT_ARGS));
		assert_false(app_ev_has(&s.ev, APP_EV_POP3_REQUEST_TOO_LONG));
		assert_null(app_pop3_unlogged(&f));
		memcpy(first[step], s.rec, sizeof(s.rec));
		app_flow_free_ctx(&a, &f);
		assert_int_equal(a.mc.used, 0);
	}
	assert_memory_equal(first[0], first[1], sizeof(first[0]));
	/* a long command; a hole in a LIST response ends it; STLS then TLS */
	struct app_ctx a;
	struct flow f;
	struct pop3_seen s;
	ctx_init(&a, 0, 1 << 20);
	flow_init(&f, ALP_POP3);
	f.key.dp = 110;
	memset(&s, 0, sizeof(s));
	char longcmd[400];
	memset(longcmd, 'a', sizeof(longcmd));
	memcpy(longcmd, "USER ", 5);
	memcpy(longcmd + sizeof(longcmd) - 2, "\r\n", 2);
	feed(&a, &f, 0, (const uint8_t *)longcmd, sizeof(longcmd), 0, pop3_cb, &s);
	assert_true(app_ev_has(&s.ev, APP_EV_POP3_REQUEST_TOO_LONG));
	feed(&a, &f, 0, (const uint8_t *)"LIST\r\n", 6, 0, pop3_cb, &s);
	feed(&a, &f, 1, (const uint8_t *)"+OK\r\n+OK 1 msg\r\n1 5\r\n", 21, 0, pop3_cb, &s);
	assert_int_equal(s.n, 1);
	app_tx_reset(&a);
	app_stream_data(&a, &f, 1, NULL, 100, 1 /* STREAM_GAP */);
	pop3_cb(&a.tx, &s);
	assert_int_equal(s.n, 2);
	assert_non_null(strstr(s.rec[1], "\"data\":[\"1 5\"]"));
	feed(&a, &f, 0, (const uint8_t *)"STLS\r\n", 6, 0, pop3_cb, &s);
	feed(&a, &f, 1, (const uint8_t *)"junk\r\n+OK go\r\n", 14, 0, pop3_cb, &s);
	assert_int_equal(s.n, 3);
	static const uint8_t hello[] = { 0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00 };
	feed(&a, &f, 0, hello, sizeof(hello), 0, NULL, NULL);
	assert_int_equal(f.alproto, ALP_TLS);
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
	/* what is not POP3 */
	assert_false(pop3_probe((const uint8_t *)"+OKAY\r\n", 7));
	assert_false(pop3_probe((const uint8_t *)"GET / HTTP/1.1\r\n", 16));
	assert_true(pop3_probe((const uint8_t *)"-ERR\r\n", 6));
	assert_true(pop3_probe((const uint8_t *)"capa\r\n", 6));
}

/* POP3 lines longer than the 4 KiB other line readers keep: Suricata
 * reads a line whole, so pop3.args, pop3.response and the record hold all
 * of it; vigil keeps POP3_LINE_MAX (32 KiB) of a line and skips the rest.
 * A 6,000-byte USER argument, a 5,000-byte status text, a 7,000-byte LIST
 * line and a 40,000-byte NOOP argument (cut), at three delivery sizes. */
struct pop3_long_seen {
	unsigned n;
	char cmd[8][8];
	uint32_t args_len[8], header_len[8], data0_len[8];
	bool args_ok[8], header_ok[8], data_ok[8];
	app_events_t ev;
};

static bool all_of(const char *p, uint32_t n, char c)
{
	for (uint32_t i = 0; i < n; i++)
		if (p[i] != c)
			return false;
	return true;
}

static void pop3_long_cb(const struct app_tx *tx, void *ud)
{
	struct pop3_long_seen *s = ud;
	app_ev_or(&s->ev, &tx->events);
	for (unsigned i = 0; i < tx->npop3; i++) {
		const struct pop3_tx *t = tx->pop3[i].t;
		if (!tx->pop3[i].done || s->n >= 8)
			continue;
		snprintf(s->cmd[s->n], sizeof(s->cmd[0]), "%.*s", (int)MIN(t->cmd_len, 7), t->cmd);
		s->args_len[s->n] = t->args_len;
		s->args_ok[s->n] = all_of(t->args, t->args_len, 'a');
		s->header_len[s->n] = t->header_len;
		s->header_ok[s->n] = all_of(t->header, t->header_len, 'h');
		const uint8_t *p;
		uint32_t n = 0;
		if (pop3_data_line(t, 0, &p, &n))
			s->data_ok[s->n] = all_of((const char *)p, n, 'd');
		s->data0_len[s->n++] = n;
	}
}

static void test_pop3_long_lines(void **state)
{
	(void)state;
	static char cli[64 * 1024], srv[64 * 1024];
	size_t cn = 0, sn = 0;
#define PUT(b, n, s_) (memcpy(b + n, s_, strlen(s_)), n += strlen(s_))
#define RUN(b, n, c_, k_) (memset(b + n, c_, k_), n += k_)
	PUT(cli, cn, "USER ");
	RUN(cli, cn, 'a', 6000);
	PUT(cli, cn, "\r\nLIST\r\nNOOP ");
	RUN(cli, cn, 'a', 40000);
	PUT(cli, cn, "\r\n");
	PUT(srv, sn, "+OK ");
	RUN(srv, sn, 'h', 5000);
	PUT(srv, sn, "\r\n+OK list\r\n");
	RUN(srv, sn, 'd', 7000);
	PUT(srv, sn, "\r\n.\r\n+OK\r\n");
#undef PUT
#undef RUN
	static const size_t steps[] = { 0, 1000, 4093 };
	for (size_t st = 0; st < sizeof(steps) / sizeof(steps[0]); st++) {
		struct app_ctx a;
		struct flow f;
		ctx_init(&a, 0, 1 << 20);
		flow_init(&f, ALP_POP3);
		f.key.dp = 110;
		static struct pop3_long_seen s;
		memset(&s, 0, sizeof(s));
		feed(&a, &f, 1, (const uint8_t *)"+OK ready\r\n", 11, 0, pop3_long_cb, &s);
		feed(&a, &f, 0, (const uint8_t *)cli, cn, steps[st], pop3_long_cb, &s);
		feed(&a, &f, 1, (const uint8_t *)srv, sn, steps[st], pop3_long_cb, &s);
		assert_int_equal(s.n, 4);
		assert_string_equal(s.cmd[1], "USER");
		assert_int_equal(s.args_len[1], 6000);
		assert_true(s.args_ok[1]);
		assert_int_equal(s.header_len[1], 5000);
		assert_true(s.header_ok[1]);
		assert_string_equal(s.cmd[2], "LIST");
		assert_int_equal(s.data0_len[2], 7000);
		assert_true(s.data_ok[2]);
		assert_string_equal(s.cmd[3], "NOOP");
		assert_int_equal(s.args_len[3], POP3_LINE_MAX - 5);
		assert_true(s.args_ok[3]);
		assert_true(app_ev_has(&s.ev, APP_EV_POP3_REQUEST_TOO_LONG));
		assert_true(app_ev_has(&s.ev, APP_EV_POP3_RESPONSE_TOO_LONG));
		app_flow_free_ctx(&a, &f);
		assert_int_equal(a.mc.used, 0);
	}
}

/* MQTT: a 3.1.1 session (CONNECT with user and password, CONNACK, a
 * QoS 1 PUBLISH and its PUBACK, SUBSCRIBE and SUBACK, DISCONNECT) whole
 * and a byte at a time, the same records; an MQTT 5 CONNECT's properties;
 * a reply to nothing, type 0 and a QoS of 3 raise their events; a message
 * over max-msg-length is logged truncated and skipped; a remaining length
 * past 4 bytes is malformed and ends the direction; the keywords' views. */
struct mqtt_seen {
	unsigned n;
	char rec[8][600];
	app_events_t ev;
	unsigned bufs[10];
};

static void mqtt_buf_cb(void *ud, int which, const uint8_t *p, uint32_t n)
{
	(void)p;
	(void)n;
	((struct mqtt_seen *)ud)->bufs[which]++;
}

static void mqtt_cb(const struct app_tx *tx, void *ud)
{
	struct mqtt_seen *s = ud;
	app_ev_or(&s->ev, &tx->events);
	for (unsigned i = 0; i < tx->nmqtt && s->n < 8; i++) {
		struct jbuf jb = { 0 };
		jb_open_object(&jb, NULL);
		mqtt_log_fields(&jb, tx->mqtt[i]);
		jb_close(&jb);
		snprintf(s->rec[s->n++], sizeof(s->rec[0]), "%.*s", (int)jb.len, jb.buf);
		jb_fini(&jb);
		mqtt_tx_buffers(tx->mqtt[i], mqtt_buf_cb, s);
	}
}

static bool num_is(const void *c, uint64_t v)
{
	return *(const uint64_t *)c == v;
}

static void test_mqtt(void **state)
{
	(void)state;
	static const uint8_t cli[] = {
		0x10, 0x1b, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x04, 0xc2, 0x00, 0x3c, /* CONNECT v4, user+pass+clean */
		0x00, 0x03, 'c', 'i', 'd', 0x00, 0x04, 'u', 's', 'e', 'r', 0x00, 0x04, 'p', 'a', 's', 's',
		0x32, 0x0b, 0x00, 0x01, 't', 0x00, 0x07, 'h', 'e', 'l', 'l', 'o', '!', /* PUBLISH qos 1, id 7 */
		0x82, 0x08, 0x00, 0x09, 0x00, 0x03, 't', '/', '#', 0x01,       /* SUBSCRIBE id 9 */
		0xe0, 0x00,                                                     /* DISCONNECT */
	};
	static const uint8_t srv[] = {
		0x20, 0x02, 0x00, 0x00,             /* CONNACK */
		0x40, 0x02, 0x00, 0x07,             /* PUBACK 7 */
		0x90, 0x03, 0x00, 0x09, 0x01,       /* SUBACK 9, qos 1 */
	};
	char first[2][8][600];
	for (size_t step = 0; step <= 1; step++) {
		struct app_ctx a;
		struct flow f;
		ctx_init(&a, 0, 1 << 20);
		flow_init(&f, ALP_UNKNOWN);
		f.key.dp = 1883;
		mqtt_config(1 << 20, true);
		struct mqtt_seen s;
		memset(&s, 0, sizeof(s));
		feed(&a, &f, 0, cli, 29, step, mqtt_cb, &s);  /* the CONNECT */
		assert_int_equal(f.alproto, ALP_MQTT);
		feed(&a, &f, 1, srv, 4, step, mqtt_cb, &s);   /* its CONNACK */
		feed(&a, &f, 0, cli + 29, sizeof(cli) - 29, step, mqtt_cb, &s);
		feed(&a, &f, 1, srv + 4, sizeof(srv) - 4, step, mqtt_cb, &s);
		assert_int_equal(s.n, 4);
		assert_string_equal(s.rec[0], "{\"connect\":{\"qos\":0,\"retain\":false,\"dup\":false,"
					      "\"protocol_string\":\"MQTT\",\"protocol_version\":4,\"client_id\":\"cid\","
					      "\"flags\":{\"username\":true,\"password\":true,\"will_retain\":false,"
					      "\"will\":false,\"clean_session\":true},\"username\":\"user\",\"password\":\"pass\"},"
					      "\"connack\":{\"qos\":0,\"retain\":false,\"dup\":false,\"session_present\":false,"
					      "\"return_code\":0}}");
		assert_string_equal(s.rec[1], "{\"disconnect\":{\"qos\":0,\"retain\":false,\"dup\":false}}");
		assert_string_equal(s.rec[2], "{\"publish\":{\"qos\":1,\"retain\":false,\"dup\":false,\"topic\":\"t\","
					      "\"message_id\":7,\"message\":\"hello!\"},\"puback\":{\"qos\":0,\"retain\":false,"
					      "\"dup\":false,\"message_id\":7}}");
		assert_string_equal(s.rec[3], "{\"subscribe\":{\"qos\":1,\"retain\":false,\"dup\":false,\"message_id\":9,"
					      "\"topics\":[{\"topic\":\"t/#\",\"qos\":1}]},\"suback\":{\"qos\":0,\"retain\":false,"
					      "\"dup\":false,\"message_id\":9,\"qos_granted\":[1]}}");
		assert_int_equal(s.bufs[MQTT_B_USERNAME], 1);
		assert_int_equal(s.bufs[MQTT_B_PASSWORD], 1);
		assert_int_equal(s.bufs[MQTT_B_PUB_MESSAGE], 1);
		assert_int_equal(s.bufs[MQTT_B_SUB_TOPIC], 1);
		assert_int_equal(app_ev_count(&s.ev), 0);
		assert_null(app_mqtt_unlogged(&f));
		memcpy(first[step], s.rec, sizeof(s.rec));
		app_flow_free_ctx(&a, &f);
		assert_int_equal(a.mc.used, 0);
	}
	assert_memory_equal(first[0], first[1], sizeof(first[0]));
	/* MQTT 5: properties; a reply to nothing; type 0; QoS 3 */
	static const uint8_t v5[] = {
		0x10, 0x12, 0x00, 0x04, 'M', 'Q', 'T', 'T', 0x05, 0x02, 0x00, 0x3c,
		0x03, 0x21, 0x00, 0x14,             /* properties: receive_maximum 20 */
		0x00, 0x00,                         /* client id "" */
		0x00, 0x00,                         /* (2 bytes over: not read, as in Suricata) */
		0x36, 0x06, 0x00, 0x01, 'x', 0x00, 0x01, 0x00, /* PUBLISH with QoS 3, no properties */
		0x00, 0x00,                         /* type 0 */
	};
	struct app_ctx a;
	struct flow f;
	struct mqtt_seen s;
	ctx_init(&a, 0, 1 << 20);
	flow_init(&f, ALP_MQTT);
	f.key.dp = 1883;
	memset(&s, 0, sizeof(s));
	feed(&a, &f, 1, (const uint8_t *)"\x40\x02\x00\x05", 4, 0, mqtt_cb, &s); /* PUBACK to nothing */
	assert_true(app_ev_has(&s.ev, APP_EV_MQTT_MISSING_PUBLISH));
	assert_true(app_ev_has(&s.ev, APP_EV_MQTT_UNINTRODUCED));
	feed(&a, &f, 0, v5, sizeof(v5), 0, mqtt_cb, &s);
	assert_true(app_ev_has(&s.ev, APP_EV_MQTT_INVALID_QOS));
	assert_true(app_ev_has(&s.ev, APP_EV_MQTT_UNASSIGNED));
	feed(&a, &f, 1, (const uint8_t *)"\x20\x03\x01\x00\x00", 5, 0, mqtt_cb, &s); /* CONNACK v5 */
	const char *cr = NULL;
	for (unsigned i = 0; i < s.n; i++)
		if (strstr(s.rec[i], "\"connect\""))
			cr = s.rec[i];
	assert_non_null(cr);
	assert_non_null(strstr(cr, "\"protocol_version\":5"));
	assert_non_null(strstr(cr, "\"properties\":{\"receive_maximum\":20}"));
	assert_non_null(strstr(cr, "\"session_present\":true"));
	/* the conditions: a CONNECT of version 5, a CONNACK's session present */
	const struct mqtt_tx *t = NULL;
	for (unsigned i = 0; i < a.tx.nmqtt; i++)
		t = a.tx.mqtt[i];
	assert_non_null(t);
	uint64_t five = 5, one = 1, conn = 1;
	assert_true(mqtt_tx_check(t, MQTT_C_PROTO_VERSION, num_is, &five, 0, 0));
	assert_true(mqtt_tx_check(t, MQTT_C_SESSION_PRESENT, num_is, &one, 0, 0));
	assert_true(mqtt_tx_check(t, MQTT_C_TYPE, num_is, &conn, 0, 0));
	assert_true(mqtt_tx_check(t, MQTT_C_CONNECT_FLAGS, num_is, &one, MQTT_CF_CLEAN_SESSION, MQTT_CF_USERNAME));
	assert_false(mqtt_tx_check(t, MQTT_C_CONNECT_FLAGS, num_is, &one, MQTT_CF_PASSWORD, 0));
	assert_true(mqtt_tx_check(t, MQTT_C_FLAGS, num_is, &one, 0, MQTT_F_DUP | MQTT_F_RETAIN));
	/* over max-msg-length: truncated, its bytes skipped, the next read */
	mqtt_config(8, true);
	memset(&s, 0, sizeof(s));
	static const uint8_t big[] = { 0x30, 0x0c, 0x00, 0x01, 'x', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A', 'A',
				       0xc0, 0x00 }; /* PUBLISH of 12 bytes, then PINGREQ */
	feed(&a, &f, 0, big, sizeof(big), 1, mqtt_cb, &s);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.rec[0], "{\"publish\":{\"qos\":0,\"retain\":false,\"dup\":false,\"truncated\":true,"
				      "\"skipped_length\":14}}");
	assert_string_equal(s.rec[1], "{\"pingreq\":{\"qos\":0,\"retain\":false,\"dup\":false}}");
	mqtt_config(1 << 20, true);
	/* a remaining length of 5 bytes: malformed, the direction stops */
	memset(&s, 0, sizeof(s));
	feed(&a, &f, 0, (const uint8_t *)"\x30\xff\xff\xff\xff\x01\xc0\x00", 8, 0, mqtt_cb, &s);
	assert_true(app_ev_has(&s.ev, APP_EV_MQTT_MALFORMED));
	assert_int_equal(s.n, 0);
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
	/* what is not MQTT */
	assert_false(mqtt_probe((const uint8_t *)"\x06\x00", 2)); /* QoS 3 */
	assert_false(mqtt_probe((const uint8_t *)"\x00\x00", 2)); /* type 0 */
	assert_true(mqtt_probe((const uint8_t *)"\x10\x10", 2));
}

/* Kerberos: an AS-REQ and the KRB-ERROR asking for pre-authentication
 * (from suricata-verify's krb5-probing capture) over TCP, whole and a
 * byte at a time, and over UDP (without the record mark): the records;
 * a record mark over 16 KiB and a message that is not DER are malformed. */
static const uint8_t krb_as_req[] = {
	0x00, 0x00, 0x00, 0xbf, 0x6a, 0x81, 0xbc, 0x30, 0x81, 0xb9, 0xa1, 0x03, 0x02, 0x01, 0x05, 0xa2,
	0x03, 0x02, 0x01, 0x0a, 0xa3, 0x0e, 0x30, 0x0c, 0x30, 0x0a, 0xa1, 0x04, 0x02, 0x02, 0x00, 0x95,
	0xa2, 0x02, 0x04, 0x00, 0xa4, 0x81, 0x9c, 0x30, 0x81, 0x99, 0xa0, 0x07, 0x03, 0x05, 0x00, 0x40,
	0x81, 0x00, 0x00, 0xa1, 0x13, 0x30, 0x11, 0xa0, 0x03, 0x02, 0x01, 0x01, 0xa1, 0x0a, 0x30, 0x08,
	0x1b, 0x06, 0x61, 0x69, 0x65, 0x6c, 0x6c, 0x6f, 0xa2, 0x0d, 0x1b, 0x0b, 0x41, 0x44, 0x2e, 0x4e,
	0x57, 0x52, 0x41, 0x2e, 0x43, 0x4f, 0x4d, 0xa3, 0x20, 0x30, 0x1e, 0xa0, 0x03, 0x02, 0x01, 0x02,
	0xa1, 0x17, 0x30, 0x15, 0x1b, 0x06, 0x6b, 0x72, 0x62, 0x74, 0x67, 0x74, 0x1b, 0x0b, 0x41, 0x44,
	0x2e, 0x4e, 0x57, 0x52, 0x41, 0x2e, 0x43, 0x4f, 0x4d, 0xa5, 0x11, 0x18, 0x0f, 0x32, 0x30, 0x31,
	0x39, 0x30, 0x32, 0x31, 0x32, 0x32, 0x31, 0x35, 0x36, 0x33, 0x33, 0x5a, 0xa6, 0x11, 0x18, 0x0f,
	0x32, 0x30, 0x31, 0x39, 0x30, 0x32, 0x31, 0x38, 0x32, 0x31, 0x35, 0x36, 0x33, 0x33, 0x5a, 0xa7,
	0x06, 0x02, 0x04, 0x72, 0x56, 0xd0, 0xd3, 0xa8, 0x1a, 0x30, 0x18, 0x02, 0x01, 0x12, 0x02, 0x01,
	0x11, 0x02, 0x01, 0x14, 0x02, 0x01, 0x13, 0x02, 0x01, 0x10, 0x02, 0x01, 0x17, 0x02, 0x01, 0x19,
	0x02, 0x01, 0x1a,
};
static const uint8_t krb_error[] = {
	0x00, 0x00, 0x00, 0xb7, 0x7e, 0x81, 0xb4, 0x30, 0x81, 0xb1, 0xa0, 0x03, 0x02, 0x01, 0x05, 0xa1,
	0x03, 0x02, 0x01, 0x1e, 0xa4, 0x11, 0x18, 0x0f, 0x32, 0x30, 0x31, 0x39, 0x30, 0x32, 0x31, 0x31,
	0x32, 0x31, 0x35, 0x36, 0x33, 0x33, 0x5a, 0xa5, 0x05, 0x02, 0x03, 0x03, 0xd1, 0x4f, 0xa6, 0x03,
	0x02, 0x01, 0x19, 0xa9, 0x0d, 0x1b, 0x0b, 0x41, 0x44, 0x2e, 0x4e, 0x57, 0x52, 0x41, 0x2e, 0x43,
	0x4f, 0x4d, 0xaa, 0x20, 0x30, 0x1e, 0xa0, 0x03, 0x02, 0x01, 0x02, 0xa1, 0x17, 0x30, 0x15, 0x1b,
	0x06, 0x6b, 0x72, 0x62, 0x74, 0x67, 0x74, 0x1b, 0x0b, 0x41, 0x44, 0x2e, 0x4e, 0x57, 0x52, 0x41,
	0x2e, 0x43, 0x4f, 0x4d, 0xac, 0x55, 0x04, 0x53, 0x30, 0x51, 0x30, 0x2e, 0xa1, 0x03, 0x02, 0x01,
	0x13, 0xa2, 0x27, 0x04, 0x25, 0x30, 0x23, 0x30, 0x1a, 0xa0, 0x03, 0x02, 0x01, 0x12, 0xa1, 0x13,
	0x1b, 0x11, 0x41, 0x44, 0x2e, 0x4e, 0x57, 0x52, 0x41, 0x2e, 0x43, 0x4f, 0x4d, 0x61, 0x69, 0x65,
	0x6c, 0x6c, 0x6f, 0x30, 0x05, 0xa0, 0x03, 0x02, 0x01, 0x17, 0x30, 0x09, 0xa1, 0x03, 0x02, 0x01,
	0x02, 0xa2, 0x02, 0x04, 0x00, 0x30, 0x09, 0xa1, 0x03, 0x02, 0x01, 0x10, 0xa2, 0x02, 0x04, 0x00,
	0x30, 0x09, 0xa1, 0x03, 0x02, 0x01, 0x0f, 0xa2, 0x02, 0x04, 0x00,
};

struct krb5_seen {
	unsigned n;
	char rec[4][400];
	app_events_t ev;
	unsigned cname;
};

static void krb5_cb(const struct app_tx *tx, void *ud)
{
	struct krb5_seen *s = ud;
	app_ev_or(&s->ev, &tx->events);
	for (unsigned i = 0; i < tx->nkrb5 && s->n < 4; i++) {
		struct jbuf jb = { 0 };
		jb_open_object(&jb, NULL);
		krb5_log_fields(&jb, tx->krb5[i]);
		jb_close(&jb);
		snprintf(s->rec[s->n++], sizeof(s->rec[0]), "%.*s", (int)jb.len, jb.buf);
		jb_fini(&jb);
		s->cname += tx->krb5[i]->cname.ncomp;
	}
}

static void test_krb5(void **state)
{
	(void)state;
	static const char *const want[2] = {
		"{\"msg_type\":\"KRB_AS_REQ\",\"cname\":\"aiello\",\"realm\":\"AD.NWRA.COM\","
		"\"sname\":\"krbtgt/AD.NWRA.COM\",\"encryption\":\"<none>\",\"weak_encryption\":false}",
		"{\"msg_type\":\"KRB_ERROR\",\"failed_request\":\"KRB_AS_REQ\",\"error_code\":"
		"\"KDC_ERR_PREAUTH_REQUIRED\",\"cname\":\"<empty>\",\"realm\":\"<empty>\","
		"\"sname\":\"krbtgt/AD.NWRA.COM\",\"encryption\":\"<none>\",\"weak_encryption\":false}",
	};
	for (size_t step = 0; step <= 1; step++) {
		struct app_ctx a;
		struct flow f;
		ctx_init(&a, 0, 1 << 20);
		flow_init(&f, ALP_UNKNOWN);
		f.key.dp = 88;
		struct krb5_seen s;
		memset(&s, 0, sizeof(s));
		feed(&a, &f, 0, krb_as_req, sizeof(krb_as_req), step, krb5_cb, &s);
		assert_int_equal(f.alproto, ALP_KRB5);
		feed(&a, &f, 1, krb_error, sizeof(krb_error), step, krb5_cb, &s);
		assert_int_equal(s.n, 2);
		assert_string_equal(s.rec[0], want[0]);
		assert_string_equal(s.rec[1], want[1]);
		assert_int_equal(s.cname, 1);
		assert_int_equal(app_ev_count(&s.ev), 0);
		app_flow_free_ctx(&a, &f);
		assert_int_equal(a.mc.used, 0);
	}
	/* over UDP: the same messages without their record marks */
	struct app_ctx a;
	struct flow f;
	struct packet p;
	struct krb5_seen s;
	ctx_init(&a, 0, 1 << 20);
	memset(&f, 0, sizeof(f));
	f.key.proto = 17;
	f.key.dp = 88;
	memset(&p, 0, sizeof(p));
	memset(&s, 0, sizeof(s));
	p.proto = 17;
	p.dp = 88;
	p.flow = &f;
	p.payload = guard_copy(krb_as_req + 4, sizeof(krb_as_req) - 4);
	p.payload_len = sizeof(krb_as_req) - 4;
	app_tx_reset(&a);
	app_udp(&a, &f, &p);
	krb5_cb(&a.tx, &s);
	assert_int_equal(f.alproto, ALP_KRB5);
	p.payload = guard_copy(krb_error + 4, sizeof(krb_error) - 4);
	p.payload_len = sizeof(krb_error) - 4;
	p.dir = 1;
	app_tx_reset(&a);
	app_udp(&a, &f, &p);
	krb5_cb(&a.tx, &s);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.rec[1], want[1]);
	/* not DER: malformed */
	p.payload = guard_copy((const uint8_t *)"\x6a\xff\xff", 3);
	p.payload_len = 3;
	app_tx_reset(&a);
	app_udp(&a, &f, &p);
	assert_true(app_ev_has(&a.tx.events, APP_EV_KRB5_MALFORMED));
	app_flow_free_ctx(&a, &f);
	/* a record mark over 16 KiB over TCP: malformed, the direction stops */
	ctx_init(&a, 0, 1 << 20);
	flow_init(&f, ALP_KRB5);
	f.key.dp = 88;
	memset(&s, 0, sizeof(s));
	feed(&a, &f, 0, (const uint8_t *)"\x00\x01\x00\x00", 4, 0, krb5_cb, &s);
	assert_true(app_ev_has(&s.ev, APP_EV_KRB5_MALFORMED));
	feed(&a, &f, 0, krb_as_req, sizeof(krb_as_req), 0, krb5_cb, &s);
	assert_int_equal(s.n, 0);
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
	assert_false(krb5_probe((const uint8_t *)"\x30\x0c\x02\x01\x05\x00\x00\x00\x00\x00\x00\x00", 12));
	assert_true(krb5_probe_tcp(krb_as_req, sizeof(krb_as_req)));
	assert_int_equal(krb5_etype_lookup("rc4-hmac"), 23);
	assert_true(krb5_weak(23) && !krb5_weak(18));
}


/* ---- HTTP/2 ---- */

/* A frame: the 9-byte header, then the payload. */
static size_t h2_frame(uint8_t *o, uint8_t type, uint8_t flags, uint32_t sid, const void *p, size_t n)
{
	o[0] = (uint8_t)(n >> 16);
	o[1] = (uint8_t)(n >> 8);
	o[2] = (uint8_t)n;
	o[3] = type;
	o[4] = flags;
	o[5] = (uint8_t)(sid >> 24);
	o[6] = (uint8_t)(sid >> 16);
	o[7] = (uint8_t)(sid >> 8);
	o[8] = (uint8_t)sid;
	if (n)
		memcpy(o + 9, p, n);
	return 9 + n;
}

/* An HPACK block of name/value pairs through nghttp2's encoder (it uses
 * Huffman codes where shorter, and its dynamic table). */
static size_t h2_block(nghttp2_hd_deflater *dfl, uint8_t *o, size_t cap, const char *const *nv, size_t n)
{
	nghttp2_nv v[16];
	for (size_t i = 0; i < n; i++) {
		v[i].name = (uint8_t *)(uintptr_t)nv[2 * i];
		v[i].namelen = strlen(nv[2 * i]);
		v[i].value = (uint8_t *)(uintptr_t)nv[2 * i + 1];
		v[i].valuelen = strlen(nv[2 * i + 1]);
		v[i].flags = NGHTTP2_NV_FLAG_NONE;
	}
	ssize_t r = nghttp2_hd_deflate_hd(dfl, o, cap, v, n);
	assert_true(r > 0);
	return (size_t)r;
}

struct h2_seen {
	char rec[8][1024];        /* http records (h2_log_fields), in order */
	unsigned nrec;
	char uri[128], host[64], ua[64];
	char body[64];            /* the response body the rules saw */
	char file[64];
	uint64_t fsize;
	app_events_t events;
	unsigned frametypes;      /* http2.frametype seen, any packet */
	bool window_100;          /* http2.window:100 on some packet */
};

static bool h2_eq(const void *c, uint64_t v) { return *(const uint64_t *)c == v; }

static void h2_collect(const struct app_tx *tx, void *ud)
{
	struct h2_seen *s = ud;
	app_ev_or(&s->events, &tx->events);
	for (unsigned i = 0; i < tx->nh2; i++) {
		const struct h2_tx *t = tx->h2[i];
		for (uint64_t ft = 0; ft < 10; ft++)
			if (h2_tx_check(t, H2_C_FRAMETYPE, 0, h2_eq, &ft))
				s->frametypes |= 1u << ft;
		uint64_t w = 100;
		s->window_100 |= h2_tx_check(t, H2_C_WINDOW, 0, h2_eq, &w);
		if (t->req.valid && t->req.uri_norm && !s->uri[0]) {
			snprintf(s->uri, sizeof(s->uri), "%.*s", (int)t->req.uri_norm_len, t->req.uri_norm);
			snprintf(s->host, sizeof(s->host), "%.*s", (int)t->req.host_len, t->req.host);
			const struct http_hdr *ua = http_header(&t->req.h, "user-agent");
			if (ua)
				snprintf(s->ua, sizeof(s->ua), "%.*s", (int)ua->val_len, ua->val);
		}
		if (t->body[1])
			snprintf(s->body, sizeof(s->body), "%.*s", (int)t->body_len[1], t->body[1]);
		if (tx->h2_log[i] && h2_tx_loggable(t) && s->nrec < 8) {
			struct jbuf jb = { 0 };
			jb_open_object(&jb, NULL);
			h2_log_fields(&jb, t);
			jb_close(&jb);
			snprintf(s->rec[s->nrec++], sizeof(s->rec[0]), "%.*s", (int)jb.len, jb.buf);
			jb_fini(&jb);
		}
	}
	for (unsigned i = 0; i < tx->nfiles; i++)
		if (tx->files[i]->h2) {
			snprintf(s->file, sizeof(s->file), "%.63s", tx->files[i]->name);
			s->fsize = tx->files[i]->size;
		}
}

struct h2_conv {
	uint8_t c[4096], sv[4096]; /* client, server bytes */
	size_t cn, sn;
	size_t c_cut;             /* the client's first delivery (before the server speaks) */
};

/* A conversation: a GET with padding and priority, a second request
 * whose block is split into a CONTINUATION (and reset by the server), the
 * response gzip-encoded in a padded DATA frame, SETTINGS, WINDOW_UPDATE,
 * PING and GOAWAY. */
static void h2_build(struct h2_conv *cv)
{
	nghttp2_hd_deflater *dc, *ds;
	assert_int_equal(nghttp2_hd_deflate_new(&dc, 4096), 0);
	assert_int_equal(nghttp2_hd_deflate_new(&ds, 4096), 0);
	uint8_t blk[1024], pl[1200];
	size_t n;
	memcpy(cv->c, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
	cv->cn = 24;
	const uint8_t set[] = { 0, 1, 0, 0, 0x10, 0, 0, 2, 0, 0, 0, 0 }; /* HEADER_TABLE_SIZE 4096, ENABLE_PUSH 0 */
	cv->cn += h2_frame(cv->c + cv->cn, 4, 0, 0, set, sizeof(set));
	const char *const req1[] = { ":method", "GET", ":scheme", "http", ":path", "/a/../index.html?q=1",
				     ":authority", "Example.COM:8080", "user-agent", "vigil-test/1.0" };
	n = h2_block(dc, blk, sizeof(blk), req1, 5);
	/* padded (3 bytes) and with a priority (weight 42) */
	pl[0] = 3;
	memset(pl + 1, 0, 4);
	pl[5] = 42;
	memcpy(pl + 6, blk, n);
	memset(pl + 6 + n, 0, 3);
	cv->cn += h2_frame(cv->c + cv->cn, 1, 0x01 | 0x04 | 0x08 | 0x20, 1, pl, 6 + n + 3);
	/* stream 3: its block in a HEADERS and a CONTINUATION */
	const char *const req3[] = { ":method", "GET", ":scheme", "http", ":path", "/second",
				     ":authority", "example.com", "x-custom", "a-rather-long-value-to-split" };
	n = h2_block(dc, blk, sizeof(blk), req3, 5);
	cv->cn += h2_frame(cv->c + cv->cn, 1, 0x01, 3, blk, n / 2);
	cv->cn += h2_frame(cv->c + cv->cn, 9, 0x04, 3, blk + n / 2, n - n / 2);
	const uint8_t wu[] = { 0, 0, 0, 100 };
	cv->cn += h2_frame(cv->c + cv->cn, 8, 0, 0, wu, 4);
	cv->c_cut = cv->cn;
	/* the server */
	const uint8_t sset[] = { 0, 3, 0, 0, 0, 100 }; /* MAX_CONCURRENT_STREAMS 100 */
	cv->sn = h2_frame(cv->sv, 4, 0, 0, sset, sizeof(sset));
	cv->sn += h2_frame(cv->sv + cv->sn, 4, 1, 0, NULL, 0); /* ACK */
	const char *const resp[] = { ":status", "200", "content-type", "text/html", "content-encoding", "gzip",
				     "content-disposition", "attachment; filename=\"page.html\"" };
	n = h2_block(ds, blk, sizeof(blk), resp, 4);
	cv->sn += h2_frame(cv->sv + cv->sn, 1, 0x04, 1, blk, n);
	/* the body, gzip, in a padded DATA frame */
	const char *body = "hello http2 world";
	uint8_t gz[256];
	z_stream z = { 0 };
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
	z.next_in = (uint8_t *)(uintptr_t)body;
	z.avail_in = (uInt)strlen(body);
	z.next_out = gz;
	z.avail_out = sizeof(gz);
	assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
	size_t gn = sizeof(gz) - z.avail_out;
	deflateEnd(&z);
	pl[0] = 5;
	memcpy(pl + 1, gz, gn);
	memset(pl + 1 + gn, 0, 5);
	cv->sn += h2_frame(cv->sv + cv->sn, 0, 0x01 | 0x08, 1, pl, 1 + gn + 5);
	const uint8_t rst[] = { 0, 0, 0, 8 }; /* CANCEL */
	cv->sn += h2_frame(cv->sv + cv->sn, 3, 0, 3, rst, 4);
	const uint8_t ping[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	cv->sn += h2_frame(cv->sv + cv->sn, 6, 0, 0, ping, 8);
	const uint8_t ga[] = { 0, 0, 0, 3, 0, 0, 0, 0 }; /* last stream 3, NO_ERROR */
	cv->sn += h2_frame(cv->sv + cv->sn, 7, 0, 0, ga, 8);
	nghttp2_hd_deflate_del(dc);
	nghttp2_hd_deflate_del(ds);
}

static void h2_run(const struct h2_conv *cv, size_t step, struct h2_seen *s)
{
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 4096, 1 << 22);
	flow_init(&f, ALP_UNKNOWN);
	f.key.dp = 80;
	memset(s, 0, sizeof(*s));
	feed(&a, &f, 0, cv->c, cv->c_cut, step, h2_collect, s);
	assert_int_equal(f.alproto, ALP_HTTP2);
	feed(&a, &f, 1, cv->sv, cv->sn, step, h2_collect, s);
	feed(&a, &f, 0, cv->c + cv->c_cut, cv->cn - cv->c_cut, step, h2_collect, s);
	app_tx_reset(&a);
	assert_null(app_h2_unlogged(&f)); /* every stream is over and written */
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}

static void test_http2(void **state)
{
	(void)state;
	static struct h2_conv cv;
	static struct h2_seen whole, bytes;
	h2_build(&cv);
	h2_run(&cv, 0, &whole);
	h2_run(&cv, 1, &bytes);
	/* the request as the http.* buffers see it */
	assert_string_equal(whole.uri, "/a/../index.html?q=1");
	assert_string_equal(whole.host, "example.com");
	assert_string_equal(whole.ua, "vigil-test/1.0");
	/* the response body decoded, and the file it is */
	assert_string_equal(whole.body, "hello http2 world");
	assert_string_equal(whole.file, "page.html");
	assert_int_equal(whole.fsize, 17);
	assert_true(whole.window_100);
	assert_int_equal(whole.frametypes, 0x3ff & ~(1u << 5 | 1u << 2)); /* all but PUSH_PROMISE, PRIORITY */
	assert_true(app_ev_count(&whole.events) == 0);
	/* records: stream 0's SETTINGS (each side), stream 1, stream 3 (reset), GOAWAY */
	assert_int_equal(whole.nrec, 5);
	bool s1 = false, s3 = false, ga = false, st = false;
	for (unsigned i = 0; i < whole.nrec; i++) {
		const char *r = whole.rec[i];
		if (strstr(r, "\"stream_id\":1,")) {
			s1 = true;
			assert_non_null(strstr(r, "\"url\":\"/a/../index.html?q=1\""));
			assert_non_null(strstr(r, "\"status\":200"));
			assert_non_null(strstr(r, "\"http_user_agent\":\"vigil-test/1.0\""));
			assert_non_null(strstr(r, "\"request_headers\":[{\"name\":\":method\",\"value\":\"GET\"}"));
			assert_non_null(strstr(r, "\"request\":{\"priority\":42}"));
		}
		if (strstr(r, "\"stream_id\":3,")) {
			s3 = true;
			assert_non_null(strstr(r, "{\"name\":\"x-custom\",\"value\":\"a-rather-long-value-to-split\"}"));
			assert_non_null(strstr(r, "\"response\":{\"error_code\":\"CANCEL\"}"));
		}
		ga |= strstr(r, "\"error_code\":\"NOERROR\"") != NULL;
		st |= strstr(r, "{\"settings_id\":\"SETTINGSENABLEPUSH\",\"settings_value\":0}") != NULL;
	}
	assert_true(s1 && s3 && ga && st);
	/* a byte at a time: the same */
	assert_int_equal(bytes.nrec, whole.nrec);
	for (unsigned i = 0; i < whole.nrec; i++)
		assert_string_equal(bytes.rec[i], whole.rec[i]);
	assert_string_equal(bytes.body, whole.body);
	assert_string_equal(bytes.file, whole.file);
	assert_true(app_ev_count(&bytes.events) == 0);
}

/* A block built by hand: indexed fields of the static table, a literal
 * with incremental indexing (then used from the dynamic table), and a
 * literal never indexed with a Huffman-coded value (RFC 7541 C.4.1's
 * "www.example.com"). */
static void test_http2_hpack_literal(void **state)
{
	(void)state;
	uint8_t conv[512];
	size_t n = 0;
	memcpy(conv, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
	n = 24;
	static const uint8_t blk1[] = { 0x82, 0x86, 0x84, /* GET, http, / */
					0x41, 0x8c, 0xf1, 0xe3, 0xc2, 0xe5, 0xf2, 0x3a, 0x6b, 0xa0, 0xab, 0x90,
					0xf4, 0xff, /* :authority: www.example.com (Huffman), indexed */
					0x10, 0x03, 'x', '-', 'a', 0x02, 'h', 'i' }; /* never indexed x-a: hi */
	n += h2_frame(conv + n, 1, 0x05, 1, blk1, sizeof(blk1));
	static const uint8_t blk3[] = { 0x82, 0x86, 0x84, 0xbe }; /* 0xbe: dynamic entry 62 */
	n += h2_frame(conv + n, 1, 0x05, 3, blk3, sizeof(blk3));
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 4096, 1 << 22);
	flow_init(&f, ALP_UNKNOWN);
	struct h2_seen s;
	memset(&s, 0, sizeof(s));
	feed(&a, &f, 0, conv, n, 0, h2_collect, &s);
	assert_true(app_ev_count(&s.events) == 0);
	assert_string_equal(s.host, "www.example.com");
	assert_string_equal(s.uri, "/");
	/* stream 3 took the authority from the dynamic table */
	int ok = 0;
	for (unsigned i = 0; i < H2_MAX_TX; i++) {
		const struct h2_slot *sl = ((struct app_flow *)f.app)->h2->slot[i];
		const struct h2_tx *t = sl ? &sl->tx : NULL;
		if (t && t->stream_id == 3 && t->req.valid)
			ok += !strcmp(t->req.host, "www.example.com");
		if (t && t->stream_id == 1 && t->req.valid)
			ok += http_header(&t->req.h, "x-a") != NULL;
	}
	assert_int_equal(ok, 2);
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}


/* A response body in brotli (Content-Encoding: br), decoded for the
 * rules with the decoder's memory on the memcap. */
static void test_http2_br(void **state)
{
	(void)state;
	nghttp2_hd_deflater *dc, *ds;
	assert_int_equal(nghttp2_hd_deflate_new(&dc, 4096), 0);
	assert_int_equal(nghttp2_hd_deflate_new(&ds, 4096), 0);
	uint8_t c[512], sv[512], blk[256];
	size_t cn = 24, sn = 0, n;
	memcpy(c, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
	const char *const req[] = { ":method", "GET", ":scheme", "http", ":path", "/b", ":authority", "h" };
	n = h2_block(dc, blk, sizeof(blk), req, 4);
	cn += h2_frame(c + cn, 1, 0x05, 1, blk, n);
	const char *const resp[] = { ":status", "200", "content-encoding", "br" };
	n = h2_block(ds, blk, sizeof(blk), resp, 2);
	sn += h2_frame(sv + sn, 1, 0x04, 1, blk, n);
	const char *text = "brotli over http2, brotli over http2";
	uint8_t br[256];
	size_t bn = sizeof(br);
	assert_true(BrotliEncoderCompress(5, 18, BROTLI_MODE_TEXT, strlen(text), (const uint8_t *)text, &bn, br));
	sn += h2_frame(sv + sn, 0, 0x01, 1, br, bn);
	nghttp2_hd_deflate_del(dc);
	nghttp2_hd_deflate_del(ds);
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 4096, 1 << 24);
	flow_init(&f, ALP_UNKNOWN);
	struct h2_seen s;
	memset(&s, 0, sizeof(s));
	feed(&a, &f, 0, c, cn, 0, h2_collect, &s);
	feed(&a, &f, 1, sv, sn, 3, h2_collect, &s);
	assert_string_equal(s.body, text);
	assert_int_equal(s.fsize, strlen(text));
	assert_true(app_ev_count(&s.events) == 0);
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}

/* Limits: streams open at once, a CONTINUATION flood, a frame longer than
 * the maximum frame size, a client without the preface, a bad HPACK
 * block; each raises its event and memory goes back to the memcap. */
static void test_http2_limits(void **state)
{
	(void)state;
	static uint8_t conv[64 * 1024];
	size_t n;
	struct app_ctx a;
	struct flow f;
	struct h2_seen s;
	static const uint8_t get[] = { 0x82, 0x86, 0x84, 0x01, 0x01, 'h' }; /* :authority h */
	/* 40 streams, none ended */
	memcpy(conv, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
	n = 24;
	for (uint32_t i = 0; i < 40; i++)
		n += h2_frame(conv + n, 1, 0x04, 1 + 2 * i, get, sizeof(get));
	ctx_init(&a, 4096, 1 << 22);
	flow_init(&f, ALP_UNKNOWN);
	memset(&s, 0, sizeof(s));
	feed(&a, &f, 0, conv, n, 0, h2_collect, &s);
	assert_true(app_ev_has(&s.events, APP_EV_HTTP2_TOO_MANY_STREAMS));
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
	/* 32 streams parked (never ended), then, on a later packet, a new
	 * one: it takes the slot of the stream idle longest and is read */
	n = 24;
	for (uint32_t i = 0; i < 32; i++)
		n += h2_frame(conv + n, 1, 0x04, 1 + 2 * i, get, sizeof(get));
	ctx_init(&a, 4096, 1 << 22);
	flow_init(&f, ALP_UNKNOWN);
	memset(&s, 0, sizeof(s));
	feed(&a, &f, 0, conv, n, 0, h2_collect, &s);
	assert_false(app_ev_has(&s.events, APP_EV_HTTP2_TOO_MANY_STREAMS));
	static const uint8_t evil[] = { 0x82, 0x86, 0x04, 0x05, '/', 'e', 'v', 'i', 'l', 0x01, 0x01, 'h' };
	uint8_t late[64];
	n = h2_frame(late, 1, 0x04 | 0x01, 65, evil, sizeof(evil));
	memset(&s, 0, sizeof(s));
	feed(&a, &f, 0, late, n, 0, h2_collect, &s);
	assert_true(app_ev_has(&s.events, APP_EV_HTTP2_TOO_MANY_STREAMS));
	assert_string_equal(s.uri, "/evil");
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
	/* a HEADERS then 100 CONTINUATIONs */
	n = 24;
	n += h2_frame(conv + n, 1, 0, 1, get, 3);
	for (int i = 0; i < 100; i++)
		n += h2_frame(conv + n, 9, 0, 1, get + 3, 0);
	n += h2_frame(conv + n, 9, 0x04, 1, get + 3, 3);
	ctx_init(&a, 4096, 1 << 22);
	flow_init(&f, ALP_UNKNOWN);
	memset(&s, 0, sizeof(s));
	feed(&a, &f, 0, conv, n, 7, h2_collect, &s);
	assert_true(app_ev_has(&s.events, APP_EV_HTTP2_REASSEMBLY_LIMIT_REACHED));
	assert_string_equal(s.uri, ""); /* the block was dropped */
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
	/* a 20000-byte PING (over 16384, and not 8) */
	n = 24;
	static uint8_t zero[20000];
	n += h2_frame(conv + n, 6, 0, 0, zero, sizeof(zero));
	ctx_init(&a, 4096, 1 << 22);
	flow_init(&f, ALP_UNKNOWN);
	memset(&s, 0, sizeof(s));
	feed(&a, &f, 0, conv, n, 1000, h2_collect, &s);
	assert_true(app_ev_has(&s.events, APP_EV_HTTP2_LONG_FRAME_DATA));
	assert_true(app_ev_has(&s.events, APP_EV_HTTP2_INVALID_FRAME_LENGTH));
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
	/* an HPACK index past both tables */
	n = 24;
	static const uint8_t bad[] = { 0xff, 0x7f };
	n += h2_frame(conv + n, 1, 0x05, 1, bad, sizeof(bad));
	ctx_init(&a, 4096, 1 << 22);
	flow_init(&f, ALP_HTTP2);
	memset(&s, 0, sizeof(s));
	feed(&a, &f, 0, conv, n, 0, h2_collect, &s);
	assert_true(app_ev_has(&s.events, APP_EV_HTTP2_INVALID_HEADER));
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
	/* HTTP/2 without the preface (the flow was said to be HTTP/2) */
	ctx_init(&a, 4096, 1 << 22);
	flow_init(&f, ALP_HTTP2);
	memset(&s, 0, sizeof(s));
	feed(&a, &f, 0, (const uint8_t *)"GET / HTTP/1.1\r\n\r\n", 18, 0, h2_collect, &s);
	assert_true(app_ev_has(&s.events, APP_EV_HTTP2_INVALID_CLIENT_MAGIC));
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
	/* a small memcap: the flow's state is refused, nothing kept */
	n = 24;
	n += h2_frame(conv + n, 1, 0x05, 1, get, sizeof(get));
	ctx_init(&a, 4096, 1024);
	flow_init(&f, ALP_UNKNOWN);
	memset(&s, 0, sizeof(s));
	feed(&a, &f, 0, conv, n, 0, h2_collect, &s);
	assert_true(app_ev_has(&s.events, APP_EV_APP_MEMCAP));
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}

/* DNS over HTTP/2: a GET ?dns=<base64url> query and a POST's
 * application/dns-message answer, read into the DNS buffers; the flow
 * becomes doh2. */
static void test_http2_doh(void **state)
{
	(void)state;
	/* a query for example.org, type A */
	static const uint8_t q[] = { 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
				     3, 'o', 'r', 'g', 0, 0, 1, 0, 1 };
	char path[128] = "/dns-query?dns=";
	size_t pl = strlen(path);
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < sizeof(q); i++) {
		acc = acc << 8 | q[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			path[pl++] = b64[acc >> bits & 63];
		}
	}
	if (bits)
		path[pl++] = b64[acc << (6 - bits) & 63];
	path[pl] = 0;
	nghttp2_hd_deflater *dc, *ds;
	assert_int_equal(nghttp2_hd_deflate_new(&dc, 4096), 0);
	assert_int_equal(nghttp2_hd_deflate_new(&ds, 4096), 0);
	uint8_t c[1024], sv[1024], blk[512];
	size_t cn = 24, sn = 0, n;
	memcpy(c, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
	const char *const req[] = { ":method", "GET", ":scheme", "https", ":path", path, ":authority", "dns.example" };
	n = h2_block(dc, blk, sizeof(blk), req, 4);
	cn += h2_frame(c + cn, 1, 0x05, 1, blk, n);
	const char *const resp[] = { ":status", "200", "content-type", "application/dns-message" };
	n = h2_block(ds, blk, sizeof(blk), resp, 2);
	sn += h2_frame(sv + sn, 1, 0x04, 1, blk, n);
	/* the answer: the query with QR set and one A record */
	uint8_t ans[64];
	memcpy(ans, q, sizeof(q));
	ans[2] = 0x81;
	ans[3] = 0x80;
	ans[7] = 1;
	static const uint8_t rr[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 192, 0, 2, 1 };
	memcpy(ans + sizeof(q), rr, sizeof(rr));
	sn += h2_frame(sv + sn, 0, 0x01, 1, ans, sizeof(q) + sizeof(rr));
	nghttp2_hd_deflate_del(dc);
	nghttp2_hd_deflate_del(ds);
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 4096, 1 << 22);
	flow_init(&f, ALP_UNKNOWN);
	app_tx_reset(&a);
	app_stream_data(&a, &f, 0, guard_copy(c, cn), (uint32_t)cn, 0);
	assert_int_equal(f.alproto, ALP_DOH2);
	assert_int_equal(a.tx.ndns, 1);
	assert_false(a.tx.dns[0].response);
	assert_string_equal(a.tx.dns[0].q[0].name, "example.org");
	assert_int_equal(a.tx.dns[0].h2_ref, 1);
	app_tx_reset(&a);
	app_stream_data(&a, &f, 1, guard_copy(sv, sn), (uint32_t)sn, 0);
	assert_int_equal(a.tx.ndns, 1);
	assert_true(a.tx.dns[0].response);
	assert_int_equal(a.tx.dns[0].nans, 1);
	assert_string_equal(a.tx.dns[0].a[0].data, "192.0.2.1");
	assert_int_equal(a.tx.nh2, 1);
	assert_true(a.tx.h2_log[0] && a.tx.h2[0]->doh);
	assert_true(alproto_rule_matches(ALP_DNS, f.alproto) && alproto_rule_matches(ALP_HTTP2, f.alproto) &&
		    alproto_rule_matches(ALP_HTTP, f.alproto) && !alproto_rule_matches(ALP_HTTP1, f.alproto));
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}

/* DoH: the client resets the stream (RST_STREAM) before the answer;
 * the answer already on its way is still read into the closed
 * transaction (as Suricata does: dns.authorities of the answer), and not
 * logged a second time; a later packet of the server not continuing a
 * reset stream ends its wait. */
static void test_http2_doh_reset(void **state)
{
	(void)state;
	static const uint8_t q[] = { 0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e',
				     3, 'o', 'r', 'g', 0, 0, 1, 0, 1 };
	nghttp2_hd_deflater *dc, *ds;
	assert_int_equal(nghttp2_hd_deflate_new(&dc, 4096), 0);
	assert_int_equal(nghttp2_hd_deflate_new(&ds, 4096), 0);
	uint8_t c[1024], rst[16], sv[1024], blk[512];
	size_t cn = 24, sn = 0, n;
	memcpy(c, "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 24);
	const char *const req[] = { ":method", "POST", ":scheme", "https", ":path", "/dns-query",
				    "content-type", "application/dns-message" };
	n = h2_block(dc, blk, sizeof(blk), req, 4);
	cn += h2_frame(c + cn, 1, 0x04, 1, blk, n);
	cn += h2_frame(c + cn, 0, 0x01, 1, q, sizeof(q));
	static const uint8_t cancel[4] = { 0, 0, 0, 8 };
	size_t rn = h2_frame(rst, 3, 0, 1, cancel, 4);
	const char *const resp[] = { ":status", "200", "content-type", "application/dns-message" };
	n = h2_block(ds, blk, sizeof(blk), resp, 2);
	sn += h2_frame(sv + sn, 1, 0x04, 1, blk, n);
	/* the answer: no answers, one SOA authority (example.org) */
	uint8_t ans[128];
	memcpy(ans, q, sizeof(q));
	ans[2] = 0x81;
	ans[3] = 0x83;
	ans[9] = 1;
	static const uint8_t soa[] = { 0xc0, 0x0c, 0, 6, 0, 1, 0, 0, 0, 60, 0, 22,
				       0xc0, 0x0c, 0xc0, 0x0c, 0, 0, 0, 1, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 0, 4, 0, 0, 0, 5 };
	memcpy(ans + sizeof(q), soa, sizeof(soa));
	sn += h2_frame(sv + sn, 0, 0, 1, ans, sizeof(q) + sizeof(soa));
	uint8_t fin[16];
	size_t fn = h2_frame(fin, 0, 0x01, 1, NULL, 0);
	nghttp2_hd_deflate_del(dc);
	nghttp2_hd_deflate_del(ds);
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 4096, 1 << 22);
	flow_init(&f, ALP_UNKNOWN);
	app_tx_reset(&a);
	app_stream_data(&a, &f, 0, guard_copy(c, cn), (uint32_t)cn, 0);
	assert_int_equal(f.alproto, ALP_DOH2);
	assert_int_equal(a.tx.ndns, 1);
	app_tx_reset(&a);
	app_stream_data(&a, &f, 0, guard_copy(rst, rn), (uint32_t)rn, 0);
	assert_int_equal(a.tx.nh2, 1);
	assert_true(a.tx.h2_log[0]); /* over: its record */
	app_tx_reset(&a);
	app_stream_data(&a, &f, 1, guard_copy(sv, sn), (uint32_t)sn, 0);
	assert_int_equal(a.tx.ndns, 0); /* the answer's end is yet to come */
	assert_false(app_ev_has(&a.tx.events, APP_EV_HTTP2_DATA_STREAM_NOT_FOUND));
	app_tx_reset(&a);
	app_stream_data(&a, &f, 1, guard_copy(fin, fn), (uint32_t)fn, 0);
	assert_int_equal(a.tx.ndns, 1);
	assert_true(a.tx.dns[0].response);
	assert_int_equal(a.tx.dns[0].nauth, 1);
	assert_string_equal(a.tx.dns[0].auth[0].name, "example.org");
	assert_int_equal(a.tx.nh2, 1);
	assert_false(a.tx.h2_log[0]); /* logged once, at the reset */
	/* a stream reset while the server says nothing more: its next
	 * packet without the stream ends the wait, the slot is freed */
	app_tx_reset(&a);
	app_stream_data(&a, &f, 1, guard_copy(fin, fn), (uint32_t)fn, 0);
	assert_true(app_ev_has(&a.tx.events, APP_EV_HTTP2_DATA_STREAM_NOT_FOUND));
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}

/* RFB: a 3.8 handshake with VNC authentication, sides interleaved as on
 * the wire, whole and a byte at a time (a desktop name longer than the
 * fixed messages, gathered across deliveries: fuzz_rfb found it
 * overflowing): one record when the ServerInit comes; a 3.8 failure with its reason; a 3.3 handshake where the server
 * names the type; what is not RFB. */
struct rfb_step {
	int dir;
	const char *d;
	size_t n;
};

static void rfb_run(const struct rfb_step *st, size_t nst, size_t step, char *rec, size_t cap)
{
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 0, 1 << 20);
	flow_init(&f, ALP_UNKNOWN);
	f.key.dp = 5900;
	rec[0] = '\0';
	unsigned nrec = 0;
	for (size_t i = 0; i < nst; i++) {
		size_t off = 0;
		while (off < st[i].n) {
			size_t k = step ? MIN(step, st[i].n - off) : st[i].n - off;
			app_tx_reset(&a);
			app_stream_data(&a, &f, st[i].dir, guard_copy(st[i].d + off, k), (uint32_t)k, 0);
			if (a.tx.rfb) {
				struct jbuf jb = { 0 };
				jb_open_object(&jb, NULL);
				rfb_log_fields(&jb, a.tx.rfb);
				jb_close(&jb);
				snprintf(rec, cap, "%.*s", (int)jb.len, jb.buf);
				jb_fini(&jb);
				nrec++;
			}
			off += k;
		}
	}
	assert_int_equal(f.alproto, ALP_RFB);
	assert_true(nrec <= 1);
	if (!nrec) { /* at flow end */
		const struct rfb_tx *t = app_rfb_unlogged(&f);
		if (t) {
			struct jbuf jb = { 0 };
			jb_open_object(&jb, NULL);
			rfb_log_fields(&jb, t);
			jb_close(&jb);
			snprintf(rec, cap, "%.*s", (int)jb.len, jb.buf);
			jb_fini(&jb);
		}
	}
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}

/* ---- IKE ---- */

/* A message under construction: the 28-byte header, then payloads. */
struct ike_msg {
	uint8_t b[2048];
	size_t n;
};

static void im_put(struct ike_msg *m, const void *d, size_t n)
{
	assert_true(m->n + n <= sizeof(m->b));
	memcpy(m->b + m->n, d, n);
	m->n += n;
}

static void im_hdr(struct ike_msg *m, uint8_t init_last, uint8_t resp_last, uint8_t next,
		   uint8_t ver, uint8_t exch, uint8_t flags)
{
	uint8_t h[28] = { 0xe4, 0x7a, 0x59, 0x1f, 0xd0, 0x57, 0x58, init_last };
	if (resp_last)
		memcpy(h + 8, (const uint8_t[]){ 0xa0, 0x0b, 0x8e, 0xf0, 0x90, 0x2b, 0xb8, resp_last }, 8);
	h[16] = next;
	h[17] = ver;
	h[18] = exch;
	h[19] = flags;
	m->n = 0;
	im_put(m, h, 28);
}

/* a generic payload header with the body's length; returns where the
 * length goes (for nested payloads whose body is added afterwards) */
static size_t im_payload(struct ike_msg *m, uint8_t next, const void *body, size_t n)
{
	uint8_t g[4] = { next, 0, (uint8_t)((n + 4) >> 8), (uint8_t)(n + 4) };
	size_t at = m->n;
	im_put(m, g, 4);
	if (body)
		im_put(m, body, n);
	return at;
}

static void im_len(struct ike_msg *m, size_t at)
{
	size_t n = m->n - at;
	m->b[at + 2] = (uint8_t)(n >> 8);
	m->b[at + 3] = (uint8_t)n;
}

static void im_done(struct ike_msg *m)
{
	m->b[24] = (uint8_t)(m->n >> 24);
	m->b[25] = (uint8_t)(m->n >> 16);
	m->b[26] = (uint8_t)(m->n >> 8);
	m->b[27] = (uint8_t)m->n;
}

/* An IKEv1 SA of one proposal with ntrans transforms (AES-CBC, SHA,
 * PSK, group 2, life 86400 s) */
static void im_v1_sa(struct ike_msg *m, uint8_t next, unsigned ntrans)
{
	size_t sa = im_payload(m, next, NULL, 0);
	im_put(m, (const uint8_t[]){ 0, 0, 0, 1, 0, 0, 0, 1 }, 8); /* DOI IPsec, situation */
	size_t pr = im_payload(m, 0, NULL, 0);
	im_put(m, (const uint8_t[]){ 1, 1, 0, (uint8_t)ntrans }, 4);
	static const uint8_t attrs[] = { 0x80, 1, 0, 7, 0x80, 2, 0, 2, 0x80, 3, 0, 1, 0x80, 4, 0, 2,
					 0x80, 11, 0, 1, 0, 12, 0, 4, 0, 1, 0x51, 0x80 };
	for (unsigned i = 0; i < ntrans; i++) {
		size_t t = im_payload(m, i + 1 < ntrans ? 3 : 0, NULL, 0);
		im_put(m, (const uint8_t[]){ (uint8_t)(i + 1), 1, 0, 0 }, 4);
		im_put(m, attrs, sizeof(attrs));
		im_len(m, t);
	}
	im_len(m, pr);
	im_len(m, sa);
}

struct ike_seen {
	unsigned n;
	app_events_t ev;
	char rec[4][2048];
	const struct ike_tx *last;
};

static void ike_send(struct app_ctx *a, struct flow *f, int dir, uint16_t port,
		     const uint8_t *d, size_t n, struct ike_seen *s)
{
	struct packet p;
	memset(&p, 0, sizeof(p));
	p.proto = 17;
	p.dir = (uint8_t)dir;
	p.sp = dir ? port : 40000;
	p.dp = dir ? 40000 : port;
	p.flow = f;
	p.payload = guard_copy(d, n);
	p.payload_len = (uint32_t)n;
	app_tx_reset(a);
	app_udp(a, f, &p);
	app_ev_or(&s->ev, &a->tx.events);
	s->last = a->tx.ike;
	if (a->tx.ike && s->n < 4) {
		struct jbuf jb = { 0 };
		jb_open_object(&jb, NULL);
		ike_log_fields(&jb, a->tx.ike);
		jb_close(&jb);
		snprintf(s->rec[s->n++], sizeof(s->rec[0]), "%.*s", (int)jb.len, jb.buf);
		jb_fini(&jb);
	}
}


static void test_ike_v1(void **state)
{
	(void)state;
	struct app_ctx a;
	struct flow f;
	struct ike_seen s;
	struct ike_msg m;
	ctx_init(&a, 0, 1 << 20);
	memset(&f, 0, sizeof(f));
	f.key.proto = 17;
	f.key.dp = 500;
	memset(&s, 0, sizeof(s));
	/* main mode 1: the initiator's SA of two transforms, a vendor id */
	im_hdr(&m, 0x7f, 0, 1, 0x10, 2, 0);
	im_v1_sa(&m, 13, 2);
	im_payload(&m, 0, "\x4a\x13\x1c\x81", 4);
	im_done(&m);
	ike_send(&a, &f, 0, 500, m.b, m.n, &s);
	assert_int_equal(f.alproto, ALP_IKE);
	assert_int_equal(s.n, 1);
	assert_non_null(strstr(s.rec[0], "\"version_major\":1,\"version_minor\":0,"
					 "\"init_spi\":\"e47a591fd057587f\",\"resp_spi\":\"0000000000000000\","
					 "\"message_id\":0,\"exchange_type\":2,"
					 "\"payload\":[\"SecurityAssociation\",\"Proposal\",\"Transform\",\"VendorID\"]"));
	assert_non_null(strstr(s.rec[0], "\"client\":{\"proposals\":[{\"alg_enc\":\"EncAesCbc\",\"alg_enc_raw\":7,"
					 "\"alg_hash\":\"HashSha\",\"alg_hash_raw\":2,\"alg_auth\":\"AuthPreSharedKey\","
					 "\"alg_auth_raw\":1,\"alg_dh\":\"GroupAlternate1024BitModpGroup\",\"alg_dh_raw\":2,"
					 "\"sa_life_type\":\"LifeTypeSeconds\",\"sa_life_type_raw\":1,"
					 "\"sa_life_duration\":\"Unknown\",\"sa_life_duration_raw\":86400},{"));
	assert_non_null(strstr(s.rec[0], "\"vendor_ids\":[\"4a131c81\"]"));
	assert_int_equal(s.last->nxforms, 2);
	assert_int_equal(app_ev_count(&s.ev), 0);

	/* 2: the responder chooses two (one too many) */
	im_hdr(&m, 0x7f, 0xec, 1, 0x10, 2, 0);
	im_v1_sa(&m, 0, 2);
	im_done(&m);
	ike_send(&a, &f, 1, 500, m.b, m.n, &s);
	assert_int_equal(s.n, 2);
	assert_true(app_ev_has(&s.ev, APP_EV_IKE_MULTIPLE_SERVER_PROPOSAL));
	assert_non_null(strstr(s.rec[1], "\"exchange_type\":2,\"alg_enc\":\"EncAesCbc\""));
	assert_non_null(strstr(s.rec[1], "\"server_proposals\":[{"));
	uint32_t v = 0;
	assert_true(ike_chosen_attr(s.last, ike_attr_lookup("alg_hash"), &v));
	assert_int_equal(v, 2);
	assert_true(ike_chosen_attr(s.last, ike_attr_lookup("sa_life_duration"), &v));
	assert_int_equal(v, 86400);
	assert_false(ike_chosen_attr(s.last, ike_attr_lookup("sa_key_length"), &v));

	/* 3: key exchange and nonce, 2 bytes too many at the end */
	memset(&s.ev, 0, sizeof(s.ev));
	uint8_t ke[200];
	for (size_t i = 0; i < sizeof(ke); i++)
		ke[i] = (uint8_t)i;
	im_hdr(&m, 0x7f, 0xec, 4, 0x10, 2, 0);
	im_payload(&m, 10, ke, sizeof(ke));
	im_payload(&m, 0, "\x89\xd7\xc8\xfb", 4);
	im_put(&m, "\0\0", 2);
	im_done(&m);
	ike_send(&a, &f, 0, 500, m.b, m.n, &s);
	assert_int_equal(s.n, 3);
	assert_true(app_ev_has(&s.ev, APP_EV_IKE_PAYLOAD_EXTRA_DATA));
	assert_int_equal(s.last->ke_full, 200);
	assert_memory_equal(s.last->ke, ke, 200);
	assert_int_equal(s.last->nonce_full, 4);
	assert_non_null(strstr(s.rec[2], "\"nonce_payload\":\"89d7c8fb\",\"nonce_payload_length\":4}"));
	assert_non_null(strstr(s.rec[2], "\"key_exchange_payload_length\":200"));

	/* 4: encrypted: no payloads read */
	im_hdr(&m, 0x7f, 0xec, 5, 0x10, 2, 1);
	im_put(&m, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	im_done(&m);
	ike_send(&a, &f, 0, 500, m.b, m.n, &s);
	assert_int_equal(s.n, 4);
	assert_non_null(strstr(s.rec[3], "\"payload\":[\"Identification\"],\"ikev1\":{\"doi\":1,"
					 "\"encrypted_payloads\":true}"));
	assert_int_equal(s.last->tx_id, 3);
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);

	/* limits: 20 transforms (8 kept), 12 vendor ids (8 kept) */
	ctx_init(&a, 0, 1 << 20);
	memset(&f, 0, sizeof(f));
	f.key.proto = 17;
	memset(&s, 0, sizeof(s));
	im_hdr(&m, 1, 0, 1, 0x10, 2, 0);
	im_v1_sa(&m, 13, 20);
	for (int i = 0; i < 12; i++)
		im_payload(&m, i < 11 ? 13 : 0, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	im_done(&m);
	ike_send(&a, &f, 0, 500, m.b, m.n, &s);
	assert_non_null(s.last);
	assert_int_equal(s.last->nxforms, IKE_V1_XFORMS);
	assert_int_equal(s.last->xforms_full, 20);
	assert_int_equal(s.last->nvendors, IKE_VENDORS);
	assert_int_equal(a.tx.ike->fl->client.nb_xforms, 20);
	/* every cut of it: read as far as it goes, never past the end */
	for (size_t cut = 0; cut < m.n; cut++)
		ike_send(&a, &f, 0, 500, m.b, cut, &s);
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}

static void test_ike_v2(void **state)
{
	(void)state;
	struct app_ctx a;
	struct flow f;
	struct ike_seen s;
	struct ike_msg m;
	ctx_init(&a, 0, 1 << 20);
	memset(&f, 0, sizeof(f));
	f.key.proto = 17;
	f.key.dp = 4500;
	memset(&s, 0, sizeof(s));
	/* IKE_SA_INIT request on port 4500 (after the non-ESP marker):
	 * nonce, KE, SA (AES-CBC-256, PRF SHA2-256, HMAC-SHA2-256, DH 2) */
	im_hdr(&m, 0x28, 0, 40, 0x20, 34, 0x08);
	im_payload(&m, 34, "0123456789abcdef", 16);
	im_payload(&m, 33, "\x00\x02\x00\x00" "abcdefgh", 12);
	static const uint8_t sa[] = {
		0, 0, 0, 44, 1, 1, 0, 4,                  /* proposal 1, IKE, 4 transforms */
		3, 0, 0, 12, 1, 0, 0, 12, 0x80, 14, 1, 0, /* ENCR AES-CBC, key length 256 */
		3, 0, 0, 8, 2, 0, 0, 5,                   /* PRF HMAC-SHA2-256 */
		3, 0, 0, 8, 3, 0, 0, 12,                  /* INTEG HMAC-SHA2-256-128 */
		0, 0, 0, 8, 4, 0, 0, 2,                   /* DH 1024-bit MODP */
	};
	im_payload(&m, 0, sa, sizeof(sa));
	im_done(&m);
	uint8_t nat[2052] = { 0 };
	memcpy(nat + 4, m.b, m.n);
	ike_send(&a, &f, 0, 4500, nat, m.n + 4, &s);
	assert_int_equal(f.alproto, ALP_IKE);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.rec[0], "{\"version_major\":2,\"version_minor\":0,"
				      "\"init_spi\":\"e47a591fd0575828\",\"resp_spi\":\"0000000000000000\","
				      "\"message_id\":0,\"exchange_type\":34,\"role\":\"initiator\","
				      "\"payload\":[\"Nonce\",\"KeyExchange\",\"SecurityAssociation\",\"NoNextPayload\"],"
				      "\"ikev2\":{\"errors\":0}}");
	assert_true(app_ev_has(&s.ev, APP_EV_IKE_WEAK_CRYPTO_DH));
	assert_false(app_ev_has(&s.ev, APP_EV_IKE_WEAK_CRYPTO_ENC));
	assert_false(app_ev_has(&s.ev, APP_EV_IKE_WEAK_CRYPTO_NO_AUTH));

	/* the response: SA (3DES, SHA1-96, DH 14), a notify error */
	memset(&s.ev, 0, sizeof(s.ev));
	im_hdr(&m, 0x28, 0xec, 33, 0x20, 34, 0x20);
	static const uint8_t sa2[] = {
		0, 0, 0, 32, 1, 1, 0, 3,
		3, 0, 0, 8, 1, 0, 0, 3,
		3, 0, 0, 8, 3, 0, 0, 2,
		0, 0, 0, 8, 4, 0, 0, 14,
	};
	im_payload(&m, 41, sa2, sizeof(sa2));
	im_payload(&m, 0, "\x00\x00\x00\x0e", 4); /* NO_PROPOSAL_CHOSEN */
	im_done(&m);
	memcpy(nat + 4, m.b, m.n);
	ike_send(&a, &f, 1, 4500, nat, m.n + 4, &s);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.rec[1], "{\"version_major\":2,\"version_minor\":0,"
				      "\"init_spi\":\"e47a591fd0575828\",\"resp_spi\":\"a00b8ef0902bb8ec\","
				      "\"message_id\":0,\"exchange_type\":34,\"role\":\"responder\","
				      "\"alg_enc\":\"ENCR_3DES\",\"alg_auth\":\"AUTH_HMAC_SHA1_96\","
				      "\"alg_prf\":\"PRF_NULL\",\"alg_dh\":\"Modp2048\",\"alg_esn\":\"NoESN\","
				      "\"payload\":[\"SecurityAssociation\",\"Notify\",\"NoNextPayload\"],"
				      "\"ikev2\":{\"errors\":1,\"notify\":[\"NO_PROPOSAL_CHOSEN\"]}}");
	assert_true(app_ev_has(&s.ev, APP_EV_IKE_WEAK_CRYPTO_ENC));
	assert_true(app_ev_has(&s.ev, APP_EV_IKE_WEAK_CRYPTO_AUTH));
	assert_false(app_ev_has(&s.ev, APP_EV_IKE_WEAK_CRYPTO_DH));
	uint32_t v = 0;
	assert_true(ike_chosen_attr(s.last, ike_attr_lookup("alg_dh"), &v));
	assert_int_equal(v, 14);
	assert_false(ike_chosen_attr(s.last, ike_attr_lookup("alg_prf"), &v));

	/* ESP on port 4500 (no marker): not read */
	memset(&s.ev, 0, sizeof(s.ev));
	unsigned before = s.n;
	ike_send(&a, &f, 0, 4500, m.b, m.n, &s);
	assert_int_equal(s.n, before);
	assert_null(s.last);

	/* a payload of length 2: the chain is not read at all */
	im_hdr(&m, 0x28, 0xec, 40, 0x20, 37, 0x08);
	im_payload(&m, 41, "nonce", 5);
	im_put(&m, "\x00\x00\x00\x02", 4);
	im_done(&m);
	memcpy(nat + 4, m.b, m.n);
	ike_send(&a, &f, 0, 4500, nat, m.n + 4, &s);
	assert_non_null(s.last);
	assert_int_equal(s.last->npayloads, 0);
	assert_true(app_ev_has(&s.ev, APP_EV_IKE_MALFORMED_DATA));
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);

	/* the probe: IKEv2 only with its exchange types and exact length */
	im_hdr(&m, 1, 0, 0, 0x20, 34, 0x08);
	im_done(&m);
	assert_true(ike_probe(m.b, (uint32_t)m.n, false));
	m.b[18] = 33;
	assert_false(ike_probe(m.b, (uint32_t)m.n, false));
	m.b[18] = 34;
	assert_false(ike_probe(m.b, (uint32_t)m.n - 1, false));
	assert_false(ike_probe(m.b, (uint32_t)m.n, true));
}

/* ---- NFS ---- */

struct rpc_b {
	uint8_t b[4096];
	size_t n;
};

static void rb_u32(struct rpc_b *m, uint32_t v)
{
	assert_true(m->n + 4 <= sizeof(m->b));
	m->b[m->n++] = (uint8_t)(v >> 24);
	m->b[m->n++] = (uint8_t)(v >> 16);
	m->b[m->n++] = (uint8_t)(v >> 8);
	m->b[m->n++] = (uint8_t)v;
}

static void rb_opaque(struct rpc_b *m, const void *d, uint32_t n)
{
	rb_u32(m, n);
	assert_true(m->n + n + 3 <= sizeof(m->b));
	memcpy(m->b + m->n, d, n);
	m->n += n;
	while (m->n & 3)
		m->b[m->n++] = 0;
}

/* an RPC call of NFS (AUTH_UNIX "client", 1000/100), TCP record mark
 * first when tcp */
static void rb_call(struct rpc_b *m, bool tcp, uint32_t xid, uint32_t vers, uint32_t proc)
{
	m->n = 0;
	if (tcp)
		rb_u32(m, 0);
	rb_u32(m, xid);
	rb_u32(m, 0);
	rb_u32(m, 2);
	rb_u32(m, 100003);
	rb_u32(m, vers);
	rb_u32(m, proc);
	rb_u32(m, 1);
	rb_u32(m, 28);
	rb_u32(m, 0x12345678);
	rb_opaque(m, "client", 6);
	rb_u32(m, 1000);
	rb_u32(m, 100);
	rb_u32(m, 0);
	rb_u32(m, 0);
	rb_u32(m, 0);
}

static void rb_reply(struct rpc_b *m, bool tcp, uint32_t xid)
{
	m->n = 0;
	if (tcp)
		rb_u32(m, 0);
	rb_u32(m, xid);
	rb_u32(m, 1);
	rb_u32(m, 0);
	rb_u32(m, 0);
	rb_u32(m, 0);
	rb_u32(m, 0);
}

static void rb_mark(struct rpc_b *m)
{
	uint32_t v = 0x80000000u | (uint32_t)(m->n - 4);
	m->b[0] = (uint8_t)(v >> 24);
	m->b[1] = (uint8_t)(v >> 16);
	m->b[2] = (uint8_t)(v >> 8);
	m->b[3] = (uint8_t)v;
}

struct nfs_seen {
	unsigned n, files, shown;
	app_events_t ev;
	char rec[6][1024];
	char file[2][64];
	uint64_t size[2];
	bool trunc[2];
};

static void nfs_cb(const struct app_tx *tx, void *ud)
{
	struct nfs_seen *s = ud;
	app_ev_or(&s->ev, &tx->events);
	s->shown += tx->nnfs;
	for (unsigned i = 0; i < tx->nnfslog && s->n < 6; i++) {
		struct jbuf jb = { 0 };
		jb_open_object(&jb, NULL);
		jb_open_object(&jb, "rpc");
		rpc_log_fields(&jb, tx->nfslog[i]);
		jb_close(&jb);
		jb_open_object(&jb, "nfs");
		nfs_log_fields(&jb, tx->nfslog[i]);
		jb_close(&jb);
		jb_close(&jb);
		snprintf(s->rec[s->n++], sizeof(s->rec[0]), "%.*s", (int)jb.len, jb.buf);
		jb_fini(&jb);
	}
	for (unsigned i = 0; i < tx->nfiles && s->files < 2; i++) {
		snprintf(s->file[s->files], sizeof(s->file[0]), "%.*s", (int)tx->files[i]->name_len,
			 tx->files[i]->name);
		s->trunc[s->files] = tx->files[i]->truncated;
		s->size[s->files++] = tx->files[i]->size;
	}
}

static const uint8_t nfs_fh3[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
static const uint8_t nfs_dirfh3[4] = { 9, 9, 9, 9 };

static void test_nfs_v3_tcp(void **state)
{
	(void)state;
	static struct rpc_b q[4];
	/* LOOKUP "file.txt" in a directory, its reply with the file's handle;
	 * READ of 5 bytes at 0, the reply with eof */
	rb_call(&q[0], true, 0x100, 3, 3);
	rb_opaque(&q[0], nfs_dirfh3, 4);
	rb_opaque(&q[0], "file.txt", 8);
	rb_mark(&q[0]);
	rb_reply(&q[1], true, 0x100);
	rb_u32(&q[1], 0);
	rb_opaque(&q[1], nfs_fh3, 8);
	rb_mark(&q[1]);
	rb_call(&q[2], true, 0x101, 3, 6);
	rb_opaque(&q[2], nfs_fh3, 8);
	rb_u32(&q[2], 0);
	rb_u32(&q[2], 0);
	rb_u32(&q[2], 4096);
	rb_mark(&q[2]);
	rb_reply(&q[3], true, 0x101);
	rb_u32(&q[3], 0);
	rb_u32(&q[3], 0);        /* no attributes */
	rb_u32(&q[3], 5);        /* count */
	rb_u32(&q[3], 1);        /* eof */
	rb_opaque(&q[3], "hello", 5);
	rb_mark(&q[3]);
	for (size_t step = 0; step <= 1; step++) {
		struct app_ctx a;
		struct flow f;
		struct nfs_seen s;
		ctx_init(&a, 4096, 1 << 20);
		flow_init(&f, ALP_UNKNOWN);
		f.key.dp = 2049;
		memset(&s, 0, sizeof(s));
		for (int i = 0; i < 4; i++)
			feed(&a, &f, i & 1, q[i].b, q[i].n, step, nfs_cb, &s);
		assert_int_equal(f.alproto, ALP_NFS);
		assert_int_equal(s.n, 2);
		assert_string_equal(s.rec[0], "{\"rpc\":{\"xid\":256,\"status\":\"ACCEPTED\",\"auth_type\":\"UNIX\","
					      "\"creds\":{\"machine_name\":\"client\",\"uid\":1000,\"gid\":100}},"
					      "\"nfs\":{\"version\":3,\"procedure\":\"LOOKUP\",\"filename\":\"file.txt\","
					      "\"hhash\":\"3fca88c5\",\"id\":1,\"file_tx\":false,\"type\":\"response\","
					      "\"status\":\"OK\"}}");
		assert_non_null(strstr(s.rec[1], "\"nfs\":{\"version\":3,\"procedure\":\"READ\","
						 "\"filename\":\"file.txt\",\"hhash\":\"3fca88c5\",\"id\":2,"
						 "\"file_tx\":true,\"type\":\"response\",\"status\":\"OK\","
						 "\"read\":{\"first\":true,\"last\":true,\"last_xid\":257,\"chunks\":1}}"));
		assert_int_equal(s.files, 1);
		assert_string_equal(s.file[0], "file.txt");
		assert_int_equal(s.size[0], 5);
		assert_false(s.trunc[0]);
		assert_int_equal(app_ev_count(&s.ev), 0);
		app_flow_free_ctx(&a, &f);
		assert_int_equal(a.mc.used, 0);
	}
}

/* A WRITE larger than a record vigil gathers: its data streamed to the
 * file; then a COMMIT closes it. */
static void test_nfs_v3_large_write(void **state)
{
	(void)state;
	const uint32_t count = NFS_REC_MAX + 5000;
	size_t n = 200 + count;
	uint8_t *w = malloc(n);
	assert_non_null(w);
	struct rpc_b *h = malloc(sizeof(*h));
	assert_non_null(h);
	rb_call(h, true, 7, 3, 7);
	rb_opaque(h, nfs_fh3, 8);
	rb_u32(h, 0);
	rb_u32(h, 0);
	rb_u32(h, count);
	rb_u32(h, 0);            /* UNSTABLE */
	rb_u32(h, count);
	memcpy(w, h->b, h->n);
	for (uint32_t i = 0; i < count; i++)
		w[h->n + i] = (uint8_t)i;
	size_t len = h->n + count;
	uint32_t mark = 0x80000000u | (uint32_t)(len - 4);
	w[0] = (uint8_t)(mark >> 24);
	w[1] = (uint8_t)(mark >> 16);
	w[2] = (uint8_t)(mark >> 8);
	w[3] = (uint8_t)mark;
	struct rpc_b *c = malloc(sizeof(*c));
	assert_non_null(c);
	rb_call(c, true, 8, 3, 21);
	rb_opaque(c, nfs_fh3, 8);
	rb_u32(c, 0);
	rb_u32(c, 0);
	rb_u32(c, 0);
	rb_mark(c);
	struct app_ctx a;
	struct flow f;
	struct nfs_seen s;
	ctx_init(&a, 4096, 4 << 20);
	flow_init(&f, ALP_UNKNOWN);
	f.key.dp = 2049;
	memset(&s, 0, sizeof(s));
	feed(&a, &f, 0, w, len, 1000, nfs_cb, &s);
	assert_int_equal(f.alproto, ALP_NFS);
	assert_int_equal(s.files, 0);
	feed(&a, &f, 0, c->b, c->n, 0, nfs_cb, &s);
	assert_int_equal(s.files, 1);
	assert_int_equal(s.size[0], count);
	assert_false(s.trunc[0]);
	assert_int_equal(app_ev_count(&s.ev), 0);
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
	free(w);
	free(h);
	free(c);
}

static void nfs_udp_send(struct app_ctx *a, struct flow *f, int dir, const struct rpc_b *m,
			 size_t n, struct nfs_seen *s)
{
	struct packet p;
	memset(&p, 0, sizeof(p));
	p.proto = 17;
	p.dir = (uint8_t)dir;
	p.sp = dir ? 2049 : 1023;
	p.dp = dir ? 1023 : 2049;
	p.flow = f;
	p.payload = guard_copy(m->b, n);
	p.payload_len = (uint32_t)n;
	app_tx_reset(a);
	app_udp(a, f, &p);
	nfs_cb(&a->tx, s);
}

static void test_nfs_v2_udp(void **state)
{
	(void)state;
	struct app_ctx a;
	struct flow f;
	struct nfs_seen s;
	struct rpc_b m;
	ctx_init(&a, 4096, 1 << 20);
	memset(&f, 0, sizeof(f));
	f.key.proto = 17;
	f.key.dp = 2049;
	memset(&s, 0, sizeof(s));
	/* NFSv2 STATFS (17) and its reply */
	uint8_t fh2[32] = { 4, 4 };
	rb_call(&m, false, 0x55, 2, 17);
	memcpy(m.b + m.n, fh2, 32);
	m.n += 32;
	nfs_udp_send(&a, &f, 0, &m, m.n, &s);
	assert_int_equal(f.alproto, ALP_NFS);
	assert_int_equal(s.shown, 1);
	rb_reply(&m, false, 0x55);
	rb_u32(&m, 0);
	for (int i = 0; i < 5; i++)
		rb_u32(&m, 8192);
	nfs_udp_send(&a, &f, 1, &m, m.n, &s);
	assert_int_equal(s.n, 1);
	assert_non_null(strstr(s.rec[0], "\"nfs\":{\"version\":2,\"procedure\":\"STATFS\""));
	/* an unsupported version, and a reply cut short: events */
	rb_call(&m, false, 0x56, 5, 1);
	nfs_udp_send(&a, &f, 0, &m, m.n, &s);
	assert_true(app_ev_has(&s.ev, APP_EV_NFS_UNSUPPORTED_VERSION));
	rb_call(&m, false, 0x57, 2, 1);
	nfs_udp_send(&a, &f, 0, &m, 10, &s);
	assert_true(app_ev_has(&s.ev, APP_EV_NFS_MALFORMED));
	/* more calls without replies than transactions kept: the oldest are
	 * written as they are */
	memset(&s.ev, 0, sizeof(s.ev));
	for (uint32_t i = 0; i < 3 * NFS_MAX_TX; i++) {
		rb_call(&m, false, 0x1000 + i, 2, 17);
		memcpy(m.b + m.n, fh2, 32);
		m.n += 32;
		nfs_udp_send(&a, &f, 0, &m, m.n, &s);
	}
	assert_true(app_ev_has(&s.ev, APP_EV_NFS_TOO_MANY_TX));
	/* every cut of a call: nothing read past its end */
	for (size_t cut = 0; cut < m.n; cut++)
		nfs_udp_send(&a, &f, 0, &m, cut, &s);
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}

static void test_rfb(void **state)
{
	(void)state;
	static const char init[] = "\x03\x20\x02\x58" /* 800 x 600 */
				   "\x20\x18\x00\x01\x00\xff\x00\xff\x00\xff\x10\x08\x00\x00\x00\x00"
				   "\x00\x00\x00\x28" "desk-with-a-name-longer-than-a-header-24";
	const struct rfb_step ok38[] = {
		{ 1, "RFB 003.008\n", 12 }, { 0, "RFB 003.008\n", 12 }, { 1, "\x01\x02", 2 },
		{ 0, "\x02", 1 }, { 1, "ABCDEFGHIJKLMNOP", 16 }, { 0, "abcdefghijklmnop", 16 },
		{ 1, "\x00\x00\x00\x00", 4 }, { 0, "\x01", 1 }, { 1, init, sizeof(init) - 1 },
	};
	char rec[2][1024];
	for (size_t step = 0; step <= 1; step++)
		rfb_run(ok38, ARRAY_SIZE(ok38), step, rec[step], sizeof(rec[0]));
	assert_string_equal(rec[0], rec[1]);
	assert_string_equal(rec[0],
		"{\"server_protocol_version\":{\"major\":\"003\",\"minor\":\"008\"},"
		"\"client_protocol_version\":{\"major\":\"003\",\"minor\":\"008\"},"
		"\"authentication\":{\"security_type\":2,\"vnc\":{\"challenge\":"
		"\"4142434445464748494a4b4c4d4e4f50\",\"response\":\"6162636465666768696a6b6c6d6e6f70\"},"
		"\"security_result\":\"OK\"},\"screen_shared\":true,\"framebuffer\":{\"width\":800,"
		"\"height\":600,\"name\":\"desk-with-a-name-longer-than-a-header-24\",\"pixel_format\":{\"bits_per_pixel\":32,\"depth\":24,"
		"\"big_endian\":false,\"true_color\":true,\"red_max\":255,\"green_max\":255,\"blue_max\":255,"
		"\"red_shift\":16,\"green_shift\":8,\"blue_shift\":0}}}");
	/* 3.8: the password was wrong, the server says why */
	const struct rfb_step fail38[] = {
		{ 1, "RFB 003.008\n", 12 }, { 0, "RFB 003.008\n", 12 }, { 1, "\x01\x02", 2 },
		{ 0, "\x02", 1 }, { 1, "ABCDEFGHIJKLMNOP", 16 }, { 0, "abcdefghijklmnop", 16 },
		{ 1, "\x00\x00\x00\x01\x00\x00\x00\x03" "bad", 11 },
	};
	rfb_run(fail38, ARRAY_SIZE(fail38), 1, rec[0], sizeof(rec[0]));
	assert_non_null(strstr(rec[0], "\"security_result\":\"FAIL\"},\"server_security_failure_reason\":\"bad\""));
	/* 3.3: the server names the type (None), no result, then init */
	const struct rfb_step ok33[] = {
		{ 1, "RFB 003.003\n", 12 }, { 0, "RFB 003.003\n", 12 }, { 1, "\x00\x00\x00\x01", 4 },
		{ 0, "\x00", 1 }, { 1, init, sizeof(init) - 1 },
	};
	rfb_run(ok33, ARRAY_SIZE(ok33), 0, rec[0], sizeof(rec[0]));
	assert_non_null(strstr(rec[0], "\"authentication\":{\"security_type\":1},\"screen_shared\":false,"
				       "\"framebuffer\":{\"width\":800"));
	assert_false(rfb_probe((const uint8_t *)"RFB 3.8\n", 8));
	assert_false(rfb_probe((const uint8_t *)"RFB 003.008x", 12));
	assert_true(rfb_probe((const uint8_t *)"RFB 003.0", 9));
}

/* TFTP: read and write requests parse (any case of a known mode), the
 * rest (data, a bad mode, no NULs) does not. */
static void test_tftp(void **state)
{
	(void)state;
	struct tftp_info t;
	static const uint8_t rrq[] = "\0\1rfc1350.txt\0OCTET\0";
	assert_true(tftp_parse(rrq, sizeof(rrq) - 1, &t));
	assert_int_equal(t.opcode, 1);
	assert_string_equal(t.file, "rfc1350.txt");
	assert_string_equal(t.mode, "OCTET");
	static const uint8_t wrq[] = "\0\2a\0netascii\0";
	assert_true(tftp_parse(wrq, sizeof(wrq) - 1, &t));
	assert_int_equal(t.opcode, 2);
	assert_false(tftp_parse((const uint8_t *)"\0\3\0\1data", 8, &t));
	assert_false(tftp_parse((const uint8_t *)"\0\1f\0binary\0", 12, &t));
	assert_false(tftp_parse((const uint8_t *)"\0\1f\0octet", 9, &t)); /* no NUL after the mode */
	assert_false(tftp_parse((const uint8_t *)"\0\1\0octet\0", 10, &t));
}

/* SNMP: a v2c get with its community and variables (OIDs as dotted
 * text, the first byte split in two), a v3 message with privacy is
 * "encrypted" with its USM user, and what is not SNMP. */
static void test_snmp(void **state)
{
	(void)state;
	static const uint8_t get[] = {
		0x30, 0x29, 0x02, 0x01, 0x01, 0x04, 0x06, 'p', 'u', 'b', 'l', 'i', 'c',
		0xa0, 0x1c, 0x02, 0x04, 0x12, 0x34, 0x56, 0x78, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00,
		0x30, 0x0e, 0x30, 0x0c, 0x06, 0x08, 0x2b, 0x06, 0x01, 0x02, 0x01, 0x01, 0x81, 0x00,
		0x05, 0x00 };
	struct snmp_info *m = malloc(sizeof(*m));
	assert_non_null(m);
	assert_true(snmp_parse(get, sizeof(get), m));
	assert_int_equal(m->version, 2);
	assert_int_equal(m->pdu_type, 0);
	assert_memory_equal(m->community, "public", 6);
	assert_int_equal(m->nvars, 1);
	assert_string_equal(m->vars[0], "1.3.6.1.2.1.1.128");
	static const uint8_t v3[] = {
		0x30, 0x2b, 0x02, 0x01, 0x03,
		0x30, 0x0d, 0x02, 0x01, 0x01, 0x02, 0x02, 0x05, 0xdc, 0x04, 0x01, 0x07, 0x02, 0x01, 0x03,
		0x04, 0x10, 0x30, 0x0e, 0x04, 0x00, 0x02, 0x01, 0x00, 0x02, 0x01, 0x00, 0x04, 0x04, 'u', 's', 'e', 'r',
		0x04, 0x05, 0x01, 0x02, 0x03, 0x04, 0x05 };
	assert_true(snmp_parse(v3, sizeof(v3), m));
	assert_int_equal(m->version, 3);
	assert_true(m->encrypted);
	assert_memory_equal(m->usm, "user", 4);
	assert_false(snmp_parse(get, sizeof(get) - 3, m)); /* cut short */
	assert_false(snmp_parse((const uint8_t *)"\x30\x03\x02\x01\x05", 5, m)); /* version 5 */
	free(m);
}

/* SMB and DCE/RPC: recognised from their headers (a segment at a time
 * too), not parsed; what only resembles them is not. */
static void test_smb_dcerpc_detect(void **state)
{
	(void)state;
	static const uint8_t smb2[] = { 0x00, 0x00, 0x00, 0x44, 0xfe, 'S', 'M', 'B', 0x40, 0x00 };
	static const uint8_t smb1[] = { 0x00, 0x00, 0x00, 0x2f, 0xff, 'S', 'M', 'B', 0x72, 0x00 };
	/* a bind: version 5.0, type 11, little-endian, fragment length 72 */
	static const uint8_t bind[] = { 0x05, 0x00, 0x0b, 0x03, 0x10, 0x00, 0x00, 0x00,
					0x48, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00 };
	static const uint8_t notsmb[] = { 0x00, 0x00, 0x00, 0x44, 0xfe, 'S', 'M', 'X', 0x40, 0x00 };
	struct { const uint8_t *d; size_t n; uint16_t want; } cases[] = {
		{ smb2, sizeof(smb2), ALP_SMB }, { smb1, sizeof(smb1), ALP_SMB },
		{ bind, sizeof(bind), ALP_DCERPC }, { notsmb, sizeof(notsmb), ALP_UNKNOWN },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (size_t step = 0; step <= 3; step += 3) {
			struct app_ctx a;
			struct flow f;
			ctx_init(&a, 0, 1 << 20);
			flow_init(&f, ALP_UNKNOWN);
			f.key.dp = 445;
			feed(&a, &f, 0, cases[i].d, cases[i].n, step, NULL, NULL);
			assert_int_equal(f.alproto, cases[i].want);
			app_flow_free_ctx(&a, &f);
		}
	}
	/* a DCE/RPC bind answered in HTTP: the flow says so per direction */
	{
		struct app_ctx a;
		struct flow f;
		ctx_init(&a, 0, 1 << 20);
		flow_init(&f, ALP_UNKNOWN);
		feed(&a, &f, 0, bind, sizeof(bind), 0, NULL, NULL);
		static const char resp[] = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n";
		feed(&a, &f, 1, (const uint8_t *)resp, sizeof(resp) - 1, 0, NULL, NULL);
		assert_int_equal(f.alproto, ALP_DCERPC);
		assert_int_equal(f.alp_dir[0], 0xff);
		assert_int_equal(f.alp_dir[1], ALP_HTTP);
		app_flow_free_ctx(&a, &f);
	}
	assert_string_equal(alproto_names[ALP_SMB], "smb");
	assert_int_equal(alproto_lookup("dcerpc"), ALP_DCERPC);
}

/* An SMB1 message in its NBSS record: header (command, flags, mid),
 * word count wc and byte count 0 */
static size_t smb1_msg(uint8_t *o, uint8_t cmd, bool resp, uint16_t mid, uint8_t wc)
{
	size_t n = 32 + 1 + (size_t)wc * 2 + 2;
	memset(o, 0, 4 + n);
	o[3] = (uint8_t)n;
	memcpy(o + 4, "\xffSMB", 4);
	o[8] = cmd;
	o[13] = resp ? 0x80 : 0;
	o[34] = (uint8_t)mid;
	o[35] = (uint8_t)(mid >> 8);
	o[36] = wc;
	if (wc)
		o[37] = 0xff; /* no AndX */
	return 4 + n;
}

/* An SMB1 WRITE_ANDX request of dn bytes to fid 0x4002 on tree tid */
static size_t smb1_write(uint8_t *o, uint16_t tid, uint16_t mid, const uint8_t *d, uint16_t dn)
{
	size_t n = 32 + 1 + 24 + 2 + dn;
	memset(o, 0, 4 + n);
	o[2] = (uint8_t)(n >> 8);
	o[3] = (uint8_t)n;
	memcpy(o + 4, "\xffSMB", 4);
	o[8] = 0x2f;
	o[28] = (uint8_t)tid;
	o[29] = (uint8_t)(tid >> 8);
	o[34] = (uint8_t)mid;
	o[35] = (uint8_t)(mid >> 8);
	o[36] = 12;
	uint8_t *w = o + 37;
	w[0] = 0xff;                 /* no AndX */
	w[4] = 0x02;                 /* FID 0x4002 */
	w[5] = 0x40;
	w[20] = (uint8_t)dn;         /* DataLength */
	w[21] = (uint8_t)(dn >> 8);
	w[22] = 59;                  /* DataOffset, from the header */
	w[24] = (uint8_t)dn;         /* ByteCount */
	w[25] = (uint8_t)(dn >> 8);
	memcpy(o + 4 + 59, d, dn);
	return 4 + n;
}

/* An SMB1 write to a named pipe is a transaction of Suricata's (a
 * DCE/RPC call) whenever it holds a whole DCE/RPC common header (16
 * bytes), whatever its version or type (suricata-verify flow-tx-cnt: 512
 * bytes of 'A' to IPC$), but a request fragment after the first (its
 * call's) and fewer bytes. */
static void test_smb1_pipe_write_tx(void **state)
{
	(void)state;
	uint8_t c[2048], sv[128];
	size_t cn = 0, sn = 0;
	cn += smb1_msg(c + cn, 0x75, false, 1, 4);          /* TREE_CONNECT: 1 */
	sn += smb1_msg(sv + sn, 0x75, true, 1, 3);          /* ... to IPC, tree 2051 */
	sv[28] = 0x03;
	sv[29] = 0x08;
	sv[3] += 4;
	sv[4 + 32 + 1 + 6] = 4;                             /* ByteCount: "IPC\0" */
	memcpy(sv + sn, "IPC", 4);
	sn += 4;
	static uint8_t as[512];
	memset(as, 'A', sizeof(as));
	static const uint8_t frag[24] = { 5, 0, 0, 0x02, 0x10, 0, 0, 0, 24, 0, 0, 0, 7, 0, 0, 0 };
	static const uint8_t bind[24] = { 5, 0, 0x0b, 0x03, 0x10, 0, 0, 0, 24, 0, 0, 0, 8, 0, 0, 0 };
	size_t w[5] = { cn };
	cn += smb1_write(c + cn, 0x0803, 2, as, sizeof(as)); /* 'A's: 2 */
	w[1] = cn;
	cn += smb1_write(c + cn, 0x0803, 3, frag, sizeof(frag)); /* a later fragment: none */
	w[2] = cn;
	cn += smb1_write(c + cn, 0x0803, 4, as, 15);        /* 15 bytes: none */
	w[3] = cn;
	cn += smb1_write(c + cn, 0x0803, 5, bind, sizeof(bind)); /* a bind: 3 */
	w[4] = cn;
	static const uint64_t want[4] = { 2, 2, 2, 3 };
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 0, 1 << 20);
	flow_init(&f, ALP_UNKNOWN);
	f.key.dp = 445;
	feed(&a, &f, 0, c, w[0], 0, NULL, NULL);
	feed(&a, &f, 1, sv, sn, 0, NULL, NULL);
	assert_int_equal(f.alproto, ALP_SMB);
	assert_int_equal(app_flow_tx_cnt(&f), 1);
	for (unsigned i = 0; i < 4; i++) {
		feed(&a, &f, 0, c + w[i], w[i + 1] - w[i], 0, NULL, NULL);
		assert_int_equal(app_flow_tx_cnt(&f), want[i]);
	}
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}

/* flow.tx_cnt of SMB1 counts the transactions Suricata's parser makes:
 * one per request (a TRANS2 or NT_TRANS secondary too), none for TRANS
 * or a second NEGOTIATE, none for a response (it finds its request's,
 * even one answered before). */
static void test_smb1_tx_cnt(void **state)
{
	(void)state;
	uint8_t c[512], sv[256];
	size_t cn = 0, sn = 0;
	cn += smb1_msg(c + cn, 0x72, false, 1, 0);         /* NEGOTIATE */
	cn += smb1_msg(c + cn, 0x72, false, 2, 0);         /* again: none */
	cn += smb1_msg(c + cn, 0xa0, false, 3, 0);         /* NT_TRANS */
	cn += smb1_msg(c + cn, 0x33, false, 4, 0);         /* TRANS2_SECONDARY */
	cn += smb1_msg(c + cn, 0x33, false, 5, 0);
	cn += smb1_msg(c + cn, 0x25, false, 6, 0);         /* TRANS: none */
	cn += smb1_msg(c + cn, 0x71, false, 7, 0);         /* TREE_DISCONNECT */
	sn += smb1_msg(sv + sn, 0xa0, true, 3, 0);          /* NT_TRANS, interim */
	sn += smb1_msg(sv + sn, 0xa0, true, 3, 0);          /* and final: none */
	sn += smb1_msg(sv + sn, 0x32, true, 9, 0);          /* TRANS2 unasked: none */
	for (size_t step = 0; step <= 7; step += 7) {
		struct app_ctx a;
		struct flow f;
		ctx_init(&a, 0, 1 << 20);
		flow_init(&f, ALP_UNKNOWN);
		f.key.dp = 445;
		feed(&a, &f, 0, c, cn, step, NULL, NULL);
		assert_int_equal(f.alproto, ALP_SMB);
		assert_int_equal(app_flow_tx_cnt(&f), 5);
		feed(&a, &f, 1, sv, sn, step, NULL, NULL);
		assert_int_equal(app_flow_tx_cnt(&f), 5);
		app_flow_free_ctx(&a, &f);
	}
}

/* An SMB2 message in its NBSS record: header (command, response flag,
 * message id, tree 7, session 0x55) and body b/bn; returns its size. */
static size_t smb2_msg(uint8_t *o, uint16_t cmd, bool resp, uint8_t mid, const uint8_t *b, size_t bn)
{
	size_t n = 64 + bn;
	memset(o, 0, 4 + 64);
	o[2] = (uint8_t)(n >> 8);
	o[3] = (uint8_t)n;
	uint8_t *h = o + 4;
	memcpy(h, "\xfeSMB", 4);
	h[4] = 64;
	h[12] = (uint8_t)cmd;
	h[16] = resp ? 1 : 0;
	h[24] = mid;
	h[36] = 7;                   /* tree id: no tree connect seen */
	h[40] = 0x55;
	memcpy(h + 64, b, bn);
	return 4 + n;
}

/* A DCE/RPC common header (little-endian) of type, fragment length and
 * call id, first and last fragment. */
static void dce_hdr(uint8_t *d, uint8_t type, uint16_t frag_len, uint8_t call_id)
{
	memset(d, 0, 16);
	d[0] = 5;
	d[2] = type;
	d[3] = 0x03;
	d[4] = 0x10;
	d[8] = (uint8_t)frag_len;
	d[9] = (uint8_t)(frag_len >> 8);
	d[12] = call_id;
}

struct smb_dce_seen {
	char rec[4][1024];
	unsigned n;
};

static void smb_dce_cb(const struct app_tx *tx, void *ud)
{
	struct smb_dce_seen *s = ud;
	for (unsigned i = 0; i < tx->nsmb; i++)
		if (tx->smb[i]->resp_side && tx->smb[i]->dce.set && s->n < 4) {
			struct jbuf jb = { 0 };
			jb_open_object(&jb, NULL);
			smb_log_fields(&jb, tx->smb[i]);
			jb_close(&jb);
			snprintf(s->rec[s->n++], sizeof(s->rec[0]), "%.*s", (int)jb.len, jb.buf);
			jb_fini(&jb);
		}
}

/* DCE/RPC on an SMB2 pipe whose tree connect was not seen (midstream):
 * the written data looks like DCE/RPC, so the tree is a pipe; the WRITE
 * of a bind and the READ of its ack are one transaction, whose smb
 * record carries Suricata's dcerpc object (the bind's interfaces with
 * the ack's results, no file name); an IOCTL transceive carries its
 * request's opnum, fragment counts and stub sizes. */
static void test_smb2_dcerpc_record(void **state)
{
	(void)state;
	uint8_t c[1024], sv[1024], b[256];
	size_t cn = 0, sn = 0;
	/* WRITE of a bind: two contexts, interface 01..10 version 3.1 */
	memset(b, 0, sizeof(b));
	b[0] = 49;
	b[2] = 64 + 48;              /* data offset */
	b[4] = 116;                  /* length */
	b[16] = 0xab;                /* file id */
	uint8_t *d = b + 48;
	dce_hdr(d, 11, 116, 9);
	d[24] = 2;                   /* contexts */
	for (int k = 0; k < 2; k++) {
		uint8_t *x = d + 28 + 44 * k;
		x[0] = (uint8_t)k;   /* context id */
		x[2] = 1;            /* transfer syntaxes */
		for (int i = 0; i < 16; i++)
			x[4 + i] = (uint8_t)(i + 1);
		x[20] = 3;
		x[22] = 1;
	}
	cn += smb2_msg(c + cn, 9, false, 1, b, 48 + 116);
	sn += smb2_msg(sv + sn, 9, true, 1, (const uint8_t[16]){ 17 }, 16);
	/* READ: the bind ack, context 0 refused (2), context 1 accepted */
	memset(b, 0, sizeof(b));
	b[0] = 49;
	b[4] = 0xff;
	b[16] = 0xab;
	cn += smb2_msg(c + cn, 8, false, 2, b, 49);
	memset(b, 0, sizeof(b));
	b[0] = 17;
	b[2] = 64 + 16;
	b[4] = 80;
	d = b + 16;
	dce_hdr(d, 12, 80, 9);
	d[28] = 2;                   /* results */
	d[32] = 2;                   /* provider rejection */
	d[34] = 2;                   /* (its reason: Suricata writes 0) */
	sn += smb2_msg(sv + sn, 8, true, 2, b, 16 + 80);
	/* IOCTL transceive: a request on context 1, opnum 5, 10 stub bytes,
	 * its response 4 */
	memset(b, 0, sizeof(b));
	b[0] = 57;
	b[4] = 0x17;
	b[5] = 0xc0;
	b[6] = 0x11;
	b[24] = 64 + 56;             /* input offset */
	b[28] = 34;                  /* input count */
	d = b + 56;
	dce_hdr(d, 0, 34, 10);
	d[20] = 1;                   /* context id */
	d[22] = 5;                   /* opnum */
	cn += smb2_msg(c + cn, 11, false, 3, b, 56 + 34);
	memset(b, 0, sizeof(b));
	b[0] = 49;
	b[4] = 0x17;
	b[5] = 0xc0;
	b[6] = 0x11;
	b[32] = 64 + 48;             /* output offset */
	b[36] = 28;                  /* output count */
	d = b + 48;
	dce_hdr(d, 2, 28, 10);
	sn += smb2_msg(sv + sn, 11, true, 3, b, 48 + 28);
	size_t split[2][4] = { { 0 }, { 0 } };
	/* each message its own packet, client then server */
	size_t ci = 0, si = 0;
	for (int k = 0; k < 3; k++) {
		ci += 4 + (size_t)(c[ci + 2] << 8 | c[ci + 3]);
		si += 4 + (size_t)(sv[si + 2] << 8 | sv[si + 3]);
		split[0][k + 1] = ci;
		split[1][k + 1] = si;
	}
	assert_int_equal(ci, cn);
	assert_int_equal(si, sn);
	struct app_ctx a;
	struct flow f;
	struct smb_dce_seen seen;
	memset(&seen, 0, sizeof(seen));
	ctx_init(&a, 0, 1 << 20);
	flow_init(&f, ALP_UNKNOWN);
	f.key.dp = 445;
	for (int k = 0; k < 3; k++) {
		feed(&a, &f, 0, c + split[0][k], split[0][k + 1] - split[0][k], 0, smb_dce_cb, &seen);
		feed(&a, &f, 1, sv + split[1][k], split[1][k + 1] - split[1][k], 0, smb_dce_cb, &seen);
	}
	assert_int_equal(f.alproto, ALP_SMB);
	assert_int_equal(seen.n, 2);
	assert_non_null(strstr(seen.rec[0], "\"command\":\"SMB2_COMMAND_WRITE\""));
	assert_non_null(strstr(seen.rec[0],
		"\"dcerpc\":{\"request\":\"BIND\",\"response\":\"BINDACK\",\"interfaces\":["
		"{\"uuid\":\"04030201-0605-0807-090a-0b0c0d0e0f10\",\"version\":\"3.1\",\"ack_result\":2,\"ack_reason\":0},"
		"{\"uuid\":\"04030201-0605-0807-090a-0b0c0d0e0f10\",\"version\":\"3.1\",\"ack_result\":0,\"ack_reason\":0}],"
		"\"call_id\":9}"));
	assert_null(strstr(seen.rec[0], "\"filename\""));
	assert_non_null(strstr(seen.rec[1], "\"command\":\"SMB2_COMMAND_IOCTL\""));
	assert_non_null(strstr(seen.rec[1],
		"\"dcerpc\":{\"request\":\"REQUEST\",\"response\":\"RESPONSE\",\"opnum\":5,"
		"\"req\":{\"frag_cnt\":1,\"stub_data_size\":10},\"interfaces\":["
		"{\"uuid\":\"04030201-0605-0807-090a-0b0c0d0e0f10\",\"version\":\"3.1\"}],"
		"\"res\":{\"frag_cnt\":1,\"stub_data_size\":4},\"call_id\":10}"));
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}

/* SMB frames (Suricata 8's): a record kept whole shows nbss.pdu / hdr /
 * data and smb2.pdu / hdr / data; a record a gap cuts shows them on the
 * direction's next packet with what came, their length the header's
 * (the rest missing). */
static const struct app_frame *smb_frame(const struct app_ctx *a, const char *name)
{
	int falp;
	int type = app_frame_lookup(name, ALP_SMB, &falp);
	for (unsigned i = 0; i < a->tx.nframes; i++)
		if (a->tx.frames[i].type == type)
			return &a->tx.frames[i];
	return NULL;
}

static void test_smb_frames(void **state)
{
	(void)state;
	uint8_t rec[4 + 64 + 40];
	memset(rec, 0, sizeof(rec));
	rec[3] = 64 + 40;
	memcpy(rec + 4, "\xfeSMB", 4);
	rec[8] = 64;                 /* structure size */
	rec[16] = 8;                 /* READ */
	rec[20] = 1;                 /* a response */
	memcpy(rec + 4 + 64, "abcdefgh", 8);
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 0, 1 << 20);
	flow_init(&f, ALP_UNKNOWN);
	f.key.dp = 445;
	app_tx_reset(&a);
	app_stream_data(&a, &f, 1, guard_copy(rec, sizeof(rec)), sizeof(rec), 0);
	assert_int_equal(f.alproto, ALP_SMB);
	const struct app_frame *fr = smb_frame(&a, "nbss.pdu");
	assert_non_null(fr);
	assert_int_equal(fr->len, sizeof(rec));
	assert_int_equal(smb_frame(&a, "nbss.hdr")->len, 4);
	assert_int_equal(smb_frame(&a, "smb2.hdr")->len, 64);
	fr = smb_frame(&a, "smb2.data");
	assert_int_equal(fr->len, 40);
	assert_int_equal(fr->missing, 0);
	assert_memory_equal(fr->p, "abcdefgh", 8);
	assert_null(smb_frame(&a, "smb1.hdr"));
	/* the same record cut: 70 bytes of its 108, then a gap */
	app_tx_reset(&a);
	app_stream_data(&a, &f, 1, guard_copy(rec, 70), 70, 0);
	assert_null(smb_frame(&a, "smb2.data"));
	app_tx_reset(&a);
	app_stream_data(&a, &f, 1, NULL, (uint32_t)sizeof(rec) - 70, STREAM_GAP);
	assert_null(smb_frame(&a, "smb2.data")); /* not on the gap's own packet */
	app_tx_reset(&a);
	app_stream_data(&a, &f, 1, guard_copy(rec, sizeof(rec)), sizeof(rec), 0);
	fr = &a.tx.frames[0]; /* first on the packet after */
	assert_int_equal(fr->type, app_frame_lookup("nbss.pdu", ALP_SMB, &(int){ 0 }));
	assert_int_equal(fr->len, 70);
	assert_int_equal(fr->missing, sizeof(rec) - 70);
	fr = smb_frame(&a, "smb2.data");
	assert_int_equal(fr->len, 70 - 4 - 64);
	assert_int_equal(fr->missing, sizeof(rec) - 70);
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}

/* ---- SMTP ---- */

struct smtp_seen {
	app_events_t events;
	char helo[SMTP_LINE_MAX + 1];
	uint16_t helo_len;
	unsigned logged;
};

static void smtp_cb(const struct app_tx *tx, void *ud)
{
	struct smtp_seen *s = ud;
	app_ev_or(&s->events, &tx->events);
	if (tx->smtp_log && tx->smtp) {
		s->logged++;
		s->helo_len = tx->smtp->helo_len;
		memcpy(s->helo, tx->smtp->helo, tx->smtp->helo_len);
		s->helo[s->helo_len] = 0;
	}
}

/* STARTTLS, as Suricata's protocol change: after the 220 the flow is
 * still SMTP until the next bytes tell; a ClientHello makes it TLS (one
 * byte at a time too: detection waits for enough); HTTP where TLS was
 * promised is HTTP, with applayer_unexpected_protocol and
 * applayer_no_tls_after_starttls, and its 101 to h2c is refused
 * (http.failed_protocol_change: one change at a time); bytes that are
 * no protocol in both directions fail the flow.  POP3's STLS, too. */
static void test_starttls_change(void **state)
{
	(void)state;
	static const uint8_t hello[] = { 0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x03 };
	static const char h101[] = "HTTP/1.1 101 Switching\r\nUpgrade: h2c\r\n\r\n";
	static const char junk[] = "\x01\x02garbage that is no protocol\r\n";
	for (int sc = 0; sc < 4; sc++) {
		struct app_ctx a;
		struct flow f;
		struct smtp_seen o;
		ctx_init(&a, 4096, 1 << 20);
		flow_init(&f, ALP_UNKNOWN);
		f.key.sp = 40000;
		f.key.dp = 25;
		memset(&o, 0, sizeof(o));
		const char *greet = "220 mail.example ESMTP\r\n";
		feed(&a, &f, 1, (const uint8_t *)greet, strlen(greet), 0, smtp_cb, &o);
		assert_int_equal(f.alproto, ALP_SMTP);
		feed(&a, &f, 0, (const uint8_t *)"EHLO x\r\n", 8, 0, smtp_cb, &o);
		feed(&a, &f, 1, (const uint8_t *)"250 STARTTLS\r\n", 14, 0, smtp_cb, &o);
		feed(&a, &f, 0, (const uint8_t *)"STARTTLS\r\n", 10, 0, smtp_cb, &o);
		feed(&a, &f, 1, (const uint8_t *)"220 go ahead\r\n", 14, 0, smtp_cb, &o);
		/* accepted: the change waits for the next bytes */
		assert_int_equal(f.alproto, ALP_SMTP);
		assert_int_equal(f.alproto_orig, ALP_SMTP);
		assert_int_equal(f.alproto_expect, ALP_TLS); /* (eve app_proto_expected: not TLS yet) */
		memset(&o.events, 0, sizeof(o.events));
		if (sc < 2) {
			/* TLS, whole or a byte at a time */
			feed(&a, &f, 0, hello, sizeof(hello), sc ? 1 : 0, smtp_cb, &o);
			assert_int_equal(f.alproto, ALP_TLS);
			assert_int_equal(f.alproto_orig, ALP_SMTP);
			assert_false(app_ev_has(&o.events, APP_EV_APPLAYER_UNEXPECTED_PROTOCOL));
			assert_false(app_ev_has(&o.events, APP_EV_APPLAYER_NO_TLS_AFTER_STARTTLS));
			assert_non_null(f.app);
			assert_non_null(((struct app_flow *)f.app)->tls);
		} else if (sc == 2) {
			feed(&a, &f, 1, (const uint8_t *)h101, strlen(h101), 0, smtp_cb, &o);
			assert_int_equal(f.alproto, ALP_HTTP); /* not HTTP/2: refused */
			assert_int_equal(f.alproto_orig, ALP_SMTP);
			assert_int_equal(f.alproto_expect, ALP_TLS);
			assert_true(app_ev_has(&o.events, APP_EV_APPLAYER_UNEXPECTED_PROTOCOL));
			assert_true(app_ev_has(&o.events, APP_EV_APPLAYER_NO_TLS_AFTER_STARTTLS));
			assert_true(app_ev_has(&o.events, APP_EV_HTTP_FAILED_PROTOCOL_CHANGE));
			/* the change is over: the next bytes are HTTP's, no event again */
			memset(&o.events, 0, sizeof(o.events));
			feed(&a, &f, 0, (const uint8_t *)"GET / HTTP/1.1\r\nHost: a\r\n\r\n", 27, 0, smtp_cb, &o);
			assert_int_equal(f.alproto, ALP_HTTP);
			assert_false(app_ev_has(&o.events, APP_EV_APPLAYER_UNEXPECTED_PROTOCOL));
			assert_false(app_ev_has(&o.events, APP_EV_HTTP_FAILED_PROTOCOL_CHANGE));
		} else {
			/* no protocol: one side is not enough, both fail the flow */
			feed(&a, &f, 0, (const uint8_t *)junk, sizeof(junk) - 1, 0, smtp_cb, &o);
			assert_int_equal(f.alproto, ALP_SMTP);
			assert_int_equal(app_ev_count(&o.events), 0);
			feed(&a, &f, 1, (const uint8_t *)junk, sizeof(junk) - 1, 0, smtp_cb, &o);
			assert_int_equal(f.alproto, ALP_FAILED);
			assert_true(app_ev_has(&o.events, APP_EV_APPLAYER_UNEXPECTED_PROTOCOL));
			assert_true(app_ev_has(&o.events, APP_EV_APPLAYER_NO_TLS_AFTER_STARTTLS));
			feed(&a, &f, 0, hello, sizeof(hello), 0, smtp_cb, &o); /* not read */
			assert_int_equal(f.alproto, ALP_FAILED);
		}
		app_flow_free_ctx(&a, &f);
		assert_int_equal(a.mc.used, 0);
	}
	/* POP3: STLS, +OK, then TLS from the client */
	struct app_ctx a;
	struct flow f;
	struct smtp_seen o;
	ctx_init(&a, 4096, 1 << 20);
	flow_init(&f, ALP_UNKNOWN);
	f.key.sp = 40000;
	f.key.dp = 110;
	memset(&o, 0, sizeof(o));
	feed(&a, &f, 1, (const uint8_t *)"+OK POP3 ready\r\n", 16, 0, smtp_cb, &o);
	assert_int_equal(f.alproto, ALP_POP3);
	feed(&a, &f, 0, (const uint8_t *)"STLS\r\n", 6, 0, smtp_cb, &o);
	feed(&a, &f, 1, (const uint8_t *)"+OK begin TLS\r\n", 15, 0, smtp_cb, &o);
	feed(&a, &f, 0, hello, sizeof(hello), 0, smtp_cb, &o);
	assert_int_equal(f.alproto, ALP_TLS);
	assert_int_equal(f.alproto_orig, ALP_POP3);
	assert_false(app_ev_has(&o.events, APP_EV_APPLAYER_UNEXPECTED_PROTOCOL));
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
	/* FTP: AUTH TLS answered 234 (a 5xx answer changes nothing) */
	for (int ok = 0; ok < 2; ok++) {
		ctx_init(&a, 4096, 1 << 20);
		flow_init(&f, ALP_UNKNOWN);
		f.key.sp = 40000;
		f.key.dp = 21;
		memset(&o, 0, sizeof(o));
		feed(&a, &f, 1, (const uint8_t *)"220 FTP ready\r\n", 15, 0, smtp_cb, &o);
		assert_int_equal(f.alproto, ALP_FTP);
		feed(&a, &f, 0, (const uint8_t *)"AUTH TLS\r\n", 10, 0, smtp_cb, &o);
		if (ok)
			feed(&a, &f, 1, (const uint8_t *)"234 AUTH TLS ok\r\n", 17, 0, smtp_cb, &o);
		else
			feed(&a, &f, 1, (const uint8_t *)"534 no\r\n", 8, 0, smtp_cb, &o);
		assert_int_equal(f.alproto, ALP_FTP);
		feed(&a, &f, 0, hello, sizeof(hello), 0, smtp_cb, &o);
		assert_int_equal(f.alproto, ok ? ALP_TLS : ALP_FTP);
		assert_int_equal(f.alproto_orig, ok ? ALP_FTP : 0);
		app_flow_free_ctx(&a, &f);
		assert_int_equal(a.mc.used, 0);
	}
}

/* EHLO with a domain of dn bytes, then CRLF, in pieces of step bytes;
 * then the connection closes: the open transaction is written then. */
static void smtp_ehlo(size_t dn, size_t step, struct smtp_seen *o)
{
	size_t n = 5 + dn + 2;
	char *line = malloc(n);
	memcpy(line, "EHLO ", 5);
	memset(line + 5, 'x', dn);
	memcpy(line + 5 + dn, "\r\n", 2);
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 4096, 0);
	flow_init(&f, ALP_SMTP);
	f.key.dp = 25;
	memset(o, 0, sizeof(*o));
	const char *greet = "220 mail.example ESMTP\r\n";
	feed(&a, &f, 1, (const uint8_t *)greet, strlen(greet), 0, smtp_cb, o);
	feed(&a, &f, 0, (const uint8_t *)line, n, step, smtp_cb, o);
	assert_int_equal(o->logged, 0);
	/* not closed yet: nothing written */
	app_tx_reset(&a);
	app_tcp_packet(&a, &f, 0);
	smtp_cb(&a.tx, o);
	assert_int_equal(o->logged, 0);
	f.tcp_state = TCP_CLOSED;
	app_tx_reset(&a);
	app_tcp_packet(&a, &f, 0);
	smtp_cb(&a.tx, o);
	assert_int_equal(o->logged, 1);
	/* once */
	app_tx_reset(&a);
	app_tcp_packet(&a, &f, 1);
	smtp_cb(&a.tx, o);
	assert_int_equal(o->logged, 1);
	app_flow_free_ctx(&a, &f);
	free(line);
}

/* A command line is cut where it reaches 4096 bytes before its LF, CR
 * included (Suricata's smtp-long-command): read there, CR and all, with
 * smtp.truncated_line; one byte shorter is a whole line. */
static void test_smtp_long_line(void **state)
{
	(void)state;
	for (size_t step = 0; step <= 1; step++) {
		struct smtp_seen o;
		smtp_ehlo(SMTP_LINE_MAX - 6, step, &o); /* "EHLO " + domain + CR = 4096 */
		assert_true(HAS(o.events, APP_EV_SMTP_TRUNCATED_LINE));
		assert_int_equal(o.helo_len, SMTP_LINE_MAX - 5);
		assert_int_equal(o.helo[o.helo_len - 1], '\r');
		smtp_ehlo(SMTP_LINE_MAX - 7, step, &o);
		assert_false(HAS(o.events, APP_EV_SMTP_TRUNCATED_LINE));
		assert_int_equal(o.helo_len, SMTP_LINE_MAX - 7);
		smtp_ehlo(3 * SMTP_LINE_MAX, step, &o); /* far longer: cut, the rest skipped */
		assert_true(HAS(o.events, APP_EV_SMTP_TRUNCATED_LINE));
		assert_int_equal(o.helo_len, SMTP_LINE_MAX - 5);
		assert_int_equal(o.helo[0], 'x');
	}
}

/* A single-part attachment (no multipart) ends with the message: the
 * CRLF before the end-of-data dot is not the file's, as Suricata 8 reads
 * it (smtp-mime-encap-8649: 30 bytes, not 32); a multipart one's CRLF
 * before the boundary is the boundary's. */
static uint64_t smtp_file_size_step(const char *msg, size_t step);
static uint64_t smtp_file_size(const char *msg)
{
	return smtp_file_size_step(msg, 0);
}

/* The same, the message in pieces of step bytes (0: at once). */
static uint64_t smtp_file_size_step(const char *msg, size_t step)
{
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 0, 1 << 20);
	flow_init(&f, ALP_SMTP);
	f.key.dp = 25;
	const char *srv[] = { "220 x\r\n", "250 x\r\n", "250 ok\r\n", "250 ok\r\n", "354 go\r\n" };
	const char *cli[] = { "EHLO a\r\n", "MAIL FROM:<a@b>\r\n", "RCPT TO:<c@d>\r\n", "DATA\r\n" };
	uint64_t size = UINT64_MAX;
	for (int i = 0; i < 5; i++) {
		app_tx_reset(&a);
		app_stream_data(&a, &f, 1, guard_copy(srv[i], strlen(srv[i])), (uint32_t)strlen(srv[i]), 0);
		if (i < 4) {
			app_tx_reset(&a);
			app_stream_data(&a, &f, 0, guard_copy(cli[i], strlen(cli[i])), (uint32_t)strlen(cli[i]), 0);
		}
	}
	size_t len = strlen(msg);
	for (size_t off = 0; off < len;) {
		size_t k = step ? MIN(step, len - off) : len;
		app_tx_reset(&a);
		app_stream_data(&a, &f, 0, guard_copy(msg + off, k), (uint32_t)k, 0);
		off += k;
		for (unsigned i = 0; i < a.tx.nfiles; i++)
			size = a.tx.files[i]->size;
	}
	app_flow_free_ctx(&a, &f);
	return size;
}

static void test_smtp_attachment_size(void **state)
{
	(void)state;
	assert_int_equal(smtp_file_size("Content-Type: application/octet-stream\r\n"
					"Content-Disposition: attachment; filename=\"m.exe\"\r\n\r\n"
					"EICAR-MIME-BYPASS-TEST-PAYLOAD\r\n.\r\n"), 30);
	assert_int_equal(smtp_file_size("Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\n"
					"Content-Disposition: attachment; filename=\"m.txt\"\r\n\r\n"
					"two\r\nlines\r\n--b--\r\n.\r\n"), 10);
}

/* A message body line longer than the line buffer is not cut: it goes
 * to the MIME reader in pieces, whole (smtp-file-data-01's 16 KiB
 * attachment on one line), with no smtp.truncated_line; base64 and
 * quoted-printable escapes split between pieces decode as one. */
static void test_smtp_long_body_line(void **state)
{
	(void)state;
	const size_t n = 4 * SMTP_LINE_MAX + 123;
	const char *hdr = "Content-Type: text/plain; name=\"J.txt\"\r\n"
			  "Content-Disposition: attachment; filename=\"J.txt\"\r\n\r\n";
	char *msg = malloc(strlen(hdr) + n + 16);
	assert_non_null(msg);
	strcpy(msg, hdr);
	memset(msg + strlen(hdr), 'x', n);
	strcpy(msg + strlen(hdr) + n, "\r\n.\r\n");
	assert_int_equal(smtp_file_size(msg), n);
	assert_int_equal(smtp_file_size_step(msg, 1), n);
	assert_int_equal(smtp_file_size_step(msg, 1000), n);
	/* base64: 4 KiB + 2 characters of 'A' = 3/4 of that in bytes */
	const char *h64 = "Content-Type: application/octet-stream; name=\"a.bin\"\r\n"
			  "Content-Transfer-Encoding: base64\r\n\r\n";
	strcpy(msg, h64);
	memset(msg + strlen(h64), 'A', 2 * SMTP_LINE_MAX);
	strcpy(msg + strlen(h64) + 2 * SMTP_LINE_MAX, "\r\n.\r\n");
	assert_int_equal(smtp_file_size(msg), 2 * SMTP_LINE_MAX / 4 * 3);
	/* quoted-printable: "=41" escapes across the 4096-byte piece ends */
	const char *hqp = "Content-Type: application/octet-stream; name=\"q.bin\"\r\n"
			  "Content-Transfer-Encoding: quoted-printable\r\n\r\n";
	strcpy(msg, hqp);
	char *b = msg + strlen(hqp);
	for (size_t i = 0; i < 3000; i++)
		memcpy(b + 3 * i, "=41", 3);
	strcpy(b + 9000, "\r\n.\r\n");
	assert_int_equal(smtp_file_size(msg), 3000);
	assert_int_equal(smtp_file_size_step(msg, 7), 3000);
	free(msg);
}

/* An SMTP dialog, packet by packet ("C:" the client's, "S:" the
 * server's; each followed by the stack's per-packet call): what was
 * written, on which packet, the events raised and the transactions
 * counted. */
struct smtp_log {
	unsigned n;
	struct { unsigned pkt; uint32_t tx_id; bool email, parse_done; uint16_t from_len, rcpt_n;
		 char from[64]; } t[8];
	unsigned nfiles;
	char fname[64];
	uint64_t fsize;
	app_events_t events;
	uint64_t ntx;
	uint64_t ev_tx[8];        /* the transaction of each packet's events */
	unsigned nev;
	unsigned nhdr, hdr_pkt;   /* packets where a message's headers ended; the last */
	char hdr_subject[64];
};

static void smtp_dialog(const char *const *pkts, size_t npkt, struct smtp_log *o)
{
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 0, 1 << 20);
	flow_init(&f, ALP_SMTP);
	f.key.dp = 25;
	memset(o, 0, sizeof(*o));
	uint64_t tx0 = cnt.v[CNT_APP_TX_SMTP];
	for (size_t i = 0; i < npkt; i++) {
		int dir = pkts[i][0] == 'S';
		const char *d = pkts[i] + 2;
		app_tx_reset(&a);
		if (*d)
			app_stream_data(&a, &f, dir, guard_copy(d, strlen(d)), (uint32_t)strlen(d), 0);
		app_tcp_packet(&a, &f, dir);
		app_ev_or(&o->events, &a.tx.events);
		if (a.tx.ev_tx_id >= 0 && o->nev < 8)
			o->ev_tx[o->nev++] = (uint64_t)a.tx.ev_tx_id;
		if (a.tx.smtp_log && a.tx.smtp && o->n < 8) {
			const struct smtp_info *m = a.tx.smtp;
			o->t[o->n].pkt = (unsigned)i;
			o->t[o->n].tx_id = m->tx_id;
			o->t[o->n].email = m->email;
			o->t[o->n].parse_done = m->parse_done;
			o->t[o->n].from_len = m->mail_from_len;
			o->t[o->n].rcpt_n = m->rcpt_to.n;
			memcpy(o->t[o->n].from, m->mail_from, MIN(m->mail_from_len, 63u));
			o->n++;
		}
		if (a.tx.smtp_hdrs) {
			o->nhdr++;
			o->hdr_pkt = (unsigned)i;
			snprintf(o->hdr_subject, sizeof(o->hdr_subject), "%.63s", a.tx.smtp_hdrs->subject);
		}
		for (unsigned k = 0; k < a.tx.nfiles; k++) {
			o->nfiles++;
			o->fsize = a.tx.files[k]->size;
			memcpy(o->fname, a.tx.files[k]->name, MIN(a.tx.files[k]->name_len, 63u));
		}
	}
	o->ntx = cnt.v[CNT_APP_TX_SMTP] - tx0;
	app_flow_free_ctx(&a, &f);
}
#define DIALOG(p, o) smtp_dialog((p), sizeof(p) / sizeof((p)[0]), (o))

/* A transaction the server's reply completes is written on the client's
 * next packet, an ACK without data too (smtp-file-data-01: the record on
 * the ACK of the "250" to the data, as Suricata reads that reply there). */
static void test_smtp_log_on_client_ack(void **state)
{
	(void)state;
	static const char *const p[] = {
		"S:220 x\r\n", "C:EHLO a\r\n", "S:250 x\r\n", "C:MAIL FROM:<a@b>\r\n", "S:250 ok\r\n",
		"C:RCPT TO:<c@d>\r\n", "S:250 ok\r\n", "C:DATA\r\n", "S:354 go\r\n",
		"C:Subject: x\r\n\r\nhi\r\n.\r\n", "S:250 queued\r\n", "C:", "C:QUIT\r\n" };
	struct smtp_log o;
	DIALOG(p, &o);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.t[0].pkt, 11); /* the bare ACK after "250 queued" */
	assert_true(o.t[0].parse_done);
	assert_string_equal(o.t[0].from, "<a@b>");
	assert_int_equal(o.ntx, 1);
}

/* The packet where a message's top headers end shows its transaction
 * under way (app_tx.smtp_hdrs: smtp.* and email.* are matched there, as
 * Suricata inspects it: detect-email-subject), once, headers cut across
 * packets too; the record still waits for the reply. */
static void test_smtp_headers_packet(void **state)
{
	(void)state;
	static const char *const p[] = {
		"S:220 x\r\n", "C:EHLO a\r\n", "S:250 x\r\n", "C:MAIL FROM:<a@b>\r\n", "S:250 ok\r\n",
		"C:RCPT TO:<c@d>\r\n", "S:250 ok\r\n", "C:DATA\r\n", "S:354 go\r\n",
		"C:Subject: hello there\r\nFrom: x@y\r\n\r\nbody\r\n", "C:more\r\n.\r\n", "S:250 queued\r\n", "C:" };
	struct smtp_log o;
	DIALOG(p, &o);
	assert_int_equal(o.nhdr, 1);
	assert_int_equal(o.hdr_pkt, 9);
	assert_string_equal(o.hdr_subject, "hello there");
	assert_int_equal(o.n, 1);
	assert_int_equal(o.t[0].pkt, 12);
	static const char *const q[] = {
		"S:220 x\r\n", "C:EHLO a\r\n", "S:250 x\r\n", "C:MAIL FROM:<a@b>\r\n", "S:250 ok\r\n",
		"C:DATA\r\n", "S:354 go\r\n", "C:Subject: hel", "C:lo\r\n", "C:\r\nbody\r\n.\r\n",
		"S:250 queued\r\n", "C:" };
	DIALOG(q, &o);
	assert_int_equal(o.nhdr, 1);
	assert_int_equal(o.hdr_pkt, 9);
	assert_string_equal(o.hdr_subject, "hello");
}

/* An RSET ends the transaction under way when the server accepts it:
 * commands pipelined behind it still join that transaction (Suricata
 * 8.0.7's smtp-pipelined-rset-data-replies: one transaction, its message
 * parsed, and smtp.invalid_pipelined_sequence for the data's end sent
 * behind an unanswered DATA); an RSET after a message already sent ends
 * nothing (the next envelope is the next transaction). */
static void test_smtp_rset_pipelined(void **state)
{
	(void)state;
	static const char *const p[] = {
		"S:220 x\r\n", "C:EHLO a\r\n", "S:250-PIPELINING\r\n250 OK\r\n",
		"C:RSET\r\nDATA\r\n.\r\n", "S:250 reset\r\n", "S:354 go\r\n", "S:250 queued\r\n", "C:" };
	struct smtp_log o;
	DIALOG(p, &o);
	assert_int_equal(o.n, 1);
	assert_int_equal(o.t[0].tx_id, 0);
	assert_true(o.t[0].parse_done);
	assert_true(HAS(o.events, APP_EV_SMTP_INVALID_PIPELINED_SEQUENCE));
	assert_int_equal(o.ntx, 1);
	static const char *const q[] = {
		"S:220 x\r\n", "C:EHLO a\r\n", "S:250 x\r\n", "C:MAIL FROM:<a@b>\r\n", "S:250 ok\r\n",
		"C:DATA\r\n", "S:354 go\r\n", "C:x\r\n.\r\n",
		"C:RSET\r\nMAIL FROM:<e@f>\r\n", "S:250 queued\r\n250 reset\r\n250 ok\r\n",
		"C:RCPT TO:<g@h>\r\n", "S:250 ok\r\n", "C:DATA\r\n", "S:354 go\r\n",
		"C:y\r\n.\r\n", "S:250 queued\r\n", "C:" };
	DIALOG(q, &o);
	assert_int_equal(o.n, 2);
	assert_string_equal(o.t[0].from, "<a@b>");
	assert_string_equal(o.t[1].from, "<e@f>");
	assert_int_equal(o.t[1].tx_id, 1);
	assert_int_equal(o.t[1].rcpt_n, 1);
	assert_true(o.t[1].parse_done);
	assert_false(HAS(o.events, APP_EV_SMTP_INVALID_PIPELINED_SEQUENCE));
}

/* RSET (or QUIT) as the session's first command is a transaction of its
 * own (smtp-no-helo-rset: one; then a message: two); an accepted EHLO
 * after a refused DATA starts a new transaction as RSET would
 * (smtp-ehlo-reset-after-rejected-data); a second DATA in one
 * transaction is smtp.unparsable_content and a new one. */
static void test_smtp_tx_boundaries(void **state)
{
	(void)state;
	struct smtp_log o;
	static const char *const p[] = { "S:220 x\r\n", "C:RSET\r\n", "S:250 ok\r\n", "C:" };
	DIALOG(p, &o);
	assert_int_equal(o.ntx, 1);
	static const char *const q[] = {
		"S:220 x\r\n", "C:RSET\r\n", "S:250 ok\r\n", "C:helo a\r\n", "S:250 x\r\n",
		"C:mail from:<a@b>\r\n", "S:250 ok\r\n", "C:rcpt to:<c@d>\r\n", "S:250 ok\r\n",
		"C:data\r\n", "S:354 go\r\n", "C:x\r\n.\r\n", "S:250 ok\r\n", "C:QUIT\r\n" };
	DIALOG(q, &o);
	assert_int_equal(o.ntx, 2);
	static const char *const r[] = {
		"S:220 x\r\n", "C:helo a\r\n", "S:250 x\r\n", "C:data\r\n", "S:503 need RCPT\r\n",
		"C:ehlo a\r\n", "S:250 x\r\n", "C:mail from:<b@c>\r\n", "S:250 ok\r\n",
		"C:rcpt to:<d@e>\r\n", "S:250 ok\r\n", "C:data\r\n", "S:354 go\r\n",
		"C:From: b@c\r\n\r\nx\r\n.\r\n", "S:250 ok\r\n", "C:QUIT\r\n" };
	DIALOG(r, &o);
	assert_int_equal(o.n, 2);
	assert_int_equal(o.t[0].tx_id, 0);
	assert_int_equal(o.t[0].from_len, 0);
	assert_false(o.t[0].email);
	assert_int_equal(o.t[1].tx_id, 1);
	assert_string_equal(o.t[1].from, "<b@c>");
	assert_true(o.t[1].parse_done);
	assert_true(HAS(o.events, APP_EV_SMTP_DATA_REJECTED));
	assert_false(HAS(o.events, APP_EV_SMTP_UNPARSABLE_CONTENT));
	static const char *const u[] = {
		"S:220 x\r\n", "C:helo a\r\n", "S:250 x\r\n", "C:data\r\n", "S:503 need RCPT\r\n",
		"C:mail from:<b@c>\r\n", "S:250 ok\r\n", "C:data\r\n", "S:354 go\r\n",
		"C:x\r\n.\r\n", "S:250 ok\r\n", "C:QUIT\r\n" };
	DIALOG(u, &o);
	assert_true(HAS(o.events, APP_EV_SMTP_UNPARSABLE_CONTENT));
	assert_int_equal(o.n, 2);
	assert_true(o.t[1].parse_done);
	/* events name their transaction (the anomaly record's tx_id): the
	 * second message's refused DATA is transaction 1's */
	static const char *const v[] = {
		"S:220 x\r\n", "C:helo a\r\n", "S:250 x\r\n", "C:mail from:<b@c>\r\n", "S:250 ok\r\n",
		"C:data\r\n", "S:354 go\r\n", "C:x\r\n.\r\n", "S:250 ok\r\n",
		"C:mail from:<d@e>\r\n", "S:250 ok\r\n", "C:data\r\n", "S:554 no\r\n", "C:QUIT\r\n" };
	DIALOG(v, &o);
	assert_int_equal(o.nev, 1);
	assert_int_equal(o.ev_tx[0], 1);
}

/* A reply is a known code (Suricata's list): "402" is smtp.invalid_reply,
 * counted as a parser error, and the parser gives the flow up (nothing
 * more read, one error); a reply line cut at 4 KiB is not a reply (no
 * event: smtp-bug-5989). */
static void test_smtp_invalid_reply(void **state)
{
	(void)state;
	struct smtp_log o;
	uint64_t e0 = cnt.v[CNT_APP_ERR_SMTP];
	static const char *const p[] = {
		"S:220 x\r\n", "C:EHLO a\r\n", "S:402 no\r\n400 no\r\n", "S:472 no\r\n",
		"C:MAIL FROM:<a@b>\r\n", "S:250 ok\r\n" };
	DIALOG(p, &o);
	assert_true(HAS(o.events, APP_EV_SMTP_INVALID_REPLY));
	assert_false(HAS(o.events, APP_EV_SMTP_UNMATCHED_REPLY));
	assert_int_equal(cnt.v[CNT_APP_ERR_SMTP] - e0, 1);
	char *big = malloc(2 * SMTP_LINE_MAX);
	assert_non_null(big);
	memcpy(big, "S:220 x\r\n", 9);
	memset(big + 9, 'A', SMTP_LINE_MAX + 10);
	strcpy(big + 9 + SMTP_LINE_MAX + 10, "\r\n");
	const char *q[] = { big, "C:EHLO a\r\n", "S:250 x\r\n", "C:QUIT\r\n", "S:221 bye\r\n" };
	DIALOG(q, &o);
	assert_false(HAS(o.events, APP_EV_SMTP_INVALID_REPLY));
	assert_false(HAS(o.events, APP_EV_SMTP_UNMATCHED_REPLY));
	free(big);
}

/* smtp.command_line frames, as Suricata 8 makes them: a client line
 * outside DATA twice, with its line end and without (suricata-verify's
 * from_base64-04: Z2FsdW50\r\n and Z2FsdW50 for one AUTH LOGIN line), a
 * reply line once, with its line end; a message line none. */
static void test_smtp_command_line_frames(void **state)
{
	(void)state;
	int falp;
	int cl = app_frame_lookup("command_line", ALP_SMTP, &falp);
	int rl = app_frame_lookup("response_line", ALP_SMTP, &falp);
	assert_true(cl > FR_NONE && rl > FR_NONE);
	static const char *const pk[][2] = {
		{ "S", "220 x\r\n" }, { "C", "AUTH LOGIN\r\n" }, { "S", "334 VXNlcm5hbWU6\r\n" },
		{ "C", "Z2FsdW50\r\n" }, { "S", "235 ok\r\n" }, { "C", "DATA\n" }, { "S", "354 go\r\n" },
		{ "C", "Subject: x\r\n\r\nhi\r\n" } };
	static const char *const want[][2] = { /* the command_line frames of each */
		{ NULL, NULL }, { "AUTH LOGIN\r\n", "AUTH LOGIN" }, { NULL, NULL },
		{ "Z2FsdW50\r\n", "Z2FsdW50" }, { NULL, NULL }, { "DATA\n", "DATA" }, { NULL, NULL },
		{ NULL, NULL } };
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 0, 1 << 20);
	flow_init(&f, ALP_SMTP);
	for (unsigned i = 0; i < sizeof(pk) / sizeof(pk[0]); i++) {
		int dir = pk[i][0][0] == 'C' ? 0 : 1;
		feed(&a, &f, dir, (const uint8_t *)pk[i][1], strlen(pk[i][1]), 0, NULL, NULL);
		unsigned ncl = 0, nrl = 0;
		for (unsigned k = 0; k < a.tx.nframes; k++) {
			const struct app_frame *fr = &a.tx.frames[k];
			if (fr->type == rl) {
				assert_int_equal(fr->dir, 1);
				assert_int_equal(fr->len, strlen(pk[i][1]));
				assert_memory_equal(fr->p, pk[i][1], fr->len);
				nrl++;
			} else if (fr->type == cl) {
				assert_true(ncl < 2 && want[i][ncl]);
				assert_int_equal(fr->dir, 0);
				assert_int_equal(fr->len, strlen(want[i][ncl]));
				assert_memory_equal(fr->p, want[i][ncl], fr->len);
				ncl++;
			}
		}
		assert_int_equal(ncl, want[i][0] ? 2 : 0);
		assert_int_equal(nrl, dir);
	}
	app_flow_free_ctx(&a, &f);
}

/* BDAT (RFC 3030): each BDAT command line gets its two smtp.command_line
 * frames, as any command line outside DATA, a pipelined one behind a
 * chunk too; the chunk bytes are no command line. */
static void test_smtp_bdat_frames(void **state)
{
	(void)state;
	int falp;
	int cl = app_frame_lookup("command_line", ALP_SMTP, &falp);
	assert_true(cl > FR_NONE);
	static const char *const pk[][2] = {
		{ "S", "220 x\r\n" }, { "C", "EHLO a\r\n" }, { "S", "250 ok\r\n" },
		{ "C", "MAIL FROM:<a@b>\r\n" }, { "S", "250 ok\r\n" }, { "C", "RCPT TO:<c@d>\r\n" },
		{ "S", "250 ok\r\n" }, { "C", "BDAT 8\r\nX: 1\r\n\r\n" }, { "S", "250 ok\r\n" },
		{ "C", "BDAT 5\r\nabc\r\nBDAT 0 LAST\r\n" }, { "S", "250 ok\r\n250 ok\r\n" } };
	static const char *const want[][4] = { /* the command_line frames of each */
		{ NULL }, { "EHLO a\r\n", "EHLO a" }, { NULL }, { "MAIL FROM:<a@b>\r\n", "MAIL FROM:<a@b>" },
		{ NULL }, { "RCPT TO:<c@d>\r\n", "RCPT TO:<c@d>" }, { NULL }, { "BDAT 8\r\n", "BDAT 8" },
		{ NULL }, { "BDAT 5\r\n", "BDAT 5", "BDAT 0 LAST\r\n", "BDAT 0 LAST" }, { NULL } };
	static const size_t steps[] = { 0, 1, 5 };
	for (size_t st = 0; st < sizeof(steps) / sizeof(steps[0]); st++) {
		struct app_ctx a;
		struct flow f;
		ctx_init(&a, 0, 1 << 20);
		flow_init(&f, ALP_SMTP);
		for (unsigned i = 0; i < sizeof(pk) / sizeof(pk[0]); i++) {
			int dir = pk[i][0][0] == 'C' ? 0 : 1;
			const char *p = pk[i][1];
			size_t n = strlen(p), off = 0, step = steps[st] ? steps[st] : n;
			char got[4][64];
			unsigned ncl = 0;
			while (off < n) {
				size_t k = MIN(step, n - off);
				app_tx_reset(&a);
				app_stream_data(&a, &f, dir, guard_copy((const uint8_t *)p + off, k), (uint32_t)k, 0);
				for (unsigned j = 0; j < a.tx.nframes; j++) {
					const struct app_frame *fr = &a.tx.frames[j];
					if (fr->type != cl)
						continue;
					assert_true(ncl < 4 && fr->len < sizeof(got[0]));
					memcpy(got[ncl], fr->p, fr->len);
					got[ncl++][fr->len] = 0;
				}
				off += k;
			}
			unsigned nw = 0;
			while (nw < 4 && want[i][nw])
				nw++;
			if (ncl != nw)
				for (unsigned j = 0; j < ncl; j++)
					print_message("step %zu packet %u frame %u: [%s]\n", steps[st], i, j, got[j]);
			assert_int_equal(ncl, nw);
			for (unsigned j = 0; j < nw; j++)
				assert_string_equal(got[j], want[i][j]);
		}
		app_flow_free_ctx(&a, &f);
	}
}

/* Port 465 (SMTP over TLS): a clear-text 220 greeting there is SMTP, a
 * client's ClientHello TLS. */
static void test_smtp_detect_465(void **state)
{
	(void)state;
	static const char greet[] = "220 v02.example ESMTP Postfix\r\n";
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 0, 1 << 20);
	flow_init(&f, ALP_UNKNOWN);
	f.key.dp = 465;
	feed(&a, &f, 1, (const uint8_t *)greet, strlen(greet), 0, NULL, NULL);
	assert_int_equal(f.alproto, ALP_SMTP);
	app_flow_free_ctx(&a, &f);
	static const uint8_t hello[] = { 0x16, 0x03, 0x01, 0x00, 0x05, 0x01, 0x00, 0x00, 0x01, 0x00 };
	ctx_init(&a, 0, 1 << 20);
	flow_init(&f, ALP_UNKNOWN);
	f.key.dp = 465;
	feed(&a, &f, 0, hello, sizeof(hello), 0, NULL, NULL);
	assert_int_equal(f.alproto, ALP_TLS);
	app_flow_free_ctx(&a, &f);
}

/* An SMTP connection's state is charged to the app-layer memcap: under
 * a memcap smaller than it the connection is not parsed (and
 * app.memcap raised); with room, it is charged while the flow lives and
 * returned when it is freed. */
static void test_smtp_state_memcap(void **state)
{
	(void)state;
	static const char ehlo[] = "EHLO a\r\n";
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 0, 4096);
	flow_init(&f, ALP_SMTP);
	f.key.dp = 25;
	app_tx_reset(&a);
	app_stream_data(&a, &f, 0, guard_copy(ehlo, strlen(ehlo)), (uint32_t)strlen(ehlo), 0);
	assert_true(HAS(a.tx.events, APP_EV_APP_MEMCAP));
	assert_int_equal(a.mc.used, 0);
	app_flow_free_ctx(&a, &f);
	ctx_init(&a, 0, 1 << 20);
	flow_init(&f, ALP_SMTP);
	f.key.dp = 25;
	app_tx_reset(&a);
	app_stream_data(&a, &f, 0, guard_copy(ehlo, strlen(ehlo)), (uint32_t)strlen(ehlo), 0);
	assert_true(a.mc.used >= sizeof(struct smtp_state));
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}

/* A message/rfc822 part is a message of its own whatever encoding it
 * claims (smtp-mime-encap-8649-combined: a "base64" part holding a
 * plain message whose attachment is the file, not the container). */
static void test_smtp_rfc822(void **state)
{
	(void)state;
	static const char *const p[] = {
		"S:220 x\r\n", "C:EHLO a\r\n", "S:250 x\r\n", "C:MAIL FROM:<a@b>\r\n", "S:250 ok\r\n",
		"C:RCPT TO:<c@d>\r\n", "S:250 ok\r\n", "C:DATA\r\n", "S:354 go\r\n",
		"C:From: a@b\r\nContent-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n"
		"Content-Disposition: attachment; filename=\"innocent.txt\"\r\n\r\n"
		"From: a@b\r\nContent-Type: application/octet-stream\r\n"
		"Content-Disposition: attachment; filename=\"malware.exe\"\r\n\r\n"
		"EICAR-MIME-BYPASS-TEST-PAYLOAD\r\n.\r\n", "S:250 ok\r\n", "C:" };
	struct smtp_log o;
	DIALOG(p, &o);
	assert_int_equal(o.nfiles, 1);
	assert_string_equal(o.fname, "malware.exe");
	assert_int_equal(o.fsize, 30);
}

/* MIME parameters: plain, quoted, and RFC 2231's extended and split
 * forms joined in order. */
static void test_mime_param(void **state)
{
	(void)state;
	char o[64];
	const char *v = "attachment; filename=\"a b.zip\"";
	assert_int_equal(mime_param(v, strlen(v), "filename", o, sizeof(o)), 7);
	assert_string_equal(o, "a b.zip");
	v = "attachment;\r\n filename*0=smtptest-2021;\r\n filename*1=-02..zip";
	assert_int_equal(mime_param(v, strlen(v), "filename", o, sizeof(o)), 21);
	assert_string_equal(o, "smtptest-2021-02..zip");
	v = "attachment; filename*=UTF-8''caf%C3%A9%20menu.pdf";
	mime_param(v, strlen(v), "filename", o, sizeof(o));
	assert_string_equal(o, "caf\xc3\xa9 menu.pdf");
	v = "attachment; filename*0*=UTF-8''a%41; filename*1=b";
	mime_param(v, strlen(v), "filename", o, sizeof(o));
	assert_string_equal(o, "aAb");
	v = "attachment; xfilename=no";
	assert_int_equal(mime_param(v, strlen(v), "filename", o, sizeof(o)), 0);
	/* cut to fit, the full length returned */
	v = "attachment; filename*0=0123456789; filename*1=0123456789";
	assert_int_equal(mime_param(v, strlen(v), "filename", o, 8), 20);
	assert_string_equal(o, "0123456");
}


/* ---- WebSocket ---- */

/* A frame as a sender makes it: FIN/RSV/opcode byte b0, the payload with
 * the 7-, 16- or 64-bit length its size needs, masked when key is set. */
static size_t ws_frame(uint8_t *out, uint8_t b0, const uint8_t *pl, size_t n, const uint8_t *key)
{
	size_t o = 0;
	out[o++] = b0;
	uint8_t m = key ? 0x80 : 0;
	if (n < 126) {
		out[o++] = (uint8_t)(m | n);
	} else if (n < 65536) {
		out[o++] = m | 126;
		out[o++] = (uint8_t)(n >> 8);
		out[o++] = (uint8_t)n;
	} else {
		out[o++] = m | 127;
		for (int i = 7; i >= 0; i--)
			out[o++] = (uint8_t)((uint64_t)n >> (8 * i));
	}
	if (key) {
		memcpy(out + o, key, 4);
		o += 4;
	}
	for (size_t i = 0; i < n; i++)
		out[o + i] = key ? pl[i] ^ key[i & 3] : pl[i];
	return o + n;
}

#define WS_SEEN_MAX 16
struct ws_seen {
	unsigned n, nframes;
	struct {
		uint8_t opcode, flags;
		bool fin, has_mask, toclient;
		uint32_t mask, len;
		uint8_t pl[96];           /* the payload's first bytes */
	} t[WS_SEEN_MAX];
	uint32_t pdu_len[WS_SEEN_MAX]; /* websocket.pdu frames' lengths */
	app_events_t events;
};

static void ws_cb(const struct app_tx *tx, void *ud)
{
	struct ws_seen *s = ud;
	app_ev_or(&s->events, &tx->events);
	for (unsigned i = 0; i < tx->nws && s->n < WS_SEEN_MAX; i++) {
		const struct ws_tx *w = tx->ws[i];
		s->t[s->n].opcode = w->opcode;
		s->t[s->n].flags = w->flags;
		s->t[s->n].fin = w->fin;
		s->t[s->n].has_mask = w->has_mask;
		s->t[s->n].toclient = w->toclient;
		s->t[s->n].mask = w->mask;
		s->t[s->n].len = w->payload_len;
		if (w->payload_len)
			memcpy(s->t[s->n].pl, w->payload, MIN(w->payload_len, sizeof(s->t[0].pl)));
		s->n++;
	}
	for (unsigned i = 0; i < tx->nframes && s->nframes < WS_SEEN_MAX; i++)
		if (tx->frames[i].type == FR_WEBSOCKET_PDU)
			s->pdu_len[s->nframes++] = tx->frames[i].len;
}

/* The upgrade, then the conversation: the 101 with the server's first
 * frame in the same delivery. */
static void ws_conversation(size_t step, const char *ext, const uint8_t *c2s, size_t cn,
			    const uint8_t *s2c, size_t sn, struct ws_seen *seen)
{
	static const char req[] = "GET /chat HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n"
				  "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n";
	uint8_t *resp = malloc(256 + sn);
	assert_non_null(resp);
	int hl = snprintf((char *)resp, 256,
			  "HTTP/1.1 101 Switching Protocols\r\nUpgrade: WebSocket\r\n"
			  "Connection: Upgrade\r\n%s\r\n", ext);
	memcpy(resp + hl, s2c, sn);
	struct app_ctx a;
	struct flow f;
	ctx_init(&a, 0, 4 << 20);
	flow_init(&f, ALP_UNKNOWN);
	f.key.dp = 80;
	memset(seen, 0, sizeof(*seen));
	feed(&a, &f, 0, (const uint8_t *)req, sizeof(req) - 1, 0, NULL, NULL);
	/* the head whole (so the 101 is read before the frame after it),
	 * then the rest in steps */
	size_t cut = step ? (size_t)hl : 0;
	if (cut)
		feed(&a, &f, 1, resp, cut, 0, ws_cb, seen);
	feed(&a, &f, 1, resp + cut, (size_t)hl + sn - cut, step, ws_cb, seen);
	assert_int_equal(f.alproto, ALP_WEBSOCKET);
	feed(&a, &f, 0, c2s, cn, step, ws_cb, seen);
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0); /* every buffer returned */
	free(resp);
}

/* Frames both ways, whole and a byte at a time: 7-, 16- and 64-bit
 * lengths, masking, a message in three fragments with a ping between
 * them, a payload over max-payload-size. */
static void test_websocket_frames(void **state)
{
	(void)state;
	static const uint8_t key[4] = { 0x12, 0x34, 0x56, 0x78 };
	uint8_t *c2s = malloc(200000), *s2c = malloc(1024), *big = calloc(1, 70000);
	assert_non_null(c2s);
	assert_non_null(s2c);
	assert_non_null(big);
	memset(big, 'B', 70000);
	size_t cn = 0, sn = 0;
	sn += ws_frame(s2c + sn, 0x81, (const uint8_t *)"connected,", 10, NULL);
	cn += ws_frame(c2s + cn, 0x81, (const uint8_t *)"hello", 5, key);
	cn += ws_frame(c2s + cn, 0x82, big, 300, key);             /* 16-bit length */
	cn += ws_frame(c2s + cn, 0x01, (const uint8_t *)"MALWARE_", 8, key); /* not FIN */
	cn += ws_frame(c2s + cn, 0x89, (const uint8_t *)"ping", 4, key);
	cn += ws_frame(c2s + cn, 0x00, (const uint8_t *)"DOWNLOAD ", 9, key);
	cn += ws_frame(c2s + cn, 0x80, (const uint8_t *)"cmd.exe", 7, key);
	cn += ws_frame(c2s + cn, 0x82, big, 70000, NULL);          /* 64-bit, over the cap */
	cn += ws_frame(c2s + cn, 0x88, (const uint8_t *)"\x03\xe8", 2, key);
	struct ws_seen w[2];
	ws_conversation(0, "", c2s, cn, s2c, sn, &w[0]);
	ws_conversation(1, "", c2s, cn, s2c, sn, &w[1]);
	for (int k = 0; k < 2; k++) {
		struct ws_seen *s = &w[k];
		assert_int_equal(s->n, 9);
		assert_true(s->t[0].toclient);
		assert_false(s->t[0].has_mask);
		assert_int_equal(s->t[0].opcode, 1);
		assert_int_equal(s->t[0].len, 10);
		assert_memory_equal(s->t[0].pl, "connected,", 10);
		assert_false(s->t[1].toclient);
		assert_true(s->t[1].has_mask);
		assert_int_equal(s->t[1].mask, 0x12345678);
		assert_int_equal(s->t[1].flags, 0x80);
		assert_memory_equal(s->t[1].pl, "hello", 5); /* unmasked */
		assert_int_equal(s->t[2].opcode, 2);
		assert_int_equal(s->t[2].len, 300);
		assert_int_equal(s->t[2].pl[0], 'B');
		/* the fragments: each its own; the ping alone; the last one
		 * carries the whole message */
		assert_false(s->t[3].fin);
		assert_int_equal(s->t[3].len, 8);
		assert_int_equal(s->t[4].opcode, 9);
		assert_int_equal(s->t[4].len, 4);
		assert_memory_equal(s->t[4].pl, "ping", 4);
		assert_int_equal(s->t[5].opcode, 0);
		assert_memory_equal(s->t[5].pl, "DOWNLOAD ", 9);
		assert_true(s->t[6].fin);
		assert_int_equal(s->t[6].len, 24);
		assert_memory_equal(s->t[6].pl, "MALWARE_DOWNLOAD cmd.exe", 24);
		/* 70000 bytes: 0xffff kept, the rest passed over */
		assert_int_equal(s->t[7].len, 0xffff);
		assert_false(s->t[7].has_mask);
		assert_int_equal(s->t[8].opcode, 8);
		assert_memory_equal(s->t[8].pl, "\x03\xe8", 2);
		assert_true(app_ev_has(&s->events, APP_EV_WEBSOCKET_SKIP_END_OF_PAYLOAD));
		assert_false(app_ev_has(&s->events, APP_EV_WEBSOCKET_INVALID_FRAME));
		/* websocket.pdu: the frames as sent */
		assert_int_equal(s->nframes, 9);
		assert_int_equal(s->pdu_len[0], 12);
		assert_int_equal(s->pdu_len[1], 2 + 4 + 5);
		assert_int_equal(s->pdu_len[2], 4 + 4 + 300);
		assert_int_equal(s->pdu_len[7], 10 + 0xffff);
	}
	/* the record */
	struct jbuf jb = { 0 };
	struct ws_tx t = { .fin = true, .has_mask = true, .mask = 3803616749u, .opcode = 1,
			   .payload = (uint8_t *)"hi", .payload_len = 2 };
	jb_open_object(&jb, NULL);
	ws_log_fields(&jb, &t, true, true);
	jb_close(&jb);
	char rec[256];
	snprintf(rec, sizeof(rec), "%.*s", (int)jb.len, jb.buf);
	assert_string_equal(rec, "{\"fin\":true,\"mask\":3803616749,\"opcode\":\"text\","
				 "\"payload_printable\":\"hi\",\"payload_base64\":\"aGk=\"}");
	jb_fini(&jb);
	free(c2s);
	free(s2c);
	free(big);
}

/* permessage-deflate: one window per direction kept across messages (the
 * second message is mostly a back-reference to the first), a message
 * compressed in two fragments; and the caps of a smaller
 * max-payload-size. */
static void test_websocket_deflate_and_limits(void **state)
{
	(void)state;
	const char *m1 = "the quick brown fox jumps over the lazy dog TOGGLE=5659131662f54334";
	const char *m2 = "the quick brown fox jumps over the lazy dog TOGGLE=5659131662f54334!";
	z_stream z;
	memset(&z, 0, sizeof(z));
	assert_int_equal(deflateInit2(&z, 9, Z_DEFLATED, -15, 8, Z_DEFAULT_STRATEGY), Z_OK);
	uint8_t c1[256], c2[256];
	z.next_in = (Bytef *)m1;
	z.avail_in = (uInt)strlen(m1);
	z.next_out = c1;
	z.avail_out = sizeof(c1);
	assert_int_equal(deflate(&z, Z_SYNC_FLUSH), Z_OK);
	size_t l1 = sizeof(c1) - z.avail_out - 4; /* without 00 00 ff ff */
	z.next_in = (Bytef *)m2;
	z.avail_in = (uInt)strlen(m2);
	z.next_out = c2;
	z.avail_out = sizeof(c2);
	assert_int_equal(deflate(&z, Z_SYNC_FLUSH), Z_OK);
	size_t l2 = sizeof(c2) - z.avail_out - 4;
	deflateEnd(&z);
	assert_true(l2 < strlen(m2) / 2); /* it refers to the first message */
	uint8_t s2c[1024];
	size_t sn = 0;
	sn += ws_frame(s2c + sn, 0xc1, c1, l1, NULL);                 /* FIN RSV1 text */
	sn += ws_frame(s2c + sn, 0x41, c2, 3, NULL);                  /* RSV1, fragment */
	sn += ws_frame(s2c + sn, 0x8a, (const uint8_t *)"", 0, NULL); /* pong between */
	sn += ws_frame(s2c + sn, 0x80, c2 + 3, l2 - 3, NULL);
	for (size_t step = 0; step <= 1; step++) {
		struct ws_seen s;
		ws_conversation(step, "Sec-WebSocket-Extensions: permessage-deflate\r\n",
				(const uint8_t *)"", 0, s2c, sn, &s);
		assert_int_equal(s.n, 4);
		assert_int_equal(s.t[0].flags, 0xc0);
		assert_int_equal(s.t[0].len, strlen(m1));
		assert_memory_equal(s.t[0].pl, m1, strlen(m1));
		assert_int_equal(s.t[2].opcode, 10);
		assert_int_equal(s.t[3].len, strlen(m2));
		assert_memory_equal(s.t[3].pl, m2, strlen(m2));
	}
	/* no context takeover said: each message alone, so the second
	 * (which needs the first's window) stays as sent */
	{
		struct ws_seen s;
		ws_conversation(0, "Sec-WebSocket-Extensions: permessage-deflate; server_no_context_takeover\r\n",
				(const uint8_t *)"", 0, s2c, sn, &s);
		assert_int_equal(s.n, 4);
		assert_memory_equal(s.t[0].pl, m1, strlen(m1));
		assert_int_not_equal(s.t[3].len, strlen(m2));
	}
	/* max-payload-size 16: a frame keeps 16 bytes, a message too */
	ws_config(16);
	uint8_t c2s[256];
	size_t cn = 0;
	cn += ws_frame(c2s + cn, 0x81, (const uint8_t *)"0123456789abcdefXYZ", 19, NULL);
	cn += ws_frame(c2s + cn, 0x01, (const uint8_t *)"0123456789", 10, NULL);
	cn += ws_frame(c2s + cn, 0x80, (const uint8_t *)"abcdefXYZ", 9, NULL);
	cn += ws_frame(c2s + cn, 0x81, (const uint8_t *)"ok", 2, NULL);
	for (size_t step = 0; step <= 1; step++) {
		struct ws_seen s;
		ws_conversation(step, "", c2s, cn, (const uint8_t *)"", 0, &s);
		assert_int_equal(s.n, 4);
		assert_int_equal(s.t[0].len, 16);
		assert_memory_equal(s.t[0].pl, "0123456789abcdef", 16);
		assert_int_equal(s.t[2].len, 16);
		assert_memory_equal(s.t[2].pl, "0123456789abcdef", 16);
		assert_int_equal(s.t[3].len, 2); /* back in step after the skipped bytes */
		assert_memory_equal(s.t[3].pl, "ok", 2);
		assert_true(app_ev_has(&s.events, APP_EV_WEBSOCKET_SKIP_END_OF_PAYLOAD));
		assert_true(app_ev_has(&s.events, APP_EV_WEBSOCKET_REASSEMBLY_LIMIT_REACHED));
	}
	ws_config(0);
	/* what RFC 6455 forbids: RSV2, a continuation outside a message, a
	 * fragmented ping */
	cn = 0;
	cn += ws_frame(c2s + cn, 0xa1, (const uint8_t *)"x", 1, NULL);
	cn += ws_frame(c2s + cn, 0x80, (const uint8_t *)"y", 1, NULL);
	cn += ws_frame(c2s + cn, 0x09, (const uint8_t *)"z", 1, NULL);
	struct ws_seen s;
	ws_conversation(0, "", c2s, cn, (const uint8_t *)"", 0, &s);
	assert_int_equal(s.n, 3);
	assert_true(app_ev_has(&s.events, APP_EV_WEBSOCKET_INVALID_FRAME));
}

/* Multicast DNS (UDP 5353) is mdns, not dns: its message, and the mdns
 * object with lower-case types, a PTR's target and a TXT record's strings
 * as one list */
static void test_mdns(void **state)
{
	(void)state;
	/* a response: answer 1 a PTR "_x._tcp.local" -> "h._x._tcp.local",
	 * answer 2 a TXT of "a=1" and "b=2" */
	static const uint8_t msg[] = {
		0x00, 0x00, 0x84, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
		2, '_', 'x', 4, '_', 't', 'c', 'p', 5, 'l', 'o', 'c', 'a', 'l', 0,
		0x00, 0x0c, 0x00, 0x01, 0x00, 0x00, 0x11, 0x94, 0x00, 0x04, 1, 'h', 0xc0, 0x0c,
		0xc0, 0x0c, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00, 0x11, 0x94, 0x00, 0x08,
		3, 'a', '=', '1', 3, 'b', '=', '2',
	};
	struct app_ctx a;
	struct flow f;
	struct packet p;
	ctx_init(&a, 0, 1 << 20);
	memset(&f, 0, sizeof(f));
	f.key.proto = 17;
	f.key.sp = 5353;
	f.key.dp = 5353;
	memset(&p, 0, sizeof(p));
	p.proto = 17;
	p.sp = p.dp = 5353;
	p.flow = &f;
	p.payload = guard_copy(msg, sizeof(msg));
	p.payload_len = sizeof(msg);
	app_tx_reset(&a);
	app_udp(&a, &f, &p);
	assert_int_equal(f.alproto, ALP_MDNS);
	assert_int_equal(a.tx.ndns, 1);
	assert_int_equal(a.tx.alproto, ALP_MDNS);
	struct jbuf jb = { 0 };
	jb_open_object(&jb, NULL);
	mdns_log(&jb, &a.tx.dns[0]);
	jb_close(&jb);
	char rec[1024];
	snprintf(rec, sizeof(rec), "%.*s", (int)jb.len, jb.buf);
	jb_fini(&jb);
	assert_non_null(strstr(rec, "\"type\":\"response\""));
	assert_non_null(strstr(rec, "{\"rrname\":\"_x._tcp.local\",\"rrtype\":\"ptr\",\"ttl\":4500,"
				    "\"ptr\":\"h._x._tcp.local\"}"));
	assert_non_null(strstr(rec, "\"rrtype\":\"txt\",\"ttl\":4500,\"txt\":[\"a=1\",\"b=2\"]}"));
	app_flow_free_ctx(&a, &f);
}

/* ---- BitTorrent DHT and NTP ---- */

struct udp_seen {
	app_events_t ev;
	int64_t ev_tx_id;
	char rec[600];
	bool has_rec;
	uint64_t tx_id;
};

static void udp_send(struct app_ctx *a, struct flow *f, int dir, uint16_t port, const void *d,
		     size_t n, struct udp_seen *s)
{
	struct packet p;
	memset(&p, 0, sizeof(p));
	p.proto = 17;
	p.dir = (uint8_t)dir;
	p.sp = dir ? port : 40000;
	p.dp = dir ? 40000 : port;
	p.flow = f;
	p.payload = guard_copy(d, n);
	p.payload_len = (uint32_t)n;
	app_tx_reset(a);
	app_udp(a, f, &p);
	memset(s, 0, sizeof(*s));
	app_ev_or(&s->ev, &a->tx.events);
	s->ev_tx_id = a->tx.ev_tx_id;
	if (a->tx.btdht) {
		struct jbuf jb = { 0 };
		jb_open_object(&jb, NULL);
		btdht_log_fields(&jb, a->tx.btdht);
		jb_close(&jb);
		snprintf(s->rec, sizeof(s->rec), "%.*s", (int)jb.len, jb.buf);
		jb_fini(&jb);
		s->has_rec = true;
		s->tx_id = a->tx.btdht->tx_id;
	}
}

/* BitTorrent DHT: detected by its pattern only; a query, a response with
 * peers and nodes, an error, each one transaction written as Suricata
 * writes it; a query without a transaction id is malformed (its event
 * names the transaction) yet keeps its type and arguments; what bencode
 * or KRPC forbids is malformed; every prefix of a message is refused
 * without reading past it; the state goes back to the memcap. */
static void test_btdht(void **state)
{
	(void)state;
	struct app_ctx a;
	struct flow f;
	struct udp_seen s;
	ctx_init(&a, 0, 1 << 20);
	flow_init(&f, ALP_UNKNOWN);
	f.key.proto = 17;
	/* a response first is not enough to say (Suricata's pattern is a
	 * query's) */
	static const char resp[] = "d1:rd2:id20:mnopqrstuvwxyz123456e1:t2:aa1:y1:re";
	udp_send(&a, &f, 1, 6881, resp, sizeof(resp) - 1, &s);
	assert_int_equal(f.alproto, ALP_UNKNOWN);
	static const char ping[] = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:qe";
	udp_send(&a, &f, 0, 6881, ping, sizeof(ping) - 1, &s);
	assert_int_equal(f.alproto, ALP_BITTORRENT_DHT);
	assert_true(s.has_rec);
	assert_int_equal(s.tx_id, 0);
	assert_string_equal(s.rec, "{\"transaction_id\":\"6161\",\"request_type\":\"ping\",\"request\":"
				   "{\"id\":\"6162636465666768696a30313233343536373839\"}}");
	/* get_peers' answer: a token, two peers (the second IPv6), a node */
	static const char peers[] =
		"d1:rd2:id20:mnopqrstuvwxyz1234565:nodes26:NNNNNNNNNNNNNNNNNNNN\x0a\x00\x00\x01\x1a\xe1"
		"5:token8:aoeusnth6:valuesl6:axje.u18:\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01\x00\x50"
		"ee1:t2:aa1:v4:UT121:y1:re";
	udp_send(&a, &f, 1, 6881, peers, sizeof(peers) - 1, &s);
	assert_true(s.has_rec);
	assert_int_equal(s.tx_id, 1);
	assert_string_equal(s.rec, "{\"transaction_id\":\"6161\",\"client_version\":\"55543132\","
				   "\"response\":{\"id\":\"6d6e6f707172737475767778797a313233343536\","
				   "\"nodes\":[{\"id\":\"4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e4e\","
				   "\"ip\":\"10.0.0.1\",\"port\":6881}],\"values\":[{\"ip\":\"97.120.106.101\","
				   "\"port\":11893},{\"ip\":\"2001:0db8:0000:0000:0000:0000:0000:0001\","
				   "\"port\":80}],\"token\":\"616f6575736e7468\"}}");
	static const char err[] = "d1:eli201e23:A Generic Error Ocurrede1:t2:aa1:y1:ee";
	udp_send(&a, &f, 1, 6881, err, sizeof(err) - 1, &s);
	assert_string_equal(s.rec, "{\"transaction_id\":\"6161\",\"error\":{\"num\":201,"
				   "\"msg\":\"A Generic Error Ocurred\"}}");
	assert_int_equal(app_ev_count(&s.ev), 0);
	static const char ann[] = "d1:ad2:id20:abcdefghij012345678912:implied_porti1e9:info_hash20:"
				  "mnopqrstuvwxyz1234564:porti6881e5:token8:aoeusnthe1:q13:announce_peer"
				  "1:t2:aa1:y1:qe";
	udp_send(&a, &f, 0, 6881, ann, sizeof(ann) - 1, &s);
	assert_non_null(strstr(s.rec, "\"request_type\":\"announce_peer\""));
	assert_non_null(strstr(s.rec, "\"token\":\"616f6575736e7468\",\"implied_port\":1,\"port\":6881}"));
	/* no "t": malformed, the query still written, its event on tx 4 */
	static const char not[] = "d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:y1:qe";
	udp_send(&a, &f, 0, 6881, not, sizeof(not) - 1, &s);
	assert_true(app_ev_has(&s.ev, APP_EV_BTDHT_MALFORMED));
	assert_int_equal(s.ev_tx_id, 4);
	assert_string_equal(s.rec, "{\"transaction_id\":\"\",\"request_type\":\"ping\",\"request\":"
				   "{\"id\":\"6162636465666768696a30313233343536373839\"}}");
	/* malformed and not written: nested too deep, keys out of order, an
	 * integer "-0", a port out of range, a peer too short, a query with
	 * no id */
	static const char *const bad[] = {
		"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:y1:q1:zdldleeee",
		"d1:ad2:id20:abcdefghij0123456789e1:y1:q1:q4:ping1:t2:aae",
		"d1:ad2:id20:abcdefghij0123456789e1:q4:ping1:t2:aa1:vi-0e1:y1:qe",
		"d1:ad2:id20:abcdefghij01234567894:porti65536ee1:q4:ping1:t2:aa1:y1:qe",
		"d1:rd2:id20:mnopqrstuvwxyz1234566:valuesl3:abcee1:t2:aa1:y1:re",
		"d1:ad6:target20:mnopqrstuvwxyz123456e1:q4:ping1:t2:aa1:y1:qe",
		"d1:ad2:id20:abcdefghij0123456789e1:q4:pi\xffg1:t2:aa1:y1:qe",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		udp_send(&a, &f, 0, 6881, bad[i], strlen(bad[i]), &s);
		assert_true(app_ev_has(&s.ev, APP_EV_BTDHT_MALFORMED));
		assert_false(s.has_rec);
	}
	/* not like a DHT message: no transaction, no event */
	udp_send(&a, &f, 0, 6881, "hello world", 11, &s);
	assert_false(s.has_rec);
	assert_int_equal(app_ev_count(&s.ev), 0);
	/* every prefix of a whole message is refused, reading nothing past it */
	struct btdht_tx *t = malloc(sizeof(*t));
	assert_non_null(t);
	for (size_t n = 0; n < sizeof(peers) - 1; n++) {
		memset(t, 0, sizeof(*t));
		assert_false(btdht_parse(guard_copy(peers, n), (uint32_t)n, t));
	}
	memset(t, 0, sizeof(*t));
	assert_true(btdht_parse(guard_copy(peers, sizeof(peers) - 1), sizeof(peers) - 1, t));
	assert_int_equal(t->nvalues, 2);
	assert_int_equal(t->values[1].ip_len, 16);
	free(t);
	assert_true(btdht_probe((const uint8_t *)ping, sizeof(ping) - 1));
	assert_false(btdht_probe((const uint8_t *)resp, sizeof(resp) - 1));
	assert_int_equal(alproto_lookup("bittorrent-dht"), ALP_BITTORRENT_DHT);
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}

/* NTP: detected on port 123 from a whole version 3 or 4 header (not
 * from a shorter one, nor on another port, nor version 2); a datagram
 * that is not such a header raises ntp.malformed_data. */
static void test_ntp(void **state)
{
	(void)state;
	uint8_t client[48] = { 0x23 }, v2[48] = { 0x13 };
	uint8_t mode;
	assert_int_equal(ntp_probe(client, 48, &mode), 1);
	assert_int_equal(mode, 3);
	assert_int_equal(ntp_probe(client, 47, &mode), 0);
	assert_int_equal(ntp_probe(v2, 48, &mode), -1);
	struct app_ctx a;
	struct flow f;
	struct udp_seen s;
	ctx_init(&a, 0, 1 << 20);
	flow_init(&f, ALP_UNKNOWN);
	f.key.proto = 17;
	udp_send(&a, &f, 0, 124, client, sizeof(client), &s);
	assert_int_equal(f.alproto, ALP_UNKNOWN);
	udp_send(&a, &f, 0, 123, client, 20, &s);
	assert_int_equal(f.alproto, ALP_UNKNOWN);
	udp_send(&a, &f, 0, 123, client, sizeof(client), &s);
	assert_int_equal(f.alproto, ALP_NTP);
	assert_int_equal(app_ev_count(&s.ev), 0);
	udp_send(&a, &f, 1, 123, v2, sizeof(v2), &s);
	assert_true(app_ev_has(&s.ev, APP_EV_NTP_MALFORMED));
	assert_string_equal(alproto_names[ALP_NTP], "ntp");
	app_flow_free_ctx(&a, &f);
	assert_int_equal(a.mc.used, 0);
}

/* Google QUIC: a CHLO's tags (gquic_message), as Suricata reads them.
 * Builds the handshake message tag, count, pad, (tag, end) pairs, values. */
static size_t gquic_chlo(uint8_t *o, const char *const *tags, const uint8_t *const *vals,
			 const uint32_t *lens, unsigned n)
{
	size_t k = 0, vo = 8 + 8u * n;
	uint32_t end = 0;
	memcpy(o, "CHLO", 4);
	o[4] = (uint8_t)n;
	o[5] = o[6] = o[7] = 0;
	for (unsigned i = 0; i < n; i++) {
		memcpy(o + 8 + 8 * i, tags[i], 4);
		end += lens[i];
		for (int b = 0; b < 4; b++)
			o[8 + 8 * i + 4 + b] = (uint8_t)(end >> (8 * b));
		memcpy(o + vo + k, vals[i], lens[i]);
		k += lens[i];
	}
	return vo + k;
}

/* Suricata's Q044 test packet (rust/src/quic/parser.rs
 * test_parse_gquic_q044), then as Q043 (the CYU Salesforce published for
 * that tag list, e030dea1...), then a Q046 CHLO with a UAID and a length
 * in its STREAM frame; a message with an unknown tag or offsets that do
 * not end with it gives none. */
static void test_gquic(void **state)
{
	(void)state;
	static uint8_t pkt[1400], z[1000];
	static const uint8_t hdr[] = { 0xff, 'Q', '0', '4', '4', 0x50, 0x05, 0xca, 0xd2, 0xcc, 0x06,
				       0xc4, 0xd0, 0xe4, 0x00, 0x00, 0x00, 0x01, 0xaf, 0xac, 0x23,
				       0x0b, 0xc5, 0xb5, 0x6f, 0xb8, 0x98, 0x00, 0x17, 0x1b, 0x80, 0x01 };
	static const uint8_t ccs[] = { 0x01, 0xe8, 0x81, 0x60, 0x92, 0x92, 0x1a, 0xe8,
				       0x7e, 0xed, 0x80, 0x86, 0xa2, 0x15, 0x82, 0x91 };
	const char *t44[] = { "PAD\0", "SNI\0", "VER\0", "CCS\0", "PDMD", "ICSL", "MIDS", "CFCW", "SFCW" };
	const uint8_t *v44[] = { z, (const uint8_t *)"127.0.0.1", z, ccs, (const uint8_t *)"X509",
				 (const uint8_t *)"\x80\x3a\x09\x00", (const uint8_t *)"\x64\0\0\0",
				 (const uint8_t *)"\0\xc0\0\0", (const uint8_t *)"\0\x80\0\0" };
	const uint32_t l44[] = { 911, 9, 4, 16, 4, 4, 4, 4, 4 };
	memcpy(pkt, hdr, sizeof(hdr));
	size_t n = sizeof(hdr) + gquic_chlo(pkt + sizeof(hdr), t44, v44, l44, 9);
	assert_int_equal(n, 1072);
	/* the bytes Suricata's test has where the values end */
	assert_memory_equal(pkt + 1072 - 49, "127.0.0.1\0\0\0\0\x01\xe8\x81\x60", 17);
	assert_true(quic_probe(pkt, (uint32_t)n));

	struct app_ctx a;
	struct flow f;
	struct udp_seen s;
	ctx_init(&a, 0, 1 << 20);
	flow_init(&f, ALP_UNKNOWN);
	f.key.proto = 17;
	udp_send(&a, &f, 0, 443, pkt, n, &s);
	assert_int_equal(f.alproto, ALP_QUIC);
	const struct quic_info *q = a.tx.quic;
	assert_non_null(q);
	assert_true(a.tx.quic_log);
	assert_int_equal(q->version, 0x51303434);
	assert_int_equal(q->ncyu, 1);
	assert_string_equal(q->cyu[0].str, "44,PAD-SNI-VER-CCS-PDMD-ICSL-MIDS-CFCW-SFCW");
	assert_int_equal(q->cyu[0].len, strlen(q->cyu[0].str));
	assert_string_equal(q->cyu[0].hash, "97fc27484cbf1ec48be2f99d1f095f5d");
	assert_int_equal(q->sni_len, 9);
	assert_memory_equal(q->sni, "127.0.0.1", 9);
	assert_int_equal(q->ua_len, 0);
	struct jbuf jb = { 0 };
	jb_open_object(&jb, NULL);
	quic_log_fields(&jb, q);
	jb_close(&jb);
	char rec[512];
	snprintf(rec, sizeof(rec), "%.*s", (int)jb.len, jb.buf);
	assert_string_equal(rec, "{\"version\":\"Q044\",\"sni\":\"127.0.0.1\",\"cyu\":[{\"hash\":"
				    "\"97fc27484cbf1ec48be2f99d1f095f5d\",\"string\":\"44,PAD-SNI-VER-"
				    "CCS-PDMD-ICSL-MIDS-CFCW-SFCW\"}]}");
	jb_fini(&jb);

	pkt[4] = '3'; /* Q043 */
	udp_send(&a, &f, 0, 443, pkt, n, &s);
	assert_string_equal(q->cyu[0].str, "43,PAD-SNI-VER-CCS-PDMD-ICSL-MIDS-CFCW-SFCW");
	assert_string_equal(q->cyu[0].hash, "e030dea1f2eea44ac7db5fe4de792acd");

	/* an unknown tag, then a last offset short of the message's end: no CYU */
	memcpy(pkt + sizeof(hdr) + 8 + 8 * 4, "XXXX", 4);
	udp_send(&a, &f, 0, 443, pkt, n, &s);
	assert_true(a.tx.quic_log);
	assert_int_equal(q->ncyu, 0);
	memcpy(pkt + sizeof(hdr) + 8 + 8 * 4, "PDMD", 4);
	udp_send(&a, &f, 0, 443, pkt, n - 1, &s);
	assert_int_equal(q->ncyu, 0);
	udp_send(&a, &f, 0, 443, pkt, n, &s);
	assert_int_equal(q->ncyu, 1);

	/* Q046: IETF's type bits, a STREAM frame with a data length, padding after */
	const char *t46[] = { "PAD\0", "SNI\0", "STK\0", "VER\0", "CCS\0", "NONC", "AEAD", "UAID",
			      "SCID", "TCID", "PDMD", "SMHL", "ICSL", "NONP", "PUBS", "MIDS",
			      "SCLS", "KEXS", "XLCT", "CSCT", "COPT", "CCRT", "IRTT", "CFCW", "SFCW" };
	const char *ua = "Chrome/79.0.3945.117 Windows NT 10.0; Win64; x64";
	const uint8_t *v46[25];
	uint32_t l46[25];
	for (int i = 0; i < 25; i++) {
		v46[i] = z;
		l46[i] = 4;
	}
	l46[0] = 600;
	v46[1] = (const uint8_t *)"www.google.com";
	l46[1] = 14;
	v46[7] = (const uint8_t *)ua;
	l46[7] = (uint32_t)strlen(ua);
	l46[19] = 0;
	static const uint8_t h46[] = { 0xc3, 'Q', '0', '4', '6', 0x50, 1, 2, 3, 4, 5, 6, 7, 8,
				       0, 0, 0, 1, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa, 0xaa,
				       0xaa, 0xaa, 0xaa, 0xaa, 0xa0, 0x01 };
	memset(pkt, 0, sizeof(pkt));
	memcpy(pkt, h46, sizeof(h46));
	size_t ml = gquic_chlo(pkt + sizeof(h46) + 2, t46, v46, l46, 25);
	pkt[sizeof(h46)] = (uint8_t)(ml >> 8);
	pkt[sizeof(h46) + 1] = (uint8_t)ml;
	struct flow f2;
	flow_init(&f2, ALP_UNKNOWN);
	f2.key.proto = 17;
	udp_send(&a, &f2, 0, 443, pkt, 1350, &s);
	assert_int_equal(f2.alproto, ALP_QUIC);
	q = a.tx.quic;
	assert_int_equal(q->ncyu, 1);
	assert_string_equal(q->cyu[0].str, "46,PAD-SNI-STK-VER-CCS-NONC-AEAD-UAID-SCID-TCID-PDMD-"
					   "SMHL-ICSL-NONP-PUBS-MIDS-SCLS-KEXS-XLCT-CSCT-COPT-CCRT-"
					   "IRTT-CFCW-SFCW");
	assert_string_equal(q->cyu[0].hash, "a46560d4548108cf99308319b3b85346");
	assert_int_equal(q->ua_len, strlen(ua));
	assert_memory_equal(q->ua, ua, strlen(ua));
	assert_int_equal(q->sni_len, 14);

	/* 130 tags: a CYU string past QUIC_CYU_LEN is not made (nor cut) */
	const char *tl[130];
	const uint8_t *vl[130];
	uint32_t ll[130];
	for (int i = 0; i < 130; i++) {
		tl[i] = "AEAD";
		vl[i] = z;
		ll[i] = 0;
	}
	memset(pkt + sizeof(h46), 0, sizeof(pkt) - sizeof(h46));
	ml = gquic_chlo(pkt + sizeof(h46) + 2, tl, vl, ll, 130);
	pkt[sizeof(h46)] = (uint8_t)(ml >> 8);
	pkt[sizeof(h46) + 1] = (uint8_t)ml;
	udp_send(&a, &f2, 0, 443, pkt, 1350, &s);
	assert_true(a.tx.quic_log);
	assert_int_equal(a.tx.quic->ncyu, 0);
	assert_int_equal(a.tx.quic->ua_len, 0);
	app_flow_free_ctx(&a, &f);
	app_flow_free_ctx(&a, &f2);
	assert_int_equal(a.mc.used, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gquic),
		cmocka_unit_test(test_snmp),
		cmocka_unit_test(test_smb_dcerpc_detect),
		cmocka_unit_test(test_smb1_tx_cnt),
		cmocka_unit_test(test_smb2_dcerpc_record),
		cmocka_unit_test(test_smb1_pipe_write_tx),
		cmocka_unit_test(test_smb_frames),
		cmocka_unit_test(test_mime_param),
		cmocka_unit_test(test_smtp_long_line),
		cmocka_unit_test(test_smtp_attachment_size),
		cmocka_unit_test(test_smtp_long_body_line),
		cmocka_unit_test(test_smtp_log_on_client_ack),
		cmocka_unit_test(test_smtp_headers_packet),
		cmocka_unit_test(test_smtp_command_line_frames),
		cmocka_unit_test(test_smtp_bdat_frames),
		cmocka_unit_test(test_smtp_rset_pipelined),
		cmocka_unit_test(test_smtp_tx_boundaries),
		cmocka_unit_test(test_smtp_rfc822),
		cmocka_unit_test(test_smtp_invalid_reply),
		cmocka_unit_test(test_smtp_detect_465),
		cmocka_unit_test(test_smtp_state_memcap),
		cmocka_unit_test(test_tftp),
		cmocka_unit_test(test_ldap),
		cmocka_unit_test(test_pop3),
		cmocka_unit_test(test_imap_fetch_parts),
		cmocka_unit_test(test_pop3_long_lines),
		cmocka_unit_test(test_pop3_files),
		cmocka_unit_test(test_imap),
		cmocka_unit_test(test_mqtt),
		cmocka_unit_test(test_krb5),
		cmocka_unit_test(test_rfb),
		cmocka_unit_test(test_ike_v1),
		cmocka_unit_test(test_ike_v2),
		cmocka_unit_test(test_nfs_v3_tcp),
		cmocka_unit_test(test_nfs_v3_large_write),
		cmocka_unit_test(test_nfs_v2_udp),
		cmocka_unit_test(test_http_data_after_09),
		cmocka_unit_test(test_http_range_reassembly),
		cmocka_unit_test(test_http_range_flows),
		cmocka_unit_test(test_http_content_range),
		cmocka_unit_test(test_http_file_past_body_limit),
		cmocka_unit_test(test_http_multipart_body_limit),
		cmocka_unit_test(test_ftp_unanswered_at_close),
		cmocka_unit_test(test_ftp_file_before_port),
		cmocka_unit_test(test_ftp_memcap),
		cmocka_unit_test(test_ftp_records_released),
		cmocka_unit_test(test_http_record_length),
		cmocka_unit_test(test_http2),
		cmocka_unit_test(test_http2_hpack_literal),
		cmocka_unit_test(test_http2_br),
		cmocka_unit_test(test_http2_limits),
		cmocka_unit_test(test_http2_doh),
		cmocka_unit_test(test_http2_doh_reset),
		cmocka_unit_test(test_mdns),
		cmocka_unit_test(test_btdht),
		cmocka_unit_test(test_ntp),
		cmocka_unit_test(test_sip),
		cmocka_unit_test(test_http_byte_at_a_time),
		cmocka_unit_test(test_http_gap),
		cmocka_unit_test(test_http_file_body_limit),
		cmocka_unit_test(test_http_body_limit),
		cmocka_unit_test(test_http_uri_normalisation),
		cmocka_unit_test(test_http_evasions),
		cmocka_unit_test(test_http_gzip_bomb),
		cmocka_unit_test(test_http_brotli),
		cmocka_unit_test(test_http_brotli_bomb),
		cmocka_unit_test(test_http_memcap_and_events),
		cmocka_unit_test(test_http_chunk_extension),
		cmocka_unit_test(test_http_pipelined),
		cmocka_unit_test(test_proto_mismatch_event),
		cmocka_unit_test(test_tls_byte_at_a_time),
		cmocka_unit_test(test_tls_hostile),
		cmocka_unit_test(test_tls_name_text),
		cmocka_unit_test(test_ssh_byte_at_a_time),
		cmocka_unit_test(test_ssh_long_banner),
		cmocka_unit_test(test_websocket_frames),
		cmocka_unit_test(test_websocket_deflate_and_limits),
		cmocka_unit_test(test_starttls_change),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
