/*
 * reassembly.c - see stream.h for the contract and policy.
 *
 * Out-of-order segments are kept in a singly linked list sorted by
 * sequence number with no two segments overlapping: a new segment is cut
 * into the pieces that fall in holes between buffered ones (first copy
 * wins), so the list never needs re-sorting and delivery is a walk from
 * the head.  Sequence arithmetic is modulo 2^32 (RFC 1982).
 */
#include "stream.h"

#include <string.h>

#define SEQ_LT(a, b) ((int32_t)((a) - (b)) < 0)
#define SEQ_LEQ(a, b) ((int32_t)((a) - (b)) <= 0)
#define SEQ_GT(a, b) ((int32_t)((a) - (b)) > 0)
#define SEQ_GEQ(a, b) ((int32_t)((a) - (b)) >= 0)

struct reasm_seg {
	struct reasm_seg *next;
	uint32_t seq;
	uint32_t len;
	uint8_t data[];
};

void reasm_ctx_init(struct reasm_ctx *rc, const struct config *c, unsigned share,
		    struct counters *cnt, stream_data_cb cb, void *ud)
{
	memset(rc, 0, sizeof(*rc));
	rc->mc.cap = c->stream_memcap / (share ? share : 1);
	rc->cnt = cnt;
	rc->depth = c->stream_depth;
	rc->ooo_limit = (uint32_t)MIN(c->stream_ooo_limit, UINT32_MAX);
	rc->sim_ssn = c->sim_ssn_memcap;
	rc->sim_reasm = c->sim_reasm_memcap;
	rc->cb = cb;
	rc->ud = ud;
}

void reasm_dir_init(struct reasm_dir *rd, uint32_t seq)
{
	memset(rd, 0, sizeof(*rd));
	rd->next_seq = seq;
	rd->held_end = seq; /* (not 0: compared modulo 2^32 with next_seq) */
	rd->init = true;
}

static void seg_free(struct reasm_ctx *rc, struct reasm_dir *rd, struct reasm_seg *s)
{
	rd->ooo_bytes -= s->len;
	memcap_release(&rc->mc, sizeof(*s) + s->len);
	v_free(s);
	rc->cnt->v[CNT_TCP_REASM_MEMUSE] = rc->mc.used;
}

/* Hands data to the consumer, honouring the depth. */
static void deliver(struct reasm_ctx *rc, struct reasm_dir *rd, struct flow *f, int dir,
		    const uint8_t *data, uint32_t len, unsigned flags)
{
	if (rd->depth_reached || rd->ended)
		return;
	if (!data && (flags & STREAM_GAP)) {
		/* a hole of len bytes: said, not counted as delivered */
		if (rc->cb)
			rc->cb(rc->ud, f, dir, NULL, len, flags);
		return;
	}
	if (rc->depth && rd->delivered + len >= rc->depth) {
		len = (uint32_t)(rc->depth - rd->delivered);
		rd->depth_reached = true;
		CNT_INC(rc->cnt, TCP_DEPTH_REACHED);
		flags |= STREAM_END;
		rd->ended = true;
	}
	rd->delivered += len;
	f->payload_bytes[dir] += len;
	CNT_ADD(rc->cnt, TCP_REASM_BYTES, len);
	if (rc->cb && (len || flags))
		rc->cb(rc->ud, f, dir, data, len, flags);
}

/* Where delivery stops: acknowledged delivery holds what the peer has
 * not acknowledged; otherwise (inline, or the flow is ending) nothing. */
static uint32_t limit_of(const struct reasm_ctx *rc, const struct reasm_dir *rd)
{
	if (!rc->ack_gated || rd->ungated)
		return rd->next_seq + 0x7fffffffu;
	if (!rd->edge_set || SEQ_LT(rd->edge, rd->next_seq))
		return rd->next_seq;
	return rd->edge;
}

/* Delivers buffered segments that have become in order, up to the
 * limit (a segment the limit cuts stays, its head delivered). */
