/*
 * mpm.c - see mpm.h.  Patterns are deduplicated (same bytes, same case
 * mode) into unique ids; each id lists the rules that use it.  Hyperscan
 * compiles the unique literals with hs_compile_lit_multi (no regex
 * escaping needed) in block mode with SINGLEMATCH, so a pattern reports at
 * most once per scan.  A set that mixes case-sensitive and caseless
 * patterns with letters in them is compiled all caseless (and
 * deduplicated so): the prefilter only has to report a superset of the
 * rules whose pattern occurs, each rule checks its contents after it, and
 * Hyperscan compiles a mixed set two to ten times slower than one of a
 * single case mode (ET Open: 40% of a cold load's compiling was that).
 * Without Hyperscan, a plain scan per unique pattern
 * (memmem / case-folded search): correct, much slower on large rulesets.
 *
 * The cache (struct mpm_cache) keeps compiled databases on disk under the
 * SHA-256 of what determines them: a format tag, the Hyperscan version and
 * every unique pattern with its flags, in the sorted order that also fixes
 * the pattern ids.  A file that does not deserialise (another CPU or
 * library, truncated) is compiled afresh and rewritten; a write goes to a
 * temporary name and is renamed into place, so readers never see half.
 */
#include "mpm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "digest.h"
#include "log.h"
#include "payload.h"
#include "util.h"

#ifdef HAVE_HYPERSCAN
#include <hs/hs.h>
#endif

