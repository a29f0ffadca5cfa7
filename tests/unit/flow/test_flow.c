/*
 * Unit tests for the flow table: both directions find one flow, TCP state
 * follows the handshake and close, timeouts end flows, the memcap evicts,
 * and Community ID matches the published test vector.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "flow.h"
#include "pktgen.h"

static struct config cfg;
static struct counters cnt;
static struct decode_ctx dc;
static int ended;
static struct flow last_ended;

static void on_end(void *ud, struct flow *f)
{
	(void)ud;
	ended++;
	last_ended = *f;
}

static struct flow_table *mk(uint64_t memcap)
{
	config_init(&cfg);
	cfg.checksum = CSUM_ALL;
	memset(&cnt, 0, sizeof(cnt));
	decode_ctx_init(&dc, &cfg, &cnt, 1 << 20);
	struct flow_table_cfg tc;
	flow_table_cfg_from(&tc, &cfg, 1, 0);
	if (memcap)
		tc.memcap = memcap;
	ended = 0;
	return flow_table_new(&tc, &cnt, on_end, NULL);
}

static void done(struct flow_table *ft)
{
	flow_table_free(ft);
	decode_ctx_fini(&dc);
	config_fini(&cfg);
}

static struct flow *push(struct flow_table *ft, struct pg_pkt *pk, vtime_t ts, struct packet *p)
{
	memset(p, 0, sizeof(*p));
	p->data = pk->buf;
	p->caplen = p->wirelen = pk->len;
	p->linktype = LINK_ETHERNET;
	p->ts = ts;
	decode_packet(&dc, p);
	return flow_table_handle(ft, p);
}

static void test_tcp_session(void **state)
{
	(void)state;
	struct flow_table *ft = mk(0);
	struct pg_ep c, s;
	struct pg_pkt pk;
	struct packet p;
	pg_ep4(&c, "10.0.0.1", 40000);
	pg_ep4(&s, "10.0.0.2", 80);
	pg_tcp(&pk, &c, &s, 1, 0, 0x02, NULL, 0, 0);
	struct flow *f = push(ft, &pk, 1000, &p);
	assert_non_null(f);
	assert_int_equal(p.dir, 0);
	assert_int_equal(f->tcp_state, TCP_SYN_SENT);
	pg_tcp(&pk, &s, &c, 100, 2, 0x12, NULL, 0, 0);
	assert_ptr_equal(push(ft, &pk, 2000, &p), f);
	assert_int_equal(p.dir, 1);
	assert_int_equal(f->tcp_state, TCP_SYN_RECV);
	pg_tcp(&pk, &c, &s, 2, 101, 0x10, NULL, 0, 0);
	push(ft, &pk, 3000, &p);
	assert_int_equal(f->tcp_state, TCP_ESTABLISHED);
	assert_int_equal(f->state, FLOW_STATE_ESTABLISHED);
	pg_tcp(&pk, &c, &s, 2, 101, 0x11, NULL, 0, 0);
	push(ft, &pk, 4000, &p);
	assert_int_equal(f->tcp_state, TCP_CLOSE_WAIT); /* the client closed first (Suricata's name) */
	assert_int_equal(f->state, FLOW_STATE_ESTABLISHED);
	pg_tcp(&pk, &s, &c, 101, 3, 0x11, NULL, 0, 0);
	push(ft, &pk, 5000, &p);
	assert_int_equal(f->tcp_state, TCP_LAST_ACK);
	assert_int_equal(f->state, FLOW_STATE_CLOSED);
	pg_tcp(&pk, &c, &s, 3, 102, 0x10, NULL, 0, 0);
	push(ft, &pk, 6000, &p);
	assert_int_equal(f->tcp_state, TCP_CLOSED);
	assert_int_equal(f->state, FLOW_STATE_CLOSED);
	assert_int_equal(f->pkts[0], 4);
	assert_int_equal(f->pkts[1], 2);
	assert_int_equal(f->tcp_flags[0], 0x13);
	assert_int_equal(flow_table_count(ft), 1);
	/* closed flows time out after flow-timeouts.tcp.closed (60 s) */
	flow_table_expire(ft, 6000 + 59 * 1000000ULL);
	assert_int_equal(ended, 0);
	flow_table_expire(ft, 6000 + 61 * 1000000ULL);
	assert_int_equal(ended, 1);
	assert_int_equal(last_ended.end_reason, FLOW_END_TIMEOUT);
	done(ft);
}

