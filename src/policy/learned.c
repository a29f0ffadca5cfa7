/*
 * learned.c - see learned.h.
 *
 * In memory: the VMs (first seen, and per hour of the week the number of
 * weeks with a session then), a set of 64-bit hashes of (VM, kind,
 * destination) with striped locks, a set of learn-mode tuples, and a queue
 * of rows for the file.  On disk (SQLite, WAL):
 *
 *   vms(vm, first_seen)
 *   destinations(vm, kind, dest, first_seen)
 *   hours(vm, how, weeks, last_hour)
 *   learned(vm, name, address, proto, port, flows, first_seen, last_seen)
 */
#include "learned.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "identity.h"
#include "overrides.h"
#include "json.h"
#include "log.h"
#include "util.h"
#include "vigil.h"

#define VM_MAX 1024
#define STRIPES 64
#define QUEUE_MAX 65536

#define NAME_MAX_ 128 /* VM names, as the identity map allows them */

struct lvm {
	char name[NAME_MAX_];
	uint32_t first_seen;
	uint32_t last_odd;          /* the absolute hour last reported */
	uint32_t ndest[3];          /* destinations known, per kind */
	uint16_t weeks[168];
	uint32_t last_hour[168];    /* the absolute hour last counted */
};

enum { ROW_VM, ROW_DEST, ROW_HOUR, ROW_LEARN };

struct row {
	uint8_t type;
	uint8_t kind_or_proto;
	uint16_t port_or_how;
	uint32_t t;
	uint32_t a, b;              /* ROW_HOUR: weeks, last hour */
	char vm[NAME_MAX_];
	char key[256];              /* the destination, or the learned name */
	char addr[48];
};

struct hset {
	uint64_t *slot;
	uint32_t mask, count, max;
	pthread_mutex_t mu[STRIPES];
};

struct learned {
	struct learned_cfg cfg;
	char path[4096];
	sqlite3 *db;
	pthread_mutex_t vm_mu;
	struct lvm *vms;
	uint32_t nvms;
	struct hset dest, learn;
	pthread_mutex_t q_mu;
	struct row *q;
	uint32_t nq, capq;
	pthread_mutex_t db_mu;      /* one flush at a time */
	uint64_t written, dropped, full, errors;
	int tz;                     /* seconds east of UTC */
	uint32_t tz_hour;           /* the UTC hour tz was read for (vm_mu) */
};

/* ---- sets of hashes ---- */

static int hset_init(struct hset *s, uint32_t max)
{
	uint32_t cap = 64;
	while (cap < (uint64_t)max * 2 && cap < (1u << 30))
		cap <<= 1;
	s->slot = calloc(cap, sizeof(uint64_t));
	if (!s->slot)
		return -1;
	s->mask = cap - 1;
	s->max = max;
	s->count = 0;
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_init(&s->mu[i], NULL);
	return 0;
}

static void hset_fini(struct hset *s)
{
	if (!s->slot)
		return;
	free(s->slot);
	s->slot = NULL;
	for (int i = 0; i < STRIPES; i++)
		pthread_mutex_destroy(&s->mu[i]);
}

/* 1: h was added; 0: it was there; -1: the set is full.  Linear probing
 * under a stripe lock: a stripe covers every slot whose hash falls in it,
 * so a probe sequence may cross stripes; slots are only ever written from
 * 0 to a hash, atomically, so readers of other stripes see 0 or h. */
static int hset_add(struct hset *s, uint64_t h)
{
	if (!h)
		h = 1;
	pthread_mutex_t *mu = &s->mu[h % STRIPES];
	pthread_mutex_lock(mu);
	int rc = -1;
	for (uint32_t i = (uint32_t)h & s->mask, n = 0; n <= s->mask; i = (i + 1) & s->mask, n++) {
		uint64_t cur = __atomic_load_n(&s->slot[i], __ATOMIC_ACQUIRE);
		if (cur == h) {
			rc = 0;
			break;
		}
		if (cur)
			continue;
		if (__atomic_load_n(&s->count, __ATOMIC_RELAXED) >= s->max)
			break;
		uint64_t zero = 0;
		if (!__atomic_compare_exchange_n(&s->slot[i], &zero, h, false, __ATOMIC_ACQ_REL,
						 __ATOMIC_ACQUIRE)) {
			if (zero == h) {
				rc = 0;
				break;
			}
			continue; /* another stripe took it */
		}
		__atomic_add_fetch(&s->count, 1, __ATOMIC_RELAXED);
		rc = 1;
		break;
	}
	pthread_mutex_unlock(mu);
	return rc;
}

/* ---- names, hours ---- */

const char *name_registrable(const char *name)
{
	size_t n = strlen(name);
	const char *dots[3] = { NULL, NULL, NULL };
	int k = 0;
	for (size_t i = n; i-- > 0 && k < 3;)
		if (name[i] == '.')
			dots[k++] = name + i;
	if (k < 1)
		return name;
	size_t tld = (size_t)(name + n - dots[0] - 1);
	size_t sld = k >= 2 ? (size_t)(dots[0] - dots[1] - 1) : (size_t)(dots[0] - name);
	int want = (tld == 2 && sld <= 3) ? 3 : 2;
	if (k >= want)
		return dots[want - 1] + 1;
	return name;
}

