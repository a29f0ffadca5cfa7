/*
 * ike.c - IKE (ISAKMP, RFC 2408/2409: IKEv1; RFC 7296: IKEv2) over UDP
 * ports 500 and 4500, as Suricata 8 reads, logs and matches it.
 *
 * Every message is a transaction of its own, written as an ike record
 * when it arrives.  Both versions share the 28-byte header:
 *
 *    0                   1                   2                   3
 *   +-------------------------------+-------------------------------+
 *   |                 Initiator SPI (8 octets)                      |
 *   |                 Responder SPI (8 octets)                      |
 *   +---------------+-------+-------+---------------+---------------+
 *   | Next Payload  | MjVer | MnVer | Exchange Type |     Flags     |
 *   +---------------+-------+-------+---------------+---------------+
 *   |                          Message ID                           |
 *   |                            Length                             |
 *   +---------------------------------------------------------------+
 *
 * then a chain of payloads, each {next payload, reserved/critical,
 * length (with these 4 octets)}; on port 4500 a message follows a 4-octet
 * zero non-ESP marker (RFC 3948; without it the datagram is ESP).
 *
 * IKEv1 (unless its payloads are encrypted): the SA's proposals and their
 * transforms (with their attributes), the key exchange, the nonce and the
 * vendor ids.  The flow keeps what each side sent last (key exchange,
 * nonce, the first transform since its last SA) for the records, as
 * Suricata does: a record shows the responder's chosen transform as
 * alg_enc, alg_hash, ... and both sides' key exchange and nonce.  IKEv2:
 * the payload chain (all of it or nothing, as Suricata's ipsec-parser),
 * the SA proposals (with Suricata's checks for weak or invalid
 * transforms as events), notify types.
 *
 * Trade-off: what a message holds is kept in fixed arrays (IKE_* limits in
 * app.h: 8 IKEv1 transforms of 16 attributes, 8 vendor ids, 1 KiB of key
 * exchange); more is counted, not kept.  The state is about 12 KiB per
 * flow, charged to the app-layer memcap.
 */
#include <stdio.h>
#include <string.h>

#include "app_int.h"
#include "cursor.h"
#include "json.h"
#include "util.h"

#define IKE_HDR_LEN 28
#define IKE_V1_DEPTH 4            /* SA > proposal > transform, and one spare */
#define IKE_V2_MAX_PAYLOADS 64    /* payloads read of one IKEv2 message */
#define IKE_V2_MAX_PROPOSALS 64   /* proposals read of one SA payload */

struct ike_hdr {
	uint64_t init_spi, resp_spi;
	uint8_t next, maj, min, exch, flags;
	uint32_t msg_id, length;
};

static bool read_hdr(struct cursor *c, struct ike_hdr *h)
{
	h->init_spi = (uint64_t)cur_be32(c) << 32;
	h->init_spi |= cur_be32(c);
	h->resp_spi = (uint64_t)cur_be32(c) << 32;
	h->resp_spi |= cur_be32(c);
	h->next = cur_u8(c);
	uint8_t v = cur_u8(c);
	h->maj = v >> 4;
	h->min = v & 15;
	h->exch = cur_u8(c);
	h->flags = cur_u8(c);
	h->msg_id = cur_be32(c);
	h->length = cur_be32(c);
	return !c->err;
}

/* Suricata's probe: an IKEv1 header, or an IKEv2 one of version 2.0, an
 * IKEv2 exchange (34 to 37) and the datagram's length. */
bool ike_probe(const uint8_t *d, uint32_t n, bool nat_t)
{
	struct cursor c;
	struct ike_hdr h;
	cur_init(&c, d, n);
	if (nat_t) {
		if (cur_be32(&c) != 0 || c.err)
			return false;
		n -= 4;
	}
	if (n < IKE_HDR_LEN || !read_hdr(&c, &h))
		return false;
	if (h.maj == 1)
		return true;
	return h.maj == 2 && h.min == 0 && h.exch >= 34 && h.exch <= 37 && h.length == n;
}

/* ---- names ---- */

static const char *const attr_names[17] = {
	"unknown", "alg_enc", "alg_hash", "alg_auth", "alg_dh", "sa_group_type",
	"sa_group_prime", "sa_group_generator_one", "sa_group_generator_two",
	"sa_group_curve_a", "sa_group_curve_b", "sa_life_type", "sa_life_duration",
	"alg_prf", "sa_key_length", "sa_field_size", "sa_group_order",
};

int ike_attr_lookup(const char *name)
{
	for (int i = 1; i < 17; i++)
		if (!strcmp(attr_names[i], name))
			return i;
	return 0;
}

