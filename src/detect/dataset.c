/*
 * dataset.c - see dataset.h.
 *
 * A set is an open-addressing table of (hash, offset, length) over an
 * arena of the values' bytes; removal leaves a tombstone.  The table
 * doubles at 3/4 full (tombstones counted) and the arena doubles when
 * full, both within the set's memcap (64 MB unless the rule says) and
 * all sets' 512 MB together: a value that would pass either is not added
 * (set answers no match, a file that does not fit is an error).
 */
#include "dataset.h"

#include <arpa/inet.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "json.h"
#include "log.h"
#include "util.h"

#define DS_MAX 256
#define DS_MEMCAP_DEFAULT (64ull << 20)
#define DS_TOTAL_MAX (512ull << 20)  /* all sets together */
#define DS_VALUE_MAX 65535

struct ds_slot {
	uint64_t h;     /* 0: empty, 1: removed */
	uint32_t off, len;
};

struct dataset {
	char name[64];
	enum ds_type type;
	char *save;               /* written at exit, or NULL */
	uint64_t memcap;
	pthread_rwlock_t lock;
	struct ds_slot *t;
	uint32_t cap, used, live; /* used: live + removed */
	uint8_t *arena;
	uint64_t alen, acap;
	uint64_t refused;
	bool rep;                 /* a datarep set: each value's reputation follows it (4 bytes) */
	bool json;                /* a datajson set: each value's object follows it (length, bytes) */
};

static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct dataset *reg[DS_MAX];
static unsigned nreg;
static _Atomic uint64_t total_mem; /* every set's table and arena */

/* Charges n more bytes to ds and to all sets together: false (nothing
 * charged) when either cap would be passed. */
static bool charge(const struct dataset *ds, uint64_t now, uint64_t then)
{
	if (then <= now)
		return true;
	if (then > ds->memcap)
		return false;
	uint64_t t = atomic_fetch_add(&total_mem, then - now);
	if (t + (then - now) > DS_TOTAL_MAX) {
		atomic_fetch_sub(&total_mem, then - now);
		return false;
	}
	return true;
}

static const char *const type_names[] = { "string", "md5", "sha256", "ipv4", "ip" };

static uint64_t hv(const uint8_t *v, uint32_t len)
{
	uint64_t h = hash_bytes(v, len, 0x5eed);
	return h < 2 ? h + 2 : h;
}

static uint64_t mem_of(const struct dataset *ds, uint64_t cap, uint64_t acap)
{
	(void)ds;
	return cap * sizeof(struct ds_slot) + acap;
}

static bool grow_table(struct dataset *ds)
{
	uint32_t nc = ds->cap ? ds->cap * 2 : 1024;
	if (nc < ds->cap || !charge(ds, mem_of(ds, ds->cap, ds->acap), mem_of(ds, nc, ds->acap)))
		return false;
	struct ds_slot *t = v_calloc(nc, sizeof(*t));
	if (!t) {
		atomic_fetch_sub(&total_mem, (uint64_t)(nc - ds->cap) * sizeof(struct ds_slot));
		return false;
	}
	for (uint32_t i = 0; i < ds->cap; i++) {
		const struct ds_slot *s = &ds->t[i];
		if (s->h < 2)
			continue;
		uint32_t k = (uint32_t)(s->h & (nc - 1));
		while (t[k].h)
			k = (k + 1) & (nc - 1);
		t[k] = *s;
	}
	v_free(ds->t);
	ds->t = t;
	ds->cap = nc;
	ds->used = ds->live;
	return true;
}

/* The slot holding v, or the first free one for it (UINT32_MAX: full). */
static uint32_t find(const struct dataset *ds, uint64_t h, const uint8_t *v, uint32_t len,
		     bool *found)
{
	*found = false;
	if (!ds->cap)
		return UINT32_MAX;
	uint32_t k = (uint32_t)(h & (ds->cap - 1)), free_at = UINT32_MAX;
	for (uint32_t n = 0; n < ds->cap; n++, k = (k + 1) & (ds->cap - 1)) {
		const struct ds_slot *s = &ds->t[k];
		if (!s->h)
			return free_at != UINT32_MAX ? free_at : k;
		if (s->h == 1) {
			if (free_at == UINT32_MAX)
				free_at = k;
			continue;
		}
		if (s->h == h && s->len == len && (!len || !memcmp(ds->arena + s->off, v, len))) {
			*found = true;
			return k;
		}
	}
	return free_at;
}

