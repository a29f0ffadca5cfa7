/*
 * pattern.c - OS_Match, OS_Regex and PCRE2 behind one interface.
 *
 * The Wazuh ruleset is written against OS_Regex's exact behaviour, which
 * is not that of any textbook regex: quantifiers are lazy with a one-byte
 * look-ahead ("the run ends where the next element accepts the byte"),
 * backtracking goes through a stack of at most four saved hand-overs,
 * an unanchored attempt restarts after the first byte it matched, and
 * what a decoder reads next ("after_regex") is the last matched byte
 * plus one.  A different algorithm would decode different fields from
 * the same line, so this one is a step-for-step reimplementation of the
 * behaviour (described, with vectors, in tests/hids/osregex_vectors.jsonl;
 * no code was taken).  Matching is linear-ish: every step consumes a
 * byte or pops one of at most four saved states, and a restart moves the
 * start forward, so no input makes it exponential.
 *
 * OS_Match is a list of literal alternatives: exact (^x$), prefix (^x),
 * suffix (x$), substring, all ASCII case-insensitive; a leading '!'
 * negates the whole list.
 */
#include "pattern.h"

#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#ifdef HAVE_HYPERSCAN
#include <hs/hs.h>
#endif

static inline uint8_t low(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* ---- the line being matched, and the literal table ----------------- */

/* Every literal run a ruleset's patterns need (OS_Match's substrings,
 * each OS_Regex alternative's required run), lower case, deduplicated.
 * With Hyperscan, hpat_subject finds all of them in a log line in one
 * caseless scan, and a pattern on that line (or a suffix of it) asks
 * the table instead of reading the line again.  Without Hyperscan (or
 * if the table fails to compile) every pattern reads the line, as
 * before: the answers are the same either way. */
struct hpat_lits {
	char **lit;
	size_t *len;
	size_t n, cap;
	uint32_t *slot;       /* open addressing: id + 1, 0 empty */
	size_t slot_cap;
	uint64_t serial;      /* tells tables apart across frees */
#ifdef HAVE_HYPERSCAN
	hs_database_t *db;
	/* the one-byte runs (" ", ":", ...): most lines hold them, and
	 * Hyperscan finds them slowly, so the line's byte set tells them */
	uint32_t *one;
	size_t one_cnt;
#endif
};

/* The text a series of matches runs on, set once per log line by
 * hpat_subject: its (lower-cased) bytes, so that a pattern whose literal
 * run has a byte the line lacks is rejected without reading the line,
 * and which of the table's runs it holds (seen[id] == gen). */
struct hpat_scan {
	uint32_t *seen;               /* seen[id] == gen: the run is in the line */
	size_t seen_cap;
	uint32_t gen;
#ifdef HAVE_HYPERSCAN
	hs_scratch_t *scratch;
	uint64_t scratch_for;          /* the serial of the table it fits */
#endif
};

static __thread struct {
	const char *base, *end;
	uint64_t bytes[4];
	const struct hpat_lits *lits;  /* whose runs sc tells, or NULL */
	struct hpat_scan *sc;
} tl_subj;

struct hpat_scan *hpat_scan_new(void)
{
	return calloc(1, sizeof(struct hpat_scan));
}

void hpat_scan_free(struct hpat_scan *sc)
{
	if (!sc)
		return;
	if (tl_subj.sc == sc) {
		tl_subj.sc = NULL;
		tl_subj.lits = NULL;
	}
	free(sc->seen);
#ifdef HAVE_HYPERSCAN
	hs_free_scratch(sc->scratch);
#endif
	free(sc);
}

/* s lies in the subject and the subject's runs of L are known */
static inline bool lits_on(const struct hpat_lits *L, const char *s)
{
	return L && L == tl_subj.lits && s >= tl_subj.base && s <= tl_subj.end;
}

static inline bool lit_seen(uint32_t id)
{
	return tl_subj.sc->seen[id] == tl_subj.sc->gen;
}

static uint64_t lit_hash(const char *t, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)t[i]) * 1099511628211ull;
	return h;
}

struct hpat_lits *hpat_lits_new(void)
{
	static uint64_t serials;
	struct hpat_lits *L = calloc(1, sizeof(*L));
	if (L)
		L->serial = __atomic_add_fetch(&serials, 1, __ATOMIC_RELAXED);
	return L;
}

void hpat_lits_free(struct hpat_lits *L)
{
	if (!L)
		return;
	for (size_t i = 0; i < L->n; i++)
		free(L->lit[i]);
	free(L->lit);
	free(L->len);
	free(L->slot);
#ifdef HAVE_HYPERSCAN
	hs_free_database(L->db);
	free(L->one);
#endif
	free(L);
}

/* The id of run t (lower case), added if new; UINT32_MAX when out of
 * memory. */
