/*
 * ruleset.c - which files make a ruleset, in which order, and what an
 * analysed event looks like as Wazuh alert fields.
 *
 * Two layouts load as they are shipped:
 *   Wazuh:  DIR/decoders/NAME.xml and DIR/rules/NAME.xml, each set in file-name
 *           order (Wazuh sorts every rule file by name), lists in
 *           DIR/lists (etc/lists/NAME in a rule names DIR/lists/NAME);
 *   OSSEC:  DIR/decoder.xml, and the rule files DIR/ossec-server.conf (or
 *           ossec.conf) includes, in its order, and only those (OSSEC's own
 *           tests expect the rules of files it leaves out not to fire).
 */
#include "hids_int.h"

#include <dirent.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "json.h"
#include "util.h"

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.xml names in dir, sorted; NULL-terminated.  NULL if dir is not a
 * directory. */
static char **xml_files(const char *dir, size_t *cnt)
{
	DIR *d = opendir(dir);
	if (!d)
		return NULL;
	char **v = NULL;
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (l < 5 || strcmp(de->d_name + l - 4, ".xml"))
			continue;
		char **nv = realloc(v, (n + 2) * sizeof(*nv));
		if (!nv)
			break;
		v = nv;
		if (!(v[n] = strdup(de->d_name)))
			break;
		n++;
	}
	closedir(d);
	if (!v && !(v = calloc(1, sizeof(*v))))
		return NULL;
	v[n] = NULL;
	qsort(v, n, sizeof(*v), cmp_str);
	*cnt = n;
	return v;
}

static void names_free(char **v)
{
	for (size_t i = 0; v && v[i]; i++)
		free(v[i]);
	free(v);
}

static bool is_dir(const char *p)
{
	struct stat st;
	return !stat(p, &st) && S_ISDIR(st.st_mode);
}

static bool is_file(const char *p)
{
	struct stat st;
	return !stat(p, &st) && S_ISREG(st.st_mode);
}

/* Remembers a file's name (errors and rules point at it). */
static const char *note_file(struct hids_ruleset *rs, const char *name)
{
	char **n = realloc(rs->files, (rs->file_cnt + 1) * sizeof(*n));
	if (!n)
		return NULL;
	rs->files = n;
	if (!(n[rs->file_cnt] = strdup(name)))
		return NULL;
	return n[rs->file_cnt++];
}

static bool excluded(const struct hids_paths *p, const char *name)
{
	for (size_t i = 0; i < ARRAY_SIZE(p->exclude) && p->exclude[i]; i++)
		if (!strcmp(p->exclude[i], name))
			return true;
	return false;
}

/* OSSEC: the <rules><include> names of an ossec.conf, in order. */
static char **ossec_includes(const char *conf, size_t *cnt)
{
	struct verr e = { "" };
	struct hxml *doc = hxml_parse_file(conf, &e);
	if (!doc)
		return NULL;
	char **v = calloc(1, sizeof(*v));
	size_t n = 0;
	for (const struct hxml *c = doc->child; v && c; c = c->next)
		for (const struct hxml *r = c->child; v && r; r = r->next) {
			if (strcmp(r->name, "rules"))
				continue;
			for (const struct hxml *i = r->child; i; i = i->next) {
				if (strcmp(i->name, "include"))
					continue;
				char **nv = realloc(v, (n + 2) * sizeof(*nv));
				if (!nv)
					break;
				v = nv;
				v[n++] = strdup(i->text);
				v[n] = NULL;
			}
		}
	hxml_free(doc);
	*cnt = n;
	return v;
}

/* The table of literal runs of the patterns that read the log line:
 * decoders' prematch and regex, rules' match and regex. */
static int lits_build(struct hids_ruleset *rs, struct verr *e)
{
	if (!(rs->lits = hpat_lits_new()))
		return verr_set(e, V_ENOMEM, "out of memory");
	int rc = 0;
	for (size_t i = 0; !rc && i < rs->dec_cnt; i++) {
		rc = hpat_lits_add(rs->lits, &rs->dec[i]->prematch);
		if (!rc)
			rc = hpat_lits_add(rs->lits, &rs->dec[i]->regex);
	}
	for (size_t i = 0; !rc && i < rs->rule_cnt; i++) {
		rc = hpat_lits_add(rs->lits, &rs->rules[i]->m[RM_MATCH]);
		if (!rc)
			rc = hpat_lits_add(rs->lits, &rs->rules[i]->m[RM_REGEX]);
	}
	if (rc)
		return verr_set(e, V_ENOMEM, "out of memory");
	if ((rc = hpat_lits_build(rs->lits, e)))
		return rc;
	if (hids_decoders_keys(rs))
		return verr_set(e, V_ENOMEM, "out of memory");
	return 0;
}

