/*
 * Unit tests for the decoders: fields of well-formed packets, named events
 * for malformed ones, and every prefix of every test packet decoded from a
 * buffer that ends at an unreadable page (a read past the end faults).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "decode.h"
#include "pktgen.h"
#include "testutil.h"

static struct config cfg;
static struct counters cnt;
static struct decode_ctx dc;
static struct pg_pkt pk;

static int setup(void **state)
{
	(void)state;
	config_init(&cfg);
	cfg.checksum = CSUM_ALL;
	memset(&cnt, 0, sizeof(cnt));
	return decode_ctx_init(&dc, &cfg, &cnt, 1 << 20);
}

static int teardown(void **state)
{
	(void)state;
	decode_ctx_fini(&dc);
	config_fini(&cfg);
	return 0;
}

static void decode_buf(struct packet *p, const uint8_t *b, uint32_t len, int link)
{
	memset(p, 0, sizeof(*p));
	p->data = guard_copy(b, len);
	p->caplen = p->wirelen = len;
	p->linktype = link;
	p->ts = 1;
	decode_packet(&dc, p);
}

static void test_tcp_ipv4(void **state)
{
	(void)state;
	struct pg_ep c, s;
	struct packet p;
	pg_ep4(&c, "10.0.0.1", 1234);
	pg_ep4(&s, "10.0.0.2", 80);
	pg_tcp(&pk, &c, &s, 100, 0, 0x02, "hi", 2, 0);
	decode_buf(&p, pk.buf, pk.len, LINK_ETHERNET);
	assert_int_equal(p.ip_ver, 4);
	assert_int_equal(p.proto, 6);
	assert_int_equal(p.sp, 1234);
	assert_int_equal(p.dp, 80);
	assert_int_equal(p.seq, 100);
	assert_int_equal(p.tcp_flags, 0x02);
	assert_true(p.tcpo.has_mss);
	assert_int_equal(p.tcpo.mss, 1460);
	assert_int_equal(p.payload_len, 2);
	assert_memory_equal(p.payload, "hi", 2);
	assert_int_equal(p.event_cnt, 0);
	assert_false(p.flags & (PKT_INVALID | PKT_CSUM_BAD));
}

static void test_vlan_ipv6_udp(void **state)
{
	(void)state;
	struct pg_ep c, s;
	struct packet p;
	pg_ep6(&c, "2001:db8::1", 5000);
	pg_ep6(&s, "2001:db8::2", 53);
	pg_udp(&pk, &c, &s, "query", 5, 42);
	decode_buf(&p, pk.buf, pk.len, LINK_ETHERNET);
	assert_int_equal(p.vlan_cnt, 1);
	assert_int_equal(p.vlan[0], 42);
	assert_int_equal(p.ip_ver, 6);
	assert_int_equal(p.proto, 17);
	assert_int_equal(p.dp, 53);
	assert_int_equal(p.payload_len, 5);
	assert_int_equal(p.event_cnt, 0);
}

/* The IPv4 options a header carries, as packet.ipopts bits (the ipopts
 * keyword): NOP + record route + EOL, then extended security; none
 * without options; a bad option length ends the walk with an event. */
static void test_ipv4_options(void **state)
{
	(void)state;
	/* raw IPv4, IHL 8: NOP, RR (len 7, pointer 4, one slot), EOL, pad, 4 bytes of payload */
	uint8_t ip[] = { 0x48, 0, 0, 36, 0, 1, 0, 0, 64, 253, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
			 1, 7, 7, 4, 0, 0, 0, 0, 0, 0, 0, 0, 'd', 'a', 't', 'a' };
	struct packet p;
	decode_buf(&p, ip, sizeof(ip), LINK_RAW);
	assert_int_equal(p.ip_ver, 4);
	assert_int_equal(p.ipopts, IPOPT_F_NOP | IPOPT_F_RR | IPOPT_F_EOL);
	/* extended security (133, RFC 1108): known, no unknown-option event */
	uint8_t es[] = { 0x46, 0, 0, 24, 0, 1, 0, 0, 64, 253, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
			 133, 3, 5, 0 };
	decode_buf(&p, es, sizeof(es), LINK_RAW);
	assert_int_equal(p.ipopts, IPOPT_F_ESEC | IPOPT_F_EOL);
	assert_false(pkt_has_event(&p, EV_IPV4_OPT_UNKNOWN));
	/* a timestamp whose length runs past the header */
	uint8_t bad[] = { 0x46, 0, 0, 24, 0, 1, 0, 0, 64, 253, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
			  1, 68, 9, 5 };
	decode_buf(&p, bad, sizeof(bad), LINK_RAW);
	assert_int_equal(p.ipopts, IPOPT_F_NOP);
	assert_true(pkt_has_event(&p, EV_IPV4_OPT_INVALID_LEN));
	uint8_t none[] = { 0x45, 0, 0, 20, 0, 1, 0, 0, 64, 253, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2 };
	decode_buf(&p, none, sizeof(none), LINK_RAW);
	assert_int_equal(p.ip_ver, 4);
	assert_int_equal(p.ipopts, 0);
}

