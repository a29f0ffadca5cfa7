/*
 * ip.c - IPv4 (RFC 791) and IPv6 (RFC 8200) with extension headers.
 *
 * IPv4:
 *  0               8              16      19                      31
 *  +-------+-------+---------------+-------------------------------+
 *  |Version|  IHL  |      TOS      |          Total Length         |
 *  |        Identification         |Flags|    Fragment Offset      |
 *  |      TTL      |   Protocol    |        Header Checksum        |
 *  |                        Source Address                         |
 *  |                      Destination Address                      |
 *  |                    Options (IHL > 5)                          |
 *  +---------------------------------------------------------------+
 * IPv6:
 *  |Version| Traffic Class |              Flow Label               |
 *  |        Payload Length         |  Next Header  |   Hop Limit   |
 *  |                  Source Address (16 bytes)                    |
 *  |               Destination Address (16 bytes)                  |
 *
 * The captured bytes past the IP length (Ethernet padding) are trimmed.
 * A packet whose IP length exceeds what was captured is truncated: it
 * raises trunc_pkt and is not decoded further (as Suricata).  IPv6
 * extension headers are followed up to IPV6_MAX_EXTHDRS; fragments go to
 * defrag and the rebuilt datagram is decoded in their place.
 */
#include "decode_int.h"

#define IPV6_MAX_EXTHDRS 8

/* The options of an IPv4 header (RFC 791 3.1): each a type byte, then
 * (but for EOL and NOP) a length byte counting both and the body.  Each
 * one seen sets its IPOPT_F_* bit in p->ipopts (the ipopts keyword); a
 * bad length ends the walk with an event.  The loop ends with the 40
 * bytes the header length allows. */
static void ipv4_options(struct packet *p, struct cursor c)
{
	uint32_t seen = 0; /* bit per option class we check for duplicates */
	while (cur_left(&c) > 0) {
		uint8_t type = cur_u8(&c);
		if (type == 0) { /* EOL: the rest must be padding */
			p->ipopts |= IPOPT_F_EOL;
			return;
		}
		if (type == 1) { /* NOP */
			p->ipopts |= IPOPT_F_NOP;
			continue;
		}
		if (!cur_has(&c, 1)) {
			pkt_event(p, EV_IPV4_OPT_INVALID_LEN);
			return;
		}
		uint8_t len = cur_u8(&c);
		if (len < 2 || (size_t)(len - 2) > cur_left(&c)) {
			pkt_event(p, EV_IPV4_OPT_INVALID_LEN);
			return;
		}
		struct cursor body = cur_sub(&c, len - 2u);
		int bit = -1;
		switch (type) {
		case 7: /* record route */
		case 131: /* loose source route */
		case 137: /* strict source route */
			bit = type == 7 ? 0 : type == 131 ? 1 : 2;
			p->ipopts |= type == 7 ? IPOPT_F_RR : type == 131 ? IPOPT_F_LSRR : IPOPT_F_SSRR;
			if (len < 3 || cur_peek_u8(&body, 0) < 4)
				pkt_event(p, EV_IPV4_OPT_MALFORMED);
			else if ((len - 3) % 4)
				pkt_event(p, EV_IPV4_OPT_MALFORMED);
			break;
		case 68: /* timestamp */
			bit = 3;
			p->ipopts |= IPOPT_F_TS;
			if (len < 4 || cur_peek_u8(&body, 0) < 5)
				pkt_event(p, EV_IPV4_OPT_MALFORMED);
			break;
		case 130: bit = 4; p->ipopts |= IPOPT_F_SEC; if (len != 11) pkt_event(p, EV_IPV4_OPT_INVALID_LEN); break;
		case 136: bit = 5; p->ipopts |= IPOPT_F_SATID; if (len != 4) pkt_event(p, EV_IPV4_OPT_INVALID_LEN); break;
		case 148: bit = 6; p->ipopts |= IPOPT_F_RTRALT; if (len != 4) pkt_event(p, EV_IPV4_OPT_INVALID_LEN); break;
		case 134: bit = 7; p->ipopts |= IPOPT_F_CIPSO; break;
		case 25: bit = 8; p->ipopts |= IPOPT_F_QS; break;  /* quick start */
		case 133: bit = 9; p->ipopts |= IPOPT_F_ESEC; break; /* extended security (RFC 1108) */
		default:
			pkt_event(p, EV_IPV4_OPT_UNKNOWN);
			break;
		}
		if (bit >= 0) {
			if (seen & (1u << bit))
				pkt_event(p, EV_IPV4_OPT_DUPLICATE);
			seen |= 1u << bit;
		}
	}
}

