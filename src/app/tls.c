/*
 * tls.c - TLS (SSL 3.0 to TLS 1.3) handshakes for detection and eve.
 *
 * Each direction is read record by record (5-byte header, then the body
 * in whatever pieces the stream delivers).  Handshake records' bodies are
 * appended to a per-direction buffer from which whole handshake messages
 * are taken, so a message split across records or TCP segments, or
 * several messages in one record, parse the same.  Parsed: ClientHello
 * (SNI, offered versions, ALPN, JA3, JA4), ServerHello (negotiated version,
 * JA3S), Certificate (the chain; the leaf's subject, issuer, serial,
 * validity and SHA-1 fingerprint via OpenSSL), and the key exchange
 * messages (ssl_state).  A direction stops at ChangeCipherSpec or
 * application data: what follows is encrypted.  Limits: a handshake
 * message over 64 KiB, a record over 2^14 + 2048 bytes or an unknown
 * record type raise an event and stop the direction.  The certificate
 * chain is kept only until both directions are encrypted ("store-free").
 */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/x509.h>

#include "app_int.h"
#include "cursor.h"
#include "digest.h"
#include "json.h"
#include "util.h"

#define TLS_HS_MAX (64 * 1024)
#define TLS_REC_MAX (16384 + 2048)

static bool grease(uint16_t v)
{
	return (v & 0x0f0f) == 0x0a0a && (v >> 8) == (v & 0xff);
}

static const char hx[] = "0123456789abcdef";

#define TLS_STR_MAX 1024

/* Replaces *slot with a copy of s/n (memcap charged; NULL on failure). */
static void str_set(struct app_ctx *a, char **slot, uint16_t *len, const char *s, size_t n)
{
	if (*slot) {
		app_release(a, (uint64_t)*len + 1);
		v_free(*slot);
		*slot = NULL;
		*len = 0;
	}
	if (!n || !app_charge(a, n + 1))
		return;
	if (!(*slot = v_malloc(n + 1))) {
		app_release(a, n + 1);
		return;
	}
	memcpy(*slot, s, n);
	(*slot)[n] = '\0';
	*len = (uint16_t)n;
}

static void digest_hex(enum digest_alg alg, const void *s, size_t n, char *out, unsigned want)
{
	uint8_t d[32];
	if (!digest(alg, s, n, d)) {
		out[0] = '\0';
		return;
	}
	for (unsigned i = 0; i < want; i++)
		out[i] = hx[(d[i / 2] >> (i % 2 ? 0 : 4)) & 15];
	out[want] = '\0';
}

void hex_md5(const void *s, size_t n, char out[static 33])
{
	digest_hex(DIGEST_MD5, s, n, out, 32);
}

/* Appends "-n" (or "n" first) to a JA3 field. */
static void ja3_num(char *s, uint16_t *len, size_t cap, uint16_t v, bool *first)
{
	/* (by hand: snprintf was a third of a ClientHello's parsing) */
	char d[7];
	size_t n = sizeof(d);
	do
		d[--n] = (char)('0' + v % 10);
	while ((v /= 10));
	if (!*first)
		d[--n] = '-';
	*first = false;
	size_t k = sizeof(d) - n;
	if (k < cap - *len) {
		memcpy(s + *len, d + n, k);
		*len = (uint16_t)(*len + k);
		s[*len] = '\0';
	}
}

static void ja3_sep(char *s, uint16_t *len, size_t cap)
{
	if (*len + 1u < cap)
		s[(*len)++] = ',';
	s[*len] = '\0';
}

