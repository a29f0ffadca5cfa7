/*
 * flow.c - the flow table: see flow.h.
 *
 * Lookup hashes the key in a canonical order (the lower address/port pair
 * first) so both directions land in the same bucket; a bucket chain is
 * compared in both orientations.  ICMP echo-style request/response pairs
 * are keyed by their identifier so the reply joins the request's flow.
 * Memory is one struct flow per flow plus the bucket array, charged to the
 * worker's memcap; when a new flow does not fit, the least recently active
 * flows are evicted (flow.emerg_evicted) before giving up (flow.memcap).
 */
#include "flow.h"

#include <stddef.h>
#include <string.h>

#include "log.h"

#define TO_CLASSES 4
#define TO_STATES 3
#define FLOW_LISTS (TO_CLASSES * TO_STATES)

const char *const tcp_state_names[] = {
#define X(id, name) name,
	TCP_STATES(X)
#undef X
};
const char *const flow_state_names[] = { "new", "established", "closed" };
const char *const flow_end_names[] = { "timeout", "forced", "shutdown" };

struct flow_list {
	struct flow *head, *tail;
	uint64_t timeout;
};

struct flow_table {
	struct flow **buckets;
	uint32_t nbuckets;
	struct flow_list lists[FLOW_LISTS];
	struct memcap mc;
	struct counters *cnt;
	flow_end_cb cb;
	void *ud;
	uint64_t count;
	uint64_t next_id;
	uint32_t worker_id;
	uint64_t seed;
	bool midstream;
	/* flow.prealloc: one array, handed out in order and then reused
	 * through a free list (chained by hnext), so new flows cost no
	 * allocation once the table has seen that many; past it, the heap */
	struct flow *pool;
	uint32_t pool_n, pool_used;
	struct flow *pool_free;
};

/* Under ASan a pooled flow is poisoned while it is free, so a use after
 * its end is still reported as the heap's would be. */
#ifdef VIGIL_ASAN
#include <sanitizer/asan_interface.h>
#define POOL_POISON(p, n) ASAN_POISON_MEMORY_REGION(p, n)
#define POOL_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION(p, n)
#else
#define POOL_POISON(p, n) ((void)(p), (void)(n))
#define POOL_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

static struct flow *flow_alloc(struct flow_table *ft)
{
	struct flow *f = ft->pool_free;
	if (f) {
		POOL_UNPOISON(f, sizeof(*f));
		ft->pool_free = f->hnext;
		memset(f, 0, sizeof(*f));
		return f;
	}
	if (ft->pool_used < ft->pool_n)
		return &ft->pool[ft->pool_used++]; /* zeroed by calloc, untouched until now */
	return v_calloc(1, sizeof(*f));
}

static void flow_release(struct flow_table *ft, struct flow *f)
{
	if (ft->pool && f >= ft->pool && f < ft->pool + ft->pool_n) {
		f->hnext = ft->pool_free;
		ft->pool_free = f;
		/* hnext stays readable: it chains the free list */
		POOL_POISON((char *)f, offsetof(struct flow, hnext));
		POOL_POISON((char *)&f->hnext + sizeof(f->hnext),
			    sizeof(*f) - offsetof(struct flow, hnext) - sizeof(f->hnext));
	} else {
		v_free(f);
	}
}

void flow_table_cfg_from(struct flow_table_cfg *tc, const struct config *c, unsigned share,
			 uint32_t worker_id)
{
	if (!share)
		share = 1;
	memset(tc, 0, sizeof(*tc));
	tc->memcap = c->flow_memcap / share;
	tc->prealloc = (uint32_t)MIN(c->flow_prealloc / share, 1u << 24);
	tc->hash_size = (uint32_t)(c->flow_hash_size / share);
	if (tc->hash_size < 64)
		tc->hash_size = 64;
	uint64_t s = 1000000;
	tc->timeout[0][0] = c->to_tcp_new * s;
	tc->timeout[0][1] = c->to_tcp_est * s;
	tc->timeout[0][2] = c->to_tcp_closed * s;
	tc->timeout[1][0] = c->to_udp_new * s;
	tc->timeout[1][1] = c->to_udp_est * s;
	tc->timeout[1][2] = 0;
	tc->timeout[2][0] = c->to_icmp_new * s;
	tc->timeout[2][1] = c->to_icmp_est * s;
	tc->timeout[2][2] = 0;
	tc->timeout[3][0] = c->to_def_new * s;
	tc->timeout[3][1] = c->to_def_est * s;
	tc->timeout[3][2] = 0;
	tc->midstream = c->stream_midstream;
	tc->worker_id = worker_id;
	tc->seed = 0x9e3779b97f4a7c15ULL ^ ((uint64_t)(uintptr_t)tc >> 4);
}

