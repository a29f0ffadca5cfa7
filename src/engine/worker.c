/*
 * worker.c - the per-packet path: decode, flow, TCP state, reassembly,
 * events.  Eve lines are collected in the worker's own buffer and handed
 * to the shared sink in batches of about 64 KiB, so workers take the sink's
 * lock rarely.  Flow timeouts are checked once per second of packet time.
 */
#include "worker.h"

#include <string.h>

#include "log.h"

#define OUT_BATCH (64 * 1024)

static void on_stream_data(void *ud, struct flow *f, int dir, const uint8_t *data,
			   uint32_t len, unsigned flags)
{
	/* The consumer of reassembled data: the app-layer and the rule
	 * engine attach here.  Until then, payload counting happens in
	 * reassembly itself. */
	(void)ud; (void)f; (void)dir; (void)data; (void)len; (void)flags;
}

static void on_flow_end(void *ud, struct flow *f)
{
	struct worker *w = ud;
	stream_flow_end(&w->rc, f);
	if (f->key.proto == 6 && f->payload_bytes[0] + f->payload_bytes[1] &&
	    f->alproto == ALPROTO_UNKNOWN)
		f->alproto = ALPROTO_FAILED;
	if (w->ec.flow && w->eve) {
		eve_flow_record(&w->out, f, &w->ec);
		if (w->out.len >= OUT_BATCH)
			worker_flush(w);
	}
}

int worker_init(struct worker *w, const struct config *cfg, unsigned id, unsigned nworkers,
		struct sink *eve, struct verr *e)
{
	memset(w, 0, sizeof(*w));
	w->id = id;
	w->eve = eve;
	eve_cfg_from(&w->ec, cfg);
	if (decode_ctx_init(&w->dec, cfg, &w->cnt, cfg->defrag_memcap / nworkers) < 0)
		return verr_set(e, V_ENOMEM, "out of memory (decoder)");
	struct flow_table_cfg tc;
	flow_table_cfg_from(&tc, cfg, nworkers, id);
	w->ft = flow_table_new(&tc, &w->cnt, on_flow_end, w);
	if (!w->ft) {
		decode_ctx_fini(&w->dec);
		return verr_set(e, V_ENOMEM, "out of memory (flow table)");
	}
	reasm_ctx_init(&w->rc, cfg, nworkers, &w->cnt, on_stream_data, w);
	return 0;
}

void worker_flush(struct worker *w)
{
	if (w->out.len && w->eve && !w->out.oom)
		sink_write(w->eve, w->out.buf, w->out.len);
	jb_reset(&w->out);
}

void worker_packet(struct worker *w, int linktype, vtime_t ts, const uint8_t *data,
		   uint32_t caplen, uint32_t wirelen, uint64_t pcap_cnt)
{
	struct packet *p = &w->pkt;
	p->ts = ts;
	p->data = data;
	p->caplen = caplen;
	p->wirelen = wirelen;
	p->linktype = linktype;
	p->pcap_cnt = pcap_cnt;
	if (ts > w->now)
		w->now = ts;
	if (w->now >= w->next_expire) {
		flow_table_expire(w->ft, w->now);
		decode_expire(&w->dec, w->now);
		w->next_expire = w->now + 1000000;
	}
	decode_packet(&w->dec, p);
	if (p->flags & PKT_CSUM_BAD) {
		CNT_INC(&w->cnt, DECODER_CSUM_BAD);
		if (p->proto == 6)
			CNT_INC(&w->cnt, TCP_INVALID_CSUM);
	}
	struct flow *f = flow_table_handle(w->ft, p);
	if (f && p->proto == 6 && (p->flags & PKT_HAS_PORTS))
		stream_packet(&w->rc, p);
	for (unsigned i = 0; i < p->event_cnt; i++) {
		w->ev[p->events[i]]++;
		if (w->eve && w->ec.anomaly)
			eve_anomaly_record(&w->out, p, p->events[i], &w->ec);
	}
	if (w->out.len >= OUT_BATCH)
		worker_flush(w);
}

void worker_fini(struct worker *w)
{
	flow_table_free(w->ft);
	w->ft = NULL;
	decode_expire(&w->dec, 0);
	decode_ctx_fini(&w->dec);
	worker_flush(w);
	jb_fini(&w->out);
}
