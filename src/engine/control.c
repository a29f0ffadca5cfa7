/*
 * control.c - see control.h.  The reloads first, then the socket's
 * transport (accept, line framing, answers), then the commands.
 */
#include "control.h"
#include "hids_run.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <jansson.h>
#include <malloc.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "alloc.h"
#include "blocklist.h"
#include "eve.h"
#include "fanout.h"
#include "identity.h"
#include "log.h"
#include "respond.h"
#include "util.h"

/* ---- reloads ---- */

/* True once every worker has seen gen g (or a later one). */
static bool workers_saw(const struct control *ct, unsigned g)
{
	for (unsigned i = 0; i < ct->n; i++)
		if ((int)(atomic_load(&ct->ws[i]->seen_gen) - g) < 0)
			return false;
	return true;
}

/* Whether identity.file's modification time differs from *seen (the
 * running map's, or that of a version that failed to load); updates it. */
static bool identity_file_changed(const struct config *cfg, struct timespec *seen)
{
	struct stat st;
	if (!cfg->identity_file || !*cfg->identity_file || stat(cfg->identity_file, &st) < 0)
		return false;
	if (st.st_mtim.tv_sec == seen->tv_sec && st.st_mtim.tv_nsec == seen->tv_nsec)
		return false;
	*seen = st.st_mtim;
	return true;
}

static void identity_free_v(void *p) { identity_free(p); }
static void blocklists_free_v(void *p) { blocklists_free(p); }

static void retired_sweep(struct retired *r, const struct control *ct, bool all)
{
	unsigned k = 0;
	bool freed = false;
	for (unsigned i = 0; i < r->n; i++) {
		if (all || workers_saw(ct, r->gen[i])) {
			r->free[i](r->v[i]);
			freed = true;
		} else {
			r->v[k] = r->v[i];
			r->free[k] = r->free[i];
			r->gen[k++] = r->gen[i];
		}
	}
	r->n = k;
	if (freed && !all)
		malloc_trim(0); /* a big list's memory back to the system */
}

/* Publishes next in *slot and retires the old one. */
static void publish(struct control *ct, void *_Atomic *slot, void *next, void (*fr)(void *))
{
	struct retired *r = &ct->ret;
	r->v[r->n] = atomic_exchange(slot, next);
	r->free[r->n] = fr;
	r->gen[r->n++] = atomic_fetch_add(&ct->rules->gen, 1) + 1;
}

/* Frees what the workers have let go of. */
static void sweep(struct control *ct)
{
	retired_sweep(&ct->ret, ct, false);
	if (ct->old && workers_saw(ct, ct->old_gen)) {
		/* free the previous engine once every worker has moved on */
		detect_engine_free(ct->old);
		malloc_trim(0); /* the old engine's memory back to the system */
		ct->old = NULL;
	}
}

/* Waits (sweeping) until fewer than `room` replaced maps wait to be freed
 * and no old rule engine does, at most secs; whether it got there. */
static bool wait_room(struct control *ct, double secs)
{
	double end = now_mono() + secs;
	for (;;) {
		sweep(ct);
		if (ct->ret.n + 2 <= RETIRED_MAX && !ct->old)
			return true;
		if (now_mono() > end)
			return false;
		struct timespec d = { 0, 2 * 1000000 };
		nanosleep(&d, NULL);
	}
}

static int identity_reload(struct control *ct, struct verr *e)
{
	if (ct->ret.n >= RETIRED_MAX)
		return verr_set(e, V_EAGAIN, "busy: earlier maps are still in use");
	struct identity *next = identity_load(ct->cfg, e);
	if (!next)
		return V_EINVAL;
	ct->seen = identity_file_mtime(next);
	publish(ct, (void *_Atomic *)&ct->rules->idm, next, identity_free_v);
	atomic_fetch_add(&ct->rules->identity_reloads, 1);
	log_info("identity reloaded: %u VMs", identity_count(next));
	return 0;
}

/* One step of a list reload pass: lists one at a time, each once the
 * workers have let go of the previous one, so only one list is ever held
 * twice. */
static void list_step(struct control *ct)
{
	unsigned lists_waiting = 0;
	for (unsigned k = 0; k < ct->ret.n; k++)
		lists_waiting += ct->ret.free[k] == blocklists_free_v;
	if (ct->list_from < 0 || lists_waiting || ct->ret.n >= RETIRED_MAX)
		return;
	struct blocklists *cur = atomic_load(&ct->rules->bl);
	int i = blocklists_due(cur, (unsigned)ct->list_from, ct->list_all);
	if (i < 0) {
		ct->list_from = -1;
		return;
	}
	ct->list_from = i + 1;
	struct verr e = { "" };
	double t0 = now_mono();
	struct blocklists *next = blocklists_rebuild(cur, ct->cfg, (unsigned)i, &e);
	if (!next) {
		log_err("blocklist reload failed: %s; keeping the running list", e.msg);
		/* retried only when a file changes again */
		ct->failed_stamp = blocklists_files_stamp(ct->cfg);
		return;
	}
	publish(ct, (void *_Atomic *)&ct->rules->bl, next, blocklists_free_v);
	atomic_fetch_add(&ct->rules->list_reloads, 1);
	log_info("blocklist %s reloaded in %.2f s: lists now %llu entries, %.1f MB",
		 blocklists_name_of(next, (unsigned)i), now_mono() - t0,
		 (unsigned long long)blocklists_entries(next), (double)blocklists_memory(next) / 1e6);
}

/* Loads the rules again beside the running engine (one at a time); st
 * says how it went. */
