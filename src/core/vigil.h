/*
 * vigil.h - the project-wide return codes and error struct.
 *
 * Functions return 0 or a negative V_E* code; the detail a person needs
 * (file:line, the offending text) goes into a caller-supplied struct verr.
 */
#ifndef VIGIL_VIGIL_H
#define VIGIL_VIGIL_H

#include <stdarg.h>
#include <stddef.h>

/* VIGIL_ASAN: built with AddressSanitizer (gcc or clang) */
#if defined(__SANITIZE_ADDRESS__)
#define VIGIL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define VIGIL_ASAN 1
#endif
#endif

/* one version: CMake's project(VERSION) passes it in */
#ifndef VIGIL_VERSION
#define VIGIL_VERSION "0.0.0-unknown"
#endif

enum {
	V_OK = 0,
	V_ENOMEM = -1,  /* allocation failed or a memcap was hit */
	V_EINVAL = -2,  /* bad configuration, argument or rule */
	V_EIO = -3,     /* reading or writing a file or socket failed */
	V_EOF = -4,     /* a source has no more input */
	V_EAGAIN = -5,  /* nothing now, try again */
	V_EFORMAT = -6, /* input is not in the expected format */
};

struct verr {
	char msg[512];
};

/* Formats into e->msg (if e is not NULL) and returns code. */
int verr_set(struct verr *e, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

const char *v_strerror(int code);

#endif
