/*
 * tail.c - see tail.h.
 */
#include "tail.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "log.h"
#include "util.h"

struct tail {
	char *path;
	int fd;
	uint64_t dev, ino;
	char *buf;
	size_t start, len, cap;
	uint64_t buf_off;      /* the file offset of buf[0] */
	bool skipping;         /* inside a line longer than TAIL_MAX_LINE */
	uint64_t skipped;
	struct tail_pos want;  /* where to start, until the first open */
	bool started;
};

static void set_file(struct tail *t, int fd, const struct stat *st, uint64_t off)
{
	if (t->fd >= 0)
		close(t->fd);
	t->fd = fd;
	t->dev = (uint64_t)st->st_dev;
	t->ino = (uint64_t)st->st_ino;
	if (off > (uint64_t)st->st_size)
		off = 0; /* truncated since: from the start */
	/* always: a dup'd descriptor shares the old one's offset */
	if (lseek(fd, (off_t)off, SEEK_SET) < 0) {
		off = 0;
		lseek(fd, 0, SEEK_SET);
	}
	t->buf_off = off;
	t->start = t->len = 0;
	t->skipping = false;
}

/* The rotated file (in path's directory, named path's name plus a suffix)
 * with the given inode, opened; -1 if none. */
static int find_rotated(const char *path, uint64_t dev, uint64_t ino, struct stat *st)
{
	char dir[4096];
	str_lcpy(dir, path, sizeof(dir));
	char *slash = strrchr(dir, '/');
	const char *base = path;
	if (slash) {
		*slash = '\0';
		base = path + (slash - dir) + 1;
	} else {
		strcpy(dir, ".");
	}
	DIR *d = opendir(dir);
	if (!d)
		return -1;
	int fd = -1;
	size_t bl = strlen(base);
	struct dirent *de;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, base, bl) || !de->d_name[bl])
			continue;
		char p[4096 + 256];
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (stat(p, st) == 0 && (uint64_t)st->st_ino == ino && (uint64_t)st->st_dev == dev) {
			fd = open(p, O_RDONLY | O_CLOEXEC);
			break;
		}
	}
	closedir(d);
	return fd;
}

/* First open: the saved file (current or rotated) at its offset, or the
 * current file from the start. */
static bool first_open(struct tail *t)
{
	struct stat st;
	int fd = -1;
	if (t->want.ino) {
		if (stat(t->path, &st) == 0 && (uint64_t)st.st_ino == t->want.ino &&
		    (uint64_t)st.st_dev == t->want.dev) {
			fd = open(t->path, O_RDONLY | O_CLOEXEC);
		} else if ((fd = find_rotated(t->path, t->want.dev, t->want.ino, &st)) < 0) {
			log_warn("%s: the file read last (inode %llu) is gone; reading the current one "
				 "from its start",
				 t->path, (unsigned long long)t->want.ino);
		}
		if (fd >= 0) {
			set_file(t, fd, &st, t->want.off);
			t->started = true;
			return true;
		}
	}
	fd = open(t->path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		if (fd >= 0)
			close(fd);
		return false;
	}
	set_file(t, fd, &st, 0);
	t->started = true;
	return true;
}

struct tail *tail_open(const char *path, const struct tail_pos *pos, struct verr *e)
{
	struct tail *t = v_calloc(1, sizeof(*t));
	if (!t || !(t->path = v_strdup(path)) || !(t->buf = v_malloc(65536))) {
		if (t)
			v_free(t->path);
		v_free(t);
		verr_set(e, V_ENOMEM, "out of memory");
		return NULL;
	}
	t->cap = 65536;
	t->fd = -1;
	if (pos)
		t->want = *pos;
	return t;
}

void tail_close(struct tail *t)
{
	if (!t)
		return;
	if (t->fd >= 0)
		close(t->fd);
	v_free(t->buf);
	v_free(t->path);
	v_free(t);
}

uint64_t tail_skipped(const struct tail *t) { return t->skipped; }

/* At the end of the current file: a new file at path (rotation) or a
 * truncation starts over; true if there is something new to read. */
static bool check_rotation(struct tail *t)
{
	struct stat st, cur;
	if (stat(t->path, &st) < 0)
		return false;
	if ((uint64_t)st.st_ino != t->ino || (uint64_t)st.st_dev != t->dev) {
		/* the old file's rest was read up to its end (whole lines:
		 * the writer appends nothing else) */
		int fd = open(t->path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &st) < 0) {
			if (fd >= 0)
				close(fd);
			return false;
		}
		set_file(t, fd, &st, 0);
		return true;
	}
	if (fstat(t->fd, &cur) == 0 && (uint64_t)cur.st_size < t->buf_off + t->len) {
		log_warn("%s was truncated; reading it from its start", t->path);
		int fd = dup(t->fd);
		if (fd >= 0) {
			set_file(t, fd, &cur, 0);
			return true;
		}
	}
	return false;
}

const char *tail_next(struct tail *t, size_t *len, struct tail_pos *after)
{
	if (!t->started && !first_open(t))
		return NULL;
	for (int rounds = 0; rounds < 1024; rounds++) {
		char *s = t->buf + t->start;
		char *nl = memchr(s, '\n', t->len - t->start);
		if (nl) {
			size_t l = (size_t)(nl - s);
			t->start += l + 1;
			if (t->skipping || l > TAIL_MAX_LINE) {
				if (!t->skipping)
					t->skipped++;
				t->skipping = false;
				continue;
			}
			*len = l;
			*nl = '\0';
			after->dev = t->dev;
			after->ino = t->ino;
			after->off = t->buf_off + t->start;
			return s;
		}
		/* keep the partial line, read more */
		if (t->start) {
			memmove(t->buf, t->buf + t->start, t->len - t->start);
			t->buf_off += t->start;
			t->len -= t->start;
			t->start = 0;
		}
		if (t->len >= TAIL_MAX_LINE) {
			/* an overlong line: skipped to its end */
			t->skipped++;
			t->skipping = true;
			t->buf_off += t->len;
			t->len = 0;
		}
		if (t->cap - t->len < 32768 && t->cap < TAIL_MAX_LINE + 65536) {
			char *nb = v_realloc(t->buf, t->cap * 2);
			if (!nb)
				return NULL;
			t->buf = nb;
			t->cap *= 2;
		}
		ssize_t r = read(t->fd, t->buf + t->len, t->cap - t->len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r > 0) {
			t->len += (size_t)r;
			t->buf[t->len] = '\0';
			continue;
		}
		if (!check_rotation(t))
			return NULL;
	}
	return NULL;
}
