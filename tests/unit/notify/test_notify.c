/* Unit tests for the notifier's grouping and rate limits on synthetic
 * floods: a 500-port scan is one notification and one "+499" when its
 * window ends; 1000 different signatures in a second are at most
 * max-per-minute notifications and then one summary per interval; what
 * is below the severity is not shown; nothing is lost from the counts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "notify.h"

struct got {
	struct notification n[4096];
	unsigned cnt;
	uint64_t records;
};

static void collect(void *ud, const struct notification *n)
{
	struct got *g = ud;
	if (g->cnt < 4096)
		g->n[g->cnt++] = *n;
	g->records += n->count;
}

static const char *rec(const char *vm, unsigned sid, unsigned sev, unsigned port, bool blocked)
{
	static char buf[512];
	snprintf(buf, sizeof(buf),
		 "{\"timestamp\":\"2026-11-30T10:00:00.000000+0000\",\"event_type\":\"alert\","
		 "\"src_ip\":\"10.137.0.10\",\"src_port\":4000,\"dest_ip\":\"203.0.113.5\","
		 "\"dest_port\":%u,\"proto\":\"TCP\",\"src_vm\":\"%s\",\"alert\":{\"action\":\"%s\","
		 "\"gid\":1,\"signature_id\":%u,\"signature\":\"sig %u\",\"severity\":%u}}",
		 port, vm, blocked ? "blocked" : "allowed", sid, sid, sev);
	return buf;
}

static const struct notify_cfg cfg = { .severity = 2, .policy = true, .group_window = 60,
				       .max_per_minute = 6, .summary_interval = 60 };

static void test_scan_is_one(void **state)
{
	(void)state;
	struct got *g = calloc(1, sizeof(*g));
	struct notifier *nf = notifier_new(&cfg, collect, g);
	for (unsigned i = 0; i < 500; i++) {
		const char *r = rec("work", 2010935, 2, i + 1, true);
		assert_true(notifier_record(nf, r, strlen(r), 1000 + i * 0.02));
	}
	assert_int_equal(g->cnt, 1);
	assert_string_equal(g->n[0].summary, "work: sig 2010935");
	assert_non_null(strstr(g->n[0].body, "blocked"));
	notifier_tick(nf, 1030);
	assert_int_equal(g->cnt, 1); /* the window is still open */
	notifier_tick(nf, 1071); /* 60 s after the last record */
	assert_int_equal(g->cnt, 2);
	assert_string_equal(g->n[1].summary, "work: sig 2010935 (+499)");
	assert_non_null(strstr(g->n[1].body, "499 more times"));
	assert_int_equal(g->records, 500);
	/* a slow scan (one probe every 30 s) stays one group, for five
	 * windows at most */
	for (unsigned i = 0; i < 20; i++) {
		const char *r = rec("slow", 2010936, 2, i + 1, true);
		notifier_record(nf, r, strlen(r), 1100 + i * 30);
		notifier_tick(nf, 1100 + i * 30);
	}
	notifier_tick(nf, 1100 + 19 * 30 + 61);
	assert_int_equal(g->cnt, 2 + 2 + 2); /* 1 + "+9" (300 s), then 1 + "+9" */
	assert_string_equal(g->n[3].summary, "slow: sig 2010936 (+9)");
	/* the same scan later: a new window, shown again */
	const char *r = rec("work", 2010935, 2, 1, true);
	notifier_record(nf, r, strlen(r), 2000);
	assert_int_equal(g->cnt, 7);
	notifier_free(nf);
	free(g);
}

static void test_flood_is_limited(void **state)
{
	(void)state;
	struct got *g = calloc(1, sizeof(*g));
	struct notifier *nf = notifier_new(&cfg, collect, g);
	for (unsigned i = 0; i < 1000; i++) {
		const char *r = rec("flood", 3000000 + i, 1, 80, false);
		notifier_record(nf, r, strlen(r), 1000 + i * 0.001);
	}
	assert_int_equal(g->cnt, 6); /* the burst */
	for (unsigned i = 0; i < 6; i++)
		assert_int_equal(g->n[i].urgency, NU_CRITICAL);
	notifier_tick(nf, 1001);
	notifier_tick(nf, 1061); /* the summary interval */
	assert_true(g->cnt <= 8);
	struct notification *s = &g->n[g->cnt - 1];
	assert_non_null(strstr(s->summary, "vigil: "));
	assert_non_null(strstr(s->body, "more kinds"));
	notifier_flush(nf);
	assert_int_equal(g->records, 1000);
	struct notify_stats st;
	notifier_stats(nf, &st);
	assert_int_equal(st.matched, 1000);
	notifier_free(nf);
	free(g);
}

