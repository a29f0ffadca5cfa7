/*
 * xbits.c - see xbits.h.
 */
#include "xbits.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "alloc.h"

#define PROBE 16
#define STRIPES 64

struct xb_entry {
	struct xb_key k;
	uint32_t id;
	vtime_t expire;  /* 0: free */
};

static struct xb_entry *table;
static pthread_mutex_t locks[STRIPES];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init(void)
{
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_init(&locks[i], NULL);
	table = v_calloc(XBITS_MAX, sizeof(*table));
}

void xbits_reserve(void)
{
	pthread_once(&once, init);
}

void xb_key_of(struct xb_key *k, uint8_t track, uint8_t ver, const uint8_t *src,
	       const uint8_t *dst)
{
	memset(k, 0, sizeof(*k));
	k->ver = ver;
	k->track = track == XB_PAIR ? XB_PAIR : 0; /* a host is a host, src or dst */
	size_t n = ver == 6 ? 16 : 4;
	if (track == XB_SRC) {
		memcpy(k->a, src, n);
	} else if (track == XB_DST) {
		memcpy(k->a, dst, n);
	} else {
		/* a pair is the same both ways: lower address first */
		bool swap = memcmp(src, dst, n) > 0;
		memcpy(k->a, swap ? dst : src, n);
		memcpy(k->b, swap ? src : dst, n);
	}
}

/* The probe window of (k, id): it never crosses a stripe's end, so one
 * lock covers it. */
static uint32_t slot_of(const struct xb_key *k, uint32_t id)
{
	uint64_t h = hash_bytes(k, sizeof(*k), id);
	uint32_t per = XBITS_MAX / STRIPES;
	uint32_t stripe = (uint32_t)(h % STRIPES);
	uint32_t off = (uint32_t)((h >> 16) % (per - PROBE + 1));
	return stripe * per + off;
}

static pthread_mutex_t *lock_of(uint32_t slot)
{
	return &locks[slot / (XBITS_MAX / STRIPES)];
}

static bool same(const struct xb_entry *e, const struct xb_key *k, uint32_t id)
{
	return e->expire && e->id == id && !memcmp(&e->k, k, sizeof(*k));
}

void xbits_change(const struct xb_key *k, uint32_t id, int op, vtime_t now, uint32_t expire_s)
{
	pthread_once(&once, init);
	if (!table)
		return;
	uint32_t s = slot_of(k, id);
	pthread_mutex_t *m = lock_of(s);
	pthread_mutex_lock(m);
	struct xb_entry *hit = NULL, *free_e = NULL, *oldest = NULL;
	for (uint32_t i = 0; i < PROBE; i++) {
		struct xb_entry *e = &table[s + i];
		if (same(e, k, id)) {
			hit = e;
			break;
		}
		if (!e->expire || e->expire <= now) {
			if (!free_e)
				free_e = e;
		} else if (!oldest || e->expire < oldest->expire) {
			oldest = e;
		}
	}
	bool live = hit && hit->expire > now;
	bool want = op == 0 || (op == 2 && !live);
	if (!want) {
		if (hit)
			hit->expire = 0;
	} else {
		struct xb_entry *e = hit ? hit : free_e ? free_e : oldest;
		e->k = *k;
		e->id = id;
		e->expire = now + VTIME_FROM_SEC(expire_s ? expire_s : XBITS_EXPIRE_DEFAULT);
	}
	pthread_mutex_unlock(m);
}

bool xbits_isset(const struct xb_key *k, uint32_t id, vtime_t now)
{
	pthread_once(&once, init);
	if (!table)
		return false;
	uint32_t s = slot_of(k, id);
	pthread_mutex_t *m = lock_of(s);
	bool set = false;
	pthread_mutex_lock(m);
	for (uint32_t i = 0; i < PROBE && !set; i++)
		set = same(&table[s + i], k, id) && table[s + i].expire > now;
	pthread_mutex_unlock(m);
	return set;
}
