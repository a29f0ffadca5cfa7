/*
 * rules.c - OSSEC/Wazuh rules: loading <group><rule> files as shipped,
 * building the rule tree, and matching a decoded event against it.
 *
 * The tree is Wazuh's: rules 1-9 are the top level (one template per
 * event category); a rule without if_* hangs under its category's
 * template; if_sid places a rule under every occurrence of each parent
 * (only rules loaded earlier count), if_group under every rule whose
 * groups contain the word.  Siblings are kept by level, level 0 first,
 * then highest first.  An event walks the tree depth first: a rule's
 * children are only tried when it matched, and the first child that
 * returns a rule wins; a matching rule with no matching child is the
 * answer, unless it is noalert (then its siblings go on).
 *
 * Context rules (frequency, if_matched_sid, if_matched_group) look back
 * at earlier alerts, kept per session in bounded lists of past events;
 * every past event is one block, shared by the lists that hold it.
 */
#include "hids_int.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "json.h"
#include "util.h"

#define HIDS_CTX_MAX 1024    /* past events a list keeps */
#define HIDS_CTX_BYTES (4u << 20) /* ... and bytes (long lines from an agent) */
#define HIDS_TREE_DEPTH 64
#define HIDS_MAX_NODES (1u << 18)
#define HIDS_FTS_MAX 65536   /* first-time-seen keys a session keeps */

static const char *const rm_names[] = {
#define X(e, n) n,
	HIDS_RULE_MATCHERS(X)
#undef X
};

/* ---- loading ------------------------------------------------------- */

static void strv_free(char **v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

static void rule_free(struct hrule *r)
{
	if (!r)
		return;
	for (int i = 0; i < RM_CNT; i++)
		hpat_free(&r->m[i]);
	for (size_t i = 0; i < r->field_cnt; i++) {
		free(r->field[i].name);
		hpat_free(&r->field[i].pat);
	}
	free(r->field);
	free(r->srcip);
	free(r->dstip);
	for (size_t i = 0; i < r->list_cnt; i++) {
		free(r->list[i].dyn);
		hpat_free(&r->list[i].check);
	}
	free(r->list);
	free(r->if_sid);
	free(r->if_group);
	hpat_free(&r->if_matched_group);
	strv_free(r->same_field, r->same_field_cnt);
	strv_free(r->diff_field, r->diff_field_cnt);
	strv_free(r->ignore_f, r->ignore_f_cnt);
	strv_free(r->ckignore_f, r->ckignore_f_cnt);
	free(r->description);
	free(r->groups);
	free(r->info);
	strv_free(r->mitre, r->mitre_cnt);
	free(r->feeds);
	free(r);
}

void hids_rules_free(struct hids_ruleset *rs)
{
	for (size_t i = 0; i < rs->rule_cnt; i++)
		rule_free(rs->rules[i]);
	free(rs->rules);
	for (size_t i = 0; i < rs->node_cnt; i++) {
		struct hnode *n = rs->nodes[i];
		for (size_t k = 0; k < n->by_dec_cnt; k++)
			free(n->by_dec[k].pos);
		free(n->by_dec);
		free(n->other);
		free(n->child);
		free(n);
	}
	free(rs->nodes);
	free(rs->top);
	for (size_t i = 0; i < rs->list_cnt; i++)
		hids_list_free(rs->lists[i]);
	free(rs->lists);
}

static int grow(void **arr, size_t *cap, size_t need, size_t size)
{
	if (need <= *cap)
		return 0;
	size_t nc = *cap ? *cap * 2 : 16;
	while (nc < need)
		nc *= 2;
	void *n = realloc(*arr, nc * size);
	if (!n)
		return -1;
	*arr = n;
	*cap = nc;
	return 0;
}

static int strv_add(char ***v, size_t *n, const char *s, size_t len)
{
	char **nv = realloc(*v, (*n + 1) * sizeof(*nv));
	if (!nv)
		return -1;
	*v = nv;
	char *d = malloc(len + 1);
	if (!d)
		return -1;
	memcpy(d, s, len);
	d[len] = 0;
	nv[(*n)++] = d;
	return 0;
}

/* Splits on commas (and spaces), trimming. */
static int split_add(char ***v, size_t *n, const char *text)
{
	const char *p = text;
	while (*p) {
		while (*p == ',' || isspace((unsigned char)*p))
			p++;
		const char *s = p;
		while (*p && *p != ',' && !isspace((unsigned char)*p))
			p++;
		if (p > s && strv_add(v, n, s, (size_t)(p - s)) < 0)
			return -1;
	}
	return 0;
}

static int concat_str(char **acc, const char *text)
{
	size_t a = *acc ? strlen(*acc) : 0, t = strlen(text);
	char *n = realloc(*acc, a + t + 1);
	if (!n)
		return -1;
	memcpy(n + a, text, t + 1);
	*acc = n;
	return 0;
}

static int parse_ip(const char *s, struct hip *ip)
{
	char buf[64];
	memset(ip, 0, sizeof(*ip));
	while (isspace((unsigned char)*s))
		s++;
	if (*s == '!') {
		ip->neg = true;
		s++;
	}
	if (!strcasecmp(s, "any")) {
		ip->fam = 4;
		ip->bits = 0;
		return 0;
	}
	str_lcpy(buf, s, sizeof(buf));
	char *slash = strchr(buf, '/');
	long bits = -1;
	if (slash) {
		*slash = 0;
		char *end;
		bits = strtol(slash + 1, &end, 10);
		if (*end && *end != ' ') {
			/* a dotted netmask */
			struct in_addr m;
			if (inet_pton(AF_INET, slash + 1, &m) != 1)
				return -1;
			uint32_t v = ntohl(m.s_addr);
			bits = 0;
			while (v & 0x80000000u) {
				bits++;
				v <<= 1;
			}
		}
	}
	for (char *q = buf + strlen(buf); q > buf && isspace((unsigned char)q[-1]);)
		*--q = 0;
	if (inet_pton(AF_INET, buf, ip->a) == 1) {
		ip->fam = 4;
		ip->bits = (uint8_t)(bits < 0 || bits > 32 ? 32 : bits);
		return 0;
	}
	if (inet_pton(AF_INET6, buf, ip->a) == 1) {
		ip->fam = 6;
		ip->bits = (uint8_t)(bits < 0 || bits > 128 ? 128 : bits);
		return 0;
	}
	return -1;
}

static bool ip_in(const struct hip *net, const char *addr)
{
	uint8_t a[16];
	int fam;
	if (inet_pton(AF_INET, addr, a) == 1)
		fam = 4;
	else if (inet_pton(AF_INET6, addr, a) == 1)
		fam = 6;
	else
		return false;
	if (fam != net->fam)
		return false;
	unsigned bits = net->bits;
	for (unsigned i = 0; bits; i++) {
		unsigned take = bits >= 8 ? 8 : bits;
		uint8_t mask = (uint8_t)(0xff << (8 - take));
		if ((a[i] & mask) != (net->a[i] & mask))
			return false;
		bits -= take;
	}
	return true;
}

/* Wazuh's OS_IPFoundList: the first entry holding the address decides;
 * a '!' entry flips the answer for itself and those after it. */
static bool ip_list(const struct hip *l, size_t n, const char *addr)
{
	bool t = true;
	for (size_t i = 0; i < n; i++) {
		if (l[i].neg)
			t = false;
		if (ip_in(&l[i], addr))
			return t;
	}
	return !t;
}

static const struct {
	const char *name;
	int bit;
} same_names[] = {
	{ "source_ip", HF_SRCIP }, { "srcip", HF_SRCIP }, { "id", HF_ID }, { "user", HF_DSTUSER },
	{ "srcuser", HF_SRCUSER }, { "dstip", HF_DSTIP }, { "src_port", HF_SRCPORT },
	{ "srcport", HF_SRCPORT }, { "dst_port", HF_DSTPORT }, { "dstport", HF_DSTPORT },
	{ "protocol", HF_PROTOCOL }, { "action", HF_ACTION }, { "url", HF_URL }, { "data", HF_DATA },
	{ "extra_data", HF_EXTRA_DATA }, { "status", HF_STATUS }, { "system_name", HF_SYSTEM_NAME },
	{ "srcgeoip", SD_SRCGEOIP }, { "dstgeoip", SD_DSTGEOIP }, { "location", SD_LOCATION },
};

static int same_bit(const char *suffix)
{
	for (size_t i = 0; i < ARRAY_SIZE(same_names); i++)
		if (!strcmp(suffix, same_names[i].name))
			return same_names[i].bit;
	return -1;
}

static int pat_type(const char *ty, int def)
{
	if (!ty)
		return def;
	if (!strcasecmp(ty, "osmatch"))
		return HP_OSMATCH;
	if (!strcasecmp(ty, "osregex"))
		return HP_OSREGEX;
	if (!strcasecmp(ty, "pcre2"))
		return HP_PCRE2;
	return def;
}

struct mtext {
	char *text;
	int type;
	bool negate, caseless;
};

static int matcher_index(const char *el, bool *pcre_el)
{
	*pcre_el = false;
	char base[64];
	str_lcpy(base, el, sizeof(base));
	size_t n = strlen(base);
	if (n > 6 && !strcasecmp(base + n - 6, "_pcre2")) {
		base[n - 6] = 0;
		*pcre_el = true;
	} else if (!strcasecmp(base, "pcre2")) {
		*pcre_el = true;
		return RM_REGEX;
	}
	for (int i = 0; i < RM_CNT; i++)
		if (!strcasecmp(base, rm_names[i]))
			return i;
	return -1;
}

static struct hlist *list_find(struct hids_ruleset *rs, const char *dir, const char *lists_dir,
			       const char *path, const char *file, unsigned line);

struct rload {
	struct hids_ruleset *rs;
	const char *dir, *lists_dir;
	const char *file;
};

/* Parses one <rule>; NULL with *skip set when Wazuh would skip it with a
 * warning, NULL otherwise on a fatal error. */
/* One end of a <time> range, as Wazuh's __gethour reads it: "hh",
 * "hh:mm", then an optional am/pm (12 am is 0:00, 12 pm noon).  Returns
 * the minutes of the day and moves *s past it, or -1. */
static int time_end(const char **s)
{
	const char *p = *s;
	int h = 0, m = 0, nd = 0;
	while (isdigit((unsigned char)*p) && nd < 3)
		h = h * 10 + (*p++ - '0'), nd++;
	if (!nd || nd > 2 || h > 23)
		return -1;
	if (*p == ':') {
		if (!isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]))
			return -1;
		m = (p[1] - '0') * 10 + (p[2] - '0');
		if (m > 59)
			return -1;
		p += 3;
	}
	while (*p == ' ')
		p++;
	int ap = tolower((unsigned char)*p);
	if ((ap == 'a' || ap == 'p') && tolower((unsigned char)p[1]) == 'm') {
		if (h == 12)
			h = 0;
		if (ap == 'p' && (h += 12) > 23)
			return -1;
		p += 2;
	}
	*s = p;
	return h * 60 + m;
}

