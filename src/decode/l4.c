/*
 * l4.c - TCP (RFC 9293), UDP (RFC 768), ICMPv4 (RFC 792), ICMPv6 (RFC 4443)
 * and the dispatch from an IP payload to them and to tunnels.
 *
 * TCP:
 *  |          Source Port          |       Destination Port        |
 *  |                        Sequence Number                        |
 *  |                     Acknowledgment Number                     |
 *  | Offset| Rsvd  |C|E|U|A|P|R|S|F|            Window             |
 *  |           Checksum            |         Urgent Pointer        |
 *  |                     Options (Offset > 5)                      |
 * UDP:  | Source Port | Destination Port | Length | Checksum |
 * ICMP: | Type | Code | Checksum | rest of header (4) | ...
 *
 * A checksum is validated only when validation is on; a bad one marks the
 * packet so that the flow counts it but reassembly does not use it.
 */
#include "decode_int.h"

static void tcp_options(struct packet *p, struct cursor c)
{
	struct tcp_opts *o = &p->tcpo;
	bool sack_seen = false;
	while (cur_left(&c) > 0) {
		uint8_t kind = cur_u8(&c);
		if (kind == 0)
			return;
		if (kind == 1)
			continue;
		if (!cur_has(&c, 1)) {
			pkt_event(p, EV_TCP_INVALID_OPTLEN);
			return;
		}
		uint8_t len = cur_u8(&c);
		if (len < 2 || (size_t)(len - 2) > cur_left(&c)) {
			pkt_event(p, EV_TCP_INVALID_OPTLEN);
			return;
		}
		struct cursor b = cur_sub(&c, len - 2u);
		switch (kind) {
		case 2:
			if (len != 4) {
				pkt_event(p, EV_TCP_OPT_INVALID_LEN);
				break;
			}
			if (o->has_mss)
				pkt_event(p, EV_TCP_OPT_DUPLICATE);
			o->has_mss = true;
			o->mss = cur_be16(&b);
			break;
		case 3:
			if (len != 3) {
				pkt_event(p, EV_TCP_OPT_INVALID_LEN);
				break;
			}
			if (o->has_ws)
				pkt_event(p, EV_TCP_OPT_DUPLICATE);
			o->has_ws = true;
			o->wscale = cur_u8(&b);
			if (o->wscale > 14)
				o->wscale = 14; /* RFC 7323 2.3 */
			break;
		case 4:
			if (len != 2) {
				pkt_event(p, EV_TCP_OPT_INVALID_LEN);
				break;
			}
			if (o->sack_perm)
				pkt_event(p, EV_TCP_OPT_DUPLICATE);
			o->sack_perm = true;
			break;
		case 5:
			if (len < 10 || len > 34 || (len - 2) % 8) {
				pkt_event(p, EV_TCP_OPT_INVALID_LEN);
				break;
			}
			if (sack_seen)
				pkt_event(p, EV_TCP_OPT_DUPLICATE);
			sack_seen = true;
			o->sack_cnt = (uint8_t)((len - 2) / 8);
			break;
		case 8:
			if (len != 10) {
				pkt_event(p, EV_TCP_OPT_INVALID_LEN);
				break;
			}
			if (o->has_ts)
				pkt_event(p, EV_TCP_OPT_DUPLICATE);
			o->has_ts = true;
			o->tsval = cur_be32(&b);
			o->tsecr = cur_be32(&b);
			break;
		case 19: /* TCP MD5 signature (RFC 2385) */
		case 29: /* TCP-AO (RFC 5925) */
			o->signed_seg = true;
			break;
		default:
			break;
		}
	}
}

