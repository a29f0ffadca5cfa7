/*
 * payload.c - content, pcre, byte_test/jump/extract/math, isdataat and
 * bsize over one buffer, with Suricata's semantics:
 *
 *  - offset/depth are absolute: the content must lie in
 *    [offset, offset + depth);
 *  - distance/within are relative to the end of the previous match: the
 *    search starts at prev + distance and the content must end before
 *    prev + distance + within;
 *  - a failure after a relative element retries the previous content at
 *    its next occurrence (backtracking), bounded by a step budget so a
 *    hostile payload cannot make one rule run long;
 *  - negated content and pcre succeed when nothing matches in the window.
 * Every read is bounds-checked against the buffer; offsets are 64-bit so
 * sums of rule values and lengths cannot wrap.
 */
#include "payload.h"
#include "xform.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "ber.h"
#include "dataset.h"
#include "util.h"

#define STEP_COST 1

/* datajson: the matched value's object joins the rule's context as
 * "KEY":{...} (what does not fit is left out). */
static void ctx_add(struct insp *st, const struct sm_dataset *d)
{
	char js[DETECT_CTX_MAX];
	if (!dataset_json(d->ds, st->buf, st->len, js, sizeof(js)))
		return;
	size_t kl = strlen(d->ctx_key), jl = strlen(js);
	size_t at = st->ctx_len ? st->ctx_len - 1 : 1; /* over the closing brace */
	if (at + kl + jl + 6 > sizeof(st->ctx))
		return;
	if (!st->ctx_len)
		st->ctx[0] = '{';
	else
		st->ctx[at++] = ',';
	st->ctx[at++] = '"';
	memcpy(st->ctx + at, d->ctx_key, kl);
	at += kl;
	st->ctx[at++] = '"';
	st->ctx[at++] = ':';
	memcpy(st->ctx + at, js, jl);
	at += jl;
	st->ctx[at++] = '}';
	st->ctx[at] = 0;
	st->ctx_len = (uint16_t)at;
}

const uint8_t *payload_find(const uint8_t *buf, uint32_t len, const uint8_t *pat,
			    const uint8_t *lower, uint32_t plen, bool nocase)
{
	if (plen == 0 || plen > len)
		return NULL;
	if (!nocase)
		return memmem(buf, len, pat, plen);
	uint8_t f0 = lower[0], f1 = (uint8_t)toupper(f0);
	const uint8_t *p = buf, *last = buf + (len - plen);
	while (p <= last) {
		/* next position whose first byte matches either case */
		size_t span = (size_t)(last - p) + 1;
		const uint8_t *a = memchr(p, f0, span);
		const uint8_t *b = f1 != f0 ? memchr(p, f1, a ? (size_t)(a - p) : span) : NULL;
		const uint8_t *c = b ? b : a;
		if (!c)
			return NULL;
		uint32_t i = 1;
		while (i < plen && (uint8_t)tolower(c[i]) == lower[i])
			i++;
		if (i == plen)
			return c;
		p = c + 1;
	}
	return NULL;
}

static int64_t nv(const struct numvar *n, const struct insp *st)
{
	return n->var >= 0 ? st->vars[n->var] : n->v;
}

static int64_t cnv(const struct cnumvar *n, const struct insp *st)
{
	return n->var >= 0 ? st->vars[n->var] : n->v;
}

/* Reads nbytes at pos as a number; false if out of bounds or not a
 * number (string mode). */
/* A byte keyword's count: as written, or its variable's value */
static int64_t nbytes_of(const struct sm_byte *b, const struct insp *st)
{
	return b->nbytes_var ? st->vars[b->nbytes_var - 1] : b->nbytes;
}

