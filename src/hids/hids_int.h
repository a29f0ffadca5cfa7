/*
 * hids_int.h - the loaded decoders and rules, shared by the files of
 * src/hids and nothing else.
 */
#ifndef VIGIL_HIDS_INT_H
#define VIGIL_HIDS_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hids.h"
#include "hxml.h"
#include "pattern.h"

/* Event categories: a decoder's <type>, a rule's <category>. */
#define HIDS_CATEGORIES(X) \
	X(SYSLOG, "syslog") X(FIREWALL, "firewall") X(IDS, "ids") X(WEBLOG, "web-log") \
	X(SQUID, "squid") X(WINDOWS, "windows") X(HOSTINFO, "host-information") X(OSSEC, "ossec")
enum hcat {
#define X(e, n) HC_##e,
	HIDS_CATEGORIES(X)
#undef X
	HC_CNT
};

enum hoff { HO_NONE, HO_AFTER_PARENT, HO_AFTER_PREMATCH, HO_AFTER_REGEX };
enum hplugin { HPL_NONE, HPL_JSON, HPL_PF, HPL_SONICWALL, HPL_SYMANTECWS, HPL_OSSECALERT };

/* One name of a decoder's <order>: a static field, or a dynamic one. */
struct horder {
	int stat;          /* enum hids_field, or -1 */
	char *name;        /* the dynamic field's name */
};

struct hdnode;

struct hdecoder {
	char *name;        /* reported: the parent's, unless use_own_name */
	char *own_name;
	char *parent;
	unsigned id;       /* one per distinct reported name (decoded_as) */
	bool has_pn;       /* has a <program_name> (possibly empty) */
	struct hpat program_name, prematch, regex;
	unsigned char prematch_off, regex_off, plugin, plugin_off, type;
	bool use_own_name, accumulate, json_null_discard, json_array_csv;
	struct horder *order;
	size_t order_cnt;
	char **fts;        /* first-time-seen key fields */
	size_t fts_cnt;
	/* the literal runs one of which a line must hold for the prematch
	 * to match it (hpat_required_lits), or key_cnt 0: none known */
	uint32_t *keys;
	size_t key_cnt;
	struct hdnode *child;  /* top-level decoders: their children */
	size_t child_cnt, child_cap;
	const char *file;
	unsigned line;
};

struct hdnode {
	struct hdecoder *d;
	bool get_next;     /* the chain goes on to the next node */
};

/* Rule elements matched against one event value each. */
#define HIDS_RULE_MATCHERS(X) \
	X(MATCH, "match") X(REGEX, "regex") X(PROGRAM_NAME, "program_name") X(ID, "id") \
	X(SYSTEM_NAME, "system_name") X(PROTOCOL, "protocol") X(ACTION, "action") X(URL, "url") \
	X(LOCATION, "location") X(SRCPORT, "srcport") X(DSTPORT, "dstport") X(USER, "user") \
	X(SRCGEOIP, "srcgeoip") X(DSTGEOIP, "dstgeoip") X(DATA, "data") X(EXTRA_DATA, "extra_data") \
	X(HOSTNAME, "hostname") X(STATUS, "status")
enum hrm {
#define X(e, n) RM_##e,
	HIDS_RULE_MATCHERS(X)
#undef X
	RM_CNT
};

/* The values same_* / different_* compare (beyond the static fields). */
enum { SD_LOCATION = HF_STATIC_CNT, SD_SRCGEOIP, SD_DSTGEOIP, SD_CNT };

struct hip {
	bool neg;
	uint8_t fam;       /* 4 or 6 */
	uint8_t bits;
	uint8_t a[16];
};

struct hlist;

struct hrlist {
	int field;         /* enum hids_field, -2 program_name, -3 hostname, -1 dynamic */
	char *dyn;
	int lookup;
	struct hlist *list;
	struct hpat check;
};

enum {
	LK_MATCH_KEY, LK_NOT_MATCH_KEY, LK_MATCH_KEY_VALUE, LK_ADDRESS_MATCH_KEY,
	LK_NOT_ADDRESS_MATCH_KEY, LK_ADDRESS_MATCH_KEY_VALUE,
};

enum {
	RO_NO_FULL_LOG = 1, RO_NO_LOG = 2, RO_ALERT_BY_EMAIL = 4, RO_NO_EMAIL = 8, RO_NO_AR = 16,
	RO_NO_COUNTER = 32, RO_LOG_ALERT = 64,
};

struct hrfield {
	char *name;
	uint32_t key;      /* hids_dyn_key(name) */
	struct hpat pat;
};

