/*
 * flow.h - the flow table (public header of flow/).
 *
 * One table per worker (flows are pinned to workers by a symmetric hash of
 * the address pair, so no locks).  A flow is keyed by addresses, ports,
 * protocol and up to two VLAN ids, and found from either direction; its
 * "source" is the side that sent the first packet (or, for TCP, the side
 * that sent the SYN).  Flows live on one of several timeout lists (protocol
 * class x state), each ordered by last activity, so expiry and emergency
 * eviction are O(flows removed).  When a flow ends the table calls the
 * owner's end callback (which writes the eve record and frees stream and
 * app-layer state) and then frees it.
 */
#ifndef VIGIL_FLOW_H
#define VIGIL_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include "alloc.h"
#include "config.h"
#include "counters.h"
#include "decode.h"

enum flow_state { FLOW_STATE_NEW, FLOW_STATE_ESTABLISHED, FLOW_STATE_CLOSED };
enum flow_end { FLOW_END_TIMEOUT, FLOW_END_FORCED, FLOW_END_SHUTDOWN };

#define TCP_STATES(X) \
	X(NONE, "none") X(SYN_SENT, "syn_sent") X(SYN_RECV, "syn_recv") \
	X(ESTABLISHED, "established") X(FIN_WAIT1, "fin_wait1") X(FIN_WAIT2, "fin_wait2") \
	X(TIME_WAIT, "time_wait") X(LAST_ACK, "last_ack") X(CLOSE_WAIT, "close_wait") \
	X(CLOSING, "closing") X(CLOSED, "closed")
enum tcp_state {
#define X(id, name) TCP_##id,
	TCP_STATES(X)
#undef X
};
extern const char *const tcp_state_names[];
extern const char *const flow_state_names[];
extern const char *const flow_end_names[];

struct flow_key {
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sp, dp;
	uint16_t vlan[3];
	uint8_t proto;
	uint8_t ip_ver;
	uint8_t pad[2];
};

/* Per-direction TCP tracking, as seen from the sender of that direction. */
struct tcp_peer {
	uint32_t isn;
	uint32_t next_seq;  /* highest seq + len sent */
	uint32_t last_ack;  /* highest ack sent */
	uint32_t fin_seq;
	uint8_t wscale;
	uint32_t syn_tsval;  /* the SYN's TCP timestamp (has_syn_ts) */
	bool syn_signed;     /* its SYN carried an MD5 signature or TCP-AO option */
	uint8_t syn_queued;  /* SYNs with other sequence numbers before the SYN/ACK (at most 10 kept) */
	bool syn_seen, fin_seen, rst_seen, ack_seen, seq_init, has_syn_ts;
};

enum flow_flags {
	FLOW_F_MIDSTREAM = 1u << 0,  /* TCP picked up without a handshake */
	FLOW_F_REASSEMBLE = 1u << 1, /* stream reassembly active */
	FLOW_F_ALERTED = 1u << 2,
	FLOW_F_ICMP_PAIR = 1u << 3,  /* ICMP request/response keyed by id */
	FLOW_F_PASS = 1u << 4,       /* a pass rule matched: no more inspection */
	FLOW_F_DROP = 1u << 5,       /* a drop/reject rule matched: drop the rest */
	FLOW_F_BYPASS = 1u << 6,     /* nothing more to inspect: marked for bypass */
	FLOW_F_REJECT = 1u << 7,     /* with FLOW_F_DROP: its packets are rejected, not just dropped */
	FLOW_F_XP_DROP = 1u << 8,    /* with FLOW_F_DROP: an exception policy dropped it */
	/* with FLOW_F_DROP: a drop record was written for a packet to the
	 * server / to the client (Suricata's drop log: once per direction) */
	FLOW_F_DROP_LOGGED_TS = 1u << 9,
	FLOW_F_DROP_LOGGED_TC = 1u << 10,
};

/* app_proto values; the app-layer issue fills this in. */
enum { ALPROTO_UNKNOWN = 0, ALPROTO_FAILED = 1 };

