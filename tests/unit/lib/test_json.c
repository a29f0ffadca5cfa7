/* Unit tests for the JSON writer: structure, escaping of any bytes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "json.h"
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

int main(void)
{
	setenv("TZ", "UTC", 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_every_byte_value),
		cmocka_unit_test(test_time_format),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
