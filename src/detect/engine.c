/*
 * engine.c - the detection engine: loading, grouping and per-packet
 * evaluation.
 *
 * Loading reads each rule file line by line (with '\' continuations),
 * parses each rule and keeps the skip reasons for --test-rules.  Rules are
 * then ordered as Suricata orders them (action order, then flowbits
 * setters before readers, then priority) and grouped by IP protocol; each
 * group gets a prefilter over its rules' fast patterns.  Rules without a
 * usable fast pattern are checked on every packet of their group.
 *
 * Per packet: the prefilter marks candidate rules in a bitmap, which is
 * then walked in rule order, so evaluation order is the action order.  A
 * matching pass rule ends inspection of the packet and of its flow.
 * Thresholds (threshold, detection_filter) live in one table shared by
 * all workers behind a mutex; it is consulted only after a rule matched.
 */
#include "detect.h"

#include <ctype.h>
#include <errno.h>
#include <malloc.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "dataset.h"
#include "iprep.h"
#include "kw_gap.h"
#include "log.h"
#include "mpm.h"
#include "parse.h"
#include "payload.h"
#include "xform.h"
#include "xbits.h"
#include "util.h"
#include "tlsstore.h"

const char *const action_names[] = { "alert", "pass", "drop", "reject", "config" };

enum { G_TCP, G_UDP, G_ICMP4, G_ICMP6, G_OTHER, G_MAX };
#define NCLS 12 /* packet classes: flow direction (3) x source, destination in $HOME_NET */

/* Rules without a fast pattern whose source or destination is a list of
 * networks (IP reputation rules: botcc, compromised, tor, ...) are found
 * through an address index instead of being checked on every packet: per
 * IP version and prefix length, a sorted array of (network, rule).  A
 * list that mixes IPv4 and IPv6 (ET's tor rules) goes into both. */
struct ip_entry {
	uint64_t hi, lo;  /* the network, masked; IPv4 in the low 32 bits of lo */
	uint32_t rule;
};

struct ip_index {
	struct {
		uint8_t ver, plen;
		struct ip_entry *v;
		uint32_t cnt;
	} by_len[33 + 129];
	uint8_t nlens;
};

enum { IX_SRC, IX_DST, IX_IP_SRC, IX_IP_DST, IX_MAX };

struct group {
	uint32_t *rules;      /* every rule of the group, in order */
	uint32_t nrules;
	uint32_t *nonmpm;     /* rules checked on every packet */
	uint32_t nnonmpm;
	struct mpm *mpm;      /* payload fast patterns */
	struct mpm *pmpm;     /* TCP: those of the packet-only rules (dsize, flow:no_stream), what
			       * a packet's payload is scanned for when its session is
			       * reassembled (the others inspect the stream) */
	uint8_t reasm_scan;   /* then: RS_NONE (no packet-only payload rule), RS_PKT (pmpm),
			       * RS_ALL (all are: mpm) */
	struct mpm *bmpm[BUF_MAX]; /* sticky buffers' fast patterns */
	/* the address indexes: source and destination, of IP-only rules
	 * apart (they see the first packet of each flow direction only) */
	struct ip_index ix[IX_MAX];
};

enum { RS_NONE, RS_PKT, RS_ALL };

struct skip_reason {
	char *key;            /* keyword / reason grouping key */
	uint32_t count;
	char *example;        /* file:line sid */
};

struct th_entry {
	uint32_t sid, gid;
	uint8_t key[33];
	vtime_t first;
	uint32_t count;
	uint32_t next;  /* backoff: the match number that alerts next */
	bool used;
};

struct detect_engine {
	struct rule **rules;
	uint32_t nrules;
	struct str_pool strs;  /* what rules share (metadata members) */
	struct group groups[G_MAX][NCLS];
	uint32_t *all[G_MAX];  /* every rule of the protocol (detect.prefilter: no) */
	uint32_t nall[G_MAX];
	struct addr_set home;  /* $HOME_NET, for the packet classes */
	bool use_cls;          /* home usable: 12 classes, else 1 */
	bool keep_text;        /* rules keep their text (alert-rule) */
	bool uses_xform;       /* a rule transforms a buffer or decodes base64 */
	bool uses_txdir;       /* a => rule */
	bool uses_tev;         /* a tx_event rule */
	uint32_t mpm_unique, mpm_shared;
	uint64_t mpm_mem;      /* of which prefilter databases */
	struct class_entry *classes;
	size_t nclasses;
	struct skip_reason *skips;
	size_t nskips;
	uint8_t action_rank[ACT_MAX];
	uint32_t window;       /* detect.stream-window */
	uint64_t stream_depth;
	bool no_prefilter;     /* detect.prefilter: no (the differential test's reference) */
	bool guess_tx;         /* detect.guess-applayer-tx */
	uint32_t guess_limit;  /* detect.stream-tx-log-limit */
	unsigned compile_threads;
	uint64_t id;           /* unique among the engines of the process (a reload's is new) */
	uint64_t mem;
	/* distinct address and port sets (intern_sets), owned here */
	struct addr_set *asets;
	uint32_t nasets;
	struct port_set *psets;
	uint32_t npsets;
	/* thresholds */
	pthread_mutex_t th_lock;
	struct th_entry *th;
	uint32_t th_cap;
	struct iprep *iprep;   /* IP reputation (iprep keyword), or NULL */
};

/* The instances of sticky buffer b on this packet. */
#define BUF_MAX_INST DNS_MAX_ANSWERS
struct bufs;
struct binst {
	const uint8_t *p[BUF_MAX_INST];
	uint32_t len[BUF_MAX_INST];
	unsigned n;
	struct bufs *set;      /* the packet's buffers it is one of, NULL for a lone one */
};

/* A packet's (or a direction's) buffers.  used lists those with
 * instances, so that clearing them and scanning them costs what a packet
 * has, not one touch of each of the BUF_MAX instance lists (55 KiB). */
struct bufs {
	struct binst b[BUF_MAX];
	uint16_t used[BUF_MAX];
	uint16_t nused;
};

struct detect_thread {
	const struct detect_engine *de;
	uint64_t *cand;        /* bitmap over rules */
	uint32_t cand_words;
	uint32_t *touched;     /* words set this packet */
	uint32_t ntouched;
	struct mpm_scratch *scratch;
	pcre2_match_data *md;
	pcre2_match_context *mctx;
	/* per-packet memo of set results: [id * 2 + side] = gen << 1 | result,
	 * side 0 the packet's source (address or port), 1 its destination */
	uint32_t *amemo, *pmemo;
	uint32_t gen;
	struct xform_scratch xs;
	/* => rules: the buffers of the transaction's other direction, made
	 * when the first such rule needs them on a packet (bo_ready) */
	struct bufs *bo;
	bool bo_ready;
	struct bufs *bi;       /* the packet's own buffers */
	struct win *scan_w;    /* win_scan's window and matcher */
	const struct mpm *scan_m;
};

/* ---- classification ---- */

/* Whether app-layer event id is one of an HTTP transaction's events
 * ("http.failed_protocol_change"), which Suricata keeps on a transaction
 * that holds both directions (a request and its response) and so
 * inspects in each.  Not the events of protocols whose transactions are
 * one direction's in Suricata 8 (MQTT's messages: suricata-verify
 * mqtt-events-* alert once; SMB's smb-eicar-overlap twice), nor those of
 * protocol detection ("applayer_*"), which belong to their packet. */
static bool tx_event_id(uint32_t id)
{
	return id < APP_EV_MAX && app_event_names[id] && !strncmp(app_event_names[id], "http.", 5);
}

static const char *const builtin_classes[] = {
	"not-suspicious,Not Suspicious Traffic,3", "unknown,Unknown Traffic,3",
	"bad-unknown,Potentially Bad Traffic,2", "attempted-recon,Attempted Information Leak,2",
	"successful-recon-limited,Information Leak,2",
	"successful-recon-largescale,Large Scale Information Leak,2",
	"attempted-dos,Attempted Denial of Service,2", "successful-dos,Denial of Service,2",
	"attempted-user,Attempted User Privilege Gain,1",
	"unsuccessful-user,Unsuccessful User Privilege Gain,1",
	"successful-user,Successful User Privilege Gain,1",
	"attempted-admin,Attempted Administrator Privilege Gain,1",
	"successful-admin,Successful Administrator Privilege Gain,1",
	"rpc-portmap-decode,Decode of an RPC Query,2",
	"shellcode-detect,Executable code was detected,1",
	"string-detect,A suspicious string was detected,3",
	"suspicious-filename-detect,A suspicious filename was detected,2",
	"suspicious-login,An attempted login using a suspicious username was detected,2",
	"system-call-detect,A system call was detected,2",
	"tcp-connection,A TCP connection was detected,4",
	"trojan-activity,A Network Trojan was detected,1",
	"unusual-client-port-connection,A client was using an unusual port,2",
	"network-scan,Detection of a Network Scan,3",
	"denial-of-service,Detection of a Denial of Service Attack,2",
	"non-standard-protocol,Detection of a non-standard protocol or event,2",
	"protocol-command-decode,Generic Protocol Command Decode,3",
	"web-application-activity,access to a potentially vulnerable web application,2",
	"web-application-attack,Web Application Attack,1", "misc-activity,Misc activity,3",
	"misc-attack,Misc Attack,2", "icmp-event,Generic ICMP event,3",
	"inappropriate-content,Inappropriate Content was Detected,1",
	"policy-violation,Potential Corporate Privacy Violation,1",
	"default-login-attempt,Attempt to login by a default username and password,2",
	"targeted-activity,Targeted Malicious Activity was Detected,1",
	"exploit-kit,Exploit Kit Activity Detected,1",
	"external-ip-check,Device Retrieving External IP Address Detected,2",
	"domain-c2,Domain Observed Used for C2 Detected,1",
	"pup-activity,Possibly Unwanted Program Detected,2",
	"credential-theft,Successful Credential Theft Detected,1",
	"social-engineering,Possible Social Engineering Attempted,2",
	"coin-mining,Crypto Currency Mining Activity Detected,2",
	"command-and-control,Malware Command and Control Activity Detected,1",
};

static int class_add(struct detect_engine *de, const char *spec)
{
	char tmp[512];
	str_lcpy(tmp, spec, sizeof(tmp));
	char *c1 = strchr(tmp, ','), *c2 = c1 ? strrchr(c1 + 1, ',') : NULL;
	if (!c1 || !c2)
		return -1;
	*c1 = *c2 = '\0';
	uint64_t prio;
	char *p = c2 + 1;
	while (isspace((unsigned char)*p))
		p++;
	if (parse_uint(p, 255, &prio) < 0)
		return -1;
	for (size_t i = 0; i < de->nclasses; i++) {
		if (!strcmp(de->classes[i].name, tmp)) { /* later definition wins */
			char *d = v_strdup(c1 + 1);
			if (!d)
				return -1;
			v_free(de->classes[i].desc);
			de->classes[i].desc = d;
			de->classes[i].prio = (uint8_t)prio;
			return 0;
		}
	}
	struct class_entry *v = v_realloc(de->classes, (de->nclasses + 1) * sizeof(*v));
	if (!v)
		return -1;
	de->classes = v;
	struct class_entry *e = &v[de->nclasses];
	e->name = v_strdup(tmp);
	e->desc = v_strdup(c1 + 1);
	e->prio = (uint8_t)prio;
	if (!e->name || !e->desc) {
		v_free(e->name);
		v_free(e->desc);
		return -1;
	}
	de->nclasses++;
	return 0;
}

static int load_classification(struct detect_engine *de, const char *path, bool quiet,
			       struct verr *e)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return verr_set(e, V_EIO, "%s: %s", path, strerror(errno));
	char line[1024];
	unsigned ln = 0;
	while (fgets(line, sizeof(line), f)) {
		ln++;
		char *s = line;
		while (isspace((unsigned char)*s))
			s++;
		if (strncmp(s, "config classification:", 22))
			continue;
		s += 22;
		while (isspace((unsigned char)*s))
			s++;
		s[strcspn(s, "\r\n")] = '\0';
		if (class_add(de, s) < 0 && !quiet)
			log_warn("%s:%u: bad classification \"%s\"", path, ln, s);
	}
	fclose(f);
	return 0;
}

/* ---- loading ---- */

static void skip_note(struct detect_engine *de, const char *key, const char *where)
{
	for (size_t i = 0; i < de->nskips; i++) {
		if (!strcmp(de->skips[i].key, key)) {
			de->skips[i].count++;
			return;
		}
	}
	struct skip_reason *v = v_realloc(de->skips, (de->nskips + 1) * sizeof(*v));
	if (!v)
		return;
	de->skips = v;
	v[de->nskips].key = v_strdup(key);
	v[de->nskips].example = v_strdup(where);
	v[de->nskips].count = 1;
	if (v[de->nskips].key && v[de->nskips].example)
		de->nskips++;
	else {
		v_free(v[de->nskips].key);
		v_free(v[de->nskips].example);
	}
}

static uint32_t rule_sid_guess(const char *text)
{
	const char *s = strstr(text, "sid:");
	return s ? (uint32_t)strtoul(s + 4, NULL, 10) : 0;
}

static int add_rule(struct detect_engine *de, struct rule *r)
{
	if ((de->nrules & (de->nrules - 1)) == 0) {
		uint32_t cap = de->nrules ? de->nrules * 2 : 64;
		struct rule **v = v_realloc(de->rules, cap * sizeof(*v));
		if (!v)
			return -1;
		de->rules = v;
	}
	de->rules[de->nrules++] = r;
	return 0;
}

/* Rules with the same gid and sid: as Suricata, the higher rev stays and
 * the other is dropped; of equal revs the first loaded stays.  One hash
 * table of rule indexes, open addressing, for the pass. */
static void drop_duplicates(struct detect_engine *de, bool quiet, struct detect_load_stats *st)
{
	uint32_t cap = 64;
	while (cap < 2 * de->nrules)
		cap *= 2;
	uint32_t *slot = v_malloc(cap * sizeof(*slot));
	if (!slot)
		return;
	memset(slot, 0xff, cap * sizeof(*slot));
	uint32_t out = 0;
	for (uint32_t i = 0; i < de->nrules; i++) {
		struct rule *r = de->rules[i];
		uint32_t h = (r->sid * 2654435761u) ^ (r->gid * 40503u);
		uint32_t j = h & (cap - 1);
		while (slot[j] != UINT32_MAX &&
		       (de->rules[slot[j]]->sid != r->sid || de->rules[slot[j]]->gid != r->gid))
			j = (j + 1) & (cap - 1);
		if (slot[j] == UINT32_MAX) {
			slot[j] = out;
			de->rules[out++] = r;
			continue;
		}
		struct rule *old = de->rules[slot[j]], *lose = r;
		if (r->rev > old->rev) {
			de->rules[slot[j]] = r;
			lose = old;
		}
		if (!quiet)
			log_warn("%s:%u: sid %u rev %u dropped: duplicate of %s:%u (rev %u)",
				 lose->file ? lose->file : "?", lose->line, lose->sid, lose->rev,
				 lose == r ? old->file : r->file, lose == r ? old->line : r->line,
				 lose == r ? old->rev : r->rev);
		char where[600];
		snprintf(where, sizeof(where), "%.500s:%u sid %u", lose->file ? lose->file : "?",
			 lose->line, lose->sid);
		skip_note(de, "duplicate sid (the higher rev is kept)", where);
		st->loaded--;
		st->skipped++;
		rule_free(lose);
	}
	de->nrules = out;
	v_free(slot);
}

static int load_file(struct detect_engine *de, const char *path, struct parse_ctx *pc,
		     bool quiet, bool fatal, struct detect_load_stats *st)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		log_err("%s: %s", path, strerror(errno));
		return -1;
	}
	st->files++;
	str_lcpy(pc->dir, path, sizeof(pc->dir));
	char *slash = strrchr(pc->dir, '/');
	if (slash)
		*slash = '\0';
	else
		str_lcpy(pc->dir, ".", sizeof(pc->dir));
	size_t cap = 4096, len = 0;
	char *rule = v_malloc(cap), *line = NULL;
	size_t lcap = 0;
	unsigned ln = 0, start_ln = 0;
	ssize_t n;
	if (!rule) {
		fclose(f);
		return -1;
	}
	while ((n = getline(&line, &lcap, f)) >= 0) {
		ln++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		char *s = line;
		while (isspace((unsigned char)*s))
			s++;
		if (!len && (!*s || *s == '#'))
			continue;
		if (!len)
			start_ln = ln;
		bool cont = n > 0 && line[n - 1] == '\\';
		if (cont)
			line[--n] = '\0';
		size_t add = strlen(s);
		if (len + add + 1 > cap) {
			while (len + add + 1 > cap)
				cap *= 2;
			if (cap > 1 << 20) { /* a runaway continuation: give up on it */
				log_warn("%s:%u: rule longer than 1 MiB, skipped", path, start_ln);
				st->invalid++;
				len = 0;
				cap = 4096;
				continue;
			}
			char *nr = v_realloc(rule, cap);
			if (!nr)
				break;
			rule = nr;
		}
		memcpy(rule + len, s, add);
		len += add;
		rule[len] = '\0';
		if (cont)
			continue;
		struct rule *r = rule_parse(rule, pc);
		char where[600];
		snprintf(where, sizeof(where), "%.500s:%u sid %u", path, start_ln, rule_sid_guess(rule));
		if (!r) {
			if (pc->unsupported) {
				st->skipped++;
				skip_note(de, pc->kw[0] ? pc->kw : pc->err, where);
			} else {
				st->invalid++;
				char key[300];
				snprintf(key, sizeof(key), "invalid: %s", pc->err);
				/* group invalid rules by the message's first words */
				key[strcspn(key, "\"")] = '\0';
				skip_note(de, key, where);
			}
			/* a rule vigil does not support yet is a warning; one that
			 * is wrong is an error (Suricata's level for both); one
			 * for another Suricata version is only said */
			if (!quiet)
				log_msg(pc->requires_unmet ? LOG_INFO : pc->unsupported ? LOG_WARN : LOG_ERROR,
					"%s:%u: sid %u skipped: %s", path, start_ln, rule_sid_guess(rule), pc->err);
			if (fatal && !pc->unsupported)
				break; /* engine.init-failure-fatal: the first error ends the load */
		} else {
			r->line = start_ln;
			r->file = v_strdup(path);
			if (de->keep_text)
				r->text = v_strdup(rule);
			if (add_rule(de, r) < 0) {
				rule_free(r);
				break;
			}
			st->loaded++;
		}
		len = 0;
	}
	free(line);
	v_free(rule);
	fclose(f);
	return 0;
}

static int fb_class(const struct rule *r)
{
	bool set = false, read = false;
	for (uint32_t i = 0; i < r->fb_cnt; i++) {
		if (r->fb[i].op <= FB_TOGGLE)
			set = true;
		else
			read = true;
	}
	return set && !read ? 0 : set && read ? 1 : read ? 2 : 3;
}

static bool addrs_negated(const struct addr_set *a)
{
	for (uint32_t i = 0; i < a->cnt; i++)
		if (a->v[i].neg)
			return true;
	return false;
}

/* Whether r is what Suricata calls an IP-only rule: addresses, ports and
 * protocol, with at most flowbits that only set, xbits/hostbits, iprep,
 * threshold, detection_filter and tag; no payload, buffer, header, flow,
 * app-layer or event condition, and no negated address (those Suricata
 * calls "like IP-only" and inspects on every packet).  Suricata inspects
 * IP-only rules on the first packet of each flow direction only (and on
 * every packet without a flow): the addresses and ports cannot change
 * within a direction, so one alert per direction, and a threshold counts
 * flows, not packets. */
static bool rule_ip_only(const struct rule *r)
{
	if (r->alproto || r->nalp || r->nac || r->http_parts || r->nxl || r->frame_type ||
	    r->txdir || r->flow_start || r->bypass || r->filestore || r->action == ACT_CONFIG)
		return false;
	for (unsigned i = 0; i < r->nlists; i++)
		if (r->lists[i].cnt)
			return false;
	if (r->hdr_mask || r->has_flags || r->has_fragbits || r->flow_flags || r->fi_cnt ||
	    r->sameip || r->npev || r->fc || r->csum_valid || r->csum_invalid)
		return false;
	for (uint32_t i = 0; i < r->fb_cnt; i++)
		if (r->fb[i].op != FB_SET)
			return false;
	return !addrs_negated(&r->src) && !addrs_negated(&r->dst);
}

/* Whether a pass or drop of r applies to the flow rather than the packet:
 * app-layer rules (a protocol, an app-layer buffer or condition),
 * protocol-only rules, and IP-only rules: addresses and ports with no
 * payload, header, flow or flowint condition, and flowbits that only set,
 * as Suricata applies the action of its IP-only, PD-only and app-layer
 * signatures to the flow. */
static bool rule_flow_scope(const struct rule *r)
{
	if (r->alproto || r->nalp || r->nac || r->http_parts || r->nxl)
		return true;
	for (unsigned i = 0; i < r->nlists; i++) {
		int b = r->lists[i].buf;
		if (r->lists[i].cnt && b > BUF_PAYLOAD && (b < BUF_IPV4_HDR || b > BUF_BASE64_DATA))
			return true; /* an app-layer buffer */
	}
	for (unsigned i = 0; i < r->nlists; i++) {
		int b = r->lists[i].buf;
		if (r->lists[i].cnt && (b == BUF_PAYLOAD || (b >= BUF_IPV4_HDR && b <= BUF_BASE64_DATA)))
			return false; /* the payload, a packet's header */
	}
	for (uint32_t i = 0; i < r->fb_cnt; i++)
		if (r->fb[i].op != FB_SET)
			return false;
	for (uint32_t i = 0; i < r->xb_cnt; i++)
		if (r->xb[i].op != FB_SET)
			return false;
	return !r->hdr_mask && !r->has_flags && !r->has_fragbits && !r->flow_flags && !r->fi_cnt &&
	       !r->sameip && !r->npev;
}

/* The replacements of a rule that matched a packet's payload (replace). */
static void repl_add(struct detect_result *res, const struct sm_list *pl, const struct insp *st,
		     const struct packet *p)
{
	for (unsigned k = 0; k < st->nrep && res->nrepl < DETECT_MAX_REPL; k++) {
		if (st->rep[k].i >= pl->cnt || pl->v[st->rep[k].i].type != SM_CONTENT)
			continue;
		const struct sm_content *c = &pl->v[st->rep[k].i].u.c;
		if (c->repl && (uint64_t)st->rep[k].pos + c->len <= p->payload_len)
			res->repl[res->nrepl++] = (struct detect_repl){ st->rep[k].pos, c->len,
									 c->pat + c->len };
	}
}

static const struct detect_engine *sort_de;

