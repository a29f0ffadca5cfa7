/*
 * api.c - see api.h.  Rows become JSON objects named by their columns;
 * a column named "record" is the eve record itself and is written as
 * JSON, not as a string.
 */
#include "api.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "util.h"

#define PAGE_MAX 500

static int err(struct jbuf *out, const char *msg)
{
	jb_reset(out);
	jb_open_object(out, NULL);
	jb_str(out, "error", msg);
	jb_close(out);
	return -1;
}

static void col(struct jbuf *out, sqlite3_stmt *st, int i)
{
	const char *name = sqlite3_column_name(st, i);
	switch (sqlite3_column_type(st, i)) {
	case SQLITE_INTEGER:
		jb_i64(out, name, sqlite3_column_int64(st, i));
		break;
	case SQLITE_FLOAT: {
		char b[32];
		snprintf(b, sizeof(b), "%.3f", sqlite3_column_double(st, i));
		jb_raw(out, name, b);
		break;
	}
	case SQLITE_NULL:
		jb_raw(out, name, "null");
		break;
	default: {
		const char *t = (const char *)sqlite3_column_text(st, i);
		if (!strcmp(name, "record") && t && *t == '{')
			jb_raw(out, name, t);
		else
			jb_strn(out, name, (const uint8_t *)t, (size_t)sqlite3_column_bytes(st, i));
	}
	}
}

/* The current row of st as an object named key (NULL in an array). */
static void row(struct jbuf *out, const char *key, sqlite3_stmt *st)
{
	jb_open_object(out, key);
	for (int i = 0; i < sqlite3_column_count(st); i++)
		col(out, st, i);
	jb_close(out);
}

/* Every row of st as an object in an array named key; the row count. */
static int64_t rows(struct jbuf *out, const char *key, sqlite3_stmt *st)
{
	int64_t n = 0;
	jb_open_array(out, key);
	while (sqlite3_step(st) == SQLITE_ROW) {
		row(out, NULL, st);
		n++;
	}
	jb_close(out);
	return n;
}

/* One page of events from st (which asked for lim + 1 rows, newest first,
 * the id in column 0): {"events": [...], "next": ID} where next, the last
 * id shown, is there when a row more than the page says there is an
 * older page.  Finalizes st; false if a step failed (a bad search). */
static bool page(struct jbuf *out, sqlite3_stmt *st, int64_t lim)
{
	int64_t got = 0, last = 0;
	int rc;
	jb_open_object(out, NULL);
	jb_open_array(out, "events");
	while ((rc = sqlite3_step(st)) == SQLITE_ROW && got < lim) {
		row(out, NULL, st);
		last = sqlite3_column_int64(st, 0);
		got++;
	}
	jb_close(out);
	sqlite3_finalize(st);
	if (rc == SQLITE_ROW)
		jb_i64(out, "next", last);
	jb_close(out);
	return rc == SQLITE_ROW || rc == SQLITE_DONE;
}

static int64_t limit_of(const struct api_args *a, int64_t def)
{
	return a->limit > 0 ? (a->limit > PAGE_MAX ? PAGE_MAX : a->limit) : def;
}

/* Binds a list of values given as "i:123" / "s:text" strings. */
struct bindv {
	bool is_int;
	int64_t i;
	const char *s;
};

static sqlite3_stmt *prep(sqlite3 *db, const char *sql, const struct bindv *b, int n)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return NULL;
	for (int i = 0; i < n; i++) {
		if (b[i].is_int)
			sqlite3_bind_int64(st, i + 1, b[i].i);
		else
			sqlite3_bind_text(st, i + 1, b[i].s, -1, SQLITE_TRANSIENT);
	}
	return st;
}

static const char event_cols[] =
	"e.id, e.ts, e.type, e.flow_id, e.src_ip, e.src_port, e.dest_ip, e.dest_port, e.proto,"
	" e.src_vm, e.dest_vm, e.app_proto, e.gid, e.sid, e.signature, e.severity, e.action, e.name,"
	" e.url";

/* FTS5 query text from what a person typed: each word a quoted phrase
 * (so "example.com" and "/a/b" are searched as written), words ANDed. */
