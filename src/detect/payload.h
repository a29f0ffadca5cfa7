/*
 * payload.h - inspection of one buffer by a rule's payload list
 * (detect-internal).
 */
#ifndef VIGIL_PAYLOAD_H
#define VIGIL_PAYLOAD_H

#include "rule.h"
#include "kw_gap.h"

struct xform_scratch;

struct insp {
	const uint8_t *buf;
	uint32_t len;
	int64_t vars[RULE_MAX_VARS];
	uint32_t budget;            /* steps left before giving up */
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	struct xform_scratch *xs;   /* transformed buffers are written here */
	int16_t cur_buf;            /* the buffer being inspected (for entropy's record) */
	int16_t ent_buf;            /* entropy: the buffer of the value kept, or -1 */
	double ent_val;
	char ctx[DETECT_CTX_MAX];    /* datajson: "{\"KEY\":{...},...}" of the rule's matches */
	uint16_t ctx_len;            /* (0: none; reset per rule) */
	/* replace: where each payload content with a replacement matched on
	 * the path being tried (by its index in the list; a later try of the
	 * same content overwrites, so a full match leaves its own path) */
	uint8_t nrep;
	struct { uint16_t i; uint32_t pos; } rep[8];
	bool tx_here;                /* a transaction progressed on this packet (absent) */
	bool dns_here;               /* ... a DNS message (absent on a DNS buffer) */
	/* pcre captures of the rule's path that matches (kw_gap_pcre_note),
	 * kept in variables when the whole rule matches; reset per rule */
	uint8_t ncap;
	struct insp_cap {
		const struct pcre_cap_item *it;
		uint16_t len;
		uint8_t v[KW_VAR_VALUE_MAX];
	} cap[KW_PCRE_CAP_MAX];
};

/* Does the list match buf?  budget bounds backtracking. */
bool payload_inspect(const struct sm_list *l, struct insp *st);

/* Does v satisfy the comparison (dsize, bsize, ttl, ...)? */
bool numcmp_ok(const struct numcmp *c, uint64_t v);

/* Case-(in)sensitive search of pat in [buf, buf+len); NULL if absent. */
const uint8_t *payload_find(const uint8_t *buf, uint32_t len, const uint8_t *pat,
			    const uint8_t *lower, uint32_t plen, bool nocase);

#endif
