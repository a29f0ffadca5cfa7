/*
 * kw.c - one setup function per keyword in keywords.def.  Each parses its
 * argument into the rule and returns 0, or -1 with pc->err naming what is
 * wrong.  Payload keywords attach to the rule's current sticky buffer;
 * content modifiers attach to the last content.  Most keywords are rows,
 * not functions: an integer comparison is a struct kw_num read by one
 * parser (kw_num_parse, "the declarative option parser" below), a sticky
 * buffer, alias, older modifier or transform a one-line macro row; only
 * keywords with a richer value have parsing code of their own.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "dataset.h"
#include "iprep.h"
#include "json.h"
#include "kw_gap.h" /* setup functions of the keywords in kw_gap.c */
#include "parse.h"
#include "xform.h"
#include "xbits.h"
#include "util.h"
#include "app.h"

#define CONTENT_MAX 65535


char *kw_trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

/* Strips surrounding double quotes in place; NULL if unbalanced. */
static char *unquote(char *s)
{
	s = kw_trim(s);
	size_t n = strlen(s);
	if (n && s[0] == '"') {
		if (n < 2 || s[n - 1] != '"')
			return NULL;
		s[n - 1] = '\0';
		return s + 1;
	}
	return s;
}

static int need_arg(const char *arg, const char *kw, struct parse_ctx *pc)
{
	if (!arg || !*arg) {
		snprintf(pc->err, sizeof(pc->err), "%s needs a value", kw);
		return -1;
	}
	return 0;
}

int kw_i64(const char *s, int64_t *out)
{
	char *end;
	errno = 0;
	while (isspace((unsigned char)*s))
		s++;
	if (!*s)
		return -1;
	/* decimal, or hex with 0x; not octal: "010" is ten, as Suricata reads it */
	const char *d = *s == '-' || *s == '+' ? s + 1 : s;
	long long v = strtoll(s, &end, d[0] == '0' && (d[1] == 'x' || d[1] == 'X') ? 16 : 10);
	while (isspace((unsigned char)*end))
		end++;
	if (errno || *end)
		return -1;
	*out = v;
	return 0;
}

/* N, !N, <N, >N, <=N, >=N, N<>M (exclusive), N-M (inclusive). */
int kw_numcmp(const char *s0, struct numcmp *c, uint64_t max)
{
	char s[64];
	int64_t a, b;
	if (strlen(s0) >= sizeof(s))
		return -1; /* not cut to a number that would parse */
	str_lcpy(s, s0, sizeof(s));
	char *p = kw_trim(s);
	char *sep;
	if ((sep = strstr(p, "<>"))) {
		*sep = '\0';
		if (kw_i64(p, &a) || kw_i64(sep + 2, &b) || a < 0 || b <= a || (uint64_t)b > max)
			return -1;
		c->op = CMP_RANGE_EX;
		c->a = (uint64_t)a;
		c->b = (uint64_t)b;
		return 0;
	}
	int op = CMP_EQ;
	if (p[0] == '<' && p[1] == '=') { op = CMP_LE; p += 2; }
	else if (p[0] == '>' && p[1] == '=') { op = CMP_GE; p += 2; }
	else if (p[0] == '<') { op = CMP_LT; p++; }
	else if (p[0] == '>') { op = CMP_GT; p++; }
	else if (p[0] == '!') { op = CMP_NE; p += p[1] == '=' ? 2 : 1; }
	else if (p[0] == '=') { p++; }
	if (op == CMP_EQ && *p && (sep = strchr(p + 1, '-'))) {
		*sep = '\0';
		if (kw_i64(p, &a) || kw_i64(sep + 1, &b) || a < 0 || b < a || (uint64_t)b > max)
			return -1;
		c->op = CMP_RANGE_IN;
		c->a = (uint64_t)a;
		c->b = (uint64_t)b;
		return 0;
	}
	if (kw_i64(p, &a) || a < 0 || (uint64_t)a > max)
		return -1;
	c->op = (uint8_t)op;
	c->a = (uint64_t)a;
	return 0;
}

static struct sm *add_sm(struct rule *r, enum sm_type t, struct parse_ctx *pc)
{
	struct sm_list *l = r->cur_xl >= 0 && r->xl[r->cur_xl].buf == r->cur_buf
				    ? &r->xl[r->cur_xl].list : &r->lists[r->cur_buf];
	if (l->cnt >= 256) {
		snprintf(pc->err, sizeof(pc->err), "too many payload keywords");
		return NULL;
	}
	/* last_content / last_pm may point into this list: remember them as
	 * indices, since realloc may move it */
	ptrdiff_t lc = -1, lp = -1;
	for (uint32_t i = 0; i < l->cnt; i++) {
		if (r->last_content == &l->v[i])
			lc = (ptrdiff_t)i;
		if (r->last_pm == &l->v[i])
			lp = (ptrdiff_t)i;
	}
	struct sm *v = v_realloc(l->v, (l->cnt + 1) * sizeof(*v));
	if (!v) {
		snprintf(pc->err, sizeof(pc->err), "out of memory");
		return NULL;
	}
	if (lc >= 0)
		r->last_content = &v[lc];
	if (lp >= 0)
		r->last_pm = &v[lp];
	l->v = v;
	struct sm *s = &v[l->cnt++];
	memset(s, 0, sizeof(*s));
	s->type = t;
	r->last_pm = s;
	r->last_pm_where = l == &r->lists[r->cur_buf] ? r->cur_buf : BUF_MAX + r->cur_xl;
	return s;
}

/* A relative keyword (isdataat, byte_*, pcre /R) with no sticky buffer in
 * effect goes where the match it is relative to went, as Suricata puts
 * it: after uricontent or an http_* modifier, into that buffer. */
static struct sm *add_sm_rel(struct rule *r, enum sm_type t, bool relative, struct parse_ctx *pc)
{
	if (!relative || r->cur_buf != BUF_PAYLOAD || !r->last_pm || r->last_pm_where <= BUF_PAYLOAD ||
	    r->last_pm_where >= BUF_MAX)
		return add_sm(r, t, pc);
	int16_t saved = r->cur_buf;
	int8_t saved_xl = r->cur_xl;
	r->cur_buf = r->last_pm_where;
	r->cur_xl = -1;
	struct sm *s = add_sm(r, t, pc);
	r->cur_buf = saved;
	r->cur_xl = saved_xl;
	return s;
}

struct app_cond *kw_add_ac(struct rule *r, uint8_t type, uint8_t alp, struct parse_ctx *pc)
{
	if (r->nac >= RULE_MAX_APP_COND) {
		snprintf(pc->err, sizeof(pc->err), "more than %d app-layer conditions",
			 RULE_MAX_APP_COND);
		return NULL;
	}
	if (!r->alproto)
		r->alproto = alp;
	if (!r->ac && !(r->ac = v_calloc(RULE_MAX_APP_COND, sizeof(*r->ac)))) {
		snprintf(pc->err, sizeof(pc->err), "out of memory");
		return NULL;
	}
	struct app_cond *c = &r->ac[r->nac++];
	memset(c, 0, sizeof(*c));
	c->type = type;
	return c;
}

/* ---- the declarative option parser ----
 *
 * Most keywords take one integer comparison (N, !N, <N, >N, <=N, >=N,
 * N<>M exclusive, N-M inclusive) against a field the engine already
 * compares generically: a packet header field (r->hdr[HC_*]) or an
 * app-layer condition (struct app_cond, AC_*).  Such a keyword is one row:
 *
 *	HDR(ttl, "ttl", HC_TTL, 255)
 *	ACN(dns_opcode, "dns.opcode", AC_DNS_OPCODE, ALP_DNS, 15)
 *	ACN(mqtt_type, "mqtt.type", AC_MQTT, ALP_MQTT, 15, .mask = MQTT_C_TYPE,
 *	    .lookup = mqtt_type_name, .flags = KN_BANG_NEG)
 *
 * naming the keyword, where the comparison goes, its largest value, and
 * optionally names accepted in place of a number (a lookup function or a
 * table of names, whose index is the value), the app_cond mask that says
 * which field of a protocol is compared, and flags (KN_*).  kw_num_parse
 * reads the option and kw_num stores it; the engine's generic comparison
 * then does the matching, so such a keyword has no code of its own.
 * Keywords with a richer option (a direction and a number, a list of
 * flags) call kw_num_parse for their number part and name_list (the
 * list shape: names or flags from a table) for their lists.  Sticky
 * buffers are rows too:
 * STICKY(c_name, BUF_*, ALP_*), aliases ALIAS(c_name, of), content
 * modifiers of the older syntax LEGACY(c_name, BUF_*, ALP_*, "name"),
 * transforms XFORM(c_name, XF_*).
 */

/* Returns 0 and *out, *neg (the KN_BANG_NEG '!'), or -1 with err naming
 * the keyword and quoting the value. */
int kw_num_parse(const struct kw_num *k, const char *arg, struct numcmp *out, bool *neg,
		 char *err, size_t errlen)
{
	char tmp[64];
	*neg = false;
	memset(out, 0, sizeof(*out));
	if (!arg || !*arg) {
		snprintf(err, errlen, "%s needs a value", k->kw);
		return -1;
	}
	str_lcpy(tmp, arg, sizeof(tmp));
	char *t = kw_trim(tmp);
	if ((k->flags & KN_BANG_NEG) && *t == '!') {
		*neg = true;
		t = kw_trim(t + 1);
	}
	if (k->lookup || k->names) {
		const char *w = t;
		bool not = false;
		if ((k->flags & KN_NAME_NOT) && *w == '!') {
			not = true;
			w = kw_trim((char *)w + 1);
		}
		int v = -1;
		if (k->lookup) {
			v = k->lookup(w);
		} else {
			for (unsigned i = 0; i < k->nnames && v < 0; i++)
				if (k->names[i] && !strcmp(w, k->names[i]))
					v = (int)i;
		}
		if (v >= 0) {
			out->op = not ? CMP_NE : CMP_EQ;
			out->a = (uint64_t)v;
			return 0;
		}
	}
	if (kw_numcmp(t, out, k->max) < 0 || ((k->flags & KN_EQ_ONLY) && out->op != CMP_EQ)) {
		if (k->flags & KN_EQ_ONLY)
			snprintf(err, errlen, "%s: \"%s\" is not a number from 0 to %llu", k->kw, arg,
				 (unsigned long long)k->max);
		else if (k->what)
			snprintf(err, errlen, "%s: unknown %s \"%s\"", k->kw, k->what, arg);
		else
			snprintf(err, errlen, "%s: bad value \"%s\"", k->kw, arg);
		return -1;
	}
	return 0;
}

/* A KN_HDR or KN_AC keyword's setup: parse, then store where k says. */
static int kw_num(struct rule *r, const char *arg, const struct kw_num *k, struct parse_ctx *pc)
{
	struct numcmp n;
	bool neg;
	if (kw_num_parse(k, arg, &n, &neg, pc->err, sizeof(pc->err)) < 0)
		return -1;
	if (k->to == KN_HDR) {
		if (!rule_hdr(r))
			FAIL("out of memory");
		r->hdr[k->slot] = n;
		r->hdr_mask |= 1u << k->slot;
		if (k->proto && !r->proto)
			r->proto = k->proto;
		return 0;
	}
	struct app_cond *c = kw_add_ac(r, k->slot, k->alp, pc);
	if (!c)
		return -1;
	c->c = n;
	c->mask = k->mask;
	c->neg = neg;
	return 0;
}

#define KNSPEC(c_, name_, to_, slot_, alp_, max_, ...)                                   \
	static const struct kw_num kn_##c_ = { .kw = name_, .to = to_, .slot = slot_,     \
					       .alp = alp_, .max = max_, __VA_ARGS__ }