void decode_ipv4(struct decode_ctx *d, struct packet *p, struct cursor c)
{
	if (!decode_layer_enter(d, p))
		return;
	if (p->ip_ver) {
		pkt_tunnel_enter(p);
		p->flags |= PKT_TUNNEL;
		p->tun_depth++;
		if (c.p >= p->data && c.p - p->data < (ptrdiff_t)p->caplen && !p->inner_off)
			p->inner_off = (uint16_t)(c.p - p->data);
	}
	pkt_reset_l3(p);
	CNT_INC(d->cnt, DECODER_IPV4);
	const uint8_t *hdr = c.p;
	pkt_note_l3(p, hdr);
	size_t avail = cur_left(&c);
	if (avail < 20) {
		pkt_event(p, EV_IPV4_PKT_TOO_SMALL);
		goto invalid;
	}
	uint8_t vihl = cur_u8(&c);
	if (vihl >> 4 != 4) {
		pkt_event(p, EV_IPV4_WRONG_IP_VERSION);
		goto invalid;
	}
	unsigned hlen = (vihl & 15u) * 4;
	if (hlen < 20) {
		pkt_event(p, EV_IPV4_HLEN_TOO_SMALL);
		goto invalid;
	}
	p->tos = cur_u8(&c);
	uint16_t tot = cur_be16(&c);
	if (tot < hlen) {
		pkt_event(p, EV_IPV4_IPLEN_SMALLER_THAN_HLEN);
		goto invalid;
	}
	if (tot > avail || hlen > avail) {
		pkt_event(p, EV_IPV4_TRUNC_PKT);
		goto invalid;
	}
	p->ip_id = cur_be16(&c);
	uint16_t frag = cur_be16(&c);
	p->ttl = cur_u8(&c);
	uint8_t proto = cur_u8(&c);
	cur_skip(&c, 2); /* checksum */
	cur_copy(&c, p->src, 4);
	cur_copy(&c, p->dst, 4);
	p->ip_ver = 4;
	p->flags |= PKT_IPV4;
	p->proto = proto;
	p->ip_hdr = hdr;
	p->ip_len = tot;
	p->ip_hlen = (uint16_t)hlen;
	if (hlen > 20)
		ipv4_options(p, cur_sub(&c, hlen - 20));
	if (decode_csum_on(d))
		decode_csum_result(d, p, csum_fold(csum_add(0, hdr, hlen)) == 0,
				   EV_IPV4_INVALID_CSUM);

	struct cursor payload = cur_sub(&c, tot - hlen);
	bool more = frag & 0x2000;
	uint32_t off = (uint32_t)(frag & 0x1fff) * 8;
	if (more || off) {
		p->flags |= PKT_FRAGMENT;
		CNT_INC(d->cnt, DEFRAG_FRAGMENTS);
		if (off + (tot - hlen) > 65535) {
			pkt_event(p, EV_IPV4_FRAG_PKT_TOO_LARGE);
			return;
		}
		struct frag_info fi = {
			.ip_ver = 4, .next_proto = proto, .id = p->ip_id, .offset = off,
			.more = more, .hdr = hdr, .hdr_len = hlen, .data = payload.p,
			.data_len = (uint32_t)cur_left(&payload),
		};
		const uint8_t *dg;
		uint32_t dg_len;
		if (defrag_insert(d->defrag, p, &fi, &dg, &dg_len)) {
			struct cursor rc;
			cur_init(&rc, dg, dg_len);
			uint32_t keep = p->flags & PKT_TUNNEL;
			p->layers--; /* the rebuilt datagram replaces this layer */
			p->ip_ver = 0;
			decode_ipv4(d, p, rc);
			p->flags |= PKT_REBUILT | keep;
		}
		return;
	}
	if (proto == IPPROTO_V_ICMPV6)
		pkt_event(p, EV_IPV4_ICMPV6);
	decode_l4(d, p, proto, payload);
	return;
invalid:
	p->flags |= PKT_INVALID;
}

