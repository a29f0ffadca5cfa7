/*
 * app.h - the application layer (public header of app/).
 *
 * Protocol detection looks at the first bytes of each direction (TCP:
 * reassembled stream; UDP: the datagram) and picks the protocol by
 * content, with the port only as a tie-breaker; the flow's alproto is set
 * once.  The protocol's parser then consumes the data and keeps, per
 * packet, what it parsed ("the current transaction"), which eve records
 * and rule keywords (sticky buffers such as dns.query) read.  Parsers
 * never allocate per byte, cap what they keep per flow, and turn hostile
 * input into app-layer events rather than crashes.
 */
#ifndef VIGIL_APP_H
#define VIGIL_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "flow.h"

enum alproto_id {
	ALP_UNKNOWN = ALPROTO_UNKNOWN,
	ALP_FAILED = ALPROTO_FAILED,
	ALP_DNS,
	ALP_TLS,
	ALP_HTTP,
	ALP_SSH,
	ALP_MAX
};
extern const char *const alproto_names[ALP_MAX];
/* "dns" -> ALP_DNS, or -1. */
int alproto_lookup(const char *name);

#define DNS_MAX_QUERIES 16
#define DNS_MAX_ANSWERS 32
#define DNS_NAME_MAX 256

struct dns_rr {
	char name[DNS_NAME_MAX];
	uint16_t name_len;
	uint16_t type, rclass;
	uint32_t ttl;
	char data[DNS_NAME_MAX]; /* rendered rdata: address, name, text */
	uint16_t data_len;
};

struct dns_msg {
	uint16_t id, flags;
	bool response;
	uint8_t opcode, rcode;
	uint16_t qd, an, ns, ar;      /* counts from the header */
	uint8_t nq, nans;             /* parsed (capped) */
	struct dns_rr q[DNS_MAX_QUERIES];
	struct dns_rr a[DNS_MAX_ANSWERS];
	bool truncated_parse;         /* stopped early (limits or short data) */
};

#include "http.h"

/* A complete HTTP head kept for rules and eve, with derived fields. */
struct http_msg {
	uint8_t *buf;            /* a copy of the head; the head's views point here */
	uint32_t len;
	struct http_head h;
	char host[256];          /* Host, lowercased, without the port */
	uint16_t host_len;
	uint8_t *norm;           /* "Name: value\r\n"... then header names block */
	uint32_t norm_len, names_off, names_len;
	bool valid, logged;
};

/* What the app layer parsed on the current packet, for eve and rules. */
struct app_tx {
	uint8_t alproto;
	bool have_dns;
	struct dns_msg dns;
	/* TLS ClientHello */
	bool have_tls_hello;
	char tls_sni[256];
	uint16_t tls_sni_len;
	uint16_t tls_version;     /* client's highest offered (legacy or supported_versions) */
	char ja3[1024], ja3_hash[33];
	uint16_t ja3_len;
	/* TLS ServerHello */
	bool have_tls_server_hello;
	uint16_t tls_server_version; /* negotiated */
	char ja3s[512], ja3s_hash[33];
	uint16_t ja3s_len;
	bool tls_log;             /* a handshake's eve tls record is ready */
	/* HTTP heads completed on this packet */
	const struct http_msg *http_req, *http_resp;
	bool http_log;            /* a request/response pair is ready for eve */
};

struct app_ctx {
	struct counters *cnt;
	struct app_tx tx;         /* reset per packet */
	uint64_t memcap_hits;
};

/* Called with TCP stream data (from the stream callback) and for each UDP
 * payload.  Sets f->alproto on detection and fills ctx->tx. */
void app_stream_data(struct app_ctx *a, struct flow *f, int dir, const uint8_t *data,
		     uint32_t len, unsigned flags);
void app_udp(struct app_ctx *a, struct flow *f, struct packet *p);
/* Clears the per-packet transaction view. */
void app_tx_reset(struct app_ctx *a);
/* Frees f->app. */
void app_flow_free(struct flow *f);
/* The flow's last HTTP request not written to eve yet (at flow end), or
 * NULL; marks it written. */
const struct http_msg *app_http_unlogged(struct flow *f);
/* The flow's TLS handshake summary for eve (ClientHello and ServerHello
 * fields copied into tx), or false if none. */
bool app_tls_summary(const struct flow *f, struct app_tx *out);
const char *tls_version_name(uint16_t v);

/* The last request of f (for the eve record of a response). */
const struct http_msg *app_http_last_request(const struct flow *f);

/* DNS (dns.c): parses one message (no TCP length prefix).  Returns false
 * if it is not DNS at all. */
bool dns_parse(const uint8_t *data, uint32_t len, struct dns_msg *m);
const char *dns_rrtype_name(uint16_t t, char buf[static 8]);
const char *dns_rcode_name(uint8_t rc, char buf[static 8]);

#endif
