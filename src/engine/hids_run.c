/*
 * hids_run.c - the host IDS inside the sensor: one thread that reads the
 * log sources (hids.log-files, hids.journal; agents' records through
 * their receivers' socket), runs each line through the OSSEC/Wazuh ruleset, and
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

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <jansson.h>

#include "agentproto.h"
#include "eve.h"
#include "fim.h"
#include "hids.h"
#include "input.h"
#include "json.h"
#include "log.h"
#include "util.h"

volatile sig_atomic_t engine_hids_reload;

#define AGENT_CLIENTS 32     /* receivers connected at once */
#define AGENT_LINE_MAX (640 * 1024)  /* an agent record, with the vm added */
#define AGENT_VMS 4096       /* agents remembered (the silent longest goes) */
#define EVE_SCAN_BYTES (8u << 20)

struct agent_client {
	int fd;
	char *buf;
	size_t len;
	struct jbuf out;
	double last;          /* when it last sent something */
	char vm[64];          /* the VM its records are for, once known */
};

#define AGENT_IDLE 600        /* seconds a receiver may stay silent */

struct agent_seq {
	char vm[64];
	char epoch[40];
	uint64_t last;
	uint64_t seen;        /* when a record last came (seconds) */
};

struct hids_run {
	pthread_t tid;
	bool started;
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
	atomic_uint_fast64_t lines, alerts, reloads;
	atomic_bool reload_req;
	/* agents' records, through vigil agent-recv */
	int listen_fd;
	char sock_path[4096], state_path[4096];
	struct agent_client cl[AGENT_CLIENTS];
	struct agent_seq *seqs;
	size_t nseqs;
	bool seqs_dirty;
	uint64_t agent_seq;     /* of the record being analysed, or 0 */
	const char *agent_epoch;
	struct fim *fim;        /* this VM's file integrity monitoring, or NULL */
};

