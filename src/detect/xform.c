/*
 * xform.c - see xform.h.
 */
#include "xform.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <zlib.h>

#include "alloc.h"
#include "digest.h"
#include <libpsl.h>
#include <pthread.h>

#include "parse.h"
#include "util.h"


static const char *const xf_names[] = {
	[XF_DOTPREFIX] = "dotprefix", [XF_TO_LOWER] = "to_lowercase",
	[XF_TO_UPPER] = "to_uppercase", [XF_STRIP_WS] = "strip_whitespace",
	[XF_COMPRESS_WS] = "compress_whitespace", [XF_URL_DECODE] = "url_decode",
	[XF_MD5] = "to_md5", [XF_SHA1] = "to_sha1", [XF_SHA256] = "to_sha256", [XF_XOR] = "xor",
	[XF_FROM_BASE64] = "from_base64", [XF_PCREXFORM] = "pcrexform",
	[XF_HEADER_LOWER] = "header_lowercase", [XF_STRIP_PSEUDO] = "strip_pseudo_headers",
	[XF_GUNZIP] = "gunzip", [XF_ZLIB] = "zlib_deflate", [XF_DOMAIN] = "domain", [XF_TLD] = "tld",
};

/* domain / tld: the Public Suffix List as libpsl has it (the newest of its
 * built-in copy and Debian's publicsuffix file), loaded once */
static const psl_ctx_t *psl;
static pthread_once_t psl_once = PTHREAD_ONCE_INIT;
static void psl_init(void)
{
	psl = psl_latest(NULL);
	if (!psl)
		psl = psl_builtin();
}

/* The registrable domain (domain: "www.example.co.uk" -> "example.co.uk")
 * or the public suffix (tld: "co.uk") of a name, lower-cased; nothing
 * when the name has none (a public suffix itself has no registrable
 * domain). */
static uint32_t psl_part(bool tld, const uint8_t *in, uint32_t len, uint8_t *out)
{
	char name[256];
	if (len >= sizeof(name))
		return 0;
	for (uint32_t i = 0; i < len; i++)
		name[i] = (char)tolower(in[i]);
	name[len] = '\0';
	if (len && name[len - 1] == '.')
		name[--len] = '\0';
	pthread_once(&psl_once, psl_init);
	if (!psl || memchr(name, '\0', len))
		return 0;
	const char *r = tld ? psl_unregistrable_domain(psl, name) : psl_registrable_domain(psl, name);
	if (!r)
		return 0;
	uint32_t n = (uint32_t)strlen(r);
	memcpy(out, r, n);
	return n;
}

/* gunzip / zlib_deflate: at most this much output unless max-size says */
#define INFLATE_DEFAULT_MAX 1024
#define INFLATE_MAX (1u << 20)

void xlist_free(struct xlist *x)
{
	for (unsigned i = 0; i < x->n; i++) {
		v_free(x->steps[i].key);
		pcre2_code_free(x->steps[i].re);
	}
	x->n = 0;
}

/* from_base64's options: "bytes N", "offset N", "mode rfc4648|rfc2045|strict",
 * comma-separated, each at most once */
static int b64_options(struct xform_step *s, const char *arg, struct parse_ctx *pc)
{
	char tmp[256];
	snprintf(tmp, sizeof(tmp), "%s", arg ? arg : "");
	bool seen[3] = { false, false, false };
	for (char *save = NULL, *o = strtok_r(tmp, ",", &save); o; o = strtok_r(NULL, ",", &save)) {
		char name[16], val[32];
		if (sscanf(o, " %15s %31s", name, val) != 2)
			FAIL("from_base64: expected \"bytes N\", \"offset N\" or \"mode M\", got \"%s\"", o);
		int k = !strcmp(name, "bytes") ? 0 : !strcmp(name, "offset") ? 1 : !strcmp(name, "mode") ? 2 : -1;
		if (k < 0)
			FAIL("from_base64: unknown option \"%s\"", name);
		if (seen[k])
			FAIL("from_base64: \"%s\" given twice", name);
		seen[k] = true;
		if (k == 2) {
			if (!strcasecmp(val, "rfc4648"))
				s->mode = B64_RFC4648;
			else if (!strcasecmp(val, "rfc2045"))
				s->mode = B64_RFC2045;
			else if (!strcasecmp(val, "strict"))
				s->mode = B64_STRICT;
			else
				FAIL("from_base64: mode is rfc4648, rfc2045 or strict, not \"%s\"", val);
			continue;
		}
		char *e;
		unsigned long v = strtoul(val, &e, 10);
		if (*e || e == val || v > 65535 || (k == 0 && !v))
			FAIL("from_base64: %s wants a number%s up to 65535, got \"%s\"", name,
			     k == 0 ? " from 1" : "", val);
		if (k == 0)
			s->nbytes = (uint32_t)v;
		else
			s->off = (uint32_t)v;
	}
	return 0;
}

