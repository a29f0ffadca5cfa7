/*
 * addr.c - address and port expressions of the rule header, as Suricata
 * writes them: any, single values, CIDR (and dotted netmasks), port ranges
 * (a:b, :b, a:), lists in [...], negation with !, and $VARIABLES from the
 * configuration's vars (with Suricata's defaults for unset ones).
 *
 * An expression is flattened to a list of items, each carrying whether it
 * ends up negated (negations nest by XOR).  A value matches when it is in
 * some positive item (or there are none) and in no negative item.  Nesting
 * and variable expansion are bounded (EXPR_MAX_DEPTH, EXPR_MAX_ITEMS).
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "config.h"
#include "rule.h"
#include "util.h"

#define EXPR_MAX_DEPTH 16
#define EXPR_MAX_ITEMS 4096

static const char *const default_addr_vars[][2] = {
	{ "HOME_NET", "[192.168.0.0/16,10.0.0.0/8,172.16.0.0/12]" },
	{ "EXTERNAL_NET", "!$HOME_NET" },
	{ "HTTP_SERVERS", "$HOME_NET" }, { "SMTP_SERVERS", "$HOME_NET" },
	{ "SQL_SERVERS", "$HOME_NET" }, { "DNS_SERVERS", "$HOME_NET" },
	{ "TELNET_SERVERS", "$HOME_NET" }, { "AIM_SERVERS", "$EXTERNAL_NET" },
	{ "DC_SERVERS", "$HOME_NET" }, { "DNP3_SERVER", "$HOME_NET" },
	{ "DNP3_CLIENT", "$HOME_NET" }, { "MODBUS_CLIENT", "$HOME_NET" },
	{ "MODBUS_SERVER", "$HOME_NET" }, { "ENIP_CLIENT", "$HOME_NET" },
	{ "ENIP_SERVER", "$HOME_NET" },
};

static const char *const default_port_vars[][2] = {
	{ "HTTP_PORTS", "80" }, { "SHELLCODE_PORTS", "!80" }, { "ORACLE_PORTS", "1521" },
	{ "SSH_PORTS", "22" }, { "DNP3_PORTS", "20000" }, { "MODBUS_PORTS", "502" },
	{ "FILE_DATA_PORTS", "[$HTTP_PORTS,110,143]" }, { "FTP_PORTS", "21" },
	{ "GENEVE_PORTS", "6081" }, { "VXLAN_PORTS", "4789" }, { "TEREDO_PORTS", "3544" },
};

static const char *var_lookup(const struct strlist *cfg, const char *const (*defs)[2],
			      size_t ndefs, const char *name)
{
	const char *v = cfg ? config_map_get(cfg, name) : NULL;
	if (v)
		return v;
	for (size_t i = 0; i < ndefs; i++)
		if (!strcmp(defs[i][0], name))
			return defs[i][1];
	return NULL;
}

struct expr {
	bool is_port;
	const struct var_ctx *vars;
	char *err;
	size_t errlen;
	void *items;
	uint32_t cnt, cap;
	bool any_pos;   /* a positive "any" was seen */
};

static int expr_add(struct expr *x, const void *item, size_t sz)
{
	if (x->cnt >= EXPR_MAX_ITEMS) {
		snprintf(x->err, x->errlen, "too many addresses or ports");
		return -1;
	}
	if (x->cnt == x->cap) {
		uint32_t cap = x->cap ? x->cap * 2 : 8;
		void *n = v_realloc(x->items, cap * sz);
		if (!n) {
			snprintf(x->err, x->errlen, "out of memory");
			return -1;
		}
		x->items = n;
		x->cap = cap;
	}
	memcpy((char *)x->items + x->cnt * sz, item, sz);
	x->cnt++;
	return 0;
}

