/*
 * resolved.h - what each VM's own DNS answers said: (VM, address) -> the
 * name the VM asked for, until the answer's TTL plus a grace period
 * (policy.dns-grace) is over.  Domain rules of an allowlist follow these
 * addresses, so a rule for matrix.org keeps working when its addresses
 * change, and a violation can say by which name an address was reached.
 *
 * One table for all workers (a DNS answer and the connection that follows
 * it may be handled by different workers), bounded (policy.resolved-max
 * entries; a full neighbourhood evicts the entry that expires first),
 * with 64 striped locks so that workers rarely wait on each other.
 */
#ifndef VIGIL_RESOLVED_H
#define VIGIL_RESOLVED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct resolved;

struct resolved *resolved_new(uint32_t max_entries);
void resolved_free(struct resolved *r);
/* Records that VM vm (vm->id) resolved name to address a (ver 4 or 6)
 * until `until` (seconds of packet time).  A later answer replaces it. */
void resolved_learn(struct resolved *r, uint64_t vm, uint8_t ver, const uint8_t *a,
		    const char *name, uint32_t until);
/* The name VM vm resolved to a, if the answer is still valid at `now`;
 * copied into name (n bytes). */
bool resolved_lookup(struct resolved *r, uint64_t vm, uint8_t ver, const uint8_t *a, uint32_t now,
		     char *name, size_t n);
size_t resolved_memory(const struct resolved *r);

#endif
