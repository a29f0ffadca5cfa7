/*
 * dns.c - DNS messages (RFC 1035, 3596, 2782, 9460) for detection and eve.
 *
 *  | ID | QR Opcode AA TC RD RA Z RCODE | QDCOUNT | ANCOUNT | NSCOUNT | ARCOUNT |
 *  questions: NAME TYPE CLASS;  answers: NAME TYPE CLASS TTL RDLENGTH RDATA
 *
 * Names follow compression pointers (RFC 1035 4.1.4) with at most
 * DNS_MAX_JUMPS jumps, backwards or forwards (as Suricata 8 reads them:
 * the jump limit is what ends a loop), and are cut at 255 bytes;
 * the counts in the header are trusted only as far as the data goes and
 * are capped (DNS_MAX_QUERIES, DNS_MAX_ANSWERS).  All reads use the cursor.
 */
#include "app.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "cursor.h"
#include "json.h"

#define DNS_MAX_JUMPS 16

/* Reads the name at cur (advancing it past the name in the message) into
 * out; msg/len is the whole message for pointers.  False on malformed. */
static bool read_name(struct cursor *cur, const uint8_t *msg, uint32_t len, char *out,
		      uint16_t *out_len)
{
	struct cursor c = *cur;
	bool jumped = false;
	unsigned jumps = 0;
	size_t n = 0;
	for (;;) {
		uint8_t l = cur_u8(&c);
		if (c.err)
			return false;
		if (l == 0)
			break;
		if ((l & 0xc0) == 0xc0) {
			uint16_t off = (uint16_t)(((l & 0x3f) << 8) | cur_u8(&c));
			if (c.err || off >= len || ++jumps > DNS_MAX_JUMPS)
				return false;
			if (!jumped)
				*cur = c;
			jumped = true;
			cur_init(&c, msg + off, len - off);
			continue;
		}
		if (l & 0xc0)
			return false; /* extended label types: not supported */
		const uint8_t *lab = cur_bytes(&c, l);
		if (!lab)
			return false;
		if (n && n < DNS_NAME_MAX - 1)
			out[n++] = '.';
		for (unsigned i = 0; i < l && n < DNS_NAME_MAX - 1; i++)
			out[n++] = (char)lab[i];
	}
	if (!jumped)
		*cur = c;
	out[n] = '\0';
	*out_len = (uint16_t)n;
	return true;
}

