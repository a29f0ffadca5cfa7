/*
 * decoder.c - OSSEC/Wazuh decoders: loading the XML files as shipped and
 * decoding a pre-decoded line the way wazuh-analysisd does.
 *
 * Top-level decoders sit in two lists: those with a <program_name> see
 * only lines that have a program name, the others only lines without
 * one.  The first top-level decoder whose program name and prematch
 * match wins, for good.  Its children are tried in load order: the first
 * whose prematch matches (or the first with no prematch at all) is
 * chosen, then it and the same-named siblings after it form a chain of
 * regexes, each reading from the start of the message, after the
 * parent, after its prematch or after the previous regex (<offset>).
 * Captures land in <order>'s fields: the static ones (srcip, user...)
 * are overwritten, dynamic ones appended.  Plugin decoders (JSON, pf,
 * SonicWall, Symantec WS) fill fields by code.
 *
 * The OSSEC dialect differs in element names (<pcre2>, <prematch_pcre2>,
 * <program_name_pcre2>); both load.
 */
#include "hids_int.h"

#include <ctype.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "util.h"

#define DEC_PATTERN_MAX 1023

void hids_warn(struct hids_ruleset *rs, const char *fmt, ...)
{
	rs->warnings++;
	if (!rs->warn)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("warning: ", rs->warn);
	vfprintf(rs->warn, fmt, ap);
	fputc('\n', rs->warn);
	va_end(ap);
}

static void order_free(struct horder *o, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(o[i].name);
	free(o);
}

static void decoder_free(struct hdecoder *d)
{
	if (!d)
		return;
	if (d->name != d->own_name)
		free(d->name);
	free(d->own_name);
	free(d->parent);
	hpat_free(&d->program_name);
	hpat_free(&d->prematch);
	hpat_free(&d->regex);
	order_free(d->order, d->order_cnt);
	for (size_t i = 0; i < d->fts_cnt; i++)
		free(d->fts[i]);
	free(d->fts);
	free(d->child);
	free(d->keys);
	free(d);
}

void hids_decoders_free(struct hids_ruleset *rs)
{
	for (size_t i = 0; i < rs->dec_cnt; i++)
		decoder_free(rs->dec[i]);
	free(rs->dec);
	free(rs->pn);
	free(rs->nopn);
	for (size_t i = 0; i < rs->dec_name_cnt; i++)
		free(rs->dec_names[i]);
	free(rs->dec_names);
	for (size_t i = 0; i < rs->pn_index_cap; i++) {
		free(rs->pn_index[i].name);
		free(rs->pn_index[i].pos);
	}
	free(rs->pn_index);
	free(rs->pn_other);
}

static uint64_t name_hash(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)(s[i] >= 'A' && s[i] <= 'Z' ? s[i] + 32 : s[i])) * 1099511628211ull;
	return h;
}

static struct pn_slot *pn_slot_of(const struct hids_ruleset *rs, const char *name, size_t n, bool *found)
{
	size_t cap = rs->pn_index_cap;
	for (size_t k = name_hash(name, n) & (cap - 1);; k = (k + 1) & (cap - 1)) {
		struct pn_slot *sl = &rs->pn_index[k];
		if (!sl->name) {
			*found = false;
			return sl;
		}
		if (strlen(sl->name) == n && !strncasecmp(sl->name, name, n)) {
			*found = true;
			return sl;
		}
	}
}

struct pn_add {
	struct hids_ruleset *rs;
	uint32_t pos;
	bool oom;
};

static void pn_add_name(void *ctx, const char *name, size_t n)
{
	struct pn_add *a = ctx;
	bool found;
	struct pn_slot *sl = pn_slot_of(a->rs, name, n, &found);
	if (!found && !(sl->name = strndup(name, n))) {
		a->oom = true;
		return;
	}
	if (sl->cnt && sl->pos[sl->cnt - 1] == a->pos)
		return; /* "^x$|^x$" */
	uint32_t *np = realloc(sl->pos, (sl->cnt + 1) * sizeof(*np));
	if (!np) {
		a->oom = true;
		return;
	}
	sl->pos = np;
	np[sl->cnt++] = a->pos;
}

/* The pn list by program name: most top-level decoders name theirs
 * exactly ("^sshd$"), so a line is tried against those of its own name
 * and the few others, in load order, instead of against all. */