static void decode_tcp(struct decode_ctx *d, struct packet *p, struct cursor c)
{
	CNT_INC(d->cnt, DECODER_TCP);
	const uint8_t *th = c.p;
	uint32_t len = (uint32_t)cur_left(&c);
	if (len < 20) {
		pkt_event(p, EV_TCP_PKT_TOO_SMALL);
		p->flags |= PKT_INVALID;
		return;
	}
	p->sp = cur_be16(&c);
	p->dp = cur_be16(&c);
	p->seq = cur_be32(&c);
	p->ack = cur_be32(&c);
	uint8_t off = cur_u8(&c) >> 4;
	p->tcp_flags = cur_u8(&c);
	p->win = cur_be16(&c);
	cur_skip(&c, 4); /* checksum, urgent pointer */
	unsigned hlen = off * 4u;
	if (hlen < 20 || hlen > len) {
		pkt_event(p, EV_TCP_HLEN_TOO_SMALL);
		p->flags |= PKT_INVALID;
		return;
	}
	if (hlen > 20)
		tcp_options(p, cur_sub(&c, hlen - 20));
	p->flags |= PKT_HAS_PORTS;
	p->payload = th + hlen;
	p->payload_len = len - hlen;
	if (decode_csum_on(d)) {
		uint32_t s = csum_add(csum_pseudo(p, IPPROTO_V_TCP, len), th, len);
		bool ok = csum_fold(s) == 0;
		decode_csum_result(d, p, ok, EV_TCP_INVALID_CSUM);
	}
}

static void decode_udp(struct decode_ctx *d, struct packet *p, struct cursor c)
{
	CNT_INC(d->cnt, DECODER_UDP);
	const uint8_t *uh = c.p;
	uint32_t avail = (uint32_t)cur_left(&c);
	/* Suricata 8's events: too short for a header, a length field past
	 * the packet, a length field smaller than a header */
	if (avail < 8) {
		pkt_event(p, EV_UDP_HLEN_TOO_SMALL);
		p->flags |= PKT_INVALID;
		return;
	}
	p->sp = cur_be16(&c);
	p->dp = cur_be16(&c);
	uint16_t ulen = cur_be16(&c);
	uint16_t sum = cur_be16(&c);
	if (ulen > avail) {
		pkt_event(p, EV_UDP_PKT_TOO_SMALL);
		p->flags |= PKT_INVALID;
		return;
	}
	if (ulen < 8) {
		pkt_event(p, EV_UDP_LEN_INVALID);
		p->flags |= PKT_INVALID;
		return;
	}
	p->flags |= PKT_HAS_PORTS;
	p->payload = uh + 8;
	p->payload_len = ulen - 8u;
	p->l4_len = ulen;
	if (decode_csum_on(d) && (sum != 0 || p->ip_ver == 6)) {
		uint32_t s = csum_add(csum_pseudo(p, IPPROTO_V_UDP, ulen), uh, ulen);
		decode_csum_result(d, p, csum_fold(s) == 0, EV_UDP_INVALID_CSUM);
	}
	if (d->vxlan_enabled && p->dp == d->vxlan_port) {
		struct cursor pl;
		cur_init(&pl, p->payload, p->payload_len);
		decode_vxlan(d, p, pl);
	} else if (d->geneve_enabled && p->dp == 6081) {
		struct cursor pl;
		cur_init(&pl, p->payload, p->payload_len);
		decode_geneve(d, p, pl);
	}
}

/* Highest valid code for each ICMPv4 type, -1 for undefined types. */
static int icmpv4_max_code(uint8_t type)
{
	switch (type) {
	case 0: case 4: case 8: case 10: case 13: case 14: case 15: case 16: case 17:
	case 18:
		return 0;
	case 3: return 15;
	case 5: return 3;
	case 9: return 16;
	case 11: return 1;
	case 12: return 2;
	case 30: case 31: case 32: case 33: case 34: case 35: case 36: case 37: case 38:
	case 39: case 40: case 41: case 42: case 43:
		return 255;
	}
	return -1;
}

/*
 * An ICMP error quotes the offending packet: its IP header and at least
 * the first 8 bytes after it (RFC 792, RFC 4443 2.4).  The quoted
 * addresses, protocol and ports name the flow the error is about; flow.c
 * counts an ICMPv4 destination unreachable there, as Suricata does.  The
 * ports are read when they are there: TCP's 4 bytes, UDP's whole 8-byte
 * header (Suricata's partial-header rule); for IPv6 only a TCP or UDP
 * header right after the fixed header (extension headers are not walked).
 * c starts at the embedded header, its version and length already checked.
 */
static void icmp_embedded_ports(struct packet *p, struct cursor c)
{
	size_t need = p->emb_proto == IPPROTO_V_TCP ? 4 : p->emb_proto == IPPROTO_V_UDP ? 8 : 0;
	if (!need || !cur_has(&c, need))
		return;
	p->emb_sp = cur_be16(&c);
	p->emb_dp = cur_be16(&c);
	p->flags |= PKT_ICMP_EMB_PORTS;
}