static int rule_order(const void *a, const void *b)
{
	const struct rule *x = *(struct rule *const *)a, *y = *(struct rule *const *)b;
	int ax = sort_de->action_rank[x->action], ay = sort_de->action_rank[y->action];
	if (ax != ay)
		return ax - ay;
	int fx = fb_class(x), fy = fb_class(y);
	if (fx != fy)
		return fx - fy;
	if (x->priority != y->priority)
		return x->priority - y->priority;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

static int group_of(uint8_t proto)
{
	switch (proto) {
	case 6: return G_TCP;
	case 17: return G_UDP;
	case 1: return G_ICMP4;
	case 58: return G_ICMP6;
	}
	return G_OTHER;
}

/* Can this side be indexed: networks only, none negated, no any? */
static bool indexable(const struct addr_set *s)
{
	if (s->any || !s->cnt || s->cnt > 1u << 20)
		return false;
	for (uint32_t i = 0; i < s->cnt; i++)
		if (s->v[i].neg || (s->v[i].ver != 4 && s->v[i].ver != 6))
			return false;
	return true;
}

/* addr (4 or 16 bytes) as two 64-bit halves, masked to plen bits */
static void ip_key(int ver, const uint8_t *a, uint8_t plen, uint64_t *hi, uint64_t *lo)
{
	uint64_t h = 0, l = 0;
	if (ver == 4) {
		l = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
		l &= plen ? ~0u << (32 - plen) : 0;
	} else {
		for (int i = 0; i < 8; i++) {
			h = h << 8 | a[i];
			l = l << 8 | a[8 + i];
		}
		if (plen <= 64) {
			h &= plen ? ~0ULL << (64 - plen) : 0;
			l = 0;
		} else if (plen < 128) {
			l &= ~0ULL << (128 - plen);
		}
	}
	*hi = h;
	*lo = l;
}

static bool ix_add(struct ip_index *ix, const struct addr_set *s, uint32_t rule)
{
	for (uint32_t i = 0; i < s->cnt; i++) {
		const struct addr_item *it = &s->v[i];
		unsigned k;
		for (k = 0; k < ix->nlens; k++)
			if (ix->by_len[k].ver == it->ver && ix->by_len[k].plen == it->plen)
				break;
		if (k == ix->nlens) {
			ix->by_len[k].ver = it->ver;
			ix->by_len[k].plen = it->plen;
			ix->nlens++;
		}
		uint32_t n = ix->by_len[k].cnt;
		if ((n & (n - 1)) == 0) {
			struct ip_entry *v = v_realloc(ix->by_len[k].v, (n ? 2 * n : 4) * sizeof(*v));
			if (!v)
				return false;
			ix->by_len[k].v = v;
		}
		struct ip_entry *e = &ix->by_len[k].v[n];
		ip_key(it->ver, it->a, it->plen, &e->hi, &e->lo);
		e->rule = rule;
		ix->by_len[k].cnt++;
	}
	return true;
}

/* The share of its IP version's address space a set covers (summed over
 * its items, IPv4 and IPv6 alike). */
static double coverage(const struct addr_set *s)
{
	double c = 0;
	for (uint32_t i = 0; i < s->cnt; i++)
		c += ldexp(1.0, -(int)s->v[i].plen);
	return c;
}

static bool ip_index_rule(struct group *gr, const struct rule *r, uint32_t i)
{
	/* index the more selective side: the one covering less of the
	 * address space (the reputation list, not $HOME_NET's private
	 * networks on the other side, however short the list) */
	bool si = indexable(&r->src), di = indexable(&r->dst);
	const struct addr_set *side = si && di ? (coverage(&r->src) < coverage(&r->dst) ? &r->src : &r->dst)
				      : di ? &r->dst : si ? &r->src : NULL;
	if (!side)
		return false;
	bool is_dst = side == &r->dst;
	struct ip_index *ix = &gr->ix[r->ip_only ? IX_IP_SRC : IX_SRC];
	if (!ix_add(&ix[is_dst], side, i))
		return false;
	/* a <> rule also matches with the packet reversed */
	if (r->bidir && !ix_add(&ix[!is_dst], side, i))
		return false;
	return true;
}

static int ip_entry_cmp(const void *a, const void *b)
{
	const struct ip_entry *x = a, *y = b;
	if (x->hi != y->hi)
		return x->hi < y->hi ? -1 : 1;
	if (x->lo != y->lo)
		return x->lo < y->lo ? -1 : 1;
	return x->rule < y->rule ? -1 : x->rule > y->rule;
}

static void ix_finish(struct ip_index *ix)
{
	for (unsigned k = 0; k < ix->nlens; k++)
		qsort(ix->by_len[k].v, ix->by_len[k].cnt, sizeof(struct ip_entry), ip_entry_cmp);
}

static void ix_free(struct ip_index *ix)
{
	for (unsigned k = 0; k < ix->nlens; k++)
		v_free(ix->by_len[k].v);
	ix->nlens = 0;
}

static uint64_t ix_memory(const struct ip_index *ix)
{
	uint64_t m = 0;
	for (unsigned k = 0; k < ix->nlens; k++)
		m += ix->by_len[k].cnt * sizeof(struct ip_entry);
	return m;
}

static void cand_mark(void *ctx, uint32_t rule);

/* Marks every rule indexed under a network that contains addr (of IP
 * version ver). */
static void ix_lookup(const struct ip_index *ix, int ver, const uint8_t *addr, void *ctx)
{
	for (unsigned k = 0; k < ix->nlens; k++) {
		if (ix->by_len[k].ver != ver)
			continue;
		uint64_t hi, lo;
		ip_key(ver, addr, ix->by_len[k].plen, &hi, &lo);
		const struct ip_entry *v = ix->by_len[k].v;
		uint32_t a = 0, b = ix->by_len[k].cnt;
		while (a < b) {
			uint32_t mid = a + (b - a) / 2;
			if (v[mid].hi < hi || (v[mid].hi == hi && v[mid].lo < lo))
				a = mid + 1;
			else
				b = mid;
		}
		for (; a < ix->by_len[k].cnt && v[a].hi == hi && v[a].lo == lo; a++)
			cand_mark(ctx, v[a].rule);
	}
}

/* ---- signature groups ----
 *
 * Rules are grouped by protocol and, within it, by packet class: the
 * flow direction (to server, to client, no flow) and whether the source
 * and the destination are in $HOME_NET (12 classes).  A rule lands in
 * every class it could match (rule_classes: its flow keyword, its address
 * sets read against $HOME_NET, both orientations of a <> rule), so a
 * packet only ever considers the rules of its class: a to_server rule
 * from $HOME_NET to $EXTERNAL_NET is not a candidate on a reply, nor on
 * traffic between two home hosts.  Each class has its own prefilter
 * databases; classes with the same patterns and rules share one.
 * Without a usable $HOME_NET (any, negations) there is one class. */

static uint16_t rule_classes(const struct detect_engine *de, const struct rule *r)
{
	return de->use_cls ? rule_packet_classes(r, &de->home) : 1;
}

uint16_t rule_packet_classes(const struct rule *r, const struct addr_set *home)
{
	unsigned dmask = 7;
	uint16_t ff = r->flow_flags;
	if (ff & RF_TOSERVER)
		dmask &= 1;
	if (ff & RF_TOCLIENT)
		dmask &= 2;
	if (ff & (RF_TOSERVER | RF_TOCLIENT | RF_ESTABLISHED | RF_NOT_ESTABLISHED))
		dmask &= 3; /* these need a flow */
	bool can[2][2];
	for (int in = 0; in < 2; in++) {
		can[0][in] = addr_set_can(&r->src, home, in);
		can[1][in] = addr_set_can(&r->dst, home, in);
	}
	uint16_t m = 0;
	for (unsigned d = 0; d < 3; d++) {
		if (!(dmask & 1u << d))
			continue;
		for (int si = 0; si < 2; si++)
			for (int di = 0; di < 2; di++)
				if ((can[0][si] && can[1][di]) || (r->bidir && can[1][si] && can[0][di]))
					m |= (uint16_t)(1u << (d * 4 + si * 2 + di));
	}
	return m;
}

static unsigned pkt_class(const struct detect_engine *de, const struct packet *p)
{
	if (!de->use_cls)
		return 0;
	struct flow *f = p->flow;
	if (!f)
		return 8 + (addr_match(&de->home, p->ip_ver, p->src) ? 2 : 0) +
		       (addr_match(&de->home, p->ip_ver, p->dst) ? 1 : 0);
	/* the flow's endpoints are matched once per engine; not on a packet
	 * of another protocol (an ICMP error quoting the flow has other
	 * addresses) */
	bool hs, hd;
	if (p->proto == f->key.proto && (f->det_home & 1) && f->det_home_de == (uint32_t)de->id) {
		bool cli = f->det_home & 2, srv = f->det_home & 4;
		hs = p->dir ? srv : cli;
		hd = p->dir ? cli : srv;
	} else {
		hs = addr_match(&de->home, p->ip_ver, p->src);
		hd = addr_match(&de->home, p->ip_ver, p->dst);
		if (p->proto == f->key.proto) {
			bool cli = p->dir ? hd : hs, srv = p->dir ? hs : hd;
			f->det_home = (uint8_t)(1 | (cli ? 2 : 0) | (srv ? 4 : 0));
			f->det_home_de = (uint32_t)de->id;
		}
	}
	return (p->dir ? 4u : 0u) + (hs ? 2 : 0) + (hd ? 1 : 0);
}

/* The prefilter databases a load needs, gathered first (identical inputs
 * once, however many groups use them) and then compiled on every CPU:
 * compiling is most of a cold load. */
struct mpm_req {
	struct mpm_pattern *pats;  /* a copy: the group's arrays are reused */
	uint32_t n;
	uint32_t fam;              /* the buffer scanned (payload: packet or stream) */
	struct mpm *m;
};
struct mpm_use {
	uint32_t req;
	struct mpm **slot;
};
struct mpm_memo {
	struct mpm_req *v;
	uint32_t cnt, cap;
	struct mpm_use *use;
	uint32_t nuse, capuse;
	uint32_t shared;
};

static bool pats_equal(const struct mpm_pattern *a, const struct mpm_pattern *b, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		if (a[i].pat != b[i].pat || a[i].len != b[i].len || a[i].nocase != b[i].nocase ||
		    a[i].rule != b[i].rule)
			return false;
	return true;
}

/* Doubles *v (elements of elem bytes, *cap of them; first when empty)
 * once it is full at cnt.  false on allocation failure, *v unchanged. */
static bool grow_full(void **v, uint32_t cnt, uint32_t *cap, size_t elem, uint32_t first)
{
	if (cnt < *cap)
		return true;
	uint32_t nc = *cap ? *cap * 2 : first;
	void *nv = v_realloc(*v, nc * elem);
	if (!nv)
		return false;
	*v = nv;
	*cap = nc;
	return true;
}

/* Records that *slot wants a matcher for p/n.  false on allocation failure. */
static bool memo_request(struct mpm_memo *mm, uint32_t fam, const struct mpm_pattern *p,
			 uint32_t n, struct mpm **slot)
{
	uint32_t r = mm->cnt;
	for (uint32_t i = 0; i < mm->cnt; i++)
		if (mm->v[i].n == n && mm->v[i].fam == fam && pats_equal(mm->v[i].pats, p, n)) {
			r = i;
			mm->shared++;
			break;
		}
	if (r == mm->cnt) {
		if (!grow_full((void **)&mm->v, mm->cnt, &mm->cap, sizeof(*mm->v), 32))
			return false;
		struct mpm_pattern *copy = v_malloc((n ? n : 1) * sizeof(*copy));
		if (!copy)
			return false;
		memcpy(copy, p, n * sizeof(*copy));
		mm->v[mm->cnt++] = (struct mpm_req){ copy, n, fam, NULL };
	}
	if (!grow_full((void **)&mm->use, mm->nuse, &mm->capuse, sizeof(*mm->use), 64))
		return false;
	mm->use[mm->nuse++] = (struct mpm_use){ r, slot };
	return true;
}

/* One database to compile and the requests it serves.  The groups of a
 * protocol differ by packet class, and many share most of their
 * patterns (ET Open: the four TCP classes that carry DNS queries ask for
 * the same 3,900 dns.query patterns, give or take two): requests of
 * the same buffer are served by one database of their union
 * (mpm_build_union) when it has at most MERGE_PCT % more patterns than
 * each of them has, so that no scan looks for many more patterns than
 * before, and each still reports only its own rules. */
#define MERGE_PCT 25
struct compile_unit {
	uint32_t *req;          /* indexes into mm->v */
	uint32_t nreq;
	uint32_t *rules;        /* the union of their rules, ascending */
	uint32_t nrules;
	uint32_t minn;          /* the smallest request's patterns */
	uint32_t fam;
};
struct compile_job {
	struct mpm_memo *mm;
	struct compile_unit *u;
	uint32_t nu;            /* largest first, for an even split */
	atomic_uint next;
	atomic_bool failed;
};
struct compile_worker {
	pthread_t tid;
	struct compile_job *job;
	struct mpm_cache cache; /* this thread's counters */
	char err[256];
};

static void *compile_main(void *arg)
{
	struct compile_worker *w = arg;
	struct compile_job *j = w->job;
	for (;;) {
		unsigned k = atomic_fetch_add(&j->next, 1);
		if (k >= j->nu || atomic_load(&j->failed))
			break;
		const struct compile_unit *cu = &j->u[k];
		if (cu->nreq == 1) {
			struct mpm_req *r = &j->mm->v[cu->req[0]];
			if (!(r->m = mpm_build(r->pats, r->n, &w->cache, w->err, sizeof(w->err))))
				atomic_store(&j->failed, true);
			continue;
		}
		const struct mpm_pattern **p = v_malloc(cu->nreq * sizeof(*p));
		uint32_t *n = v_malloc(cu->nreq * sizeof(*n));
		struct mpm **out = v_malloc(cu->nreq * sizeof(*out));
		bool ok = p && n && out;
		for (uint32_t i = 0; ok && i < cu->nreq; i++) {
			p[i] = j->mm->v[cu->req[i]].pats;
			n[i] = j->mm->v[cu->req[i]].n;
		}
		ok = ok && mpm_build_union(p, n, cu->nreq, out, &w->cache, w->err,
					   sizeof(w->err)) == 0;
		for (uint32_t i = 0; ok && i < cu->nreq; i++)
			j->mm->v[cu->req[i]].m = out[i];
		if (!ok)
			atomic_store(&j->failed, true);
		v_free(p);
		v_free(n);
		v_free(out);
	}
	return NULL;
}

static struct mpm_memo *sort_mm;
static int req_size_cmp(const void *a, const void *b)
{
	uint32_t x = sort_mm->v[*(const uint32_t *)a].n, y = sort_mm->v[*(const uint32_t *)b].n;
	return x != y ? (x < y ? 1 : -1) : (*(const uint32_t *)a > *(const uint32_t *)b) -
						 (*(const uint32_t *)a < *(const uint32_t *)b);
}

static int u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return (x > y) - (x < y);
}

static int unit_size_cmp(const void *a, const void *b)
{
	const struct compile_unit *x = a, *y = b;
	if (x->nrules != y->nrules)
		return x->nrules < y->nrules ? 1 : -1;
	return u32_cmp(&x->req[0], &y->req[0]);
}

/* |a ∪ b| of two ascending lists; out (room for both) gets it if given. */
static uint32_t union_of(const uint32_t *a, uint32_t na, const uint32_t *b, uint32_t nb,
			 uint32_t *out)
{
	uint32_t i = 0, k = 0, n = 0;
	while (i < na || k < nb) {
		uint32_t v;
		if (k >= nb || (i < na && a[i] < b[k]))
			v = a[i++];
		else if (i >= na || b[k] < a[i])
			v = b[k++];
		else {
			v = a[i++];
			k++;
		}
		if (out)
			out[n] = v;
		n++;
	}
	return n;
}

static void units_free(struct compile_unit *u, uint32_t nu)
{
	for (uint32_t i = 0; u && i < nu; i++) {
		v_free(u[i].req);
		v_free(u[i].rules);
	}
	v_free(u);
}

/* Groups the requests into compile units (see MERGE_PCT), largest
 * request first; returns the units, largest union first, or NULL. */
static struct compile_unit *memo_units(struct mpm_memo *mm, uint32_t *nu)
{
	uint32_t *order = v_malloc((mm->cnt ? mm->cnt : 1) * sizeof(*order));
	struct compile_unit *u = v_calloc(mm->cnt ? mm->cnt : 1, sizeof(*u));
	uint32_t *rl = NULL;
	*nu = 0;
	if (!order || !u)
		goto oom;
	for (uint32_t i = 0; i < mm->cnt; i++)
		order[i] = i;
	sort_mm = mm; /* loads are serialised by their caller */
	qsort(order, mm->cnt, sizeof(*order), req_size_cmp);
	for (uint32_t o = 0; o < mm->cnt; o++) {
		const struct mpm_req *r = &mm->v[order[o]];
		rl = v_malloc((r->n ? r->n : 1) * sizeof(*rl));
		if (!rl)
			goto oom;
		for (uint32_t i = 0; i < r->n; i++)
			rl[i] = r->pats[i].rule;
		qsort(rl, r->n, sizeof(*rl), u32_cmp);
		struct compile_unit *to = NULL;
		for (uint32_t k = 0; r->n && k < *nu && !to; k++) {
			struct compile_unit *c = &u[k];
			uint64_t lim = (uint64_t)MIN(c->minn, r->n) * (100 + MERGE_PCT);
			if (c->fam == r->fam && c->nrules &&
			    (uint64_t)union_of(c->rules, c->nrules, rl, r->n, NULL) * 100 <= lim)
				to = c;
		}
		if (to) {
			uint32_t *m = v_malloc(((size_t)to->nrules + r->n) * sizeof(*m));
			uint32_t *req = v_realloc(to->req, (to->nreq + 1) * sizeof(*req));
			if (req)
				to->req = req;
			if (!m || !req) {
				v_free(m);
				goto oom;
			}
			to->nrules = union_of(to->rules, to->nrules, rl, r->n, m);
			v_free(to->rules);
			to->rules = m;
			to->req[to->nreq++] = order[o];
			to->minn = MIN(to->minn, r->n);
			v_free(rl);
		} else {
			struct compile_unit *c = &u[(*nu)++];
			if (!(c->req = v_malloc(sizeof(*c->req))))
				goto oom;
			c->req[0] = order[o];
			c->nreq = 1;
			c->rules = rl;
			c->nrules = c->minn = r->n;
			c->fam = r->fam;
		}
		rl = NULL;
	}
	v_free(order);
	/* longest first: the two compile threads end together */
	qsort(u, *nu, sizeof(*u), unit_size_cmp);
	return u;
oom:
	v_free(rl);
	v_free(order);
	units_free(u, *nu);
	return NULL;
}

/* Compiles every request on up to one thread per CPU, then hands each
 * group its matcher.  0 or a V_ code with err set. */
static int memo_compile(struct detect_engine *de, struct mpm_memo *mm, struct mpm_cache *cache,
			unsigned threads, char *err, size_t errlen)
{
	struct compile_job j = { .mm = mm };
	atomic_init(&j.next, 0);
	atomic_init(&j.failed, false);
	j.u = memo_units(mm, &j.nu);
	long ncpu = threads ? (long)threads : sysconf(_SC_NPROCESSORS_ONLN);
	unsigned nw = (unsigned)MIN(MAX(ncpu, 1), 8);
	nw = MIN(nw, MAX(j.nu, 1u));
	struct compile_worker *w = v_calloc(nw, sizeof(*w));
	if (!j.u || !w) {
		units_free(j.u, j.nu);
		v_free(w);
		snprintf(err, errlen, "out of memory");
		return V_ENOMEM;
	}
	unsigned started = 0;
	for (unsigned i = 0; i < nw; i++) {
		w[i].job = &j;
		w[i].cache.dir = cache->dir;
		w[i].cache.defer = cache->defer;
		w[i].cache.threads = cache->threads;
		w[i].cache.nice = cache->nice;
		snprintf(w[i].err, sizeof(w[i].err), "out of memory");
		/* the first runs here; the others on threads when they start */
		if (i > 0 && pthread_create(&w[i].tid, NULL, compile_main, &w[i]) == 0)
			started |= 1u << i;
	}
	compile_main(&w[0]);
	for (unsigned i = 1; i < nw; i++)
		if (started & 1u << i)
			pthread_join(w[i].tid, NULL);
	int rc = 0;
	for (unsigned i = 0; i < nw; i++) {
		cache->compiled += w[i].cache.compiled;
		cache->hits += w[i].cache.hits;
		cache->shared += w[i].cache.shared;
		cache->stored += w[i].cache.stored;
		cache->failed += w[i].cache.failed;
		cache->deferred += w[i].cache.deferred;
	}
	for (uint32_t i = 0; i < mm->cnt && !rc; i++)
		if (!mm->v[i].m) {
			for (unsigned k = 0; k < nw; k++)
				if (strcmp(w[k].err, "out of memory"))
					snprintf(err, errlen, "%s", w[k].err);
			rc = V_ENOMEM;
		}
	if (!rc) {
		for (uint32_t i = 0; i < mm->cnt; i++) {
			de->mem += mpm_memory(mm->v[i].m);
			de->mpm_mem += mpm_memory(mm->v[i].m);
		}
		for (uint32_t u = 0; u < mm->nuse; u++)
			*mm->use[u].slot = mpm_ref(mm->v[mm->use[u].req].m);
	}
	units_free(j.u, j.nu);
	v_free(w);
	return rc;
}

/* The transports vigil's parsers run the protocol on: an HTTP rule is no
 * candidate for a UDP packet (ET Open: about 10,000 rules out of the UDP
 * groups and their prefilters). */
/* ---- interned address and port sets ----
 *
 * ET Open's 25,000 rules write a few hundred distinct address and port
 * sets ($HOME_NET, $EXTERNAL_NET, $HTTP_PORTS, ...).  Equal sets are
 * merged into one copy owned by the engine, with an id; detect_packet
 * evaluates each id at most once per packet and side (dt->amemo/pmemo),
 * so a rule's address and port check is a lookup after the first rule
 * with that set. */

static bool aset_eq(const struct addr_set *a, const struct addr_set *b)
{
	if (a->any != b->any || a->cnt != b->cnt)
		return false;
	for (uint32_t i = 0; i < a->cnt; i++) {
		const struct addr_item *x = &a->v[i], *y = &b->v[i];
		if (x->ver != y->ver || x->plen != y->plen || x->neg != y->neg ||
		    memcmp(x->a, y->a, sizeof(x->a)))
			return false;
	}
	return true;
}

static bool pset_eq(const struct port_set *a, const struct port_set *b)
{
	if (a->any != b->any || a->cnt != b->cnt)
		return false;
	for (uint32_t i = 0; i < a->cnt; i++)
		if (a->v[i].lo != b->v[i].lo || a->v[i].hi != b->v[i].hi || a->v[i].neg != b->v[i].neg)
			return false;
	return true;
}

static uint64_t aset_hash(const struct addr_set *s)
{
	uint64_t h = hash_bytes(&s->cnt, sizeof(s->cnt), s->any);
	for (uint32_t i = 0; i < s->cnt; i++) {
		const struct addr_item *x = &s->v[i];
		uint8_t k[19] = { x->ver, x->plen, x->neg };
		memcpy(k + 3, x->a, 16);
		h = hash_bytes(k, sizeof(k), h);
	}
	return h;
}

static uint64_t pset_hash(const struct port_set *s)
{
	uint64_t h = hash_bytes(&s->cnt, sizeof(s->cnt), s->any);
	for (uint32_t i = 0; i < s->cnt; i++) {
		uint16_t k[3] = { s->v[i].lo, s->v[i].hi, s->v[i].neg };
		h = hash_bytes(k, sizeof(k), h);
	}
	return h;
}

/* Moves every rule's four sets into the engine's tables, sharing equal
 * ones; sets rule->aid/pid. */
