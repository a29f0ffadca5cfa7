/*
 * pcap_file.c - pcap and pcapng files through libpcap, with microsecond
 * timestamps.  libpcap validates the file and record headers (a record
 * longer than the snapshot length or a corrupt block is an error we
 * report, not a crash); vigil decodes whatever link type it supports and
 * counts the rest.
 */
#include "capture.h"

#include <pcap/pcap.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "alloc.h"

struct pcap_src {
	pcap_t *pc;
	uint64_t size;
	char *path;
};

static int pf_next(struct capture *c, struct capture_pkt *out, struct verr *e)
{
	struct pcap_src *s = c->priv;
	struct pcap_pkthdr *h;
	const u_char *data;
	int rc = pcap_next_ex(s->pc, &h, &data);
	if (rc == 1) {
		out->ts = (vtime_t)h->ts.tv_sec * 1000000u + (vtime_t)h->ts.tv_usec;
		if (h->ts.tv_sec < 0)
			out->ts = 0;
		out->data = data;
		out->caplen = h->caplen;
		out->wirelen = h->len;
		return 0;
	}
	if (rc == PCAP_ERROR_BREAK)
		return V_EOF;
	return verr_set(e, V_EFORMAT, "%s: %s", s->path, pcap_geterr(s->pc));
}

static void pf_progress(struct capture *c, uint64_t *done, uint64_t *total)
{
	struct pcap_src *s = c->priv;
	FILE *f = pcap_file(s->pc);
	long pos = f ? ftell(f) : -1;
	*done = pos > 0 ? (uint64_t)pos : 0;
	*total = s->size;
}

static void pf_close(struct capture *c)
{
	struct pcap_src *s = c->priv;
	pcap_close(s->pc);
	v_free(s->path);
	v_free(s);
	v_free(c);
}

static const struct capture_ops pcap_file_ops = {
	.name = "pcap-file",
	.next = pf_next,
	.progress = pf_progress,
	.close = pf_close,
};

struct capture *capture_open_file(const char *path, struct verr *e)
{
	char err[PCAP_ERRBUF_SIZE] = "";
	struct capture *c = v_calloc(1, sizeof(*c));
	struct pcap_src *s = v_calloc(1, sizeof(*s));
	if (!c || !s || !(s->path = v_strdup(path))) {
		verr_set(e, V_ENOMEM, "out of memory");
		goto fail;
	}
	s->pc = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, err);
	if (!s->pc) {
		verr_set(e, V_EFORMAT, "%s: %s", path, err);
		goto fail;
	}
	struct stat st;
	if (strcmp(path, "-") && stat(path, &st) == 0)
		s->size = (uint64_t)st.st_size;
	c->ops = &pcap_file_ops;
	c->linktype = pcap_datalink(s->pc);
	c->source = s->path;
	c->priv = s;
	return c;
fail:
	if (s)
		v_free(s->path);
	v_free(s);
	v_free(c);
	return NULL;
}
