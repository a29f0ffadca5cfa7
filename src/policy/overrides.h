/*
 * overrides.h - the policy changes made while vigil runs (vigil ctl, the
 * dashboard's actions): allow or deny a destination for a VM, block a
 * domain or address for everyone, suppress a signature for a VM or for
 * all.  They are kept in one JSON file in control.state-dir so that they
 * survive a restart, and applied over the configured policy each time it
 * is loaded: VM rules and suppressions by the identity map, global blocks
 * as the blocklist "ctl" (two plain list files written beside the JSON).
 *
 * The file holds the current set, each entry with who made it and when:
 *
 *   {"version": 1, "entries": [
 *     {"action": "allow", "vm": "work", "target": "*.matrix.org tcp/443",
 *      "by": "uid 1000", "time": "2026-11-30T10:00:00Z"},
 *     {"action": "block", "target": "evil.example"},
 *     {"action": "suppress", "gid": 1, "sid": 2013028, "vm": "personal"}]}
 */
#ifndef VIGIL_OVERRIDES_H
#define VIGIL_OVERRIDES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct verr;

enum ovr_action { OVR_ALLOW, OVR_DENY, OVR_BLOCK, OVR_SUPPRESS };

struct ovr {
	uint8_t action;      /* enum ovr_action */
	char vm[65];         /* "" for every VM (block, suppress) */
	char target[256];    /* allow/deny: a VM rule; block: a domain or address */
	uint32_t gid, sid;   /* suppress */
	char by[64], time[32];
};

struct overrides {
	struct ovr *v;
	uint32_t n, cap;
};

#define OVR_MAX 65536

extern const char *const ovr_action_names[];

/* "overrides.json", "ctl-block-ips.txt", ... in control.state-dir, which is
 * relative to default-log-dir unless absolute.  Returns buf ("" if it does
 * not fit). */
const char *policy_state_path(const struct config *cfg, const char *file, char *buf, size_t cap);

/* Reads path into o (emptied first).  A missing file is an empty set; a
 * malformed one is an error naming the file (and line, for JSON errors). */
int overrides_read(const char *path, struct overrides *o, struct verr *e);
/* Writes o to path (a temporary file renamed over it, mode 0640), and the
 * global blocks to blocks_ip / blocks_dom (plain lists, one entry a line)
 * when those are not NULL. */
int overrides_write(const char *path, const struct overrides *o, const char *blocks_ip,
		    const char *blocks_dom, struct verr *e);
/* Checks x (a VM rule parses, a block target is a name or address, a
 * suppression has a sid) and adds it: 0 added, 1 already there. */
int overrides_add(struct overrides *o, const struct ovr *x, struct verr *e);
/* 0 removed, 1 not there. */
int overrides_remove(struct overrides *o, const struct ovr *x);
bool ovr_same(const struct ovr *a, const struct ovr *b);
void overrides_fini(struct overrides *o);

struct jbuf;
/* x as the JSON object the file and the control socket use (member key,
 * or NULL in an array): action, vm, target or gid and sid, by, time. */
void ovr_json(struct jbuf *jb, const struct ovr *x, const char *key);
/* Only what it is about: vm, and target or gid and sid. */
void ovr_json_subject(struct jbuf *jb, const struct ovr *x);

/* Whether a block target is an address or network (else a domain). */
bool ovr_target_is_addr(const char *t);

#endif
