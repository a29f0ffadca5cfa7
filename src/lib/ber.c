/*
 * ber.c - see ber.h.
 */
#include "ber.h"

#include <stdio.h>

bool ber_header(const uint8_t *p, size_t n, struct ber_hdr *h)
{
	size_t k = 1;
	if (n < 2)
		return false;
	h->cls = p[0] >> 6;
	h->constructed = p[0] & 0x20;
	h->tag = p[0] & 0x1f;
	if (h->tag == 0x1f) { /* high tag number: base 128, at most 4 bytes */
		h->tag = 0;
		do {
			if (k >= n || k > 4)
				return false;
			h->tag = h->tag << 7 | (p[k] & 0x7f);
		} while (p[k++] & 0x80);
	}
	if (k >= n)
		return false;
	uint8_t l0 = p[k++];
	if (l0 < 0x80) {
		h->len = l0;
	} else {
		unsigned nb = l0 & 0x7f;
		if (!nb || nb > 4 || k + nb > n)
			return false; /* indefinite, or longer than 4 bytes */
		h->len = 0;
		for (unsigned i = 0; i < nb; i++)
			h->len = h->len << 8 | p[k++];
	}
	h->hlen = (uint32_t)k;
	return h->len <= n - k;
}

bool ber_next(struct ber *b, uint8_t *tag, struct ber *val)
{
	struct ber_hdr h;
	/* vigil's parsers read low tag numbers only: a high one is malformed */
	if (!b->n || (b->p[0] & 0x1f) == 0x1f || !ber_header(b->p, b->n, &h))
		return false;
	*tag = b->p[0];
	val->p = b->p + h.hlen;
	val->n = h.len;
	b->p += h.hlen + h.len;
	b->n -= h.hlen + h.len;
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
