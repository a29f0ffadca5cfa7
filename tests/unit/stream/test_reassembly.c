/*
 * Unit tests for TCP reassembly: a stream cut into segments and fed in
 * adversarial orders (reversed, shuffled, duplicated, overlapping, byte by
 * byte) must come out exactly as sent; overlaps with different data keep
 * the first copy and raise the event; gaps are reported.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "stream.h"
#include "testutil.h"

static uint8_t got[1 << 16];
static uint32_t got_len, gaps, ends;
static int got_dir = -1; /* the direction of the last delivery */

static uint64_t gap_len;

static void collect(void *ud, struct flow *f, int dir, const uint8_t *data, uint32_t len,
		    unsigned flags)
{
	(void)ud; (void)f;
	if (len)
		got_dir = dir;
	if (flags & STREAM_GAP)
		gaps++;
	if (flags & STREAM_END)
		ends++;
	if (!data) { /* a hole (its size, no bytes), or the end */
		if (flags & STREAM_GAP)
			gap_len += len;
		else
			assert_int_equal(len, 0);
		return;
	}
	assert_true(got_len + len <= sizeof(got));
	if (len)
		memcpy(got + got_len, data, len);
	got_len += len;
}

static struct config cfg;
static struct counters cnt;
static struct reasm_ctx rc;
static struct flow fl;

static void reset(uint64_t ooo_limit)
{
	config_init(&cfg);
	cfg.stream_depth = 0;
	cfg.stream_ooo_limit = ooo_limit;
	memset(&cnt, 0, sizeof(cnt));
	memset(&fl, 0, sizeof(fl));
	reasm_ctx_init(&rc, &cfg, 1, &cnt, collect, NULL);
	got_len = gaps = ends = 0;
	gap_len = 0;
	config_fini(&cfg);
}

static void feed(struct reasm_dir *rd, uint32_t isn, const uint8_t *src, uint32_t off,
		 uint32_t len)
{
	/* from a guarded copy so a read past the segment faults */
	reasm_segment(&rc, rd, &fl, 0, NULL, isn + off, guard_copy(src + off, len), len);
}

static void make_stream(uint8_t *s, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		s[i] = (uint8_t)(i * 7 + i / 251);
}

static void test_orders(void **state)
{
	(void)state;
	enum { N = 5000, SEG = 100 };
	static uint8_t s[N];
	make_stream(s, N);
	const uint32_t isns[] = { 1, 0xfffff000u /* wraps */, 0x7fffffffu };
	for (size_t ii = 0; ii < 3; ii++) {
		uint32_t isn = isns[ii];
		for (int mode = 0; mode < 10; mode++) {
			reset(1 << 20);
			rc.ack_gated = mode >= 5; /* held until the end: same bytes */
			struct reasm_dir rd;
			reasm_dir_init(&rd, isn);
			uint32_t nseg = N / SEG, idx[N / SEG];
			for (uint32_t i = 0; i < nseg; i++)
				idx[i] = i;
			if (mode % 5 == 1) /* reversed */
				for (uint32_t i = 0; i < nseg; i++)
					idx[i] = nseg - 1 - i;
			if (mode % 5 == 2) { /* shuffled */
				srand(42 + (unsigned)ii);
				for (uint32_t i = nseg - 1; i > 0; i--) {
					uint32_t j = (uint32_t)rand() % (i + 1), t = idx[i];
					idx[i] = idx[j];
					idx[j] = t;
				}
			}
			for (uint32_t i = 0; i < nseg; i++) {
				feed(&rd, isn, s, idx[i] * SEG, SEG);
				if (mode % 5 == 3) /* every segment twice */
					feed(&rd, isn, s, idx[i] * SEG, SEG);
				if (mode % 5 == 4 && idx[i] + 1 < nseg) /* overlapping re-sends */
					feed(&rd, isn, s, idx[i] * SEG + SEG / 2, SEG);
			}
			if (rc.ack_gated)
				assert_int_equal(got_len, 0); /* nothing acknowledged */
			reasm_finish(&rc, &rd, &fl, 0);
			reasm_dir_fini(&rc, &rd);
			assert_int_equal(got_len, N);
			assert_memory_equal(got, s, N);
			assert_int_equal(gaps, 0);
			assert_int_equal(rc.mc.used, 0);
		}
	}
}

