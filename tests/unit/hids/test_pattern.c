/*
 * Unit tests for OS_Match and OS_Regex (src/hids/pattern.c): every
 * vector of tests/hids/osregex_vectors.jsonl (Wazuh's own os_regex test
 * expectations, where they assert ends and captures, and cases traced
 * through the documented algorithm) must give the same match, the same
 * "next" offset and the same captures.  The path comes in argv[1].
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <jansson.h>

#include "pattern.h"

static const char *vec_path;

static void test_vectors(void **state)
{
	(void)state;
	FILE *f = fopen(vec_path, "r");
	assert_non_null(f);
	char line[1 << 17];
	int n = 0, bad = 0;
	while (fgets(line, sizeof(line), f)) {
		json_error_t je;
		json_t *v = json_loads(line, 0, &je);
		assert_non_null(v);
		const char *engine = json_string_value(json_object_get(v, "engine"));
		const char *flags = json_string_value(json_object_get(v, "flags"));
		if (!strcmp(flags, "CASE_SENSITIVE")) { /* never used by rules or decoders */
			json_decref(v);
			continue;
		}
		char *pat;
		json_t *rep = json_object_get(v, "pattern_repeat");
		if (rep) {
			size_t cnt = (size_t)json_integer_value(json_object_get(rep, "count"));
			pat = malloc(cnt + 1);
			memset(pat, json_string_value(json_object_get(rep, "char"))[0], cnt);
			pat[cnt] = 0;
		} else {
			pat = strdup(json_string_value(json_object_get(v, "pattern")));
		}
		const char *subj = json_string_value(json_object_get(v, "subject"));
		bool want_err = !json_is_null(json_object_get(v, "compile_error"));
		bool want = json_is_true(json_object_get(v, "match"));
		struct hpat p = { 0 };
		struct verr e = { "" };
		int rc = hpat_compile(&p, !strcmp(engine, "osmatch") ? HP_OSMATCH : HP_OSREGEX, pat,
				      !strcmp(flags, "RETURN_SUBSTRING"), &e);
		n++;
		if ((rc != 0) != want_err) {
			printf("compile %s: '%.60s': rc %d (%s)\n", engine, pat, rc, e.msg);
			bad++;
			goto next;
		}
		if (rc)
			goto next;
		static struct hmatch m;
		bool got = hpat_exec(&p, subj, &m);
		if (got != want) {
			printf("%s '%s' on '%s': got %d want %d\n", engine, pat, subj, got, want);
			bad++;
			goto next;
		}
		json_t *end = json_object_get(v, "end");
		if (got && json_is_integer(end)) {
			long long r = json_integer_value(end);
			size_t next = r < 0 ? 0 : subj[r] ? (size_t)r + 1 : (size_t)r;
			if (m.next != next) {
				printf("'%s' on '%s': next %zu want %zu\n", pat, subj, m.next, next);
				bad++;
				goto next;
			}
		}
		json_t *caps = json_object_get(v, "caps");
		if (got && json_is_array(caps) && !strcmp(flags, "RETURN_SUBSTRING")) {
			bool same = m.ncap == json_array_size(caps);
			for (size_t i = 0; same && i < m.ncap; i++) {
				const char *c = json_string_value(json_array_get(caps, i));
				same = strlen(c) == m.cap[i].len && !memcmp(c, m.cap[i].p, m.cap[i].len);
			}
			if (!same) {
				printf("'%s' on '%s': captures differ (%zu)\n", pat, subj, m.ncap);
				bad++;
			}
		}
	next:
		hpat_free(&p);
		free(pat);
		json_decref(v);
	}
	fclose(f);
	printf("%d vectors, %d wrong\n", n, bad);
	assert_true(n > 500);
	assert_int_equal(bad, 0);
}

static void test_word_match(void **state)
{
	(void)state;
	assert_true(hpat_word_match("sshd", "syslog,sshd,authentication_failed,"));
	assert_true(hpat_word_match("attack", "syslog,attacks,"));
	assert_true(hpat_word_match("^syslog", "syslog,sshd,"));
	assert_false(hpat_word_match("^sshd", "syslog,sshd,"));
	assert_true(hpat_word_match("x|ssh", "syslog,sshd,"));
	assert_false(hpat_word_match("", "syslog"));
}

static void test_pcre2(void **state)
{
	(void)state;
	struct hpat p = { 0 };
	static struct hmatch m;
	assert_int_equal(hpat_compile(&p, HP_PCRE2, "(a)|(b)(c)", true, NULL), 0);
	assert_true(hpat_exec(&p, "xbc", &m));
	assert_int_equal(m.ncap, 3); /* group 1 unset: an empty string */
	assert_int_equal(m.cap[0].len, 0);
	assert_memory_equal(m.cap[2].p, "c", 1);
	assert_int_equal(m.next, 3);
	assert_false(hpat_exec(&p, "XBC", &m)); /* case-sensitive, as Wazuh compiles it */
	hpat_free(&p);
}

int main(int argc, char **argv)
{
	vec_path = argc > 1 ? argv[1] : "tests/hids/osregex_vectors.jsonl";
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_word_match),
		cmocka_unit_test(test_pcre2),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
