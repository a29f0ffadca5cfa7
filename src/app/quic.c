/*
 * quic.c - QUIC (RFC 9000, 9001, 9369) client Initials: version, SNI,
 * ALPN, JA3, JA4.
 *
 * A client Initial is protected with keys anyone can derive from the
 * packet's Destination Connection ID and the version's public salt
 * (RFC 9001 5.2): initial_secret = HKDF-Extract(salt, DCID); the client's
 * key, IV and header-protection key are HKDF-Expand-Label'd from it.  The
 * header protection mask (AES-128-ECB of a 16-byte sample) reveals the
 * packet number; the payload is then AES-128-GCM.  Its CRYPTO frames carry
 * the TLS ClientHello, possibly split over several frames and packets and
 * out of order: they are placed by offset in a 16 KiB per-flow buffer
 * until the whole ClientHello is there, then parsed by tls.c's parser.
 * Only the first packet of a datagram is read (coalesced packets after an
 * Initial are Handshake or 0-RTT, which need secrets nobody outside has).
 */
#include <string.h>

#include <openssl/evp.h>

#include "app_int.h"
#include "json.h"
#include "cursor.h"
#include "util.h"

#define QUIC_V1 0x00000001u
#define QUIC_V2 0x6b3343cfu

static const uint8_t salt_v1[20] = { 0x38, 0x76, 0x2c, 0xf7, 0xf5, 0x59, 0x34, 0xb3, 0x4d, 0x17,
				     0x9a, 0xe6, 0xa4, 0xc8, 0x0c, 0xad, 0xcc, 0xbb, 0x7f, 0x0a };
static const uint8_t salt_v2[20] = { 0x0d, 0xed, 0xe3, 0xde, 0xf7, 0x00, 0xa6, 0xdb, 0x81, 0x93,
				     0x81, 0xbe, 0x6e, 0x26, 0x9d, 0xcb, 0xf9, 0xbd, 0x2e, 0xd9 };
static const uint8_t salt_d29[20] = { 0xaf, 0xbf, 0xec, 0x28, 0x99, 0x93, 0xd2, 0x4c, 0x9e, 0x97,
				      0x86, 0xf1, 0x9c, 0x61, 0x11, 0xe0, 0x43, 0x90, 0xa8, 0x99 };

static const uint8_t *salt_of(uint32_t v)
{
	if (v == QUIC_V1)
		return salt_v1;
	if (v == QUIC_V2)
		return salt_v2;
	if (v >= 0xff00001du && v <= 0xff000020u) /* drafts 29-32 */
		return salt_d29;
	return NULL;
}

static uint64_t varint(struct cursor *c)
{
	uint8_t b = cur_u8(c);
	unsigned n = 1u << (b >> 6);
	uint64_t v = b & 0x3f;
	for (unsigned i = 1; i < n; i++)
		v = v << 8 | cur_u8(c);
	return v;
}

/* Skips an ACK frame's body (RFC 9000 19.3): largest, delay, the range
 * count, the first range, the ranges; with ecn (type 0x03) three counts. */
static void skip_ack(struct cursor *c, bool ecn)
{
	varint(c);
	varint(c);
	uint64_t ranges = varint(c);
	varint(c);
	for (uint64_t i = 0; i < ranges && !c->err; i++) {
		varint(c);
		varint(c);
	}
	for (int i = 0; ecn && i < 3; i++)
		varint(c);
}

/* ---- Google QUIC (Q043-Q046) ----
 *
 * gQUIC's client hello is not TLS: its handshake messages are tag-value
 * maps (a message tag such as CHLO, a count, then count (tag, end offset)
 * pairs and the values) carried in STREAM frames of unencrypted Initials.
 * As Suricata reads them: the long header (Q043-Q045: type 0x7f in the
 * low bits is an Initial; Q046: IETF's type bits), the CIDs' lengths in
 * one byte (each nibble + 3, 0 for none), an Initial's packet number (4)
 * and message authentication hash (12); then the frames.  A message is
 * read only if every tag is one of the known ones and the end offsets
 * rise to exactly the values' end; its SNI and UAID tags give quic.sni
 * and quic.ua, its tag list the CYU fingerprint: "VV,TAG-TAG-..." (VV 43,
 * 44, 44 for Q045, 46) and its MD5 (Salesforce's gQUIC fingerprint).
 */
