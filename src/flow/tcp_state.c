/*
 * tcp_state.c - the TCP connection state machine (RFC 9293 section 3.3.2),
 * tracked from the packets of both directions as Suricata's stream engine
 * does, with its state names in eve.
 *
 *   none --SYN--> syn_sent --SYN/ACK--> syn_recv --ACK--> established
 * named as Suricata names them, from the server's side: the client
 * closing first is the server's passive close, the server closing first
 * its active close:
 *   established --client FIN--> close_wait --server FIN--> last_ack
 *   last_ack --client's ACK of it--> closed
 *   established --server FIN--> fin_wait1 --client's ACK of it--> fin_wait2
 *   fin_wait1 --client FIN--> closing (time_wait if it acknowledges the
 *   server's); fin_wait2 --client FIN--> time_wait
 *   closing --server's ACK--> time_wait --server's ACK--> closed
 *   any --valid RST--> closed
 *
 * A session whose handshake was not seen is tracked from its first packet
 * ("midstream"); it is reassembled only when stream.midstream is on.  The
 * flow state follows: new until established, closed from time_wait on.
 * Sequence comparisons use serial-number arithmetic (RFC 1982).
 */
#include "flow.h"

#define SEQ_LT(a, b) ((int32_t)((a) - (b)) < 0)
#define SEQ_GT(a, b) ((int32_t)((a) - (b)) > 0)

static void set_state(struct flow *f, enum tcp_state s)
{
	f->tcp_state = (uint8_t)s;
	if (s >= TCP_ESTABLISHED && f->state == FLOW_STATE_NEW)
		f->state = FLOW_STATE_ESTABLISHED;
	if (s == TCP_TIME_WAIT || s == TCP_CLOSED || s == TCP_CLOSING || s == TCP_LAST_ACK)
		f->state = FLOW_STATE_CLOSED;
}

/* me's FIN (its last byte ends at end): seen, where, and the state it
 * moves the session to. */
static void fin(struct flow *f, struct tcp_peer *me, uint32_t end, enum tcp_state s)
{
	me->fin_seen = true;
	me->fin_seq = end - 1;
	set_state(f, s);
}

/* The state of an established session's first FIN from side d, named
 * from the server's side: the client's is the server's passive close. */
static enum tcp_state first_close(int d)
{
	return d == 0 ? TCP_CLOSE_WAIT : TCP_FIN_WAIT1;
}