static void drain(struct reasm_ctx *rc, struct reasm_dir *rd, struct flow *f, int dir)
{
	uint32_t limit = limit_of(rc, rd);
	while (rd->ooo && SEQ_LEQ(rd->ooo->seq, rd->next_seq)) {
		struct reasm_seg *s = rd->ooo;
		uint32_t skip = rd->next_seq - s->seq;
		if (skip < s->len) {
			if (!SEQ_LT(rd->next_seq, limit))
				return;
			uint32_t n = s->len - skip;
			if (limit - rd->next_seq < n)
				n = limit - rd->next_seq;
			deliver(rc, rd, f, dir, s->data + skip, n, 0);
			rd->next_seq += n;
			if (skip + n < s->len)
				return;
		}
		rd->ooo = s->next;
		if (!rd->ooo)
			rd->ooo_tail = NULL;
		seg_free(rc, rd, s);
	}
}

/* Delivers the first held in-order segment whatever was acknowledged
 * (room is needed); false if the first buffered segment lies past a hole. */
static bool force_head(struct reasm_ctx *rc, struct reasm_dir *rd, struct flow *f, int dir)
{
	if (!rd->ooo || SEQ_GT(rd->ooo->seq, rd->next_seq))
		return false;
	struct reasm_seg *s = rd->ooo;
	uint32_t skip = rd->next_seq - s->seq;
	if (skip < s->len) {
		CNT_ADD(rc->cnt, TCP_UNACKED_FORCED, s->len - skip);
		deliver(rc, rd, f, dir, s->data + skip, s->len - skip, 0);
		rd->next_seq = s->seq + s->len;
	}
	rd->ooo = s->next;
	if (!rd->ooo)
		rd->ooo_tail = NULL;
	seg_free(rc, rd, s);
	return true;
}

/* Skips the gap before the first buffered segment and delivers on. */
static void skip_gap(struct reasm_ctx *rc, struct reasm_dir *rd, struct flow *f, int dir,
		     struct packet *p)
{
	if (!rd->ooo)
		return;
	if (SEQ_LEQ(rd->ooo->seq, rd->next_seq)) {
		/* no hole: held bytes */
		drain(rc, rd, f, dir);
		return;
	}
	uint32_t gap = rd->ooo->seq - rd->next_seq;
	rd->gaps++;
	rd->gap_bytes += gap;
	if (p) /* not a hole left when the session ended */
		CNT_INC(rc->cnt, TCP_GAPS);
	if (p)
		pkt_event(p, EV_STREAM_REASSEMBLY_SEQ_GAP);
	rd->next_seq = rd->ooo->seq;
	/* a hole the receiver acknowledged past has its size said (the HTTP
	 * parser skips it); one left when the session ended is only marked:
	 * Suricata does not read on past it then (tcp-rst-unacked-stream) */
	deliver(rc, rd, f, dir, NULL, p ? gap : 0, STREAM_GAP);
	drain(rc, rd, f, dir);
}

/* Makes room in the buffer: held acknowledged-delivery bytes go out
 * first, else the oldest gap is skipped. */
static void make_room(struct reasm_ctx *rc, struct reasm_dir *rd, struct flow *f, int dir,
		      struct packet *p)
{
	if (!force_head(rc, rd, f, dir))
		skip_gap(rc, rd, f, dir, p);
}

/* Buffers [seq, seq+len) minus what is already buffered.  Returns false
 * if memory ran out (nothing or part stored). */
