/*
 * fuzz_lists.c - libFuzzer target for the list parsers: the first byte
 * chooses an address list or a domain list, the rest is the file.
 * Whatever loads is asked about a few addresses and names and freed;
 * nothing may crash, leak or read out of bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lists.h"
#include "vigil.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1 || size > (1u << 20))
		return 0;
	const char *text = (const char *)data + 1;
	size_t len = size - 1;
	struct verr e = { "" };
	struct list_stats st;
	if (data[0] & 1) {
		struct domainset *d = domainset_parse(text, len, "fuzz", &st, &e);
		if (d) {
			static const char *const names[] = { "example.com", "a.b.example.com", "x", "",
							     "ads.example.net." };
			for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
				bool suffix;
				const char *m = domainset_lookup(d, names[i], strlen(names[i]), &suffix);
				if (m && !*m)
					abort(); /* entries are never empty */
			}
			/* a name from the input itself */
			size_t n = len < 300 ? len : 300;
			(void)domainset_lookup(d, text, n, NULL);
			domainset_free(d);
		}
	} else {
		struct iplist *l = iplist_parse(text, len, "fuzz", &st, &e);
		if (l) {
			static const uint8_t a[][16] = { { 1, 2, 3, 4 }, { 93, 184, 216, 34 }, { 255, 255, 255, 255 },
							 { 0x20, 0x01, 0x0d, 0xb8 } };
			char entry[80];
			for (size_t i = 0; i < 4; i++)
				(void)iplist_lookup(l, i == 3 ? 6 : 4, a[i], entry, sizeof(entry));
			if (st.entries != iplist_count(l))
				abort();
			iplist_free(l);
		}
	}
	return 0;
}
