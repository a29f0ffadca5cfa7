/*
 * hxml.c - a reader for the OSSEC/Wazuh XML dialect (see hxml.h).
 *
 * One pass over the buffer with an explicit stack of open elements.  Text
 * is taken verbatim (no entity expansion) up to the next '<' that is not
 * escaped by an odd number of backslashes (the backslash stays: "\\<"
 * reaches OS_Regex, which reads it as a literal '<'); text split by
 * comments or child elements is joined.  The trade-off: anything os_xml accepts loads, and
 * a file that is well-formed XML with entities would keep "&lt;" as four
 * characters, which is what Wazuh does too.
 */
#include "hxml.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct rd {
	const char *p, *end;
	unsigned line;
	struct verr *e;
};

static void node_free(struct hxml *n)
{
	while (n) {
		struct hxml *next = n->next;
		node_free(n->child);
		for (size_t i = 0; i < n->attr_cnt; i++) {
			free(n->attr[i].name);
			free(n->attr[i].value);
		}
		free(n->attr);
		free(n->name);
		free(n->text);
		free(n);
		n = next;
	}
}

void hxml_free(struct hxml *doc)
{
	node_free(doc);
}

const char *hxml_attr(const struct hxml *n, const char *name)
{
	for (size_t i = 0; i < n->attr_cnt; i++)
		if (!strcmp(n->attr[i].name, name))
			return n->attr[i].value;
	return NULL;
}

static void adv(struct rd *r, size_t n)
{
	for (size_t i = 0; i < n && r->p < r->end; i++, r->p++)
		if (*r->p == '\n')
			r->line++;
}

static void skip_ws(struct rd *r)
{
	while (r->p < r->end && isspace((unsigned char)*r->p))
		adv(r, 1);
}

static bool starts(const struct rd *r, const char *s)
{
	size_t n = strlen(s);
	return (size_t)(r->end - r->p) >= n && !memcmp(r->p, s, n);
}

/* Skips past the terminator; false at the end of input. */
static bool skip_past(struct rd *r, const char *term)
{
	size_t n = strlen(term);
	while (r->p < r->end) {
		if ((size_t)(r->end - r->p) >= n && !memcmp(r->p, term, n)) {
			adv(r, n);
			return true;
		}
		adv(r, 1);
	}
	return false;
}

/* A comment: os_xml takes "<!" to the first "-->" or "!>" (so
 * "<!DOCTYPE" is one too, and comments do not nest: OSSEC's decoder.xml
 * relies on the text left after an inner "-->" being skipped as junk at
 * the top level).  false when unterminated. */
static bool skip_comment(struct rd *r)
{
	adv(r, 2);
	while (r->p < r->end) {
		if (starts(r, "-->")) {
			adv(r, 3);
			return true;
		}
		if (starts(r, "!>")) {
			adv(r, 2);
			return true;
		}
		adv(r, 1);
	}
	return false;
}

/* Is the '<' at p escaped: preceded (within text starting at s) by an
 * odd number of backslashes?  "\\<" is a literal backslash, then a tag. */
static bool escaped(const char *s, const char *p)
{
	size_t n = 0;
	while (p > s && p[-1] == '\\') {
		n++;
		p--;
	}
	return n % 2 == 1;
}

static bool name_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.' || c == ':';
}

static char *dup_n(const char *s, size_t n)
{
	char *d = malloc(n + 1);
	if (d) {
		memcpy(d, s, n);
		d[n] = 0;
	}
	return d;
}

/* Appends raw text to n->text. */
static int text_add(struct hxml *n, const char *s, size_t len)
{
	size_t old = n->text ? strlen(n->text) : 0;
	char *t = realloc(n->text, old + len + 1);
	if (!t)
		return -1;
	memcpy(t + old, s, len);
	t[old + len] = 0;
	n->text = t;
	return 0;
}

static int text_finish(struct hxml *n)
{
	return n->text || (n->text = calloc(1, 1)) ? 0 : -1;
}

/* Reads "<name attrs...>" or "<name .../>" after the '<'; *closed set when
 * the element is empty ("/>").  Returns the new node or NULL. */