static void pn_index_build(struct hids_ruleset *rs)
{
	size_t cap = 64;
	while (cap < rs->pn_cnt * 4)
		cap *= 2;
	rs->pn_index = calloc(cap, sizeof(*rs->pn_index));
	rs->pn_other = calloc(rs->pn_cnt + 1, sizeof(*rs->pn_other));
	if (!rs->pn_index || !rs->pn_other)
		goto fail;
	rs->pn_index_cap = cap;
	for (size_t i = 0; i < rs->pn_cnt; i++) {
		struct pn_add a = { rs, (uint32_t)i, false };
		if (!hpat_exact_names(&rs->pn[i]->program_name, pn_add_name, &a))
			rs->pn_other[rs->pn_other_cnt++] = (uint32_t)i;
		if (a.oom)
			goto fail;
	}
	return;
fail:
	/* without the index every decoder is tried: slower, the same */
	for (size_t i = 0; rs->pn_index && i < rs->pn_index_cap; i++) {
		free(rs->pn_index[i].name);
		free(rs->pn_index[i].pos);
	}
	free(rs->pn_index);
	free(rs->pn_other);
	rs->pn_index = NULL;
	rs->pn_other = NULL;
	rs->pn_index_cap = rs->pn_other_cnt = 0;
}

/* Appends text to *acc (repeated elements are joined without a
 * separator); -1 out of memory, -2 too long. */
static int concat(char **acc, const char *text)
{
	size_t a = *acc ? strlen(*acc) : 0, t = strlen(text);
	if (a + t > DEC_PATTERN_MAX)
		return -2;
	char *n = realloc(*acc, a + t + 1);
	if (!n)
		return -1;
	memcpy(n + a, text, t + 1);
	*acc = n;
	return 0;
}

static int parse_offset(const char *v)
{
	if (!v)
		return HO_NONE;
	if (!strcasecmp(v, "after_parent"))
		return HO_AFTER_PARENT;
	if (!strcasecmp(v, "after_prematch"))
		return HO_AFTER_PREMATCH;
	if (!strcasecmp(v, "after_regex"))
		return HO_AFTER_REGEX;
	return -1;
}

/* "srcip, user,  extra_data" -> entries; names cut at the first space. */
static int parse_order(const char *text, struct horder **out, size_t *cnt)
{
	size_t n = 1;
	for (const char *p = text; *p; p++)
		n += *p == ',';
	if (n > HIDS_MAX_DYN)
		return -2;
	struct horder *o = calloc(n, sizeof(*o));
	if (!o)
		return -1;
	size_t k = 0;
	const char *p = text;
	for (;;) {
		const char *c = strchr(p, ',');
		const char *end = c ? c : p + strlen(p);
		while (p < end && *p == ' ')
			p++;
		const char *q = p;
		while (q < end && *q != ' ')
			q++;
		if (q == p) {
			order_free(o, k);
			return -3;
		}
		char name[256];
		size_t nl = (size_t)(q - p) < sizeof(name) - 1 ? (size_t)(q - p) : sizeof(name) - 1;
		memcpy(name, p, nl);
		name[nl] = 0;
		o[k].stat = hids_field_static(name);
		if (!(o[k].name = strdup(name))) {
			order_free(o, k);
			return -1;
		}
		k++;
		if (!c)
			break;
		p = c + 1;
	}
	*out = o;
	*cnt = k;
	return 0;
}

static int name_id(struct hids_ruleset *rs, const char *name)
{
	for (size_t i = 0; i < rs->dec_name_cnt; i++)
		if (!strcmp(rs->dec_names[i], name))
			return (int)i;
	char **n = realloc(rs->dec_names, (rs->dec_name_cnt + 1) * sizeof(*n));
	if (!n)
		return -1;
	rs->dec_names = n;
	if (!(n[rs->dec_name_cnt] = strdup(name)))
		return -1;
	return (int)rs->dec_name_cnt++;
}

int hids_decoder_id(const struct hids_ruleset *rs, const char *name)
{
	for (size_t i = 0; i < rs->dec_name_cnt; i++)
		if (!strcmp(rs->dec_names[i], name))
			return (int)i;
	return -1;
}

static int push(void *arr, size_t *cnt, size_t *cap, void *item)
{
	void ***a = arr;
	if (*cnt == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		void **n = realloc(*a, nc * sizeof(void *));
		if (!n)
			return -1;
		*a = n;
		*cap = nc;
	}
	(*a)[(*cnt)++] = item;
	return 0;
}