/* One TCP segment from a to b pushed through ft at ts; the flow's TCP
 * state after it. */
static int tcp_step(struct flow_table *ft, const struct pg_ep *a, const struct pg_ep *b,
		    uint32_t seq, uint32_t ack, uint8_t fl, vtime_t ts)
{
	struct pg_pkt pk;
	struct packet p;
	pg_tcp(&pk, a, b, seq, ack, fl, NULL, 0, 0);
	struct flow *f = push(ft, &pk, ts, &p);
	assert_non_null(f);
	return f->tcp_state;
}

/* c's handshake with s (ISNs 1 and 100), at times 1000 to 3000. */
static void handshake(struct flow_table *ft, const struct pg_ep *c, const struct pg_ep *s)
{
	tcp_step(ft, c, s, 1, 0, 0x02, 1000);
	tcp_step(ft, s, c, 100, 2, 0x12, 2000);
	assert_int_equal(tcp_step(ft, c, s, 2, 101, 0x10, 3000), TCP_ESTABLISHED);
}

/* The close named from the server's side, as Suricata: the server's FIN
 * first is fin_wait1, the client's ACK of it fin_wait2, the client's FIN
 * time_wait, the server's last ACK closed; a client's FIN first is
 * close_wait, and a retransmitted server FIN in last_ack (acknowledging
 * the client's FIN again) does not close the session: only the client's
 * ACK of the server's FIN does. */
static void test_tcp_close_orientation(void **state)
{
	(void)state;
	struct pg_ep c, s;
	pg_ep4(&c, "10.0.0.1", 40001);
	pg_ep4(&s, "10.0.0.2", 80);
	struct flow_table *ft = mk(0);
	handshake(ft, &c, &s);
	/* the server closes */
	assert_int_equal(tcp_step(ft, &s, &c, 101, 2, 0x11, 4000), TCP_FIN_WAIT1);
	assert_int_equal(tcp_step(ft, &c, &s, 2, 102, 0x10, 5000), TCP_FIN_WAIT2);
	assert_int_equal(tcp_step(ft, &c, &s, 2, 102, 0x11, 6000), TCP_TIME_WAIT);
	assert_int_equal(tcp_step(ft, &s, &c, 102, 3, 0x10, 7000), TCP_CLOSED);
	done(ft);

	ft = mk(0);
	handshake(ft, &c, &s);
	/* the client closes; the server's ACK of it; its FIN; retransmitted */
	assert_int_equal(tcp_step(ft, &c, &s, 2, 101, 0x11, 4000), TCP_CLOSE_WAIT);
	assert_int_equal(tcp_step(ft, &s, &c, 101, 3, 0x10, 5000), TCP_CLOSE_WAIT);
	assert_int_equal(tcp_step(ft, &s, &c, 101, 3, 0x11, 6000), TCP_LAST_ACK);
	assert_int_equal(tcp_step(ft, &s, &c, 101, 3, 0x11, 7000), TCP_LAST_ACK);
	assert_int_equal(tcp_step(ft, &c, &s, 3, 102, 0x10, 8000), TCP_CLOSED);
	done(ft);
}

/* TCP timestamps in the handshake (Suricata's bug 3286 evasions): a RST
 * or FIN answering the SYN whose timestamp does not echo the SYN's (or
 * that has one when the SYN had none) is ignored with
 * stream.pkt_invalid_timestamp; a client RST one past its SYN's sequence
 * number does not cancel the handshake; the real SYN/ACK goes on. */
static void seg(struct packet *p, int dir, uint8_t fl, uint32_t seq, uint32_t ack, bool ts,
		uint32_t tsval, uint32_t tsecr)
{
	memset(p, 0, sizeof(*p));
	p->dir = (uint8_t)dir;
	p->tcp_flags = fl;
	p->seq = seq;
	p->ack = ack;
	p->tcpo.has_ts = ts;
	p->tcpo.tsval = tsval;
	p->tcpo.tsecr = tsecr;
}

static bool has_event(const struct packet *p, int ev)
{
	for (unsigned i = 0; i < p->event_cnt; i++)
		if (p->events[i] == ev)
			return true;
	return false;
}

