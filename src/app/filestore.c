/*
 * filestore.c - evidence: the files rules ask for (filestore) or all of
 * them (file-store.force-filestore), kept in a bounded directory.
 *
 * While a file streams in, its bytes go to a temporary file (mode 0600)
 * in DIR/tmp, up to file-store.max-file-size; when it closes and the
 * packet's rules want it, it is renamed to DIR/xx/SHA256 (xx: the
 * digest's first two hex digits, Suricata's file-store v2 layout), once
 * per content; otherwise it is removed.  The store holds at most
 * file-store.max-files files and file-store.max-size bytes: the oldest go
 * first, those found in the directory at start-up included.  The
 * directory is 0700; one lock guards the list (a few operations per file).
 * What the file system refuses (creating, writing or renaming a file) is
 * counted per thread and taken into the worker's file_store.fs_errors.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "alloc.h"
#include "file.h"
#include "filestore.h"
#include "util.h"

struct stored {
	char sha[65];
	uint64_t size;
	time_t mtime;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char dir[512];
static bool on, force;
static uint64_t max_files, max_size, max_file;
static struct stored *list;    /* oldest first */
static size_t nlist, caplist;
static uint64_t total;
static uint64_t counter;
/* this thread's file-system errors not yet taken (filestore_take_errors) */
static _Thread_local uint64_t fs_errors;

static int cmp_mtime(const void *a, const void *b)
{
	const struct stored *x = a, *y = b;
	return x->mtime < y->mtime ? -1 : x->mtime > y->mtime;
}

static void add_stored(const char *sha, uint64_t size, time_t mtime)
{
	if (nlist == caplist) {
		size_t nc = caplist ? caplist * 2 : 64;
		struct stored *nl = v_realloc(list, nc * sizeof(*nl));
		if (!nl)
			return;
		list = nl;
		caplist = nc;
	}
	str_lcpy(list[nlist].sha, sha, sizeof(list[nlist].sha));
	list[nlist].size = size;
	list[nlist].mtime = mtime;
	nlist++;
	total += size;
}

static void path_of(const char *sha, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%.2s/%s", dir, sha, sha);
}

/* Removes the oldest until the limits hold. */
static void evict(void)
{
	size_t k = 0;
	while (k < nlist && (nlist - k > max_files || total > max_size)) {
		char p[700];
		path_of(list[k].sha, p, sizeof(p));
		unlink(p);
		total -= list[k].size;
		k++;
	}
	if (k) {
		memmove(list, list + k, (nlist - k) * sizeof(*list));
		nlist -= k;
	}
}

int filestore_init(const char *d, bool force_all, uint64_t files, uint64_t size, uint64_t file_size,
		   struct verr *e)
{
	pthread_mutex_lock(&lock);
	str_lcpy(dir, d, sizeof(dir));
	force = force_all;
	max_files = files ? files : 1;
	max_size = size;
	max_file = file_size;
	char p[700];
	snprintf(p, sizeof(p), "%s/tmp", dir);
	if ((mkdir(dir, 0700) < 0 && errno != EEXIST) || (mkdir(p, 0700) < 0 && errno != EEXIST)) {
		pthread_mutex_unlock(&lock);
		return verr_set(e, V_EIO, "file-store.dir: %s: %s", dir, strerror(errno));
	}
	chmod(dir, 0700);
	/* what an earlier run kept counts against the limits; its leftover
	 * temporary files go */
	DIR *td = opendir(p);
	for (struct dirent *de; td && (de = readdir(td));) {
		if (de->d_name[0] == '.')
			continue;
		char f[1000];
		snprintf(f, sizeof(f), "%s/%s", p, de->d_name);
		unlink(f);
	}
	if (td)
		closedir(td);
	nlist = 0;
	total = 0;
	DIR *top = opendir(dir);
	for (struct dirent *de; top && (de = readdir(top));) {
		if (strlen(de->d_name) != 2)
			continue;
		char sub[600];
		snprintf(sub, sizeof(sub), "%s/%s", dir, de->d_name);
		DIR *sd = opendir(sub);
		for (struct dirent *fe; sd && (fe = readdir(sd));) {
			struct stat st;
			char f[1000];
			snprintf(f, sizeof(f), "%s/%s", sub, fe->d_name);
			if (strlen(fe->d_name) == 64 && stat(f, &st) == 0 && S_ISREG(st.st_mode))
				add_stored(fe->d_name, (uint64_t)st.st_size, st.st_mtime);
		}
		if (sd)
			closedir(sd);
	}
	if (top)
		closedir(top);
	if (nlist)
		qsort(list, nlist, sizeof(*list), cmp_mtime);
	evict();
	on = true;
	pthread_mutex_unlock(&lock);
	file_want(FILE_WANT_SHA256 | (force ? FILE_WANT_STORE : 0));
	return 0;
}

bool filestore_forced(void)
{
	return force;
}

void filestore_open(struct file_store *s)
{
	s->fd = -1;
	s->written = 0;
	s->tmp[0] = 0;
	if (!on || !(file_wanted() & FILE_WANT_STORE))
		return;
	pthread_mutex_lock(&lock);
	uint64_t c = ++counter;
	pthread_mutex_unlock(&lock);
	snprintf(s->tmp, sizeof(s->tmp), "%s/tmp/%ld-%llu", dir, (long)getpid(),
		 (unsigned long long)c);
	s->fd = open(s->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (s->fd < 0) {
		fs_errors++;
		s->tmp[0] = 0;
	}
	else if (s->fd == 0) { /* never stdin's number: keep it closed for ours */
		int fd = fcntl(0, F_DUPFD_CLOEXEC, 3);
		close(0);
		s->fd = fd;
		if (fd < 0) {
			unlink(s->tmp);
			s->tmp[0] = 0;
		}
	}
}

/* A file_store is in use only while tmp is set (zeroed memory is "none":
 * fd 0 is never taken for ours). */
void filestore_write(struct file_store *s, const uint8_t *d, uint32_t n)
{
	if (!s->tmp[0] || s->fd < 0)
		return;
	if (s->written + n > max_file) {
		filestore_drop(s); /* too large to keep */
		return;
	}
	if (write(s->fd, d, n) != (ssize_t)n) {
		fs_errors++; /* the disk refused */
		filestore_drop(s);
		return;
	}
	s->written += n;
}

void filestore_close(struct file_store *s)
{
	if (s->tmp[0] && s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

void filestore_drop(struct file_store *s)
{
	filestore_close(s);
	if (s->tmp[0])
		unlink(s->tmp);
	s->tmp[0] = 0;
}

bool filestore_commit(const char *tmp, const char *sha256, uint64_t size)
{
	if (!tmp[0] || strlen(sha256) != 64)
		return false;
	char sub[600], p[700];
	snprintf(sub, sizeof(sub), "%s/%.2s", dir, sha256);
	path_of(sha256, p, sizeof(p));
	pthread_mutex_lock(&lock);
	bool ok = true;
	if (mkdir(sub, 0700) < 0 && errno != EEXIST)
		ok = false;
	struct stat st;
	if (ok && stat(p, &st) == 0) {
		unlink(tmp); /* the same content is there already */
	} else if (ok && rename(tmp, p) == 0) {
		add_stored(sha256, size, time(NULL));
		evict();
	} else {
		unlink(tmp);
		ok = false;
	}
	pthread_mutex_unlock(&lock);
	if (!ok)
		fs_errors++;
	return ok;
}

uint64_t filestore_take_errors(void)
{
	uint64_t n = fs_errors;
	fs_errors = 0;
	return n;
}
