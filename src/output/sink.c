/*
 * sink.c - see sink.h.  A global generation counter, bumped from the
 * SIGHUP handler, tells each sink to reopen; the check is one atomic load
 * per batch.  Writes loop over short writes; the file is opened O_APPEND so
 * concurrent writers from outside (another vigil) cannot tear lines.
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

struct sink {
	pthread_mutex_t lock;
	int fd;
	unsigned gen;
	char *path;
	bool failed;
	struct fanout *fan;  /* the other consumers of the stream, or NULL */
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
	if (!s || s->fd < 0)
		return 0;
	return fchown(s->fd, (uid_t)uid, (gid_t)gid) < 0 ? V_EIO : 0;
}

int sink_write(struct sink *s, const char *buf, size_t len)
{
	int rc = 0;
	fanout_offer(s->fan, buf, len);
	if (s->fd < 0)
		return 0;
	pthread_mutex_lock(&s->lock);
	unsigned g = atomic_load(&reopen_gen);
	if (g != s->gen) {
		int fd = open_file(s->path);
		if (fd >= 0) {
			close(s->fd);
			s->fd = fd;
			log_info("reopened %s", s->path);
		} else {
			log_err("%s: reopen failed: %s", s->path, strerror(errno));
		}
		s->gen = g;
	}
	while (len) {
		ssize_t n = write(s->fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (!s->failed)
				log_err("%s: write failed: %s", s->path, strerror(errno));
			s->failed = true;
			rc = V_EIO;
			break;
		}
		buf += n;
		len -= (size_t)n;
	}
	pthread_mutex_unlock(&s->lock);
	return rc;
}

void sink_close(struct sink *s)
{
	if (!s)
		return;
	if (s->fd >= 0)
		close(s->fd);
	pthread_mutex_destroy(&s->lock);
	v_free(s->path);
	v_free(s);
}
