/*
 * ber.c - see ber.h.
 */
#include "ber.h"

#include <stdio.h>

bool ber_next(struct ber *b, uint8_t *tag, struct ber *val)
{
	if (b->n < 2 || (b->p[0] & 0x1f) == 0x1f)
		return false;
	*tag = b->p[0];
	size_t len = b->p[1], hl = 2;
	if (len & 0x80) {
		size_t k = len & 0x7f;
		if (k == 0 || k > 4 || b->n < 2 + k)
			return false;
		len = 0;
		for (size_t i = 0; i < k; i++)
			len = len << 8 | b->p[2 + i];
		hl += k;
	}
	if (len > b->n - hl)
		return false;
	val->p = b->p + hl;
	val->n = len;
	b->p += hl + len;
	b->n -= hl + len;
	return true;
}

bool ber_expect(struct ber *b, uint8_t t, struct ber *val)
{
	struct ber save = *b;
	uint8_t tag;
	if (ber_next(b, &tag, val) && tag == t)
		return true;
	*b = save;
	return false;
}

bool ber_int(const struct ber *v, uint64_t *out)
{
	if (!v->n || v->n > 8)
		return false;
	uint64_t x = (v->p[0] & 0x80) ? ~0ULL : 0; /* negative: sign-extended */
	for (size_t i = 0; i < v->n; i++)
		x = x << 8 | v->p[i];
	*out = x;
	return true;
}

bool ber_oid(const struct ber *v, char *out, size_t cap)
{
	size_t o = 0;
	uint64_t x = 0;
	bool first = true;
	if (!v->n || !cap)
		return false;
	for (size_t i = 0; i < v->n; i++) {
		if (x >> 56)
			return false; /* a sub-identifier past 64 bits */
		x = x << 7 | (v->p[i] & 0x7f);
		if (v->p[i] & 0x80)
			continue;
		int w;
		if (first) {
			uint64_t a = x < 80 ? x / 40 : 2, b = x < 80 ? x % 40 : x - 80;
			w = snprintf(out + o, cap - o, "%llu.%llu", (unsigned long long)a, (unsigned long long)b);
			first = false;
		} else {
			w = snprintf(out + o, cap - o, ".%llu", (unsigned long long)x);
		}
		if (w < 0 || (size_t)w >= cap - o)
			return false;
		o += (size_t)w;
		x = 0;
	}
	return !(v->p[v->n - 1] & 0x80); /* the last sub-identifier ended */
}
