/*
 * Unit tests for the DNS parser: a real query and response (with name
 * compression), every prefix of them at a page end, and hostile names
 * (pointer loops, forward pointers, over-long names).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "app.h"
#include "json.h"
#include "testutil.h"

static const uint8_t resp[] = "\x12\x34\x81\x80\x00\x01\x00\x02\x00\x00\x00\x00"
			      "\x03www\x07" "example\x03" "com\x00\x00\x01\x00\x01"
			      "\xc0\x0c\x00\x05\x00\x01\x00\x00\x0e\x10\x00\x02\xc0\x10"
			      "\xc0\x10\x00\x01\x00\x01\x00\x00\x0e\x10\x00\x04\x5d\xb8\xd8\x22";

static void test_response(void **state)
{
	(void)state;
	struct dns_msg m;
	assert_true(dns_parse(guard_copy(resp, sizeof(resp) - 1), sizeof(resp) - 1, &m));
	assert_true(m.response);
	assert_int_equal(m.id, 0x1234);
	assert_int_equal(m.nq, 1);
	assert_string_equal(m.q[0].name, "www.example.com");
	assert_int_equal(m.nans, 2);
	assert_int_equal(m.a[0].type, 5);
	assert_string_equal(m.a[0].data, "example.com");
	assert_string_equal(m.a[1].data, "93.184.216.34");
	assert_false(m.truncated_parse);
}

static void test_every_prefix(void **state)
{
	(void)state;
	for (size_t n = 0; n < sizeof(resp) - 1; n++) {
		struct dns_msg m;
		if (dns_parse(guard_copy(resp, n), (uint32_t)n, &m))
			assert_true(m.truncated_parse || n >= sizeof(resp) - 1);
	}
}

static void test_hostile_names(void **state)
{
	(void)state;
	struct dns_msg m;
	/* a pointer to itself */
	const uint8_t loop[] = "\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x0c\x00\x01\x00\x01";
	assert_false(dns_parse(guard_copy(loop, sizeof(loop) - 1), sizeof(loop) - 1, &m) && m.nq);
	/* a forward pointer that points past the message */
	const uint8_t fwd[] = "\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00\xc0\x20\x00\x01\x00\x01";
	assert_false(dns_parse(guard_copy(fwd, sizeof(fwd) - 1), sizeof(fwd) - 1, &m) && m.nq);
	/* a forward pointer to a name later in the message (Suricata 8
	 * follows it): the first query names the second's name */
	const uint8_t fwd2[] = "\x00\x01\x01\x00\x00\x02\x00\x00\x00\x00\x00\x00"
			       "\xc0\x12\x00\x01\x00\x01"
			       "\x01x\x03net\x00\x00\x01\x00\x01";
	assert_true(dns_parse(guard_copy(fwd2, sizeof(fwd2) - 1), sizeof(fwd2) - 1, &m));
	assert_int_equal(m.nq, 2);
	assert_string_equal(m.q[0].name, "x.net");
	assert_string_equal(m.q[1].name, "x.net");
	/* two pointers to each other: the jump limit ends the loop */
	const uint8_t ping[] = "\x00\x01\x01\x00\x00\x01\x00\x00\x00\x00\x00\x00"
			       "\xc0\x12\x00\x01\x00\x01\xc0\x0c";
	assert_false(dns_parse(guard_copy(ping, sizeof(ping) - 1), sizeof(ping) - 1, &m) && m.nq);
	/* 60 labels of 63 bytes: the name is cut at 255, no overflow */
	uint8_t big[12 + 60 * 64 + 5];
	memset(big, 0, sizeof(big));
	big[2] = 1; big[5] = 1;
	for (int i = 0; i < 60; i++) {
		big[12 + i * 64] = 63;
		memset(big + 12 + i * 64 + 1, 'a', 63);
	}
	big[sizeof(big) - 4] = 1;
	assert_true(dns_parse(guard_copy(big, sizeof(big)), sizeof(big), &m));
	assert_int_equal(m.nq, 1);
	assert_true(strlen(m.q[0].name) < DNS_NAME_MAX);
}

/* DNS over TCP: empty (length 0) messages and messages split anywhere
 * must neither hang nor lose the next message (found by fuzz_decode) */