/* An argument in double quotes, or without them: its text (in place). */
static char *strip_quotes(char *s)
{
	size_t n = strlen(s);
	if (n >= 2 && s[0] == '"' && s[n - 1] == '"') {
		s[n - 1] = '\0';
		s++;
	}
	return s;
}

static int step_setup(struct xform_step *s, enum xform_type t, const char *arg, struct parse_ctx *pc)
{
	memset(s, 0, sizeof(*s));
	s->type = (uint8_t)t;
	switch (t) {
	case XF_DOMAIN:
	case XF_TLD:
		/* the list is loaded with the rules, not on a packet */
		pthread_once(&psl_once, psl_init);
		if (!psl)
			FAIL("%s: the Public Suffix List (libpsl) could not be loaded", xf_names[t]);
		return 0;
	case XF_FROM_BASE64:
		return b64_options(s, arg, pc);
	case XF_GUNZIP:
	case XF_ZLIB: {
		/* [max-size N]: the most output kept (Suricata's option) */
		s->nbytes = INFLATE_DEFAULT_MAX;
		if (arg && *arg) {
			char tmp[64];
			uint64_t v;
			snprintf(tmp, sizeof(tmp), "%s", arg);
			char *o = tmp;
			while (*o == ' ' || *o == '\t')
				o++;
			char *num = o + 8;
			while (*num == ' ' || *num == '\t')
				num++;
			if (strncmp(o, "max-size", 8) || parse_size(num, &v) < 0 || !v || v > INFLATE_MAX)
				FAIL("%s: expected \"max-size N\" (1 to %u), got \"%s\"", xf_names[s->type],
				     INFLATE_MAX, arg);
			s->nbytes = (uint32_t)v;
		}
		return 0;
	}
	case XF_XOR: {
		/* xor:"0d0ac8ff": the key in hex, 1 to 255 bytes */
		char hex[600];
		snprintf(hex, sizeof(hex), "%s", arg ? arg : "");
		char *h = strip_quotes(hex);
		size_t n = strlen(h);
		if (!n || n % 2 || n > 510)
			FAIL("xor: the key is an even number of hex digits in quotes, 2 to 510");
		s->klen = (uint32_t)(n / 2);
		if (!(s->key = v_malloc(s->klen)))
			FAIL("out of memory");
		for (size_t i = 0; i < n; i += 2) {
			unsigned v;
			if (!isxdigit((unsigned char)h[i]) || !isxdigit((unsigned char)h[i + 1]) ||
			    sscanf(h + i, "%2x", &v) != 1)
				FAIL("xor: \"%.200s\" is not hex", h);
			s->key[i / 2] = (uint8_t)v;
		}
		return 0;
	}
	case XF_PCREXFORM: {
		/* pcrexform:"regex" (quotes optional): the first capture group
		 * becomes the buffer */
		char re[1024];
		snprintf(re, sizeof(re), "%s", arg ? arg : "");
		char *p = strip_quotes(re);
		if (!*p)
			FAIL("pcrexform: a regular expression is needed");
		int ec;
		PCRE2_SIZE eo;
		s->re = pcre2_compile((PCRE2_SPTR)p, PCRE2_ZERO_TERMINATED, 0, &ec, &eo, NULL);
		if (!s->re) {
			PCRE2_UCHAR msg[128];
			pcre2_get_error_message(ec, msg, sizeof(msg));
			FAIL("pcrexform: \"%.80s\": %.100s at %zu", p, (char *)msg, (size_t)eo);
		}
		uint32_t groups = 0;
		pcre2_pattern_info(s->re, PCRE2_INFO_CAPTURECOUNT, &groups);
		if (!groups)
			FAIL("pcrexform: \"%.100s\" has no capture group (the group becomes the buffer)", p);
		pcre2_jit_compile(s->re, PCRE2_JIT_COMPLETE);
		return 0;
	}
	default:
		if (arg && *arg)
			FAIL("%s takes no value", xf_names[t]);
		return 0;
	}
}

/* A new transformed list on r's current buffer, made current: the chain
 * (and => side) of the current one continued, else empty (or the dot
 * of a dotprefix written before it).  NULL with pc->err. */