static void render_rdata(struct dns_rr *rr, struct cursor rd, const uint8_t *msg, uint32_t len)
{
	rr->data[0] = '\0';
	rr->data_len = 0;
	switch (rr->type) {
	case 1: /* A */
		if (cur_left(&rd) == 4) {
			inet_ntop(AF_INET, rd.p, rr->data, sizeof(rr->data));
			rr->data_len = (uint16_t)strlen(rr->data);
		}
		return;
	case 28: /* AAAA */
		if (cur_left(&rd) == 16) {
			inet_ntop(AF_INET6, rd.p, rr->data, sizeof(rr->data));
			rr->data_len = (uint16_t)strlen(rr->data);
		}
		return;
	case 33: /* SRV: priority, weight, port, target */
		rr->u.srv[0] = cur_be16(&rd);
		rr->u.srv[1] = cur_be16(&rd);
		rr->u.srv[2] = cur_be16(&rd);
		if (rd.err || !read_name(&rd, msg, len, rr->data, &rr->data_len))
			rr->data[0] = '\0', rr->data_len = 0;
		return;
	case 6: { /* SOA: mname, rname, five numbers */
		char rn[DNS_NAME_MAX];
		uint16_t rl = 0;
		if (!read_name(&rd, msg, len, rr->data, &rr->data_len) ||
		    !read_name(&rd, msg, len, rn, &rl)) {
			rr->data[0] = '\0', rr->data_len = 0;
			return;
		}
		/* rname after mname and a NUL, cut if both do not fit */
		uint16_t off = (uint16_t)(rr->data_len + 1);
		if (off < sizeof(rr->data)) {
			uint16_t n = (uint16_t)MIN((size_t)rl, sizeof(rr->data) - off - 1);
			memcpy(rr->data + off, rn, n);
			rr->data[off + n] = '\0';
			rr->rname_off = off;
		}
		for (int i = 0; i < 5; i++)
			rr->u.soa[i] = cur_be32(&rd);
		if (rd.err)
			memset(rr->u.soa, 0, sizeof(rr->u.soa));
		return;
	}
	case 44: { /* SSHFP: algorithm, type, fingerprint as aa:bb:.. */
		rr->u.sshfp[0] = cur_u8(&rd);
		rr->u.sshfp[1] = cur_u8(&rd);
		size_t n = 0;
		while (cur_left(&rd) && n + 3 < sizeof(rr->data)) {
			static const char hx[] = "0123456789abcdef";
			uint8_t b = cur_u8(&rd);
			if (n)
				rr->data[n++] = ':';
			rr->data[n++] = hx[b >> 4];
			rr->data[n++] = hx[b & 15];
		}
		rr->data[n] = '\0';
		rr->data_len = (uint16_t)n;
		return;
	}
	case 15: /* MX: preference, exchange */
		cur_skip(&rd, 2);
		/* fallthrough */
	case 2: case 5: case 12: /* NS CNAME PTR */
		if (!read_name(&rd, msg, len, rr->data, &rr->data_len))
			rr->data[0] = '\0', rr->data_len = 0;
		return;
	case 10: { /* NULL: the bytes, \xNN for those past ASCII (Suricata's form) */
		size_t n = 0;
		while (cur_left(&rd) && n + 5 < sizeof(rr->data)) {
			uint8_t b = cur_u8(&rd);
			if (b < 0x80) {
				rr->data[n++] = (char)b;
			} else {
				snprintf(rr->data + n, 5, "\\x%02x", b);
				n += 4;
			}
		}
		rr->data[n] = '\0';
		rr->data_len = (uint16_t)n;
		return;
	}
	case 16: { /* TXT: strings, concatenated */
		size_t n = 0;
		while (cur_left(&rd)) {
			uint8_t l = cur_u8(&rd);
			const uint8_t *s = cur_bytes(&rd, l);
			if (!s)
				break;
			for (unsigned i = 0; i < l && n < sizeof(rr->data) - 1; i++)
				rr->data[n++] = (char)s[i];
		}
		rr->data[n] = '\0';
		rr->data_len = (uint16_t)n;
		return;
	}
	case 64: case 65: { /* SVCB / HTTPS: priority, target */
		cur_skip(&rd, 2);
		if (!read_name(&rd, msg, len, rr->data, &rr->data_len))
			rr->data[0] = '\0', rr->data_len = 0;
		return;
	}
	}
}