static int parse_one_addr(struct expr *x, const char *tok, bool neg)
{
	struct addr_item it = { 0 };
	char buf[128];
	str_lcpy(buf, tok, sizeof(buf));
	char *slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	if (inet_pton(AF_INET, buf, it.a) == 1) {
		it.ver = 4;
		it.plen = 32;
	} else if (inet_pton(AF_INET6, buf, it.a) == 1) {
		it.ver = 6;
		it.plen = 128;
	} else {
		snprintf(x->err, x->errlen, "bad address \"%s\"", tok);
		return -1;
	}
	if (slash) {
		uint64_t n;
		uint8_t mask[4];
		if (parse_uint(slash, it.ver == 4 ? 32 : 128, &n) == 0) {
			it.plen = (uint8_t)n;
		} else if (it.ver == 4 && inet_pton(AF_INET, slash, mask) == 1) {
			uint32_t m = (uint32_t)mask[0] << 24 | (uint32_t)mask[1] << 16 |
				     (uint32_t)mask[2] << 8 | mask[3];
			it.plen = (uint8_t)__builtin_popcount(m);
		} else {
			snprintf(x->err, x->errlen, "bad prefix length in \"%s\"", tok);
			return -1;
		}
	}
	it.neg = neg;
	return expr_add(x, &it, sizeof(it));
}

static int parse_one_port(struct expr *x, const char *tok, bool neg)
{
	struct port_item it = { 0, 65535, neg };
	const char *colon = strchr(tok, ':');
	uint64_t lo = 0, hi = 65535;
	char a[16] = "", b[16] = "";
	if (colon) {
		snprintf(a, sizeof(a), "%.*s", (int)(colon - tok), tok);
		snprintf(b, sizeof(b), "%s", colon + 1);
		if ((a[0] && parse_uint(a, 65535, &lo) < 0) || (b[0] && parse_uint(b, 65535, &hi) < 0) ||
		    lo > hi) {
			snprintf(x->err, x->errlen, "bad port range \"%s\"", tok);
			return -1;
		}
	} else {
		if (parse_uint(tok, 65535, &lo) < 0) {
			snprintf(x->err, x->errlen, "bad port \"%s\"", tok);
			return -1;
		}
		hi = lo;
	}
	it.lo = (uint16_t)lo;
	it.hi = (uint16_t)hi;
	return expr_add(x, &it, sizeof(it));
}

static int expr_parse(struct expr *x, const char *s, bool neg, int depth);

/* Parses a list body "a, b, [c, d]" (without the outer brackets). */
static int expr_list(struct expr *x, const char *s, size_t n, bool neg, int depth)
{
	size_t i = 0;
	while (i < n) {
		while (i < n && (isspace((unsigned char)s[i]) || s[i] == ','))
			i++;
		if (i >= n)
			break;
		size_t start = i;
		int lvl = 0;
		for (; i < n; i++) {
			if (s[i] == '[')
				lvl++;
			else if (s[i] == ']')
				lvl--;
			else if (s[i] == ',' && lvl == 0)
				break;
		}
		if (lvl != 0) {
			snprintf(x->err, x->errlen, "unbalanced brackets");
			return -1;
		}
		char tok[1024];
		size_t len = i - start;
		while (len && isspace((unsigned char)s[start + len - 1]))
			len--;
		if (len >= sizeof(tok)) {
			snprintf(x->err, x->errlen, "list element too long");
			return -1;
		}
		memcpy(tok, s + start, len);
		tok[len] = '\0';
		if (expr_parse(x, tok, neg, depth + 1) < 0)
			return -1;
	}
	return 0;
}

