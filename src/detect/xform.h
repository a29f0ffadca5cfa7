/*
 * xform.h - transforms on sticky buffers (detect-internal).
 *
 * A transform keyword (to_lowercase, url_decode, from_base64, ...) after a
 * sticky buffer makes the keywords that follow inspect the buffer as the
 * chain of transforms turns it, as Suricata's transforms do.  A rule keeps
 * such a transformed buffer as an xlist beside its plain lists: the buffer
 * it reads, the chain, and its own payload list.  A transform after a
 * content starts a new xlist on the same buffer with the chain so far plus
 * the new step ("http.uri; content:"/?a="; from_base64: offset 3;
 * content:"x";" inspects the URI raw, then decoded).
 *
 * Contents of an xlist never feed the multi-pattern prefilter (its
 * patterns are not in the raw buffer): a rule whose only contents are
 * transformed is a candidate for every packet that has the buffer.
 */
#ifndef VIGIL_XFORM_H
#define VIGIL_XFORM_H

#include "rule.h"

enum xform_type {
	XF_DOTPREFIX, XF_TO_LOWER, XF_TO_UPPER, XF_STRIP_WS, XF_COMPRESS_WS, XF_URL_DECODE,
	XF_MD5, XF_SHA1, XF_SHA256, XF_XOR, XF_FROM_BASE64, XF_PCREXFORM, XF_HEADER_LOWER,
	XF_STRIP_PSEUDO, XF_GUNZIP, XF_ZLIB, XF_DOMAIN, XF_TLD,
};

#define XFORM_MAX 8

enum { B64_RFC4648, B64_RFC2045, B64_STRICT };

struct xform_step {
	uint8_t type;
	uint8_t mode;            /* from_base64 */
	uint32_t off, nbytes;    /* from_base64: where to start, how much (0: all);
				  * gunzip / zlib_deflate: nbytes is max-size */
	uint8_t *key;            /* xor */
	uint32_t klen;
	pcre2_code *re;          /* pcrexform */
};

struct xlist {
	uint8_t buf;             /* the buffer it transforms */
	uint8_t side;            /* a => rule's "buf: to_server" (1) or "to_client" (2); 0 */
	uint8_t n;
	struct xform_step steps[XFORM_MAX];
	struct sm_list list;
};

/* A transform keyword on r's current sticky buffer; arg may be NULL.
 * 0, or -1 with pc->err. */
struct parse_ctx;
int xform_add(struct rule *r, enum xform_type t, const char *arg, struct parse_ctx *pc);
/* "buf: to_server" / "buf: to_client" in a => rule: r's current sticky
 * buffer, of that direction of the transaction (side 1 or 2), as an
 * untransformed list of its own.  0, or -1 with pc->err. */
int xform_side(struct rule *r, uint8_t side, struct parse_ctx *pc);

/* Per worker: two buffers the chain writes into in turn, grown to the
 * largest input seen (at most XFORM_INPUT_MAX). */
#define XFORM_INPUT_MAX (16u << 20)
struct xform_scratch {
	uint8_t *b[3];           /* b[XS_B64]: base64_decode's result, for base64_data */
	uint32_t cap[3];
	uint32_t b64_len;
	void *z;                 /* gunzip / zlib_deflate: one inflate state, reset per use */
};
#define XS_B64 2

/* Decodes base64 (B64_* mode) from in into out (len * 3 / 4 + 3 bytes);
 * false when strict mode meets a byte that is not base64. */
bool xform_b64(int mode, const uint8_t *in, uint32_t len, uint8_t *out, uint32_t *olen);
/* base64_decode at pos of buf (bytes 0: to the end) into xs->b[XS_B64]. */
void xform_b64_keep(struct xform_scratch *xs, const uint8_t *buf, uint32_t len, int64_t pos,
		    uint32_t bytes);
void xform_scratch_free(struct xform_scratch *xs);
/* Makes the scratch buffers n bytes each up front; false if out of memory. */
bool xform_scratch_reserve(struct xform_scratch *xs, uint32_t n);

/* in/len through the chain: the result (in xs, or in itself when the
 * chain leaves it as it is), or NULL when a step fails (from_base64 in
 * strict mode on bad input, or out of memory): then nothing matches. */
const uint8_t *xform_apply(const struct xlist *x, const uint8_t *in, uint32_t len,
			   struct xform_scratch *xs, pcre2_match_data *md, uint32_t *outlen);

/* Frees what the steps own (not x itself). */
void xlist_free(struct xlist *x);

#endif