static const char *attr_value_name(uint8_t type, uint16_t v)
{
	static const char *const enc[] = { NULL, "EncDesCbc", "EncIdeaCbc", "EncBlowfishCbc",
		"EncRc5R16B64Cbc", "EncTripleDesCbc", "EncCastCbc", "EncAesCbc", "EncCamelliaCbc" };
	static const char *const hash[] = { NULL, "HashMd5", "HashSha", "HashTiger", "HashSha2_256",
		"HashSha2_384", "HashSha2_512" };
	static const char *const auth[] = { NULL, "AuthPreSharedKey", "AuthDssSignatures",
		"AuthRsaSignatures", "AuthEncryptionWithRsa", "AuthRevisedEncryptionWithRsa",
		"AuthReserved", "AuthReserved", "AuthReserved", "AuthEcdsaSha256", "AuthEcdsaSha384",
		"AuthEcdsaSha512" };
	static const char *const group[] = { NULL, "GroupDefault768BitModp",
		"GroupAlternate1024BitModpGroup", "GroupEc2nOnGp2p155", "GroupEc2nOnGp2p185",
		"GroupModp1536Bit", "GroupEc2nOverGf2p163", "GroupEc2nOverGf2p163",
		"GroupEc2nOverGf2p283", "GroupEc2nOverGf2p283", "GroupEc2nOverGf2p409",
		"GroupEc2nOverGf2p409", "GroupEc2nOverGf2p571", "GroupEc2nOverGf2p571",
		"GroupModp2048Bit", "GroupModp3072Bit", "GroupModp4096Bit", "GroupModp6144Bit",
		"GroupModp8192Bit", "GroupRandomEcp256", "GroupRandomEcp384", "GroupRandomEcp521",
		"GroupModp1024With160BitPrime", "GroupModp2048With224BitPrime",
		"GroupModp2048With256BitPrime", "GroupRandomEcp192", "GroupRandomEcp224",
		"GroupBrainpoolEcp224", "GroupBrainpoolEcp256", "GroupBrainpoolEcp384",
		"GroupBrainpoolEcp512" };
	const char *n = NULL;
	switch (type) {
	case 1: n = v < ARRAY_SIZE(enc) ? enc[v] : NULL; break;
	case 2: n = v < ARRAY_SIZE(hash) ? hash[v] : NULL; break;
	case 3: n = v < ARRAY_SIZE(auth) ? auth[v] : NULL; break;
	case 4: n = v < ARRAY_SIZE(group) ? group[v] : NULL; break;
	case 11: n = v == 1 ? "LifeTypeSeconds" : v == 2 ? "LifeTypeKilobytes" : NULL; break;
	}
	return n ? n : "Unknown";
}

static const char *v1_payload_name(uint8_t t)
{
	static const char *const names[23] = { "None", "SecurityAssociation", "Proposal",
		"Transform", "KeyExchange", "Identification", "Certificate", "CertificateRequest",
		"Hash", "Signature", "Nonce", "Notification", "Delete", "VendorID", NULL,
		"SaKekPayload", "SaTekPayload", "KeyDownload", "SequenceNumber",
		"ProofOfPossession", "NatDiscovery", "NatOriginalAddress", "GroupAssociatedPolicy" };
	return t < ARRAY_SIZE(names) ? names[t] : NULL;
}

static const char *v2_payload_name(uint8_t t, char buf[static 32])
{
	static const char *const names[16] = { "SecurityAssociation", "KeyExchange",
		"IdentInitiator", "IdentResponder", "Certificate", "CertificateRequest",
		"Authentication", "Nonce", "Notify", "Delete", "VendorID",
		"TrafficSelectorInitiator", "TrafficSelectorResponder", "EncryptedAndAuthenticated",
		"Configuration", "ExtensibleAuthentication" };
	if (t == 0)
		return "NoNextPayload";
	if (t >= 33 && t <= 48)
		return names[t - 33];
	snprintf(buf, 32, "IkePayloadType(%u)", t);
	return buf;
}

/* ipsec-parser's names of IKEv2 transform ids (Rust Debug of its
 * newtype enums: the name, or "Type(n / 0xn)") */
