/*
 * parse.h - the rule parser (detect-internal).
 */
#ifndef VIGIL_PARSE_H
#define VIGIL_PARSE_H

#include "rule.h"

struct class_entry {
	char *name, *desc;
	uint8_t prio;
};

/* Names shared by all rules of all engines (flowbits, flowints): interned
 * once for the life of the process so per-flow state survives reloads. */
uint32_t name_intern(int space, const char *name);
enum { NS_FLOWBIT, NS_FLOWINT, NS_XBIT, NS_COUNT };
#define NAME_MAX_PER_SPACE 4096

/* Strings many rules share (their metadata's "key":[values] parts), kept
 * once per engine: ET Open's 24,827 rules carry some 5 MB of metadata made
 * of a few thousand distinct parts. */
struct str_pool {
	char **slot;        /* open addressing; NULL free */
	uint32_t cap, cnt;  /* cap a power of two */
	uint64_t bytes;     /* what the strings and the table take */
};

/* The pooled copy of s[0..len) (NUL-terminated), or NULL when out of memory. */
const char *str_pool_get(struct str_pool *sp, const char *s, size_t len);
void str_pool_free(struct str_pool *sp);

struct iprep;

struct parse_ctx {
	struct var_ctx vars;
	struct str_pool *pool;  /* the engine's, or NULL (rules then own their copies) */
	const struct class_entry *classes;
	size_t nclasses;
	char err[256];
	char kw[64];        /* keyword that made the rule unsupported */
	bool unsupported;   /* err is "not supported", not "invalid" */
	bool requires_unmet; /* ... because its "requires" asks for another Suricata version */
	char dir[512];      /* the rule file's directory (filemd5 lists are found there) */
	const struct iprep *iprep; /* the IP reputation set (iprep keyword), or NULL */
};

/* Parses one rule.  Returns the rule, or NULL with pc->err (and pc->kw /
 * pc->unsupported when vigil does not implement something it uses). */
struct rule *rule_parse(const char *text, struct parse_ctx *pc);

/* A keyword whose option is one integer comparison (kw.c, "the declarative
 * option parser"): N, !N, <N, >N, <=N, >=N, N<>M, N-M up to max, or a name
 * (lookup, or the index in names[]) for N. */
enum { KN_HDR, KN_AC };                 /* where the comparison goes */
enum { KN_NAME_NOT = 1,                 /* "!name": not equal to it */
       KN_BANG_NEG = 2,                 /* a leading '!': app_cond.neg */
       KN_EQ_ONLY = 4 };                /* a single number, no operator */
struct kw_num {
	const char *kw;
	uint64_t max;
	uint8_t to;                     /* KN_HDR: r->hdr[slot]; KN_AC: an app_cond */
	uint8_t slot;                   /* HC_* or AC_* */
	uint8_t alp;                    /* KN_AC: the protocol the rule then needs */
	uint8_t proto;                  /* KN_HDR: the IP protocol it implies, or 0 */
	uint8_t flags;                  /* KN_* */
	uint32_t mask;                  /* KN_AC: app_cond.mask (which field) */
	int (*lookup)(const char *name); /* a name's value, or -1 */
	const char *const *names;       /* or: names[i] is i */
	unsigned nnames;
	const char *what;               /* with names: "unknown <what>" on a bad value */
};

/* Reads arg as k says: 0 with *out (and *neg for KN_BANG_NEG), or -1 with
 * err naming the keyword and quoting the value. */
/* kw.c's helpers that the keywords of kw_gap.c share: a string trimmed of
 * white space in place, and one more app-layer condition of the rule (its
 * protocol alp if it has none), NULL with pc->err when full. */
char *kw_trim(char *s);
/* Makes buffer b the rule's sticky buffer (protocol alp if it has none);
 * a value "to_server"/"to_client" picks a direction in a => rule, any
 * other value is let pass. */
int kw_sticky_dir(struct rule *r, enum buffer_id b, uint8_t alp, const char *a,
		  struct parse_ctx *pc);
/* A number, decimal or 0x hex, white space around it allowed: 0, or -1. */
int kw_i64(const char *s, int64_t *out);
/* N, !N, <N, >N, <=N, >=N, N<>M (exclusive, N < M), N-M (inclusive), from 0
 * to max: 0 with *c, or -1. */
int kw_numcmp(const char *s, struct numcmp *c, uint64_t max);
struct app_cond *kw_add_ac(struct rule *r, uint8_t type, uint8_t alp, struct parse_ctx *pc);
int kw_num_parse(const struct kw_num *k, const char *arg, struct numcmp *out, bool *neg,
		 char *err, size_t errlen);

/* A "requires" option's argument: 0 when a version it names is not the
 * Suricata version vigil reads rules as (pc->err says which), else 1. */
int rule_requires_met(const char *arg, struct parse_ctx *pc);

/* Decodes a content string body (between the quotes): |hex| and escapes.
 * Returns the length or -1 with err. */
int content_decode(const char *s, uint8_t *out, size_t cap, char *err, size_t errlen);

/* In a keyword's setup (a struct parse_ctx *pc in scope): the error,
 * and -1 from the function. */
#define FAIL(...)                                                  \
	do {                                                       \
		snprintf(pc->err, sizeof(pc->err), __VA_ARGS__);   \
		return -1;                                         \
	} while (0)

typedef int (*kw_setup_fn)(struct rule *r, const char *arg, struct parse_ctx *pc);
struct kw_entry {
	const char *name;
	const char *help;
	kw_setup_fn setup;
};
extern const struct kw_entry kw_table[];
extern const size_t kw_count;

#endif
