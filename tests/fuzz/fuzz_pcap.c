/*
 * fuzz_pcap.c - libFuzzer target for the capture reader: the input is a
 * whole pcap/pcapng file, read through libpcap and every packet run
 * through a fresh worker (flows ended and freed at the end of each input),
 * every other input with acknowledged delivery (stream.inline: no), so
 * held bytes, forced releases and flow-end pseudo-packets are explored;
 * inputs whose size is 2 or 3 modulo 4 run inline (simulate-ips) with
 * small memcaps and the exception policies cycling with the size, so
 * that drop, pass and bypass are applied mid-flow.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "capture.h"
#include "worker.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct config cfg;
	static int init;
	if (!init) {
		config_init(&cfg);
		cfg.flow_memcap = 1 << 20;
		cfg.flow_hash_size = 1024;
		cfg.stream_midstream = true;
		init = 1;
	}
	int fd = memfd_create("fuzz", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	struct verr e;
	struct capture *cap = capture_open_file(path, &e);
	if (cap) {
		struct worker w;
		cfg.stream_inline = (size & 1) ? STREAM_INLINE_NO : STREAM_INLINE_YES;
		bool xp = size & 2;
		int pol = (int)(size / 4 % (XP_AUTO + 1));
		cfg.simulate_ips = xp;
		cfg.stream_memcap = xp ? 4096 : 256ull << 20;
		cfg.flow_memcap = xp ? 16384 : 1 << 20;
		cfg.defrag_memcap = xp ? 2048 : 32ull << 20;
		cfg.stream_midstream = !xp;
		cfg.exception_policy = xp ? pol % 8 : 0;
		cfg.stream_reassembly_memcap_policy = cfg.stream_memcap_policy = cfg.flow_memcap_policy =
			cfg.defrag_memcap_policy = cfg.app_error_policy = xp ? (pol + 3) % (XP_AUTO + 1) : 0;
		cfg.stream_midstream_policy = xp && pol != XP_DROP_PACKET && pol != XP_PASS_PACKET ? pol : 0;
		if (worker_init(&w, &cfg, 0, 1, NULL, &e) == 0) {
			struct capture_pkt cp;
			uint64_t n = 0;
			while (capture_next(cap, &cp, &e) == 0 && n++ < 100000)
				worker_packet(&w, cap->linktype, cp.ts, cp.data, cp.caplen,
					      cp.wirelen, n);
			worker_fini(&w);
		}
		capture_close(cap);
	}
	close(fd);
	return 0;
}