static int load(struct hids_run *h, struct verr *e)
{
	struct hids_paths p = { .dir = h->cfg->hids_ruleset };
	const struct strlist *ex = &h->cfg->hids_rule_exclude;
	if (ex->cnt > ARRAY_SIZE(p.exclude)) {
		verr_set(e, V_EINVAL, "hids.rule-exclude: at most %zu files", ARRAY_SIZE(p.exclude));
		return V_EINVAL;
	}
	for (size_t i = 0; i < ex->cnt; i++)
		p.exclude[i] = ex->v[i];
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
		    size_t len, uint64_t t)
{
	atomic_fetch_add(&h->lines, 1);
	if (hids_event_set(&h->ev, location, line, len) < 0)
		return;
	h->ev.time_us = t;
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
	if (h->agent_seq) {
		jb_u64(jb, "agent_seq", h->agent_seq);
		jb_str(jb, "agent_epoch", h->agent_epoch);
	}
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

/* ---- agents ---------------------------------------------------------- */

static struct agent_seq *seq_of(struct hids_run *h, const char *vm, bool add)
{
	for (size_t i = 0; i < h->nseqs; i++)
		if (!strcmp(h->seqs[i].vm, vm))
			return &h->seqs[i];
	if (!add || strlen(vm) >= sizeof(h->seqs[0].vm))
		return NULL;
	if (h->nseqs >= AGENT_VMS) {
		/* full (disposable VMs come and go): the one silent longest is
		 * forgotten; should it come back, it starts afresh */
		size_t o = 0;
		for (size_t i = 1; i < h->nseqs; i++)
			if (h->seqs[i].seen < h->seqs[o].seen)
				o = i;
		memset(&h->seqs[o], 0, sizeof(h->seqs[o]));
		strcpy(h->seqs[o].vm, vm);
		h->seqs_dirty = true;
		return &h->seqs[o];
	}
	struct agent_seq *n = realloc(h->seqs, (h->nseqs + 1) * sizeof(*n));
	if (!n)
		return NULL;
	h->seqs = n;
	memset(&n[h->nseqs], 0, sizeof(n[0]));
	strcpy(n[h->nseqs].vm, vm);
	return &n[h->nseqs++];
}

/* What was taken before: the state file, and (for a crash between the
 * event stream and the state file) the records in eve.json's tail. */
static void seqs_load(struct hids_run *h)
{
	json_error_t je;
	json_t *st = json_load_file(h->state_path, 0, &je);
	const char *k;
	json_t *v;
	json_object_foreach(st, k, v) {
		struct agent_seq *a = seq_of(h, k, true);
		if (!a)
			continue;
		if (json_is_integer(v)) {
			a->last = (uint64_t)json_integer_value(v);
		} else {
			a->last = (uint64_t)json_integer_value(json_object_get(v, "last"));
			a->seen = (uint64_t)json_integer_value(json_object_get(v, "seen"));
			const char *ep = json_string_value(json_object_get(v, "epoch"));
			if (ep)
				str_lcpy(a->epoch, ep, sizeof(a->epoch));
		}
	}
	json_decref(st);
	const char *eve = h->eve ? sink_path(h->eve) : NULL;
	FILE *f = eve ? fopen(eve, "r") : NULL;
	if (!f)
		return;
	if (fseeko(f, 0, SEEK_END) == 0 && ftello(f) > (off_t)EVE_SCAN_BYTES)
		fseeko(f, -(off_t)EVE_SCAN_BYTES, SEEK_END);
	else
		fseeko(f, 0, SEEK_SET);
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		if (!strstr(line, "\"agent_seq\""))
			continue;
		json_t *r = json_loads(line, 0, &je);
		const char *vm = json_string_value(json_object_get(r, "vm"));
		const char *ep = json_string_value(json_object_get(r, "agent_epoch"));
		json_t *sq = json_object_get(r, "agent_seq");
		struct agent_seq *a = vm && json_is_integer(sq) ? seq_of(h, vm, true) : NULL;
		/* records in time order: a new epoch replaces what came before */
		if (a && ep && strcmp(ep, a->epoch)) {
			str_lcpy(a->epoch, ep, sizeof(a->epoch));
			a->last = (uint64_t)json_integer_value(sq);
		} else if (a && (uint64_t)json_integer_value(sq) > a->last) {
			a->last = (uint64_t)json_integer_value(sq);
		}
		json_decref(r);
	}
	free(line);
	fclose(f);
}

static void seqs_save(struct hids_run *h)
{
	if (!*h->state_path)
		h->seqs_dirty = false; /* kept nowhere (hids.agent-state empty) */
	if (!h->seqs_dirty)
		return;
	json_t *o = json_object();
	for (size_t i = 0; o && i < h->nseqs; i++)
		json_object_set_new(o, h->seqs[i].vm, json_pack("{s:I,s:s,s:I}", "last", (json_int_t)h->seqs[i].last,
								 "epoch", h->seqs[i].epoch, "seen",
								 (json_int_t)h->seqs[i].seen));
	char *s = o ? json_dumps(o, JSON_SORT_KEYS) : NULL;
	json_decref(o);
	if (s && file_write_atomic(h->state_path, s, strlen(s), 0600) == 0)
		h->seqs_dirty = false;
	else
		log_warn("%s: cannot write the agents' state", h->state_path);
	free(s);
}

