/*
 * record.h - the policy layer's own alerts (gid 7), written by the policy
 * layer: each finding's signature id, text, category, severity, and the
 * body of its "policy" object.  output/eve.c wraps them in the envelope
 * and the "alert" object every alert has (eve_policy_begin, then one of
 * these, then eve_policy_alert), as it wraps the protocols' records.
 */
#ifndef VIGIL_POLICY_RECORD_H
#define VIGIL_POLICY_RECORD_H

#include <stdbool.h>
#include <stdint.h>

#include "behave.h"
#include "blocklist.h"
#include "json.h"
#include "learned.h"

struct policy_alert {
	unsigned sid;
	bool blocked;
	const char *category;   /* "Policy violation", "Potentially Bad Traffic" */
	unsigned severity;
	char signature[400];
	bool flow_counts;       /* on a flow: its packet and byte counts too */
	struct jbuf *body;      /* the "policy" object, written as one object */
	struct jbuf own;        /* the body when the writer has no scratch */
};

/* Each fills pa (whose body jbuf the caller provides, reset first).
 *
 * blocklist: p's flow, DNS message, TLS server name or HTTP request
 * matched a list; field: what matched ("dest_ip", "dns.query", "tls.sni",
 * ...), value: its value.  sid 1 for an address, 2 for a name. */
void policy_alert_blocklist(struct policy_alert *pa, const char *field, const char *value,
			    const struct bl_hit *h, bool blocked);
/* A VM with an allowlist reached (or asked DNS for) something its rules
 * do not allow (sid 3): the rule (its text, or "default deny"), what was
 * reached (field, value), and the name it was reached by, if any. */
void policy_alert_allowlist(struct policy_alert *pa, const char *vm, const char *field,
			    const char *value, const char *name, const char *rule, bool blocked);
/* A flow still open: kind "long_session" (sid 10, secs open, past the
 * grade threshold) or "idle_session" (sid 11, secs without a packet);
 * start and last as eve timestamps.  With the flow's counts. */
void policy_alert_session(struct policy_alert *pa, const char *kind, uint64_t secs,
			  uint64_t threshold, const char *start, const char *last);
/* A DNS question's label too long or too random for a name (sid 20). */
void policy_alert_dns_label(struct policy_alert *pa, const char *qname, const char *label,
			    unsigned label_len, unsigned entropy_x10, const char *reason);
/* A scan (sid 30 ports, 31 hosts): count destinations in window s. */
void policy_alert_scan(struct policy_alert *pa, bool hosts, uint32_t count, uint32_t window,
		       uint32_t threshold);
/* sid 21: count unique subdomains of domain; 22: count NXDOMAIN answers
 * (both within window s). */
void policy_alert_dns_count(struct policy_alert *pa, bool nx, const char *domain, uint32_t count,
			    uint32_t window, uint32_t threshold);
/* A VPN-only VM sent outside its tunnel (sid 60): leak is "dns",
 * "reverse-dns", "ipv6" or "direct". */
void policy_alert_vpn_leak(struct policy_alert *pa, const char *vm, const char *leak,
			   const char *value, bool blocked);
/* A VM connected to an address it never resolved (sid 50). */
void policy_alert_no_dns(struct policy_alert *pa, const char *vm, const char *addr);
/* A beacon (sid 40), on the flow that completed the pattern; first and
 * last as eve timestamps. */
void policy_alert_beacon(struct policy_alert *pa, const struct beacon_report *r, const char *first,
			 const char *last);

/* A packet that came in on vm's interface iface with a source address
 * that is not vm's (owner: the VM whose it is, or NULL). */
void policy_alert_spoofed(struct policy_alert *pa, const char *vm, const char *iface,
			  const char *addr, const char *owner, bool blocked);
/* From the learned state: a VM reaching a destination it never reached
 * (r->newdest), or starting a session at an unexpected time (r->odd). */
void policy_alert_new_destination(struct policy_alert *pa, const char *vm,
				  const struct contact_report *r, const char *name, const char *addr);
void policy_alert_unexpected_time(struct policy_alert *pa, const char *vm,
				  const struct contact_report *r, const char *addr, uint32_t hours_learn,
				  uint32_t hours_min);

#endif
