/*
 * ether.c - Ethernet II (IEEE 802.3) and 802.1Q / 802.1ad VLAN tags.
 *
 *  0                   6                   12      14
 *  +-------------------+-------------------+-------+
 *  | destination MAC   | source MAC        | type  |
 *  +-------------------+-------------------+-------+
 *  802.1Q tag (inserted before type):  | TCI (PCP/DEI/VID) | type |
 *
 * Up to three VLAN ids are kept (QinQ, QinQinQ); a fourth tag raises
 * decoder.vlan.too_many_layers and stops decoding, as Suricata does.
 * 802.3 length frames (type < 0x600, LLC/SNAP) are counted as other.
 */
#include "decode_int.h"

void decode_ether(struct decode_ctx *d, struct packet *p, struct cursor c)
{
	CNT_INC(d->cnt, DECODER_ETHERNET);
	if (p->ip_ver && c.p >= p->data && c.p - p->data < (ptrdiff_t)p->caplen)
		p->inner_off = (uint16_t)(c.p - p->data); /* an inner frame (VXLAN, ...) */
	if (!cur_has(&c, 14)) {
		pkt_event(p, EV_ETH_PKT_TOO_SMALL);
		p->flags |= PKT_INVALID;
		return;
	}
	cur_skip(&c, 12);
	uint16_t type = cur_be16(&c);
	decode_ethertype(d, p, type, c);
}

/* NSH (RFC 8300): a 4-byte base header (version 0, TTL, length in 4-byte
 * words, MD type, next protocol), the service path header, MD type 1's
 * 16 bytes of context or type 2's TLVs (the length covers them all);
 * then IPv4, IPv6, Ethernet or NSH again. */
static void decode_nsh(struct decode_ctx *d, struct packet *p, struct cursor c)
{
	CNT_INC(d->cnt, DECODER_NSH);
	if (!cur_has(&c, 8)) {
		pkt_event(p, EV_NSH_HEADER_TOO_SMALL);
		p->flags |= PKT_INVALID;
		return;
	}
	const uint8_t *h = c.p;
	uint8_t ver = h[0] >> 6, md = h[2] & 0x0f, next = h[3];
	uint32_t len = (uint32_t)(h[1] & 0x3f) * 4; /* after 2 bits of version, O, U, 6 of TTL */
	int ev = -1;
	if (ver != 0)
		ev = EV_NSH_UNSUPPORTED_VERSION;
	else if (md == 0 || md == 0xf)
		ev = EV_NSH_RESERVED_TYPE;
	else if (md != 1 && md != 2)
		ev = EV_NSH_UNSUPPORTED_TYPE;
	else if (len < 8 || (md == 1 && len != 24) || !cur_has(&c, len))
		ev = EV_NSH_BAD_HEADER_LENGTH;
	if (ev >= 0) {
		pkt_event(p, (enum event_id)ev);
		p->flags |= PKT_INVALID;
		return;
	}
	if (!decode_layer_enter(d, p))
		return;
	cur_skip(&c, len);
	switch (next) {
	case 1: decode_ipv4(d, p, c); return;
	case 2: decode_ipv6(d, p, c); return;
	case 3: decode_ether(d, p, c); return;
	case 4: decode_nsh(d, p, c); return;
	default:
		pkt_event(p, EV_NSH_UNKNOWN_PAYLOAD);
		return;
	}
}

void decode_ethertype(struct decode_ctx *d, struct packet *p, uint16_t type, struct cursor c)
{
	switch (type) {
	case ETHERTYPE_IPV4:
		decode_ipv4(d, p, c);
		return;
	case ETHERTYPE_IPV6:
		decode_ipv6(d, p, c);
		return;
	case ETHERTYPE_VLAN:
	case ETHERTYPE_QINQ:
	case ETHERTYPE_QINQ_OLD: {
		if (!decode_layer_enter(d, p))
			return;
		CNT_INC(d->cnt, DECODER_VLAN);
		if (!cur_has(&c, 4)) {
			pkt_event(p, EV_VLAN_HEADER_TOO_SMALL);
			p->flags |= PKT_INVALID;
			return;
		}
		if (p->vlan_cnt >= 3) {
			pkt_event(p, EV_VLAN_TOO_MANY_LAYERS);
			p->flags |= PKT_INVALID;
			return;
		}
		uint16_t tci = cur_be16(&c);
		p->vlan[p->vlan_cnt++] = tci & 0x0fff;
		if (p->vlan_cnt == 2)
			CNT_INC(d->cnt, DECODER_VLAN_QINQ);
		else if (p->vlan_cnt == 3)
			CNT_INC(d->cnt, DECODER_VLAN_QINQINQ);
		decode_ethertype(d, p, cur_be16(&c), c);
		return;
	}
	case ETHERTYPE_ARP:
		CNT_INC(d->cnt, DECODER_ARP);
		return;
	case ETHERTYPE_DCE:
		/* two bytes, then the frame again (Suricata's DCE) */
		if (!cur_has(&c, 16)) {
			pkt_event(p, EV_DCE_PKT_TOO_SMALL);
			p->flags |= PKT_INVALID;
			return;
		}
		if (!decode_layer_enter(d, p))
			return;
		cur_skip(&c, 2);
		decode_ether(d, p, c);
		return;
	case ETHERTYPE_NSH:
		decode_nsh(d, p, c);
		return;
	default:
		if (type >= 0x0600) {
			pkt_event(p, EV_UNKNOWN_ETHERTYPE);
			CNT_INC(d->cnt, DECODER_UNKNOWN_ETHERTYPE);
		}
		CNT_INC(d->cnt, DECODER_OTHER);
		return;
	}
}
