/*
 * app.h - the application layer (public header of app/).
 *
 * Protocol detection looks at the first bytes of each direction (TCP:
 * reassembled stream; UDP: the datagram) and picks the protocol by
 * content, with the port only as a tie-breaker; the flow's alproto is set
 * once.  The protocol's parser then consumes the data and keeps, per
 * packet, what it parsed ("the current transaction"), which eve records
 * and rule keywords (sticky buffers such as dns.query) read.  Parsers
 * never allocate per byte, cap what they keep per flow, and turn hostile
 * input into app-layer events rather than crashes.
 */
#ifndef VIGIL_APP_H
#define VIGIL_APP_H

#include <stdbool.h>
#include <stdint.h>

#include "alloc.h"
#include "flow.h"

enum alproto_id {
	ALP_UNKNOWN = ALPROTO_UNKNOWN,
	ALP_FAILED = ALPROTO_FAILED,
	ALP_DNS,
	ALP_TLS,
	ALP_HTTP,
	ALP_SSH,
	ALP_QUIC,
	ALP_SMTP,
	ALP_FTP,
	ALP_FTPDATA,
	ALP_SIP,
	ALP_LDAP,
	ALP_TFTP,
	ALP_SNMP,
	ALP_SMB,       /* SMB 1/2/3 over NetBIOS session service (smb.c) */
	ALP_DCERPC,    /* DCE/RPC over TCP or UDP */
	ALP_POP3,
	ALP_MQTT,
	ALP_KRB5,
	ALP_RFB,
	ALP_IKE,
	ALP_NFS,
	ALP_WEBSOCKET,
	ALP_HTTP2,     /* HTTP/2 (http2.c) */
	ALP_DOH2,      /* DNS over HTTP/2: an HTTP/2 flow that carried a DNS message */
	ALP_MDNS,      /* multicast DNS (UDP 5353): DNS messages, mdns records and keywords */
	ALP_NTP,       /* NTP (UDP 123): detected and named only, as Suricata */
	ALP_BITTORRENT_DHT, /* BitTorrent DHT (KRPC over UDP, btdht.c) */
	ALP_IMAP,      /* IMAP4 (imap.c): commands, completions, messages' files */
	ALP_MAX
};
/* Rule protocol "http1": HTTP/1 only ("http" is HTTP/1 and HTTP/2); a
 * rule's alproto, never a flow's. */
#define ALP_HTTP1 0xfe
/* Whether a rule of protocol rule_alp runs on a flow of flow_alp ("http"
 * on HTTP/2, "http2" and "dns" on DNS over HTTP/2, "dcerpc" on SMB). */
bool alproto_rule_matches(int rule_alp, int flow_alp);
extern const char *const alproto_names[ALP_MAX];
/* "dns" -> ALP_DNS, or -1. */
int alproto_lookup(const char *name);

#define DNS_MAX_QUERIES 16
#define DNS_MAX_ANSWERS 32
#define DNS_MAX_AUTH 16
#define DNS_NAME_MAX 256

struct dns_rr {
	char name[DNS_NAME_MAX];
	uint16_t name_len;
	uint16_t type, rclass;
	uint32_t ttl;
	char data[DNS_NAME_MAX]; /* rendered rdata: address, name, text; SOA: mname,
				  * then its rname after a NUL (rname_off) */
	uint16_t data_len;
	uint16_t rname_off;       /* SOA */
	union {
		uint32_t soa[5];      /* serial, refresh, retry, expire, minimum */
		uint16_t srv[3];      /* priority, weight, port (data: the target) */
		uint8_t sshfp[2];     /* algorithm, fingerprint type (data: hex) */
	} u;
};

struct dns_msg {
	uint16_t id, flags;
	bool response;
	uint8_t opcode, rcode;
	uint16_t qd, an, ns, ar;      /* counts from the header */
	uint8_t nq, nans, nauth, nadd; /* parsed (capped) */
	uint8_t h2_ref;               /* DNS over HTTP/2: 1 + its stream's index in app_tx.h2 */
	struct dns_rr q[DNS_MAX_QUERIES];
	struct dns_rr a[DNS_MAX_ANSWERS];
	struct dns_rr auth[DNS_MAX_AUTH];   /* authority section */
	struct dns_rr add[DNS_MAX_AUTH];    /* additional section (OPT records not kept) */
	bool truncated_parse;         /* stopped early (limits or short data) */
	uint32_t tx_id;               /* its index among the flow's DNS messages */
};

#include "http.h"
#include "file.h"

/* A complete HTTP head kept for rules and eve, with derived fields. */
struct http_msg {
	uint8_t *buf;            /* a copy of the head; the head's views point here */
	uint32_t len;
	struct http_head h;
	char host[256];          /* Host, lowercased, without the port */
	uint16_t host_len;
	int32_t port;            /* the Host header's port, -1 if none */
	uint32_t tx_id;          /* requests: the transaction's number in the connection */
	const uint8_t *uri_norm; /* requests: the URI normalised (http.uri; in buf) */
	uint32_t uri_norm_len;
	uint8_t *norm;           /* "Name: value\r\n"... then header names block */
	uint32_t norm_len, names_off, names_len;
	bool valid, logged;
	bool nolog;              /* a config rule said: this transaction is not logged */
	bool multipart;          /* a multipart/form-data request: file.data is its files */
	uint64_t body_len;       /* body bytes seen (de-chunked, before decompression) */
	uint64_t htp_index;      /* libhtp's transaction index (pairs a response with it) */
};

/* app-layer events (app_events.def): hostile or broken input that the
 * parsers noticed; eve anomaly records and the app-layer-event keyword. */
/* one bit per event (app_events.def has up to 256) */
typedef struct {
	uint64_t w[4];
} app_events_t;

enum app_event {
#define X(id, name, help) APP_EV_##id,
#include "app_events.def"
#undef X
	APP_EV_MAX
};
_Static_assert(APP_EV_MAX <= 256, "app_events_t has 256 bits");
static inline bool app_ev_has(const app_events_t *e, unsigned i)
{
	return e->w[i / 64] >> (i % 64) & 1;
}
static inline void app_ev_or(app_events_t *dst, const app_events_t *src)
{
	for (int i = 0; i < 4; i++)
		dst->w[i] |= src->w[i];
}
/* Whether any event is set (a popcount is a library call here: the
 * baseline x86-64 has no POPCNT). */
static inline bool app_ev_any(const app_events_t *e)
{
	return (e->w[0] | e->w[1] | e->w[2] | e->w[3]) != 0;
}
/* How many events are set (0: none; most packets have none, so that is
 * answered without a popcount). */
static inline unsigned app_ev_count(const app_events_t *e)
{
	if (!app_ev_any(e))
		return 0;
	return (unsigned)(__builtin_popcountll(e->w[0]) + __builtin_popcountll(e->w[1]) +
			  __builtin_popcountll(e->w[2]) + __builtin_popcountll(e->w[3]));
}
extern const char *const app_event_names[APP_EV_MAX];
extern const char *const app_event_help[APP_EV_MAX];
int app_event_lookup(const char *name);

#define TLS_MAX_CERTS 8
#define TLS_MAX_ALPN 8
#define TLS_MAX_SAN 16
#define QUIC_MAX_CYU 2
#define QUIC_CYU_LEN 512

/* TLS handshake messages seen (ssl_state, and what changed on a packet) */
enum { TLS_ST_CLIENT_HELLO = 1, TLS_ST_SERVER_HELLO = 2, TLS_ST_CLIENT_KEYX = 4,
       TLS_ST_SERVER_KEYX = 8, TLS_ST_CERT = 16, TLS_ST_UNKNOWN = 32 };

