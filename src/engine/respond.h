/*
 * respond.h - active responses for reject rules and privilege dropping
 * (engine-internal).
 */
#ifndef VIGIL_RESPOND_H
#define VIGIL_RESPOND_H

#include <sys/types.h>

#include "decode.h"
#include "vigil.h"

struct responder {
	int fd4, fd6;  /* raw sockets, IP_HDRINCL / IPV6_HDRINCL */
	uint64_t sent, failed;
};

/* Opens the raw sockets (needs CAP_NET_RAW); without them reject acts as
 * drop and a warning says so. */
void responder_open(struct responder *r);
void responder_close(struct responder *r);
/* Answers the rejected packet p: TCP RST to both ends, or ICMP port
 * unreachable to the sender of UDP and other protocols. */
void responder_reject(struct responder *r, const struct packet *p);

/* Answers the dropped DNS question p (UDP) from the server it was sent
 * to, with its question and rcode (3 NXDOMAIN, 5 REFUSED). */
void responder_dns(struct responder *r, const struct packet *p, uint8_t rcode);

/* Switches to user/group (if given and running as root), then clears every
 * capability except those in keep (a mask of CAP_* bits: inline mode keeps
 * CAP_NET_ADMIN, which the kernel checks on every verdict message) and
 * sets no-new-privs.  0 or V_EINVAL with e set. */
/* The uid and gid of user (and group, if given, else the user's).  0, or
 * V_EINVAL with e set when either does not exist. */
int privs_lookup(const char *user, const char *group, uid_t *uid, gid_t *gid, struct verr *e);
int privs_drop(const char *user, const char *group, uint64_t keep, struct verr *e);

#endif
