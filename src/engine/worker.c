/*
 * worker.c - the per-packet path: decode, flow, TCP state, reassembly,
 * events.  Eve lines are collected in the worker's own buffer and handed
 * to the shared sink in batches of about 64 KiB, so workers take the sink's
 * lock rarely.  Flow timeouts are checked once per second of packet time.
 */
#include "worker.h"

#include "alloc.h"
#include "lists.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"

/* counters.def has a row per target and policy from drop-packet to
 * reject, in the enums' orders */
#define XP_NPOL (XP_REJECT - XP_DROP_PACKET + 1)
#define XP_CNT(t, pol) (CNT_XP_DEFRAG_MEMCAP_DROP_PACKET + (t) * XP_NPOL + ((pol) - XP_DROP_PACKET))
_Static_assert(XP_CNT(XP_MIDSTREAM, XP_PASS_FLOW) == CNT_XP_MIDSTREAM_PASS_FLOW &&
		       XP_CNT(XP_APP_ERROR, XP_REJECT) == CNT_XP_APP_ERROR_REJECT &&
		       XP_CNT(XP_FLOW_MEMCAP, XP_DROP_PACKET) == CNT_XP_FLOW_MEMCAP_DROP_PACKET,
	       "counters.def's exception policy rows follow enum xp_target and enum xp_policy");

#define OUT_BATCH (64 * 1024)

static void settle_segment(struct worker *w, struct packet *p);
static void acked_other(struct worker *w, struct packet *p, struct flow *f);

/* The consumer of reassembled data: the rule engine's stream windows
 * (the app-layer parsers attach here too). */
static void on_stream_data(void *ud, struct flow *f, int dir, const uint8_t *data,
			   uint32_t len, unsigned flags)
{
	struct worker *w = ud;
	w->got[dir & 1] = true;
	if (w->app_on)
		app_stream_data(&w->app, f, dir, data, len, flags);
	if (w->dt)
		detect_stream_data(w->dt, f, dir, data, len, flags);
	if (w->settle && data && len && (w->settle->dir & 1) == (dir & 1))
		settle_segment(w, w->settle);
	else if (w->acking && data && len && (w->pkt.dir & 1) != (dir & 1) && f == w->pkt.flow)
		acked_other(w, &w->pkt, f); /* each segment the packet acknowledged */
}

/* Whether file fi, ended on packet p, has its record written on the
 * next packet of its own direction (IDS timing: p is the peer's, which
 * acknowledged its bytes), as Suricata logs a direction's files on that
 * direction's packets. */
static bool file_waits(const struct worker *w, const struct packet *p, const struct app_file *fi)
{
	return w->rc.ack_gated && p && !(p->flags & PKT_PSEUDO) && p->flow &&
	       p->flow->key.proto == 6 && (fi->to_client ? 1 : 0) != (p->dir & 1);
}

/* A stored file's metadata file (file-store.write-fileinfo): its
 * fileinfo record on p (NULL: at the flow's end). */
static void file_meta(struct worker *w, const struct packet *p, struct flow *f,
		      const struct app_file *fi)
{
	jb_reset(&w->meta);
	eve_file_record(&w->meta, p, f, fi, &w->ec);
	if (!w->meta.oom)
		filestore_write_meta(fi->facts.sha256, VTIME_SEC(p ? p->ts : f->last), w->meta.buf,
				     w->meta.len);
}

/* The files that closed on packet p of flow f (p NULL: at the flow's
 * end): kept in the file store when a rule with filestore matched it (or
 * the store keeps everything), with their metadata record when the store
 * writes those, their temporary copies removed otherwise. */
static void files_settle(struct worker *w, const struct packet *p, struct flow *f, bool keep)
{
	for (unsigned i = 0; i < w->app.tx.nfiles && i < APP_FILES_PER_PKT; i++) {
		struct app_file *fi = &w->app.file[i];
		struct file_facts *ff = &fi->facts;
		if (!ff->store_tmp[0])
			continue;
		if (keep || filestore_forced())
			ff->stored = filestore_commit(ff->store_tmp, ff->sha256, fi->size);
		else
			unlink(ff->store_tmp);
		ff->store_tmp[0] = 0;
		/* (a file whose record waits for its direction's next packet
		 * has its metadata written with it: held_write) */
		if (ff->stored && f && filestore_fileinfo() && !file_waits(w, p, fi))
			file_meta(w, p, f, fi);
	}
	/* what the file system refused this thread, these files' or earlier
	 * ones' (creating or writing their copies while they streamed) */
	CNT_ADD(&w->cnt, FILE_STORE_FS_ERRORS, filestore_take_errors());
}

/* A policy finding for eve: pol_begin gives the record to fill with a
 * policy_alert_* writer (NULL when alerts are not written), pol_emit
 * writes it where it was found (see eve_policy_alert). */
static struct policy_alert *pol_begin(struct worker *w)
{
	return w->eve && w->ec.alert ? eve_policy_begin(&w->pa, &w->ec) : NULL;
}

static void pol_emit(struct worker *w, enum eve_at at, const struct packet *p, const struct flow *f,
		     vtime_t ts)
{
	eve_policy_alert(&w->out, at, p, f, ts, &w->pa, &w->ec);
}

static int run_detect(struct worker *w, struct packet *p, const struct app_tx *tx);
static void pseudo_packet(struct packet *p, struct flow *f, int d);

/* Acknowledged delivery, as Suricata's IDS mode: a direction's bytes
 * reach the parsers on the peer's packet that acknowledges them (records
 * are written there), and the rule engine inspects them on the
 * direction's next packet.  Keeping a transaction's pointers across
 * packets is unsafe (parsing moves them), so the inspection runs at once,
 * on a pseudo-packet of the direction (PKT_ACKED_DATA: app-layer and
 * stream rules only), and only its alerts wait: rendered but for what
 * depends on the packet that writes them (envelope, flow counters,
 * payload), at most HELD_ALERTS_MAX a direction, more are counted and
 * lost.  Detection's side effects (flowbits, thresholds) happen one
 * packet early. */
#define HELD_ALERTS_MAX 32

struct held_alert {
	uint32_t sid, gid;
	uint32_t split, len, fast_len;
	bool stream;
	bool file;      /* a fileinfo record (eve_file_defer's fragment), not an alert */
	bool to_client; /* (a file's direction) */
	char data[]; /* the eve fragment (len), then the fast.log line (fast_len) */
};

struct held_alerts {
	unsigned cnt;
	struct held_alert *a[HELD_ALERTS_MAX];
};

static void held_free(struct reasm_dir *rd)
{
	struct held_alerts *ha = rd ? rd->alerts : NULL;
	if (!ha)
		return;
	for (unsigned i = 0; i < ha->cnt; i++)
		v_free(ha->a[i]);
	v_free(ha);
	rd->alerts = NULL;
}

/* Alert a, found on the pseudo-packet p, kept for p's direction. */
static void hold_alert(struct worker *w, const struct packet *p, const struct app_tx *tx,
		       const struct detect_alert *a)
{
	struct reasm_dir *rd = p->flow->stream[p->dir & 1];
	if (!rd)
		return;
	if (!rd->alerts && !(rd->alerts = v_calloc(1, sizeof(*rd->alerts))))
		return;
	struct held_alerts *ha = rd->alerts;
	if (ha->cnt >= HELD_ALERTS_MAX) {
		CNT_INC(&w->cnt, DETECT_ALERT_QUEUE_OVERFLOW);
		return;
	}
	size_t split = 0;
	jb_reset(&w->dfr);
	jb_reset(&w->dfast);
	if (w->eve && w->ec.alert)
		eve_alert_defer(&w->dfr, p, tx, a, &w->ec, &split);
	if (w->fast)
		fast_log_line(&w->dfast, p, a, false);
	if (w->dfr.oom || w->dfast.oom || w->dfr.len > UINT32_MAX / 2 || w->dfast.len > UINT32_MAX / 2)
		return;
	struct held_alert *h = v_malloc(sizeof(*h) + w->dfr.len + w->dfast.len);
	if (!h)
		return;
	h->sid = a->sid;
	h->gid = a->gid;
	h->file = h->to_client = false;
	h->split = (uint32_t)split;
	h->len = (uint32_t)w->dfr.len;
	h->fast_len = (uint32_t)w->dfast.len;
	h->stream = a->stream;
	if (h->len)
		memcpy(h->data, w->dfr.buf, h->len);
	if (h->fast_len)
		memcpy(h->data + h->len, w->dfast.buf, h->fast_len);
	ha->a[ha->cnt++] = h;
}

/* A file that ended where the peer's packet p acknowledged its bytes:
 * its record waits for the next packet of its own direction, as
 * Suricata logs a direction's files on that direction's packets; false
 * if it cannot wait (it is written on p then). */
static bool hold_file(struct worker *w, const struct packet *p, struct flow *f,
		      const struct app_file *fi)
{
	struct reasm_dir *rd = f->stream[fi->to_client ? 1 : 0];
	if (!rd || !file_waits(w, p, fi))
		return false;
	if (!rd->alerts && !(rd->alerts = v_calloc(1, sizeof(*rd->alerts))))
		return false;
	struct held_alerts *ha = rd->alerts;
	if (ha->cnt >= HELD_ALERTS_MAX)
		return false;
	eve_file_defer(&w->dfr, f, fi, &w->ec);
	if (w->dfr.oom || w->dfr.len > UINT32_MAX / 2)
		return false;
	/* a stored file's metadata file is written with its record: its
	 * SHA-256 follows the fragment */
	bool meta = fi->facts.stored && filestore_fileinfo();
	size_t hl = meta ? strlen(fi->facts.sha256) : 0;
	struct held_alert *h = v_malloc(sizeof(*h) + w->dfr.len + hl + 1);
	if (!h)
		return false;
	memset(h, 0, sizeof(*h));
	h->file = true;
	h->to_client = fi->to_client;
	h->len = (uint32_t)w->dfr.len;
	h->fast_len = (uint32_t)hl;
	memcpy(h->data, w->dfr.buf, h->len);
	memcpy(h->data + h->len, fi->facts.sha256, hl);
	h->data[h->len + hl] = 0;
	ha->a[ha->cnt++] = h;
	return true;
}

/* The fileinfo records (and stored files' metadata) of the files that
 * ended on p: now, or held for their direction's next packet. */
