/*
 * krb5.c - Kerberos 5 (RFC 4120) over UDP and TCP (port 88), as Suricata 8
 * reads and logs it.
 *
 * Each message (a DER [APPLICATION n] element; over TCP after a 4-byte
 * record mark) is a transaction of its own, written as a krb5 record
 * when it arrives: AS-REQ and TGS-REQ with the client name, realm and
 * service name of their request body; AS-REP and TGS-REP with the
 * client, realm, service (the ticket's), the reply's encryption type and
 * the ticket's; KRB-ERROR with its code and the type of the request it
 * answers.  Encryption other than AES and Camellia is weak
 * (krb5.weak_encryption).  A message that does not parse raises
 * krb5.malformed_data; over TCP it ends the reading of that direction.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "app_int.h"
#include "ber.h"
#include "json.h"
#include "util.h"

#define KRB5_TCP_RECORD_MAX 16384 /* Suricata's limit on a record */
#define CTX(n) ((uint8_t)(0xa0 | (n)))

/* ---- names ---- */

static const char *etype_name(int32_t e)
{
	switch (e) {
	case 1: return "des-cbc-crc";
	case 2: return "des-cbc-md4";
	case 3: return "des-cbc-md5";
	case 5: return "des3-cbc-md5";
	case 7: return "des3-cbc-sha1";
	case 9: return "dsaWithSHA1-CmsOID";
	case 10: return "md5WithRSAEncryption-CmsOID";
	case 11: return "sha1WithRSAEncryption-CmsOID";
	case 12: return "rc2CBC-EnvOID";
	case 13: return "rsaEncryption-EnvOID";
	case 14: return "rsaES-OAEP-ENV-OID";
	case 15: return "des-ede3-cbc-Env-OID";
	case 16: return "des3-cbc-sha1-kd";
	case 17: return "aes128-cts-hmac-sha1-96";
	case 18: return "aes256-cts-hmac-sha1-96";
	case 19: return "aes128-cts-hmac-sha256-128";
	case 20: return "aes256-cts-hmac-sha384-192";
	case 23: return "rc4-hmac";
	case 24: return "rc4-hmac-exp";
	case 25: return "camellia128-cts-cmac";
	case 26: return "camellia256-cts-cmac";
	case 65: return "subkey-keymaterial";
	default: return NULL;
	}
}

int krb5_etype_lookup(const char *name)
{
	for (int e = 0; e < 66; e++)
		if (etype_name(e) && !strcasecmp(etype_name(e), name))
			return e;
	return -1;
}

bool krb5_weak(int32_t e)
{
	return !(e == 17 || e == 18 || e == 19 || e == 20 || e == 25 || e == 26);
}

static const char *msg_name(uint32_t t)
{
	switch (t) {
	case 10: return "KRB_AS_REQ";
	case 11: return "KRB_AS_REP";
	case 12: return "KRB_TGS_REQ";
	case 13: return "KRB_TGS_REP";
	case 14: return "KRB_AP_REQ";
	case 15: return "KRB_AP_REP";
	case 20: return "KRB_SAFE";
	case 21: return "KRB_PRIV";
	case 22: return "KRB_CRED";
	case 30: return "KRB_ERROR";
	default: return NULL;
	}
}

