/*
 * hids_run.c - the host IDS inside the sensor: one thread that reads the
 * log sources (hids.log-files, hids.journal; agents' records through
 * hids_run_submit), runs each line through the OSSEC/Wazuh ruleset, and
 * writes the matches at or above hids.alert-level to the event stream
 * as eve records of event_type "hids".
 *
 * The ruleset is reloaded on this thread (SIGHUP, SIGUSR2, the control
 * socket's reload-hids): the new one is loaded beside the running one
 * and replaces it only if it loaded; a failed reload keeps the old rules
 * and says why.  A reload starts a fresh memory of past events (rule
 * numbering changes), as Wazuh's analysisd restart does.
 *
 * Reading a capture file, the thread reads its sources to their end
 * before the run stops, so that an offline run's output is complete.
 */
#include "hids_run.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eve.h"
#include "hids.h"
#include "input.h"
#include "json.h"
#include "log.h"
#include "util.h"

volatile sig_atomic_t engine_hids_reload;

#define SUBMIT_MAX 4096      /* agent lines queued for the thread */

struct submitted {
	char *vm, *location, *line;
};

struct hids_run {
	pthread_t tid;
	atomic_bool stop, drain;
	const struct config *cfg;
	struct sink *eve;
	struct eve_cfg ec;
	struct hids_ruleset *rs;
	struct hids_state *st;
	struct hids_inputs *in;
	struct hids_event ev;
	struct jbuf jb;
	char host[256];
	atomic_uint_fast64_t lines, alerts, reloads, dropped;
	atomic_bool reload_req;
	/* lines from agents (other threads) */
	pthread_mutex_t lock;
	struct submitted q[SUBMIT_MAX];
	size_t qhead, qcnt;
};

static int load(struct hids_run *h, struct verr *e)
{
	struct hids_paths p = { .dir = h->cfg->hids_ruleset };
	p.exclude[0] = "0215-policy_rules.xml";
	p.exclude[1] = "policy_rules.xml";
	struct hids_ruleset *rs = NULL;
	double t0 = now_mono();
	if (hids_ruleset_load(&rs, &p, NULL, e) < 0)
		return V_EINVAL;
	struct hids_state *st = hids_state_new(rs);
	if (!st) {
		hids_ruleset_free(rs);
		return verr_set(e, V_ENOMEM, "out of memory");
	}
	hids_state_free(h->st);
	hids_ruleset_free(h->rs);
	h->rs = rs;
	h->st = st;
	log_info("host IDS: %zu decoders, %zu rules from %s in %.2f s (%zu warnings)",
		 hids_ruleset_decoders(rs), hids_ruleset_rules(rs), h->cfg->hids_ruleset, now_mono() - t0,
		 hids_ruleset_warnings(rs));
	return 0;
}

static void analyse(struct hids_run *h, const char *vm, const char *location, const char *line,
		    size_t len)
{
	atomic_fetch_add(&h->lines, 1);
	if (hids_event_set(&h->ev, location, line, len) < 0)
		return;
	h->ev.agent = vm;
	if (hids_analyze(h->rs, h->st, &h->ev, vm ? vm : h->host) < 0 || !h->ev.rule || !h->ev.alert ||
	    hids_rule_level(h->ev.rule) < (int)h->cfg->hids_alert_level || !h->eve)
		return;
	atomic_fetch_add(&h->alerts, 1);
	struct jbuf *jb = &h->jb;
	jb_reset(jb);
	eve_header(jb, h->ev.time_us, "hids", NULL, NULL, &h->ec);
	/* the VM the line concerns: an agent's (from its channel, never
	 * from the record), else this one */
	jb_str(jb, "vm", vm ? vm : h->host);
	jb_open_object(jb, "hids");
	hids_event_json(&h->ev, jb);
	jb_open_object(jb, "agent");
	jb_str(jb, "name", vm ? vm : h->host);
	jb_close(jb);
	jb_close(jb);
	jb_close(jb);
	jb_append(jb, "\n", 1);
	if (!jb->oom)
		sink_write(h->eve, jb->buf, jb->len);
}

static void on_line(void *ctx, const char *location, const char *line, size_t len)
{
	analyse(ctx, NULL, location, line, len);
}

/* The agents' lines queued by hids_run_submit. */
static size_t take_submitted(struct hids_run *h)
{
	size_t n = 0;
	for (;;) {
		struct submitted s;
		pthread_mutex_lock(&h->lock);
		if (!h->qcnt) {
			pthread_mutex_unlock(&h->lock);
			return n;
		}
		s = h->q[h->qhead];
		h->qhead = (h->qhead + 1) % SUBMIT_MAX;
		h->qcnt--;
		pthread_mutex_unlock(&h->lock);
		analyse(h, s.vm, s.location, s.line, strlen(s.line));
		free(s.vm);
		free(s.location);
		free(s.line);
		n++;
	}
}

