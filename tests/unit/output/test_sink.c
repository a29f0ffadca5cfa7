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

#include "fanout.h"
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

static char *slurp(const char *p)
{
	static char buf[4096];
	FILE *f = fopen(p, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = 0;
	return buf;
}

/* outputs.eve-logs: each route gets the lines of its event types, whole
 * and in order; the sink's own file (when it has one) gets every line. */
static void test_routes_by_event_type(void **state)
{
	(void)state;
	char dir[] = "/tmp/vigil-sink-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char ips[128], nsm[128], all[128];
	snprintf(ips, sizeof(ips), "%s/eve-ips.json", dir);
	snprintf(nsm, sizeof(nsm), "%s/eve-nsm.json", dir);
	snprintf(all, sizeof(all), "%s/eve.json", dir);
	struct verr e;
	struct sink *s = sink_file_open(all, &e);
	assert_non_null(s);
	assert_int_equal(sink_add_route(s, ips, "alert, drop", &e), 0);
	assert_int_equal(sink_add_route(s, nsm, "flow,http", &e), 0);
	assert_true(sink_add_route(s, nsm, " , ", &e) < 0); /* no types */
	const char batch[] =
		"{\"timestamp\":\"t\",\"event_type\":\"alert\",\"alert\":{\"event_type\":\"flow\"}}\n"
		"{\"timestamp\":\"t\",\"event_type\":\"flow\"}\n"
		"{\"timestamp\":\"t\",\"event_type\":\"alerts\"}\n"
		"{\"timestamp\":\"t\",\"event_type\":\"drop\"}\n";
	assert_int_equal(sink_write(s, batch, sizeof(batch) - 1), 0);
	sink_close(s);
	assert_string_equal(slurp(ips),
			    "{\"timestamp\":\"t\",\"event_type\":\"alert\",\"alert\":{\"event_type\":\"flow\"}}\n"
			    "{\"timestamp\":\"t\",\"event_type\":\"drop\"}\n");
	assert_string_equal(slurp(nsm), "{\"timestamp\":\"t\",\"event_type\":\"flow\"}\n");
	assert_string_equal(slurp(all), batch);
	/* a sink without a file of its own: only the routes */
	s = sink_stream_open(&e);
	assert_non_null(s);
	assert_int_equal(sink_add_route(s, nsm, "http", &e), 0);
	assert_int_equal(sink_write(s, batch, sizeof(batch) - 1), 0);
	sink_close(s);
	assert_string_equal(slurp(nsm), "{\"timestamp\":\"t\",\"event_type\":\"flow\"}\n");
	unlink(ips);
	unlink(nsm);
	unlink(all);
	rmdir(dir);
}

static void test_open_failure_is_reported(void **state)
{
	(void)state;
	struct verr e;
	assert_null(sink_file_open("/nonexistent-dir/eve.json", &e));
	assert_non_null(strstr(e.msg, "/nonexistent-dir/eve.json"));
}

/* CEF: header fields escape \ and |, extension values \ and = and line
 * breaks; Suricata's severity 1-3 becomes 10, 7, 4; the time is epoch
 * milliseconds; records that are not alerts are named by their type. */
static void test_cef(void **state)
{
	(void)state;
	const char *rec = "{\"timestamp\":\"2026-11-30T03:03:47.417941+0100\",\"flow_id\":42,"
			  "\"event_type\":\"alert\",\"src_ip\":\"10.137.0.10\",\"src_port\":4000,"
			  "\"dest_ip\":\"203.0.113.9\",\"dest_port\":80,\"proto\":\"TCP\","
			  "\"src_vm\":\"work\",\"alert\":{\"action\":\"blocked\",\"gid\":1,"
			  "\"signature_id\":2000001,\"signature\":\"ET a|b\\\\c\",\"category\":\"x=y\\nz\","
			  "\"severity\":1}}";
	char out[1024];
	size_t n = eve_to_cef(rec, strlen(rec), out, sizeof(out));
	assert_int_equal(n, strlen(out));
	assert_string_equal(out, "CEF:0|vigil|vigil|" VIGIL_VERSION "|1:2000001|ET a\\|b\\\\c|10|"
				 "rt=1796004227417 src=10.137.0.10 spt=4000 dst=203.0.113.9 dpt=80 "
				 "proto=TCP act=blocked cat=x\\=y\\nz cs1Label=srcVM cs1=work "
				 "cn1Label=flowId cn1=42 eventType=alert");
	const char *flow = "{\"event_type\":\"flow\",\"src_ip\":\"10.0.0.1\"}";
	eve_to_cef(flow, strlen(flow), out, sizeof(out));
	assert_string_equal(out, "CEF:0|vigil|vigil|" VIGIL_VERSION "|flow|flow|2|src=10.0.0.1 "
				 "eventType=flow");
	/* not JSON: nothing */
	assert_int_equal(eve_to_cef("{oops", 5, out, sizeof(out)), 0);
	/* a small buffer is never overrun and stays terminated */
	char tiny[16];
	eve_to_cef(rec, strlen(rec), tiny, sizeof(tiny));
	assert_int_equal(strlen(tiny), 15);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rotation_loses_nothing),
		cmocka_unit_test(test_cef),
		cmocka_unit_test(test_open_failure_is_reported),
		cmocka_unit_test(test_routes_by_event_type),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