/* Attaches child c under every top-level decoder named c->parent. */
static int attach(struct hids_ruleset *rs, struct hdecoder *c, struct verr *e, const char *file)
{
	bool found = false;
	for (int l = 0; l < 2; l++) {
		struct hdecoder **list = l ? rs->nopn : rs->pn;
		size_t n = l ? rs->nopn_cnt : rs->pn_cnt;
		for (size_t i = 0; i < n; i++) {
			struct hdecoder *p = list[i];
			if (strcmp(p->own_name, c->parent))
				continue;
			found = true;
			for (size_t k = 0; k < p->child_cnt; k++) {
				struct hdnode *prev = &p->child[k];
				if (strcmp(prev->d->own_name, c->own_name))
					continue;
				if (c->prematch.type != HP_NONE)
					return verr_set(e, V_EINVAL,
							"%s:%u: decoder '%s' repeats a name and has a prematch",
							file, c->line, c->own_name);
				prev->get_next = true;
			}
			if (p->child_cnt == p->child_cap) {
				size_t nc = p->child_cap ? p->child_cap * 2 : 8;
				struct hdnode *nn = realloc(p->child, nc * sizeof(*nn));
				if (!nn)
					return verr_set(e, V_ENOMEM, "out of memory");
				p->child = nn;
				p->child_cap = nc;
			}
			p->child[p->child_cnt].d = c;
			p->child[p->child_cnt].get_next = false;
			p->child_cnt++;
		}
	}
	if (!found)
		return verr_set(e, V_EINVAL, "%s:%u: decoder '%s': parent '%s' not found", file, c->line,
				c->own_name, c->parent);
	return 0;
}

struct dtext {
	char *text;
	int type, off;
	bool have_off;
};

static int take(struct dtext *t, const struct hxml *c, int deftype, bool ossec_pcre, const char *file,
		struct verr *e)
{
	const char *off = hxml_attr(c, "offset");
	if (off) {
		if (t->have_off)
			return verr_set(e, V_EINVAL, "%s:%u: <%s>: only the first may have an offset", file,
					c->line, c->name);
		int o = parse_offset(off);
		if (o >= 0) {
			t->off = o;
			t->have_off = true;
		}
	}
	const char *ty = hxml_attr(c, "type");
	if (ossec_pcre)
		t->type = HP_PCRE2 | 0x100;
	else if (!ty)
		t->type = deftype;
	else if (!strcasecmp(ty, "pcre2"))
		t->type = HP_PCRE2;
	else if (!strcasecmp(ty, "osregex"))
		t->type = HP_OSREGEX;
	else if (!strcasecmp(ty, "osmatch") && deftype == HP_OSMATCH)
		t->type = HP_OSMATCH;
	else
		t->type = deftype;
	int rc = concat(&t->text, c->text);
	if (rc == -2)
		return verr_set(e, V_EINVAL, "%s:%u: <%s> longer than %d bytes", file, c->line, c->name,
				DEC_PATTERN_MAX);
	return rc < 0 ? verr_set(e, V_ENOMEM, "out of memory") : 0;
}

static int compile(struct hpat *p, const struct dtext *t, bool caps, const char *file, unsigned line,
		   const char *what, struct verr *e)
{
	if (!t->text)
		return 0;
	struct verr pe = { "" };
	p->caseless = t->type & 0x100;
	if (hpat_compile(p, (enum hpat_type)(t->type & 0xff), t->text, caps, &pe) < 0)
		return verr_set(e, V_EINVAL, "%s:%u: %s: %s", file, line, what, pe.msg);
	return 0;
}

static const struct {
	const char *name;
	int plugin;
} plugins[] = {
	{ "JSON_Decoder", HPL_JSON }, { "PF_Decoder", HPL_PF }, { "SonicWall_Decoder", HPL_SONICWALL },
	{ "SymantecWS_Decoder", HPL_SYMANTECWS }, { "OSSECAlert_Decoder", HPL_OSSECALERT },
};