static int cmp_u16(const void *a, const void *b)
{
	return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* "0a0b,0c0d" of v[0..n) into out; returns the length. */
static size_t hex_list(const uint16_t *v, unsigned n, char *out, size_t cap)
{
	size_t o = 0;
	for (unsigned i = 0; i < n && o + 6 < cap; i++) {
		if (i)
			out[o++] = ',';
		out[o++] = hx[v[i] >> 12];
		out[o++] = hx[(v[i] >> 8) & 15];
		out[o++] = hx[(v[i] >> 4) & 15];
		out[o++] = hx[v[i] & 15];
	}
	out[o] = '\0';
	return o;
}

static void sha256_12(const char *s, size_t n, char out[13])
{
	if (!n) {
		memcpy(out, "000000000000", 13);
		return;
	}
	digest_hex(DIGEST_SHA256, s, n, out, 12);
}

#define HELLO_MAX_LIST 128

/* JA4 (FoxIO, BSD-3): t|q, version, d|i, cipher count, extension count,
 * ALPN first+last char; _ sha256(sorted ciphers)[:12]; _ sha256(sorted
 * extensions without SNI and ALPN, "_", signature algorithms)[:12]. */
static void ja4(char out[40], bool quic, uint16_t ver, bool sni, const uint16_t *ciph,
		unsigned nc, const uint16_t *ext, unsigned ne, const uint16_t *sig, unsigned ns,
		const uint8_t *alpn, uint8_t alpn_len)
{
	const char *vs = ver == 0x0304 ? "13" : ver == 0x0303 ? "12" : ver == 0x0302 ? "11"
			 : ver == 0x0301 ? "10" : ver == 0x0300 ? "s3" : ver == 0x0002 ? "s2" : "00";
	char a0 = '0', a1 = '0';
	if (alpn_len) {
		uint8_t f = alpn[0], l = alpn[alpn_len - 1];
		bool alnum = ((f | 32) >= 'a' && (f | 32) <= 'z') || (f >= '0' && f <= '9');
		bool alnum2 = ((l | 32) >= 'a' && (l | 32) <= 'z') || (l >= '0' && l <= '9');
		if (alnum && alnum2) {
			a0 = (char)f;
			a1 = (char)l;
		} else {
			a0 = hx[f >> 4];
			a1 = hx[l & 15];
		}
	}
	uint16_t sc[HELLO_MAX_LIST], se[HELLO_MAX_LIST];
	unsigned nse = 0;
	memcpy(sc, ciph, nc * sizeof(*sc));
	qsort(sc, nc, sizeof(*sc), cmp_u16);
	for (unsigned i = 0; i < ne; i++)
		if (ext[i] != 0 && ext[i] != 16)
			se[nse++] = ext[i];
	qsort(se, nse, sizeof(*se), cmp_u16);
	char buf[HELLO_MAX_LIST * 5 * 2 + 8], hb[13], hc[13];
	sha256_12(buf, hex_list(sc, nc, buf, sizeof(buf)), hb);
	size_t o = hex_list(se, nse, buf, sizeof(buf));
	/* the underscore even without signature algorithms (as Suricata
	 * 8.0.3 and the JA4 reference do) */
	if (o + 2 < sizeof(buf)) {
		buf[o++] = '_';
		o += hex_list(sig, ns, buf + o, sizeof(buf) - o);
	}
	if (!ne)
		o = 0;
	sha256_12(buf, o, hc);
	snprintf(out, 40, "%c%s%c%02u%02u%c%c_%s_%s", quic ? 'q' : 't', vs, sni ? 'd' : 'i',
		 MIN(nc, 99u), MIN(ne, 99u), a0, a1, hb, hc);
}

bool tls_parse_client_hello(struct app_ctx *a, const uint8_t *d, uint32_t n, bool quic,
			    const struct hello_out *o)
{
	struct cursor hs;
	cur_init(&hs, d, n);
	uint16_t legacy = cur_be16(&hs);
	if (o->random && cur_left(&hs) >= 32)
		memcpy(o->random, hs.p, 32);
	cur_skip(&hs, 32);                 /* random */
	cur_skip(&hs, cur_u8(&hs));        /* session id */
	struct cursor cs = cur_sub(&hs, cur_be16(&hs));
	cur_skip(&hs, cur_u8(&hs));        /* compression */
	if (hs.err)
		return false;
	*o->version = legacy;
	*o->sni_len = 0;
	*o->nalpn = 0;
	if (o->next)
		*o->next = 0;
	char *j = o->ja3;
	uint16_t jl = 0;
	size_t cap = o->ja3_cap;
	bool first = true;
	j[0] = '\0';
	uint16_t ciph[HELLO_MAX_LIST], ext[HELLO_MAX_LIST], sig[HELLO_MAX_LIST];
	unsigned nc = 0, ne = 0, ns = 0, nsni = 0;
	uint16_t best = 0;
	ja3_num(j, &jl, cap, legacy, &first);
	ja3_sep(j, &jl, cap);
	first = true;
	while (cur_left(&cs) >= 2) {
		uint16_t v = cur_be16(&cs);
		if (grease(v))
			continue;
		ja3_num(j, &jl, cap, v, &first);
		if (nc < HELLO_MAX_LIST)
			ciph[nc++] = v;
	}
	ja3_sep(j, &jl, cap);
	char groups[512] = "", fmts[128] = "";
	uint16_t gl = 0, fl = 0;
	bool gfirst = true, ffirst = true;
	first = true;
	struct cursor ext_c = cur_sub(&hs, cur_be16(&hs));
	for (unsigned i = 0; i < 128 && cur_left(&ext_c) >= 4; i++) {
		uint16_t type = cur_be16(&ext_c);
		struct cursor e = cur_sub(&ext_c, cur_be16(&ext_c));
		if (e.err)
			break;
		if (!grease(type)) {
			ja3_num(j, &jl, cap, type, &first);
			if (ne < HELLO_MAX_LIST)
				ext[ne++] = type;
		}
		if (o->ext && *o->next < 32)
			o->ext[(*o->next)++] = type;
		if (type == 0) { /* server_name: list len, type 0, name */
			if (++nsni == 2)
				app_event(a, APP_EV_TLS_MULTIPLE_SNI);
			cur_skip(&e, 2);
			if (cur_u8(&e) != 0) {
				app_event(a, APP_EV_TLS_INVALID_SNI);
				continue;
			}
			uint16_t l = cur_be16(&e);
			const uint8_t *name = cur_bytes(&e, l);
			if (name && nsni == 1) {
				uint16_t k = (uint16_t)MIN(l, o->sni_cap - 1);
				memcpy(o->sni, name, k);
				o->sni[k] = '\0';
				*o->sni_len = k;
			}
		} else if (type == 43) { /* supported_versions: the highest */
			uint8_t l = cur_u8(&e);
			for (unsigned k = 0; k + 2 <= l && cur_left(&e) >= 2; k += 2) {
				uint16_t v = cur_be16(&e);
				if (!grease(v) && v > best)
					best = v;
			}
		} else if (type == 10) { /* supported_groups */
			struct cursor g = cur_sub(&e, cur_be16(&e));
			while (cur_left(&g) >= 2) {
				uint16_t v = cur_be16(&g);
				if (!grease(v))
					ja3_num(groups, &gl, sizeof(groups), v, &gfirst);
			}
		} else if (type == 11) { /* ec_point_formats */
			struct cursor g = cur_sub(&e, cur_u8(&e));
			while (cur_left(&g) >= 1)
				ja3_num(fmts, &fl, sizeof(fmts), cur_u8(&g), &ffirst);
		} else if (type == 13) { /* signature_algorithms, in order */
			struct cursor g = cur_sub(&e, cur_be16(&e));
			while (cur_left(&g) >= 2 && ns < HELLO_MAX_LIST) {
				uint16_t v = cur_be16(&g);
				if (!grease(v))
					sig[ns++] = v;
			}
		} else if (type == 16) { /* ALPN: protocol name list */
			struct cursor g = cur_sub(&e, cur_be16(&e));
			while (cur_left(&g) >= 1 && *o->nalpn < TLS_MAX_ALPN) {
				uint8_t l = cur_u8(&g);
				const uint8_t *nm = cur_bytes(&g, l);
				if (!nm || !l)
					break;
				uint8_t k = (uint8_t)MIN(l, 31u);
				memcpy(o->alpn[*o->nalpn], nm, k);
				o->alpn[*o->nalpn][k] = '\0';
				o->alpn_len[(*o->nalpn)++] = k;
			}
		}
	}
	if (best > *o->version)
		*o->version = best;
	ja3_sep(j, &jl, cap);
	int k = snprintf(j + jl, cap - jl, "%s,%s", groups, fmts);
	if (k > 0 && (size_t)k < cap - jl)
		jl = (uint16_t)(jl + k);
	*o->ja3_len = jl;
	hex_md5(j, jl, o->ja3_hash);
	ja4(o->ja4, quic, best ? best : legacy, *o->sni_len > 0, ciph, nc, ext, ne, sig, ns,
	    *o->nalpn ? (const uint8_t *)o->alpn[0] : NULL, *o->nalpn ? o->alpn_len[0] : 0);
	return true;
}

/* ServerHello: negotiated version, JA3S (version,cipher,extensions). */
static bool server_hello(struct app_ctx *a, struct tls_info *t, const uint8_t *d, uint32_t n)
{
	struct cursor hs;
	cur_init(&hs, d, n);
	uint16_t legacy = cur_be16(&hs);
	if (cur_left(&hs) >= 32)
		memcpy(t->random[1], hs.p, 32);
	cur_skip(&hs, 32);
	cur_skip(&hs, cur_u8(&hs));
	uint16_t cipher = cur_be16(&hs);
	cur_skip(&hs, 1);
	if (hs.err)
		return false;
	t->sver = legacy;
	char j[512];
	uint16_t jl = 0;
	size_t cap = sizeof(j);
	bool first = true;
	j[0] = '\0';
	ja3_num(j, &jl, cap, legacy, &first);
	ja3_sep(j, &jl, cap);
	first = true;
	ja3_num(j, &jl, cap, cipher, &first);
	ja3_sep(j, &jl, cap);
	first = true;
	struct cursor ext = cur_sub(&hs, cur_be16(&hs));
	for (unsigned i = 0; i < 64 && cur_left(&ext) >= 4; i++) {
		uint16_t type = cur_be16(&ext);
		struct cursor e = cur_sub(&ext, cur_be16(&ext));
		if (e.err)
			break;
		ja3_num(j, &jl, cap, type, &first);
		if (type == 43 && cur_left(&e) >= 2) {
			t->sver = cur_be16(&e);
		} else if (type == 16) { /* ALPN: the one protocol chosen */
			struct cursor g = cur_sub(&e, cur_be16(&e));
			uint8_t l = cur_u8(&g);
			const uint8_t *nm = cur_bytes(&g, l);
			if (nm && l) {
				t->server_alpn_len = (uint8_t)MIN(l, sizeof(t->server_alpn) - 1);
				memcpy(t->server_alpn, nm, t->server_alpn_len);
				t->server_alpn[t->server_alpn_len] = '\0';
			}
		}
	}
	str_set(a, &t->ja3s, &t->ja3s_len, j, jl);
	hex_md5(j, jl, t->ja3s_hash);
	return true;
}

const char *tls_ext_name(uint16_t type)
{
	switch (type) {
	case 0: return "server_name";
	case 1: return "max_fragment_length";
	case 5: return "status_request";
	case 10: return "supported_groups";
	case 11: return "ec_point_formats";
	case 13: return "signature_algorithms";
	case 16: return "alpn";
	case 18: return "signed_certificate_timestamp";
	case 21: return "padding";
	case 22: return "encrypt_then_mac";
	case 23: return "extended_master_secret";
	case 27: return "compress_certificate";
	case 35: return "session_ticket";
	case 41: return "pre_shared_key";
	case 42: return "early_data";
	case 43: return "supported_versions";
	case 44: return "cookie";
	case 45: return "psk_key_exchange_modes";
	case 49: return "post_handshake_auth";
	case 50: return "signature_algorithms_cert";
	case 51: return "key_share";
	case 57: return "quic_transport_parameters";
	case 65281: return "renegotiation_info";
	}
	return NULL;
}

const char *tls_version_name(uint16_t v)
{
	switch (v) {
	case 0x0002: return "SSLv2";
	case 0x0300: return "SSLv3";
	case 0x0301: return "TLSv1"; /* Suricata's spelling */
	case 0x0302: return "TLS 1.1";
	case 0x0303: return "TLS 1.2";
	case 0x0304: return "TLS 1.3";
	}
	return "UNDETERMINED";
}

/* Appends what fits of d to out (o its length, NUL-terminated): a name
 * longer than cap is cut at cap - 1 bytes. */
static void name_put(char *out, size_t *o, size_t cap, const void *d, size_t n)
{
	size_t k = MIN(n, cap - 1 - *o);
	if (k)
		memcpy(out + *o, d, k);
	*o += k;
	out[*o] = '\0';
}

/* Appends attribute i of a name: ", " before all but the first, then
 * "SN=value". */
static void name_attr(char *out, size_t *o, size_t cap, unsigned i, const char *sn, const void *v,
		      size_t vl)
{
	name_put(out, o, cap, ", ", i ? 2 : 0);
	name_put(out, o, cap, sn, strlen(sn));
	name_put(out, o, cap, "=", 1);
	name_put(out, o, cap, v, vl);
}

/* Suricata's form of a name: "C=US, O=Example, CN=example.com", in DER
 * order, OpenSSL's short attribute names but "Email" for emailAddress. */
static uint16_t name_str(const X509_NAME *nm, char *out, size_t cap)
{
	size_t o = 0;
	out[0] = '\0';
	int cnt = X509_NAME_entry_count(nm);
	for (int i = 0; i < cnt; i++) {
		const X509_NAME_ENTRY *e = X509_NAME_get_entry(nm, i);
		int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(e));
		const char *sn = nid == NID_pkcs9_emailAddress ? "Email" : OBJ_nid2sn(nid);
		char oid[64];
		if (nid == NID_undef || !sn) {
			OBJ_obj2txt(oid, sizeof(oid), X509_NAME_ENTRY_get_object(e), 1);
			sn = oid;
		}
		unsigned char *v = NULL;
		int vl = ASN1_STRING_to_UTF8(&v, X509_NAME_ENTRY_get_data(e));
		/* the value's bytes, a NUL included */
		name_attr(out, &o, cap, (unsigned)i, sn, v, vl > 0 && v ? (size_t)vl : 0);
		OPENSSL_free(v);
	}
	return (uint16_t)o;
}

