/*
 * identity.c - see identity.h.
 *
 * The file is YAML, one mapping per VM:
 *
 *   work:
 *     addresses: [10.137.0.12, fd09:24ef:4179::a89:c]
 *     labels: [vpn-only]
 *     interfaces: [vif12.0]
 *
 * (a single value may be written without brackets, and "name: ADDRESSES"
 * is short for "name: {addresses: ADDRESSES}").  The configuration's
 * identity.vms maps a name to its addresses ("10.137.0.12, 10.137.0.14")
 * and identity.labels a name to its labels; both sources add up, and an
 * address claimed by two VMs is an error.  Exact addresses are kept
 * sorted for a binary search; networks (a prefix shorter than the address)
 * longest first, searched in order.
 */
#include "identity.h"
#include "learned.h"
#include "lists.h"
#include "doh_list.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <strings.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <yaml.h>

#include "alloc.h"
#include "config.h"
#include "json.h"
#include "log.h"
#include "overrides.h"
#include "util.h"
#include "vigil.h"

#define ID_MAX_ENTRIES (1u << 20) /* addresses, networks and interfaces */

struct id_addr {
	uint8_t ver, plen;
	uint8_t a[16];
	uint32_t vm;
};

struct id_sup {
	uint32_t gid, sid;
	uint64_t vm;            /* the VM's id, 0 for every host */
};

struct id_iface {
	char *name;
	uint32_t vm;
};

struct identity {
	struct vm *vms;
	uint32_t nvms, capvms;
	struct id_addr *exact, *nets;
	uint32_t nexact, capexact, nnets, capnets;
	struct id_iface *ifaces;
	uint32_t nifaces, capifaces;
	struct timespec mtime;
	struct id_sup *sup;     /* suppressions (control socket), sorted */
	uint32_t nsup, capsup;
	struct iplist *doh_ip;  /* DNS-over-HTTPS endpoints: built in and policy.doh-list */
	struct domainset *doh_name;
};

static bool grow(void **v, uint32_t n, uint32_t *cap, size_t elem)
{
	if (n < *cap)
		return true;
	if (n >= ID_MAX_ENTRIES)
		return false;
	uint32_t nc = *cap ? *cap * 2 : 8;
	void *nv = v_realloc(*v, (size_t)nc * elem);
	if (!nv)
		return false;
	*v = nv;
	*cap = nc;
	return true;
}

static uint32_t vm_get(struct identity *id, const char *name, struct verr *e, const char *where)
{
	for (uint32_t i = 0; i < id->nvms; i++)
		if (!strcmp(id->vms[i].name, name))
			return i;
	if (!*name || strlen(name) > 64) {
		verr_set(e, V_EINVAL, "%s: a VM name must have 1 to 64 characters", where);
		return UINT32_MAX;
	}
	if (!grow((void **)&id->vms, id->nvms, &id->capvms, sizeof(*id->vms))) {
		verr_set(e, V_ENOMEM, "%s: too many VMs", where);
		return UINT32_MAX;
	}
	struct vm *vm = &id->vms[id->nvms];
	memset(vm, 0, sizeof(*vm));
	if (!(vm->name = v_strdup(name))) {
		verr_set(e, V_ENOMEM, "out of memory");
		return UINT32_MAX;
	}
	return id->nvms++;
}

static int add_label(struct identity *id, uint32_t v, const char *label, struct verr *e,
		     const char *where)
{
	struct vm *vm = &id->vms[v];
	if (!*label)
		return 0;
	if (vm_has_label(vm, label))
		return 0;
	if (vm->nlabels >= 64)
		return verr_set(e, V_EINVAL, "%s: more than 64 labels for %s", where, vm->name);
	char **nl = v_realloc(vm->labels, (vm->nlabels + 1) * sizeof(char *));
	if (!nl)
		return verr_set(e, V_ENOMEM, "out of memory");
	vm->labels = nl;
	if (!(nl[vm->nlabels] = v_strdup(label)))
		return verr_set(e, V_ENOMEM, "out of memory");
	vm->nlabels++;
	return 0;
}