static uint32_t lit_intern(struct hpat_lits *L, const char *t, size_t n)
{
	if (L->n * 2 >= L->slot_cap) {
		size_t nc = L->slot_cap ? L->slot_cap * 2 : 1024;
		uint32_t *ns = calloc(nc, sizeof(*ns));
		if (!ns)
			return UINT32_MAX;
		for (size_t i = 0; i < L->n; i++) {
			size_t k = lit_hash(L->lit[i], L->len[i]) & (nc - 1);
			while (ns[k])
				k = (k + 1) & (nc - 1);
			ns[k] = (uint32_t)i + 1;
		}
		free(L->slot);
		L->slot = ns;
		L->slot_cap = nc;
	}
	size_t k = lit_hash(t, n) & (L->slot_cap - 1);
	for (; L->slot[k]; k = (k + 1) & (L->slot_cap - 1)) {
		uint32_t id = L->slot[k] - 1;
		if (L->len[id] == n && !memcmp(L->lit[id], t, n))
			return id;
	}
	if (L->n == L->cap) {
		size_t nc = L->cap ? L->cap * 2 : 256;
		char **nl = realloc(L->lit, nc * sizeof(*nl));
		if (!nl)
			return UINT32_MAX;
		L->lit = nl;
		size_t *nn = realloc(L->len, nc * sizeof(*nn));
		if (!nn)
			return UINT32_MAX;
		L->len = nn;
		L->cap = nc;
	}
	char *c = malloc(n + 1);
	if (!c)
		return UINT32_MAX;
	memcpy(c, t, n);
	c[n] = 0;
	L->lit[L->n] = c;
	L->len[L->n] = n;
	L->slot[k] = (uint32_t)L->n + 1;
	return (uint32_t)L->n++;
}

#ifdef HAVE_HYPERSCAN
static int on_lit(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags,
		  void *ctx)
{
	(void)from, (void)to, (void)flags;
	struct hpat_scan *sc = ctx;
	sc->seen[id] = sc->gen;
	return 0;
}
#endif

void hpat_subject(const char *s, const struct hpat_lits *L, struct hpat_scan *sc)
{
	memset(tl_subj.bytes, 0, sizeof(tl_subj.bytes));
	tl_subj.base = s;
	tl_subj.lits = NULL;
	if (!s) {
		tl_subj.end = NULL;
		return;
	}
	const uint8_t *p = (const uint8_t *)s;
	for (; *p; p++) {
		uint8_t c = low(*p);
		tl_subj.bytes[c >> 6] |= 1ull << (c & 63);
	}
	tl_subj.end = (const char *)p;
#ifdef HAVE_HYPERSCAN
	if (!L || !L->db || !sc)
		return;
	if (sc->seen_cap < L->n) {
		uint32_t *ns = calloc(L->n, sizeof(*ns));
		if (!ns)
			return;
		free(sc->seen);
		sc->seen = ns;
		sc->seen_cap = L->n;
		sc->gen = 0;
	}
	if (sc->scratch_for != L->serial) {
		if (hs_alloc_scratch(L->db, &sc->scratch) != HS_SUCCESS)
			return;
		sc->scratch_for = L->serial;
	}
	if (++sc->gen == 0) {
		memset(sc->seen, 0, sc->seen_cap * sizeof(*sc->seen));
		sc->gen = 1;
	}
	if (hs_scan(L->db, s, (unsigned)((const char *)p - s), 0, sc->scratch, on_lit, sc) == HS_SUCCESS) {
		for (size_t i = 0; i < L->one_cnt; i++) {
			uint8_t c = (uint8_t)L->lit[L->one[i]][0];
			if ((tl_subj.bytes[c >> 6] >> (c & 63)) & 1)
				sc->seen[L->one[i]] = sc->gen;
		}
		tl_subj.lits = L;
		tl_subj.sc = sc;
	}
#else
	(void)L, (void)sc;
#endif
}

/* ---- OS_Match ------------------------------------------------------ */

enum om_kind { OM_EXACT, OM_ANY, OM_SUFFIX, OM_PREFIX, OM_SUB };

struct om_alt {
	unsigned char kind;
	uint32_t lit;  /* OM_SUB: its id in the ruleset's literal table */
	size_t len;
	char *t;       /* lower-cased */
};

struct osmatch {
	bool negate;
	bool any;          /* an empty alternative: always true */
	size_t n;
	struct om_alt *alt;
	/* the substring alternatives by first byte: one pass over the
	 * subject tries only those that can start at each byte */
	uint16_t *by_first;    /* alternative indexes, grouped */
	uint16_t first_at[257];
	const struct hpat_lits *lits;  /* the table holding every OM_SUB's run, or NULL */
};

static void osmatch_free(struct osmatch *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++)
		free(m->alt[i].t);
	free(m->alt);
	free(m->by_first);
	free(m);
}

static struct osmatch *osmatch_compile(const char *src, struct verr *e)
{
	size_t len = strlen(src);
	if (len > HPAT_MAXSIZE) {
		verr_set(e, V_EINVAL, "pattern longer than %d bytes", HPAT_MAXSIZE);
		return NULL;
	}
	struct osmatch *m = calloc(1, sizeof(*m));
	if (!m)
		goto nomem;
	if (*src == '!') {
		m->negate = true;
		src++;
	}
	size_t n = 1;
	for (const char *q = src; *q; q++)
		n += *q == '|';
	if (!(m->alt = calloc(n, sizeof(*m->alt))))
		goto nomem;
	const char *a = src;
	for (;;) {
		const char *bar = strchr(a, '|');
		size_t al = bar ? (size_t)(bar - a) : strlen(a);
		struct om_alt *o = &m->alt[m->n++];
		const char *t = a;
		size_t tl = al;
		if (al >= 2 && a[0] == '^' && a[al - 1] == '$') {
			o->kind = OM_EXACT;
			t++;
			tl -= 2;
		} else if (al == 0) {
			o->kind = OM_ANY;
		} else if (a[al - 1] == '$') {
			o->kind = OM_SUFFIX;
			tl--;
		} else if (a[0] == '^') {
			o->kind = OM_PREFIX;
			t++;
			tl--;
		} else {
			o->kind = OM_SUB;
		}
		if (!(o->t = malloc(tl + 1)))
			goto nomem;
		for (size_t i = 0; i < tl; i++)
			o->t[i] = (char)low((uint8_t)t[i]);
		o->t[tl] = 0;
		o->len = tl;
		if (!bar)
			break;
		a = bar + 1;
	}
	if (m->n > 65535) {
		osmatch_free(m);
		verr_set(e, V_EINVAL, "OS_Match: more than 65535 alternatives");
		return NULL;
	}
	if (!(m->by_first = calloc(m->n + 1, sizeof(*m->by_first))))
		goto nomem;
	size_t k = 0;
	for (int c = 0; c < 256; c++) {
		m->first_at[c] = (uint16_t)k;
		for (size_t i = 0; i < m->n; i++)
			if (m->alt[i].kind == OM_SUB && m->alt[i].len && (uint8_t)m->alt[i].t[0] == c)
				m->by_first[k++] = (uint16_t)i;
	}
	m->first_at[256] = (uint16_t)k;
	for (size_t i = 0; i < m->n; i++)
		m->any |= m->alt[i].kind == OM_ANY || (m->alt[i].kind == OM_SUB && !m->alt[i].len);
	return m;
nomem:
	osmatch_free(m);
	verr_set(e, V_ENOMEM, "out of memory");
	return NULL;
}