#define GQUIC_Q043 0x51303433u
#define GQUIC_Q045 0x51303435u
#define GQUIC_Q046 0x51303436u

static bool gquic_version(uint32_t v)
{
	return v >= GQUIC_Q043 && v <= GQUIC_Q046;
}

static const struct {
	uint32_t tag;
	const char *name;
} gquic_tags[] = {
	{ 0x41454144, "AEAD" }, { 0x43435254, "CCRT" }, { 0x43435300, "CCS" },
	{ 0x43455456, "CETV" }, { 0x43464357, "CFCW" }, { 0x43484c4f, "CHLO" },
	{ 0x434f5054, "COPT" }, { 0x43534354, "CSCT" }, { 0x4354494d, "CTIM" },
	{ 0x4943534c, "ICSL" }, { 0x49525454, "IRTT" }, { 0x4b455853, "KEXS" },
	{ 0x4d494453, "MIDS" }, { 0x4d535043, "MSPC" }, { 0x4e4f4e43, "NONC" },
	{ 0x4e4f4e50, "NONP" }, { 0x50414400, "PAD" },  { 0x50444d44, "PDMD" },
	{ 0x50554253, "PUBS" }, { 0x53434944, "SCID" }, { 0x53434c53, "SCLS" },
	{ 0x53464357, "SFCW" }, { 0x534d484c, "SMHL" }, { 0x534e4900, "SNI" },
	{ 0x534e4f00, "SNO" },  { 0x53544b00, "STK" },  { 0x54434944, "TCID" },
	{ 0x55414944, "UAID" }, { 0x56455200, "VER" },  { 0x584c4354, "XLCT" },
};

static const char *gquic_tag_name(uint32_t t)
{
	for (size_t i = 0; i < sizeof(gquic_tags) / sizeof(gquic_tags[0]); i++)
		if (gquic_tags[i].tag == t)
			return gquic_tags[i].name;
	return NULL;
}

/* Where an Initial's frames start (after its header), or 0 if d/n is not
 * a gQUIC Initial of version v. */
static uint32_t gquic_initial(const uint8_t *d, uint32_t n, uint32_t v)
{
	if (n < 6 || !(d[0] & 0x80) || !gquic_version(v))
		return 0;
	bool initial = v == GQUIC_Q046 ? ((d[0] >> 4) & 3) == 0 : (d[0] & 0x7f) == 0x7f;
	unsigned dl = d[5] >> 4, sl = d[5] & 15;
	uint32_t off = 6 + (dl ? dl + 3 : 0) + (sl ? sl + 3 : 0) + 4 + 12;
	return initial && off <= n ? off : 0;
}