static void test_byte_by_byte_backwards(void **state)
{
	(void)state;
	enum { N = 700 };
	static uint8_t s[N];
	make_stream(s, N);
	reset(1 << 20);
	struct reasm_dir rd;
	reasm_dir_init(&rd, 1000);
	for (uint32_t i = N; i-- > 0;)
		feed(&rd, 1000, s, i, 1);
	reasm_finish(&rc, &rd, &fl, 0);
	assert_int_equal(got_len, N);
	assert_memory_equal(got, s, N);
}

static void test_overlap_first_wins(void **state)
{
	(void)state;
	reset(1 << 20);
	struct reasm_dir rd;
	reasm_dir_init(&rd, 1);
	const uint8_t a[] = "AAAAAAAAAA", b[] = "BBBBBBBBBBBBBBB";
	reasm_segment(&rc, &rd, &fl, 0, NULL, 6, a, 10);  /* [6,16) buffered */
	reasm_segment(&rc, &rd, &fl, 0, NULL, 1, b, 15);  /* [1,16): 5 new, 10 overlap */
	reasm_finish(&rc, &rd, &fl, 0);
	assert_int_equal(got_len, 15);
	assert_memory_equal(got, "BBBBBAAAAAAAAAA", 15);
	assert_int_equal(cnt.v[CNT_TCP_OVERLAP_DIFF], 1);
}

static void test_gap_and_limit(void **state)
{
	(void)state;
	reset(64); /* tiny out-of-order budget */
	struct reasm_dir rd;
	reasm_dir_init(&rd, 0);
	uint8_t d[40];
	memset(d, 'x', sizeof(d));
	reasm_segment(&rc, &rd, &fl, 0, NULL, 0, d, 10);    /* delivered */
	reasm_segment(&rc, &rd, &fl, 0, NULL, 20, d, 40);   /* hole [10,20) */
	struct packet pkt;
	memset(&pkt, 0, sizeof(pkt));
	reasm_segment(&rc, &rd, &fl, 0, &pkt, 100, d, 40);  /* over budget: skips the hole */
	assert_true(gaps >= 1);
	assert_int_equal(gap_len, 10); /* a hole skipped on a packet: its size said */
	reasm_finish(&rc, &rd, &fl, 0);
	assert_int_equal(got_len, 10 + 40 + 40);
	assert_int_equal(ends, 1);
	assert_int_equal(rd.gap_bytes, 10 + 40);
	assert_int_equal(gap_len, 10); /* one left at the end: only marked */
	reasm_dir_fini(&rc, &rd);
	assert_int_equal(rc.mc.used, 0);
}

static void test_depth(void **state)
{
	(void)state;
	reset(1 << 20);
	rc.depth = 25;
	struct reasm_dir rd;
	reasm_dir_init(&rd, 0);
	uint8_t d[10];
	memset(d, 'y', sizeof(d));
	for (uint32_t i = 0; i < 5; i++)
		reasm_segment(&rc, &rd, &fl, 0, NULL, i * 10, d, 10);
	assert_int_equal(got_len, 25);
	assert_int_equal(ends, 1);
}

/* Acknowledged delivery: bytes go out as the peer's ACK passes them, an
 * ACK inside a segment delivers its head, and nothing is lost or
 * repeated. */
