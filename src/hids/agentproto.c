/*
 * agentproto.c - parsing agents' records and keeping them in order (see
 * agentproto.h).  Everything in a record is the agent's word, so every
 * field is checked for type and the VM name for its characters (it
 * becomes a file key and a label in every record).
 */
#include "agentproto.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static bool vm_ok(const char *s)
{
	size_t n = strlen(s);
	if (!n || n > HIDS_VM_MAX)
		return false;
	for (; *s; s++)
		if (!(isalnum((unsigned char)*s) || *s == '-' || *s == '_' || *s == '.'))
			return false;
	return true;
}

int hids_arec_parse(const char *line, size_t len, struct hids_arec *r)
{
	memset(r, 0, sizeof(*r));
	json_error_t je;
	json_t *o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	r->root = o;
	if (!json_is_object(o))
		return V_EFORMAT;
	json_t *seq = json_object_get(o, "seq"), *vm = json_object_get(o, "vm");
	const char *type = json_string_value(json_object_get(o, "type"));
	if (!json_is_integer(seq) || json_integer_value(seq) <= 0 || !type || !json_is_string(vm) ||
	    !vm_ok(json_string_value(vm)))
		return V_EFORMAT;
	r->seq = (uint64_t)json_integer_value(seq);
	strcpy(r->vm, json_string_value(vm));
	json_t *tm = json_object_get(o, "time");
	if (json_is_integer(tm) && json_integer_value(tm) > 0)
		r->time_us = (uint64_t)json_integer_value(tm);
	const char *ep = json_string_value(json_object_get(o, "epoch"));
	if (ep && strlen(ep) < sizeof(r->epoch))
		strcpy(r->epoch, ep);
	if (!strcmp(type, "log")) {
		json_t *l = json_object_get(o, "line");
		const char *loc = json_string_value(json_object_get(o, "location"));
		if (!json_is_string(l))
			return V_EFORMAT;
		r->type = HAR_LOG;
		r->line = json_string_value(l);
		r->line_len = json_string_length(l);
		r->location = loc && *loc ? loc : "agent";
	} else if (!strcmp(type, "fim")) {
		json_t *ev = json_object_get(o, "event");
		if (!json_is_object(ev))
			return V_EFORMAT;
		r->type = HAR_FIM;
		if (!(r->event = json_dumps(ev, JSON_COMPACT)))
			return V_ENOMEM;
	} else if (!strcmp(type, "gap")) {
		json_t *fr = json_object_get(o, "from");
		if (!json_is_integer(fr) || json_integer_value(fr) <= 0 ||
		    (uint64_t)json_integer_value(fr) > r->seq)
			return V_EFORMAT;
		r->type = HAR_GAP;
		r->from = (uint64_t)json_integer_value(fr);
	} else if (!strcmp(type, "dropped")) {
		json_t *c = json_object_get(o, "count");
		r->type = HAR_DROPPED;
		r->count = json_is_integer(c) && json_integer_value(c) > 0 ? (uint64_t)json_integer_value(c) : 0;
	} else {
		r->type = HAR_OTHER; /* a newer agent's kind: taken, and ignored */
	}
	return 0;
}

void hids_arec_fini(struct hids_arec *r)
{
	free(r->event);
	json_decref(r->root);
	memset(r, 0, sizeof(*r));
}

enum hids_seq_verdict hids_seq_check(uint64_t last, uint64_t seq, uint64_t *want)
{
	if (seq <= last)
		return HSEQ_DUP;
	if (last && seq != last + 1) {
		*want = last + 1;
		return HSEQ_WANT;
	}
	return HSEQ_TAKE;
}
