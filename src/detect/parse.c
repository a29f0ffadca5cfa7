/*
 * parse.c - Suricata rule syntax:
 *
 *   action proto src_addr src_port -> dst_addr dst_port (key:value; key; ...)
 *
 * Options are split on ';' outside double quotes, with backslash escapes
 * (\; \" \\) as Suricata allows them; each option goes to its keyword's
 * setup function from keywords.def.  An unknown keyword or an app-layer
 * protocol vigil does not parse yet makes the rule "unsupported" (skipped
 * with one warning naming the keyword), never a crash.  Every loop over
 * rule text is bounded by the text's length; lengths are capped
 * (RULE_MAX_LEN, option counts).
 */
#include "parse.h"
#include "xform.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "util.h"
#include "app.h"
#include "kw_gap.h"

#define RULE_MAX_LEN (64 * 1024)
#define RULE_MAX_OPTS 512

const char *const buffer_names[BUF_MAX] = {
#define X(id, name, help) name,
#include "buffers.def"
#undef X
};

/* Which part of an HTTP transaction buffer b comes from (rule.h). */
static uint8_t http_part_of(int b)
{
	switch (b) {
	case BUF_HTTP_METHOD: case BUF_HTTP_URI: case BUF_HTTP_URI_RAW:
	case BUF_HTTP_REQUEST_LINE:
		return HTTP_P_REQ_LINE;
	case BUF_HTTP_HOST: case BUF_HTTP_HOST_RAW:
	case BUF_HTTP_USER_AGENT: case BUF_HTTP_REFERER: case BUF_HTTP_ACCEPT:
	case BUF_HTTP_ACCEPT_ENC: case BUF_HTTP_ACCEPT_LANG: case BUF_HTTP_REQUEST_HEADER:
		return HTTP_P_REQ_HEAD;
	case BUF_HTTP_REQUEST_BODY:
		return HTTP_P_REQ_BODY;
	case BUF_HTTP_STAT_CODE: case BUF_HTTP_STAT_MSG: case BUF_HTTP_RESPONSE_LINE:
	case BUF_HTTP_SERVER: case BUF_HTTP_LOCATION: case BUF_HTTP_RESPONSE_HEADER:
		return HTTP_P_RESP_HEAD;
	case BUF_HTTP_RESPONSE_BODY:
		return HTTP_P_RESP_BODY;
	case BUF_HTTP_PROTOCOL: case BUF_HTTP_HEADER: case BUF_HTTP_HEADER_RAW:
	case BUF_HTTP_HEADER_NAMES: case BUF_HTTP_COOKIE: case BUF_HTTP_CONTENT_TYPE:
	case BUF_HTTP_CONTENT_LEN: case BUF_HTTP_CONNECTION: case BUF_HTTP_START:
	case BUF_HTTP2_HEADER_NAME: case BUF_HTTP2_HEADER:
		return HTTP_P_DIR_HEAD;
	case BUF_FILE_DATA:
		return HTTP_P_DIR_BODY;
	}
	return 0;
}

/* A buffer's HTTP part in a => rule where "to_server"/"to_client" (side
 * 1/2) picked the direction of a header-wide or body buffer. */
static uint8_t side_part(uint8_t part, uint8_t side)
{
	if (part == HTTP_P_DIR_HEAD && side)
		return side == 1 ? HTTP_P_REQ_HEAD : HTTP_P_RESP_HEAD;
	if (part == HTTP_P_DIR_BODY && side)
		return side == 1 ? HTTP_P_REQ_BODY : HTTP_P_RESP_BODY;
	return part;
}

/* The direction of a transaction buffer b comes from: 1 to server, 2 to
 * client, 3 either (http.header, file.data: ambiguous in a => rule), 0
 * not known here. */
int buffer_side(int b)
{
	switch (http_part_of(b)) {
	case HTTP_P_REQ_LINE: case HTTP_P_REQ_HEAD: case HTTP_P_REQ_BODY:
		return 1;
	case HTTP_P_RESP_HEAD: case HTTP_P_RESP_BODY:
		return 2;
	case HTTP_P_DIR_HEAD: case HTTP_P_DIR_BODY:
		return 3;
	}
	switch (b) {
	case BUF_JA3_HASH: case BUF_JA3_STRING: case BUF_TLS_SNI: case BUF_DNS_QUERY:
		return 1;
	case BUF_JA3S_HASH: case BUF_JA3S_STRING: case BUF_TLS_CERT_SUBJECT:
	case BUF_TLS_CERT_ISSUER: case BUF_TLS_CERT_SERIAL: case BUF_TLS_CERT_FINGERPRINT:
	case BUF_TLS_CERTS: case BUF_TLS_SAN: case BUF_DNS_ANSWER_NAME: case BUF_DNS_RESPONSE_RRNAME:
		return 2;
	}
	return 0;
}

