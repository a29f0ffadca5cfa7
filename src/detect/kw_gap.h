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

/* kwrest2 */
int kw_tls_store(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_quic_ua(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_quic_cyu_hash(struct rule *r, const char *a, struct parse_ctx *pc);
int kw_quic_cyu_string(struct rule *r, const char *a, struct parse_ctx *pc);

#endif
