/* Unit tests for the timer facility: first due one period after the
 * owner's first time, one run however many periods a clock jump skips,
 * periods changed and switched off, and the cheap check when nothing is
 * due. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "timer.h"

struct hits {
	unsigned n;
	vtime_t last;
};

static void hit(void *arg, vtime_t now)
{
	struct hits *h = arg;
	h->n++;
	h->last = now;
}

static void test_first_period_from_first_time(void **state)
{
	(void)state;
	struct timers ts = { 0 };
	struct hits h = { 0 };
	assert_int_equal(timers_add(&ts, "t", 10, hit, &h), 0);
	assert_int_equal(timers_run(&ts, 1000), 0); /* schedules: due at 1010 */
	assert_int_equal(timers_run(&ts, 1009), 0);
	assert_int_equal(h.n, 0);
	assert_int_equal(timers_run(&ts, 1010), 1);
	assert_int_equal(h.n, 1);
	assert_int_equal(h.last, 1010);
	assert_int_equal(timers_run(&ts, 1015), 0);
	assert_int_equal(timers_run(&ts, 1020), 1);
	assert_int_equal(h.n, 2);
}

/* A capture that jumps an hour runs the timer once, not 360 times. */
static void test_jump_runs_once(void **state)
{
	(void)state;
	struct timers ts = { 0 };
	struct hits h = { 0 };
	timers_add(&ts, "t", 10, hit, &h);
	timers_run(&ts, 0 + 1);
	assert_int_equal(timers_run(&ts, 3600), 1);
	assert_int_equal(h.n, 1);
	assert_int_equal(timers_run(&ts, 3605), 0);
	assert_int_equal(timers_run(&ts, 3610), 1);
	assert_int_equal(ts.t[0].runs, 2);
}

static void test_two_timers_and_soonest(void **state)
{
	(void)state;
	struct timers ts = { 0 };
	struct hits a = { 0 }, b = { 0 };
	timers_add(&ts, "a", 3, hit, &a);
	timers_add(&ts, "b", 5, hit, &b);
	timers_run(&ts, 100);
	assert_int_equal(ts.soonest, 103);
	for (vtime_t t = 101; t <= 115; t++)
		timers_run(&ts, t);
	assert_int_equal(a.n, 5); /* 103 106 109 112 115 */
	assert_int_equal(b.n, 3); /* 105 110 115 */
}

static void test_period_change_and_off(void **state)
{
	(void)state;
	struct timers ts = { 0 };
	struct hits h = { 0 };
	int id = timers_add(&ts, "t", 10, hit, &h);
	timers_run(&ts, 0 + 5); /* due 15 */
	timers_set_period(&ts, id, 4); /* due 9 */
	assert_int_equal(timers_run(&ts, 9), 1);
	timers_set_period(&ts, id, 0);
	assert_int_equal(timers_run(&ts, 1000), 0);
	assert_int_equal(h.n, 1);
	/* a timer added switched off never runs */
	struct timers t2 = { 0 };
	timers_add(&t2, "off", 0, hit, &h);
	assert_int_equal(timers_run(&t2, 1), 0);
	assert_int_equal(timers_run(&t2, 100000), 0);
}

static void test_full_set(void **state)
{
	(void)state;
	struct timers ts = { 0 };
	struct hits h = { 0 };
	for (int i = 0; i < TIMERS_MAX; i++)
		assert_int_equal(timers_add(&ts, "t", 1, hit, &h), i);
	assert_int_equal(timers_add(&ts, "t", 1, hit, &h), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_period_from_first_time),
		cmocka_unit_test(test_jump_runs_once),
		cmocka_unit_test(test_two_timers_and_soonest),
		cmocka_unit_test(test_period_change_and_off),
		cmocka_unit_test(test_full_set),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
