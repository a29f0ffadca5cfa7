/*
 * digest.h - one-shot hashes (MD5, SHA-1, SHA-256) through OpenSSL with the
 * algorithm objects fetched once per process.  OpenSSL 3 looks the
 * algorithm up in its provider store, under a lock, on every EVP_md5() /
 * SHA1() call; per flow (community ID) and per handshake (JA3, JA4, the
 * certificate fingerprint) that lookup cost more than the hashing.
 */
#ifndef VIGIL_DIGEST_H
#define VIGIL_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum digest_alg { DIGEST_MD5, DIGEST_SHA1, DIGEST_SHA256 };

/* Hashes d/n into out (16, 20 or 32 bytes); false on failure. */
bool digest(enum digest_alg alg, const void *d, size_t n, uint8_t *out);

#endif
