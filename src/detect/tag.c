/*
 * tag.c - see tag.h.
 */
#include "tag.h"

#include <pthread.h>
#include <string.h>

#include "alloc.h"

void tag_start(struct tag_left *t, const struct tag_spec *s, vtime_t now)
{
	t->metric = s->metric;
	t->left = s->count ? s->count : TAG_DEFAULT_PACKETS;
	t->until = s->metric == TAG_SECONDS ? now + VTIME_FROM_SEC(t->left) : 0;
}

bool tag_take(struct tag_left *t, uint32_t len, vtime_t now)
{
	switch (t->metric) {
	case TAG_SECONDS:
		if (now > t->until) {
			t->left = 0;
			return false;
		}
		return t->left != 0;
	case TAG_BYTES:
		if (!t->left)
			return false;
		t->left = len >= t->left ? 0 : t->left - len;
		return true;
	default:
		if (!t->left)
			return false;
		t->left--;
		return true;
	}
}

struct host_tag {
	uint8_t ver;
	uint8_t addr[16];
	vtime_t set_at;        /* 0: free */
	struct tag_left t;
};

/* open addressing: an address's entry is in the PROBE slots from its
 * hash; full, the oldest of them is replaced */
#define PROBE 8
static struct host_tag hosts[TAG_HOSTS + PROBE];
static unsigned used; /* host tags ever set: none, no lock on the packet path */
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

static unsigned slot_of(uint8_t ver, const uint8_t *a)
{
	return (unsigned)(hash_bytes(a, ver == 6 ? 16 : 4, ver) % TAG_HOSTS);
}

static struct host_tag *find(uint8_t ver, const uint8_t *a)
{
	size_t n = ver == 6 ? 16 : 4;
	unsigned s = slot_of(ver, a);
	for (unsigned i = 0; i < PROBE; i++)
		if (hosts[s + i].set_at && hosts[s + i].ver == ver && !memcmp(hosts[s + i].addr, a, n))
			return &hosts[s + i];
	return NULL;
}

void tag_host_set(uint8_t ver, const uint8_t *addr, const struct tag_spec *s, vtime_t now)
{
	pthread_mutex_lock(&lock);
	struct host_tag *h = find(ver, addr);
	if (!h) {
		unsigned sl = slot_of(ver, addr);
		h = &hosts[sl];
		for (unsigned i = 0; i < PROBE; i++) {
			struct host_tag *c = &hosts[sl + i];
			if (!c->set_at) {
				h = c;
				break;
			}
			if (c->set_at < h->set_at)
				h = c;
		}
	}
	memset(h->addr, 0, sizeof(h->addr));
	memcpy(h->addr, addr, ver == 6 ? 16 : 4);
	h->ver = ver;
	h->set_at = now ? now : 1;
	tag_start(&h->t, s, now);
	__atomic_store_n(&used, 1, __ATOMIC_RELEASE);
	pthread_mutex_unlock(&lock);
}

bool tag_host_check(uint8_t ver, const uint8_t *src, const uint8_t *dst, uint32_t len,
		    vtime_t now)
{
	if (!__atomic_load_n(&used, __ATOMIC_ACQUIRE))
		return false;
	bool tagged = false;
	pthread_mutex_lock(&lock);
	for (int side = 0; side < 2; side++) {
		struct host_tag *h = find(ver, side ? dst : src);
		if (!h)
			continue;
		if (tag_take(&h->t, len, now))
			tagged = true;
		else
			h->set_at = 0; /* spent */
	}
	pthread_mutex_unlock(&lock);
	return tagged;
}