/* What a flow's TLS handshake told (kept per flow; tls.c). */
struct tls_info {
	uint8_t state;            /* TLS_ST_* seen so far */
	char sni[256];
	uint16_t sni_len;
	uint16_t cver;            /* client's highest offered (legacy or supported_versions) */
	uint16_t sver;            /* negotiated (ServerHello, supported_versions) */
	uint16_t rec_ver;         /* the first record's version; 0x0002 for an SSLv2 hello */
	/* the long strings are allocated at their length (tls.c), so a flow
	 * costs what its handshake said, not the worst case */
	char *ja3, ja3_hash[33];
	uint16_t ja3_len;
	char *ja3s, ja3s_hash[33];
	uint16_t ja3s_len;
	char ja4[40];
	uint8_t nalpn;
	uint8_t alpn_len[TLS_MAX_ALPN];
	char alpn[TLS_MAX_ALPN][32];
	/* the server's leaf certificate (TLS 1.2 and below) */
	char *subject, *issuer, serial[100], fingerprint[64];
	char server_alpn[32];     /* the protocol the ServerHello chose */
	uint8_t server_alpn_len;
	char *san;                /* subjectAltName DNS names, each NUL-ended */
	uint16_t san_len;
	uint8_t nsan;
	uint8_t random[2][32];    /* the client's and the server's hello random */
	char notbefore[20], notafter[20];
	uint16_t subject_len, issuer_len, serial_len;
	/* the chain as sent (DER), freed when the handshake ends */
	uint8_t *chain;
	uint32_t chain_size;
	uint32_t cert_off[TLS_MAX_CERTS], cert_len[TLS_MAX_CERTS];
	uint8_t ncerts;
	uint16_t chain_len;       /* certificates in the message (ncerts kept of them) */
	bool logged;
	uint8_t store;            /* tls_store (tlsstore.c): TLSSTORE_* marks */
};

/* SSH (ssh.c) */
struct ssh_side {
	char proto[16], software[128];
	char hassh[33], hassh_string[1024];
	uint16_t proto_len, software_len, hassh_string_len;
	bool banner, kex;
};
struct ssh_info {
	struct ssh_side side[2];  /* 0 client, 1 server */
	bool logged;
};

/* QUIC (quic.c): the last hello read from an Initial (the client's, or
 * the server's: then only the version and extensions are set) */
struct quic_info {
	uint32_t version;
	bool server;
	char sni[256];
	uint16_t sni_len;
	char ja3[1024], ja3_hash[33];
	uint16_t ja3_len;
	char ja4[40];
	uint8_t nalpn;
	uint8_t alpn_len[TLS_MAX_ALPN];
	char alpn[TLS_MAX_ALPN][32];
	uint8_t next;
	uint16_t ext[32];         /* the ClientHello's extension types, in order */
	bool hello;
	/* Google QUIC (Q043-Q046): a long-header packet's handshake message
	 * tags: the UAID tag's value (quic.ua) and, per tagged STREAM frame,
	 * the CYU fingerprint (quic.cyu.*); the SNI tag goes to sni */
	bool gquic;
	char ua[256];
	uint16_t ua_len;
	uint8_t ncyu;
	struct quic_cyu {
		char hash[33];
		char str[QUIC_CYU_LEN];   /* "46,PAD-SNI-STK-VER-..." */
		uint16_t len;
	} cyu[QUIC_MAX_CYU];
};
/* "server_name", "alpn", ... or NULL for a type without a name here */
const char *tls_ext_name(uint16_t type);

/* SIP (sip.c): one message, a transaction of its own.  The head is
 * copied (up to SIP_HEAD_MAX bytes) and its parts are offsets into it;
 * up to SIP_MAX_HDR values of each header rules read. */
#define SIP_HEAD_MAX 4096
#define SIP_MAX_HDR 8
enum { SIP_H_FROM, SIP_H_TO, SIP_H_VIA, SIP_H_UA, SIP_H_CTYPE, SIP_H_CLEN, SIP_H_MAX };
struct sip_str {
	uint16_t off, len;
};
/* The lines of an SDP body (RFC 4566) the sdp.* buffers read, session
 * level then media level (after the first m= line); the singular ones
 * keep their first line, the others up to SDP_MAX_REP. */
enum { SDP_ORIGIN, SDP_SESSION_NAME, SDP_SESSION_INFO, SDP_URI, SDP_EMAIL, SDP_PHONE, SDP_CONN,
       SDP_BANDWIDTH, SDP_TIME, SDP_REPEAT, SDP_TZ, SDP_KEY, SDP_ATTR, SDP_M_MEDIA, SDP_M_INFO,
       SDP_M_CONN, SDP_M_KEY, SDP_F_MAX };
#define SDP_MAX_REP 8
struct sip_msg {
	bool response;
	uint64_t tx_id;
	struct sip_str method, uri, version, code, reason, line; /* line: the request or status line */
	struct sip_str hdr[SIP_H_MAX][SIP_MAX_HDR];
	uint8_t nhdr[SIP_H_MAX];
	/* an SDP body (one starting "v="), as far as buf holds it: the
	 * values of its lines, offsets into buf */
	struct sip_str sdp[SDP_F_MAX][SDP_MAX_REP];
	uint8_t nsdp[SDP_F_MAX];
	uint16_t body_off;        /* where the body starts in buf (0: not held) */
	int64_t content_length;   /* -1: none */
	uint32_t len;
	char buf[SIP_HEAD_MAX];
};
#define APP_SIP_PER_PKT 2

/* LDAP (ldap.c): a transaction is a request and its responses, each kept
 * as its BER bytes (records are rendered from them). */
#define LDAP_MAX_RESP 16
struct ldap_msg {
	uint8_t *raw;
	uint32_t len;
	uint32_t id;              /* message id */
	uint8_t op;               /* index in ldap.c's operation table */
};
struct ldap_tx {
	bool used, has_req, complete, logged;
	uint64_t tx_id, seq;
	struct ldap_msg req;
	struct ldap_msg resp[LDAP_MAX_RESP];
	uint8_t nresp;
};
#define APP_LDAP_PER_PKT 4

/* SMB (smb.c): a request and its response, as Suricata's smb
 * transaction; strings are kept as UTF-8 (names converted from UTF-16). */
#define SMB_STR_MAX 256
#define SMB_SHORT_MAX 64
#define SMB_DIALECTS_MAX 16       /* dialects of an SMB1 negotiate kept */
struct dce_state;
struct smb_tx {
	uint64_t id;              /* Suricata's smb.id: 1 for the flow's first */
	uint64_t msg_id;          /* SMB2 MessageId; SMB1 cmd << 32 | pid << 16 | mid */
	uint64_t session_id;
	uint32_t tree_id;
	uint32_t status;          /* NT status, or SMB1 DOS error (class, code) */
	uint16_t cmd;
	uint8_t ver;              /* 1 or 2 (SMB2 and 3) */
	bool has_req, has_resp, dos_status;
	bool resp_side;           /* exposed on the response's packet */
	bool share_set, is_pipe;  /* a tree connect: share[] is its path */
	bool create, delete_on_close, fuid_set, guid_set;
	uint32_t disposition;
	/* a create's response: the file's times (Unix seconds: created,
	 * accessed, modified, changed) and size */
	uint64_t ftime[4], fsize;
	uint16_t dialect2;        /* SMB2 dialect of the flow (0 none) */
	char dialect1[SMB_SHORT_MAX]; /* SMB1 dialect of the flow */
	char filename[SMB_STR_MAX], share[SMB_STR_MAX];
	uint16_t filename_len, share_len;
	uint8_t fuid[16], server_guid[16];
	char dialects[SMB_STR_MAX];  /* an SMB1 negotiate's dialect names, each NUL-ended */
	uint16_t dialects_len;
	uint8_t ndialects;
	bool setinfo;             /* a SET_INFO of a file's delete disposition */
	bool quiet;               /* not a transaction of its own (READ, WRITE, ...) */
	bool overlap;             /* its data overlapped bytes seen (smb.file_overlap) */
	bool ntlmssp;             /* a session setup's NTLMSSP AUTHENTICATE */
	char ntlm_user[SMB_SHORT_MAX], ntlm_domain[SMB_SHORT_MAX], ntlm_host[SMB_SHORT_MAX];
	char ntlm_version[SMB_SHORT_MAX];
	uint16_t ntlm_user_len, ntlm_domain_len;
	char native_os[2][SMB_SHORT_MAX], native_lm[2][SMB_SHORT_MAX]; /* SMB1 session setup */
	/* a tree connect still unanswered on a later packet to the server:
	 * shown then (smb.share: not known to be a pipe yet), once */
	bool early;
	uint64_t req_seq;         /* the packet its request came on */
	/* a DCE/RPC call on a named pipe (a WRITE and its READ, an IOCTL
	 * transceive): its smb.dcerpc object; dce_st: the pipe's bound
	 * interfaces (the flow's state, read when the record is written) */
	struct smb_dce {
		bool set, req_set, res_set;
		uint8_t req_cmd, res_cmd;
		uint16_t opnum, ctxid;
		uint16_t frag[2];
		uint32_t call_id;
		uint64_t stub_size[2];
	} dce;
	const struct dce_state *dce_st;
};
#define APP_SMB_PER_PKT 6
/* The fields of the "smb" object. */
struct jbuf;
void smb_log_fields(struct jbuf *jb, const struct smb_tx *t);