/* Adds v (the write lock held): 1 added, 0 there already, -1 refused.
 * A datarep set keeps rep after the value's bytes. */
static int add_locked_json(struct dataset *ds, const uint8_t *v, uint32_t len, uint32_t rep,
			   const char *js, uint32_t jlen);
static int add_locked(struct dataset *ds, const uint8_t *v, uint32_t len, uint32_t rep)
{
	return add_locked_json(ds, v, len, rep, NULL, 0);
}

/* add_locked, with a datajson set's object js/jlen kept after the value
 * (the first of duplicates stays, as Suricata keeps it). */
static int add_locked_json(struct dataset *ds, const uint8_t *v, uint32_t len, uint32_t rep,
			   const char *js, uint32_t jlen)
{
	uint64_t extra = ds->rep ? 4u : ds->json ? 4u + (uint64_t)jlen : 0u;
	uint64_t h = hv(v, len);
	bool found;
	uint32_t k = find(ds, h, v, len, &found);
	if (found)
		return 0;
	if (k == UINT32_MAX || (uint64_t)(ds->used + 1) * 4 > (uint64_t)ds->cap * 3) {
		if (!grow_table(ds)) {
			ds->refused++;
			return -1;
		}
		k = find(ds, h, v, len, &found);
	}
	if (ds->alen + len + extra > ds->acap) {
		uint64_t na = ds->acap ? ds->acap : 4096;
		while (na < ds->alen + len + extra)
			na *= 2;
		bool ok = na <= UINT32_MAX &&
			  charge(ds, mem_of(ds, ds->cap, ds->acap), mem_of(ds, ds->cap, na));
		uint8_t *a = ok ? v_realloc(ds->arena, na) : NULL;
		if (!a) {
			if (ok)
				atomic_fetch_sub(&total_mem, na - ds->acap);
			ds->refused++;
			return -1;
		}
		ds->arena = a;
		ds->acap = na;
	}
	if (len) /* (an empty value has no bytes, and the arena may be none yet) */
		memcpy(ds->arena + ds->alen, v, len);
	if (ds->rep)
		memcpy(ds->arena + ds->alen + len, &rep, 4);
	if (ds->json) {
		memcpy(ds->arena + ds->alen + len, &jlen, 4);
		if (jlen)
			memcpy(ds->arena + ds->alen + len + 4, js, jlen);
	}
	if (!ds->t[k].h)
		ds->used++;
	ds->t[k] = (struct ds_slot){ h, (uint32_t)ds->alen, len };
	ds->alen += len + extra;
	ds->live++;
	return 1;
}

static size_t value_len(enum ds_type t)
{
	return t == DS_MD5 ? 16 : t == DS_SHA256 ? 32 : t == DS_IPV4 ? 4 : t == DS_IP ? 16 : 0;
}

/* An IPv4 address as an ip set stores it: IPv4-mapped IPv6 */
static void ipv4_mapped(uint8_t out[16], const uint8_t a4[4])
{
	uint8_t a[4];
	memcpy(a, a4, 4); /* (a4 may be out) */
	memset(out, 0, 10);
	out[10] = out[11] = 0xff;
	memcpy(out + 12, a, 4);
}

/* A buffer as ds's values are stored (an ip set's IPv4 address mapped
 * into mapped): false when it cannot be a value of ds's type. */
static bool as_value(const struct dataset *ds, const uint8_t **v, uint32_t *len, uint8_t mapped[16])
{
	if (ds->type == DS_IP && *len == 4) {
		ipv4_mapped(mapped, *v);
		*v = mapped;
		*len = 16;
	}
	size_t want = value_len(ds->type);
	return !(want && *len != want) && *len && *len <= DS_VALUE_MAX;
}

