/* Unit tests for the table of the VMs' DNS answers: learn, look up, expire,
 * per-VM separation, replacement, bounded size, several threads. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "resolved.h"

static void test_learn_lookup(void **state)
{
	(void)state;
	struct resolved *r = resolved_new(1000);
	uint8_t a[16] = { 93, 184, 216, 34 }, b[16] = { 93, 184, 216, 35 };
	char name[128];
	resolved_learn(r, 1, 4, a, "example.com", 100);
	assert_true(resolved_lookup(r, 1, 4, a, 50, name, sizeof(name)));
	assert_string_equal(name, "example.com");
	assert_true(resolved_lookup(r, 1, 4, a, 100, name, sizeof(name)));
	assert_false(resolved_lookup(r, 1, 4, a, 101, name, sizeof(name))); /* expired */
	assert_false(resolved_lookup(r, 2, 4, a, 50, name, sizeof(name)));  /* another VM */
	assert_false(resolved_lookup(r, 1, 4, b, 50, name, sizeof(name)));
	assert_false(resolved_lookup(r, 1, 6, a, 50, name, sizeof(name)));
	resolved_learn(r, 1, 4, a, "www.example.org", 200); /* a later answer replaces */
	assert_true(resolved_lookup(r, 1, 4, a, 150, name, sizeof(name)));
	assert_string_equal(name, "www.example.org");
	/* long names are kept truncated, never overflow */
	char longname[300];
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	resolved_learn(r, 3, 4, a, longname, 10);
	assert_true(resolved_lookup(r, 3, 4, a, 5, name, sizeof(name)));
	assert_true(strlen(name) < 100);
	resolved_free(r);
}

/* Far more answers than the table holds: it stays bounded, and recent
 * answers are found. */
static void test_bounded(void **state)
{
	(void)state;
	struct resolved *r = resolved_new(1024);
	size_t mem = resolved_memory(r);
	for (uint32_t i = 0; i < 200000; i++) {
		uint8_t a[16] = { 11, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };
		resolved_learn(r, 7, 4, a, "n.example", 1000 + i);
	}
	assert_int_equal(resolved_memory(r), mem);
	unsigned found = 0;
	for (uint32_t i = 199000; i < 200000; i++) {
		uint8_t a[16] = { 11, (uint8_t)(i >> 16), (uint8_t)(i >> 8), (uint8_t)i };
		found += resolved_lookup(r, 7, 4, a, 1000, NULL, 0);
	}
	assert_true(found > 900); /* the newest survive eviction */
	resolved_free(r);
}

static struct resolved *shared;

static void *worker(void *arg)
{
	uint64_t vm = (uint64_t)(uintptr_t)arg;
	for (uint32_t i = 0; i < 100000; i++) {
		uint8_t a[16] = { 12, (uint8_t)vm, (uint8_t)(i >> 8), (uint8_t)i };
		resolved_learn(shared, vm, 4, a, "t.example", 100000);
		char name[32];
		if (!resolved_lookup(shared, vm, 4, a, 1, name, sizeof(name)) || strcmp(name, "t.example"))
			return (void *)1;
	}
	return NULL;
}

static void test_threads(void **state)
{
	(void)state;
	shared = resolved_new(1u << 20);
	pthread_t t[4];
	for (uintptr_t i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&t[i], NULL, worker, (void *)(i + 1)), 0);
	for (int i = 0; i < 4; i++) {
		void *rv;
		pthread_join(t[i], &rv);
		assert_null(rv);
	}
	resolved_free(shared);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_learn_lookup),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