/* DCE/RPC (dcerpc.c): a call (a request and its response, or a bind or
 * alter context and its ack), as Suricata's dcerpc transaction.  Its stub
 * data, each direction's fragments in order, is kept up to DCE_STUB_MAX
 * bytes (charged to the app memcap); stub_size counts them all. */
#define DCE_STUB_MAX (64 * 1024)
struct dce_state;
struct dce_tx {
	bool used, logged;
	bool udp;                 /* connectionless (version 4) */
	bool req_done, resp_done; /* that side is over (seen, lost or cut) */
	bool req_lost, resp_lost; /* ... by a hole in the stream */
	uint8_t req_cmd, resp_cmd; /* PDU types */
	uint8_t minor;            /* rpc_vers_minor */
	uint16_t opnum, ctxid;
	uint16_t frag[2];         /* fragments to server, to client */
	uint32_t call_id;
	uint32_t seqnum;          /* connectionless: the sequence number ... */
	uint8_t activity[16];     /* ... and activity id (as on the wire) ... */
	uint8_t if_uuid[16];      /* ... and its interface, from the header */
	uint16_t if_ver;
	uint64_t tx_id;
	uint64_t seq;             /* the packet it was last shown on */
	uint8_t *stub[2];
	uint32_t stub_len[2], stub_cap[2];
	uint64_t stub_size[2];
	const struct dce_state *st; /* its connection's bound interfaces */
};
#define APP_DCE_PER_PKT 8
/* The fields of the "dcerpc" object. */
struct jbuf;
void dce_log_fields(struct jbuf *jb, const struct dce_tx *t);
/* The "dcerpc" object of an smb record (Suricata's SMB logger: opnum
 * outside req, a bind's interfaces with ack_result and ack_reason). */
void dce_smb_log_fields(struct jbuf *jb, const struct smb_tx *t);

/* RFB (rfb.c): the handshake, one transaction */
struct rfb_version {
	bool set;
	char major[3], minor[3];
};
struct rfb_tx {
	bool complete, logged;
	struct rfb_version server, client;
	bool has_sectype, has_challenge, has_response, has_result, has_reason, has_shared, has_init;
	uint32_t sectype, result;
	uint8_t challenge[16], response[16];
	bool shared;
	uint16_t width, height;
	uint8_t pixel[16];        /* the pixel format, as sent */
	char name[256];
	uint16_t name_len;
	char reason[256];
	uint16_t reason_len;
};
struct jbuf;
void rfb_log_fields(struct jbuf *jb, const struct rfb_tx *t);

/* WebSocket (websocket.c): one frame, its payload unmasked (the last
 * frame of a fragmented message: the whole message; compressed:
 * decompressed) */
struct ws_tx {
	bool used, logged, toclient;
	bool fin, has_mask;
	uint64_t seq;             /* the packet it was shown on (app_ctx.pkt_seq) */
	uint8_t flags;            /* the first byte's top four bits: FIN RSV1 RSV2 RSV3 */
	uint8_t opcode;
	uint32_t mask;
	uint64_t tx_id;
	uint8_t *payload;         /* payload_cap bytes charged */
	uint32_t payload_len, payload_cap;
};
#define APP_WS_PER_PKT 32
struct jbuf;
/* fin, mask, opcode; the payload as text and/or base64 when asked */
void ws_log_fields(struct jbuf *jb, const struct ws_tx *t, bool printable, bool b64);
/* app-layer.protocols.websocket.max-payload-size */
void ws_config(uint64_t max_payload);
/* An opcode's name (continuation, text, binary, close, ping, pong) as its
 * number, or -1. */
int ws_opcode_lookup(const char *name);

/* Frames (frames.def): the protocol units a parser cut the stream into,
 * for the frame keyword; FR_NONE is none. */
enum app_frame_type {
	FR_NONE,
#define X(id, alp, proto, name, help) FR_##id,
#include "frames.def"
#undef X
	FR_MAX
};
struct app_frame {
	const uint8_t *p;         /* a copy, valid for this packet */
	uint32_t len;
	uint8_t type, dir;        /* enum app_frame_type; 0 to server */
	uint32_t missing;         /* bytes of it lost in a gap, after those (its length: len + missing) */
	/* for the eve frame record: Suricata's id (per flow and direction,
	 * from 1), where it starts in its direction's stream (TCP: gaps
	 * counted; off_set false when not known) and its transaction */
	uint64_t id, off, tx_id;
	bool off_set, tx_set;
};
#define APP_FRAMES_PER_PKT 64
#define APP_FRAME_BYTES (256 * 1024) /* frame bytes a packet may show */
/* The frame type a rule names: "proto.name", or "name" of the rule's
 * protocol alp (Suricata's resolution); FR_NONE if none.  Its protocol
 * goes to *falp. */
int app_frame_lookup(const char *name, int alp, int *falp);
/* A frame type's name without its protocol ("pdu"), and its protocol's */
const char *app_frame_name(int type);

/* Kerberos 5 (krb5.c): one message, logged when it arrives */
#define KRB5_NAME_COMPS 8
struct krb5_name {
	bool set;
	char s[256];              /* the components joined with '/' */
	uint16_t len;
	uint8_t ncomp;
	uint16_t off[KRB5_NAME_COMPS], clen[KRB5_NAME_COMPS];
};
struct krb5_tx {
	bool used;
	uint64_t tx_id, seq;
	uint32_t msg_type;        /* 10 AS-REQ ... 30 KRB-ERROR */
	uint8_t req_type;         /* KRB-ERROR: the request it answers (0: not seen) */
	bool has_error, has_realm, has_etype, has_ticket_etype;
	int32_t error_code, etype, ticket_etype;
	struct krb5_name cname, sname;
	char realm[256];
	uint16_t realm_len;
};
#define APP_KRB5_PER_PKT 4
struct jbuf;
void krb5_log_fields(struct jbuf *jb, const struct krb5_tx *t);
int krb5_etype_lookup(const char *name); /* "rc4-hmac" -> 23, or -1 */
bool krb5_weak(int32_t etype);            /* not AES or Camellia */

/* IKE (ike.c): each IKEv1 or IKEv2 message is a transaction, written
 * when it arrives; its record also shows what the flow gathered so far
 * (the chosen transform, each side's key exchange and nonce), so the
 * transaction points back at that (struct ike_flow). */
