/*
 * input.c - log files and the systemd journal as sources of log lines.
 *
 * A file is followed by its device and inode: when the name points at a
 * new file (logrotate's rename-and-create) the old one is read to its end
 * first, then the new one from its start; a file that shrank (copytruncate)
 * is read again from the start.  A line is complete at its newline; a
 * partial last line waits for the rest.  Positions (device, inode,
 * offset per file; the journal's cursor) are written to one JSON file,
 * atomically, so a restart resumes where the last run stopped.
 *
 * Journal entries become syslog lines ("Nov 30 14:02:03 host sshd[812]:
 * message"), the shape the Wazuh decoders expect.
 */
#include "input.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#ifdef HAVE_SYSTEMD
#include <systemd/sd-journal.h>
#endif

#include "util.h"

#define READ_CHUNK 65536

struct src_file {
	char *path;
	bool json;
	int fd;
	dev_t dev;
	ino_t ino;
	uint64_t off;         /* of the next byte to read */
	char *buf;            /* a partial line */
	size_t len;
	bool skipping;        /* the rest of an over-long line */
	bool have_saved;
	uint64_t saved_dev, saved_ino, saved_off;
};

struct hids_inputs {
	char *pos_file;
	bool from_start;
	struct src_file *f;
	size_t nf;
#ifdef HAVE_SYSTEMD
	sd_journal *j;
#endif
	bool journal;
	char *cursor;         /* of the last journal entry read */
	bool in_journal;      /* a journal entry is being delivered */
	const struct src_file *cur;  /* the file of the line being delivered */
	uint64_t cur_end;
	struct hids_input_stats st;
	json_t *saved;        /* the positions read at start */
};

struct hids_inputs *hids_inputs_new(const char *pos_file, bool from_start)
{
	struct hids_inputs *in = calloc(1, sizeof(*in));
	if (!in)
		return NULL;
	in->from_start = from_start;
	if (pos_file && !(in->pos_file = strdup(pos_file))) {
		free(in);
		return NULL;
	}
	if (pos_file) {
		json_error_t je;
		in->saved = json_load_file(pos_file, 0, &je);
		json_t *c = json_object_get(in->saved, "journal");
		if (json_is_string(c))
			in->cursor = strdup(json_string_value(c));
	}
	return in;
}

void hids_inputs_free(struct hids_inputs *in)
{
	if (!in)
		return;
	for (size_t i = 0; i < in->nf; i++) {
		if (in->f[i].fd >= 0)
			close(in->f[i].fd);
		free(in->f[i].path);
		free(in->f[i].buf);
	}
	free(in->f);
#ifdef HAVE_SYSTEMD
	if (in->j)
		sd_journal_close(in->j);
#endif
	free(in->cursor);
	free(in->pos_file);
	json_decref(in->saved);
	free(in);
}

int hids_inputs_add_file(struct hids_inputs *in, const char *spec, struct verr *e)
{
	bool json = !strncmp(spec, "json:", 5);
	const char *path = json ? spec + 5 : spec;
	struct src_file *n = realloc(in->f, (in->nf + 1) * sizeof(*n));
	if (!n)
		return verr_set(e, V_ENOMEM, "out of memory");
	in->f = n;
	struct src_file *f = &n[in->nf];
	memset(f, 0, sizeof(*f));
	f->fd = -1;
	f->json = json;
	if (!(f->path = strdup(path)) || !(f->buf = malloc(HIDS_LINE_MAX + 1))) {
		free(f->path);
		return verr_set(e, V_ENOMEM, "out of memory");
	}
	json_t *p = json_object_get(json_object_get(in->saved, "files"), path);
	if (json_is_object(p)) {
		f->have_saved = true;
		f->saved_dev = (uint64_t)json_integer_value(json_object_get(p, "dev"));
		f->saved_ino = (uint64_t)json_integer_value(json_object_get(p, "ino"));
		f->saved_off = (uint64_t)json_integer_value(json_object_get(p, "off"));
	}
	in->nf++;
	return 0;
}

/* Opens the file now at f->path; start: where to begin in it. */
static void file_open(struct hids_inputs *in, struct src_file *f, bool first)
{
	int fd = open(f->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return;
	struct stat st;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return;
	}
	f->fd = fd;
	f->dev = st.st_dev;
	f->ino = st.st_ino;
	f->len = 0;
	f->skipping = false;
	f->off = 0;
	if (first) {
		if (f->have_saved && f->saved_dev == (uint64_t)st.st_dev && f->saved_ino == (uint64_t)st.st_ino &&
		    f->saved_off <= (uint64_t)st.st_size)
			f->off = f->saved_off;
		else if (!f->have_saved && !in->from_start)
			f->off = (uint64_t)st.st_size;
	}
	lseek(fd, (off_t)f->off, SEEK_SET);
}

