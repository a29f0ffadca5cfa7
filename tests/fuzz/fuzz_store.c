/*
 * fuzz_store.c - libFuzzer target for the store's record reader: each
 * input line goes through store_add into an in-memory store.  SQLite's
 * own JSON functions are the oracle: a line the store takes must be a
 * JSON object to json_valid, and every column taken from it must equal
 * what json_extract gives for the same path (in a record without a key
 * twice in one object: there SQLite reads the first, the store any).  Nothing may crash, leak
 * or read out of bounds.
 */
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "store.h"
#include "util.h"

static struct store *s;

/* json_extract's reading of a scalar; an object or array is no value */
#define X(path) "CASE WHEN json_type(record," path ") IN ('object','array') THEN NULL" \
		" ELSE json_extract(record," path ") END"

static const char check[] =
	"SELECT count(*) FROM events WHERE NOT json_valid(record) OR json_type(record) != 'object'"
	/* an object with a key twice (vigil never writes one): SQLite reads
	 * the first, the store may read another; not compared */
	" OR (NOT EXISTS (SELECT 1 FROM json_tree(record) WHERE key IS NOT NULL"
	"  GROUP BY parent, key HAVING count(*) > 1) AND (0"
	" OR flow_id IS NOT " X("'$.flow_id'")
	" OR src_ip IS NOT ip6s(" X("'$.src_ip'") ")"
	" OR src_port IS NOT " X("'$.src_port'")
	" OR dest_ip IS NOT ip6s(" X("'$.dest_ip'") ")"
	" OR dest_port IS NOT " X("'$.dest_port'")
	" OR proto IS NOT " X("'$.proto'")
	" OR src_vm IS NOT CASE WHEN json_type(record,'$.src_vm') IS NOT NULL THEN " X("'$.src_vm'")
	"  ELSE " X("'$.vm'") " END"
	" OR dest_vm IS NOT " X("'$.dest_vm'")
	" OR app_proto IS NOT " X("'$.app_proto'")
	/* host findings (store.h's HOST_*) take their own values */
	" OR gid IS NOT " HOST_GID("type", "record", X("'$.alert.gid'"))
	" OR sid IS NOT " HOST_SID("type", "record", X("'$.alert.signature_id'"))
	" OR signature IS NOT " HOST_SIG("type", "record", X("'$.alert.signature'"))
	" OR severity IS NOT " HOST_SEV("type", "record", X("'$.alert.severity'"))
	" OR action IS NOT " X("'$.alert.action'")
	" OR category IS NOT " X("'$.alert.category'")
	" OR url IS NOT " X("'$.http.url'")
	" OR name IS NOT coalesce(" X("'$.dns.rrname'") ", " X("'$.dns.queries[0].rrname'") ","
	" " X("'$.tls.sni'") ", " X("'$.quic.sni'") ", " X("'$.http.hostname'") ","
	" " X("'$.policy.value'") ", " X("'$.fim.path'") ", " X("'$.hids.rule.description'") ")))";

/* ip6s(v): an IPv6 address in its short form, as the store keeps them
 * (ip6_short), whatever form eve wrote; anything else as it is */
static void ip6s(sqlite3_context *c, int argc, sqlite3_value **v)
{
	(void)argc;
	char out[IP6_SHORT_LEN];
	/* the type first: reading a number as text would change its type */
	if (sqlite3_value_type(v[0]) == SQLITE_TEXT) {
		const char *t = (const char *)sqlite3_value_text(v[0]);
		if (t && ip6_short(t, (size_t)sqlite3_value_bytes(v[0]), out)) {
			sqlite3_result_text(c, out, -1, SQLITE_TRANSIENT);
			return;
		}
	}
	sqlite3_result_value(c, v[0]);
}

static int64_t one(const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = -1;
	if (sqlite3_prepare_v2(store_db(s), sql, -1, &st, NULL) != SQLITE_OK)
		abort();
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!s) {
		struct verr e = { "" };
		log_set_level(LOG_ERROR);
		if (!(s = store_open(":memory:", &e)))
			abort();
		if (sqlite3_create_function(store_db(s), "ip6s", 1, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
					    ip6s, NULL, NULL) != SQLITE_OK)
			abort();
	}
	if (size > 100000)
		return 0;
	if (sqlite3_exec(store_db(s), "DELETE FROM events; DELETE FROM alert_groups;", NULL, NULL,
			 NULL) != SQLITE_OK)
		abort();
	const char *p = (const char *)data, *end = p + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (store_add(s, p, len) < 0)
			abort(); /* a bad line is skipped, never an error */
		p += len + 1;
	}
	if (one(check) != 0)
		abort(); /* a column differs from json_extract's reading */
	return 0;
}
