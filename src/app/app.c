/*
 * app.c - protocol detection and dispatch to the parsers.
 *
 * Detection by content: TLS (a handshake record: 16 03 0x), HTTP (a
 * method and a space, or "HTTP/1."), SSH ("SSH-"), DNS over TCP (a 2-byte
 * length and a plausible header) and over UDP (a plausible header; port 53
 * or 5353 only as a tie-breaker for short or odd messages).  A flow whose
 * first bytes in both directions match nothing is "failed".  TCP DNS
 * messages are reassembled from the stream with their length prefix in a
 * small per-direction buffer (capped at 64 KiB, the protocol's maximum).
 * QUIC: a UDP long-header Initial of a known version, 1200 bytes or more.
 * The protocols' parsers are in their own files (dns.c, http.c with
 * body.c, tls.c, ssh.c, quic.c); this file owns the per-flow state and
 * turns what they parse into the per-packet view (struct app_tx).
 */
#include <ctype.h>
#include <stdio.h>
#include <stddef.h>
#include <string.h>

#include "app_int.h"
#include "json.h"
#include "counters.h"
#include "cursor.h"
#include "stream.h"
#include "util.h"

const char *const alproto_names[ALP_MAX] = { "unknown", "failed", "dns", "tls", "http",
					     "ssh", "quic", "smtp", "ftp", "ftp-data", "sip", "ldap", "tftp", "snmp",
					     "smb", "dcerpc", "pop3", "mqtt", "krb5", "rfb", "ike", "nfs", "websocket",
					     "http2", "doh2", "mdns", "ntp", "bittorrent-dht", "imap" };

const char *const app_event_names[APP_EV_MAX] = {
#define X(id, name, help) name,
#include "app_events.def"
#undef X
};

const char *const app_event_help[APP_EV_MAX] = {
#define X(id, name, help) help,
#include "app_events.def"
#undef X
};

int app_event_lookup(const char *name)
{
	for (int i = 0; i < APP_EV_MAX; i++)
		if (!strcmp(app_event_names[i], name))
			return i;
	/* ikev2.x: Suricata's alias of the ike protocol */
	if (!strncmp(name, "ikev2.", 6)) {
		char n[64];
		snprintf(n, sizeof(n), "ike.%s", name + 6);
		return app_event_lookup(n);
	}
	return -1;
}

void app_sim_errors(struct app_ctx *a, const uint64_t at[2])
{
	a->sim_err_at[0] = at[0];
	a->sim_err_at[1] = at[1];
}

void app_ctx_init(struct app_ctx *a, const struct app_cfg *c, struct counters *cnt)
{
	memset(a, 0, sizeof(*a));
	a->cnt = cnt;
	a->req_body_limit = c->req_body_limit;
	a->resp_body_limit = c->resp_body_limit;
	a->mc.cap = c->memcap;
	a->ftp_mc.cap = c->ftp_memcap;
	a->no_decompress = c->no_decompress;
	/* libhtp's settings: layers of compression undone (Suricata's
	 * response-body-decompress-layer-limit, 2 unless set; none when
	 * decompression is off) */
	a->http_cfg = http_cfg_get(c->no_decompress ? 0 : c->decompress_layers ? c->decompress_layers : 2);
}

/* Where the value of parameter name (exactly: "name=" after ';' or a
 * blank) starts in the NUL-terminated t, and its length, unquoted. */
static const char *param_at(const char *t, const char *name, size_t *len)
{
	size_t nl = strlen(name);
	for (const char *p = t; (p = strcasestr(p, name)); p += nl) {
		if (p != t && !(p[-1] == ';' || p[-1] == ' ' || p[-1] == '\t'))
			continue;
		const char *q = p + nl;
		while (*q == ' ')
			q++;
		if (*q != '=')
			continue;
		q++;
		while (*q == ' ')
			q++;
		size_t n = 0;
		if (*q == '"') {
			q++;
			while (q[n] && q[n] != '"')
				n++;
		} else {
			while (q[n] && q[n] != ';' && q[n] != ' ' && q[n] != '\t')
				n++;
		}
		*len = n;
		return q;
	}
	return NULL;
}

/* A parameter of a header value (boundary=...), unquoted, NUL-terminated;
 * RFC 2231's forms too: name*=charset'lang'%xx..., and a value split in
 * sections name*0=, name*1=, ... (each maybe name*N*= and %-encoded),
 * joined in order as mail clients write long file names. */
size_t mime_param(const char *v, size_t vn, const char *name, char *out, size_t cap)
{
	char tmp[1024], key[80];
	vn = MIN(vn, sizeof(tmp) - 1);
	memcpy(tmp, v, vn);
	tmp[vn] = 0;
	size_t n, full = 0, o = 0;
	const char *q = param_at(tmp, name, &n);
	if (q) {
		size_t k = MIN(n, cap - 1);
		memcpy(out, q, k);
		out[k] = 0;
		return n;
	}
	for (int sec = -1; sec < 32; sec++) {
		bool ext = false;
		if (sec < 0) { /* name*= : one extended value */
			snprintf(key, sizeof(key), "%.60s*", name);
			ext = true;
			q = param_at(tmp, key, &n);
		} else {
			snprintf(key, sizeof(key), "%.60s*%d", name, sec);
			q = param_at(tmp, key, &n);
			if (!q) {
				snprintf(key, sizeof(key), "%.60s*%d*", name, sec);
				ext = (q = param_at(tmp, key, &n)) != NULL;
			}
		}
		if (!q) {
			if (sec < 0)
				continue;
			break;
		}
		if (ext && sec <= 0) { /* charset'language' comes first */
			const char *a = memchr(q, '\'', n), *b = a ? memchr(a + 1, '\'', n - (size_t)(a + 1 - q)) : NULL;
			if (b) {
				n -= (size_t)(b + 1 - q);
				q = b + 1;
			}
		}
		for (size_t i = 0; i < n; i++) {
			char c = q[i];
			int h1, h2;
			if (ext && c == '%' && i + 2 < n &&
			    (h1 = hex_digit((uint8_t)q[i + 1])) >= 0 && (h2 = hex_digit((uint8_t)q[i + 2])) >= 0) {
				c = (char)(h1 << 4 | h2);
				i += 2;
			}
			full++;
			if (o + 1 < cap)
				out[o++] = c;
		}
		if (sec < 0)
			break; /* name*= is the whole value */
	}
	if (cap)
		out[o] = 0;
	return full;
}

void app_file_heads(struct app_ctx *a, const struct app_file *fi)
{
	/* request files only: a response's file ends with the response,
	 * whose heads the packet shows already; setting them here would
	 * take the response for the packet's own in the acknowledged model */
	if (!fi->to_client && fi->req && !a->tx.http_req)
		a->tx.http_req = fi->req;
}

struct app_file *app_file_slot(struct app_ctx *a)
{
	if (a->tx.nfiles >= APP_FILES_PER_PKT)
		return NULL;
	struct app_file *fi = &a->file[a->tx.nfiles];
	a->tx.files[a->tx.nfiles++] = fi;
	return fi;
}

void app_files_forget(struct app_ctx *a, const uint8_t *buf)
{
	if (!buf)
		return;
	for (unsigned i = 0; i < a->tx.nfiles; i++)
		if (a->file[i].data == buf) {
			a->file[i].data = NULL;
			a->file[i].data_len = 0;
		}
}

bool app_buf(struct app_ctx *a, uint8_t **buf, uint32_t n)
{
	if (*buf)
		return true;
	if (!app_charge(a, n))
		return false;
	if (!(*buf = v_malloc(n))) {
		app_release(a, n);
		return false;
	}
	return true;
}

void app_buf_free(struct app_ctx *a, uint8_t **buf, uint32_t n)
{
	if (*buf) {
		v_free(*buf);
		app_release(a, n);
		*buf = NULL;
	}
}

bool app_charge(struct app_ctx *a, uint64_t n)
{
	if (memcap_charge(&a->mc, n)) {
		if (a->cnt) {
			a->cnt->v[CNT_APP_MEMUSE] = a->mc.used;
			a->cnt->v[CNT_APP_MEMPEAK] = a->mc.peak;
		}
		return true;
	}
	if (a->cnt)
		CNT_INC(a->cnt, APP_MEMCAP);
	app_event(a, APP_EV_APP_MEMCAP);
	return false;
}

void app_release(struct app_ctx *a, uint64_t n)
{
	memcap_release(&a->mc, n);
	if (a->cnt)
		a->cnt->v[CNT_APP_MEMUSE] = a->mc.used;
}

/* FTP's state: charged to app-layer.protocols.ftp.memcap (Suricata's FTP
 * memcap, its ftp.memuse and ftp.memcap counters) and to the app-layer
 * memcap: 0, else 1 when the FTP memcap refuses (ftp.memcap counted), 2
 * when the app-layer one does. */
int ftp_charge(struct app_ctx *a, uint64_t n)
{
	if (!memcap_charge(&a->ftp_mc, n)) {
		if (a->cnt)
			CNT_INC(a->cnt, FTP_MEMCAP);
		return 1;
	}
	if (!app_charge(a, n)) {
		memcap_release(&a->ftp_mc, n);
		return 2;
	}
	if (a->cnt)
		a->cnt->v[CNT_FTP_MEMUSE] = a->ftp_mc.used;
	return 0;
}

void ftp_release(struct app_ctx *a, uint64_t n)
{
	memcap_release(&a->ftp_mc, n);
	app_release(a, n);
	if (a->cnt)
		a->cnt->v[CNT_FTP_MEMUSE] = a->ftp_mc.used;
}

int alproto_lookup(const char *name)
{
	for (int i = ALP_DNS; i < ALP_MAX; i++)
		if (!strcmp(alproto_names[i], name))
			return i;
	if (!strcmp(name, "ssl"))
		return ALP_TLS;
	if (!strcmp(name, "http1"))
		return ALP_HTTP;
	if (!strcmp(name, "ikev2"))
		return ALP_IKE; /* Suricata's alias */
	return -1;
}

static bool h2_on = true;

void h2_config(bool enabled)
{
	h2_on = enabled;
}

bool alproto_rule_matches(int rule_alp, int flow_alp)
{
	if (rule_alp == flow_alp)
		return rule_alp != ALP_HTTP1;
	switch (rule_alp) {
	case ALP_HTTP: return flow_alp == ALP_HTTP2 || flow_alp == ALP_DOH2;
	case ALP_HTTP1: return flow_alp == ALP_HTTP;
	case ALP_HTTP2: return flow_alp == ALP_DOH2;
	case ALP_DNS: return flow_alp == ALP_DOH2;
	case ALP_DCERPC: return flow_alp == ALP_SMB; /* named pipes carry it */
	}
	return false;
}

void http_msg_free(struct http_msg *m)
{
	v_free(m->buf);
	v_free(m->norm);
	v_free(m->h.hdr);
	memset(m, 0, sizeof(*m));
}

#define REBASE(m, base, f) \
	((m)->h.f = (m)->h.f ? (m)->buf + ((m)->h.f - (base)) : NULL)

