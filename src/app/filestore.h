/*
 * filestore.h - the file store (filestore.c): files kept as evidence.
 */
#ifndef VIGIL_FILESTORE_H
#define VIGIL_FILESTORE_H

#include <stdbool.h>
#include <stdint.h>

#include "vigil.h"

/* A file being written to the store's temporary directory. */
struct file_store {
	int fd;
	uint64_t written;
	char tmp[600];
};

/* Opens the store (creates dir 0700, counts what it holds); with
 * force_all every file is kept; with write_fileinfo each kept file gets a
 * metadata file (filestore_write_meta).  Until then nothing is stored. */
int filestore_init(const char *dir, bool force_all, bool write_fileinfo, uint64_t max_files,
		   uint64_t max_size, uint64_t max_file_size, struct verr *e);
bool filestore_forced(void);
void filestore_open(struct file_store *s);
void filestore_write(struct file_store *s, const uint8_t *d, uint32_t n);
void filestore_close(struct file_store *s);
/* Removes the temporary file. */
void filestore_drop(struct file_store *s);
/* Keeps the closed temporary file tmp as DIR/xx/SHA256; true if stored
 * (or already there). */
bool filestore_commit(const char *tmp, const char *sha256, uint64_t size);
/* Whether kept files get metadata files (file-store.write-fileinfo). */
bool filestore_fileinfo(void);
/* After filestore_commit kept the file with digest sha256: writes its
 * metadata file DIR/xx/SHA256.SECS.ID.json (json, len bytes: its fileinfo
 * record; secs: the packet's time; ID: the next of this run's stored
 * files), mode 0600, counted against the store's limits.  A no-op unless
 * filestore_fileinfo(); a failure counts as a file-system error. */
void filestore_write_meta(const char *sha256, uint64_t secs, const char *json, size_t len);
/* The file-system errors (a temporary file not created or written, a file
 * not renamed into place) the calling thread met since its last call;
 * resets them.  The worker adds them to file_store.fs_errors. */
uint64_t filestore_take_errors(void);

#endif
