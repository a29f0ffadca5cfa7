/*
 * events.c - names and help text generated from events.def.
 */
#include "decode.h"

#include <string.h>

const char *const event_names[EV_MAX] = {
#define X(id, name, help) name,
#include "events.def"
#undef X
};

const char *const event_help[EV_MAX] = {
#define X(id, name, help) help,
#include "events.def"
#undef X
};

int event_lookup(const char *name)
{
	for (int i = 0; i < EV_MAX; i++)
		if (!strcmp(event_names[i], name))
			return i;
	return -1;
}