/* Copies head h (views into base) into m and derives its fields. */
bool http_msg_set(struct http_msg *m, const struct http_head *h, const uint8_t *base,
		     uint32_t len)
{
	uint8_t *nb = v_realloc(m->buf, len ? len : 1);
	if (!nb)
		return false;
	m->buf = nb;
	memcpy(m->buf, base, len);
	m->len = len;
	struct http_hdr *hv = m->h.hdr;
	if (h->nhdr) {
		hv = v_realloc(hv, h->nhdr * sizeof(*hv));
		if (!hv)
			return false;
		memcpy(hv, h->hdr, h->nhdr * sizeof(*hv));
	}
	m->h = *h;
	m->h.hdr = hv;
	REBASE(m, base, line); REBASE(m, base, method); REBASE(m, base, uri);
	REBASE(m, base, proto); REBASE(m, base, status); REBASE(m, base, msg);
	REBASE(m, base, headers); REBASE(m, base, uri_norm);
	size_t nsz = 4;
	for (unsigned i = 0; i < h->nhdr; i++) {
		REBASE(m, base, hdr[i].name);
		REBASE(m, base, hdr[i].val);
		nsz += 2u * h->hdr[i].name_len + h->hdr[i].val_len + 6;
	}
	uint8_t *norm = v_realloc(m->norm, nsz);
	if (!norm)
		return false;
	m->norm = norm;
	/* http.header: "Name: value\r\n" per header; http.header_names:
	 * "\r\nName\r\n...\r\n\r\n" (Suricata's forms) */
	uint32_t o = 0;
	for (unsigned i = 0; i < h->nhdr; i++) {
		memcpy(norm + o, m->h.hdr[i].name, m->h.hdr[i].name_len);
		o += m->h.hdr[i].name_len;
		norm[o++] = ':';
		norm[o++] = ' ';
		memcpy(norm + o, m->h.hdr[i].val, m->h.hdr[i].val_len);
		o += m->h.hdr[i].val_len;
		norm[o++] = '\r';
		norm[o++] = '\n';
	}
	m->norm_len = o;
	m->names_off = o;
	norm[o++] = '\r';
	norm[o++] = '\n';
	for (unsigned i = 0; i < h->nhdr; i++) {
		memcpy(norm + o, m->h.hdr[i].name, m->h.hdr[i].name_len);
		o += m->h.hdr[i].name_len;
		norm[o++] = '\r';
		norm[o++] = '\n';
	}
	norm[o++] = '\r';
	norm[o++] = '\n';
	m->names_len = o - m->names_off;
	m->host_len = 0;
	m->port = -1;
	const struct http_hdr *host = http_header(&m->h, "host");
	if (host) {
		/* host[:port], or [v6 address][:port] as libhtp splits it */
		uint32_t n = 0, i = 0;
		bool v6 = host->val_len && host->val[0] == '[';
		for (; i < host->val_len && n < sizeof(m->host) - 1; i++) {
			uint8_t ch = host->val[i];
			if (ch == ':' && !v6)
				break;
			m->host[n++] = (char)tolower(ch);
			if (ch == ']' && v6) {
				i++;
				break;
			}
		}
		m->host[n] = '\0';
		m->host_len = (uint16_t)n;
		if (i < host->val_len && host->val[i] == ':') {
			int32_t port = 0;
			uint32_t j = i + 1;
			for (; j < host->val_len && j < i + 6 && host->val[j] >= '0' && host->val[j] <= '9'; j++)
				port = port * 10 + (host->val[j] - '0');
			if (j > i + 1 && j == host->val_len && port <= 65535)
				m->port = port;
		}
	}
	if (m->h.method) {
		/* http.uri: libhtp's normalised URI; none when it parsed
		 * neither path nor query (CONNECT host:port) */
		m->uri_norm = m->h.has_uri_norm ? (uint8_t *)(uintptr_t)m->h.uri_norm : NULL;
		m->uri_norm_len = m->h.has_uri_norm ? m->h.uri_norm_len : 0;
	}
	m->valid = true;
	m->logged = false;
	m->body_len = 0;
	return true;
}

struct http_cb {
	struct app_ctx *a;
	struct http_state *hs;
};

static bool http_mem_charge(void *ctx, uint64_t n)
{
	return app_charge(ctx, n);
}

static void http_mem_release(void *ctx, uint64_t n)
{
	app_release(ctx, n);
}

/* The request the response being read answers (libhtp pairs them by
 * index): the newest, or one waiting behind it; the newest when the
 * response is past it (libhtp made the transaction for a response without
 * a request); an invalid (empty, never written) one when the request was
 * dropped for room (HTTP_PIPE_MAX). */
static struct http_msg *http_answered(struct http_state *hs)
{
	static struct http_msg gone;
	for (unsigned i = 0; i < hs->npipe; i++)
		if (hs->pipe[i].valid && hs->pipe[i].htp_index == hs->resp_htp)
			return &hs->pipe[i];
	if (hs->req.valid && hs->resp_htp < hs->req.htp_index)
		return &gone;
	return &hs->req;
}

/* With a response: its request's body, if one was kept. */
static void req_body_keep(struct app_ctx *a, struct http_state *hs)
{
	if (hs->req.valid && hs->body[0].len) {
		a->tx.req_body = hs->body[0].buf;
		a->tx.req_body_len = hs->body[0].len;
	}
}

/* Hands a body to the rules on this packet, with its heads. */
static void body_expose(struct app_ctx *a, struct http_state *hs, int dir)
{
	struct http_body *b = &hs->body[dir];
	if (b->exposed || !b->len)
		return;
	b->exposed = true;
	b->exposed_seq = a->pkt_seq;
	a->tx.http_fresh |= dir ? HTTP_P_RESP_BODY : HTTP_P_REQ_BODY;
	a->tx.body[dir] = b->buf;
	a->tx.body_len[dir] = b->len;
	struct http_msg *q = dir == 1 ? http_answered(hs) : &hs->req;
	if (q->valid)
		a->tx.http_req = q;
	if (dir == 1 && hs->resp.valid)
		a->tx.http_resp = &hs->resp;
	if (dir == 1 && q == &hs->req)
		req_body_keep(a, hs);
}

/* A 101 to "Upgrade: websocket": the rest of the connection is
 * WebSocket (with the permessage-deflate the server accepted).  The
 * exchange is written now: no end of the response will come. */
static void http_upgrade(struct app_ctx *a, struct http_state *hs, const struct http_msg *m)
{
	const struct http_hdr *u = http_header(&m->h, "upgrade");
	if (!u || u->val_len != 9 || strncasecmp((const char *)u->val, "websocket", 9))
		return;
	hs->upgrade = ALP_WEBSOCKET;
	const struct http_hdr *x = http_header(&m->h, "sec-websocket-extensions");
	const char *v = x ? (const char *)x->val : "";
	size_t n = x ? x->val_len : 0;
	hs->ws_deflate = memmem(v, n, "permessage-deflate", 18) != NULL;
	hs->ws_no_ctx[0] = memmem(v, n, "client_no_context_takeover", 26) != NULL;
	hs->ws_no_ctx[1] = memmem(v, n, "server_no_context_takeover", 26) != NULL;
	if (hs->req.valid && !hs->req.logged)
		a->tx.http_log = true;
}

/* A 206 Partial Content response: its body is a part of the file its
 * request names (host, URI) in the version its ETag names; the
 * container that puts the parts back together (range.c). */
static void range_begin(struct app_ctx *a, struct http_state *hs, const struct http_msg *m)
{
	hs->range.idx = -1;
	const struct http_msg *q = http_answered(hs);
	const struct http_hdr *cr = m->h.code == 206 ? http_header(&m->h, "content-range") : NULL;
	struct http_range rg;
	if (!cr || !q->valid || !http_content_range(cr->val, cr->val_len, &rg) || rg.start < 0 ||
	    rg.size <= 0 || (rg.start == 0 && rg.end + 1 >= rg.size))
		return; /* (a part that is the whole file is its own file) */
	const struct http_hdr *et = http_header(&m->h, "etag");
	char key[RANGE_KEY_MAX];
	int k = snprintf(key, sizeof(key), "%.*s\n%.*s\n%.*s", (int)q->host_len, q->host,
			 (int)MIN(q->h.uri_len, 256u), (const char *)q->h.uri,
			 et ? (int)MIN(et->val_len, 128u) : 0, et ? (const char *)et->val : "");
	if (k > 0 && (size_t)k < sizeof(key))
		range_open(&hs->range, key, (size_t)k, (uint64_t)rg.start, (uint64_t)rg.size,
			   a->cur ? a->cur->last : 0);
}

/* The part's bytes (data NULL: a hole); when they make the file whole,
 * its fileinfo goes with this packet: the whole's size and digests, the
 * name and transaction of the part that completed it. */
static void range_data(struct app_ctx *a, struct http_state *hs, const uint8_t *data, uint32_t len)
{
	if (hs->range.idx < 0)
		return;
	if (!data) {
		range_skip(&hs->range, len);
		return;
	}
	struct file_facts facts;
	uint64_t size;
	if (!range_add(&hs->range, data, len, a->cur ? a->cur->last : 0, &facts, &size))
		return;
	struct app_file *fi = app_file_slot(a);
	if (!fi)
		return;
	memset(fi, 0, sizeof(*fi));
	fi->size = size;
	fi->facts = facts;
	fi->truncated = facts.gaps;
	fi->to_client = true;
	const struct http_msg *q = http_answered(hs);
	fi->tx_id = q != &hs->req ? q->tx_id : hs->nreq ? hs->nreq - 1 : 0;
	fi->req = q->valid ? q : NULL;
	fi->resp = hs->resp.valid ? &hs->resp : NULL;
	const struct http_hdr *cd = hs->resp.valid ? http_header(&hs->resp.h, "content-disposition") : NULL;
	http_file_name(fi, cd ? cd->val : NULL, cd ? cd->val_len : 0, q->h.uri, q->h.uri_len);
}

/* A new request while the newest one's response has not ended (the
 * client pipelines): the newest waits in hs->pipe for its response and
 * record, as libhtp keeps its transaction.  Without room (memcap), it is
 * overwritten as before. */
static void http_park(struct app_ctx *a, struct http_state *hs)
{
	if (!hs->req.valid || hs->req.htp_index < hs->resp_done)
		return;
	if (!hs->pipe) {
		if (!app_charge(a, HTTP_PIPE_MAX * sizeof(*hs->pipe)))
			return;
		if (!(hs->pipe = v_calloc(HTTP_PIPE_MAX, sizeof(*hs->pipe)))) {
			app_release(a, HTTP_PIPE_MAX * sizeof(*hs->pipe));
			return;
		}
	}
	if (hs->npipe == HTTP_PIPE_MAX) {
		/* the oldest goes without a record (a client this far
		 * ahead of the server) */
		if (hs->log_req == &hs->pipe[0])
			hs->log_req = NULL;
		http_msg_free(&hs->pipe[0]);
		memmove(hs->pipe, hs->pipe + 1, (HTTP_PIPE_MAX - 1) * sizeof(*hs->pipe));
		hs->npipe--;
		if (hs->log_req)
			hs->log_req--;
	}
	hs->pipe[hs->npipe++] = hs->req;
	memset(&hs->req, 0, sizeof(hs->req));
}

/* Frees the waiting requests whose responses ended on an earlier packet
 * (their records are written): at each delivery. */
static void http_unpark(struct app_ctx *a, struct http_state *hs)
{
	bool keep = hs->log_req && hs->log_seq == a->pkt_seq;
	if (!keep)
		hs->log_req = NULL;
	unsigned k = 0;
	for (unsigned i = 0; i < hs->npipe; i++) {
		struct http_msg *m = &hs->pipe[i];
		if (m->htp_index < hs->resp_done && !(keep && m == hs->log_req)) {
			http_msg_free(m);
			continue;
		}
		if (k != i) {
			hs->pipe[k] = *m;
			if (hs->log_req == m)
				hs->log_req = &hs->pipe[k];
			memset(m, 0, sizeof(*m));
		}
		k++;
	}
	hs->npipe = (uint8_t)k;
}