static bool eq_ci(const char *a, const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (low((uint8_t)a[i]) != low((uint8_t)b[i]))
			return false;
	return true;
}

static bool osmatch_exec(const struct osmatch *m, const char *s)
{
	/* any alternative matching makes the answer: order does not matter */
	if (m->any)
		return !m->negate;
	/* a suffix of the subject ends where the subject does */
	size_t sl = tl_subj.base && s >= tl_subj.base && s <= tl_subj.end ? (size_t)(tl_subj.end - s) : strlen(s);
	for (size_t i = 0; i < m->n; i++) {
		const struct om_alt *o = &m->alt[i];
		bool hit = false;
		switch (o->kind) {
		case OM_EXACT: hit = sl == o->len && eq_ci(s, o->t, sl); break;
		case OM_PREFIX: hit = sl >= o->len && eq_ci(s, o->t, o->len); break;
		case OM_SUFFIX: hit = sl >= o->len && eq_ci(s + sl - o->len, o->t, o->len); break;
		default: break;
		}
		if (hit)
			return !m->negate;
	}
	if (m->first_at[256] && lits_on(m->lits, s)) {
		/* the table knows which substrings the line holds: on the line
		 * itself that is the answer; on a suffix, an absent one is */
		bool some = false;
		for (size_t i = 0; i < m->n && !some; i++)
			some = m->alt[i].kind == OM_SUB && lit_seen(m->alt[i].lit);
		if (!some)
			return m->negate;
		if (s == tl_subj.base)
			return !m->negate;
	}
	if (m->first_at[256]) {
		for (size_t i = 0; i < sl; i++) {
			uint8_t c = low((uint8_t)s[i]);
			for (uint16_t k = m->first_at[c]; k < m->first_at[c + 1]; k++) {
				const struct om_alt *o = &m->alt[m->by_first[k]];
				if (o->len <= sl - i && eq_ci(s + i + 1, o->t + 1, o->len - 1))
					return !m->negate;
			}
		}
	}
	return m->negate;
}

bool hpat_exact_names(const struct hpat *p, void (*fn)(void *ctx, const char *name, size_t len), void *ctx)
{
	if (p->type != HP_OSMATCH)
		return false;
	const struct osmatch *m = p->re;
	if (m->negate || m->any || !m->n)
		return false;
	for (size_t i = 0; i < m->n; i++)
		if (m->alt[i].kind != OM_EXACT)
			return false;
	for (size_t i = 0; i < m->n; i++)
		fn(ctx, m->alt[i].t, m->alt[i].len);
	return true;
}

bool hpat_word_match(const char *pattern, const char *s)
{
	if (!pattern || !*pattern || !s)
		return false;
	size_t sl = strlen(s);
	const char *a = pattern;
	for (;;) {
		const char *bar = strchr(a, '|');
		size_t al = bar ? (size_t)(bar - a) : strlen(a);
		if (al == 0)
			return true;
		if (a[0] == '^') {
			if (sl >= al - 1 && eq_ci(s, a + 1, al - 1))
				return true;
		} else if (sl > 0) {
			/* case-insensitive substring of a[0..al) in s */
			for (size_t i = 0; i + al <= sl; i++)
				if (eq_ci(s + i, a, al))
					return true;
		}
		if (!bar)
			return false;
		a = bar + 1;
	}
}

/* ---- OS_Regex ------------------------------------------------------ */

/* Body bytes: literals (lower-cased), MARK for '(' and ')', and class
 * elements ESC + code (+ the next pattern byte, '+' or '*' making it a
 * run).  At least four NUL bytes end a body: the matcher looks ahead. */
#define MARK '('
#define ESC '\\'
#define NONE INT_MIN
#define KDEPTH 4
#define MAX_MARKS (2 * HPAT_MAX_CAPS)
#define OSREGEX_MAX_STEPS (1ul << 20) /* steps of one attempt over a subject */

enum { C_D = 1, C_W, C_S, C_P, C_LP, C_RP, C_BS, C_ND, C_NW, C_NS, C_ANY, C_T, C_DOLLAR, C_BAR, C_LT };

static const char esc_codes[] = "dwsp()\\DWS.t$|<";

struct re_alt {
	uint8_t *b;        /* body, NUL-padded */
	uint16_t *mark;    /* mark index of body position (MARKs only) */
	bool begin, end;
	unsigned nmarks;
	/* a run of literal bytes every match must contain (lower case; see
	 * alt_finish), or none: a subject without it is not tried */
	const uint8_t *need;
	size_t need_len;
	uint64_t need_bytes[4];  /* the run's bytes, as a set */
	uint32_t lit;            /* the run's id in lits (when lits is set) */
};