static int load_one(struct hids_ruleset *rs, const struct hxml *n, const char *file, struct verr *e)
{
	struct dtext pn = { 0 }, pm = { 0 }, rx = { 0 };
	char *parent = NULL;
	int rc = V_EINVAL;
	struct hdecoder *d = calloc(1, sizeof(*d));
	if (!d)
		return verr_set(e, V_ENOMEM, "out of memory");
	d->file = file;
	d->line = n->line;
	d->type = HC_SYSLOG;
	const char *name = n->attr_cnt ? n->attr[0].value : NULL;
	if (!name || strcasecmp(n->attr[0].name, "name")) {
		verr_set(e, V_EINVAL, "%s:%u: <decoder> without a name", file, n->line);
		goto fail;
	}
	if (!(d->own_name = strdup(name)))
		goto nomem;
	for (const struct hxml *c = n->child; c; c = c->next) {
		const char *el = c->name;
		if (!strcasecmp(el, "parent")) {
			if (concat(&parent, c->text) < 0)
				goto nomem;
		} else if (!strcasecmp(el, "program_name") || !strcasecmp(el, "program_name_pcre2")) {
			if (take(&pn, c, HP_OSMATCH, !strcasecmp(el, "program_name_pcre2"), file, e) < 0)
				goto fail;
		} else if (!strcasecmp(el, "prematch") || !strcasecmp(el, "prematch_pcre2")) {
			if (take(&pm, c, HP_OSREGEX, !strcasecmp(el, "prematch_pcre2"), file, e) < 0)
				goto fail;
		} else if (!strcasecmp(el, "regex") || !strcasecmp(el, "pcre2")) {
			if (take(&rx, c, HP_OSREGEX, !strcasecmp(el, "pcre2"), file, e) < 0)
				goto fail;
		} else if (!strcasecmp(el, "order")) {
			order_free(d->order, d->order_cnt);
			d->order = NULL;
			d->order_cnt = 0;
			int orc = parse_order(c->text, &d->order, &d->order_cnt);
			if (orc == -1)
				goto nomem;
			if (orc < 0) {
				verr_set(e, V_EINVAL, "%s:%u: decoder '%s': bad <order> '%s'", file, c->line, name,
					 c->text);
				goto fail;
			}
		} else if (!strcasecmp(el, "fts")) {
			struct horder *o = NULL;
			size_t cnt = 0;
			if (parse_order(c->text, &o, &cnt) == -1)
				goto nomem;
			for (size_t i = 0; i < cnt; i++) {
				char **nf = realloc(d->fts, (d->fts_cnt + 1) * sizeof(*nf));
				if (!nf) {
					order_free(o, cnt);
					goto nomem;
				}
				d->fts = nf;
				nf[d->fts_cnt++] = o[i].name;
				o[i].name = NULL;
			}
			order_free(o, cnt);
		} else if (!strcmp(el, "type")) {
			int t = hids_category(c->text);
			if (t < 0) {
				verr_set(e, V_EINVAL, "%s:%u: decoder '%s': unknown <type> '%s'", file, c->line,
					 name, c->text);
				goto fail;
			}
			d->type = (unsigned char)t;
		} else if (!strcasecmp(el, "use_own_name")) {
			d->use_own_name = !strcmp(c->text, "true");
		} else if (!strcasecmp(el, "plugin_decoder")) {
			size_t i;
			for (i = 0; i < sizeof(plugins) / sizeof(plugins[0]); i++)
				if (!strcmp(plugins[i].name, c->text))
					break;
			if (i == sizeof(plugins) / sizeof(plugins[0])) {
				verr_set(e, V_EINVAL, "%s:%u: decoder '%s': unknown plugin '%s'", file, c->line,
					 name, c->text);
				goto fail;
			}
			d->plugin = (unsigned char)plugins[i].plugin;
			int o = parse_offset(hxml_attr(c, "offset"));
			d->plugin_off = (unsigned char)(o < 0 ? HO_NONE : o);
		} else if (!strcasecmp(el, "accumulate")) {
			d->accumulate = true;
		} else if (!strcasecmp(el, "json_null_field")) {
			d->json_null_discard = !strcasecmp(c->text, "discard");
		} else if (!strcasecmp(el, "json_array_structure")) {
			d->json_array_csv = !strcasecmp(c->text, "csv");
		} else if (!strcasecmp(el, "ftscomment") || !strcasecmp(el, "var")) {
			/* stored only by Wazuh */
		} else {
			verr_set(e, V_EINVAL, "%s:%u: decoder '%s': unknown element <%s>", file, c->line, name,
				 el);
			goto fail;
		}
	}
	d->parent = parent;
	parent = NULL;
	d->has_pn = pn.text != NULL;
	if (!pm.text && !d->parent && !d->has_pn) {
		verr_set(e, V_EINVAL, "%s:%u: decoder '%s' has no prematch, parent or program_name", file,
			 n->line, name);
		goto fail;
	}
	if ((rx.text && !d->order_cnt) || (!rx.text && d->order_cnt)) {
		verr_set(e, V_EINVAL, "%s:%u: decoder '%s': <regex> and <order> go together", file, n->line,
			 name);
		goto fail;
	}
	if (rx.text && d->plugin) {
		verr_set(e, V_EINVAL, "%s:%u: decoder '%s': a plugin and a regex", file, n->line, name);
		goto fail;
	}
	d->prematch_off = (unsigned char)(pm.have_off ? pm.off : HO_NONE);
	d->regex_off = (unsigned char)(rx.have_off ? rx.off : HO_NONE);
	if (d->prematch_off != HO_NONE && d->prematch_off != HO_AFTER_PARENT)
		d->prematch_off = HO_NONE;
	if (!d->parent && (d->regex_off == HO_AFTER_PARENT || d->prematch_off == HO_AFTER_PARENT ||
			   d->regex_off == HO_AFTER_REGEX)) {
		verr_set(e, V_EINVAL, "%s:%u: decoder '%s': offset after_parent or after_regex without a parent",
			 file, n->line, name);
		goto fail;
	}
	if (!d->parent && d->regex_off == HO_AFTER_PREMATCH)
		d->regex_off = HO_AFTER_PARENT; /* as Wazuh does */
	if (d->regex_off == HO_AFTER_PREMATCH && !pm.text && d->parent) {
		verr_set(e, V_EINVAL, "%s:%u: decoder '%s': after_prematch without a prematch", file,
			 n->line, name);
		goto fail;
	}
	if (compile(&d->program_name, &pn, false, file, n->line, "program_name", e) < 0 ||
	    compile(&d->prematch, &pm, false, file, n->line, "prematch", e) < 0 ||
	    compile(&d->regex, &rx, true, file, n->line, "regex", e) < 0)
		goto fail;
	if (push(&rs->dec, &rs->dec_cnt, &rs->dec_cap, d) < 0)
		goto nomem;
	if (d->parent) {
		if (attach(rs, d, e, file) < 0)
			rc = -1;
		else
			rc = 0;
	} else if (d->has_pn) {
		rc = push(&rs->pn, &rs->pn_cnt, &rs->pn_cap, d) < 0 ? verr_set(e, V_ENOMEM, "out of memory") : 0;
	} else {
		rc = push(&rs->nopn, &rs->nopn_cnt, &rs->nopn_cap, d) < 0 ? verr_set(e, V_ENOMEM, "out of memory")
									  : 0;
	}
	free(pn.text);
	free(pm.text);
	free(rx.text);
	return rc < 0 ? V_EINVAL : 0;
nomem:
	rc = verr_set(e, V_ENOMEM, "out of memory");
fail:
	free(pn.text);
	free(pm.text);
	free(rx.text);
	free(parent);
	decoder_free(d);
	return rc;
}