/* <time>[!]A - B</time>, inclusive.  As Wazuh: a range that wraps past
 * midnight (A later than B) is "not between B and A", both ends
 * excluded, and a '!' on it is ignored. */
static int parse_time(struct hrule *r, const char *t)
{
	bool neg = false;
	while (*t == ' ')
		t++;
	if (*t == '!') {
		neg = true;
		while (*++t == ' ')
			;
	}
	int a = time_end(&t);
	while (*t == ' ')
		t++;
	if (a < 0 || *t++ != '-')
		return -1;
	while (*t == ' ')
		t++;
	int b = time_end(&t);
	while (*t == ' ')
		t++;
	if (b < 0 || *t)
		return -1;
	r->has_time = true;
	r->time_lo = (short)(a <= b ? a : b);
	r->time_hi = (short)(a <= b ? b : a);
	r->time_in = a <= b && !neg;
	return 0;
}

/* <weekday>: day names or their first three letters, "weekdays",
 * "weekends", separated by spaces or commas.  A leading '!' negates
 * (Wazuh fails to load such a rule: it never skips the '!'). */
static int parse_weekday(struct hrule *r, const char *t)
{
	static const struct { const char *name; unsigned char days; } names[] = {
		{ "sunday", 1 }, { "sun", 1 }, { "monday", 2 }, { "mon", 2 }, { "tuesday", 4 }, { "tue", 4 },
		{ "wednesday", 8 }, { "wed", 8 }, { "thursday", 16 }, { "thu", 16 }, { "friday", 32 },
		{ "fri", 32 }, { "saturday", 64 }, { "sat", 64 }, { "weekdays", 62 }, { "weekends", 65 },
	};
	unsigned char days = 0;
	while (*t == ' ')
		t++;
	if (*t == '!') {
		r->wday_neg = true;
		t++;
	}
	while (*t == ' ' || *t == ',')
		t++;
	while (*t) {
		size_t k;
		for (k = 0; k < ARRAY_SIZE(names); k++)
			if (!strncasecmp(t, names[k].name, strlen(names[k].name)))
				break;
		if (k == ARRAY_SIZE(names))
			return -1;
		days |= names[k].days;
		t += strlen(names[k].name);
		if (*t && *t != ' ' && *t != ',')
			return -1;
		while (*t == ' ' || *t == ',')
			t++;
	}
	if (!days)
		return -1;
	r->wdays = days;
	return 0;
}

