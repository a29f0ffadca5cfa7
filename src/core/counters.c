/*
 * counters.c - names and help text generated from counters.def.
 */
#include "counters.h"

const char *const counter_names[CNT_MAX] = {
#define X(id, name, help) name,
#include "counters.def"
#undef X
};

const char *const counter_help[CNT_MAX] = {
#define X(id, name, help) help,
#include "counters.def"
#undef X
};

int counter_is_max(enum counter_id id)
{
	return id == CNT_DECODER_MAX_PKT_SIZE || id == CNT_FLOW_SPARE_PEAK || id == CNT_DETECT_RULES ||
	       id == CNT_MEMCAP_PRESSURE || id == CNT_MEMCAP_PRESSURE_MAX;
}

static unsigned char hidden[CNT_MAX];

void counter_hide(enum counter_id id, int hide)
{
	if ((unsigned)id < CNT_MAX)
		hidden[id] = hide != 0;
}

int counter_hidden(enum counter_id id)
{
	return (unsigned)id < CNT_MAX && hidden[id];
}
