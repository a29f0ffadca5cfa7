/*
 * lists.c - see lists.h.
 *
 * Address lists: IPv4 entries become intervals [lo, hi] sorted by lo.
 * CIDR blocks are either disjoint or nested, so once the nested ones are
 * dropped (the covering entry is the one reported) the intervals are
 * disjoint and a lookup is one binary search; 8 bytes an entry.  IPv6 the
 * same with 128-bit bounds.
 *
 * Domain sets: the names in one arena, an array of entries (offset,
 * length, suffix flag) and an open-addressing table of entry indexes keyed
 * by a hash of the name: about 37 bytes an entry for a million names.  A
 * lookup hashes the name and each of its parents (one per label).
 */
#include "lists.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "util.h"
#include "vigil.h"

#define LIST_MAX_FILE (1u << 30)      /* 1 GiB */
#define LIST_MAX_ENTRIES (1u << 25)   /* 33 million */
#define NAME_MAX_LEN 253

typedef unsigned __int128 u128;

/* Lines from a file (read in blocks, never whole) or from text in memory.
 * Lines longer than LINE_MAX_LEN are cut there (no entry is that long). */
#define LINE_MAX_LEN 4096

struct lines {
	FILE *f;
	const char *text;
	size_t len, off;
	char buf[LINE_MAX_LEN + 2];
};

static bool next_line(struct lines *L, const char **s, size_t *n)
{
	if (L->f) {
		if (!fgets(L->buf, sizeof(L->buf), L->f))
			return false;
		size_t k = strlen(L->buf);
		if (k && L->buf[k - 1] == '\n') {
			k--;
		} else if (k == sizeof(L->buf) - 1) {
			/* too long: keep the start, drop the rest of the line */
			int c;
			while ((c = fgetc(L->f)) != EOF && c != '\n')
				;
		}
		*s = L->buf;
		*n = k;
		return true;
	}
	if (L->off >= L->len)
		return false;
	const char *p = L->text + L->off;
	const char *nl = memchr(p, '\n', L->len - L->off);
	size_t k = nl ? (size_t)(nl - p) : L->len - L->off;
	L->off += k + 1;
	*s = p;
	*n = k;
	return true;
}

/* Opens path for reading; *size its size, *nlines an upper bound on its
 * lines (counted in a first pass, so that the arrays are sized once). */
