/*
 * rule.h - a parsed signature (detect-internal).
 *
 * A rule is its header (action, protocol, addresses, ports, direction),
 * metadata for output, a few fixed-form checks (header fields, flow,
 * flowbits, thresholds) and, per inspection buffer, an ordered list of
 * payload matches (content, pcre, byte_*, isdataat, bsize).  Buffers come
 * from buffers.def: "payload" (packet or reassembled stream) now; the
 * app-layer sticky buffers are one row each there.
 */
#ifndef VIGIL_RULE_H
#define VIGIL_RULE_H

#include <stdbool.h>
#include <stdint.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

enum rule_action { ACT_ALERT, ACT_PASS, ACT_DROP, ACT_REJECT, ACT_CONFIG, ACT_MAX };

enum buffer_id {
#define X(id, name, help) BUF_##id,
#include "buffers.def"
#undef X
	BUF_MAX
};
/* a rule's dotprefix is one bit per buffer in 256; xlist.buf is a byte */
_Static_assert(BUF_MAX <= 256, "more sticky buffers than rule.dotprefix has bits");
extern const char *const buffer_names[BUF_MAX];
/* The direction of a transaction that buffer b comes from: 1 to server,
 * 2 to client, 3 either (http.header, file.data), 0 not known. */
int buffer_side(int b);

struct xlist;
struct iprep_cond;
#include "tag.h"

struct addr_item {
	uint8_t ver;   /* 4 or 6 */
	uint8_t plen;  /* prefix length */
	bool neg;
	uint8_t a[16];
};

/* An IPv4 interval, for large all-positive sets (addr_set_prepare). */
struct addr_range4 {
	uint32_t lo, hi;
};

struct addr_set {
	struct addr_item *v;
	uint32_t cnt;
	bool any;
	/* addr_set_prepare: the IPv4 items merged into sorted, disjoint
	 * intervals, searched in O(log n) instead of a walk over the items */
	struct addr_range4 *r4;
	uint32_t nr4;
};

struct port_item {
	uint16_t lo, hi;
	bool neg;
};

struct port_set {
	struct port_item *v;
	uint32_t cnt;
	bool any;
};

/* A numeric comparison: dsize, ttl, itype, bsize, ... */
enum { CMP_EQ, CMP_NE, CMP_LT, CMP_GT, CMP_LE, CMP_GE, CMP_RANGE_EX, CMP_RANGE_IN };
struct numcmp {
	uint8_t op;
	uint64_t a, b;
};

enum sm_type { SM_CONTENT, SM_PCRE, SM_BYTE_TEST, SM_BYTE_JUMP, SM_BYTE_EXTRACT,
	       SM_BYTE_MATH, SM_ISDATAAT, SM_BSIZE, SM_B64_DECODE, SM_ENTROPY, SM_DATASET, SM_ASN1,
	       SM_ABSENT /* first in its list: absent[: or_else] */ };

/* A value that is a literal or a byte_extract/byte_math variable. */
struct numvar {
	int64_t v;
	int8_t var; /* -1: literal */
};

#define RULE_MAX_VARS 8

/* A content's offset, depth, distance or within: a literal in int32
 * range (Suricata's) or a variable; half a struct numvar, and a rule of
 * ET Open has several contents. */
struct cnumvar {
	int32_t v;
	int8_t var; /* -1: literal */
};

struct sm_content {
	uint8_t *pat;
	uint8_t *lower; /* lowercased copy for nocase */
	uint32_t len;
	bool nocase, negated, startswith, endswith, rawbytes;
	bool has_offset, has_depth, has_distance, has_within;
	bool fast_pattern, fp_only;
	bool repl;      /* replace: len more bytes after pat's, written over a match (inline) */
	uint32_t fp_off, fp_len; /* fast_pattern:off,len chop */
	struct cnumvar offset, depth, distance, within;
};

