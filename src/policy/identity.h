/*
 * identity.h - who an address is: the map from a VM's addresses (and, for
 * inline traffic, its input interface) to its name and labels.
 *
 * One map, built from the configuration (identity.vms, identity.labels)
 * and from the file identity.file, and asked by every producer of records:
 * the eve envelope writes src_vm / dest_vm from it, and the policy layer
 * keys its allowlists on the names and labels.  A map is immutable once
 * built; a reload builds a new one and the workers switch to it between
 * packets (the same hand-over as the rule engine's).
 */
#ifndef VIGIL_IDENTITY_H
#define VIGIL_IDENTITY_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

struct config;
struct verr;

struct vm {
	char *name;
	char **labels;
	uint32_t nlabels;
};

struct identity;

/* Builds the map from cfg's identity.vms and identity.labels and, if set,
 * the file identity.file.  A bad entry is an error naming the file and
 * line (or the configuration key); NULL with e set.  A map with no VMs is
 * valid (and cheap to ask). */
struct identity *identity_load(const struct config *cfg, struct verr *e);
void identity_free(struct identity *id);

/* The VM an address (ip_ver 4 or 6; IPv4 in the first 4 bytes) belongs
 * to: an exact address first, else the longest network that holds it;
 * NULL if none.  id may be NULL. */
const struct vm *identity_by_addr(const struct identity *id, uint8_t ver, const uint8_t *a);
/* The VM behind an input interface (identity: interfaces), or NULL. */
const struct vm *identity_by_iface(const struct identity *id, const char *ifname);
bool vm_has_label(const struct vm *vm, const char *label);

uint32_t identity_count(const struct identity *id);
/* identity.file's modification time when the map was built (0 if none):
 * the reloader compares it with the file's current one. */
struct timespec identity_file_mtime(const struct identity *id);

#endif
