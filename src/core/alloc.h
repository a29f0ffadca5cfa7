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

/* Calls to the system allocator (malloc, calloc, realloc) that v_malloc,
 * v_calloc and v_realloc have made in the calling thread so far; blocks
 * reused from the thread's cache of freed blocks are not counted.  The
 * packet path's count (alloc.packet_path) is the difference around each
 * packet.  Libraries' own allocations are not seen. */
uint64_t alloc_thread_count(void);

/* In a pooling thread (a worker, once it handles packets) small blocks are
 * allocated at their size class's size, so that a freed block serves every
 * later request of its class; other threads (rule loading) get exactly what
 * they ask for. */
void alloc_thread_pool(bool on);

/* Sets aside, for the calling thread, `blocks` blocks of every size class
 * up to 4 KiB, and fewer of the larger ones up to 128 KiB, in one mapping
 * whose pages are touched only when used (alloc.prealloc-blocks); 0 does
 * nothing.  No-op under AddressSanitizer.
 * -1 if there is no room (more than 64 reserves, or mmap failed). */
int alloc_thread_reserve(uint32_t blocks);

/* Frees the calling thread's cache of freed small blocks (done by itself
 * when a thread exits; the main thread calls it before returning). */
void alloc_thread_release(void);

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
