/*
 * blocklist.h - the policy blocklists: named address lists and domain
 * lists (policy.ip-lists, policy.domain-lists), asked on every new flow,
 * DNS query and answer, TLS server name and HTTP Host.  A hit names the
 * list and the entry.  Built from files, immutable, swapped on reload
 * (SIGHUP, or a list file changing) like the identity map.  The blocks
 * made through the control socket are two more lists named "ctl", asked
 * first, whose hits always drop inline.
 */
#ifndef VIGIL_BLOCKLIST_H
#define VIGIL_BLOCKLIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;
struct verr;
struct blocklists;

struct bl_hit {
	const char *list;    /* the list's name */
	char entry[80];      /* the entry that matched, as the list holds it */
	bool drop;           /* the list always drops (the control socket's "ctl") */
};

/* Loads every configured list; an unreadable file is an error naming it.
 * Entries a list holds for private or reserved space are ignored with a
 * warning.  quiet: no per-list log lines. */
struct blocklists *blocklists_load(const struct config *cfg, bool quiet, struct verr *e);
void blocklists_free(struct blocklists *b);
/* Reloading one list at a time, so that only one list is ever held
 * twice: the index of the first list from `from` on whose file has
 * changed since it was built (or any, with all), or -1. */
int blocklists_due(const struct blocklists *b, unsigned from, bool all);
/* A new set of lists with list i rebuilt from its file and the others
 * shared with cur (cur stays valid; freeing either keeps the other's).
 * NULL with e set if list i cannot be built. */
struct blocklists *blocklists_rebuild(const struct blocklists *cur, const struct config *cfg,
				      unsigned i, struct verr *e);
const char *blocklists_name_of(const struct blocklists *b, unsigned i);

/* A stamp of the configured list files' modification times, so that a
 * reload that failed is not retried until one of them changes. */
uint64_t blocklists_files_stamp(const struct config *cfg);

bool blocklists_addr(const struct blocklists *b, uint8_t ver, const uint8_t *a, struct bl_hit *h);
bool blocklists_name(const struct blocklists *b, const char *name, size_t len, struct bl_hit *h);

bool blocklists_empty(const struct blocklists *b);
bool blocklists_drop(const struct blocklists *b);  /* policy.blocklist-action: drop */
uint64_t blocklists_entries(const struct blocklists *b);
size_t blocklists_memory(const struct blocklists *b);

#endif
