/*
 * iprep.c - see iprep.h.
 *
 * Files are read in blocks of 1 MiB and split into lines at LF, CRLF or a
 * lone CR (some feeds are written with old Mac line ends), never read
 * whole.  Each category's entries go into one valued iplist (lists.h),
 * sealed once: a million entries cost a sort and a linear pass, and a
 * lookup is one binary search over disjoint ranges, with no lock, as the
 * set never changes once built.  The trade-off: no entry can be added
 * while traffic runs (Suricata cannot either: a reload rebuilds).
 */
#include "iprep.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "config.h"
#include "lists.h"
#include "log.h"
#include "util.h"
#include "vigil.h"

#define IPREP_NAME_MAX 31              /* a category's short name */
#define IPREP_MAX_ENTRIES (1u << 25)   /* over every file: 33 million */
#define IPREP_MAX_FILE (1ull << 30)    /* 1 GiB */
#define IPREP_LOGGED_BAD 20            /* bad lines logged per file; the rest counted */
#define BLOCK (1u << 20)

struct iprep {
	char name[IPREP_MAX_CAT + 1][IPREP_NAME_MAX + 1];
	struct iplist *l[IPREP_MAX_CAT + 1];
	uint64_t entries;
	bool quiet, sealed;
};

struct iprep *iprep_new(bool quiet)
{
	struct iprep *r = v_calloc(1, sizeof(*r));
	if (r)
		r->quiet = quiet;
	return r;
}

void iprep_free(struct iprep *r)
{
	if (!r)
		return;
	for (unsigned i = 0; i <= IPREP_MAX_CAT; i++)
		iplist_free(r->l[i]);
	v_free(r);
}

/* ---- lines ---- */

struct lctx {
	struct iprep *r;
	const char *name;
	uint64_t lno, bad;
	bool skip;          /* the rest of an over-long line */
	bool fatal;
	struct verr *e;
	/* a line's fields, or the reason it is bad */
	int (*line)(struct lctx *c, const char *s, size_t n, const char **why);
};

static void bad_line(struct lctx *c, const char *why, const char *s, size_t n)
{
	if (!c->bad++)
		verr_set(c->e, V_EINVAL, "%s:%llu: %s \"%.*s\"", c->name, (unsigned long long)c->lno,
			 why, (int)MIN(n, 80), s);
	if (c->r->quiet)
		return;
	if (c->bad <= IPREP_LOGGED_BAD)
		log_err("%s:%llu: %s \"%.*s\"", c->name, (unsigned long long)c->lno, why,
			(int)MIN(n, 80), s);
}

static void one_line(struct lctx *c, const char *s, size_t n)
{
	c->lno++;
	s = span_trim(s, &n);
	if (!n || *s == '#')
		return;
	const char *why = NULL;
	if (c->line(c, s, n, &why) < 0) {
		if (why)
			bad_line(c, why, s, n);
		else
			c->fatal = true; /* e set */
	}
}

/* Splits t[0, len) into lines; returns how much it used (a line without
 * its end is left for the next block unless final). */
static size_t split_lines(struct lctx *c, const char *t, size_t len, bool final)
{
	size_t off = 0;
	const char *nl = NULL; /* the next LF from off, or NULL: none to the end */
	bool nl_known = false;
	while (off < len && !c->fatal) {
		const char *p = t + off;
		size_t rem = len - off;
		/* searched again only once passed (a CR-only file has none) */
		if (!nl_known || (nl && nl < p)) {
			nl = memchr(p, '\n', rem);
			nl_known = true;
		}
		size_t k = nl ? (size_t)(nl - p) : rem;
		/* a CR before it ends the line there (CRLF, or CR-only files) */
		const char *cr = memchr(p, '\r', k);
		if (cr)
			k = (size_t)(cr - p);
		if (!final && (k == rem || (p[k] == '\r' && k + 1 == rem))) {
			if (off || rem < BLOCK)
				break;
			/* a whole block without a line end: too long */
			if (!c->skip) {
				c->lno++;
				bad_line(c, "line too long", p, k);
				c->skip = true;
				c->lno--; /* counted when its end comes */
			}
			return len;
		}
		size_t eol = k < rem ? (p[k] == '\r' && k + 1 < rem && p[k + 1] == '\n' ? 2 : 1) : 0;
		if (c->skip) {
			c->skip = false;
			c->lno++;
		} else {
			one_line(c, p, k);
		}
		off += k + eol;
	}
	return off;
}

