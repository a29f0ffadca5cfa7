/*
 * kw_gap.c - keywords of Suricata 8 that vigil lacked (issue 12), kept
 * apart from kw.c: the certificate validity dates (tls_cert_notbefore,
 * tls_cert_notafter, tls_cert_expired, tls_cert_valid), the IP header
 * keywords fragoffset, ipopts and vlan.layers, the LDAP attribute type
 * buffers and the sdp.* buffers of SIP message bodies.
 *
 * Each setup function parses its argument into the rule as kw.c's do:
 * header keywords are header checks (rule.hdr, HC_*), the TLS dates an
 * app-layer condition (AC_TLS_VALIDITY) matched by kw_gap_tls_validity_ok
 * on the packet that brings the server's certificate, the LDAP keywords
 * sticky buffers filled by engine.c from the BER vigil keeps of each
 * message.  The dates are compared in seconds since the epoch, UTC, in
 * 64 bits, so certificates before 1970 and after 2038 compare right.
 * The few helpers of kw.c they need are small copies here, so that kw.c
 * keeps its statics.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "app.h"
#include "decode.h"
#include "kw_gap.h"
#include "payload.h"
#include "util.h"
#include "xform.h"

/* ---- a header check (kw.c reads the numbers: kw_i64, kw_numcmp) ---- */

/* A header check hc of the rule, set to c. */
static int add_hdr(struct rule *r, int hc, const struct numcmp *c, const char *kw,
		   struct parse_ctx *pc)
{
	if (r->hdr_mask & (1u << hc))
		FAIL("%s given twice", kw);
	struct numcmp *h = rule_hdr(r);
	if (!h)
		FAIL("out of memory");
	h[hc] = *c;
	r->hdr_mask |= 1u << hc;
	return 0;
}

/* ---- dates ---- */

/* Days from 1970-01-01 to y-m-d of the proleptic Gregorian calendar. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* n digits at *s as a number in [lo, hi]; advances *s. */
static bool digits(const char **s, int n, int lo, int hi, int *out)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*s)[i]))
			return false;
		v = v * 10 + ((*s)[i] - '0');
	}
	if (v < lo || v > hi)
		return false;
	*s += n;
	*out = v;
	return true;
}

static int64_t epoch_of(int y, int mo, int d, int h, int mi, int se)
{
	return days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
}

int kw_gap_date(const char *s0, int64_t *out)
{
	char buf[40];
	if (strlen(s0) >= sizeof(buf))
		return -1;
	str_lcpy(buf, s0, sizeof(buf));
	const char *s = kw_trim(buf);
	if (!*s)
		return -1;
	/* four digits: a year (2015 is 2015-01-01, as Suricata 9 and the
	 * user guide's example read it; 8.0 read seconds); other digits only:
	 * seconds since the epoch */
	if (strlen(s) == 4 && strspn(s, "0123456789") == 4) {
		*out = epoch_of(atoi(s), 1, 1, 0, 0, 0);
		return 0;
	}
	if (strspn(s, "0123456789") == strlen(s)) {
		if (strlen(s) > 12)
			return -1;
		*out = strtoll(s, NULL, 10);
		return 0;
	}
	int y, mo, d = 1, h = 0, mi = 0, se = 0;
	if (!digits(&s, 4, 0, 9999, &y) || *s++ != '-' || !digits(&s, 2, 1, 12, &mo))
		return -1;
	if (*s == '-') {
		s++;
		if (!digits(&s, 2, 1, 31, &d))
			return -1;
		if (*s == ' ' || *s == 'T') {
			s++;
			if (!digits(&s, 2, 0, 23, &h))
				return -1;
			if (*s == ':') {
				s++;
				if (!digits(&s, 2, 0, 59, &mi))
					return -1;
				if (*s == ':') {
					s++;
					if (!digits(&s, 2, 0, 60, &se))
						return -1;
				}
			}
		}
	}
	if (*s)
		return -1;
	*out = epoch_of(y, mo, d, h, mi, se);
	return 0;
}