static const char *const days[7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };

void hour_of_week_name(unsigned how, char *buf, size_t cap)
{
	snprintf(buf, cap, "%s %02u:00", days[(how / 24) % 7], how % 24);
}

static int day_of(const char *s, size_t n)
{
	for (int d = 0; d < 7; d++)
		if (n == 3 && !strncasecmp(s, days[d], 3))
			return d;
	return -1;
}

int quiet_hours_parse(const char *text, uint64_t mask[3], struct verr *e)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", text);
	char *sp = strchr(buf, ' ');
	const char *hours = buf;
	bool dayset[7];
	for (int d = 0; d < 7; d++)
		dayset[d] = !sp; /* no days: every day */
	if (sp) {
		*sp = 0;
		hours = sp + 1;
		while (*hours == ' ')
			hours++;
		if (!strcasecmp(buf, "daily") || !strcasecmp(buf, "every"))
			for (int d = 0; d < 7; d++)
				dayset[d] = true;
		else
			for (char *tok = buf; tok && *tok;) {
				char *comma = strchr(tok, ',');
				if (comma)
					*comma = 0;
				char *dash = strchr(tok, '-');
				int a = day_of(tok, dash ? (size_t)(dash - tok) : strlen(tok));
				int b = dash ? day_of(dash + 1, strlen(dash + 1)) : a;
				if (a < 0 || b < 0)
					return verr_set(e, V_EINVAL,
							"quiet hours \"%s\": days are Mon..Sun, a range (Mon-Fri) or a list (Sat,Sun)",
							text);
				for (int d = a;; d = (d + 1) % 7) {
					dayset[d] = true;
					if (d == b)
						break;
				}
				tok = comma ? comma + 1 : NULL;
			}
	}
	unsigned h0, h1, m0 = 0, m1 = 0;
	char tail;
	if (!(sscanf(hours, "%u:%u-%u:%u%c", &h0, &m0, &h1, &m1, &tail) == 4 ||
	      (sscanf(hours, "%u-%u%c", &h0, &h1, &tail) == 2 && !strchr(hours, ':'))) ||
	    h0 > 23 || h1 > 24 || m0 || m1 || h0 == h1)
		return verr_set(e, V_EINVAL,
				"quiet hours \"%s\": expected [DAYS] HH-HH (whole hours, 22-07 runs past midnight)",
				text);
	for (int d = 0; d < 7; d++) {
		if (!dayset[d])
			continue;
		unsigned len = h1 > h0 ? h1 - h0 : 24 - h0 + h1;
		for (unsigned k = 0; k < len; k++) {
			unsigned how = ((unsigned)d * 24 + h0 + k) % 168;
			mask[how / 64] |= 1ull << (how % 64);
		}
	}
	return 0;
}

/* ---- the file ---- */

static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=NORMAL;"
	"CREATE TABLE IF NOT EXISTS vms(vm TEXT PRIMARY KEY, first_seen INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS destinations(vm TEXT, kind INTEGER, dest TEXT, first_seen INTEGER,"
	" PRIMARY KEY(vm, kind, dest)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS hours(vm TEXT, how INTEGER, weeks INTEGER, last_hour INTEGER,"
	" PRIMARY KEY(vm, how)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS learned(vm TEXT, name TEXT, address TEXT, proto INTEGER,"
	" port INTEGER, flows INTEGER, first_seen INTEGER, last_seen INTEGER,"
	" PRIMARY KEY(vm, name, address, proto, port)) WITHOUT ROWID;";

static uint64_t dest_hash(const char *vm, unsigned kind, const char *dest)
{
	uint64_t h = hash_bytes(vm, strlen(vm), kind * 0x9e3779b97f4a7c15ull + 1);
	return hash_bytes(dest, strlen(dest), h);
}

static uint64_t learn_hash(const char *vm, const char *name, const char *addr, uint8_t proto,
			   uint16_t port)
{
	uint64_t h = hash_bytes(vm, strlen(vm), 7);
	h = hash_bytes(name, strlen(name), h);
	h = hash_bytes(addr, strlen(addr), h);
	uint8_t pp[3] = { proto, (uint8_t)(port >> 8), (uint8_t)port };
	return hash_bytes(pp, 3, h);
}

static int kind_index(unsigned kind)
{
	return kind == NEWDEST_DOMAIN ? 0 : kind == NEWDEST_REGDOMAIN ? 1 : 2;
}

/* The VM named name (made when new, first seen at now); vm_mu held.
 * NULL when the table is full. */
static struct lvm *vm_get(struct learned *l, const char *name, uint32_t now, bool *created)
{
	*created = false;
	for (uint32_t i = 0; i < l->nvms; i++)
		if (!strcmp(l->vms[i].name, name))
			return &l->vms[i];
	if (l->nvms >= VM_MAX || strlen(name) >= sizeof(l->vms[0].name))
		return NULL;
	struct lvm *v = &l->vms[l->nvms++];
	memset(v, 0, sizeof(*v));
	snprintf(v->name, sizeof(v->name), "%s", name);
	v->first_seen = now;
	*created = true;
	return v;
}

