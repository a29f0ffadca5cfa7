/*
 * event.c - one log line under analysis: its copies, the decoded fields
 * and the storage their values live in.
 *
 * Decoded values are copied into chunks owned by the event and kept
 * across events (reset, not freed), so a steady stream of lines does
 * not allocate once the chunks have grown to the largest line seen.
 */
#include "hids_int.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct hids_chunk {
	struct hids_chunk *next;
	size_t used, cap;
	char data[];
};

#define CHUNK_MIN 8192

void hids_event_init(struct hids_event *ev)
{
	memset(ev, 0, sizeof(*ev));
}

static void chunks_reset(struct hids_event *ev)
{
	/* keep the largest chunk, free the others */
	struct hids_chunk *keep = NULL;
	for (struct hids_chunk *c = ev->chunks, *n; c; c = n) {
		n = c->next;
		if (!keep || c->cap > keep->cap) {
			free(keep);
			keep = c;
		} else {
			free(c);
		}
	}
	if (keep) {
		keep->next = NULL;
		keep->used = 0;
	}
	ev->chunks = keep;
}

int hids_event_set(struct hids_event *ev, const char *location, const char *line, size_t len)
{
	const char *nul = memchr(line, 0, len);
	if (nul)
		len = (size_t)(nul - line);
	chunks_reset(ev);
	struct hids_chunk *keep = ev->chunks;
	void (*trace)(void *, const struct hrule *, bool) = ev->trace;
	void *tctx = ev->trace_ctx;
	memset(ev, 0, sizeof(*ev));
	ev->chunks = keep;
	ev->trace = trace;
	ev->trace_ctx = tctx;
	ev->location = location ? location : "stdin";
	ev->full_log = hids_event_strndup(ev, line, len);
	ev->buf = hids_event_strndup(ev, line, len);
	if (!ev->full_log || !ev->buf)
		return V_ENOMEM;
	ev->log = ev->buf;
	return 0;
}

void hids_event_fini(struct hids_event *ev)
{
	for (struct hids_chunk *c = ev->chunks, *n; c; c = n) {
		n = c->next;
		free(c);
	}
	free(ev->previous_output);
	memset(ev, 0, sizeof(*ev));
}

char *hids_event_strndup(struct hids_event *ev, const char *s, size_t n)
{
	struct hids_chunk *c = ev->chunks;
	if (!c || c->cap - c->used < n + 1) {
		size_t cap = n + 1 > CHUNK_MIN ? n + 1 : CHUNK_MIN;
		if (c && c->cap * 2 > cap && c->cap * 2 >= n + 1)
			cap = c->cap * 2;
		struct hids_chunk *nc = malloc(sizeof(*nc) + cap);
		if (!nc)
			return NULL;
		nc->cap = cap;
		nc->used = 0;
		nc->next = c;
		ev->chunks = c = nc;
	}
	char *d = c->data + c->used;
	memcpy(d, s, n);
	d[n] = 0;
	c->used += n + 1;
	return d;
}

/* A hash of name that ignores ASCII case: names with different hashes
 * differ as strcasecmp sees them, so a lookup compares only the names
 * with its own hash. */
uint32_t hids_dyn_key(const char *name)
{
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		h = (h ^ (uint32_t)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p)) * 16777619u;
	return h;
}

const char *hids_event_dyn(const struct hids_event *ev, const char *name)
{
	return hids_event_dyn_k(ev, name, hids_dyn_key(name));
}

const char *hids_event_dyn_k(const struct hids_event *ev, const char *name, uint32_t k)
{
	for (size_t i = 0; i < ev->dyn_cnt; i++)
		if (ev->dyn_key[i] == k && !strcasecmp(ev->dyn[i].name, name))
			return ev->dyn[i].value;
	return NULL;
}

void hids_set_static(struct hids_event *ev, int f, const char *v)
{
	if (f >= 0 && f < HF_STATIC_CNT)
		ev->f[f] = v;
}

bool hids_add_dyn(struct hids_event *ev, const char *name, const char *v)
{
	if (ev->dyn_cnt >= HIDS_MAX_DYN)
		return false;
	ev->dyn[ev->dyn_cnt].name = name;
	ev->dyn[ev->dyn_cnt].value = v;
	ev->dyn_key[ev->dyn_cnt] = hids_dyn_key(name);
	ev->dyn_cnt++;
	return true;
}

static const char *const static_names[] = {
#define X(e, n) n,
	HIDS_STATIC_FIELDS(X)
#undef X
};

int hids_field_static(const char *name)
{
	if (!strcmp(name, "user"))
		return HF_DSTUSER;
	for (int i = 0; i < HF_STATIC_CNT; i++)
		if (!strcmp(name, static_names[i]))
			return i;
	return -1;
}

const char *hids_field_name(int f)
{
	return f >= 0 && f < HF_STATIC_CNT ? static_names[f] : "";
}

static const char *const cat_names[] = {
#define X(e, n) n,
	HIDS_CATEGORIES(X)
#undef X
};

int hids_category(const char *name)
{
	for (int i = 0; i < HC_CNT; i++)
		if (!strcmp(name, cat_names[i]))
			return i;
	return -1;
}

void hids_event_fields(const struct hids_event *ev,
		       void (*fn)(void *ctx, const char *name, const char *value), void *ctx)
{
	for (int i = 0; i < HF_STATIC_CNT; i++)
		if (ev->f[i])
			fn(ctx, static_names[i], ev->f[i]);
	for (size_t i = 0; i < ev->dyn_cnt; i++)
		fn(ctx, ev->dyn[i].name, ev->dyn[i].value);
}
