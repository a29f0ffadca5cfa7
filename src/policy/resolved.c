/*
 * resolved.c - see resolved.h.  Open addressing over a fixed array sized
 * at start (a power of two, at least the maximum); a key lives in one of
 * the PROBES slots after its hash.  Slots are locked by runs of 64 (run i
 * under stripe i mod STRIPES), so a key's neighbourhood spans at most two
 * stripes, taken lowest first.
 */
#include "resolved.h"

#include <pthread.h>
#include <string.h>

#include "alloc.h"
#include "util.h"

#define STRIPES 64
#define PROBES 16
#define NAME_LEN 96

struct slot {
	uint64_t vm;
	uint32_t until;      /* 0: empty */
	uint8_t ver;
	uint8_t a[16];
	char name[NAME_LEN];
};

struct resolved {
	struct slot *v;
	uint32_t mask;
	pthread_mutex_t lock[STRIPES];
};

struct resolved *resolved_new(uint32_t max_entries)
{
	struct resolved *r = v_calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	uint32_t cap = 1024;
	while (cap < max_entries && cap < (1u << 26))
		cap *= 2;
	/* calloc'd: pages are touched only as answers fill them */
	if (!(r->v = v_calloc(cap, sizeof(*r->v)))) {
		v_free(r);
		return NULL;
	}
	r->mask = cap - 1;
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_init(&r->lock[i], NULL);
	return r;
}

void resolved_free(struct resolved *r)
{
	if (!r)
		return;
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_destroy(&r->lock[i]);
	v_free(r->v);
	v_free(r);
}

static uint32_t key_hash(uint64_t vm, uint8_t ver, const uint8_t *a)
{
	return (uint32_t)hash_bytes(a, ver == 4 ? 4 : 16, vm ^ ver);
}

/* A slot's stripe: slots are grouped in runs of 64 by index, so a
 * neighbourhood of 16 spans at most two stripes, taken in order. */
static unsigned stripe_of(uint32_t slot) { return (slot >> 6) % STRIPES; }

static void lock_span(struct resolved *r, uint32_t h, unsigned *s0, unsigned *s1)
{
	*s0 = stripe_of(h & r->mask);
	*s1 = stripe_of((h + PROBES - 1) & r->mask);
	unsigned lo = *s0 < *s1 ? *s0 : *s1, hi = *s0 < *s1 ? *s1 : *s0;
	pthread_mutex_lock(&r->lock[lo]);
	if (hi != lo)
		pthread_mutex_lock(&r->lock[hi]);
}

static void unlock_span(struct resolved *r, unsigned s0, unsigned s1)
{
	pthread_mutex_unlock(&r->lock[s0]);
	if (s1 != s0)
		pthread_mutex_unlock(&r->lock[s1]);
}

static bool same_key(const struct slot *s, uint64_t vm, uint8_t ver, const uint8_t *a)
{
	return s->until && s->vm == vm && s->ver == ver && !memcmp(s->a, a, ver == 4 ? 4 : 16);
}

void resolved_learn(struct resolved *r, uint64_t vm, uint8_t ver, const uint8_t *a,
		    const char *name, uint32_t until)
{
	if (!r || (ver != 4 && ver != 6) || !until)
		return;
	uint32_t h = key_hash(vm, ver, a);
	unsigned s0, s1;
	lock_span(r, h, &s0, &s1);
	struct slot *victim = NULL;
	for (uint32_t i = 0; i < PROBES; i++) {
		struct slot *s = &r->v[(h + i) & r->mask];
		if (same_key(s, vm, ver, a)) {
			victim = s;
			break;
		}
		if (!victim || s->until < victim->until)
			victim = s; /* empty (0) or the first to expire */
	}
	victim->vm = vm;
	victim->ver = ver;
	memset(victim->a, 0, 16);
	memcpy(victim->a, a, ver == 4 ? 4 : 16);
	victim->until = until;
	size_t n = strlen(name);
	if (n >= NAME_LEN)
		n = NAME_LEN - 1;
	memcpy(victim->name, name, n);
	victim->name[n] = '\0';
	unlock_span(r, s0, s1);
}

bool resolved_lookup(struct resolved *r, uint64_t vm, uint8_t ver, const uint8_t *a, uint32_t now,
		     char *name, size_t n)
{
	if (!r || (ver != 4 && ver != 6))
		return false;
	uint32_t h = key_hash(vm, ver, a);
	unsigned s0, s1;
	bool found = false;
	lock_span(r, h, &s0, &s1);
	for (uint32_t i = 0; i < PROBES; i++) {
		const struct slot *s = &r->v[(h + i) & r->mask];
		if (same_key(s, vm, ver, a)) {
			if (s->until >= now) {
				found = true;
				if (name && n)
					str_lcpy(name, s->name, n);
			}
			break;
		}
	}
	unlock_span(r, s0, s1);
	return found;
}

size_t resolved_memory(const struct resolved *r)
{
	return r ? sizeof(*r) + ((size_t)r->mask + 1) * sizeof(struct slot) : 0;
}
