/*
 * timer.c - see timer.h.
 */
#include "timer.h"

#include <string.h>

static void recompute(struct timers *ts)
{
	vtime_t s = UINT64_MAX;
	for (unsigned i = 0; i < ts->n; i++) {
		const struct timer *t = &ts->t[i];
		if (!t->every)
			continue;
		if (!t->next) {
			s = 0;
			break;
		}
		if (t->next < s)
			s = t->next;
	}
	ts->soonest = s;
}

int timers_add(struct timers *ts, const char *name, vtime_t every, timer_fn fn, void *arg)
{
	if (ts->n >= TIMERS_MAX || !fn)
		return -1;
	struct timer *t = &ts->t[ts->n];
	memset(t, 0, sizeof(*t));
	t->name = name;
	t->every = every;
	t->fn = fn;
	t->arg = arg;
	ts->n++;
	recompute(ts);
	return (int)ts->n - 1;
}

void timers_set_period(struct timers *ts, int id, vtime_t every)
{
	if (id < 0 || (unsigned)id >= ts->n)
		return;
	struct timer *t = &ts->t[id];
	if (t->next && t->every)
		t->next = t->next - t->every + every;
	t->every = every;
	if (!every)
		t->next = 0;
	recompute(ts);
}

unsigned timers_run_due(struct timers *ts, vtime_t now)
{
	unsigned ran = 0;
	for (unsigned i = 0; i < ts->n; i++) {
		struct timer *t = &ts->t[i];
		if (!t->every)
			continue;
		if (!t->next) { /* the owner's first time: one period from it */
			t->next = now + t->every;
			continue;
		}
		if (now < t->next)
			continue;
		t->next = now + t->every;
		t->runs++;
		ran++;
		t->fn(t->arg, now);
	}
	recompute(ts);
	return ran;
}