int hids_ruleset_load(struct hids_ruleset **out, const struct hids_paths *p, FILE *warn,
		      struct verr *e)
{
	struct hids_ruleset *rs = calloc(1, sizeof(*rs));
	char path[4096], lists[4096];
	char **dec = NULL, **rules = NULL, **inc = NULL;
	size_t nd = 0, nr = 0, ni = 0;
	int rc = 0;
	if (!rs)
		return verr_set(e, V_ENOMEM, "out of memory");
	rs->warn = warn;
	snprintf(lists, sizeof(lists), "%s", p->lists_dir ? p->lists_dir : "");
	snprintf(path, sizeof(path), "%s/decoders", p->dir);
	if (is_dir(path)) {
		if (!p->lists_dir)
			snprintf(lists, sizeof(lists), "%s/lists", p->dir);
		dec = xml_files(path, &nd);
		for (size_t i = 0; !rc && i < nd; i++) {
			char f[4096], disp[512];
			snprintf(f, sizeof(f), "%s/decoders/%s", p->dir, dec[i]);
			snprintf(disp, sizeof(disp), "decoders/%s", dec[i]);
			rc = note_file(rs, disp) ? hids_decoders_load(rs, f, e) : verr_set(e, V_ENOMEM, "out of memory");
		}
	} else {
		snprintf(path, sizeof(path), "%s/decoder.xml", p->dir);
		if (!is_file(path)) {
			rc = verr_set(e, V_EINVAL, "%s: neither decoders/ (Wazuh) nor decoder.xml (OSSEC)", p->dir);
			goto out;
		}
		rs->ossec = true;
		if (!p->lists_dir)
			snprintf(lists, sizeof(lists), "%s/lists", p->dir);
		rc = note_file(rs, "decoder.xml") ? hids_decoders_load(rs, path, e) : V_ENOMEM;
		snprintf(path, sizeof(path), "%s/ossec-server.conf", p->dir);
		if (!is_file(path))
			snprintf(path, sizeof(path), "%s/ossec.conf", p->dir);
		inc = ossec_includes(path, &ni);
	}
	if (rc)
		goto out;
	hids_decoders_finish(rs);
	snprintf(path, sizeof(path), "%s/rules", p->dir);
	rules = xml_files(path, &nr);
	if (!rules) {
		rc = verr_set(e, V_EINVAL, "%s: no rules/ folder", p->dir);
		goto out;
	}
	/* OSSEC: the included files first, in their order */
	for (size_t i = 0; !rc && inc && i < ni; i++) {
		char f[4096], disp[512];
		snprintf(f, sizeof(f), "%s/rules/%s", p->dir, inc[i]);
		snprintf(disp, sizeof(disp), "rules/%s", inc[i]);
		if (!is_file(f) || excluded(p, inc[i]))
			continue;
		rc = note_file(rs, disp) ? hids_rules_load_file(rs, f, p->dir, lists, e) : V_ENOMEM;
	}
	for (size_t i = 0; !rc && !inc && i < nr; i++) {
		bool done = excluded(p, rules[i]);
		for (size_t k = 0; !done && inc && k < ni; k++)
			done = !strcmp(inc[k], rules[i]);
		if (done)
			continue;
		char f[4096], disp[512];
		snprintf(f, sizeof(f), "%s/rules/%s", p->dir, rules[i]);
		snprintf(disp, sizeof(disp), "rules/%s", rules[i]);
		rc = note_file(rs, disp) ? hids_rules_load_file(rs, f, p->dir, lists, e) : V_ENOMEM;
	}
	if (!rc)
		rc = hids_rules_finish(rs);
	if (!rc)
		rc = lits_build(rs, e);
out:
	names_free(dec);
	names_free(rules);
	names_free(inc);
	if (rc) {
		hids_ruleset_free(rs);
		return rc;
	}
	rs->warn = NULL;
	*out = rs;
	return 0;
}

void hids_ruleset_free(struct hids_ruleset *rs)
{
	if (!rs)
		return;
	hpat_lits_free(rs->lits);
	hids_rules_free(rs);
	hids_decoders_free(rs);
	for (size_t i = 0; i < rs->file_cnt; i++)
		free(rs->files[i]);
	free(rs->files);
	free(rs);
}

size_t hids_ruleset_rules(const struct hids_ruleset *rs)
{
	return rs->rule_cnt;
}

size_t hids_ruleset_decoders(const struct hids_ruleset *rs)
{
	return rs->dec_cnt;
}