static int rule_reload(struct control *ct, struct detect_load_stats *st, struct verr *e)
{
	if (ct->old)
		return verr_set(e, V_EAGAIN, "busy: the previous rules are still in use");
	log_info("reloading rules");
	struct detect_engine *next = detect_engine_load(ct->cfg, ct->files, true, st, e);
	if (!next) {
		log_err("rule reload failed: %s; keeping the running rules", e->msg);
		return V_EINVAL;
	}
	ct->old = atomic_exchange(&ct->rules->cur, next);
	ct->old_gen = atomic_fetch_add(&ct->rules->gen, 1) + 1;
	atomic_fetch_add(&ct->rules->reloads, 1);
	log_info("rules reloaded: %u loaded, %u skipped, %u invalid in %.2f s; prefilter "
		 "databases: %u shared with the running rules, %u read from the cache, %u "
		 "compiled, %u left to the background", st->loaded, st->skipped, st->invalid,
		 st->seconds, st->mpm_shared, st->mpm_cached, st->mpm_compiled, st->mpm_deferred);
	return 0;
}

/* ---- the socket's transport ---- */

static void client_close(struct ctl_client *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	v_free(c->in);
	c->in = NULL;
	c->inlen = 0;
	jb_fini(&c->out);
	c->outoff = 0;
	c->closing = false;
}

static void client_flush(struct ctl_client *c)
{
	while (c->outoff < c->out.len) {
		ssize_t w = send(c->fd, c->out.buf + c->outoff, c->out.len - c->outoff,
				 MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (w <= 0) {
			client_close(c);
			return;
		}
		c->outoff += (size_t)w;
	}
	jb_reset(&c->out);
	c->outoff = 0;
	if (c->closing)
		client_close(c);
}

static void reply_err(struct jbuf *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reply_err(struct jbuf *r, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	jb_reset(r);
	jb_open_object(r, NULL);
	jb_str(r, "return", "NOK");
	jb_str(r, "message", msg);
	jb_close(r);
}


static void client_read(struct control *ct, struct ctl_client *c)
{
	char buf[16384];
	ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n <= 0) {
		client_close(c);
		return;
	}
	size_t start = 0;
	for (size_t i = 0; i < (size_t)n && c->fd >= 0 && !c->closing; i++) {
		if (buf[i] != '\n')
			continue;
		size_t part = i - start;
		if (c->inlen + part > CTL_MAX_LINE)
			goto too_long;
		if (c->inlen) {
			char *ni = v_realloc(c->in, c->inlen + part + 1);
			if (!ni)
				goto oom;
			c->in = ni;
			memcpy(c->in + c->inlen, buf + start, part);
			control_handle_line(ct, c, c->in, c->inlen + part);
			c->inlen = 0;
		} else {
			control_handle_line(ct, c, buf + start, part);
		}
		start = i + 1;
	}
	if (c->fd < 0 || c->closing || start >= (size_t)n)
		return;
	size_t rest = (size_t)n - start;
	if (c->inlen + rest > CTL_MAX_LINE)
		goto too_long;
	char *ni = v_realloc(c->in, c->inlen + rest + 1);
	if (!ni)
		goto oom;
	c->in = ni;
	memcpy(c->in + c->inlen, buf + start, rest);
	c->inlen += rest;
	return;
too_long : {
	struct jbuf r = { 0 };
	reply_err(&r, "request longer than %d bytes", CTL_MAX_LINE);
	jb_append(&r, "\n", 1);
	jb_append(&c->out, r.buf, r.len);
	jb_fini(&r);
	c->closing = true;
	client_flush(c);
	return;
}
oom:
	client_close(c);
}

static void accept_client(struct control *ct)
{
	int fd = accept4(ct->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	for (unsigned i = 0; i < CTL_MAX_CLIENTS; i++) {
		struct ctl_client *c = &ct->cl[i];
		if (c->fd >= 0)
			continue;
		memset(c, 0, sizeof(*c));
		c->fd = fd;
		struct ucred uc;
		socklen_t ul = sizeof(uc);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &ul) == 0) {
			c->uid = uc.uid;
			c->pid = uc.pid;
		}
		return;
	}
	static const char busy[] = "{\"return\":\"NOK\",\"message\":\"too many clients\"}\n";
	(void)!send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
	close(fd);
}

/* Waits up to ms for the socket, and serves what is ready. */
static void socket_poll(struct control *ct, int ms)
{
	struct pollfd pf[CTL_MAX_CLIENTS + 1];
	unsigned idx[CTL_MAX_CLIENTS + 1];
	nfds_t n = 0;
	if (ct->lfd >= 0) {
		pf[n] = (struct pollfd){ .fd = ct->lfd, .events = POLLIN };
		idx[n++] = CTL_MAX_CLIENTS;
	}
	for (unsigned i = 0; i < CTL_MAX_CLIENTS; i++) {
		if (ct->cl[i].fd < 0)
			continue;
		short ev = ct->cl[i].closing ? 0 : POLLIN;
		if (ct->cl[i].out.len > ct->cl[i].outoff)
			ev |= POLLOUT;
		pf[n] = (struct pollfd){ .fd = ct->cl[i].fd, .events = ev };
		idx[n++] = i;
	}
	if (!n) {
		struct timespec d = { ms / 1000, (long)(ms % 1000) * 1000000 };
		nanosleep(&d, NULL);
		return;
	}
	if (poll(pf, n, ms) <= 0)
		return;
	for (nfds_t k = 0; k < n; k++) {
		if (!pf[k].revents)
			continue;
		if (idx[k] == CTL_MAX_CLIENTS) {
			accept_client(ct);
			continue;
		}
		struct ctl_client *c = &ct->cl[idx[k]];
		if (c->fd < 0)
			continue;
		if (pf[k].revents & POLLOUT)
			client_flush(c);
		if (c->fd >= 0 && (pf[k].revents & (POLLIN | POLLHUP | POLLERR)))
			client_read(ct, c);
	}
}