static bool buffer_segment(struct reasm_ctx *rc, struct reasm_dir *rd, struct packet *p,
			   uint32_t seq, const uint8_t *data, uint32_t len)
{
	struct reasm_seg **pp = &rd->ooo;
	uint32_t end = seq + len;
	bool diff = false, overlap = false;
	/* segments mostly arrive in order behind one hole: append at the tail */
	if (rd->ooo_tail && SEQ_GEQ(seq, rd->ooo_tail->seq + rd->ooo_tail->len))
		pp = &rd->ooo_tail->next;
	while (SEQ_LT(seq, end)) {
		/* skip buffered segments that end before seq */
		while (*pp && SEQ_LEQ((*pp)->seq + (*pp)->len, seq))
			pp = &(*pp)->next;
		struct reasm_seg *nx = *pp;
		if (nx && SEQ_LEQ(nx->seq, seq)) {
			/* seq falls inside nx: compare the overlap, move past it */
			uint32_t ov_end = SEQ_LT(nx->seq + nx->len, end) ? nx->seq + nx->len : end;
			uint32_t n = ov_end - seq;
			overlap = true;
			if (memcmp(nx->data + (seq - nx->seq), data, n))
				diff = true;
			data += n;
			seq = ov_end;
			continue;
		}
		/* a hole from seq up to nx (or end) */
		uint32_t hole_end = nx && SEQ_LT(nx->seq, end) ? nx->seq : end;
		uint32_t n = hole_end - seq;
		if (!memcap_charge(&rc->mc, sizeof(struct reasm_seg) + n)) {
			CNT_INC(rc->cnt, TCP_SEGMENT_MEMCAP);
			if (p) {
				pkt_event(p, EV_STREAM_REASSEMBLY_MEMCAP);
				p->flags |= PKT_XP_REASM_MEMCAP;
			}
			return false;
		}
		struct reasm_seg *s = v_malloc(sizeof(*s) + n);
		if (!s) {
			memcap_release(&rc->mc, sizeof(*s) + n);
			return false;
		}
		s->seq = seq;
		s->len = n;
		memcpy(s->data, data, n);
		s->next = nx;
		*pp = s;
		pp = &s->next;
		if (!nx)
			rd->ooo_tail = s;
		rd->ooo_bytes += n;
		data += n;
		seq = hole_end;
	}
	rc->cnt->v[CNT_TCP_REASM_MEMUSE] = rc->mc.used;
	if (rc->mc.peak > rc->cnt->v[CNT_MEMCAP_PEAK_STREAM])
		rc->cnt->v[CNT_MEMCAP_PEAK_STREAM] = rc->mc.peak;
	if (overlap)
		CNT_INC(rc->cnt, TCP_OVERLAP);
	if (diff) {
		CNT_INC(rc->cnt, TCP_OVERLAP_DIFF);
		if (p)
			pkt_event(p, EV_STREAM_REASSEMBLY_OVERLAP_DIFFERENT_DATA);
	}
	return true;
}

/* Acknowledged delivery: a segment that continues (or repeats) the bytes
 * received in order is held until acknowledged; returns false for one
 * past a hole, which takes the out-of-order path. */
static bool held_segment(struct reasm_ctx *rc, struct reasm_dir *rd, struct flow *f, int dir,
			 struct packet *p, uint32_t seq, const uint8_t *data, uint32_t len)
{
	uint32_t end = seq + len;
	if (SEQ_LT(rd->held_end, rd->next_seq))
		rd->held_end = rd->next_seq; /* kept within 2^31 of next_seq */
	uint32_t seen = rd->held_end;
	if (SEQ_LEQ(end, seen)) {
		/* a repeat: bytes still held are compared (first copy wins) */
		CNT_INC(rc->cnt, TCP_RETRANS);
		if (p)
			pkt_event(p, EV_STREAM_PKT_RETRANSMISSION);
		if (SEQ_GT(end, rd->next_seq)) {
			uint32_t from = SEQ_GT(rd->next_seq, seq) ? rd->next_seq - seq : 0;
			buffer_segment(rc, rd, p, seq + from, data + from, len - from);
		}
		return true;
	}
	if (SEQ_GT(seq, seen))
		return false;
	if (SEQ_LT(seq, seen))
		CNT_INC(rc->cnt, TCP_OVERLAP);
	while (rd->ooo && rd->ooo_bytes + len > rc->ooo_limit)
		make_room(rc, rd, f, dir, p);
	if (SEQ_LEQ(end, rd->next_seq))
		return true;
	uint32_t from = SEQ_GT(rd->next_seq, seq) ? rd->next_seq - seq : 0;
	if (!buffer_segment(rc, rd, p, seq + from, data + from, len - from)) {
		/* no memory to hold it: what is held goes out, then this,
		 * unacknowledged */
		while (force_head(rc, rd, f, dir))
			;
		if (SEQ_LEQ(end, rd->next_seq) || SEQ_GT(seq + from, rd->next_seq))
			return true;
		from = rd->next_seq - seq;
		CNT_ADD(rc->cnt, TCP_UNACKED_FORCED, len - from);
		deliver(rc, rd, f, dir, data + from, len - from, 0);
		rd->next_seq = end;
		return true;
	}
	rd->held_end = end;
	if (rd->ooo_tail && SEQ_LEQ(rd->ooo_tail->seq, end) &&
	    SEQ_GT(rd->ooo_tail->seq + rd->ooo_tail->len, end))
		rd->held_end = rd->ooo_tail->seq + rd->ooo_tail->len;
	drain(rc, rd, f, dir);
	return true;
}

