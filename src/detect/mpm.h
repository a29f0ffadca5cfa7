/*
 * mpm.h - multi-pattern matching for the prefilter (detect-internal).
 * Hyperscan (or Vectorscan) when built with it, else a portable scan.
 */
#ifndef VIGIL_MPM_H
#define VIGIL_MPM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mpm_pattern {
	const uint8_t *pat;
	uint32_t len;
	bool nocase;
	uint32_t rule;  /* reported to the callback */
};

struct mpm;
struct mpm_scratch;
typedef void (*mpm_cb)(void *ctx, uint32_t rule);

/* A directory of compiled prefilter databases (Hyperscan's serialised
 * form), each named by the SHA-256 of its pattern set and the library
 * version, as Suricata's sgh-mpm-caching does: a restart or reload with
 * the same patterns deserialises instead of compiling.  dir NULL or ""
 * turns it off.  The counters say what happened. */
struct mpm_cache {
	const char *dir;
	uint32_t compiled; /* databases compiled (with or without a directory) */
	uint32_t hits;     /* databases read from the cache */
	uint32_t shared;   /* databases another matcher held already (a reload's
			    * unchanged sets: nothing read or compiled) */
	uint32_t stored;   /* compiled and written to it */
	uint32_t failed;   /* unreadable or unwritable entries (compiled instead) */
	/* Set by the caller: a database that is neither in the cache nor
	 * cheap is not compiled now but on background threads (at most
	 * threads, 0: one per CPU) once a worker's scratch is made for it
	 * (mpm_scratch_grow); until it is ready the matcher scans with a
	 * hashed literal index built in microseconds, which reports the same
	 * rules.  A -T load that makes no scratch compiles nothing. */
	bool defer;
	unsigned threads;
	unsigned nice;     /* the background threads' nice increment (at most 19) */
	uint32_t deferred; /* databases left to the background */
};

/* Builds a matcher; identical patterns are merged.  cache may be NULL.
 * NULL with err. */
struct mpm *mpm_build(const struct mpm_pattern *p, uint32_t n, struct mpm_cache *cache,
		      char *err, size_t errlen);
/* One database for the union of nset pattern sets (p[i], n[i] patterns)
 * and a matcher per set, out[i], that reports exactly the rules
 * mpm_build(p[i], n[i]) would: one compilation where sets share most of
 * their patterns.  mpm_memory counts the database with out[0].  Without
 * Hyperscan, one mpm_build per set.  0, or -1 with err and out[] NULL. */
int mpm_build_union(const struct mpm_pattern *const *p, const uint32_t *n, uint32_t nset,
		    struct mpm **out, struct mpm_cache *cache, char *err, size_t errlen);
/* No background compiling in this process (detect.prefilter-compile:
 * never): deferred sets keep their quick index. */
void mpm_background_off(void);
/* Removes cache entries not used for max_age seconds (each use touches its
 * file), so that daily ruleset updates do not fill the disk.  Returns the
 * number removed. */
unsigned mpm_cache_prune(const char *dir, uint64_t max_age);
/* One more holder of m (groups with the same patterns and rules share one
 * matcher); mpm_free drops a reference and frees with the last. */
struct mpm *mpm_ref(struct mpm *m);
void mpm_free(struct mpm *m);
uint64_t mpm_memory(const struct mpm *m);
/* Whether m scans with a compiled database now (not its quick index). */
bool mpm_ready(const struct mpm *m);
const char *mpm_name(void);
/* The prefilter library's own version string (static storage). */
const char *mpm_version(void);

/* One scratch serves every matcher (it is grown, on the scan that needs
 * it, for databases that became ready since); the first one also starts
 * the background compiling of deferred databases. */
struct mpm_scratch *mpm_scratch_grow(struct mpm_scratch *s, const struct mpm *m);
void mpm_scratch_free(struct mpm_scratch *s);

/* Calls cb once per rule whose pattern occurs in buf (a rule may be
 * reported more than once if several of its patterns... each rule has
 * one fast pattern, so once). */
void mpm_scan(const struct mpm *m, struct mpm_scratch *s, const uint8_t *buf, uint32_t len,
	      mpm_cb cb, void *ctx);


/* mpm_scan reporting pattern ids (those with rules in m), each once per
 * scan, instead of rules: a caller that keeps what it has seen reports
 * their rules again with mpm_rules_of. */
void mpm_scan_ids(const struct mpm *m, struct mpm_scratch *s, const uint8_t *buf, uint32_t len,
		  mpm_cb cb, void *ctx);
void mpm_rules_of(const struct mpm *m, uint32_t id, mpm_cb cb, void *ctx);
/* The longest pattern's length: a match that ends past offset x of a
 * buffer starts past x - mpm_max_len. */
uint32_t mpm_max_len(const struct mpm *m);

#endif