/* ---- commands ---- */

struct req {
	struct control *ct;
	struct ctl_client *c;
	json_t *args;          /* an object, maybe empty */
	struct jbuf *r;        /* the answer: {"return": "OK", "message": ... */
};

static const char *arg_str(const struct req *q, const char *key)
{
	json_t *v = json_object_get(q->args, key);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* An unsigned argument: def if absent, -1 if present but not a number in
 * [0, max]. */
static int64_t arg_uint(const struct req *q, const char *key, int64_t def, int64_t max)
{
	json_t *v = json_object_get(q->args, key);
	if (!v)
		return def;
	if (json_is_string(v)) {
		uint64_t u;
		if (parse_uint(json_string_value(v), (uint64_t)max, &u) < 0)
			return -1;
		return (int64_t)u;
	}
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
		return -1;
	return json_integer_value(v);
}

static void ok_open(struct req *q)
{
	jb_open_object(q->r, NULL);
	jb_str(q->r, "return", "OK");
}

static void ok_msg(struct req *q, const char *msg)
{
	ok_open(q);
	jb_str(q->r, "message", msg);
	jb_close(q->r);
}

static const struct identity *cur_identity(const struct control *ct)
{
	return atomic_load(&ct->rules->idm);
}

static void cmd_version(struct req *q)
{
	ok_msg(q, "vigil " VIGIL_VERSION);
}

static void cmd_uptime(struct req *q)
{
	ok_open(q);
	jb_u64(q->r, "message", (uint64_t)(now_mono() - q->ct->t0));
	jb_close(q->r);
}

static void cmd_stats(struct req *q)
{
	struct control *ct = q->ct;
	struct counters cnt;
	uint64_t ev[EV_MAX];
	workers_sum(&cnt, ev, ct->ws, ct->n);
	fanout_counters(sink_fanout(ct->eve), &cnt);
	cnt.v[CNT_DETECT_RELOADS] = atomic_load(&ct->rules->reloads);
	struct jbuf rec = { 0 };
	eve_stats_record(&rec, now_wall(), (uint64_t)(now_mono() - ct->t0), &cnt, ev);
	if (rec.oom || !rec.len) {
		jb_fini(&rec);
		reply_err(q->r, "out of memory");
		return;
	}
	rec.buf[--rec.len] = '\0'; /* the record's newline */
	ok_open(q);
	jb_raw(q->r, "message", rec.buf);
	jb_close(q->r);
	jb_fini(&rec);
}

static void cmd_reload_rules(struct req *q)
{
	struct control *ct = q->ct;
	if (!ct->detect) {
		reply_err(q->r, "rules are not loaded in this run");
		return;
	}
	/* the previous reload's engine must be gone first */
	if (!wait_room(ct, 30)) {
		reply_err(q->r, "busy: the previous rules are still in use");
		return;
	}
	struct detect_load_stats st;
	struct verr e = { "" };
	if (rule_reload(ct, &st, &e) < 0) {
		reply_err(q->r, "rule reload failed: %s", e.msg);
		return;
	}
	ok_open(q);
	jb_open_object(q->r, "message");
	jb_u64(q->r, "loaded", st.loaded);
	jb_u64(q->r, "skipped", st.skipped);
	jb_u64(q->r, "invalid", st.invalid);
	char secs[32];
	snprintf(secs, sizeof(secs), "%.3f", st.seconds);
	jb_raw(q->r, "seconds", secs);
	jb_close(q->r);
	jb_close(q->r);
}

/* The host IDS reloads on its own thread; the answer says the request
 * went in, and "hids" in the stats counts reloads done. */
static void cmd_reload_hids(struct req *q)
{
	struct control *ct = q->ct;
	if (!ct->hids) {
		reply_err(q->r, "the host IDS is not enabled (hids.enabled)");
		return;
	}
	hids_run_reload(ct->hids);
	struct hids_run_stats st;
	hids_run_stats(ct->hids, &st);
	ok_open(q);
	jb_open_object(q->r, "message");
	jb_str(q->r, "hids", "reloading");
	jb_u64(q->r, "reloads_so_far", st.reloads);
	jb_close(q->r);
	jb_close(q->r);
}

static void cmd_hids(struct req *q)
{
	struct control *ct = q->ct;
	if (!ct->hids) {
		reply_err(q->r, "the host IDS is not enabled (hids.enabled)");
		return;
	}
	struct hids_run_stats st;
	hids_run_stats(ct->hids, &st);
	ok_open(q);
	jb_open_object(q->r, "message");
	jb_u64(q->r, "lines", st.lines);
	jb_u64(q->r, "alerts", st.alerts);
	jb_u64(q->r, "reloads", st.reloads);
	jb_close(q->r);
	jb_close(q->r);
}

static void cmd_reload_policy(struct req *q)
{
	struct control *ct = q->ct;
	struct verr e = { "" };
	if (!wait_room(ct, 30) || identity_reload(ct, &e) < 0) {
		reply_err(q->r, "identity reload failed: %s", *e.msg ? e.msg : "busy");
		return;
	}
	ct->list_from = 0;
	ct->list_all = true;
	ok_open(q);
	jb_open_object(q->r, "message");
	jb_u64(q->r, "vms", identity_count(cur_identity(ct)));
	jb_str(q->r, "lists", "reloading, one at a time");
	jb_close(q->r);
	jb_close(q->r);
}

static void cmd_rotate(struct req *q)
{
	sink_request_reopen();
	ok_msg(q, "log files are reopened before their next write");
}

static void cmd_shutdown(struct req *q)
{
	engine_stop = 1;
	ok_msg(q, "shutting down");
}

/* Asks every worker about its flows (worker.h); NULL if out of memory. */
static struct flow_query *ask_workers(struct control *ct, struct flow_query *tmpl)
{
	struct flow_query *fq = v_calloc(1, sizeof(*fq));
	if (!fq)
		return NULL;
	memcpy(fq->vm, tmpl->vm, sizeof(fq->vm));
	fq->ip_ver = tmpl->ip_ver;
	memcpy(fq->ip, tmpl->ip, sizeof(fq->ip));
	fq->port = tmpl->port;
	fq->flow_id = tmpl->flow_id;
	fq->limit = tmpl->limit;
	unsigned n = MIN(ct->n, WQ_MAX_WORKERS);
	for (unsigned i = 0; i < n; i++)
		atomic_store(&ct->ws[i]->query, fq);
	double end = now_mono() + 2.0;
	for (;;) {
		unsigned done = 0;
		for (unsigned i = 0; i < n; i++)
			done += atomic_load(&fq->done[i]);
		if (done == n || now_mono() > end)
			break;
		struct timespec d = { 0, 1000000 };
		nanosleep(&d, NULL);
	}
	/* a worker that has not taken the question never will; one that has
	 * is answering, and is waited for (a walk is short) */
	for (unsigned i = 0; i < n; i++) {
		struct flow_query *mine = fq;
		if (atomic_compare_exchange_strong(&ct->ws[i]->query, &mine, NULL))
			continue;
		while (!atomic_load(&fq->done[i])) {
			struct timespec d = { 0, 1000000 };
			nanosleep(&d, NULL);
		}
	}
	return fq;
}

static void query_free(struct flow_query *fq)
{
	for (unsigned i = 0; i < WQ_MAX_WORKERS; i++)
		jb_fini(&fq->out[i]);
	v_free(fq);
}

static void cmd_flows(struct req *q)
{
	struct control *ct = q->ct;
	struct flow_query t = { .limit = 100 };
	const char *vm = arg_str(q, "vm"), *ip = arg_str(q, "ip");
	int64_t port = arg_uint(q, "port", 0, 65535), limit = arg_uint(q, "limit", 100, 100000);
	int64_t fid = arg_uint(q, "flow_id", 0, INT64_MAX);
	if (port < 0 || limit < 0 || fid < 0) {
		reply_err(q->r, "port, limit and flow_id are unsigned numbers");
		return;
	}
	if (vm) {
		if (strlen(vm) >= sizeof(t.vm) || !identity_by_name(cur_identity(ct), vm)) {
			reply_err(q->r, "unknown VM \"%.64s\"", vm);
			return;
		}
		str_lcpy(t.vm, vm, sizeof(t.vm));
	}
	if (ip) {
		if (inet_pton(AF_INET, ip, t.ip) == 1)
			t.ip_ver = 4;
		else if (inet_pton(AF_INET6, ip, t.ip) == 1)
			t.ip_ver = 6;
		else {
			reply_err(q->r, "\"%.64s\" is not an address", ip);
			return;
		}
	}
	t.port = (uint16_t)port;
	t.flow_id = (uint64_t)fid;
	unsigned nw = MIN(ct->n, WQ_MAX_WORKERS);
	/* each worker writes up to limit; the answer keeps limit in all */
	t.limit = (uint32_t)limit;
	struct flow_query *fq = ask_workers(ct, &t);
	if (!fq) {
		reply_err(q->r, "out of memory");
		return;
	}
	uint64_t matched = 0, shown = 0;
	unsigned answered = 0;
	for (unsigned i = 0; i < nw; i++) {
		matched += fq->matched[i];
		answered += atomic_load(&fq->done[i]);
	}
	ok_open(q);
	jb_open_object(q->r, "message");
	jb_u64(q->r, "count", matched);
	jb_open_array(q->r, "flows");
	for (unsigned i = 0; i < nw; i++) {
		struct jbuf *o = &fq->out[i];
		size_t s = 0;
		for (size_t k = 0; k < o->len && shown < (uint64_t)limit; k++) {
			if (o->buf[k] != '\n')
				continue;
			o->buf[k] = '\0';
			jb_raw(q->r, NULL, o->buf + s);
			shown++;
			s = k + 1;
		}
	}
	jb_close(q->r);
	jb_u64(q->r, "shown", shown);
	jb_u64(q->r, "workers", nw);
	jb_u64(q->r, "workers_answered", answered);
	jb_close(q->r);
	jb_close(q->r);
	query_free(fq);
}

static void cmd_vms(struct req *q)
{
	const struct identity *id = cur_identity(q->ct);
	ok_open(q);
	jb_open_array(q->r, "message");
	for (uint32_t i = 0; i < identity_count(id); i++)
		identity_vm_json(id, identity_vm_at(id, i), q->r, NULL);
	jb_close(q->r);
	jb_close(q->r);
}

static void cmd_vm(struct req *q)
{
	struct control *ct = q->ct;
	const char *name = arg_str(q, "name");
	const struct identity *id = cur_identity(ct);
	const struct vm *vm = name ? identity_by_name(id, name) : NULL;
	if (!vm) {
		reply_err(q->r, name ? "unknown VM \"%.64s\"" : "vm needs a name%.0s", name ? name : "");
		return;
	}
	struct flow_query t = { .limit = 0 };
	str_lcpy(t.vm, name, sizeof(t.vm));
	struct flow_query *fq = ask_workers(ct, &t);
	ok_open(q);
	jb_open_object(q->r, "message");
	identity_vm_json(id, vm, q->r, "vm");
	uint64_t flows = 0;
	for (unsigned i = 0; fq && i < MIN(ct->n, WQ_MAX_WORKERS); i++)
		flows += fq->matched[i];
	jb_u64(q->r, "flows", flows);
	jb_open_array(q->r, "overrides");
	for (uint32_t i = 0; i < ct->ovr.n; i++)
		if (!strcmp(ct->ovr.v[i].vm, name))
			ovr_json(q->r, &ct->ovr.v[i], NULL);
	jb_close(q->r);
	jb_close(q->r);
	jb_close(q->r);
	if (fq)
		query_free(fq);
}

static void cmd_overrides(struct req *q)
{
	ok_open(q);
	jb_open_array(q->r, "message");
	for (uint32_t i = 0; i < q->ct->ovr.n; i++)
		ovr_json(q->r, &q->ct->ovr.v[i], NULL);
	jb_close(q->r);
	jb_close(q->r);
}

/* The change as an eve record (event_type "control"), so the event
 * stream, the store and a SIEM see who changed the policy. */
static void record_change(struct control *ct, const char *cmd, const struct ovr *x,
			  const char *result)
{
	if (!ct->eve)
		return;
	struct jbuf jb = { 0 };
	char tbuf[32];
	jb_open_object(&jb, NULL);
	jb_str(&jb, "timestamp", vtime_format(now_wall(), tbuf));
	jb_str(&jb, "event_type", "control");
	jb_open_object(&jb, "control");
	jb_str(&jb, "command", cmd);
	ovr_json_subject(&jb, x);
	jb_str(&jb, "by", x->by);
	jb_str(&jb, "result", result);
	jb_close(&jb);
	jb_close(&jb);
	jb_append(&jb, "\n", 1);
	if (!jb.oom)
		sink_write(ct->eve, jb.buf, jb.len);
	jb_fini(&jb);
}

/* allow, deny, block, suppress and their un- forms. */
static void cmd_change(struct req *q, const char *cmd, enum ovr_action act, bool remove)
{
	struct control *ct = q->ct;
	struct ovr x = { .action = (uint8_t)act };
	const char *vm = arg_str(q, "vm"), *target = arg_str(q, "target");
	if (!*ct->ovr_path) {
		reply_err(q->r, "no state directory (control.state-dir) for changes");
		return;
	}
	if (vm && *vm) {
		if (strlen(vm) >= sizeof(x.vm) || !identity_by_name(cur_identity(ct), vm)) {
			reply_err(q->r, "unknown VM \"%.64s\"", vm);
			return;
		}
		str_lcpy(x.vm, vm, sizeof(x.vm));
		/* a block for one VM is a deny rule of that VM */
		if (act == OVR_BLOCK)
			x.action = OVR_DENY;
	}
	if (act == OVR_SUPPRESS) {
		int64_t gid = arg_uint(q, "gid", 1, UINT32_MAX), sid = arg_uint(q, "sid", 0, UINT32_MAX);
		if (gid <= 0 || sid <= 0) {
			reply_err(q->r, "%s needs a signature id (sid, and gid if not 1)", cmd);
			return;
		}
		x.gid = (uint32_t)gid;
		x.sid = (uint32_t)sid;
	} else {
		if (!target || !*target || strlen(target) >= sizeof(x.target)) {
			reply_err(q->r, "%s needs a target (a domain, *.domain or address%s)", cmd,
				  act == OVR_BLOCK ? "" : ", with tcp/PORT or udp/PORT if wanted");
			return;
		}
		str_lcpy(x.target, target, sizeof(x.target));
	}
	snprintf(x.by, sizeof(x.by), "uid %u pid %d", (unsigned)q->c->uid, (int)q->c->pid);
	char tbuf[32];
	vtime_format(now_wall(), tbuf);
	str_lcpy(x.time, tbuf, sizeof(x.time));
	struct verr e = { "" };
	int rc;
	if (remove) {
		rc = overrides_remove(&ct->ovr, &x);
		if (rc == 1) {
			reply_err(q->r, "no such %s entry", ovr_action_names[x.action]);
			return;
		}
	} else {
		rc = overrides_add(&ct->ovr, &x, &e);
		if (rc < 0) {
			reply_err(q->r, "%s", e.msg);
			return;
		}
		if (rc == 1) {
			ok_msg(q, "already there");
			return;
		}
	}
	if (overrides_write(ct->ovr_path, &ct->ovr, ct->blk_ip, ct->blk_dom, &e) < 0) {
		/* keep memory and file the same: undo */
		if (remove)
			overrides_add(&ct->ovr, &x, &(struct verr){ "" });
		else
			overrides_remove(&ct->ovr, &x);
		reply_err(q->r, "cannot save the change: %s", e.msg);
		return;
	}
	/* the change takes effect: the identity map (VM rules, suppressions)
	 * or the "ctl" lists are built again */
	const char *result = remove ? "removed" : "added";
	if (x.action == OVR_BLOCK) {
		ct->list_from = 0;
		ct->list_all = false;
		while (ct->list_from >= 0 && wait_room(ct, 10))
			list_step(ct);
	} else if (!wait_room(ct, 10) || identity_reload(ct, &e) < 0) {
		result = "saved; not yet in effect";
		log_err("identity reload after %s failed: %s", cmd, e.msg);
	}
	log_info("control: %s %s%s%s by %s: %s", cmd, x.vm, *x.vm ? " " : "",
		 x.action == OVR_SUPPRESS ? "" : x.target, x.by, result);
	record_change(ct, cmd, &x, result);
	ok_open(q);
	jb_open_object(q->r, "message");
	jb_str(q->r, "result", result);
	ovr_json(q->r, &x, "entry");
	jb_close(q->r);
	jb_close(q->r);
}

static void cmd_allow(struct req *q) { cmd_change(q, "allow", OVR_ALLOW, false); }
static void cmd_unallow(struct req *q) { cmd_change(q, "unallow", OVR_ALLOW, true); }
static void cmd_deny(struct req *q) { cmd_change(q, "deny", OVR_DENY, false); }
static void cmd_undeny(struct req *q) { cmd_change(q, "undeny", OVR_DENY, true); }
static void cmd_block(struct req *q) { cmd_change(q, "block", OVR_BLOCK, false); }
static void cmd_unblock(struct req *q) { cmd_change(q, "unblock", OVR_BLOCK, true); }
static void cmd_suppress(struct req *q) { cmd_change(q, "suppress", OVR_SUPPRESS, false); }
static void cmd_unsuppress(struct req *q) { cmd_change(q, "unsuppress", OVR_SUPPRESS, true); }

static void cmd_list(struct req *q);

static const struct {
	const char *name;
	void (*fn)(struct req *q);
	const char *help;
} commands[] = {
	{ "command-list", cmd_list, "the commands" },
	{ "version", cmd_version, "vigil's version" },
	{ "uptime", cmd_uptime, "seconds since start" },
	{ "stats", cmd_stats, "the counters, as an eve stats record" },
	{ "reload-rules", cmd_reload_rules, "load the rules again (answers when done)" },
	{ "reload-hids", cmd_reload_hids, "load the host IDS's decoders and rules again (the running ones stay if the new fail)" },
	{ "hids", cmd_hids, "the host IDS's counters: lines, alerts, reloads" },
	{ "reload-policy", cmd_reload_policy, "read identity.file and every list again" },
	{ "reopen-log-files", cmd_rotate, "reopen eve.json and fast.log (after rotation)" },
	{ "rotate", cmd_rotate, "the same as reopen-log-files" },
	{ "shutdown", cmd_shutdown, "stop vigil" },
	{ "flows", cmd_flows, "open flows: vm, ip, port, flow_id filter; limit (100)" },
	{ "vms", cmd_vms, "the identity map's VMs" },
	{ "vm", cmd_vm, "one VM: addresses, labels, policy, open flows, changes (name)" },
	{ "overrides", cmd_overrides, "the changes made through this socket" },
	{ "allow", cmd_allow, "add an allow rule to a VM (vm, target)" },
	{ "unallow", cmd_unallow, "remove one (vm, target)" },
	{ "deny", cmd_deny, "add a deny rule to a VM (vm, target)" },
	{ "undeny", cmd_undeny, "remove one (vm, target)" },
	{ "block", cmd_block, "block a domain or address for all (target), or for a VM (vm)" },
	{ "unblock", cmd_unblock, "remove a block (target, vm)" },
	{ "suppress", cmd_suppress, "suppress a signature for all or for a VM (sid, gid, vm)" },
	{ "unsuppress", cmd_unsuppress, "remove a suppression (sid, gid, vm)" },
};

static void cmd_list(struct req *q)
{
	ok_open(q);
	jb_open_array(q->r, "message");
	for (size_t i = 0; i < ARRAY_SIZE(commands); i++) {
		jb_open_object(q->r, NULL);
		jb_str(q->r, "command", commands[i].name);
		jb_str(q->r, "help", commands[i].help);
		jb_close(q->r);
	}
	jb_close(q->r);
	jb_close(q->r);
}

void control_handle_line(struct control *ct, struct ctl_client *c, const char *line, size_t len)
{
	struct jbuf r = { 0 };
	json_error_t je;
	while (len && (line[len - 1] == '\r' || line[len - 1] == ' '))
		len--;
	if (!len)
		return;
	json_t *root = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je);
	json_t *cmd = root ? json_object_get(root, "command") : NULL;
	json_t *args = root ? json_object_get(root, "arguments") : NULL;
	if (!root) {
		reply_err(&r, "malformed JSON at column %d: %s", je.column, je.text);
	} else if (!json_is_object(root)) {
		reply_err(&r, "a request is a JSON object");
	} else if (!cmd && json_object_get(root, "version")) {
		/* suricatasc's greeting */
		jb_open_object(&r, NULL);
		jb_str(&r, "return", "OK");
		jb_str(&r, "message", "vigil " VIGIL_VERSION);
		jb_close(&r);
	} else if (!json_is_string(cmd)) {
		reply_err(&r, "a request names its \"command\"");
	} else if (args && !json_is_object(args)) {
		reply_err(&r, "\"arguments\" is an object");
	} else {
		const char *name = json_string_value(cmd);
		size_t i = 0;
		while (i < ARRAY_SIZE(commands) && strcmp(commands[i].name, name))
			i++;
		if (i == ARRAY_SIZE(commands)) {
			reply_err(&r, "unknown command \"%.64s\" (command-list lists them)", name);
		} else {
			json_t *empty = args ? NULL : json_object();
			struct req q = { ct, c, args ? args : empty, &r };
			commands[i].fn(&q);
			json_decref(empty);
		}
	}
	json_decref(root);
	if (r.oom) {
		jb_fini(&r);
		reply_err(&r, "out of memory");
	}
	jb_append(&r, "\n", 1);
	jb_append(&c->out, r.buf, r.len);
	jb_fini(&r);
	client_flush(c);
}

