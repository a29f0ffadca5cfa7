/*
 * decode.h - the packet and its decoders (public header of decode/).
 *
 * decode_packet() takes a captured frame and fills struct packet with views
 * into it: addresses, ports, TCP fields, the L4 payload.  It never
 * allocates per packet; IP fragments are copied into the defrag table until
 * a datagram is whole, and the rebuilt datagram is decoded from a buffer
 * owned by the decode context (valid until the next call).  Tunnels (GRE,
 * VXLAN, IP-in-IP) are decoded through: the packet then describes the
 * innermost IP layer, which is the flow vigil tracks.
 *
 * Malformed input never stops the caller: it raises named events
 * (events.def) on the packet and sets PKT_INVALID where decoding could not
 * reach an L4 header.
 */
#ifndef VIGIL_DECODE_H
#define VIGIL_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "counters.h"
#include "util.h"

enum event_id {
#define X(id, name, help) EV_##id,
#include "events.def"
#undef X
	EV_MAX
};
extern const char *const event_names[EV_MAX];
extern const char *const event_help[EV_MAX];
/* Looks an event up by full name; -1 if none. */
int event_lookup(const char *name);

/* pcap link types vigil decodes (values are libpcap's DLT_*). */
enum {
	LINK_NULL = 0,
	LINK_ETHERNET = 1,
	LINK_RAW = 12,
	LINK_RAW_OPENBSD = 14,
	LINK_RAW_ALT = 101,
	LINK_CHDLC = 104,   /* Cisco HDLC */
	LINK_LOOP = 108,
	LINK_SLL = 113,
	LINK_IPV4 = 228,
	LINK_IPV6 = 229,
	LINK_SLL2 = 276,
};

enum pkt_flags {
	PKT_IPV4 = 1u << 0,
	PKT_IPV6 = 1u << 1,
	PKT_HAS_PORTS = 1u << 2,  /* TCP or UDP header decoded */
	PKT_FRAGMENT = 1u << 3,   /* an IP fragment: not flowed itself */
	PKT_REBUILT = 1u << 4,    /* decoded from a defragmented datagram */
	PKT_CSUM_BAD = 1u << 5,   /* a checksum failed validation */
	PKT_INVALID = 1u << 6,    /* decoding stopped before L4 */
	PKT_TUNNEL = 1u << 7,     /* inner packet of a tunnel */
	PKT_ICMP_ERROR = 1u << 8, /* ICMP error with an embedded header */
	PKT_L3_OFF = 1u << 9,     /* l3_off is set */
	PKT_FLOW_EST = 1u << 10,  /* TCP: the session was established before this packet */
	PKT_STREAM_IGNORED = 1u << 11, /* TCP: the stream engine did not take it (invalid timestamp) */
	PKT_CSUM_OFF = 1u << 12,  /* checksums not validated (-k none, or auto decided so) */
	PKT_PSEUDO = 1u << 13,    /* made at flow end to inspect what was held (no wire packet) */
	/* limits hit on this packet: exception policies (worker.c xp_apply) */
	PKT_XP_DEFRAG = 1u << 14,      /* a fragment refused for defrag.memcap */
	PKT_XP_STREAM_MEMCAP = 1u << 15, /* no reassembly state for the session (memcap) */
	PKT_XP_REASM_MEMCAP = 1u << 16,  /* a segment not buffered (memcap) */
	PKT_XP_FLOW_MEMCAP = 1u << 17,   /* no flow for it (flow.memcap) */
	/* acknowledged delivery: a pseudo-packet (with PKT_PSEUDO) inspecting a
	 * direction's data parsed on the peer's acknowledging packet; only
	 * app-layer and stream rules run (worker.c inspect_acked) */
	PKT_ACKED_DATA = 1u << 18,
	/* an ICMP error whose embedded IP header was read: emb_* are set (the
	 * ports when emb_proto is TCP or UDP and they were there) */
	PKT_ICMP_EMB = 1u << 19,
	PKT_ICMP_EMB_PORTS = 1u << 20,
};

#define PKT_MAX_EVENTS 8

/* What handed an inner IP packet on: an IP layer (IP-in-IP, IPv6 in
 * IPv4...), GRE, VXLAN, Geneve. */
