/*
 * store.c - see store.h.  One prepared INSERT per record, whose columns
 * are taken from the record in one pass (json_walk: no tree, nothing
 * allocated; 17 calls of SQLite's json_extract cost a quarter of the
 * ingest); the full-text index is an external-content FTS5 table kept in
 * step by triggers.
 */
#include "store.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "json.h"
#include "log.h"
#include "util.h"

struct store {
	sqlite3 *db;
	sqlite3_stmt *ins, *setpos;
	char *path;
	uint64_t skipped;
	bool in_txn;
};

static const char schema[] =
	"PRAGMA page_size=8192;"
	"PRAGMA auto_vacuum=INCREMENTAL;"
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=NORMAL;"
	"PRAGMA journal_size_limit=16777216;"
	/* 32 MB of page cache: the indexes' pages stay in memory while adding */
	"PRAGMA cache_size=-32768;"
	"CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT);"
	"CREATE TABLE IF NOT EXISTS events("
	" id INTEGER PRIMARY KEY,"
	" ts INTEGER NOT NULL,"
	" type TEXT NOT NULL,"
	" flow_id INTEGER,"
	" src_ip TEXT, src_port INTEGER, dest_ip TEXT, dest_port INTEGER, proto TEXT,"
	" src_vm TEXT, dest_vm TEXT, app_proto TEXT,"
	" gid INTEGER, sid INTEGER, signature TEXT, severity INTEGER, action TEXT, category TEXT,"
	" name TEXT, url TEXT,"
	" record TEXT NOT NULL);"
	/* pages are keyset pages by id (newest first): each index ends in
	 * the rowid, so "type = ? ORDER BY id DESC LIMIT 50" reads 50
	 * entries.  Time has no index: records are added in time order (near
	 * enough), so a time is found by a binary search over ids
	 * (store_first_at) */
	"CREATE INDEX IF NOT EXISTS ev_type ON events(type);"
	"CREATE INDEX IF NOT EXISTS ev_svm ON events(src_vm, type) WHERE src_vm IS NOT NULL;"
	"CREATE INDEX IF NOT EXISTS ev_dvm ON events(dest_vm, type) WHERE dest_vm IS NOT NULL;"
	"CREATE INDEX IF NOT EXISTS ev_sid ON events(sid) WHERE sid IS NOT NULL;"
	"CREATE INDEX IF NOT EXISTS ev_flow ON events(flow_id) WHERE flow_id IS NOT NULL;"
	/* names and URLs (signatures are found by sid or LIKE over alerts) */
	"CREATE VIRTUAL TABLE IF NOT EXISTS events_fts USING fts5(name, url,"
	" content='events', content_rowid='id');"
	"CREATE TRIGGER IF NOT EXISTS events_ai AFTER INSERT ON events"
	" WHEN new.name IS NOT NULL OR new.url IS NOT NULL BEGIN"
	" INSERT INTO events_fts(rowid, name, url) VALUES (new.id, new.name, new.url); END;"
	"CREATE TRIGGER IF NOT EXISTS events_ad AFTER DELETE ON events"
	" WHEN old.name IS NOT NULL OR old.url IS NOT NULL BEGIN"
	" INSERT INTO events_fts(events_fts, rowid, name, url)"
	"  VALUES ('delete', old.id, old.name, old.url); END;"
	/* the alert inbox: alerts grouped by signature and VM as they are
	 * added (EveBox's workflow: new, acknowledged, archived; escalated;
	 * a note); a new alert in an archived group brings it back */
	"CREATE TABLE IF NOT EXISTS alert_groups(gid INTEGER NOT NULL, sid INTEGER NOT NULL,"
	" vm TEXT NOT NULL, signature TEXT, severity INTEGER, count INTEGER NOT NULL,"
	" blocked INTEGER NOT NULL, first INTEGER NOT NULL, last INTEGER NOT NULL,"
	" state TEXT NOT NULL DEFAULT 'new', escalated INTEGER NOT NULL DEFAULT 0, note TEXT,"
	" PRIMARY KEY(gid, sid, vm));"
	"CREATE INDEX IF NOT EXISTS ag_state_last ON alert_groups(state, last);"
	"CREATE INDEX IF NOT EXISTS ag_vm_last ON alert_groups(vm, last);"
	/* (recreated: before 2026-11-30 an "alert" record without an alert
	 * object failed the NOT NULL on blocked and stopped the store) */
	"DROP TRIGGER IF EXISTS events_ai_alert;"
	"DROP TRIGGER IF EXISTS events_ad_alert;"
	"DROP TRIGGER IF EXISTS events_ai_minute;"
	/* host findings (hids, fim) are inbox alerts too: store_open's insert
	 * gives them gid 5 (host IDS rules, sid = the rule id) or 6 (file
	 * integrity, sid by event) and a severity; a FIM scan summary has
	 * none and is no alert */
	"CREATE TRIGGER IF NOT EXISTS events_ai_alert AFTER INSERT ON events WHEN new.type = 'alert'"
	" OR (new.type IN ('hids', 'fim') AND new.sid IS NOT NULL)"
	" BEGIN INSERT INTO alert_groups(gid, sid, vm, signature, severity, count, blocked, first, last)"
	" VALUES (coalesce(new.gid, 1), coalesce(new.sid, 0), coalesce(new.src_vm, new.dest_vm, ''),"
	"  new.signature, new.severity, 1, coalesce(new.action = 'blocked', 0), new.ts, new.ts)"
	" ON CONFLICT(gid, sid, vm) DO UPDATE SET count = count + 1,"
	"  blocked = blocked + excluded.blocked, last = max(last, excluded.last),"
	"  first = min(first, excluded.first),"
	"  state = CASE WHEN state = 'archived' THEN 'new' ELSE state END; END;"
	"CREATE TRIGGER IF NOT EXISTS events_ad_alert AFTER DELETE ON events WHEN old.type = 'alert'"
	" OR (old.type IN ('hids', 'fim') AND old.sid IS NOT NULL)"
	" BEGIN UPDATE alert_groups SET count = count - 1, blocked = blocked - coalesce(old.action = 'blocked', 0)"
	"  WHERE gid = coalesce(old.gid, 1) AND sid = coalesce(old.sid, 0)"
	"  AND vm = coalesce(old.src_vm, old.dest_vm, '');"
	" DELETE FROM alert_groups WHERE count <= 0; END;"
	/* the timeline and top talkers, per minute, kept as records come */
	"CREATE TABLE IF NOT EXISTS alert_minutes(minute INTEGER NOT NULL, severity INTEGER NOT NULL,"
	" count INTEGER NOT NULL, PRIMARY KEY(minute, severity)) WITHOUT ROWID;"
	"CREATE TRIGGER IF NOT EXISTS events_ai_minute AFTER INSERT ON events WHEN new.type = 'alert'"
	" OR (new.type IN ('hids', 'fim') AND new.sid IS NOT NULL)"
	" BEGIN INSERT INTO alert_minutes VALUES (new.ts / 60000000, coalesce(new.severity, 0), 1)"
	" ON CONFLICT DO UPDATE SET count = count + 1; END;"
	"CREATE TABLE IF NOT EXISTS flow_minutes(minute INTEGER NOT NULL, talker TEXT NOT NULL,"
	" count INTEGER NOT NULL, PRIMARY KEY(minute, talker)) WITHOUT ROWID;"
	"CREATE TRIGGER IF NOT EXISTS events_ai_talker AFTER INSERT ON events WHEN new.type = 'flow'"
	" BEGIN INSERT INTO flow_minutes VALUES (new.ts / 60000000, coalesce(new.src_vm, new.src_ip, '?'), 1)"
	" ON CONFLICT DO UPDATE SET count = count + 1; END;"
	/* changes made from the dashboard, who and when */
	"CREATE TABLE IF NOT EXISTS actions(id INTEGER PRIMARY KEY, ts INTEGER NOT NULL, what TEXT NOT NULL,"
	" result TEXT);";