static void test_handshake_timestamps(void **state)
{
	(void)state;
	struct counters c;
	memset(&c, 0, sizeof(c));
	for (int with_ts = 0; with_ts <= 1; with_ts++) {
		struct flow f;
		struct packet p;
		memset(&f, 0, sizeof(f));
		seg(&p, 0, 0x02, 1000, 0, with_ts, 5000, 0);          /* SYN */
		tcp_state_update(&f, &p, &c, false);
		assert_int_equal(f.tcp_state, TCP_SYN_SENT);
		seg(&p, 1, 0x14, 0, 1001, true, 100, 100);             /* RST/ACK, ecr 100 */
		tcp_state_update(&f, &p, &c, false);
		assert_true(has_event(&p, EV_STREAM_PKT_INVALID_TIMESTAMP));
		assert_true((p.flags & PKT_STREAM_IGNORED) != 0);
		assert_int_equal(f.tcp_state, TCP_SYN_SENT);
		seg(&p, 0, 0x04, 1001, 0, false, 0, 0);                /* client RST, seq isn+1 */
		tcp_state_update(&f, &p, &c, false);
		assert_int_equal(f.tcp_state, TCP_SYN_SENT);
		seg(&p, 1, 0x12, 7000, 1001, with_ts, 9000, 5000);    /* the real SYN/ACK */
		tcp_state_update(&f, &p, &c, false);
		assert_false(has_event(&p, EV_STREAM_PKT_INVALID_TIMESTAMP));
		assert_int_equal(f.tcp_state, TCP_SYN_RECV);
	}
	/* a RST with an MD5 signature on a session whose SYN had none is
	 * ignored as an injection (stream.suspected_rst_inject) */
	{
		struct flow g;
		struct packet q;
		memset(&g, 0, sizeof(g));
		seg(&q, 0, 0x02, 1000, 0, false, 0, 0);
		tcp_state_update(&g, &q, &c, false);
		seg(&q, 1, 0x12, 7000, 1001, false, 0, 0);
		tcp_state_update(&g, &q, &c, false);
		seg(&q, 0, 0x10, 1001, 7001, false, 0, 0);
		tcp_state_update(&g, &q, &c, false);
		assert_int_equal(g.tcp_state, TCP_ESTABLISHED);
		seg(&q, 0, 0x14, 1001, 7001, false, 0, 0);
		q.tcpo.signed_seg = true;
		tcp_state_update(&g, &q, &c, false);
		assert_true(has_event(&q, EV_STREAM_SUSPECTED_RST_INJECT));
		assert_true((q.flags & PKT_STREAM_IGNORED) != 0);
		assert_int_equal(g.tcp_state, TCP_ESTABLISHED);
		seg(&q, 0, 0x14, 1001, 7001, false, 0, 0);        /* unsigned: taken */
		tcp_state_update(&g, &q, &c, false);
		assert_int_equal(g.tcp_state, TCP_CLOSED);
	}
	/* SYNs with other sequence numbers: ten are kept, each further one is
	 * stream.3whs_syn_flood; the SYN/ACK may answer any of them */
	{
		struct flow g;
		struct packet q;
		memset(&g, 0, sizeof(g));
		int floods = 0;
		for (uint32_t i = 0; i < 13; i++) {
			seg(&q, 0, 0x02, 1000 + 100 * i, 0, false, 0, 0);
			tcp_state_update(&g, &q, &c, false);
			floods += has_event(&q, EV_STREAM_3WHS_SYN_FLOOD);
		}
		assert_int_equal(floods, 2); /* the first, ten kept, two more */
		seg(&q, 1, 0x12, 7000, 1301, false, 0, 0);       /* answers the fourth */
		tcp_state_update(&g, &q, &c, false);
		assert_false(has_event(&q, EV_STREAM_3WHS_SYNACK_WITH_WRONG_ACK));
		assert_int_equal(g.tcp_state, TCP_SYN_RECV);
		assert_int_equal(g.peer[0].isn, 1300);
	}
	/* a RST that echoes the SYN's timestamp is taken */
	struct flow f;
	struct packet p;
	memset(&f, 0, sizeof(f));
	seg(&p, 0, 0x02, 1000, 0, true, 5000, 0);
	tcp_state_update(&f, &p, &c, false);
	seg(&p, 1, 0x14, 0, 1001, true, 77, 5000);
	tcp_state_update(&f, &p, &c, false);
	assert_false(has_event(&p, EV_STREAM_PKT_INVALID_TIMESTAMP));
	assert_int_equal(f.tcp_state, TCP_CLOSED);
}

