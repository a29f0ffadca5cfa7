/*
 * record.c - see record.h.
 */
#include "record.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

static void head(struct policy_alert *pa, unsigned sid, bool blocked, const char *category,
		 unsigned severity)
{
	pa->sid = sid;
	pa->blocked = blocked;
	pa->category = category;
	pa->severity = severity;
	pa->flow_counts = false;
	jb_reset(pa->body);
	jb_open_object(pa->body, NULL);
}

/* the early warnings: seen, "Potentially Bad Traffic", severity 3 */
static void warning(struct policy_alert *pa, unsigned sid)
{
	head(pa, sid, false, "Potentially Bad Traffic", 3);
}

void policy_alert_blocklist(struct policy_alert *pa, const char *field, const char *value,
			    const struct bl_hit *h, bool blocked)
{
	bool name = strncmp(field, "dest_ip", 7) && strncmp(field, "src_ip", 6) &&
		    strcmp(field, "dns.answer.address");
	snprintf(pa->signature, sizeof(pa->signature), "VIGIL POLICY blocklisted %s %s (list %s)",
		 name ? "name" : "address", value, h->list);
	head(pa, name ? 2 : 1, blocked, "Policy violation", 2);
	struct jbuf *jb = pa->body;
	jb_str(jb, "type", "blocklist");
	jb_str(jb, "list", h->list);
	jb_str(jb, "entry", h->entry);
	jb_str(jb, "field", field);
	jb_str(jb, "value", value);
	jb_close(jb);
}

void policy_alert_allowlist(struct policy_alert *pa, const char *vm, const char *field,
			    const char *value, const char *name, const char *rule, bool blocked)
{
	bool n = name && *name;
	snprintf(pa->signature, sizeof(pa->signature), "VIGIL POLICY %s: %s%s%s%s not allowed (%s)", vm,
		 value, n ? " (" : "", n ? name : "", n ? ")" : "", rule);
	head(pa, 3, blocked, "Policy violation", 2);
	struct jbuf *jb = pa->body;
	jb_str(jb, "type", "allowlist");
	jb_str(jb, "vm", vm);
	jb_str(jb, "rule", rule);
	jb_str(jb, "field", field);
	jb_str(jb, "value", value);
	if (n)
		jb_str(jb, "name", name);
	jb_close(jb);
}

void policy_alert_session(struct policy_alert *pa, const char *kind, uint64_t secs,
			  uint64_t threshold, const char *start, const char *last)
{
	bool idle = !strcmp(kind, "idle_session");
	if (idle)
		snprintf(pa->signature, sizeof(pa->signature),
			 "VIGIL EARLY WARNING idle session: open, no packet for %llu s",
			 (unsigned long long)secs);
	else
		snprintf(pa->signature, sizeof(pa->signature),
			 "VIGIL EARLY WARNING long session: open for %llu h %llu min",
			 (unsigned long long)(secs / 3600), (unsigned long long)(secs % 3600 / 60));
	warning(pa, idle ? 11 : 10);
	pa->flow_counts = true;
	struct jbuf *jb = pa->body;
	jb_str(jb, "type", kind);
	jb_u64(jb, idle ? "idle" : "duration", secs);
	jb_u64(jb, "threshold", threshold);
	jb_str(jb, "start", start);
	jb_str(jb, "last", last);
	jb_close(jb);
}

void policy_alert_dns_label(struct policy_alert *pa, const char *qname, const char *label,
			    unsigned label_len, unsigned entropy_x10, const char *reason)
{
	snprintf(pa->signature, sizeof(pa->signature),
		 "VIGIL EARLY WARNING DNS %s: %u-character label, %u.%u bits/char", reason, label_len,
		 entropy_x10 / 10, entropy_x10 % 10);
	warning(pa, 20);
	struct jbuf *jb = pa->body;
	jb_str(jb, "type", "dns_anomaly");
	jb_str(jb, "reason", reason);
	jb_str(jb, "query", qname);
	jb_str(jb, "label", label);
	jb_u64(jb, "label_length", label_len);
	jb_u64(jb, "entropy_x10", entropy_x10);
	jb_close(jb);
}

void policy_alert_scan(struct policy_alert *pa, bool hosts, uint32_t count, uint32_t window,
		       uint32_t threshold)
{
	snprintf(pa->signature, sizeof(pa->signature), "VIGIL EARLY WARNING %s scan: about %u %s in %u s",
		 hosts ? "host" : "port", count, hosts ? "hosts" : "host/port pairs", window);
	warning(pa, hosts ? 31 : 30);
	struct jbuf *jb = pa->body;
	jb_str(jb, "type", hosts ? "host_scan" : "port_scan");
	jb_u64(jb, "distinct", count);
	jb_u64(jb, "window", window);
	jb_u64(jb, "threshold", threshold);
	jb_close(jb);
}

void policy_alert_dns_count(struct policy_alert *pa, bool nx, const char *domain, uint32_t count,
			    uint32_t window, uint32_t threshold)
{
	if (nx)
		snprintf(pa->signature, sizeof(pa->signature),
			 "VIGIL EARLY WARNING DNS: about %u names answered NXDOMAIN in %u s", count,
			 window);
	else
		snprintf(pa->signature, sizeof(pa->signature),
			 "VIGIL EARLY WARNING DNS: about %u distinct names under %s in %u s", count,
			 domain, window);
	warning(pa, nx ? 22 : 21);
	struct jbuf *jb = pa->body;
	jb_str(jb, "type", nx ? "dns_nxdomain" : "dns_unique_subdomains");
	if (!nx)
		jb_str(jb, "domain", domain);
	jb_u64(jb, "distinct", count);
	jb_u64(jb, "window", window);
	jb_u64(jb, "threshold", threshold);
	jb_close(jb);
}