static void time_str(const ASN1_TIME *t, char out[20])
{
	struct tm tm;
	out[0] = '\0';
	if (t && ASN1_TIME_to_tm(t, &tm))
		strftime(out, 20, "%Y-%m-%dT%H:%M:%S", &tm);
}

/* "0A:1B:..." (upper) or "0a:1b:..." of d/n into out, cut to whole bytes
 * that fit; returns the length. */
static size_t hex_colons(const uint8_t *d, size_t n, bool upper, char *out, size_t cap)
{
	static const char HX[] = "0123456789ABCDEF";
	const char *h = upper ? HX : hx;
	size_t o = 0;
	for (size_t i = 0; i < n && o + (i ? 3 : 2) < cap; i++) {
		if (i)
			out[o++] = ':';
		out[o++] = h[d[i] >> 4];
		out[o++] = h[d[i] & 15];
	}
	out[o] = '\0';
	return o;
}

/* One DER element at c: its tag, and its whole encoding (tlv) and content
 * as cursors.  Definite lengths only (DER), at most 4 length bytes. */
static bool der_next(struct cursor *c, uint8_t *tag, struct cursor *tlv, struct cursor *val)
{
	const uint8_t *start = c->p;
	*tag = cur_u8(c);
	uint8_t l0 = cur_u8(c);
	size_t len = l0;
	if (l0 & 0x80) {
		unsigned nb = l0 & 0x7f;
		if (nb == 0 || nb > 4)
			return false;
		len = 0;
		for (unsigned i = 0; i < nb; i++)
			len = len << 8 | cur_u8(c);
	}
	*val = cur_sub(c, len);
	if (c->err || val->err)
		return false;
	cur_init(tlv, start, (size_t)(val->end - start));
	return true;
}

