/*
 * engine.c - see engine.h.  The capture thread computes each packet's
 * worker from the outermost IP address pair only (not ports): fragments,
 * ICMP errors and every flow inside a tunnel then reach the same worker as
 * the packets they belong with, at the price of coarser balancing between
 * the same two hosts.
 */
#include "engine.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cursor.h"
#include "log.h"
#include "ring.h"
#include "worker.h"

#include <stdatomic.h>

volatile sig_atomic_t engine_stop;
volatile sig_atomic_t engine_reload;

/* A rule reload runs on its own thread so packets keep flowing while the
 * new engine is built; the run loop publishes it when it is ready. */
struct reloader {
	pthread_t tid;
	bool running;
	atomic_bool ready;
	const struct config *cfg;
	const struct strlist *files;
	struct detect_engine *next;
	struct detect_load_stats st;
};

static void *reload_main(void *arg)
{
	struct reloader *rl = arg;
	struct verr e = { "" };
	rl->next = detect_engine_load(rl->cfg, rl->files, true, &rl->st, &e);
	if (!rl->next)
		log_err("rule reload failed: %s; keeping the running rules", e.msg);
	atomic_store(&rl->ready, true);
	return NULL;
}


#define MAX_WORKERS 64

static double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static vtime_t now_wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (vtime_t)ts.tv_sec * 1000000u + (vtime_t)ts.tv_nsec / 1000u;
}

/* Symmetric hash of the outermost IP address pair, read with a cursor. */
static uint32_t peek_hash(int linktype, const uint8_t *data, uint32_t len)
{
	struct cursor c;
	cur_init(&c, data, len);
	uint16_t type = 0;
	switch (linktype) {
	case LINK_ETHERNET:
		cur_skip(&c, 12);
		type = cur_be16(&c);
		break;
	case LINK_SLL:
		cur_skip(&c, 14);
		type = cur_be16(&c);
		break;
	case LINK_SLL2:
		type = cur_be16(&c);
		cur_skip(&c, 18);
		break;
	case LINK_NULL:
	case LINK_LOOP:
		cur_skip(&c, 4);
		/* fallthrough */
	default: {
		uint8_t v = cur_peek_u8(&c, 0) >> 4;
		type = v == 4 ? 0x0800 : v == 6 ? 0x86dd : 0;
		break;
	}
	}
	for (int i = 0; i < 2 && (type == 0x8100 || type == 0x88a8); i++) {
		cur_skip(&c, 2);
		type = cur_be16(&c);
	}
	uint64_t a = 0, b = 0;
	const uint8_t *s, *d;
	if (type == 0x0800) {
		cur_skip(&c, 12);
		s = cur_bytes(&c, 4);
		d = cur_bytes(&c, 4);
		if (s && d) {
			a = hash_bytes(s, 4, 7);
			b = hash_bytes(d, 4, 7);
		}
	} else if (type == 0x86dd) {
		cur_skip(&c, 8);
		s = cur_bytes(&c, 16);
		d = cur_bytes(&c, 16);
		if (s && d) {
			a = hash_bytes(s, 16, 7);
			b = hash_bytes(d, 16, 7);
		}
	}
	return (uint32_t)hash_mix64(a ^ b);
}

struct wthread {
	struct worker w;
	struct ring ring;
	pthread_t tid;
	int linktype;
};

static void *worker_main(void *arg)
{
	struct wthread *t = arg;
	unsigned spins = 0;
	for (;;) {
		struct ring_pkt *p = ring_peek(&t->ring);
		if (!p) {
			worker_check_rules(&t->w); /* acknowledge reloads while idle */
			if (atomic_load_explicit(&t->ring.done, memory_order_acquire)) {
				/* re-check: items may have landed before done */
				if (!(p = ring_peek(&t->ring)))
					break;
			} else {
				if (++spins < 100) {
					sched_yield();
				} else {
					struct timespec ts = { 0, 50000 };
					nanosleep(&ts, NULL);
				}
				continue;
			}
		}
		spins = 0;
		worker_packet(&t->w, t->linktype, p->ts, p->data, p->caplen, p->wirelen,
			      p->pcap_cnt);
		ring_pop(&t->ring, p);
	}
	return NULL;
}

static void sum_counters(struct engine_result *res, struct worker *const *ws, unsigned n)
{
	memset(&res->cnt, 0, sizeof(res->cnt));
	memset(res->ev, 0, sizeof(res->ev));
	for (unsigned i = 0; i < n; i++) {
		for (int k = 0; k < CNT_MAX; k++) {
			if (counter_is_max(k))
				res->cnt.v[k] = MAX(res->cnt.v[k], ws[i]->cnt.v[k]);
			else
				res->cnt.v[k] += ws[i]->cnt.v[k];
		}
		for (int k = 0; k < EV_MAX; k++)
			res->ev[k] += ws[i]->ev[k];
	}
}