/* A => rule, as Suricata 8 checks it: no flow direction, every buffer of
 * a known direction (an ambiguous one says which with ": to_server" or
 * ": to_client"), and both directions used. */
static int txdir_check(struct rule *r, struct parse_ctx *pc)
{
	if (r->flow_flags & (RF_TOSERVER | RF_TOCLIENT)) {
		snprintf(pc->err, sizeof(pc->err), "a transactional (=>) rule means to use both directions, "
			 "cannot specify a flow direction");
		return -1;
	}
	unsigned used = 0;
	bool unknown = false;
	for (int b = 1; b < BUF_MAX; b++) {
		if (!r->lists[b].cnt)
			continue;
		int d = buffer_side(b);
		if (d == 3) {
			snprintf(pc->err, sizeof(pc->err), "a transactional (=>) rule means to use both directions, "
				 "cannot have keywords ambiguous about directions (%s: say to_server or to_client)",
				 buffer_names[b]);
			return -1;
		}
		used |= (unsigned)d;
		unknown |= d == 0;
	}
	for (unsigned i = 0; i < r->nxl; i++) {
		int d = r->xl[i].side ? r->xl[i].side : buffer_side(r->xl[i].buf);
		if (d == 3) {
			snprintf(pc->err, sizeof(pc->err), "a transactional (=>) rule means to use both directions, "
				 "cannot have keywords ambiguous about directions (%s: say to_server or to_client)",
				 buffer_names[r->xl[i].buf]);
			return -1;
		}
		used |= (unsigned)d;
		unknown |= d == 0;
	}
	for (unsigned i = 0; i < r->nac; i++)
		if (r->ac[i].type == AC_FILESIZE && r->ac[i].mask) {
			used |= r->ac[i].mask;
			/* evaluated where that direction's file ends */
			if (r->http_parts)
				r->http_parts |= r->ac[i].mask == 1 ? HTTP_P_REQ_BODY : HTTP_P_RESP_BODY;
		}
	if (used != 3 && !unknown) {
		snprintf(pc->err, sizeof(pc->err), "a transactional (=>) rule should use both directions, but does not");
		return -1;
	}
	return 0;
}

static pthread_mutex_t names_lock = PTHREAD_MUTEX_INITIALIZER;
static char *names[NS_COUNT][NAME_MAX_PER_SPACE];
static uint32_t names_cnt[NS_COUNT];

static uint64_t pool_hash(const char *s, size_t len)
{
	uint64_t h = 1469598103934665603ull; /* FNV-1a */
	for (size_t i = 0; i < len; i++)
		h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
	return h;
}

static bool pool_grow(struct str_pool *sp)
{
	uint32_t nc = sp->cap ? sp->cap * 2 : 1024;
	char **ns = v_calloc(nc, sizeof(*ns));
	if (!ns)
		return false;
	for (uint32_t i = 0; i < sp->cap; i++) {
		if (!sp->slot[i])
			continue;
		uint32_t j = (uint32_t)pool_hash(sp->slot[i], strlen(sp->slot[i])) & (nc - 1);
		while (ns[j])
			j = (j + 1) & (nc - 1);
		ns[j] = sp->slot[i];
	}
	sp->bytes += (uint64_t)(nc - sp->cap) * sizeof(*ns);
	v_free(sp->slot);
	sp->slot = ns;
	sp->cap = nc;
	return true;
}

const char *str_pool_get(struct str_pool *sp, const char *s, size_t len)
{
	if ((sp->cnt + 1) * 2 > sp->cap && !pool_grow(sp))
		return NULL;
	uint32_t j = (uint32_t)pool_hash(s, len) & (sp->cap - 1);
	for (; sp->slot[j]; j = (j + 1) & (sp->cap - 1))
		if (!strncmp(sp->slot[j], s, len) && !sp->slot[j][len])
			return sp->slot[j];
	char *d = v_malloc(len + 1);
	if (!d)
		return NULL;
	memcpy(d, s, len);
	d[len] = '\0';
	sp->slot[j] = d;
	sp->cnt++;
	sp->bytes += len + 1;
	return d;
}