static void on_http_head(void *ctx, bool request, struct http_head *h, const uint8_t *base,
			 uint32_t len)
{
	struct http_cb *cb = ctx;
	struct app_ctx *a = cb->a;
	struct http_state *hs = cb->hs;
	int dir = request ? 0 : 1;
	if (request && (h->line_only || !hs->req_line))
		http_park(a, hs); /* a new request, not the head of the line before */
	if (request)
		hs->req_line = h->line_only;
	else
		hs->resp_htp = h->tx_index;
	struct http_msg *m = request ? &hs->req : &hs->resp;
	if (!http_msg_set(m, h, base, len))
		return;
	m->htp_index = h->tx_index;
	if (h->line_only) {
		/* the request line alone: rules on it run now; the head,
		 * its body and its record come when the headers are done */
		a->tx.http_fresh |= HTTP_P_REQ_LINE;
		a->tx.http_req = m;
		return;
	}
	bool close_delim = !request && !h->chunked && h->content_length < 0;
	body_start(a, &hs->body[dir], &m->h, request ? a->req_body_limit : a->resp_body_limit,
		   close_delim, request && !a->no_decompress);
	hs->body[dir].fopen = false;
	hs->body[dir].fsize = 0;
	hs->fdata[dir] = 0;
	hs->fcut[dir] = false;
	a->tx.http_fresh |= request ? HTTP_P_REQ_HEAD : HTTP_P_RESP_HEAD;
	if (request) {
		m->tx_id = hs->nreq++;
		app_count_tx(a, false, ALP_HTTP);
		/* a multipart/form-data upload: its parts with file names are files */
		mpart_free(a, hs->mp);
		hs->mp = NULL;
		const struct http_hdr *ct = http_header(&m->h, "content-type");
		char bnd[80];
		if (ct && ct->val_len >= 19 && !strncasecmp((const char *)ct->val, "multipart/form-data", 19) &&
		    mime_param((const char *)ct->val, ct->val_len, "boundary", bnd, sizeof(bnd)))
			hs->mp = mpart_new(bnd);
		m->multipart = hs->mp != NULL;
		hs->connect_pending = h->method_len == 7 && !memcmp(h->method, "CONNECT", 7);
		const struct http_hdr *up = http_header(&m->h, "upgrade");
		hs->h2c_req = false;
		for (uint32_t i = 0; up && i + 3 <= up->val_len && !hs->h2c_req; i++)
			hs->h2c_req = !strncasecmp((const char *)up->val + i, "h2c", 3) &&
				      (i == 0 || up->val[i - 1] == ' ' || up->val[i - 1] == ',') &&
				      (i + 3 == up->val_len || up->val[i + 3] == ' ' || up->val[i + 3] == ',');
		a->tx.http_req = m;
	} else {
		struct http_msg *q = http_answered(hs);
		hs->resp_of = q == &hs->req ? hs->nreq : q->tx_id + 1;
		range_begin(a, hs, m);
		a->tx.http_resp = m;
		if (q == &hs->req)
			req_body_keep(a, hs);
		if (q->valid)
			a->tx.http_req = q;
		const struct http_hdr *up = h->code == 101 && hs->change_busy && h2_on
						    ? http_header(&m->h, "upgrade") : NULL;
		if (up && up->val_len == 3 && !memcmp(up->val, "h2c", 3)) {
			/* a 101 to h2c in the first bytes after a protocol
			 * change (HTTP where STARTTLS promised TLS): one change
			 * at a time, so no HTTP/2, and Suricata's event */
			app_event(a, APP_EV_HTTP_FAILED_PROTOCOL_CHANGE);
		} else if (hs->h2c_req && h->code == 101 && h2_on) {
			/* Upgrade: h2c accepted: HTTP/2 from the next byte */
			hs->h2c = true;
			if (hs->req.valid && !hs->req.logged)
				a->tx.http_log = true;
		}
		if (hs->connect_pending && h->code / 100 == 2) {
			if (hs->req.valid && !hs->req.logged)
				a->tx.http_log = true; /* no body will end it */
			/* a tunnel: the bytes that follow are the tunnelled
			 * protocol's, detected afresh (TLS through a proxy) */
			hs->tunnel = true;
			http_stop(hs->conn);
		}
		if (h->code == 101)
			http_upgrade(a, hs, m);
	}
}

void http_file_name(struct app_file *fi, const uint8_t *cd, uint32_t cdl, const uint8_t *path,
		    uint32_t pl)
{
	const uint8_t *v = NULL;
	uint32_t n = 0;
	for (uint32_t i = 0; cd && i + 9 <= cdl; i++)
		if (!strncasecmp((const char *)cd + i, "filename=", 9) &&
		    (i == 0 || cd[i - 1] == ' ' || cd[i - 1] == ';')) {
			v = cd + i + 9;
			n = cdl - i - 9;
			if (n && *v == '"') {
				v++;
				n--;
				const uint8_t *q = memchr(v, '"', n);
				if (q)
					n = (uint32_t)(q - v);
			} else {
				uint32_t k = 0;
				while (k < n && v[k] != ';' && v[k] != ' ')
					k++;
				n = k;
			}
			break;
		}
	if (!v && path) {
		v = path;
		n = pl;
		const uint8_t *q = memchr(v, '?', n);
		if (q)
			n = (uint32_t)(q - v);
	}
	n = MIN(n, (uint32_t)sizeof(fi->name) - 1);
	if (v && n)
		memcpy(fi->name, v, n);
	fi->name[n] = 0;
	fi->name_len = (uint16_t)n;
}

/* The file an HTTP message's body is: named by Content-Disposition's
 * filename (responses), else by the request URI's path, as Suricata names
 * them. */
static void file_fill(struct app_file *fi, struct http_state *hs, int dir, bool truncated)
{
	struct http_body *b = &hs->body[dir];
	memset(fi, 0, sizeof(*fi));
	fi->size = b->fsize;
	truncated |= hs->fcut[dir];
	file_track_end(&hs->ft[dir], &fi->facts, !truncated);
	fi->truncated = truncated || fi->facts.gaps;
	fi->to_client = dir == 1;
	const struct http_msg *q = dir == 1 ? http_answered(hs) : &hs->req;
	fi->tx_id = q != &hs->req ? q->tx_id : hs->nreq ? hs->nreq - 1 : 0;
	fi->req = q->valid ? q : NULL;
	fi->resp = dir == 1 && hs->resp.valid ? &hs->resp : NULL;
	const struct http_msg *m = dir ? &hs->resp : &hs->req;
	const struct http_hdr *cd = m->valid ? http_header(&m->h, "content-disposition") : NULL;
	http_file_name(fi, cd ? cd->val : NULL, cd ? cd->val_len : 0, q->valid ? q->h.uri : NULL,
		       q->valid ? q->h.uri_len : 0);
	/* a part of a file (206 Partial Content): where it lies in it */
	const struct http_hdr *cr = dir == 1 && m->valid && m->h.code == 206
					    ? http_header(&m->h, "content-range") : NULL;
	struct http_range rg;
	if (cr && http_content_range(cr->val, cr->val_len, &rg) && rg.start >= 0) {
		fi->range_start = (uint64_t)rg.start;
		fi->range_end = (uint64_t)rg.end;
	}
	b->fopen = false;
}

/* How much of a body piece of len bytes (data or a hole) goes into its
 * file, as Suricata 8 stores an HTTP file: while the body bytes seen (not
 * the holes) are under the body limit, a piece is cut at it; once they
 * reach it, the file ends there, TRUNCATED (suricata-verify bug-4953:
 * 102,400 bytes seen and the holes among them).  Suricata lets a file
 * go on to the stream depth instead once a filestore rule matched its
 * transaction; vigil keeps a file whole whenever files may be stored. */
static uint32_t file_cut(const struct app_ctx *a, struct http_state *hs, int dir, uint32_t len)
{
	uint64_t lim = dir ? a->resp_body_limit : a->req_body_limit;
	if (!lim || (file_wanted() & FILE_WANT_STORE))
		return len;
	if (hs->fcut[dir] || hs->fdata[dir] >= lim) {
		hs->fcut[dir] = true;
		return 0;
	}
	return (uint32_t)MIN((uint64_t)len, lim - hs->fdata[dir]);
}

static void on_http_body(void *ctx, bool request, const uint8_t *data, uint32_t len,
			 uint64_t sent_len)
{
	struct http_cb *cb = ctx;
	int dir = request ? 0 : 1;
	struct http_body *b = &cb->hs->body[dir];
	(request ? &cb->hs->req : &cb->hs->resp)->body_len = sent_len;
	if (data && request && cb->hs->mp)
		mpart_feed(cb->a, cb->hs->mp, data, len, &cb->hs->req, cb->hs->nreq ? cb->hs->nreq - 1 : 0);
	if (data && body_add(cb->a, b, data, len))
		body_expose(cb->a, cb->hs, dir);
	/* a file: responses, and requests that upload one (PUT); a hole in
	 * the body (data NULL) counts in its size, as Suricata's, and
	 * makes it a file with gaps */
	if (!request && len)
		range_data(cb->a, cb->hs, data, len);
	if (len && (!request || (cb->hs->req.h.method_len == 3 &&
				 !memcmp(cb->hs->req.h.method, "PUT", 3)))) {
		struct http_state *hs = cb->hs;
		uint32_t k = file_cut(cb->a, hs, dir, len);
		if (!b->fopen)
			file_track_begin(&hs->ft[dir]);
		b->fopen = true;
		b->fsize += k; /* its size as decoded */
		if (k && data) {
			file_track_add(&hs->ft[dir], data, k);
			hs->fdata[dir] += k;
		} else if (k)
			file_track_gap(&hs->ft[dir]);
	}
}

/* A message's frame (http1.request / http1.response): its line and
 * header lines as sent, and its body when it was sent as it is kept
 * (neither chunked nor compressed, within the body limit); the head alone
 * otherwise. */
static void http_frame(struct app_ctx *a, struct http_state *hs, int dir, uint64_t sent_len)
{
	const struct http_msg *m = dir ? &hs->resp : &hs->req;
	const struct http_body *b = &hs->body[dir];
	if (!m->valid)
		return;
	bool whole = !m->h.chunked && b->enc == BODY_ENC_NONE && b->buf && b->len == sent_len &&
		     !http_header(&m->h, "content-encoding");
	/* (the line's own ending is not kept: CRLF stands for it) */
	if (app_frame_add(a, dir ? FR_HTTP1_RESPONSE : FR_HTTP1_REQUEST, dir, m->h.line,
			  m->h.line_len, (const uint8_t *)"\r\n", 2) &&
	    app_frame_append(a, m->h.headers, m->h.headers_len) && whole)
		app_frame_append(a, b->buf, b->len);
}

static void on_http_end(void *ctx, bool request, uint64_t sent_len)
{
	struct http_cb *cb = ctx;
	struct http_state *hs = cb->hs;
	struct http_msg *m = request ? &hs->req : &hs->resp;
	if (m->valid)
		m->body_len = sent_len;
	if (request && hs->mp)
		mpart_end(cb->a, hs->mp, &hs->req, hs->nreq ? hs->nreq - 1 : 0);
	body_expose(cb->a, hs, request ? 0 : 1);
	http_frame(cb->a, hs, request ? 0 : 1, sent_len);
	/* a message without a body: its body part is done all the same, so
	 * rules on it run here (file.data; absent) */
	struct http_msg *q = request ? &hs->req : http_answered(hs);
	if (!hs->body[request ? 0 : 1].exposed) {
		cb->a->tx.http_fresh |= request ? HTTP_P_REQ_BODY : HTTP_P_RESP_BODY;
		if (m->valid)
			*(request ? &cb->a->tx.http_req : &cb->a->tx.http_resp) = m;
		if (!request && q->valid)
			cb->a->tx.http_req = q;
	}
	if (hs->body[request ? 0 : 1].fopen) {
		struct app_file *fi = app_file_slot(cb->a);
		if (fi) {
			file_fill(fi, hs, request ? 0 : 1, false);
			app_file_heads(cb->a, fi);
		} else
			file_track_free(&hs->ft[request ? 0 : 1]);
		hs->body[request ? 0 : 1].fopen = false;
	}
	/* a response is complete: its transaction goes to eve (1xx are
	 * interim, except 101, which ends the HTTP exchange) */
	uint16_t code = hs->resp.h.code;
	bool final = !request && (code / 100 != 1 || code == 101);
	if (final) {
		hs->resp_end_of = q == &hs->req ? hs->nreq : q->tx_id + 1;
		hs->resp_done = MAX(hs->resp_done, hs->resp_htp + 1);
	}
	if (final && hs->resp.valid && q->valid && !q->logged) {
		cb->a->tx.http_log = true;
		cb->a->tx.http_resp = &hs->resp;
		cb->a->tx.http_req = q;
		hs->log_req = q;
		hs->log_seq = cb->a->pkt_seq;
	}
}