static int fail(struct store *s, struct verr *e, const char *what)
{
	return verr_set(e, V_EIO, "%s: %s: %s", s->path, what, sqlite3_errmsg(s->db));
}

struct store *store_open(const char *path, struct verr *e)
{
	struct store *s = v_calloc(1, sizeof(*s));
	if (!s || !(s->path = v_strdup(path))) {
		v_free(s);
		verr_set(e, V_ENOMEM, "out of memory");
		return NULL;
	}
	mode_t old = umask(027);
	int rc = sqlite3_open_v2(path, &s->db,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	umask(old);
	if (rc != SQLITE_OK || sqlite3_busy_timeout(s->db, 5000) != SQLITE_OK ||
	    sqlite3_exec(s->db, schema, NULL, NULL, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db,
			       "INSERT INTO events(ts, type, flow_id, src_ip, src_port, dest_ip, dest_port,"
			       " proto, src_vm, dest_vm, app_proto, gid, sid, signature, severity, action,"
			       " category, name, url, record) VALUES (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10,"
			       " ?11, ?12, " HOST_GID("?3", "?1", "?13") ", " HOST_SID("?3", "?1", "?14") ","
			       " " HOST_SIG("?3", "?1", "?15") ", " HOST_SEV("?3", "?1", "?16") ","
			       " ?17, ?18, ?19, ?20, ?1)",
			       -1, &s->ins, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, "INSERT OR REPLACE INTO meta(k, v) VALUES ('position', ?)", -1,
			       &s->setpos, NULL) != SQLITE_OK) {
		fail(s, e, "cannot open the store");
		store_close(s);
		return NULL;
	}
	return s;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	if (s->in_txn)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	sqlite3_finalize(s->ins);
	sqlite3_finalize(s->setpos);
	sqlite3_close(s->db);
	v_free(s->path);
	v_free(s);
}

struct sqlite3 *store_db(struct store *s) { return s->db; }
uint64_t store_skipped(const struct store *s) { return s->skipped; }

int store_begin(struct store *s)
{
	if (s->in_txn)
		return 0;
	if (sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK)
		return V_EIO;
	s->in_txn = true;
	return 0;
}

/* The columns taken from a record: its path, the statement parameter,
 * and whether the first of several wins (name: the first of these). */
static const struct col {
	const char *path;
	uint8_t param;
} cols[] = {
	{ "flow_id", 4 },	     { "src_ip", 5 },		{ "src_port", 6 },
	{ "dest_ip", 7 },	     { "dest_port", 8 },	{ "proto", 9 },
	{ "src_vm", 10 },	     { "dest_vm", 11 },		{ "app_proto", 12 },
	/* host records (hids, fim, agent) name their VM "vm": it goes where
	 * a flow's source VM goes, so VM pages show them */
	{ "vm", 10 },
	{ "alert.gid", 13 },	     { "alert.signature_id", 14 }, { "alert.signature", 15 },
	{ "alert.severity", 16 },    { "alert.action", 17 },	{ "alert.category", 18 },
	/* name: the first of these that the record has, in this order */
	{ "dns.rrname", 19 },	     { "dns.queries[0].rrname", 19 }, { "tls.sni", 19 },
	{ "quic.sni", 19 },	     { "http.hostname", 19 },	{ "policy.value", 19 },
	{ "fim.path", 19 },	     { "hids.rule.description", 19 },
	{ "http.url", 20 },
};
#define NCOLS (sizeof(cols) / sizeof(cols[0]))

struct picked {
	struct {
		enum json_kind k;
		const char *v;
		size_t n;
	} at[NCOLS];
	bool have[NCOLS];
};

static void pick(void *ctx, const char *path, size_t plen, enum json_kind k, const char *v,
		 size_t vlen)
{
	struct picked *pk = ctx;
	for (size_t i = 0; i < NCOLS; i++)
		if (!pk->have[i] && !strncmp(cols[i].path, path, plen) && !cols[i].path[plen]) {
			pk->have[i] = true;
			pk->at[i].k = k;
			pk->at[i].v = v;
			pk->at[i].n = vlen;
			return;
		}
}

/* one column's value as json_extract gives a scalar: text unescaped, an
 * integer, a real, 1/0 for true/false, NULL (an object or an array where
 * a column's field should be is no value) */
static void bind_col(sqlite3_stmt *st, int param, enum json_kind k, const char *v, size_t n)
{
	if (k == JW_STR) {
		if (!memchr(v, '\\', n)) {
			sqlite3_bind_text(st, param, v, (int)n, SQLITE_STATIC);
		} else {
			char buf[8192];
			size_t m = json_unescape(v, n, buf, sizeof(buf));
			/* text ends at a \u0000, as json_extract's does */
			sqlite3_bind_text(st, param, buf, (int)strnlen(buf, m), SQLITE_TRANSIENT);
		}
	} else if (k == JW_NUM) {
		/* json_walk took the record as one object, so the number is
		 * followed by a delimiter inside it: strtoll stops there */
		char *e;
		errno = 0;
		long long x = strtoll(v, &e, 10);
		if (e == v + n && !errno)
			sqlite3_bind_int64(st, param, x);
		else
			sqlite3_bind_double(st, param, strtod(v, NULL));
	} else if (k == JW_BOOL) {
		sqlite3_bind_int(st, param, *v == 't');
	}
}

int store_add(struct store *s, const char *rec, size_t len)
{
	char ts[48], type[48];
	int64_t us;
	if (!json_head_str(rec, len, "timestamp", ts, sizeof(ts)) ||
	    !json_head_str(rec, len, "event_type", type, sizeof(type)) || (us = vtime_parse(ts)) < 0) {
		s->skipped++;
		return 0;
	}
	struct picked pk;
	memset(pk.have, 0, sizeof(pk.have));
	if (!json_walk(rec, len, pick, &pk)) {
		s->skipped++; /* not one JSON object */
		return 0;
	}
	sqlite3_stmt *st = s->ins;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	sqlite3_bind_text(st, 1, rec, (int)len, SQLITE_STATIC);
	for (size_t i = 0; i < NCOLS; i++) {
		if (!pk.have[i])
			continue;
		/* the name: the first path of the list present wins */
		bool taken = false;
		for (size_t j = 0; j < i; j++)
			taken |= pk.have[j] && cols[j].param == cols[i].param;
		if (taken)
			continue;
		/* addresses in the short form whichever form eve wrote them in
		 * (outputs.eve.ipv6-compress), so the dashboard shows and
		 * searches one spelling */
		char a6[IP6_SHORT_LEN];
		if ((cols[i].param == 5 || cols[i].param == 7) && pk.at[i].k == JW_STR &&
		    ip6_short(pk.at[i].v, pk.at[i].n, a6))
			sqlite3_bind_text(st, cols[i].param, a6, -1, SQLITE_TRANSIENT);
		else
			bind_col(st, cols[i].param, pk.at[i].k, pk.at[i].v, pk.at[i].n);
	}
	sqlite3_bind_int64(st, 2, us);
	sqlite3_bind_text(st, 3, type, -1, SQLITE_TRANSIENT);
	int r = sqlite3_step(st);
	if (r == SQLITE_CONSTRAINT) {
		s->skipped++; /* a record the schema cannot take: skipped, not fatal */
		return 0;
	}
	return r == SQLITE_DONE ? 0 : V_EIO;
}

int store_commit(struct store *s, const struct tail_pos *pos)
{
	if (!s->in_txn && store_begin(s) < 0)
		return V_EIO;
	char v[80];
	snprintf(v, sizeof(v), "%llu %llu %llu", (unsigned long long)pos->dev,
		 (unsigned long long)pos->ino, (unsigned long long)pos->off);
	sqlite3_reset(s->setpos);
	sqlite3_bind_text(s->setpos, 1, v, -1, SQLITE_TRANSIENT);
	int rc = sqlite3_step(s->setpos) == SQLITE_DONE ? 0 : V_EIO;
	if (rc == 0 && sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		rc = V_EIO;
	if (rc < 0)
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
	s->in_txn = false;
	return rc;
}

bool store_position(struct store *s, struct tail_pos *pos)
{
	sqlite3_stmt *st;
	bool ok = false;
	if (sqlite3_prepare_v2(s->db, "SELECT v FROM meta WHERE k = 'position'", -1, &st, NULL) !=
	    SQLITE_OK)
		return false;
	if (sqlite3_step(st) == SQLITE_ROW) {
		unsigned long long d, i, o;
		const char *v = (const char *)sqlite3_column_text(st, 0);
		if (v && sscanf(v, "%llu %llu %llu", &d, &i, &o) == 3) {
			*pos = (struct tail_pos){ d, i, o };
			ok = true;
		}
	}
	sqlite3_finalize(st);
	return ok;
}

static int64_t one_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *st;
	int64_t v = 0;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

uint64_t store_count(struct store *s)
{
	return (uint64_t)one_int(s->db, "SELECT count(*) FROM events");
}

uint64_t store_bytes(struct store *s)
{
	uint64_t b = (uint64_t)(one_int(s->db, "PRAGMA page_count") * one_int(s->db, "PRAGMA page_size"));
	char wal[4200];
	struct stat st;
	snprintf(wal, sizeof(wal), "%s-wal", s->path);
	if (stat(wal, &st) == 0)
		b += (uint64_t)st.st_size;
	return b;
}

static uint64_t delete_where(struct store *s, const char *sql, int64_t arg)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_int64(st, 1, arg);
	uint64_t n = 0;
	if (sqlite3_step(st) == SQLITE_DONE)
		n = (uint64_t)sqlite3_changes(s->db);
	sqlite3_finalize(st);
	return n;
}

/* the freed pages back to the file system, the WAL emptied */
static void shrink(struct store *s)
{
	sqlite3_exec(s->db, "PRAGMA incremental_vacuum", NULL, NULL, NULL);
	sqlite3_wal_checkpoint_v2(s->db, NULL, SQLITE_CHECKPOINT_TRUNCATE, NULL, NULL);
}

static int64_t ts_of(sqlite3_stmt *st, int64_t id)
{
	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, id);
	return sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : INT64_MAX;
}