size_t hids_ruleset_warnings(const struct hids_ruleset *rs)
{
	return rs->warnings;
}

/* ---- as Wazuh alert fields ----------------------------------------- */

/* Wazuh moves compliance tags out of the groups into arrays of their
 * own: "pci_dss_10.2.4" is "10.2.4" in rule.pci_dss. */
static const char *const compliance[] = { "pci_dss_", "cis_", "gdpr_", "gpg13_", "hipaa_", "nist_800_53_",
					  "tsc_" };

struct grp_ctx {
	struct jbuf *jb;
	int only;          /* -1: plain groups; else the compliance[] index */
};

static int compliance_of(const char *g)
{
	for (size_t i = 0; i < ARRAY_SIZE(compliance); i++)
		if (!strncmp(g, compliance[i], strlen(compliance[i])))
			return (int)i;
	return -1;
}

static void group_cb(void *ctx, const char *g)
{
	struct grp_ctx *c = ctx;
	int k = compliance_of(g);
	if (k != c->only)
		return;
	jb_str(c->jb, NULL, k < 0 ? g : g + strlen(compliance[k]));
}

struct has_ctx {
	bool has[ARRAY_SIZE(compliance)];
};

static void has_cb(void *ctx, const char *g)
{
	int k = compliance_of(g);
	if (k >= 0)
		((struct has_ctx *)ctx)->has[k] = true;
}

/* The description with "$(field)" replaced by the event's value. */
static void description(const struct hids_event *ev, const char *d, struct jbuf *jb)
{
	char out[2048];
	size_t n = 0;
	for (const char *p = d; *p && n < sizeof(out) - 1;) {
		const char *close;
		if (p[0] == '$' && p[1] == '(' && (close = strchr(p + 2, ')'))) {
			char name[128];
			size_t nl = (size_t)(close - p - 2);
			if (nl < sizeof(name)) {
				memcpy(name, p + 2, nl);
				name[nl] = 0;
				const char *v;
				int f = hids_field_static(name);
				if (f >= 0)
					v = ev->f[f];
				else if (!strcmp(name, "program_name"))
					v = ev->program_name;
				else if (!strcmp(name, "hostname"))
					v = ev->hostname;
				else
					v = hids_event_dyn(ev, name);
				for (; v && *v && n < sizeof(out) - 1; v++)
					out[n++] = *v;
				p = close + 1;
				continue;
			}
		}
		out[n++] = *p++;
	}
	out[n] = 0;
	jb_str(jb, "description", out);
}

/* A key that may come from the log (a JSON key): escaped, as jb_key
 * writes keys as they are.  A value Wazuh's JSON decoder kept as an
 * array (["a", "b"]) is written as one, as Wazuh's alerts do. */
static void dyn_put(struct jbuf *jb, const char *key, size_t klen, const char *v)
{
	struct jbuf kb = { 0 };
	jb_escape(&kb, (const uint8_t *)key, klen);
	jb_append(&kb, "", 1);
	if (kb.oom) {
		jb_fini(&kb);
		return;
	}
	char *arr = NULL;
	if (!v) {
		jb_open_object(jb, kb.buf);
	} else if (v[0] == '[') {
		json_t *a = json_loads(v, 0, NULL);
		arr = a && json_is_array(a) ? json_dumps(a, JSON_COMPACT) : NULL;
		json_decref(a);
	}
	if (arr)
		jb_raw(jb, kb.buf, arr);
	else if (v)
		jb_str(jb, kb.buf, v);
	free(arr);
	jb_fini(&kb);
}

struct dynw {
	const struct hids_event *ev;
	bool *done;
};

/* Some field is named exactly name[0..n), or a static field is (at the
 * top level): it cannot also be an object. */
static bool dyn_leaf(const struct dynw *w, const char *name, size_t n, bool top)
{
	for (size_t j = 0; j < w->ev->dyn_cnt; j++) {
		const char *o = w->ev->dyn[j].name;
		if (!strncmp(o, name, n) && !o[n])
			return true;
	}
	if (top) {
		char s[64];
		if (n < sizeof(s)) {
			memcpy(s, name, n);
			s[n] = 0;
			int f = hids_field_static(s);
			return f >= 0 && w->ev->f[f] && *w->ev->f[f];
		}
	}
	return false;
}

/* The dynamic fields under prefix (plen bytes, ending in '.'), nested on
 * their dots as Wazuh writes them ("audit.auid" is {"audit": {"auid":
 * ...}}), in order of first appearance; the first of a repeated name
 * wins.  A part that is also a value ("a" and "a.b"), or is empty, keeps
 * the rest of the name flat ({"a": ..., "a.b": ...}): Wazuh drops one of
 * the two, vigil keeps both and never writes a key twice. */
