/*
 * hids.h - log analysis with the OSSEC/Wazuh ruleset: the public face of
 * src/hids for the sensor, `vigil logtest` and the agents' receiver.
 *
 * A ruleset (decoders, rules, CDB lists) is loaded once and is read-only
 * afterwards; what rules remember between events (frequency windows,
 * fired counters, first-time-seen keys, ignore timers) lives in a
 * separate hids_state, so that a reload swaps the ruleset and a test
 * session starts from nothing.  One event is one log line: pre-decoded
 * (syslog header), decoded (decoders), then matched against the rule tree.
 */
#ifndef VIGIL_HIDS_H
#define VIGIL_HIDS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "vigil.h"

struct hids_ruleset;
struct hids_state;
struct jbuf;

/* Where the ruleset comes from.  Wazuh layout: decoders/ and rules/
 * under one folder, every .xml file of each loaded in file-name order.
 * OSSEC layout: a decoder.xml and rules/ listed by an ossec.conf's
 * <rules><include> elements (the files it does not list follow, in
 * name order). */
struct hids_paths {
	const char *dir;          /* the ruleset folder */
	const char *lists_dir;    /* CDB lists in text form (NULL: dir/lists) */
	const char *exclude[8];   /* rule file names not to load */
};

/* Loads a ruleset.  0, or a negative V_E code with e->msg naming the
 * file and line of the first fatal error.  Warnings (a rule skipped for
 * a missing parent or list) are counted in hids_ruleset_warnings and
 * written to warn (may be NULL). */
int hids_ruleset_load(struct hids_ruleset **out, const struct hids_paths *p, FILE *warn,
		      struct verr *e);
void hids_ruleset_free(struct hids_ruleset *rs);
size_t hids_ruleset_rules(const struct hids_ruleset *rs);
size_t hids_ruleset_decoders(const struct hids_ruleset *rs);
size_t hids_ruleset_warnings(const struct hids_ruleset *rs);

/* Memory of past events for one stream of events (a session).  NULL on
 * allocation failure. */
struct hids_state *hids_state_new(const struct hids_ruleset *rs);
void hids_state_free(struct hids_state *st);

/* The fields a decoder fills that are not dynamic, in the order Wazuh
 * writes them under "data". */
#define HIDS_STATIC_FIELDS(X) \
	X(PROTOCOL, "protocol") X(ACTION, "action") X(SRCIP, "srcip") X(SRCPORT, "srcport") \
	X(SRCUSER, "srcuser") X(DSTIP, "dstip") X(DSTPORT, "dstport") X(DSTUSER, "dstuser") \
	X(ID, "id") X(STATUS, "status") X(URL, "url") X(DATA, "data") X(EXTRA_DATA, "extra_data") \
	X(SYSTEM_NAME, "system_name")
enum hids_field {
#define X(e, n) HF_##e,
	HIDS_STATIC_FIELDS(X)
#undef X
	HF_STATIC_CNT
};

#define HIDS_MAX_DYN 256

struct hids_dyn {
	const char *name, *value;
};

struct hids_chunk;

/* One log line and what analysis made of it.  The strings point into
 * the event's own storage and live until the next hids_event_reset. */
struct hids_event {
	/* in */
	const char *location;      /* "stdin", "/var/log/auth.log", "journald" */
	const char *agent;         /* the VM the line came from, or NULL */
	char *full_log;
	/* pre-decoding */
	char *buf;                 /* full_log's copy, cut in place */
	const char *log, *timestamp, *hostname, *program_name;
	/* decoding */
	const struct hdecoder *decoder;   /* NULL: no decoder matched */
	const char *decoder_parent;
	const char *f[HF_STATIC_CNT];
	struct hids_dyn dyn[HIDS_MAX_DYN];
	uint32_t dyn_key[HIDS_MAX_DYN];  /* each name's case-blind hash (event.c) */
	size_t dyn_cnt;
	/* rules */
	const struct hrule *rule;  /* the rule that matched, or NULL */
	bool alert;                /* level above 0 and not suppressed */
	unsigned firedtimes;
	unsigned chain[16];        /* the matched rules from the top to rule */
	size_t chain_len;
	char *previous_output;     /* correlated events' logs, or NULL */
	/* rules tried, for logtest -v: callback, or NULL */
	void (*trace)(void *ctx, const struct hrule *r, bool matched);
	void *trace_ctx;
	struct hids_chunk *chunks; /* storage for decoded values */
	uint64_t time_us;          /* when it was analysed */
};

void hids_event_init(struct hids_event *ev);
/* Takes a copy of the line (up to len bytes, NUL-free prefix) for a
 * new analysis.  0 or V_ENOMEM. */
int hids_event_set(struct hids_event *ev, const char *location, const char *line, size_t len);
void hids_event_fini(struct hids_event *ev);

/* Pre-decodes, decodes and matches ev against rs, updating st.  The
 * default hostname (no syslog header) is host.  0 or V_ENOMEM. */
int hids_analyze(const struct hids_ruleset *rs, struct hids_state *st, struct hids_event *ev,
		 const char *host);

/* Pre-decoding alone (called by hids_analyze). */
void hids_predecode(struct hids_event *ev);

/* The matched rule's properties. */
unsigned hids_rule_id(const struct hrule *r);
int hids_rule_level(const struct hrule *r);
const char *hids_rule_description(const struct hrule *r);
/* The decoder name Wazuh reports, and its parent's. */
const char *hids_decoder_name(const struct hdecoder *d);

/* Writes the Wazuh alert fields of ev into an open JSON object: rule,
 * decoder, predecoder, data, full_log, location, previous_output. */
void hids_event_json(const struct hids_event *ev, struct jbuf *jb);
/* Each value's field name and value, in Wazuh's order, for printing:
 * calls fn for the static fields set, then the dynamic ones. */
void hids_event_fields(const struct hids_event *ev, void (*fn)(void *ctx, const char *name,
							       const char *value), void *ctx);
/* The matched rule's groups, split; calls fn for each. */
void hids_rule_groups(const struct hrule *r, void (*fn)(void *ctx, const char *group), void *ctx);

#endif