void policy_alert_vpn_leak(struct policy_alert *pa, const char *vm, const char *leak,
			   const char *value, bool blocked)
{
	snprintf(pa->signature, sizeof(pa->signature), "VIGIL POLICY leak: %s sent %s outside its VPN (%s)",
		 vm, leak, value);
	head(pa, 60, blocked, "Policy violation", 1);
	struct jbuf *jb = pa->body;
	jb_str(jb, "type", "vpn_leak");
	jb_str(jb, "vm", vm);
	jb_str(jb, "leak", leak);
	jb_str(jb, "value", value);
	jb_close(jb);
}

void policy_alert_no_dns(struct policy_alert *pa, const char *vm, const char *addr)
{
	snprintf(pa->signature, sizeof(pa->signature),
		 "VIGIL EARLY WARNING %s connected to %s, an address its DNS answers never gave it", vm,
		 addr);
	warning(pa, 50);
	struct jbuf *jb = pa->body;
	jb_str(jb, "type", "connection_without_dns");
	jb_str(jb, "vm", vm);
	jb_str(jb, "address", addr);
	jb_close(jb);
}

/* A number with one decimal (finite values only). */
static void dec1(struct jbuf *jb, const char *key, double v)
{
	char b[48];
	snprintf(b, sizeof(b), "%.1f", isfinite(v) ? v : 0.0);
	jb_raw(jb, key, b);
}

void policy_alert_beacon(struct policy_alert *pa, const struct beacon_report *r, const char *first,
			 const char *last)
{
	snprintf(pa->signature, sizeof(pa->signature),
		 "VIGIL EARLY WARNING beacon: %u connections every %.0f s (sd %.1f s), score %u",
		 r->connections, r->interval_mean, r->interval_sd, r->score);
	warning(pa, 40);
	struct jbuf *jb = pa->body;
	jb_str(jb, "type", "beacon");
	jb_u64(jb, "connections", r->connections);
	dec1(jb, "interval_mean", r->interval_mean);
	dec1(jb, "interval_sd", r->interval_sd);
	dec1(jb, "bytes_mean", r->bytes_mean);
	dec1(jb, "bytes_sd", r->bytes_sd);
	jb_u64(jb, "score", r->score);
	jb_str(jb, "first", first);
	jb_str(jb, "last", last);
	jb_close(jb);
}

void policy_alert_new_destination(struct policy_alert *pa, const char *vm,
				  const struct contact_report *r, const char *name, const char *addr)
{
	const char *kind = r->newdest == NEWDEST_REGDOMAIN ? "registrable_domain"
			   : r->newdest == NEWDEST_DOMAIN  ? "domain"
							   : "network";
	snprintf(pa->signature, sizeof(pa->signature),
		 "VIGIL EARLY WARNING new destination: %s reached %s for the first time", vm, r->dest);
	warning(pa, 70);
	struct jbuf *jb = pa->body;
	jb_str(jb, "type", "new_destination");
	jb_str(jb, "vm", vm);
	jb_str(jb, "kind", kind);
	jb_str(jb, "destination", r->dest);
	if (name && *name)
		jb_str(jb, "name", name);
	jb_str(jb, "address", addr);
	jb_u64(jb, "known", r->known);
	jb_u64(jb, "learned_days", r->learned_days);
	jb_close(jb);
}

void policy_alert_unexpected_time(struct policy_alert *pa, const char *vm,
				  const struct contact_report *r, const char *addr, uint32_t hours_learn,
				  uint32_t hours_min)
{
	char how[32];
	hour_of_week_name(r->how, how, sizeof(how));
	if (r->odd == 2)
		snprintf(pa->signature, sizeof(pa->signature),
			 "VIGIL EARLY WARNING session in quiet hours: %s, %s", vm, how);
	else
		snprintf(pa->signature, sizeof(pa->signature),
			 "VIGIL EARLY WARNING session at an unexpected time: %s never active %s-%02u:00",
			 vm, how, (r->how + 1) % 24);
	warning(pa, 71);
	struct jbuf *jb = pa->body;
	jb_str(jb, "type", "unexpected_time");
	jb_str(jb, "vm", vm);
	jb_str(jb, "reason", r->odd == 2 ? "quiet hours" : "no session in this hour while learning");
	jb_str(jb, "hour_of_week", how);
	jb_u64(jb, "weeks_active", r->weeks_active);
	if (r->odd == 1) {
		jb_u64(jb, "min_weeks", hours_min);
		jb_u64(jb, "learned_days", r->learned_days);
		jb_u64(jb, "learning", hours_learn);
	}
	jb_str(jb, "address", addr);
	jb_close(jb);
}

void policy_alert_spoofed(struct policy_alert *pa, const char *vm, const char *iface,
			  const char *addr, const char *owner, bool blocked)
{
	snprintf(pa->signature, sizeof(pa->signature),
		 "VIGIL POLICY spoofed source: %s from %s's interface %s (%s%s)", addr, vm, iface,
		 owner ? owner : "no VM's address", owner ? "'s address" : "");
	head(pa, 61, blocked, "Policy violation", 1);
	struct jbuf *jb = pa->body;
	jb_str(jb, "type", "spoofed_source");
	jb_str(jb, "vm", vm);
	jb_str(jb, "interface", iface);
	jb_str(jb, "address", addr);
	if (owner)
		jb_str(jb, "owner", owner);
	jb_close(jb);
}
