/*
 * Unit tests for the host IDS's parsers: syslog pre-decoding against the
 * header shapes Wazuh recognises (and those it does not), run on a copy
 * of each line that ends at an unreadable page; the XML dialect at every
 * prefix length of a decoder file (no crash, errors name the line), its
 * escapes, comments and variables; the agents' record parser.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "agentproto.h"
#include "hids.h"
#include "hxml.h"
#include "json.h"
#include "testutil.h"

struct pre {
	const char *line, *ts, *host, *prog, *log;
};

static const struct pre pres[] = {
	{ "Oct 15 21:07:00 linux-agent sshd[29205]: Invalid user blimey from 18.18.18.18 port 48928",
	  "Oct 15 21:07:00", "linux-agent", "sshd", "Invalid user blimey from 18.18.18.18 port 48928" },
	{ "2015 Dec 29 10:00:01 wazuh-agent01 AUTH:INFO sshd[223468]: LOG BODY", "2015 Dec 29 10:00:01",
	  "wazuh-agent01", "AUTH", "INFO sshd[223468]: LOG BODY" },
	{ "2013-10-30T14:51:21.901728+01:00 srv sshd[12664]: Postponed", "2013-10-30T14:51:21.901728+01:00",
	  "srv", "sshd", "Postponed" },
	{ "2020-03-23 06:47:42.801612-0700  localhost sshd[3186]: error: x", "2020-03-23 06:47:42.801612-0700",
	  "localhost", "sshd", "error: x" },
	{ "Feb  9 11:44:56 someserver sshd[1234]: error: x", "Feb  9 11:44:56", "someserver", "sshd", "error: x" },
	{ "Dec 29 10:00:01 sshd: Accepted x", "Dec 29 10:00:01", NULL, "sshd", "Accepted x" },
	{ "Dec 29 10:00:01 host last message repeated 3 times", "Dec 29 10:00:01", "host", NULL,
	  "last message repeated 3 times" },
	{ "Aug 18 07:30:25 192.168.1.5 sshd[20247]: [ID 800047 auth.notice] Failed none", "Aug 18 07:30:25",
	  "192.168.1.5", "sshd", "Failed none" },
	{ "Dec 29 10:00:01 host auth|security:info sshd: msg", "Dec 29 10:00:01", "host", "sshd", "msg" },
	/* the "Mär" quirk: the timestamp loses its last digit, as in Wazuh */
	{ "M\xc3\xa4r 02 17:30:52 linux-agent sshd[29205]: x", "M\xc3\xa4r 02 17:30:5", "linux-agent", "sshd", "x" },
	/* not headers */
	{ "Dec 1 10:00:01 host sshd[1]: x", NULL, NULL, NULL, "Dec 1 10:00:01 host sshd[1]: x" },
	{ "<13>Dec 29 10:00:01 h p: x", NULL, NULL, NULL, "<13>Dec 29 10:00:01 h p: x" },
	{ "{\"a\":\"b\"}", NULL, NULL, NULL, "{\"a\":\"b\"}" },
	/* timestamp only */
	{ "[Fri Feb 11 18:06:35 2004] [warn] x", "Fri Feb 11 18:06:35 2004", NULL, NULL, "[warn] x" },
	{ "Mon Apr 17 18:27:14 2006 1 64.160.42.130 x", "Mon Apr 17 18:27:14 2006", NULL, NULL, "1 64.160.42.130 x" },
	{ "", NULL, NULL, NULL, "" },
};

static void eq(const char *got, const char *want)
{
	if (!want)
		assert_null(got);
	else
		assert_string_equal(got, want);
}

static void test_predecode(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(pres) / sizeof(pres[0]); i++) {
		struct hids_event ev;
		hids_event_init(&ev);
		const char *l = pres[i].line;
		assert_int_equal(hids_event_set(&ev, "stdin", l, strlen(l)), 0);
		hids_predecode(&ev);
		eq(ev.timestamp, pres[i].ts);
		eq(ev.hostname, pres[i].host);
		eq(ev.program_name, pres[i].prog);
		eq(ev.log, pres[i].log);
		assert_string_equal(ev.full_log, l);
		hids_event_fini(&ev);
	}
}

