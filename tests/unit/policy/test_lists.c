/* Unit tests for the list implementation: address lists (formats,
 * reserved space, nested networks, lookups against a naive reference) and
 * domain sets (formats, exact and suffix entries, normalisation). */
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

#include "alloc.h"
#include "lists.h"
#include "vigil.h"

static struct iplist *ipl(const char *text, struct list_stats *st)
{
	struct verr e = { "" };
	struct iplist *l = iplist_parse(text, strlen(text), "test", st, &e);
	if (!l)
		fail_msg("%s", e.msg);
	return l;
}

static const char *hit4(const struct iplist *l, const char *addr)
{
	static char entry[80];
	uint8_t a[16] = { 0 };
	assert_int_equal(inet_pton(AF_INET, addr, a), 1);
	return iplist_lookup(l, 4, a, entry, sizeof(entry)) ? entry : NULL;
}

static const char *hit6(const struct iplist *l, const char *addr)
{
	static char entry[80];
	uint8_t a[16];
	assert_int_equal(inet_pton(AF_INET6, addr, a), 1);
	return iplist_lookup(l, 6, a, entry, sizeof(entry)) ? entry : NULL;
}

static void test_ip_formats(void **state)
{
	(void)state;
	struct list_stats st;
	struct iplist *l = ipl("# FireHOL level1\n"
			       "1.10.16.0/20 ; SBL256894\n"          /* Spamhaus DROP */
			       "{\"cidr\":\"2.56.192.0/22\",\"sblid\":\"SBL459831\",\"rir\":\"ripencc\"}\n"
			       "{\"type\":\"metadata\",\"timestamp\":1700000000}\n"
			       "5.134.128.0/19\r\n"                   /* CRLF */
			       "  198.51.100.7  \n"                   /* one address */
			       "10.0.0.0/8\n192.168.0.0/16\n0.0.0.0/8\n127.0.0.1\n" /* reserved */
			       "2001:db8:bad::/48\nfe80::/10\n"
			       "not an address\n1.2.3.4/33\n",
			       &st);
	assert_int_equal(st.entries, 5);
	assert_int_equal(st.reserved, 5);
	assert_string_equal(st.first_reserved, "10.0.0.0/8");
	assert_int_equal(st.skipped, 2);
	assert_int_equal(st.first_skipped, 13);
	assert_string_equal(hit4(l, "1.10.16.0"), "1.10.16.0/20");
	assert_string_equal(hit4(l, "1.10.31.255"), "1.10.16.0/20");
	assert_null(hit4(l, "1.10.32.0"));
	assert_null(hit4(l, "1.10.15.255"));
	assert_string_equal(hit4(l, "2.56.195.1"), "2.56.192.0/22");
	assert_string_equal(hit4(l, "5.134.130.9"), "5.134.128.0/19");
	assert_string_equal(hit4(l, "198.51.100.7"), "198.51.100.7");
	assert_null(hit4(l, "198.51.100.8"));
	assert_null(hit4(l, "10.1.2.3")); /* ignored: private */
	assert_string_equal(hit6(l, "2001:db8:bad:1::5"), "2001:db8:bad::/48");
	assert_null(hit6(l, "2001:db8:bae::1"));
	assert_null(hit6(l, "fe80::1"));
	assert_int_equal(iplist_count(l), 5);
	iplist_free(l);
}

/* Random networks, nested and repeated, against a walk over them all. */
static void test_ip_random(void **state)
{
	(void)state;
	srand(11);
	enum { N = 3000 };
	static uint32_t net[N], mask[N];
	char *text = malloc(N * 24), *t = text;
	for (int i = 0; i < N; i++) {
		unsigned plen = 12 + (unsigned)(rand() % 21);
		uint32_t a = (uint32_t)(11 + rand() % 80) << 24 | (uint32_t)rand() % (1u << 24);
		if (i && rand() % 4 == 0) /* nested in an earlier one */
			a = net[rand() % i] | ((uint32_t)rand() & 0xffff);
		mask[i] = plen ? 0xffffffffu << (32 - plen) : 0;
		net[i] = a & mask[i];
		t += sprintf(t, "%u.%u.%u.%u/%u\n", net[i] >> 24, net[i] >> 16 & 255, net[i] >> 8 & 255,
			     net[i] & 255, plen);
	}
	struct list_stats st;
	struct iplist *l = ipl(text, &st);
	assert_int_equal(st.entries + st.duplicates, N);
	for (int k = 0; k < 200000; k++) {
		uint32_t x = k % 2 ? (uint32_t)(11 + rand() % 80) << 24 | (uint32_t)rand() % (1u << 24)
				   : net[rand() % N] + (uint32_t)(rand() % 3) - 1;
		bool want = false;
		for (int i = 0; i < N && !want; i++)
			want = (x & mask[i]) == net[i];
		uint8_t a[16] = { (uint8_t)(x >> 24), (uint8_t)(x >> 16), (uint8_t)(x >> 8), (uint8_t)x };
		char entry[80];
		bool got = iplist_lookup(l, 4, a, entry, sizeof(entry));
		if (got != want)
			fail_msg("%u.%u.%u.%u: got %d want %d", a[0], a[1], a[2], a[3], got, want);
	}
	iplist_free(l);
	free(text);
}