static int intern_sets(struct detect_engine *de)
{
	uint32_t cap = 16;
	while (cap < 4 * (uint64_t)de->nrules + 16)
		cap *= 2;
	uint32_t *slot = v_malloc(cap * sizeof(uint32_t) * 2); /* addr | port, id + 1 */
	de->asets = v_malloc((2 * (size_t)de->nrules + 1) * sizeof(*de->asets));
	de->psets = v_malloc((2 * (size_t)de->nrules + 1) * sizeof(*de->psets));
	if (!slot || !de->asets || !de->psets) {
		v_free(slot);
		return -1;
	}
	memset(slot, 0, cap * sizeof(uint32_t) * 2);
	uint32_t *aslot = slot, *pslot = slot + cap;
	for (uint32_t i = 0; i < de->nrules; i++) {
		struct rule *r = de->rules[i];
		struct addr_set *as[2] = { &r->src, &r->dst };
		struct port_set *ps[2] = { &r->sp, &r->dp };
		for (int k = 0; k < 2; k++) {
			uint32_t h = (uint32_t)aset_hash(as[k]) & (cap - 1);
			while (aslot[h] && !aset_eq(&de->asets[aslot[h] - 1], as[k]))
				h = (h + 1) & (cap - 1);
			if (aslot[h]) {
				addr_set_free(as[k]);
			} else {
				if (addr_set_prepare(as[k]) < 0) {
					v_free(slot);
					return -1;
				}
				de->asets[de->nasets] = *as[k];
				aslot[h] = ++de->nasets;
			}
			*as[k] = de->asets[aslot[h] - 1];
			r->aid[k] = aslot[h] - 1;
			h = (uint32_t)pset_hash(ps[k]) & (cap - 1);
			while (pslot[h] && !pset_eq(&de->psets[pslot[h] - 1], ps[k]))
				h = (h + 1) & (cap - 1);
			if (pslot[h]) {
				port_set_free(ps[k]);
			} else {
				de->psets[de->npsets] = *ps[k];
				pslot[h] = ++de->npsets;
			}
			*ps[k] = de->psets[pslot[h] - 1];
			r->pid[k] = pslot[h] - 1;
		}
		r->sets_shared = true;
	}
	v_free(slot);
	de->mem += de->nasets * sizeof(struct addr_set) + de->npsets * sizeof(struct port_set);
	for (uint32_t i = 0; i < de->nasets; i++)
		de->mem += de->asets[i].cnt * sizeof(struct addr_item) +
			   de->asets[i].nr4 * sizeof(struct addr_range4);
	for (uint32_t i = 0; i < de->npsets; i++)
		de->mem += de->psets[i].cnt * sizeof(struct port_item);
	return 0;
}

static bool alproto_runs_on(uint8_t alp, int g)
{
	switch (alp) {
	case ALP_HTTP:
	case ALP_HTTP1:
	case ALP_HTTP2:
	case ALP_DOH2:
	case ALP_TLS:
	case ALP_SSH:
	case ALP_SMB:
	case ALP_DCERPC:
	case ALP_WEBSOCKET:
		return g == G_TCP;
	case ALP_QUIC:
		return g == G_UDP;
	default:
		return g == G_TCP || g == G_UDP;
	}
}

static int build_groups(struct detect_engine *de, struct mpm_cache *cache, struct verr *e)
{
	int rc = 0;
	uint32_t cap = de->nrules ? de->nrules : 1;
	uint16_t *cls = v_malloc(cap * sizeof(*cls));
	struct mpm_pattern *pats = v_malloc(cap * sizeof(*pats));
	struct mpm_pattern *ppats = v_malloc(cap * sizeof(*ppats));
	struct mpm_pattern *bpats[BUF_MAX] = { 0 };
	struct mpm_memo mm = { 0 };
	bool ok = cls && pats && ppats;
	/* a sticky buffer's patterns: room for the rules whose fast pattern
	 * is in it (most of the 256 buffers have none) */
	uint32_t *bcap = ok ? v_calloc(BUF_MAX, sizeof(*bcap)) : NULL;
	ok = bcap != NULL;
	for (uint32_t i = 0; ok && i < de->nrules; i++)
		if (de->rules[i]->fp_buf > BUF_PAYLOAD && de->rules[i]->fp_buf < BUF_MAX)
			bcap[de->rules[i]->fp_buf]++;
	for (int b = 1; b < BUF_MAX && ok; b++)
		ok = !bcap[b] || (bpats[b] = v_malloc(bcap[b] * sizeof(struct mpm_pattern))) != NULL;
	v_free(bcap);
	if (!ok) {
		rc = verr_set(e, V_ENOMEM, "out of memory");
		goto out;
	}
	for (uint32_t i = 0; i < de->nrules; i++)
		cls[i] = rule_classes(de, de->rules[i]);
	unsigned ncls = de->use_cls ? NCLS : 1;
	for (int g = 0; g < G_MAX; g++) {
		de->all[g] = v_malloc(cap * sizeof(uint32_t));
		if (!de->all[g]) {
			rc = verr_set(e, V_ENOMEM, "out of memory");
			goto out;
		}
		for (uint32_t i = 0; i < de->nrules; i++) {
			const struct rule *r = de->rules[i];
			/* app-layer rules only where their protocol can run */
			if ((r->proto && group_of(r->proto) != g) || (r->alproto && !alproto_runs_on(r->alproto, g)))
				continue;
			de->all[g][de->nall[g]++] = i;
		}
		for (unsigned c = 0; c < ncls; c++) {
			struct group *gr = &de->groups[g][c];
			uint32_t np = 0, pnp = 0, bnp[BUF_MAX] = { 0 };
			gr->rules = v_malloc(cap * sizeof(uint32_t));
			gr->nonmpm = v_malloc(cap * sizeof(uint32_t));
			if (!gr->rules || !gr->nonmpm) {
				rc = verr_set(e, V_ENOMEM, "out of memory");
				goto out;
			}
			for (uint32_t k = 0; k < de->nall[g]; k++) {
				uint32_t i = de->all[g][k];
				const struct rule *r = de->rules[i];
				if (!(cls[i] & 1u << c))
					continue;
				gr->rules[gr->nrules++] = i;
				if (r->fp_buf > BUF_PAYLOAD) {
					const struct sm_content *ct = &rule_list(r, r->fp_buf)->v[r->fp_idx].u.c;
					uint32_t off = ct->fp_len ? ct->fp_off : 0;
					uint32_t len = ct->fp_len ? ct->fp_len : ct->len;
					/* the prefilter scans the buffer without the dot
					 * dotprefix adds: drop a leading dot (a necessary
					 * condition is all a prefilter needs) */
					if (RULE_DOT(r, r->fp_buf) && off == 0 && len > 1 && ct->pat[0] == '.') {
						off = 1;
						len--;
					}
					bpats[r->fp_buf][bnp[r->fp_buf]++] =
						(struct mpm_pattern){ ct->pat + off, len, ct->nocase, i };
				} else if (r->fp_buf == BUF_PAYLOAD) {
					const struct sm_content *ct = &rule_list(r, BUF_PAYLOAD)->v[r->fp_idx].u.c;
					uint32_t off = ct->fp_len ? ct->fp_off : 0;
					uint32_t len = ct->fp_len ? ct->fp_len : ct->len;
					pats[np++] = (struct mpm_pattern){ ct->pat + off, len, ct->nocase, i };
					if ((r->flow_flags & RF_NO_STREAM) || (r->hdr_mask & (1u << HC_DSIZE)))
						ppats[pnp++] = pats[np - 1];
				} else if (!ip_index_rule(gr, r, i)) {
					gr->nonmpm[gr->nnonmpm++] = i;
				}
			}
			for (int k = 0; k < IX_MAX; k++) {
				ix_finish(&gr->ix[k]);
				de->mem += ix_memory(&gr->ix[k]);
			}
			/* keep only what was used of the per-rule arrays */
			uint32_t *v = v_realloc(gr->rules, (gr->nrules ? gr->nrules : 1) * sizeof(uint32_t));
			if (v)
				gr->rules = v;
			v = v_realloc(gr->nonmpm, (gr->nnonmpm ? gr->nnonmpm : 1) * sizeof(uint32_t));
			if (v)
				gr->nonmpm = v;
			bool bok = memo_request(&mm, BUF_PAYLOAD, pats, np, &gr->mpm);
			gr->reasm_scan = !pnp ? RS_NONE : pnp < np ? RS_PKT : RS_ALL;
			if (bok && gr->reasm_scan == RS_PKT)
				bok = memo_request(&mm, BUF_PAYLOAD, ppats, pnp, &gr->pmpm);
			for (int b = 1; b < BUF_MAX && bok; b++)
				if (bnp[b])
					bok = memo_request(&mm, (uint32_t)b, bpats[b], bnp[b],
							   &gr->bmpm[b]);
			if (!bok) {
				rc = verr_set(e, V_ENOMEM, "out of memory");
				goto out;
			}
			de->mem += (uint64_t)(gr->nrules + gr->nnonmpm) * 4;
		}
		uint32_t *v = v_realloc(de->all[g], (de->nall[g] ? de->nall[g] : 1) * sizeof(uint32_t));
		if (v)
			de->all[g] = v;
		de->mem += (uint64_t)de->nall[g] * 4;
	}
	char err[256] = "";
	if (memo_compile(de, &mm, cache, de->compile_threads, err, sizeof(err)) < 0) {
		rc = verr_set(e, V_ENOMEM, "prefilter: %s", err);
		goto out;
	}
	de->mpm_unique = mm.cnt;
	de->mpm_shared = mm.shared;
out:
	for (uint32_t i = 0; i < mm.cnt; i++) {
		v_free(mm.v[i].pats);
		mpm_free(mm.v[i].m); /* the groups hold their own references */
	}
	v_free(mm.v);
	v_free(mm.use);
	for (int b = 1; b < BUF_MAX; b++)
		v_free(bpats[b]);
	v_free(pats);
	v_free(ppats);
	v_free(cls);
	return rc;
}

static uint64_t rule_memory(const struct rule *r)
{
	uint64_t m = sizeof(*r) + (r->msg ? strlen(r->msg) : 0) + r->nmeta * sizeof(*r->meta) +
		     (r->text ? strlen(r->text) : 0);
	if (r->meta_owned)
		for (unsigned i = 0; i < r->nmeta; i++)
			m += strlen(r->meta[i]) + 1;
	if (!r->sets_shared) /* else counted once, in the engine's set tables */
		m += (r->src.cnt + r->dst.cnt) * sizeof(struct addr_item) +
		     (r->sp.cnt + r->dp.cnt) * sizeof(struct port_item);
	m += r->nlists * sizeof(struct sm_list) + r->nxl * sizeof(struct xlist);
	if (r->hdr)
		m += HC_MAX * sizeof(*r->hdr);
	if (r->fc)
		m += sizeof(*r->fc);
	m += r->ipr_cnt * sizeof(*r->ipr);
	if (r->ac)
		m += RULE_MAX_APP_COND * sizeof(*r->ac);
	for (int b = 0; b < r->nlists; b++) {
		m += r->lists[b].cnt * sizeof(struct sm);
		for (uint32_t i = 0; i < r->lists[b].cnt; i++) {
			const struct sm *s = &r->lists[b].v[i];
			if (s->type == SM_CONTENT)
				m += 2u * s->u.c.len;
			else if (s->type == SM_PCRE) {
				size_t sz = 0;
				pcre2_pattern_info(s->u.pcre.re, PCRE2_INFO_SIZE, &sz);
				m += sz; /* its JIT code comes on first use (payload.c) */
			}
		}
	}
	return m;
}

