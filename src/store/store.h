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

#endif
