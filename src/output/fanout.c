/*
 * fanout.c - see fanout.h.  The queue is a byte ring of whole lines under
 * one mutex; the thread takes everything queued at once and walks it line
 * by line.  Stream transports (the unix-stream consumer, syslog over TCP)
 * keep what the peer has not read yet in a bounded pending buffer and
 * write it without blocking; datagram transports (/dev/log, UDP) send or
 * drop; Redis runs pipelined with a one-second timeout and reconnects
 * after five.
 */
#include "fanout.h"

#include <arpa/inet.h>
#include <errno.h>
#include <hiredis/hiredis.h>
#include <jansson.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "alloc.h"
#include "config.h"
#include "json.h"
#include "log.h"
#include "util.h"

#define PENDING_MAX (1u << 20)

enum { C_UNIX, C_SYSLOG, C_REDIS };
enum { T_UNIX_STREAM, T_UNIX_DGRAM, T_UDP, T_TCP };

struct consumer {
	int kind;
	const char *name;
	const struct strlist *types;     /* empty: all */
	atomic_uint_fast64_t sent, dropped;
	double next_try;
	/* sockets */
	int fd, transport;
	struct sockaddr_storage sa;
	socklen_t salen;
	struct jbuf pending;             /* stream transports: not yet written */
	size_t pending_off;
	uint64_t pending_lines;
	/* syslog */
	int facility;
	bool cef;
	/* redis */
	redisContext *rc;
	const char *host, *key, *cmd;
	int port;
};

struct fanout {
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	char *ring;
	size_t cap, head, len;
	bool stop;
	bool busy;              /* the thread is delivering what it took */
	atomic_uint_fast64_t queued, qdropped;
	struct consumer c[3];
	unsigned n;
	char host[256];
	int pid;
};

static uint64_t count_lines(const char *buf, size_t len)
{
	uint64_t n = 0;
	for (const char *p = buf, *end = buf + len; (p = memchr(p, '\n', (size_t)(end - p))); p++)
		n++;
	return n;
}

void fanout_offer(struct fanout *f, const char *buf, size_t len)
{
	if (!f || !len)
		return;
	pthread_mutex_lock(&f->mu);
	size_t room = f->cap - f->len, take = len;
	if (room < len) {
		/* the whole lines that fit; the rest is dropped for the
		 * consumers */
		take = 0;
		const char *nl = room ? memrchr(buf, '\n', room) : NULL;
		if (nl)
			take = (size_t)(nl - buf) + 1;
	}
	if (take) {
		size_t tail = (f->head + f->len) % f->cap;
		size_t first = MIN(take, f->cap - tail);
		memcpy(f->ring + tail, buf, first);
		memcpy(f->ring, buf + first, take - first);
		f->len += take;
		pthread_cond_signal(&f->cv);
	}
	pthread_mutex_unlock(&f->mu);
	atomic_fetch_add(&f->queued, count_lines(buf, take));
	if (take < len)
		atomic_fetch_add(&f->qdropped, count_lines(buf + take, len - take));
}

/* ---- record fields ---- */

static bool wanted(const struct consumer *c, const char *type)
{
	if (!c->types->cnt)
		return true;
	for (size_t i = 0; i < c->types->cnt; i++)
		if (!strcmp(c->types->v[i], type))
			return true;
	return false;
}

/* ---- CEF ---- */

struct cbuf {
	char *p;
	size_t len, cap;
};