static void test_bad_checksum_and_truncation(void **state)
{
	(void)state;
	struct pg_ep c, s;
	struct packet p;
	pg_ep4(&c, "10.0.0.1", 1234);
	pg_ep4(&s, "10.0.0.2", 80);
	pg_tcp(&pk, &c, &s, 1, 1, 0x10, "abcd", 4, 0);
	pk.buf[pk.len - 1] ^= 1; /* payload byte: TCP checksum now wrong */
	decode_buf(&p, pk.buf, pk.len, LINK_ETHERNET);
	assert_true(p.flags & PKT_CSUM_BAD);
	assert_true(pkt_has_event(&p, EV_TCP_INVALID_CSUM));
	/* IPv4 total length larger than what was captured */
	pg_tcp(&pk, &c, &s, 1, 1, 0x10, "abcd", 4, 0);
	decode_buf(&p, pk.buf, pk.len - 2, LINK_ETHERNET);
	assert_true(pkt_has_event(&p, EV_IPV4_TRUNC_PKT));
	assert_true(p.flags & PKT_INVALID);
	/* IHL below 5 */
	pg_tcp(&pk, &c, &s, 1, 1, 0x10, NULL, 0, 0);
	pk.buf[14] = 0x44;
	decode_buf(&p, pk.buf, pk.len, LINK_ETHERNET);
	assert_true(pkt_has_event(&p, EV_IPV4_HLEN_TOO_SMALL));
}

static void test_fragments_reassemble(void **state)
{
	(void)state;
	struct pg_ep c, s;
	struct packet p;
	uint8_t data[2000];
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)i;
	pg_ep4(&c, "10.0.0.1", 1111);
	pg_ep4(&s, "10.0.0.2", 2222);
	pg_udp(&pk, &c, &s, data, sizeof(data), 0);
	struct pg_pkt fr[4];
	int n = pg_ipv4_fragment(&pk, 800, fr, 4);
	assert_int_equal(n, 3);
	/* out of order, with a duplicate */
	int order[] = { 2, 0, 0, 1 };
	for (int i = 0; i < 4; i++) {
		decode_buf(&p, fr[order[i]].buf, fr[order[i]].len, LINK_ETHERNET);
		if (i < 3) {
			assert_true(p.flags & PKT_FRAGMENT);
		}
	}
	assert_true(p.flags & PKT_REBUILT);
	assert_int_equal(p.proto, 17);
	assert_int_equal(p.dp, 2222);
	assert_int_equal(p.payload_len, sizeof(data));
	assert_memory_equal(p.payload, data, sizeof(data));
	assert_false(p.flags & PKT_CSUM_BAD);
}

