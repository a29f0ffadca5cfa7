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

bool quic_probe(const uint8_t *d, uint32_t n)
{
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
			varint(&c);
			varint(&c);
			uint64_t ranges = varint(&c);
			varint(&c);
			for (uint64_t i = 0; i < ranges && !c.err; i++) {
				varint(&c);
				varint(&c);
			}
			if (ft == 0x03) {
				varint(&c);
				varint(&c);
				varint(&c);
			}
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
	if (qi->version == 1)
		snprintf(v, sizeof(v), "1");
	else if ((qi->version >> 8) == 0xff0000)
		snprintf(v, sizeof(v), "h3-%u", qi->version & 0xff);
	else
		snprintf(v, sizeof(v), "%08x", qi->version);
	jb_str(jb, "version", v);
	if (qi->sni_len)
		jb_strn(jb, "sni", (const uint8_t *)qi->sni, qi->sni_len);
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