bool kw_gap_cert_time(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, se;
	if (!s || !digits(&s, 4, 0, 9999, &y) || *s++ != '-' || !digits(&s, 2, 1, 12, &mo) ||
	    *s++ != '-' || !digits(&s, 2, 1, 31, &d) || *s++ != 'T' || !digits(&s, 2, 0, 23, &h) ||
	    *s++ != ':' || !digits(&s, 2, 0, 59, &mi) || *s++ != ':' || !digits(&s, 2, 0, 60, &se) ||
	    *s)
		return false;
	*out = epoch_of(y, mo, d, h, mi, se);
	return true;
}

/* ---- tls_cert_notbefore, tls_cert_notafter, tls_cert_expired, tls_cert_valid ---- */

/* [<|>]DATE or DATE<>DATE: the certificate's date equal to, at most, at
 * least, or within (inclusive) the dates, as Suricata's
 * detect-tls-cert-validity (whose < and > include the date). */
static int tls_date(struct rule *r, const char *arg, uint32_t which, const char *kw,
		    struct parse_ctx *pc)
{
	if (!arg || !*arg)
		FAIL("%s needs a value: [<|>]DATE or DATE<>DATE", kw);
	char tmp[96];
	if (strlen(arg) >= sizeof(tmp))
		FAIL("%s: value too long \"%.40s...\"", kw, arg);
	str_lcpy(tmp, arg, sizeof(tmp));
	char *t = kw_trim(tmp), *sep;
	struct numcmp c = { CMP_EQ, 0, 0 };
	int64_t a, b;
	if (*t == '<' || *t == '>') {
		c.op = *t == '<' ? CMP_LE : CMP_GE;
		t++;
		if (strstr(t, "<>"))
			FAIL("%s: a range with a mode (< or >) in \"%s\"", kw, arg);
	}
	if ((sep = strstr(t, "<>"))) {
		*sep = '\0';
		if (kw_gap_date(t, &a) < 0 || kw_gap_date(sep + 2, &b) < 0)
			FAIL("%s: bad date in \"%s\" (YYYY-MM[-DD[ HH[:MM[:SS]]]] or epoch seconds)", kw, arg);
		if (b <= a)
			FAIL("%s: the range's second date must be after the first in \"%s\"", kw, arg);
		c.op = CMP_RANGE_IN;
	} else if (kw_gap_date(t, &a) < 0) {
		FAIL("%s: bad date \"%s\" (YYYY-MM[-DD[ HH[:MM[:SS]]]] or epoch seconds)", kw, arg);
	} else {
		b = 0;
	}
	c.a = (uint64_t)a;
	c.b = (uint64_t)b;
	struct app_cond *ac = kw_add_ac(r, AC_TLS_VALIDITY, ALP_TLS, pc);
	if (!ac)
		return -1;
	ac->mask = which;
	ac->c = c;
	return 0;
}

static int tls_flag(struct rule *r, const char *arg, uint32_t which, const char *kw,
		    struct parse_ctx *pc)
{
	if (arg && *arg)
		FAIL("%s takes no value (got \"%s\")", kw, arg);
	struct app_cond *ac = kw_add_ac(r, AC_TLS_VALIDITY, ALP_TLS, pc);
	if (!ac)
		return -1;
	ac->mask = which;
	return 0;
}

int kw_tls_cert_notbefore(struct rule *r, const char *a, struct parse_ctx *pc)
{
	return tls_date(r, a, TLSV_NOTBEFORE, "tls_cert_notbefore", pc);
}
int kw_tls_cert_notafter(struct rule *r, const char *a, struct parse_ctx *pc)
{
	return tls_date(r, a, TLSV_NOTAFTER, "tls_cert_notafter", pc);
}
int kw_tls_cert_expired(struct rule *r, const char *a, struct parse_ctx *pc)
{
	return tls_flag(r, a, TLSV_EXPIRED, "tls_cert_expired", pc);
}
int kw_tls_cert_valid(struct rule *r, const char *a, struct parse_ctx *pc)
{
	return tls_flag(r, a, TLSV_VALID, "tls_cert_valid", pc);
}

