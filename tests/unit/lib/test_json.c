/* Unit tests for the JSON writer: structure, escaping of any bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "json.h"
#include <stdio.h>
#include "util.h"

static void expect(struct jbuf *jb, const char *want)
{
	assert_false(jb->oom);
	assert_int_equal(jb->len, strlen(want));
	assert_memory_equal(jb->buf, want, jb->len);
}

static void test_structure(void **state)
{
	(void)state;
	struct jbuf jb = { 0 };
	jb_open_object(&jb, NULL);
	jb_u64(&jb, "a", 0);
	jb_u64(&jb, "b", 18446744073709551615ULL);
	jb_i64(&jb, "c", -5);
	jb_open_array(&jb, "d");
	jb_bool(&jb, NULL, true);
	jb_str(&jb, NULL, "x");
	jb_close(&jb);
	jb_open_object(&jb, "e");
	jb_close(&jb);
	jb_close(&jb);
	jb_append(&jb, "\n", 1);
	jb_open_object(&jb, NULL); /* second record: no comma before it */
	jb_close(&jb);
	expect(&jb, "{\"a\":0,\"b\":18446744073709551615,\"c\":-5,\"d\":[true,\"x\"],\"e\":{}}\n{}");
	jb_fini(&jb);
}

static void test_escaping(void **state)
{
	(void)state;
	struct jbuf jb = { 0 };
	/* quote, backslash, controls, valid UTF-8 (é, €, 😀), invalid bytes
	 * (lone continuation, overlong, truncated sequence, surrogate) */
	const uint8_t in[] = "\"\\\n\r\t\x01\x7f" "\xc3\xa9" "\xe2\x82\xac" "\xf0\x9f\x98\x80"
			     "\x80" "\xc0\xaf" "\xe2\x82" "\xed\xa0\x80";
	jb_strn(&jb, NULL, in, sizeof(in) - 1);
	expect(&jb, "\"\\\"\\\\\\n\\r\\t\\u0001\\u007f\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
		    "\\u0080\\u00c0\\u00af\\u00e2\\u0082\\u00ed\\u00a0\\u0080\"");
	jb_fini(&jb);
}

static void test_every_byte_value(void **state)
{
	(void)state;
	uint8_t all[256];
	for (int i = 0; i < 256; i++)
		all[i] = (uint8_t)i;
	struct jbuf jb = { 0 };
	jb_strn(&jb, NULL, all, sizeof(all));
	assert_false(jb.oom);
	/* output is printable ASCII only (every non-ASCII byte here is part
	 * of no valid sequence, so it is escaped) */
	for (size_t i = 0; i < jb.len; i++)
		assert_true(jb.buf[i] >= 0x20 && jb.buf[i] < 0x7f);
	jb_fini(&jb);
}

static void test_time_format(void **state)
{
	(void)state;
	char buf[32];
	vtime_format(1258868829534255ULL, buf); /* 2009-11-22T05:47:09.534255 UTC */
	assert_string_equal(buf, "2009-11-22T05:47:09.534255+0000");
	char b64[16];
	assert_int_equal(base64_encode((const uint8_t *)"ab", 2, b64), 4);
	assert_string_equal(b64, "YWI=");
}

struct seen {
	char out[1024];
	size_t n;
};

static void note(void *ctx, const char *path, size_t plen, enum json_kind k, const char *v,
		 size_t vlen)
{
	struct seen *s = ctx;
	assert_int_equal(strlen(path), plen);
	s->n += (size_t)snprintf(s->out + s->n, sizeof(s->out) - s->n, "%s=%c%.*s;", path,
				 "snbz"[k], (int)vlen, v);
}

static void test_walk(void **state)
{
	(void)state;
	struct seen s = { 0 };
	const char *rec = " {\"a\":1,\"b\":{\"c\":\"x\\\"y\",\"d\":[true,{\"e\":null}],\"f\":{}},"
			  "\"g\":-1.5e3, \"h\" : [], \"k\":{\"a.b\":\"1\"} }\n";
	assert_true(json_walk(rec, strlen(rec), note, &s));
	assert_string_equal(s.out, "a=n1;b.c=sx\\\"y;b.d[0]=btrue;b.d[1].e=znull;g=n-1.5e3;k.\x01=s1;");
	/* not one object, or not JSON: refused */
	static const char *const bad[] = { "", "[]", "{", "{\"a\"}", "{\"a\":}", "{\"a\":1,}",
					   "{\"a\":01}", "{\"a\":tru}", "{\"a\":\"\\x\"}",
					   "{\"a\":\"\\u12\"}", "{\"a\":\"\x01\"}", "{}{}",
					   "{\"a\":1} x", "{\"a\":-}", "{\"a\":1.}" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		s.n = 0;
		assert_false(json_walk(bad[i], strlen(bad[i]), note, &s));
	}
	/* nesting deeper than JB_MAX_DEPTH */
	char deep[200];
	size_t n = 0;
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(deep + n, sizeof(deep) - n, "{\"a\":");
	assert_false(json_walk(deep, n, note, &s));
	/* unescaping: simple escapes, \u to UTF-8, a surrogate pair, a lone
	 * surrogate (kept as SQLite keeps it), and a cut that keeps whole characters */
	char out[32];
	const char *esc = "a\\n\\\"\\u00e9\\u20ac\\ud83d\\ude00\\udc00";
	size_t m = json_unescape(esc, strlen(esc), out, sizeof(out));
	assert_string_equal(out, "a\n\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xed\xb0\x80");
	assert_int_equal(m, strlen(out));
	assert_int_equal(json_unescape(esc, strlen(esc), out, 5), 3);
}

/* Suricata's full IPv6 spelling back to the short one people read */
static void test_ip6_short(void **state)
{
	(void)state;
	char o[IP6_SHORT_LEN];
	const char *full = "fd00:0000:0000:0000:0000:0000:0000:0010";
	assert_true(ip6_short(full, strlen(full), o));
	assert_string_equal(o, "fd00::10");
	assert_true(ip6_short("2001:db8::1", 11, o));
	assert_string_equal(o, "2001:db8::1");
	assert_false(ip6_short("10.0.0.1", 8, o));
	assert_false(ip6_short("not:an:address", 14, o));
	assert_false(ip6_short(full, 4, o)); /* "fd00" alone */
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_every_byte_value),
		cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_walk),
		cmocka_unit_test(test_ip6_short),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
