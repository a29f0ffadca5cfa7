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
/* Exception policies (Suricata's): the *-policy settings' values, in
 * their ENUM order ("default" is not set: the master switch decides; the
 * master switch's own "auto" is its index 0, see config_xp). */
enum xp_policy { XP_DEFAULT = 0, XP_IGNORE, XP_DROP_PACKET, XP_DROP_FLOW, XP_PASS_PACKET,
		 XP_PASS_FLOW, XP_BYPASS, XP_REJECT, XP_AUTO, XP_POLICY_MAX };
/* What an exception policy is about, in the order of Suricata's flow
 * record (flow.exception_policy[]). */
enum xp_target { XP_DEFRAG_MEMCAP, XP_STREAM_MEMCAP, XP_REASM_MEMCAP, XP_FLOW_MEMCAP,
		 XP_MIDSTREAM, XP_APP_ERROR, XP_TARGET_MAX };
/* app-layer.protocols.{tls,ssh}.encryption-handling */
enum { STREAM_INLINE_AUTO = 0, STREAM_INLINE_YES = 1, STREAM_INLINE_NO = 2 };
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

/* The exception policy in force for target t: the target's own setting,
 * else the master switch (exception-policy), with auto resolved (inline:
 * drop-flow, or drop-packet where there is no flow; with stream.midstream
 * on, the midstream policy's auto is ignore; IDS: ignore), the flow
 * policies of the flowless targets (flow and defrag memcap) taken as their
 * packet ones, and in IDS mode (ips false: neither NFQUEUE nor
 * simulate-ips) the dropping ones as ignore.  Never XP_DEFAULT or XP_AUTO. */
enum xp_policy config_xp(const struct config *c, enum xp_target t, bool ips);

/* Names: a policy as stats and eve write it ("drop_flow"), a target as the
 * flow record names it ("stream_midstream"), as the stats name it
 * ("tcp.midstream"), and as a drop record gives the reason ("stream
 * midstream"). */
extern const char *const xp_policy_names[XP_POLICY_MAX];
extern const char *const xp_target_names[XP_TARGET_MAX];
extern const char *const xp_target_stats[XP_TARGET_MAX];
extern const char *const xp_drop_reasons[XP_TARGET_MAX];
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