struct flow_table *flow_table_new(const struct flow_table_cfg *tc, struct counters *cnt,
				  flow_end_cb cb, void *ud)
{
	struct flow_table *ft = v_calloc(1, sizeof(*ft));
	if (!ft)
		return NULL;
	ft->nbuckets = tc->hash_size ? tc->hash_size : 64;
	ft->buckets = v_calloc(ft->nbuckets, sizeof(*ft->buckets));
	if (!ft->buckets) {
		v_free(ft);
		return NULL;
	}
	ft->mc.cap = tc->memcap;
	memcap_charge(&ft->mc, (uint64_t)ft->nbuckets * sizeof(*ft->buckets));
	for (int c = 0; c < TO_CLASSES; c++)
		for (int s = 0; s < TO_STATES; s++)
			ft->lists[c * TO_STATES + s].timeout = tc->timeout[c][s];
	ft->cnt = cnt;
	ft->cb = cb;
	ft->ud = ud;
	ft->worker_id = tc->worker_id;
	ft->seed = tc->seed;
	ft->midstream = tc->midstream;
	/* the pool counts against the memcap only as its flows are used */
	if (tc->prealloc && (ft->pool = v_calloc(tc->prealloc, sizeof(struct flow))))
		ft->pool_n = tc->prealloc;
	return ft;
}

uint64_t flow_table_count(const struct flow_table *ft) { return ft->count; }
const struct memcap *flow_table_memcap(const struct flow_table *ft) { return &ft->mc; }

static int proto_class(uint8_t proto)
{
	switch (proto) {
	case 6: return 0;
	case 17: return 1;
	case 1: case 58: return 2;
	}
	return 3;
}

static void list_remove(struct flow_table *ft, struct flow *f)
{
	struct flow_list *l = &ft->lists[f->list];
	if (f->lprev)
		f->lprev->lnext = f->lnext;
	else
		l->head = f->lnext;
	if (f->lnext)
		f->lnext->lprev = f->lprev;
	else
		l->tail = f->lprev;
	f->lprev = f->lnext = NULL;
}

static void list_append(struct flow_table *ft, struct flow *f, uint8_t list)
{
	struct flow_list *l = &ft->lists[list];
	f->list = list;
	f->lnext = NULL;
	f->lprev = l->tail;
	if (l->tail)
		l->tail->lnext = f;
	else
		l->head = f;
	l->tail = f;
}

static uint8_t flow_list_of(const struct flow *f)
{
	return (uint8_t)(proto_class(f->key.proto) * TO_STATES + f->state);
}

/* Removes f from the table, calls the end callback and frees it. */
static void flow_end(struct flow_table *ft, struct flow *f, enum flow_end reason)
{
	struct flow **pp = &ft->buckets[f->hash % ft->nbuckets];
	for (; *pp; pp = &(*pp)->hnext) {
		if (*pp == f) {
			*pp = f->hnext;
			break;
		}
	}
	list_remove(ft, f);
	f->end_reason = (uint8_t)reason;
	if (reason == FLOW_END_TIMEOUT)
		CNT_INC(ft->cnt, FLOW_TIMEOUT);
	else if (reason == FLOW_END_SHUTDOWN)
		CNT_INC(ft->cnt, FLOW_SHUTDOWN);
	if (ft->cb)
		ft->cb(ft->ud, f);
	ft->count--;
	ft->cnt->v[CNT_FLOW_ACTIVE] = ft->count;
	memcap_release(&ft->mc, sizeof(*f));
	flow_release(ft, f);
}

void flow_table_flush(struct flow_table *ft, enum flow_end reason)
{
	/* oldest first across lists, so output order follows activity */
	for (;;) {
		struct flow *oldest = NULL;
		for (int i = 0; i < FLOW_LISTS; i++) {
			struct flow *h = ft->lists[i].head;
			if (h && (!oldest || h->last < oldest->last))
				oldest = h;
		}
		if (!oldest)
			break;
		flow_end(ft, oldest, reason);
	}
}