#define IKE_ATTRS 16              /* attributes kept per IKEv1 transform */
#define IKE_ATTR_HEX 32           /* bytes kept of a variable-length attribute */
#define IKE_V1_XFORMS 8           /* IKEv1 transforms kept per message */
#define IKE_VENDORS 8             /* vendor ids kept per message */
#define IKE_VENDOR_MAX 32         /* bytes kept of a vendor id */
#define IKE_PAYLOADS 24           /* payload types listed per message */
#define IKE_NOTIFY 16             /* IKEv2 notify types listed per message */
#define IKE_V2_XFORMS 16          /* IKEv2 transforms kept (chosen_sa_attribute) */
#define IKE_KE_MAX 1024           /* key exchange bytes kept (8192-bit MODP) */
#define IKE_NONCE_MAX 256         /* nonce bytes kept (RFC 7296: 16 to 256) */
struct ike_attr {
	uint8_t type;             /* 1 alg_enc ... 16 sa_group_order; 0 others */
	uint16_t value;           /* the basic (TV) form's value, else the length */
	bool has_num, has_hex;
	uint32_t num;             /* TV value, or a 4-byte TLV value */
	uint8_t hex_len;          /* other TLV values: their first bytes */
	uint8_t hex[IKE_ATTR_HEX];
};
struct ike_xform {
	uint8_t nattr;
	struct ike_attr attr[IKE_ATTRS];
};
struct ike_v2_xform {
	uint8_t type;             /* 1 ENCR, 2 PRF, 3 INTEG, 4 DH, 5 ESN */
	uint16_t id;
};
struct ike_v1_side {              /* what one side of IKEv1 sent last */
	uint16_t ke_len, nonce_len;   /* kept bytes (ke_full/nonce_full: on the wire) */
	uint32_t ke_full, nonce_full;
	uint8_t ke[IKE_KE_MAX], nonce[IKE_NONCE_MAX];
	uint64_t nb_xforms;       /* transforms seen since the last SA */
	struct ike_xform xform;   /* the first of them */
};
struct ike_flow {
	bool has_doi;
	uint32_t doi;
	struct ike_v1_side client, server;
	/* IKEv2: the responder's choice (its last SA) */
	uint16_t alg_enc, alg_auth, alg_prf, alg_dh, alg_esn;
	uint8_t nv2x;             /* the responder's transforms, all its SAs' */
	struct ike_v2_xform v2x[IKE_V2_XFORMS];
};
struct ike_tx {
	uint64_t tx_id;
	const struct ike_flow *fl;
	uint8_t version, dir;     /* 1 or 2; 0 to server, 1 to client */
	uint8_t maj, min, exch_type, flags;
	uint32_t msg_id;
	uint64_t init_spi, resp_spi;
	char init_hex[17], resp_hex[17];  /* as Suricata's buffers and records show them */
	uint8_t npayloads;
	uint8_t payloads[IKE_PAYLOADS];
	/* IKEv1 */
	bool encrypted;
	uint8_t nxforms;
	uint32_t xforms_full;     /* transforms in the message (nxforms kept) */
	struct ike_xform xforms[IKE_V1_XFORMS];
	bool has_ke, has_nonce;
	uint16_t ke_len, nonce_len;
	uint32_t ke_full, nonce_full;
	uint8_t ke[IKE_KE_MAX], nonce[IKE_NONCE_MAX];
	uint8_t nvendors;
	char vendor[IKE_VENDORS][IKE_VENDOR_MAX * 2 + 1]; /* hex */
	uint8_t vendor_len[IKE_VENDORS];
	/* IKEv2 */
	uint32_t errors;
	uint8_t nnotify;
	uint16_t notify[IKE_NOTIFY];
	uint8_t nv2x;
	struct ike_v2_xform v2x[IKE_V2_XFORMS];
};
struct jbuf;
void ike_log_fields(struct jbuf *jb, const struct ike_tx *t);
/* ike.chosen_sa_attribute: the attribute named ("alg_enc", ...), 1..16,
 * or 0; the value of it that t chose (returns false when none). */
int ike_attr_lookup(const char *name);
bool ike_chosen_attr(const struct ike_tx *t, int attr, uint32_t *v);

/* NFS (nfs.c): a call and its reply, or a file transfer (READ or WRITE
 * chunks of one file handle in one direction) */
#define NFS_FH_MAX 128
#define NFS_NAME_MAX 256
struct nfs_tx {
	bool used, logged;
	uint64_t id;              /* 1, 2, ... (Suricata's: tx_id + 1) */
	uint32_t xid, procedure;  /* v4: the op (CREATE, REMOVE, READ, WRITE) */
	uint8_t version;          /* 2, 3 or 4 */
	bool file_tx, file_to_client, file_closed, is_first, is_last, commit;
	bool req_done, resp_done, rename, has_creds;
	uint8_t shown;            /* bit d: shown to the rules in direction d */
	int8_t file;              /* its open file (nfs.c), or -1 */
	uint32_t auth_type, uid, gid, rpc_status, nfs_status;
	uint32_t last_xid, chunks;
	char machine[NFS_NAME_MAX];
	uint16_t machine_len;
	char name[NFS_NAME_MAX];  /* RENAME: from */
	uint16_t name_len;
	char to_name[NFS_NAME_MAX];
	uint16_t to_name_len;
	uint8_t fh[NFS_FH_MAX];
	uint8_t fh_len;
};
#define APP_NFS_PER_PKT 16
struct jbuf;
void nfs_log_fields(struct jbuf *jb, const struct nfs_tx *t);  /* the "nfs" object */
void rpc_log_fields(struct jbuf *jb, const struct nfs_tx *t);  /* the "rpc" object */
/* a procedure's number in a version (v4: the op) by its name, or -1:
 * ("READ", 3) -> 6, ("READ", 4) -> 25 */
int nfs_procedure_lookup(const char *name, uint8_t version);

/* MQTT (mqtt.c): a transaction is up to MQTT_TX_MSGS messages (CONNECT
 * and CONNACK, a PUBLISH and its acknowledgements, ...), each kept as its
 * raw bytes (charged to the app memcap) and read again when logged or
 * matched; a message over max-msg-length keeps only its header byte. */
#define MQTT_TX_MSGS 4
struct mqtt_msg {
	uint8_t *raw;
	uint32_t len;
	uint8_t version;          /* the protocol version it was read with */
	bool truncated;           /* too long: hdr and skipped only */
	uint8_t hdr;
	uint32_t skipped;
};
struct mqtt_tx {
	bool used, logged, complete, toclient;
	bool has_pkt_id;
	uint32_t pkt_id;          /* the message id its reply will carry */
	uint64_t tx_id, seq;
	uint8_t nmsg;
	struct mqtt_msg msg[MQTT_TX_MSGS];
};
#define APP_MQTT_PER_PKT 8
struct jbuf;
void mqtt_log_fields(struct jbuf *jb, const struct mqtt_tx *t);
/* app-layer.protocols.mqtt.max-msg-length; outputs.eve.mqtt-passwords */
void mqtt_config(uint64_t max_len, bool passwords);
/* app-layer.protocols.{ftp,ldap}.max-tx (0: the most kept) */
void ftp_config(uint32_t max_tx);
void ldap_config(uint32_t max_tx);
/* A message type's name (connect ... auth) as its number, or -1. */
int mqtt_type_lookup(const char *name);
/* Whether a message of t satisfies a condition: numbers through num(c,
 * value); flag sets: all of want set, none of not. */
enum { MQTT_C_TYPE, MQTT_C_FLAGS, MQTT_C_QOS, MQTT_C_REASON, MQTT_C_SESSION_PRESENT,
       MQTT_C_CONNECT_FLAGS, MQTT_C_PROTO_VERSION };
enum { MQTT_F_DUP = 1, MQTT_F_RETAIN = 2 };
enum { MQTT_CF_USERNAME = 1, MQTT_CF_PASSWORD = 2, MQTT_CF_WILL = 4, MQTT_CF_WILL_RETAIN = 8,
       MQTT_CF_CLEAN_SESSION = 16 };
bool mqtt_tx_check(const struct mqtt_tx *t, int what, bool (*num)(const void *c, uint64_t v),
		   const void *c, uint32_t want, uint32_t not);
/* The sticky buffers' contents of t, through put(ud, MQTT_B_*, ...). */
enum { MQTT_B_CLIENTID, MQTT_B_USERNAME, MQTT_B_PASSWORD, MQTT_B_WILLTOPIC, MQTT_B_WILLMSG,
       MQTT_B_PROTOCOL_STRING, MQTT_B_PUB_TOPIC, MQTT_B_PUB_MESSAGE, MQTT_B_SUB_TOPIC,
       MQTT_B_UNSUB_TOPIC };
void mqtt_tx_buffers(const struct mqtt_tx *t, void (*put)(void *ud, int which, const uint8_t *p, uint32_t n),
		     void *ud);

