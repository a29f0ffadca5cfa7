/* Unit tests for the checked-read cursor. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "cursor.h"
#include "testutil.h"

static void test_reads_and_sticky_error(void **state)
{
	(void)state;
	const uint8_t raw[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07 };
	const uint8_t *b = guard_copy(raw, sizeof(raw));
	struct cursor c;
	cur_init(&c, b, sizeof(raw));
	assert_int_equal(cur_u8(&c), 1);
	assert_int_equal(cur_be16(&c), 0x0203);
	assert_int_equal(cur_be32(&c), 0x04050607);
	assert_false(c.err);
	assert_int_equal(cur_left(&c), 0);
	assert_int_equal(cur_u8(&c), 0); /* past the end: 0 and the flag */
	assert_true(c.err);
	assert_int_equal(cur_be16(&c), 0);
}

static void test_short_read_sets_flag_at_every_length(void **state)
{
	(void)state;
	const uint8_t raw[8] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	for (size_t n = 0; n < 4; n++) {
		struct cursor c;
		cur_init(&c, guard_copy(raw, n), n);
		assert_int_equal(cur_be32(&c), 0);
		assert_true(c.err);
		assert_int_equal(cur_left(&c), 0);
	}
}

static void test_sub_cursor_bounds(void **state)
{
	(void)state;
	const uint8_t raw[] = { 3, 'a', 'b', 'c', 9 };
	struct cursor c, s;
	cur_init(&c, guard_copy(raw, sizeof(raw)), sizeof(raw));
	s = cur_sub(&c, cur_u8(&c));
	assert_false(s.err);
	assert_int_equal(cur_left(&s), 3);
	assert_non_null(cur_bytes(&s, 3));
	assert_null(cur_bytes(&s, 1));
	assert_int_equal(cur_u8(&c), 9); /* parent skipped the sub-window */
	s = cur_sub(&c, 1);               /* nothing left */
	assert_true(s.err);
	assert_true(c.err);
}

static void test_peek_does_not_fail(void **state)
{
	(void)state;
	const uint8_t raw[] = { 0x45 };
	struct cursor c;
	cur_init(&c, guard_copy(raw, 1), 1);
	assert_int_equal(cur_peek_u8(&c, 0), 0x45);
	assert_int_equal(cur_peek_u8(&c, 1), 0);
	assert_int_equal(cur_peek_be16(&c, 0), 0);
	assert_false(c.err);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reads_and_sticky_error),
		cmocka_unit_test(test_short_read_sets_flag_at_every_length),
		cmocka_unit_test(test_sub_cursor_bounds),
		cmocka_unit_test(test_peek_does_not_fail),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