static void agent_listen(struct hids_run *h)
{
	if (!*h->sock_path)
		return;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (strlen(h->sock_path) >= sizeof(sa.sun_path)) {
		log_warn("%s: path too long for a socket; no agents", h->sock_path);
		return;
	}
	strcpy(sa.sun_path, h->sock_path);
	unlink(h->sock_path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	mode_t old = umask(0077);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		log_warn("%s: %s; no agents", h->sock_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		umask(old);
		return;
	}
	umask(old);
	/* vigil agent-recv runs as vigil's user once the sensor has dropped
	 * to it: the socket is that user's */
	if (*h->cfg->run_user) {
		struct passwd *pw = getpwnam(h->cfg->run_user);
		if (pw && chown(h->sock_path, pw->pw_uid, pw->pw_gid) < 0)
			log_warn("%s: %s", h->sock_path, strerror(errno));
	}
	h->listen_fd = fd;
}

static void client_drop(struct agent_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	free(c->buf);
	c->buf = NULL;
	c->len = 0;
	c->vm[0] = 0;
	jb_fini(&c->out);
}

static void fim_record(struct hids_run *h, const char *vm, uint64_t seq, const char *body)
{
	if (!body || !h->eve)
		return;
	struct jbuf *jb = &h->jb;
	jb_reset(jb);
	eve_header(jb, now_wall(), "fim", NULL, NULL, &h->ec);
	jb_str(jb, "vm", vm);
	jb_u64(jb, "agent_seq", seq);
	jb_str(jb, "agent_epoch", h->agent_epoch);
	jb_raw(jb, "fim", body);
	jb_close(jb);
	jb_append(jb, "\n", 1);
	if (!jb->oom)
		sink_write(h->eve, jb->buf, jb->len);
}

static void dropped_record(struct hids_run *h, const char *vm, uint64_t seq, uint64_t count)
{
	if (!h->eve)
		return;
	struct jbuf *jb = &h->jb;
	jb_reset(jb);
	eve_header(jb, now_wall(), "agent", NULL, NULL, &h->ec);
	jb_str(jb, "vm", vm);
	jb_u64(jb, "agent_seq", seq);
	jb_str(jb, "agent_epoch", h->agent_epoch);
	jb_open_object(jb, "agent");
	jb_str(jb, "event", "records_dropped");
	jb_u64(jb, "count", count);
	jb_close(jb);
	jb_close(jb);
	jb_append(jb, "\n", 1);
	if (!jb->oom)
		sink_write(h->eve, jb->buf, jb->len);
}

/* One record from a receiver: taken if it is the next of its VM, acked
 * if taken or already taken, else the number wanted next. */
static void agent_record(struct hids_run *h, struct agent_client *c, const char *line, size_t len)
{
	struct hids_arec r;
	char ans[64];
	uint64_t want = 0;
	struct agent_seq *a = NULL;
	if (hids_arec_parse(line, len, &r) < 0) {
		snprintf(ans, sizeof(ans), "{\"error\":\"malformed\"}\n");
		goto reply;
	}
	if (strcmp(c->vm, r.vm)) {
		/* one connection per VM: a newer one replaces an older (a hostile
		 * VM cannot hold every slot with calls of its own) */
		for (int i = 0; i < AGENT_CLIENTS; i++)
			if (&h->cl[i] != c && h->cl[i].fd >= 0 && !strcmp(h->cl[i].vm, r.vm))
				client_drop(&h->cl[i]);
		str_lcpy(c->vm, r.vm, sizeof(c->vm));
	}
	if (!(a = seq_of(h, r.vm, true))) {
		snprintf(ans, sizeof(ans), "{\"error\":\"too many agents\"}\n");
		goto reply;
	}
	if (strcmp(r.epoch, a->epoch)) {
		/* another spool under this name (a recreated VM): afresh */
		str_lcpy(a->epoch, r.epoch, sizeof(a->epoch));
		a->last = 0;
		h->seqs_dirty = true;
	}
	h->agent_epoch = a->epoch;
	a->seen = now_wall() / 1000000u;
	if (r.type == HAR_GAP) {
		if (r.seq > a->last) {
			h->agent_seq = r.seq;
			dropped_record(h, r.vm, r.seq, r.seq - MAX(a->last + 1, r.from) + 1);
			h->agent_seq = 0;
			a->last = r.seq;
			h->seqs_dirty = true;
		}
		snprintf(ans, sizeof(ans), "{\"ack\":%llu}\n", (unsigned long long)r.seq);
		goto reply;
	}
	switch (hids_seq_check(a->last, r.seq, &want)) {
	case HSEQ_DUP:
		snprintf(ans, sizeof(ans), "{\"ack\":%llu}\n", (unsigned long long)r.seq);
		goto reply;
	case HSEQ_WANT:
		snprintf(ans, sizeof(ans), "{\"want\":%llu}\n", (unsigned long long)want);
		goto reply;
	case HSEQ_TAKE:
		break;
	}
	h->agent_seq = r.seq;
	/* the agent's time, if it is a plausible one: a backlog flushed after
	 * a break keeps its spacing for the frequency rules */
	uint64_t now = now_wall(), t = r.time_us;
	if (t && (t > now + 300000000ull || now - t > 30ull * 86400 * 1000000))
		t = 0;
	if (r.type == HAR_LOG)
		analyse(h, r.vm, r.location, r.line, MIN(r.line_len, (size_t)HIDS_LINE_MAX), t);
	else if (r.type == HAR_FIM)
		fim_record(h, r.vm, r.seq, r.event);
	else if (r.type == HAR_DROPPED)
		dropped_record(h, r.vm, r.seq, r.count);
	h->agent_seq = 0;
	a->last = r.seq;
	h->seqs_dirty = true;
	snprintf(ans, sizeof(ans), "{\"ack\":%llu}\n", (unsigned long long)r.seq);
reply:
	jb_append(&c->out, ans, strlen(ans));
	hids_arec_fini(&r);
}

static bool peer_allowed(int fd)
{
	struct ucred uc;
	socklen_t ul = sizeof(uc);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &ul) < 0)
		return false;
	return uc.uid == 0 || uc.uid == geteuid();
}