static int load(struct learned *l, struct verr *e)
{
	sqlite3_stmt *st;
	static const char *const q[] = {
		"SELECT vm, first_seen FROM vms",
		"SELECT vm, kind, dest FROM destinations",
		"SELECT vm, how, weeks, last_hour FROM hours",
		"SELECT vm, name, address, proto, port FROM learned",
	};
	for (int k = 0; k < 4; k++) {
		if (sqlite3_prepare_v2(l->db, q[k], -1, &st, NULL) != SQLITE_OK)
			return verr_set(e, V_EIO, "%s: %s", l->path, sqlite3_errmsg(l->db));
		while (sqlite3_step(st) == SQLITE_ROW) {
			const char *vm = (const char *)sqlite3_column_text(st, 0);
			if (!vm)
				continue;
			struct lvm *v = NULL;
			if (k == 0) {
				bool created;
				v = vm_get(l, vm, (uint32_t)sqlite3_column_int64(st, 1), &created);
			} else {
				for (uint32_t i = 0; i < l->nvms && !v; i++)
					if (!strcmp(l->vms[i].name, vm))
						v = &l->vms[i];
			}
			if (!v)
				continue;
			if (k == 1) {
				const char *d = (const char *)sqlite3_column_text(st, 2);
				unsigned kind = (unsigned)sqlite3_column_int(st, 1);
				if (d && (kind == NEWDEST_DOMAIN || kind == NEWDEST_REGDOMAIN ||
					  kind == NEWDEST_NET) &&
				    hset_add(&l->dest, dest_hash(vm, kind, d)) == 1)
					v->ndest[kind_index(kind)]++;
			} else if (k == 2) {
				int how = sqlite3_column_int(st, 1);
				if (how >= 0 && how < 168) {
					v->weeks[how] = (uint16_t)MIN(sqlite3_column_int(st, 2), 65535);
					v->last_hour[how] = (uint32_t)sqlite3_column_int64(st, 3);
				}
			} else if (k == 3) {
				const char *n = (const char *)sqlite3_column_text(st, 1);
				const char *a = (const char *)sqlite3_column_text(st, 2);
				hset_add(&l->learn, learn_hash(vm, n ? n : "", a ? a : "",
							       (uint8_t)sqlite3_column_int(st, 3),
							       (uint16_t)sqlite3_column_int(st, 4)));
			}
		}
		sqlite3_finalize(st);
	}
	return 0;
}