bool dns_parse(const uint8_t *data, uint32_t len, struct dns_msg *m)
{
	struct cursor c;
	cur_init(&c, data, len);
	memset(m, 0, offsetof(struct dns_msg, q));
	m->truncated_parse = false; /* after the arrays, which are not cleared */
	m->id = cur_be16(&c);
	m->flags = cur_be16(&c);
	m->qd = cur_be16(&c);
	m->an = cur_be16(&c);
	m->ns = cur_be16(&c);
	m->ar = cur_be16(&c);
	if (c.err)
		return false;
	m->response = m->flags & 0x8000;
	m->opcode = (uint8_t)((m->flags >> 11) & 15);
	m->rcode = (uint8_t)(m->flags & 15);
	if (m->opcode > 6 || (m->flags & 0x0040) /* Z bit */ || m->qd > 256 || m->an > 1024)
		return false; /* not plausibly DNS */
	for (unsigned i = 0; i < m->qd; i++) {
		struct dns_rr tmp, *q = m->nq < DNS_MAX_QUERIES ? &m->q[m->nq] : &tmp;
		if (!read_name(&c, data, len, q->name, &q->name_len))
			goto partial;
		q->type = cur_be16(&c);
		q->rclass = cur_be16(&c);
		if (c.err)
			goto partial;
		if (m->nq < DNS_MAX_QUERIES)
			m->nq++;
	}
	/* answers, authorities, additionals: the same form */
	struct { uint16_t cnt; struct dns_rr *v; uint8_t *n; unsigned max; } sec[3] = {
		{ m->an, m->a, &m->nans, DNS_MAX_ANSWERS },
		{ m->ns, m->auth, &m->nauth, DNS_MAX_AUTH },
		{ m->ar, m->add, &m->nadd, DNS_MAX_AUTH },
	};
	for (int s = 0; s < 3; s++)
		for (unsigned i = 0; i < sec[s].cnt; i++) {
			struct dns_rr tmp, *a = *sec[s].n < sec[s].max ? &sec[s].v[*sec[s].n] : &tmp;
			if (!read_name(&c, data, len, a->name, &a->name_len))
				goto partial;
			a->type = cur_be16(&c);
			a->rclass = cur_be16(&c);
			a->ttl = cur_be32(&c);
			uint16_t rdlen = cur_be16(&c);
			struct cursor rd = cur_sub(&c, rdlen);
			if (c.err)
				goto partial;
			if (a->type == 41)
				continue; /* OPT (EDNS): not a record of the zone */
			a->rname_off = 0;
			if (a->type == 16) {
				/* TXT: each character-string an entry, as Suricata
				 * logs them (an empty one too) */
				struct dns_rr head = *a;
				do {
					struct dns_rr *t = *sec[s].n < sec[s].max ? &sec[s].v[*sec[s].n] : &tmp;
					*t = head;
					uint8_t l = cur_u8(&rd);
					const uint8_t *str = cur_bytes(&rd, l);
					if (rd.err)
						break;
					size_t n = MIN((size_t)l, sizeof(t->data) - 1);
					memcpy(t->data, str, n);
					t->data[n] = '\0';
					t->data_len = (uint16_t)n;
					if (*sec[s].n < sec[s].max)
						(*sec[s].n)++;
				} while (cur_left(&rd));
				continue;
			}
			render_rdata(a, rd, data, len);
			if (*sec[s].n < sec[s].max)
				(*sec[s].n)++;
		}
	return true;
partial:
	m->truncated_parse = true;
	return m->nq > 0 || m->response;
}

const char *dns_rrtype_name(uint16_t t, char buf[static 8])
{
	switch (t) {
	case 1: return "A"; case 2: return "NS"; case 5: return "CNAME"; case 6: return "SOA";
	case 12: return "PTR"; case 15: return "MX"; case 16: return "TXT"; case 28: return "AAAA";
	case 10: return "NULL"; case 33: return "SRV"; case 35: return "NAPTR"; case 44: return "SSHFP"; case 41: return "OPT"; case 43: return "DS";
	case 46: return "RRSIG"; case 47: return "NSEC"; case 48: return "DNSKEY";
	case 64: return "SVCB"; case 65: return "HTTPS"; case 255: return "ANY";
	case 257: return "CAA";
	}
	snprintf(buf, 8, "%u", t);
	return buf;
}

const char *dns_rcode_name(uint8_t rc, char buf[static 8])
{
	static const char *const n[] = { "NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN",
					 "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET",
					 "NXRRSET", "NOTAUTH", "NOTZONE" };
	if (rc < sizeof(n) / sizeof(n[0]))
		return n[rc];
	snprintf(buf, 8, "%u", rc);
	return buf;
}

/* ---- the dns record ---- */

/* a record's data as Suricata writes it: "rdata", or an object for SOA,
 * SRV and SSHFP */