bool kw_gap_tls_validity_ok(const struct app_cond *c, const struct tls_info *t, int64_t now)
{
	int64_t v;
	if (!t || !kw_gap_cert_time(c->mask == TLSV_NOTBEFORE ? t->notbefore : t->notafter, &v))
		return false;
	int64_t a = (int64_t)c->c.a, b = (int64_t)c->c.b;
	switch (c->mask) {
	case TLSV_EXPIRED:
		return now > v;
	case TLSV_VALID:
		return now <= v;
	default:
		break;
	}
	switch (c->c.op) {
	case CMP_LE: return v <= a;
	case CMP_GE: return v >= a;
	case CMP_RANGE_IN: return v >= a && v <= b;
	default: return v == a;
	}
}

/* ---- fragoffset, ipopts, vlan.layers ---- */

/* fragoffset:[!|<|>]N: the IPv4 fragment offset field (8-byte units). */
int kw_fragoffset(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	struct numcmp c;
	if (!arg || !*arg)
		FAIL("fragoffset needs a value: [!|<|>]N");
	char tmp[32];
	str_lcpy(tmp, arg, sizeof(tmp));
	const char *t = kw_trim(tmp);
	/* Suricata takes one mode and a number, 0 .. 8191 */
	if (strlen(arg) >= sizeof(tmp) || ((*t == '<' || *t == '>') && t[1] == '=') ||
	    strstr(t, "<>") || (isdigit((unsigned char)*t) && strchr(t, '-')) ||
	    kw_numcmp(t, &c, 0x1fff) < 0)
		FAIL("fragoffset: bad value \"%s\" ([!|<|>]N, N 0 to 8191)", arg);
	return add_hdr(r, HC_FRAGOFF, &c, "fragoffset", pc);
}

static const struct { const char *name; uint16_t bit; } ipopt_names[] = {
	{ "rr", IPOPT_F_RR },	  { "eol", IPOPT_F_EOL },   { "nop", IPOPT_F_NOP },
	{ "ts", IPOPT_F_TS },	  { "sec", IPOPT_F_SEC },   { "esec", IPOPT_F_ESEC },
	{ "lsrr", IPOPT_F_LSRR }, { "ssrr", IPOPT_F_SSRR }, { "satid", IPOPT_F_SATID },
	{ "rtralt", IPOPT_F_RTRALT }, /* Suricata 9's */
	{ "any", 0 },
};

/* ipopts:NAME: an IPv4 packet whose header carries that option (any: some option). */
int kw_ipopts(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	if (!arg || !*arg)
		FAIL("ipopts needs a value: rr, eol, nop, ts, sec, esec, lsrr, ssrr, satid, rtralt or any");
	char tmp[16];
	str_lcpy(tmp, arg, sizeof(tmp));
	const char *t = kw_trim(tmp);
	for (size_t i = 0; i < ARRAY_SIZE(ipopt_names); i++)
		if (strlen(arg) < sizeof(tmp) && !strcasecmp(t, ipopt_names[i].name)) {
			struct numcmp c = { CMP_EQ, ipopt_names[i].bit, 0 };
			if (r->hdr_mask & (1u << HC_IPOPTS))
				FAIL("ipopts given twice (one option per rule, as Suricata)");
			return add_hdr(r, HC_IPOPTS, &c, "ipopts", pc);
		}
	FAIL("ipopts: unknown option \"%s\" (rr, eol, nop, ts, sec, esec, lsrr, ssrr, satid, rtralt, any)", arg);
}

/* vlan.layers:N (comparisons as dsize): how many VLAN tags the frame has. */
int kw_vlan_layers(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	struct numcmp c;
	if (!arg || !*arg || kw_numcmp(arg, &c, 255) < 0)
		FAIL("vlan.layers: bad value \"%s\" (N, !N, <N, >N, <=N, >=N, N-M, N<>M)", arg ? arg : "");
	return add_hdr(r, HC_VLAN_LAYERS, &c, "vlan.layers", pc);
}

/* ---- sticky buffers: ldap.*.attribute_type, sdp.* ---- */

/* kw.c's sticky buffer, refusing a value other than a direction */
static int sticky_dir(struct rule *r, enum buffer_id b, uint8_t alp, const char *a,
		      struct parse_ctx *pc)
{
	if (a && *a) {
		char tmp[16];
		str_lcpy(tmp, a, sizeof(tmp));
		const char *t = kw_trim(tmp);
		if (strcmp(t, "to_server") && strcmp(t, "to_client"))
			FAIL("%s takes no value (got \"%s\")", buffer_names[b], a);
	}
	return kw_sticky_dir(r, b, alp, a, pc);
}

