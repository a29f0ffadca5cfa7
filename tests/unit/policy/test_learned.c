/* Unit tests for the learned state: quiet-hours spans and their errors,
 * registrable domains, new destinations once per VM and kind, the bound
 * on remembered destinations, unexpected hours after learning, and what a
 * reopened file remembers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "learned.h"
#include "util.h"
#include "vigil.h"

#define MON 1699833600u /* Monday 13 November 2023 00:00 UTC */

static bool bit(const uint64_t m[3], unsigned how)
{
	return m[how / 64] >> (how % 64) & 1;
}

static void test_quiet_hours(void **state)
{
	(void)state;
	uint64_t m[3] = { 0 };
	struct verr e = { "" };
	assert_int_equal(quiet_hours_parse("Mon-Fri 22-07", m, &e), 0);
	assert_true(bit(m, 24 + 22));       /* Mon 22:00 */
	assert_true(bit(m, 48 + 6));        /* Tue 06:00: past midnight */
	assert_false(bit(m, 48 + 7));       /* Tue 07:00 */
	assert_true(bit(m, 5 * 24 + 23));   /* Fri 23:00 */
	assert_true(bit(m, 6 * 24 + 3));    /* Sat 03:00: Friday night */
	assert_false(bit(m, 6 * 24 + 23));  /* Sat 23:00 */
	assert_false(bit(m, 0 * 24 + 23));  /* Sun 23:00 */
	uint64_t w[3] = { 0 };
	assert_int_equal(quiet_hours_parse("Sat,Sun 0-24", w, &e), 0);
	assert_true(bit(w, 0) && bit(w, 23) && bit(w, 6 * 24) && bit(w, 6 * 24 + 23));
	assert_false(bit(w, 24));
	uint64_t d[3] = { 0 };
	assert_int_equal(quiet_hours_parse("23:00-06:00", d, &e), 0); /* every day */
	for (unsigned day = 0; day < 7; day++)
		assert_true(bit(d, day * 24 + 23) && bit(d, (day * 24 + 24 + 5) % 168));
	assert_false(bit(d, 12));
	uint64_t x[3] = { 0 };
	assert_int_equal(quiet_hours_parse("Fri-Mon 1-2", x, &e), 0); /* a range across Sunday */
	assert_true(bit(x, 5 * 24 + 1) && bit(x, 6 * 24 + 1) && bit(x, 1) && bit(x, 24 + 1));
	assert_false(bit(x, 2 * 24 + 1));
	const char *bad[] = { "Mon-Fry 1-2", "25-02", "3-3", "1:30-2", "Mon", "Mon 1-2 x", "" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		e.msg[0] = 0;
		assert_int_equal(quiet_hours_parse(bad[i], x, &e), V_EINVAL);
		assert_non_null(strstr(e.msg, "quiet hours"));
	}
}

static void test_registrable(void **state)
{
	(void)state;
	assert_string_equal(name_registrable("a.b.example.com"), "example.com");
	assert_string_equal(name_registrable("www.example.co.uk"), "example.co.uk");
	assert_string_equal(name_registrable("example.com"), "example.com");
	assert_string_equal(name_registrable("localhost"), "localhost");
	char how[32];
	hour_of_week_name(48 + 3, how, sizeof(how));
	assert_string_equal(how, "Tue 03:00");
}

static struct contact c4(const char *vm, const char *name, const uint8_t *a, uint32_t now)
{
	struct contact c = { .vm = vm, .name = name, .ver = 4, .addr = a, .proto = 6, .port = 443,
			     .now = now };
	return c;
}

static void test_new_destinations(void **state)
{
	(void)state;
	struct learned_cfg lc = { .kinds = NEWDEST_REGDOMAIN | NEWDEST_NET | NEWDEST_DOMAIN,
				  .dest_learn = 100, .max_destinations = 1000, .learn_max = 10,
				  .tz_offset = 0 };
	struct verr e = { "" };
	struct learned *l = learned_open(&lc, &e);
	assert_non_null(l);
	uint8_t a[4] = { 93, 184, 216, 34 }, b[4] = { 93, 184, 216, 99 }, n[4] = { 203, 0, 113, 5 };
	struct contact_report r;
	struct contact c = c4("work", "www.example.com", a, MON + 9 * 3600);
	assert_false(learned_contact(l, &c, &r)); /* the VM's first contact: learning */
	c.now += 200;
	c.name = "mail.example.com"; /* a new name under a known domain */
	assert_true(learned_contact(l, &c, &r));
	assert_int_equal(r.newdest, NEWDEST_DOMAIN);
	assert_string_equal(r.dest, "mail.example.com");
	assert_false(learned_contact(l, &c, &r)); /* once */
	c.name = "x.EVIL.org";
	assert_true(learned_contact(l, &c, &r));
	assert_int_equal(r.newdest, NEWDEST_REGDOMAIN); /* the broadest new one */
	assert_string_equal(r.dest, "evil.org");
	assert_int_equal(r.known, 1);
	c.name = NULL;
	c.addr = b; /* no name, a known /24 */
	assert_false(learned_contact(l, &c, &r));
	c.addr = n;
	assert_true(learned_contact(l, &c, &r));
	assert_int_equal(r.newdest, NEWDEST_NET);
	assert_string_equal(r.dest, "203.0.113.0/24");
	/* another VM learns for itself */
	struct contact o = c4("other", NULL, n, c.now);
	assert_false(learned_contact(l, &o, &r));
	struct learned_stats st;
	learned_get_stats(l, &st);
	assert_int_equal(st.vms, 2);
	learned_close(l);
}