/* Suricata's stream buffer keeps data that lands more than 256 KiB past
 * what it holds in a region of its own; its flow records report the most
 * regions a direction needed (tcp.ts_max_regions / tc_max_regions).  The
 * same count here: the buffered islands of a direction, from the next
 * byte to deliver, separated by more than that gap. */
#define REASM_REGION_GAP 262144u

static void note_regions(struct reasm_dir *rd, struct flow *f, int dir)
{
	unsigned n = 1;
	uint32_t end = rd->next_seq;
	for (const struct reasm_seg *s = rd->ooo; s; s = s->next) {
		if (SEQ_GT(s->seq, end + REASM_REGION_GAP))
			n++;
		if (SEQ_GT(s->seq + s->len, end))
			end = s->seq + s->len;
	}
	if (n > f->max_regions[dir & 1])
		f->max_regions[dir & 1] = (uint8_t)MIN(n, 255u);
}

void reasm_segment(struct reasm_ctx *rc, struct reasm_dir *rd, struct flow *f, int dir,
		   struct packet *p, uint32_t seq, const uint8_t *data, uint32_t len)
{
	if (!len || rd->ended)
		return;
	uint32_t end = seq + len;
	if (rc->ack_gated && !rd->ungated && held_segment(rc, rd, f, dir, p, seq, data, len))
		return;
	if (SEQ_LEQ(end, rd->next_seq)) {
		CNT_INC(rc->cnt, TCP_RETRANS);
		if (p)
			pkt_event(p, EV_STREAM_PKT_RETRANSMISSION);
		return;
	}
	if (SEQ_LT(seq, rd->next_seq)) {
		/* partial retransmission: keep only the new tail */
		uint32_t old = rd->next_seq - seq;
		CNT_INC(rc->cnt, TCP_OVERLAP);
		data += old;
		len -= old;
		seq = rd->next_seq;
	}
	if (seq == rd->next_seq) {
		/* in order (delivery is not held: held_segment took the held
		 * case); bytes that are also buffered ahead are compared and
		 * the buffered (first) copy delivered instead */
		uint32_t direct = len;
		if (rd->ooo && SEQ_LT(rd->ooo->seq, end))
			direct = SEQ_GT(rd->ooo->seq, seq) ? rd->ooo->seq - seq : 0;
		if (direct) {
			deliver(rc, rd, f, dir, data, direct, 0);
			rd->next_seq = seq + direct;
		}
		if (direct < len)
			buffer_segment(rc, rd, p, seq + direct, data + direct, len - direct);
		drain(rc, rd, f, dir);
		return;
	}
	/* in the future: buffer, making room by skipping gaps if needed */
	CNT_INC(rc->cnt, TCP_OOO);
	while (rd->ooo && rd->ooo_bytes + len > rc->ooo_limit)
		make_room(rc, rd, f, dir, p);
	if (SEQ_LEQ(end, rd->next_seq))
		return; /* the skip moved past it */
	if (SEQ_LT(seq, rd->next_seq)) {
		uint32_t old = rd->next_seq - seq;
		data += old;
		len -= old;
		seq = rd->next_seq;
	}
	if (seq == rd->next_seq && !rc->ack_gated) { /* (held otherwise, below) */
		deliver(rc, rd, f, dir, data, len, 0);
		rd->next_seq = end;
		drain(rc, rd, f, dir);
		return;
	}
	while (!buffer_segment(rc, rd, p, seq, data, len) && rd->ooo) {
		make_room(rc, rd, f, dir, p);
		if (SEQ_LEQ(end, rd->next_seq))
			return;
		if (SEQ_LEQ(seq, rd->next_seq)) {
			uint32_t old = rd->next_seq - seq;
			if (rc->ack_gated && !rd->ungated)
				CNT_ADD(rc->cnt, TCP_UNACKED_FORCED, len - old);
			deliver(rc, rd, f, dir, data + old, len - old, 0);
			rd->next_seq = end;
			drain(rc, rd, f, dir);
			return;
		}
	}
	if (SEQ_GT(seq, rd->next_seq + REASM_REGION_GAP))
		note_regions(rd, f, dir);
	drain(rc, rd, f, dir);
}

