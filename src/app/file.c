/*
 * file.c - digests and magic of the files protocols carry (file.h).
 *
 * Digests are streamed through OpenSSL's EVP interface as the bytes come,
 * so a file is never held; libmagic looks at the first FILE_MAGIC_BYTES,
 * as Suricata's filemagic does.  libmagic's handle is not thread-safe, so
 * the process has one, behind a lock (a lookup is a few microseconds per
 * file, not per packet).
 */
#include <magic.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "alloc.h"
#include "file.h"
#include "util.h"

static atomic_uint wanted;

void file_want(unsigned flags)
{
	atomic_fetch_or(&wanted, flags);
}

unsigned file_wanted(void)
{
	return atomic_load(&wanted);
}

static const EVP_MD *md_of(int i)
{
	return i == 0 ? EVP_md5() : i == 1 ? EVP_sha1() : EVP_sha256();
}

void file_track_begin(struct file_track *t)
{
	file_track_free(t);
	unsigned w = file_wanted();
	for (int i = 0; i < 3; i++) {
		if (!(w & (1u << i)))
			continue;
		EVP_MD_CTX *c = EVP_MD_CTX_new();
		if (c && EVP_DigestInit_ex(c, md_of(i), NULL) != 1) {
			EVP_MD_CTX_free(c);
			c = NULL;
		}
		t->ctx[i] = c;
	}
	t->magic = (w & FILE_WANT_MAGIC) != 0;
	filestore_open(&t->st);
}

void file_track_add(struct file_track *t, const uint8_t *d, uint32_t n)
{
	for (int i = 0; i < 3; i++)
		if (t->ctx[i] && n)
			EVP_DigestUpdate(t->ctx[i], d, n);
	filestore_write(&t->st, d, n);
	if (t->magic && t->head_len < FILE_MAGIC_BYTES && n) {
		if (!t->head && !(t->head = v_malloc(FILE_MAGIC_BYTES))) {
			t->magic = false;
			return;
		}
		uint32_t k = MIN(n, (uint32_t)(FILE_MAGIC_BYTES - t->head_len));
		memcpy(t->head + t->head_len, d, k);
		t->head_len = (uint16_t)(t->head_len + k);
	}
}

static void hex(const uint8_t *d, unsigned n, char *out)
{
	static const char x[] = "0123456789abcdef";
	for (unsigned i = 0; i < n; i++) {
		out[2 * i] = x[d[i] >> 4];
		out[2 * i + 1] = x[d[i] & 15];
	}
	out[2 * n] = 0;
}

void file_track_gap(struct file_track *t)
{
	t->gaps = true;
}

void file_track_end(struct file_track *t, struct file_facts *out, bool closed)
{
	memset(out, 0, sizeof(*out));
	out->gaps = t->gaps;
	/* with holes: the digests of the bytes seen, as Suricata gives them */
	char *dst[3] = { out->md5, out->sha1, out->sha256 };
	for (int i = 0; i < 3; i++) {
		uint8_t md[EVP_MAX_MD_SIZE];
		unsigned len = 0;
		/* a truncated file has no digest (Suricata writes none either) */
		if (t->ctx[i] && closed && EVP_DigestFinal_ex(t->ctx[i], md, &len) == 1)
			hex(md, len, dst[i]);
	}
	if (t->magic && t->head_len)
		file_magic(t->head, t->head_len, out->magic, sizeof(out->magic));
	if (t->st.tmp[0] && closed && out->sha256[0]) {
		/* the worker keeps or removes it once the rules have spoken */
		filestore_close(&t->st);
		str_lcpy(out->store_tmp, t->st.tmp, sizeof(out->store_tmp));
		t->st.tmp[0] = 0;
	}
	file_track_free(t);
}

void file_track_free(struct file_track *t)
{
	for (int i = 0; i < 3; i++)
		EVP_MD_CTX_free(t->ctx[i]);
	v_free(t->head);
	if (t->st.tmp[0])
		filestore_drop(&t->st);
	memset(t, 0, sizeof(*t));
}

static pthread_mutex_t magic_lock = PTHREAD_MUTEX_INITIALIZER;
static magic_t magic_db;
static bool magic_tried;

void file_magic(const uint8_t *d, uint32_t n, char *out, size_t cap)
{
	out[0] = 0;
	pthread_mutex_lock(&magic_lock);
	if (!magic_tried) {
		magic_tried = true;
		magic_db = magic_open(MAGIC_NONE);
		if (magic_db && magic_load(magic_db, NULL) != 0) {
			magic_close(magic_db);
			magic_db = NULL;
		}
	}
	const char *m = magic_db ? magic_buffer(magic_db, d, n) : NULL;
	if (m)
		str_lcpy(out, m, cap);
	pthread_mutex_unlock(&magic_lock);
}