static void files_write(struct worker *w, const struct packet *p, struct flow *f)
{
	bool rec = w->eve && w->ec.files;
	for (unsigned i = 0; i < w->app.tx.nfiles; i++) {
		const struct app_file *fi = w->app.tx.files[i];
		if (!file_waits(w, p, fi)) { /* (its metadata: files_settle) */
			if (rec)
				eve_file_record(&w->out, p, f, fi, &w->ec);
			continue;
		}
		bool meta = fi->facts.stored && filestore_fileinfo();
		if ((!rec && !meta) || hold_file(w, p, f, fi))
			continue;
		/* it cannot wait: now */
		if (meta)
			file_meta(w, p, f, fi);
		if (rec)
			eve_file_record(&w->out, p, f, fi, &w->ec);
	}
}

/* Writes the alerts and file records held for p's direction of flow f,
 * on p (before p's own); a flow passed since has its alerts dropped (not
 * inspected, as Suricata), not its files. */
static void held_write(struct worker *w, struct flow *f, const struct packet *p)
{
	struct reasm_dir *rd = f && f->key.proto == 6 ? f->stream[p->dir & 1] : NULL;
	struct held_alerts *ha = rd ? rd->alerts : NULL;
	if (!ha)
		return;
	for (unsigned i = 0; i < ha->cnt; i++) {
		const struct held_alert *h = ha->a[i];
		if (h->file) {
			if (w->eve && w->ec.files)
				eve_file_deferred(&w->out, p, f, h->to_client, h->data, h->len, &w->ec);
			if (h->fast_len) { /* its file store metadata */
				jb_reset(&w->meta);
				eve_file_deferred(&w->meta, p, f, h->to_client, h->data, h->len, &w->ec);
				if (!w->meta.oom)
					filestore_write_meta(h->data + h->len, VTIME_SEC(p->ts), w->meta.buf,
							     w->meta.len);
			}
			continue;
		}
		if (f->flags & FLOW_F_PASS)
			continue;
		if (w->nheld < ARRAY_SIZE(w->held_sid)) {
			w->held_sid[w->nheld] = h->sid;
			w->held_gid[w->nheld++] = h->gid;
		}
		if (w->eve && h->len)
			eve_alert_deferred(&w->out, p, h->data, h->split, h->len, h->stream, &w->ec);
		if (w->fast && h->fast_len) {
			/* the line with p's time: up to the two spaces after it */
			const char *l = h->data + h->len, *e = l + h->fast_len;
			const char *sp = memmem(l, h->fast_len, "  ", 2);
			struct detect_alert none = { 0 };
			jb_reset(&w->dfast);
			fast_log_line(&w->dfast, p, &none, false);
			const char *nsp = w->dfast.len ? memmem(w->dfast.buf, w->dfast.len, "  ", 2) : NULL;
			if (sp && nsp) {
				jb_append(&w->fastbuf, w->dfast.buf, (size_t)(nsp - w->dfast.buf));
				jb_append(&w->fastbuf, sp, (size_t)(e - sp));
			} else {
				jb_append(&w->fastbuf, l, h->fast_len);
			}
		}
	}
	held_free(rd);
}

/* Whether a rule's alert on wire packet p was written already, held
 * for p (a rule alerts once a packet, as Suricata's). */
static bool held_written(const struct worker *w, const struct packet *p,
			 const struct detect_alert *a)
{
	if (p->flags & PKT_PSEUDO)
		return false;
	for (unsigned i = 0; i < w->nheld; i++)
		if (w->held_sid[i] == a->sid && w->held_gid[i] == a->gid)
			return true;
	return false;
}

/* Inspects direction d's data just parsed on the other direction's
 * packet (its alerts held for d's next packet). */
static bool inspect_acked(struct worker *w, struct flow *f, int d)
{
	struct packet *q = &w->pseudo;
	pseudo_packet(q, f, d);
	q->flags |= PKT_ACKED_DATA;
	run_detect(w, q, &w->app.tx);
	return w->dres.filestore;
}

static void dns_anomalies(struct worker *w, struct packet *p);
static void policy_check(struct worker *w, struct packet *p, int *verdict);
static void allow_check(struct worker *w, struct packet *p, int *verdict);

/* Wire packet p acknowledged (only) the other direction's bytes: they
 * were parsed on it; they are inspected for that direction, and their
 * records and files written on p, before p's own work starts from an
 * empty app_tx (what app_tcp_packet adds for p's direction, p's
 * detection).  An app-layer error or an encryption start carries over. */
static void acked_other(struct worker *w, struct packet *p, struct flow *f)
{
	bool keep_files = false;
	if (w->rules) {
		worker_check_rules(w);
		if (w->dt && !w->xp_nodetect)
			keep_files = inspect_acked(w, f, !(p->dir & 1));
	}
	CNT_ADD(&w->cnt, APP_EVENTS, app_ev_count(&w->app.tx.events));
	if (w->eve)
		eve_app_records(&w->out, p, f, &w->app.tx, &w->ec);
	if (w->app.tx.nfiles) {
		files_settle(w, p, f, keep_files);
		files_write(w, p, f);
	}
	if (w->app.tx.ndns)
		dns_anomalies(w, p);
	/* the names the other side said (http.host, tls.sni...): checked
	 * against the policy here, where they were parsed (IDS: no verdict) */
	if (!blocklists_empty(w->bl) || (w->ec.idm && identity_count(w->ec.idm))) {
		int pv = WV_ACCEPT;
		struct packet *q = &w->pseudo;
		pseudo_packet(q, f, !(p->dir & 1));
		q->ts = p->ts;
		q->pcap_cnt = p->pcap_cnt;
		q->flags &= ~(uint32_t)PKT_PSEUDO;
		if (!blocklists_empty(w->bl))
			policy_check(w, q, &pv);
		allow_check(w, q, &pv);
	}
	bool perr = w->app.tx.parser_error, enc = w->app.tx.encrypted;
	app_tx_reset(&w->app);
	w->app.tx.parser_error = perr;
	w->app.tx.encrypted = enc;
	w->got[!(p->dir & 1)] = false;
}

/* Suricata's flow-timeout pseudo-packet: a TCP direction still holding
 * bytes at the flow's end (never acknowledged, or behind a hole) has
 * them delivered and inspected on a packet made for it, in that
 * direction, with pkt_src "stream (flow timeout)"; its alerts and
 * records are written as a wire packet's. */
static void pseudo_packet(struct packet *p, struct flow *f, int d)
{
	memset(p, 0, sizeof(*p));
	p->ts = f->last;
	p->flags = PKT_PSEUDO | PKT_HAS_PORTS | PKT_FLOW_EST | (f->key.ip_ver == 6 ? PKT_IPV6 : PKT_IPV4);
	p->ip_ver = f->key.ip_ver;
	p->proto = 6;
	memcpy(p->src, d ? f->key.dst : f->key.src, 16);
	memcpy(p->dst, d ? f->key.src : f->key.dst, 16);
	p->sp = d ? f->key.dp : f->key.sp;
	p->dp = d ? f->key.sp : f->key.dp;
	p->tcp_flags = TH_ACK;
	p->flow = f;
	p->dir = (uint8_t)d;
}

/* At the flow's end, one segment of what a direction held, on its
 * pseudo-packet p: inspected and logged as a wire packet's would have
 * been (Suricata inspects each transaction; a segment is vigil's
 * nearest unit). */
static void settle_segment(struct worker *w, struct packet *p)
{
	struct flow *f = p->flow;
	w->settle = NULL; /* (not again from within) */
	CNT_ADD(&w->cnt, APP_EVENTS, app_ev_count(&w->app.tx.events));
	bool keep_files = false;
	if (w->rules && w->dt) {
		run_detect(w, p, &w->app.tx);
		keep_files = w->dres.filestore;
	}
	if (w->eve)
		eve_app_records(&w->out, p, f, &w->app.tx, &w->ec);
	if (w->app.tx.nfiles) {
		files_settle(w, p, f, keep_files);
		if (w->eve)
			eve_file_records(&w->out, p, f, &w->app.tx, &w->ec);
	}
	app_tx_reset(&w->app);
	w->settle = p;
}

/* Direction d's bytes still held at the flow's end: delivered and
 * inspected on its flow-timeout pseudo-packet. */
static void flush_dir(struct worker *w, struct flow *f, int d)
{
	struct packet *p = &w->pseudo;
	struct reasm_dir *rd = f->stream[d];
	pseudo_packet(p, f, d);
	app_tx_reset(&w->app);
	w->settle = p;
	reasm_finish(&w->rc, rd, f, d);
	/* the sender had closed: its close is part of these bytes, as
	 * Suricata's end-of-stream is (an FTP data connection's file
	 * completes, a response delimited by the close ends) */
	if (rd->close_pending && w->app_on) {
		rd->close_pending = false;
		app_tcp_close(&w->app, f, d);
	}
	if (w->app_on && f->app)
		app_tcp_packet(&w->app, f, d); /* as for every packet */
	settle_segment(w, p); /* the last segment */
	w->settle = NULL;
}

/* A TCP flow's end, as Suricata's flow-timeout pseudo-packets: for each
 * direction, its bytes still held are parsed and inspected, then what
 * was held for its next packet (alerts, file records) is written, on a
 * pseudo-packet of it; the direction whose held bytes the peer
 * acknowledged first goes first (Suricata had parsed those already, on
 * the acknowledging packet), else the client's.  So an alert held for
 * the server's side shows the client's bytes parsed at the end (an SSH
 * banner, suricata-verify bug-4903-03). */
static void flow_end_tcp(struct worker *w, struct flow *f)
{
	bool live = !(f->flags & (FLOW_F_BYPASS | FLOW_F_DROP));
	bool held[2], acked[2];
	for (int d = 0; d < 2; d++) {
		const struct reasm_dir *rd = f->stream[d];
		held[d] = live && reasm_pending(rd);
		acked[d] = held[d] && f->peer[d ^ 1].ack_seen &&
			   (int32_t)(f->peer[d ^ 1].last_ack - rd->next_seq) > 0;
	}
	int first = acked[1] && !acked[0];
	for (int k = 0; k < 2; k++) {
		int d = first ^ k;
		if (held[d])
			flush_dir(w, f, d);
		const struct reasm_dir *rd = f->stream[d];
		if (rd && rd->alerts) {
			pseudo_packet(&w->pseudo, f, d);
			held_write(w, f, &w->pseudo);
		}
	}
}