static void cput(struct cbuf *b, const char *s, size_t n)
{
	if (b->len + 1 >= b->cap)
		return;
	n = MIN(n, b->cap - 1 - b->len);
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void cputs(struct cbuf *b, const char *s) { cput(b, s, strlen(s)); }

/* header fields escape \ and |; extension values \ and = and line breaks */
static void cesc(struct cbuf *b, const char *s, bool header)
{
	for (; *s; s++) {
		if (*s == '\\' || (header && *s == '|') || (!header && *s == '='))
			cput(b, "\\", 1);
		if (!header && (*s == '\n' || *s == '\r')) {
			cput(b, *s == '\n' ? "\\n" : "\\r", 2);
			continue;
		}
		cput(b, s, 1);
	}
}

static void cext(struct cbuf *b, const char *key, const char *val)
{
	if (!val || !*val)
		return;
	cputs(b, " ");
	cputs(b, key);
	cputs(b, "=");
	cesc(b, val, false);
}

static void cext_int(struct cbuf *b, const char *key, json_t *v)
{
	if (!json_is_integer(v))
		return;
	char n[32];
	snprintf(n, sizeof(n), "%lld", (long long)json_integer_value(v));
	cext(b, key, n);
}

static const char *jstr(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_string(v) ? json_string_value(v) : NULL;
}

/* an eve timestamp -> milliseconds since the epoch */
static bool eve_time_ms(const char *t, char *out, size_t cap)
{
	int64_t us = vtime_parse(t);
	if (us < 0)
		return false;
	snprintf(out, cap, "%lld", (long long)(us / 1000));
	return true;
}

size_t eve_to_cef(const char *rec, size_t len, char *out, size_t cap)
{
	struct cbuf b = { out, 0, cap };
	if (cap)
		out[0] = '\0';
	json_t *r = json_loadb(rec, len, 0, NULL);
	if (!json_is_object(r)) {
		json_decref(r);
		return 0;
	}
	const char *type = jstr(r, "event_type");
	json_t *a = json_object_get(r, "alert");
	char sig[48], sev[8];
	const char *name = type ? type : "event";
	int severity = 2;
	if (json_is_object(a)) {
		snprintf(sig, sizeof(sig), "%lld:%lld",
			 (long long)json_integer_value(json_object_get(a, "gid")),
			 (long long)json_integer_value(json_object_get(a, "signature_id")));
		if (jstr(a, "signature"))
			name = jstr(a, "signature");
		/* Suricata's 1 (high) to 3 (low) onto CEF's 0 to 10 */
		json_int_t s = json_integer_value(json_object_get(a, "severity"));
		severity = s == 1 ? 10 : s == 2 ? 7 : s == 3 ? 4 : 2;
	} else {
		snprintf(sig, sizeof(sig), "%s", name);
	}
	snprintf(sev, sizeof(sev), "%d", severity);
	cputs(&b, "CEF:0|vigil|vigil|" VIGIL_VERSION "|");
	cesc(&b, sig, true);
	cputs(&b, "|");
	cesc(&b, name, true);
	cputs(&b, "|");
	cputs(&b, sev);
	cputs(&b, "|");
	size_t ext0 = b.len;
	char ms[32];
	if (eve_time_ms(jstr(r, "timestamp"), ms, sizeof(ms)))
		cext(&b, "rt", ms);
	cext(&b, "src", jstr(r, "src_ip"));
	cext_int(&b, "spt", json_object_get(r, "src_port"));
	cext(&b, "dst", jstr(r, "dest_ip"));
	cext_int(&b, "dpt", json_object_get(r, "dest_port"));
	cext(&b, "proto", jstr(r, "proto"));
	cext(&b, "app", jstr(r, "app_proto"));
	if (json_is_object(a)) {
		cext(&b, "act", jstr(a, "action"));
		cext(&b, "cat", jstr(a, "category"));
	}
	if (jstr(r, "src_vm")) {
		cext(&b, "cs1Label", "srcVM");
		cext(&b, "cs1", jstr(r, "src_vm"));
	}
	if (jstr(r, "dest_vm")) {
		cext(&b, "cs2Label", "destVM");
		cext(&b, "cs2", jstr(r, "dest_vm"));
	}
	json_t *pol = json_object_get(r, "policy");
	if (json_is_object(pol) && jstr(pol, "type")) {
		cext(&b, "cs3Label", "policy");
		cext(&b, "cs3", jstr(pol, "type"));
	}
	if (json_is_integer(json_object_get(r, "flow_id"))) {
		cext(&b, "cn1Label", "flowId");
		cext_int(&b, "cn1", json_object_get(r, "flow_id"));
	}
	cext(&b, "eventType", type);
	/* the extension starts after the last '|', without a leading space */
	if (b.len > ext0 && b.p[ext0] == ' ') {
		memmove(b.p + ext0, b.p + ext0 + 1, b.len - ext0);
		b.len--;
	}
	json_decref(r);
	return b.len;
}

/* ---- stream and datagram transports ---- */

static void c_close(struct consumer *c, double retry)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	atomic_fetch_add(&c->dropped, c->pending_lines);
	jb_reset(&c->pending);
	c->pending_off = 0;
	c->pending_lines = 0;
	c->next_try = now_mono() + retry;
}

