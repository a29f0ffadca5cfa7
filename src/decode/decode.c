/*
 * decode.c - the decoder's entry point, its context, and checksums.
 *
 * decode_packet resets the packet's decoded fields, dispatches on the link
 * type, and leaves the packet describing the innermost IP layer.  The
 * checksum code sums 16-bit words with a 64-bit accumulator (RFC 1071);
 * "auto" validation watches the first CSUM_AUTO_SAMPLE (16) checked
 * packets (reporting bad ones but using them) and turns itself off when
 * over a tenth are bad, which is what captures taken on a host
 * with checksum offloading look like (Suricata does the same).
 */
#include "decode_int.h"

#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "alloc.h"
#include "log.h"

#define CSUM_AUTO_SAMPLE 16

bool decode_link_supported(int linktype)
{
	switch (linktype) {
	case LINK_NULL: case LINK_ETHERNET: case LINK_RAW: case LINK_RAW_OPENBSD:
	case LINK_RAW_ALT: case LINK_LOOP: case LINK_SLL: case LINK_IPV4: case LINK_IPV6:
	case LINK_SLL2: case LINK_CHDLC:
		return true;
	}
	return false;
}

int decode_ctx_init(struct decode_ctx *d, const struct config *cfg, struct counters *cnt,
		    uint64_t defrag_memcap_share)
{
	memset(d, 0, sizeof(*d));
	d->cnt = cnt;
	d->max_layers = (unsigned)(cfg->max_layers ? cfg->max_layers : 1);
	d->csum_mode = cfg->checksum;
	d->vxlan_enabled = cfg->vxlan_enabled;
	d->vxlan_port = (uint16_t)cfg->vxlan_port;
	d->gre_enabled = cfg->gre_enabled;
	d->geneve_enabled = cfg->geneve_enabled;
	d->track_recursion = cfg->track_recursion;
	d->defrag = defrag_new(defrag_memcap_share, VTIME_FROM_SEC(cfg->defrag_timeout),
			       (unsigned)cfg->defrag_max_frags, cnt);
	if (!d->defrag)
		return V_ENOMEM;
	return 0;
}

void decode_ctx_fini(struct decode_ctx *d)
{
	defrag_free(d->defrag);
	d->defrag = NULL;
}

void decode_expire(struct decode_ctx *d, vtime_t now)
{
	defrag_expire(d->defrag, now);
	d->cnt->v[CNT_MEMCAP_PEAK_DEFRAG] =
		MAX(d->cnt->v[CNT_MEMCAP_PEAK_DEFRAG], defrag_memuse(d->defrag));
}

bool decode_layer_enter(struct decode_ctx *d, struct packet *p)
{
	if (p->layers >= d->max_layers) {
		pkt_event(p, EV_TOO_MANY_LAYERS);
		p->flags |= PKT_INVALID;
		return false;
	}
	p->layers++;
	return true;
}

void decode_csum_result(struct decode_ctx *d, struct packet *p, bool ok, enum event_id ev)
{
	if (!ok)
		pkt_event(p, ev);
	if (d->csum_mode != CSUM_AUTO) {
		if (!ok)
			p->flags |= PKT_CSUM_BAD;
		return;
	}
	/* auto: report, but act on bad checksums only once decided, so the
	 * packets seen while deciding are not lost if it was offloading */
	d->csum_checked++;
	d->csum_bad += !ok;
	if (d->csum_checked == CSUM_AUTO_SAMPLE) {
		if (d->csum_bad * 10 > d->csum_checked) {
			log_info("checksum-validation auto: %u of the first %u checksums were "
				 "wrong (offloading?); validation is now off",
				 d->csum_bad, d->csum_checked);
			d->csum_mode = CSUM_NONE;
		} else {
			d->csum_mode = CSUM_ALL;
		}
	}
}

