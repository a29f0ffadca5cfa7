/*
 * counters.h - the stats counters from counters.def.  One struct counters
 * per worker, written only by that worker; readers sum them (a torn read of
 * a 64-bit counter is not possible on the 64-bit targets vigil supports,
 * and stats are advisory).
 */
#ifndef VIGIL_COUNTERS_H
#define VIGIL_COUNTERS_H

#include <stdint.h>

enum counter_id {
#define X(id, name, help) CNT_##id,
#include "counters.def"
#undef X
	CNT_MAX
};

struct counters {
	uint64_t v[CNT_MAX];
};

extern const char *const counter_names[CNT_MAX];
extern const char *const counter_help[CNT_MAX];

/* Counters that are maxima or gauges, not sums, when combining workers. */
int counter_is_max(enum counter_id id);

/* Counters left out of stats records (the exception policies of targets
 * whose policy is ignore, as Suricata registers none for them).  Set
 * before the workers start. */
void counter_hide(enum counter_id id, int hide);
int counter_hidden(enum counter_id id);

#define CNT_INC(c, id) ((c)->v[CNT_##id]++)
#define CNT_ADD(c, id, n) ((c)->v[CNT_##id] += (n))

#endif
