/*
 * mkcapture.c - builds the benchmark capture: every Ethernet pcap given on
 * the command line, appended in turn, over and over, until the output
 * reaches the requested size.  Each pass shifts IPv4 addresses (second
 * octet += pass) so repeated flows are distinct flows, and fixes the IPv4,
 * TCP and UDP checksums incrementally (RFC 1624).  Timestamps are rewritten
 * to increase monotonically at the original spacing.
 * Inputs whose mean packet size is under MIN_AVG bytes (scans, floods)
 * are left out, so the mix resembles a gateway's bulk traffic.
 *   usage: vigil-mkcapture OUT.pcap MIN_MB MIN_AVG IN.pcap...
 */
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint16_t csum_adjust(uint16_t sum, uint16_t old, uint16_t new)
{
	uint32_t s = (uint16_t)~sum + (uint16_t)~old + new;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void shift(uint8_t *d, uint32_t len, uint8_t delta)
{
	if (len < 34)
		return;
	uint32_t o = 12;
	uint16_t type = (uint16_t)(d[o] << 8 | d[o + 1]);
	if (type == 0x8100 && len >= 38) {
		o += 4;
		type = (uint16_t)(d[o] << 8 | d[o + 1]);
	}
	o += 2;
	if (type != 0x0800 || len < o + 20)
		return;
	uint8_t *ip = d + o;
	uint32_t hl = (ip[0] & 15u) * 4;
	uint16_t frag = (uint16_t)(ip[6] << 8 | ip[7]);
	for (int a = 12; a <= 16; a += 4) {
		uint16_t old = (uint16_t)(ip[a] << 8 | ip[a + 1]);
		ip[a + 1] = (uint8_t)(ip[a + 1] + delta);
		uint16_t nw = (uint16_t)(ip[a] << 8 | ip[a + 1]);
		uint16_t s = (uint16_t)(ip[10] << 8 | ip[11]);
		s = csum_adjust(s, old, nw);
		ip[10] = (uint8_t)(s >> 8);
		ip[11] = (uint8_t)s;
		/* transport checksum covers the pseudo-header addresses */
		uint8_t *l4 = ip + hl;
		if ((frag & 0x1fff) == 0 && len >= o + hl + 20) {
			int off = ip[9] == 6 ? 16 : ip[9] == 17 ? 6 : -1;
			if (off >= 0) {
				uint16_t ls = (uint16_t)(l4[off] << 8 | l4[off + 1]);
				if (!(ip[9] == 17 && ls == 0)) {
					ls = csum_adjust(ls, old, nw);
					l4[off] = (uint8_t)(ls >> 8);
					l4[off + 1] = (uint8_t)ls;
				}
			}
		}
	}
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: vigil-mkcapture OUT.pcap MIN_MB MIN_AVG IN.pcap...\n");
		return 1;
	}
	uint64_t want = strtoull(argv[2], NULL, 10) * 1000000ULL, written = 0;
	uint64_t min_avg = strtoull(argv[3], NULL, 10);
	char err[PCAP_ERRBUF_SIZE];
	pcap_t *dead = pcap_open_dead(DLT_EN10MB, 262144);
	pcap_dumper_t *out = pcap_dump_open(dead, argv[1]);
	if (!out) {
		fprintf(stderr, "%s: %s\n", argv[1], pcap_geterr(dead));
		return 1;
	}
	struct timeval now = { 1700000000, 0 };
	static uint8_t buf[262144];
	unsigned pass = 0, used = 0;
	while (written < want && pass < 250) {
		for (int i = 4; i < argc && written < want; i++) {
			pcap_t *in = pcap_open_offline(argv[i], err);
			if (!in)
				continue;
			if (pcap_datalink(in) != DLT_EN10MB) {
				pcap_close(in);
				continue;
			}
			struct pcap_pkthdr *h;
			const u_char *d;
			if (min_avg) { /* first pass: mean packet size */
				uint64_t n = 0, b = 0;
				while (pcap_next_ex(in, &h, &d) == 1) {
					n++;
					b += h->caplen;
				}
				pcap_close(in);
				if (!n || b / n < min_avg)
					continue;
				if (!(in = pcap_open_offline(argv[i], err)))
					continue;
			}
			struct timeval prev = { 0, 0 };
			while (pcap_next_ex(in, &h, &d) == 1) {
				if (h->caplen > sizeof(buf))
					continue;
				struct pcap_pkthdr oh = *h;
				long gap = prev.tv_sec ? (h->ts.tv_sec - prev.tv_sec) * 1000000L +
								 (h->ts.tv_usec - prev.tv_usec)
						       : 1;
				if (gap < 0 || gap > 1000000)
					gap = 1;
				prev = h->ts;
				now.tv_usec += gap;
				now.tv_sec += now.tv_usec / 1000000;
				now.tv_usec %= 1000000;
				oh.ts = now;
				memcpy(buf, d, h->caplen);
				shift(buf, h->caplen, (uint8_t)pass);
				pcap_dump((u_char *)out, &oh, buf);
				written += h->caplen + 16;
			}
			pcap_close(in);
			used++;
		}
		pass++;
		now.tv_sec += 1;
	}
	pcap_dump_close(out);
	pcap_close(dead);
	fprintf(stderr, "vigil-mkcapture: %s: %.1f MB in %u passes\n", argv[1], written / 1e6,
		pass);
	return 0;
}
