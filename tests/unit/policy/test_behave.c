/* Unit tests for the scan and beacon detectors on synthetic timelines:
 * jittered beacons are found, irregular and failed traffic is not, scans
 * cross their thresholds once per window. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "behave.h"

static const struct behave_cfg cfg = { .scan_window = 60, .scan_ports = 100, .scan_hosts = 50,
				       .beacon_min = 4, .beacon_score = 90, .beacon_repeat = 3600,
				       .max_entries = 4096 };

static void test_score(void **state)
{
	(void)state;
	struct beacon_report r;
	uint64_t t[16];
	uint64_t b[16];
	srand(5);
	/* every 60 s +- 10%, sizes +- 5%: a beacon */
	for (int i = 0; i < 16; i++) {
		t[i] = (1000 + (uint64_t)(60 * i) + (uint64_t)(rand() % 13) - 6) * 1000;
		b[i] = 600 + (uint64_t)(rand() % 61) - 30;
	}
	assert_true(beacon_score(t, b, 16, &r) >= 90);
	assert_true(fabs(r.interval_mean - 60) < 3);
	/* a person: intervals from seconds to many minutes, sizes all over */
	uint32_t x = 1000;
	for (int i = 0; i < 16; i++) {
		x += 5 + (uint32_t)(rand() % 900);
		t[i] = (uint64_t)x * 1000;
		b[i] = 500 + (uint64_t)(rand() % 50000);
	}
	assert_true(beacon_score(t, b, 16, &r) < 60);
	/* regular times but wildly varying sizes: half the score at most */
	for (int i = 0; i < 16; i++) {
		t[i] = (1000 + 60 * (uint64_t)i) * 1000;
		b[i] = i % 2 ? 100 : 100000;
	}
	assert_true(beacon_score(t, b, 16, &r) < 90);
	/* a burst: many connections in the same second */
	for (int i = 0; i < 16; i++) {
		t[i] = 1000000;
		b[i] = 600;
	}
	assert_int_equal(beacon_score(t, b, 16, &r), 0);
	assert_int_equal(beacon_score(t, b, 2, &r), 0); /* too few */
}

static void test_beacon_table(void **state)
{
	(void)state;
	struct behave *bh = behave_new(&cfg);
	uint8_t src[16] = { 10, 137, 0, 10 }, dst[16] = { 203, 0, 113, 5 }, other[16] = { 203, 0, 113, 6 };
	struct beacon_report r;
	int hits = 0, first = -1;
	for (int i = 0; i < 20; i++) {
		bool h = behave_flow_end(bh, 4, src, dst, 443, 6, (10000 + 60 * (uint64_t)i + (uint64_t)(i % 3)) * 1000,
					 800, &r);
		if (h && first < 0)
			first = i;
		hits += h;
		/* the same source to another host, irregularly: never */
		assert_false(behave_flow_end(bh, 4, src, other, 443, 6, (10000 + (uint64_t)(i * i * 37)) * 1000, 800 + (uint64_t)i * 977, &r));
	}
	assert_int_equal(first, 3); /* the 4th connection */
	assert_int_equal(hits, 1);  /* then not again within beacon_repeat */
	/* flows ending out of order are scored in start order */
	struct behave *b2 = behave_new(&cfg);
	uint32_t order[6] = { 120, 0, 60, 240, 180, 300 };
	hits = 0;
	for (int i = 0; i < 6; i++)
		hits += behave_flow_end(b2, 4, src, dst, 53, 17, (5000 + (uint64_t)order[i]) * 1000, 90, &r);
	assert_int_equal(hits, 1);
	behave_free(b2);
	behave_free(bh);
}

static void test_scans(void **state)
{
	(void)state;
	struct behave *bh = behave_new(&cfg);
	uint8_t src[16] = { 198, 51, 100, 9 }, dst[16] = { 10, 137, 0, 10 };
	uint32_t cnt, win;
	int at = -1, reports = 0;
	for (int p = 1; p <= 300; p++) {
		int k = behave_flow_start(bh, 4, src, dst, (uint16_t)p, 1000 + (uint32_t)p / 10, &cnt, &win);
		if (k) {
			assert_int_equal(k, 1);
			reports++;
			if (at < 0)
				at = p;
		}
	}
	assert_int_equal(reports, 1);              /* once per window */
	assert_true(at >= 90 && at <= 115);        /* near the threshold of 100 */
	/* a new window: counted afresh */
	int k = 0;
	for (int p = 1; p <= 150 && !k; p++)
		k = behave_flow_start(bh, 4, src, dst, (uint16_t)p, 2000, &cnt, &win);
	assert_int_equal(k, 1);
	/* hosts: 40 hosts on one port is not a host scan, 70 is */
	uint8_t s2[16] = { 198, 51, 100, 10 };
	int hk = 0;
	for (int h = 0; h < 40; h++) {
		uint8_t d[16] = { 10, 137, 1, (uint8_t)h };
		hk |= behave_flow_start(bh, 4, s2, d, 22, 3000, &cnt, &win);
	}
	assert_int_equal(hk, 0);
	for (int h = 40; h < 70 && !hk; h++) {
		uint8_t d[16] = { 10, 137, 1, (uint8_t)h };
		hk = behave_flow_start(bh, 4, s2, d, 22, 3001, &cnt, &win);
	}
	assert_int_equal(hk, 2);
	behave_free(bh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_score),
		cmocka_unit_test(test_beacon_table),
		cmocka_unit_test(test_scans),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