void flow_table_free(struct flow_table *ft)
{
	if (!ft)
		return;
	flow_table_flush(ft, FLOW_END_SHUTDOWN);
	ft->cnt->v[CNT_MEMCAP_PEAK_FLOW] = MAX(ft->cnt->v[CNT_MEMCAP_PEAK_FLOW], ft->mc.peak);
	v_free(ft->buckets);
	if (ft->pool)
		POOL_UNPOISON(ft->pool, (size_t)ft->pool_n * sizeof(struct flow));
	v_free(ft->pool);
	v_free(ft);
}

void flow_table_expire(struct flow_table *ft, vtime_t now)
{
	for (int i = 0; i < FLOW_LISTS; i++) {
		struct flow_list *l = &ft->lists[i];
		while (l->head && l->head->last + l->timeout < now)
			flow_end(ft, l->head, FLOW_END_TIMEOUT);
	}
}

void flow_table_walk(struct flow_table *ft, void (*fn)(struct flow *f, void *ctx), void *ctx)
{
	for (int i = 0; i < FLOW_LISTS; i++)
		for (struct flow *f = ft->lists[i].head; f; f = f->lnext)
			fn(f, ctx);
}

/* Evicts the least recently active flow; false if the table is empty. */
static bool flow_evict_one(struct flow_table *ft)
{
	struct flow *victim = NULL;
	for (int i = 0; i < FLOW_LISTS; i++) {
		struct flow *h = ft->lists[i].head;
		/* prefer closed flows, then the oldest activity */
		if (h && (!victim || (h->state == FLOW_STATE_CLOSED &&
				      victim->state != FLOW_STATE_CLOSED) ||
			  (h->state == victim->state && h->last < victim->last)))
			victim = h;
	}
	if (!victim)
		return false;
	CNT_INC(ft->cnt, FLOW_EMERG_EVICTED);
	flow_end(ft, victim, FLOW_END_FORCED);
	return true;
}

static bool icmp_is_pair(uint8_t ver, uint8_t type, uint8_t *canon)
{
	if (ver == 4) {
		switch (type) {
		case 8: case 0: *canon = 8; return true;
		case 13: case 14: *canon = 13; return true;
		case 15: case 16: *canon = 15; return true;
		case 17: case 18: *canon = 17; return true;
		}
	} else {
		switch (type) {
		case 128: case 129: *canon = 128; return true;
		}
	}
	return false;
}

/* Builds the key as seen in the packet; ICMP gets flow "ports". */
static void key_from_packet(const struct packet *p, struct flow_key *k)
{
	memcpy(k->src, p->src, 16);
	memcpy(k->dst, p->dst, 16);
	k->proto = p->proto;
	k->ip_ver = p->ip_ver;
	k->vlan[0] = p->vlan_cnt > 0 ? p->vlan[0] : 0;
	k->vlan[1] = p->vlan_cnt > 1 ? p->vlan[1] : 0;
	k->vlan[2] = p->vlan_cnt > 2 ? p->vlan[2] : 0;
	k->pad[0] = 0;
	k->pad[1] = p->flow_depth;
	if (p->flags & PKT_HAS_PORTS) {
		k->sp = p->sp;
		k->dp = p->dp;
	} else if ((p->proto == 1 && p->ip_ver == 4) || (p->proto == 58 && p->ip_ver == 6)) {
		uint8_t canon;
		if (icmp_is_pair(p->ip_ver, p->icmp_type, &canon)) {
			/* both directions: id as both "ports", the pair's type
			 * class in pad[0] (never 0, so no clash with type/code) */
			/* request A->B pairs with reply B->A only */
			bool req = p->icmp_type == canon;
			k->sp = (uint16_t)(req ? p->icmp_id : p->icmp_id ^ 0x8000u);
			k->dp = (uint16_t)(req ? p->icmp_id ^ 0x8000u : p->icmp_id);
			k->pad[0] = canon;
		} else {
			k->sp = p->icmp_type;
			k->dp = p->icmp_code;
		}
	} else {
		k->sp = k->dp = 0;
	}
}

static uint32_t key_hash(const struct flow_table *ft, const struct flow_key *k)
{
	struct flow_key c = *k;
	int cmp = memcmp(k->src, k->dst, 16);
	if (cmp > 0 || (cmp == 0 && k->sp > k->dp)) {
		memcpy(c.src, k->dst, 16);
		memcpy(c.dst, k->src, 16);
		c.sp = k->dp;
		c.dp = k->sp;
	}
	return (uint32_t)hash_bytes(&c, sizeof(c), ft->seed);
}