struct osregex {
	size_t n;
	bool capmode;
	struct re_alt *alt;
	const struct hpat_lits *lits;  /* the table holding every alternative's run, or NULL */
};

static bool is_w(uint8_t c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
	       c == '@' || c == '_';
}

static bool is_p(uint8_t c)
{
	return (c >= 0x21 && c <= 0x2e) || (c >= 0x3a && c <= 0x3f) || c == 0x5b || c == 0x5d ||
	       c == 0x7b || c == 0x7c || c == 0x7d;
}

static bool cls_slow(uint8_t code, uint8_t c)
{
	switch (code) {
	case C_D: return c >= '0' && c <= '9';
	case C_W: return is_w(c);
	case C_S: return c == ' ';
	case C_P: return is_p(c);
	case C_LP: return c == '(';
	case C_RP: return c == ')';
	case C_BS: return c == '\\';
	case C_ND: return !(c >= '0' && c <= '9');
	case C_NW: return !is_w(c);
	case C_NS: return c != ' ';
	case C_ANY: return true;
	case C_T: return c == '\t';
	case C_DOLLAR: return c == '$';
	case C_BAR: return c == '|';
	case C_LT: return c == '<';
	}
	return false;
}

/* cls_tab[c] has bit code set when byte c is in class code. */
static uint16_t cls_tab[256];

__attribute__((constructor)) static void cls_init(void)
{
	for (int c = 0; c < 256; c++)
		for (uint8_t code = C_D; code <= C_LT; code++)
			if (cls_slow(code, (uint8_t)c))
				cls_tab[c] |= (uint16_t)(1u << code);
}

static inline bool cls(uint8_t code, uint8_t c)
{
	return (cls_tab[c] >> code) & 1;
}

static void osregex_free(struct osregex *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n; i++) {
		free(r->alt[i].b);
		free(r->alt[i].mark);
	}
	free(r->alt);
	free(r);
}

/* How much a literal byte narrows the subjects that hold it: letters,
 * digits, spaces and the punctuation of every log line little; the rest
 * more. */
static unsigned rarity(uint8_t c)
{
	if (c == ' ' || c == ':' || c == '.' || c == '-' || c == '/' || c == ',' || c == '=')
		return 1;
	if (isalnum(c))
		return 3;
	return 6;
}

/* One alternative from its encoded bytes enc[0..len) (ESC code pairs
 * already encoded; raw[] says which bytes were written unescaped). */
static int alt_finish(struct re_alt *a, const uint8_t *enc, const bool *raw, size_t len)
{
	size_t s = 0;
	if (len > 0 && raw[0] && enc[0] == '^') {
		a->begin = true;
		s = 1;
	}
	if (len > s && raw[len - 1] && enc[len - 1] == '$') {
		a->end = true;
		len--;
	}
	size_t bl = len - s;
	a->b = calloc(bl + 8, 1);
	a->mark = calloc(bl + 8, sizeof(uint16_t));
	if (!a->b || !a->mark)
		return -1;
	memcpy(a->b, enc + s, bl);
	unsigned nm = 0;
	for (size_t i = 0; i < bl; i++) {
		if (a->b[i] == ESC) {
			i++; /* the code byte; the next byte is read as itself */
			continue;
		}
		if (a->b[i] == MARK && raw[s + i]) {
			if (nm >= MAX_MARKS)
				return -2;
			a->mark[i] = (uint16_t)nm++;
		}
	}
	a->nmarks = nm;
	/* The longest run of literal bytes: a match consumes consecutive
	 * literals on consecutive subject bytes, so the subject must hold the
	 * run.  The one exception: a single class followed by one last body
	 * byte may declare a match without that byte (the B1b quirk), so a
	 * one-byte run that ends the body right after a single class is not
	 * used. */
	unsigned best = 0;
	for (size_t i = 0; i < bl;) {
		if (a->b[i] == ESC) {
			i += 2;
			continue;
		}
		if (a->b[i] == MARK || a->b[i] == '+' || a->b[i] == '*') {
			/* '+' and '*' may be a class's quantifier: not a literal here */
			i++;
			continue;
		}
		size_t j = i;
		while (j < bl && a->b[j] != ESC && a->b[j] != MARK && a->b[j] != '+' && a->b[j] != '*')
			j++;
		bool last_byte_after_class = j == bl && j - i == 1 && i >= 2 && a->b[i - 2] == ESC;
		unsigned score = 0;
		for (size_t k = i; k < j; k++)
			score += rarity(a->b[k]);
		if (!last_byte_after_class && score > best) {
			best = score;
			a->need = a->b + i;
			a->need_len = j - i;
		}
		i = j;
	}
	for (size_t k = 0; k < a->need_len; k++)
		a->need_bytes[a->need[k] >> 6] |= 1ull << (a->need[k] & 63);
	return 0;
}