/* The attributes most names are made of, by their OIDs' bytes, with
 * OpenSSL's short names for them (looked up once): name_fast writes a
 * name of these, single-valued, ASCII, without decoding it into an
 * X509_NAME (which cost ~37,000 instructions a name, most of a
 * certificate's parsing). */
static const struct {
	uint8_t len;
	uint8_t oid[10];
} name_oids[] = {
	{ 3, { 0x55, 0x04, 0x03 } }, { 3, { 0x55, 0x04, 0x06 } }, { 3, { 0x55, 0x04, 0x07 } },
	{ 3, { 0x55, 0x04, 0x08 } }, { 3, { 0x55, 0x04, 0x0a } }, { 3, { 0x55, 0x04, 0x0b } },
	{ 3, { 0x55, 0x04, 0x05 } }, { 3, { 0x55, 0x04, 0x09 } }, { 3, { 0x55, 0x04, 0x0f } },
	{ 3, { 0x55, 0x04, 0x11 } }, { 3, { 0x55, 0x04, 0x2a } }, { 3, { 0x55, 0x04, 0x04 } },
	{ 3, { 0x55, 0x04, 0x0c } }, { 3, { 0x55, 0x04, 0x61 } },
	{ 9, { 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x01 } },         /* emailAddress */
	{ 10, { 0x09, 0x92, 0x26, 0x89, 0x93, 0xf2, 0x2c, 0x64, 0x01, 0x19 } }, /* DC */
};
static const char *name_sns[ARRAY_SIZE(name_oids)];
static pthread_once_t name_once = PTHREAD_ONCE_INIT;