void reasm_ack(struct reasm_ctx *rc, struct reasm_dir *rd, struct flow *f, int dir,
	       struct packet *p, uint32_t ack)
{
	if (!rd->edge_set || SEQ_GT(ack, rd->edge))
		rd->edge = ack;
	rd->edge_set = true;
	/* the peer acknowledged bytes past a hole: it has them and the
	 * capture lost them; skip it (Suricata does the same) */
	drain(rc, rd, f, dir);
	while (rd->ooo && SEQ_GT(rd->ooo->seq, rd->next_seq) && SEQ_GT(rd->edge, rd->ooo->seq))
		skip_gap(rc, rd, f, dir, p);
}

void reasm_finish(struct reasm_ctx *rc, struct reasm_dir *rd, struct flow *f, int dir)
{
	rd->ungated = true;
	drain(rc, rd, f, dir);
	while (rd->ooo)
		skip_gap(rc, rd, f, dir, NULL);
	if (!rd->ended) {
		rd->ended = true;
		if (rc->cb)
			rc->cb(rc->ud, f, dir, NULL, 0, STREAM_END);
	}
}

bool reasm_hole_first(const struct reasm_dir *rd)
{
	return rd && rd->ooo && SEQ_GT(rd->ooo->seq, rd->next_seq);
}

void reasm_dir_fini(struct reasm_ctx *rc, struct reasm_dir *rd)
{
	while (rd->ooo) {
		struct reasm_seg *s = rd->ooo;
		rd->ooo = s->next;
		seg_free(rc, rd, s);
	}
	rd->ooo_tail = NULL;
}

static void tfo_free(struct reasm_ctx *rc, struct flow *f)
{
	if (f->tfo) {
		memcap_release(&rc->mc, f->tfo_len);
		v_free(f->tfo);
		f->tfo = NULL;
		f->tfo_len = 0;
	}
}

