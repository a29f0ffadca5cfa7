/*
 * stream.h - TCP stream reassembly (public header of stream/).
 *
 * Per flow direction, reassembly turns segments in any order into the byte
 * stream the receiver would see and hands it, in order, to one consumer
 * callback: the app-layer parsers and the rule engine plug in there.
 *
 * Contract of the callback: called with (data, len, flags) in stream order;
 * data is valid only during the call.  STREAM_GAP with data NULL says len
 * bytes were lost there (the parsers that can skip a hole, HTTP's, are
 * told its size); STREAM_END
 * comes once when the direction is finished (flow end or depth reached).
 *
 * Policy: the first copy of a byte wins.  Retransmitted or overlapping
 * bytes never change what was delivered; when an overlap differs from the
 * buffered bytes it raises stream.reassembly_overlap_different_data.
 * Segments that start in the future are buffered (copied) up to
 * stream.reassembly.max-ooo bytes per direction and the worker's share of
 * stream.reassembly.memcap; past either, the oldest gap is skipped (a
 * STREAM_GAP delivery, stream.reassembly_seq_gap) to make room.
 * In-order segments with nothing buffered are delivered straight from the
 * packet, without a copy.
 *
 * Acknowledged delivery (ack_gated, IDS mode: Suricata's stream.inline
 * off): a direction's bytes are delivered only once the other side has
 * acknowledged them, on a packet of that same direction (stream_packet
 * moves the edge to the peer's highest ACK), so the rule engine and the
 * parsers see what the receiver took, when the sender's next packet
 * shows it; until then they are copied and held (the held bytes count
 * against max-ooo and the memcap; past them the oldest are delivered
 * unacknowledged, tcp.reassembly_unacked_forced).  What is never
 * acknowledged is delivered when the flow ends (reasm_finish), where the
 * worker inspects it on a flow-timeout pseudo-packet.  Inline, delivery
 * is immediate.
 */
#ifndef VIGIL_STREAM_H
#define VIGIL_STREAM_H

#include <stdint.h>

#include "flow.h"

enum { STREAM_GAP = 1, STREAM_END = 2 };

typedef void (*stream_data_cb)(void *ud, struct flow *f, int dir, const uint8_t *data,
			       uint32_t len, unsigned flags);

struct reasm_seg;

struct reasm_dir {
	uint32_t next_seq;        /* next byte to deliver */
	struct reasm_seg *ooo;    /* buffered, sorted by seq, not overlapping */
	struct reasm_seg *ooo_tail; /* last buffered segment (append fast path) */
	uint32_t ooo_bytes;
	uint64_t delivered;
	uint64_t gap_bytes;
	uint32_t gaps;
	uint32_t edge;            /* ack_gated: deliverable up to here (edge_set) */
	uint32_t held_end;        /* ack_gated: end of the bytes held in order */
	bool init, depth_reached, ended;
	bool edge_set, ungated;   /* ungated: the flow is ending, deliver all */
	bool close_pending;       /* the sender closed; the app layer is told once held bytes are out */
	struct held_alerts *alerts; /* ack_gated: the consumer's, for this direction's next packet */
};

struct reasm_ctx {
	struct memcap mc;
	struct counters *cnt;
	uint64_t depth;      /* 0 = unlimited */
	uint32_t ooo_limit;
	bool ack_gated;      /* deliver only acknowledged bytes (see above) */
	uint64_t sim_ssn, sim_reasm; /* testing: the packet (pcap_cnt) that hits the memcap */
	stream_data_cb cb;
	void *ud;
};

void reasm_ctx_init(struct reasm_ctx *rc, const struct config *c, unsigned share,
		    struct counters *cnt, stream_data_cb cb, void *ud);

/* Starts a direction whose first data byte has sequence number seq. */
void reasm_dir_init(struct reasm_dir *rd, uint32_t seq);

/* Adds a segment.  p (may be NULL in tests) receives events. */
void reasm_segment(struct reasm_ctx *rc, struct reasm_dir *rd, struct flow *f, int dir,
		   struct packet *p, uint32_t seq, const uint8_t *data, uint32_t len);

/* Acknowledged delivery: the peer acknowledged up to ack; what is held
 * below it is delivered (a hole below it skipped). */
void reasm_ack(struct reasm_ctx *rc, struct reasm_dir *rd, struct flow *f, int dir,
	       struct packet *p, uint32_t ack);

/* Whether bytes are held in rd (buffered, not yet delivered). */
/* Whether the first bytes rd holds lie past a hole. */
bool reasm_hole_first(const struct reasm_dir *rd);
static inline bool reasm_pending(const struct reasm_dir *rd)
{
	return rd && rd->ooo;
}

/* Delivers everything buffered (skipping gaps) and ends the direction. */
void reasm_finish(struct reasm_ctx *rc, struct reasm_dir *rd, struct flow *f, int dir);

/* Frees buffered segments without delivering them. */
void reasm_dir_fini(struct reasm_ctx *rc, struct reasm_dir *rd);

/* Feeds one TCP packet of a flow to its reassembly (allocating the
 * per-direction state in f->stream on first use).  Handles SYN, data and
 * the flow's reassembly flag. */
void stream_packet(struct reasm_ctx *rc, struct packet *p);
/* Finishes and frees both directions of f (at flow end). */
void stream_flow_end(struct reasm_ctx *rc, struct flow *f);

#endif
