/*
 * eve.h - EVE JSON records, in Suricata's field names and formats, so jq
 * scripts, EveBox and SIEM shippers read vigil's eve.json unchanged.  Each
 * writer appends one complete record plus '\n' to a jbuf; the caller
 * batches records and hands them to a sink.
 */
#ifndef VIGIL_EVE_H
#define VIGIL_EVE_H

#include "counters.h"
#include "json.h"
#include "detect.h"
#include "stream.h"
#include "identity.h"

#define APP_ROWS_MAX 48 /* room for eve.c's app-layer record writers */

struct eve_cfg {
	bool flow, stats, anomaly, anomaly_decode, anomaly_stream, community_id;
	bool alert, alert_payload, alert_payload_printable, alert_packet, simulate_ips, drop, dns, http, tls;
	bool tagged_packets;
	bool ethernet;
	bool ssh, quic, sip, ldap, dcerpc, pop3, imap, mqtt, krb5, rfb, tftp, snmp, anomaly_applayer, files, smtp, ftp;
	bool ike;
	bool nfs;
	bool websocket, alert_ws_payload, alert_ws_payload_printable;
	bool http2, doh2;          /* HTTP/2 http records; DNS over HTTP/2 dns records */
	bool mdns;
	bool btdht;                /* bittorrent_dht records */
	bool frame;                /* frame records ... */
	uint32_t frame_payload_max; /* ... and the payload bytes of each */
	uint8_t http_headers;      /* bit 1 request, bit 2 response */
	bool dns_requests, dns_responses;
	uint8_t dns_formats;       /* bit 1 detailed, bit 2 grouped */
	uint16_t cid_seed;
	const struct identity *idm; /* the worker's current identity map, may be NULL */
	struct jbuf *scratch;       /* the worker's: policy alert bodies, reused (may be NULL) */
	/* the exception policy in force per target (config_xp): what the
	 * flow record names for the targets a flow hit */
	uint8_t xp[XP_TARGET_MAX];
	/* the app-layer record writers enabled, in order, on a packet and at
	 * flow end (eve_cfg_from; without it, as a test's hand-made config
	 * has, each is asked) */
	bool rows_ready;
	uint8_t nrows, nend_rows;
	uint8_t rows[APP_ROWS_MAX];
	uint8_t end_rows[APP_ROWS_MAX]; /* those written at flow end, in their order */
};

void eve_cfg_from(struct eve_cfg *ec, const struct config *c);

/* "TCP", "UDP", "ICMP", "IPv6-ICMP", ... or the number. */
const char *eve_proto_name(uint8_t proto, char buf[static 4]);

/* The common head: timestamp, flow_id, pcap_cnt, event_type, vlan,
 * addresses, ports, proto.  p may be NULL (flow records). */
void eve_header(struct jbuf *jb, vtime_t ts, const char *type, const struct flow *f,
		const struct packet *p, const struct eve_cfg *ec);

void eve_flow_record(struct jbuf *jb, const struct flow *f, const struct eve_cfg *ec);
/* Returns false if the event's type is not enabled (nothing written). */
bool eve_anomaly_record(struct jbuf *jb, const struct packet *p, enum event_id ev,
			const struct eve_cfg *ec);
/* vigil's own alerts (gid 7): the policy layer writes each finding's
 * signature and "policy" object (policy/record.c, policy_alert_*) into pa
 * after eve_policy_begin; eve_policy_alert wraps it in the envelope and
 * the "alert" object.  at: where the finding is, which makes the
 * envelope: an alert on packet p (direction, pkt_src, app_proto: a rule's
 * alert has the same), packet p alone, or flow f at ts (its app_proto,
 * and its counts when the finding asks for them: pa->flow_counts). */
enum eve_at { EVE_AT_ALERT, EVE_AT_PACKET, EVE_AT_FLOW };
struct policy_alert;
struct policy_alert *eve_policy_begin(struct policy_alert *pa, const struct eve_cfg *ec);
void eve_policy_alert(struct jbuf *jb, enum eve_at at, const struct packet *p,
		      const struct flow *f, vtime_t ts, struct policy_alert *pa,
		      const struct eve_cfg *ec);
/* An alert record for a match on p.  blocked: the packet was dropped
 * (inline, or --simulate-ips), shown as alert.action "blocked". */
struct app_tx;
/* tx: the app-layer work of p, for the alert's "dns" object (NULL: none) */
void eve_alert_record(struct jbuf *jb, const struct packet *p, const struct app_tx *tx,
		      const struct detect_alert *a,
		      bool blocked, const struct eve_cfg *ec);
