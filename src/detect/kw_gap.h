/*
 * kw_gap.h - keywords of Suricata 8 added in kw_gap.c (detect-internal):
 * their setup functions, named kw_<c_name> as keywords.def's table wants,
 * and the matchers engine.c calls.
 */
#ifndef VIGIL_KW_GAP_H
#define VIGIL_KW_GAP_H

#include <stdbool.h>
#include <stdint.h>

#include "parse.h"

struct tls_info;

/* AC_TLS_VALIDITY's mask: which date, and how it is compared */
enum { TLSV_NOTBEFORE = 1, TLSV_NOTAFTER, TLSV_EXPIRED, TLSV_VALID };

int kw_tls_cert_notbefore(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_tls_cert_notafter(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_tls_cert_expired(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_tls_cert_valid(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_fragoffset(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_ipopts(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_vlan_layers(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_ldap_request_attribute_type(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_ldap_responses_attribute_type(struct rule *r, const char *a, struct parse_ctx *pc);
/* sdp.*: sticky buffers of a SIP message's SDP body */
int kw_sdp_origin(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_sdp_session_name(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_sdp_session_info(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_sdp_uri(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_sdp_email(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_sdp_phone_number(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_sdp_connection_data(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_sdp_bandwidth(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_sdp_time(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_sdp_repeat_time(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_sdp_timezone(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_sdp_encryption_key(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_sdp_attribute(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_sdp_media_media(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_sdp_media_media_info(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_sdp_media_connection_data(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_sdp_media_encryption_key(struct rule *r, const char *a, struct parse_ctx *pc);

/* A date as tls_cert_notbefore / tls_cert_notafter take it, in UTC:
 * YYYY (a year), YYYY-MM[-DD[( |T)HH[:MM[:SS]]]], or other digits only:
 * seconds since the epoch.  Returns 0 and *out, or -1 when s is none. */
int kw_gap_date(const char *s, int64_t *out);

/* A certificate date as tls.c keeps it ("YYYY-MM-DDTHH:MM:SS", UTC) in
 * seconds since the epoch; false when empty or not that form. */
bool kw_gap_cert_time(const char *s, int64_t *out);

/* An AC_TLS_VALIDITY condition (c->mask TLSV_*, c->c the dates as int64)
 * against the leaf certificate of t at packet time now (seconds).  A
 * certificate without the date does not match, as in Suricata. */
struct app_cond;
bool kw_gap_tls_validity_ok(const struct app_cond *c, const struct tls_info *t, int64_t now);

/* ---- rpc, pcre captures into variables, flowvar, pktvar ---- */

/* The limits of pcre's variables: a rule captures at most
 * KW_PCRE_CAP_MAX of them; a flow keeps at most KW_VARS_MAX flow
 * variables and a packet KW_VARS_MAX packet variables (others are not
 * kept); a name is at most KW_VAR_NAME_MAX - 1 characters and a value is
 * kept to its first KW_VAR_VALUE_MAX bytes. */
#define KW_PCRE_CAP_MAX 8
#define KW_VARS_MAX 8
#define KW_VAR_NAME_MAX 32
#define KW_VAR_VALUE_MAX 256
enum { KW_VAR_FLOW, KW_VAR_PKT };

/* What a pcre captures, and where (sm_pcre.cap) */
struct pcre_cap {
	uint8_t n;
	struct pcre_cap_item {
		uint8_t kind;    /* KW_VAR_* */
		uint8_t group;   /* the capture group, 1.. */
		char name[KW_VAR_NAME_MAX];
	} v[KW_PCRE_CAP_MAX];
};

/* A rule's rpc and flowvar / pktvar conditions (rule.gap), or NULL */
struct kw_gap_rule;
void kw_gap_rule_free(struct kw_gap_rule *g);

int kw_rpc(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_flowvar(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_pktvar(struct rule *r, const char *a, struct parse_ctx *pc);

/* pcre's captures: the named groups (?P<flow_NAME>...) and (?P<pkt_NAME>...)
 * of re, then list ("pkt:NAME, flow:NAME", or NULL), one group each in
 * order.  Returns 0 and *out (NULL when nothing is captured; the caller
 * frees it with v_free), or -1 with pc->err set. */
int kw_gap_pcre_cap(pcre2_code *re, const char *list, struct pcre_cap **out,
		    struct parse_ctx *pc);

/* The values of a match (ov, rc from pcre2_match over subj) noted in
 * st as pending captures (payload.c); kept when the rule matches. */
struct insp;
void kw_gap_pcre_note(const struct pcre_cap *c, const uint8_t *subj, const size_t *ov, int rc,
		      struct insp *st);

/* The variables of a flow: flow variables, and the packet variables of
 * the packet stamped pkt (a flow's packet count).  All-zero is empty. */
struct kw_vars;
void kw_vars_free(struct kw_vars *v);
/* Keeps st's pending captures in *v (made on first use); pkt stamps the
 * packet variables (those of an earlier packet are dropped). */
void kw_vars_commit(struct kw_vars **v, const struct insp *st, uint64_t pkt);
/* The i-th variable of kind, or false past the last. */
bool kw_vars_get(const struct kw_vars *v, int kind, uint64_t pkt, unsigned i, const char **name,
		 const uint8_t **val, uint32_t *len);

/* Do the rule's rpc condition (on the packet's payload: proto 6 or 17)
 * and its flowvar / pktvar conditions hold? */
bool kw_gap_rpc_ok(const struct kw_gap_rule *g, uint8_t proto, const uint8_t *pl, uint32_t len);
bool kw_gap_vars_ok(const struct kw_gap_rule *g, const struct kw_vars *v, uint64_t pkt);
bool kw_gap_has_rpc(const struct kw_gap_rule *g);
bool kw_gap_has_vars(const struct kw_gap_rule *g);
/* kwrest2 */
int kw_tls_store(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_quic_ua(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_quic_cyu_hash(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_quic_cyu_string(struct rule *r, const char *a, struct parse_ctx *pc);

#endif