static bool c_connect(struct consumer *c)
{
	if (c->fd >= 0)
		return true;
	if (now_mono() < c->next_try)
		return false;
	int dom = c->sa.ss_family;
	int st = c->transport == T_UNIX_DGRAM || c->transport == T_UDP ? SOCK_DGRAM : SOCK_STREAM;
	/* never blocking, connect included: an unreachable syslog host costs
	 * the output thread at most 200 ms a second, not a TCP timeout */
	c->fd = socket(dom, st | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	int r = c->fd < 0 ? -1 : connect(c->fd, (struct sockaddr *)&c->sa, c->salen);
	if (r < 0 && c->fd >= 0 && errno == EINPROGRESS) {
		struct pollfd pf = { .fd = c->fd, .events = POLLOUT };
		int err = 0;
		socklen_t el = sizeof(err);
		if (poll(&pf, 1, 200) == 1 && getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) == 0 &&
		    !err)
			r = 0;
	}
	if (r < 0) {
		c_close(c, 1.0);
		return false;
	}
	/* writes never wait: a consumer that does not read loses records */
	int sz = 1 << 20;
	setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	return true;
}

static void c_flush(struct consumer *c)
{
	while (c->fd >= 0 && c->pending_off < c->pending.len) {
		ssize_t w = send(c->fd, c->pending.buf + c->pending_off,
				 c->pending.len - c->pending_off, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (w <= 0) {
			c_close(c, 1.0);
			return;
		}
		c->pending_off += (size_t)w;
	}
	if (c->fd >= 0 && c->pending.len) {
		atomic_fetch_add(&c->sent, c->pending_lines);
		jb_reset(&c->pending);
		c->pending_off = 0;
		c->pending_lines = 0;
	}
}

/* One message (a line for the unix stream, a syslog message otherwise). */
static void c_send(struct consumer *c, const char *msg, size_t len, bool octets)
{
	if (!c_connect(c)) {
		atomic_fetch_add(&c->dropped, 1);
		return;
	}
	if (c->transport == T_UNIX_DGRAM || c->transport == T_UDP) {
		if (send(c->fd, msg, len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0) {
			atomic_fetch_add(&c->dropped, 1);
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS)
				c_close(c, 1.0);
		} else {
			atomic_fetch_add(&c->sent, 1);
		}
		return;
	}
	if (c->pending.len + len + 16 > PENDING_MAX) {
		atomic_fetch_add(&c->dropped, 1);
		return;
	}
	if (octets) {
		char n[16];
		int k = snprintf(n, sizeof(n), "%zu ", len);
		jb_append(&c->pending, n, (size_t)k);
		jb_append(&c->pending, msg, len);
	} else {
		jb_append(&c->pending, msg, len);
		jb_append(&c->pending, "\n", 1);
	}
	c->pending_lines++;
}

/* ---- syslog ---- */

static const int facilities[] = { 21, 16, 17, 18, 19, 20, 22, 23, 3, 1, 4 };

/* RFC 5424 severity of a record: alerts by their severity, the rest
 * informational */
static int syslog_severity(const char *rec, size_t len, const char *type)
{
	if (strcmp(type, "alert") && strcmp(type, "drop"))
		return 6;
	static const char key[] = "\"severity\":";
	const char *p = memmem(rec, len, key, sizeof(key) - 1);
	int s = p ? p[sizeof(key) - 1] - '0' : 3;
	return s == 1 ? 2 : s == 2 ? 3 : 4;
}

static void syslog_send(struct fanout *f, struct consumer *c, const char *rec, size_t len,
			const char *type)
{
	static char msg[70000];
	char ts[40];
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	struct tm tm;
	gmtime_r(&now.tv_sec, &tm);
	size_t k = strftime(ts, sizeof(ts), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + k, sizeof(ts) - k, ".%06ldZ", now.tv_nsec / 1000);
	int pri = c->facility * 8 + syslog_severity(rec, len, type);
	int h = snprintf(msg, sizeof(msg), "<%d>1 %s %s vigil %d %.32s - ", pri, ts, f->host, f->pid,
			 type);
	size_t body;
	if (c->cef) {
		body = eve_to_cef(rec, len, msg + h, sizeof(msg) - (size_t)h);
	} else {
		body = MIN(len, sizeof(msg) - (size_t)h - 1);
		memcpy(msg + h, rec, body);
	}
	c_send(c, msg, (size_t)h + body, true);
}

/* ---- redis ---- */

static bool redis_up(struct consumer *c)
{
	if (c->rc)
		return true;
	if (now_mono() < c->next_try)
		return false;
	struct timeval tv = { 1, 0 };
	c->rc = c->host[0] == '/' ? redisConnectUnixWithTimeout(c->host, tv)
				  : redisConnectWithTimeout(c->host, c->port, tv);
	if (!c->rc || c->rc->err) {
		if (c->rc) {
			log_warn("redis %s:%d: %s", c->host, c->port, c->rc->errstr);
			redisFree(c->rc);
		}
		c->rc = NULL;
		c->next_try = now_mono() + 5;
		return false;
	}
	redisSetTimeout(c->rc, tv);
	return true;
}

static void redis_batch(struct consumer *c, const char *buf, size_t len)
{
	uint64_t appended = 0, lines = 0;
	char type[32];
	for (const char *p = buf, *end = buf + len; p < end;) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (json_head_str(p, l, "event_type", type, sizeof(type)) && wanted(c, type)) {
			lines++;
			if (c->rc || redis_up(c)) {
				redisAppendCommand(c->rc, "%s %s %b", c->cmd, c->key, p, l);
				appended++;
			}
		}
		p += l + 1;
	}
	atomic_fetch_add(&c->dropped, lines - appended);
	for (uint64_t i = 0; i < appended; i++) {
		redisReply *rep = NULL;
		if (redisGetReply(c->rc, (void **)&rep) != REDIS_OK) {
			log_warn("redis %s:%d: %s; reconnecting in 5 s", c->host, c->port,
				 c->rc->errstr);
			atomic_fetch_add(&c->dropped, appended - i);
			redisFree(c->rc);
			c->rc = NULL;
			c->next_try = now_mono() + 5;
			return;
		}
		if (rep->type == REDIS_REPLY_ERROR)
			atomic_fetch_add(&c->dropped, 1);
		else
			atomic_fetch_add(&c->sent, 1);
		freeReplyObject(rep);
	}
}

