/*
 * decode_int.h - internal interfaces between the decoder files.
 */
#ifndef VIGIL_DECODE_INT_H
#define VIGIL_DECODE_INT_H

#include "cursor.h"
#include "decode.h"

enum {
	ETHERTYPE_IPV4 = 0x0800,
	ETHERTYPE_ARP = 0x0806,
	ETHERTYPE_VLAN = 0x8100,
	ETHERTYPE_QINQ = 0x88a8,
	ETHERTYPE_QINQ_OLD = 0x9100,
	ETHERTYPE_IPV6 = 0x86dd,
	ETHERTYPE_TEB = 0x6558, /* transparent ethernet bridging (GRE) */
	ETHERTYPE_PPP = 0x880b,
	ETHERTYPE_DCE = 0x8903, /* Cisco FabricPath / DCE: 2 bytes, then another Ethernet header */
	ETHERTYPE_NSH = 0x894f, /* Network Service Header (RFC 8300) */
};

enum {
	IPPROTO_V_HOPOPTS = 0, IPPROTO_V_ICMP = 1, IPPROTO_V_IPIP = 4, IPPROTO_V_TCP = 6,
	IPPROTO_V_UDP = 17, IPPROTO_V_IPV6 = 41, IPPROTO_V_ROUTING = 43,
	IPPROTO_V_FRAGMENT = 44, IPPROTO_V_GRE = 47, IPPROTO_V_ESP = 50, IPPROTO_V_AH = 51,
	IPPROTO_V_ICMPV6 = 58, IPPROTO_V_NONE = 59, IPPROTO_V_DSTOPTS = 60,
	IPPROTO_V_MH = 135, IPPROTO_V_SCTP = 132,
};

/* Counts one more encapsulation layer; false (with an event) past the
 * configured maximum, in which case decoding must stop. */
bool decode_layer_enter(struct decode_ctx *d, struct packet *p);

void decode_ether(struct decode_ctx *d, struct packet *p, struct cursor c);
void decode_ethertype(struct decode_ctx *d, struct packet *p, uint16_t type, struct cursor c);
void decode_ipv4(struct decode_ctx *d, struct packet *p, struct cursor c);
void decode_ipv6(struct decode_ctx *d, struct packet *p, struct cursor c);
/* Decodes the transport layer; c is exactly the IP payload. */
void decode_l4(struct decode_ctx *d, struct packet *p, uint8_t proto, struct cursor c);
void decode_gre(struct decode_ctx *d, struct packet *p, struct cursor c);
void decode_vxlan(struct decode_ctx *d, struct packet *p, struct cursor c);
void decode_geneve(struct decode_ctx *d, struct packet *p, struct cursor c);

/* Should checksums be validated on this packet? */
static inline bool decode_csum_on(const struct decode_ctx *d)
{
	return d->csum_mode != CSUM_NONE;
}
/* Records one validated checksum (auto mode may switch validation off). */
void decode_csum_result(struct decode_ctx *d, struct packet *p, bool ok, enum event_id ev);

/* Sum of the IPv4/IPv6 pseudo-header for an L4 checksum. */

/* Defrag (defrag.c).  Returns true and sets out and out_len to a rebuilt
 * datagram (IP header + payload, owned by df, valid until the next call)
 * when this fragment completed one. */
struct defrag *defrag_new(uint64_t memcap, uint64_t timeout_usec, unsigned max_frags,
			  struct counters *cnt);
void defrag_free(struct defrag *df);
struct frag_info {
	uint8_t ip_ver;
	uint8_t next_proto;   /* IPv6: the fragment header's next header */
	uint32_t id;
	uint32_t offset;      /* bytes */
	bool more;
	const uint8_t *hdr;   /* IPv4 header / IPv6 fixed header */
	uint32_t hdr_len;
	const uint8_t *data;  /* fragment payload */
	uint32_t data_len;
};
bool defrag_insert(struct defrag *df, struct packet *p, const struct frag_info *fi,
		   const uint8_t **out, uint32_t *out_len);
void defrag_expire(struct defrag *df, vtime_t now);
uint64_t defrag_memuse(const struct defrag *df);

#endif
