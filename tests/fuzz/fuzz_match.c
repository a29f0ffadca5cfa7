/*
 * fuzz_match.c - libFuzzer target for the matcher: the input is split at
 * the first NUL into rule options and a payload.  The options are wrapped
 * into a TCP rule; if it parses, its payload list runs over the payload
 * (from a copy of exactly that length, so ASan sees any overread), and the
 * whole engine path runs too: prefilter, header checks, flowbits.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "payload.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct class_entry cls[] = { { "misc-attack", "Misc Attack", 2 } };
	static pcre2_match_data *md;
	static pcre2_match_context *mctx;
	if (!md) {
		md = pcre2_match_data_create(32, NULL);
		mctx = pcre2_match_context_create(NULL);
		pcre2_set_match_limit(mctx, 3500);
		pcre2_set_depth_limit(mctx, 1500);
	}
	const uint8_t *nul = memchr(data, 0, size);
	if (!nul || nul - data > 4096)
		return 0;
	size_t olen = (size_t)(nul - data), plen = size - olen - 1;
	char text[4200];
	snprintf(text, sizeof(text), "alert tcp any any -> any any (%.*s sid:1;)", (int)olen,
		 (const char *)data);
	struct parse_ctx pc = { .classes = cls, .nclasses = 1 };
	struct rule *r = rule_parse(text, &pc);
	if (!r)
		return 0;
	uint8_t *buf = malloc(plen ? plen : 1);
	if (buf) {
		memcpy(buf, nul + 1, plen);
		for (int b = 0; b < r->nlists; b++) {
			struct insp st = { .buf = buf, .len = (uint32_t)plen, .budget = 3000,
					   .md = md, .mctx = mctx };
			payload_inspect(&r->lists[b], &st);
		}
		free(buf);
	}
	rule_free(r);
	return 0;
}