static int parse_text(struct iprep *r, const char *text, size_t len, const char *name,
		      int (*line)(struct lctx *, const char *, size_t, const char **), struct verr *e)
{
	struct lctx c = { .r = r, .name = name, .e = e, .line = line };
	split_lines(&c, text, len, true);
	return c.fatal ? -1 : (int)MIN(c.bad, (uint64_t)INT32_MAX);
}

static int parse_file(struct iprep *r, const char *path,
		      int (*line)(struct lctx *, const char *, size_t, const char **), struct verr *e)
{
	FILE *f = fopen(path, "re");
	if (!f)
		return verr_set(e, V_EIO, "%s: %s", path, strerror(errno)), -1;
	struct stat st;
	if (fstat(fileno(f), &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > IPREP_MAX_FILE) {
		fclose(f);
		return verr_set(e, V_EIO, "%s: not a regular file of at most 1 GiB", path), -1;
	}
	char *buf = v_malloc(BLOCK);
	if (!buf) {
		fclose(f);
		return verr_set(e, V_ENOMEM, "%s: out of memory", path), -1;
	}
	struct lctx c = { .r = r, .name = path, .e = e, .line = line };
	size_t have = 0, k;
	while (!c.fatal && (k = fread(buf + have, 1, BLOCK - have, f)) > 0) {
		have += k;
		size_t used = split_lines(&c, buf, have, false);
		memmove(buf, buf + used, have - used);
		have -= used;
	}
	if (!c.fatal && ferror(f)) {
		verr_set(e, V_EIO, "%s: %s", path, strerror(errno));
		c.fatal = true;
	}
	if (!c.fatal && have)
		split_lines(&c, buf, have, true);
	v_free(buf);
	fclose(f);
	if (!c.fatal && c.bad > IPREP_LOGGED_BAD && !r->quiet)
		log_err("%s: %llu bad lines in all", path, (unsigned long long)c.bad);
	return c.fatal ? -1 : (int)MIN(c.bad, (uint64_t)INT32_MAX);
}

/* up to max comma-separated fields of s (n bytes), trimmed; the count */
static int fields(const char *s, size_t n, const char **f, size_t *fl, int max)
{
	int k = 0;
	const char *end = s + n;
	while (k < max) {
		const char *c = memchr(s, ',', (size_t)(end - s));
		size_t len = c ? (size_t)(c - s) : (size_t)(end - s);
		fl[k] = len;
		f[k] = span_trim(s, &fl[k]);
		k++;
		if (!c)
			return k;
		s = c + 1;
	}
	return k + 1; /* more than max */
}

/* a decimal number of at most 3 digits in [0, max] */
static int small_num(const char *s, size_t n, unsigned max)
{
	if (!n || n > 3)
		return -1;
	unsigned v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return v <= max ? (int)v : -1;
}

static bool name_char(char ch)
{
	return isalnum((unsigned char)ch) || ch == '_' || ch == '-';
}

/* ---- categories ---- */

static int cat_line(struct lctx *c, const char *s, size_t n, const char **why)
{
	const char *f[3];
	size_t fl[3];
	int k = fields(s, n, f, fl, 3);
	if (k < 2) {
		*why = "expected id,shortname,description";
		return -1;
	}
	int id = small_num(f[0], fl[0], IPREP_MAX_CAT);
	if (id < 1) {
		*why = "category id is not a number from 1 to 60";
		return -1;
	}
	if (!fl[1] || fl[1] > IPREP_NAME_MAX) {
		*why = "short name is empty or longer than 31 characters";
		return -1;
	}
	for (size_t i = 0; i < fl[1]; i++)
		if (!name_char(f[1][i])) {
			*why = "short name has characters other than letters, digits, _ and -";
			return -1;
		}
	memcpy(c->r->name[id], f[1], fl[1]);
	c->r->name[id][fl[1]] = '\0';
	return 0;
}

int iprep_add_categories(struct iprep *r, const char *text, size_t len, const char *name,
			 struct verr *e)
{
	return parse_text(r, text, len, name, cat_line, e);
}

int iprep_load_categories(struct iprep *r, const char *path, struct verr *e)
{
	return parse_file(r, path, cat_line, e);
}

/* ---- entries ---- */

/* a dotted quad as inet_pton reads it (four decimal numbers to 255, no
 * leading zeros), without its copy and second attempt: the common line */
static bool quad(const char *s, size_t n, uint8_t a[4])
{
	unsigned oct = 0, v = 0, digits = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (ch >= '0' && ch <= '9') {
			if (digits && !v)
				return false; /* a leading zero */
			v = v * 10 + (unsigned)(ch - '0');
			if (v > 255 || ++digits > 3)
				return false;
		} else if (ch == '.' && digits && oct < 3) {
			a[oct++] = (uint8_t)v;
			v = digits = 0;
		} else {
			return false;
		}
	}
	if (!digits || oct != 3)
		return false;
	a[3] = (uint8_t)v;
	return true;
}

