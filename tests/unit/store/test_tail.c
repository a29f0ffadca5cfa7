/* Unit tests for the eve tailer: whole lines only, a saved position
 * resumed, rotation (rename and a new file) before and after a restart,
 * truncation, and overlong lines skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "tail.h"

static char dir[64], path[128], rot[128];

static void append(const char *p, const char *s)
{
	FILE *f = fopen(p, "a");
	fputs(s, f);
	fclose(f);
}

/* Reads every line available into out (joined with '|'). */
static unsigned drain(struct tail *t, char *out, size_t cap, struct tail_pos *pos)
{
	size_t len;
	const char *l;
	unsigned n = 0;
	out[0] = '\0';
	while ((l = tail_next(t, &len, pos))) {
		strncat(out, l, cap - strlen(out) - 2);
		strcat(out, "|");
		n++;
	}
	return n;
}

static int setup(void **state)
{
	(void)state;
	strcpy(dir, "/tmp/vigil-tail-XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/eve.json", dir);
	snprintf(rot, sizeof(rot), "%s/eve.json.1", dir);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	unlink(path);
	unlink(rot);
	rmdir(dir);
	return 0;
}

static void test_lines_and_resume(void **state)
{
	(void)state;
	struct verr e = { "" };
	char out[256];
	struct tail_pos pos = { 0 };
	struct tail *t = tail_open(path, NULL, &e);
	assert_int_equal(drain(t, out, sizeof(out), &pos), 0); /* no file yet */
	append(path, "a\nb\nc");
	assert_int_equal(drain(t, out, sizeof(out), &pos), 2);
	assert_string_equal(out, "a|b|");
	append(path, "c\n");
	assert_int_equal(drain(t, out, sizeof(out), &pos), 1);
	assert_string_equal(out, "cc|");
	tail_close(t);
	/* a restart from the saved position: nothing again, then the new */
	append(path, "d\n");
	t = tail_open(path, &pos, &e);
	assert_int_equal(drain(t, out, sizeof(out), &pos), 1);
	assert_string_equal(out, "d|");
	/* rotation while running: the old file's rest, then the new file */
	append(path, "e\n");
	rename(path, rot);
	append(rot, "f\n");
	append(path, "g\n");
	assert_int_equal(drain(t, out, sizeof(out), &pos), 3);
	assert_string_equal(out, "e|f|g|");
	tail_close(t);
	/* rotation while stopped: the rotated file is found by its inode */
	append(path, "h\n");
	unlink(rot);
	rename(path, rot);
	append(path, "i\n");
	t = tail_open(path, &pos, &e);
	assert_int_equal(drain(t, out, sizeof(out), &pos), 2);
	assert_string_equal(out, "h|i|");
	/* truncation (seen while the file is shorter than the position):
	 * from the start */
	assert_int_equal(truncate(path, 0), 0);
	assert_int_equal(drain(t, out, sizeof(out), &pos), 0);
	append(path, "j\n");
	assert_int_equal(drain(t, out, sizeof(out), &pos), 1);
	assert_string_equal(out, "j|");
	tail_close(t);
}

static void test_overlong(void **state)
{
	(void)state;
	struct verr e = { "" };
	char out[256];
	struct tail_pos pos = { 0 };
	size_t big = TAIL_MAX_LINE + 1000;
	char *s = malloc(big + 1);
	memset(s, 'x', big);
	s[big] = '\0';
	append(path, "ok1\n");
	append(path, s);
	append(path, "\nok2\n");
	free(s);
	struct tail *t = tail_open(path, NULL, &e);
	assert_int_equal(drain(t, out, sizeof(out), &pos), 2);
	assert_string_equal(out, "ok1|ok2|");
	assert_int_equal(tail_skipped(t), 1);
	tail_close(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_lines_and_resume, setup, teardown),
		cmocka_unit_test_setup_teardown(test_overlong, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
