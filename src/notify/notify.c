/*
 * notify.c - see notify.h.  Groups live in a small array (a desktop sees
 * few distinct groups a minute; past NOTIFY_MAX_GROUPS the oldest is
 * closed early).
 */
#include "notify.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"
#include "json.h"
#include "util.h"

#define NOTIFY_MAX_GROUPS 4096

struct group {
	uint64_t hash;        /* of key: compared first */
	char key[200];
	char vm[80];          /* the VM, or the source address */
	char what[160];       /* the signature */
	char peer[80];        /* the other side of the first record */
	bool blocked;
	uint8_t urgency;
	double first, end;    /* window */
	uint32_t count;       /* records in the group */
	uint32_t shown;       /* records already shown */
	bool waiting;         /* shown nothing yet: no token */
};

struct notifier {
	struct notify_cfg cfg;
	notify_deliver_fn fn;
	void *ud;
	struct group g[NOTIFY_MAX_GROUPS];
	unsigned n;
	double tokens, last_refill, next_summary;
	struct notify_stats st;
};

struct notifier *notifier_new(const struct notify_cfg *cfg, notify_deliver_fn fn, void *ud)
{
	struct notifier *nf = v_calloc(1, sizeof(*nf));
	if (!nf)
		return NULL;
	nf->cfg = *cfg;
	if (!nf->cfg.max_per_minute)
		nf->cfg.max_per_minute = 1;
	nf->fn = fn;
	nf->ud = ud;
	nf->tokens = nf->cfg.max_per_minute;
	nf->last_refill = -1;
	nf->next_summary = -1;
	return nf;
}

void notifier_free(struct notifier *nf) { v_free(nf); }

void notifier_stats(const struct notifier *nf, struct notify_stats *st) { *st = nf->st; }

static void refill(struct notifier *nf, double now)
{
	if (nf->last_refill < 0)
		nf->last_refill = now;
	if (now > nf->last_refill) {
		nf->tokens += (now - nf->last_refill) * nf->cfg.max_per_minute / 60.0;
		if (nf->tokens > nf->cfg.max_per_minute)
			nf->tokens = nf->cfg.max_per_minute;
		nf->last_refill = now;
	}
}

static bool take_token(struct notifier *nf, double now)
{
	refill(nf, now);
	if (nf->tokens < 1)
		return false;
	nf->tokens -= 1;
	return true;
}

static void deliver(struct notifier *nf, struct notification *n)
{
	nf->st.delivered++;
	nf->fn(nf->ud, n);
}

static const char *did(bool blocked) { return blocked ? "blocked" : "seen, not blocked"; }

/* The group's first record, or what came after it. */
static void show_group(struct notifier *nf, struct group *g, bool rest)
{
	struct notification n = { .urgency = g->urgency };
	uint32_t k = g->count - g->shown;
	if (!k)
		return;
	if (!rest && k == 1) {
		snprintf(n.summary, sizeof(n.summary), "%s: %s", g->vm, g->what);
		snprintf(n.body, sizeof(n.body), "%s\nvigil: %s", g->peer, did(g->blocked));
	} else {
		snprintf(n.summary, sizeof(n.summary), "%s: %s (%s%u)", g->vm, g->what,
			 g->shown ? "+" : "", k);
		snprintf(n.body, sizeof(n.body), "%u %stime%s in %.0f s, first %s\nvigil: %s", k,
			 g->shown ? "more " : "", k == 1 ? "" : "s", g->end - g->first, g->peer,
			 did(g->blocked));
		nf->st.grouped += k;
	}
	n.count = k;
	g->shown = g->count;
	g->waiting = false;
	deliver(nf, &n);
}

static void drop_group(struct notifier *nf, unsigned i)
{
	nf->g[i] = nf->g[--nf->n];
}

static uint32_t pending(const struct group *g) { return g->count - g->shown; }

/* The groups that found no token, as one notification: the counts, and
 * the biggest four by name. */
static void summary(struct notifier *nf)
{
	unsigned idx[NOTIFY_MAX_GROUPS], m = 0;
	for (unsigned i = 0; i < nf->n; i++)
		if (nf->g[i].waiting && pending(&nf->g[i]))
			idx[m++] = i;
	if (!m)
		return;
	/* the biggest first */
	for (unsigned a = 0; a < m && a < 4; a++)
		for (unsigned b = a + 1; b < m; b++)
			if (pending(&nf->g[idx[b]]) > pending(&nf->g[idx[a]])) {
				unsigned t = idx[a];
				idx[a] = idx[b];
				idx[b] = t;
			}
	struct notification n = { .urgency = NU_LOW };
	size_t off = 0;
	uint32_t total = 0;
	bool blocked_all = true;
	for (unsigned k = 0; k < m; k++) {
		struct group *g = &nf->g[idx[k]];
		if (k < 4) {
			int w = snprintf(n.body + off, sizeof(n.body) - off, "%s%s: %s (%u, %s)",
					 off ? "\n" : "", g->vm, g->what, pending(g),
					 g->blocked ? "blocked" : "seen");
			if (w > 0 && (size_t)w < sizeof(n.body) - off)
				off += (size_t)w;
		}
		total += pending(g);
		blocked_all &= g->blocked;
		n.urgency = MAX(n.urgency, g->urgency);
		g->shown = g->count;
		g->waiting = false;
	}
	if (m > 4)
		snprintf(n.body + off, sizeof(n.body) - off, "\n... and %u more kinds", m - 4);
	snprintf(n.summary, sizeof(n.summary), "vigil: %u alert%s of %u kind%s%s", total,
		 total == 1 ? "" : "s", m, m == 1 ? "" : "s", blocked_all ? ", all blocked" : "");
	n.count = total;
	nf->st.summarized += total;
	deliver(nf, &n);
}

