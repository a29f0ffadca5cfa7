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
#include "blocklist.h"
#include "behave.h"

struct eve_cfg {
	bool flow, stats, anomaly, anomaly_decode, anomaly_stream, community_id;
	bool alert, alert_payload, alert_payload_printable, alert_packet, simulate_ips, drop, dns, http, tls;
	bool ssh, quic, anomaly_applayer, files, smtp, ftp;
	uint8_t http_headers;      /* bit 1 request, bit 2 response */
	bool dns_requests, dns_responses;
	uint8_t dns_formats;       /* bit 1 detailed, bit 2 grouped */
	uint16_t cid_seed;
	const struct identity *idm; /* the worker's current identity map, may be NULL */
	struct jbuf *scratch;       /* the worker's: policy alert bodies, reused (may be NULL) */
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
/* A policy alert: p's flow, DNS message, TLS server name or HTTP request
 * matched a blocklist.  field: what matched ("dest_ip", "dns.query",
 * "tls.sni", ...), value: its value.  gid 7 (vigil policy), sid 1 for an
 * address, 2 for a name; the "policy" object names the list and entry. */
void eve_blocklist_alert(struct jbuf *jb, const struct packet *p, const char *field,
			 const char *value, const struct bl_hit *h, bool blocked,
			 const struct eve_cfg *ec);
/* A policy alert: a VM with an allowlist reached (or asked DNS for)
 * something its rules do not allow.  gid 7, sid 3; the "policy" object
 * names the VM, the rule (its text, or "default deny"), what was reached
 * (field, value) and the name it was reached by, if the VM resolved it. */
void eve_allowlist_alert(struct jbuf *jb, const struct packet *p, const char *vm,
			 const char *field, const char *value, const char *name, const char *rule,
			 bool blocked, const struct eve_cfg *ec);
/* Early warning on a flow still open at ts: a long session (kind
 * "long_session", sid 10: open for `secs`, past the grade `threshold`) or
 * an idle one ("idle_session", sid 11: no packet for `secs`).  gid 7. */
void eve_session_alert(struct jbuf *jb, vtime_t ts, const struct flow *f, const char *kind,
		       uint64_t secs, uint64_t threshold, const struct eve_cfg *ec);
/* Early warning on a DNS question (sid 20): a label too long or too
 * random for a name (DNS tunnels, generated domains). */
void eve_dns_anomaly_alert(struct jbuf *jb, const struct packet *p, const char *qname,
			   const char *label, unsigned label_len, unsigned entropy_x10,
			   const char *reason, const struct eve_cfg *ec);
/* A scan (sid 30 ports, 31 hosts): p's source touched `count` distinct
 * destinations in `window` seconds, over `threshold`. */
void eve_scan_alert(struct jbuf *jb, const struct packet *p, bool hosts, uint32_t count,
		    uint32_t window, uint32_t threshold, const struct eve_cfg *ec);
/* A beacon (sid 40), written when the flow f that completed the pattern
 * ends: the report's numbers. */
void eve_beacon_alert(struct jbuf *jb, vtime_t ts, const struct flow *f,
		      const struct beacon_report *r, const struct eve_cfg *ec);
/* A DNS counting anomaly (sid 21 unique subdomains of `domain`, 22
 * NXDOMAIN answers): `count` distinct names within `window` seconds. */
void eve_dns_count_alert(struct jbuf *jb, const struct packet *p, bool nx, const char *domain,
			 uint32_t count, uint32_t window, uint32_t threshold, const struct eve_cfg *ec);
/* A VPN-only VM sent something outside its tunnel (sid 60): leak is
 * "dns", "reverse-dns", "ipv6" or "direct". */
void eve_vpn_leak_alert(struct jbuf *jb, const struct packet *p, const char *vm, const char *leak,
			const char *value, bool blocked, const struct eve_cfg *ec);
/* A VM connected to an address it never resolved (sid 50). */
void eve_no_dns_alert(struct jbuf *jb, const struct packet *p, const char *vm, const char *addr,
		      const struct eve_cfg *ec);
void eve_spoofed_alert(struct jbuf *jb, const struct packet *p, const char *vm, const char *iface,
		       const char *addr, const char *owner, bool blocked, const struct eve_cfg *ec);
struct contact_report;
/* The learned state's findings on a VM's new flow: a new destination
 * and/or a session at an unexpected time (hours_learn, hours_min: the
 * thresholds, for the record). */
void eve_learned_alerts(struct jbuf *jb, const struct packet *p, const char *vm,
			const struct contact_report *r, const char *name, const char *addr,
			uint32_t hours_learn, uint32_t hours_min, const struct eve_cfg *ec);
/* An alert record for a match on p.  blocked: the packet was dropped
 * (inline, or --simulate-ips), shown as alert.action "blocked". */
void eve_alert_record(struct jbuf *jb, const struct packet *p, const struct detect_alert *a,
		      bool blocked, const struct eve_cfg *ec);
/* A dns record for message m seen in p. */
/* The protocols' records for what the app layer did on packet p (tx), or,
 * with p and tx NULL, for flow f as it ends (what was never written):
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
void eve_applayer_anomalies(struct jbuf *jb, const struct packet *p, app_events_t events,
			    const struct eve_cfg *ec);

/* A drop record (Suricata's eve "drop") for a packet a rule dropped. */
void eve_drop_record(struct jbuf *jb, const struct packet *p, const struct eve_cfg *ec);

/* A fast.log line for the same alert. */
void fast_log_line(struct jbuf *jb, const struct packet *p, const struct detect_alert *a,
		   bool blocked);

/* Stats from summed counters and event counts. */
void eve_stats_record(struct jbuf *jb, vtime_t now, uint64_t uptime_sec,
		      const struct counters *c, const uint64_t ev[EV_MAX]);

#endif
