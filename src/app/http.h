/*
 * http.h - HTTP/1.x through libhtp (app-internal; fields reach rules and
 * eve through struct app_tx).
 */
#ifndef VIGIL_HTTP_H
#define VIGIL_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define HTTP_HEAD_MAX (16 * 1024)    /* raw header bytes kept per message */
#define HTTP_MAX_HEADERS 256         /* headers a message may have (libhtp stops at it) */
#define HTTP_PENDING_MAX (64 * 1024) /* bytes held while libhtp waits for the other side */
#define HTTP_OPEN_TX_MAX 512         /* requests waiting for responses before parsing stops */
/* Compression bombs (libhtp's limits, applied to every decoder): a body
 * that decodes past HTTP_BOMB_LIMIT bytes at more than HTTP_BOMB_RATIO
 * times its size as sent, or that takes HTTP_BOMB_TIME_US to decode. */
#define HTTP_BOMB_LIMIT (1024 * 1024)
#define HTTP_BOMB_RATIO 2048
#define HTTP_BOMB_TIME_US 100000

/* Memory a connection's parser takes as the peer decides (a brotli
 * window) is charged through these (the app memcap); charge returns false
 * when refused.  Hooks may be NULL (nothing charged). */
struct http_mem {
	bool (*charge)(void *ctx, uint64_t n);
	void (*release)(void *ctx, uint64_t n);
	void *ctx;
};

struct http_hdr {
	const uint8_t *name, *val;
	uint32_t name_len, val_len;
};

/* A parsed head: views into one buffer the parser builds per message
 * (copied by the caller). */
struct http_head {
	const uint8_t *line, *method, *uri, *proto, *status, *msg, *headers, *uri_norm;
	uint32_t line_len, method_len, uri_len, proto_len, status_len, msg_len, headers_len,
		uri_norm_len;
	uint16_t code;
	bool has_uri_norm;        /* libhtp parsed a path, query or fragment */
	bool line_only;           /* a request whose line is parsed, its headers still to come */
	int64_t content_length;   /* -1 none */
	bool chunked;
	uint64_t tx_index;        /* libhtp's transaction (request and response pair) index */
	unsigned nhdr;
	struct http_hdr *hdr;     /* nhdr entries, in order, repeated ones merged
				   * with ", " as libhtp merges them */
};

/* What the parser reports: a request's line as soon as it is parsed
 * (h->line_only: method, URI, protocol, no headers), then its complete
 * head, a response's complete head (h's views point into base[0..len));
 * body bytes as they arrive, de-chunked and decompressed (data NULL: len
 * bytes of it the capture lost), with the body's length as sent so far; the end of a message (also for
 * messages without a body). */
/* http_cbs.event's value when libhtp gives up on the connection */
#define HTTP_EV_PARSER_ERROR (-1)
struct http_cbs {
	void (*head)(void *ctx, bool request, struct http_head *h, const uint8_t *base,
		     uint32_t len);
	void (*body)(void *ctx, bool request, const uint8_t *data, uint32_t len,
		     uint64_t sent_len);
	void (*end)(void *ctx, bool request, uint64_t sent_len);
	void (*event)(void *ctx, int app_event);
	void *ctx;
};

/* libhtp's settings for a limit on compression layers undone (0: none),
 * made once per process and shared (read-only once made). */
#define HTTP_LAYERS_MAX 16
struct http_cfg;
struct http_cfg *http_cfg_get(int decompress_layers);
/* The decompression time limit (microseconds; 0: HTTP_BOMB_TIME_US), set
 * once before the first http_cfg_get; http_bomb_time_us() reads it. */
void http_time_limit_config(uint32_t us);
uint32_t http_bomb_time_us(void);

struct http_conn;
/* A parser for one connection; mem (copied; may be NULL) charges what the
 * response decoders allocate.  NULL on allocation failure. */
struct http_conn *http_conn_new(struct http_cfg *cfg, uint16_t sp, uint16_t dp,
				const struct http_mem *mem);
/* Data of direction dir (0 client to server); data NULL: the direction
 * closed (a body delimited by the close ends here). */
void http_feed(struct http_conn *c, int dir, const uint8_t *data, uint32_t len,
	       const struct http_cbs *cb);
/* len bytes of direction dir were lost (a hole in the capture): inside a
 * body they are skipped as body bytes and parsing goes on after it;
 * bytes held back for a line are dropped. */
void http_gap(struct http_conn *c, int dir, uint32_t len, const struct http_cbs *cb);
/* Bytes of direction dir given to http_feed so far (gaps included); the
 * stream offset where libhtp saw a tunnel begin in dir (after a 101's
 * head), false if none. */
uint64_t http_fed(const struct http_conn *c, int dir);
bool http_tunnel_at(const struct http_conn *c, int dir, uint64_t *off);
/* The bytes of direction dir that came after the head opening a tunnel
 * (a 101 response, a CONNECT's 2xx) in the same delivery; false: none.
 * Valid until the connection is freed. */
bool http_tunnel_rest(struct http_conn *c, int dir, const uint8_t **p, uint32_t *n);
/* No more HTTP on this connection (a CONNECT tunnel was opened). */
void http_stop(struct http_conn *c);
void http_conn_free(struct http_conn *c);
const struct http_hdr *http_header(const struct http_head *h, const char *name);
/* A Content-Range value (RFC 9110 14.4): "bytes first-last/complete",
 * "bytes first-last/" then "*", or "bytes *" then "/complete"; what it
 * lacks is -1.
 * False when it is none of these. */
struct http_range {
	int64_t start, end, size;
};
bool http_content_range(const uint8_t *v, uint32_t n, struct http_range *r);

/* Content-Encoding: br, a streaming decoder (brotli.c).  br_dec_new: NULL
 * when memory is refused or short.  br_dec_feed hands the decoded bytes
 * of in/n to out as they come (bytes that are not brotli from the start
 * go as they are); returns BR_OK, BR_ERROR (broken stream: the rest is
 * dropped, or passed as sent if nothing decoded yet), BR_BOMB_SIZE (the
 * rest is dropped) or BR_BOMB_TIME (the rest passes as sent). */
enum { BR_OK, BR_ERROR, BR_BOMB_SIZE, BR_BOMB_TIME };
typedef void (*br_out_fn)(void *ctx, const uint8_t *p, size_t n);
struct br_dec;
struct br_dec *br_dec_new(const struct http_mem *mem);
int br_dec_feed(struct br_dec *d, const uint8_t *in, size_t n, br_out_fn out, void *ctx);
void br_dec_free(struct br_dec *d);

#endif