struct sm_pcre {
	pcre2_code *re;
	bool relative, negated;
	_Atomic bool jit;  /* JIT-compiled, on first use (payload.c pcre_ready) */
	char *src;
	struct pcre_cap *cap; /* captures into flow / packet variables (kw_gap.h), or NULL */
};

enum { BYTE_BE = 0, BYTE_LE = 1 };
struct sm_byte {
	uint8_t nbytes;
	uint8_t nbytes_var;      /* a byte_extract variable's index + 1 gives nbytes (0: nbytes) */
	bool relative, string, dce, align, from_beginning, from_end, negate_op;
	uint8_t endian, base;    /* base for string: 10, 16, 8 */
	char op;                 /* byte_test: < > = & ^ (and ! negation), byte_math: + - * / < > (<< >>) */
	uint8_t op2;             /* for <= >= */
	struct numvar value;     /* byte_test value / byte_math rvalue */
	struct numvar offset;
	int32_t multiplier, post_offset;
	uint64_t bitmask;
	int8_t result_var;       /* byte_extract / byte_math result */
};

struct sm_isdataat {
	struct numvar n;
	bool relative, negated;
};

/* entropy: Shannon entropy (bits per byte) of [offset, offset + bytes) */
struct sm_entropy {
	uint32_t bytes, offset;     /* bytes 0: to the end */
	uint8_t op;                 /* CMP_* (ranges exclusive) */
	bool neg;
	double a, b;
};

/* asn1: BER objects decoded from an offset, each (and the elements of each
 * SEQUENCE and SET, 30 deep) checked for what broke old ASN.1 decoders */
struct sm_asn1 {
	uint32_t oversize;          /* a length over this (0: not checked) */
	bool bitstring, dbl;        /* bitstring_overflow, double_overflow */
	bool relative;              /* relative_offset (else absolute_offset) */
	int32_t offset;
};

/* dataset: the buffer's value tested against (or added to) a named set
 * (dataset.h); with match subdomain, also each of its suffixes that
 * starts at a dot */
struct dataset;
#ifndef DETECT_CTX_MAX
#define DETECT_CTX_MAX 1024 /* an alert's datajson context (alert.context), bytes */
#endif
struct sm_dataset {
	struct dataset *ds;
	uint8_t cmd;                /* enum ds_cmd */
	bool subdomain;
	bool datarep;               /* datarep: in the set, and its reputation against rep */
	struct numcmp rep;
	char *ctx_key;              /* datajson: the alert's context.KEY (owned), or NULL */
};

/* base64_decode: what base64_data then inspects */
struct sm_b64 {
	uint32_t bytes, offset;  /* bytes 0: the rest of the buffer */
	bool relative;
};

struct sm {
	enum sm_type type;
	union {
		struct sm_content c;
		struct sm_pcre pcre;
		struct sm_byte b;
		struct sm_isdataat d;
		struct numcmp bsize;
		struct sm_b64 b64;
		struct sm_entropy ent;
		struct sm_asn1 asn1;
		struct sm_dataset ds;
		bool absent_or_else;
	} u;
};
/* ET Open holds some 69,000 of these: a member that grows the union
 * (an inline buffer, a 64-bit field in a content) costs megabytes */
_Static_assert(sizeof(struct sm) <= 80, "struct sm grew: keep large members behind a pointer");

struct sm_list {
	struct sm *v;
	uint32_t cnt;
	uint16_t buf;             /* the buffer it inspects */
};

enum flowbit_op { FB_SET, FB_UNSET, FB_TOGGLE, FB_ISSET, FB_ISNOTSET, FB_NOALERT };
struct flowbit_cond {
	uint8_t op;
	bool or_group;   /* isset a|b: any of ids */
	uint32_t ids[8];
	uint8_t cnt;
};

/* hostbits / xbits (xbits.h): op as flowbits (set, unset, toggle, isset,
 * isnotset), on the source or destination host or the pair */