static void test_ack_edge(void **state)
{
	(void)state;
	enum { N = 300 };
	static uint8_t s[N];
	make_stream(s, N);
	reset(1 << 20);
	rc.ack_gated = true;
	struct reasm_dir rd;
	reasm_dir_init(&rd, 1000);
	for (uint32_t off = 0; off < N; off += 100)
		feed(&rd, 1000, s, off, 100);
	assert_int_equal(got_len, 0);
	reasm_ack(&rc, &rd, &fl, 0, NULL, 1000 + 150); /* inside the second */
	assert_int_equal(got_len, 150);
	assert_memory_equal(got, s, 150);
	feed(&rd, 1000, s, 120, 60); /* a repeat of held and delivered bytes */
	assert_int_equal(got_len, 150);
	reasm_ack(&rc, &rd, &fl, 0, NULL, 1000 + 100); /* an older ACK: nothing */
	assert_int_equal(got_len, 150);
	reasm_ack(&rc, &rd, &fl, 0, NULL, 1000 + N + 1); /* and the FIN */
	assert_int_equal(got_len, N);
	assert_memory_equal(got, s, N);
	assert_false(reasm_pending(&rd));
	reasm_finish(&rc, &rd, &fl, 0);
	assert_int_equal(got_len, N);
	assert_int_equal(gaps, 0);
	reasm_dir_fini(&rc, &rd);
	assert_int_equal(rc.mc.used, 0);
}

/* Acknowledged delivery with a small budget: held bytes past it go out
 * unacknowledged (counted), in order; an ACK past a hole skips it. */
static void test_ack_budget_and_hole(void **state)
{
	(void)state;
	enum { N = 200 };
	static uint8_t s[N];
	make_stream(s, N);
	reset(64);
	rc.ack_gated = true;
	struct reasm_dir rd;
	reasm_dir_init(&rd, 0);
	for (uint32_t off = 0; off < 100; off += 10)
		feed(&rd, 0, s, off, 10);
	assert_true(got_len >= 100 - 64);
	assert_true(cnt.v[CNT_TCP_UNACKED_FORCED] > 0);
	assert_memory_equal(got, s, got_len);
	feed(&rd, 0, s, 150, 50); /* hole [100,150) */
	struct packet pkt;
	memset(&pkt, 0, sizeof(pkt));
	reasm_ack(&rc, &rd, &fl, 0, &pkt, N);
	assert_int_equal(gaps, 1);
	assert_int_equal(gap_len, 50);
	assert_int_equal(got_len, 150);
	assert_memory_equal(got, s, 100);
	assert_memory_equal(got + 100, s + 150, 50);
	reasm_finish(&rc, &rd, &fl, 0);
	reasm_dir_fini(&rc, &rd);
	assert_int_equal(rc.mc.used, 0);
}

/* A segment that cannot be buffered under the memcap marks its packet
 * for the exception policy (stream.reassembly.memcap-policy); one that
 * fits does not. */
static void test_memcap_marks_packet(void **state)
{
	(void)state;
	static uint8_t s[600];
	make_stream(s, sizeof(s));
	reset(1 << 20);
	rc.mc.cap = 400;
	struct reasm_dir rd;
	reasm_dir_init(&rd, 1);
	struct packet p;
	memset(&p, 0, sizeof(p));
	reasm_segment(&rc, &rd, &fl, 0, &p, 1 + 100, s + 100, 100); /* out of order: buffered */
	assert_false(p.flags & PKT_XP_REASM_MEMCAP);
	reasm_segment(&rc, &rd, &fl, 0, &p, 1 + 300, s + 300, 300); /* past the memcap */
	assert_true(p.flags & PKT_XP_REASM_MEMCAP);
	assert_int_equal(cnt.v[CNT_TCP_SEGMENT_MEMCAP], 1);
	reasm_dir_fini(&rc, &rd);
	assert_int_equal(rc.mc.used, 0);
}

/* Data landing more than 256 KiB past what a direction holds needs a
 * region of its own in Suricata's stream buffer: the flow keeps the most
 * such regions (tcp.ts_max_regions); data within the gap does not count. */