/* A handshake message taking all of d/n: its SNI, UAID and CYU. */
static void gquic_message(struct quic_info *qi, uint32_t ver, const uint8_t *d, uint32_t n)
{
	struct cursor c;
	cur_init(&c, d, n);
	uint32_t mtag = cur_be32(&c);
	uint16_t cnt = cur_le16(&c);
	cur_skip(&c, 2);
	const uint8_t *ents = cur_bytes(&c, (size_t)cnt * 8);
	if (c.err || !ents || !gquic_tag_name(mtag))
		return;
	const uint8_t *vals = c.p;
	size_t vl = cur_left(&c);
	uint32_t prev = 0;
	for (unsigned i = 0; i < cnt; i++) {
		const uint8_t *e = ents + 8 * i;
		uint32_t tag = (uint32_t)e[0] << 24 | (uint32_t)e[1] << 16 | (uint32_t)e[2] << 8 | e[3];
		uint32_t end = (uint32_t)e[7] << 24 | (uint32_t)e[6] << 16 | (uint32_t)e[5] << 8 | e[4];
		if (!gquic_tag_name(tag) || end < prev || end > vl)
			return;
		prev = end;
	}
	if (prev != vl)
		return; /* the values must end where the message does */
	struct quic_cyu *cy = qi->ncyu < QUIC_MAX_CYU ? &qi->cyu[qi->ncyu] : NULL;
	size_t o = 0;
	if (cy)
		o = (size_t)snprintf(cy->str, sizeof(cy->str), "%s,",
				     ver == GQUIC_Q043 ? "43" : ver == GQUIC_Q046 ? "46" : "44");
	prev = 0;
	for (unsigned i = 0; i < cnt; i++) {
		const uint8_t *e = ents + 8 * i;
		uint32_t tag = (uint32_t)e[0] << 24 | (uint32_t)e[1] << 16 | (uint32_t)e[2] << 8 | e[3];
		uint32_t end = (uint32_t)e[7] << 24 | (uint32_t)e[6] << 16 | (uint32_t)e[5] << 8 | e[4];
		const uint8_t *v = vals + prev;
		uint32_t l = end - prev;
		prev = end;
		if (tag == 0x534e4900 && !qi->sni_len) {
			qi->sni_len = (uint16_t)(l < sizeof(qi->sni) - 1 ? l : sizeof(qi->sni) - 1);
			memcpy(qi->sni, v, qi->sni_len);
		} else if (tag == 0x55414944 && !qi->ua_len) {
			qi->ua_len = (uint16_t)(l < sizeof(qi->ua) - 1 ? l : sizeof(qi->ua) - 1);
			memcpy(qi->ua, v, qi->ua_len);
		}
		const char *nm = gquic_tag_name(tag);
		size_t nl = strlen(nm);
		if (cy && o + nl + 2 > sizeof(cy->str))
			cy = NULL; /* a longer list than any client sends: no CYU */
		if (cy) {
			if (i)
				cy->str[o++] = '-';
			memcpy(cy->str + o, nm, nl);
			o += nl;
		}
	}
	if (cy) {
		cy->str[o] = '\0';
		cy->len = (uint16_t)o;
		hex_md5(cy->str, o, cy->hash);
		qi->ncyu++;
	}
}

/* A gQUIC long-header packet: a record of its version and, for an
 * Initial, what its frames' messages say (as Suricata's transaction per
 * long-header packet). */
static void gquic_packet(struct app_ctx *a, struct quic_state *q, int dir, const uint8_t *d,
			 uint32_t n, uint32_t version)
{
	struct quic_info *qi = &q->info;
	qi->version = version;
	qi->gquic = true;
	qi->server = dir == 1;
	qi->sni_len = qi->ja3_len = qi->ua_len = 0;
	qi->ja3[0] = qi->ja3_hash[0] = qi->ja4[0] = '\0';
	qi->nalpn = qi->next = qi->ncyu = 0;
	qi->hello = true;
	a->tx.quic_log = true;
	uint32_t off = gquic_initial(d, n, version);
	if (!off)
		return;
	struct cursor c;
	cur_init(&c, d + off, n - off);
	while (cur_left(&c) && !c.err) {
		uint8_t ft = cur_u8(&c);
		if (ft & 0x80) { /* STREAM: 1fdooo ss */
			cur_skip(&c, (ft & 3) + 1u);
			unsigned ol = (ft >> 2) & 7;
			cur_skip(&c, ol ? ol + 1 : 0);
			size_t dl = (ft & 0x20) ? cur_be16(&c) : cur_left(&c);
			const uint8_t *data = cur_bytes(&c, dl);
			if (!data)
				break;
			gquic_message(qi, version, data, (uint32_t)dl);
		} else if (ft == 0x00) { /* PADDING */
			while (cur_left(&c) && cur_peek_u8(&c, 0) == 0)
				cur_skip(&c, 1);
		} else if (ft == 0x01) { /* PING */
			continue;
		} else if (ft == 0x02) { /* ACK */
			skip_ack(&c, false);
		} else if (ft == 0x08) { /* a crypto stream */
			varint(&c);
			uint64_t l = varint(&c);
			const uint8_t *data = l <= cur_left(&c) ? cur_bytes(&c, (size_t)l) : NULL;
			if (!data)
				break;
			gquic_message(qi, version, data, (uint32_t)l);
		} else {
			break;
		}
	}
}