static const char *const err_names[] = {
	"KDC_ERR_NONE", "KDC_ERR_NAME_EXP", "KDC_ERR_SERVICE_EXP", "KDC_ERR_BAD_PVNO",
	"KDC_ERR_C_OLD_MAST_KVNO", "KDC_ERR_S_OLD_MAST_KVNO", "KDC_ERR_C_PRINCIPAL_UNKNOWN",
	"KDC_ERR_S_PRINCIPAL_UNKNOWN", "KDC_ERR_PRINCIPAL_NOT_UNIQUE", "KDC_ERR_NULL_KEY",
	"KDC_ERR_CANNOT_POSTDATE", "KDC_ERR_NEVER_VALID", "KDC_ERR_POLICY", "KDC_ERR_BADOPTION",
	"KDC_ERR_ETYPE_NOSUPP", "KDC_ERR_SUMTYPE_NOSUPP", "KDC_ERR_PADATA_TYPE_NOSUPP",
	"KDC_ERR_TRTYPE_NOSUPP", "KDC_ERR_CLIENT_REVOKED", "KDC_ERR_SERVICE_REVOKED",
	"KDC_ERR_TGT_REVOKED", "KDC_ERR_CLIENT_NOTYET", "KDC_ERR_SERVICE_NOTYET",
	"KDC_ERR_KEY_EXPIRED", "KDC_ERR_PREAUTH_FAILED", "KDC_ERR_PREAUTH_REQUIRED",
	"KDC_ERR_SERVER_NOMATCH", "KDC_ERR_MUST_USE_USER2USER", "KDC_ERR_PATH_NOT_ACCEPTED",
	"KDC_ERR_SVC_UNAVAILABLE", NULL, "KRB_AP_ERR_BAD_INTEGRITY", "KRB_AP_ERR_TKT_EXPIRED",
	"KRB_AP_ERR_TKT_NYV", "KRB_AP_ERR_REPEAT", "KRB_AP_ERR_NOT_US", "KRB_AP_ERR_BADMATCH",
	"KRB_AP_ERR_SKEW", "KRB_AP_ERR_BADADDR", "KRB_AP_ERR_BADVERSION", "KRB_AP_ERR_MSG_TYPE",
	"KRB_AP_ERR_MODIFIED", "KRB_AP_ERR_BADORDER", NULL, "KRB_AP_ERR_BADKEYVER",
	"KRB_AP_ERR_NOKEY", "KRB_AP_ERR_MUT_FAIL", "KRB_AP_ERR_BADDIRECTION", "KRB_AP_ERR_METHOD",
	"KRB_AP_ERR_BADSEQ", "KRB_AP_ERR_INAPP_CKSUM", "KRB_AP_PATH_NOT_ACCEPTED",
	"KRB_ERR_RESPONSE_TOO_BIG", NULL, NULL, NULL, NULL, NULL, NULL, NULL, "KRB_ERR_GENERIC",
	"KRB_ERR_FIELD_TOOLONG", "KDC_ERROR_CLIENT_NOT_TRUSTED", "KDC_ERROR_KDC_NOT_TRUSTED",
	"KDC_ERROR_INVALID_SIG", "KDC_ERR_KEY_TOO_WEAK", "KDC_ERR_CERTIFICATE_MISMATCH",
	"KRB_AP_ERR_NO_TGT", "KDC_ERR_WRONG_REALM", "KRB_AP_ERR_USER_TO_USER_REQUIRED",
	"KDC_ERR_CANT_VERIFY_CERTIFICATE", "KDC_ERR_INVALID_CERTIFICATE",
	"KDC_ERR_REVOKED_CERTIFICATE", "KDC_ERR_REVOCATION_STATUS_UNKNOWN",
	"KDC_ERR_REVOCATION_STATUS_UNAVAILABLE", "KDC_ERR_CLIENT_NAME_MISMATCH",
	"KDC_ERR_KDC_NAME_MISMATCH",
};

/* ---- reading ---- */

/* The element [n] of a SEQUENCE's contents (explicit tags, in order;
 * optional ones may be absent): its inner value. */
static bool field(struct ber *seq, uint8_t n, struct ber *inner)
{
	struct ber save = *seq, v;
	uint8_t tag;
	while (ber_next(seq, &tag, &v)) {
		if (tag == CTX(n)) {
			uint8_t t2;
			return ber_next(&v, &t2, inner) || (inner->n = 0, inner->p = v.p, true);
		}
		if ((tag & 0x1f) > n && (tag & 0xe0) == 0xa0)
			break; /* past it: absent */
	}
	*seq = save;
	return false;
}

static bool int_field(struct ber seq, uint8_t n, int64_t *out)
{
	struct ber v;
	uint64_t x;
	if (!field(&seq, n, &v) || !ber_int(&v, &x))
		return false;
	*out = (int64_t)x;
	return true;
}

