/*
 * api.h - the dashboard's JSON API over the event store: each call
 * answers one page of one view, from the store's indexes, so that no
 * request reads more than it shows (keyset pages by event id, LIMIT on
 * every query).
 */
#ifndef VIGIL_API_H
#define VIGIL_API_H

#include <stdint.h>

#include "json.h"

struct sqlite3;

/* A request's query string, decoded. */
struct api_args {
	const char *type, *vm, *q, *state, *name;
	int64_t before, limit, offset, sid, gid, flow_id, id, minutes;
};

/* Each writes one JSON value into out; 0, or -1 with out holding
 * {"error": ...} (a bad argument). */
int api_events(struct sqlite3 *db, const struct api_args *a, struct jbuf *out);
int api_event(struct sqlite3 *db, const struct api_args *a, struct jbuf *out);
int api_alert_groups(struct sqlite3 *db, const struct api_args *a, struct jbuf *out);
int api_vm(struct sqlite3 *db, const struct api_args *a, struct jbuf *out);
int api_vms(struct sqlite3 *db, const struct api_args *a, struct jbuf *out);
int api_timeline(struct sqlite3 *db, const struct api_args *a, struct jbuf *out);
int api_summary(struct sqlite3 *db, const struct api_args *a, struct jbuf *out);
/* Sets a group's state ("new", "ack", "archived"), escalation and note. */
int api_set_group(struct sqlite3 *db, int64_t gid, int64_t sid, const char *vm, const char *state,
		  int escalated, const char *note, struct jbuf *out);
/* Alerts and policy records added after id `after` (the live tail), at
 * most limit; *last: the newest id seen. */
int api_live(struct sqlite3 *db, int64_t after, int64_t limit, int64_t *last, struct jbuf *out);

#endif