static void icmpv4_embedded(struct packet *p, struct cursor c)
{
	unsigned hlen = (cur_peek_u8(&c, 0) & 15) * 4u;
	if (hlen < 20)
		return; /* (no addresses to trust) */
	struct cursor h = cur_sub(&c, hlen);
	cur_skip(&h, 9);
	p->emb_proto = cur_u8(&h);
	cur_skip(&h, 2);
	memset(p->emb_src, 0, 16);
	memset(p->emb_dst, 0, 16);
	cur_copy(&h, p->emb_src, 4);
	cur_copy(&h, p->emb_dst, 4);
	if (h.err)
		return;
	p->flags |= PKT_ICMP_EMB;
	icmp_embedded_ports(p, c);
}

static void icmpv6_embedded(struct packet *p, struct cursor c)
{
	struct cursor h = cur_sub(&c, 40);
	cur_skip(&h, 6);
	p->emb_proto = cur_u8(&h);
	cur_skip(&h, 1);
	cur_copy(&h, p->emb_src, 16);
	cur_copy(&h, p->emb_dst, 16);
	if (h.err)
		return;
	p->flags |= PKT_ICMP_EMB;
	icmp_embedded_ports(p, c);
}

static void decode_icmpv4(struct decode_ctx *d, struct packet *p, struct cursor c)
{
	CNT_INC(d->cnt, DECODER_ICMPV4);
	const uint8_t *ih = c.p;
	uint32_t len = (uint32_t)cur_left(&c);
	if (len < 8) {
		pkt_event(p, EV_ICMPV4_PKT_TOO_SMALL);
		p->flags |= PKT_INVALID;
		return;
	}
	p->icmp_type = cur_u8(&c);
	p->icmp_code = cur_u8(&c);
	cur_skip(&c, 2);
	p->sp = p->icmp_type;
	p->dp = p->icmp_code;
	int maxc = icmpv4_max_code(p->icmp_type);
	if (maxc < 0)
		pkt_event(p, EV_ICMPV4_UNKNOWN_TYPE);
	else if (p->icmp_code > maxc)
		pkt_event(p, EV_ICMPV4_UNKNOWN_CODE);
	switch (p->icmp_type) {
	case 0: case 8: case 13: case 14: case 15: case 16: case 17: case 18:
		p->icmp_id = cur_be16(&c);
		p->icmp_seq = cur_be16(&c);
		break;
	case 3: case 4: case 5: case 11: case 12: {
		/* error: an IPv4 header and 8 bytes of the offending packet */
		cur_skip(&c, 4);
		p->flags |= PKT_ICMP_ERROR;
		if (!cur_has(&c, 20))
			pkt_event(p, EV_ICMPV4_IPV4_TRUNC_PKT);
		else if (cur_peek_u8(&c, 0) >> 4 != 4)
			pkt_event(p, EV_ICMPV4_IPV4_UNKNOWN_VER);
		else if ((size_t)(cur_peek_u8(&c, 0) & 15) * 4 > cur_left(&c))
			pkt_event(p, EV_ICMPV4_IPV4_TRUNC_PKT);
		else
			icmpv4_embedded(p, c);
		break;
	}
	default:
		cur_skip(&c, 4);
		break;
	}
	p->payload = ih + 8;
	p->payload_len = len - 8;
	if (decode_csum_on(d))
		decode_csum_result(d, p, csum_fold(csum_add(0, ih, len)) == 0,
				   EV_ICMPV4_INVALID_CSUM);
}