void notifier_tick(struct notifier *nf, double now)
{
	refill(nf, now);
	for (unsigned i = 0; i < nf->n;) {
		struct group *g = &nf->g[i];
		if (now < g->end) {
			i++;
			continue;
		}
		if (g->waiting) {
			/* still no token: it waits for the summary */
			i++;
			continue;
		}
		if (g->count > g->shown) {
			if (take_token(nf, now)) {
				show_group(nf, g, true);
			} else {
				g->waiting = true;
				i++;
				continue;
			}
		}
		drop_group(nf, i);
	}
	if (nf->next_summary < 0)
		nf->next_summary = now + nf->cfg.summary_interval;
	if (now >= nf->next_summary) {
		summary(nf);
		nf->next_summary = now + nf->cfg.summary_interval;
		for (unsigned i = 0; i < nf->n;) {
			if (now >= nf->g[i].end && nf->g[i].count == nf->g[i].shown)
				drop_group(nf, i);
			else
				i++;
		}
	}
}

void notifier_flush(struct notifier *nf)
{
	for (unsigned i = 0; i < nf->n; i++)
		if (!nf->g[i].waiting && nf->g[i].count > nf->g[i].shown)
			nf->g[i].waiting = true;
	summary(nf);
	nf->n = 0;
}

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* Adds one notifying record to its group (key): a new group shows at
 * once (within the rate), one already open counts it. */
static bool group_add(struct notifier *nf, const char *key, const char *who, const char *what,
		      const char *peer, bool blocked, int urgency, double now)
{
	/* the open window of this key, if any (one that ended without a
	 * tick is closed first) */
	bool ended = false;
	uint64_t h = hash_bytes(key, strlen(key), 0x6e6f74);
	for (unsigned i = 0; i < nf->n; i++) {
		if (nf->g[i].hash != h || strcmp(nf->g[i].key, key))
			continue;
		if (now < nf->g[i].end) {
			/* the window slides while the group keeps coming (a slow
			 * scan stays one group), up to five windows in all */
			struct group *g = &nf->g[i];
			g->count++;
			g->end = MIN(now + nf->cfg.group_window, g->first + 5 * nf->cfg.group_window);
			return true;
		}
		ended = true;
	}
	if (ended)
		notifier_tick(nf, now);
	if (nf->n == NOTIFY_MAX_GROUPS) {
		/* full (a flood of different alerts): everything grouped so
		 * far becomes one summary, nothing is lost from the counts */
		notifier_flush(nf);
	}
	struct group *g = &nf->g[nf->n++];
	memset(g, 0, sizeof(*g));
	str_lcpy(g->key, key, sizeof(g->key));
	g->hash = h;
	str_lcpy(g->vm, who, sizeof(g->vm));
	str_lcpy(g->what, what, sizeof(g->what));
	str_lcpy(g->peer, peer, sizeof(g->peer));
	g->blocked = blocked;
	g->urgency = urgency;
	g->first = now;
	g->end = now + nf->cfg.group_window;
	g->count = 1;
	if (take_token(nf, now))
		show_group(nf, g, false);
	else
		g->waiting = true;
	return true;
}

/* What a host IDS record (hids, fim) says, as an alert would: false when
 * it is not one that can notify.  Wazuh levels map to severities: 12 and
 * up is 1, 7 to 11 is 2, below is 3; a honeyfile opened is 1, coverage
 * lost 2, other file changes 3. */