/* Every prefix of every line, the copy ending at an unreadable page. */
static void test_predecode_prefixes(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(pres) / sizeof(pres[0]); i++) {
		size_t n = strlen(pres[i].line);
		for (size_t k = 0; k <= n; k++) {
			const uint8_t *g = guard_copy(pres[i].line, k);
			struct hids_event ev;
			hids_event_init(&ev);
			assert_int_equal(hids_event_set(&ev, "stdin", (const char *)g, k), 0);
			hids_predecode(&ev);
			assert_true(strlen(ev.log) <= k);
			hids_event_fini(&ev);
		}
	}
}

static const char xml[] =
	"<!-- a comment -->\n"
	"<var name=\"PORT\">22</var>\n"
	"<decoder name=\"x\">\n"
	"  <prematch>^\\<\\d+> port $PORT</prematch>\n"
	"  <regex offset=\"after_prematch\"> (a&b)</regex>\n"
	"</decoder>\n"
	"<decoder name='y'><program_name/><!x!></decoder>\n";

static void test_xml(void **state)
{
	(void)state;
	struct verr e = { "" };
	struct hxml *d = hxml_parse(xml, sizeof(xml) - 1, &e);
	assert_non_null(d);
	assert_int_equal(hxml_apply_vars(d, &e), 0);
	const struct hxml *x = d->child->next; /* the <var> is a node too */
	assert_string_equal(x->name, "decoder");
	assert_string_equal(hxml_attr(x, "name"), "x");
	assert_int_equal(x->line, 3);
	assert_string_equal(x->child->text, "^\\<\\d+> port 22"); /* \< kept, $PORT substituted */
	assert_string_equal(x->child->next->text, " (a&b)");      /* no entities, spaces kept */
	assert_string_equal(hxml_attr(x->child->next, "offset"), "after_prematch");
	const struct hxml *y = x->next;
	assert_string_equal(hxml_attr(y, "name"), "y");
	assert_string_equal(y->child->text, "");
	hxml_free(d);
	/* every prefix: parses or says where it stopped, never crashes */
	for (size_t k = 0; k < sizeof(xml) - 1; k++) {
		const uint8_t *g = guard_copy(xml, k);
		struct verr pe = { "" };
		struct hxml *p = hxml_parse((const char *)g, k, &pe);
		if (p) {
			hxml_free(p);
		} else {
			assert_true(!strncmp(pe.msg, "line ", 5));
		}
	}
	const char bad[] = "<decoder name=\"x\">\n<regex>a</decoder>\n";
	assert_null(hxml_parse(bad, sizeof(bad) - 1, &e));
	assert_string_equal(e.msg, "line 2: </decoder> does not close <regex>");
}

static void test_agent_records(void **state)
{
	(void)state;
	struct hids_arec r;
	const char ok[] = "{\"seq\":7,\"type\":\"log\",\"vm\":\"work\",\"location\":\"/var/log/x\",\"line\":\"a\\tb\"}";
	assert_int_equal(hids_arec_parse(ok, sizeof(ok) - 1, &r), 0);
	assert_int_equal(r.seq, 7);
	assert_int_equal(r.type, HAR_LOG);
	assert_string_equal(r.vm, "work");
	assert_int_equal(r.line_len, 3);
	hids_arec_fini(&r);
	const char *bad[] = {
		"{\"seq\":0,\"type\":\"log\",\"vm\":\"w\",\"line\":\"x\"}",
		"{\"seq\":1,\"type\":\"log\",\"vm\":\"a b\",\"line\":\"x\"}",
		"{\"seq\":1,\"type\":\"log\",\"vm\":\"w\"}",
		"{\"seq\":1,\"type\":\"fim\",\"vm\":\"w\",\"event\":3}",
		"{\"seq\":1,\"seq\":2,\"type\":\"log\",\"vm\":\"w\",\"line\":\"x\"}",
		"[1]",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_true(hids_arec_parse(bad[i], strlen(bad[i]), &r) < 0);
		hids_arec_fini(&r);
	}
	uint64_t want = 0;
	assert_int_equal(hids_seq_check(0, 5, &want), HSEQ_TAKE);
	assert_int_equal(hids_seq_check(5, 6, &want), HSEQ_TAKE);
	assert_int_equal(hids_seq_check(5, 5, &want), HSEQ_DUP);
	assert_int_equal(hids_seq_check(5, 9, &want), HSEQ_WANT);
	assert_int_equal(want, 6);
}

