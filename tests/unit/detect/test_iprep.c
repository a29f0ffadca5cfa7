/*
 * Unit tests for IP reputation (detect/iprep.c): the categories and
 * reputation file formats and their errors (file:line), the most specific
 * network winning (and plain addresses over networks), every operator
 * and side of the iprep keyword with Suricata 8's semantics, the rule
 * option's errors, and loading from the configuration.
 */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "config.h"
#include "iprep.h"
#include "parse.h"
#include "rule.h"

static const char cats[] = "1,BadHosts,Known bad hosts\n"
			   "2,GoodHosts,Known good hosts\n"
			   "# a comment\n"
			   "\n"
			   "10,2402000,ET DROP Dshield, with a comma\n";

static struct iprep *build(const char *entries)
{
	struct verr e = { "" };
	struct iprep *r = iprep_new(true);
	assert_non_null(r);
	assert_int_equal(iprep_add_categories(r, cats, strlen(cats), "cats", &e), 0);
	int bad = iprep_add_entries(r, entries, strlen(entries), "rep", &e);
	if (bad)
		fail_msg("bad lines: %s", e.msg);
	assert_int_equal(iprep_seal(r, &e), 0);
	return r;
}

static int get(const struct iprep *r, unsigned cat, const char *addr)
{
	uint8_t a[16] = { 0 };
	if (inet_pton(AF_INET, addr, a) == 1)
		return iprep_get(r, cat, 4, a);
	assert_int_equal(inet_pton(AF_INET6, addr, a), 1);
	return iprep_get(r, cat, 6, a);
}

static void test_categories(void **state)
{
	(void)state;
	struct iprep *r = build("");
	assert_int_equal(iprep_category(r, "BadHosts"), 1);
	assert_int_equal(iprep_category(r, "GoodHosts"), 2);
	assert_int_equal(iprep_category(r, "2402000"), 10);
	assert_int_equal(iprep_category(r, "badhosts"), 0); /* case matters, as in Suricata */
	assert_int_equal(iprep_category(r, "Nope"), 0);
	iprep_free(r);

	/* bad lines: counted, the first named by file and line */
	static const char badcats[] = "1,ok,fine\n"
				      "0,zero,no id 0\n"
				      "61,big,too big\n"
				      "x,name,not a number\n"
				      "3\n"
				      "4,has space,bad name\n"
				      "5,aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa,too long\n"
				      "60,last,the last id\n";
	struct verr e = { "" };
	r = iprep_new(true);
	assert_int_equal(iprep_add_categories(r, badcats, strlen(badcats), "c.txt", &e), 6);
	assert_non_null(strstr(e.msg, "c.txt:2:"));
	assert_non_null(strstr(e.msg, "\"0,zero,no id 0\""));
	assert_int_equal(iprep_category(r, "ok"), 1);
	assert_int_equal(iprep_category(r, "last"), 60);
	assert_int_equal(iprep_category(r, "big"), 0);
	iprep_free(r);
}

static void test_entries_format(void **state)
{
	(void)state;
	/* LF, CRLF and lone CR line ends; comments, blanks, a header line,
	 * spaces around fields, IPv6 */
	static const char text[] = "ip,category,score\n"
				   "# comment\n"
				   "1.2.3.4,1,101\r\n"
				   "1.2.3.5 , 1 , 0\r"
				   "\r\n"
				   "2001:db8::1,2,7\n"
				   "8.8.8.8,10,100";
	struct iprep *r = build(text);
	assert_int_equal(iprep_entries(r), 4);
	assert_int_equal(get(r, 1, "1.2.3.4"), 101);
	assert_int_equal(get(r, 1, "1.2.3.5"), 0); /* a score of 0 is a score */
	assert_int_equal(get(r, 1, "1.2.3.6"), -1);
	assert_int_equal(get(r, 2, "1.2.3.4"), -1); /* another category */
	assert_int_equal(get(r, 2, "2001:db8::1"), 7);
	assert_int_equal(get(r, 2, "2001:db8::2"), -1);
	assert_int_equal(get(r, 10, "8.8.8.8"), 100);
	assert_true(iprep_memory(r) > 0);
	iprep_free(r);

	static const char bad[] = "1.2.3.4,1,10\n"
				  "1.2.3.300,1,10\n"    /* 2: address */
				  "1.2.3.4,61,10\n"     /* 3: category */
				  "1.2.3.4,1,128\n"     /* 4: score */
				  "1.2.3.4,1\n"         /* 5: fields */
				  "1.2.3.4,1,1,1\n"     /* 6: fields */
				  "10.0.0.0/33,1,1\n"   /* 7: prefix */
				  "1.2.3.4,1,-1\n"      /* 8: score */
				  "5.6.7.8,1,20\n";
	struct verr e = { "" };
	r = iprep_new(true);
	assert_int_equal(iprep_add_categories(r, cats, strlen(cats), "cats", &e), 0);
	assert_int_equal(iprep_add_entries(r, bad, strlen(bad), "rep.list", &e), 7);
	assert_non_null(strstr(e.msg, "rep.list:2:"));
	assert_non_null(strstr(e.msg, "1.2.3.300"));
	assert_int_equal(iprep_seal(r, &e), 0);
	assert_int_equal(get(r, 1, "1.2.3.4"), 10); /* the good lines load */
	assert_int_equal(get(r, 1, "5.6.7.8"), 20);
	iprep_free(r);
}