static void emit(struct hids_inputs *in, struct src_file *f, const char *line, size_t len,
		 hids_line_fn fn, void *ctx, uint64_t end)
{
	in->cur = f;
	in->cur_end = end;
	if (len && line[len - 1] == '\r')
		len--;
	if (!len)
		return;
	in->st.lines++;
	in->st.bytes += len;
	fn(ctx, f->path, line, len);
	in->cur = NULL;
}

bool hids_inputs_line_end(const struct hids_inputs *in, uint64_t *dev, uint64_t *ino, uint64_t *off)
{
	if (!in->cur)
		return false;
	*dev = (uint64_t)in->cur->dev;
	*ino = (uint64_t)in->cur->ino;
	*off = in->cur_end;
	return true;
}

const char *hids_inputs_line_cursor(const struct hids_inputs *in)
{
	return in->in_journal ? in->cursor : NULL;
}

int hids_inputs_resume_journal(struct hids_inputs *in, const char *cursor)
{
	char *c = strdup(cursor);
	if (!c)
		return V_ENOMEM;
	free(in->cursor);
	in->cursor = c;
	return 0;
}

void hids_inputs_resume(struct hids_inputs *in, const char *path, uint64_t dev, uint64_t ino, uint64_t off)
{
	for (size_t i = 0; i < in->nf; i++) {
		struct src_file *f = &in->f[i];
		if (strcmp(f->path, path) || f->fd >= 0)
			continue;
		f->have_saved = true;
		f->saved_dev = dev;
		f->saved_ino = ino;
		f->saved_off = off;
	}
}

/* Reads what f has; returns the lines delivered. */
static size_t file_poll(struct hids_inputs *in, struct src_file *f, size_t max, hids_line_fn fn,
			void *ctx, bool *first)
{
	size_t lines = 0;
	if (f->fd < 0) {
		file_open(in, f, *first);
		if (f->fd < 0)
			return 0;
	}
	*first = false;
	char chunk[READ_CHUNK];
	while (lines < max) {
		ssize_t n = read(f->fd, chunk, sizeof(chunk));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			in->st.errors++;
			break;
		}
		if (n == 0) {
			/* at the end: has the name moved on (rotation) or the file
			 * shrunk (truncation)? */
			struct stat st, cur;
			if (stat(f->path, &st) < 0 || fstat(f->fd, &cur) < 0)
				break;
			if (st.st_dev != f->dev || st.st_ino != f->ino) {
				if (f->len)
					emit(in, f, f->buf, f->len, fn, ctx, f->off), lines++;
				close(f->fd);
				f->fd = -1;
				in->st.rotations++;
				file_open(in, f, false);
				if (f->fd < 0)
					break;
				continue;
			}
			if ((uint64_t)cur.st_size < f->off) {
				in->st.rotations++;
				f->off = 0;
				f->len = 0;
				lseek(f->fd, 0, SEEK_SET);
				continue;
			}
			break;
		}
		uint64_t at = f->off;
		f->off += (uint64_t)n;
		for (ssize_t i = 0; i < n; i++) {
			char c = chunk[i];
			if (c == '\n') {
				if (!f->skipping) {
					emit(in, f, f->buf, f->len, fn, ctx, at + (uint64_t)i + 1);
					lines++;
				}
				f->len = 0;
				f->skipping = false;
				continue;
			}
			if (f->skipping)
				continue;
			if (f->len == HIDS_LINE_MAX) {
				/* an over-long line: what fits goes, the rest is skipped */
				in->st.truncated++;
				emit(in, f, f->buf, f->len, fn, ctx, at + (uint64_t)i);
				lines++;
				f->len = 0;
				f->skipping = true;
				continue;
			}
			f->buf[f->len++] = c ? c : ' ';
		}
	}
	return lines;
}

int hids_inputs_add_journal(struct hids_inputs *in, const char *dir, struct verr *e)
{
#ifdef HAVE_SYSTEMD
	int r = dir && *dir ? sd_journal_open_directory(&in->j, dir, 0) : sd_journal_open(&in->j, SD_JOURNAL_LOCAL_ONLY);
	if (r < 0)
		return verr_set(e, V_EINVAL, "the systemd journal%s%s: %s", dir && *dir ? " in " : "",
				dir && *dir ? dir : "", strerror(-r));
	/* the journal's files change (rotation, new files): sd_journal_process
	 * follows them once its fd exists */
	sd_journal_get_fd(in->j);
	if (in->cursor && sd_journal_seek_cursor(in->j, in->cursor) >= 0) {
		/* the saved entry was read: go past it */
		if (sd_journal_next(in->j) > 0 && sd_journal_test_cursor(in->j, in->cursor) <= 0)
			sd_journal_previous(in->j);
	} else if (in->from_start) {
		sd_journal_seek_head(in->j);
	} else {
		sd_journal_seek_tail(in->j);
		sd_journal_previous(in->j);
	}
	in->journal = true;
	return 0;
#else
	(void)in;
	(void)dir;
	return verr_set(e, V_EINVAL, "vigil was built without libsystemd: no journal input");
#endif
}