static bool read_num(const struct sm_byte *b, const struct insp *st, int64_t pos, uint64_t *out)
{
	/* nbytes 0 (byte_test, string): from pos to the end of the buffer;
	 * a variable's count: 1 to 8 bytes (23 as a string) */
	int64_t nb = b->nbytes ? b->nbytes : (int64_t)st->len - pos;
	if (!b->nbytes && !b->string && !b->nbytes_var) {
		/* byte_jump:0,...: Suricata reads nothing, the value 0 */
		*out = 0;
		return pos >= 0 && pos <= (int64_t)st->len;
	}
	if (b->nbytes_var) {
		nb = st->vars[b->nbytes_var - 1];
		if (nb < 0 || nb > (b->string ? 23 : 8))
			return false;
		if (nb == 0) {
			/* Suricata reads nothing: the value 0 */
			*out = 0;
			return pos >= 0 && pos <= (int64_t)st->len;
		}
	}
	if (pos < 0 || nb <= 0 || pos + nb > (int64_t)st->len)
		return false;
	const uint8_t *p = st->buf + pos;
	uint64_t v = 0;
	if (b->string) {
		unsigned base = b->base ? b->base : 10;
		bool any = false;
		for (int64_t i = 0; i < nb; i++) {
			int d;
			uint8_t ch = p[i];
			if (ch >= '0' && ch <= '9') d = ch - '0';
			else if (base == 16 && ch >= 'a' && ch <= 'f') d = ch - 'a' + 10;
			else if (base == 16 && ch >= 'A' && ch <= 'F') d = ch - 'A' + 10;
			else break;
			if ((unsigned)d >= base)
				break;
			if (v > (UINT64_MAX - (uint64_t)d) / base)
				return false;
			v = v * base + (uint64_t)d;
			any = true;
		}
		if (!any)
			return false;
	} else if (b->endian == BYTE_LE) {
		for (unsigned i = (unsigned)nb; i-- > 0;)
			v = v << 8 | p[i];
	} else {
		for (unsigned i = 0; i < (unsigned)nb; i++)
			v = v << 8 | p[i];
	}
	if (b->bitmask) {
		v &= b->bitmask;
		v >>= __builtin_ctzll(b->bitmask);
	}
	*out = v;
	return true;
}

static bool is_relative(const struct sm *s)
{
	switch (s->type) {
	case SM_CONTENT: return s->u.c.has_distance || s->u.c.has_within;
	case SM_PCRE: return s->u.pcre.relative;
	case SM_BYTE_TEST: case SM_BYTE_JUMP: case SM_BYTE_EXTRACT: case SM_BYTE_MATH:
		return s->u.b.relative;
	case SM_ISDATAAT: return s->u.d.relative;
	case SM_B64_DECODE: return s->u.b64.relative;
	case SM_ASN1: return s->u.asn1.relative;
	default: return false;
	}
}

bool numcmp_ok(const struct numcmp *c, uint64_t v)
{
	switch (c->op) {
	case CMP_EQ: return v == c->a;
	case CMP_NE: return v != c->a;
	case CMP_LT: return v < c->a;
	case CMP_GT: return v > c->a;
	case CMP_LE: return v <= c->a;
	case CMP_GE: return v >= c->a;
	case CMP_RANGE_EX: return v > c->a && v < c->b;
	case CMP_RANGE_IN: return v >= c->a && v <= c->b;
	}
	return false;
}

static bool match_from(const struct sm_list *l, uint32_t i, int64_t prev, struct insp *st);

static void rep_note(struct insp *st, uint32_t i, int64_t pos)
{
	unsigned k = 0;
	while (k < st->nrep && st->rep[k].i != i)
		k++;
	if (k == st->nrep) {
		if (k == ARRAY_SIZE(st->rep))
			return;
		st->nrep++;
	}
	st->rep[k].i = (uint16_t)i;
	st->rep[k].pos = (uint32_t)pos;
}

static bool match_content(const struct sm_list *l, uint32_t i, int64_t prev, struct insp *st)
{
	const struct sm_content *c = &l->v[i].u.c;
	int64_t start = 0, end = st->len;
	if (c->startswith) {
		end = c->len;
	} else if (c->has_distance || c->has_within) {
		int64_t dist = c->has_distance ? cnv(&c->distance, st) : 0;
		start = prev + dist;
		if (c->has_within)
			end = MIN(end, start + cnv(&c->within, st));
		if (start < 0)
			start = 0;
	} else {
		if (c->has_offset)
			start = cnv(&c->offset, st);
		if (c->has_depth)
			end = MIN(end, start + cnv(&c->depth, st));
	}
	if (start < 0)
		start = 0;
	if (end > (int64_t)st->len)
		end = st->len;
	if (c->endswith && c->len <= st->len) /* only the tail can match */
		start = MAX(start, (int64_t)st->len - (int64_t)c->len);
	bool found_any = false;
	bool retry = false;
	for (uint32_t j = i + 1; j < l->cnt && !retry; j++)
		retry = is_relative(&l->v[j]);
	while (start + (int64_t)c->len <= end) {
		if (st->budget == 0)
			return false;
		st->budget -= STEP_COST;
		const uint8_t *m = payload_find(st->buf + start, (uint32_t)(end - start), c->pat,
						c->lower, c->len, c->nocase);
		if (!m)
			break;
		int64_t mpos = m - st->buf, mend = mpos + c->len;
		if (c->endswith && mend != (int64_t)st->len) {
			start = mpos + 1;
			continue;
		}
		found_any = true;
		if (c->negated)
			return false;
		if (c->repl)
			rep_note(st, i, mpos);
		if (match_from(l, i + 1, mend, st))
			return true;
		if (!retry)
			return false;
		start = mpos + 1;
	}
	if (c->negated && !found_any)
		return match_from(l, i + 1, prev, st);
	return false;
}

