/*
 * testutil.c - see testutil.h.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define GUARD_AREA (256 * 1024)

const uint8_t *guard_copy(const void *data, size_t len)
{
	static uint8_t *area;
	static size_t page;
	if (!area) {
		page = (size_t)sysconf(_SC_PAGESIZE);
		area = mmap(NULL, GUARD_AREA + page, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (area == MAP_FAILED)
			abort();
		if (mprotect(area + GUARD_AREA, page, PROT_NONE))
			abort();
	}
	if (len > GUARD_AREA)
		abort();
	uint8_t *dst = area + GUARD_AREA - len;
	memcpy(dst, data, len);
	return dst;
}
