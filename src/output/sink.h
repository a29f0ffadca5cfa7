/*
 * sink.h - where eve lines go.  A file sink appends whole lines under a
 * mutex, so records from several workers never interleave, and reopens its
 * file after SIGHUP (log rotation: move the file, send SIGHUP, the next
 * write creates a new one).  Callers hand it complete lines in batches.
 */
#ifndef VIGIL_SINK_H
#define VIGIL_SINK_H

#include <stddef.h>

#include "vigil.h"

struct sink;

/* Opens (creating, mode 0640) path for appending.  NULL with e set. */
struct sink *sink_file_open(const char *path, struct verr *e);
/* A sink with no file: what is written only goes to its fan-out (eve
 * records for the unix-stream, syslog and redis outputs while
 * outputs.eve is off). */
struct sink *sink_stream_open(struct verr *e);
struct fanout;
/* Every batch written to s is also offered to f (fanout.h); NULL: none. */
void sink_set_fanout(struct sink *s, struct fanout *f);
struct fanout *sink_fanout(const struct sink *s);
/* Also appends to path (created, mode 0640) each line whose event_type is
 * one of types ("alert, drop": event type names, at most 32), as one of
 * Suricata's several eve-log outputs; at most 8 per sink.  0, or V_EINVAL
 * / V_EIO / V_ENOMEM with e set.  Before the first write. */
int sink_add_route(struct sink *s, const char *path, const char *types, struct verr *e);
/* Writes len bytes of complete lines (and offers them to the fan-out).
 * 0 or V_EIO. */
int sink_write(struct sink *s, const char *buf, size_t len);
/* Async-signal-safe: every file sink reopens before its next write. */
void sink_request_reopen(void);
/* Flushes and closes; NULL is a no-op. */
void sink_close(struct sink *s);
const char *sink_path(const struct sink *s);
/* Gives the open file to uid:gid (fchown), so that the user vigil switches
 * to after start-up can reopen it after SIGHUP; NULL is a no-op.  0 or
 * V_EIO (the caller logs; the file stays writable through its fd). */
int sink_chown(struct sink *s, unsigned uid, unsigned gid);

#endif