/* ---- the thread ---- */

static void deliver(struct fanout *f, const char *buf, size_t len)
{
	for (unsigned k = 0; k < f->n; k++) {
		struct consumer *c = &f->c[k];
		if (c->kind == C_REDIS) {
			redis_batch(c, buf, len);
			continue;
		}
		char type[32];
		for (const char *p = buf, *end = buf + len; p < end;) {
			const char *nl = memchr(p, '\n', (size_t)(end - p));
			size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
			if (json_head_str(p, l, "event_type", type, sizeof(type)) && wanted(c, type)) {
				if (c->kind == C_SYSLOG)
					syslog_send(f, c, p, l, type);
				else
					c_send(c, p, l, false);
			}
			p += l + 1;
		}
		c_flush(c);
	}
}

static void *fanout_main(void *arg)
{
	struct fanout *f = arg;
	char *local = v_malloc(f->cap);
	pthread_mutex_lock(&f->mu);
	for (;;) {
		while (!f->len && !f->stop) {
			/* wake now and then to flush what a stream peer has not
			 * read yet */
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += 200 * 1000000;
			if (until.tv_nsec >= 1000000000) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000;
			}
			pthread_cond_timedwait(&f->cv, &f->mu, &until);
			if (!f->len) {
				pthread_mutex_unlock(&f->mu);
				for (unsigned k = 0; k < f->n; k++)
					c_flush(&f->c[k]);
				pthread_mutex_lock(&f->mu);
			}
		}
		if (!f->len && f->stop)
			break;
		size_t n = f->len, first = MIN(n, f->cap - f->head);
		if (local) {
			memcpy(local, f->ring + f->head, first);
			memcpy(local + first, f->ring, n - first);
		}
		f->head = (f->head + n) % f->cap;
		f->len = 0;
		f->busy = true;
		pthread_mutex_unlock(&f->mu);
		if (local)
			deliver(f, local, n);
		pthread_mutex_lock(&f->mu);
		f->busy = false;
	}
	pthread_mutex_unlock(&f->mu);
	v_free(local);
	return NULL;
}

