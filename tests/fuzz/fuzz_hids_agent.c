/*
 * fuzz_hids_agent.c - libFuzzer target for the agents' protocol as the
 * gateway reads it: the input is a stream of record lines (as a receiver
 * hands them to the sensor, "vm" included), each parsed
 * (hids_arec_parse) and passed through the order rule (hids_seq_check)
 * with a table of the last record taken per VM, as hids_run.c keeps it.
 * Checked: a taken record is always the next of its VM (or its first),
 * nothing crashes, leaks or reads out of bounds, and a parsed record's
 * fields are what its kind promises.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "agentproto.h"

#define VMS 16

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct {
		char vm[HIDS_VM_MAX + 1];
		uint64_t last;
	} t[VMS];
	size_t nt = 0;
	const char *p = (const char *)data, *end = p + size;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
		struct hids_arec r;
		if (hids_arec_parse(p, len, &r) == 0) {
			if (!r.seq || !r.vm[0] || strlen(r.vm) > HIDS_VM_MAX)
				abort();
			if (r.type == HAR_LOG && (!r.line || !r.location))
				abort();
			if (r.type == HAR_FIM && (!r.event || r.event[0] != '{'))
				abort();
			size_t i;
			for (i = 0; i < nt && strcmp(t[i].vm, r.vm); i++)
				;
			if (i == nt && nt < VMS) {
				strcpy(t[nt].vm, r.vm);
				t[nt++].last = 0;
			}
			if (i < nt) {
				uint64_t want = 0;
				switch (hids_seq_check(t[i].last, r.seq, &want)) {
				case HSEQ_TAKE:
					if (t[i].last && r.seq != t[i].last + 1)
						abort();
					t[i].last = r.seq;
					break;
				case HSEQ_DUP:
					if (r.seq > t[i].last)
						abort();
					break;
				case HSEQ_WANT:
					if (want != t[i].last + 1 || r.seq <= want)
						abort();
					break;
				}
			}
		}
		hids_arec_fini(&r);
		p += len + 1;
	}
	return 0;
}