static void on_http_event(void *ctx, int ev)
{
	struct http_cb *cb = ctx;
	if (ev == HTTP_EV_PARSER_ERROR) {
		app_parser_error(cb->a, CNT_APP_ERR_HTTP);
		return;
	}
	app_event(cb->a, (enum app_event)ev);
}

static void http_data(struct app_ctx *a, struct http_state *hs, int dir, const uint8_t *data,
		      uint32_t len)
{
	struct http_cb c = { a, hs };
	const struct http_cbs cbs = { on_http_head, on_http_body, on_http_end, on_http_event, &c };
	if (hs->npipe)
		http_unpark(a, hs);
	http_feed(hs->conn, dir, data, len, &cbs);
	/* the direction closed inside a body libhtp does not end (a chunked
	 * body without its last chunk): the rules still see what came */
	if (!data)
		body_expose(a, hs, dir);
}

/* A parser's per-connection state, zeroed and charged to the app-layer
 * memcap (released by its free function); NULL when refused. */
static void *charged_state(struct app_ctx *a, size_t n)
{
	if (!app_charge(a, n))
		return NULL;
	void *p = v_calloc(1, n);
	if (!p)
		app_release(a, n);
	return p;
}

static void http_gap_data(struct app_ctx *a, struct http_state *hs, int dir, uint32_t len)
{
	struct http_cb c = { a, hs };
	const struct http_cbs cbs = { on_http_head, on_http_body, on_http_end, on_http_event, &c };
	if (hs->npipe)
		http_unpark(a, hs);
	http_gap(hs->conn, dir, len, &cbs);
}

static void app_tcp_packet_in(struct app_ctx *a, struct flow *f, int dir)
{
	struct app_flow *af = f->app;
	/* the connection is over (both FINs acknowledged, or a reset):
	 * Suricata writes an SMTP transaction left open on this packet */
	if (af && af->smtp && f->alproto == ALP_SMTP && f->tcp_state == TCP_CLOSED)
		smtp_tcp_closed(a, af->smtp);
	if (af && af->smtp && f->alproto == ALP_SMTP && dir == 0)
		smtp_client_packet(a, af->smtp);
	if (af && af->nfs && f->alproto == ALP_NFS)
		nfs_packet(a, af->nfs);
	if (af && af->smb && f->alproto == ALP_SMB)
		smb_packet(a, af->smb, dir);
	struct ftpdata_state *d = af && f->alproto == ALP_FTPDATA ? af->ftpdata : NULL;
	if (!d || !d->open || d->shown[dir & 1])
		return;
	/* the data connection's command is a condition in both directions
	 * (Suricata's ftpdata_command:retr matches to_client in active mode
	 * too, where the file travels to_server): once in each */
	d->shown[dir & 1] = true;
	a->tx.ftpdata_flow = &d->info;
}

static void app_tcp_close_in(struct app_ctx *a, struct flow *f, int dir)
{
	struct app_flow *af = f->app;
	if (af && af->http && f->alproto == ALP_HTTP)
		http_data(a, af->http, dir, NULL, 0);
	if (af && af->ftpdata && f->alproto == ALP_FTPDATA)
		ftpdata_close(a, af->ftpdata, false); /* the sender is done */
	if (af && af->ftp && f->alproto == ALP_FTP && dir == 1)
		ftp_server_closed(a, af->ftp);
	if (af && af->nfs && f->alproto == ALP_NFS)
		nfs_close(a, af->nfs, dir);
}

const struct http_msg *app_http_unlogged(struct flow *f, const struct http_msg **resp)
{
	struct app_flow *af = f->app;
	struct http_state *hs = af ? af->http : NULL;
	*resp = NULL;
	for (unsigned i = 0; hs && i < hs->npipe; i++) {
		struct http_msg *m = &hs->pipe[i];
		if (!m->valid || m->logged)
			continue;
		m->logged = true;
		if (hs->resp.valid && hs->resp_htp == m->htp_index)
			*resp = &hs->resp;
		return m;
	}
	if (!hs || !hs->req.valid || hs->req.logged)
		return NULL;
	hs->req.logged = true;
	/* a response whose body never ended (the capture or the connection
	 * stopped first) still belongs to the record */
	if (hs->resp.valid && hs->resp_of == hs->nreq)
		*resp = &hs->resp;
	return &hs->req;
}

const struct tls_info *app_tls_peek(const struct flow *f)
{
	const struct app_flow *af = f->app;
	return af && af->tls && (af->tls->info.state & TLS_ST_CLIENT_HELLO) ? &af->tls->info : NULL;
}

const struct ssh_info *app_ssh_peek(const struct flow *f)
{
	const struct app_flow *af = f->app;
	return af && af->ssh && (af->ssh->info.side[0].banner || af->ssh->info.side[1].banner)
		       ? &af->ssh->info : NULL;
}

const struct http_msg *app_http_peek(const struct flow *f, const struct http_msg **resp)
{
	const struct app_flow *af = f->app;
	const struct http_state *hs = af ? af->http : NULL;
	*resp = NULL;
	if (!hs || !hs->req.valid)
		return NULL;
	if (hs->resp.valid && hs->resp_of == hs->nreq)
		*resp = &hs->resp;
	return &hs->req;
}

const struct tls_info *app_tls_unlogged(struct flow *f)
{
	struct app_flow *af = f->app;
	if (!af || !af->tls || af->tls->info.logged ||
	    !(af->tls->info.state & TLS_ST_CLIENT_HELLO))
		return NULL;
	af->tls->info.logged = true;
	return &af->tls->info;
}

const struct tftp_info *app_tftp_peek(const struct flow *f)
{
	const struct app_flow *af = f->app;
	return af && af->tftp && af->tftp->opcode ? af->tftp : NULL;
}

const struct ldap_tx *app_ldap_unlogged(struct flow *f)
{
	struct app_flow *af = f->app;
	return af ? ldap_unlogged(af->ldap) : NULL;
}

const struct dce_tx *app_dcerpc_unlogged(struct flow *f)
{
	struct app_flow *af = f->app;
	return af ? dcerpc_unlogged(af->dcerpc) : NULL;
}

const struct imap_tx *app_imap_unlogged(struct flow *f)
{
	struct app_flow *af = f->app;
	return af ? imap_unlogged(af->imap) : NULL;
}

const struct pop3_tx *app_pop3_unlogged(struct flow *f)
{
	struct app_flow *af = f->app;
	return af ? pop3_unlogged(af->pop3) : NULL;
}

const struct nfs_tx *app_nfs_unlogged(struct flow *f)
{
	struct app_flow *af = f->app;
	return af ? nfs_unlogged(af->nfs) : NULL;
}

const struct rfb_tx *app_rfb_unlogged(struct flow *f)
{
	struct app_flow *af = f->app;
	return af ? rfb_unlogged(af->rfb) : NULL;
}

const struct h2_tx *app_h2_unlogged(struct flow *f)
{
	struct app_flow *af = f->app;
	return af ? h2_unlogged(af->h2) : NULL;
}

const struct h2_tx *app_h2_peek(const struct flow *f)
{
	const struct app_flow *af = f->app;
	return af ? h2_peek(af->h2) : NULL;
}

const struct mqtt_tx *app_mqtt_unlogged(struct flow *f)
{
	struct app_flow *af = f->app;
	return af ? mqtt_unlogged(af->mqtt) : NULL;
}

const struct ssh_info *app_ssh_unlogged(struct flow *f)
{
	struct app_flow *af = f->app;
	if (!af || !af->ssh || af->ssh->info.logged ||
	    !(af->ssh->info.side[0].banner || af->ssh->info.side[1].banner))
		return NULL;
	af->ssh->info.logged = true;
	return &af->ssh->info;
}

const struct app_file *app_http_open_file(struct flow *f)
{
	static __thread struct app_file fi;
	struct app_flow *af = f->app;
	struct http_state *hs = af ? af->http : NULL;
	for (int dir = 0; hs && dir < 2; dir++)
		if (hs->body[dir].fopen) {
			file_fill(&fi, hs, dir, true);
			return &fi;
		}
	if (af && af->smb && smb_open_file(af->smb, &fi))
		return &fi;
	if (af && af->nfs && nfs_open_file(af->nfs, &fi))
		return &fi;
	if (af && af->h2 && h2_open_file(af->h2, &fi))
		return &fi;
	struct ftpdata_state *d = af ? af->ftpdata : NULL;
	if (d && d->open && !d->closed) {
		/* an FTP data connection that ended without a FIN */
		memset(&fi, 0, sizeof(fi));
		size_t nl = strlen(d->info.filename);
		memcpy(fi.name, d->info.filename, MIN(nl, sizeof(fi.name) - 1));
		fi.name_len = (uint16_t)MIN(nl, sizeof(fi.name) - 1);
		fi.size = d->size;
		fi.truncated = true;
		fi.ftpdata = &d->info;
		file_track_end(&d->ft, &fi.facts, false);
		d->closed = true;
		return &fi;
	}
	return NULL;
}

const struct smtp_info *app_smtp_peek(const struct flow *f)
{
	const struct app_flow *af = f->app;
	return af && af->smtp ? &af->smtp->tx : NULL;
}

const struct smtp_info *app_smtp_unlogged(struct flow *f)
{
	struct app_flow *af = f->app;
	return af ? smtp_unlogged(af->smtp) : NULL;
}

const struct ftp_info *app_ftp_unanswered(struct flow *f)
{
	struct app_flow *af = f->app;
	return af ? ftp_unanswered(af->ftp) : NULL;
}

const struct ftp_info *app_ftp_peek(const struct flow *f)
{
	const struct app_flow *af = f->app;
	return af && af->ftp ? af->ftp->view : NULL;
}

const struct ftpdata_info *app_ftpdata_peek(const struct flow *f)
{
	const struct app_flow *af = f->app;
	return af && af->ftpdata ? &af->ftpdata->info : NULL;
}

void app_tx_nolog(struct app_ctx *a, struct flow *f)
{
	a->tx.nolog = true;
	for (unsigned k = 0; f && k < a->tx.ndns; k++)
		if (!a->tx.dns[k].response) {
			/* the query's transaction includes its answer */
			f->dns_nolog = true;
			f->dns_nolog_id = a->tx.dns[k].id;
		}
	struct app_flow *af = f ? f->app : NULL;
	if (af && af->http && af->http->req.valid && f->alproto == ALP_HTTP)
		af->http->req.nolog = true; /* its record comes on a later packet */
}

uint64_t app_flow_tx_cnt(const struct flow *f)
{
	/* DNS over UDP counts in its transaction ids */
	if ((f->alproto == ALP_DNS || f->alproto == ALP_MDNS) && f->key.proto == 17)
		return f->dns_tx;
	return f->app_tx;
}

const struct http_msg *app_http_last_request(const struct flow *f)
{
	struct app_flow *af = f->app;
	struct http_state *hs = af ? af->http : NULL;
	if (hs && hs->log_req && hs->log_req->valid) {
		hs->log_req->logged = true; /* a request that waited behind a newer one */
		return hs->log_req;
	}
	if (!hs || !hs->req.valid)
		return NULL;
	hs->req.logged = true;
	return &hs->req;
}