/* An expression is JIT-compiled the first time any worker matches it,
 * under one lock, and by no other path: pcre2_jit_compile changes the
 * code, so no worker may match while another compiles (they all come
 * here first).  ET Open has 7,000 expressions; most never run, and
 * compiling them all at load took 15% of the load time and 9 MB. */
static pthread_mutex_t jit_lock = PTHREAD_MUTEX_INITIALIZER;

static void pcre_ready(const struct sm_pcre *cpc)
{
	struct sm_pcre *pc = (struct sm_pcre *)cpc; /* the flag is the rule's only mutable part */
	if (atomic_load_explicit(&pc->jit, memory_order_acquire))
		return;
	pthread_mutex_lock(&jit_lock);
	if (!atomic_load_explicit(&pc->jit, memory_order_relaxed)) {
		pcre2_jit_compile(pc->re, PCRE2_JIT_COMPLETE); /* else the interpreter */
		atomic_store_explicit(&pc->jit, true, memory_order_release);
	}
	pthread_mutex_unlock(&jit_lock);
}

static bool match_pcre(const struct sm_list *l, uint32_t i, int64_t prev, struct insp *st)
{
	const struct sm_pcre *pc = &l->v[i].u.pcre;
	pcre_ready(pc);
	int64_t start = pc->relative ? prev : 0;
	if (start > (int64_t)st->len)
		return pc->negated ? match_from(l, i + 1, prev, st) : false;
	if (st->budget < 16)
		return false;
	st->budget -= 16;
	/* the subject starts at the inspection point, so ^ anchors there
	 * (as in Suricata, which hands pcre the rest of the buffer) */
	const uint8_t *subj = st->buf + start;
	size_t slen = st->len - (size_t)start;
	int rc = pcre2_match(pc->re, subj, slen, 0, 0, st->md, st->mctx);
	if (pc->negated)
		return rc < 0 ? match_from(l, i + 1, prev, st) : false;
	/* when what follows is relative to this match and fails, the next
	 * match of the expression is tried (Suricata backtracks into pcre
	 * as into content) */
	bool retry = i + 1 < l->cnt && is_relative(&l->v[i + 1]);
	while (rc >= 0) {
		PCRE2_SIZE *ov = pcre2_get_ovector_pointer(st->md);
		size_t m0 = ov[0], m1 = ov[1];
		/* captures into variables: noted now, dropped if the rest fails */
		uint8_t ncap = st->ncap;
		if (pc->cap)
			kw_gap_pcre_note(pc->cap, subj, ov, rc, st);
		if (match_from(l, i + 1, start + (int64_t)m1, st))
			return true;
		st->ncap = ncap;
		if (!retry || m0 + 1 > slen || st->budget < 16)
			return false;
		st->budget -= 16;
		rc = pcre2_match(pc->re, subj, slen, m0 + 1, 0, st->md, st->mctx);
	}
	return false;
}

/* Walks the elements in [p, p+n): false if one is malformed (Suricata's
 * decoder then drops the whole top-level object); *hit when one fails a
 * check.  SEQUENCE and SET are entered; other elements are leaves. */
static bool asn1_walk(const uint8_t *p, size_t n, const struct sm_asn1 *a, unsigned depth,
		      bool *hit)
{
	if (depth >= 30)
		return false;
	while (n) {
		struct ber_hdr h;
		if (!ber_header(p, n, &h))
			return false;
		const uint8_t *c = p + h.hlen;
		bool univ_prim = h.cls == 0 && !h.constructed;
		if (univ_prim && ((h.tag == 3 && !h.len) || (h.tag == 1 && h.len != 1) ||
				  (h.tag == 5 && h.len)))
			return false; /* an empty BIT STRING, a BOOLEAN not 1 byte, a NULL with content */
		if (a->oversize && h.len > a->oversize)
			*hit = true;
		/* unused bits beyond the string's own length */
		if (a->bitstring && univ_prim && h.tag == 3 && (uint64_t)c[0] > (uint64_t)h.len * 8)
			*hit = true;
		/* an ASCII-form REAL over 256 bytes (the MS ASN.1 overflow) */
		if (a->dbl && univ_prim && h.tag == 9 && h.len > 256 && !(c[0] & 0xc0))
			*hit = true;
		if (h.cls == 0 && h.constructed && (h.tag == 16 || h.tag == 17) &&
		    !asn1_walk(c, h.len, a, depth + 1, hit))
			return false;
		p = c + h.len;
		n -= h.hlen + h.len;
		if (depth == 0)
			return true; /* one top-level object at a time */
	}
	return true;
}

