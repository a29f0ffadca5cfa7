/*
 * alloc.c - see alloc.h.  The failure countdown is an atomic so tests with
 * several workers inject deterministically into whichever thread gets there
 * first.
 *
 * A freed block of up to ALLOC_CLASS_MAX usable bytes (malloc_usable_size)
 * is not handed back to malloc but kept on the freeing thread's list for its
 * size class, up to ALLOC_CACHE_BYTES per thread; the classes are four per
 * power of two from 16 bytes to 1 MiB, and a list holds blocks at least as large as its class.  The
 * next allocation of that class takes a block back without calling malloc.
 * This is the per-worker pool the packet path draws from: a flow's TLS
 * buffers, stream segments and header copies are freed when the flow ends
 * and reused by the next flow, so once warmed up the packet path does not
 * call malloc at all.  Blocks carry no header (the size comes from malloc
 * itself), so rule-load memory is what malloc makes it, and v_realloc within
 * a block's usable size returns the same block.  Only calls that reach
 * malloc, calloc or realloc are counted (alloc_thread_count).  Under
 * AddressSanitizer a cached block is poisoned past its list link, so a use
 * after v_free is still reported.
 *
 * A worker can also set aside a reserve (alloc_thread_reserve, config
 * alloc.prealloc-blocks): blocks of each class up to ALLOC_RESERVE_MAX carved
 * from one anonymous mapping, as Suricata preallocates flows and stream
 * segments.  Their pages are only touched when a block is first used, so an
 * unused reserve costs address space, not memory.  Reserve blocks always go
 * back to a cache when freed (never to malloc), and the mapping lives until
 * the process ends.  Under AddressSanitizer there is no reserve, so that
 * LeakSanitizer still sees every block.
 */
#include "alloc.h"
#include "vigil.h"

#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#ifdef VIGIL_ASAN
#include <sanitizer/asan_interface.h>
#define CACHE_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define CACHE_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define CACHE_POISON(p, n) ((void)(p), (void)(n))
#define CACHE_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

#define ALLOC_CLASSES 60
#define ALLOC_CLASS_MAX (1u << 20)
#define ALLOC_CACHE_BYTES (4u << 20)
#define ALLOC_RESERVE_MAX (128u << 10)
#define ALLOC_RESERVES 64 /* mappings, one per worker */

struct link {
	struct link *next;
};

struct cache {
	struct link *head[ALLOC_CLASSES];
	/* the thread's reserve not yet handed out, per class: [bump, bump_end) */
	char *bump[ALLOC_CLASSES], *bump_end[ALLOC_CLASSES];
	size_t bytes;
	bool registered;
};

static _Atomic uint64_t fail_countdown;
/* allocations made by this thread (alloc_thread_count) */
static _Thread_local uint64_t thread_allocs;
static _Thread_local struct cache cache;
/* round small allocations up to their class (alloc_thread_pool) */
static _Thread_local bool thread_pool;
static pthread_key_t cache_key;

/* reserve mappings: each holds per class c (up to ALLOC_RESERVE_MAX)
 * reserve_blocks(blocks, c) blocks of class_size(c), one class after the
 * other */
struct reserve {
	uintptr_t start, end;
	uint32_t blocks;
	unsigned nclass;                /* classes 0 .. nclass-1 */
	uintptr_t bound[ALLOC_CLASSES]; /* where class c's blocks end */
};
static struct reserve reserves[ALLOC_RESERVES];
static _Atomic unsigned nreserves;
static pthread_once_t cache_once = PTHREAD_ONCE_INIT;

uint64_t alloc_thread_count(void) { return thread_allocs; }

void alloc_thread_pool(bool on) { thread_pool = on; }

void alloc_fail_after(uint64_t n) { atomic_store(&fail_countdown, n); }

static bool should_fail(void)
{
	uint64_t c = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
	if (c == 0)
		return false;
	return atomic_fetch_sub(&fail_countdown, 1) == 1;
}

/* Class sizes: 16, 32, 48, 64, then 2^k + q * 2^(k-2) for q = 1..4, up to
 * ALLOC_CLASS_MAX. */