static void test_synack_first_orients_flow(void **state)
{
	(void)state;
	struct flow_table *ft = mk(0);
	struct pg_ep c, s;
	struct pg_pkt pk;
	struct packet p;
	pg_ep4(&c, "10.0.0.1", 40000);
	pg_ep4(&s, "10.0.0.2", 80);
	pg_tcp(&pk, &s, &c, 100, 2, 0x12, NULL, 0, 0);
	struct flow *f = push(ft, &pk, 1, &p);
	assert_int_equal(p.dir, 1);
	assert_int_equal(f->key.dp, 80);
	done(ft);
}

/* A tunnel's carrier has a flow of its own (IP-in-IP here, as Suricata
 * records it), apart from the inner flow; a GRE carrier has none. */
static void test_tunnel_carrier_flow(void **state)
{
	(void)state;
	struct flow_table *ft = mk(0);
	struct pg_ep c, s;
	struct pg_pkt pk;
	struct packet p;
	pg_ep4(&c, "10.1.0.3", 1234);
	pg_ep4(&s, "10.1.0.4", 80);
	pg_tcp(&pk, &c, &s, 1, 0, 0x02, NULL, 0, 0);
	pg_ipip_wrap(&pk, "10.1.0.1", "10.1.0.2");
	struct flow *inner = push(ft, &pk, 1, &p);
	assert_non_null(inner);
	struct flow *car = flow_table_carrier(ft, &p);
	assert_non_null(car);
	assert_ptr_not_equal(car, inner);
	assert_int_equal(car->key.proto, 4);
	assert_int_equal(car->key.src[3], 1);
	assert_int_equal(car->pkts[0], 1);
	assert_int_equal(car->bytes[0], pk.len);
	assert_int_equal(inner->key.proto, 6);
	/* the next packet of the carrier, the other way, is the same flow */
	pg_tcp(&pk, &s, &c, 1, 2, 0x12, NULL, 0, 0);
	pg_ipip_wrap(&pk, "10.1.0.2", "10.1.0.1");
	push(ft, &pk, 2, &p);
	assert_ptr_equal(flow_table_carrier(ft, &p), car);
	assert_int_equal(car->pkts[1], 1);
	/* GRE: none */
	pg_tcp(&pk, &c, &s, 1, 0, 0x02, NULL, 0, 0);
	pg_gre_wrap(&pk, "198.51.100.1", "198.51.100.2");
	push(ft, &pk, 3, &p);
	assert_null(flow_table_carrier(ft, &p));
	done(ft);
}

static void test_memcap_evicts(void **state)
{
	(void)state;
	/* room for the buckets and about ten flows */
	struct flow_table *ft = mk(65536 * 8 + 10 * sizeof(struct flow) + 64);
	struct pg_ep c, s;
	struct pg_pkt pk;
	struct packet p;
	pg_ep4(&s, "10.0.0.2", 53);
	for (int i = 0; i < 100; i++) {
		pg_ep4(&c, "10.0.0.1", (uint16_t)(1000 + i));
		pg_udp(&pk, &c, &s, "q", 1, 0);
		assert_non_null(push(ft, &pk, (vtime_t)i, &p));
	}
	assert_true(flow_table_count(ft) <= 10);
	assert_true(cnt.v[CNT_FLOW_EMERG_EVICTED] >= 90);
	assert_int_equal(ended, (int)cnt.v[CNT_FLOW_EMERG_EVICTED]);
	done(ft);
}

/* No room for a flow and none to evict: no flow, and the packet is
 * marked for flow.memcap-policy. */
static void test_memcap_marks_packet(void **state)
{
	(void)state;
	struct flow_table *ft = mk(65536 * 8 + 16);
	struct pg_ep c, s;
	struct pg_pkt pk;
	struct packet p;
	pg_ep4(&s, "10.0.0.2", 53);
	pg_ep4(&c, "10.0.0.1", 1000);
	pg_udp(&pk, &c, &s, "q", 1, 0);
	assert_null(push(ft, &pk, 1, &p));
	assert_true(p.flags & PKT_XP_FLOW_MEMCAP);
	assert_int_equal(cnt.v[CNT_FLOW_MEMCAP], 1);
	done(ft);
}

