/*
 * alloc.h - allocation with failure injection, and memcaps.
 *
 * Project code allocates through v_malloc/v_calloc/v_realloc so tests can
 * make the Nth allocation fail (alloc_fail_after) and check that every
 * caller copes.  A memcap is a plain byte budget owned by one thread (each
 * worker has its own share), so charging it costs no atomic operation.
 */
#ifndef VIGIL_ALLOC_H
#define VIGIL_ALLOC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void *v_malloc(size_t n);
void *v_calloc(size_t cnt, size_t n);
void *v_realloc(void *p, size_t n);
void v_free(void *p);
char *v_strdup(const char *s);

/* Allocations (v_malloc, v_calloc, v_realloc) the calling thread has made
 * so far: the packet path's count (alloc.packet_path) is the difference
 * around each packet.  Libraries' own allocations are not seen. */
uint64_t alloc_thread_count(void);

/* Make the nth allocation from now fail (1 = the next); 0 disables. */
void alloc_fail_after(uint64_t n);

struct memcap {
	uint64_t used;
	uint64_t cap;  /* 0 = unlimited */
	uint64_t peak;
	uint64_t hits; /* times a charge was refused */
};

/* Charges n bytes; false (and hits++) if that would exceed the cap. */
static inline bool memcap_charge(struct memcap *m, uint64_t n)
{
	if (m->cap && n > m->cap - (m->used < m->cap ? m->used : m->cap)) {
		m->hits++;
		return false;
	}
	m->used += n;
	if (m->used > m->peak)
		m->peak = m->used;
	return true;
}

static inline void memcap_release(struct memcap *m, uint64_t n)
{
	m->used = n > m->used ? 0 : m->used - n;
}

#endif