void str_pool_free(struct str_pool *sp)
{
	for (uint32_t i = 0; i < sp->cap; i++)
		v_free(sp->slot[i]);
	v_free(sp->slot);
	memset(sp, 0, sizeof(*sp));
}

uint32_t name_intern(int space, const char *name)
{
	uint32_t id = UINT32_MAX;
	pthread_mutex_lock(&names_lock);
	for (uint32_t i = 0; i < names_cnt[space]; i++) {
		if (!strcmp(names[space][i], name)) {
			id = i;
			goto out;
		}
	}
	if (names_cnt[space] < NAME_MAX_PER_SPACE) {
		char *d = v_strdup(name);
		if (d) {
			id = names_cnt[space]++;
			names[space][id] = d;
		}
	}
out:
	pthread_mutex_unlock(&names_lock);
	return id;
}

struct flow_counts *rule_fc(struct rule *r)
{
	if (!r->fc)
		r->fc = v_calloc(1, sizeof(*r->fc));
	return r->fc;
}

struct numcmp *rule_hdr(struct rule *r)
{
	if (!r->hdr)
		r->hdr = v_calloc(HC_MAX, sizeof(*r->hdr));
	return r->hdr;
}

static void sm_list_free(struct sm_list *l)
{
	for (uint32_t i = 0; i < l->cnt; i++) {
		struct sm *s = &l->v[i];
		if (s->type == SM_CONTENT) {
			v_free(s->u.c.pat);
			v_free(s->u.c.lower);
		} else if (s->type == SM_PCRE) {
			pcre2_code_free(s->u.pcre.re);
			v_free(s->u.pcre.src);
			v_free(s->u.pcre.cap);
		} else if (s->type == SM_DATASET) {
			v_free(s->u.ds.ctx_key);
		}
	}
	v_free(l->v);
}

void rule_free(struct rule *r)
{
	if (!r)
		return;
	v_free(r->msg);
	if (r->meta_owned)
		for (unsigned i = 0; i < r->nmeta; i++)
			v_free((char *)r->meta[i]);
	v_free(r->meta);
	v_free(r->text);
	v_free(r->file);
	if (!r->sets_shared) {
		addr_set_free(&r->src);
		addr_set_free(&r->dst);
		port_set_free(&r->sp);
		port_set_free(&r->dp);
	}
	v_free(r->fb);
	v_free(r->fi);
	v_free(r->xb);
	for (int b = 0; b < r->nlists; b++)
		sm_list_free(&r->lists[b]);
	for (unsigned i = 0; i < r->nxl; i++) {
		sm_list_free(&r->xl[i].list);
		xlist_free(&r->xl[i]);
	}
	v_free(r->xl);
	v_free(r->lists);
	v_free(r->hdr);
	v_free(r->fc);
	v_free(r->ipr);
	for (unsigned i = 0; r->ac && i < r->nac; i++)
		if (r->ac[i].hl) {
			v_free(r->ac[i].hl->v);
			v_free(r->ac[i].hl);
		}
	v_free(r->ac);
	kw_gap_rule_free(r->gap);
	for (int i = 0; i < r->nvars; i++)
		v_free(r->var_names[i]);
	v_free(r->var_names);
	v_free(r);
}