static void on_flow_end(void *ud, struct flow *f)
{
	struct worker *w = ud;
	/* what the last packet (of any flow) parsed is logged: nothing here
	 * may see its transactions or file slots as this flow's */
	app_tx_reset(&w->app);
	if (f->key.proto == 6)
		flow_end_tcp(w, f);
	for (int d = 0; d < 2 && f->key.proto == 6; d++)
		held_free(f->stream[d]);
	stream_flow_end(&w->rc, f); /* may complete a response delimited by the close */
	files_settle(w, NULL, f, false);
	/* what the protocols never wrote for it; not for a dropped flow, whose
	 * later packets were never parsed (Suricata never completes, so never
	 * logs, its open transactions) */
	if (w->eve && !(f->flags & FLOW_F_DROP)) {
		/* a TCP flow's: on its flow-timeout pseudo-packet, as Suricata
		 * logs the transactions still open at a TCP flow's end (pkt_src
		 * "stream (flow timeout)"); a UDP flow's have no packet */
		const struct packet *ep = NULL;
		if (f->key.proto == 6 && f->app) {
			pseudo_packet(&w->pseudo, f, 0);
			ep = &w->pseudo;
		}
		eve_app_records(&w->out, ep, f, NULL, &w->ec);
	}
	app_flow_free_ctx(&w->app, f);
	/* beacons: connections that were answered (failed ones are not) */
	struct beacon_report br;
	bool answered = f->pkts[1] && (f->key.proto != 6 || f->tcp_state >= TCP_ESTABLISHED ||
				       f->state != FLOW_STATE_NEW);
	if (w->behave && answered && (f->key.proto == 6 || f->key.proto == 17) &&
	    behave_flow_end(w->behave, f->key.ip_ver, f->key.src, f->key.dst, f->key.dp, f->key.proto,
			    f->start / 1000, f->bytes[0] + f->bytes[1], &br)) {
		CNT_INC(&w->cnt, POLICY_EARLY_WARNINGS);
		char t0[32], t1[32];
		struct policy_alert *pa = pol_begin(w);
		if (pa) {
			policy_alert_beacon(pa, &br, vtime_format(VTIME_FROM_SEC(br.first), t0),
					    vtime_format(VTIME_FROM_SEC(br.last), t1));
			pol_emit(w, EVE_AT_FLOW, NULL, f, f->last);
		}
	}
	if ((f->key.proto == 6 || f->key.proto == 17) && f->payload_bytes[0] + f->payload_bytes[1] &&
	    f->alproto == ALPROTO_UNKNOWN)
		f->alproto = ALPROTO_FAILED;
	if (w->ec.flow && w->eve) {
		eve_flow_record(&w->out, f, &w->ec);
		if (w->out.len >= OUT_BATCH)
			worker_flush(w);
	}
	detect_flow_free(f); /* after the flow record, which may carry its entropy */
}

static void sessions_walk(void *arg, vtime_t now);

static void session_alert(struct worker *w, vtime_t now, const struct flow *f, const char *kind,
			  uint64_t secs, uint64_t threshold)
{
	char t0[32], t1[32];
	struct policy_alert *pa = pol_begin(w);
	if (pa) {
		policy_alert_session(pa, kind, secs, threshold, vtime_format(f->start, t0),
				     vtime_format(f->last, t1));
		pol_emit(w, EVE_AT_FLOW, NULL, f, now);
	}
}
static void expire_tick(void *arg, vtime_t now);

void worker_exception_policies(struct worker *w)
{
	for (int t = 0; t < XP_TARGET_MAX; t++) {
		w->ec.xp[t] = (uint8_t)config_xp(w->cfg, (enum xp_target)t, w->ips);
		/* the counters of the policies a target can apply, none for
		 * a target left at ignore (as Suricata registers them) */
		bool flowless = t == XP_FLOW_MEMCAP || t == XP_DEFRAG_MEMCAP;
		for (int pol = XP_DROP_PACKET; pol <= XP_REJECT; pol++) {
			bool flow_pol = pol == XP_DROP_FLOW || pol == XP_PASS_FLOW || pol == XP_BYPASS;
			bool pkt_pol = pol == XP_DROP_PACKET || pol == XP_PASS_PACKET;
			bool hide = w->ec.xp[t] == XP_IGNORE || (flowless && flow_pol) ||
				    (t == XP_MIDSTREAM && pkt_pol);
			counter_hide(XP_CNT(t, pol), hide);
		}
	}
}

int worker_init(struct worker *w, const struct config *cfg, unsigned id, unsigned nworkers,
		struct sink *eve, struct verr *e)
{
	memset(w, 0, sizeof(*w));
	w->id = id;
	w->eve = eve;
	eve_cfg_from(&w->ec, cfg);
	w->ec.scratch = &w->scratch;
	w->ips = cfg->simulate_ips;
	w->prealloc_blocks = cfg->alloc_prealloc_blocks;
	w->cfg = cfg;
	for (size_t i = 0; i < cfg->policy_long_session.cnt && w->nlong < ARRAY_SIZE(w->long_grades); i++) {
		char *end;
		unsigned long long v = strtoull(cfg->policy_long_session.v[i], &end, 10);
		if (v && !*end && (!w->nlong || v > w->long_grades[w->nlong - 1]))
			w->long_grades[w->nlong++] = v;
	}
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
	w->rc.ack_gated = cfg->stream_inline == STREAM_INLINE_NO ||
			  (cfg->stream_inline == STREAM_INLINE_AUTO && !cfg->simulate_ips);
	struct app_cfg ac = { (uint32_t)MIN(cfg->http_req_body_limit, UINT32_MAX / 2),
			      (uint32_t)MIN(cfg->http_resp_body_limit, UINT32_MAX / 2),
			      cfg->app_memcap / nworkers, cfg->http_decompress_layers == 0,
			      (uint8_t)MIN(cfg->http_decompress_layers, 16u),
			      cfg->ftp_memcap / nworkers };
	http_time_limit_config((uint32_t)MIN(cfg->http_decompress_time, (uint64_t)INT32_MAX));
	app_ctx_init(&w->app, &ac, &w->cnt);
	uint64_t sim_at[2] = { 0, 0 };
	for (int d = 0; d < 2; d++) {
		/* testing: simulate.applayer-error-at-offset-ts/tc */
		const char *s = d ? cfg->sim_app_error_tc : cfg->sim_app_error_ts;
		char *end;
		unsigned long long off = s && *s ? strtoull(s, &end, 10) : 0;
		if (s && *s && !*end && off < UINT64_MAX)
			sim_at[d] = off + 1;
	}
	app_sim_errors(&w->app, sim_at);
	/* what fileinfo records carry for every file (rules add theirs) */
	for (size_t i = 0; i < cfg->eve_files_hash.cnt; i++) {
		const char *h = cfg->eve_files_hash.v[i];
		file_want(!strcmp(h, "md5") ? FILE_WANT_MD5 : !strcmp(h, "sha1") ? FILE_WANT_SHA1
											: FILE_WANT_SHA256);
	}
	if (cfg->eve_files_magic)
		file_want(FILE_WANT_MAGIC);
	smtp_md5_config(cfg->smtp_body_md5);
	mqtt_config(cfg->mqtt_max_msg_length, cfg->eve_mqtt_passwords);
	ftp_config((uint32_t)MIN(cfg->ftp_max_tx, UINT32_MAX));
	ldap_config((uint32_t)MIN(cfg->ldap_max_tx, UINT32_MAX));
	ws_config(cfg->websocket_max_payload_size);
	h2_config(cfg->http2_enabled);
	smtp_url_config(cfg->smtp_urls, (const char *const *)cfg->smtp_url_schemes.v,
			cfg->smtp_url_schemes.cnt, cfg->smtp_url_scheme_logged);
	w->app_on = cfg->app_enabled;
	worker_exception_policies(w);
	timers_add(&w->timers, "expire", VTIME_FROM_SEC(1), expire_tick, w);
	if (w->nlong || cfg->policy_idle_session)
		timers_add(&w->timers, "sessions",
			   VTIME_FROM_SEC(cfg->policy_session_check ? cfg->policy_session_check : 10),
			   sessions_walk, w);
	return 0;
}

void worker_flush(struct worker *w)
{
	if (w->out.len && w->eve && !w->out.oom)
		sink_write(w->eve, w->out.buf, w->out.len);
	jb_reset(&w->out);
	if (w->fastbuf.len && w->fast && !w->fastbuf.oom)
		sink_write(w->fast, w->fastbuf.buf, w->fastbuf.len);
	jb_reset(&w->fastbuf);
}

int worker_set_rules(struct worker *w, struct rules_state *rs, struct sink *fast)
{
	w->rules = rs;
	w->fast = fast;
	atomic_store(&w->seen_gen, atomic_load(&rs->gen) - 1);
	worker_check_rules(w);
	return w->de && !w->dt ? V_ENOMEM : 0;
}

struct query_walk {
	struct worker *w;
	struct flow_query *q;
	const struct vm *vm;
};

static void query_flow(struct flow *f, void *ctx)
{
	struct query_walk *qw = ctx;
	struct flow_query *q = qw->q;
	const struct flow_key *k = &f->key;
	if (q->flow_id && f->flow_id != q->flow_id)
		return;
	if (q->port && k->sp != q->port && k->dp != q->port)
		return;
	if (q->ip_ver && (k->ip_ver != q->ip_ver ||
			  (memcmp(k->src, q->ip, q->ip_ver == 4 ? 4 : 16) &&
			   memcmp(k->dst, q->ip, q->ip_ver == 4 ? 4 : 16))))
		return;
	if (*q->vm) {
		const struct identity *idm = qw->w->ec.idm;
		if (!qw->vm || (identity_by_addr(idm, k->ip_ver, k->src) != qw->vm &&
				identity_by_addr(idm, k->ip_ver, k->dst) != qw->vm))
			return;
	}
	q->matched[qw->w->id]++;
	if (q->matched[qw->w->id] <= q->limit)
		eve_flow_record(&q->out[qw->w->id], f, &qw->w->ec);
}

void worker_answer(struct worker *w)
{
	struct flow_query *q = atomic_exchange(&w->query, NULL);
	if (!q)
		return;
	if (w->id < WQ_MAX_WORKERS) {
		struct query_walk qw = { w, q, *q->vm ? identity_by_name(w->ec.idm, q->vm) : NULL };
		if (!*q->vm || qw.vm)
			flow_table_walk(w->ft, query_flow, &qw);
		atomic_store_explicit(&q->done[w->id], true, memory_order_release);
	}
}

