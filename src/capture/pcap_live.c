/*
 * pcap_live.c - passive live capture from an interface through libpcap
 * (AF_PACKET with a memory-mapped TPACKET_V3 ring, which libpcap sets up
 * itself).  For the mirrored-port setup: vigil sees copies, nothing it
 * does can block traffic.  Immediate mode, and non-blocking reads with
 * vigil's own 100 ms poll: on Linux (TPACKET_V3) libpcap's buffer timeout
 * only starts once a packet has arrived, so a blocking read on a quiet
 * link never returned, and vigil could neither expire flows nor stop on
 * SIGTERM there.  The poll returns on a signal too.
 */
#include "capture.h"

#include <pcap/pcap.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "alloc.h"

struct live_src {
	pcap_t *pc;
	char *iface;
	int fd;         /* pcap's selectable socket */
};

static int live_next(struct capture *c, struct capture_pkt *out, struct verr *e)
{
	struct live_src *s = c->priv;
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = pcap_next_ex(s->pc, &h, &data);
	if (rc == 1) {
		out->ts = (vtime_t)h->ts.tv_sec * 1000000u + (vtime_t)h->ts.tv_usec;
		out->data = data;
		out->caplen = h->caplen;
		out->wirelen = h->len;
		return 0;
	}
	if (rc == 0) {
		/* nothing buffered: wait up to 100 ms for the socket (EINTR too) */
		struct pollfd p = { .fd = s->fd, .events = POLLIN };
		if (s->fd >= 0)
			poll(&p, 1, 100);
		return V_EAGAIN;
	}
	if (rc == PCAP_ERROR_BREAK)
		return V_EOF;
	return verr_set(e, V_EIO, "%s: %s", s->iface, pcap_geterr(s->pc));
}

static void live_drops(struct capture *c, uint64_t *recv, uint64_t *drops)
{
	struct live_src *s = c->priv;
	struct pcap_stat st;
	if (pcap_stats(s->pc, &st) == 0) {
		*recv = st.ps_recv;
		*drops = (uint64_t)st.ps_drop + st.ps_ifdrop;
	}
}

static void live_close(struct capture *c)
{
	struct live_src *s = c->priv;
	pcap_close(s->pc);
	v_free(s->iface);
	v_free(s);
	v_free(c);
}

static const struct capture_ops live_ops = {
	.name = "live",
	.next = live_next,
	.drops = live_drops,
	.close = live_close,
};

struct capture *capture_open_live(const char *iface, uint64_t bufsize, bool promisc,
				  struct verr *e)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	struct capture *c = v_calloc(1, sizeof(*c));
	struct live_src *s = v_calloc(1, sizeof(*s));
	if (!c || !s || !(s->iface = v_strdup(iface))) {
		verr_set(e, V_ENOMEM, "out of memory");
		goto fail;
	}
	if (!(s->pc = pcap_create(iface, err))) {
		verr_set(e, V_EIO, "%s: %s", iface, err);
		goto fail;
	}
	pcap_set_snaplen(s->pc, 65535);
	pcap_set_promisc(s->pc, promisc);
	pcap_set_timeout(s->pc, 100);
	pcap_set_immediate_mode(s->pc, 1);
	if (bufsize)
		pcap_set_buffer_size(s->pc, (int)(bufsize > 1u << 30 ? 1u << 30 : bufsize));
	int rc = pcap_activate(s->pc);
	if (rc < 0) {
		verr_set(e, V_EIO, "%s: %s", iface, pcap_geterr(s->pc));
		pcap_close(s->pc);
		s->pc = NULL;
		goto fail;
	}
	if (pcap_setnonblock(s->pc, 1, err) < 0 || (s->fd = pcap_get_selectable_fd(s->pc)) < 0) {
		verr_set(e, V_EIO, "%s: cannot read without blocking: %s", iface,
			 *err ? err : pcap_geterr(s->pc));
		pcap_close(s->pc);
		s->pc = NULL;
		goto fail;
	}
	c->ops = &live_ops;
	c->linktype = pcap_datalink(s->pc);
	c->source = s->iface;
	c->priv = s;
	c->live = true;
	return c;
fail:
	if (s)
		v_free(s->iface);
	v_free(s);
	v_free(c);
	return NULL;
}
