/*
 * tlsstore.h - the certificate store (tlsstore.c): the server certificate
 * chains tls_store rules ask for, as Suricata's tls-store output writes
 * them.
 */
#ifndef VIGIL_TLSSTORE_H
#define VIGIL_TLSSTORE_H

#include <stdbool.h>
#include <stdint.h>

#include "vigil.h"

struct tls_info;

/* Opens the store: dir (created 0700) keeps at most max_files files (the
 * PEM and .meta files, the oldest first out, those of earlier runs
 * included).  Until then tls_store asks for nothing. */
int tlsstore_init(const char *dir, uint64_t max_files, struct verr *e);
bool tlsstore_enabled(void);
/* What the .meta file says of the packet that wrote a chain. */
struct tlsstore_pkt {
	uint64_t ts, pcap_cnt;
	uint8_t ip_ver, proto;
	const uint8_t *src, *dst; /* the packet's addresses (16 bytes, IPv4 in 4) */
	uint16_t sp, dp;
	int dir;                  /* 0: to server; SRC is the client either way */
	bool pseudo;              /* IDS mode's pseudo-packet of acknowledged data */
};

/* tls_info.store: asked, written, and (asked on a pseudo-packet) the
 * direction whose next wire packet writes the chain, as its alert is */
enum { TLSSTORE_ASKED = 1, TLSSTORE_DONE = 2, TLSSTORE_WAIT0 = 4, TLSSTORE_WAIT1 = 8 };

/* A tls_store rule matched the flow of t: its chain is written now if it
 * is there, else when it comes (tlsstore_pending); once per flow.  A
 * match on IDS mode's pseudo-packet of acknowledged data writes on its
 * direction's next wire packet, where the alert is written (Suricata's
 * file names carry that packet's time). */
void tlsstore_want(struct tls_info *t, const struct tlsstore_pkt *p);
/* The same for a flow that asked before its chain came; nothing if it did
 * not ask. */
void tlsstore_pending(struct tls_info *t, const struct tlsstore_pkt *p);
/* Files written and file-system errors so far (tests). */
uint64_t tlsstore_written(void);

#endif
