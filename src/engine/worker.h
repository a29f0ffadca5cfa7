/*
 * worker.h - one worker's state (engine-internal).
 */
#ifndef VIGIL_WORKER_H
#define VIGIL_WORKER_H

#include "eve.h"
#include "json.h"
#include "sink.h"
#include "stream.h"

struct worker {
	unsigned id;
	struct counters cnt;
	uint64_t ev[EV_MAX];
	struct decode_ctx dec;
	struct flow_table *ft;
	struct reasm_ctx rc;
	struct eve_cfg ec;
	struct sink *eve;    /* shared, may be NULL */
	struct jbuf out;     /* pending eve lines */
	vtime_t now;         /* latest packet time seen */
	vtime_t next_expire;
	struct packet pkt;
};

int worker_init(struct worker *w, const struct config *cfg, unsigned id, unsigned nworkers,
		struct sink *eve, struct verr *e);
/* Processes one captured packet. */
void worker_packet(struct worker *w, int linktype, vtime_t ts, const uint8_t *data,
		   uint32_t caplen, uint32_t wirelen, uint64_t pcap_cnt);
/* Ends all flows (reason shutdown), flushes output, frees. */
void worker_fini(struct worker *w);
/* Writes pending eve lines to the sink. */
void worker_flush(struct worker *w);

#endif