static void test_fragment_overlap_first_wins(void **state)
{
	(void)state;
	struct pg_ep c, s;
	struct packet p;
	uint8_t data[1600], evil[1600];
	memset(data, 'A', sizeof(data));
	memset(evil, 'B', sizeof(evil));
	pg_ep4(&c, "10.0.0.3", 1111);
	pg_ep4(&s, "10.0.0.4", 2222);
	pg_udp(&pk, &c, &s, data, sizeof(data), 0);
	struct pg_pkt good[3], bad[3];
	pg_ipv4_fragment(&pk, 800, good, 3);
	struct pg_pkt pk2;
	memcpy(&pk2, &pk, sizeof(pk));
	pg_udp(&pk2, &c, &s, evil, sizeof(evil), 0);
	pg_ipv4_fragment(&pk2, 800, bad, 3);
	/* give the evil copy the same IP id as the good one */
	for (int i = 0; i < 3; i++) {
		bad[i].buf[18] = good[0].buf[18];
		bad[i].buf[19] = good[0].buf[19];
	}
	decode_buf(&p, good[1].buf, good[1].len, LINK_ETHERNET); /* first: A's at 800 */
	decode_buf(&p, bad[1].buf, bad[1].len, LINK_ETHERNET);   /* overlap: B's */
	decode_buf(&p, good[0].buf, good[0].len, LINK_ETHERNET);
	decode_buf(&p, good[2].buf, good[2].len, LINK_ETHERNET);
	assert_true(p.flags & PKT_REBUILT);
	assert_true(pkt_has_event(&p, EV_IPV4_FRAG_OVERLAP));
	for (uint32_t i = 0; i < p.payload_len; i++)
		assert_int_equal(p.payload[i], 'A');
}

static void test_gre_inner_flow(void **state)
{
	(void)state;
	struct pg_ep c, s;
	struct packet p;
	pg_ep4(&c, "172.16.0.1", 1000);
	pg_ep4(&s, "172.16.0.2", 80);
	pg_tcp(&pk, &c, &s, 1, 0, 0x02, NULL, 0, 0);
	pg_gre_wrap(&pk, "198.51.100.1", "198.51.100.2");
	decode_buf(&p, pk.buf, pk.len, LINK_ETHERNET);
	assert_true(p.flags & PKT_TUNNEL);
	assert_int_equal(p.proto, 6);
	assert_int_equal(p.src[0], 172);
	assert_int_equal(p.dp, 80);
	/* the carrier: the outermost layer, and who unwrapped the inner */
	assert_int_equal(p.tun_kind, TUN_GRE);
	assert_int_equal(p.tun_ip_ver, 4);
	assert_int_equal(p.tun_proto, 47);
	assert_int_equal(p.tun_src[0], 198);
	assert_int_equal(p.tun_dst[3], 2);
}

/* IP-in-IP and 6in4: the inner packet is the flow's, the outer one the
 * carrier (pkt_src "ipv4 tunnel", tunnel.proto IP-in-IP / IPv6). */
static void test_ipip_carrier(void **state)
{
	(void)state;
	struct pg_ep c, s, c6, s6;
	struct packet p;
	pg_ep4(&c, "10.1.0.3", 80);
	pg_ep4(&s, "10.1.0.4", 80);
	pg_tcp(&pk, &c, &s, 1, 0, 0x02, "hello", 5, 0);
	pg_ipip_wrap(&pk, "10.1.0.1", "10.1.0.2");
	decode_buf(&p, pk.buf, pk.len, LINK_ETHERNET);
	assert_true(p.flags & PKT_TUNNEL);
	assert_int_equal(p.ip_ver, 4);
	assert_int_equal(p.src[3], 3);
	assert_int_equal(p.tun_kind, TUN_IPV4);
	assert_int_equal(p.tun_proto, 4);
	assert_int_equal(p.tun_src[3], 1);
	assert_int_equal(p.tun_depth, 1);
	pg_ep6(&c6, "2001:db8::1", 5000);
	pg_ep6(&s6, "2001:db8::2", 80);
	pg_tcp(&pk, &c6, &s6, 1, 0, 0x02, NULL, 0, 0);
	pg_ipip_wrap(&pk, "192.0.2.1", "192.0.2.2");
	decode_buf(&p, pk.buf, pk.len, LINK_ETHERNET);
	assert_int_equal(p.ip_ver, 6);
	assert_int_equal(p.tun_kind, TUN_IPV4);
	assert_int_equal(p.tun_proto, 41);
	assert_int_equal(p.tun_ip_ver, 4);
	/* a plain packet has no carrier */
	pg_tcp(&pk, &c, &s, 1, 0, 0x02, NULL, 0, 0);
	decode_buf(&p, pk.buf, pk.len, LINK_ETHERNET);
	assert_false(p.flags & PKT_TUNNEL);
	assert_int_equal(p.tun_ip_ver, 0);
}

