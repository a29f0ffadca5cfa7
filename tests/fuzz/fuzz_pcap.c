/*
 * fuzz_pcap.c - libFuzzer target for the capture reader: the input is a
 * whole pcap/pcapng file, read through libpcap and every packet run
 * through a fresh worker (flows ended and freed at the end of each input),
 * every other input with acknowledged delivery (stream.inline: no), so
 * held bytes, forced releases and flow-end pseudo-packets are explored.
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
