/*
 * json.c - see json.h.  The escaper validates UTF-8 as it goes (RFC 3629:
 * no overlongs, no surrogates, nothing above U+10FFFF); each byte that does
 * not start a valid sequence is written as \u00XX so one bad byte never
 * swallows the ones after it.
 */
#include "json.h"
#include <ctype.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jb_fini(struct jbuf *jb)
{
	free(jb->buf);
	memset(jb, 0, sizeof(*jb));
}

void jb_reset(struct jbuf *jb)
{
	jb->len = 0;
	jb->oom = false;
	jb->depth = 0;
	jb->need_comma[0] = false;
}

static bool jb_reserve(struct jbuf *jb, size_t n)
{
	if (jb->oom)
		return false;
	if (n <= jb->cap - jb->len)
		return true;
	size_t cap = jb->cap ? jb->cap : 256;
	while (cap - jb->len < n) {
		if (cap > SIZE_MAX / 2) {
			jb->oom = true;
			return false;
		}
		cap *= 2;
	}
	char *b = realloc(jb->buf, cap);
	if (!b) {
		jb->oom = true;
		return false;
	}
	jb->buf = b;
	jb->cap = cap;
	return true;
}

void jb_append(struct jbuf *jb, const char *s, size_t len)
{
	if (!jb_reserve(jb, len))
		return;
	memcpy(jb->buf + jb->len, s, len);
	jb->len += len;
}

static void jb_putc(struct jbuf *jb, char c)
{
	if (!jb_reserve(jb, 1))
		return;
	jb->buf[jb->len++] = c;
}

/* Length of the valid UTF-8 sequence starting at s, or 0. */
static size_t utf8_seq_len(const uint8_t *s, size_t left)
{
	uint8_t c = s[0];
	size_t n;
	uint32_t cp;
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	if (n > left)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

void jb_escape(struct jbuf *jb, const uint8_t *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0;
	while (i < len) {
		size_t run = i;
		/* fast path: printable ASCII that needs no escape */
		while (run < len && s[run] >= 0x20 && s[run] < 0x7f && s[run] != '"' &&
		       s[run] != '\\')
			run++;
		if (run > i) {
			jb_append(jb, (const char *)s + i, run - i);
			i = run;
			continue;
		}
		uint8_t c = s[i];
		char esc[6];
		switch (c) {
		case '"': jb_append(jb, "\\\"", 2); i++; continue;
		case '\\': jb_append(jb, "\\\\", 2); i++; continue;
		case '\n': jb_append(jb, "\\n", 2); i++; continue;
		case '\r': jb_append(jb, "\\r", 2); i++; continue;
		case '\t': jb_append(jb, "\\t", 2); i++; continue;
		default: break;
		}
		size_t n = c >= 0x80 ? utf8_seq_len(s + i, len - i) : 0;
		if (n > 1) {
			jb_append(jb, (const char *)s + i, n);
			i += n;
			continue;
		}
		esc[0] = '\\';
		esc[1] = 'u';
		esc[2] = '0';
		esc[3] = '0';
		esc[4] = hex[c >> 4];
		esc[5] = hex[c & 15];
		jb_append(jb, esc, 6);
		i++;
	}
}

static void jb_key(struct jbuf *jb, const char *key)
{
	int d = jb->depth;
	/* top-level values are separate records (one per line): no comma */
	if (d > 0 && jb->need_comma[d])
		jb_putc(jb, ',');
	jb->need_comma[d] = true;
	if (key) {
		/* keys are string literals from vigil's own code: plain ASCII
		 * with nothing to escape */
		size_t kl = strlen(key);
		if (!jb_reserve(jb, kl + 3))
			return;
		jb->buf[jb->len++] = '"';
		memcpy(jb->buf + jb->len, key, kl);
		jb->len += kl;
		jb->buf[jb->len++] = '"';
		jb->buf[jb->len++] = ':';
	}
}

static void jb_open(struct jbuf *jb, const char *key, char c)
{
	jb_key(jb, key);
	jb_putc(jb, c);
	if (jb->depth + 1 >= JB_MAX_DEPTH) {
		jb->oom = true; /* programming error: too deep; refuse the record */
		return;
	}
	jb->depth++;
	jb->need_comma[jb->depth] = false;
	jb->closer[jb->depth] = c == '{' ? '}' : ']';
}

void jb_open_object(struct jbuf *jb, const char *key) { jb_open(jb, key, '{'); }
void jb_open_array(struct jbuf *jb, const char *key) { jb_open(jb, key, '['); }

void jb_close(struct jbuf *jb)
{
	if (jb->depth <= 0) {
		jb->oom = true;
		return;
	}
	jb_putc(jb, jb->closer[jb->depth]);
	jb->depth--;
}

void jb_strn(struct jbuf *jb, const char *key, const uint8_t *s, size_t len)
{
	jb_key(jb, key);
	jb_putc(jb, '"');
	jb_escape(jb, s, len);
	jb_putc(jb, '"');
}

void jb_str(struct jbuf *jb, const char *key, const char *s)
{
	jb_strn(jb, key, (const uint8_t *)s, strlen(s));
}

void jb_u64(struct jbuf *jb, const char *key, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp);
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	jb_key(jb, key);
	jb_append(jb, tmp + i, sizeof(tmp) - i);
}

