/*
 * xbits.h - hostbits and xbits (detect-internal): named bits on a host
 * (an address) or on a pair of addresses, shared by every flow and every
 * worker, each with an expiry in packet time, as Suricata keeps them in
 * its host and ippair tables.
 *
 * One process-wide table (made on first use: nothing when no rule uses
 * them) of XBITS_MAX entries, each (host or pair, name) -> expiry, with
 * striped locks.  It never grows: a set that finds no free or expired
 * entry near its slot replaces the one that expires first there, so
 * memory is bounded whatever the traffic.  It outlives rule reloads (the
 * names are interned for the process).
 */
#ifndef VIGIL_XBITS_H
#define VIGIL_XBITS_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

#define XBITS_MAX (1u << 16)
#define XBITS_EXPIRE_DEFAULT 30 /* seconds, as Suricata's */

enum { XB_SRC, XB_DST, XB_PAIR };

/* The key of a bit for a packet's addresses: track XB_SRC / XB_DST (a
 * host) or XB_PAIR (the two, in either direction). */
struct xb_key {
	uint8_t ver, track;
	uint8_t a[16], b[16];
};
void xb_key_of(struct xb_key *k, uint8_t track, uint8_t ver, const uint8_t *src,
	       const uint8_t *dst);

/* Makes the table (else made on first use). */
void xbits_reserve(void);
/* op: 0 set (until now + expire_s), 1 unset, 2 toggle. */
void xbits_change(const struct xb_key *k, uint32_t id, int op, vtime_t now, uint32_t expire_s);
bool xbits_isset(const struct xb_key *k, uint32_t id, vtime_t now);

#endif