/* ---- the thread ---- */

/* Timer (every policy.check-interval): has the identity file or a list
 * file changed? */
static void files_check(void *arg, vtime_t now)
{
	(void)now;
	struct control *ct = arg;
	ct->id_due |= identity_file_changed(ct->cfg, &ct->seen);
	if (ct->list_from < 0 && blocklists_due(atomic_load(&ct->rules->bl), 0, false) >= 0 &&
	    blocklists_files_stamp(ct->cfg) != ct->failed_stamp) {
		ct->list_from = 0;
		ct->list_all = false;
	}
}

/* Timer (every second): the learned state's queued changes to its file. */
static void state_flush(void *arg, vtime_t now)
{
	(void)now;
	struct control *ct = arg;
	learned_flush(ct->rules->learned);
}

static void *control_main(void *arg)
{
	struct control *ct = arg;
	ct->seen = identity_file_mtime(atomic_load(&ct->rules->idm));
	/* the control thread's timers run on wall time (monotonic) */
	timers_add(&ct->timers, "policy-files", VTIME_FROM_SEC(ct->cfg->policy_check_interval),
		   files_check, ct);
	if (ct->rules->learned)
		timers_add(&ct->timers, "policy-state", VTIME_FROM_SEC(1), state_flush, ct);
	timers_run(&ct->timers, (vtime_t)(now_mono() * 1e6));
	while (!atomic_load(&ct->done)) {
		socket_poll(ct, 50);
		sweep(ct);
		/* the configuration's own VMs do not change: SIGHUP re-reads
		 * the identity file, if there is one */
		ct->id_due |= engine_policy_reload && ct->cfg->identity_file && *ct->cfg->identity_file;
		if (engine_policy_reload) {
			/* every list, one after the other */
			ct->list_from = 0;
			ct->list_all = true;
		}
		timers_run(&ct->timers, (vtime_t)(now_mono() * 1e6));
		bool id_due = ct->id_due;
		ct->id_due = false;
		engine_policy_reload = 0;
		struct verr e = { "" };
		/* not retried until the file changes again (seen) */
		if (id_due && ct->ret.n < RETIRED_MAX && identity_reload(ct, &e) < 0)
			log_err("identity reload failed: %s; keeping the running map", e.msg);
		list_step(ct);
		/* one rule engine at a time beside the running one */
		if (!engine_reload || !ct->detect || ct->old)
			continue;
		engine_reload = 0;
		struct detect_load_stats st;
		rule_reload(ct, &st, &e);
	}
	return NULL;
}