static struct hrule *rule_parse(struct rload *L, const struct hxml *n, const char *group_name,
				bool *skip, struct verr *e)
{
	struct hids_ruleset *rs = L->rs;
	struct mtext mt[RM_CNT] = { 0 };
	struct hrule *r = calloc(1, sizeof(*r));
	const char *file = L->file;
	*skip = false;
	if (!r) {
		verr_set(e, V_ENOMEM, "out of memory");
		return NULL;
	}
	r->file = file;
	r->line = n->line;
	r->decoded_as = -1;
	r->sid_list = r->group_list = -1;
	r->timeframe = 360;
	r->category = HC_SYSLOG;
	bool have_id = false, have_level = false;
	for (size_t i = 0; i < n->attr_cnt; i++) {
		const char *a = n->attr[i].name, *v = n->attr[i].value;
		uint64_t u;
		if (!strcasecmp(a, "id")) {
			if (parse_uint(v, 999999, &u) < 0)
				goto bad_attr;
			r->id = (unsigned)u;
			have_id = true;
		} else if (!strcasecmp(a, "level")) {
			if (parse_uint(v, 16, &u) < 0)
				goto bad_attr;
			r->level = (int)u;
			have_level = true;
		} else if (!strcasecmp(a, "maxsize")) {
			if (parse_uint(v, 1u << 20, &u) < 0)
				goto bad_attr;
			r->maxsize = (unsigned)u;
		} else if (!strcasecmp(a, "frequency")) {
			if (parse_uint(v, 9999, &u) < 0)
				goto bad_attr;
			r->frequency = (int)u;
		} else if (!strcasecmp(a, "timeframe")) {
			if (parse_uint(v, 1u << 30, &u) < 0)
				goto bad_attr;
			r->timeframe = (unsigned)u;
		} else if (!strcasecmp(a, "ignore")) {
			if (parse_uint(v, 1u << 30, &u) < 0)
				goto bad_attr;
			r->ignore_time = (unsigned)u;
		} else if (!strcasecmp(a, "noalert")) {
			r->noalert = !strcmp(v, "1");
		} else if (!strcasecmp(a, "overwrite") || !strcasecmp(a, "accuracy")) {
			/* overwrite: handled by the caller */
		} else {
			verr_set(e, V_EINVAL, "%s:%u: rule: unknown attribute '%s'", file, n->line, a);
			goto fail;
		}
		continue;
	bad_attr:
		verr_set(e, V_EINVAL, "%s:%u: rule: bad %s \"%s\"", file, n->line, a, v);
		goto fail;
	}
	if (!have_id || !have_level) {
		verr_set(e, V_EINVAL, "%s:%u: rule without %s", file, n->line, have_id ? "a level" : "an id");
		goto fail;
	}
	if (!(r->groups = strdup(group_name ? group_name : "")))
		goto nomem;
	for (const struct hxml *c = n->child; c; c = c->next) {
		const char *el = c->name, *t = c->text;
		bool pcre_el;
		int mi = matcher_index(el, &pcre_el);
		if (mi >= 0) {
			struct mtext *m = &mt[mi];
			if (concat_str(&m->text, t) < 0)
				goto nomem;
			int def = mi == RM_REGEX ? HP_OSREGEX : mi == RM_ACTION ? HP_STRING : HP_OSMATCH;
			m->type = pcre_el ? HP_PCRE2 : pat_type(hxml_attr(c, "type"), def);
			m->caseless = pcre_el;
			const char *neg = hxml_attr(c, "negate");
			m->negate = neg && !strcasecmp(neg, "yes");
		} else if (!strcasecmp(el, "field")) {
			const char *fname = hxml_attr(c, "name");
			if (!fname || hids_field_static(fname) >= 0) {
				verr_set(e, V_EINVAL, "%s:%u: rule %u: <field> needs the name of a dynamic field",
					 file, c->line, r->id);
				goto fail;
			}
			struct hrfield *nf = realloc(r->field, (r->field_cnt + 1) * sizeof(*nf));
			if (!nf)
				goto nomem;
			r->field = nf;
			struct hrfield *f = &nf[r->field_cnt];
			memset(f, 0, sizeof(*f));
			if (!(f->name = strdup(fname)))
				goto nomem;
			f->key = hids_dyn_key(fname);
			r->field_cnt++;
			const char *neg = hxml_attr(c, "negate");
			f->pat.negate = neg && !strcasecmp(neg, "yes");
			struct verr pe = { "" };
			bool negate = f->pat.negate;
			if (hpat_compile(&f->pat, (enum hpat_type)pat_type(hxml_attr(c, "type"), HP_OSREGEX), t,
					 false, &pe) < 0) {
				verr_set(e, V_EINVAL, "%s:%u: rule %u: <field name=\"%s\">: %s", file, c->line,
					 r->id, fname, pe.msg);
				goto fail;
			}
			f->pat.negate = negate;
		} else if (!strcasecmp(el, "srcip") || !strcasecmp(el, "dstip")) {
			bool src = !strcasecmp(el, "srcip");
			struct hip **l = src ? &r->srcip : &r->dstip;
			size_t *cnt = src ? &r->srcip_cnt : &r->dstip_cnt;
			struct hip *nl = realloc(*l, (*cnt + 1) * sizeof(*nl));
			if (!nl)
				goto nomem;
			*l = nl;
			if (parse_ip(t, &nl[*cnt]) < 0) {
				verr_set(e, V_EINVAL, "%s:%u: rule %u: bad address '%s'", file, c->line, r->id, t);
				goto fail;
			}
			(*cnt)++;
			const char *neg = hxml_attr(c, "negate");
			*(src ? &r->srcip_neg : &r->dstip_neg) = neg && !strcasecmp(neg, "yes");
		} else if (!strcasecmp(el, "list")) {
			const char *field = hxml_attr(c, "field"), *lookup = hxml_attr(c, "lookup");
			if (!field) {
				verr_set(e, V_EINVAL, "%s:%u: rule %u: <list> without field", file, c->line, r->id);
				goto fail;
			}
			static const char *const lk[] = { "match_key", "not_match_key", "match_key_value",
							  "address_match_key", "not_address_match_key",
							  "address_match_key_value" };
			int li = lookup ? -1 : LK_MATCH_KEY;
			for (int k = 0; lookup && k < 6; k++)
				if (!strcmp(lookup, lk[k]))
					li = k;
			if (li < 0) {
				verr_set(e, V_EINVAL, "%s:%u: rule %u: bad lookup '%s'", file, c->line, r->id, lookup);
				goto fail;
			}
			struct hlist *hl = list_find(rs, L->dir, L->lists_dir, t, file, c->line);
			if (!hl) {
				hids_warn(rs, "%s:%u: rule %u skipped: list '%s' not found", file, c->line, r->id, t);
				*skip = true;
				goto fail;
			}
			struct hrlist *nl = realloc(r->list, (r->list_cnt + 1) * sizeof(*nl));
			if (!nl)
				goto nomem;
			r->list = nl;
			struct hrlist *x = &nl[r->list_cnt++];
			memset(x, 0, sizeof(*x));
			x->lookup = li;
			x->list = hl;
			x->field = hids_field_static(field);
			if (!strcmp(field, "user"))
				x->field = HF_SRCUSER; /* srcuser first, then dstuser */
			else if (!strcmp(field, "program_name"))
				x->field = -2;
			else if (!strcmp(field, "hostname"))
				x->field = -3;
			if (x->field == -1 && !(x->dyn = strdup(field)))
				goto nomem;
			const char *cv = hxml_attr(c, "check_value");
			if (cv && hpat_compile(&x->check, HP_OSMATCH, cv, false, NULL) < 0)
				goto nomem;
		} else if (!strcasecmp(el, "if_sid")) {
			for (const char *p = t; *p;) {
				while (*p == ',' || isspace((unsigned char)*p))
					p++;
				if (!*p)
					break;
				if (!isdigit((unsigned char)*p)) {
					hids_warn(rs, "%s:%u: rule %u skipped: bad if_sid '%s'", file, c->line, r->id, t);
					*skip = true;
					goto fail;
				}
				unsigned long v = strtoul(p, (char **)&p, 10);
				unsigned *ns = realloc(r->if_sid, (r->if_sid_cnt + 1) * sizeof(*ns));
				if (!ns)
					goto nomem;
				r->if_sid = ns;
				ns[r->if_sid_cnt++] = (unsigned)v;
			}
		} else if (!strcasecmp(el, "if_group")) {
			if (concat_str(&r->if_group, t) < 0)
				goto nomem;
		} else if (!strcasecmp(el, "if_level")) {
			uint64_t u;
			if (parse_uint(t, 16, &u) < 0) {
				verr_set(e, V_EINVAL, "%s:%u: rule %u: bad if_level '%s'", file, c->line, r->id, t);
				goto fail;
			}
			r->if_level = (int)u;
		} else if (!strcasecmp(el, "if_matched_sid")) {
			r->if_matched_sid = (unsigned)strtoul(t, NULL, 10);
			r->has_context = true;
		} else if (!strcasecmp(el, "if_matched_group")) {
			if (hpat_compile(&r->if_matched_group, HP_OSMATCH, t, false, NULL) < 0)
				goto nomem;
			r->has_context = true;
		} else if (!strncasecmp(el, "same_", 5) || !strncasecmp(el, "not_same_", 9) ||
			   !strncasecmp(el, "different_", 10)) {
			bool same = !strncasecmp(el, "same_", 5);
			const char *suf = el + (same ? 5 : !strncasecmp(el, "not_same_", 9) ? 9 : 10);
			if (!strcmp(suf, "field")) {
				if (strv_add(same ? &r->same_field : &r->diff_field,
					     same ? &r->same_field_cnt : &r->diff_field_cnt, t, strlen(t)) < 0)
					goto nomem;
			} else if (!strcmp(suf, "agent")) {
				/* deprecated, ignored */
			} else {
				int b = same_bit(suf);
				if (b < 0) {
					verr_set(e, V_EINVAL, "%s:%u: rule %u: unknown element <%s>", file, c->line,
						 r->id, el);
					goto fail;
				}
				*(same ? &r->same : &r->diff) |= 1u << b;
			}
		} else if (!strcasecmp(el, "global_frequency")) {
			r->global_frequency = true;
		} else if (!strcasecmp(el, "description")) {
			char *d = strdup(t);
			if (!d)
				goto nomem;
			char *nl = strchr(d, '\n');
			if (nl)
				*nl = ' ';
			int rc = concat_str(&r->description, d);
			free(d);
			if (rc < 0)
				goto nomem;
		} else if (!strcasecmp(el, "group")) {
			if (concat_str(&r->groups, t) < 0)
				goto nomem;
		} else if (!strcasecmp(el, "info") || !strcasecmp(el, "cve")) {
			if (!r->info && !(r->info = strdup(t)))
				goto nomem;
		} else if (!strcasecmp(el, "options")) {
			static const struct {
				const char *n;
				unsigned v;
			} opts[] = { { "no_full_log", RO_NO_FULL_LOG }, { "no_log", RO_NO_LOG },
				     { "alert_by_email", RO_ALERT_BY_EMAIL }, { "no_email_alert", RO_NO_EMAIL },
				     { "no_ar", RO_NO_AR }, { "no_counter", RO_NO_COUNTER },
				     { "log_alert", RO_LOG_ALERT } };
			size_t k;
			for (k = 0; k < ARRAY_SIZE(opts); k++)
				if (!strcmp(t, opts[k].n))
					break;
			if (k == ARRAY_SIZE(opts)) {
				verr_set(e, V_EINVAL, "%s:%u: rule %u: unknown option '%s'", file, c->line, r->id, t);
				goto fail;
			}
			r->options |= opts[k].v;
		} else if (!strcasecmp(el, "mitre")) {
			for (const struct hxml *m = c->child; m; m = m->next)
				if (!strcasecmp(m->name, "id") || !strcasecmp(m->name, "techniqueID"))
					if (strv_add(&r->mitre, &r->mitre_cnt, m->text, strlen(m->text)) < 0)
						goto nomem;
		} else if (!strcasecmp(el, "category")) {
			int cat = hids_category(t);
			if (cat < 0) {
				verr_set(e, V_EINVAL, "%s:%u: rule %u: unknown category '%s'", file, c->line, r->id, t);
				goto fail;
			}
			r->category = (unsigned char)cat;
		} else if (!strcasecmp(el, "decoded_as")) {
			int id = hids_decoder_id(rs, t);
			if (id < 0) {
				/* decoders analysisd builds in (syscheck, rootcheck...): an
				 * id no loaded decoder has */
				static const char *const internal[] = {
					"rootcheck", "syscheck_integrity_changed", "syscheck_new_entry",
					"syscheck_deleted", "syscheck_registry_key_modified",
					"syscheck_registry_key_added", "syscheck_registry_key_deleted",
					"syscheck_registry_value_modified", "syscheck_registry_value_added",
					"syscheck_registry_value_deleted", "hostinfo_new", "hostinfo_modified",
					"syscollector", "ciscat", "sca", "windows_eventchannel",
					"syscheck_integrity_changed_2nd", "syscheck_integrity_changed_3rd",
				};
				size_t k;
				for (k = 0; k < ARRAY_SIZE(internal); k++)
					if (!strcmp(t, internal[k]))
						break;
				if (k == ARRAY_SIZE(internal)) {
					verr_set(e, V_EINVAL, "%s:%u: rule %u: decoded_as '%s': no such decoder", file,
						 c->line, r->id, t);
					goto fail;
				}
				id = INT_MAX - (int)k;
			}
			r->decoded_as = id;
		} else if (!strcasecmp(el, "check_diff")) {
			r->check_diff = true;
			r->has_context = true;
		} else if (!strcasecmp(el, "if_fts")) {
			r->if_fts = true;
		} else if (!strcasecmp(el, "compiled_rule")) {
			r->compiled = !strcmp(t, "is_simple_http_request") ? 1 : !strcmp(t, "is_valid_crawler") ? 2 : 3;
		} else if (!strcasecmp(el, "ignore")) {
			if (split_add(&r->ignore_f, &r->ignore_f_cnt, t) < 0)
				goto nomem;
		} else if (!strcasecmp(el, "check_if_ignored")) {
			if (split_add(&r->ckignore_f, &r->ckignore_f_cnt, t) < 0)
				goto nomem;
		} else if (!strcasecmp(el, "time")) {
			if (parse_time(r, t) < 0) {
				verr_set(e, V_EINVAL, "%s:%u: rule %u: <time>%s</time>: not 'hh[:mm] [am|pm] - "
					 "hh[:mm] [am|pm]'", file, c->line, r->id, t);
				goto fail;
			}
		} else if (!strcasecmp(el, "weekday")) {
			if (parse_weekday(r, t) < 0) {
				verr_set(e, V_EINVAL, "%s:%u: rule %u: <weekday>%s</weekday>: not day names "
					 "(monday, mon..., weekdays, weekends)", file, c->line, r->id, t);
				goto fail;
			}
		} else if (!strcasecmp(el, "var") || !strcasecmp(el, "if_matched_regex")) {
		} else {
			verr_set(e, V_EINVAL, "%s:%u: rule %u: unknown element <%s>", file, c->line, r->id, el);
			goto fail;
		}
	}
	if (!r->description && rs->ossec && !(r->description = strdup("")))
		goto nomem;
	if (!r->description) {
		verr_set(e, V_EINVAL, "%s:%u: rule %u has no <description>", file, n->line, r->id);
		goto fail;
	}
	for (int i = 0; i < RM_CNT; i++) {
		if (!mt[i].text)
			continue;
		struct verr pe = { "" };
		r->m[i].caseless = mt[i].caseless;
		if (hpat_compile(&r->m[i], (enum hpat_type)mt[i].type, mt[i].text, false, &pe) < 0) {
			verr_set(e, V_EINVAL, "%s:%u: rule %u: <%s>: %s", file, n->line, r->id, rm_names[i], pe.msg);
			goto fail;
		}
		r->m[i].negate = mt[i].negate;
		free(mt[i].text);
		mt[i].text = NULL;
	}
	if ((r->frequency || r->same || r->diff || r->same_field_cnt || r->diff_field_cnt) &&
	    !r->has_context) {
		verr_set(e, V_EINVAL, "%s:%u: rule %u: frequency or same_/different_ without if_matched_*",
			 file, n->line, r->id);
		goto fail;
	}
	return r;
nomem:
	verr_set(e, V_ENOMEM, "out of memory");
fail:
	for (int i = 0; i < RM_CNT; i++)
		free(mt[i].text);
	rule_free(r);
	return NULL;
}