static void write_stats(struct sink *eve, struct engine_result *res, double uptime)
{
	struct jbuf jb = { 0 };
	eve_stats_record(&jb, now_wall(), (uint64_t)uptime, &res->cnt, res->ev);
	if (!jb.oom)
		sink_write(eve, jb.buf, jb.len);
	jb_fini(&jb);
}

static void progress_line(struct capture *cap, uint64_t pkts, uint64_t bytes, double el)
{
	uint64_t done = 0, total = 0;
	if (cap->ops->progress)
		cap->ops->progress(cap, &done, &total);
	double mbit = el > 0 ? (double)bytes * 8 / el / 1e6 : 0;
	if (total)
		fprintf(stderr, "\rvigil: %5.1f%% of %s, %llu packets, %.0f Mbit/s   ",
			100.0 * (double)done / (double)total, cap->source,
			(unsigned long long)pkts, mbit);
	else
		fprintf(stderr, "\rvigil: %llu packets, %.0f Mbit/s   ", (unsigned long long)pkts,
			mbit);
}

static void publish_rules(struct rules_state *rs, struct detect_engine *next,
			  struct wthread *ts, unsigned n, bool threaded)
{
	struct detect_engine *old = atomic_load(&rs->cur);
	atomic_store(&rs->cur, next);
	unsigned g = atomic_fetch_add(&rs->gen, 1) + 1;
	if (!threaded) {
		worker_check_rules(&ts[0].w);
	} else {
		for (unsigned i = 0; i < n; i++)
			while (atomic_load_explicit(&ts[i].w.seen_gen, memory_order_acquire) != g) {
				struct timespec d = { 0, 100000 };
				nanosleep(&d, NULL);
			}
	}
	detect_engine_free(old);
}

int engine_run(const struct config *cfg, struct capture *cap, const struct engine_opts *opts,
	       struct engine_result *res, struct verr *e)
{
	int rc = 0;
	bool progress = opts->progress;
	struct sink *eve = NULL, *fast = NULL;
	struct rules_state rules;
	struct reloader rl = { 0 };
	atomic_init(&rules.cur, NULL);
	atomic_init(&rules.gen, 1);
	atomic_init(&rl.ready, false);
	unsigned n = 1;
	struct wthread *ts = NULL;
	struct worker *wp[MAX_WORKERS];
	double t0 = now_mono(), last_stats = t0, last_prog = t0;
	memset(res, 0, sizeof(*res));

	if (!decode_link_supported(cap->linktype))
		log_warn("%s: link type %d is not decoded; packets will only be counted",
			 cap->source, cap->linktype);
	if (opts->detect) {
		struct detect_load_stats st;
		struct detect_engine *de = detect_engine_load(cfg, opts->rule_files, false, &st, e);
		if (!de)
			return V_EINVAL;
		atomic_store(&rules.cur, de);
		res->rules_loaded = st.loaded;
		res->rules_skipped = st.skipped;
		res->rules_invalid = st.invalid;
		res->rules_seconds = st.seconds;
		res->rules_memory = detect_engine_memory(de);
		log_info("rules: %u loaded, %u skipped, %u invalid in %.2f s", st.loaded, st.skipped,
			 st.invalid, st.seconds);
	}
	if (cfg->eve_enabled) {
		snprintf(res->eve_path, sizeof(res->eve_path), "%s/%s", cfg->log_dir,
			 cfg->eve_filename);
		if (!(eve = sink_file_open(res->eve_path, e))) {
			rc = V_EIO;
			goto out;
		}
	}
	if (opts->detect && cfg->fast_enabled) {
		snprintf(res->fast_path, sizeof(res->fast_path), "%s/%s", cfg->log_dir,
			 cfg->fast_filename);
		if (!(fast = sink_file_open(res->fast_path, e))) {
			rc = V_EIO;
			goto out;
		}
	}
	if (cfg->runmode == RUNMODE_WORKERS) {
		long cpus = sysconf(_SC_NPROCESSORS_ONLN);
		n = cfg->threads ? (unsigned)cfg->threads : (unsigned)(cpus > 0 ? cpus : 1);
		if (n > MAX_WORKERS)
			n = MAX_WORKERS;
	}
	res->workers = n;
	ts = v_calloc(n, sizeof(*ts));
	if (!ts) {
		rc = verr_set(e, V_ENOMEM, "out of memory");
		goto out;
	}
	for (unsigned i = 0; i < n; i++) {
		if ((rc = worker_init(&ts[i].w, cfg, i, n, eve, e)) < 0) {
			for (unsigned j = 0; j < i; j++)
				worker_fini(&ts[j].w);
			goto out;
		}
		wp[i] = &ts[i].w;
		ts[i].linktype = cap->linktype;
		if (opts->detect && worker_set_rules(&ts[i].w, &rules, fast) < 0) {
			for (unsigned j = 0; j <= i; j++)
				worker_fini(&ts[j].w);
			rc = verr_set(e, V_ENOMEM, "out of memory (rule engine scratch)");
			goto out;
		}
	}
	bool threaded = cfg->runmode == RUNMODE_WORKERS;
	unsigned started = 0;
	if (threaded) {
		for (; started < n; started++) {
			if (ring_init(&ts[started].ring, cfg->ring_size) < 0 ||
			    pthread_create(&ts[started].tid, NULL, worker_main, &ts[started])) {
				rc = verr_set(e, V_ENOMEM, "cannot start worker %u", started);
				ring_fini(&ts[started].ring);
				break;
			}
		}
	}