static FILE *open_list(const char *path, uint64_t *size, uint64_t *nlines, struct verr *e)
{
	FILE *f = fopen(path, "re");
	if (!f) {
		verr_set(e, V_EIO, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat st;
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > LIST_MAX_FILE) {
		fclose(f);
		verr_set(e, V_EIO, "%s: not a regular file of at most 1 GiB", path);
		return NULL;
	}
	char blk[65536];
	size_t k;
	uint64_t n = 1;
	while ((k = fread(blk, 1, sizeof(blk), f)) > 0)
		for (const char *p = blk; (p = memchr(p, '\n', (size_t)(blk + k - p))); p++)
			n++;
	rewind(f);
	*size = (uint64_t)st.st_size;
	*nlines = n;
	return f;
}

static size_t strcspn_n(const char *s, size_t max, char c)
{
	const char *p = memchr(s, c, max);
	return p ? (size_t)(p - s) : max;
}

static void note_skip(struct list_stats *st, uint64_t lno)
{
	if (!st->skipped++)
		st->first_skipped = lno;
}

/* ---- addresses ---- */

struct range4 {
	uint32_t lo, hi;
};

struct range6 {
	u128 lo, hi;
};

/* an entry of a valued list until iplist_seal.  IPv4: one sort key, the
 * network's address, prefix length and whether it is a plain address
 * (VKEY4), sorted by a stable radix sort so that equal entries keep the
 * order they were added in.  IPv6: bounds and k (host << 32 | order) for
 * a comparison sort with the same outcome. */
struct ventry4 {
	uint64_t key;
	uint32_t val;
};

struct ventry6 {
	u128 lo, hi;
	uint32_t val;
	uint64_t k;
};

#define VKEY4(lo, plen, host) ((uint64_t)(lo) << 7 | (uint64_t)(plen) << 1 | (uint64_t)(host))
#define VKEY4_BITS 39

struct iplist {
	struct range4 *v4;
	uint32_t n4, cap4;
	struct range6 *v6;
	uint32_t n6, cap6;
	/* valued lists (iplist_new): the value of each range, and the
	 * entries while it is built */
	uint32_t *val4, *val6;
	struct ventry4 *p4;
	struct ventry6 *p6;
	uint32_t np4, capp4, np6, capp6, seq;
	bool valued, sealed;
};

static u128 load128(const uint8_t *a)
{
	u128 x = 0;
	for (int i = 0; i < 16; i++)
		x = x << 8 | a[i];
	return x;
}

static void store128(u128 x, uint8_t *a)
{
	for (int i = 15; i >= 0; i--) {
		a[i] = (uint8_t)x;
		x >>= 8;
	}
}

/* Private, loopback, link-local, shared and unspecified space: entries
 * overlapping any of these are not used. */
static bool reserved4(uint32_t lo, uint32_t hi)
{
	static const struct {
		uint32_t net;
		unsigned plen;
	} r[] = {
		{ 0x00000000u, 8 },  { 0x0a000000u, 8 },  { 0x7f000000u, 8 },  { 0x64400000u, 10 },
		{ 0xa9fe0000u, 16 }, { 0xac100000u, 12 }, { 0xc0a80000u, 16 },
	};
	for (size_t i = 0; i < ARRAY_SIZE(r); i++) {
		uint32_t rlo = r[i].net, rhi = r[i].net | (0xffffffffu >> r[i].plen);
		if (lo <= rhi && hi >= rlo)
			return true;
	}
	return false;
}

static bool reserved6(u128 lo, u128 hi)
{
	/* fc00::/7, fe80::/10 */
	u128 fc_lo = (u128)0xfc << 120, fc_hi = fc_lo | (((u128)1 << 121) - 1);
	u128 fe_lo = (u128)0xfe80 << 112, fe_hi = fe_lo | (((u128)1 << 118) - 1);
	if ((lo <= fc_hi && hi >= fc_lo) || (lo <= fe_hi && hi >= fe_lo))
		return true;
	return lo <= 1; /* ::, ::1 (and anything that starts there) */
}

bool addr_is_reserved(uint8_t ver, const uint8_t *a)
{
	if (ver == 4) {
		uint32_t x = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
		return reserved4(x, x) || x >= 0xe0000000u; /* and multicast, broadcast */
	}
	u128 x = load128(a);
	return reserved6(x, x) || a[0] == 0xff;
}

/* "a.b.c.d[/n]" or "x::y[/n]" into an interval; false if not one. */
static bool parse_net(const char *s, size_t n, int *ver, u128 *lo, u128 *hi)
{
	char buf[64];
	if (!n || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	char *slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	uint8_t a[16] = { 0 };
	unsigned bits;
	if (inet_pton(AF_INET, buf, a) == 1) {
		*ver = 4;
		bits = 32;
	} else if (inet_pton(AF_INET6, buf, a) == 1) {
		*ver = 6;
		bits = 128;
	} else {
		return false;
	}
	unsigned plen = bits;
	if (slash) {
		char *end;
		errno = 0;
		unsigned long pl = strtoul(slash, &end, 10);
		if (!*slash || *end || errno || pl > bits)
			return false;
		plen = (unsigned)pl;
	}
	if (*ver == 4) {
		uint32_t x = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
		uint32_t host = plen >= 32 ? 0 : 0xffffffffu >> plen;
		*lo = x & ~host;
		*hi = (x & ~host) | host;
	} else {
		u128 x = load128(a);
		u128 host = plen >= 128 ? 0 : plen == 0 ? ~(u128)0 : (((u128)1 << (128 - plen)) - 1);
		*lo = x & ~host;
		*hi = (x & ~host) | host;
	}
	return true;
}

/* An in-place sort for the ranges (glibc's qsort merges through a copy
 * of the array, which doubles a big list's memory while it is built, a
 * reload's peak): quicksort on the median of three, insertion sort below
 * 16, recursing on the smaller side (stack depth log2 n). */
#define RANGE_SORT(NAME, T, LESS)                                                         \
	static void NAME(T *v, size_t n)                                                  \
	{                                                                                 \
		while (n > 16) {                                                          \
			size_t m = n / 2, l = n - 1;                                      \
			T t;                                                              \
			if (LESS(&v[m], &v[0])) { t = v[m]; v[m] = v[0]; v[0] = t; }      \
			if (LESS(&v[l], &v[0])) { t = v[l]; v[l] = v[0]; v[0] = t; }      \
			if (LESS(&v[l], &v[m])) { t = v[l]; v[l] = v[m]; v[m] = t; }      \
			T pivot = v[m];                                                   \
			size_t i = 0, j = l;                                              \
			for (;;) {                                                        \
				while (LESS(&v[i], &pivot))                               \
					i++;                                              \
				while (LESS(&pivot, &v[j]))                               \
					j--;                                              \
				if (i >= j)                                               \
					break;                                            \
				t = v[i]; v[i] = v[j]; v[j] = t;                          \
				i++;                                                      \
				j--;                                                      \
			}                                                                 \
			/* [0, j] and [j + 1, n) */                                       \
			if (j + 1 < n - j - 1) {                                          \
				NAME(v, j + 1);                                           \
				v += j + 1;                                               \
				n -= j + 1;                                               \
			} else {                                                          \
				NAME(v + j + 1, n - j - 1);                               \
				n = j + 1;                                                \
			}                                                                 \
		}                                                                         \
		for (size_t i = 1; i < n; i++) {                                          \
			T x = v[i];                                                       \
			size_t k = i;                                                     \
			for (; k && LESS(&x, &v[k - 1]); k--)                             \
				v[k] = v[k - 1];                                          \
			v[k] = x;                                                         \
		}                                                                         \
	}

#define R_LESS(a, b) ((a)->lo < (b)->lo || ((a)->lo == (b)->lo && (a)->hi > (b)->hi))
RANGE_SORT(sort4, struct range4, R_LESS)
RANGE_SORT(sort6, struct range6, R_LESS)

void iplist_free(struct iplist *l)
{
	if (!l)
		return;
	v_free(l->v4);
	v_free(l->v6);
	v_free(l->val4);
	v_free(l->val6);
	v_free(l->p4);
	v_free(l->p6);
	v_free(l);
}

static bool add4(struct iplist *l, uint32_t lo, uint32_t hi)
{
	if (l->n4 == l->cap4) {
		if (l->cap4 >= LIST_MAX_ENTRIES)
			return false;
		uint32_t nc = l->cap4 ? l->cap4 * 2 : 1024;
		struct range4 *v = v_realloc(l->v4, (size_t)nc * sizeof(*v));
		if (!v)
			return false;
		l->v4 = v;
		l->cap4 = nc;
	}
	l->v4[l->n4].lo = lo;
	l->v4[l->n4++].hi = hi;
	return true;
}

static bool add6(struct iplist *l, u128 lo, u128 hi)
{
	if (l->n6 == l->cap6) {
		if (l->cap6 >= LIST_MAX_ENTRIES)
			return false;
		uint32_t nc = l->cap6 ? l->cap6 * 2 : 64;
		struct range6 *v = v_realloc(l->v6, (size_t)nc * sizeof(*v));
		if (!v)
			return false;
		l->v6 = v;
		l->cap6 = nc;
	}
	l->v6[l->n6].lo = lo;
	l->v6[l->n6++].hi = hi;
	return true;
}

/* Drops nested and repeated intervals, then shrinks the arrays. */
static void finish_ip(struct iplist *l, struct list_stats *st)
{
	if (l->n4) {
		sort4(l->v4, l->n4);
		uint32_t k = 0;
		for (uint32_t i = 0; i < l->n4; i++) {
			if (k && l->v4[i].hi <= l->v4[k - 1].hi) {
				st->duplicates++;
				continue;
			}
			l->v4[k++] = l->v4[i];
		}
		l->n4 = k;
		struct range4 *v = v_realloc(l->v4, (size_t)k * sizeof(*v));
		if (v) {
			l->v4 = v;
			l->cap4 = k;
		}
	}
	if (l->n6) {
		sort6(l->v6, l->n6);
		uint32_t k = 0;
		for (uint32_t i = 0; i < l->n6; i++) {
			if (k && l->v6[i].hi <= l->v6[k - 1].hi) {
				st->duplicates++;
				continue;
			}
			l->v6[k++] = l->v6[i];
		}
		l->n6 = k;
		struct range6 *v = v_realloc(l->v6, (size_t)k * sizeof(*v));
		if (v) {
			l->v6 = v;
			l->cap6 = k;
		}
	}
	st->entries = (uint64_t)l->n4 + l->n6;
}

static struct iplist *ip_build(struct lines *L, uint64_t expect, const char *name,
			       struct list_stats *st, struct verr *e)
{
	struct list_stats dummy;
	if (!st)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	struct iplist *l = v_calloc(1, sizeof(*l));
	if (!l) {
		verr_set(e, V_ENOMEM, "%s: out of memory", name);
		return NULL;
	}
	/* sized once for every line (a large block's pages are only touched
	 * as entries fill it), shrunk at the end */
	if (expect > LIST_MAX_ENTRIES)
		expect = LIST_MAX_ENTRIES;
	if (expect > 1024 && (l->v4 = v_malloc((size_t)expect * sizeof(*l->v4))))
		l->cap4 = (uint32_t)expect;
	uint64_t lno = 0;
	const char *s;
	size_t n;
	while (next_line(L, &s, &n)) {
		lno++;
		st->lines++;
		s = span_trim(s, &n);
		if (!n || *s == '#' || *s == ';')
			continue;
		const char *tok = s;
		size_t tn;
		if (*s == '{') {
			/* Spamhaus JSON: {"cidr":"1.10.16.0/20","sblid":...} */
			const char *c = memmem(s, n, "\"cidr\"", 6);
			if (!c) {
				/* the file's trailing metadata line has no cidr */
				if (!memmem(s, n, "\"type\"", 6))
					note_skip(st, lno);
				continue;
			}
			c += 6;
			while (c < s + n && (*c == ' ' || *c == ':'))
				c++;
			if (c >= s + n || *c != '"') {
				note_skip(st, lno);
				continue;
			}
			tok = c + 1;
			tn = strcspn_n(tok, (size_t)(s + n - tok), '"');
		} else {
			tn = 0;
			while (tn < n && !isspace((unsigned char)tok[tn]) && tok[tn] != ';' && tok[tn] != ',')
				tn++;
		}
		int ver;
		u128 lo, hi;
		if (!parse_net(tok, tn, &ver, &lo, &hi)) {
			note_skip(st, lno);
			continue;
		}
		if (ver == 4 ? reserved4((uint32_t)lo, (uint32_t)hi) : reserved6(lo, hi)) {
			if (!st->reserved++)
				snprintf(st->first_reserved, sizeof(st->first_reserved), "%.*s",
					 (int)(tn < 60 ? tn : 60), tok);
			continue;
		}
		if (!(ver == 4 ? add4(l, (uint32_t)lo, (uint32_t)hi) : add6(l, lo, hi))) {
			iplist_free(l);
			verr_set(e, V_ENOMEM, "%s: too many entries or out of memory", name);
			return NULL;
		}
	}
	finish_ip(l, st);
	return l;
}

struct iplist *iplist_parse(const char *text, size_t len, const char *name,
			    struct list_stats *st, struct verr *e)
{
	struct lines L = { .text = text, .len = len };
	return ip_build(&L, 0, name, st, e);
}

struct iplist *iplist_load(const char *path, struct list_stats *st, struct verr *e)
{
	uint64_t size, nlines;
	FILE *f = open_list(path, &size, &nlines, e);
	if (!f)
		return NULL;
	struct lines L = { .f = f };
	struct iplist *l = ip_build(&L, nlines, path, st, e);
	fclose(f);
	return l;
}

static void render(int ver, u128 lo, u128 hi, char *out, size_t n)
{
	char a[64];
	unsigned bits = ver == 4 ? 32 : 128, plen = bits;
	u128 span = hi - lo;
	while (plen && span) {
		plen--;
		span >>= 1;
	}
	if (ver == 4) {
		struct in_addr in = { htonl((uint32_t)lo) };
		inet_ntop(AF_INET, &in, a, sizeof(a));
	} else {
		uint8_t b[16];
		store128(lo, b);
		inet_ntop(AF_INET6, b, a, sizeof(a));
	}
	if (plen == bits)
		snprintf(out, n, "%s", a);
	else
		snprintf(out, n, "%s/%u", a, plen);
}

/* The interval of l (sealed) that holds address a, IPv4 or IPv6: its
 * index in v4 or v6, or -1. */
static int64_t iplist_find(const struct iplist *l, uint8_t ver, const uint8_t *a)
{
	if (ver == 4) {
		uint32_t x = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
		uint32_t lo = 0, hi = l->n4;
		while (lo < hi) { /* the first interval whose hi >= x */
			uint32_t mid = lo + (hi - lo) / 2;
			if (l->v4[mid].hi < x)
				lo = mid + 1;
			else
				hi = mid;
		}
		return lo == l->n4 || l->v4[lo].lo > x ? -1 : (int64_t)lo;
	}
	if (ver != 6)
		return -1;
	u128 x = load128(a);
	uint32_t lo = 0, hi = l->n6;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		if (l->v6[mid].hi < x)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo == l->n6 || l->v6[lo].lo > x ? -1 : (int64_t)lo;
}

bool iplist_lookup(const struct iplist *l, uint8_t ver, const uint8_t *a, char *entry,
		   size_t entry_len)
{
	int64_t i = l ? iplist_find(l, ver, a) : -1;
	if (i < 0)
		return false;
	if (entry && ver == 4)
		render(4, l->v4[i].lo, l->v4[i].hi, entry, entry_len);
	else if (entry)
		render(6, l->v6[i].lo, l->v6[i].hi, entry, entry_len);
	return true;
}

uint64_t iplist_count(const struct iplist *l) { return l ? (uint64_t)l->n4 + l->n6 : 0; }

size_t iplist_memory(const struct iplist *l)
{
	if (!l)
		return 0;
	size_t m = sizeof(*l) + (size_t)l->cap4 * sizeof(struct range4) +
		   (size_t)l->cap6 * sizeof(struct range6);
	if (l->valued)
		m += (size_t)l->cap4 * sizeof(uint32_t) + (size_t)l->cap6 * sizeof(uint32_t) +
		     (size_t)l->capp4 * sizeof(struct ventry4) + (size_t)l->capp6 * sizeof(struct ventry6);
	return m;
}

/* ---- valued lists ---- */

struct iplist *iplist_new(void)
{
	struct iplist *l = v_calloc(1, sizeof(*l));
	if (l)
		l->valued = true;
	return l;
}

/* grows an array of elem-sized entries to hold one more */
static bool grow(void **v, uint32_t n, uint32_t *cap, size_t elem, uint32_t first)
{
	if (n < *cap)
		return true;
	if (*cap >= LIST_MAX_ENTRIES)
		return false;
	uint32_t nc = *cap ? *cap * 2 : first;
	void *nv = v_realloc(*v, (size_t)nc * elem);
	if (!nv)
		return false;
	*v = nv;
	*cap = nc;
	return true;
}

bool iplist_add_value(struct iplist *l, uint8_t ver, const uint8_t *a, unsigned plen,
		      uint32_t value, bool host)
{
	if (!l || !l->valued || l->sealed || l->seq == UINT32_MAX)
		return false;
	/* equal networks sort in the order added, hosts after networks */
	uint64_t k = (uint64_t)host << 32 | l->seq;
	if (ver == 4) {
		if (plen > 32 || !grow((void **)&l->p4, l->np4, &l->capp4, sizeof(*l->p4), 1024))
			return false;
		uint32_t x = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
		uint32_t hm = plen >= 32 ? 0 : 0xffffffffu >> plen;
		l->p4[l->np4++] = (struct ventry4){ VKEY4(x & ~hm, plen, host && plen == 32), value };
	} else if (ver == 6) {
		if (plen > 128 || !grow((void **)&l->p6, l->np6, &l->capp6, sizeof(*l->p6), 64))
			return false;
		u128 x = load128(a);
		u128 hm = plen >= 128 ? 0 : plen == 0 ? ~(u128)0 : (((u128)1 << (128 - plen)) - 1);
		l->p6[l->np6++] = (struct ventry6){ x & ~hm, (x & ~hm) | hm, value, k };
	} else {
		return false;
	}
	l->seq++;
	return true;
}

#define V_LESS(a, b)                                                                       \
	((a)->lo < (b)->lo ||                                                              \
	 ((a)->lo == (b)->lo && ((a)->hi > (b)->hi || ((a)->hi == (b)->hi && (a)->k < (b)->k))))
RANGE_SORT(vsort6, struct ventry6, V_LESS)

/* LSD radix sort of the IPv4 entries by key, 8 bits a pass (stable);
 * false when the scratch array cannot be had */
static bool vsort4(struct ventry4 *v, uint32_t n)
{
	struct ventry4 *tmp = v_malloc((size_t)n * sizeof(*tmp));
	if (!tmp)
		return false;
	struct ventry4 *a = v, *b = tmp;
	for (unsigned shift = 0; shift < VKEY4_BITS; shift += 8) {
		uint32_t cnt[257] = { 0 };
		for (uint32_t i = 0; i < n; i++)
			cnt[((a[i].key >> shift) & 255) + 1]++;
		if (cnt[((a[0].key >> shift) & 255) + 1] == n)
			continue; /* every key has this byte */
		for (unsigned d = 1; d < 257; d++)
			cnt[d] += cnt[d - 1];
		for (uint32_t i = 0; i < n; i++)
			b[cnt[(a[i].key >> shift) & 255]++] = a[i];
		struct ventry4 *t = a;
		a = b;
		b = t;
	}
	if (a != v)
		memcpy(v, a, (size_t)n * sizeof(*v));
	v_free(tmp);
	return true;
}

/* accessors of the two entry types for FLATTEN */
#define LO4(e) ((uint32_t)((e)->key >> 7))
#define HI4(e) (LO4(e) | (((e)->key >> 1 & 63) >= 32 ? 0 : 0xffffffffu >> ((e)->key >> 1 & 63)))
#define HOST4(e) ((e)->key & 1)
#define LO6(e) ((e)->lo)
#define HI6(e) ((e)->hi)
#define HOST6(e) ((e)->k >> 32)

/* Entries sorted by (lo, widest first, networks before hosts, order
 * added) into disjoint ranges and their values: a stack of the networks
 * open at the current address (at most one per prefix length).  Of equal
 * entries one counts: the last if it is a host, else the first (the last
 * host, else the first network).  T the address type; `end` marks that
 * the last address of the space was passed (cur wrapped). */
#define FLATTEN(NAME, E, T, R, MAXDEPTH, LO, HI, HOST)                                     \
	static bool NAME(const E *p, uint32_t np, R **out, uint32_t **vals, uint32_t *nout)   \
	{                                                                                  \
		struct { T hi; uint32_t val; } st[MAXDEPTH];                               \
		unsigned sp = 0;                                                           \
		uint64_t cap = (uint64_t)np * 2 + 1, n = 0;                                \
		R *o = v_malloc((size_t)cap * sizeof(*o));                                 \
		uint32_t *v = v_malloc((size_t)cap * sizeof(*v));                          \
		if (!o || !v) {                                                            \
			v_free(o);                                                         \
			v_free(v);                                                         \
			return false;                                                      \
		}                                                                          \
		T cur = 0;                                                                 \
		bool end = false; /* cur went past the last address */                    \
		for (uint32_t i = 0, j; i <= np; i = j) {                                  \
			const E *w = NULL;                                                 \
			T wlo = 0, whi = 0;                                                \
			j = i + 1;                                                         \
			if (i < np) {                                                      \
				wlo = LO(&p[i]);                                           \
				whi = HI(&p[i]);                                           \
				while (j < np && LO(&p[j]) == wlo && HI(&p[j]) == whi)     \
					j++;                                               \
				w = HOST(&p[j - 1]) ? &p[j - 1] : &p[i];                   \
			}                                                                  \
			/* close the open networks that end before this one */             \
			while (sp && (i == np || st[sp - 1].hi < wlo)) {                   \
				if (!end && cur <= st[sp - 1].hi) {                        \
					o[n].lo = cur;                                     \
					o[n].hi = st[sp - 1].hi;                           \
					v[n++] = st[sp - 1].val;                           \
				}                                                          \
				if (st[sp - 1].hi == (T)~(T)0)                             \
					end = true;                                        \
				cur = st[sp - 1].hi + 1;                                   \
				sp--;                                                      \
			}                                                                  \
			if (i == np)                                                       \
				break;                                                     \
			if (sp && cur < wlo) {                                             \
				o[n].lo = cur;                                             \
				o[n].hi = wlo - 1;                                         \
				v[n++] = st[sp - 1].val;                                   \
			}                                                                  \
			cur = wlo;                                                         \
			end = false;                                                       \
			if (sp == MAXDEPTH) { /* cannot happen with networks */            \
				v_free(o);                                                 \
				v_free(v);                                                 \
				return false;                                              \
			}                                                                  \
			st[sp].hi = whi;                                                   \
			st[sp++].val = w->val;                                             \
		}                                                                          \
		if (n < cap && n) {                                                        \
			R *so = v_realloc(o, (size_t)n * sizeof(*o));                      \
			uint32_t *sv = v_realloc(v, (size_t)n * sizeof(*v));               \
			if (so)                                                            \
				o = so;                                                    \
			if (sv)                                                            \
				v = sv;                                                    \
		}                                                                          \
		*out = o;                                                                  \
		*vals = v;                                                                 \
		*nout = (uint32_t)n;                                                       \
		return true;                                                               \
	}

FLATTEN(flatten4, struct ventry4, uint32_t, struct range4, 34, LO4, HI4, HOST4)
FLATTEN(flatten6, struct ventry6, u128, struct range6, 130, LO6, HI6, HOST6)

bool iplist_seal(struct iplist *l)
{
	if (!l || !l->valued || l->sealed)
		return false;
	l->sealed = true;
	bool ok = true;
	if (l->np4) {
		ok = vsort4(l->p4, l->np4) &&
		     flatten4(l->p4, l->np4, &l->v4, &l->val4, &l->n4);
		l->cap4 = ok ? l->n4 : 0;
	}
	if (ok && l->np6) {
		vsort6(l->p6, l->np6);
		ok = flatten6(l->p6, l->np6, &l->v6, &l->val6, &l->n6);
		l->cap6 = ok ? l->n6 : 0;
	}
	v_free(l->p4);
	v_free(l->p6);
	l->p4 = NULL;
	l->p6 = NULL;
	l->np4 = l->np6 = l->capp4 = l->capp6 = 0;
	if (!ok) {
		v_free(l->v4);
		v_free(l->val4);
		l->v4 = NULL;
		l->val4 = NULL;
		l->n4 = l->cap4 = 0;
	}
	return ok;
}

bool iplist_lookup_value(const struct iplist *l, uint8_t ver, const uint8_t *a, uint32_t *value)
{
	int64_t i = l && l->sealed ? iplist_find(l, ver, a) : -1;
	if (i < 0)
		return false;
	*value = ver == 4 ? l->val4[i] : l->val6[i];
	return true;
}

/* ---- domain names ----
 * The names and their entries live in a store of chunks that never move
 * (1 MiB of names, 65,536 entries each), appended to and never changed
 * once written; a set is a table of entry indexes over a store.  A reload
 * builds a new table over the same store, reusing the entries of names
 * the running set already holds and appending only new ones, so the
 * running set keeps being read (without locks) while the new one is
 * built, and the peak of a reload is one more table, not a second copy
 * of the list.  Entries the new file no longer has stay in the store as
 * garbage until it is more than half of it: then the reload starts a
 * new store. */

#define ACHUNK_BITS 20
#define ACHUNK (1u << ACHUNK_BITS)
#define ACHUNKS 4096
#define ECHUNK_BITS 16
#define ECHUNK (1u << ECHUNK_BITS)
#define ECHUNKS ((LIST_MAX_ENTRIES >> ECHUNK_BITS) + 1)

struct dom_entry {
	uint32_t off;      /* chunk << ACHUNK_BITS | offset in it */
	uint16_t len;
	bool suffix;
};

struct dom_store {
	char *ac[ACHUNKS];
	uint32_t nac, aused;        /* chunks, bytes used in the last */
	struct dom_entry *ec[ECHUNKS];
	uint32_t n;                 /* entries */
	size_t used;                /* bytes of names and entries */
	unsigned refs;              /* the sets over it */
};

struct domainset {
	struct dom_store *st;
	uint32_t base;     /* entries below it belong to the sets this one was rebuilt from */
	uint32_t n;        /* entries in the table */
	uint32_t *table;   /* entry index + 1, 0 empty */
	uint32_t tmask;
	uint64_t seed;
};

static inline struct dom_entry *entry_at(const struct dom_store *st, uint32_t i)
{
	return &st->ec[i >> ECHUNK_BITS][i & (ECHUNK - 1)];
}

static inline const char *name_at(const struct dom_store *st, uint32_t off)
{
	return st->ac[off >> ACHUNK_BITS] + (off & (ACHUNK - 1));
}

static void store_unref(struct dom_store *st)
{
	if (!st || __atomic_sub_fetch(&st->refs, 1, __ATOMIC_ACQ_REL))
		return;
	for (uint32_t i = 0; i < st->nac; i++)
		v_free(st->ac[i]);
	for (uint32_t i = 0; i < ECHUNKS && st->ec[i]; i++)
		v_free(st->ec[i]);
	v_free(st);
}

/* Appends an entry; its index, or UINT32_MAX when out of memory or full. */
static uint32_t store_add(struct dom_store *st, const char *name, size_t n, bool suffix)
{
	if (st->n >= LIST_MAX_ENTRIES)
		return UINT32_MAX;
	uint32_t ci = st->n >> ECHUNK_BITS;
	if (!st->ec[ci] && !(st->ec[ci] = v_malloc(ECHUNK * sizeof(struct dom_entry))))
		return UINT32_MAX;
	if (!st->nac || st->aused + n + 1 > ACHUNK) {
		if (st->nac >= ACHUNKS || !(st->ac[st->nac] = v_malloc(ACHUNK)))
			return UINT32_MAX;
		st->nac++;
		st->aused = 0;
	}
	uint32_t off = (st->nac - 1) << ACHUNK_BITS | st->aused;
	char *dst = st->ac[st->nac - 1] + st->aused;
	memcpy(dst, name, n);
	dst[n] = '\0';
	st->aused += (uint32_t)n + 1;
	*entry_at(st, st->n) = (struct dom_entry){ .off = off, .len = (uint16_t)n, .suffix = suffix };
	st->used += n + 1 + sizeof(struct dom_entry);
	return st->n++;
}

void domainset_free(struct domainset *d)
{
	if (!d)
		return;
	store_unref(d->st);
	v_free(d->table);
	v_free(d);
}

/* Lowercases and checks a name; false if it is not one. */
static bool norm_name(const char *s, size_t n, char *out, size_t *outn)
{
	while (n && s[n - 1] == '.')
		n--;
	if (!n || n > NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (isalnum(c) || c == '-' || c == '_' || c == '.')
			out[i] = (char)tolower(c);
		else
			return false;
		if (c == '.' && (i == 0 || s[i - 1] == '.'))
			return false; /* an empty label */
	}
	out[n] = '\0';
	*outn = n;
	return true;
}

static uint32_t *slot_of(const struct domainset *d, const char *name, size_t n)
{
	uint32_t h = (uint32_t)hash_bytes(name, n, d->seed);
	for (uint32_t i = h & d->tmask;; i = (i + 1) & d->tmask) {
		uint32_t *s = &d->table[i];
		if (!*s)
			return s;
		const struct dom_entry *de = entry_at(d->st, *s - 1);
		if (de->len == n && !memcmp(name_at(d->st, de->off), name, n))
			return s;
	}
}

static bool grow_table(struct domainset *d)
{
	uint32_t size = (d->tmask + 1) * 2;
	uint32_t *old = d->table, omask = d->tmask;
	d->table = v_calloc(size, sizeof(uint32_t));
	if (!d->table) {
		d->table = old;
		return false;
	}
	d->tmask = size - 1;
	for (uint32_t i = 0; old && i <= omask; i++)
		if (old[i]) {
			const struct dom_entry *de = entry_at(d->st, old[i] - 1);
			*slot_of(d, name_at(d->st, de->off), de->len) = old[i];
		}
	v_free(old);
	return true;
}

/* Adds a normalised name: the entry prev (the set being rebuilt, over the
 * same store) has for it if it means the same, else a new one.  False if
 * out of memory or too many. */
static bool dom_add(struct domainset *d, const char *name, size_t n, bool suffix,
		    struct list_stats *st, const struct domainset *prev)
{
	if ((uint64_t)(d->n + 1) * 2 > (uint64_t)d->tmask + 1 && !grow_table(d))
		return false;
	uint32_t *s = slot_of(d, name, n);
	if (*s) {
		st->duplicates++;
		struct dom_entry *de = entry_at(d->st, *s - 1);
		if (suffix && !de->suffix) {
			/* the wider meaning wins; a shared entry is not changed */
			if (*s - 1 >= d->base) {
				de->suffix = true;
			} else {
				uint32_t i = store_add(d->st, name, n, true);
				if (i == UINT32_MAX)
					return false;
				*s = i + 1;
			}
		}
		return true;
	}
	if (d->n >= LIST_MAX_ENTRIES)
		return false;
	if (prev && prev->n) {
		const uint32_t *ps = slot_of(prev, name, n);
		if (*ps && entry_at(prev->st, *ps - 1)->suffix == suffix) {
			*s = *ps;
			d->n++;
			return true;
		}
	}
	uint32_t i = store_add(d->st, name, n, suffix);
	if (i == UINT32_MAX)
		return false;
	*s = i + 1;
	d->n++;
	return true;
}

/* One line of a domain file: the names it holds (hosts lines may hold
 * several).  Returns false if out of memory. */
static bool dom_line(struct domainset *d, const char *s, size_t n, uint64_t lno,
		     struct list_stats *st, const struct domainset *prev)
{
	if (!n || *s == '#' || *s == '!' || *s == '[')
		return true;
	if (n >= 2 && s[0] == '@' && s[1] == '@')
		return true; /* an AdBlock exception: not a block */
	char name[NAME_MAX_LEN + 1];
	size_t nn;
	if (n >= 2 && s[0] == '|' && s[1] == '|') {
		/* ||example.com^ : the domain and its subdomains; rules with
		 * options ($third-party, ...) or paths are not plain blocks */
		const char *t = s + 2;
		size_t tn = 0;
		while (tn < n - 2 && t[tn] != '^' && t[tn] != '$' && t[tn] != '/')
			tn++;
		if ((tn < n - 2 && t[tn] != '^') || (tn + 1 < n - 2) || !norm_name(t, tn, name, &nn)) {
			note_skip(st, lno);
			return true;
		}
		return dom_add(d, name, nn, true, st, prev);
	}
	/* tokens: a hosts line ("0.0.0.0 a.example b.example") or a name */
	const char *tok[8];
	size_t tl[8];
	int nt = 0;
	for (size_t i = 0; i < n && nt < 8;) {
		while (i < n && isspace((unsigned char)s[i]))
			i++;
		if (i >= n || s[i] == '#')
			break;
		size_t j = i;
		while (j < n && !isspace((unsigned char)s[j]))
			j++;
		tok[nt] = s + i;
		tl[nt++] = j - i;
		i = j;
	}
	int first = 0;
	if (nt >= 2) {
		char ip[64];
		uint8_t a[16];
		if (tl[0] < sizeof(ip)) {
			memcpy(ip, tok[0], tl[0]);
			ip[tl[0]] = '\0';
			if (inet_pton(AF_INET, ip, a) == 1 || inet_pton(AF_INET6, ip, a) == 1)
				first = 1;
		}
	}
	if (nt - first != 1 && !first) {
		note_skip(st, lno);
		return true;
	}
	for (int i = first; i < nt; i++) {
		bool suffix = tl[i] > 2 && tok[i][0] == '*' && tok[i][1] == '.';
		const char *t = suffix ? tok[i] + 2 : tok[i];
		size_t len = suffix ? tl[i] - 2 : tl[i];
		if (!norm_name(t, len, name, &nn)) {
			note_skip(st, lno);
			continue;
		}
		if (first && (!strcmp(name, "localhost") || !strcmp(name, "localhost.localdomain") ||
			      !strcmp(name, "local") || !strcmp(name, "broadcasthost") ||
			      !strncmp(name, "ip6-", 4)))
			continue; /* a hosts file's own lines */
		if (!dom_add(d, name, nn, suffix, st, prev))
			return false;
	}
	return true;
}

static struct domainset *dom_build(struct lines *L, uint64_t expect, const char *name,
				   struct list_stats *st, const struct domainset *prev, struct verr *e)
{
	struct list_stats dummy;
	if (!st)
		st = &dummy;
	memset(st, 0, sizeof(*st));
	struct domainset *d = v_calloc(1, sizeof(*d));
	/* the table sized once from the file's lines (pages are touched only
	 * as they fill) */
	if (expect > LIST_MAX_ENTRIES)
		expect = LIST_MAX_ENTRIES;
	uint32_t tsize = 1024;
	while ((uint64_t)tsize < 2 * expect)
		tsize *= 2;
	if (!d || !(d->table = v_calloc(tsize, sizeof(uint32_t)))) {
		v_free(d);
		verr_set(e, V_ENOMEM, "%s: out of memory", name);
		return NULL;
	}
	d->tmask = tsize - 1;
	d->seed = 0x9e3779b97f4a7c15ull;
	/* the running set's store, unless garbage is most of it */
	if (prev && prev->st && (uint64_t)prev->st->n <= 2 * (uint64_t)prev->n + 1024) {
		d->st = prev->st;
		__atomic_add_fetch(&d->st->refs, 1, __ATOMIC_ACQ_REL);
	} else {
		prev = NULL;
		if (!(d->st = v_calloc(1, sizeof(*d->st)))) {
			v_free(d->table);
			v_free(d);
			verr_set(e, V_ENOMEM, "%s: out of memory", name);
			return NULL;
		}
		d->st->refs = 1;
	}
	d->base = d->st->n;
	uint64_t lno = 0;
	const char *s;
	size_t n;
	while (next_line(L, &s, &n)) {
		lno++;
		st->lines++;
		s = span_trim(s, &n);
		if (!dom_line(d, s, n, lno, st, prev)) {
			domainset_free(d);
			verr_set(e, V_ENOMEM, "%s: too many entries or out of memory", name);
			return NULL;
		}
	}
	st->entries = d->n;
	return d;
}

struct domainset *domainset_parse(const char *text, size_t len, const char *name,
				  struct list_stats *st, struct verr *e)
{
	struct lines L = { .text = text, .len = len };
	return dom_build(&L, 0, name, st, NULL, e);
}

struct domainset *domainset_reload(const struct domainset *prev, const char *path,
				   struct list_stats *st, struct verr *e)
{
	uint64_t size, nlines;
	FILE *f = open_list(path, &size, &nlines, e);
	if (!f)
		return NULL;
	struct lines L = { .f = f };
	struct domainset *d = dom_build(&L, nlines, path, st, prev, e);
	fclose(f);
	return d;
}

struct domainset *domainset_load(const char *path, struct list_stats *st, struct verr *e)
{
	return domainset_reload(NULL, path, st, e);
}

const char *domainset_lookup(const struct domainset *d, const char *name, size_t len,
			     bool *suffix)
{
	if (!d || !d->n)
		return NULL;
	char buf[NAME_MAX_LEN + 1];
	size_t n;
	if (!norm_name(name, len, buf, &n))
		return NULL;
	for (size_t start = 0; start < n;) {
		uint32_t *s = slot_of(d, buf + start, n - start);
		if (*s) {
			const struct dom_entry *de = entry_at(d->st, *s - 1);
			if (start == 0 || de->suffix) {
				if (suffix)
					*suffix = de->suffix;
				return name_at(d->st, de->off);
			}
		}
		const char *dot = memchr(buf + start, '.', n - start);
		if (!dot)
			break;
		start = (size_t)(dot - buf) + 1;
	}
	return NULL;
}

uint64_t domainset_count(const struct domainset *d) { return d ? d->n : 0; }

size_t domainset_memory(const struct domainset *d)
{
	return d ? sizeof(*d) + sizeof(*d->st) + d->st->used +
			   ((size_t)d->tmask + 1) * sizeof(uint32_t)
		 : 0;
}