static struct hrule *rule_by_id(const struct hids_ruleset *rs, unsigned id)
{
	for (size_t i = 0; i < rs->rule_cnt; i++)
		if (rs->rules[i]->id == id)
			return rs->rules[i];
	return NULL;
}

static int stored_level(const struct hrule *r)
{
	return r->level == 0 ? 9900 : r->level * 100;
}

static struct hnode *node_new(struct hids_ruleset *rs, struct hrule *r)
{
	if (rs->node_cnt >= HIDS_MAX_NODES)
		return NULL;
	struct hnode *n = calloc(1, sizeof(*n));
	if (!n)
		return NULL;
	n->r = r;
	if (grow((void **)&rs->nodes, &rs->node_cap, rs->node_cnt + 1, sizeof(*rs->nodes)) < 0) {
		free(n);
		return NULL;
	}
	rs->nodes[rs->node_cnt++] = n;
	return n;
}

/* Inserts c into a sibling list kept by stored level (stable). */
static int insert_sorted(struct hnode ***list, size_t *cnt, size_t *cap, struct hnode *c)
{
	if (grow((void **)list, cap, *cnt + 1, sizeof(**list)) < 0)
		return -1;
	int lv = stored_level(c->r);
	size_t at = *cnt;
	for (size_t i = 0; i < *cnt; i++)
		if (stored_level((*list)[i]->r) < lv) {
			at = i;
			break;
		}
	memmove(&(*list)[at + 1], &(*list)[at], (*cnt - at) * sizeof(**list));
	(*list)[at] = c;
	(*cnt)++;
	return 0;
}

static int add_child(struct hids_ruleset *rs, struct hnode *parent, struct hrule *r)
{
	struct hnode *n = node_new(rs, r);
	if (!n || insert_sorted(&parent->child, &parent->cnt, &parent->cap, n) < 0)
		return -1;
	return 0;
}

/* Places r in the tree.  1 when it found no place (a warning). */
static int place(struct hids_ruleset *rs, struct hrule *r)
{
	if (r->id < 10) {
		struct hnode *n = node_new(rs, r);
		if (!n || insert_sorted(&rs->top, &rs->top_cnt, &rs->top_cap, n) < 0)
			return -1;
		return 0;
	}
	size_t existing = rs->node_cnt;
	bool placed = false;
	if (!r->if_sid_cnt && r->if_matched_sid && !r->if_group) {
		/* if_matched_sid alone implies if_sid */
		if (!(r->if_sid = malloc(sizeof(*r->if_sid))))
			return -1;
		r->if_sid[0] = r->if_matched_sid;
		r->if_sid_cnt = 1;
	}
	if (r->if_sid_cnt) {
		for (size_t k = 0; k < r->if_sid_cnt; k++) {
			bool found = false;
			for (size_t i = 0; i < existing; i++) {
				struct hnode *p = rs->nodes[i];
				if (p->r->id != r->if_sid[k] || p->r == r)
					continue;
				if (add_child(rs, p, r) < 0)
					return -1;
				found = placed = true;
			}
			if (!found)
				hids_warn(rs, "%s:%u: rule %u: if_sid %u not found", r->file, r->line, r->id,
					  r->if_sid[k]);
		}
		return placed ? 0 : 1;
	}
	if (r->if_level) {
		for (size_t i = 0; i < existing; i++)
			if (stored_level(rs->nodes[i]->r) >= r->if_level * 100 && rs->nodes[i]->r != r) {
				if (add_child(rs, rs->nodes[i], r) < 0)
					return -1;
				placed = true;
			}
		return placed ? 0 : 1;
	}
	const char *grp = r->if_group;
	if (!grp && r->if_matched_group.type != HP_NONE)
		grp = r->if_matched_group.src;
	if (grp) {
		for (size_t i = 0; i < existing; i++) {
			struct hnode *p = rs->nodes[i];
			if (p->r == r || !hpat_word_match(grp, p->r->groups))
				continue;
			if (add_child(rs, p, r) < 0)
				return -1;
			placed = true;
		}
		return placed ? 0 : 1;
	}
	for (size_t i = 0; i < rs->top_cnt; i++)
		if (rs->top[i]->r->category == r->category)
			return add_child(rs, rs->top[i], r) < 0 ? -1 : 0;
	return 1;
}

static int load_rule(struct rload *L, const struct hxml *n, const char *group_name, struct verr *e)
{
	struct hids_ruleset *rs = L->rs;
	bool skip;
	struct hrule *r = rule_parse(L, n, group_name, &skip, e);
	if (!r)
		return skip ? 0 : V_EINVAL;
	const char *ow = hxml_attr(n, "overwrite");
	struct hrule *old = rule_by_id(rs, r->id);
	if (old && ow && !strcmp(ow, "yes")) {
		/* the old rule takes the new one's content, keeping its place
		 * in the tree, its children and its context memory */
		struct hrule keep = *old;
		*old = *r;
		old->if_sid = keep.if_sid;
		old->if_sid_cnt = keep.if_sid_cnt;
		old->if_group = keep.if_group;
		old->if_level = keep.if_level;
		old->if_matched_sid = keep.if_matched_sid;
		old->idx = keep.idx;
		old->sid_list = keep.sid_list;
		old->group_list = keep.group_list;
		old->feeds = keep.feeds;
		old->feeds_cnt = keep.feeds_cnt;
		free(r->if_sid);   /* the new rule's: the old one keeps its place */
		free(r->if_group);
		*r = keep;
		r->if_sid = NULL;
		r->if_group = NULL;
		r->feeds = NULL;
		rule_free(r);
		return 0;
	}
	if (old) {
		hids_warn(rs, "%s:%u: rule %u: duplicate id, skipped", L->file, n->line, r->id);
		rule_free(r);
		return 0;
	}
	r->idx = (unsigned)rs->rule_cnt;
	if (grow((void **)&rs->rules, &rs->rule_cap, rs->rule_cnt + 1, sizeof(*rs->rules)) < 0) {
		rule_free(r);
		return verr_set(e, V_ENOMEM, "out of memory");
	}
	rs->rules[rs->rule_cnt++] = r;
	int rc = place(rs, r);
	if (rc < 0 && rs->node_cnt >= HIDS_MAX_NODES)
		return verr_set(e, V_EINVAL, "%s:%u: rule %u: the rule tree would pass %u places (if_group copies a rule under every rule of the group)",
				L->file, n->line, r->id, HIDS_MAX_NODES);
	if (rc < 0)
		return verr_set(e, V_ENOMEM, "out of memory");
	if (rc > 0)
		hids_warn(rs, "%s:%u: rule %u has no parent in the tree, never matched", L->file, n->line, r->id);
	return 0;
}