int content_decode(const char *s, uint8_t *out, size_t cap, char *err, size_t errlen)
{
	size_t n = 0;
	bool hex = false;
	int nib = -1;
	for (const char *p = s; *p; p++) {
		char ch = *p;
		if (ch == '|') {
			if (hex && nib >= 0) {
				snprintf(err, errlen, "odd number of hex digits");
				return -1;
			}
			hex = !hex;
			continue;
		}
		if (hex) {
			if (isspace((unsigned char)ch))
				continue;
			int v = hex_digit((uint8_t)ch);
			if (v < 0) {
				snprintf(err, errlen, "bad hex character '%c'", ch);
				return -1;
			}
			if (nib < 0) {
				nib = v;
			} else {
				if (n >= cap)
					goto too_long;
				out[n++] = (uint8_t)(nib << 4 | v);
				nib = -1;
			}
			continue;
		}
		if (ch == '\\') {
			char nx = p[1];
			if (nx == '"' || nx == ';' || nx == '\\' || nx == ':') {
				ch = nx;
				p++;
			} else {
				snprintf(err, errlen, "bad escape \"\\%c\"", nx ? nx : ' ');
				return -1;
			}
		} else if (ch == '"' || ch == ';') {
			snprintf(err, errlen, "unescaped '%c' in content", ch);
			return -1;
		}
		if (n >= cap)
			goto too_long;
		out[n++] = (uint8_t)ch;
	}
	if (hex) {
		snprintf(err, errlen, "unterminated |hex| section");
		return -1;
	}
	return (int)n;
too_long:
	snprintf(err, errlen, "content longer than %zu bytes", cap);
	return -1;
}

static const struct kw_entry *kw_find(const char *name)
{
	for (size_t i = 0; i < kw_count; i++)
		if (!strcmp(kw_table[i].name, name))
			return &kw_table[i];
	return NULL;
}

/* App-layer protocols Suricata accepts in the header; vigil detects none
 * of them yet, so their rules are unsupported rather than wrong. */
static const char *const hdr_alproto_names[] = {
	"http", "http1", "http2", "dns", "tls", "ssl", "ssh", "smtp", "ftp", "ftp-data", "smb",
	"dcerpc", "dhcp", "ntp", "nfs", "krb5", "snmp", "sip", "rfb", "mqtt", "rdp", "ike",
	"modbus", "dnp3", "enip", "imap", "pop3", "quic", "websocket", "ldap", "pgsql",
	"telnet", "tftp", "bittorrent-dht", "irc", "mdns", "doh2", "dns-over-https",
};

static int parse_proto(struct rule *r, const char *name, struct parse_ctx *pc)
{
	/* Suricata reads protocol names case-insensitively ("IP", "TCP") */
	char p[48];
	size_t n = 0;
	for (; name[n] && n < sizeof(p) - 1; n++)
		p[n] = (char)tolower((unsigned char)name[n]);
	p[n] = '\0';
	/* a rule hook (Suricata 8): "tcp:flow_start" inspects the first
	 * packet of each direction of a flow; the app-layer hooks are not
	 * in vigil */
	char *hook = strchr(p, ':');
	if (hook) {
		*hook++ = '\0';
		bool pkt_proto = !strcmp(p, "tcp") || !strcmp(p, "udp") || !strcmp(p, "ip") ||
				 !strcmp(p, "icmp") || !strcmp(p, "icmpv6") || !strcmp(p, "sctp") ||
				 !strcmp(p, "ipv4") || !strcmp(p, "ipv6");
		if (!pkt_proto || strcmp(hook, "flow_start")) {
			snprintf(pc->kw, sizeof(pc->kw), "hook %.20s:%.20s", p, hook);
			snprintf(pc->err, sizeof(pc->err), "rule hook \"%.20s:%.20s\" is not supported (only the "
				 "packet protocols' flow_start)", p, hook);
			pc->unsupported = true;
			return -1;
		}
		r->flow_start = true;
	}
	if (!strcmp(p, "ipv4") || !strcmp(p, "ipv6")) {
		/* any IP protocol of that version */
		r->proto = 0;
		r->ipver = p[3] == '4' ? 4 : 6;
		return 0;
	}
	if (!strcmp(p, "tcp") || !strcmp(p, "tcp-pkt") || !strcmp(p, "tcp-stream"))
		r->proto = 6;
	else if (!strcmp(p, "udp"))
		r->proto = 17;
	else if (!strcmp(p, "icmp"))
		r->proto = 1;
	else if (!strcmp(p, "icmpv6"))
		r->proto = 58;
	else if (!strcmp(p, "ip") || !strcmp(p, "pkthdr"))
		r->proto = 0;
	else if (!strcmp(p, "sctp"))
		r->proto = 132;
	else if (!strcmp(p, "http1")) {
		r->proto = 0;
		r->alproto = ALP_HTTP1; /* "http" is HTTP/1 and HTTP/2 */
	} else if (alproto_lookup(p) > 0) {
		r->proto = 0;
		r->alproto = (uint8_t)alproto_lookup(p);
	} else {
		for (size_t i = 0; i < ARRAY_SIZE(hdr_alproto_names); i++) {
			if (!strcmp(p, hdr_alproto_names[i])) {
				snprintf(pc->kw, sizeof(pc->kw), "protocol %.40s", p);
				snprintf(pc->err, sizeof(pc->err),
					 "protocol \"%.40s\" needs app-layer detection, not supported yet", p);
				pc->unsupported = true;
				return -1;
			}
		}
		snprintf(pc->err, sizeof(pc->err), "unknown protocol \"%.64s\"", name);
		return -1;
	}
	if (!strcmp(p, "tcp-pkt"))
		r->flow_flags |= RF_NO_STREAM;
	else if (!strcmp(p, "tcp-stream"))
		r->flow_flags |= RF_ONLY_STREAM;
	return 0;
}

