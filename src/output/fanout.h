/*
 * fanout.h - the event stream's other consumers: a unix stream socket,
 * syslog (RFC 5424, JSON or CEF) and Redis (list or channel).
 *
 * The eve sink hands every batch of records it writes to the fan-out as
 * well (sink_set_fanout).  The fan-out copies the batch into a bounded
 * queue and returns: one thread of its own sends to the consumers.  When
 * the queue is full the batch is dropped for them and counted, so a slow
 * or absent consumer never holds the packet path up; each consumer's own
 * misses (absent, not reading, unreachable) are counted too.  Consumers
 * that must not miss anything tail eve.json instead (../shared/DESIGN.md:
 * the file is the queue).
 */
#ifndef VIGIL_FANOUT_H
#define VIGIL_FANOUT_H

#include <stddef.h>
#include <stdint.h>

#include "counters.h"
#include "vigil.h"

struct config;
struct fanout;

/* The consumers the configuration enables; NULL with e->msg empty when it
 * enables none, NULL with e set on an error (a bad syslog address). */
struct fanout *fanout_open(const struct config *cfg, struct verr *e);
/* Queues len bytes of complete lines; never blocks for long (a mutex held
 * for a copy). */
void fanout_offer(struct fanout *f, const char *buf, size_t len);
/* Waits (at most secs) until what is queued has been handed to the
 * consumers, so that the counters are final but for what follows. */
void fanout_drain(struct fanout *f, double secs);
/* Sends what is queued (waiting at most 2 s for the consumers), stops the
 * thread and frees; NULL is a no-op. */
void fanout_close(struct fanout *f);
/* The output.* counters so far into c. */
void fanout_counters(const struct fanout *f, struct counters *c);

/* CEF (ArcSight Common Event Format) for one eve record (a JSON line
 * without its newline), into out (cap bytes, always terminated);
 * the length written.  Exposed for the unit test. */
size_t eve_to_cef(const char *rec, size_t len, char *out, size_t cap);

#endif