int hids_rules_load_file(struct hids_ruleset *rs, const char *path, const char *dir,
			 const char *lists_dir, struct verr *e)
{
	struct hxml *doc = hxml_parse_file(path, e);
	if (!doc)
		return V_EINVAL;
	struct rload L = { rs, dir, lists_dir, rs->files[rs->file_cnt - 1] };
	int rc = hxml_apply_vars(doc, e);
	for (const struct hxml *g = doc->child; !rc && g; g = g->next) {
		if (!strcasecmp(g->name, "var"))
			continue;
		if (strcasecmp(g->name, "group")) {
			rc = verr_set(e, V_EINVAL, "%s:%u: <%s> where a <group> was expected", L.file, g->line,
				      g->name);
			break;
		}
		const char *gname = hxml_attr(g, "name");
		for (const struct hxml *r = g->child; !rc && r; r = r->next) {
			if (!strcasecmp(r->name, "rule"))
				rc = load_rule(&L, r, gname, e);
			else if (strcasecmp(r->name, "var"))
				rc = verr_set(e, V_EINVAL, "%s:%u: <%s> inside a <group>", L.file, r->line, r->name);
		}
	}
	hxml_free(doc);
	return rc;
}

static int cmp_dec(const void *a, const void *b)
{
	const struct hdec_children *x = a, *y = b;
	return (x->dec > y->dec) - (x->dec < y->dec);
}

/* Indexes the children of a node that has many by decoded_as. */
static int node_index(struct hnode *n)
{
	if (n->cnt < 16)
		return 0;
	for (size_t i = 0; i < n->cnt; i++) {
		struct hrule *c = n->child[i]->r;
		if (c->decoded_as < 0) {
			uint32_t *no = realloc(n->other, (n->other_cnt + 1) * sizeof(*no));
			if (!no)
				return -1;
			n->other = no;
			no[n->other_cnt++] = (uint32_t)i;
			continue;
		}
		size_t k;
		for (k = 0; k < n->by_dec_cnt && n->by_dec[k].dec != c->decoded_as; k++)
			;
		if (k == n->by_dec_cnt) {
			struct hdec_children *nb = realloc(n->by_dec, (n->by_dec_cnt + 1) * sizeof(*nb));
			if (!nb)
				return -1;
			n->by_dec = nb;
			nb[n->by_dec_cnt++] = (struct hdec_children){ c->decoded_as, NULL, 0 };
		}
		struct hdec_children *e = &n->by_dec[k];
		uint32_t *np = realloc(e->pos, (e->cnt + 1) * sizeof(*np));
		if (!np)
			return -1;
		e->pos = np;
		np[e->cnt++] = (uint32_t)i;
	}
	if (n->by_dec_cnt)
		qsort(n->by_dec, n->by_dec_cnt, sizeof(*n->by_dec), cmp_dec);
	n->indexed = true;
	return 0;
}

/* After every file: the lists of past events context rules read. */
int hids_rules_finish(struct hids_ruleset *rs)
{
	for (size_t i = 0; i < rs->node_cnt; i++)
		if (node_index(rs->nodes[i]) < 0)
			return V_ENOMEM;
	for (size_t i = 0; i < rs->rule_cnt; i++) {
		struct hrule *r = rs->rules[i];
		if (r->if_matched_sid) {
			struct hrule *t = rule_by_id(rs, r->if_matched_sid);
			if (t && t->sid_list < 0)
				t->sid_list = (int)rs->sid_lists++;
		}
		if (r->if_matched_group.type != HP_NONE)
			r->group_list = (int)rs->group_lists++;
	}
	/* a rule's alerts feed the group lists whose pattern its groups
	 * match, unless it is an if_matched_sid target */
	for (size_t i = 0; i < rs->rule_cnt; i++) {
		struct hrule *x = rs->rules[i];
		if (x->sid_list >= 0)
			continue;
		for (size_t k = 0; k < rs->rule_cnt; k++) {
			struct hrule *g = rs->rules[k];
			if (g->group_list < 0 || !hpat_exec(&g->if_matched_group, x->groups, NULL))
				continue;
			int *nf = realloc(x->feeds, (x->feeds_cnt + 1) * sizeof(*nf));
			if (!nf)
				return V_ENOMEM;
			x->feeds = nf;
			nf[x->feeds_cnt++] = g->group_list;
		}
	}
	return 0;
}

/* ---- lists (CDB lists in their text form) -------------------------- */

static struct hlist *list_find(struct hids_ruleset *rs, const char *dir, const char *lists_dir,
			       const char *path, const char *file, unsigned line)
{
	(void)file;
	(void)line;
	char p1[4096], p2[4096];
	const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
	const char *rel = !strncmp(path, "etc/lists/", 10) ? path + 10 : path;
	snprintf(p1, sizeof(p1), "%s/%s", lists_dir, rel);
	snprintf(p2, sizeof(p2), "%s/%s", dir, path);
	const char *cands[] = { p1, p2 };
	(void)base;
	for (size_t i = 0; i < 2; i++) {
		for (size_t k = 0; k < rs->list_cnt; k++)
			if (!strcmp(hids_list_path(rs->lists[k]), cands[i]))
				return rs->lists[k];
		struct verr e = { "" };
		struct hlist *l = hids_list_load(cands[i], &e);
		if (!l)
			continue;
		struct hlist **nl = realloc(rs->lists, (rs->list_cnt + 1) * sizeof(*nl));
		if (!nl) {
			hids_list_free(l);
			return NULL;
		}
		rs->lists = nl;
		nl[rs->list_cnt++] = l;
		return l;
	}
	return NULL;
}

/* ---- session state ------------------------------------------------- */

struct hpast {
	unsigned refs;
	size_t size;
	int matched;               /* level of the context rule that used it */
	uint64_t t;                /* when it was analysed, microseconds */
	const char *f[HF_STATIC_CNT];
	const char *location, *agent, *full_log;
	size_t dyn_cnt;
	struct hids_dyn *dyn;
	char data[];
};

struct hq {
	struct hpast **ev;         /* ring, newest at head-1 */
	size_t head, cnt, bytes;
};

struct hset {
	uint64_t *h;
	size_t cnt, cap;
};

struct hids_state {
	const struct hids_ruleset *rs;
	unsigned *fired;
	uint64_t *ignored_at;
	struct hq *sid_q, *grp_q;
	struct hset fts, ckignore;
	uint64_t *diff_hash;       /* check_diff: the last output per rule (local logs) */
	/* ... and per rule and VM for agents' events, as Wazuh keeps it per
	 * agent: direct-mapped by (rule, VM), the full key kept, so a
	 * collision forgets the older pair (its next output counts as a
	 * first, which does not alert) and memory stays fixed */
	struct { uint64_t key, h; } *diff_vm;
	struct acm *acm;           /* the accumulator, once a decoder asks */
	struct hpat_scan *scan;    /* the literal table's marks for this session's lines */
};
#define DIFF_VM_SLOTS 4096

/* Wazuh's accumulator: decoders marked <accumulate/> pool the addresses,
 * ports, users and data of events sharing an id (an OpenLDAP connection:
 * the ACCEPT line has the source, the BIND line the user).  Keyed by VM,
 * host, decoder name and id; an entry lasts 120 s after its last event;
 * direct-mapped, so memory stays fixed and a collision forgets the older
 * entry. */
#define ACM_SLOTS 4096
#define ACM_EXPIRE_US (120 * 1000000ull)
#define ACM_MAXKEY 256   /* Wazuh's OS_ACM_MAXKEY: a longer key is not pooled */
#define ACM_MAXELM 81    /* OS_ACM_MAXELM: a longer value is not pooled */
static const int acm_fields[] = { HF_DSTUSER, HF_SRCUSER, HF_DSTIP, HF_SRCIP, HF_DSTPORT, HF_SRCPORT, HF_DATA };
#define ACM_FIELDS (sizeof(acm_fields) / sizeof(acm_fields[0]))
struct acm {
	uint64_t h;        /* 0: empty */
	uint64_t t;
	char key[ACM_MAXKEY];
	char v[ACM_FIELDS][ACM_MAXELM];
};

