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

/* Builds a matcher; identical patterns are merged.  NULL with err. */
struct mpm *mpm_build(const struct mpm_pattern *p, uint32_t n, char *err, size_t errlen);
void mpm_free(struct mpm *m);
uint64_t mpm_memory(const struct mpm *m);
const char *mpm_name(void);
/* The prefilter library's own version string (static storage). */
const char *mpm_version(void);

/* One scratch serves every matcher it was grown for (mpm_scratch_grow). */
struct mpm_scratch *mpm_scratch_grow(struct mpm_scratch *s, const struct mpm *m);
void mpm_scratch_free(struct mpm_scratch *s);

/* Calls cb once per rule whose pattern occurs in buf (a rule may be
 * reported more than once if several of its patterns... each rule has
 * one fast pattern, so once). */
void mpm_scan(const struct mpm *m, struct mpm_scratch *s, const uint8_t *buf, uint32_t len,
	      mpm_cb cb, void *ctx);

#endif
