/*
 * defrag.c - IPv4 and IPv6 fragment reassembly.
 *
 * A tracker per datagram, keyed by (version, src, dst, id, protocol),
 * holds copies of its fragments in arrival order.  After each fragment the
 * tracker checks whether the pieces cover [0, total) with the last fragment
 * (MF clear) seen; if so it rebuilds the datagram: the first fragment's
 * header (IPv4: lengths, flags and checksum rewritten; IPv6: the fixed
 * header with the fragment header's next-header) followed by the data.
 *
 * Overlap policy: "first" - where fragments overlap, the bytes that
 * arrived first win (the fragments are written newest first, so older
 * ones overwrite).  This is what Windows and Solaris do and Suricata's
 * "first" policy; overlaps raise frag_overlap either way so rules can see
 * an evasion attempt whatever the target OS would have done.
 *
 * Limits: memory is charged to the worker's share of defrag.memcap;
 * a datagram may have at most defrag.max-frags fragments; a partial
 * datagram older than defrag.timeout is dropped.  Trackers sit on an
 * age-ordered list so expiry is O(expired).
 */
#include "decode_int.h"

#include <stdlib.h>
#include <string.h>

#include "alloc.h"

#define DEFRAG_HASH_SIZE 4096

struct frag {
	uint32_t off;
	uint32_t len;
	uint8_t *data;
};

struct tracker {
	struct tracker *hnext;            /* hash chain */
	struct tracker *older, *newer;    /* age list */
	uint8_t ip_ver, proto;
	uint32_t id;
	uint8_t src[16], dst[16];
	uint16_t vlan0;
	vtime_t created;
	uint8_t hdr[60];                  /* first fragment's header */
	uint32_t hdr_len;                 /* 0 until offset 0 arrives */
	uint32_t total;                   /* payload length once last seen */
	bool have_last;
	bool overlap;
	uint32_t frag_cnt, frag_cap;
	struct frag *frags;
	uint64_t mem;
};

struct defrag {
	struct tracker *buckets[DEFRAG_HASH_SIZE];
	struct tracker *oldest, *newest;
	struct memcap mc;
	uint64_t timeout;
	unsigned max_frags;
	struct counters *cnt;
	uint64_t seed;
	uint8_t *out;                      /* last rebuilt datagram */
	uint32_t out_cap;
};

struct defrag *defrag_new(uint64_t memcap, uint64_t timeout_usec, unsigned max_frags,
			  struct counters *cnt)
{
	struct defrag *df = v_calloc(1, sizeof(*df));
	if (!df)
		return NULL;
	df->mc.cap = memcap;
	df->timeout = timeout_usec;
	df->max_frags = max_frags ? max_frags : 1;
	df->cnt = cnt;
	df->seed = (uint64_t)(uintptr_t)df ^ 0x5bd1e995u;
	/* the reassembled datagram's buffer at its largest, so that it never
	 * grows on the packet path; its pages are touched as datagrams use it */
	df->out_cap = 65535 + 60 + 40;
	if (!(df->out = v_malloc(df->out_cap))) {
		v_free(df);
		return NULL;
	}
	return df;
}

static void tracker_free(struct defrag *df, struct tracker *t)
{
	for (uint32_t i = 0; i < t->frag_cnt; i++)
		v_free(t->frags[i].data);
	v_free(t->frags);
	memcap_release(&df->mc, t->mem);
	v_free(t);
}

static uint32_t tracker_hash(const struct defrag *df, uint8_t ver, const uint8_t *src,
			     const uint8_t *dst, uint32_t id, uint8_t proto)
{
	uint8_t k[40];
	memcpy(k, src, 16);
	memcpy(k + 16, dst, 16);
	memcpy(k + 32, &id, 4);
	k[36] = ver;
	k[37] = proto;
	k[38] = k[39] = 0;
	return (uint32_t)(hash_bytes(k, sizeof(k), df->seed) % DEFRAG_HASH_SIZE);
}