static bool host_record(json_t *r, const char *type, json_int_t *sid, json_int_t *sev, char *what,
			size_t wcap, char *peer, size_t pcap)
{
	if (!strcmp(type, "hids")) {
		json_t *h = json_object_get(r, "hids"), *rule = json_object_get(h, "rule");
		json_int_t level = json_integer_value(json_object_get(rule, "level"));
		const char *id = jstr(rule, "id"), *desc = jstr(rule, "description");
		if (!id || !desc || level <= 0)
			return false;
		*sid = strtoll(id, NULL, 10);
		*sev = level >= 12 ? 1 : level >= 7 ? 2 : 3;
		snprintf(what, wcap, "%s", desc);
		snprintf(peer, pcap, "%s", jstr(h, "location") ? jstr(h, "location") : "");
		return true;
	}
	json_t *f = json_object_get(r, "fim");
	const char *ev = jstr(f, "event"), *path = jstr(f, "path");
	if (!ev || !strcmp(ev, "scan_summary"))
		return false;
	*sid = !strcmp(ev, "honeyfile_access") ? 1 : !strcmp(ev, "coverage_lost") ? 2 : 3;
	*sev = *sid;
	if (!strcmp(ev, "coverage_lost"))
		snprintf(what, wcap, "file integrity: coverage lost (%s)", jstr(f, "reason") ? jstr(f, "reason") : "?");
	else if (!strcmp(ev, "honeyfile_access"))
		snprintf(what, wcap, "honeyfile opened: %s", path ? path : "?");
	else
		snprintf(what, wcap, "file %s: %s", ev, path ? path : "?");
	snprintf(peer, pcap, "%s", "");
	return true;
}

bool notifier_record(struct notifier *nf, const char *rec, size_t len, double now)
{
	nf->st.records++;
	/* cheap test first: only alerts and host records can notify */
	char type[16];
	if (!json_head_str(rec, len, "event_type", type, sizeof(type)) ||
	    (strcmp(type, "alert") && strcmp(type, "hids") && strcmp(type, "fim")))
		return false;
	json_t *r = json_loadb(rec, len, 0, NULL);
	if (!r)
		return false;
	if (strcmp(type, "alert")) {
		json_int_t sid = 0, sev = 0;
		char what[160], peer[128];
		if (!host_record(r, type, &sid, &sev, what, sizeof(what), peer, sizeof(peer)) || sev < 1 ||
		    (unsigned)sev > nf->cfg.severity) {
			json_decref(r);
			return false;
		}
		nf->st.matched++;
		const char *vm = jstr(r, "vm");
		char key[200];
		/* gid 0: the host IDS's rules, beside Suricata's gid 1 */
		snprintf(key, sizeof(key), "%s|%s:%lld|%s", vm ? vm : "?", type, (long long)sid,
			 !strcmp(type, "fim") ? what : "");
		bool ok = group_add(nf, key, vm ? vm : "?", what, peer, false,
				    sev == 1 ? NU_CRITICAL : sev == 2 ? NU_NORMAL : NU_LOW, now);
		json_decref(r); /* vm points into it */
		return ok;
	}
	json_t *a = json_object_get(r, "alert");
	if (!json_is_object(a)) {
		json_decref(r);
		return false;
	}
	json_int_t gid = json_integer_value(json_object_get(a, "gid"));
	json_int_t sid = json_integer_value(json_object_get(a, "signature_id"));
	json_int_t sev = json_integer_value(json_object_get(a, "severity"));
	bool pol = gid == 7;
	if (!(pol && nf->cfg.policy) && (sev < 1 || (unsigned)sev > nf->cfg.severity)) {
		json_decref(r);
		return false;
	}
	nf->st.matched++;
	const char *svm = jstr(r, "src_vm"), *dvm = jstr(r, "dest_vm");
	const char *sip = jstr(r, "src_ip"), *dip = jstr(r, "dest_ip");
	/* people read the short IPv6 form, whatever eve wrote */
	char s6[IP6_SHORT_LEN], d6[IP6_SHORT_LEN];
	if (sip && ip6_short(sip, strlen(sip), s6))
		sip = s6;
	if (dip && ip6_short(dip, strlen(dip), d6))
		dip = d6;
	const char *act = jstr(a, "action");
	bool blocked = act && !strcmp(act, "blocked");
	/* the VM concerned: the source's, else the destination's (an attack
	 * on a VM), else the source address */
	char who[80];
	if (svm)
		snprintf(who, sizeof(who), "%s", svm);
	else if (dvm)
		snprintf(who, sizeof(who), "%s", dvm);
	else
		snprintf(who, sizeof(who), "%s", sip ? sip : "?");
	char what[160];
	json_t *pk = json_object_get(r, "policy");
	const char *ptype = json_is_object(pk) ? jstr(pk, "type") : NULL;
	snprintf(what, sizeof(what), "%s", jstr(a, "signature") ? jstr(a, "signature") : "alert");
	char key[200];
	snprintf(key, sizeof(key), "%s|%lld:%lld|%s|%d", who, (long long)gid, (long long)sid,
		 ptype ? ptype : "", blocked);
	char peer[128];
	json_t *dp = json_object_get(r, "dest_port");
	if (json_is_integer(dp) && json_integer_value(dp))
		snprintf(peer, sizeof(peer), "%s -> %s:%lld", sip ? sip : "?", dip ? dip : "?",
			 (long long)json_integer_value(dp));
	else
		snprintf(peer, sizeof(peer), "%s -> %s", sip ? sip : "?", dip ? dip : "?");
	bool ok = group_add(nf, key, who, what, peer, blocked,
			    pol ? NU_NORMAL : sev == 1 ? NU_CRITICAL : sev == 2 ? NU_NORMAL : NU_LOW, now);
	json_decref(r);
	return ok;
}