/* Hop-by-hop and destination options (RFC 8200 4.2). */
static void ipv6_options(struct packet *p, struct cursor c, bool hop)
{
	bool only_pad = true;
	while (cur_left(&c) > 0) {
		uint8_t type = cur_u8(&c);
		if (type == 0) /* Pad1 */
			continue;
		if (!cur_has(&c, 1)) {
			pkt_event(p, EV_IPV6_EXTHDR_INVALID_OPTLEN);
			return;
		}
		uint8_t len = cur_u8(&c);
		if (len > cur_left(&c)) {
			pkt_event(p, EV_IPV6_EXTHDR_INVALID_OPTLEN);
			return;
		}
		if (type == 1) {
			if (len == 0)
				pkt_event(p, EV_IPV6_ZERO_LEN_PADN);
		} else {
			only_pad = false;
		}
		cur_skip(&c, len);
	}
	if (only_pad)
		pkt_event(p, hop ? EV_IPV6_HOPOPTS_ONLY_PADDING : EV_IPV6_DSTOPTS_ONLY_PADDING);
}

void decode_ipv6(struct decode_ctx *d, struct packet *p, struct cursor c)
{
	if (!decode_layer_enter(d, p))
		return;
	if (p->ip_ver) {
		pkt_tunnel_enter(p);
		p->flags |= PKT_TUNNEL;
		p->tun_depth++;
		if (c.p >= p->data && c.p - p->data < (ptrdiff_t)p->caplen && !p->inner_off)
			p->inner_off = (uint16_t)(c.p - p->data);
	}
	pkt_reset_l3(p);
	CNT_INC(d->cnt, DECODER_IPV6);
	const uint8_t *hdr = c.p;
	pkt_note_l3(p, hdr);
	size_t avail = cur_left(&c);
	if (avail < 40) {
		pkt_event(p, EV_IPV6_PKT_TOO_SMALL);
		goto invalid;
	}
	uint32_t vtf = cur_be32(&c);
	if (vtf >> 28 != 6) {
		pkt_event(p, EV_IPV6_WRONG_IP_VERSION);
		goto invalid;
	}
	uint16_t plen = cur_be16(&c);
	uint8_t nh = cur_u8(&c);
	p->ttl = cur_u8(&c);
	p->tos = (uint8_t)(vtf >> 20);
	cur_copy(&c, p->src, 16);
	cur_copy(&c, p->dst, 16);
	if (plen > cur_left(&c)) {
		pkt_event(p, EV_IPV6_TRUNC_PKT);
		goto invalid;
	}
	p->ip_ver = 6;
	p->flags |= PKT_IPV6;
	p->ip_hdr = hdr;
	p->ip_len = 40u + plen;
	struct cursor pl = cur_sub(&c, plen);

	bool seen_hh = false, seen_rh = false, seen_fh = false, seen_ah = false;
	unsigned seen_dh = 0;
	for (unsigned n = 0;; n++) {
		if (n >= IPV6_MAX_EXTHDRS) {
			pkt_event(p, EV_IPV6_EXTHDR_TOO_MANY);
			goto invalid;
		}
		bool ext = nh == IPPROTO_V_HOPOPTS || nh == IPPROTO_V_DSTOPTS ||
			   nh == IPPROTO_V_ROUTING || nh == IPPROTO_V_MH || nh == IPPROTO_V_AH ||
			   nh == IPPROTO_V_FRAGMENT;
		/* right after the IPv6 header, an upper-layer header too short
		 * is the L4 decoder's event (tcp.pkt_too_small, ...); after an
		 * extension header it is a truncated one, as in Suricata */
		if ((ext || n > 0) && nh != IPPROTO_V_NONE && cur_left(&pl) < 2) {
			pkt_event(p, EV_IPV6_TRUNC_EXTHDR);
			goto invalid;
		}
		switch (nh) {
		case IPPROTO_V_HOPOPTS:
		case IPPROTO_V_DSTOPTS:
		case IPPROTO_V_ROUTING:
		case IPPROTO_V_MH: {
			if (!cur_has(&pl, 2)) {
				pkt_event(p, EV_IPV6_TRUNC_EXTHDR);
				goto invalid;
			}
			uint8_t next = cur_peek_u8(&pl, 0);
			size_t len = ((size_t)cur_peek_u8(&pl, 1) + 1) * 8;
			if (len > cur_left(&pl)) {
				pkt_event(p, EV_IPV6_TRUNC_EXTHDR);
				goto invalid;
			}
			struct cursor eh = cur_sub(&pl, len);
			cur_skip(&eh, 2);
			if (nh == IPPROTO_V_HOPOPTS) {
				if (seen_hh)
					pkt_event(p, EV_IPV6_EXTHDR_DUPL_HH);
				seen_hh = true;
				ipv6_options(p, eh, true);
			} else if (nh == IPPROTO_V_DSTOPTS) {
				if (++seen_dh > 2)
					pkt_event(p, EV_IPV6_EXTHDR_DUPL_DH);
				ipv6_options(p, eh, false);
			} else if (nh == IPPROTO_V_ROUTING) {
				if (seen_rh)
					pkt_event(p, EV_IPV6_EXTHDR_DUPL_RH);
				seen_rh = true;
				if (cur_peek_u8(&eh, 0) == 0)
					pkt_event(p, EV_IPV6_RH_TYPE_0);
			}
			nh = next;
			continue;
		}
		case IPPROTO_V_AH: {
			if (!cur_has(&pl, 2)) {
				pkt_event(p, EV_IPV6_TRUNC_EXTHDR);
				goto invalid;
			}
			uint8_t next = cur_peek_u8(&pl, 0);
			size_t len = ((size_t)cur_peek_u8(&pl, 1) + 2) * 4;
			if (len > cur_left(&pl)) {
				pkt_event(p, EV_IPV6_TRUNC_EXTHDR);
				goto invalid;
			}
			if (seen_ah)
				pkt_event(p, EV_IPV6_EXTHDR_DUPL_AH);
			seen_ah = true;
			cur_skip(&pl, len);
			nh = next;
			continue;
		}
		case IPPROTO_V_FRAGMENT: {
			/* | next | rsvd | offset(13) res(2) M | identification(32) | */
			if (!cur_has(&pl, 8)) {
				pkt_event(p, EV_IPV6_TRUNC_EXTHDR);
				goto invalid;
			}
			if (seen_fh) {
				pkt_event(p, EV_IPV6_EXTHDR_DUPL_FH);
				goto invalid;
			}
			seen_fh = true;
			uint8_t next = cur_u8(&pl);
			uint8_t rsvd = cur_u8(&pl);
			uint16_t offm = cur_be16(&pl);
			uint32_t id = cur_be32(&pl);
			if (rsvd || (offm & 6))
				pkt_event(p, EV_IPV6_FH_NON_ZERO_RES);
			uint32_t off = (uint32_t)(offm >> 3) * 8;
			bool more = offm & 1;
			if (!off && !more) { /* atomic fragment: decode on */
				pkt_event(p, EV_IPV6_EXTHDR_USELESS_FH);
				nh = next;
				continue;
			}
			p->flags |= PKT_FRAGMENT;
			p->proto = next;
			CNT_INC(d->cnt, DEFRAG_FRAGMENTS);
			uint32_t flen = (uint32_t)cur_left(&pl);
			if (more && (flen % 8)) {
				pkt_event(p, EV_IPV6_FRAG_INVALID_LENGTH);
				return;
			}
			if (off + flen > 65535) {
				pkt_event(p, EV_IPV6_FRAG_PKT_TOO_LARGE);
				return;
			}
			struct frag_info fi = {
				.ip_ver = 6, .next_proto = next, .id = id, .offset = off,
				.more = more, .hdr = hdr, .hdr_len = 40, .data = pl.p,
				.data_len = flen,
			};
			const uint8_t *dg;
			uint32_t dg_len;
			if (defrag_insert(d->defrag, p, &fi, &dg, &dg_len)) {
				struct cursor rc;
				cur_init(&rc, dg, dg_len);
				uint32_t keep = p->flags & PKT_TUNNEL;
				p->layers--;
				p->ip_ver = 0;
				decode_ipv6(d, p, rc);
				p->flags |= PKT_REBUILT | keep;
			}
			return;
		}
		case IPPROTO_V_NONE:
			if (cur_left(&pl) > 0)
				pkt_event(p, EV_IPV6_DATA_AFTER_NONE);
			p->proto = nh;
			p->ip_hlen = (uint16_t)(cur_offset(&pl, hdr));
			CNT_INC(d->cnt, DECODER_OTHER);
			return;
		default:
			p->proto = nh;
			p->ip_hlen = (uint16_t)(cur_offset(&pl, hdr));
			if (nh == IPPROTO_V_ICMP)
				pkt_event(p, EV_IPV6_ICMPV4);
			decode_l4(d, p, nh, pl);
			return;
		}
	}
invalid:
	p->flags |= PKT_INVALID;
}
