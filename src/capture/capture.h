/*
 * capture.h - packet sources behind one small ops table (public header of
 * capture/).  Offline files now; live capture and NFQUEUE (with verdicts)
 * implement the same ops.  A source hands out one packet at a time; the
 * data stays valid until the next call.
 */
#ifndef VIGIL_CAPTURE_H
#define VIGIL_CAPTURE_H

#include <stdbool.h>
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
	/* Packets the kernel saw and dropped (live sources). */
	void (*drops)(struct capture *c, uint64_t *recv, uint64_t *drops);
	void (*close)(struct capture *c);
};

struct capture {
	const struct capture_ops *ops;
	int linktype;
	const char *source;
	void *priv;
	bool live;  /* timestamps are wall clock; V_EAGAIN when idle */
};

/* Opens a pcap or pcapng file ("-" for stdin).  NULL with e set. */
struct capture *capture_open_file(const char *path, struct verr *e);

static inline int capture_next(struct capture *c, struct capture_pkt *out, struct verr *e)
{
	return c->ops->next(c, out, e);
}

/* Closes and frees; NULL is a no-op. */
void capture_close(struct capture *c);

/* Opens live capture on an interface (libpcap, AF_PACKET ring). */
struct capture *capture_open_live(const char *iface, uint64_t bufsize, bool promisc,
				  struct verr *e);

/* NFQUEUE (inline).  Each packet handed out must get a verdict. */
struct nfq_opts {
	uint32_t snaplen;
	uint32_t maxlen;   /* kernel queue length */
	uint32_t batch;    /* accept verdicts per batch message */
	uint32_t spin_us;  /* busy-poll before sleeping */
	bool fail_open;
};
struct nfq_pkt {
	uint32_t id;
	vtime_t ts;
	const uint8_t *data; /* the IP packet; valid until the next call */
	uint32_t len, wirelen;
	uint32_t indev;      /* the input interface's index, 0 if the kernel gave none */
};
struct nfq_src;
struct nfq_src *nfq_src_open(uint16_t num, const struct nfq_opts *o, struct verr *e);
/* 0 with a packet, V_EAGAIN after timeout_ms without one, <0 on error. */
int nfq_src_next(struct nfq_src *q, struct nfq_pkt *out, int timeout_ms, struct verr *e);
/* accept with mark != 0 sets (mark & mask) on the packet. */
void nfq_src_verdict(struct nfq_src *q, uint32_t id, bool accept, uint32_t mark, uint32_t mask);
/* Accepts the packet as data (len bytes, the IP packet rewritten in place:
 * replace), with (mark & mask) set when mark != 0. */
void nfq_src_accept_data(struct nfq_src *q, uint32_t id, const uint8_t *data, uint32_t len,
			 uint32_t mark, uint32_t mask);
void nfq_src_flush(struct nfq_src *q);
/* Kernel-side overflow: packets dropped (or passed, fail-open) because
 * the queue was full, and messages the socket could not take. */
void nfq_src_stats(struct nfq_src *q, uint64_t *queue_dropped, uint64_t *user_dropped);
/* Accepts everything still held or queued, then closes.  NULL is a no-op. */
void nfq_src_close(struct nfq_src *q);

#endif