static struct hxml *open_tag(struct rd *r, bool *closed)
{
	struct hxml *n = calloc(1, sizeof(*n));
	if (!n) {
		verr_set(r->e, V_ENOMEM, "out of memory");
		return NULL;
	}
	n->line = r->line;
	const char *s = r->p;
	while (r->p < r->end && name_char(*r->p))
		adv(r, 1);
	if (r->p == s) {
		verr_set(r->e, V_EFORMAT, "line %u: '<' not followed by an element name", r->line);
		goto fail;
	}
	if (!(n->name = dup_n(s, (size_t)(r->p - s))))
		goto nomem;
	for (;;) {
		skip_ws(r);
		if (r->p >= r->end) {
			verr_set(r->e, V_EFORMAT, "line %u: <%s> is not closed", n->line, n->name);
			goto fail;
		}
		if (*r->p == '>') {
			adv(r, 1);
			*closed = false;
			return n;
		}
		if (starts(r, "/>")) {
			adv(r, 2);
			*closed = true;
			return n;
		}
		const char *a = r->p;
		while (r->p < r->end && name_char(*r->p))
			adv(r, 1);
		if (r->p == a) {
			verr_set(r->e, V_EFORMAT, "line %u: unexpected '%c' in <%s>", r->line, *r->p, n->name);
			goto fail;
		}
		size_t alen = (size_t)(r->p - a);
		skip_ws(r);
		if (r->p >= r->end || *r->p != '=') {
			verr_set(r->e, V_EFORMAT, "line %u: attribute '%.*s' of <%s> has no value", r->line,
				 (int)alen, a, n->name);
			goto fail;
		}
		adv(r, 1);
		skip_ws(r);
		if (r->p >= r->end || (*r->p != '"' && *r->p != '\'')) {
			verr_set(r->e, V_EFORMAT, "line %u: attribute '%.*s' of <%s> is not quoted", r->line,
				 (int)alen, a, n->name);
			goto fail;
		}
		char q = *r->p;
		adv(r, 1);
		const char *v = r->p;
		while (r->p < r->end && *r->p != q)
			adv(r, 1);
		if (r->p >= r->end) {
			verr_set(r->e, V_EFORMAT, "line %u: unterminated attribute value in <%s>", n->line, n->name);
			goto fail;
		}
		if (n->attr_cnt >= HXML_MAX_ATTRS) {
			verr_set(r->e, V_EFORMAT, "line %u: more than %d attributes in <%s>", r->line,
				 HXML_MAX_ATTRS, n->name);
			goto fail;
		}
		struct hxml_attr *na = realloc(n->attr, (n->attr_cnt + 1) * sizeof(*na));
		if (!na)
			goto nomem;
		n->attr = na;
		na[n->attr_cnt].name = dup_n(a, alen);
		na[n->attr_cnt].value = dup_n(v, (size_t)(r->p - v));
		n->attr_cnt++;
		if (!na[n->attr_cnt - 1].name || !na[n->attr_cnt - 1].value)
			goto nomem;
		adv(r, 1);
	}
nomem:
	verr_set(r->e, V_ENOMEM, "out of memory");
fail:
	node_free(n);
	return NULL;
}

static void append(struct hxml *parent, struct hxml *n)
{
	if (parent->last)
		parent->last->next = n;
	else
		parent->child = n;
	parent->last = n;
}

struct hxml *hxml_parse(const char *buf, size_t len, struct verr *e)
{
	struct rd r = { buf, buf + len, 1, e };
	struct hxml *doc = calloc(1, sizeof(*doc));
	struct hxml *stack[HXML_MAX_DEPTH + 1];
	int depth = 0;
	if (!doc) {
		verr_set(e, V_ENOMEM, "out of memory");
		return NULL;
	}
	stack[0] = doc;
	while (r.p < r.end) {
		struct hxml *cur = stack[depth];
		if (*r.p != '<') {
			/* text up to the next unescaped '<' */
			const char *s = r.p;
			while (r.p < r.end && !(*r.p == '<' && !escaped(s, r.p)))
				adv(&r, 1);
			if (depth > 0 && text_add(cur, s, (size_t)(r.p - s)) < 0)
				goto nomem;
			continue; /* text outside elements: skipped, as os_xml does */
		}
		if (starts(&r, "<!")) {
			unsigned l = r.line;
			if (!skip_comment(&r)) {
				verr_set(e, V_EFORMAT, "line %u: unterminated comment", l);
				goto fail;
			}
			continue;
		}
		if (starts(&r, "<?")) {
			unsigned l = r.line;
			if (!skip_past(&r, ">")) {
				verr_set(e, V_EFORMAT, "line %u: unterminated declaration", l);
				goto fail;
			}
			continue;
		}
		if (starts(&r, "</")) {
			adv(&r, 2);
			const char *s = r.p;
			while (r.p < r.end && name_char(*r.p))
				adv(&r, 1);
			size_t n = (size_t)(r.p - s);
			skip_ws(&r);
			if (r.p >= r.end || *r.p != '>') {
				verr_set(e, V_EFORMAT, "line %u: malformed closing tag", r.line);
				goto fail;
			}
			adv(&r, 1);
			if (depth == 0 || strlen(cur->name) != n || memcmp(cur->name, s, n)) {
				verr_set(e, V_EFORMAT, "line %u: </%.*s> does not close %s%s%s", r.line, (int)n, s,
					 depth ? "<" : "any element", depth ? cur->name : "", depth ? ">" : "");
				goto fail;
			}
			if (text_finish(cur) < 0)
				goto nomem;
			depth--;
			continue;
		}
		adv(&r, 1);
		bool closed = false;
		struct hxml *n = open_tag(&r, &closed);
		if (!n)
			goto fail;
		append(cur, n);
		if (closed) {
			if (text_finish(n) < 0)
				goto nomem;
			continue;
		}
		if (depth >= HXML_MAX_DEPTH) {
			verr_set(e, V_EFORMAT, "line %u: elements nested deeper than %d", n->line, HXML_MAX_DEPTH);
			goto fail;
		}
		stack[++depth] = n;
	}
	if (depth > 0) {
		verr_set(e, V_EFORMAT, "line %u: <%s> is not closed", stack[depth]->line, stack[depth]->name);
		goto fail;
	}
	return doc;
nomem:
	verr_set(e, V_ENOMEM, "out of memory");
fail:
	node_free(doc);
	return NULL;
}