int64_t store_first_at(sqlite3 *db, int64_t ts)
{
	int64_t lo = one_int(db, "SELECT min(id) FROM events"), hi = one_int(db, "SELECT max(id) FROM events") + 1;
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(db, "SELECT ts FROM events WHERE id >= ? ORDER BY id LIMIT 1", -1, &st,
			       NULL) != SQLITE_OK)
		return lo;
	/* the first id whose record is at ts or later (ids may have gaps) */
	while (lo < hi) {
		int64_t mid = lo + (hi - lo) / 2;
		if (ts_of(st, mid) < ts)
			lo = mid + 1;
		else
			hi = mid;
	}
	sqlite3_finalize(st);
	return lo;
}

uint64_t store_retain(struct store *s, int64_t now_us, uint64_t max_age, uint64_t max_bytes)
{
	uint64_t n = 0;
	if (max_age) {
		int64_t cut = now_us - (int64_t)max_age * 1000000;
		int64_t first = store_first_at(s->db, cut);
		sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		n += delete_where(s, "DELETE FROM events WHERE id < ?", first);
		delete_where(s, "DELETE FROM alert_minutes WHERE minute < ?", cut / 60000000);
		delete_where(s, "DELETE FROM flow_minutes WHERE minute < ?", cut / 60000000);
		sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
	}
	if (n)
		shrink(s);
	/* over the cap: the oldest 5% at a time (at least 1000 rows) */
	for (int round = 0; max_bytes && round < 64 && store_bytes(s) > max_bytes; round++) {
		int64_t total = one_int(s->db, "SELECT count(*) FROM events");
		if (!total) {
			shrink(s);
			break;
		}
		int64_t k = total / 20 > 1000 ? total / 20 : 1000;
		int64_t min = one_int(s->db, "SELECT min(id) FROM events");
		sqlite3_exec(s->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
		n += delete_where(s, "DELETE FROM events WHERE id < ?", min + k);
		int64_t oldest = one_int(s->db, "SELECT ts FROM events ORDER BY id LIMIT 1");
		delete_where(s, "DELETE FROM alert_minutes WHERE minute < ?", oldest / 60000000);
		delete_where(s, "DELETE FROM flow_minutes WHERE minute < ?", oldest / 60000000);
		sqlite3_exec(s->db, "COMMIT", NULL, NULL, NULL);
		shrink(s);
	}
	return n;
}

int store_follow(const struct store_follow_cfg *c, volatile int *stop, struct verr *e)
{
	struct store *s = store_open(c->db, e);
	if (!s)
		return V_EIO;
	struct tail_pos pos = { 0 };
	bool have = store_position(s, &pos);
	struct tail *t = tail_open(c->eve, have ? &pos : NULL, e);
	if (!t) {
		store_close(s);
		return V_ENOMEM;
	}
	uint64_t added = 0;
	double t0 = now_mono(), next_retain = 0;
	int rc = 0;
	while (!*stop) {
		unsigned n = 0;
		size_t len;
		struct tail_pos after;
		const char *line;
		double batch_end = now_mono() + 1.0;
		while (n < c->batch && (line = tail_next(t, &len, &after))) {
			if (!n && store_begin(s) < 0) {
				rc = verr_set(e, V_EIO, "%s: %s", c->db, sqlite3_errmsg(s->db));
				goto out;
			}
			if (store_add(s, line, len) < 0) {
				rc = verr_set(e, V_EIO, "%s: %s", c->db, sqlite3_errmsg(s->db));
				goto out;
			}
			pos = after;
			n++;
			if ((n & 255) == 0 && now_mono() > batch_end)
				break;
		}
		if (n) {
			if (store_commit(s, &pos) < 0) {
				rc = verr_set(e, V_EIO, "%s: %s", c->db, sqlite3_errmsg(s->db));
				goto out;
			}
			added += n;
			continue;
		}
		if (now_mono() >= next_retain) {
			/* whole seconds, as before */
			int64_t now = (int64_t)(now_wall() / 1000000) * 1000000;
			uint64_t d = store_retain(s, now, c->max_age, c->max_bytes);
			if (d && !c->quiet)
				log_info("store: retention removed %llu records",
					 (unsigned long long)d);
			next_retain = now_mono() + 10;
		}
		if (c->once)
			break;
		/* a new record is in the store within about 50 ms */
		struct timespec d = { 0, 50 * 1000000 };
		nanosleep(&d, NULL);
	}
out:
	if (!c->quiet) {
		double el = now_mono() - t0;
		log_info("store: %llu records added in %.2f s (%.0f/s), %llu skipped, %llu in the store, "
			 "%.1f MB",
			 (unsigned long long)added, el, el > 0 ? (double)added / el : 0,
			 (unsigned long long)store_skipped(s), (unsigned long long)store_count(s),
			 (double)store_bytes(s) / 1e6);
	}
	tail_close(t);
	store_close(s);
	return rc;
}