void rules_state_init(struct rules_state *rs)
{
	atomic_init(&rs->cur, NULL);
	atomic_init(&rs->gen, 1);
	atomic_init(&rs->reloads, 0);
	atomic_init(&rs->identity_reloads, 0);
	atomic_init(&rs->list_reloads, 0);
	atomic_init(&rs->idm, NULL);
	atomic_init(&rs->bl, NULL);
	rs->resolved = NULL;
	rs->behave = NULL;
	rs->learned = NULL;
}

/* The state files: overrides.json read (a corrupt one stops the start,
 * naming it) and the "ctl" list files written from it. */
static int state_open(struct control *ct, const struct config *cfg, uid_t uid, gid_t gid,
		      bool chown_to, struct verr *e)
{
	char dir[4096];
	policy_state_path(cfg, "", dir, sizeof(dir));
	policy_state_path(cfg, "overrides.json", ct->ovr_path, sizeof(ct->ovr_path));
	policy_state_path(cfg, "ctl-block-ips.txt", ct->blk_ip, sizeof(ct->blk_ip));
	policy_state_path(cfg, "ctl-block-domains.txt", ct->blk_dom, sizeof(ct->blk_dom));
	if (!*dir || !*ct->ovr_path || !*ct->blk_ip || !*ct->blk_dom)
		return verr_set(e, V_EINVAL, "control.state-dir: path too long");
	if (mkdir(dir, 0750) == 0 && chown_to && chown(dir, uid, gid) < 0)
		log_warn("%s: cannot give it to the run-as user: %s", dir, strerror(errno));
	if (overrides_read(ct->ovr_path, &ct->ovr, e) < 0)
		return V_EFORMAT;
	if (overrides_write(ct->ovr_path, &ct->ovr, ct->blk_ip, ct->blk_dom, e) < 0)
		return V_EIO;
	if (chown_to) {
		const char *files[] = { ct->ovr_path, ct->blk_ip, ct->blk_dom };
		for (size_t i = 0; i < ARRAY_SIZE(files); i++)
			if (chown(files[i], uid, gid) < 0)
				log_warn("%s: cannot give it to the run-as user: %s", files[i],
					 strerror(errno));
	}
	return 0;
}

