/* Unit tests for the run-time policy changes (overrides.json): adding
 * checks each kind's target, duplicates are found, removal, a write and
 * read give the same set back, the "ctl" list files hold the global
 * blocks only, an identity map applies VM rules and suppressions, and a
 * malformed file is an error naming it. */
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
#include "identity.h"
#include "overrides.h"
#include "vigil.h"

static struct ovr mk(uint8_t act, const char *vm, const char *target, uint32_t sid)
{
	struct ovr x = { .action = act, .gid = sid ? 1 : 0, .sid = sid };
	snprintf(x.vm, sizeof(x.vm), "%s", vm);
	snprintf(x.target, sizeof(x.target), "%s", target);
	return x;
}

static void test_add_checks(void **state)
{
	(void)state;
	struct overrides o = { 0 };
	struct verr e = { "" };
	struct ovr x = mk(OVR_ALLOW, "work", "*.matrix.org tcp/443", 0);
	assert_int_equal(overrides_add(&o, &x, &e), 0);
	assert_int_equal(overrides_add(&o, &x, &e), 1); /* already there */
	x = mk(OVR_ALLOW, "", "a.example", 0);
	assert_true(overrides_add(&o, &x, &e) < 0); /* allow needs a VM */
	x = mk(OVR_DENY, "work", "a.example tcp/99999", 0);
	assert_true(overrides_add(&o, &x, &e) < 0); /* bad port */
	x = mk(OVR_BLOCK, "", "evil.example", 0);
	assert_int_equal(overrides_add(&o, &x, &e), 0);
	x = mk(OVR_BLOCK, "", "198.51.100.0/24", 0);
	assert_int_equal(overrides_add(&o, &x, &e), 0);
	x = mk(OVR_BLOCK, "", "192.168.1.1", 0);
	assert_true(overrides_add(&o, &x, &e) < 0); /* private space */
	x = mk(OVR_BLOCK, "", "no spaces.example", 0);
	assert_true(overrides_add(&o, &x, &e) < 0);
	x = mk(OVR_BLOCK, "", "localhost", 0);
	assert_true(overrides_add(&o, &x, &e) < 0); /* not a domain */
	x = mk(OVR_SUPPRESS, "", "", 0);
	assert_true(overrides_add(&o, &x, &e) < 0); /* no sid */
	x = mk(OVR_SUPPRESS, "personal", "", 2013028);
	assert_int_equal(overrides_add(&o, &x, &e), 0);
	assert_int_equal(o.n, 4);
	x = mk(OVR_BLOCK, "", "evil.example", 0);
	assert_int_equal(overrides_remove(&o, &x), 0);
	assert_int_equal(overrides_remove(&o, &x), 1);
	assert_int_equal(o.n, 3);
	overrides_fini(&o);
}

