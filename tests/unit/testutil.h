/*
 * testutil.h - helpers for unit tests: a buffer whose last byte sits right
 * before an unreadable page, so any read past the end faults at once
 * (the picohttpparser trick), without needing ASan.
 */
#ifndef VIGIL_TESTUTIL_H
#define VIGIL_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* Copies len bytes so that they end at a PROT_NONE page; returns the
 * copy.  Valid until the next call. */
const uint8_t *guard_copy(const void *data, size_t len);

#endif