void jb_i64(struct jbuf *jb, const char *key, int64_t v)
{
	char tmp[24];
	int n = snprintf(tmp, sizeof(tmp), "%" PRId64, v);
	jb_key(jb, key);
	jb_append(jb, tmp, (size_t)n);
}

void jb_bool(struct jbuf *jb, const char *key, bool v)
{
	jb_key(jb, key);
	if (v)
		jb_append(jb, "true", 4);
	else
		jb_append(jb, "false", 5);
}

void jb_raw(struct jbuf *jb, const char *key, const char *raw)
{
	jb_key(jb, key);
	jb_append(jb, raw, strlen(raw));
}

bool json_head_str(const char *rec, size_t len, const char *key, char *out, size_t cap)
{
	char pat[64];
	int pl = snprintf(pat, sizeof(pat), "\"%s\":\"", key);
	if (pl < 0 || (size_t)pl >= sizeof(pat) || !cap)
		return false;
	const char *p = memmem(rec, len < 512 ? len : 512, pat, (size_t)pl);
	if (!p)
		return false;
	p += pl;
	size_t i = 0;
	while (p + i < rec + len && p[i] != '"' && p[i] != '\\' && i + 1 < cap) {
		out[i] = p[i];
		i++;
	}
	out[i] = '\0';
	return p + i < rec + len && p[i] == '"';
}

/* ---- reading: json_walk ---- */

struct walk {
	const char *p, *end;
	json_walk_cb cb;
	void *ctx;
	char path[256];
	size_t plen;
	int depth;
};

static void ws(struct walk *w)
{
	while (w->p < w->end && (*w->p == ' ' || *w->p == '\t' || *w->p == '\n' || *w->p == '\r'))
		w->p++;
}

/* a string token after its opening quote: its text's end */
static bool str_tok(struct walk *w, const char **s, size_t *n)
{
	const char *b = w->p;
	while (w->p < w->end) {
		unsigned char c = (unsigned char)*w->p;
		if (c == '"') {
			*s = b;
			*n = (size_t)(w->p - b);
			w->p++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c == '\\') {
			if (++w->p >= w->end)
				return false;
			c = (unsigned char)*w->p;
			if (c == 'u') {
				for (int i = 1; i <= 4; i++)
					if (w->p + i >= w->end || !isxdigit((unsigned char)w->p[i]))
						return false;
				w->p += 4;
			} else if (!strchr("\"\\/bfnrt", c) || !c) {
				return false;
			}
		}
		w->p++;
	}
	return false;
}

static bool num_tok(struct walk *w)
{
	const char *p = w->p;
	if (p < w->end && *p == '-')
		p++;
	if (p >= w->end || !isdigit((unsigned char)*p))
		return false;
	if (*p == '0')
		p++;
	else
		while (p < w->end && isdigit((unsigned char)*p))
			p++;
	if (p < w->end && *p == '.') {
		if (++p >= w->end || !isdigit((unsigned char)*p))
			return false;
		while (p < w->end && isdigit((unsigned char)*p))
			p++;
	}
	if (p < w->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < w->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= w->end || !isdigit((unsigned char)*p))
			return false;
		while (p < w->end && isdigit((unsigned char)*p))
			p++;
	}
	w->p = p;
	return true;
}

/* one more path component: ".key" (no dot first), or "[n]" for an
 * array element.  A key that holds '.', '[', ']' or an escape would make
 * the path ambiguous: it is written as "\x01", which no path a reader
 * looks for contains. */
static void path_push(struct walk *w, const char *k, size_t n, bool index, size_t *saved)
{
	*saved = w->plen;
	char tmp[16];
	size_t at = w->plen, cap = sizeof(w->path) - 1;
	if (!index && (memchr(k, '.', n) || memchr(k, '[', n) || memchr(k, ']', n) ||
		       memchr(k, '\\', n))) {
		k = "\x01";
		n = 1;
	}
	if (index) {
		n = (size_t)snprintf(tmp, sizeof(tmp), "[%.*s]", (int)n, k);
		k = tmp;
	} else if (at && at < cap) {
		w->path[at++] = '.';
	}
	if (n > cap - at)
		n = cap - at;
	memcpy(w->path + at, k, n);
	w->plen = at + n;
	w->path[w->plen] = '\0';
}

static void path_pop(struct walk *w, size_t saved)
{
	w->plen = saved;
	w->path[saved] = '\0';
}