static void test_icmp_pair_and_community_id(void **state)
{
	(void)state;
	struct flow_table *ft = mk(0);
	struct pg_ep c, s;
	struct pg_pkt pk;
	struct packet p;
	/* Community ID spec test vector: 128.232.110.120:34855 ->
	 * 66.35.250.204:80 TCP, seed 0 = 1:LQU9qZlK+B5F3KDmev6m5PMibrg= */
	pg_ep4(&c, "128.232.110.120", 34855);
	pg_ep4(&s, "66.35.250.204", 80);
	pg_tcp(&pk, &c, &s, 1, 0, 0x02, NULL, 0, 0);
	struct flow *f = push(ft, &pk, 1, &p);
	char cid[32];
	community_id(f, 0, cid);
	assert_string_equal(cid, "1:LQU9qZlK+B5F3KDmev6m5PMibrg=");
	pg_ep4(&c, "192.168.0.89", 0);
	pg_ep4(&s, "192.168.0.1", 0);
	pg_icmp_echo(&pk, &c, &s, false, 7, 1);
	struct flow *e = push(ft, &pk, 2, &p);
	pg_icmp_echo(&pk, &s, &c, true, 7, 1);
	assert_ptr_equal(push(ft, &pk, 3, &p), e);
	assert_int_equal(e->state, FLOW_STATE_ESTABLISHED);
	/* spec vector: 192.168.0.89 -> 192.168.0.1 echo request */
	community_id(e, 0, cid);
	assert_string_equal(cid, "1:X0snYXpgwiv9TZtqg64sgzUn6Dk=");
	done(ft);
}

/* An ICMPv4 error from `from` (dotted quad) quoting the IP header and the
 * first 8 bytes of the Ethernet/IPv4 frame orig, with valid checksums. */
static void mk_icmp_err(struct pg_pkt *out, const struct pg_pkt *orig, const char *from,
			const char *to, uint8_t type, uint8_t code)
{
	const uint8_t *oip = orig->buf + 14;
	uint32_t quote = 20 + 8;
	memset(out, 0, sizeof(*out));
	memcpy(out->buf, orig->buf, 14); /* the MACs do not matter here */
	uint8_t *ip = out->buf + 14, *ic = ip + 20;
	uint16_t tot = (uint16_t)(20 + 8 + quote);
	ip[0] = 0x45;
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[8] = 64;
	ip[9] = 1;
	struct pg_ep a, b;
	pg_ep4(&a, from, 0);
	pg_ep4(&b, to, 0);
	memcpy(ip + 12, a.ip, 4);
	memcpy(ip + 16, b.ip, 4);
	uint16_t c = csum_fold(csum_add(0, ip, 20));
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	ic[0] = type;
	ic[1] = code;
	ic[7] = type == 3 && code == 4 ? 0xd4 : 0; /* next-hop MTU 1492 (low byte) */
	ic[6] = type == 3 && code == 4 ? 0x05 : 0;
	memcpy(ic + 8, oip, quote);
	c = csum_fold(csum_add(0, ic, 8 + quote));
	ic[2] = (uint8_t)(c >> 8);
	ic[3] = (uint8_t)c;
	out->len = 14 + tot;
}

