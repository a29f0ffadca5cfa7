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
 * With file-store.write-fileinfo each stored file gets a metadata file
 * beside its content, DIR/xx/SHA256.SECS.ID.json (its fileinfo record;
 * SECS: the packet's time, ID: a run's count of stored files, as
 * Suricata names them); they are files of the store like the contents,
 * counted against the limits and evicted oldest first.
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

/* NAME_MAX: a content's name (64 hex digits) or a metadata file's
 * (SHA256.SECS.ID.json) */
#define NAME_MAX_LEN 112

struct stored {
	char name[NAME_MAX_LEN];
	uint64_t size;
	time_t mtime;
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static char dir[512];
static bool on, force, fileinfo;
static uint64_t max_files, max_size, max_file;
static struct stored *list;    /* oldest first */
static size_t nlist, caplist;
static uint64_t total;
static uint64_t counter;
static uint32_t store_id;      /* stored files so far: the metadata files' ID */
/* this thread's file-system errors not yet taken (filestore_take_errors) */
static _Thread_local uint64_t fs_errors;

static int cmp_mtime(const void *a, const void *b)
{
	const struct stored *x = a, *y = b;
	return x->mtime < y->mtime ? -1 : x->mtime > y->mtime;
}

static void add_stored(const char *name, uint64_t size, time_t mtime)
{
	if (nlist == caplist) {
		size_t nc = caplist ? caplist * 2 : 64;
		struct stored *nl = v_realloc(list, nc * sizeof(*nl));
		if (!nl)
			return;
		list = nl;
		caplist = nc;
	}
	str_lcpy(list[nlist].name, name, sizeof(list[nlist].name));
	list[nlist].size = size;
	list[nlist].mtime = mtime;
	nlist++;
	total += size;
}

/* DIR/xx/NAME: a content or a metadata file, under its digest's first two
 * hex digits */
static void path_of(const char *name, char *out, size_t cap)
{
	snprintf(out, cap, "%s/%.2s/%s", dir, name, name);
}

/* A name the store keeps: 64 hex digits, optionally followed by
 * ".SECS.ID.json" (a metadata file). */
static bool store_name(const char *n)
{
	size_t len = strlen(n);
	if (len < 64 || len >= NAME_MAX_LEN)
		return false;
	for (int i = 0; i < 64; i++)
		if (!((n[i] >= '0' && n[i] <= '9') || (n[i] >= 'a' && n[i] <= 'f')))
			return false;
	return len == 64 || (n[64] == '.' && len > 69 && !strcmp(n + len - 5, ".json"));
}

/* Removes the oldest until the limits hold. */
static void evict(void)
{
	size_t k = 0;
	while (k < nlist && (nlist - k > max_files || total > max_size)) {
		char p[700];
		path_of(list[k].name, p, sizeof(p));
		unlink(p);
		total -= list[k].size;
		k++;
	}
	if (k) {
		memmove(list, list + k, (nlist - k) * sizeof(*list));
		nlist -= k;
	}
}

int filestore_init(const char *d, bool force_all, bool write_fileinfo, uint64_t files, uint64_t size,
		   uint64_t file_size, struct verr *e)
{
	pthread_mutex_lock(&lock);
	str_lcpy(dir, d, sizeof(dir));
	force = force_all;
	fileinfo = write_fileinfo;
	store_id = 0;
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
			if (store_name(fe->d_name) && !strncmp(fe->d_name, de->d_name, 2) &&
			    stat(f, &st) == 0 && S_ISREG(st.st_mode))
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

bool filestore_fileinfo(void)
{
	return on && fileinfo;
}

void filestore_write_meta(const char *sha256, uint64_t secs, const char *json, size_t len)
{
	if (!filestore_fileinfo() || strlen(sha256) != 64)
		return;
	pthread_mutex_lock(&lock);
	char name[NAME_MAX_LEN], p[700];
	snprintf(name, sizeof(name), "%s.%llu.%u.json", sha256, (unsigned long long)secs, ++store_id);
	path_of(name, p, sizeof(p));
	int fd = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	bool ok = fd >= 0;
	for (size_t off = 0; ok && off < len;) {
		ssize_t n = write(fd, json + off, len - off);
		if (n <= 0) {
			ok = false;
			break;
		}
		off += (size_t)n;
	}
	if (fd >= 0)
		close(fd);
	if (ok) {
		add_stored(name, len, time(NULL));
		evict();
	} else {
		if (fd >= 0)
			unlink(p);
		fs_errors++;
	}
	pthread_mutex_unlock(&lock);
}

uint64_t filestore_take_errors(void)
{
	uint64_t n = fs_errors;
	fs_errors = 0;
	return n;
}