uint32_t csum_add(uint32_t sum, const uint8_t *p, uint32_t len)
{
	/* RFC 1071: the one's complement sum does not depend on byte order,
	 * so the data is summed as native 32-bit words (eight at a time) into
	 * 64 bits, folded to 16 and, on a little-endian machine, swapped into
	 * the network-order sum the callers keep (pseudo-header fields are
	 * added to it as numbers).  Odd lengths: the last byte is the high
	 * byte of a zero-padded word, as if the data continued. */
	uint64_t s = 0;
	uint32_t w[8];
#ifdef __SSE2__
	/* 32 bytes a step as four pairs of 32-bit words widened into two
	 * 64-bit lanes (no lane can overflow: 2^33 a step at most) */
	__m128i acc = _mm_setzero_si128(), z = _mm_setzero_si128();
	while (len >= 32) {
		__m128i a = _mm_loadu_si128((const __m128i *)(const void *)p);
		__m128i b = _mm_loadu_si128((const __m128i *)(const void *)(p + 16));
		acc = _mm_add_epi64(acc, _mm_unpacklo_epi32(a, z));
		acc = _mm_add_epi64(acc, _mm_unpackhi_epi32(a, z));
		acc = _mm_add_epi64(acc, _mm_unpacklo_epi32(b, z));
		acc = _mm_add_epi64(acc, _mm_unpackhi_epi32(b, z));
		p += 32;
		len -= 32;
	}
	uint64_t lanes[2];
	_mm_storeu_si128((__m128i *)(void *)lanes, acc);
	s = lanes[0] + lanes[1];
#endif
	while (len >= 32) {
		memcpy(w, p, 32);
		s += (uint64_t)w[0] + w[1] + w[2] + w[3] + w[4] + w[5] + w[6] + w[7];
		p += 32;
		len -= 32;
	}
	while (len >= 4) {
		memcpy(w, p, 4);
		s += w[0];
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t h;
		memcpy(&h, p, 2);
		s += h;
		p += 2;
		len -= 2;
	}
	if (len) {
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
		s += p[0];
#else
		s += (uint64_t)p[0] << 8;
#endif
	}
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffffffffu) + (s >> 32);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	s = ((s & 0xff) << 8) | (s >> 8);
#endif
	uint64_t t = (uint64_t)sum + s;
	while (t >> 32)
		t = (t & 0xffffffffu) + (t >> 32);
	return (uint32_t)t;
}

uint16_t csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint32_t csum_pseudo(const struct packet *p, uint8_t proto, uint32_t l4_len)
{
	uint32_t s;
	if (p->ip_ver == 4) {
		s = csum_add(0, p->src, 4);
		s = csum_add(s, p->dst, 4);
	} else {
		s = csum_add(0, p->src, 16);
		s = csum_add(s, p->dst, 16);
	}
	s += proto;
	s += l4_len & 0xffff;
	s += l4_len >> 16;
	return s;
}

static void decode_null(struct decode_ctx *d, struct packet *p, struct cursor c)
{
	CNT_INC(d->cnt, DECODER_NULL);
	if (!cur_has(&c, 4)) {
		pkt_event(p, EV_NULL_PKT_TOO_SMALL);
		p->flags |= PKT_INVALID;
		return;
	}
	/* the family is in host byte order of the capturing machine */
	uint32_t fam = cur_le32(&c);
	if (fam > 0xffff)
		fam = __builtin_bswap32(fam);
	switch (fam) {
	case 2:
		decode_ipv4(d, p, c);
		break;
	case 24: case 28: case 30: /* BSD AF_INET6 variants */
		decode_ipv6(d, p, c);
		break;
	default:
		pkt_event(p, EV_NULL_UNSUPPORTED_TYPE);
		CNT_INC(d->cnt, DECODER_OTHER);
		break;
	}
}

static void decode_raw(struct decode_ctx *d, struct packet *p, struct cursor c)
{
	CNT_INC(d->cnt, DECODER_RAW);
	uint8_t v = cur_peek_u8(&c, 0) >> 4;
	if (v == 4)
		decode_ipv4(d, p, c);
	else if (v == 6)
		decode_ipv6(d, p, c);
	else {
		pkt_event(p, EV_IPRAW_INVALID_VERSION);
		p->flags |= PKT_INVALID;
	}
}

