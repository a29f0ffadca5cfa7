/*
 * range.c - HTTP byte-range reassembly: the parts of one file that 206
 * Partial Content responses carry (RFC 9110 14.4, Content-Range), on one
 * connection or many, put back together into the whole file, as
 * Suricata's URL range containers do (app-layer-htp-range.c).
 *
 * A container is keyed by the request's host, its URI and the response's
 * ETag, and lives process-wide (the parts come on flows other workers may
 * hold), under one lock.  Bytes that continue the file where it stands
 * go straight into its digests (file.c: nothing of the file is held);
 * a part that starts further on is kept until the bytes before it come.
 * When the file is whole its fileinfo is written with the part that
 * completed it.  Everything is bounded: RANGE_MAX containers (the oldest
 * makes room), RANGE_PEND_MAX bytes of parts kept for all of them (a
 * part past it is dropped: that file is not reassembled), a container
 * idle RANGE_TIMEOUT_US goes.  Overlaps are resolved for the bytes
 * already in place (they are not taken twice).
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "app_int.h"
#include "util.h"

struct range_piece {
	struct range_piece *next; /* by offset */
	uint64_t off;
	uint32_t len;
	uint8_t d[];
};

struct range_ct {
	bool used;
	uint32_t gen;
	char key[RANGE_KEY_MAX];
	uint16_t key_len;
	uint64_t size, have;      /* the whole's size; bytes in place from 0 */
	uint64_t ts;              /* last use (packet time, us) */
	struct file_track ft;
	struct range_piece *pend; /* parts past `have`, by offset */
};

static struct range_ct cts[RANGE_MAX];
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static uint64_t pend_bytes;       /* all containers' kept parts */
static uint32_t next_gen = 1;

static void ct_drop(struct range_ct *c)
{
	for (struct range_piece *p = c->pend, *n; p; p = n) {
		n = p->next;
		pend_bytes -= p->len;
		v_free(p);
	}
	file_track_free(&c->ft);
	memset(c, 0, sizeof(*c));
}

/* The container of a reference, if it is still the one referred to. */
static struct range_ct *ct_of(const struct range_ref *r)
{
	if (r->idx < 0 || r->idx >= RANGE_MAX)
		return NULL;
	struct range_ct *c = &cts[r->idx];
	return c->used && c->gen == r->gen ? c : NULL;
}

bool range_open(struct range_ref *r, const char *key, size_t klen, uint64_t start, uint64_t size,
		uint64_t now)
{
	r->idx = -1;
	if (!size || start >= size || klen > RANGE_KEY_MAX)
		return false;
	pthread_mutex_lock(&lock);
	struct range_ct *hit = NULL, *free_ct = NULL, *oldest = NULL;
	for (int i = 0; i < RANGE_MAX; i++) {
		struct range_ct *c = &cts[i];
		if (c->used && now > c->ts && now - c->ts > RANGE_TIMEOUT_US)
			ct_drop(c); /* idle too long */
		if (!c->used) {
			if (!free_ct)
				free_ct = c;
			continue;
		}
		if (c->key_len == klen && !memcmp(c->key, key, klen) && c->size == size)
			hit = c;
		if (!oldest || c->ts < oldest->ts)
			oldest = c;
	}
	if (!hit) {
		hit = free_ct;
		if (!hit) {
			ct_drop(oldest); /* full: the least recently used makes room */
			hit = oldest;
		}
		hit->used = true;
		hit->gen = next_gen++;
		memcpy(hit->key, key, klen);
		hit->key_len = (uint16_t)klen;
		hit->size = size;
		file_track_begin(&hit->ft);
	}
	hit->ts = now;
	r->idx = (int)(hit - cts);
	r->gen = hit->gen;
	r->off = start;
	pthread_mutex_unlock(&lock);
	return true;
}

/* Bytes d/n at offset off: what lies past `have` and continues it goes
 * in; true when that made the file whole. */
static bool put(struct range_ct *c, uint64_t off, const uint8_t *d, uint64_t n)
{
	if (off > c->have || off + n <= c->have)
		return false;
	uint64_t skip = c->have - off;
	uint64_t k = MIN(n - skip, c->size - c->have);
	file_track_add(&c->ft, d + skip, (uint32_t)k);
	c->have += k;
	return c->have >= c->size;
}

/* The kept parts that now continue the file go in (or go, when they
 * lie wholly before it). */
static bool drain(struct range_ct *c)
{
	bool whole = c->have >= c->size;
	while (c->pend && c->pend->off <= c->have && !whole) {
		struct range_piece *p = c->pend;
		c->pend = p->next;
		whole = put(c, p->off, p->d, p->len);
		pend_bytes -= p->len;
		v_free(p);
	}
	return whole;
}

bool range_add(struct range_ref *r, const uint8_t *d, uint32_t n, uint64_t now,
	       struct file_facts *facts, uint64_t *size)
{
	bool whole = false;
	pthread_mutex_lock(&lock);
	struct range_ct *c = ct_of(r);
	if (!c || !n)
		goto out;
	c->ts = now;
	uint64_t off = r->off;
	r->off += n;
	if (off >= c->size)
		goto out;
	n = (uint32_t)MIN((uint64_t)n, c->size - off);
	if (off <= c->have) {
		whole = put(c, off, d, n) || drain(c);
	} else if (pend_bytes + n <= RANGE_PEND_MAX) {
		/* ahead of the file: kept, in offset order */
		struct range_piece *p = v_malloc(sizeof(*p) + n);
		if (!p)
			goto out;
		p->off = off;
		p->len = n;
		memcpy(p->d, d, n);
		struct range_piece **at = &c->pend;
		while (*at && (*at)->off <= off)
			at = &(*at)->next;
		p->next = *at;
		*at = p;
		pend_bytes += n;
	}
	if (whole) {
		file_track_end(&c->ft, facts, true);
		*size = c->size;
		ct_drop(c);
		r->idx = -1;
	}
out:
	pthread_mutex_unlock(&lock);
	return whole;
}

void range_skip(struct range_ref *r, uint32_t n)
{
	r->off += n; /* a hole: those bytes must come in another part */
}

void range_reset(void)
{
	pthread_mutex_lock(&lock);
	for (int i = 0; i < RANGE_MAX; i++)
		if (cts[i].used)
			ct_drop(&cts[i]);
	pthread_mutex_unlock(&lock);
}

/* what is left at exit (the process's end; leak checkers see nothing) */
__attribute__((destructor)) static void range_fini(void)
{
	range_reset();
}
