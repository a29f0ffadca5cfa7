/*
 * Unit tests for the file sink: appends, and after a rotation (file moved
 * away, reopen requested as SIGHUP does) the next write creates a new file
 * and nothing written is lost.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "sink.h"

static size_t file_size(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 ? (size_t)st.st_size : 0;
}

static void test_rotation_loses_nothing(void **state)
{
	(void)state;
	char dir[] = "/tmp/vigil-sink-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char path[128], moved[128];
	snprintf(path, sizeof(path), "%s/eve.json", dir);
	snprintf(moved, sizeof(moved), "%s/eve.json.1", dir);
	struct verr e;
	struct sink *s = sink_file_open(path, &e);
	assert_non_null(s);
	const char line[] = "{\"a\":1}\n";
	for (int i = 0; i < 100; i++)
		assert_int_equal(sink_write(s, line, sizeof(line) - 1), 0);
	assert_int_equal(rename(path, moved), 0);
	/* written after the move but before the signal: goes to the old file */
	assert_int_equal(sink_write(s, line, sizeof(line) - 1), 0);
	sink_request_reopen();
	for (int i = 0; i < 50; i++)
		assert_int_equal(sink_write(s, line, sizeof(line) - 1), 0);
	sink_close(s);
	assert_int_equal(file_size(moved), 101 * (sizeof(line) - 1));
	assert_int_equal(file_size(path), 50 * (sizeof(line) - 1));
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777 & ~0640, 0); /* not world-readable */
	unlink(path);
	unlink(moved);
	rmdir(dir);
}

static void test_open_failure_is_reported(void **state)
{
	(void)state;
	struct verr e;
	assert_null(sink_file_open("/nonexistent-dir/eve.json", &e));
	assert_non_null(strstr(e.msg, "/nonexistent-dir/eve.json"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rotation_loses_nothing),
		cmocka_unit_test(test_open_failure_is_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