void app_tx_reset(struct app_ctx *a)
{
	struct app_tx *t = &a->tx;
	t->ndns = 0;
	t->alproto = 0;
	t->parser_error = false;
	t->tls = NULL;
	t->tls_new = 0;
	t->tls_log = false;
	t->http_req = t->http_resp = NULL;
	t->http_log = false;
	t->http_fresh = 0;
	t->body[0] = t->body[1] = NULL;
	t->body_len[0] = t->body_len[1] = 0;
	t->req_body = NULL;
	t->req_body_len = 0;
	t->nfiles = 0;
	t->smtp = NULL;
	t->smtp_log = false;
	t->smtp_hdrs = NULL;
	t->nftp = 0;
	t->nftp_unans = 0;
	t->ftp_cmd = NULL;
	t->ftpdata = NULL;
	t->ftpdata_log = false;
	t->ftpdata_flow = NULL;
	t->ssh = NULL;
	t->ssh_new = t->ssh_log = false;
	t->quic = NULL;
	t->quic_log = false;
	t->nsip = 0;
	t->nldap = 0;
	t->nsmb = 0;
	t->dce = false;
	t->dce_tx = NULL;
	t->ndcelog = 0;
	t->npop3 = 0;
	t->nimap = 0;
	t->nmqtt = 0;
	t->nkrb5 = 0;
	t->rfb = NULL;
	t->ike = NULL;
	t->nnfs = 0;
	t->nnfslog = 0;
	t->nws = 0;
	app_frames_reset(a);
	t->nh2 = 0;
	t->tftp = NULL;
	t->snmp = NULL;
	t->btdht = NULL;
	t->ev_tx_id = -1;
	t->nolog = false;
	t->quic_long = false;
	memset(&t->events, 0, sizeof(t->events));
	t->encrypted = false;
	a->pkt_seq++;
}

static void http_drop(struct app_ctx *a, struct app_flow *af)
{
	struct http_state *hs = af->http;
	if (hs) {
		http_conn_free(hs->conn);
		file_track_free(&hs->ft[0]);
		file_track_free(&hs->ft[1]);
		mpart_free(a, hs->mp);
		http_msg_free(&hs->req);
		http_msg_free(&hs->resp);
		for (unsigned i = 0; i < hs->npipe; i++)
			http_msg_free(&hs->pipe[i]);
		if (hs->pipe) {
			v_free(hs->pipe);
			app_release(a, HTTP_PIPE_MAX * sizeof(*hs->pipe));
		}
		body_free(a, &hs->body[0]);
		body_free(a, &hs->body[1]);
		v_free(hs);
	}
	af->http = NULL;
}

void app_flow_free_ctx(struct app_ctx *a, struct flow *f)
{
	struct app_flow *af = f->app;
	if (!af)
		return;
	if (a->cur == f)
		a->cur = NULL;
	v_free(af->buf[0]);
	v_free(af->buf[1]);
	http_drop(a, af);
	if (af->tls)
		tls_state_free(a, af->tls);
	if (af->ssh)
		ssh_state_free(a, af->ssh);
	if (af->quic)
		quic_state_free(a, af->quic);
	smtp_state_free(a, af->smtp);
	if (af->ftp)
		ftp_release(a, sizeof(*af->ftp)); /* (charged when made) */
	ftp_state_free(a, af->ftp);
	if (af->ftpdata)
		ftp_release(a, sizeof(*af->ftpdata));
	ftpdata_state_free(a, af->ftpdata);
	sip_state_free(a, af->sip);
	ldap_state_free(a, af->ldap);
	smb_state_free(a, af->smb);
	dcerpc_state_free(a, af->dcerpc);
	pop3_state_free(a, af->pop3);
	imap_state_free(a, af->imap);
	mqtt_state_free(a, af->mqtt);
	krb5_state_free(a, af->krb5);
	v_free(af->rfb);
	ike_state_free(a, af->ike);
	nfs_state_free(a, af->nfs);
	ws_state_free(a, af->ws);
	h2_state_free(a, af->h2);
	v_free(af->tftp);
	v_free(af->snmp);
	if (af->btdht)
		app_release(a, sizeof(*af->btdht));
	v_free(af->btdht);
	v_free(af);
	f->app = NULL;
}

void app_count_flow(struct app_ctx *a, const struct flow *f, int alp)
{
	if (!a->cnt)
		return;
	bool udp = f->key.proto == 17;
	switch (alp) {
	case ALP_HTTP: CNT_INC(a->cnt, APP_FLOW_HTTP); break;
	case ALP_TLS: CNT_INC(a->cnt, APP_FLOW_TLS); app_count_tx(a, udp, alp); break;
	case ALP_SSH: CNT_INC(a->cnt, APP_FLOW_SSH); app_count_tx(a, udp, alp); break;
	case ALP_SMTP: CNT_INC(a->cnt, APP_FLOW_SMTP); break;
	case ALP_FTP: CNT_INC(a->cnt, APP_FLOW_FTP); break;
	case ALP_FTPDATA: CNT_INC(a->cnt, APP_FLOW_FTPDATA); break;
	case ALP_QUIC: CNT_INC(a->cnt, APP_FLOW_QUIC); break;
	case ALP_DNS: if (udp) CNT_INC(a->cnt, APP_FLOW_DNS_UDP); else CNT_INC(a->cnt, APP_FLOW_DNS_TCP); break;
	case ALP_MDNS: CNT_INC(a->cnt, APP_FLOW_MDNS); break;
	case ALP_NTP: CNT_INC(a->cnt, APP_FLOW_NTP); break;
	case ALP_BITTORRENT_DHT: CNT_INC(a->cnt, APP_FLOW_BITTORRENT_DHT); break;
	case ALP_SIP: if (udp) CNT_INC(a->cnt, APP_FLOW_SIP_UDP); else CNT_INC(a->cnt, APP_FLOW_SIP_TCP); break;
	case ALP_LDAP: if (udp) CNT_INC(a->cnt, APP_FLOW_LDAP_UDP); else CNT_INC(a->cnt, APP_FLOW_LDAP_TCP); break;
	case ALP_TFTP: CNT_INC(a->cnt, APP_FLOW_TFTP); break;
	case ALP_SNMP: CNT_INC(a->cnt, APP_FLOW_SNMP); break;
	case ALP_SMB: CNT_INC(a->cnt, APP_FLOW_SMB); break;
	case ALP_DCERPC: if (udp) CNT_INC(a->cnt, APP_FLOW_DCERPC_UDP); else CNT_INC(a->cnt, APP_FLOW_DCERPC_TCP); break;
	case ALP_POP3: CNT_INC(a->cnt, APP_FLOW_POP3); break;
	case ALP_IMAP: CNT_INC(a->cnt, APP_FLOW_IMAP); break;
	case ALP_MQTT: CNT_INC(a->cnt, APP_FLOW_MQTT); break;
	case ALP_KRB5: if (udp) CNT_INC(a->cnt, APP_FLOW_KRB5_UDP); else CNT_INC(a->cnt, APP_FLOW_KRB5_TCP); break;
	case ALP_RFB: CNT_INC(a->cnt, APP_FLOW_RFB); break;
	case ALP_IKE: CNT_INC(a->cnt, APP_FLOW_IKE); break;
	case ALP_NFS: if (udp) CNT_INC(a->cnt, APP_FLOW_NFS_UDP); else CNT_INC(a->cnt, APP_FLOW_NFS_TCP); break;
	case ALP_HTTP2: CNT_INC(a->cnt, APP_FLOW_HTTP2); break;
	case ALP_FAILED: if (udp) CNT_INC(a->cnt, APP_FLOW_FAILED_UDP); else CNT_INC(a->cnt, APP_FLOW_FAILED_TCP); break;
	}
}

void app_count_tx(struct app_ctx *a, bool udp, int alp)
{
	if (a->cur && a->cur->app_tx < UINT32_MAX)
		a->cur->app_tx++;
	if (!a->cnt)
		return;
	switch (alp) {
	case ALP_HTTP: CNT_INC(a->cnt, APP_TX_HTTP); break;
	case ALP_TLS: CNT_INC(a->cnt, APP_TX_TLS); break;
	case ALP_SSH: CNT_INC(a->cnt, APP_TX_SSH); break;
	case ALP_SMTP: CNT_INC(a->cnt, APP_TX_SMTP); break;
	case ALP_FTP: CNT_INC(a->cnt, APP_TX_FTP); break;
	case ALP_FTPDATA: CNT_INC(a->cnt, APP_TX_FTPDATA); break;
	case ALP_DNS: if (udp) CNT_INC(a->cnt, APP_TX_DNS_UDP); else CNT_INC(a->cnt, APP_TX_DNS_TCP); break;
	case ALP_MDNS: CNT_INC(a->cnt, APP_TX_MDNS); break;
	case ALP_NTP: CNT_INC(a->cnt, APP_TX_NTP); break;
	case ALP_BITTORRENT_DHT: CNT_INC(a->cnt, APP_TX_BITTORRENT_DHT); break;
	case ALP_SIP: if (udp) CNT_INC(a->cnt, APP_TX_SIP_UDP); else CNT_INC(a->cnt, APP_TX_SIP_TCP); break;
	case ALP_LDAP: if (udp) CNT_INC(a->cnt, APP_TX_LDAP_UDP); else CNT_INC(a->cnt, APP_TX_LDAP_TCP); break;
	case ALP_TFTP: CNT_INC(a->cnt, APP_TX_TFTP); break;
	case ALP_SNMP: CNT_INC(a->cnt, APP_TX_SNMP); break;
	case ALP_DCERPC: if (udp) CNT_INC(a->cnt, APP_TX_DCERPC_UDP); else CNT_INC(a->cnt, APP_TX_DCERPC_TCP); break;
	case ALP_POP3: CNT_INC(a->cnt, APP_TX_POP3); break;
	case ALP_IMAP: CNT_INC(a->cnt, APP_TX_IMAP); break;
	case ALP_MQTT: CNT_INC(a->cnt, APP_TX_MQTT); break;
	case ALP_KRB5: if (udp) CNT_INC(a->cnt, APP_TX_KRB5_UDP); else CNT_INC(a->cnt, APP_TX_KRB5_TCP); break;
	case ALP_RFB: CNT_INC(a->cnt, APP_TX_RFB); break;
	case ALP_IKE: CNT_INC(a->cnt, APP_TX_IKE); break;
	case ALP_NFS: if (udp) CNT_INC(a->cnt, APP_TX_NFS_UDP); else CNT_INC(a->cnt, APP_TX_NFS_TCP); break;
	case ALP_WEBSOCKET: CNT_INC(a->cnt, APP_TX_WEBSOCKET); break;
	case ALP_HTTP2: CNT_INC(a->cnt, APP_TX_HTTP2); break;
	}
}

static const char *const http_methods[] = { "GET ", "POST ", "HEAD ", "PUT ", "DELETE ",
					    "OPTIONS ", "CONNECT ", "PATCH ", "TRACE " };

/* SMB 1, 2 and 3 (and its transform header) in a NetBIOS session
 * message: type 0, a 17-bit length, then the protocol id. */
static bool smb_probe(const uint8_t *d, uint32_t n)
{
	if (n < 8 || d[0] != 0 || (d[1] & 0xfe))
		return false;
	uint32_t len = (uint32_t)(d[1] & 1) << 16 | (uint32_t)d[2] << 8 | d[3];
	return len >= 4 && (d[4] == 0xff || d[4] == 0xfe || d[4] == 0xfd) && !memcmp(d + 5, "SMB", 3);
}

/* DCE/RPC connection-oriented PDU header (C706 12.6.3): version 5.0 or
 * 5.1, a PDU type from request (0) to orphaned (19), little- or big-endian
 * integers, a fragment at least as long as the 16-byte header. */
static bool dcerpc_probe(const uint8_t *d, uint32_t n)
{
	if (n < 16 || d[0] != 5 || d[1] > 1 || d[2] > 19 || (d[4] != 0x10 && d[4] != 0x00))
		return false;
	uint16_t fl = d[4] == 0x10 ? (uint16_t)(d[8] | d[9] << 8) : (uint16_t)(d[8] << 8 | d[9]);
	return fl >= 16;
}