/* "TARGET [tcp|udp|any[/PORT[-PORT]]]" */
static int parse_rule(struct identity *id, uint32_t v, const char *text, bool deny, struct verr *e,
		      const char *where)
{
	struct vm *vm = &id->vms[v];
	char t[300], p[64] = "";
	if (strlen(text) >= sizeof(t) || sscanf(text, "%299s %63s", t, p) < 1)
		return verr_set(e, V_EINVAL, "%s: bad rule \"%.80s\"", where, text);
	struct vm_rule r = { .deny = deny, .port_hi = 65535 };
	if (*p) {
		char *slash = strchr(p, '/');
		if (slash)
			*slash++ = '\0';
		if (!strcmp(p, "tcp"))
			r.proto = 6;
		else if (!strcmp(p, "udp"))
			r.proto = 17;
		else if (strcmp(p, "any"))
			return verr_set(e, V_EINVAL, "%s: \"%s\": protocol tcp, udp or any", where, text);
		if (slash) {
			unsigned lo, hi;
			int k = sscanf(slash, "%u-%u", &lo, &hi);
			if (k == 1)
				hi = lo;
			if (k < 1 || lo > 65535 || hi > 65535 || lo > hi)
				return verr_set(e, V_EINVAL, "%s: \"%s\": bad port", where, text);
			r.port_lo = (uint16_t)lo;
			r.port_hi = (uint16_t)hi;
		}
	}
	char *slash = strchr(t, '/');
	if (slash)
		*slash = '\0';
	if (inet_pton(AF_INET, t, r.a) == 1 || inet_pton(AF_INET6, t, r.a) == 1) {
		r.kind = VR_NET;
		r.ver = strchr(t, ':') ? 6 : 4;
		r.plen = r.ver == 4 ? 32 : 128;
		if (slash) {
			char *end;
			unsigned long pl = strtoul(slash + 1, &end, 10);
			if (!slash[1] || *end || pl > r.plen)
				return verr_set(e, V_EINVAL, "%s: \"%s\": bad prefix length", where, text);
			r.plen = (uint8_t)pl;
		}
	} else {
		if (slash)
			*slash = '/';
		const char *n = t;
		r.kind = VR_NAME;
		if (n[0] == '*' && n[1] == '.') {
			r.kind = VR_SUFFIX;
			n += 2;
		}
		size_t len = strlen(n);
		while (len && n[len - 1] == '.')
			len--;
		if (!len || len > 253)
			return verr_set(e, V_EINVAL, "%s: \"%s\" is not a name or address", where, text);
		for (size_t i = 0; i < len; i++)
			if (!isalnum((unsigned char)n[i]) && n[i] != '-' && n[i] != '_' && n[i] != '.')
				return verr_set(e, V_EINVAL, "%s: \"%s\" is not a name or address", where,
						text);
		if (!(r.name = v_malloc(len + 1)))
			return verr_set(e, V_ENOMEM, "out of memory");
		for (size_t i = 0; i < len; i++)
			r.name[i] = (char)tolower((unsigned char)n[i]);
		r.name[len] = '\0';
	}
	if (vm->nrules >= 4096) {
		v_free(r.name);
		return verr_set(e, V_EINVAL, "%s: more than 4096 rules for %s", where, vm->name);
	}
	struct vm_rule *nv = v_realloc(vm->rules, (vm->nrules + 1) * sizeof(*nv));
	if (!nv || !(r.text = v_strdup(text))) {
		if (nv)
			vm->rules = nv;
		v_free(r.name);
		return verr_set(e, V_ENOMEM, "out of memory");
	}
	vm->rules = nv;
	vm->rules[vm->nrules++] = r;
	if (vm->policy == VM_NO_POLICY)
		vm->policy = VM_DEFAULT_DENY; /* rules without "policy:": deny the rest */
	return 0;
}

/* "vpn:" endpoints: addresses with protocol and port ("198.51.100.1 udp/51820") */
static int add_vpn(struct identity *id, uint32_t v, const char *t, struct verr *e, const char *w)
{
	struct vm *vm = &id->vms[v];
	/* parsed as a rule, then moved to the endpoints */
	uint32_t n = vm->nrules;
	uint8_t pol = vm->policy;
	int rc = parse_rule(id, v, t, false, e, w);
	if (rc < 0)
		return rc;
	vm->policy = pol;
	struct vm_rule r = vm->rules[--vm->nrules];
	(void)n;
	if (r.kind != VR_NET) {
		v_free(r.name);
		v_free(r.text);
		return verr_set(e, V_EINVAL, "%s: a VPN endpoint is an address (\"%s\")", w, t);
	}
	struct vm_rule *nv = v_realloc(vm->vpn, (vm->nvpn + 1) * sizeof(*nv));
	if (!nv) {
		v_free(r.text);
		return verr_set(e, V_ENOMEM, "out of memory");
	}
	vm->vpn = nv;
	vm->vpn[vm->nvpn++] = r;
	return 0;
}

static int add_allow(struct identity *id, uint32_t v, const char *t, struct verr *e, const char *w)
{
	return parse_rule(id, v, t, false, e, w);
}

static int add_deny(struct identity *id, uint32_t v, const char *t, struct verr *e, const char *w)
{
	return parse_rule(id, v, t, true, e, w);
}