struct detect_engine *detect_engine_load(const struct config *cfg, const struct strlist *files,
					 bool quiet, struct detect_load_stats *st, struct verr *e)
{
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	memset(st, 0, sizeof(*st));
	struct detect_engine *de = v_calloc(1, sizeof(*de));
	if (!de) {
		verr_set(e, V_ENOMEM, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&de->th_lock, NULL);
	de->window = (uint32_t)MIN(cfg->detect_stream_window, 1u << 20);
	static _Atomic uint64_t engines;
	de->id = ++engines;
	de->stream_depth = cfg->detect_stream_depth;
	de->no_prefilter = !cfg->detect_prefilter;
	de->guess_tx = cfg->detect_guess_tx;
	de->guess_limit = (uint32_t)MIN(cfg->detect_stream_tx_log_limit, DETECT_MAX_ALERTS);
	de->keep_text = cfg->eve_alert_rule;
	de->compile_threads = (unsigned)MIN(cfg->detect_compile_threads, 8);
	/* action order */
	for (int a = 0; a < ACT_MAX; a++)
		de->action_rank[a] = (uint8_t)(ACT_MAX + a);
	for (size_t i = 0; i < cfg->action_order.cnt; i++) {
		const char *a = cfg->action_order.v[i];
		for (int k = 0; k < ACT_MAX; k++)
			if (!strcmp(a, action_names[k]))
				de->action_rank[k] = (uint8_t)i;
	}
	/* classification: the configured file, else the rule path's, else built in */
	char path[4096];
	const char *cf = cfg->classification_file;
	if (!cf || !*cf) {
		snprintf(path, sizeof(path), "%s/classification.config", cfg->rule_path);
		FILE *t = fopen(path, "r");
		cf = t ? path : NULL;
		if (t)
			fclose(t);
	}
	for (size_t i = 0; i < ARRAY_SIZE(builtin_classes); i++)
		if (class_add(de, builtin_classes[i]) < 0)
			goto oom;
	if (cf && load_classification(de, cf, quiet, e) < 0)
		goto fail;

	/* IP reputation: built with the rules (the iprep keyword names its
	 * categories), so a reload rebuilds it and a failure keeps the
	 * running engine and its set */
	de->iprep = iprep_from_config(cfg, quiet, e);
	if (!de->iprep && e->msg[0])
		goto fail;
	de->mem += iprep_memory(de->iprep);
	struct parse_ctx pc = { .classes = de->classes, .nclasses = de->nclasses, .pool = &de->strs,
				  .iprep = de->iprep };
	pc.vars.addr = &cfg->address_vars;
	pc.vars.port = &cfg->port_vars;
	const struct strlist *fl = files ? files : &cfg->rule_files;
	uint32_t readable = 0;
	for (size_t i = 0; i < fl->cnt; i++) {
		const char *fn = fl->v[i];
		if (fn[0] != '/' && !files)
			snprintf(path, sizeof(path), "%s/%s", cfg->rule_path, fn);
		else
			str_lcpy(path, fn, sizeof(path));
		if (load_file(de, path, &pc, quiet, cfg->init_failure_fatal, st) == 0)
			readable++;
		if (cfg->init_failure_fatal && st->invalid)
			break;
	}
	if (fl->cnt && !readable) {
		verr_set(e, V_EIO, "no rule file could be read");
		goto fail;
	}
	drop_duplicates(de, quiet, st);
	for (uint32_t i = 0; i < de->nrules; i++)
		de->rules[i]->idx = i;
	sort_de = de;
	if (de->nrules)
		qsort(de->rules, de->nrules, sizeof(*de->rules), rule_order);
	if (intern_sets(de) < 0)
		goto oom;
	for (uint32_t i = 0; i < de->nrules; i++) {
		struct rule *r = de->rules[i];
		r->idx = i;
		de->mem += rule_memory(r);
		/* Rules on SSH's banner and KEXINIT (one transaction per flow)
		 * and app-layer-protocol rules without a protocol in the header
		 * (Suricata's "pd_only"): Suricata matches them once per flow
		 * direction.  "alert tls any any -> any any (...)" with nothing
		 * of TLS to inspect (Suricata's "app_layer" type, or "pkt" with
		 * flow:to_server and the like) is a packet rule that holds while
		 * the flow's protocol is TLS: every packet of an established
		 * session once the protocol is known (proto_pkt) */
		bool per_packet = r->nac || r->http_parts || r->nxl;
		bool lists = false;
		for (unsigned li = 0; li < r->nlists && !per_packet; li++) {
			int b = r->lists[li].buf;
			lists |= r->lists[li].cnt != 0;
			per_packet = r->lists[li].cnt && !(b >= BUF_SSH_PROTO && b <= BUF_SSH_HASSH_SERVER_STRING);
		}
		r->proto_pkt = r->alproto && !per_packet && !lists;
		r->once_dir = (r->alproto || r->nalp) && !per_packet && !r->proto_pkt;
		r->flow_scope = rule_flow_scope(r);
		r->ip_only = rule_ip_only(r);
		if (r->nxl || rule_list(r, BUF_BASE64_DATA))
			de->uses_xform = true;
		de->uses_txdir |= r->txdir;
		for (unsigned k = 0; k < r->nac; k++)
			if (r->ac[k].type == AC_APP_EVENT && !r->ac[k].neg && tx_event_id(r->ac[k].mask))
				r->tx_event = true;
		de->uses_tev |= r->tx_event;
		if (r->xb_cnt)
			xbits_reserve(); /* the table, now rather than on a packet */
	}
	/* $HOME_NET for the packet classes: positive networks only */
	char herr[256];
	de->use_cls = addr_parse("$HOME_NET", &de->home, &pc.vars, herr, sizeof(herr)) == 0 &&
		      !de->home.any && de->home.cnt;
	for (uint32_t i = 0; de->use_cls && i < de->home.cnt; i++)
		if (de->home.v[i].neg)
			de->use_cls = false;
	struct mpm_cache cache = { .dir = cfg->detect_mpm_cache_dir,
				   .threads = de->compile_threads,
				   .nice = (unsigned)MIN(cfg->detect_compile_nice, 19) };
	const char *pc_mode = cfg->detect_prefilter_compile ? cfg->detect_prefilter_compile : "";
	if (!strcmp(pc_mode, "background") || !strcmp(pc_mode, "never")) {
		cache.defer = true;
		if (!strcmp(pc_mode, "never"))
			mpm_background_off();
	} else if (strcmp(pc_mode, "load") && *pc_mode) {
		verr_set(e, V_EINVAL, "detect.prefilter-compile: %s is not background, load or never",
			 pc_mode);
		goto fail;
	}
	if (cache.dir && *cache.dir && mkdir(cache.dir, 0755) < 0 && errno != EEXIST) {
		log_warn("detect.mpm-cache-dir %s: %s; compiling without the cache", cache.dir,
			 strerror(errno));
		cache.dir = NULL;
	}
	if (build_groups(de, &cache, e) < 0)
		goto fail;
	st->mpm_cached = cache.hits;
	st->mpm_shared = cache.shared;
	st->mpm_compiled = cache.compiled;
	st->mpm_deferred = cache.deferred;
	if (cache.dir && *cache.dir) {
		unsigned pruned = mpm_cache_prune(cache.dir, cfg->detect_mpm_cache_max_age);
		if (!quiet || cache.stored || pruned)
			log_info("prefilter cache %s: %u read, %u compiled and stored, %u unusable, %u old removed",
				 cache.dir, cache.hits, cache.stored, cache.failed, pruned);
	}
	de->mem += (uint64_t)de->nrules * sizeof(void *) + de->strs.bytes;
	/* threshold table: fixed size from the memcap */
	de->th_cap = (uint32_t)MIN(cfg->detect_threshold_memcap / sizeof(struct th_entry), 1u << 22);
	if (de->th_cap < 64)
		de->th_cap = 64;
	/* allocated now if a rule needs it, not on the packet path; calloc'd,
	 * so its pages cost nothing until used */
	for (uint32_t i = 0; i < de->nrules && !de->th; i++)
		if ((de->rules[i]->th.on || de->rules[i]->df.on) &&
		    !(de->th = v_calloc(de->th_cap, sizeof(*de->th))))
			goto oom;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	st->seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	/* parsing and compiling freed far more than the engine keeps (ET
	 * Open: ~140 MB of Hyperscan compiler memory per thread); glibc holds
	 * freed memory for reuse, so give it back, or the running engine
	 * would carry it until the next reload */
	malloc_trim(0);
	return de;
oom:
	verr_set(e, V_ENOMEM, "out of memory");
fail:
	detect_engine_free(de);
	return NULL;
}

void detect_engine_free(struct detect_engine *de)
{
	if (!de)
		return;
	iprep_free(de->iprep);
	for (uint32_t i = 0; i < de->nrules; i++)
		rule_free(de->rules[i]);
	v_free(de->rules);
	for (int g = 0; g < G_MAX; g++) {
		for (unsigned c = 0; c < NCLS; c++) {
			struct group *gr = &de->groups[g][c];
			v_free(gr->rules);
			v_free(gr->nonmpm);
			mpm_free(gr->mpm);
			mpm_free(gr->pmpm);
			for (int b = 1; b < BUF_MAX; b++)
				mpm_free(gr->bmpm[b]);
			for (int k = 0; k < IX_MAX; k++)
				ix_free(&gr->ix[k]);
		}
		v_free(de->all[g]);
	}
	addr_set_free(&de->home);
	for (uint32_t i = 0; i < de->nasets; i++)
		addr_set_free(&de->asets[i]);
	v_free(de->asets);
	for (uint32_t i = 0; i < de->npsets; i++)
		port_set_free(&de->psets[i]);
	v_free(de->psets);
	for (size_t i = 0; i < de->nclasses; i++) {
		v_free(de->classes[i].name);
		v_free(de->classes[i].desc);
	}
	v_free(de->classes);
	str_pool_free(&de->strs);
	for (size_t i = 0; i < de->nskips; i++) {
		v_free(de->skips[i].key);
		v_free(de->skips[i].example);
	}
	v_free(de->skips);
	v_free(de->th);
	pthread_mutex_destroy(&de->th_lock);
	v_free(de);
}

uint32_t detect_engine_rule_count(const struct detect_engine *de) { return de ? de->nrules : 0; }
uint64_t detect_engine_memory(const struct detect_engine *de) { return de ? de->mem : 0; }

static int skip_cmp(const void *a, const void *b)
{
	const struct skip_reason *x = a, *y = b;
	return x->count != y->count ? (x->count < y->count ? 1 : -1) : strcmp(x->key, y->key);
}

struct rule_mem {
	uint64_t bytes;
	uint32_t idx;
};

static int rule_mem_cmp(const void *a, const void *b)
{
	uint64_t x = ((const struct rule_mem *)a)->bytes, y = ((const struct rule_mem *)b)->bytes;
	return x != y ? (x < y ? 1 : -1) : 0;
}

/* The rules that hold the most memory, and the split of the engine's
 * memory between rules, prefilter databases and the rest.  Each rule's
 * size is computed once (it walks the rule's lists and asks PCRE2). */
static void report_memory(const struct detect_engine *de, FILE *f)
{
	uint64_t rules = 0, pf = de->mpm_mem, rep = iprep_memory(de->iprep);
	struct rule_mem *rm = v_malloc((de->nrules ? de->nrules : 1) * sizeof(*rm));
	for (uint32_t i = 0; i < de->nrules; i++) {
		uint64_t b = rule_memory(de->rules[i]);
		rules += b;
		if (rm)
			rm[i] = (struct rule_mem){ b, i };
	}
	uint64_t shared = de->strs.bytes;
	fprintf(f, "memory: %.1f MB in all: rules %.1f MB (%u, %.0f bytes each on average) and the "
		   "metadata they share %.1f MB (%u parts), prefilter databases %.1f MB, groups and "
		   "indexes %.1f MB",
		(double)de->mem / 1e6, (double)rules / 1e6, de->nrules,
		de->nrules ? (double)rules / de->nrules : 0.0, (double)shared / 1e6, de->strs.cnt,
		(double)pf / 1e6,
		(double)(de->mem > rules + pf + shared + rep ? de->mem - rules - pf - shared - rep : 0) / 1e6);
	if (de->iprep)
		fprintf(f, ", IP reputation %.1f MB (%llu entries)", (double)rep / 1e6,
			(unsigned long long)iprep_entries(de->iprep));
	fputc('\n', f);
	uint32_t n = MIN(de->nrules, 10u);
	if (!rm || !n) {
		v_free(rm);
		return;
	}
	qsort(rm, de->nrules, sizeof(*rm), rule_mem_cmp);
	fprintf(f, "largest rules (bytes, sid, msg):\n");
	for (uint32_t i = 0; i < n; i++) {
		const struct rule *r = de->rules[rm[i].idx];
		fprintf(f, "  %8llu  %10u  %.60s\n", (unsigned long long)rm[i].bytes, r->sid,
			r->msg ? r->msg : "");
	}
	v_free(rm);
}

void detect_engine_report(const struct detect_engine *de, FILE *f)
{
	report_memory(de, f);
	static const char *const gname[G_MAX] = { "tcp", "udp", "icmp", "icmpv6", "other" };
	fprintf(f, "signature groups: protocol x %u packet class%s (flow direction, source and "
		   "destination in $HOME_NET); %u prefilter databases, %u more groups sharing them\n",
		de->use_cls ? NCLS : 1, de->use_cls ? "es" : "", de->mpm_unique, de->mpm_shared);
	for (int g = 0; g < G_MAX; g++) {
		uint32_t lo = UINT32_MAX, hi = 0, nonmpm = 0, nix = 0;
		for (unsigned c = 0; c < (de->use_cls ? NCLS : 1u); c++) {
			const struct group *gr = &de->groups[g][c];
			lo = MIN(lo, gr->nrules);
			hi = MAX(hi, gr->nrules);
			nonmpm = MAX(nonmpm, gr->nnonmpm);
			for (int k = 0; k < IX_MAX; k++)
				nix += (uint32_t)(ix_memory(&gr->ix[k]) / sizeof(struct ip_entry));
		}
		fprintf(f, "  %-7s %6u rules; %u to %u per class; at most %u on every packet; %u address-index entries\n",
			gname[g], de->nall[g], lo, hi, nonmpm, nix);
	}
	if (!de->nskips)
		return;
	struct skip_reason *s = v_malloc(de->nskips * sizeof(*s));
	if (!s)
		return;
	memcpy(s, de->skips, de->nskips * sizeof(*s));
	qsort(s, de->nskips, sizeof(*s), skip_cmp);
	fprintf(f, "skipped rules by reason (count, reason, first example):\n");
	for (size_t i = 0; i < de->nskips; i++)
		fprintf(f, "  %6u  %-40s %s\n", s[i].count, s[i].key, s[i].example);
	v_free(s);
}

/* Suricata 8.0's keywords and their user-guide pages (rules/PAGE.rst),
 * from detect/suricata8-keywords.txt (src/CMakeLists.txt) */
static const struct { const char *kw, *page; } kw_doc[] = {
#include "kwdoc.inc"
};

static const char *kw_doc_page(const char *kw)
{
	for (size_t i = 0; i < ARRAY_SIZE(kw_doc); i++)
		if (!strcmp(kw_doc[i].kw, kw))
			return kw_doc[i].page;
	return NULL;
}

void detect_list_keywords(FILE *f)
{
	/* name, help, and Suricata's page for it (none: vigil's own, or an
	 * older name Suricata documents under another) */
	for (size_t i = 0; i < kw_count; i++) {
		const char *page = kw_doc_page(kw_table[i].name);
		fprintf(f, "%-18s %s", kw_table[i].name, kw_table[i].help);
		if (page)
			fprintf(f, " [Suricata: rules/%s]", page);
		fprintf(f, "\n");
	}
	fprintf(f, "\nbuffers (sticky):\n");
	for (int b = 0; b < BUF_MAX; b++)
		fprintf(f, "%-18s\n", buffer_names[b]);
	fprintf(f, "\nprefilter: %s\n", mpm_name());
}

/* ---- threads ---- */

static struct bufs *bufs_new(void)
{
	struct bufs *bs = v_calloc(1, sizeof(*bs));
	for (int b = 0; bs && b < BUF_MAX; b++)
		bs->b[b].set = bs;
	return bs;
}

struct detect_thread *detect_thread_new(const struct detect_engine *de)
{
	struct detect_thread *dt = v_calloc(1, sizeof(*dt));
	if (!dt)
		return NULL;
	dt->de = de;
	dt->cand_words = (de->nrules + 63) / 64 + 1;
	dt->cand = v_calloc(dt->cand_words, sizeof(uint64_t));
	dt->touched = v_calloc(dt->cand_words, sizeof(uint32_t));
	dt->md = pcre2_match_data_create(32, NULL);
	dt->mctx = pcre2_match_context_create(NULL);
	dt->amemo = v_calloc(2 * (size_t)de->nasets + 2, sizeof(uint32_t));
	dt->pmemo = v_calloc(2 * (size_t)de->npsets + 2, sizeof(uint32_t));
	if (!dt->cand || !dt->touched || !dt->md || !dt->mctx || !dt->amemo || !dt->pmemo)
		goto fail;
	if (!(dt->bi = bufs_new()) || (de->uses_txdir && !(dt->bo = bufs_new())))
		goto fail;
	/* transforms and base64_decode write into scratch made now, not on a
	 * packet (it grows only for buffers past 64 KiB) */
	if (de->uses_xform && !xform_scratch_reserve(&dt->xs, 64 * 1024))
		goto fail;
	/* bounds like Suricata's pcre match-limit defaults */
	pcre2_set_match_limit(dt->mctx, 3500);
	pcre2_set_depth_limit(dt->mctx, 1500);
	for (int g = 0; g < G_MAX; g++) {
		for (unsigned c = 0; c < NCLS; c++) {
			const struct group *gr = &de->groups[g][c];
			for (int b = -1; b < BUF_MAX; b++) {
				/* -1: the packet-only rules' database */
				const struct mpm *m = b < 0 ? gr->pmpm : b ? gr->bmpm[b] : gr->mpm;
				if (!m)
					continue;
				struct mpm_scratch *s = mpm_scratch_grow(dt->scratch, m);
				if (!s)
					goto fail;
				dt->scratch = s;
			}
		}
	}
	return dt;
fail:
	detect_thread_free(dt);
	return NULL;
}

void detect_thread_free(struct detect_thread *dt)
{
	if (!dt)
		return;
	v_free(dt->cand);
	v_free(dt->touched);
	v_free(dt->amemo);
	v_free(dt->pmemo);
	v_free(dt->bo);
	v_free(dt->bi);
	if (dt->md)
		pcre2_match_data_free(dt->md);
	if (dt->mctx)
		pcre2_match_context_free(dt->mctx);
	mpm_scratch_free(dt->scratch);
	xform_scratch_free(&dt->xs);
	v_free(dt);
}

/* ---- per-flow state ---- */

#define DF_MAX_BITS 256
#define DF_MAX_INTS 64
#define DF_MAX_ALERTED 1024

/* A direction's stream window: the bytes not yet inspected after up to
 * detect.stream-window bytes of context, and what the prefilter has seen
 * in it (win_scan): the patterns found up to stream offset rec_end, each
 * with the end of the window it was found in. */
#define WIN_REC_MAX 32
struct win {
	uint8_t *buf;
	uint32_t len, cap;
	uint64_t consumed;
	bool fresh;
	bool rec_lost;         /* a pattern found was not recorded: scan all next time */
	uint16_t nrec, caprec;
	uint64_t rec_end;
	uint64_t rec_de;       /* the engine and matcher the record is of */
	const struct mpm *rec_m;
	struct win_rec { uint32_t id; uint64_t end; } *rec;
};

#define TEV_ALERTED_MAX 8

struct dflow {
	struct win w[2];
	uint32_t *bits;
	uint16_t nbits, capbits;
	struct { uint32_t id; int64_t v; } *ints;
	uint16_t nints, capints;
	uint32_t *alerted;     /* sid << 1 | dir: stream matches and once_dir rules that alerted */
	uint16_t nalerted, capalerted;
	struct dflow_x *x;     /* tag and entropy state, made when first needed */
};

/* What few flows need: kept apart so that every flow's detect state stays
 * in its allocation class (the per-worker reserve's blocks) */
struct dflow_x {
	bool tag_on;           /* tag:session: what is left of it */
	struct tag_left tag;
	/* the HTTP transaction events (http.*, tx_event_id) the flow
	 * raised last, kept past the packet that raised them: Suricata keeps
	 * them on the transaction and inspects a transaction once per
	 * direction, so a rule on one alerts in both directions */
	bool tev_on;
	app_events_t tev;
	uint64_t tev_pkt;      /* the packet (the flow's count) that raised them */
	uint32_t tev_alerted[TEV_ALERTED_MAX]; /* sid << 1 | dir of the rules that alerted on them */
	uint8_t ntev_alerted;
	/* the smtp.* / email.* rules (sid << 1 | dir) that alerted on the
	 * packet where SMTP transaction smtp_tx's headers ended: Suricata
	 * matches a transaction's rule once, so not again at its end */
	bool smtp_on;
	uint32_t smtp_tx;
	uint32_t smtp_alerted[TEV_ALERTED_MAX];
	uint8_t nsmtp_alerted;
	bool ent_set;          /* the last entropy a rule computed on the flow */
	int16_t ent_buf;
	double ent_val;	struct kw_vars *vars;  /* pcre's flow and packet variables (kw_gap.c) */
};

static struct dflow_x *dflow_x(struct dflow *d)
{
	if (!d->x)
		d->x = v_calloc(1, sizeof(*d->x));
	return d->x;
}

bool detect_tagged(const struct packet *p)
{
	bool tagged = false;
	struct dflow *d = p->flow ? p->flow->detect : NULL;
	if (d && d->x && d->x->tag_on) {
		tagged = tag_take(&d->x->tag, p->caplen, p->ts);
		d->x->tag_on = tagged;
	}
	if (p->ip_ver && tag_host_check(p->ip_ver, p->src, p->dst, p->caplen, p->ts))
		tagged = true;
	return tagged;
}

bool detect_flow_entropy(const struct flow *f, int *buf, double *val)
{
	const struct dflow *d = f ? f->detect : NULL;
	if (!d || !d->x || !d->x->ent_set)
		return false;
	*buf = d->x->ent_buf;
	*val = d->x->ent_val;
	return true;
}

/* The packet a flow's packet variables are of: its count of packets. */
static uint64_t pkt_stamp(const struct flow *f)
{
	return f ? f->pkts[0] + f->pkts[1] : 0;
}

bool detect_var(const struct flow *f, int kind, unsigned i, const char **name, const uint8_t **val,
		uint32_t *len)
{
	const struct dflow *d = f ? f->detect : NULL;
	return d && d->x && kw_vars_get(d->x->vars, kind, pkt_stamp(f), i, name, val, len);
}

static struct dflow *dflow_get(struct flow *f)
{
	if (!f->detect)
		f->detect = v_calloc(1, sizeof(struct dflow));
	return f->detect;
}

/* Keeps the transaction events of this packet's parsing on the flow
 * (dflow_x tev): a packet that raises some replaces the set kept (a new
 * raising: each direction may alert on it once more); another pass of
 * the same packet adds to it. */
static void tev_keep(struct flow *f, const struct app_tx *tx)
{
	app_events_t ev = { { 0 } };
	bool any = false;
	for (unsigned i = 0; tx && app_ev_any(&tx->events) && i < APP_EV_MAX; i++)
		if (app_ev_has(&tx->events, i) && tx_event_id(i)) {
			ev.w[i / 64] |= 1ULL << (i % 64);
			any = true;
		}
	if (!any)
		return;
	struct dflow *d = dflow_get(f);
	struct dflow_x *x = d ? dflow_x(d) : NULL;
	if (!x)
		return;
	uint64_t pkt = f->pkts[0] + f->pkts[1];
	if (!x->tev_on || x->tev_pkt != pkt) {
		memset(&x->tev, 0, sizeof(x->tev));
		x->ntev_alerted = 0;
	}
	app_ev_or(&x->tev, &ev);
	x->tev_on = true;
	x->tev_pkt = pkt;
}

/* Whether tx_event rule key (sid << 1 | dir) alerted on the kept events
 * already; mark: record that it does now.  When the record is full a
 * direction alerts only on the packet that raised the events. */
static bool tev_alerted(struct dflow *d, const struct app_tx *tx, const struct rule *r, uint32_t key,
			bool mark)
{
	struct dflow_x *x = d ? d->x : NULL;
	if (!x || !x->tev_on)
		return false;
	for (unsigned i = 0; i < x->ntev_alerted; i++)
		if (x->tev_alerted[i] == key)
			return true;
	if (mark && x->ntev_alerted < TEV_ALERTED_MAX) {
		x->tev_alerted[x->ntev_alerted++] = key;
		return false;
	}
	if (mark || x->ntev_alerted < TEV_ALERTED_MAX)
		return false;
	/* full: only where the packet itself has the event */
	for (unsigned k = 0; k < r->nac; k++)
		if (r->ac[k].type == AC_APP_EVENT && !r->ac[k].neg &&
		    !(tx && app_ev_has(&tx->events, r->ac[k].mask)))
			return true;
	return false;
}

/* Does r inspect an SMTP transaction's buffers (smtp.*, email.*)? */
static bool rule_smtp(const struct rule *r)
{
	for (unsigned i = 0; i < r->nlists; i++)
		if (r->lists[i].cnt && r->lists[i].buf >= BUF_SMTP_HELO && r->lists[i].buf <= BUF_EMAIL_URL)
			return true;
	for (unsigned x = 0; x < r->nxl; x++)
		if (r->xl[x].buf >= BUF_SMTP_HELO && r->xl[x].buf <= BUF_EMAIL_URL)
			return true;
	return false;
}

/* Whether SMTP rule key alerted on transaction tx_id's header packet;
 * mark: record that it does now (a newer transaction starts afresh). */
static bool smtp_alerted(struct dflow *d, uint32_t tx_id, uint32_t key, bool mark)
{
	struct dflow_x *x = d ? (mark ? dflow_x(d) : d->x) : NULL;
	if (!x)
		return false;
	if (mark && (!x->smtp_on || x->smtp_tx != tx_id)) {
		x->smtp_on = true;
		x->smtp_tx = tx_id;
		x->nsmtp_alerted = 0;
	}
	if (!x->smtp_on || x->smtp_tx != tx_id)
		return false;
	for (unsigned i = 0; i < x->nsmtp_alerted; i++)
		if (x->smtp_alerted[i] == key)
			return true;
	if (mark && x->nsmtp_alerted < TEV_ALERTED_MAX)
		x->smtp_alerted[x->nsmtp_alerted++] = key;
	return false;
}

bool detect_flow_done(const struct detect_engine *de, const struct flow *f)
{
	if (f->flags & FLOW_F_PASS)
		return true;
	if (!de || !de->stream_depth || f->key.proto != 6 || !(f->flags & FLOW_F_REASSEMBLE))
		return false;
	const struct dflow *d = f->detect;
	if (!d)
		return false;
	bool full0 = d->w[0].consumed >= de->stream_depth, full1 = d->w[1].consumed >= de->stream_depth;
	return (full0 && full1) || (full0 && !f->payload_bytes[1]) || (full1 && !f->payload_bytes[0]);
}

void detect_flow_free(struct flow *f)
{
	struct dflow *d = f->detect;
	if (!d)
		return;
	v_free(d->w[0].buf);
	v_free(d->w[1].buf);
	v_free(d->w[0].rec);
	v_free(d->w[1].rec);
	v_free(d->bits);
	v_free(d->ints);
	v_free(d->alerted);
	if (d->x)
		kw_vars_free(d->x->vars);
	v_free(d->x);
	v_free(d);
	f->detect = NULL;
}

static bool bit_isset(const struct dflow *d, uint32_t id)
{
	if (!d)
		return false;
	for (uint16_t i = 0; i < d->nbits; i++)
		if (d->bits[i] == id)
			return true;
	return false;
}

static void bit_set(struct dflow *d, uint32_t id, int how)
{
	for (uint16_t i = 0; i < d->nbits; i++) {
		if (d->bits[i] == id) {
			if (how != FB_SET) /* unset or toggle */
				d->bits[i] = d->bits[--d->nbits];
			return;
		}
	}
	if (how == FB_UNSET || d->nbits >= DF_MAX_BITS)
		return;
	if (d->nbits == d->capbits) {
		uint16_t cap = d->capbits ? (uint16_t)(d->capbits * 2) : 4;
		uint32_t *v = v_realloc(d->bits, cap * sizeof(*v));
		if (!v)
			return;
		d->bits = v;
		d->capbits = cap;
	}
	d->bits[d->nbits++] = id;
}

static int64_t *int_find(struct dflow *d, uint32_t id, bool create)
{
	if (!d)
		return NULL;
	for (uint16_t i = 0; i < d->nints; i++)
		if (d->ints[i].id == id)
			return &d->ints[i].v;
	if (!create || d->nints >= DF_MAX_INTS)
		return NULL;
	if (d->nints == d->capints) {
		uint16_t cap = d->capints ? (uint16_t)(d->capints * 2) : 4;
		void *v = v_realloc(d->ints, cap * sizeof(*d->ints));
		if (!v)
			return NULL;
		d->ints = v;
		d->capints = cap;
	}
	d->ints[d->nints].id = id;
	d->ints[d->nints].v = 0;
	return &d->ints[d->nints++].v;
}

static bool stream_alerted(struct dflow *d, uint32_t key, bool add)
{
	for (uint16_t i = 0; i < d->nalerted; i++)
		if (d->alerted[i] == key)
			return true;
	if (add && d->nalerted < DF_MAX_ALERTED) {
		if (d->nalerted == d->capalerted) {
			uint16_t cap = d->capalerted ? (uint16_t)(d->capalerted * 2) : 4;
			uint32_t *v = v_realloc(d->alerted, cap * sizeof(*v));
			if (!v)
				return false;
			d->alerted = v;
			d->capalerted = cap;
		}
		d->alerted[d->nalerted++] = key;
	}
	return false;
}

void detect_stream_data(struct detect_thread *dt, struct flow *f, int dir, const uint8_t *data,
			uint32_t len, unsigned flags)
{
	const struct detect_engine *de = dt->de;
	if (!de || !de->nrules)
		return;
	struct dflow *d = dflow_get(f);
	if (!d)
		return;
	struct win *w = &d->w[dir];
	if (flags & STREAM_GAP)
		w->len = 0; /* no match may span a gap */
	if (!data || !len || (de->stream_depth && w->consumed >= de->stream_depth))
		return;
	if (!w->fresh && w->len > de->window) {
		/* keep the last window bytes as context for the new data */
		memmove(w->buf, w->buf + w->len - de->window, de->window);
		w->len = de->window;
	}
	w->fresh = true;
	if (de->stream_depth && w->consumed + len > de->stream_depth)
		len = (uint32_t)(de->stream_depth - w->consumed);
	w->consumed += len;
	if (w->len + len > w->cap) {
		uint32_t cap = w->cap ? w->cap : 4096;
		while (cap < w->len + len)
			cap *= 2;
		uint8_t *nb = v_realloc(w->buf, cap);
		if (!nb) {
			/* the bytes counted in consumed are not in the window:
			 * the prefilter's record no longer lines up with it */
			w->rec_lost = true;
			return;
		}
		w->buf = nb;
		w->cap = cap;
	}
	memcpy(w->buf + w->len, data, len);
	w->len += len;
}

/* ---- thresholds ---- */

/* Returns whether this match should alert. */
static bool threshold_ok(struct detect_engine *de, const struct rule *r, const struct threshold *t,
			 const struct packet *p)
{
	uint8_t key[33] = { 0 };
	switch (t->track) {
	case TRACK_BY_SRC: memcpy(key, p->src, 16); key[32] = 1; break;
	case TRACK_BY_DST: memcpy(key, p->dst, 16); key[32] = 2; break;
	case TRACK_BY_BOTH: memcpy(key, p->src, 16); memcpy(key + 16, p->dst, 16); key[32] = 3; break;
	case TRACK_BY_FLOW: memcpy(key, &p->flow, sizeof(p->flow)); key[32] = 4; break;
	default: key[32] = 5; break;
	}
	bool ok = true;
	pthread_mutex_lock(&de->th_lock);
	if (!de->th && !(de->th = v_calloc(de->th_cap, sizeof(*de->th)))) {
		pthread_mutex_unlock(&de->th_lock);
		return true;
	}
	uint64_t h = hash_bytes(key, sizeof(key), r->sid ^ ((uint64_t)r->gid << 32) ^ t->type);
	struct th_entry *e = NULL, *victim = NULL;
	vtime_t win = VTIME_FROM_SEC(t->seconds);
	/* 8 probes; reuse a free slot, else the one with the oldest window */
	for (uint32_t probe = 0; probe < 8 && !e; probe++) {
		struct th_entry *c = &de->th[(h + probe) % de->th_cap];
		if (c->used && c->sid == r->sid && c->gid == r->gid &&
		    !memcmp(c->key, key, sizeof(key)))
			e = c;
		else if (!victim || (victim->used && (!c->used || c->first < victim->first)))
			victim = c;
	}
	if (e && t->type != TH_TYPE_BACKOFF && e->first + win < p->ts) {
		/* window over: start a new one (backoff has no window) */
		e->first = p->ts;
		e->count = 0;
	}
	if (!e) {
		e = victim;
		e->used = true;
		e->sid = r->sid;
		e->gid = r->gid;
		memcpy(e->key, key, sizeof(key));
		e->first = p->ts;
		e->count = 0;
		e->next = t->count;
	}
	if (e->count < UINT32_MAX)
		e->count++;
	switch (t->type) {
	case TH_TYPE_LIMIT: ok = e->count <= t->count; break;
	case TH_TYPE_THRESHOLD:
		ok = e->count >= t->count;
		if (ok)
			e->count = 0;
		break;
	case TH_TYPE_BOTH: ok = e->count == t->count; break;
	case TH_TYPE_DETECTION_FILTER: ok = e->count > t->count; break;
	case TH_TYPE_BACKOFF:
		/* the count-th match, then count * multiplier^k */
		ok = e->count == e->next;
		if (ok)
			e->next = e->next > UINT32_MAX / t->multiplier ? UINT32_MAX
								      : e->next * t->multiplier;
		break;
	}
	pthread_mutex_unlock(&de->th_lock);
	return ok;
}

/* ---- per-packet evaluation ---- */

static bool bits_ok(uint8_t have, uint8_t mode, uint8_t want, uint8_t mask)
{
	have &= mask;
	switch (mode) {
	case '+': return (have & want) == want;
	case '*': return (have & want) != 0;
	case '!': return (have & want) == 0;
	default: return have == want;
	}
}

static bool flow_established(const struct flow *f, const struct packet *p)
{
	if (f->key.proto == 6)
		return p->flags & PKT_FLOW_EST;
	return f->state != FLOW_STATE_NEW;
}

/* The rule's address set k (0 src, 1 dst) against the packet's address on
 * side (0 source, 1 destination), through the per-packet memo; without a
 * memo (the no-prefilter reference) evaluated directly. */
static bool addr_ok(struct detect_thread *dt, const struct rule *r, int k, int side,
		    const struct packet *p)
{
	const struct addr_set *s = k ? &r->dst : &r->src;
	if (!s->cnt)
		return true;
	const uint8_t *a = side ? p->dst : p->src;
	if (!dt)
		return addr_match(s, p->ip_ver, a);
	uint32_t *m = &dt->amemo[r->aid[k] * 2 + (unsigned)side];
	if (*m >> 1 == dt->gen)
		return *m & 1;
	bool v = addr_match(s, p->ip_ver, a);
	*m = dt->gen << 1 | v;
	return v;
}

static bool port_ok(struct detect_thread *dt, const struct rule *r, int k, int side,
		    const struct packet *p)
{
	const struct port_set *s = k ? &r->dp : &r->sp;
	if (!s->cnt)
		return true;
	uint16_t port = side ? p->dp : p->sp;
	if (!dt)
		return port_match(s, port);
	uint32_t *m = &dt->pmemo[r->pid[k] * 2 + (unsigned)side];
	if (*m >> 1 == dt->gen)
		return *m & 1;
	bool v = port_match(s, port);
	*m = dt->gen << 1 | v;
	return v;
}

/* Addresses and ports, as written or (<>) reversed. */
static bool endpoints_ok(struct detect_thread *dt, const struct rule *r, const struct packet *p)
{
	bool ports = p->flags & PKT_HAS_PORTS;
	if (r->txdir) {
		/* =>: source and destination as written for the client's
		 * packets, reversed for the server's */
		int s = p->dir ? 1 : 0;
		return (!ports || (port_ok(dt, r, 0, s, p) && port_ok(dt, r, 1, !s, p))) &&
		       addr_ok(dt, r, 0, s, p) && addr_ok(dt, r, 1, !s, p);
	}
	if ((!ports || (port_ok(dt, r, 0, 0, p) && port_ok(dt, r, 1, 1, p))) &&
	    addr_ok(dt, r, 0, 0, p) && addr_ok(dt, r, 1, 1, p))
		return true;
	return r->bidir && (!ports || (port_ok(dt, r, 0, 1, p) && port_ok(dt, r, 1, 0, p))) &&
	       addr_ok(dt, r, 0, 1, p) && addr_ok(dt, r, 1, 0, p);
}

/* Every condition here is one conjunct, so the order is free: the cheap
 * and selective ones (flow direction, header fields) come first, the
 * address sets last. */
/* The checksum keywords: each on a packet of its kind, valid unless the
 * decoder raised its event; with validation off any value holds (as
 * Suricata's PKT_IGNORE_CHECKSUM). */
static bool csum_ok(const struct rule *r, const struct packet *p)
{
	static const struct { uint8_t bit, ver, proto; uint16_t ev; } k[] = {
		{ CSK_IPV4, 4, 0, EV_IPV4_INVALID_CSUM }, { CSK_TCPV4, 4, 6, EV_TCP_INVALID_CSUM },
		{ CSK_TCPV6, 6, 6, EV_TCP_INVALID_CSUM }, { CSK_UDPV4, 4, 17, EV_UDP_INVALID_CSUM },
		{ CSK_UDPV6, 6, 17, EV_UDP_INVALID_CSUM }, { CSK_ICMPV4, 4, 1, EV_ICMPV4_INVALID_CSUM },
		{ CSK_ICMPV6, 6, 58, EV_ICMPV6_INVALID_CSUM },
	};
	for (size_t i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
		if (!((r->csum_valid | r->csum_invalid) & k[i].bit))
			continue;
		if (p->ip_ver != k[i].ver || (k[i].proto && (p->proto != k[i].proto || !p->l4 ||
							      (p->flags & PKT_FRAGMENT))))
			return false;
		if (p->flags & PKT_CSUM_OFF)
			continue;
		bool bad = pkt_has_event(p, (enum event_id)k[i].ev);
		if (bad != ((r->csum_invalid & k[i].bit) != 0))
			return false;
	}
	return true;
}

static bool header_ok(struct detect_thread *dt, const struct rule *r, const struct packet *p)
{
	bool ports = p->flags & PKT_HAS_PORTS;
	if (r->ipver && r->ipver != p->ip_ver)
		return false;
	for (uint8_t i = 0; i < r->npev; i++)
		if (!pkt_has_event(p, (enum event_id)r->pev[i]))
			return false;
	if (r->sameip && memcmp(p->src, p->dst, 16))
		return false;
	if ((r->csum_valid | r->csum_invalid) && !csum_ok(r, p))
		return false;
	/* a flow_start hook: the first packet of its direction */
	if (r->flow_start && !(p->flow && p->flow->pkts[p->dir & 1] == 1))
		return false;
	const struct flow *f = p->flow;
	/* (DCE/RPC rules also run on SMB flows, whose named pipes carry it,
	 * "http" rules on HTTP/2, "dns" ones on DNS over HTTP/2, as in
	 * Suricata) */
	if (r->alproto && !(f && alproto_rule_matches(r->alproto, f->alproto)))
		return false;
	for (uint8_t i = 0; i < r->nalp; i++) {
		/* a negation decides nothing until the protocol is known */
		uint16_t have[2] = { f ? f->alproto : ALP_UNKNOWN, ALP_UNKNOWN };
		unsigned nh = 1;
		if (f && r->alp[i].mode == ALPM_ORIGINAL) {
			/* the protocol before a change (STARTTLS, h2c, WebSocket,
			 * DoH); unknown when there was none */
			have[0] = f->alproto_orig;
		} else if (f && r->alp[i].mode != ALPM_FINAL) {
			/* a direction's: what its first data looked like when that
			 * differed from the flow's protocol */
			uint16_t d0 = f->alp_dir[0] && f->alp_dir[0] != 0xff ? f->alp_dir[0] : f->alproto;
			uint16_t d1 = f->alp_dir[1] && f->alp_dir[1] != 0xff ? f->alp_dir[1] : f->alproto;
			switch (r->alp[i].mode) {
			case ALPM_TO_SERVER: have[0] = d0; break;
			case ALPM_TO_CLIENT: have[0] = d1; break;
			case ALPM_DIRECTION: have[0] = p->dir ? d1 : d0; break;
			default: have[0] = d0; have[1] = d1; nh = 2; break;
			}
		}
		bool is = false, known = false;
		for (unsigned k = 0; k < nh; k++) {
			is |= have[k] == r->alp[i].p;
			known |= have[k] != ALP_UNKNOWN;
		}
		if (r->alp[i].neg ? is || !known : !is)
			return false;
	}
	uint16_t ff = r->flow_flags;
	if (ff & (RF_TOSERVER | RF_TOCLIENT | RF_ESTABLISHED | RF_NOT_ESTABLISHED)) {
		if (!f)
			return false;
		if ((ff & RF_TOSERVER) && p->dir != 0)
			return false;
		if ((ff & RF_TOCLIENT) && p->dir != 1)
			return false;
		bool est = flow_established(f, p);
		if ((ff & RF_ESTABLISHED) && !est)
			return false;
		if ((ff & RF_NOT_ESTABLISHED) && est)
			return false;
	}
	if ((ff & RF_ONLY_FRAG) && !(p->flags & PKT_REBUILT))
		return false;
	if ((ff & RF_NO_FRAG) && (p->flags & PKT_REBUILT))
		return false;
	uint32_t hm = r->hdr_mask & ((1u << HC_MAX) - 1);
	if (hm) {
		bool icmp = p->proto == 1 || p->proto == 58, tcp = p->proto == 6 && ports;
		if ((hm & 1u << HC_TTL) && !numcmp_ok(&r->hdr[HC_TTL], p->ttl)) return false;
		if ((hm & 1u << HC_TOS) && !numcmp_ok(&r->hdr[HC_TOS], p->tos)) return false;
		if ((hm & 1u << HC_ID) && (p->ip_ver != 4 || !numcmp_ok(&r->hdr[HC_ID], p->ip_id))) return false;
		if ((hm & 1u << HC_SEQ) && (!tcp || !numcmp_ok(&r->hdr[HC_SEQ], p->seq))) return false;
		if ((hm & 1u << HC_ACK) && (!tcp || !numcmp_ok(&r->hdr[HC_ACK], p->ack))) return false;
		if ((hm & 1u << HC_WINDOW) && (!tcp || !numcmp_ok(&r->hdr[HC_WINDOW], p->win))) return false;
		if ((hm & 1u << HC_ITYPE) && (!icmp || !numcmp_ok(&r->hdr[HC_ITYPE], p->icmp_type))) return false;
		if ((hm & 1u << HC_ICODE) && (!icmp || !numcmp_ok(&r->hdr[HC_ICODE], p->icmp_code))) return false;
		if ((hm & 1u << HC_ICMP_ID) && (!icmp || !numcmp_ok(&r->hdr[HC_ICMP_ID], p->icmp_id))) return false;
		if ((hm & 1u << HC_ICMP_SEQ) && (!icmp || !numcmp_ok(&r->hdr[HC_ICMP_SEQ], p->icmp_seq))) return false;
		if ((hm & 1u << HC_DSIZE) && !numcmp_ok(&r->hdr[HC_DSIZE], p->payload_len)) return false;
		if ((hm & 1u << HC_IP_PROTO) && !numcmp_ok(&r->hdr[HC_IP_PROTO], p->proto)) return false;
		/* tcp.mss: a packet with the option (SYNs, mostly) */
		if ((hm & 1u << HC_TCP_MSS) && (!tcp || !p->tcpo.has_mss || !numcmp_ok(&r->hdr[HC_TCP_MSS], p->tcpo.mss)))
			return false;
		/* fragoffset, ipopts (kw_gap.c): IPv4 only; a rebuilt datagram's offset is 0 */
		if ((hm & 1u << HC_FRAGOFF) &&
		    (p->ip_ver != 4 || !p->ip_hdr ||
		     !numcmp_ok(&r->hdr[HC_FRAGOFF], (p->flags & PKT_REBUILT) ? 0u
				: (uint64_t)((p->ip_hdr[6] & 0x1fu) << 8 | p->ip_hdr[7]))))
			return false;
		if ((hm & 1u << HC_IPOPTS) &&
		    (p->ip_ver != 4 || !(r->hdr[HC_IPOPTS].a ? p->ipopts & r->hdr[HC_IPOPTS].a : p->ipopts)))
			return false;
		if ((hm & 1u << HC_VLAN_LAYERS) && !numcmp_ok(&r->hdr[HC_VLAN_LAYERS], MIN(p->vlan_cnt, 3u)))
			return false;
		if (hm & 1u << HC_ICMPV6_MTU) {
			/* Packet Too Big (type 2): the MTU after the checksum */
			if (p->proto != 58 || p->icmp_type != 2 || !p->l4 || p->l4_len < 8)
				return false;
			uint32_t mtu = (uint32_t)p->l4[4] << 24 | (uint32_t)p->l4[5] << 16 |
				       (uint32_t)p->l4[6] << 8 | p->l4[7];
			if (!numcmp_ok(&r->hdr[HC_ICMPV6_MTU], mtu))
				return false;
		}
	}
	if (r->has_flags && (p->proto != 6 || !ports ||
			     !bits_ok(p->tcp_flags, r->flags_mode, r->flags_want, r->flags_mask)))
		return false;
	if (r->has_fragbits) {
		if (p->ip_ver != 4 || !p->ip_hdr)
			return false;
		uint8_t fb = (p->flags & PKT_REBUILT) ? 0 : (uint8_t)(p->ip_hdr[6] & 0xe0);
		/* wire order: R(0x80) D(0x40) M(0x20) */
		if (!bits_ok(fb, r->fragbits_mode, r->fragbits_want, 0xe0))
			return false;
	}
	return endpoints_ok(dt, r, p);
}

/* flow.pkts / flow.bytes: a per-direction count against c (FC_*) */
static bool dir_count_ok(uint8_t dir, const struct numcmp *c, const uint64_t v[2])
{
	if (dir == FC_EITHER)
		return numcmp_ok(c, v[0]) || numcmp_ok(c, v[1]);
	return numcmp_ok(c, v[dir - 1]);
}

/* the rule's iprep conditions on the packet's addresses */
static bool iprep_ok(const struct detect_engine *de, const struct rule *r, const struct packet *p)
{
	for (unsigned i = 0; i < r->ipr_cnt; i++)
		if (!iprep_cond_match(de->iprep, &r->ipr[i], p->ip_ver, p->src, p->dst))
			return false;
	return true;
}

static bool flow_conds_ok(const struct rule *r, const struct packet *p)
{
	struct dflow *d = p->flow ? p->flow->detect : NULL;
	for (uint32_t i = 0; i < r->xb_cnt; i++) {
		const struct xbit_cond *c = &r->xb[i];
		if (c->op != FB_ISSET && c->op != FB_ISNOTSET)
			continue;
		if (!p->ip_ver)
			return false;
		struct xb_key k;
		xb_key_of(&k, c->track, p->ip_ver, p->src, p->dst);
		if (xbits_isset(&k, c->id, p->ts) != (c->op == FB_ISSET))
			return false;
	}
	const struct flow_counts *fc = r->fc;
	if (fc && fc->has_vlan) {
		unsigned n = MIN(p->vlan_cnt, 3u);
		if (!n)
			return false;
		bool ok;
		if (fc->vlan_layer >= 0)
			ok = (unsigned)fc->vlan_layer < n && numcmp_ok(&fc->vlan, p->vlan[fc->vlan_layer]);
		else if (fc->vlan_layer == VLAN_LAST)
			ok = numcmp_ok(&fc->vlan, p->vlan[n - 1]);
		else {
			bool all = fc->vlan_layer == VLAN_ALL;
			ok = all;
			for (unsigned i = 0; i < n; i++) {
				bool m = numcmp_ok(&fc->vlan, p->vlan[i]);
				ok = all ? ok && m : ok || m;
			}
		}
		if (!ok)
			return false;
	}
	if (fc && (fc->fpk_dir || fc->fby_dir || fc->has_fage)) {
		const struct flow *f = p->flow;
		if (!f)
			return false;
		if ((fc->fpk_dir && !dir_count_ok(fc->fpk_dir, &fc->fpk, f->pkts)) ||
		    (fc->fby_dir && !dir_count_ok(fc->fby_dir, &fc->fby, f->bytes)))
			return false;
		if (fc->has_fage && !numcmp_ok(&fc->fage, VTIME_SEC(p->ts - f->start)))
			return false;
	}
	if (fc && fc->ssize_which) {
		/* stream_size: each side's sequence space used so far (its
		 * next sequence number less its ISN, as Suricata counts) */
		const struct flow *f = p->flow;
		if (!f || f->key.proto != 6)
			return false;
		bool mc = numcmp_ok(&fc->ssize, f->peer[0].next_seq - f->peer[0].isn);
		bool ms = numcmp_ok(&fc->ssize, f->peer[1].next_seq - f->peer[1].isn);
		bool ok = fc->ssize_which == SS_SERVER ? ms : fc->ssize_which == SS_CLIENT ? mc
			  : fc->ssize_which == SS_BOTH ? mc && ms : mc || ms;
		if (!ok)
			return false;
	}
	for (uint32_t i = 0; i < r->fb_cnt; i++) {
		const struct flowbit_cond *c = &r->fb[i];
		if (c->op != FB_ISSET && c->op != FB_ISNOTSET)
			continue;
		if (!p->flow)
			return false;
		bool any = false, all = true;
		for (uint8_t k = 0; k < c->cnt; k++) {
			bool s = bit_isset(d, c->ids[k]);
			any |= s;
			all &= s;
		}
		bool set = c->or_group ? any : all;
		if (c->op == FB_ISSET ? !set : (c->or_group ? all : any))
			return false;
	}
	for (uint32_t i = 0; i < r->fi_cnt; i++) {
		const struct flowint_cond *c = &r->fi[i];
		if (c->op <= FI_SUB)
			continue;
		if (!p->flow)
			return false;
		int64_t *v = int_find(d, c->id, false);
		if (c->op == FI_ISSET) { if (!v) return false; continue; }
		if (c->op == FI_NOTSET) { if (v) return false; continue; }
		if (!v)
			return false;
		int64_t want = c->value;
		if (c->value_var >= 0) {
			int64_t *o = int_find(d, (uint32_t)c->value_var, false);
			if (!o)
				return false;
			want = *o;
		}
		bool ok = c->op == FI_EQ ? *v == want : c->op == FI_NE ? *v != want :
			  c->op == FI_LT ? *v < want : c->op == FI_GT ? *v > want :
			  c->op == FI_LE ? *v <= want : *v >= want;
		if (!ok)
			return false;
	}
	return true;
}

static void flow_effects(const struct rule *r, struct packet *p)
{
	for (unsigned i = 0; i < r->ntags && p->ip_ver; i++) {
		const struct tag_spec *t = &r->tags[i];
		if (t->kind == TAG_HOST) {
			tag_host_set(p->ip_ver, t->dst ? p->dst : p->src, t, p->ts);
		} else if (p->flow) {
			struct dflow *d = dflow_get(p->flow);
			struct dflow_x *x = d ? dflow_x(d) : NULL;
			if (x) {
				tag_start(&x->tag, t, p->ts);
				x->tag_on = true;
			}
		}
	}
	for (uint32_t i = 0; i < r->xb_cnt && p->ip_ver; i++) {
		const struct xbit_cond *c = &r->xb[i];
		if (c->op > FB_TOGGLE)
			continue;
		struct xb_key k;
		xb_key_of(&k, c->track, p->ip_ver, p->src, p->dst);
		xbits_change(&k, c->id, c->op == FB_SET ? 0 : c->op == FB_UNSET ? 1 : 2, p->ts, c->expire);
	}
	if (!p->flow || (!r->fb_cnt && !r->fi_cnt))
		return;
	struct dflow *d = dflow_get(p->flow);
	if (!d)
		return;
	for (uint32_t i = 0; i < r->fb_cnt; i++) {
		const struct flowbit_cond *c = &r->fb[i];
		if (c->op <= FB_TOGGLE)
			for (uint8_t k = 0; k < c->cnt; k++)
				bit_set(d, c->ids[k], c->op);
	}
	for (uint32_t i = 0; i < r->fi_cnt; i++) {
		const struct flowint_cond *c = &r->fi[i];
		if (c->op > FI_SUB)
			continue;
		int64_t *v = int_find(d, c->id, true);
		if (!v)
			continue;
		int64_t val = c->value;
		if (c->value_var >= 0) {
			int64_t *o = int_find(d, (uint32_t)c->value_var, false);
			if (!o)
				continue;
			val = *o;
		}
		if (c->op == FI_SET) *v = val;
		else if (c->op == FI_ADD) *v = (int64_t)((uint64_t)*v + (uint64_t)val);
		else *v = (int64_t)((uint64_t)*v - (uint64_t)val);
	}
}


static void add_inst(struct binst *b, const void *p, uint32_t len)
{
	if (p && len && b->n < BUF_MAX_INST) {
		if (!b->n && b->set)
			b->set->used[b->set->nused++] = (uint16_t)(b - b->set->b);
		b->p[b->n] = p;
		b->len[b->n++] = len;
	}
}

/* Each "Name: value" line of a message's headers, as an instance. */
static void norm_lines(const struct http_msg *m, struct binst *b)
{
	if (!m || !m->norm)
		return;
	const uint8_t *p = m->norm, *end = m->norm + m->norm_len;
	while (p < end) {
		const uint8_t *e = memchr(p, '\r', (size_t)(end - p));
		if (!e)
			e = end;
		add_inst(b, p, (uint32_t)(e - p));
		p = e + 2;
	}
}

/* An HTTP request and response (either may be NULL) and the bodies of
 * this packet: HTTP/1's, and each HTTP/2 stream's. */
static void http_buffers(const struct http_msg *q, const struct http_msg *s, const uint8_t *const body[2],
			 const uint32_t body_len[2], int dir, struct binst bi[BUF_MAX])
{
#define ONE(b_, ptr_, len_) add_inst(&bi[b_], (ptr_), (uint32_t)(len_))
#define HDR(b_, m_, name_) do { const struct http_hdr *h_ = http_header(&(m_)->h, name_); \
	if (h_) ONE(b_, h_->val, h_->val_len); } while (0)
	/* header-wide buffers: the message of the packet's direction */
	const struct http_msg *m = dir == 0 ? (q ? q : s) : (s ? s : q);
	if (m) {
		ONE(BUF_HTTP_PROTOCOL, m->h.proto, m->h.proto_len);
		ONE(BUF_HTTP_HEADER, m->norm, m->norm_len);
		ONE(BUF_HTTP_HEADER_RAW, m->h.headers, m->h.headers_len);
		ONE(BUF_HTTP_START, m->buf, m->len);
		if (m->norm)
			ONE(BUF_HTTP_HEADER_NAMES, m->norm + m->names_off, m->names_len);
		HDR(BUF_HTTP_CONTENT_TYPE, m, "content-type");
		HDR(BUF_HTTP_CONTENT_LEN, m, "content-length");
		HDR(BUF_HTTP_CONNECTION, m, "connection");
	}
	/* http.request_header / http.response_header: each "name: value" */
	norm_lines(q, &bi[BUF_HTTP_REQUEST_HEADER]);
	norm_lines(s, &bi[BUF_HTTP_RESPONSE_HEADER]);
	if (q) {
		ONE(BUF_HTTP_METHOD, q->h.method, q->h.method_len);
		if (q->uri_norm)
			ONE(BUF_HTTP_URI, q->uri_norm, q->uri_norm_len);
		else
			ONE(BUF_HTTP_URI, q->h.uri, q->h.uri_len);
		ONE(BUF_HTTP_URI_RAW, q->h.uri, q->h.uri_len);
		ONE(BUF_HTTP_REQUEST_LINE, q->h.line, q->h.line_len);
		ONE(BUF_HTTP_HOST, q->host, q->host_len);
		HDR(BUF_HTTP_HOST_RAW, q, "host");
		HDR(BUF_HTTP_USER_AGENT, q, "user-agent");
		HDR(BUF_HTTP_REFERER, q, "referer");
		HDR(BUF_HTTP_ACCEPT, q, "accept");
		HDR(BUF_HTTP_ACCEPT_ENC, q, "accept-encoding");
		HDR(BUF_HTTP_ACCEPT_LANG, q, "accept-language");
		if (dir == 0 || !s)
			HDR(BUF_HTTP_COOKIE, q, "cookie");
	}
	if (s) {
		ONE(BUF_HTTP_STAT_CODE, s->h.status, s->h.status_len);
		ONE(BUF_HTTP_STAT_MSG, s->h.msg, s->h.msg_len);
		ONE(BUF_HTTP_RESPONSE_LINE, s->h.line, s->h.line_len);
		HDR(BUF_HTTP_SERVER, s, "server");
		HDR(BUF_HTTP_LOCATION, s, "location");
		if (dir == 1)
			HDR(BUF_HTTP_COOKIE, s, "set-cookie");
	}
#undef ONE
#undef HDR
	add_inst(&bi[BUF_HTTP_REQUEST_BODY], body[0], body_len[0]);
	add_inst(&bi[BUF_HTTP_RESPONSE_BODY], body[1], body_len[1]);
	/* file.data: the body, or for a multipart upload its files (below) */
	if (!(dir == 0 && q && q->multipart))
		add_inst(&bi[BUF_FILE_DATA], body[dir], body_len[dir]);
}