static void decode_icmpv6(struct decode_ctx *d, struct packet *p, struct cursor c)
{
	CNT_INC(d->cnt, DECODER_ICMPV6);
	const uint8_t *ih = c.p;
	uint32_t len = (uint32_t)cur_left(&c);
	if (len < 4) {
		pkt_event(p, EV_ICMPV6_PKT_TOO_SMALL);
		p->flags |= PKT_INVALID;
		return;
	}
	p->icmp_type = cur_u8(&c);
	p->icmp_code = cur_u8(&c);
	cur_skip(&c, 2);
	p->sp = p->icmp_type;
	p->dp = p->icmp_code;
	uint8_t t = p->icmp_type;
	int maxc;
	if (t == 1) maxc = 7;
	else if (t == 2 || t == 4) maxc = t == 2 ? 0 : 3;
	else if (t == 3) maxc = 1;
	else if (t == 138) maxc = 255;
	else if ((t >= 128 && t <= 161) || t == 200 || t == 201 || t == 100 || t == 101 ||
		 t == 127 || t == 255)
		maxc = t == 139 || t == 140 ? 2 : 255;
	else maxc = -1;
	if (maxc < 0)
		pkt_event(p, EV_ICMPV6_UNKNOWN_TYPE);
	else if (p->icmp_code > maxc)
		pkt_event(p, EV_ICMPV6_UNKNOWN_CODE);
	if (t == 128 || t == 129) {
		if (len < 8) {
			pkt_event(p, EV_ICMPV6_PKT_TOO_SMALL);
			p->flags |= PKT_INVALID;
			return;
		}
		p->icmp_id = cur_be16(&c);
		p->icmp_seq = cur_be16(&c);
	} else if (t >= 1 && t <= 4) {
		cur_skip(&c, 4);
		p->flags |= PKT_ICMP_ERROR;
		if (!cur_has(&c, 40))
			pkt_event(p, EV_ICMPV6_IPV6_TRUNC_PKT);
		else if (cur_peek_u8(&c, 0) >> 4 != 6)
			pkt_event(p, EV_ICMPV6_IPV6_UNKNOWN_VER);
		else
			icmpv6_embedded(p, c);
	}
	uint32_t hl = len >= 8 ? 8 : len;
	p->payload = ih + hl;
	p->payload_len = len - hl;
	if (decode_csum_on(d)) {
		uint32_t s = csum_add(csum_pseudo(p, IPPROTO_V_ICMPV6, len), ih, len);
		decode_csum_result(d, p, csum_fold(s) == 0, EV_ICMPV6_INVALID_CSUM);
	}
}

void decode_l4(struct decode_ctx *d, struct packet *p, uint8_t proto, struct cursor c)
{
	p->proto = proto;
	p->l4 = c.p;
	p->l4_len = (uint32_t)cur_left(&c);
	if (p->ip_ver == 4)
		p->ip_hlen = (uint16_t)(c.p - p->ip_hdr);
	switch (proto) {
	case IPPROTO_V_TCP:
		decode_tcp(d, p, c);
		return;
	case IPPROTO_V_UDP:
		decode_udp(d, p, c);
		return;
	case IPPROTO_V_ICMP:
		decode_icmpv4(d, p, c);
		return;
	case IPPROTO_V_ICMPV6:
		decode_icmpv6(d, p, c);
		return;
	case IPPROTO_V_GRE:
		if (d->gre_enabled)
			decode_gre(d, p, c);
		else
			CNT_INC(d->cnt, DECODER_OTHER);
		return;
	case IPPROTO_V_IPIP:
		if (p->ip_ver == 4) {
			CNT_INC(d->cnt, DECODER_IPV4_IN_IPV4);
		} else {
			CNT_INC(d->cnt, DECODER_IPV4_IN_IPV6);
			if (!cur_has(&c, 20)) {
				pkt_event(p, EV_IPV4_IN_IPV6_TOO_SMALL);
				return;
			}
			if (cur_peek_u8(&c, 0) >> 4 != 4) {
				pkt_event(p, EV_IPV4_IN_IPV6_WRONG_VERSION);
				return;
			}
		}
		decode_ipv4(d, p, c);
		return;
	case IPPROTO_V_IPV6:
		if (p->ip_ver == 4) {
			CNT_INC(d->cnt, DECODER_IPV6_IN_IPV4);
		} else {
			CNT_INC(d->cnt, DECODER_IPV6_IN_IPV6);
			if (!cur_has(&c, 40)) {
				pkt_event(p, EV_IPV6_IN_IPV6_TOO_SMALL);
				return;
			}
			if (cur_peek_u8(&c, 0) >> 4 != 6) {
				pkt_event(p, EV_IPV6_IN_IPV6_WRONG_VERSION);
				return;
			}
		}
		decode_ipv6(d, p, c);
		return;
	default:
		if (p->ip_ver == 6 && proto != IPPROTO_V_ESP && proto != IPPROTO_V_SCTP)
			pkt_event(p, EV_IPV6_UNKNOWN_NEXT_HEADER);
		CNT_INC(d->cnt, DECODER_OTHER);
		return;
	}
}
