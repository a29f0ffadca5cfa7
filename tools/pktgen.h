/*
 * pktgen.h - builds well-formed (or deliberately broken) packets and writes
 * pcap files, for the demo capture, unit tests and benchmarks.  Not part of
 * the vigil binary.  Checksums are computed for real so vigil's validation
 * sees correct traffic unless a test breaks it on purpose.
 */
#ifndef VIGIL_PKTGEN_H
#define VIGIL_PKTGEN_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct pg_pkt {
	uint8_t buf[70000];
	uint32_t len;
};

struct pg_ep {
	uint8_t ip[16];
	uint16_t port;
	bool v6;
};

void pg_ep4(struct pg_ep *e, const char *ip, uint16_t port);
void pg_ep6(struct pg_ep *e, const char *ip, uint16_t port);

/* Ethernet (+ optional VLAN ids, 0 = none) + IP + TCP with payload. */
void pg_tcp(struct pg_pkt *p, const struct pg_ep *s, const struct pg_ep *d, uint32_t seq,
	    uint32_t ack, uint8_t flags, const void *data, uint32_t len, uint16_t vlan);
void pg_udp(struct pg_pkt *p, const struct pg_ep *s, const struct pg_ep *d, const void *data,
	    uint32_t len, uint16_t vlan);
void pg_icmp_echo(struct pg_pkt *p, const struct pg_ep *s, const struct pg_ep *d, bool reply,
		  uint16_t id, uint16_t seq);
/* Splits an IPv4 packet p (Ethernet framed, no VLAN) into fragments of at
 * most frag_payload bytes (multiple of 8).  Returns the count. */
int pg_ipv4_fragment(const struct pg_pkt *p, uint32_t frag_payload, struct pg_pkt *out,
		     int max);
/* Wraps an Ethernet-framed IPv4/IPv6 packet in outer IPv4 + GRE. */
void pg_gre_wrap(struct pg_pkt *p, const char *outer_src, const char *outer_dst);
/* Wraps the packet's IP datagram in an outer IPv4 header: IP-in-IP
 * (protocol 4) or, for an IPv6 datagram, 6in4 (41). */
void pg_ipip_wrap(struct pg_pkt *p, const char *outer_src, const char *outer_dst);

/* A self-signed EC P-256 certificate, DER, into der: serial, subject and
 * issuer "C=US, O=org, CN=cn", valid from now for a day.  Returns its
 * length, or -1. */
int pg_self_signed(uint8_t *der, int cap, long serial, const char *org, const char *cn);

FILE *pg_pcap_open(const char *path, uint32_t linktype);
void pg_pcap_write(FILE *f, uint64_t ts_usec, const uint8_t *data, uint32_t len);

#endif