/* The packet's headers as buffers (ipv4.hdr, tcp.hdr, ...). */
static void pkt_buffers(const struct packet *p, struct binst bi[BUF_MAX])
{
	if (p->ip_ver == 4 || p->ip_ver == 6) {
		add_inst(&bi[BUF_IP_SRC], p->src, p->ip_ver == 4 ? 4 : 16);
		add_inst(&bi[BUF_IP_DST], p->dst, p->ip_ver == 4 ? 4 : 16);
	}
	if (p->ip_hdr && p->ip_ver == 4)
		add_inst(&bi[BUF_IPV4_HDR], p->ip_hdr, p->ip_hlen);
	else if (p->ip_hdr && p->ip_ver == 6)
		add_inst(&bi[BUF_IPV6_HDR], p->ip_hdr, p->ip_hlen);
	if (!p->l4 || (p->flags & (PKT_FRAGMENT | PKT_INVALID)))
		return;
	uint32_t hl = p->payload && p->payload >= p->l4 && p->payload <= p->l4 + p->l4_len
			      ? (uint32_t)(p->payload - p->l4) : 0;
	switch (p->proto) {
	case 6:
		if (hl >= 20)
			add_inst(&bi[BUF_TCP_HDR], p->l4, hl);
		break;
	case 17:
		if (p->l4_len >= 8)
			add_inst(&bi[BUF_UDP_HDR], p->l4, 8);
		/* ntp.reference_id: NTP has no transaction, one message a
		 * datagram; bytes 12-15 of a version 3 or 4 header */
		uint8_t mode;
		if (p->flow && p->flow->alproto == ALP_NTP && p->payload_len >= 48 &&
		    ntp_probe(p->payload, p->payload_len, &mode))
			add_inst(&bi[BUF_NTP_REFERENCE_ID], p->payload + 12, 4);
		break;
	case 1:
	case 58:
		if (p->l4_len >= 4)
			add_inst(&bi[p->proto == 1 ? BUF_ICMPV4_HDR : BUF_ICMPV6_HDR], p->l4,
				 hl >= 4 ? hl : MIN(p->l4_len, 8u));
		break;
	}
}