static int socket_bind(struct control *ct, const struct sockaddr_un *psa, mode_t mode,
		       bool chown_to, uid_t uid, gid_t gid, struct verr *e);

int control_open(struct control *ct, const struct config *cfg, bool live, struct verr *e)
{
	ct->cfg = cfg;
	ct->opened = true;
	ct->lfd = -1;
	ct->list_from = -1;
	for (unsigned i = 0; i < CTL_MAX_CLIENTS; i++)
		ct->cl[i].fd = -1;
	/* control.enabled: auto|yes|no */
	if (cfg->control_enabled == 2 || (cfg->control_enabled == 0 && !live))
		return 0;
	uid_t uid = 0;
	gid_t gid = 0;
	struct verr le = { "" };
	bool chown_to = cfg->run_user && *cfg->run_user && geteuid() == 0 &&
			privs_lookup(cfg->run_user, cfg->run_group, &uid, &gid, &le) == 0;
	int rc = state_open(ct, cfg, uid, gid, chown_to, e);
	if (rc == V_EIO && cfg->control_enabled == 0) {
		/* auto: a sensor that cannot keep changes runs without the
		 * socket; a corrupt overrides.json still stops it */
		log_warn("no control socket: %s", e->msg);
		*ct->ovr_path = '\0';
		return 0;
	}
	if (rc < 0)
		return rc;
	const char *sp = cfg->control_socket && *cfg->control_socket ? cfg->control_socket
								   : "vigil.sock";
	int n = sp[0] == '/' ? snprintf(ct->path, sizeof(ct->path), "%s", sp)
			     : snprintf(ct->path, sizeof(ct->path), "%s/%s", cfg->log_dir, sp);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (n < 0 || (size_t)n >= sizeof(sa.sun_path))
		return verr_set(e, V_EINVAL, "control.socket: path longer than %zu bytes",
				sizeof(sa.sun_path) - 1);
	memcpy(sa.sun_path, ct->path, (size_t)n + 1);
	char *end;
	unsigned long mode = strtoul(cfg->control_socket_mode ? cfg->control_socket_mode : "0660",
				     &end, 8);
	if (*end || mode > 0777)
		return verr_set(e, V_EINVAL, "control.socket-mode: \"%s\" is not octal permission bits",
				cfg->control_socket_mode);
	if (cfg->control_socket_group && *cfg->control_socket_group) {
		struct group *g = getgrnam(cfg->control_socket_group);
		if (!g)
			return verr_set(e, V_EINVAL, "control.socket-group: no group \"%s\"",
					cfg->control_socket_group);
		gid = g->gr_gid;
		chown_to = true;
		if (!uid)
			uid = geteuid();
	}
	rc = socket_bind(ct, &sa, (mode_t)mode, chown_to, uid, gid, e);
	if (rc < 0 && cfg->control_enabled == 0) {
		/* auto: a sensor without its socket still runs */
		log_warn("no control socket: %s", e->msg);
		return 0;
	}
	return rc;
}

