/*
 * fuzz_mpm.c - libFuzzer target for the prefilter's quick index (mpm.c,
 * struct qm): the input is a pattern set and a buffer; the quick index
 * must report exactly the rules a compiled database of the same set
 * reports (with Hyperscan; without it, both are quick indexes and only
 * memory errors are looked for).  Input: byte 0 the number of patterns
 * (1 to 64), then per pattern a byte whose low 4 bits are its length
 * less one and whose bit 7 makes it caseless, then its bytes; the rest
 * is the buffer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mpm.h"

static void hit(void *ctx, uint32_t rule)
{
	*(uint64_t *)ctx |= 1ull << rule;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool init;
	if (!init) {
		mpm_background_off(); /* every set keeps its quick index */
		init = true;
	}
	if (size < 1)
		return 0;
	uint32_t n = data[0] % 64 + 1, np = 0;
	size_t at = 1;
	struct mpm_pattern p[64];
	while (np < n && at < size) {
		uint32_t len = (data[at] & 15) + 1;
		bool nc = data[at] & 0x80;
		at++;
		if (size - at < len)
			break;
		p[np] = (struct mpm_pattern){ data + at, len, nc, np };
		np++;
		at += len;
	}
	if (!np)
		return 0;
	/* the buffer, copied to exactly its length so ASan sees an overread */
	size_t blen = size - at;
	uint8_t *buf = malloc(blen ? blen : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + at, blen);
	char err[256];
	struct mpm_cache dc = { .defer = true, .threads = 1 };
	struct mpm *q = mpm_build(p, np, &dc, err, sizeof(err));
	struct mpm *h = mpm_build(p, np, NULL, err, sizeof(err));
	if (q && h) {
		struct mpm_scratch *s = mpm_scratch_grow(NULL, q);
		s = s ? mpm_scratch_grow(s, h) : NULL;
		if (s) {
			uint64_t a = 0, b = 0;
			mpm_scan(q, s, buf, (uint32_t)blen, hit, &a);
			mpm_scan(h, s, buf, (uint32_t)blen, hit, &b);
			if (a != b) {
				fprintf(stderr, "quick index %#llx, database %#llx\n",
					(unsigned long long)a, (unsigned long long)b);
				abort();
			}
			mpm_scratch_free(s);
		}
	}
	mpm_free(q);
	mpm_free(h);
	free(buf);
	return 0;
}