static struct osregex *osregex_compile(const char *src, bool substrings, struct verr *e)
{
	size_t len = strlen(src);
	if (len > HPAT_MAXSIZE) {
		verr_set(e, V_EINVAL, "pattern longer than %d bytes", HPAT_MAXSIZE);
		return NULL;
	}
	struct osregex *r = calloc(1, sizeof(*r));
	uint8_t *enc = malloc(len + 1);
	bool *raw = malloc(len + 1);
	if (!r || !enc || !raw)
		goto nomem;
	size_t nalt = 1;
	for (size_t i = 0; i < len; i++) {
		if (src[i] == '\\' && src[i + 1]) {
			i++;
			continue;
		}
		nalt += src[i] == '|';
	}
	if (!(r->alt = calloc(nalt, sizeof(*r->alt))))
		goto nomem;
	int depth = 0, closes = 0;
	size_t el = 0;
	for (size_t i = 0; i <= len; i++) {
		uint8_t c = (uint8_t)src[i];
		if (i < len && c == '\\') {
			const char *k = src[i + 1] ? strchr(esc_codes, src[i + 1]) : NULL;
			if (!k) {
				verr_set(e, V_EINVAL, "OS_Regex: bad escape '\\%c' in '%s'",
					 src[i + 1] ? src[i + 1] : ' ', src);
				goto fail;
			}
			enc[el] = ESC;
			raw[el++] = false;
			enc[el] = (uint8_t)(k - esc_codes + 1);
			raw[el++] = false;
			i++;
			continue;
		}
		if (i == len || (c == '|' && depth == 0)) {
			int rc = alt_finish(&r->alt[r->n++], enc, raw, el);
			if (rc == -1)
				goto nomem;
			if (rc == -2) {
				verr_set(e, V_EINVAL, "OS_Regex: more than %d groups in '%s'", HPAT_MAX_CAPS, src);
				goto fail;
			}
			el = 0;
			continue;
		}
		if (c == '(')
			depth++;
		else if (c == ')') {
			depth--;
			closes++;
		}
		if (depth != 0 && depth != 1) {
			verr_set(e, V_EINVAL, "OS_Regex: bad parentheses in '%s'", src);
			goto fail;
		}
		if (c == '|') {
			verr_set(e, V_EINVAL, "OS_Regex: '|' inside parentheses in '%s'", src);
			goto fail;
		}
		enc[el] = c == '(' || c == ')' ? MARK : low(c);
		raw[el++] = true;
	}
	if (depth != 0) {
		verr_set(e, V_EINVAL, "OS_Regex: unbalanced parentheses in '%s'", src);
		goto fail;
	}
	r->capmode = substrings && closes > 0;
	free(enc);
	free(raw);
	return r;
nomem:
	verr_set(e, V_ENOMEM, "out of memory");
fail:
	free(enc);
	free(raw);
	osregex_free(r);
	return NULL;
}

/* Matches one alternative; returns R (the last matched byte, -1 or an
 * offset) or NONE.  cap: this alternative's mark positions. */
static int alt_exec(const struct re_alt *a, const uint8_t *S, bool capmode, int *cap)
{
	const uint8_t *B = a->b;
	size_t p = 0;
	int s = 0, R = 0, F = NONE;
	bool M = false;
	struct {
		size_t p;
		int s;
	} K[KDEPTH];
	int kt = 0;

	const bool lit0 = !a->begin && B[0] && B[0] != MARK && B[0] != ESC;
	unsigned long steps = 0;
	while (S[s]) {
		if (++steps > OSREGEX_MAX_STEPS)
			return NONE; /* pathological: no match rather than minutes */
		/* a fresh attempt at a literal: the bytes that cannot start it
		 * would each fail and restart one further on (B3 below) */
		if (lit0 && p == 0 && kt == 0) {
			if (B[0] != low(S[s])) {
				while (S[s] && B[0] != low(S[s]))
					s++;
				R = NONE;
				if (!S[s])
					break;
			}
		}
		/* A: the end of the pattern, or a group mark */
		if (B[p] == 0) {
			if (!a->end)
				return R;
		} else if (B[p] == MARK) {
			if (capmode)
				cap[a->mark[p]] = s;
			p++;
			if (B[p] == 0 && !a->end)
				return R;
		}
		/* B: the element at p */
		if (B[p] == ESC) {
			uint8_t c = B[p + 1], q = B[p + 2];
			if (cls(c, S[s])) {
				if (q != '+' && q != '*') {
					p += 2;
					if (F == NONE)
						F = s;
					R = s;
					s++;
					continue;
				}
				if (q == '*')
					M = true;
				if (M) {
					size_t n = p + 3;
					int ok;
					if (B[n] == MARK)
						n++;
					if (B[n] == 0)
						ok = 1;
					else if (B[n] == ESC && cls(B[n + 1], S[s]))
						ok = B[n + 2] != '+' && B[n + 2] != '*' ? 2 : 0;
					else if (B[n] == low(S[s])) {
						M = false;
						ok = 1;
					} else
						ok = NONE;
					if (ok != NONE) {
						if (capmode && B[n - 1] == MARK && n - 1 > p + 2)
							cap[a->mark[n - 1]] = M && ok == 1 ? s + 1 : s;
						if (B[n] == 0) {
							s++;
							continue;
						}
						n += (size_t)ok;
						if (kt < KDEPTH) {
							K[kt].p = p;
							K[kt].s = s;
							kt++;
						}
						p = n;
					}
					R = s;
					s++;
					continue;
				}
				/* the first byte of a '+' run */
				if (capmode && B[p + 3] == MARK)
					cap[a->mark[p + 3]] = S[s + 1] == 0 ? s + 1 : s;
				M = true;
				R = s;
				s++;
				continue;
			}
			if ((B[p + 2] == 0 || B[p + 3] == 0) && M && R != NONE) {
				R = s;
				if (!a->end)
					return R;
				M = false;
				goto fail;
			}
			if (q == '+' && M) {
				p += 3;
				M = false;
				continue;
			}
			if (q == '*') {
				p += 3;
				R = s - 1;
				M = false;
				continue;
			}
			M = false;
			goto fail;
		}
		if (B[p] == low(S[s])) {
			p++;
			if (F == NONE)
				F = s;
			R = s;
			s++;
			continue;
		}
	fail:
		if (kt > 0) {
			kt--;
			p = K[kt].p;
			s = K[kt].s + 1;
			continue;
		}
		if (a->begin)
			return NONE;
		if (F != NONE) {
			s = F;
			F = NONE;
		}
		p = 0;
		R = NONE;
		s++;
	}

	/* the end of the subject */
	if (capmode) {
		while (B[p] != MARK && B[p] != 0) {
			if (B[p] == ESC && B[p + 2] == '*')
				p += 3;
			else
				break;
		}
		if (B[p] == MARK)
			cap[a->mark[p]] = s;
	}
#define EOP() ((B[p] == MARK ? (void)p++ : (void)0), B[p] == 0)
	if (EOP())
		return R;
	if (B[p] == ESC && M) {
		p += 2;
		if (B[p] == '+' || B[p] == '*') {
			p++;
			if (EOP())
				return R;
			if (B[p] == ESC) {
				p += 2;
				if (B[p] == '*') {
					p++;
					if (EOP())
						return R;
				}
			}
		}
	}
	if (B[p] == ESC) {
		p += 2;
		if (B[p] == '*') {
			p++;
			if (EOP())
				return R;
		}
	}
#undef EOP
	return NONE;
}