static void past_unref(struct hpast *p)
{
	if (p && --p->refs == 0)
		free(p);
}

static void q_free(struct hq *q)
{
	if (!q || !q->ev)
		return;
	for (size_t i = 0; i < q->cnt; i++)
		past_unref(q->ev[(q->head + HIDS_CTX_MAX - 1 - i) % HIDS_CTX_MAX]);
	free(q->ev);
}

static int q_push(struct hq *q, struct hpast *p)
{
	if (!q->ev && !(q->ev = calloc(HIDS_CTX_MAX, sizeof(*q->ev))))
		return -1;
	if (q->cnt == HIDS_CTX_MAX) {
		q->bytes -= q->ev[q->head]->size;
		past_unref(q->ev[q->head]);
	} else {
		q->cnt++;
	}
	q->ev[q->head] = p;
	p->refs++;
	q->bytes += p->size;
	q->head = (q->head + 1) % HIDS_CTX_MAX;
	/* over its bytes: the oldest go */
	while (q->bytes > HIDS_CTX_BYTES && q->cnt > 1) {
		size_t oldest = (q->head + HIDS_CTX_MAX - q->cnt) % HIDS_CTX_MAX;
		q->bytes -= q->ev[oldest]->size;
		past_unref(q->ev[oldest]);
		q->ev[oldest] = NULL;
		q->cnt--;
	}
	return 0;
}

/* The i-th newest. */
static struct hpast *q_get(const struct hq *q, size_t i)
{
	return q->ev[(q->head + HIDS_CTX_MAX - 1 - i) % HIDS_CTX_MAX];
}

struct hids_state *hids_state_new(const struct hids_ruleset *rs)
{
	struct hids_state *st = calloc(1, sizeof(*st));
	if (!st)
		return NULL;
	st->rs = rs;
	size_t n = rs->rule_cnt ? rs->rule_cnt : 1;
	st->fired = calloc(n, sizeof(*st->fired));
	st->ignored_at = calloc(n, sizeof(*st->ignored_at));
	st->diff_hash = calloc(n, sizeof(*st->diff_hash));
	st->diff_vm = calloc(DIFF_VM_SLOTS, sizeof(*st->diff_vm));
	st->scan = hpat_scan_new(); /* NULL: patterns read the line themselves */
	st->sid_q = calloc(rs->sid_lists + 1, sizeof(*st->sid_q));
	st->grp_q = calloc(rs->group_lists + 1, sizeof(*st->grp_q));
	if (!st->fired || !st->ignored_at || !st->diff_hash || !st->diff_vm || !st->sid_q || !st->grp_q) {
		hids_state_free(st);
		return NULL;
	}
	return st;
}

void hids_state_free(struct hids_state *st)
{
	if (!st)
		return;
	for (size_t i = 0; st->sid_q && i < st->rs->sid_lists; i++)
		q_free(&st->sid_q[i]);
	for (size_t i = 0; st->grp_q && i < st->rs->group_lists; i++)
		q_free(&st->grp_q[i]);
	free(st->sid_q);
	free(st->grp_q);
	free(st->fired);
	free(st->ignored_at);
	free(st->diff_hash);
	free(st->diff_vm);
	free(st->acm);
	hpat_scan_free(st->scan);
	free(st->fts.h);
	free(st->ckignore.h);
	free(st);
}

/* A set of 64-bit hashes (first time seen, ignored keys), bounded. */
static bool set_add(struct hset *s, uint64_t h)
{
	if (!h)
		h = 1;
	if (s->cnt * 2 >= s->cap) {
		if (s->cap >= HIDS_FTS_MAX * 2) {
			memset(s->h, 0, s->cap * sizeof(*s->h)); /* full: forget, loudly new again */
			s->cnt = 0;
		} else {
			size_t nc = s->cap ? s->cap * 2 : 1024;
			uint64_t *n = calloc(nc, sizeof(*n));
			if (!n)
				return false;
			for (size_t i = 0; i < s->cap; i++)
				if (s->h[i])
					for (size_t k = s->h[i] & (nc - 1);; k = (k + 1) & (nc - 1))
						if (!n[k]) {
							n[k] = s->h[i];
							break;
						}
			free(s->h);
			s->h = n;
			s->cap = nc;
		}
	}
	for (size_t k = h & (s->cap - 1);; k = (k + 1) & (s->cap - 1)) {
		if (s->h[k] == h)
			return false;
		if (!s->h[k]) {
			s->h[k] = h;
			s->cnt++;
			return true;
		}
	}
}

static bool set_has(const struct hset *s, uint64_t h)
{
	if (!h)
		h = 1;
	if (!s->cap)
		return false;
	for (size_t k = h & (s->cap - 1);; k = (k + 1) & (s->cap - 1)) {
		if (s->h[k] == h)
			return true;
		if (!s->h[k])
			return false;
	}
}

/* ---- matching ------------------------------------------------------ */

struct eval {
	const struct hids_ruleset *rs;
	struct hids_state *st;
	struct hids_event *ev;
	const char *user;          /* dstuser, else srcuser */
	struct hpast *matched_past; /* the newest counted event of a firing context rule */
	int depth;
	int minute, wday;          /* the event's local time, once a rule asks (-1 before) */
};

/* <time> and <weekday> against the event's local time: when it was
 * received (Wazuh's lf->time), an agent's stamp, or logtest's --now. */
static bool clock_ok(struct eval *x, const struct hrule *r)
{
	if (x->minute < 0) {
		time_t t = (time_t)(x->ev->time_us / 1000000u);
		struct tm tm;
		if (!localtime_r(&t, &tm))
			memset(&tm, 0, sizeof(tm));
		x->minute = tm.tm_hour * 60 + tm.tm_min;
		x->wday = tm.tm_wday;
	}
	if (r->has_time && (x->minute >= r->time_lo && x->minute <= r->time_hi) != r->time_in)
		return false;
	if (r->wdays && !!(r->wdays & (1u << x->wday)) == r->wday_neg)
		return false;
	return true;
}

static const char *field_value(const struct hids_event *ev, const char *name)
{
	int f = hids_field_static(name);
	if (!strcmp(name, "user"))
		return ev->f[HF_DSTUSER];
	if (f >= 0)
		return ev->f[f];
	if (!strcmp(name, "location"))
		return ev->location;
	if (!strcmp(name, "name"))
		return ev->decoder ? ev->decoder->name : NULL;
	if (!strcmp(name, "hostname"))
		return ev->hostname;
	if (!strcmp(name, "program_name"))
		return ev->program_name;
	return hids_event_dyn(ev, name);
}

static bool pat_ok(const struct hpat *p, const char *v)
{
	if (p->type == HP_NONE)
		return true;
	if (!v)
		return false;
	return hpat_exec(p, v, NULL) != p->negate;
}

static uint64_t key_hash(const struct hids_event *ev, char *const *names, size_t n, const char *pre)
{
	/* per VM: one VM's first time is not another's */
	uint64_t h = hash_bytes(pre, strlen(pre), 0x9e3779b97f4a7c15ULL);
	if (ev->agent)
		h = hash_bytes(ev->agent, strlen(ev->agent), h);
	for (size_t i = 0; i < n; i++) {
		const char *v = field_value(ev, names[i]);
		h = hash_bytes(v ? v : "", v ? strlen(v) : 0, h ^ (i + 1));
	}
	return h;
}

static const char *past_value(const struct hpast *p, int b)
{
	if (b < HF_STATIC_CNT)
		return p->f[b];
	if (b == SD_LOCATION)
		return p->location;
	return NULL;
}

static const char *cur_value(const struct hids_event *ev, int b)
{
	if (b < HF_STATIC_CNT)
		return ev->f[b];
	if (b == SD_LOCATION)
		return ev->location;
	return NULL;
}

static const char *past_dyn(const struct hpast *p, const char *name)
{
	for (size_t i = 0; i < p->dyn_cnt; i++)
		if (!strcasecmp(p->dyn[i].name, name))
			return p->dyn[i].value;
	return NULL;
}

/* Wazuh's search of the last events for a context rule (see the file
 * comment): newest first, within the timeframe. */