struct xbit_cond {
	uint8_t op, track;
	uint32_t id;
	uint32_t expire;          /* seconds; 0: the default (30) */
};

enum flowint_op { FI_SET, FI_ADD, FI_SUB, FI_EQ, FI_NE, FI_LT, FI_GT, FI_LE, FI_GE,
		  FI_ISSET, FI_NOTSET };
struct flowint_cond {
	uint8_t op;
	uint32_t id;
	int64_t value;
	int32_t value_var; /* another flowint as value, or -1 */
};

enum { TH_TYPE_LIMIT, TH_TYPE_THRESHOLD, TH_TYPE_BOTH, TH_TYPE_DETECTION_FILTER, TH_TYPE_BACKOFF };
enum { TRACK_BY_SRC, TRACK_BY_DST, TRACK_BY_RULE, TRACK_BY_BOTH, TRACK_BY_FLOW };
struct threshold {
	bool on;
	uint8_t type, track;
	uint32_t count, seconds;
	uint32_t multiplier; /* backoff: alerts at match count * multiplier^k */
};

enum rule_flow_flags {
	RF_TOSERVER = 1u << 0, RF_TOCLIENT = 1u << 1, RF_ESTABLISHED = 1u << 2,
	RF_NOT_ESTABLISHED = 1u << 3, RF_STATELESS = 1u << 4, RF_ONLY_STREAM = 1u << 5,
	RF_NO_STREAM = 1u << 6, RF_ONLY_FRAG = 1u << 7, RF_NO_FRAG = 1u << 8,
};

enum { SS_SERVER = 1, SS_CLIENT, SS_BOTH, SS_EITHER };
/* app-layer-protocol:PROTO,MODE (Suricata 8): the flow's protocol (final,
 * the default), each direction's, the packet's direction's, either's */
enum { ALPM_FINAL, ALPM_TO_SERVER, ALPM_TO_CLIENT, ALPM_DIRECTION, ALPM_EITHER, ALPM_ORIGINAL };
enum { VLAN_LAST = -1, VLAN_ANY = -2, VLAN_ALL = -3 };
enum { FC_TOSERVER = 1, FC_TOCLIENT, FC_EITHER };

/* header checks, one bit each in rule->hdr_mask */
enum hdr_check { HC_TTL, HC_TOS, HC_ID, HC_SEQ, HC_ACK, HC_WINDOW, HC_ITYPE, HC_ICODE,
		 HC_ICMP_ID, HC_ICMP_SEQ, HC_DSIZE, HC_IP_PROTO, HC_ICMPV6_MTU, HC_TCP_MSS,
		 HC_FRAGOFF, HC_IPOPTS /* a: IPOPT_F_* bits, any of; 0 any option */, HC_VLAN_LAYERS,
		 HC_MAX };

/* conditions on what the app layer parsed (dns.opcode, ssl_state, ...) */
enum app_cond_type { AC_DNS_OPCODE, AC_DNS_RCODE, AC_DNS_RRTYPE, AC_SSL_VERSION,
		     AC_SSL_STATE, AC_TLS_VERSION, AC_APP_EVENT, AC_FILESIZE, AC_FILEHASH,
		     AC_FTP_DYNPORT, AC_FTP_MODE, AC_FTP_REPLY_RECEIVED, AC_FTPDATA_CMD,
		     AC_FTPBOUNCE, AC_SNMP_VERSION, AC_SNMP_PDU_TYPE, AC_SMB_VERSION, AC_DCE_IFACE, AC_DCE_OPNUM,
		     AC_LDAP_REQ_OP, AC_LDAP_RESP_COUNT, AC_LDAP_RESP_OP, AC_LDAP_RESP_RESULT,
		     AC_TLS_CHAIN_LEN, AC_MQTT, AC_KRB5, AC_RFB_SECTYPE, AC_RFB_SECRESULT,
		     AC_IKE, AC_NFS_PROCEDURE, AC_NFS_VERSION,
		     AC_WS_OPCODE, AC_WS_MASK, AC_WS_FLAGS,
		     AC_HTTP2 /* mask: H2_C_* | setting id << 8 */,
		     AC_TLS_VALIDITY /* kw_gap.c: mask TLSV_* */ };
