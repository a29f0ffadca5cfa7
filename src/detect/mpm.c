/*
 * mpm.c - see mpm.h.  Patterns are deduplicated (same bytes, same case
 * mode) into unique ids; each id lists the rules that use it.  Hyperscan
 * compiles the unique literals with hs_compile_lit_multi (no regex
 * escaping needed) in block mode with SINGLEMATCH, so a pattern reports at
 * most once per scan.  Without Hyperscan, a plain scan per unique pattern
 * (memmem / case-folded search): correct, much slower on large rulesets.
 */
#include "mpm.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "payload.h"

#ifdef HAVE_HYPERSCAN
#include <hs/hs.h>
#endif

struct mpm {
	uint32_t npat;         /* unique patterns */
	uint8_t **pats;
	uint8_t **lowers;
	uint32_t *lens;
	bool *nocase;
	uint32_t *rule_off;    /* rules of pattern i: rules[rule_off[i] .. rule_off[i+1]) */
	uint32_t *rules;
	uint64_t mem;
#ifdef HAVE_HYPERSCAN
	hs_database_t *db;
#endif
};

struct mpm_scratch {
#ifdef HAVE_HYPERSCAN
	hs_scratch_t *hs;
#else
	int unused;
#endif
};

const char *mpm_name(void)
{
#ifdef HAVE_HYPERSCAN
	return "hyperscan";
#else
	return "portable";
#endif
}

const char *mpm_version(void)
{
#ifdef HAVE_HYPERSCAN
	return hs_version();
#else
	return "memmem scan per pattern";
#endif
}

