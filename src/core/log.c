/*
 * log.c - see log.h.  Messages are formatted into one buffer and written
 * with a single call so lines from different threads never interleave.
 */
#include "log.h"
#include "vigil.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

static enum log_level log_level = LOG_INFO;

void log_set_level(enum log_level lvl) { log_level = lvl; }
enum log_level log_get_level(void) { return log_level; }

void log_msg(enum log_level lvl, const char *fmt, ...)
{
	static const char *const names[] = { "error", "warning", "info", "debug" };
	if (lvl > log_level)
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
