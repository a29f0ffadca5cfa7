/*
 * engine.c - see engine.h.  The capture thread computes each packet's
 * worker from the outermost IP address pair only (not ports): fragments,
 * ICMP errors and every flow inside a tunnel then reach the same worker as
 * the packets they belong with, at the price of coarser balancing between
 * the same two hosts.
 */
#include "engine.h"
#include "hids_run.h"
#include "filestore.h"
#include "tlsstore.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cursor.h"
#include "log.h"
#include "ring.h"
#include <linux/capability.h>

#include "control.h"
#include "fanout.h"
#include "respond.h"
#include "worker.h"

#include <stdatomic.h>

volatile sig_atomic_t engine_stop;
volatile sig_atomic_t engine_reload;
volatile sig_atomic_t engine_policy_reload;

#define MAX_WORKERS 64

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
	case LINK_CHDLC:
		cur_skip(&c, 2);
		type = cur_be16(&c);
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
	bool live;
};

static void *worker_main(void *arg)
{
	struct wthread *t = arg;
	unsigned spins = 0;
	for (;;) {
		struct ring_pkt *p = ring_peek(&t->ring);
		if (!p) {
			worker_check_rules(&t->w); /* acknowledge reloads while idle */
			if (t->live && spins == 50)
				worker_idle(&t->w, now_wall());
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

static void sum_counters(struct engine_result *res, struct worker *const *ws, unsigned n,
			 const struct sink *eve)
{
	workers_sum(&res->cnt, res->ev, ws, n);
	fanout_counters(sink_fanout(eve), &res->cnt);
	res->cnt.v[CNT_DETECT_RULES_LOADED] = res->rules_loaded;
	res->cnt.v[CNT_DETECT_RULES_FAILED] = res->rules_invalid;
	res->cnt.v[CNT_DETECT_RULES_SKIPPED] = res->rules_skipped;
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

/* What both runners set up first: the rule engine (if rules are on) and
 * the eve and fast.log sinks.  On error the caller's cleanup frees what
 * was made (the sinks and rules->cur). */
/* outputs.eve-logs: each "NAME=FILE: TYPES" entry (the last of a name)
 * becomes a route of the eve sink. */
static int add_eve_logs(const struct config *cfg, struct sink *eve, struct verr *e)
{
	const struct strlist *m = &cfg->eve_logs;
	for (size_t i = 0; i < m->cnt; i++) {
		const char *kv = m->v[i], *eq = strchr(kv, '=');
		if (!eq)
			continue;
		bool later = false; /* a later entry of the same name overrides */
		for (size_t j = i + 1; j < m->cnt && !later; j++)
			later = !strncmp(m->v[j], kv, (size_t)(eq - kv) + 1);
		if (later)
			continue;
		const char *val = eq + 1, *colon = strchr(val, ':');
		if (!colon || colon == val)
			return verr_set(e, V_EINVAL, "outputs.eve-logs.%.*s: \"%s\" is not \"FILE: TYPE, TYPE...\"",
					(int)(eq - kv), kv, val);
		char path[600];
		if (val[0] == '/')
			snprintf(path, sizeof(path), "%.*s", (int)(colon - val), val);
		else
			snprintf(path, sizeof(path), "%s/%.*s", cfg->log_dir, (int)(colon - val), val);
		if (sink_add_route(eve, path, colon + 1, e) < 0)
			return V_EINVAL;
	}
	return 0;
}

static int run_setup(const struct config *cfg, const struct engine_opts *opts,
		     struct rules_state *rules, struct sink **eve, struct sink **fast,
		     struct engine_result *res, struct verr *e)
{
	struct identity *idm = identity_load(cfg, e);
	if (!idm)
		return V_EINVAL;
	atomic_store(&rules->idm, idm);
	if (identity_count(idm))
		log_info("identity: %u VMs", identity_count(idm));
	struct blocklists *bl = blocklists_load(cfg, false, e);
	if (!bl)
		return V_EINVAL;
	atomic_store(&rules->bl, bl);
	/* allowlists follow the VMs' DNS answers: one table for all workers */
	if (!(rules->resolved = resolved_new((uint32_t)MIN(cfg->policy_resolved_max, 1u << 26))))
		return verr_set(e, V_ENOMEM, "out of memory (resolved addresses)");
	struct behave_cfg bc = {
		.scan_window = (uint32_t)MAX(cfg->policy_scan_window, 1),
		.scan_ports = (uint32_t)cfg->policy_scan_ports,
		.scan_hosts = (uint32_t)cfg->policy_scan_hosts,
		.beacon_min = (uint32_t)MIN(MAX(cfg->policy_beacon_min, cfg->policy_beacon_min ? 3 : 0), 16),
		.beacon_score = (uint32_t)cfg->policy_beacon_score,
		.beacon_repeat = (uint32_t)cfg->policy_beacon_repeat,
		.max_entries = (uint32_t)MIN(cfg->policy_behave_max, 1u << 22),
	};
	if (!(rules->behave = behave_new(&bc)))
		return verr_set(e, V_ENOMEM, "out of memory (scan and beacon tables)");
	/* what the VMs reached and when, kept across restarts */
	if (identity_count(idm) || (cfg->identity_file && *cfg->identity_file)) {
		struct learned_cfg lc;
		char path[4096];
		if (learned_cfg_from(cfg, &lc, path, sizeof(path), e) < 0)
			return V_EINVAL;
		struct verr le = { "" };
		rules->learned = learned_open(&lc, &le);
		if (!rules->learned && *path) {
			log_warn("policy state: %s; kept in memory only", le.msg);
			lc.path = NULL;
			rules->learned = learned_open(&lc, &le);
		}
		if (!rules->learned)
			return verr_set(e, V_ENOMEM, "%s", le.msg);
	}
	if (opts->detect) {
		struct detect_load_stats st;
		struct detect_engine *de = detect_engine_load(cfg, opts->rule_files, false, &st, e);
		if (!de)
			return V_EINVAL;
		if (cfg->init_failure_fatal && st.invalid) {
			detect_engine_free(de);
			return verr_set(e, V_EINVAL, "%u rule%s failed to load, and engine.init-failure-fatal is on",
					st.invalid, st.invalid == 1 ? "" : "s");
		}
		atomic_store(&rules->cur, de);
		res->rules_loaded = st.loaded;
		res->rules_skipped = st.skipped;
		res->rules_invalid = st.invalid;
		res->rules_seconds = st.seconds;
		res->rules_memory = detect_engine_memory(de);
		log_info("rules: %u loaded, %u skipped, %u invalid in %.2f s", st.loaded, st.skipped,
			 st.invalid, st.seconds);
	}
	/* the store's counters, as Suricata registers them: with the store */
	counter_hide(CNT_FILE_STORE_FS_ERRORS, !cfg->filestore_enabled);
	if (cfg->filestore_enabled) {
		char d[600];
		if (cfg->filestore_dir[0] == '/')
			snprintf(d, sizeof(d), "%s", cfg->filestore_dir);
		else
			snprintf(d, sizeof(d), "%s/%s", cfg->log_dir, cfg->filestore_dir);
		if (filestore_init(d, cfg->filestore_force, cfg->filestore_write_fileinfo,
				   cfg->filestore_max_files,
				   cfg->filestore_max_size, cfg->filestore_max_file_size, e) < 0)
			return V_EIO;
	}
	if (cfg->tlsstore_enabled) {
		char d[600];
		if (cfg->tlsstore_dir[0] == '/')
			snprintf(d, sizeof(d), "%s", cfg->tlsstore_dir);
		else
			snprintf(d, sizeof(d), "%s/%s", cfg->log_dir, cfg->tlsstore_dir);
		if (tlsstore_init(d, cfg->tlsstore_max_files, e) < 0)
			return V_EIO;
	}
	/* the stream's other consumers (unix socket, syslog, redis) */
	struct fanout *fan = fanout_open(cfg, e);
	if (!fan && *e->msg)
		return V_EINVAL;
	if (cfg->eve_enabled) {
		snprintf(res->eve_path, sizeof(res->eve_path), "%s/%s", cfg->log_dir,
			 cfg->eve_filename);
		*eve = sink_file_open(res->eve_path, e);
	} else if (fan) {
		*eve = sink_stream_open(e);
	}
	if (!*eve && !cfg->eve_enabled && !fan && cfg->eve_logs.cnt)
		*eve = sink_stream_open(e); /* only the outputs.eve-logs files */
	if (*eve) {
		sink_set_fanout(*eve, fan);
	} else if (cfg->eve_enabled || fan || cfg->eve_logs.cnt) {
		fanout_close(fan);
		return V_EIO;
	}
	if (add_eve_logs(cfg, *eve, e) < 0)
		return V_EINVAL;
	if (opts->detect && cfg->fast_enabled) {
		snprintf(res->fast_path, sizeof(res->fast_path), "%s/%s", cfg->log_dir,
			 cfg->fast_filename);
		if (!(*fast = sink_file_open(res->fast_path, e)))
			return V_EIO;
	}
	/* opened as root for a run-as user: the files become that user's, so
	 * it can reopen them after SIGHUP (rotation) */
	uid_t uid;
	gid_t gid;
	struct verr le = { "" };
	/* an unknown user or group is reported by privs_drop, which follows */
	if (cfg->run_user && *cfg->run_user && geteuid() == 0 &&
	    privs_lookup(cfg->run_user, cfg->run_group, &uid, &gid, &le) == 0 &&
	    (sink_chown(*eve, uid, gid) < 0 || sink_chown(*fast, uid, gid) < 0 ||
	     learned_chown(rules->learned, uid, gid) < 0))
		log_warn("cannot give the log files to %s: %s", cfg->run_user, strerror(errno));
	return 0;
}

/* What both runners do once the workers are flushed: the run's figures,
 * the final stats record, the workers' teardown. */
static void run_finish(const struct config *cfg, struct rules_state *rules, struct sink *eve,
		       struct worker **wp, unsigned n, double t0, struct engine_result *res)
{
	res->cnt.v[CNT_DETECT_RELOADS] = atomic_load(&rules->reloads);
	res->reloads = atomic_load(&rules->reloads);
	res->seconds = now_mono() - t0;
	/* the last stats record counts what the other consumers got */
	fanout_drain(sink_fanout(eve), 2.0);
	fanout_counters(sink_fanout(eve), &res->cnt);
	if (eve && cfg->eve_stats && n)
		write_stats(eve, res, res->seconds);
	for (unsigned i = 0; i < n; i++)
		worker_fini(wp[i]);
}

/* The end of both runners, on success or error: the reload thread, the
 * sinks and the rule engine made by run_setup. */
static void run_teardown(struct control *ct, bool control_started, struct rules_state *rules,
			 struct sink *eve, struct sink *fast)
{
	control_stop(ct, control_started);
	if (eve) {
		/* what is queued for the other consumers goes out first */
		fanout_close(sink_fanout(eve));
		sink_set_fanout(eve, NULL);
	}
	sink_close(eve);
	sink_close(fast);
	detect_engine_free(atomic_load(&rules->cur));
	detect_datasets_close(true);
	identity_free(atomic_load(&rules->idm));
	blocklists_free(atomic_load(&rules->bl));
	resolved_free(rules->resolved);
	behave_free(rules->behave);
	learned_close(rules->learned);
	rules->learned = NULL;
}

int engine_run(const struct config *cfg, struct capture *cap, const struct engine_opts *opts,
	       struct engine_result *res, struct verr *e)
{
	int rc = 0;
	bool progress = opts->progress;
	struct sink *eve = NULL, *fast = NULL;
	struct rules_state rules;
	struct control ct = { 0 };
	bool control_started = false;
	struct hids_run *hids = NULL;
	rules_state_init(&rules);
	atomic_init(&ct.done, false);
	{
		/* an exception policy that drops, set for a target in IDS mode */
		static const char *const keys[XP_TARGET_MAX] = {
			"defrag.memcap-policy", "stream.memcap-policy", "stream.reassembly.memcap-policy",
			"flow.memcap-policy", "stream.midstream-policy", "app-layer.error-policy"
		};
		const int set[XP_TARGET_MAX] = { cfg->defrag_memcap_policy, cfg->stream_memcap_policy,
						 cfg->stream_reassembly_memcap_policy,
						 cfg->flow_memcap_policy, cfg->stream_midstream_policy,
						 cfg->app_error_policy };
		for (int t = 0; t < XP_TARGET_MAX && !cfg->simulate_ips; t++)
			if (set[t] == XP_DROP_FLOW || set[t] == XP_DROP_PACKET || set[t] == XP_REJECT)
				log_warn("[exception-policy] %s %s: nothing is dropped in IDS mode; "
					 "taken as ignore", keys[t],
					 set[t] == XP_REJECT ? "reject"
					 : set[t] == XP_DROP_FLOW ? "drop-flow" : "drop-packet");
		static const char *const master[] = { "auto", "ignore", "drop-packet", "drop-flow",
						      "pass-packet", "pass-flow", "bypass", "reject" };
		log_info("[exception-policy] master exception-policy set to: %s",
			 master[cfg->exception_policy >= 0 && cfg->exception_policy < 8
					? cfg->exception_policy : 0]);
	}
	unsigned n = 1;
	struct wthread *ts = NULL;
	struct worker *wp[MAX_WORKERS];
	double t0 = now_mono(), last_stats = t0, last_prog = t0;
	memset(res, 0, sizeof(*res));

	if (!decode_link_supported(cap->linktype))
		log_warn("%s: link type %d is not decoded; packets will only be counted",
			 cap->source, cap->linktype);
	if ((rc = control_open(&ct, cfg, cap->live, e)) < 0 ||
	    (rc = run_setup(cfg, opts, &rules, &eve, &fast, res, e)) < 0)
		goto out;
	/* the run's time is the packets' (loading the rules is reported on
	 * its own line), so throughput figures do not depend on the ruleset's
	 * load time */
	t0 = last_stats = last_prog = now_mono();
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
		ts[i].w.resolved = rules.resolved;
		ts[i].w.behave = rules.behave;
		ts[i].w.learned = rules.learned;
		ts[i].linktype = cap->linktype;
		ts[i].live = cap->live;
		ts[i].w.live = cap->live;
		if (worker_set_rules(&ts[i].w, &rules, fast) < 0) {
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

	/* the host IDS opens its logs before privileges go */
	if (rc == 0 && cfg->hids_enabled && !(hids = hids_run_start(cfg, eve, e)))
		rc = V_EINVAL;
	ct.hids = hids;
	if (rc == 0 && privs_drop(cfg->run_user, cfg->run_group, 0, e) < 0)
		rc = V_EINVAL;
	if (rc == 0 && hids_run_go(hids, e) < 0)
		rc = V_ENOMEM;
	if (rc == 0) {
		control_started = control_start(&ct, opts, &rules, wp, n, eve);
		if (!control_started)
			log_warn("no control thread: SIGUSR2 and SIGHUP reloads are off");
	}
	uint64_t pkts = 0, bytes = 0;
	struct verr rerr = { "" };
	while (rc == 0 && !engine_stop) {
		struct capture_pkt cp;
		int r = capture_next(cap, &cp, &rerr);
		if (r == V_EOF)
			break;
		if (r == V_EAGAIN) {
			if (!threaded)
				worker_idle(&ts[0].w, now_wall());
			if (eve && cfg->eve_stats && cfg->stats_interval &&
			    now_mono() - last_stats >= (double)cfg->stats_interval) {
				sum_counters(res, wp, n, eve);
				write_stats(eve, res, now_mono() - t0);
				last_stats = now_mono();
			}
			continue;
		}
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
		if ((pkts & 1023) == 0) {
			double t = now_mono();
			if (progress && t - last_prog >= 0.5) {
				progress_line(cap, pkts, bytes, t - t0);
				last_prog = t;
			}
			if (eve && cfg->eve_stats && cfg->stats_interval &&
			    t - last_stats >= (double)cfg->stats_interval) {
				sum_counters(res, wp, n, eve);
				res->cnt.v[CNT_CAPTURE_KERNEL_PACKETS] = pkts;
				res->cnt.v[CNT_DETECT_RELOADS] = atomic_load(&rules.reloads);
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
		worker_end_flows(&ts[i].w);
		worker_flush(&ts[i].w);
	}
	sum_counters(res, wp, n, eve);
	res->cnt.v[CNT_CAPTURE_KERNEL_PACKETS] = pkts;
	if (cap->ops->drops) {
		uint64_t kr = 0, kd = 0;
		cap->ops->drops(cap, &kr, &kd);
		res->cnt.v[CNT_CAPTURE_KERNEL_DROPS] = kd;
	}
	run_finish(cfg, &rules, eve, wp, n, t0, res);
out:
	hids_run_stop(hids, !cap->live);
	run_teardown(&ct, control_started, &rules, eve, fast);
	v_free(ts);
	return rc;
}

/* ---- inline (NFQUEUE) ---- */

struct qthread {
	struct worker w;
	struct nfq_src *q;
	uint32_t mark, mask;
	pthread_t tid;
	uint16_t num;
	struct responder *resp;
	bool started;
};

static void *queue_main(void *arg)
{
	struct qthread *t = arg;
	struct nfq_pkt np;
	struct verr e = { "" };
	uint64_t n = 0;
	vtime_t last_flush = now_wall();
	while (!engine_stop) {
		int r = nfq_src_next(t->q, &np, 100, &e);
		if (r == V_EAGAIN) {
			worker_idle(&t->w, now_wall());
			last_flush = now_wall();
			continue;
		}
		if (r < 0) {
			log_err("%s", e.msg);
			break;
		}
		t->w.ifindex = np.indev;
		int v = worker_packet(&t->w, LINK_RAW, np.ts, np.data, np.len, np.wirelen, ++n);
		if (t->w.modified && (v == WV_ACCEPT || v == WV_BYPASS))
			nfq_src_accept_data(t->q, np.id, np.data, np.len, v == WV_BYPASS ? t->mark : 0,
					    t->mask);
		else
			nfq_src_verdict(t->q, np.id, v == WV_ACCEPT || v == WV_BYPASS,
					v == WV_BYPASS ? t->mark : 0, t->mask);
		if (v == WV_ACCEPT || v == WV_BYPASS) {
			CNT_INC(&t->w.cnt, NFQ_ACCEPTED);
		} else if (v == WV_REJECT) {
			CNT_INC(&t->w.cnt, NFQ_REJECTED);
			uint64_t before = t->resp->sent;
			responder_reject(t->resp, &t->w.pkt);
			CNT_ADD(&t->w.cnt, RESPOND_SENT, t->resp->sent - before);
		} else if (v == WV_DNS_REFUSE) {
			CNT_INC(&t->w.cnt, NFQ_DROPPED);
			uint64_t before = t->resp->sent;
			responder_dns(t->resp, &t->w.pkt, t->w.cfg->policy_dns_refuse == 1 ? 5 : 3);
			CNT_ADD(&t->w.cnt, RESPOND_SENT, t->resp->sent - before);
		} else {
			CNT_INC(&t->w.cnt, NFQ_DROPPED);
		}
		/* alerts reach eve.json within 100 ms even under load */
		if (np.ts >= last_flush + 100000 || np.ts + 1000000 < last_flush) {
			worker_check_rules(&t->w);
			worker_flush(&t->w);
			last_flush = np.ts;
		}
	}
	nfq_src_flush(t->q);
	return NULL;
}

static void nfq_overflow(struct qthread *ts, unsigned nq, struct engine_result *res)
{
	uint64_t qd = 0, ud = 0;
	for (unsigned i = 0; i < nq; i++) {
		uint64_t a = 0, b = 0;
		if (ts[i].q)
			nfq_src_stats(ts[i].q, &a, &b);
		qd += a;
		ud += b;
	}
	res->cnt.v[CNT_NFQ_QUEUE_OVERFLOW] = qd;
	res->cnt.v[CNT_NFQ_USER_DROPPED] = ud;
}

int engine_run_inline(const struct config *cfg, const uint16_t *queues, unsigned nq,
		      const struct engine_opts *opts, struct engine_result *res, struct verr *e)
{
	int rc = 0;
	struct sink *eve = NULL, *fast = NULL;
	struct rules_state rules;
	struct control ct = { 0 };
	bool control_started = false;
	struct hids_run *hids = NULL;
	struct responder resp;
	struct qthread *ts = NULL;
	struct worker *wp[MAX_WORKERS];
	double t0 = now_mono(), last_stats = t0;
	unsigned inited = 0;
	memset(res, 0, sizeof(*res));
	rules_state_init(&rules);
	atomic_init(&ct.done, false);
	responder_open(&resp);
	if (nq > MAX_WORKERS)
		nq = MAX_WORKERS;
	res->workers = nq;

	if ((rc = control_open(&ct, cfg, true, e)) < 0 ||
	    (rc = run_setup(cfg, opts, &rules, &eve, &fast, res, e)) < 0)
		goto out;
	t0 = last_stats = now_mono();
	if (!(ts = v_calloc(nq, sizeof(*ts)))) {
		rc = verr_set(e, V_ENOMEM, "out of memory");
		goto out;
	}
	struct nfq_opts no = { .snaplen = (uint32_t)cfg->nfq_snaplen,
			       .maxlen = (uint32_t)cfg->nfq_maxlen,
			       .batch = (uint32_t)cfg->nfq_batch,
			       .spin_us = (uint32_t)cfg->nfq_spin_us,
			       .fail_open = cfg->nfq_fail_open };
	for (; inited < nq; inited++) {
		struct qthread *t = &ts[inited];
		if ((rc = worker_init(&t->w, cfg, inited, nq, eve, e)) < 0)
			goto out;
		t->w.ips = true;
		worker_exception_policies(&t->w); /* inline: the dropping ones apply */
		t->w.rc.ack_gated = cfg->stream_inline == STREAM_INLINE_NO;
		t->w.live = true;
		t->w.bypass = cfg->nfq_bypass && cfg->nfq_bypass_mark;
		t->mark = (uint32_t)cfg->nfq_bypass_mark;
		t->mask = (uint32_t)cfg->nfq_bypass_mask;
		wp[inited] = &t->w;
		t->w.resolved = rules.resolved;
		t->w.behave = rules.behave;
		t->w.learned = rules.learned;
		t->num = queues[inited];
		t->resp = &resp;
		if (worker_set_rules(&t->w, &rules, fast) < 0) {
			rc = verr_set(e, V_ENOMEM, "out of memory (rule engine scratch)");
			inited++;
			goto out;
		}
		if (!(t->q = nfq_src_open(t->num, &no, e))) {
			rc = V_EIO;
			inited++;
			goto out;
		}
	}
	/* the host IDS opens its logs before privileges go */
	if (cfg->hids_enabled && !(hids = hids_run_start(cfg, eve, e))) {
		rc = V_EINVAL;
		goto out;
	}
	ct.hids = hids;
	/* everything that needs privilege is open: give it up */
	if (privs_drop(cfg->run_user, cfg->run_group, 1ULL << CAP_NET_ADMIN, e) < 0) {
		rc = V_EINVAL;
		goto out;
	}
	if (hids_run_go(hids, e) < 0) {
		rc = V_ENOMEM;
		goto out;
	}
	control_started = control_start(&ct, opts, &rules, wp, nq, eve);
	for (unsigned i = 0; i < nq; i++) {
		if (pthread_create(&ts[i].tid, NULL, queue_main, &ts[i])) {
			rc = verr_set(e, V_ENOMEM, "cannot start the thread of queue %u", ts[i].num);
			engine_stop = 1;
			break;
		}
		ts[i].started = true;
	}
	log_info("inline on %u queue%s, %s", nq, nq == 1 ? "" : "s",
		 cfg->nfq_fail_open ? "fail-open" : "fail-closed");
	while (!engine_stop) {
		struct timespec d = { 0, 100 * 1000000 };
		nanosleep(&d, NULL);
		double t = now_mono();
		if (eve && cfg->eve_stats && cfg->stats_interval &&
		    t - last_stats >= (double)cfg->stats_interval) {
			sum_counters(res, wp, nq, eve);
			nfq_overflow(ts, nq, res);
			res->cnt.v[CNT_DETECT_RELOADS] = atomic_load(&rules.reloads);
			write_stats(eve, res, t - t0);
			last_stats = t;
		}
	}
out:
	hids_run_stop(hids, false);
	if (ts) {
		engine_stop = 1;
		for (unsigned i = 0; i < nq; i++)
			if (ts[i].started)
				pthread_join(ts[i].tid, NULL);
		nfq_overflow(ts, nq, res);
		uint64_t qd = res->cnt.v[CNT_NFQ_QUEUE_OVERFLOW], ud = res->cnt.v[CNT_NFQ_USER_DROPPED];
		for (unsigned i = 0; i < inited; i++) {
			nfq_src_close(ts[i].q); /* answers whatever is still queued */
			ts[i].q = NULL;
			worker_end_flows(&ts[i].w);
			worker_flush(&ts[i].w);
		}
		sum_counters(res, wp, inited, eve);
		res->cnt.v[CNT_NFQ_QUEUE_OVERFLOW] = qd;
		res->cnt.v[CNT_NFQ_USER_DROPPED] = ud;
		run_finish(cfg, &rules, eve, wp, inited, t0, res);
	}
	run_teardown(&ct, control_started, &rules, eve, fast);
	v_free(ts);
	responder_close(&resp);
	return rc;
}