static void rdata_log(struct jbuf *jb, const struct dns_rr *r)
{
	switch (r->type) {
	case 6:
		if (!r->data_len)
			return;
		jb_open_object(jb, "soa");
		jb_strn(jb, "mname", (const uint8_t *)r->data, r->data_len);
		if (r->rname_off)
			jb_str(jb, "rname", r->data + r->rname_off);
		jb_u64(jb, "serial", r->u.soa[0]);
		jb_u64(jb, "refresh", r->u.soa[1]);
		jb_u64(jb, "retry", r->u.soa[2]);
		jb_u64(jb, "expire", r->u.soa[3]);
		jb_u64(jb, "minimum", r->u.soa[4]);
		jb_close(jb);
		return;
	case 33:
		jb_open_object(jb, "srv");
		jb_u64(jb, "priority", r->u.srv[0]);
		jb_u64(jb, "weight", r->u.srv[1]);
		jb_u64(jb, "port", r->u.srv[2]);
		jb_strn(jb, "name", (const uint8_t *)r->data, r->data_len);
		jb_close(jb);
		return;
	case 44:
		jb_open_object(jb, "sshfp");
		jb_u64(jb, "algo", r->u.sshfp[0]);
		jb_u64(jb, "type", r->u.sshfp[1]);
		jb_strn(jb, "fingerprint", (const uint8_t *)r->data, r->data_len);
		jb_close(jb);
		return;
	}
	if (r->data_len || r->type == 16) /* an empty TXT string is still one */
		jb_strn(jb, "rdata", (const uint8_t *)r->data, r->data_len);
}

static void dns_rr_list(struct jbuf *jb, const char *key, const struct dns_rr *v, unsigned n,
			bool answers)
{
	char tb[8];
	jb_open_array(jb, key);
	for (unsigned i = 0; i < n; i++) {
		jb_open_object(jb, NULL);
		jb_strn(jb, "rrname", (const uint8_t *)v[i].name, v[i].name_len);
		jb_str(jb, "rrtype", dns_rrtype_name(v[i].type, tb));
		if (answers) {
			jb_u64(jb, "ttl", v[i].ttl);
			rdata_log(jb, &v[i]);
		}
		jb_close(jb);
	}
	jb_close(jb);
}

/* answers grouped by type: {"A": ["1.2.3.4"], "CNAME": ["x"]} */
static void dns_grouped(struct jbuf *jb, const struct dns_rr *v, unsigned n)
{
	char tb[8];
	jb_open_object(jb, "grouped");
	for (unsigned i = 0; i < n; i++) {
		bool first = true;
		for (unsigned k = 0; k < i; k++)
			if (v[k].type == v[i].type)
				first = false;
		if (!first)
			continue;
		jb_open_array(jb, dns_rrtype_name(v[i].type, tb));
		for (unsigned k = i; k < n; k++)
			if (v[k].type == v[i].type && (v[k].data_len || v[k].type == 16))
				jb_strn(jb, NULL, (const uint8_t *)v[k].data, v[k].data_len);
		jb_close(jb);
	}
	jb_close(jb);
}

