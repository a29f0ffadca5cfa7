/*
 * pattern.h - the three pattern languages of OSSEC/Wazuh rules and
 * decoders: OS_Match (literal alternatives with ^ and $ anchors),
 * OS_Regex (OSSEC's own small regex, with its own matching algorithm)
 * and PCRE2 (type="pcre2").  One compiled form, struct hpat, with one
 * match call, so decoders and rules do not care which one a file chose.
 */
#ifndef VIGIL_HIDS_PATTERN_H
#define VIGIL_HIDS_PATTERN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil.h"

enum hpat_type {
	HP_NONE = 0,   /* no pattern: the element was absent */
	HP_OSMATCH,
	HP_OSREGEX,
	HP_PCRE2,
	HP_STRING,     /* exact, case-sensitive comparison (rule <action>) */
};

/* OS_Regex patterns longer than this do not compile (Wazuh's
 * OS_PATTERN_MAXSIZE). */
#define HPAT_MAXSIZE 20480
/* Captures handed to a decoder's <order>. */
#define HPAT_MAX_CAPS 256

struct hpat {
	unsigned char type;    /* enum hpat_type */
	bool negate;           /* the rule element's negate="yes" */
	bool caseless;         /* PCRE2 compiled caseless (OSSEC's <pcre2>) */
	void *re;
	char *src;             /* the pattern as written */
};

struct hcap {
	const char *p;
	size_t len;
};

struct hmatch {
	/* offset of the first byte after the match, as decoders use it
	 * (Wazuh's "last matched byte, plus one unless at the end") */
	size_t next;
	size_t ncap;
	struct hcap cap[HPAT_MAX_CAPS];
};

/* Compiles src as type.  captures: OS_Regex returns substrings
 * (OS_RETURN_SUBSTRING).  0, or V_EINVAL with e->msg saying why. */
int hpat_compile(struct hpat *p, enum hpat_type type, const char *src, bool captures,
		 struct verr *e);
void hpat_free(struct hpat *p);

/* Matches s (NUL-terminated), ignoring p->negate.  m may be NULL when
 * neither the end nor the captures are wanted. */
bool hpat_exec(const struct hpat *p, const char *s, struct hmatch *m);

/* A table of the literal runs of a set of patterns (a ruleset's),
 * found in a line by one scan: hpat_lits_add registers a compiled
 * pattern (which then answers from the table on lines declared with it),
 * hpat_lits_build compiles the table once every pattern is in (with
 * Hyperscan; without it, or if compiling fails, patterns read the line
 * themselves, with the same answers).  A table outlives its patterns'
 * use of it. */
struct hpat_lits;
struct hpat_lits *hpat_lits_new(void);
int hpat_lits_add(struct hpat_lits *L, struct hpat *p);
int hpat_lits_build(struct hpat_lits *L, struct verr *e);
size_t hpat_lits_count(const struct hpat_lits *L);
void hpat_lits_free(struct hpat_lits *L);

/* The working memory of the scans (the table's marks, Hyperscan's
 * scratch): one per user of a table at a time (a host IDS session). */
struct hpat_scan;
struct hpat_scan *hpat_scan_new(void);
void hpat_scan_free(struct hpat_scan *sc);

/* Declares the text the next matches run on (a log line; NULL: none):
 * matches on it or on a suffix of it may then reject a pattern from the
 * line's set of bytes alone, and, given the table L their patterns were
 * registered in and a scan sc (or NULL), answer from it.  Per thread;
 * the text and sc must not change until the next call. */
void hpat_subject(const char *s, const struct hpat_lits *L, struct hpat_scan *sc);

/* The runs of L (ids into the table) one of which a line must hold for
 * p to match it: p is an OS_Match or OS_Regex registered in L whose
 * every alternative needs a run.  Writes at most cap ids and returns
 * how many, or -1 when p has no such set (or more than cap). */
int hpat_required_lits(const struct hpat *p, const struct hpat_lits *L, uint32_t *ids, size_t cap);

/* True when s is the declared subject, the table L answered for it and
 * it holds none of the n runs ids: then a pattern whose required runs
 * they are (hpat_required_lits) does not match s. */
bool hpat_subject_lacks(const struct hpat_lits *L, const char *s, const uint32_t *ids, size_t n);

/* When p is an OS_Match of exact alternatives only ("^sshd$|^sudo$"),
 * calls fn with each (lower-cased) and returns true; else false.  Lets a
 * caller index patterns by the whole value they accept. */
bool hpat_exact_names(const struct hpat *p, void (*fn)(void *ctx, const char *name, size_t len), void *ctx);

/* OS_WordMatch, the test if_group applies to group lists: '|'
 * alternatives, a leading '^' for a prefix, else a case-insensitive
 * substring; an empty pattern never matches. */
bool hpat_word_match(const char *pattern, const char *s);

#endif