/* AC_IKE's mask: what it checks */
enum { IKE_C_EXCHTYPE, IKE_C_KE_LEN, IKE_C_NONCE_LEN, IKE_C_CHOSEN_SA };
/* AC_KRB5's mask: what it checks */
enum { KRB5_C_MSG_TYPE, KRB5_C_ERR_CODE, KRB5_C_WEAK, KRB5_C_TICKET_ETYPE };
/* filemd5 / filesha1 / filesha256: the digests of a list file, sorted */
struct hash_list {
	uint8_t len;            /* bytes per digest: 16, 20, 32 */
	uint32_t n;
	uint8_t *v;
};
struct app_cond {
	uint8_t type;
	bool neg;
	struct numcmp c;        /* dns.*, tls.version, filesize */
	uint32_t mask;          /* ssl_version / ssl_state bits (any of), event id */
	uint32_t neg_mask;      /* ssl_state: bits that must not be set; ldap.responses.*: the
				 * index (LDAP_IDX_ANY, LDAP_IDX_ALL, or signed, from the end
				 * when negative) */
	struct hash_list *hl;   /* filemd5 ... */
};
#define RULE_MAX_APP_COND 4
#define LDAP_IDX_ANY 0x7fffffffu
#define LDAP_IDX_ALL 0x7ffffffeu

/* The parts of an HTTP transaction, in the order they arrive.  A rule is
 * evaluated on the packet where the last part it inspects arrives, so it
 * alerts once per transaction, not on every later packet that still
 * carries the request.  DIR_*: the head or body of the packet's
 * direction (http.header, file.data). */
enum { HTTP_P_DIR_HEAD = 32, HTTP_P_DIR_BODY = 64 }; /* HTTP_P_REQ_LINE ..: app.h */


#define RULE_MAX_PKT_EVENTS 4

/* stream_size and the flow counters: few rules use them, so they live
 * apart (rule->fc) rather than in every rule */
struct flow_counts {
	/* vlan.id: the comparison and which tag: 0.. from the outermost,
	 * VLAN_LAST, VLAN_ANY (one of them), VLAN_ALL (every one) */
	bool has_vlan;
	int8_t vlan_layer;
	struct numcmp vlan;
	uint8_t ssize_which;      /* stream_size: 0 none, SS_SERVER .. SS_EITHER */
	/* flow.pkts / flow.bytes: which direction (FC_*) and the comparison;
	 * flow.age: seconds since the flow's first packet */
	uint8_t fpk_dir, fby_dir;
	bool has_fage;
	struct numcmp ssize, fpk, fby, fage;
};

/* the checksum keywords (ipv4-csum, tcpv4-csum, ...) */
enum { CSK_IPV4 = 1, CSK_TCPV4 = 2, CSK_TCPV6 = 4, CSK_UDPV4 = 8, CSK_UDPV6 = 16, CSK_ICMPV4 = 32,
       CSK_ICMPV6 = 64 };

