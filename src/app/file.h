/*
 * file.h - what vigil learns about a file a protocol carries, streamed:
 * md5, sha1, sha256 (OpenSSL) and libmagic's description of its first
 * bytes, each computed only when wanted (configuration or a rule that
 * looks at it).  Memory per open file: three digest contexts and 512
 * bytes.
 */
#ifndef VIGIL_FILE_H
#define VIGIL_FILE_H

#include <stdbool.h>
#include <stdint.h>

#include "filestore.h"

enum { FILE_WANT_MD5 = 1, FILE_WANT_SHA1 = 2, FILE_WANT_SHA256 = 4, FILE_WANT_MAGIC = 8,
       FILE_WANT_STORE = 16 /* written to the file store's tmp, kept if rules say */ };
#define FILE_MAGIC_BYTES 512   /* libmagic looks at this much (Suricata's too) */
#define FILE_MAGIC_MAX 128     /* description kept */

/* What is computed for files opened from now on (ORed in by the
 * configuration and by the rule parser; never cleared). */
void file_want(unsigned flags);
unsigned file_wanted(void);

struct file_track {
	void *ctx[3];             /* EVP_MD_CTX: md5, sha1, sha256 (NULL: not wanted) */
	uint8_t *head;            /* the first bytes, for libmagic (wanted) */
	uint16_t head_len;
	bool magic;
	struct file_store st;     /* its copy for the file store (wanted) */
	bool gaps;                /* bytes of it were lost (a hole in the capture) */
};

/* The digests and magic of a file once closed (hex; "" when not computed). */
struct file_facts {
	char md5[33], sha1[41], sha256[65];
	char magic[FILE_MAGIC_MAX];
	char store_tmp[600];      /* a closed copy awaiting the rules' verdict ("" none) */
	bool stored;              /* kept in the file store */
	bool gaps;                /* bytes were lost: TRUNCATED; digests of the bytes seen */
};

void file_track_begin(struct file_track *t);
void file_track_add(struct file_track *t, const uint8_t *d, uint32_t n);
/* Bytes of the file were lost (its digests and copy go on with the rest,
 * as Suricata's). */
void file_track_gap(struct file_track *t);
/* Finishes the digests (closed files) and the magic; frees the state. */
void file_track_end(struct file_track *t, struct file_facts *out, bool closed);
void file_track_free(struct file_track *t);
/* libmagic's description of d (the magic database is loaded on first use);
 * out is "" when libmagic is unavailable. */
void file_magic(const uint8_t *d, uint32_t n, char *out, size_t cap);

#endif