/* 0: same direction, 1: reverse, -1: different flow. */
static int key_match(const struct flow_key *fk, const struct flow_key *k)
{
	if (fk->proto != k->proto || fk->vlan[0] != k->vlan[0] || fk->vlan[1] != k->vlan[1] ||
	    fk->vlan[2] != k->vlan[2] ||
	    fk->pad[0] != k->pad[0] || fk->pad[1] != k->pad[1])
		return -1;
	if (fk->sp == k->sp && fk->dp == k->dp && !memcmp(fk->src, k->src, 16) &&
	    !memcmp(fk->dst, k->dst, 16))
		return 0;
	if (fk->sp == k->dp && fk->dp == k->sp && !memcmp(fk->src, k->dst, 16) &&
	    !memcmp(fk->dst, k->src, 16))
		return 1;
	return -1;
}

uint32_t flow_worker_hash(const struct packet *p)
{
	/* order-independent combination of the two addresses and VLAN */
	uint64_t a = hash_bytes(p->src, 16, 0x1234), b = hash_bytes(p->dst, 16, 0x1234);
	return (uint32_t)hash_mix64((a ^ b) + (a & b) * 3 + (p->vlan_cnt ? p->vlan[0] : 0));
}

static struct flow *flow_create(struct flow_table *ft, const struct flow_key *k, uint32_t h,
				struct packet *p)
{
	while (!memcap_charge(&ft->mc, sizeof(struct flow))) {
		if (!flow_evict_one(ft)) {
			CNT_INC(ft->cnt, FLOW_MEMCAP);
			p->flags |= PKT_XP_FLOW_MEMCAP;
			return NULL;
		}
	}
	struct flow *f = flow_alloc(ft);
	if (!f) {
		memcap_release(&ft->mc, sizeof(struct flow));
		CNT_INC(ft->cnt, FLOW_MEMCAP);
		p->flags |= PKT_XP_FLOW_MEMCAP;
		return NULL;
	}
	f->key = *k;
	/* a first packet that is a SYN/ACK comes from the server: orient the
	 * flow so that src is the client */
	if (k->proto == 6 && (p->tcp_flags & (TH_SYN | TH_ACK)) == (TH_SYN | TH_ACK)) {
		memcpy(f->key.src, k->dst, 16);
		memcpy(f->key.dst, k->src, 16);
		f->key.sp = k->dp;
		f->key.dp = k->sp;
	}
	f->hash = h;
	f->start = f->last = p->ts;
	if (p->linktype == LINK_ETHERNET && p->caplen >= 14 && !(p->flags & PKT_TUNNEL)) {
		/* the MACs in the flow's orientation (eve ether, outputs.eve.ethernet) */
		bool swap = memcmp(f->key.src, k->src, 16) != 0;
		memcpy(f->mac[0], p->data + (swap ? 0 : 6), 6);
		memcpy(f->mac[1], p->data + (swap ? 6 : 0), 6);
		f->has_mac = true;
	}
	/* ids are unique per worker and fit in 51 bits (JSON-safe) */
	f->flow_id = (((uint64_t)ft->worker_id << 40) ^ (++ft->next_id * 0x9e3779b1ULL) ^
		      (ft->seed & 0xffffffffULL)) & ((1ULL << 51) - 1);
	if (!f->flow_id)
		f->flow_id = 1;
	f->hnext = ft->buckets[h % ft->nbuckets];
	ft->buckets[h % ft->nbuckets] = f;
	list_append(ft, f, flow_list_of(f));
	ft->count++;
	ft->cnt->v[CNT_FLOW_ACTIVE] = ft->count;
	if (ft->count > ft->cnt->v[CNT_FLOW_SPARE_PEAK])
		ft->cnt->v[CNT_FLOW_SPARE_PEAK] = ft->count;
	ft->cnt->v[CNT_FLOW_MEMUSE] = ft->mc.used;
	if (ft->mc.peak > ft->cnt->v[CNT_MEMCAP_PEAK_FLOW])
		ft->cnt->v[CNT_MEMCAP_PEAK_FLOW] = ft->mc.peak;
	CNT_INC(ft->cnt, FLOW_TOTAL);
	switch (k->proto) {
	case 6: CNT_INC(ft->cnt, FLOW_TCP); break;
	case 17: CNT_INC(ft->cnt, FLOW_UDP); break;
	case 1: CNT_INC(ft->cnt, FLOW_ICMPV4); break;
	case 58: CNT_INC(ft->cnt, FLOW_ICMPV6); break;
	default: CNT_INC(ft->cnt, FLOW_OTHER); break;
	}
	return f;
}

