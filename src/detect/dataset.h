/*
 * dataset.h - Suricata's datasets (detect-internal): named sets of
 * strings, MD5/SHA-256 digests or addresses that rules test and fill
 * (dataset:set|unset|isset|isnotset,NAME,type T,load F,save F,state F).
 *
 * A set is process-wide, shared by every worker and every rule that names
 * it, and outlives rule reloads (a reload with the same name and type
 * gets the same set, with what traffic added to it).  Each set is one
 * hash table of its values behind a read-write lock, bounded by its
 * memcap.  Files: Suricata's formats (one value a line: strings in
 * base64, digests in hex, addresses as text; or ndjson with value_key),
 * loaded when the set is first named; `save` and `state` files written by
 * datasets_save_all (at exit).
 */
#ifndef VIGIL_DATASET_H
#define VIGIL_DATASET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum ds_type { DS_STRING, DS_MD5, DS_SHA256, DS_IPV4, DS_IP };
enum ds_cmd { DS_SET, DS_UNSET, DS_ISSET, DS_ISNOTSET };

struct dataset;

struct ds_open {
	const char *name;
	enum ds_type type;
	const char *load, *save;  /* absolute paths, or NULL */
	bool ndjson;              /* load: one JSON object a line */
	bool json_array;          /* load: one JSON array of objects (format json) */
	const char *value_key;    /* ... the key (path: "a.b") of its value */
	bool json_ctx;            /* keep each value's object (datajson's context_key) ... */
	bool remove_key;          /* ... without its value_key member */
	uint64_t memcap;          /* 0: the default (64 MB) */
	bool untyped;             /* no type given: the existing set's (none: an error) */
	bool rep;                 /* datarep: each value has a reputation ("value,N" lines) */
};

/* The set o names: the existing one (its type must agree) or a new one,
 * loaded from o->load.  NULL with err (a type clash, a bad line named by
 * file and line, out of memory). */
struct dataset *dataset_open(const struct ds_open *o, char *err, size_t errlen);
/* A keyword's test on a buffer's value.  set/unset: true when the value
 * was added (was not there) / removed (was there), as Suricata answers. */
bool dataset_cmd(struct dataset *ds, enum ds_cmd cmd, const uint8_t *v, uint32_t len);
/* A datajson set: the JSON object kept with v (copied into out, at most
 * cap bytes with its NUL); false when v is not in the set, has none or
 * it does not fit. */
bool dataset_json(struct dataset *ds, const uint8_t *v, uint32_t len, char *out, size_t cap);
/* datarep: whether v is in the set, and its reputation. */
bool dataset_rep(struct dataset *ds, const uint8_t *v, uint32_t len, uint32_t *rep);
/* Writes each set with a save (or state) file.  Returns how many failed. */
unsigned datasets_save_all(void);
/* Values a set holds (tests). */
uint64_t dataset_count(const struct dataset *ds);
/* Frees every set (at exit, after datasets_save_all; tests). */
void datasets_free_all(void);

#endif
