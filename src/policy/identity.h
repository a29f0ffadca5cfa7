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

/* One rule of a VM's allowlist: a destination (a domain name, exact or
 * "*.suffix", or an address/network), optionally a protocol and ports.
 * Written "*.matrix.org tcp/443", "10.139.1.1 udp/53", "example.com". */
enum vm_rule_kind { VR_NAME, VR_SUFFIX, VR_NET };
struct vm_rule {
	uint8_t kind;        /* enum vm_rule_kind */
	bool deny;           /* from "deny:", checked before "allow:" */
	uint8_t proto;       /* 6, 17, or 0 for any */
	uint16_t port_lo, port_hi; /* 0-65535 when not given */
	uint8_t ver, plen;   /* VR_NET */
	uint8_t a[16];
	char *name;          /* VR_NAME / VR_SUFFIX: lowercased, no "*." */
	char *text;          /* as written, for alerts */
};

enum vm_default { VM_NO_POLICY, VM_DEFAULT_ALLOW, VM_DEFAULT_DENY };

struct vm {
	char *name;
	char **labels;
	uint32_t nlabels;
	uint8_t policy;      /* enum vm_default: VM_NO_POLICY when no allow/deny/policy key */
	struct vm_rule *rules;
	uint32_t nrules;
	/* "vpn:" endpoints: the VM may send only to these (a kill switch);
	 * everything else is a leak */
	struct vm_rule *vpn;
	uint32_t nvpn;
	uint64_t id;         /* a hash of the name: stable across reloads */
	bool learn;          /* learn mode: flows recorded, the allowlist not enforced */
	bool has_quiet;      /* quiet-hours given: quiet replaces policy.quiet-hours */
	uint64_t quiet[3];   /* hours of the week (from Sunday 00:00, local time) */
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
/* Whether any VM names its interfaces (identity: interfaces). */
bool identity_has_ifaces(const struct identity *id);

/* The first deny rule, else the first allow rule, that matches a
 * connection to name (may be NULL) / address (ver 0: none) on proto/port;
 * port 0 with proto 0: any (a DNS question, which has no port yet).
 * NULL if none matches. */
const struct vm_rule *vm_rule_match(const struct vm *vm, const char *name, uint8_t ver,
				    const uint8_t *a, uint8_t proto, uint16_t port);
/* Whether name alone could be allowed by some allow rule (a DNS question
 * for it is then let through), or is denied. */
bool vm_name_allowed(const struct vm *vm, const char *name, const struct vm_rule **deny);

/* Whether a VPN-only VM may send to a on proto/port (one of its "vpn:"
 * endpoints). */
bool vm_vpn_allows(const struct vm *vm, uint8_t ver, const uint8_t *a, uint8_t proto, uint16_t port);

/* Whether a VM rule ("*.matrix.org tcp/443") parses; e says why not. */
int vm_rule_check(const char *text, struct verr *e);

/* Suppressions (overrides.json, through the control socket): whether
 * gid:sid is suppressed for every host or for VM a or b (either may be
 * NULL).  Suppressed alerts are neither written nor acted on. */
bool identity_suppressed(const struct identity *id, uint32_t gid, uint32_t sid, const struct vm *a,
			 const struct vm *b);
uint32_t identity_suppressions(const struct identity *id);

/* Whether a destination is a DNS-over-HTTPS endpoint (the built-in list
 * and policy.doh-list): by name (may be NULL) or address (ver 0: none).
 * Returns the entry that matched, written into buf, or NULL. */
const char *identity_doh(const struct identity *id, uint8_t ver, const uint8_t *a, const char *name,
			 char *buf, size_t cap);

uint32_t identity_count(const struct identity *id);
/* The i-th VM (0 <= i < identity_count), or NULL. */
const struct vm *identity_vm_at(const struct identity *id, uint32_t i);
const struct vm *identity_by_name(const struct identity *id, const char *name);
struct jbuf;
/* vm (of id) as a JSON object (member key, or NULL in an array): name,
 * addresses, labels, interfaces, policy, allow, deny, vpn, suppressed. */
void identity_vm_json(const struct identity *id, const struct vm *vm, struct jbuf *jb,
		      const char *key);
/* identity.file's modification time when the map was built (0 if none):
 * the reloader compares it with the file's current one. */
struct timespec identity_file_mtime(const struct identity *id);

#endif
