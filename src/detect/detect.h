/*
 * detect.h - the rule engine (public header of detect/).
 *
 * An engine is built once from rule files (detect_engine_load) and is then
 * read-only, so every worker shares it; reload builds a new one and swaps
 * the pointer.  Per worker there is a detect_thread (scratch space); per
 * flow a small state (flowbits, flowints, the stream inspection windows)
 * hangs off flow->detect.
 *
 * Per packet, detect_packet() picks the rule group of the packet's
 * protocol, runs the multi-pattern prefilter (Hyperscan, or a portable
 * fallback) over the inspection buffer, evaluates the candidate rules in
 * action order (pass, drop, reject, alert by default) and returns the
 * alerts and the verdict.  For TCP flows that are reassembled, payload
 * rules inspect the reassembled stream (fed through detect_stream_data
 * from the stream callback) instead of single packets.
 */
#ifndef VIGIL_DETECT_H
#define VIGIL_DETECT_H

#include <stdio.h>

#include "config.h"
#include "app.h"
#include "stream.h"

struct detect_engine;
struct detect_thread;

struct detect_load_stats {
	uint32_t files;
	uint32_t loaded;
	uint32_t skipped;   /* unsupported keyword or protocol */
	uint32_t invalid;   /* syntax or value errors */
	double seconds;
	uint32_t mpm_cached;    /* prefilter databases read from detect.mpm-cache-dir */
	uint32_t mpm_compiled;  /* compiled (and stored when the cache is on) */
	uint32_t mpm_shared;    /* taken from a live engine or an identical set, not built */
	uint32_t mpm_deferred;  /* left to the background (detect.prefilter-compile) */
};

/* Loads the rule files (files: -S list, or NULL for the config's
 * rule-files), the classification and reference files.  Unsupported and
 * invalid rules are skipped with one warning each (file:line, sid, reason)
 * unless quiet.  Returns NULL with e set only for fatal errors (no rule
 * file could be read, out of memory). */
struct detect_engine *detect_engine_load(const struct config *cfg, const struct strlist *files,
					 bool quiet, struct detect_load_stats *st, struct verr *e);
void detect_engine_free(struct detect_engine *de);
uint32_t detect_engine_rule_count(const struct detect_engine *de);
/* Prints skipped rules grouped by the keyword or reason holding them back. */
void detect_engine_report(const struct detect_engine *de, FILE *f);
/* Bytes the engine holds (rules, patterns, prefilter databases). */
uint64_t detect_engine_memory(const struct detect_engine *de);

struct detect_thread *detect_thread_new(const struct detect_engine *de);
void detect_thread_free(struct detect_thread *dt);

enum detect_verdict { VERDICT_NONE, VERDICT_PASS, VERDICT_DROP, VERDICT_REJECT };

/* alert actions, as rule.h's enum rule_action */
enum { DETECT_ACT_ALERT, DETECT_ACT_PASS, DETECT_ACT_DROP, DETECT_ACT_REJECT };

#ifndef DETECT_CTX_MAX
#define DETECT_CTX_MAX 1024 /* an alert's datajson context (alert.context), bytes */
#endif
struct detect_alert {
	uint32_t sid, gid, rev;
	uint32_t ridx;     /* the rule's index in the engine (its rank: lower first) */
	uint8_t action;    /* enum rule_action: 0 alert, 1 pass, 2 drop, 3 reject */
	uint8_t severity;
	uint8_t target;    /* 0 none, 1 src_ip, 2 dest_ip */
	bool stream;       /* matched on reassembled stream data */
	bool http_tx;      /* inspected an HTTP transaction's buffers (the alert names its tx_id) */
	bool tx_named;     /* inspected a transaction (or, on UDP, is of the flow's protocol):
			    * the alert names it (DNS's tx_id) */
	bool tx_guessed;   /* detect.guess-applayer-tx: a rule inspecting no transaction, on a
			    * packet with one of the flow's: the alert names that one (tx_id) */
	uint64_t tx_id;    /* the guessed transaction (tx_guessed) */
	const char *msg, *category; /* valid while the engine lives */
	const char *const *meta; /* the rule's metadata object's members (nmeta), likewise */
	uint8_t nmeta;
	const char *text;  /* the rule as written (outputs.eve.types.alert-rule), or NULL */
	uint8_t frame_type; /* a frame rule's frame type (the alert's frame object), or 0 */
	int16_t frame_idx;  /* the frame it matched (its app_tx.frames index), or -1 */
	int16_t ent_buf;   /* an entropy keyword's buffer (metadata.entropy), or -1 */
	double ent_val;
	int8_t h2;         /* the HTTP/2 stream it matched on (its index in app_tx.h2), or -1 */
	char context[DETECT_CTX_MAX]; /* datajson: the alert's context object, or "" */
};