int kw_ldap_request_attribute_type(struct rule *r, const char *a, struct parse_ctx *pc)
{
	return sticky_dir(r, BUF_LDAP_REQUEST_ATTRIBUTE_TYPE, ALP_LDAP, a, pc);
}
int kw_ldap_responses_attribute_type(struct rule *r, const char *a, struct parse_ctx *pc)
{
	return sticky_dir(r, BUF_LDAP_RESPONSES_ATTRIBUTE_TYPE, ALP_LDAP, a, pc);
}

/* sdp.*: the lines of a SIP message's SDP body (sip.c sdp_parse) */
int kw_sdp_origin(struct rule *r, const char *a, struct parse_ctx *pc) { return sticky_dir(r, BUF_SDP_ORIGIN, ALP_SIP, a, pc); }
int kw_sdp_session_name(struct rule *r, const char *a, struct parse_ctx *pc) { return sticky_dir(r, BUF_SDP_SESSION_NAME, ALP_SIP, a, pc); }
int kw_sdp_session_info(struct rule *r, const char *a, struct parse_ctx *pc) { return sticky_dir(r, BUF_SDP_SESSION_INFO, ALP_SIP, a, pc); }
int kw_sdp_uri(struct rule *r, const char *a, struct parse_ctx *pc) { return sticky_dir(r, BUF_SDP_URI, ALP_SIP, a, pc); }
int kw_sdp_email(struct rule *r, const char *a, struct parse_ctx *pc) { return sticky_dir(r, BUF_SDP_EMAIL, ALP_SIP, a, pc); }
int kw_sdp_phone_number(struct rule *r, const char *a, struct parse_ctx *pc) { return sticky_dir(r, BUF_SDP_PHONE_NUMBER, ALP_SIP, a, pc); }
int kw_sdp_connection_data(struct rule *r, const char *a, struct parse_ctx *pc) { return sticky_dir(r, BUF_SDP_CONNECTION_DATA, ALP_SIP, a, pc); }
int kw_sdp_bandwidth(struct rule *r, const char *a, struct parse_ctx *pc) { return sticky_dir(r, BUF_SDP_BANDWIDTH, ALP_SIP, a, pc); }
int kw_sdp_time(struct rule *r, const char *a, struct parse_ctx *pc) { return sticky_dir(r, BUF_SDP_TIME, ALP_SIP, a, pc); }
int kw_sdp_repeat_time(struct rule *r, const char *a, struct parse_ctx *pc) { return sticky_dir(r, BUF_SDP_REPEAT_TIME, ALP_SIP, a, pc); }
int kw_sdp_timezone(struct rule *r, const char *a, struct parse_ctx *pc) { return sticky_dir(r, BUF_SDP_TIMEZONE, ALP_SIP, a, pc); }
int kw_sdp_encryption_key(struct rule *r, const char *a, struct parse_ctx *pc) { return sticky_dir(r, BUF_SDP_ENCRYPTION_KEY, ALP_SIP, a, pc); }
int kw_sdp_attribute(struct rule *r, const char *a, struct parse_ctx *pc) { return sticky_dir(r, BUF_SDP_ATTRIBUTE, ALP_SIP, a, pc); }
int kw_sdp_media_media(struct rule *r, const char *a, struct parse_ctx *pc) { return sticky_dir(r, BUF_SDP_MEDIA_MEDIA, ALP_SIP, a, pc); }
int kw_sdp_media_media_info(struct rule *r, const char *a, struct parse_ctx *pc) { return sticky_dir(r, BUF_SDP_MEDIA_MEDIA_INFO, ALP_SIP, a, pc); }
int kw_sdp_media_connection_data(struct rule *r, const char *a, struct parse_ctx *pc) { return sticky_dir(r, BUF_SDP_MEDIA_CONNECTION_DATA, ALP_SIP, a, pc); }
int kw_sdp_media_encryption_key(struct rule *r, const char *a, struct parse_ctx *pc) { return sticky_dir(r, BUF_SDP_MEDIA_ENCRYPTION_KEY, ALP_SIP, a, pc); }

