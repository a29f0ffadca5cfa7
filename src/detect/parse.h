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