/* The flow of key k (hash h) in the table, and in *dir the direction k
 * has in it; NULL if there is none. */
static struct flow *flow_find(struct flow_table *ft, const struct flow_key *k, uint32_t h, int *dir)
{
	for (struct flow *f = ft->buckets[h % ft->nbuckets]; f; f = f->hnext)
		if (f->hash == h && (*dir = key_match(&f->key, k)) >= 0)
			return f;
	return NULL;
}

/* A packet of len bytes at ts counted in direction dir of f: its
 * counters, its last activity (a later idle period is reported anew). */
static void flow_count(struct flow *f, int dir, uint64_t len, vtime_t ts)
{
	f->pkts[dir]++;
	f->bytes[dir] += len;
	if (ts > f->last)
		f->last = ts;
	f->ew &= 0x7f;
}

struct flow *flow_table_carrier(struct flow_table *ft, struct packet *p)
{
	/* IP-in-IP and UDP carriers (VXLAN, Geneve) have flows; GRE, which
	 * Suricata does not track, has none */
	if (!(p->flags & PKT_TUNNEL) || !p->tun_ip_ver || p->tun_proto == 47)
		return NULL;
	struct flow_key k;
	memset(&k, 0, sizeof(k));
	memcpy(k.src, p->tun_src, 16);
	memcpy(k.dst, p->tun_dst, 16);
	k.proto = p->tun_proto;
	k.ip_ver = p->tun_ip_ver;
	/* the VLANs outside the tunnel only */
	uint8_t nv = p->tun_vlan_cnt < p->vlan_cnt ? p->tun_vlan_cnt : p->vlan_cnt;
	k.vlan[0] = nv > 0 ? p->vlan[0] : 0;
	k.vlan[1] = nv > 1 ? p->vlan[1] : 0;
	k.vlan[2] = nv > 2 ? p->vlan[2] : 0;
	k.sp = p->tun_sp;
	k.dp = p->tun_dp;
	uint32_t h = key_hash(ft, &k);
	int dir = -1;
	struct flow *f = flow_find(ft, &k, h, &dir);
	if (!f) {
		if (!(f = flow_create(ft, &k, h, p)))
			return NULL;
		dir = key_match(&f->key, &k);
	}
	flow_count(f, dir, p->caplen, p->ts);
	if (f->pkts[0] && f->pkts[1] && f->state == FLOW_STATE_NEW)
		f->state = FLOW_STATE_ESTABLISHED;
	list_remove(ft, f);
	list_append(ft, f, flow_list_of(f));
	return f;
}

/* The bytes a packet counts for in its flow: a datagram rebuilt from
 * fragments counts as one packet of its full size (link header + IP
 * datagram); a tunnelled packet from its inner frame, as Suricata's tunnel
 * pseudo-packets do. */
static uint64_t flow_pkt_len(const struct packet *p)
{
	if (p->flags & PKT_REBUILT)
		return (uint64_t)p->l3_off + p->ip_len;
	if ((p->flags & PKT_TUNNEL) && p->inner_off && p->inner_off < p->caplen)
		return p->caplen - p->inner_off;
	return p->caplen;
}

/* ICMPv4 error messages (RFC 792: destination unreachable, source quench,
 * redirect, time exceeded, parameter problem) never make a flow of their
 * own, as in Suricata (FlowCreateCheck). */
