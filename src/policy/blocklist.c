/*
 * blocklist.c - see blocklist.h.
 */
#include "blocklist.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "config.h"
#include "lists.h"
#include "log.h"
#include "overrides.h"
#include "vigil.h"

#define BL_MAX_LISTS 64

/* A list; shared by the blocklists built after it until it is rebuilt
 * (refs counts them; only the control thread builds and frees). */
struct bl_list {
	char *name, *path;
	struct timespec mtime;
	struct iplist *ip;      /* one of the two */
	struct domainset *dom;
	bool drop;              /* the control socket's "ctl" lists always drop */
	unsigned refs;
};

struct blocklists {
	struct bl_list *v[BL_MAX_LISTS];
	unsigned n;
	bool drop;
};

static void list_unref(struct bl_list *l)
{
	if (!l || --l->refs)
		return;
	v_free(l->name);
	v_free(l->path);
	iplist_free(l->ip);
	domainset_free(l->dom);
	v_free(l);
}

void blocklists_free(struct blocklists *b)
{
	if (!b)
		return;
	for (unsigned i = 0; i < b->n; i++)
		list_unref(b->v[i]);
	v_free(b);
}

/* Builds the list "NAME=FILE" (kv), a domain list over prev's names when
 * it replaces prev (lists.h, domainset_reload); NULL with e set. */
