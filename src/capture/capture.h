/*
 * capture.h - packet sources behind one small ops table (public header of
 * capture/).  Offline files now; live capture and NFQUEUE (with verdicts)
 * implement the same ops.  A source hands out one packet at a time; the
 * data stays valid until the next call.
 */
#ifndef VIGIL_CAPTURE_H
#define VIGIL_CAPTURE_H

#include <stdint.h>

#include "util.h"
#include "vigil.h"

struct capture_pkt {
	vtime_t ts;
	const uint8_t *data;
	uint32_t caplen;
	uint32_t wirelen;
};

struct capture;

struct capture_ops {
	const char *name;
	/* 0 with a packet, V_EOF at the end, V_EAGAIN when none is ready
	 * (live), another negative code on a fatal error (e->msg set). */
	int (*next)(struct capture *c, struct capture_pkt *out, struct verr *e);
	/* Bytes read and total, for progress (0 total if unknown). */
	void (*progress)(struct capture *c, uint64_t *done, uint64_t *total);
	void (*close)(struct capture *c);
};

struct capture {
	const struct capture_ops *ops;
	int linktype;
	const char *source;
	void *priv;
};

/* Opens a pcap or pcapng file ("-" for stdin).  NULL with e set. */
struct capture *capture_open_file(const char *path, struct verr *e);

static inline int capture_next(struct capture *c, struct capture_pkt *out, struct verr *e)
{
	return c->ops->next(c, out, e);
}

/* Closes and frees; NULL is a no-op. */
void capture_close(struct capture *c);

#endif