static void name_sns_init(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(name_oids); i++) {
		unsigned char der[12] = { 0x06, name_oids[i].len };
		memcpy(der + 2, name_oids[i].oid, name_oids[i].len);
		const unsigned char *p = der;
		ASN1_OBJECT *o = d2i_ASN1_OBJECT(NULL, &p, name_oids[i].len + 2);
		int nid = o ? OBJ_obj2nid(o) : NID_undef;
		ASN1_OBJECT_free(o);
		name_sns[i] = nid == NID_pkcs9_emailAddress ? "Email"
			      : nid != NID_undef ? OBJ_nid2sn(nid) : NULL;
	}
}

/* name_str's text of the Name in tlv without OpenSSL, or false when it
 * has what only OpenSSL renders (another attribute, a multi-valued RDN,
 * a value that is not ASCII or not a UTF8/Printable/IA5 string). */
static bool name_fast(struct cursor tlv, char *out, size_t cap, uint16_t *n)
{
	pthread_once(&name_once, name_sns_init);
	struct cursor t, seq, set, atv, oid, val;
	uint8_t tag;
	if (!der_next(&tlv, &tag, &t, &seq) || tag != 0x30)
		return false;
	size_t o = 0;
	out[0] = '\0';
	for (unsigned i = 0; cur_left(&seq); i++) {
		if (!der_next(&seq, &tag, &t, &set) || tag != 0x31 || !der_next(&set, &tag, &t, &atv) ||
		    tag != 0x30 || cur_left(&set) || !der_next(&atv, &tag, &t, &oid) || tag != 0x06 ||
		    !der_next(&atv, &tag, &t, &val) || cur_left(&atv) ||
		    (tag != 0x0c && tag != 0x13 && tag != 0x16))
			return false;
		const char *sn = NULL;
		for (size_t k = 0; k < ARRAY_SIZE(name_oids) && !sn; k++)
			if (cur_left(&oid) == name_oids[k].len &&
			    !memcmp(oid.p, name_oids[k].oid, name_oids[k].len))
				sn = name_sns[k];
		if (!sn)
			return false;
		size_t vl = cur_left(&val);
		for (size_t k = 0; k < vl; k++)
			if (!val.p[k] || val.p[k] >= 0x80)
				return false;
		name_attr(out, &o, cap, i, sn, val.p, vl);
	}
	*n = (uint16_t)o;
	return true;
}

bool tls_name_text(const uint8_t *der, size_t dlen, bool fast, char *out, size_t cap, uint16_t *n)
{
	struct cursor tlv;
	cur_init(&tlv, der, dlen);
	if (fast && name_fast(tlv, out, cap, n))
		return true;
	const unsigned char *p = der;
	X509_NAME *nm = d2i_X509_NAME(NULL, &p, (long)dlen);
	if (!nm)
		return false;
	*n = name_str(nm, out, cap);
	X509_NAME_free(nm);
	return true;
}

static bool name_of(struct app_ctx *a, struct cursor tlv, char **slot, uint16_t *len)
{
	char buf[TLS_STR_MAX];
	uint16_t n;
	if (!tls_name_text(tlv.p, cur_left(&tlv), true, buf, sizeof(buf), &n))
		return false;
	str_set(a, slot, len, buf, n);
	return true;
}

static void time_of(struct cursor tlv, char out[20])
{
	const unsigned char *p = tlv.p;
	ASN1_TIME *t = d2i_ASN1_TIME(NULL, &p, (long)cur_left(&tlv));
	time_str(t, out);
	ASN1_TIME_free(t);
}

/* subjectAltName's DNS names from the rest of a TBSCertificate (after the
 * subject): subjectPublicKeyInfo, [1], [2], then [3] { Extension* } where
 * the SAN extension (2.5.29.17) holds GeneralNames with dNSName [2]. */
static void san_of(struct app_ctx *a, struct tls_info *t, struct cursor tbs)
{
	static const uint8_t san_oid[] = { 0x55, 0x1d, 0x11 };
	struct cursor tlv, v, exts;
	uint8_t tag;
	bool found = false;
	while (!found && der_next(&tbs, &tag, &tlv, &v))
		if (tag == 0xa3)
			found = der_next(&v, &tag, &tlv, &exts) && tag == 0x30;
	if (!found)
		return;
	char names[TLS_STR_MAX];
	size_t o = 0;
	uint8_t n = 0;
	struct cursor ext;
	while (der_next(&exts, &tag, &tlv, &ext)) {
		struct cursor oid, val;
		if (tag != 0x30 || !der_next(&ext, &tag, &tlv, &oid) || tag != 0x06 ||
		    cur_left(&oid) != sizeof(san_oid) || memcmp(oid.p, san_oid, sizeof(san_oid)))
			continue;
		if (!der_next(&ext, &tag, &tlv, &val))
			break;
		if (tag == 0x01 && !der_next(&ext, &tag, &tlv, &val)) /* critical */
			break;
		struct cursor gns, gn;
		if (tag != 0x04 || !der_next(&val, &tag, &tlv, &gns) || tag != 0x30)
			break;
		while (der_next(&gns, &tag, &tlv, &gn) && n < TLS_MAX_SAN) {
			size_t l = cur_left(&gn);
			if (tag != 0x82 || !l || o + l + 1 > sizeof(names))
				continue;
			memcpy(names + o, gn.p, l);
			o += l;
			names[o++] = '\0';
			n++;
		}
		break;
	}
	str_set(a, &t->san, &t->san_len, names, o);
	t->nsan = t->san ? n : 0;
}