int hids_decoders_load(struct hids_ruleset *rs, const char *path, struct verr *e)
{
	struct hxml *doc = hxml_parse_file(path, e);
	if (!doc)
		return V_EINVAL;
	int rc = hxml_apply_vars(doc, e);
	const char *file = rs->files[rs->file_cnt - 1];
	for (const struct hxml *n = doc->child; !rc && n; n = n->next) {
		if (!strcasecmp(n->name, "var"))
			continue;
		if (strcasecmp(n->name, "decoder")) {
			rc = verr_set(e, V_EINVAL, "%s:%u: <%s> where a <decoder> was expected", file, n->line,
				      n->name);
			break;
		}
		rc = load_one(rs, n, file, e);
	}
	hxml_free(doc);
	return rc;
}

/* After every file: children take their parent's name unless
 * use_own_name; names get ids for decoded_as. */
void hids_decoders_finish(struct hids_ruleset *rs)
{
	for (size_t i = 0; i < rs->dec_cnt; i++) {
		struct hdecoder *d = rs->dec[i];
		d->name = d->own_name;
		if (d->parent && !d->use_own_name) {
			char *n = strdup(d->parent);
			if (n)
				d->name = n;
		}
		int id = name_id(rs, d->name);
		d->id = id < 0 ? 0 : (unsigned)id;
	}
	pn_index_build(rs);
}

int hids_decoders_keys(struct hids_ruleset *rs)
{
	uint32_t ids[64];
	for (size_t i = 0; i < rs->dec_cnt; i++) {
		struct hdecoder *d = rs->dec[i];
		int n = hpat_required_lits(&d->prematch, rs->lits, ids, ARRAY_SIZE(ids));
		if (n <= 0)
			continue;
		if (!(d->keys = malloc((size_t)n * sizeof(*d->keys))))
			return V_ENOMEM;
		memcpy(d->keys, ids, (size_t)n * sizeof(*d->keys));
		d->key_cnt = (size_t)n;
	}
	return 0;
}

const char *hids_decoder_name(const struct hdecoder *d)
{
	return d ? d->name : NULL;
}

/* ---- decoding ------------------------------------------------------ */

static void set_field(struct hids_event *ev, const struct horder *o, const char *v, size_t len)
{
	char *val = hids_event_strndup(ev, v, len);
	if (!val)
		return;
	if (o->stat >= 0)
		hids_set_static(ev, o->stat, val);
	else
		hids_add_dyn(ev, o->name, val);
}

/* Flattened JSON into fields.  Keys joined with '.'. */
struct jctx {
	struct hids_event *ev;
	const struct hdecoder *d;
	char key[512];
};

static const struct {
	const char *key;
	int f;
} json_static[] = {
	{ "srcip", HF_SRCIP }, { "dstip", HF_DSTIP }, { "dstport", HF_DSTPORT }, { "srcport", HF_SRCPORT },
	{ "protocol", HF_PROTOCOL }, { "action", HF_ACTION }, { "srcuser", HF_SRCUSER },
	{ "dstuser", HF_DSTUSER }, { "id", HF_ID }, { "status", HF_STATUS }, { "url", HF_URL },
	{ "data", HF_DATA }, { "extra_data", HF_EXTRA_DATA }, { "systemname", HF_SYSTEM_NAME },
};