static struct bl_list *build_list(const char *kv, bool dom, bool quiet,
				  const struct domainset *prev, struct verr *e)
{
	const char *eq = strchr(kv, '=');
	if (!eq || eq == kv || !eq[1]) {
		verr_set(e, V_EINVAL, "policy.%s-lists: \"%s\": want NAME: FILE", dom ? "domain" : "ip",
			 kv);
		return NULL;
	}
	struct bl_list *l = v_calloc(1, sizeof(*l));
	size_t nl = (size_t)(eq - kv);
	if (!l || !(l->name = v_malloc(nl + 1)) || !(l->path = v_strdup(eq + 1))) {
		if (l)
			v_free(l->name);
		v_free(l);
		verr_set(e, V_ENOMEM, "out of memory");
		return NULL;
	}
	memcpy(l->name, kv, nl);
	l->name[nl] = '\0';
	l->refs = 1;
	struct stat st;
	if (stat(l->path, &st) == 0)
		l->mtime = st.st_mtim;
	struct list_stats ls;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (dom)
		l->dom = domainset_reload(prev, l->path, &ls, e);
	else
		l->ip = iplist_load(l->path, &ls, e);
	if (!l->dom && !l->ip) {
		list_unref(l);
		return NULL;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	size_t mem = dom ? domainset_memory(l->dom) : iplist_memory(l->ip);
	if (!quiet)
		log_info("blocklist %s (%s): %llu entries, %.1f MB, %.2f s", l->name, l->path,
			 (unsigned long long)ls.entries, (double)mem / 1e6, secs);
	if (ls.reserved)
		log_warn("blocklist %s: %llu entries for private or reserved space ignored "
			 "(first: %s): a list must not block the VMs' own networks",
			 l->name, (unsigned long long)ls.reserved, ls.first_reserved);
	if (ls.skipped)
		log_warn("%s: %llu lines not understood, skipped (first: line %llu)", l->path,
			 (unsigned long long)ls.skipped, (unsigned long long)ls.first_skipped);
	return l;
}

/* The configuration entry of list i: ip-lists first, then domain-lists. */
static const char *list_kv(const struct config *cfg, unsigned i, bool *dom)
{
	*dom = i >= cfg->policy_ip_lists.cnt;
	return *dom ? cfg->policy_domain_lists.v[i - cfg->policy_ip_lists.cnt]
		    : cfg->policy_ip_lists.v[i];
}

struct blocklists *blocklists_load(const struct config *cfg, bool quiet, struct verr *e)
{
	struct blocklists *b = v_calloc(1, sizeof(*b));
	if (!b) {
		verr_set(e, V_ENOMEM, "out of memory");
		return NULL;
	}
	b->drop = cfg->policy_blocklist_action == 1;
	size_t total = cfg->policy_ip_lists.cnt + cfg->policy_domain_lists.cnt;
	if (total + 2 > BL_MAX_LISTS) {
		verr_set(e, V_EINVAL, "more than %d blocklists", BL_MAX_LISTS);
		goto fail;
	}
	/* the blocks made through the control socket, when its files exist */
	static const char *const ctl_files[2] = { "ctl-block-ips.txt", "ctl-block-domains.txt" };
	for (unsigned k = 0; k < 2; k++) {
		char kv[4200] = "ctl=";
		policy_state_path(cfg, ctl_files[k], kv + 4, sizeof(kv) - 4);
		if (!kv[4] || access(kv + 4, R_OK) != 0)
			continue;
		if (!(b->v[b->n] = build_list(kv, k == 1, quiet, NULL, e)))
			goto fail;
		b->v[b->n++]->drop = true;
	}
	for (unsigned i = 0; i < total; i++) {
		bool dom;
		const char *kv = list_kv(cfg, i, &dom);
		if (!(b->v[b->n] = build_list(kv, dom, quiet, NULL, e)))
			goto fail;
		b->n++;
	}
	return b;
fail:
	blocklists_free(b);
	return NULL;
}

int blocklists_due(const struct blocklists *b, unsigned from, bool all)
{
	for (unsigned i = from; b && i < b->n; i++) {
		struct stat st;
		if (all || (stat(b->v[i]->path, &st) == 0 &&
			    (st.st_mtim.tv_sec != b->v[i]->mtime.tv_sec ||
			     st.st_mtim.tv_nsec != b->v[i]->mtime.tv_nsec)))
			return (int)i;
	}
	return -1;
}

struct blocklists *blocklists_rebuild(const struct blocklists *cur, const struct config *cfg,
				      unsigned i, struct verr *e)
{
	if (!cur || i >= cur->n) {
		verr_set(e, V_EINVAL, "no list %u", i);
		return NULL;
	}
	/* the list as it was loaded: its name, file and kind */
	const struct bl_list *old = cur->v[i];
	char kv[4400];
	if ((size_t)snprintf(kv, sizeof(kv), "%s=%s", old->name, old->path) >= sizeof(kv)) {
		verr_set(e, V_EINVAL, "%s: path too long", old->path);
		return NULL;
	}
	(void)cfg;
	struct bl_list *l = build_list(kv, old->dom != NULL, true, old->dom, e);
	if (!l)
		return NULL;
	l->drop = old->drop;
	struct blocklists *b = v_calloc(1, sizeof(*b));
	if (!b) {
		list_unref(l);
		verr_set(e, V_ENOMEM, "out of memory");
		return NULL;
	}
	*b = *cur;
	for (unsigned k = 0; k < b->n; k++)
		if (k != i)
			b->v[k]->refs++;
	b->v[i] = l;
	return b;
}

const char *blocklists_name_of(const struct blocklists *b, unsigned i)
{
	return b && i < b->n ? b->v[i]->name : "";
}

static uint64_t stamp_of(const struct strlist *l, uint64_t h)
{
	for (size_t i = 0; i < l->cnt; i++) {
		const char *eq = strchr(l->v[i], '=');
		struct stat st;
		if (eq && stat(eq + 1, &st) == 0)
			h = h * 1000003u + (uint64_t)st.st_mtim.tv_sec * 1000000000u +
			    (uint64_t)st.st_mtim.tv_nsec;
	}
	return h;
}

uint64_t blocklists_files_stamp(const struct config *cfg)
{
	return stamp_of(&cfg->policy_domain_lists, stamp_of(&cfg->policy_ip_lists, 1));
}

bool blocklists_addr(const struct blocklists *b, uint8_t ver, const uint8_t *a, struct bl_hit *h)
{
	for (unsigned i = 0; b && i < b->n; i++)
		if (b->v[i]->ip && iplist_lookup(b->v[i]->ip, ver, a, h->entry, sizeof(h->entry))) {
			h->list = b->v[i]->name;
			h->drop = b->v[i]->drop;
			return true;
		}
	return false;
}

bool blocklists_name(const struct blocklists *b, const char *name, size_t len, struct bl_hit *h)
{
	for (unsigned i = 0; b && i < b->n; i++) {
		bool suffix = false;
		const char *m = b->v[i]->dom ? domainset_lookup(b->v[i]->dom, name, len, &suffix) : NULL;
		if (m) {
			h->list = b->v[i]->name;
			h->drop = b->v[i]->drop;
			snprintf(h->entry, sizeof(h->entry), "%s%.76s", suffix ? "*." : "", m);
			return true;
		}
	}
	return false;
}

bool blocklists_empty(const struct blocklists *b) { return !b || !b->n; }
bool blocklists_drop(const struct blocklists *b) { return b && b->drop; }

uint64_t blocklists_entries(const struct blocklists *b)
{
	uint64_t n = 0;
	for (unsigned i = 0; b && i < b->n; i++)
		n += b->v[i]->ip ? iplist_count(b->v[i]->ip) : domainset_count(b->v[i]->dom);
	return n;
}

size_t blocklists_memory(const struct blocklists *b)
{
	size_t m = b ? sizeof(*b) : 0;
	for (unsigned i = 0; b && i < b->n; i++)
		m += b->v[i]->ip ? iplist_memory(b->v[i]->ip) : domainset_memory(b->v[i]->dom);
	return m;
}