static void fts_query(const char *q, char *out, size_t cap)
{
	size_t o = 0;
	while (*q && o + 8 < cap) {
		while (*q == ' ')
			q++;
		if (!*q)
			break;
		if (o)
			out[o++] = ' ';
		out[o++] = '"';
		while (*q && *q != ' ' && o + 4 < cap) {
			if (*q == '"')
				out[o++] = '"'; /* doubled inside a phrase */
			out[o++] = *q++;
		}
		out[o++] = '"';
	}
	out[o] = '\0';
}

/* The types vigil writes: a VM's records of every type are the newest of
 * each type, merged (each from its index in id order). */
static const char *const all_types[] = { "alert", "flow", "dns", "tls", "http", "ssh", "quic",
					 "anomaly", "drop", "control", "stats", "fileinfo", "smtp",
					 "ftp" };

/* A VM's records (of one type, or of every type), newest first, from
 * before: the union of the src_vm and dest_vm indexes' newest entries. */
static int vm_page(sqlite3 *db, const struct api_args *a, int64_t lim, struct jbuf *out)
{
	char sql[16384];
	size_t o = (size_t)snprintf(sql, sizeof(sql), "SELECT %s FROM events e WHERE e.id IN (", event_cols);
	unsigned ntypes = a->type ? 1 : ARRAY_SIZE(all_types);
	for (unsigned t = 0; t < ntypes; t++)
		for (int side = 0; side < 2; side++)
			o += (size_t)snprintf(sql + o, sizeof(sql) - o,
					      "%sSELECT id FROM (SELECT id FROM events WHERE %s = ?1 AND type = ?%u"
					      " AND id < ?2 ORDER BY id DESC LIMIT %lld)",
					      t || side ? " UNION " : "", side ? "dest_vm" : "src_vm", 3 + t,
					      (long long)lim + 1);
	snprintf(sql + o, sizeof(sql) - o, ") ORDER BY e.id DESC LIMIT %lld", (long long)lim + 1);
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return err(out, sqlite3_errmsg(db));
	sqlite3_bind_text(st, 1, a->vm, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(st, 2, a->before ? a->before : INT64_MAX);
	for (unsigned t = 0; t < ntypes; t++)
		sqlite3_bind_text(st, 3 + (int)t, a->type ? a->type : all_types[t], -1, SQLITE_STATIC);
	page(out, st, lim);
	return 0;
}

int api_events(sqlite3 *db, const struct api_args *a, struct jbuf *out)
{
	char sql[2048], where[1024] = "1";
	struct bindv b[8];
	int n = 0;
	size_t w = 1;
	char fq[600];
	bool fts = a->q && *a->q;
	if (a->vm && *a->vm && !fts && !a->sid && !a->flow_id)
		return vm_page(db, a, limit_of(a, 50), out);
	if (a->type && *a->type) {
		w += (size_t)snprintf(where + w, sizeof(where) - w, " AND e.type = ?");
		b[n++] = (struct bindv){ false, 0, a->type };
	}
	if (a->vm && *a->vm) {
		w += (size_t)snprintf(where + w, sizeof(where) - w, " AND (e.src_vm = ? OR e.dest_vm = ?)");
		b[n++] = (struct bindv){ false, 0, a->vm };
		b[n++] = (struct bindv){ false, 0, a->vm };
	}
	if (a->sid) {
		w += (size_t)snprintf(where + w, sizeof(where) - w, " AND e.sid = ?");
		b[n++] = (struct bindv){ true, a->sid, NULL };
	}
	if (a->flow_id) {
		w += (size_t)snprintf(where + w, sizeof(where) - w, " AND e.flow_id = ?");
		b[n++] = (struct bindv){ true, a->flow_id, NULL };
	}
	if (a->before) {
		w += (size_t)snprintf(where + w, sizeof(where) - w, " AND e.id < ?");
		b[n++] = (struct bindv){ true, a->before, NULL };
	}
	int64_t lim = limit_of(a, 50);
	if (fts) {
		fts_query(a->q, fq, sizeof(fq));
		if (!*fq)
			return err(out, "empty search");
		b[n++] = (struct bindv){ false, 0, fq };
		snprintf(sql, sizeof(sql),
			 "SELECT %s FROM events_fts f JOIN events e ON e.id = f.rowid"
			 " WHERE %s AND events_fts MATCH ?%d ORDER BY f.rowid DESC LIMIT %lld",
			 event_cols, where, n, (long long)lim + 1);
	} else {
		snprintf(sql, sizeof(sql), "SELECT %s FROM events e WHERE %s ORDER BY e.id DESC LIMIT %lld",
			 event_cols, where, (long long)lim + 1);
	}
	sqlite3_stmt *st = prep(db, sql, b, n);
	if (!st)
		return err(out, fts ? "bad search" : sqlite3_errmsg(db));
	return page(out, st, lim) ? 0 : err(out, "bad search");
}

int api_event(sqlite3 *db, const struct api_args *a, struct jbuf *out)
{
	struct bindv b = { true, a->id, NULL };
	char sql[512];
	snprintf(sql, sizeof(sql), "SELECT %s, e.record FROM events e WHERE e.id = ?", event_cols);
	sqlite3_stmt *st = prep(db, sql, &b, 1);
	if (!st)
		return err(out, sqlite3_errmsg(db));
	jb_open_object(out, NULL);
	int64_t flow = 0;
	if (sqlite3_step(st) == SQLITE_ROW) {
		row(out, "event", st);
		flow = sqlite3_column_int64(st, 3);
	}
	sqlite3_finalize(st);
	if (flow) {
		/* the same flow's other records (its flow record, protocol
		 * records, other alerts) */
		struct bindv fb[2] = { { true, flow, NULL }, { true, a->id, NULL } };
		snprintf(sql, sizeof(sql),
			 "SELECT %s FROM events e WHERE e.flow_id = ? AND e.id != ? ORDER BY e.id LIMIT 50",
			 event_cols);
		if ((st = prep(db, sql, fb, 2))) {
			rows(out, "flow", st);
			sqlite3_finalize(st);
		}
	}
	jb_close(out);
	return 0;
}

int api_alert_groups(sqlite3 *db, const struct api_args *a, struct jbuf *out)
{
	const char *state = a->state && *a->state ? a->state : "new";
	if (strcmp(state, "new") && strcmp(state, "ack") && strcmp(state, "archived") &&
	    strcmp(state, "escalated") && strcmp(state, "all"))
		return err(out, "state is new, ack, archived, escalated or all");
	char sql[1024];
	struct bindv b[3];
	int n = 0;
	char where[256] = "1";
	size_t w = 1;
	if (!strcmp(state, "escalated")) {
		w += (size_t)snprintf(where + w, sizeof(where) - w, " AND escalated = 1");
	} else if (strcmp(state, "all")) {
		w += (size_t)snprintf(where + w, sizeof(where) - w, " AND state = ?");
		b[n++] = (struct bindv){ false, 0, state };
	}
	if (a->vm) {
		w += (size_t)snprintf(where + w, sizeof(where) - w, " AND vm = ?");
		b[n++] = (struct bindv){ false, 0, a->vm };
	}
	int64_t lim = limit_of(a, 50), off = a->offset > 0 ? a->offset : 0;
	snprintf(sql, sizeof(sql),
		 "SELECT gid, sid, vm, signature, severity, count, blocked, first, last, state, escalated,"
		 " note FROM alert_groups WHERE %s ORDER BY last DESC LIMIT %lld OFFSET %lld",
		 where, (long long)lim, (long long)off);
	sqlite3_stmt *st = prep(db, sql, b, n);
	if (!st)
		return err(out, sqlite3_errmsg(db));
	jb_open_object(out, NULL);
	rows(out, "groups", st);
	sqlite3_finalize(st);
	snprintf(sql, sizeof(sql), "SELECT count(*), coalesce(sum(count), 0) FROM alert_groups WHERE %s",
		 where);
	if ((st = prep(db, sql, b, n)) && sqlite3_step(st) == SQLITE_ROW) {
		jb_i64(out, "groups_total", sqlite3_column_int64(st, 0));
		jb_i64(out, "alerts_total", sqlite3_column_int64(st, 1));
	}
	sqlite3_finalize(st);
	jb_close(out);
	return 0;
}

int api_set_group(sqlite3 *db, int64_t gid, int64_t sid, const char *vm, const char *state,
		  int escalated, const char *note, struct jbuf *out)
{
	if (state && strcmp(state, "new") && strcmp(state, "ack") && strcmp(state, "archived"))
		return err(out, "state is new, ack or archived");
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db,
			       "UPDATE alert_groups SET state = coalesce(?4, state),"
			       " escalated = CASE WHEN ?5 < 0 THEN escalated ELSE ?5 END,"
			       " note = coalesce(?6, note) WHERE gid = ?1 AND sid = ?2 AND vm = ?3",
			       -1, &st, NULL) != SQLITE_OK)
		return err(out, sqlite3_errmsg(db));
	sqlite3_bind_int64(st, 1, gid);
	sqlite3_bind_int64(st, 2, sid);
	sqlite3_bind_text(st, 3, vm ? vm : "", -1, SQLITE_TRANSIENT);
	if (state)
		sqlite3_bind_text(st, 4, state, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int(st, 5, escalated);
	if (note)
		sqlite3_bind_text(st, 6, note, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(st);
	int changed = sqlite3_changes(db);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return err(out, sqlite3_errmsg(db));
	if (!changed)
		return err(out, "no such group");
	jb_open_object(out, NULL);
	jb_str(out, "result", "ok");
	jb_close(out);
	return 0;
}

int api_vm(sqlite3 *db, const struct api_args *a, struct jbuf *out)
{
	if (!a->name || !*a->name)
		return err(out, "which VM?");
	struct bindv b[2] = { { false, 0, a->name }, { false, 0, a->name } };
	jb_open_object(out, NULL);
	jb_str(out, "name", a->name);
	sqlite3_stmt *st = prep(db,
				"SELECT gid, sid, signature, severity, count, blocked, first, last, state"
				" FROM alert_groups WHERE vm = ? ORDER BY last DESC LIMIT 50",
				b, 1);
	if (st) {
		rows(out, "alerts", st);
		sqlite3_finalize(st);
	}
	/* where it went: names (its DNS, TLS and HTTP) and addresses (its
	 * flows), each with when it was first seen; from the newest 4000
	 * records of each kind so the page stays fast whatever the store
	 * holds */
	char dsql[2048];
	size_t o = (size_t)snprintf(dsql, sizeof(dsql),
				    "SELECT coalesce(name, dest_ip) AS destination, min(ts) AS first_seen,"
				    " max(ts) AS last_seen, count(*) AS records FROM (");
	static const char *const dtypes[] = { "dns", "tls", "http", "quic", "flow" };
	for (size_t k = 0; k < ARRAY_SIZE(dtypes); k++)
		o += (size_t)snprintf(dsql + o, sizeof(dsql) - o,
				      "%sSELECT * FROM (SELECT name, dest_ip, ts FROM events WHERE src_vm = ?1"
				      " AND type = '%s' ORDER BY id DESC LIMIT 4000)",
				      k ? " UNION ALL " : "", dtypes[k]);
	snprintf(dsql + o, sizeof(dsql) - o,
		 ") GROUP BY destination ORDER BY last_seen DESC LIMIT 100");
	st = prep(db, dsql, b, 1);
	if (st) {
		rows(out, "destinations", st);
		sqlite3_finalize(st);
	}
	/* the kinds of records it has (each an index probe) */
	jb_open_array(out, "types");
	st = prep(db, "SELECT 1 FROM events WHERE src_vm = ?1 AND type = ?2 LIMIT 1", b, 1);
	for (size_t k = 0; st && k < ARRAY_SIZE(all_types); k++) {
		sqlite3_reset(st);
		sqlite3_bind_text(st, 2, all_types[k], -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			jb_str(out, NULL, all_types[k]);
	}
	sqlite3_finalize(st);
	jb_close(out);
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "SELECT %s FROM events e WHERE e.src_vm = ? AND e.type = 'alert' AND e.gid = 7"
		 " ORDER BY e.id DESC LIMIT 20",
		 event_cols);
	if ((st = prep(db, sql, b, 1))) {
		rows(out, "violations", st);
		sqlite3_finalize(st);
	}
	jb_close(out);
	return 0;
}

int api_vms(sqlite3 *db, const struct api_args *a, struct jbuf *out)
{
	(void)a;
	sqlite3_stmt *st = prep(db,
				"SELECT vm, sum(count) AS alerts, max(last) AS last FROM alert_groups"
				" WHERE vm != '' GROUP BY vm ORDER BY alerts DESC LIMIT 200",
				NULL, 0);
	if (!st)
		return err(out, sqlite3_errmsg(db));
	jb_open_object(out, NULL);
	rows(out, "vms", st);
	sqlite3_finalize(st);
	jb_close(out);
	return 0;
}

/* the newest alert's time (else the newest record's) */
static int64_t newest_ts(sqlite3 *db)
{
	sqlite3_stmt *st;
	int64_t t = 0;
	if (sqlite3_prepare_v2(db,
			       "SELECT coalesce((SELECT ts FROM events WHERE type = 'alert' ORDER BY id DESC"
			       " LIMIT 1), (SELECT ts FROM events ORDER BY id DESC LIMIT 1), 0)",
			       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		t = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return t;
}

int api_timeline(sqlite3 *db, const struct api_args *a, struct jbuf *out)
{
	int64_t minutes = a->minutes > 0 ? (a->minutes > 1440 ? 1440 : a->minutes) : 60;
	/* the hour (or so) up to the newest alert, not up to now: a replayed
	 * capture has its own time; from the per-minute tables the store
	 * keeps as records come */
	int64_t end = newest_ts(db) / 60000000, start = end - minutes;
	struct bindv b[1] = { { true, start, NULL } };
	sqlite3_stmt *st = prep(db,
				"SELECT minute, severity, count AS alerts FROM alert_minutes"
				" WHERE minute >= ? ORDER BY minute",
				b, 1);
	if (!st)
		return err(out, sqlite3_errmsg(db));
	jb_open_object(out, NULL);
	jb_i64(out, "start", start);
	jb_i64(out, "end", end);
	rows(out, "points", st);
	sqlite3_finalize(st);
	/* top talkers: who opened the most flows in the same span */
	st = prep(db,
		  "SELECT talker, sum(count) AS flows FROM flow_minutes WHERE minute >= ?"
		  " GROUP BY talker ORDER BY flows DESC LIMIT 10",
		  b, 1);
	if (st) {
		rows(out, "talkers", st);
		sqlite3_finalize(st);
	}
	jb_close(out);
	return 0;
}

int api_summary(sqlite3 *db, const struct api_args *a, struct jbuf *out)
{
	(void)a;
	sqlite3_stmt *st = prep(db,
				"SELECT coalesce((SELECT max(id) FROM events) - (SELECT min(id) FROM events) + 1, 0)"
				" AS events,"
				" (SELECT coalesce(sum(count), 0) FROM alert_groups WHERE state = 'new') AS"
				" new_alerts, (SELECT count(*) FROM alert_groups WHERE state = 'new') AS"
				" new_groups, (SELECT ts FROM events ORDER BY id DESC LIMIT 1) AS newest",
				NULL, 0);
	if (!st)
		return err(out, sqlite3_errmsg(db));
	jb_open_object(out, NULL);
	if (sqlite3_step(st) == SQLITE_ROW)
		for (int i = 0; i < sqlite3_column_count(st); i++)
			col(out, st, i);
	sqlite3_finalize(st);
	jb_close(out);
	return 0;
}

int api_live(sqlite3 *db, int64_t after, int64_t limit, int64_t *last, struct jbuf *out)
{
	struct bindv b[1] = { { true, after, NULL } };
	char sql[512];
	snprintf(sql, sizeof(sql),
		 "SELECT %s FROM events e WHERE e.id > ? AND e.type IN ('alert', 'drop', 'control')"
		 " ORDER BY e.id LIMIT %lld",
		 event_cols, (long long)limit);
	sqlite3_stmt *st = prep(db, sql, b, 1);
	if (!st)
		return -1;
	int n = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		row(out, NULL, st);
		jb_append(out, "\n", 1);
		*last = sqlite3_column_int64(st, 0);
		n++;
	}
	sqlite3_finalize(st);
	return n;
}