enum tun_kind { TUN_NONE, TUN_IPV4, TUN_IPV6, TUN_GRE, TUN_VXLAN, TUN_GENEVE };

struct tcp_opts {
	uint16_t mss;
	uint8_t wscale;
	uint8_t sack_cnt;
	uint32_t tsval, tsecr;
	bool has_mss, has_ws, sack_perm, has_ts;
	bool signed_seg;          /* an MD5 signature or TCP-AO option */
};

/* TCP flag bits as on the wire. */
enum {
	TH_FIN = 0x01, TH_SYN = 0x02, TH_RST = 0x04, TH_PUSH = 0x08,
	TH_ACK = 0x10, TH_URG = 0x20, TH_ECE = 0x40, TH_CWR = 0x80,
};

/* The IPv4 options a packet's header carries (packet.ipopts), one bit
 * each, as Suricata's ipopts keyword names them. */
enum {
	IPOPT_F_EOL = 1u << 0, IPOPT_F_NOP = 1u << 1, IPOPT_F_RR = 1u << 2, IPOPT_F_TS = 1u << 3,
	IPOPT_F_SEC = 1u << 4, IPOPT_F_ESEC = 1u << 5, IPOPT_F_LSRR = 1u << 6, IPOPT_F_SSRR = 1u << 7,
	IPOPT_F_SATID = 1u << 8, IPOPT_F_QS = 1u << 9, IPOPT_F_CIPSO = 1u << 10, IPOPT_F_RTRALT = 1u << 11,
};

struct flow;

struct packet {
	/* from the capture source */
	vtime_t ts;
	const uint8_t *data;
	uint32_t caplen;
	uint32_t wirelen;
	int linktype;
	uint64_t pcap_cnt;
	uint32_t ifindex; /* the input interface (inline), 0 if unknown */

	/* filled by decode_packet */
	uint32_t flags;
	uint8_t layers;   /* encapsulation layers decoded */
	uint8_t tun_depth; /* IP layers inside an outer IP layer (Suricata's recursion level) */
	uint8_t flow_depth; /* the recursion level the flow key uses: tun_depth, or 0 without
			     * decoder.recursion-level.use-for-tracking */
	uint16_t l3_off;  /* offset of the first IP header in the frame */
	uint16_t inner_off; /* where the innermost tunnelled packet starts */
	/* a tunnelled packet (PKT_TUNNEL): the outermost IP layer, which
	 * carries it (its own flow, and the alert's "tunnel" object), and
	 * what made the innermost packet (enum tun_kind: Suricata's pkt_src) */
	uint8_t tun_kind, tun_next;
	uint8_t tun_ip_ver, tun_proto, tun_vlan_cnt;
	uint16_t tun_sp, tun_dp;
	uint8_t tun_src[16], tun_dst[16];
	uint8_t vlan_cnt;
	uint16_t vlan[3];

	/* the innermost IP layer and what it carries; reset by each new layer
	 * (pkt_reset_l3), from ip_ver to icmp_seq */
	uint8_t ip_ver;   /* 4, 6, or 0 when no IP layer */
	uint8_t proto;    /* IP protocol of the innermost layer */
	uint8_t ttl;      /* TTL / hop limit */
	uint8_t tos;      /* TOS / traffic class */
	uint16_t ip_id;
	uint8_t src[16];  /* IPv4 in the first 4 bytes, the rest zero */
	uint8_t dst[16];
	uint16_t sp, dp;  /* ports; for ICMP, type and code */
	const uint8_t *ip_hdr;
	uint32_t ip_len;  /* IP header + payload, as trusted */
	uint16_t ip_hlen; /* IPv4 header, or IPv6 header plus extensions */
	uint16_t ipopts;  /* IPOPT_F_* bits: the IPv4 options the header carries (ipopts) */
	const uint8_t *l4;
	uint32_t l4_len;
	const uint8_t *payload;
	uint32_t payload_len;

	uint32_t seq, ack;
	uint16_t win;
	uint8_t tcp_flags;
	struct tcp_opts tcpo;

	uint8_t icmp_type, icmp_code;
	/* an ICMP error's embedded header (PKT_ICMP_EMB): the offending
	 * packet's addresses, protocol and, for TCP and UDP, its ports (the
	 * flow an ICMPv4 destination unreachable is about: flow.c) */
	uint8_t emb_proto;
	uint16_t emb_sp, emb_dp;
	uint8_t emb_src[16], emb_dst[16];
	uint16_t icmp_id, icmp_seq;