static void tracker_unlink(struct defrag *df, struct tracker *t)
{
	uint32_t h = tracker_hash(df, t->ip_ver, t->src, t->dst, t->id, t->proto);
	for (struct tracker **pp = &df->buckets[h]; *pp; pp = &(*pp)->hnext) {
		if (*pp == t) {
			*pp = t->hnext;
			break;
		}
	}
	if (t->older)
		t->older->newer = t->newer;
	else
		df->oldest = t->newer;
	if (t->newer)
		t->newer->older = t->older;
	else
		df->newest = t->older;
}

void defrag_free(struct defrag *df)
{
	if (!df)
		return;
	while (df->oldest) {
		struct tracker *t = df->oldest;
		tracker_unlink(df, t);
		tracker_free(df, t);
	}
	v_free(df->out);
	v_free(df);
}

uint64_t defrag_memuse(const struct defrag *df) { return df->mc.peak; }

void defrag_expire(struct defrag *df, vtime_t now)
{
	while (df->oldest && df->oldest->created + df->timeout < now) {
		struct tracker *t = df->oldest;
		tracker_unlink(df, t);
		tracker_free(df, t);
		CNT_INC(df->cnt, DEFRAG_TIMEOUTS);
	}
}

static int frag_cmp(const void *a, const void *b)
{
	const struct frag *x = a, *y = b;
	return x->off < y->off ? -1 : x->off > y->off;
}

/* Returns true when [0, total) is covered; notes overlaps. */
static bool tracker_complete(struct tracker *t)
{
	if (!t->have_last || !t->hdr_len)
		return false;
	struct frag tmp[t->frag_cnt];
	memcpy(tmp, t->frags, sizeof(tmp));
	qsort(tmp, t->frag_cnt, sizeof(*tmp), frag_cmp);
	uint32_t covered = 0;
	for (uint32_t i = 0; i < t->frag_cnt; i++) {
		if (tmp[i].off > covered)
			return false;
		if (tmp[i].off < covered)
			t->overlap = true;
		if (tmp[i].off + tmp[i].len > covered)
			covered = tmp[i].off + tmp[i].len;
	}
	return covered >= t->total;
}