/* Valued lists (iplist_add_value): random nested networks, plain
 * addresses and repeats, IPv4 and IPv6, against a naive longest-prefix
 * reference (equal entries: the last host, else the first network). */
static void test_ip_valued_random(void **state)
{
	(void)state;
	srand(7);
	enum { N = 2000 };
	static uint32_t net[N], mask[N], val[N];
	static unsigned plen[N];
	static bool host[N];
	for (int v6 = 0; v6 < 2; v6++) {
		struct iplist *l = iplist_new();
		assert_non_null(l);
		for (int i = 0; i < N; i++) {
			host[i] = rand() % 5 == 0;
			plen[i] = host[i] ? 32 : (unsigned)(rand() % 33);
			uint32_t a = (uint32_t)(10 + rand() % 4) << 24 | (uint32_t)rand() % (1u << 24);
			if (i && rand() % 3 == 0) /* nested in, or equal to, an earlier one */
				a = net[rand() % i] | ((uint32_t)rand() & (rand() % 2 ? 0xff : 0));
			mask[i] = plen[i] ? 0xffffffffu << (32 - plen[i]) : 0;
			net[i] = a & mask[i];
			val[i] = (uint32_t)i;
			/* IPv6: the same bits after 2001:db8::/32, prefix + 96 */
			uint8_t b[16] = { 0 };
			if (v6) {
				b[0] = 0x20; b[1] = 0x01; b[2] = 0x0d; b[3] = 0xb8;
			}
			uint8_t *q = v6 ? b + 12 : b;
			q[0] = (uint8_t)(a >> 24); q[1] = (uint8_t)(a >> 16); q[2] = (uint8_t)(a >> 8); q[3] = (uint8_t)a;
			assert_true(iplist_add_value(l, v6 ? 6 : 4, b, plen[i] + (v6 ? 96 : 0), val[i], host[i]));
		}
		assert_true(iplist_seal(l));
		uint8_t z[16] = { 0 };
		assert_false(iplist_add_value(l, 4, z, 32, 1, true)); /* sealed */
		for (int k = 0; k < 100000; k++) {
			uint32_t x = k % 2 ? (uint32_t)(9 + rand() % 6) << 24 | (uint32_t)rand() % (1u << 24)
					   : net[rand() % N] + (uint32_t)(rand() % 3) - 1;
			int best = -1;
			for (int i = 0; i < N; i++) {
				if ((x & mask[i]) != net[i])
					continue;
				if (best < 0 || plen[i] > plen[best])
					best = i;
				else if (plen[i] == plen[best] && host[i])
					best = i; /* a host over a network, the last host */
			}
			uint8_t b[16] = { 0 };
			if (v6) {
				b[0] = 0x20; b[1] = 0x01; b[2] = 0x0d; b[3] = 0xb8;
			}
			uint8_t *q = v6 ? b + 12 : b;
			q[0] = (uint8_t)(x >> 24); q[1] = (uint8_t)(x >> 16); q[2] = (uint8_t)(x >> 8); q[3] = (uint8_t)x;
			uint32_t got = 0;
			bool hit = iplist_lookup_value(l, v6 ? 6 : 4, b, &got);
			if (hit != (best >= 0) || (hit && got != val[best]))
				fail_msg("v%d %u.%u.%u.%u: got %d/%u want %d", v6 ? 6 : 4, x >> 24, x >> 16 & 255,
					 x >> 8 & 255, x & 255, hit, got, best);
		}
		assert_true(iplist_memory(l) > 0);
		iplist_free(l);
	}
}

static struct domainset *dset(const char *text, struct list_stats *st)
{
	struct verr e = { "" };
	struct domainset *d = domainset_parse(text, strlen(text), "test", st, &e);
	if (!d)
		fail_msg("%s", e.msg);
	return d;
}

static const char *dhit(const struct domainset *d, const char *name)
{
	return domainset_lookup(d, name, strlen(name), NULL);
}