bool quic_probe(const uint8_t *d, uint32_t n)
{
	if (n >= 6 && (d[0] & 0x80)) { /* a gQUIC client Initial */
		uint32_t g = (uint32_t)d[1] << 24 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 8 | d[4];
		if (gquic_initial(d, n, g))
			return true;
	}
	if (n < 1200 || (d[0] & 0xc0) != 0xc0)
		return false; /* client Initials are padded to 1200 bytes */
	uint32_t v = (uint32_t)d[1] << 24 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 8 | d[4];
	unsigned type = (d[0] >> 4) & 3;
	return salt_of(v) && type == (v == QUIC_V2 ? 1u : 0u) && d[5] <= 20;
}

static bool hmac256(const uint8_t *key, size_t kl, const uint8_t *m, size_t ml, uint8_t out[32])
{
	size_t ol = 0;
	return EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, kl, m, ml, out, 32, &ol) &&
	       ol == 32;
}

/* HKDF-Expand-Label(secret, label, "", len) for len <= 32 (RFC 8446 7.1). */
static bool expand_label(const uint8_t secret[32], const char *label, uint8_t *out, uint8_t len)
{
	uint8_t info[64], t[32];
	size_t ll = strlen(label), o = 0;
	info[o++] = 0;
	info[o++] = len;
	info[o++] = (uint8_t)(6 + ll);
	memcpy(info + o, "tls13 ", 6);
	o += 6;
	memcpy(info + o, label, ll);
	o += ll;
	info[o++] = 0;   /* context */
	info[o++] = 1;   /* T(1) counter */
	if (!hmac256(secret, 32, info, o, t))
		return false;
	memcpy(out, t, len);
	return true;
}

static bool aes_ecb(const uint8_t key[16], const uint8_t in[16], uint8_t out[16])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l = 0, ok = c && EVP_EncryptInit_ex(c, EVP_aes_128_ecb(), NULL, key, NULL) &&
			EVP_CIPHER_CTX_set_padding(c, 0) && EVP_EncryptUpdate(c, out, &l, in, 16);
	EVP_CIPHER_CTX_free(c);
	return ok && l == 16;
}

static bool aes_gcm_open(const uint8_t key[16], const uint8_t iv[12], const uint8_t *aad,
			 size_t al, const uint8_t *ct, size_t cl, uint8_t *pt)
{
	if (cl < 16)
		return false;
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int l = 0, l2 = 0;
	bool ok = c && EVP_DecryptInit_ex(c, EVP_aes_128_gcm(), NULL, key, iv) &&
		  EVP_DecryptUpdate(c, NULL, &l, aad, (int)al) &&
		  EVP_DecryptUpdate(c, pt, &l, ct, (int)(cl - 16)) &&
		  EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, 16, (void *)(ct + cl - 16)) &&
		  EVP_DecryptFinal_ex(c, pt + l, &l2) > 0;
	EVP_CIPHER_CTX_free(c);
	return ok;
}

#define QUIC_PKT_MAX 4096

/* Decrypts the Initial at d/n with the keys of side dir ("client in" /
 * "server in", from the client's DCID); plaintext (frames) into pt, its
 * length returned, or -1. */
