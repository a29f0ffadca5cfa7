/*
 * tail.h - following eve.json like Filebeat: whole lines, from a saved
 * position, across rotation, without loss or duplicates.
 *
 * A position is the file's identity (device and inode) and a byte offset
 * just past the last line the consumer has dealt with.  On start the
 * tailer finds that file again: eve.json itself, or, if it has been
 * rotated since, the rotated file beside it (eve.json.1, eve.json-2026...)
 * with the same inode, whose rest is read before the new eve.json from its
 * start.  A file shorter than the offset was truncated: it is read from
 * its start.  The consumer saves the position only once it has dealt with
 * the lines before it (the store saves it in the same transaction as the
 * records), so a crash repeats nothing and loses nothing.
 */
#ifndef VIGIL_TAIL_H
#define VIGIL_TAIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vigil.h"

struct tail_pos {
	uint64_t dev, ino;
	uint64_t off;
};

struct tail;

/* Follows path from pos (NULL, or a zero position: from the start of the
 * current file).  NULL with e set if out of memory; a missing file is
 * waited for. */
struct tail *tail_open(const char *path, const struct tail_pos *pos, struct verr *e);
void tail_close(struct tail *t);

/* The next complete line (without its '\n'), valid until the next call;
 * NULL when there is none yet.  *after is the position just past it. */
const char *tail_next(struct tail *t, size_t *len, struct tail_pos *after);

/* Lines longer than this are skipped (counted in tail_skipped). */
#define TAIL_MAX_LINE (16u << 20)
uint64_t tail_skipped(const struct tail *t);

#endif
