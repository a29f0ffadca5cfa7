/* Unit tests for the identity map: the file and the configuration, exact
 * addresses and longest networks, IPv6, labels and interfaces, and the
 * errors a person sees (file and line). */
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
#include "identity.h"
#include "vigil.h"

static char path[64];

static const char *write_tmp(const char *text)
{
	snprintf(path, sizeof(path), "/tmp/vigil-id-test-%d.yaml", (int)getpid());
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static struct identity *load(const char *file_text, const char *sets[], struct verr *e)
{
	struct config c;
	assert_int_equal(config_init(&c), 0);
	if (file_text)
		assert_int_equal(config_set_key(&c, "identity.file", write_tmp(file_text), "test", 0, e), 0);
	for (int i = 0; sets && sets[i]; i += 2)
		assert_int_equal(config_set_key(&c, sets[i], sets[i + 1], "test", 0, e), 0);
	struct identity *id = identity_load(&c, e);
	config_fini(&c);
	return id;
}

static const char *who(const struct identity *id, const char *addr)
{
	uint8_t a[16] = { 0 };
	if (inet_pton(AF_INET, addr, a) == 1) {
		const struct vm *vm = identity_by_addr(id, 4, a);
		return vm ? vm->name : NULL;
	}
	assert_int_equal(inet_pton(AF_INET6, addr, a), 1);
	const struct vm *vm = identity_by_addr(id, 6, a);
	return vm ? vm->name : NULL;
}

static void test_file_and_config(void **state)
{
	(void)state;
	struct verr e = { "" };
	const char *sets[] = { "identity.vms.lab", "192.168.10.5, 192.168.20.0/24",
			       "identity.labels.lab", "test lab", NULL };
	struct identity *id = load("work:\n"
				   "  addresses: [10.137.0.12, fd09:24ef:4179::a89:c]\n"
				   "  labels: [vpn-only]\n"
				   "  interfaces: vif12.0\n"
				   "banking: 10.137.0.13\n"
				   "qubes: [10.137.0.0/16]\n"
				   "sys-net:\n"
				   "  addresses: 10.137.0.0/24\n",
				   sets, &e);
	if (!id)
		fail_msg("%s", e.msg);
	assert_int_equal(identity_count(id), 5);
	assert_string_equal(who(id, "10.137.0.12"), "work");
	assert_string_equal(who(id, "fd09:24ef:4179::a89:c"), "work");
	assert_string_equal(who(id, "10.137.0.13"), "banking");
	/* the longest network wins: /24 over /16 */
	assert_string_equal(who(id, "10.137.0.99"), "sys-net");
	assert_string_equal(who(id, "10.137.5.1"), "qubes");
	assert_string_equal(who(id, "192.168.10.5"), "lab");
	assert_string_equal(who(id, "192.168.20.77"), "lab");
	assert_null(who(id, "192.168.10.6"));
	assert_null(who(id, "8.8.8.8"));
	assert_null(who(id, "fd09:24ef:4179::a89:d"));
	/* an IPv4 address never matches an IPv6 entry with the same bytes */
	uint8_t v6[16] = { 10, 137, 0, 12 };
	assert_null(identity_by_addr(id, 6, v6));
	const struct vm *w = identity_by_iface(id, "vif12.0");
	assert_non_null(w);
	assert_string_equal(w->name, "work");
	assert_true(vm_has_label(w, "vpn-only"));
	assert_false(vm_has_label(w, "test"));
	uint8_t lab[16] = { 192, 168, 10, 5 };
	assert_true(vm_has_label(identity_by_addr(id, 4, lab), "test"));
	assert_true(vm_has_label(identity_by_addr(id, 4, lab), "lab"));
	assert_null(identity_by_iface(id, "vif13.0"));
	identity_free(id);
	unlink(path);
}

static void test_empty_and_null(void **state)
{
	(void)state;
	struct verr e = { "" };
	struct identity *id = load("", NULL, &e);
	assert_non_null(id);
	assert_int_equal(identity_count(id), 0);
	assert_null(who(id, "10.0.0.1"));
	identity_free(id);
	id = load(NULL, NULL, &e); /* no file, no VMs */
	assert_non_null(id);
	identity_free(id);
	uint8_t a[16] = { 0 };
	assert_null(identity_by_addr(NULL, 4, a));
	assert_null(identity_by_iface(NULL, "eth0"));
	unlink(path);
}

/* Each bad file: an error that names the file and the line. */
static void test_errors(void **state)
{
	(void)state;
	static const struct {
		const char *text, *where, *what;
	} bad[] = {
		{ "work:\n  addresses: [10.0.0.1]\n  bogus: 1\n", ":3:", "unknown key" },
		{ "a: 10.0.0.1\nb:\n  addresses: [10.0.0.2, 10.0.0.1]\n", ":3:", "both a and b" },
		{ "a: 10.0.0.300\n", ":1:", "not an address" },
		{ "a: 10.0.0.0/33\n", ":1:", "prefix length" },
		{ "a:\n  addresses:\n    - 10.0.0.1\n    - {x: 1}\n", ":4:", "expected a value" },
		{ "- a\n- b\n", ":1:", "one entry per VM" },
		{ "a: [10.0.0.1\n", ":", "YAML error" },
		{ "a:\n  interfaces: [averyveryverylongname0]\n", ":2:", "interface name" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct verr e = { "" };
		struct identity *id = load(bad[i].text, NULL, &e);
		if (id)
			fail_msg("accepted: %s", bad[i].text);
		if (!strstr(e.msg, path) || !strstr(e.msg, bad[i].where) || !strstr(e.msg, bad[i].what))
			fail_msg("%s: error \"%s\" lacks %s / %s", bad[i].text, e.msg, bad[i].where,
				 bad[i].what);
	}
	/* in the configuration: the key is named */
	struct verr e = { "" };
	const char *sets[] = { "identity.vms.x", "not-an-address", NULL };
	assert_null(load(NULL, sets, &e));
	assert_non_null(strstr(e.msg, "identity.vms.x"));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_and_config),
		cmocka_unit_test(test_empty_and_null),
		cmocka_unit_test(test_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
