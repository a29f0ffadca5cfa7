/*
 * behave.c - see behave.h.
 *
 * Scans: per source, a window start and two 512-bit sketches, one of
 * (destination, port) pairs and one of destinations; the distinct count
 * is estimated by linear counting (n = -m ln(zero bits / m)), good to a
 * few percent up to several hundred, which is all the thresholds need.
 *
 * Beacons: per (source, destination, port, protocol), the start times and
 * sizes of the last HIST answered connections.  The score, after RITA's
 * idea, averages two regularities: of the intervals between starts and of
 * the sizes, each 1 - coefficient of variation (clipped to 0..1), with at
 * least beacon_min connections.  A jittered beacon (60 s +- 10%) scores
 * about 95; a person browsing the same site, far lower.
 */
#include "behave.h"

#include <math.h>
#include <pthread.h>
#include <string.h>

#include "alloc.h"
#include "util.h"

#define STRIPES 64
#define PROBES 8
#define HIST 16
#define SKETCH_BITS 512

struct scan_slot {
	uint8_t ver, used;
	uint8_t src[16];
	uint32_t window_start;
	uint8_t reported;            /* 1 ports, 2 hosts, this window */
	uint64_t ports[SKETCH_BITS / 64], hosts[SKETCH_BITS / 64];
};

struct beacon_slot {
	uint8_t ver, used, proto, n;
	uint16_t dport;
	uint8_t src[16], dst[16];
	uint32_t last_report;
	uint64_t start[HIST];   /* milliseconds */
	uint64_t bytes[HIST];
};

struct once_slot {
	uint64_t key;       /* a 64-bit hash of the key; 0 empty */
	uint32_t last;
};

struct behave {
	struct behave_cfg c;
	struct scan_slot *scan;
	struct beacon_slot *beacon;
	struct once_slot *once;
	uint32_t mask;
	pthread_mutex_t lock[STRIPES];
};

struct behave *behave_new(const struct behave_cfg *c)
{
	struct behave *b = v_calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->c = *c;
	uint32_t cap = 1024;
	while (cap < c->max_entries && cap < (1u << 22))
		cap *= 2;
	b->mask = cap - 1;
	/* calloc'd: pages are touched as sources appear */
	b->scan = v_calloc(cap, sizeof(*b->scan));
	b->beacon = v_calloc(cap, sizeof(*b->beacon));
	b->once = v_calloc(cap, sizeof(*b->once));
	if (!b->scan || !b->beacon || !b->once) {
		behave_free(b);
		return NULL;
	}
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_init(&b->lock[i], NULL);
	return b;
}

void behave_free(struct behave *b)
{
	if (!b)
		return;
	if (b->scan && b->beacon && b->once)
		for (int i = 0; i < STRIPES; i++)
			pthread_mutex_destroy(&b->lock[i]);
	v_free(b->once);
	v_free(b->scan);
	v_free(b->beacon);
	v_free(b);
}

/* A key's PROBES slots lie in one run of 64 (the run of its first slot,
 * wrapping inside it), so one stripe lock covers them. */
static uint32_t slot_at(const struct behave *b, uint32_t h, uint32_t i)
{
	uint32_t base = h & b->mask & ~63u;
	return base | ((h + i) & 63u & b->mask);
}

static pthread_mutex_t *lock_of(struct behave *b, uint32_t h)
{
	return &b->lock[((h & b->mask) >> 6) % STRIPES];
}

static unsigned sketch_count(const uint64_t *s)
{
	unsigned set = 0;
	for (int i = 0; i < SKETCH_BITS / 64; i++)
		set += (unsigned)__builtin_popcountll(s[i]);
	unsigned zero = SKETCH_BITS - set;
	if (!zero)
		zero = 1; /* saturated: the estimate's ceiling (~3200) */
	return (unsigned)(-(double)SKETCH_BITS * log((double)zero / SKETCH_BITS) + 0.5);
}

static void sketch_add(uint64_t *s, uint64_t h)
{
	unsigned bit = (unsigned)(h % SKETCH_BITS);
	s[bit / 64] |= 1ull << (bit % 64);
}

/* The scan-table entry of key (len bytes, ver tells kinds of key apart)
 * in the neighbourhood of h, claimed if new (the entry whose window began
 * first gives way), its sketches cleared when its window is over.  The
 * caller holds the stripe lock of h. */