/* Reads one header token (a bracketed list may contain spaces). */
static const char *next_token(const char *p, char *out, size_t cap)
{
	while (isspace((unsigned char)*p))
		p++;
	size_t n = 0;
	int lvl = 0;
	while (*p && (lvl > 0 || !isspace((unsigned char)*p)) && *p != '(') {
		if (*p == '[')
			lvl++;
		else if (*p == ']')
			lvl--;
		if (n + 1 < cap)
			out[n++] = *p;
		p++;
	}
	out[n] = '\0';
	return p;
}

static int apply_option(struct rule *r, char *opt, struct parse_ctx *pc)
{
	char *colon = NULL;
	/* the keyword ends at the first ':' outside quotes */
	for (char *q = opt; *q; q++) {
		if (*q == ':') {
			colon = q;
			break;
		}
		if (*q == '"')
			break;
	}
	char *arg = NULL;
	if (colon) {
		*colon = '\0';
		arg = colon + 1;
		while (isspace((unsigned char)*arg))
			arg++;
		size_t al = strlen(arg);
		while (al && isspace((unsigned char)arg[al - 1]))
			arg[--al] = '\0';
	}
	char *name = opt;
	while (isspace((unsigned char)*name))
		name++;
	size_t nl = strlen(name);
	while (nl && isspace((unsigned char)name[nl - 1]))
		name[--nl] = '\0';
	const struct kw_entry *kw = kw_find(name);
	if (!kw) {
		snprintf(pc->kw, sizeof(pc->kw), "%s", name);
		snprintf(pc->err, sizeof(pc->err), "keyword \"%s\" is not supported", name);
		pc->unsupported = true;
		return -1;
	}
	return kw->setup(r, arg, pc);
}

/* Chooses the fast pattern: the flagged content, else the longest
 * positive content, preferring a sticky buffer's (it is scanned only when
 * the protocol produced that buffer). */
static void choose_fast_pattern(struct rule *r)
{
	r->fp_buf = -1;
	r->fp_idx = -1;
	uint32_t best = 0;
	for (int b = 0; b < r->nlists; b++) {
		if (b == BUF_BASE64_DATA)
			continue; /* made by the rule itself: never scanned */
		for (uint32_t i = 0; i < r->lists[b].cnt; i++) {
			const struct sm *s = &r->lists[b].v[i];
			if (s->type != SM_CONTENT || s->u.c.negated)
				continue;
			uint32_t len = s->u.c.fp_len ? s->u.c.fp_len : s->u.c.len;
			if (s->u.c.fast_pattern) {
				r->fp_buf = (int16_t)b;
				r->fp_idx = (int32_t)i;
				return;
			}
			if (len > best || (b > 0 && r->fp_buf == BUF_PAYLOAD)) {
				best = len;
				r->fp_buf = (int16_t)b;
				r->fp_idx = (int32_t)i;
			}
		}
	}
}

/* Suricata reads a rule's "requires" before anything else: a rule for
 * another version is skipped whatever else it holds.  0: skip it. */
static int requires_first(const char *text, struct parse_ctx *pc)
{
	const char *p = strchr(text, '(');
	if (!p)
		return 1;
	for (p++; *p;) {
		while (isspace((unsigned char)*p))
			p++;
		const char *o = p;
		while (*p && *p != ';') {
			if (*p == '\\' && p[1])
				p++;
			p++;
		}
		if (!strncmp(o, "requires", 8)) {
			const char *q = o + 8;
			while (isspace((unsigned char)*q))
				q++;
			if (*q == ':') {
				char arg[256];
				size_t n = MIN((size_t)(p - q - 1), sizeof(arg) - 1);
				memcpy(arg, q + 1, n);
				arg[n] = '\0';
				if (!rule_requires_met(arg, pc))
					return 0;
			}
		}
		if (*p)
			p++;
	}
	return 1;
}

