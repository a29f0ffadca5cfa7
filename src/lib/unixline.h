/*
 * unixline.h - one request line to a unix stream socket and one answer
 * line back: the control socket's clients (vigil ctl, the dashboard).
 */
#ifndef VIGIL_UNIXLINE_H
#define VIGIL_UNIXLINE_H

#include <stddef.h>

#include "json.h"

enum unixline_err {
	UL_OK = 0,
	UL_CONNECT = -1,   /* no socket there, or refused (errno) */
	UL_SEND = -2,      /* the request could not be sent (errno) */
	UL_TIMEOUT = -3,   /* no whole answer line within the timeout */
	UL_CLOSED = -4,    /* closed before a whole line, or over max bytes */
};

/* Sends req (a whole line, with its '\n') to the socket at path and
 * appends the answer line, without its '\n', to ans (max bytes at most).
 * timeout_ms: for each wait for more of the answer. */
int unixline_call(const char *path, const char *req, int timeout_ms, size_t max, struct jbuf *ans);

#endif