/* The leaf certificate's fields.  The TBSCertificate is walked here and
 * only its names and times are handed to OpenSSL: d2i_X509 would also
 * decode the public key, through OpenSSL 3's provider decoders, which
 * cost more than the rest of the TLS parsing together. */
static bool leaf_fields(struct app_ctx *a, struct tls_info *t, const uint8_t *der, uint32_t len)
{
	struct cursor c, tlv, cert, tbs, v;
	uint8_t tag;
	cur_init(&c, der, len);
	if (!der_next(&c, &tag, &tlv, &cert) || tag != 0x30 ||
	    !der_next(&cert, &tag, &tlv, &tbs) || tag != 0x30)
		return false;
	if (!der_next(&tbs, &tag, &tlv, &v))
		return false;
	if (tag == 0xa0 && !der_next(&tbs, &tag, &tlv, &v)) /* [0] version */
		return false;
	if (tag != 0x02) /* serialNumber */
		return false;
	struct cursor serial = v;
	struct cursor issuer, subject, validity;
	if (!der_next(&tbs, &tag, &tlv, &v) || tag != 0x30 ||          /* signature */
	    !der_next(&tbs, &tag, &issuer, &v) || tag != 0x30 ||
	    !der_next(&tbs, &tag, &tlv, &validity) || tag != 0x30 ||
	    !der_next(&tbs, &tag, &subject, &v) || tag != 0x30)
		return false;
	if (!name_of(a, subject, &t->subject, &t->subject_len) ||
	    !name_of(a, issuer, &t->issuer, &t->issuer_len))
		return false;
	san_of(a, t, tbs);
	struct cursor nb, na;
	if (der_next(&validity, &tag, &nb, &v) && der_next(&validity, &tag, &na, &v)) {
		time_of(nb, t->notbefore);
		time_of(na, t->notafter);
	}
	t->serial_len = (uint16_t)hex_colons(serial.p, cur_left(&serial), true, t->serial,
					     sizeof(t->serial));
	uint8_t md[20];
	t->fingerprint[0] = '\0';
	if (digest(DIGEST_SHA1, der, len, md))
		hex_colons(md, sizeof(md), false, t->fingerprint, sizeof(t->fingerprint));
	return true;
}

static void chain_free(struct app_ctx *a, struct tls_info *t)
{
	if (t->chain) {
		app_release(a, t->chain_size);
		v_free(t->chain);
		t->chain = NULL;
		t->chain_size = 0;
	}
	t->ncerts = 0;
	t->chain_len = 0;
}

/* Certificate (TLS 1.2 and below): certificate_list<3>, each cert<3>. */
static void certificate(struct app_ctx *a, struct tls_info *t, const uint8_t *d, uint32_t n)
{
	struct cursor c;
	cur_init(&c, d, n);
	struct cursor list = cur_sub(&c, cur_be24(&c));
	if (c.err) {
		app_event(a, APP_EV_TLS_INVALID_CERT);
		return;
	}
	chain_free(a, t);
	if (!app_charge(a, n))
		return;
	t->chain = v_malloc(n ? n : 1);
	if (!t->chain) {
		app_release(a, n);
		return;
	}
	t->chain_size = n;
	memcpy(t->chain, d, n);
	while (cur_left(&list) && t->ncerts < TLS_MAX_CERTS) {
		uint32_t l = cur_be24(&list);
		const uint8_t *der = cur_bytes(&list, l);
		if (!der || !l) {
			app_event(a, APP_EV_TLS_INVALID_CERT);
			break;
		}
		t->cert_off[t->ncerts] = (uint32_t)(der - d);
		t->cert_len[t->ncerts] = l;
		if (t->ncerts == 0 && !leaf_fields(a, t, der, l))
			app_event(a, APP_EV_TLS_CERT_INVALID_DER);
		t->ncerts++;
	}
	/* tls.cert_chain_len counts them all, kept or not */
	t->chain_len = t->ncerts;
	while (t->ncerts == TLS_MAX_CERTS && cur_left(&list) >= 3 && t->chain_len < UINT16_MAX) {
		uint32_t l = cur_be24(&list);
		if (!l || !cur_bytes(&list, l))
			break;
		t->chain_len++;
	}
	if (!t->ncerts)
		chain_free(a, t);
}