static void test_roundtrip(void **state)
{
	(void)state;
	char dir[] = "/tmp/vigil-ovr-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[256], ips[256], doms[256];
	snprintf(path, sizeof(path), "%s/overrides.json", dir);
	snprintf(ips, sizeof(ips), "%s/ips.txt", dir);
	snprintf(doms, sizeof(doms), "%s/doms.txt", dir);
	struct overrides o = { 0 }, r = { 0 };
	struct verr e = { "" };
	struct ovr v[] = { mk(OVR_ALLOW, "work", "example.com", 0),
			   mk(OVR_BLOCK, "", "*.evil.example", 0),
			   mk(OVR_BLOCK, "", "203.0.113.7", 0),
			   mk(OVR_SUPPRESS, "", "", 2000001),
			   mk(OVR_DENY, "work", "\"quoted\".example", 0) };
	for (size_t i = 0; i < 4; i++) {
		snprintf(v[i].by, sizeof(v[i].by), "uid %zu", i);
		assert_int_equal(overrides_add(&o, &v[i], &e), 0);
	}
	assert_true(overrides_add(&o, &v[4], &e) < 0); /* not a name */
	assert_int_equal(overrides_write(path, &o, ips, doms, &e), 0);
	assert_int_equal(overrides_read(path, &r, &e), 0);
	assert_int_equal(r.n, 4);
	for (uint32_t i = 0; i < r.n; i++) {
		assert_true(ovr_same(&r.v[i], &o.v[i]));
		assert_string_equal(r.v[i].by, o.v[i].by);
	}
	char buf[512];
	FILE *f = fopen(doms, "r");
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_non_null(strstr(buf, "\nevil.example\n"));
	assert_null(strstr(buf, "203.0.113.7"));
	f = fopen(ips, "r");
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	assert_non_null(strstr(buf, "\n203.0.113.7\n"));
	/* a missing file is an empty set */
	unlink(path);
	assert_int_equal(overrides_read(path, &r, &e), 0);
	assert_int_equal(r.n, 0);
	/* malformed: the error names the file (and line) */
	f = fopen(path, "w");
	fputs("{\"version\": 1,\n \"entries\": [\n {\"action\": \"allow\", }]}\n", f);
	fclose(f);
	assert_true(overrides_read(path, &r, &e) < 0);
	assert_non_null(strstr(e.msg, "overrides.json:3"));
	f = fopen(path, "w");
	fputs("{\"version\": 1, \"entries\": [{\"action\": \"teleport\"}]}\n", f);
	fclose(f);
	assert_true(overrides_read(path, &r, &e) < 0);
	assert_non_null(strstr(e.msg, "entry 1"));
	overrides_fini(&o);
	overrides_fini(&r);
	unlink(path);
	unlink(ips);
	unlink(doms);
	rmdir(dir);
}

static void test_identity_applies(void **state)
{
	(void)state;
	char dir[] = "/tmp/vigil-ovr-XXXXXX";
	assert_non_null(mkdtemp(dir));
	struct config c;
	struct verr e = { "" };
	config_init(&c);
	assert_int_equal(config_set_key(&c, "default-log-dir", dir, "t", 0, &e), 0);
	assert_int_equal(config_set(&c, "identity.vms.work=10.137.0.10", &e), 0);
	assert_int_equal(config_set(&c, "identity.vms.personal=10.137.0.20", &e), 0);
	char path[256];
	policy_state_path(&c, "overrides.json", path, sizeof(path));
	struct overrides o = { 0 };
	struct ovr v[] = { mk(OVR_DENY, "work", "198.51.100.7", 0), mk(OVR_SUPPRESS, "work", "", 7),
			   mk(OVR_SUPPRESS, "", "", 9), mk(OVR_ALLOW, "gone", "a.example", 0) };
	for (size_t i = 0; i < 4; i++)
		assert_int_equal(overrides_add(&o, &v[i], &e), 0);
	assert_int_equal(overrides_write(path, &o, NULL, NULL, &e), 0);
	struct identity *id = identity_load(&c, &e);
	assert_non_null(id);
	const struct vm *w = identity_by_name(id, "work"), *p = identity_by_name(id, "personal");
	assert_non_null(w);
	/* a VM without a policy keeps allowing the rest */
	assert_int_equal(w->policy, VM_DEFAULT_ALLOW);
	uint8_t a[4] = { 198, 51, 100, 7 };
	const struct vm_rule *r = vm_rule_match(w, NULL, 4, a, 6, 443);
	assert_non_null(r);
	assert_true(r->deny);
	assert_true(identity_suppressed(id, 1, 7, w, NULL));
	assert_true(identity_suppressed(id, 1, 7, p, w)); /* either side */
	assert_false(identity_suppressed(id, 1, 7, p, NULL));
	assert_true(identity_suppressed(id, 1, 9, NULL, NULL)); /* for all */
	assert_false(identity_suppressed(id, 2, 9, NULL, NULL));
	identity_free(id);
	overrides_fini(&o);
	unlink(path);
	rmdir(dir);
	config_fini(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_checks),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_identity_applies),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