/* A PrincipalName's name-string components, joined with '/' into s. */
static void principal(struct ber v, struct krb5_name *out)
{
	struct ber names;
	if (!field(&v, 1, &names))
		return;
	out->set = true;
	struct ber part;
	uint8_t tag;
	while (ber_next(&names, &tag, &part) && out->ncomp < KRB5_NAME_COMPS) {
		size_t room = sizeof(out->s) - out->len - 1;
		if (out->ncomp && room) {
			out->s[out->len++] = '/';
			room--;
		}
		size_t k = MIN(part.n, room);
		out->off[out->ncomp] = (uint16_t)out->len;
		out->clen[out->ncomp] = (uint16_t)k;
		memcpy(out->s + out->len, part.p, k);
		out->len += (uint16_t)k;
		out->ncomp++;
	}
}

static void realm(struct ber v, struct krb5_tx *t)
{
	size_t k = MIN(v.n, sizeof(t->realm) - 1);
	memcpy(t->realm, v.p, k);
	t->realm[k] = '\0';
	t->realm_len = (uint16_t)k;
	t->has_realm = true;
}

static struct krb5_tx *tx_new(struct app_ctx *a, struct krb5_state *s, bool udp)
{
	struct krb5_tx *t = NULL;
	for (unsigned i = 0; i < KRB5_MAX_TX; i++) {
		struct krb5_tx *x = &s->tx[i];
		if (x->used && x->seq != a->pkt_seq)
			x->used = false; /* logged when made: free once its packet is done */
		if (!x->used && !t)
			t = x;
	}
	if (!t || a->tx.nkrb5 >= APP_KRB5_PER_PKT)
		return NULL;
	memset(t, 0, sizeof(*t));
	t->used = true;
	t->tx_id = s->next_tx++;
	t->seq = a->pkt_seq;
	a->tx.krb5[a->tx.nkrb5++] = t;
	app_count_tx(a, udp, ALP_KRB5);
	return t;
}

/* One whole message. false: it does not parse. */
static bool message(struct app_ctx *a, struct krb5_state *s, const uint8_t *d, uint32_t n, bool udp)
{
	struct ber_hdr h;
	if (!ber_header(d, n, &h))
		return false;
	a->tx.alproto = ALP_KRB5;
	if (h.cls != 1)
		return true; /* not an APPLICATION element: nothing for Suricata either */
	struct ber all = { d + h.hlen, h.len }, seq;
	uint8_t tag;
	struct ber v;
	struct krb5_tx *t;
	int64_t x;
	switch (h.tag) {
	case 10:
	case 12: {
		/* KDC-REQ: the request body's names */
		s->req_type = (uint8_t)h.tag;
		if (!ber_next(&all, &tag, &seq) || tag != 0x30)
			return false;
		struct ber body, inner = seq;
		if (!field(&inner, 4, &body))
			return false;
		if (!(t = tx_new(a, s, udp)))
			return true;
		t->msg_type = h.tag;
		struct ber b2 = body;
		if (field(&b2, 1, &v))
			principal(v, &t->cname);
		b2 = body;
		if (field(&b2, 2, &v))
			realm(v, t);
		b2 = body;
		if (field(&b2, 3, &v))
			principal(v, &t->sname);
		return true;
	}
	case 11:
	case 13: {
		/* KDC-REP: crealm [3], cname [4], ticket [5], enc-part [6] */
		if (!ber_next(&all, &tag, &seq) || tag != 0x30)
			return false;
		struct ber f = seq, crealm, cname, ticket, enc;
		if (!field(&f, 3, &crealm) || !field(&f, 4, &cname) || !field(&f, 5, &ticket) ||
		    !field(&f, 6, &enc))
			return false;
		/* the ticket: [APPLICATION 1] SEQUENCE { ..., sname [2], enc-part [3] } */
		struct ber tk = ticket, tseq;
		if (ber_next(&tk, &tag, &tseq) && tag == 0x30)
			ticket = tseq;
		if (!(t = tx_new(a, s, udp)))
			return true;
		t->msg_type = h.tag;
		realm(crealm, t);
		principal(cname, &t->cname);
		struct ber tf = ticket, tenc;
		if (field(&tf, 2, &v))
			principal(v, &t->sname);
		tf = ticket;
		if (field(&tf, 3, &tenc) && int_field(tenc, 0, &x)) {
			t->has_ticket_etype = true;
			t->ticket_etype = (int32_t)x;
		}
		if (int_field(enc, 0, &x)) {
			t->has_etype = true;
			t->etype = (int32_t)x;
			if (krb5_weak(t->etype))
				app_event(a, APP_EV_KRB5_WEAK_ENCRYPTION);
		}
		s->req_type = 0;
		return true;
	}
	case 14:
		s->req_type = 14;
		return true;
	case 15:
		s->req_type = 0;
		return true;
	case 30: {
		/* KRB-ERROR: error-code [6], crealm [7], cname [8], realm [9], sname [10] */
		if (!ber_next(&all, &tag, &seq) || tag != 0x30)
			return false;
		int64_t code;
		struct ber f = seq;
		if (!int_field(f, 6, &code))
			return false;
		if (!(t = tx_new(a, s, udp)))
			return true;
		t->msg_type = 30;
		t->has_error = true;
		t->error_code = (int32_t)code;
		t->req_type = s->req_type;
		f = seq;
		if (field(&f, 7, &v))
			realm(v, t);
		f = seq;
		if (field(&f, 8, &v))
			principal(v, &t->cname);
		f = seq;
		if (field(&f, 10, &v))
			principal(v, &t->sname);
		s->req_type = 0;
		return true;
	}
	default:
		return true;
	}
}