/* POP3 (pop3.c): a command and its response (the server's greeting is a
 * transaction of its own, with no command), as Suricata's pop3
 * transaction.  A multi-line response's lines (RETR's excepted, as in
 * Suricata) are kept up to POP3_DATA_MAX bytes, charged to the app
 * memcap, each as [length:2][bytes]. */
#define POP3_ARGS_MAX 16
#define POP3_DATA_MAX (64 * 1024)
/* A command or response line is kept whole up to this (Suricata keeps a
 * line of any length); the rest of a longer one is skipped. */
#define POP3_LINE_MAX (32 * 1024)
struct pop3_tx {
	bool used, logged;
	bool has_req, has_resp;   /* the command; the response's status line */
	bool complete;            /* the response is whole (or the flow ended it) */
	bool ok;                  /* +OK, or a "+ " continuation; false: -ERR */
	uint64_t tx_id, seq;
	char cmd[32];             /* the keyword, upper case when known */
	uint8_t cmd_len;
	uint8_t nargs;
	uint16_t arg_off[POP3_ARGS_MAX], arg_len[POP3_ARGS_MAX]; /* in args[] */
	char *args;               /* the line after the keyword (POP3_LINE_MAX at most; charged) */
	uint16_t args_len;
	char *header;             /* the status line after +OK / -ERR (likewise) */
	uint16_t header_len;
	uint8_t *data;
	uint32_t data_len, data_cap;
	uint16_t ndata;
};
#define APP_POP3_PER_PKT 16       /* = POP3_MAX_TX: every transaction fits */
struct app_pop3_ref {
	const struct pop3_tx *t;
	bool done;                /* completed here: its record is written */
};
/* The fields of the "pop3" object. */
struct jbuf;
void pop3_log_fields(struct jbuf *jb, const struct pop3_tx *t);

/* IMAP (imap.c): a tagged command and its tagged completion */
struct imap_tx {
	bool used, logged;
	bool has_req, has_resp, complete;
	bool uid;                 /* UID FETCH / STORE / ...: cmd is the second word */
	bool appended;            /* APPEND: its message literal was read */
	uint64_t tx_id, seq;
	char tag[64];
	uint8_t tag_len;
	char cmd[32];             /* upper case */
	uint8_t cmd_len;
	char mailbox[256];        /* SELECT, EXAMINE, APPEND, STATUS (unquoted) */
	uint16_t mailbox_len;
	char status[4];           /* "OK", "NO", "BAD" */
	char text[256];           /* the completion's text */
	uint16_t text_len;
};
#define APP_IMAP_PER_PKT 16       /* = IMAP_MAX_TX: every transaction fits */
struct app_imap_ref {
	const struct imap_tx *t;
	bool done;                /* completed here: its record is written */
};
/* The fields of vigil's "imap" object. */
void imap_log_fields(struct jbuf *jb, const struct imap_tx *t);
/* A multi-line response's line i (i < t->ndata). */
bool pop3_data_line(const struct pop3_tx *t, unsigned i, const uint8_t **p, uint32_t *n);

/* TFTP (tftp.c): the last read or write request of a flow */
struct tftp_info {
	uint8_t opcode;           /* 1 read, 2 write */
	char file[256];
	uint16_t file_len;
	char mode[16];
	uint64_t tx_id, next_tx;
};
struct jbuf;
bool tftp_parse(const uint8_t *d, uint32_t n, struct tftp_info *t);

/* SNMP (snmp.c): one message */
#define SNMP_MAX_VARS 16
struct snmp_info {
	uint8_t version;          /* 1, 2 (v2c) or 3 */
	uint8_t pdu_type;         /* the PDU tag less 0xa0 */
	uint8_t error;
	bool encrypted, has_community, has_usm;
	char community[256];
	uint16_t community_len;
	char usm[256];
	uint16_t usm_len;
	char vars[SNMP_MAX_VARS][64]; /* the variables' names, dotted */
	uint8_t nvars;
	uint64_t tx_id;
};
bool snmp_parse(const uint8_t *d, uint32_t n, struct snmp_info *m);
void snmp_log_fields(struct jbuf *jb, const struct snmp_info *m);
void tftp_log_fields(struct jbuf *jb, const struct tftp_info *t);
/* Whether d starts like an LDAP message. */
bool ldap_probe(const uint8_t *d, uint32_t n);
/* The fields of the "ldap" object. */
struct jbuf;
void ldap_log_fields(struct jbuf *jb, const struct ldap_tx *t);
/* For the ldap.* keywords: a message's protocolOp number (its tag's low
 * bits: bind_request 0, search_request 3, search_result_done 5, ...), and
 * views into its raw bytes; false when it has none. */
int ldap_op_number(const struct ldap_msg *m);
const char *ldap_op_name_of(int number);
int ldap_result_lookup(const char *name); /* a result code's name, or -1 */
bool ldap_result_code(const struct ldap_msg *m, uint64_t *code);
bool ldap_msg_dn(const struct ldap_msg *m, const uint8_t **p, uint32_t *n);
/* The attribute types of a message, at most max into p/n, in order:
 * a search request's attribute list, a modify request's changed types, an
 * add request's attributes, a compare request's attribute; a search
 * result entry's attributes.  Returns how many. */
unsigned ldap_msg_attr_types(const struct ldap_msg *m, const uint8_t **p, uint32_t *n, unsigned max);
bool ldap_msg_message(const struct ldap_msg *m, const uint8_t **p, uint32_t *n);
/* Whether d starts like a SIP message (a request or a status line). */
bool sip_probe(const uint8_t *d, uint32_t n);
/* Parses a message's head (or a datagram); false when it is not SIP. */
bool sip_parse(struct sip_msg *m, const uint8_t *d, uint32_t n);
/* The fields of the "sip" object. */
struct jbuf;
void sip_log_fields(struct jbuf *jb, const struct sip_msg *m);

/* The parts of an HTTP transaction, in arrival order (tx.http_fresh) */
/* the parts of an HTTP transaction in the order they arrive; a request's
 * line comes before its headers (the line alone is exposed once parsed) */
enum { HTTP_P_REQ_LINE = 1, HTTP_P_REQ_HEAD = 2, HTTP_P_REQ_BODY = 4, HTTP_P_RESP_HEAD = 8,
       HTTP_P_RESP_BODY = 16 };

/* DNS messages one packet can complete (TCP: pipelined messages, and a
 * request whose hole was skipped when the response acknowledged it;
 * clients pipeline 20 and more in one segment).  Past it the last slot
 * is reused.  The slots are only touched when used, so the ones a packet
 * never fills cost address space, not memory. */
#define APP_DNS_PER_PKT 32

/* A file carried by a protocol (so far: an HTTP body), for fileinfo
 * records: its name (Content-Disposition's filename, else the URI's
 * path), its size as decoded, whether it ended or was cut off. */
struct app_file {
	char name[256];
	uint16_t name_len;
	uint64_t size;
	struct file_facts facts;  /* digests and magic, as wanted (file.h) */
	uint32_t tx_id;
	bool truncated;
	bool to_client;           /* a response body */
	const struct http_msg *req, *resp;
	const struct smtp_info *smtp; /* an SMTP attachment: its transaction */
	uint8_t alp;              /* the carrying protocol when no pointer here says (POP3, IMAP) */
	const struct ftpdata_info *ftpdata; /* an FTP data connection's file */
	bool smb;                 /* carried by SMB READ / WRITE ... */
	const struct smb_tx *smb_tx; /* ... by this file transaction (NULL at flow end) */
	const struct nfs_tx *nfs_tx; /* carried by NFS READ / WRITE: its file transaction */
	const struct h2_tx *h2;   /* carried by this HTTP/2 stream */
	const uint8_t *data;      /* its first bytes for file.data (SMTP; HTTP's are the body) */
	uint32_t data_len;
	uint64_t range_start, range_end; /* a 206 response's part: its Content-Range
					  * (end 0: not a part) */
};
#define APP_FILES_PER_PKT 4       /* files that may end on one packet */

/* An SMTP transaction (smtp.c): the envelope and what the message's MIME
 * headers said, as Suricata's smtp and email objects carry them. */