static void *hids_main(void *arg)
{
	struct hids_run *h = arg;
	double last_save = now_mono();
	for (;;) {
		if (engine_hids_reload || atomic_exchange(&h->reload_req, false)) {
			engine_hids_reload = 0;
			struct verr e = { "" };
			if (load(h, &e) < 0)
				log_err("host IDS reload failed: %s; keeping the running rules", e.msg);
			else
				atomic_fetch_add(&h->reloads, 1);
		}
		size_t n = hids_inputs_poll(h->in, 1024, on_line, h);
		n += take_submitted(h);
		if (now_mono() - last_save > 5) {
			struct verr e = { "" };
			if (hids_inputs_save(h->in, &e) < 0)
				log_warn("host IDS positions: %s", e.msg);
			last_save = now_mono();
		}
		if (n)
			continue;
		/* nothing to read: stop if asked (a drain waits for this) */
		if (atomic_load(&h->stop))
			break;
		usleep(100 * 1000);
	}
	struct verr e = { "" };
	if (hids_inputs_save(h->in, &e) < 0)
		log_warn("host IDS positions: %s", e.msg);
	return NULL;
}

struct hids_run *hids_run_start(const struct config *cfg, struct sink *eve, struct verr *e)
{
	if (!cfg->hids_enabled)
		return NULL;
	struct hids_run *h = calloc(1, sizeof(*h));
	if (!h) {
		verr_set(e, V_ENOMEM, "out of memory");
		return NULL;
	}
	h->cfg = cfg;
	h->eve = eve;
	eve_cfg_from(&h->ec, cfg);
	pthread_mutex_init(&h->lock, NULL);
	hids_event_init(&h->ev);
	gethostname(h->host, sizeof(h->host) - 1);
	char *dot = strchr(h->host, '.');
	if (dot)
		*dot = 0;
	char pos[4096];
	if (cfg->hids_positions[0] == '/')
		snprintf(pos, sizeof(pos), "%s", cfg->hids_positions);
	else
		snprintf(pos, sizeof(pos), "%s/%s", cfg->log_dir, cfg->hids_positions);
	if (load(h, e) < 0 || !(h->in = hids_inputs_new(*cfg->hids_positions ? pos : NULL,
							 cfg->hids_read_from == 1)))
		goto fail;
	for (size_t i = 0; i < cfg->hids_log_files.cnt; i++)
		if (hids_inputs_add_file(h->in, cfg->hids_log_files.v[i], e) < 0)
			goto fail;
	if (cfg->hids_journal && hids_inputs_add_journal(h->in, e) < 0)
		goto fail;
	if (pthread_create(&h->tid, NULL, hids_main, h)) {
		verr_set(e, V_ENOMEM, "cannot start the host IDS thread");
		goto fail;
	}
	return h;
fail:
	hids_inputs_free(h->in);
	hids_state_free(h->st);
	hids_ruleset_free(h->rs);
	hids_event_fini(&h->ev);
	pthread_mutex_destroy(&h->lock);
	free(h);
	return NULL;
}

void hids_run_stop(struct hids_run *h)
{
	if (!h)
		return;
	atomic_store(&h->stop, true);
	pthread_join(h->tid, NULL);
	log_info("host IDS: %llu lines, %llu alerts, %llu reloads",
		 (unsigned long long)atomic_load(&h->lines), (unsigned long long)atomic_load(&h->alerts),
		 (unsigned long long)atomic_load(&h->reloads));
	for (size_t i = 0; i < h->qcnt; i++) {
		struct submitted *s = &h->q[(h->qhead + i) % SUBMIT_MAX];
		free(s->vm);
		free(s->location);
		free(s->line);
	}
	hids_inputs_free(h->in);
	hids_state_free(h->st);
	hids_ruleset_free(h->rs);
	hids_event_fini(&h->ev);
	jb_fini(&h->jb);
	pthread_mutex_destroy(&h->lock);
	free(h);
}

void hids_run_reload(struct hids_run *h)
{
	if (h)
		atomic_store(&h->reload_req, true);
}

bool hids_run_submit(struct hids_run *h, const char *vm, const char *location, const char *line,
		     size_t len)
{
	if (!h)
		return false;
	struct submitted s = { strdup(vm ? vm : ""), strdup(location ? location : "agent"),
			       strndup(line, len) };
	bool ok = s.vm && s.location && s.line;
	pthread_mutex_lock(&h->lock);
	if (ok && h->qcnt < SUBMIT_MAX) {
		h->q[(h->qhead + h->qcnt) % SUBMIT_MAX] = s;
		h->qcnt++;
	} else {
		ok = false;
	}
	pthread_mutex_unlock(&h->lock);
	if (!ok) {
		atomic_fetch_add(&h->dropped, 1);
		free(s.vm);
		free(s.location);
		free(s.line);
	}
	return ok;
}

void hids_run_stats(const struct hids_run *h, struct hids_run_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!h)
		return;
	st->lines = atomic_load(&h->lines);
	st->alerts = atomic_load(&h->alerts);
	st->reloads = atomic_load(&h->reloads);
	st->dropped = atomic_load(&h->dropped);
}