static struct scan_slot *scan_get(struct behave *b, uint32_t h, uint8_t ver, const uint8_t *key,
				  size_t len, uint32_t now, uint32_t window)
{
	struct scan_slot *e = NULL, *victim = NULL;
	for (uint32_t i = 0; i < PROBES && !e; i++) {
		struct scan_slot *s = &b->scan[slot_at(b, h, i)];
		if (s->used && s->ver == ver && !memcmp(s->src, key, len))
			e = s;
		else if (!victim || !s->used || (victim->used && s->window_start < victim->window_start))
			victim = s;
	}
	if (!e) {
		e = victim;
		memset(e, 0, sizeof(*e));
		e->used = 1;
		e->ver = ver;
		memcpy(e->src, key, len);
		e->window_start = now;
	}
	if (now >= e->window_start + window) {
		/* a new window */
		memset(e->ports, 0, sizeof(e->ports));
		memset(e->hosts, 0, sizeof(e->hosts));
		e->reported = 0;
		e->window_start = now;
	}
	return e;
}

int behave_flow_start(struct behave *b, uint8_t ver, const uint8_t *src, const uint8_t *dst,
		      uint16_t dport, uint32_t now, uint32_t *count, uint32_t *window)
{
	if (!b || (ver != 4 && ver != 6))
		return 0;
	size_t al = ver == 4 ? 4 : 16;
	uint32_t h = (uint32_t)hash_bytes(src, al, ver);
	pthread_mutex_t *lk = lock_of(b, h);
	pthread_mutex_lock(lk);
	struct scan_slot *e = scan_get(b, h, ver, src, al, now, b->c.scan_window);
	uint64_t hd = hash_bytes(dst, al, 7);
	sketch_add(e->hosts, hd);
	sketch_add(e->ports, hash_bytes(&dport, sizeof(dport), hd));
	int rc = 0;
	unsigned np = sketch_count(e->ports), nh = sketch_count(e->hosts);
	if (b->c.scan_hosts && !(e->reported & 2) && nh >= b->c.scan_hosts) {
		e->reported |= 2;
		rc = 2;
		*count = nh;
	} else if (b->c.scan_ports && !(e->reported & 1) && np >= b->c.scan_ports) {
		e->reported |= 1;
		rc = 1;
		*count = np;
	}
	*window = now - e->window_start;
	pthread_mutex_unlock(lk);
	return rc;
}

bool behave_distinct(struct behave *b, const void *key, size_t len, uint64_t item, uint32_t now,
		     uint32_t window, uint32_t threshold, uint32_t *count)
{
	if (!b || !threshold)
		return false;
	/* in the scan table, under a key of its own (ver 0xee, the key's
	 * hash as the "source") */
	uint8_t k[16];
	uint64_t h1 = hash_bytes(key, len, 0xd15), h2 = hash_bytes(key, len, 0x7c7);
	memcpy(k, &h1, 8);
	memcpy(k + 8, &h2, 8);
	uint32_t h = (uint32_t)h1;
	pthread_mutex_t *lk = lock_of(b, h);
	pthread_mutex_lock(lk);
	struct scan_slot *e = scan_get(b, h, 0xee, k, 16, now, window);
	sketch_add(e->hosts, item);
	unsigned n = sketch_count(e->hosts);
	bool hit = !(e->reported & 4) && n >= threshold;
	if (hit) {
		e->reported |= 4;
		*count = n;
	}
	pthread_mutex_unlock(lk);
	return hit;
}

bool behave_once(struct behave *b, const void *key, size_t len, uint32_t now, uint32_t repeat)
{
	if (!b)
		return false;
	uint64_t k = hash_bytes(key, len, 0x0ce) | 1;
	uint32_t h = (uint32_t)(k >> 32);
	pthread_mutex_t *lk = lock_of(b, h);
	pthread_mutex_lock(lk);
	struct once_slot *e = NULL, *victim = NULL;
	for (uint32_t i = 0; i < PROBES && !e; i++) {
		struct once_slot *s = &b->once[slot_at(b, h, i)];
		if (s->key == k)
			e = s;
		else if (!victim || !s->key || (victim->key && s->last < victim->last))
			victim = s;
	}
	bool first = !e || now >= e->last + repeat;
	if (!e) {
		e = victim;
		e->key = k;
	}
	if (first)
		e->last = now;
	pthread_mutex_unlock(lk);
	return first;
}