#define SMTP_LIST_MAX 8
#define SMTP_STR_MAX 256
struct smtp_list {
	char v[SMTP_LIST_MAX][SMTP_STR_MAX];
	uint16_t len[SMTP_LIST_MAX];
	uint8_t n;
};
/* The message headers Suricata's extended and custom smtp logging name
 * (outputs.eve.types.smtp-extended / smtp-custom), in its order. */
#define SMTP_FIELDS(X) \
	X(REPLY_TO, "reply_to", "reply-to") X(BCC, "bcc", "bcc") \
	X(MESSAGE_ID, "message_id", "message-id") X(SUBJECT, "subject", "subject") \
	X(X_MAILER, "x_mailer", "x-mailer") X(USER_AGENT, "user_agent", "user-agent") \
	X(RECEIVED, "received", "received") X(X_ORIGINATING_IP, "x_originating_ip", "x-originating-ip") \
	X(IN_REPLY_TO, "in_reply_to", "in-reply-to") X(REFERENCES, "references", "references") \
	X(IMPORTANCE, "importance", "importance") X(PRIORITY, "priority", "priority") \
	X(SENSITIVITY, "sensitivity", "sensitivity") X(ORGANIZATION, "organization", "organization") \
	X(CONTENT_MD5, "content_md5", "content-md5") X(DATE, "date", "date")
enum smtp_field {
#define X(id, key, hdr) SMTP_F_##id,
	SMTP_FIELDS(X)
#undef X
	SMTP_F_MAX
};
extern const char *const smtp_field_keys[SMTP_F_MAX];
/* The field of a header name ("x-mailer", any case), or -1. */
int smtp_field_by_header(const char *name);
#define SMTP_HDRS_MAX 16
struct smtp_hdrs {                /* the message's headers of that table, as they came */
	uint8_t field[SMTP_HDRS_MAX];
	uint16_t len[SMTP_HDRS_MAX];
	char v[SMTP_HDRS_MAX][SMTP_STR_MAX];
	uint8_t n;
};

struct smtp_info {
	const char *helo;         /* the session's (struct smtp_state), as long as its line */
	char mail_from[SMTP_STR_MAX];
	uint16_t helo_len, mail_from_len;
	struct smtp_list rcpt_to;
	bool email;               /* message data was seen (DATA) */
	bool parse_done;          /* ... and its MIME structure ended cleanly */
	char from[SMTP_STR_MAX], subject[SMTP_STR_MAX];
	uint16_t from_len, subject_len;
	struct smtp_list to, cc, attachment, url;
	struct smtp_hdrs hdrs;
	uint8_t body_md5[16];     /* app-layer.protocols.smtp.mime.body-md5 */
	bool body_md5_set;
	uint32_t tx_id;
	bool logged;
};

/* An FTP command and its reply (ftp.c), as Suricata's ftp object. */
#define FTP_REPLY_MAX 4
#define FTP_REPLY_LEN 256
#define FTP_NAME_MAX 256
#define FTP_CMD_DATA_MAX 4096     /* a command line's data: the line's 4 KiB less the command */
enum { FTP_MODE_NONE, FTP_MODE_PASSIVE, FTP_MODE_ACTIVE };
struct ftp_info {
	char command[16];
	char *command_data;       /* command_data_len bytes and a NUL; NULL when
				   * none (or refused by the FTP memcap) */
	uint16_t command_data_len;
	bool command_truncated;   /* the command line was longer than 4 KiB: cut */
	bool reply_truncated;     /* a reply line was */
	char *reply[FTP_REPLY_MAX];   /* nreply lines, each NUL-terminated */
	char code[FTP_REPLY_MAX][4];
	uint8_t nreply;
	uint16_t dynamic_port;
	uint8_t mode;
	bool reply_received;
	uint32_t tx_id;
	/* (ftp.c's own: the record's list link, the bytes it charged) */
	struct ftp_info *next;
	uint32_t mem;
};
/* What an FTP data connection carries: the command that opened it. */
struct ftpdata_info {
	char command[8];
	char filename[FTP_NAME_MAX];
};
#define APP_FTP_PER_PKT 8

/* HTTP/2 (http2.c): each stream is a transaction (stream 0's frames each
 * one of their own, as in Suricata).  Its request and response heads are
 * kept as struct http_msg (pseudo-headers included, "GET /path HTTP/2" as
 * the request line) so the http.* buffers and records read them as they
 * read HTTP/1's; the frame facts the http2.* keywords and the http2
 * object need are kept per direction, a few of each. */
#define H2_SIDE_LIST 8            /* error codes, priorities, windows, size updates kept */
#define H2_SETTINGS_MAX 16        /* settings kept per direction */
struct h2_side {
	uint16_t types;           /* frame types seen (bit per type; bit 15: unknown types) */
	uint16_t fresh;           /* ... on this packet */
	uint8_t nerr, nprio, nwin, nsu, nset;
	bool settings;            /* a SETTINGS frame was seen */
	uint32_t err[H2_SIDE_LIST];
	uint8_t prio[H2_SIDE_LIST];
	uint32_t win[H2_SIDE_LIST];
	uint32_t su[H2_SIDE_LIST];
	struct { uint16_t id; uint32_t val; } set[H2_SETTINGS_MAX];
	bool headers;             /* a header block ended */
	bool end;                 /* END_STREAM or RST_STREAM */
	uint8_t *fb;              /* decoded header fields: name, value, ... (charged) */
	uint32_t fb_len, fb_cap;
	uint32_t (*fl)[4];        /* per field: name offset, name length, value offset, length */
	uint16_t nfl, fl_cap;
};
struct h2_tx {
	bool used, logged, complete;
	bool doh;                 /* carries DNS (DNS over HTTP/2) */
	uint32_t stream_id;
	uint64_t tx_id, seq;      /* seq: the packet that last touched it */
	uint8_t fresh;            /* HTTP_P_* parts that arrived on that packet */
	struct h2_side side[2];
	struct http_msg req, resp;
	const uint8_t *body[2];   /* exposed on that packet (decoded, capped) */
	uint32_t body_len[2];
	uint64_t sent_len[2];     /* DATA bytes as sent */
	struct dns_msg *dns[2];   /* DoH: the query and the answer (charged) */
};
#define APP_H2_PER_PKT 8
struct jbuf;
/* The "http" object of an HTTP/2 transaction (records and alerts). */
void h2_log_fields(struct jbuf *jb, const struct h2_tx *t);
/* Whether a transaction has something for its record (Suricata writes
 * none for a stream 0 PING or WINDOW_UPDATE). */
bool h2_tx_loggable(const struct h2_tx *t);
/* http2.* conditions: H2_C_* on the frames of this packet of t. */
enum { H2_C_FRAMETYPE, H2_C_ERRORCODE, H2_C_PRIORITY, H2_C_WINDOW, H2_C_SIZE_UPDATE,
       H2_C_SETTINGS };
bool h2_tx_check(const struct h2_tx *t, int what, uint32_t id, bool (*num)(const void *c, uint64_t v),
		 const void *c);
/* app-layer.protocols.http2.enabled (once at start; default on) */
void h2_config(bool enabled);
int h2_frametype_lookup(const char *name);
int h2_errorcode_lookup(const char *name);
int h2_setting_lookup(const char *name);

/* What the app layer parsed on the current packet, for eve and rules. */
/* BitTorrent DHT (btdht.c): one KRPC message, a transaction */
#define BTDHT_STR_MAX 128         /* bytes kept of a string value */
#define BTDHT_NODES_MAX 16        /* compact nodes kept of a response */
#define BTDHT_VALUES_MAX 32       /* peers kept of a get_peers response */
struct btdht_str {
	uint8_t b[BTDHT_STR_MAX];
	uint16_t len;
	bool set;
};
struct btdht_node {
	uint8_t id[20], ip[16], ip_len;
	uint16_t port;
};
struct btdht_peer {
	uint8_t ip[16], ip_len;
	uint16_t port;
};
struct btdht_tx {
	uint64_t tx_id;
	uint8_t kind;             /* 'q' query, 'r' response, 'e' error; 0 none */
	struct btdht_str transaction_id, client_version, request_type;
	/* query arguments */
	struct btdht_str id, target, info_hash, req_token;
	uint8_t implied_port;
	uint16_t port;
	bool has_implied_port, has_port;
	/* response */
	struct btdht_str resp_id, resp_token;
	struct btdht_node nodes[BTDHT_NODES_MAX], nodes6[BTDHT_NODES_MAX];
	uint8_t nnodes, nnodes6;
	struct btdht_peer values[BTDHT_VALUES_MAX];
	uint8_t nvalues;
	/* error */
	uint16_t err_num;
	struct btdht_str err_msg;
};
/* Decodes one KRPC message into t (zeroed, its tx_id set); false when it
 * is malformed (t keeps what Suricata's would: see btdht.c). */