struct rule {
	uint32_t idx;        /* position in the engine */
	uint32_t sid, gid, rev;
	uint8_t action;
	uint8_t proto;       /* IP protocol, 0 = any IP */
	uint8_t ipver;       /* 4 or 6 for the ipv4 / ipv6 protocols, else 0 */
	uint8_t npev;        /* decode-event / stream-event conditions: all must hold */
	uint16_t pev[RULE_MAX_PKT_EVENTS]; /* event ids (enum event_id) */
	uint8_t alproto;     /* app-layer protocol required (header, sticky buffer) */
	uint8_t frame_type;  /* frame:NAME: the frames (enum app_frame_type) of BUF_FRAME it sees */
	uint8_t nalp;        /* app-layer-protocol keywords, all must hold */
	struct {
		uint8_t p;
		bool neg;
		uint8_t mode;        /* ALPM_*: which of the flow's protocols */
	} alp[4];
	uint64_t dotprefix[4];    /* bit b: dotprefix on buffer b (RULE_DOT) */
	bool bidir;
	bool flow_start;     /* "tcp:flow_start": the first packet of each direction only */
	bool txdir;          /* "=>": a transaction's two directions, evaluated once both are
			      * there (addresses as written: source the client) */
	bool noalert;
	bool bypass;          /* bypass: the flow is bypassed when it matches */
	bool pass_alert;     /* a pass rule that alerts too ("alert;") */
	bool config_nolog;   /* a config rule: "config: logging disable, type tx, scope tx" */
	bool filestore;      /* keep the files of the packets it matches */
	bool tls_store;      /* write the flow's server certificate chain (tlsstore.c) */
	bool sameip;
	bool replace;   /* a payload content has replace (the rule is a packet rule) */
	bool once_dir;       /* app-layer-protocol only, or SSH banner/KEXINIT buffers: once per flow direction */
	bool tx_event;       /* app-layer-event on an HTTP transaction's event ("http.*"):
			      * once per direction per raising of it */
	bool proto_pkt;      /* names an app-layer protocol in its header and inspects nothing of it:
			      * every packet once the protocol is known (TCP: of an established session) */
	bool sets_shared;    /* src/dst/sp/dp arrays belong to the engine (interned), not the rule */
	bool flow_scope;     /* pass/drop applies to the flow (IP-only, protocol-only, app-layer) */
	bool ip_only;        /* Suricata's IP-only rule: inspected on a flow direction's first packet */
	uint8_t target;      /* 0 none, 1 src_ip, 2 dest_ip */
	uint8_t priority;
	char *msg;
	const char *classtype;  /* the engine's classification entry (not owned) */
	const char *category;
	/* metadata, rendered: "key":["v",...] parts (the object's members),
	 * pooled by the engine (else owned: meta_owned) */
	const char **meta;
	uint8_t nmeta;
	bool meta_owned;
	char *text;          /* the rule as written, when alerts carry it (alert-rule) */
	char *file;
	unsigned line;

	struct addr_set src, dst;
	struct port_set sp, dp;
	uint32_t aid[2];     /* interned ids of src, dst (per-packet memo) */
	uint32_t pid[2];     /* interned ids of sp, dp */

	uint16_t flow_flags;
	/* ipv4-csum, tcpv4-csum, ...: CSK_* bits wanted valid / invalid */
	uint8_t csum_valid, csum_invalid;
	struct iprep_cond *ipr;   /* iprep conditions (ipr_cnt, all must hold), or NULL */
	uint8_t ipr_cnt;
	struct flow_counts *fc;   /* stream_size, flow.pkts/bytes/age (rule_fc), or NULL */
	uint32_t hdr_mask;
	struct numcmp *hdr;       /* HC_MAX entries once a header keyword is used (rule_hdr) */
	bool has_flags;
	uint8_t flags_mode;  /* 0 exact, '+' all of, '*' any of, '!' none of */
	uint8_t flags_want, flags_mask;
	bool has_fragbits;
	uint8_t fragbits_mode, fragbits_want;

	struct app_cond *ac;      /* RULE_MAX_APP_COND entries once one is used */
	uint8_t nac;
	uint8_t http_parts;       /* HTTP_P_* bits of the buffers it inspects */

	struct flowbit_cond *fb;
	uint32_t fb_cnt;
	struct flowint_cond *fi;
	uint32_t fi_cnt;
	struct xbit_cond *xb;
	uint32_t xb_cnt;
	struct tag_spec tags[2];  /* tag: session and/or host (tag.h) */
	uint8_t ntags;
	struct threshold th;      /* threshold: */
	struct threshold df;      /* detection_filter: */