/* "/dev/log", "udp:HOST:PORT", "tcp:HOST:PORT" */
static int syslog_addr(struct consumer *c, const char *a, struct verr *e)
{
	if (a[0] == '/') {
		struct sockaddr_un *un = (struct sockaddr_un *)&c->sa;
		if (strlen(a) >= sizeof(un->sun_path))
			return verr_set(e, V_EINVAL, "outputs.syslog.address: path too long");
		un->sun_family = AF_UNIX;
		strcpy(un->sun_path, a);
		c->salen = sizeof(*un);
		c->transport = T_UNIX_DGRAM;
		return 0;
	}
	bool udp = !strncmp(a, "udp:", 4), tcp = !strncmp(a, "tcp:", 4);
	char host[256];
	const char *hp = a + 4, *colon = strrchr(hp, ':');
	if ((!udp && !tcp) || !colon || colon == hp || (size_t)(colon - hp) >= sizeof(host))
		return verr_set(e, V_EINVAL,
				"outputs.syslog.address: \"%s\": want /dev/log, udp:HOST:PORT or "
				"tcp:HOST:PORT",
				a);
	memcpy(host, hp, (size_t)(colon - hp));
	host[colon - hp] = '\0';
	if (host[0] == '[' && host[strlen(host) - 1] == ']') {
		memmove(host, host + 1, strlen(host) - 2);
		host[strlen(host) - 2] = '\0';
	}
	struct addrinfo hints = { .ai_socktype = udp ? SOCK_DGRAM : SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV }, *res = NULL;
	int g = getaddrinfo(host, colon + 1, &hints, &res);
	if (g || !res)
		return verr_set(e, V_EINVAL, "outputs.syslog.address: \"%s\": %s", a, gai_strerror(g));
	memcpy(&c->sa, res->ai_addr, res->ai_addrlen);
	c->salen = res->ai_addrlen;
	freeaddrinfo(res);
	c->transport = udp ? T_UDP : T_TCP;
	return 0;
}

struct fanout *fanout_open(const struct config *cfg, struct verr *e)
{
	if (!cfg->unix_enabled && !cfg->syslog_enabled && !cfg->redis_enabled)
		return NULL;
	struct fanout *f = v_calloc(1, sizeof(*f));
	if (!f) {
		verr_set(e, V_ENOMEM, "out of memory");
		return NULL;
	}
	f->cap = MAX(cfg->stream_queue, 65536);
	f->pid = (int)getpid();
	if (gethostname(f->host, sizeof(f->host) - 1) < 0 || !f->host[0])
		strcpy(f->host, "-");
	if (cfg->unix_enabled) {
		struct consumer *c = &f->c[f->n++];
		c->kind = C_UNIX;
		c->name = "unix-stream";
		c->types = &cfg->unix_types;
		struct sockaddr_un *un = (struct sockaddr_un *)&c->sa;
		un->sun_family = AF_UNIX;
		const char *p = cfg->unix_path ? cfg->unix_path : "eve.sock";
		int n = p[0] == '/' ? snprintf(un->sun_path, sizeof(un->sun_path), "%s", p)
				    : snprintf(un->sun_path, sizeof(un->sun_path), "%s/%s", cfg->log_dir, p);
		if (n < 0 || (size_t)n >= sizeof(un->sun_path)) {
			verr_set(e, V_EINVAL, "outputs.unix-stream.path: too long");
			goto fail;
		}
		c->salen = sizeof(*un);
		c->transport = T_UNIX_STREAM;
	}
	if (cfg->syslog_enabled) {
		struct consumer *c = &f->c[f->n++];
		c->kind = C_SYSLOG;
		c->name = "syslog";
		c->types = &cfg->syslog_types;
		c->facility = facilities[cfg->syslog_facility];
		c->cef = cfg->syslog_format == 1;
		if (syslog_addr(c, cfg->syslog_address ? cfg->syslog_address : "/dev/log", e) < 0)
			goto fail;
	}
	if (cfg->redis_enabled) {
		struct consumer *c = &f->c[f->n++];
		static const char *const cmds[] = { "LPUSH", "RPUSH", "PUBLISH" };
		c->kind = C_REDIS;
		c->name = "redis";
		c->types = &cfg->redis_types;
		c->host = cfg->redis_server && *cfg->redis_server ? cfg->redis_server : "127.0.0.1";
		c->port = (int)cfg->redis_port;
		c->key = cfg->redis_key && *cfg->redis_key ? cfg->redis_key : "vigil";
		c->cmd = cmds[cfg->redis_mode];
	}
	for (unsigned k = 0; k < f->n; k++)
		f->c[k].fd = -1;
	if (!(f->ring = v_malloc(f->cap))) {
		verr_set(e, V_ENOMEM, "out of memory (outputs.queue-size)");
		goto fail;
	}
	pthread_mutex_init(&f->mu, NULL);
	pthread_cond_init(&f->cv, NULL);
	if (pthread_create(&f->tid, NULL, fanout_main, f)) {
		verr_set(e, V_ENOMEM, "cannot start the output thread");
		pthread_mutex_destroy(&f->mu);
		pthread_cond_destroy(&f->cv);
		goto fail;
	}
	for (unsigned k = 0; k < f->n; k++)
		log_info("output %s on", f->c[k].name);
	return f;
fail:
	v_free(f->ring);
	v_free(f);
	return NULL;
}