/* Linux cooked capture v1:
 *  0      2      4      6             14     16
 *  +------+------+------+-------------+------+
 *  | pkt  | hw   | addr |  address    | proto|
 *  | type | type | len  |  (8 bytes)  |      |
 *  +------+------+------+-------------+------+ */
static void decode_sll(struct decode_ctx *d, struct packet *p, struct cursor c)
{
	CNT_INC(d->cnt, DECODER_SLL);
	if (!cur_has(&c, 16)) {
		pkt_event(p, EV_SLL_PKT_TOO_SMALL);
		p->flags |= PKT_INVALID;
		return;
	}
	cur_skip(&c, 14);
	decode_ethertype(d, p, cur_be16(&c), c);
}

/* Linux cooked capture v2:
 *  0      2      4          8       10     11     12           20
 *  +------+------+----------+-------+------+------+------------+
 *  | proto| rsvd | ifindex  | hw    | pkt  | addr | address    |
 *  |      |      |          | type  | type | len  | (8 bytes)  |
 *  +------+------+----------+-------+------+------+------------+ */
static void decode_sll2(struct decode_ctx *d, struct packet *p, struct cursor c)
{
	CNT_INC(d->cnt, DECODER_SLL2);
	if (!cur_has(&c, 20)) {
		pkt_event(p, EV_SLL2_PKT_TOO_SMALL);
		p->flags |= PKT_INVALID;
		return;
	}
	uint16_t proto = cur_be16(&c);
	cur_skip(&c, 18);
	decode_ethertype(d, p, proto, c);
}

/* Cisco HDLC: address (0x0f unicast, 0x8f broadcast), control, then an
 * EtherType. */
static void decode_chdlc(struct decode_ctx *d, struct packet *p, struct cursor c)
{
	CNT_INC(d->cnt, DECODER_CHDLC);
	if (!cur_has(&c, 4)) {
		pkt_event(p, EV_CHDLC_PKT_TOO_SMALL);
		p->flags |= PKT_INVALID;
		return;
	}
	cur_skip(&c, 2);
	uint16_t proto = cur_be16(&c);
	decode_ethertype(d, p, proto, c);
}

void decode_packet(struct decode_ctx *d, struct packet *p)
{
	/* reset everything decode fills, keep what the source set */
	memset(&p->flags, 0, sizeof(*p) - offsetof(struct packet, flags));
	if (!decode_csum_on(d))
		p->flags |= PKT_CSUM_OFF;

	CNT_INC(d->cnt, DECODER_PKTS);
	CNT_ADD(d->cnt, DECODER_BYTES, p->caplen);
	if (p->caplen > d->cnt->v[CNT_DECODER_MAX_PKT_SIZE])
		d->cnt->v[CNT_DECODER_MAX_PKT_SIZE] = p->caplen;

	struct cursor c;
	cur_init(&c, p->data, p->caplen);
	switch (p->linktype) {
	case LINK_ETHERNET:
		decode_ether(d, p, c);
		break;
	case LINK_SLL:
		decode_sll(d, p, c);
		break;
	case LINK_SLL2:
		decode_sll2(d, p, c);
		break;
	case LINK_CHDLC:
		decode_chdlc(d, p, c);
		break;
	case LINK_RAW: case LINK_RAW_OPENBSD: case LINK_RAW_ALT:
		decode_raw(d, p, c);
		break;
	case LINK_IPV4:
		decode_ipv4(d, p, c);
		break;
	case LINK_IPV6:
		decode_ipv6(d, p, c);
		break;
	case LINK_NULL: case LINK_LOOP:
		decode_null(d, p, c);
		break;
	default:
		CNT_INC(d->cnt, DECODER_UNKNOWN_LINK);
		p->flags |= PKT_INVALID;
		break;
	}
	if ((p->flags & PKT_INVALID) && p->event_cnt)
		CNT_INC(d->cnt, DECODER_INVALID);
	p->flow_depth = d->track_recursion ? p->tun_depth : 0;
}