	uint8_t event_cnt;
	uint16_t events[PKT_MAX_EVENTS];

	/* set by the flow table */
	struct flow *flow;
	uint8_t dir; /* 0 to server, 1 to client */
};

/* Records an event on the packet (counted once processing is done). */
static inline void pkt_event(struct packet *p, enum event_id ev)
{
	if (p->event_cnt < PKT_MAX_EVENTS)
		p->events[p->event_cnt++] = (uint16_t)ev;
}

/* Notes where the first IP header of the frame starts. */
static inline void pkt_note_l3(struct packet *p, const uint8_t *hdr)
{
	if (!(p->flags & PKT_L3_OFF) && hdr >= p->data && hdr - p->data < (ptrdiff_t)p->caplen) {
		p->l3_off = (uint16_t)(hdr - p->data);
		p->flags |= PKT_L3_OFF;
	}
}

/* Entering an IP layer inside another: the outermost is kept as the
 * carrier, and the innermost's maker noted (the encapsulation decoder
 * said which in tun_next; else the enclosing IP layer). */
static inline void pkt_tunnel_enter(struct packet *p)
{
	if (!p->tun_ip_ver) {
		p->tun_ip_ver = p->ip_ver;
		p->tun_proto = p->proto;
		p->tun_vlan_cnt = p->vlan_cnt;
		memcpy(p->tun_src, p->src, 16);
		memcpy(p->tun_dst, p->dst, 16);
		if (p->flags & PKT_HAS_PORTS) {
			p->tun_sp = p->sp;
			p->tun_dp = p->dp;
		}
	}
	p->tun_kind = p->tun_next ? p->tun_next : p->ip_ver == 4 ? TUN_IPV4 : TUN_IPV6;
	p->tun_next = TUN_NONE;
}

/* Clears the L3/L4 fields before decoding another IP layer. */
static inline void pkt_reset_l3(struct packet *p)
{
	memset(&p->ip_ver, 0,
	       offsetof(struct packet, icmp_seq) + sizeof(p->icmp_seq) -
		       offsetof(struct packet, ip_ver));
	p->flags &= ~(uint32_t)(PKT_IPV4 | PKT_IPV6 | PKT_HAS_PORTS | PKT_FRAGMENT | PKT_ICMP_ERROR |
				PKT_ICMP_EMB | PKT_ICMP_EMB_PORTS);
}

static inline bool pkt_has_event(const struct packet *p, enum event_id ev)
{
	for (unsigned i = 0; i < p->event_cnt; i++)
		if (p->events[i] == ev)
			return true;
	return false;
}

struct defrag;

struct decode_ctx {
	struct counters *cnt;
	struct defrag *defrag;
	unsigned max_layers;
	int csum_mode;      /* CSUM_* from config.h; auto switches itself off */
	uint32_t csum_checked, csum_bad;
	bool vxlan_enabled, gre_enabled, geneve_enabled;
	bool track_recursion; /* decoder.recursion-level.use-for-tracking */
	uint16_t vxlan_port;
};

/* Sets up a decode context from the configuration; memcap_share is this
 * worker's share of defrag.memcap.  V_ENOMEM on failure. */
int decode_ctx_init(struct decode_ctx *d, const struct config *cfg, struct counters *cnt,
		    uint64_t defrag_memcap_share);
void decode_ctx_fini(struct decode_ctx *d);

/* Decodes p->data/caplen according to p->linktype.  Resets every decoded
 * field first.  Never fails: problems become events and flags. */
void decode_packet(struct decode_ctx *d, struct packet *p);

/* Drops partial datagrams older than the defrag timeout as of now. */
void decode_expire(struct decode_ctx *d, vtime_t now);

/* Is this link type one vigil decodes? */
bool decode_link_supported(int linktype);

/* Internet checksum helpers (RFC 1071), exposed for tests and tools. */
uint32_t csum_add(uint32_t sum, const uint8_t *p, uint32_t len);
uint16_t csum_fold(uint32_t sum);
/* The TCP/UDP pseudo-header's sum for p's addresses. */
uint32_t csum_pseudo(const struct packet *p, uint8_t proto, uint32_t l4_len);

#endif