static int b64val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z') return c - 'A';
	if (c >= 'a' && c <= 'z') return c - 'a' + 26;
	if (c >= '0' && c <= '9') return c - '0' + 52;
	if (c == '+') return 62;
	if (c == '/') return 63;
	return -1;
}

/* Standard base64, padding optional; -1 when it is not. */
static long b64_decode(const char *s, size_t n, uint8_t *out, size_t cap)
{
	while (n && s[n - 1] == '=')
		n--;
	if (n % 4 == 1)
		return -1; /* a lone sixth of a byte */
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < n; i++) {
		int v = b64val((uint8_t)s[i]);
		if (v < 0)
			return -1;
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			if (o >= cap)
				return -1;
			out[o++] = (uint8_t)(acc >> bits);
		}
	}
	return (long)o;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9') return c - '0';
	if (c >= 'a' && c <= 'f') return c - 'a' + 10;
	if (c >= 'A' && c <= 'F') return c - 'A' + 10;
	return -1;
}

/* One value of a file, as the set stores it (raw bytes).  -1: not one
 * of this type. */
static long parse_value(enum ds_type t, const char *s, size_t n, bool plain, uint8_t *out,
			size_t cap)
{
	char tmp[64];
	switch (t) {
	case DS_STRING:
		if (plain) {
			if (n > cap)
				return -1;
			memcpy(out, s, n);
			return (long)n;
		}
		return b64_decode(s, n, out, cap);
	case DS_MD5:
	case DS_SHA256: {
		size_t want = t == DS_MD5 ? 16 : 32;
		if (n != want * 2)
			return -1;
		for (size_t i = 0; i < want; i++) {
			int a = hexval(s[2 * i]), b = hexval(s[2 * i + 1]);
			if (a < 0 || b < 0)
				return -1;
			out[i] = (uint8_t)(a << 4 | b);
		}
		return (long)want;
	}
	case DS_IPV4:
	case DS_IP:
		if (n >= sizeof(tmp))
			return -1;
		memcpy(tmp, s, n);
		tmp[n] = 0;
		if (inet_pton(AF_INET, tmp, out) == 1) {
			if (t == DS_IPV4)
				return 4;
			ipv4_mapped(out, out); /* an IPv4 address in an ip set */
			return 16;
		}
		if (t == DS_IP && inet_pton(AF_INET6, tmp, out) == 1)
			return 16;
		return -1;
	}
	return -1;
}

struct json_pick {
	const char *key;
	const char *v;
	size_t n;
	bool str;
};

static void pick_cb(void *ctx, const char *path, size_t plen, enum json_kind k, const char *v,
		    size_t vlen)
{
	struct json_pick *jp = ctx;
	if (!jp->v && strlen(jp->key) == plen && !memcmp(jp->key, path, plen)) {
		jp->v = v;
		jp->n = vlen;
		jp->str = k == JW_STR;
	}
}

/* remove_key: obj without the member the value came from (v: its string
 * token's text in obj).  The member is found backwards from the value
 * (its key and the colon), and one comma beside it goes with it. */