#define NUMKW(c_, name_, to_, slot_, alp_, max_, ...)                                    \
	KNSPEC(c_, name_, to_, slot_, alp_, max_, __VA_ARGS__);                           \
	static int kw_##c_(struct rule *r, const char *a, struct parse_ctx *pc)        \
	{ return kw_num(r, a, &kn_##c_, pc); }
/* a packet header field; an app-layer condition */
#define HDR(c_, name_, slot_, max_, ...) NUMKW(c_, name_, KN_HDR, slot_, 0, max_, __VA_ARGS__)
#define ACN(c_, name_, type_, alp_, max_, ...) NUMKW(c_, name_, KN_AC, type_, alp_, max_, __VA_ARGS__)

static int var_index(const struct rule *r, const char *name)
{
	for (int i = 0; i < r->nvars; i++)
		if (!strcmp(r->var_names[i], name))
			return i;
	return -1;
}

/* A number or the name of a byte_extract / byte_math variable. */
static int parse_numvar(const struct rule *r, const char *s, struct numvar *nv)
{
	int64_t v;
	nv->var = -1;
	if (kw_i64(s, &v) == 0) {
		nv->v = v;
		return 0;
	}
	char tmp[64];
	str_lcpy(tmp, s, sizeof(tmp));
	int i = var_index(r, kw_trim(tmp));
	if (i < 0)
		return -1;
	nv->var = (int8_t)i;
	nv->v = 0;
	return 0;
}

static int new_var(struct rule *r, const char *name, struct parse_ctx *pc)
{
	if (var_index(r, name) >= 0)
		FAIL("variable \"%s\" defined twice", name);
	if (r->nvars >= RULE_MAX_VARS)
		FAIL("more than %d byte_extract/byte_math variables", RULE_MAX_VARS);
	if (!r->var_names && !(r->var_names = v_calloc(RULE_MAX_VARS, sizeof(char *))))
		FAIL("out of memory");
	if (!(r->var_names[r->nvars] = v_strdup(name)))
		FAIL("out of memory");
	return r->nvars++;
}

/* Rows for the keywords that only name a buffer or a transform: a sticky
 * buffer (its value may say the direction), another keyword's alias, a
 * content modifier of the older syntax, a transform. */
#define KW_FN(c_) static int kw_##c_(struct rule *r, const char *a, struct parse_ctx *pc)
#define STICKY(c_, buf_, alp_) KW_FN(c_) { return kw_sticky_dir(r, buf_, alp_, a, pc); }
#define ALIAS(c_, of_) KW_FN(c_) { return kw_##of_(r, a, pc); }
#define LEGACY(c_, buf_, alp_, name_) KW_FN(c_) { (void)a; return legacy(r, buf_, alp_, name_, pc); }
#define XFORM(c_, xf_) KW_FN(c_) { return xform_add(r, xf_, a, pc); }
#define MULTI(c_, buf_, alp_) KW_FN(c_) { (void)a; return sticky_multi(r, buf_, alp_, pc); }
#define HDRBUF(c_, buf_, proto_, ipver_) 	KW_FN(c_) { (void)a; (void)pc; return hdr_buf(r, buf_, proto_, ipver_); }
#define CSUM(c_, which_, name_) KW_FN(c_) { return csum_kw(r, a, which_, name_, pc); }

/* ---- metadata ---- */

static int kw_msg(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	if (need_arg(arg, "msg", pc))
		return -1;
	char *d = v_strdup(arg), *m;
	if (!d)
		FAIL("out of memory");
	if (!(m = unquote(d))) {
		v_free(d);
		FAIL("msg: unbalanced quotes");
	}
	/* unescape \" \; \\ */
	char *o = m;
	for (char *q = m; *q; q++) {
		if (*q == '\\' && q[1])
			q++;
		*o++ = *q;
	}
	*o = '\0';
	v_free(r->msg);
	r->msg = v_strdup(m);
	v_free(d);
	if (!r->msg)
		FAIL("out of memory");
	return 0;
}

static int kw_u32(const char *arg, const char *kw, uint32_t *out, struct parse_ctx *pc)
{
	uint64_t v;
	if (need_arg(arg, kw, pc))
		return -1;
	if (parse_uint(arg, UINT32_MAX, &v) < 0)
		FAIL("%s: bad number \"%s\"", kw, arg);
	*out = (uint32_t)v;
	return 0;
}

static int kw_sid(struct rule *r, const char *a, struct parse_ctx *pc) { return kw_u32(a, "sid", &r->sid, pc); }
static int kw_rev(struct rule *r, const char *a, struct parse_ctx *pc) { return kw_u32(a, "rev", &r->rev, pc); }
static int kw_gid(struct rule *r, const char *a, struct parse_ctx *pc) { return kw_u32(a, "gid", &r->gid, pc); }

static int kw_priority(struct rule *r, const char *a, struct parse_ctx *pc)
{
	uint32_t v;
	if (kw_u32(a, "priority", &v, pc) < 0)
		return -1;
	if (v < 1 || v > 255)
		FAIL("priority must be 1 to 255");
	r->priority = (uint8_t)v;
	r->hdr_mask |= 1u << 31; /* remember it was explicit */
	return 0;
}

static int kw_classtype(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	if (need_arg(arg, "classtype", pc))
		return -1;
	for (size_t i = 0; i < pc->nclasses; i++) {
		if (!strcmp(pc->classes[i].name, arg)) {
			r->classtype = pc->classes[i].name;
			r->category = pc->classes[i].desc;
			if (!(r->hdr_mask & (1u << 31)))
				r->priority = pc->classes[i].prio;
			return 0;
		}
	}
	FAIL("unknown classtype \"%s\"", arg);
}

static int kw_reference(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	(void)r;
	if (need_arg(arg, "reference", pc))
		return -1;
	if (!strchr(arg, ','))
		FAIL("reference: expected type,id");
	return 0;
}

/* One member of the metadata object, "key":["v",...], kept in the rule:
 * pooled by the engine when it has a pool, else the rule's own copy. */
static int meta_add(struct rule *r, const char *m, size_t n, struct parse_ctx *pc)
{
	if (r->nmeta == UINT8_MAX || (r->nmeta && r->meta_owned != !pc->pool))
		return 0; /* (a rule's metadata past 255 keys is not kept) */
	const char *seg;
	if (pc->pool) {
		seg = str_pool_get(pc->pool, m, n);
	} else {
		char *d = v_malloc(n + 1);
		if (d) {
			memcpy(d, m, n);
			d[n] = '\0';
		}
		seg = d;
	}
	if (!seg)
		FAIL("out of memory");
	const char **v = v_realloc(r->meta, (r->nmeta + 1u) * sizeof(*v));
	if (!v) {
		if (!pc->pool)
			v_free((char *)seg);
		FAIL("out of memory");
	}
	r->meta = v;
	r->meta[r->nmeta++] = seg;
	r->meta_owned = !pc->pool;
	return 0;
}

static int kw_metadata(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	if (need_arg(arg, "metadata", pc))
		return -1;
	/* "k v, k v" -> "k":["v",...] members, values grouped by key in
	 * first-seen order; a later metadata keyword adds its own members */
	char *d = v_strdup(arg);
	if (!d)
		FAIL("out of memory");
	char *save = NULL;
	char keys[64][64];
	int nkeys = 0;
	char *pairs[256];
	int np = 0;
	for (char *t = strtok_r(d, ",", &save); t && np < 256; t = strtok_r(NULL, ",", &save))
		pairs[np++] = kw_trim(t);
	int rc = 0;
	for (int i = 0; i < np && !rc; i++) {
		char *sp = pairs[i];
		size_t kl = strcspn(sp, " \t");
		char key[64];
		snprintf(key, sizeof(key), "%.*s", (int)kl, sp);
		bool seen = false;
		for (int k = 0; k < nkeys; k++)
			seen |= !strcmp(keys[k], key);
		if (seen || !key[0] || nkeys >= 64)
			continue;
		str_lcpy(keys[nkeys++], key, sizeof(keys[0]));
		/* keys become JSON keys written verbatim: keep them to a safe
		 * alphabet */
		for (char *q = key; *q; q++)
			if (!isalnum((unsigned char)*q) && *q != '_' && *q != '-' && *q != '.')
				*q = '_';
		struct jbuf jb = { 0 };
		jb_open_object(&jb, NULL);
		jb_open_array(&jb, key);
		for (int j = i; j < np; j++) {
			size_t l2 = strcspn(pairs[j], " \t");
			if (l2 != kl || strncmp(pairs[j], pairs[i], kl))
				continue;
			jb_str(&jb, NULL, kw_trim(pairs[j] + l2));
		}
		jb_close(&jb);
		jb_close(&jb);
		if (jb.oom || jb.len < 2) {
			jb_fini(&jb);
			v_free(d);
			FAIL("out of memory");
		}
		rc = meta_add(r, jb.buf + 1, jb.len - 2, pc); /* without the braces */
		jb_fini(&jb);
	}
	v_free(d);
	return rc;
}

static int kw_target(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	if (arg && !strcmp(arg, "src_ip"))
		r->target = 1;
	else if (arg && !strcmp(arg, "dest_ip"))
		r->target = 2;
	else
		FAIL("target: expected src_ip or dest_ip");
	return 0;
}

static int kw_bypass(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	if (arg && *arg)
		FAIL("bypass takes no value");
	r->bypass = true;
	return 0;
}

static int kw_noalert(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	(void)pc;
	(void)arg;
	r->noalert = true;
	return 0;
}

/* ---- content and modifiers ---- */

static int kw_content(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	if (need_arg(arg, "content", pc))
		return -1;
	char *d = v_strdup(arg);
	if (!d)
		FAIL("out of memory");
	char *s = kw_trim(d);
	bool neg = false;
	if (*s == '!') {
		neg = true;
		s = kw_trim(s + 1);
	}
	size_t sl = strlen(s);
	if (s[0] == '"' && sl > 1 && s[sl - 1] != '"' && strstr(s + 1, "\",")) {
		v_free(d);
		FAIL("content with comma-separated inline modifiers is Snort 3 syntax, not Suricata");
	}
	char *body = unquote(s);
	if (!body || s[0] != '"') {
		v_free(d);
		FAIL("content must be in double quotes");
	}
	uint8_t *tmp = v_malloc(CONTENT_MAX);
	if (!tmp) {
		v_free(d);
		FAIL("out of memory");
	}
	int n = content_decode(body, tmp, CONTENT_MAX, pc->err, sizeof(pc->err));
	v_free(d);
	if (n <= 0) {
		v_free(tmp);
		if (n == 0)
			FAIL("empty content");
		return -1;
	}
	struct sm *sm = add_sm(r, SM_CONTENT, pc);
	if (!sm) {
		v_free(tmp);
		return -1;
	}
	struct sm_content *c = &sm->u.c;
	c->pat = v_realloc(tmp, (size_t)n);
	c->lower = v_malloc((size_t)n);
	if (!c->pat || !c->lower) {
		if (!c->pat)
			v_free(tmp);
		FAIL("out of memory");
	}
	c->len = (uint32_t)n;
	for (int i = 0; i < n; i++)
		c->lower[i] = (uint8_t)tolower(c->pat[i]);
	c->negated = neg;
	c->offset.var = c->depth.var = c->distance.var = c->within.var = -1;
	r->last_content = sm;
	return 0;
}

static struct sm_content *last_content(struct rule *r, const char *kw, struct parse_ctx *pc)
{
	if (!r->last_content) {
		snprintf(pc->err, sizeof(pc->err), "%s without a preceding content", kw);
		return NULL;
	}
	return &r->last_content->u.c;
}

static int kw_nocase(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	(void)arg;
	struct sm_content *c = last_content(r, "nocase", pc);
	if (!c)
		return -1;
	c->nocase = true;
	return 0;
}

/* replace:"bytes" after a payload content: the same length, not negated
 * (Suricata's detect-replace); the rule becomes a packet rule, since only
 * a packet's bytes can be rewritten.  Applied by the worker, inline only. */
static int kw_replace(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	struct sm_content *c = last_content(r, "replace", pc);
	if (!c)
		return -1;
	const struct sm_list *pl = &r->lists[BUF_PAYLOAD];
	if (r->cur_xl >= 0 || r->cur_buf != BUF_PAYLOAD || !pl->cnt ||
	    r->last_content < pl->v || r->last_content >= pl->v + pl->cnt)
		FAIL("replace: only a content of the packet payload (no sticky buffer) can be replaced");
	if (c->negated)
		FAIL("replace: a negated content cannot be replaced");
	if (c->repl)
		FAIL("replace: the content has one already");
	if (need_arg(arg, "replace", pc))
		return -1;
	char *d = v_strdup(arg);
	if (!d)
		FAIL("out of memory");
	char *s = kw_trim(d);
	char *body = s[0] == '"' ? unquote(s) : NULL;
	if (!body) {
		v_free(d);
		FAIL("replace must be in double quotes");
	}
	uint8_t *tmp = v_malloc(CONTENT_MAX);
	if (!tmp) {
		v_free(d);
		FAIL("out of memory");
	}
	int n = content_decode(body, tmp, CONTENT_MAX, pc->err, sizeof(pc->err));
	v_free(d);
	if (n < 0 || (uint32_t)n != c->len) {
		v_free(tmp);
		if (n < 0)
			return -1;
		FAIL("replace: %d bytes for a content of %u (they must be as long)", n, c->len);
	}
	/* after the pattern, in its allocation (struct sm stays small) */
	uint8_t *both = v_realloc(c->pat, 2 * (size_t)c->len);
	if (!both) {
		v_free(tmp);
		FAIL("out of memory");
	}
	memcpy(both + c->len, tmp, c->len);
	v_free(tmp);
	c->pat = both;
	c->repl = true;
	r->replace = true;
	r->flow_flags |= RF_NO_STREAM;
	return 0;
}

static int kw_rawbytes(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	(void)arg;
	struct sm_content *c = last_content(r, "rawbytes", pc);
	if (!c)
		return -1;
	c->rawbytes = true;
	return 0;
}

static int content_numvar(struct rule *r, const char *arg, const char *kw, struct cnumvar *cv,
			  bool *has, struct parse_ctx *pc)
{
	struct sm_content *c = last_content(r, kw, pc);
	if (!c)
		return -1;
	if (need_arg(arg, kw, pc))
		return -1;
	struct numvar nv;
	if (parse_numvar(r, arg, &nv) < 0)
		FAIL("%s: bad value \"%s\"", kw, arg);
	if (nv.var < 0 && (nv.v < INT32_MIN || nv.v > INT32_MAX))
		FAIL("%s: %lld is out of range", kw, (long long)nv.v);
	cv->v = (int32_t)nv.v;
	cv->var = nv.var;
	*has = true;
	return 0;
}

static int kw_offset(struct rule *r, const char *a, struct parse_ctx *pc)
{
	struct sm_content *c = last_content(r, "offset", pc);
	if (!c)
		return -1;
	if (c->startswith)
		FAIL("offset cannot be combined with startswith");
	return content_numvar(r, a, "offset", &c->offset, &c->has_offset, pc);
}

static int kw_depth(struct rule *r, const char *a, struct parse_ctx *pc)
{
	struct sm_content *c = last_content(r, "depth", pc);
	if (!c)
		return -1;
	if (content_numvar(r, a, "depth", &c->depth, &c->has_depth, pc) < 0)
		return -1;
	if (c->depth.var < 0 && c->depth.v < (int64_t)c->len)
		FAIL("depth %lld is smaller than the content (%u bytes)", (long long)c->depth.v,
		     c->len);
	return 0;
}

static int kw_distance(struct rule *r, const char *a, struct parse_ctx *pc)
{
	struct sm_content *c = last_content(r, "distance", pc);
	if (!c)
		return -1;
	return content_numvar(r, a, "distance", &c->distance, &c->has_distance, pc);
}

static int kw_within(struct rule *r, const char *a, struct parse_ctx *pc)
{
	struct sm_content *c = last_content(r, "within", pc);
	if (!c)
		return -1;
	if (content_numvar(r, a, "within", &c->within, &c->has_within, pc) < 0)
		return -1;
	if (c->within.var < 0 && c->within.v < (int64_t)c->len)
		FAIL("within %lld is smaller than the content (%u bytes)", (long long)c->within.v,
		     c->len);
	return 0;
}

static int kw_startswith(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	(void)arg;
	struct sm_content *c = last_content(r, "startswith", pc);
	if (!c)
		return -1;
	if (c->has_offset || c->has_depth || c->has_distance || c->has_within)
		FAIL("startswith cannot be combined with offset/depth/distance/within");
	c->startswith = true;
	return 0;
}

static int kw_endswith(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	(void)arg;
	struct sm_content *c = last_content(r, "endswith", pc);
	if (!c)
		return -1;
	c->endswith = true;
	return 0;
}

static int kw_fast_pattern(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	struct sm_content *c = last_content(r, "fast_pattern", pc);
	if (!c)
		return -1;
	if (c->negated)
		FAIL("fast_pattern on a negated content");
	c->fast_pattern = true;
	if (arg && !strcmp(arg, "only")) {
		c->fp_only = true;
	} else if (arg && *arg) {
		int64_t off, len;
		char tmp[64];
		str_lcpy(tmp, arg, sizeof(tmp));
		char *comma = strchr(tmp, ',');
		if (!comma)
			FAIL("fast_pattern: expected only or offset,length");
		*comma = '\0';
		if (kw_i64(tmp, &off) || kw_i64(comma + 1, &len) || off < 0 || len <= 0 ||
		    off + len > c->len)
			FAIL("fast_pattern: bad offset,length \"%s\"", arg);
		c->fp_off = (uint32_t)off;
		c->fp_len = (uint32_t)len;
	}
	for (int b = 0; b < BUF_MAX; b++)
		for (uint32_t i = 0; i < r->lists[b].cnt; i++)
			if (r->lists[b].v[i].type == SM_CONTENT && &r->lists[b].v[i].u.c != c &&
			    r->lists[b].v[i].u.c.fast_pattern)
				FAIL("more than one fast_pattern");
	return 0;
}

/* ---- other payload keywords ---- */

static int kw_isdataat(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	if (need_arg(arg, "isdataat", pc))
		return -1;
	char tmp[128];
	str_lcpy(tmp, arg, sizeof(tmp));
	char *save = NULL, *t = strtok_r(tmp, ",", &save);
	struct sm_isdataat d = { .n = { 0, -1 } };
	t = kw_trim(t);
	if (*t == '!') {
		d.negated = true;
		t++;
	}
	if (parse_numvar(r, kw_trim(t), &d.n) < 0)
		FAIL("isdataat: bad value \"%s\"", arg);
	while ((t = strtok_r(NULL, ",", &save))) {
		t = kw_trim(t);
		if (!strcmp(t, "relative"))
			d.relative = true;
		else if (strcmp(t, "rawbytes"))
			FAIL("isdataat: unknown option \"%s\"", t);
	}
	struct sm *s = add_sm_rel(r, SM_ISDATAAT, d.relative, pc);
	if (!s)
		return -1;
	s->u.d = d;
	return 0;
}


HDR(tcp_mss, "tcp.mss", HC_TCP_MSS, 65535)
HDR(dsize, "dsize", HC_DSIZE, 65535)

static int kw_bsize(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	struct numcmp c;
	if (need_arg(arg, "bsize", pc) || kw_numcmp(arg, &c, UINT32_MAX) < 0)
		FAIL("bsize: bad value \"%s\"", arg ? arg : "");
	struct sm *s = add_sm(r, SM_BSIZE, pc);
	if (!s)
		return -1;
	s->u.bsize = c;
	return 0;
}

/* absent[: or_else] (Suricata 8), first on its sticky buffer: the
 * buffer is not there at all; or_else: not there, or the keywords that
 * follow match it. */
static int kw_absent(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	char tmp[16];
	str_lcpy(tmp, arg ? arg : "", sizeof(tmp));
	const char *a = kw_trim(tmp);
	bool or_else = !strcmp(a, "or_else");
	if (*a && !or_else)
		FAIL("absent: unknown value \"%s\" (none, or or_else)", a);
	if (r->cur_buf == BUF_PAYLOAD)
		FAIL("absent needs a sticky buffer before it");
	const struct sm_list *l = r->cur_xl >= 0 && r->xl[r->cur_xl].buf == r->cur_buf
					  ? &r->xl[r->cur_xl].list : &r->lists[r->cur_buf];
	if (l->cnt)
		FAIL("absent must come right after its buffer (%s)", buffer_names[r->cur_buf]);
	struct sm *s = add_sm(r, SM_ABSENT, pc);
	if (!s)
		return -1;
	s->u.absent_or_else = or_else;
	return 0;
}

static int split_args(char *s, char **toks, int max);

/* A dataset file named in a rule: relative to the rule file's folder,
 * never absolute nor climbing out of it (Suricata's default, so that a
 * rule cannot make vigil read or write any file it can reach). */
static int ds_path(const char *what, const char *f, char *out, size_t cap, struct parse_ctx *pc)
{
	if (!*f || f[0] == '/' || !strncmp(f, "../", 3) || strstr(f, "/../") ||
	    !strcmp(f, "..") || (strlen(f) >= 3 && !strcmp(f + strlen(f) - 3, "/..")))
		FAIL("dataset: %s \"%s\" must be a path inside the rule file's folder", what, f);
	if (snprintf(out, cap, "%s/%s", pc->dir[0] ? pc->dir : ".", f) >= (int)cap)
		FAIL("dataset: %s path too long", what);
	return 0;
}

/* dataset:CMD,NAME[,options] and datarep:NAME,OP,VALUE[,options] */
static int dataset_kw(struct rule *r, const char *arg, bool rep, struct parse_ctx *pc)
{
	const char *kw = rep ? "datarep" : "dataset";
	char tmp[1024], *toks[16];
	if (need_arg(arg, kw, pc))
		return -1;
	if (r->cur_buf <= BUF_PAYLOAD && r->cur_xl < 0)
		FAIL("%s: needs a sticky buffer before it", kw);
	str_lcpy(tmp, arg, sizeof(tmp));
	int n = split_args(tmp, toks, 16);
	int cmd = DS_ISSET, first = 2;
	struct numcmp repc = { 0 };
	struct ds_open o = { .type = DS_STRING, .rep = rep };
	if (rep) {
		/* NAME, >|<|>=|<=|==, N */
		static const struct { const char *op; uint8_t c; } ops[] = {
			{ ">", CMP_GT }, { "<", CMP_LT }, { ">=", CMP_GE }, { "<=", CMP_LE }, { "==", CMP_EQ },
		};
		int64_t v;
		int k = -1;
		if (n < 3)
			FAIL("datarep: expected NAME,OP,VALUE[,options]");
		for (int i = 0; i < 5; i++)
			if (!strcmp(toks[1], ops[i].op))
				k = i;
		if (k < 0 || kw_i64(toks[2], &v) || v < 0 || v > UINT32_MAX)
			FAIL("datarep: \"%s %s\" is not an operator (> < >= <= ==) and a value", toks[1], toks[2]);
		repc.op = ops[k].c;
		repc.a = (uint64_t)v;
		o.name = toks[0];
		first = 3;
	} else {
		static const char *const cmds[] = { "set", "unset", "isset", "isnotset" };
		if (n < 2)
			FAIL("dataset: expected set|unset|isset|isnotset,NAME[,options]");
		cmd = -1;
		for (int i = 0; i < 4; i++)
			if (!strcmp(toks[0], cmds[i]))
				cmd = i;
		if (cmd < 0)
			FAIL("dataset: \"%s\" is not set, unset, isset or isnotset", toks[0]);
		o.name = toks[1];
	}
	static char load[4200], save[4200];
	bool typed = false, subdomain = false;
	const char *ctx_key = NULL;
	for (int i = first; i < n; i++) {
		char *k = toks[i], *v = k;
		while (*v && *v != ' ' && *v != '\t')
			v++;
		if (*v)
			*v++ = 0;
		v = kw_trim(v);
		if (!strcmp(k, "type")) {
			static const char *const types[] = { "string", "md5", "sha256", "ipv4", "ip" };
			int t = -1;
			for (int j = 0; j < 5; j++)
				if (!strcmp(v, types[j]))
					t = j;
			if (t < 0)
				FAIL("dataset: type \"%s\" is not string, md5, sha256, ipv4 or ip", v);
			o.type = (enum ds_type)t;
			typed = true;
		} else if (!strcmp(k, "load") || !strcmp(k, "state")) {
			if (ds_path(k, v, load, sizeof(load), pc) < 0)
				return -1;
			o.load = load;
			if (!strcmp(k, "state")) {
				memcpy(save, load, sizeof(save));
				o.save = save;
			}
		} else if (!strcmp(k, "save")) {
			if (ds_path(k, v, save, sizeof(save), pc) < 0)
				return -1;
			o.save = save;
		} else if (!strcmp(k, "memcap")) {
			if (parse_size(v, &o.memcap) < 0 || !o.memcap)
				FAIL("dataset: memcap \"%s\" is not a size", v);
		} else if (!strcmp(k, "hashsize")) {
			/* the table grows by itself */
		} else if (!strcmp(k, "context_key")) {
			/* datajson: a match puts the value's object in the
			 * alert, as alert.context.KEY */
			if (!*v || strlen(v) > 63 || strpbrk(v, "\"\\"))
				FAIL("dataset: context_key \"%s\" is not a name of 1 to 63 characters", v);
			ctx_key = v;
		} else if (!strcmp(k, "remove_key")) {
			o.remove_key = true;
		} else if (!strcmp(k, "array_key")) {
			FAIL("dataset: array_key is not supported (the file must be an array of objects)");
		} else if (!strcmp(k, "format")) {
			if (!strcmp(v, "ndjson"))
				o.ndjson = true;
			else if (!strcmp(v, "json"))
				o.ndjson = o.json_array = true;
			else if (strcmp(v, "csv"))
				FAIL("dataset: format \"%s\" is not csv, json or ndjson", v);
		} else if (!strcmp(k, "value_key")) {
			o.value_key = v;
		} else if (!strcmp(k, "match")) {
			if (strcmp(v, "subdomain"))
				FAIL("dataset: match \"%s\" is not subdomain", v);
			subdomain = true;
		} else {
			FAIL("dataset: unknown option \"%s\"", k);
		}
	}
	o.untyped = !typed; /* the set another rule made, or an error */
	if (o.ndjson && !o.value_key)
		FAIL("dataset: format ndjson needs value_key");
	if (ctx_key && (!o.ndjson || rep))
		FAIL("dataset: context_key needs format json or ndjson");
	if (o.remove_key && !ctx_key)
		FAIL("dataset: remove_key needs context_key");
	o.json_ctx = ctx_key != NULL;
	char err[256] = "";
	struct dataset *ds = dataset_open(&o, err, sizeof(err));
	if (!ds)
		FAIL("%s", err);
	struct sm *s = add_sm(r, SM_DATASET, pc);
	if (!s)
		return -1;
	s->u.ds = (struct sm_dataset){ ds, (uint8_t)cmd, subdomain, rep, repc, NULL };
	if (ctx_key && strlen(ctx_key) > 63)
		FAIL("dataset: context_key longer than 63 characters");
	if (ctx_key && !(s->u.ds.ctx_key = v_strdup(ctx_key)))
		FAIL("out of memory");
	return 0;
}

static int kw_dataset(struct rule *r, const char *a, struct parse_ctx *pc) { return dataset_kw(r, a, false, pc); }

/* iprep:SIDE,CATEGORY,OP,N or SIDE,CATEGORY,isset|isnotset: a condition
 * on the packet's addresses, as the header conditions (no buffer) */
#define RULE_MAX_IPREP 8
static int kw_iprep(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	if (need_arg(arg, "iprep", pc))
		return -1;
	struct iprep_cond c;
	if (iprep_cond_parse(pc->iprep, arg, &c, pc->err, sizeof(pc->err)) < 0)
		return -1;
	if (r->ipr_cnt >= RULE_MAX_IPREP)
		FAIL("iprep: at most %d in a rule", RULE_MAX_IPREP);
	struct iprep_cond *v = v_realloc(r->ipr, (r->ipr_cnt + 1u) * sizeof(*v));
	if (!v)
		FAIL("out of memory");
	r->ipr = v;
	r->ipr[r->ipr_cnt++] = c;
	return 0;
}
static int kw_datarep(struct rule *r, const char *a, struct parse_ctx *pc) { return dataset_kw(r, a, true, pc); }

static int kw_pcre(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	if (need_arg(arg, "pcre", pc))
		return -1;
	char *d = v_strdup(arg);
	if (!d)
		FAIL("out of memory");
	char *s = kw_trim(d);
	bool neg = false;
	if (*s == '!') {
		neg = true;
		s = kw_trim(s + 1);
	}
	char *body = unquote(s);
	char *first, *last;
	if (!body || !(first = strchr(body, '/')) || (last = strrchr(body, '/')) == first) {
		v_free(d);
		FAIL("pcre: expected \"/regex/flags\"");
	}
	*last = '\0';
	const char *re_src = first + 1, *flags = last + 1;
	/* "/re/flags,flow:name" or ",pkt:name": the variables the captures
	 * go to (flowvar, pktvar; kw_gap_pcre_cap) */
	char *capt = strchr(last + 1, ',');
	if (capt) {
		for (char *t = capt + 1; *t; t++)
			if (!(isalnum((unsigned char)*t) || *t == '_' || *t == ':' || *t == ',' || *t == '.' || *t == ' ')) {
				/* (the message before d, which it quotes, is freed) */
				snprintf(pc->err, sizeof(pc->err), "pcre: bad capture target \"%.64s\"", capt + 1);
				v_free(d);
				return -1;
			}
		*capt = '\0'; /* the targets: kw_gap_pcre_cap */
	}
	uint32_t opts = 0;
	bool relative = false;
	int16_t pcre_buf = -1;
	for (const char *f = flags; *f; f++) {
		switch (*f) {
		case 'i': opts |= PCRE2_CASELESS; break;
		case 's': opts |= PCRE2_DOTALL; break;
		case 'm': opts |= PCRE2_MULTILINE; break;
		case 'x': opts |= PCRE2_EXTENDED; break;
		case 'A': opts |= PCRE2_ANCHORED; break;
		case 'E': opts |= PCRE2_DOLLAR_ENDONLY; break;
		case 'G': opts |= PCRE2_UNGREEDY; break;
		case 'R': relative = true; break;
		case 'B': case 'O': break; /* rawbytes; override limits */
		case 'U': case 'I': case 'P': case 'H': case 'D': case 'M': case 'C':
		case 'S': case 'Y': case 'V': case 'W': case 'Q': case 'Z': {
			/* Suricata's buffer-selecting modifiers */
			static const char mods[] = "UIPHDMCSYVWQZ";
			static const int16_t bufs[] = { BUF_HTTP_URI, BUF_HTTP_URI_RAW,
				BUF_HTTP_REQUEST_BODY, BUF_HTTP_HEADER, BUF_HTTP_HEADER_RAW,
				BUF_HTTP_METHOD, BUF_HTTP_COOKIE, BUF_HTTP_STAT_CODE,
				BUF_HTTP_STAT_MSG, BUF_HTTP_USER_AGENT, BUF_HTTP_HOST,
				BUF_FILE_DATA, BUF_HTTP_HOST_RAW };
			int16_t b = bufs[strchr(mods, *f) - mods];
			if (pcre_buf >= 0 && pcre_buf != b) {
				v_free(d);
				FAIL("pcre: two buffer modifiers");
			}
			pcre_buf = b;
			break;
		}
		case 'K': case 'L':
			snprintf(pc->kw, sizeof(pc->kw), "pcre modifier %c", *f);
			snprintf(pc->err, sizeof(pc->err),
				 "pcre modifier '%c' selects an app-layer buffer, not supported yet", *f);
			pc->unsupported = true;
			v_free(d);
			return -1;
		default:
			snprintf(pc->err, sizeof(pc->err), "pcre: unknown modifier '%c'", *f);
			v_free(d);
			return -1;
		}
	}
	int ec;
	PCRE2_SIZE eo;
	pcre2_code *re = pcre2_compile((PCRE2_SPTR)re_src, PCRE2_ZERO_TERMINATED, opts, &ec, &eo,
				       NULL);
	if (!re) {
		PCRE2_UCHAR msg[128];
		pcre2_get_error_message(ec, msg, sizeof(msg));
		snprintf(pc->err, sizeof(pc->err), "pcre: %s at offset %zu", (char *)msg, (size_t)eo);
		v_free(d);
		return -1;
	}
	/* JIT-compiled when a packet first reaches it (payload.c): most of a
	 * large ruleset's expressions never run */
	int16_t saved_buf = r->cur_buf;
	if (pcre_buf >= 0) {
		/* the modifier names the buffer, whatever sticky buffer is in
		 * effect (Suricata's behaviour) */
		r->cur_buf = pcre_buf;
		if (!r->alproto)
			r->alproto = ALP_HTTP;
	}
	struct sm *sm = add_sm_rel(r, SM_PCRE, relative, pc);
	r->cur_buf = saved_buf;
	if (!sm) {
		pcre2_code_free(re);
		v_free(d);
		return -1;
	}
	sm->u.pcre.re = re;
	sm->u.pcre.relative = relative;
	sm->u.pcre.negated = neg;
	sm->u.pcre.src = v_strdup(arg);
	int cr = kw_gap_pcre_cap(re, capt ? capt + 1 : NULL, &sm->u.pcre.cap, pc);
	v_free(d);
	return cr;
}

/* Common trailing options of byte_test / byte_jump / byte_extract. */
static int byte_opt(struct rule *r, struct sm_byte *b, char **toks, int *i, int n,
		    struct parse_ctx *pc)
{
	char *t = toks[*i];
	int64_t v;
	if (!strcmp(t, "relative")) b->relative = true;
	else if (!strcmp(t, "big")) b->endian = BYTE_BE;
	else if (!strcmp(t, "little")) b->endian = BYTE_LE;
	else if (!strcmp(t, "string")) { b->string = true; if (!b->base) b->base = 10; }
	else if (!strcmp(t, "hex")) b->base = 16;
	else if (!strcmp(t, "dec")) b->base = 10;
	else if (!strcmp(t, "oct")) b->base = 8;
	else if (!strcmp(t, "dce")) {
		snprintf(pc->kw, sizeof(pc->kw), "dce");
		pc->unsupported = true;
		FAIL("option dce needs the DCERPC parser, not supported yet");
	}
	else if (!strcmp(t, "align")) b->align = true;
	else if (!strcmp(t, "from_beginning")) b->from_beginning = true;
	else if (!strcmp(t, "from_end")) b->from_end = true;
	else if (!strncmp(t, "multiplier", 10)) {
		if (kw_i64(t + 10, &v) || v <= 0 || v > 65535)
			FAIL("bad multiplier \"%s\"", t);
		b->multiplier = (int32_t)v;
	} else if (!strncmp(t, "post_offset", 11)) {
		if (kw_i64(t + 11, &v) || v < -65535 || v > 65535)
			FAIL("bad post_offset \"%s\"", t);
		b->post_offset = (int32_t)v;
	} else if (!strncmp(t, "bitmask", 7)) {
		if (kw_i64(t + 7, &v) || v <= 0)
			FAIL("bad bitmask \"%s\"", t);
		b->bitmask = (uint64_t)v;
	} else if (!strncmp(t, "endian", 6)) {
		char *e = kw_trim(t + 6);
		if (!strcmp(e, "big")) b->endian = BYTE_BE;
		else if (!strcmp(e, "little")) b->endian = BYTE_LE;
		else FAIL("bad endian \"%s\"", e);
	} else if (!strncmp(t, "string", 6)) {
		char *e = kw_trim(t + 6);
		b->string = true;
		b->base = !strcmp(e, "hex") ? 16 : !strcmp(e, "oct") ? 8 : 10;
	} else {
		(void)r; (void)n;
		FAIL("unknown option \"%s\"", t);
	}
	return 0;
}

static int split_args(char *s, char **toks, int max)
{
	int n = 0;
	char *save = NULL;
	for (char *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (n >= max)
			return -1;
		toks[n++] = kw_trim(t);
	}
	return n;
}

static int byte_nbytes(const struct rule *r, struct sm_byte *b, const char *t, struct parse_ctx *pc)
{
	int64_t v;
	/* a byte_extract variable: the count read at match time (1 to 8, or
	 * 23 with string; checked there) */
	int var = var_index(r, t);
	if (var >= 0) {
		b->nbytes_var = (uint8_t)(var + 1);
		b->nbytes = 8;
		return 0;
	}
	/* 0: the rest of the buffer, as a string (byte_test; checked in byte_add) */
	if (kw_i64(t, &v) || v < 0 || v > 23)
		FAIL("bad byte count \"%s\"", t);
	b->nbytes = (uint8_t)v;
	return 0;
}

/* The common end of byte_test / byte_jump / byte_extract: a non-string
 * read is at most 8 bytes; then the match joins the current buffer. */
static int byte_add(struct rule *r, enum sm_type type, const struct sm_byte *b, const char *kw,
		    struct parse_ctx *pc)
{
	if (!b->string && b->nbytes > 8)
		FAIL("%s: more than 8 bytes needs string", kw);
	/* 0 bytes: the rest of the buffer for byte_test with string; nothing
	 * (the value 0) for byte_jump without, as Suricata reads it */
	if (!b->nbytes && !b->nbytes_var && !(type == SM_BYTE_TEST && b->string) &&
	    !(type == SM_BYTE_JUMP && !b->string))
		FAIL("%s: a byte count of 0 is for byte_test with string or byte_jump without", kw);
	struct sm *s = add_sm_rel(r, type, b->relative, pc);
	if (!s)
		return -1;
	s->u.b = *b;
	return 0;
}

static int kw_byte_test(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	if (need_arg(arg, "byte_test", pc))
		return -1;
	char tmp[512], *toks[16];
	str_lcpy(tmp, arg, sizeof(tmp));
	int n = split_args(tmp, toks, 16);
	if (n < 4)
		FAIL("byte_test: expected bytes,operator,value,offset[,options]");
	struct sm_byte b = { .result_var = -1 };
	if (byte_nbytes(r, &b, toks[0], pc))
		return -1;
	const char *op = toks[1];
	if (*op == '!') {
		b.negate_op = true;
		op++;
	}
	if (!strcmp(op, "<") || !strcmp(op, ">") || !strcmp(op, "=") || !strcmp(op, "&") ||
	    !strcmp(op, "^")) {
		b.op = op[0];
	} else if (!strcmp(op, "<=") || !strcmp(op, ">=")) {
		b.op = op[0];
		b.op2 = '=';
	} else if (!strcmp(op, "!=") || !strcmp(op, "")) {
		b.op = '=';
		b.negate_op = true;
	} else {
		FAIL("byte_test: bad operator \"%s\"", toks[1]);
	}
	if (parse_numvar(r, toks[2], &b.value) || parse_numvar(r, toks[3], &b.offset))
		FAIL("byte_test: bad value or offset");
	for (int i = 4; i < n; i++)
		if (byte_opt(r, &b, toks, &i, n, pc))
			return -1;
	return byte_add(r, SM_BYTE_TEST, &b, "byte_test", pc);
}

static int kw_byte_jump(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	if (need_arg(arg, "byte_jump", pc))
		return -1;
	char tmp[512], *toks[20];
	str_lcpy(tmp, arg, sizeof(tmp));
	int n = split_args(tmp, toks, 20);
	if (n < 2)
		FAIL("byte_jump: expected bytes,offset[,options]");
	struct sm_byte b = { .result_var = -1, .multiplier = 1 };
	if (byte_nbytes(r, &b, toks[0], pc))
		return -1;
	if (parse_numvar(r, toks[1], &b.offset))
		FAIL("byte_jump: bad offset \"%s\"", toks[1]);
	for (int i = 2; i < n; i++)
		if (byte_opt(r, &b, toks, &i, n, pc))
			return -1;
	return byte_add(r, SM_BYTE_JUMP, &b, "byte_jump", pc);
}

static int kw_byte_extract(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	if (need_arg(arg, "byte_extract", pc))
		return -1;
	char tmp[512], *toks[20];
	str_lcpy(tmp, arg, sizeof(tmp));
	int n = split_args(tmp, toks, 20);
	if (n < 3)
		FAIL("byte_extract: expected bytes,offset,name[,options]");
	struct sm_byte b = { .multiplier = 1 };
	if (byte_nbytes(r, &b, toks[0], pc))
		return -1;
	if (parse_numvar(r, toks[1], &b.offset))
		FAIL("byte_extract: bad offset \"%s\"", toks[1]);
	for (int i = 3; i < n; i++) {
		if (!strncmp(toks[i], "align", 5) && toks[i][5]) {
			int64_t v;
			if (kw_i64(toks[i] + 5, &v) || (v != 2 && v != 4))
				FAIL("byte_extract: align must be 2 or 4");
			b.align = true;
			b.post_offset = (int32_t)v; /* reused as the alignment */
			continue;
		}
		if (byte_opt(r, &b, toks, &i, n, pc))
			return -1;
	}
	int v = new_var(r, toks[2], pc);
	if (v < 0)
		return -1;
	b.result_var = (int8_t)v;
	return byte_add(r, SM_BYTE_EXTRACT, &b, "byte_extract", pc);
}

static int kw_byte_math(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	if (need_arg(arg, "byte_math", pc))
		return -1;
	char tmp[512], *toks[20];
	str_lcpy(tmp, arg, sizeof(tmp));
	int n = split_args(tmp, toks, 20);
	struct sm_byte b = { .result_var = -1 };
	const char *result = NULL;
	bool have_bytes = false, have_off = false, have_op = false, have_rv = false;
	for (int i = 0; i < n; i++) {
		char *t = toks[i];
		if (!strncmp(t, "bytes", 5)) {
			if (byte_nbytes(r, &b, kw_trim(t + 5), pc))
				return -1;
			have_bytes = true;
		} else if (!strncmp(t, "offset", 6)) {
			if (parse_numvar(r, kw_trim(t + 6), &b.offset))
				FAIL("byte_math: bad offset");
			have_off = true;
		} else if (!strncmp(t, "oper", 4)) {
			char *o = kw_trim(t + 4);
			if (!strcmp(o, "<<")) b.op = 'L';
			else if (!strcmp(o, ">>")) b.op = 'R';
			else if (strlen(o) == 1 && strchr("+-*/", o[0])) b.op = o[0];
			else FAIL("byte_math: bad operator \"%s\"", o);
			have_op = true;
		} else if (!strncmp(t, "rvalue", 6)) {
			if (parse_numvar(r, kw_trim(t + 6), &b.value))
				FAIL("byte_math: bad rvalue");
			have_rv = true;
		} else if (!strncmp(t, "result", 6)) {
			result = kw_trim(t + 6);
		} else if (byte_opt(r, &b, toks, &i, n, pc)) {
			return -1;
		}
	}
	if (!have_bytes || !have_off || !have_op || !have_rv || !result || !*result)
		FAIL("byte_math: needs bytes, offset, oper, rvalue and result");
	int v = new_var(r, result, pc);
	if (v < 0)
		return -1;
	b.result_var = (int8_t)v;
	struct sm *s = add_sm(r, SM_BYTE_MATH, pc);
	if (!s)
		return -1;
	s->u.b = b;
	return 0;
}

/* ---- flow ---- */

static int kw_flow(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	if (need_arg(arg, "flow", pc))
		return -1;
	char tmp[256], *toks[8];
	str_lcpy(tmp, arg, sizeof(tmp));
	int n = split_args(tmp, toks, 8);
	if (n < 1)
		FAIL("flow: empty");
	for (int i = 0; i < n; i++) {
		const char *t = toks[i];
		if (!strcmp(t, "to_server") || !strcmp(t, "from_client")) r->flow_flags |= RF_TOSERVER;
		else if (!strcmp(t, "to_client") || !strcmp(t, "from_server")) r->flow_flags |= RF_TOCLIENT;
		else if (!strcmp(t, "established")) r->flow_flags |= RF_ESTABLISHED;
		else if (!strcmp(t, "not_established")) r->flow_flags |= RF_NOT_ESTABLISHED;
		else if (!strcmp(t, "stateless")) r->flow_flags |= RF_STATELESS;
		else if (!strcmp(t, "only_stream")) r->flow_flags |= RF_ONLY_STREAM;
		else if (!strcmp(t, "no_stream")) r->flow_flags |= RF_NO_STREAM;
		else if (!strcmp(t, "only_frag")) r->flow_flags |= RF_ONLY_FRAG;
		else if (!strcmp(t, "no_frag")) r->flow_flags |= RF_NO_FRAG;
		else FAIL("flow: unknown option \"%s\"", t);
	}
	if ((r->flow_flags & RF_TOSERVER) && (r->flow_flags & RF_TOCLIENT))
		FAIL("flow: to_server and to_client together");
	if ((r->flow_flags & RF_ESTABLISHED) && (r->flow_flags & RF_NOT_ESTABLISHED))
		FAIL("flow: established and not_established together");
	return 0;
}

static int kw_flowbits(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	if (need_arg(arg, "flowbits", pc))
		return -1;
	char tmp[512];
	str_lcpy(tmp, arg, sizeof(tmp));
	char *comma = strchr(tmp, ',');
	char *cmd = kw_trim(comma ? (*comma = '\0', tmp) : tmp);
	char *names = comma ? kw_trim(comma + 1) : NULL;
	struct flowbit_cond c = { 0 };
	if (!strcmp(cmd, "noalert")) {
		r->noalert = true;
		return 0;
	}
	if (!strcmp(cmd, "set")) c.op = FB_SET;
	else if (!strcmp(cmd, "unset")) c.op = FB_UNSET;
	else if (!strcmp(cmd, "toggle")) c.op = FB_TOGGLE;
	else if (!strcmp(cmd, "isset")) c.op = FB_ISSET;
	else if (!strcmp(cmd, "isnotset")) c.op = FB_ISNOTSET;
	else FAIL("flowbits: unknown command \"%s\"", cmd);
	if (!names || !*names)
		FAIL("flowbits: %s needs a name", cmd);
	c.or_group = strchr(names, '|') != NULL;
	char *save = NULL;
	for (char *t = strtok_r(names, "|&", &save); t; t = strtok_r(NULL, "|&", &save)) {
		if (c.cnt >= 8)
			FAIL("flowbits: more than 8 names");
		uint32_t id = name_intern(NS_FLOWBIT, kw_trim(t));
		if (id == UINT32_MAX)
			FAIL("flowbits: too many distinct names");
		c.ids[c.cnt++] = id;
	}
	struct flowbit_cond *v = v_realloc(r->fb, (r->fb_cnt + 1) * sizeof(*v));
	if (!v)
		FAIL("out of memory");
	r->fb = v;
	r->fb[r->fb_cnt++] = c;
	return 0;
}

/* hostbits:CMD,NAME[,src|dst][,expire N] and
 * xbits:CMD,NAME,track ip_src|ip_dst|ip_pair[,expire N] */
static int xbit_parse(struct rule *r, const char *arg, bool xbits, struct parse_ctx *pc)
{
	const char *kw = xbits ? "xbits" : "hostbits";
	if (need_arg(arg, kw, pc))
		return -1;
	char tmp[512], *toks[6];
	str_lcpy(tmp, arg, sizeof(tmp));
	int n = split_args(tmp, toks, 6);
	if (n < 1)
		FAIL("%s: expected a command and a name", kw);
	struct xbit_cond c = { .track = xbits ? 0xff : XB_SRC };
	if (!strcmp(toks[0], "noalert")) {
		if (n != 1)
			FAIL("%s: noalert takes nothing more", kw);
		r->noalert = true;
		return 0;
	}
	if (!strcmp(toks[0], "set")) c.op = FB_SET;
	else if (!strcmp(toks[0], "unset")) c.op = FB_UNSET;
	else if (!strcmp(toks[0], "toggle")) c.op = FB_TOGGLE;
	else if (!strcmp(toks[0], "isset")) c.op = FB_ISSET;
	else if (!strcmp(toks[0], "isnotset")) c.op = FB_ISNOTSET;
	else FAIL("%s: unknown command \"%s\"", kw, toks[0]);
	if (n < 2 || !*toks[1] || strpbrk(toks[1], "|& "))
		FAIL("%s: %s needs one name", kw, toks[0]);
	for (int i = 2; i < n; i++) {
		char a[32], b[32], extra;
		int f = sscanf(toks[i], "%31s %31s %c", a, b, &extra);
		if (f == 2 && !strcmp(a, "expire")) {
			int64_t v;
			if (kw_i64(b, &v) || v < 1 || v > 86400 * 365)
				FAIL("%s: expire wants seconds, got \"%s\"", kw, b);
			c.expire = (uint32_t)v;
		} else if (xbits && f == 2 && !strcmp(a, "track")) {
			if (!strcmp(b, "ip_src")) c.track = XB_SRC;
			else if (!strcmp(b, "ip_dst")) c.track = XB_DST;
			else if (!strcmp(b, "ip_pair")) c.track = XB_PAIR;
			else FAIL("xbits: track is ip_src, ip_dst or ip_pair, not \"%s\"", b);
		} else if (!xbits && f == 1 && (!strcmp(a, "src") || !strcmp(a, "dst"))) {
			c.track = a[0] == 's' ? XB_SRC : XB_DST;
		} else {
			FAIL("%s: unknown option \"%s\"", kw, toks[i]);
		}
	}
	if (c.track == 0xff)
		FAIL("xbits: track ip_src, ip_dst or ip_pair is needed");
	c.id = name_intern(NS_XBIT, toks[1]);
	if (c.id == UINT32_MAX)
		FAIL("%s: too many distinct names", kw);
	struct xbit_cond *v = v_realloc(r->xb, (r->xb_cnt + 1) * sizeof(*v));
	if (!v)
		FAIL("out of memory");
	r->xb = v;
	r->xb[r->xb_cnt++] = c;
	return 0;
}
/* alert; in a pass rule: it alerts as well as passing (Suricata 8) */
static int kw_alert(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	if (arg && *arg)
		FAIL("alert takes no value");
	r->pass_alert = true;
	return 0;
}

/* tag:session[,N,packets|seconds|bytes[,src|dst|both]] or
 * tag:host[,N,packets|seconds|bytes[,src|dst]] */
static int kw_tag(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	char tmp[128], *toks[5];
	if (need_arg(arg, "tag", pc))
		return -1;
	str_lcpy(tmp, arg, sizeof(tmp));
	int n = split_args(tmp, toks, 5);
	struct tag_spec t = { .metric = TAG_PACKETS };
	if (n < 1 || n > 4 || n == 2)
		FAIL("tag: expected session|host[,count,metric[,direction]]");
	if (!strcmp(toks[0], "session"))
		t.kind = TAG_SESSION;
	else if (!strcmp(toks[0], "host"))
		t.kind = TAG_HOST;
	else
		FAIL("tag: \"%s\" is not session or host", toks[0]);
	if (n >= 3) {
		int64_t v;
		if (kw_i64(toks[1], &v) || v < 1 || v > UINT32_MAX)
			FAIL("tag: count \"%s\" is not a number from 1", toks[1]);
		t.count = (uint32_t)v;
		if (!strcmp(toks[2], "packets")) t.metric = TAG_PACKETS;
		else if (!strcmp(toks[2], "seconds")) t.metric = TAG_SECONDS;
		else if (!strcmp(toks[2], "bytes")) t.metric = TAG_BYTES;
		else FAIL("tag: metric is packets, seconds or bytes, not \"%s\"", toks[2]);
	}
	if (n == 4) {
		if (!strcmp(toks[3], "dst"))
			t.dst = true;
		else if (strcmp(toks[3], "src") && (t.kind == TAG_HOST || strcmp(toks[3], "both")))
			FAIL("tag: direction is src or dst%s, not \"%s\"",
			     t.kind == TAG_SESSION ? " or both" : "", toks[3]);
	}
	if (r->ntags >= 2)
		FAIL("tag: at most one session and one host tag");
	r->tags[r->ntags++] = t;
	return 0;
}

static int kw_hostbits(struct rule *r, const char *a, struct parse_ctx *pc) { return xbit_parse(r, a, false, pc); }
static int kw_xbits(struct rule *r, const char *a, struct parse_ctx *pc) { return xbit_parse(r, a, true, pc); }

static int kw_flowint(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	if (need_arg(arg, "flowint", pc))
		return -1;
	char tmp[256], *toks[4];
	str_lcpy(tmp, arg, sizeof(tmp));
	int n = split_args(tmp, toks, 4);
	if (n < 2)
		FAIL("flowint: expected name,operation[,value]");
	struct flowint_cond c = { .value_var = -1 };
	c.id = name_intern(NS_FLOWINT, toks[0]);
	if (c.id == UINT32_MAX)
		FAIL("flowint: too many distinct names");
	static const struct { const char *s; uint8_t op; } ops[] = {
		{ "=", FI_SET }, { "+", FI_ADD }, { "-", FI_SUB }, { "==", FI_EQ }, { "!=", FI_NE },
		{ "<", FI_LT }, { ">", FI_GT }, { "<=", FI_LE }, { ">=", FI_GE },
		{ "isset", FI_ISSET }, { "notset", FI_NOTSET }, { "isnotset", FI_NOTSET },
	};
	size_t k;
	for (k = 0; k < ARRAY_SIZE(ops); k++)
		if (!strcmp(ops[k].s, toks[1]))
			break;
	if (k == ARRAY_SIZE(ops))
		FAIL("flowint: bad operation \"%s\"", toks[1]);
	c.op = ops[k].op;
	if (c.op != FI_ISSET && c.op != FI_NOTSET) {
		if (n < 3)
			FAIL("flowint: %s needs a value", toks[1]);
		if (kw_i64(toks[2], &c.value) < 0) {
			c.value_var = (int32_t)name_intern(NS_FLOWINT, toks[2]);
			if (c.value_var < 0)
				FAIL("flowint: bad value");
		}
	}
	struct flowint_cond *v = v_realloc(r->fi, (r->fi_cnt + 1) * sizeof(*v));
	if (!v)
		FAIL("out of memory");
	r->fi = v;
	r->fi[r->fi_cnt++] = c;
	return 0;
}

static int parse_threshold(const char *arg, struct threshold *t, bool df, struct parse_ctx *pc)
{
	char tmp[256], *toks[8];
	str_lcpy(tmp, arg ? arg : "", sizeof(tmp));
	int n = split_args(tmp, toks, 8);
	bool have_type = df, have_track = false, have_count = false, have_secs = false;
	t->on = true;
	if (df)
		t->type = TH_TYPE_DETECTION_FILTER;
	for (int i = 0; i < n; i++) {
		char *k = toks[i];
		size_t kl = strcspn(k, " \t");
		char *v = kw_trim(k + kl);
		k[kl] = '\0';
		uint64_t u;
		if (!strcmp(k, "type") && !df) {
			if (!strcmp(v, "limit")) t->type = TH_TYPE_LIMIT;
			else if (!strcmp(v, "threshold")) t->type = TH_TYPE_THRESHOLD;
			else if (!strcmp(v, "both")) t->type = TH_TYPE_BOTH;
			else if (!strcmp(v, "backoff")) t->type = TH_TYPE_BACKOFF;
			else FAIL("threshold: bad type \"%s\"", v);
			have_type = true;
		} else if (!strcmp(k, "track")) {
			if (!strcmp(v, "by_src")) t->track = TRACK_BY_SRC;
			else if (!strcmp(v, "by_dst")) t->track = TRACK_BY_DST;
			else if (!strcmp(v, "by_rule")) t->track = TRACK_BY_RULE;
			else if (!strcmp(v, "by_both")) t->track = TRACK_BY_BOTH;
			else if (!strcmp(v, "by_flow")) t->track = TRACK_BY_FLOW;
			else FAIL("bad track \"%s\"", v);
			have_track = true;
		} else if (!strcmp(k, "count") && parse_uint(v, UINT32_MAX, &u) == 0) {
			t->count = (uint32_t)u;
			have_count = true;
		} else if (!strcmp(k, "seconds") && parse_uint(v, UINT32_MAX, &u) == 0) {
			t->seconds = (uint32_t)u;
			have_secs = true;
		} else if (!strcmp(k, "multiplier") && !df && parse_uint(v, UINT32_MAX, &u) == 0 && u) {
			t->multiplier = (uint32_t)u;
		} else {
			FAIL("%s: bad option \"%s\"", df ? "detection_filter" : "threshold", k);
		}
	}
	if (t->type == TH_TYPE_BACKOFF) {
		/* as Suricata: tracked per flow, a multiplier instead of seconds */
		if (!have_track || !have_count || !t->count || !t->multiplier || have_secs)
			FAIL("threshold: type backoff needs track, count and multiplier (no seconds)");
		if (t->track != TRACK_BY_FLOW)
			FAIL("threshold: type backoff is tracked by_flow only");
		return 0;
	}
	if (t->multiplier)
		FAIL("threshold: multiplier is for type backoff");
	if (!have_type || !have_track || !have_count || !have_secs)
		FAIL("%s: needs %stype, track, count and seconds", df ? "detection_filter" : "threshold",
		     df ? "" : "");
	return 0;
}

static int kw_threshold(struct rule *r, const char *a, struct parse_ctx *pc)
{
	return parse_threshold(a, &r->th, false, pc);
}

static int kw_detection_filter(struct rule *r, const char *a, struct parse_ctx *pc)
{
	return parse_threshold(a, &r->df, true, pc);
}

/* ---- header keywords ---- */


HDR(ttl, "ttl", HC_TTL, 255)
/* ipv4-csum:valid|invalid and the like: the packet's checksum as the
 * decoder found it (with checksum validation off, as Suricata: any value
 * matches) */
static int csum_kw(struct rule *r, const char *a, uint8_t which, const char *name, struct parse_ctx *pc)
{
	char tmp[16];
	str_lcpy(tmp, a ? a : "", sizeof(tmp));
	const char *v = kw_trim(tmp);
	if (!strcmp(v, "valid"))
		r->csum_valid |= which;
	else if (!strcmp(v, "invalid"))
		r->csum_invalid |= which;
	else
		FAIL("%s: valid or invalid, not \"%s\"", name, v);
	return 0;
}
CSUM(ipv4_csum, CSK_IPV4, "ipv4-csum")
CSUM(tcpv4_csum, CSK_TCPV4, "tcpv4-csum")
CSUM(tcpv6_csum, CSK_TCPV6, "tcpv6-csum")
CSUM(udpv4_csum, CSK_UDPV4, "udpv4-csum")
CSUM(udpv6_csum, CSK_UDPV6, "udpv6-csum")
CSUM(icmpv4_csum, CSK_ICMPV4, "icmpv4-csum")
CSUM(icmpv6_csum, CSK_ICMPV6, "icmpv6-csum")
HDR(id, "id", HC_ID, 65535)
HDR(seq, "seq", HC_SEQ, UINT32_MAX)
HDR(ack, "ack", HC_ACK, UINT32_MAX)
HDR(window, "window", HC_WINDOW, 65535)
HDR(itype, "itype", HC_ITYPE, 255)
HDR(icode, "icode", HC_ICODE, 255)
HDR(icmp_id, "icmp_id", HC_ICMP_ID, 65535)
HDR(icmp_seq, "icmp_seq", HC_ICMP_SEQ, 65535)
/* icmpv6.mtu: the MTU of an ICMPv6 Packet Too Big message */
HDR(icmpv6_mtu, "icmpv6.mtu", HC_ICMPV6_MTU, UINT32_MAX, .proto = 58)

static int kw_tos(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	/* tos accepts hex like 0x10 and x10 */
	char tmp[32];
	if (need_arg(arg, "tos", pc))
		return -1;
	str_lcpy(tmp, arg, sizeof(tmp));
	char *t = tmp;
	bool neg = false;
	if (*t == '!') {
		neg = true;
		t++;
	}
	int64_t v;
	if (*t == 'x' || *t == 'X') {
		char hex[40];
		snprintf(hex, sizeof(hex), "0%.30s", t);
		t = hex;
		if (kw_i64(t, &v) || v < 0 || v > 255)
			FAIL("tos: bad value \"%s\"", arg);
	} else if (kw_i64(t, &v) || v < 0 || v > 255) {
		FAIL("tos: bad value \"%s\"", arg);
	}
	if (!rule_hdr(r))
		FAIL("out of memory");
	r->hdr[HC_TOS].op = neg ? CMP_NE : CMP_EQ;
	r->hdr[HC_TOS].a = (uint64_t)v;
	r->hdr_mask |= 1u << HC_TOS;
	return 0;
}

static int ip_proto_name(const char *s)
{
	static const struct { const char *n; uint8_t v; } names[] = {
		{ "icmp", 1 }, { "igmp", 2 }, { "ipip", 4 }, { "tcp", 6 }, { "udp", 17 },
		{ "ipv6", 41 }, { "gre", 47 }, { "esp", 50 }, { "ah", 51 }, { "ipv6-icmp", 58 },
		{ "icmpv6", 58 }, { "pim", 103 }, { "sctp", 132 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcasecmp(names[i].n, s))
			return names[i].v;
	return -1;
}
HDR(ip_proto, "ip_proto", HC_IP_PROTO, 255, .lookup = ip_proto_name, .flags = KN_NAME_NOT)

static int kw_sameip(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	(void)arg;
	(void)pc;
	r->sameip = true;
	return 0;
}

static int kw_fragbits(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	if (need_arg(arg, "fragbits", pc))
		return -1;
	uint8_t want = 0, mode = 0;
	for (const char *p = arg; *p; p++) {
		switch (*p) {
		case 'M': want |= 0x20; break;
		case 'D': want |= 0x40; break;
		case 'R': want |= 0x80; break;
		case '+': case '*': case '!': mode = (uint8_t)*p; break;
		case ' ': break;
		default: FAIL("fragbits: bad character '%c'", *p);
		}
	}
	r->has_fragbits = true;
	r->fragbits_mode = mode;
	r->fragbits_want = want;
	return 0;
}

static int kw_flags(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	if (need_arg(arg, "flags", pc))
		return -1;
	char tmp[64];
	str_lcpy(tmp, arg, sizeof(tmp));
	char *comma = strchr(tmp, ',');
	uint8_t mask = 0xff;
	if (comma) {
		*comma = '\0';
		uint8_t ign = 0;
		for (const char *m = comma + 1; *m; m++) {
			switch (*m) {
			case 'S': ign |= 0x02; break; case 'A': ign |= 0x10; break;
			case 'F': ign |= 0x01; break; case 'R': ign |= 0x04; break;
			case 'P': ign |= 0x08; break; case 'U': ign |= 0x20; break;
			case 'C': case '2': ign |= 0x80; break; case 'E': case '1': ign |= 0x40; break;
			case ' ': break;
			default: FAIL("flags: bad mask character '%c'", *m);
			}
		}
		mask = (uint8_t)~ign;
	}
	uint8_t want = 0, mode = 0;
	for (const char *p = tmp; *p; p++) {
		switch (*p) {
		case 'S': want |= 0x02; break; case 'A': want |= 0x10; break;
		case 'F': want |= 0x01; break; case 'R': want |= 0x04; break;
		case 'P': want |= 0x08; break; case 'U': want |= 0x20; break;
		case 'C': case '2': want |= 0x80; break; case 'E': case '1': want |= 0x40; break;
		case '0': break;
		case '+': case '*': case '!': mode = (uint8_t)*p; break;
		case ' ': break;
		default: FAIL("flags: bad character '%c'", *p);
		}
	}
	r->has_flags = true;
	r->flags_mode = mode;
	r->flags_want = want;
	r->flags_mask = mask;
	return 0;
}

static int kw_tcp_flags(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	return kw_flags(r, arg, pc);
}

/* ---- app layer ---- */

static int kw_app_layer_protocol(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	if (need_arg(arg, "app-layer-protocol", pc))
		return -1;
	char tmp[64];
	str_lcpy(tmp, arg, sizeof(tmp));
	char *a = kw_trim(tmp), *comma = strchr(a, ',');
	uint8_t mode = ALPM_FINAL;
	if (comma) {
		*comma = '\0';
		const char *m = kw_trim(comma + 1);
		a = kw_trim(a);
		if (!strcmp(m, "final"))
			mode = ALPM_FINAL;
		else if (!strcmp(m, "to_server"))
			mode = ALPM_TO_SERVER;
		else if (!strcmp(m, "to_client"))
			mode = ALPM_TO_CLIENT;
		else if (!strcmp(m, "direction"))
			mode = ALPM_DIRECTION;
		else if (!strcmp(m, "either"))
			mode = ALPM_EITHER;
		else if (!strcmp(m, "original"))
			mode = ALPM_ORIGINAL;
		else {
			FAIL("app-layer-protocol: unknown mode \"%s\" (final, to_server, to_client, direction, either, original)", m);
		}
	}
	bool neg = *a == '!';
	if (neg)
		a = kw_trim(a + 1);
	int p = !strcmp(a, "failed") ? ALP_FAILED : alproto_lookup(a);
	if (p < 0) {
		snprintf(pc->kw, sizeof(pc->kw), "app-layer-protocol:%.40s", a);
		pc->unsupported = true;
		FAIL("app-layer-protocol \"%s\": vigil does not detect it yet", a);
	}
	if (r->nalp >= 4)
		FAIL("more than 4 app-layer-protocol keywords");
	r->alp[r->nalp].p = (uint8_t)p;
	r->alp[r->nalp].neg = neg;
	r->alp[r->nalp].mode = mode;
	r->nalp++;
	return 0;
}

static int sticky(struct rule *r, enum buffer_id b, uint8_t alp)
{
	r->cur_buf = (int16_t)b;
	r->cur_xl = -1;
	r->last_content = NULL;
	if (!r->alproto)
		r->alproto = alp;
	return 0;
}

/* A sticky buffer keyword's value: in a => rule, "to_server" or
 * "to_client" says which direction of the transaction the buffer is taken
 * from (Suricata 8: http.connection: to_client); other values are ignored,
 * as before. */
int kw_sticky_dir(struct rule *r, enum buffer_id b, uint8_t alp, const char *a,
		  struct parse_ctx *pc)
{
	sticky(r, b, alp);
	char tmp[16];
	if (!a || !*a)
		return 0;
	str_lcpy(tmp, a, sizeof(tmp));
	const char *t = kw_trim(tmp);
	uint8_t side = !strcmp(t, "to_server") ? 1 : !strcmp(t, "to_client") ? 2 : 0;
	if (!side)
		return 0;
	if (!r->txdir)
		FAIL("%s: %s: a buffer's direction is for transactional (=>) rules", buffer_names[b], t);
	return xform_side(r, side, pc);
}

/* pkt_data: back to the payload (Suricata's PMATCH list: the packet, or
 * the reassembled stream) after a sticky buffer */
static int kw_pkt_data(struct rule *r, const char *a, struct parse_ctx *pc)
{
	if (a && *a)
		FAIL("pkt_data takes no value");
	return sticky(r, BUF_PAYLOAD, ALP_UNKNOWN);
}
STICKY(dns_query, BUF_DNS_QUERY, ALP_DNS)
STICKY(tls_sni, BUF_TLS_SNI, ALP_TLS)
STICKY(ja3_hash, BUF_JA3_HASH, ALP_TLS)
STICKY(ja3_string, BUF_JA3_STRING, ALP_TLS)
STICKY(ja3s_hash, BUF_JA3S_HASH, ALP_TLS)
STICKY(ja3s_string, BUF_JA3S_STRING, ALP_TLS)
ALIAS(ja3_hash_legacy, ja3_hash)
ALIAS(ja3_string_legacy, ja3_string)

/* the older names of the same sticky buffers */
ALIAS(dns_query_legacy, dns_query)
ALIAS(tls_sni_legacy, tls_sni)

static int kw_dotprefix(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	return xform_add(r, XF_DOTPREFIX, arg, pc);
}

/* the other transforms (xform.c) */
XFORM(to_lowercase, XF_TO_LOWER)
XFORM(to_uppercase, XF_TO_UPPER)
XFORM(strip_whitespace, XF_STRIP_WS)
XFORM(compress_whitespace, XF_COMPRESS_WS)
XFORM(url_decode, XF_URL_DECODE)
XFORM(domain, XF_DOMAIN)
XFORM(tld, XF_TLD)
XFORM(to_md5, XF_MD5)
XFORM(to_sha1, XF_SHA1)
XFORM(to_sha256, XF_SHA256)
XFORM(xor, XF_XOR)
XFORM(from_base64, XF_FROM_BASE64)
XFORM(pcrexform, XF_PCREXFORM)
XFORM(header_lowercase, XF_HEADER_LOWER)
XFORM(strip_pseudo_headers, XF_STRIP_PSEUDO)
XFORM(gunzip, XF_GUNZIP)
XFORM(zlib_deflate, XF_ZLIB)


/* HTTP sticky buffers and legacy modifiers */
/* legacy content modifiers: move the previous content into the buffer */
static int legacy(struct rule *r, enum buffer_id b, uint8_t alp, const char *kw,
		  struct parse_ctx *pc)
{
	struct sm_list *from = &r->lists[BUF_PAYLOAD], *to = &r->lists[b];
	/* the content must be the payload list's (a second modifier on the
	 * same content finds it already moved) */
	size_t idx = from->cnt;
	for (size_t i = 0; i < from->cnt; i++)
		if (r->last_content == &from->v[i])
			idx = i;
	if (!r->last_content || r->cur_buf != BUF_PAYLOAD || idx == from->cnt)
		FAIL("%s without a preceding content of its own", kw);
	struct sm *v = v_realloc(to->v, (to->cnt + 1) * sizeof(*v));
	if (!v)
		FAIL("out of memory");
	to->v = v;
	to->v[to->cnt++] = from->v[idx];
	memmove(&from->v[idx], &from->v[idx + 1], (from->cnt - idx - 1) * sizeof(struct sm));
	from->cnt--;
	r->last_content = &to->v[to->cnt - 1];
	r->last_pm = r->last_content;
	r->last_pm_where = b;
	if (!r->alproto)
		r->alproto = alp;
	return 0;
}
STICKY(http_method, BUF_HTTP_METHOD, ALP_HTTP)
STICKY(http_uri, BUF_HTTP_URI, ALP_HTTP)
STICKY(http_uri_raw, BUF_HTTP_URI_RAW, ALP_HTTP)
STICKY(http_protocol, BUF_HTTP_PROTOCOL, ALP_HTTP)
STICKY(http_request_line, BUF_HTTP_REQUEST_LINE, ALP_HTTP)
STICKY(http_host, BUF_HTTP_HOST, ALP_HTTP)
STICKY(http_host_raw, BUF_HTTP_HOST_RAW, ALP_HTTP)
STICKY(http_user_agent, BUF_HTTP_USER_AGENT, ALP_HTTP)
STICKY(http_header, BUF_HTTP_HEADER, ALP_HTTP)
STICKY(http_header_raw, BUF_HTTP_HEADER_RAW, ALP_HTTP)
STICKY(http_header_names, BUF_HTTP_HEADER_NAMES, ALP_HTTP)
STICKY(http_cookie, BUF_HTTP_COOKIE, ALP_HTTP)
STICKY(http_content_type, BUF_HTTP_CONTENT_TYPE, ALP_HTTP)
STICKY(http_content_len, BUF_HTTP_CONTENT_LEN, ALP_HTTP)
ALIAS(http_content_type_alias, http_content_type)
ALIAS(http_content_len_alias, http_content_len)
/* Suricata's older names of the header buffers: sticky buffers too (its
 * aliases of http.accept ...), not content modifiers */
STICKY(http_referer, BUF_HTTP_REFERER, ALP_HTTP)
STICKY(http_accept, BUF_HTTP_ACCEPT, ALP_HTTP)
STICKY(http_accept_enc, BUF_HTTP_ACCEPT_ENC, ALP_HTTP)
STICKY(http_accept_lang, BUF_HTTP_ACCEPT_LANG, ALP_HTTP)
STICKY(http_connection, BUF_HTTP_CONNECTION, ALP_HTTP)
STICKY(http_stat_code, BUF_HTTP_STAT_CODE, ALP_HTTP)
STICKY(http_stat_msg, BUF_HTTP_STAT_MSG, ALP_HTTP)
STICKY(http_response_line, BUF_HTTP_RESPONSE_LINE, ALP_HTTP)
STICKY(http_server, BUF_HTTP_SERVER, ALP_HTTP)
STICKY(http_location, BUF_HTTP_LOCATION, ALP_HTTP)
LEGACY(http_method_mod, BUF_HTTP_METHOD, ALP_HTTP, "http_method")
LEGACY(http_uri_mod, BUF_HTTP_URI, ALP_HTTP, "http_uri")
LEGACY(http_raw_uri_mod, BUF_HTTP_URI_RAW, ALP_HTTP, "http_raw_uri")
LEGACY(http_host_mod, BUF_HTTP_HOST, ALP_HTTP, "http_host")
LEGACY(http_raw_host_mod, BUF_HTTP_HOST_RAW, ALP_HTTP, "http_raw_host")
LEGACY(http_user_agent_mod, BUF_HTTP_USER_AGENT, ALP_HTTP, "http_user_agent")
LEGACY(http_header_mod, BUF_HTTP_HEADER, ALP_HTTP, "http_header")
LEGACY(http_raw_header_mod, BUF_HTTP_HEADER_RAW, ALP_HTTP, "http_raw_header")
LEGACY(http_cookie_mod, BUF_HTTP_COOKIE, ALP_HTTP, "http_cookie")
LEGACY(http_stat_code_mod, BUF_HTTP_STAT_CODE, ALP_HTTP, "http_stat_code")
LEGACY(http_stat_msg_mod, BUF_HTTP_STAT_MSG, ALP_HTTP, "http_stat_msg")

/* the packet's headers as sticky buffers */
static int hdr_buf(struct rule *r, enum buffer_id b, uint8_t proto, uint8_t ipver)
{
	sticky(r, b, ALP_UNKNOWN);
	if (proto && !r->proto)
		r->proto = proto;
	if (ipver && !r->ipver)
		r->ipver = ipver;
	return 0;
}
HDRBUF(ip_src, BUF_IP_SRC, 0, 0)
HDRBUF(ip_dst, BUF_IP_DST, 0, 0)
HDRBUF(ipv4_hdr, BUF_IPV4_HDR, 0, 4)
HDRBUF(ipv6_hdr, BUF_IPV6_HDR, 0, 6)
HDRBUF(tcp_hdr, BUF_TCP_HDR, 6, 0)
HDRBUF(udp_hdr, BUF_UDP_HDR, 17, 0)
HDRBUF(icmpv4_hdr, BUF_ICMPV4_HDR, 1, 0)
HDRBUF(icmpv6_hdr, BUF_ICMPV6_HDR, 58, 0)

/* base64_decode:[bytes N][, offset N][, relative]: decodes from the
 * current buffer for base64_data; base64_data: what it decoded */
static int kw_base64_decode(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	struct sm_b64 b = { 0, 0, false };
	char tmp[128], *toks[6];
	str_lcpy(tmp, arg ? arg : "", sizeof(tmp));
	int n = *kw_trim(tmp) ? split_args(tmp, toks, 6) : 0;
	if (n < 0)
		FAIL("base64_decode: too many options");
	bool seen[3] = { false, false, false };
	for (int i = 0; i < n; i++) {
		char name[16], val[32], extra;
		int f = sscanf(toks[i], "%15s %31s %c", name, val, &extra);
		int k = !strcmp(name, "bytes") ? 0 : !strcmp(name, "offset") ? 1 : !strcmp(name, "relative") ? 2 : -1;
		if (k < 0 || (k == 2 ? f != 1 : f != 2))
			FAIL("base64_decode: expected bytes N, offset N or relative, got \"%s\"", toks[i]);
		if (seen[k])
			FAIL("base64_decode: \"%s\" given twice", name);
		seen[k] = true;
		int64_t v = 0;
		if (k < 2 && (kw_i64(val, &v) || v < 0 || v > 65535 || (k == 0 && !v)))
			FAIL("base64_decode: %s wants a number up to 65535, got \"%s\"", name, val);
		if (k == 0)
			b.bytes = (uint32_t)v;
		else if (k == 1)
			b.offset = (uint32_t)v;
		else
			b.relative = true;
	}
	struct sm *s = add_sm_rel(r, SM_B64_DECODE, b.relative, pc);
	if (!s)
		return -1;
	s->u.b64 = b;
	return 0;
}

static int kw_base64_data(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	if (arg && *arg)
		FAIL("base64_data takes no value");
	return sticky(r, BUF_BASE64_DATA, ALP_UNKNOWN);
}

/* entropy:[bytes N,][offset N,]value OP F (OP < <= > >= = !=, or a range
 * A-B, exclusive, with ! to negate) */
static int kw_entropy(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	struct sm_entropy e = { .op = 0xff };
	char tmp[160], *toks[4];
	if (need_arg(arg, "entropy", pc))
		return -1;
	str_lcpy(tmp, arg, sizeof(tmp));
	int n = split_args(tmp, toks, 4);
	for (int i = 0; i < n; i++) {
		char *t = toks[i];
		if (!strncmp(t, "bytes", 5) || !strncmp(t, "offset", 6)) {
			bool by = t[0] == 'b';
			int64_t v;
			if (kw_i64(kw_trim(t + (by ? 5 : 6)), &v) || v < 0 || v > UINT32_MAX || (by && !v))
				FAIL("entropy: bad %s \"%s\"", by ? "bytes" : "offset", t);
			if (by)
				e.bytes = (uint32_t)v;
			else
				e.offset = (uint32_t)v;
		} else if (!strncmp(t, "value", 5)) {
			char *v = kw_trim(t + 5), *end;
			if (*v == '!' && v[1] != '=') {
				e.neg = true;
				v = kw_trim(v + 1);
			}
			static const struct { const char *s; uint8_t op; } ops[] = {
				{ "<=", CMP_LE }, { ">=", CMP_GE }, { "!=", CMP_NE }, { "<", CMP_LT },
				{ ">", CMP_GT }, { "=", CMP_EQ } };
			uint8_t op = CMP_EQ;
			for (size_t k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
				if (!strncmp(v, ops[k].s, strlen(ops[k].s))) {
					op = ops[k].op;
					v = kw_trim(v + strlen(ops[k].s));
					break;
				}
			e.a = strtod(v, &end);
			if (end == v || e.a < 0 || e.a > 8)
				FAIL("entropy: value wants a number from 0 to 8, got \"%s\"", v);
			end = kw_trim(end);
			if (*end == '-' && op == CMP_EQ) {
				char *v2 = kw_trim(end + 1);
				e.b = strtod(v2, &end);
				if (end == v2 || e.b <= e.a || e.b > 8)
					FAIL("entropy: bad range \"%s\"", t);
				op = CMP_RANGE_EX;
				end = kw_trim(end);
			}
			if (*end)
				FAIL("entropy: unexpected \"%s\"", end);
			e.op = op;
		} else {
			FAIL("entropy: unknown option \"%s\"", t);
		}
	}
	if (e.op == 0xff)
		FAIL("entropy: value is needed");
	struct sm *s = add_sm(r, SM_ENTROPY, pc);
	if (!s)
		return -1;
	s->u.ent = e;
	return 0;
}

/* asn1:[bitstring_overflow][, double_overflow][, oversize_length N]
 *      [, absolute_offset N | relative_offset N] */
static int kw_asn1(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	struct sm_asn1 a = { 0 };
	char tmp[160], *toks[6];
	bool any = false, off = false;
	if (need_arg(arg, "asn1", pc))
		return -1;
	str_lcpy(tmp, arg, sizeof(tmp));
	int n = split_args(tmp, toks, 6);
	for (int i = 0; i < n; i++) {
		char *t = toks[i];
		int64_t v;
		if (!strcmp(t, "bitstring_overflow")) {
			a.bitstring = any = true;
		} else if (!strcmp(t, "double_overflow")) {
			a.dbl = any = true;
		} else if (!strncmp(t, "oversize_length", 15)) {
			if (kw_i64(kw_trim(t + 15), &v) || v < 0 || v >= UINT32_MAX)
				FAIL("asn1: bad oversize_length \"%s\"", t);
			a.oversize = (uint32_t)v;
			any = true;
		} else if (!strncmp(t, "absolute_offset", 15) || !strncmp(t, "relative_offset", 15)) {
			bool rel = t[0] == 'r';
			if (off)
				FAIL("asn1: one offset only");
			if (kw_i64(kw_trim(t + 15), &v) || v < (rel ? -65535 : 0) || v > 65535)
				FAIL("asn1: bad %s", t);
			a.relative = rel;
			a.offset = (int32_t)v;
			off = true;
		} else {
			FAIL("asn1: unknown option \"%s\"", t);
		}
	}
	if (!any)
		FAIL("asn1: nothing to check (oversize_length, bitstring_overflow, double_overflow)");
	struct sm *s = add_sm(r, SM_ASN1, pc);
	if (!s)
		return -1;
	s->u.asn1 = a;
	return 0;
}

/* flow.pkts / flow.bytes:toserver|toclient|either,OP N; flow.age:OP N */
static int flow_count(struct rule *r, const char *arg, bool bytes, struct parse_ctx *pc)
{
	const char *kw = bytes ? "flow.bytes" : "flow.pkts";
	char tmp[96], *toks[3];
	if (need_arg(arg, kw, pc))
		return -1;
	str_lcpy(tmp, arg, sizeof(tmp));
	if (split_args(tmp, toks, 3) != 2)
		FAIL("%s: expected toserver|toclient|either,VALUE", kw);
	uint8_t dir = !strcmp(toks[0], "toserver") ? FC_TOSERVER : !strcmp(toks[0], "toclient") ? FC_TOCLIENT
		      : !strcmp(toks[0], "either") ? FC_EITHER : 0;
	struct numcmp c;
	if (!dir)
		FAIL("%s: \"%s\" is not toserver, toclient or either", kw, toks[0]);
	if (kw_numcmp(toks[1], &c, UINT64_MAX / 2) < 0)
		FAIL("%s: bad value \"%s\"", kw, toks[1]);
	struct flow_counts *fc = rule_fc(r);
	if (!fc)
		FAIL("out of memory");
	if (bytes) {
		fc->fby_dir = dir;
		fc->fby = c;
	} else {
		fc->fpk_dir = dir;
		fc->fpk = c;
	}
	return 0;
}
static int kw_flow_pkts(struct rule *r, const char *a, struct parse_ctx *pc) { return flow_count(r, a, false, pc); }
static int kw_flow_bytes(struct rule *r, const char *a, struct parse_ctx *pc) { return flow_count(r, a, true, pc); }
static int kw_flow_age(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	struct flow_counts *fc = rule_fc(r);
	if (!fc)
		FAIL("out of memory");
	if (need_arg(arg, "flow.age", pc) || kw_numcmp(arg, &fc->fage, UINT32_MAX) < 0)
		FAIL("flow.age: bad value \"%s\"", arg ? arg : "");
	fc->has_fage = true;
	return 0;
}

/* prefilter: which keyword Suricata builds its prefilter from; what
 * matches does not change, and vigil chooses its own (the fast pattern) */
static int kw_prefilter(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	(void)r;
	if (arg && *arg)
		FAIL("prefilter takes no value");
	return 0;
}

/* vlan.id:[!|<|>|<=|>=]N[-M][,LAYER]: a VLAN tag's id; LAYER 0, 1, 2
 * from the outermost, -1 the innermost, all (every tag), or none given:
 * any tag.  A packet without VLAN tags never matches. */
static int kw_vlan_id(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	char tmp[96], *toks[3];
	if (need_arg(arg, "vlan.id", pc))
		return -1;
	str_lcpy(tmp, arg, sizeof(tmp));
	int n = split_args(tmp, toks, 3);
	struct flow_counts *fc = rule_fc(r);
	if (!fc)
		FAIL("out of memory");
	if (n < 1 || n > 2 || kw_numcmp(toks[0], &fc->vlan, 4095) < 0)
		FAIL("vlan.id: expected an id 0-4095 (N, !N, <N, >N, N-M) and an optional layer, got \"%s\"", arg);
	fc->vlan_layer = VLAN_ANY;
	if (n == 2) {
		int64_t l;
		if (!strcmp(toks[1], "all"))
			fc->vlan_layer = VLAN_ALL;
		else if (!strcmp(toks[1], "any"))
			fc->vlan_layer = VLAN_ANY;
		else if (kw_i64(toks[1], &l) == 0 && l >= -1 && l <= 2)
			fc->vlan_layer = (int8_t)l;
		else
			FAIL("vlan.id: layer \"%s\" is not 0, 1, 2, -1, any or all", toks[1]);
	}
	fc->has_vlan = true;
	return 0;
}

/* config: logging disable, type tx, scope tx: in a config rule, the
 * transaction it matched is not logged (Suricata 8's only combination) */
static int kw_config(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	char tmp[128], *toks[4];
	if (need_arg(arg, "config", pc))
		return -1;
	str_lcpy(tmp, arg, sizeof(tmp));
	int n = split_args(tmp, toks, 4);
	bool sub = false, type = false, scope = false;
	for (int i = 0; i < n; i++) {
		char *v = toks[i];
		while (*v && *v != ' ')
			v++;
		if (*v)
			*v++ = 0;
		v = kw_trim(v);
		if (!strcmp(toks[i], "logging") && !strcmp(v, "disable"))
			sub = true;
		else if (!strcmp(toks[i], "type") && !strcmp(v, "tx"))
			type = true;
		else if (!strcmp(toks[i], "scope") && !strcmp(v, "tx"))
			scope = true;
		else
			FAIL("config: \"%s %s\" is not supported (logging disable, type tx, scope tx)", toks[i], v);
	}
	if (n != 3 || !sub || !type || !scope)
		FAIL("config: expected \"logging disable, type tx, scope tx\"");
	if (r->action != ACT_CONFIG)
		FAIL("config: only in a config rule");
	r->config_nolog = true;
	return 0;
}

/* stream_size:server|client|both|either,OP,N (OP < > = != <= >=) */
static int kw_stream_size(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	char tmp[128], *toks[4];
	if (need_arg(arg, "stream_size", pc))
		return -1;
	str_lcpy(tmp, arg, sizeof(tmp));
	if (split_args(tmp, toks, 4) != 3)
		FAIL("stream_size: expected server|client|both|either,operator,number");
	static const char *const sides[] = { "server", "client", "both", "either" };
	struct flow_counts *fc = rule_fc(r);
	if (!fc)
		FAIL("out of memory");
	fc->ssize_which = 0;
	for (int i = 0; i < 4; i++)
		if (!strcmp(toks[0], sides[i]))
			fc->ssize_which = (uint8_t)(SS_SERVER + i);
	if (!fc->ssize_which)
		FAIL("stream_size: \"%s\" is not server, client, both or either", toks[0]);
	static const struct { const char *op; uint8_t cmp; } ops[] = {
		{ "<", CMP_LT }, { ">", CMP_GT }, { "=", CMP_EQ }, { "!=", CMP_NE },
		{ "<=", CMP_LE }, { ">=", CMP_GE },
	};
	int k = -1;
	for (int i = 0; i < 6; i++)
		if (!strcmp(toks[1], ops[i].op))
			k = i;
	int64_t v;
	if (k < 0)
		FAIL("stream_size: \"%s\" is not one of < > = != <= >=", toks[1]);
	if (kw_i64(toks[2], &v) || v < 0 || v > UINT32_MAX)
		FAIL("stream_size: \"%s\" is not a number up to 4294967295", toks[2]);
	fc->ssize.op = ops[k].cmp;
	fc->ssize.a = (uint64_t)v;
	if (!r->proto)
		r->proto = 6;
	return 0;
}

/* uricontent:"x" (Snort's, still Suricata's): content:"x"; http_uri;
 * whatever sticky buffer is in effect */
static int kw_uricontent(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	int16_t cur = r->cur_buf;
	r->cur_buf = BUF_PAYLOAD;
	int rc = kw_content(r, arg, pc);
	if (rc == 0)
		rc = legacy(r, BUF_HTTP_URI, ALP_HTTP, "uricontent", pc);
	r->cur_buf = cur;
	return rc;
}

static int kw_urilen(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	struct numcmp cmpv;
	char tmp[64];
	str_lcpy(tmp, arg ? arg : "", sizeof(tmp));
	char *comma = strchr(tmp, ',');
	bool raw = false;
	if (comma) {
		*comma = '\0';
		const char *opt = kw_trim(comma + 1);
		if (!strcmp(opt, "raw"))
			raw = true;
		else if (strcmp(opt, "norm"))
			FAIL("urilen: expected raw or norm after the comma, got \"%s\"", opt);
	}
	if (kw_numcmp(tmp, &cmpv, 65535) < 0)
		FAIL("urilen: bad value \"%s\"", arg ? arg : "");
	struct sm_list *l = &r->lists[raw ? BUF_HTTP_URI_RAW : BUF_HTTP_URI];
	struct sm *v = v_realloc(l->v, (l->cnt + 1) * sizeof(*v));
	if (!v)
		FAIL("out of memory");
	l->v = v;
	memset(&v[l->cnt], 0, sizeof(*v));
	v[l->cnt].type = SM_BSIZE;
	v[l->cnt].u.bsize = cmpv;
	l->cnt++;
	if (!r->alproto)
		r->alproto = ALP_HTTP;
	return 0;
}


ALIAS(http_accept_alias, http_accept)
ALIAS(http_accept_enc_alias, http_accept_enc)
ALIAS(http_accept_lang_alias, http_accept_lang)
ALIAS(http_referer_alias, http_referer)
ALIAS(http_connection_alias, http_connection)
ALIAS(http_header_names_alias, http_header_names)
ALIAS(http_server_alias, http_server)
ALIAS(http_location_alias, http_location)

/* bodies, tls, ssh, quic, dns sticky buffers */
STICKY(http_start, BUF_HTTP_START, ALP_HTTP)
STICKY(http_request_body, BUF_HTTP_REQUEST_BODY, ALP_HTTP)
STICKY(http_client_body_sticky, BUF_HTTP_REQUEST_BODY, ALP_HTTP)
STICKY(http_response_body, BUF_HTTP_RESPONSE_BODY, ALP_HTTP)
/* A multi-instance buffer named again after contents on it (Suricata 7's
 * rule "http.request_header; content:A; http.request_header; content:B"):
 * a list of its own, which any instance may match apart from the first
 * (an xl without transforms). */
static int sticky_multi(struct rule *r, enum buffer_id b, uint8_t alp, struct parse_ctx *pc)
{
	bool again = r->lists[b].cnt > 0;
	for (unsigned i = 0; i < r->nxl && !again; i++)
		again = r->xl[i].buf == b;
	if (sticky(r, b, alp) < 0 || !again)
		return 0;
	if (r->nxl >= 8)
		FAIL("more than 8 transformed buffers in one rule");
	struct xlist *v = v_realloc(r->xl, (r->nxl + 1) * sizeof(*v));
	if (!v)
		FAIL("out of memory");
	r->xl = v;
	memset(&v[r->nxl], 0, sizeof(v[r->nxl]));
	v[r->nxl].buf = (uint8_t)b;
	r->cur_xl = (int8_t)r->nxl++;
	return 0;
}
MULTI(http_request_header, BUF_HTTP_REQUEST_HEADER, ALP_HTTP)
MULTI(http_response_header, BUF_HTTP_RESPONSE_HEADER, ALP_HTTP)
MULTI(http2_header_name, BUF_HTTP2_HEADER_NAME, ALP_HTTP2)
MULTI(http2_header, BUF_HTTP2_HEADER, ALP_HTTP2)
STICKY(file_data, BUF_FILE_DATA, ALP_UNKNOWN)
STICKY(file_data_legacy, BUF_FILE_DATA, ALP_UNKNOWN)
STICKY(dns_queries_rrname, BUF_DNS_QUERIES_RRNAME, ALP_DNS)
STICKY(dns_query_name, BUF_DNS_QUERIES_RRNAME, ALP_DNS)
ALIAS(http_start_alias, http_start)
STICKY(dns_answer_name, BUF_DNS_ANSWER_NAME, ALP_DNS)
STICKY(dns_answers_rrname, BUF_DNS_ANSWER_NAME, ALP_DNS)
STICKY(dns_authorities_rrname, BUF_DNS_AUTH_RRNAME, ALP_DNS)
STICKY(dns_additionals_rrname, BUF_DNS_ADD_RRNAME, ALP_DNS)
STICKY(mdns_queries_rrname, BUF_MDNS_QUERIES_RRNAME, ALP_MDNS)
STICKY(mdns_answers_rrname, BUF_MDNS_ANSWERS_RRNAME, ALP_MDNS)
STICKY(mdns_authorities_rrname, BUF_MDNS_AUTH_RRNAME, ALP_MDNS)
STICKY(mdns_additionals_rrname, BUF_MDNS_ADD_RRNAME, ALP_MDNS)
STICKY(mdns_response_rrname, BUF_MDNS_RESPONSE_RRNAME, ALP_MDNS)
STICKY(dns_response_rrname, BUF_DNS_RESPONSE_RRNAME, ALP_DNS)
STICKY(tls_cert_subject, BUF_TLS_CERT_SUBJECT, ALP_TLS)
STICKY(tls_cert_subject_legacy, BUF_TLS_CERT_SUBJECT, ALP_TLS)
STICKY(tls_cert_issuer, BUF_TLS_CERT_ISSUER, ALP_TLS)
STICKY(tls_cert_issuer_legacy, BUF_TLS_CERT_ISSUER, ALP_TLS)
STICKY(tls_cert_serial, BUF_TLS_CERT_SERIAL, ALP_TLS)
STICKY(tls_cert_serial_legacy, BUF_TLS_CERT_SERIAL, ALP_TLS)
STICKY(tls_cert_fingerprint, BUF_TLS_CERT_FINGERPRINT, ALP_TLS)
STICKY(tls_cert_fingerprint_legacy, BUF_TLS_CERT_FINGERPRINT, ALP_TLS)
STICKY(tls_certs, BUF_TLS_CERTS, ALP_TLS)
STICKY(tls_alpn, BUF_TLS_ALPN, ALP_TLS)
STICKY(tls_subjectaltname, BUF_TLS_SAN, ALP_TLS)
STICKY(tls_random, BUF_TLS_RANDOM, ALP_TLS)
STICKY(tls_random_time, BUF_TLS_RANDOM_TIME, ALP_TLS)
STICKY(tls_random_bytes, BUF_TLS_RANDOM_BYTES, ALP_TLS)
STICKY(ja4_hash, BUF_JA4_HASH, 0)
STICKY(ssh_proto, BUF_SSH_PROTO, ALP_SSH)
STICKY(ssh_proto_legacy, BUF_SSH_PROTO, ALP_SSH)
STICKY(ssh_software, BUF_SSH_SOFTWARE, ALP_SSH)
STICKY(ssh_software_legacy, BUF_SSH_SOFTWARE, ALP_SSH)
STICKY(ssh_hassh, BUF_SSH_HASSH, ALP_SSH)
STICKY(ssh_hassh_string, BUF_SSH_HASSH_STRING, ALP_SSH)
STICKY(ssh_hassh_server, BUF_SSH_HASSH_SERVER, ALP_SSH)
STICKY(ssh_hassh_server_string, BUF_SSH_HASSH_SERVER_STRING, ALP_SSH)
STICKY(quic_sni, BUF_QUIC_SNI, ALP_QUIC)
STICKY(snmp_community, BUF_SNMP_COMMUNITY, ALP_SNMP)
STICKY(snmp_usm, BUF_SNMP_USM, ALP_SNMP)
STICKY(sip_method, BUF_SIP_METHOD, ALP_SIP)
STICKY(sip_uri, BUF_SIP_URI, ALP_SIP)
STICKY(sip_protocol, BUF_SIP_PROTOCOL, ALP_SIP)
STICKY(sip_request_line, BUF_SIP_REQUEST_LINE, ALP_SIP)
STICKY(sip_stat_code, BUF_SIP_STAT_CODE, ALP_SIP)
STICKY(sip_stat_msg, BUF_SIP_STAT_MSG, ALP_SIP)
STICKY(sip_response_line, BUF_SIP_RESPONSE_LINE, ALP_SIP)
STICKY(sip_from, BUF_SIP_FROM, ALP_SIP)
STICKY(sip_to, BUF_SIP_TO, ALP_SIP)
STICKY(sip_via, BUF_SIP_VIA, ALP_SIP)
STICKY(sip_user_agent, BUF_SIP_USER_AGENT, ALP_SIP)
STICKY(sip_content_type, BUF_SIP_CONTENT_TYPE, ALP_SIP)
STICKY(sip_content_length, BUF_SIP_CONTENT_LENGTH, ALP_SIP)
STICKY(quic_version, BUF_QUIC_VERSION, ALP_QUIC)
STICKY(smb_share, BUF_SMB_SHARE, ALP_SMB)
STICKY(smb_share_legacy, BUF_SMB_SHARE, ALP_SMB)
STICKY(smb_named_pipe, BUF_SMB_NAMED_PIPE, ALP_SMB)
STICKY(smb_named_pipe_legacy, BUF_SMB_NAMED_PIPE, ALP_SMB)
STICKY(smb_ntlmssp_user, BUF_SMB_NTLMSSP_USER, ALP_SMB)
STICKY(smb_ntlmssp_domain, BUF_SMB_NTLMSSP_DOMAIN, ALP_SMB)
STICKY(rfb_name, BUF_RFB_NAME, ALP_RFB)
STICKY(ike_init_spi, BUF_IKE_INIT_SPI, ALP_IKE)
STICKY(ike_resp_spi, BUF_IKE_RESP_SPI, ALP_IKE)
STICKY(ike_vendor, BUF_IKE_VENDOR, ALP_IKE)
STICKY(ike_key_exchange_payload, BUF_IKE_KEY_EXCHANGE, ALP_IKE)
STICKY(ike_nonce_payload, BUF_IKE_NONCE, ALP_IKE)
STICKY(websocket_payload, BUF_WEBSOCKET_PAYLOAD, ALP_WEBSOCKET)
STICKY(krb5_cname, BUF_KRB5_CNAME, ALP_KRB5)
STICKY(krb5_sname, BUF_KRB5_SNAME, ALP_KRB5)
STICKY(mqtt_connect_clientid, BUF_MQTT_CONNECT_CLIENTID, ALP_MQTT)
STICKY(mqtt_connect_username, BUF_MQTT_CONNECT_USERNAME, ALP_MQTT)
STICKY(mqtt_connect_password, BUF_MQTT_CONNECT_PASSWORD, ALP_MQTT)
STICKY(mqtt_connect_willtopic, BUF_MQTT_CONNECT_WILLTOPIC, ALP_MQTT)
STICKY(mqtt_connect_willmessage, BUF_MQTT_CONNECT_WILLMESSAGE, ALP_MQTT)
STICKY(mqtt_connect_protocol_string, BUF_MQTT_CONNECT_PROTOCOL_STRING, ALP_MQTT)
STICKY(mqtt_publish_topic, BUF_MQTT_PUBLISH_TOPIC, ALP_MQTT)
STICKY(mqtt_publish_message, BUF_MQTT_PUBLISH_MESSAGE, ALP_MQTT)
STICKY(mqtt_subscribe_topic, BUF_MQTT_SUBSCRIBE_TOPIC, ALP_MQTT)
STICKY(mqtt_unsubscribe_topic, BUF_MQTT_UNSUBSCRIBE_TOPIC, ALP_MQTT)
STICKY(pop3_command, BUF_POP3_COMMAND, ALP_POP3)
STICKY(pop3_args, BUF_POP3_ARGS, ALP_POP3)
STICKY(pop3_response, BUF_POP3_RESPONSE, ALP_POP3)
STICKY(dcerpc_stub_data, BUF_DCERPC_STUB_DATA, ALP_DCERPC)
STICKY(dce_stub_data, BUF_DCERPC_STUB_DATA, ALP_DCERPC)
STICKY(ldap_request_dn, BUF_LDAP_REQUEST_DN, ALP_LDAP)
STICKY(ldap_responses_dn, BUF_LDAP_RESPONSES_DN, ALP_LDAP)
STICKY(ldap_responses_message, BUF_LDAP_RESPONSES_MESSAGE, ALP_LDAP)
LEGACY(http_request_line_mod, BUF_HTTP_REQUEST_LINE, ALP_HTTP, "http_request_line")
LEGACY(http_response_line_mod, BUF_HTTP_RESPONSE_LINE, ALP_HTTP, "http_response_line")
static int kw_http_protocol_mod(struct rule *r, const char *a, struct parse_ctx *pc)
{
	(void)a;
	/* with no content of its own before it, the sticky buffer (Suricata
	 * reads "http_protocol; content:..." as http.protocol) */
	if (!r->last_content || r->cur_buf != BUF_PAYLOAD)
		return sticky(r, BUF_HTTP_PROTOCOL, ALP_HTTP);
	return legacy(r, BUF_HTTP_PROTOCOL, ALP_HTTP, "http_protocol", pc);
}
LEGACY(http_client_body_mod, BUF_HTTP_REQUEST_BODY, ALP_HTTP, "http_client_body")
LEGACY(http_server_body_mod, BUF_HTTP_RESPONSE_BODY, ALP_HTTP, "http_server_body")

ACN(dns_opcode, "dns.opcode", AC_DNS_OPCODE, ALP_DNS, 15)
ACN(dns_rcode, "dns.rcode", AC_DNS_RCODE, ALP_DNS, 15)
ACN(dns_rrtype, "dns.rrtype", AC_DNS_RRTYPE, ALP_DNS, 65535)
/* Suricata accepts 1 and 2 only */
KNSPEC(smb_version_num, "smb.version", KN_AC, AC_SMB_VERSION, ALP_SMB, 2);
static int kw_smb_version(struct rule *r, const char *a, struct parse_ctx *pc)
{
	char tmp[16];
	if (a) {
		str_lcpy(tmp, a, sizeof(tmp));
		const char *v = kw_trim(tmp);
		if (strcmp(v, "1") && strcmp(v, "2"))
			FAIL("smb.version: 1 or 2, not \"%s\"", a);
	}
	return kw_num(r, a, &kn_smb_version_num, pc);
}
static int hexval(char ch)
{
	return ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
		: ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;
}

/* dcerpc.iface:UUID[,<N|>N|=N|!N][,any_frag]: the UUID kept as DCE/RPC
 * sends it (its first three fields little-endian) */
static int kw_dcerpc_iface(struct rule *r, const char *a, struct parse_ctx *pc)
{
	char tmp[128], *toks[4];
	if (need_arg(a, "dcerpc.iface", pc))
		return -1;
	str_lcpy(tmp, a, sizeof(tmp));
	int nt = 0;
	for (char *sv, *t = strtok_r(tmp, ",", &sv); t && nt < 4; t = strtok_r(NULL, ",", &sv))
		toks[nt++] = kw_trim(t);
	if (nt < 1 || strlen(toks[0]) != 36)
		FAIL("dcerpc.iface: bad UUID \"%s\"", a);
	uint8_t be[16];
	const char *u = toks[0];
	for (int i = 0, k = 0; i < 36; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (u[i] != '-')
				FAIL("dcerpc.iface: bad UUID \"%s\"", a);
			continue;
		}
		int hi = hexval(u[i]), lo = i + 1 < 36 ? hexval(u[i + 1]) : -1;
		if (hi < 0 || lo < 0)
			FAIL("dcerpc.iface: bad UUID \"%s\"", a);
		be[k++] = (uint8_t)(hi << 4 | lo);
		i++;
	}
	static const uint8_t order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
	struct numcmp n = { 0 };
	bool have_ver = false;
	for (int i = 1; i < nt; i++) {
		if (!strcmp(toks[i], "any_frag"))
			continue;
		const char *v = toks[i];
		char num[32];
		if (*v == '=')
			v++;
		str_lcpy(num, v, sizeof(num));
		if (kw_numcmp(num, &n, 65535) < 0)
			FAIL("dcerpc.iface: bad version \"%s\"", toks[i]);
		have_ver = true;
	}
	struct hash_list *hl = v_calloc(1, sizeof(*hl));
	uint8_t *v = v_malloc(16);
	if (!hl || !v) {
		v_free(hl);
		v_free(v);
		FAIL("out of memory");
	}
	for (int i = 0; i < 16; i++)
		v[i] = be[order[i]];
	hl->len = 16;
	hl->n = 1;
	hl->v = v;
	struct app_cond *c = kw_add_ac(r, AC_DCE_IFACE, ALP_DCERPC, pc);
	if (!c) {
		v_free(v);
		v_free(hl);
		return -1;
	}
	c->hl = hl;
	c->c = n;
	c->mask = have_ver;
	return 0;
}
ALIAS(dce_iface, dcerpc_iface)
static int kw_dcerpc_opnum(struct rule *r, const char *a, struct parse_ctx *pc)
{
	/* N or N-M (inclusive, as Suricata's opnum ranges) */
	char tmp[32];
	if (need_arg(a, "dcerpc.opnum", pc))
		return -1;
	str_lcpy(tmp, a, sizeof(tmp));
	char *p = kw_trim(tmp), *dash = strchr(p, '-'), *end;
	unsigned long lo = strtoul(p, &end, 10), hi = lo;
	if (end == p || (dash ? end != dash : *end))
		FAIL("dcerpc.opnum: bad value \"%s\" (N or N-M)", a);
	if (dash) {
		hi = strtoul(dash + 1, &end, 10);
		if (end == dash + 1 || *end || hi < lo)
			FAIL("dcerpc.opnum: bad value \"%s\" (N or N-M)", a);
	}
	if (hi > 65535)
		FAIL("dcerpc.opnum: bad value \"%s\" (N or N-M)", a);
	struct app_cond *c = kw_add_ac(r, AC_DCE_OPNUM, ALP_DCERPC, pc);
	if (!c)
		return -1;
	c->c.op = CMP_RANGE_IN;
	c->c.a = lo;
	c->c.b = hi;
	return 0;
}
ALIAS(dce_opnum, dcerpc_opnum)
ACN(snmp_version, "snmp.version", AC_SNMP_VERSION, ALP_SNMP, 3)
/* a number, or the PDU's name as the snmp record writes it */
static const char *const snmp_pdu_names[] = { "get_request", "get_next_request", "response",
					      "set_request", "trap_v1", "get_bulk_request",
					      "inform_request", "trap_v2", "report" };
ACN(snmp_pdu_type, "snmp.pdu_type", AC_SNMP_PDU_TYPE, ALP_SNMP, 255, .names = snmp_pdu_names,
    .nnames = ARRAY_SIZE(snmp_pdu_names))

/* ---- LDAP ---- */

static int ldap_op_arg(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (end != s && !*end)
		return v >= 0 && v <= 31 ? (int)v : -1;
	for (int i = 0; i < 32; i++)
		if (ldap_op_name_of(i) && !strcmp(ldap_op_name_of(i), s))
			return i;
	return -1;
}

static int kw_ldap_request_operation(struct rule *r, const char *a, struct parse_ctx *pc)
{
	char tmp[64];
	if (need_arg(a, "ldap.request.operation", pc))
		return -1;
	str_lcpy(tmp, a, sizeof(tmp));
	int op = ldap_op_arg(kw_trim(tmp));
	if (op < 0)
		FAIL("ldap.request.operation: unknown operation \"%s\"", a);
	struct app_cond *c = kw_add_ac(r, AC_LDAP_REQ_OP, ALP_LDAP, pc);
	if (!c)
		return -1;
	c->mask = (uint32_t)op;
	return 0;
}

ACN(ldap_responses_count, "ldap.responses.count", AC_LDAP_RESP_COUNT, ALP_LDAP, UINT32_MAX)

/* VALUE[,INDEX|any|all] for ldap.responses.operation / result_code */
static int ldap_resp_cond(struct rule *r, const char *a, uint8_t type, const char *kw,
			  struct parse_ctx *pc)
{
	char tmp[96], *toks[3];
	if (need_arg(a, kw, pc))
		return -1;
	str_lcpy(tmp, a, sizeof(tmp));
	int n = split_args(tmp, toks, 3);
	if (n < 1 || n > 2)
		FAIL("%s: wants a value and maybe an index, got \"%s\"", kw, a);
	long v;
	if (type == AC_LDAP_RESP_OP) {
		v = ldap_op_arg(toks[0]);
	} else {
		char *end;
		v = strtol(toks[0], &end, 10);
		if (end == toks[0] || *end)
			v = ldap_result_lookup(toks[0]);
		else if (v < 0 || v > 65535)
			v = -1;
	}
	if (v < 0)
		FAIL("%s: unknown value \"%s\"", kw, toks[0]);
	uint32_t idx = LDAP_IDX_ANY;
	if (n == 2) {
		int64_t i;
		if (!strcmp(toks[1], "any"))
			idx = LDAP_IDX_ANY;
		else if (!strcmp(toks[1], "all"))
			idx = LDAP_IDX_ALL;
		else if (!kw_i64(toks[1], &i) && i > -65536 && i < 65536)
			idx = (uint32_t)(int32_t)i;
		else
			FAIL("%s: bad index \"%s\" (a number, any or all)", kw, toks[1]);
	}
	struct app_cond *c = kw_add_ac(r, type, ALP_LDAP, pc);
	if (!c)
		return -1;
	c->mask = (uint32_t)v;
	c->neg_mask = idx;
	return 0;
}
static int kw_ldap_responses_operation(struct rule *r, const char *a, struct parse_ctx *pc) { return ldap_resp_cond(r, a, AC_LDAP_RESP_OP, "ldap.responses.operation", pc); }
static int kw_ldap_responses_result_code(struct rule *r, const char *a, struct parse_ctx *pc) { return ldap_resp_cond(r, a, AC_LDAP_RESP_RESULT, "ldap.responses.result_code", pc); }

/* The list shape of the option parser: names from a table, separated by
 * any of seps, each maybe negated with '!': bit i of *pos / *neg for
 * names[i].  flags: NL_FLAGS, the names are flags (at least one, none
 * both set and unset, "unknown flag" in errors). */
enum { NL_FLAGS = 1 };
static int name_list(const char *arg, const char *seps, const char *const *names, unsigned n,
		     uint32_t *pos, uint32_t *neg, const char *kw, unsigned flags,
		     struct parse_ctx *pc)
{
	if (!(flags & NL_FLAGS) && need_arg(arg, kw, pc))
		return -1;
	char tmp[128], *save = NULL;
	str_lcpy(tmp, arg ? arg : "", sizeof(tmp));
	*pos = *neg = 0;
	bool any = false;
	for (char *t = strtok_r(tmp, seps, &save); t; t = strtok_r(NULL, seps, &save)) {
		t = kw_trim(t);
		bool not = *t == '!';
		if (not)
			t = kw_trim(t + 1);
		unsigned k = 0;
		while (k < n && strcasecmp(t, names[k]))
			k++;
		if (k == n)
			FAIL("%s: unknown %s \"%s\"", kw, flags & NL_FLAGS ? "flag" : "value", t);
		*(not ? neg : pos) |= 1u << k;
		any = true;
	}
	if ((flags & NL_FLAGS) && !any)
		FAIL("%s needs at least one flag", kw);
	if ((flags & NL_FLAGS) && (*pos & *neg))
		FAIL("%s: a flag both set and unset", kw);
	return 0;
}

/* ssl_version:sslv3,tls1.0,...  (a leading ! on any item negates) */
static int kw_ssl_version(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	static const char *const names[] = { "sslv2", "sslv3", "tls1.0", "tls1.1", "tls1.2",
					     "tls1.3" };
	uint32_t pos, neg;
	if (name_list(arg, ",", names, 6, &pos, &neg, "ssl_version", 0, pc) < 0)
		return -1;
	struct app_cond *c = kw_add_ac(r, AC_SSL_VERSION, ALP_TLS, pc);
	if (!c)
		return -1;
	c->mask = pos | neg;
	c->neg = neg != 0;
	return 0;
}

/* ssl_state:client_hello|server_hello,!client_keyx */
static int kw_ssl_state(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	static const char *const names[] = { "client_hello", "server_hello", "client_keyx",
					     "server_keyx", "unknown" };
	static const uint32_t bits[] = { TLS_ST_CLIENT_HELLO, TLS_ST_SERVER_HELLO,
					 TLS_ST_CLIENT_KEYX, TLS_ST_SERVER_KEYX, TLS_ST_UNKNOWN };
	uint32_t pos, neg;
	if (name_list(arg, ",|", names, 5, &pos, &neg, "ssl_state", 0, pc) < 0)
		return -1;
	struct app_cond *c = kw_add_ac(r, AC_SSL_STATE, ALP_TLS, pc);
	if (!c)
		return -1;
	for (unsigned k = 0; k < 5; k++) {
		if (pos >> k & 1)
			c->mask |= bits[k];
		if (neg >> k & 1)
			c->neg_mask |= bits[k];
	}
	return 0;
}

/* tls.version:1.2 | 0x0303 */
/* The IKE conditions: one app_cond, what in mask (IKE_C_*); the
 * attribute of ike.chosen_sa_attribute in neg_mask. */
ACN(ike_exchtype, "ike.exchtype", AC_IKE, ALP_IKE, 255, .mask = IKE_C_EXCHTYPE)
ACN(ike_key_exchange_payload_length, "ike.key_exchange_payload_length", AC_IKE, ALP_IKE,
    UINT32_MAX, .mask = IKE_C_KE_LEN)
ACN(ike_nonce_payload_length, "ike.nonce_payload_length", AC_IKE, ALP_IKE, UINT32_MAX,
    .mask = IKE_C_NONCE_LEN)
/* ike.chosen_sa_attribute:NAME=N, the names Suricata takes */
static int kw_ike_chosen_sa_attribute(struct rule *r, const char *a, struct parse_ctx *pc)
{
	static const char *const ok[] = { "alg_enc", "alg_hash", "alg_auth", "alg_dh",
		"sa_group_type", "sa_life_type", "sa_life_duration", "alg_prf", "sa_key_length",
		"sa_field_size" };
	if (need_arg(a, "ike.chosen_sa_attribute", pc))
		return -1;
	char tmp[64];
	str_lcpy(tmp, a, sizeof(tmp));
	char *eq = strchr(tmp, '=');
	if (!eq)
		FAIL("ike.chosen_sa_attribute: NAME=N, not \"%s\"", a);
	*eq = '\0';
	const char *name = kw_trim(tmp), *val = kw_trim(eq + 1);
	int attr = 0;
	for (size_t i = 0; i < ARRAY_SIZE(ok) && !attr; i++)
		if (!strcmp(name, ok[i]))
			attr = ike_attr_lookup(name);
	char *end;
	unsigned long v = strtoul(val, &end, 10);
	if (!attr || !*val || *end || !isdigit((unsigned char)*val) || v > UINT32_MAX)
		FAIL("ike.chosen_sa_attribute: bad value \"%s\" (alg_enc, alg_hash, alg_auth, alg_dh, alg_prf, sa_group_type, sa_life_type, sa_life_duration, sa_key_length or sa_field_size = a number)", a);
	struct app_cond *c = kw_add_ac(r, AC_IKE, ALP_IKE, pc);
	if (!c)
		return -1;
	c->c = (struct numcmp){ CMP_EQ, (uint32_t)v, 0 };
	c->mask = IKE_C_CHOSEN_SA;
	c->neg_mask = (uint32_t)attr;
	return 0;
}

KNSPEC(nfs_procedure_num, "nfs_procedure", KN_AC, AC_NFS_PROCEDURE, ALP_NFS, UINT32_MAX);
/* nfs_procedure:N (Suricata's numbers, with <, >, ranges) or a name
 * (Suricata 9's: READ is v3's 6, v4's op 25, v2's 6); by name, mask bit 0
 * and the numbers of v2, v3 and v4 in neg_mask's bytes (0xff: none) */
static int kw_nfs_procedure(struct rule *r, const char *a, struct parse_ctx *pc)
{
	if (need_arg(a, "nfs_procedure", pc))
		return -1;
	char tmp[32];
	str_lcpy(tmp, a, sizeof(tmp));
	const char *t = kw_trim(tmp);
	uint32_t nums = 0;
	bool any = false;
	for (int v = 2; v <= 4; v++) {
		int p = nfs_procedure_lookup(t, (uint8_t)v);
		any |= p >= 0;
		nums |= (uint32_t)(p >= 0 ? p : 0xff) << (8 * (v - 2));
	}
	if (!any)
		return kw_num(r, a, &kn_nfs_procedure_num, pc);
	struct app_cond *c = kw_add_ac(r, AC_NFS_PROCEDURE, ALP_NFS, pc);
	if (!c)
		return -1;
	c->mask = 1;
	c->neg_mask = nums;
	return 0;
}
ACN(nfs_version, "nfs.version", AC_NFS_VERSION, ALP_NFS, UINT32_MAX)
static int kw_nfs_version_legacy(struct rule *r, const char *a, struct parse_ctx *pc)
{
	return kw_nfs_version(r, a, pc);
}

ACN(rfb_sectype, "rfb.sectype", AC_RFB_SECTYPE, ALP_RFB, UINT32_MAX)
/* http2.frametype / http2.errorcode: a name (GOAWAY, NO_ERROR; any case,
 * '_' optional) or a number; the others a number comparison. */
static int h2_cond(struct rule *r, const char *a, int what, const char *kw, struct parse_ctx *pc)
{
	if (need_arg(a, kw, pc))
		return -1;
	char tmp[80];
	str_lcpy(tmp, a, sizeof(tmp));
	char *t = kw_trim(tmp);
	struct numcmp n = { CMP_EQ, 0, 0 };
	uint32_t id = 0;
	bool valueless = false;
	if (what == H2_C_FRAMETYPE || what == H2_C_ERRORCODE) {
		int v = what == H2_C_FRAMETYPE ? h2_frametype_lookup(t) : h2_errorcode_lookup(t);
		if (v >= 0)
			n.a = (uint64_t)v;
		else if (kw_numcmp(t, &n, what == H2_C_FRAMETYPE ? 255 : UINT32_MAX) < 0)
			FAIL("%s: unknown %s \"%s\"", kw, what == H2_C_FRAMETYPE ? "frame type" : "error code", t);
	} else if (what == H2_C_SETTINGS) {
		/* SETTINGS_NAME[ op value] */
		size_t k = 0;
		while (t[k] && (isalnum((unsigned char)t[k]) || t[k] == '_'))
			k++;
		char name[64];
		str_lcpy(name, t, MIN(k + 1, sizeof(name)));
		int v = h2_setting_lookup(name);
		if (v < 0) {
			int64_t x;
			if (kw_i64(name, &x) || x < 0 || x > 65535)
				FAIL("%s: unknown setting \"%s\"", kw, name);
			v = (int)x;
		}
		id = (uint32_t)v;
		char *rest = kw_trim(t + k);
		if (!*rest)
			valueless = true;
		else if (kw_numcmp(rest, &n, UINT32_MAX) < 0)
			FAIL("%s: bad value \"%s\"", kw, rest);
	} else if (kw_numcmp(t, &n, what == H2_C_PRIORITY ? 255 : what == H2_C_WINDOW ? 0x7fffffff
											  : UINT32_MAX) < 0) {
		FAIL("%s: bad value \"%s\"", kw, t);
	}
	struct app_cond *c = kw_add_ac(r, AC_HTTP2, ALP_HTTP2, pc);
	if (!c)
		return -1;
	c->c = n;
	c->mask = (uint32_t)what | id << 8;
	c->neg = valueless; /* (a setting present, whatever its value) */
	return 0;
}
static int kw_http2_frametype(struct rule *r, const char *a, struct parse_ctx *pc) { return h2_cond(r, a, H2_C_FRAMETYPE, "http2.frametype", pc); }
static int kw_http2_errorcode(struct rule *r, const char *a, struct parse_ctx *pc) { return h2_cond(r, a, H2_C_ERRORCODE, "http2.errorcode", pc); }
static int kw_http2_priority(struct rule *r, const char *a, struct parse_ctx *pc) { return h2_cond(r, a, H2_C_PRIORITY, "http2.priority", pc); }
static int kw_http2_window(struct rule *r, const char *a, struct parse_ctx *pc) { return h2_cond(r, a, H2_C_WINDOW, "http2.window", pc); }
static int kw_http2_size_update(struct rule *r, const char *a, struct parse_ctx *pc) { return h2_cond(r, a, H2_C_SIZE_UPDATE, "http2.size_update", pc); }
static int kw_http2_settings(struct rule *r, const char *a, struct parse_ctx *pc) { return h2_cond(r, a, H2_C_SETTINGS, "http2.settings", pc); }

static int kw_rfb_secresult(struct rule *r, const char *a, struct parse_ctx *pc)
{
	/* a name (Suricata's: ok 0, fail 1, toomany 2, unknown: anything
	 * else) or a number, ! for not */
	if (need_arg(a, "rfb.secresult", pc))
		return -1;
	char tmp[32];
	str_lcpy(tmp, a, sizeof(tmp));
	char *t = kw_trim(tmp);
	bool neg = *t == '!';
	const char *w = neg ? kw_trim(t + 1) : t;
	struct numcmp n = { CMP_EQ, 0, 0 };
	uint32_t unknown = 0;
	if (!strcasecmp(w, "ok"))
		n.a = 0;
	else if (!strcasecmp(w, "fail"))
		n.a = 1;
	else if (!strcasecmp(w, "toomany"))
		n.a = 2;
	else if (!strcasecmp(w, "unknown"))
		unknown = 1;
	else if (kw_numcmp(w, &n, UINT32_MAX) < 0)
		FAIL("rfb.secresult: bad value \"%s\"", a);
	struct app_cond *c = kw_add_ac(r, AC_RFB_SECRESULT, ALP_RFB, pc);
	if (!c)
		return -1;
	c->c = n;
	c->mask = unknown;
	c->neg = neg;
	return 0;
}

/* websocket.opcode: a name or a number with an operator */
ACN(websocket_opcode, "websocket.opcode", AC_WS_OPCODE, ALP_WEBSOCKET, 255,
    .lookup = ws_opcode_lookup, .flags = KN_NAME_NOT)

ACN(websocket_mask, "websocket.mask", AC_WS_MASK, ALP_WEBSOCKET, UINT32_MAX)

KNSPEC(websocket_flags_num, "websocket.flags", KN_AC, AC_WS_FLAGS, ALP_WEBSOCKET, 255);
/* websocket.flags: a number (with an operator), "&MASK=V" / "&MASK!=V",
 * or names: "fin,!comp" (the named bits set, the negated ones clear) */
static int kw_websocket_flags(struct rule *r, const char *a, struct parse_ctx *pc)
{
	if (need_arg(a, "websocket.flags", pc))
		return -1;
	char tmp[64];
	str_lcpy(tmp, a, sizeof(tmp));
	char *t = kw_trim(tmp);
	uint32_t mask = 0, want = 0;
	bool neg = false;
	if (*t == '&') {
		char *eq = strchr(t, '=');
		int64_t m, v;
		if (!eq)
			FAIL("websocket.flags: \"&MASK=VALUE\" expected, not \"%s\"", a);
		if (eq > t && eq[-1] == '!') {
			neg = true;
			eq[-1] = '\0';
		}
		*eq = '\0';
		if (kw_i64(kw_trim(t + 1), &m) || kw_i64(kw_trim(eq + 1), &v) || m <= 0 || m > 255 ||
		    v < 0 || v > 255)
			FAIL("websocket.flags: bad value \"%s\"", a);
		mask = (uint32_t)m;
		want = (uint32_t)v;
	} else if (isalpha((unsigned char)*t) || (*t == '!' && isalpha((unsigned char)t[1]))) {
		for (char *save = NULL, *w = strtok_r(t, ", ", &save); w; w = strtok_r(NULL, ", ", &save)) {
			bool off = *w == '!';
			const char *nm = off ? w + 1 : w;
			uint32_t bit = !strcmp(nm, "fin") ? 0x80 : !strcmp(nm, "comp") ? 0x40 : 0;
			if (!bit)
				FAIL("websocket.flags: unknown flag \"%s\" (fin, comp)", nm);
			if (mask & bit)
				FAIL("websocket.flags: flag \"%s\" repeated", nm);
			mask |= bit;
			if (!off)
				want |= bit;
		}
	} else {
		return kw_num(r, a, &kn_websocket_flags_num, pc);
	}
	struct app_cond *c = kw_add_ac(r, AC_WS_FLAGS, ALP_WEBSOCKET, pc);
	if (!c)
		return -1;
	c->mask = mask;
	c->neg_mask = want;
	c->neg = neg;
	return 0;
}

/* frame:NAME - the frames of one type as a sticky buffer; the name is
 * "protocol.name" or the rule's protocol's "name", as Suricata resolves
 * it */
static int kw_frame(struct rule *r, const char *a, struct parse_ctx *pc)
{
	if (need_arg(a, "frame", pc))
		return -1;
	char tmp[64];
	str_lcpy(tmp, a, sizeof(tmp));
	char *t = kw_trim(tmp);
	int alp = 0;
	int type = app_frame_lookup(t, r->alproto, &alp);
	if (type == FR_NONE) {
		snprintf(pc->kw, sizeof(pc->kw), "frame:%.40s", t);
		snprintf(pc->err, sizeof(pc->err), "frame: unknown frame type \"%.64s\"", t);
		pc->unsupported = true;
		return -1;
	}
	if (r->alproto && r->alproto != alp && !(r->alproto == ALP_HTTP1 && alp == ALP_HTTP))
		FAIL("frame: \"%s\" is a frame of %s, the rule's protocol is %s", t, alproto_names[alp],
		     r->alproto < ALP_MAX ? alproto_names[r->alproto] : "http1");
	r->frame_type = (uint8_t)type;
	return sticky(r, BUF_FRAME, (uint8_t)alp);
}

/* The Kerberos conditions: one app_cond, what in mask's low byte;
 * krb5.ticket_encryption's types as bits of neg_mask (0..31), "weak" as
 * mask bit 8. */
static int krb5_cond(struct rule *r, int what, const struct numcmp *n, uint32_t bits, uint32_t types,
		     bool neg, struct parse_ctx *pc)
{
	struct app_cond *c = kw_add_ac(r, AC_KRB5, ALP_KRB5, pc);
	if (!c)
		return -1;
	if (n)
		c->c = *n;
	c->mask = (uint32_t)what | bits;
	c->neg_mask = types;
	c->neg = neg;
	return 0;
}
/* a number, or a name (AS_REQ, KRB_AS_REQ, ...), ! for not */
static int krb5_msg_name(const char *w)
{
	static const struct { const char *name; uint8_t v; } names[] = {
		{ "AS_REQ", 10 }, { "AS_REP", 11 }, { "TGS_REQ", 12 }, { "TGS_REP", 13 },
		{ "AP_REQ", 14 }, { "AP_REP", 15 }, { "SAFE", 20 }, { "PRIV", 21 }, { "CRED", 22 },
		{ "ERROR", 30 },
	};
	if (!strncasecmp(w, "KRB_", 4))
		w += 4;
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (!strcasecmp(w, names[i].name))
			return names[i].v;
	return -1;
}
ACN(krb5_msg_type, "krb5_msg_type", AC_KRB5, ALP_KRB5, 255, .mask = KRB5_C_MSG_TYPE,
    .lookup = krb5_msg_name, .flags = KN_NAME_NOT)
ACN(krb5_err_code, "krb5_err_code", AC_KRB5, ALP_KRB5, 255, .mask = KRB5_C_ERR_CODE)
static int kw_krb5_weak_encryption(struct rule *r, const char *a, struct parse_ctx *pc)
{
	if (a && *kw_trim((char *)(uintptr_t)a))
		FAIL("krb5.weak_encryption takes no value");
	return krb5_cond(r, KRB5_C_WEAK, NULL, 0, 0, false, pc);
}
static int kw_krb5_ticket_encryption(struct rule *r, const char *a, struct parse_ctx *pc)
{
	if (need_arg(a, "krb5.ticket_encryption", pc))
		return -1;
	char tmp[256], *save = NULL;
	str_lcpy(tmp, a, sizeof(tmp));
	uint32_t types = 0, bits = 0;
	bool neg = false;
	for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		t = kw_trim(t);
		if (*t == '!') {
			neg = true;
			t = kw_trim(t + 1);
		}
		if (!strcasecmp(t, "weak")) {
			bits |= 1u << 8;
			continue;
		}
		char *end;
		long v = strtol(t, &end, 10);
		if (end == t || *end)
			v = krb5_etype_lookup(t);
		if (v < 0 || v > 31)
			FAIL("krb5.ticket_encryption: unknown encryption type \"%s\"", t);
		types |= 1u << v;
	}
	if (!types && !bits)
		FAIL("krb5.ticket_encryption needs a type");
	return krb5_cond(r, KRB5_C_TICKET_ETYPE, NULL, bits, types, neg, pc);
}

/* The MQTT conditions: one app_cond, what in mask's low byte, the flag
 * bits wanted above it, the ones that must be unset in neg_mask. */
static int mqtt_cond(struct rule *r, int what, const struct numcmp *n, uint32_t want, uint32_t not,
		     bool neg, struct parse_ctx *pc)
{
	struct app_cond *c = kw_add_ac(r, AC_MQTT, ALP_MQTT, pc);
	if (!c)
		return -1;
	if (n)
		c->c = *n;
	c->mask = (uint32_t)what | want << 8;
	c->neg_mask = not;
	c->neg = neg;
	return 0;
}

static int mqtt_type_name(const char *s)
{
	int v = mqtt_type_lookup(s);
	return v > 0 ? v : -1; /* (0 is reserved) */
}
ACN(mqtt_type, "mqtt.type", AC_MQTT, ALP_MQTT, 15, .mask = MQTT_C_TYPE, .lookup = mqtt_type_name,
    .flags = KN_BANG_NEG, .what = "type")
static int kw_mqtt_flags(struct rule *r, const char *a, struct parse_ctx *pc)
{
	static const char *const names[] = { "dup", "retain" };
	uint32_t want, not;
	if (name_list(a, ",", names, 2, &want, &not, "mqtt.flags", NL_FLAGS, pc) < 0)
		return -1;
	return mqtt_cond(r, MQTT_C_FLAGS, NULL, want, not, false, pc);
}
ACN(mqtt_qos, "mqtt.qos", AC_MQTT, ALP_MQTT, 2, .mask = MQTT_C_QOS, .flags = KN_EQ_ONLY)
ACN(mqtt_reason_code, "mqtt.reason_code", AC_MQTT, ALP_MQTT, 255, .mask = MQTT_C_REASON)
ALIAS(mqtt_connack_return_code, mqtt_reason_code)
static int kw_mqtt_connack_session_present(struct rule *r, const char *a, struct parse_ctx *pc)
{
	char tmp[16];
	str_lcpy(tmp, a ? a : "", sizeof(tmp));
	const char *t = kw_trim(tmp);
	struct numcmp n = { CMP_EQ, 0, 0 };
	if (!strcasecmp(t, "true") || !strcasecmp(t, "yes") || !strcmp(t, "1"))
		n.a = 1;
	else if (strcasecmp(t, "false") && strcasecmp(t, "no") && strcmp(t, "0"))
		FAIL("mqtt.connack.session_present: \"%s\" is not true or false", t);
	return mqtt_cond(r, MQTT_C_SESSION_PRESENT, &n, 0, 0, false, pc);
}
static int kw_mqtt_connect_flags(struct rule *r, const char *a, struct parse_ctx *pc)
{
	/* in the order of the MQTT_CF_* bits */
	static const char *const names[] = { "username", "password", "will", "will_retain",
					     "clean_session" };
	uint32_t want, not;
	if (name_list(a, ",", names, 5, &want, &not, "mqtt.connect.flags", NL_FLAGS, pc) < 0)
		return -1;
	return mqtt_cond(r, MQTT_C_CONNECT_FLAGS, NULL, want, not, false, pc);
}
ACN(mqtt_protocol_version, "mqtt.protocol_version", AC_MQTT, ALP_MQTT, 255,
    .mask = MQTT_C_PROTO_VERSION)
ACN(tls_cert_chain_len, "tls.cert_chain_len", AC_TLS_CHAIN_LEN, ALP_TLS, UINT32_MAX)
static int kw_tls_version(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	if (need_arg(arg, "tls.version", pc))
		return -1;
	char tmp[32];
	str_lcpy(tmp, arg, sizeof(tmp));
	char *t = kw_trim(tmp);
	uint16_t v = 0;
	if (!strcmp(t, "1.0")) v = 0x0301;
	else if (!strcmp(t, "1.1")) v = 0x0302;
	else if (!strcmp(t, "1.2")) v = 0x0303;
	else if (!strcmp(t, "1.3")) v = 0x0304;
	else if (!strcasecmp(t, "ssl3") || !strcmp(t, "3.0")) v = 0x0300;
	else {
		uint64_t x;
		if (parse_uint(t, 0xffff, &x))
			FAIL("tls.version: bad value \"%s\" (1.0 .. 1.3 or a number)", arg);
		v = (uint16_t)x;
	}
	struct app_cond *c = kw_add_ac(r, AC_TLS_VERSION, ALP_TLS, pc);
	if (!c)
		return -1;
	c->c.op = CMP_EQ;
	c->c.a = v;
	return 0;
}

/* decode-event:ipv4.trunc_pkt, stream-event:pkt_retransmission: the
 * packet raised that event (events.def holds Suricata's names) */
static int pkt_event_cond(struct rule *r, const char *arg, const char *kw, const char *prefix,
			  struct parse_ctx *pc)
{
	if (need_arg(arg, kw, pc))
		return -1;
	char tmp[96], name[128];
	str_lcpy(tmp, arg, sizeof(tmp));
	char *t = kw_trim(tmp);
	/* "decoder.ipv4.trunc_pkt" is accepted as well as "ipv4.trunc_pkt" */
	if (!strncmp(t, prefix, strlen(prefix)))
		str_lcpy(name, t, sizeof(name));
	else
		snprintf(name, sizeof(name), "%s%s", prefix, t);
	int ev = event_lookup(name);
	if (ev < 0) {
		snprintf(pc->kw, sizeof(pc->kw), "%s:%.40s", kw, t);
		pc->unsupported = true;
		FAIL("%s \"%s\": vigil does not raise it (vigil --list-events)", kw, t);
	}
	if (r->npev >= RULE_MAX_PKT_EVENTS)
		FAIL("more than %d decode-event / stream-event keywords", RULE_MAX_PKT_EVENTS);
	r->pev[r->npev++] = (uint16_t)ev;
	return 0;
}

static int kw_decode_event(struct rule *r, const char *a, struct parse_ctx *pc)
{
	return pkt_event_cond(r, a, "decode-event", "decoder.", pc);
}

static int kw_stream_event(struct rule *r, const char *a, struct parse_ctx *pc)
{
	return pkt_event_cond(r, a, "stream-event", "stream.", pc);
}

/* engine-event: either kind, by the name with its prefix (decoder. or stream.) */
static int kw_engine_event(struct rule *r, const char *a, struct parse_ctx *pc)
{
	return pkt_event_cond(r, a, "engine-event", "", pc);
}

static int kw_app_layer_event(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	if (need_arg(arg, "app-layer-event", pc))
		return -1;
	char tmp[96];
	str_lcpy(tmp, arg, sizeof(tmp));
	char *t = kw_trim(tmp);
	bool neg = *t == '!';
	if (neg)
		t = kw_trim(t + 1);
	int ev = app_event_lookup(t);
	if (ev < 0) {
		snprintf(pc->kw, sizeof(pc->kw), "app-layer-event:%.40s", t);
		pc->unsupported = true;
		FAIL("app-layer-event \"%s\": vigil does not raise it (vigil --list-events)", t);
	}
	struct app_cond *c = kw_add_ac(r, AC_APP_EVENT, 0, pc);
	if (!c)
		return -1;
	c->mask = (uint32_t)ev;
	c->neg = neg;
	return 0;
}

/* A keyword's value as a content argument: [!]"value", quoted if it was
 * not (tls.subject:CN=x, filename:"a.exe"). */
static void as_content(const char *arg, char *out, size_t cap)
{
	bool neg = *arg == '!';
	const char *a = neg ? arg + 1 : arg;
	snprintf(out, cap, *a == '"' ? "%s%s" : "%s\"%s\"", neg ? "!" : "", a);
}

/* tls.subject:"CN=..." / tls.issuerdn / tls.fingerprint: the older
 * keywords with a value; a content in the certificate buffer */
static int cert_value(struct rule *r, const char *arg, enum buffer_id b, const char *kw,
		      struct parse_ctx *pc)
{
	if (need_arg(arg, kw, pc))
		return -1;
	char tmp[600];
	as_content(arg, tmp, sizeof(tmp));
	int16_t saved = r->cur_buf;
	int8_t saved_xl = r->cur_xl;
	struct sm *lc = r->last_content, *lp = r->last_pm;
	sticky(r, b, ALP_TLS);
	int rc = kw_content(r, tmp, pc);
	r->cur_buf = saved;
	r->cur_xl = saved_xl;
	r->last_content = lc;
	r->last_pm = lp;
	return rc;
}
static int kw_tls_subject(struct rule *r, const char *a, struct parse_ctx *pc) { return cert_value(r, a, BUF_TLS_CERT_SUBJECT, "tls.subject", pc); }
static int kw_tls_issuerdn(struct rule *r, const char *a, struct parse_ctx *pc) { return cert_value(r, a, BUF_TLS_CERT_ISSUER, "tls.issuerdn", pc); }
static int kw_tls_fingerprint(struct rule *r, const char *a, struct parse_ctx *pc)
{
	char low[600]; /* the buffer is lower-case hex */
	size_t i = 0;
	for (; a && a[i] && i < sizeof(low) - 1; i++)
		low[i] = (char)tolower((unsigned char)a[i]);
	low[i] = '\0';
	return cert_value(r, a ? low : a, BUF_TLS_CERT_FINGERPRINT, "tls.fingerprint", pc);
}

/* ---- NTP ---- */

/* ntp.version, ntp.mode, ntp.stratum: a field of the NTP header, which
 * vigil does not parse into a transaction (one message per datagram), so
 * each is a byte_test on the payload of an NTP flow's packet: byte 0 is
 * LI(2) VN(3) Mode(3), byte 1 the stratum (RFC 5905 7.3).  A comparison
 * is one byte_test, a range two; the payload list's last match is left
 * as it was, so relative keywords are not moved by them. */
static int ntp_field(struct rule *r, const char *arg, const char *kw, uint8_t offset,
		     uint8_t mask, const char *const *names, size_t nnames, struct parse_ctx *pc)
{
	if (need_arg(arg, kw, pc))
		return -1;
	char tmp[64];
	str_lcpy(tmp, arg, sizeof(tmp));
	char *t = kw_trim(tmp);
	/* a name in place of the number: !server, client */
	size_t lead = strspn(t, "!<>=");
	for (size_t i = 0; i < nnames && t[lead]; i++)
		if (!strcasecmp(t + lead, names[i]))
			snprintf(t + lead, sizeof(tmp) - lead, "%zu", i);
	uint64_t max = mask >> __builtin_ctz(mask);
	struct numcmp c;
	if (kw_numcmp(t, &c, max) < 0)
		FAIL("%s: expected N, !N, <N, >N, <=N, >=N, N-M or N<>M up to %llu%s, not \"%s\"", kw,
		     (unsigned long long)max, nnames ? " or a mode name" : "", t);
	/* (op, op2, negate, value) for each byte_test */
	struct ntp_bt { char op, op2; bool neg; uint64_t v; } bt[2];
	int n = 1;
	switch (c.op) {
	case CMP_EQ: bt[0] = (struct ntp_bt){ '=', 0, false, c.a }; break;
	case CMP_NE: bt[0] = (struct ntp_bt){ '=', 0, true, c.a }; break;
	case CMP_LT: bt[0] = (struct ntp_bt){ '<', 0, false, c.a }; break;
	case CMP_GT: bt[0] = (struct ntp_bt){ '>', 0, false, c.a }; break;
	case CMP_LE: bt[0] = (struct ntp_bt){ '<', '=', false, c.a }; break;
	case CMP_GE: bt[0] = (struct ntp_bt){ '>', '=', false, c.a }; break;
	case CMP_RANGE_EX:
		bt[0] = (struct ntp_bt){ '>', 0, false, c.a };
		bt[1] = (struct ntp_bt){ '<', 0, false, c.b };
		n = 2;
		break;
	default:
		bt[0] = (struct ntp_bt){ '>', '=', false, c.a };
		bt[1] = (struct ntp_bt){ '<', '=', false, c.b };
		n = 2;
		break;
	}
	int16_t buf = r->cur_buf, where = r->last_pm_where;
	int8_t xl = r->cur_xl;
	struct sm *pm = r->last_pm;
	r->cur_buf = BUF_PAYLOAD;
	r->cur_xl = -1;
	int rc = 0;
	for (int i = 0; i < n && !rc; i++) {
		struct sm *sm = add_sm(r, SM_BYTE_TEST, pc);
		if (!sm) {
			rc = -1;
			break;
		}
		sm->u.b = (struct sm_byte){ .nbytes = 1, .op = bt[i].op, .op2 = bt[i].op2,
					    .negate_op = bt[i].neg, .result_var = -1, .bitmask = mask };
		sm->u.b.value.v = (int64_t)bt[i].v;
		sm->u.b.value.var = -1;
		sm->u.b.offset.v = offset;
		sm->u.b.offset.var = -1;
	}
	/* add_sm may have moved the list last_pm points into when it was the
	 * payload's: only a pointer elsewhere is still good */
	if (where != BUF_PAYLOAD) {
		r->last_pm = pm;
		r->last_pm_where = where;
	}
	r->cur_buf = buf;
	r->cur_xl = xl;
	if (!rc && !r->alproto)
		r->alproto = ALP_NTP;
	return rc;
}

static const char *const ntp_modes[] = { "reserved", "symmetric_active", "symmetric_passive",
					 "client", "server", "broadcast", "control", "private" };
static int kw_ntp_version(struct rule *r, const char *a, struct parse_ctx *pc) { return ntp_field(r, a, "ntp.version", 0, 0x38, NULL, 0, pc); }
static int kw_ntp_mode(struct rule *r, const char *a, struct parse_ctx *pc) { return ntp_field(r, a, "ntp.mode", 0, 0x07, ntp_modes, ARRAY_SIZE(ntp_modes), pc); }
static int kw_ntp_stratum(struct rule *r, const char *a, struct parse_ctx *pc) { return ntp_field(r, a, "ntp.stratum", 1, 0xff, NULL, 0, pc); }
STICKY(ntp_reference_id, BUF_NTP_REFERENCE_ID, ALP_NTP)

/* ---- SMTP ---- */

STICKY(smtp_helo, BUF_SMTP_HELO, ALP_SMTP)
STICKY(smtp_mail_from, BUF_SMTP_MAIL_FROM, ALP_SMTP)
STICKY(smtp_rcpt_to, BUF_SMTP_RCPT_TO, ALP_SMTP)
STICKY(email_from, BUF_EMAIL_FROM, ALP_SMTP)
STICKY(email_subject, BUF_EMAIL_SUBJECT, ALP_SMTP)
STICKY(email_to, BUF_EMAIL_TO, ALP_SMTP)
STICKY(email_cc, BUF_EMAIL_CC, ALP_SMTP)
STICKY(email_date, BUF_EMAIL_DATE, ALP_SMTP)
STICKY(email_message_id, BUF_EMAIL_MESSAGE_ID, ALP_SMTP)
STICKY(email_x_mailer, BUF_EMAIL_X_MAILER, ALP_SMTP)
STICKY(email_received, BUF_EMAIL_RECEIVED, ALP_SMTP)
STICKY(email_url, BUF_EMAIL_URL, ALP_SMTP)

/* ---- FTP ---- */

STICKY(ftp_command, BUF_FTP_COMMAND, ALP_FTP)
STICKY(ftp_command_data, BUF_FTP_COMMAND_DATA, ALP_FTP)
STICKY(ftp_reply, BUF_FTP_REPLY, ALP_FTP)
STICKY(ftp_completion_code, BUF_FTP_COMPLETION_CODE, ALP_FTP)

static int kw_ftp_dynamic_port(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	if (need_arg(arg, "ftp.dynamic_port", pc))
		return -1;
	struct app_cond *c = kw_add_ac(r, AC_FTP_DYNPORT, ALP_FTP, pc);
	if (!c)
		return -1;
	if (kw_numcmp(arg, &c->c, 65535) < 0)
		FAIL("ftp.dynamic_port: bad value \"%s\"", arg);
	return 0;
}

/* ftp.mode:passive, ftp.reply_received:yes, ftpdata_command:retr */
static int word_cond(struct rule *r, const char *arg, const char *kw, uint8_t type, uint8_t alp,
		     const char *w1, const char *w2, struct parse_ctx *pc)
{
	if (need_arg(arg, kw, pc))
		return -1;
	char v[32];
	str_lcpy(v, arg, sizeof(v));
	char *t = kw_trim(v);
	bool neg = *t == '!';
	if (neg)
		t = kw_trim(t + 1);
	uint32_t m = !strcasecmp(t, w1) ? 1 : !strcasecmp(t, w2) ? 2 : 0;
	if (!m)
		FAIL("%s: \"%s\" is not %s or %s", kw, arg, w1, w2);
	struct app_cond *c = kw_add_ac(r, type, alp, pc);
	if (!c)
		return -1;
	c->mask = m;
	c->neg = neg;
	return 0;
}
static int kw_ftp_mode(struct rule *r, const char *a, struct parse_ctx *pc) { return word_cond(r, a, "ftp.mode", AC_FTP_MODE, ALP_FTP, "passive", "active", pc); }
static int kw_ftp_reply_received(struct rule *r, const char *a, struct parse_ctx *pc)
{
	/* a boolean as Suricata reads one: yes/no, on/off, true/false, 1/0 */
	char v[32];
	str_lcpy(v, a ? a : "", sizeof(v));
	char *t = kw_trim(v);
	bool neg = *t == '!';
	const char *w = kw_trim(t + neg);
	if (!strcasecmp(w, "on") || !strcasecmp(w, "true") || !strcmp(w, "1"))
		w = "yes";
	else if (!strcasecmp(w, "off") || !strcasecmp(w, "false") || !strcmp(w, "0"))
		w = "no";
	char norm[40];
	snprintf(norm, sizeof(norm), "%s%s", neg ? "!" : "", w);
	return word_cond(r, a ? norm : a, "ftp.reply_received", AC_FTP_REPLY_RECEIVED, ALP_FTP, "yes", "no", pc);
}
static int kw_ftpbounce(struct rule *r, const char *a, struct parse_ctx *pc)
{
	(void)a;
	return kw_add_ac(r, AC_FTPBOUNCE, ALP_FTP, pc) ? 0 : -1;
}
static int kw_ftpdata_command(struct rule *r, const char *a, struct parse_ctx *pc) { return word_cond(r, a, "ftpdata_command", AC_FTPDATA_CMD, ALP_FTPDATA, "retr", "stor", pc); }

/* ---- files ---- */

static int kw_filestore(struct rule *r, const char *a, struct parse_ctx *pc)
{
	(void)a;
	(void)pc;
	r->filestore = true;
	file_want(FILE_WANT_STORE | FILE_WANT_SHA256);
	return 0;
}

STICKY(file_name, BUF_FILE_NAME, ALP_UNKNOWN)
static int kw_file_magic(struct rule *r, const char *a, struct parse_ctx *pc)
{
	(void)a;
	(void)pc;
	file_want(FILE_WANT_MAGIC);
	return sticky(r, BUF_FILE_MAGIC, ALP_UNKNOWN);
}

/* filename:"x" / filemagic:"x": a content on the file buffer, in any case
 * (as Suricata's); the rule's sticky buffer is left as it was */
static int file_value(struct rule *r, const char *arg, enum buffer_id b, const char *kw,
		      bool endswith, bool nocase, struct parse_ctx *pc)
{
	if (need_arg(arg, kw, pc))
		return -1;
	char tmp[600];
	as_content(arg, tmp, sizeof(tmp));
	int16_t saved = r->cur_buf;
	int8_t saved_xl = r->cur_xl;
	sticky(r, b, ALP_UNKNOWN);
	int rc = kw_content(r, tmp, pc);
	if (rc == 0 && endswith)
		rc = kw_endswith(r, NULL, pc);
	if (rc == 0 && nocase)
		rc = kw_nocase(r, NULL, pc);
	r->cur_buf = saved;
	r->cur_xl = saved_xl;
	return rc;
}

static int kw_filename(struct rule *r, const char *a, struct parse_ctx *pc)
{
	return file_value(r, a, BUF_FILE_NAME, "filename", false, true, pc);
}

static int kw_filemagic(struct rule *r, const char *a, struct parse_ctx *pc)
{
	file_want(FILE_WANT_MAGIC);
	return file_value(r, a, BUF_FILE_MAGIC, "filemagic", false, true, pc);
}

/* fileext:"exe": the name ends with ".exe", in any case */
static int kw_fileext(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	if (need_arg(arg, "fileext", pc))
		return -1;
	char ext[256], tmp[300];
	str_lcpy(ext, arg, sizeof(ext));
	char *e = kw_trim(ext);
	bool neg = *e == '!';
	if (neg)
		e = kw_trim(e + 1);
	size_t n = strlen(e);
	if (n >= 2 && e[0] == '"' && e[n - 1] == '"') {
		e[n - 1] = '\0';
		e++;
	}
	if (!*e || strchr(e, '"') || strchr(e, '|'))
		FAIL("fileext: bad extension \"%s\"", arg);
	snprintf(tmp, sizeof(tmp), "%s\".%s\"", neg ? "!" : "", e);
	return file_value(r, tmp, BUF_FILE_NAME, "fileext", true, true, pc);
}

/* filesize:>10MB - numbers may carry KB, MB, GB (1024-based) */
static int kw_filesize(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	if (need_arg(arg, "filesize", pc))
		return -1;
	/* "to_client, <100": the files of one direction (Suricata 8, for
	 * transactional rules) */
	uint32_t side = 0;
	while (isspace((unsigned char)*arg))
		arg++;
	if (!strncmp(arg, "to_server", 9) || !strncmp(arg, "to_client", 9)) {
		side = arg[3] == 's' ? 1 : 2;
		arg += 9;
		while (isspace((unsigned char)*arg))
			arg++;
		if (*arg != ',')
			FAIL("filesize: a direction then a comma, then the size (to_client, <100)");
		arg++;
	}
	char out[96];
	size_t o = 0;
	for (const char *p = arg; *p && o < sizeof(out) - 24;) {
		if (!isdigit((unsigned char)*p)) {
			out[o++] = *p++;
			continue;
		}
		char num[24];
		size_t k = 0;
		while (isdigit((unsigned char)*p) && k < sizeof(num) - 1)
			num[k++] = *p++;
		num[k] = '\0';
		uint64_t v = strtoull(num, NULL, 10), mul = 1;
		if (!strncasecmp(p, "kb", 2)) { mul = 1024; p += 2; }
		else if (!strncasecmp(p, "mb", 2)) { mul = 1024 * 1024; p += 2; }
		else if (!strncasecmp(p, "gb", 2)) { mul = 1024ULL * 1024 * 1024; p += 2; }
		if (v > (uint64_t)INT64_MAX / mul)
			FAIL("filesize: \"%s\" is too large", arg);
		o += (size_t)snprintf(out + o, sizeof(out) - o, "%llu", (unsigned long long)(v * mul));
	}
	out[o] = '\0';
	/* (any protocol that carries files, as in Suricata: no alproto) */
	struct app_cond *c = kw_add_ac(r, AC_FILESIZE, ALP_UNKNOWN, pc);
	if (!c)
		return -1;
	if (kw_numcmp(out, &c->c, (uint64_t)INT64_MAX) < 0)
		FAIL("filesize: bad value \"%s\" (N, <N, >N, N<>M, N-M; KB, MB, GB)", arg);
	c->mask = side;
	return 0;
}

static int cmp_digest(const void *a, const void *b, void *len)
{
	return memcmp(a, b, *(const uint8_t *)len);
}

/* filemd5:list.txt - one digest per line in hex (anything after it on the
 * line is a comment, as in Suricata's lists), the file relative to the
 * rule file's directory; ! inverts */
static int file_hash(struct rule *r, const char *arg, const char *kw, uint8_t len,
		     unsigned want, struct parse_ctx *pc)
{
	if (need_arg(arg, kw, pc))
		return -1;
	char name[512], path[1100];
	str_lcpy(name, arg, sizeof(name));
	char *nm = kw_trim(name);
	bool neg = *nm == '!';
	if (neg)
		nm = kw_trim(nm + 1);
	size_t nl = strlen(nm);
	if (nl >= 2 && nm[0] == '"' && nm[nl - 1] == '"') {
		nm[nl - 1] = '\0';
		nm++;
	}
	if (!*nm)
		FAIL("%s: no list file named", kw);
	if (nm[0] == '/')
		str_lcpy(path, nm, sizeof(path));
	else
		snprintf(path, sizeof(path), "%s/%s", pc->dir[0] ? pc->dir : ".", nm);
	FILE *f = fopen(path, "r");
	if (!f)
		FAIL("%s: %.200s: %s", kw, path, strerror(errno));
	struct hash_list *hl = v_calloc(1, sizeof(*hl));
	if (!hl) {
		fclose(f);
		FAIL("out of memory");
	}
	hl->len = len;
	char line[512];
	unsigned long ln = 0;
	uint32_t cap = 0;
	int rc = 0;
	while (fgets(line, sizeof(line), f)) {
		ln++;
		char *t = kw_trim(line);
		if (!*t || *t == '#')
			continue;
		uint8_t d[32];
		size_t i = 0;
		for (; i < 2u * len; i++)
			if (hex_digit((unsigned char)t[i]) < 0)
				break;
		if (i != 2u * len || (t[i] && !isspace((unsigned char)t[i]))) {
			snprintf(pc->err, sizeof(pc->err), "%s: %.200s:%lu: not a %u-character hex digest",
				 kw, path, ln, 2u * len);
			rc = -1;
			break;
		}
		for (i = 0; i < len; i++)
			d[i] = (uint8_t)(hex_digit((unsigned char)t[2 * i]) << 4 |
					 hex_digit((unsigned char)t[2 * i + 1]));
		if (hl->n == cap) {
			if (cap >= (1u << 24)) {
				snprintf(pc->err, sizeof(pc->err), "%s: %.200s: more than 16M digests", kw, path);
				rc = -1;
				break;
			}
			cap = cap ? cap * 2 : 64;
			uint8_t *nv = v_realloc(hl->v, (size_t)cap * len);
			if (!nv) {
				snprintf(pc->err, sizeof(pc->err), "out of memory");
				rc = -1;
				break;
			}
			hl->v = nv;
		}
		memcpy(hl->v + (size_t)hl->n++ * len, d, len);
	}
	fclose(f);
	struct app_cond *c = rc == 0 ? kw_add_ac(r, AC_FILEHASH, ALP_UNKNOWN, pc) : NULL;
	if (!c) {
		v_free(hl->v);
		v_free(hl);
		return -1;
	}
	qsort_r(hl->v, hl->n, len, cmp_digest, &hl->len);
	c->hl = hl;
	c->neg = neg;
	c->mask = want;
	file_want(want);
	return 0;
}

static int kw_filemd5(struct rule *r, const char *a, struct parse_ctx *pc) { return file_hash(r, a, "filemd5", 16, FILE_WANT_MD5, pc); }
static int kw_filesha1(struct rule *r, const char *a, struct parse_ctx *pc) { return file_hash(r, a, "filesha1", 20, FILE_WANT_SHA1, pc); }
static int kw_filesha256(struct rule *r, const char *a, struct parse_ctx *pc) { return file_hash(r, a, "filesha256", 32, FILE_WANT_SHA256, pc); }

/* The Suricata version whose rule language vigil reads: a rule's
 * "requires: version ..." is weighed against it. */
static const unsigned compat_version[3] = { 8, 0, 7 };

static int version_cmp(const unsigned v[3])
{
	for (int i = 0; i < 3; i++)
		if (compat_version[i] != v[i])
			return compat_version[i] < v[i] ? -1 : 1;
	return 0;
}

/* "OP X[.Y[.Z]] [OP X...] [| OP X ...]": alternatives split by '|', each
 * a list of comparisons that must all hold.  1 met, 0 not, -1 malformed. */
static int version_met(const char *expr)
{
	char tmp[128];
	str_lcpy(tmp, expr, sizeof(tmp));
	bool any = false;
	char *save = NULL;
	for (char *alt = strtok_r(tmp, "|", &save); alt; alt = strtok_r(NULL, "|", &save)) {
		bool all = true;
		int n = 0;
		const char *p = alt;
		for (;;) {
			while (*p == ' ' || *p == '\t')
				p++;
			if (!*p)
				break;
			char op[3] = { 0 };
			int ol = 0;
			while ((*p == '<' || *p == '>' || *p == '=') && ol < 2)
				op[ol++] = *p++;
			while (*p == ' ')
				p++;
			unsigned v[3] = { 0, 0, 0 };
			int parts = 0;
			while (parts < 3 && *p >= '0' && *p <= '9') {
				v[parts++] = (unsigned)strtoul(p, (char **)&p, 10);
				if (*p == '.')
					p++;
			}
			if (!parts || !ol)
				return -1;
			int c = version_cmp(v);
			int ok = !strcmp(op, ">=") ? c >= 0 : !strcmp(op, ">") ? c > 0
				: !strcmp(op, "<=") ? c <= 0 : !strcmp(op, "<") ? c < 0
				: !strcmp(op, "=") || !strcmp(op, "==") ? c == 0 : -1;
			if (ok < 0)
				return -1;
			all &= ok == 1;
			n++;
		}
		if (!n)
			return -1;
		any |= all;
	}
	return any ? 1 : 0;
}

int rule_requires_met(const char *arg, struct parse_ctx *pc)
{
	char tmp[256], *save = NULL;
	str_lcpy(tmp, arg, sizeof(tmp));
	for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		t = kw_trim(t);
		if (strncmp(t, "feature", 7) && strncmp(t, "version", 7)) {
			/* a requirement this version does not know: Suricata skips
			 * the rule (newer rules may add kinds) */
			snprintf(pc->kw, sizeof(pc->kw), "requires version");
			snprintf(pc->err, sizeof(pc->err), "requires \"%.100s\", unknown to Suricata 8.0.7", t);
			return 0;
		}
		if (!strncmp(t, "version", 7) && (t[7] == ' ' || t[7] == '\t')) {
			int m = version_met(t + 8);
			if (m == 0) {
				snprintf(pc->kw, sizeof(pc->kw), "requires version");
				snprintf(pc->err, sizeof(pc->err),
					 "requires version %.100s (vigil reads rules as Suricata %u.%u.%u does)",
					 kw_trim(t + 8), compat_version[0], compat_version[1], compat_version[2]);
				return 0;
			}
		}
	}
	return 1;
}

/* requires: feature ja4, version >= 7.0.3 - a rule for engines that have
 * what it names; versions are taken as met (vigil follows Suricata 8's
 * rule language), features vigil lacks make the rule unsupported */
static int kw_requires(struct rule *r, const char *arg, struct parse_ctx *pc)
{
	(void)r;
	if (need_arg(arg, "requires", pc))
		return -1;
	static const char *const have[] = { "ja3", "ja4", "pcre2", "hyperscan", "output::file-store" };
	char tmp[256], *save = NULL;
	str_lcpy(tmp, arg, sizeof(tmp));
	for (char *t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		t = kw_trim(t);
		if (!strncmp(t, "feature", 7) && (t[7] == ' ' || t[7] == '\t')) {
			const char *f = kw_trim(t + 8);
			bool ok = false;
			for (size_t i = 0; i < ARRAY_SIZE(have); i++)
				ok |= !strcmp(f, have[i]);
			if (!ok) {
				snprintf(pc->kw, sizeof(pc->kw), "requires feature %.40s", f);
				pc->unsupported = true;
				FAIL("requires feature \"%s\", which vigil does not have", f);
			}
		} else if (strncmp(t, "version", 7) || version_met(t + 7) < 0) {
			FAIL("requires: expected \"feature NAME\" or \"version OP X.Y.Z\", got \"%s\"", t);
		}
	}
	return 0;
}

const struct kw_entry kw_table[] = {
#define X(c, name, help) { name, help, kw_##c },
#include "keywords.def"
#undef X
};
const size_t kw_count = ARRAY_SIZE(kw_table);