static void test_icmp_error_joins_flow(void **state)
{
	(void)state;
	struct flow_table *ft = mk(0);
	struct pg_ep c, s;
	struct pg_pkt pk, syn, synack, err;
	struct packet p;
	pg_ep4(&c, "10.10.1.4", 1470);
	pg_ep4(&s, "74.53.140.153", 25);
	pg_tcp(&syn, &c, &s, 100, 0, TH_SYN, NULL, 0, 0);
	struct flow *f = push(ft, &syn, 1, &p);
	assert_non_null(f);
	pg_tcp(&synack, &s, &c, 500, 101, TH_SYN | TH_ACK, NULL, 0, 0);
	assert_ptr_equal(push(ft, &synack, 2, &p), f);
	assert_int_equal(cnt.v[CNT_FLOW_TOTAL], 1);

	/* a router's "fragmentation needed" about the client's segment:
	 * the TCP flow's, to_client, no flow of its own */
	mk_icmp_err(&err, &syn, "192.168.1.1", "10.10.1.4", 3, 4);
	assert_ptr_equal(push(ft, &err, 3, &p), f);
	assert_true(p.flags & PKT_ICMP_EMB);
	assert_true(p.flags & PKT_ICMP_EMB_PORTS);
	assert_int_equal(p.emb_proto, 6);
	assert_int_equal(p.emb_sp, 1470);
	assert_int_equal(p.emb_dp, 25);
	assert_memory_equal(p.emb_src, c.ip, 4);
	assert_memory_equal(p.emb_dst, s.ip, 4);
	assert_int_equal(p.proto, 1);
	assert_int_equal(p.dir, 1);
	assert_true(p.flags & PKT_FLOW_EST);
	assert_int_equal(f->pkts[0], 1);
	assert_int_equal(f->pkts[1], 2);
	assert_int_equal(f->bytes[1], synack.len + err.len);
	assert_int_equal(f->last, 3);
	assert_int_equal(cnt.v[CNT_FLOW_TOTAL], 1);
	assert_int_equal(cnt.v[CNT_FLOW_ICMPV4], 0);

	/* the client's port unreachable quoting the server's segment: found
	 * from the other orientation, to_server (its source is the flow's) */
	mk_icmp_err(&err, &synack, "10.10.1.4", "74.53.140.153", 3, 3);
	assert_ptr_equal(push(ft, &err, 4, &p), f);
	assert_int_equal(p.dir, 0);
	assert_int_equal(f->pkts[0], 2);
	assert_int_equal(f->tcp_state, TCP_SYN_RECV); /* TCP state untouched */

	/* time exceeded about the flow: Suricata keeps it out of flows */
	mk_icmp_err(&err, &syn, "192.168.1.1", "10.10.1.4", 11, 0);
	assert_null(push(ft, &err, 5, &p));
	assert_true(p.flags & PKT_ICMP_EMB);
	assert_int_equal(f->pkts[1], 2);
	/* unreachable about no known flow (another port): no flow made */
	struct pg_ep c2;
	pg_ep4(&c2, "10.10.1.4", 1471);
	pg_tcp(&pk, &c2, &s, 1, 0, TH_SYN, NULL, 0, 0);
	mk_icmp_err(&err, &pk, "192.168.1.1", "10.10.1.4", 3, 4);
	assert_null(push(ft, &err, 6, &p));
	/* an unknown unreachable code (> 15) is not looked up either */
	mk_icmp_err(&err, &syn, "192.168.1.1", "10.10.1.4", 3, 16);
	assert_null(push(ft, &err, 7, &p));
	/* a truncated quote (the UDP header cut short): no ports, no flow */
	struct pg_ep uc, us;
	pg_ep4(&uc, "10.0.0.1", 5353);
	pg_ep4(&us, "10.0.0.2", 53);
	pg_udp(&pk, &uc, &us, "q", 1, 0);
	struct flow *u = push(ft, &pk, 8, &p);
	assert_non_null(u);
	assert_int_equal(u->state, FLOW_STATE_NEW);
	mk_icmp_err(&err, &pk, "10.0.0.2", "10.0.0.1", 3, 3);
	assert_ptr_equal(push(ft, &err, 9, &p), u);
	assert_int_equal(p.dir, 1);
	assert_int_equal(u->state, FLOW_STATE_ESTABLISHED); /* both directions seen */
	err.len -= 3;
	err.buf[14 + 3] = (uint8_t)(err.buf[14 + 3] - 3); /* IP total length */
	err.buf[14 + 10] = err.buf[14 + 11] = 0;
	uint16_t ck = csum_fold(csum_add(0, err.buf + 14, 20));
	err.buf[14 + 10] = (uint8_t)(ck >> 8);
	err.buf[14 + 11] = (uint8_t)ck;
	dc.csum_mode = CSUM_NONE;
	assert_null(push(ft, &err, 10, &p));
	assert_true(p.flags & PKT_ICMP_EMB);
	assert_false(p.flags & PKT_ICMP_EMB_PORTS);
	assert_int_equal(cnt.v[CNT_FLOW_TOTAL], 2);
	done(ft);
}

int main(void)
{
	setenv("TZ", "UTC", 1);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_session),
		cmocka_unit_test(test_tcp_close_orientation),
		cmocka_unit_test(test_handshake_timestamps),
		cmocka_unit_test(test_synack_first_orients_flow),
		cmocka_unit_test(test_tunnel_carrier_flow),
		cmocka_unit_test(test_memcap_evicts),
		cmocka_unit_test(test_memcap_marks_packet),
		cmocka_unit_test(test_icmp_pair_and_community_id),
		cmocka_unit_test(test_icmp_error_joins_flow),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