/* false when s is (a suffix of) the subject and lacks a byte of a's run */
static inline bool bytes_possible(const struct re_alt *a, const char *s)
{
	if (!tl_subj.base || s < tl_subj.base || s > tl_subj.end)
		return true;
	for (int i = 0; i < 4; i++)
		if (a->need_bytes[i] & ~tl_subj.bytes[i])
			return false;
	return true;
}

/* Does s hold run (lower case) anywhere, ignoring ASCII case? */
static bool has_run(const char *s, const uint8_t *run, size_t n)
{
	uint8_t r0 = run[0], r0u = r0 >= 'a' && r0 <= 'z' ? (uint8_t)(r0 - 32) : r0;
	for (const uint8_t *p = (const uint8_t *)s; *p; p++) {
		if (*p != r0 && *p != r0u)
			continue;
		size_t k = 1;
		while (k < n && p[k] && low(p[k]) == run[k])
			k++;
		if (k == n)
			return true;
	}
	return false;
}

/* With the subject's run table on (lits_on): s lacks the run `need`, which
 * the table knows as run lit.  The table answers for the whole line; a
 * suffix of it may still lack the run. */
static bool table_lacks(uint32_t lit, const char *s, const uint8_t *need, size_t need_len)
{
	return !lit_seen(lit) || (s != tl_subj.base && !has_run(s, need, need_len));
}

static bool osregex_exec(const struct osregex *r, const char *s, struct hmatch *m)
{
	int cap[MAX_MARKS + 2];
	for (size_t i = 0; i < r->n; i++) {
		const struct re_alt *a = &r->alt[i];
		const uint8_t *B = a->b, c0 = (uint8_t)s[0];
		if (a->begin && c0) {
			/* anchored: the first element must take the first byte (or the
			 * attempt fails at once, as alt_exec would find) */
			if (B[0] != ESC && B[0] != MARK && B[0] && B[0] != low(c0))
				continue;
			if (B[0] == ESC && B[2] != '*' && !cls(B[1], c0))
				continue;
		}
		if (a->need_len && lits_on(r->lits, s)) {
			if (table_lacks(a->lit, s, a->need, a->need_len))
				continue;
		} else if (a->need_len && (!bytes_possible(a, s) || !has_run(s, a->need, a->need_len))) {
			continue;
		}
		if (r->capmode)
			for (size_t k = 0; k < a->nmarks + 2 && k < MAX_MARKS + 2; k++)
				cap[k] = NONE;
		int R = alt_exec(a, (const uint8_t *)s, r->capmode, cap);
		if (R == NONE)
			continue;
		if (!m)
			return true;
		m->ncap = 0;
		if (r->capmode) {
			for (size_t j = 0; j + 1 < a->nmarks && cap[j] != NONE && cap[j + 1] != NONE; j += 2) {
				if (cap[j + 1] < cap[j])
					return false;
				m->cap[m->ncap].p = s + cap[j];
				m->cap[m->ncap].len = (size_t)(cap[j + 1] - cap[j]);
				m->ncap++;
			}
		}
		/* R == -1 (a pattern of star classes that matched nothing
		 * before the first byte): Wazuh reads s[-1]; we say 0 */
		if (R < 0)
			m->next = 0;
		else
			m->next = s[R] ? (size_t)R + 1 : (size_t)R;
		return true;
	}
	return false;
}

/* ---- PCRE2 --------------------------------------------------------- */

struct hpcre {
	pcre2_code *code;
	/* a run of literal bytes every match contains (lower case; see
	 * pcre_need), or none */
	uint8_t *need;
	size_t need_len;
	uint32_t lit;                  /* its id in lits (when lits is set) */
	const struct hpat_lits *lits;
};

static __thread pcre2_match_data *tl_md;

static void hpcre_free(struct hpcre *h)
{
	if (!h)
		return;
	pcre2_code_free(h->code);
	free(h->need);
	free(h);
}

/* The run of literal bytes with the best rarity score that every match
 * of src must contain, found only in the simplest patterns: a sequence
 * without alternation, groups or counted repeats, whose literal runs
 * then each match consecutive bytes (a literal a quantifier follows is
 * not part of a run).  Anything else: no run, PCRE2 decides alone. */