static struct xlist *xl_new(struct rule *r, bool dot_bit, struct parse_ctx *pc)
{
	if (r->nxl >= 8) {
		snprintf(pc->err, sizeof(pc->err), "more than 8 transformed buffers in one rule");
		return NULL;
	}
	struct xlist *v = v_realloc(r->xl, (r->nxl + 1) * sizeof(*v));
	if (!v) {
		snprintf(pc->err, sizeof(pc->err), "out of memory");
		return NULL;
	}
	r->xl = v;
	struct xlist *x = &v[r->nxl];
	memset(x, 0, sizeof(*x));
	x->buf = (uint8_t)r->cur_buf;
	if (r->cur_xl >= 0) {
		/* after contents on a transformed buffer: its chain, then this */
		const struct xlist *from = &v[r->cur_xl];
		x->side = from->side;
		for (unsigned i = 0; i < from->n; i++) {
			x->steps[i] = from->steps[i];
			x->steps[i].key = NULL;
			x->steps[i].re = NULL;
			if (from->steps[i].key && (x->steps[i].key = v_malloc(from->steps[i].klen)))
				memcpy(x->steps[i].key, from->steps[i].key, from->steps[i].klen);
			if (from->steps[i].re)
				x->steps[i].re = pcre2_code_copy_with_tables(from->steps[i].re);
			x->n++;
		}
	} else if (dot_bit && !r->lists[r->cur_buf].cnt) {
		/* "dotprefix; to_lowercase;": the dot is the chain's first step */
		r->dotprefix[r->cur_buf / 64] &= ~(1ULL << (r->cur_buf % 64));
		x->steps[x->n++].type = XF_DOTPREFIX;
	}
	r->nxl++;
	r->cur_xl = (int8_t)(r->nxl - 1);
	r->last_content = NULL;
	return x;
}

int xform_add(struct rule *r, enum xform_type t, const char *arg, struct parse_ctx *pc)
{
	if (r->cur_buf == BUF_PAYLOAD)
		FAIL("%s needs a sticky buffer before it (a transform does not apply to the payload)",
		     xf_names[t]);
	struct xlist *cur = r->cur_xl >= 0 ? &r->xl[r->cur_xl] : NULL;
	bool dot_bit = RULE_DOT(r, r->cur_buf);
	if (cur && !cur->list.cnt) {
		/* another step of the chain being written */
		if (cur->n >= XFORM_MAX)
			FAIL("more than %d transforms on one buffer", XFORM_MAX);
		return step_setup(&cur->steps[cur->n++], t, arg, pc);
	}
	if (t == XF_DOTPREFIX && !cur && !r->lists[r->cur_buf].cnt) {
		/* the common case, as before: a dot before a DNS name or an SNI,
		 * whose contents still feed the prefilter (without the dot) */
		r->dotprefix[r->cur_buf / 64] |= 1ULL << (r->cur_buf % 64);
		return 0;
	}
	struct xlist *x = xl_new(r, dot_bit, pc);
	if (!x)
		return -1;
	if (x->n >= XFORM_MAX)
		FAIL("more than %d transforms on one buffer", XFORM_MAX);
	return step_setup(&x->steps[x->n++], t, arg, pc);
}

int xform_side(struct rule *r, uint8_t side, struct parse_ctx *pc)
{
	if (r->cur_buf == BUF_PAYLOAD)
		FAIL("a direction needs a sticky buffer");
	r->cur_xl = -1;
	struct xlist *x = xl_new(r, false, pc);
	if (!x)
		return -1;
	x->side = side;
	return 0;
}

static bool grow(struct xform_scratch *xs, int k, uint32_t need);

bool xform_scratch_reserve(struct xform_scratch *xs, uint32_t n)
{
	for (int k = 0; k < 3; k++)
		if (!grow(xs, k, n))
			return false;
	return true;
}

void xform_scratch_free(struct xform_scratch *xs)
{
	for (int i = 0; i < 3; i++) {
		v_free(xs->b[i]);
		xs->b[i] = NULL;
		xs->cap[i] = 0;
	}
	xs->b64_len = 0;
	if (xs->z) {
		inflateEnd(xs->z);
		v_free(xs->z);
		xs->z = NULL;
	}
}

static int b64_val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Suricata's modes: RFC 4648 stops at the first byte that is not base64
 * (or padding), RFC 2045 skips such bytes, strict fails on them.  A last
 * partial group of 2 or 3 characters gives its 1 or 2 bytes. */