static bool context_match(struct eval *x, const struct hrule *r)
{
	const struct hq *q = NULL;
	if (r->if_matched_sid) {
		const struct hrule *t = rule_by_id(x->rs, r->if_matched_sid);
		if (!t || t->sid_list < 0)
			return false;
		q = &x->st->sid_q[t->sid_list];
	} else if (r->group_list >= 0) {
		q = &x->st->grp_q[r->group_list];
	} else {
		return false;
	}
	struct hids_event *ev = x->ev;
	int need = x->rs->ossec ? r->frequency : r->frequency - 2;
	if (need < 0)
		need = 0;
	int count = 0;
	uint64_t window = (uint64_t)r->timeframe * 1000000u;
	/* the fields compared, and the event's values, once */
	int bits[SD_CNT];
	const char *cvs[SD_CNT];
	int nb = 0;
	for (int b = 0; b < SD_CNT; b++)
		if ((r->same | r->diff) & (1u << b)) {
			bits[nb] = b;
			cvs[nb++] = cur_value(ev, b);
		}
	const char *agent = ev->agent ? ev->agent : "";
	for (size_t i = 0; i < q->cnt; i++) {
		struct hpast *p = q_get(q, i);
		if (ev->time_us > p->t && ev->time_us - p->t > window)
			return false;
		if (!r->global_frequency && strcmp(agent, p->agent ? p->agent : ""))
			continue;
		bool skip = false;
		for (int k = 0; k < nb && !skip; k++) {
			int b = bits[k];
			const char *cv = cvs[k], *pv = past_value(p, b);
			/* a location is a VM's (Wazuh's "(agent) ip->path"): the
			 * same path in two VMs is two locations */
			bool eq = cv && pv && !strcmp(cv, pv) &&
				  (b != SD_LOCATION || !strcmp(agent, p->agent ? p->agent : ""));
			if (r->same & (1u << b))
				skip = !eq;
			if (!skip && (r->diff & (1u << b)))
				skip = eq;
		}
		if (r->same_field_cnt && !skip) {
			if (!ev->dyn_cnt || !p->dyn_cnt)
				skip = true;
			for (size_t k = 0; !skip && k < r->same_field_cnt; k++) {
				const char *cv = hids_event_dyn(ev, r->same_field[k]);
				const char *pv = past_dyn(p, r->same_field[k]);
				skip = !cv || !pv || strcmp(cv, pv);
			}
		}
		if (r->diff_field_cnt && !skip) {
			if (!ev->dyn_cnt && !p->dyn_cnt)
				skip = true;
			for (size_t k = 0; !skip && k < r->diff_field_cnt; k++) {
				const char *cv = hids_event_dyn(ev, r->diff_field[k]);
				const char *pv = past_dyn(p, r->diff_field[k]);
				skip = cv && pv && !strcmp(cv, pv);
			}
		}
		if (skip)
			continue;
		if (p->matched >= r->level)
			return false;
		count++;
		if (count > need) {
			x->matched_past = need > 0 ? p : NULL;
			return true;
		}
	}
	return false;
}

static bool compiled_rule(int which, const struct hids_event *ev)
{
	switch (which) {
	case 1: {
		const char *u = ev->f[HF_URL];
		return u && (!strcmp(u, "/") || !strchr(u, '?'));
	}
	case 2: {
		static const char *const nets[] = { "66.249.", "72.14.", "209.85.", "65.55.", "207.46.",
						    "74.6.", "72.30.", "67.195." };
		for (size_t i = 0; i < ARRAY_SIZE(nets); i++)
			if (!strncmp(ev->log, nets[i], strlen(nets[i])))
				return true;
		return false;
	}
	}
	return false;
}

static bool list_ok(const struct hrlist *l, const struct hids_event *ev)
{
	const char *v;
	if (l->field == -2)
		v = ev->program_name;
	else if (l->field == -3)
		v = ev->hostname;
	else if (l->field == HF_SRCUSER)
		v = ev->f[HF_SRCUSER] ? ev->f[HF_SRCUSER] : ev->f[HF_DSTUSER];
	else if (l->field >= 0)
		v = ev->f[l->field];
	else
		v = hids_event_dyn(ev, l->dyn);
	if (!v)
		return false;
	const char *val;
	switch (l->lookup) {
	case LK_MATCH_KEY: return hids_list_get(l->list, v) != NULL;
	case LK_NOT_MATCH_KEY: return hids_list_get(l->list, v) == NULL;
	case LK_MATCH_KEY_VALUE:
		val = hids_list_get(l->list, v);
		return val && (l->check.type == HP_NONE || hpat_exec(&l->check, val, NULL));
	case LK_ADDRESS_MATCH_KEY:
	case LK_NOT_ADDRESS_MATCH_KEY:
	case LK_ADDRESS_MATCH_KEY_VALUE: {
		char buf[64];
		str_lcpy(buf, v, sizeof(buf));
		val = hids_list_get(l->list, buf);
		for (size_t n = strlen(buf); !val && n > 1; n--) {
			if (buf[n - 1] != '.')
				continue;
			buf[n] = 0;
			val = hids_list_get(l->list, buf);
		}
		if (l->lookup == LK_NOT_ADDRESS_MATCH_KEY)
			return !val;
		if (l->lookup == LK_ADDRESS_MATCH_KEY_VALUE)
			return val && (l->check.type == HP_NONE || hpat_exec(&l->check, val, NULL));
		return val != NULL;
	}
	}
	return false;
}

/* Every condition of r, in Wazuh's order. */
static bool rule_ok(struct eval *x, const struct hrule *r)
{
	struct hids_event *ev = x->ev;
	if (r->decoded_as >= 0 && (!ev->decoder || (int)ev->decoder->id != r->decoded_as))
		return false;
	if (!pat_ok(&r->m[RM_PROGRAM_NAME], ev->program_name) || !pat_ok(&r->m[RM_ID], ev->f[HF_ID]) ||
	    !pat_ok(&r->m[RM_SYSTEM_NAME], ev->f[HF_SYSTEM_NAME]) ||
	    !pat_ok(&r->m[RM_PROTOCOL], ev->f[HF_PROTOCOL]) || !pat_ok(&r->m[RM_MATCH], ev->log) ||
	    !pat_ok(&r->m[RM_REGEX], ev->log) || !pat_ok(&r->m[RM_ACTION], ev->f[HF_ACTION]) ||
	    !pat_ok(&r->m[RM_URL], ev->f[HF_URL]) || !pat_ok(&r->m[RM_LOCATION], ev->location))
		return false;
	for (size_t i = 0; i < r->field_cnt; i++)
		if (!pat_ok(&r->field[i].pat, hids_event_dyn_k(ev, r->field[i].name, r->field[i].key)))
			return false;
	if (r->srcip_cnt && (!ev->f[HF_SRCIP] ||
			     ip_list(r->srcip, r->srcip_cnt, ev->f[HF_SRCIP]) == r->srcip_neg))
		return false;
	if (r->dstip_cnt && (!ev->f[HF_DSTIP] ||
			     ip_list(r->dstip, r->dstip_cnt, ev->f[HF_DSTIP]) == r->dstip_neg))
		return false;
	if (!pat_ok(&r->m[RM_SRCPORT], ev->f[HF_SRCPORT]) || !pat_ok(&r->m[RM_DSTPORT], ev->f[HF_DSTPORT]))
		return false;
	if (r->compiled && !compiled_rule(r->compiled, ev))
		return false;
	if (!pat_ok(&r->m[RM_USER], x->user) || r->m[RM_SRCGEOIP].type || r->m[RM_DSTGEOIP].type)
		return false;
	if (r->maxsize && strlen(ev->log) < r->maxsize)
		return false;
	if ((r->has_time || r->wdays) && !clock_ok(x, r))
		return false;
	if (!pat_ok(&r->m[RM_DATA], ev->f[HF_DATA]) || !pat_ok(&r->m[RM_EXTRA_DATA], ev->f[HF_EXTRA_DATA]) ||
	    !pat_ok(&r->m[RM_HOSTNAME], ev->hostname) || !pat_ok(&r->m[RM_STATUS], ev->f[HF_STATUS]))
		return false;
	if (r->check_diff) {
		/* alerts when the output differs from the last one seen */
		uint64_t h = hash_bytes(ev->log, strlen(ev->log), 7) | 1;
		uint64_t *slot = &x->st->diff_hash[r->idx];
		if (ev->agent) {
			uint64_t key = hash_bytes(ev->agent, strlen(ev->agent), r->idx + 1) | 1;
			size_t k = key % DIFF_VM_SLOTS;
			if (x->st->diff_vm[k].key != key) {
				x->st->diff_vm[k].key = key;
				x->st->diff_vm[k].h = 0;
			}
			slot = &x->st->diff_vm[k].h;
		}
		bool first = !*slot, same = *slot == h;
		*slot = h;
		if (first || same)
			return false;
	}
	if (r->if_fts) {
		const struct hdecoder *d = ev->decoder;
		if (!d || !d->fts_cnt)
			return false;
		uint64_t h = key_hash(ev, d->fts, d->fts_cnt, d->name);
		if (!set_add(&x->st->fts, h))
			return false;
	}
	for (size_t i = 0; i < r->list_cnt; i++)
		if (!list_ok(&r->list[i], ev))
			return false;
	if (r->has_context && !r->check_diff && !context_match(x, r))
		return false;
	return true;
}