void fanout_drain(struct fanout *f, double secs)
{
	if (!f)
		return;
	double end = now_mono() + secs;
	for (;;) {
		pthread_mutex_lock(&f->mu);
		bool idle = !f->len && !f->busy;
		pthread_mutex_unlock(&f->mu);
		unsigned pending = 0;
		/* the thread is idle: what stream peers have not read is ours
		 * to flush (the thread only flushes on its timed wake) */
		for (unsigned k = 0; idle && k < f->n; k++)
			pending += f->c[k].fd >= 0 && f->c[k].pending.len;
		if ((idle && !pending) || now_mono() > end)
			return;
		struct timespec d = { 0, 2000000 };
		nanosleep(&d, NULL);
	}
}

void fanout_close(struct fanout *f)
{
	if (!f)
		return;
	pthread_mutex_lock(&f->mu);
	f->stop = true;
	pthread_cond_signal(&f->cv);
	pthread_mutex_unlock(&f->mu);
	pthread_join(f->tid, NULL);
	/* what a stream peer has not read yet: 2 s more */
	double end = now_mono() + 2;
	for (unsigned k = 0; k < f->n; k++) {
		struct consumer *c = &f->c[k];
		while (c->fd >= 0 && c->pending.len && now_mono() < end) {
			c_flush(c);
			struct timespec d = { 0, 5000000 };
			nanosleep(&d, NULL);
		}
		c_close(c, 0);
		jb_fini(&c->pending);
		if (c->rc)
			redisFree(c->rc);
	}
	pthread_mutex_destroy(&f->mu);
	pthread_cond_destroy(&f->cv);
	v_free(f->ring);
	v_free(f);
}

void fanout_counters(const struct fanout *f, struct counters *cnt)
{
	if (!f)
		return;
	cnt->v[CNT_OUTPUT_QUEUED] = atomic_load(&f->queued);
	cnt->v[CNT_OUTPUT_QUEUE_DROPPED] = atomic_load(&f->qdropped);
	static const int ids[3][2] = { { CNT_OUTPUT_UNIX_SENT, CNT_OUTPUT_UNIX_DROPPED },
				       { CNT_OUTPUT_SYSLOG_SENT, CNT_OUTPUT_SYSLOG_DROPPED },
				       { CNT_OUTPUT_REDIS_SENT, CNT_OUTPUT_REDIS_DROPPED } };
	for (unsigned k = 0; k < f->n; k++) {
		const struct consumer *c = &f->c[k];
		cnt->v[ids[c->kind][0]] = atomic_load(&c->sent);
		cnt->v[ids[c->kind][1]] = atomic_load(&c->dropped);
	}
}