/* Suricata's probe: an APPLICATION element of a tag up to 30 holding a
 * SEQUENCE whose first field is pvno 5. */
/* An element header's length (tag byte, definite length of up to 4
 * bytes), its contents need not be in view; 0 when it is not one. */
static uint32_t hdr_len(const uint8_t *d, uint32_t n)
{
	if (n < 2 || (d[0] & 0x1f) == 0x1f)
		return 0;
	if (!(d[1] & 0x80))
		return 2;
	uint32_t k = d[1] & 0x7f;
	return k && k <= 4 && n >= 2 + k ? 2 + k : 0;
}

bool krb5_probe(const uint8_t *d, uint32_t n)
{
	uint32_t h1, h2;
	if (n <= 10 || !(h1 = hdr_len(d, n)) || (d[0] >> 6) != 1 || (d[0] & 0x1f) > 30)
		return false;
	const uint8_t *r = d + h1;
	uint32_t rn = n - h1;
	if (!rn || r[0] != 0x30 || !(h2 = hdr_len(r, rn)))
		return false;
	r += h2;
	rn -= h2;
	return rn > 5 && r[2] == 2 && r[3] == 1 && r[4] == 5;
}

bool krb5_probe_tcp(const uint8_t *d, uint32_t n)
{
	if (n <= 14)
		return false;
	uint32_t mark = (uint32_t)d[0] << 24 | (uint32_t)d[1] << 16 | (uint32_t)d[2] << 8 | d[3];
	return mark <= KRB5_TCP_RECORD_MAX && krb5_probe(d + 4, n - 4);
}

void krb5_udp(struct app_ctx *a, struct krb5_state *s, const uint8_t *d, uint32_t n)
{
	if (!message(a, s, d, n, true))
		app_event(a, APP_EV_KRB5_MALFORMED);
}