/* Binds the socket (its directory made if missing), gives it to uid:gid
 * and mode. */
static int socket_bind(struct control *ct, const struct sockaddr_un *psa, mode_t mode,
		       bool chown_to, uid_t uid, gid_t gid, struct verr *e)
{
	struct sockaddr_un sa = *psa;
	int rc;
	char dir[sizeof(sa.sun_path)];
	str_lcpy(dir, sa.sun_path, sizeof(dir));
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) == 0 && chown_to && chown(dir, uid, gid) < 0)
			log_warn("%s: %s", dir, strerror(errno));
	}
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return verr_set(e, V_EIO, "control socket: %s", strerror(errno));
	/* a socket left by a vigil that died is replaced; one that answers
	 * belongs to a running vigil */
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(fd);
		return verr_set(e, V_EINVAL, "%s: another vigil is listening there", ct->path);
	}
	close(fd);
	struct stat st;
	if (lstat(ct->path, &st) == 0 && S_ISSOCK(st.st_mode))
		unlink(ct->path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	/* created with no permissions for anyone, then opened up to mode */
	mode_t old = umask(0777);
	int b = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (fd < 0 || b < 0 || listen(fd, 16) < 0 ||
	    (chown_to && chown(ct->path, uid, gid) < 0) || chmod(ct->path, mode) < 0) {
		rc = verr_set(e, V_EIO, "%s: %s", ct->path, strerror(errno));
		if (fd >= 0)
			close(fd);
		if (b == 0)
			unlink(ct->path);
		return rc;
	}
	ct->lfd = fd;
	log_info("control socket %s", ct->path);
	return 0;
}

bool control_start(struct control *ct, const struct engine_opts *opts, struct rules_state *rs,
		   struct worker **ws, unsigned n, struct sink *eve)
{
	ct->files = opts->rule_files;
	ct->rules = rs;
	ct->ws = ws;
	ct->n = n;
	ct->detect = opts->detect;
	ct->eve = eve;
	ct->t0 = now_mono();
	if (pthread_create(&ct->tid, NULL, control_main, ct) == 0)
		return true;
	control_stop(ct, false);
	return false;
}

void control_stop(struct control *ct, bool started)
{
	if (!ct->opened)
		return;
	if (started) {
		atomic_store(&ct->done, true);
		pthread_join(ct->tid, NULL);
		/* the workers are finished: nothing uses the old engine or maps */
		detect_engine_free(ct->old);
		ct->old = NULL;
		retired_sweep(&ct->ret, ct, true);
	}
	for (unsigned i = 0; i < CTL_MAX_CLIENTS; i++)
		if (ct->cl[i].fd >= 0)
			client_close(&ct->cl[i]);
	if (ct->lfd >= 0) {
		close(ct->lfd);
		unlink(ct->path);
		ct->lfd = -1;
	}
	overrides_fini(&ct->ovr);
}
