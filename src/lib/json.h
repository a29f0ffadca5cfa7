/*
 * json.h - a small streaming JSON writer for eve records.
 *
 * Writes into a growable byte buffer; the caller opens and closes objects
 * and arrays and the writer places the commas.  Strings may hold any bytes:
 * valid UTF-8 passes through, control characters and bytes that are not
 * part of valid UTF-8 are escaped as \u00XX, so the output is always valid
 * JSON.  Allocation failure sets a sticky flag (jb->oom) and later calls do
 * nothing, so callers check once, at the end of a record.
 */
#ifndef VIGIL_JSON_H
#define VIGIL_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JB_MAX_DEPTH 32

struct jbuf {
	char *buf;
	size_t len;
	size_t cap;
	bool oom;
	int depth;
	bool need_comma[JB_MAX_DEPTH];
	char closer[JB_MAX_DEPTH];
};

/* All-zero is a valid empty writer.  jb_fini frees the buffer. */
void jb_fini(struct jbuf *jb);
/* Empties the buffer, keeping its storage. */
void jb_reset(struct jbuf *jb);

void jb_open_object(struct jbuf *jb, const char *key);
void jb_open_array(struct jbuf *jb, const char *key);
void jb_close(struct jbuf *jb);

/* key may be NULL inside arrays and at the top level. */
void jb_str(struct jbuf *jb, const char *key, const char *s);
void jb_strn(struct jbuf *jb, const char *key, const uint8_t *s, size_t len);
void jb_u64(struct jbuf *jb, const char *key, uint64_t v);
void jb_i64(struct jbuf *jb, const char *key, int64_t v);
void jb_bool(struct jbuf *jb, const char *key, bool v);
void jb_raw(struct jbuf *jb, const char *key, const char *raw);
/* Appends raw bytes outside of any JSON structure (e.g. the newline). */
void jb_append(struct jbuf *jb, const char *s, size_t len);

/* Escapes len bytes of s as the inside of a JSON string into jb. */
void jb_escape(struct jbuf *jb, const uint8_t *s, size_t len);

/* Reading, not writing: the string value of a top-level field near the
 * start of a record one line long (an eve record's envelope: "timestamp",
 * "event_type"), copied into out.  False if the field is not in the first
 * 512 bytes, holds an escape, or does not fit in out. */
bool json_head_str(const char *rec, size_t len, const char *key, char *out, size_t cap);

/* Reading a whole record: json_walk checks that rec[0..len) is one JSON
 * object (RFC 8259, nesting at most JB_MAX_DEPTH) and calls cb for every
 * scalar in it with its path: object keys joined by '.', array elements
 * by their index in brackets ("dns.queries[0].rrname"; a key holding '.',
 * '[', ']' or an escape is written "\x01" so that no path is ambiguous; a
 * path longer than 255 bytes is cut).  v is the raw token: a string's text between its quotes (escapes
 * as written: json_unescape decodes them), a number, true, false or null.
 * False (and cb stops being called) at the first syntax error. */
enum json_kind { JW_STR, JW_NUM, JW_BOOL, JW_NULL };
typedef void (*json_walk_cb)(void *ctx, const char *path, size_t plen, enum json_kind k,
			     const char *v, size_t vlen);
bool json_walk(const char *rec, size_t len, json_walk_cb cb, void *ctx);
/* A string token's text decoded (\uXXXX with surrogate pairs to UTF-8)
 * into out (at most cap bytes, NUL-terminated, cut on a character
 * boundary of the input); its length.  As SQLite's json_extract: a lone
 * surrogate is encoded as it is (three bytes, not valid UTF-8). */
size_t json_unescape(const char *v, size_t vlen, char *out, size_t cap);

#endif