static void test_max_regions(void **state)
{
	(void)state;
	reset(1u << 20);
	struct reasm_dir rd;
	reasm_dir_init(&rd, 0);
	uint8_t d[100];
	memset(d, 'r', sizeof(d));
	reasm_segment(&rc, &rd, &fl, 0, NULL, 0, d, 100);             /* delivered */
	reasm_segment(&rc, &rd, &fl, 0, NULL, 100 + 200000, d, 100);  /* within the gap */
	assert_int_equal(fl.max_regions[0], 0);                      /* (0 is reported as 1) */
	reasm_segment(&rc, &rd, &fl, 0, NULL, 100 + 300000, d, 100);  /* 99,900 past it: still one */
	assert_true(fl.max_regions[0] <= 1);
	reasm_segment(&rc, &rd, &fl, 0, NULL, 100 + 700000, d, 100);  /* 399,900 past: a second */
	assert_int_equal(fl.max_regions[0], 2);
	reasm_segment(&rc, &rd, &fl, 0, NULL, 100 + 1200000, d, 100); /* and a third */
	assert_int_equal(fl.max_regions[0], 3);
	assert_int_equal(fl.max_regions[1], 0);
	reasm_finish(&rc, &rd, &fl, 0);
	reasm_dir_fini(&rc, &rd);
	assert_int_equal(rc.mc.used, 0);
}

/* Suricata's IDS model through stream_packet: the client's bytes are held
 * until the server's packet acknowledges them, and go out on that packet
 * (in the client's direction), before the server's own bytes, which are
 * held in turn until the client acknowledges them. */
static void test_ack_packet_delivers_peer(void **state)
{
	(void)state;
	static const uint8_t req[] = "GET / HTTP/1.1\r\n\r\n", resp[] = "HTTP/1.1 200 OK\r\n\r\n";
	reset(1 << 20);
	rc.ack_gated = true;
	fl.flags = FLOW_F_REASSEMBLE;
	fl.key.proto = 6;
	fl.peer[0].syn_seen = fl.peer[1].syn_seen = true;
	fl.peer[0].isn = 1000;
	fl.peer[1].isn = 3529777502u; /* past 2^31: held_end starts at the ISN, not 0 */
	struct packet c, sv;
	memset(&c, 0, sizeof(c));
	c.flow = &fl;
	c.dir = 0;
	c.seq = 1001;
	c.ack = 3529777503u;
	c.tcp_flags = TH_ACK | TH_PUSH;
	c.payload = guard_copy(req, sizeof(req) - 1);
	c.payload_len = sizeof(req) - 1;
	fl.peer[0].ack_seen = true;
	fl.peer[0].last_ack = 3529777503u;
	stream_packet(&rc, &c);
	assert_int_equal(got_len, 0); /* held: not acknowledged */
	sv = c;
	sv.dir = 1;
	sv.seq = 3529777503u;
	sv.ack = 1001 + c.payload_len;
	sv.payload = guard_copy(resp, sizeof(resp) - 1);
	sv.payload_len = sizeof(resp) - 1;
	fl.peer[1].ack_seen = true;
	fl.peer[1].last_ack = sv.ack;
	stream_packet(&rc, &sv);
	/* the server's packet delivers the request, not its own response */
	assert_int_equal(got_len, sizeof(req) - 1);
	assert_int_equal(got_dir, 0);
	assert_memory_equal(got, req, got_len);
	struct packet c2 = c;
	c2.seq = 1001 + c.payload_len;
	c2.ack = 3529777503u + sv.payload_len;
	c2.payload = NULL;
	c2.payload_len = 0;
	fl.peer[0].last_ack = c2.ack;
	stream_packet(&rc, &c2);
	assert_int_equal(got_len, sizeof(req) - 1 + sizeof(resp) - 1);
	assert_int_equal(got_dir, 1);
	assert_memory_equal(got + sizeof(req) - 1, resp, sizeof(resp) - 1);
	stream_flow_end(&rc, &fl);
	assert_int_equal(rc.mc.used, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_orders),
		cmocka_unit_test(test_byte_by_byte_backwards),
		cmocka_unit_test(test_overlap_first_wins),
		cmocka_unit_test(test_gap_and_limit),
		cmocka_unit_test(test_depth),
		cmocka_unit_test(test_ack_edge),
		cmocka_unit_test(test_ack_budget_and_hole),
		cmocka_unit_test(test_memcap_marks_packet),
		cmocka_unit_test(test_max_regions),
		cmocka_unit_test(test_ack_packet_delivers_peer),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