static int expr_parse(struct expr *x, const char *s, bool neg, int depth)
{
	if (depth > EXPR_MAX_DEPTH) {
		snprintf(x->err, x->errlen, "nested too deeply (variable loop?)");
		return -1;
	}
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (!n) {
		snprintf(x->err, x->errlen, "empty address or port");
		return -1;
	}
	if (s[0] == '!')
		return expr_parse(x, s + 1, !neg, depth + 1);
	if (s[0] == '[') {
		if (s[n - 1] != ']') {
			snprintf(x->err, x->errlen, "unbalanced brackets in \"%.*s\"", (int)n, s);
			return -1;
		}
		return expr_list(x, s + 1, n - 2, neg, depth);
	}
	if (s[0] == '$') {
		char name[128];
		snprintf(name, sizeof(name), "%.*s", (int)(n - 1), s + 1);
		const char *v = x->is_port
			? var_lookup(x->vars ? x->vars->port : NULL, default_port_vars,
				     ARRAY_SIZE(default_port_vars), name)
			: var_lookup(x->vars ? x->vars->addr : NULL, default_addr_vars,
				     ARRAY_SIZE(default_addr_vars), name);
		if (!v) {
			snprintf(x->err, x->errlen, "unknown variable $%s", name);
			return -1;
		}
		return expr_parse(x, v, neg, depth + 1);
	}
	char tok[256];
	if (n >= sizeof(tok)) {
		snprintf(x->err, x->errlen, "address or port too long");
		return -1;
	}
	memcpy(tok, s, n);
	tok[n] = '\0';
	if (!strcmp(tok, "any")) {
		if (neg) {
			snprintf(x->err, x->errlen, "\"!any\" matches nothing");
			return -1;
		}
		x->any_pos = true;
		return 0;
	}
	return x->is_port ? parse_one_port(x, tok, neg) : parse_one_addr(x, tok, neg);
}

int addr_parse(const char *s, struct addr_set *out, const struct var_ctx *vars, char *err,
	       size_t errlen)
{
	struct expr x = { .is_port = false, .vars = vars, .err = err, .errlen = errlen };
	memset(out, 0, sizeof(*out));
	if (expr_parse(&x, s, false, 0) < 0) {
		v_free(x.items);
		return -1;
	}
	out->v = x.items;
	out->cnt = x.cnt;
	/* "any" plus only negations: positives are irrelevant */
	out->any = x.any_pos;
	return 0;
}

int port_parse(const char *s, struct port_set *out, const struct var_ctx *vars, char *err,
	       size_t errlen)
{
	struct expr x = { .is_port = true, .vars = vars, .err = err, .errlen = errlen };
	memset(out, 0, sizeof(*out));
	if (expr_parse(&x, s, false, 0) < 0) {
		v_free(x.items);
		return -1;
	}
	out->v = x.items;
	out->cnt = x.cnt;
	out->any = x.any_pos;
	return 0;
}

static bool prefix_match(const struct addr_item *it, const uint8_t *a)
{
	unsigned full = it->plen / 8, rem = it->plen % 8;
	if (memcmp(it->a, a, full))
		return false;
	if (rem) {
		uint8_t m = (uint8_t)(0xff << (8 - rem));
		if ((it->a[full] & m) != (a[full] & m))
			return false;
	}
	return true;
}

static uint32_t be32(const uint8_t *a)
{
	return (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
}

static int range_cmp(const void *x, const void *y)
{
	const struct addr_range4 *a = x, *b = y;
	return a->lo < b->lo ? -1 : a->lo > b->lo;
}

int addr_set_prepare(struct addr_set *s)
{
	if (s->r4 || s->cnt < ADDR_PREPARE_MIN)
		return 0;
	uint32_t n4 = 0;
	for (uint32_t i = 0; i < s->cnt; i++) {
		if (s->v[i].neg)
			return 0;
		n4 += s->v[i].ver == 4;
	}
	struct addr_range4 *r = v_malloc((n4 ? n4 : 1) * sizeof(*r));
	if (!r)
		return -1;
	uint32_t k = 0;
	for (uint32_t i = 0; i < s->cnt; i++) {
		const struct addr_item *it = &s->v[i];
		if (it->ver != 4)
			continue;
		uint32_t plen = it->plen > 32 ? 32 : it->plen;
		uint32_t mask = plen ? 0xffffffffu << (32 - plen) : 0;
		r[k].lo = be32(it->a) & mask;
		r[k].hi = r[k].lo | ~mask;
		k++;
	}
	qsort(r, k, sizeof(*r), range_cmp);
	uint32_t m = 0; /* merge overlapping and adjacent intervals */
	for (uint32_t i = 0; i < k; i++) {
		if (m && (r[i].lo <= r[m - 1].hi || r[i].lo - 1 == r[m - 1].hi)) {
			if (r[i].hi > r[m - 1].hi)
				r[m - 1].hi = r[i].hi;
		} else {
			r[m++] = r[i];
		}
	}
	s->r4 = r;
	s->nr4 = m;
	return 0;
}

bool addr_match(const struct addr_set *s, uint8_t ver, const uint8_t *a)
{
	if (!s->cnt)
		return true; /* any (or nothing written): no item can say no */
	if (s->r4 && ver == 4) {
		/* all items positive: in one of the intervals (or the set also
		 * says any) */
		uint32_t x = be32(a), lo = 0, hi = s->nr4;
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;
			if (s->r4[mid].hi < x)
				lo = mid + 1;
			else
				hi = mid;
		}
		return s->any || (lo < s->nr4 && s->r4[lo].lo <= x);
	}
	bool have_pos = false, pos = false;
	for (uint32_t i = 0; i < s->cnt; i++) {
		const struct addr_item *it = &s->v[i];
		bool m = it->ver == ver && prefix_match(it, a);
		if (it->neg) {
			if (m)
				return false;
		} else {
			have_pos = true;
			pos |= m;
		}
	}
	return s->any || !have_pos || pos;
}

