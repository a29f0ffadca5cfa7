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

/* Allowlist rules: parsing, deny before allow, names exact and *.suffix,
 * networks, protocols and ports, DNS questions. */
static void test_allow_rules(void **state)
{
	(void)state;
	struct verr e = { "" };
	struct identity *id = load("chat:\n"
				   "  addresses: 10.137.0.20\n"
				   "  allow:\n"
				   "    - \"*.matrix.org tcp/443\"\n"
				   "    - \"matrix.org\"\n"
				   "    - \"203.0.113.0/24 udp/3478-3480\"\n"
				   "  deny: [\"evil.matrix.org\"]\n"
				   "open:\n"
				   "  addresses: 10.137.0.21\n"
				   "  policy: allow\n"
				   "  deny: \"198.51.100.0/24\"\n"
				   "plain: 10.137.0.22\n",
				   NULL, &e);
	if (!id)
		fail_msg("%s", e.msg);
	uint8_t chat_a[16] = { 10, 137, 0, 20 }, open_a[16] = { 10, 137, 0, 21 }, plain_a[16] = { 10, 137, 0, 22 };
	const struct vm *chat = identity_by_addr(id, 4, chat_a), *open = identity_by_addr(id, 4, open_a),
			*plain = identity_by_addr(id, 4, plain_a);
	assert_int_equal(chat->policy, VM_DEFAULT_DENY); /* rules without policy: deny the rest */
	assert_int_equal(open->policy, VM_DEFAULT_ALLOW);
	assert_int_equal(plain->policy, VM_NO_POLICY);
	uint8_t turn[16] = { 203, 0, 113, 9 }, other[16] = { 198, 51, 100, 1 };
	const struct vm_rule *r;
	assert_non_null(r = vm_rule_match(chat, "matrix-client.matrix.org", 4, other, 6, 443));
	assert_false(r->deny);
	assert_string_equal(r->text, "*.matrix.org tcp/443");
	assert_null(vm_rule_match(chat, "matrix-client.matrix.org", 4, other, 6, 80));
	assert_null(vm_rule_match(chat, "matrix-client.matrix.org", 4, other, 17, 443));
	assert_non_null(vm_rule_match(chat, "MATRIX.org.", 4, other, 6, 8448)); /* any port */
	assert_null(vm_rule_match(chat, "notmatrix.org", 4, other, 6, 443));
	assert_non_null(r = vm_rule_match(chat, "evil.matrix.org", 4, other, 6, 443));
	assert_true(r->deny);
	assert_non_null(vm_rule_match(chat, NULL, 4, turn, 17, 3479));
	assert_null(vm_rule_match(chat, NULL, 4, turn, 17, 3481));
	assert_null(vm_rule_match(chat, NULL, 4, other, 17, 3479));
	assert_non_null(r = vm_rule_match(open, NULL, 4, other, 6, 22));
	assert_true(r->deny);
	const struct vm_rule *deny;
	assert_true(vm_name_allowed(chat, "www.matrix.org", &deny));
	assert_false(vm_name_allowed(chat, "example.com", &deny));
	assert_null(deny);
	assert_false(vm_name_allowed(chat, "evil.matrix.org", &deny));
	assert_non_null(deny);
	assert_true(vm_name_allowed(open, "example.com", &deny));
	assert_true(vm_name_allowed(plain, "example.com", &deny));
	identity_free(id);
	/* bad rules name their line */
	static const char *const bad[] = { "a:\n  allow: [\"x.org tcpp/1\"]\n",
					   "a:\n  allow: [\"x.org tcp/70000\"]\n",
					   "a:\n  allow:\n    - \"bad name! tcp\"\n",
					   "a:\n  policy: maybe\n",
					   "a:\n  vpn: [\"vpn.example.com udp/51820\"]\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct verr be = { "" };
		struct identity *b = load(bad[i], NULL, &be);
		if (b)
			fail_msg("accepted: %s", bad[i]);
		if (!strstr(be.msg, path) || (!strstr(be.msg, ":2:") && !strstr(be.msg, ":3:")))
			fail_msg("%s: error \"%s\" lacks file:line", bad[i], be.msg);
	}
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_file_and_config),
		cmocka_unit_test(test_empty_and_null),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_allow_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