	/* the match lists: while the rule is parsed one per buffer, indexed
	 * by buffer (nlists BUF_MAX); once parsed (compact) only the lists
	 * of the buffers it uses, in buffer order: ET Open's rules use 1.3
	 * buffers each, and an array up to the last one used averaged 12.8
	 * lists.  rule_list() finds a buffer's. */
	struct sm_list *lists;
	uint16_t nlists;
	bool compact;
	uint8_t nvars;            /* byte_extract / byte_math variables */
	char **var_names;         /* RULE_MAX_VARS, made by the first variable */

	/* transformed buffers (xform.h): each its buffer, chain and list */
	struct xlist *xl;
	uint8_t nxl;

	/* the fast pattern: (buffer, index in that list), or -1 */
	int16_t fp_buf;
	int32_t fp_idx;

	/* parse state */
	int16_t cur_buf;          /* sticky buffer in effect */
	int8_t cur_xl;            /* its transformed list in effect (xl), or -1 */
	int16_t last_pm_where;    /* last_pm's list: a buffer, or BUF_MAX + an xl index */
	struct sm *last_content;  /* for content modifiers */
	struct sm *last_pm;       /* last payload match, for relative keywords */

	struct kw_gap_rule *gap;  /* rpc, flowvar, pktvar (kw_gap.c), or NULL */
};

/* The list of buffer b, or NULL when the parsed rule has none. */
static inline const struct sm_list *rule_list(const struct rule *r, int b)
{
	if (!r->compact)
		return b >= 0 && b < r->nlists ? &r->lists[b] : NULL;
	for (unsigned i = 0; i < r->nlists && r->lists[i].buf <= b; i++)
		if (r->lists[i].buf == b)
			return &r->lists[i];
	return NULL;
}

/* Has rule r a dotprefix on buffer b? */
#define RULE_DOT(r, b) ((bool)((r)->dotprefix[(b) / 64] >> ((b) % 64) & 1))

void rule_free(struct rule *r);
/* The header-check array, allocated on first use; NULL when out of memory. */
struct numcmp *rule_hdr(struct rule *r);
/* The flow-count block, likewise. */
struct flow_counts *rule_fc(struct rule *r);

/* addresses and ports (addr.c) */
struct var_ctx;
int addr_parse(const char *s, struct addr_set *out, const struct var_ctx *vars, char *err,
	       size_t errlen);
int port_parse(const char *s, struct port_set *out, const struct var_ctx *vars, char *err,
	       size_t errlen);
bool addr_match(const struct addr_set *s, uint8_t ver, const uint8_t *a);
/* For a set of ADDR_PREPARE_MIN or more items, none negated: builds s->r4
 * so that addr_match on IPv4 is a binary search (the IP lists of ET Open's
 * botcc and compromised rules have hundreds to thousands of entries).
 * Returns -1 if out of memory (the set still works, linearly). */
int addr_set_prepare(struct addr_set *s);
#define ADDR_PREPARE_MIN 8
/* Whether s can match an address inside home (in) or outside it (!in).
 * home: positive items only.  Conservative: false only when the items
 * prove that no such address matches, so a prefilter built on it never
 * loses a match. */
bool addr_set_can(const struct addr_set *s, const struct addr_set *home, bool in);
/* The packet classes (engine.c, signature groups) a rule can match: bit
 * dir * 4 + src_in_home * 2 + dst_in_home, dir 0 to server, 1 to client,
 * 2 no flow. */
uint16_t rule_packet_classes(const struct rule *r, const struct addr_set *home);
bool port_match(const struct port_set *s, uint16_t port);
void addr_set_free(struct addr_set *s);
void port_set_free(struct port_set *s);

struct var_ctx {
	const struct strlist *addr, *port; /* from the config */
};

#endif