static int initial_open(const uint8_t *d, uint32_t n, uint32_t version, const uint8_t *dcid,
			uint8_t dcil, int dir, uint8_t *pt)
{
	struct cursor c;
	cur_init(&c, d, n);
	cur_skip(&c, 5);
	cur_skip(&c, cur_u8(&c));                 /* DCID */
	cur_skip(&c, cur_u8(&c));                 /* SCID */
	cur_skip(&c, (size_t)varint(&c));         /* token */
	uint64_t len = varint(&c);
	if (c.err || len > cur_left(&c) || len < 20 || len > QUIC_PKT_MAX)
		return -1;
	size_t pn_off = (size_t)(c.p - d);
	if (pn_off + 4 > QUIC_PKT_MAX)
		return -1;
	uint8_t is[32], cs[32], key[16], iv[12], hp[16], mask[16];
	bool v2 = version == QUIC_V2;
	if (!hmac256(salt_of(version), 20, dcid, dcil, is) ||
	    !expand_label(is, dir ? "server in" : "client in", cs, 32) ||
	    !expand_label(cs, v2 ? "quicv2 key" : "quic key", key, 16) ||
	    !expand_label(cs, v2 ? "quicv2 iv" : "quic iv", iv, 12) ||
	    !expand_label(cs, v2 ? "quicv2 hp" : "quic hp", hp, 16) ||
	    !aes_ecb(hp, d + pn_off + 4, mask))
		return -1;
	uint8_t hdr[QUIC_PKT_MAX];
	size_t hl = pn_off;
	memcpy(hdr, d, pn_off);
	hdr[0] ^= mask[0] & 0x0f;
	unsigned pnl = (hdr[0] & 3) + 1u;
	uint64_t pn = 0;
	for (unsigned i = 0; i < pnl; i++) {
		hdr[hl] = d[pn_off + i] ^ mask[1 + i];
		pn = pn << 8 | hdr[hl++];
	}
	for (int i = 0; i < 8; i++)
		iv[11 - i] ^= (uint8_t)(pn >> (8 * i));
	if (!aes_gcm_open(key, iv, hdr, hl, d + hl, (size_t)len - pnl, pt))
		return -1;
	return (int)(len - pnl - 16);
}

#define CRYPTO_ALLOC (QUIC_CRYPTO_MAX + QUIC_CRYPTO_MAX / 8)

static void crypto_free(struct app_ctx *a, struct quic_dir *qd)
{
	if (qd->crypto) {
		v_free(qd->crypto);
		qd->crypto = NULL;
		app_release(a, CRYPTO_ALLOC);
	}
}

static void crypto_frame(struct app_ctx *a, struct quic_dir *qd, uint64_t off,
			 const uint8_t *data, uint64_t n)
{
	if (off >= QUIC_CRYPTO_MAX || n > QUIC_CRYPTO_MAX - off) {
		app_event(a, APP_EV_QUIC_CRYPTO_TOO_LONG);
		return;
	}
	if (!qd->crypto) {
		if (!app_charge(a, CRYPTO_ALLOC))
			return;
		if (!(qd->crypto = v_calloc(1, CRYPTO_ALLOC))) {
			app_release(a, CRYPTO_ALLOC);
			return;
		}
	}
	uint8_t *have = qd->crypto + QUIC_CRYPTO_MAX;
	memcpy(qd->crypto + off, data, (size_t)n);
	for (uint64_t i = off; i < off + n; i++)
		have[i / 8] |= (uint8_t)(1u << (i % 8));
}

static uint32_t contiguous(const struct quic_dir *qd, uint32_t want)
{
	const uint8_t *have = qd->crypto + QUIC_CRYPTO_MAX;
	uint32_t i = 0;
	while (i < want && (have[i / 8] >> (i % 8) & 1))
		i++;
	return i;
}