struct mpm {
	uint32_t refs;         /* groups sharing it (mpm_ref) */
	uint32_t npat;         /* unique patterns (a view: its base's) */
	struct mpm *base;      /* a view (mpm_build_union): the database, patterns and their
				* ids are base's, the rules of each id this view's own */
	bool count_base;       /* the view whose mpm_memory includes base's */
	bool fold;             /* every pattern compiled caseless (see the top) */
	uint32_t maxlen;       /* the longest pattern (a view: its base's) */
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

static inline uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* Two patterns' bytes of one length, compared case-folded if nocase. */
static int bytes_cmp(const uint8_t *a, const uint8_t *b, uint32_t len, bool nocase)
{
	if (!nocase)
		return memcmp(a, b, len);
	for (uint32_t i = 0; i < len; i++)
		if (lower(a[i]) != lower(b[i]))
			return lower(a[i]) < lower(b[i]) ? -1 : 1;
	return 0;
}

/* The order of the unique ids: case mode, length, bytes (case-folded
 * for a caseless pattern, which matches the same either way). */
static int key_cmp(const struct mpm_pattern *x, const struct mpm_pattern *y)
{
	if (x->nocase != y->nocase)
		return x->nocase - y->nocase;
	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return bytes_cmp(x->pat, y->pat, x->len, x->nocase);
}

static int pat_cmp(const void *a, const void *b)
{
	const struct mpm_pattern *x = a, *y = b;
	int c = key_cmp(x, y);
	if (c)
		return c;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static bool has_letter(const uint8_t *p, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		if (lower(p[i]) >= 'a' && lower(p[i]) <= 'z')
			return true;
	return false;
}

struct mpm *mpm_ref(struct mpm *m)
{
	if (m)
		m->refs++;
	return m;
}

/* The patterns' own copies: the portable scan reads them; Hyperscan
 * needs them only until its database is built (ET Open: 34,000 of them,
 * 3 MB). */
static void drop_copies(struct mpm *m)
{
	for (uint32_t i = 0; m->pats && i < m->npat; i++) {
		v_free(m->pats[i]);
		v_free(m->lowers[i]);
		m->mem -= 2u * m->lens[i];
	}
	if (m->pats)
		m->mem -= (uint64_t)m->npat * (2 * sizeof(uint8_t *) + sizeof(uint32_t) + sizeof(bool));
	v_free(m->pats);
	v_free(m->lowers);
	v_free(m->lens);
	v_free(m->nocase);
	m->pats = m->lowers = NULL;
	m->lens = NULL;
	m->nocase = NULL;
}

void mpm_free(struct mpm *m)
{
	if (!m || --m->refs)
		return;
	mpm_free(m->base);
	drop_copies(m);
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
	if (m->base)
		return n + (m->count_base ? mpm_memory(m->base) : 0);
#ifdef HAVE_HYPERSCAN
	size_t sz;
	if (m->db && hs_database_size(m->db, &sz) == HS_SUCCESS)
		n += sz;
#endif
	return n;
}


#ifdef HAVE_HYPERSCAN
#define CACHE_TAG "vigil-mpm-2"
#define CACHE_MAX_FILE (1u << 30)

/* The cache file name: hex SHA-256 of tag, library version and patterns. */
static bool cache_key(const struct mpm *m, char hex[65])
{
	size_t n = sizeof(CACHE_TAG) + strlen(hs_version()) + 1;
	for (uint32_t i = 0; i < m->npat; i++)
		n += 5 + m->lens[i];
	uint8_t *b = v_malloc(n), *q = b;
	if (!b)
		return false;
	memcpy(q, CACHE_TAG, sizeof(CACHE_TAG));
	q += sizeof(CACHE_TAG);
	size_t vl = strlen(hs_version()) + 1;
	memcpy(q, hs_version(), vl);
	q += vl;
	for (uint32_t i = 0; i < m->npat; i++) {
		uint32_t l = m->lens[i];
		*q++ = m->nocase[i];
		*q++ = (uint8_t)l;
		*q++ = (uint8_t)(l >> 8);
		*q++ = (uint8_t)(l >> 16);
		*q++ = (uint8_t)(l >> 24);
		memcpy(q, m->nocase[i] ? m->lowers[i] : m->pats[i], l);
		q += l;
	}
	uint8_t d[32];
	bool ok = digest(DIGEST_SHA256, b, n, d);
	v_free(b);
	for (int i = 0; ok && i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	return ok;
}

/* Reads dir/key.hs into m->db; false when absent or unusable. */
static bool cache_load(struct mpm *m, struct mpm_cache *c, const char *key)
{
	char path[4096];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s.hs", c->dir, key) >= sizeof(path))
		return false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	struct stat st;
	char *buf = NULL;
	bool ok = false;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_size <= 0 ||
	    (uint64_t)st.st_size > CACHE_MAX_FILE || !(buf = v_malloc((size_t)st.st_size)))
		goto out;
	size_t got = 0;
	while (got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r <= 0) {
			if (r < 0 && errno == EINTR)
				continue;
			goto out;
		}
		got += (size_t)r;
	}
	ok = hs_deserialize_database(buf, got, &m->db) == HS_SUCCESS;
	if (ok)
		futimens(fd, NULL); /* used now: pruning keeps it */
out:
	if (!ok) {
		c->failed++;
		log_info("prefilter cache: %s unusable, compiling instead", path);
	}
	v_free(buf);
	close(fd);
	return ok;
}

static void cache_store(const struct mpm *m, struct mpm_cache *c, const char *key)
{
	char *bytes = NULL;
	size_t len = 0;
	char path[4096];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s.hs", c->dir, key) >= sizeof(path) ||
	    hs_serialize_database(m->db, &bytes, &len) != HS_SUCCESS)
		return;
	if (file_write_atomic(path, bytes, len, 0644) == 0) {
		c->stored++;
	} else {
		c->failed++;
		log_info("prefilter cache: cannot write %s: %s", path, strerror(errno));
	}
	free(bytes); /* Hyperscan's allocator is malloc */
}
#endif

unsigned mpm_cache_prune(const char *dir, uint64_t max_age)
{
	unsigned n = 0;
	if (!dir || !*dir)
		return 0;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	time_t now = time(NULL);
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		/* our names only: 64 hex digits and .hs, or a temporary left by a
		 * crash (file_write_atomic's NAME.hs.PID.tmp, or the older
		 * .NAME.PID.tmp) */
		bool ours = (l == 67 && !strcmp(de->d_name + 64, ".hs")) ||
			    (l > 72 && !strncmp(de->d_name + 64, ".hs.", 4) &&
			     !strcmp(de->d_name + l - 4, ".tmp")) ||
			    (l > 4 && de->d_name[0] == '.' && !strcmp(de->d_name + l - 4, ".tmp"));
		struct stat st;
		if (!ours || fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 ||
		    !S_ISREG(st.st_mode))
			continue;
		if ((uint64_t)(now - st.st_mtime) > max_age && unlinkat(dirfd(d), de->d_name, 0) == 0)
			n++;
	}
	closedir(d);
	return n;
}

/* mpm_build; keep: the patterns' copies stay (mpm_build_union finds
 * its sets' ids in them). */
