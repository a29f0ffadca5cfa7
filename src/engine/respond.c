/*
 * respond.c - reject responses and least privilege.
 *
 * Reject (as Suricata's rejectboth): the offending packet is dropped, then
 *  - TCP: a RST to the sender, with the sequence number it expects (its
 *    peer's ACK) and acknowledging what it sent, and a RST to the receiver
 *    in place of the dropped segment (the sequence number it expects);
 *  - UDP and others: ICMP (or ICMPv6) port unreachable to the sender,
 *    quoting the start of the dropped packet (RFC 792 / RFC 4443).
 * A DNS question the policy refuses is answered instead (responder_dns):
 * NXDOMAIN or REFUSED from the server it was sent to, as a filtering
 * resolver would, so that the VM's resolver does not wait for a timeout.
 * The packets are built here with correct checksums and sent through raw
 * sockets opened at start-up, before privileges are dropped; they leave
 * from the gateway itself (OUTPUT), so they are not queued back to vigil.
 *
 * privs_drop follows the OpenBSD daemons: open what needs privilege, then
 * give it all up - user, groups, every capability - before any packet is
 * read.
 */
#include "respond.h"

#include <arpa/inet.h>
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <netinet/in.h>
#include <pwd.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "log.h"

void responder_open(struct responder *r)
{
	memset(r, 0, sizeof(*r));
	int one = 1;
	r->fd4 = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (r->fd4 >= 0)
		setsockopt(r->fd4, IPPROTO_IP, IP_HDRINCL, &one, sizeof(one));
	r->fd6 = socket(AF_INET6, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (r->fd4 < 0 || r->fd6 < 0)
		log_warn("raw sockets unavailable (%s): reject rules will only drop",
			 strerror(errno));
}

void responder_close(struct responder *r)
{
	if (r->fd4 >= 0)
		close(r->fd4);
	if (r->fd6 >= 0)
		close(r->fd6);
	r->fd4 = r->fd6 = -1;
}

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }

/* Writes an IP header for proto from src to dst carrying l4len bytes;
 * returns its length. */
static size_t ip_header(uint8_t *b, int ver, const uint8_t *src, const uint8_t *dst,
			uint8_t proto, size_t l4len)
{
	if (ver == 4) {
		memset(b, 0, 20);
		b[0] = 0x45;
		put16(b + 2, (uint16_t)(20 + l4len));
		b[8] = 64;
		b[9] = proto;
		memcpy(b + 12, src, 4);
		memcpy(b + 16, dst, 4);
		put16(b + 10, csum_fold(csum_add(0, b, 20)));
		return 20;
	}
	memset(b, 0, 40);
	b[0] = 0x60;
	put16(b + 4, (uint16_t)l4len);
	b[6] = proto;
	b[7] = 64;
	memcpy(b + 8, src, 16);
	memcpy(b + 24, dst, 16);
	return 40;
}

static uint32_t pseudo(int ver, const uint8_t *src, const uint8_t *dst, uint8_t proto,
		       size_t len)
{
	size_t al = ver == 4 ? 4 : 16;
	return csum_add(csum_add(0, src, (uint32_t)al), dst, (uint32_t)al) + proto + (uint32_t)len;
}

static void send_raw(struct responder *r, int ver, const uint8_t *pkt, size_t len,
		     const uint8_t *dst)
{
	ssize_t n;
	if (ver == 4) {
		struct sockaddr_in sa = { .sin_family = AF_INET };
		memcpy(&sa.sin_addr, dst, 4);
		n = r->fd4 >= 0 ? sendto(r->fd4, pkt, len, 0, (struct sockaddr *)&sa, sizeof(sa)) : -1;
	} else {
		struct sockaddr_in6 sa = { .sin6_family = AF_INET6 };
		memcpy(&sa.sin6_addr, dst, 16);
		n = r->fd6 >= 0 ? sendto(r->fd6, pkt, len, 0, (struct sockaddr *)&sa, sizeof(sa)) : -1;
	}
	if (n == (ssize_t)len)
		r->sent++;
	else
		r->failed++;
}

static void tcp_rst(struct responder *r, int ver, const uint8_t *src, const uint8_t *dst,
		    uint16_t sp, uint16_t dp, uint32_t seq, uint32_t ack, bool with_ack)
{
	uint8_t b[60 + 20];
	size_t h = ip_header(b, ver, src, dst, 6, 20);
	uint8_t *t = b + h;
	memset(t, 0, 20);
	put16(t, sp);
	put16(t + 2, dp);
	put32(t + 4, seq);
	put32(t + 8, with_ack ? ack : 0);
	t[12] = 5 << 4;
	t[13] = with_ack ? 0x14 : 0x04; /* RST(+ACK) */
	put16(t + 16, csum_fold(csum_add(pseudo(ver, src, dst, 6, 20), t, 20)));
	send_raw(r, ver, b, h + 20, dst);
}