/* decoder.recursion-level.use-for-tracking: the recursion level goes into
 * the flow key (flow_depth) unless it is off; tun_depth stays either way. */
static void test_recursion_tracking(void **state)
{
	(void)state;
	struct pg_ep c, s;
	struct packet p;
	pg_ep4(&c, "10.1.0.3", 1000);
	pg_ep4(&s, "10.1.0.4", 80);
	pg_tcp(&pk, &c, &s, 1, 0, 0x02, NULL, 0, 0);
	pg_ipip_wrap(&pk, "10.1.0.1", "10.1.0.2");
	decode_buf(&p, pk.buf, pk.len, LINK_ETHERNET);
	assert_int_equal(p.tun_depth, 1);
	assert_int_equal(p.flow_depth, 1);
	dc.track_recursion = false;
	decode_buf(&p, pk.buf, pk.len, LINK_ETHERNET);
	dc.track_recursion = true;
	assert_int_equal(p.tun_depth, 1);
	assert_int_equal(p.flow_depth, 0);
}

/* Every prefix of every packet, at a page end: no fault, no hang. */
static void test_all_prefixes(void **state)
{
	(void)state;
	struct pg_ep c, s, c6, s6;
	struct pg_pkt pkts[6];
	pg_ep4(&c, "10.0.0.1", 1234);
	pg_ep4(&s, "10.0.0.2", 80);
	pg_ep6(&c6, "2001:db8::1", 5000);
	pg_ep6(&s6, "2001:db8::2", 53);
	pg_tcp(&pkts[0], &c, &s, 1, 0, 0x02, "payload", 7, 0);
	pg_udp(&pkts[1], &c6, &s6, "dns", 3, 7);
	pg_icmp_echo(&pkts[2], &c, &s, false, 1, 1);
	pg_icmp_echo(&pkts[3], &c6, &s6, true, 1, 1);
	pg_tcp(&pkts[4], &c, &s, 1, 0, 0x02, NULL, 0, 0);
	pg_gre_wrap(&pkts[4], "198.51.100.1", "198.51.100.2");
	pg_udp(&pkts[5], &c, &s, "x", 1, 0);
	int links[] = { LINK_ETHERNET, LINK_RAW, LINK_SLL, LINK_SLL2, LINK_NULL, LINK_CHDLC };
	for (size_t k = 0; k < 6; k++) {
		for (size_t li = 0; li < 6; li++) {
			uint8_t frame[2048];
			uint32_t fl = pkts[k].len - 14;
			uint32_t hl = links[li] == LINK_ETHERNET ? 14 : links[li] == LINK_RAW ? 0
				    : links[li] == LINK_SLL ? 16 : links[li] == LINK_SLL2 ? 20 : 4; /* NULL, CHDLC */
			memset(frame, 0, hl);
			if (links[li] == LINK_ETHERNET)
				memcpy(frame, pkts[k].buf, 14);
			memcpy(frame + hl, pkts[k].buf + 14, fl);
			for (uint32_t n = 0; n <= hl + fl; n++) {
				struct packet p;
				decode_buf(&p, frame, n, links[li]);
			}
		}
	}
}

/* Cisco HDLC frames; an IPv6 packet whose upper-layer header is cut
 * short is the L4 decoder's event, as in Suricata, and only after an
 * extension header a truncated extension header. */