/* Waits up to ms for agents' records and handles them; the number
 * handled. */
static size_t agent_poll(struct hids_run *h, int ms)
{
	struct pollfd pf[AGENT_CLIENTS + 1];
	int idx[AGENT_CLIENTS + 1];
	nfds_t n = 0;
	if (h->listen_fd >= 0) {
		pf[n].fd = h->listen_fd;
		pf[n].events = POLLIN;
		idx[n++] = -1;
	}
	for (int i = 0; i < AGENT_CLIENTS; i++)
		if (h->cl[i].fd >= 0) {
			pf[n].fd = h->cl[i].fd;
			pf[n].events = POLLIN | (h->cl[i].out.len ? POLLOUT : 0);
			idx[n++] = i;
		}
	if (!n) {
		usleep((useconds_t)ms * 1000);
		return 0;
	}
	if (poll(pf, n, ms) <= 0)
		return 0;
	size_t done = 0;
	double now = now_mono();
	for (int i = 0; i < AGENT_CLIENTS; i++)
		if (h->cl[i].fd >= 0 && now - h->cl[i].last > AGENT_IDLE)
			client_drop(&h->cl[i]);
	for (nfds_t k = 0; k < n; k++) {
		if (!pf[k].revents)
			continue;
		if (idx[k] < 0) {
			int fd = accept4(h->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
			if (fd < 0)
				continue;
			int slot = -1;
			for (int i = 0; i < AGENT_CLIENTS && slot < 0; i++)
				if (h->cl[i].fd < 0)
					slot = i;
			if (slot < 0 || !peer_allowed(fd) || !(h->cl[slot].buf = malloc(AGENT_LINE_MAX))) {
				close(fd);
				continue;
			}
			h->cl[slot].fd = fd;
			h->cl[slot].len = 0;
			h->cl[slot].last = now_mono();
			continue;
		}
		struct agent_client *c = &h->cl[idx[k]];
		if (pf[k].revents & (POLLIN | POLLHUP | POLLERR)) {
			ssize_t r = read(c->fd, c->buf + c->len, AGENT_LINE_MAX - c->len);
			if (r <= 0) {
				if (r < 0 && (errno == EAGAIN || errno == EINTR))
					continue;
				client_drop(c);
				continue;
			}
			c->len += (size_t)r;
			c->last = now_mono();
			char *start = c->buf, *nl;
			while ((nl = memchr(start, '\n', c->len - (size_t)(start - c->buf)))) {
				agent_record(h, c, start, (size_t)(nl - start));
				done++;
				start = nl + 1;
			}
			c->len -= (size_t)(start - c->buf);
			memmove(c->buf, start, c->len);
			if (c->len == AGENT_LINE_MAX) {
				log_warn("an agent record over %u bytes: connection closed", AGENT_LINE_MAX);
				client_drop(c);
				continue;
			}
		}
	}
	/* what was taken is on record before it is acknowledged; if it cannot
	 * be, no acknowledgement goes out: the receivers are let go and their
	 * agents send again later */
	if (done && (seqs_save(h), h->seqs_dirty)) {
		for (int i = 0; i < AGENT_CLIENTS; i++)
			client_drop(&h->cl[i]);
		return done;
	}
	for (int i = 0; i < AGENT_CLIENTS; i++) {
		struct agent_client *c = &h->cl[i];
		while (c->fd >= 0 && c->out.len) {
			/* a receiver that went away must not take the sensor with it */
			ssize_t w = send(c->fd, c->out.buf, c->out.len, MSG_NOSIGNAL);
			if (w < 0 && errno == EINTR)
				continue;
			if (w < 0 && errno == EAGAIN)
				break;
			if (w <= 0) {
				client_drop(c);
				break;
			}
			memmove(c->out.buf, c->out.buf + w, c->out.len - (size_t)w);
			c->out.len -= (size_t)w;
		}
	}
	return done;
}

/* A file integrity event of this VM (hids.fim.*). */
static void on_fim(void *ctx, const char *js, size_t len)
{
	struct hids_run *h = ctx;
	if (!h->eve)
		return;
	struct jbuf *jb = &h->jb;
	jb_reset(jb);
	eve_header(jb, now_wall(), "fim", NULL, NULL, &h->ec);
	jb_str(jb, "vm", h->host);
	char *body = strndup(js, len);
	if (body)
		jb_raw(jb, "fim", body);
	free(body);
	jb_close(jb);
	jb_append(jb, "\n", 1);
	if (!jb->oom)
		sink_write(h->eve, jb->buf, jb->len);
}

static void fim_step(struct hids_run *h)
{
	if (!h->fim)
		return;
	struct pollfd pf = { fim_fd(h->fim), POLLIN, 0 };
	bool ready = pf.fd >= 0 && poll(&pf, 1, 0) > 0;
	if (ready || fim_timeout_ms(h->fim) == 0) {
		struct verr e = { "" };
		if (fim_process(h->fim, &e) < 0)
			log_warn("file integrity: %s", e.msg);
	}
}

static void on_line(void *ctx, const char *location, const char *line, size_t len)
{
	analyse(ctx, NULL, location, line, len, 0);
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
		n += agent_poll(h, 0);
		fim_step(h);
		if (now_mono() - last_save > 5) {
			struct verr e = { "" };
			if (hids_inputs_save(h->in, &e) < 0)
				log_warn("host IDS positions: %s", e.msg);
			last_save = now_mono();
		}
		/* stop when asked: reading a capture file, once the sources are
		 * read to their end; live, after this batch */
		if (atomic_load(&h->stop) && (!n || !atomic_load(&h->drain)))
			break;
		if (n)
			continue;
		agent_poll(h, 100);
	}
	seqs_save(h);
	struct verr e = { "" };
	if (hids_inputs_save(h->in, &e) < 0)
		log_warn("host IDS positions: %s", e.msg);
	return NULL;
}

