/*
 * learned.h - what the policy layer learns about each VM and keeps across
 * restarts: the destinations it has reached (for "new destination"
 * warnings), the hours of the week in which it starts sessions (for
 * "session at an unexpected time"), and, for VMs in learn mode, what it
 * talks to, from which `vigil policy propose` writes an allowlist.
 *
 * One object for all workers (a VM's flows are spread over them), in
 * memory with striped locks and bounded sizes; what changes is queued and
 * written to SQLite (WAL) in one transaction per flush, which the control
 * thread's timer runs every second, so a crash loses at most the last
 * second.  Times are the caller's (packet time offline, wall time live).
 */
#ifndef VIGIL_LEARNED_H
#define VIGIL_LEARNED_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

struct verr;
struct identity;
struct config;

/* what a new destination can be */
enum { NEWDEST_DOMAIN = 1, NEWDEST_REGDOMAIN = 2, NEWDEST_NET = 4 };

struct learned_cfg {
	const char *path;          /* the SQLite file; NULL or "": memory only */
	unsigned kinds;            /* NEWDEST_* reported; 0: none */
	uint32_t dest_learn;       /* seconds after a VM is first seen before new
				    * destinations are reported */
	uint32_t max_destinations; /* (VM, kind, destination) kept at most */
	uint32_t hours_learn;      /* seconds before unexpected hours are reported; 0: off */
	uint32_t hours_min;        /* weeks with a session in an hour of the week
				    * below which a session then is unexpected */
	uint64_t quiet[3];         /* quiet hours for every VM (168 bits, hour of
				    * the week from Sunday 00:00, local time) */
	uint32_t learn_max;        /* learn-mode records kept at most */
	int tz_offset;             /* seconds east of UTC; INT32_MIN: the local zone's */
};

/* A VM's new outbound flow. */
struct contact {
	const char *vm;            /* the VM's name */
	const char *name;          /* the name the VM resolved the destination from, or NULL */
	uint8_t ver;               /* 4 or 6 */
	const uint8_t *addr;
	uint8_t proto;             /* 6, 17, or another IP protocol */
	uint16_t port;             /* 0 when the protocol has none */
	uint32_t now;
	bool learn;                /* the VM is in learn mode: record the flow */
	const uint64_t *quiet;     /* the VM's own quiet hours, or NULL (the default's) */
};

struct contact_report {
	unsigned newdest;          /* the NEWDEST_* kind reported, 0: none */
	char dest[272];            /* the new destination (a name or a network) */
	uint32_t known;            /* destinations of that kind the VM had reached */
	uint32_t learned_days;     /* days since the VM was first seen */
	unsigned odd;              /* 0: none; 1: no session in this hour while learning; 2: quiet hours */
	unsigned how;              /* the hour of the week (0: Sunday 00:00-01:00) */
	uint32_t weeks_active;     /* weeks with a session in that hour */
};

struct learned_stats {
	uint64_t vms, destinations, learn_rows;
	uint64_t written, dropped, full, errors;
};

/* c from the configuration's policy.* keys; path (cap bytes) receives the
 * state file's path (policy.state-file under control.state-dir).  0, or
 * V_EINVAL with e naming the key. */
int learned_cfg_from(const struct config *cfg, struct learned_cfg *c, char *path, size_t cap,
		     struct verr *e);
struct learned *learned_open(const struct learned_cfg *c, struct verr *e);
/* Flushes what is queued and closes. */
void learned_close(struct learned *l);
/* Gives the file (and its WAL files) to uid/gid (a run-as user). */
int learned_chown(struct learned *l, uid_t uid, gid_t gid);
/* Writes the queued changes in one transaction; rows written, or -1. */
int learned_flush(struct learned *l);
/* Records a contact; fills r and returns true when something is to be
 * reported (r->newdest and/or r->odd). */
bool learned_contact(struct learned *l, const struct contact *c, struct contact_report *r);
void learned_get_stats(struct learned *l, struct learned_stats *s);

/* The registrable domain of a name: its last two labels, or three under a
 * two-letter country code with a short second level (example.co.uk). */
const char *name_registrable(const char *name);
/* "Sun".."Sat" and the hour: "Tue 03:00". */
void hour_of_week_name(unsigned how, char *buf, size_t cap);
/* Parses a quiet-hours span ("Mon-Fri 22-07", "Sat,Sun 0-24", "23-06"
 * every day) into mask (168 bits, ORed in); 0 or V_EINVAL with e set. */
int quiet_hours_parse(const char *text, uint64_t mask[3], struct verr *e);

/* Writes a proposed identity file for the VMs recorded in learn mode (vm:
 * one, or NULL for all) from the state file at path, to out.  idm (may be
 * NULL) gives the VMs' addresses.  0, or <0 with e set. */
int learned_propose(const char *path, const char *vm, const struct identity *idm, FILE *out,
		    struct verr *e);

#endif