static void json_num(const json_t *v, char *buf, size_t cap)
{
	if (json_is_integer(v)) {
		json_int_t i = json_integer_value(v);
		if (i >= INT_MIN && i <= INT_MAX)
			snprintf(buf, cap, "%d", (int)i);
		else
			snprintf(buf, cap, "%f", (double)i);
		return;
	}
	double d = json_real_value(v);
	if (d >= INT_MIN && d <= INT_MAX && (double)(int)d == d)
		snprintf(buf, cap, "%d", (int)d);
	else
		snprintf(buf, cap, "%f", d);
}

/* cJSON's formatted printer, as Wazuh stores arrays: ["a", "b"]. */
static void json_fmt(const json_t *v, int depth, char **out, size_t *len, size_t *cap);

static void app(char **out, size_t *len, size_t *cap, const char *s, size_t n)
{
	if (*len + n + 1 > *cap) {
		size_t nc = (*len + n + 1) * 2;
		char *o = realloc(*out, nc);
		if (!o)
			return;
		*out = o;
		*cap = nc;
	}
	memcpy(*out + *len, s, n);
	*len += n;
	(*out)[*len] = 0;
}

static void json_fmt(const json_t *v, int depth, char **out, size_t *len, size_t *cap)
{
	char buf[64];
	if (depth > 16)
		return;
	if (json_is_array(v)) {
		app(out, len, cap, "[", 1);
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				app(out, len, cap, ", ", 2);
			json_fmt(json_array_get(v, i), depth + 1, out, len, cap);
		}
		app(out, len, cap, "]", 1);
	} else if (json_is_object(v)) {
		const char *k;
		json_t *x;
		app(out, len, cap, "{\n", 2);
		size_t i = 0, n = json_object_size(v);
		json_object_foreach((json_t *)v, k, x) {
			for (int t = 0; t <= depth; t++)
				app(out, len, cap, "\t", 1);
			json_t *kj = json_string(k);
			char *ks = kj ? json_dumps(kj, JSON_ENCODE_ANY) : NULL;
			json_decref(kj);
			if (ks) {
				app(out, len, cap, ks, strlen(ks));
				free(ks);
			}
			app(out, len, cap, ":\t", 2);
			json_fmt(x, depth + 1, out, len, cap);
			if (++i < n)
				app(out, len, cap, ",", 1);
			app(out, len, cap, "\n", 1);
		}
		for (int t = 0; t < depth; t++)
			app(out, len, cap, "\t", 1);
		app(out, len, cap, "}", 1);
	} else if (json_is_string(v)) {
		char *s = json_dumps(v, JSON_ENCODE_ANY);
		if (s) {
			app(out, len, cap, s, strlen(s));
			free(s);
		}
	} else if (json_is_number(v)) {
		json_num(v, buf, sizeof(buf));
		app(out, len, cap, buf, strlen(buf));
	} else {
		const char *s = json_is_true(v) ? "true" : json_is_false(v) ? "false" : "null";
		app(out, len, cap, s, strlen(s));
	}
}

static void json_put(struct jctx *j, const char *val, size_t vlen)
{
	for (size_t i = 0; i < sizeof(json_static) / sizeof(json_static[0]); i++)
		if (!strcmp(j->key, json_static[i].key)) {
			char *v = hids_event_strndup(j->ev, val, vlen);
			if (v)
				hids_set_static(j->ev, json_static[i].f, v);
			return;
		}
	char *k = hids_event_strndup(j->ev, j->key, strlen(j->key));
	char *v = hids_event_strndup(j->ev, val, vlen);
	if (k && v)
		hids_add_dyn(j->ev, k, v);
}

static void json_flat(struct jctx *j, const json_t *obj, size_t klen, int depth)
{
	const char *k;
	json_t *v;
	if (depth > 32)
		return;
	json_object_foreach((json_t *)obj, k, v) {
		size_t n = strlen(k);
		if (klen + n + 2 > sizeof(j->key))
			continue;
		size_t at = klen;
		if (klen)
			j->key[at++] = '.';
		memcpy(j->key + at, k, n + 1);
		char buf[64];
		if (json_is_object(v)) {
			json_flat(j, v, at + n, depth + 1);
		} else if (json_is_string(v)) {
			json_put(j, json_string_value(v), json_string_length(v));
		} else if (json_is_number(v)) {
			json_num(v, buf, sizeof(buf));
			json_put(j, buf, strlen(buf));
		} else if (json_is_boolean(v)) {
			json_put(j, json_is_true(v) ? "true" : "false", json_is_true(v) ? 4 : 5);
		} else if (json_is_null(v)) {
			if (!j->d->json_null_discard)
				json_put(j, "null", 4);
		} else if (json_is_array(v)) {
			char *out = NULL;
			size_t len = 0, cap = 0;
			if (j->d->json_array_csv) {
				for (size_t i = 0; i < json_array_size(v); i++) {
					json_t *x = json_array_get(v, i);
					if (json_is_array(x) || json_is_object(x))
						continue;
					if (len)
						app(&out, &len, &cap, ",", 1);
					if (json_is_string(x)) {
						app(&out, &len, &cap, json_string_value(x), json_string_length(x));
					} else if (json_is_number(x)) {
						json_num(x, buf, sizeof(buf));
						app(&out, &len, &cap, buf, strlen(buf));
					} else {
						const char *s = json_is_true(x) ? "true" : json_is_false(x) ? "false"
													: "null";
						app(&out, &len, &cap, s, strlen(s));
					}
				}
			} else {
				json_fmt(v, 0, &out, &len, &cap);
			}
			if (out && len && len < 65536)
				json_put(j, out, len);
			free(out);
		}
		j->key[klen] = 0;
	}
}