static void test_chdlc_and_short_l4(void **state)
{
	(void)state;
	struct pg_ep c, s, c6, s6;
	struct packet p;
	uint8_t frame[2048];
	pg_ep4(&c, "10.0.0.1", 1234);
	pg_ep4(&s, "10.0.0.2", 80);
	pg_tcp(&pk, &c, &s, 1, 1, 0x10, "abcd", 4, 0);
	frame[0] = 0x0f;
	frame[1] = 0;
	frame[2] = 0x08;
	frame[3] = 0x00;
	memcpy(frame + 4, pk.buf + 14, pk.len - 14);
	decode_buf(&p, frame, pk.len - 10, LINK_CHDLC);
	assert_true(p.flags & PKT_HAS_PORTS);
	assert_int_equal(p.dp, 80);
	assert_int_equal(p.payload_len, 4);
	decode_buf(&p, frame, 3, LINK_CHDLC);
	assert_true(pkt_has_event(&p, EV_CHDLC_PKT_TOO_SMALL));

	pg_ep6(&c6, "2001:db8::1", 5000);
	pg_ep6(&s6, "2001:db8::2", 80);
	pg_tcp(&pk, &c6, &s6, 1, 1, 0x10, NULL, 0, 0);
	/* payload length 0: the TCP header is missing */
	memcpy(frame, pk.buf, 14 + 40);
	frame[14 + 4] = frame[14 + 5] = 0;
	decode_buf(&p, frame, 14 + 40, LINK_ETHERNET);
	assert_true(pkt_has_event(&p, EV_TCP_PKT_TOO_SMALL));
	assert_false(pkt_has_event(&p, EV_IPV6_TRUNC_EXTHDR));
	/* a hop-by-hop header that says TCP follows, and nothing does */
	frame[14 + 5] = 8;
	frame[14 + 6] = 0; /* next header: hop-by-hop */
	memset(frame + 14 + 40, 0, 8);
	frame[14 + 40] = 6;
	frame[14 + 42] = 1; /* PadN, 4 bytes */
	frame[14 + 43] = 4;
	decode_buf(&p, frame, 14 + 48, LINK_ETHERNET);
	assert_true(pkt_has_event(&p, EV_IPV6_TRUNC_EXTHDR));
	assert_false(pkt_has_event(&p, EV_TCP_PKT_TOO_SMALL));
}

/* NSH (RFC 8300, MD types 1 and 2) and DCE (FabricPath) before an IPv4
 * packet; bad NSH headers raise their events */
static void test_nsh_and_dce(void **state)
{
	(void)state;
	struct pg_ep c, s;
	struct packet p;
	uint8_t frame[2048];
	pg_ep4(&c, "10.0.0.1", 52377);
	pg_ep4(&s, "10.0.0.2", 52464);
	pg_udp(&pk, &c, &s, "data", 4, 0);
	uint32_t ip = pk.len - 14; /* the IPv4 packet after the Ethernet header */
	static const uint8_t md1[24] = { 0x00, 0x06, 0x01, 0x01, 0x00, 0x00, 0x01, 0x02 };
	static const uint8_t md2[12] = { 0x00, 0x03, 0x02, 0x01, 0x00, 0x00, 0x01, 0x02,
					 0x00, 0x01, 0x02, 0x00 }; /* one empty TLV */
	const uint8_t *hdr[2] = { md1, md2 };
	size_t hl[2] = { sizeof(md1), sizeof(md2) };
	for (int k = 0; k < 2; k++) {
		memcpy(frame, pk.buf, 12);
		frame[12] = 0x89;
		frame[13] = 0x4f;
		memcpy(frame + 14, hdr[k], hl[k]);
		memcpy(frame + 14 + hl[k], pk.buf + 14, ip);
		decode_buf(&p, frame, (uint32_t)(14 + hl[k] + ip), LINK_ETHERNET);
		assert_int_equal(p.ip_ver, 4);
		assert_int_equal(p.proto, 17);
		assert_int_equal(p.sp, 52377);
		assert_int_equal(p.payload_len, 4);
		assert_int_equal(p.event_cnt, 0);
	}
	/* version 1, MD type 0, a length past the packet, MPLS after it */
	static const struct { uint8_t b0, b1, b2, b3; int ev; } bad[] = {
		{ 0x40, 0x06, 0x01, 0x01, EV_NSH_UNSUPPORTED_VERSION },
		{ 0x00, 0x06, 0x00, 0x01, EV_NSH_RESERVED_TYPE },
		{ 0x00, 0x3f, 0x02, 0x01, EV_NSH_BAD_HEADER_LENGTH },
		{ 0x00, 0x05, 0x01, 0x01, EV_NSH_BAD_HEADER_LENGTH },
		{ 0x00, 0x06, 0x01, 0x05, EV_NSH_UNKNOWN_PAYLOAD },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(frame, pk.buf, 12);
		frame[12] = 0x89;
		frame[13] = 0x4f;
		memcpy(frame + 14, md1, sizeof(md1));
		frame[14] = bad[i].b0;
		frame[15] = bad[i].b1;
		frame[16] = bad[i].b2;
		frame[17] = bad[i].b3;
		memcpy(frame + 14 + sizeof(md1), pk.buf + 14, ip);
		decode_buf(&p, frame, (uint32_t)(14 + sizeof(md1) + ip), LINK_ETHERNET);
		assert_true(pkt_has_event(&p, (enum event_id)bad[i].ev));
		assert_int_not_equal(p.ip_ver, 4);
	}
	decode_buf(&p, frame, 14 + 4, LINK_ETHERNET);
	assert_true(pkt_has_event(&p, EV_NSH_HEADER_TOO_SMALL));
	/* DCE: two bytes, then the whole Ethernet frame again */
	memcpy(frame, pk.buf, 12);
	frame[12] = 0x89;
	frame[13] = 0x03;
	frame[14] = frame[15] = 0;
	memcpy(frame + 16, pk.buf, pk.len);
	decode_buf(&p, frame, 16 + pk.len, LINK_ETHERNET);
	assert_int_equal(p.ip_ver, 4);
	assert_int_equal(p.dp, 52464);
	assert_int_equal(p.payload_len, 4);
	decode_buf(&p, frame, 14 + 10, LINK_ETHERNET);
	assert_true(pkt_has_event(&p, EV_DCE_PKT_TOO_SMALL));
}