#ifdef HAVE_SYSTEMD
static size_t jfield(sd_journal *j, const char *name, char *out, size_t cap)
{
	const void *d;
	size_t l, nl = strlen(name);
	out[0] = 0;
	if (sd_journal_get_data(j, name, &d, &l) < 0 || l <= nl + 1)
		return 0;
	l -= nl + 1;
	if (l >= cap)
		l = cap - 1;
	memcpy(out, (const char *)d + nl + 1, l);
	out[l] = 0;
	return l;
}

static size_t journal_poll(struct hids_inputs *in, size_t max, hids_line_fn fn, void *ctx)
{
	size_t lines = 0;
	static char line[HIDS_LINE_MAX + 512];
	char msg[HIDS_LINE_MAX], host[256], prog[256], pid[32];
	sd_journal_process(in->j);
	while (lines < max && sd_journal_next(in->j) > 0) {
		uint64_t usec = 0;
		sd_journal_get_realtime_usec(in->j, &usec);
		jfield(in->j, "MESSAGE", msg, sizeof(msg));
		jfield(in->j, "_HOSTNAME", host, sizeof(host));
		if (!jfield(in->j, "SYSLOG_IDENTIFIER", prog, sizeof(prog)))
			jfield(in->j, "_COMM", prog, sizeof(prog));
		if (!jfield(in->j, "SYSLOG_PID", pid, sizeof(pid)))
			jfield(in->j, "_PID", pid, sizeof(pid));
		time_t t = (time_t)(usec / 1000000);
		struct tm tm;
		localtime_r(&t, &tm);
		char ts[32];
		strftime(ts, sizeof(ts), "%b %e %H:%M:%S", &tm);
		int n = *pid ? snprintf(line, sizeof(line), "%s %s %s[%s]: %s", ts, *host ? host : "localhost",
					*prog ? prog : "unknown", pid, msg)
			     : snprintf(line, sizeof(line), "%s %s %s: %s", ts, *host ? host : "localhost",
					*prog ? prog : "unknown", msg);
		if (n < 0)
			continue;
		size_t len = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
		for (size_t i = 0; i < len; i++)
			if (line[i] == '\n' || !line[i])
				line[i] = ' ';
		in->st.lines++;
		in->st.bytes += len;
		/* the cursor is the entry's before fn sees it: the agent puts
		 * it in the entry's record, as a file's offset */
		char *c = NULL;
		if (sd_journal_get_cursor(in->j, &c) >= 0) {
			free(in->cursor);
			in->cursor = c;
		}
		in->in_journal = c != NULL;
		fn(ctx, "journald", line, len);
		in->in_journal = false;
		lines++;
	}
	return lines;
}
#endif

size_t hids_inputs_poll(struct hids_inputs *in, size_t max, hids_line_fn fn, void *ctx)
{
	size_t lines = 0;
	for (size_t i = 0; i < in->nf && lines < max; i++) {
		bool first = in->f[i].fd < 0 && !in->f[i].dev;
		lines += file_poll(in, &in->f[i], max - lines, fn, ctx, &first);
	}
#ifdef HAVE_SYSTEMD
	if (in->journal && lines < max)
		lines += journal_poll(in, max - lines, fn, ctx);
#endif
	return lines;
}

int hids_inputs_save(struct hids_inputs *in, struct verr *e)
{
	if (!in->pos_file)
		return 0;
	json_t *root = json_object(), *files = json_object();
	if (!root || !files) {
		json_decref(root);
		json_decref(files);
		return verr_set(e, V_ENOMEM, "out of memory");
	}
	for (size_t i = 0; i < in->nf; i++) {
		struct src_file *f = &in->f[i];
		if (!f->dev && !f->ino)
			continue;
		/* a partial line is read again next time */
		json_object_set_new(files, f->path,
				    json_pack("{s:I,s:I,s:I}", "dev", (json_int_t)f->dev, "ino",
					      (json_int_t)f->ino, "off", (json_int_t)(f->off - f->len)));
	}
	json_object_set_new(root, "files", files);
	if (in->cursor)
		json_object_set_new(root, "journal", json_string(in->cursor));
	char *s = json_dumps(root, JSON_INDENT(1) | JSON_SORT_KEYS);
	json_decref(root);
	if (!s)
		return verr_set(e, V_ENOMEM, "out of memory");
	int rc = file_write_atomic(in->pos_file, s, strlen(s), 0600);
	free(s);
	if (rc < 0)
		return verr_set(e, V_EIO, "%s: %s", in->pos_file, strerror(errno));
	return 0;
}

void hids_inputs_stats(const struct hids_inputs *in, struct hids_input_stats *st)
{
	*st = in->st;
}