void worker_check_rules(struct worker *w)
{
	if (atomic_load_explicit(&w->query, memory_order_relaxed))
		worker_answer(w);
	if (!w->rules)
		return;
	unsigned g = atomic_load_explicit(&w->rules->gen, memory_order_acquire);
	if (g == atomic_load_explicit(&w->seen_gen, memory_order_relaxed))
		return;
	struct detect_engine *de = atomic_load(&w->rules->cur);
	struct detect_thread *dt = de ? detect_thread_new(de) : NULL;
	if (de && !dt) {
		log_err("worker %u: out of memory for the new rules; keeping the old ones", w->id);
		return;
	}
	detect_thread_free(w->dt);
	w->dt = dt;
	w->de = de;
	w->ec.idm = atomic_load(&w->rules->idm);
	w->bl = atomic_load(&w->rules->bl);
	w->cnt.v[CNT_DETECT_RULES] = detect_engine_rule_count(de);
	atomic_store_explicit(&w->seen_gen, g, memory_order_release);
}

/* ---- policy: blocklists ---- */

/* How a refused DNS question is dropped: answered (policy.dns-refuse) when
 * it is a UDP question to port 53, else dropped. */
static int dns_refusal(const struct worker *w, const struct packet *p)
{
	return p->proto == 17 && (p->flags & PKT_HAS_PORTS) && p->dp == 53 &&
			       w->cfg->policy_dns_refuse != 2
		       ? WV_DNS_REFUSE
		       : WV_DROP;
}

/* How a flow the allowlists or the kill switch refuse is stopped. */
static int refusal(const struct worker *w)
{
	return w->cfg->policy_violation_action == 1 ? WV_REJECT : WV_DROP;
}

/* Inline (or --simulate-ips), a policy block: counted, the rest of flow f
 * dropped when whole_flow (unless a pass rule let the flow through), and
 * the packet's verdict v. */
static void policy_block(struct worker *w, struct flow *f, bool whole_flow, int v, int *verdict)
{
	CNT_INC(&w->cnt, IPS_BLOCKED);
	if (f && whole_flow && !(f->flags & FLOW_F_PASS))
		f->flags |= FLOW_F_DROP;
	*verdict = v;
}

static void policy_hit(struct worker *w, struct packet *p, const char *field, const char *value,
		       const struct bl_hit *h, int *verdict)
{
	struct flow *f = p->flow;
	bool drop = w->ips && (blocklists_drop(w->bl) || h->drop);
	CNT_INC(&w->cnt, POLICY_BLOCKLIST_HITS);
	if (f)
		f->flags |= FLOW_F_ALERTED;
	if (drop)
		policy_block(w, f, true, strcmp(field, "dns.query") ? WV_DROP : dns_refusal(w, p),
			     verdict);
	struct policy_alert *pa = pol_begin(w);
	if (pa) {
		policy_alert_blocklist(pa, field, value, h, drop);
		pol_emit(w, EVE_AT_ALERT, p, NULL, 0);
	}
}

/* A new flow's addresses, and the names and addresses this packet's app
 * layer produced, against the blocklists. */
static void policy_check(struct worker *w, struct packet *p, int *verdict)
{
	struct flow *f = p->flow;
	struct bl_hit h;
	char a[64];
	if (f && f->pkts[0] + f->pkts[1] == 1 && p->ip_ver) {
		if (blocklists_addr(w->bl, p->ip_ver, p->dst, &h)) {
			inet_ntop(p->ip_ver == 4 ? AF_INET : AF_INET6, p->dst, a, sizeof(a));
			policy_hit(w, p, "dest_ip", a, &h, verdict);
		} else if (blocklists_addr(w->bl, p->ip_ver, p->src, &h)) {
			inet_ntop(p->ip_ver == 4 ? AF_INET : AF_INET6, p->src, a, sizeof(a));
			policy_hit(w, p, "src_ip", a, &h, verdict);
		}
	}
	for (unsigned i = 0; i < w->app.tx.ndns; i++) {
		const struct dns_msg *m = &w->app.tx.dns[i];
		bool hit = false;
		/* a query's names; a response's answers (its question was
		 * the query's) */
		for (unsigned q = 0; q < m->nq && !hit && !m->response; q++)
			if ((hit = blocklists_name(w->bl, m->q[q].name, m->q[q].name_len, &h)))
				policy_hit(w, p, "dns.query", m->q[q].name, &h, verdict);
		for (unsigned k = 0; k < m->nans && !hit; k++) {
			const struct dns_rr *rr = &m->a[k];
			uint8_t ad[16] = { 0 };
			/* names the question did not already ask: CNAME
			 * targets, and owners further down a chain */
			bool asked = m->nq && !strcmp(rr->name, m->q[0].name);
			if (!asked && (hit = blocklists_name(w->bl, rr->name, rr->name_len, &h))) {
				policy_hit(w, p, "dns.answer.name", rr->name, &h, verdict);
			} else if (rr->type == 5 &&
				   (hit = blocklists_name(w->bl, rr->data, rr->data_len, &h))) {
				policy_hit(w, p, "dns.answer.cname", rr->data, &h, verdict);
			} else if ((rr->type == 1 && inet_pton(AF_INET, rr->data, ad) == 1 &&
				    (hit = blocklists_addr(w->bl, 4, ad, &h))) ||
				   (rr->type == 28 && inet_pton(AF_INET6, rr->data, ad) == 1 &&
				    (hit = blocklists_addr(w->bl, 6, ad, &h)))) {
				policy_hit(w, p, "dns.answer.address", rr->data, &h, verdict);
			}
		}
	}
	const struct tls_info *t = w->app.tx.tls;
	if (t && (w->app.tx.tls_new & TLS_ST_CLIENT_HELLO) && t->sni_len &&
	    blocklists_name(w->bl, t->sni, t->sni_len, &h))
		policy_hit(w, p, "tls.sni", t->sni, &h, verdict);
	const struct http_msg *rq = w->app.tx.http_req;
	if (rq && (w->app.tx.http_fresh & HTTP_P_REQ_HEAD) && rq->host_len && blocklists_name(w->bl, rq->host, rq->host_len, &h))
		policy_hit(w, p, "http.host", rq->host, &h, verdict);
}

/* ---- early warning: long and idle sessions, DNS labels ---- */

struct session_walk {
	struct worker *w;
	vtime_t now;
};

static void session_check(struct flow *f, void *ctx)
{
	struct session_walk *sw = ctx;
	struct worker *w = sw->w;
	uint64_t age = f->last > f->start ? VTIME_SEC(sw->now - f->start) : VTIME_SEC(sw->now - f->start);
	unsigned grade = f->ew & 0x0f;
	if (f->state != FLOW_STATE_CLOSED && grade < w->nlong && age >= w->long_grades[grade]) {
		/* the highest grade passed, once (a capture may jump several) */
		while (grade < w->nlong && age >= w->long_grades[grade])
			grade++;
		f->ew = (uint8_t)((f->ew & 0xf0) | grade);
		CNT_INC(&w->cnt, POLICY_EARLY_WARNINGS);
		session_alert(w, sw->now, f, "long_session", age, w->long_grades[grade - 1]);
	}
	uint64_t idle = w->cfg->policy_idle_session;
	if (idle && !(f->ew & 0x80) && f->key.proto == 6 && f->tcp_state == TCP_ESTABLISHED &&
	    sw->now > f->last && VTIME_SEC(sw->now - f->last) >= idle) {
		f->ew |= 0x80;
		CNT_INC(&w->cnt, POLICY_EARLY_WARNINGS);
		session_alert(w, sw->now, f, "idle_session", VTIME_SEC(sw->now - f->last), idle);
	}
}

/* The session walk (timer: every policy.session-check-interval). */
static void sessions_walk(void *arg, vtime_t now)
{
	struct worker *w = arg;
	struct session_walk sw = { w, now };
	flow_table_walk(w->ft, session_check, &sw);
}

static uint64_t memcap_pct(const struct memcap *m)
{
	return m && m->cap ? MIN(100u, m->used * 100 / m->cap) : 0;
}

/* memcap.pressure (Suricata 8's): how full the fullest of this worker's
 * memcaps is, in percent, and the highest seen. */
static void memcap_pressure(struct worker *w)
{
	uint64_t p = memcap_pct(w->ft ? flow_table_memcap(w->ft) : NULL);
	p = MAX(p, memcap_pct(&w->rc.mc));
	p = MAX(p, memcap_pct(&w->app.mc));
	p = MAX(p, memcap_pct(&w->app.ftp_mc));
	w->cnt.v[CNT_MEMCAP_PRESSURE] = p;
	w->cnt.v[CNT_MEMCAP_PRESSURE_MAX] = MAX(w->cnt.v[CNT_MEMCAP_PRESSURE_MAX], p);
}

/* Flow and fragment expiry, memcap pressure (timer: every second). */
static void expire_tick(void *arg, vtime_t now)
{
	struct worker *w = arg;
	flow_table_expire(w->ft, now);
	decode_expire(&w->dec, now);
	memcap_pressure(w);
}

/* Shannon entropy of s (n bytes) in tenths of a bit per character. */
static unsigned entropy_x10(const char *s, size_t n)
{
	unsigned cnt[256] = { 0 };
	for (size_t i = 0; i < n; i++)
		cnt[(unsigned char)s[i]]++;
	double h = 0;
	for (int c = 0; c < 256; c++)
		if (cnt[c]) {
			double q = (double)cnt[c] / (double)n;
			h -= q * log2(q);
		}
	return (unsigned)(h * 10 + 0.5);
}

/* Unique subdomains asked by one source, NXDOMAIN names answered to one
 * client, within policy.dns-window. */