static void dyn_level(struct dynw *w, struct jbuf *jb, const char *prefix, size_t plen, int depth)
{
	const struct hids_event *ev = w->ev;
	for (size_t i = 0; i < ev->dyn_cnt; i++) {
		const char *name = ev->dyn[i].name;
		if (w->done[i] || strncmp(name, prefix, plen))
			continue;
		const char *rest = name + plen, *dot = strchr(rest, '.');
		size_t cl = dot ? (size_t)(dot - rest) : 0;
		if (dot && cl && dot[1] && depth < 16 && !dyn_leaf(w, name, plen + cl, !depth)) {
			dyn_put(jb, rest, cl, NULL);
			dyn_level(w, jb, name, plen + cl + 1, depth + 1);
			jb_close(jb);
			continue;
		}
		for (size_t k = i; k < ev->dyn_cnt; k++)
			if (!strcmp(ev->dyn[k].name, name))
				w->done[k] = true;
		if (*ev->dyn[i].value)
			dyn_put(jb, rest, strlen(rest), ev->dyn[i].value);
	}
}

void hids_event_json(const struct hids_event *ev, struct jbuf *jb)
{
	const struct hrule *r = ev->rule;
	if (r) {
		jb_open_object(jb, "rule");
		jb_i64(jb, "level", r->level);
		description(ev, r->description, jb);
		char id[16];
		snprintf(id, sizeof(id), "%u", r->id);
		jb_str(jb, "id", id);
		if (r->mitre_cnt) {
			jb_open_object(jb, "mitre");
			jb_open_array(jb, "id");
			for (size_t i = 0; i < r->mitre_cnt; i++)
				jb_str(jb, NULL, r->mitre[i]);
			jb_close(jb);
			jb_close(jb);
		}
		if (r->frequency)
			jb_i64(jb, "frequency", r->frequency);
		if (!(r->options & RO_NO_COUNTER))
			jb_u64(jb, "firedtimes", ev->firedtimes);
		jb_bool(jb, "mail", (r->options & RO_ALERT_BY_EMAIL) != 0);
		struct grp_ctx gc = { jb, -1 };
		jb_open_array(jb, "groups");
		hids_rule_groups(r, group_cb, &gc);
		jb_close(jb);
		struct has_ctx hc = { { false } };
		hids_rule_groups(r, has_cb, &hc);
		for (size_t k = 0; k < ARRAY_SIZE(compliance); k++) {
			if (!hc.has[k])
				continue;
			char name[32];
			str_lcpy(name, compliance[k], sizeof(name));
			name[strlen(name) - 1] = 0;
			gc.only = (int)k;
			jb_open_array(jb, name);
			hids_rule_groups(r, group_cb, &gc);
			jb_close(jb);
		}
		jb_close(jb);
	}
	if (ev->previous_output)
		jb_str(jb, "previous_output", ev->previous_output);
	if (!r || !(r->options & RO_NO_FULL_LOG))
		jb_str(jb, "full_log", ev->full_log);
	if (ev->program_name || ev->timestamp || ev->hostname) {
		jb_open_object(jb, "predecoder");
		if (ev->program_name)
			jb_str(jb, "program_name", ev->program_name);
		if (ev->timestamp)
			jb_str(jb, "timestamp", ev->timestamp);
		if (ev->hostname)
			jb_str(jb, "hostname", ev->hostname);
		jb_close(jb);
	}
	jb_open_object(jb, "decoder");
	if (ev->decoder) {
		if (ev->decoder->parent)
			jb_str(jb, "parent", ev->decoder->parent);
		jb_str(jb, "name", ev->decoder->name);
	}
	jb_close(jb);
	bool any = ev->dyn_cnt > 0;
	for (int i = 0; i < HF_STATIC_CNT && !any; i++)
		any = ev->f[i] != NULL;
	if (any) {
		jb_open_object(jb, "data");
		for (int i = 0; i < HF_STATIC_CNT; i++)
			if (ev->f[i] && *ev->f[i])
				jb_str(jb, hids_field_name(i), ev->f[i]);
		bool *done = ev->dyn_cnt ? calloc(ev->dyn_cnt, sizeof(*done)) : NULL;
		if (done) {
			struct dynw w = { ev, done };
			dyn_level(&w, jb, "", 0, 0);
			free(done);
		}
		jb_close(jb);
	}
	jb_str(jb, "location", ev->location);
}