static struct mpm *build(const struct mpm_pattern *p, uint32_t n, struct mpm_cache *cache,
			 bool keep, char *err, size_t errlen)
{
	struct mpm *m = v_calloc(1, sizeof(*m));
	struct mpm_pattern *s = v_malloc((n ? n : 1) * sizeof(*s));
	if (m)
		m->refs = 1;
	if (!m || !s) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	memcpy(s, p, n * sizeof(*s));
	for (uint32_t i = 0; i < n; i++)
		m->maxlen = MAX(m->maxlen, s[i].len);
#ifdef HAVE_HYPERSCAN
	bool cs = false, ci = false;
	for (uint32_t i = 0; i < n && !(cs && ci); i++)
		if (s[i].nocase && !ci)
			ci = has_letter(s[i].pat, s[i].len);
		else if (!s[i].nocase && !cs)
			cs = has_letter(s[i].pat, s[i].len);
	m->fold = cs && ci;
	for (uint32_t i = 0; m->fold && i < n; i++)
		s[i].nocase = true;
#endif
	qsort(s, n, sizeof(*s), pat_cmp);
	uint32_t u = 0;
	for (uint32_t i = 0; i < n; i++)
		if (i == 0 || key_cmp(&s[i], &s[i - 1]))
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
		bool fresh = i == 0 || key_cmp(&s[i], &s[i - 1]);
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
				m->lowers[k][j] = lower(s[i].pat[j]);
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
	char key[65] = "";
	bool cached = cache && cache->dir && *cache->dir && u && cache_key(m, key);
	bool hit = cached && cache_load(m, cache, key);
	if (hit)
		cache->hits++;
	if (u && !hit) {
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
		if (cache)
			cache->compiled++;
		if (cached)
			cache_store(m, cache, key);
	}
	if (m->db && !keep)
		drop_copies(m);
#else
	(void)cache;
	(void)keep;
#endif
	v_free(s);
	return m;
fail:
	v_free(s);
	mpm_free(m);
	return NULL;
}

struct mpm *mpm_build(const struct mpm_pattern *p, uint32_t n, struct mpm_cache *cache,
		      char *err, size_t errlen)
{
	return build(p, n, cache, false, err, errlen);
}

#ifdef HAVE_HYPERSCAN
/* The id of pattern q among m's unique patterns (sorted as pat_cmp
 * sorts, caseless if m folds), or UINT32_MAX. */
static uint32_t find_id(const struct mpm *m, const struct mpm_pattern *q)
{
	uint32_t lo = 0, hi = m->npat;
	struct mpm_pattern k = *q;
	k.nocase = k.nocase || m->fold;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		struct mpm_pattern e = { m->pats[mid], m->lens[mid], m->nocase[mid], 0 };
		int c = key_cmp(&e, &k);
		if (!c)
			return mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return UINT32_MAX;
}

/* A view of base for the set p/n: base's ids, this set's rules. */
static struct mpm *view(struct mpm *base, const struct mpm_pattern *p, uint32_t n)
{
	struct mpm *v = v_calloc(1, sizeof(*v));
	uint32_t *ids = v_malloc((n ? n : 1) * sizeof(*ids));
	if (v) {
		v->refs = 1;
		v->npat = base->npat;
		v->rule_off = v_calloc(base->npat + 1, sizeof(*v->rule_off));
		v->rules = v_malloc((n ? n : 1) * sizeof(*v->rules));
	}
	if (!v || !ids || !v->rule_off || !v->rules) {
		v_free(ids);
		mpm_free(v);
		return NULL;
	}
	v->base = mpm_ref(base);
	/* counting sort by id: rule_off[id + 1] counts id's rules first */
	for (uint32_t i = 0; i < n; i++) {
		ids[i] = find_id(base, &p[i]);
		if (ids[i] == UINT32_MAX) { /* not in the union: cannot happen */
			v_free(ids);
			mpm_free(v);
			return NULL;
		}
		v->rule_off[ids[i] + 1]++;
	}
	for (uint32_t k = 0; k < base->npat; k++)
		v->rule_off[k + 1] += v->rule_off[k];
	for (uint32_t i = 0; i < n; i++) /* rule_off[id] is id's next free slot for now */
		v->rules[v->rule_off[ids[i]]++] = p[i].rule;
	for (uint32_t k = base->npat; k > 0; k--) /* and back to its first */
		v->rule_off[k] = v->rule_off[k - 1];
	v->rule_off[0] = 0;
	v->mem = sizeof(*v) + (uint64_t)(base->npat + 1) * 4 + (uint64_t)n * 4;
	v_free(ids);
	return v;
}
#endif