void tcp_state_update(struct flow *f, struct packet *p, struct counters *cnt, bool midstream)
{
	int d = p->dir, o = !d;
	struct tcp_peer *me = &f->peer[d], *peer = &f->peer[o];
	uint8_t fl = p->tcp_flags;
	uint32_t seg_len = p->payload_len + ((fl & TH_SYN) ? 1 : 0) + ((fl & TH_FIN) ? 1 : 0);
	uint32_t end = p->seq + seg_len;

	/* a reply to our SYN (a RST, a FIN, not the SYN/ACK) whose timestamp
	 * does not echo the SYN's, or that carries one when the SYN had none:
	 * Linux and Windows drop it (PAWS, RFC 7323), so an attacker's forged
	 * RST or FIN must not end the session here either (Suricata's
	 * stream.pkt_invalid_timestamp) */
	if (f->tcp_state == TCP_SYN_SENT && d == 1 && !(fl & TH_SYN) && p->tcpo.has_ts &&
	    (!peer->has_syn_ts || (p->tcpo.tsecr && SEQ_LT(p->tcpo.tsecr, peer->syn_tsval)))) {
		pkt_event(p, EV_STREAM_PKT_INVALID_TIMESTAMP);
		p->flags |= PKT_STREAM_IGNORED;
		return;
	}
	if ((fl & (TH_SYN | TH_ACK)) == TH_SYN)
		CNT_INC(cnt, TCP_SYN);
	else if ((fl & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK))
		CNT_INC(cnt, TCP_SYNACK);
	if (fl & TH_RST)
		CNT_INC(cnt, TCP_RST);

	if (!me->seq_init) {
		me->seq_init = true;
		me->isn = p->seq;
		me->next_seq = end;
	} else if (SEQ_GT(end, me->next_seq)) {
		me->next_seq = end;
	}
	if (fl & TH_ACK) {
		if (!me->ack_seen || SEQ_GT(p->ack, me->last_ack))
			me->last_ack = p->ack;
		me->ack_seen = true;
	}
	if (fl & TH_SYN) {
		if (me->syn_seen && p->seq != me->isn && f->tcp_state == TCP_SYN_RECV)
			pkt_event(p, EV_STREAM_3WHS_SYN_RESEND_DIFF_SEQ);
		if (me->syn_seen && p->seq != me->isn && f->tcp_state == TCP_SYN_SENT && d == 0 &&
		    !(fl & TH_ACK)) {
			/* another SYN before the SYN/ACK: Suricata keeps 10 of them
			 * (stream.max-syn-queued) and flags each one past that */
			if (me->syn_queued < 10)
				me->syn_queued++;
			else
				pkt_event(p, EV_STREAM_3WHS_SYN_FLOOD);
		}
		me->syn_seen = true;
		me->isn = p->seq;
		if (p->tcpo.has_ws)
			me->wscale = p->tcpo.wscale;
		me->has_syn_ts = p->tcpo.has_ts;
		me->syn_tsval = p->tcpo.tsval;
		me->syn_signed = p->tcpo.signed_seg;
	}

	if ((fl & TH_RST) && p->tcpo.signed_seg && !me->syn_signed) {
		/* a signed RST on a session whose SYN was not signed: the
		 * receiver cannot verify it and drops it (RFC 2385, 5925); a
		 * middlebox forging resets adds one to slip past IDSes that
		 * would believe it (Suricata's stream.suspected_rst_inject) */
		pkt_event(p, EV_STREAM_SUSPECTED_RST_INJECT);
		p->flags |= PKT_STREAM_IGNORED;
		return;
	}
	if ((fl & TH_RST) && f->tcp_state == TCP_SYN_SENT && d == 0 && p->seq != me->isn) {
		/* the client cancels its SYN with a RST at the SYN's own
		 * sequence number (as Suricata requires); one past it answers
		 * something else (a forged FIN) and leaves the handshake be */
		return;
	}
	if (fl & TH_RST) {
		/* accept a RST inside the window the peer has acknowledged or
		 * expects; otherwise it is an injection attempt or stale */
		if (f->tcp_state != TCP_NONE && peer->ack_seen &&
		    !(fl & TH_ACK && f->tcp_state == TCP_SYN_SENT) &&
		    (SEQ_LT(p->seq, peer->last_ack - 65536u * 16) ||
		     SEQ_GT(p->seq, peer->last_ack + (65535u << 14)))) {
			pkt_event(p, EV_STREAM_RST_INVALID);
			return;
		}
		me->rst_seen = true;
		set_state(f, TCP_CLOSED);
		return;
	}

	switch (f->tcp_state) {
	case TCP_NONE:
		if ((fl & (TH_SYN | TH_ACK)) == TH_SYN && d == 0) {
			set_state(f, TCP_SYN_SENT);
		} else if (!midstream) {
			/* picked up mid-session: without stream.midstream the
			 * session is not tracked (as Suricata): it never counts
			 * as established and is not reassembled */
			if (!(f->flags & FLOW_F_MIDSTREAM))
				CNT_INC(cnt, TCP_MIDSTREAM);
			f->flags |= FLOW_F_MIDSTREAM;
		} else if ((fl & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK) && d == 1) {
			/* SYN/ACK first: the SYN was missed */
			f->flags |= FLOW_F_MIDSTREAM;
			set_state(f, TCP_SYN_RECV);
		} else {
			f->flags |= FLOW_F_MIDSTREAM;
			CNT_INC(cnt, TCP_MIDSTREAM);
			if (fl & TH_FIN)
				fin(f, me, end, first_close(d));
			else
				set_state(f, TCP_ESTABLISHED);
			f->flags |= FLOW_F_REASSEMBLE;
		}
		break;
	case TCP_SYN_SENT:
		if ((fl & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK) && d == 1) {
			if (p->ack != peer->isn + 1 && peer->syn_queued) {
				/* it answers one of the earlier SYNs: the session
				 * goes on from that one's sequence number */
				peer->isn = p->ack - 1;
				peer->next_seq = p->ack;
			} else if (p->ack != peer->isn + 1) {
				pkt_event(p, EV_STREAM_3WHS_SYNACK_WITH_WRONG_ACK);
			}
			set_state(f, TCP_SYN_RECV);
		} else if ((fl & TH_SYN) && d == 1) {
			/* simultaneous open */
			set_state(f, TCP_SYN_RECV);
		}
		break;
	case TCP_SYN_RECV:
		if ((fl & TH_ACK) && !(fl & TH_SYN)) {
			if (d == 0) {
				set_state(f, TCP_ESTABLISHED);
				CNT_INC(cnt, TCP_SESSIONS);
				if (!(f->flags & FLOW_F_MIDSTREAM) || midstream)
					f->flags |= FLOW_F_REASSEMBLE;
			} else {
				pkt_event(p, EV_STREAM_3WHS_ACK_IN_WRONG_DIR);
			}
		}
		if (!(fl & TH_FIN))
			break;
		/* FIN on the handshake's last ACK: fall through to closing */
		/* fallthrough */
	case TCP_ESTABLISHED:
		if (fl & TH_FIN)
			fin(f, me, end, first_close(d));
		break;
	case TCP_CLOSE_WAIT:
		if ((fl & TH_FIN) && !me->fin_seen) {
			fin(f, me, end, TCP_LAST_ACK);
		}
		break;
	case TCP_LAST_ACK:
		/* (the server's retransmitted FIN, acknowledging the client's
		 * again, changes nothing) */
		if (d == 0 && (fl & TH_ACK) && peer->fin_seen && SEQ_GT(p->ack, peer->fin_seq))
			set_state(f, TCP_CLOSED);
		break;
	case TCP_FIN_WAIT1:
		if ((fl & TH_FIN) && !me->fin_seen) {
			fin(f, me, end,
			    (fl & TH_ACK) && SEQ_GT(p->ack, peer->fin_seq) ? TCP_TIME_WAIT : TCP_CLOSING);
		} else if ((fl & TH_ACK) && !me->fin_seen && peer->fin_seen &&
			   SEQ_GT(p->ack, peer->fin_seq)) {
			set_state(f, TCP_FIN_WAIT2);
		}
		break;
	case TCP_FIN_WAIT2:
		if ((fl & TH_FIN) && !me->fin_seen) {
			fin(f, me, end, TCP_TIME_WAIT);
		}
		break;
	case TCP_CLOSING:
		if ((fl & TH_ACK) && peer->fin_seen && SEQ_GT(p->ack, peer->fin_seq))
			set_state(f, TCP_TIME_WAIT);
		break;
	case TCP_TIME_WAIT:
		if ((fl & TH_ACK) && peer->fin_seen && me->fin_seen &&
		    SEQ_GT(p->ack, peer->fin_seq))
			set_state(f, TCP_CLOSED);
		break;
	default:
		break;
	}
}
