/*
 * alloc.c - see alloc.h.  The failure countdown is an atomic so tests with
 * several workers inject deterministically into whichever thread gets there
 * first.
 */
#include "alloc.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

static _Atomic uint64_t fail_countdown;
/* allocations made by this thread (alloc_thread_count) */
static _Thread_local uint64_t thread_allocs;

uint64_t alloc_thread_count(void) { return thread_allocs; }

void alloc_fail_after(uint64_t n) { atomic_store(&fail_countdown, n); }

static bool should_fail(void)
{
	uint64_t c = atomic_load_explicit(&fail_countdown, memory_order_relaxed);
	if (c == 0)
		return false;
	return atomic_fetch_sub(&fail_countdown, 1) == 1;
}

void *v_malloc(size_t n)
{
	thread_allocs++;
	if (should_fail())
		return NULL;
	return malloc(n ? n : 1);
}

void *v_calloc(size_t cnt, size_t n)
{
	thread_allocs++;
	if (should_fail())
		return NULL;
	return calloc(cnt ? cnt : 1, n ? n : 1);
}

void *v_realloc(void *p, size_t n)
{
	thread_allocs++;
	if (should_fail())
		return NULL;
	return realloc(p, n ? n : 1);
}

void v_free(void *p) { free(p); }

char *v_strdup(const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = v_malloc(n);
	if (d)
		memcpy(d, s, n);
	return d;
}
