/*
 * unixline.c - see unixline.h.
 */
#include "unixline.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

int unixline_call(const char *path, const char *req, int timeout_ms, size_t max, struct jbuf *ans)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	if (!path || strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return UL_CONNECT;
	}
	strcpy(sa.sun_path, path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int err = errno;
		if (fd >= 0)
			close(fd);
		errno = err;
		return UL_CONNECT;
	}
	size_t len = strlen(req), off = 0;
	while (off < len) {
		ssize_t w = send(fd, req + off, len - off, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int err = errno;
			close(fd);
			errno = err;
			return UL_SEND;
		}
		off += (size_t)w;
	}
	int rc = UL_CLOSED;
	char buf[16384];
	for (;;) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		int p = poll(&pf, 1, timeout_ms);
		if (p == 0) {
			rc = UL_TIMEOUT;
			break;
		}
		ssize_t r = p < 0 ? -1 : recv(fd, buf, sizeof(buf), 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		char *nl = memchr(buf, '\n', (size_t)r);
		jb_append(ans, buf, nl ? (size_t)(nl - buf) : (size_t)r);
		if (ans->oom || ans->len > max)
			break;
		if (nl) {
			rc = UL_OK;
			break;
		}
	}
	close(fd);
	return rc;
}