bool btdht_parse(const uint8_t *d, uint32_t n, struct btdht_tx *t);
/* Whether a datagram starts as Suricata's detection pattern wants. */
bool btdht_probe(const uint8_t *d, uint32_t n);
struct jbuf;
/* The fields of the "bittorrent_dht" object. */
void btdht_log_fields(struct jbuf *jb, const struct btdht_tx *t);
/* NTP (ntp.c): 1 when d holds a version 3 or 4 header (*mode: its mode),
 * 0 when it is too short to say, -1 when it is not NTP. */
int ntp_probe(const uint8_t *d, uint32_t n, uint8_t *mode);

struct app_tx {
	uint8_t alproto;
	uint8_t ndns;             /* DNS messages completed on this packet */
	struct dns_msg dns[APP_DNS_PER_PKT];
	/* TLS: the flow's handshake and what arrived on this packet (TLS_ST_*) */
	const struct tls_info *tls;
	uint8_t tls_new;
	bool tls_log;             /* the handshake's eve tls record is ready */
	/* HTTP heads completed on this packet */
	const struct http_msg *http_req, *http_resp;
	bool http_log;            /* a request/response pair is ready for eve */
	uint8_t http_fresh;       /* HTTP_P_* parts that arrived on this packet */
	/* HTTP bodies ready on this packet: [0] request, [1] response
	 * (decompressed, capped) */
	const uint8_t *body[2];
	uint32_t body_len[2];
	/* with a response's head or body: its request's body, kept (=> rules
	 * read it with the response) */
	const uint8_t *req_body;
	uint32_t req_body_len;
	/* files that ended on this packet (fileinfo, file keywords) */
	const struct app_file *files[APP_FILES_PER_PKT];
	uint8_t nfiles;
	/* SMTP: a transaction whose fields changed / that is ready for eve */
	const struct smtp_info *smtp;
	bool smtp_log;
	/* SMTP: the transaction under way whose message headers ended on
	 * this packet (smtp.* and email.* are matched on it then) */
	const struct smtp_info *smtp_hdrs;
	/* FTP: commands answered on this packet (eve ftp), a command that
	 * arrived on it (ftp.command); a data connection's file ended */
	const struct ftp_info *ftp[APP_FTP_PER_PKT];
	uint8_t nftp;
	const struct ftp_info *ftp_cmd;
	/* commands the server's close left unanswered (ftp.reply_received:
	 * no; detection only: eve writes them at flow end) */
	const struct ftp_info *ftp_unans[APP_FTP_PER_PKT];
	uint8_t nftp_unans;
	const struct ftpdata_info *ftpdata;
	bool ftpdata_log;
	const struct ftpdata_info *ftpdata_flow; /* a data connection's first data */
	/* SSH: banners or KEXINIT on this packet */
	const struct ssh_info *ssh;
	bool ssh_new, ssh_log;
	/* QUIC: a client Initial was decrypted on this packet */
	const struct quic_info *quic;
	bool quic_log;
	bool quic_long;           /* a long-header packet (either side) ... */
	uint8_t quic_version[4];  /* ... of this version (quic.version) */
	/* SNMP: the message of this packet */
	const struct snmp_info *snmp;
	/* TFTP: a request on this packet */
	const struct tftp_info *tftp;
	/* LDAP: the transactions this packet completed */
	const struct ldap_tx *ldap[APP_LDAP_PER_PKT];
	uint8_t nldap;
	/* SIP: the messages this packet completed */
	const struct sip_msg *sip[APP_SIP_PER_PKT];
	uint8_t nsip;
	/* SMB: transactions a request or response of this packet touched
	 * (smb_log: written to eve when their response came) */
	const struct smb_tx *smb[APP_SMB_PER_PKT];
	uint8_t nsmb;
	/* DCE/RPC (over TCP or UDP, in SMB named pipes): the call whose
	 * request or response completed on this packet (dce_tx, its stub data
	 * of direction dce_dir), and the interface the server accepted for it
	 * (dce: dcerpc.iface, dcerpc.opnum) */
	const struct dce_tx *dce_tx;
	uint8_t dce_dir;
	bool dce;
	bool dce_has_opnum;
	uint16_t dce_ver, dce_opnum;
	uint8_t dce_uuid[16];     /* as on the wire (little-endian fields) */
	/* the RFB handshake, completed on this packet */
	const struct rfb_tx *rfb;
	/* NFS transactions shown to the rules on this packet, and those to
	 * write as nfs records */
	const struct nfs_tx *nfs[APP_NFS_PER_PKT];
	uint8_t nnfs;
	const struct nfs_tx *nfslog[APP_NFS_PER_PKT];
	uint8_t nnfslog;
	/* the IKE message of this packet */
	const struct ike_tx *ike;
	/* Kerberos messages of this packet */
	const struct krb5_tx *krb5[APP_KRB5_PER_PKT];
	uint8_t nkrb5;
	/* MQTT transactions completed on this packet */
	const struct mqtt_tx *mqtt[APP_MQTT_PER_PKT];
	uint8_t nmqtt;
	/* POP3 transactions whose command or response came on this packet */
	struct app_pop3_ref pop3[APP_POP3_PER_PKT];
	uint8_t npop3;
	/* IMAP transactions whose command or completion came on this packet */
	struct app_imap_ref imap[APP_IMAP_PER_PKT];
	uint8_t nimap;
	/* DCE/RPC calls over, to be written as dcerpc records */
	const struct dce_tx *dcelog[APP_DCE_PER_PKT];
	uint8_t ndcelog;
	/* WebSocket frames completed on this packet */
	const struct ws_tx *ws[APP_WS_PER_PKT];
	uint8_t nws;
	/* protocol frames completed on this packet (frame keyword) */
	struct app_frame frames[APP_FRAMES_PER_PKT];
	uint8_t nframes;
	/* HTTP/2 transactions touched on this packet (h2_log: complete here) */
	const struct h2_tx *h2[APP_H2_PER_PKT];
	uint8_t nh2;
	bool h2_log[APP_H2_PER_PKT];
	/* a TLS or SSH session became encrypted (both sides) on this packet */
	bool encrypted;
	/* app-layer events raised on this packet */
	app_events_t events;
	/* a config rule matched this packet's transaction: no records of it */
	bool nolog;
	/* BitTorrent DHT: the message of this packet, when complete */
	const struct btdht_tx *btdht;
	/* the transaction this packet's app-layer events belong to (their
	 * anomaly records' tx_id, as Suricata's name it: SMTP, BitTorrent
	 * DHT), or -1 */
	int64_t ev_tx_id;
	/* a parser gave up on this packet (app_layer.error.<proto>.parser):
	 * app-layer.error-policy */
	bool parser_error;
};

struct app_cfg {
	uint32_t req_body_limit, resp_body_limit;
	uint64_t memcap;          /* this worker's share */
	bool no_decompress;       /* response-body-decompress-layer-limit 0 */
	uint8_t decompress_layers; /* the limit (0: libhtp's 2) */
	uint64_t ftp_memcap;      /* this worker's share of app-layer.protocols.ftp.memcap (0: none) */
};