static void test_cidr_precedence(void **state)
{
	(void)state;
	/* nested networks, written widest last and in mixed order */
	static const char text[] = "10.1.2.0/24,1,30\n"
				   "10.0.0.0/8,1,10\n"
				   "10.1.2.3,1,40\n"
				   "10.1.0.0/16,1,20\n"
				   "10.1.2.128/25,1,35\n"
				   "0.0.0.0/0,2,1\n"
				   "192.168.0.0/16,2,127\n"
				   "192.168.1.7/16,1,5\n"   /* host bits ignored: 192.168.0.0/16 */
				   "255.255.255.255,2,9\n"
				   "::/0,1,2\n"
				   "2001:db8::/32,1,50\n"
				   "2001:db8:1::/48,1,60\n"
				   "2001:db8:1::1,1,70\n"
				   "ffff::/16,1,80\n";
	struct iprep *r = build(text);
	assert_int_equal(get(r, 1, "10.9.9.9"), 10);
	assert_int_equal(get(r, 1, "10.1.9.9"), 20);
	assert_int_equal(get(r, 1, "10.1.2.4"), 30);
	assert_int_equal(get(r, 1, "10.1.2.3"), 40);
	assert_int_equal(get(r, 1, "10.1.2.2"), 30);
	assert_int_equal(get(r, 1, "10.1.2.200"), 35);
	assert_int_equal(get(r, 1, "10.1.2.127"), 30);
	assert_int_equal(get(r, 1, "10.1.3.0"), 20);
	assert_int_equal(get(r, 1, "10.2.0.0"), 10);
	assert_int_equal(get(r, 1, "9.255.255.255"), -1);
	assert_int_equal(get(r, 1, "11.0.0.0"), -1);
	assert_int_equal(get(r, 1, "192.168.200.1"), 5);
	assert_int_equal(get(r, 2, "1.1.1.1"), 1);
	assert_int_equal(get(r, 2, "192.168.0.13"), 127);
	assert_int_equal(get(r, 2, "255.255.255.255"), 9);
	assert_int_equal(get(r, 2, "255.255.255.254"), 1);
	assert_int_equal(get(r, 2, "0.0.0.0"), 1);
	assert_int_equal(get(r, 1, "::1"), 2);
	assert_int_equal(get(r, 1, "2001:db8:2::1"), 50);
	assert_int_equal(get(r, 1, "2001:db8:1::2"), 60);
	assert_int_equal(get(r, 1, "2001:db8:1::1"), 70);
	assert_int_equal(get(r, 1, "ffff::1"), 80);
	assert_int_equal(get(r, 1, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"), 80);
	assert_int_equal(get(r, 1, "fffe::1"), 2);
	iprep_free(r);

	/* equal entries: of hosts the last, of networks the first; a host
	 * above a /32 of the same address whatever the order */
	r = build("1.1.1.1,1,1\n1.1.1.1,1,2\n"
		  "2.2.2.0/24,1,3\n2.2.2.0/24,1,4\n"
		  "3.3.3.3,1,5\n3.3.3.3/32,1,6\n"
		  "4.4.4.4/32,1,7\n4.4.4.4,1,8\n");
	assert_int_equal(get(r, 1, "1.1.1.1"), 2);
	assert_int_equal(get(r, 1, "2.2.2.9"), 3);
	assert_int_equal(get(r, 1, "3.3.3.3"), 5);
	assert_int_equal(get(r, 1, "4.4.4.4"), 8);
	iprep_free(r);
}

static struct iprep_cond cond(const struct iprep *r, const char *arg)
{
	struct iprep_cond c;
	char err[256] = "";
	if (iprep_cond_parse(r, arg, &c, err, sizeof(err)) < 0)
		fail_msg("%s: %s", arg, err);
	return c;
}

static bool m(const struct iprep *r, const char *arg, const char *src, const char *dst)
{
	struct iprep_cond c = cond(r, arg);
	uint8_t s[16] = { 0 }, d[16] = { 0 };
	assert_int_equal(inet_pton(AF_INET, src, s), 1);
	assert_int_equal(inet_pton(AF_INET, dst, d), 1);
	return iprep_cond_match(r, &c, 4, s, d);
}

static void test_operators(void **state)
{
	(void)state;
	struct iprep *r = build("1.0.0.1,1,50\n1.0.0.2,1,0\n");
	/* 1.0.0.1 scores 50, 1.0.0.2 scores 0, 9.9.9.9 none */
	assert_true(m(r, "src,BadHosts,>,49", "1.0.0.1", "9.9.9.9"));
	assert_false(m(r, "src,BadHosts,>,50", "1.0.0.1", "9.9.9.9"));
	assert_true(m(r, "src,BadHosts,<,51", "1.0.0.1", "9.9.9.9"));
	assert_false(m(r, "src,BadHosts,<,50", "1.0.0.1", "9.9.9.9"));
	assert_true(m(r, "src,BadHosts,=,50", "1.0.0.1", "9.9.9.9"));
	assert_false(m(r, "src,BadHosts,=,49", "1.0.0.1", "9.9.9.9"));
	assert_true(m(r, "src,BadHosts,!=,49", "1.0.0.1", "9.9.9.9"));
	assert_false(m(r, "src,BadHosts,!=,50", "1.0.0.1", "9.9.9.9"));
	assert_true(m(r, "src,BadHosts,>=,50", "1.0.0.1", "9.9.9.9"));
	assert_true(m(r, "src,BadHosts,<=,50", "1.0.0.1", "9.9.9.9"));
	assert_false(m(r, "src,BadHosts,<=,49", "1.0.0.1", "9.9.9.9"));
	/* a score of 0 compares (Suricata 7.0.5+, bug 6834) */
	assert_true(m(r, "src,BadHosts,=,0", "1.0.0.2", "9.9.9.9"));
	assert_true(m(r, "src,BadHosts,<,10", "1.0.0.2", "9.9.9.9"));
	assert_true(m(r, "src,BadHosts,!=,1", "1.0.0.2", "9.9.9.9"));
	/* no score: no comparison holds, not even != or < */
	assert_false(m(r, "src,BadHosts,!=,1", "9.9.9.9", "1.0.0.1"));
	assert_false(m(r, "src,BadHosts,<,127", "9.9.9.9", "1.0.0.1"));
	/* isset / isnotset */
	assert_true(m(r, "src,BadHosts,isset", "1.0.0.2", "9.9.9.9"));
	assert_false(m(r, "src,BadHosts,isset", "9.9.9.9", "1.0.0.1"));
	assert_true(m(r, "src,BadHosts,isnotset", "9.9.9.9", "1.0.0.1"));
	assert_false(m(r, "src,BadHosts,isnotset", "1.0.0.2", "9.9.9.9"));
	/* another category has no score for these */
	assert_true(m(r, "src,GoodHosts,isnotset", "1.0.0.1", "9.9.9.9"));
	iprep_free(r);
}

static void test_sides(void **state)
{
	(void)state;
	struct iprep *r = build("1.0.0.1,1,50\n1.0.0.2,1,10\n");
	const char *hi = "1.0.0.1", *lo = "1.0.0.2", *none = "9.9.9.9";
	/* src / dst */
	assert_true(m(r, "src,BadHosts,>,20", hi, none));
	assert_false(m(r, "src,BadHosts,>,20", none, hi));
	assert_true(m(r, "dst,BadHosts,>,20", none, hi));
	assert_false(m(r, "dst,BadHosts,>,20", hi, none));
	assert_true(m(r, "dst,BadHosts,isnotset", hi, none));
	assert_false(m(r, "dst,BadHosts,isnotset", none, lo));
	/* any: either address (the source's failing comparison does not
	 * stop the destination's) */
	assert_true(m(r, "any,BadHosts,>,20", hi, none));
	assert_true(m(r, "any,BadHosts,>,20", none, hi));
	assert_true(m(r, "any,BadHosts,>,20", lo, hi));
	assert_false(m(r, "any,BadHosts,>,20", lo, lo));
	assert_false(m(r, "any,BadHosts,>,20", none, none));
	assert_true(m(r, "any,BadHosts,isnotset", hi, none));
	assert_true(m(r, "any,BadHosts,isnotset", none, hi));
	assert_false(m(r, "any,BadHosts,isnotset", hi, lo));
	/* both: both addresses */
	assert_true(m(r, "both,BadHosts,>,5", hi, lo));
	assert_false(m(r, "both,BadHosts,>,20", hi, lo));
	assert_false(m(r, "both,BadHosts,>,20", lo, hi));
	assert_false(m(r, "both,BadHosts,>,5", hi, none));
	assert_false(m(r, "both,BadHosts,>,5", none, hi));
	assert_true(m(r, "both,BadHosts,isset", hi, lo));
	assert_true(m(r, "both,BadHosts,isnotset", none, none));
	assert_false(m(r, "both,BadHosts,isnotset", hi, none));
	assert_false(m(r, "both,BadHosts,isnotset", none, lo));
	/* no IP layer: nothing */
	struct iprep_cond c = cond(r, "any,BadHosts,isnotset");
	uint8_t z[16] = { 0 };
	assert_false(iprep_cond_match(r, &c, 0, z, z));
	iprep_free(r);
}

static void test_keyword(void **state)
{
	(void)state;
	struct iprep *r = build("1.0.0.1,1,50\n");
	struct parse_ctx pc;
	memset(&pc, 0, sizeof(pc));
	pc.iprep = r;
	struct rule *ru = rule_parse("alert ip any any -> any any (iprep: any , BadHosts , > , 30; "
				     "iprep:dst,2402000,isnotset; sid:1;)", &pc);
	if (!ru)
		fail_msg("%s", pc.err);
	assert_int_equal(ru->ipr_cnt, 2);
	assert_int_equal(ru->ipr[0].side, IPREP_ANY);
	assert_int_equal(ru->ipr[0].cat, 1);
	assert_int_equal(ru->ipr[0].op, IPREP_GT);
	assert_int_equal(ru->ipr[0].val, 30);
	assert_int_equal(ru->ipr[1].side, IPREP_DST);
	assert_int_equal(ru->ipr[1].cat, 10);
	assert_int_equal(ru->ipr[1].op, IPREP_ISNOTSET);
	rule_free(ru);

	static const char *const bad[][2] = {
		{ "iprep:any,Unknown,>,1;", "unknown category \"Unknown\"" },
		{ "iprep:up,BadHosts,>,1;", "side \"up\"" },
		{ "iprep:any,BadHosts,~,1;", "is not an operator" },
		{ "iprep:any,BadHosts,>,256;", "is not an operator" },
		{ "iprep:any,BadHosts,>,x;", "is not an operator" },
		{ "iprep:any,BadHosts,>;", "is not isset or isnotset" },
		{ "iprep:any,BadHosts;", "expected side" },
		{ "iprep:any,BadHosts,>,1,2;", "expected side" },
		{ "iprep;", "iprep" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text), "alert ip any any -> any any (%s sid:1;)", bad[i][0]);
		memset(&pc, 0, sizeof(pc));
		pc.iprep = r;
		ru = rule_parse(text, &pc);
		if (ru)
			fail_msg("parsed: %s", text);
		if (!strstr(pc.err, bad[i][1]))
			fail_msg("%s: error \"%s\" lacks \"%s\"", text, pc.err, bad[i][1]);
	}
	/* without reputation configured */
	memset(&pc, 0, sizeof(pc));
	assert_null(rule_parse("alert ip any any -> any any (iprep:any,BadHosts,>,1; sid:1;)", &pc));
	assert_non_null(strstr(pc.err, "no IP reputation configured"));
	iprep_free(r);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_from_config(void **state)
{
	(void)state;
	char dir[] = "/tmp/test-iprep-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char p[256], q[256];
	snprintf(p, sizeof(p), "%s/cats.txt", dir);
	write_file(p, cats);
	snprintf(p, sizeof(p), "%s/a.list", dir);
	write_file(p, "1.2.3.4,1,100\nnot-an-address,1,1\n");
	snprintf(p, sizeof(p), "%s/b.list", dir);
	/* a block boundary does not split lines: > 1 MiB of entries */
	FILE *f = fopen(p, "w");
	assert_non_null(f);
	for (unsigned i = 0; i < 70000; i++)
		fprintf(f, "2.%u.%u.%u,2,%u\r\n", i >> 16, (i >> 8) & 255, i & 255, i % 128);
	fclose(f);

	struct config cfg;
	assert_int_equal(config_init(&cfg), 0);
	struct verr e = { "" };
	/* neither key: no set, no error */
	assert_null(iprep_from_config(&cfg, true, &e));
	assert_string_equal(e.msg, "");
	snprintf(q, sizeof(q), "reputation-categories-file=%s/cats.txt", dir);
	assert_int_equal(config_set(&cfg, q, &e), 0);
	assert_int_equal(config_set(&cfg, "reputation-files=a.list,b.list", &e), 0);
	snprintf(q, sizeof(q), "default-reputation-path=%s", dir);
	assert_int_equal(config_set(&cfg, q, &e), 0);
	struct iprep *r = iprep_from_config(&cfg, true, &e);
	if (!r)
		fail_msg("%s", e.msg);
	assert_int_equal(iprep_entries(r), 70001);
	assert_int_equal(get(r, 1, "1.2.3.4"), 100);
	assert_int_equal(get(r, 2, "2.0.0.0"), 0);
	assert_int_equal(get(r, 2, "2.1.17.111"), (int)((1u << 16 | 17u << 8 | 111u) % 128));
	assert_int_equal(get(r, 2, "2.1.17.112"), -1); /* i = 70000: not written */
	assert_int_equal(get(r, 2, "2.2.0.0"), -1);
	iprep_free(r);

	/* engine.init-failure-fatal: the bad line is an error naming it */
	assert_int_equal(config_set(&cfg, "engine.init-failure-fatal=yes", &e), 0);
	assert_null(iprep_from_config(&cfg, true, &e));
	assert_non_null(strstr(e.msg, "a.list:2:"));
	assert_non_null(strstr(e.msg, "not-an-address"));

	/* without default-reputation-path: the configuration's folder */
	assert_int_equal(config_set(&cfg, "engine.init-failure-fatal=no", &e), 0);
	assert_int_equal(config_set(&cfg, "default-reputation-path=", &e), 0);
	snprintf(q, sizeof(q), "config-dir=%s", dir);
	assert_int_equal(config_set(&cfg, q, &e), 0);
	r = iprep_from_config(&cfg, true, &e);
	if (!r)
		fail_msg("%s", e.msg);
	assert_int_equal(get(r, 1, "1.2.3.4"), 100);
	iprep_free(r);

	/* a missing categories file, or only one of the keys: errors */
	assert_int_equal(config_set(&cfg, "reputation-categories-file=nope.txt", &e), 0);
	assert_null(iprep_from_config(&cfg, true, &e));
	assert_non_null(strstr(e.msg, "nope.txt"));
	assert_int_equal(config_set(&cfg, "reputation-files=", &e), 0);
	assert_null(iprep_from_config(&cfg, true, &e));
	assert_non_null(strstr(e.msg, "reputation-files is not"));
	config_fini(&cfg);

	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_categories),
		cmocka_unit_test(test_entries_format),
		cmocka_unit_test(test_cidr_precedence),
		cmocka_unit_test(test_operators),
		cmocka_unit_test(test_sides),
		cmocka_unit_test(test_keyword),
		cmocka_unit_test(test_from_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