/* The byte-pair sum of RFC 1071, as the reference for csum_add's word sum. */
static uint32_t csum_ref(uint32_t sum, const uint8_t *p, uint32_t len)
{
	uint64_t s = sum;
	for (; len >= 2; p += 2, len -= 2)
		s += (uint64_t)p[0] << 8 | p[1];
	if (len)
		s += (uint64_t)p[0] << 8;
	while (s >> 32)
		s = (s & 0xffffffff) + (s >> 32);
	return (uint32_t)s;
}

static void test_csum_words(void **state)
{
	(void)state;
	static uint8_t b[1600];
	uint32_t seed = 12345;
	for (int it = 0; it < 200000; it++) {
		seed = seed * 1103515245u + 12345u;
		uint32_t n = (seed >> 8) % sizeof(b);
		int mode = (int)(seed >> 4) % 4; /* all ones, all zero, random */
		for (uint32_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			b[i] = mode == 0 ? 0xff : mode == 1 ? 0 : (uint8_t)(seed >> 16);
		}
		uint32_t off = (seed >> 20) % 8 & ~1u; /* callers split at even offsets */
		if (off > n)
			off = 0;
		uint32_t s0 = it % 3 ? (seed >> 12) % 70000 : seed | 0x80000000u;
		uint16_t got = csum_fold(csum_add(csum_add(s0, b, off), b + off, n - off));
		uint16_t want = csum_fold(csum_ref(csum_ref(s0, b, off), b + off, n - off));
		if (got != want)
			fail_msg("len %u offset %u start %u: %#x, want %#x", n, off, s0, got, want);
	}
	/* RFC 1071's example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2 */
	const uint8_t ex[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	assert_int_equal(csum_fold(csum_add(0, ex, sizeof(ex))), (uint16_t)~0xddf2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tcp_ipv4),
		cmocka_unit_test(test_vlan_ipv6_udp),
		cmocka_unit_test(test_bad_checksum_and_truncation),
		cmocka_unit_test(test_fragments_reassemble),
		cmocka_unit_test(test_fragment_overlap_first_wins),
		cmocka_unit_test(test_gre_inner_flow),
		cmocka_unit_test(test_ipip_carrier),
		cmocka_unit_test(test_recursion_tracking),
		cmocka_unit_test(test_all_prefixes),
		cmocka_unit_test(test_chdlc_and_short_l4),
		cmocka_unit_test(test_nsh_and_dce),
		cmocka_unit_test(test_csum_words),
		cmocka_unit_test(test_ipv4_options),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
