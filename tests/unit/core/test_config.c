/* Unit tests for configuration: defaults, YAML, --set, errors with file:line. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "alloc.h"
#include "config.h"

static const char *write_tmp(const char *text)
{
	static char path[64];
	snprintf(path, sizeof(path), "/tmp/vigil-cfg-test-%d.yaml", (int)getpid());
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void test_defaults(void **state)
{
	(void)state;
	struct config c;
	assert_int_equal(config_init(&c), 0);
	assert_int_equal(c.flow_memcap, 128ULL << 20);
	assert_int_equal(c.to_tcp_est, 600);
	assert_true(c.eve_enabled);
	assert_string_equal(c.eve_filename, "eve.json");
	assert_int_equal(c.runmode, RUNMODE_WORKERS);
	config_fini(&c);
}

static void test_yaml_and_set(void **state)
{
	(void)state;
	struct config c;
	struct verr e;
	config_init(&c);
	const char *p = write_tmp("%YAML 1.1\n---\nflow:\n  memcap: 64mb\n  hash-size: 1024\n"
				  "outputs:\n  eve:\n    filename: x.json\n    types:\n"
				  "      flow: no\nrunmode: single\n");
	assert_int_equal(config_load_file(&c, p, &e), 0);
	assert_int_equal(c.flow_memcap, 64ULL << 20);
	assert_int_equal(c.flow_hash_size, 1024);
	assert_string_equal(c.eve_filename, "x.json");
	assert_false(c.eve_flow);
	assert_int_equal(c.runmode, RUNMODE_SINGLE);
	assert_int_equal(config_set(&c, "flow-timeouts.tcp.new=5", &e), 0);
	assert_int_equal(c.to_tcp_new, 5);
	config_fini(&c);
}

static void test_errors_name_file_and_line(void **state)
{
	(void)state;
	struct config c;
	struct verr e;
	config_init(&c);
	const char *p = write_tmp("flow:\n  memcap: 64mb\n  memcapp: 1\n");
	assert_int_equal(config_load_file(&c, p, &e), V_EINVAL);
	assert_non_null(strstr(e.msg, ":3:"));
	assert_non_null(strstr(e.msg, "flow.memcapp"));
	p = write_tmp("flow:\n  memcap: lots\n");
	assert_int_equal(config_load_file(&c, p, &e), V_EINVAL);
	assert_non_null(strstr(e.msg, ":2:"));
	assert_non_null(strstr(e.msg, "lots"));
	p = write_tmp("runmode: fast\n");
	assert_int_equal(config_load_file(&c, p, &e), V_EINVAL);
	assert_non_null(strstr(e.msg, ":1:"));
	p = write_tmp("flow:\n  memcap: \"64mb\n");
	assert_int_equal(config_load_file(&c, p, &e), V_EINVAL);
	assert_non_null(strstr(e.msg, "YAML"));
	p = write_tmp("nosuchsection:\n  a: 1\n");
	assert_int_equal(config_load_file(&c, p, &e), V_EINVAL);
	assert_non_null(strstr(e.msg, ":1:"));
	assert_int_equal(config_set(&c, "nokey=1", &e), V_EINVAL);
	assert_int_equal(config_set(&c, "novalue", &e), V_EINVAL);
	assert_int_equal(config_load_file(&c, "/nonexistent/x.yaml", &e), V_EIO);
	config_fini(&c);
}

static void test_allocation_failures(void **state)
{
	(void)state;
	/* fail the Nth allocation for every N until config_init succeeds */
	for (uint64_t n = 1; n < 200; n++) {
		struct config c;
		alloc_fail_after(n);
		int rc = config_init(&c);
		alloc_fail_after(0);
		if (rc == 0) {
			config_fini(&c);
			return;
		}
		assert_int_equal(rc, V_ENOMEM);
	}
	fail_msg("config_init never succeeded");
}

/* The exception policies: a target's own value, else the master switch;
 * auto, the flowless targets, midstream with stream.midstream, IDS mode. */
