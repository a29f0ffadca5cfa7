/*
 * sink.c - see sink.h.  A global generation counter, bumped from the
 * SIGHUP handler, tells each sink to reopen; the check is one atomic load
 * per batch.  Writes loop over short writes; the file is opened O_APPEND so
 * concurrent writers from outside (another vigil) cannot tear lines.
 * A sink may also route lines to more files by event type (several eve
 * files, each with its own types): each batch is split line by line into
 * one reused buffer per route, under the sink's lock, then written.
 */
#include "sink.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "fanout.h"
#include "log.h"

static atomic_uint reopen_gen;

#define ROUTE_TYPES 32
#define ROUTE_MAX 8

/* another file that gets the lines of some event types */
struct route {
	int fd;
	unsigned gen;
	char *path;
	bool failed;
	char types[ROUTE_TYPES][32];
	unsigned ntypes;
	char *buf;           /* this batch's lines for it (grows to the largest batch) */
	size_t cap;
};

struct sink {
	pthread_mutex_t lock;
	int fd;
	unsigned gen;
	char *path;
	bool failed;
	struct fanout *fan;  /* the other consumers of the stream, or NULL */
	struct route routes[ROUTE_MAX];
	unsigned nroutes;
};

void sink_request_reopen(void) { atomic_fetch_add(&reopen_gen, 1); }

static int open_file(const char *path)
{
	return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
}

