/*
 * fuzz_decode.c - libFuzzer target for the packet path: decoder, defrag,
 * flow table, TCP state and reassembly.  The first byte picks the link
 * type, the next four the timestamp step; the rest is the frame.  State
 * persists across inputs (as in a real run) with small memcaps, so the
 * fuzzer also explores flow, fragment and stream state.
 */
#include <stdint.h>
#include <string.h>

#include "worker.h"

static struct worker w;
static struct config cfg;
static vtime_t ts;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int init;
	if (!init) {
		struct verr e;
		config_init(&cfg);
		cfg.flow_memcap = 1 << 20;
		cfg.flow_hash_size = 1024;
		cfg.defrag_memcap = 1 << 20;
		cfg.stream_memcap = 1 << 20;
		cfg.stream_midstream = true;
		cfg.checksum = CSUM_NONE;
		if (worker_init(&w, &cfg, 0, 1, NULL, &e) < 0)
			return 0;
		w.ec.anomaly = w.ec.anomaly_decode = w.ec.anomaly_stream = true;
		init = 1;
	}
	if (size < 5)
		return 0;
	static const int links[] = { 1, 1, 1, 1, 12, 113, 276, 0, 228, 229, 101, 108 };
	int link = links[data[0] % (sizeof(links) / sizeof(links[0]))];
	uint32_t step;
	memcpy(&step, data + 1, 4);
	ts += step % 5000000u;
	worker_packet(&w, link, ts, data + 5, (uint32_t)(size - 5), (uint32_t)(size - 5), 1);
	if (w.out.len > (1 << 20))
		jb_reset(&w.out);
	return 0;
}
