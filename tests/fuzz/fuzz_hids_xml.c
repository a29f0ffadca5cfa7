/*
 * fuzz_hids_xml.c - libFuzzer target for the OSSEC/Wazuh XML dialect and
 * for what the loader makes of it (src/hids/hxml.c, decoder.c, rules.c,
 * ruleset.c).  The input is first parsed as one XML file (with <var>
 * substitution) and freed.  It is then read as "decoders NUL rules" (no
 * NUL: all decoders, an empty rules file): the two halves are written as
 * decoders/0.xml and rules/0.xml of a folder made once per process, the
 * folder is loaded as a Wazuh ruleset, and when it loads, three fixed log
 * lines (syslog, JSON, apache) go through it twice over, so that what the
 * decoders and rules mean is fuzzed as well as how they are written.
 * Whatever loads is freed again: nothing may crash, leak or read out of
 * bounds, and every event must come out as valid JSON.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hids.h"
#include "hxml.h"
#include "json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char dir[64];
static char dec_path[96], rules_path[96];

static void cleanup(void)
{
	char p[128];
	unlink(dec_path);
	unlink(rules_path);
	snprintf(p, sizeof(p), "%s/decoders", dir);
	rmdir(p);
	snprintf(p, sizeof(p), "%s/rules", dir);
	rmdir(p);
	rmdir(dir);
}

static void setup(void)
{
	char p[128];
	snprintf(dir, sizeof(dir), "/tmp/fuzz_hids_xml.XXXXXX");
	if (!mkdtemp(dir))
		abort();
	snprintf(p, sizeof(p), "%s/decoders", dir);
	if (mkdir(p, 0700))
		abort();
	snprintf(p, sizeof(p), "%s/rules", dir);
	if (mkdir(p, 0700))
		abort();
	snprintf(dec_path, sizeof(dec_path), "%s/decoders/0.xml", dir);
	snprintf(rules_path, sizeof(rules_path), "%s/rules/0.xml", dir);
	atexit(cleanup);
}

static void put(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (!f)
		abort();
	if (n && fwrite(p, 1, n, f) != n)
		abort();
	if (fclose(f))
		abort();
}

static void json_cb(void *ctx, const char *path, size_t plen, enum json_kind k, const char *v,
		    size_t vlen)
{
}

static const char *const lines[] = {
	"Dec 29 10:00:01 web01 sshd[1234]: Failed password for invalid user admin from 192.0.2.7 port 4242 ssh2",
	"{\"srcip\":\"198.51.100.9\",\"user\":\"bob\",\"event\":{\"type\":\"alert\",\"ids\":[1,\"two\",{\"x\":null}]}}",
	"[error] [client 203.0.113.5] File does not exist: /var/www/html/wp-login.php",
};

static void analyse(const struct hids_ruleset *rs)
{
	struct hids_state *st = hids_state_new(rs);
	struct hids_event ev;
	struct jbuf jb = { 0 };
	if (!st)
		return;
	hids_event_init(&ev);
	for (unsigned round = 0; round < 2; round++)
		for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
			if (hids_event_set(&ev, i == 2 ? "/var/log/apache2/error.log" : "/var/log/auth.log",
					   lines[i], strlen(lines[i])) < 0)
				continue;
			ev.agent = round ? "vm-1" : NULL;
			ev.time_us = 1700000000000000ull + (round * 3 + i) * 1000000ull;
			if (hids_analyze(rs, st, &ev, "fuzzhost") < 0)
				continue;
			jb_reset(&jb);
			jb_open_object(&jb, NULL);
			hids_event_json(&ev, &jb);
			jb_close(&jb);
			if (!jb.oom && !json_walk(jb.buf, jb.len, json_cb, NULL))
				abort(); /* the alert is not one JSON object */
		}
	jb_fini(&jb);
	hids_event_fini(&ev);
	hids_state_free(st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 16384)
		return 0;
	if (!dir[0])
		setup();

	/* the dialect alone */
	struct verr e = { "" };
	struct hxml *doc = hxml_parse((const char *)data, size, &e);
	if (doc) {
		(void)hxml_apply_vars(doc, &e);
		hxml_free(doc);
	} else if (!e.msg[0]) {
		abort(); /* a refusal must say why */
	}

	/* a ruleset: decoders NUL rules */
	const uint8_t *nul = memchr(data, 0, size);
	size_t dlen = nul ? (size_t)(nul - data) : size;
	put(dec_path, data, dlen);
	put(rules_path, nul ? nul + 1 : data, nul ? size - dlen - 1 : 0);
	struct hids_paths paths = { .dir = dir };
	struct hids_ruleset *rs = NULL;
	e.msg[0] = 0;
	if (hids_ruleset_load(&rs, &paths, NULL, &e) == 0) {
		analyse(rs);
		hids_ruleset_free(rs);
	} else if (!e.msg[0]) {
		abort(); /* a refusal must say why */
	}
	return 0;
}