static int pcre_need(struct hpcre *h, const char *src)
{
	size_t n = strlen(src), cur = 0, best = 0;
	unsigned cur_score = 0, best_score = 0;
	uint8_t *run = malloc(n + 1), *out = malloc(n + 1);
	bool last_lit = false;
	if (!run || !out) {
		free(run);
		free(out);
		return -1;
	}
#define FLUSH()                                        	do {                                           		if (cur && cur_score > best_score) {   			memcpy(out, run, cur);         			best = cur;                    			best_score = cur_score;        		}                                      		cur = cur_score = 0;                   		last_lit = false;                      	} while (0)
	for (size_t i = 0; i < n;) {
		uint8_t c = (uint8_t)src[i];
		if (c == '|' || c == '(' || c == ')' || c == '{')
			goto none;
		if (c == '\\') {
			uint8_t d = (uint8_t)src[i + 1];
			if (!d)
				goto none;
			if (isalnum(d)) {
				if (!strchr("dDsSwWhHvVRXbBAzZGKtnrfea", d))
					goto none; /* escapes with arguments, back references */
				FLUSH();
			} else {
				run[cur++] = low(d);
				cur_score += rarity(low(d));
				last_lit = true;
			}
			i += 2;
			continue;
		}
		if (c == '[') {
			FLUSH();
			size_t j = i + 1;
			if (src[j] == '^')
				j++;
			if (src[j] == ']')
				j++;
			while (src[j] && src[j] != ']') {
				if (src[j] == '[' && src[j + 1] == ':')
					goto none;
				j += src[j] == '\\' && src[j + 1] ? 2 : 1;
			}
			if (!src[j])
				goto none;
			i = j + 1;
			continue;
		}
		if (c == '*' || c == '+' || c == '?') {
			if (last_lit) {
				cur--;
				cur_score -= rarity(run[cur]);
			}
			FLUSH();
			i++;
			continue;
		}
		if (c == '.' || c == '^' || c == '$') {
			FLUSH();
			i++;
			continue;
		}
		run[cur++] = low(c);
		cur_score += rarity(low(c));
		last_lit = true;
		i++;
	}
	FLUSH();
#undef FLUSH
	free(run);
	if (best) {
		h->need = out;
		h->need_len = best;
	} else {
		free(out);
	}
	return 0;
none:
	free(run);
	free(out);
	return 0;
}

static struct hpcre *hpcre_compile(const char *src, bool caseless, struct verr *e)
{
	int err;
	PCRE2_SIZE off;
	struct hpcre *h = calloc(1, sizeof(*h));
	if (!h) {
		verr_set(e, V_ENOMEM, "out of memory");
		return NULL;
	}
	h->code = pcre2_compile((PCRE2_SPTR)src, PCRE2_ZERO_TERMINATED, caseless ? PCRE2_CASELESS : 0,
				&err, &off, NULL);
	if (!h->code) {
		PCRE2_UCHAR msg[160];
		pcre2_get_error_message(err, msg, sizeof(msg));
		verr_set(e, V_EINVAL, "PCRE2: %s at offset %zu in '%s'", (char *)msg, (size_t)off, src);
		free(h);
		return NULL;
	}
	pcre2_jit_compile(h->code, PCRE2_JIT_COMPLETE);
	if (pcre_need(h, src) < 0) {
		hpcre_free(h);
		verr_set(e, V_ENOMEM, "out of memory");
		return NULL;
	}
	return h;
}

static bool hpcre_exec(const struct hpcre *h, const char *s, struct hmatch *m)
{
	if (h->need_len && lits_on(h->lits, s) && table_lacks(h->lit, s, h->need, h->need_len))
		return false;
	if (!tl_md && !(tl_md = pcre2_match_data_create(HPAT_MAX_CAPS + 1, NULL)))
		return false;
	size_t sl = strlen(s);
	int rc = pcre2_match(h->code, (PCRE2_SPTR)s, sl, 0, 0, tl_md, NULL);
	if (rc == 0)
		rc = HPAT_MAX_CAPS + 1;
	if (rc < 0)
		return false;
	if (!m)
		return true;
	PCRE2_SIZE *ov = pcre2_get_ovector_pointer(tl_md);
	m->ncap = 0;
	for (int g = 1; g < rc && m->ncap < HPAT_MAX_CAPS; g++) {
		struct hcap *c = &m->cap[m->ncap++];
		if (ov[2 * g] == PCRE2_UNSET) {
			c->p = s;
			c->len = 0;
		} else {
			c->p = s + ov[2 * g];
			c->len = ov[2 * g + 1] - ov[2 * g];
		}
	}
	/* the last matched byte, plus one unless it is the end */
	size_t end = ov[1];
	if (end == 0)
		m->next = 0;
	else
		m->next = s[end - 1] ? end : end - 1;
	return true;
}

/* ---- one interface ------------------------------------------------- */

int hpat_compile(struct hpat *p, enum hpat_type type, const char *src, bool captures,
		 struct verr *e)
{
	hpat_free(p);
	if (!(p->src = strdup(src)))
		return verr_set(e, V_ENOMEM, "out of memory");
	p->type = (unsigned char)type;
	switch (type) {
	case HP_OSMATCH: p->re = osmatch_compile(src, e); break;
	case HP_OSREGEX: p->re = osregex_compile(src, captures, e); break;
	case HP_PCRE2: p->re = hpcre_compile(src, p->caseless, e); break;
	case HP_STRING: p->re = p->src; return 0;
	case HP_NONE: return 0;
	}
	if (!p->re) {
		free(p->src);
		p->src = NULL;
		p->type = HP_NONE;
		return V_EINVAL;
	}
	return 0;
}

