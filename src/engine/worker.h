/*
 * worker.h - one worker's state (engine-internal).
 */
#ifndef VIGIL_WORKER_H
#define VIGIL_WORKER_H

#include <stdatomic.h>

#include "detect.h"
#include "eve.h"
#include "json.h"
#include "sink.h"
#include "stream.h"
#include "blocklist.h"
#include "resolved.h"
#include "behave.h"
#include "learned.h"
#include "record.h"
#include "timer.h"

/* The running rule engine, shared by all workers.  A reload stores a new
 * engine and bumps gen; each worker switches at its next packet (or while
 * idle) and acknowledges in its own seen_gen. */
/* What the control thread publishes to the workers: the rule engine and
 * the identity map.  A reload of either bumps gen; each worker takes both
 * pointers between packets and records the gen it has seen, and the old
 * one is freed once every worker has moved on. */
struct rules_state {
	_Atomic(struct detect_engine *) cur;
	_Atomic(struct identity *) idm;
	_Atomic(struct blocklists *) bl;
	atomic_uint gen;
	atomic_uint reloads;          /* of the rules */
	atomic_uint identity_reloads;
	atomic_uint list_reloads;
	struct resolved *resolved;    /* the VMs' DNS answers (allowlists) */
	struct behave *behave;        /* scans and beacons */
	struct learned *learned;      /* new destinations, active hours, learn mode */
};

/* A question the control socket asks every worker about its own flows
 * (the flow tables are the workers' alone): each answers between two
 * packets, or while idle, into its own out[] and sets its done[] flag. */
#define WQ_MAX_WORKERS 64
struct flow_query {
	char vm[65];              /* only flows with this VM on either side ("" any) */
	uint8_t ip_ver;           /* only flows with this address on either side (0 any) */
	uint8_t ip[16];
	uint16_t port;            /* only flows with this port on either side (0 any) */
	uint64_t flow_id;         /* only this flow (0 any) */
	uint32_t limit;           /* flows written per worker at most */
	struct jbuf out[WQ_MAX_WORKERS]; /* eve flow records, one a line */
	uint64_t matched[WQ_MAX_WORKERS];
	atomic_bool done[WQ_MAX_WORKERS];
};

struct worker {
	unsigned id;
	_Atomic(struct flow_query *) query; /* set by the control socket */
	struct counters cnt;
	uint64_t ev[EV_MAX];
	struct decode_ctx dec;
	struct flow_table *ft;
	struct reasm_ctx rc;
	struct app_ctx app;
	bool app_on;             /* app-layer.enabled */
	struct eve_cfg ec;
	struct sink *eve;    /* shared, may be NULL */
	struct jbuf out;     /* pending eve lines */
	struct jbuf scratch; /* eve_cfg.scratch: policy alert bodies */
	struct jbuf meta;    /* a kept file's metadata record (file-store.write-fileinfo) */
	struct policy_alert pa; /* the policy finding being written (pol_begin) */
	struct sink *fast;   /* fast.log, may be NULL */
	struct jbuf fastbuf;
	struct rules_state *rules;
	const struct detect_engine *de;
	struct detect_thread *dt;
	const struct blocklists *bl; /* the current blocklists, may be empty */
	struct resolved *resolved;   /* the VMs' DNS answers, shared by all workers */
	struct behave *behave;       /* scans and beacons, shared by all workers */
	struct learned *learned;     /* what the VMs reached and when; may be NULL */
	const struct config *cfg;
	uint64_t long_grades[8];   /* policy.long-session, seconds, ascending */
	unsigned nlong;
	atomic_uint seen_gen;
	bool ips;            /* drops take effect: inline, or --simulate-ips */
	bool modified;           /* replace rewrote the last packet's payload (inline: send it back) */
	bool live;           /* wall-clock timestamps: expire flows while idle */
	bool bypass;         /* inline: mark flows that need no more inspection */
	struct detect_result dres;
	vtime_t now;         /* latest packet time seen */
	vtime_t first_ts;    /* the first packet's time (alloc.packet_path) */
	uint32_t prealloc_blocks; /* alloc.prealloc-blocks, taken by the first packet */
	bool pooled;         /* this thread's allocation pool is set up */
	bool xp_nodetect;    /* this packet: an exception policy passed it (no detection) */
	struct timers timers; /* flow expiry, the session walk: packet time, wall time live */
	struct packet pkt;
	struct packet pseudo;  /* a flow's end: what was held, inspected (see flush_held) */
	uint32_t held_sid[32];  /* this packet: the held alerts written on it (sid, gid) */
	uint32_t held_gid[32];
	unsigned nheld;
	bool got[2];
	bool acking;         /* in stream_packet, acknowledged delivery: see acked_other */
	struct packet *settle; /* flush_held: each segment of its direction is inspected on it */         /* this packet: stream data went to the consumers, per direction */
	struct jbuf dfr;     /* an alert held for its direction's next packet (hold_alert) */
	struct jbuf dfast;   /* its fast.log line */
	uint32_t ifindex;    /* the next packet's input interface (inline), 0 if unknown */
	struct { uint32_t index; char name[16]; } ifcache[32]; /* index -> name */
};

int worker_init(struct worker *w, const struct config *cfg, unsigned id, unsigned nworkers,
		struct sink *eve, struct verr *e);
/* Attaches the rule engine state and fast.log (before the first packet). */
int worker_set_rules(struct worker *w, struct rules_state *rs, struct sink *fast);
/* Switches to the current engine and identity map if a reload published
 * new ones. */
void worker_check_rules(struct worker *w);
/* Answers a pending flow query (worker_check_rules does too). */
void worker_answer(struct worker *w);
/* WV_DNS_REFUSE: drop, and answer the DNS question (policy.dns-refuse) */
enum { WV_ACCEPT, WV_DROP, WV_REJECT, WV_BYPASS, WV_DNS_REFUSE };
/* Processes one captured packet; returns its verdict (WV_*), which only
 * differs from accept when w->ips is set. */
int worker_packet(struct worker *w, int linktype, vtime_t ts, const uint8_t *data,
		  uint32_t caplen, uint32_t wirelen, uint64_t pcap_cnt);
/* Called while no packet arrives: flushes output, and for live sources
 * expires flows as of now. */
void worker_idle(struct worker *w, vtime_t now);
/* Ends all flows (reason shutdown), flushes output, frees. */
/* Ends every flow of the run (shutdown), after a last memcap.pressure. */
void worker_end_flows(struct worker *w);
void worker_fini(struct worker *w);
/* Sums the n workers' counters (those that are maxima: the largest) and
 * events (ev has EV_MAX entries).  Read while they run: each value is a
 * recent one, as a stats reader expects. */
void workers_sum(struct counters *cnt, uint64_t *ev, struct worker *const *ws, unsigned n);
/* Resolves the exception policies (config_xp) for the worker's mode:
 * worker_init does it for w->ips as the config says; call it again after
 * changing w->ips (inline on NFQUEUE). */
void worker_exception_policies(struct worker *w);
/* Writes pending eve lines to the sink. */
void worker_flush(struct worker *w);

#endif
