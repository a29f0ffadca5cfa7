/*
 * engine.h - the packet path that ties the subsystems together: a capture
 * source feeds workers; each worker decodes, tracks flows, reassembles
 * streams and writes eve records.  In single mode one thread does it all
 * (deterministic output); in workers mode the calling thread reads packets
 * and hands each to the worker that owns its flow (symmetric hash of the
 * outer address pair) through a lock-free single-producer ring.
 */
#ifndef VIGIL_ENGINE_H
#define VIGIL_ENGINE_H

#include <signal.h>
#include <stdbool.h>

#include "capture.h"
#include "config.h"
#include "counters.h"
#include "decode.h"

struct engine_opts {
	bool progress;                  /* progress line on stderr */
	bool detect;                    /* load rules and run them */
	const struct strlist *rule_files; /* -S files, or NULL for the config's */
};

struct engine_result {
	struct counters cnt;   /* summed over workers */
	uint64_t ev[EV_MAX];
	double seconds;        /* wall clock of the run */
	unsigned workers;
	char eve_path[4096];
	char fast_path[4096];
	uint32_t rules_loaded, rules_skipped, rules_invalid;
	double rules_seconds;
	uint64_t rules_memory;
	uint32_t reloads;
};

/* Set from a signal handler to stop the run early. */
extern volatile sig_atomic_t engine_stop;
/* Set from a signal handler (SIGUSR2) to reload the rules. */
extern volatile sig_atomic_t engine_reload;
/* Set by SIGHUP: re-read identity.file (and, later, the policy lists). */
extern volatile sig_atomic_t engine_policy_reload;

/* Runs cfg over the capture until it ends or engine_stop is set.  progress:
 * draw a progress line on stderr.  0 or a negative code with e set. */
int engine_run(const struct config *cfg, struct capture *cap, const struct engine_opts *opts,
	       struct engine_result *res, struct verr *e);

/* Runs inline on NFQUEUE queues (one worker thread each) until
 * engine_stop is set.  Every queued packet gets a verdict; drop and reject
 * rules take effect.  Privileges are dropped once the queues and raw
 * sockets are open. */
int engine_run_inline(const struct config *cfg, const uint16_t *queues, unsigned nq,
		      const struct engine_opts *opts, struct engine_result *res, struct verr *e);

#endif
