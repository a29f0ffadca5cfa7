/*
 * log.c - see log.h.  Messages are formatted into one buffer and written
 * with a single call so lines from different threads never interleave.
 */
#include "log.h"
#include "vigil.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "json.h"
#include "util.h"

static enum log_level log_level = LOG_INFO;
/* the log file, if any: its descriptor, format and level */
static atomic_int file_fd = -1;
static bool file_json;
static enum log_level file_level = LOG_INFO;

int log_open_file(const char *path, bool json, enum log_level lvl)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0)
		return -errno;
	file_json = json;
	file_level = lvl;
	int old = atomic_exchange(&file_fd, fd);
	if (old >= 0)
		close(old);
	return 0;
}

void log_close_file(void)
{
	int old = atomic_exchange(&file_fd, -1);
	if (old >= 0)
		close(old);
}

/* One message to the log file, in one write (O_APPEND: lines from
 * threads never interleave). */
static void file_write(enum log_level lvl, const char *msg, size_t len)
{
	static const char *const names[] = { "Error", "Warning", "Info", "Debug" };
	int fd = atomic_load(&file_fd);
	if (fd < 0 || lvl > file_level)
		return;
	char out[4096];
	size_t n = 0;
	if (file_json) {
		char ts[32], thread[32] = "";
		vtime_format(now_wall(), ts);
		pthread_getname_np(pthread_self(), thread, sizeof(thread));
		struct jbuf jb = { 0 };
		jb_open_object(&jb, NULL);
		jb_str(&jb, "timestamp", ts);
		jb_str(&jb, "log_level", names[lvl]);
		jb_str(&jb, "event_type", "engine");
		jb_open_object(&jb, "engine");
		jb_str(&jb, "thread_name", thread);
		/* "[module] message": Suricata's engine.module */
		const char *close = len > 2 && msg[0] == '[' ? memchr(msg, ']', MIN(len, 40)) : NULL;
		if (close && (size_t)(close - msg) + 2 <= len && close[1] == ' ' &&
		    !memchr(msg, ' ', (size_t)(close - msg))) {
			jb_strn(&jb, "module", (const uint8_t *)msg + 1, (size_t)(close - msg - 1));
			len -= (size_t)(close + 2 - msg);
			msg = close + 2;
		}
		jb_strn(&jb, "message", (const uint8_t *)msg, len);
		jb_close(&jb);
		jb_close(&jb);
		if (!jb.oom && jb.len < sizeof(out)) {
			memcpy(out, jb.buf, jb.len);
			n = jb.len;
		}
		jb_fini(&jb);
	} else if (len < sizeof(out) - 16) {
		n = (size_t)snprintf(out, sizeof(out), "vigil: %s: ", names[lvl]);
		memcpy(out + n, msg, len);
		n += len;
	}
	if (n) {
		out[n++] = '\n';
		(void)!write(fd, out, n);
	}
}

void log_set_level(enum log_level lvl) { log_level = lvl; }
enum log_level log_get_level(void) { return log_level; }

void log_to_file(enum log_level lvl, const char *msg)
{
	file_write(lvl, msg, strlen(msg));
}

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	if (lvl > log_level && (atomic_load(&file_fd) < 0 || lvl > file_level))
		return;
	char buf[2048];
	int n = snprintf(buf, sizeof(buf), "vigil: %s: ", names[lvl]);
	va_list ap;
	va_start(ap, fmt);
	int m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	size_t len = (size_t)n + (m < 0 ? 0 : (size_t)m);
	if (len > sizeof(buf) - 2)
		len = sizeof(buf) - 2;
	file_write(lvl, buf + n, len - (size_t)n);
	if (lvl > log_level)
		return;
	buf[len++] = '\n';
	(void)!write(2, buf, len);
}

int verr_set(struct verr *e, int code, const char *fmt, ...)
{
	if (e) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return code;
}

const char *v_strerror(int code)
{
	switch (code) {
	case V_OK: return "ok";
	case V_ENOMEM: return "out of memory";
	case V_EINVAL: return "invalid argument";
	case V_EIO: return "i/o error";
	case V_EOF: return "end of input";
	case V_EAGAIN: return "try again";
	case V_EFORMAT: return "bad format";
	}
	return "unknown error";
}
