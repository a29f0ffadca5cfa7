/*
 * ring.h - a single-producer single-consumer byte ring for packets
 * (engine-internal).  The capture thread copies each packet in with its
 * metadata; one worker takes them out in order.  Head and tail are C11
 * atomics with acquire/release ordering; neither side ever blocks the
 * other except when the ring is full (producer waits) or empty (consumer
 * waits), so offline runs lose nothing.
 */
#ifndef VIGIL_RING_H
#define VIGIL_RING_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ring_pkt {
	uint64_t ts;
	uint64_t pcap_cnt;
	uint32_t caplen;  /* UINT32_MAX marks a wrap to the start */
	uint32_t wirelen;
	uint8_t data[];
};

struct ring {
	uint8_t *buf;
	size_t size;
	_Alignas(64) _Atomic size_t head; /* producer position */
	_Alignas(64) _Atomic size_t tail; /* consumer position */
	_Alignas(64) atomic_bool done;
};

int ring_init(struct ring *r, size_t size);
void ring_fini(struct ring *r);
/* Copies a packet in, waiting while full.  False if it can never fit. */
bool ring_put(struct ring *r, uint64_t ts, uint64_t cnt, const uint8_t *data, uint32_t caplen,
	      uint32_t wirelen);
/* Next packet, or NULL when the ring is empty (check done). */
struct ring_pkt *ring_peek(struct ring *r);
/* Releases the packet returned by ring_peek. */
void ring_pop(struct ring *r, const struct ring_pkt *p);

#endif