bool xform_b64(int mode, const uint8_t *in, uint32_t len, uint8_t *out, uint32_t *olen)
{
	uint32_t o = 0, acc = 0, nacc = 0;
	for (uint32_t i = 0; i < len; i++) {
		int v = b64_val(in[i]);
		if (v < 0) {
			if (in[i] == '=')
				break;
			if (mode == B64_RFC2045)
				continue;
			if (mode == B64_STRICT)
				return false;
			break;
		}
		acc = acc << 6 | (uint32_t)v;
		if (++nacc == 4) {
			out[o++] = (uint8_t)(acc >> 16);
			out[o++] = (uint8_t)(acc >> 8);
			out[o++] = (uint8_t)acc;
			acc = nacc = 0;
		}
	}
	if (nacc == 2) {
		out[o++] = (uint8_t)(acc >> 4);
	} else if (nacc == 3) {
		out[o++] = (uint8_t)(acc >> 10);
		out[o++] = (uint8_t)(acc >> 2);
	} else if (nacc == 1 && mode == B64_STRICT) {
		return false;
	}
	*olen = o;
	return true;
}

static bool b64_decode(const struct xform_step *s, const uint8_t *in, uint32_t len, uint8_t *out,
		       uint32_t *olen)
{
	if (s->off >= len) {
		*olen = 0;
		return true;
	}
	in += s->off;
	len -= s->off;
	if (s->nbytes && s->nbytes < len)
		len = s->nbytes;
	return xform_b64(s->mode, in, len, out, olen);
}

void xform_b64_keep(struct xform_scratch *xs, const uint8_t *buf, uint32_t len, int64_t pos,
		    uint32_t bytes)
{
	xs->b64_len = 0;
	if (pos < 0 || pos >= (int64_t)len)
		return;
	uint32_t n = len - (uint32_t)pos;
	if (bytes && bytes < n)
		n = bytes;
	if (n > XFORM_INPUT_MAX)
		n = XFORM_INPUT_MAX;
	uint32_t o = 0;
	if (grow(xs, XS_B64, n / 4 * 3 + 4) && xform_b64(B64_RFC4648, buf + pos, n, xs->b[XS_B64], &o))
		xs->b64_len = o;
}