/* asn1: the objects from the offset on, up to 30 of them, each checked
 * once it decoded whole; more than 30 is a decoding failure. */
static bool asn1_match(const struct sm_asn1 *a, int64_t prev, const uint8_t *buf, uint32_t len)
{
	int64_t off = a->offset + (a->relative ? prev : 0);
	if (off < 0 || off >= (int64_t)len)
		return false;
	const uint8_t *p = buf + off;
	size_t n = len - (size_t)off;
	bool matched = false;
	for (unsigned frames = 0; n; frames++) {
		if (frames >= 30)
			return false;
		struct ber_hdr h;
		bool hit = false;
		if (!ber_header(p, n, &h) || !asn1_walk(p, h.hlen + h.len, a, 0, &hit))
			break;
		matched |= hit;
		p += h.hlen + h.len;
		n -= h.hlen + h.len;
	}
	return matched;
}

static bool match_from(const struct sm_list *l, uint32_t i, int64_t prev, struct insp *st)
{
	if (i >= l->cnt)
		return true;
	const struct sm *s = &l->v[i];
	switch (s->type) {
	case SM_CONTENT:
		return match_content(l, i, prev, st);
	case SM_PCRE:
		return match_pcre(l, i, prev, st);
	case SM_ISDATAAT: {
		/* Suricata: relative asks whether N bytes follow the previous
		 * match (prev + N <= len); absolute whether offset N exists */
		int64_t pos = nv(&s->u.d.n, st) + (s->u.d.relative ? prev : 0);
		bool ok = s->u.d.relative ? pos >= 0 && pos <= (int64_t)st->len
					  : pos >= 0 && pos < (int64_t)st->len;
		if (s->u.d.negated)
			ok = !ok;
		return ok && match_from(l, i + 1, prev, st);
	}
	case SM_BSIZE:
		return numcmp_ok(&s->u.bsize, st->len) && match_from(l, i + 1, prev, st);
	case SM_ABSENT:
		/* the buffer is there (inspect_instances decided): with
		 * or_else, what follows decides */
		return s->u.absent_or_else && match_from(l, i + 1, prev, st);
	case SM_DATASET: {
		/* the whole buffer's value, as Suricata tests it */
		const struct sm_dataset *d = &s->u.ds;
		if (d->datarep) {
			uint32_t rep;
			return dataset_rep(d->ds, st->buf, st->len, &rep) && numcmp_ok(&d->rep, rep) &&
			       match_from(l, i + 1, prev, st);
		}
		bool ok = dataset_cmd(d->ds, d->cmd, st->buf, st->len);
		if (ok && d->ctx_key && d->ctx_key[0] && d->cmd == DS_ISSET)
			ctx_add(st, d);
		if (d->subdomain && (d->cmd == DS_ISSET || d->cmd == DS_ISNOTSET)) {
			/* ".a.b.c": also ".b.c" and ".c" (a name with dotprefix) */
			for (uint32_t k = 1; k < st->len && ok == (d->cmd == DS_ISNOTSET); k++)
				if (st->buf[k] == '.')
					ok = dataset_cmd(d->ds, d->cmd, st->buf + k, st->len - k);
		}
		return ok && match_from(l, i + 1, prev, st);
	}
	case SM_ASN1:
		return asn1_match(&s->u.asn1, prev, st->buf, st->len) && match_from(l, i + 1, prev, st);
	case SM_ENTROPY: {
		const struct sm_entropy *e = &s->u.ent;
		if (e->offset > st->len)
			return false;
		uint32_t n = st->len - e->offset;
		if (e->bytes && e->bytes < n)
			n = e->bytes;
		uint32_t hist[256] = { 0 };
		const uint8_t *d = st->buf + e->offset;
		for (uint32_t k = 0; k < n; k++)
			hist[d[k]]++;
		double h = 0;
		for (int k = 0; k < 256 && n; k++)
			if (hist[k]) {
				double pr = (double)hist[k] / n;
				h -= pr * log2(pr);
			}
		bool ok;
		switch (e->op) {
		case CMP_EQ: ok = h == e->a; break;
		case CMP_NE: ok = h != e->a; break;
		case CMP_LT: ok = h < e->a; break;
		case CMP_GT: ok = h > e->a; break;
		case CMP_LE: ok = h <= e->a; break;
		case CMP_GE: ok = h >= e->a; break;
		default: ok = h > e->a && h < e->b; break;
		}
		if (e->neg)
			ok = !ok;
		/* kept for the flow's records and alerts (metadata.entropy),
		 * matched or not, as Suricata keeps the value it computed */
		st->ent_buf = st->cur_buf;
		st->ent_val = h;
		return ok && match_from(l, i + 1, prev, st);
	}
	case SM_B64_DECODE: {
		/* not a condition: it decodes for base64_data and goes on */
		const struct sm_b64 *b = &s->u.b64;
		if (st->xs)
			xform_b64_keep(st->xs, st->buf, st->len, (int64_t)b->offset + (b->relative ? prev : 0),
				       b->bytes);
		return match_from(l, i + 1, prev, st);
	}
	case SM_BYTE_TEST: {
		const struct sm_byte *b = &s->u.b;
		uint64_t v;
		int64_t pos = nv(&b->offset, st) + (b->relative ? prev : 0);
		if (!read_num(b, st, pos, &v))
			return false;
		uint64_t t = (uint64_t)nv(&b->value, st);
		bool ok;
		switch (b->op) {
		case '<': ok = b->op2 ? v <= t : v < t; break;
		case '>': ok = b->op2 ? v >= t : v > t; break;
		case '=': ok = v == t; break;
		case '&': ok = (v & t) != 0; break;
		case '^': ok = (v ^ t) != 0; break;
		default: ok = false; break;
		}
		if (b->negate_op)
			ok = !ok;
		return ok && match_from(l, i + 1, prev, st);
	}
	case SM_BYTE_JUMP: {
		const struct sm_byte *b = &s->u.b;
		uint64_t v;
		int64_t pos = nv(&b->offset, st) + (b->relative ? prev : 0);
		if (!read_num(b, st, pos, &v) || v > UINT32_MAX)
			return false;
		int64_t jump = (int64_t)v * (b->multiplier ? b->multiplier : 1); /* < 2^48 */
		if (b->align && (jump % 4))
			jump += 4 - jump % 4;
		int64_t base = b->from_beginning ? 0 : b->from_end ? (int64_t)st->len : pos + nbytes_of(b, st);
		int64_t np = base + jump + b->post_offset;
		if (np < 0)
			np = 0; /* before the buffer: its start, as Suricata 8 does */
		if (np > (int64_t)st->len)
			return false;
		return match_from(l, i + 1, np, st);
	}
	case SM_BYTE_EXTRACT: {
		const struct sm_byte *b = &s->u.b;
		uint64_t v;
		int64_t pos = nv(&b->offset, st) + (b->relative ? prev : 0);
		if (!read_num(b, st, pos, &v) || v > INT32_MAX)
			return false;
		int64_t val = (int64_t)v * (b->multiplier ? b->multiplier : 1);
		if (b->align && b->post_offset > 1 && (val % b->post_offset))
			val += b->post_offset - val % b->post_offset;
		st->vars[b->result_var] = val;
		return match_from(l, i + 1, pos + nbytes_of(b, st), st);
	}
	case SM_BYTE_MATH: {
		const struct sm_byte *b = &s->u.b;
		uint64_t v;
		int64_t pos = nv(&b->offset, st) + (b->relative ? prev : 0);
		if (!read_num(b, st, pos, &v))
			return false;
		int64_t rv = nv(&b->value, st), res;
		int64_t x = (int64_t)(v & 0x7fffffffffffffffULL);
		switch (b->op) {
		/* wrap like the unsigned arithmetic Suricata does, never UB */
		case '+': res = (int64_t)((uint64_t)x + (uint64_t)rv); break;
		case '-': res = (int64_t)((uint64_t)x - (uint64_t)rv); break;
		case '*': res = (int64_t)((uint64_t)x * (uint64_t)rv); break;
		case '/': if (rv == 0) return false; res = x / rv; break;
		case 'L': res = rv >= 0 && rv < 64 ? (int64_t)((uint64_t)x << rv) : 0; break;
		case 'R': res = rv >= 0 && rv < 64 ? x >> rv : 0; break;
		default: return false;
		}
		st->vars[b->result_var] = res;
		return match_from(l, i + 1, prev, st);
	}
	}
	return false;
}

bool payload_inspect(const struct sm_list *l, struct insp *st)
{
	return match_from(l, 0, 0, st);
}
