/*
 * libFuzzer target for IP reputation (detect/iprep.c): the input is read
 * as a categories file and as a reputation file (in memory and from a
 * file, so both line readers run), the set is sealed and asked about a
 * few addresses in every category, and the input's first line is parsed
 * as an iprep keyword argument.  Nothing may crash, leak or read out of
 * bounds; a score is -1 or 0-127; a refusal says why.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "iprep.h"
#include "vigil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char path[64];
	if (!path[0])
		snprintf(path, sizeof(path), "/tmp/fuzz-iprep-%d", (int)getpid());
	if (size > 1 << 16)
		return 0;
	const char *text = (const char *)data;
	static const char cats[] = "1,BadHosts,bad\n2,GoodHosts,good\n60,Last,last\n";
	static const uint8_t probes[][16] = {
		{ 10, 0, 0, 1 }, { 1, 2, 3, 4 }, { 255, 255, 255, 255 }, { 0 },
		{ 0x20, 0x01, 0x0d, 0xb8, [15] = 1 },
		{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	};
	for (int mode = 0; mode < 2; mode++) {
		struct verr e = { "" };
		struct iprep *r = iprep_new(true);
		if (!r)
			return 0;
		int bad = iprep_add_categories(r, text, size, "fuzz-cats", &e);
		if (bad > 0 && !e.msg[0])
			abort(); /* a bad line is named */
		iprep_add_categories(r, cats, sizeof(cats) - 1, "cats", &e);
		if (mode == 0) {
			bad = iprep_add_entries(r, text, size, "fuzz", &e);
		} else {
			FILE *f = fopen(path, "wb");
			if (!f) {
				iprep_free(r);
				return 0;
			}
			fwrite(data, 1, size, f);
			fclose(f);
			bad = iprep_load_entries(r, path, &e);
			unlink(path);
		}
		if (bad != 0 && !e.msg[0])
			abort();
		if (iprep_seal(r, &e) == 0) {
			for (unsigned c = 0; c <= IPREP_MAX_CAT + 1; c++)
				for (size_t i = 0; i < sizeof(probes) / sizeof(probes[0]); i++) {
					int v4 = iprep_get(r, c, 4, probes[i]), v6 = iprep_get(r, c, 6, probes[i]);
					if (v4 < -1 || v4 > IPREP_MAX_SCORE || v6 < -1 || v6 > IPREP_MAX_SCORE)
						abort();
				}
		}
		/* the first line as a keyword argument */
		char arg[256];
		size_t n = 0;
		while (n < size && n < sizeof(arg) - 1 && data[n] != '\n' && data[n])
			n++;
		memcpy(arg, data, n);
		arg[n] = '\0';
		struct iprep_cond c;
		char err[256] = "";
		if (iprep_cond_parse(r, arg, &c, err, sizeof(err)) == 0)
			iprep_cond_match(r, &c, 4, probes[0], probes[1]);
		else if (!err[0])
			abort();
		iprep_free(r);
	}
	return 0;
}