static int detect_tcp_ports(const uint8_t *d, uint32_t n, uint16_t sp, uint16_t dp)
{
	/* NFS on its port, as Suricata probes it: an RPC call of the NFS
	 * program, or an RPC reply (first, as a record mark can look like an
	 * SSLv2 hello) */
	if ((sp == 2049 || dp == 2049) &&
	    (nfs_probe(d, n, true, 0) || nfs_probe(d, n, true, 1)))
		return ALP_NFS;
	if (n >= 3 && d[0] == 0x16 && d[1] == 0x03 && d[2] <= 0x04)
		return ALP_TLS;
	/* SSLv2-format ClientHello offering SSL 3.0 or TLS */
	if (n >= 5 && (d[0] & 0x80) && d[2] == 1 && d[3] == 0x03 && d[4] <= 0x03)
		return ALP_TLS;
	if (n >= 4 && !memcmp(d, "SSH-", 4))
		return ALP_SSH;
	if (sip_probe(d, n))
		return ALP_SIP;
	if (ldap_probe(d, n))
		return ALP_LDAP;
	if (smb_probe(d, n))
		return ALP_SMB;
	if (rfb_probe(d, n))
		return ALP_RFB;
	if (dcerpc_probe(d, n))
		return ALP_DCERPC;
	if (n >= 7 && !memcmp(d, "HTTP/1.", 7))
		return ALP_HTTP;
	/* HTTP/2 with prior knowledge: the client's preface (before the
	 * methods: it starts "PRI ") */
	if (h2_on && !memcmp(d, "PRI * HTTP/2.0", MIN(n, 14u)))
		return n >= 14 ? ALP_HTTP2 : 0; /* (a start of it: more bytes tell) */
	for (size_t i = 0; i < sizeof(http_methods) / sizeof(http_methods[0]); i++) {
		size_t l = strlen(http_methods[i]);
		if (n >= l && !memcmp(d, http_methods[i], l))
			return ALP_HTTP;
	}
	/* any other method: an upper-case token, a space, then a path ('/'),
	 * '*' or an absolute URI */
	size_t t = 0;
	while (t < n && t < 24 && ((d[t] >= 'A' && d[t] <= 'Z') || d[t] == '-' || d[t] == '_'))
		t++;
	if (t >= 3 && t < n - 1 && d[t] == ' ' &&
	    (d[t + 1] == '/' || d[t + 1] == '*' || (n - t > 8 && !memcmp(d + t + 1, "http", 4))))
		return ALP_HTTP;
	/* SMTP: the client's greeting; the server's when on a mail port
	 * (FTP greets with 220 too) */
	if (n >= 5 && (!strncasecmp((const char *)d, "EHLO ", 5) ||
		       !strncasecmp((const char *)d, "HELO ", 5)))
		return ALP_SMTP;
	if (sp == 21 || dp == 21) {
		static const char *const verbs[] = { "USER ", "AUTH ", "FEAT", "SYST", "OPTS ", "PASV",
						     "PORT ", "EPSV", "LIST", "QUIT" };
		if (n >= 4 && !memcmp(d, "220", 3) && (d[3] == ' ' || d[3] == '-'))
			return ALP_FTP;
		for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
			if (n >= strlen(verbs[i]) &&
			    !strncasecmp((const char *)d, verbs[i], strlen(verbs[i])))
				return ALP_FTP;
	}
	/* (465, SMTP over TLS: a server that greets in clear text there is
	 * read as SMTP, as Suricata probes that port's greeting too) */
	if ((sp == 465 || dp == 465) && n >= 4 && !memcmp(d, "220", 3) && (d[3] == ' ' || d[3] == '-'))
		return ALP_SMTP;
	if (sp == 25 || dp == 25 || sp == 587 || dp == 587 || sp == 2525 || dp == 2525) {
		static const char *const verbs[] = { "EHLO", "HELO", "QUIT", "RSET", "NOOP", "MAIL FROM",
						     "AUTH ", "STARTTLS" };
		if (n >= 4 && !memcmp(d, "220", 3) && (d[3] == ' ' || d[3] == '-'))
			return ALP_SMTP;
		for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
			size_t l = strlen(verbs[i]);
			if (n > l && !strncasecmp((const char *)d, verbs[i], l) &&
			    (l > 4 || d[l] == ' ' || d[l] == '\r' || d[l] == '\n'))
				return ALP_SMTP;
		}
	}
	/* POP3 on its port, as Suricata probes it: a status line or a command */
	if ((sp == 110 || dp == 110) && pop3_probe(d, n))
		return ALP_POP3;
	/* IMAP on its port (143): the greeting "* OK", or a tagged command */
	if ((sp == 143 || dp == 143) && imap_probe(d, n))
		return ALP_IMAP;
	/* MQTT on its port (1883), as Suricata probes it: a fixed header */
	if ((sp == 1883 || dp == 1883) && mqtt_probe(d, n))
		return ALP_MQTT;
	/* Kerberos on its port (88), as Suricata probes it */
	if ((sp == 88 || dp == 88) && krb5_probe_tcp(d, n))
		return ALP_KRB5;
	if (n >= 14 && (dp == 53 || sp == 53)) {
		struct dns_msg m;
		uint16_t ml = (uint16_t)(d[0] << 8 | d[1]);
		if (ml >= 12 && dns_parse(d + 2, MIN(n - 2u, ml), &m))
			return ALP_DNS;
	}
	return -1;
}

static int detect_tcp(const uint8_t *d, uint32_t n, const struct flow *f)
{
	return detect_tcp_ports(d, n, f->key.sp, f->key.dp);
}

#define DNS_TCP_MAX (64 * 1024 + 2)

static void dns_tcp(struct app_ctx *a, struct flow *f, struct app_flow *af, int dir, const uint8_t *data,
		    uint32_t len)
{
	/* length-prefixed messages */
	while (len) {
		if (!af->buf[dir] && !(af->buf[dir] = v_malloc(DNS_TCP_MAX)))
			return;
		uint32_t need = af->len[dir] >= 2 ? 2u + (uint32_t)(af->buf[dir][0] << 8 |
								 af->buf[dir][1])
						  : 2;
		uint32_t k = MIN(len, need - af->len[dir]);
		memcpy(af->buf[dir] + af->len[dir], data, k);
		af->len[dir] += k;
		data += k;
		len -= k;
		if (af->len[dir] < need)
			continue;
		if (need == 2) { /* the length is in */
			if (!af->buf[dir][0] && !af->buf[dir][1])
				af->len[dir] = 0; /* an empty message: skip it */
			continue;
		}
		app_frame_add(a, FR_DNS_PDU, dir, af->buf[dir] + 2, need - 2, NULL, 0);
		struct dns_msg *m = &a->tx.dns[MIN(a->tx.ndns, APP_DNS_PER_PKT - 1u)];
		if (dns_parse(af->buf[dir] + 2, need - 2, m)) {
			m->tx_id = f->dns_tx++;
			app_count_tx(a, f->key.proto == 17, ALP_DNS);
			if (a->tx.ndns < APP_DNS_PER_PKT)
				a->tx.ndns++; /* (more than that: the last slot is reused) */
			if (m->truncated_parse)
				app_event(a, APP_EV_DNS_MALFORMED);
		} else {
			app_event(a, APP_EV_DNS_MALFORMED);
			app_parser_error(a, CNT_APP_ERR_DNS_TCP);
		}
		af->len[dir] = 0;
	}
}

/* Frees bodies handed to rules on an earlier packet (no rule can look at
 * them any more): an idle keep-alive flow keeps no body memory.  A
 * request's body stays until its response has ended (=> rules read it
 * with the response). */
static void bodies_release(struct app_ctx *a, struct http_state *hs)
{
	for (int d = 0; d < 2; d++) {
		struct http_body *b = &hs->body[d];
		if (b->buf && b->exposed && b->exposed_seq != a->pkt_seq &&
		    (d == 1 || hs->resp_end_of == hs->nreq)) {
			/* the file the body is goes on (its size counts on) */
			bool fopen = b->fopen;
			uint64_t fsize = b->fsize;
			body_free(a, b);
			b->fopen = fopen;
			b->fsize = fsize;
		}
	}
}

/* After a 101 to WebSocket: the flow is WebSocket from the end of the
 * response's head (the bytes after it in this delivery are its first
 * frames).  The HTTP messages stay for this packet's records; libhtp's
 * connection goes. */
static void ws_begin(struct app_ctx *a, struct flow *f, struct app_flow *af, int dir,
		     const uint8_t *data, uint32_t len, uint64_t at0)
{
	struct http_state *hs = af->http;
	uint64_t at = 0;
	bool tail = dir == 1 && http_tunnel_at(hs->conn, 1, &at) && at >= at0 && at - at0 < len;
	/* libhtp's part is over (the messages of this packet are copies) */
	http_conn_free(hs->conn);
	hs->conn = NULL;
	hs->upgrade = 0;
	if (!af->ws && !(af->ws = charged_state(a, sizeof(*af->ws)))) {
		af->opaque = true; /* refused: the rest is not read */
		return;
	}
	af->ws->deflate = hs->ws_deflate;
	af->ws->no_ctx[0] = hs->ws_no_ctx[0];
	af->ws->no_ctx[1] = hs->ws_no_ctx[1];
	f->alproto_orig = f->alproto;
	f->alproto = ALP_WEBSOCKET;
	if (tail)
		ws_feed(a, af->ws, 1, data + (at - at0), (uint32_t)(len - (at - at0)));
}

/* A protocol change, as Suricata's after an accepted STARTTLS: what the
 * connection speaks next is detected afresh from its next bytes (expected:
 * TLS); the flow keeps its protocol until they tell.  Once a flow. */
static void change_begin(struct flow *f, struct app_flow *af, int expect)
{
	f->alproto_orig = f->alproto;
	f->alproto_expect = (uint16_t)expect; /* (eve app_proto_expected when another came) */
	af->change = af->expected = (uint8_t)expect;
	af->seen[0] = af->seen[1] = false;
	af->probe_len[0] = af->probe_len[1] = 0;
}

static void app_stream_data_in(struct app_ctx *a, struct flow *f, int dir, const uint8_t *data,
			       uint32_t len, unsigned flags);

/* Detection on direction dir's first bytes however the stream cut them:
 * the short segments kept so far and these (ports sp, dp).  The
 * protocol, 0 or less for none, or PROBE_WAIT: too few bytes to tell
 * yet, these are kept. */
#define PROBE_WAIT (-1000) /* (no protocol number is this low) */
static int probe_dir(struct app_flow *af, int dir, const uint8_t *data, uint32_t len, uint16_t sp,
		     uint16_t dp)
{
	uint8_t tmp[APP_PROBE_MAX];
	uint32_t n0 = af->probe_len[dir], k = MIN(len, APP_PROBE_MAX - n0);
	memcpy(tmp, af->probe[dir], n0);
	memcpy(tmp + n0, data, k);
	int p = n0 ? detect_tcp_ports(tmp, n0 + k, sp, dp) : detect_tcp_ports(data, len, sp, dp);
	if (p <= 0 && n0 + k < APP_PROBE_DECIDE) {
		memcpy(af->probe[dir] + n0, data, k);
		af->probe_len[dir] = (uint8_t)(n0 + k);
		return PROBE_WAIT;
	}
	return p;
}

/* The bytes after a protocol change: detection as on a flow's first bytes
 * (on port 443, as Suricata's, so that the old protocol's port says
 * nothing); the new protocol's parser reads them, or the flow is failed
 * when neither direction's bytes are any protocol. */
static void change_detect(struct app_ctx *a, struct flow *f, struct app_flow *af, int dir,
			  const uint8_t *data, uint32_t len, unsigned flags)
{
	int p = probe_dir(af, dir, data, len, f->key.sp, 443);
	if (p == PROBE_WAIT)
		return; /* too few bytes to tell yet */
	if (p <= 0) {
		af->seen[dir] = true;
		if (!af->seen[0] || !af->seen[1])
			return; /* (the other side may still tell) */
		p = ALP_FAILED;
	}
	af->change = 0;
	f->alproto = (uint16_t)p;
	if (p != af->expected) {
		app_event(a, APP_EV_APPLAYER_UNEXPECTED_PROTOCOL);
		if (af->expected == ALP_TLS)
			app_event(a, APP_EV_APPLAYER_NO_TLS_AFTER_STARTTLS);
	}
	if (p == ALP_FAILED)
		return;
	/* the new protocol's first data: the bytes collected, both
	 * directions, then these; no second change meanwhile */
	af->changing = true;
	for (int d = 0; d < 2; d++) {
		uint8_t pn = af->probe_len[d];
		af->probe_len[d] = 0;
		if (pn)
			app_stream_data_in(a, f, d, af->probe[d], pn, 0);
	}
	app_stream_data_in(a, f, dir, data, len, flags);
	af->changing = false;
}

