/*
 * hxml.h - the XML dialect of OSSEC and Wazuh rule and decoder files.
 *
 * Those files are not well-formed XML: a file holds many top-level
 * elements, element text carries regular expressions with raw '&' and
 * '\<' (an escaped '<' that must not open a tag), and entities are never
 * expanded.  A conforming parser (libxml2, expat) rejects most of the
 * shipped ruleset, so this is a small reader of exactly that dialect, in
 * the manner of Wazuh's own os_xml: elements, attributes in single or
 * double quotes, text exactly as written (the ruleset has hundreds of
 * patterns whose leading or trailing space must match), comments,
 * declarations and processing instructions skipped.  Every node keeps
 * its line so that load errors name file:line.
 */
#ifndef VIGIL_HXML_H
#define VIGIL_HXML_H

#include <stddef.h>

#include "vigil.h"

struct hxml_attr {
	char *name, *value;
};

struct hxml {
	char *name;               /* element name; NULL for the document */
	char *text;               /* text content, untrimmed ("" when none) */
	struct hxml_attr *attr;
	size_t attr_cnt;
	struct hxml *child, *last, *next;
	unsigned line;
};

/* Limits on hostile or broken input. */
#define HXML_MAX_DEPTH 32
#define HXML_MAX_ATTRS 32

/* Parses len bytes.  Returns the document node, whose children are the
 * top-level elements; NULL on a syntax error (e->msg: "line N: what") or
 * allocation failure.  Free with hxml_free. */
struct hxml *hxml_parse(const char *buf, size_t len, struct verr *e);
/* Reads and parses a file; errors name the file. */
struct hxml *hxml_parse_file(const char *path, struct verr *e);
void hxml_free(struct hxml *doc);

/* Applies <var name="X">value</var> definitions: every "$X" in the text
 * and attribute values that follow a definition (document order, one
 * file) becomes the value.  A name runs to '$', '.', '|', ',', a space
 * or the end; names are case-insensitive; "$(" and unknown names are
 * left as written (descriptions use "$(field)").  0 or V_ENOMEM. */
int hxml_apply_vars(struct hxml *doc, struct verr *e);

/* The value of attribute name, or NULL. */
const char *hxml_attr(const struct hxml *n, const char *name);

#endif