static size_t class_size(unsigned c)
{
	if (c < 4)
		return 16u * (c + 1);
	unsigned k = 6 + (c - 4) / 4, q = (c - 4) % 4 + 1;
	return ((size_t)1 << k) + q * ((size_t)1 << (k - 2));
}

/* The smallest class that holds n bytes (n <= ALLOC_CLASS_MAX). */
static unsigned class_of(size_t n)
{
	if (n <= 64)
		return n ? (unsigned)((n - 1) / 16) : 0;
	unsigned k = 63 - (unsigned)__builtin_clzll((unsigned long long)(n - 1));
	size_t base = (size_t)1 << k, step = base >> 2;
	unsigned q = (unsigned)((n - base + step - 1) / step);
	return 4 + (k - 6) * 4 + (q - 1);
}

#ifndef VIGIL_ASAN
/* Blocks of class c in a reserve of `blocks`: that many up to 4 KiB, then
 * as many as fit in blocks * 1 KiB (at least 4), since large buffers are
 * fewer.  (Only alloc_thread_reserve lays reserves out; sanitizer builds
 * have none.) */
static uint32_t reserve_blocks(uint32_t blocks, unsigned c)
{
	size_t sz = class_size(c);
	if (sz <= 4096)
		return blocks;
	size_t n = (size_t)blocks * 1024 / sz;
	return n < 4 ? 4 : (uint32_t)n;
}
#endif

/* Reserve blocks: the class of p if it lies in a reserve mapping, or -1
 * (a binary search of the mapping's class bounds: every free of a small
 * block asks). */
static int reserve_class(const void *p)
{
	uintptr_t a = (uintptr_t)p;
	unsigned n = atomic_load_explicit(&nreserves, memory_order_acquire);
	for (unsigned i = 0; i < n; i++) {
		const struct reserve *r = &reserves[i];
		if (a < r->start || a >= r->end)
			continue;
		unsigned lo = 0, hi = r->nclass - 1; /* the first class whose bound is past a */
		while (lo < hi) {
			unsigned mid = (lo + hi) / 2;
			if (a < r->bound[mid])
				hi = mid;
			else
				lo = mid + 1;
		}
		return (int)lo;
	}
	return -1;
}

/* Usable bytes of a block, and its class if it is a reserve block. */
static size_t block_size(void *p, int *rc)
{
	*rc = nreserves ? reserve_class(p) : -1;
	return *rc >= 0 ? class_size((unsigned)*rc) : malloc_usable_size(p);
}

void alloc_thread_release(void)
{
	for (unsigned c = 0; c < ALLOC_CLASSES; c++) {
		struct link *l = cache.head[c];
		while (l) {
			struct link *next = l->next;
			int rc;
			size_t sz = block_size(l, &rc);
			CACHE_UNPOISON(l, sz);
			if (rc < 0)
				free(l);
			l = next;
		}
		cache.head[c] = NULL;
	}
	cache.bytes = 0;
}

static void cache_destructor(void *unused)
{
	(void)unused;
	alloc_thread_release();
}

static void cache_key_init(void) { (void)pthread_key_create(&cache_key, cache_destructor); }

/* What to ask malloc for: n, or in a pooling thread n's class size, so
 * that the block serves any request of its class when it comes back. */
static size_t pool_size(size_t n)
{
	if (!n)
		return 1;
	return thread_pool && n <= ALLOC_CLASS_MAX ? class_size(class_of(n)) : n;
}

/* A cached block that holds n bytes, or NULL. */
static void *cache_take(size_t n)
{
	if (n > ALLOC_CLASS_MAX)
		return NULL;
	unsigned c = class_of(n);
	struct link *l = cache.head[c];
	if (!l) {
		if (cache.bump[c] == cache.bump_end[c])
			return NULL;
		void *p = cache.bump[c];
		cache.bump[c] += class_size(c);
		return p;
	}
	cache.head[c] = l->next;
	int rc;
	size_t sz = block_size(l, &rc);
	CACHE_UNPOISON((char *)l + sizeof(*l), sz - sizeof(*l));
	if (rc < 0)
		cache.bytes -= sz;
	return l;
}