/* ---- rpc, pcre captures into variables, flowvar, pktvar ----
 *
 * rpc looks at the packet's payload (not the stream) as Suricata's
 * detect-rpc: an ONC RPC CALL (RFC 5531) after the 4-byte record mark on
 * TCP, at the start on UDP.  pcre's captures are noted while the rule's
 * lists are inspected (kw_gap_pcre_note) and kept only when the whole
 * rule matches (Suricata's post-match variables); flowvar and pktvar then
 * match, as in Suricata, when the variable contains the content. */

#define KW_VAR_CONDS_MAX 4

struct kw_gap_rule {
	bool rpc, rpc_vers, rpc_proc;  /* rpc given; version, procedure checked */
	uint32_t prog, vers, proc;
	uint8_t nvc;
	struct kw_var_cond {
		uint8_t kind;
		char name[KW_VAR_NAME_MAX];
		uint32_t len;
		uint8_t *pat;
	} vc[KW_VAR_CONDS_MAX];
};

struct kw_var {
	char name[KW_VAR_NAME_MAX];
	uint16_t len;
	uint8_t *val;
};

struct kw_vars {
	uint64_t pkt;                  /* the packet the packet variables are of */
	uint8_t n[2];
	struct kw_var v[2][KW_VARS_MAX]; /* [KW_VAR_FLOW], [KW_VAR_PKT] */
};

void kw_gap_rule_free(struct kw_gap_rule *g)
{
	if (!g)
		return;
	for (unsigned i = 0; i < g->nvc; i++)
		v_free(g->vc[i].pat);
	v_free(g);
}

static struct kw_gap_rule *gap_of(struct rule *r, struct parse_ctx *pc)
{
	if (!r->gap && !(r->gap = v_calloc(1, sizeof(*r->gap))))
		snprintf(pc->err, sizeof(pc->err), "out of memory");
	return r->gap;
}

bool kw_gap_has_rpc(const struct kw_gap_rule *g) { return g && g->rpc; }
bool kw_gap_has_vars(const struct kw_gap_rule *g) { return g && g->nvc; }

/* One rpc number: digits, at most 2^32 - 1; "*" (when star) is any. */
static int rpc_num(const char *s0, bool star, uint32_t *out, bool *any)
{
	char tmp[24];
	if (strlen(s0) >= sizeof(tmp))
		return -1;
	str_lcpy(tmp, s0, sizeof(tmp));
	const char *s = kw_trim(tmp);
	*any = false;
	if (star && (!strcmp(s, "*") || !*s)) {
		*any = true;
		return 0;
	}
	int64_t v;
	if (strspn(s, "0123456789") != strlen(s) || kw_i64(s, &v) < 0 || v > UINT32_MAX)
		return -1;
	*out = (uint32_t)v;
	return 0;
}

/* rpc:PROGRAM[, VERSION|*[, PROCEDURE|*]] */
int kw_rpc(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	if (!arg || !*arg)
		FAIL("rpc needs a value: PROGRAM[, VERSION|*[, PROCEDURE|*]]");
	char tmp[96];
	if (strlen(arg) >= sizeof(tmp))
		FAIL("rpc: value too long \"%.40s...\"", arg);
	str_lcpy(tmp, arg, sizeof(tmp));
	char *part[4] = { tmp, NULL, NULL, NULL };
	int n = 1;
	for (char *c = tmp; *c; c++)
		if (*c == ',') {
			if (n == 3)
				FAIL("rpc: more than three values in \"%s\" (PROGRAM, VERSION, PROCEDURE)", arg);
			*c = '\0';
			part[n++] = c + 1;
		}
	struct kw_gap_rule *g = gap_of(r, pc);
	if (!g)
		return -1;
	if (g->rpc)
		FAIL("rpc given twice");
	bool any_v = true, any_p = true, any;
	if (rpc_num(part[0], false, &g->prog, &any) < 0)
		FAIL("rpc: bad program number \"%s\" (0 to 4294967295)", kw_trim(part[0]));
	if (n > 1 && rpc_num(part[1], true, &g->vers, &any_v) < 0)
		FAIL("rpc: bad version \"%s\" (a number or *)", kw_trim(part[1]));
	if (n > 2 && rpc_num(part[2], true, &g->proc, &any_p) < 0)
		FAIL("rpc: bad procedure \"%s\" (a number or *)", kw_trim(part[2]));
	g->rpc = true;
	g->rpc_vers = !any_v;
	g->rpc_proc = !any_p;
	return 0;
}