struct app_ctx {
	struct counters *cnt;
	struct app_tx tx;         /* reset per packet */
	uint64_t pkt_seq;         /* per packet, for buffers exposed to rules */
	uint32_t req_body_limit, resp_body_limit;
	struct http_cfg *http_cfg; /* libhtp's settings (http.c) */
	bool no_decompress;
	struct memcap mc;         /* bodies, handshake buffers, certificates */
	struct memcap ftp_mc;     /* FTP connections' state (ftp.memuse, ftp.memcap) */
	struct app_file file[APP_FILES_PER_PKT]; /* tx.files point here */
	struct flow *cur;         /* the flow being parsed (its transaction count) */
	/* the stream bytes being delivered (app_stream_data) and the offset
	 * of the first in their direction's stream, for frames' offsets */
	const uint8_t *dl_p;
	uint32_t dl_len;
	uint64_t dl_off;
	uint64_t sim_err_at[2];   /* testing: a parser error at stream offset N-1 (0: off) */
};

void app_ctx_init(struct app_ctx *a, const struct app_cfg *c, struct counters *cnt);
/* Testing the exception policies (Suricata's --simulate-applayer-error-
 * at-offset-ts/tc): a TCP flow's parser fails on the bytes at offset
 * at[dir] - 1 of that direction's stream (0: never). */
void app_sim_errors(struct app_ctx *a, const uint64_t at[2]);
/* email.url: whether and which URLs SMTP messages' text parts give
 * (schemes without "://", up to 8), and whether the scheme is kept. */
void smtp_url_config(bool on, const char *const *schemes, size_t n, bool keep_scheme);
/* app-layer.protocols.smtp.mime.body-md5 (once at start) */
void smtp_md5_config(bool body);
/* A file record for this packet (tx.files), or NULL when the packet has
 * APP_FILES_PER_PKT already (the file is then not reported). */
struct app_file *app_file_slot(struct app_ctx *a);
/* An HTTP request file that ends on this packet (a body, a multipart
 * part) shows its transaction's request head with it (app_tx http_req,
 * when the packet has none), so that a rule reading both (http.method with
 * filename) sees them together, as Suricata's transaction inspection
 * does.  Call while the HTTP state is alive. */
void app_file_heads(struct app_ctx *a, const struct app_file *fi);
/* A body buffer is about to be reused or freed: the files of this packet
 * that show its bytes as file.data stop showing them. */
void app_files_forget(struct app_ctx *a, const uint8_t *buf);
static inline void app_event(struct app_ctx *a, enum app_event e)
{
	a->tx.events.w[e / 64] |= 1ULL << (e % 64);
}

/* Called with TCP stream data (from the stream callback) and for each UDP
 * payload.  Sets f->alproto on detection and fills ctx->tx. */
void app_stream_data(struct app_ctx *a, struct flow *f, int dir, const uint8_t *data,
		     uint32_t len, unsigned flags);
void app_udp(struct app_ctx *a, struct flow *f, struct packet *p);
/* Clears the per-packet transaction view. */
void app_tx_reset(struct app_ctx *a);
/* Frees f->app (and returns its memory to a's memcap). */
void app_flow_free_ctx(struct app_ctx *a, struct flow *f);
/* An HTTP request of the flow not written to eve yet (at flow end): the
 * pipelined ones still waiting, oldest first, then the last; NULL when
 * none is left.  Marks it written. */
const struct http_msg *app_http_unlogged(struct flow *f, const struct http_msg **resp);
/* For alert records: the flow's TLS handshake (NULL before a
 * ClientHello); its last HTTP request and the response to it, if any. */
const struct tls_info *app_tls_peek(const struct flow *f);
const struct ssh_info *app_ssh_peek(const struct flow *f);
const struct http_msg *app_http_peek(const struct flow *f, const struct http_msg **resp);
/* The flow's TLS handshake if not written to eve yet (marks it written),
 * or NULL. */
const struct tls_info *app_tls_unlogged(struct flow *f);
/* The SMTP transaction under way if not written to eve yet (flow end). */
const struct smtp_info *app_smtp_unlogged(struct flow *f);
/* The SMTP transaction under way on f (alerts' smtp and email objects). */
const struct smtp_info *app_smtp_peek(const struct flow *f);
/* FTP commands never answered (flow end), one per call; a data
 * connection's command and file (alerts). */
const struct ftp_info *app_ftp_unanswered(struct flow *f);
const struct ftpdata_info *app_ftpdata_peek(const struct flow *f);
const struct ftp_info *app_ftp_peek(const struct flow *f);
const struct ssh_info *app_ssh_unlogged(struct flow *f);
/* A config rule matched: the transaction of this packet (and an HTTP
 * request's record, written later) is not logged. */
void app_tx_nolog(struct app_ctx *a, struct flow *f);
/* The last TFTP request of f, or NULL. */
const struct tftp_info *app_tftp_peek(const struct flow *f);
/* An LDAP transaction of f not logged yet (flow end), or NULL. */
const struct ldap_tx *app_ldap_unlogged(struct flow *f);
const struct dce_tx *app_dcerpc_unlogged(struct flow *f);
const struct pop3_tx *app_pop3_unlogged(struct flow *f);
const struct imap_tx *app_imap_unlogged(struct flow *f);
const struct mqtt_tx *app_mqtt_unlogged(struct flow *f);
const struct rfb_tx *app_rfb_unlogged(struct flow *f);
const struct nfs_tx *app_nfs_unlogged(struct flow *f);
/* HTTP/2 transactions not logged yet (flow end), one per call; the
 * flow's latest transaction with a request (alerts). */
const struct h2_tx *app_h2_unlogged(struct flow *f);
const struct h2_tx *app_h2_peek(const struct flow *f);
const char *tls_version_name(uint16_t v);
/* The connection's direction dir saw FIN or RST (ends close-delimited
 * HTTP bodies, so they are inspected on this packet). */
void app_tcp_close(struct app_ctx *a, struct flow *f, int dir);
/* After a TCP packet's stream data: per-direction conditions that do not
 * need data on the packet (ftpdata_command). */
void app_tcp_packet(struct app_ctx *a, struct flow *f, int dir);

/* The transactions f's parsers started (flow.tx_cnt, as Suricata's
 * parser's transaction counter): 0 for none. */
uint64_t app_flow_tx_cnt(const struct flow *f);

/* The last request of f (for the eve record of a response). */
const struct http_msg *app_http_last_request(const struct flow *f);
/* At flow end: an HTTP body still open in either direction (cut off),
 * once; NULL if none. */
const struct app_file *app_http_open_file(struct flow *f);

/* DNS (dns.c): parses one message (no TCP length prefix).  Returns false
 * if it is not DNS at all. */
bool dns_parse(const uint8_t *data, uint32_t len, struct dns_msg *m);
const char *dns_rrtype_name(uint16_t t, char buf[static 8]);
const char *dns_rcode_name(uint8_t rc, char buf[static 8]);

/* ---- records: each protocol writes the body of its own eve record,
 * beside its parser; output/eve.c writes the envelope around it ---- */
struct jbuf;
/* The "dns" object (Suricata's version 3): formats bit 1 detailed
 * answers, bit 2 grouped. */
void dns_log(struct jbuf *jb, const struct dns_msg *m, uint8_t formats);
/* An mDNS message as Suricata 8's mdns object: lower-case types, each
 * record's data under its type's name (a TXT record's strings one list). */
void mdns_log(struct jbuf *jb, const struct dns_msg *m);
/* The fields of the "http" object (http records and alerts): headers
 * bit 1 every request header, bit 2 every response header. */
void http_log_fields(struct jbuf *jb, const struct http_msg *req, const struct http_msg *resp,
		     uint8_t headers);
/* The fields of the "tls" object (tls records and alerts). */
void tls_log_fields(struct jbuf *jb, const struct tls_info *t);
/* The fields of the "ssh" object: client and server. */
void ssh_log_fields(struct jbuf *jb, const struct ssh_info *s);
/* The fields of the "quic" object. */
void quic_log_fields(struct jbuf *jb, const struct quic_info *qi);
/* {"hash": ..., "string": ...} under key (ja3, ja3s, hassh). */
void app_log_hash(struct jbuf *jb, const char *key, const char *hash, const char *str, size_t len);
/* A list of ALPN names under key (TLS, QUIC); nothing when n is 0. */
void app_log_alpns(struct jbuf *jb, const char *key, uint8_t n, const uint8_t *len,
		   const char (*v)[32]);

#endif