void stream_packet(struct reasm_ctx *rc, struct packet *p)
{
	struct flow *f = p->flow;
	if (!f || (p->flags & (PKT_CSUM_BAD | PKT_STREAM_IGNORED)))
		return;
	if (rc->sim_ssn && p->pcap_cnt == rc->sim_ssn && !f->stream[p->dir]) {
		/* testing: no room for the session's state */
		CNT_INC(rc->cnt, TCP_SEGMENT_MEMCAP);
		p->flags |= PKT_XP_STREAM_MEMCAP;
		return;
	}
	if (!(f->flags & FLOW_F_REASSEMBLE)) {
		/* TCP Fast Open: the client's SYN may carry data; keep it until
		 * the handshake completes and reassembly starts */
		if ((p->tcp_flags & (TH_SYN | TH_ACK)) == TH_SYN && p->dir == 0 && p->payload_len &&
		    !f->tfo && memcap_charge(&rc->mc, p->payload_len)) {
			if ((f->tfo = v_malloc(p->payload_len))) {
				memcpy(f->tfo, p->payload, p->payload_len);
				f->tfo_len = p->payload_len;
			} else {
				memcap_release(&rc->mc, p->payload_len);
			}
		}
		return;
	}
	int d = p->dir;
	struct reasm_dir *rd = f->stream[d];
	uint32_t seq = p->seq + ((p->tcp_flags & TH_SYN) ? 1 : 0);
	if (!rd) {
		if (!memcap_charge(&rc->mc, sizeof(*rd))) {
			CNT_INC(rc->cnt, TCP_SEGMENT_MEMCAP);
			pkt_event(p, EV_STREAM_REASSEMBLY_MEMCAP);
			p->flags |= PKT_XP_STREAM_MEMCAP;
			return;
		}
		rd = v_malloc(sizeof(*rd));
		if (!rd) {
			memcap_release(&rc->mc, sizeof(*rd));
			return;
		}
		/* start at the ISN if the SYN was seen, else at this segment */
		struct tcp_peer *tp = &f->peer[d];
		reasm_dir_init(rd, tp->syn_seen ? tp->isn + 1 : seq);
		f->stream[d] = rd;
		if (d == 0 && f->tfo) {
			if (tp->syn_seen)
				reasm_segment(rc, rd, f, d, p, tp->isn + 1, f->tfo, f->tfo_len);
			tfo_free(rc, f);
		}
	}
	/* acknowledged delivery (Suricata's IDS model): the other direction's
	 * bytes this packet acknowledges go out on it, first, as Suricata
	 * hands the opposing stream to the app layer before it takes the
	 * packet's own segment; this direction's bytes up to the peer's
	 * highest ACK (normally out already, on the acknowledging packet) */
	struct reasm_dir *ad = f->stream[d ^ 1];
	if (rc->ack_gated && ad && f->peer[d].ack_seen && (p->tcp_flags & TH_ACK))
		reasm_ack(rc, ad, f, d ^ 1, p, f->peer[d].last_ack);
	if (rc->ack_gated && f->peer[d ^ 1].ack_seen)
		reasm_ack(rc, rd, f, d, p, f->peer[d ^ 1].last_ack);
	if (p->payload_len && rc->sim_reasm && p->pcap_cnt == rc->sim_reasm) {
		/* testing: the segment cannot be buffered; its bytes are lost */
		CNT_INC(rc->cnt, TCP_SEGMENT_MEMCAP);
		pkt_event(p, EV_STREAM_REASSEMBLY_MEMCAP);
		p->flags |= PKT_XP_REASM_MEMCAP;
	} else if (p->payload_len && !(p->tcp_flags & TH_RST)) {
		reasm_segment(rc, rd, f, d, p, seq, p->payload, p->payload_len);
	}
	if (rc->ack_gated)
		return;
	/* the receiver acknowledges bytes past a hole in the other direction:
	 * it has them and the capture lost them, so waiting is pointless;
	 * skip the hole now (Suricata does the same) rather than at a limit */
	struct reasm_dir *od = f->stream[d ^ 1];
	if (od && od->ooo && (p->tcp_flags & TH_ACK) && SEQ_GT(p->ack, od->ooo->seq))
		skip_gap(rc, od, f, d ^ 1, p);
}

void stream_flow_end(struct reasm_ctx *rc, struct flow *f)
{
	tfo_free(rc, f);
	for (int d = 0; d < 2; d++) {
		struct reasm_dir *rd = f->stream[d];
		if (!rd)
			continue;
		reasm_finish(rc, rd, f, d);
		reasm_dir_fini(rc, rd);
		memcap_release(&rc->mc, sizeof(*rd));
		v_free(rd);
		f->stream[d] = NULL;
	}
}
