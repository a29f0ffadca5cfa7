/*
 * nfq.c - inline capture from an iptables NFQUEUE (libnetfilter_queue).
 *
 * The kernel holds each packet until vigil gives a verdict.  One recv()
 * can carry several packets; their views into the receive buffer are kept
 * in a small pending list and handed out one by one.  Accept verdicts are
 * batched (one message accepts every pending id up to the last), a drop
 * is sent at once after flushing the accepts before it, and the batch is
 * flushed before vigil blocks waiting for more, so no packet waits on a
 * verdict that vigil is holding back.
 *
 * fail-open (NFQA_CFG_F_FAIL_OPEN) makes the kernel accept packets when
 * the queue is full instead of dropping them; the kernel's own counters
 * (queue_dropped, user_dropped in /proc/net/netfilter/nfnetlink_queue)
 * are reported as overflow.  On close, packets still queued are read and
 * accepted before the queue is destroyed, so none is left unanswered.
 */
#include "capture.h"

#include <errno.h>
#include <arpa/inet.h>
#include <libnetfilter_queue/libnetfilter_queue.h>
#include <linux/netlink.h>
#include <linux/netfilter.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "log.h"

#define NFQ_PEND_MAX 256
#define NFQ_BUF (256 * 1024)

struct nfq_src {
	struct nfq_handle *h;
	struct nfq_q_handle *qh;
	int fd;
	uint16_t num;
	uint32_t batch;
	uint8_t *buf;
	struct nfq_pkt pend[NFQ_PEND_MAX];
	uint32_t npend, next;
	uint32_t acc_id, acc_cnt;  /* batched accepts */
	uint64_t enobufs;
	uint32_t spin_us;
	bool draining;
};

static int on_packet(struct nfq_q_handle *qh, struct nfgenmsg *msg, struct nfq_data *nfa,
		     void *data)
{
	(void)qh;
	(void)msg;
	struct nfq_src *q = data;
	struct nfqnl_msg_packet_hdr *ph = nfq_get_msg_packet_hdr(nfa);
	if (!ph)
		return 0;
	uint32_t id = ntohl(ph->packet_id);
	if (q->draining || q->npend >= NFQ_PEND_MAX) {
		/* no room (or closing): answer at once rather than leave it */
		nfq_set_verdict(q->qh, id, NF_ACCEPT, 0, NULL);
		return 0;
	}
	unsigned char *payload;
	int len = nfq_get_payload(nfa, &payload);
	struct timeval tv;
	if (nfq_get_timestamp(nfa, &tv) != 0)
		gettimeofday(&tv, NULL);
	struct nfq_pkt *p = &q->pend[q->npend++];
	p->id = id;
	p->ts = (vtime_t)tv.tv_sec * 1000000u + (vtime_t)tv.tv_usec;
	p->data = len > 0 ? payload : NULL;
	p->len = len > 0 ? (uint32_t)len : 0;
	p->wirelen = p->len;
	p->indev = nfq_get_indev(nfa);
	return 0;
}

struct nfq_src *nfq_src_open(uint16_t num, const struct nfq_opts *o, struct verr *e)
{
	struct nfq_src *q = v_calloc(1, sizeof(*q));
	if (!q || !(q->buf = v_malloc(NFQ_BUF))) {
		verr_set(e, V_ENOMEM, "out of memory");
		goto fail;
	}
	q->num = num;
	q->batch = o->batch ? o->batch : 1;
	q->spin_us = o->spin_us;
	if (!(q->h = nfq_open())) {
		verr_set(e, V_EIO, "NFQUEUE %u: cannot open netlink (%s; need CAP_NET_ADMIN)", num,
			 strerror(errno));
		goto fail;
	}
	if (!(q->qh = nfq_create_queue(q->h, num, on_packet, q))) {
		verr_set(e, V_EIO, "NFQUEUE %u: cannot bind (%s; is another program using it?)", num,
			 strerror(errno));
		goto fail;
	}
	if (nfq_set_mode(q->qh, NFQNL_COPY_PACKET, o->snaplen ? o->snaplen : 0xffff) < 0) {
		verr_set(e, V_EIO, "NFQUEUE %u: cannot set copy mode", num);
		goto fail;
	}
	if (o->maxlen)
		nfq_set_queue_maxlen(q->qh, o->maxlen);
	uint32_t flags = o->fail_open ? NFQA_CFG_F_FAIL_OPEN : 0;
	if (nfq_set_queue_flags(q->qh, NFQA_CFG_F_FAIL_OPEN, flags) < 0 && o->fail_open)
		log_warn("NFQUEUE %u: kernel refused fail-open; a full queue will drop", num);
	q->fd = nfq_fd(q->h);
	nfnl_rcvbufsiz(nfq_nfnlh(q->h), 8 * 1024 * 1024);
	int one = 1;
	setsockopt(q->fd, SOL_NETLINK, NETLINK_NO_ENOBUFS, &one, sizeof(one));
	return q;
fail:
	nfq_src_close(q);
	return NULL;
}