/* The ServerHello's extension types, for the record. */
static bool server_hello_exts(struct quic_info *q, const uint8_t *d, uint32_t n)
{
	struct cursor c;
	cur_init(&c, d, n);
	cur_skip(&c, 2 + 32);
	cur_skip(&c, cur_u8(&c));
	cur_skip(&c, 3);
	struct cursor ext = cur_sub(&c, cur_be16(&c));
	if (c.err)
		return false;
	q->next = 0;
	while (cur_left(&ext) >= 4 && q->next < 32) {
		q->ext[q->next++] = cur_be16(&ext);
		cur_skip(&ext, cur_be16(&ext));
	}
	return !ext.err;
}

/* A hello is whole in dir's CRYPTO stream: parse it. */
static void hello_done(struct app_ctx *a, struct quic_state *q, int dir)
{
	struct quic_dir *qd = &q->dir[dir];
	const uint8_t *m = qd->crypto;
	uint32_t hl = (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
	struct quic_info *i = &q->info;
	bool ok;
	if (dir == 0) {
		uint16_t ver;
		struct hello_out o = { i->sni, &i->sni_len, sizeof(i->sni), i->ja3, &i->ja3_len,
				       sizeof(i->ja3), i->ja3_hash, i->ja4, &ver, &i->nalpn,
				       i->alpn_len, i->alpn, i->ext, &i->next, NULL };
		ok = tls_parse_client_hello(a, m + 4, hl, true, &o);
	} else {
		i->sni_len = i->ja3_len = 0;
		i->ja3[0] = i->ja3_hash[0] = i->ja4[0] = '\0';
		i->nalpn = 0;
		ok = server_hello_exts(i, m + 4, hl);
	}
	if (ok) {
		i->server = dir == 1;
		i->hello = true;
		a->tx.quic_log = true;
	} else {
		app_event(a, APP_EV_TLS_INVALID_HANDSHAKE);
	}
	qd->done = true;
	crypto_free(a, qd);
}

void quic_udp(struct app_ctx *a, struct quic_state *q, int dir, const uint8_t *d, uint32_t n)
{
	a->tx.quic = &q->info;
	if (n < 7 || !(d[0] & 0x80))
		return; /* short header: encrypted with keys nobody outside has */
	if (!q->ver_seen[dir]) {
		q->ver_seen[dir] = true;
		a->tx.quic_long = true;
		memcpy(a->tx.quic_version, d + 1, 4);
	}
	uint32_t version = (uint32_t)d[1] << 24 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 8 | d[4];
	if (gquic_version(version)) {
		gquic_packet(a, q, dir, d, n, version);
		return;
	}
	unsigned type = (d[0] >> 4) & 3;
	if (!salt_of(version) || type != (version == QUIC_V2 ? 1u : 0u) || d[5] > 20 ||
	    6u + d[5] > n)
		return; /* not an Initial of a version we know, or cut short */
	if (dir == 0) {
		/* the client's DCID; a new one (after a Retry) starts over */
		if (q->dcid_len != d[5] || memcmp(q->dcid, d + 6, d[5])) {
			if (q->dcid_len && q->dir[0].done) {
				q->dir[0].done = q->dir[1].done = false;
				crypto_free(a, &q->dir[0]);
				crypto_free(a, &q->dir[1]);
			}
			q->dcid_len = d[5];
			memcpy(q->dcid, d + 6, d[5]);
		}
	} else if (!q->dcid_len) {
		return; /* a server Initial without the client's: no keys */
	}
	struct quic_dir *qd = &q->dir[dir];
	if (qd->done)
		return;
	q->info.version = version;
	uint8_t pt[QUIC_PKT_MAX];
	int pl = initial_open(d, n, version, q->dcid, q->dcid_len, dir, pt);
	if (pl < 0) {
		app_event(a, APP_EV_QUIC_FAILED_DECRYPT);
		return;
	}
	struct cursor c;
	cur_init(&c, pt, (size_t)pl);
	while (cur_left(&c) && !c.err) {
		uint64_t ft = varint(&c);
		if (ft == 0x00 || ft == 0x01) {
			continue; /* PADDING, PING */
		} else if (ft == 0x02 || ft == 0x03) { /* ACK */
			skip_ack(&c, ft == 0x03);
		} else if (ft == 0x06) { /* CRYPTO */
			uint64_t off = varint(&c), l = varint(&c);
			const uint8_t *data = cur_bytes(&c, (size_t)l);
			if (!data)
				break;
			crypto_frame(a, qd, off, data, l);
		} else {
			break; /* CONNECTION_CLOSE, or a frame not allowed in an Initial */
		}
	}
	if (!qd->crypto || contiguous(qd, 4) < 4)
		return;
	const uint8_t *m = qd->crypto;
	uint32_t hl = (uint32_t)m[1] << 16 | (uint32_t)m[2] << 8 | m[3];
	if (m[0] != (dir == 0 ? 1 : 2) || hl > QUIC_CRYPTO_MAX - 4) {
		qd->done = true;
		crypto_free(a, qd);
		return;
	}
	if (contiguous(qd, 4 + hl) == 4 + hl)
		hello_done(a, q, dir);
}

void quic_state_free(struct app_ctx *a, struct quic_state *q)
{
	crypto_free(a, &q->dir[0]);
	crypto_free(a, &q->dir[1]);
	v_free(q);
}

/* ---- the quic record ---- */

void quic_log_fields(struct jbuf *jb, const struct quic_info *qi)
{
	char v[16];
	if (qi->gquic && gquic_version(qi->version))
		snprintf(v, sizeof(v), "Q%03u", (qi->version >> 16 & 15) * 100 +
						(qi->version >> 8 & 15) * 10 + (qi->version & 15));
	else if (qi->version == 1)
		snprintf(v, sizeof(v), "1");
	else if ((qi->version >> 8) == 0xff0000)
		snprintf(v, sizeof(v), "h3-%u", qi->version & 0xff);
	else
		snprintf(v, sizeof(v), "%08x", qi->version);
	jb_str(jb, "version", v);
	if (qi->sni_len)
		jb_strn(jb, "sni", (const uint8_t *)qi->sni, qi->sni_len);
	if (qi->ua_len)
		jb_strn(jb, "ua", (const uint8_t *)qi->ua, qi->ua_len);
	if (qi->ncyu) {
		jb_open_array(jb, "cyu");
		for (unsigned i = 0; i < qi->ncyu; i++) {
			jb_open_object(jb, NULL);
			jb_str(jb, "hash", qi->cyu[i].hash);
			jb_strn(jb, "string", (const uint8_t *)qi->cyu[i].str, qi->cyu[i].len);
			jb_close(jb);
		}
		jb_close(jb);
	}
	if (qi->gquic)
		return; /* no TLS: no ja3, ja4, extensions */
	if (qi->ja3_hash[0])
		app_log_hash(jb, "ja3", qi->ja3_hash, qi->ja3, qi->ja3_len);
	if (qi->ja4[0])
		jb_str(jb, "ja4", qi->ja4);
	jb_open_array(jb, "extensions");
	for (unsigned i = 0; i < qi->next; i++) {
		jb_open_object(jb, NULL);
		const char *nm = tls_ext_name(qi->ext[i]);
		if (nm)
			jb_str(jb, "name", nm);
		jb_u64(jb, "type", qi->ext[i]);
		if (qi->ext[i] == 0 && qi->sni_len) {
			jb_open_array(jb, "values");
			jb_strn(jb, NULL, (const uint8_t *)qi->sni, qi->sni_len);
			jb_close(jb);
		} else if (qi->ext[i] == 16) {
			app_log_alpns(jb, "values", qi->nalpn, qi->alpn_len, qi->alpn);
		}
		jb_close(jb);
	}
	jb_close(jb);
}