/* mqtt_tx_buffers' callback: MQTT_B_* to the sticky buffers */
static void mqtt_put(void *ud, int which, const uint8_t *p, uint32_t n)
{
	static const uint8_t to[] = {
		[MQTT_B_CLIENTID] = BUF_MQTT_CONNECT_CLIENTID, [MQTT_B_USERNAME] = BUF_MQTT_CONNECT_USERNAME,
		[MQTT_B_PASSWORD] = BUF_MQTT_CONNECT_PASSWORD, [MQTT_B_WILLTOPIC] = BUF_MQTT_CONNECT_WILLTOPIC,
		[MQTT_B_WILLMSG] = BUF_MQTT_CONNECT_WILLMESSAGE,
		[MQTT_B_PROTOCOL_STRING] = BUF_MQTT_CONNECT_PROTOCOL_STRING,
		[MQTT_B_PUB_TOPIC] = BUF_MQTT_PUBLISH_TOPIC, [MQTT_B_PUB_MESSAGE] = BUF_MQTT_PUBLISH_MESSAGE,
		[MQTT_B_SUB_TOPIC] = BUF_MQTT_SUBSCRIBE_TOPIC, [MQTT_B_UNSUB_TOPIC] = BUF_MQTT_UNSUBSCRIBE_TOPIC,
	};
	struct binst *bi = ud;
	if (which >= 0 && (size_t)which < sizeof(to))
		add_inst(&bi[to[which]], p, n);
}

static bool mqtt_num(const void *c, uint64_t v)
{
	return numcmp_ok(c, v);
}

/* sel: only the HTTP/2 stream tx->h2[sel] (and its DNS messages), or -1 for all */
static void buffers_of(const struct app_tx *tx, int dir, struct bufs *bs, int sel)
{
	for (unsigned i = 0; i < bs->nused; i++)
		bs->b[bs->used[i]].n = 0;
	bs->nused = 0;
	struct binst *bi = bs->b;
	if (!tx)
		return;
	/* DNS messages, or mDNS ones (the mdns.* buffers, as Suricata 8) */
	bool md = tx->alproto == ALP_MDNS;
	int b_qr = md ? BUF_MDNS_QUERIES_RRNAME : BUF_DNS_QUERIES_RRNAME;
	int b_an = md ? BUF_MDNS_ANSWERS_RRNAME : BUF_DNS_ANSWER_NAME;
	int b_au = md ? BUF_MDNS_AUTH_RRNAME : BUF_DNS_AUTH_RRNAME;
	int b_ad = md ? BUF_MDNS_ADD_RRNAME : BUF_DNS_ADD_RRNAME;
	int b_rr = md ? BUF_MDNS_RESPONSE_RRNAME : BUF_DNS_RESPONSE_RRNAME;
	for (unsigned k = 0; k < tx->ndns; k++) {
		const struct dns_msg *m = &tx->dns[k];
		if (sel >= 0 && m->h2_ref && m->h2_ref != sel + 1)
			continue;
		for (unsigned i = 0; i < m->nq; i++) {
			if (!m->response && !md)
				add_inst(&bi[BUF_DNS_QUERY], m->q[i].name, m->q[i].name_len);
			add_inst(&bi[b_qr], m->q[i].name, m->q[i].name_len);
		}
		for (unsigned i = 0; i < m->nans; i++)
			add_inst(&bi[b_an], m->a[i].name, m->a[i].name_len);
		for (unsigned i = 0; i < m->nauth; i++)
			add_inst(&bi[b_au], m->auth[i].name, m->auth[i].name_len);
		for (unsigned i = 0; i < m->nadd; i++)
			add_inst(&bi[b_ad], m->add[i].name, m->add[i].name_len);
		if (m->response) {
			for (unsigned i = 0; i < m->nq; i++)
				add_inst(&bi[b_rr], m->q[i].name, m->q[i].name_len);
			for (unsigned i = 0; i < (unsigned)m->nans + m->nauth + m->nadd; i++) {
				const struct dns_rr *a = i < m->nans ? &m->a[i]
							 : i < (unsigned)m->nans + m->nauth ? &m->auth[i - m->nans]
							 : &m->add[i - m->nans - m->nauth];
				add_inst(&bi[b_rr], a->name, a->name_len);
				if (a->type == 5 || a->type == 12 || a->type == 15 || a->type == 2 ||
				    a->type == 6 || a->type == 33)
					add_inst(&bi[b_rr], a->data, a->data_len);
			}
		}
	}
	if (tx->http_req || tx->http_resp || tx->body_len[0] || tx->body_len[1])
		http_buffers(tx->http_req, tx->http_resp, tx->body, tx->body_len, dir, bi);
	for (unsigned i = 0; i < tx->nh2; i++) {
		/* an HTTP/2 stream: its heads as HTTP/1's, once they are in,
		 * and its header fields for http2.header / http2.header_name */
		const struct h2_tx *t = tx->h2[i];
		if ((!t->req.valid && !t->resp.valid) || (sel >= 0 && (int)i != sel))
			continue;
		http_buffers(t->req.valid ? &t->req : NULL, t->resp.valid ? &t->resp : NULL, t->body,
			     t->body_len, dir, bi);
		const struct h2_side *sd = &t->side[dir & 1];
		for (unsigned k = 0; k < sd->nfl; k++) {
			add_inst(&bi[BUF_HTTP2_HEADER_NAME], sd->fb + sd->fl[k][0], sd->fl[k][1]);
		}
		const struct http_msg *m = dir ? &t->resp : &t->req;
		norm_lines(m->valid ? m : NULL, &bi[BUF_HTTP2_HEADER]);
	}
	if ((tx->smtp && tx->smtp_log) || tx->smtp_hdrs) {
		/* an SMTP transaction's fields on the packet where it completes,
		 * or where its message's headers end (Suricata inspects the
		 * transaction under way: detect-email-subject) */
		const struct smtp_info *m = tx->smtp && tx->smtp_log ? tx->smtp : tx->smtp_hdrs;
		add_inst(&bi[BUF_SMTP_HELO], (const uint8_t *)m->helo, m->helo_len);
		add_inst(&bi[BUF_SMTP_MAIL_FROM], (const uint8_t *)m->mail_from, m->mail_from_len);
		for (unsigned i = 0; i < m->rcpt_to.n; i++)
			add_inst(&bi[BUF_SMTP_RCPT_TO], (const uint8_t *)m->rcpt_to.v[i], m->rcpt_to.len[i]);
		add_inst(&bi[BUF_EMAIL_FROM], (const uint8_t *)m->from, m->from_len);
		add_inst(&bi[BUF_EMAIL_SUBJECT], (const uint8_t *)m->subject, m->subject_len);
		for (unsigned i = 0; i < m->to.n; i++)
			add_inst(&bi[BUF_EMAIL_TO], (const uint8_t *)m->to.v[i], m->to.len[i]);
		for (unsigned i = 0; i < m->cc.n; i++)
			add_inst(&bi[BUF_EMAIL_CC], (const uint8_t *)m->cc.v[i], m->cc.len[i]);
		for (unsigned i = 0; i < m->url.n; i++)
			add_inst(&bi[BUF_EMAIL_URL], (const uint8_t *)m->url.v[i], m->url.len[i]);
		/* the headers kept for logging: the first Date, Message-ID and
		 * X-Mailer, every Received */
		bool once[SMTP_F_MAX] = { false };
		for (unsigned i = 0; i < m->hdrs.n; i++) {
			int k = m->hdrs.field[i], b = k == SMTP_F_DATE ? BUF_EMAIL_DATE
						   : k == SMTP_F_MESSAGE_ID ? BUF_EMAIL_MESSAGE_ID
						   : k == SMTP_F_X_MAILER ? BUF_EMAIL_X_MAILER
						   : k == SMTP_F_RECEIVED ? BUF_EMAIL_RECEIVED : -1;
			if (b < 0 || (k != SMTP_F_RECEIVED && once[k]))
				continue;
			once[k] = true;
			add_inst(&bi[b], (const uint8_t *)m->hdrs.v[i], m->hdrs.len[i]);
		}
	}
	if (tx->ftp_cmd) {
		add_inst(&bi[BUF_FTP_COMMAND], (const uint8_t *)tx->ftp_cmd->command,
			 (uint32_t)strlen(tx->ftp_cmd->command));
		add_inst(&bi[BUF_FTP_COMMAND_DATA], (const uint8_t *)tx->ftp_cmd->command_data,
			 tx->ftp_cmd->command_data_len);
	}
	for (unsigned i = 0; i < tx->nftp; i++)
		for (unsigned k = 0; k < tx->ftp[i]->nreply; k++) {
			add_inst(&bi[BUF_FTP_REPLY], (const uint8_t *)tx->ftp[i]->reply[k],
				 (uint32_t)strlen(tx->ftp[i]->reply[k]));
			add_inst(&bi[BUF_FTP_COMPLETION_CODE], (const uint8_t *)tx->ftp[i]->code[k],
				 (uint32_t)strlen(tx->ftp[i]->code[k]));
		}
	for (unsigned i = 0; i < tx->nfiles; i++) {
		/* a file's name, magic and (SMTP) data on the packet where it closes */
		const struct app_file *fi = tx->files[i];
		add_inst(&bi[BUF_FILE_NAME], (const uint8_t *)fi->name, fi->name_len);
		if (fi->facts.magic[0])
			add_inst(&bi[BUF_FILE_MAGIC], (const uint8_t *)fi->facts.magic,
				 (uint32_t)strlen(fi->facts.magic));
		if (fi->data)
			add_inst(&bi[BUF_FILE_DATA], fi->data, fi->data_len);
	}
	if (tx->snmp) {
		if (tx->snmp->has_community)
			add_inst(&bi[BUF_SNMP_COMMUNITY], tx->snmp->community, tx->snmp->community_len);
		if (tx->snmp->has_usm)
			add_inst(&bi[BUF_SNMP_USM], tx->snmp->usm, tx->snmp->usm_len);
	}
	for (unsigned i = 0; i < tx->nsmb; i++) {
		/* a tree connect's path once the server said whether it is a
		 * pipe, or (smb.share) on a packet to the server while it has
		 * not said yet, once; the NTLMSSP names with the session setup
		 * request */
		const struct smb_tx *t = tx->smb[i];
		if (t->share_set && !t->is_pipe && (t->resp_side ? !t->early : t->early))
			add_inst(&bi[BUF_SMB_SHARE], t->share, t->share_len);
		if (t->share_set && t->resp_side && t->is_pipe)
			add_inst(&bi[BUF_SMB_NAMED_PIPE], t->share, t->share_len);
		if (t->ntlmssp && !t->resp_side) {
			add_inst(&bi[BUF_SMB_NTLMSSP_USER], t->ntlm_user, t->ntlm_user_len);
			add_inst(&bi[BUF_SMB_NTLMSSP_DOMAIN], t->ntlm_domain, t->ntlm_domain_len);
		}
	}
	for (unsigned i = 0; i < tx->nmqtt; i++)
		mqtt_tx_buffers(tx->mqtt[i], mqtt_put, bi);
	if (tx->ike) {
		const struct ike_tx *t = tx->ike;
		/* Suricata's: the initiator SPI and vendor ids to the server,
		 * the responder's SPI to the client; the rest IKEv1's */
		if (dir == 0)
			add_inst(&bi[BUF_IKE_INIT_SPI], (const uint8_t *)t->init_hex, 16);
		else
			add_inst(&bi[BUF_IKE_RESP_SPI], (const uint8_t *)t->resp_hex, 16);
		if (t->version == 1) {
			for (unsigned i = 0; dir == 0 && i < t->nvendors; i++)
				add_inst(&bi[BUF_IKE_VENDOR], (const uint8_t *)t->vendor[i], t->vendor_len[i]);
			if (t->ke_full)
				add_inst(&bi[BUF_IKE_KEY_EXCHANGE], t->ke, t->ke_len);
			if (t->nonce_full)
				add_inst(&bi[BUF_IKE_NONCE], t->nonce, t->nonce_len);
		}
	}
	if (tx->rfb && tx->rfb->has_init)
		add_inst(&bi[BUF_RFB_NAME], tx->rfb->name, tx->rfb->name_len);
	for (unsigned i = 0; i < tx->nws; i++)
		add_inst(&bi[BUF_WEBSOCKET_PAYLOAD], tx->ws[i]->payload, tx->ws[i]->payload_len);
	/* the frames of the packet's direction; a rule sees those of its
	 * type (frame_insts) */
	for (unsigned i = 0; i < tx->nframes; i++)
		if (tx->frames[i].dir == (dir & 1))
			add_inst(&bi[BUF_FRAME], tx->frames[i].p, tx->frames[i].len);
	for (unsigned i = 0; i < tx->nkrb5; i++) {
		const struct krb5_tx *t = tx->krb5[i];
		for (unsigned k = 0; k < t->cname.ncomp; k++)
			add_inst(&bi[BUF_KRB5_CNAME], t->cname.s + t->cname.off[k], t->cname.clen[k]);
		for (unsigned k = 0; k < t->sname.ncomp; k++)
			add_inst(&bi[BUF_KRB5_SNAME], t->sname.s + t->sname.off[k], t->sname.clen[k]);
	}
	for (unsigned i = 0; i < tx->npop3; i++) {
		/* the command on its packet; the response on the one completing it */
		const struct pop3_tx *t = tx->pop3[i].t;
		if (t->has_req && !t->complete) {
			add_inst(&bi[BUF_POP3_COMMAND], (const uint8_t *)t->cmd, t->cmd_len);
			for (unsigned k = 0; k < t->nargs; k++)
				add_inst(&bi[BUF_POP3_ARGS], (const uint8_t *)t->args + t->arg_off[k], t->arg_len[k]);
		}
		if (tx->pop3[i].done && t->has_resp) {
			const uint8_t *p;
			uint32_t n;
			add_inst(&bi[BUF_POP3_RESPONSE], (const uint8_t *)t->header, t->header_len);
			for (unsigned k = 0; k < t->ndata && pop3_data_line(t, k, &p, &n); k++)
				add_inst(&bi[BUF_POP3_RESPONSE], p, n);
		}
	}
	if (tx->dce_tx) {
		/* the stub data of the call's side that completed here */
		const struct dce_tx *t = tx->dce_tx;
		add_inst(&bi[BUF_DCERPC_STUB_DATA], t->stub[tx->dce_dir] ? t->stub[tx->dce_dir] : (const uint8_t *)"",
			 t->stub_len[tx->dce_dir]);
	}
	for (unsigned i = 0; i < tx->nldap; i++) {
		const struct ldap_tx *t = tx->ldap[i];
		const uint8_t *p;
		uint32_t n;
		if (t->has_req && ldap_msg_dn(&t->req, &p, &n))
			add_inst(&bi[BUF_LDAP_REQUEST_DN], p, n);
		for (unsigned k = 0; k < t->nresp; k++) {
			if (ldap_msg_dn(&t->resp[k], &p, &n))
				add_inst(&bi[BUF_LDAP_RESPONSES_DN], p, n);
			if (ldap_msg_message(&t->resp[k], &p, &n))
				add_inst(&bi[BUF_LDAP_RESPONSES_MESSAGE], p, n);
			/* ldap.responses.attribute_type (kw_gap.c): a search entry's */
			const uint8_t *ap[BUF_MAX_INST];
			uint32_t an[BUF_MAX_INST];
			unsigned na = ldap_msg_attr_types(&t->resp[k], ap, an, BUF_MAX_INST);
			for (unsigned j = 0; j < na; j++)
				add_inst(&bi[BUF_LDAP_RESPONSES_ATTRIBUTE_TYPE], ap[j], an[j]);
		}
		if (t->has_req) {
			const uint8_t *ap[BUF_MAX_INST];
			uint32_t an[BUF_MAX_INST];
			unsigned na = ldap_msg_attr_types(&t->req, ap, an, BUF_MAX_INST);
			for (unsigned j = 0; j < na; j++)
				add_inst(&bi[BUF_LDAP_REQUEST_ATTRIBUTE_TYPE], ap[j], an[j]);
		}
	}
	for (unsigned i = 0; i < tx->nsip; i++) {
		const struct sip_msg *m = tx->sip[i];
#define SIPB(b, x) add_inst(&bi[b], (const uint8_t *)m->buf + (x).off, (x).len)
		if (m->response) {
			SIPB(BUF_SIP_STAT_CODE, m->code);
			SIPB(BUF_SIP_STAT_MSG, m->reason);
			SIPB(BUF_SIP_RESPONSE_LINE, m->line);
		} else {
			SIPB(BUF_SIP_METHOD, m->method);
			SIPB(BUF_SIP_URI, m->uri);
			SIPB(BUF_SIP_REQUEST_LINE, m->line);
		}
		SIPB(BUF_SIP_PROTOCOL, m->version);
		static const int hb[SIP_H_MAX] = { BUF_SIP_FROM, BUF_SIP_TO, BUF_SIP_VIA, BUF_SIP_USER_AGENT,
						   BUF_SIP_CONTENT_TYPE, BUF_SIP_CONTENT_LENGTH };
		for (int h = 0; h < SIP_H_MAX; h++)
			for (unsigned k = 0; k < m->nhdr[h]; k++)
				SIPB(hb[h], m->hdr[h][k]);
		/* sdp.* (kw_gap.c): the SDP body's lines */
		static const struct { uint16_t buf; uint8_t f; } sb[] = {
			{ BUF_SDP_ORIGIN, SDP_ORIGIN },
			{ BUF_SDP_SESSION_NAME, SDP_SESSION_NAME },
			{ BUF_SDP_SESSION_INFO, SDP_SESSION_INFO },
			{ BUF_SDP_URI, SDP_URI },
			{ BUF_SDP_EMAIL, SDP_EMAIL },
			{ BUF_SDP_PHONE_NUMBER, SDP_PHONE },
			{ BUF_SDP_CONNECTION_DATA, SDP_CONN },
			{ BUF_SDP_BANDWIDTH, SDP_BANDWIDTH },
			{ BUF_SDP_TIME, SDP_TIME },
			{ BUF_SDP_REPEAT_TIME, SDP_REPEAT },
			{ BUF_SDP_TIMEZONE, SDP_TZ },
			{ BUF_SDP_ENCRYPTION_KEY, SDP_KEY },
			{ BUF_SDP_ATTRIBUTE, SDP_ATTR },
			{ BUF_SDP_MEDIA_MEDIA, SDP_M_MEDIA },
			{ BUF_SDP_MEDIA_MEDIA_INFO, SDP_M_INFO },
			{ BUF_SDP_MEDIA_CONNECTION_DATA, SDP_M_CONN },
			{ BUF_SDP_MEDIA_ENCRYPTION_KEY, SDP_M_KEY },
		};
		for (size_t j = 0; j < sizeof(sb) / sizeof(sb[0]); j++)
			for (unsigned k = 0; k < m->nsdp[sb[j].f]; k++)
				SIPB(sb[j].buf, m->sdp[sb[j].f][k]);
#undef SIPB
	}
	const struct tls_info *t = tx->tls;
	if (t && (tx->tls_new & TLS_ST_CLIENT_HELLO)) {
		add_inst(&bi[BUF_TLS_SNI], t->sni, t->sni_len);
		add_inst(&bi[BUF_JA3_HASH], t->ja3_hash, t->ja3_hash[0] ? 32 : 0);
		add_inst(&bi[BUF_JA3_STRING], t->ja3, t->ja3_len);
		add_inst(&bi[BUF_JA4_HASH], t->ja4, (uint32_t)strlen(t->ja4));
	}
	/* tls.alpn: the client's offer with its hello, the server's choice
	 * with the server's flight (so a rule with a certificate buffer sees it) */
	if (t && (tx->tls_new & TLS_ST_CLIENT_HELLO))
		for (unsigned i = 0; i < t->nalpn; i++)
			add_inst(&bi[BUF_TLS_ALPN], t->alpn[i], t->alpn_len[i]);
	if (t && (tx->tls_new & (TLS_ST_SERVER_HELLO | TLS_ST_CERT)))
		add_inst(&bi[BUF_TLS_ALPN], t->server_alpn, t->server_alpn_len);
	if (t && (tx->tls_new & TLS_ST_SERVER_HELLO)) {
		add_inst(&bi[BUF_JA3S_HASH], t->ja3s_hash, t->ja3s_hash[0] ? 32 : 0);
		add_inst(&bi[BUF_JA3S_STRING], t->ja3s, t->ja3s_len);
	}
	if (t && (tx->tls_new & (dir ? TLS_ST_SERVER_HELLO : TLS_ST_CLIENT_HELLO))) {
		add_inst(&bi[BUF_TLS_RANDOM], t->random[dir], 32);
		add_inst(&bi[BUF_TLS_RANDOM_TIME], t->random[dir], 4);
		add_inst(&bi[BUF_TLS_RANDOM_BYTES], t->random[dir] + 4, 28);
	}
	if (t && (tx->tls_new & TLS_ST_CERT)) {
		for (uint32_t o = 0; t->san && o < t->san_len;) {
			uint32_t l = (uint32_t)strlen(t->san + o);
			add_inst(&bi[BUF_TLS_SAN], t->san + o, l);
			o += l + 1;
		}
		add_inst(&bi[BUF_TLS_CERT_SUBJECT], t->subject, t->subject_len);
		add_inst(&bi[BUF_TLS_CERT_ISSUER], t->issuer, t->issuer_len);
		add_inst(&bi[BUF_TLS_CERT_SERIAL], t->serial, t->serial_len);
		add_inst(&bi[BUF_TLS_CERT_FINGERPRINT], t->fingerprint,
			 (uint32_t)strlen(t->fingerprint));
		for (unsigned i = 0; t->chain && i < t->ncerts; i++)
			add_inst(&bi[BUF_TLS_CERTS], t->chain + t->cert_off[i], t->cert_len[i]);
	}
	const struct ssh_info *sh = tx->ssh;
	if (sh && tx->ssh_new) {
		const struct ssh_side *sd = &sh->side[dir];
		if (sd->banner) {
			add_inst(&bi[BUF_SSH_PROTO], sd->proto, sd->proto_len);
			add_inst(&bi[BUF_SSH_SOFTWARE], sd->software, sd->software_len);
		}
		if (sd->kex) {
			add_inst(&bi[dir ? BUF_SSH_HASSH_SERVER : BUF_SSH_HASSH], sd->hassh, 32);
			add_inst(&bi[dir ? BUF_SSH_HASSH_SERVER_STRING : BUF_SSH_HASSH_STRING],
				 sd->hassh_string, sd->hassh_string_len);
		}
	}
	const struct quic_info *qi = tx->quic;
	if (tx->quic_long)
		add_inst(&bi[BUF_QUIC_VERSION], tx->quic_version, 4);
	if (qi && tx->quic_log) {
		add_inst(&bi[BUF_QUIC_SNI], qi->sni, qi->sni_len);
		add_inst(&bi[BUF_JA4_HASH], qi->ja4, (uint32_t)strlen(qi->ja4));
		add_inst(&bi[BUF_JA3_HASH], qi->ja3_hash, qi->ja3_hash[0] ? 32 : 0);
		add_inst(&bi[BUF_JA3_STRING], qi->ja3, qi->ja3_len);
		for (unsigned i = 0; i < qi->nalpn; i++)
			add_inst(&bi[BUF_TLS_ALPN], qi->alpn[i], qi->alpn_len[i]);
		add_inst(&bi[BUF_QUIC_UA], qi->ua, qi->ua_len);
		for (unsigned i = 0; i < qi->ncyu; i++) {
			add_inst(&bi[BUF_QUIC_CYU_HASH], qi->cyu[i].hash, 32);
			add_inst(&bi[BUF_QUIC_CYU_STRING], qi->cyu[i].str, qi->cyu[i].len);
		}
	}
}