static bool icmpv4_is_error(uint8_t type)
{
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

/*
 * An ICMPv4 destination unreachable (a known code) quoting a TCP or UDP
 * header belongs to the flow it quotes, found from either direction, as
 * Suricata's FlowGetHash/FlowCompareICMPv4 find it: it is counted there,
 * its direction from its own source address against the flow's (so a
 * router's or the server's error is to_client), and it never creates
 * one.  Suricata keeps the other errors out of flows, and ICMPv6 errors
 * in ICMPv6 flows of their own (its ICMPv6 lookup does not use the
 * embedded header), so vigil does the same.  Returns the flow or NULL.
 */
static struct flow *flow_icmp_error(struct flow_table *ft, struct packet *p)
{
	if (p->icmp_type != 3 || p->icmp_code > 15 ||
	    (p->flags & (PKT_ICMP_EMB | PKT_ICMP_EMB_PORTS)) != (PKT_ICMP_EMB | PKT_ICMP_EMB_PORTS))
		return NULL;
	struct flow_key k;
	memset(&k, 0, sizeof(k));
	memcpy(k.src, p->emb_src, 16);
	memcpy(k.dst, p->emb_dst, 16);
	k.sp = p->emb_sp;
	k.dp = p->emb_dp;
	k.proto = p->emb_proto;
	k.ip_ver = 4;
	k.vlan[0] = p->vlan_cnt > 0 ? p->vlan[0] : 0;
	k.vlan[1] = p->vlan_cnt > 1 ? p->vlan[1] : 0;
	k.vlan[2] = p->vlan_cnt > 2 ? p->vlan[2] : 0;
	k.pad[1] = p->flow_depth;
	int kdir;
	struct flow *f = flow_find(ft, &k, key_hash(ft, &k), &kdir);
	if (!f)
		return NULL;
	/* (its direction is the error's own source against the flow's, not
	 * the quoted packet's) */
	int dir = memcmp(f->key.src, p->src, 16) == 0 ? 0 : 1;
	p->flow = f;
	p->dir = (uint8_t)dir;
	flow_count(f, dir, flow_pkt_len(p), p->ts);
	/* both directions seen: the packet is of an established flow (TCP's
	 * own state is the stream engine's, which does not see it) */
	if (f->pkts[0] && f->pkts[1]) {
		p->flags |= PKT_FLOW_EST;
		if (f->key.proto != 6 && f->state == FLOW_STATE_NEW)
			f->state = FLOW_STATE_ESTABLISHED;
	}
	list_remove(ft, f);
	list_append(ft, f, flow_list_of(f));
	return f;
}

struct flow *flow_table_handle(struct flow_table *ft, struct packet *p)
{
	p->flow = NULL;
	if (!p->ip_ver || (p->flags & (PKT_FRAGMENT | PKT_INVALID)))
		return NULL;
	if (p->ip_ver == 4 && p->proto == 1 && icmpv4_is_error(p->icmp_type))
		return flow_icmp_error(ft, p);
	struct flow_key k;
	key_from_packet(p, &k);
	uint32_t h = key_hash(ft, &k);
	int dir = -1;
	struct flow *f = flow_find(ft, &k, h, &dir);
	/* a SYN on a TCP session that a RST or the close ended: a new session
	 * (Suricata's TCP session reuse); the old flow ends here */
	if (f && k.proto == 6 && f->tcp_state == TCP_CLOSED &&
	    (p->tcp_flags & (TH_SYN | TH_ACK | TH_RST)) == TH_SYN) {
		flow_end(ft, f, FLOW_END_FORCED);
		f = NULL;
	}
	if (!f) {
		f = flow_create(ft, &k, h, p);
		if (!f)
			return NULL;
		dir = key_match(&f->key, &k);
	}
	p->flow = f;
	p->dir = (uint8_t)dir;
	flow_count(f, dir, flow_pkt_len(p), p->ts);
	if (k.proto == 6) {
		if (f->tcp_state >= TCP_ESTABLISHED && f->tcp_state != TCP_CLOSED)
			p->flags |= PKT_FLOW_EST;
		f->tcp_flags[dir] |= p->tcp_flags;
		if (!(p->flags & PKT_CSUM_BAD))
			tcp_state_update(f, p, ft->cnt, ft->midstream);
	} else {
		if (k.proto == 1 || k.proto == 58) {
			if (!f->icmp_seen[dir]) {
				f->icmp_seen[dir] = true;
				f->icmp_type[dir] = p->icmp_type;
				f->icmp_code[dir] = p->icmp_code;
			}
		}
		if (f->pkts[0] && f->pkts[1] && f->state == FLOW_STATE_NEW)
			f->state = FLOW_STATE_ESTABLISHED;
		if (k.proto == 17 && !(p->flags & PKT_CSUM_BAD))
			f->payload_bytes[dir] += p->payload_len;
	}
	/* move to the tail of its (possibly new) list */
	list_remove(ft, f);
	list_append(ft, f, flow_list_of(f));
	return f;
}