struct sink *sink_file_open(const char *path, struct verr *e)
{
	struct sink *s = v_calloc(1, sizeof(*s));
	if (!s) {
		verr_set(e, V_ENOMEM, "out of memory");
		return NULL;
	}
	s->path = v_strdup(path);
	s->fd = open_file(path);
	if (!s->path || s->fd < 0) {
		verr_set(e, V_EIO, "%s: %s", path, strerror(errno));
		if (s->fd >= 0)
			close(s->fd);
		v_free(s->path);
		v_free(s);
		return NULL;
	}
	s->gen = atomic_load(&reopen_gen);
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

struct sink *sink_stream_open(struct verr *e)
{
	struct sink *s = v_calloc(1, sizeof(*s));
	if (!s || !(s->path = v_strdup(""))) {
		v_free(s);
		verr_set(e, V_ENOMEM, "out of memory");
		return NULL;
	}
	s->fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

void sink_set_fanout(struct sink *s, struct fanout *f) { s->fan = f; }
struct fanout *sink_fanout(const struct sink *s) { return s ? s->fan : NULL; }

const char *sink_path(const struct sink *s) { return s->path; }

int sink_chown(struct sink *s, unsigned uid, unsigned gid)
{
	if (!s)
		return 0;
	for (unsigned i = 0; i < s->nroutes; i++)
		if (fchown(s->routes[i].fd, (uid_t)uid, (gid_t)gid) < 0)
			return V_EIO;
	if (s->fd < 0)
		return 0;
	return fchown(s->fd, (uid_t)uid, (gid_t)gid) < 0 ? V_EIO : 0;
}

int sink_add_route(struct sink *s, const char *path, const char *types, struct verr *e)
{
	if (s->nroutes == ROUTE_MAX)
		return verr_set(e, V_EINVAL, "%s: at most %d more eve files", path, ROUTE_MAX);
	struct route *r = &s->routes[s->nroutes];
	memset(r, 0, sizeof(*r));
	/* "alert, drop" or "alert,drop": event type names */
	for (const char *t = types; *t;) {
		t += strspn(t, " ,");
		size_t n = strcspn(t, " ,");
		if (!n)
			break;
		if (r->ntypes == ROUTE_TYPES || n >= sizeof(r->types[0]))
			return verr_set(e, V_EINVAL, "%s: too many event types, or one too long", path);
		memcpy(r->types[r->ntypes], t, n);
		r->types[r->ntypes++][n] = 0;
		t += n;
	}
	if (!r->ntypes)
		return verr_set(e, V_EINVAL, "%s: no event types", path);
	r->path = v_strdup(path);
	if (!r->path)
		return verr_set(e, V_ENOMEM, "out of memory");
	r->fd = open_file(path);
	if (r->fd < 0) {
		verr_set(e, V_EIO, "%s: %s", path, strerror(errno));
		v_free(r->path);
		return V_EIO;
	}
	r->gen = atomic_load(&reopen_gen);
	s->nroutes++;
	return 0;
}

/* Reopens after SIGHUP (gen moved on), keeping the old file when that
 * fails. */
static void reopen_if(int *fd, unsigned *gen, const char *path)
{
	unsigned g = atomic_load(&reopen_gen);
	if (g == *gen)
		return;
	int nfd = open_file(path);
	if (nfd >= 0) {
		close(*fd);
		*fd = nfd;
		log_info("reopened %s", path);
	} else {
		log_err("%s: reopen failed: %s", path, strerror(errno));
	}
	*gen = g;
}

static int write_all(int fd, const char *buf, size_t len, const char *path, bool *failed)
{
	while (len) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (!*failed)
				log_err("%s: write failed: %s", path, strerror(errno));
			*failed = true;
			return V_EIO;
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static bool route_wants(const struct route *r, const char *type, size_t n)
{
	for (unsigned i = 0; i < r->ntypes; i++)
		if (strlen(r->types[i]) == n && !memcmp(r->types[i], type, n))
			return true;
	return false;
}

/* Each line of buf to the routes that want its event type (the record's
 * first "event_type", which eve_header writes before any nested object). */
static int write_routes(struct sink *s, const char *buf, size_t len)
{
	static const char key[] = "\"event_type\":\"";
	int rc = 0;
	for (unsigned i = 0; i < s->nroutes; i++) {
		struct route *r = &s->routes[i];
		if (r->cap < len) {
			char *nb = v_realloc(r->buf, len);
			if (!nb)
				return V_ENOMEM;
			r->buf = nb;
			r->cap = len;
		}
	}
	size_t used[ROUTE_MAX] = { 0 };
	for (size_t off = 0; off < len;) {
		const char *line = buf + off;
		const char *nl = memchr(line, '\n', len - off);
		size_t ll = nl ? (size_t)(nl - line) + 1 : len - off;
		const char *t = memmem(line, ll, key, sizeof(key) - 1);
		if (t) {
			t += sizeof(key) - 1;
			const char *te = memchr(t, '"', (size_t)(line + ll - t));
			for (unsigned i = 0; te && i < s->nroutes; i++)
				if (route_wants(&s->routes[i], t, (size_t)(te - t))) {
					memcpy(s->routes[i].buf + used[i], line, ll);
					used[i] += ll;
				}
		}
		off += ll;
	}
	for (unsigned i = 0; i < s->nroutes; i++) {
		struct route *r = &s->routes[i];
		if (!used[i])
			continue;
		reopen_if(&r->fd, &r->gen, r->path);
		if (write_all(r->fd, r->buf, used[i], r->path, &r->failed) < 0)
			rc = V_EIO;
	}
	return rc;
}

int sink_write(struct sink *s, const char *buf, size_t len)
{
	int rc = 0;
	fanout_offer(s->fan, buf, len);
	if (s->fd < 0 && !s->nroutes)
		return 0;
	pthread_mutex_lock(&s->lock);
	if (s->fd >= 0) {
		reopen_if(&s->fd, &s->gen, s->path);
		rc = write_all(s->fd, buf, len, s->path, &s->failed);
	}
	if (s->nroutes && write_routes(s, buf, len) < 0)
		rc = V_EIO;
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void sink_close(struct sink *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	for (unsigned i = 0; i < s->nroutes; i++) {
		close(s->routes[i].fd);
		v_free(s->routes[i].path);
		v_free(s->routes[i].buf);
	}
	pthread_mutex_destroy(&s->lock);
	v_free(s->path);
	v_free(s);
}
