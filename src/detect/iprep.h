/*
 * iprep.h - Suricata's IP reputation (detect-internal): categories
 * (reputation-categories-file: "id,shortname,description", ids 1-60),
 * reputation files (reputation-files: "address-or-network,category,score",
 * scores 0-127) and the iprep keyword that compares an address's score.
 *
 * The tables are the policy blocklists' address lists (lists.h: one
 * valued iplist per category), built with the rules: a reload builds a
 * new set with the new engine, and the running one stays if it fails.
 * An address's score in a category is that of the most specific entry
 * holding it; a plain address ranks above a network of the same size.
 */
#ifndef VIGIL_IPREP_H
#define VIGIL_IPREP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct verr;
struct iprep;

#define IPREP_MAX_CAT 60
#define IPREP_MAX_SCORE 127

/* An empty set (no categories).  quiet: bad lines are not logged (tests,
 * fuzzing); they are counted and the first is in the loaders' e. */
struct iprep *iprep_new(bool quiet);
void iprep_free(struct iprep *r);

/* Categories and reputation entries from text (name is used in messages)
 * or from a file.  Each returns the number of bad lines (logged as
 * "name:line: why \"text\"" and skipped; e holds the first), or -1 with e
 * set when the file cannot be read, there are too many entries, or
 * memory runs out. */
int iprep_add_categories(struct iprep *r, const char *text, size_t len, const char *name,
			 struct verr *e);
int iprep_add_entries(struct iprep *r, const char *text, size_t len, const char *name,
		      struct verr *e);
int iprep_load_categories(struct iprep *r, const char *path, struct verr *e);
int iprep_load_entries(struct iprep *r, const char *path, struct verr *e);
/* Makes the entries lookupable (after the last add).  -1 with e when out
 * of memory. */
int iprep_seal(struct iprep *r, struct verr *e);

/* The configured set (reputation-categories-file, reputation-files,
 * default-reputation-path; relative reputation files resolve against
 * that path, else the configuration file's folder; the categories file
 * is opened as given).  NULL without error (e->msg
 * empty) when neither key is set; NULL with e when a file cannot be read
 * or (engine.init-failure-fatal) has a bad line. */
struct iprep *iprep_from_config(const struct config *cfg, bool quiet, struct verr *e);

/* The id (1-60) of a category's short name, or 0. */
unsigned iprep_category(const struct iprep *r, const char *name);
/* The score of address a (ver 4 or 6) in category cat, or -1 if none. */
int iprep_get(const struct iprep *r, unsigned cat, uint8_t ver, const uint8_t *a);
/* Entries added (before flattening) and bytes held. */
uint64_t iprep_entries(const struct iprep *r);
size_t iprep_memory(const struct iprep *r);

/* ---- the keyword ---- */
enum iprep_side { IPREP_ANY, IPREP_SRC, IPREP_DST, IPREP_BOTH };
enum iprep_op { IPREP_LT, IPREP_GT, IPREP_EQ, IPREP_NE, IPREP_LE, IPREP_GE, IPREP_ISSET,
		IPREP_ISNOTSET };

struct iprep_cond {
	uint8_t side, cat, op, val;
};

/* "side,category,op,value" or "side,category,isset|isnotset" (side any,
 * src, dst or both; op < > = != <= >=; value 0-255 as Suricata reads it).
 * 0, or -1 with a message in err. */
int iprep_cond_parse(const struct iprep *r, const char *arg, struct iprep_cond *c, char *err,
		     size_t errlen);
/* Suricata's semantics: any: the source has a score that compares, else
 * the destination has one and it compares (isnotset: either has none);
 * both: both have one and both compare (isnotset: neither has one);
 * src/dst: that address has one and it compares (isnotset: it has none). */
bool iprep_cond_match(const struct iprep *r, const struct iprep_cond *c, uint8_t ver,
		      const uint8_t *src, const uint8_t *dst);

#endif
