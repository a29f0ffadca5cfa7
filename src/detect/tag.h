/*
 * tag.h - the tag keyword (detect-internal): after a rule with
 * "tag:session[,N,packets|seconds|bytes]" matches, the next packets of the
 * same flow are tagged; after "tag:host,N,METRIC,src|dst", the next packets
 * to or from that host.  Tagged packets are written to eve as "packet"
 * records (outputs.eve.types.tagged-packets), as Suricata writes them, so
 * that what followed an alert is kept as evidence.
 *
 * Session tags live in the flow's detect state; host tags in one bounded
 * process-wide table (TAG_HOSTS entries, the oldest replaced when full).
 * The packet that matched is not itself tagged.
 */
#ifndef VIGIL_TAG_H
#define VIGIL_TAG_H

#include <stdbool.h>
#include <stdint.h>

#include "util.h"

#define TAG_HOSTS 4096
#define TAG_DEFAULT_PACKETS 256

enum { TAG_SESSION = 1, TAG_HOST };
enum { TAG_PACKETS, TAG_SECONDS, TAG_BYTES };

struct tag_spec {
	uint8_t kind, metric;
	bool dst;              /* host: the destination's (else the source's) */
	uint32_t count;
};

/* What is left of a tag: packets or bytes to go, or the time it ends. */
struct tag_left {
	uint8_t metric;
	uint64_t left;         /* packets or bytes */
	vtime_t until;         /* seconds */
};

void tag_start(struct tag_left *t, const struct tag_spec *s, vtime_t now);
/* Counts a packet of len bytes at now against t: true if it is tagged. */
bool tag_take(struct tag_left *t, uint32_t len, vtime_t now);

/* Host tags. */
void tag_host_set(uint8_t ver, const uint8_t *addr, const struct tag_spec *s, vtime_t now);
/* Whether a packet between src and dst is tagged by a host tag (counted). */
bool tag_host_check(uint8_t ver, const uint8_t *src, const uint8_t *dst, uint32_t len,
		    vtime_t now);

#endif