void *v_malloc(size_t n)
{
	if (should_fail())
		return NULL;
	void *p = cache_take(n);
	if (p)
		return p;
	thread_allocs++;
	return malloc(pool_size(n));
}

void *v_calloc(size_t cnt, size_t n)
{
	if (should_fail())
		return NULL;
	if (n && cnt > SIZE_MAX / n)
		return NULL;
	void *p = cache_take(cnt * n);
	if (p) {
		memset(p, 0, cnt * n);
		return p;
	}
	thread_allocs++;
	if (thread_pool)
		return calloc(1, pool_size(cnt * n));
	return calloc(cnt ? cnt : 1, n ? n : 1);
}

void v_free(void *p)
{
	if (!p)
		return;
	int rc;
	size_t sz = block_size(p, &rc);
	unsigned c;
	if (rc >= 0) {
		c = (unsigned)rc; /* a reserve block: always kept */
	} else {
		if (!thread_pool || sz < sizeof(struct link) || sz > 2 * ALLOC_CLASS_MAX ||
		    cache.bytes + sz > ALLOC_CACHE_BYTES) {
			free(p);
			return;
		}
		/* the list whose class this block can serve: the largest class <= sz */
		c = sz > ALLOC_CLASS_MAX ? ALLOC_CLASSES - 1 : class_of(sz);
		if (class_size(c) > sz) {
			if (c == 0) {
				free(p);
				return;
			}
			c--;
		}
		cache.bytes += sz;
	}
	if (!cache.registered) {
		/* a thread's cache is released when it exits */
		cache.registered = true;
		pthread_once(&cache_once, cache_key_init);
		(void)pthread_setspecific(cache_key, &cache);
	}
	struct link *l = p;
	l->next = cache.head[c];
	cache.head[c] = l;
	CACHE_POISON((char *)l + sizeof(*l), sz - sizeof(*l));
}

void *v_realloc(void *p, size_t n)
{
	if (!p)
		return v_malloc(n);
	if (should_fail())
		return NULL;
	int rc;
	size_t have = block_size(p, &rc);
	if (n <= have && n >= have / 4)
		return p; /* fits without wasting most of the block */
	void *q = cache_take(n);
	if (!q && rc >= 0) {
		/* a reserve block cannot be realloc'ed */
		thread_allocs++;
		q = malloc(pool_size(n));
		if (!q)
			return NULL;
	}
	if (q) {
		memcpy(q, p, have < n ? have : n);
		v_free(p);
		return q;
	}
	thread_allocs++;
	return realloc(p, pool_size(n));
}

int alloc_thread_reserve(uint32_t blocks)
{
#ifdef VIGIL_ASAN
	(void)blocks;
	return 0;
#else
	if (!blocks)
		return 0;
	unsigned top = class_of(ALLOC_RESERVE_MAX);
	size_t len = 0;
	for (unsigned c = 0; c <= top; c++)
		len += (size_t)reserve_blocks(blocks, c) * class_size(c);
	unsigned i = atomic_load(&nreserves);
	do {
		if (i >= ALLOC_RESERVES)
			return -1;
	} while (!atomic_compare_exchange_weak(&nreserves, &i, i + 1));
	void *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (m == MAP_FAILED)
		return -1; /* the slot stays empty (start == end) */
	reserves[i].blocks = blocks;
	reserves[i].nclass = top + 1;
	/* handed out in address order, so pages are touched as it is used */
	char *base = m;
	for (unsigned c = 0; c <= top; c++) {
		cache.bump[c] = base;
		base += (size_t)reserve_blocks(blocks, c) * class_size(c);
		cache.bump_end[c] = base;
		reserves[i].bound[c] = (uintptr_t)base;
	}
	/* (start and end last: a reader that sees the range sees the bounds) */
	reserves[i].start = (uintptr_t)m;
	atomic_thread_fence(memory_order_release);
	reserves[i].end = (uintptr_t)m + len;
	if (!cache.registered) {
		cache.registered = true;
		pthread_once(&cache_once, cache_key_init);
		(void)pthread_setspecific(cache_key, &cache);
	}
	return 0;
#endif
}

char *v_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = v_malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}
