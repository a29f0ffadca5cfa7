/*
 * behave.h - early-warning detectors that need memory across flows and
 * workers: scans (one source touching many ports or hosts within a
 * window) and beaconing (one source connecting to one destination at
 * regular intervals with regular sizes).  One table each for all workers
 * (a source's flows are spread over them), bounded, with striped locks.
 * The detectors only count and score; the worker writes the alerts.
 */
#ifndef VIGIL_BEHAVE_H
#define VIGIL_BEHAVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct behave;

struct behave_cfg {
	uint32_t scan_window;       /* seconds */
	uint32_t scan_ports, scan_hosts;
	uint32_t beacon_min;        /* connections before a score is given */
	uint32_t beacon_score;      /* percent */
	uint32_t beacon_repeat;     /* seconds between two reports of one beacon */
	uint32_t max_entries;
};

struct behave *behave_new(const struct behave_cfg *c);
void behave_free(struct behave *b);

/* A new flow from src to dst:dport.  Returns 1 (ports) or 2 (hosts) when
 * this source has just crossed a scan threshold in the current window (once
 * per window and kind), 0 otherwise; *count and *window say how many
 * distinct destinations (estimated) in how many seconds. */
int behave_flow_start(struct behave *b, uint8_t ver, const uint8_t *src, const uint8_t *dst,
		      uint16_t dport, uint32_t now, uint32_t *count, uint32_t *window);

struct beacon_report {
	uint32_t connections;       /* in the history scored */
	double interval_mean, interval_sd; /* seconds */
	double bytes_mean, bytes_sd;
	uint32_t score;             /* percent */
	uint32_t first, last;       /* start times of the first and last scored */
};

/* A flow that was answered (failed connections are not counted) ended:
 * it started at `start_ms` (milliseconds) and carried `bytes`.  True when the source's
 * connections to dst:dport (proto) now score as a beacon; *r explains. */
bool behave_flow_end(struct behave *b, uint8_t ver, const uint8_t *src, const uint8_t *dst,
		     uint16_t dport, uint8_t proto, uint64_t start_ms, uint64_t bytes,
		     struct beacon_report *r);

/* Counts distinct items (by hash) under key within a window of `window`
 * seconds; true once per window when the estimate reaches threshold (the
 * DNS anomalies: unique subdomains of one domain, NXDOMAIN names). */
bool behave_distinct(struct behave *b, const void *key, size_t len, uint64_t item, uint32_t now,
		     uint32_t window, uint32_t threshold, uint32_t *count);

/* True the first time `key` (len bytes) is seen in a period of `repeat`
 * seconds: the detectors report something once per period. */
bool behave_once(struct behave *b, const void *key, size_t len, uint32_t now, uint32_t repeat);

/* The beacon score of a history (exposed for unit tests): start times and
 * sizes of n connections, oldest first. */
uint32_t beacon_score(const uint64_t *starts_ms, const uint64_t *bytes, unsigned n,
		      struct beacon_report *r);

#endif
