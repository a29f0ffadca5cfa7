/*
 * fuzz_match.c - libFuzzer target for the matcher: the input is split at
 * the first NUL into rule options and a payload.  The options are wrapped
 * into a TCP rule; if it parses, its payload list runs over the payload
 * (from a copy of exactly that length, so ASan sees any overread), as do
 * its transformed lists through their transform chains and base64_data
 * over what base64_decode decoded.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"
#include "payload.h"
#include "xform.h"

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
	static struct xform_scratch xs;
	uint8_t *buf = malloc(plen ? plen : 1);
	if (buf) {
		memcpy(buf, nul + 1, plen);
		/* every list over the payload as if it were its buffer;
		 * base64_data over what base64_decode left */
		for (unsigned li = 0; li < r->nlists; li++) {
			struct insp st = { .buf = buf, .len = (uint32_t)plen, .budget = 3000,
					   .md = md, .mctx = mctx, .xs = &xs };
			if (r->lists[li].buf == BUF_BASE64_DATA) {
				st.buf = xs.b[XS_B64];
				st.len = xs.b64_len;
			}
			payload_inspect(&r->lists[li], &st);
		}
		/* transformed buffers: the chain over the payload, then the list */
		for (unsigned x = 0; x < r->nxl; x++) {
			uint32_t len;
			const uint8_t *t = xform_apply(&r->xl[x], buf, (uint32_t)plen, &xs, md, &len);
			if (!t)
				continue;
			struct insp st = { .buf = t, .len = len, .budget = 3000, .md = md, .mctx = mctx,
					   .xs = &xs };
			payload_inspect(&r->xl[x].list, &st);
		}
		free(buf);
	}
	rule_free(r);
	return 0;
}