static void dns_counts(struct worker *w, struct packet *p)
{
	const struct config *c = w->cfg;
	uint32_t now = (uint32_t)VTIME_SEC(p->ts), cnt = 0;
	uint32_t win = (uint32_t)(c->policy_dns_window ? c->policy_dns_window : 60);
	for (unsigned i = 0; i < w->app.tx.ndns; i++) {
		const struct dns_msg *m = &w->app.tx.dns[i];
		if (!m->nq || !p->ip_ver)
			continue;
		const char *q = m->q[0].name;
		uint64_t item = hash_bytes(q, strlen(q), 1);
		size_t al = p->ip_ver == 4 ? 4 : 16;
		if (!m->response && c->policy_dns_subdomains) {
			const char *dom = name_registrable(q);
			uint8_t key[16 + 256];
			memcpy(key, p->src, al);
			size_t dl = strlen(dom) < 255 ? strlen(dom) : 255;
			memcpy(key + al, dom, dl);
			if (dom != q && behave_distinct(w->behave, key, al + dl, item, now, win,
							(uint32_t)c->policy_dns_subdomains, &cnt)) {
				CNT_INC(&w->cnt, POLICY_EARLY_WARNINGS);
				struct policy_alert *pa = pol_begin(w);
				if (pa) {
					policy_alert_dns_count(pa, false, dom, cnt, win,
							       (uint32_t)c->policy_dns_subdomains);
					pol_emit(w, EVE_AT_PACKET, p, NULL, 0);
				}
			}
		}
		if (m->response && m->rcode == 3 && c->policy_dns_nxdomain) {
			uint8_t key[17] = { 'N' };
			memcpy(key + 1, p->dst, al); /* the client */
			if (behave_distinct(w->behave, key, 1 + al, item, now, win,
					    (uint32_t)c->policy_dns_nxdomain, &cnt)) {
				CNT_INC(&w->cnt, POLICY_EARLY_WARNINGS);
				struct policy_alert *pa = pol_begin(w);
				if (pa) {
					policy_alert_dns_count(pa, true, "", cnt, win,
							       (uint32_t)c->policy_dns_nxdomain);
					pol_emit(w, EVE_AT_PACKET, p, NULL, 0);
				}
			}
		}
	}
}

static void dns_anomalies(struct worker *w, struct packet *p)
{
	if (w->behave)
		dns_counts(w, p);
	unsigned maxlen = (unsigned)w->cfg->policy_dns_label_max, ent = (unsigned)w->cfg->policy_dns_entropy;
	if (!maxlen && !ent)
		return;
	for (unsigned i = 0; i < w->app.tx.ndns; i++) {
		const struct dns_msg *m = &w->app.tx.dns[i];
		if (m->response || !m->nq)
			continue;
		const char *q = m->q[0].name;
		/* the longest label of the question */
		const char *best = q;
		size_t bestn = 0;
		for (const char *s = q; *s;) {
			size_t n = strcspn(s, ".");
			if (n > bestn) {
				best = s;
				bestn = n;
			}
			s += n + (s[n] == '.');
		}
		char label[64];
		snprintf(label, sizeof(label), "%.*s", (int)(bestn < 63 ? bestn : 63), best);
		unsigned e = bestn ? entropy_x10(best, bestn) : 0;
		const char *why = NULL;
		if (maxlen && bestn > maxlen)
			why = "long label";
		else if (ent && bestn >= 20 && e >= ent)
			why = "random-looking label";
		if (!why)
			continue;
		CNT_INC(&w->cnt, POLICY_EARLY_WARNINGS);
		struct policy_alert *pa = pol_begin(w);
		if (pa) {
			policy_alert_dns_label(pa, q, label, (unsigned)bestn, e, why);
			pol_emit(w, EVE_AT_PACKET, p, NULL, 0);
		}
	}
}

/* ---- policy: per-VM allowlists ---- */

enum { POL_UNCHECKED, POL_NET, POL_NAME, POL_DEFAULT, POL_RESOLVER, POL_VIOLATION, POL_NONE,
       POL_SPOOFED };

static void allow_violation(struct worker *w, struct packet *p, const struct vm *vm,
			    const char *field, const char *value, const char *name,
			    const char *rule, bool whole_flow, int *verdict)
{
	struct flow *f = p->flow;
	bool drop = w->ips;
	CNT_INC(&w->cnt, POLICY_VIOLATIONS);
	if (f) {
		f->flags |= FLOW_F_ALERTED;
		if (whole_flow)
			f->policy = POL_VIOLATION;
	}
	if (drop)
		policy_block(w, f, whole_flow,
			     strcmp(field, "dns.query") ? refusal(w) : dns_refusal(w, p), verdict);
	struct policy_alert *pa = pol_begin(w);
	if (pa) {
		policy_alert_allowlist(pa, vm->name, field, value, name, rule, drop);
		pol_emit(w, EVE_AT_ALERT, p, NULL, 0);
	}
}

static bool is_resolver(const struct config *cfg, uint8_t ver, const uint8_t *a)
{
	char s[64];
	inet_ntop(ver == 4 ? AF_INET : AF_INET6, a, s, sizeof(s));
	for (size_t i = 0; i < cfg->policy_resolvers.cnt; i++)
		if (!strcmp(cfg->policy_resolvers.v[i], s))
			return true;
	return false;
}

/* The name of input interface idx: cached, the kernel asked on a miss. */
static const char *ifname_of(struct worker *w, uint32_t idx)
{
	unsigned slot = idx % ARRAY_SIZE(w->ifcache);
	if (w->ifcache[slot].index != idx) {
		char buf[IF_NAMESIZE];
		if (!if_indextoname(idx, buf))
			return NULL;
		w->ifcache[slot].index = idx;
		str_lcpy(w->ifcache[slot].name, buf, sizeof(w->ifcache[slot].name));
	}
	return w->ifcache[slot].name;
}

/* Whether a (ver 4 or 6) is link-local, unspecified, multicast or
 * broadcast: what DHCP and neighbour discovery use. */
static bool addr_is_local_use(uint8_t ver, const uint8_t *a)
{
	static const uint8_t zero[16];
	if (ver == 4)
		return (a[0] == 169 && a[1] == 254) || !memcmp(a, zero, 4) || a[0] >= 224;
	return (a[0] == 0xfe && (a[1] & 0xc0) == 0x80) || !memcmp(a, zero, 16) || a[0] == 0xff;
}

/* Inline, a packet that came in on a VM's own interface (identity:
 * interfaces) must carry one of that VM's addresses: every packet is
 * checked (the interface's name is cached).  Link-local and unspecified
 * sources are let through only to link-local, multicast or broadcast
 * destinations (DHCP, neighbour discovery).  True when it does not:
 * the packet is dropped inline, and the flow with it if the packet made
 * it; reported once per flow. */
static bool spoofed(struct worker *w, struct packet *p, const struct identity *idm, int *verdict)
{
	struct flow *f = p->flow;
	if (!p->ifindex || !identity_has_ifaces(idm))
		return false;
	const char *ifn = ifname_of(w, p->ifindex);
	const struct vm *ivm = ifn ? identity_by_iface(idm, ifn) : NULL;
	if (!ivm)
		return false;
	const struct vm *svm = identity_by_addr(idm, p->ip_ver, p->src);
	if (svm == ivm)
		return false;
	if (!svm && addr_is_local_use(p->ip_ver, p->src) && addr_is_local_use(p->ip_ver, p->dst))
		return false;
	char as[64];
	inet_ntop(p->ip_ver == 4 ? AF_INET : AF_INET6, p->src, as, sizeof(as));
	bool first = !(f->ew & 0x40); /* reported once per flow */
	f->ew |= 0x40;
	if (first) {
		f->flags |= FLOW_F_ALERTED;
		CNT_INC(&w->cnt, POLICY_VIOLATIONS);
	}
	if (f->pkts[0] + f->pkts[1] == 1)
		f->policy = POL_SPOOFED; /* the packet made the flow: all of it is */
	if (w->ips)
		policy_block(w, f, f->policy == POL_SPOOFED, WV_DROP, verdict);
	struct policy_alert *pa = first ? pol_begin(w) : NULL;
	if (pa) {
		policy_alert_spoofed(pa, ivm->name, ifn, as, svm ? svm->name : NULL, w->ips);
		pol_emit(w, EVE_AT_PACKET, p, NULL, 0);
	}
	return true;
}

/* A VM's new flow against what vigil learned about it: new destinations,
 * unexpected hours, learn-mode records.  DNS itself is left out (the
 * resolvers are every VM's plumbing), as are multicast and broadcast. */
static void learned_check(struct worker *w, const struct packet *p, const struct vm *vm,
			  const uint8_t *cdst, uint16_t cdp, uint32_t now)
{
	bool ports = p->flags & PKT_HAS_PORTS;
	if (ports && (cdp == 53 || cdp == 853 || cdp == 5353 || cdp == 67 || cdp == 68))
		return;
	if ((p->ip_ver == 4 && cdst[0] >= 224) ||
	    (p->ip_ver == 6 && cdst[0] == 0xff))
		return;
	char name[128] = "", a[64];
	bool named = resolved_lookup(w->resolved, vm->id, p->ip_ver, cdst, now, name, sizeof(name));
	struct contact c = {
		.vm = vm->name,
		.name = named ? name : NULL,
		.ver = p->ip_ver,
		.addr = cdst,
		.proto = p->proto,
		.port = ports ? cdp : 0,
		.now = now,
		.learn = vm->learn || w->cfg->policy_learn_all,
		.quiet = vm->has_quiet ? vm->quiet : NULL,
	};
	struct contact_report r;
	if (!learned_contact(w->learned, &c, &r))
		return;
	CNT_ADD(&w->cnt, POLICY_EARLY_WARNINGS, (uint64_t)(!!r.newdest + !!r.odd));
	inet_ntop(p->ip_ver == 4 ? AF_INET : AF_INET6, cdst, a, sizeof(a));
	struct policy_alert *pa;
	if (r.newdest && (pa = pol_begin(w))) {
		policy_alert_new_destination(pa, vm->name, &r, c.name, a);
		pol_emit(w, EVE_AT_PACKET, p, NULL, 0);
	}
	if (r.odd && (pa = pol_begin(w))) {
		policy_alert_unexpected_time(pa, vm->name, &r, a, (uint32_t)w->cfg->policy_hours_learn,
					     (uint32_t)w->cfg->policy_hours_min);
		pol_emit(w, EVE_AT_PACKET, p, NULL, 0);
	}
}

/* Learns the client VM's DNS answers; decides a VM's new flows; polices
 * its DNS questions, TLS server names and HTTP Hosts. */