struct learned *learned_open(const struct learned_cfg *c, struct verr *e)
{
	struct learned *l = calloc(1, sizeof(*l));
	if (!l || !(l->vms = calloc(VM_MAX, sizeof(struct lvm)))) {
		free(l);
		verr_set(e, V_ENOMEM, "out of memory (learned state)");
		return NULL;
	}
	l->cfg = *c;
	l->cfg.path = NULL;
	/* the local zone's offset is read by the first contact (and each hour) */
	l->tz = c->tz_offset == INT32_MIN ? 0 : c->tz_offset;
	l->tz_hour = UINT32_MAX;
	pthread_mutex_init(&l->vm_mu, NULL);
	pthread_mutex_init(&l->q_mu, NULL);
	pthread_mutex_init(&l->db_mu, NULL);
	if (hset_init(&l->dest, MAX(c->max_destinations, 16)) < 0 ||
	    hset_init(&l->learn, MAX(c->learn_max, 16)) < 0) {
		verr_set(e, V_ENOMEM, "out of memory (learned state)");
		learned_close(l);
		return NULL;
	}
	if (c->path && *c->path) {
		snprintf(l->path, sizeof(l->path), "%s", c->path);
		/* its directory (control.state-dir), when missing */
		char dir[4096];
		snprintf(dir, sizeof(dir), "%s", l->path);
		char *slash = strrchr(dir, '/');
		if (slash && slash != dir) {
			*slash = 0;
			if (mkdir(dir, 0750) < 0 && errno != EEXIST)
				log_warn("%s: %s", dir, strerror(errno));
		}
		if (sqlite3_open_v2(l->path, &l->db,
				    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
				    NULL) != SQLITE_OK) {
			verr_set(e, V_EIO, "%s: %s", l->path,
				 l->db ? sqlite3_errmsg(l->db) : "cannot open");
			learned_close(l);
			return NULL;
		}
		sqlite3_busy_timeout(l->db, 2000);
		chmod(l->path, 0640);
		char *msg = NULL;
		if (sqlite3_exec(l->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
			verr_set(e, V_EIO, "%s: %s", l->path, msg ? msg : "cannot create the tables");
			sqlite3_free(msg);
			learned_close(l);
			return NULL;
		}
		if (load(l, e) < 0) {
			learned_close(l);
			return NULL;
		}
	}
	return l;
}

int learned_chown(struct learned *l, uid_t uid, gid_t gid)
{
	if (!l || !l->db)
		return 0;
	int rc = 0;
	static const char *const sfx[] = { "", "-wal", "-shm" };
	for (int i = 0; i < 3; i++) {
		char p[4200];
		snprintf(p, sizeof(p), "%s%s", l->path, sfx[i]);
		if (chown(p, uid, gid) < 0 && errno != ENOENT)
			rc = -1;
	}
	return rc;
}

void learned_close(struct learned *l)
{
	if (!l)
		return;
	learned_flush(l);
	if (l->db)
		sqlite3_close(l->db);
	hset_fini(&l->dest);
	hset_fini(&l->learn);
	pthread_mutex_destroy(&l->vm_mu);
	pthread_mutex_destroy(&l->q_mu);
	pthread_mutex_destroy(&l->db_mu);
	free(l->q);
	free(l->vms);
	free(l);
}

/* ---- the queue ---- */

static struct row *queue_row(struct learned *l, uint8_t type, const char *vm)
{
	if (!l->db)
		return NULL;
	if (l->nq == l->capq) {
		uint32_t cap = l->capq ? l->capq * 2 : 256;
		struct row *q = cap <= QUEUE_MAX ? realloc(l->q, cap * sizeof(*q)) : NULL;
		if (!q) {
			__atomic_add_fetch(&l->dropped, 1, __ATOMIC_RELAXED);
			return NULL;
		}
		l->q = q;
		l->capq = cap;
	}
	struct row *r = &l->q[l->nq++];
	memset(r, 0, offsetof(struct row, key));
	r->key[0] = r->addr[0] = 0;
	r->type = type;
	snprintf(r->vm, sizeof(r->vm), "%s", vm);
	return r;
}

static const char *const sql[] = {
	[ROW_VM] = "INSERT OR IGNORE INTO vms(vm, first_seen) VALUES(?1, ?2)",
	[ROW_DEST] = "INSERT OR IGNORE INTO destinations(vm, kind, dest, first_seen) VALUES(?1, ?3, ?4, ?2)",
	[ROW_HOUR] = "INSERT OR REPLACE INTO hours(vm, how, weeks, last_hour) VALUES(?1, ?3, ?5, ?6)",
	[ROW_LEARN] = "INSERT INTO learned(vm, name, address, proto, port, flows, first_seen, last_seen)"
		      " VALUES(?1, ?4, ?7, ?3, ?8, 1, ?2, ?2) ON CONFLICT(vm, name, address, proto, port) DO UPDATE SET"
		      " flows = flows + 1, last_seen = MAX(last_seen, excluded.last_seen),"
		      " first_seen = MIN(first_seen, excluded.first_seen)",
};

int learned_flush(struct learned *l)
{
	if (!l || !l->db)
		return 0;
	pthread_mutex_lock(&l->db_mu);
	pthread_mutex_lock(&l->q_mu);
	struct row *q = l->q;
	uint32_t n = l->nq;
	l->q = NULL;
	l->nq = l->capq = 0;
	pthread_mutex_unlock(&l->q_mu);
	int written = 0;
	if (n) {
		sqlite3_stmt *st[4] = { NULL };
		bool ok = sqlite3_exec(l->db, "BEGIN", NULL, NULL, NULL) == SQLITE_OK;
		for (int k = 0; k < 4 && ok; k++)
			ok = sqlite3_prepare_v2(l->db, sql[k], -1, &st[k], NULL) == SQLITE_OK;
		for (uint32_t i = 0; i < n && ok; i++) {
			const struct row *r = &q[i];
			sqlite3_stmt *s = st[r->type];
			sqlite3_reset(s);
			sqlite3_clear_bindings(s);
			sqlite3_bind_text(s, 1, r->vm, -1, SQLITE_STATIC);
			sqlite3_bind_int64(s, 2, r->t);
			if (sqlite3_bind_parameter_count(s) >= 3)
				sqlite3_bind_int(s, 3, r->kind_or_proto);
			if (r->type == ROW_HOUR)
				sqlite3_bind_int(s, 3, r->port_or_how);
			if (sqlite3_bind_parameter_count(s) >= 4)
				sqlite3_bind_text(s, 4, r->key, -1, SQLITE_STATIC);
			if (r->type == ROW_HOUR) {
				sqlite3_bind_int64(s, 5, r->a);
				sqlite3_bind_int64(s, 6, r->b);
			}
			if (r->type == ROW_LEARN) {
				sqlite3_bind_text(s, 7, r->addr, -1, SQLITE_STATIC);
				sqlite3_bind_int(s, 8, r->port_or_how);
			}
			if (sqlite3_step(s) != SQLITE_DONE)
				ok = false;
			else
				written++;
		}
		for (int k = 0; k < 4; k++)
			sqlite3_finalize(st[k]);
		if (!ok || sqlite3_exec(l->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
			if (!l->errors)
				log_err("%s: cannot write the learned state: %s", l->path,
					sqlite3_errmsg(l->db));
			sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
			__atomic_add_fetch(&l->errors, 1, __ATOMIC_RELAXED);
			written = -1;
			/* the rows go back in front of what was queued since, for
			 * the next flush (within the queue's bound) */
			pthread_mutex_lock(&l->q_mu);
			uint32_t keep = MIN(n, QUEUE_MAX > l->nq ? QUEUE_MAX - l->nq : 0);
			struct row *nq = keep ? malloc((size_t)(keep + l->nq) * sizeof(*nq)) : NULL;
			if (nq) {
				memcpy(nq, q, keep * sizeof(*nq));
				if (l->nq)
					memcpy(nq + keep, l->q, l->nq * sizeof(*nq));
				free(l->q);
				l->q = nq;
				l->nq += keep;
				l->capq = l->nq;
			}
			__atomic_add_fetch(&l->dropped, (uint64_t)(n - (nq ? keep : 0)), __ATOMIC_RELAXED);
			pthread_mutex_unlock(&l->q_mu);
		} else {
			__atomic_add_fetch(&l->written, (uint64_t)written, __ATOMIC_RELAXED);
		}
	}
	free(q);
	pthread_mutex_unlock(&l->db_mu);
	return written;
}

/* ---- contacts ---- */

static void net_of(uint8_t ver, const uint8_t *a, char *buf, size_t cap)
{
	uint8_t n[16] = { 0 };
	char s[INET6_ADDRSTRLEN];
	if (ver == 4) {
		memcpy(n, a, 3);
		inet_ntop(AF_INET, n, s, sizeof(s));
		snprintf(buf, cap, "%s/24", s);
	} else {
		memcpy(n, a, 8);
		inet_ntop(AF_INET6, n, s, sizeof(s));
		snprintf(buf, cap, "%s/64", s);
	}
}

/* A destination of kind for VM v: 1 when new (and recorded), 0 known, -1 full. */
static int dest_seen(struct learned *l, struct lvm *v, unsigned kind, const char *dest, uint32_t now,
		     uint32_t *known)
{
	int k = kind_index(kind);
	int rc = hset_add(&l->dest, dest_hash(v->name, kind, dest));
	pthread_mutex_lock(&l->vm_mu);
	*known = v->ndest[k];
	if (rc == 1)
		v->ndest[k]++;
	pthread_mutex_unlock(&l->vm_mu);
	if (rc < 0) {
		__atomic_add_fetch(&l->full, 1, __ATOMIC_RELAXED);
		return -1;
	}
	if (rc == 1) {
		pthread_mutex_lock(&l->q_mu);
		struct row *r = queue_row(l, ROW_DEST, v->name);
		if (r) {
			r->t = now;
			r->kind_or_proto = (uint8_t)kind;
			snprintf(r->key, sizeof(r->key), "%s", dest);
		}
		pthread_mutex_unlock(&l->q_mu);
	}
	return rc;
}

bool learned_contact(struct learned *l, const struct contact *c, struct contact_report *r)
{
	memset(r, 0, sizeof(*r));
	bool created;
	struct row hr = { 0 };
	pthread_mutex_lock(&l->vm_mu);
	if (l->cfg.tz_offset == INT32_MIN && c->now / 3600 != l->tz_hour) {
		/* the local zone's offset, read again each hour (summer time) */
		time_t t = (time_t)c->now;
		struct tm tm;
		localtime_r(&t, &tm);
		l->tz = (int)tm.tm_gmtoff;
		l->tz_hour = c->now / 3600;
	}
	uint32_t abs_hour = (uint32_t)(((int64_t)c->now + l->tz) / 3600);
	/* 1970-01-01 was a Thursday: day 4 of a week from Sunday */
	unsigned how = (unsigned)((abs_hour + 4 * 24) % 168);
	struct lvm *v = vm_get(l, c->vm, c->now, &created);
	if (!v) {
		pthread_mutex_unlock(&l->vm_mu);
		return false;
	}
	uint32_t age = c->now > v->first_seen ? c->now - v->first_seen : 0;
	r->learned_days = age / 86400;
	r->how = how;
	const uint64_t *quiet = c->quiet ? c->quiet : l->cfg.quiet;
	if (v->last_odd != abs_hour) {
		if (quiet[how / 64] >> (how % 64) & 1)
			r->odd = 2;
		else if (l->cfg.hours_learn && age >= l->cfg.hours_learn &&
			 v->weeks[how] < l->cfg.hours_min)
			r->odd = 1;
		if (r->odd)
			v->last_odd = abs_hour;
	}
	r->weeks_active = v->weeks[how];
	if (v->last_hour[how] != abs_hour) {
		v->last_hour[how] = abs_hour;
		if (v->weeks[how] < 65535)
			v->weeks[how]++;
		hr.type = ROW_HOUR;
		hr.port_or_how = (uint16_t)how;
		hr.a = v->weeks[how];
		hr.b = abs_hour;
		hr.t = c->now;
	}
	uint32_t first = v->first_seen;
	pthread_mutex_unlock(&l->vm_mu);
	if (created || hr.type == ROW_HOUR) {
		pthread_mutex_lock(&l->q_mu);
		struct row *q;
		if (created && (q = queue_row(l, ROW_VM, c->vm)))
			q->t = first;
		if (hr.type == ROW_HOUR && (q = queue_row(l, ROW_HOUR, c->vm))) {
			snprintf(hr.vm, sizeof(hr.vm), "%s", c->vm);
			*q = hr;
		}
		pthread_mutex_unlock(&l->q_mu);
	}

	/* destinations: every kind is recorded; the broadest new one of the
	 * kinds asked for is reported, once the VM's learning is over (a
	 * network only for destinations reached without a name: a service's
	 * addresses move between networks) */
	bool report = age >= l->cfg.dest_learn && !created;
	char nbuf[256], net[80];
	uint32_t known;
	const char *cname = c->name;
	/* only host names ([a-z0-9._-]) are kept as names: whatever else a
	 * DNS answer carries is kept by address (it is printed in proposals) */
	for (const char *s = cname; s && *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '.' && *s != '-' && *s != '_') {
			cname = NULL;
			break;
		}
	if (cname && *cname) {
		size_t n = 0;
		for (; cname[n] && n < sizeof(nbuf) - 1; n++)
			nbuf[n] = (char)tolower((unsigned char)cname[n]);
		nbuf[n] = 0;
		const char *reg = name_registrable(nbuf);
		int nr = dest_seen(l, v, NEWDEST_REGDOMAIN, reg, c->now, &known);
		if (nr == 1 && report && (l->cfg.kinds & NEWDEST_REGDOMAIN)) {
			r->newdest = NEWDEST_REGDOMAIN;
			r->known = known;
			snprintf(r->dest, sizeof(r->dest), "%s", reg);
		}
		int nd = reg == nbuf ? nr : dest_seen(l, v, NEWDEST_DOMAIN, nbuf, c->now, &known);
		if (nd == 1 && report && !r->newdest && (l->cfg.kinds & NEWDEST_DOMAIN)) {
			r->newdest = NEWDEST_DOMAIN;
			r->known = known;
			snprintf(r->dest, sizeof(r->dest), "%s", nbuf);
		}
	}
	if (c->ver == 4 || c->ver == 6) {
		net_of(c->ver, c->addr, net, sizeof(net));
		int nn = dest_seen(l, v, NEWDEST_NET, net, c->now, &known);
		if (nn == 1 && report && !r->newdest && !(cname && *cname) &&
		    (l->cfg.kinds & NEWDEST_NET)) {
			r->newdest = NEWDEST_NET;
			r->known = known;
			snprintf(r->dest, sizeof(r->dest), "%s", net);
		}
	}

	/* learn mode: the flow, by name when the VM reached it by one */
	if (c->learn && (c->ver == 4 || c->ver == 6)) {
		char a[64] = "";
		inet_ntop(c->ver == 4 ? AF_INET : AF_INET6, c->addr, a, sizeof(a));
		const char *name = cname && *cname ? nbuf : "";
		if (*name)
			*a = 0; /* a name's addresses move: the name is what is kept */
		if (hset_add(&l->learn, learn_hash(c->vm, name, a, c->proto, c->port)) >= 0) {
			pthread_mutex_lock(&l->q_mu);
			struct row *q = queue_row(l, ROW_LEARN, c->vm);
			if (q) {
				q->t = c->now;
				q->kind_or_proto = c->proto;
				q->port_or_how = c->port;
				snprintf(q->key, sizeof(q->key), "%s", name);
				snprintf(q->addr, sizeof(q->addr), "%s", a);
			}
			pthread_mutex_unlock(&l->q_mu);
		} else {
			__atomic_add_fetch(&l->full, 1, __ATOMIC_RELAXED);
		}
	}
	return r->newdest || r->odd;
}

void learned_get_stats(struct learned *l, struct learned_stats *s)
{
	memset(s, 0, sizeof(*s));
	if (!l)
		return;
	pthread_mutex_lock(&l->vm_mu);
	s->vms = l->nvms;
	pthread_mutex_unlock(&l->vm_mu);
	s->destinations = __atomic_load_n(&l->dest.count, __ATOMIC_RELAXED);
	s->learn_rows = __atomic_load_n(&l->learn.count, __ATOMIC_RELAXED);
	s->written = __atomic_load_n(&l->written, __ATOMIC_RELAXED);
	s->dropped = __atomic_load_n(&l->dropped, __ATOMIC_RELAXED);
	s->full = __atomic_load_n(&l->full, __ATOMIC_RELAXED);
	s->errors = __atomic_load_n(&l->errors, __ATOMIC_RELAXED);
}

/* ---- proposals ---- */

struct lrow {
	char *name, *addr;
	uint8_t proto;
	uint16_t port;
	uint64_t flows;
	int64_t first, last;
	char gkey[80];      /* what groups it: its registrable domain, its /24 */
	char tbuf[80];      /* the group's destination (*.domain, a /24), or "" */
	unsigned gsize;     /* the group's distinct names or addresses */
};

/* the rule's destination: the group's, else the name, else the address */
static const char *tgt(const struct lrow *r)
{
	return *r->tbuf ? r->tbuf : *r->name ? r->name : r->addr;
}

static int group_cmp(const void *x, const void *y)
{
	const struct lrow *a = x, *b = y;
	int c = strcmp(a->gkey, b->gkey);
	if (c)
		return c;
	c = strcmp(a->name, b->name);
	return c ? c : strcmp(a->addr, b->addr);
}

static int lrow_cmp(const void *x, const void *y)
{
	const struct lrow *a = x, *b = y;
	int c = strcmp(tgt(a), tgt(b));
	if (c)
		return c;
	if (a->proto != b->proto)
		return a->proto < b->proto ? -1 : 1;
	return a->port < b->port ? -1 : a->port > b->port;
}

static const char *proto_name(uint8_t p)
{
	return p == 6 ? "tcp" : p == 17 ? "udp" : NULL;
}

/* One VM's rows: names grouped under *.domain where three or more names
 * share a registrable domain, addresses without a name under their /24
 * where four or more share it; one rule per destination and protocol/port,
 * or the destination alone when it was reached on more than four. */
static void propose_vm(const char *vm, struct lrow *rows, size_t n, const struct identity *idm,
		       FILE *out)
{
	/* groups: names by registrable domain, name-less IPv4 addresses by
	 * /24; sorted, each group's distinct members counted in one pass */
	for (size_t i = 0; i < n; i++) {
		struct lrow *r = &rows[i];
		uint8_t a[4];
		if (*r->name)
			snprintf(r->gkey, sizeof(r->gkey), "n:%s", name_registrable(r->name));
		else if (inet_pton(AF_INET, r->addr, a) == 1)
			snprintf(r->gkey, sizeof(r->gkey), "a:%u.%u.%u.0/24", a[0], a[1], a[2]);
	}
	qsort(rows, n, sizeof(*rows), group_cmp);
	for (size_t i = 0; i < n;) {
		size_t j = i;
		unsigned distinct = 0;
		for (; j < n && !strcmp(rows[j].gkey, rows[i].gkey); j++)
			distinct += j == i || strcmp(rows[j].name, rows[j - 1].name) ||
				    strcmp(rows[j].addr, rows[j - 1].addr);
		bool named = rows[i].gkey[0] == 'n';
		if (rows[i].gkey[0] && distinct >= (named ? 3u : 4u))
			for (size_t k = i; k < j; k++) {
				if (named)
					snprintf(rows[k].tbuf, sizeof(rows[k].tbuf), "*.%s", rows[k].gkey + 2);
				else
					snprintf(rows[k].tbuf, sizeof(rows[k].tbuf), "%s", rows[k].gkey + 2);
				rows[k].gsize = distinct;
			}
		i = j;
	}
	qsort(rows, n, sizeof(*rows), lrow_cmp);
	const struct vm *v = idm ? identity_by_name(idm, vm) : NULL;
	fprintf(out, "%s:\n", vm);
	if (v) {
		/* the addresses, as the identity map has them */
		struct jbuf jb = { 0 };
		identity_vm_json(idm, v, &jb, NULL);
		json_t *o = jb.buf && !jb.oom ? json_loadb(jb.buf, jb.len, 0, NULL) : NULL;
		json_t *as = json_object_get(o, "addresses");
		if (json_array_size(as)) {
			fprintf(out, "  addresses: [");
			for (size_t i = 0; i < json_array_size(as); i++)
				fprintf(out, "%s%s", i ? ", " : "",
					json_string_value(json_array_get(as, i)) ?: "");
			fprintf(out, "]\n");
		}
		json_decref(o);
		jb_fini(&jb);
	}
	fprintf(out, "  policy: deny\n  allow:\n");
	for (size_t i = 0; i < n;) {
		/* the rows of one destination */
		size_t j = i;
		uint64_t flows = 0;
		int64_t first = INT64_MAX, last = 0;
		unsigned pairs = 0, names = 0;
		for (; j < n && !strcmp(tgt(&rows[j]), tgt(&rows[i])); j++) {
			flows += rows[j].flows;
			first = MIN(first, rows[j].first);
			last = MAX(last, rows[j].last);
			if (j == i || rows[j].proto != rows[j - 1].proto || rows[j].port != rows[j - 1].port)
				pairs++;
		}
		names = *rows[i].tbuf ? rows[i].gsize : 1;
		char what[64];
		snprintf(what, sizeof(what), "%s%llu flow%s", "", (unsigned long long)flows,
			 flows == 1 ? "" : "s");
		if (pairs > 4 || !proto_name(rows[i].proto)) {
			fprintf(out, "    - \"%s\"%*s# %s, %u ports, %u %s\n", tgt(&rows[i]),
				(int)MAX(1, 34 - (int)strlen(tgt(&rows[i]))), "", what, pairs, names,
				*rows[i].name ? "names" : "addresses");
		} else {
			for (size_t k = i; k < j; k++) {
				if (k > i && rows[k].proto == rows[k - 1].proto && rows[k].port == rows[k - 1].port)
					continue;
				uint64_t pf = 0;
				for (size_t m = k; m < j && rows[m].proto == rows[k].proto &&
						   rows[m].port == rows[k].port; m++)
					pf += rows[m].flows;
				char rule[160];
				if (rows[k].port)
					snprintf(rule, sizeof(rule), "%s %s/%u", tgt(&rows[k]),
						 proto_name(rows[k].proto), rows[k].port);
				else
					snprintf(rule, sizeof(rule), "%s %s", tgt(&rows[k]),
						 proto_name(rows[k].proto));
				fprintf(out, "    - \"%s\"%*s# %llu flow%s", rule,
					(int)MAX(1, 34 - (int)strlen(rule)), "", (unsigned long long)pf,
					pf == 1 ? "" : "s");
				if (*rows[i].tbuf && k == i)
					fprintf(out, ", %u %s", names, *rows[i].name ? "names" : "addresses");
				fprintf(out, "\n");
			}
		}
		i = j;
	}
}

int learned_propose(const char *path, const char *vm, const struct identity *idm, FILE *out,
		    struct verr *e)
{
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		int rc = verr_set(e, V_EIO, "%s: %s", path, db ? sqlite3_errmsg(db) : "cannot open");
		sqlite3_close(db);
		return rc;
	}
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db,
			       "SELECT vm, name, address, proto, port, flows, first_seen, last_seen"
			       " FROM learned WHERE ?1 IS NULL OR vm = ?1 ORDER BY vm",
			       -1, &st, NULL) != SQLITE_OK) {
		int rc = verr_set(e, V_EIO, "%s: %s (not a vigil state file?)", path, sqlite3_errmsg(db));
		sqlite3_close(db);
		return rc;
	}
	if (vm)
		sqlite3_bind_text(st, 1, vm, -1, SQLITE_STATIC);
	struct lrow *rows = NULL;
	size_t n = 0, cap = 0, vms = 0;
	char cur[NAME_MAX_] = "";
	int64_t t0 = INT64_MAX, t1 = 0;
	fprintf(out, "# A proposed allowlist, written by vigil policy propose from %s:\n"
		     "# what each VM in learn mode reached.  Check it, edit it, then put it\n"
		     "# in identity.file (docs/policy.md) and take the VM out of learn mode.\n",
		path);
	for (int step = sqlite3_step(st);; step = sqlite3_step(st)) {
		const char *v = step == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : NULL;
		if (step != SQLITE_ROW || !v || strcmp(v, cur)) {
			if (n) {
				char a[32], b[32];
				time_t x = (time_t)t0, y = (time_t)t1;
				struct tm tm;
				strftime(a, sizeof(a), "%Y-%m-%d %H:%M", gmtime_r(&x, &tm));
				strftime(b, sizeof(b), "%Y-%m-%d %H:%M", gmtime_r(&y, &tm));
				fprintf(out, "\n# %s: learned from %s to %s UTC\n", cur, a, b);
				propose_vm(cur, rows, n, idm, out);
				vms++;
			}
			for (size_t i = 0; i < n; i++) {
				free(rows[i].name);
				free(rows[i].addr);
			}
			n = 0;
			t0 = INT64_MAX;
			t1 = 0;
			if (step != SQLITE_ROW)
				break;
			if (!v)
				continue;
			snprintf(cur, sizeof(cur), "%s", v);
		}
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			struct lrow *nr = realloc(rows, nc * sizeof(*nr));
			if (!nr)
				break;
			rows = nr;
			cap = nc;
		}
		struct lrow *r = &rows[n];
		memset(r, 0, sizeof(*r));
		const char *nm = (const char *)sqlite3_column_text(st, 1);
		const char *ad = (const char *)sqlite3_column_text(st, 2);
		r->name = strdup(nm ? nm : "");
		r->addr = strdup(ad ? ad : "");
		if (!r->name || !r->addr) {
			free(r->name);
			free(r->addr);
			break;
		}
		r->proto = (uint8_t)sqlite3_column_int(st, 3);
		r->port = (uint16_t)sqlite3_column_int(st, 4);
		r->flows = (uint64_t)sqlite3_column_int64(st, 5);
		r->first = sqlite3_column_int64(st, 6);
		r->last = sqlite3_column_int64(st, 7);
		t0 = MIN(t0, r->first);
		t1 = MAX(t1, r->last);
		n++;
	}
	for (size_t i = 0; i < n; i++) {
		free(rows[i].name);
		free(rows[i].addr);
	}
	free(rows);
	sqlite3_finalize(st);
	sqlite3_close(db);
	if (!vms) {
		fprintf(out, "# (nothing recorded%s%s)\n", vm ? " for " : "", vm ? vm : "");
		return vm ? verr_set(e, V_EINVAL, "%s: nothing recorded in learn mode for %s", path, vm) : 0;
	}
	return 0;
}