void krb5_feed(struct app_ctx *a, struct krb5_state *s, int dir, const uint8_t *d, uint32_t n)
{
	struct krb5_dir *dd = &s->dir[dir & 1];
	while (n && !dd->broken) {
		if (dd->mlen < 4) {
			dd->mark[dd->mlen++] = *d++;
			n--;
			if (dd->mlen == 4) {
				dd->need = (uint32_t)dd->mark[0] << 24 | (uint32_t)dd->mark[1] << 16 |
					   (uint32_t)dd->mark[2] << 8 | dd->mark[3];
				dd->need &= 0x7fffffff; /* (the top bit is reserved) */
				if (dd->need > KRB5_TCP_RECORD_MAX) {
					app_event(a, APP_EV_KRB5_MALFORMED);
					dd->broken = true;
					return;
				}
				dd->len = 0;
				if (!dd->need)
					dd->mlen = 0;
			}
			continue;
		}
		if (!dd->len && n >= dd->need) {
			/* whole here: read in place */
			if (!message(a, s, d, dd->need, false)) {
				app_event(a, APP_EV_KRB5_MALFORMED);
				dd->broken = true;
				return;
			}
			d += dd->need;
			n -= dd->need;
			dd->mlen = 0;
			continue;
		}
		if (!app_buf(a, &dd->buf, KRB5_TCP_RECORD_MAX))
			return;
		uint32_t k = MIN(n, dd->need - dd->len);
		memcpy(dd->buf + dd->len, d, k);
		dd->len += k;
		d += k;
		n -= k;
		if (dd->len == dd->need) {
			bool ok = message(a, s, dd->buf, dd->len, false);
			app_buf_free(a, &dd->buf, KRB5_TCP_RECORD_MAX);
			dd->mlen = 0;
			dd->len = 0;
			if (!ok) {
				app_event(a, APP_EV_KRB5_MALFORMED);
				dd->broken = true;
				return;
			}
		}
	}
}

void krb5_gap(struct app_ctx *a, struct krb5_state *s, int dir)
{
	struct krb5_dir *dd = &s->dir[dir & 1];
	app_buf_free(a, &dd->buf, KRB5_TCP_RECORD_MAX);
	dd->broken = true; /* (no record boundary to find again) */
}

void krb5_state_free(struct app_ctx *a, struct krb5_state *s)
{
	if (!s)
		return;
	for (int d = 0; d < 2; d++)
		app_buf_free(a, &s->dir[d].buf, KRB5_TCP_RECORD_MAX);
	v_free(s);
}

/* ---- the record ---- */

static void name_json(struct jbuf *jb, const char *key, const struct krb5_name *nm)
{
	if (nm->set)
		jb_strn(jb, key, (const uint8_t *)nm->s, nm->len);
	else
		jb_str(jb, key, "<empty>");
}

static void etype_json(struct jbuf *jb, const char *key, int32_t e)
{
	char num[16];
	const char *n = etype_name(e);
	if (!n) {
		snprintf(num, sizeof(num), "%d", e);
		n = num;
	}
	jb_str(jb, key, n);
}

void krb5_log_fields(struct jbuf *jb, const struct krb5_tx *t)
{
	char num[16];
	const char *mt = msg_name(t->msg_type);
	if (!mt) {
		snprintf(num, sizeof(num), "%u", t->msg_type);
		mt = num;
	}
	jb_str(jb, "msg_type", mt);
	if (t->has_error) {
		const char *rq = t->req_type ? msg_name(t->req_type) : NULL;
		jb_str(jb, "failed_request", rq ? rq : "UNKNOWN");
		const char *en = t->error_code >= 0 && (size_t)t->error_code < ARRAY_SIZE(err_names)
					 ? err_names[t->error_code] : NULL;
		if (!en) {
			snprintf(num, sizeof(num), "%d", t->error_code);
			en = num;
		}
		jb_str(jb, "error_code", en);
	}
	name_json(jb, "cname", &t->cname);
	if (t->has_realm)
		jb_strn(jb, "realm", (const uint8_t *)t->realm, t->realm_len);
	else
		jb_str(jb, "realm", "<empty>");
	name_json(jb, "sname", &t->sname);
	if (t->has_etype)
		etype_json(jb, "encryption", t->etype);
	else
		jb_str(jb, "encryption", "<none>");
	jb_bool(jb, "weak_encryption", t->has_etype && krb5_weak(t->etype));
	if (t->has_ticket_etype) {
		etype_json(jb, "ticket_encryption", t->ticket_etype);
		jb_bool(jb, "ticket_weak_encryption", krb5_weak(t->ticket_etype));
	}
}