static bool parse_addr(const char *s, size_t n, uint8_t *ver, uint8_t a[16], unsigned *plen,
		       bool *host)
{
	const char *sl = memchr(s, '/', n);
	size_t an = sl ? (size_t)(sl - s) : n;
	if (an && an <= 15 && quad(s, an, a)) {
		memset(a + 4, 0, 12);
		*ver = 4;
		*host = !sl;
		*plen = 32;
		if (sl) {
			int p = small_num(sl + 1, n - an - 1, 32);
			if (p < 0)
				return false;
			*plen = (unsigned)p;
		}
		return true;
	}
	char buf[64];
	if (!n || n >= sizeof(buf))
		return false;
	memcpy(buf, s, n);
	buf[n] = '\0';
	char *slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	memset(a, 0, 16);
	if (inet_pton(AF_INET, buf, a) == 1)
		*ver = 4;
	else if (inet_pton(AF_INET6, buf, a) == 1)
		*ver = 6;
	else
		return false;
	unsigned bits = *ver == 4 ? 32 : 128;
	*host = !slash;
	*plen = bits;
	if (slash) {
		int p = small_num(slash, strlen(slash), bits);
		if (p < 0)
			return false;
		*plen = (unsigned)p;
	}
	return true;
}

static int entry_line(struct lctx *c, const char *s, size_t n, const char **why)
{
	const char *f[3];
	size_t fl[3];
	int k = fields(s, n, f, fl, 3);
	if (k != 3) {
		*why = "expected address,category,score";
		return -1;
	}
	if (fl[0] == 2 && !memcmp(f[0], "ip", 2))
		return 0; /* a header line */
	uint8_t ver, a[16];
	unsigned plen;
	bool host;
	if (!parse_addr(f[0], fl[0], &ver, a, &plen, &host)) {
		*why = "not an IPv4 or IPv6 address or network";
		return -1;
	}
	int cat = small_num(f[1], fl[1], IPREP_MAX_CAT);
	if (cat < 0) {
		*why = "category is not a number from 0 to 60";
		return -1;
	}
	int score = small_num(f[2], fl[2], IPREP_MAX_SCORE);
	if (score < 0) {
		*why = "score is not a number from 0 to 127";
		return -1;
	}
	struct iprep *r = c->r;
	if (r->sealed) {
		verr_set(c->e, V_EINVAL, "%s: reputation set already sealed", c->name);
		return -1;
	}
	if (!cat)
		return 0; /* category 0: no rule can name it (as Suricata) */
	if (r->entries >= IPREP_MAX_ENTRIES) {
		verr_set(c->e, V_ENOMEM, "%s:%llu: more than %u reputation entries", c->name,
			 (unsigned long long)c->lno, IPREP_MAX_ENTRIES);
		return -1;
	}
	if ((!r->l[cat] && !(r->l[cat] = iplist_new())) ||
	    !iplist_add_value(r->l[cat], ver, a, plen, (uint32_t)score, host)) {
		verr_set(c->e, V_ENOMEM, "%s:%llu: out of memory", c->name, (unsigned long long)c->lno);
		return -1;
	}
	r->entries++;
	return 0;
}

int iprep_add_entries(struct iprep *r, const char *text, size_t len, const char *name,
		      struct verr *e)
{
	return parse_text(r, text, len, name, entry_line, e);
}

int iprep_load_entries(struct iprep *r, const char *path, struct verr *e)
{
	return parse_file(r, path, entry_line, e);
}

int iprep_seal(struct iprep *r, struct verr *e)
{
	if (r->sealed)
		return 0;
	r->sealed = true;
	for (unsigned i = 1; i <= IPREP_MAX_CAT; i++)
		if (r->l[i] && !iplist_seal(r->l[i]))
			return verr_set(e, V_ENOMEM, "reputation: out of memory"), -1;
	return 0;
}

