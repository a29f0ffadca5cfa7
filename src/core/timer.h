/*
 * timer.h - the one timer facility: periodic work driven by whatever
 * clock its owner runs on (packet time in an offline worker, wall time in
 * a live one and in the control thread), as ../shared/DESIGN.md asks.
 *
 * A set belongs to one thread and is not locked.  Its owner calls
 * timers_run with the current time as often as it likes: when nothing is
 * due that is one comparison.  A timer that is due runs once, however
 * many of its periods passed (a capture that jumps hours does not replay
 * every tick), and is next due one period after the time it ran at.  A
 * timer added before its owner knows the time (a worker before its first
 * packet) is first due one period after the first time it is given.
 */
#ifndef VIGIL_TIMER_H
#define VIGIL_TIMER_H

#include <stdint.h>

#include "util.h"

#define TIMERS_MAX 16

typedef void (*timer_fn)(void *arg, vtime_t now);

struct timer {
	const char *name;
	vtime_t every;   /* period; 0: the timer is off */
	vtime_t next;    /* 0: not yet scheduled (the owner's first time decides) */
	timer_fn fn;
	void *arg;
	uint64_t runs;
};

struct timers {
	struct timer t[TIMERS_MAX];
	unsigned n;
	vtime_t soonest; /* the earliest next of the scheduled timers; 0: some unscheduled */
};

/* Adds a timer running fn(arg, now) every `every` (a period of 0 adds it
 * switched off).  Returns its index, or -1 when the set is full. */
int timers_add(struct timers *ts, const char *name, vtime_t every, timer_fn fn, void *arg);
/* Changes a timer's period (0: off); it is next due one new period from
 * the last time it ran or was scheduled. */
void timers_set_period(struct timers *ts, int id, vtime_t every);
/* Runs the timers due at now; returns how many ran. */
unsigned timers_run_due(struct timers *ts, vtime_t now);

static inline unsigned timers_run(struct timers *ts, vtime_t now)
{
	if (ts->soonest && now < ts->soonest)
		return 0;
	return timers_run_due(ts, now);
}

#endif