static uint32_t be32_at(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

bool kw_gap_rpc_ok(const struct kw_gap_rule *g, uint8_t proto, const uint8_t *pl, uint32_t len)
{
	if (!g || !g->rpc)
		return true;
	if (proto == 6) {
		/* the record mark first */
		if (len < 4)
			return false;
		pl += 4;
		len -= 4;
	} else if (proto != 17) {
		return false;
	}
	/* xid, message type, RPC version, program, version, procedure */
	if (len < 24 || be32_at(pl + 4) != 0 || be32_at(pl + 8) != 2 || be32_at(pl + 12) != g->prog)
		return false;
	if (g->rpc_vers && be32_at(pl + 16) != g->vers)
		return false;
	return !g->rpc_proc || be32_at(pl + 20) == g->proc;
}

/* A variable's name: letters, digits, '_' and '.', 1 to KW_VAR_NAME_MAX - 1. */
static bool var_name_ok(const char *s, size_t n)
{
	if (!n || n >= KW_VAR_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

static int cap_add(struct pcre_cap *c, uint8_t kind, int group, const char *name, size_t n,
		   struct parse_ctx *pc)
{
	if (!var_name_ok(name, n))
		FAIL("pcre: bad variable name \"%.*s\" (letters, digits, _ and ., at most %d)",
		     (int)MIN(n, 64u), name, KW_VAR_NAME_MAX - 1);
	if (c->n >= KW_PCRE_CAP_MAX)
		FAIL("pcre: more than %d captures into variables", KW_PCRE_CAP_MAX);
	struct pcre_cap_item *it = &c->v[c->n++];
	it->kind = kind;
	it->group = (uint8_t)group;
	memcpy(it->name, name, n);
	it->name[n] = '\0';
	return 0;
}

int kw_gap_pcre_cap(pcre2_code *re, const char *list, struct pcre_cap **out,
		    struct parse_ctx *pc)
{
	struct pcre_cap c;
	memset(&c, 0, sizeof(c));
	*out = NULL;
	uint32_t groups = 0, count = 0, esize = 0;
	PCRE2_SPTR table = NULL;
	pcre2_pattern_info(re, PCRE2_INFO_CAPTURECOUNT, &groups);
	pcre2_pattern_info(re, PCRE2_INFO_NAMECOUNT, &count);
	pcre2_pattern_info(re, PCRE2_INFO_NAMEENTRYSIZE, &esize);
	pcre2_pattern_info(re, PCRE2_INFO_NAMETABLE, &table);
	/* named groups flow_NAME, pkt_NAME, in the order of their numbers */
	for (int g = 1; g <= (int)groups; g++)
		for (uint32_t i = 0; table && i < count; i++) {
			PCRE2_SPTR e = table + (size_t)i * esize;
			if ((e[0] << 8 | e[1]) != g)
				continue;
			const char *nm = (const char *)e + 2;
			if (!strncmp(nm, "flow_", 5) && cap_add(&c, KW_VAR_FLOW, g, nm + 5, strlen(nm + 5), pc) < 0)
				return -1;
			if (!strncmp(nm, "pkt_", 4) && cap_add(&c, KW_VAR_PKT, g, nm + 4, strlen(nm + 4), pc) < 0)
				return -1;
		}
	/* then "pkt:NAME, flow:NAME": the next groups, one each */
	while (list && *list) {
		while (isspace((unsigned char)*list) || *list == ',')
			list++;
		if (!*list)
			break;
		size_t n = strcspn(list, ",");
		const char *e = list + n;
		while (n && isspace((unsigned char)list[n - 1]))
			n--;
		uint8_t kind;
		size_t skip;
		if (n > 5 && !strncmp(list, "flow:", 5)) {
			kind = KW_VAR_FLOW;
			skip = 5;
		} else if (n > 4 && !strncmp(list, "pkt:", 4)) {
			kind = KW_VAR_PKT;
			skip = 4;
		} else {
			FAIL("pcre: capture target \"%.*s\" is not flow:NAME or pkt:NAME", (int)MIN(n, 64u), list);
		}
		if (c.n + 1u > groups)
			FAIL("pcre: capture target \"%.*s\" has no capture group (the expression has %u)",
			     (int)MIN(n, 64u), list, groups);
		if (cap_add(&c, kind, c.n + 1, list + skip, n - skip, pc) < 0)
			return -1;
		list = e;
	}
	if (!c.n)
		return 0;
	if (!(*out = v_malloc(sizeof(c))))
		FAIL("out of memory");
	**out = c;
	return 0;
}

void kw_gap_pcre_note(const struct pcre_cap *c, const uint8_t *subj, const size_t *ov, int rc,
		      struct insp *st)
{
	for (unsigned i = 0; i < c->n && st->ncap < KW_PCRE_CAP_MAX; i++) {
		int g = c->v[i].group;
		/* a group past rc, or unset, took part in no match */
		if (g >= rc || ov[2 * g] == PCRE2_UNSET || ov[2 * g + 1] < ov[2 * g])
			continue;
		struct insp_cap *ic = &st->cap[st->ncap++];
		size_t n = MIN(ov[2 * g + 1] - ov[2 * g], (size_t)KW_VAR_VALUE_MAX);
		ic->it = &c->v[i];
		ic->len = (uint16_t)n;
		memcpy(ic->v, subj + ov[2 * g], n);
	}
}

void kw_vars_free(struct kw_vars *v)
{
	if (!v)
		return;
	for (int k = 0; k < 2; k++)
		for (unsigned i = 0; i < v->n[k]; i++)
			v_free(v->v[k][i].val);
	v_free(v);
}

static void var_set(struct kw_vars *v, int kind, const char *name, const uint8_t *val, uint16_t len)
{
	struct kw_var *e = NULL;
	for (unsigned i = 0; i < v->n[kind] && !e; i++)
		if (!strcmp(v->v[kind][i].name, name))
			e = &v->v[kind][i];
	bool fresh = !e;
	if (fresh && v->n[kind] >= KW_VARS_MAX)
		return; /* full: a new name is not kept */
	uint8_t *nv = v_malloc(len ? len : 1);
	if (!nv)
		return; /* the variable keeps what it had */
	memcpy(nv, val, len);
	if (fresh) {
		e = &v->v[kind][v->n[kind]++];
		memset(e, 0, sizeof(*e));
		str_lcpy(e->name, name, sizeof(e->name));
	}
	v_free(e->val);
	e->val = nv;
	e->len = len;
}

void kw_vars_commit(struct kw_vars **pv, const struct insp *st, uint64_t pkt)
{
	if (!st->ncap)
		return;
	if (!*pv && !(*pv = v_calloc(1, sizeof(**pv))))
		return;
	struct kw_vars *v = *pv;
	if (v->pkt != pkt) {
		for (unsigned i = 0; i < v->n[KW_VAR_PKT]; i++)
			v_free(v->v[KW_VAR_PKT][i].val);
		v->n[KW_VAR_PKT] = 0;
		v->pkt = pkt;
	}
	for (unsigned i = 0; i < st->ncap; i++)
		var_set(v, st->cap[i].it->kind, st->cap[i].it->name, st->cap[i].v, st->cap[i].len);
}

bool kw_vars_get(const struct kw_vars *v, int kind, uint64_t pkt, unsigned i, const char **name,
		 const uint8_t **val, uint32_t *len)
{
	if (!v || kind < 0 || kind > 1 || i >= v->n[kind] || (kind == KW_VAR_PKT && v->pkt != pkt))
		return false;
	*name = v->v[kind][i].name;
	*val = v->v[kind][i].val;
	*len = v->v[kind][i].len;
	return true;
}

bool kw_gap_vars_ok(const struct kw_gap_rule *g, const struct kw_vars *v, uint64_t pkt)
{
	for (unsigned i = 0; g && i < g->nvc; i++) {
		const struct kw_var_cond *c = &g->vc[i];
		const char *name;
		const uint8_t *val;
		uint32_t len;
		bool found = false;
		for (unsigned k = 0; !found && kw_vars_get(v, c->kind, pkt, k, &name, &val, &len); k++)
			if (!strcmp(name, c->name))
				found = payload_find(val, len, c->pat, c->pat, c->len, false) != NULL;
		if (!found)
			return false;
	}
	return true;
}

/* flowvar:NAME,"CONTENT" / pktvar:NAME,"CONTENT" */
static int var_cond(struct rule *r, const char *arg, uint8_t kind, const char *kw,
		    struct parse_ctx *pc)
{
	const char *comma = arg ? strchr(arg, ',') : NULL;
	if (!comma)
		FAIL("%s needs a value: NAME,\"CONTENT\"", kw);
	const char *nm = arg;
	while (isspace((unsigned char)*nm))
		nm++;
	size_t n = (size_t)(comma - nm);
	while (n && isspace((unsigned char)nm[n - 1]))
		n--;
	if (!var_name_ok(nm, n))
		FAIL("%s: bad variable name \"%.*s\" (letters, digits, _ and ., at most %d)", kw,
		     (int)MIN(n, 64u), nm, KW_VAR_NAME_MAX - 1);
	char tmp[512];
	if (strlen(comma + 1) >= sizeof(tmp))
		FAIL("%s: content too long", kw);
	str_lcpy(tmp, comma + 1, sizeof(tmp));
	char *t = kw_trim(tmp);
	size_t tl = strlen(t);
	if (tl < 2 || t[0] != '"' || t[tl - 1] != '"')
		FAIL("%s: the content must be quoted: NAME,\"CONTENT\"", kw);
	t[tl - 1] = '\0';
	uint8_t pat[512];
	char err[128];
	int pl = content_decode(t + 1, pat, sizeof(pat), err, sizeof(err));
	if (pl < 0)
		FAIL("%s: %s", kw, err);
	if (pl == 0)
		FAIL("%s: empty content", kw);
	struct kw_gap_rule *g = gap_of(r, pc);
	if (!g)
		return -1;
	if (g->nvc >= KW_VAR_CONDS_MAX)
		FAIL("%s: more than %d flowvar / pktvar conditions", kw, KW_VAR_CONDS_MAX);
	struct kw_var_cond *c = &g->vc[g->nvc];
	if (!(c->pat = v_malloc((size_t)pl)))
		FAIL("out of memory");
	memcpy(c->pat, pat, (size_t)pl);
	c->len = (uint32_t)pl;
	c->kind = kind;
	memcpy(c->name, nm, n);
	c->name[n] = '\0';
	g->nvc++;
	return 0;
}

int kw_flowvar(struct rule *r, const char *a, struct parse_ctx *pc)
{
	return var_cond(r, a, KW_VAR_FLOW, "flowvar", pc);
}
int kw_pktvar(struct rule *r, const char *a, struct parse_ctx *pc)
{
	return var_cond(r, a, KW_VAR_PKT, "pktvar", pc);
}
/* ---- tls_store ---- */

/* tls_store (tls.store): a match writes the flow's server certificate
 * chain to the certificate store (tlsstore.c, tls-store.enabled), once
 * per flow; the rule is a TLS rule.  It takes no value. */
int kw_tls_store(struct rule *r, const char *a, struct parse_ctx *pc)
{
	if (a && *a)
		FAIL("tls_store takes no value (got \"%s\")", a);
	if (r->alproto && r->alproto != ALP_TLS)
		FAIL("tls_store: a TLS keyword in a rule of another protocol");
	r->alproto = ALP_TLS;
	r->tls_store = true;
	return 0;
}

/* quic.ua, quic.cyu.hash, quic.cyu.string: a Google QUIC packet's
 * handshake message (quic.c gquic_message) */
int kw_quic_ua(struct rule *r, const char *a, struct parse_ctx *pc) { return sticky_dir(r, BUF_QUIC_UA, ALP_QUIC, a, pc); }
int kw_quic_cyu_hash(struct rule *r, const char *a, struct parse_ctx *pc) { return sticky_dir(r, BUF_QUIC_CYU_HASH, ALP_QUIC, a, pc); }
int kw_quic_cyu_string(struct rule *r, const char *a, struct parse_ctx *pc) { return sticky_dir(r, BUF_QUIC_CYU_STRING, ALP_QUIC, a, pc); }