static void app_stream_data_in(struct app_ctx *a, struct flow *f, int dir, const uint8_t *data,
			       uint32_t len, unsigned flags)
{
	if (f->alproto == ALP_FAILED)
		return;
	struct app_flow *af = f->app;
	if (!len) {
		if ((flags & STREAM_END) && af && af->http && f->alproto == ALP_HTTP)
			http_data(a, af->http, dir, NULL, 0);
		return;
	}
	if (!af && !(af = f->app = v_calloc(1, sizeof(*af))))
		return;
	if (flags & STREAM_GAP) {
		af->len[dir] = 0; /* resynchronise after a gap */
		if (f->alproto == ALP_UNKNOWN)
			f->alproto = ALP_FAILED;
		else if (f->alproto == ALP_HTTP && af->http && af->http->conn && !data && len)
			/* libhtp skips a hole in a body and goes on with the
			 * next message, as Suricata's HTTP parser does */
			http_gap_data(a, af->http, dir, len);
		else if (f->alproto == ALP_SMB && af->smb)
			smb_gap(a, af->smb, dir);
		else if (f->alproto == ALP_DCERPC && af->dcerpc)
			dcerpc_gap(a, af->dcerpc, dir);
		else if (f->alproto == ALP_POP3 && af->pop3)
			pop3_gap(a, af->pop3, dir);
		else if (f->alproto == ALP_IMAP && af->imap)
			imap_gap(a, af->imap, dir);
		else if (f->alproto == ALP_MQTT && af->mqtt)
			mqtt_gap(a, af->mqtt, dir);
		else if (f->alproto == ALP_KRB5 && af->krb5)
			krb5_gap(a, af->krb5, dir);
		else if (f->alproto == ALP_NFS && af->nfs)
			nfs_gap(a, af->nfs, dir);
		else if (f->alproto == ALP_WEBSOCKET && af->ws)
			ws_gap(a, af->ws, dir);
		if (!data)
			return;
	}
	if (f->alproto == ALP_UNKNOWN && !af->probe_len[0] && !af->probe_len[1] &&
	    !af->seen[0] && !af->seen[1] && f->key.proto == 6 && ftp_expecting()) {
		/* a data connection an FTP control connection announced */
		struct ftpdata_state *d = v_calloc(1, sizeof(*d));
		if (d && ftp_data_expected(f, d) && !ftp_charge(a, sizeof(*d))) {
			af->ftpdata = d;
			f->alproto = ALP_FTPDATA;
			app_count_flow(a, f, ALP_FTPDATA);
			app_count_tx(a, false, ALP_FTPDATA);
		} else {
			v_free(d); /* (past the FTP memcap: the data connection is not read) */
		}
	}
	if (af->opaque)
		return;
	if (f->alproto == ALP_HTTP && af->http && af->http->tunnel) {
		/* past a CONNECT's 2xx: the tunnel's protocol is detected
		 * afresh, from these bytes on (TLS through a proxy, or HTTP
		 * again, whose transactions count from 0 as in Suricata) */
		http_drop(a, af);
		f->alproto = ALP_UNKNOWN;
		af->redetect = true;
		af->seen[0] = af->seen[1] = false;
		af->probe_len[0] = af->probe_len[1] = 0;
	}
	if (af->change) {
		change_detect(a, f, af, dir, data, len, flags);
		return;
	}
	if (f->alproto == ALP_UNKNOWN) {
		/* detection looks at the direction's first bytes however the
		 * stream cut them: a few short segments are collected first */
		int p = probe_dir(af, dir, data, len, f->key.sp, f->key.dp);
		if (p == PROBE_WAIT)
			return; /* too few bytes to tell yet */
		if (p <= 0) {
			af->seen[dir] = true;
			if (af->seen[0] && af->seen[1]) {
				if (af->redetect) { /* an unknown tunnel: the flow stays http */
					f->alproto = ALP_HTTP;
					af->opaque = true;
					return;
				}
				f->alproto = ALP_FAILED;
				app_count_flow(a, f, ALP_FAILED);
			}
			return;
		}
		f->alproto = (uint16_t)p;
		if (!af->redetect) /* a flow counts once, by its first protocol */
			app_count_flow(a, f, p);
		/* the bytes collected come first, in both directions (the
		 * other side may have sent a few before this one decided) */
		for (int d = 0; d < 2; d++) {
			uint8_t pn = af->probe_len[d];
			af->probe_len[d] = 0;
			if (pn)
				app_stream_data_in(a, f, d, af->probe[d], pn, 0);
		}
	}
	if (f->alproto > 0 && f->alproto != ALP_FTPDATA && !f->alp_dir[dir & 1] && len) {
		/* the other side's first bytes: a server that answers a DCE/RPC
		 * bind with HTTP is worth a line in the flow record (Suricata's
		 * app_proto_tc); what looks like nothing known is no difference */
		int p = detect_tcp(data, len, f);
		f->alp_dir[dir & 1] = p > 0 && p != f->alproto ? (uint8_t)p : 0xff;
		/* Suricata's proto_detect event for it (the flow stays with
		 * the protocol decided first, as there) */
		if (p > 0 && p != f->alproto)
			app_event(a, APP_EV_APPLAYER_MISMATCH_BOTH_DIRS);
	}
	a->tx.alproto = (uint8_t)f->alproto;
	if (a->sim_err_at[dir & 1] && f->key.proto == 6 &&
	    f->payload_bytes[dir & 1] >= a->sim_err_at[dir & 1] &&
	    f->payload_bytes[dir & 1] - len < a->sim_err_at[dir & 1]) {
		/* testing (simulate.applayer-error-at-offset-*): the parser
		 * fails on these bytes and reads no more of the flow */
		af->opaque = true;
		app_parser_error(a, f->alproto == ALP_TLS ? CNT_APP_ERR_TLS
				    : f->alproto == ALP_HTTP ? CNT_APP_ERR_HTTP
				    : f->alproto == ALP_SMTP ? CNT_APP_ERR_SMTP : -1);
		return;
	}
	switch (f->alproto) {
	case ALP_TLS:
		if (!af->tls && !(af->tls = v_calloc(1, sizeof(*af->tls))))
			return;
		tls_feed(a, af->tls, dir, data, len);
		break;
	case ALP_HTTP:
		if (!af->http) {
			if (!(af->http = v_calloc(1, sizeof(*af->http))))
				return;
			af->http->range.idx = -1;
		}
		if (!af->http->conn) {
			/* a response decoder's memory (brotli) goes on the memcap */
			const struct http_mem mem = { http_mem_charge, http_mem_release, a };
			if (!(af->http->conn = http_conn_new(a->http_cfg, f->key.sp, f->key.dp, &mem)))
				return;
		}
		bodies_release(a, af->http);
		uint64_t at0 = http_fed(af->http->conn, dir);
		af->http->change_busy = af->changing;
		http_data(a, af->http, dir, data, len);
		af->http->change_busy = false;
		if (af->http->upgrade)
			ws_begin(a, f, af, dir, data, len, at0);
		if (af->http->h2c && !af->h2) {
			/* h2c: the upgrading request is stream 1's, and what
			 * came after the 101 is HTTP/2 */
			if (!(af->h2 = charged_state(a, sizeof(*af->h2))))
				break;
			f->alproto_orig = f->alproto;
			f->alproto = ALP_HTTP2;
			h2_upgrade(a, af->h2, &af->http->req);
			for (int d = 0; d < 2; d++) {
				const uint8_t *rp;
				uint32_t rn;
				if (http_tunnel_rest(af->http->conn, d, &rp, &rn))
					h2_feed(a, af->h2, d, rp, rn);
			}
		}
		break;
	case ALP_SSH:
		if (!af->ssh && !(af->ssh = v_calloc(1, sizeof(*af->ssh))))
			return;
		ssh_feed(a, af->ssh, dir, data, len);
		break;
	case ALP_FTP:
		if (!af->ftp) {
			/* an FTP connection's state (small: its transactions and
			 * lines are charged as they come, ftp.c) is charged to the
			 * FTP memcap and the app-layer memcap; refused, the
			 * connection is not parsed */
			if (af->ftp_refused)
				return;
			int r = ftp_charge(a, sizeof(*af->ftp));
			if (r) {
				af->ftp_refused = r == 1; /* (the app-layer memcap: tried again) */
				return;
			}
			if (!(af->ftp = v_calloc(1, sizeof(*af->ftp)))) {
				ftp_release(a, sizeof(*af->ftp));
				return;
			}
		}
		ftp_feed(a, af->ftp, f, dir, data, len, f->last);
		if (af->ftp->tls && !af->expected) /* AUTH TLS accepted: TLS should follow */
			change_begin(f, af, ALP_TLS);
		break;
	case ALP_FTPDATA:
		if (af->ftpdata)
			ftpdata_feed(a, af->ftpdata, data, len);
		break;
	case ALP_SMTP:
		/* an SMTP connection's state (lines, three transactions, the
		 * MIME reader: some 60 KiB) is charged to the app-layer memcap */
		if (!af->smtp && !(af->smtp = charged_state(a, sizeof(*af->smtp))))
			return;
		smtp_feed(a, af->smtp, dir, data, len);
		if (af->smtp->tls && !af->expected) /* STARTTLS accepted: TLS should follow */
			change_begin(f, af, ALP_TLS);
		break;
	case ALP_DNS:
		dns_tcp(a, f, af, dir, data, len);
		break;
	case ALP_SIP:
		if (!af->sip && !(af->sip = v_calloc(1, sizeof(*af->sip))))
			return;
		sip_feed(a, af->sip, dir, data, len);
		break;
	case ALP_SMB:
		/* an SMB connection's state (requests awaiting responses, open
		 * files) is charged to the app-layer memcap */
		if (!af->smb && !(af->smb = charged_state(a, sizeof(*af->smb))))
			return;
		smb_feed(a, af->smb, dir, data, len);
		break;
	case ALP_DCERPC:
		if (!af->dcerpc && !(af->dcerpc = charged_state(a, sizeof(*af->dcerpc))))
			return;
		dcerpc_feed(a, af->dcerpc, dir, data, len);
		break;
	case ALP_KRB5:
		if (!af->krb5 && !(af->krb5 = v_calloc(1, sizeof(*af->krb5))))
			return;
		krb5_feed(a, af->krb5, dir, data, len);
		break;
	case ALP_NFS:
		if (!af->nfs && !(af->nfs = charged_state(a, sizeof(*af->nfs))))
			return;
		nfs_feed(a, af->nfs, dir, data, len);
		break;
	case ALP_RFB:
		if (!af->rfb && !(af->rfb = v_calloc(1, sizeof(*af->rfb))))
			return;
		rfb_feed(a, af->rfb, dir, data, len);
		break;
	case ALP_HTTP2:
	case ALP_DOH2:
		if (!af->h2 && !(af->h2 = charged_state(a, sizeof(*af->h2))))
			return;
		h2_feed(a, af->h2, dir, data, len);
		if (af->h2->doh && f->alproto == ALP_HTTP2) {
			f->alproto_orig = ALP_HTTP2;
			f->alproto = ALP_DOH2;
		}
		if (a->tx.alproto == ALP_HTTP2)
			a->tx.alproto = (uint8_t)f->alproto;
		break;
	case ALP_MQTT:
		if (!af->mqtt && !(af->mqtt = v_calloc(1, sizeof(*af->mqtt))))
			return;
		mqtt_feed(a, af->mqtt, dir, data, len);
		break;
	case ALP_WEBSOCKET:
		/* (made by ws_begin after a 101; here when a flow starts as
		 * WebSocket, as the fuzz target's do) */
		if (!af->ws && !(af->ws = charged_state(a, sizeof(*af->ws))))
			return;
		ws_feed(a, af->ws, dir, data, len);
		break;
	case ALP_POP3:
		/* charged: its lines and MIME reader are some 20 KiB */
		if (!af->pop3 && !(af->pop3 = charged_state(a, sizeof(*af->pop3))))
			return;
		if (af->pop3->tls) {
			/* STLS accepted: this and what follows should be
			 * TLS (once: a change back to POP3 is not read) */
			if (!af->expected) {
				change_begin(f, af, ALP_TLS);
				app_stream_data_in(a, f, dir, data, len, flags & ~STREAM_END);
			}
			break;
		}
		pop3_feed(a, af->pop3, dir, data, len);
		break;
	case ALP_IMAP:
		/* charged: its lines and two MIME readers are some 40 KiB */
		if (!af->imap && !(af->imap = charged_state(a, sizeof(*af->imap))))
			return;
		if (af->imap->tls) {
			/* STARTTLS accepted: this and what follows should be
			 * TLS (once: a change back to IMAP is not read) */
			if (!af->expected) {
				change_begin(f, af, ALP_TLS);
				app_stream_data_in(a, f, dir, data, len, flags & ~STREAM_END);
			}
			break;
		}
		imap_feed(a, af->imap, dir, data, len);
		break;
	case ALP_LDAP:
		if (!af->ldap && !(af->ldap = v_calloc(1, sizeof(*af->ldap))))
			return;
		if (af->ldap->tls) {
			/* STARTTLS accepted: this and what follows should be
			 * TLS (once: a change back to LDAP is not read) */
			if (!af->expected) {
				change_begin(f, af, ALP_TLS);
				app_stream_data_in(a, f, dir, data, len, flags & ~STREAM_END);
			}
			break;
		}
		ldap_feed(a, af->ldap, dir, data, len);
		break;
	}
	if (flags & STREAM_END)
		app_stream_data_in(a, f, dir, NULL, 0, STREAM_END);
}