static void test_tcp_stream(void **state)
{
	(void)state;
	struct counters cnt = { 0 };
	struct app_ctx a = { .cnt = &cnt };
	struct flow f;
	memset(&f, 0, sizeof(f));
	f.key.proto = 6;
	f.key.dp = 53;
	f.alproto = ALP_DNS;
	uint8_t s[2 + 2 + sizeof(resp) - 1];
	s[0] = s[1] = 0; /* an empty message */
	s[2] = 0;
	s[3] = (uint8_t)(sizeof(resp) - 1);
	memcpy(s + 4, resp, sizeof(resp) - 1);
	for (size_t cut = 0; cut <= sizeof(s); cut++) {
		app_tx_reset(&a);
		app_stream_data(&a, &f, 1, guard_copy(s, cut), (uint32_t)cut, 0);
		bool first = a.tx.ndns > 0;
		app_tx_reset(&a);
		app_stream_data(&a, &f, 1, guard_copy(s + cut, sizeof(s) - cut),
				(uint32_t)(sizeof(s) - cut), 0);
		assert_true(first || a.tx.ndns > 0);
		assert_string_equal(a.tx.dns[0].q[0].name, "www.example.com");
	}
	app_flow_free_ctx(&a, &f);
}

/* The sections after the answers and the records with structure: a
 * response with a two-string TXT answer, an SRV answer, an SSHFP answer,
 * a SOA authority, an NS authority, an A additional and an OPT (EDNS)
 * additional, as Suricata logs them. */
static void test_sections_and_rdata(void **state)
{
	(void)state;
	static const uint8_t r[] =
		"\x00\x07\x81\x80\x00\x01\x00\x03\x00\x02\x00\x02"
		"\x01" "a\x02" "eu\x00\x00\x10\x00\x01"                       /* q: a.eu TXT */
		"\xc0\x0c\x00\x10\x00\x01\x00\x00\x00\x03\x00\x04\x02" "hi\x00" /* TXT "hi","" */
		"\xc0\x0c\x00\x21\x00\x01\x00\x00\x00\x05\x00\x08"          /* SRV 1 2 80 a.eu */
		"\x00\x01\x00\x02\x00\x50\xc0\x0c"
		"\xc0\x0c\x00\x2c\x00\x01\x00\x00\x00\x05\x00\x04\x01\x01\x19\x8c" /* SSHFP */
		"\xc0\x0e\x00\x06\x00\x01\x00\x00\x03\xe8\x00\x1d"          /* SOA eu */
		"\x02" "ns\xc0\x0e\x01" "h\xc0\x0e"                          /* ns.eu h.eu */
		"\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x03\x00\x00\x00\x04\x00\x00\x00\x05"
		"\xc0\x0e\x00\x02\x00\x01\x00\x00\x00\x09\x00\x02\xc0\x56"  /* NS eu -> ns.eu */
		"\xc0\x56\x00\x01\x00\x01\x00\x00\x00\x09\x00\x04\x0a\x00\x00\x01" /* A ns.eu */
		"\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00";            /* OPT */
	struct dns_msg m;
	assert_true(dns_parse(guard_copy(r, sizeof(r) - 1), sizeof(r) - 1, &m));
	assert_false(m.truncated_parse);
	assert_int_equal(m.nans, 4); /* two TXT strings, SRV, SSHFP */
	assert_string_equal(m.a[0].data, "hi");
	assert_int_equal(m.a[1].data_len, 0);
	assert_int_equal(m.a[1].type, 16);
	assert_int_equal(m.a[2].u.srv[2], 80);
	assert_string_equal(m.a[2].data, "a.eu");
	assert_int_equal(m.a[3].u.sshfp[0], 1);
	assert_string_equal(m.a[3].data, "19:8c");
	assert_int_equal(m.nauth, 2);
	assert_int_equal(m.auth[0].type, 6);
	assert_string_equal(m.auth[0].data, "ns.eu");
	assert_string_equal(m.auth[0].data + m.auth[0].rname_off, "h.eu");
	assert_int_equal(m.auth[0].u.soa[4], 5);
	assert_string_equal(m.auth[1].data, "ns.eu");
	assert_int_equal(m.nadd, 1); /* the OPT record is not kept */
	assert_string_equal(m.add[0].data, "10.0.0.1");
	struct jbuf jb = { 0 };
	jb_open_object(&jb, NULL);
	dns_log(&jb, &m, 3);
	jb_close(&jb);
	assert_non_null(strstr(jb.buf, "\"srv\":{\"priority\":1,\"weight\":2,\"port\":80,\"name\":\"a.eu\"}"));
	assert_non_null(strstr(jb.buf, "\"sshfp\":{\"algo\":1,\"type\":1,\"fingerprint\":\"19:8c\"}"));
	assert_non_null(strstr(jb.buf, "\"soa\":{\"mname\":\"ns.eu\",\"rname\":\"h.eu\",\"serial\":1,"));
	assert_non_null(strstr(jb.buf, "\"rrtype\":\"TXT\",\"ttl\":3,\"rdata\":\"\"}"));
	assert_non_null(strstr(jb.buf, "\"authorities\":["));
	assert_non_null(strstr(jb.buf, "\"additionals\":[{\"rrname\":\"ns.eu\",\"rrtype\":\"A\""));
	jb_fini(&jb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_response),
		cmocka_unit_test(test_every_prefix),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_tcp_stream),
		cmocka_unit_test(test_sections_and_rdata),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