void hpat_free(struct hpat *p)
{
	switch (p->type) {
	case HP_OSMATCH: osmatch_free(p->re); break;
	case HP_OSREGEX: osregex_free(p->re); break;
	case HP_PCRE2: hpcre_free(p->re); break;
	default: break;
	}
	free(p->src);
	p->re = NULL;
	p->src = NULL;
	p->type = HP_NONE;
}

bool hpat_exec(const struct hpat *p, const char *s, struct hmatch *m)
{
	if (!s)
		return false;
	switch (p->type) {
	case HP_OSMATCH:
		if (m) {
			m->ncap = 0;
			m->next = 0;
		}
		return osmatch_exec(p->re, s);
	case HP_OSREGEX: return osregex_exec(p->re, s, m);
	case HP_PCRE2: return hpcre_exec(p->re, s, m);
	case HP_STRING:
		if (m) {
			m->ncap = 0;
			m->next = 0;
		}
		return !strcmp(s, p->src);
	}
	return false;
}

int hpat_lits_add(struct hpat_lits *L, struct hpat *p)
{
	if (p->type == HP_OSMATCH) {
		struct osmatch *m = p->re;
		for (size_t i = 0; i < m->n; i++) {
			struct om_alt *o = &m->alt[i];
			if (o->kind == OM_SUB && o->len && (o->lit = lit_intern(L, o->t, o->len)) == UINT32_MAX)
				return V_ENOMEM;
		}
		m->lits = L;
	} else if (p->type == HP_OSREGEX) {
		struct osregex *r = p->re;
		for (size_t i = 0; i < r->n; i++) {
			struct re_alt *a = &r->alt[i];
			if (a->need_len &&
			    (a->lit = lit_intern(L, (const char *)a->need, a->need_len)) == UINT32_MAX)
				return V_ENOMEM;
		}
		r->lits = L;
	} else if (p->type == HP_PCRE2) {
		struct hpcre *h = p->re;
		if (h->need_len && (h->lit = lit_intern(L, (const char *)h->need, h->need_len)) == UINT32_MAX)
			return V_ENOMEM;
		h->lits = L;
	}
	return 0;
}

int hpat_lits_build(struct hpat_lits *L, struct verr *e)
{
#ifdef HAVE_HYPERSCAN
	if (!L->n)
		return 0;
	unsigned *flags = malloc(L->n * sizeof(*flags)), *ids = malloc(L->n * sizeof(*ids));
	const char **lit = malloc(L->n * sizeof(*lit));
	size_t *len = malloc(L->n * sizeof(*len));
	free(L->one);
	L->one_cnt = 0;
	if (!flags || !ids || !lit || !len || !(L->one = malloc(L->n * sizeof(*L->one)))) {
		free(flags);
		free(ids);
		free(lit);
		free(len);
		return verr_set(e, V_ENOMEM, "out of memory");
	}
	/* the one-byte runs stay out of the scan: hpat_subject marks them */
	size_t k = 0;
	for (size_t i = 0; i < L->n; i++) {
		if (L->len[i] == 1) {
			L->one[L->one_cnt++] = (uint32_t)i;
			continue;
		}
		flags[k] = HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH;
		ids[k] = (unsigned)i;
		lit[k] = L->lit[i];
		len[k++] = L->len[i];
	}
	hs_compile_error_t *ce = NULL;
	hs_error_t rc = k ? hs_compile_lit_multi(lit, flags, ids, len, (unsigned)k, HS_MODE_BLOCK, NULL, &L->db, &ce)
			  : HS_INVALID;
	free(flags);
	free(ids);
	free(lit);
	free(len);
	if (rc != HS_SUCCESS) {
		/* not fatal: every pattern reads the line itself */
		L->db = NULL;
		hs_free_compile_error(ce);
	}
#else
	(void)L, (void)e;
#endif
	return 0;
}

int hpat_required_lits(const struct hpat *p, const struct hpat_lits *L, uint32_t *ids, size_t cap)
{
	size_t n = 0;
	if (p->type == HP_OSMATCH) {
		const struct osmatch *m = p->re;
		if (m->lits != L || m->negate || m->any || !m->n)
			return -1;
		for (size_t i = 0; i < m->n; i++) {
			if (m->alt[i].kind != OM_SUB || !m->alt[i].len || n >= cap)
				return -1;
			ids[n++] = m->alt[i].lit;
		}
		return (int)n;
	}
	if (p->type == HP_OSREGEX) {
		const struct osregex *r = p->re;
		if (r->lits != L || !r->n)
			return -1;
		for (size_t i = 0; i < r->n; i++) {
			if (!r->alt[i].need_len || n >= cap)
				return -1;
			ids[n++] = r->alt[i].lit;
		}
		return (int)n;
	}
	if (p->type == HP_PCRE2) {
		const struct hpcre *h = p->re;
		if (h->lits != L || !h->need_len || !cap)
			return -1;
		ids[0] = h->lit;
		return 1;
	}
	return -1;
}

bool hpat_subject_lacks(const struct hpat_lits *L, const char *s, const uint32_t *ids, size_t n)
{
	if (!L || L != tl_subj.lits || s != tl_subj.base)
		return false;
	for (size_t i = 0; i < n; i++)
		if (lit_seen(ids[i]))
			return false;
	return true;
}

size_t hpat_lits_count(const struct hpat_lits *L)
{
	return L ? L->n : 0;
}