static const struct hrule *eval_node(struct eval *x, const struct hnode *n)
{
	const struct hrule *r = n->r;
	if (!rule_ok(x, r)) {
		if (x->ev->trace)
			x->ev->trace(x->ev->trace_ctx, r, false);
		return NULL;
	}
	if (x->ev->trace)
		x->ev->trace(x->ev->trace_ctx, r, true);
	if (x->depth < (int)ARRAY_SIZE(x->ev->chain))
		x->ev->chain[x->depth] = r->id;
	if (x->depth < HIDS_TREE_DEPTH) {
		x->depth++;
		if (n->indexed) {
			/* the children naming the event's decoder, and those naming
			 * none: the rest would fail their decoded_as */
			const struct hdec_children *dc = NULL;
			if (x->ev->decoder && n->by_dec_cnt) {
				struct hdec_children key = { (int)x->ev->decoder->id, NULL, 0 };
				dc = bsearch(&key, n->by_dec, n->by_dec_cnt, sizeof(key), cmp_dec);
			}
			size_t ia = 0, ib = 0, na = dc ? dc->cnt : 0;
			for (;;) {
				size_t i;
				if (ia < na && (ib >= n->other_cnt || dc->pos[ia] < n->other[ib]))
					i = dc->pos[ia++];
				else if (ib < n->other_cnt)
					i = n->other[ib++];
				else
					break;
				const struct hrule *c = eval_node(x, n->child[i]);
				if (c) {
					x->depth--;
					return c;
				}
			}
		} else {
			for (size_t i = 0; i < n->cnt; i++) {
				const struct hrule *c = eval_node(x, n->child[i]);
				if (c) {
					x->depth--;
					return c;
				}
			}
		}
		x->depth--;
	}
	if (r->noalert)
		return NULL;
	x->ev->chain_len = MIN((size_t)x->depth + 1, ARRAY_SIZE(x->ev->chain));
	return r;
}

static struct hpast *past_new(const struct hids_event *ev)
{
	size_t need = strlen(ev->full_log) + 1 + strlen(ev->location) + 1 + (ev->agent ? strlen(ev->agent) + 1 : 0);
	for (int i = 0; i < HF_STATIC_CNT; i++)
		if (ev->f[i])
			need += strlen(ev->f[i]) + 1;
	for (size_t i = 0; i < ev->dyn_cnt; i++)
		need += strlen(ev->dyn[i].name) + strlen(ev->dyn[i].value) + 2;
	need += ev->dyn_cnt * sizeof(struct hids_dyn) + sizeof(struct hids_dyn);
	struct hpast *p = calloc(1, sizeof(*p) + need);
	if (!p)
		return NULL;
	p->size = sizeof(*p) + need;
	char *d = p->data;
	p->dyn = (struct hids_dyn *)(void *)d;
	d += ev->dyn_cnt * sizeof(struct hids_dyn) + sizeof(struct hids_dyn);
#define PUT(dst, s)                            \
	do {                                   \
		size_t l_ = strlen(s) + 1;     \
		memcpy(d, s, l_);              \
		(dst) = d;                     \
		d += l_;                       \
	} while (0)
	PUT(p->full_log, ev->full_log);
	PUT(p->location, ev->location);
	if (ev->agent)
		PUT(p->agent, ev->agent);
	for (int i = 0; i < HF_STATIC_CNT; i++)
		if (ev->f[i])
			PUT(p->f[i], ev->f[i]);
	for (size_t i = 0; i < ev->dyn_cnt; i++) {
		PUT(p->dyn[i].name, ev->dyn[i].name);
		PUT(p->dyn[i].value, ev->dyn[i].value);
	}
#undef PUT
	p->dyn_cnt = ev->dyn_cnt;
	p->t = ev->time_us;
	return p;
}

/* The accumulator's step (Wazuh's Accumulate): the event takes the
 * pooled values of the fields it lacks, then the pool keeps the event's
 * values of the fields it lacks.  0, or V_ENOMEM. */
static int accumulate(struct hids_state *st, struct hids_event *ev)
{
	const char *id = ev->f[HF_ID];
	if (!id || !ev->decoder)
		return 0;
	if (!st->acm && !(st->acm = calloc(ACM_SLOTS, sizeof(*st->acm))))
		return V_ENOMEM;
	char key[ACM_MAXKEY];
	int kl = snprintf(key, sizeof(key), "%s\x1f%s %s %s", ev->agent ? ev->agent : "",
			  ev->hostname ? ev->hostname : "", ev->decoder->name, id);
	if (kl < 0 || (size_t)kl >= sizeof(key))
		return 0;
	uint64_t h = hash_bytes(key, (size_t)kl, 11) | 1;
	struct acm *a = &st->acm[h % ACM_SLOTS];
	if (a->h != h || strcmp(a->key, key) ||
	    (ev->time_us > a->t && ev->time_us - a->t > ACM_EXPIRE_US)) {
		memset(a, 0, sizeof(*a));
		a->h = h;
		memcpy(a->key, key, (size_t)kl + 1);
	} else {
		for (size_t i = 0; i < ACM_FIELDS; i++) {
			const char **f = &ev->f[acm_fields[i]];
			if ((!*f || !**f) && a->v[i][0] && !(*f = hids_event_strndup(ev, a->v[i], strlen(a->v[i]))))
				return V_ENOMEM;
		}
	}
	a->t = ev->time_us;
	for (size_t i = 0; i < ACM_FIELDS; i++) {
		const char *v = ev->f[acm_fields[i]];
		if (!a->v[i][0] && v && *v && strlen(v) < ACM_MAXELM)
			memcpy(a->v[i], v, strlen(v) + 1);
	}
	return 0;
}

int hids_analyze(const struct hids_ruleset *rs, struct hids_state *st, struct hids_event *ev,
		 const char *host)
{
	if (!ev->time_us)
		ev->time_us = now_wall();
	hids_predecode(ev);
	if (!ev->hostname)
		ev->hostname = host;
	hpat_subject(ev->log, rs->lits, st->scan);
	hids_decode(rs, ev);
	if (ev->decoder && ev->decoder->accumulate && accumulate(st, ev) < 0)
		return V_ENOMEM;
	struct eval x = { rs, st, ev, NULL, NULL, 0, -1, 0 };
	x.user = ev->f[HF_DSTUSER] ? ev->f[HF_DSTUSER] : ev->f[HF_SRCUSER];
	int cat = ev->decoder ? ev->decoder->type : HC_SYSLOG;
	const struct hrule *r = NULL;
	for (size_t i = 0; i < rs->top_cnt && !r; i++) {
		if (rs->top[i]->r->category != cat)
			continue;
		r = eval_node(&x, rs->top[i]);
	}
	ev->rule = r;
	ev->alert = false;
	if (!r) {
		hpat_subject(NULL, NULL, NULL);
		return 0;
	}
	st->fired[r->idx]++;
	ev->firedtimes = st->fired[r->idx];
	hpat_subject(NULL, NULL, NULL);
	if (r->level == 0)
		return 0;
	/* ignore="N": once fired, quiet for N seconds */
	if (r->ignore_time) {
		uint64_t *at = &st->ignored_at[r->idx];
		if (*at && ev->time_us - *at < (uint64_t)r->ignore_time * 1000000u)
			return 0;
		*at = ev->time_us;
	}
	if (r->ckignore_f_cnt &&
	    set_has(&st->ckignore, key_hash(ev, r->ckignore_f, r->ckignore_f_cnt, "ign")))
		return 0;
	if (r->ignore_f_cnt)
		set_add(&st->ckignore, key_hash(ev, r->ignore_f, r->ignore_f_cnt, "ign"));
	ev->alert = true;
	/* remember it for the context rules that look back at r */
	int matched = 0;
	if (r->has_context) {
		matched = r->level;
		if (x.matched_past)
			x.matched_past->matched = r->level;
	}
	if (r->sid_list < 0 && !r->feeds_cnt)
		return 0;
	struct hpast *p = past_new(ev);
	if (!p)
		return V_ENOMEM;
	p->matched = matched;
	if (r->sid_list >= 0)
		q_push(&st->sid_q[r->sid_list], p);
	else
		for (size_t i = 0; i < r->feeds_cnt; i++)
			q_push(&st->grp_q[r->feeds[i]], p);
	if (!p->refs)
		free(p);
	return 0;
}

/* ---- what the rule says -------------------------------------------- */

unsigned hids_rule_id(const struct hrule *r)
{
	return r->id;
}

int hids_rule_level(const struct hrule *r)
{
	return r->level;
}

const char *hids_rule_description(const struct hrule *r)
{
	return r->description;
}

void hids_rule_groups(const struct hrule *r, void (*fn)(void *ctx, const char *group), void *ctx)
{
	const char *p = r->groups;
	while (p && *p) {
		const char *c = strchr(p, ',');
		size_t n = c ? (size_t)(c - p) : strlen(p);
		if (n) {
			char buf[256];
			size_t k = n < sizeof(buf) - 1 ? n : sizeof(buf) - 1;
			memcpy(buf, p, k);
			buf[k] = 0;
			fn(ctx, buf);
		}
		if (!c)
			break;
		p = c + 1;
	}
}
