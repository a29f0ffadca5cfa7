/*
 * fim.c - file integrity monitoring and honeyfiles (see fim.h).
 *
 * One comparison serves both the full scan and the real-time path:
 * check_entry() takes a directory fd and a name, gathers the entry's
 * attributes (never following a symlink: fstatat/openat with NOFOLLOW),
 * compares them with the baseline row of its path and writes the row
 * back.  The scan walks the trees depth first with one open directory per
 * level (openat, so paths longer than PATH_MAX work and a directory
 * renamed mid-walk cannot send the walk elsewhere); real time turns inotify
 * events into paths that are checked once they settle.  So a change seen
 * by both is reported by whichever checks first, and the other finds the
 * row already equal: each change is reported once.
 *
 * Everything that grows with the trees lives in SQLite, not in memory: the
 * baseline rows, the paths seen by the current walk (temp.seen), the rows
 * found gone (temp.gone).  A path added and one removed in the same batch
 * with the same device, inode and type (and, for files, the same mtime or
 * content) are reported as one "renamed"; so "added" events wait for the
 * end of their batch (a scan, or one round of real-time checks), marked
 * `pending` in the row.  Memory is bounded by named limits:
 * FIM_MAX_DEPTH open directories, FIM_MAX_PENDING changed paths waiting
 * (more means a rescan), one watch entry per directory watched, and
 * buffers of fixed size for xattrs (64 KiB, the kernel's limit) and
 * diffs (diff_max_len).
 *
 * SHA-256 is streamed through OpenSSL's EVP and computed again only when
 * size, mtime, ctime, inode or device changed.  Honeyfiles are never read
 * by us (no hash), so that inotify's IN_OPEN/IN_ACCESS on them are always
 * somebody else's; fanotify names the process, and ignores our own pid.
 */
#include "fim.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <grp.h>
#include <linux/limits.h>
#include <pwd.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/fanotify.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "json.h"
#include "util.h"

#define FIM_MAX_PENDING 8192u     /* changed paths waiting; more: a rescan */
#define FIM_MAX_TREES 256u
#define FIM_MAX_PATTERNS 256u
#define FIM_MAX_HONEYFILES 256u
#define FIM_TXN_BATCH 8192u       /* rows written per transaction */
#define FIM_DEBOUNCE 0.1          /* seconds a modified file must stay quiet */
#define FIM_DEBOUNCE_MAX 1.0      /* ... but checked at most this late */
#define FIM_READS_PER_CALL 64u    /* inotify/fanotify reads per fim_process */
#define FIM_IOBUF (128u * 1024u)
#define FIM_DIFF_CELLS (1u << 20) /* LCS table size; beyond: replace block */
#define FIM_DIFF_OUT_MAX (16u * 1024u)
#define FIM_DIFF_CONTEXT 3u
#define FIM_HONEY_QUIET 2.0       /* seconds: one alarm per bait file and pid */
#define NAME_CACHE 256u

#define DIR_MASK                                                                             \
	(IN_CREATE | IN_DELETE | IN_MODIFY | IN_ATTRIB | IN_MOVED_FROM | IN_MOVED_TO |        \
	 IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF | IN_ONLYDIR)
#define HONEY_IN_MASK (IN_OPEN | IN_ACCESS | IN_MODIFY | IN_DONT_FOLLOW)
#define HONEY_FAN_MASK (FAN_OPEN | FAN_ACCESS | FAN_MODIFY)

enum fim_event {
#define X(id, name, help) FE_##id,
	FIM_EVENTS(X)
#undef X
};
static const char *const event_names[] = {
#define X(id, name, help) name,
	FIM_EVENTS(X)
#undef X
};

enum fim_attr {
#define X(id, name) FA_##id,
	FIM_ATTRS(X)
#undef X
	FA_COUNT
};
static const char *const attr_names[] = {
#define X(id, name) name,
	FIM_ATTRS(X)
#undef X
};

enum fim_reason {
#define X(id, text) FR_##id,
	FIM_REASONS(X)
#undef X
	FR_COUNT
};
static const char *const reason_text[] = {
#define X(id, text) text,
	FIM_REASONS(X)
#undef X
};

/* Linux capability numbers (include/uapi/linux/capability.h), by index. */
static const char *const cap_names[] = {
	"chown", "dac_override", "dac_read_search", "fowner", "fsetid", "kill", "setgid",
	"setuid", "setpcap", "linux_immutable", "net_bind_service", "net_broadcast",
	"net_admin", "net_raw", "ipc_lock", "ipc_owner", "sys_module", "sys_rawio",
	"sys_chroot", "sys_ptrace", "sys_pacct", "sys_admin", "sys_boot", "sys_nice",
	"sys_resource", "sys_time", "sys_tty_config", "mknod", "lease", "audit_write",
	"audit_control", "setfcap", "mac_override", "mac_admin", "syslog", "wake_alarm",
	"block_suspend", "audit_read", "perfmon", "bpf", "checkpoint_restore",
};

/* One path's attributes: a baseline row or what is on disk now. */
struct fim_attrs {
	uint32_t mode, uid, gid;
	uint64_t size, dev, ino;
	int64_t mtime, ctime; /* nanoseconds since the epoch */
	bool pending;         /* added, its event not yet emitted */
	char owner[64], group[64];
	char sha256[65];      /* "" when not hashed */
	char xsha[65];        /* "" without xattrs */
	char caps[1024];      /* "" without security.capability */
	size_t link_len;
	char link[PATH_MAX];  /* a symlink's target */
	size_t xnames_len;
	char xnames[XATTR_LIST_MAX]; /* NUL-terminated names, sorted */
};

/* A growable byte buffer with a sticky allocation failure. */
struct bbuf {
	char *p;
	size_t len, cap;
	bool oom;
};

struct wd_ent {
	int wd;          /* 0: empty slot (inotify never returns 0) */
	bool honey;
	unsigned depth;  /* directories: below their tree; honeyfiles: index */
	char *path;
};

enum { P_PATH = 1, P_SUBTREE = 2 };

struct pend {
	char *path;
	uint8_t kind;
	bool urgent;
	unsigned depth;
	double first, due;
};

struct limit {
	uint64_t count;
	char *path;
	bool reported; /* in real time: once between scans */
};

struct honey {
	char *path;
	uint64_t dev, ino;
	bool armed;
	unsigned bits; /* inotify: accesses seen in this read */
};

struct honey_seen {
	int pid;
	size_t idx;
	unsigned bits;
	double t;
};

struct name_cache {
	uint32_t id;
	bool used;
	char name[64];
};

enum {
	S_GET, S_PUT, S_SEEN, S_GONE_ONE, S_GONE_RANGE, S_GONE_LIST, S_PAIR, S_PAIRED,
	S_ADDED_LIST, S_BODY_GET, S_BODY_PUT, S_BODY_DEL, S_META_GET, S_META_PUT, S_COUNT
};

#define FILE_COLS                                                                            \
	"path, mode, size, uid, gid, owner, grp, dev, inode, mtime, ctime, sha256, link, "   \
	"xnames, xsha, caps, pending"

static const char *const stmt_sql[S_COUNT] = {
	[S_GET] = "SELECT " FILE_COLS " FROM files WHERE path = ?1",
	[S_PUT] = "INSERT OR REPLACE INTO files(" FILE_COLS ") VALUES "
		  "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17)",
	[S_SEEN] = "INSERT OR IGNORE INTO temp.seen(path) VALUES (?1)",
	[S_GONE_ONE] = "INSERT OR IGNORE INTO temp.gone(path) SELECT path FROM files WHERE path = ?1",
	[S_GONE_RANGE] = "INSERT OR IGNORE INTO temp.gone(path) SELECT path FROM files "
			 "WHERE path >= ?1 AND path < ?2 AND path NOT IN (SELECT path FROM temp.seen)",
	[S_GONE_LIST] = "SELECT f.path, f.mode, f.size, f.uid, f.gid, f.owner, f.grp, f.dev, "
			"f.inode, f.mtime, f.ctime, f.sha256, f.link, f.xnames, f.xsha, f.caps, "
			"f.pending FROM temp.gone g JOIN files f ON f.path = g.path",
	[S_PAIR] = "SELECT " FILE_COLS " FROM files WHERE pending AND inode = ?1 AND dev = ?2 "
		   "AND path != ?3 AND path NOT IN (SELECT path FROM temp.paired)",
	[S_PAIRED] = "INSERT OR IGNORE INTO temp.paired(path) VALUES (?1)",
	[S_ADDED_LIST] = "SELECT " FILE_COLS " FROM files WHERE pending "
			 "AND path NOT IN (SELECT path FROM temp.paired)",
	[S_BODY_GET] = "SELECT body FROM bodies WHERE path = ?1",
	[S_BODY_PUT] = "INSERT OR REPLACE INTO bodies(path, body) VALUES (?1, ?2)",
	[S_BODY_DEL] = "DELETE FROM bodies WHERE path = ?1",
	[S_META_GET] = "SELECT v FROM meta WHERE k = ?1",
	[S_META_PUT] = "INSERT OR REPLACE INTO meta(k, v) VALUES (?1, ?2)",
};

static const char schema[] =
	"PRAGMA journal_mode=WAL;"
	"PRAGMA synchronous=NORMAL;"
	"PRAGMA cache_size=-16384;"
	"CREATE TABLE IF NOT EXISTS meta(k TEXT PRIMARY KEY, v TEXT);"
	/* path is a BLOB: names are bytes, not necessarily UTF-8; times in
	 * nanoseconds; mode is st_mode (type and permissions) */
	"CREATE TABLE IF NOT EXISTS files("
	" path BLOB PRIMARY KEY, mode INTEGER NOT NULL, size INTEGER NOT NULL,"
	" uid INTEGER NOT NULL, gid INTEGER NOT NULL, owner TEXT, grp TEXT,"
	" dev INTEGER NOT NULL, inode INTEGER NOT NULL, mtime INTEGER NOT NULL,"
	" ctime INTEGER NOT NULL, sha256 TEXT, link BLOB, xnames BLOB, xsha TEXT, caps TEXT,"
	" pending INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
	/* only the rows added in the current batch: pairing renames by inode */
	"CREATE INDEX IF NOT EXISTS files_pending ON files(inode) WHERE pending;"
	/* --diff: the last content of small text files, secrets masked */
	"CREATE TABLE IF NOT EXISTS bodies(path BLOB PRIMARY KEY, body BLOB NOT NULL);"
	"CREATE TEMP TABLE IF NOT EXISTS seen(path BLOB PRIMARY KEY) WITHOUT ROWID;"
	"CREATE TEMP TABLE IF NOT EXISTS gone(path BLOB PRIMARY KEY) WITHOUT ROWID;"
	"CREATE TEMP TABLE IF NOT EXISTS paired(path BLOB PRIMARY KEY) WITHOUT ROWID;";

struct fim {
	struct fim_config cfg;
	char **trees, **ignore;
	size_t tree_cnt, ignore_cnt;
	char *db_path;
	char *db_files[4]; /* the baseline's own files, never recorded */
	struct honey *honey;
	size_t honey_cnt;

	sqlite3 *db;
	sqlite3_stmt *st[S_COUNT];
	bool in_txn;
	uint64_t writes, rows;
	struct verr err;

	int ino_fd, fan_fd, ep_fd;
	bool have_proc;
	struct wd_ent *wd;
	size_t wd_cap, wd_cnt;
	struct pend *pend;
	size_t pend_cnt;
	uint32_t *pidx; /* open addressing over pend: index + 1, 0 empty */
	size_t pidx_cap;
	bool overflow, backlog;
	double next_scan;