struct hrule {
	unsigned id;
	int level;
	unsigned maxsize, timeframe, ignore_time;
	int frequency;     /* the attribute as written; 0 when absent */
	bool noalert, global_frequency, check_diff, if_fts, has_context;
	unsigned char category;
	int decoded_as;    /* decoder id, or -1 */
	struct hpat m[RM_CNT];
	struct hrfield *field;
	size_t field_cnt;
	struct hip *srcip, *dstip;
	size_t srcip_cnt, dstip_cnt;
	bool srcip_neg, dstip_neg;
	struct hrlist *list;
	size_t list_cnt;
	int compiled;      /* a compiled_rule, or 0 */
	/* <time>: matches when lo <= hh:mm <= hi is time_in (minutes of the
	 * local day); <weekday>: bit d for day d (0 = Sunday), wday_neg flips */
	short time_lo, time_hi;
	bool has_time, time_in, wday_neg;
	unsigned char wdays;
	unsigned *if_sid;
	size_t if_sid_cnt;
	char *if_group;
	int if_level;
	unsigned if_matched_sid;
	struct hpat if_matched_group;
	uint32_t same, diff;   /* bits of SD_* and enum hids_field */
	char **same_field, **diff_field;
	size_t same_field_cnt, diff_field_cnt;
	char **ignore_f, **ckignore_f;
	size_t ignore_f_cnt, ckignore_f_cnt;
	char *description, *groups, *info;
	char **mitre;
	size_t mitre_cnt;
	unsigned options;
	/* context memory, as indexes into a session's state */
	unsigned idx;          /* this rule's slot */
	int sid_list;          /* if a target of if_matched_sid: its event list */
	int group_list;        /* if this rule has if_matched_group: its list */
	int *feeds;            /* group lists this rule's alerts go to */
	size_t feeds_cnt;
	const char *file;
	unsigned line;
};

struct hnode {
	struct hrule *r;
	struct hnode **child;
	size_t cnt, cap;
	/* many children: those that name a decoder (decoded_as) by its id,
	 * and the others; an event tries only its decoder's and the others,
	 * merged in sibling order */
	struct hdec_children {
		int dec;
		uint32_t *pos;
		size_t cnt;
	} *by_dec;
	size_t by_dec_cnt;
	uint32_t *other;
	size_t other_cnt;
	bool indexed;
};

struct hids_ruleset {
	struct hdecoder **dec;     /* every decoder, load order */
	size_t dec_cnt, dec_cap;
	struct hdecoder **pn, **nopn;  /* top level, with and without program_name */
	size_t pn_cnt, nopn_cnt, pn_cap, nopn_cap;
	/* the pn list by exact program name: positions in pn, ascending; the
	 * decoders whose program_name is not a list of exact names are in
	 * pn_other, tried for every name */
	struct pn_slot {
		char *name;
		uint32_t *pos;
		size_t cnt;
	} *pn_index;
	size_t pn_index_cap;
	uint32_t *pn_other;
	size_t pn_other_cnt;
	char **dec_names;          /* distinct reported names, by id */
	size_t dec_name_cnt;
	struct hrule **rules;      /* by load order */
	size_t rule_cnt, rule_cap;
	struct hnode **top;        /* the rule tree's top level */
	size_t top_cnt, top_cap;
	struct hnode **nodes;      /* every node, for freeing */
	size_t node_cnt, node_cap;
	struct hlist **lists;
	size_t list_cnt;
	size_t sid_lists, group_lists;  /* event lists a session keeps */
	struct hpat_lits *lits;    /* the literal runs of the line patterns (pattern.h) */
	char **files;              /* file names the rules and decoders point at */
	size_t file_cnt;
	size_t warnings;
	FILE *warn;
	bool ossec;                /* the OSSEC dialect: frequency counts from 0 */
};

/* decoder.c */
int hids_decoders_load(struct hids_ruleset *rs, const char *path, struct verr *e);
void hids_decoders_finish(struct hids_ruleset *rs);
/* Once rs->lits is built: the decoders' keys.  0, or V_ENOMEM. */
int hids_decoders_keys(struct hids_ruleset *rs);
void hids_decoders_free(struct hids_ruleset *rs);
int hids_decoder_id(const struct hids_ruleset *rs, const char *name);
void hids_decode(const struct hids_ruleset *rs, struct hids_event *ev);

/* rules.c */
int hids_rules_load_file(struct hids_ruleset *rs, const char *path, const char *dir,
			 const char *lists_dir, struct verr *e);
int hids_rules_finish(struct hids_ruleset *rs);
void hids_rules_free(struct hids_ruleset *rs);

/* lists.c */
struct hlist *hids_list_load(const char *path, struct verr *e);
void hids_list_free(struct hlist *l);
const char *hids_list_get(const struct hlist *l, const char *key);
const char *hids_list_path(const struct hlist *l);

/* event.c */
/* Copies n bytes of s into the event's storage; NULL when out of memory. */
char *hids_event_strndup(struct hids_event *ev, const char *s, size_t n);
const char *hids_event_dyn(const struct hids_event *ev, const char *name);
/* The same, given hids_dyn_key(name): a hash of the name blind to ASCII
 * case, which lookups compare before the names. */
const char *hids_event_dyn_k(const struct hids_event *ev, const char *name, uint32_t key);
uint32_t hids_dyn_key(const char *name);
void hids_set_static(struct hids_event *ev, int f, const char *v);
bool hids_add_dyn(struct hids_event *ev, const char *name, const char *v);

/* Warnings while loading: counted, and written to rs->warn. */
void hids_warn(struct hids_ruleset *rs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Names. */
int hids_field_static(const char *name);     /* "srcip" -> HF_SRCIP, "user" -> HF_DSTUSER; -1 */
int hids_category(const char *name);         /* "syslog" -> HC_SYSLOG; -1 */
const char *hids_field_name(int f);          /* HF_SRCIP -> "srcip" */

#endif