	uint64_t pkts = 0, bytes = 0;
	struct verr rerr = { "" };
	while (rc == 0 && !engine_stop) {
		struct capture_pkt cp;
		int r = capture_next(cap, &cp, &rerr);
		if (r == V_EOF)
			break;
		if (r == V_EAGAIN)
			continue;
		if (r < 0) {
			/* a corrupt record ends the file; what was read stands */
			log_warn("%s", rerr.msg);
			break;
		}
		pkts++;
		bytes += cp.caplen;
		if (threaded) {
			unsigned wi = n > 1 ? peek_hash(cap->linktype, cp.data, cp.caplen) % n : 0;
			if (!ring_put(&ts[wi].ring, cp.ts, pkts, cp.data, cp.caplen, cp.wirelen))
				log_warn("packet %llu of %u bytes is too large for ring-size; skipped",
					 (unsigned long long)pkts, cp.caplen);
		} else {
			worker_packet(&ts[0].w, cap->linktype, cp.ts, cp.data, cp.caplen,
				      cp.wirelen, pkts);
		}
		if (opts->detect && engine_reload && !rl.running) {
			engine_reload = 0;
			rl.cfg = cfg;
			rl.files = opts->rule_files;
			atomic_store(&rl.ready, false);
			rl.running = pthread_create(&rl.tid, NULL, reload_main, &rl) == 0;
			if (rl.running)
				log_info("reloading rules");
		}
		if (rl.running && atomic_load(&rl.ready)) {
			pthread_join(rl.tid, NULL);
			rl.running = false;
			if (rl.next) {
				publish_rules(&rules, rl.next, ts, started ? started : 1, threaded);
				res->reloads++;
				res->rules_loaded = rl.st.loaded;
				res->rules_skipped = rl.st.skipped;
				for (unsigned i = 0; i < n; i++)
					ts[i].w.cnt.v[CNT_DETECT_RELOADS]++;
				log_info("rules reloaded: %u loaded, %u skipped in %.2f s", rl.st.loaded,
					 rl.st.skipped, rl.st.seconds);
				rl.next = NULL;
			}
		}
		if ((pkts & 1023) == 0) {
			double t = now_mono();
			if (progress && t - last_prog >= 0.5) {
				progress_line(cap, pkts, bytes, t - t0);
				last_prog = t;
			}
			if (eve && cfg->eve_stats && cfg->stats_interval &&
			    t - last_stats >= (double)cfg->stats_interval) {
				sum_counters(res, wp, n);
				res->cnt.v[CNT_CAPTURE_KERNEL_PACKETS] = pkts;
				write_stats(eve, res, t - t0);
				last_stats = t;
			}
		}
	}
	if (progress)
		fprintf(stderr, "\r%60s\r", "");
	if (threaded) {
		for (unsigned i = 0; i < started; i++)
			atomic_store_explicit(&ts[i].ring.done, true, memory_order_release);
		for (unsigned i = 0; i < started; i++) {
			pthread_join(ts[i].tid, NULL);
			ring_fini(&ts[i].ring);
		}
	}
	for (unsigned i = 0; i < n; i++) {
		/* end flows first so the stats include them */
		flow_table_flush(ts[i].w.ft, FLOW_END_SHUTDOWN);
		worker_flush(&ts[i].w);
	}
	sum_counters(res, wp, n);
	res->cnt.v[CNT_CAPTURE_KERNEL_PACKETS] = pkts;
	res->seconds = now_mono() - t0;
	if (eve && cfg->eve_stats)
		write_stats(eve, res, res->seconds);
	for (unsigned i = 0; i < n; i++)
		worker_fini(&ts[i].w);
out:
	if (rl.running) {
		pthread_join(rl.tid, NULL);
		detect_engine_free(rl.next);
	}
	v_free(ts);
	sink_close(eve);
	sink_close(fast);
	detect_engine_free(atomic_load(&rules.cur));
	return rc;
}