static const char *v2_xform_name(uint8_t type, uint16_t id, char buf[static 48])
{
	static const char *const enc[29] = { NULL, "ENCR_DES_IV64", "ENCR_DES", "ENCR_3DES",
		"ENCR_RC5", "ENCR_IDEA", "ENCR_CAST", "ENCR_BLOWFISH", "ENCR_3IDEA", "ENCR_DES_IV32",
		NULL, "ENCR_NULL", "ENCR_AES_CBC", "ENCR_AES_CTR", "ENCR_AES_CCM_8", "ENCR_AES_CCM_12",
		"ENCR_AES_CCM_16", NULL, "ENCR_AES_GCM_8", "ENCR_AES_GCM_12", "ENCR_AES_GCM_16",
		"ENCR_NULL_AUTH_AES_GMAC", NULL, "ENCR_CAMELLIA_CBC", "ENCR_CAMELLIA_CTR",
		"ENCR_CAMELLIA_CCM_8", "ENCR_CAMELLIA_CCM_12", "ENCR_CAMELLIA_CCM_16",
		"ENCR_CHACHA20_POLY1305" };
	static const char *const prf[9] = { "PRF_NULL", "PRF_HMAC_MD5", "PRF_HMAC_SHA1",
		"PRF_HMAC_TIGER", "PRF_AES128_XCBC", "PRF_HMAC_SHA2_256", "PRF_HMAC_SHA2_384",
		"PRF_HMAC_SHA2_512", "PRF_AES128_CMAC" };
	static const char *const auth[15] = { "NONE", "AUTH_HMAC_MD5_96", "AUTH_HMAC_SHA1_96",
		"AUTH_DES_MAC", "AUTH_KPDK_MD5", "AUTH_AES_XCBC_96", "AUTH_HMAC_MD5_128",
		"AUTH_HMAC_SHA1_160", "AUTH_AES_CMAC_96", "AUTH_AES_128_GMAC", "AUTH_AES_192_GMAC",
		"AUTH_AES_256_GMAC", "AUTH_HMAC_SHA2_256_128", "AUTH_HMAC_SHA2_384_192",
		"AUTH_HMAC_SHA2_512_256" };
	static const char *const dh[33] = { "None", "Modp768", "Modp1024", NULL, NULL, "Modp1536",
		NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "Modp2048", "Modp3072", "Modp4096",
		"Modp6144", "Modp8192", "Ecp256", "Ecp384", "Ecp521", "Modp1024s160", "Modp2048s224",
		"Modp2048s256", "Ecp192", "Ecp224", "BrainpoolP224r1", "BrainpoolP256r1",
		"BrainpoolP384r1", "BrainpoolP512r1", "Curve25519", "Curve448" };
	static const char *const esn[2] = { "NoESN", "ESN" };
	static const char *const tname[6] = { "", "IkeTransformEncType", "IkeTransformPRFType",
		"IkeTransformAuthType", "IkeTransformDHType", "IkeTransformESNType" };
	const char *n = NULL;
	switch (type) {
	case 1: n = id < ARRAY_SIZE(enc) ? enc[id] : NULL; break;
	case 2: n = id < ARRAY_SIZE(prf) ? prf[id] : NULL; break;
	case 3: n = id < ARRAY_SIZE(auth) ? auth[id] : NULL; break;
	case 4: n = id < ARRAY_SIZE(dh) ? dh[id] : NULL; break;
	case 5: n = id < ARRAY_SIZE(esn) ? esn[id] : NULL; break;
	}
	if (n)
		return n;
	snprintf(buf, 48, "%s(%u / 0x%x)", type >= 1 && type <= 5 ? tname[type] : "Transform", id, id);
	return buf;
}

