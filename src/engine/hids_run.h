/*
 * hids_run.h - the host IDS thread of the sensor (engine-internal).
 */
#ifndef VIGIL_HIDS_RUN_H
#define VIGIL_HIDS_RUN_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "sink.h"
#include "vigil.h"

struct hids_run;

/* Set by SIGHUP and SIGUSR2: the thread reloads the ruleset. */
extern volatile sig_atomic_t engine_hids_reload;

/* Loads hids.ruleset and opens the sources, the agents' socket and FIM
 * (what may need privileges); hids_run_go starts the thread.  NULL when
 * hids.enabled is off (e untouched) or on an error (e says which). */
struct hids_run *hids_run_start(const struct config *cfg, struct sink *eve, struct verr *e);
/* Starts the thread (after privileges are dropped).  0 or V_ENOMEM. */
int hids_run_go(struct hids_run *h, struct verr *e);
/* Stops the thread and frees; drain: read the sources to their end first
 * (reading a capture file).  NULL: no-op. */
void hids_run_stop(struct hids_run *h, bool drain);
/* Asks the thread to reload the ruleset (the control socket). */
void hids_run_reload(struct hids_run *h);

struct hids_run_stats {
	uint64_t lines, alerts, reloads;
};
void hids_run_stats(const struct hids_run *h, struct hids_run_stats *st);

#endif