static void handshake_msg(struct app_ctx *a, struct tls_info *t, int dir, uint8_t type,
			  const uint8_t *d, uint32_t n)
{
	uint8_t st = 0;
	if (type == 1 && dir == 0 && (t->state & TLS_ST_CLIENT_HELLO)) {
		/* a repeated ClientHello (after a HelloRetryRequest, or a
		 * duplicate): the first one's fields stand */
	} else if (type == 1 && dir == 0) {
		char j3[TLS_STR_MAX];
		uint16_t j3l = 0;
		struct hello_out o = { t->sni, &t->sni_len, sizeof(t->sni), j3, &j3l,
				       sizeof(j3), t->ja3_hash, t->ja4, &t->cver, &t->nalpn,
				       t->alpn_len, t->alpn, NULL, NULL, t->random[0] };
		if (tls_parse_client_hello(a, d, n, false, &o)) {
			st = TLS_ST_CLIENT_HELLO;
			str_set(a, &t->ja3, &t->ja3_len, j3, j3l);
		} else {
			app_event(a, APP_EV_TLS_INVALID_HANDSHAKE);
		}
	} else if (type == 2 && dir == 1) {
		if (server_hello(a, t, d, n))
			st = TLS_ST_SERVER_HELLO;
		else
			app_event(a, APP_EV_TLS_INVALID_HANDSHAKE);
	} else if (type == 11 && dir == 1) {
		certificate(a, t, d, n);
		st = TLS_ST_CERT;
	} else if (type == 12) {
		st = TLS_ST_SERVER_KEYX;
	} else if (type == 16) {
		st = TLS_ST_CLIENT_KEYX;
	} else if (type == 14) {
		if (!t->logged)
			a->tx.tls_log = true; /* ServerHelloDone: the server's flight is complete */
	} else if (type != 0 && type != 4 && type != 13 && type != 15 && type != 20) {
		/* neither hello, certificate, key exchange, nor the usual others
		 * (hello request, ticket, certificate request/verify, finished) */
		st = TLS_ST_UNKNOWN;
	}
	t->state |= st;
	a->tx.tls_new |= st;
}