int mpm_build_union(const struct mpm_pattern *const *p, const uint32_t *n, uint32_t nset,
		    struct mpm **out, struct mpm_cache *cache, char *err, size_t errlen)
{
	for (uint32_t i = 0; i < nset; i++)
		out[i] = NULL;
#ifdef HAVE_HYPERSCAN
	if (nset > 1) {
		uint64_t total = 0;
		for (uint32_t i = 0; i < nset; i++)
			total += n[i];
		struct mpm_pattern *all = total < UINT32_MAX ? v_malloc((total ? total : 1) * sizeof(*all))
							    : NULL;
		if (!all) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		uint32_t k = 0;
		for (uint32_t i = 0; i < nset; i++)
			for (uint32_t j = 0; j < n[i]; j++, k++)
				all[k] = (struct mpm_pattern){ p[i][j].pat, p[i][j].len, p[i][j].nocase, 0 };
		struct mpm *base = build(all, k, cache, true, err, errlen);
		v_free(all);
		if (!base)
			return -1;
		int rc = 0;
		for (uint32_t i = 0; i < nset && !rc; i++)
			if (!(out[i] = view(base, p[i], n[i]))) {
				snprintf(err, errlen, "out of memory");
				rc = -1;
			}
		if (base->db)
			drop_copies(base);
		if (out[0])
			out[0]->count_base = true; /* base's memory counted once */
		mpm_free(base); /* the views hold it */
		if (rc)
			for (uint32_t i = 0; i < nset; i++) {
				mpm_free(out[i]);
				out[i] = NULL;
			}
		return rc;
	}
#endif
	/* one set, or the portable scan (whose cost is per pattern: a union
	 * would only make it slower) */
	for (uint32_t i = 0; i < nset; i++)
		if (!(out[i] = mpm_build(p[i], n[i], cache, err, errlen))) {
			for (uint32_t j = 0; j < i; j++) {
				mpm_free(out[j]);
				out[j] = NULL;
			}
			return -1;
		}
	return 0;
}

struct mpm_scratch *mpm_scratch_grow(struct mpm_scratch *s, const struct mpm *m)
{
	if (!s && !(s = v_calloc(1, sizeof(*s))))
		return NULL;
#ifdef HAVE_HYPERSCAN
	if (m && m->base)
		m = m->base;
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
	bool ids;              /* mpm_scan_ids: cb gets pattern ids */
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
	if (!sc->ids)
		report(sc->m, id, sc->cb, sc->ctx);
	else if (sc->m->rule_off[id] < sc->m->rule_off[id + 1])
		sc->cb(sc->ctx, id);
	return 0;
}
#endif

static void scan(const struct mpm *m, struct mpm_scratch *s, const uint8_t *buf, uint32_t len,
		 mpm_cb cb, void *ctx, bool ids)
{
	if (!m || !m->npat || !len)
		return;
#ifdef HAVE_HYPERSCAN
	struct scan_ctx sc = { m, cb, ctx, ids };
	const struct mpm *d = m->base ? m->base : m;
	if (d->db && s && s->hs) {
		hs_scan(d->db, (const char *)buf, len, 0, s->hs, on_match, &sc);
		return;
	}
#else
	(void)s;
#endif
	/* (a Hyperscan matcher without scratch has no copies left: nothing) */
	for (uint32_t i = 0; m->pats && i < m->npat; i++)
		if (payload_find(buf, len, m->pats[i], m->lowers[i], m->lens[i], m->nocase[i])) {
			if (!ids)
				report(m, i, cb, ctx);
			else if (m->rule_off[i] < m->rule_off[i + 1])
				cb(ctx, i);
		}
}

void mpm_scan(const struct mpm *m, struct mpm_scratch *s, const uint8_t *buf, uint32_t len,
	      mpm_cb cb, void *ctx)
{
	scan(m, s, buf, len, cb, ctx, false);
}

void mpm_scan_ids(const struct mpm *m, struct mpm_scratch *s, const uint8_t *buf, uint32_t len,
		  mpm_cb cb, void *ctx)
{
	scan(m, s, buf, len, cb, ctx, true);
}

void mpm_rules_of(const struct mpm *m, uint32_t id, mpm_cb cb, void *ctx)
{
	if (m && id < m->npat)
		report(m, id, cb, ctx);
}

uint32_t mpm_max_len(const struct mpm *m)
{
	return m ? (m->base ? m->base : m)->maxlen : 0;
}
