/*
 * tunnel.c - GRE (RFC 2784/2890, and PPTP's enhanced GRE, RFC 2637) and
 * VXLAN (RFC 7348).  Both are decoded through to the inner packet, which
 * then becomes the packet's flow; depth is bounded by decoder.max-layers.
 *
 * GRE:  |C|R|K|S|s|Recur|A|Flags|Ver|      Protocol Type        |
 *       | Checksum (opt) | Offset (opt) | Key (opt) | Seq (opt) | Ack (v1, opt)
 * VXLAN: |R|R|R|R|I|R|R|R|  Reserved (24)  |  VNI (24)  | Reserved (8) |
 */
#include "decode_int.h"

void decode_gre(struct decode_ctx *d, struct packet *p, struct cursor c)
{
	CNT_INC(d->cnt, DECODER_GRE);
	if (!cur_has(&c, 4)) {
		pkt_event(p, EV_GRE_PKT_TOO_SMALL);
		p->flags |= PKT_INVALID;
		return;
	}
	uint16_t fl = cur_be16(&c);
	uint16_t proto = cur_be16(&c);
	unsigned ver = fl & 7;
	bool csum = fl & 0x8000, route = fl & 0x4000, key = fl & 0x2000, seq = fl & 0x1000;
	bool ssr = fl & 0x0800, ack = fl & 0x0080;
	unsigned recur = (fl >> 8) & 7;
	size_t extra = 0;
	if (ver == 0) {
		if (recur)
			pkt_event(p, EV_GRE_VERSION0_RECUR);
		if (fl & 0x00f8)
			pkt_event(p, EV_GRE_VERSION0_FLAGS);
		if (route) {
			/* source routing entries are obsolete (RFC 2784) */
			pkt_event(p, EV_GRE_VERSION0_FLAGS);
			return;
		}
		extra = (csum ? 4 : 0) + (key ? 4 : 0) + (seq ? 4 : 0);
		if (extra > cur_left(&c)) {
			pkt_event(p, EV_GRE_VERSION0_HDR_TOO_BIG);
			p->flags |= PKT_INVALID;
			return;
		}
	} else if (ver == 1) {
		if (csum)
			pkt_event(p, EV_GRE_VERSION1_CHKSUM);
		if (route)
			pkt_event(p, EV_GRE_VERSION1_ROUTE);
		if (ssr)
			pkt_event(p, EV_GRE_VERSION1_SSR);
		if (recur)
			pkt_event(p, EV_GRE_VERSION1_RECUR);
		if (fl & 0x0078)
			pkt_event(p, EV_GRE_VERSION1_FLAGS);
		if (!key)
			pkt_event(p, EV_GRE_VERSION1_NO_KEY);
		if (proto != 0x880b)
			pkt_event(p, EV_GRE_VERSION1_WRONG_PROTOCOL);
		extra = 4 + (seq ? 4 : 0) + (ack ? 4 : 0);
		if (extra > cur_left(&c)) {
			pkt_event(p, EV_GRE_VERSION1_HDR_TOO_BIG);
			p->flags |= PKT_INVALID;
			return;
		}
		/* PPP over enhanced GRE: PPTP data; not decoded further */
		CNT_INC(d->cnt, DECODER_OTHER);
		return;
	} else {
		pkt_event(p, EV_GRE_WRONG_VERSION);
		p->flags |= PKT_INVALID;
		return;
	}
	cur_skip(&c, extra);
	p->tun_next = TUN_GRE;
	switch (proto) {
	case ETHERTYPE_IPV4:
	case ETHERTYPE_IPV6:
		decode_ethertype(d, p, proto, c);
		return;
	case ETHERTYPE_TEB:
		if (decode_layer_enter(d, p))
			decode_ether(d, p, c);
		return;
	case 0x88be: /* ERSPAN: type II has an 8-byte header (GRE sequence
		      * flag set); type I has none */
		CNT_INC(d->cnt, DECODER_ERSPAN);
		if (seq) {
			/* type II: version, VLAN, COS/encapsulation/truncated,
			 * session id, index.  Its VLAN is the mirrored frame's
			 * (a layer of the inner packet, as Suricata records it),
			 * and the inner packet counts from this header on */
			if (!cur_has(&c, 8)) {
				pkt_event(p, EV_GRE_PKT_TOO_SMALL);
				return;
			}
			const uint8_t *hdr = c.p;
			uint16_t vlan = (uint16_t)(cur_be16(&c) & 0x0fff);
			cur_skip(&c, 6);
			if (vlan && p->vlan_cnt < 3)
				p->vlan[p->vlan_cnt++] = vlan;
			if (decode_layer_enter(d, p)) {
				decode_ether(d, p, c);
				if (p->inner_off == (uint16_t)(c.p - p->data) && hdr >= p->data)
					p->inner_off = (uint16_t)(hdr - p->data);
			}
			return;
		}
		if (decode_layer_enter(d, p))
			decode_ether(d, p, c);
		return;
	default:
		pkt_event(p, EV_GRE_UNKNOWN_PROTO);
		CNT_INC(d->cnt, DECODER_OTHER);
		return;
	}
}

void decode_vxlan(struct decode_ctx *d, struct packet *p, struct cursor c)
{
	if (!cur_has(&c, 8 + 14)) {
		/* too short to be VXLAN with a frame: leave it as plain UDP */
		return;
	}
	uint8_t flags = cur_peek_u8(&c, 0);
	if (!(flags & 0x08)) {
		pkt_event(p, EV_VXLAN_UNKNOWN_PAYLOAD_TYPE);
		return;
	}
	CNT_INC(d->cnt, DECODER_VXLAN);
	cur_skip(&c, 8);
	p->tun_next = TUN_VXLAN;
	if (decode_layer_enter(d, p))
		decode_ether(d, p, c);
}

/* Geneve (RFC 8926), UDP 6081:
 *  |Ver|Opt Len|O|C|  Rsvd.  |       Protocol Type            |
 *  |        Virtual Network Identifier (VNI)       |    Reserved   |
 *  |                    Variable-Length Options                    |
 */
void decode_geneve(struct decode_ctx *d, struct packet *p, struct cursor c)
{
	if (!cur_has(&c, 8))
		return; /* too short: leave it as plain UDP */
	uint8_t b0 = cur_peek_u8(&c, 0);
	if (b0 >> 6) /* version 0 only */
		return;
	size_t opt = (size_t)(b0 & 0x3f) * 4;
	uint16_t proto = cur_peek_be16(&c, 2);
	if (!cur_has(&c, 8 + opt))
		return;
	CNT_INC(d->cnt, DECODER_GENEVE);
	cur_skip(&c, 8 + opt);
	p->tun_next = TUN_GENEVE;
	if (!decode_layer_enter(d, p))
		return;
	if (proto == ETHERTYPE_TEB)
		decode_ether(d, p, c);
	else if (proto == ETHERTYPE_IPV4 || proto == ETHERTYPE_IPV6)
		decode_ethertype(d, p, proto, c);
}