static void test_exception_policies(void **state)
{
	(void)state;
	struct config c;
	struct verr e;
	config_init(&c);
	/* defaults: auto; IDS: everything ignore */
	for (int t = 0; t < XP_TARGET_MAX; t++)
		assert_int_equal(config_xp(&c, (enum xp_target)t, c.simulate_ips), XP_IGNORE);
	/* inline on NFQUEUE (the worker's mode, not simulate-ips) */
	assert_int_equal(config_xp(&c, XP_MIDSTREAM, true), XP_DROP_FLOW);
	/* inline (simulate-ips): auto is drop-flow, drop-packet without a flow */
	assert_int_equal(config_set(&c, "simulate-ips=yes", &e), 0);
	assert_int_equal(config_xp(&c, XP_REASM_MEMCAP, c.simulate_ips), XP_DROP_FLOW);
	assert_int_equal(config_xp(&c, XP_MIDSTREAM, c.simulate_ips), XP_DROP_FLOW);
	assert_int_equal(config_xp(&c, XP_FLOW_MEMCAP, c.simulate_ips), XP_DROP_PACKET);
	assert_int_equal(config_xp(&c, XP_DEFRAG_MEMCAP, c.simulate_ips), XP_DROP_PACKET);
	/* with stream.midstream, the midstream policy's auto is ignore */
	assert_int_equal(config_set(&c, "stream.midstream=yes", &e), 0);
	assert_int_equal(config_xp(&c, XP_MIDSTREAM, c.simulate_ips), XP_IGNORE);
	assert_int_equal(config_xp(&c, XP_STREAM_MEMCAP, c.simulate_ips), XP_DROP_FLOW);
	/* the master switch, and a target's own value over it */
	assert_int_equal(config_set(&c, "exception-policy=bypass", &e), 0);
	assert_int_equal(config_xp(&c, XP_MIDSTREAM, c.simulate_ips), XP_BYPASS);
	assert_int_equal(config_xp(&c, XP_APP_ERROR, c.simulate_ips), XP_BYPASS);
	assert_int_equal(config_xp(&c, XP_FLOW_MEMCAP, c.simulate_ips), XP_IGNORE); /* no flow to bypass */
	assert_int_equal(config_set(&c, "app-layer.error-policy=pass-packet", &e), 0);
	assert_int_equal(config_xp(&c, XP_APP_ERROR, c.simulate_ips), XP_PASS_PACKET);
	assert_int_equal(config_set(&c, "flow.memcap-policy=pass-flow", &e), 0);
	assert_int_equal(config_xp(&c, XP_FLOW_MEMCAP, c.simulate_ips), XP_PASS_PACKET);
	/* only ignore and pass-flow for midstream with stream.midstream on */
	assert_int_equal(config_set(&c, "stream.midstream-policy=drop-flow", &e), 0);
	assert_int_equal(config_check(&c, &e), V_EINVAL);
	assert_int_equal(config_set(&c, "stream.midstream-policy=pass-flow", &e), 0);
	assert_int_equal(config_check(&c, &e), 0);
	assert_int_equal(config_xp(&c, XP_MIDSTREAM, c.simulate_ips), XP_PASS_FLOW);
	/* drop-packet is no midstream policy */
	assert_int_equal(config_set(&c, "stream.midstream=no", &e), 0);
	assert_int_equal(config_set(&c, "stream.midstream-policy=drop-packet", &e), 0);
	assert_int_equal(config_check(&c, &e), V_EINVAL);
	/* IDS: the dropping policies are ignore, the others stay */
	assert_int_equal(config_set(&c, "stream.midstream-policy=reject", &e), 0);
	assert_int_equal(config_xp(&c, XP_MIDSTREAM, c.simulate_ips), XP_REJECT);
	assert_int_equal(config_set(&c, "simulate-ips=no", &e), 0);
	assert_int_equal(config_xp(&c, XP_MIDSTREAM, c.simulate_ips), XP_IGNORE);
	assert_int_equal(config_xp(&c, XP_APP_ERROR, c.simulate_ips), XP_PASS_PACKET);
	assert_int_equal(config_set(&c, "exception-policy=drop-flow", &e), 0);
	assert_int_equal(config_xp(&c, XP_REASM_MEMCAP, c.simulate_ips), XP_IGNORE);
	/* an unknown value is an error */
	assert_int_not_equal(config_set(&c, "exception-policy=drop-everything", &e), 0);
	assert_string_equal(xp_policy_names[XP_PASS_FLOW], "pass_flow");
	assert_string_equal(xp_target_names[XP_MIDSTREAM], "stream_midstream");
	assert_string_equal(xp_drop_reasons[XP_APP_ERROR], "applayer error");
	config_fini(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_yaml_and_set),
		cmocka_unit_test(test_errors_name_file_and_line),
		cmocka_unit_test(test_allocation_failures),
		cmocka_unit_test(test_exception_policies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