/* Everything hids_run_start made (the thread is not running). */
static void hids_run_free(struct hids_run *h)
{
	fim_free(h->fim);
	for (int i = 0; i < AGENT_CLIENTS; i++)
		client_drop(&h->cl[i]);
	if (h->listen_fd >= 0) {
		close(h->listen_fd);
		unlink(h->sock_path);
	}
	free(h->seqs);
	hids_inputs_free(h->in);
	hids_state_free(h->st);
	hids_ruleset_free(h->rs);
	hids_event_fini(&h->ev);
	jb_fini(&h->jb);
	free(h);
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
	hids_event_init(&h->ev);
	gethostname(h->host, sizeof(h->host) - 1);
	char *dot = strchr(h->host, '.');
	if (dot)
		*dot = 0;
	char pos[4096];
	config_log_path(cfg, cfg->hids_positions, pos, sizeof(pos));
	h->listen_fd = -1;
	for (int i = 0; i < AGENT_CLIENTS; i++)
		h->cl[i].fd = -1;
	if (*cfg->hids_agent_socket)
		config_log_path(cfg, cfg->hids_agent_socket, h->sock_path, sizeof(h->sock_path));
	if (*cfg->hids_agent_state)
		config_log_path(cfg, cfg->hids_agent_state, h->state_path, sizeof(h->state_path));
	if (load(h, e) < 0 || !(h->in = hids_inputs_new(*cfg->hids_positions ? pos : NULL,
							 cfg->hids_read_from == 1)))
		goto fail;
	for (size_t i = 0; i < cfg->hids_log_files.cnt; i++)
		if (hids_inputs_add_file(h->in, cfg->hids_log_files.v[i], e) < 0)
			goto fail;
	if (cfg->hids_journal && hids_inputs_add_journal(h->in, cfg->hids_journal_dir, e) < 0)
		goto fail;
	seqs_load(h);
	agent_listen(h);
	if (cfg->hids_fim_paths.cnt || cfg->hids_fim_honeyfiles.cnt) {
		char db[4096];
		config_log_path(cfg, cfg->hids_fim_db, db, sizeof(db));
		struct fim_config fc = {
			.trees = (const char *const *)cfg->hids_fim_paths.v, .tree_cnt = cfg->hids_fim_paths.cnt,
			.ignore = (const char *const *)cfg->hids_fim_ignore.v, .ignore_cnt = cfg->hids_fim_ignore.cnt,
			.honeyfiles = (const char *const *)cfg->hids_fim_honeyfiles.v,
			.honeyfile_cnt = cfg->hids_fim_honeyfiles.cnt, .db_path = db, .diff = cfg->hids_fim_diff,
			.interval = (unsigned)cfg->hids_fim_interval, .realtime = true, .emit = on_fim, .emit_ctx = h,
		};
		double t0 = now_mono();
		if (fim_new(&h->fim, &fc, e) < 0 || fim_scan(h->fim, e) < 0)
			goto fail;
		struct fim_stats fs;
		fim_get_stats(h->fim, &fs);
		log_info("file integrity: %llu files in the baseline, %llu watches, in %.2f s",
			 (unsigned long long)fs.files, (unsigned long long)fs.watches, now_mono() - t0);
	}
	/* the files are opened now, while vigil may still read them all; the
	 * thread starts after privileges are dropped (hids_run_go), so that
	 * the code reading hostile input never holds them */
	hids_inputs_poll(h->in, 0, on_line, h);
	return h;
fail:
	hids_run_free(h);
	return NULL;
}

int hids_run_go(struct hids_run *h, struct verr *e)
{
	if (!h || h->started)
		return 0;
	if (pthread_create(&h->tid, NULL, hids_main, h))
		return verr_set(e, V_ENOMEM, "cannot start the host IDS thread");
	h->started = true;
	return 0;
}

void hids_run_stop(struct hids_run *h, bool drain)
{
	if (!h)
		return;
	atomic_store(&h->drain, drain);
	atomic_store(&h->stop, true);
	if (h->started)
		pthread_join(h->tid, NULL);
	log_info("host IDS: %llu lines, %llu alerts, %llu reloads",
		 (unsigned long long)atomic_load(&h->lines), (unsigned long long)atomic_load(&h->alerts),
		 (unsigned long long)atomic_load(&h->reloads));
	hids_run_free(h);
}

void hids_run_reload(struct hids_run *h)
{
	if (h)
		atomic_store(&h->reload_req, true);
}

void hids_run_stats(const struct hids_run *h, struct hids_run_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!h)
		return;
	st->lines = atomic_load(&h->lines);
	st->alerts = atomic_load(&h->alerts);
	st->reloads = atomic_load(&h->reloads);
}