static void test_domains(void **state)
{
	(void)state;
	struct list_stats st;
	struct domainset *d = dset("# hosts file\n"
				   "127.0.0.1 localhost\n"
				   "0.0.0.0 ads.example.net tracker.example.net\n"
				   "! AdBlock\n[Adblock Plus 2.0]\n"
				   "||Evil.Example.com^\n"
				   "||cdn.example^$third-party\n"   /* options: skipped */
				   "@@||good.example.com^\n"        /* exception: skipped */
				   "exact.example.org.\n"
				   "*.wild.example\n"
				   "bad name here\n"
				   "ads.example.net\n",             /* duplicate */
				   &st);
	assert_int_equal(st.entries, 5);
	assert_int_equal(st.duplicates, 1);
	assert_int_equal(st.skipped, 2);
	assert_string_equal(dhit(d, "ads.example.net"), "ads.example.net");
	assert_null(dhit(d, "x.ads.example.net")); /* hosts entries are exact */
	assert_string_equal(dhit(d, "evil.example.com"), "evil.example.com");
	assert_string_equal(dhit(d, "a.b.EVIL.example.com."), "evil.example.com");
	assert_null(dhit(d, "notevil.example.com"));
	assert_null(dhit(d, "example.com"));
	assert_string_equal(dhit(d, "exact.example.org"), "exact.example.org");
	assert_null(dhit(d, "www.exact.example.org"));
	assert_string_equal(dhit(d, "deep.down.wild.example"), "wild.example");
	assert_null(dhit(d, "localhost"));
	assert_null(dhit(d, "cdn.example"));
	assert_null(dhit(d, "good.example.com"));
	assert_null(dhit(d, ""));
	assert_null(dhit(d, "a..b"));
	bool suffix = false;
	assert_non_null(domainset_lookup(d, "x.wild.example", 14, &suffix));
	assert_true(suffix);
	domainset_free(d);
}

/* Many names: every one is found, and names not in the set are not. */
static void test_domains_many(void **state)
{
	(void)state;
	enum { N = 200000 };
	char *text = malloc((size_t)N * 32), *t = text;
	for (int i = 0; i < N; i++)
		t += sprintf(t, "host%d.zone%d.example\n", i, i % 977);
	struct list_stats st;
	struct domainset *d = dset(text, &st);
	assert_int_equal(domainset_count(d), N);
	char name[64];
	for (int i = 0; i < N; i += 7) {
		snprintf(name, sizeof(name), "host%d.zone%d.example", i, i % 977);
		assert_non_null(dhit(d, name));
		snprintf(name, sizeof(name), "host%d.zone%d.example", i, (i + 1) % 977);
		assert_null(dhit(d, name));
	}
	domainset_free(d);
	free(text);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static bool has(const struct domainset *d, const char *name)
{
	return domainset_lookup(d, name, strlen(name), NULL) != NULL;
}

/* A reload shares the running set's names: the running set answers as
 * before while the new one answers for the new file (removed names gone,
 * new ones there, an exact name become a suffix); the shared store
 * outlives the old set; a new store is started once garbage is most of
 * it; and the new set costs a table and its new names, not a copy. */
static void test_domains_reload_shared(void **state)
{
	(void)state;
	char path[] = "/tmp/test_lists_reload.XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	char *big = malloc(200000 * 24);
	assert_non_null(big);
	size_t off = 0;
	for (int i = 0; i < 200000; i++)
		off += (size_t)sprintf(big + off, "host%d.example.net\n", i);
	off += (size_t)sprintf(big + off, "keep.example\nexact.example\ngone.example\n");
	write_file(path, big);
	struct list_stats st;
	struct verr e = { "" };
	struct domainset *a = domainset_load(path, &st, &e);
	assert_non_null(a);
	size_t full = domainset_memory(a);
	/* the new file: one name gone, one new, one now a suffix */
	off -= strlen("gone.example\n");
	off += (size_t)sprintf(big + off - strlen("exact.example\n"), "*.exact.example\nnew.example\n") -
	       strlen("exact.example\n");
	write_file(path, big);
	struct domainset *b = domainset_reload(a, path, &st, &e);
	assert_non_null(b);
	assert_true(has(a, "gone.example") && !has(b, "gone.example"));
	assert_true(!has(a, "new.example") && has(b, "new.example"));
	assert_true(!has(a, "x.exact.example") && has(b, "x.exact.example"));
	assert_true(has(a, "host199999.example.net") && has(b, "host199999.example.net"));
	assert_int_equal(domainset_count(b), 200003);
	/* the reload added a table and two names, not a copy of the list */
	size_t table = ((size_t)1 << 20) * sizeof(uint32_t);
	assert_true(domainset_memory(b) - full <= table / 4 + 4096);
	domainset_free(a);
	assert_true(has(b, "keep.example") && has(b, "host7.example.net"));
	/* reloads of a list that changes every time: garbage is dropped once
	 * it is most of the store */
	struct domainset *cur = b;
	for (int r = 0; r < 4; r++) {
		off = 0;
		for (int i = 0; i < 200000; i++)
			off += (size_t)sprintf(big + off, "r%d-%d.example.org\n", r, i);
		write_file(path, big);
		struct domainset *next = domainset_reload(cur, path, &st, &e);
		assert_non_null(next);
		assert_true(has(next, "r0-5.example.org") == (r == 0));
		assert_true(has(next, "r3-5.example.org") == (r == 3));
		domainset_free(cur);
		cur = next;
		/* never more than the live names and as many again */
		assert_true(domainset_memory(cur) < 3 * full);
	}
	domainset_free(cur);
	free(big);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip_formats),
		cmocka_unit_test(test_ip_random),
		cmocka_unit_test(test_ip_valued_random),
		cmocka_unit_test(test_domains),
		cmocka_unit_test(test_domains_many),
		cmocka_unit_test(test_domains_reload_shared),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
