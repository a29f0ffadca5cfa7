/*
 * record.h - the policy layer's own alerts (gid 7), written by the policy
 * layer: each finding's signature id, text, category, severity, and the
 * body of its "policy" object.  output/eve.c wraps them in the envelope
 * and the "alert" object every alert has (eve_policy_alert), as it wraps
 * the protocols' records.
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
	struct jbuf *body;      /* the "policy" object, written as one object */
};

/* Each fills pa (whose body jbuf the caller provides, reset first). */
void policy_alert_blocklist(struct policy_alert *pa, const char *field, const char *value,
			    const struct bl_hit *h, bool blocked);
void policy_alert_allowlist(struct policy_alert *pa, const char *vm, const char *field,
			    const char *value, const char *name, const char *rule, bool blocked);
/* kind "long_session" (secs open) or "idle_session" (secs without a
 * packet); start and last as eve timestamps. */
void policy_alert_session(struct policy_alert *pa, const char *kind, uint64_t secs,
			  uint64_t threshold, const char *start, const char *last);
void policy_alert_dns_label(struct policy_alert *pa, const char *qname, const char *label,
			    unsigned label_len, unsigned entropy_x10, const char *reason);
void policy_alert_scan(struct policy_alert *pa, bool hosts, uint32_t count, uint32_t window,
		       uint32_t threshold);
void policy_alert_dns_count(struct policy_alert *pa, bool nx, const char *domain, uint32_t count,
			    uint32_t window, uint32_t threshold);
void policy_alert_vpn_leak(struct policy_alert *pa, const char *vm, const char *leak,
			   const char *value, bool blocked);
void policy_alert_no_dns(struct policy_alert *pa, const char *vm, const char *addr);
/* first and last as eve timestamps */
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
