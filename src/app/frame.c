/*
 * frame.c - protocol frames: the bytes of one protocol unit (a WebSocket
 * frame, a DNS message, an MQTT packet...) that a parser completed on
 * this packet, for Suricata 8's frame keyword.
 *
 * A parser reports a frame with its type (frames.def) and direction; the
 * bytes are copied into one per-thread area reset with each packet, so a
 * parser need not keep them, and a frame cut across deliveries may be
 * reported from two pieces.  The area is bounded (APP_FRAME_BYTES, and
 * APP_FRAMES_PER_PKT frames): what does not fit is not shown.  The
 * detection engine turns each frame into an instance of the "frame"
 * buffer, and a rule sees those of its frame type.
 */
#include <string.h>

#include "app_int.h"
#include "util.h"

static const struct frame_row {
	int alp;
	const char *proto, *name;
} rows[FR_MAX] = {
	[FR_NONE] = { 0, "", "" },
#define X(id, alp, proto, name, help) [FR_##id] = { alp, proto, name },
#include "frames.def"
#undef X
};

/* The frames' bytes: one area per thread (a worker's packets are one at
 * a time), static so that no packet allocates (its pages are touched only
 * by threads that see frames) */
static _Thread_local uint8_t area[APP_FRAME_BYTES];
static _Thread_local uint32_t area_used;

void app_frames_reset(struct app_ctx *a)
{
	a->tx.nframes = 0;
	area_used = 0;
}

bool app_frame_add(struct app_ctx *a, int type, int dir, const uint8_t *p1, uint32_t n1,
		   const uint8_t *p2, uint32_t n2)
{
	struct app_tx *t = &a->tx;
	if (t->nframes >= APP_FRAMES_PER_PKT || type <= FR_NONE || type >= FR_MAX)
		return false;
	if (n1 > APP_FRAME_BYTES || n2 > APP_FRAME_BYTES - n1 ||
	    n1 + n2 > APP_FRAME_BYTES - area_used)
		return false;
	uint8_t *dst = area + area_used;
	if (n1)
		memcpy(dst, p1, n1);
	if (n2)
		memcpy(dst + n1, p2, n2);
	area_used += n1 + n2;
	struct app_frame *fr = &t->frames[t->nframes++];
	fr->p = dst;
	fr->len = n1 + n2;
	fr->type = (uint8_t)type;
	fr->dir = (uint8_t)(dir & 1);
	fr->missing = 0;
	fr->tx_set = false;
	fr->tx_id = 0;
	/* its id: the flow's next in that direction (Suricata numbers each
	 * direction's frames from 1) */
	struct app_flow *af = a->cur ? a->cur->app : NULL;
	fr->id = af ? ++af->frame_id[dir & 1] : t->nframes;
	/* its offset, when it starts in (p1) or runs into (p2) the bytes
	 * being delivered */
	fr->off_set = false;
	fr->off = 0;
	const uint8_t *b = a->dl_p;
	if (b && n1 && p1 >= b && p1 < b + a->dl_len) {
		fr->off = a->dl_off + (uint64_t)(p1 - b);
		fr->off_set = true;
	} else if (b && n2 && p2 >= b && p2 < b + a->dl_len && a->dl_off + (uint64_t)(p2 - b) >= n1) {
		fr->off = a->dl_off + (uint64_t)(p2 - b) - n1;
		fr->off_set = true;
	}
	return true;
}

bool app_frame_add_at(struct app_ctx *a, int type, int dir, uint64_t off, const uint8_t *p1,
		      uint32_t n1, const uint8_t *p2, uint32_t n2)
{
	if (!app_frame_add(a, type, dir, p1, n1, p2, n2))
		return false;
	struct app_frame *fr = &a->tx.frames[a->tx.nframes - 1];
	fr->off = off;
	fr->off_set = true;
	return true;
}

void app_frame_tx(struct app_ctx *a, uint64_t tx_id)
{
	if (a->tx.nframes) {
		a->tx.frames[a->tx.nframes - 1].tx_id = tx_id;
		a->tx.frames[a->tx.nframes - 1].tx_set = true;
	}
}

void app_frame_missing(struct app_ctx *a, uint32_t n)
{
	if (a->tx.nframes)
		a->tx.frames[a->tx.nframes - 1].missing = n;
}

bool app_frame_append(struct app_ctx *a, const uint8_t *p, uint32_t n)
{
	struct app_tx *t = &a->tx;
	if (!t->nframes)
		return false;
	struct app_frame *fr = &t->frames[t->nframes - 1];
	if (n > APP_FRAME_BYTES - area_used || fr->p + fr->len != area + area_used) {
		t->nframes--; /* cut short: not shown */
		return false;
	}
	if (n)
		memcpy(area + area_used, p, n);
	area_used += n;
	fr->len += n;
	return true;
}

int app_frame_lookup(const char *name, int alp, int *falp)
{
	/* "proto.name" when proto is a protocol, else the rule's protocol's
	 * "name" (so "request.line" in a sip rule is sip's) */
	const char *dot = strchr(name, '.');
	for (int i = FR_NONE + 1; dot && i < FR_MAX; i++) {
		size_t pl = strlen(rows[i].proto);
		bool same = (size_t)(dot - name) == pl && !strncmp(name, rows[i].proto, pl);
		/* http1 is http's name in frame names */
		if (!same && rows[i].alp == ALP_HTTP && dot - name == 4 && !strncmp(name, "http", 4))
			same = true;
		if (same && !strcmp(dot + 1, rows[i].name)) {
			*falp = rows[i].alp;
			return i;
		}
	}
	if (alp == ALP_HTTP1)
		alp = ALP_HTTP; /* an http1 rule: HTTP/1's frames */
	for (int i = FR_NONE + 1; alp > 0 && i < FR_MAX; i++)
		if (rows[i].alp == alp && !strcmp(name, rows[i].name)) {
			*falp = alp;
			return i;
		}
	return FR_NONE;
}

const char *app_frame_name(int type)
{
	return type > FR_NONE && type < FR_MAX ? rows[type].name : "";
}