static void test_filters(void **state)
{
	(void)state;
	struct got *g = calloc(1, sizeof(*g));
	struct notifier *nf = notifier_new(&cfg, collect, g);
	const char *r = rec("work", 1, 3, 80, false); /* below severity 2 */
	assert_false(notifier_record(nf, r, strlen(r), 1));
	const char *flow = "{\"event_type\":\"flow\",\"src_ip\":\"10.0.0.1\"}";
	assert_false(notifier_record(nf, flow, strlen(flow), 1));
	const char *bad = "{\"event_type\":\"alert\",\"alert\":";
	assert_false(notifier_record(nf, bad, strlen(bad), 1));
	const char *pol = "{\"event_type\":\"alert\",\"src_ip\":\"10.137.0.10\",\"src_vm\":\"work\","
			  "\"alert\":{\"action\":\"blocked\",\"gid\":7,\"signature_id\":3,"
			  "\"signature\":\"allowlist\",\"severity\":3},\"policy\":{\"type\":\"allowlist\"}}";
	assert_true(notifier_record(nf, pol, strlen(pol), 1));
	assert_int_equal(g->cnt, 1);
	assert_int_equal(g->n[0].urgency, NU_NORMAL);
	notifier_free(nf);
	free(g);
}

/* Host IDS records notify too: a Wazuh level 10 rule (severity 2) as its
 * VM, a level 3 one not at severity 2, a honeyfile opened (critical), a
 * plain file change (severity 3) not. */
static void test_host_records(void **state)
{
	(void)state;
	struct got *g = calloc(1, sizeof(*g));
	struct notifier *nf = notifier_new(&cfg, collect, g);
	const char *hi = "{\"timestamp\":\"2026-11-30T10:00:00.000000+0000\",\"event_type\":\"hids\",\"vm\":\"work\","
			 "\"hids\":{\"rule\":{\"level\":10,\"description\":\"sshd: brute force\",\"id\":\"100005\"},"
			 "\"location\":\"/var/log/auth.log\"}}";
	const char *lo = "{\"timestamp\":\"2026-11-30T10:00:00.000000+0000\",\"event_type\":\"hids\",\"vm\":\"work\","
			 "\"hids\":{\"rule\":{\"level\":3,\"description\":\"login\",\"id\":\"100004\"}}}";
	const char *honey = "{\"event_type\":\"fim\",\"vm\":\"vault\",\"fim\":{\"event\":\"honeyfile_access\","
			    "\"path\":\"/home/user/passwords.txt\"}}";
	const char *chg = "{\"event_type\":\"fim\",\"vm\":\"vault\",\"fim\":{\"event\":\"changed\",\"path\":\"/etc/x\"}}";
	assert_true(notifier_record(nf, hi, strlen(hi), 1));
	assert_false(notifier_record(nf, lo, strlen(lo), 1));
	assert_true(notifier_record(nf, honey, strlen(honey), 1));
	assert_false(notifier_record(nf, chg, strlen(chg), 1));
	assert_true(notifier_record(nf, hi, strlen(hi), 2)); /* the same rule and VM: grouped */
	assert_int_equal(g->cnt, 2);
	assert_string_equal(g->n[0].summary, "work: sshd: brute force");
	assert_int_equal(g->n[0].urgency, NU_NORMAL);
	assert_string_equal(g->n[1].summary, "vault: honeyfile opened: /home/user/passwords.txt");
	assert_int_equal(g->n[1].urgency, NU_CRITICAL);
	notifier_free(nf);
	free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_is_one),
		cmocka_unit_test(test_flood_is_limited),
		cmocka_unit_test(test_filters),
		cmocka_unit_test(test_host_records),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
