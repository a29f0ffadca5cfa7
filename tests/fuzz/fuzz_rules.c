/*
 * fuzz_rules.c - libFuzzer target for the rule parser: the input is one
 * rule's text.  Whatever parses is freed again; nothing may crash, leak or
 * read out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct class_entry cls[] = { { "misc-attack", "Misc Attack", 2 } };
	if (size > 16384)
		return 0;
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct parse_ctx pc = { .classes = cls, .nclasses = 1 };
	struct rule *r = rule_parse(text, &pc);
	rule_free(r);
	free(text);
	return 0;
}
