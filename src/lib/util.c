/*
 * util.c - see util.h.  hash_bytes is a simple multiply-xorshift over 8-byte
 * words (in the style of wyhash/murmur finalizers): fast for the 40-byte
 * flow keys it mostly sees, and seeded so that collisions cannot be
 * precomputed by whoever sends the packets.
 */
#include "util.h"

#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

/* localtime_r (which takes glibc's time-zone lock) runs once per distinct
 * hour per thread; minutes and seconds are then plain arithmetic.  Time
 * zones whose offset is not a whole number of minutes do not exist today. */
int64_t vtime_parse(const char *t)
{
	int Y, M, D, h, m, s, oh = 0, om = 0, n = 0;
	long us = 0;
	char sign = '+';
	if (!t || sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d%n", &Y, &M, &D, &h, &m, &s, &n) < 6)
		return -1;
	t += n;
	if (*t == '.') {
		int k = 0;
		if (sscanf(t + 1, "%6ld%n", &us, &k) < 1)
			return -1;
		for (int i = k; i < 6; i++)
			us *= 10;
		t += 1 + k;
	}
	if (*t == '+' || *t == '-') {
		sign = *t;
		if (sscanf(t + 1, "%2d%*[:]%2d", &oh, &om) < 1 && sscanf(t + 1, "%2d%2d", &oh, &om) < 1)
			return -1;
	}
	if (M < 1 || M > 12 || D < 1 || D > 31 || h > 23 || m > 59 || s > 60)
		return -1;
	struct tm tm = { .tm_year = Y - 1900, .tm_mon = M - 1, .tm_mday = D, .tm_hour = h,
			 .tm_min = m, .tm_sec = s };
	int64_t e = (int64_t)timegm(&tm) - (sign == '-' ? -1 : 1) * (oh * 3600 + om * 60);
	return e * 1000000 + us;
}

char *vtime_format(vtime_t t, char buf[static 32])
{
	static _Thread_local time_t cached_hour = -1;
	static _Thread_local char head[14]; /* "YYYY-mm-ddTHH" */
	static _Thread_local char tz[8];    /* "+hhmm" */
	time_t sec = (time_t)VTIME_SEC(t);
	if (sec / 3600 != cached_hour) {
		struct tm tm;
		char z[16] = "";
		time_t h0 = sec - sec % 3600;
		localtime_r(&h0, &tm);
		strftime(z, sizeof(z), "%z", &tm);
		snprintf(head, sizeof(head), "%04u-%02u-%02uT%02u",
			 (unsigned)(tm.tm_year + 1900) % 10000u, (unsigned)(tm.tm_mon + 1) % 100u,
			 (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u);
		snprintf(tz, sizeof(tz), "%.5s", z[0] ? z : "+0000");
		cached_hour = sec / 3600;
	}
	unsigned ms = (unsigned)(sec % 3600);
	unsigned mi = ms / 60, se = ms % 60;
	uint32_t us = (uint32_t)VTIME_USEC(t);
	memcpy(buf, head, 13);
	buf[13] = ':';
	buf[14] = (char)('0' + mi / 10);
	buf[15] = (char)('0' + mi % 10);
	buf[16] = ':';
	buf[17] = (char)('0' + se / 10);
	buf[18] = (char)('0' + se % 10);
	buf[19] = '.';
	for (int i = 25; i >= 20; i--) {
		buf[i] = (char)('0' + us % 10);
		us /= 10;
	}
	memcpy(buf + 26, tz, 6);
	return buf;
}

size_t base64_encode(const uint8_t *in, size_t len, char *out)
{
	static const char tbl[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t o = 0, i = 0;
	for (; len - i >= 3; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
		out[o++] = tbl[v >> 18 & 63];
		out[o++] = tbl[v >> 12 & 63];
		out[o++] = tbl[v >> 6 & 63];
		out[o++] = tbl[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)in[i] << 16;
		out[o++] = tbl[v >> 18 & 63];
		out[o++] = tbl[v >> 12 & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8;
		out[o++] = tbl[v >> 18 & 63];
		out[o++] = tbl[v >> 12 & 63];
		out[o++] = tbl[v >> 6 & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
	return o;
}

uint64_t hash_bytes(const void *data, size_t len, uint64_t seed)
{
	const uint8_t *p = data;
	uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ULL);
	while (len >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = hash_mix64(h ^ w) * 0x9e3779b97f4a7c15ULL;
		p += 8;
		len -= 8;
	}
	uint64_t w = 0;
	memcpy(&w, p, len);
	return hash_mix64(h ^ w ^ ((uint64_t)len << 56));
}

int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	if (!s || !isdigit((unsigned char)*s))
		return -1;
	uint64_t v = 0;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		unsigned d = (unsigned)(*s - '0');
		if (v > (max - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int parse_size(const char *s, uint64_t *out)
{
	char num[32];
	size_t i = 0;
	while (s[i] && isdigit((unsigned char)s[i]) && i < sizeof(num) - 1) {
		num[i] = s[i];
		i++;
	}
	num[i] = '\0';
	uint64_t v, mul = 1;
	if (parse_uint(num, UINT64_MAX, &v) < 0)
		return -1;
	const char *suf = s + i;
	while (*suf == ' ')
		suf++;
	if (!*suf || !strcasecmp(suf, "b"))
		mul = 1;
	else if (!strcasecmp(suf, "k") || !strcasecmp(suf, "kb") || !strcasecmp(suf, "kib"))
		mul = 1024;
	else if (!strcasecmp(suf, "m") || !strcasecmp(suf, "mb") || !strcasecmp(suf, "mib"))
		mul = 1024 * 1024;
	else if (!strcasecmp(suf, "g") || !strcasecmp(suf, "gb") || !strcasecmp(suf, "gib"))
		mul = 1024ULL * 1024 * 1024;
	else
		return -1;
	if (v > UINT64_MAX / mul)
		return -1;
	*out = v * mul;
	return 0;
}

size_t str_lcpy(char *dst, const char *src, size_t size)
{
	size_t n = strlen(src);
	if (size) {
		size_t c = n < size - 1 ? n : size - 1;
		memcpy(dst, src, c);
		dst[c] = '\0';
	}
	return n;
}

int file_write_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
	char tmp[4200];
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid()) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
	if (fd < 0)
		return -1;
	const char *d = data;
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, d + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	int err = off < len ? (errno ? errno : EIO) : 0;
	if (!err && fsync(fd) < 0)
		err = errno;
	if (close(fd) < 0 && !err)
		err = errno;
	if (!err && rename(tmp, path) < 0)
		err = errno;
	if (err) {
		unlink(tmp);
		errno = err;
		return -1;
	}
	return 0;
}

bool ip6_short(const char *s, size_t n, char out[static IP6_SHORT_LEN])
{
	char in[IP6_SHORT_LEN];
	struct in6_addr a;
	if (!s || n >= sizeof(in) || !memchr(s, ':', n))
		return false;
	memcpy(in, s, n);
	in[n] = '\0';
	return inet_pton(AF_INET6, in, &a) == 1 && inet_ntop(AF_INET6, &a, out, IP6_SHORT_LEN);
}

const char *span_trim(const char *s, size_t *n)
{
	while (*n && isspace((unsigned char)*s)) {
		s++;
		(*n)--;
	}
	while (*n && isspace((unsigned char)s[*n - 1]))
		(*n)--;
	return s;
}