static const char *notify_name(uint16_t t, char buf[static 32])
{
	static const struct { uint16_t v; const char *n; } names[] = {
		{ 1, "UNSUPPORTED_CRITICAL_PAYLOAD" }, { 4, "INVALID_IKE_SPI" },
		{ 5, "INVALID_MAJOR_VERSION" }, { 7, "INVALID_SYNTAX" }, { 9, "INVALID_MESSAGE_ID" },
		{ 11, "INVALID_SPI" }, { 14, "NO_PROPOSAL_CHOSEN" }, { 17, "INVALID_KE_PAYLOAD" },
		{ 24, "AUTHENTICATION_FAILED" }, { 34, "SINGLE_PAIR_REQUIRED" },
		{ 35, "NO_ADDITIONAL_SAS" }, { 36, "INTERNAL_ADDRESS_FAILURE" },
		{ 37, "FAILED_CP_REQUIRED" }, { 38, "TS_UNACCEPTABLE" }, { 39, "INVALID_SELECTORS" },
		{ 43, "TEMPORARY_FAILURE" }, { 44, "CHILD_SA_NOT_FOUND" },
		{ 16384, "INITIAL_CONTACT" }, { 16385, "SET_WINDOW_SIZE" },
		{ 16386, "ADDITIONAL_TS_POSSIBLE" }, { 16387, "IPCOMP_SUPPORTED" },
		{ 16388, "NAT_DETECTION_SOURCE_IP" }, { 16389, "NAT_DETECTION_DESTINATION_IP" },
		{ 16390, "COOKIE" }, { 16391, "USE_TRANSPORT_MODE" },
		{ 16392, "HTTP_CERT_LOOKUP_SUPPORTED" }, { 16393, "REKEY_SA" },
		{ 16394, "ESP_TFC_PADDING_NOT_SUPPORTED" }, { 16395, "NON_FIRST_FRAGMENTS_ALSO" },
		{ 16404, "MULTIPLE_AUTH_SUPPORTED" }, { 16405, "ANOTHER_AUTH_FOLLOWS" },
		{ 16406, "REDIRECT_SUPPORTED" }, { 16430, "IKEV2_FRAGMENTATION_SUPPORTED" },
		{ 16431, "SIGNATURE_HASH_ALGORITHMS" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		if (names[i].v == t)
			return names[i].n;
	snprintf(buf, 32, "Notify(%u)", t);
	return buf;
}

static void hex_of(const uint8_t *d, size_t n, char *out)
{
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = hx[d[i] >> 4];
		out[2 * i + 1] = hx[d[i] & 15];
	}
	out[2 * n] = '\0';
}

static void add_payload(struct ike_tx *t, uint8_t type, bool unique)
{
	if (unique)
		for (unsigned i = 0; i < t->npayloads; i++)
			if (t->payloads[i] == type)
				return;
	if (t->npayloads < IKE_PAYLOADS)
		t->payloads[t->npayloads++] = type;
}

/* ---- IKEv1 ---- */

/* The data attributes of a transform (RFC 2408 3.3): the high bit of the
 * type says a 16-bit value follows (TV), else a length and that many
 * octets (TLV); read until they end or one is cut short. */
static void v1_attrs(struct cursor *c, struct ike_xform *x)
{
	x->nattr = 0;
	while (cur_left(c) >= 4) {
		uint16_t ft = cur_be16(c), lv = cur_be16(c);
		bool tv = ft >> 15;
		struct ike_attr a = { 0 };
		uint16_t type = ft & 0x7fff;
		a.type = type <= 16 ? (uint8_t)type : 0;
		a.value = lv;
		if (tv) {
			a.has_num = true;
			a.num = lv;
		} else if (lv == 4) {
			a.num = cur_be32(c);
			a.has_num = true;
		} else {
			const uint8_t *v = cur_bytes(c, lv);
			if (!v)
				return;
			a.has_hex = true;
			a.hex_len = (uint8_t)(lv < IKE_ATTR_HEX ? lv : IKE_ATTR_HEX);
			memcpy(a.hex, v, a.hex_len);
		}
		if (c->err)
			return;
		if (x->nattr < IKE_ATTRS)
			x->attr[x->nattr++] = a;
	}
}

struct v1_ctx {
	struct ike_state *s;
	struct ike_tx *t;
	bool has_sa;
};

static bool v1_list(struct v1_ctx *v, struct cursor *c, uint8_t type, int depth);

/* One payload of type (its body in c); false: it does not parse, and
 * neither does the message. */
static bool v1_payload(struct v1_ctx *v, uint8_t type, struct cursor *c, int depth)
{
	struct ike_tx *t = v->t;
	add_payload(t, type, true);
	switch (type) {
	case 1: { /* Security Association: DOI, situation, proposals */
		v->has_sa = true;
		size_t len = cur_left(c);
		uint32_t doi = cur_be32(c);
		if (c->err)
			return false;
		v->s->fl.has_doi = true;
		v->s->fl.doi = doi;
		if (doi != 1)
			return true;
		cur_skip(c, 4);
		if (c->err || len < 8)
			return false;
		return v1_list(v, c, 2, depth + 1);
	}
	case 2: { /* Proposal: number, protocol, SPI size, transforms, SPI */
		cur_skip(c, 2);
		uint8_t spi_size = cur_u8(c);
		cur_skip(c, 1);
		cur_skip(c, spi_size);
		if (c->err)
			return false;
		return v1_list(v, c, 3, depth + 1);
	}
	case 3: { /* Transform: number, id, reserved, attributes */
		if (cur_left(c) < 4)
			return true;
		cur_skip(c, 4);
		t->xforms_full++;
		if (t->nxforms < IKE_V1_XFORMS)
			v1_attrs(c, &t->xforms[t->nxforms++]);
		return true;
	}
	case 4: /* Key Exchange */
		t->has_ke = true;
		t->ke_full = (uint32_t)cur_left(c);
		t->ke_len = (uint16_t)(t->ke_full < IKE_KE_MAX ? t->ke_full : IKE_KE_MAX);
		cur_copy(c, t->ke, t->ke_len);
		return true;
	case 10: /* Nonce */
		t->has_nonce = true;
		t->nonce_full = (uint32_t)cur_left(c);
		t->nonce_len = (uint16_t)(t->nonce_full < IKE_NONCE_MAX ? t->nonce_full : IKE_NONCE_MAX);
		cur_copy(c, t->nonce, t->nonce_len);
		return true;
	case 13: /* Vendor ID */
		if (t->nvendors < IKE_VENDORS) {
			size_t n = cur_left(c) < IKE_VENDOR_MAX ? cur_left(c) : IKE_VENDOR_MAX;
			hex_of(cur_bytes(c, n), n, t->vendor[t->nvendors]);
			t->vendor_len[t->nvendors++] = (uint8_t)(2 * n);
		}
		return true;
	}
	return true;
}

/* A chain of payloads, the first of type; each {next, reserved, length}.
 * Read while a whole generic header is there (a payload cut short ends
 * the chain; the caller sees the bytes left). */
static bool v1_list(struct v1_ctx *v, struct cursor *c, uint8_t type, int depth)
{
	if (depth > IKE_V1_DEPTH)
		return false;
	while (cur_left(c) >= 4) {
		struct cursor save = *c;
		uint8_t next = cur_u8(c);
		cur_skip(c, 1);
		uint16_t len = cur_be16(c);
		struct cursor body = { c->p, c->p, false };
		if (len >= 4) {
			body = cur_sub(c, len - 4u);
			if (c->err) {
				*c = save;
				return true;
			}
		}
		if (!v1_payload(v, type, &body, depth))
			return false;
		type = next;
	}
	return true;
}

static void v1_side_update(struct ike_v1_side *sd, const struct ike_tx *t)
{
	sd->ke_full = t->ke_full;
	sd->ke_len = t->ke_len;
	memcpy(sd->ke, t->ke, t->ke_len);
	sd->nonce_full = t->nonce_full;
	sd->nonce_len = t->nonce_len;
	memcpy(sd->nonce, t->nonce, t->nonce_len);
	if (sd->nb_xforms == 0 && t->nxforms)
		sd->xform = t->xforms[0];
	sd->nb_xforms += t->xforms_full;
}

static bool v1_message(struct app_ctx *a, struct ike_state *s, struct ike_tx *t,
		       const struct ike_hdr *h, struct cursor *c)
{
	add_payload(t, h->next, true);
	t->encrypted = h->flags & 1;
	if (t->encrypted)
		return true;
	struct v1_ctx v = { s, t, false };
	if (!v1_list(&v, c, h->next, 0))
		return false;
	struct ike_v1_side *sd = t->dir ? &s->fl.server : &s->fl.client;
	if (v.has_sa)
		memset(sd, 0, sizeof(*sd));
	if (t->dir && sd->nb_xforms <= 1 && sd->nb_xforms + t->xforms_full > 1)
		app_event(a, APP_EV_IKE_MULTIPLE_SERVER_PROPOSAL);
	v1_side_update(sd, t);
	if (cur_left(c))
		app_event(a, APP_EV_IKE_PAYLOAD_EXTRA_DATA);
	return true;
}

/* ---- IKEv2 ---- */

/* One proposal (RFC 7296 3.3.1): false when it does not parse.  With
 * apply, Suricata's checks of it and the responder's choice. */
static bool v2_proposal(struct app_ctx *a, struct ike_state *s, int dir, struct cursor *c,
			bool apply)
{
	if (cur_left(c) < 8)
		return false;
	cur_skip(c, 2);
	uint16_t plen = cur_be16(c);
	cur_skip(c, 1);
	uint8_t proto = cur_u8(c), spi_size = cur_u8(c), ntrans = cur_u8(c);
	cur_skip(c, spi_size);
	if (c->err || plen < 8u + spi_size)
		return false;
	struct cursor body = cur_sub(c, plen - 8u - spi_size);
	if (c->err)
		return false;
	bool has_dh = false, has_auth = false, aead = false;
	for (unsigned i = 0; i < ntrans; i++) {
		cur_skip(&body, 2);
		uint16_t tlen = cur_be16(&body);
		uint8_t type = cur_u8(&body);
		cur_skip(&body, 1);
		uint16_t id = cur_be16(&body);
		if (tlen > 8)
			cur_skip(&body, tlen - 8u);
		if (body.err)
			return false;
		if (!apply)
			continue;
		switch (type) {
		case 1:
			if ((id >= 1 && id <= 9) || id == 11)
				app_event(a, APP_EV_IKE_WEAK_CRYPTO_ENC);
			if ((id >= 14 && id <= 16) || (id >= 18 && id <= 20) || (id >= 25 && id <= 28))
				aead = true;
			break;
		case 2:
			if (id == 0)
				app_event(a, APP_EV_IKE_INVALID_PROPOSAL);
			else if (id == 1 || id == 2)
				app_event(a, APP_EV_IKE_WEAK_CRYPTO_PRF);
			break;
		case 3:
			if (id != 0)
				has_auth = true;
			if (id >= 1 && id <= 7)
				app_event(a, APP_EV_IKE_WEAK_CRYPTO_AUTH);
			break;
		case 4:
			has_dh = true;
			if (id == 0)
				app_event(a, APP_EV_IKE_INVALID_PROPOSAL);
			else if (id == 1 || id == 2 || id == 5 || id == 22)
				app_event(a, APP_EV_IKE_WEAK_CRYPTO_DH);
			break;
		case 5:
			break;
		default:
			app_event(a, APP_EV_IKE_UNKNOWN_PROPOSAL);
			break;
		}
		if (dir && type >= 1 && type <= 5) {
			struct ike_flow *fl = &s->fl;
			uint16_t *alg[6] = { NULL, &fl->alg_enc, &fl->alg_prf, &fl->alg_auth,
					     &fl->alg_dh, &fl->alg_esn };
			*alg[type] = id;
			if (fl->nv2x < IKE_V2_XFORMS)
				fl->v2x[fl->nv2x++] = (struct ike_v2_xform){ type, id };
		}
	}
	if (apply) {
		if (!has_dh)
			app_event(a, APP_EV_IKE_WEAK_CRYPTO_NO_DH);
		if (proto == 2) /* AH */
			app_event(a, APP_EV_IKE_NO_ENCRYPTION);
		if (!has_auth && !aead)
			app_event(a, APP_EV_IKE_WEAK_CRYPTO_NO_AUTH);
	}
	return true;
}

/* A traffic selector list: at least one IPv4 or IPv6 range. */
static bool v2_ts(struct cursor *c)
{
	cur_skip(c, 4);
	if (c->err)
		return false;
	unsigned n = 0;
	while (cur_left(c)) {
		struct cursor save = *c;
		uint8_t type = cur_u8(c);
		cur_skip(c, 7);
		size_t al = type == 7 ? 4 : type == 8 ? 16 : 0;
		if (!al || (cur_skip(c, 2 * al), c->err)) {
			*c = save;
			break;
		}
		n++;
	}
	return n > 0;
}

/* One payload's body as ipsec-parser reads it: false when it does not
 * parse (and then nothing of the message is). */
static bool v2_payload(struct app_ctx *a, struct ike_state *s, struct ike_tx *t, uint8_t type,
		       struct cursor *c, bool apply)
{
	size_t len = cur_left(c);
	switch (type) {
	case 33: { /* SA */
		unsigned n = 0;
		while (cur_left(c)) {
			if (n == IKE_V2_MAX_PROPOSALS) {
				if (apply)
					app_event(a, APP_EV_IKE_MALFORMED_DATA);
				break;
			}
			struct cursor save = *c;
			if (!v2_proposal(a, s, t->dir, c, apply)) {
				*c = save;
				break;
			}
			n++;
		}
		return n > 0;
	}
	case 34: case 35: case 36: case 39: /* KE, IDi, IDr, AUTH */
		return len >= 4;
	case 37: case 38: /* CERT, CERTREQ */
		return len >= 1;
	case 41: { /* Notify: protocol, SPI size, type, SPI, data */
		cur_skip(c, 1);
		uint8_t spi_size = cur_u8(c);
		uint16_t nt = cur_be16(c);
		cur_skip(c, spi_size);
		if (c->err)
			return false;
		if (apply) {
			if (nt < 16384)
				t->errors++;
			if (t->nnotify < IKE_NOTIFY)
				t->notify[t->nnotify++] = nt;
		}
		return true;
	}
	case 42: case 43: /* Delete, Vendor ID */
		return len >= 8;
	case 44: case 45: /* TSi, TSr */
		return len >= 4 && v2_ts(c);
	}
	return true;
}

static bool v2_message(struct app_ctx *a, struct ike_state *s, struct ike_tx *t,
		       const struct ike_hdr *h, struct cursor *c)
{
	/* first: does the whole chain parse? */
	for (int pass = 0; pass < 2; pass++) {
		struct cursor w = *c;
		uint8_t type = h->next;
		unsigned n = 0;
		if (pass)
			add_payload(t, type, false);
		while (cur_left(&w)) {
			if (n++ == IKE_V2_MAX_PAYLOADS) {
				if (pass)
					app_event(a, APP_EV_IKE_MALFORMED_DATA);
				break;
			}
			uint8_t next = cur_u8(&w);
			cur_skip(&w, 1);
			uint16_t len = cur_be16(&w);
			if (w.err || len < 4)
				return false;
			struct cursor body = cur_sub(&w, len - 4u);
			if (w.err || !v2_payload(a, s, t, type, &body, pass == 1))
				return false;
			if (pass)
				add_payload(t, next, false);
			type = next;
		}
	}
	if (t->dir && s->fl.nv2x) {
		t->nv2x = s->fl.nv2x;
		memcpy(t->v2x, s->fl.v2x, sizeof(t->v2x[0]) * s->fl.nv2x);
	}
	return true;
}

/* ---- the message ---- */

void ike_udp(struct app_ctx *a, struct ike_state *s, int dir, bool nat_t, const uint8_t *d,
	     uint32_t n)
{
	a->tx.alproto = ALP_IKE;
	struct cursor c;
	struct ike_hdr h;
	cur_init(&c, d, n);
	/* port 4500: a zero non-ESP marker, else ESP (or a NAT keepalive):
	 * not IKE's to read */
	if (nat_t && (n < 4 || cur_be32(&c) != 0))
		return;
	if (!read_hdr(&c, &h) || (h.maj != 1 && h.maj != 2)) {
		app_event(a, APP_EV_IKE_MALFORMED_DATA);
		return;
	}
	if (!s->started) {
		s->started = true;
		s->fl.alg_enc = 11; /* ENCR_NULL until the responder chooses */
	}
	struct ike_tx *t = &s->tx;
	memset(t, 0, sizeof(*t));
	t->fl = &s->fl;
	t->version = h.maj;
	t->dir = (uint8_t)(dir & 1);
	t->maj = h.maj;
	t->min = h.min;
	t->exch_type = h.exch;
	t->flags = h.flags;
	t->msg_id = h.msg_id;
	t->init_spi = h.init_spi;
	t->resp_spi = h.resp_spi;
	snprintf(t->init_hex, sizeof(t->init_hex), "%016llx", (unsigned long long)h.init_spi);
	snprintf(t->resp_hex, sizeof(t->resp_hex), "%016llx", (unsigned long long)h.resp_spi);
	bool ok = h.maj == 1 ? v1_message(a, s, t, &h, &c) : v2_message(a, s, t, &h, &c);
	if (!ok) {
		app_event(a, APP_EV_IKE_MALFORMED_DATA);
		if (h.maj == 1)
			return; /* Suricata keeps no transaction of it */
		t->npayloads = 0;
		t->nnotify = 0;
		t->errors = 0;
	}
	t->tx_id = s->next_tx++;
	a->tx.ike = t;
	app_count_tx(a, true, ALP_IKE);
}

void ike_state_free(struct app_ctx *a, struct ike_state *s)
{
	if (!s)
		return;
	app_release(a, sizeof(*s));
	v_free(s);
}

bool ike_chosen_attr(const struct ike_tx *t, int attr, uint32_t *v)
{
	if (t->version == 1) {
		if (!t->nxforms)
			return false;
		const struct ike_xform *x = &t->xforms[0];
		for (unsigned i = 0; i < x->nattr; i++)
			if (x->attr[i].type == attr && x->attr[i].has_num) {
				*v = x->attr[i].num;
				return true;
			}
		return false;
	}
	/* IKEv2: alg_enc, alg_prf, alg_auth, alg_dh (transform types 1-4) */
	int want = attr == 1 ? 1 : attr == 13 ? 2 : attr == 3 ? 3 : attr == 4 ? 4 : 0;
	for (unsigned i = 0; want && i < t->nv2x; i++)
		if (t->v2x[i].type == want) {
			*v = t->v2x[i].id;
			return true;
		}
	return false;
}

/* ---- the record ---- */

static void attrs_json(struct jbuf *jb, const struct ike_xform *x)
{
	char key[48], hex[2 * IKE_ATTR_HEX + 1];
	for (unsigned i = 0; i < x->nattr; i++) {
		const struct ike_attr *at = &x->attr[i];
		const char *k = attr_names[at->type];
		jb_str(jb, k, attr_value_name(at->type, at->value));
		snprintf(key, sizeof(key), "%s_raw", k);
		if (at->has_num) {
			jb_u64(jb, key, at->num);
		} else if (at->has_hex) {
			hex_of(at->hex, at->hex_len, hex);
			jb_str(jb, key, hex);
		}
	}
}

static void side_json(struct jbuf *jb, const struct ike_v1_side *sd)
{
	/* (at most IKE_KE_MAX bytes kept; the lengths are the wire's) */
	char hex[2 * IKE_KE_MAX + 1];
	if (sd->ke_full) {
		hex_of(sd->ke, sd->ke_len, hex);
		jb_str(jb, "key_exchange_payload", hex);
		jb_u64(jb, "key_exchange_payload_length", sd->ke_full);
	}
	if (sd->nonce_full) {
		hex_of(sd->nonce, sd->nonce_len, hex);
		jb_str(jb, "nonce_payload", hex);
		jb_u64(jb, "nonce_payload_length", sd->nonce_full);
	}
}

void ike_log_fields(struct jbuf *jb, const struct ike_tx *t)
{
	const struct ike_flow *fl = t->fl;
	char buf[48];
	jb_u64(jb, "version_major", t->maj);
	jb_u64(jb, "version_minor", t->min);
	jb_str(jb, "init_spi", t->init_hex);
	jb_str(jb, "resp_spi", t->resp_hex);
	jb_u64(jb, "message_id", t->msg_id);
	jb_u64(jb, "exchange_type", t->exch_type);
	if (t->version == 1) {
		if (fl->server.nb_xforms)
			attrs_json(jb, &fl->server.xform);
		if (t->dir && t->nxforms > 1) {
			jb_open_array(jb, "server_proposals");
			for (unsigned i = 0; i < t->nxforms; i++) {
				jb_open_object(jb, NULL);
				attrs_json(jb, &t->xforms[i]);
				jb_close(jb);
			}
			jb_close(jb);
		}
	} else if (t->flags & 0x08) {
		jb_str(jb, "role", "initiator");
	} else {
		jb_str(jb, "role", "responder");
		jb_str(jb, "alg_enc", v2_xform_name(1, fl->alg_enc, buf));
		jb_str(jb, "alg_auth", v2_xform_name(3, fl->alg_auth, buf));
		jb_str(jb, "alg_prf", v2_xform_name(2, fl->alg_prf, buf));
		jb_str(jb, "alg_dh", v2_xform_name(4, fl->alg_dh, buf));
		jb_str(jb, "alg_esn", v2_xform_name(5, fl->alg_esn, buf));
	}
	jb_open_array(jb, "payload");
	for (unsigned i = 0; i < t->npayloads; i++) {
		const char *n = t->version == 1 ? v1_payload_name(t->payloads[i])
						: v2_payload_name(t->payloads[i], buf);
		if (n)
			jb_str(jb, NULL, n);
	}
	jb_close(jb);
	if (t->version == 1) {
		jb_open_object(jb, "ikev1");
		if (fl->has_doi)
			jb_u64(jb, "doi", fl->doi);
		jb_bool(jb, "encrypted_payloads", t->encrypted);
		if (!t->encrypted) {
			jb_open_object(jb, "client");
			side_json(jb, &fl->client);
			if (!t->dir && t->nxforms) {
				jb_open_array(jb, "proposals");
				for (unsigned i = 0; i < t->nxforms; i++) {
					jb_open_object(jb, NULL);
					attrs_json(jb, &t->xforms[i]);
					jb_close(jb);
				}
				jb_close(jb);
			}
			jb_close(jb);
			jb_open_object(jb, "server");
			side_json(jb, &fl->server);
			jb_close(jb);
			if (t->nvendors) {
				jb_open_array(jb, "vendor_ids");
				for (unsigned i = 0; i < t->nvendors; i++)
					jb_str(jb, NULL, t->vendor[i]);
				jb_close(jb);
			}
		}
		jb_close(jb);
	} else {
		jb_open_object(jb, "ikev2");
		jb_u64(jb, "errors", t->errors);
		if (t->nnotify) {
			jb_open_array(jb, "notify");
			for (unsigned i = 0; i < t->nnotify; i++)
				jb_str(jb, NULL, notify_name(t->notify[i], buf));
			jb_close(jb);
		}
		jb_close(jb);
	}
}