struct flow {
	struct flow *hnext;
	struct flow *lprev, *lnext;
	struct flow_key key;
	uint64_t flow_id;
	uint32_t hash;
	uint8_t list;
	uint8_t state;      /* enum flow_state */
	uint8_t tcp_state;  /* enum tcp_state */
	uint8_t end_reason; /* enum flow_end */
	uint32_t flags;
	vtime_t start, last;
	uint64_t pkts[2];
	uint64_t bytes[2];
	uint64_t payload_bytes[2]; /* L4 payload seen (UDP) or reassembled (TCP) */
	uint8_t tcp_flags[2];
	uint8_t icmp_type[2], icmp_code[2];
	bool icmp_seen[2];
	uint16_t alproto;
	uint16_t alproto_orig; /* before an upgrade (STARTTLS, h2c, WebSocket, DoH), else 0 */
	uint16_t alproto_expect; /* what a protocol change announced (STARTTLS: TLS), else 0 */
	uint8_t max_regions[2]; /* the most stream-buffer regions each direction needed (0: 1) */
	uint8_t alp_dir[2];  /* what each direction's first data looked like, when not alproto
			      * (eve app_proto_ts / app_proto_tc); 0xff: probed, the same */
	uint8_t policy;      /* allowlist decision at its first packet (worker.c POL_*) */
	bool has_mac;        /* mac: the client's and the server's MAC (Ethernet captures) */
	uint8_t mac[2][6];
	uint8_t ew;          /* early warning: long-session grades reported (low bits), idle (0x80); a spoofed source reported (0x40) */
	uint32_t dns_tx;     /* DNS messages seen (the next one's tx_id) */
	uint32_t app_tx;     /* transactions its parsers started (flow.tx_cnt) */
	uint16_t dns_nolog_id; /* a config rule's DNS query: its answer is not logged either */
	bool dns_nolog;
	struct tcp_peer peer[2];
	void *stream[2];    /* stream/ reassembly state, per direction */
	uint8_t *tfo;       /* TCP Fast Open: data on the client's SYN, until reassembly starts */
	uint32_t tfo_len;
	void *app;          /* app-layer state */
	void *detect;       /* rule engine state (flowbits, stream windows) */
	/* the rule engine's packet class: bit 0 known, bit 1 the client and
	 * bit 2 the server in $HOME_NET, for the engine det_home_de */
	uint8_t det_home;
	uint32_t det_home_de;
	uint8_t xp_seen;    /* exception policy targets hit (1 << enum xp_target): flow.exception_policy */
};

struct flow_table;
typedef void (*flow_end_cb)(void *ud, struct flow *f);

struct flow_table_cfg {
	uint64_t memcap;
	uint32_t prealloc;  /* flows allocated at start, reused (flow.prealloc) */
	uint32_t hash_size;
	uint64_t timeout[4][3]; /* [tcp, udp, icmp, other][new, established, closed], usec */
	bool midstream;
	uint32_t worker_id;
	uint64_t seed;
};

/* Fills the table configuration from the config, for a worker that gets
 * 1/share of the memory and buckets. */
void flow_table_cfg_from(struct flow_table_cfg *tc, const struct config *c, unsigned share,
			 uint32_t worker_id);

/* The flow of a tunnelled packet's carrier (its outermost IP layer:
 * IP-in-IP, GRE, the UDP of VXLAN...), counted as Suricata counts the
 * outer packet's own flow; p->flow stays the inner packet's.  NULL when p
 * is not tunnelled (or under memcap). */
struct flow *flow_table_carrier(struct flow_table *ft, struct packet *p);

/* Returns the table or NULL on allocation failure. */
struct flow_table *flow_table_new(const struct flow_table_cfg *tc, struct counters *cnt,
				  flow_end_cb cb, void *ud);
/* Ends every flow (reason shutdown, callback called) and frees. NULL ok. */
void flow_table_free(struct flow_table *ft);

/* Finds or creates the flow of p; sets p->flow and p->dir, counts the
 * packet and updates state.  Returns NULL (p->flow NULL) when the packet
 * has no flow (no IP layer, a fragment) or no memory could be found. */
struct flow *flow_table_handle(struct flow_table *ft, struct packet *p);

/* Ends flows idle past their timeout as of now. */
void flow_table_expire(struct flow_table *ft, vtime_t now);
/* Calls fn on every flow of the table (the early-warning detectors' walk;
 * fn must not end flows). */
void flow_table_walk(struct flow_table *ft, void (*fn)(struct flow *f, void *ctx), void *ctx);
/* Ends every flow with the given reason. */
void flow_table_flush(struct flow_table *ft, enum flow_end reason);
uint64_t flow_table_count(const struct flow_table *ft);
/* The table's memory charge against flow.memcap (memcap pressure). */
const struct memcap *flow_table_memcap(const struct flow_table *ft);

/* TCP state machine (tcp_state.c): called for every TCP packet of a flow
 * after counting. */
void tcp_state_update(struct flow *f, struct packet *p, struct counters *cnt, bool midstream);

/* Symmetric hash of the address pair, for pinning flows to workers. */
uint32_t flow_worker_hash(const struct packet *p);

/* Community ID v1 (https://github.com/corelight/community-id-spec):
 * writes "1:<base64>" into out (at least 32 bytes). */
void community_id(const struct flow *f, uint16_t seed, char out[static 32]);

#endif