	struct honey_seen hseen[32];
	size_t hseen_next;

	struct fim_attrs *now, *was, *other;
	struct bbuf path, path2, lo, hi, body, masked, old, diff;
	bool have_body;
	uint8_t *iobuf;
	uint32_t *xoff;
	char *xtmp;
	struct jbuf jb;
	EVP_MD *sha;
	EVP_MD_CTX *md;
	struct name_cache users[NAME_CACHE], groups[NAME_CACHE];
	struct limit lim[FR_COUNT];

	bool quiet;    /* the first scan of an empty baseline: no "added" */
	bool scanning; /* limits are reported at the end of the scan */
	uint64_t n_added, n_removed, n_changed, n_renamed;
	struct fim_stats stats;
	union {
		struct inotify_event ev;
		char b[64 * 1024];
	} ibuf;
};

/* ---------------------------------------------------------------- buffers */

static bool bb_reserve(struct bbuf *b, size_t n)
{
	if (b->oom)
		return false;
	if (n <= b->cap - b->len)
		return true;
	size_t cap = b->cap ? b->cap : 256;
	while (cap - b->len < n) {
		if (cap > SIZE_MAX / 2) {
			b->oom = true;
			return false;
		}
		cap *= 2;
	}
	char *p = realloc(b->p, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->p = p;
	b->cap = cap;
	return true;
}

static void bb_put(struct bbuf *b, const void *d, size_t n)
{
	if (!n || !bb_reserve(b, n))
		return;
	memcpy(b->p + b->len, d, n);
	b->len += n;
}

static void bb_puts(struct bbuf *b, const char *s) { bb_put(b, s, strlen(s)); }

static void bb_reset(struct bbuf *b)
{
	b->len = 0;
	b->oom = false;
}

/* NUL-terminates without counting the NUL; false on allocation failure. */
static bool bb_cstr(struct bbuf *b)
{
	if (!bb_reserve(b, 1))
		return false;
	b->p[b->len] = '\0';
	return true;
}

static void bb_fini(struct bbuf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

static void hex(const uint8_t *d, size_t n, char *out)
{
	static const char x[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = x[d[i] >> 4];
		out[2 * i + 1] = x[d[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Copies an SQLite text/blob column into out (cap bytes with the NUL). */
static size_t col_copy(sqlite3_stmt *s, int i, char *out, size_t cap)
{
	const void *p = sqlite3_column_blob(s, i);
	size_t n = (size_t)sqlite3_column_bytes(s, i);
	if (!p)
		n = 0;
	if (n >= cap)
		n = cap - 1;
	if (n)
		memcpy(out, p, n);
	out[n] = '\0';
	return n;
}

/* -------------------------------------------------------------- paths */

/* "/a/b" + "c": the buffer becomes "/a/b/c"; returns the old length. */
static size_t path_push(struct bbuf *b, const char *name)
{
	size_t old = b->len;
	if (!(b->len == 1 && b->p[0] == '/'))
		bb_put(b, "/", 1);
	bb_puts(b, name);
	bb_cstr(b);
	return old;
}

static void path_pop(struct bbuf *b, size_t old)
{
	b->len = old;
	if (b->p)
		b->p[old] = '\0';
}

static void path_set(struct bbuf *b, const char *s, size_t n)
{
	bb_reset(b);
	bb_put(b, s, n);
	bb_cstr(b);
}

/* An absolute path made lexical: "//a/./b/../c/" is "/a/c".  NULL if
 * path is not absolute or on allocation failure. */
static char *path_normal(const char *path)
{
	if (!path || path[0] != '/')
		return NULL;
	size_t n = strlen(path);
	char *out = malloc(n + 2);
	if (!out)
		return NULL;
	size_t o = 0;
	const char *p = path;
	while (*p) {
		while (*p == '/')
			p++;
		const char *s = p;
		while (*p && *p != '/')
			p++;
		size_t len = (size_t)(p - s);
		if (!len || (len == 1 && s[0] == '.'))
			continue;
		if (len == 2 && s[0] == '.' && s[1] == '.') {
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;
			continue;
		}
		out[o++] = '/';
		memcpy(out + o, s, len);
		o += len;
	}
	if (!o)
		out[o++] = '/';
	out[o] = '\0';
	return out;
}

/* [lo, hi) holding every path strictly below dir, as byte strings. */
static void below_range(const char *dir, size_t n, struct bbuf *lo, struct bbuf *hi)
{
	bb_reset(lo);
	bb_reset(hi);
	if (n == 1 && dir[0] == '/') {
		bb_put(lo, "/", 1);
		bb_put(hi, "0", 1); /* '0' follows '/' */
		return;
	}
	bb_put(lo, dir, n);
	bb_put(lo, "/", 1);
	bb_put(hi, dir, n);
	bb_put(hi, "0", 1);
}

/* Opens the directory p (relative to fd, which it takes) one component
 * at a time without following a symlink (works beyond PATH_MAX).  An fd or
 * -1 with errno. */
static int open_below(int fd, const char *p)
{
	char name[NAME_MAX + 1];
	while (fd >= 0 && *p) {
		while (*p == '/')
			p++;
		const char *s = p;
		while (*p && *p != '/')
			p++;
		size_t len = (size_t)(p - s);
		if (!len)
			break;
		if (len > NAME_MAX) {
			close(fd);
			errno = ENAMETOOLONG;
			return -1;
		}
		memcpy(name, s, len);
		name[len] = '\0';
		int nfd = openat(fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		int saved = errno;
		close(fd);
		errno = saved;
		fd = nfd;
	}
	return fd;
}

/* -------------------------------------------------------------- config */

static bool ignored(const struct fim *f, const char *path)
{
	for (size_t i = 0; i < 4 && f->db_files[i]; i++)
		if (!strcmp(path, f->db_files[i]))
			return true;
	for (size_t i = 0; i < f->ignore_cnt; i++)
		if (!fnmatch(f->ignore[i], path, 0))
			return true;
	return false;
}

static long honey_index(const struct fim *f, const char *path)
{
	for (size_t i = 0; i < f->honey_cnt; i++)
		if (!strcmp(path, f->honey[i].path))
			return (long)i;
	return -1;
}

static const char *uid_name(struct fim *f, uint32_t id, bool group)
{
	struct name_cache *c = &(group ? f->groups : f->users)[id % NAME_CACHE];
	if (c->used && c->id == id)
		return c->name;
	char buf[4096];
	const char *name = "";
	if (group) {
		struct group gr, *res = NULL;
		if (!getgrgid_r(id, &gr, buf, sizeof(buf), &res) && res && res->gr_name)
			name = res->gr_name;
	} else {
		struct passwd pw, *res = NULL;
		if (!getpwuid_r(id, &pw, buf, sizeof(buf), &res) && res && res->pw_name)
			name = res->pw_name;
	}
	c->used = true;
	c->id = id;
	str_lcpy(c->name, name, sizeof(c->name));
	return c->name;
}

/* ---------------------------------------------------------------- events */

static void ev_begin(struct fim *f, enum fim_event ev, const char *path, size_t len)
{
	jb_reset(&f->jb);
	jb_open_object(&f->jb, NULL);
	jb_str(&f->jb, "event", event_names[ev]);
	if (path)
		jb_strn(&f->jb, "path", (const uint8_t *)path, len);
}

static void ev_end(struct fim *f)
{
	jb_close(&f->jb);
	if (f->jb.oom) {
		f->stats.errors++;
		return;
	}
	f->stats.events++;
	if (f->cfg.emit)
		f->cfg.emit(f->cfg.emit_ctx, f->jb.buf, f->jb.len);
}

static void emit_coverage(struct fim *f, enum fim_reason r, const char *path, uint64_t count)
{
	ev_begin(f, FE_COVERAGE_LOST, path, path ? strlen(path) : 0);
	jb_str(&f->jb, "reason", reason_text[r]);
	if (count > 1)
		jb_u64(&f->jb, "count", count);
	ev_end(f);
}

/* A limit was hit at path: counted now, reported by limits_flush. */
static void limit_hit(struct fim *f, enum fim_reason r, const char *path)
{
	struct limit *l = &f->lim[r];
	if (!l->count++) {
		free(l->path);
		l->path = path ? strdup(path) : NULL;
	}
}

static void limits_flush(struct fim *f, bool scan)
{
	for (size_t r = 0; r < FR_COUNT; r++) {
		struct limit *l = &f->lim[r];
		if (!l->count)
			continue;
		if (scan || !l->reported)
			emit_coverage(f, (enum fim_reason)r, l->path, l->count);
		l->reported = !scan;
		l->count = 0;
		free(l->path);
		l->path = NULL;
	}
}

static const char *type_name(uint32_t mode)
{
	switch (mode & S_IFMT) {
	case S_IFREG: return "file";
	case S_IFDIR: return "directory";
	case S_IFLNK: return "symlink";
	case S_IFIFO: return "fifo";
	case S_IFSOCK: return "socket";
	case S_IFBLK: return "block";
	case S_IFCHR: return "char";
	default: return "unknown";
	}
}

static void time_ns(int64_t ns, char out[48])
{
	time_t s = (time_t)(ns / 1000000000);
	long frac = (long)(ns % 1000000000);
	if (frac < 0) {
		frac += 1000000000;
		s--;
	}
	struct tm tm;
	if (!gmtime_r(&s, &tm)) {
		snprintf(out, 48, "%lld", (long long)ns);
		return;
	}
	snprintf(out, 48, "%04d-%02d-%02dT%02d:%02d:%02d.%09ldZ", tm.tm_year + 1900,
		 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

static void attrs_json(struct fim *f, const char *key, const struct fim_attrs *a)
{
	struct jbuf *jb = &f->jb;
	char tmp[48];
	jb_open_object(jb, key);
	jb_str(jb, "type", type_name(a->mode));
	jb_u64(jb, "size", a->size);
	snprintf(tmp, sizeof(tmp), "%04o", (unsigned)(a->mode & 07777));
	jb_str(jb, "mode", tmp);
	jb_u64(jb, "uid", a->uid);
	jb_u64(jb, "gid", a->gid);
	if (a->owner[0])
		jb_str(jb, "owner", a->owner);
	if (a->group[0])
		jb_str(jb, "group", a->group);
	jb_u64(jb, "inode", a->ino);
	time_ns(a->mtime, tmp);
	jb_str(jb, "mtime", tmp);
	if (a->sha256[0])
		jb_str(jb, "sha256", a->sha256);
	if (S_ISLNK(a->mode))
		jb_strn(jb, "link_target", (const uint8_t *)a->link, a->link_len);
	if (a->xnames_len) {
		jb_open_object(jb, "xattrs");
		jb_open_array(jb, "names");
		for (size_t o = 0; o < a->xnames_len;) {
			size_t n = strnlen(a->xnames + o, a->xnames_len - o);
			jb_strn(jb, NULL, (const uint8_t *)a->xnames + o, n);
			o += n + 1;
		}
		jb_close(jb);
		jb_str(jb, "sha256", a->xsha);
		jb_close(jb);
	}
	if (a->caps[0])
		jb_str(jb, "capabilities", a->caps);
	jb_close(jb);
}

/* The attributes that differ, as bits of enum fim_attr.  Directories'
 * size and mtime change with every entry added or removed, so they are
 * not compared (an entry's own event says what happened). */
static unsigned attrs_diff(const struct fim_attrs *b, const struct fim_attrs *a)
{
	unsigned m = 0;
	bool dir = S_ISDIR(a->mode) && S_ISDIR(b->mode);
	if ((b->mode & S_IFMT) != (a->mode & S_IFMT))
		m |= 1u << FA_TYPE;
	if (!dir && b->size != a->size)
		m |= 1u << FA_SIZE;
	if ((b->mode & 07777) != (a->mode & 07777))
		m |= 1u << FA_MODE;
	if (b->uid != a->uid)
		m |= 1u << FA_UID;
	if (b->gid != a->gid)
		m |= 1u << FA_GID;
	if (strcmp(b->owner, a->owner))
		m |= 1u << FA_OWNER;
	if (strcmp(b->group, a->group))
		m |= 1u << FA_GROUP;
	if (b->ino != a->ino)
		m |= 1u << FA_INODE;
	if (!dir && b->mtime != a->mtime)
		m |= 1u << FA_MTIME;
	/* no hash on one side (a honeyfile, a read error): size and mtime
	 * still tell */
	if (b->sha256[0] && a->sha256[0] && strcmp(b->sha256, a->sha256))
		m |= 1u << FA_SHA256;
	if (b->link_len != a->link_len || memcmp(b->link, a->link, a->link_len))
		m |= 1u << FA_LINK;
	if (b->xnames_len != a->xnames_len || memcmp(b->xnames, a->xnames, a->xnames_len) ||
	    strcmp(b->xsha, a->xsha))
		m |= 1u << FA_XATTRS;
	if (strcmp(b->caps, a->caps))
		m |= 1u << FA_CAPS;
	return m;
}

static void changed_json(struct fim *f, unsigned m)
{
	jb_open_array(&f->jb, "changed_attributes");
	for (unsigned i = 0; i < FA_COUNT; i++)
		if (m & (1u << i))
			jb_str(&f->jb, NULL, attr_names[i]);
	jb_close(&f->jb);
}

/* ------------------------------------------------------- masking, diffs */

struct kw {
	const char *word;
	bool space_sep; /* "secret VALUE" as well as "secret=VALUE" */
};

static const struct kw secret_words[] = {
	{ "password", false }, { "passwd", false }, { "secret", true },
	{ "token", true },     { "key", false },
};

static bool word_at(const char *s, const char *e, const char *w)
{
	for (; *w; w++, s++)
		if (s >= e || (*s | 0x20) != *w)
			return false;
	return true;
}

static bool has(const char *s, const char *e, const char *needle)
{
	size_t n = strlen(needle);
	for (; (size_t)(e - s) >= n; s++)
		if (!memcmp(s, needle, n))
			return true;
	return false;
}

/* Where a secret value starts in line [s, e), or NULL.  A keyword
 * (any case, inside a longer name too: "api_key", "DB_PASSWORD"), then
 * name characters, quotes or blanks, then '=' or ':' (or, for secret and
 * token, blanks alone), then the value: the rest of the line. */
static const char *secret_at(const char *s, const char *e)
{
	for (const char *p = s; p < e; p++)
		for (size_t k = 0; k < ARRAY_SIZE(secret_words); k++) {
			const struct kw *w = &secret_words[k];
			if (!word_at(p, e, w->word))
				continue;
			const char *j = p + strlen(w->word);
			while (j < e && (isalnum((unsigned char)*j) || *j == '_' || *j == '-' || *j == '.'))
				j++;
			const char *q = j;
			while (q < e && (*q == ' ' || *q == '\t' || *q == '"' || *q == '\''))
				q++;
			const char *v;
			if (q < e && (*q == '=' || *q == ':'))
				v = q + 1;
			else if (w->space_sep && q > j && q < e)
				v = q;
			else
				continue;
			while (v < e && (*v == ' ' || *v == '\t'))
				v++;
			if (v < e)
				return v;
		}
	return NULL;
}

/* in[0..n) with secrets replaced by "***" into out: values after the
 * keywords of secret_at, and the body of PEM private key blocks. */
static void mask_secrets(const char *in, size_t n, struct bbuf *out)
{
	bb_reset(out);
	bool pem = false;
	const char *p = in, *end = in + n;
	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		const char *next = e ? e + 1 : end;
		if (!e)
			e = end;
		bool nl = e < end;
		if (pem) {
			if (has(p, e, "-----END")) {
				pem = false;
				bb_put(out, p, (size_t)(next - p));
			}
		} else if (has(p, e, "-----BEGIN") && has(p, e, "PRIVATE KEY")) {
			if (has(p, e, "-----END")) {
				bb_puts(out, "***");
			} else {
				bb_put(out, p, (size_t)(e - p));
				bb_puts(out, "\n***");
				pem = true;
			}
			if (nl)
				bb_put(out, "\n", 1);
		} else {
			const char *v = secret_at(p, e);
			if (v) {
				bb_put(out, p, (size_t)(v - p));
				bb_puts(out, "***");
				if (nl)
					bb_put(out, "\n", 1);
			} else {
				bb_put(out, p, (size_t)(next - p));
			}
		}
		p = next;
	}
}

struct line {
	const char *p;
	uint32_t len;
	uint32_t h;
};

static size_t split_lines(const char *s, size_t n, struct line **out)
{
	size_t cnt = 0;
	for (size_t i = 0; i < n; i++)
		if (s[i] == '\n')
			cnt++;
	if (n && s[n - 1] != '\n')
		cnt++;
	*out = NULL;
	if (!cnt)
		return 0;
	struct line *l = malloc(cnt * sizeof(*l));
	if (!l)
		return SIZE_MAX;
	size_t k = 0;
	const char *p = s, *end = s + n;
	while (p < end && k < cnt) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		if (!e)
			e = end;
		l[k].p = p;
		l[k].len = (uint32_t)(e - p);
		l[k].h = (uint32_t)hash_bytes(p, (size_t)(e - p), 0x66696d);
		k++;
		p = e < end ? e + 1 : end;
	}
	*out = l;
	return k;
}

static bool line_eq(const struct line *a, const struct line *b)
{
	return a->h == b->h && a->len == b->len && !memcmp(a->p, b->p, a->len);
}

/* A unified diff ("@@ -l,n +l,n @@", three lines of context) of old
 * against new into out; cut at FIM_DIFF_OUT_MAX.  Common head and tail
 * are skipped, the middle compared line by line with an LCS table of at
 * most FIM_DIFF_CELLS cells; a larger middle is shown as replaced whole
 * (a correct diff, not the shortest).  False on allocation failure. */
static bool unified_diff(const char *os, size_t on, const char *ns, size_t nn, struct bbuf *out)
{
	struct line *a = NULL, *b = NULL;
	uint16_t *t = NULL;
	uint8_t *ops = NULL;
	bool ok = false;
	size_t n = split_lines(os, on, &a), m = split_lines(ns, nn, &b);
	bb_reset(out);
	if (n == SIZE_MAX || m == SIZE_MAX)
		goto out;
	size_t pre = 0, suf = 0;
	while (pre < n && pre < m && line_eq(&a[pre], &b[pre]))
		pre++;
	while (suf < n - pre && suf < m - pre && line_eq(&a[n - 1 - suf], &b[m - 1 - suf]))
		suf++;
	size_t mn = n - pre - suf, mm = m - pre - suf;
	ops = malloc(n + m + 1);
	if (!ops)
		goto out;
	size_t k = 0;
	memset(ops, 'e', pre);
	k = pre;
	if (mn && mm && (mn + 1) * (mm + 1) <= FIM_DIFF_CELLS) {
		size_t w = mm + 1;
		t = calloc((mn + 1) * w, sizeof(*t));
		if (!t)
			goto out;
		for (size_t i = mn; i-- > 0;)
			for (size_t j = mm; j-- > 0;)
				t[i * w + j] = line_eq(&a[pre + i], &b[pre + j])
						       ? (uint16_t)(t[(i + 1) * w + j + 1] + 1)
						       : MAX(t[(i + 1) * w + j], t[i * w + j + 1]);
		size_t i = 0, j = 0;
		while (i < mn && j < mm) {
			if (line_eq(&a[pre + i], &b[pre + j])) {
				ops[k++] = 'e';
				i++;
				j++;
			} else if (t[(i + 1) * w + j] >= t[i * w + j + 1]) {
				ops[k++] = 'd';
				i++;
			} else {
				ops[k++] = 'a';
				j++;
			}
		}
		for (; i < mn; i++)
			ops[k++] = 'd';
		for (; j < mm; j++)
			ops[k++] = 'a';
	} else {
		memset(ops + k, 'd', mn);
		k += mn;
		memset(ops + k, 'a', mm);
		k += mm;
	}
	memset(ops + k, 'e', suf);
	k += suf;

	/* hunks: runs of changes with their context, joined when the gap
	 * between them is at most twice the context */
	size_t cnt = k, ia = 0, ib = 0, pos = 0;
	const size_t C = FIM_DIFF_CONTEXT;
	while (pos < cnt) {
		size_t c = pos;
		while (c < cnt && ops[c] == 'e')
			c++;
		if (c == cnt)
			break;
		size_t start = c - pos > C ? c - C : pos;
		/* line numbers at start */
		for (size_t q = pos; q < start; q++)
			ia++, ib++;
		size_t e = c;
		for (;;) {
			while (e < cnt && ops[e] != 'e')
				e++;
			size_t g = e;
			while (g < cnt && ops[g] == 'e')
				g++;
			if (g < cnt && g - e <= 2 * C) {
				e = g;
				continue;
			}
			e = MIN(cnt, e + C);
			break;
		}
		size_t da = 0, db = 0;
		for (size_t q = start; q < e; q++) {
			da += ops[q] != 'a';
			db += ops[q] != 'd';
		}
		char hdr[96];
		snprintf(hdr, sizeof(hdr), "@@ -%zu,%zu +%zu,%zu @@\n", da ? ia + 1 : ia, da,
			 db ? ib + 1 : ib, db);
		bb_puts(out, hdr);
		for (size_t q = start; q < e; q++) {
			const struct line *l = ops[q] == 'a' ? &b[ib] : &a[ia];
			bb_put(out, ops[q] == 'e' ? " " : ops[q] == 'd' ? "-" : "+", 1);
			bb_put(out, l->p, l->len);
			bb_put(out, "\n", 1);
			if (ops[q] != 'a')
				ia++;
			if (ops[q] != 'd')
				ib++;
			if (out->len > FIM_DIFF_OUT_MAX) {
				out->len = FIM_DIFF_OUT_MAX;
				bb_puts(out, "\n[diff truncated]\n");
				ok = !out->oom;
				goto out;
			}
		}
		pos = e;
	}
	ok = !out->oom;
out:
	free(a);
	free(b);
	free(t);
	free(ops);
	return ok;
}

/* ------------------------------------------------------------ sqlite */

static int db_fail(struct fim *f, const char *what)
{
	verr_set(&f->err, V_EIO, "fim: baseline %s: %s: %s", f->db_path, what,
		 f->db ? sqlite3_errmsg(f->db) : "not open");
	return V_EIO;
}

static int db_exec(struct fim *f, const char *sql)
{
	char *msg = NULL;
	if (sqlite3_exec(f->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		verr_set(&f->err, V_EIO, "fim: baseline %s: %s", f->db_path, msg ? msg : "error");
		sqlite3_free(msg);
		return V_EIO;
	}
	return 0;
}

static int db_begin(struct fim *f)
{
	if (f->in_txn)
		return 0;
	int rc = db_exec(f, "BEGIN");
	if (!rc)
		f->in_txn = true;
	f->writes = 0;
	return rc;
}

static int db_commit(struct fim *f)
{
	if (!f->in_txn)
		return 0;
	f->in_txn = false;
	return db_exec(f, "COMMIT");
}

/* Ends the transaction every FIM_TXN_BATCH rows written: a scan of a
 * million files neither holds one huge transaction nor commits per file. */
static int db_batch(struct fim *f)
{
	if (++f->writes < FIM_TXN_BATCH)
		return 0;
	int rc = db_commit(f);
	return rc ? rc : db_begin(f);
}

/* Runs a statement that returns no rows, binding one blob. */
static int db_run1(struct fim *f, int s, const void *p, size_t n)
{
	sqlite3_stmt *st = f->st[s];
	sqlite3_bind_blob(st, 1, p, (int)n, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : db_fail(f, "write");
}

static void row_read(sqlite3_stmt *s, struct fim_attrs *a)
{
	a->mode = (uint32_t)sqlite3_column_int64(s, 1);
	a->size = (uint64_t)sqlite3_column_int64(s, 2);
	a->uid = (uint32_t)sqlite3_column_int64(s, 3);
	a->gid = (uint32_t)sqlite3_column_int64(s, 4);
	col_copy(s, 5, a->owner, sizeof(a->owner));
	col_copy(s, 6, a->group, sizeof(a->group));
	a->dev = (uint64_t)sqlite3_column_int64(s, 7);
	a->ino = (uint64_t)sqlite3_column_int64(s, 8);
	a->mtime = sqlite3_column_int64(s, 9);
	a->ctime = sqlite3_column_int64(s, 10);
	col_copy(s, 11, a->sha256, sizeof(a->sha256));
	a->link_len = col_copy(s, 12, a->link, sizeof(a->link));
	const void *x = sqlite3_column_blob(s, 13);
	size_t xn = (size_t)sqlite3_column_bytes(s, 13);
	a->xnames_len = x && xn <= sizeof(a->xnames) ? xn : 0;
	if (a->xnames_len)
		memcpy(a->xnames, x, a->xnames_len);
	col_copy(s, 14, a->xsha, sizeof(a->xsha));
	col_copy(s, 15, a->caps, sizeof(a->caps));
	a->pending = sqlite3_column_int(s, 16) != 0;
}

/* The baseline row of path into a; 1 found, 0 not, or a V_E code. */
static int db_get(struct fim *f, const char *path, size_t n, struct fim_attrs *a)
{
	sqlite3_stmt *s = f->st[S_GET];
	sqlite3_bind_blob(s, 1, path, (int)n, SQLITE_STATIC);
	int rc = sqlite3_step(s), found = 0;
	if (rc == SQLITE_ROW) {
		row_read(s, a);
		found = 1;
	} else if (rc != SQLITE_DONE) {
		found = db_fail(f, "read");
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return found;
}

static int db_put(struct fim *f, const char *path, size_t n, const struct fim_attrs *a)
{
	sqlite3_stmt *s = f->st[S_PUT];
	sqlite3_bind_blob(s, 1, path, (int)n, SQLITE_STATIC);
	sqlite3_bind_int64(s, 2, a->mode);
	sqlite3_bind_int64(s, 3, (sqlite3_int64)a->size);
	sqlite3_bind_int64(s, 4, a->uid);
	sqlite3_bind_int64(s, 5, a->gid);
	sqlite3_bind_text(s, 6, a->owner, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, a->group, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 8, (sqlite3_int64)a->dev);
	sqlite3_bind_int64(s, 9, (sqlite3_int64)a->ino);
	sqlite3_bind_int64(s, 10, a->mtime);
	sqlite3_bind_int64(s, 11, a->ctime);
	sqlite3_bind_text(s, 12, a->sha256, -1, SQLITE_STATIC);
	if (S_ISLNK(a->mode))
		sqlite3_bind_blob(s, 13, a->link, (int)a->link_len, SQLITE_STATIC);
	if (a->xnames_len)
		sqlite3_bind_blob(s, 14, a->xnames, (int)a->xnames_len, SQLITE_STATIC);
	sqlite3_bind_text(s, 15, a->xsha, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 16, a->caps, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 17, a->pending);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	if (rc != SQLITE_DONE)
		return db_fail(f, "write");
	return db_batch(f);
}

/* The stored body of path into f->old; false if there is none. */
static bool body_get(struct fim *f, const char *path, size_t n)
{
	sqlite3_stmt *s = f->st[S_BODY_GET];
	bool found = false;
	bb_reset(&f->old);
	sqlite3_bind_blob(s, 1, path, (int)n, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW) {
		const void *p = sqlite3_column_blob(s, 0);
		bb_put(&f->old, p ? p : "", (size_t)sqlite3_column_bytes(s, 0));
		found = !f->old.oom;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return found;
}

static int body_put(struct fim *f, const char *path, size_t n)
{
	sqlite3_stmt *s = f->st[S_BODY_PUT];
	sqlite3_bind_blob(s, 1, path, (int)n, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, f->masked.p ? f->masked.p : "", (int)f->masked.len,
			  SQLITE_STATIC);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : db_fail(f, "write");
}

static int meta_get(struct fim *f, const char *k, char *out, size_t cap)
{
	sqlite3_stmt *s = f->st[S_META_GET];
	int found = 0;
	sqlite3_bind_text(s, 1, k, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW) {
		col_copy(s, 0, out, cap);
		found = 1;
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return found;
}

static int meta_put(struct fim *f, const char *k, const char *v)
{
	sqlite3_stmt *s = f->st[S_META_PUT];
	sqlite3_bind_text(s, 1, k, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, v, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : db_fail(f, "write");
}

/* --------------------------------------------------------- attributes */

/* security.capability (struct vfs_cap_data, little-endian) as getcap
 * writes it: "cap_net_raw,cap_net_admin=ep"; hex when malformed. */
static void caps_decode(const uint8_t *v, size_t n, char *out, size_t cap)
{
	uint32_t w[6] = { 0 };
	for (size_t i = 0; i < 6 && 4 * i + 4 <= n; i++)
		w[i] = (uint32_t)v[4 * i] | (uint32_t)v[4 * i + 1] << 8 |
		       (uint32_t)v[4 * i + 2] << 16 | (uint32_t)v[4 * i + 3] << 24;
	uint32_t rev = w[0] & 0xff000000u;
	bool ok = (rev == 0x01000000u && n == 12) || (rev == 0x02000000u && n == 20) ||
		  (rev == 0x03000000u && n == 24);
	if (!ok) {
		size_t k = MIN(n, (cap - 5) / 2);
		memcpy(out, "hex:", 4);
		hex(v, k, out + 4);
		return;
	}
	uint64_t p = w[1], in = w[2];
	if (rev != 0x01000000u) {
		p |= (uint64_t)w[3] << 32;
		in |= (uint64_t)w[4] << 32;
	}
	bool eff = w[0] & 1;
	struct bbuf b = { 0 };
	/* three groups: in both sets, permitted only, inheritable only */
	uint64_t groups[3] = { p & in, p & ~in, in & ~p };
	const char *flags[3] = { eff ? "=eip" : "=ip", eff ? "=ep" : "=p", "=i" };
	for (int g = 0; g < 3; g++) {
		if (!groups[g])
			continue;
		if (b.len)
			bb_put(&b, " ", 1);
		bool first = true;
		for (unsigned c = 0; c < 64; c++) {
			if (!(groups[g] & (1ull << c)))
				continue;
			char nm[32];
			if (c < ARRAY_SIZE(cap_names))
				snprintf(nm, sizeof(nm), "%scap_%s", first ? "" : ",", cap_names[c]);
			else
				snprintf(nm, sizeof(nm), "%scap_%u", first ? "" : ",", c);
			bb_puts(&b, nm);
			first = false;
		}
		bb_puts(&b, flags[g]);
	}
	if (!b.len)
		bb_puts(&b, "none");
	if (rev == 0x03000000u && w[5]) {
		char r[32];
		snprintf(r, sizeof(r), " [rootid=%u]", w[5]);
		bb_puts(&b, r);
	}
	if (b.oom || !b.len)
		str_lcpy(out, "?", cap);
	else {
		size_t k = MIN(b.len, cap - 1);
		memcpy(out, b.p, k);
		out[k] = '\0';
	}
	bb_fini(&b);
}

static int cmp_name(const void *x, const void *y, void *ctx)
{
	const char *base = ctx;
	return strcmp(base + *(const uint32_t *)x, base + *(const uint32_t *)y);
}

/* The entry's extended attributes: names (sorted), a SHA-256 over names
 * and values, and security.capability decoded.  xpath names the entry
 * without following it. */
static void read_xattrs(struct fim *f, const char *xpath, struct fim_attrs *a)
{
	a->xnames_len = 0;
	a->xsha[0] = a->caps[0] = '\0';
	ssize_t n = llistxattr(xpath, f->xtmp, XATTR_LIST_MAX);
	if (n <= 0)
		return;
	size_t cnt = 0;
	for (size_t o = 0; o < (size_t)n;) {
		size_t l = strnlen(f->xtmp + o, (size_t)n - o);
		if (l)
			f->xoff[cnt++] = (uint32_t)o;
		o += l + 1;
	}
	if (!cnt)
		return;
	qsort_r(f->xoff, cnt, sizeof(*f->xoff), cmp_name, f->xtmp);
	if (!EVP_DigestInit_ex(f->md, f->sha, NULL))
		return;
	for (size_t i = 0; i < cnt; i++) {
		const char *name = f->xtmp + f->xoff[i];
		size_t l = strnlen(name, (size_t)n - f->xoff[i]);
		if (a->xnames_len + l + 1 > sizeof(a->xnames))
			break;
		memcpy(a->xnames + a->xnames_len, name, l);
		a->xnames[a->xnames_len + l] = '\0';
		a->xnames_len += l + 1;
		ssize_t vn = lgetxattr(xpath, name, f->iobuf, FIM_IOBUF);
		uint8_t len[4] = { 0 };
		if (vn > 0) {
			len[0] = (uint8_t)(vn >> 24);
			len[1] = (uint8_t)(vn >> 16);
			len[2] = (uint8_t)(vn >> 8);
			len[3] = (uint8_t)vn;
		}
		EVP_DigestUpdate(f->md, name, l + 1);
		EVP_DigestUpdate(f->md, len, 4);
		if (vn > 0) {
			EVP_DigestUpdate(f->md, f->iobuf, (size_t)vn);
			if (!strcmp(name, "security.capability"))
				caps_decode(f->iobuf, (size_t)vn, a->caps, sizeof(a->caps));
		}
	}
	uint8_t d[32];
	unsigned dl = 0;
	if (EVP_DigestFinal_ex(f->md, d, &dl) && dl == 32)
		hex(d, 32, a->xsha);
}

/* Hashes the open regular file fd; with --diff keeps a copy of it in
 * f->body when it is small enough.  False on a read error. */
static bool hash_fd(struct fim *f, int fd, uint64_t size, char out[65])
{
	bool keep = f->cfg.diff && size <= f->cfg.diff_max_len;
	bb_reset(&f->body);
	f->have_body = false;
	if (!EVP_DigestInit_ex(f->md, f->sha, NULL))
		return false;
	for (;;) {
		ssize_t r = read(fd, f->iobuf, FIM_IOBUF);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return false;
		if (!r)
			break;
		EVP_DigestUpdate(f->md, f->iobuf, (size_t)r);
		if (keep) {
			if (f->body.len + (size_t)r > f->cfg.diff_max_len)
				keep = false;
			else
				bb_put(&f->body, f->iobuf, (size_t)r);
		}
	}
	uint8_t d[32];
	unsigned dl = 0;
	if (!EVP_DigestFinal_ex(f->md, d, &dl) || dl != 32)
		return false;
	hex(d, 32, out);
	/* text: no NUL byte */
	if (keep && !f->body.oom && !memchr(f->body.p ? f->body.p : "", 0, f->body.len)) {
		mask_secrets(f->body.p ? f->body.p : "", f->body.len, &f->masked);
		f->have_body = !f->masked.oom;
	}
	return true;
}

static void fill_stat(struct fim *f, const struct stat *st, struct fim_attrs *a)
{
	a->mode = st->st_mode;
	a->uid = st->st_uid;
	a->gid = st->st_gid;
	a->size = (uint64_t)st->st_size;
	a->dev = st->st_dev;
	a->ino = st->st_ino;
	a->mtime = (int64_t)st->st_mtim.tv_sec * 1000000000 + st->st_mtim.tv_nsec;
	a->ctime = (int64_t)st->st_ctim.tv_sec * 1000000000 + st->st_ctim.tv_nsec;
	str_lcpy(a->owner, uid_name(f, a->uid, false), sizeof(a->owner));
	str_lcpy(a->group, uid_name(f, a->gid, true), sizeof(a->group));
}

/* What is on disk now for dirfd/name (stat st0) into a; prev is the
 * baseline row (NULL if none), whose hash is kept when the file cannot
 * have changed.  False if the entry vanished meanwhile. */
static bool gather(struct fim *f, int dirfd, const char *name, const struct stat *st0,
		   const struct fim_attrs *prev, bool honey, struct fim_attrs *a)
{
	struct stat st = *st0;
	a->sha256[0] = '\0';
	a->link_len = 0;
	a->pending = false;
	f->have_body = false;
	if (S_ISREG(st.st_mode) && honey) {
		/* never read: the hash of the baseline, if any, stays */
		if (prev && S_ISREG(prev->mode))
			memcpy(a->sha256, prev->sha256, sizeof(a->sha256));
	} else if (S_ISREG(st.st_mode)) {
		int64_t mt = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
		int64_t ct = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
		if (prev && prev->sha256[0] && S_ISREG(prev->mode) &&
		    prev->size == (uint64_t)st.st_size && prev->mtime == mt && prev->ctime == ct &&
		    prev->ino == st.st_ino && prev->dev == st.st_dev) {
			memcpy(a->sha256, prev->sha256, sizeof(a->sha256));
		} else {
			int fl = O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;
			int fd = openat(dirfd, name, fl | O_NOATIME);
			if (fd < 0 && errno == EPERM)
				fd = openat(dirfd, name, fl);
			if (fd < 0 && errno == ENOENT) {
				f->stats.vanished++;
				return false;
			}
			struct stat s2;
			if (fd >= 0 && !fstat(fd, &s2) && S_ISREG(s2.st_mode)) {
				st = s2; /* the file hashed is the one described */
				if (hash_fd(f, fd, (uint64_t)s2.st_size, a->sha256))
					f->stats.hashed++;
				else
					f->stats.errors++;
			}
			if (fd >= 0)
				close(fd);
		}
	}
	fill_stat(f, &st, a);
	if (S_ISLNK(st.st_mode)) {
		ssize_t n = readlinkat(dirfd, name, a->link, sizeof(a->link) - 1);
		a->link_len = n > 0 ? (size_t)n : 0;
		a->link[a->link_len] = '\0';
	}
	char xp[NAME_MAX + 64];
	if (f->have_proc) {
		snprintf(xp, sizeof(xp), "/proc/self/fd/%d/%s", dirfd, name);
		read_xattrs(f, xp, a);
	} else if (f->path.len < PATH_MAX) {
		read_xattrs(f, f->path.p, a);
	} else {
		a->xnames_len = 0;
		a->xsha[0] = a->caps[0] = '\0';
	}
	return true;
}

/* Opens the directory dir, the parent of a path being checked.  Symlinks
 * above a tree's root are followed (the administrator named the root:
 * /lib is a symlink on merged-/usr systems, and /lib/modules a fine
 * tree); below the root none is.  An fd or -1 with errno. */
static int open_parent(const struct fim *f, const char *dir)
{
	size_t best = 0, dl = strlen(dir);
	const char *root = NULL;
	for (size_t i = 0; i < f->tree_cnt; i++) {
		const char *t = f->trees[i];
		size_t tl = strlen(t);
		if (tl == 1 && t[0] == '/')
			tl = 0; /* "/" is the prefix of everything */
		if (tl <= dl && !memcmp(dir, t, tl) && (dir[tl] == '/' || !dir[tl]) &&
		    (!root || tl > best)) {
			root = t;
			best = tl;
		}
	}
	if (!root) /* dir holds a root: shorter than PATH_MAX (fim_new) */
		return open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int fd = best ? open(root, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
		      : open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return open_below(fd, dir + best);
}

/* ------------------------------------------------------------ checking */

static void honey_arm(struct fim *f, size_t i);

enum { K_NONE, K_IGNORED, K_FILE, K_DIR };

/* Checks the entry dirfd/name whose full path is in f->path against its
 * baseline row: events for what changed, the row written, the path marked
 * seen.  *kind says what it is now.  0 or a V_E code. */
static int check_entry(struct fim *f, int dirfd, const char *name, int *kind)
{
	const char *path = f->path.p;
	size_t plen = f->path.len;
	struct fim_attrs *a = f->now, *b = f->was;
	struct stat st;
	int rc;
	*kind = K_NONE;
	if (f->path.oom)
		return V_ENOMEM;
	if (ignored(f, path)) {
		*kind = K_IGNORED;
		return 0;
	}
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			f->stats.vanished++;
		return 0;
	}
	long hi = honey_index(f, path);
	if (hi >= 0 && f->ino_fd >= 0 &&
	    (!f->honey[hi].armed || f->honey[hi].ino != st.st_ino || f->honey[hi].dev != st.st_dev))
		honey_arm(f, (size_t)hi); /* a bait file replaced: watch the new one */
	int have = db_get(f, path, plen, b);
	if (have < 0)
		return have;
	if (!gather(f, dirfd, name, &st, have ? b : NULL, hi >= 0, a))
		return 0;
	f->stats.files++;
	*kind = S_ISDIR(a->mode) ? K_DIR : K_FILE;
	if (!have) {
		if (f->rows >= f->cfg.max_files) {
			limit_hit(f, FR_BASELINE_FULL, path);
			return 0;
		}
		a->pending = !f->quiet;
		if ((rc = db_put(f, path, plen, a)))
			return rc;
		f->rows++;
		if (f->have_body && (rc = body_put(f, path, plen)))
			return rc;
		return db_run1(f, S_SEEN, path, plen);
	}
	if ((rc = db_run1(f, S_SEEN, path, plen)))
		return rc;
	unsigned m = attrs_diff(b, a);
	a->pending = b->pending;
	if (!m && a->ctime == b->ctime && a->dev == b->dev && !strcmp(a->sha256, b->sha256))
		return 0; /* nothing to write either */
	if (m) {
		ev_begin(f, FE_CHANGED, path, plen);
		changed_json(f, m);
		attrs_json(f, "before", b);
		attrs_json(f, "after", a);
		if ((m & (1u << FA_SHA256)) && f->cfg.diff) {
			if (f->have_body && body_get(f, path, plen) &&
			    unified_diff(f->old.p ? f->old.p : "", f->old.len,
					 f->masked.p ? f->masked.p : "", f->masked.len, &f->diff) &&
			    f->diff.len)
				jb_strn(&f->jb, "diff", (const uint8_t *)f->diff.p, f->diff.len);
		}
		ev_end(f);
		f->n_changed++;
		if ((m & (1u << FA_SHA256)) && f->cfg.diff) {
			rc = f->have_body ? body_put(f, path, plen) : db_run1(f, S_BODY_DEL, path, plen);
			if (rc)
				return rc;
		}
	}
	return db_put(f, path, plen, a);
}

/* Walks the directory dirfd/name (its path in f->path), depth levels
 * below its tree. */
static int walk_dir(struct fim *f, int pfd, const char *name, unsigned depth);

static void watch_dir(struct fim *f, int fd, unsigned depth);

static int walk_entries(struct fim *f, int fd, unsigned depth)
{
	DIR *d = fdopendir(fd);
	int rc = 0;
	if (!d) {
		close(fd);
		return 0;
	}
	struct dirent *de;
	while ((de = readdir(d))) {
		const char *n = de->d_name;
		if (n[0] == '.' && (!n[1] || (n[1] == '.' && !n[2])))
			continue;
		size_t old = path_push(&f->path, n);
		int kind;
		rc = check_entry(f, fd, n, &kind);
		if (!rc && kind == K_DIR) {
			if (depth + 1 > f->cfg.max_depth)
				limit_hit(f, FR_DEPTH_LIMIT, f->path.p);
			else
				rc = walk_dir(f, fd, n, depth + 1);
		}
		path_pop(&f->path, old);
		if (rc)
			break;
	}
	closedir(d);
	return rc;
}

static int walk_dir(struct fim *f, int pfd, const char *name, unsigned depth)
{
	int fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		if (errno == EACCES || errno == EPERM)
			limit_hit(f, FR_UNREADABLE, f->path.p);
		return 0;
	}
	/* the watch before the listing: whatever is created after the
	 * listing read past it raises an event */
	if (f->ino_fd >= 0)
		watch_dir(f, fd, depth);
	return walk_entries(f, fd, depth);
}

/* Checks the path in f->path: the entry itself and, when subtree (or
 * when it is no longer a directory), everything below it; rows below it
 * that were not seen are gone.  0 or a V_E code. */
static int check_path(struct fim *f, unsigned depth, bool subtree)
{
	int rc, kind = K_NONE;
	char *slash = strrchr(f->path.p, '/');
	if (!slash)
		return 0;
	if ((rc = db_exec(f, "DELETE FROM temp.seen")))
		return rc;
	int pfd;
	const char *name;
	if (slash == f->path.p) {
		pfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		name = f->path.len == 1 ? "." : slash + 1;
	} else {
		*slash = '\0';
		pfd = open_parent(f, f->path.p);
		*slash = '/';
		name = slash + 1;
	}
	if (pfd >= 0) {
		rc = check_entry(f, pfd, name, &kind);
		if (!rc && kind == K_DIR && subtree) {
			if (depth > f->cfg.max_depth)
				limit_hit(f, FR_DEPTH_LIMIT, f->path.p);
			else
				rc = walk_dir(f, pfd, name, depth);
		}
		close(pfd);
		if (rc)
			return rc;
	}
	if (kind == K_IGNORED)
		return 0;
	if (kind == K_NONE && (rc = db_run1(f, S_GONE_ONE, f->path.p, f->path.len)))
		return rc;
	if (kind == K_DIR && !subtree)
		return 0;
	below_range(f->path.p, f->path.len, &f->lo, &f->hi);
	if (f->lo.oom || f->hi.oom)
		return V_ENOMEM;
	sqlite3_stmt *s = f->st[S_GONE_RANGE];
	sqlite3_bind_blob(s, 1, f->lo.p, (int)f->lo.len, SQLITE_STATIC);
	sqlite3_bind_blob(s, 2, f->hi.p, (int)f->hi.len, SQLITE_STATIC);
	rc = sqlite3_step(s);
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return rc == SQLITE_DONE ? 0 : db_fail(f, "write");
}

/* The end of a batch (a scan, or the paths checked in real time): rows
 * gone are paired with rows added by inode (a rename) or reported
 * removed; the added rows left are reported added.  0 or a V_E code. */
static int finish_batch(struct fim *f)
{
	sqlite3_stmt *g = f->st[S_GONE_LIST], *p = f->st[S_PAIR];
	int rc = 0, step;
	while ((step = sqlite3_step(g)) == SQLITE_ROW) {
		struct fim_attrs *b = f->was, *a = f->other;
		row_read(g, b);
		path_set(&f->path2, sqlite3_column_blob(g, 0), (size_t)sqlite3_column_bytes(g, 0));
		bool paired = false;
		if (!b->pending) {
			sqlite3_bind_int64(p, 1, (sqlite3_int64)b->ino);
			sqlite3_bind_int64(p, 2, (sqlite3_int64)b->dev);
			sqlite3_bind_blob(p, 3, f->path2.p, (int)f->path2.len, SQLITE_STATIC);
			while (sqlite3_step(p) == SQLITE_ROW) {
				row_read(p, a);
				if ((a->mode & S_IFMT) != (b->mode & S_IFMT))
					continue;
				/* a file keeps its mtime when renamed; a directory's
				 * changes with its entries */
				if (!S_ISDIR(a->mode) && a->mtime != b->mtime &&
				    (!a->sha256[0] || strcmp(a->sha256, b->sha256)))
					continue;
				path_set(&f->path, sqlite3_column_blob(p, 0),
					 (size_t)sqlite3_column_bytes(p, 0));
				paired = true;
				break;
			}
			sqlite3_reset(p);
			sqlite3_clear_bindings(p);
		}
		if (paired) {
			ev_begin(f, FE_RENAMED, f->path.p, f->path.len);
			jb_strn(&f->jb, "old_path", (const uint8_t *)f->path2.p, f->path2.len);
			changed_json(f, attrs_diff(b, a));
			attrs_json(f, "before", b);
			attrs_json(f, "after", a);
			ev_end(f);
			f->n_renamed++;
			if ((rc = db_run1(f, S_PAIRED, f->path.p, f->path.len)))
				break;
		} else if (!b->pending) {
			ev_begin(f, FE_REMOVED, f->path2.p, f->path2.len);
			attrs_json(f, "before", b);
			ev_end(f);
			f->n_removed++;
		}
	}
	sqlite3_reset(g);
	if (rc)
		return rc;
	if (step != SQLITE_DONE)
		return db_fail(f, "read");
	if ((rc = db_exec(f, "DELETE FROM bodies WHERE path IN (SELECT path FROM temp.gone);"
			     "DELETE FROM files WHERE path IN (SELECT path FROM temp.gone);")))
		return rc;
	int gone = sqlite3_changes(f->db);
	f->rows = f->rows > (uint64_t)gone ? f->rows - (uint64_t)gone : 0;
	sqlite3_stmt *s = f->st[S_ADDED_LIST];
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		row_read(s, f->now);
		ev_begin(f, FE_ADDED, sqlite3_column_blob(s, 0), (size_t)sqlite3_column_bytes(s, 0));
		attrs_json(f, "after", f->now);
		ev_end(f);
		f->n_added++;
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE)
		return db_fail(f, "read");
	return db_exec(f, "UPDATE files SET pending = 0 WHERE pending;"
			  "DELETE FROM temp.gone; DELETE FROM temp.paired;");
}

/* ------------------------------------------------------------- inotify */

static struct wd_ent *wd_find(struct fim *f, int wd)
{
	if (!f->wd_cap || wd <= 0)
		return NULL;
	for (size_t i = hash_mix64((uint64_t)wd) & (f->wd_cap - 1);; i = (i + 1) & (f->wd_cap - 1)) {
		if (f->wd[i].wd == wd)
			return &f->wd[i];
		if (!f->wd[i].wd)
			return NULL;
	}
}

static bool wd_put(struct fim *f, int wd, bool honey, unsigned depth, const char *path)
{
	struct wd_ent *e = wd_find(f, wd);
	char *p = strdup(path);
	if (!p)
		return false;
	if (e) {
		free(e->path);
		e->path = p;
		e->honey = honey;
		e->depth = depth;
		return true;
	}
	if ((f->wd_cnt + 1) * 2 > f->wd_cap) {
		size_t nc = f->wd_cap ? f->wd_cap * 2 : 1024;
		struct wd_ent *n = calloc(nc, sizeof(*n));
		if (!n) {
			free(p);
			return false;
		}
		for (size_t i = 0; i < f->wd_cap; i++)
			if (f->wd[i].wd)
				for (size_t k = hash_mix64((uint64_t)f->wd[i].wd) & (nc - 1);;
				     k = (k + 1) & (nc - 1))
					if (!n[k].wd) {
						n[k] = f->wd[i];
						break;
					}
		free(f->wd);
		f->wd = n;
		f->wd_cap = nc;
	}
	size_t i = hash_mix64((uint64_t)wd) & (f->wd_cap - 1);
	while (f->wd[i].wd)
		i = (i + 1) & (f->wd_cap - 1);
	f->wd[i] = (struct wd_ent){ .wd = wd, .honey = honey, .depth = depth, .path = p };
	f->wd_cnt++;
	f->stats.watches = f->wd_cnt;
	return true;
}

/* Removes a slot, shifting back the entries of its probe run. */
static void wd_del(struct fim *f, struct wd_ent *e)
{
	size_t mask = f->wd_cap - 1, i = (size_t)(e - f->wd);
	free(e->path);
	f->wd[i] = (struct wd_ent){ 0 };
	f->wd_cnt--;
	for (size_t j = (i + 1) & mask; f->wd[j].wd; j = (j + 1) & mask) {
		size_t h = hash_mix64((uint64_t)f->wd[j].wd) & mask;
		/* can j's entry move to the hole i? (h not cyclically in (i, j]) */
		if ((j > i && (h <= i || h > j)) || (j < i && h <= i && h > j)) {
			f->wd[i] = f->wd[j];
			f->wd[j] = (struct wd_ent){ 0 };
			i = j;
		}
	}
	f->stats.watches = f->wd_cnt;
}

/* Drops the watches of dir and below (it moved away: its paths are
 * stale; the check of its new place watches it again). */
static void wd_drop_under(struct fim *f, const char *dir)
{
	size_t n = strlen(dir);
	for (size_t i = 0; i < f->wd_cap;) {
		struct wd_ent *e = &f->wd[i];
		if (e->wd && !e->honey && !strncmp(e->path, dir, n) &&
		    (e->path[n] == '\0' || e->path[n] == '/')) {
			inotify_rm_watch(f->ino_fd, e->wd);
			wd_del(f, e);
			continue; /* the slot may hold a shifted entry now */
		}
		i++;
	}
}

static void watch_dir(struct fim *f, int fd, unsigned depth)
{
	char pp[64];
	const char *target = f->path.p;
	if (f->have_proc) {
		snprintf(pp, sizeof(pp), "/proc/self/fd/%d", fd);
		target = pp;
	} else if (f->path.len >= PATH_MAX) {
		limit_hit(f, FR_WATCH_LIMIT, f->path.p);
		return;
	}
	int wd = inotify_add_watch(f->ino_fd, target, DIR_MASK);
	if (wd < 0) {
		if (errno == ENOSPC || errno == ENOMEM)
			limit_hit(f, FR_WATCH_LIMIT, f->path.p);
		return;
	}
	if (!wd_put(f, wd, false, depth, f->path.p)) {
		inotify_rm_watch(f->ino_fd, wd);
		limit_hit(f, FR_WATCH_LIMIT, f->path.p);
	}
}

static size_t pidx_slot(const struct fim *f, const char *path)
{
	return hash_bytes(path, strlen(path), 0x70656e64) & (f->pidx_cap - 1);
}

static void pend_reindex(struct fim *f)
{
	memset(f->pidx, 0, f->pidx_cap * sizeof(*f->pidx));
	for (size_t i = 0; i < f->pend_cnt; i++) {
		size_t k = pidx_slot(f, f->pend[i].path);
		while (f->pidx[k])
			k = (k + 1) & (f->pidx_cap - 1);
		f->pidx[k] = (uint32_t)i + 1;
	}
}

/* Queues path to be checked: now if urgent, else once it has been quiet
 * for FIM_DEBOUNCE (and at most FIM_DEBOUNCE_MAX after its first event). */
static void pend_add(struct fim *f, const char *path, unsigned depth, uint8_t kind, bool urgent,
		     double now)
{
	size_t k = pidx_slot(f, path);
	for (; f->pidx[k]; k = (k + 1) & (f->pidx_cap - 1)) {
		struct pend *p = &f->pend[f->pidx[k] - 1];
		if (strcmp(p->path, path))
			continue;
		p->kind |= kind;
		if (urgent)
			p->urgent = true;
		p->due = p->urgent ? now : MIN(now + FIM_DEBOUNCE, p->first + FIM_DEBOUNCE_MAX);
		return;
	}
	char *c = f->pend_cnt < FIM_MAX_PENDING ? strdup(path) : NULL;
	if (!c) {
		f->backlog = true; /* too many: a full scan sees them all */
		return;
	}
	f->pend[f->pend_cnt] = (struct pend){ .path = c, .kind = kind, .urgent = urgent,
					      .depth = depth, .first = now,
					      .due = urgent ? now : now + FIM_DEBOUNCE };
	f->pidx[k] = (uint32_t)++f->pend_cnt;
}

static void pend_clear(struct fim *f)
{
	for (size_t i = 0; i < f->pend_cnt; i++)
		free(f->pend[i].path);
	f->pend_cnt = 0;
	if (f->pidx)
		memset(f->pidx, 0, f->pidx_cap * sizeof(*f->pidx));
}

static void honey_alert(struct fim *f, size_t i, unsigned bits, int pid, bool fan);

static void on_inotify(struct fim *f, const struct inotify_event *ev, double now)
{
	if (ev->mask & IN_Q_OVERFLOW) {
		f->overflow = true;
		return;
	}
	struct wd_ent *w = wd_find(f, ev->wd);
	if (!w)
		return;
	if (ev->mask & IN_IGNORED) {
		if (w->honey && w->depth < f->honey_cnt)
			f->honey[w->depth].armed = false;
		wd_del(f, w);
		return;
	}
	if (w->honey) {
		unsigned bits = (ev->mask & IN_OPEN ? 1u : 0) | (ev->mask & IN_ACCESS ? 2u : 0) |
				(ev->mask & IN_MODIFY ? 4u : 0);
		if (w->depth < f->honey_cnt)
			f->honey[w->depth].bits |= bits; /* one alarm per read batch */
		return;
	}
	size_t nl = ev->len ? strnlen(ev->name, ev->len) : 0;
	if (!nl) {
		/* the directory itself: its attributes, or a tree root gone */
		if (ev->mask & IN_ATTRIB)
			pend_add(f, w->path, w->depth, P_PATH, true, now);
		if ((ev->mask & (IN_DELETE_SELF | IN_MOVE_SELF)) && !w->depth)
			pend_add(f, w->path, 0, P_SUBTREE, true, now);
		return;
	}
	path_set(&f->path2, w->path, strlen(w->path));
	path_push(&f->path2, ev->name);
	if (f->path2.oom)
		return;
	const char *child = f->path2.p;
	unsigned depth = w->depth + 1;
	if (ev->mask & IN_ISDIR) {
		if (ev->mask & IN_MOVED_FROM)
			wd_drop_under(f, child);
		if (ev->mask & (IN_MOVED_FROM | IN_DELETE | IN_CREATE | IN_MOVED_TO))
			pend_add(f, child, depth, P_SUBTREE, true, now);
		else
			pend_add(f, child, depth, P_PATH, true, now);
		return;
	}
	bool urgent = ev->mask & (IN_CLOSE_WRITE | IN_DELETE | IN_MOVED_FROM | IN_MOVED_TO |
				  IN_ATTRIB);
	pend_add(f, child, depth, P_PATH, urgent, now);
}

static void read_inotify(struct fim *f, double now)
{
	for (unsigned r = 0; r < FIM_READS_PER_CALL; r++) {
		ssize_t n = read(f->ino_fd, f->ibuf.b, sizeof(f->ibuf.b));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		for (size_t o = 0; o + sizeof(struct inotify_event) <= (size_t)n;) {
			const struct inotify_event *ev = (const void *)(f->ibuf.b + o);
			size_t sz = sizeof(*ev) + ev->len;
			if (sz > (size_t)n - o)
				break;
			on_inotify(f, ev, now);
			o += sz;
		}
	}
}

static void honey_flush(struct fim *f)
{
	for (size_t i = 0; i < f->honey_cnt; i++)
		if (f->honey[i].bits) {
			honey_alert(f, i, f->honey[i].bits, 0, false);
			f->honey[i].bits = 0;
		}
}

/* ----------------------------------------------------------- honeyfiles */

static void honey_arm(struct fim *f, size_t i)
{
	struct honey *h = &f->honey[i];
	struct stat st;
	if (lstat(h->path, &st) < 0 || !S_ISREG(st.st_mode)) {
		h->armed = false;
		limit_hit(f, FR_HONEY_UNWATCHED, h->path);
		return;
	}
	if (f->fan_fd >= 0) {
		if (fanotify_mark(f->fan_fd, FAN_MARK_ADD | FAN_MARK_DONT_FOLLOW, HONEY_FAN_MASK,
				  AT_FDCWD, h->path) < 0) {
			limit_hit(f, FR_HONEY_UNWATCHED, h->path);
			return;
		}
	} else if (f->ino_fd >= 0) {
		int wd = inotify_add_watch(f->ino_fd, h->path, HONEY_IN_MASK);
		if (wd < 0 || !wd_put(f, wd, true, (unsigned)i, h->path)) {
			limit_hit(f, FR_HONEY_UNWATCHED, h->path);
			return;
		}
	} else {
		return;
	}
	h->dev = st.st_dev;
	h->ino = st.st_ino;
	h->armed = true;
}

/* /proc/PID/<what> into out, the trailing newline dropped. */
static size_t proc_read(int pid, const char *what, char *out, size_t cap)
{
	char p[64];
	snprintf(p, sizeof(p), "/proc/%d/%s", pid, what);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return 0;
	ssize_t n = read(fd, out, cap - 1);
	close(fd);
	if (n <= 0)
		return 0;
	while (n > 0 && out[n - 1] == '\n')
		n--;
	out[n] = '\0';
	return (size_t)n;
}

/* bits: 1 open, 2 read, 4 write.  One alarm per file and process within
 * FIM_HONEY_QUIET (a read loop is not a flood), unless a write follows
 * opens and reads. */
static void honey_alert(struct fim *f, size_t i, unsigned bits, int pid, bool fan)
{
	double now = now_mono();
	for (size_t k = 0; k < ARRAY_SIZE(f->hseen); k++) {
		struct honey_seen *s = &f->hseen[k];
		if (s->t && s->pid == pid && s->idx == i && now - s->t < FIM_HONEY_QUIET) {
			if (!(bits & 4u & ~s->bits)) {
				s->bits |= bits;
				return;
			}
		}
	}
	f->hseen[f->hseen_next] = (struct honey_seen){ .pid = pid, .idx = i, .bits = bits,
						       .t = now };
	f->hseen_next = (f->hseen_next + 1) % ARRAY_SIZE(f->hseen);

	static const char *const acc[] = { "open", "read", "write" };
	char access[32] = "";
	for (unsigned b = 0; b < 3; b++)
		if (bits & (1u << b)) {
			if (access[0])
				strcat(access, "|");
			strcat(access, acc[b]);
		}
	ev_begin(f, FE_HONEYFILE_ACCESS, f->honey[i].path, strlen(f->honey[i].path));
	jb_str(&f->jb, "access", access);
	jb_u64(&f->jb, "level", FIM_HONEYFILE_LEVEL);
	jb_str(&f->jb, "method", fan ? "fanotify" : "inotify");
	if (pid > 0) {
		char buf[PATH_MAX];
		jb_u64(&f->jb, "pid", (uint64_t)pid);
		size_t n = proc_read(pid, "comm", buf, sizeof(buf));
		if (n)
			jb_strn(&f->jb, "process", (const uint8_t *)buf, n);
		char link[64];
		snprintf(link, sizeof(link), "/proc/%d/exe", pid);
		ssize_t l = readlink(link, buf, sizeof(buf) - 1);
		if (l > 0)
			jb_strn(&f->jb, "exe", (const uint8_t *)buf, (size_t)l);
		if (proc_read(pid, "status", buf, sizeof(buf))) {
			const char *u = strstr(buf, "\nUid:\t");
			if (u)
				jb_u64(&f->jb, "uid", strtoull(u + 6, NULL, 10));
		}
	}
	ev_end(f);
	f->stats.honey_alerts++;
}

static void read_fanotify(struct fim *f)
{
	union {
		struct fanotify_event_metadata m;
		char b[16 * 1024];
	} buf;
	int self = getpid();
	for (unsigned r = 0; r < FIM_READS_PER_CALL; r++) {
		ssize_t n = read(f->fan_fd, buf.b, sizeof(buf.b));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		long len = (long)n;
		for (const struct fanotify_event_metadata *m = &buf.m; FAN_EVENT_OK(m, len);
		     m = FAN_EVENT_NEXT(m, len)) {
			if (m->vers != FANOTIFY_METADATA_VERSION) {
				if (m->fd >= 0)
					close(m->fd);
				return;
			}
			if (m->mask & FAN_Q_OVERFLOW)
				emit_coverage(f, FR_FAN_OVERFLOW, NULL, 1);
			if (m->fd < 0)
				continue;
			struct stat st;
			if (m->pid != self && !fstat(m->fd, &st)) {
				unsigned bits = (m->mask & FAN_OPEN ? 1u : 0) |
						(m->mask & FAN_ACCESS ? 2u : 0) |
						(m->mask & FAN_MODIFY ? 4u : 0);
				for (size_t i = 0; bits && i < f->honey_cnt; i++)
					if (f->honey[i].armed && f->honey[i].dev == st.st_dev &&
					    f->honey[i].ino == st.st_ino) {
						honey_alert(f, i, bits, m->pid, true);
						break;
					}
			}
			close(m->fd);
		}
	}
}

/* ------------------------------------------------------------------ API */

static char **copy_list(const char *const *v, size_t n, size_t max, bool absolute,
			const char *what, struct verr *e, int *rc)
{
	*rc = 0;
	if (n > max) {
		*rc = verr_set(e, V_EINVAL, "fim: more than %zu %s", max, what);
		return NULL;
	}
	char **out = calloc(n + 1, sizeof(*out));
	if (!out) {
		*rc = verr_set(e, V_ENOMEM, "fim: out of memory");
		return NULL;
	}
	for (size_t i = 0; i < n; i++) {
		out[i] = absolute ? path_normal(v[i]) : strdup(v[i] ? v[i] : "");
		if (!out[i]) {
			*rc = absolute && v[i] && v[i][0] != '/'
				      ? verr_set(e, V_EINVAL, "fim: %s \"%s\" is not an absolute path",
						 what, v[i])
				      : verr_set(e, V_ENOMEM, "fim: out of memory");
			for (size_t k = 0; k < i; k++)
				free(out[k]);
			free(out);
			return NULL;
		}
	}
	return out;
}

static int open_db(struct fim *f, struct verr *e)
{
	int rc = 0;
	if (sqlite3_open_v2(f->db_path, &f->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
	    SQLITE_OK) {
		rc = db_fail(f, "open");
		goto out;
	}
	sqlite3_busy_timeout(f->db, 5000);
	if ((rc = db_exec(f, schema)))
		goto out;
	for (int i = 0; i < S_COUNT; i++)
		if (sqlite3_prepare_v3(f->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &f->st[i],
				       NULL) != SQLITE_OK) {
			rc = db_fail(f, "prepare");
			goto out;
		}
	sqlite3_stmt *c;
	if (sqlite3_prepare_v2(f->db, "SELECT count(*) FROM files", -1, &c, NULL) == SQLITE_OK) {
		if (sqlite3_step(c) == SQLITE_ROW)
			f->rows = (uint64_t)sqlite3_column_int64(c, 0);
		sqlite3_finalize(c);
	}
out:
	if (rc && e)
		*e = f->err;
	return rc;
}

int fim_new(struct fim **out, const struct fim_config *cfg, struct verr *e)
{
	struct fim *f = NULL;
	int rc = 0;
	*out = NULL;
	if (!cfg || !cfg->db_path || !cfg->db_path[0]) {
		rc = verr_set(e, V_EINVAL, "fim: no baseline file (--db)");
		goto out;
	}
	if (!cfg->tree_cnt && !cfg->honeyfile_cnt) {
		rc = verr_set(e, V_EINVAL, "fim: nothing to watch: no tree and no honeyfile");
		goto out;
	}
	if (cfg->max_depth > FIM_MAX_DEPTH) {
		rc = verr_set(e, V_EINVAL, "fim: max depth %u is above %u", cfg->max_depth,
			      FIM_MAX_DEPTH);
		goto out;
	}
	if (cfg->diff_max_len > FIM_MAX_DIFF_MAX) {
		rc = verr_set(e, V_EINVAL, "fim: diff size %zu is above %u", cfg->diff_max_len,
			      FIM_MAX_DIFF_MAX);
		goto out;
	}
	f = calloc(1, sizeof(*f));
	if (!f) {
		rc = verr_set(e, V_ENOMEM, "fim: out of memory");
		goto out;
	}
	f->ino_fd = f->fan_fd = f->ep_fd = -1;
	f->cfg = *cfg;
	if (!f->cfg.max_files)
		f->cfg.max_files = FIM_DEFAULT_MAX_FILES;
	if (!f->cfg.max_depth)
		f->cfg.max_depth = FIM_DEFAULT_MAX_DEPTH;
	if (!f->cfg.diff_max_len)
		f->cfg.diff_max_len = FIM_DEFAULT_DIFF_MAX;
	f->trees = copy_list(cfg->trees, cfg->tree_cnt, FIM_MAX_TREES, true, "tree", e, &rc);
	if (rc)
		goto out;
	f->tree_cnt = cfg->tree_cnt;
	for (size_t i = 0; i < f->tree_cnt; i++)
		if (strlen(f->trees[i]) >= PATH_MAX) {
			rc = verr_set(e, V_EINVAL, "fim: tree \"%.64s...\" is longer than %d bytes",
				      f->trees[i], PATH_MAX - 1);
			goto out;
		}
	f->ignore = copy_list(cfg->ignore, cfg->ignore_cnt, FIM_MAX_PATTERNS, false,
			      "ignore patterns", e, &rc);
	if (rc)
		goto out;
	f->ignore_cnt = cfg->ignore_cnt;
	char **hp = copy_list(cfg->honeyfiles, cfg->honeyfile_cnt, FIM_MAX_HONEYFILES, true,
			      "honeyfile", e, &rc);
	if (rc)
		goto out;
	f->honey = calloc(cfg->honeyfile_cnt + 1, sizeof(*f->honey));
	if (!f->honey) {
		for (size_t i = 0; i < cfg->honeyfile_cnt; i++)
			free(hp[i]);
		free(hp);
		rc = verr_set(e, V_ENOMEM, "fim: out of memory");
		goto out;
	}
	for (size_t i = 0; i < cfg->honeyfile_cnt; i++)
		f->honey[i].path = hp[i];
	free(hp);
	f->honey_cnt = cfg->honeyfile_cnt;
	f->cfg.trees = f->cfg.ignore = f->cfg.honeyfiles = NULL;

	/* the baseline's own files (made absolute) are never recorded */
	char cwd[PATH_MAX];
	struct bbuf abs = { 0 };
	if (cfg->db_path[0] != '/' && getcwd(cwd, sizeof(cwd))) {
		bb_puts(&abs, cwd);
		bb_put(&abs, "/", 1);
	}
	bb_puts(&abs, cfg->db_path);
	bb_cstr(&abs);
	f->db_path = strdup(cfg->db_path);
	f->cfg.db_path = f->db_path;
	static const char *const sfx[] = { "", "-wal", "-shm", "-journal" };
	for (size_t i = 0; i < 4 && !abs.oom; i++) {
		char *n = path_normal(abs.p);
		size_t l = n ? strlen(n) : 0;
		char *full = n ? malloc(l + 10) : NULL;
		if (full)
			snprintf(full, l + 10, "%s%s", n, sfx[i]);
		free(n);
		f->db_files[i] = full;
	}
	bb_fini(&abs);

	f->now = malloc(sizeof(*f->now));
	f->was = malloc(sizeof(*f->was));
	f->other = malloc(sizeof(*f->other));
	f->iobuf = malloc(FIM_IOBUF);
	f->xoff = malloc(sizeof(*f->xoff) * (XATTR_LIST_MAX / 2 + 1));
	f->xtmp = malloc(XATTR_LIST_MAX);
	f->pend = calloc(FIM_MAX_PENDING, sizeof(*f->pend));
	f->pidx_cap = 2 * FIM_MAX_PENDING; /* a power of two, half empty at most */
	f->pidx = calloc(f->pidx_cap, sizeof(*f->pidx));
	f->md = EVP_MD_CTX_new();
	f->sha = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (!f->db_path || !f->now || !f->was || !f->other || !f->iobuf || !f->xoff ||
	    !f->xtmp || !f->pend || !f->pidx || !f->md || !f->sha) {
		rc = verr_set(e, V_ENOMEM, "fim: out of memory (or no SHA-256 in OpenSSL)");
		goto out;
	}
	f->have_proc = !access("/proc/self/fd", X_OK);
	if ((rc = open_db(f, e)))
		goto out;

	if (f->cfg.realtime) {
		f->ino_fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
		if (f->ino_fd < 0) {
			rc = verr_set(e, V_EIO, "fim: inotify_init1: %s", strerror(errno));
			goto out;
		}
		if (f->honey_cnt && !f->cfg.no_fanotify) {
			f->fan_fd = fanotify_init(FAN_CLASS_NOTIF | FAN_CLOEXEC | FAN_NONBLOCK,
						  O_RDONLY | O_LARGEFILE | O_CLOEXEC);
			f->stats.fanotify = f->fan_fd >= 0;
		}
		f->ep_fd = epoll_create1(EPOLL_CLOEXEC);
		struct epoll_event ee = { .events = EPOLLIN };
		if (f->ep_fd < 0 || epoll_ctl(f->ep_fd, EPOLL_CTL_ADD, f->ino_fd, &ee) ||
		    (f->fan_fd >= 0 && epoll_ctl(f->ep_fd, EPOLL_CTL_ADD, f->fan_fd, &ee))) {
			rc = verr_set(e, V_EIO, "fim: epoll: %s", strerror(errno));
			goto out;
		}
	}
	*out = f;
	f = NULL;
out:
	fim_free(f);
	return rc;
}

void fim_free(struct fim *f)
{
	if (!f)
		return;
	if (f->db) {
		db_commit(f);
		for (int i = 0; i < S_COUNT; i++)
			sqlite3_finalize(f->st[i]);
		sqlite3_close(f->db);
	}
	if (f->ep_fd >= 0)
		close(f->ep_fd);
	if (f->ino_fd >= 0)
		close(f->ino_fd);
	if (f->fan_fd >= 0)
		close(f->fan_fd);
	for (size_t i = 0; i < f->wd_cap; i++)
		free(f->wd[i].path);
	free(f->wd);
	pend_clear(f);
	free(f->pend);
	free(f->pidx);
	for (size_t i = 0; f->trees && i < f->tree_cnt; i++)
		free(f->trees[i]);
	free(f->trees);
	for (size_t i = 0; f->ignore && i < f->ignore_cnt; i++)
		free(f->ignore[i]);
	free(f->ignore);
	for (size_t i = 0; f->honey && i < f->honey_cnt; i++)
		free(f->honey[i].path);
	free(f->honey);
	for (size_t i = 0; i < 4; i++)
		free(f->db_files[i]);
	for (size_t i = 0; i < FR_COUNT; i++)
		free(f->lim[i].path);
	free(f->db_path);
	free(f->now);
	free(f->was);
	free(f->other);
	free(f->iobuf);
	free(f->xoff);
	free(f->xtmp);
	bb_fini(&f->path);
	bb_fini(&f->path2);
	bb_fini(&f->lo);
	bb_fini(&f->hi);
	bb_fini(&f->body);
	bb_fini(&f->masked);
	bb_fini(&f->old);
	bb_fini(&f->diff);
	jb_fini(&f->jb);
	EVP_MD_CTX_free(f->md);
	EVP_MD_free(f->sha);
	free(f);
}

static int scan(struct fim *f)
{
	double t0 = now_mono();
	char v[16] = "";
	int rc;
	f->overflow = f->backlog = false;
	pend_clear(f); /* the scan sees whatever they were about */
	/* quiet until a first scan has completed: one interrupted goes on
	 * quietly next time */
	f->quiet = !meta_get(f, "initialized", v, sizeof(v)) && !f->cfg.report_initial;
	f->n_added = f->n_removed = f->n_changed = f->n_renamed = 0;
	uint64_t files0 = f->stats.files, hashed0 = f->stats.hashed;
	for (size_t r = 0; r < FR_COUNT; r++)
		f->lim[r].reported = false;
	if ((rc = db_begin(f)))
		return rc;
	for (size_t i = 0; i < f->tree_cnt; i++) {
		path_set(&f->path, f->trees[i], strlen(f->trees[i]));
		if ((rc = check_path(f, 0, true)))
			return rc;
	}
	if ((rc = finish_batch(f)))
		return rc;
	for (size_t i = 0; i < f->honey_cnt; i++)
		if (f->ino_fd >= 0)
			honey_arm(f, i);
	limits_flush(f, true);
	if ((rc = meta_put(f, "initialized", "1")))
		return rc;
	if ((rc = db_commit(f)))
		return rc;
	f->stats.scans++;
	ev_begin(f, FE_SCAN_SUMMARY, NULL, 0);
	jb_bool(&f->jb, "initial", f->quiet);
	jb_u64(&f->jb, "files", f->stats.files - files0);
	jb_u64(&f->jb, "hashed", f->stats.hashed - hashed0);
	jb_u64(&f->jb, "added", f->n_added);
	jb_u64(&f->jb, "removed", f->n_removed);
	jb_u64(&f->jb, "changed", f->n_changed);
	jb_u64(&f->jb, "renamed", f->n_renamed);
	jb_u64(&f->jb, "baseline_entries", f->rows);
	jb_u64(&f->jb, "watches", f->wd_cnt);
	char secs[32];
	snprintf(secs, sizeof(secs), "%.3f", now_mono() - t0);
	jb_raw(&f->jb, "seconds", secs);
	ev_end(f);
	f->quiet = false;
	if (f->cfg.interval)
		f->next_scan = now_mono() + f->cfg.interval;
	return 0;
}

int fim_scan(struct fim *f, struct verr *e)
{
	int rc = scan(f);
	if (rc) {
		if (f->in_txn) {
			f->in_txn = false;
			sqlite3_exec(f->db, "ROLLBACK", NULL, NULL, NULL);
		}
		if (e)
			*e = f->err;
	}
	f->quiet = false;
	return rc;
}

int fim_fd(const struct fim *f)
{
	return f->ep_fd;
}

int fim_timeout_ms(const struct fim *f)
{
	if (f->ep_fd < 0)
		return -1;
	if (f->overflow || f->backlog)
		return 0;
	double now = now_mono(), due = -1;
	for (size_t i = 0; i < f->pend_cnt; i++)
		if (due < 0 || f->pend[i].due < due)
			due = f->pend[i].due;
	if (f->cfg.interval && (due < 0 || f->next_scan < due))
		due = f->next_scan;
	if (due < 0)
		return -1;
	if (due <= now)
		return 0;
	double ms = (due - now) * 1000.0 + 1;
	return ms > 3600000 ? 3600000 : (int)ms;
}

static int process_pending(struct fim *f, double now)
{
	size_t due = 0;
	int rc;
	for (size_t i = 0; i < f->pend_cnt; i++)
		due += f->pend[i].due <= now;
	if (!due)
		return 0;
	if ((rc = db_begin(f)))
		return rc;
	size_t keep = 0;
	for (size_t i = 0; i < f->pend_cnt; i++) {
		struct pend *p = &f->pend[i];
		if (p->due > now) {
			f->pend[keep++] = *p;
			continue;
		}
		if (!rc) {
			path_set(&f->path, p->path, strlen(p->path));
			rc = check_path(f, p->depth, p->kind & P_SUBTREE);
		}
		free(p->path);
	}
	f->pend_cnt = keep;
	pend_reindex(f);
	if (!rc)
		rc = finish_batch(f);
	limits_flush(f, false);
	if (!rc)
		rc = db_commit(f);
	return rc;
}

int fim_process(struct fim *f, struct verr *e)
{
	int rc = 0;
	if (f->ep_fd < 0)
		return 0;
	double now = now_mono();
	if (f->fan_fd >= 0)
		read_fanotify(f);
	read_inotify(f, now);
	honey_flush(f);
	if (f->overflow) {
		emit_coverage(f, FR_QUEUE_OVERFLOW, NULL, 1);
		f->stats.overflows++;
	}
	if (f->overflow || f->backlog || (f->cfg.interval && now >= f->next_scan)) {
		if (f->overflow || f->backlog)
			f->stats.rescans++;
		rc = scan(f);
	} else {
		rc = process_pending(f, now);
	}
	if (rc) {
		if (f->in_txn) {
			f->in_txn = false;
			sqlite3_exec(f->db, "ROLLBACK", NULL, NULL, NULL);
		}
		if (e)
			*e = f->err;
	}
	return rc;
}

void fim_get_stats(const struct fim *f, struct fim_stats *out)
{
	*out = f->stats;
	out->watches = f->wd_cnt;
}
