/*
 * config.h - the configuration: built-in defaults, a YAML file (libyaml),
 * then --set overrides, in that order.  Every key is a row in config.def;
 * an unknown key or bad value is an error naming file:line and the text.
 */
#ifndef VIGIL_CONFIG_H
#define VIGIL_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "vigil.h"

struct strlist {
	char **v;
	size_t cnt;
};

#define CFG_T_BOOL bool
#define CFG_T_UINT uint64_t
#define CFG_T_SIZE uint64_t
#define CFG_T_SECS uint64_t
#define CFG_T_STR char *
#define CFG_T_ENUM int
#define CFG_T_LIST struct strlist
#define CFG_T_MAP struct strlist

struct config {
#define X(field, path, type, def, help) CFG_T_##type field;
#include "config.def"
#undef X
};

enum { RUNMODE_WORKERS = 0, RUNMODE_SINGLE = 1 };
enum { MIDSTREAM_IGNORE = 0, MIDSTREAM_PASS_FLOW = 1, MIDSTREAM_BYPASS = 2, MIDSTREAM_DROP_FLOW = 3,
       MIDSTREAM_REJECT = 4 };
/* app-layer.protocols.{tls,ssh}.encryption-handling */
enum { STREAM_INLINE_YES = 0, STREAM_INLINE_AUTO = 1, STREAM_INLINE_NO = 2 };
enum { ENC_DEFAULT = 0, ENC_BYPASS = 1, ENC_FULL = 2 };
enum { LOGFILE_JSON = 0, LOGFILE_REGULAR = 1 };
enum { CSUM_AUTO = 0, CSUM_ALL = 1, CSUM_NONE = 2 };

/* Fills c with the built-in defaults.  V_ENOMEM on allocation failure. */
int config_init(struct config *c);
/* Frees the strings and lists; c may then be re-initialised. */
void config_fini(struct config *c);
/* Loads a YAML file over c.  Errors name path:line. */
int config_load_file(struct config *c, const char *path, struct verr *e);
/* Applies "key=value" (from --set). */
int config_set(struct config *c, const char *kv, struct verr *e);
/* Sets one key from text; origin/line are for the error message. */
/* What no single key can say: combinations that cannot work (stream.midstream
 * with a midstream-policy other than ignore or pass-flow, as Suricata
 * refuses).  0, or V_EINVAL with e->msg. */
int config_check(const struct config *c, struct verr *e);
/* path if absolute, else default-log-dir / path, written into buf.
 * Returns buf. */
const char *config_log_path(const struct config *c, const char *path, char *buf, size_t cap);
int config_set_key(struct config *c, const char *key, const char *val, const char *origin,
		   unsigned long line, struct verr *e);
/* Value of NAME in a MAP ("NAME=value" entries), or NULL. */
const char *config_map_get(const struct strlist *map, const char *name);

/* Writes every key with its current value and help text, YAML-style. */
void config_dump(const struct config *c, FILE *f);

#endif