bool defrag_insert(struct defrag *df, struct packet *p, const struct frag_info *fi,
		   const uint8_t **out, uint32_t *out_len)
{
	bool v4 = fi->ip_ver == 4;
	uint32_t h = tracker_hash(df, fi->ip_ver, p->src, p->dst, fi->id, fi->next_proto);
	struct tracker *t = df->buckets[h];
	for (; t; t = t->hnext)
		if (t->ip_ver == fi->ip_ver && t->id == fi->id && t->proto == fi->next_proto &&
		    !memcmp(t->src, p->src, 16) && !memcmp(t->dst, p->dst, 16))
			break;
	if (!t) {
		if (!memcap_charge(&df->mc, sizeof(*t))) {
			CNT_INC(df->cnt, DEFRAG_MEMCAP);
			p->flags |= PKT_XP_DEFRAG;
			pkt_event(p, EV_DEFRAG_MEMCAP);
			pkt_event(p, v4 ? EV_IPV4_FRAG_IGNORED : EV_IPV6_FRAG_IGNORED);
			return false;
		}
		t = v_calloc(1, sizeof(*t));
		if (!t) {
			memcap_release(&df->mc, sizeof(*t));
			pkt_event(p, v4 ? EV_IPV4_FRAG_IGNORED : EV_IPV6_FRAG_IGNORED);
			return false;
		}
		t->mem = sizeof(*t);
		t->ip_ver = fi->ip_ver;
		t->proto = fi->next_proto;
		t->id = fi->id;
		memcpy(t->src, p->src, 16);
		memcpy(t->dst, p->dst, 16);
		t->created = p->ts;
		t->hnext = df->buckets[h];
		df->buckets[h] = t;
		t->older = df->newest;
		if (df->newest)
			df->newest->newer = t;
		else
			df->oldest = t;
		df->newest = t;
	}
	if (t->frag_cnt >= df->max_frags) {
		CNT_INC(df->cnt, DEFRAG_MAX_FRAGS);
		pkt_event(p, EV_DEFRAG_MAX_FRAGS);
		pkt_event(p, v4 ? EV_IPV4_FRAG_IGNORED : EV_IPV6_FRAG_IGNORED);
		tracker_unlink(df, t);
		tracker_free(df, t);
		return false;
	}
	if (!fi->more) {
		uint32_t end = fi->offset + fi->data_len;
		if (t->have_last && end != t->total)
			t->overlap = true; /* two different ends: evasion attempt */
		if (!t->have_last) {
			t->total = end;
			t->have_last = true;
		}
	}
	if (fi->offset == 0 && !t->hdr_len && fi->hdr_len <= sizeof(t->hdr)) {
		memcpy(t->hdr, fi->hdr, fi->hdr_len);
		t->hdr_len = fi->hdr_len;
	}
	uint64_t need = fi->data_len + sizeof(struct frag);
	if (!memcap_charge(&df->mc, need)) {
		CNT_INC(df->cnt, DEFRAG_MEMCAP);
		p->flags |= PKT_XP_DEFRAG;
		pkt_event(p, EV_DEFRAG_MEMCAP);
		pkt_event(p, v4 ? EV_IPV4_FRAG_IGNORED : EV_IPV6_FRAG_IGNORED);
		return false;
	}
	if (t->frag_cnt == t->frag_cap) {
		uint32_t cap = t->frag_cap ? t->frag_cap * 2 : 4;
		struct frag *nf = v_realloc(t->frags, cap * sizeof(*nf));
		if (!nf) {
			memcap_release(&df->mc, need);
			return false;
		}
		t->frags = nf;
		t->frag_cap = cap;
	}
	uint8_t *copy = v_malloc(fi->data_len);
	if (!copy) {
		memcap_release(&df->mc, need);
		return false;
	}
	memcpy(copy, fi->data, fi->data_len);
	t->frags[t->frag_cnt++] = (struct frag){ fi->offset, fi->data_len, copy };
	t->mem += need;

	bool was_overlap = t->overlap;
	if (!tracker_complete(t)) {
		if (t->overlap && !was_overlap)
			pkt_event(p, v4 ? EV_IPV4_FRAG_OVERLAP : EV_IPV6_FRAG_OVERLAP);
		return false;
	}
	if (t->overlap)
		pkt_event(p, v4 ? EV_IPV4_FRAG_OVERLAP : EV_IPV6_FRAG_OVERLAP);

	uint32_t hl = v4 ? t->hdr_len : 40;
	uint32_t len = hl + t->total;
	if (len > 65535 + 60) {
		pkt_event(p, v4 ? EV_IPV4_FRAG_PKT_TOO_LARGE : EV_IPV6_FRAG_PKT_TOO_LARGE);
		goto drop;
	}
	if (len > df->out_cap) {
		uint8_t *nb = v_realloc(df->out, len);
		if (!nb)
			goto drop;
		df->out = nb;
		df->out_cap = len;
	}
	memcpy(df->out, t->hdr, hl);
	/* newest first, so the first-arrived bytes are written last and win */
	for (uint32_t i = t->frag_cnt; i-- > 0;) {
		const struct frag *f = &t->frags[i];
		if (f->off >= t->total)
			continue;
		uint32_t n = MIN(f->len, t->total - f->off);
		memcpy(df->out + hl + f->off, f->data, n);
	}
	if (v4) {
		if (len > 65535) {
			pkt_event(p, EV_IPV4_FRAG_PKT_TOO_LARGE);
			goto drop;
		}
		df->out[2] = (uint8_t)(len >> 8);
		df->out[3] = (uint8_t)len;
		df->out[6] = df->out[7] = 0;
		df->out[10] = df->out[11] = 0;
		uint16_t s = csum_fold(csum_add(0, df->out, hl));
		df->out[10] = (uint8_t)(s >> 8);
		df->out[11] = (uint8_t)s;
	} else {
		if (t->total > 65535) {
			pkt_event(p, EV_IPV6_FRAG_PKT_TOO_LARGE);
			goto drop;
		}
		df->out[4] = (uint8_t)(t->total >> 8);
		df->out[5] = (uint8_t)t->total;
		df->out[6] = t->proto;
	}
	*out = df->out;
	*out_len = len;
	CNT_INC(df->cnt, DEFRAG_REASSEMBLED);
	tracker_unlink(df, t);
	tracker_free(df, t);
	return true;
drop:
	tracker_unlink(df, t);
	tracker_free(df, t);
	return false;
}
