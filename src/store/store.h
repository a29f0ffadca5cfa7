/*
 * store.h - the event store: eve records in SQLite (WAL), fed by a tailer
 * of eve.json, for the dashboard and `vigil ctl`-style queries.
 *
 * Each record is one row of `events`: its time, type, flow, addresses,
 * ports, VMs, and for alerts the signature, severity and action, for
 * protocol records the name (DNS query, TLS SNI, HTTP host) and URL, and
 * the record itself.  A full-text index covers names, URLs and
 * signatures.  Records are added in transactions that also save the
 * tailer's position (table meta), so a crash or restart repeats nothing
 * and loses nothing.  Retention deletes the oldest rows past an age and
 * while the database (with its WAL) is over its size cap, and gives the
 * pages back to the file system (incremental vacuum).
 */
#ifndef VIGIL_STORE_H
#define VIGIL_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "tail.h"
#include "vigil.h"

struct store;
struct sqlite3;

/* Opens (creating) the database at path, mode 0640. */
struct store *store_open(const char *path, struct verr *e);
void store_close(struct store *s);

int store_begin(struct store *s);
/* Adds one record (a JSON line) inside a transaction; a line that is not
 * a JSON object is skipped (counted). */
int store_add(struct store *s, const char *rec, size_t len);
/* Saves pos and commits. */
int store_commit(struct store *s, const struct tail_pos *pos);
bool store_position(struct store *s, struct tail_pos *pos);

/* Deletes rows older than max_age seconds before now_us (0: no age
 * limit) and the oldest while the database is over max_bytes (0: no
 * cap); the number deleted. */
uint64_t store_retain(struct store *s, int64_t now_us, uint64_t max_age, uint64_t max_bytes);
/* The first event id at or after ts (microseconds; records are added in
 * time order, near enough), by a binary search over ids. */
int64_t store_first_at(struct sqlite3 *db, int64_t ts);
/* Bytes of the database and its WAL. */
uint64_t store_bytes(struct store *s);
uint64_t store_count(struct store *s);
uint64_t store_skipped(const struct store *s);

/* The database handle, for queries (web, tests). */
struct sqlite3 *store_db(struct store *s);

/* Follows eve (from the saved position, or its start) into the store at
 * db until *stop is set, or, with once, until the end of eve. */
struct store_follow_cfg {
	const char *eve, *db;
	uint64_t max_age, max_bytes;
	unsigned batch;           /* records per transaction at most */
	bool once;
	bool quiet;
};
int store_follow(const struct store_follow_cfg *c, volatile int *stop, struct verr *e);

/* A host finding as an alert (the inbox, the alert counts), in SQL over
 * the record's type T and text R, else the alert's own value V.  The
 * severities follow notify's: Wazuh level 12 and up is 1, 7 to 11 is 2,
 * below is 3; a honeyfile opened 1, FIM coverage lost 2, other file
 * events 3.  (tests/fuzz/fuzz_store.c checks the columns against these.) */
#define FIM_EV(R) "json_extract(" R ", '$.fim.event')"
#define HOST_GID(T, R, V)                                                                          \
	"CASE WHEN " T " = 'hids' THEN 5 WHEN " T " = 'fim' AND " FIM_EV(R) " IN ('honeyfile_access',"  \
	" 'coverage_lost', 'changed', 'added', 'removed', 'renamed') THEN 6 ELSE " V " END"
#define HOST_SID(T, R, V)                                                                          \
	"CASE WHEN " T " = 'hids' THEN CAST(json_extract(" R ", '$.hids.rule.id') AS INTEGER)"       \
	" WHEN " T " = 'fim' THEN CASE " FIM_EV(R) " WHEN 'honeyfile_access' THEN 1"                 \
	" WHEN 'coverage_lost' THEN 2 WHEN 'changed' THEN 3 WHEN 'added' THEN 4 WHEN 'removed' THEN 5" \
	" WHEN 'renamed' THEN 6 END ELSE " V " END"
#define HOST_SIG(T, R, V)                                                                          \
	"CASE WHEN " T " = 'hids' THEN json_extract(" R ", '$.hids.rule.description')"                \
	" WHEN " T " = 'fim' THEN CASE " FIM_EV(R) " WHEN 'honeyfile_access' THEN 'honeyfile opened'"  \
	" WHEN 'coverage_lost' THEN 'file integrity: coverage lost'"                                  \
	" WHEN 'changed' THEN 'file changed' WHEN 'added' THEN 'file added'"                          \
	" WHEN 'removed' THEN 'file removed' WHEN 'renamed' THEN 'file renamed' END ELSE " V " END"
#define HOST_SEV(T, R, V)                                                                          \
	"CASE WHEN " T " = 'hids' THEN CASE WHEN json_extract(" R ", '$.hids.rule.level') >= 12"       \
	" THEN 1 WHEN json_extract(" R ", '$.hids.rule.level') >= 7 THEN 2 ELSE 3 END"               \
	" WHEN " T " = 'fim' THEN CASE " FIM_EV(R) " WHEN 'honeyfile_access' THEN 1"                 \
	" WHEN 'coverage_lost' THEN 2 WHEN 'changed' THEN 3 WHEN 'added' THEN 3 WHEN 'removed' THEN 3" \
	" WHEN 'renamed' THEN 3 END ELSE " V " END"

#endif
