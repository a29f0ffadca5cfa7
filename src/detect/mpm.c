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
 * Without Hyperscan, the quick index below serves every scan.
 *
 * Deferred compiling (mpm_cache.defer): a set not in the cache and of
 * DEFER_MIN patterns or more gets a quick index now (struct qm: each
 * pattern hashed by a case-folded window of up to 4 of its bytes, the
 * window picked where its bucket is emptiest; a scan hashes the window
 * ending at each byte and checks the bucket's patterns in full) and is
 * compiled on background threads (bg_main), which start with the first
 * worker scratch, so that -T and the start of inspection do not wait
 * for Hyperscan.  The quick index reports exactly the rules a database
 * of the same patterns would, so a rule inspects the same from the
 * first packet; it is slower per byte and stays (with the patterns'
 * copies) for the engine's life, since a worker may be scanning with it
 * when the database is published.  A database is published with a
 * release store after the process-wide prototype scratch (proto) has
 * grown for it and the generation counter has moved on; a worker scratch
 * older than a database's generation is cloned afresh from the
 * prototype before its first scan of it.
 *
 * The cache (struct mpm_cache) keeps compiled databases on disk under the
 * SHA-256 of what determines them: a format tag, the Hyperscan version and
 * every unique pattern with its flags, in the sorted order that also fixes
 * the pattern ids.  A file that does not deserialise (another CPU or
 * library, truncated) is compiled afresh and rewritten; a write goes to a
 * temporary name and is renamed into place, so readers never see half.
 *
 * Live databases (struct dbent) are shared by that same key within the
 * process: a set whose database some matcher holds already (the running
 * engine's during a reload, or an identical set with other rules) takes
 * a reference to it instead of reading or compiling another copy, at
 * load or when its background compile comes up.  A reload of unchanged
 * rules so compiles nothing and holds one copy of each database.
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
#include <malloc.h>
#include <pthread.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#endif

/* Sets below this many unique patterns are compiled at load even when
 * deferring: ET Open's 73 sets below 10 patterns take 15 ms in all. */
#define DEFER_MIN 16

struct qent {
	uint32_t id;  /* unique pattern */
	uint32_t off; /* where its key window starts in it */
};
/* The quick index (see the top). */
struct qm {
	uint32_t bits;   /* 2^bits buckets */
	uint8_t klens;   /* bit L-1: some pattern keyed on L bytes (1 to 4) */
	uint32_t *head;  /* bucket b: ent[head[b] .. head[b+1]) */
	struct qent *ent;
	/* a bit per value of the hash's top QF_BITS bits that some key has:
	 * most windows of a scan end here, in 4 KiB that stay in cache,
	 * without reading head */
	uint64_t filt[(1u << 15) / 64];
	/* and before it, a bit per last two (case-folded) bytes of the
	 * windows of two bytes or more, per last byte of the one-byte ones:
	 * one test per byte of the scan when nothing ends there */
	uint64_t gate2[65536 / 64];
	uint64_t gate1[256 / 64];
};
#define QF_BITS 15

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
	struct qm *qm;         /* the quick index, while or instead of a database */
#ifdef HAVE_HYPERSCAN
	hs_database_t *db;     /* published with a release store (see the top) */
	struct dbent *ent;     /* db's entry among the live databases, or NULL: m owns db */
	uint8_t key[32];       /* the SHA-256 of what determines db (set_key) */
	bool keyed;            /* key is set */
	uint32_t ready_gen;    /* the generation that published db */
	uint8_t bg;            /* BG_*, under bg_lock */
	struct mpm *bg_next;   /* the background queue */
	char *store;           /* the cache file to write when compiled, or NULL */
#endif
};

struct mpm_scratch {
#ifdef HAVE_HYPERSCAN
	hs_scratch_t *hs;
	uint32_t gen;          /* proto's generation when cloned */
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

/* ---- the quick index ---- */

static inline uint64_t qmix(uint32_t key, uint32_t klen)
{
	return (((uint64_t)key << 2) | (klen - 1)) * 0x9E3779B97F4A7C15ull;
}

static inline uint32_t qhash(uint32_t key, uint32_t klen, uint32_t bits)
{
	return (uint32_t)(qmix(key, klen) >> (64 - bits));
}

static inline bool qfilt_has(const struct qm *q, uint64_t mix)
{
	uint32_t f = (uint32_t)(mix >> (64 - QF_BITS));
	return q->filt[f / 64] >> (f % 64) & 1;
}

/* The key of klen case-folded bytes, as the scan's rolling key has it. */
static inline uint32_t qkey(const uint8_t *low, uint32_t klen)
{
	uint32_t k = 0;
	for (uint32_t i = 0; i < klen; i++)
		k = k << 8 | low[i];
	return k;
}

static void qm_free(struct qm *q)
{
	if (!q)
		return;
	v_free(q->head);
	v_free(q->ent);
	v_free(q);
}

/* Indexes m's unique patterns (their copies); false when out of memory. */
static bool qm_build(struct mpm *m)
{
	uint32_t n = m->npat, bits = 8;
	while (bits < 24 && (1u << bits) < 2 * n)
		bits++;
	uint32_t nb = 1u << bits;
	struct qm *q = v_calloc(1, sizeof(*q));
	uint32_t *hs = v_malloc((n ? n : 1) * sizeof(*hs));
	if (q) {
		q->bits = bits;
		q->head = v_calloc(nb + 1, sizeof(*q->head));
		q->ent = v_malloc((n ? n : 1) * sizeof(*q->ent));
	}
	if (!q || !hs || !q->head || !q->ent) {
		qm_free(q);
		v_free(hs);
		return false;
	}
	/* head[b + 1] counts bucket b for now; a pattern of more than 4
	 * bytes takes the window (among its first 64) whose bucket is emptiest
	 * so far, so that common prefixes do not pile up in one */
	for (uint32_t i = 0; i < n; i++) {
		uint32_t l = m->lens[i], kl = l < 4 ? l : 4, best = 0, bh = 0;
		for (uint32_t o = 0; o + kl <= l && o < 64; o++) {
			uint32_t h = qhash(qkey(m->lowers[i] + o, kl), kl, bits);
			if (o == 0 || q->head[h + 1] < q->head[bh + 1]) {
				best = o;
				bh = h;
			}
		}
		q->head[bh + 1]++;
		q->ent[i].off = best;
		if (kl) {
			uint32_t key = qkey(m->lowers[i] + best, kl);
			uint32_t f = (uint32_t)(qmix(key, kl) >> (64 - QF_BITS));
			q->filt[f / 64] |= 1ull << (f % 64);
			if (kl == 1)
				q->gate1[key / 64] |= 1ull << (key % 64);
			else
				q->gate2[(key & 0xffff) / 64] |= 1ull << (key % 64);
		}
		hs[i] = bh;
		if (kl)
			q->klens |= (uint8_t)(1u << (kl - 1));
	}
	for (uint32_t b = 0; b < nb; b++)
		q->head[b + 1] += q->head[b];
	/* fill: head[b] is bucket b's next free slot, then back to its first */
	struct qent *e = v_malloc((n ? n : 1) * sizeof(*e));
	if (!e) {
		qm_free(q);
		v_free(hs);
		return false;
	}
	for (uint32_t i = 0; i < n; i++)
		e[q->head[hs[i]]++] = (struct qent){ i, q->ent[i].off };
	for (uint32_t b = nb; b > 0; b--)
		q->head[b] = q->head[b - 1];
	q->head[0] = 0;
	v_free(q->ent);
	q->ent = e;
	v_free(hs);
	m->qm = q;
	m->mem += sizeof(*q) + (uint64_t)(nb + 1) * 4 + (uint64_t)n * sizeof(*e);
	return true;
}

static void report(const struct mpm *m, uint32_t id, mpm_cb cb, void *ctx);

static bool eq_fold(const uint8_t *b, const uint8_t *low, uint32_t len)
{
	for (uint32_t i = 0; i < len; i++)
		if (lower(b[i]) != low[i])
			return false;
	return true;
}

/* Scans buf with d's quick index, reporting m's rules (m is d or a view
 * of it), or with ids the pattern ids that have rules in m (mpm_scan_ids;
 * an id may come more than once, where a database reports it once). */
static void qm_scan(const struct mpm *d, const struct mpm *m, const uint8_t *buf, uint32_t len,
		    mpm_cb cb, void *ctx, bool ids)
{
	const struct qm *q = d->qm;
	uint32_t k = 0;
	for (uint32_t i = 0; i < len; i++) {
		k = k << 8 | lower(buf[i]);
		bool g1 = q->gate1[(k & 0xff) / 64] >> (k % 64) & 1;
		bool g2 = i > 0 && (q->gate2[(k & 0xffff) / 64] >> (k % 64) & 1);
		if (!g1 && !g2)
			continue;
		for (uint32_t kl = g1 ? 1 : 2; kl <= (g2 ? 4u : 1u) && kl <= i + 1; kl++) {
			if (!(q->klens & (1u << (kl - 1))))
				continue;
			uint64_t mix = qmix(kl == 4 ? k : k & ((1u << (8 * kl)) - 1), kl);
			if (!qfilt_has(q, mix))
				continue;
			uint32_t h = (uint32_t)(mix >> (64 - q->bits));
			for (uint32_t x = q->head[h]; x < q->head[h + 1]; x++) {
				uint32_t id = q->ent[x].id, off = q->ent[x].off, pl = d->lens[id];
				if ((pl < 4 ? pl : 4) != kl || i + 1 < kl + off)
					continue;
				uint32_t st = i + 1 - kl - off;
				if (pl > len - st)
					continue;
				if (!(d->nocase[id] ? eq_fold(buf + st, d->lowers[id], pl)
						    : !memcmp(buf + st, d->pats[id], pl)))
					continue;
				if (!ids)
					report(m, id, cb, ctx);
				else if (m->rule_off[id] < m->rule_off[id + 1])
					cb(ctx, id);
			}
		}
	}
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

#ifdef HAVE_HYPERSCAN
/* ---- background compiling (see the top) ---- */

enum { BG_NONE, BG_QUEUED, BG_COMPILING, BG_DONE };

static pthread_mutex_t bg_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t bg_work = PTHREAD_COND_INITIALIZER; /* queued, or stop */
static pthread_cond_t bg_done = PTHREAD_COND_INITIALIZER; /* a compile ended */
static struct mpm *bg_head, *bg_tail;
static unsigned bg_threads, bg_want, bg_busy, bg_nice;
static bool bg_stop, bg_atexit, bg_never;
static hs_scratch_t *proto; /* grown for every database published */
static uint32_t gen;        /* publications so far (__atomic) */
static double bg_t0;        /* when the first thread started, for the log */
static uint32_t bg_ndone;   /* databases compiled by the threads */

/* A database held by one or more matchers, by key (see the top). */
struct dbent {
	uint8_t key[32];
	hs_database_t *db;
	uint32_t refs;
	struct dbent *next;
};
static struct dbent *live; /* under bg_lock */

/* key's live database with one more reference (its entry in *ent), or
 * NULL; bg_lock held. */
static hs_database_t *live_get(const uint8_t key[32], struct dbent **ent)
{
	for (struct dbent *e = live; e; e = e->next)
		if (!memcmp(e->key, key, 32)) {
			e->refs++;
			*ent = e;
			return e->db;
		}
	return NULL;
}

/* Enters db under key; if another thread entered the same key first, db
 * is freed and that entry taken.  NULL when out of memory (the caller
 * keeps db as its own); bg_lock held. */
static struct dbent *live_put(const uint8_t key[32], hs_database_t *db)
{
	struct dbent *e;
	if (live_get(key, &e)) {
		hs_free_database(db);
		return e;
	}
	if (!(e = v_calloc(1, sizeof(*e))))
		return NULL;
	memcpy(e->key, key, 32);
	e->db = db;
	e->refs = 1;
	e->next = live;
	live = e;
	return e;
}

/* Drops one reference; the last frees the database; bg_lock held. */
static void live_drop(struct dbent *e)
{
	if (--e->refs)
		return;
	struct dbent **pp = &live;
	while (*pp != e)
		pp = &(*pp)->next;
	*pp = e->next;
	hs_free_database(e->db);
	v_free(e);
}

/* Makes db m's database (m->ent set: the live one it took); bg_lock
 * held.  False (db dropped) if the prototype scratch cannot grow for it. */
static bool publish(struct mpm *m, hs_database_t *db)
{
	if (hs_alloc_scratch(db, &proto) != HS_SUCCESS) {
		if (m->ent)
			live_drop(m->ent);
		else
			hs_free_database(db);
		m->ent = NULL;
		return false;
	}
	if (!m->ent && m->keyed && (m->ent = live_put(m->key, db)))
		db = m->ent->db;
	m->ready_gen = __atomic_add_fetch(&gen, 1, __ATOMIC_ACQ_REL);
	__atomic_store_n(&m->db, db, __ATOMIC_RELEASE);
	return true;
}

static hs_database_t *compile_db(const struct mpm *m, char *err, size_t errlen);
static bool store_db(const hs_database_t *db, const char *path);

static void *bg_main(void *arg)
{
	(void)arg;
	/* below the workers (Linux: a thread's own nice value) */
	pthread_mutex_lock(&bg_lock);
	unsigned inc = bg_nice;
	pthread_mutex_unlock(&bg_lock);
	id_t tid = (id_t)syscall(SYS_gettid);
	errno = 0;
	int cur = getpriority(PRIO_PROCESS, tid);
	if (inc && !(cur == -1 && errno) && setpriority(PRIO_PROCESS, tid, MIN(cur + (int)inc, 19)) < 0)
		log_info("prefilter: background compile priority unchanged: %s", strerror(errno));
	pthread_mutex_lock(&bg_lock);
	for (;;) {
		while (!bg_head && !bg_stop)
			pthread_cond_wait(&bg_work, &bg_lock);
		if (bg_stop)
			break;
		struct mpm *m = bg_head;
		bg_head = m->bg_next;
		if (!bg_head)
			bg_tail = NULL;
		m->bg = BG_COMPILING;
		bg_busy++;
		/* compiled meanwhile for another matcher (an identical set
		 * queued before, the engine a reload replaces) */
		hs_database_t *db = m->keyed ? live_get(m->key, &m->ent) : NULL;
		if (!db) {
			pthread_mutex_unlock(&bg_lock);
			char err[256];
			db = compile_db(m, err, sizeof(err));
			if (!db)
				log_warn("prefilter: %s; a set of %u patterns keeps its quick index",
					 err, m->npat);
			if (db && m->store && !store_db(db, m->store))
				log_info("prefilter cache: cannot write %s: %s", m->store,
					 strerror(errno));
			pthread_mutex_lock(&bg_lock);
		}
		if (db && !publish(m, db))
			log_warn("prefilter: out of memory; a set of %u patterns keeps its quick index",
				 m->npat);
		m->bg = BG_DONE;
		bg_busy--;
		bg_ndone++;
		if (!bg_head && !bg_busy) {
			malloc_trim(0); /* the compiler's working memory back to the system */
			log_info("prefilter: %u databases compiled in the background, all ready %.2f s "
				 "after the first worker started", bg_ndone, now_mono() - bg_t0);
		}
		pthread_cond_broadcast(&bg_done);
	}
	pthread_mutex_unlock(&bg_lock);
	return NULL;
}

/* At exit: nothing more starts, and a compile under way ends first (the
 * library's state must not go while a thread is in it). */
static void bg_exit(void)
{
	pthread_mutex_lock(&bg_lock);
	bg_stop = true;
	for (struct mpm *m = bg_head; m; m = m->bg_next)
		m->bg = BG_DONE;
	bg_head = bg_tail = NULL;
	pthread_cond_broadcast(&bg_work);
	while (bg_busy)
		pthread_cond_wait(&bg_done, &bg_lock);
	pthread_mutex_unlock(&bg_lock);
}

/* Starts the background threads if work waits; bg_lock held. */
static void bg_start(void)
{
	if (!bg_atexit && bg_head && !bg_never) {
		bg_atexit = true;
		bg_t0 = now_mono();
		atexit(bg_exit);
	}
	while (bg_head && !bg_stop && bg_threads < bg_want) {
		pthread_t t;
		pthread_attr_t a;
		pthread_attr_init(&a);
		pthread_attr_setdetachstate(&a, PTHREAD_CREATE_DETACHED);
		int rc = pthread_create(&t, &a, bg_main, NULL);
		pthread_attr_destroy(&a);
		if (rc)
			break; /* the ones running do the work; none: the quick index stays */
		bg_threads++;
	}
}

static void bg_queue(struct mpm *m, unsigned threads, unsigned nice)
{
	long ncpu = threads ? (long)threads : sysconf(_SC_NPROCESSORS_ONLN);
	unsigned want = (unsigned)(ncpu < 1 ? 1 : ncpu > 8 ? 8 : ncpu);
	pthread_mutex_lock(&bg_lock);
	if (bg_never) { /* detect.prefilter-compile: never: the quick index stays */
		pthread_mutex_unlock(&bg_lock);
		return;
	}
	if (want > bg_want)
		bg_want = want;
	bg_nice = nice; /* the latest load's, for threads started from now */
	m->bg = BG_QUEUED;
	m->bg_next = NULL;
	if (bg_tail)
		bg_tail->bg_next = m;
	else
		bg_head = m;
	bg_tail = m;
	if (bg_threads)
		bg_start(); /* running already (a reload): more may be wanted */
	pthread_cond_signal(&bg_work);
	pthread_mutex_unlock(&bg_lock);
}

void mpm_background_off(void)
{
	pthread_mutex_lock(&bg_lock);
	bg_want = 0;
	bg_never = true;
	pthread_mutex_unlock(&bg_lock);
}

/* Takes m out of the queue, or waits for its compile to end. */
static void bg_forget(struct mpm *m)
{
	pthread_mutex_lock(&bg_lock);
	if (m->bg == BG_QUEUED) {
		struct mpm **pp = &bg_head, *prev = NULL;
		while (*pp && *pp != m) {
			prev = *pp;
			pp = &(*pp)->bg_next;
		}
		if (*pp)
			*pp = m->bg_next;
		if (bg_tail == m)
			bg_tail = prev;
		m->bg = BG_DONE;
	}
	while (m->bg == BG_COMPILING)
		pthread_cond_wait(&bg_done, &bg_lock);
	pthread_mutex_unlock(&bg_lock);
}
#endif

void mpm_free(struct mpm *m)
{
	if (!m || --m->refs)
		return;
#ifdef HAVE_HYPERSCAN
	if (m->bg)
		bg_forget(m);
	v_free(m->store);
#endif
	mpm_free(m->base);
	drop_copies(m);
	qm_free(m->qm);
	v_free(m->rule_off);
	v_free(m->rules);
#ifdef HAVE_HYPERSCAN
	if (m->ent) {
		pthread_mutex_lock(&bg_lock);
		live_drop(m->ent);
		pthread_mutex_unlock(&bg_lock);
	} else if (m->db) {
		hs_free_database(m->db);
	}
#endif
	v_free(m);
}

bool mpm_ready(const struct mpm *m)
{
#ifdef HAVE_HYPERSCAN
	if (m && m->base)
		m = m->base;
	return m && __atomic_load_n(&m->db, __ATOMIC_ACQUIRE);
#else
	(void)m;
	return false;
#endif
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
	const hs_database_t *db = __atomic_load_n(&m->db, __ATOMIC_ACQUIRE);
	if (db && hs_database_size(db, &sz) == HS_SUCCESS)
		n += sz;
#endif
	return n;
}


#ifdef HAVE_HYPERSCAN
#define CACHE_TAG "vigil-mpm-2"
#define CACHE_MAX_FILE (1u << 30)

/* m->key: the SHA-256 of tag, library version and patterns (the live
 * databases' key and the cache file's name). */
static bool set_key(struct mpm *m)
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
	m->keyed = digest(DIGEST_SHA256, b, n, m->key);
	v_free(b);
	return m->keyed;
}

static void key_hex(const uint8_t d[32], char hex[65])
{
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* Reads dir/key.hs into *db; false when absent or unusable. */
static bool cache_load(hs_database_t **db, struct mpm_cache *c, const char *key)
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
	ok = hs_deserialize_database(buf, got, db) == HS_SUCCESS;
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

static bool store_db(const hs_database_t *db, const char *path)
{
	char *bytes = NULL;
	size_t len = 0;
	if (hs_serialize_database(db, &bytes, &len) != HS_SUCCESS)
		return false;
	bool ok = file_write_atomic(path, bytes, len, 0644) == 0;
	free(bytes); /* Hyperscan's allocator is malloc */
	return ok;
}

static void cache_store(const hs_database_t *db, struct mpm_cache *c, const char *key)
{
	char path[4096];
	if ((size_t)snprintf(path, sizeof(path), "%s/%s.hs", c->dir, key) >= sizeof(path))
		return;
	if (store_db(db, path)) {
		c->stored++;
	} else {
		c->failed++;
		log_info("prefilter cache: cannot write %s: %s", path, strerror(errno));
	}
}

/* Compiles m's unique patterns (their copies); NULL with err. */
static hs_database_t *compile_db(const struct mpm *m, char *err, size_t errlen)
{
	uint32_t u = m->npat;
	const char **exprs = v_malloc(u * sizeof(*exprs));
	unsigned *flags = v_malloc(u * sizeof(*flags)), *ids = v_malloc(u * sizeof(*ids));
	size_t *lens = v_malloc(u * sizeof(*lens));
	hs_database_t *db = NULL;
	if (!exprs || !flags || !ids || !lens) {
		v_free(exprs); v_free(flags); v_free(ids); v_free(lens);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	for (uint32_t i = 0; i < u; i++) {
		exprs[i] = (const char *)m->pats[i];
		lens[i] = m->lens[i];
		flags[i] = HS_FLAG_SINGLEMATCH | (m->nocase[i] ? HS_FLAG_CASELESS : 0);
		ids[i] = i;
	}
	hs_compile_error_t *ce = NULL;
	hs_error_t rc = hs_compile_lit_multi(exprs, flags, ids, lens, u, HS_MODE_BLOCK, NULL, &db, &ce);
	v_free(exprs); v_free(flags); v_free(ids); v_free(lens);
	if (rc != HS_SUCCESS) {
		snprintf(err, errlen, "hyperscan: %s", ce ? ce->message : "compile failed");
		if (ce)
			hs_free_compile_error(ce);
		return NULL;
	}
	return db;
}
#endif

#ifndef HAVE_HYPERSCAN
void mpm_background_off(void)
{
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
	hs_database_t *db = NULL;
	if (u && set_key(m)) {
		pthread_mutex_lock(&bg_lock);
		db = live_get(m->key, &m->ent);
		pthread_mutex_unlock(&bg_lock);
		key_hex(m->key, key);
	}
	if (db && cache)
		cache->shared++;
	bool cached = cache && cache->dir && *cache->dir && m->keyed;
	if (!db && cached && cache_load(&db, cache, key))
		cache->hits++;
	bool defer = u && !db && cache && cache->defer &&
		     (u >= DEFER_MIN || __atomic_load_n(&bg_never, __ATOMIC_RELAXED));
	if (defer) {
		char path[4096];
		if (!qm_build(m) ||
		    (cached && (size_t)snprintf(path, sizeof(path), "%s/%s.hs", cache->dir, key) <
				       sizeof(path) && !(m->store = v_strdup(path)))) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		cache->deferred++;
	} else if (u && !db) {
		if (!(db = compile_db(m, err, errlen)))
			goto fail;
		if (cache)
			cache->compiled++;
		if (cached)
			cache_store(db, cache, key);
	}
	if (db) {
		pthread_mutex_lock(&bg_lock);
		bool ok = publish(m, db);
		pthread_mutex_unlock(&bg_lock);
		if (!ok) {
			snprintf(err, errlen, "out of memory");
			goto fail;
		}
		if (!keep)
			drop_copies(m);
	}
	v_free(s);
	if (defer)
		bg_queue(m, cache->threads, cache->nice); /* complete now: a running thread may take it */
	return m;
#else
	(void)cache;
	(void)keep;
	if (!qm_build(m)) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
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
		if (!base->qm)
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

#ifdef HAVE_HYPERSCAN
/* s becomes a clone of the prototype (grown for every database published
 * so far); bg_lock held.  False when there is none or out of memory. */
static bool clone_proto(struct mpm_scratch *s)
{
	hs_scratch_t *n = NULL;
	if (!proto || hs_clone_scratch(proto, &n) != HS_SUCCESS)
		return false;
	if (s->hs)
		hs_free_scratch(s->hs);
	s->hs = n;
	s->gen = __atomic_load_n(&gen, __ATOMIC_ACQUIRE);
	return true;
}

/* A worker's scratch, behind the publications: a clone of the prototype
 * (at most once per publication, on the scan that needs it). */
static bool scratch_sync(struct mpm_scratch *s)
{
	pthread_mutex_lock(&bg_lock);
	bool ok = clone_proto(s);
	pthread_mutex_unlock(&bg_lock);
	return ok;
}
#endif

struct mpm_scratch *mpm_scratch_grow(struct mpm_scratch *s, const struct mpm *m)
{
	if (!s && !(s = v_calloc(1, sizeof(*s))))
		return NULL;
#ifdef HAVE_HYPERSCAN
	(void)m;
	pthread_mutex_lock(&bg_lock);
	bg_start(); /* a worker: deferred databases are wanted now */
	bool ok = !proto || s->gen == __atomic_load_n(&gen, __ATOMIC_ACQUIRE) || clone_proto(s);
	pthread_mutex_unlock(&bg_lock);
	if (!ok) {
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
	const struct mpm *d = m->base ? m->base : m;
#ifdef HAVE_HYPERSCAN
	struct scan_ctx sc = { m, cb, ctx, ids };
	const hs_database_t *db = __atomic_load_n(&d->db, __ATOMIC_ACQUIRE);
	if (db && s && (d->ready_gen <= s->gen || scratch_sync(s)) && s->hs) {
		hs_scan(db, (const char *)buf, len, 0, s->hs, on_match, &sc);
		return;
	}
#else
	(void)s;
#endif
	/* (a Hyperscan matcher without scratch and quick index: nothing) */
	if (d->qm)
		qm_scan(d, m, buf, len, cb, ctx, ids);
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