/* Acknowledged delivery: an alert found where a direction's data was
 * parsed (p, a pseudo-packet of that direction) and written on the
 * direction's next packet.  eve_alert_defer renders into jb (reset) what
 * does not depend on the packet that writes it: the alert object, then
 * (from *split on) the app layer's objects, files and frame;
 * eve_alert_deferred writes the record on packet p from that fragment,
 * with p's envelope, the flow's counters now and p's payload. */
void eve_alert_defer(struct jbuf *jb, const struct packet *p, const struct app_tx *tx,
		     const struct detect_alert *a, const struct eve_cfg *ec, size_t *split);
void eve_alert_deferred(struct jbuf *jb, const struct packet *p, const char *frag, size_t split,
			size_t len, bool stream, const struct eve_cfg *ec);
/* A dns record for message m seen in p. */
/* The protocols' records for what the app layer did on packet p (tx), or,
 * with tx NULL, for flow f as it ends (what was never written; p is
 * then a TCP flow's flow-timeout pseudo-packet, or NULL):
 * one table of protocols (type, enabled by, writer, end order) drives
 * both, so a new protocol is one row.  Each protocol writes its record's
 * body itself (app.h: dns_log, tls_log_fields, ...). */
void eve_app_records(struct jbuf *jb, const struct packet *p, struct flow *f,
		     const struct app_tx *tx, const struct eve_cfg *ec);
void eve_dns_record(struct jbuf *jb, const struct packet *p, const struct dns_msg *m,
		    const struct eve_cfg *ec);

/* An http record for a request (and its response, if any).  p may be NULL
 * (at flow end): then f gives the addresses and time. */
void eve_http_record(struct jbuf *jb, const struct packet *p, const struct flow *f,
		     const struct http_msg *req, const struct http_msg *resp,
		     const struct eve_cfg *ec);

/* A tls record for the handshake of f (t from app_tls_summary). */
void eve_tls_record(struct jbuf *jb, const struct packet *p, const struct flow *f,
		    const struct tls_info *t, const struct eve_cfg *ec);
/* An ssh record (banners, hassh); p may be NULL at flow end. */
void eve_ssh_record(struct jbuf *jb, const struct packet *p, const struct flow *f,
		    const struct ssh_info *s, const struct eve_cfg *ec);
void eve_quic_record(struct jbuf *jb, const struct packet *p, const struct flow *f,
		     const struct quic_info *q, const struct eve_cfg *ec);
/* An anomaly record of type applayer for each event in the mask. */
/* The fileinfo records of the files that closed on this packet (after the
 * rules: they decide what the file store keeps). */
void eve_file_records(struct jbuf *jb, const struct packet *p, struct flow *f,
		      const struct app_tx *tx, const struct eve_cfg *ec);
/* One file's fileinfo record (with its newline), whatever the types
 * enabled: the file store's metadata file (file-store.write-fileinfo).
 * p may be NULL (at flow end: the flow's last time). */
void eve_file_record(struct jbuf *jb, const struct packet *p, struct flow *f,
		     const struct app_file *fi, const struct eve_cfg *ec);
/* A file record rendered now and written later, on a packet of the
 * file's direction (stream.inline no/auto: a file ends where the peer's
 * packet acknowledges its bytes, and Suricata logs it on the next packet
 * in its own direction): eve_file_defer renders its members after the
 * header into jb, eve_file_deferred writes the header of p and them. */
void eve_file_defer(struct jbuf *jb, struct flow *f, const struct app_file *fi,
		    const struct eve_cfg *ec);
void eve_file_deferred(struct jbuf *jb, const struct packet *p, struct flow *f, bool to_client,
		       const char *frag, size_t len, const struct eve_cfg *ec);
void eve_applayer_anomalies(struct jbuf *jb, const struct packet *p, int64_t tx_id, const app_events_t *events,
			    const struct eve_cfg *ec);

/* A drop record (Suricata's eve "drop") for a packet a rule dropped. */
void eve_drop_record(struct jbuf *jb, const struct packet *p, const struct eve_cfg *ec);
/* A drop record giving why (drop.reason: "rules", "stream midstream",
 * "exception policy flow drop", ...). */
void eve_drop_record_why(struct jbuf *jb, const struct packet *p, const struct eve_cfg *ec,
			 const char *reason);
/* A packet tagged by a rule's tag keyword: event_type "packet". */
void eve_packet_record(struct jbuf *jb, const struct packet *p, const struct eve_cfg *ec);

/* A fast.log line for the same alert. */
void fast_log_line(struct jbuf *jb, const struct packet *p, const struct detect_alert *a,
		   bool blocked);

/* Stats from summed counters and event counts. */
void eve_stats_record(struct jbuf *jb, vtime_t now, uint64_t uptime_sec,
		      const struct counters *c, const uint64_t ev[EV_MAX]);

#endif