bool port_match(const struct port_set *s, uint16_t port)
{
	if (!s->cnt)
		return true;
	bool have_pos = false, pos = false;
	for (uint32_t i = 0; i < s->cnt; i++) {
		const struct port_item *it = &s->v[i];
		bool m = port >= it->lo && port <= it->hi;
		if (it->neg) {
			if (m)
				return false;
		} else {
			have_pos = true;
			pos |= m;
		}
	}
	return s->any || !have_pos || pos;
}

static bool item_contains(const struct addr_item *b, const struct addr_item *a)
{
	return b->ver == a->ver && b->plen <= a->plen && prefix_match(b, a->a);
}

bool addr_set_can(const struct addr_set *s, const struct addr_set *home, bool in)
{
	bool have_pos = false, have_neg = false;
	for (uint32_t i = 0; i < s->cnt; i++) {
		have_pos |= !s->v[i].neg;
		have_neg |= s->v[i].neg;
	}
	bool bounded = !s->any && have_pos; /* only the positive items can match */
	if (in) {
		if (bounded) {
			/* prefixes nest or are disjoint: a positive item shares
			 * addresses with home only if one contains the other */
			bool meet = false;
			for (uint32_t i = 0; i < s->cnt && !meet; i++)
				for (uint32_t j = 0; j < home->cnt && !meet; j++)
					meet = !s->v[i].neg && (item_contains(&s->v[i], &home->v[j]) ||
								 item_contains(&home->v[j], &s->v[i]));
			if (!meet)
				return false;
		}
		if (have_neg) {
			/* every home prefix inside a negated item: no home address left */
			bool covered = true;
			for (uint32_t j = 0; j < home->cnt && covered; j++) {
				bool c = false;
				for (uint32_t i = 0; i < s->cnt && !c; i++)
					c = s->v[i].neg && item_contains(&s->v[i], &home->v[j]);
				covered = c;
			}
			if (covered)
				return false;
		}
		return true;
	}
	if (bounded) {
		/* every positive item inside home: no outside address matches */
		bool inside = true;
		for (uint32_t i = 0; i < s->cnt && inside; i++) {
			if (s->v[i].neg)
				continue;
			bool c = false;
			for (uint32_t j = 0; j < home->cnt && !c; j++)
				c = item_contains(&home->v[j], &s->v[i]);
			inside = c;
		}
		if (inside)
			return false;
	}
	return true;
}

void addr_set_free(struct addr_set *s)
{
	v_free(s->v);
	v_free(s->r4);
	memset(s, 0, sizeof(*s));
}

void port_set_free(struct port_set *s)
{
	v_free(s->v);
	memset(s, 0, sizeof(*s));
}