/* ---- from the configuration ---- */

static void resolve(const struct config *cfg, const char *f, char *out, size_t cap)
{
	const char *dir = cfg->default_reputation_path;
	if (!dir || !*dir)
		dir = cfg->config_dir;
	if (f[0] == '/' || !dir || !*dir)
		snprintf(out, cap, "%s", f);
	else
		snprintf(out, cap, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", f);
}

struct iprep *iprep_from_config(const struct config *cfg, bool quiet, struct verr *e)
{
	e->msg[0] = '\0';
	const char *cf = cfg->reputation_categories_file;
	bool have_cf = cf && *cf;
	if (!have_cf && !cfg->reputation_files.cnt)
		return NULL;
	if (!have_cf) {
		verr_set(e, V_EINVAL, "reputation-files is set but reputation-categories-file is not");
		return NULL;
	}
	if (!cfg->reputation_files.cnt) {
		verr_set(e, V_EINVAL, "reputation-categories-file is set but reputation-files is not");
		return NULL;
	}
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	struct iprep *r = iprep_new(quiet);
	if (!r) {
		verr_set(e, V_ENOMEM, "out of memory");
		return NULL;
	}
	struct verr le = { "" };
	char path[4096];
	/* the categories file as given, as Suricata opens it */
	int bad = iprep_load_categories(r, cf, &le);
	if (bad < 0 || (bad && cfg->init_failure_fatal))
		goto fail;
	for (size_t i = 0; i < cfg->reputation_files.cnt; i++) {
		resolve(cfg, cfg->reputation_files.v[i], path, sizeof(path));
		if (!quiet)
			log_info("loading reputation file %s", path);
		if (access(path, R_OK) < 0 && !cfg->init_failure_fatal) {
			/* an unreadable file: Suricata goes on without it */
			log_err("reputation file %s: %s", path, strerror(errno));
			continue;
		}
		bad = iprep_load_entries(r, path, &le);
		if (bad < 0 || (bad && cfg->init_failure_fatal))
			goto fail;
	}
	if (iprep_seal(r, &le) < 0)
		goto fail;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if (!quiet) {
		unsigned ncat = 0;
		for (unsigned i = 1; i <= IPREP_MAX_CAT; i++)
			ncat += r->name[i][0] != '\0';
		log_info("reputation: %u categories, %llu entries, %.1f MiB, loaded in %.3f s", ncat,
			 (unsigned long long)r->entries, (double)iprep_memory(r) / (1024.0 * 1024.0),
			 (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	}
	return r;
fail:
	*e = le;
	iprep_free(r);
	return NULL;
}

/* ---- lookups ---- */

unsigned iprep_category(const struct iprep *r, const char *name)
{
	if (!r || !*name)
		return 0;
	for (unsigned i = 1; i <= IPREP_MAX_CAT; i++)
		if (!strcmp(r->name[i], name))
			return i;
	return 0;
}

int iprep_get(const struct iprep *r, unsigned cat, uint8_t ver, const uint8_t *a)
{
	uint32_t v;
	if (!r || !cat || cat > IPREP_MAX_CAT || !r->l[cat] ||
	    !iplist_lookup_value(r->l[cat], ver, a, &v))
		return -1;
	return (int)v;
}

uint64_t iprep_entries(const struct iprep *r) { return r ? r->entries : 0; }

size_t iprep_memory(const struct iprep *r)
{
	if (!r)
		return 0;
	size_t m = sizeof(*r);
	for (unsigned i = 0; i <= IPREP_MAX_CAT; i++)
		m += iplist_memory(r->l[i]);
	return m;
}

/* ---- the keyword ---- */

int iprep_cond_parse(const struct iprep *r, const char *arg, struct iprep_cond *c, char *err,
		     size_t errlen)
{
	const char *f[5];
	size_t fl[5];
	size_t n = strlen(arg);
	int k = fields(arg, n, f, fl, 4);
	memset(c, 0, sizeof(*c));
	if (k != 3 && k != 4) {
		snprintf(err, errlen, "iprep: expected side,category,op,value or side,category,isset|isnotset");
		return -1;
	}
	static const char *const sides[] = { "any", "src", "dst", "both" };
	int side = -1;
	for (int i = 0; i < 4; i++)
		if (fl[0] == strlen(sides[i]) && !memcmp(f[0], sides[i], fl[0]))
			side = i;
	if (side < 0) {
		snprintf(err, errlen, "iprep: side \"%.*s\" is not any, src, dst or both", (int)fl[0], f[0]);
		return -1;
	}
	c->side = (uint8_t)side;
	char name[IPREP_NAME_MAX + 1];
	if (!r) {
		snprintf(err, errlen, "iprep: no IP reputation configured (reputation-categories-file, reputation-files)");
		return -1;
	}
	if (!fl[1] || fl[1] > IPREP_NAME_MAX) {
		snprintf(err, errlen, "iprep: unknown category \"%.*s\"", (int)MIN(fl[1], 64), f[1]);
		return -1;
	}
	memcpy(name, f[1], fl[1]);
	name[fl[1]] = '\0';
	unsigned cat = iprep_category(r, name);
	if (!cat) {
		snprintf(err, errlen, "iprep: unknown category \"%s\" (not in reputation-categories-file)", name);
		return -1;
	}
	c->cat = (uint8_t)cat;
	if (k == 3) {
		if (fl[2] == 5 && !memcmp(f[2], "isset", 5))
			c->op = IPREP_ISSET;
		else if (fl[2] == 8 && !memcmp(f[2], "isnotset", 8))
			c->op = IPREP_ISNOTSET;
		else {
			snprintf(err, errlen, "iprep: \"%.*s\" is not isset or isnotset (or give op,value)",
				 (int)MIN(fl[2], 64), f[2]);
			return -1;
		}
		return 0;
	}
	static const struct { const char *s; uint8_t op; } ops[] = {
		{ "<", IPREP_LT }, { ">", IPREP_GT }, { "=", IPREP_EQ }, { "==", IPREP_EQ },
		{ "!=", IPREP_NE }, { "!", IPREP_NE }, { "<=", IPREP_LE }, { ">=", IPREP_GE },
	};
	int op = -1;
	for (size_t i = 0; i < ARRAY_SIZE(ops); i++)
		if (fl[2] == strlen(ops[i].s) && !memcmp(f[2], ops[i].s, fl[2]))
			op = ops[i].op;
	int v = small_num(f[3], fl[3], 255);
	if (op < 0 || v < 0) {
		snprintf(err, errlen, "iprep: \"%.*s,%.*s\" is not an operator (< > = != <= >=) and a value 0-255",
			 (int)MIN(fl[2], 16), f[2], (int)MIN(fl[3], 16), f[3]);
		return -1;
	}
	c->op = (uint8_t)op;
	c->val = (uint8_t)v;
	return 0;
}

/* whether a score that is there compares */
static bool cmp(const struct iprep_cond *c, int v)
{
	switch (c->op) {
	case IPREP_LT: return v < c->val;
	case IPREP_GT: return v > c->val;
	case IPREP_EQ: return v == c->val;
	case IPREP_NE: return v != c->val;
	case IPREP_LE: return v <= c->val;
	case IPREP_GE: return v >= c->val;
	case IPREP_ISSET: return true;
	}
	return false; /* isnotset: a score is there */
}

bool iprep_cond_match(const struct iprep *r, const struct iprep_cond *c, uint8_t ver,
		      const uint8_t *src, const uint8_t *dst)
{
	if (ver != 4 && ver != 6)
		return false;
	bool notset = c->op == IPREP_ISNOTSET;
	int s, d;
	switch (c->side) {
	case IPREP_ANY:
		s = iprep_get(r, c->cat, ver, src);
		if (notset && s < 0)
			return true;
		if (!notset && s >= 0 && cmp(c, s))
			return true;
		d = iprep_get(r, c->cat, ver, dst);
		return notset ? d < 0 : d >= 0 && cmp(c, d);
	case IPREP_SRC:
	case IPREP_DST:
		s = iprep_get(r, c->cat, ver, c->side == IPREP_SRC ? src : dst);
		return s >= 0 ? cmp(c, s) : notset;
	case IPREP_BOTH:
		s = iprep_get(r, c->cat, ver, src);
		d = iprep_get(r, c->cat, ver, dst);
		if (notset)
			return s < 0 && d < 0;
		return s >= 0 && d >= 0 && cmp(c, s) && cmp(c, d);
	}
	return false;
}