static int pat_cmp(const void *a, const void *b)
{
	const struct mpm_pattern *x = a, *y = b;
	if (x->nocase != y->nocase)
		return x->nocase - y->nocase;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	int c = memcmp(x->pat, y->pat, x->len);
	if (c)
		return c;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

void mpm_free(struct mpm *m)
{
	if (!m)
		return;
	for (uint32_t i = 0; i < m->npat; i++) {
		v_free(m->pats[i]);
		v_free(m->lowers[i]);
	}
	v_free(m->pats);
	v_free(m->lowers);
	v_free(m->lens);
	v_free(m->nocase);
	v_free(m->rule_off);
	v_free(m->rules);
#ifdef HAVE_HYPERSCAN
	if (m->db)
		hs_free_database(m->db);
#endif
	v_free(m);
}

uint64_t mpm_memory(const struct mpm *m)
{
	if (!m)
		return 0;
	uint64_t n = m->mem;
#ifdef HAVE_HYPERSCAN
	size_t sz;
	if (m->db && hs_database_size(m->db, &sz) == HS_SUCCESS)
		n += sz;
#endif
	return n;
}

struct mpm *mpm_build(const struct mpm_pattern *p, uint32_t n, char *err, size_t errlen)
{
	struct mpm *m = v_calloc(1, sizeof(*m));
	struct mpm_pattern *s = v_malloc((n ? n : 1) * sizeof(*s));
	if (!m || !s) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	memcpy(s, p, n * sizeof(*s));
	qsort(s, n, sizeof(*s), pat_cmp);
	uint32_t u = 0;
	for (uint32_t i = 0; i < n; i++)
		if (i == 0 || s[i].nocase != s[i - 1].nocase || s[i].len != s[i - 1].len ||
		    memcmp(s[i].pat, s[i - 1].pat, s[i].len))
			u++;
	m->pats = v_calloc(u ? u : 1, sizeof(*m->pats));
	m->lowers = v_calloc(u ? u : 1, sizeof(*m->lowers));
	m->lens = v_calloc(u ? u : 1, sizeof(*m->lens));
	m->nocase = v_calloc(u ? u : 1, sizeof(*m->nocase));
	m->rule_off = v_calloc(u + 1, sizeof(*m->rule_off));
	m->rules = v_calloc(n ? n : 1, sizeof(*m->rules));
	if (!m->pats || !m->lowers || !m->lens || !m->nocase || !m->rule_off || !m->rules) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	uint32_t k = 0;
	for (uint32_t i = 0; i < n; i++) {
		bool fresh = i == 0 || s[i].nocase != s[i - 1].nocase || s[i].len != s[i - 1].len ||
			     memcmp(s[i].pat, s[i - 1].pat, s[i].len);
		if (fresh) {
			m->pats[k] = v_malloc(s[i].len);
			m->lowers[k] = v_malloc(s[i].len);
			if (!m->pats[k] || !m->lowers[k]) {
				m->npat = k + 1;
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			memcpy(m->pats[k], s[i].pat, s[i].len);
			for (uint32_t j = 0; j < s[i].len; j++)
				m->lowers[k][j] = (uint8_t)(s[i].pat[j] >= 'A' && s[i].pat[j] <= 'Z'
							     ? s[i].pat[j] + 32 : s[i].pat[j]);
			m->lens[k] = s[i].len;
			m->nocase[k] = s[i].nocase;
			m->rule_off[k] = i;
			m->mem += 2u * s[i].len;
			k++;
		}
		m->rules[i] = s[i].rule;
	}
	m->npat = u;
	m->rule_off[u] = n;
	m->mem += sizeof(*m) + (uint64_t)u * 40 + (uint64_t)n * 4;
#ifdef HAVE_HYPERSCAN
	if (u) {
		const char **exprs = v_malloc(u * sizeof(*exprs));
		unsigned *flags = v_malloc(u * sizeof(*flags)), *ids = v_malloc(u * sizeof(*ids));
		size_t *lens = v_malloc(u * sizeof(*lens));
		if (!exprs || !flags || !ids || !lens) {
			v_free(exprs); v_free(flags); v_free(ids); v_free(lens);
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		for (uint32_t i = 0; i < u; i++) {
			exprs[i] = (const char *)m->pats[i];
			lens[i] = m->lens[i];
			flags[i] = HS_FLAG_SINGLEMATCH | (m->nocase[i] ? HS_FLAG_CASELESS : 0);
			ids[i] = i;
		}
		hs_compile_error_t *ce = NULL;
		hs_error_t rc = hs_compile_lit_multi(exprs, flags, ids, lens, u, HS_MODE_BLOCK, NULL,
						     &m->db, &ce);
		v_free(exprs); v_free(flags); v_free(ids); v_free(lens);
		if (rc != HS_SUCCESS) {
			snprintf(err, errlen, "hyperscan: %s", ce ? ce->message : "compile failed");
			if (ce)
				hs_free_compile_error(ce);
			goto fail;
		}
	}
#endif
	v_free(s);
	return m;
fail:
	v_free(s);
	mpm_free(m);
	return NULL;
}

struct mpm_scratch *mpm_scratch_grow(struct mpm_scratch *s, const struct mpm *m)
{
	if (!s && !(s = v_calloc(1, sizeof(*s))))
		return NULL;
#ifdef HAVE_HYPERSCAN
	if (m && m->db && hs_alloc_scratch(m->db, &s->hs) != HS_SUCCESS) {
		mpm_scratch_free(s);
		return NULL;
	}
#else
	(void)m;
#endif
	return s;
}

void mpm_scratch_free(struct mpm_scratch *s)
{
	if (!s)
		return;
#ifdef HAVE_HYPERSCAN
	if (s->hs)
		hs_free_scratch(s->hs);
#endif
	v_free(s);
}

struct scan_ctx {
	const struct mpm *m;
	mpm_cb cb;
	void *ctx;
};

static void report(const struct mpm *m, uint32_t id, mpm_cb cb, void *ctx)
{
	for (uint32_t r = m->rule_off[id]; r < m->rule_off[id + 1]; r++)
		cb(ctx, m->rules[r]);
}

#ifdef HAVE_HYPERSCAN
static int on_match(unsigned id, unsigned long long from, unsigned long long to, unsigned fl,
		    void *ctx)
{
	(void)from; (void)to; (void)fl;
	struct scan_ctx *sc = ctx;
	report(sc->m, id, sc->cb, sc->ctx);
	return 0;
}
#endif

void mpm_scan(const struct mpm *m, struct mpm_scratch *s, const uint8_t *buf, uint32_t len,
	      mpm_cb cb, void *ctx)
{
	if (!m || !m->npat || !len)
		return;
#ifdef HAVE_HYPERSCAN
	struct scan_ctx sc = { m, cb, ctx };
	if (m->db && s && s->hs) {
		hs_scan(m->db, (const char *)buf, len, 0, s->hs, on_match, &sc);
		return;
	}
#else
	(void)s;
#endif
	for (uint32_t i = 0; i < m->npat; i++)
		if (payload_find(buf, len, m->pats[i], m->lowers[i], m->lens[i], m->nocase[i]))
			report(m, i, cb, ctx);
}