static void allow_check(struct worker *w, struct packet *p, int *verdict)
{
	struct flow *f = p->flow;
	const struct identity *idm = w->ec.idm;
	if (!idm || !identity_count(idm) || !p->ip_ver)
		return;
	uint32_t now = (uint32_t)VTIME_SEC(p->ts);
	char a[64], name[128];
	/* answers to a VM: what it may now reach by name */
	for (unsigned i = 0; i < w->app.tx.ndns; i++) {
		const struct dns_msg *m = &w->app.tx.dns[i];
		const struct vm *client = m->response ? identity_by_addr(idm, p->ip_ver, p->dst) : NULL;
		for (unsigned k = 0; client && m->nq && k < m->nans; k++) {
			const struct dns_rr *rr = &m->a[k];
			uint8_t ad[16] = { 0 };
			if ((rr->type == 1 && inet_pton(AF_INET, rr->data, ad) == 1) ||
			    (rr->type == 28 && inet_pton(AF_INET6, rr->data, ad) == 1))
				resolved_learn(w->resolved, client->id, rr->type == 1 ? 4 : 6, ad,
					       m->q[0].name, now + rr->ttl + (uint32_t)w->cfg->policy_dns_grace);
		}
	}
	if (!f)
		return;
	/* the VM that started the flow (its client side) */
	const uint8_t *csrc = p->dir == 0 ? p->src : p->dst, *cdst = p->dir == 0 ? p->dst : p->src;
	uint16_t cdp = p->dir == 0 ? p->dp : p->sp;
	if (spoofed(w, p, idm, verdict))
		return;
	const struct vm *vm = identity_by_addr(idm, p->ip_ver, csrc);
	if (vm && !vm->nvpn && w->cfg->policy_no_dns && f->pkts[0] + f->pkts[1] == 1 &&
	    (p->flags & PKT_HAS_PORTS) &&
	    cdp != 53 && cdp != 853 && !addr_is_reserved(p->ip_ver, cdst) &&
	    !identity_by_addr(idm, p->ip_ver, cdst) &&
	    !resolved_lookup(w->resolved, vm->id, p->ip_ver, cdst, now, NULL, 0)) {
		/* once per VM and destination network per period */
		uint8_t key[26] = { p->ip_ver };
		memcpy(key + 1, &vm->id, 8);
		memcpy(key + 9, cdst, p->ip_ver == 4 ? 3 : 8);
		if (behave_once(w->behave, key, sizeof(key), now, (uint32_t)w->cfg->policy_beacon_repeat)) {
			inet_ntop(p->ip_ver == 4 ? AF_INET : AF_INET6, cdst, a, sizeof(a));
			CNT_INC(&w->cnt, POLICY_EARLY_WARNINGS);
			struct policy_alert *pa = pol_begin(w);
			if (pa) {
				policy_alert_no_dns(pa, vm->name, a);
				pol_emit(w, EVE_AT_PACKET, p, NULL, 0);
			}
		}
	}
	if (vm && w->learned && p->dir == 0 && f->pkts[0] + f->pkts[1] == 1)
		learned_check(w, p, vm, cdst, cdp, now);
	if (vm && vm->nvpn && f->policy == POL_UNCHECKED) {
		/* a VPN-only VM: its endpoints, and nothing else (a kill switch) */
		uint8_t proto = p->proto == 6 || p->proto == 17 ? p->proto : 0;
		bool has_ports = p->flags & PKT_HAS_PORTS;
		if (vm_vpn_allows(vm, p->ip_ver, cdst, proto, has_ports ? cdp : 0)) {
			f->policy = POL_NET;
			return;
		}
		const char *leak = "direct", *value = a;
		inet_ntop(p->ip_ver == 4 ? AF_INET : AF_INET6, cdst, a, sizeof(a));
		if (has_ports && (cdp == 53 || cdp == 853 || cdp == 5353)) {
			leak = "dns";
			for (unsigned i = 0; i < w->app.tx.ndns; i++) {
				const struct dns_msg *m = &w->app.tx.dns[i];
				for (unsigned q = 0; !m->response && q < m->nq; q++) {
					size_t n = strlen(m->q[q].name);
					if ((n > 13 && !strcasecmp(m->q[q].name + n - 13, ".in-addr.arpa")) ||
					    (n > 9 && !strcasecmp(m->q[q].name + n - 9, ".ip6.arpa"))) {
						leak = "reverse-dns";
						value = m->q[q].name;
					}
				}
			}
		} else if (p->ip_ver == 6) {
			leak = "ipv6";
		}
		f->policy = POL_VIOLATION;
		f->flags |= FLOW_F_ALERTED;
		CNT_INC(&w->cnt, POLICY_VIOLATIONS);
		if (w->ips)
			policy_block(w, f, true, refusal(w), verdict);
		struct policy_alert *pa = pol_begin(w);
		if (pa) {
			policy_alert_vpn_leak(pa, vm->name, leak, value, w->ips);
			pol_emit(w, EVE_AT_PACKET, p, NULL, 0);
		}
		return;
	}
	if (vm && vm->nvpn)
		return; /* a VPN flow already decided */
	if (!vm || vm->policy == VM_NO_POLICY || vm->learn || w->cfg->policy_learn_all) {
		/* no policy, or learn mode: recorded (learned_check), not enforced */
		f->policy = POL_NONE;
		return;
	}
	if (f->policy == POL_UNCHECKED) {
		uint8_t proto = p->proto == 6 || p->proto == 17 ? p->proto : 0;
		bool has_ports = p->flags & PKT_HAS_PORTS;
		inet_ntop(p->ip_ver == 4 ? AF_INET : AF_INET6, cdst, a, sizeof(a));
		if (has_ports && (cdp == 53 || (proto == 6 && cdp == 853)) &&
		    w->cfg->policy_resolvers.cnt) {
			/* DNS goes to the configured resolvers only (DoT too) */
			if (is_resolver(w->cfg, p->ip_ver, cdst)) {
				f->policy = POL_RESOLVER;
			} else {
				allow_violation(w, p, vm, "dest_ip", a, NULL,
						"DNS to a resolver other than policy.resolvers", true,
						verdict);
				return;
			}
		} else {
			bool named = resolved_lookup(w->resolved, vm->id, p->ip_ver, cdst, now, name,
						     sizeof(name));
			char dbuf[160], why[224];
			if (w->cfg->policy_resolvers.cnt && has_ports && cdp == 443 &&
			    identity_doh(idm, p->ip_ver, cdst, named ? name : NULL, dbuf, sizeof(dbuf))) {
				/* DNS over HTTPS goes past the resolvers too */
				snprintf(why, sizeof(why),
					 "DNS over HTTPS (%s), a resolver other than policy.resolvers", dbuf);
				allow_violation(w, p, vm, "dest_ip", a, named ? name : NULL, why, true,
						verdict);
				return;
			}
			const struct vm_rule *r = vm_rule_match(vm, named ? name : NULL, p->ip_ver, cdst,
								proto, has_ports ? cdp : 0);
			if (r && r->deny) {
				allow_violation(w, p, vm, "dest_ip", a, named ? name : NULL, r->text, true,
						verdict);
				return;
			}
			if (r)
				f->policy = r->kind == VR_NET ? POL_NET : POL_NAME;
			else if (vm->policy == VM_DEFAULT_ALLOW)
				f->policy = POL_DEFAULT;
			else {
				allow_violation(w, p, vm, "dest_ip", a, named ? name : NULL, "default deny",
						true, verdict);
				return;
			}
		}
	}
	if (f->policy == POL_VIOLATION)
		return;
	/* DNS questions from the VM: names it may not reach are not asked */
	for (unsigned i = 0; p->dir == 0 && i < w->app.tx.ndns; i++) {
		const struct dns_msg *m = &w->app.tx.dns[i];
		const struct vm_rule *deny;
		for (unsigned q = 0; !m->response && q < m->nq; q++)
			if (!vm_name_allowed(vm, m->q[q].name, &deny)) {
				allow_violation(w, p, vm, "dns.query", m->q[q].name, NULL,
						deny ? deny->text : "default deny", false, verdict);
				break;
			}
	}
	/* the name the client says it wants, where a flow was let through by
	 * the name it was resolved from (a shared address is not a licence
	 * for another site behind it) */
	const char *said = NULL, *field = NULL;
	const struct tls_info *t = w->app.tx.tls;
	if (t && (w->app.tx.tls_new & TLS_ST_CLIENT_HELLO) && t->sni_len) {
		said = t->sni;
		field = "tls.sni";
	}
	const struct http_msg *rq = w->app.tx.http_req;
	if (!said && rq && (w->app.tx.http_fresh & HTTP_P_REQ_HEAD) && rq->host_len) {
		said = rq->host;
		field = "http.host";
	}
	char dbuf[160], why[224];
	if (said && field[0] == 't' && w->cfg->policy_resolvers.cnt &&
	    identity_doh(idm, 0, NULL, said, dbuf, sizeof(dbuf))) {
		snprintf(why, sizeof(why), "DNS over HTTPS (%s), a resolver other than policy.resolvers",
			 dbuf);
		allow_violation(w, p, vm, field, said, NULL, why, true, verdict);
		return;
	}
	if (said && field[0] == 'h') {
		/* a Host that is an address literal names no other site */
		char hb[64];
		uint8_t ab[16];
		str_lcpy(hb, said[0] == '[' ? said + 1 : said, sizeof(hb));
		char *end = strchr(hb, said[0] == '[' ? ']' : ':');
		const char *rest = end ? end + (said[0] == '[') : "";
		/* after the address: nothing, or ":port" */
		bool port_ok = !*rest || (*rest == ':' && rest[1] && strspn(rest + 1, "0123456789") == strlen(rest + 1));
		if (said[0] == '[' && !end)
			port_ok = false;
		if (end && port_ok)
			*end = 0;
		if (!port_ok)
			hb[0] = 0;
		if (inet_pton(AF_INET, hb, ab) == 1 || inet_pton(AF_INET6, hb, ab) == 1)
			said = NULL;
	}
	if (said && f->policy == POL_NAME) {
		const struct vm_rule *r = vm_rule_match(vm, said, 0, NULL, 6, cdp);
		if (!r || r->deny)
			allow_violation(w, p, vm, field, said, NULL, r ? r->text : "default deny", true,
					verdict);
	}
}

/* Suppressions (control socket): a suppressed alert is not written and
 * its drop or reject is not applied, as Suricata's suppress. */
static void suppress_alerts(struct worker *w, const struct packet *p, struct detect_result *res)
{
	const struct identity *idm = w->ec.idm;
	const struct vm *sv = identity_by_addr(idm, p->ip_ver, p->src);
	const struct vm *dv = identity_by_addr(idm, p->ip_ver, p->dst);
	unsigned k = 0;
	bool blocks = false, removed = false;
	for (unsigned i = 0; i < res->cnt; i++) {
		const struct detect_alert *a = &res->a[i];
		if (identity_suppressed(idm, a->gid, a->sid, sv, dv)) {
			CNT_INC(&w->cnt, DETECT_SUPPRESSED);
			removed = true;
			continue;
		}
		blocks |= a->action == DETECT_ACT_DROP || a->action == DETECT_ACT_REJECT;
		res->a[k++] = *a;
	}
	res->cnt = k;
	if (removed && !blocks && (res->verdict == VERDICT_DROP || res->verdict == VERDICT_REJECT)) {
		res->verdict = VERDICT_NONE;
		res->flow_drop = false;
	}
}

