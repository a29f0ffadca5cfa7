/*
 * ntp.c - NTP (RFC 1305 version 3, RFC 5905 version 4) over UDP port 123,
 * as Suricata 8 has it: detected and named (app_proto "ntp", the "ntp"
 * rule protocol), not logged.
 *
 *   0       2       5       8      16      24      32
 *   +--+-----+-----+-------+-------+-------+
 *   |LI| VN  |Mode |Stratum| Poll  |Precis.|   then root delay, root
 *   +--+-----+-----+-------+-------+-------+   dispersion, reference id and
 *                                              four timestamps: 48 bytes
 *
 * A datagram on port 123 is NTP when it holds a whole header of version 3
 * or 4 (a shorter one says nothing yet, as Suricata's probe).  Each
 * client or symmetric-active message is a transaction (Suricata's); on an
 * NTP flow a datagram that is not such a header raises ntp.malformed_data.
 */
#include "app_int.h"
#include "cursor.h"

#define NTP_HDR 48

int ntp_probe(const uint8_t *d, uint32_t n, uint8_t *mode)
{
	struct cursor c;
	cur_init(&c, d, n);
	uint8_t b0 = cur_u8(&c);
	if (c.err || n < NTP_HDR)
		return 0;
	uint8_t vn = (uint8_t)(b0 >> 3 & 7);
	if (mode)
		*mode = b0 & 7;
	return vn == 3 || vn == 4 ? 1 : -1;
}

void ntp_udp(struct app_ctx *a, const uint8_t *d, uint32_t n)
{
	a->tx.alproto = ALP_NTP;
	uint8_t mode = 0;
	if (ntp_probe(d, n, &mode) != 1) {
		app_event(a, APP_EV_NTP_MALFORMED);
		return;
	}
	if (mode == 1 || mode == 3) /* symmetric active, client */
		app_count_tx(a, true, ALP_NTP);
}