void dns_log(struct jbuf *jb, const struct dns_msg *m, uint8_t formats)
{
	char hex[8], rb[8];
	jb_open_object(jb, "dns");
	jb_u64(jb, "version", 3);
	jb_str(jb, "type", m->response ? "response" : "request");
	jb_u64(jb, "id", m->id);
	if (!m->response)
		jb_u64(jb, "tx_id", m->tx_id);
	snprintf(hex, sizeof(hex), "%04x", m->flags);
	jb_str(jb, "flags", hex);
	if (m->response) jb_bool(jb, "qr", true);
	if (m->flags & 0x0400) jb_bool(jb, "aa", true);
	if (m->flags & 0x0200) jb_bool(jb, "tc", true);
	if (m->flags & 0x0100) jb_bool(jb, "rd", true);
	if (m->flags & 0x0080) jb_bool(jb, "ra", true);
	jb_u64(jb, "opcode", m->opcode);
	if (m->response)
		jb_str(jb, "rcode", dns_rcode_name(m->rcode, rb));
	dns_rr_list(jb, "queries", m->q, m->nq, false);
	if (m->response && m->nans && (formats & 1))
		dns_rr_list(jb, "answers", m->a, m->nans, true);
	if (m->response && m->nans && (formats & 2))
		dns_grouped(jb, m->a, m->nans);
	if (m->response && m->nauth)
		dns_rr_list(jb, "authorities", m->auth, m->nauth, true);
	if (m->response && m->nadd)
		dns_rr_list(jb, "additionals", m->add, m->nadd, true);
	jb_close(jb);
}

/* ---- the mdns record ---- */

static void mdns_rr_list(struct jbuf *jb, const char *key, const struct dns_rr *v, unsigned n,
			 bool answers)
{
	char tb[8], lc[16];
	if (!n)
		return;
	jb_open_array(jb, key);
	for (unsigned i = 0; i < n; i++) {
		const char *t = dns_rrtype_name(v[i].type, tb);
		size_t k = 0;
		for (; t[k] && k < sizeof(lc) - 1; k++)
			lc[k] = (char)tolower((unsigned char)t[k]);
		lc[k] = '\0';
		jb_open_object(jb, NULL);
		jb_strn(jb, "rrname", (const uint8_t *)v[i].name, v[i].name_len);
		jb_str(jb, "rrtype", lc);
		if (answers) {
			jb_u64(jb, "ttl", v[i].ttl);
			if (v[i].type == 16) {
				/* the strings of one TXT record (its entries follow
				 * each other with the same owner) as one list */
				jb_open_array(jb, "txt");
				unsigned j = i;
				for (; j < n && v[j].type == 16 && v[j].name_len == v[i].name_len &&
				       !memcmp(v[j].name, v[i].name, v[i].name_len) && v[j].ttl == v[i].ttl; j++)
					jb_strn(jb, NULL, (const uint8_t *)v[j].data, v[j].data_len);
				jb_close(jb);
				i = j - 1;
			} else if (v[i].type == 33) {
				jb_open_object(jb, "srv");
				jb_u64(jb, "priority", v[i].u.srv[0]);
				jb_u64(jb, "weight", v[i].u.srv[1]);
				jb_u64(jb, "port", v[i].u.srv[2]);
				jb_strn(jb, "name", (const uint8_t *)v[i].data, v[i].data_len);
				jb_close(jb);
			} else if (v[i].data_len) {
				jb_strn(jb, lc, (const uint8_t *)v[i].data, v[i].data_len);
			}
		}
		jb_close(jb);
	}
	jb_close(jb);
}

void mdns_log(struct jbuf *jb, const struct dns_msg *m)
{
	char hex[8], rb[8];
	jb_open_object(jb, "mdns");
	jb_str(jb, "type", m->response ? "response" : "request");
	jb_u64(jb, "id", m->id);
	snprintf(hex, sizeof(hex), "%04x", m->flags);
	jb_str(jb, "flags", hex);
	if (m->response) jb_bool(jb, "qr", true);
	if (m->flags & 0x0400) jb_bool(jb, "aa", true);
	if (m->flags & 0x0200) jb_bool(jb, "tc", true);
	jb_u64(jb, "opcode", m->opcode);
	if (m->response)
		jb_str(jb, "rcode", dns_rcode_name(m->rcode, rb));
	mdns_rr_list(jb, "queries", m->q, m->nq, false);
	mdns_rr_list(jb, "answers", m->a, m->nans, true);
	mdns_rr_list(jb, "authorities", m->auth, m->nauth, true);
	mdns_rr_list(jb, "additionals", m->add, m->nadd, true);
	jb_close(jb);
}
