/*
 * ber.h - reading ASN.1 BER, as far as vigil's parsers need it (LDAP,
 * SNMP): definite lengths up to 4 bytes, low tag numbers.  A struct ber
 * is a view of bytes; each call consumes one element from it.
 */
#ifndef VIGIL_BER_H
#define VIGIL_BER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ber {
	const uint8_t *p;
	size_t n;
};

/* One element's header at p (n bytes): class, constructed bit, tag number
 * (high tag numbers up to 4 bytes), content length (definite, up to 4
 * bytes) and header length; false when malformed, indefinite, or longer
 * than the n bytes. */
struct ber_hdr {
	uint8_t cls;
	bool constructed;
	uint32_t tag, len, hlen;
};
bool ber_header(const uint8_t *p, size_t n, struct ber_hdr *h);

/* The next element of b: its tag and contents; false at the end or on a
 * malformed (high-tag-number, indefinite or overlong) element. */
bool ber_next(struct ber *b, uint8_t *tag, struct ber *val);
/* The next element if its tag is t (else false, b unchanged). */
bool ber_expect(struct ber *b, uint8_t t, struct ber *val);
/* An INTEGER's (or ENUMERATED's) value, sign-extended; false if longer
 * than 8 bytes or empty. */
bool ber_int(const struct ber *v, uint64_t *out);
/* An OBJECT IDENTIFIER as dotted text ("1.3.6.1.2.1.1.1.0") in out (cap
 * bytes, NUL-terminated); false when malformed or too long. */
bool ber_oid(const struct ber *v, char *out, size_t cap);

#endif