struct rule *rule_parse(const char *text, struct parse_ctx *pc)
{
	pc->err[0] = pc->kw[0] = '\0';
	pc->unsupported = false;
	pc->requires_unmet = false;
	if (strstr(text, "requires") && !requires_first(text, pc)) {
		pc->unsupported = pc->requires_unmet = true;
		return NULL;
	}
	size_t len = strlen(text);
	if (len > RULE_MAX_LEN) {
		snprintf(pc->err, sizeof(pc->err), "rule longer than %d bytes", RULE_MAX_LEN);
		return NULL;
	}
	struct rule *r = v_calloc(1, sizeof(*r));
	char *buf = v_malloc(len + 1);
	if (r && (r->lists = v_calloc(BUF_MAX, sizeof(*r->lists)))) {
		r->nlists = BUF_MAX;
		for (int b = 0; b < BUF_MAX; b++)
			r->lists[b].buf = (uint16_t)b;
	}
	if (!r || !buf || !r->lists) {
		snprintf(pc->err, sizeof(pc->err), "out of memory");
		goto fail;
	}
	r->gid = 1;
	r->priority = 3;
	r->cur_buf = BUF_PAYLOAD;
	r->cur_xl = -1;
	r->fp_buf = -1;
	char tok[4096], src[4096], sp[4096], dir[8], dst[4096], dp[4096];
	const char *p = next_token(text, tok, sizeof(tok));
	if (!strcmp(tok, "alert"))
		r->action = ACT_ALERT;
	else if (!strcmp(tok, "pass"))
		r->action = ACT_PASS;
	else if (!strcmp(tok, "drop"))
		r->action = ACT_DROP;
	else if (!strcmp(tok, "reject") || !strcmp(tok, "rejectsrc") ||
		 !strcmp(tok, "rejectdst") || !strcmp(tok, "rejectboth"))
		r->action = ACT_REJECT;
	else if (!strcmp(tok, "config"))
		r->action = ACT_CONFIG;
	else {
		snprintf(pc->err, sizeof(pc->err), "unknown action \"%.64s\"", tok);
		goto fail;
	}
	p = next_token(p, tok, sizeof(tok));
	if (parse_proto(r, tok, pc) < 0)
		goto fail;
	p = next_token(p, src, sizeof(src));
	p = next_token(p, sp, sizeof(sp));
	p = next_token(p, dir, sizeof(dir));
	p = next_token(p, dst, sizeof(dst));
	p = next_token(p, dp, sizeof(dp));
	if (!strcmp(dir, "<>")) {
		r->bidir = true;
	} else if (!strcmp(dir, "=>")) {
		/* transactional: both directions of a transaction, the
		 * addresses as written (indexed both ways: the response
		 * packet has them reversed) */
		r->txdir = true;
		r->bidir = true;
	} else if (strcmp(dir, "->")) {
		snprintf(pc->err, sizeof(pc->err), "bad direction \"%.8s\" (want ->, <> or =>)", dir);
		goto fail;
	}
	if (addr_parse(src, &r->src, &pc->vars, pc->err, sizeof(pc->err)) < 0 ||
	    addr_parse(dst, &r->dst, &pc->vars, pc->err, sizeof(pc->err)) < 0 ||
	    port_parse(sp, &r->sp, &pc->vars, pc->err, sizeof(pc->err)) < 0 ||
	    port_parse(dp, &r->dp, &pc->vars, pc->err, sizeof(pc->err)) < 0)
		goto fail;
	while (isspace((unsigned char)*p))
		p++;
	if (*p != '(') {
		snprintf(pc->err, sizeof(pc->err), "expected '(' before the options");
		goto fail;
	}
	p++;
	const char *end = text + len;
	while (end > p && isspace((unsigned char)end[-1]))
		end--;
	if (end <= p || end[-1] != ')') {
		snprintf(pc->err, sizeof(pc->err), "options not closed with ')'");
		goto fail;
	}
	end--;
	/* split the options */
	size_t n = 0, nopts = 0;
	/* as Suricata: an option ends at the first ';' not escaped with a
	 * backslash, quotes or not (a ';' inside content is written |3b| or
	 * \;), so a pcre such as "/^["']?x/" keeps its odd quote */
	for (const char *q = p; q < end; q++) {
		if (*q == '\\' && q + 1 < end) {
			buf[n++] = *q++;
			buf[n++] = *q;
			continue;
		}
		if (*q == ';') {
			buf[n] = '\0';
			char *o = buf;
			while (isspace((unsigned char)*o))
				o++;
			if (*o) {
				if (++nopts > RULE_MAX_OPTS) {
					snprintf(pc->err, sizeof(pc->err), "too many options");
					goto fail;
				}
				if (apply_option(r, o, pc) < 0)
					goto fail;
			}
			n = 0;
			continue;
		}
		buf[n++] = *q;
	}
	buf[n] = '\0';
	for (char *o = buf; *o; o++) {
		if (!isspace((unsigned char)*o)) {
			snprintf(pc->err, sizeof(pc->err), "last option not ended with ';'");
			goto fail;
		}
	}
	if (!r->sid) {
		snprintf(pc->err, sizeof(pc->err), "no sid");
		goto fail;
	}
	if (r->action == ACT_CONFIG && !r->config_nolog) {
		snprintf(pc->err, sizeof(pc->err), "a config rule without config: (logging disable, type tx, scope tx)");
		goto fail;
	}
	if (!r->msg && !(r->msg = v_strdup("")))
		goto fail;
	for (int b = 0; b < BUF_MAX; b++)
		if (r->lists[b].cnt)
			r->http_parts |= http_part_of(b);
	for (unsigned i = 0; i < r->nxl; i++) {
		if (!r->xl[i].list.cnt) {
			snprintf(pc->err, sizeof(pc->err), r->xl[i].side && !r->xl[i].n
				 ? "%s: a direction with nothing after it to inspect"
				 : "a transform with nothing after it to inspect", buffer_names[r->xl[i].buf]);
			goto fail;
		}
		r->http_parts |= side_part(http_part_of(r->xl[i].buf), r->xl[i].side);
	}
	/* an HTTP rule that also names its files (file.name, file.magic,
	 * filename, filemagic, a hash or size) is evaluated where a file of
	 * its direction ends, with the transaction's heads: files come with
	 * the body */
	if (r->http_parts && !r->txdir) {
		bool files = r->lists[BUF_FILE_NAME].cnt || r->lists[BUF_FILE_MAGIC].cnt;
		for (unsigned i = 0; i < r->nac && !files; i++)
			files = r->ac[i].type == AC_FILESIZE || r->ac[i].type == AC_FILEHASH;
		for (unsigned i = 0; i < r->nxl && !files; i++)
			files = r->xl[i].buf == BUF_FILE_NAME || r->xl[i].buf == BUF_FILE_MAGIC;
		if (files)
			r->http_parts |= HTTP_P_DIR_BODY;
	}
	if (r->txdir && txdir_check(r, pc) < 0)
		goto fail;
	choose_fast_pattern(r);
	/* a => rule is a candidate on every packet of its protocol: its
	 * patterns may be in the other direction's buffers */
	if (r->txdir) {
		r->fp_buf = -1;
		r->fp_idx = -1;
	}
	/* keep only the lists of the buffers used, in buffer order */
	unsigned used = 0;
	for (int b = 0; b < BUF_MAX; b++)
		used += r->lists[b].cnt != 0;
	struct sm_list *kept = used ? v_malloc(used * sizeof(*kept)) : NULL;
	if (used && !kept) {
		snprintf(pc->err, sizeof(pc->err), "out of memory");
		goto fail;
	}
	for (int b = 0, k = 0; b < BUF_MAX; b++) {
		if (r->lists[b].cnt)
			kept[k++] = r->lists[b];
		else
			v_free(r->lists[b].v); /* emptied (its matches moved, uricontent) */
	}
	v_free(r->lists);
	r->lists = kept;
	r->nlists = (uint16_t)used;
	r->compact = true;
	v_free(buf);
	return r;
fail:
	v_free(buf);
	rule_free(r);
	return NULL;
}