static int add_iface(struct identity *id, uint32_t v, const char *name, struct verr *e,
		     const char *where)
{
	if (!*name || strlen(name) >= 16)
		return verr_set(e, V_EINVAL, "%s: \"%s\" is not an interface name", where, name);
	for (uint32_t i = 0; i < id->nifaces; i++)
		if (!strcmp(id->ifaces[i].name, name)) {
			if (id->ifaces[i].vm == v)
				return 0;
			return verr_set(e, V_EINVAL, "%s: interface %s is both %s and %s", where, name,
					id->vms[id->ifaces[i].vm].name, id->vms[v].name);
		}
	if (!grow((void **)&id->ifaces, id->nifaces, &id->capifaces, sizeof(*id->ifaces)))
		return verr_set(e, V_ENOMEM, "%s: too many interfaces", where);
	if (!(id->ifaces[id->nifaces].name = v_strdup(name)))
		return verr_set(e, V_ENOMEM, "out of memory");
	id->ifaces[id->nifaces++].vm = v;
	return 0;
}

/* "10.137.0.12", "10.137.0.0/24", "fd09::1", "fd09::/64" */
static int add_addr(struct identity *id, uint32_t v, const char *text, struct verr *e,
		    const char *where)
{
	char buf[64];
	if (strlen(text) >= sizeof(buf))
		return verr_set(e, V_EINVAL, "%s: \"%.64s...\" is not an address", where, text);
	strcpy(buf, text);
	char *slash = strchr(buf, '/');
	if (slash)
		*slash++ = '\0';
	struct id_addr x = { 0 };
	x.vm = v;
	if (inet_pton(AF_INET, buf, x.a) == 1) {
		x.ver = 4;
		x.plen = 32;
	} else if (inet_pton(AF_INET6, buf, x.a) == 1) {
		x.ver = 6;
		x.plen = 128;
	} else {
		return verr_set(e, V_EINVAL, "%s: \"%s\" is not an address", where, text);
	}
	if (slash) {
		char *end;
		errno = 0;
		unsigned long pl = strtoul(slash, &end, 10);
		if (!*slash || *end || errno || pl > x.plen)
			return verr_set(e, V_EINVAL, "%s: \"%s\": bad prefix length", where, text);
		x.plen = (uint8_t)pl;
		/* clear the host bits so that equal networks compare equal */
		for (unsigned b = x.plen; b < (x.ver == 4 ? 32u : 128u); b++)
			x.a[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
	}
	bool exact = x.plen == (x.ver == 4 ? 32 : 128);
	struct id_addr *v0 = exact ? id->exact : id->nets;
	uint32_t n = exact ? id->nexact : id->nnets;
	for (uint32_t i = 0; i < n; i++)
		if (v0[i].ver == x.ver && v0[i].plen == x.plen && !memcmp(v0[i].a, x.a, 16)) {
			if (v0[i].vm == v)
				return 0;
			return verr_set(e, V_EINVAL, "%s: %s is both %s and %s", where, text,
					id->vms[v0[i].vm].name, id->vms[v].name);
		}
	if (exact ? !grow((void **)&id->exact, id->nexact, &id->capexact, sizeof(x))
		  : !grow((void **)&id->nets, id->nnets, &id->capnets, sizeof(x)))
		return verr_set(e, V_ENOMEM, "%s: too many addresses", where);
	if (exact)
		id->exact[id->nexact++] = x;
	else
		id->nets[id->nnets++] = x;
	return 0;
}

/* Each item of a comma- or space-separated list. */
static int each_item(struct identity *id, uint32_t v, const char *list,
		     int (*fn)(struct identity *, uint32_t, const char *, struct verr *, const char *),
		     struct verr *e, const char *where)
{
	char item[256];
	const char *s = list;
	while (*s) {
		s += strspn(s, ", \t");
		size_t n = strcspn(s, ", \t");
		if (!n)
			break;
		if (n >= sizeof(item))
			return verr_set(e, V_EINVAL, "%s: item too long", where);
		memcpy(item, s, n);
		item[n] = '\0';
		int rc = fn(id, v, item, e, where);
		if (rc < 0)
			return rc;
		s += n;
	}
	return 0;
}

/* ---- the file ---- */

static const char *scalar(yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* A scalar (a list of items) or a sequence of scalars: fn on each item. */
static int add_quiet(struct identity *id, uint32_t v, const char *text, struct verr *e,
		     const char *where)
{
	struct verr qe = { "" };
	if (quiet_hours_parse(text, id->vms[v].quiet, &qe) < 0)
		return verr_set(e, V_EINVAL, "%s: %s", where, qe.msg);
	id->vms[v].has_quiet = true;
	return 0;
}

static int node_items(struct identity *id, uint32_t v, yaml_document_t *doc, yaml_node_t *n,
		      int (*fn)(struct identity *, uint32_t, const char *, struct verr *, const char *),
		      struct verr *e, const char *path)
{
	char where[600];
	snprintf(where, sizeof(where), "%s:%lu", path, (unsigned long)n->start_mark.line + 1);
	if (n->type == YAML_SCALAR_NODE)
		return each_item(id, v, scalar(n), fn, e, where);
	if (n->type != YAML_SEQUENCE_NODE)
		return verr_set(e, V_EINVAL, "%s: expected a value or a list", where);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *c = yaml_document_get_node(doc, *it);
		const char *s = scalar(c);
		if (!s) {
			snprintf(where, sizeof(where), "%s:%lu", path,
				 (unsigned long)(c ? c->start_mark.line : n->start_mark.line) + 1);
			return verr_set(e, V_EINVAL, "%s: expected a value", where);
		}
		snprintf(where, sizeof(where), "%s:%lu", path, (unsigned long)c->start_mark.line + 1);
		int rc = each_item(id, v, s, fn, e, where);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* A list of rules: each item whole (a rule holds spaces). */
static int node_rules(struct identity *id, uint32_t v, yaml_document_t *doc, yaml_node_t *n,
		      int (*fn)(struct identity *, uint32_t, const char *, struct verr *, const char *),
		      struct verr *e, const char *path)
{
	char where[600];
	snprintf(where, sizeof(where), "%s:%lu", path, (unsigned long)n->start_mark.line + 1);
	if (n->type == YAML_SCALAR_NODE)
		return fn(id, v, scalar(n), e, where);
	if (n->type != YAML_SEQUENCE_NODE)
		return verr_set(e, V_EINVAL, "%s: expected a rule or a list of rules", where);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
		yaml_node_t *c = yaml_document_get_node(doc, *it);
		const char *s = scalar(c);
		if (c)
			snprintf(where, sizeof(where), "%s:%lu", path, (unsigned long)c->start_mark.line + 1);
		if (!s)
			return verr_set(e, V_EINVAL, "%s: expected a rule", where);
		int rc = fn(id, v, s, e, where);
		if (rc < 0)
			return rc;
	}
	return 0;
}

static int load_file(struct identity *id, const char *path, struct verr *e)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return verr_set(e, V_EIO, "%s: %s", path, strerror(errno));
	struct stat st;
	if (fstat(fileno(f), &st) == 0)
		id->mtime = st.st_mtim;
	yaml_parser_t parser;
	yaml_document_t doc;
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		return verr_set(e, V_ENOMEM, "out of memory");
	}
	yaml_parser_set_input_file(&parser, f);
	int rc = 0;
	if (!yaml_parser_load(&parser, &doc)) {
		rc = verr_set(e, V_EINVAL, "%s:%lu: YAML error: %s", path,
			      (unsigned long)parser.problem_mark.line + 1,
			      parser.problem ? parser.problem : "unknown");
		yaml_parser_delete(&parser);
		fclose(f);
		return rc;
	}
	yaml_node_t *root = yaml_document_get_root_node(&doc);
	if (root && root->type == YAML_SCALAR_NODE && !*scalar(root))
		root = NULL; /* an empty file: no VMs */
	if (root && root->type != YAML_MAPPING_NODE)
		rc = verr_set(e, V_EINVAL, "%s:%lu: expected one entry per VM (name: ...)", path,
			      (unsigned long)root->start_mark.line + 1);
	for (yaml_node_pair_t *p = root && !rc ? root->data.mapping.pairs.start : NULL;
	     p && p < root->data.mapping.pairs.top && !rc; p++) {
		yaml_node_t *k = yaml_document_get_node(&doc, p->key);
		yaml_node_t *val = yaml_document_get_node(&doc, p->value);
		char where[600];
		snprintf(where, sizeof(where), "%s:%lu", path, (unsigned long)k->start_mark.line + 1);
		const char *name = scalar(k);
		if (!name) {
			rc = verr_set(e, V_EINVAL, "%s: a VM name must be a plain value", where);
			break;
		}
		uint32_t v = vm_get(id, name, e, where);
		if (v == UINT32_MAX) {
			rc = V_EINVAL;
			break;
		}
		if (val->type == YAML_SCALAR_NODE || val->type == YAML_SEQUENCE_NODE) {
			/* "work: 10.137.0.12" or "work: [...]": addresses only */
			rc = node_items(id, v, &doc, val, add_addr, e, path);
			continue;
		}
		if (val->type != YAML_MAPPING_NODE) {
			rc = verr_set(e, V_EINVAL, "%s: expected addresses, labels, interfaces", where);
			break;
		}
		for (yaml_node_pair_t *q = val->data.mapping.pairs.start;
		     q < val->data.mapping.pairs.top && !rc; q++) {
			yaml_node_t *kk = yaml_document_get_node(&doc, q->key);
			yaml_node_t *vv = yaml_document_get_node(&doc, q->value);
			const char *key = scalar(kk);
			snprintf(where, sizeof(where), "%s:%lu", path,
				 (unsigned long)kk->start_mark.line + 1);
			if (key && !strcmp(key, "addresses"))
				rc = node_items(id, v, &doc, vv, add_addr, e, path);
			else if (key && !strcmp(key, "labels"))
				rc = node_items(id, v, &doc, vv, add_label, e, path);
			else if (key && !strcmp(key, "interfaces"))
				rc = node_items(id, v, &doc, vv, add_iface, e, path);
			else if (key && !strcmp(key, "allow"))
				rc = node_rules(id, v, &doc, vv, add_allow, e, path);
			else if (key && !strcmp(key, "deny"))
				rc = node_rules(id, v, &doc, vv, add_deny, e, path);
			else if (key && !strcmp(key, "vpn"))
				rc = node_rules(id, v, &doc, vv, add_vpn, e, path);
			else if (key && !strcmp(key, "quiet-hours"))
				rc = node_rules(id, v, &doc, vv, add_quiet, e, path);
			else if (key && !strcmp(key, "learn")) {
				const char *lv = scalar(vv);
				if (lv && (!strcmp(lv, "yes") || !strcmp(lv, "true")))
					id->vms[v].learn = true;
				else if (lv && (!strcmp(lv, "no") || !strcmp(lv, "false")))
					id->vms[v].learn = false;
				else
					rc = verr_set(e, V_EINVAL, "%s: learn is yes or no", where);
			}
			else if (key && !strcmp(key, "policy")) {
				const char *pv = scalar(vv);
				if (pv && !strcmp(pv, "allow"))
					id->vms[v].policy = VM_DEFAULT_ALLOW;
				else if (pv && !strcmp(pv, "deny"))
					id->vms[v].policy = VM_DEFAULT_DENY;
				else
					rc = verr_set(e, V_EINVAL, "%s: policy is allow or deny", where);
			}
			else
				rc = verr_set(e, V_EINVAL,
					      "%s: unknown key \"%s\" (addresses, labels, interfaces, "
					      "policy, allow, deny, vpn, learn, quiet-hours)",
					      where, key ? key : "?");
		}
	}
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}