static void plugin_json(struct hids_event *ev, const struct hdecoder *d, const char *in)
{
	json_error_t je;
	json_t *root = json_loads(in, JSON_DISABLE_EOF_CHECK | JSON_DECODE_ANY, &je);
	if (!root)
		return;
	if (json_is_object(root)) {
		struct jctx j = { ev, d, "" };
		json_flat(&j, root, 0, 0);
	}
	json_decref(root);
}

/* OpenBSD pf: "rule 2/(match) pass in on xl0: 1.2.3.4.6667 > 5.6.7.8.80: ..." */
static void plugin_pf(struct hids_event *ev, const char *log)
{
	const char *p = strchr(log, ')');
	if (!p || p[1] != ' ')
		return;
	p += 2;
	if (*p == 'p')
		hids_set_static(ev, HF_ACTION, "pass");
	else if (*p == 'b')
		hids_set_static(ev, HF_ACTION, "block");
	else
		return;
	for (int side = 0; side < 2; side++) {
		if (side == 0) {
			p = strstr(p, ": ");
			if (!p)
				return;
			p += 2;
		}
		const char *end = p;
		while (*end && *end != (side ? ':' : ' '))
			end++;
		/* a.b.c.d.port: the text after the fourth dot is the port */
		const char *dot = p;
		int dots = 0;
		for (const char *q = p; q < end; q++)
			if (*q == '.' && ++dots == 4)
				dot = q;
		if (dots >= 4) {
			hids_set_static(ev, side ? HF_DSTIP : HF_SRCIP, hids_event_strndup(ev, p, (size_t)(dot - p)));
			hids_set_static(ev, side ? HF_DSTPORT : HF_SRCPORT,
					hids_event_strndup(ev, dot + 1, (size_t)(end - dot - 1)));
		} else {
			hids_set_static(ev, side ? HF_DSTIP : HF_SRCIP, hids_event_strndup(ev, p, (size_t)(end - p)));
		}
		if (!*end)
			return;
		p = end + 1;
		if (side == 0) {
			if (p[0] != '>' || p[1] != ' ')
				return;
			p += 2;
		}
	}
	while (*p == ' ')
		p++;
	hids_set_static(ev, HF_PROTOCOL, *p == 'u' ? "UDP" : *p == 'i' ? "ICMP" : "TCP");
}

/* Symantec Web Security: comma-separated "NN=value" tokens. */
static void plugin_symantecws(struct hids_event *ev, const char *log)
{
	const char *p = strchr(log, ',');
	bool got[4] = { 0 };
	while (p && *p) {
		p++;
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (!got[0] && !strncmp(p, "10=", 3)) {
			got[0] = true;
			hids_set_static(ev, HF_DSTUSER, hids_event_strndup(ev, p + 3, MIN(n - 3, 128)));
		} else if (!got[1] && !strncmp(p, "11=", 3)) {
			got[1] = true;
			hids_set_static(ev, HF_SRCIP, hids_event_strndup(ev, p + 3, MIN(n - 3, 128)));
		} else if (!got[2] && !strncmp(p, "60=", 3)) {
			got[2] = true;
			hids_set_static(ev, HF_URL, hids_event_strndup(ev, p + 3, MIN(n - 3, 1024)));
		} else if (!got[3] && (!strncmp(p, "3=", 2) || !strncmp(p, "2=", 2))) {
			got[3] = true;
			hids_set_static(ev, HF_ID, hids_event_strndup(ev, p, MIN(strlen(p), 9)));
		}
		p = end;
	}
}

