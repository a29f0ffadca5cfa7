/*
 * cursor.h - checked reads of untrusted bytes.
 *
 * Every read of wire data in decode/ and app/ goes through a cursor: a
 * window {p, end} with a sticky error flag.  A getter that would read past
 * the end returns 0 (or NULL), sets the flag and leaves the window empty,
 * so a parser can read a whole header and check the flag once.  Lengths are
 * compared by subtraction (n > end - p), never by forming a pointer past the
 * window.  Sub-cursors express "the next N bytes are X": the parent skips
 * them and the child cannot read beyond them.  Modelled on tcpdump's GET_*
 * macros; header-only so that the compiler can inline the hot getters.
 */
#ifndef VIGIL_CURSOR_H
#define VIGIL_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cursor {
	const uint8_t *p;
	const uint8_t *end;
	bool err;
};

static inline void cur_init(struct cursor *c, const uint8_t *p, size_t len)
{
	c->p = p;
	c->end = p + len;
	c->err = false;
}

/* Bytes left to read; 0 once the error flag is set. */
static inline size_t cur_left(const struct cursor *c)
{
	return c->err ? 0 : (size_t)(c->end - c->p);
}

static inline bool cur_has(const struct cursor *c, size_t n)
{
	return !c->err && n <= (size_t)(c->end - c->p);
}

static inline void cur_fail(struct cursor *c)
{
	c->err = true;
	c->p = c->end;
}

static inline uint8_t cur_u8(struct cursor *c)
{
	if (!cur_has(c, 1)) {
		cur_fail(c);
		return 0;
	}
	return *c->p++;
}

static inline uint16_t cur_be16(struct cursor *c)
{
	if (!cur_has(c, 2)) {
		cur_fail(c);
		return 0;
	}
	uint16_t v = (uint16_t)(c->p[0] << 8 | c->p[1]);
	c->p += 2;
	return v;
}

static inline uint32_t cur_be24(struct cursor *c)
{
	if (!cur_has(c, 3)) {
		cur_fail(c);
		return 0;
	}
	uint32_t v = (uint32_t)c->p[0] << 16 | (uint32_t)c->p[1] << 8 | c->p[2];
	c->p += 3;
	return v;
}

static inline uint32_t cur_be32(struct cursor *c)
{
	if (!cur_has(c, 4)) {
		cur_fail(c);
		return 0;
	}
	uint32_t v = (uint32_t)c->p[0] << 24 | (uint32_t)c->p[1] << 16 |
		     (uint32_t)c->p[2] << 8 | c->p[3];
	c->p += 4;
	return v;
}

static inline uint16_t cur_le16(struct cursor *c)
{
	if (!cur_has(c, 2)) {
		cur_fail(c);
		return 0;
	}
	uint16_t v = (uint16_t)(c->p[1] << 8 | c->p[0]);
	c->p += 2;
	return v;
}

static inline uint32_t cur_le32(struct cursor *c)
{
	if (!cur_has(c, 4)) {
		cur_fail(c);
		return 0;
	}
	uint32_t v = (uint32_t)c->p[3] << 24 | (uint32_t)c->p[2] << 16 |
		     (uint32_t)c->p[1] << 8 | c->p[0];
	c->p += 4;
	return v;
}

/* Returns a view of the next n bytes and skips them, or NULL if short. */
static inline const uint8_t *cur_bytes(struct cursor *c, size_t n)
{
	if (!cur_has(c, n)) {
		cur_fail(c);
		return NULL;
	}
	const uint8_t *v = c->p;
	c->p += n;
	return v;
}

static inline void cur_skip(struct cursor *c, size_t n)
{
	(void)cur_bytes(c, n);
}

/* Copies n bytes into dst; on short input dst is zeroed and the flag set. */
static inline void cur_copy(struct cursor *c, void *dst, size_t n)
{
	const uint8_t *v = cur_bytes(c, n);
	uint8_t *d = dst;
	for (size_t i = 0; i < n; i++)
		d[i] = v ? v[i] : 0;
}

/* The next n bytes as a child cursor; the parent skips them.  If fewer
 * than n bytes are left, both parent and child are in error. */
static inline struct cursor cur_sub(struct cursor *c, size_t n)
{
	struct cursor s;
	const uint8_t *v = cur_bytes(c, n);
	if (!v) {
		s.p = s.end = c->end;
		s.err = true;
	} else {
		s.p = v;
		s.end = v + n;
		s.err = false;
	}
	return s;
}

/* Peek at byte off from the current position without moving; 0 if short
 * (does not set the flag: a peek is a question, not a read). */
static inline uint8_t cur_peek_u8(const struct cursor *c, size_t off)
{
	return cur_has(c, off + 1) ? c->p[off] : 0;
}

static inline uint16_t cur_peek_be16(const struct cursor *c, size_t off)
{
	return cur_has(c, off + 2) ? (uint16_t)(c->p[off] << 8 | c->p[off + 1]) : 0;
}

/* Offset of the current position from base (which must lie in the window's
 * original buffer). */
static inline size_t cur_offset(const struct cursor *c, const uint8_t *base)
{
	return (size_t)(c->p - base);
}

#endif
