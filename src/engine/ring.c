/*
 * ring.c - see ring.h.  Entries are 8-byte aligned; an entry never wraps:
 * when it does not fit before the end, a wrap marker is written and the
 * entry goes at offset 0.  head == tail means empty; the producer keeps at
 * least one byte free so full and empty are distinguishable.
 */
#include "ring.h"

#include <sched.h>
#include <string.h>
#include <time.h>

#include "alloc.h"

#define ALIGN8(n) (((n) + 7) & ~(size_t)7)

int ring_init(struct ring *r, size_t size)
{
	memset(r, 0, sizeof(*r));
	size = ALIGN8(size);
	r->buf = v_malloc(size);
	if (!r->buf)
		return -1;
	r->size = size;
	atomic_init(&r->head, 0);
	atomic_init(&r->tail, 0);
	atomic_init(&r->done, false);
	return 0;
}

void ring_fini(struct ring *r)
{
	v_free(r->buf);
	r->buf = NULL;
}

static void backoff(unsigned *spins)
{
	if (++*spins < 64) {
		sched_yield();
		return;
	}
	struct timespec ts = { 0, 20000 };
	nanosleep(&ts, NULL);
}

bool ring_put(struct ring *r, uint64_t ts, uint64_t cnt, const uint8_t *data, uint32_t caplen,
	      uint32_t wirelen)
{
	size_t need = ALIGN8(sizeof(struct ring_pkt) + caplen);
	if (need + sizeof(struct ring_pkt) >= r->size / 2)
		return false;
	size_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
	unsigned spins = 0;
	for (;;) {
		size_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
		size_t pos = head;
		bool wrap = r->size - pos < need;
		if (wrap) {
			/* need [0, need) free and tail not inside it, and tail
			 * must not be at 0 (else head 0 == tail: empty) */
			if (tail > pos || tail <= need) {
				backoff(&spins);
				continue;
			}
			struct ring_pkt *m = (struct ring_pkt *)(r->buf + pos);
			if (r->size - pos >= sizeof(struct ring_pkt))
				m->caplen = UINT32_MAX;
			pos = 0;
		} else if ((tail > pos && tail - pos <= need) ||
			   (pos + need == r->size && tail == 0)) {
			backoff(&spins);
			continue;
		}
		struct ring_pkt *e = (struct ring_pkt *)(r->buf + pos);
		e->ts = ts;
		e->pcap_cnt = cnt;
		e->caplen = caplen;
		e->wirelen = wirelen;
		memcpy(e->data, data, caplen);
		size_t nh = pos + need;
		if (nh == r->size)
			nh = 0;
		atomic_store_explicit(&r->head, nh, memory_order_release);
		return true;
	}
}

struct ring_pkt *ring_peek(struct ring *r)
{
	size_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
	size_t head = atomic_load_explicit(&r->head, memory_order_acquire);
	if (tail == head)
		return NULL;
	if (r->size - tail < sizeof(struct ring_pkt) ||
	    ((struct ring_pkt *)(r->buf + tail))->caplen == UINT32_MAX) {
		tail = 0;
		atomic_store_explicit(&r->tail, 0, memory_order_release);
		if (head == 0)
			return NULL;
	}
	return (struct ring_pkt *)(r->buf + tail);
}

void ring_pop(struct ring *r, const struct ring_pkt *p)
{
	size_t pos = (size_t)((const uint8_t *)p - r->buf);
	size_t nt = pos + ALIGN8(sizeof(struct ring_pkt) + p->caplen);
	if (nt == r->size)
		nt = 0;
	atomic_store_explicit(&r->tail, nt, memory_order_release);
}
