/*
 * http.h - HTTP/1.x parser state (app-internal; fields reach rules and eve
 * through struct app_tx).
 */
#ifndef VIGIL_HTTP_H
#define VIGIL_HTTP_H

#include <stdbool.h>
#include <stdint.h>

#define HTTP_HEAD_MAX (16 * 1024)
#define HTTP_MAX_HEADERS 64

struct http_hdr {
	const uint8_t *name, *val;
	uint32_t name_len, val_len;
};

struct http_head {
	const uint8_t *line, *method, *uri, *proto, *status, *msg, *headers;
	uint32_t line_len, method_len, uri_len, proto_len, status_len, msg_len, headers_len;
	uint16_t code;
	int64_t content_length; /* -1 none, -2 invalid */
	bool chunked;
	unsigned nhdr;
	struct http_hdr *hdr;     /* nhdr entries (the parser's: HTTP_MAX_HEADERS) */
};

struct http_dir {
	uint8_t state;
	uint8_t *head;
	uint32_t head_len, head_cap;
	uint64_t left, chunk;
	bool chunk_ext, chunk_digits, chunk_seen, trailer_blank, overflow;
};

/* What the parser reports: a complete head; body bytes as they arrive
 * (de-chunked, still encoded); the end of a message's body (also called
 * for messages without one). */
struct http_cbs {
	void (*head)(void *ctx, bool request, struct http_head *h);
	void (*body)(void *ctx, bool request, const uint8_t *data, uint32_t len);
	void (*end)(void *ctx, bool request);
	void (*event)(void *ctx, int app_event);
	void *ctx;
};

void http_feed(struct http_dir *d, bool request, const uint8_t *data, uint32_t len,
	       const struct http_cbs *cb, bool head_request_pending);
/* The connection closed: a body delimited by the close ends here. */
void http_close(struct http_dir *d, bool request, const struct http_cbs *cb);
/* No more HTTP in this direction (a CONNECT tunnel was opened). */
void http_stop(struct http_dir *d);
void http_dir_free(struct http_dir *d);
const struct http_hdr *http_header(const struct http_head *h, const char *name);

#endif