static const uint16_t ssl_version_val[] = { 0x0002, 0x0300, 0x0301, 0x0302, 0x0303, 0x0304 };

/* Is the file's digest (of the list's kind) in the list?  A file whose
 * digest was not computed matches neither way. */
static bool file_hash_in(const struct app_cond *c, const struct file_facts *ff)
{
	const char *hex = c->mask == FILE_WANT_MD5 ? ff->md5 : c->mask == FILE_WANT_SHA1 ? ff->sha1
											     : ff->sha256;
	uint8_t d[32];
	if (strlen(hex) != 2u * c->hl->len)
		return c->neg; /* no digest: the rule's outcome is "no match" */
	for (unsigned i = 0; i < c->hl->len; i++)
		d[i] = (uint8_t)(hex_digit((uint8_t)hex[2 * i]) << 4 | hex_digit((uint8_t)hex[2 * i + 1]));
	size_t lo = 0, hi = c->hl->n;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int k = memcmp(c->hl->v + mid * c->hl->len, d, c->hl->len);
		if (!k)
			return true;
		if (k < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* The rule's app-layer conditions against this packet's transaction. */
/* ftpbounce: a PORT command whose address is not its sender's (the
 * server would connect to a third host). */
static bool ftp_bounce(const struct app_tx *tx, const struct packet *p)
{
	const struct ftp_info *t = tx ? tx->ftp_cmd : NULL;
	if (!t || strcmp(t->command, "PORT") || !t->command_data || p->ip_ver != 4)
		return false;
	unsigned v[6];
	if (sscanf(t->command_data, "%u,%u,%u,%u,%u,%u", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return false;
	for (int i = 0; i < 4; i++)
		if (v[i] != p->src[i])
			return true;
	return false;
}

/* One LDAP transaction against an ldap.* condition: the request's
 * operation, the number of responses, or a response's operation or result
 * code at an index (any, all, from the end when negative), as Suricata. */
static bool ldap_response_ok(const struct app_cond *c, const struct ldap_msg *m)
{
	if (c->type == AC_LDAP_RESP_OP)
		return ldap_op_number(m) == (int)c->mask;
	uint64_t code;
	return ldap_result_code(m, &code) && code == c->mask;
}

static bool ldap_cond_ok(const struct app_cond *c, const struct ldap_tx *t)
{
	switch (c->type) {
	case AC_LDAP_REQ_OP:
		return t->has_req && ldap_op_number(&t->req) == (int)c->mask;
	case AC_LDAP_RESP_COUNT:
		return numcmp_ok(&c->c, t->nresp);
	default:
		break;
	}
	if (!t->nresp)
		return false;
	if (c->neg_mask == LDAP_IDX_ANY || c->neg_mask == LDAP_IDX_ALL) {
		bool all = c->neg_mask == LDAP_IDX_ALL;
		for (unsigned k = 0; k < t->nresp; k++)
			if (ldap_response_ok(c, &t->resp[k]) != all)
				return !all;
		return all;
	}
	int32_t i = (int32_t)c->neg_mask;
	if (i < 0)
		i += (int32_t)t->nresp;
	return i >= 0 && i < (int32_t)t->nresp && ldap_response_ok(c, &t->resp[i]);
}

static bool app_conds_ok(const struct rule *r, const struct app_tx *tx, const struct packet *p, int sel)
{
	for (unsigned i = 0; i < r->nac; i++) {
		const struct app_cond *c = &r->ac[i];
		bool ok = false;
		switch (c->type) {
		case AC_DNS_OPCODE:
		case AC_DNS_RCODE:
			if (!tx || !tx->ndns)
				return false;
			for (unsigned k = 0; k < tx->ndns && !ok; k++)
				ok = !(sel >= 0 && tx->dns[k].h2_ref && tx->dns[k].h2_ref != sel + 1) &&
				     numcmp_ok(&c->c, c->type == AC_DNS_OPCODE ? tx->dns[k].opcode
									: tx->dns[k].rcode);
			break;
		case AC_LDAP_REQ_OP:
		case AC_LDAP_RESP_COUNT:
		case AC_LDAP_RESP_OP:
		case AC_LDAP_RESP_RESULT:
			if (!tx || !tx->nldap)
				return false;
			for (unsigned k = 0; k < tx->nldap && !ok; k++)
				ok = ldap_cond_ok(c, tx->ldap[k]);
			break;
		case AC_DCE_IFACE:
			if (!tx || !tx->dce || !c->hl)
				return false;
			ok = !memcmp(tx->dce_uuid, c->hl->v, 16) && (!c->mask || numcmp_ok(&c->c, tx->dce_ver));
			break;
		case AC_DCE_OPNUM:
			if (!tx || !tx->dce || !tx->dce_has_opnum)
				return false;
			ok = numcmp_ok(&c->c, tx->dce_opnum);
			break;
		case AC_SMB_VERSION:
			if (!tx || !tx->nsmb)
				return false;
			for (unsigned k = 0; k < tx->nsmb && !ok; k++)
				ok = numcmp_ok(&c->c, tx->smb[k]->ver);
			break;
		case AC_SNMP_VERSION:
		case AC_SNMP_PDU_TYPE:
			if (!tx || !tx->snmp || (c->type == AC_SNMP_PDU_TYPE && tx->snmp->encrypted))
				return false;
			ok = numcmp_ok(&c->c, c->type == AC_SNMP_VERSION ? tx->snmp->version : tx->snmp->pdu_type);
			break;
		case AC_DNS_RRTYPE:
			if (!tx || !tx->ndns)
				return false;
			for (unsigned m = 0; m < tx->ndns; m++) {
				const struct dns_msg *d = &tx->dns[m];
				for (unsigned k = 0; k < d->nq && !ok; k++)
					ok = numcmp_ok(&c->c, d->q[k].type);
				for (unsigned k = 0; k < d->nans && !ok; k++)
					ok = numcmp_ok(&c->c, d->a[k].type);
			}
			break;
		case AC_IKE: {
			if (!tx || !tx->ike)
				return false;
			const struct ike_tx *t = tx->ike;
			uint32_t v = 0;
			switch (c->mask) {
			case IKE_C_EXCHTYPE:
				ok = numcmp_ok(&c->c, t->exch_type);
				break;
			case IKE_C_KE_LEN:
				ok = t->version == 1 && t->ke_full && numcmp_ok(&c->c, t->ke_full);
				break;
			case IKE_C_NONCE_LEN:
				ok = t->version == 1 && t->nonce_full && numcmp_ok(&c->c, t->nonce_full);
				break;
			case IKE_C_CHOSEN_SA: /* (the responder's: to the client) */
				ok = p && p->dir == 1 && ike_chosen_attr(t, (int)c->neg_mask, &v) && numcmp_ok(&c->c, v);
				break;
			}
			break;
		}
		case AC_NFS_PROCEDURE:
		case AC_NFS_VERSION:
			if (!tx || !tx->nnfs)
				return false;
			for (unsigned k = 0; k < tx->nnfs && !ok; k++) {
				const struct nfs_tx *t = tx->nfs[k];
				if (c->type == AC_NFS_VERSION)
					ok = numcmp_ok(&c->c, t->version);
				else if (c->mask) /* by name: the version's number */
					ok = t->version >= 2 && t->version <= 4 &&
					     (c->neg_mask >> (8 * (t->version - 2)) & 0xff) == t->procedure;
				else /* (a file transaction's COMMIT too, as Suricata's) */
					ok = numcmp_ok(&c->c, t->procedure) ||
					     (t->commit && numcmp_ok(&c->c, 21));
			}
			break;
		case AC_RFB_SECTYPE:
			if (!tx || !tx->rfb || !tx->rfb->has_sectype)
				return false;
			ok = numcmp_ok(&c->c, tx->rfb->sectype);
			break;
		case AC_HTTP2:
			/* the frames of this packet of any HTTP/2 transaction it touched */
			if (!tx || !tx->nh2)
				return false;
			for (unsigned k = 0; k < tx->nh2 && !ok; k++)
				ok = !(sel >= 0 && (int)k != sel) && h2_tx_check(tx->h2[k], (int)(c->mask & 0xff), c->mask >> 8,
						 c->neg ? NULL : mqtt_num, &c->c);
			break;
		case AC_RFB_SECRESULT:
			if (!tx || !tx->rfb || !tx->rfb->has_result)
				return false;
			ok = c->mask ? tx->rfb->result > 2 : numcmp_ok(&c->c, tx->rfb->result);
			break;
		case AC_KRB5: {
			if (!tx || !tx->nkrb5)
				return false;
			for (unsigned k = 0; k < tx->nkrb5 && !ok; k++) {
				const struct krb5_tx *t = tx->krb5[k];
				switch (c->mask & 0xff) {
				case KRB5_C_MSG_TYPE:
					ok = numcmp_ok(&c->c, t->msg_type);
					break;
				case KRB5_C_ERR_CODE:
					ok = t->has_error && numcmp_ok(&c->c, (uint64_t)(uint32_t)t->error_code);
					break;
				case KRB5_C_WEAK:
					ok = t->has_etype && krb5_weak(t->etype);
					break;
				default: /* the ticket's encryption: weak, or one of the types */
					ok = t->has_ticket_etype &&
					     (((c->mask >> 8 & 1) && krb5_weak(t->ticket_etype)) ||
					      (t->ticket_etype >= 0 && t->ticket_etype < 32 &&
					       (c->neg_mask >> t->ticket_etype & 1)));
					break;
				}
			}
			break;
		}
		case AC_MQTT: {
			/* any of the packet's completed MQTT transactions */
			if (!tx || !tx->nmqtt)
				return false;
			for (unsigned k = 0; k < tx->nmqtt && !ok; k++)
				ok = mqtt_tx_check(tx->mqtt[k], (int)(c->mask & 0xff), mqtt_num, &c->c,
						   c->mask >> 8, c->neg_mask);
			break;
		}
		case AC_TLS_VALIDITY:
			/* tls_cert_notbefore ... (kw_gap.c): on the packet that brings the server's certificate */
			if (!tx || !tx->tls || !(tx->tls_new & TLS_ST_CERT))
				return false;
			ok = kw_gap_tls_validity_ok(c, tx->tls, (int64_t)VTIME_SEC(p->ts));
			break;
		case AC_TLS_CHAIN_LEN:
			/* on the packet that brings the server's certificates */
			if (!tx || !tx->tls || !(tx->tls_new & TLS_ST_CERT))
				return false;
			ok = numcmp_ok(&c->c, tx->tls->chain_len);
			break;
		case AC_SSL_VERSION:
		case AC_TLS_VERSION: {
			/* on the packets that bring a hello, so a rule alerts on
			 * the handshake, not on every later packet */
			if (!tx || !tx->tls || !(tx->tls_new & (TLS_ST_CLIENT_HELLO | TLS_ST_SERVER_HELLO)))
				return false;
			const struct tls_info *t = tx->tls;
			uint16_t v = (t->state & TLS_ST_SERVER_HELLO) ? t->sver : t->cver;
			if (c->type == AC_TLS_VERSION) {
				ok = numcmp_ok(&c->c, v);
				break;
			}
			for (unsigned k = 0; k < 6; k++)
				if ((c->mask >> k & 1) && (ssl_version_val[k] == v ||
							   (k == 0 && t->rec_ver == 0x0002)))
					ok = true; /* sslv2: an SSLv2-format hello was seen */
			break;
		}
		case AC_SSL_STATE: {
			if (!tx || !tx->tls || !tx->tls_new)
				return false;
			uint32_t st = tx->tls_new;
			ok = (!c->mask || (st & c->mask)) && !(st & c->neg_mask);
			break;
		}
		case AC_APP_EVENT:
			ok = tx && app_ev_has(&tx->events, c->mask);
			if (!ok && !c->neg && r->tx_event && p->flow && p->flow->detect) {
				/* a transaction's event raised on an earlier packet */
				const struct dflow_x *x = ((const struct dflow *)p->flow->detect)->x;
				ok = x && x->tev_on && app_ev_has(&x->tev, c->mask);
			}
			break;
		case AC_FTP_DYNPORT:
		case AC_FTP_MODE:
			/* the commands answered on this packet */
			if (!tx || !tx->nftp)
				return false;
			for (unsigned k = 0; k < tx->nftp && !ok; k++) {
				const struct ftp_info *t = tx->ftp[k];
				ok = c->type == AC_FTP_DYNPORT ? t->dynamic_port && numcmp_ok(&c->c, t->dynamic_port)
							       : t->mode == c->mask;
			}
			break;
		case AC_FTP_REPLY_RECEIVED:
			/* as Suricata, once a command is final: "yes" when its
			 * reply completes, "no" when the server's close leaves it
			 * unanswered (not while the reply may still come) */
			if (!tx)
				return false;
			if (c->mask != 1) {
				ok = tx->nftp_unans > 0;
				break;
			}
			for (unsigned k = 0; k < tx->nftp && !ok; k++)
				ok = tx->ftp[k]->command[0] != 0; /* not the banner */
			break;
		case AC_FTPBOUNCE:
			ok = ftp_bounce(tx, p);
			break;
		case AC_FTPDATA_CMD: {
			const struct ftpdata_info *d = tx ? tx->ftpdata_flow : NULL;
			if (!d)
				return false;
			ok = !strcasecmp(d->command, c->mask == 1 ? "RETR" : "STOR");
			break;
		}
		case AC_WS_OPCODE:
		case AC_WS_MASK:
		case AC_WS_FLAGS:
			/* a WebSocket frame of this packet (any of them) */
			if (!tx || !tx->nws)
				return false;
			for (unsigned k = 0; k < tx->nws && !ok; k++) {
				const struct ws_tx *t = tx->ws[k];
				if (c->type == AC_WS_OPCODE)
					ok = numcmp_ok(&c->c, t->opcode);
				else if (c->type == AC_WS_MASK)
					ok = t->has_mask && numcmp_ok(&c->c, t->mask);
				else if (c->mask) /* bits: those of mask as in neg_mask */
					ok = (t->flags & c->mask) == c->neg_mask;
				else
					ok = numcmp_ok(&c->c, t->flags);
			}
			break;
		case AC_FILESIZE:
		case AC_FILEHASH: {
			/* a file that closed on this packet (any of them) */
			bool any = false;
			for (unsigned k = 0; tx && k < tx->nfiles && !ok; k++) {
				const struct app_file *fi = tx->files[k];
				if (fi->truncated)
					continue;
				/* filesize: to_server/to_client (mask 1/2) */
				if (c->type == AC_FILESIZE && c->mask && (c->mask == 2) != fi->to_client)
					continue;
				any = true;
				ok = c->type == AC_FILESIZE ? numcmp_ok(&c->c, fi->size)
							    : file_hash_in(c, &fi->facts);
			}
			if (!any)
				return false;
			break;
		}
		}
		if (ok == c->neg)
			return false;
	}
	return true;
}

/* Can the buffer being inspected be absent here: a transaction of this
 * packet that could have had it (a DNS buffer: a DNS message)? */
static bool absent_here(const struct insp *st)
{
	switch (st->cur_buf) {
	case BUF_DNS_QUERY: case BUF_DNS_QUERIES_RRNAME: case BUF_DNS_ANSWER_NAME:
	case BUF_DNS_RESPONSE_RRNAME: case BUF_DNS_AUTH_RRNAME: case BUF_DNS_ADD_RRNAME:
	case BUF_MDNS_QUERIES_RRNAME: case BUF_MDNS_ANSWERS_RRNAME: case BUF_MDNS_AUTH_RRNAME:
	case BUF_MDNS_ADD_RRNAME: case BUF_MDNS_RESPONSE_RRNAME:
		return st->dns_here;
	}
	return st->tx_here;
}

/* Does a transformed buffer's list match one of the buffer's instances,
 * each through the chain? */
static bool inspect_xlist(const struct xlist *x, const struct binst *bi, struct insp *st)
{
	if (!bi->n)
		return x->list.cnt && x->list.v[0].type == SM_ABSENT && absent_here(st);
	for (unsigned i = 0; i < bi->n; i++) {
		uint32_t len;
		const uint8_t *buf = xform_apply(x, bi->p[i], bi->len[i], st->xs, st->md, &len);
		if (!buf)
			continue;
		st->buf = buf;
		st->len = len;
		st->budget = 3000;
		memset(st->vars, 0, sizeof(st->vars));
		if (payload_inspect(&x->list, st))
			return true;
	}
	return false;
}

/* Does list l match one of the instances (with dotprefix if set)? */
static bool inspect_instances(const struct sm_list *l, const struct binst *bi, bool dot,
			      struct insp *st)
{
	uint8_t tmp[DNS_NAME_MAX + 2];
	if (!bi->n) /* absent: the buffer is not there, in a transaction of this packet */
		return l->cnt && l->v[0].type == SM_ABSENT && absent_here(st);
	for (unsigned i = 0; i < bi->n; i++) {
		const uint8_t *buf = bi->p[i];
		uint32_t len = bi->len[i];
		if (dot && len < sizeof(tmp) - 1) {
			tmp[0] = '.';
			memcpy(tmp + 1, buf, len);
			buf = tmp;
			len++;
		}
		st->buf = buf;
		st->len = len;
		st->budget = 3000;
		memset(st->vars, 0, sizeof(st->vars));
		if (payload_inspect(l, st))
			return true;
	}
	return false;
}

/* The index of the frame of r's type in direction dir after frame
 * after (-1: the first), or -1. */
static int frame_next(const struct rule *r, const struct app_tx *tx, int dir, int after)
{
	for (unsigned i = (unsigned)(after + 1); tx && i < tx->nframes && i < INT16_MAX; i++)
		if (tx->frames[i].dir == (dir & 1) && tx->frames[i].type == r->frame_type)
			return (int)i;
	return -1;
}

/* The frame buffer's instances as rule r sees them (in tmp): frame sel
 * (a frame_next index) when detect_pass is at one, else every frame of
 * r's type in the packet's direction. */
static const struct binst *frame_insts(const struct rule *r, const struct app_tx *tx, int dir,
				       int sel, struct binst *tmp)
{
	tmp->n = 0;
	tmp->set = NULL;
	if (sel >= 0)
		add_inst(tmp, tx->frames[sel].p, tx->frames[sel].len);
	else
		for (int i = frame_next(r, tx, dir, -1); i >= 0; i = frame_next(r, tx, dir, i))
			add_inst(tmp, tx->frames[i].p, tx->frames[i].len);
	return tmp;
}

const char *detect_buffer_name(int b)
{
	return b >= 0 && b < BUF_MAX ? buffer_names[b] : NULL;
}

static void cand_mark(void *ctx, uint32_t rule)
{
	struct detect_thread *dt = ctx;
	uint32_t w = rule / 64;
	if (!dt->cand[w])
		dt->touched[dt->ntouched++] = w;
	dt->cand[w] |= 1ULL << (rule % 64);
}

/* win_scan's callback: pattern id found in the window's new bytes */
static void win_seen(void *ctx, uint32_t id)
{
	struct detect_thread *dt = ctx;
	struct win *w = dt->scan_w;
	mpm_rules_of(dt->scan_m, id, cand_mark, dt);
	for (uint16_t i = 0; i < w->nrec; i++)
		if (w->rec[i].id == id) {
			w->rec[i].end = w->consumed;
			return;
		}
	if (w->nrec == w->caprec) {
		uint16_t cap = w->caprec ? (uint16_t)(w->caprec * 2) : 4;
		void *v = cap <= WIN_REC_MAX ? v_realloc(w->rec, cap * sizeof(*w->rec)) : NULL;
		if (!v) {
			w->rec_lost = true;
			return;
		}
		w->rec = v;
		w->caprec = cap;
	}
	w->rec[w->nrec++] = (struct win_rec){ id, w->consumed };
}

/* Marks the rules whose fast pattern occurs in stream window w, as a
 * scan of the whole window would, scanning only its new bytes and the
 * mpm_max_len - 1 before them: a pattern that lies in the context alone
 * was found by an earlier scan, and the record keeps it for as long as
 * the window it was found in has bytes in the context.  (Every new
 * chunk of a session otherwise scans up to 2 KiB of context again: 2.5
 * times the bytes of the benchmark capture's sessions.)  A record that
 * overflowed, another engine or another matcher: the whole window. */
static void win_scan(const struct detect_engine *de, struct detect_thread *dt, struct win *w,
		     const struct mpm *m)
{
	uint64_t start = w->consumed - w->len;
	uint32_t from = 0;
	if (w->rec_lost || w->rec_m != m || w->rec_de != de->id || w->rec_end <= start) {
		w->nrec = 0;
		w->rec_lost = false;
		w->rec_m = m;
		w->rec_de = de->id;
	} else {
		uint64_t seen = MIN(w->rec_end, w->consumed) - start;
		uint32_t ml = mpm_max_len(m);
		from = seen > ml ? (uint32_t)(seen - ml + 1) : 0;
		/* what the context holds: the record's patterns still in it */
		uint16_t k = 0;
		for (uint16_t i = 0; i < w->nrec; i++)
			if (w->rec[i].end > start) {
				mpm_rules_of(m, w->rec[i].id, cand_mark, dt);
				w->rec[k++] = w->rec[i];
			}
		w->nrec = k;
	}
	dt->scan_w = w;
	dt->scan_m = m;
	mpm_scan_ids(m, dt->scratch, w->buf + from, w->len - from, win_seen, dt);
	w->rec_end = w->consumed;
}

/* Did a transaction of some protocol progress on this packet (so that a
 * buffer it lacks is absent, not merely elsewhere)?  HTTP rules are
 * evaluated only where their parts arrive anyway. */
static bool tx_here(const struct app_tx *tx)
{
	return tx && (tx->ndns || tx->http_req || tx->http_resp || tx->nh2 || tx->nsmb || tx->nmqtt ||
		      tx->nkrb5 || tx->npop3 || tx->nldap || tx->nsip || tx->tls_new || tx->ssh_new ||
		      tx->quic || tx->snmp || tx->tftp || tx->ike || tx->nnfs || tx->nws || tx->rfb ||
		      tx->dce_tx || tx->nftp || tx->nftp_unans || tx->ftp_cmd || tx->nfiles || (tx->smtp && tx->smtp_log) ||
		      tx->smtp_hdrs);
}

/* The instances of buffer b a rule inspects: this packet's, or for a =>
 * rule whose buffer comes from the transaction's other direction (side
 * 1 to server, 2 to client), that direction's, made once per packet. */
static const struct binst *side_inst(struct detect_thread *dt, const struct rule *r,
				     const struct app_tx *tx, const struct packet *p,
				     const struct binst *bi, int b, int side, int sel)
{
	if (!r->txdir || !dt->bo || (side != 1 && side != 2) || side - 1 == p->dir)
		return &bi[b];
	if (!dt->bo_ready) {
		int other = !p->dir;
		buffers_of(tx, other, dt->bo, sel);
		struct binst *bo = dt->bo->b;
		/* the request's body stays with its transaction until the
		 * response is there */
		if (other == 0 && tx && !tx->body_len[0] && tx->req_body_len) {
			add_inst(&bo[BUF_HTTP_REQUEST_BODY], tx->req_body, tx->req_body_len);
			if (!(tx->http_req && tx->http_req->multipart))
				add_inst(&bo[BUF_FILE_DATA], tx->req_body, tx->req_body_len);
		}
		dt->bo_ready = true;
	}
	return &dt->bo->b[b];
}

static bool pkt_buffer(int b)
{
	return b == BUF_IP_SRC || b == BUF_IP_DST || b == BUF_IPV4_HDR || b == BUF_IPV6_HDR ||
	       b == BUF_TCP_HDR || b == BUF_UDP_HDR || b == BUF_ICMPV4_HDR || b == BUF_ICMPV6_HDR;
}

/* Whether r inspects the app layer or the stream (payload), so that it
 * runs on a direction's acknowledged data (PKT_ACKED_DATA): not a rule
 * on packet fields alone. */
static bool rule_app_side(const struct rule *r)
{
	if (r->alproto || r->nac || r->http_parts)
		return true;
	for (unsigned i = 0; i < r->nlists; i++)
		if (r->lists[i].cnt && !pkt_buffer(r->lists[i].buf))
			return true;
	for (unsigned x = 0; x < r->nxl; x++)
		if (!pkt_buffer(r->xl[x].buf))
			return true;
	return false;
}

/* Whether r inspects a transaction: an app-layer buffer (or a frame) or
 * an app-layer keyword, not only the packet's fields, its payload or the
 * stream (Suricata's rules with app_inspect or frame_inspect). */
static bool rule_inspects_tx(const struct rule *r)
{
	if (r->nac || r->http_parts)
		return true;
	for (unsigned i = 0; i < r->nlists; i++) {
		int b = r->lists[i].buf;
		if (r->lists[i].cnt && !pkt_buffer(b) && b != BUF_PAYLOAD && b != BUF_BASE64_DATA)
			return true;
	}
	for (unsigned x = 0; x < r->nxl; x++)
		if (!pkt_buffer(r->xl[x].buf) && r->xl[x].buf != BUF_PAYLOAD &&
		    r->xl[x].buf != BUF_BASE64_DATA)
			return true;
	return false;
}

/* detect.guess-applayer-tx: the one transaction of f's protocol that p
 * carries, as Suricata guesses the only live one of the packet's
 * direction.  vigil's transactions are those the packet completed
 * (app_tx), so "live" is "on this packet"; with none, or several (two
 * DNS messages, pipelined HTTP heads both ways, two SIP messages), there
 * is no guess. */
static bool guess_tx_id(const struct app_tx *tx, const struct flow *f, uint64_t *id)
{
	if (!tx || !f)
		return false;
	switch (f->alproto) {
	case ALP_DNS:
	case ALP_MDNS:
		if (tx->ndns != 1 || tx->dns[0].h2_ref)
			return false;
		*id = tx->dns[0].tx_id;
		return true;
	case ALP_HTTP: {
		if (!tx->http_req == !tx->http_resp)
			return false;
		const struct http_msg *req = tx->http_req ? tx->http_req : app_http_peek(f, NULL);
		if (!req)
			return false;
		*id = req->tx_id;
		return true;
	}
	case ALP_SMTP:
		if (!tx->smtp)
			return false;
		*id = tx->smtp->tx_id;
		return true;
	case ALP_SIP:
		if (tx->nsip != 1)
			return false;
		*id = tx->sip[0]->tx_id;
		return true;
	case ALP_LDAP:
		if (tx->nldap != 1)
			return false;
		*id = tx->ldap[0]->tx_id;
		return true;
	case ALP_MQTT:
		if (tx->nmqtt != 1)
			return false;
		*id = tx->mqtt[0]->tx_id;
		return true;
	case ALP_KRB5:
		if (tx->nkrb5 != 1)
			return false;
		*id = tx->krb5[0]->tx_id;
		return true;
	case ALP_SNMP:
		if (!tx->snmp)
			return false;
		*id = tx->snmp->tx_id;
		return true;
	case ALP_TFTP:
		if (!tx->tftp)
			return false;
		*id = tx->tftp->tx_id;
		return true;
	case ALP_IKE:
		if (!tx->ike)
			return false;
		*id = tx->ike->tx_id;
		return true;
	default:
		return false;
	}
}

/* Whether r is about one HTTP/2 stream (its buffers or conditions), so
 * that each stream of a packet is matched on its own: an app-layer rule
 * of the flow's protocol, not one on the packet's events. */
static bool h2_scoped(const struct rule *r, const struct flow *f)
{
	if (!r->alproto || !f || !alproto_rule_matches(r->alproto, f->alproto))
		return false;
	for (unsigned i = 0; i < r->nac; i++)
		if (r->ac[i].type == AC_APP_EVENT)
			return false;
	return true;
}

/* Where the alert of r goes: the next free slot, or, once a packet has
 * DETECT_MAX_ALERTS, the slot of the lowest-priority alert (the highest
 * rule index: rules are ordered by action and priority) if r ranks
 * above it, as Suricata keeps a packet's most important alerts when
 * its alert queue is full (the second HTTP/2 stream of a packet, say,
 * against the first's); NULL when r ranks below all of them. */
static struct detect_alert *alert_slot(struct detect_result *res, const struct rule *r)
{
	if (res->cnt < DETECT_MAX_ALERTS)
		return &res->a[res->cnt++];
	res->overflow++; /* r's alert, or the one it replaces */
	unsigned worst = 0;
	for (unsigned i = 1; i < res->cnt; i++)
		if (res->a[i].ridx > res->a[worst].ridx)
			worst = i;
	return r->idx < res->a[worst].ridx ? &res->a[worst] : NULL;
}

/* Rules on an IPv4 fragment's fields (fragbits, fragoffset), which see
 * fragments as Suricata's do, not only the rebuilt datagram. */
static bool frag_rule(const struct rule *r)
{
	return r->has_fragbits || (r->hdr_mask & 1u << HC_FRAGOFF);
}

/* tls_store (tlsstore.c): the flow asked on this packet (want), or asked
 * before and its chain may have come on this one.  The tls_info is the
 * flow's, which the worker owns; only its store mark changes. */
static void tls_store_pkt(const struct tls_info *ti, const struct packet *p, bool want)
{
	struct tlsstore_pkt tp = { p->ts, p->pcap_cnt, p->ip_ver, p->proto, p->src, p->dst,
				   p->sp, p->dp, p->dir & 1, (p->flags & PKT_PSEUDO) != 0 };
	struct tls_info *t = (struct tls_info *)ti;
	if (want)
		tlsstore_want(t, &tp);
	else
		tlsstore_pending(t, &tp);
}

/* One pass of a packet's detection.  sel: the HTTP/2 stream (app_tx.h2
 * index) whose buffers the app-layer rules see, -1 all; h2_only: only
 * the app-layer rules of the flow's protocol run (a second stream of the
 * same packet: each stream is a transaction of its own, as in Suricata). */
static void detect_pass(const struct detect_engine *de, struct detect_thread *dt, struct packet *p,
			const struct app_tx *tx, struct detect_result *res, int sel, bool h2_only)
{
	struct binst *bi = dt->bi->b;
	if (!de || !de->nrules || !p->ip_ver)
		return;
	/* fragments and packets whose decoding stopped: decoder-event rules
	 * only; a fragment also the rules on its fragment fields (frag_rule) */
	bool ev_only = p->flags & (PKT_FRAGMENT | PKT_INVALID);
	bool frag = (p->flags & (PKT_FRAGMENT | PKT_INVALID)) == PKT_FRAGMENT;
	if (ev_only && !p->event_cnt && !frag)
		return;
	struct flow *f = p->flow;
	if (f && (f->flags & FLOW_F_PASS))
		return;
	int gi = group_of(p->proto);
	const struct group *g = &de->groups[gi][pkt_class(de, p)];
	if (!g->nrules && !de->no_prefilter)
		return;
	/* the buffers: packet payload, and fresh reassembled stream data */
	if (f && de->uses_tev && !h2_only)
		tev_keep(f, tx);
	struct dflow *d = f ? f->detect : NULL;
	struct win *w = d && d->w[p->dir].fresh ? &d->w[p->dir] : NULL;
	bool reasm = f && (f->flags & FLOW_F_REASSEMBLE) && p->proto == 6;
	bool acked = p->flags & PKT_ACKED_DATA;

	dt->ntouched = 0;
	dt->bo_ready = false;
	if (++dt->gen >= 1u << 31) {
		/* the memo's generation wrapped: start it over */
		memset(dt->amemo, 0, (2 * (size_t)de->nasets + 2) * sizeof(uint32_t));
		memset(dt->pmemo, 0, (2 * (size_t)de->npsets + 2) * sizeof(uint32_t));
		dt->gen = 1;
	}
	if (de->no_prefilter) {
		/* the reference: every rule of the protocol is a candidate */
		for (uint32_t i = 0; i < de->nall[gi]; i++)
			cand_mark(dt, de->all[gi][i]);
	}
	for (uint32_t i = 0; i < g->nnonmpm; i++)
		cand_mark(dt, g->nonmpm[i]);
	ix_lookup(&g->ix[IX_SRC], p->ip_ver, p->src, dt);
	ix_lookup(&g->ix[IX_DST], p->ip_ver, p->dst, dt);
	if (!f || (f->pkts[p->dir & 1] == 1 && !(p->flags & PKT_PSEUDO))) {
		ix_lookup(&g->ix[IX_IP_SRC], p->ip_ver, p->src, dt);
		ix_lookup(&g->ix[IX_IP_DST], p->ip_ver, p->dst, dt);
	}
	/* a reassembled session's payload rules inspect the stream, so its
	 * packets' payload is scanned only for the packet-only rules (all
	 * of the group's when every payload rule is one: pmpm is NULL) */
	if (p->payload_len && !(reasm && g->reasm_scan == RS_NONE))
		mpm_scan(reasm && g->reasm_scan == RS_PKT ? g->pmpm : g->mpm, dt->scratch, p->payload,
			 p->payload_len, cand_mark, dt);
	if (w && w->len && g->mpm)
		win_scan(de, dt, w, g->mpm);
	buffers_of(tx, p->dir, dt->bi, sel);
	pkt_buffers(p, bi);
	for (unsigned u = 0; u < dt->bi->nused; u++) {
		int b = dt->bi->used[u];
		for (unsigned i = 0; b && g->bmpm[b] && i < bi[b].n; i++)
			mpm_scan(g->bmpm[b], dt->scratch, bi[b].p[i], bi[b].len[i], cand_mark, dt);
	}

	/* (not an initializer: that would clear the 1 KiB of ctx, on every
	 * packet; ctx_len says what of it holds anything) */
	struct insp st;
	memset(&st, 0, offsetof(struct insp, ctx));
	st.md = dt->md;
	st.mctx = dt->mctx;
	st.xs = &dt->xs;
	st.ent_buf = -1;
	st.ctx_len = 0;
	st.tx_here = tx_here(tx);
	st.dns_here = tx && tx->ndns;
	int16_t ent_buf = -1;
	double ent_val = 0;
	/* walk candidates in rule order: sort the touched words */
	for (uint32_t a = 1; a < dt->ntouched; a++) {
		uint32_t v = dt->touched[a], b = a;
		for (; b > 0 && dt->touched[b - 1] > v; b--)
			dt->touched[b] = dt->touched[b - 1];
		dt->touched[b] = v;
	}
	bool stop = false;
	for (uint32_t t = 0; t < dt->ntouched; t++) {
		uint32_t wi = dt->touched[t];
		uint64_t bits = dt->cand[wi];
		dt->cand[wi] = 0;
		/* a frame rule is evaluated once per frame of its type (the
		 * packet's, in its direction), as Suricata inspects each frame
		 * and alerts per frame that matches (from_base64-04): every
		 * "continue" below goes on to the rule's next frame, fnext */
		uint32_t ri = 0;
		int fnext = -1;
		while ((bits || fnext >= 0) && !stop) {
			int fsel = fnext;
			if (fsel < 0) {
				ri = wi * 64 + (uint32_t)__builtin_ctzll(bits);
				bits &= bits - 1;
				fsel = de->rules[ri]->frame_type ? frame_next(de->rules[ri], tx, p->dir, -1) : -1;
			}
			const struct rule *r = de->rules[ri];
			fnext = fsel >= 0 ? frame_next(r, tx, p->dir, fsel) : -1;
			if (r->proto && r->proto != p->proto)
				continue;
			if (ev_only && !r->npev && !(frag && frag_rule(r)))
				continue;
			if (h2_only && !h2_scoped(r, f))
				continue;
			/* a direction's acknowledged data (acked): its app-layer
			 * and stream rules, not the pseudo-packet's */
			if (acked && !rule_app_side(r))
				continue;
			/* IP-only rules: the first packet of each flow direction */
			if (r->ip_only && f && (f->pkts[p->dir & 1] != 1 || (p->flags & PKT_PSEUDO)))
				continue;
			/* a protocol-only rule: Suricata's packet engine sees the
			 * flow's protocol on TCP packets of an established session
			 * (the handshake's last ACK not yet); a rule with flow
			 * conditions is a packet rule, not run at the flow's end;
			 * not on a direction's acknowledged data either (the
			 * packet's own pass has it) */
			if (r->proto_pkt && (acked || (p->proto == 6 && (!(p->flags & PKT_FLOW_EST) ||
								    ((p->flags & PKT_PSEUDO) && r->flow_flags)))))
				continue;
			if (r->gap && !kw_gap_rpc_ok(r->gap, p->proto, p->payload, p->payload_len))
				continue;
			if (kw_gap_has_vars(r->gap) &&
			    !kw_gap_vars_ok(r->gap, d && d->x ? d->x->vars : NULL, pkt_stamp(f)))
				continue;
			if (!header_ok(de->no_prefilter ? NULL : dt, r, p) || !flow_conds_ok(r, p) ||
			    (r->ipr_cnt && !iprep_ok(de, r, p)) ||
			    (r->nac && !app_conds_ok(r, tx, p, sel)))
				continue;
			/* filestore on NFS makes a file rule, as Suricata's: it
			 * looks at the packets where a file ends */
			if (r->filestore && r->alproto == ALP_NFS && !(tx && tx->nfiles))
				continue;
			if (r->http_parts) {
				/* evaluated where the last part it inspects arrives */
				unsigned parts = r->http_parts & 31u;
				if (r->http_parts & HTTP_P_DIR_HEAD)
					parts |= p->dir ? HTTP_P_RESP_HEAD : HTTP_P_REQ_HEAD;
				if (r->http_parts & HTTP_P_DIR_BODY)
					parts |= p->dir ? HTTP_P_RESP_BODY : HTTP_P_REQ_BODY;
				unsigned last = 1u << (31 - __builtin_clz(parts));
				unsigned fresh = tx ? (sel >= 0 ? tx->h2[sel]->fresh : tx->http_fresh) : 0;
				for (unsigned k = 0; tx && sel < 0 && k < tx->nh2; k++)
					fresh |= tx->h2[k]->fresh;
				if (!(fresh & last))
					continue;
			}
			bool stream = false;
			dt->xs.b64_len = 0;
			st.ncap = 0;
			st.cur_buf = BUF_PAYLOAD;
			const struct sm_list *pl = rule_list(r, BUF_PAYLOAD);
			if (pl && pl->cnt) {
				bool pkt_only = (r->flow_flags & RF_NO_STREAM) ||
						(r->hdr_mask & (1u << HC_DSIZE));
				if (reasm && !pkt_only) {
					if (!w)
						continue;
					st.buf = w->buf;
					st.len = w->len;
					stream = true;
				} else {
					if ((r->flow_flags & RF_ONLY_STREAM) || acked)
						continue;
					st.buf = p->payload;
					st.len = p->payload_len;
				}
				st.budget = 3000;
				st.nrep = 0;
				if (!payload_inspect(pl, &st))
					continue;
			} else if (r->flow_flags & RF_ONLY_STREAM) {
				continue;
			}
			/* stream matches and once_dir rules alert once per flow
			 * direction: one record of (sid, direction) serves both */
			bool once = stream || r->once_dir;
			if (once && d && stream_alerted(d, r->sid << 1 | p->dir, false))
				continue;
			/* a transaction's event: once per direction per raising */
			if (r->tx_event && tev_alerted(d, tx, r, r->sid << 1 | p->dir, false))
				continue;
			/* an SMTP rule that alerted where the headers ended: not
			 * again when the transaction completes */
			bool smtp_hdr = tx && tx->smtp_hdrs && !(tx->smtp && tx->smtp_log) && rule_smtp(r);
			if (tx && tx->smtp && tx->smtp_log && rule_smtp(r) &&
			    smtp_alerted(d, tx->smtp->tx_id, r->sid << 1 | p->dir, false))
				continue;
			bool all = true;
			st.ctx_len = 0;
			struct binst fb;
			for (unsigned li = 0; li < r->nlists && all; li++) {
				const struct sm_list *l = &r->lists[li];
				int b = l->buf;
				if (l->cnt && b != BUF_PAYLOAD && b != BUF_BASE64_DATA) {
					st.cur_buf = (int16_t)b;
					all = inspect_instances(l,
								b == BUF_FRAME ? frame_insts(r, tx, p->dir, fsel, &fb)
									       : side_inst(dt, r, tx, p, bi, b, buffer_side(b), sel),
								RULE_DOT(r, b), &st);
				}
			}
			for (unsigned x = 0; x < r->nxl && all; x++) {
				const struct xlist *xl = &r->xl[x];
				st.cur_buf = (int16_t)xl->buf;
				all = inspect_xlist(xl, xl->buf == BUF_FRAME ? frame_insts(r, tx, p->dir, fsel, &fb)
						    : side_inst(dt, r, tx, p, bi, xl->buf,
								xl->side ? xl->side : buffer_side(xl->buf), sel),
						    &st);
			}
			const struct sm_list *b64l = all ? rule_list(r, BUF_BASE64_DATA) : NULL;
			if (b64l && b64l->cnt) {
				/* base64_data: what base64_decode left on the path that matched */
				st.buf = dt->xs.b[XS_B64];
				st.len = dt->xs.b64_len;
				st.cur_buf = BUF_BASE64_DATA;
				st.budget = 3000;
				all = st.len && payload_inspect(b64l, &st);
			}
			if (!all)
				continue;
			/* matched */
			flow_effects(r, p);
			if (st.ncap && f && (d || (d = dflow_get(f))) && dflow_x(d))
				kw_vars_commit(&d->x->vars, &st, pkt_stamp(f));
			if (r->df.on && !threshold_ok((struct detect_engine *)de, r, &r->df, p))
				continue;
			if (r->th.on && !threshold_ok((struct detect_engine *)de, r, &r->th, p))
				continue;
			if (once && !d && f)
				d = dflow_get(f);
			if (once && d)
				stream_alerted(d, r->sid << 1 | p->dir, true);
			if (r->tx_event)
				tev_alerted(d, tx, r, r->sid << 1 | p->dir, true);
			if (smtp_hdr && !d && f)
				d = dflow_get(f);
			if (smtp_hdr)
				smtp_alerted(d, tx->smtp_hdrs->tx_id, r->sid << 1 | p->dir, true);
			if (r->action == ACT_CONFIG) {
				/* a config rule changes how the transaction is
				 * handled; it is no alert and no verdict */
				res->nolog_tx |= r->config_nolog;
				continue;
			}
			/* bypass: the rest of the flow is neither inspected nor
			 * parsed (with or without an alert) */
			res->flow_bypass |= r->bypass;
			/* as Suricata: pass and drop apply to the flow for IP-only,
			 * protocol-only and app-layer rules and for stream matches,
			 * else to this packet only; the first of them to reach the
			 * flow stays */
			bool to_flow = r->flow_scope || stream;
			if (r->action == ACT_PASS) {
				res->verdict = VERDICT_PASS;
				if (f && to_flow && !(f->flags & FLOW_F_DROP)) {
					f->flags |= FLOW_F_PASS;
					res->flow_pass = true;
				}
				/* the rest of this packet's rules are skipped, and a
				 * pass match is not an alert, unless the rule says
				 * "alert;" (Suricata 8) */
				stop = true;
				if (!r->pass_alert)
					continue;
			}
			if (r->action == ACT_PASS) {
				/* a pass rule with "alert;": its alert, nothing more */
			} else if (r->action == ACT_DROP && res->verdict < VERDICT_DROP) {
				res->verdict = VERDICT_DROP;
			} else if (r->action == ACT_REJECT && res->verdict < VERDICT_REJECT) {
				res->verdict = VERDICT_REJECT;
			}
			if ((r->action == ACT_DROP || r->action == ACT_REJECT) && to_flow)
				res->flow_drop = true;
			if (r->filestore)
				res->filestore = true;
			if (r->replace && !stream && pl)
				repl_add(res, pl, &st, p);
			if (r->tls_store && tx && tx->tls)
				tls_store_pkt(tx->tls, p, true);
			struct detect_alert *al = r->noalert ? NULL : alert_slot(res, r);
			if (!al)
				continue;
			al->ridx = r->idx;
			al->sid = r->sid;
			al->gid = r->gid;
			al->rev = r->rev;
			al->action = r->action;
			al->severity = r->priority;
			al->target = r->target;
			al->stream = stream;
			al->http_tx = r->http_parts != 0;
			bool itx = rule_inspects_tx(r);
			al->tx_named = itx || (r->alproto && p->proto == 17);
			al->tx_guessed = false;
			if (de->guess_tx && !al->tx_named && guess_tx_id(tx, f, &al->tx_id)) {
				/* at most stream-tx-log-limit alerts name the guessed transaction */
				uint32_t n = 0;
				for (unsigned k = 0; k < res->cnt; k++)
					n += &res->a[k] != al && res->a[k].tx_guessed &&
					     res->a[k].tx_id == al->tx_id;
				al->tx_guessed = n < de->guess_limit;
			}
			al->msg = r->msg;
			al->category = r->category;
			al->meta = r->meta;
			al->nmeta = r->nmeta;
			al->text = r->text;
			al->frame_type = r->frame_type;
			al->frame_idx = (int16_t)fsel;
			al->h2 = (int8_t)sel;
			memcpy(al->context, st.ctx, st.ctx_len);
			al->context[st.ctx_len] = 0;
		}
	}
	if (st.ent_buf >= 0) {
		ent_buf = st.ent_buf;
		ent_val = st.ent_val;
	}
	/* the entropy last computed on this packet goes with every alert and
	 * stays with the flow, as Suricata logs it (metadata.entropy) */
	struct dflow *fd;
	struct dflow_x *fx;
	if (ent_buf >= 0 && f && (fd = dflow_get(f)) && (fx = dflow_x(fd))) {
		fx->ent_set = true;
		fx->ent_buf = ent_buf;
		fx->ent_val = ent_val;
	}
	for (unsigned i = 0; i < res->cnt; i++) {
		res->a[i].ent_buf = ent_buf;
		res->a[i].ent_val = ent_val;
	}
	/* clear what the early stop left */
	for (uint32_t t = 0; t < dt->ntouched; t++)
		dt->cand[dt->touched[t]] = 0;
	if (w)
		w->fresh = false;
}

void detect_packet(const struct detect_engine *de, struct detect_thread *dt, struct packet *p,
		   const struct app_tx *tx, struct detect_result *res)
{
	/* (the flow's TLS state also on a packet that parsed nothing) */
	const struct tls_info *ti = tx && tx->tls ? tx->tls : NULL;
	if (!ti && p->flow && tlsstore_enabled() && p->flow->alproto == ALP_TLS)
		ti = app_tls_peek(p->flow);
	if (ti && ti->store && !(ti->store & TLSSTORE_DONE))
		tls_store_pkt(ti, p, false);
	res->cnt = res->overflow = 0;
	res->verdict = VERDICT_NONE;
	res->flow_drop = res->flow_pass = res->flow_bypass = res->filestore = res->nolog_tx = false;
	res->nrepl = 0;
	unsigned n = tx && tx->nh2 > 1 ? tx->nh2 : 0;
	detect_pass(de, dt, p, tx, res, n ? 0 : -1, false);
	for (unsigned k = 1; k < n; k++)
		detect_pass(de, dt, p, tx, res, (int)k, true);
}

void detect_datasets_close(bool save)
{
	if (save)
		datasets_save_all();
	datasets_free_all();
}