struct hxml *hxml_parse_file(const char *path, struct verr *e)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	struct hxml *doc = NULL;
	if (!f) {
		verr_set(e, V_EIO, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (cap - len < 65536) {
			if (cap > (64u << 20)) {
				verr_set(e, V_EFORMAT, "%s: larger than 64 MB", path);
				goto out;
			}
			char *nb = realloc(buf, cap = cap ? cap * 2 : 65536);
			if (!nb) {
				verr_set(e, V_ENOMEM, "out of memory");
				goto out;
			}
			buf = nb;
		}
		size_t n = fread(buf + len, 1, cap - len, f);
		len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		verr_set(e, V_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	struct verr pe = { "" };
	doc = hxml_parse(buf, len, &pe);
	unsigned line;
	int at = 0;
	if (!doc && sscanf(pe.msg, "line %u: %n", &line, &at) == 1 && at > 0)
		verr_set(e, V_EFORMAT, "%s:%u: %s", path, line, pe.msg + at);
	else if (!doc)
		verr_set(e, V_EFORMAT, "%s: %s", path, pe.msg);
out:
	free(buf);
	fclose(f);
	return doc;
}

/* ---- <var> --------------------------------------------------------- */

struct hvar {
	char *name, *value;
};

struct hvars {
	struct hvar *v;
	size_t n;
};

static const struct hvar *var_find(const struct hvars *vs, const char *name, size_t len)
{
	for (size_t i = 0; i < vs->n; i++)
		if (strlen(vs->v[i].name) == len && !strncasecmp(vs->v[i].name, name, len))
			return &vs->v[i];
	return NULL;
}

/* Replaces *s by its substitution; 0 or -1 (out of memory). */
static int subst(const struct hvars *vs, char **s)
{
	const char *in = *s;
	if (!vs->n || strlen(in) <= 2 || !strchr(in, '$'))
		return 0;
	size_t cap = strlen(in) + 1, len = 0;
	char *out = malloc(cap);
	if (!out)
		return -1;
	for (const char *p = in; *p;) {
		const struct hvar *v = NULL;
		size_t nl = 0;
		if (*p == '$' && p[1] != '(') {
			while (p[1 + nl] && !strchr("$.|, ", p[1 + nl]))
				nl++;
			if (nl)
				v = var_find(vs, p + 1, nl);
		}
		const char *add = v ? v->value : p;
		size_t al = v ? strlen(v->value) : 1;
		if (len + al + 1 > cap) {
			cap = (len + al + 1) * 2;
			char *n = realloc(out, cap);
			if (!n) {
				free(out);
				return -1;
			}
			out = n;
		}
		memcpy(out + len, add, al);
		len += al;
		p += v ? 1 + nl : 1;
	}
	out[len] = 0;
	free(*s);
	*s = out;
	return 0;
}

static int vars_walk(struct hxml *n, struct hvars *vs)
{
	for (; n; n = n->next) {
		if (n->name && !strcasecmp(n->name, "var")) {
			const char *name = hxml_attr(n, "name");
			if (!name)
				continue;
			struct hvar *nv = realloc(vs->v, (vs->n + 1) * sizeof(*nv));
			if (!nv)
				return -1;
			vs->v = nv;
			nv[vs->n].name = strdup(name);
			nv[vs->n].value = strdup(n->text ? n->text : "");
			vs->n++;
			if (!nv[vs->n - 1].name || !nv[vs->n - 1].value)
				return -1;
			continue;
		}
		for (size_t i = 0; i < n->attr_cnt; i++)
			if (subst(vs, &n->attr[i].value) < 0)
				return -1;
		if (n->text && subst(vs, &n->text) < 0)
			return -1;
		if (vars_walk(n->child, vs) < 0)
			return -1;
	}
	return 0;
}

int hxml_apply_vars(struct hxml *doc, struct verr *e)
{
	struct hvars vs = { 0 };
	int rc = vars_walk(doc->child, &vs);
	for (size_t i = 0; i < vs.n; i++) {
		free(vs.v[i].name);
		free(vs.v[i].value);
	}
	free(vs.v);
	return rc < 0 ? verr_set(e, V_ENOMEM, "out of memory") : 0;
}