#define DETECT_MAX_ALERTS 16

/* A buffer's name ("http.uri"), or NULL for a number that is none. */
const char *detect_buffer_name(int b);
/* Whether p is tagged (tag keyword: the rest of a session, or a host's
 * packets, after a match); counts p against the tags.  Call before the
 * packet's own detection, so that the packet that matched is not tagged. */
struct packet;
bool detect_tagged(const struct packet *p);
/* The entropy a rule last computed on flow f (entropy keyword): its
 * buffer and value; false if none. */
struct flow;
bool detect_flow_entropy(const struct flow *f, int *buf, double *val);
/* The variables pcre captures left on flow f (kind 0: flow variables,
 * 1: the packet variables of its latest packet): the i-th's name and
 * value (not NUL-terminated); false past the last. */
bool detect_var(const struct flow *f, int kind, unsigned i, const char **name, const uint8_t **val,
		uint32_t *len);

#define DETECT_MAX_REPL 16
struct detect_result {
	struct detect_alert a[DETECT_MAX_ALERTS];
	unsigned cnt;
	unsigned overflow; /* alerts that did not fit (the lowest-ranked past DETECT_MAX_ALERTS) */
	uint8_t verdict;   /* enum detect_verdict for this packet */
	bool flow_drop;    /* the drop/reject applies to the rest of the flow too */
	bool flow_pass;    /* a pass rule passed the flow (FLOW_F_PASS is set) */
	bool flow_bypass;  /* a bypass rule matched: nothing more of the flow is inspected */
	bool filestore;    /* a rule with filestore matched: keep this packet's files */
	bool nolog_tx;     /* a config rule matched: the transaction is not logged */
	/* replace: bytes to write over the packet's payload (the worker does,
	 * inline only), from the rules that matched, in their order */
	unsigned nrepl;
	struct detect_repl {
		uint32_t off, len;    /* in the payload */
		const uint8_t *bytes; /* the rule's (valid while its engine is) */
	} repl[DETECT_MAX_REPL];
};

extern const char *const action_names[];

/* Appends reassembled data of f's direction dir to its inspection window
 * (called from the stream callback). */
void detect_stream_data(struct detect_thread *dt, struct flow *f, int dir, const uint8_t *data,
			uint32_t len, unsigned flags);

/* Runs the rules over p; tx is what the app layer parsed on this packet
 * (NULL: nothing). */
void detect_packet(const struct detect_engine *de, struct detect_thread *dt, struct packet *p,
		   const struct app_tx *tx, struct detect_result *res);

/* True when no rule can inspect anything more of f: a pass rule matched,
 * or (TCP) every direction that carried payload has reached
 * detect.stream-inspect-depth and the other carried none. */
bool detect_flow_done(const struct detect_engine *de, const struct flow *f);

/* Frees f->detect (at flow end). */
void detect_flow_free(struct flow *f);

/* The datasets rules named (dataset keyword) outlive engines: at exit,
 * writes those with a save or state file (save) and frees them all. */
void detect_datasets_close(bool save);

/* Writes the keyword table (--list-keywords). */
void detect_list_keywords(FILE *f);

#endif