/* ---- from the configuration ---- */

int learned_cfg_from(const struct config *cfg, struct learned_cfg *c, char *path, size_t cap,
		     struct verr *e)
{
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < cfg->policy_new_destinations.cnt; i++) {
		const char *k = cfg->policy_new_destinations.v[i];
		if (!strcmp(k, "registrable-domain"))
			c->kinds |= NEWDEST_REGDOMAIN;
		else if (!strcmp(k, "domain"))
			c->kinds |= NEWDEST_DOMAIN;
		else if (!strcmp(k, "network"))
			c->kinds |= NEWDEST_NET;
		else if (*k)
			return verr_set(e, V_EINVAL,
					"policy.new-destinations: unknown kind \"%s\" (registrable-domain, domain, network)",
					k);
	}
	for (size_t i = 0; i < cfg->policy_quiet_hours.cnt; i++) {
		struct verr qe = { "" };
		if (quiet_hours_parse(cfg->policy_quiet_hours.v[i], c->quiet, &qe) < 0)
			return verr_set(e, V_EINVAL, "policy.quiet-hours: %s", qe.msg);
	}
	c->dest_learn = (uint32_t)MIN(cfg->policy_new_destination_learn, UINT32_MAX);
	c->max_destinations = (uint32_t)MIN(cfg->policy_destinations_max, 1u << 28);
	c->hours_learn = (uint32_t)MIN(cfg->policy_hours_learn, UINT32_MAX);
	c->hours_min = (uint32_t)MIN(cfg->policy_hours_min, 65535);
	c->learn_max = (uint32_t)MIN(cfg->policy_learn_max, 1u << 26);
	c->tz_offset = INT32_MIN;
	*path = 0;
	const char *f = cfg->policy_state_file;
	if (f && *f) {
		if (*f == '/')
			snprintf(path, cap, "%s", strlen(f) < cap ? f : "");
		else
			policy_state_path(cfg, f, path, cap);
		if (!*path)
			return verr_set(e, V_EINVAL, "policy.state-file: path too long");
	}
	c->path = path;
	return 0;
}