static void test_bounded(void **state)
{
	(void)state;
	struct learned_cfg lc = { .kinds = NEWDEST_NET, .dest_learn = 0, .max_destinations = 50,
				  .learn_max = 10, .tz_offset = 0 };
	struct verr e = { "" };
	struct learned *l = learned_open(&lc, &e);
	uint8_t a[4] = { 198, 18, 0, 1 };
	struct contact_report r;
	unsigned reports = 0;
	for (unsigned i = 0; i < 200; i++) {
		a[1] = (uint8_t)(i / 256 + 18);
		a[2] = (uint8_t)i;
		struct contact c = c4("work", NULL, a, MON + 1 + i);
		reports += learned_contact(l, &c, &r) && r.newdest;
	}
	struct learned_stats st;
	learned_get_stats(l, &st);
	assert_true(st.destinations <= 50);
	assert_true(st.full >= 150);
	assert_true(reports < 50);
	learned_close(l);
}

static void test_hours_and_reopen(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_learned.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/policy.db", dir);
	struct learned_cfg lc = { .path = path, .kinds = NEWDEST_REGDOMAIN, .dest_learn = 86400,
				  .max_destinations = 1000, .hours_learn = 7 * 86400, .hours_min = 1,
				  .learn_max = 10, .tz_offset = 0 };
	struct verr e = { "" };
	struct learned *l = learned_open(&lc, &e);
	assert_non_null(l);
	uint8_t a[4] = { 93, 184, 216, 34 };
	struct contact_report r;
	for (unsigned day = 0; day < 8; day++) {
		struct contact c = c4("work", "www.example.com", a, MON + day * 86400 + 10 * 3600);
		learned_contact(l, &c, &r);
		assert_int_equal(r.odd, 0);
	}
	assert_true(learned_flush(l) > 0);
	learned_close(l); /* flushes; a restart: */
	l = learned_open(&lc, &e);
	assert_non_null(l);
	/* Tuesday 21 Nov 10:00: active there in week one */
	struct contact c = c4("work", "www.example.com", a, MON + 8 * 86400 + 10 * 3600 + 5);
	assert_false(learned_contact(l, &c, &r));
	/* 03:00: never; reported once in the hour */
	c.now = MON + 8 * 86400 + 3 * 3600;
	assert_true(learned_contact(l, &c, &r));
	assert_int_equal(r.odd, 1);
	assert_int_equal(r.how, 48 + 3);
	assert_int_equal(r.learned_days, 7); /* first seen Monday 10:00 */
	c.now += 60;
	assert_false(learned_contact(l, &c, &r));
	/* the known domain is still known after the restart; a new one is not */
	c.now = MON + 8 * 86400 + 10 * 3600 + 100;
	c.name = "www.example.net";
	assert_true(learned_contact(l, &c, &r));
	assert_int_equal(r.newdest, NEWDEST_REGDOMAIN);
	learned_close(l);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* A learn-mode VM that resolves a name carrying YAML (its own DNS server
 * can answer anything) gets it recorded by address: the proposal a
 * person reads and loads has no rule the VM wrote. */
static void test_propose_hostile_name(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_learned.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128];
	snprintf(path, sizeof(path), "%s/policy.db", dir);
	struct learned_cfg lc = { .path = path, .max_destinations = 100, .learn_max = 100,
				  .tz_offset = 0 };
	struct verr e = { "" };
	struct learned *l = learned_open(&lc, &e);
	assert_non_null(l);
	uint8_t a[4] = { 198, 51, 100, 7 }, b[4] = { 198, 51, 100, 8 };
	struct contact_report r;
	struct contact c = c4("dev", "x\"\n    - \"0.0.0.0/0\" #.example.com", a, MON);
	c.learn = true;
	learned_contact(l, &c, &r);
	struct contact g = c4("dev", "Pypi.ORG", b, MON + 1);
	g.learn = true;
	learned_contact(l, &g, &r);
	learned_close(l);
	char *buf = NULL;
	size_t len = 0;
	FILE *out = open_memstream(&buf, &len);
	assert_int_equal(learned_propose(path, "dev", NULL, out, &e), 0);
	fclose(out);
	assert_null(strstr(buf, "0.0.0.0/0"));
	assert_non_null(strstr(buf, "\"198.51.100.7 tcp/443\""));
	assert_non_null(strstr(buf, "\"pypi.org tcp/443\""));
	free(buf);
	char cmd[256];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_quiet_hours),
		cmocka_unit_test(test_registrable),
		cmocka_unit_test(test_new_destinations),
		cmocka_unit_test(test_bounded),
		cmocka_unit_test(test_hours_and_reopen),
		cmocka_unit_test(test_propose_hostile_name),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