/* replace: the rules' bytes over the packet's payload, and its TCP or UDP
 * checksum made again, as Suricata does in IPS mode.  Only a packet whose
 * payload lies in the captured bytes as they came (not a defragmented or
 * tunnelled one, not cut short). */
static bool payload_replace(struct packet *p, const struct detect_result *res)
{
	if ((p->flags & (PKT_REBUILT | PKT_TUNNEL | PKT_PSEUDO | PKT_FRAGMENT)) ||
	    !(p->flags & PKT_HAS_PORTS) || (p->proto != 6 && p->proto != 17) ||
	    p->caplen < p->wirelen || !p->l4 || p->payload < p->data ||
	    p->payload + p->payload_len > p->data + p->caplen ||
	    p->l4 + p->l4_len > p->data + p->caplen || p->payload < p->l4)
		return false;
	/* the capture's buffer: the packet as it will be sent on */
	uint8_t *pl = (uint8_t *)(uintptr_t)p->payload;
	for (unsigned i = 0; i < res->nrepl; i++)
		memcpy(pl + res->repl[i].off, res->repl[i].bytes, res->repl[i].len);
	uint8_t *l4 = (uint8_t *)(uintptr_t)p->l4;
	unsigned at = p->proto == 6 ? 16 : 6;
	if (p->proto == 17 && p->ip_ver == 4 && !l4[6] && !l4[7])
		return true; /* an IPv4 UDP datagram without a checksum */
	l4[at] = l4[at + 1] = 0;
	uint16_t c = csum_fold(csum_add(csum_pseudo(p, p->proto, p->l4_len), l4, p->l4_len));
	if (p->proto == 17 && !c)
		c = 0xffff;
	l4[at] = (uint8_t)(c >> 8);
	l4[at + 1] = (uint8_t)c;
	return true;
}

static int run_detect(struct worker *w, struct packet *p, const struct app_tx *tx)
{
	struct flow *f = p->flow;
	struct detect_result *res = &w->dres;
	detect_packet(w->de, w->dt, p, tx, res);
	if (res->nrepl && w->ips && payload_replace(p, res)) {
		w->modified = true;
		CNT_INC(&w->cnt, IPS_REPLACED);
	}
	CNT_ADD(&w->cnt, DETECT_ALERT_QUEUE_OVERFLOW, res->overflow);
	if (res->nolog_tx)
		app_tx_nolog(&w->app, f);
	if (res->cnt && identity_suppressions(w->ec.idm))
		suppress_alerts(w, p, res);
	if (res->flow_pass)
		CNT_INC(&w->cnt, IPS_PASSED_FLOW);
	if (res->flow_bypass && f && !(f->flags & FLOW_F_BYPASS) && (p->proto != 6 || w->cfg->stream_bypass)) {
		f->flags |= FLOW_F_PASS | FLOW_F_BYPASS;
		CNT_INC(&w->cnt, FLOW_BYPASSED);
	}
	bool blocked = w->ips && (res->verdict == VERDICT_DROP || res->verdict == VERDICT_REJECT);
	if (blocked) {
		CNT_INC(&w->cnt, IPS_BLOCKED);
		/* an IP-only, protocol-only, app-layer or stream drop drops the
		 * rest of the flow; a packet rule's drops this packet only */
		if (f && res->flow_drop && !(f->flags & FLOW_F_PASS))
			f->flags |= FLOW_F_DROP;
		if (w->eve && w->ec.drop) {
			eve_drop_record(&w->out, p, &w->ec);
			if (f && (f->flags & FLOW_F_DROP))
				f->flags |= (p->dir & 1) ? FLOW_F_DROP_LOGGED_TC : FLOW_F_DROP_LOGGED_TS;
		}
	}
	for (unsigned i = 0; i < res->cnt; i++) {
		const struct detect_alert *a = &res->a[i];
		if (held_written(w, p, a))
			continue;
		bool ab = blocked && (a->action == DETECT_ACT_DROP || a->action == DETECT_ACT_REJECT);
		CNT_INC(&w->cnt, DETECT_ALERT);
		if (f)
			f->flags |= FLOW_F_ALERTED;
		if (p->flags & PKT_ACKED_DATA) {
			hold_alert(w, p, tx, a);
			continue;
		}
		if (w->eve && w->ec.alert)
			eve_alert_record(&w->out, p, tx, a, ab, &w->ec);
		if (w->fast)
			fast_log_line(&w->fastbuf, p, a, ab);
	}
	if (!blocked)
		return WV_ACCEPT;
	return res->verdict == VERDICT_REJECT ? WV_REJECT : WV_DROP;
}

void worker_idle(struct worker *w, vtime_t now)
{
	worker_check_rules(w);
	if (w->live && now > w->now) {
		w->now = now;
		timers_run(&w->timers, now);
	}
	worker_flush(w);
}

static int packet_path(struct worker *w, int linktype, vtime_t ts, const uint8_t *data,
		       uint32_t caplen, uint32_t wirelen, uint64_t pcap_cnt);

/* Counts what the packet path allocates once the first second of packet
 * time is over (start-up, first flows and buffers growing are warm-up). */
int worker_packet(struct worker *w, int linktype, vtime_t ts, const uint8_t *data,
		  uint32_t caplen, uint32_t wirelen, uint64_t pcap_cnt)
{
	if (!w->pooled) {
		/* in the thread that runs the worker: its cache and reserve */
		w->pooled = true;
		alloc_thread_pool(true);
		if (alloc_thread_reserve(w->prealloc_blocks) < 0)
			log_warn("worker %u: no room for alloc.prealloc-blocks", w->id);
	}
	uint64_t a0 = alloc_thread_count();
	w->modified = false;
	int v = packet_path(w, linktype, ts, data, caplen, wirelen, pcap_cnt);
	if (!w->first_ts)
		w->first_ts = ts ? ts : 1;
	else if (ts > w->first_ts + 1000000)
		w->cnt.v[CNT_ALLOC_PACKET_PATH] += alloc_thread_count() - a0;
	return v;
}

/* ---- exception policies ---- */


/* Target t's exception policy (w->ec.xp, resolved by config_xp) met by
 * packet p, of flow f (NULL for a fragment or a packet left without a
 * flow): counted, named in the flow record, and applied as Suricata's
 * ExceptionPolicyApply: pass-packet leaves the packet out of detection,
 * pass-flow the flow, bypass stops all inspection of the flow, drop-packet
 * drops the packet, drop-flow the flow, reject as drop-flow answered with
 * resets.  Returns true when the packet is dropped (*verdict set, its drop
 * record written with the target's reason).  In IDS mode config_xp made
 * the dropping policies ignore. */
static bool xp_apply(struct worker *w, struct packet *p, struct flow *f, enum xp_target t,
		     int *verdict)
{
	enum xp_policy pol = w->ec.xp[t];
	if (f)
		f->xp_seen |= (uint8_t)(1u << t);
	if (pol < XP_DROP_PACKET || pol > XP_REJECT)
		return false;
	w->cnt.v[XP_CNT(t, pol)]++;
	switch (pol) {
	case XP_BYPASS:
		if (f && !(f->flags & FLOW_F_BYPASS)) {
			f->flags |= FLOW_F_PASS | FLOW_F_BYPASS;
			CNT_INC(&w->cnt, FLOW_BYPASSED);
		}
		w->xp_nodetect = true;
		return false;
	case XP_PASS_FLOW:
		if (f)
			f->flags |= FLOW_F_PASS;
		/* fallthrough */
	case XP_PASS_PACKET: w->xp_nodetect = true; return false;
	case XP_REJECT:
	case XP_DROP_FLOW:
		if (f)
			f->flags |= FLOW_F_DROP | FLOW_F_XP_DROP | (pol == XP_REJECT ? FLOW_F_REJECT : 0);
		/* fallthrough */
	default: break;
	}
	if (!w->ips)
		return false;
	CNT_INC(&w->cnt, IPS_BLOCKED);
	*verdict = pol == XP_REJECT ? WV_REJECT : WV_DROP;
	if (w->eve && w->ec.drop)
		eve_drop_record_why(&w->out, p, &w->ec, xp_drop_reasons[t]);
	return true;
}

/* A TCP direction is over for the parsers: now, or once the bytes it
 * still holds are delivered. */
static void tcp_close(struct worker *w, struct flow *f, int dir, bool rst)
{
	struct reasm_dir *rd = f->stream[dir];
	/* (a reset direction whose held bytes begin past a hole is over for
	 * the parsers now: what lies past it is not parsed) */
	bool hole = rst && reasm_hole_first(rd);
	if (w->rc.ack_gated && reasm_pending(rd) && !hole)
		rd->close_pending = true;
	else
		app_tcp_close(&w->app, f, dir);
}