static void mean_sd(const double *v, unsigned n, double *mean, double *sd)
{
	double m = 0, q = 0;
	for (unsigned i = 0; i < n; i++)
		m += v[i];
	m /= n;
	for (unsigned i = 0; i < n; i++)
		q += (v[i] - m) * (v[i] - m);
	*mean = m;
	*sd = sqrt(q / n);
}

uint32_t beacon_score(const uint64_t *starts, const uint64_t *bytes, unsigned n,
		      struct beacon_report *r)
{
	memset(r, 0, sizeof(*r));
	if (n < 3 || n > HIST)
		return 0;
	double iv[HIST], sz[HIST];
	for (unsigned i = 1; i < n; i++)
		iv[i - 1] = (double)(starts[i] - starts[i - 1]) / 1000.0;
	for (unsigned i = 0; i < n; i++)
		sz[i] = (double)bytes[i];
	mean_sd(iv, n - 1, &r->interval_mean, &r->interval_sd);
	mean_sd(sz, n, &r->bytes_mean, &r->bytes_sd);
	r->connections = n;
	r->first = (uint32_t)(starts[0] / 1000);
	r->last = (uint32_t)(starts[n - 1] / 1000);
	if (r->interval_mean < 1.0)
		return 0; /* bursts, not a beacon */
	double ts = 1.0 - r->interval_sd / r->interval_mean;
	double ss = r->bytes_mean > 0 ? 1.0 - r->bytes_sd / r->bytes_mean : 1.0;
	if (ts < 0)
		ts = 0;
	if (ss < 0)
		ss = 0;
	r->score = (uint32_t)((ts + ss) / 2 * 100 + 0.5);
	return r->score;
}

bool behave_flow_end(struct behave *b, uint8_t ver, const uint8_t *src, const uint8_t *dst,
		     uint16_t dport, uint8_t proto, uint64_t start, uint64_t bytes,
		     struct beacon_report *r)
{
	if (!b || (ver != 4 && ver != 6) || !b->c.beacon_min)
		return false;
	size_t al = ver == 4 ? 4 : 16;
	uint8_t key[36] = { ver, proto, (uint8_t)(dport >> 8), (uint8_t)dport };
	memcpy(key + 4, src, al);
	memcpy(key + 20, dst, al);
	uint32_t h = (uint32_t)hash_bytes(key, sizeof(key), 0xbeac);
	pthread_mutex_t *lk = lock_of(b, h);
	pthread_mutex_lock(lk);
	struct beacon_slot *e = NULL, *victim = NULL;
	for (uint32_t i = 0; i < PROBES && !e; i++) {
		struct beacon_slot *s = &b->beacon[slot_at(b, h, i)];
		if (s->used && s->ver == ver && s->proto == proto && s->dport == dport &&
		    !memcmp(s->src, src, al) && !memcmp(s->dst, dst, al))
			e = s;
		else if (!victim || !s->used ||
			 (victim->used && s->n && victim->n && s->start[s->n - 1] < victim->start[victim->n - 1]))
			victim = s;
	}
	if (!e) {
		e = victim;
		memset(e, 0, sizeof(*e));
		e->used = 1;
		e->ver = ver;
		e->proto = proto;
		e->dport = dport;
		memcpy(e->src, src, al);
		memcpy(e->dst, dst, al);
	}
	/* keep the history in start order (flows may end out of order) */
	if (e->n == HIST) {
		memmove(e->start, e->start + 1, (HIST - 1) * sizeof(e->start[0]));
		memmove(e->bytes, e->bytes + 1, (HIST - 1) * sizeof(e->bytes[0]));
		e->n--;
	}
	unsigned k = e->n;
	while (k && e->start[k - 1] > start) {
		e->start[k] = e->start[k - 1];
		e->bytes[k] = e->bytes[k - 1];
		k--;
	}
	e->start[k] = start;
	e->bytes[k] = bytes;
	e->n++;
	bool hit = false;
	if (e->n >= b->c.beacon_min && beacon_score(e->start, e->bytes, e->n, r) >= b->c.beacon_score &&
	    (!e->last_report || start / 1000 >= (uint64_t)e->last_report + b->c.beacon_repeat)) {
		e->last_report = start >= 1000 ? (uint32_t)(start / 1000) : 1;
		hit = true;
	}
	pthread_mutex_unlock(lk);
	return hit;
}
