/*
 * lists.h - address and domain sets of a million entries: the one list
 * implementation of the policy blocklists and of IP reputation
 * (detect/iprep.c: valued lists, below), and later of the allowlists and
 * the proxy's passthrough list.
 *
 * Both are built once from a file and are immutable afterwards, so any
 * number of workers can ask them without locks; a reload builds a new set
 * and swaps it in (policy.c).  Lookups name the entry that matched, for
 * alerts that explain themselves.
 */
#ifndef VIGIL_LISTS_H
#define VIGIL_LISTS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct verr;

struct list_stats {
	uint64_t lines, entries;
	uint64_t skipped;          /* lines not understood */
	uint64_t first_skipped;    /* the first of them (line number) */
	uint64_t reserved;         /* entries ignored: private or reserved ranges */
	char first_reserved[64];   /* the first of them, as written */
	uint64_t duplicates;
};

/* ---- addresses and networks ----
 * Files: one entry per line, "#" and ";" comments: plain addresses and
 * CIDR networks (FireHOL netsets), Spamhaus DROP text ("1.10.16.0/20 ;
 * SBL256894") and JSON lines ({"cidr":"1.10.16.0/20",...}).  Entries that
 * touch private, loopback, link-local, shared or unspecified space
 * (10/8, 172.16/12, 192.168/16, 127/8, 169.254/16, 100.64/10, 0/8,
 * fc00::/7, fe80::/10, ::1, ::) are ignored and counted: a list must never
 * block the VMs' own networks (FireHOL level1 holds 10.0.0.0/8). */
struct iplist;

/* Whether a (ver 4 or 6) is private, loopback, link-local, shared or
 * unspecified space (the ranges above). */
bool addr_is_reserved(uint8_t ver, const uint8_t *a);

struct iplist *iplist_load(const char *path, struct list_stats *st, struct verr *e);
/* Builds from text in memory (tests, fuzzing); name is used in messages. */
struct iplist *iplist_parse(const char *text, size_t len, const char *name,
			    struct list_stats *st, struct verr *e);
void iplist_free(struct iplist *l);
/* Whether a (ip_ver 4 or 6; IPv4 in the first 4 bytes) is in the list; if
 * so and entry is not NULL, the matching entry ("203.0.113.0/24"). */
bool iplist_lookup(const struct iplist *l, uint8_t ver, const uint8_t *a, char *entry,
		   size_t entry_len);
uint64_t iplist_count(const struct iplist *l);
size_t iplist_memory(const struct iplist *l);

/* ---- values by address: the most specific network wins ----
 * An iplist built entry by entry, each network with a value (IP
 * reputation: a category's score).  iplist_seal flattens the nested
 * networks once into disjoint ranges, each carrying the value of the
 * most specific network over it, so a lookup stays one binary search
 * (12 bytes a range for IPv4, at most 2n + 1 ranges for n entries).
 * Private and reserved space is kept: these lists are not blocklists. */
struct iplist *iplist_new(void);
/* Adds a/plen (ver 4 or 6; bits past plen ignored) with value.  host: a
 * plain address, which ranks above a /32 (/128) network of the same
 * address.  Of equal entries the last host wins, of equal networks the
 * first (Suricata's host table and radix tree).  false: more than
 * LIST_MAX_ENTRIES (33 million) or out of memory; l is unchanged. */
bool iplist_add_value(struct iplist *l, uint8_t ver, const uint8_t *a, unsigned plen,
		      uint32_t value, bool host);
/* Makes the added entries lookupable (once; later adds are refused).
 * false: out of memory (l is then empty). */
bool iplist_seal(struct iplist *l);
/* Whether a is in a sealed list; if so, *value is the most specific
 * entry's. */
bool iplist_lookup_value(const struct iplist *l, uint8_t ver, const uint8_t *a, uint32_t *value);

/* ---- domain names ----
 * Files: plain names, hosts files ("0.0.0.0 ads.example.com"), AdBlock
 * rules ("||example.com^"; rules with options or exceptions are skipped).
 * A plain or hosts entry matches that name exactly; "*.example.com" and
 * "||example.com^" match the name and every name under it.  Names are
 * compared lowercased, without a trailing dot. */
struct domainset;

struct domainset *domainset_load(const char *path, struct list_stats *st, struct verr *e);
struct domainset *domainset_parse(const char *text, size_t len, const char *name,
				  struct list_stats *st, struct verr *e);
/* Loads path again for a set that replaces prev (which keeps being read
 * while this runs): names prev holds are shared with it, not copied, so
 * the reload costs a table and the new names (lists.c).  Only one thread
 * builds and frees the sets over one store. */
struct domainset *domainset_reload(const struct domainset *prev, const char *path,
				   struct list_stats *st, struct verr *e);
void domainset_free(struct domainset *d);
/* The entry that matches name (len bytes), or NULL: an exact entry equal
 * to it, or a suffix entry equal to it or to one of its parents.  The
 * result is the entry as stored ("example.com"), valid while d lives. */
const char *domainset_lookup(const struct domainset *d, const char *name, size_t len,
			     bool *suffix);
uint64_t domainset_count(const struct domainset *d);
size_t domainset_memory(const struct domainset *d);

#endif