/* f's app-layer state and, in it, *slot (size bytes), each made zeroed
 * on first use; NULL when out of memory. */
static void *udp_state(struct flow *f, size_t off, size_t size)
{
	struct app_flow *af = f->app;
	if (!af && !(af = f->app = v_calloc(1, sizeof(*af))))
		return NULL;
	void **slot = (void **)((char *)af + off);
	if (!*slot)
		*slot = v_calloc(1, size);
	return *slot;
}
#define UDP_STATE(f, field) udp_state((f), offsetof(struct app_flow, field), \
				      sizeof(*((struct app_flow *)0)->field))

static void claim(struct app_ctx *a, struct flow *f, int alp)
{
	f->alproto = (uint16_t)alp;
	app_count_flow(a, f, alp);
}

static void app_udp_in(struct app_ctx *a, struct flow *f, struct packet *p)
{
	if (!p->payload_len || f->alproto == ALP_FAILED)
		return;
	const uint8_t *d = p->payload;
	uint32_t n = p->payload_len;
	bool tftp_port = p->dp == 69 || p->sp == 69;
	bool snmp_port = p->dp == 161 || p->sp == 161 || p->dp == 162 || p->sp == 162;
	bool ike_port = p->dp == 500 || p->sp == 500, nat_t = p->dp == 4500 || p->sp == 4500;
	bool nfs_port = p->dp == 2049 || p->sp == 2049;
	if (f->alproto == ALP_UNKNOWN) {
		/* by content, the port only where the content says little */
		struct tftp_info probe;
		if (quic_probe(d, n))
			claim(a, f, ALP_QUIC);
		else if (sip_probe(d, n))
			claim(a, f, ALP_SIP);
		else if (tftp_port && tftp_parse(d, n, &probe))
			claim(a, f, ALP_TFTP);
		else if (snmp_port) {
			struct snmp_info *m = v_malloc(sizeof(*m));
			if (m && snmp_parse(d, n, m))
				claim(a, f, ALP_SNMP);
			v_free(m);
		}
		if (f->alproto == ALP_UNKNOWN && ldap_probe(d, n))
			claim(a, f, ALP_LDAP);
		/* IKE on its ports, as Suricata probes it (4500: after a zero
		 * non-ESP marker) */
		if (f->alproto == ALP_UNKNOWN && (ike_port || nat_t) && ike_probe(d, n, !ike_port))
			claim(a, f, ALP_IKE);
		/* NFS on its port, as Suricata probes it */
		if (f->alproto == ALP_UNKNOWN && nfs_port && nfs_probe(d, n, false, p->dir))
			claim(a, f, ALP_NFS);
		/* (not on DNS's ports: a DNS query can look like one, as
		 * Suricata's dns-dcerpc-reversed case shows) */
		if (f->alproto == ALP_UNKNOWN && (p->sp == 88 || p->dp == 88) && krb5_probe(d, n))
			claim(a, f, ALP_KRB5);
		if (f->alproto == ALP_UNKNOWN && p->sp != 53 && p->dp != 53 && p->sp != 5353 &&
		    p->dp != 5353 && dcerpc_udp_probe(d, n))
			claim(a, f, ALP_DCERPC);
		/* NTP on its port, a whole version 3 or 4 header (Suricata's
		 * probe); BitTorrent DHT by its pattern, either way */
		if (f->alproto == ALP_UNKNOWN && (p->sp == 123 || p->dp == 123) &&
		    ntp_probe(d, n, NULL) == 1)
			claim(a, f, ALP_NTP);
		if (f->alproto == ALP_UNKNOWN && btdht_probe(d, n))
			claim(a, f, ALP_BITTORRENT_DHT);
	}
	void *st;
	switch (f->alproto) {
	case ALP_QUIC:
		if ((st = UDP_STATE(f, quic))) {
			a->tx.alproto = ALP_QUIC;
			quic_udp(a, st, p->dir, d, n);
		}
		return;
	case ALP_SIP:
		if ((st = UDP_STATE(f, sip)))
			sip_udp(a, st, d, n);
		return;
	case ALP_TFTP:
		if ((st = UDP_STATE(f, tftp)))
			tftp_udp(a, st, d, n);
		return;
	case ALP_SNMP:
		if ((st = UDP_STATE(f, snmp)))
			snmp_udp(a, st, d, n);
		return;
	case ALP_LDAP:
		if ((st = UDP_STATE(f, ldap)))
			ldap_udp(a, st, p->dir, d, n);
		return;
	case ALP_KRB5:
		if ((st = UDP_STATE(f, krb5)))
			krb5_udp(a, st, d, n);
		return;
	case ALP_NFS: {
		/* charged (nfs_state_free releases it) */
		struct app_flow *af = f->app;
		if (!af && !(af = f->app = v_calloc(1, sizeof(*af))))
			return;
		if (!af->nfs && !(af->nfs = charged_state(a, sizeof(*af->nfs))))
			return;
		nfs_udp(a, af->nfs, p->dir, d, n);
		return;
	}
	case ALP_IKE: {
		/* charged (ike_state_free releases it) */
		struct app_flow *af = f->app;
		if (!af && !(af = f->app = v_calloc(1, sizeof(*af))))
			return;
		if (!af->ike && !(af->ike = charged_state(a, sizeof(*af->ike))))
			return;
		ike_udp(a, af->ike, p->dir, nat_t && !ike_port, d, n);
		return;
	}
	case ALP_DCERPC: {
		/* charged, as over TCP (dcerpc_state_free releases it) */
		struct app_flow *af = f->app;
		if (!af && !(af = f->app = v_calloc(1, sizeof(*af))))
			return;
		if (!af->dcerpc && !(af->dcerpc = charged_state(a, sizeof(*af->dcerpc))))
			return;
		dcerpc_udp(a, af->dcerpc, d, n);
		return;
	}
	case ALP_NTP:
		ntp_udp(a, d, n);
		return;
	case ALP_BITTORRENT_DHT: {
		/* charged (released with the flow's state) */
		struct app_flow *af = f->app;
		if (!af && !(af = f->app = v_calloc(1, sizeof(*af))))
			return;
		if (!af->btdht && !(af->btdht = charged_state(a, sizeof(*af->btdht))))
			return;
		btdht_udp(a, af->btdht, d, n);
		return;
	}
	}
	/* multicast DNS (port 5353) is its own protocol, as in Suricata 8:
	 * the same messages, mdns records and mdns.* keywords */
	bool mdns_port = p->sp == 5353 || p->dp == 5353;
	bool dns_port = p->sp == 53 || p->dp == 53 || mdns_port;
	if (f->alproto == ALP_UNKNOWN || f->alproto == ALP_DNS || f->alproto == ALP_MDNS) {
		struct dns_msg *m = &a->tx.dns[0];
		bool dnsish = f->alproto == ALP_DNS || f->alproto == ALP_MDNS;
		if (dns_parse(p->payload, p->payload_len, m) && (dns_port || dnsish)) {
			if (f->alproto == ALP_UNKNOWN && (dns_port || !m->truncated_parse))
				claim(a, f, mdns_port ? ALP_MDNS : ALP_DNS);
			if (f->alproto == ALP_DNS || f->alproto == ALP_MDNS) {
				if (f->alproto == ALP_DNS)
					app_frame_add(a, FR_DNS_PDU, p->dir, p->payload, p->payload_len, NULL, 0);
				m->tx_id = f->dns_tx++;
				app_count_tx(a, f->key.proto == 17, (int)f->alproto);
				a->tx.ndns = 1;
				a->tx.alproto = (uint8_t)f->alproto;
				if (m->truncated_parse)
					app_event(a, APP_EV_DNS_MALFORMED);
				return;
			}
		}
		if (dnsish) {
			a->tx.alproto = (uint8_t)f->alproto;
			app_event(a, p->payload_len >= 4 && (p->payload[3] & 0x40)
					     ? APP_EV_DNS_Z_FLAG : APP_EV_DNS_MALFORMED);
			app_parser_error(a, CNT_APP_ERR_DNS_UDP);
		}
		if (f->alproto == ALP_UNKNOWN && f->pkts[0] + f->pkts[1] >= 4)
			claim(a, f, ALP_FAILED);
	}
}

/* ---- the entry points: each names the flow its transactions count in
 * (flow.tx_cnt, app_count_tx) for the time of the call ---- */

void app_stream_data(struct app_ctx *a, struct flow *f, int dir, const uint8_t *data,
		     uint32_t len, unsigned flags)
{
	a->cur = f;
	/* frames find their stream offset from here (a hole counts) */
	a->dl_p = data;
	a->dl_len = data ? len : 0;
	struct app_flow *af = f->app;
	a->dl_off = af ? af->stream_off[dir & 1] : 0;
	app_stream_data_in(a, f, dir, data, len, flags);
	if ((af = f->app))
		af->stream_off[dir & 1] = a->dl_off + len;
	a->dl_p = NULL;
	a->dl_len = 0;
	a->cur = NULL;
}

void app_udp(struct app_ctx *a, struct flow *f, struct packet *p)
{
	a->cur = f;
	app_udp_in(a, f, p);
	a->cur = NULL;
}

void app_tcp_packet(struct app_ctx *a, struct flow *f, int dir)
{
	a->cur = f;
	app_tcp_packet_in(a, f, dir);
	a->cur = NULL;
}

void app_tcp_close(struct app_ctx *a, struct flow *f, int dir)
{
	a->cur = f;
	app_tcp_close_in(a, f, dir);
	a->cur = NULL;
}

/* ---- what the records of every protocol share ---- */

/* {"hash": ..., "string": ...} under key (ja3, ja3s, hassh). */
void app_log_hash(struct jbuf *jb, const char *key, const char *hash, const char *str,
			size_t len)
{
	jb_open_object(jb, key);
	jb_str(jb, "hash", hash);
	jb_strn(jb, "string", (const uint8_t *)(str ? str : ""), len);
	jb_close(jb);
}

/* A list of ALPN names (TLS, QUIC). */
void app_log_alpns(struct jbuf *jb, const char *key, uint8_t n, const uint8_t *len,
		      const char (*v)[32])
{
	if (!n)
		return;
	jb_open_array(jb, key);
	for (unsigned i = 0; i < n; i++)
		jb_strn(jb, NULL, (const uint8_t *)v[i], len[i]);
	jb_close(jb);
}