void responder_reject(struct responder *r, const struct packet *p)
{
	if (!p->ip_ver || !p->ip_hdr)
		return;
	int ver = p->ip_ver;
	if (p->proto == 6 && (p->flags & PKT_HAS_PORTS)) {
		if (p->tcp_flags & TH_RST)
			return;
		uint32_t seglen = p->payload_len + ((p->tcp_flags & TH_SYN) ? 1 : 0) +
				  ((p->tcp_flags & TH_FIN) ? 1 : 0);
		/* to the sender: from its peer, in sequence */
		tcp_rst(r, ver, p->dst, p->src, p->dp, p->sp, (p->tcp_flags & TH_ACK) ? p->ack : 0,
			p->seq + seglen, true);
		/* to the receiver: in place of the dropped segment */
		if (p->tcp_flags & TH_ACK)
			tcp_rst(r, ver, p->src, p->dst, p->sp, p->dp, p->seq, 0, false);
		return;
	}
	if (p->proto == 1 || p->proto == 58)
		return; /* never answer ICMP with ICMP */
	/* ICMP port unreachable to the sender, quoting its packet */
	uint8_t b[40 + 8 + 1232];
	size_t quote = MIN((size_t)p->ip_len, ver == 4 ? 548u : 1232u);
	size_t h = ip_header(b, ver, p->dst, p->src, ver == 4 ? 1 : 58, 8 + quote);
	uint8_t *m = b + h;
	memset(m, 0, 8);
	m[0] = ver == 4 ? 3 : 1;  /* destination unreachable */
	m[1] = ver == 4 ? 3 : 4;  /* port unreachable */
	memcpy(m + 8, p->ip_hdr, quote);
	uint32_t s = ver == 4 ? 0 : pseudo(6, p->dst, p->src, 58, 8 + quote);
	put16(m + 2, csum_fold(csum_add(s, m, (uint32_t)(8 + quote))));
	send_raw(r, ver, b, h + 8 + quote, p->src);
}

void responder_dns(struct responder *r, const struct packet *p, uint8_t rcode)
{
	if (!p->ip_ver || p->proto != 17 || !(p->flags & PKT_HAS_PORTS) || !p->payload ||
	    p->payload_len < 12)
		return;
	const uint8_t *q = p->payload;
	uint32_t n = p->payload_len, off = 12;
	if ((q[2] & 0x80) || (q[4] << 8 | q[5]) != 1)
		return; /* a response, or not one question */
	/* the question: its name, then type and class */
	while (off < n && q[off] && (q[off] & 0xc0) == 0)
		off += 1u + q[off];
	if (off < n && (q[off] & 0xc0) == 0xc0)
		off += 2;
	else
		off += 1;
	off += 4;
	if (off > n || off > 512)
		return;
	int ver = p->ip_ver;
	uint8_t b[40 + 8 + 512];
	size_t h = ip_header(b, ver, p->dst, p->src, 17, 8 + off);
	uint8_t *u = b + h, *d = u + 8;
	memcpy(d, q, off);
	d[2] = (uint8_t)(0x80 | (q[2] & 0x79)); /* QR, the opcode, RD */
	d[3] = (uint8_t)(0x80 | (rcode & 0x0f)); /* RA, the answer */
	memset(d + 6, 0, 6);                    /* no answer, authority or additional */
	put16(u, p->dp);
	put16(u + 2, p->sp);
	put16(u + 4, (uint16_t)(8 + off));
	put16(u + 6, 0);
	uint16_t c = csum_fold(csum_add(pseudo(ver, p->dst, p->src, 17, 8 + off), u, (uint32_t)(8 + off)));
	put16(u + 6, c ? c : 0xffff);
	send_raw(r, ver, b, h + 8 + off, p->src);
}

struct cap_header {
	uint32_t version;
	int pid;
};
struct cap_data {
	uint32_t effective, permitted, inheritable;
};

int privs_lookup(const char *user, const char *group, uid_t *uid, gid_t *gid, struct verr *e)
{
	struct passwd *pw = getpwnam(user);
	if (!pw)
		return verr_set(e, V_EINVAL, "run-as user \"%s\" does not exist", user);
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	if (group && *group) {
		struct group *gr = getgrnam(group);
		if (!gr)
			return verr_set(e, V_EINVAL, "run-as group \"%s\" does not exist", group);
		*gid = gr->gr_gid;
	}
	return 0;
}

int privs_drop(const char *user, const char *group, uint64_t keep, struct verr *e)
{
	if (keep)
		prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0); /* keep them across the uid switch */
	if (user && *user) {
		uid_t uid;
		gid_t gid;
		if (privs_lookup(user, group, &uid, &gid, e) < 0)
			return V_EINVAL;
		if (getuid() == 0 || geteuid() == 0) {
			if (setgroups(1, &gid) < 0 || setresgid(gid, gid, gid) < 0 ||
			    setresuid(uid, uid, uid) < 0)
				return verr_set(e, V_EINVAL, "cannot switch to %s: %s", user,
						strerror(errno));
			if (setuid(0) == 0)
				return verr_set(e, V_EINVAL, "privileges were not dropped");
		} else if (getuid() != uid) {
			return verr_set(e, V_EINVAL, "cannot switch to %s without root", user);
		}
	}
	/* clear every capability but the kept ones (whatever user we are) */
	struct cap_header hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct cap_data data[2];
	memset(data, 0, sizeof(data));
	data[0].effective = data[0].permitted = (uint32_t)keep;
	data[1].effective = data[1].permitted = (uint32_t)(keep >> 32);
	if (syscall(SYS_capset, &hdr, data) < 0)
		log_warn("could not drop capabilities: %s", strerror(errno));
	prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	return 0;
}
