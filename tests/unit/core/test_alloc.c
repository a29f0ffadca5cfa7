/* Unit tests for the allocator: the per-thread cache of freed blocks, the
 * reserve, realloc within a block, failure injection and the count of
 * calls that reach malloc (alloc.packet_path). */
#include <malloc.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "alloc.h"
#include "util.h"
#include "vigil.h"

/* A thread that does not pool frees to malloc: every allocation counts. */
static void test_unpooled_counts_every_call(void **state)
{
	(void)state;
	alloc_thread_pool(false);
	uint64_t a0 = alloc_thread_count();
	for (int i = 0; i < 10; i++)
		v_free(v_malloc(100));
	assert_int_equal(alloc_thread_count() - a0, 10);
}

/* A pooling thread reuses a freed block of the same class without malloc,
 * whatever the exact size in the class. */
static void test_pooled_reuse(void **state)
{
	(void)state;
	alloc_thread_pool(true);
	void *p = v_malloc(100); /* class 112 */
	assert_non_null(p);
	memset(p, 0xab, 100);
	v_free(p);
	uint64_t a0 = alloc_thread_count();
	void *q = v_malloc(110);
	assert_int_equal(alloc_thread_count(), a0);
	assert_ptr_equal(p, q);
	v_free(q);
	/* calloc from the cache is zeroed */
	uint8_t *z = v_calloc(1, 105);
	assert_int_equal(alloc_thread_count(), a0);
	for (int i = 0; i < 105; i++)
		assert_int_equal(z[i], 0);
	v_free(z);
	/* a request of another class is a miss */
	void *r = v_malloc(1000);
	assert_int_equal(alloc_thread_count(), a0 + 1);
	v_free(r);
	alloc_thread_release();
	alloc_thread_pool(false);
}

/* realloc within the block's size keeps the block and its contents;
 * beyond, the contents move. */
static void test_grow_in_place(void **state)
{
	(void)state;
	alloc_thread_pool(true);
	char *p = v_malloc(200);
	for (int i = 0; i < 200; i++)
		p[i] = (char)i;
	uint64_t a0 = alloc_thread_count();
	char *q = v_realloc(p, 220); /* 200 was rounded up to 224 */
	assert_ptr_equal(p, q);
	assert_int_equal(alloc_thread_count(), a0);
	char *r = v_realloc(q, 5000);
	assert_non_null(r);
	for (int i = 0; i < 200; i++)
		assert_int_equal(r[i], (char)i);
	/* a large block shrinking keeps its first bytes */
	char *s = v_realloc(r, 100);
	assert_non_null(s);
	for (int i = 0; i < 100; i++)
		assert_int_equal(s[i], (char)i);
	v_free(s);
	void *z = v_realloc(NULL, 0); /* like malloc(0): a block, not NULL */
	assert_non_null(z);
	v_free(z);
	alloc_thread_release();
	alloc_thread_pool(false);
}

/* The cache is bounded: freeing far more than it holds hands the rest
 * back to malloc, and release empties it. */
static void test_cache_bound(void **state)
{
	(void)state;
	alloc_thread_pool(true);
	enum { N = 200 };
	void *v[N];
	for (int i = 0; i < N; i++)
		assert_non_null(v[i] = v_malloc(60000));
	for (int i = 0; i < N; i++)
		v_free(v[i]); /* 200 x ~60 KB: over the 4 MiB bound */
	uint64_t a0 = alloc_thread_count();
	for (int i = 0; i < N; i++)
		v[i] = v_malloc(60000);
	uint64_t misses = alloc_thread_count() - a0;
	assert_true(misses > 0 && misses < N);
	for (int i = 0; i < N; i++)
		v_free(v[i]);
	alloc_thread_release();
	a0 = alloc_thread_count();
	v_free(v_malloc(60000));
	assert_int_equal(alloc_thread_count(), a0 + 1);
	alloc_thread_release();
	alloc_thread_pool(false);
}

/* The reserve serves every class up to 128 KiB without malloc, blocks
 * freed go back to it, and realloc out of a reserve block copies. */
static void *reserve_thread(void *arg)
{
	(void)arg;
	alloc_thread_pool(true);
	if (alloc_thread_reserve(8) < 0)
		return (void *)1;
	uint64_t a0 = alloc_thread_count();
	static const size_t sizes[] = { 1, 16, 17, 100, 1000, 4096, 5000, 65536, 100000, 131072 };
	void *v[ARRAY_SIZE(sizes)][4];
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++)
		for (int k = 0; k < 4; k++) {
			v[i][k] = v_malloc(sizes[i]);
			if (!v[i][k])
				return (void *)2;
			memset(v[i][k], 0x5a, sizes[i]);
		}
	uint64_t used = alloc_thread_count() - a0;
	for (size_t i = 0; i < ARRAY_SIZE(sizes); i++)
		for (int k = 0; k < 4; k++)
			v_free(v[i][k]);
	char *p = v_malloc(1000);
	memset(p, 7, 1000);
	p = v_realloc(p, 300000); /* beyond every class of the reserve */
	if (!p || p[999] != 7)
		return (void *)3;
	v_free(p);
	alloc_thread_release();
	return used == 0 ? NULL : (void *)4;
}

static void test_reserve(void **state)
{
	(void)state;
#ifdef VIGIL_ASAN
	skip(); /* no reserve under AddressSanitizer */
#endif
	pthread_t t;
	void *rv = (void *)-1;
	assert_int_equal(pthread_create(&t, NULL, reserve_thread, NULL), 0);
	pthread_join(t, &rv);
	assert_null(rv);
}

/* Failure injection reaches cached blocks too. */
static void test_fail_injection(void **state)
{
	(void)state;
	alloc_thread_pool(true);
	v_free(v_malloc(64));
	alloc_fail_after(1);
	assert_null(v_malloc(64));
	void *p = v_malloc(64);
	assert_non_null(p);
	alloc_fail_after(1);
	assert_null(v_realloc(p, 32));
	alloc_fail_after(0);
	v_free(p);
	alloc_thread_release();
	alloc_thread_pool(false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unpooled_counts_every_call),
		cmocka_unit_test(test_pooled_reuse),
		cmocka_unit_test(test_grow_in_place),
		cmocka_unit_test(test_cache_bound),
		cmocka_unit_test(test_reserve),
		cmocka_unit_test(test_fail_injection),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
