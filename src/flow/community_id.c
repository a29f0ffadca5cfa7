/*
 * community_id.c - Community ID flow hashing, version 1: the base64 SHA-1
 * of seed(2) . saddr . daddr . proto(1) . 0(1) . sport(2) . dport(2), with
 * the endpoints in a canonical order so both directions hash alike, and
 * ICMP types mapped to "ports" (request/response types pair up; other
 * types are one-way and keep their order).  Uses OpenSSL's SHA-1.
 */
#include "flow.h"

#include "digest.h"
#include <string.h>

static bool icmp_counterpart(uint8_t ver, uint8_t type, uint8_t *other)
{
	static const uint8_t v4[][2] = { { 8, 0 }, { 0, 8 }, { 13, 14 }, { 14, 13 },
					 { 15, 16 }, { 16, 15 }, { 10, 9 }, { 9, 10 },
					 { 17, 18 }, { 18, 17 } };
	static const uint8_t v6[][2] = { { 128, 129 }, { 129, 128 }, { 133, 134 },
					 { 134, 133 }, { 135, 136 }, { 136, 135 },
					 { 130, 131 }, { 131, 130 }, { 139, 140 },
					 { 140, 139 }, { 144, 145 }, { 145, 144 } };
	const uint8_t(*t)[2] = ver == 4 ? v4 : v6;
	size_t n = ver == 4 ? ARRAY_SIZE(v4) : ARRAY_SIZE(v6);
	for (size_t i = 0; i < n; i++) {
		if (t[i][0] == type) {
			*other = t[i][1];
			return true;
		}
	}
	return false;
}

void community_id(const struct flow *f, uint16_t seed, char out[static 32])
{
	size_t alen = f->key.ip_ver == 4 ? 4 : 16;
	const uint8_t *sa = f->key.src, *da = f->key.dst;
	uint16_t sp = f->key.sp, dp = f->key.dp;
	bool one_way = false;
	bool icmp = (f->key.proto == 1 && f->key.ip_ver == 4) ||
		    (f->key.proto == 58 && f->key.ip_ver == 6);
	if (icmp) {
		uint8_t type = f->icmp_seen[0] ? f->icmp_type[0] : f->icmp_type[1];
		uint8_t code = f->icmp_seen[0] ? f->icmp_code[0] : f->icmp_code[1];
		uint8_t other;
		if (!f->icmp_seen[0]) { /* only the reverse was seen */
			sa = f->key.dst;
			da = f->key.src;
		}
		sp = type;
		if (icmp_counterpart(f->key.ip_ver, type, &other)) {
			dp = other;
		} else {
			dp = code;
			one_way = true;
		}
	}
	if (!one_way) {
		int c = memcmp(sa, da, alen);
		if (c > 0 || (c == 0 && sp > dp)) {
			const uint8_t *t = sa;
			sa = da;
			da = t;
			uint16_t tp = sp;
			sp = dp;
			dp = tp;
		}
	}
	uint8_t buf[2 + 16 + 16 + 2 + 4];
	size_t n = 0;
	buf[n++] = (uint8_t)(seed >> 8);
	buf[n++] = (uint8_t)seed;
	memcpy(buf + n, sa, alen);
	n += alen;
	memcpy(buf + n, da, alen);
	n += alen;
	buf[n++] = f->key.proto;
	buf[n++] = 0;
	if (f->key.proto == 6 || f->key.proto == 17 || f->key.proto == 132 || icmp) {
		buf[n++] = (uint8_t)(sp >> 8);
		buf[n++] = (uint8_t)sp;
		buf[n++] = (uint8_t)(dp >> 8);
		buf[n++] = (uint8_t)dp;
	}
	uint8_t md[20];
	if (!digest(DIGEST_SHA1, buf, n, md)) {
		out[0] = '\0';
		return;
	}
	out[0] = '1';
	out[1] = ':';
	base64_encode(md, sizeof(md), out + 2);
}