static int hexv(uint8_t c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* One step from in to out (out holds len + 1 bytes at least, and 32 for
 * the digests); false when the step fails. */
/* gzip (gunzip) or zlib (zlib_deflate) data decompressed into out, at
 * most s->nbytes of it: what decompresses before an error or the limit
 * is the result, as Suricata keeps it; nothing at all is a failure. */
static bool inflate_into(const struct xform_step *s, void *zs, const uint8_t *in, uint32_t len,
			 uint8_t *out, uint32_t *olen)
{
	z_stream *z = zs;
	if (!z || inflateReset2(z, s->type == XF_GUNZIP ? 16 + MAX_WBITS : MAX_WBITS) != Z_OK)
		return false;
	z->next_in = (Bytef *)in;
	z->avail_in = len;
	z->next_out = out;
	z->avail_out = s->nbytes;
	int rc = inflate(z, Z_FINISH);
	*olen = s->nbytes - z->avail_out;
	return rc == Z_STREAM_END || *olen > 0;
}

static bool step(const struct xform_step *s, const uint8_t *in, uint32_t len, uint8_t *out,
		 uint32_t *olen, pcre2_match_data *md, void *z)
{
	uint32_t o = 0;
	switch (s->type) {
	case XF_DOTPREFIX:
		out[0] = '.';
		memcpy(out + 1, in, len);
		o = len + 1;
		break;
	case XF_TO_LOWER:
	case XF_TO_UPPER:
		for (uint32_t i = 0; i < len; i++)
			out[i] = (uint8_t)(s->type == XF_TO_LOWER ? tolower(in[i]) : toupper(in[i]));
		o = len;
		break;
	case XF_STRIP_WS:
		for (uint32_t i = 0; i < len; i++)
			if (!isspace(in[i]))
				out[o++] = in[i];
		break;
	case XF_COMPRESS_WS:
		/* a run of white space: its first character */
		for (uint32_t i = 0; i < len; i++)
			if (!isspace(in[i]) || !o || !isspace(out[o - 1]))
				out[o++] = in[i];
		break;
	case XF_URL_DECODE:
		for (uint32_t i = 0; i < len; i++) {
			if (in[i] == '%' && i + 2 < len && isxdigit(in[i + 1]) && isxdigit(in[i + 2])) {
				out[o++] = (uint8_t)(hexv(in[i + 1]) << 4 | hexv(in[i + 2]));
				i += 2;
			} else {
				out[o++] = in[i] == '+' ? ' ' : in[i];
			}
		}
		break;
	case XF_MD5:
	case XF_SHA1:
	case XF_SHA256: {
		enum digest_alg a = s->type == XF_MD5 ? DIGEST_MD5 : s->type == XF_SHA1 ? DIGEST_SHA1 : DIGEST_SHA256;
		if (!digest(a, in, len, out))
			return false;
		o = s->type == XF_MD5 ? 16 : s->type == XF_SHA1 ? 20 : 32;
		break;
	}
	case XF_DOMAIN:
	case XF_TLD:
		o = psl_part(s->type == XF_TLD, in, len, out);
		break;
	case XF_XOR:
		for (uint32_t i = 0; i < len; i++)
			out[i] = in[i] ^ s->key[i % s->klen];
		o = len;
		break;
	case XF_FROM_BASE64:
		if (!b64_decode(s, in, len, out, &o))
			return false;
		break;
	case XF_GUNZIP:
	case XF_ZLIB:
		return inflate_into(s, z, in, len, out, olen);
	case XF_PCREXFORM: {
		int rc = pcre2_match(s->re, in, len, 0, 0, md, NULL);
		if (rc < 2) {
			/* no match (or the group not set): the buffer as it was */
			memcpy(out, in, len);
			o = len;
			break;
		}
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
		if (ov[2] == PCRE2_UNSET || ov[3] < ov[2] || ov[3] > len) {
			memcpy(out, in, len);
			o = len;
			break;
		}
		o = (uint32_t)(ov[3] - ov[2]);
		memmove(out, in + ov[2], o);
		break;
	}
	case XF_HEADER_LOWER: {
		/* "Name: value" lines: the names lower-cased */
		bool name = true;
		for (uint32_t i = 0; i < len; i++) {
			uint8_t c = in[i];
			if (c == '\n')
				name = true;
			else if (c == ':')
				name = false;
			out[i] = name ? (uint8_t)tolower(c) : c;
		}
		o = len;
		break;
	}
	case XF_STRIP_PSEUDO: {
		/* lines that start with ':' (HTTP/2's :method, :path, ...) go */
		for (uint32_t i = 0; i < len;) {
			const uint8_t *nl = memchr(in + i, '\n', len - i);
			uint32_t end = nl ? (uint32_t)(nl - in) + 1 : len;
			if (in[i] != ':') {
				memcpy(out + o, in + i, end - i);
				o += end - i;
			}
			i = end;
		}
		break;
	}
	}
	*olen = o;
	return true;
}

static bool grow(struct xform_scratch *xs, int k, uint32_t need)
{
	if (xs->cap[k] >= need)
		return true;
	uint32_t cap = xs->cap[k] ? xs->cap[k] : 4096;
	while (cap < need)
		cap *= 2;
	uint8_t *b = v_realloc(xs->b[k], cap);
	if (!b)
		return false;
	xs->b[k] = b;
	xs->cap[k] = cap;
	return true;
}

const uint8_t *xform_apply(const struct xlist *x, const uint8_t *in, uint32_t len,
			   struct xform_scratch *xs, pcre2_match_data *md, uint32_t *outlen)
{
	if (len > XFORM_INPUT_MAX)
		len = XFORM_INPUT_MAX;
	const uint8_t *cur = in;
	uint32_t cl = len;
	for (unsigned i = 0; i < x->n; i++) {
		int k = i & 1;
		const struct xform_step *s = &x->steps[i];
		bool inf = s->type == XF_GUNZIP || s->type == XF_ZLIB;
		/* every step's output fits in its input + 1, or 32 (a digest),
		 * or (decompressing) its max-size */
		uint32_t need = (cl > 32 ? cl : 32) + 1;
		if (inf && s->nbytes + 1 > need)
			need = s->nbytes + 1;
		if (!grow(xs, k, need))
			return NULL;
		if (inf && !xs->z) {
			/* one inflate state per worker, made the first time */
			z_stream *z = v_calloc(1, sizeof(*z));
			if (!z || inflateInit2(z, 16 + MAX_WBITS) != Z_OK) {
				v_free(z);
				return NULL;
			}
			xs->z = z;
		}
		uint32_t ol;
		if (!step(s, cur, cl, xs->b[k], &ol, md, xs->z))
			return NULL;
		cur = xs->b[k];
		cl = ol;
	}
	*outlen = cl;
	return cur;
}