static size_t drop_member(const char *obj, size_t n, const char *v, size_t vlen, char *out,
			  size_t cap)
{
	const char *s = v - 1, *e = v + vlen + 1; /* the value's quotes */
	const char *p = s - 1;
	while (p > obj && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p--;
	if (p <= obj || *p != ':')
		return 0;
	p--;
	while (p > obj && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p--;
	if (p <= obj || *p != '"')
		return 0;
	p--;
	while (p > obj && !(*p == '"' && p[-1] != '\\'))
		p--;
	if (p <= obj || *p != '"')
		return 0;
	s = p; /* the key's opening quote */
	const char *q = e;
	while (q < obj + n && (*q == ' ' || *q == '\t' || *q == '\n' || *q == '\r'))
		q++;
	if (q < obj + n && *q == ',') {
		e = q + 1; /* the comma after it, and the blanks after that */
		while (e < obj + n && (*e == ' ' || *e == '\t' || *e == '\n' || *e == '\r'))
			e++;
	} else {
		const char *b = s - 1;
		while (b > obj && (*b == ' ' || *b == '\t' || *b == '\n' || *b == '\r'))
			b--;
		if (*b == ',')
			s = b; /* the last member: the comma before it */
	}
	size_t k = (size_t)(s - obj), m = n - (size_t)(e - obj);
	if (k + m + 1 > cap)
		return 0;
	memcpy(out, obj, k);
	memcpy(out + k, e, m);
	out[k + m] = 0;
	return k + m;
}

/* One JSON object of a datajson / ndjson file: its value (at value_key)
 * into the set, with the object when the set keeps it.  0, or -1 with
 * err naming where. */
static int load_obj(struct dataset *ds, const struct ds_open *o, const char *obj, size_t n,
		    unsigned lineno, uint8_t *val, char *unesc, char *err, size_t errlen)
{
	struct json_pick jp = { o->value_key ? o->value_key : "value", NULL, 0, false };
	if (!json_walk(obj, n, pick_cb, &jp) || !jp.v || !jp.str) {
		snprintf(err, errlen, "%s:%u: dataset %s: not a JSON object with a string \"%s\"",
			 o->load, lineno, o->name, jp.key);
		return -1;
	}
	size_t sl = json_unescape(jp.v, jp.n, unesc, DS_VALUE_MAX + 1);
	long vl = parse_value(ds->type, unesc, sl, true, val, DS_VALUE_MAX);
	if (vl <= 0) {
		snprintf(err, errlen, "%s:%u: dataset %s: not a %s value", o->load, lineno, o->name,
			 type_names[ds->type]);
		return -1;
	}
	const char *js = NULL;
	size_t jn = 0;
	if (ds->json) {
		js = obj;
		jn = n;
		if (o->remove_key) {
			jn = drop_member(obj, n, jp.v, jp.n, unesc, DS_VALUE_MAX + 1);
			js = unesc;
		}
		if (jn > DS_VALUE_MAX)
			jn = 0;
	}
	if (add_locked_json(ds, val, (uint32_t)vl, 0, js, (uint32_t)jn) < 0) {
		snprintf(err, errlen, "%s:%u: dataset %s: memcap (%llu bytes) reached", o->load, lineno,
			 o->name, (unsigned long long)ds->memcap);
		return -1;
	}
	return 0;
}

/* format json: the file is one array of objects, each loaded as a line
 * of ndjson is.  The file is read whole, within the set's memcap. */
static int load_array(struct dataset *ds, const struct ds_open *o, FILE *f, char *err,
		      size_t errlen)
{
	int rc = -1;
	size_t cap = 0, n = 0;
	char *buf = NULL;
	uint8_t *val = v_malloc(DS_VALUE_MAX);
	char *unesc = v_malloc(DS_VALUE_MAX + 1);
	if (!val || !unesc)
		goto oom;
	for (;;) {
		if (n + 4096 > cap) {
			size_t nc = cap ? cap * 2 : 65536;
			if (nc > ds->memcap) {
				snprintf(err, errlen, "%s: dataset %s: file larger than its memcap", o->load,
					 o->name);
				goto out;
			}
			char *nb = v_realloc(buf, nc);
			if (!nb)
				goto oom;
			buf = nb;
			cap = nc;
		}
		size_t k = fread(buf + n, 1, cap - n, f);
		n += k;
		if (!k)
			break;
	}
	size_t i = 0;
	unsigned line = 1;
	while (i < n && buf[i] != '[') {
		if (buf[i] == '\n')
			line++;
		if (buf[i] != ' ' && buf[i] != '\t' && buf[i] != '\n' && buf[i] != '\r') {
			snprintf(err, errlen, "%s:%u: dataset %s: not a JSON array", o->load, line, o->name);
			goto out;
		}
		i++;
	}
	/* each object at depth 1 (strings skipped, nesting counted) */
	int depth = 0;
	size_t start = 0;
	unsigned start_line = line;
	bool instr = false;
	for (; i < n; i++) {
		char c = buf[i];
		if (c == '\n')
			line++;
		if (instr) {
			if (c == '\\')
				i++;
			else if (c == '"')
				instr = false;
			continue;
		}
		if (c == '"') {
			instr = true;
		} else if (c == '[' || c == '{') {
			if (++depth > 64) {
				snprintf(err, errlen, "%s:%u: dataset %s: JSON nested too deep", o->load, line,
					 o->name);
				goto out;
			}
			if (depth == 2 && c == '{') {
				start = i;
				start_line = line;
			}
		} else if (c == ']' || c == '}') {
			if (depth == 2 && c == '}' &&
			    load_obj(ds, o, buf + start, i + 1 - start, start_line, val, unesc, err, errlen) < 0)
				goto out;
			if (--depth == 0)
				break;
		}
	}
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	v_free(buf);
	v_free(val);
	v_free(unesc);
	return rc;
}

static int load(struct dataset *ds, const struct ds_open *o, char *err, size_t errlen)
{
	FILE *f = fopen(o->load, "r");
	if (!f) {
		if (errno == ENOENT && o->save && !strcmp(o->load, o->save))
			return 0; /* a state file not written yet */
		snprintf(err, errlen, "dataset %s: %s: %s", o->name, o->load, strerror(errno));
		return -1;
	}
	if (o->json_array) {
		int r = load_array(ds, o, f, err, errlen);
		fclose(f);
		return r;
	}
	char *line = NULL;
	size_t lcap = 0;
	ssize_t n;
	unsigned lineno = 0;
	int rc = 0;
	uint8_t *val = v_malloc(DS_VALUE_MAX);
	char *unesc = v_malloc(DS_VALUE_MAX + 1);
	if (!val || !unesc) {
		snprintf(err, errlen, "out of memory");
		rc = -1;
	}
	while (!rc && (n = getline(&line, &lcap, f)) >= 0) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		if (!n || line[0] == '#')
			continue;
		const char *s = line;
		size_t sl = (size_t)n;
		bool plain = false;
		uint32_t rep = 0;
		if (o->ndjson) {
			rc = load_obj(ds, o, line, (size_t)n, lineno, val, unesc, err, errlen);
			continue;
		} else {
			/* "value[,reputation]": a datarep file's lines carry a
			 * reputation (0-65535, Suricata's u16), a dataset's do not;
			 * a file mixing the two is refused, as Suricata does */
			const char *comma = memchr(line, ',', (size_t)n);
			if (comma)
				sl = (size_t)(comma - line);
			if (!comma != !ds->rep) {
				snprintf(err, errlen,
					 "%s:%u: Cannot mix dataset and datarep values for set %s (a %s line %s a "
					 "reputation)", o->load, lineno, o->name, ds->rep ? "datarep" : "dataset",
					 ds->rep ? "without" : "with");
				rc = -1;
				break;
			}
			if (ds->rep) {
				char *e;
				unsigned long x = strtoul(comma + 1, &e, 10);
				if (e == comma + 1 || *e || comma[1] == '-' || comma[1] == '+' || x > 65535) {
					snprintf(err, errlen, "%s:%u: invalid datarep value %s in %s (not 0-65535)",
						 o->load, lineno, o->name, o->load);
					rc = -1;
					break;
				}
				rep = (uint32_t)x;
			}
		}
		long vl = parse_value(ds->type, s, sl, plain, val, DS_VALUE_MAX);
		if (vl <= 0) {
			snprintf(err, errlen, "%s:%u: dataset %s: not a %s value%s", o->load, lineno, o->name,
				 type_names[ds->type], ds->type == DS_STRING ? " (base64)" : "");
			rc = -1;
			break;
		}
		if (add_locked(ds, val, (uint32_t)vl, rep) < 0) {
			snprintf(err, errlen, "%s:%u: dataset %s: memcap (%llu bytes) reached", o->load,
				 lineno, o->name, (unsigned long long)ds->memcap);
			rc = -1;
		}
	}
	free(line);
	v_free(val);
	v_free(unesc);
	fclose(f);
	return rc;
}

static void ds_free(struct dataset *ds)
{
	if (!ds)
		return;
	pthread_rwlock_destroy(&ds->lock);
	atomic_fetch_sub(&total_mem, mem_of(ds, ds->cap, ds->acap));
	v_free(ds->t);
	v_free(ds->arena);
	v_free(ds->save);
	v_free(ds);
}

struct dataset *dataset_open(const struct ds_open *o, char *err, size_t errlen)
{
	if (!o->name || !*o->name || strlen(o->name) >= sizeof(reg[0]->name)) {
		snprintf(err, errlen, "dataset: a name of 1 to 63 characters");
		return NULL;
	}
	pthread_mutex_lock(&reg_lock);
	struct dataset *ds = NULL;
	for (unsigned i = 0; i < nreg; i++)
		if (!strcmp(reg[i]->name, o->name)) {
			ds = reg[i];
			break;
		}
	if (ds) {
		if (ds->rep != o->rep) {
			snprintf(err, errlen, "dataset %s: used by both dataset and datarep", o->name);
			ds = NULL;
		} else if (!o->untyped && ds->type != o->type) {
			snprintf(err, errlen, "dataset %s: type %s, but it is a %s set", o->name,
				 type_names[o->type], type_names[ds->type]);
			ds = NULL;
		} else if (o->save && !ds->save) {
			ds->save = v_strdup(o->save);
		}
		pthread_mutex_unlock(&reg_lock);
		return ds;
	}
	if (o->untyped) {
		snprintf(err, errlen, "dataset %s: type missing (string, md5, sha256, ipv4 or ip)", o->name);
		pthread_mutex_unlock(&reg_lock);
		return NULL;
	}
	if (nreg >= DS_MAX) {
		snprintf(err, errlen, "dataset %s: more than %d datasets", o->name, DS_MAX);
		pthread_mutex_unlock(&reg_lock);
		return NULL;
	}
	ds = v_calloc(1, sizeof(*ds));
	if (!ds) {
		snprintf(err, errlen, "out of memory");
		pthread_mutex_unlock(&reg_lock);
		return NULL;
	}
	snprintf(ds->name, sizeof(ds->name), "%s", o->name);
	ds->type = o->type;
	ds->rep = o->rep;
	ds->json = o->json_ctx && !o->rep;
	ds->memcap = o->memcap ? o->memcap : DS_MEMCAP_DEFAULT;
	pthread_rwlock_init(&ds->lock, NULL);
	if ((o->save && !(ds->save = v_strdup(o->save))) || (o->load && load(ds, o, err, errlen) < 0)) {
		if (!err[0])
			snprintf(err, errlen, "out of memory");
		ds_free(ds);
		pthread_mutex_unlock(&reg_lock);
		return NULL;
	}
	reg[nreg++] = ds;
	pthread_mutex_unlock(&reg_lock);
	return ds;
}


bool dataset_cmd(struct dataset *ds, enum ds_cmd cmd, const uint8_t *v, uint32_t len)
{
	uint8_t mapped[16];
	if (!as_value(ds, &v, &len, mapped))
		return cmd == DS_ISNOTSET; /* no value of this type (or none): not in the set */
	uint64_t h = hv(v, len);
	bool found;
	if (cmd == DS_ISSET || cmd == DS_ISNOTSET) {
		pthread_rwlock_rdlock(&ds->lock);
		find(ds, h, v, len, &found);
		pthread_rwlock_unlock(&ds->lock);
		return cmd == DS_ISSET ? found : !found;
	}
	pthread_rwlock_wrlock(&ds->lock);
	bool r;
	if (cmd == DS_SET) {
		r = add_locked(ds, v, len, 0) == 1;
	} else {
		uint32_t k = find(ds, h, v, len, &found);
		if (found) {
			ds->t[k].h = 1; /* removed; its bytes stay in the arena */
			ds->live--;
		}
		r = found;
	}
	pthread_rwlock_unlock(&ds->lock);
	return r;
}

bool dataset_json(struct dataset *ds, const uint8_t *v, uint32_t len, char *out, size_t cap)
{
	uint8_t mapped[16];
	if (!ds->json || !cap || !as_value(ds, &v, &len, mapped))
		return false;
	bool found, ok = false;
	pthread_rwlock_rdlock(&ds->lock);
	uint32_t k = find(ds, hv(v, len), v, len, &found);
	if (found) {
		uint32_t jl;
		const uint8_t *at = ds->arena + ds->t[k].off + ds->t[k].len;
		memcpy(&jl, at, 4);
		if (jl && jl < cap) {
			memcpy(out, at + 4, jl);
			out[jl] = 0;
			ok = true;
		}
	}
	pthread_rwlock_unlock(&ds->lock);
	return ok;
}

bool dataset_rep(struct dataset *ds, const uint8_t *v, uint32_t len, uint32_t *rep)
{
	uint8_t mapped[16];
	if (!ds->rep || !as_value(ds, &v, &len, mapped))
		return false;
	bool found;
	pthread_rwlock_rdlock(&ds->lock);
	uint32_t k = find(ds, hv(v, len), v, len, &found);
	if (found)
		memcpy(rep, ds->arena + ds->t[k].off + ds->t[k].len, 4);
	pthread_rwlock_unlock(&ds->lock);
	return found;
}

uint64_t dataset_count(const struct dataset *ds)
{
	return ds ? ds->live : 0;
}

static int save_one(struct dataset *ds)
{
	char tmp[4200];
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", ds->save) >= (int)sizeof(tmp))
		return -1;
	FILE *f = fopen(tmp, "w");
	if (!f)
		return -1;
	pthread_rwlock_rdlock(&ds->lock);
	char *line = v_malloc(DS_VALUE_MAX * 2 + 8);
	int rc = line ? 0 : -1;
	for (uint32_t i = 0; !rc && i < ds->cap; i++) {
		const struct ds_slot *s = &ds->t[i];
		if (s->h < 2)
			continue;
		const uint8_t *v = ds->arena + s->off;
		if (ds->type == DS_STRING) {
			size_t n = base64_encode(v, s->len, line);
			line[n] = 0;
		} else if (ds->type == DS_IPV4 || ds->type == DS_IP) {
			bool m4 = ds->type == DS_IP && !memcmp(v, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12);
			inet_ntop(ds->type == DS_IPV4 || m4 ? AF_INET : AF_INET6, m4 ? v + 12 : v, line, 64);
		} else {
			for (uint32_t k = 0; k < s->len; k++)
				sprintf(line + 2 * k, "%02x", v[k]);
		}
		uint32_t rep = 0;
		if (ds->rep)
			memcpy(&rep, v + s->len, 4);
		if ((ds->rep ? fprintf(f, "%s,%u\n", line, rep) : fprintf(f, "%s\n", line)) < 0)
			rc = -1;
	}
	pthread_rwlock_unlock(&ds->lock);
	v_free(line);
	if (fclose(f) != 0)
		rc = -1;
	if (!rc && rename(tmp, ds->save) < 0)
		rc = -1;
	if (rc)
		unlink(tmp);
	return rc;
}

unsigned datasets_save_all(void)
{
	unsigned failed = 0;
	pthread_mutex_lock(&reg_lock);
	for (unsigned i = 0; i < nreg; i++)
		if (reg[i]->save && save_one(reg[i]) < 0) {
			log_warn("dataset %s: cannot write %s: %s", reg[i]->name, reg[i]->save,
				 strerror(errno));
			failed++;
		}
	pthread_mutex_unlock(&reg_lock);
	return failed;
}

void datasets_free_all(void)
{
	pthread_mutex_lock(&reg_lock);
	for (unsigned i = 0; i < nreg; i++)
		ds_free(reg[i]);
	nreg = 0;
	pthread_mutex_unlock(&reg_lock);
}