/* ---- building ---- */

static int addr_cmp(const void *x, const void *y)
{
	const struct id_addr *a = x, *b = y;
	if (a->ver != b->ver)
		return a->ver < b->ver ? -1 : 1;
	return memcmp(a->a, b->a, 16);
}

static int net_cmp(const void *x, const void *y)
{
	const struct id_addr *a = x, *b = y;
	if (a->plen != b->plen)
		return a->plen > b->plen ? -1 : 1; /* longest first */
	return addr_cmp(x, y);
}

/* A configuration map of VM name = items (identity.vms, identity.labels):
 * fn on each item, errors naming the key. */
static int load_map(struct identity *id, const struct strlist *map, const char *key,
		    int (*fn)(struct identity *, uint32_t, const char *, struct verr *, const char *),
		    struct verr *e)
{
	for (size_t i = 0; i < map->cnt; i++) {
		const char *kv = map->v[i];
		const char *eq = strchr(kv, '=');
		char name[80], where[160];
		size_t n = eq ? (size_t)(eq - kv) : strlen(kv);
		snprintf(name, sizeof(name), "%.*s", (int)MIN(n, sizeof(name) - 1), kv);
		snprintf(where, sizeof(where), "%s.%s", key, name);
		uint32_t v = vm_get(id, name, e, where);
		int rc = v == UINT32_MAX ? V_EINVAL : each_item(id, v, eq ? eq + 1 : "", fn, e, where);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int vm_rule_check(const char *text, struct verr *e)
{
	struct identity id = { 0 };
	int rc = vm_get(&id, "check", e, "rule") == UINT32_MAX ? V_ENOMEM
							      : parse_rule(&id, 0, text, false, e, "rule");
	if (id.nvms) {
		for (uint32_t k = 0; k < id.vms[0].nrules; k++) {
			v_free(id.vms[0].rules[k].name);
			v_free(id.vms[0].rules[k].text);
		}
		v_free(id.vms[0].rules);
		v_free(id.vms[0].name);
	}
	v_free(id.vms);
	return rc;
}

static int sup_cmp(const void *a, const void *b)
{
	const struct id_sup *x = a, *y = b;
	if (x->gid != y->gid)
		return x->gid < y->gid ? -1 : 1;
	if (x->sid != y->sid)
		return x->sid < y->sid ? -1 : 1;
	return x->vm < y->vm ? -1 : x->vm > y->vm;
}

static uint64_t name_id(const char *name)
{
	return hash_bytes(name, strlen(name), 0x5eed);
}

/* The changes made through the control socket (overrides.json): a VM's
 * added allow and deny rules (a VM that had no policy keeps allowing
 * the rest), and the suppressions. */
static int apply_overrides(struct identity *id, const struct config *cfg, struct verr *e)
{
	char path[4096];
	policy_state_path(cfg, "overrides.json", path, sizeof(path));
	struct overrides o = { 0 };
	if (!*path || overrides_read(path, &o, e) < 0) {
		overrides_fini(&o);
		return *path ? V_EFORMAT : 0;
	}
	int rc = 0;
	for (uint32_t i = 0; i < o.n && rc == 0; i++) {
		const struct ovr *x = &o.v[i];
		if (x->action == OVR_SUPPRESS) {
			if (!grow((void **)&id->sup, id->nsup, &id->capsup, sizeof(*id->sup))) {
				rc = verr_set(e, V_ENOMEM, "out of memory");
				break;
			}
			id->sup[id->nsup++] = (struct id_sup){ x->gid, x->sid, *x->vm ? name_id(x->vm) : 0 };
			continue;
		}
		if (x->action != OVR_ALLOW && x->action != OVR_DENY)
			continue;
		uint32_t v = 0;
		while (v < id->nvms && strcmp(id->vms[v].name, x->vm))
			v++;
		if (v == id->nvms) {
			log_warn("%s: %s for VM \"%s\", which is not in the identity map; ignored", path,
				 ovr_action_names[x->action], x->vm);
			continue;
		}
		uint8_t pol = id->vms[v].policy;
		rc = parse_rule(id, v, x->target, x->action == OVR_DENY, e, path);
		if (pol == VM_NO_POLICY)
			id->vms[v].policy = VM_DEFAULT_ALLOW;
	}
	if (id->nsup)
		qsort(id->sup, id->nsup, sizeof(*id->sup), sup_cmp);
	overrides_fini(&o);
	return rc;
}

bool identity_suppressed(const struct identity *id, uint32_t gid, uint32_t sid, const struct vm *a,
			 const struct vm *b)
{
	if (!id || !id->nsup)
		return false;
	uint64_t ids[3] = { 0, a ? a->id : 0, b ? b->id : 0 };
	for (int k = 0; k < 3; k++) {
		if (k && !ids[k])
			continue;
		struct id_sup key = { gid, sid, ids[k] };
		if (bsearch(&key, id->sup, id->nsup, sizeof(key), sup_cmp))
			return true;
	}
	return false;
}

uint32_t identity_suppressions(const struct identity *id) { return id ? id->nsup : 0; }

/* The DNS-over-HTTPS endpoints: the built-in list and policy.doh-list
 * (names and addresses in one file, as in doh_list.h). */
static int load_doh(struct identity *id, const struct config *cfg, struct verr *e)
{
	const char *path = cfg->policy_doh_list;
	char *text = NULL;
	size_t len = 0;
	if (path && *path) {
		FILE *f = fopen(path, "r");
		if (!f)
			return verr_set(e, V_EIO, "policy.doh-list: %s: %s", path, strerror(errno));
		char buf[65536];
		size_t n;
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && len < (64u << 20)) {
			char *t = v_realloc(text, len + n + 1);
			if (!t) {
				fclose(f);
				v_free(text);
				return verr_set(e, V_ENOMEM, "out of memory");
			}
			text = t;
			memcpy(text + len, buf, n);
			len += n;
		}
		fclose(f);
	}
	char *all = v_malloc(sizeof(doh_builtin) + len + 2);
	if (!all) {
		v_free(text);
		return verr_set(e, V_ENOMEM, "out of memory");
	}
	memcpy(all, doh_builtin, sizeof(doh_builtin) - 1);
	if (len)
		memcpy(all + sizeof(doh_builtin) - 1, text, len);
	size_t total = sizeof(doh_builtin) - 1 + len;
	all[total] = 0;
	v_free(text);
	struct list_stats st;
	/* each parser skips the other's lines */
	id->doh_ip = iplist_parse(all, total, path && *path ? path : "doh", &st, e);
	id->doh_name = id->doh_ip ? domainset_parse(all, total, path && *path ? path : "doh", &st, e)
				  : NULL;
	v_free(all);
	return id->doh_ip && id->doh_name ? 0 : V_EINVAL;
}

const char *identity_doh(const struct identity *id, uint8_t ver, const uint8_t *a, const char *name,
			 char *buf, size_t cap)
{
	if (!id)
		return NULL;
	if (name && *name && id->doh_name) {
		bool sfx;
		const char *hit = domainset_lookup(id->doh_name, name, strlen(name), &sfx);
		if (hit) {
			snprintf(buf, cap, "%s%s", sfx ? "*." : "", hit);
			return buf;
		}
	}
	if (ver && a && id->doh_ip && iplist_lookup(id->doh_ip, ver, a, buf, cap))
		return buf;
	return NULL;
}

struct identity *identity_load(const struct config *cfg, struct verr *e)
{
	struct identity *id = v_calloc(1, sizeof(*id));
	if (!id) {
		verr_set(e, V_ENOMEM, "out of memory");
		return NULL;
	}
	int rc = load_map(id, &cfg->identity_vms, "identity.vms", add_addr, e);
	if (rc >= 0)
		rc = load_map(id, &cfg->identity_labels, "identity.labels", add_label, e);
	if (rc >= 0 && cfg->identity_file && *cfg->identity_file)
		rc = load_file(id, cfg->identity_file, e);
	if (rc >= 0)
		rc = apply_overrides(id, cfg, e);
	if (rc >= 0)
		rc = load_doh(id, cfg, e);
	if (rc < 0) {
		identity_free(id);
		return NULL;
	}
	for (uint32_t i = 0; i < id->nvms; i++)
		id->vms[i].id = name_id(id->vms[i].name);
	if (id->nexact)
		qsort(id->exact, id->nexact, sizeof(*id->exact), addr_cmp);
	if (id->nnets)
		qsort(id->nets, id->nnets, sizeof(*id->nets), net_cmp);
	return id;
}

void identity_free(struct identity *id)
{
	if (!id)
		return;
	for (uint32_t i = 0; i < id->nvms; i++) {
		v_free(id->vms[i].name);
		for (uint32_t k = 0; k < id->vms[i].nlabels; k++)
			v_free(id->vms[i].labels[k]);
		v_free(id->vms[i].labels);
		for (uint32_t k = 0; k < id->vms[i].nrules; k++) {
			v_free(id->vms[i].rules[k].name);
			v_free(id->vms[i].rules[k].text);
		}
		v_free(id->vms[i].rules);
		for (uint32_t k = 0; k < id->vms[i].nvpn; k++)
			v_free(id->vms[i].vpn[k].text);
		v_free(id->vms[i].vpn);
	}
	iplist_free(id->doh_ip);
	domainset_free(id->doh_name);
	v_free(id->vms);
	v_free(id->exact);
	v_free(id->nets);
	for (uint32_t i = 0; i < id->nifaces; i++)
		v_free(id->ifaces[i].name);
	v_free(id->ifaces);
	v_free(id->sup);
	v_free(id);
}

/* ---- asking ---- */

static bool in_net(const struct id_addr *n, const uint8_t *a)
{
	unsigned full = n->plen / 8, rem = n->plen % 8;
	if (memcmp(n->a, a, full))
		return false;
	return !rem || ((n->a[full] ^ a[full]) & (uint8_t)(0xff << (8 - rem))) == 0;
}

const struct vm *identity_by_addr(const struct identity *id, uint8_t ver, const uint8_t *a)
{
	if (!id || (ver != 4 && ver != 6))
		return NULL;
	struct id_addr key = { .ver = ver };
	memcpy(key.a, a, ver == 4 ? 4 : 16);
	uint32_t lo = 0, hi = id->nexact;
	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		int c = addr_cmp(&id->exact[mid], &key);
		if (!c)
			return &id->vms[id->exact[mid].vm];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (uint32_t i = 0; i < id->nnets; i++)
		if (id->nets[i].ver == ver && in_net(&id->nets[i], key.a))
			return &id->vms[id->nets[i].vm];
	return NULL;
}

const struct vm *identity_by_iface(const struct identity *id, const char *ifname)
{
	if (!id || !ifname)
		return NULL;
	for (uint32_t i = 0; i < id->nifaces; i++)
		if (!strcmp(id->ifaces[i].name, ifname))
			return &id->vms[id->ifaces[i].vm];
	return NULL;
}

bool identity_has_ifaces(const struct identity *id)
{
	return id && id->nifaces;
}

bool vm_has_label(const struct vm *vm, const char *label)
{
	for (uint32_t i = 0; vm && i < vm->nlabels; i++)
		if (!strcmp(vm->labels[i], label))
			return true;
	return false;
}

static bool name_matches(const struct vm_rule *r, const char *name)
{
	if (!name)
		return false;
	size_t nl = strlen(name), rl = strlen(r->name);
	while (nl && name[nl - 1] == '.')
		nl--;
	if (nl == rl && !strncasecmp(name, r->name, rl))
		return true;
	/* *.suffix: the name itself and anything under it */
	return r->kind == VR_SUFFIX && nl > rl && name[nl - rl - 1] == '.' &&
	       !strncasecmp(name + nl - rl, r->name, rl);
}

static bool rule_matches(const struct vm_rule *r, const char *name, uint8_t ver, const uint8_t *a,
			 uint8_t proto, uint16_t port)
{
	if (proto && r->proto && r->proto != proto)
		return false;
	if ((proto || port) && (port < r->port_lo || port > r->port_hi))
		return false;
	if (r->kind == VR_NET) {
		if (!ver || ver != r->ver)
			return false;
		struct id_addr n = { .ver = r->ver, .plen = r->plen };
		memcpy(n.a, r->a, 16);
		return in_net(&n, a);
	}
	return name_matches(r, name);
}

const struct vm_rule *vm_rule_match(const struct vm *vm, const char *name, uint8_t ver,
				    const uint8_t *a, uint8_t proto, uint16_t port)
{
	for (int pass = 0; vm && pass < 2; pass++)
		for (uint32_t i = 0; i < vm->nrules; i++)
			if (vm->rules[i].deny == (pass == 0) &&
			    rule_matches(&vm->rules[i], name, ver, a, proto, port))
				return &vm->rules[i];
	return NULL;
}

bool vm_name_allowed(const struct vm *vm, const char *name, const struct vm_rule **deny)
{
	*deny = NULL;
	for (uint32_t i = 0; vm && i < vm->nrules; i++)
		if (vm->rules[i].deny && vm->rules[i].kind != VR_NET && !vm->rules[i].proto &&
		    name_matches(&vm->rules[i], name)) {
			*deny = &vm->rules[i];
			return false;
		}
	if (!vm || vm->policy != VM_DEFAULT_DENY)
		return true;
	for (uint32_t i = 0; i < vm->nrules; i++)
		if (!vm->rules[i].deny && vm->rules[i].kind != VR_NET && name_matches(&vm->rules[i], name))
			return true;
	return false;
}

bool vm_vpn_allows(const struct vm *vm, uint8_t ver, const uint8_t *a, uint8_t proto, uint16_t port)
{
	for (uint32_t i = 0; vm && i < vm->nvpn; i++)
		if (rule_matches(&vm->vpn[i], NULL, ver, a, proto, port))
			return true;
	return false;
}

uint32_t identity_count(const struct identity *id) { return id ? id->nvms : 0; }

struct timespec identity_file_mtime(const struct identity *id)
{
	struct timespec z = { 0, 0 };
	return id ? id->mtime : z;
}

const struct vm *identity_vm_at(const struct identity *id, uint32_t i)
{
	return id && i < id->nvms ? &id->vms[i] : NULL;
}

const struct vm *identity_by_name(const struct identity *id, const char *name)
{
	for (uint32_t i = 0; id && i < id->nvms; i++)
		if (!strcmp(id->vms[i].name, name))
			return &id->vms[i];
	return NULL;
}

static void addr_text(uint8_t ver, const uint8_t *a, uint8_t plen, char *buf, size_t cap)
{
	char t[INET6_ADDRSTRLEN];
	inet_ntop(ver == 4 ? AF_INET : AF_INET6, a, t, sizeof(t));
	if (plen == (ver == 4 ? 32 : 128))
		snprintf(buf, cap, "%s", t);
	else
		snprintf(buf, cap, "%s/%u", t, plen);
}

void identity_vm_json(const struct identity *id, const struct vm *vm, struct jbuf *jb,
		      const char *key)
{
	static const char *const pol[] = { "none", "default allow", "default deny" };
	uint32_t v = (uint32_t)(vm - id->vms);
	char buf[64];
	jb_open_object(jb, key);
	jb_str(jb, "name", vm->name);
	jb_open_array(jb, "addresses");
	for (uint32_t i = 0; i < id->nexact; i++)
		if (id->exact[i].vm == v) {
			addr_text(id->exact[i].ver, id->exact[i].a, id->exact[i].plen, buf, sizeof(buf));
			jb_str(jb, NULL, buf);
		}
	for (uint32_t i = 0; i < id->nnets; i++)
		if (id->nets[i].vm == v) {
			addr_text(id->nets[i].ver, id->nets[i].a, id->nets[i].plen, buf, sizeof(buf));
			jb_str(jb, NULL, buf);
		}
	jb_close(jb);
	jb_open_array(jb, "labels");
	for (uint32_t i = 0; i < vm->nlabels; i++)
		jb_str(jb, NULL, vm->labels[i]);
	jb_close(jb);
	jb_open_array(jb, "interfaces");
	for (uint32_t i = 0; i < id->nifaces; i++)
		if (id->ifaces[i].vm == v)
			jb_str(jb, NULL, id->ifaces[i].name);
	jb_close(jb);
	jb_str(jb, "policy", pol[vm->policy <= VM_DEFAULT_DENY ? vm->policy : 0]);
	if (vm->learn)
		jb_bool(jb, "learn", true);
	for (int deny = 0; deny < 2; deny++) {
		jb_open_array(jb, deny ? "deny" : "allow");
		for (uint32_t i = 0; i < vm->nrules; i++)
			if (vm->rules[i].deny == deny)
				jb_str(jb, NULL, vm->rules[i].text);
		jb_close(jb);
	}
	jb_open_array(jb, "vpn");
	for (uint32_t i = 0; i < vm->nvpn; i++)
		jb_str(jb, NULL, vm->vpn[i].text);
	jb_close(jb);
	jb_open_array(jb, "suppressed");
	for (uint32_t i = 0; i < id->nsup; i++)
		if (id->sup[i].vm == vm->id || !id->sup[i].vm) {
			snprintf(buf, sizeof(buf), "%u:%u%s", id->sup[i].gid, id->sup[i].sid,
				 id->sup[i].vm ? "" : " (all)");
			jb_str(jb, NULL, buf);
		}
	jb_close(jb);
	jb_close(jb);
}