static bool value(struct walk *w)
{
	ws(w);
	if (w->p >= w->end)
		return false;
	const char *b = w->p;
	char c = *w->p;
	if (c == '{' || c == '[') {
		if (++w->depth > JB_MAX_DEPTH)
			return false;
		w->p++;
		ws(w);
		char close = c == '{' ? '}' : ']';
		if (w->p < w->end && *w->p == close) {
			w->p++;
			w->depth--;
			return true;
		}
		for (unsigned idx = 0;; idx++) {
			size_t saved;
			if (c == '{') {
				const char *k;
				size_t kn;
				if (w->p >= w->end || *w->p != '"')
					return false;
				w->p++;
				if (!str_tok(w, &k, &kn))
					return false;
				ws(w);
				if (w->p >= w->end || *w->p != ':')
					return false;
				w->p++;
				path_push(w, k, kn, false, &saved);
			} else {
				char num[12];
				int n = snprintf(num, sizeof(num), "%u", idx);
				path_push(w, num, (size_t)n, true, &saved);
			}
			if (!value(w))
				return false;
			path_pop(w, saved);
			ws(w);
			if (w->p >= w->end)
				return false;
			if (*w->p == ',') {
				w->p++;
				ws(w);
				continue;
			}
			if (*w->p != close)
				return false;
			w->p++;
			w->depth--;
			return true;
		}
	}
	if (c == '"') {
		const char *s;
		size_t n;
		w->p++;
		if (!str_tok(w, &s, &n))
			return false;
		w->cb(w->ctx, w->path, w->plen, JW_STR, s, n);
		return true;
	}
	static const struct { const char *lit; size_t n; enum json_kind k; } lits[] = {
		{ "true", 4, JW_BOOL }, { "false", 5, JW_BOOL }, { "null", 4, JW_NULL }
	};
	for (size_t i = 0; i < sizeof(lits) / sizeof(lits[0]); i++)
		if ((size_t)(w->end - w->p) >= lits[i].n && !memcmp(w->p, lits[i].lit, lits[i].n)) {
			w->p += lits[i].n;
			w->cb(w->ctx, w->path, w->plen, lits[i].k, b, lits[i].n);
			return true;
		}
	if (!num_tok(w))
		return false;
	w->cb(w->ctx, w->path, w->plen, JW_NUM, b, (size_t)(w->p - b));
	return true;
}

bool json_walk(const char *rec, size_t len, json_walk_cb cb, void *ctx)
{
	struct walk w = { .p = rec, .end = rec + len, .cb = cb, .ctx = ctx };
	ws(&w);
	if (w.p >= w.end || *w.p != '{' || !value(&w))
		return false;
	ws(&w);
	return w.p == w.end;
}

static unsigned hex4(const char *p)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	return v;
}

size_t json_unescape(const char *v, size_t vlen, char *out, size_t cap)
{
	size_t o = 0, i = 0;
	if (!cap)
		return 0;
	while (i < vlen) {
		char tmp[4];
		size_t n = 1;
		if (v[i] != '\\') {
			tmp[0] = v[i++];
		} else if (i + 1 < vlen && v[i + 1] != 'u') {
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			const char *f = strchr(from, v[i + 1]);
			tmp[0] = f ? to[f - from] : v[i + 1];
			i += 2;
		} else if (i + 6 <= vlen) {
			unsigned cp = hex4(v + i + 2);
			i += 6;
			if (cp >= 0xd800 && cp < 0xdc00 && i + 6 <= vlen && v[i] == '\\' && v[i + 1] == 'u') {
				unsigned lo = hex4(v + i + 2);
				if (lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
					i += 6;
				}
			}
			/* a lone surrogate stays a 3-byte sequence, as SQLite's
			 * json_extract leaves it */
			if (cp < 0x80) {
				tmp[0] = (char)cp;
			} else if (cp < 0x800) {
				tmp[0] = (char)(0xc0 | cp >> 6);
				tmp[1] = (char)(0x80 | (cp & 0x3f));
				n = 2;
			} else if (cp < 0x10000) {
				tmp[0] = (char)(0xe0 | cp >> 12);
				tmp[1] = (char)(0x80 | (cp >> 6 & 0x3f));
				tmp[2] = (char)(0x80 | (cp & 0x3f));
				n = 3;
			} else {
				tmp[0] = (char)(0xf0 | cp >> 18);
				tmp[1] = (char)(0x80 | (cp >> 12 & 0x3f));
				tmp[2] = (char)(0x80 | (cp >> 6 & 0x3f));
				tmp[3] = (char)(0x80 | (cp & 0x3f));
				n = 4;
			}
		} else {
			break; /* cut escape: json_walk never gives one */
		}
		if (o + n >= cap)
			break;
		memcpy(out + o, tmp, n);
		o += n;
	}
	out[o] = '\0';
	return o;
}