/* Takes whole handshake messages from the front of the buffer. */
static void handshake_drain(struct app_ctx *a, struct tls_state *s, int dir)
{
	struct tls_dir *td = &s->dir[dir];
	uint32_t off = 0;
	while (td->hs_len - off >= 4 && !td->done) {
		const uint8_t *m = td->hs + off;
		uint32_t ml = (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
		if (ml > TLS_HS_MAX - 4) {
			app_event(a, APP_EV_TLS_INVALID_HANDSHAKE);
			td->done = true;
			break;
		}
		if (td->hs_len - off < 4 + ml)
			break;
		handshake_msg(a, &s->info, dir, m[0], m + 4, ml);
		off += 4 + ml;
	}
	if (off) {
		memmove(td->hs, td->hs + off, td->hs_len - off);
		td->hs_len -= off;
	}
}

static void hs_append(struct app_ctx *a, struct tls_state *s, int dir, const uint8_t *d,
		      uint32_t n)
{
	struct tls_dir *td = &s->dir[dir];
	if (!n)
		return; /* an empty handshake record */
	if (td->hs_len + n > TLS_HS_MAX) {
		app_event(a, APP_EV_TLS_INVALID_HANDSHAKE);
		td->done = true;
		return;
	}
	if (td->hs_len + n > td->hs_cap) {
		uint32_t cap = td->hs_cap ? td->hs_cap : 2048;
		while (cap < td->hs_len + n)
			cap *= 2;
		cap = MIN(cap, (uint32_t)TLS_HS_MAX);
		if (!app_charge(a, cap - td->hs_cap)) {
			td->done = true;
			return;
		}
		uint8_t *nb = v_realloc(td->hs, cap);
		if (!nb) {
			app_release(a, cap - td->hs_cap);
			td->done = true;
			return;
		}
		td->hs = nb;
		td->hs_cap = cap;
	}
	memcpy(td->hs + td->hs_len, d, n);
	td->hs_len += n;
	handshake_drain(a, s, dir);
	if (!td->hs_len && td->hs) {
		/* nothing partial left: the buffer goes until the next record */
		app_release(a, td->hs_cap);
		v_free(td->hs);
		td->hs = NULL;
		td->hs_cap = 0;
	}
}

/* Direction dir encrypts from here; both: the session is encrypted
 * (encryption-handling bypass acts on it). */
static void enc_begin(struct app_ctx *a, struct tls_state *s, int dir)
{
	s->dir[dir].enc = true;
	if (s->dir[0].enc && s->dir[1].enc && !s->encrypted) {
		s->encrypted = true;
		a->tx.encrypted = true;
	}
}

static void dir_end(struct app_ctx *a, struct tls_state *s, int dir)
{
	struct tls_dir *td = &s->dir[dir];
	td->done = true;
	if (td->hs)
		app_release(a, td->hs_cap);
	v_free(td->hs);
	td->hs = NULL;
	td->hs_len = td->hs_cap = 0;
	if (dir == 1 && !s->info.logged && (s->info.state & TLS_ST_CLIENT_HELLO))
		a->tx.tls_log = true;
}

void tls_feed(struct app_ctx *a, struct tls_state *s, int dir, const uint8_t *d, uint32_t n)
{
	struct tls_dir *td = &s->dir[dir];
	a->tx.tls = &s->info;
	/* the chain goes once both sides are encrypted and no rule can still
	 * be looking at it (it was exposed on an earlier packet) */
	if (s->info.chain && s->dir[0].done && s->dir[1].done && !(a->tx.tls_new & TLS_ST_CERT))
		chain_free(a, &s->info);
	/* an SSLv2-format ClientHello (2-byte header with the top bit set, type
	 * 1), as old clients send before upgrading to TLS: skipped, its version
	 * noted */
	if (dir == 0 && !s->info.state && !td->hdr_len && !td->rec_left && n >= 5 &&
	    (d[0] & 0x80) && d[2] == 1) {
		s->info.cver = (uint16_t)(d[3] << 8 | d[4]);
		s->info.rec_ver = 0x0002;
		s->info.state |= TLS_ST_CLIENT_HELLO;
		a->tx.tls_new |= TLS_ST_CLIENT_HELLO;
		td->rec_type = 0xff;
		td->rec_left = (uint32_t)(d[0] & 0x7f) << 8 | d[1];
		td->hdr_len = 5; /* the header is in */
		d += 2;
		n -= 2;
	}
	while (n && !td->done) {
		if (td->hdr_len < 5) {
			uint32_t k = MIN(n, 5u - td->hdr_len);
			memcpy(td->hdr + td->hdr_len, d, k);
			td->hdr_len = (uint8_t)(td->hdr_len + k);
			d += k;
			n -= k;
			if (td->hdr_len < 5)
				return;
			td->rec_type = td->hdr[0];
			td->rec_left = (uint32_t)td->hdr[3] << 8 | td->hdr[4];
			if (td->rec_type < 20 || td->rec_type > 24 || td->hdr[1] != 3) {
				app_event(a, APP_EV_TLS_INVALID_RECORD_TYPE);
				app_parser_error(a, CNT_APP_ERR_TLS);
				dir_end(a, s, dir);
				return;
			}
			if (td->rec_left > TLS_REC_MAX) {
				app_event(a, APP_EV_TLS_INVALID_RECORD_LEN);
				app_parser_error(a, CNT_APP_ERR_TLS);
				dir_end(a, s, dir);
				return;
			}
			if (!s->info.rec_ver)
				s->info.rec_ver = (uint16_t)(td->hdr[1] << 8 | td->hdr[2]);
			if (td->rec_type == 23) { /* application data: encrypted from here */
				enc_begin(a, s, dir);
				dir_end(a, s, dir);
				return;
			}
		}
		uint32_t k = MIN(n, td->rec_left);
		if (td->rec_type == 22)
			hs_append(a, s, dir, d, k);
		d += k;
		n -= k;
		td->rec_left -= k;
		if (!td->rec_left) {
			td->hdr_len = 0;
			if (td->rec_type == 20) { /* ChangeCipherSpec */
				enc_begin(a, s, dir);
				dir_end(a, s, dir);
			}
		}
	}
}

void tls_state_free(struct app_ctx *a, struct tls_state *s)
{
	for (int d = 0; d < 2; d++)
		if (s->dir[d].hs) {
			app_release(a, s->dir[d].hs_cap);
			v_free(s->dir[d].hs);
		}
	chain_free(a, &s->info);
	struct tls_info *t = &s->info;
	str_set(a, &t->ja3, &t->ja3_len, NULL, 0);
	str_set(a, &t->ja3s, &t->ja3s_len, NULL, 0);
	str_set(a, &t->subject, &t->subject_len, NULL, 0);
	str_set(a, &t->issuer, &t->issuer_len, NULL, 0);
	str_set(a, &t->san, &t->san_len, NULL, 0);
	v_free(s);
}

/* ---- the tls record ---- */

/* The tls object's fields (tls records and alerts). */
void tls_log_fields(struct jbuf *jb, const struct tls_info *t)
{
	if (t->subject)
		jb_strn(jb, "subject", (const uint8_t *)t->subject, t->subject_len);
	if (t->issuer)
		jb_strn(jb, "issuerdn", (const uint8_t *)t->issuer, t->issuer_len);
	if (t->serial_len)
		jb_str(jb, "serial", t->serial);
	if (t->fingerprint[0])
		jb_str(jb, "fingerprint", t->fingerprint);
	if (t->sni_len)
		jb_strn(jb, "sni", (const uint8_t *)t->sni, t->sni_len);
	jb_str(jb, "version", tls_version_name((t->state & TLS_ST_SERVER_HELLO) ? t->sver
									      : t->cver));
	if (t->notbefore[0])
		jb_str(jb, "notbefore", t->notbefore);
	if (t->notafter[0])
		jb_str(jb, "notafter", t->notafter);
	if (t->ja3_hash[0])
		app_log_hash(jb, "ja3", t->ja3_hash, t->ja3, t->ja3_len);
	if ((t->state & TLS_ST_SERVER_HELLO) && t->ja3s_hash[0])
		app_log_hash(jb, "ja3s", t->ja3s_hash, t->ja3s, t->ja3s_len);
	if (t->ja4[0])
		jb_str(jb, "ja4", t->ja4);
	app_log_alpns(jb, "client_alpns", t->nalpn, t->alpn_len, t->alpn);
	if (t->nsan && t->san) {
		jb_open_array(jb, "subjectaltname");
		const char *sp = t->san, *se = t->san + t->san_len;
		for (unsigned i = 0; i < t->nsan && sp < se; i++) {
			size_t l = strnlen(sp, (size_t)(se - sp));
			jb_strn(jb, NULL, (const uint8_t *)sp, l);
			sp += l + 1;
		}
		jb_close(jb);
	}
	if (t->server_alpn_len) {
		jb_open_array(jb, "server_alpns");
		jb_strn(jb, NULL, (const uint8_t *)t->server_alpn, t->server_alpn_len);
		jb_close(jb);
	}
}

