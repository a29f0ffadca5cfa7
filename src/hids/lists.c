/*
 * lists.c - Wazuh's CDB lists, read from their text form: one
 * "key:value" per line (the value may be empty; a key holding ':' is
 * written in double quotes).  The text is the source of truth (Wazuh
 * compiles it into a .cdb file beside it); an open-addressing table of
 * the keys answers lookups.  The first occurrence of a key wins.
 */
#include "hids_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "util.h"

#define LIST_MAX_ENTRIES (1u << 24)

struct hentry {
	char *key, *value;
};

struct hlist {
	char *path;
	struct hentry *slot;
	size_t cap, cnt;
};

static uint64_t key_hash(const char *k)
{
	return hash_bytes(k, strlen(k), 0x6c697374);
}

void hids_list_free(struct hlist *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->cap; i++)
		free(l->slot[i].key); /* the value shares the allocation */
	free(l->slot);
	free(l->path);
	free(l);
}

static int put(struct hlist *l, char *key, char *value)
{
	if ((l->cnt + 1) * 2 > l->cap) {
		size_t nc = l->cap ? l->cap * 2 : 256;
		struct hentry *n = calloc(nc, sizeof(*n));
		if (!n)
			return -1;
		for (size_t i = 0; i < l->cap; i++)
			if (l->slot[i].key)
				for (size_t k = key_hash(l->slot[i].key) & (nc - 1);; k = (k + 1) & (nc - 1))
					if (!n[k].key) {
						n[k] = l->slot[i];
						break;
					}
		free(l->slot);
		l->slot = n;
		l->cap = nc;
	}
	for (size_t k = key_hash(key) & (l->cap - 1);; k = (k + 1) & (l->cap - 1)) {
		if (!l->slot[k].key) {
			l->slot[k].key = key;
			l->slot[k].value = value;
			l->cnt++;
			return 0;
		}
		if (!strcmp(l->slot[k].key, key)) {
			free(key);
			return 0;
		}
	}
}

struct hlist *hids_list_load(const char *path, struct verr *e)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		verr_set(e, V_EIO, "%s: %s", path, strerror(errno));
		return NULL;
	}
	struct stat sb;
	if (fstat(fileno(f), &sb) || !S_ISREG(sb.st_mode)) {
		verr_set(e, V_EINVAL, "%s: not a regular file", path);
		fclose(f);
		return NULL;
	}
	struct hlist *l = calloc(1, sizeof(*l));
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	if (!l || !(l->path = strdup(path)))
		goto nomem;
	while ((n = getline(&line, &cap, f)) > 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = 0;
		char *k = line, *sep;
		if (*k == '"') {
			char *q = strchr(k + 1, '"');
			if (!q || q[1] != ':')
				continue;
			k++;
			*q = 0;
			sep = q + 1;
		} else {
			sep = strchr(k, ':');
			if (!sep)
				continue;
			*sep = 0;
		}
		char *v = sep + 1;
		size_t vl = strlen(v);
		if (vl >= 2 && v[0] == '"' && v[vl - 1] == '"') {
			v[vl - 1] = 0;
			v++;
		}
		if (l->cnt >= LIST_MAX_ENTRIES) {
			verr_set(e, V_EINVAL, "%s: more than %u entries", path, LIST_MAX_ENTRIES);
			goto fail;
		}
		size_t kl = strlen(k);
		char *kv = malloc(kl + strlen(v) + 2);
		if (!kv)
			goto nomem;
		memcpy(kv, k, kl + 1);
		strcpy(kv + kl + 1, v);
		if (put(l, kv, kv + kl + 1) < 0) {
			free(kv);
			goto nomem;
		}
	}
	free(line);
	fclose(f);
	return l;
nomem:
	verr_set(e, V_ENOMEM, "out of memory");
fail:
	free(line);
	fclose(f);
	hids_list_free(l);
	return NULL;
}

const char *hids_list_get(const struct hlist *l, const char *key)
{
	if (!l->cap)
		return NULL;
	for (size_t k = key_hash(key) & (l->cap - 1);; k = (k + 1) & (l->cap - 1)) {
		if (!l->slot[k].key)
			return NULL;
		if (!strcmp(l->slot[k].key, key))
			return l->slot[k].value;
	}
}

const char *hids_list_path(const struct hlist *l)
{
	return l->path;
}
