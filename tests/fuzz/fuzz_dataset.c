/*
 * libFuzzer target for dataset files (detect/dataset.c): the input is a
 * file loaded as each type of set (strings in base64, MD5 and SHA-256 in
 * hex, IPv4, IP), as ndjson with a value key, as datajson (ndjson and a
 * JSON array, each value's object kept, with and without remove_key)
 * and as a datarep set ("value,N"), then saved and loaded
 * back; every command runs on a few values.  Nothing may crash, leak or
 * read out of bounds; a set that loaded must load its saved copy with
 * the same count.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dataset.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64], saved[80];
	if (!path[0]) {
		snprintf(path, sizeof(path), "/tmp/fuzz-dataset-%d", (int)getpid());
		snprintf(saved, sizeof(saved), "%s.saved", path);
	}
	if (size > 1 << 16)
		return 0;
	FILE *f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	static const uint8_t probe[] = "admin";
	for (int t = 0; t <= DS_IP + 5; t++) {
		char err[256] = "";
		struct ds_open o = { .name = "f", .type = t > DS_IP ? DS_STRING : (enum ds_type)t,
				     .load = path, .save = saved, .memcap = 1 << 20 };
		if (t == DS_IP + 1) {
			o.ndjson = true;
			o.value_key = "v";
		}
		o.rep = t == DS_IP + 2; /* datarep: "value,N" lines */
		if (t >= DS_IP + 3) {
			/* datajson: ndjson, a JSON array; the object kept, its value's
			 * member removed or not (a nested key) */
			o.ndjson = true;
			o.json_array = t != DS_IP + 3;
			o.value_key = t == DS_IP + 5 ? "a.v" : "v";
			o.json_ctx = true;
			o.remove_key = t != DS_IP + 4;
		}
		struct dataset *ds = dataset_open(&o, err, sizeof(err));
		if (ds) {
			for (int c = DS_SET; c <= DS_ISNOTSET; c++)
				dataset_cmd(ds, (enum ds_cmd)c, data, (uint32_t)(size < 64 ? size : 64));
			dataset_cmd(ds, DS_ISSET, probe, 5);
			uint32_t rep;
			dataset_rep(ds, probe, 5, &rep);
			char js[1024];
			if (dataset_json(ds, probe, 5, js, sizeof(js)) && strlen(js) >= sizeof(js))
				abort();
			uint64_t n = dataset_count(ds);
			if (datasets_save_all() == 0) {
				datasets_free_all();
				struct ds_open o2 = { .name = "f", .type = o.type, .load = saved, .memcap = 1 << 20,
						      .rep = o.rep };
				struct dataset *back = dataset_open(&o2, err, sizeof(err));
				if (!back || dataset_count(back) != n)
					abort(); /* what was saved does not load back the same */
			}
		} else if (!err[0]) {
			abort(); /* a refusal says why */
		}
		datasets_free_all();
	}
	unlink(path);
	unlink(saved);
	return 0;
}