static void run_plugin(struct hids_event *ev, const struct hdecoder *info, int plugin,
		       const char *after_parent, const char *after_prematch)
{
	switch (plugin) {
	case HPL_JSON: {
		const char *in = ev->log;
		if (info->plugin_off == HO_AFTER_PARENT && after_parent)
			in = after_parent;
		else if (info->plugin_off == HO_AFTER_PREMATCH && after_prematch)
			in = after_prematch;
		plugin_json(ev, info, in);
		break;
	}
	case HPL_PF: plugin_pf(ev, ev->log); break;
	case HPL_SYMANTECWS: plugin_symantecws(ev, ev->log); break;
	default: break; /* SonicWall and OSSECAlert: their decoders have children, or alerts */
	}
}

static void assign(struct hids_event *ev, const struct hdecoder *d, const struct hmatch *m)
{
	for (size_t i = 0; i < m->ncap && i < d->order_cnt; i++)
		set_field(ev, &d->order[i], m->cap[i].p, m->cap[i].len);
}

void hids_decode(const struct hids_ruleset *rs, struct hids_event *ev)
{
	static __thread struct hmatch m;
	const char *log = ev->log;
	struct hdecoder *const *list = ev->program_name ? rs->pn : rs->nopn;
	size_t n = ev->program_name ? rs->pn_cnt : rs->nopn_cnt;
	const struct hdecoder *D = NULL;
	const char *pm = log;
	/* with a program name: the decoders of that exact name and the
	 * others, merged in load order */
	const uint32_t *a = NULL, *b = NULL;
	size_t na = 0, nb = 0, ia = 0, ib = 0;
	bool indexed = ev->program_name && rs->pn_index;
	if (indexed) {
		bool found;
		const struct pn_slot *sl = pn_slot_of(rs, ev->program_name, strlen(ev->program_name), &found);
		if (found) {
			a = sl->pos;
			na = sl->cnt;
		}
		b = rs->pn_other;
		nb = rs->pn_other_cnt;
	}
	for (size_t k = 0;; k++) {
		size_t i;
		if (indexed) {
			if (ia < na && (ib >= nb || a[ia] < b[ib]))
				i = a[ia++];
			else if (ib < nb)
				i = b[ib++];
			else
				break;
		} else {
			if (k >= n)
				break;
			i = k;
		}
		const struct hdecoder *d = list[i];
		pm = log;
		/* a line without any of the prematch's runs: no match */
		if (d->key_cnt && hpat_subject_lacks(rs->lits, log, d->keys, d->key_cnt))
			continue;
		if (ev->program_name && !hpat_exec(&d->program_name, ev->program_name, NULL))
			continue;
		if (d->prematch.type != HP_NONE) {
			if (!hpat_exec(&d->prematch, log, &m))
				continue;
			pm = log + m.next;
		}
		D = d;
		break;
	}
	ev->decoder = D;
	if (!D)
		return;
	const struct hdecoder *info = D;
	const char *after_parent = NULL, *after_prematch = pm, *cm = pm;
	if (!D->child_cnt) {
		/* a decoder without children runs its own regex or plugin */
		if (D->plugin) {
			run_plugin(ev, D, D->plugin, NULL, after_prematch);
		} else if (D->regex.type != HP_NONE) {
			const char *in = D->regex_off == HO_AFTER_PARENT ? pm : log;
			if (hpat_exec(&D->regex, in, &m))
				assign(ev, D, &m);
		}
		return;
	}
	size_t i = 0;
	bool chosen = false;
	for (; i < D->child_cnt; i++) {
		const struct hdecoder *c = D->child[i].d;
		if (c->prematch.type == HP_NONE) {
			chosen = true;
			cm = pm;
			after_parent = pm;
			break;
		}
		const char *in = c->prematch_off == HO_AFTER_PARENT ? pm : log;
		if (hpat_exec(&c->prematch, in, &m)) {
			chosen = true;
			cm = in + m.next;
			info = c;
			after_parent = pm;
			after_prematch = cm;
			break;
		}
		while (i < D->child_cnt && D->child[i].get_next)
			i++;
	}
	ev->decoder = info;
	ev->decoder_parent = info->parent;
	if (!chosen)
		return;
	const char *rp = NULL;
	for (size_t guard = 0; i < D->child_cnt && guard < D->child_cnt; guard++) {
		const struct hdecoder *c = D->child[i].d;
		if (c->plugin) {
			run_plugin(ev, info, c->plugin, after_parent, after_prematch);
		} else if (c->regex.type != HP_NONE) {
			const char *in = log;
			switch (c->regex_off) {
			case HO_AFTER_PARENT: in = pm; break;
			case HO_AFTER_PREMATCH: in = cm; break;
			case HO_AFTER_REGEX: in = rp ? rp : cm; break;
			}
			if (!hpat_exec(&c->regex, in, &m)) {
				if (!D->child[i].get_next)
					return;
				i++;
				continue;
			}
			rp = in + m.next;
			assign(ev, c, &m);
		} else {
			return;
		}
		if (!D->child[i].get_next)
			return;
		i++;
	}
}