static void flush_accepts(struct nfq_src *q)
{
	if (q->acc_cnt) {
		nfq_set_verdict_batch(q->qh, q->acc_id, NF_ACCEPT);
		q->acc_cnt = 0;
	}
}

int nfq_src_next(struct nfq_src *q, struct nfq_pkt *out, int timeout_ms, struct verr *e)
{
	while (q->next >= q->npend) {
		q->next = q->npend = 0;
		flush_accepts(q); /* never block holding verdicts back */
		/* try without blocking first: under load the next packet is
		 * usually there, and this saves a poll per packet */
		ssize_t n = recv(q->fd, q->buf, NFQ_BUF, MSG_DONTWAIT);
		if (n < 0 && errno == EAGAIN && q->spin_us) {
			/* busy-poll a little: a wake-up from poll() costs tens of
			 * microseconds on a VM */
			struct timespec t0, t1;
			clock_gettime(CLOCK_MONOTONIC, &t0);
			do {
				n = recv(q->fd, q->buf, NFQ_BUF, MSG_DONTWAIT);
				if (n >= 0 || errno != EAGAIN)
					break;
				clock_gettime(CLOCK_MONOTONIC, &t1);
			} while ((t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000 <
				 (long)q->spin_us);
		}
		if (n < 0 && errno == EAGAIN) {
			struct pollfd pfd = { q->fd, POLLIN, 0 };
			int pr = poll(&pfd, 1, timeout_ms);
			if (pr == 0)
				return V_EAGAIN;
			if (pr < 0) {
				if (errno == EINTR)
					return V_EAGAIN;
				return verr_set(e, V_EIO, "NFQUEUE %u: poll: %s", q->num, strerror(errno));
			}
			n = recv(q->fd, q->buf, NFQ_BUF, MSG_DONTWAIT);
		}
		if (n < 0) {
			if (errno == ENOBUFS) {
				q->enobufs++;
				continue;
			}
			if (errno == EAGAIN || errno == EINTR)
				return V_EAGAIN;
			return verr_set(e, V_EIO, "NFQUEUE %u: recv: %s", q->num, strerror(errno));
		}
		nfq_handle_packet(q->h, (char *)q->buf, (int)n);
	}
	*out = q->pend[q->next++];
	return 0;
}

void nfq_src_verdict(struct nfq_src *q, uint32_t id, bool accept, uint32_t mark, uint32_t mask)
{
	if (accept && mark) {
		flush_accepts(q);
		/* keep the packet's other mark bits, set ours */
		nfq_set_verdict2(q->qh, id, NF_ACCEPT, mark & mask, 0, NULL);
		return;
	}
	if (accept) {
		q->acc_id = id;
		if (++q->acc_cnt >= q->batch)
			flush_accepts(q);
		return;
	}
	flush_accepts(q);
	nfq_set_verdict(q->qh, id, NF_DROP, 0, NULL);
}

void nfq_src_accept_data(struct nfq_src *q, uint32_t id, const uint8_t *data, uint32_t len,
			 uint32_t mark, uint32_t mask)
{
	flush_accepts(q); /* verdicts in order */
	if (mark)
		nfq_set_verdict2(q->qh, id, NF_ACCEPT, mark & mask, len, data);
	else
		nfq_set_verdict(q->qh, id, NF_ACCEPT, len, data);
}

void nfq_src_flush(struct nfq_src *q)
{
	flush_accepts(q);
}

void nfq_src_stats(struct nfq_src *q, uint64_t *queue_dropped, uint64_t *user_dropped)
{
	*queue_dropped = 0;
	*user_dropped = q->enobufs;
	FILE *f = fopen("/proc/net/netfilter/nfnetlink_queue", "r");
	if (!f)
		return;
	unsigned num, portid, total, mode, range, qd, ud;
	while (fscanf(f, "%u %u %u %u %u %u %u %*u %*u", &num, &portid, &total, &mode, &range, &qd,
		      &ud) == 7) {
		if (num == q->num) {
			*queue_dropped = qd;
			*user_dropped += ud;
			break;
		}
	}
	fclose(f);
}

void nfq_src_close(struct nfq_src *q)
{
	if (!q)
		return;
	if (q->qh) {
		/* answer everything: what we hold, and what is still queued */
		flush_accepts(q);
		for (uint32_t i = q->next; i < q->npend; i++)
			nfq_set_verdict(q->qh, q->pend[i].id, NF_ACCEPT, 0, NULL);
		q->draining = true;
		for (int rounds = 0; rounds < 1000; rounds++) {
			ssize_t n = recv(q->fd, q->buf, NFQ_BUF, MSG_DONTWAIT);
			if (n <= 0)
				break;
			nfq_handle_packet(q->h, (char *)q->buf, (int)n);
		}
		nfq_destroy_queue(q->qh);
	}
	if (q->h)
		nfq_close(q->h);
	v_free(q->buf);
	v_free(q);
}