/* A ruleset in a fresh folder: one decoder file, one rule file.  Returns
 * the load's result; *rs is set on success, e->msg says why not. */
static int load_ruleset(char *dir, const char *decoders, const char *rules, struct hids_ruleset **rs,
			struct verr *e)
{
	char path[256];
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/decoders", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/rules", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	snprintf(path, sizeof(path), "%s/decoders/d.xml", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(decoders, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/rules/r.xml", dir);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(rules, f);
	fclose(f);
	struct hids_paths paths = { .dir = dir };
	*rs = NULL;
	return hids_ruleset_load(rs, &paths, NULL, e);
}

static void rm_rf(const char *dir)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

/* check_diff remembers the last output per rule and VM (as Wazuh per
 * agent): two VMs alternating their own steady outputs never alert; a
 * change in one alerts once. */
static void test_check_diff_per_vm(void **state)
{
	(void)state;
	char dir[] = "/tmp/vigil-hids-XXXXXX";
	struct hids_ruleset *rs = NULL;
	struct verr e = { "" };
	int lrc = load_ruleset(dir, "<decoder name=\"netstat\"><prematch>^ports open </prematch></decoder>\n",
			       "<group name=\"t,\"><rule id=\"1\" level=\"0\" noalert=\"1\"><category>syslog</category>"
			       "<description>the template</description></rule>\n<rule id=\"100\" level=\"0\"><decoded_as>netstat</decoded_as><description>netstat</description></rule>\n"
			       "<rule id=\"101\" level=\"7\"><if_sid>100</if_sid><check_diff />"
			       "<description>listened ports changed</description></rule></group>\n",
			       &rs, &e);
	if (lrc)
		fail_msg("%s", e.msg);
	struct hids_state *st = hids_state_new(rs);
	assert_non_null(st);
	struct hids_event ev;
	hids_event_init(&ev);
	static const struct { const char *vm, *out; bool alert; } steps[] = {
		{ "work", "ports open 22", false },     /* first output of work */
		{ "personal", "ports open 80", false }, /* first of personal */
		{ "work", "ports open 22", false },     /* same as work's last */
		{ "personal", "ports open 80", false },
		{ "work", "ports open 22 4444", true }, /* work's changed */
		{ "personal", "ports open 80", false }, /* personal's did not */
		{ NULL, "ports open 22", false },       /* the gateway's own, first */
		{ NULL, "ports open 23", true },
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		assert_int_equal(hids_event_set(&ev, "netstat", steps[i].out, strlen(steps[i].out)), 0);
		ev.agent = steps[i].vm;
		assert_int_equal(hids_analyze(rs, st, &ev, "gw"), 0);
		if (steps[i].alert != (ev.rule && hids_rule_id(ev.rule) == 101 && ev.alert))
			fail_msg("step %zu (%s, %s): alert %d expected", i, steps[i].vm ? steps[i].vm : "-",
				 steps[i].out, steps[i].alert);
	}
	hids_event_fini(&ev);
	hids_state_free(st);
	hids_ruleset_free(rs);
	rm_rf(dir);
}

/* <time> and <weekday> as Wazuh reads them: inclusive ranges, 12 am/pm,
 * a range wrapping midnight excluding both its ends; day names, their
 * abbreviations, weekdays/weekends, '!'.  Bad forms are load errors
 * naming the file and line. */
static void test_time_weekday(void **state)
{
	(void)state;
	setenv("TZ", "UTC", 1);
	tzset();
	static const char dec[] = "<decoder name=\"login\"><prematch>^login </prematch></decoder>\n";
	static const char rules[] =
		"<group name=\"t,\"><rule id=\"1\" level=\"0\"><decoded_as>login</decoded_as><description>l</description></rule>\n"
		"<rule id=\"10\" level=\"5\"><if_sid>1</if_sid><match>night</match><time>6 pm - 8:30 am</time><description>n</description></rule>\n"
		"<rule id=\"11\" level=\"5\"><if_sid>1</if_sid><match>noon</match><time>12 am - 12:30 pm</time><description>m</description></rule>\n"
		"<rule id=\"12\" level=\"5\"><if_sid>1</if_sid><match>out</match><time>!9:00-17:00</time><description>o</description></rule>\n"
		"<rule id=\"13\" level=\"5\"><if_sid>1</if_sid><match>wkend</match><weekday>weekends</weekday><description>w</description></rule>\n"
		"<rule id=\"14\" level=\"5\"><if_sid>1</if_sid><match>midweek</match><weekday>tue, Wednesday,thu</weekday><description>d</description></rule>\n"
		"<rule id=\"15\" level=\"5\"><if_sid>1</if_sid><match>notmon</match><weekday>!monday</weekday><description>x</description></rule>\n"
		"</group>\n";
	char dir[] = "/tmp/vigil-hids-XXXXXX";
	struct hids_ruleset *rs = NULL;
	struct verr e = { "" };
	if (load_ruleset(dir, dec, rules, &rs, &e))
		fail_msg("%s", e.msg);
	struct hids_state *st = hids_state_new(rs);
	assert_non_null(st);
	struct hids_event ev;
	hids_event_init(&ev);
	/* 2026-11-30 is a Monday; 1,795,996,800 is its midnight, UTC */
	const uint64_t monday = 1795996800u;
	static const struct { const char *line; int day, hh, mm; unsigned want; } steps[] = {
		{ "login night", 0, 8, 29, 10 }, { "login night", 0, 8, 30, 1 }, { "login night", 0, 12, 0, 1 },
		{ "login night", 0, 18, 0, 1 },  { "login night", 0, 18, 1, 10 }, { "login night", 0, 0, 0, 10 },
		{ "login noon", 0, 0, 0, 11 },   { "login noon", 0, 12, 30, 11 }, { "login noon", 0, 12, 31, 1 },
		{ "login out", 0, 8, 59, 12 },   { "login out", 0, 9, 0, 1 },     { "login out", 0, 17, 1, 12 },
		{ "login wkend", 5, 12, 0, 13 }, { "login wkend", 6, 23, 59, 13 }, { "login wkend", 0, 0, 0, 1 },
		{ "login midweek", 1, 1, 0, 14 }, { "login midweek", 3, 1, 0, 14 }, { "login midweek", 4, 1, 0, 1 },
		{ "login notmon", 0, 12, 0, 1 }, { "login notmon", 1, 12, 0, 15 },
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		assert_int_equal(hids_event_set(&ev, "t", steps[i].line, strlen(steps[i].line)), 0);
		ev.time_us = (monday + (uint64_t)steps[i].day * 86400u + (uint64_t)steps[i].hh * 3600u +
			      (uint64_t)steps[i].mm * 60u) * 1000000u;
		assert_int_equal(hids_analyze(rs, st, &ev, "gw"), 0);
		unsigned got = ev.rule ? hids_rule_id(ev.rule) : 0;
		if (got != steps[i].want)
			fail_msg("step %zu (%s, day +%d %02d:%02d): rule %u, want %u", i, steps[i].line,
				 steps[i].day, steps[i].hh, steps[i].mm, got, steps[i].want);
	}
	hids_event_fini(&ev);
	hids_state_free(st);
	hids_ruleset_free(rs);
	rm_rf(dir);

	static const char *bad[] = {
		"<time>25:00 - 8:00</time>", "<time>8:00</time>", "<time>8:0 - 9:00</time>",
		"<time>8 - 9 xm</time>", "<time>13 pm - 14 pm</time>", "<weekday>funday</weekday>",
		"<weekday>monday;tuesday</weekday>", "<weekday></weekday>",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char r[512], d2[] = "/tmp/vigil-hids-XXXXXX";
		snprintf(r, sizeof(r),
			 "<group name=\"t,\">\n<rule id=\"1\" level=\"0\">\n<decoded_as>login</decoded_as>\n%s\n"
			 "<description>l</description></rule></group>\n", bad[i]);
		struct verr e2 = { "" };
		if (load_ruleset(d2, dec, r, &rs, &e2) == 0)
			fail_msg("%s loaded", bad[i]);
		if (!strstr(e2.msg, "r.xml:4: rule 1"))
			fail_msg("%s: error without file:line: %s", bad[i], e2.msg);
		rm_rf(d2);
	}
}

/* Alerts nest dynamic fields on their dots as Wazuh's do; a JSON array
 * stays an array; a name both a value and a parent keeps both. */
static void test_data_nested(void **state)
{
	(void)state;
	char dir[] = "/tmp/vigil-hids-XXXXXX";
	struct hids_ruleset *rs = NULL;
	struct verr e = { "" };
	if (load_ruleset(dir,
			 "<decoder name=\"json\"><prematch>^{\\s*\"</prematch>"
			 "<plugin_decoder>JSON_Decoder</plugin_decoder></decoder>\n",
			 "<group name=\"t,\"><rule id=\"1\" level=\"3\"><decoded_as>json</decoded_as>"
			 "<description>j</description></rule></group>\n",
			 &rs, &e))
		fail_msg("%s", e.msg);
	struct hids_state *st = hids_state_new(rs);
	struct hids_event ev;
	hids_event_init(&ev);
	static const char line[] = "{\"win\":{\"system\":{\"eventID\":\"4625\",\"channel\":\"Security\"}},"
				   "\"tags\":[\"a\",\"b\"],\"a\":\"x\",\"a.b\":\"y\",\"srcip\":\"10.0.0.1\"}";
	assert_int_equal(hids_event_set(&ev, "t", line, strlen(line)), 0);
	assert_int_equal(hids_analyze(rs, st, &ev, "gw"), 0);
	struct jbuf jb = { 0 };
	jb_open_object(&jb, NULL);
	hids_event_json(&ev, &jb);
	jb_close(&jb);
	jb_append(&jb, "", 1);
	assert_false(jb.oom);
	static const char want[] = "\"data\":{\"srcip\":\"10.0.0.1\",\"win\":{\"system\":{\"eventID\":\"4625\","
				   "\"channel\":\"Security\"}},\"tags\":[\"a\",\"b\"],\"a\":\"x\",\"a.b\":\"y\"}";
	if (!strstr(jb.buf, want))
		fail_msg("%s", jb.buf);
	jb_fini(&jb);
	hids_event_fini(&ev);
	hids_state_free(st);
	hids_ruleset_free(rs);
	rm_rf(dir);
}

/* <accumulate/>: events of one id pool their addresses and users (the
 * ACCEPT line's source reaches the RESULT line), per VM, for 120 s. */
static void test_accumulate(void **state)
{
	(void)state;
	char dir[] = "/tmp/vigil-hids-XXXXXX";
	struct hids_ruleset *rs = NULL;
	struct verr e = { "" };
	if (load_ruleset(dir,
			 "<decoder name=\"ldap\"><prematch>^ldap: </prematch><accumulate/></decoder>\n"
			 "<decoder name=\"ldap-accept\"><parent>ldap</parent><prematch>ACCEPT</prematch><regex>conn=(\\d+) ACCEPT from (\\S+)$</regex>"
			 "<order>id, srcip</order><accumulate/></decoder>\n"
			 "<decoder name=\"ldap-bind\"><parent>ldap</parent><prematch>BIND</prematch><regex>conn=(\\d+) BIND (\\S+)$</regex>"
			 "<order>id, dstuser</order><accumulate/></decoder>\n"
			 "<decoder name=\"ldap-result\"><parent>ldap</parent><prematch>RESULT</prematch><regex>conn=(\\d+) RESULT err=49</regex>"
			 "<order>id</order><accumulate/></decoder>\n",
			 "<group name=\"t,\"><rule id=\"1\" level=\"0\" noalert=\"1\"><category>syslog</category>"
			 "<description>the template</description></rule>\n"
			 "<rule id=\"100\" level=\"0\"><decoded_as>ldap</decoded_as><description>l</description></rule>\n"
			 "<rule id=\"101\" level=\"5\"><if_sid>100</if_sid><match>err=49</match><srcip>10.0.0.0/8</srcip>"
			 "<user>admin</user><description>bad password for $(dstuser) from $(srcip)</description></rule></group>\n",
			 &rs, &e))
		fail_msg("%s", e.msg);
	struct hids_state *st = hids_state_new(rs);
	struct hids_event ev;
	hids_event_init(&ev);
	static const struct { const char *vm, *line; unsigned sec, want; } steps[] = {
		{ "a", "ldap: conn=7 ACCEPT from 10.1.2.3", 0, 100 },
		{ "a", "ldap: conn=7 BIND admin", 1, 100 },
		{ "a", "ldap: conn=7 RESULT err=49", 2, 101 },   /* srcip and user pooled */
		{ "a", "ldap: conn=8 RESULT err=49", 3, 100 },   /* another id */
		{ "b", "ldap: conn=7 RESULT err=49", 4, 100 },   /* another VM */
		{ "a", "ldap: conn=7 RESULT err=49", 122, 101 }, /* 120 s after the last event */
		{ "a", "ldap: conn=7 RESULT err=49", 300, 100 }, /* expired */
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		assert_int_equal(hids_event_set(&ev, "ldap", steps[i].line, strlen(steps[i].line)), 0);
		ev.agent = steps[i].vm;
		ev.time_us = (1700000000ull + steps[i].sec) * 1000000u;
		assert_int_equal(hids_analyze(rs, st, &ev, "gw"), 0);
		unsigned got = ev.rule ? hids_rule_id(ev.rule) : 0;
		if (got != steps[i].want)
			fail_msg("step %zu (%s %s): rule %u, want %u", i, steps[i].vm, steps[i].line, got, steps[i].want);
	}
	hids_event_fini(&ev);
	hids_state_free(st);
	hids_ruleset_free(rs);
	rm_rf(dir);
}

/* same_location under global_frequency: a location is a VM's, so the
 * same file in two VMs does not count as one place (Wazuh's location
 * carries the agent). */
static void test_same_location_per_vm(void **state)
{
	(void)state;
	char dir[] = "/tmp/vigil-hids-XXXXXX";
	struct hids_ruleset *rs = NULL;
	struct verr e = { "" };
	if (load_ruleset(dir, "<decoder name=\"fail\"><prematch>^auth failure</prematch></decoder>\n",
			 "<group name=\"t,\"><rule id=\"1\" level=\"0\" noalert=\"1\"><category>syslog</category>"
			 "<description>the template</description></rule>\n"
			 "<rule id=\"100\" level=\"3\"><decoded_as>fail</decoded_as><description>f</description></rule>\n"
			 "<rule id=\"101\" level=\"8\" frequency=\"2\" timeframe=\"60\"><if_matched_sid>100</if_matched_sid>"
			 "<global_frequency /><same_location /><description>two in one place</description></rule></group>\n",
			 &rs, &e))
		fail_msg("%s", e.msg);
	struct hids_state *st = hids_state_new(rs);
	struct hids_event ev;
	hids_event_init(&ev);
	static const struct { const char *vm; unsigned want; } steps[] = {
		{ "a", 100 }, { "b", 100 }, /* same path, two VMs: not one place */
		{ "b", 101 },               /* b's second */
	};
	for (size_t i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		static const char line[] = "auth failure";
		assert_int_equal(hids_event_set(&ev, "/var/log/auth.log", line, strlen(line)), 0);
		ev.agent = steps[i].vm;
		ev.time_us = (1700000000ull + i) * 1000000u;
		assert_int_equal(hids_analyze(rs, st, &ev, "gw"), 0);
		unsigned got = ev.rule ? hids_rule_id(ev.rule) : 0;
		if (got != steps[i].want)
			fail_msg("step %zu (%s): rule %u, want %u", i, steps[i].vm, got, steps[i].want);
	}
	hids_event_fini(&ev);
	hids_state_free(st);
	hids_ruleset_free(rs);
	rm_rf(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_predecode),
		cmocka_unit_test(test_predecode_prefixes),
		cmocka_unit_test(test_xml),
		cmocka_unit_test(test_agent_records),
		cmocka_unit_test(test_check_diff_per_vm),
		cmocka_unit_test(test_time_weekday),
		cmocka_unit_test(test_data_nested),
		cmocka_unit_test(test_accumulate),
		cmocka_unit_test(test_same_location_per_vm),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