static int packet_path(struct worker *w, int linktype, vtime_t ts, const uint8_t *data,
		       uint32_t caplen, uint32_t wirelen, uint64_t pcap_cnt)
{
	int verdict = WV_ACCEPT;
	struct packet *p = &w->pkt;
	p->ts = ts;
	p->data = data;
	p->caplen = caplen;
	p->wirelen = wirelen;
	p->linktype = linktype;
	p->pcap_cnt = pcap_cnt;
	if (ts > w->now)
		w->now = ts;
	timers_run(&w->timers, w->now);
	decode_packet(&w->dec, p);
	p->ifindex = w->ifindex;
	if (p->flags & PKT_CSUM_BAD) {
		CNT_INC(&w->cnt, DECODER_CSUM_BAD);
		if (p->proto == 6)
			CNT_INC(&w->cnt, TCP_INVALID_CSUM);
	}
	/* the carrier first: making room for it may end other flows, never
	 * the inner one held below */
	if (p->flags & PKT_TUNNEL)
		flow_table_carrier(w->ft, p);
	w->xp_nodetect = false;
	if ((p->flags & PKT_XP_DEFRAG) && xp_apply(w, p, NULL, XP_DEFRAG_MEMCAP, &verdict))
		goto events;
	struct flow *f = flow_table_handle(w->ft, p);
	if (!f && (p->flags & PKT_XP_FLOW_MEMCAP) && xp_apply(w, p, NULL, XP_FLOW_MEMCAP, &verdict))
		goto events;
	if (f && (f->flags & FLOW_F_DROP) && w->ips) {
		/* a dropped flow: later packets are dropped, not inspected (an
		 * exception policy's have drop records, as Suricata's) */
		CNT_INC(&w->cnt, IPS_BLOCKED_FLOW);
		verdict = (f->flags & FLOW_F_REJECT) ? WV_REJECT : WV_DROP;
		uint32_t logged = (p->dir & 1) ? FLOW_F_DROP_LOGGED_TC : FLOW_F_DROP_LOGGED_TS;
		if ((f->flags & FLOW_F_XP_DROP) && w->eve && w->ec.drop) {
			eve_drop_record_why(&w->out, p, &w->ec, "exception policy flow drop");
		} else if (!(f->flags & (FLOW_F_XP_DROP | logged)) && w->eve && w->ec.drop) {
			/* a rule dropped the flow: the first packet of each
			 * direction has a drop record, as Suricata's drop log */
			eve_drop_record_why(&w->out, p, &w->ec, "flow drop");
			f->flags |= logged;
		}
		goto events;
	}
	/* stream.midstream-policy: a TCP session picked up without its
	 * handshake; without stream.midstream it is never tracked, so every
	 * packet of it meets the policy again (until it drops or bypasses the
	 * flow), with it only the pickup does */
	if (f && (f->flags & FLOW_F_MIDSTREAM) && !(f->flags & FLOW_F_BYPASS) &&
	    (!w->cfg->stream_midstream || !(f->xp_seen & (1u << XP_MIDSTREAM))) &&
	    xp_apply(w, p, f, XP_MIDSTREAM, &verdict))
		goto events;
	if (f && (f->flags & FLOW_F_BYPASS)) {
		/* bypassed (a bypass rule, stream.midstream-policy bypass, or
		 * inline past its depth): neither parsed nor inspected; inline
		 * the verdict asks the kernel to bypass it too */
		CNT_INC(&w->cnt, FLOW_BYPASSED_LOCAL_PKTS);
		CNT_ADD(&w->cnt, FLOW_BYPASSED_LOCAL_BYTES, p->wirelen);
		verdict = w->bypass ? WV_BYPASS : WV_ACCEPT;
		goto events;
	}
	app_tx_reset(&w->app);
	w->got[0] = w->got[1] = false;
	w->nheld = 0;
	if (f && p->proto == 6 && (p->flags & PKT_HAS_PORTS)) {
		w->acking = w->rc.ack_gated;
		stream_packet(&w->rc, p);
		w->acking = false;
		/* the reassembly memcap: no state for the session, or a segment
		 * not buffered */
		if ((p->flags & PKT_XP_STREAM_MEMCAP) && xp_apply(w, p, f, XP_STREAM_MEMCAP, &verdict))
			goto events;
		if ((p->flags & PKT_XP_REASM_MEMCAP) && xp_apply(w, p, f, XP_REASM_MEMCAP, &verdict))
			goto events;
		/* the other direction's close, once its held bytes are out, is
		 * part of what this packet parsed of it */
		int od = !(p->dir & 1);
		struct reasm_dir *ord = f->stream[od];
		if (w->rc.ack_gated && w->app_on && ord && ord->close_pending && !reasm_pending(ord)) {
			ord->close_pending = false;
			app_tcp_close(&w->app, f, od);
			w->got[od] = true;
		}
		if (w->rc.ack_gated && w->got[od] && !w->got[p->dir & 1])
			acked_other(w, p, f);
		if (w->app_on && f->app)
			app_tcp_packet(&w->app, f, p->dir);
		/* (a FIN or RST the stream engine ignored ends nothing; a
		 * direction still holding unacknowledged bytes is told once
		 * they are out, or at the flow's end) */
		bool taken = !(p->flags & PKT_STREAM_IGNORED);
		if ((p->tcp_flags & TH_FIN) && w->app_on && taken)
			tcp_close(w, f, p->dir, false);
		if ((p->tcp_flags & TH_RST) && w->app_on && taken) { /* both directions are over */
			tcp_close(w, f, 0, true);
			tcp_close(w, f, 1, true);
		}
		for (int x = 0; x < 2 && w->app_on; x++) {
			struct reasm_dir *rd = f->stream[x];
			if (rd && rd->close_pending && !reasm_pending(rd)) {
				rd->close_pending = false;
				app_tcp_close(&w->app, f, x);
			}
		}
	} else if (f && p->proto == 17 && (p->flags & PKT_HAS_PORTS) && !(p->flags & PKT_CSUM_BAD) &&
		   w->app_on)
		app_udp(&w->app, f, p);
	CNT_ADD(&w->cnt, APP_EVENTS, app_ev_count(&w->app.tx.events));
	if (w->app.tx.parser_error && xp_apply(w, p, f, XP_APP_ERROR, &verdict))
		goto events;
	/* encryption-handling bypass: an encrypted TLS or SSH session is
	 * bypassed after this packet */
	if (f && w->app.tx.encrypted && !(f->flags & FLOW_F_BYPASS) &&
	    ((f->alproto == ALP_TLS && w->cfg->tls_encryption_handling == ENC_BYPASS) ||
	     (f->alproto == ALP_SSH && w->cfg->ssh_encryption_handling == ENC_BYPASS))) {
		f->flags |= FLOW_F_PASS | FLOW_F_BYPASS;
		CNT_INC(&w->cnt, FLOW_BYPASSED);
	}
	bool keep_files = false;
	/* acknowledged delivery: what this packet parsed of the other
	 * direction (with some of its own: acked_other did the rest) is
	 * inspected now for that direction's next packet, and what was held
	 * for this direction is written first */
	bool tcp = f && p->proto == 6 && (p->flags & PKT_HAS_PORTS) && w->rc.ack_gated;
	bool other = tcp && w->got[!(p->dir & 1)];
	if (w->rules) {
		worker_check_rules(w);
		if (w->dt && !w->xp_nodetect) {
			if (other)
				keep_files = inspect_acked(w, f, !(p->dir & 1));
			if (tcp)
				held_write(w, f, p);
			if (detect_tagged(p) && w->eve && w->ec.tagged_packets)
				eve_packet_record(&w->out, p, &w->ec);
			verdict = run_detect(w, p, &w->app.tx);
			keep_files |= w->dres.filestore;
		}
	}
	/* the protocols' records (one table: eve_app_records), after the
	 * packet's alerts as Suricata writes them, so that a config rule
	 * can keep its transaction out of the log */
	if (w->eve)
		eve_app_records(&w->out, p, f, &w->app.tx, &w->ec);
	if (w->app.tx.nfiles) {
		files_settle(w, p, f, keep_files);
		files_write(w, p, f);
	}
	if (w->app.tx.ndns)
		dns_anomalies(w, p);
	if (f && w->behave && f->pkts[0] + f->pkts[1] == 1 && p->ip_ver) {
		/* a new flow: scans */
		uint32_t cnt = 0, win = 0;
		int kind = behave_flow_start(w->behave, p->ip_ver, p->src, p->dst,
					     (p->flags & PKT_HAS_PORTS) ? p->dp : 0,
					     (uint32_t)VTIME_SEC(p->ts), &cnt, &win);
		if (kind) {
			CNT_INC(&w->cnt, POLICY_EARLY_WARNINGS);
			struct policy_alert *pa = pol_begin(w);
			if (pa) {
				policy_alert_scan(pa, kind == 2, cnt, win,
						  (uint32_t)(kind == 2 ? w->cfg->policy_scan_hosts
								       : w->cfg->policy_scan_ports));
				pol_emit(w, EVE_AT_PACKET, p, NULL, 0);
			}
		}
	}
	if (!blocklists_empty(w->bl) || (w->ec.idm && identity_count(w->ec.idm))) {
		int pv = WV_ACCEPT;
		if (!blocklists_empty(w->bl))
			policy_check(w, p, &pv);
		allow_check(w, p, &pv);
		if (pv != WV_ACCEPT && verdict == WV_ACCEPT)
			verdict = pv;
	}
	/* bypass: a pass rule, or every direction past the stream depth; the
	 * session detectors (long and idle sessions) need a flow's packets
	 * to its end, so with them on only a pass rule bypasses */
	if (verdict == WV_ACCEPT && w->bypass && f &&
	    ((f->flags & FLOW_F_PASS) ||
	     (w->de && !w->nlong && !w->cfg->policy_idle_session && detect_flow_done(w->de, f)))) {
		if (!(f->flags & FLOW_F_BYPASS))
			CNT_INC(&w->cnt, FLOW_BYPASSED);
		f->flags |= FLOW_F_BYPASS;
		verdict = WV_BYPASS;
	}
events:
	for (unsigned i = 0; i < p->event_cnt; i++) {
		w->ev[p->events[i]]++;
		if (w->eve && w->ec.anomaly)
			eve_anomaly_record(&w->out, p, p->events[i], &w->ec);
	}
	if (w->out.len >= OUT_BATCH || w->fastbuf.len >= OUT_BATCH)
		worker_flush(w);
	return verdict;
}

void worker_end_flows(struct worker *w)
{
	memcap_pressure(w); /* (as the run ends, before the flows' memory goes) */
	flow_table_flush(w->ft, FLOW_END_SHUTDOWN);
}

void worker_fini(struct worker *w)
{
	flow_table_free(w->ft);
	w->ft = NULL;
	decode_expire(&w->dec, 0);
	decode_ctx_fini(&w->dec);
	worker_flush(w);
	jb_fini(&w->out);
	jb_fini(&w->scratch);
	jb_fini(&w->meta);
	jb_fini(&w->fastbuf);
	jb_fini(&w->dfr);
	jb_fini(&w->dfast);
	detect_thread_free(w->dt);
	w->dt = NULL;
}

void workers_sum(struct counters *cnt, uint64_t *ev, struct worker *const *ws, unsigned n)
{
	memset(cnt, 0, sizeof(*cnt));
	memset(ev, 0, EV_MAX * sizeof(*ev));
	for (unsigned i = 0; i < n; i++) {
		for (int k = 0; k < CNT_MAX; k++) {
			if (counter_is_max(k))
				cnt->v[k] = MAX(cnt->v[k], ws[i]->cnt.v[k]);
			else
				cnt->v[k] += ws[i]->cnt.v[k];
		}
		for (int k = 0; k < EV_MAX; k++)
			ev[k] += ws[i]->ev[k];
	}
}
