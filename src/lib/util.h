/*
 * util.h - small dependency-free helpers shared by every subsystem:
 * eve timestamps, base64, a fast non-cryptographic hash, size parsing.
 */
#ifndef VIGIL_UTIL_H
#define VIGIL_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* The value of hex digit c (either case), or -1. */
static inline int hex_digit(uint8_t c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
		: c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* Microseconds since the epoch. */
typedef uint64_t vtime_t;
#define VTIME_SEC(t) ((t) / 1000000u)
#define VTIME_USEC(t) ((t) % 1000000u)
#define VTIME_FROM_SEC(s) ((vtime_t)(s) * 1000000u)

/* Formats t as Suricata does ("2009-11-24T21:27:09.534255+0000", local
 * time).  buf must hold at least 32 bytes.  Returns buf. */
char *vtime_format(vtime_t t, char buf[static 32]);
/* The other way: an eve timestamp ("2026-11-30T03:03:47.417941+0100")
 * to microseconds since the epoch; -1 if it is not one. */
int64_t vtime_parse(const char *s);

/* Standard base64 (RFC 4648) with padding.  out must hold
 * 4 * ((len + 2) / 3) + 1 bytes.  Returns the length written. */
size_t base64_encode(const uint8_t *in, size_t len, char *out);

/* 64-bit hash of len bytes with seed (not cryptographic; used for hash
 * tables whose keys an attacker influences, so it is seeded per process). */
uint64_t hash_bytes(const void *data, size_t len, uint64_t seed);

static inline uint64_t hash_mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

/* Trims white space (a CR included) from both ends of the n bytes at s;
 * returns the new start, *n the new length. */
const char *span_trim(const char *s, size_t *n);

/* Parses "123", "64kb", "128mb", "1gb" (case-insensitive, also k/m/g and
 * kib/mib/gib, all powers of 1024).  Returns 0 or -1 on a bad value. */
int parse_size(const char *s, uint64_t *out);

/* Parses a non-negative decimal integer that fits in max.  0 or -1. */
int parse_uint(const char *s, uint64_t max, uint64_t *out);

/* Copies at most size-1 bytes and terminates; returns strlen(src). */
size_t str_lcpy(char *dst, const char *src, size_t size);

/* An IPv6 address in text (any valid spelling, n bytes) rewritten in the
 * short RFC 5952 form (2001:db8::1) for people; false if s is not one. */
#define IP6_SHORT_LEN 46
bool ip6_short(const char *s, size_t n, char out[static IP6_SHORT_LEN]);

/* Writes len bytes to path through a temporary file beside it (named
 * with the process id) that is flushed to disk and renamed over path, so
 * readers see the old file or the new one, whole.  mode: the new file's.
 * 0, or -1 with errno set (the temporary file removed). */
int file_write_atomic(const char *path, const void *data, size_t len, unsigned mode);

/* Seconds on the monotonic clock (intervals, deadlines). */
static inline double now_mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The wall clock as a vtime_t (microseconds since the epoch). */
static inline vtime_t now_wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (vtime_t)ts.tv_sec * 1000000u + (vtime_t)ts.tv_nsec / 1000u;
}

#endif
